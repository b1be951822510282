//! String functions with Kusto's semantics: 0-based `substring` and
//! `indexof`, `strcat` of any types, `split` into a dynamic array,
//! `strlen` in characters, `""` instead of null.

use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, Int64Builder, LargeStringBuilder, StringBuilder};
use arrow::datatypes::DataType;
use base64::Engine;
use datafusion::common::Result;
use datafusion::functions::core::expr_fn::coalesce;
use datafusion::logical_expr::{Expr, ScalarUDF, lit};

use crate::functions::udf::{self, Args, Returns};
use crate::functions::{Call, MANY, Registry};
use crate::plan::typing;
use crate::plan::{PResult, Planner, Typed};
use crate::types::KType;

pub fn register(r: &mut Registry) {
    r.scalar(&["strlen"], 1, 1, strlen);
    r.scalar(&["substring"], 2, 3, |p, c| call_udf(p, c, &SUBSTRING, &[S, L, L], KType::String));
    r.scalar(&["indexof"], 2, 5, |p, c| call_udf(p, c, &INDEXOF, &[S, S, L, L, L], KType::Long));
    r.scalar(&["tolower"], 1, 1, |p, c| case_map(p, c, false));
    r.scalar(&["toupper"], 1, 1, |p, c| case_map(p, c, true));
    r.scalar(&["strcat"], 1, MANY, strcat);
    r.scalar(&["strcat_delim"], 3, MANY, strcat_delim);
    r.scalar(&["split"], 2, 3, |p, c| call_udf(p, c, &SPLIT, &[S, S, L], KType::Dynamic));
    r.scalar(&["replace_string"], 3, 3, |p, c| call_udf(p, c, &REPLACE_STRING, &[S, S, S], KType::String));
    r.scalar(&["reverse"], 1, 1, |p, c| call_udf(p, c, &REVERSE, &[S], KType::String));
    r.scalar(&["countof"], 2, 3, |p, c| call_udf(p, c, &crate::functions::strings::COUNTOF, &[S, S, S], KType::Long));
    r.scalar(&["strrep"], 2, 3, |p, c| call_udf(p, c, &STRREP, &[S, L, S], KType::String));
    r.scalar(&["base64_encode_tostring", "base64_encodestring"], 1, 1, |p, c| {
        call_udf(p, c, &BASE64_ENCODE, &[S], KType::String)
    });
    r.scalar(&["base64_decode_tostring", "base64_decodestring"], 1, 1, |p, c| {
        call_udf(p, c, &BASE64_DECODE, &[S], KType::String)
    });
    r.scalar(&["url_encode", "url_encode_component"], 1, 1, |p, c| call_udf(p, c, &URL_ENCODE, &[S], KType::String));
    r.scalar(&["url_decode"], 1, 1, |p, c| call_udf(p, c, &URL_DECODE, &[S], KType::String));
    r.scalar(&["hash"], 1, 2, hash);
    r.scalar(&["strcmp"], 2, 2, |p, c| call_udf(p, c, &STRCMP, &[S, S], KType::Int));
    r.scalar(&["string_size"], 1, 1, |p, c| call_udf(p, c, &STRING_SIZE, &[S], KType::Long));
    crate::functions::strings::regex::register(r);
}

/// How an argument is passed to a UDF.
#[derive(Clone, Copy)]
pub enum ArgKind {
    /// As text (`tostring` of other types).
    Str,
    /// As a long.
    Long,
}
use ArgKind::{Long as L, Str as S};

/// Lowers a call onto `f`, converting each argument as `kinds` says.
pub fn call_udf(p: &mut Planner, c: &Call, f: &Arc<ScalarUDF>, kinds: &[ArgKind], ty: KType) -> PResult<Typed> {
    let mut args = Vec::with_capacity(c.args.len());
    for (k, kind) in kinds.iter().enumerate().take(c.args.len()) {
        args.push(match kind {
            ArgKind::Str => c.string_arg(p, k)?,
            ArgKind::Long => c.arg_as(p, k, KType::Long)?,
        });
    }
    Ok(Typed::new(udf::call(f, args), ty))
}

