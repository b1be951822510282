//! The assertion file: its TOML schema, validation into a [`Suite`], and the
//! expectations with their evaluation as pure functions of a query result.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use kqlog::functions::convert::{self, Value};
use kqlog::output::{self, Format, cell};
use kqlog::types::time::{parse_datetime, parse_timespan};
use kqlog::{Error, QueryResult};
use serde::Deserialize;
use serde_json::Value as Json;

/// A check file as written. Unknown keys are refused so a typo such as
/// `expcet` cannot silently turn an assertion into one that always passes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    workspace: Option<String>,
    now: Option<toml::Value>,
    #[serde(default)]
    parameters: BTreeMap<String, toml::Value>,
    #[serde(default, rename = "assert")]
    assertions: Vec<RawAssertion>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssertion {
    name: Option<String>,
    query: toml::Spanned<String>,
    expect: Option<String>,
    rows: Option<toml::Value>,
    value: Option<toml::Value>,
    matches: Option<String>,
    ordered: Option<bool>,
    severity: Option<String>,
}

/// The assertions of one file (or of a command-line one-liner).
#[derive(Debug, Clone)]
pub struct Suite {
    /// The file as named on the command line; `None` for a one-liner.
    pub path: Option<PathBuf>,
    /// The file's `workspace`, resolved against the file's folder.
    pub workspace: Option<PathBuf>,
    /// The file's `now`, used when `--now` is absent.
    pub now: Option<i64>,
    /// The file's `[parameters]`, as KQL literal text.
    pub parameters: HashMap<String, String>,
    pub assertions: Vec<Assertion>,
}

impl Suite {
    /// A suite of one assertion named by its query, for `--expect-*`.
    pub fn one_liner(query: String, expectation: Expectation) -> Suite {
        let assertion = Assertion { name: query.clone(), query, expectation, severity: Severity::Error, line: None };
        Suite { path: None, workspace: None, now: None, parameters: HashMap::new(), assertions: vec![assertion] }
    }

    /// How reports name the suite: the file, or `command line`.
    pub fn label(&self) -> String {
        self.path.as_ref().map_or_else(|| "command line".to_string(), |p| p.display().to_string())
    }

    /// JUnit's `classname`: `kqlog.<file stem>`.
    pub fn class_name(&self) -> String {
        let stem = self.path.as_ref().and_then(|p| p.file_stem()).map(|s| s.to_string_lossy().to_string());
        format!("kqlog.{}", stem.as_deref().unwrap_or("check"))
    }
}

#[derive(Debug, Clone)]
pub struct Assertion {
    pub name: String,
    pub query: String,
    pub expectation: Expectation,
    pub severity: Severity,
    /// The line of the assertion's `query` in its file, for annotations.
    pub line: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    /// Reported, but never fails the run.
    Warning,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Two-character operators first, so `<=` is not read as `<` then `=`.
const OPS: [(&str, Op); 6] =
    [("==", Op::Eq), ("!=", Op::Ne), ("<=", Op::Le), (">=", Op::Ge), ("<", Op::Lt), (">", Op::Gt)];

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    /// Whether `actual <op> expected` holds, given `actual.cmp(expected)`.
    pub fn holds(self, ord: Ordering) -> bool {
        match self {
            Op::Eq => ord == Ordering::Equal,
            Op::Ne => ord != Ordering::Equal,
            Op::Lt => ord == Ordering::Less,
            Op::Le => ord != Ordering::Greater,
            Op::Gt => ord == Ordering::Greater,
            Op::Ge => ord != Ordering::Less,
        }
    }
}

/// An expected table: a header and rows of cells, as kqlog's CSV prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    Empty,
    NotEmpty,
    Rows(Op, u64),
    /// The first cell of the first row compared with the operand.
    Value(Op, String),
    Matches {
        table: Table,
        ordered: bool,
    },
}

