//! Data-driven logic tests: `testdata/logic/**/*.test`.
//!
//! A file holds records separated by blank lines:
//!
//! ```text
//! # a comment
//! table T
//! datatable(a:long)[1, 2]
//!
//! query [rowsort]
//! T | where a > 1
//! ----
//! a
//! 2
//!
//! query error
//! T | where b > 1
//! ----
//! error[KQL201]: unknown column `b`
//! …the whole rendered diagnostic…
//! ```
//!
//! `table NAME` registers the result of the KQL query below it as a table
//! for the rest of the file. Files under `workspace/` run against the
//! sample workspace: the bundled collections under `testdata/logs`
//! ingested as the README's first command does (`--computer demo-node`). Results are compared as CSV in kqlog's value
//! formats; `rowsort` compares rows sorted. `now()` is 2026-11-03T12:00:00Z.
//! Run with `KQLOG_COMPLETE=1` to rewrite expected outputs from actual ones
//! (then review the diff). An optional argument filters files by name.
//! Every query is also printed and re-parsed: the canonical text must
//! read back to the same text (the round-trip check).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::catalog::MemTable;
use kqlog::engine::{Engine, QueryOptions};
use kqlog::output::{self, Format};

const NOW: &str = "2026-11-03T12:00:00Z";

#[derive(Debug)]
enum Kind {
    Table(String),
    Query { rowsort: bool },
    Error,
}

#[derive(Debug)]
struct Record {
    kind: Kind,
    line: usize,
    query: String,
    expected: Option<String>,
    /// Byte range of the expected text in the file, for `--complete`.
    expected_at: Option<(usize, usize)>,
}

fn parse_file(text: &str) -> Result<Vec<Record>, String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut offsets = Vec::with_capacity(lines.len() + 1);
    let mut acc = 0;
    for l in &lines {
        offsets.push(acc);
        acc += l.len();
    }
    offsets.push(acc);
    let mut records = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let head = lines[i].trim_end();
        if head.is_empty() || head.starts_with('#') {
            i += 1;
            continue;
        }
        let line = i + 1;
        let kind = if let Some(name) = head.strip_prefix("table ") {
            Kind::Table(name.trim().to_string())
        } else if head == "query error" {
            Kind::Error
        } else if head == "query" || head == "query rowsort" {
            Kind::Query { rowsort: head.ends_with("rowsort") }
        } else {
            return Err(format!(
                "line {line}: expected `query`, `query rowsort`, `query error` or `table NAME`, found `{head}`"
            ));
        };
        i += 1;
        let mut query = String::new();
        while i < lines.len() {
            let l = lines[i].trim_end_matches(['\n', '\r']);
            if l == "----" || (matches!(kind, Kind::Table(_)) && l.trim().is_empty()) {
                break;
            }
            query.push_str(l);
            query.push('\n');
            i += 1;
        }
        let mut expected = None;
        let mut expected_at = None;
        if i < lines.len() && lines[i].trim_end() == "----" {
            i += 1;
            let start = offsets[i];
            let mut body = String::new();
            while i < lines.len() && !lines[i].trim().is_empty() {
                body.push_str(lines[i].trim_end_matches(['\n', '\r']));
                body.push('\n');
                i += 1;
            }
            expected_at = Some((start, offsets[i]));
            expected = Some(body);
        }
        records.push(Record { kind, line, query: query.trim_end().to_string(), expected, expected_at });
    }
    Ok(records)
}

fn csv_of(result: &kqlog::QueryResult, rowsort: bool) -> String {
    let mut buf = Vec::new();
    let _ = output::write(result, Format::Csv, None, &mut buf);
    let text = String::from_utf8_lossy(&buf).to_string();
    if !rowsort {
        return text;
    }
    let mut lines: Vec<&str> = text.lines().collect();
    if lines.len() > 1 {
        lines[1..].sort();
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// Re-parses the canonical text of a query: it must print the same again.
fn round_trip(query: &str) -> Result<(), String> {
    let Ok(ast) = kqlog::syntax::parse(query) else { return Ok(()) };
    let printed = ast.to_string();
    let again = kqlog::syntax::parse(&printed).map_err(|e| {
        format!(
            "the canonical text does not parse:\n{printed}\n{}",
            kqlog::diag::render(&e.to_diagnostic(&printed), &printed, "printed")
        )
    })?;
    let printed_again = again.to_string();
    if printed != printed_again {
        return Err(format!("canonical text is not stable:\n{printed}\nvs\n{printed_again}"));
    }
    Ok(())
}

/// The sample workspace, ingested once per run into a temporary folder.
fn sample_workspace() -> &'static Path {
    static WS: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    WS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let logs = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/logs");
        let inputs: Vec<PathBuf> = ["docker", "k8s", "capture", "events"].iter().map(|d| logs.join(d)).collect();
        let opts = kqlog::ingest::Options { computer: "demo-node".into(), ..Default::default() };
        kqlog::ingest::run(&inputs, dir.path(), opts, &mut |_| {}).expect("ingest the sample logs");
        dir
    })
    .path()
}

