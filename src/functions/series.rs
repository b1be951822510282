//! Kusto's series functions over numeric dynamic arrays: element-wise
//! arithmetic, comparisons and math (`series_add`, `series_greater`,
//! `series_abs`, …), `series_sum`, `series_stats_dynamic` and the
//! `series_fill_*` interpolations.
//!
//! A series element that is not a number gives a null result element, as
//! Kusto documents. Non-finite reals are read back from the strings
//! `"NaN"`, `"Infinity"` and `"-Infinity"`, which is how kqlog writes them
//! into JSON (JSON has no such numbers), so a series can go through
//! several functions.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, Float64Builder, LargeStringBuilder};
use arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use serde_json::{Map, Value as Json};

use crate::functions::arrays::json_eq;
use crate::functions::convert::{Value, to_json, value_at};
use crate::functions::udf::{self, Args, Returns};
use crate::functions::{Call, Registry};
use crate::plan::typing;
use crate::plan::{PResult, Planner, Typed};
use crate::types::KType;

pub fn register(r: &mut Registry) {
    r.scalar(&["series_add"], 2, 2, |p, c| binary(p, c, &ADD));
    r.scalar(&["series_subtract"], 2, 2, |p, c| binary(p, c, &SUBTRACT));
    r.scalar(&["series_multiply"], 2, 2, |p, c| binary(p, c, &MULTIPLY));
    r.scalar(&["series_divide"], 2, 2, |p, c| binary(p, c, &DIVIDE));
    r.scalar(&["series_pow"], 2, 2, |p, c| binary(p, c, &POW));
    r.scalar(&["series_greater"], 2, 2, |p, c| binary(p, c, &GREATER));
    r.scalar(&["series_greater_equals"], 2, 2, |p, c| binary(p, c, &GREATER_EQUALS));
    r.scalar(&["series_less"], 2, 2, |p, c| binary(p, c, &LESS));
    r.scalar(&["series_less_equals"], 2, 2, |p, c| binary(p, c, &LESS_EQUALS));
    r.scalar(&["series_equals"], 2, 2, |p, c| binary(p, c, &EQUALS));
    r.scalar(&["series_not_equals"], 2, 2, |p, c| binary(p, c, &NOT_EQUALS));
    r.scalar(&["series_abs"], 1, 1, |p, c| series_call(p, c, &ABS));
    r.scalar(&["series_sign"], 1, 1, |p, c| series_call(p, c, &SIGN));
    r.scalar(&["series_floor"], 1, 1, |p, c| series_call(p, c, &FLOOR));
    r.scalar(&["series_ceiling"], 1, 1, |p, c| series_call(p, c, &CEILING));
    r.scalar(&["series_exp"], 1, 1, |p, c| series_call(p, c, &EXP));
    r.scalar(&["series_log"], 1, 1, |p, c| series_call(p, c, &LOG));
    r.scalar(&["series_cos"], 1, 1, |p, c| series_call(p, c, &COS));
    r.scalar(&["series_sin"], 1, 1, |p, c| series_call(p, c, &SIN));
    r.scalar(&["series_tan"], 1, 1, |p, c| series_call(p, c, &TAN));
    r.scalar(&["series_acos"], 1, 1, |p, c| series_call(p, c, &ACOS));
    r.scalar(&["series_asin"], 1, 1, |p, c| series_call(p, c, &ASIN));
    r.scalar(&["series_atan"], 1, 1, |p, c| series_call(p, c, &ATAN));
    r.scalar(&["series_sum"], 1, 1, |p, c| lower(p, c, &SUM, &[Arg::Dyn], KType::Real));
    r.scalar(&["series_stats_dynamic"], 1, 2, |p, c| series_call(p, c, &STATS));
    r.scalar(&["series_fill_forward"], 1, 2, |p, c| series_call(p, c, &FILL_FORWARD));
    r.scalar(&["series_fill_backward"], 1, 2, |p, c| series_call(p, c, &FILL_BACKWARD));
    r.scalar(&["series_fill_const"], 2, 3, |p, c| series_call(p, c, &FILL_CONST));
    r.scalar(&["series_fill_linear"], 1, 4, |p, c| series_call(p, c, &FILL_LINEAR));
}

