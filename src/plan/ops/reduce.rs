//! `reduce`: log lines grouped into patterns (`functions::patterns`).
//! The default form aggregates every line into one list of patterns and
//! expands it to rows; `kind=source` keeps the rows and adds each line's
//! pattern through a window function over the whole input.

use datafusion::common::ScalarValue;
use datafusion::logical_expr::expr::{WindowFunction, WindowFunctionParams};
use datafusion::logical_expr::{Expr, LogicalPlanBuilder, WindowFunctionDefinition, lit};

use crate::diag::{Diagnostic, codes};
use crate::functions::patterns::{DEFAULT_THRESHOLD, REDUCE, REDUCE_SOURCE};
use crate::plan::expr::Cx;
use crate::plan::ops::col;
use crate::plan::ops::project::passthrough;
use crate::plan::scope::column_names;
use crate::plan::{PResult, Pipe, Planner, df_err, typing};
use crate::syntax::ast::{self, Ident};
use crate::syntax::span::Span;

impl Planner<'_> {
    pub(super) fn reduce(
        &mut self,
        pipe: Pipe,
        keep_rows: bool,
        by: &ast::Expr,
        options: &[(Ident, ast::Expr)],
        span: Span,
    ) -> PResult<Pipe> {
        let mut threshold = DEFAULT_THRESHOLD;
        let mut characters: Option<String> = None;
        for (name, value) in options {
            let t = self.const_expr(value)?;
            match (name.name.as_str(), self.fold(&t.expr)) {
                ("threshold", Some(ScalarValue::Float64(Some(x)))) if (0.0..=1.0).contains(&x) => threshold = x,
                ("threshold", Some(ScalarValue::Int64(Some(x)))) if (0..=1).contains(&x) => threshold = x as f64,
                ("characters", Some(ScalarValue::Utf8(Some(c)))) => characters = Some(c),
                ("threshold", _) => {
                    return Err(Diagnostic::new(codes::BAD_VALUE, "`threshold` must be a number between 0 and 1")
                        .at(value.span));
                }
                ("characters", _) => {
                    return Err(
                        Diagnostic::new(codes::BAD_VALUE, "`characters` must be a constant string").at(value.span)
                    );
                }
                (other, _) => {
                    return Err(Diagnostic::new(codes::BAD_VALUE, format!("unknown reduce option `{other}`"))
                        .at(name.span)
                        .help("options are threshold and characters"));
                }
            }
        }
        let schema = pipe.schema().clone();
        let text = typing::to_string(self.lower_expr(by, &Cx::new(&schema))?);
        let args = vec![text, lit(threshold), lit(ScalarValue::Utf8(characters))];
        if keep_rows {
            let w = Expr::from(WindowFunction {
                fun: WindowFunctionDefinition::WindowUDF(REDUCE_SOURCE.clone()),
                params: WindowFunctionParams {
                    args,
                    partition_by: vec![],
                    order_by: vec![],
                    window_frame: datafusion::logical_expr::WindowFrame::new(None),
                    filter: None,
                    null_treatment: None,
                    distinct: false,
                },
            });
            let temp = self.fresh("pattern");
            let names = column_names(&schema);
            let mut out: Vec<Expr> =
                names.iter().filter(|n| n.as_str() != "Pattern").map(|n| passthrough(&schema, n)).collect();
            out.push(col(&temp).alias("Pattern"));
            let plan = LogicalPlanBuilder::from(pipe.plan)
                .window(vec![w.alias(temp)])
                .and_then(|b| b.project(out))
                .and_then(|b| b.build())
                .map_err(|e| df_err(e, span))?;
            return Ok(Pipe { plan, name: pipe.name, order: None, render: pipe.render });
        }
        let list = self.fresh("patterns");
        let plan = LogicalPlanBuilder::from(pipe.plan)
            .aggregate(Vec::<Expr>::new(), vec![REDUCE.call(args).alias(list.clone())])
            .and_then(|b| b.build())
            .map_err(|e| df_err(e, span))?;
        let text = format!(
            "__kql_x | mv-expand __p = {list} | project Pattern = tostring(__p.Pattern), Count = tolong(__p.Count), \
             Representative = tostring(__p.Representative)"
        );
        let parsed = crate::syntax::parse(&text).map_err(|e| {
            Diagnostic::new(codes::INTERNAL, format!("reduce: {}", e.to_diagnostic(&text).message)).at(span)
        })?;
        let Some(body) = parsed.body else {
            return Err(Diagnostic::new(codes::INTERNAL, "reduce: no query").at(span));
        };
        let mut out = Pipe::new(plan);
        for op in &body.ops {
            out = self.operator(out, op)?;
        }
        Ok(Pipe { name: pipe.name, render: pipe.render, ..out })
    }
}