async fn run_file(path: &Path, complete: bool) -> Result<usize, Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| vec![format!("{}: {e}", path.display())])?;
    let records = parse_file(&text).map_err(|e| vec![format!("{}: {e}", path.display())])?;
    let on_workspace = path.parent().is_some_and(|p| p.ends_with("workspace"));
    let engine = if on_workspace {
        Engine::open(sample_workspace()).await.map_err(|e| vec![format!("open the sample workspace: {e:?}")])?
    } else {
        Engine::new()
    };
    let opts = QueryOptions { now: kqlog::types::time::parse_datetime(NOW), ..Default::default() };
    let mut failures = Vec::new();
    let mut replacements: Vec<((usize, usize), String)> = Vec::new();
    let mut count = 0;
    for r in &records {
        let at = format!("{}:{}", path.display(), r.line);
        if let Err(e) = round_trip(&r.query) {
            failures.push(format!("{at}: round trip failed: {e}"));
        }
        let result = engine.query(&r.query, &opts).await;
        let actual = match (&r.kind, result) {
            (Kind::Table(name), Ok(res)) => {
                let table = MemTable::try_new(res.schema.clone(), vec![res.batches.clone()])
                    .map_err(|e| vec![e.to_string()])?;
                engine
                    .context()
                    .register_table(datafusion::common::TableReference::bare(name.as_str()), Arc::new(table))
                    .map_err(|e| vec![e.to_string()])?;
                continue;
            }
            (Kind::Table(_), Err(e)) => {
                failures.push(format!("{at}: table definition failed:\n{}", e.render(&r.query, "query")));
                continue;
            }
            (Kind::Query { rowsort }, Ok(res)) => csv_of(&res, *rowsort),
            (Kind::Query { .. }, Err(e)) => format!("unexpected error:\n{}\n", e.render(&r.query, "query")),
            (Kind::Error, Ok(res)) => format!("expected an error, got:\n{}", csv_of(&res, false)),
            (Kind::Error, Err(e)) => format!("{}\n", e.render(&r.query, "query")),
        };
        count += 1;
        let expected = r.expected.clone().unwrap_or_default();
        if actual != expected {
            if complete && let Some(range) = r.expected_at {
                replacements.push((range, actual));
                continue;
            }
            let mut msg =
                format!("{at}: mismatch\n--- query\n{}\n--- expected\n{expected}--- actual\n{actual}", r.query);
            let _ = writeln!(msg);
            failures.push(msg);
        }
    }
    if complete && !replacements.is_empty() {
        let mut out = text.clone();
        replacements.sort_by_key(|r| std::cmp::Reverse(r.0.0));
        for ((s, e), body) in replacements {
            out.replace_range(s..e, &body);
        }
        std::fs::write(path, out).map_err(|e| vec![e.to_string()])?;
    }
    if failures.is_empty() { Ok(count) } else { Err(failures) }
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "test") {
            out.push(p);
        }
    }
}

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let complete = std::env::var("KQLOG_COMPLETE").is_ok_and(|v| v == "1");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/logic");
    let mut paths = Vec::new();
    files(&root, &mut paths);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let mut total = 0;
    let mut failed = Vec::new();
    for p in paths {
        if let Some(f) = &filter
            && !p.to_string_lossy().contains(f.as_str())
        {
            continue;
        }
        match rt.block_on(run_file(&p, complete)) {
            Ok(n) => total += n,
            Err(f) => failed.extend(f),
        }
    }
    for f in &failed {
        eprintln!("{f}");
    }
    if failed.is_empty() {
        println!("logic tests: {total} records passed");
    } else {
        eprintln!("logic tests: {} failure(s)", failed.len());
        std::process::exit(1);
    }
}
