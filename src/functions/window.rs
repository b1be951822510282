//! Functions over serialized rows: `row_number`, `prev`, `next`,
//! `row_cumsum`. They follow the order set by the last `sort`/`top` of the
//! pipeline (or the input order when there is none).

use std::sync::Arc;

use datafusion::common::ScalarValue;
use datafusion::functions_window::expr_fn as w;
use datafusion::logical_expr::expr::WindowFunction;
use datafusion::logical_expr::{Expr, WindowFrame, WindowFrameBound, WindowFrameUnits, WindowFunctionDefinition, lit};

use crate::functions::{Call, Registry};
use crate::plan::typing::{self, binary};
use crate::plan::{PResult, Planner, Typed};
use crate::types::KType;

pub fn register(r: &mut Registry) {
    r.window(&["row_number"], 0, 2, row_number);
    r.window(&["prev"], 1, 3, |p, c| shift(p, c, false));
    r.window(&["next"], 1, 3, |p, c| shift(p, c, true));
    r.window(&["row_cumsum"], 1, 2, row_cumsum);
}

/// Puts a window function over the pipeline's current order.
fn over(e: Expr, p: &Planner, frame: Option<WindowFrame>) -> Expr {
    match e {
        Expr::WindowFunction(mut wf) => {
            wf.params.order_by = p.window_order.clone();
            if let Some(f) = frame {
                wf.params.window_frame = f;
            }
            Expr::WindowFunction(wf)
        }
        other => other,
    }
}

fn row_number(p: &mut Planner, c: &Call) -> PResult<Typed> {
    if c.args.len() > 1 {
        let start = c.const_i64(p, 0)?;
        let flag = restart_flag(p, c, 1)?;
        let e = Expr::WindowFunction(Box::new(WindowFunction::new(
            WindowFunctionDefinition::WindowUDF(Arc::clone(&ROW_NUMBER_RESTART)),
            vec![lit(start), flag],
        )));
        return Ok(Typed::new(over(e, p, None), KType::Long));
    }
    let start = if c.args.is_empty() { 1 } else { c.const_i64(p, 0)? };
    let rn = typing::cast(over(w::row_number(), p, None), KType::Long);
    let e = if start == 1 { rn } else { binary(rn, datafusion::logical_expr::Operator::Plus, lit(start - 1)) };
    Ok(Typed::new(e, KType::Long))
}

fn shift(p: &mut Planner, c: &Call, forward: bool) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    let offset = if c.args.len() > 1 { c.const_i64(p, 1)? } else { 1 };
    let default = if c.args.len() > 2 {
        let (d, _) = c.const_arg(p, 2)?;
        let target = v.ty.arrow();
        Some(
            d.cast_to(&target)
                .map_err(|e| c.error(format!("the default of `{}()` has the wrong type: {e}", c.name.name)))?,
        )
    } else {
        None
    };
    let e = if forward { w::lead(v.expr, Some(offset), default) } else { w::lag(v.expr, Some(offset), default) };
    Ok(Typed::new(over(e, p, None), v.ty))
}

fn row_cumsum(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    let ty = if v.ty == KType::Real { KType::Real } else { KType::Long };
    let x = typing::convert_to(v, ty).expr;
    if c.args.len() > 1 {
        let flag = restart_flag(p, c, 1)?;
        let f = if ty == KType::Real { &CUMSUM_RESTART_REAL } else { &CUMSUM_RESTART_LONG };
        let e = Expr::WindowFunction(Box::new(WindowFunction::new(
            WindowFunctionDefinition::WindowUDF(Arc::clone(f)),
            vec![x, flag],
        )));
        return Ok(Typed::new(over(e, p, None), ty));
    }
    let sum = datafusion::functions_aggregate::sum::sum_udaf();
    let wf = WindowFunction::new(WindowFunctionDefinition::AggregateUDF(Arc::clone(&sum)), vec![x]);
    let frame = WindowFrame::new_bounds(
        WindowFrameUnits::Rows,
        WindowFrameBound::Preceding(ScalarValue::UInt64(None)),
        WindowFrameBound::CurrentRow,
    );
    let e = over(Expr::WindowFunction(Box::new(wf)), p, Some(frame));
    Ok(Typed::new(e, ty))
}

/// The restart argument: a bool, where null counts as false.
fn restart_flag(p: &mut Planner, c: &Call, n: usize) -> PResult<Expr> {
    let t = c.arg(p, n)?;
    if t.ty != KType::Bool {
        return Err(c.type_error(n, t.ty, "a `bool` restart condition"));
    }
    Ok(t.expr)
}

