//! `mv-expand` and `mv-apply`. Each expanded value becomes a list of JSON
//! items (`functions::expand`), DataFusion's `unnest` turns the lists into
//! rows, and a last projection puts the items where Kusto puts them: in
//! place of a column of the same name, else after the input's columns.

use std::collections::HashSet;

use datafusion::common::{Column, ScalarValue};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder, lit};

use crate::diag::{Diagnostic, codes};
use crate::functions::convert;
use crate::functions::expand::{MV_INDEX, MV_ITEMS};
use crate::functions::udf;
use crate::plan::expr::Cx;
use crate::plan::naming::inferred_name;
use crate::plan::ops::col;
use crate::plan::ops::project::passthrough;
use crate::plan::scope::column_names;
use crate::plan::{PResult, Pipe, Planner, Typed, df_err, typing};
use crate::syntax::ast::{self, BagExpansion, ExprKind, Ident, MvExpand, NamedExpr, Operator, OperatorKind};
use crate::syntax::span::Span;
use crate::types::KType;

/// One expanded column: its output name, the internal column holding its
/// items, and the type it is cast to.
struct Expanded {
    name: String,
    temp: String,
    to: Option<KType>,
}

/// The rows of an expansion, before the final projection.
struct Expansion {
    pipe: Pipe,
    items: Vec<Expanded>,
    /// `with_itemindex`: output name and internal column.
    index: Option<(String, String)>,
}

const ROW: &str = "__kql_row";

