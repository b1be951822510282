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
        return Err(c.error("`row_number()` with a restart condition is not supported yet"));
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
    if c.args.len() > 1 {
        return Err(c.error("`row_cumsum()` with a restart condition is not supported yet"));
    }
    let v = c.arg(p, 0)?;
    let ty = if v.ty == KType::Real { KType::Real } else { KType::Long };
    let x = typing::convert_to(v, ty).expr;
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