/// The statistics `series_stats(x)` expands to, in Kusto's column order
/// (`series_stats_x_min`, …): each one is a field of the bag that
/// `series_stats_dynamic` returns.
pub fn series_stats_parts() -> &'static [&'static str] {
    &["min", "min_idx", "max", "max_idx", "avg", "stdev", "variance"]
}

/// How an argument is passed to a UDF.
#[derive(Clone, Copy)]
enum Arg {
    /// Converted to dynamic (JSON text).
    Dyn,
    /// A series or a number to broadcast: numbers are passed as they are,
    /// anything else as dynamic.
    Operand,
    /// As it is (a placeholder, a fill value, a flag), read with `value_at`.
    Any,
}

fn lower(p: &mut Planner, c: &Call, f: &Arc<ScalarUDF>, kinds: &[Arg], ty: KType) -> PResult<Typed> {
    let mut args = Vec::with_capacity(c.args.len());
    for k in 0..c.args.len() {
        let t = c.arg(p, k)?;
        args.push(match kinds.get(k).copied().unwrap_or(Arg::Any) {
            Arg::Operand if t.ty.is_numeric() => t.expr,
            Arg::Dyn | Arg::Operand => typing::convert_to(t, KType::Dynamic).expr,
            Arg::Any => t.expr,
        });
    }
    Ok(Typed::new(udf::call(f, args), ty))
}

/// `series_add(a, b)` and the like: two series, or a series and a number.
fn binary(p: &mut Planner, c: &Call, f: &Arc<ScalarUDF>) -> PResult<Typed> {
    lower(p, c, f, &[Arg::Operand, Arg::Operand], KType::Dynamic)
}

/// A series, then plain arguments (placeholders, fill values, flags), if
/// any.
fn series_call(p: &mut Planner, c: &Call, f: &Arc<ScalarUDF>) -> PResult<Typed> {
    lower(p, c, f, &[Arg::Dyn], KType::Dynamic)
}

// ---- Elements ---------------------------------------------------------------

/// A numeric series element: longs stay longs where Kusto keeps them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Num {
    Long(i64),
    Real(f64),
}

impl Num {
    fn real(self) -> f64 {
        match self {
            Num::Long(x) => x as f64,
            Num::Real(x) => x,
        }
    }
}

/// An element as a number; `None` for anything else (null, strings, bags).
pub fn num(v: &Json) -> Option<Num> {
    match v {
        Json::Number(n) => match n.as_i64() {
            Some(x) => Some(Num::Long(x)),
            None => n.as_f64().map(Num::Real),
        },
        Json::String(s) => match s.as_str() {
            "NaN" => Some(Num::Real(f64::NAN)),
            "Infinity" => Some(Num::Real(f64::INFINITY)),
            "-Infinity" => Some(Num::Real(f64::NEG_INFINITY)),
            _ => None,
        },
        _ => None,
    }
}

fn real(x: f64) -> Json {
    to_json(Value::Real(x))
}

// ---- Element-wise operations (pure) -------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Subtract,
    Multiply,
    Divide,
    Pow,
    Greater,
    GreaterEquals,
    Less,
    LessEquals,
    Equals,
    NotEquals,
}

/// One element of a binary operation; null when either side is not a
/// number.
fn binary_elem(op: BinOp, a: Option<Num>, b: Option<Num>) -> Json {
    let (Some(a), Some(b)) = (a, b) else { return Json::Null };
    let order = match (a, b) {
        (Num::Long(x), Num::Long(y)) => Some(x.cmp(&y)),
        _ => a.real().partial_cmp(&b.real()),
    };
    match op {
        BinOp::Greater => return Json::Bool(order.is_some_and(Ordering::is_gt)),
        BinOp::GreaterEquals => return Json::Bool(order.is_some_and(Ordering::is_ge)),
        BinOp::Less => return Json::Bool(order.is_some_and(Ordering::is_lt)),
        BinOp::LessEquals => return Json::Bool(order.is_some_and(Ordering::is_le)),
        BinOp::Equals => return Json::Bool(order.is_some_and(Ordering::is_eq)),
        // NaN differs from everything, itself included.
        BinOp::NotEquals => return Json::Bool(!order.is_some_and(Ordering::is_eq)),
        _ => {}
    }
    if let (Num::Long(x), Num::Long(y)) = (a, b) {
        // Kusto's long arithmetic wraps on overflow, as .NET's unchecked does.
        match op {
            BinOp::Add => return Json::from(x.wrapping_add(y)),
            BinOp::Subtract => return Json::from(x.wrapping_sub(y)),
            BinOp::Multiply => return Json::from(x.wrapping_mul(y)),
            _ => {}
        }
    }
    let (x, y) = (a.real(), b.real());
    real(match op {
        BinOp::Add => x + y,
        BinOp::Subtract => x - y,
        BinOp::Multiply => x * y,
        BinOp::Divide => x / y,
        _ => x.powf(y),
    })
}