impl Expectation {
    pub fn kind(&self) -> &'static str {
        match self {
            Expectation::Empty => "empty",
            Expectation::NotEmpty => "not_empty",
            Expectation::Rows(..) => "rows",
            Expectation::Value(..) => "value",
            Expectation::Matches { .. } => "matches",
        }
    }

    /// The expectation in words: `no rows`, `at most 3 rows`, `value >= 2`.
    pub fn describe(&self) -> String {
        match self {
            Expectation::Empty => "no rows".into(),
            Expectation::NotEmpty => "at least one row".into(),
            Expectation::Rows(op, n) => {
                let rows = rows_text(usize::try_from(*n).unwrap_or(usize::MAX));
                match op {
                    Op::Eq => format!("exactly {rows}"),
                    Op::Ne => format!("any number of rows but {n}"),
                    Op::Lt => format!("fewer than {rows}"),
                    Op::Le => format!("at most {rows}"),
                    Op::Gt => format!("more than {rows}"),
                    Op::Ge => format!("at least {rows}"),
                }
            }
            Expectation::Value(op, v) => format!("value {} {}", op.symbol(), shown(v)),
            Expectation::Matches { table, ordered } => {
                let order = if *ordered { ", in order" } else { "" };
                format!("the expected table ({}{order})", rows_text(table.rows.len()))
            }
        }
    }

    pub fn to_json(&self) -> Json {
        let mut m = serde_json::Map::new();
        m.insert("kind".into(), Json::from(self.kind()));
        match self {
            Expectation::Empty | Expectation::NotEmpty => {}
            Expectation::Rows(op, n) => {
                m.insert("operator".into(), Json::from(op.symbol()));
                m.insert("operand".into(), Json::from(*n));
            }
            Expectation::Value(op, v) => {
                m.insert("operator".into(), Json::from(op.symbol()));
                m.insert("operand".into(), Json::from(v.as_str()));
            }
            Expectation::Matches { table, ordered } => {
                m.insert("ordered".into(), Json::from(*ordered));
                m.insert("rows".into(), Json::from(table.rows.len()));
            }
        }
        m.insert("description".into(), Json::from(self.describe()));
        Json::Object(m)
    }
}

/// `3 rows`, `1 row`, `no rows`.
pub fn rows_text(n: usize) -> String {
    match n {
        0 => "no rows".into(),
        1 => "1 row".into(),
        _ => format!("{n} rows"),
    }
}

/// A value for a message: empty text (also null) would otherwise vanish.
fn shown(v: &str) -> String {
    if v.is_empty() { "\"\" (empty or null)".into() } else { v.to_string() }
}

/// Reads and validates a check file. A missing or unreadable file is an
/// I/O error (3); anything wrong inside it is a usage error (64).
pub fn load(path: &Path) -> Result<Suite, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("cannot read check file `{}`: {e}", path.display())))?;
    parse(&text, path)
}

/// Validates the text of the check file `path`.
pub fn parse(text: &str, path: &Path) -> Result<Suite, Error> {
    let file = path.display();
    let raw: RawFile = toml::from_str(text)
        .map_err(|e| Error::Usage(format!("`{file}` is not a valid check file:\n{}", e.to_string().trim_end())))?;
    let mut problems = Vec::new();
    let now = match &raw.now {
        None => None,
        Some(v) => {
            let t = match v {
                toml::Value::String(s) => s.clone(),
                toml::Value::Datetime(d) => d.to_string(),
                other => other.to_string(),
            };
            let parsed = parse_datetime(&t);
            if parsed.is_none() {
                problems.push(format!("`now`: `{t}` is not a datetime (use ISO 8601, e.g. 2026-11-03T12:00:00Z)"));
            }
            parsed
        }
    };
    let mut parameters = HashMap::new();
    for (k, v) in &raw.parameters {
        match literal(v) {
            Ok(s) => {
                parameters.insert(k.clone(), s);
            }
            Err(e) => problems.push(format!("parameter `{k}`: {e}")),
        }
    }
    if raw.assertions.is_empty() {
        problems.push("no assertions: add at least one `[[assert]]` table with a `query`".into());
    }
    let mut assertions = Vec::new();
    for (i, a) in raw.assertions.into_iter().enumerate() {
        let line = text.get(..a.query.span().start).map(|s| s.matches('\n').count() + 1);
        let name = match a.name.as_deref().map(str::trim) {
            Some(n) if !n.is_empty() => n.to_string(),
            _ => default_name(a.query.get_ref()),
        };
        let at = match line {
            Some(l) => format!("assertion {} `{name}` (line {l})", i + 1),
            None => format!("assertion {} `{name}`", i + 1),
        };
        if a.query.get_ref().trim().is_empty() {
            problems.push(format!("{at}: `query` is empty"));
        }
        let severity = match a.severity.as_deref() {
            None | Some("error") => Severity::Error,
            Some("warning") => Severity::Warning,
            Some(s) => {
                problems.push(format!("{at}: severity `{s}`: use \"error\" (the default) or \"warning\""));
                Severity::Error
            }
        };
        let expectation = match expectation(&a) {
            Ok(e) => e,
            Err(e) => {
                problems.push(format!("{at}: {e}"));
                continue;
            }
        };
        assertions.push(Assertion { name, query: a.query.into_inner(), expectation, severity, line });
    }
    if !problems.is_empty() {
        let lines: Vec<String> = problems.iter().map(|p| format!("`{file}`: {p}")).collect();
        return Err(Error::Usage(lines.join("\n")));
    }
    let workspace = raw.workspace.map(|w| path.parent().unwrap_or(Path::new("")).join(w));
    Ok(Suite { path: Some(path.to_path_buf()), workspace, now, parameters, assertions })
}

