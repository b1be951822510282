//! Typing rules: literals, casts between Kusto types, `tostring`, and the
//! comparison and arithmetic operators with Kusto's semantics (null rules,
//! integer division, non-negative `%`, datetime/timespan arithmetic).

use std::sync::Arc;

use datafusion::common::ScalarValue;
use datafusion::functions::core::expr_fn::{coalesce, nullif};
use datafusion::functions::math::expr_fn::abs;
use datafusion::logical_expr::expr::Case;
use datafusion::logical_expr::{BinaryExpr, Cast, Expr, Operator, lit};

use crate::diag::{Diagnostic, codes};
use crate::functions::{convert, udf};
use crate::plan::{PResult, Typed};
use crate::syntax::ast::{BinaryOp, Literal};
use crate::syntax::span::Span;
use crate::types::{KType, UTC};

/// The value and Kusto type of a literal.
pub fn literal(l: &Literal) -> Typed {
    let (v, t) = match l {
        Literal::Null(t) => {
            let k = KType::from_type_name(*t);
            (ScalarValue::try_from(k.arrow()).unwrap_or(ScalarValue::Null), k)
        }
        Literal::Bool(b) => (ScalarValue::Boolean(Some(*b)), KType::Bool),
        Literal::Int(v) => (ScalarValue::Int32(Some(*v)), KType::Int),
        Literal::Long(v) => (ScalarValue::Int64(Some(*v)), KType::Long),
        Literal::Real(v) => (ScalarValue::Float64(Some(*v)), KType::Real),
        Literal::Decimal(s) => (decimal_scalar(s), KType::Decimal),
        Literal::String(s) => (ScalarValue::Utf8(Some(s.clone())), KType::String),
        Literal::Guid(s) => (ScalarValue::Utf8(Some(s.clone())), KType::Guid),
        Literal::DateTime(v) => (ScalarValue::TimestampNanosecond(Some(*v), Some(Arc::from(UTC))), KType::DateTime),
        Literal::TimeSpan(v) => (ScalarValue::DurationNanosecond(Some(*v)), KType::TimeSpan),
        Literal::Dynamic(serde_json::Value::Null) => (ScalarValue::LargeUtf8(None), KType::Dynamic),
        Literal::Dynamic(v) => (ScalarValue::LargeUtf8(Some(v.to_string())), KType::Dynamic),
    };
    Typed::new(lit(v), t)
}

fn decimal_scalar(s: &str) -> ScalarValue {
    // Scale 18 within precision 38, as `KType::Decimal` declares.
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut digits = format!("{int}{:0<18}", &frac[..frac.len().min(18)]);
    if digits.starts_with('+') {
        digits.remove(0);
    }
    match digits.parse::<i128>() {
        Ok(v) => ScalarValue::Decimal128(Some(v), 38, 18),
        Err(_) => ScalarValue::Decimal128(None, 38, 18),
    }
}

pub fn cast(e: Expr, to: KType) -> Expr {
    Expr::Cast(Cast::new(Box::new(e), to.arrow()))
}

pub fn binary(l: Expr, op: Operator, r: Expr) -> Expr {
    Expr::BinaryExpr(BinaryExpr::new(Box::new(l), op, Box::new(r)))
}

pub fn case_when(whens: Vec<(Expr, Expr)>, otherwise: Option<Expr>) -> Expr {
    Expr::Case(Case::new(
        None,
        whens.into_iter().map(|(w, t)| (Box::new(w), Box::new(t))).collect(),
        otherwise.map(Box::new),
    ))
}

pub fn null_of(t: KType) -> Expr {
    lit(ScalarValue::try_from(t.arrow()).unwrap_or(ScalarValue::Null))
}

pub fn is_literal(e: &Expr) -> bool {
    matches!(e, Expr::Literal(..))
}

pub fn is_null_literal(e: &Expr) -> bool {
    matches!(e, Expr::Literal(v, _) if v.is_null())
}

pub fn literal_str(e: &Expr) -> Option<&str> {
    match e {
        Expr::Literal(v, _) => udf::scalar_str(v),
        _ => None,
    }
}

