//! `top-nested`: each level aggregates by the values of all levels so far,
//! keeps the top N within its parent's value, and the levels are joined
//! back together (a level's rows only survive under surviving parents).

use datafusion::common::{Column, NullEquality};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{Expr, JoinType, LogicalPlanBuilder, lit};

use crate::diag::{Diagnostic, codes};
use crate::plan::naming::inferred_name;
use crate::plan::ops::col;
use crate::plan::ops::project::passthrough;
use crate::plan::scope::column_names;
use crate::plan::{PResult, Pipe, Planner, df_err};
use crate::syntax::ast::{Ident, NamedExpr, TopNestedLevel};
use crate::syntax::span::Span;

impl Planner<'_> {
    pub(super) fn top_nested(&mut self, pipe: Pipe, levels: &[TopNestedLevel], span: Span) -> PResult<Pipe> {
        let mut of_names = Vec::new();
        let mut agg_names = Vec::new();
        for l in levels {
            if let Some(o) = &l.others {
                return Err(Diagnostic::new(codes::UNSUPPORTED_FEATURE, "`with others` is not supported yet")
                    .at(o.span)
                    .help("leave it out: the other values are then dropped"));
            }
            let Some(of) = l.of.name.as_ref().map(|n| n.name.clone()).or_else(|| inferred_name(&l.of.expr)) else {
                return Err(Diagnostic::new(codes::BAD_VALUE, "name this `top-nested` level: `of Name = expression`")
                    .at(l.of.span));
            };
            let agg = l.aggregate.name.as_ref().map_or_else(|| format!("aggregated_{of}"), |n| n.name.clone());
            // The same name on two levels (`by Lines = count()` twice) gets
            // a number, as Kusto names repeated columns: Lines, Lines1.
            let taken =
                |n: &str, of_names: &[String], agg_names: &[String]| of_names.iter().chain(agg_names).any(|t| t == n);
            let unique = |n: String, of_names: &[String], agg_names: &[String]| {
                if !taken(&n, of_names, agg_names) {
                    return n;
                }
                (1..).map(|i| format!("{n}{i}")).find(|c| !taken(c, of_names, agg_names)).unwrap_or(n)
            };
            let of = unique(of, &of_names, &agg_names);
            of_names.push(of);
            let agg = unique(agg, &of_names, &agg_names);
            agg_names.push(agg);
        }
        let mut result: Option<LogicalPlan> = None;
        for (k, l) in levels.iter().enumerate() {
            let by: Vec<NamedExpr> = levels[..=k]
                .iter()
                .zip(&of_names)
                .map(|(lv, n)| NamedExpr { name: Some(Ident { name: n.clone(), span: lv.of.span }), ..lv.of.clone() })
                .collect();
            let agg = NamedExpr { name: Some(Ident { name: agg_names[k].clone(), span }), ..l.aggregate.clone() };
            let level = self.summarize(pipe.clone(), &[agg], &by, span)?;
            let level = match &l.count {
                Some(c) => {
                    let n = self.row_count(c)?;
                    let order = col(&agg_names[k]).sort(l.ascending, !l.ascending);
                    self.first_per_partition(
                        level,
                        n,
                        of_names[..k].iter().map(|p| col(p)).collect(),
                        vec![order],
                        span,
                    )?
                }
                None => level,
            };
            result = Some(match result {
                None => level.plan,
                Some(parents) => join_level(parents, level.plan, &of_names[..k], span)?,
            });
        }
        let Some(plan) = result else {
            return Err(Diagnostic::new(codes::BAD_VALUE, "`top-nested` needs at least one level").at(span));
        };
        let mut order = Vec::new();
        for (o, a) in of_names.iter().zip(&agg_names) {
            order.push(col(o));
            order.push(col(a));
        }
        let plan =
            LogicalPlanBuilder::from(plan).project(order).and_then(|b| b.build()).map_err(|e| df_err(e, span))?;
        Ok(Pipe { plan, name: pipe.name, order: None, render: pipe.render })
    }

    /// The first `n` rows of each `partition`, in `order` (all columns kept).
    pub(super) fn first_per_partition(
        &mut self,
        pipe: Pipe,
        n: usize,
        partition: Vec<Expr>,
        order: Vec<datafusion::logical_expr::SortExpr>,
        span: Span,
    ) -> PResult<Pipe> {
        let names = column_names(pipe.schema());
        let rn = match row_number() {
            Expr::WindowFunction(mut w) => {
                w.params.partition_by = partition;
                w.params.order_by = order;
                Expr::WindowFunction(w)
            }
            other => other,
        };
        let rank = self.fresh("rank");
        let schema = pipe.schema().clone();
        let plan = LogicalPlanBuilder::from(pipe.plan)
            .window(vec![rn.alias(rank.clone())])
            .and_then(|b| b.filter(col(&rank).lt_eq(lit(n as u64))))
            .and_then(|b| b.project(names.iter().map(|c| passthrough(&schema, c)).collect::<Vec<_>>()))
            .and_then(|b| b.build())
            .map_err(|e| df_err(e, span))?;
        Ok(Pipe { plan, ..pipe })
    }
}

use datafusion::logical_expr::LogicalPlan;

/// Joins a level's rows to the rows of the levels above it on their keys.
fn join_level(parents: LogicalPlan, level: LogicalPlan, keys: &[String], span: Span) -> PResult<LogicalPlan> {
    let parent_names = column_names(parents.schema());
    let level_names = column_names(level.schema());
    let left =
        LogicalPlanBuilder::from(parents).alias("__kql_p").and_then(|b| b.build()).map_err(|e| df_err(e, span))?;
    let right =
        LogicalPlanBuilder::from(level).alias("__kql_c").and_then(|b| b.build()).map_err(|e| df_err(e, span))?;
    let lk: Vec<Column> = keys.iter().map(|k| Column::new(Some("__kql_p"), k)).collect();
    let rk: Vec<Column> = keys.iter().map(|k| Column::new(Some("__kql_c"), k)).collect();
    let mut out: Vec<Expr> =
        parent_names.iter().map(|n| Expr::Column(Column::new(Some("__kql_p"), n)).alias(n)).collect();
    out.extend(
        level_names
            .iter()
            .filter(|n| !keys.contains(n))
            .map(|n| Expr::Column(Column::new(Some("__kql_c"), n)).alias(n)),
    );
    LogicalPlanBuilder::from(left)
        .join_detailed(right, JoinType::Inner, (lk, rk), None, NullEquality::NullEqualsNull)
        .and_then(|b| b.project(out))
        .and_then(|b| b.build())
        .map_err(|e| df_err(e, span))
}