/// A one-liner's or an unnamed assertion's name: the query's first line.
fn default_name(query: &str) -> String {
    let first = query.trim().lines().next().unwrap_or("").trim();
    if first.chars().count() > 80 { format!("{}…", first.chars().take(79).collect::<String>()) } else { first.into() }
}

/// A `[parameters]` value as the KQL literal `--set` would take.
fn literal(v: &toml::Value) -> Result<String, String> {
    match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        // Debug keeps the `.0` of whole reals, so they stay reals in KQL.
        toml::Value::Float(f) => Ok(format!("{f:?}")),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        toml::Value::Datetime(d) => Ok(format!("datetime({d})")),
        _ => Err("use KQL literal text (a string), a number, a boolean or a datetime".into()),
    }
}

fn expectation(a: &RawAssertion) -> Result<Expectation, String> {
    let given: Vec<&str> = [
        ("expect", a.expect.is_some()),
        ("rows", a.rows.is_some()),
        ("value", a.value.is_some()),
        ("matches", a.matches.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, present)| present.then_some(k))
    .collect();
    if given.len() != 1 {
        let found = if given.is_empty() { "none".to_string() } else { given.join(" and ") };
        return Err(format!("give exactly one of `expect`, `rows`, `value` or `matches` (found {found})"));
    }
    if a.ordered.is_some() && a.matches.is_none() {
        return Err("`ordered` applies only to `matches`".into());
    }
    if let Some(e) = &a.expect {
        return match e.as_str() {
            "empty" => Ok(Expectation::Empty),
            "not_empty" => Ok(Expectation::NotEmpty),
            _ => Err(format!("expect = \"{e}\": use \"empty\" or \"not_empty\"")),
        };
    }
    if let Some(r) = &a.rows {
        let (op, n) = match r {
            toml::Value::Integer(n) => {
                let n = u64::try_from(*n).map_err(|_| format!("rows = {n}: a row count cannot be negative"))?;
                (Op::Eq, n)
            }
            toml::Value::String(s) => row_count(s)?,
            other => return Err(format!("rows = {other}: use a count such as 0 or a comparison such as \"<= 3\"")),
        };
        return Ok(Expectation::Rows(op, n));
    }
    if let Some(v) = &a.value {
        let (op, operand) = match v {
            toml::Value::String(s) => comparison(s).map_err(|e| format!("value: {e}"))?,
            toml::Value::Integer(i) => (Op::Eq, i.to_string()),
            toml::Value::Float(f) => (Op::Eq, f.to_string()),
            toml::Value::Boolean(b) => (Op::Eq, b.to_string()),
            toml::Value::Datetime(d) => (Op::Eq, d.to_string()),
            other => return Err(format!("value = {other}: use a value or a comparison such as \"<= 3\"")),
        };
        return Ok(Expectation::Value(op, operand));
    }
    let text = a.matches.as_deref().unwrap_or("");
    let table = parse_table(text).map_err(|e| format!("matches: {e}"))?;
    Ok(Expectation::Matches { table, ordered: a.ordered.unwrap_or(false) })
}

