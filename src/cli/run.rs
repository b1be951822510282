//! `kqlog run`: a report script of several queries → one file per result,
//! an SVG per `render`, or one self-contained HTML page.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use kqlog::engine::QueryResult;
use kqlog::report::html::{Outcome, Section};
use kqlog::report::script::{self, Block, BlockKind};
use kqlog::{Error, output};

use super::query::open_engine;
use super::runtime;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The report script: queries separated by blank lines.
    #[arg(value_name = "REPORT.kql")]
    pub script: PathBuf,
    /// Workspace folder of Parquet tables (default: $KQLOG_WORKSPACE, else ./kqlog-data).
    #[arg(short, long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Folder the results are written to.
    #[arg(long, value_name = "DIR", default_value = "kqlog-report")]
    pub out: PathBuf,
    /// csv, json, ndjson, parquet, markdown, or html (one page with every table and chart).
    #[arg(long, default_value = "csv", value_parser = parse_format)]
    pub format: ReportFormat,
    /// Pin now() and ago() to this datetime, for reproducible reports.
    #[arg(long, value_name = "DATETIME")]
    pub now: Option<String>,
    /// Value of a `declare query_parameters` name: NAME=VALUE (a KQL literal).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Rows(output::Format),
    Parquet,
    Html,
}

impl ReportFormat {
    fn extension(self) -> &'static str {
        match self {
            ReportFormat::Rows(output::Format::Markdown) => "md",
            ReportFormat::Rows(f) => f.name(),
            ReportFormat::Parquet => "parquet",
            ReportFormat::Html => "html",
        }
    }
}

fn parse_format(s: &str) -> Result<ReportFormat, String> {
    match s {
        "parquet" => Ok(ReportFormat::Parquet),
        "html" => Ok(ReportFormat::Html),
        "table" => Err("`table` is for terminals; use csv, json, ndjson, parquet, markdown or html".into()),
        _ => output::Format::parse(s)
            .map(ReportFormat::Rows)
            .ok_or_else(|| format!("unknown format `{s}` (use csv, json, ndjson, parquet, markdown or html)")),
    }
}

/// What became of one query.
struct Done {
    block: Block,
    seconds: f64,
    result: Result<(QueryResult, Option<String>), String>,
    code: u8,
}

pub fn run(a: &RunArgs) -> Result<u8, (Error, String)> {
    let plain = |e: Error| (e, String::new());
    let source = std::fs::read_to_string(&a.script)
        .map_err(|e| plain(Error::io(format!("cannot read `{}`: {e}", a.script.display()))))?;
    let opts = super::query_options(a.now.as_deref(), &a.set).map_err(plain)?;
    let origin = a.script.display().to_string();
    let blocks = script::split(&source);
    let queries = blocks.iter().filter(|b| b.kind == BlockKind::Query).count();
    if queries == 0 {
        return Err(plain(Error::Usage(format!("`{origin}` has no query (queries are separated by blank lines)"))));
    }
    std::fs::create_dir_all(&a.out)
        .map_err(|e| plain(Error::io(format!("cannot create `{}`: {e}", a.out.display()))))?;
    let rt = runtime().map_err(plain)?;
    let engine = rt.block_on(open_engine(a.workspace.as_deref())).map_err(plain)?;
    let talk = std::io::stderr().is_terminal();

    let mut done: Vec<Done> = Vec::new();
    let mut preludes: Vec<&Block> = Vec::new();
    for block in &blocks {
        if block.kind == BlockKind::Prelude {
            preludes.push(block);
            continue;
        }
        if talk {
            eprint!("[{}/{queries}] {} …", done.len() + 1, block.name);
        }
        let text = in_place(&preludes, block);
        let started = Instant::now();
        let outcome = rt.block_on(engine.query(&text, &opts));
        let seconds = started.elapsed().as_secs_f64();
        let (result, code) = match outcome {
            Ok(r) => match kqlog::report::chart_svg(&r) {
                Ok(svg) => (Ok((r, svg)), 0),
                Err(why) => {
                    // The rows are fine; only the picture is missing.
                    eprintln!("{}: {why}", block.name);
                    (Ok((r, None)), 0)
                }
            },
            Err(e) => (Err(e.render(&text, &origin)), e.exit_code()),
        };
        let mut d = Done { block: block.clone(), seconds, result, code };
        if let Err(e) = write_one(a, &d) {
            d.code = d.code.max(e.exit_code());
            d.result = Err(e.render("", &origin));
        }
        report_line(&d, a, talk);
        done.push(d);
    }
    if a.format == ReportFormat::Html {
        let title = a.script.file_stem().map_or_else(|| "report".into(), |s| s.to_string_lossy().into_owned());
        let generated = format!("kqlog {} · {}", env!("CARGO_PKG_VERSION"), origin);
        let sections: Vec<Section> = done
            .iter()
            .map(|d| Section {
                name: &d.block.name,
                query: &d.block.text,
                seconds: d.seconds,
                outcome: match &d.result {
                    Ok((r, svg)) => Outcome::Rows { result: r, chart: svg.as_deref() },
                    Err(e) => Outcome::Failed(e),
                },
            })
            .collect();
        let page = kqlog::report::html::page(&title, &generated, &sections);
        let path = a.out.join("report.html");
        std::fs::write(&path, page).map_err(|e| plain(Error::io(format!("cannot write `{}`: {e}", path.display()))))?;
    }
    let failed = done.iter().filter(|d| d.result.is_err()).count();
    eprintln!(
        "{} of {queries} queries written to {}{}",
        queries - failed,
        a.out.display(),
        if failed > 0 { format!(", {failed} failed") } else { String::new() }
    );
    Ok(done.iter().map(|d| d.code).max().unwrap_or(0))
}

