//! `dynamic` values (JSON text in a `LargeUtf8` column): member access,
//! `parse_json`, `array_length`, `bag_keys`, `bag_pack`, `pack_array`,
//! `parse_url`.

use std::sync::{Arc, LazyLock};

use arrow::array::ArrayRef;
use arrow::datatypes::{DataType, Int64Type};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use serde_json::{Map, Value as Json};

use crate::functions::convert::{self, to_json, value_at};
use crate::functions::strings::{map_dynamic, map_longs};
use crate::functions::udf::{self, Args, Returns};
use crate::functions::{Call, MANY, Registry};
use crate::plan::typing;
use crate::plan::{PResult, Planner, Typed};
use crate::types::KType;

pub fn register(r: &mut Registry) {
    r.scalar(&["parse_json", "todynamic", "toobject", "parsejson"], 1, 1, |p, c| {
        let v = c.arg(p, 0)?;
        Ok(typing::convert_to(v, KType::Dynamic))
    });
    r.scalar(&["array_length"], 1, 1, |p, c| dyn_call(p, c, &ARRAY_LENGTH, KType::Long));
    r.scalar(&["bag_keys"], 1, 1, |p, c| dyn_call(p, c, &BAG_KEYS, KType::Dynamic));
    r.scalar(&["pack", "bag_pack"], 0, MANY, pack);
    r.scalar(&["pack_array"], 1, MANY, pack_array);
    r.scalar(&["pack_all"], 0, 1, pack_all);
    r.scalar(&["bag_pack_columns"], 1, MANY, bag_pack_columns);
    r.scalar(&["gettype"], 1, 1, gettype);
    r.scalar(&["column_ifexists"], 2, 2, column_ifexists);
    r.scalar(&["parse_url"], 1, 1, |p, c| {
        let s = c.string_arg(p, 0)?;
        Ok(Typed::new(udf::call(&PARSE_URL, vec![s]), KType::Dynamic))
    });
}

/// Calls a UDF whose first argument is dynamic (other types are converted).
fn dyn_call(p: &mut Planner, c: &Call, f: &Arc<ScalarUDF>, ty: KType) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    let v = typing::convert_to(v, KType::Dynamic);
    Ok(Typed::new(udf::call(f, vec![v.expr]), ty))
}

fn pack(p: &mut Planner, c: &Call) -> PResult<Typed> {
    if !c.args.len().is_multiple_of(2) {
        return Err(c.error(format!("`{}()` takes key/value pairs", c.name.name)));
    }
    let mut args = Vec::new();
    for k in 0..c.args.len() {
        args.push(if k % 2 == 0 { c.string_arg(p, k)? } else { c.arg(p, k)?.expr });
    }
    Ok(Typed::new(udf::call(&PACK, args), KType::Dynamic))
}

/// `pack_all([ignore_null_empty])`: a bag of every input column.
fn pack_all(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let skip_empty = if c.args.is_empty() {
        false
    } else {
        matches!(c.const_arg(p, 0)?.0, datafusion::common::ScalarValue::Boolean(Some(true)))
    };
    let mut args = Vec::new();
    for f in c.cx.schema.fields() {
        if let Some(t) = crate::plan::scope::find_column(c.cx.schema, f.name()) {
            args.push(datafusion::logical_expr::lit(f.name().clone()));
            args.push(t.expr);
        }
    }
    let f = if skip_empty { &PACK_NON_EMPTY } else { &PACK };
    Ok(Typed::new(udf::call(f, args), KType::Dynamic))
}

/// `bag_pack_columns(a, b, …)`: a bag keyed by the columns' names.
fn bag_pack_columns(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let mut args = Vec::new();
    for (n, a) in c.args.iter().enumerate() {
        let crate::syntax::ast::ExprKind::Name(name) = &a.kind else {
            return Err(c.type_error(n, c.arg(p, n)?.ty, "a column name"));
        };
        args.push(datafusion::logical_expr::lit(name.name.clone()));
        args.push(c.arg(p, n)?.expr);
    }
    Ok(Typed::new(udf::call(&PACK, args), KType::Dynamic))
}

/// `gettype(x)`: a static type's name, or for a dynamic value the kind of
/// JSON it holds.
fn gettype(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    let name = match v.ty {
        KType::Dynamic => return Ok(Typed::new(udf::call(&GETTYPE, vec![v.expr]), KType::String)),
        KType::Null => "null",
        other => other.name(),
    };
    Ok(Typed::new(datafusion::logical_expr::lit(name), KType::String))
}

