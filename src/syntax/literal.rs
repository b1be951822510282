//! Literals: numbers and timespans (`42`, `1.5`, `1e3`, `30m`, `1tick`),
//! strings in every Kusto quoting form, and the typed forms `datetime(…)`,
//! `time(…)`, `long(null)`, `dynamic(…)`, `guid(…)`.

use nom::{Err, Input};
use serde_json::{Map, Number, Value};

use crate::syntax::ast::{Literal, TypeName};
use crate::syntax::error::SyntaxError;
use crate::syntax::lex::{In, PResult, expected, is_ident_char, offset, symbol, trivia};
use crate::syntax::span::Span;
use crate::types::time;

fn failure<T>(span: Span, msg: impl Into<String>) -> PResult<'static, T> {
    Err(Err::Failure(SyntaxError::message(span, msg)))
}

/// A number, possibly with a timespan unit: `42`, `0x1F`, `1.5`, `1e-3`, `30m`.
pub fn number(i: In) -> PResult<(Literal, Span)> {
    let t = trivia(i);
    let s = *t.fragment();
    let b = s.as_bytes();
    let start = offset(&t);
    let starts_number = b.first().is_some_and(u8::is_ascii_digit)
        || (b.first() == Some(&b'.') && b.get(1).is_some_and(u8::is_ascii_digit));
    if !starts_number {
        return expected(i, "a number");
    }
    if (s.starts_with("0x") || s.starts_with("0X")) && b.get(2).is_some_and(u8::is_ascii_hexdigit) {
        let end = 2 + s[2..].find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(s.len() - 2);
        let sp = Span::new(start, start + end);
        let Ok(v) = i64::from_str_radix(&s[2..end], 16) else {
            return failure(sp, "hexadecimal literal out of range for `long`");
        };
        return Ok((t.take_from(end), (Literal::Long(v), sp)));
    }
    let mut n = 0;
    while n < b.len() && b[n].is_ascii_digit() {
        n += 1;
    }
    let mut is_real = false;
    if n < b.len() && b[n] == b'.' && b.get(n + 1).is_some_and(u8::is_ascii_digit) {
        is_real = true;
        n += 1;
        while n < b.len() && b[n].is_ascii_digit() {
            n += 1;
        }
    }
    if n < b.len() && (b[n] == b'e' || b[n] == b'E') {
        let mut k = n + 1;
        if k < b.len() && (b[k] == b'+' || b[k] == b'-') {
            k += 1;
        }
        if k < b.len() && b[k].is_ascii_digit() {
            while k < b.len() && b[k].is_ascii_digit() {
                k += 1;
            }
            is_real = true;
            n = k;
        }
    }
    let num = &s[..n];
    // A unit directly after the digits makes a timespan (`30m`, `1.5h`).
    let unit_len = s[n..].find(|c: char| !is_ident_char(c)).unwrap_or(s.len() - n);
    if unit_len > 0 {
        let unit = &s[n..n + unit_len];
        let sp = Span::new(start, start + n + unit_len);
        let Some(per) = time::unit_nanos(unit) else {
            return failure(
                Span::new(start + n, start + n + unit_len),
                format!("unknown timespan unit `{unit}` (use d, h, m, s, ms, microsecond or tick)"),
            );
        };
        let Some(v) = time::scale(num, per) else {
            return failure(sp, "timespan literal out of range");
        };
        return Ok((t.take_from(n + unit_len), (Literal::TimeSpan(v), sp)));
    }
    let sp = Span::new(start, start + n);
    let lit = if is_real {
        match num.parse::<f64>() {
            Ok(v) => Literal::Real(v),
            Err(_) => return failure(sp, "malformed real literal"),
        }
    } else {
        match num.parse::<i64>() {
            Ok(v) => Literal::Long(v),
            // Kusto reads integer literals beyond `long` as reals.
            Err(_) => Literal::Real(num.parse::<f64>().unwrap_or(f64::INFINITY)),
        }
    };
    Ok((t.take_from(n), (lit, sp)))
}

/// One or more adjacent string literals, concatenated (`"a" 'b'` is `"ab"`).
pub fn string_literal(i: In) -> PResult<String> {
    let (mut rest, mut text) = one_string(i)?;
    while let Ok((r, more)) = one_string(rest) {
        text.push_str(&more);
        rest = r;
    }
    Ok((rest, text))
}

