//! Aggregation functions, lowered to DataFusion aggregates with Kusto's
//! defaults: `count`/`sum`/`dcount`/`variance` give 0 over no rows,
//! `avg` of only nulls is NaN, `make_*` give `[]`, the rest null.
//! Functions with several result columns (`arg_max(x, *)`, `percentiles`)
//! are expanded by `summarize` before they reach here.

use std::sync::Arc;

use datafusion::functions::core::expr_fn::coalesce;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::{AggregateUDF, Expr, lit};

use crate::diag::{Diagnostic, codes};
use crate::functions::udaf;
use crate::functions::{Call, MANY, Registry};
use crate::plan::typing::{self, case_when, require_bool};
use crate::plan::{PResult, Planner, Typed};
use crate::types::KType;

pub fn register(r: &mut Registry) {
    r.aggregate(&["count"], 0, 1, count);
    r.aggregate(&["countif"], 1, 1, countif);
    r.aggregate(&["sum"], 1, 1, |p, c| sum(p, c, false));
    r.aggregate(&["sumif"], 2, 2, |p, c| sum(p, c, true));
    r.aggregate(&["avg"], 1, 1, |p, c| avg(p, c, false));
    r.aggregate(&["avgif"], 2, 2, |p, c| avg(p, c, true));
    r.aggregate(&["min"], 1, 1, |p, c| extreme(p, c, false, false));
    r.aggregate(&["max"], 1, 1, |p, c| extreme(p, c, true, false));
    r.aggregate(&["minif"], 2, 2, |p, c| extreme(p, c, false, true));
    r.aggregate(&["maxif"], 2, 2, |p, c| extreme(p, c, true, true));
    r.aggregate(&["dcount", "count_distinct"], 1, 2, |p, c| dcount(p, c, false));
    r.aggregate(&["dcountif", "count_distinctif"], 2, 3, |p, c| dcount(p, c, true));
    r.aggregate(&["stdev"], 1, 1, |p, c| spread(p, c, Spread::Stdev, false));
    r.aggregate(&["stdevif"], 2, 2, |p, c| spread(p, c, Spread::Stdev, true));
    r.aggregate(&["stdevp"], 1, 1, |p, c| spread(p, c, Spread::StdevP, false));
    r.aggregate(&["variance"], 1, 1, |p, c| spread(p, c, Spread::Variance, false));
    r.aggregate(&["varianceif"], 2, 2, |p, c| spread(p, c, Spread::Variance, true));
    r.aggregate(&["variancep"], 1, 1, |p, c| spread(p, c, Spread::VarianceP, false));
    r.aggregate(&["make_list", "makelist"], 1, 2, |p, c| collect(p, c, &udaf::MAKE_LIST, false));
    r.aggregate(&["make_list_if"], 2, 3, |p, c| collect(p, c, &udaf::MAKE_LIST, true));
    r.aggregate(&["make_list_with_nulls"], 1, 2, |p, c| collect(p, c, &udaf::MAKE_LIST_WITH_NULLS, false));
    r.aggregate(&["make_set", "makeset"], 1, 2, |p, c| collect(p, c, &udaf::MAKE_SET, false));
    r.aggregate(&["make_set_if"], 2, 3, |p, c| collect(p, c, &udaf::MAKE_SET, true));
    r.aggregate(&["make_bag"], 1, 2, |p, c| collect(p, c, &udaf::MAKE_BAG, false));
    r.aggregate(&["make_bag_if"], 2, 3, |p, c| collect(p, c, &udaf::MAKE_BAG, true));
    r.aggregate(&["take_any", "any"], 1, MANY, |p, c| take_any(p, c, false));
    r.aggregate(&["take_anyif", "anyif"], 2, 2, |p, c| take_any(p, c, true));
    r.aggregate(&["arg_max"], 1, MANY, |p, c| arg_extreme(p, c, true));
    r.aggregate(&["arg_min"], 1, MANY, |p, c| arg_extreme(p, c, false));
    r.aggregate(&["percentile", "percentiles"], 2, MANY, |p, c| percentile(p, c, false));
    r.aggregate(&["percentilew", "percentilesw"], 3, MANY, |p, c| percentile(p, c, true));
}

