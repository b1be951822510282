//! `kqlog check` end to end, on a workspace ingested from
//! `testdata/logs/docker` and the assertion files in `testdata/check/`:
//! exit codes (0 pass, 1 fail, 2 query error, 3 I/O, 64 usage), the text,
//! JSON and JUnit reports, GitHub Actions annotations and `--ingest`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn data(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata").join(p)
}

fn spec(name: &str) -> String {
    data("check").join(name).to_str().unwrap().to_string()
}

/// The binary, shielded from the environment it may itself run in (a
/// workspace variable, a GitHub Actions job).
fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kqlog"));
    c.args(args)
        .env_remove("KQLOG_WORKSPACE")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("COLUMNS");
    c
}

fn kqlog(args: &[&str]) -> Output {
    command(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// A workspace with the docker fixture: `iis-web` and `orders-api`.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().to_str().unwrap();
    let logs = data("logs/docker");
    let o = kqlog(&["ingest", "-w", ws, "--computer", "win-host", "--format", "json", logs.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    dir
}

fn check(ws: &Path, args: &[&str]) -> Output {
    let mut all = vec!["check", "-w", ws.to_str().unwrap()];
    all.extend_from_slice(args);
    kqlog(&all)
}

#[test]
fn a_passing_file_exits_0() {
    let ws = workspace();
    let o = check(ws.path(), &[&spec("passing.toml")]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", stderr(&o));
    assert!(out.lines().any(|l| l.starts_with("PASS") && l.contains("lines per container")), "{out}");
    assert!(!out.contains("FAIL"), "{out}");
    assert!(out.trim_end().ends_with("9 passed, 0 failed, 0 warnings, 0 errors"), "{out}");
}

#[test]
fn a_failing_file_exits_1_and_shows_what_was_found() {
    let ws = workspace();
    let o = check(ws.path(), &[&spec("failing.toml")]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{}", stderr(&o));
    assert!(out.lines().any(|l| l.starts_with("FAIL") && l.contains("no Go panics")), "{out}");
    assert!(out.lines().any(|l| l.starts_with("PASS") && l.contains("IIS answered requests")), "{out}");
    // The offending row, as a table.
    assert!(out.contains("expected no rows, found 1 row"), "{out}");
    assert!(out.contains("LogEntrySource") && out.contains("stderr") && out.contains("http: panic"), "{out}");
    assert!(out.contains("expected value == 0, found value 137"), "{out}");
    // The table difference: the expected row missing, the found one unexpected.
    assert!(out.contains("- orders-api,12") && out.contains("+ orders-api,15"), "{out}");
    assert!(out.trim_end().ends_with("1 passed, 3 failed, 0 warnings, 0 errors"), "{out}");
}

#[test]
fn max_rows_limits_the_rows_shown() {
    let ws = workspace();
    let q = "ContainerLog | where Name == 'orders-api' | project LogEntrySource";
    let o = check(ws.path(), &["--expect-empty", "--max-rows", "2", q]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("the first 2 rows of 15"), "{out}");
}

#[test]
fn a_query_error_exits_2_with_a_caret() {
    let ws = workspace();
    let o = check(ws.path(), &[&spec("query-error.toml")]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(2), "{out}\n{}", stderr(&o));
    assert!(out.lines().any(|l| l.starts_with("ERROR") && l.contains("quiet node")), "{out}");
    assert!(out.contains("unknown column `Computr`") && out.contains("^^^^^^^"), "{out}");
    assert!(out.contains("did you mean `Computer`?"), "{out}");
    assert!(out.trim_end().ends_with("1 passed, 0 failed, 0 warnings, 1 errors"), "{out}");
    // A query error outranks a failure.
    let o = check(ws.path(), &[&spec("failing.toml"), &spec("query-error.toml")]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn io_problems_exit_3() {
    let ws = workspace();
    let o = check(ws.path(), &[&spec("does-not-exist.toml")]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("does-not-exist.toml"), "{}", stderr(&o));
    // A missing workspace: every assertion reports it.
    let o = kqlog(&["check", "-w", "/nonexistent/kqlog-ws", &spec("passing.toml")]);
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    assert!(stdout(&o).contains("does not exist"), "{}", stdout(&o));
}

#[test]
fn bad_specs_exit_64_naming_file_assertion_and_problem() {
    let ws = workspace();
    let o = check(ws.path(), &[&spec("bad-spec.toml")]);
    assert_eq!(o.status.code(), Some(64));
    let err = stderr(&o);
    assert!(err.contains("bad-spec.toml") && err.contains("`ambiguous`") && err.contains("expect and rows"), "{err}");
    assert!(stdout(&o).is_empty(), "nothing runs: {}", stdout(&o));

    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("unknown-key.toml", "[[assert]]\nquery = \"ContainerLog\"\nexpcet = \"empty\"\n", "expcet"),
        (
            "bad-op.toml",
            "[[assert]]\nname = \"op\"\nquery = \"ContainerLog | count\"\nvalue = \"=> 3\"\n",
            "comparison",
        ),
        ("nothing.toml", "[[assert]]\nname = \"bare\"\nquery = \"ContainerLog\"\n", "`bare`"),
        ("not-toml.toml", "[[assert]\nquery = \n", "not a valid check file"),
    ];
    for (file, text, needle) in cases {
        let path = dir.path().join(file);
        std::fs::write(&path, text).unwrap();
        let o = check(ws.path(), &[path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(64), "{file}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle) && stderr(&o).contains(file), "{file}: {}", stderr(&o));
    }
    // Usage of the command itself.
    assert_eq!(kqlog(&["check"]).status.code(), Some(64));
    assert_eq!(check(ws.path(), &["--format", "xml", &spec("passing.toml")]).status.code(), Some(64));
    assert_eq!(check(ws.path(), &["--expect-empty"]).status.code(), Some(64));
    assert_eq!(check(ws.path(), &["--expect-rows", "many", "ContainerLog"]).status.code(), Some(64));
    assert_eq!(check(ws.path(), &["--expect-empty", "--expect-not-empty", "ContainerLog"]).status.code(), Some(64));
    assert_eq!(check(ws.path(), &["--now", "soon", &spec("passing.toml")]).status.code(), Some(64));
    let o = check(ws.path(), &["ContainerLog | where LogEntry has 'panic'"]);
    assert_eq!(o.status.code(), Some(64));
    assert!(stderr(&o).contains("--expect-empty"), "{}", stderr(&o));
    let o = check(ws.path(), &["--ingest", data("logs/docker").to_str().unwrap(), &spec("passing.toml")]);
    assert_eq!(o.status.code(), Some(64), "-w and --ingest together: {}", stderr(&o));
}

#[test]
fn warnings_never_fail_the_run() {
    let ws = workspace();
    let o = check(ws.path(), &[&spec("warnings.toml")]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", stderr(&o));
    assert!(out.lines().any(|l| l.starts_with("WARN") && l.contains("no slow payment gateway")), "{out}");
    assert!(out.contains("payment gateway slow"), "the offending row is shown: {out}");
    assert!(out.contains("expected exactly no rows, found 1 row") || out.contains("found 1 row"), "{out}");
    assert!(out.trim_end().ends_with("1 passed, 0 failed, 2 warnings, 0 errors"), "{out}");
}

#[test]
fn one_liners() {
    let ws = workspace();
    let w = ws.path();
    let none = r#"ContainerLog | where LogEntry has "OutOfMemoryException""#;
    let o = check(w, &["--expect-empty", none]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains(none), "named by the query: {}", stdout(&o));
    let panics = r#"ContainerLog | where LogEntry has "panic""#;
    let o = check(w, &["--expect-empty", panics]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("nil pointer") || stdout(&o).contains("http: panic"), "{}", stdout(&o));
    assert_eq!(check(w, &["--expect-not-empty", panics]).status.code(), Some(0));
    assert_eq!(check(w, &["--expect-not-empty", none]).status.code(), Some(1));
    assert_eq!(check(w, &["--expect-rows", "2", "ContainerLog | distinct Name"]).status.code(), Some(0));
    assert_eq!(check(w, &["--expect-rows", "3", "ContainerLog | distinct Name"]).status.code(), Some(1));
    assert_eq!(check(w, &["--expect-rows", "<= 1", "W3CIISLog | where toint(scStatus) >= 500"]).status.code(), Some(0));
    // --now and --set reach the query.
    let recent = "ContainerLog | where TimeGenerated > ago(1h)";
    assert_eq!(check(w, &["--now", "2026-11-03T09:30:00Z", "--expect-not-empty", recent]).status.code(), Some(0));
    assert_eq!(check(w, &["--now", "2026-11-04T12:00:00Z", "--expect-not-empty", recent]).status.code(), Some(1));
    let by_name = "declare query_parameters(c:string); ContainerLog | where Name == c";
    let o = check(w, &["--set", "c=\"orders-api\"", "--expect-rows", "15", by_name]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn junit_reports_parse_and_count() {
    let ws = workspace();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("junit.xml");
    let o = check(
        ws.path(),
        &[
            "--junit",
            report.to_str().unwrap(),
            &spec("failing.toml"),
            &spec("query-error.toml"),
            &spec("warnings.toml"),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let xml = std::fs::read_to_string(&report).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("9"));
    assert_eq!(root.attribute("failures"), Some("3"));
    assert_eq!(root.attribute("errors"), Some("1"));
    let suites: Vec<_> = root.children().filter(|n| n.has_tag_name("testsuite")).collect();
    assert_eq!(suites.len(), 3);
    let failing = suites[0];
    assert_eq!(failing.attribute("name"), Some(format!("kqlog check: {}", spec("failing.toml")).as_str()));
    assert_eq!(failing.attribute("tests"), Some("4"));
    assert_eq!(failing.attribute("failures"), Some("3"));
    assert_eq!(failing.attribute("errors"), Some("0"));
    let cases: Vec<_> = failing.children().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 4);
    assert!(cases.iter().all(|c| c.attribute("classname") == Some("kqlog.failing") && c.attribute("time").is_some()));
    let failures: Vec<_> = failing.descendants().filter(|n| n.has_tag_name("failure")).collect();
    assert_eq!(failures.len(), 3);
    let panics = cases.iter().find(|c| c.attribute("name") == Some("no Go panics")).unwrap();
    let failure = panics.children().find(|n| n.has_tag_name("failure")).unwrap();
    assert_eq!(failure.attribute("message"), Some("expected no rows, found 1 row"));
    assert!(failure.text().unwrap().contains("http: panic"), "{xml}");
    // The query error is an <error> with the caret.
    let error = suites[1].descendants().find(|n| n.has_tag_name("error")).unwrap();
    assert!(error.text().unwrap().contains('^') && error.attribute("message").unwrap().contains("Computr"));
    // Warnings are not failures, but say so.
    assert_eq!(suites[2].attribute("failures"), Some("0"));
    let outs: Vec<_> = suites[2].descendants().filter(|n| n.has_tag_name("system-out")).collect();
    assert_eq!(outs.len(), 2);
    assert!(outs[0].text().unwrap().starts_with("warning"));
}

#[test]
fn json_report() {
    let ws = workspace();
    let o = check(ws.path(), &["--format", "json", &spec("failing.toml"), &spec("query-error.toml")]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["passed"], 2);
    assert_eq!(v["summary"]["failed"], 3);
    assert_eq!(v["summary"]["errors"], 1);
    assert_eq!(v["summary"]["exit_code"], 2);
    let all = v["assertions"].as_array().unwrap();
    assert_eq!(all.len(), 6);
    let by_name = |n: &str| all.iter().find(|a| a["name"] == n).unwrap();
    let panics = by_name("no Go panics");
    assert_eq!(panics["status"], "fail");
    assert_eq!(panics["expectation"]["kind"], "empty");
    assert_eq!(panics["actual"]["rows"], 1);
    assert_eq!(panics["rows"][0]["Name"], "orders-api");
    assert_eq!(panics["rows"][0]["LogEntrySource"], "stderr");
    assert!(panics["duration_ms"].is_number());
    assert_eq!(panics["file"], spec("failing.toml"));
    let exit = by_name("orders-api exited cleanly");
    assert_eq!(exit["actual"]["value"], 137);
    assert_eq!(exit["expectation"]["operator"], "==");
    let table = by_name("lines per container");
    assert_eq!(table["missing_rows"][0]["count_"], "12");
    assert_eq!(table["unexpected_rows"][0]["count_"], "15");
    let broken = by_name("quiet node");
    assert_eq!(broken["status"], "error");
    assert!(broken["error"].as_str().unwrap().contains("Computr"));
    assert_eq!(by_name("IIS answered requests")["status"], "pass");
}

#[test]
fn github_actions_annotations_and_step_summary() {
    let ws = workspace();
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let o = command(&["check", "-w", ws.path().to_str().unwrap(), &spec("failing.toml"), &spec("warnings.toml")])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    let errors: Vec<&str> = out.lines().filter(|l| l.starts_with("::error ")).collect();
    assert_eq!(errors.len(), 3, "{out}");
    let panics = errors.iter().find(|l| l.contains("title=no Go panics::")).unwrap();
    assert!(panics.contains("file=") && panics.contains("failing.toml,line=13,"), "{panics}");
    assert!(panics.contains("expected no rows, found 1 row%0A"), "{panics}");
    assert!(!panics.contains('\n'));
    assert_eq!(out.lines().filter(|l| l.starts_with("::warning ")).count(), 2, "{out}");
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("earlier step\n"), "appended, not replaced: {md}");
    assert!(md.contains("| Status | Assertion |") && md.contains("no Go panics"), "{md}");
    assert!(md.contains("2 passed, 3 failed, 2 warnings, 0 errors"), "{md}");
    // A summary that cannot be written warns; the assertions' result stands.
    let o = command(&["check", "-w", ws.path().to_str().unwrap(), &spec("failing.toml")])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("warning"), "{}", stderr(&o));
    // Without GITHUB_ACTIONS, no workflow commands.
    let o = check(ws.path(), &[&spec("failing.toml")]);
    assert!(!stdout(&o).contains("::error"));
}

#[test]
fn ingest_first_then_check() {
    let logs = data("logs/docker");
    let o = kqlog(&["check", "--ingest", logs.to_str().unwrap(), "--computer", "win-host", &spec("passing.toml")]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", stderr(&o));
    assert!(out.contains("ingested 92 rows"), "{out}");
    let o = kqlog(&[
        "check",
        "--ingest",
        logs.to_str().unwrap(),
        "--expect-rows",
        "1",
        "ContainerLog | distinct Computer | where Computer == 'win-host'",
        "--computer",
        "win-host",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = kqlog(&["check", "--ingest", "/nonexistent/logs", &spec("passing.toml")]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
}

#[test]
fn a_file_names_its_workspace_relative_to_itself() {
    let ws = workspace();
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("ci");
    std::fs::create_dir(&sub).unwrap();
    let rel = pathdiff(ws.path(), &sub);
    let file = sub.join("logs.toml");
    std::fs::write(
        &file,
        format!("workspace = '{rel}'\n[[assert]]\nname = \"two containers\"\nquery = \"ContainerLog | distinct Name\"\nrows = 2\n"),
    )
    .unwrap();
    let o = kqlog(&["check", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    // -w wins over the file's workspace.
    let empty = tempfile::tempdir().unwrap();
    let o = kqlog(&["check", "-w", empty.path().to_str().unwrap(), file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "no ContainerLog there: {}", stdout(&o));
}

/// `target` as seen from `base`: `../..` up to `/`, then down.
fn pathdiff(target: &Path, base: &Path) -> String {
    let ups = base.components().count() - 1;
    let mut s = "../".repeat(ups);
    s.push_str(target.strip_prefix("/").unwrap().to_str().unwrap());
    s
}