pub fn at_string(i: &In) -> bool {
    let s = crate::syntax::lex::peek_str(i);
    let s = s.strip_prefix(['h', 'H']).unwrap_or(s);
    let s = s.strip_prefix('@').unwrap_or(s);
    s.starts_with('"') || s.starts_with('\'') || s.starts_with("```") || s.starts_with("~~~")
}

/// A single string literal: `"…"`, `'…'` (with `\` escapes), `@"…"` /
/// `@'…'` (verbatim; a doubled quote stands for one), ```` ```…``` ````
/// (multi-line), each optionally prefixed by `h` (an obfuscated string,
/// which kqlog treats as a plain one).
pub fn one_string(i: In) -> PResult<String> {
    let t = trivia(i);
    let s = *t.fragment();
    let start = offset(&t);
    let mut p = 0;
    if s.starts_with(['h', 'H']) && s[1..].starts_with(['"', '\'', '@']) {
        p = 1;
    }
    for fence in ["```", "~~~"] {
        if s[p..].starts_with(fence) {
            let body = &s[p + 3..];
            let Some(end) = body.find(fence) else {
                return Err(Err::Failure(
                    SyntaxError::expected(start + s.len(), format!("`{fence}` to close the string"))
                        .with_note(Span::new(start, start + p + 3), "string opened here"),
                ));
            };
            return Ok((t.take_from(p + 3 + end + 3), body[..end].to_string()));
        }
    }
    let verbatim = s[p..].starts_with('@');
    if verbatim {
        p += 1;
    }
    let quote = match s[p..].chars().next() {
        Some(q @ ('"' | '\'')) => q,
        _ => return expected(i, "a string"),
    };
    let open = Span::new(start, start + p + 1);
    let mut out = String::new();
    let mut chars = s[p + 1..].char_indices();
    let base = p + 1;
    while let Some((k, c)) = chars.next() {
        if c == quote {
            if verbatim && s[base + k + 1..].starts_with(quote) {
                out.push(quote);
                chars.next();
                continue;
            }
            return Ok((t.take_from(base + k + 1), out));
        }
        if c == '\n' && !verbatim {
            break;
        }
        if c == '\\' && !verbatim {
            let Some((_, e)) = chars.next() else { break };
            match e {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                '\\' => out.push('\\'),
                '"' => out.push('"'),
                '\'' => out.push('\''),
                'u' => {
                    let hex: String = chars.by_ref().take(4).map(|(_, c)| c).collect();
                    match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        Some(ch) => out.push(ch),
                        None => {
                            let at = start + base + k;
                            return failure(Span::new(at, at + 6), "malformed `\\u` escape: expected four hex digits");
                        }
                    }
                }
                other => {
                    // Kusto keeps unknown escapes as written (regex text relies on it).
                    out.push('\\');
                    out.push(other);
                }
            }
            continue;
        }
        out.push(c);
    }
    let end = start + s.find('\n').unwrap_or(s.len());
    Err(Err::Failure(
        SyntaxError::expected(end, format!("`{quote}` to close the string")).with_note(open, "string opened here"),
    ))
}

/// The raw text between `(` and the matching `)` of `datetime(…)` and friends.
fn paren_text(i: In) -> PResult<(String, Span)> {
    let (rest, open) = symbol(i, "(")?;
    let s = *rest.fragment();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (k, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') if depth == 0 => {
                let inner_start = open.end;
                let sp = Span::new(inner_start, inner_start + k);
                return Ok((rest.take_from(k + 1), (s[..k].to_string(), sp)));
            }
            (None, ')') => depth -= 1,
            _ => {}
        }
    }
    Err(Err::Failure(SyntaxError::expected(open.end + s.len(), "`)`").with_note(open, "`(` opened here")))
}

fn unquote(s: &str) -> &str {
    let t = s.trim();
    if t.len() >= 2 && ((t.starts_with('"') && t.ends_with('"')) || (t.starts_with('\'') && t.ends_with('\''))) {
        &t[1..t.len() - 1]
    } else {
        t
    }
}