fn strlen(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let s = c.string_arg(p, 0)?;
    let e = datafusion::functions::unicode::expr_fn::character_length(s);
    Ok(Typed::new(typing::cast(coalesce(vec![e, lit(0i32)]), KType::Long), KType::Long))
}

fn case_map(p: &mut Planner, c: &Call, upper: bool) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    let dynamic = v.ty == KType::Dynamic;
    let s = typing::to_string(v);
    let e = if upper {
        datafusion::functions::string::expr_fn::upper(s)
    } else {
        datafusion::functions::string::expr_fn::lower(s)
    };
    if dynamic {
        // `tolower` of a dynamic string stays a string.
        return Ok(Typed::new(e, KType::String));
    }
    Ok(Typed::new(e, KType::String))
}

fn strcat(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let mut parts = Vec::new();
    for k in 0..c.args.len() {
        parts.push(c.string_arg(p, k)?);
    }
    if parts.len() == 1 {
        return Ok(Typed::new(parts.remove(0), KType::String));
    }
    Ok(Typed::new(datafusion::functions::string::expr_fn::concat(parts), KType::String))
}

fn strcat_delim(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let delim = c.string_arg(p, 0)?;
    let mut parts = Vec::new();
    for k in 1..c.args.len() {
        parts.push(c.string_arg(p, k)?);
    }
    Ok(Typed::new(datafusion::functions::string::expr_fn::concat_ws(delim, parts), KType::String))
}

fn hash(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let s = c.string_arg(p, 0)?;
    let mut args = vec![s];
    if c.args.len() > 1 {
        args.push(c.arg_as(p, 1, KType::Long)?);
    }
    Ok(Typed::new(udf::call(&HASH, args), KType::Long))
}

/// `matches regex`: the pattern is searched for anywhere in the text.
pub fn regex_match(text: Expr, pattern: Expr) -> Expr {
    datafusion::functions::expr_fn::regexp_like(text, pattern, None)
}

// ---- UDF bodies -----------------------------------------------------------

/// Builds a string column from a per-row function writing into `out`;
/// returning `false` makes the row null.
pub fn map_strings(rows: usize, mut f: impl FnMut(usize, &mut String) -> bool) -> ArrayRef {
    let mut b = StringBuilder::with_capacity(rows, rows * 16);
    let mut out = String::new();
    for i in 0..rows {
        out.clear();
        if f(i, &mut out) {
            b.append_value(&out);
        } else {
            b.append_null();
        }
    }
    Arc::new(b.finish())
}

pub fn map_dynamic(rows: usize, mut f: impl FnMut(usize) -> Option<String>) -> ArrayRef {
    let mut b = LargeStringBuilder::with_capacity(rows, rows * 16);
    for i in 0..rows {
        b.append_option(f(i));
    }
    Arc::new(b.finish())
}

pub fn map_longs(rows: usize, mut f: impl FnMut(usize) -> Option<i64>) -> ArrayRef {
    let mut b = Int64Builder::with_capacity(rows);
    for i in 0..rows {
        b.append_option(f(i));
    }
    Arc::new(b.finish())
}

/// Optional long argument `n` of row `i`.
pub fn long_at(args: &Args, n: usize, i: usize) -> Result<Option<i64>> {
    if n >= args.len() {
        return Ok(None);
    }
    if let Some(v) = args.const_i64(n) {
        return Ok(v);
    }
    let a = args.array(n)?;
    Ok(crate::functions::convert::to_long(crate::functions::convert::value_at(a.as_ref(), i)?))
}

/// `substring(s, start[, length])`, 0-based in characters; a negative
/// start counts from the end.
pub fn substring(s: &str, start: i64, len: Option<i64>) -> String {
    let n = s.chars().count() as i64;
    let mut start = start;
    if start < 0 {
        start += n;
    }
    if start < 0 {
        // Kusto clips a start before the beginning, keeping the length.
        let end = len.map(|l| start + l);
        start = 0;
        if let Some(e) = end {
            if e <= 0 {
                return String::new();
            }
            return s.chars().take(e.min(n) as usize).collect();
        }
    }
    if start >= n {
        return String::new();
    }
    let take = match len {
        Some(l) if l < 0 => return String::new(),
        Some(l) => l.min(n - start),
        None => n - start,
    };
    s.chars().skip(start as usize).take(take as usize).collect()
}