/// A binary operation between two series, or a series and a number that
/// is applied to every element. Series of different lengths give the
/// longer length, null-padded; two plain numbers, a null or anything that
/// is neither give null.
pub fn binary_series(op: BinOp, a: &Json, b: &Json) -> Option<Json> {
    let out: Vec<Json> = match (a, b) {
        (Json::Array(x), Json::Array(y)) => {
            (0..x.len().max(y.len())).map(|k| binary_elem(op, x.get(k).and_then(num), y.get(k).and_then(num))).collect()
        }
        (Json::Array(x), s) => {
            let s = num(s)?;
            x.iter().map(|v| binary_elem(op, num(v), Some(s))).collect()
        }
        (s, Json::Array(y)) => {
            let s = num(s)?;
            y.iter().map(|v| binary_elem(op, Some(s), num(v))).collect()
        }
        _ => return None,
    };
    Some(Json::Array(out))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Abs,
    Sign,
    Floor,
    Ceiling,
    Exp,
    Log,
    Cos,
    Sin,
    Tan,
    Acos,
    Asin,
    Atan,
}

fn unary_elem(op: UnOp, n: Option<Num>) -> Json {
    let Some(n) = n else { return Json::Null };
    match (op, n) {
        (UnOp::Abs, Num::Long(x)) => x.checked_abs().map_or_else(|| real((x as f64).abs()), Json::from),
        (UnOp::Sign, Num::Long(x)) => Json::from(x.signum()),
        // `f64::signum` says 1 for 0.0; Kusto's sign says 0.
        (UnOp::Sign, Num::Real(x)) => real(if x > 0.0 {
            1.0
        } else if x < 0.0 {
            -1.0
        } else if x.is_nan() {
            x
        } else {
            0.0
        }),
        // As the scalar `log`: null, not NaN, for a negative number.
        (UnOp::Log, n) if n.real() < 0.0 => Json::Null,
        (_, n) => {
            let x = n.real();
            real(match op {
                UnOp::Abs => x.abs(),
                UnOp::Floor => x.floor(),
                UnOp::Ceiling => x.ceil(),
                UnOp::Exp => x.exp(),
                UnOp::Log => x.ln(),
                UnOp::Cos => x.cos(),
                UnOp::Sin => x.sin(),
                UnOp::Tan => x.tan(),
                UnOp::Acos => x.acos(),
                UnOp::Asin => x.asin(),
                UnOp::Atan => x.atan(),
                UnOp::Sign => x,
            })
        }
    }
}

/// A unary function of every element; null for what is not an array.
pub fn unary_series(op: UnOp, a: &Json) -> Option<Json> {
    match a {
        Json::Array(x) => Some(Json::Array(x.iter().map(|v| unary_elem(op, num(v))).collect())),
        _ => None,
    }
}

// ---- Whole-series operations (pure) --------------------------------------------

/// `series_sum`: null as soon as an element is not a number.
pub fn series_sum(items: &[Json]) -> Option<f64> {
    // Folding from +0.0: `Sum` for floats starts at -0.0, which prints as `-0`.
    items.iter().try_fold(0.0, |acc, v| num(v).map(|n| acc + n.real()))
}

