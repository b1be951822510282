//! `kqlog run` end to end: a report script over a workspace ingested from
//! the bundled Kubernetes and Docker collections, written in every format,
//! with charts whose SVG holds the expected series.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn data(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata").join(p)
}

fn kqlog(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kqlog")).args(args).env_remove("KQLOG_WORKSPACE").output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().to_str().unwrap();
    let (k8s, docker) = (data("logs/k8s"), data("logs/docker"));
    let o = kqlog(&["ingest", "-w", ws, "--computer", "node-1", k8s.to_str().unwrap(), docker.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    dir
}

/// Runs `script` into a fresh folder; returns the folder and the output.
fn run(ws: &Path, script: &Path, extra: &[&str]) -> (tempfile::TempDir, Output) {
    let out = tempfile::tempdir().unwrap();
    let mut args =
        vec!["run", script.to_str().unwrap(), "-w", ws.to_str().unwrap(), "--out", out.path().to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = kqlog(&args);
    (out, o)
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The text of every `<text>` element: axis labels, titles, legend entries.
fn svg_texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_string())
        .collect()
}

const CART: &str = "9b2f4c1e-7a3d-4e58-b6c0-2d8e1f5a7c93/cart";
const COREDNS: &str = "4e71d0a8-25c9-4f3b-9e16-b80c5a7d2f41/coredns";

#[test]
fn csv_files_charts_and_progress() {
    let ws = workspace();
    let (out, o) = run(ws.path(), &data("reports/daily.kql"), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dir = out.path();
    assert_eq!(
        read(dir, "lines-per-container.csv"),
        format!("Name,Lines,Errors\niis-web,23,0\norders-api,15,6\n{CART},4,1\n{COREDNS},2,0\n")
    );
    assert!(read(dir, "volume.csv").starts_with(&format!(
        "TimeGenerated,Name,Lines\n2026-11-03T09:00:00.0000000Z,{COREDNS},2\n2026-11-03T09:00:00.0000000Z,{CART},4\n"
    )));
    // A query without `render` gets no chart; the others do.
    let mut svgs: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".svg"))
        .collect();
    svgs.sort();
    assert_eq!(svgs, ["error-series.svg", "http-status.svg", "lines-per-container.svg", "volume.svg"]);
    let err = stderr(&o);
    assert!(err.contains("ok    volume") && err.contains("→ volume.csv + chart"), "{err}");
    assert!(err.contains("5 of 5 queries written"), "{err}");
}

#[test]
fn charts_hold_their_series() {
    let ws = workspace();
    let (out, _) = run(ws.path(), &data("reports/daily.kql"), &[]);
    let dir = out.path();
    // timechart: one line per container, a legend entry each, a time axis.
    let volume = read(dir, "volume.svg");
    let texts = svg_texts(&volume);
    for name in ["iis-web", "orders-api", CART, COREDNS, "Log volume", "lines per 5 min", "09:00"] {
        assert!(texts.iter().any(|t| t == name), "{name} missing from {texts:?}");
    }
    let lines: Vec<&str> = volume.split("<polyline").skip(1).filter(|l| l.contains("stroke-width=\"2\"")).collect();
    assert_eq!(lines.len(), 4, "one line per series");
    // Points per series: iis-web 4 (09:00 to 09:15), orders-api 2, cart and coredns 1.
    let mut points: Vec<usize> = lines
        .iter()
        .map(|l| l.split("points=\"").nth(1).unwrap().split('"').next().unwrap().split_whitespace().count())
        .collect();
    points.sort_unstable();
    assert_eq!(points, [1, 1, 2, 4]);
    // make-series: arrays in cells, one series per row.
    let series = svg_texts(&read(dir, "error-series.svg"));
    assert!(series.iter().any(|t| t == "orders-api") && series.iter().any(|t| t == "08:50"), "{series:?}");
    // columnchart, unstacked: a bar per container and y column.
    let columns = read(dir, "lines-per-container.svg");
    let texts = svg_texts(&columns);
    assert!(texts.iter().any(|t| t == "Lines") && texts.iter().any(|t| t == "Errors"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "iis-web"), "{texts:?}");
    // piechart: a slice label per status and its share.
    let pie = svg_texts(&read(dir, "http-status.svg"));
    for label in ["200", "404", "500", "71.4%", "14.3%"] {
        assert!(pie.iter().any(|t| t == label), "{label} missing from {pie:?}");
    }
}

#[test]
fn every_format() {
    let ws = workspace();
    let script = data("reports/daily.kql");
    for (format, ext) in [("json", "json"), ("ndjson", "ndjson"), ("markdown", "md"), ("parquet", "parquet")] {
        let (out, o) = run(ws.path(), &script, &["--format", format]);
        assert_eq!(o.status.code(), Some(0), "{format}: {}", stderr(&o));
        let file = out.path().join(format!("lines-per-container.{ext}"));
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        match format {
            "json" => {
                let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                assert_eq!(v[0]["Name"], "iis-web");
                assert_eq!(v[1]["Errors"], 6);
            }
            "ndjson" => {
                let lines: Vec<serde_json::Value> = bytes
                    .split(|b| *b == b'\n')
                    .filter(|l| !l.is_empty())
                    .map(|l| serde_json::from_slice(l).unwrap())
                    .collect();
                assert_eq!(lines.len(), 4);
                assert_eq!(lines[1]["Name"], "orders-api");
            }
            "markdown" => {
                let text = String::from_utf8(bytes).unwrap();
                assert!(text.contains("| iis-web") && text.lines().nth(1).unwrap().starts_with("|-"), "{text}");
            }
            _ => {
                let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
                    std::fs::File::open(&file).unwrap(),
                )
                .unwrap()
                .build()
                .unwrap();
                let rows: usize = reader.map(|b| b.unwrap().num_rows()).sum();
                assert_eq!(rows, 4);
            }
        }
        assert!(out.path().join("volume.svg").exists(), "charts come with every format");
    }
}

