//! `join` and `lookup`.
//!
//! Both sides are aliased (`__left`, `__right`) so equal column names stay
//! apart; the output then takes Kusto's names: left columns, then right
//! columns with clashes numbered (`Key1`). The default kind, `innerunique`,
//! first keeps one left row per key. Null keys match null keys, as in Kusto.

use std::collections::HashSet;

use datafusion::common::{Column, NullEquality};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{Expr, JoinType, LogicalPlan, LogicalPlanBuilder, lit};

use crate::diag::{Diagnostic, codes};
use crate::plan::naming::unique;
use crate::plan::scope::{self, column_names};
use crate::plan::{PResult, Pipe, Planner, df_err};
use crate::syntax::ast::{Ident, JoinKey, JoinKind, TabularExpr};
use crate::syntax::span::Span;
use crate::types::KType;

const LEFT: &str = "__kql_left";
const RIGHT: &str = "__kql_right";

impl Planner<'_> {
    pub(super) fn join(
        &mut self,
        left: Pipe,
        kind: Option<JoinKind>,
        right: &TabularExpr,
        on: &[JoinKey],
        span: Span,
    ) -> PResult<Pipe> {
        let kind = kind.unwrap_or(JoinKind::InnerUnique);
        let right = self.tabular(right)?;
        let keys = key_pairs(&left.plan, &right.plan, on)?;
        let left_plan = if kind == JoinKind::InnerUnique { unique_keys(left.plan, &keys, span)? } else { left.plan };
        let join_type = match kind {
            JoinKind::InnerUnique | JoinKind::Inner => JoinType::Inner,
            JoinKind::LeftOuter => JoinType::Left,
            JoinKind::RightOuter => JoinType::Right,
            JoinKind::FullOuter => JoinType::Full,
            JoinKind::LeftAnti => JoinType::LeftAnti,
            JoinKind::RightAnti => JoinType::RightAnti,
            JoinKind::LeftSemi => JoinType::LeftSemi,
            JoinKind::RightSemi => JoinType::RightSemi,
        };
        let (show_left, show_right) = match kind {
            JoinKind::LeftAnti | JoinKind::LeftSemi => (true, false),
            JoinKind::RightAnti | JoinKind::RightSemi => (false, true),
            _ => (true, true),
        };
        let plan = join_plans(left_plan, right.plan, join_type, &keys, show_left, show_right, &HashSet::new(), span)?;
        Ok(Pipe { plan, name: None, order: None, render: left.render })
    }

    /// `lookup`: a left outer (or inner) join whose right-side key columns
    /// are dropped from the output.
    pub(super) fn lookup_op(
        &mut self,
        left: Pipe,
        kind: Option<JoinKind>,
        right: &TabularExpr,
        on: &[JoinKey],
        span: Span,
    ) -> PResult<Pipe> {
        let join_type = match kind {
            None | Some(JoinKind::LeftOuter) => JoinType::Left,
            Some(JoinKind::Inner) => JoinType::Inner,
            Some(other) => {
                return Err(Diagnostic::new(
                    codes::BAD_VALUE,
                    format!("`lookup` supports kind=leftouter and kind=inner, not `{}`", other.as_str()),
                )
                .at(span));
            }
        };
        let right = self.tabular(right)?;
        let keys = key_pairs(&left.plan, &right.plan, on)?;
        let hidden: HashSet<String> = keys.iter().map(|k| k.right.clone()).collect();
        let plan = join_plans(left.plan, right.plan, join_type, &keys, true, true, &hidden, span)?;
        Ok(Pipe { plan, name: None, order: None, render: left.render })
    }
}

struct KeyPair {
    left: String,
    right: String,
}

