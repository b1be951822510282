//! Dynamic arrays, property bags and sets: `array_concat`, `array_slice`,
//! `array_split`, `array_index_of`, `array_reverse`, `array_rotate_*`,
//! `array_shift_*`, `array_sum`, `array_sort_*`, `set_*`, `bag_merge`,
//! `bag_remove_keys`, `bag_set_key`, `bag_has_key`, `strcat_array`,
//! `range()` and `zip`.
//!
//! Elements are compared as JSON values, except that numbers compare by
//! value (`1` and `1.0` are the same element), as Kusto's typed values do.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, LargeStringBuilder, StringBuilder};
use arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{ScalarUDF, lit};
use serde_json::{Map, Value as Json};

use crate::functions::convert::{self, Value, to_json, value_at};
use crate::functions::dynamic::parse;
use crate::functions::strings::long_at;
use crate::functions::udf::{self, Args, Returns, Strs};
use crate::functions::{Call, MANY, Registry};
use crate::plan::typing;
use crate::plan::{PResult, Planner, Typed};
use crate::types::{KType, time};

pub fn register(r: &mut Registry) {
    use Arg::{Any, Dyn, Long, Str};
    r.scalar(&["array_concat"], 1, MANY, |p, c| lower(p, c, &ARRAY_CONCAT, &[], Dyn, KType::Dynamic));
    r.scalar(&["array_slice"], 3, 3, |p, c| lower(p, c, &ARRAY_SLICE, &[Dyn, Long, Long], Long, KType::Dynamic));
    // The split points are a long or a dynamic array of longs; the UDF reads either.
    r.scalar(&["array_split"], 2, 2, |p, c| lower(p, c, &ARRAY_SPLIT, &[Dyn, Any], Any, KType::Dynamic));
    r.scalar(&["array_index_of"], 2, 5, |p, c| lower(p, c, &ARRAY_INDEX_OF, &[Dyn, Any], Long, KType::Long));
    r.scalar(&["array_reverse"], 1, 1, |p, c| lower(p, c, &ARRAY_REVERSE, &[Dyn], Dyn, KType::Dynamic));
    r.scalar(&["array_rotate_left"], 2, 2, |p, c| lower(p, c, &ROTATE_LEFT, &[Dyn, Long], Long, KType::Dynamic));
    r.scalar(&["array_rotate_right"], 2, 2, |p, c| lower(p, c, &ROTATE_RIGHT, &[Dyn, Long], Long, KType::Dynamic));
    r.scalar(&["array_shift_left"], 2, 3, |p, c| lower(p, c, &SHIFT_LEFT, &[Dyn, Long, Any], Any, KType::Dynamic));
    r.scalar(&["array_shift_right"], 2, 3, |p, c| lower(p, c, &SHIFT_RIGHT, &[Dyn, Long, Any], Any, KType::Dynamic));
    r.scalar(&["array_sum"], 1, 1, |p, c| lower(p, c, &ARRAY_SUM, &[Dyn], Dyn, KType::Real));
    r.scalar(&["array_sort_asc"], 1, MANY, |p, c| sort(p, c, &SORT_ASC));
    r.scalar(&["array_sort_desc"], 1, MANY, |p, c| sort(p, c, &SORT_DESC));
    r.scalar(&["set_union"], 2, MANY, |p, c| lower(p, c, &SET_UNION, &[], Dyn, KType::Dynamic));
    r.scalar(&["set_intersect"], 2, MANY, |p, c| lower(p, c, &SET_INTERSECT, &[], Dyn, KType::Dynamic));
    r.scalar(&["set_difference"], 2, MANY, |p, c| lower(p, c, &SET_DIFFERENCE, &[], Dyn, KType::Dynamic));
    r.scalar(&["set_has_element"], 2, 2, |p, c| lower(p, c, &SET_HAS_ELEMENT, &[Dyn, Any], Any, KType::Bool));
    r.scalar(&["bag_merge"], 2, MANY, |p, c| lower(p, c, &BAG_MERGE, &[], Dyn, KType::Dynamic));
    r.scalar(&["bag_remove_keys"], 2, 2, |p, c| lower(p, c, &BAG_REMOVE_KEYS, &[Dyn, Dyn], Dyn, KType::Dynamic));
    r.scalar(&["bag_set_key"], 3, 3, |p, c| lower(p, c, &BAG_SET_KEY, &[Dyn, Str, Any], Any, KType::Dynamic));
    r.scalar(&["bag_has_key"], 2, 2, |p, c| lower(p, c, &BAG_HAS_KEY, &[Dyn, Str], Str, KType::Bool));
    r.scalar(&["strcat_array"], 2, 2, |p, c| lower(p, c, &STRCAT_ARRAY, &[Dyn, Str], Str, KType::String));
    r.scalar(&["range"], 2, 3, range);
    r.scalar(&["zip"], 2, MANY, |p, c| lower(p, c, &ZIP, &[], Dyn, KType::Dynamic));
}

/// How an argument is passed to a UDF.
#[derive(Clone, Copy)]
enum Arg {
    /// Converted to dynamic (JSON text).
    Dyn,
    /// Converted to a long.
    Long,
    /// As text (`tostring` of other types).
    Str,
    /// As it is: a value compared with or stored into an array or bag,
    /// read with `value_at` and turned into JSON by the UDF.
    Any,
}

