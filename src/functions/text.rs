//! Text, hashing, bit and network functions: `replace_strings`,
//! `translate`, `format_bytes`, `tohex`, `isascii`, `isutf8`, `new_guid`,
//! `hash_md5`/`hash_sha1`/`hash_sha256`, `binary_*`, `bitset_count_ones`,
//! `parse_csv`, `parse_command_line`, `parse_path`, the IPv4 functions,
//! `extract_json`, `parse_xml` and `parse_version`.

use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, BooleanBuilder, Decimal128Builder};
use arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{ScalarUDF, lit};
use serde_json::{Map, Value as Json};
use sha2::Digest;

use crate::diag::{Diagnostic, codes};
use crate::functions::convert;
use crate::functions::strings::{ArgKind, call_udf, map_dynamic, map_longs, map_strings};
use crate::functions::udf::{self, Args, Returns};
use crate::functions::{Call, Registry};
use crate::plan::typing;
use crate::plan::{PResult, Planner, Typed};
use crate::syntax::ast::{ExprKind, TypeName};
use crate::types::KType;

pub fn register(r: &mut Registry) {
    use ArgKind::{Long as L, Str as S};
    r.scalar(&["replace_strings"], 3, 3, replace_strings);
    r.scalar(&["translate"], 3, 3, |p, c| call_udf(p, c, &TRANSLATE, &[S, S, S], KType::String));
    r.scalar(&["format_bytes"], 1, 3, format_bytes);
    r.scalar(&["tohex"], 1, 2, |p, c| with_width(p, c, &TOHEX, KType::String));
    r.scalar(&["isascii"], 1, 1, |p, c| call_udf(p, c, &ISASCII, &[S], KType::Bool));
    r.scalar(&["isutf8"], 1, 1, |p, c| call_udf(p, c, &ISUTF8, &[S], KType::Bool));
    r.scalar(&["new_guid"], 0, 0, |_, _| Ok(Typed::new(udf::call(&NEW_GUID, Vec::new()), KType::Guid)));
    r.scalar(&["hash_md5"], 1, 1, |p, c| call_udf(p, c, &HASH_MD5, &[S], KType::String));
    r.scalar(&["hash_sha1"], 1, 1, |p, c| call_udf(p, c, &HASH_SHA1, &[S], KType::String));
    r.scalar(&["hash_sha256"], 1, 1, |p, c| call_udf(p, c, &HASH_SHA256, &[S], KType::String));
    r.scalar(&["binary_and"], 2, 2, |p, c| call_udf(p, c, &BINARY_AND, &[L, L], KType::Long));
    r.scalar(&["binary_or"], 2, 2, |p, c| call_udf(p, c, &BINARY_OR, &[L, L], KType::Long));
    r.scalar(&["binary_xor"], 2, 2, |p, c| call_udf(p, c, &BINARY_XOR, &[L, L], KType::Long));
    r.scalar(&["binary_not"], 1, 1, |p, c| call_udf(p, c, &BINARY_NOT, &[L], KType::Long));
    r.scalar(&["binary_shift_left"], 2, 2, |p, c| call_udf(p, c, &SHIFT_LEFT, &[L, L], KType::Long));
    r.scalar(&["binary_shift_right"], 2, 2, |p, c| call_udf(p, c, &SHIFT_RIGHT, &[L, L], KType::Long));
    r.scalar(&["bitset_count_ones"], 1, 1, |p, c| with_width(p, c, &COUNT_ONES, KType::Long));
    r.scalar(&["parse_csv"], 1, 1, |p, c| call_udf(p, c, &PARSE_CSV, &[S], KType::Dynamic));
    r.scalar(&["parse_command_line"], 2, 2, parse_command_line);
    r.scalar(&["parse_path"], 1, 1, |p, c| call_udf(p, c, &PARSE_PATH, &[S], KType::Dynamic));
    r.scalar(&["parse_ipv4"], 1, 1, |p, c| call_udf(p, c, &PARSE_IPV4, &[S], KType::Long));
    r.scalar(&["parse_ipv4_mask"], 2, 2, |p, c| call_udf(p, c, &PARSE_IPV4_MASK, &[S, L], KType::Long));
    r.scalar(&["ipv4_is_in_range"], 2, 2, |p, c| call_udf(p, c, &IPV4_IN_RANGE, &[S, S], KType::Bool));
    r.scalar(&["ipv4_is_private"], 1, 1, |p, c| call_udf(p, c, &IPV4_PRIVATE, &[S], KType::Bool));
    r.scalar(&["ipv4_compare"], 2, 3, |p, c| call_udf(p, c, &IPV4_COMPARE, &[S, S, L], KType::Long));
    r.scalar(&["extract_json", "extractjson"], 2, 3, extract_json);
    r.scalar(&["parse_xml"], 1, 1, |p, c| call_udf(p, c, &PARSE_XML, &[S], KType::Dynamic));
    r.scalar(&["parse_version"], 1, 1, |p, c| call_udf(p, c, &PARSE_VERSION, &[S], KType::Decimal));
}

// ---- Lowerings --------------------------------------------------------------

fn replace_strings(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let text = c.string_arg(p, 0)?;
    let lookups = typing::convert_to(c.arg(p, 1)?, KType::Dynamic).expr;
    let rewrites = typing::convert_to(c.arg(p, 2)?, KType::Dynamic).expr;
    Ok(Typed::new(udf::call(&REPLACE_STRINGS, vec![text, lookups, rewrites]), KType::String))
}

fn format_bytes(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let mut args = vec![c.arg_as(p, 0, KType::Real)?];
    if c.args.len() > 1 {
        args.push(c.arg_as(p, 1, KType::Long)?);
    }
    if c.args.len() > 2 {
        args.push(c.string_arg(p, 2)?);
    }
    Ok(Typed::new(udf::call(&FORMAT_BYTES, args), KType::String))
}

/// Calls `f(value, bits, rest…)`: an `int` is 32 bits wide and a `long` 64,
/// which decides the two's complement of negative values.
fn with_width(p: &mut Planner, c: &Call, f: &Arc<ScalarUDF>, ty: KType) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    let (value, bits) =
        if v.ty == KType::Int { (v.expr, 32i64) } else { (typing::convert_to(v, KType::Long).expr, 64i64) };
    let mut args = vec![value, lit(bits)];
    for k in 1..c.args.len() {
        args.push(c.arg_as(p, k, KType::Long)?);
    }
    Ok(Typed::new(udf::call(f, args), ty))
}

