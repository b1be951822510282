//! `parse`, `parse-where` and `parse-kv`: operators that pull columns out of
//! text with a pattern.

use nom::Err;

use crate::syntax::ast::{OperatorKind, ParseKind, ParseOp, ParsePart};
use crate::syntax::error::SyntaxError;
use crate::syntax::expr::{close_paren, expr};
use crate::syntax::lex::{
    In, PResult, at_keyword, at_symbol, comma_list, cut, ident, keyword, option_value, symbol, word,
};
use crate::syntax::literal::{at_string, string_literal};
use crate::syntax::tabular::{named_type, type_name};

/// `parse [kind=simple|regex|relaxed] [flags=…] source with pattern`
pub fn parse_op(i: In, filter: bool) -> PResult<OperatorKind> {
    let mut kind = ParseKind::Simple;
    let mut flags = None;
    let mut i = i;
    loop {
        if at_keyword(&i, "kind") {
            let (rest, _) = keyword(i, "kind")?;
            let (rest, _) = symbol(rest, "=")?;
            let (rest, k) = word(rest)?;
            kind = match k.name.as_str() {
                "simple" => ParseKind::Simple,
                "regex" => ParseKind::Regex,
                "relaxed" => ParseKind::Relaxed,
                _ => return Err(Err::Failure(SyntaxError::expected(k.span.start, "`simple`, `regex` or `relaxed`"))),
            };
            i = rest;
        } else if at_keyword(&i, "flags") {
            let (rest, _) = keyword(i, "flags")?;
            let (rest, _) = symbol(rest, "=")?;
            let (rest, f) = option_value(rest)?;
            flags = Some(f);
            i = rest;
        } else {
            break;
        }
    }
    let (i, source) = expr(i)?;
    let (i, _) = keyword(i, "with")?;
    let (i, pattern) = pattern(i)?;
    Ok((i, OperatorKind::Parse(ParseOp { kind, flags, source, pattern, filter })))
}

fn pattern(mut i: In) -> PResult<Vec<ParsePart>> {
    let mut parts = Vec::new();
    loop {
        if at_symbol(&i, "*") {
            let (rest, _) = symbol(i, "*")?;
            parts.push(ParsePart::Wildcard);
            i = rest;
        } else if at_string(&i) {
            let (rest, text) = string_literal(i)?;
            parts.push(ParsePart::Text(text));
            i = rest;
        } else if let Ok((rest, name)) = ident(i) {
            let (rest, ty) = match symbol(rest, ":") {
                Ok((r, _)) => {
                    let (r, t) = cut(type_name(r))?;
                    (r, Some(t))
                }
                Err(_) => (rest, None),
            };
            parts.push(ParsePart::Column { name, ty });
            i = rest;
        } else {
            break;
        }
    }
    if !parts.iter().any(|p| matches!(p, ParsePart::Column { .. })) {
        return Err(Err::Failure(
            SyntaxError::expected(
                crate::syntax::lex::offset(&crate::syntax::lex::trivia(i)),
                "a column name in the pattern",
            )
            .with_help("a pattern mixes `*`, string constants and `name[:type]` columns"),
        ));
    }
    Ok((i, parts))
}

/// `parse-kv source as (name:type, …) [with (option = value, …)]`
pub fn parse_kv(i: In) -> PResult<OperatorKind> {
    let (i, source) = expr(i)?;
    let (i, _) = keyword(i, "as")?;
    let (i, open) = symbol(i, "(")?;
    let (i, columns) = comma_list(i, named_type)?;
    let (i, _) = close_paren(i, open)?;
    let (i, options) = with_options(i)?;
    Ok((i, OperatorKind::ParseKv { source, columns, options }))
}

/// `with (name = value, …)`, or nothing.
pub(crate) fn with_options(i: In) -> PResult<Vec<(crate::syntax::ast::Ident, crate::syntax::ast::Expr)>> {
    let Ok((rest, _)) = keyword(i, "with") else { return Ok((i, Vec::new())) };
    let (rest, open) = cut(symbol(rest, "("))?;
    let (rest, options) = cut(comma_list(rest, |i| {
        let (i, name) = word(i)?;
        let (i, _) = cut(symbol(i, "="))?;
        let (i, value) = cut(expr(i))?;
        Ok((i, (name, value)))
    }))?;
    let (rest, _) = close_paren(rest, open)?;
    Ok((rest, options))
}