/// Lowers a call onto `f`: argument `k` is passed as `kinds[k]`, or as
/// `rest` past the end of `kinds`.
fn lower(p: &mut Planner, c: &Call, f: &Arc<ScalarUDF>, kinds: &[Arg], rest: Arg, ty: KType) -> PResult<Typed> {
    let mut args = Vec::with_capacity(c.args.len());
    for k in 0..c.args.len() {
        args.push(match kinds.get(k).copied().unwrap_or(rest) {
            Arg::Dyn => typing::convert_to(c.arg(p, k)?, KType::Dynamic).expr,
            Arg::Long => c.arg_as(p, k, KType::Long)?,
            Arg::Str => c.string_arg(p, k)?,
            Arg::Any => c.arg(p, k)?.expr,
        });
    }
    Ok(Typed::new(udf::call(f, args), ty))
}

/// `array_sort_*(a1[, a2 …][, nulls_last])`: the UDF gets `nulls_last`
/// first, then the arrays.
fn sort(p: &mut Planner, c: &Call, f: &Arc<ScalarUDF>) -> PResult<Typed> {
    let mut args = Vec::with_capacity(c.args.len());
    for k in 0..c.args.len() {
        args.push(c.arg(p, k)?);
    }
    // Only a trailing bool is the flag: every other argument is an array.
    let has_flag = args.len() > 1 && args.last().is_some_and(|t| t.ty == KType::Bool);
    let nulls_last = if has_flag { args.pop().map(|t| t.expr) } else { None };
    let mut exprs = vec![nulls_last.unwrap_or_else(|| lit(true))];
    exprs.extend(args.into_iter().map(|t| typing::convert_to(t, KType::Dynamic).expr));
    Ok(Typed::new(udf::call(f, exprs), KType::Dynamic))
}

/// `range(start, stop[, step])`: numbers, datetimes (timespan step) or
/// timespans. Arguments are brought to one kind here so the UDF can read
/// the kind off the start value.
fn range(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let mut args = Vec::with_capacity(c.args.len());
    for k in 0..c.args.len() {
        args.push(c.arg(p, k)?);
    }
    let first = args.first().map_or(KType::Null, |t| t.ty);
    let (bound, step) = match first {
        KType::DateTime => (KType::DateTime, KType::TimeSpan),
        KType::TimeSpan => (KType::TimeSpan, KType::TimeSpan),
        _ if args.iter().any(|t| matches!(t.ty, KType::Real | KType::Decimal)) => (KType::Real, KType::Real),
        _ => (KType::Long, KType::Long),
    };
    let exprs = args
        .into_iter()
        .enumerate()
        .map(|(k, t)| typing::convert_to(t, if k < 2 { bound } else { step }).expr)
        .collect();
    Ok(Typed::new(udf::call(&RANGE, exprs), KType::Dynamic))
}

// ---- JSON helpers ---------------------------------------------------------

/// Element equality: numbers by value, containers element-wise, bags
/// regardless of key order.
pub fn json_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(p), Some(q)) => p == q,
            _ => x.as_f64() == y.as_f64(),
        },
        (Json::Array(x), Json::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q)),
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// A text key equal for elements that [`json_eq`] calls equal, so that set
/// operations can hash instead of comparing every pair.
fn set_key(v: &Json) -> String {
    let mut out = String::new();
    canonical(v, &mut out);
    out
}

fn canonical(v: &Json, out: &mut String) {
    match v {
        Json::Number(n) => match n.as_i64() {
            Some(i) => out.push_str(&i.to_string()),
            None => {
                let f = n.as_f64().unwrap_or(f64::NAN);
                // A whole real must key like the long it equals.
                if f.fract() == 0.0 && f.abs() < 9.2e18 {
                    out.push_str(&(f as i64).to_string());
                } else {
                    out.push_str(&format!("{f:?}"));
                }
            }
        },
        Json::Array(a) => {
            out.push('[');
            for (k, x) in a.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                canonical(x, out);
            }
            out.push(']');
        }
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (k, key) in keys.into_iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                out.push_str(&Json::String(key.clone()).to_string());
                out.push(':');
                if let Some(x) = m.get(key) {
                    canonical(x, out);
                }
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// A JSON number as a long (reals truncate); anything else is `None`.
fn json_long(v: &Json) -> Option<i64> {
    match v {
        Json::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        _ => None,
    }
}

fn array_at(s: &Strs, i: usize) -> Option<Vec<Json>> {
    match parse(s.get(i)) {
        Some(Json::Array(a)) => Some(a),
        _ => None,
    }
}

fn bag_at(s: &Strs, i: usize) -> Option<Map<String, Json>> {
    match parse(s.get(i)) {
        Some(Json::Object(m)) => Some(m),
        _ => None,
    }
}

/// Every argument from `from` on, as dynamic text.
fn dyn_cols<'a>(args: &Args<'a>, from: usize) -> Result<Vec<Strs<'a>>> {
    (from..args.len()).map(|n| args.str(n)).collect()
}

/// The arrays of row `i`, or `None` when one of them is not an array.
fn arrays_at(cols: &[Strs], i: usize) -> Option<Vec<Vec<Json>>> {
    cols.iter().map(|c| array_at(c, i)).collect()
}

// ---- Result columns -------------------------------------------------------

/// A dynamic column; a JSON null is stored as an Arrow null, as everywhere
/// in kqlog.
fn dynamic_rows(rows: usize, mut f: impl FnMut(usize) -> Result<Option<Json>>) -> Result<ArrayRef> {
    let mut b = LargeStringBuilder::with_capacity(rows, rows * 16);
    for i in 0..rows {
        match f(i)? {
            None | Some(Json::Null) => b.append_null(),
            Some(v) => b.append_value(v.to_string()),
        }
    }
    Ok(Arc::new(b.finish()))
}

