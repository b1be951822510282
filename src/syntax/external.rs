//! `externaldata`: a table read from local files named in the query.

use crate::syntax::ast::Source;
use crate::syntax::expr::close_paren;
use crate::syntax::lex::{In, PResult, comma_list, offset, span, symbol, trivia};
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
    let (i, _) = symbol(i, "]")?;
    let (i, options) = crate::syntax::textparse::with_options(i)?;
    Ok((i, Source::ExternalData { columns, paths, options, span: span(start, &i) }))
}