/// Kusto's `tostring`: never null, `True`/`False`, ISO datetimes,
/// `d.hh:mm:ss` timespans, dynamic strings unquoted.
pub fn to_string(t: Typed) -> Expr {
    match t.ty {
        KType::String | KType::Guid => match &t.expr {
            Expr::Literal(v, _) if !v.is_null() => t.expr,
            _ => coalesce(vec![t.expr, lit("")]),
        },
        KType::Null => lit(""),
        _ => udf::call(&convert::TOSTRING, vec![t.expr]),
    }
}

/// Converts a value to another Kusto type the way the `to*` functions do
/// (failed conversions are null).
pub fn convert_to(t: Typed, to: KType) -> Typed {
    if t.ty == to {
        return t;
    }
    if to == KType::String {
        return Typed::new(to_string(t), to);
    }
    convert::convert(t, to)
}

fn type_error(span: Span, what: &str, l: KType, r: KType) -> Diagnostic {
    Diagnostic::new(codes::TYPE_MISMATCH, format!("cannot {what} `{l}` and `{r}`"))
        .at(span)
        .help("convert one side with `tolong()`, `todouble()`, `tostring()`, `todatetime()` or `totimespan()`")
}

/// Brings both operands of a comparison to one type, as Kusto does:
/// numbers mix, `dynamic` takes the other side's type, strings and guids mix.
fn unify(l: Typed, r: Typed, span: Span) -> PResult<(Typed, Typed)> {
    use KType::*;
    Ok(match (l.ty, r.ty) {
        (a, b) if a == b => (l, r),
        (Null, _) | (_, Null) => (l, r),
        (a, b) if a.is_numeric() && b.is_numeric() => (l, r),
        (String | Guid, String | Guid) => (l, r),
        (Dynamic, other) => (convert_to(l, other), r),
        (other, Dynamic) => {
            let r = convert_to(r, other);
            (l, r)
        }
        (a, b) => return Err(type_error(span, "compare", a, b)),
    })
}

/// `l == r`, `l != r`, `<`, …, with Kusto's null rules. In a `where`
/// predicate (`pred`), a null result and `false` are the same, which allows
/// plain SQL comparisons that DataFusion can push into the Parquet scan.
pub fn compare(op: BinaryOp, l: Typed, r: Typed, pred: bool, span: Span) -> PResult<Typed> {
    let (l, r) = unify(l, r, span)?;
    let string = matches!(l.ty, KType::String | KType::Guid) || matches!(r.ty, KType::String | KType::Guid);
    // Put a literal on the right to simplify the cases below.
    let (l, r, op) = if is_literal(&l.expr) && !is_literal(&r.expr) { (r, l, flip(op)) } else { (l, r, op) };
    let bool_of = |e: Expr| Typed::new(e, KType::Bool);
    let sql_op = match op {
        BinaryOp::Eq => Operator::Eq,
        BinaryOp::NotEq => Operator::NotEq,
        BinaryOp::Lt => Operator::Lt,
        BinaryOp::LtEq => Operator::LtEq,
        BinaryOp::Gt => Operator::Gt,
        BinaryOp::GtEq => Operator::GtEq,
        _ => return Err(Diagnostic::new(codes::INTERNAL, "not a comparison").at(span)),
    };
    if !matches!(op, BinaryOp::Eq | BinaryOp::NotEq) {
        let (le, re) = if string { (to_string(l), to_string(r)) } else { (l.expr, r.expr) };
        return Ok(bool_of(binary(le, sql_op, re)));
    }
    let eq = op == BinaryOp::Eq;
    if string {
        // Kusto strings are never null: a null string is "".
        if let Some(text) = literal_str(&r.expr) {
            let text = text.to_string();
            return Ok(bool_of(if text.is_empty() {
                let empty = binary(l.expr.clone(), Operator::Eq, lit(""));
                if eq {
                    l.expr.is_null().or(empty)
                } else {
                    l.expr.clone().is_not_null().and(binary(l.expr, Operator::NotEq, lit("")))
                }
            } else if eq {
                binary(l.expr, Operator::Eq, lit(text))
            } else if pred {
                binary(l.expr.clone(), Operator::NotEq, lit(text)).or(l.expr.is_null())
            } else {
                binary(l.expr, Operator::IsDistinctFrom, lit(text))
            }));
        }
        let le = coalesce(vec![l.expr, lit("")]);
        let re = coalesce(vec![r.expr, lit("")]);
        return Ok(bool_of(binary(le, sql_op, re)));
    }
    if is_literal(&r.expr) && !is_null_literal(&r.expr) {
        return Ok(bool_of(if eq {
            if pred {
                binary(l.expr, Operator::Eq, r.expr)
            } else {
                binary(l.expr, Operator::IsNotDistinctFrom, r.expr)
            }
        } else if pred {
            binary(l.expr.clone(), Operator::NotEq, r.expr).or(l.expr.is_null())
        } else {
            binary(l.expr, Operator::IsDistinctFrom, r.expr)
        }));
    }
    if pred && eq {
        return Ok(bool_of(binary(l.expr, Operator::Eq, r.expr)));
    }
    // General case: exactly one null → false (`==`) / true (`!=`); both null → null.
    let both_null = l.expr.clone().is_null().and(r.expr.clone().is_null());
    let distinct = if eq {
        binary(l.expr, Operator::IsNotDistinctFrom, r.expr)
    } else {
        binary(l.expr, Operator::IsDistinctFrom, r.expr)
    };
    Ok(bool_of(case_when(vec![(both_null, null_of(KType::Bool))], Some(distinct))))
}

