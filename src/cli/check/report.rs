//! What a check run found, and its text and JSON reports.

use std::fmt::Write as _;
use std::time::Duration;

use kqlog::output::{self, Format, cell};
use kqlog::{Error, QueryResult};
use serde_json::Value as Json;

use super::spec::{Assertion, Offending, Severity, TableDiff, Verdict, rows_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pass,
    /// An error-severity expectation did not hold.
    Fail,
    /// A warning-severity expectation did not hold.
    Warn,
    /// The query could not be parsed, planned or run.
    Error,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Warn => "WARN",
            Status::Error => "ERROR",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Warn => "warn",
            Status::Error => "error",
        }
    }
}

/// A query that could not run, already rendered: `Error` cannot be cloned
/// and a broken workspace is reported once per assertion.
#[derive(Debug, Clone)]
pub struct CaseError {
    pub exit_code: u8,
    /// `query` or `io`.
    pub kind: &'static str,
    /// The first line, for one-line messages.
    pub message: String,
    /// With the query's caret for query errors.
    pub rendered: String,
}

impl CaseError {
    pub fn new(e: &Error, query: &str) -> CaseError {
        let rendered = e.render(query, "query");
        let message = rendered.lines().next().unwrap_or("").to_string();
        let kind = match e {
            Error::Query(_) => "query",
            Error::Io(_) => "io",
            Error::Usage(_) => "usage",
        };
        CaseError { exit_code: e.exit_code(), kind, message, rendered }
    }
}

#[derive(Debug, Clone)]
pub struct CaseRun {
    pub assertion: Assertion,
    pub status: Status,
    pub duration: Duration,
    pub verdict: Option<Verdict>,
    pub error: Option<CaseError>,
}

impl CaseRun {
    pub fn new(assertion: Assertion, duration: Duration, outcome: Result<Verdict, CaseError>) -> CaseRun {
        let (status, verdict, error) = match outcome {
            Ok(v) => {
                let status = match (v.passed, assertion.severity) {
                    (true, _) => Status::Pass,
                    (false, Severity::Error) => Status::Fail,
                    (false, Severity::Warning) => Status::Warn,
                };
                (status, Some(v), None)
            }
            // A warning's broken query still breaks the run: the check itself is wrong.
            Err(e) => (Status::Error, None, Some(e)),
        };
        CaseRun { assertion, status, duration, verdict, error }
    }

    /// `expected no rows, found 3 rows`.
    pub fn summary(&self) -> String {
        match (&self.verdict, &self.error) {
            (_, Some(e)) => e.message.clone(),
            (Some(v), None) => format!("expected {}, found {}", self.assertion.expectation.describe(), v.found),
            (None, None) => String::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SuiteRun {
    /// The file as named, or `command line`.
    pub label: String,
    /// The file path, for annotations; `None` for a one-liner.
    pub file: Option<String>,
    pub class_name: String,
    pub workspace: String,
    pub cases: Vec<CaseRun>,
}

impl SuiteRun {
    pub fn duration(&self) -> Duration {
        self.cases.iter().map(|c| c.duration).sum()
    }

    pub fn count(&self, status: Status) -> usize {
        self.cases.iter().filter(|c| c.status == status).count()
    }
}

#[derive(Debug, Clone)]
pub struct Run {
    pub suites: Vec<SuiteRun>,
    /// The `--ingest` summary, when logs were ingested first.
    pub ingest: Option<kqlog::ingest::Stats>,
    pub duration: Duration,
}

impl Run {
    pub fn cases(&self) -> impl Iterator<Item = (&SuiteRun, &CaseRun)> {
        self.suites.iter().flat_map(|s| s.cases.iter().map(move |c| (s, c)))
    }

    pub fn count(&self, status: Status) -> usize {
        self.suites.iter().map(|s| s.count(status)).sum()
    }

    /// `3 passed, 1 failed, 0 warnings, 0 errors`.
    pub fn summary(&self) -> String {
        format!(
            "{} passed, {} failed, {} warnings, {} errors",
            self.count(Status::Pass),
            self.count(Status::Fail),
            self.count(Status::Warn),
            self.count(Status::Error)
        )
    }
}

/// `12 ms`, `1.25 s`.
pub fn duration_text(d: Duration) -> String {
    if d < Duration::from_secs(1) { format!("{} ms", d.as_millis()) } else { format!("{:.2} s", d.as_secs_f64()) }
}

/// A name on one line: one-liners are named by their query, which may span lines.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Why an assertion did not pass: expected and found, then the offending
/// rows as `rows_as` (a table for people, CSV for annotations), or the error.
pub fn details(case: &CaseRun, rows_as: Format, width: Option<u16>) -> String {
    if let Some(e) = &case.error {
        return e.rendered.clone();
    }
    let Some(v) = &case.verdict else { return String::new() };
    if v.passed {
        return String::new();
    }
    let mut out = case.summary();
    match &v.offending {
        Offending::None => {}
        Offending::Rows(rows) => {
            let shown = rows.num_rows();
            if shown < v.row_count {
                let _ = write!(out, "\nthe first {} of {}:", rows_text(shown), v.row_count);
            }
            out.push('\n');
            out.push_str(render_rows(rows, rows_as, width).trim_end());
        }
        Offending::Diff(d) => {
            out.push('\n');
            out.push_str(&diff_text(d));
        }
    }
    out
}

fn render_rows(rows: &QueryResult, format: Format, width: Option<u16>) -> String {
    let mut buf = Vec::new();
    match output::write(rows, format, width, &mut buf) {
        Ok(()) => String::from_utf8_lossy(&buf).into_owned(),
        Err(e) => format!("(the rows could not be shown: {e})"),
    }
}

/// The header, then `- row` for expected rows not found and `+ row` for
/// rows found but not expected, as CSV lines.
fn diff_text(d: &TableDiff) -> String {
    let mut out = format!("  {}", csv_line(&d.header));
    for (sign, rows, total) in [("-", &d.missing, d.missing_total), ("+", &d.unexpected, d.unexpected_total)] {
        for r in rows {
            let _ = write!(out, "\n{sign} {}", csv_line(r));
        }
        if total > rows.len() {
            let _ = write!(out, "\n{sign} … {} more", total - rows.len());
        }
    }
    out
}

pub fn csv_line(cells: &[String]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|s| if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.clone() })
        .collect();
    quoted.join(",")
}

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| if l.is_empty() { String::new() } else { format!("{by}{l}") }).collect::<Vec<_>>().join("\n")
}