/// The query as the engine sees it: the script with every line blanked but
/// the preludes before it and its own, so an error's line:column is the
/// script's.
fn in_place(preludes: &[&Block], block: &Block) -> String {
    let mut lines: Vec<&str> = vec![""; block.line - 1];
    for b in preludes.iter().copied().chain([block]) {
        for (i, l) in b.text.lines().enumerate() {
            let at = b.line - 1 + i;
            if at >= lines.len() {
                lines.resize(at + 1, "");
            }
            lines[at] = l;
        }
    }
    lines.join("\n")
}

fn write_one(a: &RunArgs, d: &Done) -> Result<(), Error> {
    let Ok((result, svg)) = &d.result else { return Ok(()) };
    let stem = a.out.join(&d.block.name);
    if let Some(svg) = svg {
        write(&with_extension(&stem, "svg"), svg.as_bytes())?;
    }
    let bytes = match a.format {
        ReportFormat::Html => return Ok(()),
        ReportFormat::Parquet => output::parquet::to_bytes(result)?,
        ReportFormat::Rows(f) => {
            let mut buf = Vec::new();
            output::write(result, f, None, &mut buf).map_err(|e| Error::io(e.to_string()))?;
            buf
        }
    };
    write(&with_extension(&stem, a.format.extension()), &bytes)
}

/// `stem.ext` even when the name holds a dot (`with_extension` would cut it).
fn with_extension(stem: &Path, ext: &str) -> PathBuf {
    let mut s = stem.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes).map_err(|e| Error::io(format!("cannot write `{}`: {e}", path.display())))
}

fn report_line(d: &Done, a: &RunArgs, talk: bool) {
    if talk {
        eprint!("\r\x1b[K");
    }
    match &d.result {
        Ok((r, svg)) => {
            let rows = r.num_rows();
            let chart = if svg.is_some() { " + chart" } else { "" };
            let target = if a.format == ReportFormat::Html {
                "report.html".to_string()
            } else {
                format!("{}.{}", d.block.name, a.format.extension())
            };
            eprintln!(
                "ok    {:<28} {rows:>7} row{} {:>8.3} s  → {target}{chart}",
                d.block.name,
                if rows == 1 { " " } else { "s" },
                d.seconds
            );
        }
        Err(e) => {
            eprintln!("FAIL  {:<28} (line {})", d.block.name, d.block.line);
            eprintln!("{e}");
        }
    }
}
