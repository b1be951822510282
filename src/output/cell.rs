//! One value as text (CSV, tables) or JSON, in the formats kqlog promises:
//! datetimes `2026-11-03T12:00:00.0000000Z`, timespans `1.02:03:04`,
//! booleans `true`/`false`, dynamic values as compact JSON (a string value
//! as its text), null as an empty cell, reals in shortest round-trip form.

use arrow::array::Array;
use serde_json::Value as Json;

use crate::functions::convert::{Value, value_at};
use crate::types::format;

/// The text of row `i` of `a`.
pub fn text(a: &dyn Array, i: usize) -> String {
    match value_at(a, i) {
        Ok(v) => value_text(v),
        Err(_) => String::from("?"),
    }
}

pub fn value_text(v: Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Long(x) => x.to_string(),
        Value::Real(x) => format::real(x),
        Value::Decimal(x, s) => format::decimal(x, s),
        Value::Str(s) => s.to_string(),
        Value::DateTime(ns) => format::datetime(ns),
        Value::TimeSpan(ns) => format::timespan(ns),
        Value::Dynamic(j) => compact_dynamic(j),
    }
}

/// A dynamic value: a JSON string as its text, anything else as compact JSON.
fn compact_dynamic(j: &str) -> String {
    match serde_json::from_str::<Json>(j) {
        Ok(Json::String(s)) => s,
        Ok(Json::Null) => String::new(),
        Ok(v) => v.to_string(),
        Err(_) => j.to_string(),
    }
}

/// Row `i` of `a` as JSON. Strings are never null in Kusto: a null string
/// cell is `""`.
pub fn json(a: &dyn Array, i: usize) -> Json {
    let Ok(v) = value_at(a, i) else { return Json::Null };
    match v {
        Value::Null => match a.data_type() {
            arrow::datatypes::DataType::Utf8 | arrow::datatypes::DataType::Utf8View => Json::String(String::new()),
            _ => Json::Null,
        },
        Value::Bool(b) => Json::Bool(b),
        Value::Long(x) => Json::from(x),
        Value::Real(x) => serde_json::Number::from_f64(x).map_or_else(|| Json::String(format::real(x)), Json::Number),
        Value::Decimal(x, s) => {
            let text = format::decimal(x, s);
            serde_json::from_str::<serde_json::Number>(&text).map_or(Json::String(text), Json::Number)
        }
        Value::Str(s) => Json::String(s.to_string()),
        Value::DateTime(ns) => Json::String(format::datetime(ns)),
        Value::TimeSpan(ns) => Json::String(format::timespan(ns)),
        Value::Dynamic(j) => serde_json::from_str(j).unwrap_or_else(|_| Json::String(j.to_string())),
    }
}