fn eval_substring(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    let mut err = Ok(());
    let out = map_strings(args.rows, |i, out| {
        let start = match long_at(args, 1, i) {
            Ok(v) => v,
            Err(e) => {
                err = Err(e);
                None
            }
        };
        let len = if args.len() > 2 { long_at(args, 2, i).ok().flatten() } else { None };
        let has_len_arg = args.len() > 2;
        match start {
            Some(st) => {
                if has_len_arg && len.is_none() {
                    return true;
                }
                out.push_str(&substring(s.text(i), st, len));
                true
            }
            None => true,
        }
    });
    err?;
    Ok(out)
}

/// `indexof(s, lookup[, start[, length[, occurrence]]])`: the character
/// index of the n-th occurrence at or after `start`, or -1.
pub fn indexof(s: &str, lookup: &str, start: i64, length: i64, occurrence: i64) -> Option<i64> {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len() as i64;
    let mut start = start;
    if start < 0 {
        start += n;
    }
    if start < 0 || start > n || occurrence <= 0 {
        return if occurrence <= 0 || start < 0 { None } else { Some(-1) };
    }
    let end = if length < 0 { n } else { (start + length).min(n) };
    let needle: Vec<char> = lookup.chars().collect();
    let mut seen = 0;
    let mut i = start;
    // `length` bounds where a match may start, not where it ends.
    if needle.is_empty() {
        return Some(start);
    }
    while i < end && i + needle.len() as i64 <= n {
        if chars[i as usize..i as usize + needle.len()] == needle[..] {
            seen += 1;
            if seen == occurrence {
                return Some(i);
            }
        }
        i += 1;
    }
    Some(-1)
}

fn eval_indexof(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    let l = args.str(1)?;
    let mut out = Vec::with_capacity(args.rows);
    for i in 0..args.rows {
        let start = long_at(args, 2, i)?.unwrap_or(0);
        let length = long_at(args, 3, i)?.unwrap_or(-1);
        let occ = long_at(args, 4, i)?.unwrap_or(1);
        out.push(indexof(s.text(i), l.text(i), start, length, occ));
    }
    Ok(map_longs(args.rows, |i| out[i]))
}

/// `split(s, delimiter[, index])` → a dynamic array of strings.
fn eval_split(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    let d = args.str(1)?;
    let mut idx = Vec::with_capacity(args.rows);
    for i in 0..args.rows {
        idx.push(long_at(args, 2, i)?);
    }
    let has_index = args.len() > 2;
    Ok(map_dynamic(args.rows, |i| {
        let text = s.text(i);
        let delim = d.text(i);
        let parts: Vec<&str> = if delim.is_empty() { vec![text] } else { text.split(delim).collect() };
        if has_index {
            let k = idx[i]?;
            let n = parts.len() as i64;
            let k = if k < 0 { k + n } else { k };
            if k < 0 || k >= n {
                return None;
            }
            return Some(serde_json::json!([parts[k as usize]]).to_string());
        }
        Some(serde_json::Value::from(parts).to_string())
    }))
}

fn eval_replace_string(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    let from = args.str(1)?;
    let to = args.str(2)?;
    Ok(map_strings(args.rows, |i, out| {
        let f = from.text(i);
        if f.is_empty() {
            out.push_str(s.text(i));
        } else {
            out.push_str(&s.text(i).replace(f, to.text(i)));
        }
        true
    }))
}

fn eval_reverse(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    Ok(map_strings(args.rows, |i, out| {
        out.extend(s.text(i).chars().rev());
        true
    }))
}