impl Planner<'_> {
    pub(super) fn mv_expand(&mut self, pipe: Pipe, m: &MvExpand, span: Span) -> PResult<Pipe> {
        let originals = column_names(pipe.schema());
        let x = self.expand_rows(pipe, m, span)?;
        let schema = x.pipe.schema().clone();
        let mut exprs = Vec::new();
        let mut placed = HashSet::new();
        for n in &originals {
            match x.items.iter().find(|e| &e.name == n) {
                Some(e) => {
                    exprs.push(item_value(e).alias(n.clone()));
                    placed.insert(n.clone());
                }
                None => exprs.push(passthrough(&schema, n)),
            }
        }
        for e in x.items.iter().filter(|e| !placed.contains(&e.name)) {
            exprs.push(item_value(e).alias(e.name.clone()));
        }
        if let Some((name, temp)) = &x.index {
            exprs.push(col(temp).alias(name.clone()));
        }
        let plan = LogicalPlanBuilder::from(x.pipe.plan)
            .project(exprs)
            .and_then(|b| b.build())
            .map_err(|e| df_err(e, span))?;
        Ok(Pipe { plan, name: x.pipe.name, order: None, render: x.pipe.render })
    }

    /// Adds the item lists of `m` to the input and unnests them.
    fn expand_rows(&mut self, pipe: Pipe, m: &MvExpand, span: Span) -> PResult<Expansion> {
        let schema = pipe.schema().clone();
        let cx = Cx::new(&schema);
        let limit = match &m.limit {
            Some(l) => Some(i64::try_from(self.row_count(l)?).unwrap_or(i64::MAX)),
            None => None,
        };
        let as_array = m.bag_expansion == Some(BagExpansion::Array);
        let mut exprs: Vec<Expr> = column_names(&schema).iter().map(|n| passthrough(&schema, n)).collect();
        let mut items: Vec<Expanded> = Vec::new();
        for item in &m.items {
            let t = self.lower_expr(&item.expr, &cx)?;
            if !matches!(t.ty, KType::Dynamic | KType::Null) {
                return Err(Diagnostic::new(
                    codes::TYPE_MISMATCH,
                    format!("`mv-expand` expands `dynamic` arrays and bags, not a `{}`", t.ty),
                )
                .at(item.expr.span)
                .help("parse the text first, e.g. `mv-expand x = parse_json(text)`"));
            }
            let Some(name) = item.name.as_ref().map(|n| n.name.clone()).or_else(|| inferred_name(&item.expr)) else {
                return Err(Diagnostic::new(codes::BAD_VALUE, "the expanded expression needs a name")
                    .at(item.span)
                    .help("write `mv-expand name = expression`"));
            };
            if items.iter().any(|e| e.name == name) {
                return Err(Diagnostic::new(codes::DUPLICATE_COLUMN, format!("column `{name}` is expanded twice"))
                    .at(item.span));
            }
            let temp = self.fresh("mv");
            let value = typing::convert_to(t, KType::Dynamic).expr;
            let list = udf::call(&MV_ITEMS, vec![value, lit(as_array), lit(ScalarValue::Int64(limit))]);
            exprs.push(list.alias(temp.clone()));
            items.push(Expanded { name, temp, to: item.to.map(KType::from_type_name) });
        }
        let mut builder = LogicalPlanBuilder::from(pipe.plan).project(exprs).map_err(|e| df_err(e, span))?;
        let mut unnest: Vec<Column> = items.iter().map(|e| Column::from_name(e.temp.clone())).collect();
        let index = match &m.item_index {
            Some(i) => {
                let temp = self.fresh("mvi");
                let names = column_names(builder.schema());
                let mut exprs: Vec<Expr> = names.iter().map(|n| col(n)).collect();
                exprs.push(udf::call(&MV_INDEX, items.iter().map(|e| col(&e.temp)).collect()).alias(temp.clone()));
                builder = builder.project(exprs).map_err(|e| df_err(e, span))?;
                unnest.push(Column::from_name(temp.clone()));
                Some((i.name.clone(), temp))
            }
            None => None,
        };
        let plan = builder
            .unnest_columns_with_options(unnest, Default::default())
            .and_then(|b| b.build())
            .map_err(|e| df_err(e, span))?;
        Ok(Expansion { pipe: Pipe { plan, name: pipe.name, order: None, render: pipe.render }, items, index })
    }

    /// `mv-apply`: numbers the input rows, expands them, runs the
    /// sub-pipeline per row number (each operator made partition-aware),
    /// and joins the results back to their rows.
    pub(super) fn mv_apply(&mut self, pipe: Pipe, m: &MvExpand, body: &[Operator], span: Span) -> PResult<Pipe> {
        let originals = column_names(pipe.schema());
        if originals.iter().any(|n| n == ROW) {
            return Err(Diagnostic::new(codes::UNSUPPORTED_FEATURE, "nested `mv-apply` is not supported yet").at(span));
        }
        let numbered = {
            let schema = pipe.schema().clone();
            let rn = row_number().alias(ROW);
            let mut exprs: Vec<Expr> = originals.iter().map(|n| passthrough(&schema, n)).collect();
            exprs.push(typing::cast(col(ROW), KType::Long).alias(ROW));
            let plan = LogicalPlanBuilder::from(pipe.plan.clone())
                .window(vec![rn])
                .and_then(|b| b.project(exprs))
                .and_then(|b| b.build())
                .map_err(|e| df_err(e, span))?;
            Pipe { plan, ..pipe.clone() }
        };
        let x = self.expand_rows(numbered.clone(), m, span)?;
        // The sub-pipeline sees the row number and the expanded columns only.
        let mut exprs = vec![col(ROW)];
        for e in &x.items {
            exprs.push(item_value(e).alias(e.name.clone()));
        }
        if let Some((name, temp)) = &x.index {
            exprs.push(col(temp).alias(name.clone()));
        }
        let plan = LogicalPlanBuilder::from(x.pipe.plan)
            .project(exprs)
            .and_then(|b| b.build())
            .map_err(|e| df_err(e, span))?;
        let mut inner = Pipe::new(plan);
        for op in body {
            inner = self.partitioned_operator(inner, op)?;
            if !column_names(inner.schema()).iter().any(|n| n == ROW) {
                return Err(Diagnostic::new(
                    codes::UNSUPPORTED_FEATURE,
                    format!("`{}` inside `mv-apply` drops the row identity kqlog needs", op.kind.name()),
                )
                .at(op.span));
            }
        }
        self.join_back(numbered, inner, &originals, span)
    }

    /// Lowers one operator of an `mv-apply` body so that it acts within each
    /// input row's items, as Kusto runs the body once per row.
    fn partitioned_operator(&mut self, pipe: Pipe, op: &Operator) -> PResult<Pipe> {
        let row = || ast::Expr::new(ExprKind::Name(Ident { name: ROW.into(), span: Span::default() }), Span::default());
        let row_col = || NamedExpr { name: None, expr: row(), span: Span::default() };
        let span = op.span;
        match &op.kind {
            OperatorKind::Where { .. } | OperatorKind::Extend { .. } | OperatorKind::MvExpand(_) => {
                self.operator(pipe, op)
            }
            OperatorKind::Project { columns } => {
                let mut columns = columns.clone();
                columns.push(row_col());
                self.project(pipe, &columns, span)
            }
            OperatorKind::Summarize { hints: _, aggregates, by } => {
                let mut by = by.clone();
                by.insert(0, row_col());
                self.summarize(pipe, aggregates, &by, span)
            }
            OperatorKind::Count => {
                let count =
                    ast::Expr::new(ExprKind::Call { name: Ident { name: "count".into(), span }, args: vec![] }, span);
                let agg = NamedExpr { name: Some(Ident { name: "Count".into(), span }), expr: count, span };
                self.summarize(pipe, &[agg], &[row_col()], span)
            }
            OperatorKind::Distinct { columns } if !columns.is_empty() => {
                let mut columns = columns.clone();
                columns.push(row_col());
                self.distinct(pipe, &columns, span)
            }
            OperatorKind::Distinct { .. } => self.distinct(pipe, &[], span),
            OperatorKind::Take { count } => {
                let n = self.row_count(count)?;
                self.first_per_row(pipe, n, Vec::new(), span)
            }
            OperatorKind::Top { count, keys } => {
                let n = self.row_count(count)?;
                let sorts = self.sort_exprs(&pipe, keys)?;
                self.first_per_row(pipe, n, sorts, span)
            }
            OperatorKind::Sort { hints: _, keys } => {
                let mut sorts = vec![col(ROW).sort(true, true)];
                sorts.extend(self.sort_exprs(&pipe, keys)?);
                let plan = LogicalPlanBuilder::from(pipe.plan)
                    .sort(sorts.clone())
                    .and_then(|b| b.build())
                    .map_err(|e| df_err(e, span))?;
                Ok(Pipe { plan, name: pipe.name, order: Some(sorts), render: pipe.render })
            }
            other => Err(Diagnostic::new(
                codes::UNSUPPORTED_FEATURE,
                format!("`{}` inside `mv-apply` is not supported yet", other.name()),
            )
            .at(span)
            .help("mv-apply bodies may use where, extend, project, summarize, count, distinct, take, top, sort")),
        }
    }

    /// The first `n` rows of each input row's items, in `order`.
    fn first_per_row(
        &mut self,
        pipe: Pipe,
        n: usize,
        order: Vec<datafusion::logical_expr::SortExpr>,
        span: Span,
    ) -> PResult<Pipe> {
        let kept = self.first_per_partition(pipe, n, vec![col(ROW)], order.clone(), span)?;
        let order = if order.is_empty() { None } else { Some(order) };
        Ok(Pipe { order, ..kept })
    }

    /// Joins the body's rows to the input rows they came from. The body's
    /// columns replace input columns of the same name.
    fn join_back(&mut self, numbered: Pipe, inner: Pipe, originals: &[String], span: Span) -> PResult<Pipe> {
        let inner_names: Vec<String> = column_names(inner.schema()).into_iter().filter(|n| n != ROW).collect();
        let left = LogicalPlanBuilder::from(numbered.plan).alias("__kql_l").map_err(|e| df_err(e, span))?;
        let right = LogicalPlanBuilder::from(inner.plan)
            .alias("__kql_r")
            .and_then(|b| b.build())
            .map_err(|e| df_err(e, span))?;
        let joined = left
            .join(
                right,
                datafusion::logical_expr::JoinType::Inner,
                (vec![Column::new(Some("__kql_l"), ROW)], vec![Column::new(Some("__kql_r"), ROW)]),
                None,
            )
            .map_err(|e| df_err(e, span))?;
        let mut exprs = Vec::new();
        for n in originals {
            let side = if inner_names.contains(n) { "__kql_r" } else { "__kql_l" };
            exprs.push(Expr::Column(Column::new(Some(side), n)).alias(n.clone()));
        }
        for n in inner_names.iter().filter(|n| !originals.contains(n)) {
            exprs.push(Expr::Column(Column::new(Some("__kql_r"), n)).alias(n.clone()));
        }
        let sorted = joined
            .sort(vec![Expr::Column(Column::new(Some("__kql_l"), ROW)).sort(true, true)])
            .and_then(|b| b.project(exprs))
            .and_then(|b| b.build())
            .map_err(|e| df_err(e, span))?;
        Ok(Pipe { plan: sorted, name: numbered.name, order: None, render: numbered.render })
    }
}

/// An expanded item as its output type.
fn item_value(e: &Expanded) -> Expr {
    let t = Typed::new(col(&e.temp), KType::Dynamic);
    match e.to {
        Some(ty) => convert::convert(t, ty).expr,
        None => t.expr,
    }
}
