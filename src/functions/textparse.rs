//! Kernels of `parse`, `parse-where` and `parse-kv`. Each returns a struct
//! of the captured texts; the planner converts them to the declared types
//! (a conversion that fails decides, per mode, between a null column and a
//! failed row).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanBuilder, StringBuilder, StructArray};
use arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::ScalarUDF;
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::functions::udf::{self, Args, Returns};

/// The struct a `parse` returns: `m` (the pattern matched) and the
/// captures `c0`, `c1`, ….
pub fn parse_result_type(columns: usize) -> DataType {
    let mut fields = vec![Field::new("m", DataType::Boolean, true)];
    fields.extend((0..columns).map(|k| Field::new(format!("c{k}"), DataType::Utf8, true)));
    DataType::Struct(Fields::from(fields))
}

/// `__kql_parse(text, regex)`: the regex has one named group `cK` per
/// column. Equal patterns give equal result types, so one name serves all.
pub fn parse_udf(columns: usize) -> Arc<ScalarUDF> {
    udf::make("__kql_parse", Returns::Fixed(parse_result_type(columns)), false, eval_parse)
}

fn eval_parse(args: &Args) -> Result<ArrayRef> {
    let text = args.str(0)?;
    let Some(Some(pattern)) = args.const_str(1) else {
        return exec_err!("__kql_parse: the pattern must be a constant");
    };
    let re = match Regex::new(pattern) {
        Ok(r) => r,
        Err(e) => return exec_err!("invalid parse pattern: {e}"),
    };
    let DataType::Struct(fields) = args.return_type.clone() else {
        return exec_err!("__kql_parse: unexpected return type");
    };
    let columns = fields.len() - 1;
    let group: Vec<Option<usize>> =
        (0..columns).map(|k| re.capture_names().position(|n| n == Some(format!("c{k}").as_str()))).collect();
    let mut matched = BooleanBuilder::with_capacity(args.rows);
    let mut outs: Vec<StringBuilder> = (0..columns).map(|_| StringBuilder::with_capacity(args.rows, 0)).collect();
    let mut locs = re.capture_locations();
    for i in 0..args.rows {
        let hit = text.get(i).and_then(|s| re.captures_read(&mut locs, s).map(|_| s));
        matched.append_value(hit.is_some());
        for (k, out) in outs.iter_mut().enumerate() {
            let v = hit.zip(group[k]).and_then(|(s, g)| locs.get(g).map(|(a, b)| &s[a..b]));
            out.append_option(v);
        }
    }
    let mut arrays: Vec<ArrayRef> = vec![Arc::new(matched.finish())];
    arrays.extend(outs.into_iter().map(|mut b| Arc::new(b.finish()) as ArrayRef));
    Ok(Arc::new(StructArray::try_new(fields, arrays, None)?))
}

/// How `parse-kv` splits its text, from its `with (…)` options.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct KvOptions {
    pub pair_delimiter: Option<String>,
    pub kv_delimiter: Option<String>,
    /// Opening and closing quote characters (`"`, or `()` for a pair).
    pub quote: Vec<(char, char)>,
    pub escape: Vec<char>,
    pub greedy: bool,
    pub regex: Option<String>,
}

pub fn kv_result_type(keys: usize) -> DataType {
    DataType::Struct(Fields::from(
        (0..keys).map(|k| Field::new(format!("c{k}"), DataType::Utf8, true)).collect::<Vec<_>>(),
    ))
}

/// `__kql_parse_kv(text, keys_json, options_json)`.
pub fn parse_kv_udf(keys: usize) -> Arc<ScalarUDF> {
    udf::make("__kql_parse_kv", Returns::Fixed(kv_result_type(keys)), false, eval_parse_kv)
}

fn eval_parse_kv(args: &Args) -> Result<ArrayRef> {
    let text = args.str(0)?;
    let (Some(Some(keys)), Some(Some(opts))) = (args.const_str(1), args.const_str(2)) else {
        return exec_err!("__kql_parse_kv: keys and options must be constants");
    };
    let keys: Vec<String> =
        serde_json::from_str(keys).map_err(|e| datafusion::error::DataFusionError::External(e.into()))?;
    let opts: KvOptions =
        serde_json::from_str(opts).map_err(|e| datafusion::error::DataFusionError::External(e.into()))?;
    let re = match &opts.regex {
        Some(r) => match Regex::new(r) {
            Ok(r) => Some(r),
            Err(e) => return exec_err!("invalid parse-kv regex: {e}"),
        },
        None => None,
    };
    let DataType::Struct(fields) = args.return_type.clone() else {
        return exec_err!("__kql_parse_kv: unexpected return type");
    };
    let mut outs: Vec<StringBuilder> = keys.iter().map(|_| StringBuilder::with_capacity(args.rows, 0)).collect();
    for i in 0..args.rows {
        let found: HashMap<String, String> = match text.get(i) {
            None => HashMap::new(),
            Some(s) => match &re {
                Some(re) => pairs_by_regex(s, re),
                None if opts.pair_delimiter.is_some() || opts.kv_delimiter.is_some() => pairs_delimited(s, &opts),
                None => pairs_by_key(s, &keys, &opts),
            },
        };
        for (k, out) in outs.iter_mut().enumerate() {
            out.append_option(found.get(&keys[k]));
        }
    }
    let arrays: Vec<ArrayRef> = outs.into_iter().map(|mut b| Arc::new(b.finish()) as ArrayRef).collect();
    Ok(Arc::new(StructArray::try_new(fields, arrays, None)?))
}

