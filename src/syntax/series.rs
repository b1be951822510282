//! `make-series`: aggregates laid out as arrays along an axis.

use nom::Err;

use crate::syntax::ast::{MakeSeries, OperatorKind, SeriesAggregate};
use crate::syntax::error::SyntaxError;
use crate::syntax::expr::{close_paren, expr, named_expr};
use crate::syntax::lex::{In, PResult, at_keyword, comma_list, cut, hints, ident, keyword, symbol, word};

/// `make-series [kind=nonempty] [name =] agg [default = v], … on axis
/// (from a [to b] step s | in range(a, b, s)) [by keys]`
pub fn make_series(i: In) -> PResult<OperatorKind> {
    let mut nonempty = false;
    let mut i = i;
    loop {
        if at_keyword(&i, "kind") {
            let (rest, _) = keyword(i, "kind")?;
            let (rest, _) = symbol(rest, "=")?;
            let (rest, k) = word(rest)?;
            if k.name != "nonempty" {
                return Err(Err::Failure(SyntaxError::expected(k.span.start, "`nonempty`")));
            }
            nonempty = true;
            i = rest;
        } else if crate::syntax::lex::peek_str(&i).starts_with("hint.") {
            let (rest, _) = hints(i)?;
            i = rest;
        } else {
            break;
        }
    }
    let (i, aggregates) = comma_list(i, |i| {
        let (i, column) = named_expr(i)?;
        match keyword(i, "default") {
            Ok((rest, _)) => {
                let (rest, _) = cut(symbol(rest, "="))?;
                let (rest, d) = cut(expr(rest))?;
                Ok((rest, SeriesAggregate { column, default: Some(d) }))
            }
            Err(_) => Ok((i, SeriesAggregate { column, default: None })),
        }
    })?;
    let (i, _) = keyword(i, "on")?;
    // The axis is a column: a full expression would read `in range(…)` as
    // the `in` operator.
    let (i, axis_name) = ident(i)?;
    let axis = crate::syntax::ast::Expr::name(&axis_name.name, axis_name.span);
    let (mut i, from, to, step, in_range) = if let Ok((rest, _)) = keyword(i, "in") {
        let (rest, _) = cut(keyword(rest, "range"))?;
        let (rest, open) = cut(symbol(rest, "("))?;
        let (rest, a) = cut(expr(rest))?;
        let (rest, _) = cut(symbol(rest, ","))?;
        let (rest, b) = cut(expr(rest))?;
        let (rest, _) = cut(symbol(rest, ","))?;
        let (rest, s) = cut(expr(rest))?;
        let (rest, _) = close_paren(rest, open)?;
        (rest, Some(a), Some(b), s, true)
    } else {
        let mut i = i;
        let mut from = None;
        let mut to = None;
        if let Ok((rest, _)) = keyword(i, "from") {
            let (rest, f) = cut(expr(rest))?;
            from = Some(f);
            i = rest;
        }
        if let Ok((rest, _)) = keyword(i, "to") {
            let (rest, t) = cut(expr(rest))?;
            to = Some(t);
            i = rest;
        }
        let (rest, _) = keyword(i, "step")?;
        let (rest, s) = cut(expr(rest))?;
        (rest, from, to, s, false)
    };
    let mut by = Vec::new();
    if let Ok((rest, _)) = keyword(i, "by") {
        let (rest, keys) = cut(comma_list(rest, named_expr))?;
        by = keys;
        i = rest;
    }
    Ok((i, OperatorKind::MakeSeries(Box::new(MakeSeries { nonempty, aggregates, axis, from, to, step, in_range, by }))))
}