fn parse_command_line(p: &mut Planner, c: &Call) -> PResult<Typed> {
    if let Ok(kind) = c.const_string(p, 1)
        && !kind.eq_ignore_ascii_case("windows")
    {
        return Err(Diagnostic::new(
            codes::BAD_VALUE,
            format!("`parse_command_line()` supports only the \"windows\" parser, not \"{kind}\""),
        )
        .at(c.arg_span(1)));
    }
    call_udf(p, c, &PARSE_COMMAND_LINE, &[ArgKind::Str, ArgKind::Str], KType::Dynamic)
}

/// The type named by a `typeof(T)` argument.
pub(crate) fn type_literal(c: &Call, n: usize) -> PResult<KType> {
    if let Some(ExprKind::Call { name, args }) = c.args.get(n).map(|a| &a.kind)
        && name.name == "typeof"
        && args.len() == 1
        && let Some(ExprKind::Name(t)) = args.first().map(|a| &a.kind)
        && let Some(tn) = TypeName::parse(&t.name)
    {
        return Ok(KType::from_type_name(tn));
    }
    Err(Diagnostic::new(
        codes::BAD_ARGUMENTS,
        format!("argument {} of `{}()` must be `typeof(<type>)`", n + 1, c.name.name),
    )
    .at(c.arg_span(n)))
}

fn extract_json(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let target = if c.args.len() > 2 { Some(type_literal(c, 2)?) } else { None };
    let path = c.string_arg(p, 0)?;
    let source = c.string_arg(p, 1)?;
    Ok(match target {
        None | Some(KType::String) => Typed::new(udf::call(&EXTRACT_JSON, vec![path, source]), KType::String),
        // Keep the JSON itself: converting its text would re-read a string
        // value as JSON.
        Some(KType::Dynamic) => Typed::new(udf::call(&EXTRACT_JSON_DYNAMIC, vec![path, source]), KType::Dynamic),
        Some(k) => typing::convert_to(Typed::new(udf::call(&EXTRACT_JSON, vec![path, source]), KType::String), k),
    })
}

// ---- Column helpers ---------------------------------------------------------

fn map_bools(rows: usize, mut f: impl FnMut(usize) -> Option<bool>) -> ArrayRef {
    let mut b = BooleanBuilder::with_capacity(rows);
    for i in 0..rows {
        b.append_option(f(i));
    }
    Arc::new(b.finish())
}

/// Argument `n` as longs, one per row (all null when it is absent). Read
/// once per batch rather than per row.
fn longs(args: &Args, n: usize) -> Result<Vec<Option<i64>>> {
    if n >= args.len() {
        return Ok(vec![None; args.rows]);
    }
    if let Some(v) = args.const_i64(n) {
        return Ok(vec![v; args.rows]);
    }
    let a = args.array(n)?;
    let mut out = Vec::with_capacity(args.rows);
    for i in 0..args.rows {
        out.push(convert::to_long(convert::value_at(a.as_ref(), i)?));
    }
    Ok(out)
}

fn reals(args: &Args, n: usize) -> Result<Vec<Option<f64>>> {
    let a = args.array(n)?;
    let mut out = Vec::with_capacity(args.rows);
    for i in 0..args.rows {
        out.push(convert::to_real(convert::value_at(a.as_ref(), i)?));
    }
    Ok(out)
}

// ---- replace_strings, translate --------------------------------------------

/// Lookup strings with their rewrites (`None`: a non-string rewrite, which
/// keeps the matched text). Non-string and empty lookups are dropped.
type Rewrites = Vec<(String, Option<String>)>;

fn rewrite_pairs(lookups: &str, rewrites: &str) -> Rewrites {
    let lookups = match serde_json::from_str(lookups) {
        Ok(Json::Array(a)) => a,
        _ => Vec::new(),
    };
    let rewrites = match serde_json::from_str(rewrites) {
        Ok(Json::Array(a)) => a,
        _ => Vec::new(),
    };
    lookups
        .iter()
        .enumerate()
        .filter_map(|(k, l)| match l {
            Json::String(s) if !s.is_empty() => {
                let to = match rewrites.get(k) {
                    Some(Json::String(t)) => Some(t.clone()),
                    _ => None,
                };
                Some((s.clone(), to))
            }
            _ => None,
        })
        .collect()
}

/// One pass over `text`: each lookup, in array order, claims its matches
/// that do not overlap a match claimed before it (Kusto: "the earlier match
/// takes precedence", so `["is", "This"]` turns "This" into "Thwas").
pub fn replace_strings_in(text: &str, pairs: &[(String, Option<String>)], out: &mut String) {
    let mut taken: Vec<(usize, usize, usize)> = Vec::new();
    for (k, (lookup, _)) in pairs.iter().enumerate() {
        let mut from = 0;
        while let Some(off) = text.get(from..).and_then(|t| t.find(lookup.as_str())) {
            let start = from + off;
            let end = start + lookup.len();
            if taken.iter().any(|&(s, e, _)| start < e && s < end) {
                from = start + text[start..].chars().next().map_or(1, char::len_utf8);
            } else {
                taken.push((start, end, k));
                from = end;
            }
        }
    }
    taken.sort_unstable();
    let mut at = 0;
    for (s, e, k) in taken {
        out.push_str(&text[at..s]);
        match pairs.get(k).and_then(|p| p.1.as_deref()) {
            Some(r) => out.push_str(r),
            None => out.push_str(&text[s..e]),
        }
        at = e;
    }
    out.push_str(&text[at..]);
}

fn eval_replace_strings(args: &Args) -> Result<ArrayRef> {
    let text = args.str(0)?;
    let lookups = args.str(1)?;
    let rewrites = args.str(2)?;
    // The arrays are nearly always constants: parse them once.
    let mut cache: Option<(String, String, Rewrites)> = None;
    Ok(map_strings(args.rows, |i, out| {
        let (l, r) = (lookups.text(i), rewrites.text(i));
        if cache.as_ref().is_none_or(|(cl, cr, _)| cl != l || cr != r) {
            cache = Some((l.to_string(), r.to_string(), rewrite_pairs(l, r)));
        }
        let pairs = cache.as_ref().map_or(&[][..], |(_, _, p)| p.as_slice());
        replace_strings_in(text.text(i), pairs, out);
        true
    }))
}

/// Maps each character of `search` to the one at the same place in
/// `replace`; a short `replace` repeats its last character, an empty one
/// deletes.
pub fn translate(search: &str, replace: &str, source: &str, out: &mut String) {
    let search: Vec<char> = search.chars().collect();
    let replace: Vec<char> = replace.chars().collect();
    for c in source.chars() {
        match search.iter().position(|&s| s == c) {
            None => out.push(c),
            Some(k) => {
                if let Some(r) = replace.get(k).or(replace.last()) {
                    out.push(*r);
                }
            }
        }
    }
}

