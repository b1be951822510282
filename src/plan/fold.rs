//! Constant folding: evaluates an expression that references no column
//! (`-1`, `1h * 2`, `ago(1d)`) to a value, for arguments that must be
//! constant (`bin` sizes, `percentile` levels, `take` counts).

use std::sync::Arc;

use arrow::array::{RecordBatch, RecordBatchOptions};
use arrow::datatypes::Schema;
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::execution::context::ExecutionProps;
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{ColumnarValue, Expr};
use datafusion::physical_expr::create_physical_expr;

pub fn fold(e: &Expr) -> Option<ScalarValue> {
    if let Expr::Literal(v, _) = e {
        return Some(v.clone());
    }
    let schema = DFSchema::empty();
    let props = ExecutionProps::new();
    let phys = create_physical_expr(e, &schema, &props, &PhysicalPlanningContext::default()).ok()?;
    let batch = RecordBatch::try_new_with_options(
        Arc::new(Schema::empty()),
        vec![],
        &RecordBatchOptions::new().with_row_count(Some(1)),
    )
    .ok()?;
    match phys.evaluate(&batch).ok()? {
        ColumnarValue::Scalar(v) => Some(v),
        ColumnarValue::Array(a) => ScalarValue::try_from_array(&a, 0).ok(),
    }
}