/// `column_ifexists("name", default)`: the column when the input has it.
fn column_ifexists(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let name = c.const_string(p, 0)?;
    match crate::plan::scope::find_column(c.cx.schema, &name) {
        Some(t) => Ok(t),
        None => c.arg(p, 1),
    }
}

fn pack_array(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let mut args = Vec::new();
    for k in 0..c.args.len() {
        args.push(c.arg(p, k)?.expr);
    }
    Ok(Typed::new(udf::call(&PACK_ARRAY, args), KType::Dynamic))
}

/// Parses a dynamic cell's JSON text; a missing or malformed value is null.
pub fn parse(text: Option<&str>) -> Option<Json> {
    serde_json::from_str(text?).ok()
}

/// One step of a member/index path.
enum Key<'a> {
    Name(&'a str),
    Index(i64),
}

fn step<'v>(v: &'v Json, k: &Key) -> Option<&'v Json> {
    match (v, k) {
        (Json::Object(m), Key::Name(n)) => m.get(*n),
        (Json::Array(a), Key::Index(i)) => {
            let n = a.len() as i64;
            let i = if *i < 0 { i + n } else { *i };
            if i < 0 { None } else { a.get(i as usize) }
        }
        // `d["0"]` on an array and `d[0]` on a bag do not match in Kusto.
        _ => None,
    }
}

/// `d.a.b[0]`: arguments are the root, then one key per step (a string
/// member name or a long index).
fn eval_path(args: &Args) -> Result<ArrayRef> {
    let root = args.str(0)?;
    let mut keys = Vec::new();
    for n in 1..args.len() {
        keys.push(args.array(n)?);
    }
    let mut texts: Vec<Option<crate::functions::udf::Strs>> = Vec::new();
    for k in &keys {
        texts.push(match k.data_type() {
            DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => {
                Some(crate::functions::udf::Strs::of(k.as_ref())?)
            }
            _ => None,
        });
    }
    let mut cache: Option<(String, Option<Json>)> = None;
    Ok(map_dynamic(args.rows, |i| {
        let text = root.get(i)?;
        // Consecutive rows often share a value (a constant bag): parse once.
        if cache.as_ref().is_none_or(|(t, _)| t != text) {
            cache = Some((text.to_string(), serde_json::from_str(text).ok()));
        }
        let mut cur = cache.as_ref()?.1.as_ref()?;
        for (k, key) in keys.iter().enumerate() {
            let step_key = match &texts[k] {
                Some(s) => Key::Name(s.get(i)?),
                None => Key::Index(convert::to_long(value_at(key.as_ref(), i).ok()?)?),
            };
            cur = step(cur, &step_key)?;
        }
        match cur {
            Json::Null => None,
            v => Some(v.to_string()),
        }
    }))
}

fn eval_array_length(args: &Args) -> Result<ArrayRef> {
    let d = args.str(0)?;
    Ok(map_longs(args.rows, |i| match parse(d.get(i)) {
        Some(Json::Array(a)) => Some(a.len() as i64),
        _ => None,
    }))
}

fn eval_bag_keys(args: &Args) -> Result<ArrayRef> {
    let d = args.str(0)?;
    Ok(map_dynamic(args.rows, |i| match parse(d.get(i)) {
        Some(Json::Object(m)) => Some(Json::from(m.keys().cloned().collect::<Vec<_>>()).to_string()),
        _ => None,
    }))
}

fn eval_pack(args: &Args) -> Result<ArrayRef> {
    pack_rows(args, false)
}

fn eval_pack_non_empty(args: &Args) -> Result<ArrayRef> {
    pack_rows(args, true)
}

fn eval_gettype(args: &Args) -> Result<ArrayRef> {
    let d = args.str(0)?;
    let mut b = arrow::array::StringBuilder::with_capacity(args.rows, args.rows * 6);
    for i in 0..args.rows {
        b.append_value(match parse(d.get(i)) {
            None | Some(Json::Null) => "null",
            Some(Json::Object(_)) => "dictionary",
            Some(Json::Array(_)) => "array",
            Some(Json::String(_)) => "string",
            Some(Json::Bool(_)) => "bool",
            Some(Json::Number(n)) if n.is_i64() || n.is_u64() => "long",
            Some(Json::Number(_)) => "double",
        });
    }
    Ok(Arc::new(b.finish()))
}

