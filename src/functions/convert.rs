//! Conversions between Kusto types: `tostring`, `toint`, `tolong`,
//! `todouble`/`toreal`, `tobool`, `todatetime`, `totimespan`, `todecimal`,
//! `toguid`. A conversion that fails gives null, never an error.

use std::sync::{Arc, LazyLock};

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, LargeStringBuilder,
    StringBuilder,
};
use arrow::datatypes::{
    DataType, Date32Type, Date64Type, Decimal128Type, DurationNanosecondType, Float16Type, Float32Type, Float64Type,
    Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::ScalarUDF;

use crate::functions::udf::{self, Args, Returns};
use crate::plan::Typed;
use crate::types::{KType, format, time};

/// One value of any type kqlog reads, borrowed from its array.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Long(i64),
    Real(f64),
    Decimal(i128, i8),
    Str(&'a str),
    DateTime(i64),
    TimeSpan(i64),
    /// JSON text of a dynamic value.
    Dynamic(&'a str),
}

/// Reads value `i` of any supported array.
pub fn value_at(a: &dyn Array, i: usize) -> Result<Value<'_>> {
    if a.is_null(i) {
        return Ok(Value::Null);
    }
    Ok(match a.data_type() {
        DataType::Null => Value::Null,
        DataType::Boolean => Value::Bool(a.as_boolean().value(i)),
        DataType::Int8 => Value::Long(a.as_primitive::<Int8Type>().value(i).into()),
        DataType::Int16 => Value::Long(a.as_primitive::<Int16Type>().value(i).into()),
        DataType::Int32 => Value::Long(a.as_primitive::<Int32Type>().value(i).into()),
        DataType::Int64 => Value::Long(a.as_primitive::<Int64Type>().value(i)),
        DataType::UInt8 => Value::Long(a.as_primitive::<UInt8Type>().value(i).into()),
        DataType::UInt16 => Value::Long(a.as_primitive::<UInt16Type>().value(i).into()),
        DataType::UInt32 => Value::Long(a.as_primitive::<UInt32Type>().value(i).into()),
        DataType::UInt64 => Value::Long(a.as_primitive::<UInt64Type>().value(i) as i64),
        DataType::Float16 => Value::Real(a.as_primitive::<Float16Type>().value(i).to_f64()),
        DataType::Float32 => Value::Real(a.as_primitive::<Float32Type>().value(i).into()),
        DataType::Float64 => Value::Real(a.as_primitive::<Float64Type>().value(i)),
        DataType::Decimal128(_, s) => Value::Decimal(a.as_primitive::<Decimal128Type>().value(i), *s),
        DataType::Utf8 => Value::Str(a.as_string::<i32>().value(i)),
        DataType::Utf8View => Value::Str(a.as_string_view().value(i)),
        DataType::LargeUtf8 => Value::Dynamic(a.as_string::<i64>().value(i)),
        DataType::Timestamp(unit, _) => {
            let v = match unit {
                TimeUnit::Nanosecond => a.as_primitive::<TimestampNanosecondType>().value(i),
                TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().value(i).saturating_mul(1_000),
                TimeUnit::Millisecond => {
                    a.as_primitive::<TimestampMillisecondType>().value(i).saturating_mul(1_000_000)
                }
                TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value(i).saturating_mul(1_000_000_000),
            };
            Value::DateTime(v)
        }
        DataType::Date32 => Value::DateTime(i64::from(a.as_primitive::<Date32Type>().value(i)) * time::NANOS_PER_DAY),
        DataType::Date64 => Value::DateTime(a.as_primitive::<Date64Type>().value(i).saturating_mul(1_000_000)),
        DataType::Duration(TimeUnit::Nanosecond) => {
            Value::TimeSpan(a.as_primitive::<DurationNanosecondType>().value(i))
        }
        other => return exec_err!("kqlog cannot read values of type {other}"),
    })
}

/// A dynamic value's JSON, read as a plain value where it is one.
fn json_scalar(text: &str) -> Value<'static> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Bool(b)) => Value::Bool(b),
        Ok(serde_json::Value::Number(n)) => match n.as_i64() {
            Some(v) => Value::Long(v),
            None => n.as_f64().map_or(Value::Null, Value::Real),
        },
        _ => Value::Null,
    }
}