fn eval_strrep(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    let delim = if args.len() > 2 { Some(args.str(2)?) } else { None };
    let mut counts = Vec::with_capacity(args.rows);
    for i in 0..args.rows {
        counts.push(long_at(args, 1, i)?);
    }
    Ok(map_strings(args.rows, |i, out| {
        let Some(n) = counts[i] else { return false };
        let d = delim.as_ref().map_or("", |d| d.text(i));
        for k in 0..n.clamp(0, 1024) {
            if k > 0 {
                out.push_str(d);
            }
            out.push_str(s.text(i));
        }
        true
    }))
}

fn eval_base64_encode(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    Ok(map_strings(args.rows, |i, out| {
        out.push_str(&base64::engine::general_purpose::STANDARD.encode(s.text(i)));
        true
    }))
}

fn eval_base64_decode(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    Ok(map_strings(args.rows, |i, out| {
        let text = s.text(i).trim();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(text)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text.trim_end_matches('=')));
        match decoded.ok().and_then(|b| String::from_utf8(b).ok()) {
            Some(t) => {
                out.push_str(&t);
                true
            }
            None => false,
        }
    }))
}

/// Percent-encodes all but RFC 3986's unreserved characters.
pub fn url_encode(s: &str, out: &mut String) {
    use std::fmt::Write;
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

pub fn url_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn eval_url_encode(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    Ok(map_strings(args.rows, |i, out| {
        url_encode(s.text(i), out);
        true
    }))
}

fn eval_url_decode(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    Ok(map_strings(args.rows, |i, out| match url_decode(s.text(i)) {
        Some(t) => {
            out.push_str(&t);
            true
        }
        None => false,
    }))
}

fn eval_hash(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    let mut mods = Vec::with_capacity(args.rows);
    for i in 0..args.rows {
        mods.push(long_at(args, 1, i)?);
    }
    Ok(map_longs(args.rows, |i| {
        let h = xxhash_rust::xxh64::xxh64(s.text(i).as_bytes(), 0) as i64;
        match mods[i] {
            Some(m) if m > 0 => Some(h.rem_euclid(m)),
            Some(_) => None,
            None => Some(h),
        }
    }))
}

fn eval_strcmp(args: &Args) -> Result<ArrayRef> {
    let a = args.str(0)?;
    let b = args.str(1)?;
    let mut builder = arrow::array::Int32Builder::with_capacity(args.rows);
    for i in 0..args.rows {
        builder.append_value(match a.text(i).cmp(b.text(i)) {
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => 0,
            std::cmp::Ordering::Greater => 1,
        });
    }
    Ok(Arc::new(builder.finish()))
}

fn eval_string_size(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    Ok(map_longs(args.rows, |i| Some(s.text(i).len() as i64)))
}

macro_rules! string_udfs {
    ($($static:ident = $name:literal, $ret:expr, $eval:ident;)*) => {
        $(
            pub static $static: LazyLock<Arc<ScalarUDF>> =
                LazyLock::new(|| udf::make($name, Returns::Fixed($ret), false, $eval));
        )*
    };
}

string_udfs! {
    SUBSTRING = "kql_substring", DataType::Utf8, eval_substring;
    INDEXOF = "kql_indexof", DataType::Int64, eval_indexof;
    SPLIT = "kql_split", DataType::LargeUtf8, eval_split;
    REPLACE_STRING = "kql_replace_string", DataType::Utf8, eval_replace_string;
    REVERSE = "kql_reverse", DataType::Utf8, eval_reverse;
    STRREP = "kql_strrep", DataType::Utf8, eval_strrep;
    BASE64_ENCODE = "kql_base64_encode_tostring", DataType::Utf8, eval_base64_encode;
    BASE64_DECODE = "kql_base64_decode_tostring", DataType::Utf8, eval_base64_decode;
    URL_ENCODE = "kql_url_encode", DataType::Utf8, eval_url_encode;
    URL_DECODE = "kql_url_decode", DataType::Utf8, eval_url_decode;
    HASH = "kql_hash", DataType::Int64, eval_hash;
    STRCMP = "kql_strcmp", DataType::Int32, eval_strcmp;
    STRING_SIZE = "kql_string_size", DataType::Int64, eval_string_size;
}

pub use regex::COUNTOF;

pub mod regex {
    //! Regex-based string functions: `extract`, `extract_all`,
    //! `replace_regex`, `trim*`, `countof(…, "regex")`. Patterns are
    //! compiled once per batch when constant.

    use std::sync::{Arc, LazyLock};

    use arrow::array::ArrayRef;
    use arrow::datatypes::DataType;
    use datafusion::common::{Result, exec_err};
    use datafusion::logical_expr::ScalarUDF;
    use regex::Regex;

    use super::{ArgKind, call_udf, long_at, map_dynamic, map_longs, map_strings};
    use crate::diag::{Diagnostic, codes};
    use crate::functions::udf::{self, Args, Returns};
    use crate::functions::{Call, Registry};
    use crate::plan::{PResult, Planner, Typed};
    use crate::types::KType;

    pub fn register(r: &mut Registry) {
        use ArgKind::{Long as L, Str as S};
        r.scalar(&["extract"], 3, 4, extract);
        r.scalar(&["extract_all"], 2, 3, extract_all);
        r.scalar(&["replace_regex"], 3, 3, |p, c| {
            check_pattern(p, c, 1)?;
            call_udf(p, c, &REPLACE_REGEX, &[S, S, S], KType::String)
        });
        r.scalar(&["trim"], 2, 2, |p, c| trim(p, c, true, true));
        r.scalar(&["trim_start"], 2, 2, |p, c| trim(p, c, true, false));
        r.scalar(&["trim_end"], 2, 2, |p, c| trim(p, c, false, true));
        r.scalar(&["indexof_regex"], 2, 5, |p, c| {
            check_pattern(p, c, 1)?;
            call_udf(p, c, &INDEXOF_REGEX, &[S, S, L, L, L], KType::Long)
        });
        r.scalar(&["regex_quote"], 1, 1, |p, c| call_udf(p, c, &REGEX_QUOTE, &[S], KType::String));
    }

    /// Refuses a constant pattern that does not compile, at plan time.
    fn check_pattern(p: &mut Planner, c: &Call, n: usize) -> PResult<()> {
        if let Ok(pat) = c.const_string(p, n)
            && let Err(e) = Regex::new(&pat)
        {
            return Err(Diagnostic::new(codes::BAD_VALUE, format!("invalid regular expression: {e}")).at(c.arg_span(n)));
        }
        Ok(())
    }

    /// Compiled patterns for a column of patterns (usually one constant).
    struct Patterns {
        cache: Option<(String, Regex)>,
    }

    impl Patterns {
        fn new() -> Self {
            Patterns { cache: None }
        }

        fn get(&mut self, pat: &str) -> Result<&Regex> {
            let stale = self.cache.as_ref().is_none_or(|(p, _)| p != pat);
            if stale {
                match Regex::new(pat) {
                    Ok(r) => self.cache = Some((pat.to_string(), r)),
                    Err(e) => return exec_err!("invalid regular expression: {e}"),
                }
            }
            match &self.cache {
                Some((_, r)) => Ok(r),
                None => exec_err!("invalid regular expression"),
            }
        }
    }

    /// Kusto's `\1` back-references become the regex crate's `${1}`.
    pub fn rewrite_template(t: &str) -> String {
        let mut out = String::with_capacity(t.len());
        let mut chars = t.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek().is_some_and(char::is_ascii_digit) => {
                    let mut n = String::new();
                    while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                        n.push(*d);
                        chars.next();
                    }
                    out.push_str(&format!("${{{n}}}"));
                }
                '$' => out.push_str("$$"),
                c => out.push(c),
            }
        }
        out
    }

    fn extract(p: &mut Planner, c: &Call) -> PResult<Typed> {
        check_pattern(p, c, 0)?;
        let target = match c.args.get(3).map(|a| &a.kind) {
            Some(crate::syntax::ast::ExprKind::Call { name, args }) if name.name == "typeof" && args.len() == 1 => {
                match &args[0].kind {
                    crate::syntax::ast::ExprKind::Name(t) => match crate::syntax::ast::TypeName::parse(&t.name) {
                        Some(tn) => Some(KType::from_type_name(tn)),
                        None => return Err(c.type_error(3, KType::Null, "`typeof(<type>)`")),
                    },
                    _ => return Err(c.type_error(3, KType::Null, "`typeof(<type>)`")),
                }
            }
            Some(_) => {
                return Err(Diagnostic::new(
                    codes::BAD_ARGUMENTS,
                    "the 4th argument of `extract()` is `typeof(<type>)`",
                )
                .at(c.arg_span(3)));
            }
            None => None,
        };
        let pattern = c.string_arg(p, 0)?;
        let group = c.arg_as(p, 1, KType::Long)?;
        let text = c.string_arg(p, 2)?;
        let e = udf::call(&EXTRACT, vec![pattern, group, text]);
        let t = Typed::new(e, KType::String);
        Ok(match target {
            Some(k) if k != KType::String => {
                // A failed match is null for typed extraction, "" for strings.
                let nullable = datafusion::functions::core::expr_fn::nullif(t.expr, datafusion::logical_expr::lit(""));
                crate::plan::typing::convert_to(Typed::new(nullable, KType::String), k)
            }
            _ => t,
        })
    }

    fn eval_extract(args: &Args) -> Result<ArrayRef> {
        let pats = args.str(0)?;
        let text = args.str(2)?;
        let mut cache = Patterns::new();
        let mut groups = Vec::with_capacity(args.rows);
        for i in 0..args.rows {
            groups.push(long_at(args, 1, i)?);
        }
        let mut err = None;
        let out = map_strings(args.rows, |i, out| {
            let re = match cache.get(pats.text(i)) {
                Ok(r) => r,
                Err(e) => {
                    err = Some(e);
                    return false;
                }
            };
            let Some(g) = groups[i] else { return true };
            if let Some(caps) = re.captures(text.text(i))
                && let Some(m) = usize::try_from(g).ok().and_then(|g| caps.get(g))
            {
                out.push_str(m.as_str());
            }
            true
        });
        match err {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    fn extract_all(p: &mut Planner, c: &Call) -> PResult<Typed> {
        check_pattern(p, c, 0)?;
        let pattern = c.string_arg(p, 0)?;
        let (groups, text) = if c.args.len() == 3 {
            let g = c.arg(p, 1)?;
            let g = match g.ty {
                KType::Dynamic => g.expr,
                _ => return Err(c.type_error(1, g.ty, "a dynamic array of group numbers")),
            };
            (Some(g), c.string_arg(p, 2)?)
        } else {
            (None, c.string_arg(p, 1)?)
        };
        let mut args = vec![pattern, text];
        if let Some(g) = groups {
            args.push(g);
        }
        Ok(Typed::new(udf::call(&EXTRACT_ALL, args), KType::Dynamic))
    }

    fn eval_extract_all(args: &Args) -> Result<ArrayRef> {
        let pats = args.str(0)?;
        let text = args.str(1)?;
        let groups = if args.len() > 2 { Some(args.str(2)?) } else { None };
        let mut cache = Patterns::new();
        let mut err = None;
        let out = map_dynamic(args.rows, |i| {
            let re = match cache.get(pats.text(i)) {
                Ok(r) => r,
                Err(e) => {
                    err = Some(e);
                    return None;
                }
            };
            let wanted: Option<Vec<usize>> = groups.as_ref().and_then(|g| {
                serde_json::from_str::<Vec<i64>>(g.text(i))
                    .ok()
                    .map(|v| v.into_iter().map(|x| x.max(0) as usize).collect())
            });
            let capture_count = re.captures_len() - 1;
            let mut items = Vec::new();
            for caps in re.captures_iter(text.text(i)) {
                // A group that did not take part matches "", as in Kusto.
                let get = |g: usize| caps.get(g).map_or(serde_json::Value::from(""), |m| m.as_str().into());
                match &wanted {
                    Some(gs) => items.push(serde_json::Value::Array(gs.iter().map(|g| get(*g)).collect())),
                    None if capture_count <= 1 => items.push(get(capture_count.min(1))),
                    None => items.push(serde_json::Value::Array((1..=capture_count).map(get).collect())),
                }
            }
            if items.is_empty() { None } else { Some(serde_json::Value::Array(items).to_string()) }
        });
        match err {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    fn eval_replace_regex(args: &Args) -> Result<ArrayRef> {
        let s = args.str(0)?;
        let pats = args.str(1)?;
        let rep = args.str(2)?;
        let mut cache = Patterns::new();
        let mut err = None;
        let out = map_strings(args.rows, |i, out| match cache.get(pats.text(i)) {
            Ok(re) => {
                out.push_str(&re.replace_all(s.text(i), rewrite_template(rep.text(i)).as_str()));
                true
            }
            Err(e) => {
                err = Some(e);
                false
            }
        });
        match err {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    fn trim(p: &mut Planner, c: &Call, start: bool, end: bool) -> PResult<Typed> {
        check_pattern(p, c, 0)?;
        let pat = c.string_arg(p, 0)?;
        let text = c.string_arg(p, 1)?;
        let f = match (start, end) {
            (true, true) => &*TRIM,
            (true, false) => &*TRIM_START,
            _ => &*TRIM_END,
        };
        Ok(Typed::new(udf::call(f, vec![pat, text]), KType::String))
    }

    fn eval_trim(args: &Args, start: bool, end: bool) -> Result<ArrayRef> {
        let pats = args.str(0)?;
        let text = args.str(1)?;
        let mut cache: Option<(String, Option<Regex>, Option<Regex>)> = None;
        let mut err = None;
        let out = map_strings(args.rows, |i, out| {
            let pat = pats.text(i);
            if cache.as_ref().is_none_or(|(p, _, _)| p != pat) {
                let lead = Regex::new(&format!("^(?:{pat})+"));
                let trail = Regex::new(&format!("(?:{pat})+$"));
                match (lead, trail) {
                    (Ok(l), Ok(t)) => cache = Some((pat.to_string(), Some(l), Some(t))),
                    (Err(e), _) | (_, Err(e)) => {
                        err = Some(e);
                        return false;
                    }
                }
            }
            let Some((_, Some(lead), Some(trail))) = &cache else { return false };
            let mut s = text.text(i);
            if start && let Some(m) = lead.find(s) {
                s = &s[m.end()..];
            }
            if end && let Some(m) = trail.find(s) {
                s = &s[..m.start()];
            }
            out.push_str(s);
            true
        });
        match err {
            Some(e) => exec_err!("invalid regular expression: {e}"),
            None => Ok(out),
        }
    }

    fn eval_countof(args: &Args) -> Result<ArrayRef> {
        let text = args.str(0)?;
        let needle = args.str(1)?;
        let kind = if args.len() > 2 { Some(args.str(2)?) } else { None };
        let mut cache = Patterns::new();
        let mut counts = Vec::with_capacity(args.rows);
        for i in 0..args.rows {
            let t = text.text(i);
            let n = needle.text(i);
            let regex = kind.as_ref().is_some_and(|k| k.text(i) == "regex");
            counts.push(if regex {
                Some(cache.get(n)?.find_iter(t).count() as i64)
            } else if n.is_empty() {
                Some(0)
            } else {
                // Plain counting includes overlapping matches, as in Kusto.
                Some(t.match_indices(n).count() as i64 + overlapping_extra(t, n))
            });
        }
        Ok(map_longs(args.rows, |i| counts[i]))
    }

    /// Matches that `match_indices` skips because they overlap an earlier one.
    fn overlapping_extra(t: &str, n: &str) -> i64 {
        let mut total = 0;
        let mut from = 0;
        while let Some(p) = t[from..].find(n) {
            total += 1;
            from += p + t[from + p..].chars().next().map_or(1, char::len_utf8);
            if from >= t.len() {
                break;
            }
        }
        total - t.match_indices(n).count() as i64
    }

    fn eval_indexof_regex(args: &Args) -> Result<ArrayRef> {
        let text = args.str(0)?;
        let pats = args.str(1)?;
        let mut cache = Patterns::new();
        let mut out = Vec::with_capacity(args.rows);
        for i in 0..args.rows {
            let re = cache.get(pats.text(i))?;
            let s = text.text(i);
            let start = long_at(args, 2, i)?.unwrap_or(0);
            if start < 0 {
                out.push(None);
                continue;
            }
            let start = start as usize;
            let occurrence = long_at(args, 4, i)?.unwrap_or(1);
            let byte_start = s.char_indices().nth(start).map_or(s.len(), |(b, _)| b);
            let hit = re.find_iter(&s[byte_start..]).nth((occurrence.max(1) - 1) as usize);
            out.push(Some(match hit {
                Some(m) => (start + s[byte_start..byte_start + m.start()].chars().count()) as i64,
                None => -1,
            }));
        }
        Ok(map_longs(args.rows, |i| out[i]))
    }

    fn eval_regex_quote(args: &Args) -> Result<ArrayRef> {
        let s = args.str(0)?;
        Ok(map_strings(args.rows, |i, out| {
            out.push_str(&regex::escape(s.text(i)));
            true
        }))
    }

    macro_rules! regex_udfs {
        ($($static:ident = $name:literal, $ret:expr, $eval:expr;)*) => {
            $(
                pub static $static: LazyLock<Arc<ScalarUDF>> =
                    LazyLock::new(|| udf::make($name, Returns::Fixed($ret), false, $eval));
            )*
        };
    }

    regex_udfs! {
        EXTRACT = "kql_extract", DataType::Utf8, eval_extract;
        EXTRACT_ALL = "kql_extract_all", DataType::LargeUtf8, eval_extract_all;
        REPLACE_REGEX = "kql_replace_regex", DataType::Utf8, eval_replace_regex;
        TRIM = "kql_trim", DataType::Utf8, |a| eval_trim(a, true, true);
        TRIM_START = "kql_trim_start", DataType::Utf8, |a| eval_trim(a, true, false);
        TRIM_END = "kql_trim_end", DataType::Utf8, |a| eval_trim(a, false, true);
        COUNTOF = "kql_countof", DataType::Int64, eval_countof;
        INDEXOF_REGEX = "kql_indexof_regex", DataType::Int64, eval_indexof_regex;
        REGEX_QUOTE = "kql_regex_quote", DataType::Utf8, eval_regex_quote;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substring_rules() {
        assert_eq!(substring("123456", 1, Some(2)), "23");
        assert_eq!(substring("123456", 2, None), "3456");
        assert_eq!(substring("ABCD", -2, Some(2)), "CD");
        assert_eq!(substring("ABCD", 10, Some(2)), "");
        assert_eq!(substring("ABCD", 0, Some(-1)), "");
    }

    #[test]
    fn indexof_rules() {
        assert_eq!(indexof("abcdefg", "cde", 0, -1, 1), Some(2));
        assert_eq!(indexof("abcdefg", "cde", 1, 4, 1), Some(2));
        assert_eq!(indexof("abcdefg", "cde", 1, 2, 1), Some(2));
        assert_eq!(indexof("abcdefg", "cde", 3, 2, 1), Some(-1));
        assert_eq!(indexof("abcdefgabcdefg", "cde", 0, -1, 2), Some(9));
        assert_eq!(indexof("abc", "x", 0, -1, 1), Some(-1));
    }

    #[test]
    fn url_round_trip() {
        let mut s = String::new();
        url_encode("a b&c", &mut s);
        assert_eq!(s, "a%20b%26c");
        assert_eq!(url_decode(&s).as_deref(), Some("a b&c"));
    }

    #[test]
    fn templates() {
        assert_eq!(regex::rewrite_template(r"\1-\2"), "${1}-${2}");
    }
}