fn key_pairs(left: &LogicalPlan, right: &LogicalPlan, on: &[JoinKey]) -> PResult<Vec<KeyPair>> {
    let mut out = Vec::new();
    for k in on {
        let (l, r): (&Ident, &Ident) = match k {
            JoinKey::Same(n) => (n, n),
            JoinKey::Pair { left, right, .. } => (left, right),
        };
        let lt = scope::find_column(left.schema(), &l.name).ok_or_else(|| {
            scope::unknown_column(left.schema(), &l.name, l.span, &[]).label("not a column of the left side")
        })?;
        let rt = scope::find_column(right.schema(), &r.name).ok_or_else(|| {
            scope::unknown_column(right.schema(), &r.name, r.span, &[]).label("not a column of the right side")
        })?;
        let compatible = lt.ty == rt.ty
            || (lt.ty.is_numeric() && rt.ty.is_numeric())
            || (lt.ty.is_stringlike() && rt.ty.is_stringlike());
        if !compatible {
            return Err(Diagnostic::new(
                codes::TYPE_MISMATCH,
                format!("join keys have different types: `{}` is `{}`, `{}` is `{}`", l.name, lt.ty, r.name, rt.ty),
            )
            .at(r.span)
            .help("convert one side with `extend` before joining"));
        }
        if lt.ty == KType::Dynamic {
            return Err(Diagnostic::new(codes::TYPE_MISMATCH, "cannot join on a `dynamic` column")
                .at(l.span)
                .help("convert it with `tostring()` first"));
        }
        out.push(KeyPair { left: l.name.clone(), right: r.name.clone() });
    }
    Ok(out)
}

/// Keeps one (arbitrary) row per join key: `innerunique`.
fn unique_keys(plan: LogicalPlan, keys: &[KeyPair], span: Span) -> PResult<LogicalPlan> {
    let names = column_names(plan.schema());
    let partition: Vec<Expr> = keys.iter().map(|k| column_of(&plan, &k.left)).collect();
    let rn = match row_number() {
        Expr::WindowFunction(mut w) => {
            w.params.partition_by = partition;
            Expr::WindowFunction(w)
        }
        other => other,
    };
    let schema = plan.schema().clone();
    LogicalPlanBuilder::from(plan)
        .window(vec![rn.alias("__kql_rn")])
        .and_then(|b| b.filter(Expr::Column(Column::from_name("__kql_rn")).eq(lit(1u64))))
        .and_then(|b| b.project(names.iter().map(|n| super::project::passthrough(&schema, n)).collect::<Vec<_>>()))
        .and_then(|b| b.build())
        .map_err(|e| df_err(e, span))
}

fn column_of(plan: &LogicalPlan, name: &str) -> Expr {
    scope::find_column(plan.schema(), name).map_or_else(|| super::col(name), |t| t.expr)
}

#[allow(clippy::too_many_arguments)]
fn join_plans(
    left: LogicalPlan,
    right: LogicalPlan,
    join_type: JoinType,
    keys: &[KeyPair],
    show_left: bool,
    show_right: bool,
    hidden_right: &HashSet<String>,
    span: Span,
) -> PResult<LogicalPlan> {
    let left_names = column_names(left.schema());
    let right_names = column_names(right.schema());
    let left = LogicalPlanBuilder::from(left).alias(LEFT).and_then(|b| b.build()).map_err(|e| df_err(e, span))?;
    let right = LogicalPlanBuilder::from(right).alias(RIGHT).and_then(|b| b.build()).map_err(|e| df_err(e, span))?;
    let lk: Vec<Column> = keys.iter().map(|k| Column::new(Some(LEFT), &k.left)).collect();
    let rk: Vec<Column> = keys.iter().map(|k| Column::new(Some(RIGHT), &k.right)).collect();
    let joined = LogicalPlanBuilder::from(left)
        .join_detailed(right, join_type, (lk, rk), None, NullEquality::NullEqualsNull)
        .map_err(|e| df_err(e, span))?;
    let mut out = Vec::new();
    let mut taken: HashSet<String> = HashSet::new();
    if show_left {
        for n in &left_names {
            taken.insert(n.clone());
            out.push(Expr::Column(Column::new(Some(LEFT), n)).alias(n.clone()));
        }
    }
    if show_right {
        for n in &right_names {
            if hidden_right.contains(n) {
                continue;
            }
            let name = unique(n, &taken);
            taken.insert(name.clone());
            out.push(Expr::Column(Column::new(Some(RIGHT), n)).alias(name));
        }
    }
    joined.project(out).and_then(|b| b.build()).map_err(|e| df_err(e, span))
}