/// `tostring()` of one value.
pub fn to_text(v: Value, out: &mut String) {
    use std::fmt::Write;
    match v {
        Value::Null => {}
        Value::Bool(b) => out.push_str(format::bool_dotnet(b)),
        Value::Long(x) => {
            let _ = write!(out, "{x}");
        }
        Value::Real(x) => out.push_str(&format::real(x)),
        Value::Decimal(x, s) => out.push_str(&format::decimal(x, s)),
        Value::Str(s) => out.push_str(s),
        Value::DateTime(ns) => out.push_str(&format::datetime(ns)),
        Value::TimeSpan(ns) => out.push_str(&format::timespan(ns)),
        Value::Dynamic(j) => out.push_str(&format::dynamic_text(j)),
    }
}

/// Parses an integer as Kusto does: optional sign, decimal or `0x` hex,
/// surrounding whitespace allowed; anything else fails.
pub fn parse_long(s: &str) -> Option<i64> {
    let t = s.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        let v = i64::from_str_radix(h, 16).ok()?;
        return Some(if neg { v.wrapping_neg() } else { v });
    }
    if body.is_empty() || !body.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    // Parse with the sign so that i64::MIN is reachable.
    if neg { format!("-{body}").parse().ok() } else { body.parse().ok() }
}

/// Parses a real: decimal or exponent notation, `NaN`, `Inf`, `Infinity`.
pub fn parse_real(s: &str) -> Option<f64> {
    let t = s.trim();
    match t.to_ascii_lowercase().as_str() {
        "nan" => return Some(f64::NAN),
        "inf" | "+inf" | "infinity" | "+infinity" => return Some(f64::INFINITY),
        "-inf" | "-infinity" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    let ok = !t.is_empty()
        && t.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        && t.bytes().any(|c| c.is_ascii_digit());
    if !ok {
        return None;
    }
    t.parse::<f64>().ok()
}

fn real_to_long(x: f64) -> Option<i64> {
    if x.is_finite() && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&x) {
        Some(x.trunc() as i64)
    } else {
        None
    }
}

pub fn to_long(v: Value) -> Option<i64> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(i64::from(b)),
        Value::Long(x) => Some(x),
        Value::Real(x) => real_to_long(x),
        Value::Decimal(x, s) => real_to_long(x as f64 / 10f64.powi(s.into())),
        Value::Str(s) => parse_long(s),
        // Kusto counts datetimes and timespans in 100 ns ticks.
        Value::DateTime(ns) => Some(ns / time::NANOS_PER_TICK + 621_355_968_000_000_000),
        Value::TimeSpan(ns) => Some(ns / time::NANOS_PER_TICK),
        Value::Dynamic(j) => match json_scalar(j) {
            Value::Null => serde_json::from_str::<String>(j).ok().and_then(|s| parse_long(&s)),
            other => to_long(other),
        },
    }
}

pub fn to_real(v: Value) -> Option<f64> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
        Value::Long(x) => Some(x as f64),
        Value::Real(x) => Some(x),
        Value::Decimal(x, s) => Some(x as f64 / 10f64.powi(s.into())),
        Value::Str(s) => parse_real(s),
        Value::DateTime(_) | Value::TimeSpan(_) => to_long(v).map(|t| t as f64),
        Value::Dynamic(j) => match json_scalar(j) {
            Value::Null => serde_json::from_str::<String>(j).ok().and_then(|s| parse_real(&s)),
            other => to_real(other),
        },
    }
}

