//! Command-line interface. Exit codes: 0 ok, 1 failed assertion, 2 query
//! error, 3 input/IO error, 64 bad usage.

mod check;
mod ingest;
mod query;
mod repl;
mod run;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use kqlog::Error;
use kqlog::output::Format;

#[derive(Parser, Debug)]
#[command(name = "kqlog", version, about = "Query collected container logs offline with KQL")]
pub struct Cli {
    /// Without a command, kqlog opens the interactive session on a terminal.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a KQL query and print its result.
    Query(QueryArgs),
    /// Show how a query parses and the DataFusion plan it becomes.
    Explain(QueryArgs),
    /// Turn container logs and Log Analytics exports into a workspace.
    Ingest(ingest::IngestArgs),
    /// Check assertions about the logs (TOML files or one-liners), for CI: exit 1 when one fails.
    Check(check::CheckArgs),
    /// An interactive session: history, completion, multi-line queries, dot-commands.
    Repl(repl::ReplArgs),
    /// Run a report script (.kql, queries separated by blank lines) into CSV/JSON/Parquet/HTML files and SVG charts.
    Run(run::RunArgs),
}

#[derive(Args, Debug, Clone)]
pub struct QueryArgs {
    /// Workspace folder of Parquet tables (default: $KQLOG_WORKSPACE, else ./kqlog-data).
    #[arg(short, long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Output format: table, csv, json, ndjson, markdown (default: table on a terminal, csv otherwise).
    #[arg(long, value_parser = parse_format)]
    pub format: Option<Format>,
    /// Write the result to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Pin now() and ago() to this datetime, for reproducible runs.
    #[arg(long, value_name = "DATETIME")]
    pub now: Option<String>,
    /// Read the query from a .kql file.
    #[arg(short, long, value_name = "FILE.kql", conflicts_with = "query")]
    pub file: Option<PathBuf>,
    /// Value of a `declare query_parameters` name: NAME=VALUE (a KQL literal).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// The query text, or `-` to read it from standard input.
    pub query: Option<String>,
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::parse(s).ok_or_else(|| format!("unknown format `{s}` (use table, csv, json, ndjson or markdown)"))
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => 64,
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let command = match cli.command {
        Some(c) => c,
        // Plain `kqlog`: a session for a person, usage for a script.
        None if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() => {
            Command::Repl(repl::ReplArgs::default())
        }
        None => {
            eprintln!("kqlog: give a command (query, explain, ingest, repl, check, run); `kqlog --help` lists them");
            return ExitCode::from(64);
        }
    };
    let result = match command {
        Command::Query(a) => query::run(&a, false),
        Command::Explain(a) => query::run(&a, true),
        Command::Ingest(a) => ingest::run(&a).map_err(|e| (e, String::new())),
        Command::Check(a) => check::run(&a),
        Command::Repl(a) => repl::run(&a),
        Command::Run(a) => run::run(&a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err((err, source)) => {
            eprintln!("{}", err.render(&source, "query"));
            ExitCode::from(err.exit_code())
        }
    }
}

/// The default output format: a table for a person, CSV for a pipe.
pub fn default_format(to_file: bool) -> Format {
    if !to_file && std::io::stdout().is_terminal() { Format::Table } else { Format::Csv }
}

pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io(format!("cannot start the runtime: {e}")))
}

/// The width to fit a grid to: the terminal's when stdout is one, none
/// (natural widths) when piped.
pub(crate) fn terminal_width() -> Option<u16> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let env = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok());
    env.or_else(|| terminal_size::terminal_size().map(|(w, _)| w.0)).or(Some(120))
}

/// `--now` and `--set`, as every command reads them.
pub(crate) fn query_options(now: Option<&str>, set: &[String]) -> Result<kqlog::engine::QueryOptions, Error> {
    let now = match now {
        Some(t) => Some(kqlog::types::time::parse_datetime(t).ok_or_else(|| {
            Error::Usage(format!("--now: `{t}` is not a datetime (use ISO 8601, e.g. 2026-11-03T12:00:00Z)"))
        })?),
        None => None,
    };
    let mut parameters = std::collections::HashMap::new();
    for s in set {
        let Some((k, v)) = s.split_once('=') else {
            return Err(Error::Usage(format!("--set `{s}`: expected NAME=VALUE")));
        };
        parameters.insert(k.trim().to_string(), v.to_string());
    }
    Ok(kqlog::engine::QueryOptions { now, parameters })
}