fn bool_rows(rows: usize, mut f: impl FnMut(usize) -> Result<Option<bool>>) -> Result<ArrayRef> {
    let mut b = BooleanBuilder::with_capacity(rows);
    for i in 0..rows {
        b.append_option(f(i)?);
    }
    Ok(Arc::new(b.finish()))
}

fn long_rows(rows: usize, mut f: impl FnMut(usize) -> Result<Option<i64>>) -> Result<ArrayRef> {
    let mut b = Int64Builder::with_capacity(rows);
    for i in 0..rows {
        b.append_option(f(i)?);
    }
    Ok(Arc::new(b.finish()))
}

fn real_rows(rows: usize, mut f: impl FnMut(usize) -> Result<Option<f64>>) -> Result<ArrayRef> {
    let mut b = Float64Builder::with_capacity(rows);
    for i in 0..rows {
        b.append_option(f(i)?);
    }
    Ok(Arc::new(b.finish()))
}

fn string_rows(rows: usize, mut f: impl FnMut(usize) -> Result<String>) -> Result<ArrayRef> {
    let mut b = StringBuilder::with_capacity(rows, rows * 16);
    for i in 0..rows {
        b.append_value(f(i)?);
    }
    Ok(Arc::new(b.finish()))
}

// ---- Array operations (pure) ----------------------------------------------

/// A negative index counts from the end.
fn from_end(i: i64, n: i64) -> i64 {
    if i < 0 { i.saturating_add(n) } else { i }
}

/// `array_slice`: inclusive bounds; out-of-range bounds are clipped.
pub fn slice(items: &[Json], start: i64, end: i64) -> Vec<Json> {
    let n = items.len() as i64;
    let s = from_end(start, n).max(0);
    let e = from_end(end, n).min(n - 1);
    if s > e {
        return Vec::new();
    }
    items[s as usize..=e as usize].to_vec()
}

/// `array_split`: the pieces `[0..i1)`, `[i1..i2)`, …, `[iN..len)`. Split
/// points are clipped to the array and never move backwards.
pub fn split(items: &[Json], cuts: &[i64]) -> Vec<Json> {
    let n = items.len() as i64;
    let mut bounds = Vec::with_capacity(cuts.len() + 1);
    let mut prev = 0;
    for &c in cuts {
        let c = from_end(c, n).clamp(prev, n);
        bounds.push(c);
        prev = c;
    }
    bounds.push(n);
    let mut out = Vec::with_capacity(bounds.len());
    let mut from = 0usize;
    for b in bounds {
        let b = b as usize;
        out.push(Json::Array(items[from..b].to_vec()));
        from = b;
    }
    out
}

/// `array_index_of`: the index of the `occurrence`-th match among the
/// `length` elements from `start` (-1: to the end), -1 when there is none,
/// `None` for meaningless arguments (as `indexof` on strings).
pub fn index_of(items: &[Json], value: &Json, start: i64, length: i64, occurrence: i64) -> Option<i64> {
    let n = items.len() as i64;
    let start = from_end(start, n);
    if occurrence <= 0 || length < -1 || start < 0 || value.is_null() {
        return None;
    }
    if start >= n {
        return Some(-1);
    }
    let end = if length < 0 { n } else { start.saturating_add(length).min(n) };
    let mut seen = 0;
    for k in start..end {
        if json_eq(&items[k as usize], value) {
            seen += 1;
            if seen == occurrence {
                return Some(k);
            }
        }
    }
    Some(-1)
}

/// `array_rotate_left` (a negative count rotates right).
pub fn rotate_left(items: &[Json], count: i64) -> Vec<Json> {
    let n = items.len() as i64;
    if n == 0 {
        return Vec::new();
    }
    let r = count.rem_euclid(n) as usize;
    let mut out = items[r..].to_vec();
    out.extend_from_slice(&items[..r]);
    out
}

/// `array_shift_left` (a negative count shifts right): vacated slots get
/// `fill`.
pub fn shift_left(items: &[Json], count: i64, fill: &Json) -> Vec<Json> {
    let n = items.len() as i64;
    let k = count.clamp(-n, n);
    (0..n)
        .map(|i| {
            let src = i + k;
            if (0..n).contains(&src) { items[src as usize].clone() } else { fill.clone() }
        })
        .collect()
}

/// The fill of `array_shift_*` without a third argument: Kusto fills an
/// array of strings with `""` and anything else with null.
fn default_fill(items: &[Json]) -> Json {
    let strings = items.iter().any(Json::is_string) && items.iter().all(|v| v.is_string() || v.is_null());
    if strings { Json::String(String::new()) } else { Json::Null }
}

/// `array_sum`: null as soon as one element is not a number.
pub fn sum(items: &[Json]) -> Option<f64> {
    let mut total = 0.0;
    for v in items {
        total += match v {
            Json::Number(n) => n.as_f64()?,
            _ => return None,
        };
    }
    Some(total)
}

/// Kusto's order of kinds in a mixed array: numbers, then strings, then
/// everything else. (Datetimes and timespans are strings in kqlog's JSON,
/// so they sort as text: right for ISO datetimes.)
fn kind_rank(v: &Json) -> u8 {
    match v {
        Json::Number(_) => 0,
        Json::String(_) => 1,
        _ => 2,
    }
}

fn cmp_values(a: &Json, b: &Json) -> Ordering {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(p), Some(q)) => p.cmp(&q),
            _ => x.as_f64().unwrap_or(f64::NAN).total_cmp(&y.as_f64().unwrap_or(f64::NAN)),
        },
        (Json::String(x), Json::String(y)) => x.cmp(y),
        _ => kind_rank(a).cmp(&kind_rank(b)),
    }
}