/// `row_number(start, restart)` and `row_cumsum(x, restart)`: a running
/// value over the ordered rows that starts again where `restart` is true.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Restarting {
    kind: RestartKind,
    signature: datafusion::logical_expr::Signature,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum RestartKind {
    RowNumber,
    SumLong,
    SumReal,
}

impl datafusion::logical_expr::WindowUDFImpl for Restarting {
    fn name(&self) -> &str {
        match self.kind {
            RestartKind::RowNumber => "kql_row_number_restart",
            RestartKind::SumLong => "kql_row_cumsum_restart_long",
            RestartKind::SumReal => "kql_row_cumsum_restart_real",
        }
    }
    fn signature(&self) -> &datafusion::logical_expr::Signature {
        &self.signature
    }
    fn partition_evaluator(
        &self,
        _: datafusion::logical_expr::function::PartitionEvaluatorArgs,
    ) -> datafusion::common::Result<Box<dyn datafusion::logical_expr::PartitionEvaluator>> {
        Ok(Box::new(RestartEval { kind: self.kind }))
    }
    fn field(
        &self,
        args: datafusion::logical_expr::function::WindowUDFFieldArgs,
    ) -> datafusion::common::Result<arrow::datatypes::FieldRef> {
        let t = if self.kind == RestartKind::SumReal { KType::Real } else { KType::Long };
        Ok(Arc::new(arrow::datatypes::Field::new(args.name(), t.arrow(), true)))
    }
}

#[derive(Debug)]
struct RestartEval {
    kind: RestartKind,
}

impl datafusion::logical_expr::PartitionEvaluator for RestartEval {
    fn evaluate_all(
        &mut self,
        values: &[arrow::array::ArrayRef],
        num_rows: usize,
    ) -> datafusion::common::Result<arrow::array::ArrayRef> {
        use arrow::array::{Array, AsArray};
        use arrow::datatypes::{Float64Type, Int64Type};
        let flags = values[1].as_boolean();
        let restart = |i: usize| i == 0 || (flags.is_valid(i) && flags.value(i));
        match self.kind {
            RestartKind::RowNumber => {
                let start = values[0].as_primitive::<Int64Type>();
                let mut out = Vec::with_capacity(num_rows);
                let mut n = 0i64;
                for i in 0..num_rows {
                    n = if restart(i) { start.value(i) } else { n + 1 };
                    out.push(n);
                }
                Ok(Arc::new(arrow::array::Int64Array::from(out)))
            }
            RestartKind::SumLong => {
                let x = values[0].as_primitive::<Int64Type>();
                let mut out = Vec::with_capacity(num_rows);
                let mut acc = 0i64;
                for i in 0..num_rows {
                    let v = if x.is_valid(i) { x.value(i) } else { 0 };
                    acc = if restart(i) { v } else { acc.wrapping_add(v) };
                    out.push(acc);
                }
                Ok(Arc::new(arrow::array::Int64Array::from(out)))
            }
            RestartKind::SumReal => {
                let x = values[0].as_primitive::<Float64Type>();
                let mut out = Vec::with_capacity(num_rows);
                let mut acc = 0.0;
                for i in 0..num_rows {
                    let v = if x.is_valid(i) { x.value(i) } else { 0.0 };
                    acc = if restart(i) { v } else { acc + v };
                    out.push(acc);
                }
                Ok(Arc::new(arrow::array::Float64Array::from(out)))
            }
        }
    }
}

fn restarting(kind: RestartKind) -> Arc<datafusion::logical_expr::WindowUDF> {
    let signature = datafusion::logical_expr::Signature::any(2, datafusion::logical_expr::Volatility::Immutable);
    Arc::new(datafusion::logical_expr::WindowUDF::new_from_impl(Restarting { kind, signature }))
}

static ROW_NUMBER_RESTART: std::sync::LazyLock<Arc<datafusion::logical_expr::WindowUDF>> =
    std::sync::LazyLock::new(|| restarting(RestartKind::RowNumber));
static CUMSUM_RESTART_LONG: std::sync::LazyLock<Arc<datafusion::logical_expr::WindowUDF>> =
    std::sync::LazyLock::new(|| restarting(RestartKind::SumLong));
static CUMSUM_RESTART_REAL: std::sync::LazyLock<Arc<datafusion::logical_expr::WindowUDF>> =
    std::sync::LazyLock::new(|| restarting(RestartKind::SumReal));