/// `regex=`: the first group of each match is a key, the second its value.
fn pairs_by_regex(s: &str, re: &Regex) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for c in re.captures_iter(s) {
        if let (Some(k), Some(v)) = (c.get(1), c.get(2)) {
            out.entry(k.as_str().trim().to_string()).or_insert_with(|| v.as_str().to_string());
        }
    }
    out
}

/// Splits `s` at `delim` outside quotes; returns the pieces with their
/// quotes removed (and escapes resolved) and whether each had a quote.
fn split_outside_quotes(s: &str, delim: &str, opts: &KvOptions) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut cur = String::new();
    let mut close: Option<char> = None;
    let mut chars = s.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if let Some(q) = close {
            if opts.escape.contains(&c) {
                if let Some((_, next)) = chars.next() {
                    cur.push(next);
                }
                continue;
            }
            if c == q {
                close = None;
            } else {
                cur.push(c);
            }
            continue;
        }
        if let Some((_, q)) = opts.quote.iter().find(|(open, _)| *open == c) {
            close = Some(*q);
            continue;
        }
        if !delim.is_empty() && s[at..].starts_with(delim) {
            pieces.push(std::mem::take(&mut cur));
            for _ in 1..delim.chars().count() {
                chars.next();
            }
            continue;
        }
        cur.push(c);
    }
    pieces.push(cur);
    pieces
}

fn pairs_delimited(s: &str, opts: &KvOptions) -> HashMap<String, String> {
    let pair = opts.pair_delimiter.as_deref().unwrap_or(" ");
    let kv = opts.kv_delimiter.as_deref().unwrap_or(":");
    let mut out: Vec<(String, String)> = Vec::new();
    for piece in split_pairs(s, pair, kv, opts) {
        match piece {
            (Some(k), v) => out.push((k, v)),
            // Greedy: a piece without a key continues the previous value.
            (None, v) if opts.greedy => {
                if let Some(last) = out.last_mut() {
                    last.1.push_str(pair);
                    last.1.push_str(&v);
                }
            }
            (None, _) => {}
        }
    }
    let mut map = HashMap::new();
    for (k, v) in out {
        map.entry(k).or_insert_with(|| v.trim().to_string());
    }
    map
}

/// The pair pieces of `s`: `(Some(key), value)` for `key<kv>value`, and
/// `(None, text)` for a piece with no key-value delimiter.
fn split_pairs(s: &str, pair: &str, kv: &str, opts: &KvOptions) -> Vec<(Option<String>, String)> {
    // Quotes may wrap a key, a value or both, so split on the raw text
    // while tracking quotes, then split each piece at its first delimiter.
    let mut out = Vec::new();
    for raw in split_raw(s, pair, opts) {
        match find_outside_quotes(&raw, kv, opts) {
            Some(at) => {
                let key = unquote(raw[..at].trim(), opts);
                let value = unquote(raw[at + kv.len()..].trim(), opts);
                out.push((Some(key), value));
            }
            None => out.push((None, unquote(raw.trim(), opts))),
        }
    }
    out
}

/// Splits at `delim` outside quotes, keeping quotes and escapes in place.
fn split_raw(s: &str, delim: &str, opts: &KvOptions) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut start = 0;
    if !delim.is_empty() {
        for at in unquoted(s, opts) {
            if at >= start && s[at..].starts_with(delim) {
                pieces.push(s[start..at].to_string());
                start = at + delim.len();
            }
        }
    }
    pieces.push(s[start..].to_string());
    pieces.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

fn find_outside_quotes(s: &str, delim: &str, opts: &KvOptions) -> Option<usize> {
    unquoted(s, opts).into_iter().find(|&at| s[at..].starts_with(delim))
}

/// Offsets of the characters of `s` outside quotes (opening quotes and
/// escaped characters excluded).
fn unquoted(s: &str, opts: &KvOptions) -> Vec<usize> {
    let mut out = Vec::new();
    let mut close: Option<char> = None;
    let mut skip_next = false;
    for (at, c) in s.char_indices() {
        if skip_next {
            skip_next = false;
            continue;
        }
        if let Some(q) = close {
            if opts.escape.contains(&c) {
                skip_next = true;
            } else if c == q {
                close = None;
            }
            continue;
        }
        if let Some((_, q)) = opts.quote.iter().find(|(open, _)| *open == c) {
            close = Some(*q);
            continue;
        }
        out.push(at);
    }
    out
}