fn eval_translate(args: &Args) -> Result<ArrayRef> {
    let search = args.str(0)?;
    let replace = args.str(1)?;
    let source = args.str(2)?;
    Ok(map_strings(args.rows, |i, out| {
        translate(search.text(i), replace.text(i), source.text(i), out);
        true
    }))
}

// ---- format_bytes, tohex, character tests, hashes, bits --------------------

const BYTE_UNITS: [&str; 7] = ["Bytes", "KB", "MB", "GB", "TB", "PB", "EB"];

/// `564 Bytes`, `10.1 KB`: powers of 1024, `precision` digits after the
/// point (trailing zeros dropped), the unit picked from the size unless
/// `units` names one.
pub fn format_bytes_text(size: f64, precision: i64, units: &str) -> Option<String> {
    if !size.is_finite() {
        return None;
    }
    let k = match BYTE_UNITS.iter().position(|u| u.eq_ignore_ascii_case(units.trim())) {
        Some(k) => k,
        None => {
            let mut k = 0;
            let mut a = size.abs();
            while a >= 1024.0 && k < BYTE_UNITS.len() - 1 {
                a /= 1024.0;
                k += 1;
            }
            k
        }
    };
    let v = size / 1024f64.powi(k as i32);
    let digits = precision.clamp(0, 15) as usize;
    let mut text = format!("{v:.digits$}");
    if text.contains('.') {
        let trimmed = text.trim_end_matches('0').trim_end_matches('.').len();
        text.truncate(trimmed);
    }
    if text == "-0" {
        text = "0".into();
    }
    Some(format!("{text} {}", BYTE_UNITS.get(k).copied().unwrap_or("Bytes")))
}

fn eval_format_bytes(args: &Args) -> Result<ArrayRef> {
    let sizes = reals(args, 0)?;
    let precision = longs(args, 1)?;
    let units = if args.len() > 2 { Some(args.str(2)?) } else { None };
    Ok(map_strings(args.rows, |i, out| {
        let Some(size) = sizes[i] else { return false };
        let unit = units.as_ref().map_or("", |u| u.text(i));
        match format_bytes_text(size, precision[i].unwrap_or(0), unit) {
            Some(t) => {
                out.push_str(&t);
                true
            }
            None => false,
        }
    }))
}

/// Lower-case hex; negative values in two's complement of their width.
/// `min_length` (capped at 16) pads with leading zeros.
pub fn to_hex(v: i64, bits: i64, min_length: Option<i64>) -> String {
    let text = if bits == 32 { format!("{:x}", v as i32 as u32) } else { format!("{:x}", v as u64) };
    let width = min_length.unwrap_or(0).clamp(0, 16) as usize;
    format!("{text:0>width$}")
}

fn eval_tohex(args: &Args) -> Result<ArrayRef> {
    let values = longs(args, 0)?;
    let bits = longs(args, 1)?;
    let min = longs(args, 2)?;
    Ok(map_strings(args.rows, |i, out| match values[i] {
        Some(v) => {
            out.push_str(&to_hex(v, bits[i].unwrap_or(64), min[i]));
            true
        }
        None => false,
    }))
}

fn eval_isascii(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    Ok(map_bools(args.rows, |i| Some(s.text(i).is_ascii())))
}

/// Arrow strings are valid UTF-8 by construction, so every value is.
fn eval_isutf8(args: &Args) -> Result<ArrayRef> {
    Ok(map_bools(args.rows, |_| Some(true)))
}

fn eval_new_guid(args: &Args) -> Result<ArrayRef> {
    Ok(map_strings(args.rows, |_, out| {
        out.push_str(&uuid::Uuid::new_v4().to_string());
        true
    }))
}

fn eval_hash<D: Digest>(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    Ok(map_strings(args.rows, |i, out| {
        out.push_str(&hex::encode(D::digest(s.text(i).as_bytes())));
        true
    }))
}

fn eval_binary(args: &Args, f: fn(i64, i64) -> i64) -> Result<ArrayRef> {
    let a = longs(args, 0)?;
    let b = longs(args, 1)?;
    Ok(map_longs(args.rows, |i| Some(f(a[i]?, b[i]?))))
}

fn eval_binary_not(args: &Args) -> Result<ArrayRef> {
    let a = longs(args, 0)?;
    Ok(map_longs(args.rows, |i| a[i].map(|v| !v)))
}

/// Shift counts wrap at 64, as in .NET.
fn shift_count(n: i64) -> u32 {
    (n & 63) as u32
}

fn eval_count_ones(args: &Args) -> Result<ArrayRef> {
    let values = longs(args, 0)?;
    let bits = longs(args, 1)?;
    Ok(map_longs(args.rows, |i| {
        let v = values[i]?;
        let ones = if bits[i] == Some(32) { (v as i32 as u32).count_ones() } else { (v as u64).count_ones() };
        Some(i64::from(ones))
    }))
}

// ---- parse_csv, parse_command_line, parse_path ------------------------------

/// The fields of the first record of RFC 4180 CSV text: a quoted field may
/// hold commas, line breaks and `""` for a quote.
pub fn parse_csv(s: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    let mut quoted = false;
    let mut field_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    cur.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
            continue;
        }
        match c {
            '"' if field_start => {
                quoted = true;
                field_start = false;
            }
            ',' => {
                fields.push(std::mem::take(&mut cur));
                field_start = true;
            }
            // Only the first record counts.
            '\n' | '\r' => break,
            c => {
                cur.push(c);
                field_start = false;
            }
        }
    }
    fields.push(cur);
    fields
}

fn eval_parse_csv(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    Ok(map_dynamic(args.rows, |i| Some(Json::from(parse_csv(s.text(i))).to_string())))
}

