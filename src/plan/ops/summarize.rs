//! `summarize`, `count`, `distinct`.
//!
//! Aggregate expressions are lowered whole (`round(100.0 * countif(x) /
//! count(), 1)`), their aggregate calls are collected into one DataFusion
//! `Aggregate`, and the surrounding arithmetic runs in a projection on top.

use std::collections::HashSet;

use datafusion::logical_expr::utils::find_aggregate_exprs;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder};

use crate::diag::{Diagnostic, codes};
use crate::functions::{aggregates, udaf};
use crate::plan::expr::Cx;
use crate::plan::naming::{generated, inferred_name, unique};
use crate::plan::ops::{col, rebase};
use crate::plan::scope::column_names;
use crate::plan::{PResult, Pipe, Planner, Typed, df_err};
use crate::syntax::ast::{self, ExprKind, NamedExpr};
use crate::syntax::span::Span;
use crate::types::{KType, format};

/// One output column of `summarize`, before naming clashes are resolved.
struct AggColumn {
    /// Declared name, or the name Kusto infers.
    name: Option<String>,
    expr: Expr,
    span: Span,
}

impl Planner<'_> {
    pub(super) fn summarize(
        &mut self,
        pipe: Pipe,
        aggregates: &[NamedExpr],
        by: &[NamedExpr],
        span: Span,
    ) -> PResult<Pipe> {
        let schema = pipe.schema().clone();
        let cx = Cx::new(&schema);
        // Group keys, named first: aggregate names must avoid them.
        let mut taken: HashSet<String> = HashSet::new();
        let mut groups: Vec<(String, Expr)> = Vec::new();
        for b in by {
            let t = self.lower_expr(&b.expr, &cx)?;
            let name = match &b.name {
                Some(n) => n.name.clone(),
                None => inferred_name(&b.expr).unwrap_or_else(|| generated(&taken)),
            };
            if taken.contains(&name) {
                return Err(
                    Diagnostic::new(codes::DUPLICATE_COLUMN, format!("two `by` columns are named `{name}`")).at(b.span)
                );
            }
            taken.insert(name.clone());
            groups.push((name, t.expr));
        }
        let by_names: Vec<String> = groups.iter().map(|(n, _)| n.clone()).collect();

        let acx = cx.with_aggregates();
        let mut columns: Vec<AggColumn> = Vec::new();
        for a in aggregates {
            columns.extend(self.aggregate_columns(a, &acx, &schema, &by_names)?);
        }

        let full: Vec<&Expr> = columns.iter().map(|c| &c.expr).collect();
        let aggs = find_aggregate_exprs(full.iter().copied());
        for c in &columns {
            if find_aggregate_exprs(std::iter::once(&c.expr)).is_empty() {
                return Err(Diagnostic::new(
                    codes::AGGREGATE_CONTEXT,
                    "each `summarize` column needs an aggregation function such as `count()` or `sum()`",
                )
                .at(c.span)
                .help("to group by this value, put it after `by`"));
            }
        }
        let agg_names: Vec<String> = (0..aggs.len()).map(|i| format!("__kql_agg{i}")).collect();
        let aliased: Vec<Expr> = aggs.iter().zip(&agg_names).map(|(a, n)| a.clone().alias(n.clone())).collect();
        let group_names: Vec<String> = (0..groups.len()).map(|i| format!("__kql_by{i}")).collect();
        let group_exprs: Vec<Expr> =
            groups.iter().zip(&group_names).map(|((_, e), n)| e.clone().alias(n.clone())).collect();
        let grouped_inputs: Vec<Expr> = groups.iter().map(|(_, e)| e.clone()).collect();

        let builder =
            LogicalPlanBuilder::from(pipe.plan).aggregate(group_exprs, aliased).map_err(|e| df_err(e, span))?;

        // Output: the `by` columns, then the aggregates, with unique names.
        let mut out: Vec<Expr> = Vec::new();
        let mut used: HashSet<String> = HashSet::new();
        for ((name, _), internal) in groups.iter().zip(&group_names) {
            used.insert(name.clone());
            out.push(col(internal).alias(name.clone()));
        }
        for c in columns {
            // Aggregate expressions may mention a `by` key: read it from the group output.
            let e = rebase(c.expr, &aggs, &agg_names);
            let e = rebase(e, &grouped_inputs, &group_names);
            let name = match c.name {
                Some(n) => unique(&n, &used),
                None => generated(&used),
            };
            used.insert(name.clone());
            out.push(e.alias(name));
        }
        let plan = builder.project(out).and_then(|b| b.build()).map_err(|e| df_err(e, span))?;
        Ok(Pipe { plan, name: None, order: None, render: pipe.render })
    }

    /// The output columns of one `summarize` item: usually one, several for
    /// `arg_max(x, *)`, `percentiles(x, 50, 95)` or `take_any(a, b)`.
    fn aggregate_columns(
        &mut self,
        a: &NamedExpr,
        cx: &Cx,
        schema: &datafusion::common::DFSchema,
        by_names: &[String],
    ) -> PResult<Vec<AggColumn>> {
        if let ExprKind::Call { name, args } = &a.expr.kind
            && self.lookup(&name.name).is_none()
        {
            match name.name.as_str() {
                "arg_max" | "arg_min" => return self.arg_extreme_columns(a, name, args, cx, schema, by_names),
                "percentiles" | "percentile" | "percentilesw" | "percentilew" => {
                    let weighted = name.name.ends_with('w');
                    let first_level = if weighted { 2 } else { 1 };
                    if args.len() > first_level + 1 || a.name.is_none() {
                        return self.percentile_columns(a, name, args, first_level, cx);
                    }
                }
                "take_any" | "any"
                    if args.len() > 1 || matches!(args.first().map(|x| &x.kind), Some(ExprKind::Star)) =>
                {
                    return self.take_any_columns(args, cx, schema, by_names);
                }
                _ => {}
            }
        }
        let t = self.lower_expr(&a.expr, cx)?;
        let name = a.name.as_ref().map(|n| n.name.clone()).or_else(|| inferred_name(&a.expr));
        Ok(vec![AggColumn { name, expr: t.expr, span: a.span }])
    }

    fn arg_extreme_columns(
        &mut self,
        a: &NamedExpr,
        fname: &ast::Ident,
        args: &[ast::Expr],
        cx: &Cx,
        schema: &datafusion::common::DFSchema,
        by_names: &[String],
    ) -> PResult<Vec<AggColumn>> {
        let max = fname.name == "arg_max";
        let Some(key_ast) = args.first() else {
            return Err(Diagnostic::new(codes::BAD_ARGUMENTS, format!("`{}()` needs a value to maximize", fname.name))
                .at(a.span));
        };
        let key = self.lower_expr(key_ast, &cx.value())?;
        if key.ty == KType::Dynamic {
            return Err(Diagnostic::new(codes::TYPE_MISMATCH, "cannot order by a `dynamic` value").at(key_ast.span));
        }
        let prefix = if max { "max" } else { "min" };
        let primary = inferred_name(key_ast);
        let key_name =
            a.name.as_ref().map(|n| n.name.clone()).or_else(|| primary.clone()).unwrap_or(format!("{prefix}_"));
        let key_expr = if max {
            datafusion::functions_aggregate::expr_fn::max(key.expr.clone())
        } else {
            datafusion::functions_aggregate::expr_fn::min(key.expr.clone())
        };
        let mut out = vec![AggColumn { name: Some(key_name), expr: key_expr, span: a.span }];
        let f = if max { &udaf::ARG_MAX } else { &udaf::ARG_MIN };
        let has_star = args.iter().skip(1).any(|x| matches!(x.kind, ExprKind::Star));
        let key_column = match &key_ast.kind {
            ExprKind::Name(n) => Some(n.name.clone()),
            _ => None,
        };
        let mut added: HashSet<String> = HashSet::new();
        for (i, arg) in args.iter().enumerate().skip(1) {
            match &arg.kind {
                ExprKind::Star => {
                    for name in column_names(schema) {
                        if Some(&name) == key_column.as_ref()
                            || added.contains(&name)
                            || (has_star && by_names.contains(&name))
                        {
                            continue;
                        }
                        let v = crate::plan::scope::column(schema, &name, arg.span)?;
                        added.insert(name.clone());
                        out.push(AggColumn {
                            name: Some(name),
                            expr: aggregates::udaf_call(f, vec![key.expr.clone(), v.expr], None),
                            span: arg.span,
                        });
                    }
                }
                _ => {
                    let v: Typed = self.lower_expr(arg, &cx.value())?;
                    let name = inferred_name(arg)
                        .unwrap_or_else(|| format!("{prefix}_{}_arg{i}", primary.clone().unwrap_or_default()));
                    added.insert(name.clone());
                    out.push(AggColumn {
                        name: Some(name),
                        expr: aggregates::udaf_call(f, vec![key.expr.clone(), v.expr], None),
                        span: arg.span,
                    });
                }
            }
        }
        Ok(out)
    }

    fn percentile_columns(
        &mut self,
        a: &NamedExpr,
        fname: &ast::Ident,
        args: &[ast::Expr],
        first_level: usize,
        cx: &Cx,
    ) -> PResult<Vec<AggColumn>> {
        if args.len() <= first_level {
            return Err(Diagnostic::new(
                codes::BAD_ARGUMENTS,
                format!("`{}()` needs at least one percentile", fname.name),
            )
            .at(fname.span));
        }
        let value_name = inferred_name(&args[0]).unwrap_or_default();
        let mut out = Vec::new();
        let single = args.len() == first_level + 1;
        for level in &args[first_level..] {
            let mut call_args: Vec<ast::Expr> = args[..first_level].to_vec();
            call_args.push(level.clone());
            let single_name = if fname.name.ends_with('w') { "percentilew" } else { "percentile" };
            let call = ast::Expr::new(
                ExprKind::Call { name: ast::Ident { name: single_name.into(), span: fname.span }, args: call_args },
                a.expr.span,
            );
            let t = self.lower_expr(&call, cx)?;
            let levelv = self.const_expr(level)?;
            let text = match crate::plan::fold::fold(&levelv.expr) {
                Some(datafusion::common::ScalarValue::Float64(Some(v))) => format::real(v),
                Some(v) => v.to_string(),
                None => String::new(),
            };
            let fragment: String = text.chars().map(|c| if c.is_alphanumeric() { c } else { '_' }).collect();
            let name = match (&a.name, single) {
                (Some(n), true) => n.name.clone(),
                _ => format!("percentile_{value_name}_{fragment}"),
            };
            out.push(AggColumn { name: Some(name), expr: t.expr, span: level.span });
        }
        Ok(out)
    }

    fn take_any_columns(
        &mut self,
        args: &[ast::Expr],
        cx: &Cx,
        schema: &datafusion::common::DFSchema,
        by_names: &[String],
    ) -> PResult<Vec<AggColumn>> {
        let mut out = Vec::new();
        for (i, arg) in args.iter().enumerate() {
            let items: Vec<(String, Typed)> = match &arg.kind {
                ExprKind::Star => column_names(schema)
                    .into_iter()
                    .filter(|n| !by_names.contains(n))
                    .filter_map(|n| crate::plan::scope::find_column(schema, &n).map(|t| (n, t)))
                    .collect(),
                _ => {
                    let t = self.lower_expr(arg, &cx.value())?;
                    vec![(inferred_name(arg).unwrap_or_else(|| format!("any_arg{i}")), t)]
                }
            };
            for (name, t) in items {
                let e = datafusion::functions_aggregate::expr_fn::first_value(t.expr, vec![]);
                out.push(AggColumn { name: Some(name), expr: e, span: arg.span });
            }
        }
        Ok(out)
    }

    pub(super) fn count(&mut self, pipe: Pipe, span: Span) -> PResult<Pipe> {
        let c = datafusion::functions_aggregate::expr_fn::count(datafusion::logical_expr::lit(1i64)).alias("Count");
        let plan = LogicalPlanBuilder::from(pipe.plan)
            .aggregate(Vec::<Expr>::new(), vec![c])
            .and_then(|b| b.build())
            .map_err(|e| df_err(e, span))?;
        Ok(Pipe { plan, name: None, order: None, render: pipe.render })
    }

    pub(super) fn distinct(&mut self, pipe: Pipe, columns: &[NamedExpr], span: Span) -> PResult<Pipe> {
        let schema = pipe.schema().clone();
        let groups: Vec<Expr> = if columns.is_empty() {
            column_names(&schema).iter().map(|n| super::project::passthrough(&schema, n)).collect()
        } else {
            let cx = Cx::new(&schema);
            let mut taken = HashSet::new();
            self.named_columns(columns, &cx, &mut taken)?.into_iter().map(|(n, e)| e.alias(n)).collect()
        };
        let plan = LogicalPlanBuilder::from(pipe.plan)
            .aggregate(groups, Vec::<Expr>::new())
            .and_then(|b| b.build())
            .map_err(|e| df_err(e, span))?;
        Ok(Pipe { plan, name: None, order: None, render: pipe.render })
    }
}