/// The permutation that sorts `items` (stable; nulls at the end unless
/// `nulls_last` is false, in either direction).
pub fn sort_order(items: &[Json], desc: bool, nulls_last: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&i, &j| {
        let (a, b) = (&items[i], &items[j]);
        match (a.is_null(), b.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => {
                if nulls_last {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (false, true) => {
                if nulls_last {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, false) => {
                let o = cmp_values(a, b);
                if desc { o.reverse() } else { o }
            }
        }
    });
    order
}

fn permute(items: &[Json], order: &[usize]) -> Vec<Json> {
    order.iter().filter_map(|&k| items.get(k).cloned()).collect()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SetOp {
    Union,
    Intersect,
    Difference,
}

/// `set_union`, `set_intersect`, `set_difference`: distinct values in
/// order of first appearance.
pub fn set_op(op: SetOp, arrays: Vec<Vec<Json>>) -> Vec<Json> {
    let mut iter = arrays.into_iter();
    let Some(first) = iter.next() else { return Vec::new() };
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    match op {
        SetOp::Union => {
            for v in first.into_iter().chain(iter.flatten()) {
                if seen.insert(set_key(&v)) {
                    out.push(v);
                }
            }
        }
        SetOp::Intersect | SetOp::Difference => {
            let others: Vec<HashSet<String>> = iter.map(|a| a.iter().map(set_key).collect()).collect();
            for v in first {
                let k = set_key(&v);
                let keep = if op == SetOp::Intersect {
                    others.iter().all(|o| o.contains(&k))
                } else {
                    !others.iter().any(|o| o.contains(&k))
                };
                if keep && seen.insert(k) {
                    out.push(v);
                }
            }
        }
    }
    out
}

/// `zip`: one array per index, shorter arrays padded with null.
pub fn zip(arrays: &[Vec<Json>]) -> Vec<Json> {
    let n = arrays.iter().map(Vec::len).max().unwrap_or(0);
    (0..n).map(|k| Json::Array(arrays.iter().map(|a| a.get(k).cloned().unwrap_or(Json::Null)).collect())).collect()
}

/// Kusto caps `range()` at 2^20 values.
const MAX_RANGE: usize = 1 << 20;

/// `start, start + step, …` up to and including `stop` (down to it for a
/// negative step); `None` for a zero step.
pub fn long_steps(start: i64, stop: i64, step: i64) -> Option<Vec<i64>> {
    if step == 0 {
        return None;
    }
    let mut out = Vec::new();
    let mut v = start;
    while out.len() < MAX_RANGE && (if step > 0 { v <= stop } else { v >= stop }) {
        out.push(v);
        let Some(next) = v.checked_add(step) else { break };
        v = next;
    }
    Some(out)
}

pub fn real_steps(start: f64, stop: f64, step: f64) -> Option<Vec<f64>> {
    if step == 0.0 || !step.is_finite() || !start.is_finite() || stop.is_nan() {
        return None;
    }
    let mut out = Vec::new();
    while out.len() < MAX_RANGE {
        // Multiplying rather than adding keeps rounding errors from piling up.
        let v = start + step * out.len() as f64;
        if (step > 0.0 && v > stop) || (step < 0.0 && v < stop) {
            break;
        }
        out.push(v);
    }
    Some(out)
}

/// The values of `range()` for one row, by the kind of `start`.
fn range_values(start: Value, stop: Value, step: Option<Value>) -> Option<Json> {
    const HOUR: i64 = 3_600 * time::NANOS_PER_SEC;
    let items: Vec<Json> = match start {
        Value::Long(s) => {
            let e = convert::to_long(stop)?;
            let st = match step {
                Some(v) => convert::to_long(v)?,
                None => 1,
            };
            long_steps(s, e, st)?.into_iter().map(Json::from).collect()
        }
        Value::Real(s) => {
            let e = convert::to_real(stop)?;
            let st = match step {
                Some(v) => convert::to_real(v)?,
                None => 1.0,
            };
            real_steps(s, e, st)?.into_iter().map(|x| to_json(Value::Real(x))).collect()
        }
        Value::DateTime(s) => {
            let e = convert::to_datetime(stop)?;
            let st = match step {
                Some(v) => convert::to_timespan(v)?,
                None => HOUR,
            };
            long_steps(s, e, st)?.into_iter().map(|x| to_json(Value::DateTime(x))).collect()
        }
        Value::TimeSpan(s) => {
            let e = convert::to_timespan(stop)?;
            let st = match step {
                Some(v) => convert::to_timespan(v)?,
                None => HOUR,
            };
            long_steps(s, e, st)?.into_iter().map(|x| to_json(Value::TimeSpan(x))).collect()
        }
        _ => return None,
    };
    Some(Json::Array(items))
}

// ---- Bag paths --------------------------------------------------------------

/// The path a bag key names: `$.a.b`, `$['a']["b"]` (JSONPath) are nested
/// keys; any other text is one top-level key, dots and all. `None` for
/// what Kusto does not support: array indexes and the bare root `$`.
pub fn key_path(key: &str) -> Option<Vec<String>> {
    let Some(mut s) = key.strip_prefix('$') else { return Some(vec![key.to_string()]) };
    let mut out = Vec::new();
    while !s.is_empty() {
        if let Some(r) = s.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if end == 0 {
                return None;
            }
            out.push(r[..end].to_string());
            s = &r[end..];
        } else if let Some(r) = s.strip_prefix('[') {
            let quote = r.chars().next().filter(|q| *q == '\'' || *q == '"')?;
            let body = &r[1..];
            let close = body.find(quote)?;
            out.push(body[..close].to_string());
            s = body[close + 1..].strip_prefix(']')?;
        } else {
            return None;
        }
    }
    if out.is_empty() { None } else { Some(out) }
}

pub fn has_path(bag: &Map<String, Json>, path: &[String]) -> bool {
    let Some((last, parents)) = path.split_last() else { return false };
    let mut cur = bag;
    for p in parents {
        match cur.get(p) {
            Some(Json::Object(m)) => cur = m,
            _ => return false,
        }
    }
    cur.contains_key(last)
}

pub fn remove_path(bag: &mut Map<String, Json>, path: &[String]) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut cur = bag;
    for p in parents {
        match cur.get_mut(p) {
            Some(Json::Object(m)) => cur = m,
            _ => return,
        }
    }
    // `shift_remove` keeps the other keys in their written order.
    cur.shift_remove(last);
}

/// Sets `path` to `value`, creating (or replacing non-bag values with)
/// bags on the way.
pub fn set_path(bag: &mut Map<String, Json>, path: &[String], value: Json) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut cur = bag;
    for p in parents {
        let slot = cur.entry(p.clone()).or_insert_with(|| Json::Object(Map::new()));
        if !slot.is_object() {
            *slot = Json::Object(Map::new());
        }
        match slot {
            Json::Object(m) => cur = m,
            _ => return,
        }
    }
    cur.insert(last.clone(), value);
}

