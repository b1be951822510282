//! Ingest: collected container logs and Log Analytics exports → a
//! workspace of Parquet tables with Azure Monitor's names and types.
//!
//! One module per input format (`docker`, `pods` + `cri`, `capture`,
//! `export`, `events`); `logmonitor`, `iis` and `level` read what is inside
//! log lines; `sink` buffers rows, `store` stages and commits Parquet files
//! with the manifest that makes re-runs incremental and idempotent.

pub mod capture;
pub mod container_rows;
pub mod cri;
pub mod dict_chunk;
pub mod docker;
pub mod events;
pub mod export;
pub mod few_values;
pub mod iis;
pub mod json_scan;
pub mod level;
pub mod logmonitor;
pub mod message;
pub mod parquet_out;
pub mod pods;
pub mod rows;
pub mod schema;
pub mod sink;
pub mod source;
pub mod store;
pub mod workers;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use sink::Sink;
use store::Store;

/// Day and month order of the portal CSV's dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateOrder {
    #[default]
    Mdy,
    Dmy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    RestApi,
    AzArray,
    JsonLines,
    Csv,
}

/// The kinds of input (`--input` overrides the detection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Docker,
    Pods,
    Capture,
    Export(ExportKind),
    DockerEvents,
}

impl InputKind {
    pub fn parse(s: &str) -> Option<InputKind> {
        Some(match s {
            "docker" => InputKind::Docker,
            "pods" | "cri" => InputKind::Pods,
            "capture" => InputKind::Capture,
            "la-json" => InputKind::Export(ExportKind::RestApi),
            "az-json" => InputKind::Export(ExportKind::AzArray),
            "la-jsonl" => InputKind::Export(ExportKind::JsonLines),
            "la-csv" => InputKind::Export(ExportKind::Csv),
            "docker-events" => InputKind::DockerEvents,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `Computer` where the collection does not name its node.
    pub computer: String,
    pub input: Option<InputKind>,
    pub table: Option<String>,
    pub container: Option<String>,
    pub container_id: Option<String>,
    pub image: Option<String>,
    pub date_order: DateOrder,
    /// A progress bar to advance with the bytes read (terminal only).
    pub progress: Option<indicatif::ProgressBar>,
    /// Set from elsewhere (Ctrl-C in the REPL) to stop at the next check:
    /// what earlier checkpoints committed stays, the rest is discarded.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl Options {
    /// An error when the ingest has been asked to stop.
    pub fn check_cancel(&self) -> Result<()> {
        match &self.cancel {
            Some(c) if c.load(std::sync::atomic::Ordering::Relaxed) => Err(Error::io(
                "ingest cancelled: the rows of its completed checkpoints are in the workspace; ingest again to continue",
            )),
            _ => Ok(()),
        }
    }
}

/// What an ingest did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Rows written per table.
    pub rows: BTreeMap<String, u64>,
    pub rejected: u64,
    /// Bytes of input read.
    pub bytes: u64,
    /// Log lines read (all sources).
    pub log_lines: u64,
    pub seconds: f64,
    /// Where rejected records were written, when there were any.
    pub rejected_file: Option<String>,
}

impl Stats {
    pub fn rows_in_flight(&self) -> u64 {
        self.log_lines
    }
}

fn first_line(path: &Path) -> Option<String> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut buf = vec![0u8; 64 * 1024];
    let n = f.read(&mut buf).ok()?;
    buf.truncate(n);
    if buf.starts_with(&[0x1f, 0x8b]) {
        let mut d = flate2::read::MultiGzDecoder::new(&buf[..]);
        let mut out = Vec::new();
        let _ = d.read_to_end(&mut out);
        buf = out;
    }
    let text = String::from_utf8_lossy(&buf).to_string();
    text.lines().find(|l| !l.trim().is_empty()).map(|l| l.trim_start_matches('\u{feff}').to_string())
}

/// Decides what a path holds.
pub fn detect(path: &Path) -> Result<InputKind> {
    if path.is_dir() {
        if path.join("containers").is_dir() && !pods::is_pods_root(path) || docker::is_container_dir(path) {
            return Ok(InputKind::Docker);
        }
        if pods::is_pods_root(path) {
            return Ok(InputKind::Pods);
        }
        if path.file_name().is_some_and(|n| n == "containers") {
            return Ok(InputKind::Docker);
        }
        return Err(Error::io(format!(
            "`{}` is a folder but neither a Docker data root nor a Kubernetes /var/log; name files or use --input",
            path.display()
        )));
    }
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    if name.ends_with(".csv") {
        return Ok(InputKind::Export(ExportKind::Csv));
    }
    let Some(line) = first_line(path) else { return Ok(InputKind::Capture) };
    let t = line.trim_start();
    if t.starts_with('[') {
        return Ok(if t.starts_with("[{") || t == "[" {
            InputKind::Export(ExportKind::AzArray)
        } else {
            InputKind::Capture
        });
    }
    if t.starts_with('{') {
        if let Ok(serde_json::Value::Object(o)) = serde_json::from_str::<serde_json::Value>(t) {
            if o.contains_key("log") && o.contains_key("time") {
                return Ok(InputKind::Docker);
            }
            if events::looks_like(&o) {
                return Ok(InputKind::DockerEvents);
            }
            if o.contains_key("tables") {
                return Ok(InputKind::Export(ExportKind::RestApi));
            }
            if o.keys().any(|k| k.eq_ignore_ascii_case("TimeGenerated") || k.eq_ignore_ascii_case("Type")) {
                return Ok(InputKind::Export(ExportKind::JsonLines));
            }
            return Ok(InputKind::Capture);
        }
        // A multi-line JSON document: a REST API response or similar.
        let whole = std::fs::read(path).map_err(|e| Error::io(format!("cannot read `{}`: {e}", path.display())))?;
        return match serde_json::from_slice::<serde_json::Value>(&whole) {
            Ok(serde_json::Value::Object(_)) => Ok(InputKind::Export(ExportKind::RestApi)),
            Ok(serde_json::Value::Array(_)) => Ok(InputKind::Export(ExportKind::AzArray)),
            _ => Ok(InputKind::Capture),
        };
    }
    if cri::looks_like(&line) {
        return Ok(InputKind::Pods);
    }
    Ok(InputKind::Capture)
}

/// Ingests one path of a given kind.
fn ingest_path(sink: &mut Sink, path: &Path, kind: InputKind) -> Result<()> {
    match kind {
        InputKind::Docker if path.is_dir() => {
            if docker::is_container_dir(path) && !path.join("containers").is_dir() {
                let changed = docker::ingest_container(sink, path)?;
                if let Some(m) = changed {
                    docker::image_inventory(sink, &[m])?;
                }
                Ok(())
            } else {
                docker::ingest_root(sink, path)
            }
        }
        InputKind::Docker => {
            // A lone json-file log: the container id is in its name.
            let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let id = name.split("-json.log").next().unwrap_or(&name).to_string();
            let mut c =
                capture::container_for(path, sink.opts.container.as_deref(), Some(&id), sink.opts.image.as_deref());
            if let Some(cid) = &sink.opts.container_id {
                c.id = cid.as_str().into();
            }
            docker::read_json_log(sink, path, &c)
        }
        InputKind::Pods if path.is_dir() => pods::ingest_root(sink, path),
        InputKind::Pods => {
            let o = &sink.opts;
            let c = capture::container_for(path, o.container.as_deref(), o.container_id.as_deref(), o.image.as_deref());
            let Some(mut r) = source::begin(sink, path)? else { return Ok(()) };
            cri::read_lines(sink, &mut r, &c)
        }
        InputKind::Capture => capture::ingest(sink, path),
        InputKind::Export(k) => {
            if path.is_dir() {
                for f in files_under(path) {
                    let kind = match k {
                        ExportKind::Csv if f.extension().is_some_and(|x| x != "csv") => continue,
                        _ => k,
                    };
                    export::ingest(sink, &f, kind)?;
                }
                Ok(())
            } else {
                export::ingest(sink, path, k)
            }
        }
        InputKind::DockerEvents => events::ingest(sink, path),
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        if let Ok(rd) = std::fs::read_dir(&d) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    out
}

/// Total bytes of the inputs, for progress.
pub fn input_size(paths: &[PathBuf]) -> u64 {
    paths
        .iter()
        .map(|p| {
            if p.is_dir() {
                files_under(p).iter().filter_map(|f| f.metadata().ok()).map(|m| m.len()).sum()
            } else {
                p.metadata().map(|m| m.len()).unwrap_or(0)
            }
        })
        .sum()
}

/// Ingests `paths` into the workspace `ws`. `progress` is told the bytes
/// read so far after each input.
pub fn run(paths: &[PathBuf], ws: &Path, opts: Options, progress: &mut dyn FnMut(u64)) -> Result<Stats> {
    let started = std::time::Instant::now();
    for p in paths {
        if !p.exists() {
            return Err(Error::io(format!("`{}` does not exist", p.display())));
        }
    }
    let store = Store::open(ws)?;
    let run_id = store.run_id().to_string();
    let mut sink = Sink::new(store, opts);
    for p in paths {
        sink.opts.check_cancel()?;
        match sink.opts.input {
            Some(k) => ingest_path(&mut sink, p, k)?,
            // A folder of separate files: each file is detected on its own.
            None if p.is_dir() && detect(p).is_err() => {
                for f in files_under(p) {
                    let k = detect(&f)?;
                    ingest_path(&mut sink, &f, k)?;
                }
            }
            None => {
                let k = detect(p)?;
                ingest_path(&mut sink, p, k)?;
            }
        }
        progress(sink.stats.bytes);
    }
    sink.finish()?;
    let mut stats = sink.stats.clone();
    if stats.rejected > 0 {
        stats.rejected_file =
            Some(ws.join(store::KQLOG_DIR).join("rejected").join(format!("{run_id}-*.jsonl")).display().to_string());
    }
    sink.store.close()?;
    stats.seconds = started.elapsed().as_secs_f64();
    Ok(stats)
}