/// Adds `FILTER (WHERE …)` to an aggregate expression.
pub fn with_filter(e: Expr, filter: Option<Expr>) -> Expr {
    match (e, filter) {
        (Expr::AggregateFunction(mut af), Some(f)) => {
            af.params.filter = Some(Box::new(f));
            Expr::AggregateFunction(af)
        }
        (e, _) => e,
    }
}

pub fn udaf_call(f: &Arc<AggregateUDF>, args: Vec<Expr>, filter: Option<Expr>) -> Expr {
    Expr::AggregateFunction(AggregateFunction::new_udf(Arc::clone(f), args, false, filter.map(Box::new), vec![], None))
}

/// The `if` condition of `countif`, `sumif`, … (argument `n`).
fn condition(p: &mut Planner, c: &Call, n: usize) -> PResult<Expr> {
    let t = c.arg(p, n)?;
    require_bool(t, c.arg_span(n), "the condition")
}

fn count_rows(filter: Option<Expr>) -> Expr {
    with_filter(agg::count(lit(1i64)), filter)
}

fn count(p: &mut Planner, c: &Call) -> PResult<Typed> {
    // `count(x)` counts every row, null or not (Kusto's summarize docs).
    if !c.args.is_empty() {
        c.arg(p, 0)?;
    }
    Ok(Typed::new(count_rows(None), KType::Long))
}

fn countif(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let f = condition(p, c, 0)?;
    Ok(Typed::new(count_rows(Some(f)), KType::Long))
}

fn numeric_arg(p: &mut Planner, c: &Call, what: &str) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    match v.ty {
        k if k.is_numeric() || k == KType::TimeSpan || k == KType::DateTime => Ok(v),
        KType::Null | KType::Dynamic | KType::Bool => Ok(typing::convert_to(v, KType::Real)),
        other => Err(c.type_error(0, other, what)),
    }
}

fn sum(p: &mut Planner, c: &Call, conditional: bool) -> PResult<Typed> {
    let v = numeric_arg(p, c, "a number or timespan")?;
    let filter = if conditional { Some(condition(p, c, 1)?) } else { None };
    Ok(match v.ty {
        KType::TimeSpan => {
            let s = with_filter(agg::sum(typing::cast(v.expr, KType::Long)), filter);
            Typed::new(typing::cast(coalesce(vec![s, lit(0i64)]), KType::TimeSpan), KType::TimeSpan)
        }
        KType::Real => Typed::new(coalesce(vec![with_filter(agg::sum(v.expr), filter), lit(0.0)]), KType::Real),
        KType::Decimal => Typed::new(
            coalesce(vec![with_filter(agg::sum(v.expr), filter), typing::cast(lit(0i64), KType::Decimal)]),
            KType::Decimal,
        ),
        KType::DateTime => return Err(c.type_error(0, KType::DateTime, "a number or timespan")),
        _ => Typed::new(
            coalesce(vec![with_filter(agg::sum(typing::cast(v.expr, KType::Long)), filter), lit(0i64)]),
            KType::Long,
        ),
    })
}

fn avg(p: &mut Planner, c: &Call, conditional: bool) -> PResult<Typed> {
    let v = numeric_arg(p, c, "a number, datetime or timespan")?;
    let filter = if conditional { Some(condition(p, c, 1)?) } else { None };
    let ty = v.ty;
    let x = match ty {
        KType::TimeSpan | KType::DateTime => typing::cast(v.expr, KType::Long),
        _ => v.expr,
    };
    let a = with_filter(agg::avg(x), filter);
    // Over no rows the average is null; over only nulls it is NaN.
    let e = case_when(
        vec![(count_rows(None).eq(lit(0i64)), typing::null_of(KType::Real))],
        Some(coalesce(vec![a, lit(f64::NAN)])),
    );
    Ok(match ty {
        KType::TimeSpan | KType::DateTime => Typed::new(typing::cast(typing::cast(e, KType::Long), ty), ty),
        _ => Typed::new(e, KType::Real),
    })
}

fn extreme(p: &mut Planner, c: &Call, max: bool, conditional: bool) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    if v.ty == KType::Dynamic {
        return Err(c.type_error(0, v.ty, "a scalar value (convert the dynamic value first)"));
    }
    let filter = if conditional { Some(condition(p, c, 1)?) } else { None };
    let e = if max { agg::max(v.expr) } else { agg::min(v.expr) };
    Ok(Typed::new(with_filter(e, filter), v.ty))
}

