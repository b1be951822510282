//! The `kqlog` binary end to end: output formats, inputs, workspaces and
//! exit codes (0 ok, 2 query error, 3 input/IO error, 64 bad usage).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

fn kqlog(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kqlog")).args(args).env_remove("KQLOG_WORKSPACE").output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Writes the result of a KQL query as a Parquet file.
fn write_parquet(path: &Path, query: &str) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let r = rt.block_on(kqlog::Engine::new().query(query, &Default::default())).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, Arc::clone(&r.schema), None).unwrap();
    for b in &r.batches {
        w.write(b).unwrap();
    }
    w.close().unwrap();
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("ContainerLog")).unwrap();
    write_parquet(
        &dir.path().join("ContainerLog/part-0.parquet"),
        r#"datatable(TimeGenerated:datetime, Computer:string, LogEntry:string)[
            datetime(2026-11-03 10:00), "node-a", "Error: timeout",
            datetime(2026-11-03 11:00), "node-b", "ok",
            datetime(2026-11-03 11:30), "node-a", "ok again"]"#,
    );
    write_parquet(&dir.path().join("Heartbeat.parquet"), "print Computer = 'node-a', Beats = 3");
    std::fs::create_dir(dir.path().join("_kqlog")).unwrap();
    write_parquet(&dir.path().join("_kqlog/Hidden.parquet"), "print x = 1");
    dir
}

#[test]
fn the_issue_example_prints_csv() {
    let o =
        kqlog(&["query", "--format", "csv", r#"datatable(a:long, b:string)[1,"x",2,"y"] | where a > 1 | project b"#]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "b\ny\n");
}

#[test]
fn piped_output_defaults_to_csv() {
    let o = kqlog(&["query", "print a = 1, b = 'x'"]);
    assert_eq!(stdout(&o), "a,b\n1,x\n");
}

#[test]
fn formats() {
    let q = "print n = 1, s = 'a,b', t = datetime(2026-11-03), d = dynamic({\"k\":[1]}), e = real(nan), z = long(null)";
    let csv = stdout(&kqlog(&["query", "--format", "csv", q]));
    assert_eq!(csv, "n,s,t,d,e,z\n1,\"a,b\",2026-11-03T00:00:00.0000000Z,\"{\"\"k\"\":[1]}\",NaN,\n");
    let json = stdout(&kqlog(&["query", "--format", "json", q]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["n"], 1);
    assert_eq!(v[0]["d"]["k"][0], 1);
    assert_eq!(v[0]["e"], "NaN");
    assert_eq!(v[0]["z"], serde_json::Value::Null);
    let nd = stdout(&kqlog(&["query", "--format", "ndjson", "range x from 1 to 2 step 1"]));
    assert_eq!(nd, "{\"x\":1}\n{\"x\":2}\n");
    let md = stdout(&kqlog(&["query", "--format", "markdown", "print a = 'x|y'"]));
    assert_eq!(md, "| a |\n|---|\n| x\\|y |\n");
    let table = stdout(&kqlog(&["query", "--format", "table", "print a = 'hello'"]));
    assert!(table.contains("hello") && table.contains('a'), "{table}");
}

#[test]
fn query_from_file_stdin_and_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("q.kql");
    std::fs::write(&f, "// a comment\nprint x = 40 + 2\n").unwrap();
    let o = kqlog(&["query", "-f", f.to_str().unwrap()]);
    assert_eq!(stdout(&o), "x\n42\n");

    let mut child = Command::new(env!("CARGO_BIN_EXE_kqlog"))
        .args(["query", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"print y = 'from stdin'").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout(&out), "y\nfrom stdin\n");

    let target = dir.path().join("out.json");
    let o = kqlog(&["query", "--format", "json", "-o", target.to_str().unwrap(), "print z = 1"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(std::fs::read_to_string(&target).unwrap().contains("\"z\":1"));
}

#[test]
fn query_errors_exit_2_with_a_caret() {
    let o = kqlog(&["query", "print x = 1 | where"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("error[KQL101]") && err.contains("query:1:20") && err.contains('^'), "{err}");
}

#[test]
fn workspace_tables_are_queried() {
    let ws = workspace();
    let w = ws.path().to_str().unwrap();
    let o = kqlog(&["query", "-w", w, "ContainerLog | where LogEntry has 'timeout' | project Computer"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "Computer\nnode-a\n");
    let o = kqlog(&[
        "query",
        "-w",
        w,
        "Heartbeat | join kind=inner (ContainerLog | summarize n = count() by Computer) on Computer | project Computer, Beats, n",
    ]);
    assert_eq!(stdout(&o), "Computer,Beats,n\nnode-a,3,2\n");
    // `_kqlog/` is not a table.
    let o = kqlog(&["query", "-w", w, "Hidden"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown table `Hidden`"));
    // The environment variable names a workspace too.
    let o = Command::new(env!("CARGO_BIN_EXE_kqlog"))
        .args(["query", "Heartbeat | project Beats"])
        .env("KQLOG_WORKSPACE", w)
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "Beats\n3\n");
}

#[test]
fn missing_or_conflicting_workspaces_exit_3() {
    let o = kqlog(&["query", "-w", "/nonexistent/kqlog-ws", "print 1"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("does not exist"));
    let ws = workspace();
    write_parquet(&ws.path().join("ContainerLog.parquet"), "print x = 1");
    let o = kqlog(&["query", "-w", ws.path().to_str().unwrap(), "print 1"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("twice"), "{}", stderr(&o));
}

#[test]
fn bad_usage_exits_64() {
    assert_eq!(kqlog(&["query"]).status.code(), Some(64));
    assert_eq!(kqlog(&["query", "--format", "xml", "print 1"]).status.code(), Some(64));
    assert_eq!(kqlog(&["frobnicate"]).status.code(), Some(64));
    assert_eq!(kqlog(&["query", "--now", "yesterday", "print 1"]).status.code(), Some(64));
    assert_eq!(kqlog(&["--help"]).status.code(), Some(0));
}

#[test]
fn now_is_pinned() {
    let o = kqlog(&["query", "--now", "2026-11-03T12:00:00Z", "print ago(1h)"]);
    assert_eq!(stdout(&o), "print_0\n2026-11-03T11:00:00.0000000Z\n");
}

#[test]
fn explain_shows_the_ast_and_plans() {
    let o = kqlog(&["explain", "range x from 1 to 10 step 1 | where x > 5 | count"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("== KQL ==") && text.contains("== Logical plan ==") && text.contains("== Optimized plan =="));
    assert!(text.contains("Filter") && text.contains("Aggregate"), "{text}");
    assert_eq!(kqlog(&["explain", "range x from"]).status.code(), Some(2));
}
