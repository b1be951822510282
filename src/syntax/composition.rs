//! `top-nested`, `evaluate`, `invoke` and `reduce`.

use nom::Err;

use crate::syntax::ast::{NamedExpr, OperatorKind, TopNestedLevel};
use crate::syntax::error::SyntaxError;
use crate::syntax::expr::{call_args, close_paren, expr, named_expr};
use crate::syntax::lex::{In, PResult, at_keyword, comma_list, cut, ident, keyword, symbol, word};
use crate::syntax::tabular::named_type;

/// `top-nested [N] of e [with others = v] by [name =] agg [asc|desc], top-nested …`
pub fn top_nested(i: In) -> PResult<OperatorKind> {
    let (mut i, first) = level(i)?;
    let mut levels = vec![first];
    while let Ok((rest, _)) = symbol(i, ",") {
        let (rest, _) = cut(keyword(rest, "top-nested"))?;
        let (rest, l) = cut(level(rest))?;
        levels.push(l);
        i = rest;
    }
    Ok((i, OperatorKind::TopNested { levels }))
}

/// `sample-distinct N of column`
pub fn sample_distinct(i: In) -> PResult<OperatorKind> {
    let (i, count) = expr(i)?;
    let (i, _) = cut(keyword(i, "of"))?;
    let (i, of) = cut(named_expr(i))?;
    Ok((i, OperatorKind::SampleDistinct { count, of }))
}

/// `top-hitters N of value [by weight]`
pub fn top_hitters(i: In) -> PResult<OperatorKind> {
    let (i, count) = expr(i)?;
    let (i, _) = cut(keyword(i, "of"))?;
    let (mut i, of) = cut(named_expr(i))?;
    let mut by = None;
    if let Ok((rest, _)) = keyword(i, "by") {
        let (rest, b) = cut(expr(rest))?;
        by = Some(b);
        i = rest;
    }
    Ok((i, OperatorKind::TopHitters { count, of, by }))
}

fn level(i: In) -> PResult<TopNestedLevel> {
    let (i, count) = if at_keyword(&i, "of") {
        (i, None)
    } else {
        let (i, n) = expr(i)?;
        (i, Some(n))
    };
    let (i, _) = keyword(i, "of")?;
    let (mut i, of) = named_expr(i)?;
    let mut others = None;
    if let Ok((rest, _)) = keyword(i, "with") {
        let (rest, _) = cut(keyword(rest, "others"))?;
        let (rest, _) = cut(symbol(rest, "="))?;
        let (rest, v) = cut(expr(rest))?;
        others = Some(v);
        i = rest;
    }
    let (i, _) = keyword(i, "by")?;
    let (mut i, aggregate) = named_expr(i)?;
    let mut ascending = false;
    if let Ok((rest, _)) = keyword(i, "asc") {
        ascending = true;
        i = rest;
    } else if let Ok((rest, _)) = keyword(i, "desc") {
        i = rest;
    }
    Ok((i, TopNestedLevel { count, of, others, aggregate, ascending }))
}

/// `evaluate [hint.…] plugin(args) [: (c:type, …)]`
pub fn evaluate(i: In) -> PResult<OperatorKind> {
    let (i, _) = crate::syntax::lex::hints(i)?;
    let (i, plugin) = word(i)?;
    let (mut i, (args, _)) = call_args(i)?;
    let mut schema = None;
    if let Ok((rest, _)) = symbol(i, ":") {
        let (rest, open) = cut(symbol(rest, "("))?;
        let (rest, cols) = cut(comma_list(rest, named_type))?;
        let (rest, _) = close_paren(rest, open)?;
        schema = Some(cols);
        i = rest;
    }
    Ok((i, OperatorKind::Evaluate { plugin, args, schema }))
}

/// `invoke f(args)`
pub fn invoke(i: In) -> PResult<OperatorKind> {
    let (i, name) = ident(i)?;
    let (i, (args, _)) = call_args(i)?;
    Ok((i, OperatorKind::Invoke { name, args }))
}

/// `reduce [kind=source] by e [with threshold = x, characters = "…"]`
pub fn reduce(i: In) -> PResult<OperatorKind> {
    let mut i = i;
    let mut keep_rows = false;
    if at_keyword(&i, "kind") {
        let (rest, _) = keyword(i, "kind")?;
        let (rest, _) = symbol(rest, "=")?;
        let (rest, k) = word(rest)?;
        if k.name != "source" {
            return Err(Err::Failure(SyntaxError::expected(k.span.start, "`source`")));
        }
        keep_rows = true;
        i = rest;
    }
    let (i, _) = keyword(i, "by")?;
    let (mut i, by) = expr(i)?;
    let mut options = Vec::new();
    if let Ok((rest, _)) = keyword(i, "with") {
        let (rest, opts) = cut(comma_list(rest, |i| {
            let (i, NamedExpr { name, expr, span }) = named_expr(i)?;
            match name {
                Some(n) => Ok((i, (n, expr))),
                None => Err(Err::Failure(SyntaxError::message(span, "expected `option = value`"))),
            }
        }))?;
        options = opts;
        i = rest;
    }
    Ok((i, OperatorKind::Reduce { keep_rows, by, options }))
}
