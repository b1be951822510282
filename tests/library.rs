//! kqlog as a library on a DataFusion user's own `SessionContext`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::prelude::SessionContext;
use kqlog::KqlContext;

#[tokio::test(flavor = "multi_thread")]
async fn kql_on_a_session_context() {
    let ctx = SessionContext::new();
    let schema = Arc::new(Schema::new(vec![
        Field::new("Computer", DataType::Utf8, false),
        Field::new("Bytes", DataType::Int64, false),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![Arc::new(StringArray::from(vec!["a", "b", "a"])), Arc::new(Int64Array::from(vec![10, 20, 30]))],
    )
    .unwrap();
    ctx.register_batch("Traffic", batch).unwrap();
    let df = ctx.kql("Traffic | summarize total = sum(Bytes) by Computer | sort by total desc").await.unwrap();
    let rows = df.collect().await.unwrap();
    let text = arrow::util::pretty::pretty_format_batches(&rows).unwrap().to_string();
    assert!(text.contains("| a        | 40    |"), "{text}");
    assert!(text.find("| a").unwrap() < text.find("| b").unwrap(), "sorted descending:\n{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_are_diagnostics() {
    let ctx = SessionContext::new();
    let err = ctx.kql("print x = | take 1").await.unwrap_err();
    let d = err.diagnostic().unwrap();
    assert_eq!(d.code, "KQL101");
    assert!(d.span.is_some());
}