/// `series_stats_dynamic`: min, max (with the index of their first
/// occurrence), average, sample standard deviation and variance, sum and
/// length. A null, NaN, infinite or non-numeric element makes the result
/// null unless `ignore_nonfinite`, which leaves such elements out (the
/// indexes still count them, and `len` is the length of the input).
pub fn series_stats(items: &[Json], ignore_nonfinite: bool) -> Option<Json> {
    let mut values = Vec::with_capacity(items.len());
    for (k, v) in items.iter().enumerate() {
        match num(v).map(Num::real) {
            Some(x) if x.is_finite() => values.push((k, x)),
            _ if ignore_nonfinite => {}
            _ => return None,
        }
    }
    let mut bag = Map::new();
    let mut min: Option<(usize, f64)> = None;
    let mut max: Option<(usize, f64)> = None;
    for &(k, x) in &values {
        // Strict comparisons keep the first position of a repeated extreme.
        if min.is_none_or(|(_, m)| x < m) {
            min = Some((k, x));
        }
        if max.is_none_or(|(_, m)| x > m) {
            max = Some((k, x));
        }
    }
    let n = values.len();
    let sum: f64 = values.iter().fold(0.0, |acc, (_, x)| acc + x);
    let avg = (n > 0).then(|| sum / n as f64);
    let variance = avg.map(|a| {
        // A single value does not spread: 0, as the `variance()` aggregate says.
        if n < 2 { 0.0 } else { values.iter().map(|(_, x)| (x - a) * (x - a)).sum::<f64>() / (n - 1) as f64 }
    });
    let opt_real = |v: Option<f64>| v.map_or(Json::Null, real);
    bag.insert("min".into(), opt_real(min.map(|m| m.1)));
    bag.insert("min_idx".into(), min.map_or(Json::Null, |m| Json::from(m.0)));
    bag.insert("max".into(), opt_real(max.map(|m| m.1)));
    bag.insert("max_idx".into(), max.map_or(Json::Null, |m| Json::from(m.0)));
    bag.insert("avg".into(), opt_real(avg));
    bag.insert("stdev".into(), opt_real(variance.map(f64::sqrt)));
    bag.insert("variance".into(), opt_real(variance));
    bag.insert("sum".into(), real(sum));
    bag.insert("len".into(), Json::from(items.len()));
    Some(Json::Object(bag))
}

/// Kusto's placeholder match: by value, so that `0` finds `0.0`.
fn is_missing(v: &Json, placeholder: &Json) -> bool {
    json_eq(v, placeholder)
}

/// `series_fill_forward`: a missing element takes the nearest value on its
/// left; leading missing elements stay.
pub fn fill_forward(items: &[Json], placeholder: &Json) -> Vec<Json> {
    let mut last: Option<&Json> = None;
    items
        .iter()
        .map(|v| {
            if is_missing(v, placeholder) {
                last.unwrap_or(v).clone()
            } else {
                last = Some(v);
                v.clone()
            }
        })
        .collect()
}

/// `series_fill_backward`: a missing element takes the nearest value on
/// its right; trailing missing elements stay.
pub fn fill_backward(items: &[Json], placeholder: &Json) -> Vec<Json> {
    let reversed: Vec<Json> = items.iter().rev().cloned().collect();
    let mut out = fill_forward(&reversed, placeholder);
    out.reverse();
    out
}

pub fn fill_const(items: &[Json], constant: &Json, placeholder: &Json) -> Vec<Json> {
    items.iter().map(|v| if is_missing(v, placeholder) { constant.clone() } else { v.clone() }).collect()
}

/// `series_fill_linear`: missing elements between two numbers are
/// interpolated (truncated to longs when every number is a long, as in
/// Kusto's examples); missing elements at the ends take the nearest
/// number when `fill_edges`; a series without numbers is filled with
/// `constant`.
pub fn fill_linear(items: &[Json], placeholder: &Json, fill_edges: bool, constant: &Json) -> Vec<Json> {
    let anchors: Vec<(usize, Num)> = items
        .iter()
        .enumerate()
        .filter(|(_, v)| !is_missing(v, placeholder))
        .filter_map(|(k, v)| num(v).map(|n| (k, n)))
        .collect();
    let (Some(&(first, _)), Some(&(last, _))) = (anchors.first(), anchors.last()) else {
        return fill_const(items, constant, placeholder);
    };
    let longs = anchors.iter().all(|(_, n)| matches!(n, Num::Long(_)));
    let mut out = items.to_vec();
    for pair in anchors.windows(2) {
        let &[(i, a), (j, b)] = pair else { continue };
        let (a, b) = (a.real(), b.real());
        for (k, slot) in out.iter_mut().enumerate().take(j).skip(i + 1) {
            if is_missing(slot, placeholder) {
                let v = a + (b - a) * (k - i) as f64 / (j - i) as f64;
                *slot = if longs { Json::from(v as i64) } else { real(v) };
            }
        }
    }
    if fill_edges {
        let head = items.get(first).cloned().unwrap_or(Json::Null);
        let tail = items.get(last).cloned().unwrap_or(Json::Null);
        for slot in out.iter_mut().take(first) {
            if is_missing(slot, placeholder) {
                *slot = head.clone();
            }
        }
        for slot in out.iter_mut().skip(last + 1) {
            if is_missing(slot, placeholder) {
                *slot = tail.clone();
            }
        }
    }
    out
}

