//! `sort`/`order`, `top`, `take`/`limit`. Kusto sorts descending by
//! default; nulls are the smallest values (first ascending, last
//! descending) unless `nulls first|last` says otherwise.

use datafusion::common::ScalarValue;
use datafusion::logical_expr::{LogicalPlanBuilder, SortExpr};

use crate::diag::{Diagnostic, codes};
use crate::plan::expr::Cx;
use crate::plan::{PResult, Pipe, Planner, df_err};
use crate::syntax::ast::{self, NullsOrder, SortKey, SortOrder};
use crate::syntax::span::Span;
use crate::types::KType;

impl Planner<'_> {
    pub(super) fn sort_exprs(&mut self, pipe: &Pipe, keys: &[SortKey]) -> PResult<Vec<SortExpr>> {
        let schema = pipe.schema().clone();
        let cx = Cx::new(&schema);
        let mut out = Vec::new();
        for k in keys {
            let t = self.lower_expr(&k.expr, &cx)?;
            if t.ty == KType::Dynamic {
                return Err(Diagnostic::new(codes::TYPE_MISMATCH, "cannot sort by a `dynamic` value")
                    .at(k.expr.span)
                    .help("convert it first, e.g. `sort by tostring(x)` or `sort by tolong(x)`"));
            }
            let asc = k.order == Some(SortOrder::Asc);
            let nulls_first = match k.nulls {
                Some(NullsOrder::First) => true,
                Some(NullsOrder::Last) => false,
                None => asc,
            };
            out.push(t.expr.sort(asc, nulls_first));
        }
        Ok(out)
    }

    pub(super) fn sort(&mut self, pipe: Pipe, keys: &[SortKey], span: Span) -> PResult<Pipe> {
        let sorts = self.sort_exprs(&pipe, keys)?;
        let plan = LogicalPlanBuilder::from(pipe.plan)
            .sort(sorts.clone())
            .and_then(|b| b.build())
            .map_err(|e| df_err(e, span))?;
        Ok(Pipe { plan, name: pipe.name, order: Some(sorts), render: pipe.render })
    }

    /// A constant row count (`take 10`, `top 5 by …`).
    pub(super) fn row_count(&mut self, count: &ast::Expr) -> PResult<usize> {
        let t = self.const_expr(count)?;
        let v = self.fold(&t.expr);
        let n = match v {
            Some(ScalarValue::Int64(Some(n))) => n,
            Some(ScalarValue::Int32(Some(n))) => n.into(),
            _ => {
                return Err(
                    Diagnostic::new(codes::BAD_VALUE, "the row count must be a constant whole number").at(count.span)
                );
            }
        };
        usize::try_from(n).map_err(|_| {
            Diagnostic::new(codes::BAD_VALUE, format!("the row count must not be negative, got {n}")).at(count.span)
        })
    }

    pub(super) fn take(&mut self, pipe: Pipe, count: &ast::Expr, span: Span) -> PResult<Pipe> {
        let n = self.row_count(count)?;
        let plan = LogicalPlanBuilder::from(pipe.plan)
            .limit(0, Some(n))
            .and_then(|b| b.build())
            .map_err(|e| df_err(e, span))?;
        Ok(Pipe { plan, ..pipe })
    }

    pub(super) fn top(&mut self, pipe: Pipe, count: &ast::Expr, keys: &[SortKey], span: Span) -> PResult<Pipe> {
        let n = self.row_count(count)?;
        let sorts = self.sort_exprs(&pipe, keys)?;
        let plan = LogicalPlanBuilder::from(pipe.plan)
            .sort_with_limit(sorts.clone(), Some(n))
            .and_then(|b| b.limit(0, Some(n)))
            .and_then(|b| b.build())
            .map_err(|e| df_err(e, span))?;
        Ok(Pipe { plan, name: pipe.name, order: Some(sorts), render: pipe.render })
    }
}
