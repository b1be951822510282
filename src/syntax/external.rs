//! `externaldata`: a table read from local files named in the query.

use crate::syntax::ast::Source;
use crate::syntax::expr::{close_paren, expr};
use crate::syntax::lex::{In, PResult, comma_list, cut, keyword, offset, span, symbol, trivia, word};
use crate::syntax::literal::string_literal;
use crate::syntax::span::Span;
use crate::syntax::tabular::named_type;

/// `externaldata (c:type, …) ["path", …] [with (name = value, …)]`
pub fn externaldata(i: In, start: usize) -> PResult<Source> {
    let (i, open) = symbol(i, "(")?;
    let (i, columns) = comma_list(i, named_type)?;
    let (i, _) = close_paren(i, open)?;
    let (i, _) = symbol(i, "[")?;
    let (i, paths) = comma_list(i, |i| {
        let s = offset(&trivia(i));
        let (rest, text) = string_literal(i)?;
        Ok((rest, (text, Span::new(s, offset(&rest)))))
    })?;
    let (mut i, _) = symbol(i, "]")?;
    let mut options = Vec::new();
    if let Ok((rest, _)) = keyword(i, "with") {
        let (rest, open) = cut(symbol(rest, "("))?;
        let (rest, opts) = cut(comma_list(rest, |i| {
            let (i, name) = word(i)?;
            let (i, _) = cut(symbol(i, "="))?;
            let (i, value) = cut(expr(i))?;
            Ok((i, (name, value)))
        }))?;
        let (rest, _) = close_paren(rest, open)?;
        options = opts;
        i = rest;
    }
    Ok((i, Source::ExternalData { columns, paths, options, span: span(start, &i) }))
}