#[test]
fn html_report_is_self_contained() {
    let ws = workspace();
    let (out, o) = run(ws.path(), &data("reports/daily.kql"), &["--format", "html"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = read(out.path(), "report.html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(html.matches("<section").count(), 5);
    // The contents list links each query by position.
    assert!(html.contains("<a href=\"#q2\">volume</a>") && html.contains("<section id=\"q2\">"), "{html}");
    assert_eq!(html.matches("<svg").count(), 4, "the charts are inline");
    assert_eq!(html.matches("<table").count(), 5);
    assert!(html.contains("<td>orders-api</td><td class=\"n\">15</td><td class=\"n\">6</td>"), "{html}");
    // Nothing loads from elsewhere.
    assert!(!html.contains("<script") && !html.contains("<link") && !html.contains("@import"));
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
    assert!(!html.contains("<?xml"), "SVG prologs are stripped inside HTML");
}

#[test]
fn a_failed_query_keeps_the_others_and_sets_the_exit_code() {
    let ws = workspace();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("mixed.kql");
    std::fs::write(
        &script,
        "let Since = datetime(2026-11-03 09:00);\n\n// name: first\nContainerLog | where TimeGenerated >= Since | count\n\n\
         // name: broken\nContainerLog\n| where Computr == \"node-1\"\n\n// name: last\nKubePodInventory | project Namespace\n",
    )
    .unwrap();
    let (out, o) = run(ws.path(), &script, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(read(out.path(), "first.csv"), "Count\n44\n");
    assert!(read(out.path(), "last.csv").starts_with("Namespace\n"));
    assert!(!out.path().join("broken.csv").exists());
    let err = stderr(&o);
    // The error points into the script, at the script's own line.
    assert!(err.contains("FAIL  broken"), "{err}");
    assert!(err.contains("mixed.kql:8:9"), "{err}");
    assert!(err.contains("Computer"), "suggests the nearest column: {err}");
    assert!(err.contains("2 of 3 queries written") && err.contains("1 failed"), "{err}");
}

#[test]
fn parameters_and_usage_errors() {
    let ws = workspace();
    let script = data("reports/daily.kql");
    // --set overrides the declared default of `since`.
    let (out, o) = run(ws.path(), &script, &["--set", "since=1h"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(read(out.path(), "lines-per-container.csv"), "Name,Lines,Errors\n");
    let (_, o) = run(ws.path(), Path::new("/no/such/report.kql"), &[]);
    assert_eq!(o.status.code(), Some(3));
    let (_, o) = run(ws.path(), &script, &["--format", "xml"]);
    assert_eq!(o.status.code(), Some(64));
    let dir = tempfile::tempdir().unwrap();
    let only_lets = dir.path().join("lets.kql");
    std::fs::write(&only_lets, "let a = 1;\n").unwrap();
    let (_, o) = run(ws.path(), &only_lets, &[]);
    assert_eq!(o.status.code(), Some(64), "{}", stderr(&o));
}

#[test]
fn time_categories_in_order_and_one_file_per_query() {
    let ws = workspace();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("order.kql");
    std::fs::write(
        &script,
        "// name: hours\ndatatable(t:datetime, n:long, last:datetime)[\n  datetime(2026-11-03 11:00), 5, datetime(2026-11-03 11:30),\n  \
         datetime(2026-11-03 09:00), 7, datetime(2026-11-03 09:30),\n  datetime(2026-11-03 10:00), 1, datetime(2026-11-03 10:30)]\n\
         | render columnchart\n\n// name: hours\nprint x = 1\n",
    )
    .unwrap();
    let (out, o) = run(ws.path(), &script, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let texts = svg_texts(&read(out.path(), "hours.svg"));
    let hours: Vec<&str> = texts.iter().map(String::as_str).filter(|t| t.starts_with("2026-11-03 ")).collect();
    assert_eq!(hours, ["2026-11-03 09:00", "2026-11-03 10:00", "2026-11-03 11:00"], "{texts:?}");
    // The datetime column `last` is not a series splitter: one series, no legend of timestamps.
    assert!(!texts.iter().any(|t| t.contains("09:30")), "{texts:?}");
    // Two queries named alike get a file each.
    assert_eq!(read(out.path(), "hours-2.csv"), "x\n1\n");
    assert!(read(out.path(), "hours.csv").starts_with("t,n,last\n"));
}
