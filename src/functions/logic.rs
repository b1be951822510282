//! Conditionals and null tests: `iff`, `case`, `coalesce`, `isnull`,
//! `isempty`, `not`, `max_of`, `min_of`.

use datafusion::functions::core::expr_fn::coalesce;
use datafusion::logical_expr::{Expr, lit};

use crate::diag::{Diagnostic, codes};
use crate::functions::{Call, MANY, Registry};
use crate::plan::typing::{self, case_when, require_bool};
use crate::plan::{PResult, Planner, Typed};
use crate::syntax::span::Span;
use crate::types::KType;

pub fn register(r: &mut Registry) {
    r.scalar(&["iff", "iif"], 3, 3, iff);
    r.scalar(&["case"], 3, MANY, case);
    r.scalar(&["coalesce"], 1, MANY, coalesce_fn);
    r.scalar(&["isnull"], 1, 1, |p, c| null_test(p, c, false));
    r.scalar(&["isnotnull"], 1, 1, |p, c| null_test(p, c, true));
    r.scalar(&["isempty"], 1, 1, |p, c| empty_test(p, c, false));
    r.scalar(&["isnotempty"], 1, 1, |p, c| empty_test(p, c, true));
    r.scalar(&["not"], 1, 1, not);
    r.scalar(&["max_of"], 1, MANY, |p, c| extreme(p, c, true));
    r.scalar(&["min_of"], 1, MANY, |p, c| extreme(p, c, false));
    r.scalar(&["toscalar"], 1, 1, toscalar);
    r.scalar(&["around"], 3, 3, around);
}

/// `toscalar(T | …)`: the first column of the first row, computed once.
fn toscalar(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let arg = &c.args[0];
    let table = match &arg.kind {
        crate::syntax::ast::ExprKind::Tabular(t) => Some((**t).clone()),
        crate::syntax::ast::ExprKind::Name(n)
            if matches!(p.lookup(&n.name), Some(crate::plan::Binding::Tabular(_)))
                || (p.lookup(&n.name).is_none() && p.catalog.has_table(&n.name)) =>
        {
            Some(crate::syntax::ast::TabularExpr {
                source: crate::syntax::ast::Source::Table(n.clone()),
                ops: vec![],
                span: n.span,
            })
        }
        crate::syntax::ast::ExprKind::Call { name, args } if p.is_tabular_call(&name.name) => {
            Some(crate::syntax::ast::TabularExpr {
                source: crate::syntax::ast::Source::Call { name: name.clone(), args: args.clone(), span: arg.span },
                ops: vec![],
                span: arg.span,
            })
        }
        _ => None,
    };
    let Some(table) = table else {
        // `toscalar(2)`: already a scalar.
        return c.arg(p, 0);
    };
    let pipe = p.tabular(&table)?;
    let Some(first) = pipe.schema().fields().first().cloned() else {
        return Err(Diagnostic::new(codes::BAD_VALUE, "the table given to `toscalar()` has no columns").at(arg.span));
    };
    let ty = KType::of_arrow(first.data_type()).unwrap_or(KType::String);
    let plan = datafusion::logical_expr::LogicalPlanBuilder::from(pipe.plan)
        .project(vec![crate::plan::ops::col(first.name())])
        .and_then(|b| b.limit(0, Some(1)))
        .and_then(|b| b.build())
        .map_err(|e| crate::plan::df_err(e, arg.span))?;
    let sub = datafusion::logical_expr::Subquery {
        subquery: std::sync::Arc::new(plan),
        outer_ref_columns: vec![],
        spans: Default::default(),
    };
    Ok(Typed::new(Expr::ScalarSubquery(sub), ty))
}

/// `around(value, center, delta)`: `value` within `delta` of `center`.
fn around(p: &mut Planner, c: &Call) -> PResult<Typed> {
    use crate::syntax::ast::BinaryOp;
    let v = c.arg(p, 0)?;
    let center = c.arg(p, 1)?;
    let delta = c.arg(p, 2)?;
    let lo = typing::arithmetic(BinaryOp::Sub, center.clone(), delta.clone(), c.span)?;
    let hi = typing::arithmetic(BinaryOp::Add, center, delta, c.span)?;
    let ge = typing::compare(BinaryOp::GtEq, v.clone(), lo, false, c.span)?;
    let le = typing::compare(BinaryOp::LtEq, v, hi, false, c.span)?;
    Ok(Typed::new(ge.expr.and(le.expr), KType::Bool))
}