/// `"<= 3"`, `"3"` (meaning `== 3`) for `rows` and `--expect-rows`.
pub fn row_count(s: &str) -> Result<(Op, u64), String> {
    let (op, operand) = comparison(s).map_err(|e| format!("rows: {e}"))?;
    let n = operand
        .parse::<u64>()
        .map_err(|_| format!("rows = \"{s}\": expected a row count such as \"0\", \"<= 3\" or \"> 10\""))?;
    Ok((op, n))
}

/// Splits `"<= 3"` into operator and operand; no operator means `==`. A
/// quoted operand (`'== "<none>"'`) may hold operator characters and spaces.
pub fn comparison(s: &str) -> Result<(Op, String), String> {
    let t = s.trim();
    let (op, rest, explicit) = match OPS.iter().find_map(|(sym, op)| t.strip_prefix(sym).map(|r| (*op, r))) {
        Some((op, r)) => (op, r.trim_start(), true),
        None => (Op::Eq, t, false),
    };
    if rest.starts_with(['=', '<', '>', '!']) {
        return Err(format!("`{s}` has an unknown comparison: use ==, !=, <, <=, > or >="));
    }
    if explicit && rest.is_empty() {
        return Err(format!("`{s}` has nothing after `{}`", op.symbol()));
    }
    Ok((op, unquote(rest).to_string()))
}

fn unquote(s: &str) -> &str {
    ['"', '\'']
        .into_iter()
        .find_map(|q| s.strip_prefix(q).and_then(|r| r.strip_suffix(q)))
        .filter(|_| s.len() >= 2)
        .unwrap_or(s)
}

/// Reads a table in kqlog's CSV format. Fields are trimmed and blank lines
/// skipped so the table can be indented inside the TOML file.
pub fn parse_table(text: &str) -> Result<Table, String> {
    let kept: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let joined = kept.join("\n");
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(joined.as_bytes());
    let mut rows = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| format!("not CSV: {e}"))?;
        rows.push(rec.iter().map(str::to_string).collect::<Vec<String>>());
    }
    let mut it = rows.into_iter();
    let header = it.next().ok_or("the table is empty: give at least its header row")?;
    Ok(Table { header, rows: it.collect() })
}

/// The outcome of one expectation against one result.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub passed: bool,
    /// What was found, in words: `3 rows`, `value 137`.
    pub found: String,
    pub row_count: usize,
    /// The first cell, for `value` expectations.
    pub value: Option<Json>,
    pub offending: Offending,
}

/// What a failure shows.
#[derive(Debug, Clone)]
pub enum Offending {
    None,
    /// The first rows of the result (`Verdict::row_count` says how many it had).
    Rows(QueryResult),
    /// How the result differs from the expected table.
    Diff(TableDiff),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDiff {
    pub header: Vec<String>,
    /// Expected rows the result lacks (the first `max_rows`).
    pub missing: Vec<Vec<String>>,
    /// Result rows the table does not have (the first `max_rows`).
    pub unexpected: Vec<Vec<String>>,
    pub missing_total: usize,
    pub unexpected_total: usize,
}

/// Judges `result` against `expectation`; failures keep at most `max_rows`
/// rows to show.
pub fn evaluate(expectation: &Expectation, result: &QueryResult, max_rows: usize) -> Verdict {
    let n = result.num_rows();
    let rows_verdict = |passed: bool, found: String| Verdict {
        passed,
        found,
        row_count: n,
        value: None,
        offending: if passed || n == 0 { Offending::None } else { Offending::Rows(head(result, max_rows)) },
    };
    match expectation {
        Expectation::Empty => rows_verdict(n == 0, rows_text(n)),
        Expectation::NotEmpty => rows_verdict(n > 0, rows_text(n)),
        Expectation::Rows(op, want) => rows_verdict(op.holds((n as u64).cmp(want)), rows_text(n)),
        Expectation::Value(op, operand) => match first_cell(result) {
            None => rows_verdict(false, format!("{} (no value to compare)", rows_text(n))),
            Some(c) => {
                let mut v = rows_verdict(compare(*op, &c, operand), format!("value {}", shown(&c.text)));
                v.value = Some(c.json);
                v
            }
        },
        Expectation::Matches { table, ordered } => match_table(table, *ordered, result, max_rows),
    }
}

/// The first `n` rows of a result.
pub fn head(r: &QueryResult, n: usize) -> QueryResult {
    let mut left = n;
    let mut batches = Vec::new();
    for b in &r.batches {
        if left == 0 {
            break;
        }
        let take = b.num_rows().min(left);
        if take > 0 {
            batches.push(b.slice(0, take));
        }
        left -= take;
    }
    QueryResult { schema: r.schema.clone(), batches, render: None }
}

/// A cell as its type compares: numbers as numbers, datetimes and
/// timespans as instants and durations, the rest as text.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Long(i64),
    Real(f64),
    DateTime(i64),
    TimeSpan(i64),
    Bool(bool),
    Text,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub scalar: Scalar,
    /// As kqlog prints it (CSV cell text).
    pub text: String,
    pub json: Json,
}

