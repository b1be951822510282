//! Tokens: trivia (whitespace, `//` comments), keywords with word
//! boundaries, identifiers (`Name`, `['a name']`), punctuation.
//!
//! Convention: every token parser skips the trivia *before* its token, so a
//! token's span starts at its first character and callers never skip trivia
//! themselves.

use nom::{Err, IResult, Input};
use nom_locate::LocatedSpan;

use crate::syntax::ast::Ident;
use crate::syntax::error::SyntaxError;
use crate::syntax::span::Span;

pub type In<'a> = LocatedSpan<&'a str>;
pub type PResult<'a, T> = IResult<In<'a>, T, SyntaxError>;

/// Words that end a list or clause, so they are never read as column names.
const RESERVED: &[&str] = &["and", "or", "by", "on", "with", "let", "set", "declare"];

pub fn offset(i: &In) -> usize {
    i.location_offset()
}

pub fn span(start: usize, end: &In) -> Span {
    Span::new(start, offset(end))
}

/// Skips whitespace and `//` comments.
pub fn trivia(i: In) -> In {
    let s = *i.fragment();
    let mut n = 0;
    let bytes = s.as_bytes();
    loop {
        while n < bytes.len() && (bytes[n] as char).is_ascii_whitespace() {
            n += 1;
        }
        if s[n..].starts_with("//") {
            n += s[n..].find('\n').unwrap_or(s.len() - n);
            continue;
        }
        // Non-ASCII whitespace (no-break space, BOM) is trivia too.
        if let Some(c) = s[n..].chars().next()
            && (c.is_whitespace() || c == '\u{feff}')
        {
            n += c.len_utf8();
            continue;
        }
        break;
    }
    i.take_from(n)
}

/// The next character after trivia.
pub fn peek(i: &In) -> Option<char> {
    trivia(*i).fragment().chars().next()
}

pub fn peek_str<'a>(i: &In<'a>) -> &'a str {
    trivia(*i).fragment()
}

pub fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$'
}

pub fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A recoverable error at the next token: "expected `what`".
pub fn expected<T>(i: In, what: &str) -> PResult<'static, T> {
    let at = trivia(i);
    Err(Err::Error(SyntaxError::expected(offset(&at), what)))
}

/// An unrecoverable error (the parser committed to a construct).
pub fn fail<T>(i: In, what: &str) -> PResult<'static, T> {
    let at = trivia(i);
    Err(Err::Failure(SyntaxError::expected(offset(&at), what)))
}

/// Turns recoverable errors into failures: once an operator keyword is
/// read, a mistake inside it is reported there, not as "unknown operator".
pub fn cut<'a, T>(r: PResult<'a, T>) -> PResult<'a, T> {
    match r {
        Err(Err::Error(e)) => Err(Err::Failure(e)),
        other => other,
    }
}

/// A keyword (case-sensitive, as in Kusto) followed by a word boundary.
pub fn keyword<'a>(i: In<'a>, word: &str) -> PResult<'a, Span> {
    let t = trivia(i);
    let s = *t.fragment();
    if s.starts_with(word) && at_word_boundary(&s[word.len()..]) {
        let start = offset(&t);
        let rest = t.take_from(word.len());
        Ok((rest, Span::new(start, start + word.len())))
    } else {
        expected(i, &format!("`{word}`"))
    }
}

/// True if `keyword` would match here, without consuming.
pub fn at_keyword(i: &In, word: &str) -> bool {
    let s = peek_str(i);
    s.starts_with(word) && at_word_boundary(&s[word.len()..])
}

fn at_word_boundary(rest: &str) -> bool {
    let mut chars = rest.chars();
    match chars.next() {
        None => true,
        Some(c) if is_ident_char(c) => false,
        // `project` must not match the start of `project-away`.
        Some('-') => !chars.next().is_some_and(|c| c.is_ascii_alphabetic()),
        Some(_) => true,
    }
}

/// A punctuation token such as `|`, `==`, `(`.
pub fn symbol<'a>(i: In<'a>, sym: &str) -> PResult<'a, Span> {
    let t = trivia(i);
    if t.fragment().starts_with(sym) {
        let start = offset(&t);
        Ok((t.take_from(sym.len()), Span::new(start, start + sym.len())))
    } else {
        expected(i, &format!("`{sym}`"))
    }
}

