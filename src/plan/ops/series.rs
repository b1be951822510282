//! `make-series`, in four steps over ordinary plans:
//! 1. keep rows inside `[from, to)` and summarize the aggregates by the
//!    `by` keys and the axis bin;
//! 2. find the first bin and the number of bins (from `from`/`to`, else
//!    from the data: kqlog gives every series the same axis);
//! 3. give each row its bin index;
//! 4. per `by` group, lay each aggregate out as an array with the default
//!    in empty bins (`functions::make_series`), and add the axis array.

use datafusion::logical_expr::{Expr, LogicalPlanBuilder};

use crate::diag::{Diagnostic, codes};
use crate::functions::make_series::{SERIES, SERIES_AXIS};
use crate::functions::udf;
use crate::plan::expr::Cx;
use crate::plan::naming::inferred_name;
use crate::plan::ops::col;
use crate::plan::scope::column_names;
use crate::plan::{PResult, Pipe, Planner, df_err};
use crate::syntax::ast::{self, BinaryOp, Literal, MakeSeries, NamedExpr};
use crate::syntax::span::Span;

impl Planner<'_> {
    pub(super) fn make_series(&mut self, pipe: Pipe, m: &MakeSeries, span: Span) -> PResult<Pipe> {
        if m.nonempty {
            return Err(Diagnostic::new(
                codes::UNSUPPORTED_FEATURE,
                "`make-series kind=nonempty` is not supported yet",
            )
            .at(span)
            .help("without it, an empty input gives no rows"));
        }
        let Some(axis_name) = inferred_name(&m.axis) else {
            return Err(Diagnostic::new(codes::BAD_VALUE, "the `make-series` axis must be a column")
                .at(m.axis.span)
                .help("compute it first with `extend`, then name it after `on`"));
        };
        let sp = m.axis.span;
        let name = |n: &str| ast::Expr::name(n, sp);
        let call = |f: &str, args: Vec<ast::Expr>| ast::Expr::call(f, args, sp);
        let named = |n: &str, e: ast::Expr| NamedExpr {
            name: Some(ast::Ident { name: n.to_string(), span: sp }),
            expr: e,
            span: sp,
        };

        // 1. Rows in range, aggregated per key and bin.
        let mut pipe = pipe;
        let mut conds = Vec::new();
        if let Some(f) = &m.from {
            conds.push(ast::Expr::binary(BinaryOp::GtEq, m.axis.clone(), f.clone(), sp));
        }
        if let Some(t) = &m.to {
            conds.push(ast::Expr::binary(BinaryOp::Lt, m.axis.clone(), t.clone(), sp));
        }
        if let Some(c) = conds.into_iter().reduce(|a, b| ast::Expr::binary(BinaryOp::And, a, b, sp)) {
            pipe = self.where_op(pipe, &c, span)?;
        }
        let bin_col = self.fresh("bin");
        let bin = match &m.from {
            Some(f) => call("bin_at", vec![m.axis.clone(), m.step.clone(), f.clone()]),
            None => call("bin", vec![m.axis.clone(), m.step.clone()]),
        };
        let mut by = m.by.clone();
        by.push(named(&bin_col, bin));
        let aggregates: Vec<NamedExpr> = m.aggregates.iter().map(|a| a.column.clone()).collect();
        let binned = self.summarize(pipe, &aggregates, &by, span)?;
        let names = column_names(binned.schema());
        let keys: Vec<String> = names[..m.by.len()].to_vec();
        let values: Vec<String> = names[m.by.len() + 1..].to_vec();
        if values.len() != m.aggregates.len() {
            return Err(Diagnostic::new(codes::BAD_VALUE, "each `make-series` aggregate must give one column").at(span));
        }

        // 2. The first bin and the number of bins, as a one-row plan.
        let (lo, hi, start, bins) = (self.fresh("lo"), self.fresh("hi"), self.fresh("start"), self.fresh("bins"));
        let bounds = self.summarize(
            binned.clone(),
            &[named(&lo, call("min", vec![name(&bin_col)])), named(&hi, call("max", vec![name(&bin_col)]))],
            &[],
            span,
        )?;
        let first = m.from.clone().unwrap_or_else(|| name(&lo));
        let ratio = |upper: ast::Expr, lower: ast::Expr| {
            ast::Expr::binary(
                BinaryOp::Div,
                call("todouble", vec![ast::Expr::binary(BinaryOp::Sub, upper, lower, sp)]),
                call("todouble", vec![m.step.clone()]),
                sp,
            )
        };
        let count = match &m.to {
            Some(t) => call("tolong", vec![call("ceiling", vec![ratio(t.clone(), name(&start))])]),
            None => ast::Expr::binary(
                BinaryOp::Add,
                call("tolong", vec![call("round", vec![ratio(name(&hi), name(&start))])]),
                ast::Expr::new(ast::ExprKind::Literal(Literal::Long(1)), sp),
                sp,
            ),
        };
        let bounds = self.extend(bounds, &[named(&start, first)], span)?;
        let bounds = self.extend(bounds, &[named(&bins, count)], span)?;

        // 3. Each row's bin index.
        let (pipe_name, render) = (binned.name.clone(), binned.render.clone());
        let joined = LogicalPlanBuilder::from(binned.plan)
            .cross_join(bounds.plan)
            .and_then(|b| b.build())
            .map_err(|e| df_err(e, span))?;
        let index = self.fresh("idx");
        let joined = self.extend(
            Pipe::new(joined),
            &[named(&index, call("tolong", vec![call("round", vec![ratio(name(&bin_col), name(&start))])]))],
            span,
        )?;

        // 4. One row per key: the arrays and the axis.
        let schema = joined.schema().clone();
        let mut series = Vec::new();
        for (a, v) in m.aggregates.iter().zip(&values) {
            let default = match &a.default {
                Some(d) => self.const_expr(d)?.expr,
                None => datafusion::logical_expr::lit(0i64),
            };
            let e = SERIES.call(vec![col(&index), col(v), col(&bins), default]);
            series.push(e.alias(v.clone()));
        }
        let mut group: Vec<Expr> = keys.iter().map(|k| col(k)).collect();
        group.push(col(&start));
        group.push(col(&bins));
        let step = self.lower_expr(&m.step, &Cx::new(&schema))?.expr;
        let mut out: Vec<Expr> = keys.iter().map(|k| col(k)).collect();
        out.extend(values.iter().map(|v| col(v)));
        out.push(udf::call(&SERIES_AXIS, vec![col(&start), step, col(&bins)]).alias(axis_name));
        let plan = LogicalPlanBuilder::from(joined.plan)
            .aggregate(group, series)
            .and_then(|b| b.project(out))
            .and_then(|b| b.build())
            .map_err(|e| df_err(e, span))?;
        Ok(Pipe { plan, name: pipe_name, order: None, render })
    }
}
