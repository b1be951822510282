//! Math functions. `round` rounds half away from zero; `log` of a negative
//! number is null (Kusto), while `sqrt(-1)` is NaN.

use datafusion::functions::math::expr_fn as m;
use datafusion::logical_expr::{Expr, lit};

use crate::functions::{Call, Registry};
use crate::plan::typing::{self, case_when};
use crate::plan::{PResult, Planner, Typed};
use crate::types::KType;

pub fn register(r: &mut Registry) {
    r.scalar(&["round"], 1, 2, round);
    r.scalar(&["abs"], 1, 1, abs);
    r.scalar(&["ceiling"], 1, 1, |p, c| real1(p, c, m::ceil));
    r.scalar(&["sqrt"], 1, 1, |p, c| {
        // DataFusion's sqrt rejects negatives; Kusto gives NaN.
        let x = c.arg_as(p, 0, KType::Real)?;
        let e = case_when(vec![(x.clone().lt(lit(0.0)), lit(f64::NAN))], Some(m::sqrt(x)));
        Ok(Typed::new(e, KType::Real))
    });
    r.scalar(&["exp"], 1, 1, |p, c| real1(p, c, m::exp));
    r.scalar(&["exp2"], 1, 1, |p, c| real1(p, c, |x| m::power(lit(2.0), x)));
    r.scalar(&["exp10"], 1, 1, |p, c| real1(p, c, |x| m::power(lit(10.0), x)));
    r.scalar(&["log"], 1, 1, |p, c| log(p, c, m::ln));
    r.scalar(&["log10"], 1, 1, |p, c| log(p, c, m::log10));
    r.scalar(&["log2"], 1, 1, |p, c| log(p, c, m::log2));
    r.scalar(&["pow"], 2, 2, pow);
    r.scalar(&["sign"], 1, 1, sign);
    r.scalar(&["cos"], 1, 1, |p, c| real1(p, c, m::cos));
    r.scalar(&["sin"], 1, 1, |p, c| real1(p, c, m::sin));
    r.scalar(&["tan"], 1, 1, |p, c| real1(p, c, m::tan));
    r.scalar(&["acos"], 1, 1, |p, c| real1(p, c, m::acos));
    r.scalar(&["asin"], 1, 1, |p, c| real1(p, c, m::asin));
    r.scalar(&["atan"], 1, 1, |p, c| real1(p, c, m::atan));
    r.scalar(&["pi"], 0, 0, |_, _| Ok(Typed::new(lit(std::f64::consts::PI), KType::Real)));
    r.scalar(&["isnan"], 1, 1, |p, c| {
        let x = c.arg_as(p, 0, KType::Real)?;
        Ok(Typed::new(m::isnan(x), KType::Bool))
    });
    r.scalar(&["isinf"], 1, 1, |p, c| {
        let x = c.arg_as(p, 0, KType::Real)?;
        Ok(Typed::new(m::abs(x).eq(lit(f64::INFINITY)), KType::Bool))
    });
    r.scalar(&["isfinite"], 1, 1, |p, c| {
        let x = c.arg_as(p, 0, KType::Real)?;
        let finite = Expr::Not(Box::new(m::isnan(x.clone()))).and(m::abs(x).not_eq(lit(f64::INFINITY)));
        Ok(Typed::new(finite, KType::Bool))
    });
}

fn real1(p: &mut Planner, c: &Call, f: fn(Expr) -> Expr) -> PResult<Typed> {
    let x = c.arg_as(p, 0, KType::Real)?;
    Ok(Typed::new(f(x), KType::Real))
}

fn round(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    if v.ty.is_integer() && c.args.len() == 1 {
        return Ok(v);
    }
    let x = typing::convert_to(v, KType::Real).expr;
    let digits = if c.args.len() > 1 { c.arg_as(p, 1, KType::Long)? } else { lit(0i64) };
    Ok(Typed::new(m::round(vec![x, typing::cast(digits, KType::Long)]), KType::Real))
}

fn abs(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    match v.ty {
        k if k.is_numeric() => Ok(Typed::new(m::abs(v.expr), v.ty)),
        KType::TimeSpan => {
            let ns = m::abs(typing::cast(v.expr, KType::Long));
            Ok(Typed::new(typing::cast(ns, KType::TimeSpan), KType::TimeSpan))
        }
        _ => {
            let x = typing::convert_to(v, KType::Real).expr;
            Ok(Typed::new(m::abs(x), KType::Real))
        }
    }
}

fn log(p: &mut Planner, c: &Call, f: fn(Expr) -> Expr) -> PResult<Typed> {
    let x = c.arg_as(p, 0, KType::Real)?;
    let e = case_when(vec![(x.clone().lt(lit(0.0)), typing::null_of(KType::Real))], Some(f(x)));
    Ok(Typed::new(e, KType::Real))
}

fn pow(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let b = c.arg_as(p, 0, KType::Real)?;
    let e = c.arg_as(p, 1, KType::Real)?;
    Ok(Typed::new(m::power(b, e), KType::Real))
}

fn sign(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    let ty = v.ty;
    let x = typing::convert_to(v, KType::Real).expr;
    let s = m::signum(x);
    Ok(if ty.is_integer() { Typed::new(typing::cast(s, KType::Long), KType::Long) } else { Typed::new(s, KType::Real) })
}