/// The typed literal forms. `name` has been read already; `i` is at `(`.
pub fn typed_literal<'a>(i: In<'a>, ty: TypeName, name_span: Span) -> PResult<'a, (Literal, Span)> {
    if ty == TypeName::Dynamic {
        let (rest, open) = symbol(i, "(")?;
        let (rest, value) = json_value(rest)?;
        let (rest, _) = match symbol(rest, ")") {
            Ok(r) => r,
            Err(_) => {
                return Err(Err::Failure(
                    SyntaxError::expected(offset(&trivia(rest)), "`)` to close `dynamic(`")
                        .with_note(open, "`(` opened here"),
                ));
            }
        };
        let sp = Span::new(name_span.start, offset(&rest));
        return Ok((rest, (Literal::Dynamic(value), sp)));
    }
    let (rest, (text, inner)) = paren_text(i)?;
    let sp = Span::new(name_span.start, offset(&rest));
    let raw = text.trim();
    if raw == "null" {
        return Ok((rest, (Literal::Null(ty), sp)));
    }
    let body = unquote(raw);
    let bad = |what: &str| -> PResult<'a, (Literal, Span)> {
        Err(Err::Failure(SyntaxError::message(inner, format!("malformed {what} literal `{raw}`"))))
    };
    let lit = match ty {
        TypeName::DateTime => match time::parse_datetime(body) {
            Some(v) => Literal::DateTime(v),
            None if time::is_out_of_range(body) => {
                return Err(Err::Failure(
                    SyntaxError::message(
                        inner,
                        format!("datetime `{raw}` is outside the range kqlog supports ({})", time::DATETIME_RANGE),
                    )
                    .with_help(
                        "kqlog stores datetimes as nanoseconds since 1970; Kusto's wider range is not available",
                    ),
                ));
            }
            None => {
                return Err(Err::Failure(
                    SyntaxError::message(inner, format!("malformed datetime literal `{raw}`")).with_help(format!(
                        "use ISO 8601 such as `datetime(2026-11-03 12:00:00)`; kqlog's datetimes cover {}",
                        time::DATETIME_RANGE
                    )),
                ));
            }
        },
        TypeName::TimeSpan => match time::parse_timespan(body) {
            Some(v) => Literal::TimeSpan(v),
            None => return bad("timespan"),
        },
        TypeName::Bool => match body.to_ascii_lowercase().as_str() {
            "true" | "1" => Literal::Bool(true),
            "false" | "0" => Literal::Bool(false),
            _ => return bad("bool"),
        },
        TypeName::Int => match parse_int(body) {
            Some(v) if i32::try_from(v).is_ok() => Literal::Int(v as i32),
            _ => return bad("int"),
        },
        TypeName::Long => match parse_int(body) {
            Some(v) => Literal::Long(v),
            None => return bad("long"),
        },
        TypeName::Real => match parse_real(body) {
            Some(v) => Literal::Real(v),
            None => return bad("real"),
        },
        TypeName::Decimal => {
            if body.parse::<f64>().is_err() {
                return bad("decimal");
            }
            Literal::Decimal(body.to_string())
        }
        TypeName::Guid => {
            let hex: String = body.chars().filter(|c| *c != '-').collect();
            if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return bad("guid");
            }
            Literal::Guid(body.to_ascii_lowercase())
        }
        TypeName::String => Literal::String(body.to_string()),
        TypeName::Dynamic => unreachable_dynamic(),
    };
    Ok((rest, (lit, sp)))
}

// `dynamic` returns early above; this keeps the match exhaustive without a panic.
fn unreachable_dynamic() -> Literal {
    Literal::Null(TypeName::Dynamic)
}

fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, b) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let v = if let Some(h) = b.strip_prefix("0x").or_else(|| b.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()?
    } else {
        b.parse::<i64>().ok()?
    };
    Some(if neg { -v } else { v })
}

fn parse_real(s: &str) -> Option<f64> {
    match s.trim().to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        other => other.parse::<f64>().ok(),
    }
}

/// A JSON value as written inside `dynamic(…)`: JSON, plus single-quoted
/// strings, trailing commas and typed literals such as `datetime(…)`.
pub fn json_value(i: In) -> PResult<Value> {
    crate::syntax::expr::with_depth(i, json_value_inner)
}