fn first_cell(r: &QueryResult) -> Option<Cell> {
    let b = r.batches.iter().find(|b| b.num_rows() > 0 && b.num_columns() > 0)?;
    let a = b.column(0).as_ref();
    let scalar = match convert::value_at(a, 0) {
        Ok(Value::Long(x)) => Scalar::Long(x),
        Ok(v @ (Value::Real(_) | Value::Decimal(..))) => convert::to_real(v).map_or(Scalar::Text, Scalar::Real),
        Ok(Value::DateTime(t)) => Scalar::DateTime(t),
        Ok(Value::TimeSpan(t)) => Scalar::TimeSpan(t),
        Ok(Value::Bool(b)) => Scalar::Bool(b),
        _ => Scalar::Text,
    };
    Some(Cell { scalar, text: cell::text(a, 0), json: cell::json(a, 0) })
}

/// `actual <op> operand`, by the cell's type when the operand reads as
/// that type, else as numbers when both read as numbers, else as text.
pub fn compare(op: Op, actual: &Cell, operand: &str) -> bool {
    let operand = operand.trim();
    let typed = match &actual.scalar {
        Scalar::Long(x) => operand
            .parse::<i64>()
            .ok()
            .map(|y| x.cmp(&y))
            .or_else(|| number(operand).and_then(|y| (*x as f64).partial_cmp(&y))),
        Scalar::Real(x) => number(operand).and_then(|y| x.partial_cmp(&y)),
        Scalar::DateTime(t) => parse_datetime(operand).map(|y| t.cmp(&y)),
        Scalar::TimeSpan(t) => parse_timespan(operand).map(|y| t.cmp(&y)),
        Scalar::Bool(b) => match operand.to_ascii_lowercase().as_str() {
            "true" => Some(b.cmp(&true)),
            "false" => Some(b.cmp(&false)),
            _ => None,
        },
        Scalar::Text => match (number(&actual.text), number(operand)) {
            (Some(x), Some(y)) => x.partial_cmp(&y),
            _ => None,
        },
    };
    let ord = typed.unwrap_or_else(|| actual.text.as_str().cmp(operand));
    op.holds(ord)
}

/// A finite number; `NaN`/`inf` stay text so they compare by name.
fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

fn match_table(expected: &Table, ordered: bool, result: &QueryResult, max_rows: usize) -> Verdict {
    let n = result.num_rows();
    let mut verdict =
        Verdict { passed: false, found: String::new(), row_count: n, value: None, offending: Offending::None };
    let actual = match result_table(result) {
        Ok(t) => t,
        Err(e) => {
            verdict.found = format!("a result that could not be compared ({e})");
            return verdict;
        }
    };
    if actual.header != expected.header {
        verdict.found = format!("columns {} instead of {}", actual.header.join(","), expected.header.join(","));
        verdict.offending = if n == 0 { Offending::None } else { Offending::Rows(head(result, max_rows)) };
        return verdict;
    }
    let (missing, unexpected) = multiset_diff(&expected.rows, &actual.rows);
    let same_rows = missing.is_empty() && unexpected.is_empty();
    verdict.passed = same_rows && (!ordered || expected.rows == actual.rows);
    verdict.found = if verdict.passed {
        format!("{} as expected", rows_text(n))
    } else if same_rows {
        "the expected rows in another order".into()
    } else {
        format!("{}: {} missing, {} unexpected", rows_text(n), missing.len(), unexpected.len())
    };
    verdict.offending = if verdict.passed {
        Offending::None
    } else if same_rows {
        Offending::Rows(head(result, max_rows))
    } else {
        Offending::Diff(TableDiff {
            header: actual.header,
            missing_total: missing.len(),
            unexpected_total: unexpected.len(),
            missing: missing.into_iter().take(max_rows).collect(),
            unexpected: unexpected.into_iter().take(max_rows).collect(),
        })
    };
    verdict
}

