//! `kqlog check`: assertions about logs for CI. Each assertion is a KQL
//! query and what its result must be; the exit code says whether they held
//! (0), failed (1), could not run (2 query, 3 I/O), or were misstated (64).

mod github;
mod junit;
mod report;
mod spec;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use kqlog::engine::{QueryOptions, workspace};
use kqlog::{Error, ingest};

use report::{CaseError, CaseRun, Run, Status, SuiteRun};
use spec::{Expectation, Suite};

use super::query::open_engine;
use super::runtime;

#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    /// Assertion files (TOML). With --expect-empty, --expect-not-empty or --expect-rows: the query to check.
    #[arg(value_name = "FILE.toml")]
    pub files: Vec<String>,
    /// Workspace folder (default: the file's `workspace`, else $KQLOG_WORKSPACE, else ./kqlog-data).
    #[arg(short, long, value_name = "DIR", conflicts_with = "ingest")]
    pub workspace: Option<PathBuf>,
    /// Pin now() and ago() to this datetime (overrides the files' `now`).
    #[arg(long, value_name = "DATETIME")]
    pub now: Option<String>,
    /// Ingest these logs into a temporary workspace and check that; repeat for several paths.
    #[arg(long, value_name = "PATH")]
    pub ingest: Vec<PathBuf>,
    /// `Computer` for ingested rows whose collection does not name the node (with --ingest).
    #[arg(long, value_name = "HOST", requires = "ingest")]
    pub computer: Option<String>,
    /// Also write the results as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Report format: text (default) or json.
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = parse_report_format)]
    pub format: ReportFormat,
    /// Offending rows shown per failed assertion.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub max_rows: usize,
    /// Value of a `declare query_parameters` name: NAME=VALUE (a KQL literal); overrides the files' `[parameters]`.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// One-liner: the query (the positional argument) must return no rows.
    #[arg(long, conflicts_with_all = ["expect_not_empty", "expect_rows"])]
    pub expect_empty: bool,
    /// One-liner: the query must return at least one row.
    #[arg(long, conflicts_with = "expect_rows")]
    pub expect_not_empty: bool,
    /// One-liner: the query must return N rows (or a comparison such as "<= 3").
    #[arg(long, value_name = "N")]
    pub expect_rows: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Text,
    Json,
}

fn parse_report_format(s: &str) -> Result<ReportFormat, String> {
    match s {
        "text" => Ok(ReportFormat::Text),
        "json" => Ok(ReportFormat::Json),
        _ => Err(format!("unknown format `{s}` (use text or json)")),
    }
}

/// Runs the check; errors that stop it before any assertion runs (bad
/// files, failed ingest) come back as `Err`.
pub fn run(a: &CheckArgs) -> Result<u8, (Error, String)> {
    let plain = |e: Error| (e, String::new());
    let suites = suites(a).map_err(plain)?;
    let base = crate::cli::query_options(a.now.as_deref(), &a.set).map_err(plain)?;
    let started = Instant::now();
    let scratch = if a.ingest.is_empty() { None } else { Some(ingest_logs(a).map_err(plain)?) };
    let rt = runtime().map_err(plain)?;
    let settings = Settings {
        base: &base,
        workspace: scratch.as_ref().map(|s| s.dir.as_path()).or(a.workspace.as_deref()),
        ingested: scratch.is_some(),
        max_rows: a.max_rows,
    };
    let mut runs = Vec::new();
    for suite in suites {
        runs.push(rt.block_on(run_suite(suite, &settings)));
    }
    let run = Run { suites: runs, ingest: scratch.as_ref().map(|s| s.stats.clone()), duration: started.elapsed() };
    drop(scratch);
    let code = exit_code(&run);

    // A CI log has no width: cutting the offending rows there would hide the
    // very text that explains the failure.
    let width = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).or_else(crate::cli::terminal_width);
    match a.format {
        ReportFormat::Text => print(&report::text(&run, width)),
        ReportFormat::Json => {
            let doc = report::json(&run, code);
            print(&format!("{}\n", serde_json::to_string_pretty(&doc).unwrap_or_default()));
        }
    }
    if github::enabled() {
        let lines = github::annotations(&run);
        // Workflow commands are read from stderr too, which keeps the JSON report parseable.
        match a.format {
            ReportFormat::Text => print(&lines),
            ReportFormat::Json => eprint!("{lines}"),
        }
        // The summary is a courtesy: failing to write it must not hide the
        // assertions' own result or stop the JUnit report.
        if let Some(p) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty())
            && let Err(e) = github::append_summary(Path::new(&p), &github::step_summary(&run))
        {
            eprintln!("warning: {}", e.render("", ""));
        }
    }
    if let Some(path) = &a.junit {
        std::fs::write(path, junit::write(&run))
            .map_err(|e| plain(Error::io(format!("cannot write `{}`: {e}", path.display()))))?;
    }
    Ok(code)
}

/// What every suite shares.
struct Settings<'a> {
    base: &'a QueryOptions,
    /// `-w` or the `--ingest` workspace, overriding the files' `workspace`.
    workspace: Option<&'a Path>,
    ingested: bool,
    max_rows: usize,
}

/// The worst outcome: I/O error 3, query error 2, failure 1, else 0.
/// Warnings never count, but a warning whose query is broken does.
fn exit_code(run: &Run) -> u8 {
    run.cases()
        .map(|(_, c)| match c.status {
            Status::Pass | Status::Warn => 0,
            Status::Fail => 1,
            Status::Error => c.error.as_ref().map_or(2, |e| e.exit_code),
        })
        .max()
        .unwrap_or(0)
}