// ---- Reading arguments ----------------------------------------------------------

/// An argument read as JSON row by row; a constant is parsed once.
enum Column {
    Const(Json),
    Rows(ArrayRef),
}

impl Column {
    /// Argument `n`, or null when the call leaves it out.
    fn of(args: &Args, n: usize) -> Result<Column> {
        if n >= args.len() {
            return Ok(Column::Const(Json::Null));
        }
        match args.scalar(n) {
            Some(s) => {
                let a = s.to_array_of_size(1)?;
                Ok(Column::Const(to_json(value_at(a.as_ref(), 0)?)))
            }
            None => Ok(Column::Rows(args.array(n)?)),
        }
    }

    fn at(&self, i: usize) -> Result<Cow<'_, Json>> {
        Ok(match self {
            Column::Const(v) => Cow::Borrowed(v),
            Column::Rows(a) => Cow::Owned(to_json(value_at(a.as_ref(), i)?)),
        })
    }

    /// A flag; null or a non-boolean gives `default`.
    fn flag(&self, i: usize, default: bool) -> Result<bool> {
        Ok(self.at(i)?.as_bool().unwrap_or(default))
    }
}

fn items(v: &Json) -> Option<&[Json]> {
    match v {
        Json::Array(a) => Some(a.as_slice()),
        _ => None,
    }
}

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

// ---- UDF bodies -----------------------------------------------------------------

fn eval_binary(args: &Args, op: BinOp) -> Result<ArrayRef> {
    let a = Column::of(args, 0)?;
    let b = Column::of(args, 1)?;
    dynamic_rows(args.rows, |i| Ok(binary_series(op, &*a.at(i)?, &*b.at(i)?)))
}

fn eval_unary(args: &Args, op: UnOp) -> Result<ArrayRef> {
    let a = Column::of(args, 0)?;
    dynamic_rows(args.rows, |i| Ok(unary_series(op, &*a.at(i)?)))
}

fn eval_sum(args: &Args) -> Result<ArrayRef> {
    let a = Column::of(args, 0)?;
    let mut b = Float64Builder::with_capacity(args.rows);
    for i in 0..args.rows {
        b.append_option(items(&*a.at(i)?).and_then(series_sum));
    }
    Ok(Arc::new(b.finish()))
}

fn eval_stats(args: &Args) -> Result<ArrayRef> {
    let a = Column::of(args, 0)?;
    let ignore = Column::of(args, 1)?;
    dynamic_rows(args.rows, |i| {
        let ignore_nonfinite = ignore.flag(i, false)?;
        Ok(items(&*a.at(i)?).and_then(|x| series_stats(x, ignore_nonfinite)))
    })
}

fn eval_fill_forward(args: &Args) -> Result<ArrayRef> {
    let a = Column::of(args, 0)?;
    let ph = Column::of(args, 1)?;
    dynamic_rows(args.rows, |i| {
        let series = a.at(i)?;
        let Some(x) = items(&series) else { return Ok(None) };
        Ok(Some(Json::Array(fill_forward(x, &*ph.at(i)?))))
    })
}

fn eval_fill_backward(args: &Args) -> Result<ArrayRef> {
    let a = Column::of(args, 0)?;
    let ph = Column::of(args, 1)?;
    dynamic_rows(args.rows, |i| {
        let series = a.at(i)?;
        let Some(x) = items(&series) else { return Ok(None) };
        Ok(Some(Json::Array(fill_backward(x, &*ph.at(i)?))))
    })
}