/// The result as the same CSV cells a `matches` table is written in.
fn result_table(r: &QueryResult) -> Result<Table, String> {
    let mut buf = Vec::new();
    output::write(r, Format::Csv, None, &mut buf).map_err(|e| e.to_string())?;
    parse_table(&String::from_utf8_lossy(&buf))
}

/// Rows of `expected` absent from `actual`, and rows of `actual` beyond
/// those expected, counting duplicates.
pub fn multiset_diff(expected: &[Vec<String>], actual: &[Vec<String>]) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let mut pool: HashMap<&[String], usize> = HashMap::new();
    for r in actual {
        *pool.entry(r.as_slice()).or_default() += 1;
    }
    let mut missing = Vec::new();
    for r in expected {
        match pool.get_mut(r.as_slice()) {
            Some(c) if *c > 0 => *c -= 1,
            _ => missing.push(r.clone()),
        }
    }
    let mut unexpected = Vec::new();
    for r in actual {
        if let Some(c) = pool.get_mut(r.as_slice())
            && *c > 0
        {
            *c -= 1;
            unexpected.push(r.clone());
        }
    }
    (missing, unexpected)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::sync::Arc;

    use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};

    use super::*;

    fn result(columns: Vec<(&str, ArrayRef)>) -> QueryResult {
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        QueryResult { schema: batch.schema(), batches: vec![batch], render: None }
    }

    fn names_and_counts(rows: &[(&str, i64)]) -> QueryResult {
        let names: ArrayRef = Arc::new(StringArray::from(rows.iter().map(|r| r.0).collect::<Vec<_>>()));
        let counts: ArrayRef = Arc::new(Int64Array::from(rows.iter().map(|r| r.1).collect::<Vec<_>>()));
        result(vec![("Name", names), ("count_", counts)])
    }

    fn spec(text: &str) -> Result<Suite, Error> {
        parse(text, Path::new("ci/checks.toml"))
    }

    fn usage(text: &str) -> String {
        match spec(text) {
            Err(Error::Usage(m)) => m,
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn comparisons() {
        assert_eq!(comparison("<= 3").unwrap(), (Op::Le, "3".into()));
        assert_eq!(comparison(">=3").unwrap(), (Op::Ge, "3".into()));
        assert_eq!(comparison("Running").unwrap(), (Op::Eq, "Running".into()));
        assert_eq!(comparison("!= 'a b'").unwrap(), (Op::Ne, "a b".into()));
        assert_eq!(comparison("== \"<none>\"").unwrap(), (Op::Eq, "<none>".into()));
        assert!(comparison("=< 3").is_err());
        assert!(comparison("= 3").is_err());
        assert!(comparison("<> 3").is_err());
        assert!(comparison("<=").is_err());
        assert_eq!(row_count("0").unwrap(), (Op::Eq, 0));
        assert_eq!(row_count("> 10").unwrap(), (Op::Gt, 10));
        assert!(row_count("<= many").is_err());
        assert!(row_count("-1").is_err());
    }

    #[test]
    fn operators_hold() {
        assert!(Op::Le.holds(Ordering::Equal) && Op::Le.holds(Ordering::Less) && !Op::Le.holds(Ordering::Greater));
        assert!(Op::Ne.holds(Ordering::Less) && !Op::Ne.holds(Ordering::Equal));
        assert!(Op::Gt.holds(Ordering::Greater) && !Op::Gt.holds(Ordering::Equal));
    }

    #[test]
    fn a_full_file() {
        let s = spec(
            r#"
workspace = "kqlog-data"
now = 2026-11-03T12:00:00Z
[parameters]
since = "datetime(2026-11-03)"
limit = 5

[[assert]]
name = "no exceptions"
query = '''ContainerLog | where LogEntry has "Exception"'''
expect = "empty"

[[assert]]
query = "KubePodInventory | summarize max(ContainerRestartCount)"
value = "<= 3"
severity = "warning"

[[assert]]
name = "budget"
query = "W3CIISLog"
rows = 0

[[assert]]
name = "table"
query = "T"
ordered = true
matches = """
    Name, count_
    iis-web, 23
    """
"#,
        )
        .unwrap();
        assert_eq!(s.workspace.as_deref(), Some(Path::new("ci/kqlog-data")));
        assert_eq!(s.now, parse_datetime("2026-11-03T12:00:00Z"));
        assert_eq!(s.parameters["since"], "datetime(2026-11-03)");
        assert_eq!(s.parameters["limit"], "5");
        assert_eq!(s.assertions.len(), 4);
        assert_eq!(s.assertions[0].expectation, Expectation::Empty);
        assert_eq!(s.assertions[0].line, Some(10));
        assert_eq!(s.assertions[1].name, "KubePodInventory | summarize max(ContainerRestartCount)");
        assert_eq!(s.assertions[1].severity, Severity::Warning);
        assert_eq!(s.assertions[1].expectation, Expectation::Value(Op::Le, "3".into()));
        assert_eq!(s.assertions[2].expectation, Expectation::Rows(Op::Eq, 0));
        let table =
            Table { header: vec!["Name".into(), "count_".into()], rows: vec![vec!["iis-web".into(), "23".into()]] };
        assert_eq!(s.assertions[3].expectation, Expectation::Matches { table, ordered: true });
        assert_eq!(s.class_name(), "kqlog.checks");
    }

    #[test]
    fn bad_files_are_usage_errors_naming_the_problem() {
        let m = usage("[[assert]]\nname = \"x\"\nquery = \"T\"\nexpect = \"empty\"\nrows = 0\n");
        assert!(m.contains("ci/checks.toml") && m.contains("`x`") && m.contains("expect and rows"), "{m}");
        let m = usage("[[assert]]\nquery = \"T\"\nexpcet = \"empty\"\n");
        assert!(m.contains("expcet"), "{m}");
        let m = usage("[[assert]]\nname = \"y\"\nquery = \"T\"\nvalue = \"=> 3\"\n");
        assert!(m.contains("`y`") && m.contains("unknown comparison"), "{m}");
        let m = usage("[[assert]]\nname = \"z\"\nquery = \"T\"\n");
        assert!(m.contains("`z`") && m.contains("found none"), "{m}");
        let m = usage("[[assert]]\nquery = \"T\"\nexpect = \"nothing\"\n");
        assert!(m.contains("not_empty"), "{m}");
        let m = usage("[[assert]]\nquery = \"T\"\nrows = -1\n");
        assert!(m.contains("negative"), "{m}");
        let m = usage("[[assert]]\nquery = \"T\"\nexpect = \"empty\"\nordered = true\n");
        assert!(m.contains("ordered"), "{m}");
        let m = usage("[[assert]]\nquery = \"T\"\nexpect = \"empty\"\nseverity = \"info\"\n");
        assert!(m.contains("severity"), "{m}");
        let m = usage("now = \"soon\"\n[[assert]]\nquery = \"T\"\nexpect = \"empty\"\n");
        assert!(m.contains("now"), "{m}");
        let m = usage("workspace = \"ws\"\n");
        assert!(m.contains("no assertions"), "{m}");
        let m = usage("[[assert]]\nexpect = \"empty\"\n");
        assert!(m.contains("query"), "{m}");
    }

    #[test]
    fn row_expectations() {
        let r = names_and_counts(&[("iis-web", 23), ("orders-api", 15)]);
        let v = evaluate(&Expectation::Empty, &r, 1);
        assert!(!v.passed);
        assert_eq!(v.found, "2 rows");
        match &v.offending {
            Offending::Rows(rows) => assert_eq!(rows.num_rows(), 1),
            other => panic!("{other:?}"),
        }
        assert!(evaluate(&Expectation::NotEmpty, &r, 10).passed);
        assert!(evaluate(&Expectation::Rows(Op::Le, 2), &r, 10).passed);
        assert!(!evaluate(&Expectation::Rows(Op::Eq, 0), &r, 10).passed);
        let empty = head(&r, 0);
        let v = evaluate(&Expectation::Empty, &empty, 10);
        assert!(v.passed && matches!(v.offending, Offending::None));
        assert!(!evaluate(&Expectation::NotEmpty, &empty, 10).passed);
    }

    #[test]
    fn value_expectations_compare_by_type() {
        let r = names_and_counts(&[("iis-web", 23)]);
        let counts = result(vec![("n", Arc::new(Int64Array::from(vec![23])) as ArrayRef)]);
        assert!(evaluate(&Expectation::Value(Op::Eq, "iis-web".into()), &r, 10).passed);
        assert!(evaluate(&Expectation::Value(Op::Le, "100".into()), &counts, 10).passed);
        let v = evaluate(&Expectation::Value(Op::Lt, "9".into()), &counts, 10);
        assert!(!v.passed);
        assert_eq!(v.found, "value 23");
        assert_eq!(v.value, Some(Json::from(23)));
        // A number would sort after "100" as text.
        let text = result(vec![("s", Arc::new(StringArray::from(vec!["23"])) as ArrayRef)]);
        assert!(evaluate(&Expectation::Value(Op::Lt, "100".into()), &text, 10).passed);
        let none = head(&r, 0);
        assert!(!evaluate(&Expectation::Value(Op::Eq, "x".into()), &none, 10).passed);
    }

    #[test]
    fn typed_cells() {
        let t = parse_datetime("2026-11-03T09:00:00Z").unwrap();
        let c = Cell { scalar: Scalar::DateTime(t), text: "2026-11-03T09:00:00.0000000Z".into(), json: Json::Null };
        assert!(compare(Op::Eq, &c, "2026-11-03 09:00"));
        assert!(compare(Op::Lt, &c, "2026-11-03T12:00:00Z"));
        let ts = Cell {
            scalar: Scalar::TimeSpan(parse_timespan("00:05:00").unwrap()),
            text: String::new(),
            json: Json::Null,
        };
        assert!(compare(Op::Eq, &ts, "5m") && compare(Op::Gt, &ts, "00:01:00"));
        let b = Cell { scalar: Scalar::Bool(true), text: "true".into(), json: Json::Null };
        assert!(compare(Op::Eq, &b, "true") && compare(Op::Ne, &b, "false"));
        let real = Cell { scalar: Scalar::Real(1.5), text: "1.5".into(), json: Json::Null };
        assert!(compare(Op::Gt, &real, "1") && compare(Op::Ne, &real, "abc"));
    }

    #[test]
    fn tables_match_regardless_of_order() {
        let r = names_and_counts(&[("orders-api", 15), ("iis-web", 23)]);
        let table = parse_table("Name,count_\niis-web,23\norders-api,15\n").unwrap();
        let unordered = Expectation::Matches { table: table.clone(), ordered: false };
        assert!(evaluate(&unordered, &r, 10).passed);
        let ordered = Expectation::Matches { table, ordered: true };
        let v = evaluate(&ordered, &r, 10);
        assert!(!v.passed);
        assert_eq!(v.found, "the expected rows in another order");

        let wrong = parse_table("Name,count_\niis-web,24\norders-api,15\n").unwrap();
        let v = evaluate(&Expectation::Matches { table: wrong, ordered: false }, &r, 10);
        assert!(!v.passed);
        match v.offending {
            Offending::Diff(d) => {
                assert_eq!(d.missing, vec![vec!["iis-web".to_string(), "24".to_string()]]);
                assert_eq!(d.unexpected, vec![vec!["iis-web".to_string(), "23".to_string()]]);
            }
            other => panic!("{other:?}"),
        }
        let other_columns = parse_table("Name,Lines\n").unwrap();
        let v = evaluate(&Expectation::Matches { table: other_columns, ordered: false }, &r, 10);
        assert!(!v.passed && v.found.contains("columns Name,count_"), "{}", v.found);
    }

    #[test]
    fn duplicates_count() {
        let row = |s: &str| vec![s.to_string()];
        let (missing, unexpected) = multiset_diff(&[row("a"), row("a")], &[row("a"), row("b"), row("b")]);
        assert_eq!(missing, vec![row("a")]);
        assert_eq!(unexpected, vec![row("b"), row("b")]);
    }

    #[test]
    fn quoted_csv_cells() {
        let t = parse_table("a,b\n\"x, y\",\"say \"\"hi\"\"\"\n\"\"\n").unwrap();
        assert_eq!(t.rows, vec![vec!["x, y".to_string(), "say \"hi\"".to_string()], vec![String::new()]]);
    }
}
