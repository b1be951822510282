//! The parser's error type: where parsing stopped and what would have been
//! accepted there. It implements nom's `ParseError`, keeping the furthest
//! failure when alternatives are tried, so the caret lands where the query
//! actually goes wrong.

use nom::error::{ErrorKind, ParseError};

use crate::syntax::lex::In;
use crate::syntax::span::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    /// Byte offset where the problem is.
    pub offset: usize,
    /// Alternatives that would have been accepted at `offset`.
    pub expected: Vec<String>,
    /// A specific message that replaces "expected …" (bad literals, limits).
    pub message: Option<String>,
    /// Length of the offending text, for the caret (0: a single caret).
    pub len: usize,
    /// Help and context; boxed to keep parser results small.
    pub extra: Option<Box<Extra>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Extra {
    pub help: Option<String>,
    /// Context such as "`(` opened here".
    pub note: Option<(Span, String)>,
}

impl SyntaxError {
    pub fn expected(offset: usize, what: impl Into<String>) -> Self {
        SyntaxError { offset, expected: vec![what.into()], message: None, len: 0, extra: None }
    }

    pub fn message(span: Span, message: impl Into<String>) -> Self {
        SyntaxError {
            offset: span.start,
            expected: Vec::new(),
            message: Some(message.into()),
            len: span.end - span.start,
            extra: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.extra.get_or_insert_with(Box::default).help = Some(help.into());
        self
    }

    pub fn with_note(mut self, span: Span, note: impl Into<String>) -> Self {
        self.extra.get_or_insert_with(Box::default).note = Some((span, note.into()));
        self
    }

    /// True when the error is at the very end of the text: the query is a
    /// prefix of a valid one (the REPL keeps reading lines).
    pub fn is_at_end(&self, source: &str) -> bool {
        self.message.is_none() && self.offset >= source.trim_end().len()
    }
}

impl<'a> ParseError<In<'a>> for SyntaxError {
    fn from_error_kind(input: In<'a>, _kind: ErrorKind) -> Self {
        SyntaxError { offset: input.location_offset(), expected: Vec::new(), message: None, len: 0, extra: None }
    }

    fn append(_input: In<'a>, _kind: ErrorKind, other: Self) -> Self {
        other
    }

    fn or(self, other: Self) -> Self {
        merge(self, other)
    }
}

/// Of two failures, the one that got further wins; at the same spot their
/// expectations are pooled ("expected `,` or `by`").
pub fn merge(a: SyntaxError, b: SyntaxError) -> SyntaxError {
    use std::cmp::Ordering;
    match a.offset.cmp(&b.offset) {
        Ordering::Greater => a,
        Ordering::Less => b,
        Ordering::Equal => {
            if a.message.is_some() {
                return a;
            }
            if b.message.is_some() {
                return b;
            }
            let mut out = a;
            for e in b.expected {
                if !out.expected.contains(&e) {
                    out.expected.push(e);
                }
            }
            if out.extra.is_none() {
                out.extra = b.extra;
            }
            out
        }
    }
}