fn eval_fill_const(args: &Args) -> Result<ArrayRef> {
    let a = Column::of(args, 0)?;
    let constant = Column::of(args, 1)?;
    let ph = Column::of(args, 2)?;
    dynamic_rows(args.rows, |i| {
        let series = a.at(i)?;
        let Some(x) = items(&series) else { return Ok(None) };
        Ok(Some(Json::Array(fill_const(x, &*constant.at(i)?, &*ph.at(i)?))))
    })
}

fn eval_fill_linear(args: &Args) -> Result<ArrayRef> {
    let a = Column::of(args, 0)?;
    let ph = Column::of(args, 1)?;
    let edges = Column::of(args, 2)?;
    // Kusto's default fill for a series without numbers is the real 0.
    let constant = if args.len() > 3 { Column::of(args, 3)? } else { Column::Const(real(0.0)) };
    dynamic_rows(args.rows, |i| {
        let series = a.at(i)?;
        let Some(x) = items(&series) else { return Ok(None) };
        let fill_edges = edges.flag(i, true)?;
        Ok(Some(Json::Array(fill_linear(x, &*ph.at(i)?, fill_edges, &*constant.at(i)?))))
    })
}

macro_rules! series_udfs {
    ($($static:ident = $name:literal, $ret:expr, $eval:ident;)*) => {
        $(
            pub static $static: LazyLock<Arc<ScalarUDF>> =
                LazyLock::new(|| udf::make($name, Returns::Fixed($ret), false, $eval));
        )*
    };
}

/// Generates one evaluation function per operation (a UDF takes a plain
/// `fn`, not a closure holding the operation).
macro_rules! op_fns {
    ($eval:ident, $ty:ident: $($fn:ident = $variant:ident;)*) => {
        $(
            fn $fn(args: &Args) -> Result<ArrayRef> {
                $eval(args, $ty::$variant)
            }
        )*
    };
}

op_fns! { eval_binary, BinOp:
    eval_add = Add;
    eval_subtract = Subtract;
    eval_multiply = Multiply;
    eval_divide = Divide;
    eval_pow = Pow;
    eval_greater = Greater;
    eval_greater_equals = GreaterEquals;
    eval_less = Less;
    eval_less_equals = LessEquals;
    eval_equals = Equals;
    eval_not_equals = NotEquals;
}

op_fns! { eval_unary, UnOp:
    eval_abs = Abs;
    eval_sign = Sign;
    eval_floor = Floor;
    eval_ceiling = Ceiling;
    eval_exp = Exp;
    eval_log = Log;
    eval_cos = Cos;
    eval_sin = Sin;
    eval_tan = Tan;
    eval_acos = Acos;
    eval_asin = Asin;
    eval_atan = Atan;
}

