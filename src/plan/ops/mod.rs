//! Tabular operators: one function per operator, each lowering onto
//! `LogicalPlanBuilder`. The match below names every operator, so a new
//! AST variant is a compile error until it is planned.

mod evaluate;
mod expand;
mod join;
mod misc;
mod project;
mod reduce;
mod sample;
mod search;
mod series;
mod sort;
mod summarize;
mod textparse;
mod top_nested;
mod union;

use std::collections::HashSet;

use datafusion::common::Column;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::logical_expr::utils::find_window_exprs;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder, SortExpr};

use crate::diag::{Diagnostic, codes};
use crate::plan::expr::Cx;
use crate::plan::typing::require_bool;
use crate::plan::{PResult, Pipe, Planner, df_err};
use crate::syntax::ast::{Operator, OperatorKind};
use crate::syntax::span::Span;

impl Planner<'_> {
    pub fn operator(&mut self, pipe: Pipe, op: &Operator) -> PResult<Pipe> {
        let span = op.span;
        match &op.kind {
            OperatorKind::Where { predicate } => self.where_op(pipe, predicate, span),
            OperatorKind::Project { columns } => self.project(pipe, columns, span),
            OperatorKind::ProjectAway { columns } => self.project_away(pipe, columns, span),
            OperatorKind::ProjectKeep { columns } => self.project_keep(pipe, columns, span),
            OperatorKind::ProjectRename { renames } => self.project_rename(pipe, renames, span),
            OperatorKind::ProjectReorder { columns } => self.project_reorder(pipe, columns, span),
            OperatorKind::Extend { columns } => self.extend(pipe, columns, span),
            OperatorKind::Summarize { hints: _, aggregates, by } => self.summarize(pipe, aggregates, by, span),
            OperatorKind::Count => self.count(pipe, span),
            OperatorKind::Take { count } => self.take(pipe, count, span),
            OperatorKind::Top { count, keys } => self.top(pipe, count, keys, span),
            OperatorKind::Sort { hints: _, keys } => self.sort(pipe, keys, span),
            OperatorKind::Distinct { columns } => self.distinct(pipe, columns, span),
            OperatorKind::Union { options, tables } => self.union_op(pipe, options, tables, span),
            OperatorKind::Join { kind, hints: _, right, on } => self.join(pipe, *kind, right, on, span),
            OperatorKind::Lookup { kind, right, on } => self.lookup_op(pipe, *kind, right, on, span),
            OperatorKind::As { name, hints: _ } => self.as_op(pipe, name),
            OperatorKind::GetSchema => self.getschema(pipe, span),
            OperatorKind::Serialize { columns } => self.serialize(pipe, columns, span),
            OperatorKind::Render { chart, properties } => self.render(pipe, chart, properties),
            OperatorKind::MvExpand(m) => self.mv_expand(pipe, m, span),
            OperatorKind::MakeSeries(m) => self.make_series(pipe, m, span),
            OperatorKind::Search { case_sensitive, predicate } => {
                self.search_op(pipe, *case_sensitive, predicate, span)
            }
            OperatorKind::TopNested { levels } => self.top_nested(pipe, levels, span),
            OperatorKind::Sample { count } => self.sample(pipe, count, span),
            OperatorKind::SampleDistinct { count, of } => self.sample_distinct(pipe, count, of, span),
            OperatorKind::TopHitters { count, of, by } => self.top_hitters(pipe, count, of, by.as_ref(), span),
            OperatorKind::Evaluate { plugin, args, schema } => {
                self.evaluate(pipe, plugin, args, schema.as_deref(), span)
            }
            OperatorKind::Invoke { name, args } => self.invoke(pipe, name, args, span),
            OperatorKind::Reduce { keep_rows, by, options } => self.reduce(pipe, *keep_rows, by, options, span),
            OperatorKind::MvApply { expand, body } => self.mv_apply(pipe, expand, body, span),
            OperatorKind::Parse(p) => self.parse_op(pipe, p, span),
            OperatorKind::ParseKv { source, columns, options } => self.parse_kv(pipe, source, columns, options, span),
            OperatorKind::Unsupported { name } => {
                Err(Diagnostic::new(codes::UNSUPPORTED_OPERATOR, format!("the operator `{name}` is not supported yet"))
                    .at(span)
                    .help("see grammar/SUPPORTED.md for the operators kqlog runs"))
            }
        }
    }

    pub(super) fn where_op(&mut self, pipe: Pipe, predicate: &crate::syntax::ast::Expr, span: Span) -> PResult<Pipe> {
        let schema = pipe.schema().clone();
        let t = self.lower_expr(predicate, &Cx::new(&schema).predicate())?;
        let e = require_bool(t, predicate.span, "the `where` condition")?;
        let plan =
            LogicalPlanBuilder::from(pipe.plan).filter(e).and_then(|b| b.build()).map_err(|e| df_err(e, span))?;
        Ok(Pipe { plan, ..pipe })
    }
}

