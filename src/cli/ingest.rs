//! `kqlog ingest`: logs and exports into a workspace.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use kqlog::Error;
use kqlog::engine::workspace;
use kqlog::ingest::{self, DateOrder, InputKind, Options};

#[derive(Args, Debug, Clone)]
pub struct IngestArgs {
    /// Docker data roots or container folders, Kubernetes /var/log folders, log captures, exports.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Workspace folder to write (default: $KQLOG_WORKSPACE, else ./kqlog-data); created if missing.
    #[arg(short, long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Force the input kind: docker, pods, capture, la-json, az-json, la-jsonl, la-csv, docker-events.
    #[arg(long, value_parser = parse_input)]
    pub input: Option<InputKind>,
    /// Target table for exports that do not name it.
    #[arg(long, value_name = "NAME")]
    pub table: Option<String>,
    /// `Computer` for rows whose collection does not name the node.
    #[arg(long, value_name = "HOST", default_value = "")]
    pub computer: String,
    /// Container name for a plain log capture.
    #[arg(long, value_name = "NAME")]
    pub container: Option<String>,
    /// Container id for a plain log capture.
    #[arg(long, value_name = "ID")]
    pub container_id: Option<String>,
    /// Image for a plain log capture.
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// Day/month order of portal CSV dates: mdy (default) or dmy.
    #[arg(long, value_name = "ORDER", default_value = "mdy", value_parser = parse_order)]
    pub date_order: DateOrder,
    /// Summary format: text (default) or json.
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub format: String,
}

fn parse_input(s: &str) -> Result<InputKind, String> {
    InputKind::parse(s).ok_or_else(|| {
        format!("unknown input `{s}` (docker, pods, capture, la-json, az-json, la-jsonl, la-csv, docker-events)")
    })
}

fn parse_order(s: &str) -> Result<DateOrder, String> {
    match s {
        "mdy" => Ok(DateOrder::Mdy),
        "dmy" => Ok(DateOrder::Dmy),
        _ => Err(format!("unknown date order `{s}` (mdy or dmy)")),
    }
}

pub fn run(a: &IngestArgs) -> Result<u8, Error> {
    if a.format != "text" && a.format != "json" {
        return Err(Error::Usage(format!("--format `{}`: use text or json", a.format)));
    }
    let ws = match workspace::locate(a.workspace.as_deref()) {
        workspace::Location::Named(p) | workspace::Location::Default(p) => p,
    };
    let progress = if std::io::stderr().is_terminal() {
        let pb = ProgressBar::new(ingest::input_size(&a.paths));
        pb.set_style(
            ProgressStyle::with_template("{spinner} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        pb.enable_steady_tick(std::time::Duration::from_millis(200));
        Some(pb)
    } else {
        None
    };
    let opts = Options {
        computer: a.computer.clone(),
        input: a.input,
        table: a.table.clone(),
        container: a.container.clone(),
        container_id: a.container_id.clone(),
        image: a.image.clone(),
        date_order: a.date_order,
        progress: progress.clone(),
        // Ctrl-C ends the process; committed checkpoints stay, as after a kill.
        cancel: None,
    };
    let pb = progress.clone();
    let mut tick = move |bytes: u64| {
        if let Some(p) = &pb {
            p.set_position(bytes);
        }
    };
    let stats = ingest::run(&a.paths, &ws, opts, &mut tick);
    if let Some(p) = &progress {
        p.finish_and_clear();
    }
    let stats = stats?;
    if a.format == "json" {
        println!("{}", serde_json::to_string_pretty(&stats).unwrap_or_default());
        return Ok(0);
    }
    println!("ingested into {}", ws.display());
    let total: u64 = stats.rows.values().sum();
    for (table, n) in &stats.rows {
        println!("  {table:<24} {n:>10} rows");
    }
    if stats.rows.is_empty() {
        println!("  nothing new");
    }
    let mb = stats.bytes as f64 / 1e6;
    println!(
        "{total} rows from {:.1} MB in {:.2}s ({:.1} MB/s); {} rejected",
        mb,
        stats.seconds,
        if stats.seconds > 0.0 { mb / stats.seconds } else { 0.0 },
        stats.rejected
    );
    if let Some(f) = &stats.rejected_file {
        println!("rejected lines and reasons: {f}");
    }
    Ok(0)
}
