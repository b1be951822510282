//! `sample`, `sample-distinct` and `top-hitters`.
//!
//! Kusto answers `top-hitters` from a Count-Min sketch; kqlog counts
//! exactly, which is an answer the sketch approximates.

use datafusion::logical_expr::LogicalPlanBuilder;

use crate::plan::naming::inferred_name;
use crate::plan::ops::col;
use crate::plan::ops::project::passthrough;
use crate::plan::scope::column_names;

const SAMPLE_KEY: &str = "__kql_sample";
use crate::plan::{PResult, Pipe, Planner, df_err};
use crate::syntax::ast::{Expr, ExprKind, Ident, NamedExpr, SortKey, SortOrder};
use crate::syntax::span::Span;

impl Planner<'_> {
    /// `sample N`: N rows chosen at random (a different choice each run).
    pub(super) fn sample(&mut self, pipe: Pipe, count: &Expr, span: Span) -> PResult<Pipe> {
        let n = self.row_count(count)?;
        // The random key is a column of its own: sorting on a bare
        // `random()` lets the optimizer prune every column below the sort,
        // and a batch without columns then fails in `| count`.
        let names = column_names(pipe.schema());
        let schema = pipe.schema().clone();
        let mut keyed: Vec<datafusion::logical_expr::Expr> = names.iter().map(|c| passthrough(&schema, c)).collect();
        keyed.push(datafusion::functions::math::expr_fn::random().alias(SAMPLE_KEY));
        let plan = LogicalPlanBuilder::from(pipe.plan)
            .project(keyed)
            .and_then(|b| b.sort_with_limit(vec![col(SAMPLE_KEY).sort(true, false)], Some(n)))
            .and_then(|b| b.limit(0, Some(n)))
            .and_then(|b| b.project(names.iter().map(|c| col(c))))
            .and_then(|b| b.build())
            .map_err(|e| df_err(e, span))?;
        Ok(Pipe { plan, name: pipe.name, order: None, render: pipe.render })
    }

    /// `sample-distinct N of c`: up to N distinct values of `c`, at random.
    pub(super) fn sample_distinct(&mut self, pipe: Pipe, count: &Expr, of: &NamedExpr, span: Span) -> PResult<Pipe> {
        let distinct = self.distinct(pipe, std::slice::from_ref(of), span)?;
        self.sample(distinct, count, span)
    }

    /// `top-hitters N of v [by w]`: as `summarize approximate_count_v =
    /// count() by v | top N by approximate_count_v` (`sum(w)` with `by`).
    pub(super) fn top_hitters(
        &mut self,
        pipe: Pipe,
        count: &Expr,
        of: &NamedExpr,
        by: Option<&Expr>,
        span: Span,
    ) -> PResult<Pipe> {
        let value = of
            .name
            .as_ref()
            .map(|n| n.name.clone())
            .or_else(|| inferred_name(&of.expr))
            .unwrap_or_else(|| "Column1".into());
        let (function, args, prefix) = match by {
            Some(w) => ("sum", vec![w.clone()], "approximate_sum_"),
            None => ("count", Vec::new(), "approximate_count_"),
        };
        let name = format!("{prefix}{value}");
        let ident = |n: &str| Ident { name: n.to_string(), span };
        let call = Expr { kind: ExprKind::Call { name: ident(function), args }, span };
        let aggregate = NamedExpr { name: Some(ident(&name)), expr: call, span };
        let group = NamedExpr { name: Some(ident(&value)), ..of.clone() };
        let summarized = self.summarize(pipe, &[aggregate], &[group], span)?;
        let key = |n: &str, order| SortKey {
            expr: Expr { kind: ExprKind::Name(ident(n)), span },
            order: Some(order),
            nulls: None,
            span,
        };
        // Ties at the cut are broken by value, so that a run gives what the last did.
        self.top(summarized, count, &[key(&name, SortOrder::Desc), key(&value, SortOrder::Asc)], span)
    }
}