fn flip(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::LtEq => BinaryOp::GtEq,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::GtEq => BinaryOp::LtEq,
        other => other,
    }
}

fn as_i64(e: Expr) -> Expr {
    cast(e, KType::Long)
}

fn as_f64(e: Expr) -> Expr {
    cast(e, KType::Real)
}

/// `+ - * / %` over numbers, datetimes and timespans.
pub fn arithmetic(op: BinaryOp, l: Typed, r: Typed, span: Span) -> PResult<Typed> {
    use KType::*;
    let l = if l.ty == Dynamic { convert_to(l, Real) } else { l };
    let r = if r.ty == Dynamic { convert_to(r, Real) } else { r };
    let verb = match op {
        BinaryOp::Add => "add",
        BinaryOp::Sub => "subtract",
        BinaryOp::Mul => "multiply",
        BinaryOp::Div => "divide",
        _ => "take the remainder of",
    };
    let (lt, rt) = (l.ty, r.ty);
    // A typeless null takes the other side's type.
    if lt == Null || rt == Null {
        let t = if lt == Null { rt } else { lt };
        return Ok(Typed::new(null_of(if t == Null { Long } else { t }), if t == Null { Long } else { t }));
    }
    let ts = |e: Expr| Typed::new(cast(e, TimeSpan), TimeSpan);
    let dt = |e: Expr| Typed::new(cast(e, DateTime), DateTime);
    Ok(match (op, lt, rt) {
        (_, a, b) if a.is_numeric() && b.is_numeric() => numeric(op, l, r),
        (BinaryOp::Sub, DateTime, DateTime) => ts(binary(as_i64(l.expr), Operator::Minus, as_i64(r.expr))),
        (BinaryOp::Add | BinaryOp::Sub, DateTime, TimeSpan) => {
            let o = if op == BinaryOp::Add { Operator::Plus } else { Operator::Minus };
            dt(binary(as_i64(l.expr), o, as_i64(r.expr)))
        }
        (BinaryOp::Add, TimeSpan, DateTime) => dt(binary(as_i64(l.expr), Operator::Plus, as_i64(r.expr))),
        (BinaryOp::Add | BinaryOp::Sub, TimeSpan, TimeSpan) => {
            let o = if op == BinaryOp::Add { Operator::Plus } else { Operator::Minus };
            ts(binary(as_i64(l.expr), o, as_i64(r.expr)))
        }
        (BinaryOp::Mul, TimeSpan, n) | (BinaryOp::Mul, n, TimeSpan) if n.is_numeric() => {
            let (span_e, num) = if lt == TimeSpan { (l.expr, r) } else { (r.expr, l) };
            if num.ty.is_integer() {
                ts(binary(as_i64(span_e), Operator::Multiply, as_i64(num.expr)))
            } else {
                ts(as_i64(binary(as_f64(span_e), Operator::Multiply, as_f64(num.expr))))
            }
        }
        (BinaryOp::Div, TimeSpan, TimeSpan) => {
            Typed::new(binary(as_f64(l.expr), Operator::Divide, as_f64(r.expr)), Real)
        }
        (BinaryOp::Div, TimeSpan, n) if n.is_numeric() => {
            if n.is_integer() {
                ts(binary(as_i64(l.expr), Operator::Divide, nullif(as_i64(r.expr), lit(0i64))))
            } else {
                ts(as_i64(binary(as_f64(l.expr), Operator::Divide, as_f64(r.expr))))
            }
        }
        (BinaryOp::Mod, TimeSpan, TimeSpan) => {
            let m = non_negative_mod(as_i64(l.expr), as_i64(r.expr));
            ts(m)
        }
        (_, a, b) => return Err(type_error(span, verb, a, b)),
    })
}