fn dcount(p: &mut Planner, c: &Call, conditional: bool) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    let filter = if conditional { Some(condition(p, c, 1)?) } else { None };
    // Exact where Kusto estimates (HyperLogLog): never further from the truth.
    Ok(Typed::new(with_filter(agg::count_distinct(v.expr), filter), KType::Long))
}

#[derive(Clone, Copy)]
enum Spread {
    Stdev,
    StdevP,
    Variance,
    VarianceP,
}

fn spread(p: &mut Planner, c: &Call, kind: Spread, conditional: bool) -> PResult<Typed> {
    let v = numeric_arg(p, c, "a number")?;
    let x = typing::convert_to(v, KType::Real).expr;
    let filter = if conditional { Some(condition(p, c, 1)?) } else { None };
    let e = match kind {
        Spread::Stdev => agg::stddev(x),
        Spread::StdevP => agg::stddev_pop(x),
        Spread::Variance => agg::var_sample(x),
        Spread::VarianceP => agg::var_pop(x),
    };
    Ok(Typed::new(coalesce(vec![with_filter(e, filter), lit(0.0)]), KType::Real))
}

fn collect(p: &mut Planner, c: &Call, f: &Arc<AggregateUDF>, conditional: bool) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    let filter = if conditional { Some(condition(p, c, 1)?) } else { None };
    let limit_at = if conditional { 2 } else { 1 };
    let mut args = vec![v.expr];
    if c.args.len() > limit_at {
        let n = c.const_i64(p, limit_at)?;
        args.push(lit(n));
    }
    Ok(Typed::new(udaf_call(f, args, filter), KType::Dynamic))
}

fn take_any(p: &mut Planner, c: &Call, conditional: bool) -> PResult<Typed> {
    if !conditional && c.args.len() > 1 {
        return Err(Diagnostic::new(
            codes::UNSUPPORTED_FEATURE,
            "`take_any()` with several arguments is only supported directly in `summarize`",
        )
        .at(c.span));
    }
    let v = c.arg(p, 0)?;
    let filter = if conditional { Some(condition(p, c, 1)?) } else { None };
    let e = agg::first_value(v.expr, vec![]);
    let e = match e {
        Expr::AggregateFunction(mut af) => {
            af.params.null_treatment =
                Some(datafusion::logical_expr::sqlparser::ast::NullTreatment::IgnoreNulls.into());
            Expr::AggregateFunction(af)
        }
        other => other,
    };
    Ok(Typed::new(with_filter(e, filter), v.ty))
}

fn arg_extreme(p: &mut Planner, c: &Call, max: bool) -> PResult<Typed> {
    // Reached only when nested in an expression; `summarize` expands the
    // top-level form into one column per returned value.
    if c.args.len() != 2 {
        return Err(Diagnostic::new(
            codes::UNSUPPORTED_FEATURE,
            format!("`{}()` can only be used directly as a `summarize` aggregate", c.name.name),
        )
        .at(c.span));
    }
    let key = c.arg(p, 0)?;
    let value = c.arg(p, 1)?;
    let f = if max { &udaf::ARG_MAX } else { &udaf::ARG_MIN };
    Ok(Typed::new(udaf_call(f, vec![key.expr, value.expr], None), value.ty))
}

/// `percentile(x, p)`, or one level of `percentiles(x, p1, …)` chosen by
/// `summarize` (which passes exactly one level).
fn percentile(p: &mut Planner, c: &Call, weighted: bool) -> PResult<Typed> {
    let expected = if weighted { 3 } else { 2 };
    if c.args.len() != expected {
        return Err(Diagnostic::new(
            codes::UNSUPPORTED_FEATURE,
            format!("`{}()` with several levels can only be used directly as a `summarize` aggregate", c.name.name),
        )
        .at(c.span));
    }
    let v = c.arg(p, 0)?;
    if !(v.ty.is_numeric() || matches!(v.ty, KType::DateTime | KType::TimeSpan)) {
        return Err(c.type_error(0, v.ty, "a number, datetime or timespan"));
    }
    let level = c.const_f64(p, expected - 1)?;
    let mut args = vec![v.expr];
    if weighted {
        args.push(c.arg_as(p, 1, KType::Long)?);
    }
    args.push(lit(level));
    let f = if weighted { &udaf::PERCENTILEW } else { &udaf::PERCENTILE };
    Ok(Typed::new(udaf_call(f, args, None), v.ty))
}