/// Splits a command line as Windows' `CommandLineToArgvW` does: the program
/// name ends at whitespace or its closing quote; later arguments follow the
/// backslash-and-quote rules (2n backslashes + `"` → n backslashes and a
/// quote toggle, 2n+1 → n backslashes and a literal `"`, `"""` in quotes →
/// a literal `"`). Leading whitespace is skipped; empty text has no
/// arguments.
pub fn command_line_args(s: &str) -> Vec<String> {
    let is_ws = |c: char| c == ' ' || c == '\t';
    let chars: Vec<char> = s.trim_start_matches(is_ws).chars().collect();
    let n = chars.len();
    let mut args = Vec::new();
    if n == 0 {
        return args;
    }
    let mut i = 0;
    let mut cur = String::new();
    if chars[0] == '"' {
        i = 1;
        while i < n && chars[i] != '"' {
            cur.push(chars[i]);
            i += 1;
        }
        if i < n {
            i += 1;
        }
    } else {
        while i < n && !is_ws(chars[i]) {
            cur.push(chars[i]);
            i += 1;
        }
    }
    args.push(std::mem::take(&mut cur));
    while i < n && is_ws(chars[i]) {
        i += 1;
    }
    if i >= n {
        return args;
    }
    let mut quotes = 0u32;
    let mut backslashes = 0usize;
    while i < n {
        let c = chars[i];
        if is_ws(c) && quotes == 0 {
            args.push(std::mem::take(&mut cur));
            backslashes = 0;
            while i < n && is_ws(chars[i]) {
                i += 1;
            }
            if i >= n {
                return args;
            }
            continue;
        }
        i += 1;
        match c {
            '\\' => {
                cur.push('\\');
                backslashes += 1;
            }
            '"' => {
                // The backslashes just pushed are one byte each.
                if backslashes.is_multiple_of(2) {
                    cur.truncate(cur.len() - backslashes / 2);
                    quotes += 1;
                } else {
                    cur.truncate(cur.len() - backslashes / 2 - 1);
                    cur.push('"');
                }
                backslashes = 0;
                while i < n && chars[i] == '"' {
                    quotes += 1;
                    if quotes == 3 {
                        cur.push('"');
                        quotes = 0;
                    }
                    i += 1;
                }
                if quotes == 2 {
                    quotes = 0;
                }
            }
            c => {
                cur.push(c);
                backslashes = 0;
            }
        }
    }
    args.push(cur);
    args
}

fn eval_parse_command_line(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    let kind = args.str(1)?;
    Ok(map_dynamic(args.rows, |i| {
        if !kind.text(i).eq_ignore_ascii_case("windows") {
            return None;
        }
        Some(Json::from(command_line_args(s.text(i))).to_string())
    }))
}

/// Kusto's `parse_path` bag. Both slash kinds separate; a `scheme://`
/// prefix, a drive root (`C:`, also after a `\\?\` long-path prefix) and an
/// alternate data stream (`file.txt:stream`) are split off.
pub fn parse_path(p: &str) -> Json {
    let is_sep = |c: char| c == '/' || c == '\\';
    let (scheme, rest) = match p.find("://") {
        Some(k) if k > 0 && p[..k].chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) => {
            (&p[..k], &p[k + 3..])
        }
        _ => ("", p),
    };
    let body = rest.strip_prefix(r"\\?\").unwrap_or(rest);
    let b = body.as_bytes();
    let root = if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' { &body[..2] } else { "" };
    let (dir, file) = match rest.rfind(is_sep) {
        Some(k) => {
            let dir = &rest[..k];
            // A file right under a root keeps the separator: `C:\`, `/`.
            let dir = if dir.is_empty() || dir == root || dir.ends_with(':') { &rest[..k + 1] } else { dir };
            (dir, &rest[k + 1..])
        }
        None if !root.is_empty() && rest.len() >= root.len() => ("", &body[root.len()..]),
        None => ("", rest),
    };
    let dir_name = dir.trim_end_matches(is_sep).rsplit(is_sep).next().unwrap_or("");
    let dir_name = if dir_name.ends_with(':') { "" } else { dir_name };
    let (file, stream) = file.split_once(':').unwrap_or((file, ""));
    let extension = file.rsplit_once('.').map_or("", |(_, e)| e);
    let mut m = Map::new();
    m.insert("Scheme".into(), scheme.into());
    m.insert("RootPath".into(), root.into());
    m.insert("DirectoryPath".into(), dir.into());
    m.insert("DirectoryName".into(), dir_name.into());
    m.insert("Filename".into(), file.into());
    m.insert("Extension".into(), extension.into());
    m.insert("AlternateDataStreamName".into(), stream.into());
    Json::Object(m)
}

fn eval_parse_path(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    Ok(map_dynamic(args.rows, |i| Some(parse_path(s.text(i)).to_string())))
}

// ---- IPv4 -------------------------------------------------------------------

/// An IPv4 address in dotted-decimal form with its prefix length (32
/// without a `/n` suffix).
pub fn parse_ipv4_prefix(s: &str) -> Option<(u32, u32)> {
    let s = s.trim();
    let (ip, prefix) = match s.split_once('/') {
        Some((ip, p)) => {
            let p = p.trim();
            if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let n: u32 = p.parse().ok()?;
            if n > 32 {
                return None;
            }
            (ip.trim(), n)
        }
        None => (s, 32),
    };
    let mut addr: u32 = 0;
    let mut parts = 0;
    for part in ip.split('.') {
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let v: u32 = part.parse().ok()?;
        if v > 255 || parts == 4 {
            return None;
        }
        addr = (addr << 8) | v;
        parts += 1;
    }
    if parts != 4 {
        return None;
    }
    Some((addr, prefix))
}

pub fn ipv4_mask(prefix: u32) -> u32 {
    if prefix == 0 { 0 } else { u32::MAX << (32 - prefix.min(32)) }
}

/// The network address of an address with an optional `/n` prefix.
pub fn parse_ipv4(s: &str) -> Option<u32> {
    let (a, p) = parse_ipv4_prefix(s)?;
    Some(a & ipv4_mask(p))
}

fn prefix_arg(n: Option<i64>) -> Option<u32> {
    n.and_then(|n| u32::try_from(n).ok()).filter(|n| *n <= 32)
}

fn eval_parse_ipv4(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    Ok(map_longs(args.rows, |i| parse_ipv4(s.text(i)).map(i64::from)))
}

fn eval_parse_ipv4_mask(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    let prefixes = longs(args, 1)?;
    Ok(map_longs(args.rows, |i| {
        let (a, own) = parse_ipv4_prefix(s.text(i))?;
        let p = prefix_arg(prefixes[i])?;
        Some(i64::from(a & ipv4_mask(own.min(p))))
    }))
}

/// Whether `ip` (with its own prefix applied) lies in `range`'s network.
pub fn ipv4_in_range(ip: &str, range: &str) -> Option<bool> {
    let a = parse_ipv4(ip)?;
    let (r, p) = parse_ipv4_prefix(range)?;
    let m = ipv4_mask(p);
    Some(a & m == r & m)
}

fn eval_ipv4_in_range(args: &Args) -> Result<ArrayRef> {
    let ip = args.str(0)?;
    let range = args.str(1)?;
    Ok(map_bools(args.rows, |i| ipv4_in_range(ip.text(i), range.text(i))))
}

pub fn ipv4_is_private(ip: &str) -> Option<bool> {
    let a = parse_ipv4(ip)?;
    let within = |net: u32, p: u32| a & ipv4_mask(p) == net;
    Some(within(0x0A00_0000, 8) || within(0xAC10_0000, 12) || within(0xC0A8_0000, 16))
}

fn eval_ipv4_private(args: &Args) -> Result<ArrayRef> {
    let ip = args.str(0)?;
    Ok(map_bools(args.rows, |i| ipv4_is_private(ip.text(i))))
}