pub fn to_bool(v: Value) -> Option<bool> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(b),
        Value::Long(x) => Some(x != 0),
        Value::Real(x) => Some(x != 0.0),
        Value::Decimal(x, _) => Some(x != 0),
        Value::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        Value::DateTime(_) | Value::TimeSpan(_) => None,
        Value::Dynamic(j) => match json_scalar(j) {
            Value::Null => serde_json::from_str::<String>(j).ok().and_then(|s| to_bool(Value::Str(&s))),
            other => to_bool(other),
        },
    }
}

pub fn to_datetime(v: Value) -> Option<i64> {
    match v {
        Value::DateTime(ns) => Some(ns),
        Value::Str(s) => time::parse_datetime(s),
        Value::Dynamic(j) => serde_json::from_str::<String>(j).ok().and_then(|s| time::parse_datetime(&s)),
        _ => None,
    }
}

pub fn to_timespan(v: Value) -> Option<i64> {
    match v {
        Value::TimeSpan(ns) => Some(ns),
        Value::Str(s) => time::parse_timespan(s),
        // A number of ticks, as Kusto reads it.
        Value::Long(t) => t.checked_mul(time::NANOS_PER_TICK),
        Value::Real(t) => real_to_long(t * time::NANOS_PER_TICK as f64),
        Value::Dynamic(j) => match serde_json::from_str::<serde_json::Value>(j) {
            Ok(serde_json::Value::String(s)) => time::parse_timespan(&s),
            Ok(serde_json::Value::Number(n)) => n.as_i64().and_then(|t| t.checked_mul(time::NANOS_PER_TICK)),
            _ => None,
        },
        _ => None,
    }
}

fn is_guid(s: &str) -> bool {
    let hex: String = s.trim().trim_matches(|c| c == '{' || c == '}').chars().filter(|c| *c != '-').collect();
    hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
}

fn each<'a>(a: &'a ArrayRef) -> impl Iterator<Item = Result<Value<'a>>> + 'a {
    (0..a.len()).map(move |i| value_at(a.as_ref(), i))
}

fn eval_tostring(args: &Args) -> Result<ArrayRef> {
    let a = args.array(0)?;
    let mut b = StringBuilder::with_capacity(a.len(), a.len() * 8);
    let mut s = String::new();
    for v in each(&a) {
        s.clear();
        to_text(v?, &mut s);
        b.append_value(&s);
    }
    Ok(Arc::new(b.finish()))
}

fn eval_tolong(args: &Args) -> Result<ArrayRef> {
    let a = args.array(0)?;
    let mut b = Int64Builder::with_capacity(a.len());
    for v in each(&a) {
        b.append_option(to_long(v?));
    }
    Ok(Arc::new(b.finish()))
}

fn eval_toint(args: &Args) -> Result<ArrayRef> {
    let a = args.array(0)?;
    let mut b = Int32Builder::with_capacity(a.len());
    for v in each(&a) {
        let v = v?;
        let out = match v {
            // Text outside int's range is a failed conversion; a long wraps.
            Value::Str(s) => parse_long(s).and_then(|x| i32::try_from(x).ok()),
            Value::Real(x) => real_to_long(x).map(|x| x as i32),
            other => to_long(other).map(|x| x as i32),
        };
        b.append_option(out);
    }
    Ok(Arc::new(b.finish()))
}

fn eval_toreal(args: &Args) -> Result<ArrayRef> {
    let a = args.array(0)?;
    let mut b = Float64Builder::with_capacity(a.len());
    for v in each(&a) {
        b.append_option(to_real(v?));
    }
    Ok(Arc::new(b.finish()))
}

fn eval_tobool(args: &Args) -> Result<ArrayRef> {
    let a = args.array(0)?;
    let mut b = BooleanBuilder::with_capacity(a.len());
    for v in each(&a) {
        b.append_option(to_bool(v?));
    }
    Ok(Arc::new(b.finish()))
}

fn eval_todatetime(args: &Args) -> Result<ArrayRef> {
    let a = args.array(0)?;
    let mut b = arrow::array::TimestampNanosecondBuilder::with_capacity(a.len()).with_timezone(crate::types::UTC);
    for v in each(&a) {
        b.append_option(to_datetime(v?));
    }
    Ok(Arc::new(b.finish()))
}