series_udfs! {
    ADD = "kql_series_add", DataType::LargeUtf8, eval_add;
    SUBTRACT = "kql_series_subtract", DataType::LargeUtf8, eval_subtract;
    MULTIPLY = "kql_series_multiply", DataType::LargeUtf8, eval_multiply;
    DIVIDE = "kql_series_divide", DataType::LargeUtf8, eval_divide;
    POW = "kql_series_pow", DataType::LargeUtf8, eval_pow;
    GREATER = "kql_series_greater", DataType::LargeUtf8, eval_greater;
    GREATER_EQUALS = "kql_series_greater_equals", DataType::LargeUtf8, eval_greater_equals;
    LESS = "kql_series_less", DataType::LargeUtf8, eval_less;
    LESS_EQUALS = "kql_series_less_equals", DataType::LargeUtf8, eval_less_equals;
    EQUALS = "kql_series_equals", DataType::LargeUtf8, eval_equals;
    NOT_EQUALS = "kql_series_not_equals", DataType::LargeUtf8, eval_not_equals;
    ABS = "kql_series_abs", DataType::LargeUtf8, eval_abs;
    SIGN = "kql_series_sign", DataType::LargeUtf8, eval_sign;
    FLOOR = "kql_series_floor", DataType::LargeUtf8, eval_floor;
    CEILING = "kql_series_ceiling", DataType::LargeUtf8, eval_ceiling;
    EXP = "kql_series_exp", DataType::LargeUtf8, eval_exp;
    LOG = "kql_series_log", DataType::LargeUtf8, eval_log;
    COS = "kql_series_cos", DataType::LargeUtf8, eval_cos;
    SIN = "kql_series_sin", DataType::LargeUtf8, eval_sin;
    TAN = "kql_series_tan", DataType::LargeUtf8, eval_tan;
    ACOS = "kql_series_acos", DataType::LargeUtf8, eval_acos;
    ASIN = "kql_series_asin", DataType::LargeUtf8, eval_asin;
    ATAN = "kql_series_atan", DataType::LargeUtf8, eval_atan;
    SUM = "kql_series_sum", DataType::Float64, eval_sum;
    STATS = "kql_series_stats_dynamic", DataType::LargeUtf8, eval_stats;
    FILL_FORWARD = "kql_series_fill_forward", DataType::LargeUtf8, eval_fill_forward;
    FILL_BACKWARD = "kql_series_fill_backward", DataType::LargeUtf8, eval_fill_backward;
    FILL_CONST = "kql_series_fill_const", DataType::LargeUtf8, eval_fill_const;
    FILL_LINEAR = "kql_series_fill_linear", DataType::LargeUtf8, eval_fill_linear;
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
    fn elements_read_as_numbers() {
        assert_eq!(num(&json!(3)), Some(Num::Long(3)));
        assert_eq!(num(&json!(2.5)), Some(Num::Real(2.5)));
        assert_eq!(num(&json!("Infinity")), Some(Num::Real(f64::INFINITY)));
        assert!(num(&json!("NaN")).is_some_and(|n| n.real().is_nan()));
        assert_eq!(num(&json!("7")), None);
        assert_eq!(num(&Json::Null), None);
        assert_eq!(num(&json!(true)), None);
    }

    #[test]
    fn arithmetic_keeps_longs_and_pads_with_null() {
        let add = |a, b| binary_series(BinOp::Add, &a, &b);
        assert_eq!(add(json!([3, 0, 5]), json!([1, 2])), Some(json!([4, 2, null])));
        assert_eq!(add(json!([1.5, 2]), json!(1)), Some(json!([2.5, 3])));
        assert_eq!(add(json!([1, "x"]), json!([1, 1])), Some(json!([2, null])));
        assert_eq!(add(json!([i64::MAX]), json!(1)), Some(json!([i64::MIN])));
        assert_eq!(add(json!(1), json!(2)), None);
        assert_eq!(add(json!([1]), Json::Null), None);
        assert_eq!(binary_series(BinOp::Subtract, &json!(10), &json!([4, 12])), Some(json!([6, -2])));
        assert_eq!(binary_series(BinOp::Multiply, &json!([2, 3]), &json!(1.5)), Some(json!([3.0, 4.5])));
        let div = binary_series(BinOp::Divide, &json!([9, 1, 0]), &json!([3, 0, 0]));
        assert_eq!(div, Some(json!([3.0, "Infinity", "NaN"])));
        assert_eq!(binary_series(BinOp::Pow, &json!([2, 4]), &json!([3, 0.5])), Some(json!([8.0, 2.0])));
    }

    #[test]
    fn comparisons() {
        let cmp = |op, a, b| binary_series(op, &a, &b);
        assert_eq!(cmp(BinOp::Greater, json!([5, 1, "x"]), json!(2)), Some(json!([true, false, null])));
        assert_eq!(cmp(BinOp::GreaterEquals, json!([2, 1]), json!([2, 2])), Some(json!([true, false])));
        assert_eq!(cmp(BinOp::Less, json!(3), json!([1, 5])), Some(json!([false, true])));
        assert_eq!(cmp(BinOp::LessEquals, json!([1.5, 2]), json!(1.5)), Some(json!([true, false])));
        assert_eq!(cmp(BinOp::Equals, json!([1, 2.0]), json!([1.0, 2])), Some(json!([true, true])));
        assert_eq!(cmp(BinOp::NotEquals, json!(["NaN", 1]), json!(["NaN", 1])), Some(json!([true, false])));
        assert_eq!(cmp(BinOp::Equals, json!([i64::MAX]), json!([i64::MAX - 1])), Some(json!([false])));
    }

    #[test]
    fn unary_functions() {
        let f = |op, a| unary_series(op, &a);
        assert_eq!(f(UnOp::Abs, json!([-3, 2.5, "a", i64::MIN])), Some(json!([3, 2.5, null, 9.223372036854776e18])));
        assert_eq!(f(UnOp::Sign, json!([-4, 0, 7, -0.5, 0.0])), Some(json!([-1, 0, 1, -1.0, 0.0])));
        assert_eq!(f(UnOp::Floor, json!([1.5, -1.5, 2])), Some(json!([1.0, -2.0, 2.0])));
        assert_eq!(f(UnOp::Ceiling, json!([1.25, -1.5])), Some(json!([2.0, -1.0])));
        assert_eq!(f(UnOp::Log, json!([1, -1, 0])), Some(json!([0.0, null, "-Infinity"])));
        assert_eq!(f(UnOp::Exp, json!([0])), Some(json!([1.0])));
        assert_eq!(f(UnOp::Acos, json!([1])), Some(json!([0.0])));
        assert_eq!(f(UnOp::Cos, json!(0)), None);
    }

    #[test]
    fn sums() {
        assert_eq!(series_sum(&arr(json!([4, 0, 2.5]))), Some(6.5));
        assert_eq!(series_sum(&arr(json!([1, null]))), None);
        assert_eq!(series_sum(&[]), Some(0.0));
    }

    #[test]
    fn stats() {
        let s = series_stats(&arr(json!([120, 40, 80, 40, 120])), false);
        let want = json!({
            "min": 40.0, "min_idx": 1, "max": 120.0, "max_idx": 0, "avg": 80.0,
            "stdev": 40.0, "variance": 1600.0, "sum": 400.0, "len": 5
        });
        assert_eq!(s, Some(want));
        assert_eq!(series_stats(&arr(json!([1, null, 3])), false), None);
        assert_eq!(series_stats(&arr(json!([1, "NaN"])), false), None);
        let s = series_stats(&arr(json!([null, 5, "Infinity"])), true);
        let want = json!({
            "min": 5.0, "min_idx": 1, "max": 5.0, "max_idx": 1, "avg": 5.0,
            "stdev": 0.0, "variance": 0.0, "sum": 5.0, "len": 3
        });
        assert_eq!(s, Some(want));
        let empty = series_stats(&[], false).unwrap_or_default();
        assert_eq!(empty["min"], Json::Null);
        assert_eq!(empty["len"], json!(0));
        let parts = series_stats_parts();
        assert_eq!(parts.len(), 7);
        assert!(parts.iter().all(|p| empty.get(*p).is_some()));
    }

    #[test]
    fn fills() {
        let a = arr(json!([null, 3, null, null, 7, null]));
        assert_eq!(fill_forward(&a, &Json::Null), arr(json!([null, 3, 3, 3, 7, 7])));
        assert_eq!(fill_backward(&a, &Json::Null), arr(json!([3, 3, 7, 7, 7, null])));
        assert_eq!(fill_forward(&arr(json!([5, -1, 6])), &json!(-1.0)), arr(json!([5, 5, 6])));
        assert_eq!(fill_const(&a, &json!(0.5), &Json::Null), arr(json!([0.5, 3, 0.5, 0.5, 7, 0.5])));
        assert_eq!(fill_const(&arr(json!([2, -1, null])), &json!(0), &json!(-1)), arr(json!([2, 0, null])));
    }

    #[test]
    fn linear_fill() {
        let zero = json!(0.0);
        let lin = |v: Json, edges| fill_linear(&arr(v), &Json::Null, edges, &zero);
        assert_eq!(lin(json!([null, 10, null, null, 20, null]), true), arr(json!([10, 10, 13, 16, 20, 20])));
        assert_eq!(lin(json!([null, 1.0, null, 2.0, null]), false), arr(json!([null, 1.0, 1.5, 2.0, null])));
        assert_eq!(lin(json!([20, null, null, 10]), true), arr(json!([20, 16, 13, 10])));
        assert_eq!(lin(json!([null, null]), false), arr(json!([0.0, 0.0])));
        assert_eq!(lin(json!([]), true), Vec::<Json>::new());
        assert_eq!(fill_linear(&arr(json!([null])), &Json::Null, true, &Json::Null), arr(json!([null])));
        assert_eq!(fill_linear(&arr(json!([4, 0, 0, 10])), &json!(0), true, &zero), arr(json!([4, 6, 8, 10])));
    }
}
