//! Statements before the query body: `let`, `set`, `declare query_parameters`.

use nom::Err;

use crate::syntax::ast::{FunctionBody, FunctionDef, LetValue, Param, ParamType, Statement};
use crate::syntax::error::SyntaxError;
use crate::syntax::expr::{call_arg, close_paren, expr};
use crate::syntax::lex::{
    In, PResult, at_keyword, at_symbol, comma_list, cut, ident, keyword, offset, peek_str, span, symbol, trivia, word,
};
use crate::syntax::tabular::{at_tabular_keyword, tabular_expr, type_name};

pub fn at_statement(i: &In) -> bool {
    at_keyword(i, "let") || at_keyword(i, "set") || at_keyword(i, "declare")
}

pub fn statement(i: In) -> PResult<Statement> {
    let start = offset(&trivia(i));
    if let Ok((rest, _)) = keyword(i, "let") {
        let (rest, name) = cut(ident(rest))?;
        let (rest, _) = cut(symbol(rest, "="))?;
        let (rest, value) = cut(let_value(rest))?;
        return Ok((rest, Statement::Let { name, value, span: span(start, &rest) }));
    }
    if let Ok((rest, _)) = keyword(i, "set") {
        let (rest, name) = cut(word(rest))?;
        if let Ok((rest, _)) = symbol(rest, "=") {
            let (rest, value) = cut(expr(rest))?;
            return Ok((rest, Statement::Set { name, value: Some(value), span: span(start, &rest) }));
        }
        return Ok((rest, Statement::Set { name, value: None, span: span(start, &rest) }));
    }
    let (rest, _) = keyword(i, "declare")?;
    let (rest, _) = cut(keyword(rest, "query_parameters"))?;
    let (rest, open) = cut(symbol(rest, "("))?;
    let (rest, params) = cut(comma_list(rest, param))?;
    let (rest, _) = close_paren(rest, open)?;
    Ok((rest, Statement::DeclareParameters { params, span: span(start, &rest) }))
}

/// True at `(` that opens a parameter list: `()` or `(name:`.
fn at_function_def(i: &In) -> bool {
    let s = peek_str(i);
    let Some(inner) = s.strip_prefix('(') else { return false };
    let inner = inner.trim_start();
    if inner.starts_with(')') {
        return true;
    }
    let len = inner.find(|c: char| !crate::syntax::lex::is_ident_char(c)).unwrap_or(inner.len());
    len > 0 && inner[len..].trim_start().starts_with(':')
}

fn let_value(i: In) -> PResult<LetValue> {
    if at_keyword(&i, "view") {
        let (rest, _) = keyword(i, "view")?;
        let (rest, f) = function_def(rest)?;
        return Ok((rest, LetValue::Function(Box::new(f))));
    }
    if at_function_def(&i) {
        let (rest, f) = function_def(i)?;
        return Ok((rest, LetValue::Function(Box::new(f))));
    }
    if at_tabular_keyword(&i) {
        let (rest, t) = tabular_expr(i)?;
        return Ok((rest, LetValue::Tabular(Box::new(t))));
    }
    let (rest, e) = call_arg(i)?;
    Ok((
        rest,
        match e.kind {
            crate::syntax::ast::ExprKind::Tabular(t) => LetValue::Tabular(t),
            _ => LetValue::Expr(e),
        },
    ))
}

fn param(i: In) -> PResult<Param> {
    let start = offset(&trivia(i));
    let (i, name) = ident(i)?;
    let (i, _) = cut(symbol(i, ":"))?;
    let (i, ty) = if at_symbol(&i, "(") {
        let (i, open) = symbol(i, "(")?;
        if let Ok((i, _)) = symbol(i, "*") {
            let (i, _) = close_paren(i, open)?;
            (i, ParamType::Tabular(Vec::new()))
        } else {
            let (i, cols) = cut(comma_list(i, |i| {
                let (i, n) = ident(i)?;
                let (i, _) = cut(symbol(i, ":"))?;
                let (i, t) = cut(type_name(i))?;
                Ok((i, (n, t)))
            }))?;
            let (i, _) = close_paren(i, open)?;
            (i, ParamType::Tabular(cols))
        }
    } else {
        let (i, t) = cut(type_name(i))?;
        (i, ParamType::Scalar(t))
    };
    let (i, default) = if at_symbol(&i, "=") && !at_symbol(&i, "==") {
        let (i, _) = symbol(i, "=")?;
        let (i, d) = cut(expr(i))?;
        (i, Some(d))
    } else {
        (i, None)
    };
    Ok((i, Param { name, ty, default, span: span(start, &i) }))
}

fn function_def(i: In) -> PResult<FunctionDef> {
    let start = offset(&trivia(i));
    let (i, open) = symbol(i, "(")?;
    let (i, params) = if at_symbol(&i, ")") { (i, Vec::new()) } else { cut(comma_list(i, param))? };
    let (i, _) = close_paren(i, open)?;
    let (i, brace) = cut(symbol(i, "{"))?;
    let mut lets = Vec::new();
    let mut i = i;
    while at_statement(&i) {
        let (rest, st) = statement(i)?;
        let (rest, _) = cut(symbol(rest, ";"))?;
        lets.push(st);
        i = rest;
    }
    let (i, body) = if at_tabular_keyword(&i) {
        let (i, t) = cut(tabular_expr(i))?;
        (i, FunctionBody::Tabular(Box::new(t)))
    } else {
        let (i, e) = cut(call_arg(i))?;
        match e.kind {
            crate::syntax::ast::ExprKind::Tabular(t) => (i, FunctionBody::Tabular(t)),
            _ => (i, FunctionBody::Scalar(e)),
        }
    };
    let i = match symbol(i, ";") {
        Ok((r, _)) => r,
        Err(_) => i,
    };
    let (i, _) = match symbol(i, "}") {
        Ok(x) => x,
        Err(_) => {
            return Err(Err::Failure(
                SyntaxError::expected(offset(&trivia(i)), "`}`").with_note(brace, "`{` opened here"),
            ));
        }
    };
    Ok((i, FunctionDef { params, lets, body, span: span(start, &i) }))
}