fn eval_totimespan(args: &Args) -> Result<ArrayRef> {
    let a = args.array(0)?;
    let mut b = arrow::array::DurationNanosecondBuilder::with_capacity(a.len());
    for v in each(&a) {
        b.append_option(to_timespan(v?));
    }
    Ok(Arc::new(b.finish()))
}

fn eval_toguid(args: &Args) -> Result<ArrayRef> {
    let a = args.array(0)?;
    let mut b = StringBuilder::with_capacity(a.len(), a.len() * 36);
    let mut s = String::new();
    for v in each(&a) {
        s.clear();
        to_text(v?, &mut s);
        if is_guid(&s) {
            b.append_value(s.trim().trim_matches(|c| c == '{' || c == '}').to_ascii_lowercase());
        } else {
            b.append_null();
        }
    }
    Ok(Arc::new(b.finish()))
}

/// A value as JSON (for `todynamic` of non-strings and for building bags).
pub fn to_json(v: Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(b),
        Value::Long(x) => J::from(x),
        Value::Real(x) => serde_json::Number::from_f64(x).map_or_else(|| J::String(format::real(x)), J::Number),
        Value::Decimal(x, s) => {
            let f = x as f64 / 10f64.powi(s.into());
            serde_json::Number::from_f64(f).map_or(J::Null, J::Number)
        }
        Value::Str(s) => J::String(s.to_string()),
        Value::DateTime(ns) => J::String(format::datetime(ns)),
        Value::TimeSpan(ns) => J::String(format::timespan(ns)),
        Value::Dynamic(j) => serde_json::from_str(j).unwrap_or(J::Null),
    }
}

/// `parse_json`/`todynamic`: JSON text → dynamic; text that is not JSON
/// becomes a dynamic string; `""` and null become null.
pub fn parse_json_text(s: &str) -> Option<String> {
    if s.trim().is_empty() {
        return None;
    }
    match serde_json::from_str::<serde_json::Value>(s) {
        Ok(serde_json::Value::Null) => None,
        Ok(v) => Some(v.to_string()),
        Err(_) => Some(serde_json::Value::String(s.to_string()).to_string()),
    }
}

fn eval_todynamic(args: &Args) -> Result<ArrayRef> {
    let a = args.array(0)?;
    let mut b = LargeStringBuilder::with_capacity(a.len(), a.len() * 16);
    for v in each(&a) {
        match v? {
            Value::Str(s) => b.append_option(parse_json_text(s)),
            Value::Dynamic(j) => {
                // A dynamic that holds a JSON string is parsed again, as Kusto does.
                match serde_json::from_str::<serde_json::Value>(j) {
                    Ok(serde_json::Value::String(s)) => b.append_option(parse_json_text(&s)),
                    _ => b.append_value(j),
                }
            }
            Value::Null => b.append_null(),
            other => b.append_value(to_json(other).to_string()),
        }
    }
    Ok(Arc::new(b.finish()))
}

pub static TOSTRING: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_tostring", Returns::Fixed(DataType::Utf8), false, eval_tostring));
pub static TOLONG: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_tolong", Returns::Fixed(DataType::Int64), false, eval_tolong));
pub static TOINT: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_toint", Returns::Fixed(DataType::Int32), false, eval_toint));
pub static TOREAL: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_toreal", Returns::Fixed(DataType::Float64), false, eval_toreal));
pub static TOBOOL: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_tobool", Returns::Fixed(DataType::Boolean), false, eval_tobool));
pub static TODATETIME: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_todatetime", Returns::Fixed(KType::DateTime.arrow()), false, eval_todatetime));
pub static TOTIMESPAN: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_totimespan", Returns::Fixed(KType::TimeSpan.arrow()), false, eval_totimespan));
pub static TOGUID: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_toguid", Returns::Fixed(DataType::Utf8), false, eval_toguid));
pub static TODYNAMIC: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_todynamic", Returns::Fixed(DataType::LargeUtf8), false, eval_todynamic));