/// The suites to run: the files, or the one-liner.
fn suites(a: &CheckArgs) -> Result<Vec<Suite>, Error> {
    let one_liner = if a.expect_empty {
        Some(Expectation::Empty)
    } else if a.expect_not_empty {
        Some(Expectation::NotEmpty)
    } else if let Some(n) = &a.expect_rows {
        let (op, n) = spec::row_count(n).map_err(|e| Error::Usage(format!("--expect-rows: {e}")))?;
        Some(Expectation::Rows(op, n))
    } else {
        None
    };
    if let Some(expectation) = one_liner {
        let [query] = a.files.as_slice() else {
            return Err(Error::Usage(
                "a one-liner (--expect-…) checks exactly one query: give it as one argument".into(),
            ));
        };
        if query.trim().is_empty() {
            return Err(Error::Usage("the query to check is empty".into()));
        }
        return Ok(vec![Suite::one_liner(query.clone(), expectation)]);
    }
    if a.files.is_empty() {
        return Err(Error::Usage(
            "give assertion files (kqlog check FILE.toml …) or a one-liner (kqlog check --expect-empty 'QUERY')".into(),
        ));
    }
    let mut suites = Vec::new();
    for f in &a.files {
        let path = Path::new(f);
        // A query given without --expect-… would otherwise read as a missing file.
        if !path.exists() && !f.ends_with(".toml") && f.contains([' ', '|', '(']) {
            return Err(Error::Usage(format!(
                "`{f}` is not a file; to check a query use --expect-empty, --expect-not-empty or --expect-rows N"
            )));
        }
        suites.push(spec::load(path)?);
    }
    Ok(suites)
}

async fn run_suite(suite: Suite, settings: &Settings<'_>) -> SuiteRun {
    let dir = settings.workspace.map(Path::to_path_buf).or_else(|| suite.workspace.clone());
    let workspace = if settings.ingested {
        "temporary, from --ingest".to_string()
    } else {
        match workspace::locate(dir.as_deref()) {
            workspace::Location::Named(p) => p.display().to_string(),
            workspace::Location::Default(p) if p.is_dir() => p.display().to_string(),
            workspace::Location::Default(_) => "none".to_string(),
        }
    };
    let mut parameters = suite.parameters.clone();
    parameters.extend(settings.base.parameters.iter().map(|(k, v)| (k.clone(), v.clone())));
    let opts = QueryOptions { now: settings.base.now.or(suite.now), parameters };
    let engine = open_engine(dir.as_deref()).await;
    let mut cases = Vec::new();
    let label = suite.label();
    let file = suite.path.as_ref().map(|p| p.display().to_string());
    let class_name = suite.class_name();
    for assertion in suite.assertions {
        let started = Instant::now();
        let outcome = match &engine {
            Err(e) => Err(CaseError::new(e, &assertion.query)),
            Ok(engine) => match engine.query(&assertion.query, &opts).await {
                Ok(result) => Ok(spec::evaluate(&assertion.expectation, &result, settings.max_rows)),
                Err(e) => Err(CaseError::new(&e, &assertion.query)),
            },
        };
        cases.push(CaseRun::new(assertion, started.elapsed(), outcome));
    }
    SuiteRun { label, file, class_name, workspace, cases }
}

/// A workspace that lives as long as the check.
struct Scratch {
    dir: PathBuf,
    stats: ingest::Stats,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn ingest_logs(a: &CheckArgs) -> Result<Scratch, Error> {
    let dir =
        std::env::temp_dir().join(format!("kqlog-check-{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()));
    // Owned before ingesting, so a failed ingest still cleans up.
    let mut scratch = Scratch { dir, stats: ingest::Stats::default() };
    let opts = ingest::Options { computer: a.computer.clone().unwrap_or_default(), ..ingest::Options::default() };
    scratch.stats = ingest::run(&a.ingest, &scratch.dir, opts, &mut |_: u64| {})?;
    Ok(scratch)
}

/// Writes to standard output; a closed pipe (`| head`) is not an error.
fn print(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes()).and_then(|()| out.flush());
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::time::Duration;

    use super::*;
    use crate::cli::check::spec::{Assertion, Offending, Severity, Verdict};

    fn case(status_of: Result<bool, u8>, severity: Severity) -> CaseRun {
        let assertion =
            Assertion { name: "a".into(), query: "T".into(), expectation: Expectation::Empty, severity, line: None };
        let outcome = match status_of {
            Ok(passed) => {
                Ok(Verdict { passed, found: String::new(), row_count: 0, value: None, offending: Offending::None })
            }
            Err(code) => {
                Err(CaseError { exit_code: code, kind: "query", message: String::new(), rendered: String::new() })
            }
        };
        CaseRun::new(assertion, Duration::ZERO, outcome)
    }

    fn code(cases: Vec<CaseRun>) -> u8 {
        let suite =
            SuiteRun { label: String::new(), file: None, class_name: String::new(), workspace: String::new(), cases };
        exit_code(&Run { suites: vec![suite], ingest: None, duration: Duration::ZERO })
    }

    #[test]
    fn the_worst_outcome_wins() {
        assert_eq!(code(vec![]), 0);
        assert_eq!(code(vec![case(Ok(true), Severity::Error)]), 0);
        assert_eq!(code(vec![case(Ok(false), Severity::Warning)]), 0);
        assert_eq!(code(vec![case(Ok(false), Severity::Error), case(Ok(true), Severity::Error)]), 1);
        assert_eq!(code(vec![case(Ok(false), Severity::Error), case(Err(2), Severity::Warning)]), 2);
        assert_eq!(code(vec![case(Err(3), Severity::Error), case(Err(2), Severity::Error)]), 3);
    }
}