/// -1, 0 or 1, comparing under the smallest of both prefixes and `prefix`.
pub fn ipv4_compare(a: &str, b: &str, prefix: Option<u32>) -> Option<i64> {
    let (x, px) = parse_ipv4_prefix(a)?;
    let (y, py) = parse_ipv4_prefix(b)?;
    let m = ipv4_mask(px.min(py).min(prefix.unwrap_or(32)));
    Some((x & m).cmp(&(y & m)) as i64)
}

fn eval_ipv4_compare(args: &Args) -> Result<ArrayRef> {
    let a = args.str(0)?;
    let b = args.str(1)?;
    let has_prefix = args.len() > 2;
    let prefixes = longs(args, 2)?;
    Ok(map_longs(args.rows, |i| {
        let p = if has_prefix { Some(prefix_arg(prefixes[i])?) } else { None };
        ipv4_compare(a.text(i), b.text(i), p)
    }))
}

// ---- extract_json -----------------------------------------------------------

#[derive(Debug, PartialEq)]
pub enum PathStep {
    Key(String),
    Index(usize),
}

/// A JSONPath of member and index steps: `$.a.b`, `$.a[0]`, `$['a']`,
/// `$["a"]`. Wildcards, slices, filters and `..` are not supported (the
/// path is refused: the result is null).
pub fn parse_json_path(p: &str) -> Option<Vec<PathStep>> {
    let chars: Vec<char> = p.trim().strip_prefix('$')?.chars().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                i += 1;
                let start = i;
                while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                    i += 1;
                }
                let name: String = chars[start..i].iter().collect();
                if name.is_empty() || name == "*" {
                    return None;
                }
                steps.push(PathStep::Key(name));
            }
            '[' => {
                i += 1;
                match chars.get(i).copied() {
                    Some(q @ ('\'' | '"')) => {
                        i += 1;
                        let mut name = String::new();
                        loop {
                            match chars.get(i).copied() {
                                None => return None,
                                Some(c) if c == q => {
                                    i += 1;
                                    break;
                                }
                                Some('\\') => {
                                    name.push(*chars.get(i + 1)?);
                                    i += 2;
                                }
                                Some(c) => {
                                    name.push(c);
                                    i += 1;
                                }
                            }
                        }
                        if chars.get(i) != Some(&']') {
                            return None;
                        }
                        i += 1;
                        steps.push(PathStep::Key(name));
                    }
                    _ => {
                        let start = i;
                        while i < chars.len() && chars[i] != ']' {
                            i += 1;
                        }
                        if i >= chars.len() {
                            return None;
                        }
                        let index: String = chars[start..i].iter().collect();
                        let index = index.trim();
                        if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
                            return None;
                        }
                        steps.push(PathStep::Index(index.parse().ok()?));
                        i += 1;
                    }
                }
            }
            _ => return None,
        }
    }
    Some(steps)
}