/// Brings result values (of `iff`, `case`, `coalesce`) to one type:
/// numbers widen, typeless nulls take the others' type.
pub fn unify_values(values: Vec<Typed>, spans: &[Span]) -> PResult<(Vec<Expr>, KType)> {
    let mut target = KType::Null;
    for (k, v) in values.iter().enumerate() {
        target = match (target, v.ty) {
            (KType::Null, t) => t,
            (t, KType::Null) => t,
            (a, b) if a == b => a,
            (a, b) if a.is_numeric() && b.is_numeric() => {
                if a == KType::Real || b == KType::Real {
                    KType::Real
                } else if a == KType::Decimal || b == KType::Decimal {
                    KType::Decimal
                } else {
                    KType::Long
                }
            }
            (KType::String | KType::Guid, KType::String | KType::Guid) => KType::String,
            (KType::Dynamic, _) | (_, KType::Dynamic) => KType::Dynamic,
            (a, b) => {
                return Err(Diagnostic::new(
                    codes::TYPE_MISMATCH,
                    format!("the results have different types: `{a}` and `{b}`"),
                )
                .at(spans.get(k).copied().unwrap_or_default())
                .help("convert them to one type, e.g. with `tostring()`"));
            }
        };
    }
    let exprs = values
        .into_iter()
        .map(|v| {
            if v.ty == target || target == KType::Null {
                v.expr
            } else if v.ty == KType::Null {
                typing::null_of(target)
            } else if target == KType::Dynamic {
                typing::convert_to(v, KType::Dynamic).expr
            } else {
                typing::cast(v.expr, target)
            }
        })
        .collect();
    Ok((exprs, target))
}

fn iff(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let cond = c.arg(p, 0)?;
    let cond = require_bool(cond, c.arg_span(0), "the condition of `iff()`")?;
    let a = c.arg(p, 1)?;
    let b = c.arg(p, 2)?;
    let (mut vals, ty) = unify_values(vec![a, b], &[c.arg_span(1), c.arg_span(2)])?;
    let otherwise = vals.pop();
    let then = vals.pop().unwrap_or_else(|| lit(true));
    // A null condition takes the else branch, as CASE does.
    Ok(Typed::new(case_when(vec![(cond, then)], otherwise), ty))
}

fn case(p: &mut Planner, c: &Call) -> PResult<Typed> {
    if c.args.len().is_multiple_of(2) {
        return Err(Diagnostic::new(
            codes::BAD_ARGUMENTS,
            "`case()` takes condition/value pairs followed by an else value",
        )
        .at(c.span));
    }
    let mut conds = Vec::new();
    let mut values = Vec::new();
    let mut spans = Vec::new();
    for k in (0..c.args.len() - 1).step_by(2) {
        let cond = c.arg(p, k)?;
        conds.push(require_bool(cond, c.arg_span(k), "a condition of `case()`")?);
        values.push(c.arg(p, k + 1)?);
        spans.push(c.arg_span(k + 1));
    }
    values.push(c.arg(p, c.args.len() - 1)?);
    spans.push(c.arg_span(c.args.len() - 1));
    let (mut vals, ty) = unify_values(values, &spans)?;
    let otherwise = vals.pop();
    Ok(Typed::new(case_when(conds.into_iter().zip(vals).collect(), otherwise), ty))
}

fn coalesce_fn(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let mut values = Vec::new();
    let mut spans = Vec::new();
    for k in 0..c.args.len() {
        values.push(c.arg(p, k)?);
        spans.push(c.arg_span(k));
    }
    let (vals, ty) = unify_values(values, &spans)?;
    if ty.is_stringlike() {
        // For strings Kusto skips empty values too.
        let vals = vals.into_iter().map(|v| datafusion::functions::core::expr_fn::nullif(v, lit(""))).collect();
        return Ok(Typed::new(coalesce(vec![coalesce(vals), lit("")]), ty));
    }
    Ok(Typed::new(coalesce(vals), ty))
}

fn null_test(p: &mut Planner, c: &Call, negated: bool) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    // Kusto strings are never null: `isnull("")` is false.
    if v.ty.is_stringlike() {
        return Ok(Typed::new(lit(negated), KType::Bool));
    }
    Ok(Typed::new(if negated { v.expr.is_not_null() } else { v.expr.is_null() }, KType::Bool))
}

fn empty_test(p: &mut Planner, c: &Call, negated: bool) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    let e = match v.ty {
        KType::String | KType::Guid => {
            if negated {
                v.expr.clone().is_not_null().and(v.expr.not_eq(lit("")))
            } else {
                v.expr.clone().is_null().or(v.expr.eq(lit("")))
            }
        }
        KType::Dynamic => {
            let s = typing::to_string(v);
            if negated { s.not_eq(lit("")) } else { s.eq(lit("")) }
        }
        _ => {
            if negated {
                v.expr.is_not_null()
            } else {
                v.expr.is_null()
            }
        }
    };
    Ok(Typed::new(e, KType::Bool))
}

fn not(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    let e = require_bool(v, c.arg_span(0), "the argument of `not()`")?;
    Ok(Typed::new(Expr::Not(Box::new(e)), KType::Bool))
}

fn extreme(p: &mut Planner, c: &Call, max: bool) -> PResult<Typed> {
    let mut values = Vec::new();
    let mut spans = Vec::new();
    for k in 0..c.args.len() {
        values.push(c.arg(p, k)?);
        spans.push(c.arg_span(k));
    }
    let (vals, ty) = unify_values(values, &spans)?;
    if vals.len() == 1 {
        return Ok(Typed::new(vals.into_iter().next().unwrap_or_else(|| lit(0i64)), ty));
    }
    let f = if max { datafusion::functions::core::greatest() } else { datafusion::functions::core::least() };
    Ok(Typed::new(f.call(vals), ty))
}