/// A column reference by output name.
pub fn col(name: &str) -> Expr {
    Expr::Column(Column::from_name(name))
}

/// Replaces each occurrence of `targets[i]` in `e` by `col(names[i])`.
pub fn rebase(e: Expr, targets: &[Expr], names: &[String]) -> Expr {
    e.transform_down(|node| {
        if let Some(k) = targets.iter().position(|t| t == &node) {
            return Ok(Transformed::yes(col(&names[k])));
        }
        Ok(Transformed::no(node))
    })
    .map(|t| t.data)
    .unwrap_or_else(|e| Expr::Literal(datafusion::common::ScalarValue::Utf8(Some(e.to_string())), None))
}

/// Projects `exprs` (already aliased to their output names), first
/// computing any window functions they contain.
pub fn project_with_windows(pipe: Pipe, exprs: Vec<Expr>, span: Span) -> PResult<Pipe> {
    let mut builder = LogicalPlanBuilder::from(pipe.plan);
    let mut exprs = exprs;
    // A window inside another's arguments (`row_number(0, g != prev(g))`)
    // is computed first, in its own window step.
    let mut round = 0;
    loop {
        let windows = innermost_windows(&exprs);
        if windows.is_empty() {
            break;
        }
        let names: Vec<String> = (0..windows.len()).map(|i| format!("__kql_win{round}_{i}")).collect();
        let aliased: Vec<Expr> = windows.iter().zip(&names).map(|(w, n)| w.clone().alias(n.clone())).collect();
        builder = builder.window(aliased).map_err(|e| df_err(e, span))?;
        exprs = exprs.into_iter().map(|e| rebase(e, &windows, &names)).collect();
        if round > 0 || !innermost_windows(&exprs).is_empty() {
            // A projection between window steps: DataFusion's common
            // subexpression pass mishandles directly stacked window nodes.
            let cols: Vec<Expr> = builder.schema().columns().into_iter().map(Expr::Column).collect();
            builder = builder.project(cols).map_err(|e| df_err(e, span))?;
        }
        round += 1;
    }
    let out_names: HashSet<String> = exprs.iter().map(|e| e.schema_name().to_string()).collect();
    let plan = builder.project(exprs).and_then(|b| b.build()).map_err(|e| df_err(e, span))?;
    // Keep the row order for later window functions while its columns survive.
    let order = pipe.order.filter(|keys| sort_columns_exist(keys, &out_names));
    Ok(Pipe { plan, name: pipe.name, order, render: pipe.render })
}

/// Window expressions in `exprs` with no window inside them.
fn innermost_windows(exprs: &[Expr]) -> Vec<Expr> {
    let mut out: Vec<Expr> = Vec::new();
    for e in exprs {
        let _ = e.apply(|node| {
            if let Expr::WindowFunction(_) = node {
                let nested = find_window_exprs(node_children(node).iter()).into_iter().next().is_some();
                if !nested && !out.contains(node) {
                    out.push(node.clone());
                }
            }
            Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
        });
    }
    out
}

/// The expressions a window function reads: arguments, partition and order keys.
fn node_children(e: &Expr) -> Vec<Expr> {
    match e {
        Expr::WindowFunction(w) => {
            let p = &w.params;
            p.args.iter().chain(&p.partition_by).chain(p.order_by.iter().map(|s| &s.expr)).cloned().collect()
        }
        _ => Vec::new(),
    }
}

fn sort_columns_exist(keys: &[SortExpr], names: &HashSet<String>) -> bool {
    keys.iter().all(|k| k.expr.column_refs().iter().all(|c| names.contains(&c.name)))
}