pub fn json_path_get<'v>(v: &'v Json, steps: &[PathStep]) -> Option<&'v Json> {
    let mut cur = v;
    for s in steps {
        cur = match (cur, s) {
            (Json::Object(m), PathStep::Key(k)) => m.get(k)?,
            (Json::Array(a), PathStep::Index(n)) => a.get(*n)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// The value at the path of row `i`: as text (a string's content, other
/// values as compact JSON) or, with `as_json`, as JSON.
fn eval_extract_json_as(args: &Args, as_json: bool) -> Result<ArrayRef> {
    let paths = args.str(0)?;
    let docs = args.str(1)?;
    let mut cache: Option<(String, Option<Vec<PathStep>>)> = None;
    let mut find = move |i: usize| -> Option<String> {
        let path = paths.text(i);
        if cache.as_ref().is_none_or(|(p, _)| p != path) {
            cache = Some((path.to_string(), parse_json_path(path)));
        }
        let steps = cache.as_ref()?.1.as_ref()?;
        let doc: Json = serde_json::from_str(docs.get(i)?).ok()?;
        match json_path_get(&doc, steps)? {
            Json::Null => None,
            Json::String(s) if !as_json => Some(s.clone()),
            v => Some(v.to_string()),
        }
    };
    if as_json {
        return Ok(map_dynamic(args.rows, find));
    }
    Ok(map_strings(args.rows, |i, out| match find(i) {
        Some(t) => {
            out.push_str(&t);
            true
        }
        None => false,
    }))
}

// ---- parse_xml ----------------------------------------------------------------

pub mod xml {
    //! A small XML reader for `parse_xml`, mapping a document to JSON the
    //! way Kusto does (the Json.NET convention): attributes become `@name`
    //! members, text `#text`, repeated child elements an array, `<e/>`
    //! null and a text-only element its text. Comments, processing
    //! instructions and the DOCTYPE are skipped; CDATA counts as text.

    use serde_json::{Map, Value as Json};

    /// Kusto converts at most 1 MB of text; longer input is null.
    const MAX_LEN: usize = 1 << 20;
    /// Deeper nesting is refused (null) rather than risking the stack.
    const MAX_DEPTH: usize = 512;

    pub fn parse(s: &str) -> Option<Json> {
        if s.len() > MAX_LEN {
            return None;
        }
        let mut r = Reader { s, i: 0 };
        r.eat("\u{feff}");
        r.skip_misc()?;
        if !r.at("<") {
            return None;
        }
        let (name, value) = r.element(0)?;
        r.skip_misc()?;
        if r.i != s.len() {
            return None;
        }
        let mut m = Map::new();
        m.insert(name, value);
        Some(Json::Object(m))
    }

    fn is_ws(c: char) -> bool {
        matches!(c, ' ' | '\t' | '\r' | '\n')
    }

    /// Replaces the five predefined entities and character references;
    /// any other `&` makes the document invalid.
    pub fn unescape(s: &str) -> Option<String> {
        if !s.contains('&') {
            return Some(s.to_string());
        }
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(k) = rest.find('&') {
            out.push_str(&rest[..k]);
            let after = &rest[k + 1..];
            let end = after.find(';')?;
            let entity = &after[..end];
            let c = match entity {
                "lt" => '<',
                "gt" => '>',
                "amp" => '&',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let code = if let Some(h) = entity.strip_prefix("#x").or_else(|| entity.strip_prefix("#X")) {
                        if h.is_empty() || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                            return None;
                        }
                        u32::from_str_radix(h, 16).ok()?
                    } else if let Some(d) = entity.strip_prefix('#') {
                        if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
                            return None;
                        }
                        d.parse().ok()?
                    } else {
                        return None;
                    };
                    char::from_u32(code)?
                }
            };
            out.push(c);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Some(out)
    }

    /// Members in document order; a name seen again collects its values.
    type Members = Vec<(String, Vec<Json>)>;

    fn add(members: &mut Members, name: String, value: Json) {
        match members.iter_mut().find(|(n, _)| *n == name) {
            Some((_, values)) => values.push(value),
            None => members.push((name, vec![value])),
        }
    }

    fn object(members: Members) -> Json {
        let mut m = Map::new();
        for (name, mut values) in members {
            let v = if values.len() == 1 { values.pop().unwrap_or(Json::Null) } else { Json::Array(values) };
            m.insert(name, v);
        }
        Json::Object(m)
    }

    /// A finished text node; whitespace-only text is not significant.
    fn flush_text(members: &mut Members, text: &mut String) {
        if !text.chars().all(is_ws) {
            add(members, "#text".into(), Json::String(std::mem::take(text)));
        }
        text.clear();
    }

    struct Reader<'a> {
        s: &'a str,
        i: usize,
    }

    impl<'a> Reader<'a> {
        fn rest(&self) -> &'a str {
            self.s.get(self.i..).unwrap_or("")
        }

        fn at(&self, p: &str) -> bool {
            self.rest().starts_with(p)
        }

        fn eat(&mut self, p: &str) -> bool {
            if self.at(p) {
                self.i += p.len();
                true
            } else {
                false
            }
        }

        fn skip_ws(&mut self) {
            let r = self.rest();
            self.i += r.len() - r.trim_start_matches(is_ws).len();
        }

        fn skip_past(&mut self, end: &str) -> Option<()> {
            let k = self.rest().find(end)?;
            self.i += k + end.len();
            Some(())
        }

        /// What may surround the root element: whitespace, comments,
        /// processing instructions (the `<?xml …?>` declaration) and a
        /// DOCTYPE.
        fn skip_misc(&mut self) -> Option<()> {
            loop {
                self.skip_ws();
                if self.eat("<?") {
                    self.skip_past("?>")?;
                } else if self.eat("<!--") {
                    self.skip_past("-->")?;
                } else if self.eat("<!DOCTYPE") {
                    // An internal subset `[…]` may hold `>` characters.
                    let r = self.rest();
                    let gt = r.find('>')?;
                    let end = match r.find('[') {
                        Some(b) if b < gt => {
                            let close = r[b..].find(']')? + b;
                            r[close..].find('>')? + close
                        }
                        _ => gt,
                    };
                    self.i += end + 1;
                } else {
                    return Some(());
                }
            }
        }

        fn name(&mut self) -> Option<&'a str> {
            let r = self.rest();
            let end =
                r.find(|c: char| is_ws(c) || matches!(c, '/' | '>' | '=' | '<' | '"' | '\'' | '&')).unwrap_or(r.len());
            let n = &r[..end];
            let first = n.chars().next()?;
            if first.is_ascii_digit() || matches!(first, '-' | '.') {
                return None;
            }
            self.i += end;
            Some(n)
        }

        /// One element, from its `<`: its name and JSON value.
        fn element(&mut self, depth: usize) -> Option<(String, Json)> {
            if depth > MAX_DEPTH || !self.eat("<") {
                return None;
            }
            let name = self.name()?;
            let mut members: Members = Vec::new();
            let self_closing = loop {
                let before = self.i;
                self.skip_ws();
                if self.eat("/>") {
                    break true;
                }
                if self.eat(">") {
                    break false;
                }
                // Attributes are separated by whitespace.
                if self.i == before {
                    return None;
                }
                let attr = self.name()?;
                self.skip_ws();
                if !self.eat("=") {
                    return None;
                }
                self.skip_ws();
                let quote = self.rest().chars().next().filter(|q| *q == '"' || *q == '\'')?;
                self.i += 1;
                let r = self.rest();
                let end = r.find(quote)?;
                let raw = &r[..end];
                if raw.contains('<') {
                    return None;
                }
                let value = unescape(raw)?;
                self.i += end + 1;
                let key = format!("@{attr}");
                if members.iter().any(|(k, _)| *k == key) {
                    return None;
                }
                members.push((key, vec![Json::String(value)]));
            };
            let attributes = members.len();
            if self_closing {
                let v = if attributes == 0 { Json::Null } else { object(members) };
                return Some((name.to_string(), v));
            }
            let mut text = String::new();
            let mut children = false;
            loop {
                if self.i >= self.s.len() {
                    return None;
                }
                if self.eat("</") {
                    if self.name()? != name {
                        return None;
                    }
                    self.skip_ws();
                    if !self.eat(">") {
                        return None;
                    }
                    break;
                } else if self.eat("<!--") {
                    self.skip_past("-->")?;
                } else if self.eat("<![CDATA[") {
                    let r = self.rest();
                    let k = r.find("]]>")?;
                    text.push_str(&r[..k]);
                    self.i += k + 3;
                } else if self.eat("<?") {
                    self.skip_past("?>")?;
                } else if self.at("<") {
                    flush_text(&mut members, &mut text);
                    let (child, value) = self.element(depth + 1)?;
                    add(&mut members, child, value);
                    children = true;
                } else {
                    let r = self.rest();
                    let k = r.find('<').unwrap_or(r.len());
                    text.push_str(&unescape(&r[..k])?);
                    self.i += k;
                }
            }
            flush_text(&mut members, &mut text);
            let value = if members.is_empty() {
                // `<e></e>` (unlike `<e/>`) is an empty string.
                Json::String(String::new())
            } else if attributes == 0 && !children && members.len() == 1 {
                match members.pop() {
                    Some((_, mut texts)) if texts.len() == 1 => texts.pop().unwrap_or(Json::Null),
                    Some(m) => object(vec![m]),
                    None => Json::Null,
                }
            } else {
                if children {
                    // Text between child elements is trimmed, as Kusto's
                    // documented `<e> text <a>…</a> </e>` → `"#text": "text"`.
                    for (key, values) in &mut members {
                        if key.as_str() == "#text" {
                            for v in values.iter_mut() {
                                if let Json::String(t) = v {
                                    *t = t.trim_matches(is_ws).to_string();
                                }
                            }
                        }
                    }
                }
                object(members)
            };
            Some((name.to_string(), value))
        }
    }
}

fn eval_parse_xml(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    Ok(map_dynamic(args.rows, |i| xml::parse(s.text(i)).map(|j| j.to_string())))
}

// ---- parse_version ----------------------------------------------------------

