//! `search` and `find`: match terms across the columns of one or many tables.

use nom::Err;

use crate::syntax::ast::{BinaryOp, ExprKind, Ident, Literal, OperatorKind, SearchPred, Source, TypeName};
use crate::syntax::error::SyntaxError;
use crate::syntax::expr::{CmpTok, close_paren, comparison, comparison_op};
use crate::syntax::lex::{
    In, PResult, at_keyword, at_symbol, comma_list, cut, ident, keyword, offset, span, symbol, trivia, word,
};
use crate::syntax::literal::{at_string, string_literal};
use crate::syntax::tabular::type_name;

/// `kind=case_sensitive|case_insensitive`
fn search_kind(i: In) -> PResult<bool> {
    if !at_keyword(&i, "kind") {
        return Ok((i, false));
    }
    let (i, _) = keyword(i, "kind")?;
    let (i, _) = symbol(i, "=")?;
    let (i, k) = word(i)?;
    match k.name.as_str() {
        "case_sensitive" => Ok((i, true)),
        "case_insensitive" => Ok((i, false)),
        _ => Err(Err::Failure(SyntaxError::expected(k.span.start, "`case_sensitive` or `case_insensitive`"))),
    }
}

/// `in (T1, T2, …)`
fn table_list(i: In) -> PResult<Option<Vec<Ident>>> {
    let Ok((rest, _)) = keyword(i, "in") else {
        return Ok((i, None));
    };
    let (rest, open) = cut(symbol(rest, "("))?;
    let (rest, tables) = cut(comma_list(rest, ident))?;
    let (rest, _) = close_paren(rest, open)?;
    Ok((rest, Some(tables)))
}

/// `search …` at the start of a query.
pub fn search_source(i: In, start: usize) -> PResult<Source> {
    let (i, case_sensitive) = search_kind(i)?;
    let (i, tables) = table_list(i)?;
    let (i, predicate) = search_pred(i)?;
    Ok((i, Source::Search { case_sensitive, tables, predicate, span: span(start, &i) }))
}

/// `T | search …`
pub fn search_op(i: In) -> PResult<OperatorKind> {
    let (i, case_sensitive) = search_kind(i)?;
    let (i, predicate) = search_pred(i)?;
    Ok((i, OperatorKind::Search { case_sensitive, predicate }))
}

/// `find [withsource=C] [in (T, …)] where pred [project c[:type], …]`
pub fn find_source(i: In, start: usize) -> PResult<Source> {
    let mut i = i;
    let mut with_source = None;
    if at_keyword(&i, "withsource") {
        let (rest, _) = keyword(i, "withsource")?;
        let (rest, _) = symbol(rest, "=")?;
        let (rest, n) = ident(rest)?;
        with_source = Some(n);
        i = rest;
    }
    let (i, tables) = table_list(i)?;
    let (i, _) = keyword(i, "where")?;
    let (mut i, predicate) = search_pred(i)?;
    let mut project = None;
    if let Ok((rest, _)) = keyword(i, "project") {
        let (rest, cols) = cut(comma_list(rest, |i| {
            let (i, n) = ident(i)?;
            match symbol(i, ":") {
                Ok((r, _)) => {
                    let (r, t) = cut(type_name(r))?;
                    Ok((r, (n, Some(t))))
                }
                Err(_) => Ok((i, (n, None::<TypeName>))),
            }
        }))?;
        project = Some(cols);
        i = rest;
    }
    Ok((i, Source::Find { with_source, tables, predicate, project, span: span(start, &i) }))
}

pub fn search_pred(i: In) -> PResult<SearchPred> {
    let (mut i, first) = search_and(i)?;
    let mut items = vec![first];
    while let Ok((rest, _)) = keyword(i, "or") {
        let (rest, next) = cut(search_and(rest))?;
        items.push(next);
        i = rest;
    }
    Ok((i, if items.len() == 1 { items.remove(0) } else { SearchPred::Or(items) }))
}

fn search_and(i: In) -> PResult<SearchPred> {
    let (mut i, first) = search_leaf(i)?;
    let mut items = vec![first];
    while let Ok((rest, _)) = keyword(i, "and") {
        let (rest, next) = cut(search_leaf(rest))?;
        items.push(next);
        i = rest;
    }
    Ok((i, if items.len() == 1 { items.remove(0) } else { SearchPred::And(items) }))
}

fn search_leaf(i: In) -> PResult<SearchPred> {
    let t = trivia(i);
    let start = offset(&t);
    if at_symbol(&t, "(") {
        let (rest, open) = symbol(i, "(")?;
        let (rest, p) = cut(search_pred(rest))?;
        let (rest, _) = close_paren(rest, open)?;
        return Ok((rest, p));
    }
    if at_keyword(&t, "not")
        && let Ok((rest, _)) = keyword(i, "not")
        && at_symbol(&rest, "(")
    {
        let (rest, open) = symbol(rest, "(")?;
        let (rest, p) = cut(search_pred(rest))?;
        let (rest, _) = close_paren(rest, open)?;
        return Ok((rest, SearchPred::Not(Box::new(p))));
    }
    if at_symbol(&t, "*") {
        let (rest, _) = symbol(i, "*")?;
        let Some((rest, CmpTok::Bin(BinaryOp::Str(op)))) = comparison_op(rest) else {
            return Err(Err::Failure(
                SyntaxError::expected(offset(&trivia(rest)), "a string operator such as `has` or `contains`")
                    .with_help("write `* has \"term\"`"),
            ));
        };
        let (rest, text) = cut(string_literal(rest))?;
        return Ok((rest, SearchPred::Term { column: None, text, op: Some(op), span: span(start, &rest) }));
    }
    if at_string(&t) {
        let (rest, text) = string_literal(i)?;
        return Ok((rest, SearchPred::Term { column: None, text, op: None, span: span(start, &rest) }));
    }
    if let Ok((rest, name)) = ident(i)
        && at_symbol(&rest, ":")
        && !at_symbol(&rest, "::")
    {
        let (rest, _) = symbol(rest, ":")?;
        let (rest, text) = cut(string_literal(rest))?;
        return Ok((rest, SearchPred::Term { column: Some(name), text, op: None, span: span(start, &rest) }));
    }
    let (rest, e) = comparison(i)?;
    if let ExprKind::Literal(Literal::String(s)) = &e.kind {
        return Ok((rest, SearchPred::Term { column: None, text: s.clone(), op: None, span: e.span }));
    }
    Ok((rest, SearchPred::Expr(e)))
}