/// Removes one level of quotes and resolves escapes.
fn unquote(s: &str, opts: &KvOptions) -> String {
    split_outside_quotes(s, "", opts).concat()
}

/// No delimiters given: find each wanted key followed by `:` or `=`, and
/// read its value up to the next `,`, `;` or blank (or the closing quote).
fn pairs_by_key(s: &str, keys: &[String], opts: &KvOptions) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for key in keys {
        let mut from = 0;
        while let Some(pos) = s[from..].find(key.as_str()).map(|p| p + from) {
            from = pos + key.len();
            let before_ok = s[..pos].chars().next_back().is_none_or(|c| !c.is_alphanumeric() && c != '_');
            let rest = &s[pos + key.len()..];
            let after = rest.trim_start();
            let Some(delim) = after.chars().next().filter(|c| matches!(c, ':' | '=')) else {
                continue;
            };
            if !before_ok {
                continue;
            }
            let value = after[delim.len_utf8()..].trim_start();
            let v = match value.chars().next().and_then(|c| opts.quote.iter().find(|(open, _)| *open == c)) {
                Some((open, close)) => {
                    let body = &value[open.len_utf8()..];
                    let mut v = String::new();
                    let mut chars = body.chars();
                    while let Some(c) = chars.next() {
                        if opts.escape.contains(&c) {
                            if let Some(n) = chars.next() {
                                v.push(n);
                            }
                        } else if c == *close {
                            break;
                        } else {
                            v.push(c);
                        }
                    }
                    v
                }
                None => {
                    value.split(|c: char| c == ',' || c == ';' || c.is_whitespace()).next().unwrap_or("").to_string()
                }
            };
            out.insert(key.clone(), v);
            break;
        }
    }
    out
}

/// `__kql_field(struct, name)`: one field of a parse result. kqlog's own
/// function rather than DataFusion's `get_field`, whose optimizer pass
/// (moving field access towards the scan) mishandles these projections.
pub static FIELD_TEXT: std::sync::LazyLock<Arc<ScalarUDF>> =
    std::sync::LazyLock::new(|| udf::make("__kql_field_text", Returns::Fixed(DataType::Utf8), false, eval_field));
pub static FIELD_BOOL: std::sync::LazyLock<Arc<ScalarUDF>> =
    std::sync::LazyLock::new(|| udf::make("__kql_field_bool", Returns::Fixed(DataType::Boolean), false, eval_field));

fn eval_field(args: &Args) -> Result<ArrayRef> {
    use arrow::array::{Array, AsArray};
    let s = args.array(0)?;
    let Some(Some(name)) = args.const_str(1) else {
        return exec_err!("__kql_field: the field name must be a constant");
    };
    let st = s.as_struct();
    match st.column_by_name(name) {
        Some(c) => Ok(Arc::clone(c)),
        None => exec_err!("__kql_field: no field {name} in {}", s.data_type()),
    }
}

/// Field `name` of a parse result, as text.
pub fn field_text(e: datafusion::logical_expr::Expr, name: String) -> datafusion::logical_expr::Expr {
    udf::call(&FIELD_TEXT, vec![e, datafusion::logical_expr::lit(name)])
}

/// Whether a parse result matched.
pub fn field_matched(e: datafusion::logical_expr::Expr) -> datafusion::logical_expr::Expr {
    udf::call(&FIELD_BOOL, vec![e, datafusion::logical_expr::lit("m")])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pair: &str, kv: &str) -> KvOptions {
        KvOptions { pair_delimiter: Some(pair.into()), kv_delimiter: Some(kv.into()), ..Default::default() }
    }

    #[test]
    fn quoted_keys_and_values() {
        let mut o = opts(" ", "=");
        o.quote = vec![('"', '"')];
        let m = pairs_delimited(r#"a=1 "b c"="x y" d=2"#, &o);
        assert_eq!(m.get("b c").map(String::as_str), Some("x y"));
        assert_eq!(m.get("d").map(String::as_str), Some("2"));
    }

    #[test]
    fn greedy_values_run_to_the_next_key() {
        let mut o = opts(" ", "=");
        o.greedy = true;
        let m = pairs_delimited("name=John Doe city=New York", &o);
        assert_eq!(m.get("name").map(String::as_str), Some("John Doe"));
        assert_eq!(m.get("city").map(String::as_str), Some("New York"));
    }

    #[test]
    fn keys_found_without_delimiters() {
        let m = pairs_by_key("x [INFO] Id:42, Host: a1", &["Id".into(), "Host".into()], &KvOptions::default());
        assert_eq!(m.get("Id").map(String::as_str), Some("42"));
        assert_eq!(m.get("Host").map(String::as_str), Some("a1"));
    }
}