/// One to four dot-separated parts of up to eight digits each, as the
/// integer `p1·10²⁴ + p2·10¹⁶ + p3·10⁸ + p4` (missing parts are 0), so
/// that versions compare as numbers.
pub fn parse_version(s: &str) -> Option<i128> {
    let parts: Vec<&str> = s.trim().split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let mut v: i128 = 0;
    for k in 0..4 {
        let part = match parts.get(k) {
            Some(p) => {
                if p.is_empty() || p.len() > 8 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                p.parse::<i128>().ok()?
            }
            None => 0,
        };
        v = v * 100_000_000 + part;
    }
    Some(v)
}

/// The value needs up to 32 integer digits, more than kqlog's
/// `Decimal128(38, 18)` holds, so the column is `Decimal128(38, 0)`.
fn eval_parse_version(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    let mut b = Decimal128Builder::with_capacity(args.rows).with_precision_and_scale(38, 0)?;
    for i in 0..args.rows {
        b.append_option(parse_version(s.text(i)));
    }
    Ok(Arc::new(b.finish()))
}

// ---- UDFs -------------------------------------------------------------------

macro_rules! text_udfs {
    ($($static:ident = $name:literal, $ret:expr, $eval:expr;)*) => {
        $(
            pub static $static: LazyLock<Arc<ScalarUDF>> =
                LazyLock::new(|| udf::make($name, Returns::Fixed($ret), false, $eval));
        )*
    };
}

text_udfs! {
    REPLACE_STRINGS = "kql_replace_strings", DataType::Utf8, eval_replace_strings;
    TRANSLATE = "kql_translate", DataType::Utf8, eval_translate;
    FORMAT_BYTES = "kql_format_bytes", DataType::Utf8, eval_format_bytes;
    TOHEX = "kql_tohex", DataType::Utf8, eval_tohex;
    ISASCII = "kql_isascii", DataType::Boolean, eval_isascii;
    ISUTF8 = "kql_isutf8", DataType::Boolean, eval_isutf8;
    HASH_MD5 = "kql_hash_md5", DataType::Utf8, eval_hash::<md5::Md5>;
    HASH_SHA1 = "kql_hash_sha1", DataType::Utf8, eval_hash::<sha1::Sha1>;
    HASH_SHA256 = "kql_hash_sha256", DataType::Utf8, eval_hash::<sha2::Sha256>;
    BINARY_AND = "kql_binary_and", DataType::Int64, |a| eval_binary(a, |x, y| x & y);
    BINARY_OR = "kql_binary_or", DataType::Int64, |a| eval_binary(a, |x, y| x | y);
    BINARY_XOR = "kql_binary_xor", DataType::Int64, |a| eval_binary(a, |x, y| x ^ y);
    BINARY_NOT = "kql_binary_not", DataType::Int64, eval_binary_not;
    SHIFT_LEFT = "kql_binary_shift_left", DataType::Int64, |a| eval_binary(a, |x, n| x.wrapping_shl(shift_count(n)));
    SHIFT_RIGHT = "kql_binary_shift_right", DataType::Int64, |a| eval_binary(a, |x, n| x.wrapping_shr(shift_count(n)));
    COUNT_ONES = "kql_bitset_count_ones", DataType::Int64, eval_count_ones;
    PARSE_CSV = "kql_parse_csv", DataType::LargeUtf8, eval_parse_csv;
    PARSE_COMMAND_LINE = "kql_parse_command_line", DataType::LargeUtf8, eval_parse_command_line;
    PARSE_PATH = "kql_parse_path", DataType::LargeUtf8, eval_parse_path;
    PARSE_IPV4 = "kql_parse_ipv4", DataType::Int64, eval_parse_ipv4;
    PARSE_IPV4_MASK = "kql_parse_ipv4_mask", DataType::Int64, eval_parse_ipv4_mask;
    IPV4_IN_RANGE = "kql_ipv4_is_in_range", DataType::Boolean, eval_ipv4_in_range;
    IPV4_PRIVATE = "kql_ipv4_is_private", DataType::Boolean, eval_ipv4_private;
    IPV4_COMPARE = "kql_ipv4_compare", DataType::Int64, eval_ipv4_compare;
    EXTRACT_JSON = "kql_extract_json", DataType::Utf8, |a| eval_extract_json_as(a, false);
    EXTRACT_JSON_DYNAMIC = "kql_extract_json_dynamic", DataType::LargeUtf8, |a| eval_extract_json_as(a, true);
    PARSE_XML = "kql_parse_xml", DataType::LargeUtf8, eval_parse_xml;
    PARSE_VERSION = "kql_parse_version", DataType::Decimal128(38, 0), eval_parse_version;
}

/// Volatile: a new value on every row, never folded into a constant.
pub static NEW_GUID: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_new_guid", Returns::Fixed(DataType::Utf8), true, eval_new_guid));

#[cfg(test)]
mod tests {
    use super::*;

    fn replaced(text: &str, lookups: &str, rewrites: &str) -> String {
        let mut out = String::new();
        replace_strings_in(text, &rewrite_pairs(lookups, rewrites), &mut out);
        out
    }