fn numeric(op: BinaryOp, l: Typed, r: Typed) -> Typed {
    let real = l.ty == KType::Real || r.ty == KType::Real;
    let decimal = l.ty == KType::Decimal || r.ty == KType::Decimal;
    let ty = if real {
        KType::Real
    } else if decimal {
        KType::Decimal
    } else if l.ty == KType::Long || r.ty == KType::Long {
        KType::Long
    } else {
        KType::Int
    };
    let (le, re) = if real { (as_f64(l.expr), as_f64(r.expr)) } else { (l.expr, r.expr) };
    let e = match op {
        BinaryOp::Add => binary(le, Operator::Plus, re),
        BinaryOp::Sub => binary(le, Operator::Minus, re),
        BinaryOp::Mul => binary(le, Operator::Multiply, re),
        // Integer division by zero is null in Kusto; real division gives ±∞/NaN.
        BinaryOp::Div if real => binary(le, Operator::Divide, re),
        BinaryOp::Div => {
            let zero = if ty == KType::Int { lit(0i32) } else { lit(0i64) };
            binary(le, Operator::Divide, nullif(re, zero))
        }
        _ => {
            if real {
                non_negative_mod(le, re)
            } else {
                let zero = if ty == KType::Int { lit(0i32) } else { lit(0i64) };
                non_negative_mod(le, nullif(re, zero))
            }
        }
    };
    Typed::new(e, ty)
}

/// Kusto's `%` is never negative: `-14 % 12 == 10`, `14 % -12 == 2`.
fn non_negative_mod(l: Expr, r: Expr) -> Expr {
    let m = binary(l, Operator::Modulo, r.clone());
    let a = abs(r);
    binary(binary(m, Operator::Plus, a.clone()), Operator::Modulo, a)
}

/// Unary minus on numbers and timespans.
pub fn negate(t: Typed, span: Span) -> PResult<Typed> {
    match t.ty {
        k if k.is_numeric() => Ok(Typed::new(Expr::Negative(Box::new(t.expr)), t.ty)),
        KType::TimeSpan => {
            Ok(Typed::new(cast(Expr::Negative(Box::new(as_i64(t.expr))), KType::TimeSpan), KType::TimeSpan))
        }
        KType::Null => Ok(t),
        other => Err(Diagnostic::new(codes::TYPE_MISMATCH, format!("cannot negate a `{other}`")).at(span)),
    }
}

/// Requires a boolean (for `where`, `and`, `or`, `iff`).
pub fn require_bool(t: Typed, span: Span, what: &str) -> PResult<Expr> {
    match t.ty {
        KType::Bool | KType::Null => Ok(t.expr),
        KType::Dynamic => Ok(convert::convert(t, KType::Bool).expr),
        other => Err(Diagnostic::new(codes::TYPE_MISMATCH, format!("{what} must be a `bool`, not a `{other}`"))
            .at(span)
            .help("compare the value, e.g. `x == 1` or `isnotempty(x)`")),
    }
}