/// `key, value, …` pairs to a bag; `skip_empty` leaves out null and empty values.
fn pack_rows(args: &Args, skip_empty: bool) -> Result<ArrayRef> {
    let mut cols = Vec::new();
    for n in 0..args.len() {
        cols.push(args.array(n)?);
    }
    let mut err = None;
    let out = map_dynamic(args.rows, |i| {
        let mut m = Map::new();
        for pair in cols.chunks(2) {
            let (Ok(k), Ok(v)) = (value_at(pair[0].as_ref(), i), value_at(pair[1].as_ref(), i)) else {
                err = Some(datafusion::error::DataFusionError::Execution("bad bag_pack argument".into()));
                return None;
            };
            let mut key = String::new();
            convert::to_text(k, &mut key);
            let value = to_json(v);
            if skip_empty && (value.is_null() || value.as_str() == Some("")) {
                continue;
            }
            m.insert(key, value);
        }
        Some(Json::Object(m).to_string())
    });
    match err {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

fn eval_pack_array(args: &Args) -> Result<ArrayRef> {
    let mut cols = Vec::new();
    for n in 0..args.len() {
        cols.push(args.array(n)?);
    }
    let mut rows = Vec::with_capacity(args.rows);
    for i in 0..args.rows {
        let mut items = Vec::with_capacity(cols.len());
        for c in &cols {
            items.push(to_json(value_at(c.as_ref(), i)?));
        }
        rows.push(Json::Array(items).to_string());
    }
    Ok(map_dynamic(args.rows, |i| Some(std::mem::take(&mut rows[i]))))
}

/// Splits a URL into Kusto's `parse_url` bag.
pub fn parse_url(s: &str) -> Option<Json> {
    let (scheme, rest) = s.split_once("://")?;
    let (rest, fragment) = match rest.split_once('#') {
        Some((r, f)) => (r, f),
        None => (rest, ""),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, q),
        None => (rest, ""),
    };
    let (authority, path) = match rest.find('/') {
        Some(p) => (&rest[..p], &rest[p..]),
        None => (rest, ""),
    };
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (u, h),
        None => ("", authority),
    };
    let (user, password) = match userinfo.split_once(':') {
        Some((u, p)) => (u, p),
        None => (userinfo, ""),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => (h, p),
        _ => (hostport, ""),
    };
    let mut params = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = crate::functions::strings::url_decode(v).unwrap_or_else(|| v.to_string());
        params.insert(k.to_string(), Json::String(v));
    }
    let mut m = Map::new();
    m.insert("Scheme".into(), scheme.into());
    m.insert("Host".into(), host.into());
    m.insert("Port".into(), port.into());
    m.insert("Path".into(), path.into());
    m.insert("Username".into(), user.into());
    m.insert("Password".into(), password.into());
    m.insert("Query Parameters".into(), Json::Object(params));
    m.insert("Fragment".into(), fragment.into());
    Some(Json::Object(m))
}

fn eval_parse_url(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    Ok(map_dynamic(args.rows, |i| parse_url(s.text(i)).map(|j| j.to_string())))
}

macro_rules! dynamic_udfs {
    ($($static:ident = $name:literal, $ret:expr, $eval:ident;)*) => {
        $(
            pub static $static: LazyLock<Arc<ScalarUDF>> =
                LazyLock::new(|| udf::make($name, Returns::Fixed($ret), false, $eval));
        )*
    };
}

dynamic_udfs! {
    PATH = "kql_dynamic_path", DataType::LargeUtf8, eval_path;
    ARRAY_LENGTH = "kql_array_length", DataType::Int64, eval_array_length;
    BAG_KEYS = "kql_bag_keys", DataType::LargeUtf8, eval_bag_keys;
    PACK = "kql_bag_pack", DataType::LargeUtf8, eval_pack;
    PACK_ARRAY = "kql_pack_array", DataType::LargeUtf8, eval_pack_array;
    PACK_NON_EMPTY = "kql_bag_pack_non_empty", DataType::LargeUtf8, eval_pack_non_empty;
    GETTYPE = "kql_gettype", DataType::Utf8, eval_gettype;
    PARSE_URL = "kql_parse_url", DataType::LargeUtf8, eval_parse_url;
}

#[allow(dead_code)]
fn _int64(_: Int64Type) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parts() {
        let u = parse_url("https://user:pw@host.example:8080/a/b?x=1&y=%20z#frag").unwrap_or_default();
        assert_eq!(u["Host"], "host.example");
        assert_eq!(u["Port"], "8080");
        assert_eq!(u["Path"], "/a/b");
        assert_eq!(u["Query Parameters"]["y"], " z");
        assert_eq!(u["Fragment"], "frag");
    }

    #[test]
    fn negative_index_counts_from_the_end() {
        let v: Json = serde_json::json!([1, 2, 3]);
        assert_eq!(step(&v, &Key::Index(-1)), Some(&Json::from(3)));
        assert_eq!(step(&v, &Key::Index(5)), None);
    }
}