    #[test]
    fn replace_strings_in_one_pass_by_lookup_order() {
        assert_eq!(
            replaced("red fox and blue fox", r#"["fox","red","blue"]"#, r#"["dog","blue","red"]"#),
            "blue dog and red dog"
        );
        assert_eq!(replaced("abcd", r#"["bc","abc"]"#, r#"["X","Y"]"#), "aXd");
        assert_eq!(replaced("abcd", r#"["abc","bc"]"#, r#"["Y","X"]"#), "Yd");
        // A non-string rewrite keeps the match and blocks later lookups.
        assert_eq!(replaced("one two", r#"["one","ne","two"]"#, r#"[1,"X","2"]"#), "one 2");
        assert_eq!(replaced("ééé", r#"["é"]"#, r#"["e"]"#), "eee");
        assert_eq!(replaced("abc", "null", "[]"), "abc");
    }

    #[test]
    fn translate_rules() {
        let t = |a: &str, b: &str, s: &str| {
            let mut out = String::new();
            translate(a, b, s, &mut out);
            out
        };
        assert_eq!(t("abc", "xyz", "aabbcc-d"), "xxyyzz-d");
        assert_eq!(t("ab", "", "a-b-c"), "--c");
        assert_eq!(t("abc", "z", "cab"), "zzz");
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(format_bytes_text(100.0, 0, "").as_deref(), Some("100 Bytes"));
        assert_eq!(format_bytes_text(1536.0, 1, "").as_deref(), Some("1.5 KB"));
        assert_eq!(format_bytes_text(5_000_000.0, 2, "").as_deref(), Some("4.77 MB"));
        assert_eq!(format_bytes_text(3_221_225_472.0, 0, "MB").as_deref(), Some("3072 MB"));
        assert_eq!(format_bytes_text(2048.0, 3, "").as_deref(), Some("2 KB"));
        assert_eq!(format_bytes_text(f64::NAN, 0, ""), None);
    }

    #[test]
    fn hex_text() {
        assert_eq!(to_hex(255, 64, None), "ff");
        assert_eq!(to_hex(-1, 64, None), "ffffffffffffffff");
        assert_eq!(to_hex(-2, 32, Some(4)), "fffffffe");
        assert_eq!(to_hex(10, 64, Some(4)), "000a");
        assert_eq!(to_hex(4096, 64, Some(2)), "1000");
        assert_eq!(to_hex(1, 64, Some(40)), "0000000000000001");
    }

    #[test]
    fn csv_fields() {
        assert_eq!(parse_csv(r#"x,"y,z",,"say ""hi""""#), vec!["x", "y,z", "", r#"say "hi""#]);
        assert_eq!(parse_csv("a,\"b\nc\"\nnext,record"), vec!["a", "b\nc"]);
        assert_eq!(parse_csv(""), vec![""]);
    }

    #[test]
    fn command_lines() {
        assert_eq!(command_line_args(r#"run.exe /v "x y" a\"b "c d"e"#), vec!["run.exe", "/v", "x y", "a\"b", "c de"]);
        assert_eq!(
            command_line_args(r#""C:\Program Files\x.exe" a\\\\"b c" d"#),
            vec![r"C:\Program Files\x.exe", r"a\\b c", "d"]
        );
        assert_eq!(command_line_args(r#"p a\\b """#), vec!["p", r"a\\b", ""]);
        assert_eq!(command_line_args(r#"p "a""b""#), vec!["p", "a\"b"]);
        assert_eq!(command_line_args("  "), Vec::<String>::new());
    }

    #[test]
    fn paths() {
        let p = parse_path(r"C:\temp\file.txt");
        assert_eq!(p["RootPath"], "C:");
        assert_eq!(p["DirectoryPath"], r"C:\temp");
        assert_eq!(p["DirectoryName"], "temp");
        assert_eq!(p["Extension"], "txt");
        let p = parse_path("file://C:/temp/file.txt:some.exe");
        assert_eq!(p["Scheme"], "file");
        assert_eq!(p["RootPath"], "C:");
        assert_eq!(p["Filename"], "file.txt");
        assert_eq!(p["AlternateDataStreamName"], "some.exe");
        let p = parse_path(r"\\shared\users\temp\file.txt.gz");
        assert_eq!(p["RootPath"], "");
        assert_eq!(p["DirectoryPath"], r"\\shared\users\temp");
        assert_eq!(p["Extension"], "gz");
        let p = parse_path("/file");
        assert_eq!(p["DirectoryPath"], "/");
        assert_eq!(p["Extension"], "");
    }

    #[test]
    fn ipv4() {
        assert_eq!(parse_ipv4("192.168.1.1"), Some(3_232_235_777));
        assert_eq!(parse_ipv4("192.168.1.1/24"), Some(3_232_235_776));
        assert_eq!(parse_ipv4("255.255.255.255/31"), Some(4_294_967_294));
        assert_eq!(parse_ipv4("1.2.3"), None);
        assert_eq!(parse_ipv4("1.2.3.4.5"), None);
        assert_eq!(parse_ipv4("1.2.3.256"), None);
        assert_eq!(parse_ipv4("1.2.3.4/33"), None);
        assert_eq!(ipv4_in_range("192.168.1.1", "192.168.1.255/24"), Some(true));
        assert_eq!(ipv4_in_range("192.168.2.1", "192.168.1.0/24"), Some(false));
        assert_eq!(ipv4_is_private("172.31.255.1"), Some(true));
        assert_eq!(ipv4_is_private("172.32.0.1"), Some(false));
        assert_eq!(ipv4_compare("192.168.1.1/24", "192.168.1.255", None), Some(0));
        assert_eq!(ipv4_compare("192.168.1.1", "192.168.1.0", Some(31)), Some(0));
        assert_eq!(ipv4_compare("10.0.0.1", "10.0.0.2", None), Some(-1));
    }

    #[test]
    fn json_paths() {
        assert_eq!(
            parse_json_path("$.a['b c'][2]"),
            Some(vec![PathStep::Key("a".into()), PathStep::Key("b c".into()), PathStep::Index(2)])
        );
        assert_eq!(parse_json_path("$..a"), None);
        assert_eq!(parse_json_path("a.b"), None);
        let doc: Json = serde_json::json!({"a": {"b": [1, {"c": "x"}]}});
        let steps = parse_json_path("$.a.b[1].c").unwrap_or_default();
        assert_eq!(json_path_get(&doc, &steps), Some(&Json::from("x")));
    }

    #[test]
    fn xml_mapping() {
        let j = |s: &str| xml::parse(s).map(|v| v.to_string());
        assert_eq!(j("<e/>").as_deref(), Some(r#"{"e":null}"#));
        assert_eq!(j("<e>text</e>").as_deref(), Some(r#"{"e":"text"}"#));
        assert_eq!(j(r#"<e name="value" />"#).as_deref(), Some(r#"{"e":{"@name":"value"}}"#));
        assert_eq!(j(r#"<e name="value">text</e>"#).as_deref(), Some(r##"{"e":{"@name":"value","#text":"text"}}"##));
        assert_eq!(j("<e> <a>t1</a> <b>t2</b> </e>").as_deref(), Some(r#"{"e":{"a":"t1","b":"t2"}}"#));
        assert_eq!(j("<e><a>1</a><a>2</a></e>").as_deref(), Some(r#"{"e":{"a":["1","2"]}}"#));
        assert_eq!(j("<e> text <a>t</a> </e>").as_deref(), Some(r##"{"e":{"#text":"text","a":"t"}}"##));
        assert_eq!(j("<e> text </e>").as_deref(), Some(r#"{"e":" text "}"#));
        assert_eq!(
            j("<?xml version=\"1.0\"?><!-- c --><e>a &amp; b&#33;<![CDATA[<x>]]></e>").as_deref(),
            Some(r#"{"e":"a & b!<x>"}"#)
        );
        assert_eq!(j("<a><b></a>"), None);
        assert_eq!(j("<a></a><b/>"), None);
        assert_eq!(j("<a>&bogus;</a>"), None);
        assert_eq!(j("text"), None);
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("0.0.0.5"), Some(5));
        assert_eq!(parse_version("0.0.7.0"), Some(700_000_000));
        assert_eq!(parse_version("0.2"), Some(20_000_000_000_000_000));
        assert_eq!(parse_version("1.2.3.4"), Some(1_000_000_020_000_000_300_000_004));
        assert_eq!(parse_version("1.2.3.4.5"), None);
        assert_eq!(parse_version("1..2"), None);
        assert_eq!(parse_version("123456789"), None);
    }
}