fn json_value_inner(i: In) -> PResult<Value> {
    let t = trivia(i);
    let s = *t.fragment();
    match s.chars().next() {
        Some('[') => {
            let (mut rest, open) = symbol(t, "[")?;
            let mut items = Vec::new();
            loop {
                if let Ok((r, _)) = symbol(rest, "]") {
                    return Ok((r, Value::Array(items)));
                }
                let (r, v) = json_value(rest)?;
                items.push(v);
                rest = r;
                if let Ok((r, _)) = symbol(rest, ",") {
                    rest = r;
                } else if let Ok((r, _)) = symbol(rest, "]") {
                    return Ok((r, Value::Array(items)));
                } else {
                    return Err(Err::Failure(
                        SyntaxError::expected(offset(&trivia(rest)), "`,` or `]`").with_note(open, "`[` opened here"),
                    ));
                }
            }
        }
        Some('{') => {
            let (mut rest, open) = symbol(t, "{")?;
            let mut map = Map::new();
            loop {
                if let Ok((r, _)) = symbol(rest, "}") {
                    return Ok((r, Value::Object(map)));
                }
                let (r, key) = match one_string(rest) {
                    Ok(x) => x,
                    Err(_) => return Err(Err::Failure(SyntaxError::expected(offset(&trivia(rest)), "a quoted key"))),
                };
                let (r, _) = match symbol(r, ":") {
                    Ok(x) => x,
                    Err(_) => return Err(Err::Failure(SyntaxError::expected(offset(&trivia(r)), "`:`"))),
                };
                let (r, v) = json_value(r)?;
                map.insert(key, v);
                rest = r;
                if let Ok((r, _)) = symbol(rest, ",") {
                    rest = r;
                } else if let Ok((r, _)) = symbol(rest, "}") {
                    return Ok((r, Value::Object(map)));
                } else {
                    return Err(Err::Failure(
                        SyntaxError::expected(offset(&trivia(rest)), "`,` or `}`").with_note(open, "`{` opened here"),
                    ));
                }
            }
        }
        Some('"' | '\'' | '@') => {
            let (rest, text) = one_string(t)?;
            Ok((rest, Value::String(text)))
        }
        Some(c) if c == '-' || c == '+' || c.is_ascii_digit() || c == '.' => {
            let neg = c == '-';
            let after = if c == '-' || c == '+' { t.take_from(1) } else { t };
            let (rest, (lit, _)) = match number(after) {
                Ok(x) => x,
                Err(_) => return Err(Err::Failure(SyntaxError::expected(offset(&t), "a JSON value"))),
            };
            let v = match lit {
                Literal::Long(v) => Value::Number(Number::from(if neg { -v } else { v })),
                Literal::Real(v) => {
                    let v = if neg { -v } else { v };
                    Number::from_f64(v).map_or(Value::Null, Value::Number)
                }
                Literal::TimeSpan(v) => Value::String(time::format_timespan(if neg { -v } else { v })),
                _ => Value::Null,
            };
            Ok((rest, v))
        }
        _ => {
            let len = s.find(|c: char| !is_ident_char(c)).unwrap_or(s.len());
            let w = &s[..len];
            let rest = t.take_from(len);
            let start = offset(&t);
            let wspan = Span::new(start, start + len);
            match w {
                "null" => Ok((rest, Value::Null)),
                "true" => Ok((rest, Value::Bool(true))),
                "false" => Ok((rest, Value::Bool(false))),
                _ => {
                    if let Some(ty) = TypeName::parse(w)
                        && crate::syntax::lex::at_symbol(&rest, "(")
                    {
                        let (r, (lit, _)) = typed_literal(rest, ty, wspan)?;
                        return Ok((r, literal_to_json(&lit)));
                    }
                    Err(Err::Failure(SyntaxError::expected(start, "a JSON value")))
                }
            }
        }
    }
}

/// How a scalar literal looks inside a dynamic value.
pub fn literal_to_json(lit: &Literal) -> Value {
    match lit {
        Literal::Null(_) => Value::Null,
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Int(v) => Value::from(*v),
        Literal::Long(v) => Value::from(*v),
        Literal::Real(v) => Number::from_f64(*v).map_or(Value::Null, Value::Number),
        Literal::Decimal(s) => s.parse::<f64>().ok().and_then(Number::from_f64).map_or(Value::Null, Value::Number),
        Literal::String(s) | Literal::Guid(s) => Value::String(s.clone()),
        Literal::DateTime(v) => Value::String(time::format_datetime(*v)),
        Literal::TimeSpan(v) => Value::String(time::format_timespan(*v)),
        Literal::Dynamic(v) => v.clone(),
    }
}