pub fn at_symbol(i: &In, sym: &str) -> bool {
    peek_str(i).starts_with(sym)
}

/// A plain word `[A-Za-z_$][A-Za-z0-9_]*` (no brackets), reserved or not.
pub fn word(i: In) -> PResult<Ident> {
    let t = trivia(i);
    let s = *t.fragment();
    let mut chars = s.char_indices();
    match chars.next() {
        Some((_, c)) if is_ident_start(c) => {}
        _ => return expected(i, "a name"),
    }
    let len = s.char_indices().skip(1).find(|&(_, c)| !is_ident_char(c)).map_or(s.len(), |(n, _)| n);
    let start = offset(&t);
    Ok((t.take_from(len), Ident { name: s[..len].to_string(), span: Span::new(start, start + len) }))
}

/// An identifier: a non-reserved word, or `['any text']` / `["any text"]`.
pub fn ident(i: In) -> PResult<Ident> {
    let t = trivia(i);
    let s = *t.fragment();
    if s.starts_with("['") || s.starts_with("[\"") {
        let quote = &s[1..2];
        let start = offset(&t);
        let body = &s[2..];
        let Some(end) = body.find(&format!("{quote}]")) else {
            return Err(Err::Failure(
                SyntaxError::expected(start + s.len(), format!("`{quote}]` to close the name"))
                    .with_note(Span::new(start, start + 2), "name opened here"),
            ));
        };
        let total = 2 + end + 2;
        return Ok((
            t.take_from(total),
            Ident { name: body[..end].to_string(), span: Span::new(start, start + total) },
        ));
    }
    let (rest, w) = word(i)?;
    if RESERVED.contains(&w.name.as_str()) {
        return expected(i, "a name");
    }
    Ok((rest, w))
}

/// An operator word after `|`: letters, digits, `_` and `-` (`project-away`).
pub fn operator_word(i: In) -> PResult<Ident> {
    let t = trivia(i);
    let s = *t.fragment();
    if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return expected(i, "an operator");
    }
    let len = s.char_indices().find(|&(_, c)| !(is_ident_char(c) || c == '-')).map_or(s.len(), |(n, _)| n);
    let start = offset(&t);
    Ok((t.take_from(len), Ident { name: s[..len].to_string(), span: Span::new(start, start + len) }))
}

/// A comma-separated list of at least one item.
pub fn comma_list<'a, T>(i: In<'a>, mut item: impl FnMut(In<'a>) -> PResult<'a, T>) -> PResult<'a, Vec<T>> {
    let (mut i, first) = item(i)?;
    let mut out = vec![first];
    while let Ok((rest, _)) = symbol(i, ",") {
        let (rest, next) = item(rest)?;
        out.push(next);
        i = rest;
    }
    Ok((i, out))
}

/// `hint.name = value` pairs, accepted for compatibility and otherwise unused.
pub fn hints(mut i: In) -> PResult<Vec<crate::syntax::ast::Hint>> {
    let mut out = Vec::new();
    while peek_str(&i).starts_with("hint.") {
        let t = trivia(i);
        let start = offset(&t);
        let after = t.take_from(5);
        let (rest, name) = cut(word(after))?;
        let (rest, _) = cut(symbol(rest, "="))?;
        let (rest, value) = cut(option_value(rest))?;
        out.push(crate::syntax::ast::Hint {
            name: Ident { name: format!("hint.{}", name.name), span: span(start, &rest) },
            value,
        });
        i = rest;
    }
    Ok((i, out))
}

/// The value of an option such as `kind=inner` or `hint.num_partitions=4`.
pub fn option_value(i: In) -> PResult<String> {
    let t = trivia(i);
    let s = *t.fragment();
    let len = s.char_indices().find(|&(_, c)| !(is_ident_char(c) || c == '.' || c == '-')).map_or(s.len(), |(n, _)| n);
    if len == 0 {
        if s.starts_with('"') || s.starts_with('\'') {
            let (rest, text) = crate::syntax::literal::string_literal(i)?;
            return Ok((rest, text));
        }
        return expected(i, "a value");
    }
    Ok((t.take_from(len), s[..len].to_string()))
}