// ---- UDF bodies -------------------------------------------------------------

fn eval_array_concat(args: &Args) -> Result<ArrayRef> {
    let cols = dyn_cols(args, 0)?;
    dynamic_rows(args.rows, |i| Ok(arrays_at(&cols, i).map(|a| Json::Array(a.into_iter().flatten().collect()))))
}

fn eval_array_slice(args: &Args) -> Result<ArrayRef> {
    let a = args.str(0)?;
    dynamic_rows(args.rows, |i| {
        let (Some(items), Some(s), Some(e)) = (array_at(&a, i), long_at(args, 1, i)?, long_at(args, 2, i)?) else {
            return Ok(None);
        };
        Ok(Some(Json::Array(slice(&items, s, e))))
    })
}

/// The split points of `array_split`: a number or an array of numbers.
fn split_points(v: Value) -> Option<Vec<i64>> {
    match v {
        Value::Null => None,
        Value::Dynamic(j) => match serde_json::from_str::<Json>(j).ok()? {
            Json::Array(a) => a.iter().map(json_long).collect(),
            other => json_long(&other).map(|x| vec![x]),
        },
        other => convert::to_long(other).map(|x| vec![x]),
    }
}

fn eval_array_split(args: &Args) -> Result<ArrayRef> {
    let a = args.str(0)?;
    let cuts = args.array(1)?;
    dynamic_rows(args.rows, |i| {
        let Some(items) = array_at(&a, i) else { return Ok(None) };
        let Some(points) = split_points(value_at(cuts.as_ref(), i)?) else { return Ok(None) };
        Ok(Some(Json::Array(split(&items, &points))))
    })
}

fn eval_array_index_of(args: &Args) -> Result<ArrayRef> {
    let a = args.str(0)?;
    let v = args.array(1)?;
    long_rows(args.rows, |i| {
        let start = long_at(args, 2, i)?.unwrap_or(0);
        let length = long_at(args, 3, i)?.unwrap_or(-1);
        let occurrence = long_at(args, 4, i)?.unwrap_or(1);
        let needle = to_json(value_at(v.as_ref(), i)?);
        Ok(array_at(&a, i).and_then(|items| index_of(&items, &needle, start, length, occurrence)))
    })
}

fn eval_array_reverse(args: &Args) -> Result<ArrayRef> {
    let a = args.str(0)?;
    dynamic_rows(args.rows, |i| {
        Ok(array_at(&a, i).map(|mut items| {
            items.reverse();
            Json::Array(items)
        }))
    })
}

fn eval_rotate(args: &Args, right: bool) -> Result<ArrayRef> {
    let a = args.str(0)?;
    dynamic_rows(args.rows, |i| {
        let (Some(items), Some(n)) = (array_at(&a, i), long_at(args, 1, i)?) else { return Ok(None) };
        let n = if right { n.saturating_neg() } else { n };
        Ok(Some(Json::Array(rotate_left(&items, n))))
    })
}

fn eval_rotate_left(args: &Args) -> Result<ArrayRef> {
    eval_rotate(args, false)
}

fn eval_rotate_right(args: &Args) -> Result<ArrayRef> {
    eval_rotate(args, true)
}

fn eval_shift(args: &Args, right: bool) -> Result<ArrayRef> {
    let a = args.str(0)?;
    let fills = if args.len() > 2 { Some(args.array(2)?) } else { None };
    dynamic_rows(args.rows, |i| {
        let (Some(items), Some(n)) = (array_at(&a, i), long_at(args, 1, i)?) else { return Ok(None) };
        let n = if right { n.saturating_neg() } else { n };
        let fill = match &fills {
            Some(f) => to_json(value_at(f.as_ref(), i)?),
            None => default_fill(&items),
        };
        Ok(Some(Json::Array(shift_left(&items, n, &fill))))
    })
}

fn eval_shift_left(args: &Args) -> Result<ArrayRef> {
    eval_shift(args, false)
}

fn eval_shift_right(args: &Args) -> Result<ArrayRef> {
    eval_shift(args, true)
}

fn eval_array_sum(args: &Args) -> Result<ArrayRef> {
    let a = args.str(0)?;
    real_rows(args.rows, |i| Ok(array_at(&a, i).and_then(|items| sum(&items))))
}

