//! Benchmarks: KQL parse+plan time, and end-to-end queries over a
//! generated 1M-row ContainerLog, side by side with the same query in
//! DataFusion SQL on the same Parquet file.
//!
//! `cargo bench --bench kql` (the data is generated once into target/bench-data).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use kqlog::engine::{Engine, QueryOptions};

/// A 20-operator pipeline of the kind workbooks contain.
const PIPELINE: &str = r#"
let window = 1h;
ContainerLog
| where TimeGenerated > ago(window) and LogEntrySource == "stderr"
| where LogEntry has "error" or LogEntry contains "exception"
| extend Node = tolower(Computer), Len = strlen(LogEntry)
| extend Hour = bin(TimeGenerated, 5m)
| project TimeGenerated, Node, Image, LogEntry, Len, Hour, ContainerID
| where Len between (10 .. 10000)
| extend Kind = case(LogEntry has "timeout", "timeout", LogEntry has "refused", "network", "other")
| summarize Count = count(), Longest = max(Len), Containers = dcount(ContainerID) by Node, Kind, Hour
| where Count > 1
| extend Rate = Count * 1.0 / 300
| join kind=leftouter (ContainerLog | summarize Total = count() by Node = tolower(Computer)) on Node
| extend Share = round(100.0 * Count / Total, 2)
| project-away Node1
| project-rename Errors = Count
| sort by Errors desc, Node asc
| top 20 by Errors
| serialize Rank = row_number()
| project-reorder Rank, Node, Kind
| take 10
"#;

const QUERIES: &[(&str, &str, &str)] = &[
    (
        "has_summarize",
        r#"ContainerLog | where LogEntry has "error" | summarize count() by Computer"#,
        r#"SELECT "Computer", count(*) FROM "ContainerLog" WHERE "LogEntry" ILIKE '%error%' GROUP BY "Computer""#,
    ),
    (
        "contains_count",
        r#"ContainerLog | where LogEntry contains "timeout" | count"#,
        r#"SELECT count(*) FROM "ContainerLog" WHERE "LogEntry" ILIKE '%timeout%'"#,
    ),
    (
        "bin_summarize",
        r#"ContainerLog | summarize count() by bin(TimeGenerated, 1h), LogEntrySource"#,
        r#"SELECT date_bin(INTERVAL '1 hour', "TimeGenerated"), "LogEntrySource", count(*) FROM "ContainerLog" GROUP BY 1, 2"#,
    ),
    (
        "top_by_time",
        r#"ContainerLog | where Computer == "aks-node-3" | top 10 by TimeGenerated desc"#,
        r#"SELECT * FROM "ContainerLog" WHERE "Computer" = 'aks-node-3' ORDER BY "TimeGenerated" DESC LIMIT 10"#,
    ),
    (
        "dcount_by",
        r#"ContainerLog | summarize dcount(ContainerID) by Computer"#,
        r#"SELECT "Computer", count(DISTINCT "ContainerID") FROM "ContainerLog" GROUP BY "Computer""#,
    ),
];

fn plan(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let ws = support::workspace(1_000_000);
    let engine = rt.block_on(Engine::open(&ws)).unwrap();
    let opts = QueryOptions::default();
    c.bench_function("parse_20_operators", |b| b.iter(|| kqlog::syntax::parse(black_box(PIPELINE)).unwrap()));
    c.bench_function("parse_and_plan_20_operators", |b| {
        b.iter(|| rt.block_on(engine.plan(black_box(PIPELINE), &opts)).unwrap())
    });
}

fn end_to_end(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let ws = support::workspace(1_000_000);
    let engine = rt.block_on(Engine::open(&ws)).unwrap();
    let opts = QueryOptions::default();
    let mut group = c.benchmark_group("containerlog_1m");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    for (name, kql, sql) in QUERIES {
        group.bench_function(format!("{name}/kql"), |b| b.iter(|| rt.block_on(engine.query(kql, &opts)).unwrap()));
        group.bench_function(format!("{name}/datafusion_sql"), |b| {
            b.iter(|| rt.block_on(async { engine.context().sql(sql).await.unwrap().collect().await.unwrap() }))
        });
    }
    group.finish();
}

criterion_group!(benches, plan, end_to_end);
criterion_main!(benches);