/// Converts `t` to `to`, choosing a plain cast where it is exact.
pub fn convert(t: Typed, to: KType) -> Typed {
    use KType::*;
    if t.ty == to {
        return t;
    }
    let e = t.expr;
    let expr = match (t.ty, to) {
        (Null, _) => crate::plan::typing::null_of(to),
        (Int, Long) | (Int | Long, Real) | (Bool, Long | Real | Int) => crate::plan::typing::cast(e, to),
        (Int | Long | Real | Bool, Decimal) => crate::plan::typing::cast(e, to),
        (Decimal, Real) => crate::plan::typing::cast(e, to),
        (_, String) => udf::call(&TOSTRING, vec![e]),
        (_, Guid) => udf::call(&TOGUID, vec![e]),
        (_, Long) => udf::call(&TOLONG, vec![e]),
        (_, Int) => udf::call(&TOINT, vec![e]),
        (_, Real) => udf::call(&TOREAL, vec![e]),
        (_, Bool) => udf::call(&TOBOOL, vec![e]),
        (_, DateTime) => udf::call(&TODATETIME, vec![e]),
        (_, TimeSpan) => udf::call(&TOTIMESPAN, vec![e]),
        (_, Dynamic) => udf::call(&TODYNAMIC, vec![e]),
        (_, Decimal) => crate::plan::typing::cast(udf::call(&TOREAL, vec![e]), Decimal),
        (_, Null) => e,
    };
    Typed::new(expr, to)
}

pub fn register(r: &mut crate::functions::Registry) {
    fn to(p: &mut crate::plan::Planner, c: &crate::functions::Call, ty: KType) -> crate::plan::PResult<Typed> {
        let v = c.arg(p, 0)?;
        Ok(crate::plan::typing::convert_to(v, ty))
    }
    r.scalar(&["tostring"], 1, 1, |p, c| to(p, c, KType::String));
    r.scalar(&["toint"], 1, 1, |p, c| to(p, c, KType::Int));
    r.scalar(&["tolong"], 1, 1, |p, c| to(p, c, KType::Long));
    r.scalar(&["todouble", "toreal"], 1, 1, |p, c| to(p, c, KType::Real));
    r.scalar(&["tobool", "toboolean"], 1, 1, |p, c| to(p, c, KType::Bool));
    r.scalar(&["todatetime"], 1, 1, |p, c| to(p, c, KType::DateTime));
    r.scalar(&["totimespan", "totime"], 1, 1, |p, c| to(p, c, KType::TimeSpan));
    r.scalar(&["toguid"], 1, 1, |p, c| to(p, c, KType::Guid));
    r.scalar(&["todecimal"], 1, 1, |p, c| to(p, c, KType::Decimal));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_parsing() {
        assert_eq!(parse_long("0xFF"), Some(255));
        assert_eq!(parse_long(" 12 "), Some(12));
        assert_eq!(parse_long("12.5"), None);
        assert_eq!(parse_long("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_long("9223372036854775808"), None);
        assert_eq!(parse_long(""), None);
    }

    #[test]
    fn real_parsing() {
        assert_eq!(parse_real(".5"), Some(0.5));
        assert_eq!(parse_real("5."), Some(5.0));
        assert_eq!(parse_real("1_000"), None);
        assert_eq!(parse_real("1,234"), None);
        assert_eq!(parse_real("Inf"), Some(f64::INFINITY));
        assert!(parse_real("0b101").is_none());
    }

    #[test]
    fn dynamic_text() {
        let mut s = String::new();
        to_text(Value::Dynamic("\"a\""), &mut s);
        assert_eq!(s, "a");
        assert_eq!(parse_json_text("not json").as_deref(), Some("\"not json\""));
        assert_eq!(parse_json_text(""), None);
    }
}