/// One array sorts to an array; several give an array holding each one
/// reordered like the first (null for an array of another length).
fn eval_sort(args: &Args, desc: bool) -> Result<ArrayRef> {
    let flag = args.array(0)?;
    let cols = dyn_cols(args, 1)?;
    dynamic_rows(args.rows, |i| {
        let nulls_last = convert::to_bool(value_at(flag.as_ref(), i)?).unwrap_or(true);
        let Some(first) = cols.first().and_then(|c| array_at(c, i)) else { return Ok(None) };
        let order = sort_order(&first, desc, nulls_last);
        let sorted = Json::Array(permute(&first, &order));
        if cols.len() == 1 {
            return Ok(Some(sorted));
        }
        let mut out = vec![sorted];
        for c in &cols[1..] {
            out.push(match array_at(c, i) {
                Some(a) if a.len() == first.len() => Json::Array(permute(&a, &order)),
                _ => Json::Null,
            });
        }
        Ok(Some(Json::Array(out)))
    })
}

fn eval_sort_asc(args: &Args) -> Result<ArrayRef> {
    eval_sort(args, false)
}

fn eval_sort_desc(args: &Args) -> Result<ArrayRef> {
    eval_sort(args, true)
}

fn eval_set(args: &Args, op: SetOp) -> Result<ArrayRef> {
    let cols = dyn_cols(args, 0)?;
    dynamic_rows(args.rows, |i| Ok(arrays_at(&cols, i).map(|arrays| Json::Array(set_op(op, arrays)))))
}

fn eval_set_union(args: &Args) -> Result<ArrayRef> {
    eval_set(args, SetOp::Union)
}

fn eval_set_intersect(args: &Args) -> Result<ArrayRef> {
    eval_set(args, SetOp::Intersect)
}

fn eval_set_difference(args: &Args) -> Result<ArrayRef> {
    eval_set(args, SetOp::Difference)
}

fn eval_set_has_element(args: &Args) -> Result<ArrayRef> {
    let a = args.str(0)?;
    let v = args.array(1)?;
    bool_rows(args.rows, |i| {
        let needle = to_json(value_at(v.as_ref(), i)?);
        if needle.is_null() {
            return Ok(None);
        }
        Ok(array_at(&a, i).map(|items| items.iter().any(|x| json_eq(x, &needle))))
    })
}

/// The leftmost bag wins a key; arguments that are not bags add nothing.
fn eval_bag_merge(args: &Args) -> Result<ArrayRef> {
    let cols = dyn_cols(args, 0)?;
    dynamic_rows(args.rows, |i| {
        let mut out = Map::new();
        for c in &cols {
            if let Some(m) = bag_at(c, i) {
                for (k, v) in m {
                    out.entry(k).or_insert(v);
                }
            }
        }
        Ok(Some(Json::Object(out)))
    })
}

fn eval_bag_remove_keys(args: &Args) -> Result<ArrayRef> {
    let b = args.str(0)?;
    let k = args.str(1)?;
    dynamic_rows(args.rows, |i| {
        let (Some(mut bag), Some(keys)) = (bag_at(&b, i), array_at(&k, i)) else { return Ok(None) };
        for key in keys {
            if let Json::String(key) = key
                && let Some(path) = key_path(&key)
            {
                remove_path(&mut bag, &path);
            }
        }
        Ok(Some(Json::Object(bag)))
    })
}

fn eval_bag_set_key(args: &Args) -> Result<ArrayRef> {
    let b = args.str(0)?;
    let k = args.str(1)?;
    let v = args.array(2)?;
    dynamic_rows(args.rows, |i| {
        let (Some(mut bag), Some(path)) = (bag_at(&b, i), key_path(k.text(i))) else { return Ok(None) };
        set_path(&mut bag, &path, to_json(value_at(v.as_ref(), i)?));
        Ok(Some(Json::Object(bag)))
    })
}

fn eval_bag_has_key(args: &Args) -> Result<ArrayRef> {
    let b = args.str(0)?;
    let k = args.str(1)?;
    bool_rows(args.rows, |i| {
        let found = match (bag_at(&b, i), key_path(k.text(i))) {
            (Some(bag), Some(path)) => has_path(&bag, &path),
            _ => false,
        };
        Ok(Some(found))
    })
}

/// Elements as their text (a string unquoted, null as nothing, anything
/// else as JSON); not an array gives `""`, as Kusto strings are never null.
fn eval_strcat_array(args: &Args) -> Result<ArrayRef> {
    let a = args.str(0)?;
    let d = args.str(1)?;
    string_rows(args.rows, |i| {
        let mut out = String::new();
        let Some(items) = array_at(&a, i) else { return Ok(out) };
        let delim = d.text(i);
        for (k, v) in items.iter().enumerate() {
            if k > 0 {
                out.push_str(delim);
            }
            match v {
                Json::String(s) => out.push_str(s),
                Json::Null => {}
                other => out.push_str(&other.to_string()),
            }
        }
        Ok(out)
    })
}

fn eval_range(args: &Args) -> Result<ArrayRef> {
    let start = args.array(0)?;
    let stop = args.array(1)?;
    let step = if args.len() > 2 { Some(args.array(2)?) } else { None };
    dynamic_rows(args.rows, |i| {
        let s = value_at(start.as_ref(), i)?;
        let e = value_at(stop.as_ref(), i)?;
        let st = match &step {
            Some(a) => Some(value_at(a.as_ref(), i)?),
            None => None,
        };
        Ok(range_values(s, e, st))
    })
}

fn eval_zip(args: &Args) -> Result<ArrayRef> {
    let cols = dyn_cols(args, 0)?;
    dynamic_rows(args.rows, |i| Ok(arrays_at(&cols, i).map(|arrays| Json::Array(zip(&arrays)))))
}

