//! `kqlog ingest` on the collections in `testdata/logs/` (facts in its
//! README): exact row counts, column types, spot values, rejected records,
//! idempotent and incremental re-runs, and recovery from a kill midway.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn data(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/logs").join(p)
}

fn kqlog(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kqlog")).args(args).env_remove("KQLOG_WORKSPACE").output().unwrap()
}

fn ingest(ws: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["ingest", "-w", ws.to_str().unwrap(), "--format", "json"];
    all.extend_from_slice(args);
    let o = kqlog(&all);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn query(ws: &Path, q: &str) -> String {
    let o = kqlog(&["query", "-w", ws.to_str().unwrap(), "--format", "csv", "--now", "2026-11-04T00:00:00Z", q]);
    assert_eq!(o.status.code(), Some(0), "{q}\n{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

fn rows(stats: &serde_json::Value, table: &str) -> u64 {
    stats["rows"][table].as_u64().unwrap_or(0)
}

#[test]
fn docker_host_folder() {
    let ws = tempfile::tempdir().unwrap();
    let s = ingest(ws.path(), &[data("docker").to_str().unwrap(), "--computer", "win-host"]);
    assert_eq!(rows(&s, "ContainerLog"), 38);
    assert_eq!(rows(&s, "ContainerLogV2"), 38);
    assert_eq!(rows(&s, "W3CIISLog"), 7);
    assert_eq!(rows(&s, "Event"), 5);
    assert_eq!(rows(&s, "ContainerInventory"), 2);
    assert_eq!(rows(&s, "ContainerImageInventory"), 2);
    assert_eq!(s["rejected"], 2);
    let w = ws.path();
    // The rejected line's IIS record does not appear; the others do.
    assert_eq!(
        query(
            w,
            "W3CIISLog | where csUriStem == '/api/orders/search' | project TimeGenerated, csMethod, csUriQuery, scStatus, TimeTaken, sPort, sIP"
        ),
        "TimeGenerated,csMethod,csUriQuery,scStatus,TimeTaken,sPort,sIP\n2026-11-03T09:04:11.0000000Z,POST,q=widget&page=2,200,87,80,172.22.48.11\n"
    );
    assert_eq!(
        query(w, "W3CIISLog | where csUserName has 'svc-monitor' | project csUriStem"),
        "csUriStem\n/default.aspx\n"
    );
    assert_eq!(
        query(
            w,
            "Event | where EventID == 5002 | project TimeGenerated, EventLog, EventLevel, EventLevelName, Source, Computer"
        ),
        "TimeGenerated,EventLog,EventLevel,EventLevelName,Source,Computer\n2026-11-03T09:14:19.0000000Z,System,1,Critical,Microsoft-Windows-WAS,win-host\n"
    );
    // The partial line is one row, timed by its first fragment.
    assert_eq!(
        query(
            w,
            "ContainerLog | where LogEntry has 'batch-0193' | project TimeGenerated, strlen(LogEntry), LogEntrySource"
        ),
        "TimeGenerated,strlen_LogEntry,LogEntrySource\n2026-11-03T09:03:31.6200000Z,143,stdout\n"
    );
    // JSON lines stay structured in ContainerLogV2.
    assert_eq!(
        query(
            w,
            "ContainerLogV2 | where LogMessage.msg == 'order batch imported' | project tolong(LogMessage['count']), LogLevel, ContainerName"
        ),
        "LogMessage_count,LogLevel,ContainerName\n5,INFO,orders-api\n"
    );
    assert_eq!(
        query(
            w,
            "ContainerInventory | sort by Name asc | project Name, Repository, Image, ImageTag, ContainerState, ExitCode"
        ),
        "Name,Repository,Image,ImageTag,ContainerState,ExitCode\niis-web,mcr.microsoft.com/windows/servercore,iis,windowsservercore-ltsc2022,Running,0\norders-api,contoso.azurecr.io,orders-api,2.4.1,Failed,137\n"
    );
    // Windows line endings are gone from LogEntry.
    assert_eq!(query(w, "ContainerLog | where LogEntry endswith '\\r' | count"), "Count\n0\n");
    // Rejected lines are kept with their source, line and reason.
    let rejected: Vec<String> = std::fs::read_dir(w.join("_kqlog/rejected"))
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    let text = rejected.join("");
    assert_eq!(text.lines().count(), 2);
    assert!(text.contains("\"line\":3") && text.contains("\"line\":10") && text.contains("not a timestamp"), "{text}");
}

#[test]
fn column_types_follow_azure() {
    let ws = tempfile::tempdir().unwrap();
    ingest(ws.path(), &[data("docker").to_str().unwrap()]);
    let schema = query(ws.path(), "ContainerLogV2 | getschema | project ColumnName, ColumnType");
    for expect in ["TimeGenerated,datetime", "LogMessage,dynamic", "KubernetesMetadata,dynamic", "LogLevel,string"] {
        assert!(schema.contains(expect), "{expect} in\n{schema}");
    }
    let inv = query(
        ws.path(),
        "ContainerInventory | getschema | where ColumnName in ('ExitCode', 'StartedTime') | project ColumnName, ColumnType",
    );
    assert_eq!(inv, "ColumnName,ColumnType\nExitCode,int\nStartedTime,datetime\n");
}

#[test]
fn kubernetes_node_logs() {
    let ws = tempfile::tempdir().unwrap();
    let s = ingest(ws.path(), &[data("k8s").to_str().unwrap(), "--computer", "aks-node-1"]);
    assert_eq!(rows(&s, "ContainerLog"), 19, "each pod file once despite the containers/ links");
    assert_eq!(s["rejected"], 1);
    assert_eq!(rows(&s, "KubePodInventory"), 3);
    let w = ws.path();
    assert_eq!(
        query(
            w,
            "ContainerLog | sort by TimeGenerated asc | where Name endswith '/cart' | take 1 | project TimeGenerated"
        ),
        "TimeGenerated\n2026-11-03T08:58:02.3000000Z\n"
    );
    let joined = query(
        w,
        "ContainerLogV2 | where LogMessage.message == 'cart snapshot' | project TimeGenerated, LogLevel, PodNamespace, PodName, ContainerName",
    );
    assert_eq!(
        joined,
        "TimeGenerated,LogLevel,PodNamespace,PodName,ContainerName\n2026-11-03T09:00:01.5000000Z,DEBUG,shop,cart-7d9f8b6c5d-x2k4q,cart\n"
    );
    assert_eq!(
        query(w, "KubePodInventory | where Namespace == 'kube-system' | project Name, Computer"),
        "Name,Computer\ncoredns-5d78c9869d-abcde,aks-node-1\n"
    );
    // Names carry the pod uid; the restart count comes from `1.log`.
    assert_eq!(
        query(w, "KubePodInventory | where Namespace == 'shop' | project ContainerName, ContainerRestartCount"),
        "ContainerName,ContainerRestartCount\n9b2f4c1e-7a3d-4e58-b6c0-2d8e1f5a7c93/cart,1\n"
    );
    assert_eq!(
        query(w, "ContainerLog | where Name == '9b2f4c1e-7a3d-4e58-b6c0-2d8e1f5a7c93/cart' | count"),
        "Count\n10\n"
    );
}

#[test]
fn captures_events_and_exports() {
    let ws = tempfile::tempdir().unwrap();
    let w = ws.path();
    let s = ingest(
        w,
        &[
            data("capture/logmonitor-iis.log").to_str().unwrap(),
            "--container",
            "iis-legacy",
            "--container-id",
            "abc123",
        ],
    );
    assert_eq!((rows(&s, "ContainerLog"), rows(&s, "W3CIISLog"), rows(&s, "Event")), (11, 3, 2));
    assert_eq!(
        query(w, "ContainerLog | summarize n = count() by Name, ContainerID, LogEntrySource"),
        "Name,ContainerID,LogEntrySource,n\niis-legacy,abc123,stdout,11\n"
    );
    let s = ingest(w, &[data("capture/plain-no-timestamps.log").to_str().unwrap()]);
    assert_eq!((rows(&s, "ContainerLog"), rows(&s, "Event")), (5, 2));
    // Lines without a time keep a null TimeGenerated; LogMonitor records use their own.
    assert_eq!(
        query(w, "ContainerLog | where Name == 'plain-no-timestamps' and isnull(TimeGenerated) | count"),
        "Count\n3\n"
    );

    let s = ingest(w, &[data("events").to_str().unwrap()]);
    assert_eq!(rows(&s, "ContainerServiceLog"), 8);

    let s = ingest(w, &[data("exports").join("ContainerLog.json").to_str().unwrap()]);
    assert_eq!(rows(&s, "ContainerLog"), 5);
    let s = ingest(w, &[data("exports").join("heartbeat-api.json").to_str().unwrap()]);
    assert_eq!(rows(&s, "Heartbeat"), 4);
    assert!(query(w, "Heartbeat | getschema | project ColumnName, ColumnType").contains("IsGatewayInstalled,bool"));
    let s = ingest(w, &[data("exports").join("az-containerinventory.json").to_str().unwrap()]);
    assert_eq!(rows(&s, "ContainerInventory"), 3);
    let s = ingest(w, &[data("exports").join("am-containerlogv2").to_str().unwrap()]);
    assert_eq!(rows(&s, "ContainerLogV2"), 4);
    let s = ingest(w, &[data("exports").join("KubePodInventory-empty.json").to_str().unwrap()]);
    assert_eq!(rows(&s, "KubePodInventory"), 0);
    assert!(query(w, "KubePodInventory | getschema | count").contains("Count\n29"));
    // The portal CSV needs its table named.
    let csv = data("exports").join("query_data.csv");
    let o = kqlog(&["ingest", "-w", w.to_str().unwrap(), csv.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--table"));
    let s = ingest(w, &[csv.to_str().unwrap(), "--table", "ContainerLog"]);
    assert_eq!(rows(&s, "ContainerLog"), 4);
    assert!(
        query(w, "ContainerLog | where TimeGenerated == datetime(2026-11-03 13:05:07.004) | count")
            .contains("Count\n1")
    );
}

#[test]
fn reruns_add_nothing_and_growth_adds_only_new_lines() {
    let src = tempfile::tempdir().unwrap();
    copy_dir(&data("docker"), src.path());
    let ws = tempfile::tempdir().unwrap();
    let first = ingest(ws.path(), &[src.path().to_str().unwrap()]);
    assert_eq!(rows(&first, "ContainerLog"), 38);
    let again = ingest(ws.path(), &[src.path().to_str().unwrap()]);
    assert_eq!(again["rows"].as_object().map(|m| m.values().filter_map(|v| v.as_u64()).sum::<u64>()), Some(0));

    let log = find(src.path(), "4066").into_iter().find(|p| p.to_string_lossy().ends_with("-json.log")).unwrap();
    let mut text = std::fs::read_to_string(&log).unwrap();
    text.push_str("{\"log\":\"appended\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-03T10:00:00Z\"}\n");
    // A line still being written (no newline yet) waits for the next run.
    text.push_str("{\"log\":\"half");
    std::fs::write(&log, &text).unwrap();
    let grown = ingest(ws.path(), &[src.path().to_str().unwrap()]);
    assert_eq!(rows(&grown, "ContainerLog"), 1);
    text.push_str(" written\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-03T10:00:01Z\"}\n");
    std::fs::write(&log, &text).unwrap();
    let finished = ingest(ws.path(), &[src.path().to_str().unwrap()]);
    assert_eq!(rows(&finished, "ContainerLog"), 1);

    // Rotation: the current file becomes `.1`; nothing in it is read twice.
    let rotated = log.with_file_name(format!("{}.1", log.file_name().unwrap().to_string_lossy()));
    let older = log.with_file_name(format!("{}.2.gz", log.file_name().unwrap().to_string_lossy()));
    std::fs::rename(log.with_file_name(format!("{}.1.gz", log.file_name().unwrap().to_string_lossy())), &older)
        .unwrap();
    std::fs::rename(&log, &rotated).unwrap();
    std::fs::write(&log, "{\"log\":\"after rotation\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-03T11:00:00Z\"}\n")
        .unwrap();
    let after = ingest(ws.path(), &[src.path().to_str().unwrap()]);
    assert_eq!(rows(&after, "ContainerLog"), 1);
    assert_eq!(query(ws.path(), "ContainerLog | count"), "Count\n41\n");
}

#[test]
fn a_split_line_waiting_at_the_end_is_completed_by_the_next_run() {
    let src = tempfile::tempdir().unwrap();
    let id = "ab".repeat(32);
    let dir = src.path().join("containers").join(&id);
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join(format!("{id}-json.log"));
    // The first half of a long stdout line, then a whole stderr line after it.
    let mut text = String::from("{\"log\":\"first half, \",\"stream\":\"stdout\",\"time\":\"2026-11-03T10:00:00Z\"}\n");
    text.push_str("{\"log\":\"stderr line\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-03T10:00:01Z\"}\n");
    std::fs::write(&log, &text).unwrap();
    let ws = tempfile::tempdir().unwrap();
    let first = ingest(ws.path(), &[src.path().to_str().unwrap()]);
    assert_eq!(rows(&first, "ContainerLog"), 1);
    text.push_str("{\"log\":\"second half\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-03T10:00:02Z\"}\n");
    text.push_str("{\"log\":\"not json\n");
    std::fs::write(&log, &text).unwrap();
    let o = kqlog(&["ingest", "-w", ws.path().to_str().unwrap(), "--format", "json", src.path().to_str().unwrap()]);
    let second: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // The stderr line is not read again; the long line is whole, with its first time.
    assert_eq!(rows(&second, "ContainerLog"), 1);
    assert_eq!(
        query(ws.path(), "ContainerLog | project TimeGenerated, LogEntrySource, LogEntry | sort by TimeGenerated asc"),
        "TimeGenerated,LogEntrySource,LogEntry\n\
         2026-11-03T10:00:00.0000000Z,stdout,\"first half, second half\"\n\
         2026-11-03T10:00:01.0000000Z,stderr,stderr line\n"
    );
}

fn run_with_env(ws: &Path, src: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kqlog"));
    c.args(["ingest", "-w", ws.to_str().unwrap(), src.to_str().unwrap(), "--format", "json"]);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

#[test]
fn an_ingest_killed_midway_is_completed_by_a_rerun() {
    let src = tempfile::tempdir().unwrap();
    copy_dir(&data("docker"), src.path());
    let reference = tempfile::tempdir().unwrap();
    ingest(reference.path(), &[src.path().to_str().unwrap()]);
    let expected = query(
        reference.path(),
        "ContainerLog | summarize n = count(), len = sum(strlen(LogEntry)), lo = min(LogEntry), hi = max(LogEntry), t = max(TimeGenerated) by ContainerID",
    );
    let expected_rows = query(reference.path(), "union ContainerLog, ContainerLogV2, W3CIISLog, Event | count");
    // Abort (like kill -9) at each step of the second commit, then rerun.
    for point in ["staged:2", "committing:2", "moving:2", "staged:5", "committing:7"] {
        let ws = tempfile::tempdir().unwrap();
        let o = run_with_env(ws.path(), src.path(), &[("KQLOG_CHECKPOINT_BYTES", "1000"), ("KQLOG_CRASH_AT", point)]);
        assert!(!o.status.success(), "{point}: the run should have been killed");
        // What is there after the crash is readable and consistent.
        let partial = query(ws.path(), "union ContainerLog, ContainerLogV2 | count");
        assert!(partial.starts_with("Count\n"), "{partial}");
        let o = run_with_env(ws.path(), src.path(), &[("KQLOG_CHECKPOINT_BYTES", "1000")]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(
            query(ws.path(), "union ContainerLog, ContainerLogV2, W3CIISLog, Event | count"),
            expected_rows,
            "{point}"
        );
        let got = query(
            ws.path(),
            "ContainerLog | summarize n = count(), len = sum(strlen(LogEntry)), lo = min(LogEntry), hi = max(LogEntry), t = max(TimeGenerated) by ContainerID",
        );
        assert_eq!(sorted(&got), sorted(&expected), "{point}");
    }
}

#[test]
fn unreadable_inputs_exit_3() {
    let ws = tempfile::tempdir().unwrap();
    let o = kqlog(&["ingest", "-w", ws.path().to_str().unwrap(), "/nonexistent/logs"]);
    assert_eq!(o.status.code(), Some(3));
}

fn sorted(csv: &str) -> Vec<String> {
    let mut l: Vec<String> = csv.lines().map(str::to_string).collect();
    l.sort();
    l
}

fn find(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().contains(needle) {
                out.push(p);
            }
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

#[test]
fn a_cancelled_ingest_stops_and_commits_nothing_more() {
    let ws = tempfile::tempdir().unwrap();
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let opts = kqlog::ingest::Options { cancel: Some(flag.clone()), ..Default::default() };
    let e = kqlog::ingest::run(&[data("docker")], ws.path(), opts, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("cancelled"), "{e}");
    assert!(!ws.path().join("ContainerLog").exists());
    // Not cancelled, the same workspace takes the whole collection.
    flag.store(false, std::sync::atomic::Ordering::Relaxed);
    let opts = kqlog::ingest::Options { cancel: Some(flag), ..Default::default() };
    let stats = kqlog::ingest::run(&[data("docker")], ws.path(), opts, &mut |_| {}).unwrap();
    assert_eq!(stats.rows.get("ContainerLog"), Some(&38));
}

#[test]
fn a_split_line_across_a_rotation_stays_one_row() {
    let src = tempfile::tempdir().unwrap();
    let id = "cd".repeat(32);
    let dir = src.path().join("containers").join(&id);
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join(format!("{id}-json.log"));
    let line = |text: &str, second: u32| {
        format!("{{\"log\":\"{text}\",\"stream\":\"stdout\",\"time\":\"2026-11-03T10:00:0{second}Z\"}}\n")
    };
    // Between two runs: the first run sees the first half, then Docker rotates.
    std::fs::write(&log, line("whole\\n", 0) + &line("one, ", 1)).unwrap();
    let ws = tempfile::tempdir().unwrap();
    assert_eq!(rows(&ingest(ws.path(), &[src.path().to_str().unwrap()]), "ContainerLog"), 1);
    std::fs::rename(&log, dir.join(format!("{id}-json.log.1"))).unwrap();
    std::fs::write(&log, line("two\\n", 2) + &line("three, ", 3)).unwrap();
    // Within one run: `.1` ends with a fragment that the new file completes.
    let older = dir.join(format!("{id}-json.log.2"));
    std::fs::rename(dir.join(format!("{id}-json.log.1")), &older).unwrap();
    std::fs::rename(&log, dir.join(format!("{id}-json.log.1"))).unwrap();
    std::fs::write(&log, line("four\\n", 4)).unwrap();
    assert_eq!(rows(&ingest(ws.path(), &[src.path().to_str().unwrap()]), "ContainerLog"), 2);
    assert_eq!(
        query(ws.path(), "ContainerLog | project TimeGenerated, LogEntry | sort by TimeGenerated asc"),
        "TimeGenerated,LogEntry\n\
         2026-11-03T10:00:00.0000000Z,whole\n\
         2026-11-03T10:00:01.0000000Z,\"one, two\"\n\
         2026-11-03T10:00:03.0000000Z,\"three, four\"\n"
    );
}

/// Every Parquet file a container-log ingest writes is sorted by time, has
/// the table's own column types, and carries a page index on the time.
#[test]
fn every_file_is_sorted_by_time_with_a_page_index() {
    use arrow::array::{Array, AsArray};
    use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};

    let reference = tempfile::tempdir().unwrap();
    ingest(reference.path(), &[data("docker").to_str().unwrap(), data("k8s").to_str().unwrap()]);
    // Small checkpoints: many files, runs of several containers mixed in one.
    let ws = tempfile::tempdir().unwrap();
    for src in ["docker", "k8s"] {
        let o = run_with_env(ws.path(), &data(src), &[("KQLOG_CHECKPOINT_BYTES", "3000")]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let q = "union ContainerLog, ContainerLogV2 | summarize count(), min(TimeGenerated), max(TimeGenerated)";
    assert_eq!(query(ws.path(), q), query(reference.path(), q));
    let mut files = 0;
    for table in ["ContainerLog", "ContainerLogV2"] {
        for entry in std::fs::read_dir(ws.path().join(table)).unwrap() {
            let path = entry.unwrap().path();
            let options =
                ArrowReaderOptions::new().with_page_index_policy(parquet::file::metadata::PageIndexPolicy::Required);
            let builder =
                ParquetRecordBatchReaderBuilder::try_new_with_options(std::fs::File::open(&path).unwrap(), options)
                    .unwrap();
            let time_col = builder.schema().index_of("TimeGenerated").unwrap();
            assert!(builder.metadata().offset_index().is_some(), "{}", path.display());
            assert!(builder.metadata().column_index().is_some(), "{}", path.display());
            // Columns kept as dictionaries while building read back as the
            // table's own types.
            for f in builder.schema().fields() {
                assert!(!matches!(f.data_type(), arrow::datatypes::DataType::Dictionary(..)), "{}", f.name());
            }
            if table == "ContainerLogV2" {
                let m = builder.schema().field_with_name("LogMessage").unwrap().data_type().clone();
                assert_eq!(m, arrow::datatypes::DataType::LargeUtf8);
            }
            let mut last = i64::MIN;
            for batch in builder.build().unwrap() {
                let batch = batch.unwrap();
                let t = batch.column(time_col).as_primitive::<arrow::datatypes::TimestampNanosecondType>();
                for i in 0..t.len() {
                    let v = if t.is_null(i) { i64::MIN } else { t.value(i) };
                    assert!(v >= last, "{} is not sorted by time", path.display());
                    last = v;
                }
            }
            files += 1;
        }
    }
    assert!(files > 4, "small checkpoints should give several files, got {files}");
}
