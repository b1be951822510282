//! Syntax: KQL text → [`ast::Query`]. The parser is built with nom over a
//! located `&str`, consumes the whole input or fails, and reports the
//! furthest point it reached with what it expected there.

pub mod ast;
mod composition;
mod depth;
mod display;
pub mod error;
mod expand;
pub mod expr;
mod external;
pub mod lex;
pub mod literal;
mod search;
mod series;
pub mod span;
pub mod statement;
pub mod tabular;
mod textparse;

use nom::Err;

use crate::syntax::ast::Query;
use crate::syntax::error::SyntaxError;
use crate::syntax::lex::{In, at_symbol, offset, span as span_to, symbol, trivia};

/// Parses a whole query text: `let`/`set` statements separated by `;`, then
/// at most one tabular expression, then the end of the text.
pub fn parse(source: &str) -> Result<Query, SyntaxError> {
    expr::reset_depth();
    let input = In::new(source);
    match query(input) {
        Ok((rest, q)) => {
            let rest = trivia(rest);
            if rest.fragment().is_empty() {
                depth::check(&q)?;
                Ok(q)
            } else {
                let at = offset(&rest);
                let what = if q.body.is_some() { "`|` or the end of the query" } else { "`;` or the end of the query" };
                Err(SyntaxError::expected(at, what))
            }
        }
        Err(Err::Error(e)) | Err(Err::Failure(e)) => Err(e),
        Err(Err::Incomplete(_)) => Err(SyntaxError::expected(source.len(), "more input")),
    }
}

fn query(i: In) -> lex::PResult<Query> {
    let start = offset(&trivia(i));
    let mut statements = Vec::new();
    let mut i = i;
    loop {
        while let Ok((rest, _)) = symbol(i, ";") {
            i = rest;
        }
        if statement::at_statement(&i) {
            let (rest, st) = statement::statement(i)?;
            let rest = match symbol(rest, ";") {
                Ok((r, _)) => r,
                Err(_) => {
                    if trivia(rest).fragment().is_empty() {
                        // A script may end with a statement and no body.
                        statements.push(st);
                        return Ok((rest, Query { statements, body: None, span: span_to(start, &rest) }));
                    }
                    return lex::fail(rest, "`;` after the statement");
                }
            };
            statements.push(st);
            i = rest;
            continue;
        }
        break;
    }
    if trivia(i).fragment().is_empty() {
        return Ok((i, Query { statements, body: None, span: span_to(start, &i) }));
    }
    let (mut rest, body) = tabular::tabular_expr(i)?;
    while at_symbol(&rest, ";") {
        rest = symbol(rest, ";")?.0;
    }
    Ok((rest, Query { statements, body: Some(body), span: span_to(start, &rest) }))
}

/// Describes the token at `offset` for "found …" in messages.
pub fn describe_found(source: &str, offset: usize) -> (String, usize) {
    let offset = span::floor_char_boundary(source, offset);
    let rest = &source[offset..];
    let Some(c) = rest.chars().next() else {
        return ("end of query".to_string(), 0);
    };
    let len = if lex::is_ident_char(c) {
        rest.find(|c: char| !(lex::is_ident_char(c) || c == '-')).unwrap_or(rest.len())
    } else if c == '"' || c == '\'' {
        rest[1..].find(c).map_or(rest.len(), |p| p + 2)
    } else {
        let two = ["==", "!=", "<=", ">=", "=~", "!~", "..", "//"];
        if two.iter().any(|t| rest.starts_with(t)) { 2 } else { c.len_utf8() }
    };
    let len = span::floor_char_boundary(rest, len.min(40));
    let tok = &rest[..len.max(c.len_utf8())];
    (format!("`{}`", tok.replace('\n', "\\n")), tok.len())
}

impl SyntaxError {
    /// The user-facing diagnostic for this error.
    pub fn to_diagnostic(&self, source: &str) -> crate::diag::Diagnostic {
        use crate::diag::{Diagnostic, codes};
        let (found, found_len) = describe_found(source, self.offset);
        let (code, message) = match &self.message {
            Some(m) if m.contains("nested more than") => (codes::TOO_DEEP, m.clone()),
            Some(m) if m.contains("outside the range") => (codes::OUT_OF_RANGE, m.clone()),
            Some(m) => (codes::SYNTAX, m.clone()),
            None => {
                let mut exp = self.expected.clone();
                exp.dedup();
                let what = match exp.len() {
                    0 => "a valid query".to_string(),
                    1 => exp[0].clone(),
                    _ => {
                        let (last, rest) = exp.split_last().map(|(l, r)| (l.clone(), r.to_vec())).unwrap_or_default();
                        format!("{} or {last}", rest.join(", "))
                    }
                };
                (codes::SYNTAX, format!("expected {what}, found {found}"))
            }
        };
        let len = if self.len > 0 { self.len } else { found_len };
        let mut d = Diagnostic::new(code, message).at(span::Span::new(self.offset, self.offset + len));
        if let Some(extra) = &self.extra {
            if let Some((sp, text)) = &extra.note {
                d = d.note(*sp, text.clone());
            }
            if let Some(h) = &extra.help {
                d = d.help(h.clone());
            }
        }
        d
    }
}