macro_rules! array_udfs {
    ($($static:ident = $name:literal, $ret:expr, $eval:ident;)*) => {
        $(
            pub static $static: LazyLock<Arc<ScalarUDF>> =
                LazyLock::new(|| udf::make($name, Returns::Fixed($ret), false, $eval));
        )*
    };
}

array_udfs! {
    ARRAY_CONCAT = "kql_array_concat", DataType::LargeUtf8, eval_array_concat;
    ARRAY_SLICE = "kql_array_slice", DataType::LargeUtf8, eval_array_slice;
    ARRAY_SPLIT = "kql_array_split", DataType::LargeUtf8, eval_array_split;
    ARRAY_INDEX_OF = "kql_array_index_of", DataType::Int64, eval_array_index_of;
    ARRAY_REVERSE = "kql_array_reverse", DataType::LargeUtf8, eval_array_reverse;
    ROTATE_LEFT = "kql_array_rotate_left", DataType::LargeUtf8, eval_rotate_left;
    ROTATE_RIGHT = "kql_array_rotate_right", DataType::LargeUtf8, eval_rotate_right;
    SHIFT_LEFT = "kql_array_shift_left", DataType::LargeUtf8, eval_shift_left;
    SHIFT_RIGHT = "kql_array_shift_right", DataType::LargeUtf8, eval_shift_right;
    ARRAY_SUM = "kql_array_sum", DataType::Float64, eval_array_sum;
    SORT_ASC = "kql_array_sort_asc", DataType::LargeUtf8, eval_sort_asc;
    SORT_DESC = "kql_array_sort_desc", DataType::LargeUtf8, eval_sort_desc;
    SET_UNION = "kql_set_union", DataType::LargeUtf8, eval_set_union;
    SET_INTERSECT = "kql_set_intersect", DataType::LargeUtf8, eval_set_intersect;
    SET_DIFFERENCE = "kql_set_difference", DataType::LargeUtf8, eval_set_difference;
    SET_HAS_ELEMENT = "kql_set_has_element", DataType::Boolean, eval_set_has_element;
    BAG_MERGE = "kql_bag_merge", DataType::LargeUtf8, eval_bag_merge;
    BAG_REMOVE_KEYS = "kql_bag_remove_keys", DataType::LargeUtf8, eval_bag_remove_keys;
    BAG_SET_KEY = "kql_bag_set_key", DataType::LargeUtf8, eval_bag_set_key;
    BAG_HAS_KEY = "kql_bag_has_key", DataType::Boolean, eval_bag_has_key;
    STRCAT_ARRAY = "kql_strcat_array", DataType::Utf8, eval_strcat_array;
    RANGE = "kql_range", DataType::LargeUtf8, eval_range;
    ZIP = "kql_zip", DataType::LargeUtf8, eval_zip;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn arr(v: Json) -> Vec<Json> {
        match v {
            Json::Array(a) => a,
            other => vec![other],
        }
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(json_eq(&json!(1), &json!(1.0)));
        assert!(json_eq(&json!([1, {"a": 2}]), &json!([1.0, {"a": 2.0}])));
        assert!(!json_eq(&json!(1), &json!("1")));
        assert_eq!(set_key(&json!(2.0)), set_key(&json!(2)));
        assert_eq!(set_key(&json!({"b": 1, "a": 2})), set_key(&json!({"a": 2, "b": 1})));
    }

    #[test]
    fn slices_clip_and_count_from_the_end() {
        let a = arr(json!([1, 2, 3, 4, 5]));
        assert_eq!(slice(&a, 1, 2), arr(json!([2, 3])));
        assert_eq!(slice(&a, -3, -2), arr(json!([3, 4])));
        assert_eq!(slice(&a, 2, -1), arr(json!([3, 4, 5])));
        assert_eq!(slice(&a, -10, 10), a);
        assert!(slice(&a, 3, 1).is_empty());
        assert!(slice(&[], 0, 0).is_empty());
    }

    #[test]
    fn splits() {
        let a = arr(json!([1, 2, 3, 4, 5]));
        assert_eq!(split(&a, &[2]), arr(json!([[1, 2], [3, 4, 5]])));
        assert_eq!(split(&a, &[1, 3]), arr(json!([[1], [2, 3], [4, 5]])));
        assert_eq!(split(&a, &[-1]), arr(json!([[1, 2, 3, 4], [5]])));
        assert_eq!(split(&a, &[4, 2]), arr(json!([[1, 2, 3, 4], [], [5]])));
        assert_eq!(split(&a, &[9]), arr(json!([[1, 2, 3, 4, 5], []])));
    }

    #[test]
    fn index_of_follows_the_documented_examples() {
        let a = arr(json!(["this", "is", "an", "example", "an", "example"]));
        let f = |v: &str, s, l, o| index_of(&a, &json!(v), s, l, o);
        assert_eq!(f("an", 0, -1, 1), Some(2));
        assert_eq!(f("example", 1, 3, 1), Some(3));
        assert_eq!(f("example", 1, 2, 1), Some(-1));
        assert_eq!(f("is", 2, 4, 1), Some(-1));
        assert_eq!(f("an", 1, -1, 2), Some(4));
        assert_eq!(f("an", 1, -1, 3), Some(-1));
        assert_eq!(f("an", -3, -1, 1), Some(4));
        assert_eq!(f("is", -4, -1, 1), Some(-1));
        assert_eq!(f("an", 0, -2, 1), None);
        assert_eq!(f("an", 0, -1, -1), None);
        assert_eq!(index_of(&arr(json!([1, 2.0])), &json!(2), 0, -1, 1), Some(1));
    }

    #[test]
    fn rotations_and_shifts() {
        let a = arr(json!([1, 2, 3, 4, 5]));
        assert_eq!(rotate_left(&a, 2), arr(json!([3, 4, 5, 1, 2])));
        assert_eq!(rotate_left(&a, -2), arr(json!([4, 5, 1, 2, 3])));
        assert_eq!(rotate_left(&a, 12), arr(json!([3, 4, 5, 1, 2])));
        assert!(rotate_left(&[], 3).is_empty());
        assert_eq!(shift_left(&a, 2, &Json::Null), arr(json!([3, 4, 5, null, null])));
        assert_eq!(shift_left(&a, -2, &json!(-1)), arr(json!([-1, -1, 1, 2, 3])));
        assert_eq!(shift_left(&a, i64::MIN, &json!(0)), arr(json!([0, 0, 0, 0, 0])));
        assert_eq!(default_fill(&arr(json!(["a", null]))), json!(""));
        assert_eq!(default_fill(&arr(json!(["a", 1]))), Json::Null);
    }

    #[test]
    fn sums() {
        assert_eq!(sum(&arr(json!([1, 2, 3, 4]))), Some(10.0));
        assert_eq!(sum(&arr(json!([1, "2"]))), None);
        assert_eq!(sum(&[]), Some(0.0));
    }

    #[test]
    fn sorting() {
        let a = arr(json!([null, "blue", "yellow", "green", null]));
        let order = sort_order(&a, false, true);
        assert_eq!(permute(&a, &order), arr(json!(["blue", "green", "yellow", null, null])));
        let order = sort_order(&a, true, false);
        assert_eq!(permute(&a, &order), arr(json!([null, null, "yellow", "green", "blue"])));
        let mixed = arr(json!([true, "b", 2, 1.5]));
        let order = sort_order(&mixed, false, true);
        assert_eq!(permute(&mixed, &order), arr(json!([1.5, 2, "b", true])));
        let keys = arr(json!([1, 3, 4, 5, 2]));
        let other = arr(json!(["a", "b", "c", "d", "e"]));
        assert_eq!(permute(&other, &sort_order(&keys, false, true)), arr(json!(["a", "e", "b", "c", "d"])));
        assert_eq!(permute(&other, &sort_order(&keys, true, true)), arr(json!(["d", "c", "b", "e", "a"])));
    }

    #[test]
    fn sets() {
        let a = || vec![arr(json!([1, 2, 1, 4])), arr(json!([1, 2])), arr(json!([8, 1.0]))];
        assert_eq!(set_op(SetOp::Union, a()), arr(json!([1, 2, 4, 8])));
        assert_eq!(set_op(SetOp::Intersect, a()), arr(json!([1])));
        assert_eq!(set_op(SetOp::Difference, a()), arr(json!([4])));
        assert_eq!(set_op(SetOp::Union, vec![arr(json!(["x", "x"]))]), arr(json!(["x"])));
    }

    #[test]
    fn zips_pad_with_null() {
        let z = zip(&[arr(json!(["A", 1, 1.5])), arr(json!([{}, "B"]))]);
        assert_eq!(z, arr(json!([["A", {}], [1, "B"], [1.5, null]])));
    }

    #[test]
    fn ranges() {
        assert_eq!(long_steps(1, 8, 3), Some(vec![1, 4, 7]));
        assert_eq!(long_steps(5, 1, -2), Some(vec![5, 3, 1]));
        assert_eq!(long_steps(3, 1, 1), Some(vec![]));
        assert_eq!(long_steps(1, 2, 0), None);
        assert_eq!(long_steps(0, i64::MAX, 1).map(|v| v.len()), Some(MAX_RANGE));
        assert_eq!(long_steps(i64::MAX - 1, i64::MAX, 5), Some(vec![i64::MAX - 1]));
        assert_eq!(real_steps(1.0, 2.0, 0.5), Some(vec![1.0, 1.5, 2.0]));
        let hour = 3_600 * time::NANOS_PER_SEC;
        let hours = range_values(Value::TimeSpan(hour), Value::TimeSpan(3 * hour), None);
        assert_eq!(hours, Some(json!(["01:00:00", "02:00:00", "03:00:00"])));
    }

    #[test]
    fn bag_paths() {
        let p = |s: &str| key_path(s);
        assert_eq!(p("a.b"), Some(vec!["a.b".to_string()]));
        assert_eq!(p("$.a.b"), Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(p("$['a'][\"b.c\"]"), Some(vec!["a".to_string(), "b.c".to_string()]));
        assert_eq!(p("$.a[0]"), None);
        assert_eq!(p("$"), None);
        let Json::Object(mut bag) = json!({"k1": 123, "k2": {"p1": "abc", "p2": "xyz"}, "k3": [100, 200]}) else {
            return;
        };
        assert!(has_path(&bag, &["k2".to_string(), "p1".to_string()]));
        assert!(!has_path(&bag, &["k3".to_string(), "p1".to_string()]));
        remove_path(&mut bag, &["k2".to_string(), "p1".to_string()]);
        remove_path(&mut bag, &["k3".to_string()]);
        assert_eq!(Json::Object(bag.clone()), json!({"k1": 123, "k2": {"p2": "xyz"}}));
        set_path(&mut bag, &["k1".to_string(), "x".to_string()], json!(1));
        set_path(&mut bag, &["k4".to_string(), "y".to_string()], json!("v"));
        assert_eq!(Json::Object(bag), json!({"k1": {"x": 1}, "k2": {"p2": "xyz"}, "k4": {"y": "v"}}));
    }
}
