//! IIS W3C extended log lines: `#Fields:` directives set the layout of the
//! records that follow, per container and log file; records become
//! W3CIISLog rows.

use std::collections::BTreeMap;

use crate::ingest::rows::{TableBuffer, Value};
use crate::ingest::schema::W3C_IIS_LOG;
use crate::types::time;

/// The current `#Fields` of each (container, file), kept in the manifest
/// so that a resumed ingest still knows them.
pub type FieldsState = BTreeMap<String, Vec<String>>;

pub fn key(container: &str, file: &str) -> String {
    format!("{container}|{file}")
}

/// What a W3C line is.
pub enum Line {
    Directive,
    Record(Vec<String>),
    NotW3c,
}

/// Reads one line in the context of `fields` (the file's current layout).
pub fn classify(line: &str, state: &mut FieldsState, key: &str) -> Line {
    let t = line.trim_end_matches(['\r', '\n']);
    if let Some(rest) = t.strip_prefix("#Fields:") {
        state.insert(key.to_string(), rest.split_whitespace().map(str::to_string).collect());
        return Line::Directive;
    }
    if t.starts_with("#Software:")
        || t.starts_with("#Version:")
        || t.starts_with("#Date:")
        || t.starts_with("#Remark:")
        || t.starts_with("#Start-Date:")
        || t.starts_with("#End-Date:")
    {
        return Line::Directive;
    }
    let Some(fields) = state.get(key) else { return Line::NotW3c };
    // Single spaces separate values; two spaces mean an empty value.
    let values: Vec<String> = t.split(' ').map(str::to_string).collect();
    if values.len() != fields.len() || t.is_empty() {
        return Line::NotW3c;
    }
    if fields.first().is_some_and(|f| f == "date") && time::parse_datetime(&values[0]).is_none() {
        return Line::NotW3c;
    }
    Line::Record(values)
}

fn column_of(field: &str) -> Option<&'static str> {
    Some(match field {
        "s-sitename" => "sSiteName",
        "s-computername" => "sComputerName",
        "s-ip" => "sIP",
        "s-port" => "sPort",
        "cs-method" => "csMethod",
        "cs-uri-stem" => "csUriStem",
        "cs-uri-query" => "csUriQuery",
        "cs-username" => "csUserName",
        "c-ip" => "cIP",
        "cs(User-Agent)" => "csUserAgent",
        "cs(Referer)" => "csReferer",
        "cs(Cookie)" => "csCookie",
        "cs-host" => "csHost",
        "cs-version" => "csVersion",
        "sc-status" => "scStatus",
        "sc-substatus" => "scSubStatus",
        "sc-win32-status" => "scWin32Status",
        "sc-bytes" => "scBytes",
        "cs-bytes" => "csBytes",
        "time-taken" => "TimeTaken",
        _ => return None,
    })
}

/// Appends one record as a W3CIISLog row.
pub fn write_record(t: &mut TableBuffer, fields: &[String], values: &[String], computer: &str, container: &str) {
    let def = &W3C_IIS_LOG;
    let mut date = None;
    let mut clock = None;
    for (f, v) in fields.iter().zip(values) {
        let v = if v == "-" { "" } else { v.as_str() };
        match f.as_str() {
            "date" => date = Some(v.to_string()),
            "time" => clock = Some(v.to_string()),
            other => {
                let Some(col) = column_of(other) else { continue };
                let Some(idx) = def.index(col) else { continue };
                match def.columns[idx].1 {
                    crate::types::KType::Int | crate::types::KType::Long => {
                        t.set(idx, v.parse::<i64>().map_or(Value::Null, Value::Long));
                    }
                    _ => t.set(idx, Value::Str(v)),
                }
            }
        }
    }
    let when = match (date, clock) {
        (Some(d), Some(c)) => time::parse_datetime(&format!("{d} {c}")),
        (Some(d), None) => time::parse_datetime(&d),
        _ => None,
    };
    if let Some(ix) = def.index("TimeGenerated") {
        t.set(ix, when.map_or(Value::Null, Value::Time));
    }
    for (col, v) in
        [("Computer", computer), ("ContainerID", container), ("Type", "W3CIISLog"), ("SourceSystem", "OpsManager")]
    {
        if let Some(ix) = def.index(col) {
            t.set(ix, Value::Str(v));
        }
    }
    t.end_row();
}