/// The text report: one line per assertion, the details of those that did
/// not pass, and the summary line.
pub fn text(run: &Run, width: Option<u16>) -> String {
    const INDENT: &str = "       ";
    let mut out = String::new();
    if let Some(s) = &run.ingest {
        let rows: u64 = s.rows.values().sum();
        let _ = writeln!(out, "ingested {rows} rows ({} rejected lines) into a temporary workspace", s.rejected);
    }
    let inner = width.map(|w| w.saturating_sub(INDENT.len() as u16).max(40));
    for suite in &run.suites {
        let _ = writeln!(out, "{} (workspace: {})", suite.label, suite.workspace);
        let names: Vec<String> = suite.cases.iter().map(|c| one_line(&c.assertion.name)).collect();
        let pad = names.iter().map(|n| n.chars().count()).max().unwrap_or(0).min(60);
        for (case, name) in suite.cases.iter().zip(&names) {
            let _ = writeln!(out, "{:<6} {name:<pad$}  {}", case.status.label(), duration_text(case.duration));
            let d = details(case, Format::Table, inner);
            if !d.is_empty() {
                let _ = writeln!(out, "{}", indent(&d, INDENT));
            }
        }
    }
    let _ = writeln!(out, "{}", run.summary());
    out
}

/// The JSON report: the summary, then every assertion.
pub fn json(run: &Run, exit_code: u8) -> Json {
    let assertions: Vec<Json> = run.cases().map(|(s, c)| case_json(s, c)).collect();
    let mut summary = serde_json::Map::new();
    summary.insert("passed".into(), Json::from(run.count(Status::Pass)));
    summary.insert("failed".into(), Json::from(run.count(Status::Fail)));
    summary.insert("warnings".into(), Json::from(run.count(Status::Warn)));
    summary.insert("errors".into(), Json::from(run.count(Status::Error)));
    summary.insert("exit_code".into(), Json::from(exit_code));
    summary.insert("duration_ms".into(), Json::from(millis(run.duration)));
    let mut doc = serde_json::Map::new();
    doc.insert("summary".into(), Json::Object(summary));
    if let Some(s) = &run.ingest {
        doc.insert("ingest".into(), serde_json::to_value(s).unwrap_or(Json::Null));
    }
    doc.insert("assertions".into(), Json::Array(assertions));
    Json::Object(doc)
}

fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn case_json(suite: &SuiteRun, c: &CaseRun) -> Json {
    let a = &c.assertion;
    let mut m = serde_json::Map::new();
    m.insert("file".into(), suite.file.as_deref().map_or(Json::Null, Json::from));
    m.insert("workspace".into(), Json::from(suite.workspace.as_str()));
    m.insert("name".into(), Json::from(a.name.as_str()));
    m.insert("status".into(), Json::from(c.status.name()));
    m.insert("severity".into(), Json::from(a.severity.name()));
    m.insert("query".into(), Json::from(a.query.as_str()));
    m.insert("expectation".into(), a.expectation.to_json());
    let actual = match &c.verdict {
        Some(v) => {
            let mut actual = serde_json::Map::new();
            actual.insert("rows".into(), Json::from(v.row_count));
            if let Some(value) = &v.value {
                actual.insert("value".into(), value.clone());
            }
            actual.insert("description".into(), Json::from(v.found.as_str()));
            Json::Object(actual)
        }
        None => Json::Null,
    };
    m.insert("actual".into(), actual);
    m.insert("duration_ms".into(), Json::from(millis(c.duration)));
    m.insert("error".into(), c.error.as_ref().map_or(Json::Null, |e| Json::from(e.rendered.as_str())));
    if let Some(v) = c.verdict.as_ref().filter(|v| !v.passed) {
        match &v.offending {
            Offending::None => {}
            Offending::Rows(rows) => {
                m.insert("rows".into(), Json::Array(row_objects(rows)));
            }
            Offending::Diff(d) => {
                m.insert("missing_rows".into(), Json::Array(cells_objects(&d.header, &d.missing)));
                m.insert("unexpected_rows".into(), Json::Array(cells_objects(&d.header, &d.unexpected)));
            }
        }
    }
    Json::Object(m)
}

/// Rows as objects keyed by column, values in kqlog's JSON format.
fn row_objects(r: &QueryResult) -> Vec<Json> {
    let mut out = Vec::new();
    for b in &r.batches {
        for i in 0..b.num_rows() {
            let mut m = serde_json::Map::new();
            for (f, c) in r.schema.fields().iter().zip(b.columns()) {
                m.insert(f.name().clone(), cell::json(c.as_ref(), i));
            }
            out.push(Json::Object(m));
        }
    }
    out
}

fn cells_objects(header: &[String], rows: &[Vec<String>]) -> Vec<Json> {
    rows.iter()
        .map(|r| Json::Object(header.iter().cloned().zip(r.iter().map(|c| Json::from(c.as_str()))).collect()))
        .collect()
}
