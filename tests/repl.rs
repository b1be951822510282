//! The interactive session, driven through a pseudo-terminal as a person
//! would: completion, multi-line input, cancelling a query, errors,
//! dot-commands and the demo workspace.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use rexpect::session::{PtySession, spawn_command};

const PROMPT: &str = "kql> ";

struct Env {
    _dir: tempfile::TempDir,
    home: PathBuf,
    ws: PathBuf,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let logs = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/logs");
    let opts = kqlog::ingest::Options { computer: "node-1".into(), ..Default::default() };
    kqlog::ingest::run(&[logs.join("k8s"), logs.join("docker")], &ws, opts, &mut |_| {}).unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    Env { home, ws, _dir: dir }
}

fn start(e: &Env, args: &[&str], cwd: &Path) -> PtySession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kqlog"));
    cmd.args(args)
        .current_dir(cwd)
        .env("HOME", &e.home)
        .env("XDG_DATA_HOME", e.home.join("data"))
        .env("XDG_CACHE_HOME", e.home.join("cache"))
        .env_remove("KQLOG_WORKSPACE")
        .env("PAGER", "cat")
        .env("TERM", "xterm");
    let mut s = spawn_command(cmd, Some(60_000)).unwrap();
    s.exp_string(PROMPT).unwrap();
    s
}

/// A grid cell holding `value`. rexpect reads the pty byte by byte as
/// Latin-1, so the box-drawing `│` arrives as its three UTF-8 bytes.
fn cell(value: &str) -> String {
    let bar = "\u{e2}\u{94}[\u{82}\u{86}]"; // │ or ┆
    format!("{bar} +{value} +{bar}")
}

/// Keys as typed: rexpect buffers `send` until a flush.
fn type_in(s: &mut PtySession, keys: &str) {
    s.send(keys).unwrap();
    s.flush().unwrap();
}

fn repl(e: &Env) -> PtySession {
    let ws = e.ws.to_string_lossy().to_string();
    start(e, &["repl", "-w", &ws, "--now", "2026-11-03T12:00:00Z"], &e.home)
}

#[test]
fn tab_completes_tables_operators_and_columns() {
    let e = env();
    let mut s = repl(&e);
    // A unique table, an operator after `|`, a column of that table.
    type_in(&mut s, "KubeP\t");
    s.exp_string("KubePodInventory").unwrap();
    type_in(&mut s, " | wh\t");
    s.exp_string("where").unwrap();
    type_in(&mut s, " Namesp\t");
    s.exp_string("Namespace").unwrap();
    type_in(&mut s, " == \"shop\" | count\r");
    s.exp_string("Count").unwrap();
    s.exp_regex(&cell(r"1")).unwrap();
    s.exp_string("1 row in").unwrap();
    s.send_control('d').unwrap();
    s.exp_eof().unwrap();
}

#[test]
fn unfinished_queries_continue_on_the_next_line() {
    let e = env();
    let mut s = repl(&e);
    // A trailing `|` continues; so does a `let` waiting for its query.
    type_in(&mut s, "let wanted = \"cart\";\r");
    type_in(&mut s, "KubePodInventory |\r");
    type_in(&mut s, "where ContainerName endswith strcat(\"/\", wanted) | project Namespace\r");
    s.exp_string("shop").unwrap();
    s.exp_string("1 row in").unwrap();
    // An open multi-line string continues too.
    type_in(&mut s, "print s = ```a\r");
    type_in(&mut s, "b``` | extend n = strlen(s)\r");
    s.exp_regex(&cell(r"3")).unwrap();
    // A chart cannot be shown in the terminal: the session writes it and says where.
    type_in(&mut s, "range x from 1 to 3 step 1 | extend y = x * 2 | render linechart\r");
    let (_, path) = s.exp_regex(r"chart: \S+\.svg").unwrap();
    let path = path.trim_start_matches("chart: ");
    assert!(std::fs::read_to_string(path).unwrap().contains("<polyline"), "{path}");
    type_in(&mut s, ".quit\r");
    s.exp_eof().unwrap();
}

#[test]
fn ctrl_c_cancels_a_running_query_and_keeps_the_session() {
    let e = env();
    let mut s = repl(&e);
    type_in(&mut s, "range x from 1 to 1000000000 step 1 | summarize sum(x)\r");
    std::thread::sleep(std::time::Duration::from_millis(700));
    s.send_control('c').unwrap();
    s.exp_string("cancelled").unwrap();
    s.exp_string(PROMPT).unwrap();
    type_in(&mut s, "print answer = 6 * 7\r");
    s.exp_string("42").unwrap();
    s.send_control('d').unwrap();
    s.exp_eof().unwrap();
}

#[test]
fn errors_show_the_caret_and_the_prompt_returns() {
    let e = env();
    let mut s = repl(&e);
    type_in(&mut s, "KubePodInventory | where Nmae == 1\r");
    s.exp_string("unknown column `Nmae`").unwrap();
    s.exp_string("^^^^").unwrap();
    s.exp_string("did you mean `Name`?").unwrap();
    s.exp_string(PROMPT).unwrap();
    type_in(&mut s, ".frmat csv\r");
    s.exp_string("did you mean `.format`?").unwrap();
    type_in(&mut s, "KubePodInventory | summarize count()\r");
    s.exp_string("3").unwrap();
    s.send_control('d').unwrap();
    s.exp_eof().unwrap();
}

#[test]
fn dot_commands() {
    let e = env();
    let mut s = repl(&e);
    type_in(&mut s, ".tables\r");
    s.exp_regex(r"KubePodInventory\s+3 rows").unwrap();
    type_in(&mut s, ".schema KubePodInventory\r");
    s.exp_regex(r"Namespace\s+string").unwrap();
    s.exp_string(PROMPT).unwrap();
    type_in(&mut s, ".format csv\r");
    s.exp_string("results print as csv").unwrap();
    type_in(&mut s, "KubePodInventory | where Namespace == \"shop\" | project Namespace, ContainerName\r");
    s.exp_string("Namespace,ContainerName").unwrap();
    s.exp_string("shop,9b2f4c1e-7a3d-4e58-b6c0-2d8e1f5a7c93/cart").unwrap();
    let saved = e.home.join("pods.json");
    type_in(&mut s, &format!(".save {} json\r", saved.display()));
    s.exp_string("saved 1 rows").unwrap();
    type_in(&mut s, ".explain KubePodInventory | count\r");
    s.exp_string("== Optimized plan ==").unwrap();
    type_in(&mut s, ".now 2026-01-01\r");
    s.exp_string("now() is 2026-01-01T00:00:00").unwrap();
    type_in(&mut s, ".quit\r");
    s.exp_eof().unwrap();
    let json = std::fs::read_to_string(saved).unwrap();
    assert!(json.contains("\"ContainerName\":\"9b2f4c1e-7a3d-4e58-b6c0-2d8e1f5a7c93/cart\""), "{json}");
}

#[test]
fn without_a_workspace_the_demo_opens() {
    let e = env();
    let empty = e.home.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let mut s = start(&e, &["repl"], &empty);
    type_in(&mut s, "ContainerLog | summarize dcount(Name)\r");
    s.exp_regex(&cell(r"\d+")).unwrap();
    // The user's own logs go to a workspace of their own, not into the demo.
    let logs = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/logs/docker");
    type_in(&mut s, &format!(".ingest {}\r", logs.display()));
    s.exp_string("into kqlog-data").unwrap();
    type_in(&mut s, "ContainerLog | summarize dcount(Name)\r");
    s.exp_regex(&cell("2")).unwrap();
    s.send_control('d').unwrap();
    let rest = s.exp_eof().unwrap();
    drop(rest);
    assert!(e.home.join("cache/kqlog").exists());
    assert!(empty.join("kqlog-data/ContainerLog").is_dir());
}

#[test]
fn without_a_writable_cache_the_session_still_opens() {
    let e = env();
    let empty = e.home.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    // A file where the folders should be: nothing can be created below it.
    let blocked = e.home.join("blocked");
    std::fs::write(&blocked, "").unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kqlog"));
    cmd.arg("repl")
        .current_dir(&empty)
        .env("HOME", &e.home)
        .env("XDG_DATA_HOME", &blocked)
        .env("XDG_CACHE_HOME", &blocked)
        .env("TMPDIR", &blocked)
        .env_remove("KQLOG_WORKSPACE")
        .env("TERM", "xterm");
    let mut s = spawn_command(cmd, Some(60_000)).unwrap();
    s.exp_string("could not be set up").unwrap();
    s.exp_string(PROMPT).unwrap();
    type_in(&mut s, "print answer = 40 + 2\r");
    s.exp_regex(&cell("42")).unwrap();
    s.send_control('d').unwrap();
    s.exp_eof().unwrap();
}
