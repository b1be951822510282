//! Log Analytics exports of any table: the query REST API response, the
//! `az monitor log-analytics query` array, data-export JSON Lines, and the
//! portal's CSV export. Known tables get their Azure schema (an export may
//! carry fewer columns: the rest are empty); other tables take the types
//! the export declares, else the types its values show.

use std::path::Path;
use std::sync::Arc;

use arrow::datatypes::{Field, Schema, SchemaRef};
use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::ingest::rows::Value;
use crate::ingest::schema::{self, TableDef};
use crate::ingest::sink::Sink;
use crate::ingest::{DateOrder, ExportKind, source};
use crate::types::{KType, time};

/// One input column: its name as exported and its Kusto type if declared.
#[derive(Debug, Clone)]
struct Column {
    name: String,
    ty: Option<KType>,
}

/// A value read from an export cell.
enum Cell {
    Null,
    Text(String),
    Long(i64),
    Real(f64),
    Bool(bool),
    Time(i64),
    Span(i64),
    Json(String),
}

impl Cell {
    fn value(&self) -> Value<'_> {
        match self {
            Cell::Null => Value::Null,
            Cell::Text(s) => Value::Str(s),
            Cell::Long(x) => Value::Long(*x),
            Cell::Real(x) => Value::Real(*x),
            Cell::Bool(b) => Value::Bool(*b),
            Cell::Time(t) => Value::Time(*t),
            Cell::Span(t) => Value::Span(*t),
            Cell::Json(j) => Value::Json(j),
        }
    }
}

fn kusto_type(name: &str) -> Option<KType> {
    Some(match name.to_ascii_lowercase().as_str() {
        "bool" | "boolean" => KType::Bool,
        "int" => KType::Int,
        "long" => KType::Long,
        "real" | "double" => KType::Real,
        "decimal" => KType::Decimal,
        "string" => KType::String,
        "guid" => KType::Guid,
        "datetime" => KType::DateTime,
        "timespan" => KType::TimeSpan,
        "dynamic" => KType::Dynamic,
        _ => return None,
    })
}

/// `2/25/2025, 9:19:25.391 AM` (the portal's CSV dates).
pub fn parse_portal_datetime(s: &str, order: DateOrder) -> Option<i64> {
    let s = s.trim();
    let (date, rest) = s.split_once([',', ' '])?;
    let mut d = date.split(['/', '.', '-']);
    let (a, b, y) = (d.next()?.parse::<u32>().ok()?, d.next()?.parse::<u32>().ok()?, d.next()?.parse::<i32>().ok()?);
    let (month, day) = match order {
        DateOrder::Mdy => (a, b),
        DateOrder::Dmy => (b, a),
    };
    let rest = rest.trim_start_matches(',').trim();
    let (clock, ampm) = match rest.rsplit_once(' ') {
        Some((c, m)) if m.eq_ignore_ascii_case("AM") || m.eq_ignore_ascii_case("PM") => {
            (c, Some(m.to_ascii_uppercase()))
        }
        _ => (rest, None),
    };
    let mut parts = clock.split(':');
    let mut h: u32 = parts.next()?.trim().parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let sec_text = parts.next().unwrap_or("0");
    match ampm.as_deref() {
        Some("PM") if h < 12 => h += 12,
        Some("AM") if h == 12 => h = 0,
        _ => {}
    }
    let (whole, frac) = sec_text.split_once('.').unwrap_or((sec_text, ""));
    let whole: u32 = whole.trim().parse().ok()?;
    let frac = if frac.is_empty() { String::new() } else { format!(".{frac}") };
    let iso = format!("{y:04}-{month:02}-{day:02}T{h:02}:{m:02}:{whole:02}{frac}Z");
    time::parse_datetime(&iso)
}

/// Python's `str()` of a dict/list (az output) as JSON, when it parses.
fn python_repr_to_json(s: &str) -> Option<Json> {
    let t = s.replace('\'', "\"").replace("True", "true").replace("False", "false").replace("None", "null");
    serde_json::from_str(&t).ok()
}

/// Reads one cell as `ty`.
fn cell(v: &Json, ty: KType, order: DateOrder) -> std::result::Result<Cell, String> {
    if v.is_null() {
        return Ok(Cell::Null);
    }
    let text = match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    // `az` writes Python's None for null.
    if matches!(v, Json::String(s) if s == "None") && ty != KType::String {
        return Ok(Cell::Null);
    }
    let bad = |what: &str| Err(format!("cannot read `{}` as {what}", text.chars().take(60).collect::<String>()));
    if text.is_empty() && ty != KType::String && ty != KType::Guid {
        return Ok(Cell::Null);
    }
    Ok(match ty {
        KType::String | KType::Guid | KType::Null => {
            Cell::Text(if text == "None" && matches!(v, Json::String(_)) { String::new() } else { text })
        }
        KType::Int | KType::Long => match v {
            Json::Number(n) if n.is_i64() => Cell::Long(n.as_i64().unwrap_or_default()),
            _ => match crate::functions::convert::parse_long(&text)
                .or_else(|| text.parse::<f64>().ok().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            {
                Some(x) => Cell::Long(x),
                None => return bad("an integer"),
            },
        },
        KType::Real | KType::Decimal => match crate::functions::convert::parse_real(&text) {
            Some(x) => Cell::Real(x),
            None => return bad("a number"),
        },
        KType::Bool => match text.to_ascii_lowercase().as_str() {
            "true" | "1" => Cell::Bool(true),
            "false" | "0" => Cell::Bool(false),
            _ => return bad("a bool"),
        },
        KType::DateTime => match time::parse_datetime(&text).or_else(|| parse_portal_datetime(&text, order)) {
            Some(t) => Cell::Time(t),
            None => return bad("a datetime"),
        },
        KType::TimeSpan => match time::parse_timespan(&text) {
            Some(t) => Cell::Span(t),
            None => return bad("a timespan"),
        },
        KType::Dynamic => match v {
            Json::String(s) => match serde_json::from_str::<Json>(s).ok().or_else(|| python_repr_to_json(s)) {
                Some(Json::Null) => Cell::Null,
                Some(j @ (Json::Object(_) | Json::Array(_))) => Cell::Json(j.to_string()),
                _ => Cell::Json(Json::String(s.clone()).to_string()),
            },
            other => Cell::Json(other.to_string()),
        },
    })
}

/// The type values of a column show (for tables kqlog does not know).
fn infer(values: &[&Json]) -> KType {
    let present: Vec<&Json> = values
        .iter()
        .copied()
        .filter(|v| !v.is_null() && v.as_str() != Some("None") && v.as_str() != Some(""))
        .collect();
    if present.is_empty() {
        return KType::String;
    }
    let all = |f: &dyn Fn(&Json) -> bool| present.iter().all(|v| f(v));
    if all(&|v| v.is_boolean() || matches!(v.as_str(), Some("True" | "False" | "true" | "false"))) {
        return KType::Bool;
    }
    if all(&|v| {
        v.is_i64()
            || v.as_str().is_some_and(|s| crate::functions::convert::parse_long(s).is_some() && !s.starts_with("0x"))
    }) {
        return KType::Long;
    }
    if all(&|v| v.is_number() || v.as_str().is_some_and(|s| crate::functions::convert::parse_real(s).is_some())) {
        return KType::Real;
    }
    if all(&|v| v.as_str().is_some_and(|s| s.len() >= 10 && time::parse_datetime(s).is_some())) {
        return KType::DateTime;
    }
    if all(&|v| v.is_object() || v.is_array()) {
        return KType::Dynamic;
    }
    KType::String
}

/// The target table: `--table`, a known table named by the file or a
/// folder (`ContainerLog.json`, `am-containerlog/…`), else the `Type` column.
fn target_table(sink: &Sink, path: &Path, type_value: Option<&str>) -> Result<String> {
    if let Some(t) = &sink.opts.table {
        return Ok(schema::known(t).map_or_else(|| t.clone(), |d| d.name.to_string()));
    }
    let stem = path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
    if let Some(d) = stem.split(['-', '_', '.', ' ']).find_map(schema::known) {
        return Ok(d.name.to_string());
    }
    for comp in path.components().rev() {
        let c = comp.as_os_str().to_string_lossy();
        if let Some(name) = c.strip_prefix("am-") {
            return Ok(schema::known(name).map_or_else(|| name.to_string(), |d| d.name.to_string()));
        }
    }
    if let Some(t) = type_value.filter(|t| !t.is_empty() && *t != "PrimaryResult") {
        return Ok(schema::known(t).map_or_else(|| t.to_string(), |d| d.name.to_string()));
    }
    Err(Error::io(format!(
        "cannot tell which table `{}` holds: name it with `--table NAME` (e.g. --table ContainerLog)",
        path.display()
    )))
}

/// Writes rows given as (columns, rows of JSON values).
fn write_rows(sink: &mut Sink, path: &Path, columns: &[Column], rows: &[Vec<Json>]) -> Result<u64> {
    let type_ix = columns.iter().position(|c| c.name.eq_ignore_ascii_case("Type"));
    let type_value = type_ix.and_then(|k| rows.first().and_then(|r| r.get(k))).and_then(Json::as_str);
    let table = target_table(sink, path, type_value)?;
    let order = sink.opts.date_order;
    let known: Option<&'static TableDef> = schema::known(&table);
    // Map each input column to an output column with a type.
    let (schema_ref, mapping): (SchemaRef, Vec<Option<(usize, KType)>>) = match known {
        Some(def) => {
            let m = columns.iter().map(|c| def.find(&c.name).map(|k| (k, def.columns[k].1))).collect();
            (def.schema(), m)
        }
        None => {
            let mut fields = Vec::new();
            let mut m = Vec::new();
            for (k, c) in columns.iter().enumerate() {
                let ty = c.ty.unwrap_or_else(|| infer(&rows.iter().filter_map(|r| r.get(k)).collect::<Vec<_>>()));
                let ty = if ty == KType::Guid { KType::String } else { ty };
                m.push(Some((fields.len(), ty)));
                fields.push(Field::new(c.name.clone(), ty.arrow(), true));
            }
            (Arc::new(Schema::new(fields)), m)
        }
    };
    sink.ensure_table(&table, schema_ref.clone())?;
    let display = path.display().to_string();
    let mut written = 0;
    for (k, row) in rows.iter().enumerate() {
        let mut cells: Vec<(usize, Cell)> = Vec::with_capacity(columns.len());
        let mut error = None;
        for (c, v) in row.iter().enumerate() {
            let Some(Some((out, ty))) = mapping.get(c) else { continue };
            match cell(v, *ty, order) {
                Ok(x) => cells.push((*out, x)),
                Err(e) => {
                    error = Some(format!("column `{}`: {e}", columns[c].name));
                    break;
                }
            }
        }
        if let Some(e) = error {
            sink.reject(&display, k as u64 + 1, &e, &Json::Array(row.clone()).to_string());
            continue;
        }
        let t = sink.table_with_schema(&table, schema_ref.clone());
        for (out, c) in &cells {
            t.set(*out, c.value());
        }
        if let Some(def) = known
            && let Some(ix) = def.index("Type")
        {
            t.set(ix, Value::Str(def.name));
        }
        sink.end_row(&table)?;
        written += 1;
    }
    Ok(written)
}

fn find_tables(v: &Json) -> Option<&Vec<Json>> {
    match v {
        Json::Object(m) => {
            if let Some(Json::Array(t)) = m.get("tables") {
                return Some(t);
            }
            m.values().find_map(find_tables)
        }
        _ => None,
    }
}

fn rest_api(sink: &mut Sink, path: &Path, doc: &Json) -> Result<()> {
    let Some(tables) = find_tables(doc) else {
        return Err(Error::io(format!("`{}` has no `tables` array", path.display())));
    };
    for t in tables {
        let columns: Vec<Column> = t
            .get("columns")
            .and_then(Json::as_array)
            .map(|cs| {
                cs.iter()
                    .map(|c| Column {
                        name: c
                            .get("name")
                            .or_else(|| c.get("ColumnName"))
                            .and_then(Json::as_str)
                            .unwrap_or("")
                            .to_string(),
                        ty: c.get("type").or_else(|| c.get("ColumnType")).and_then(Json::as_str).and_then(kusto_type),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let rows: Vec<Vec<Json>> = t
            .get("rows")
            .and_then(Json::as_array)
            .map(|rs| rs.iter().filter_map(|r| r.as_array().cloned()).collect())
            .unwrap_or_default();
        write_rows(sink, path, &columns, &rows)?;
    }
    Ok(())
}

/// Objects (az output, JSON Lines) as columns in order of first appearance.
fn objects(sink: &mut Sink, path: &Path, objs: Vec<serde_json::Map<String, Json>>) -> Result<()> {
    let mut names: Vec<String> = Vec::new();
    for o in &objs {
        for k in o.keys() {
            if k != "TableName" && !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    let columns: Vec<Column> = names.iter().map(|n| Column { name: n.clone(), ty: None }).collect();
    let rows: Vec<Vec<Json>> =
        objs.iter().map(|o| names.iter().map(|n| o.get(n).cloned().unwrap_or(Json::Null)).collect()).collect();
    write_rows(sink, path, &columns, &rows)?;
    Ok(())
}

fn csv_file(sink: &mut Sink, path: &Path, bytes: &[u8]) -> Result<()> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = rdr.headers().map_err(|e| Error::io(format!("`{}`: {e}", path.display())))?.clone();
    let columns: Vec<Column> = headers
        .iter()
        .map(|h| {
            let name = h.trim().trim_start_matches('\u{feff}');
            let name = name.split(" [").next().unwrap_or(name).trim();
            Column { name: name.to_string(), ty: None }
        })
        .collect();
    let mut rows = Vec::new();
    let display = path.display().to_string();
    for (k, rec) in rdr.records().enumerate() {
        match rec {
            Ok(r) => rows
                .push(r.iter().map(|v| if v.is_empty() { Json::Null } else { Json::String(v.to_string()) }).collect()),
            Err(e) => sink.reject(&display, k as u64 + 2, &format!("not a CSV record: {e}"), ""),
        }
    }
    // Portal dates (`11/3/2026, 9:19:25.391 AM`) need their type declared.
    let mut columns = columns;
    for (k, c) in columns.iter_mut().enumerate() {
        let vals: Vec<&Json> = rows.iter().filter_map(|r: &Vec<Json>| r.get(k)).filter(|v| !v.is_null()).collect();
        if !vals.is_empty()
            && vals.iter().all(|v| v.as_str().is_some_and(|s| parse_portal_datetime(s, sink.opts.date_order).is_some()))
        {
            c.ty = Some(KType::DateTime);
        }
    }
    write_rows(sink, path, &columns, &rows)?;
    Ok(())
}

/// Reads an export file (already known to be one).
pub fn ingest(sink: &mut Sink, path: &Path, kind: ExportKind) -> Result<()> {
    let Some(mut r) = source::begin(sink, path)? else { return Ok(()) };
    let bytes = source::read_all_lines(path)?;
    sink.stats.bytes += bytes.len() as u64;
    let bad = |e: serde_json::Error| Error::io(format!("`{}` is not valid JSON: {e}", path.display()));
    match kind {
        ExportKind::RestApi => {
            let doc: Json = serde_json::from_slice(&bytes).map_err(bad)?;
            rest_api(sink, path, &doc)?;
        }
        ExportKind::AzArray => {
            let doc: Json = serde_json::from_slice(&bytes).map_err(bad)?;
            let objs =
                doc.as_array().map(|a| a.iter().filter_map(|o| o.as_object().cloned()).collect()).unwrap_or_default();
            objects(sink, path, objs)?;
        }
        ExportKind::JsonLines => {
            let text = String::from_utf8_lossy(&bytes);
            let mut objs = Vec::new();
            for (k, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Json>(line) {
                    Ok(Json::Object(o)) => objs.push(o),
                    _ => sink.reject(&path.display().to_string(), k as u64 + 1, "not a JSON object", line),
                }
            }
            objects(sink, path, objs)?;
        }
        ExportKind::Csv => csv_file(sink, path, &bytes)?,
    }
    // The whole file is read: mark it consumed.
    r.offset = bytes.len() as u64;
    r.mark(sink, r.offset, 1);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portal_dates() {
        let t = parse_portal_datetime("2/25/2025, 9:19:25.391 AM", DateOrder::Mdy).unwrap();
        assert_eq!(time::format_datetime(t), "2025-02-25T09:19:25.3910000Z");
        let t = parse_portal_datetime("25/2/2025, 9:19:25 PM", DateOrder::Dmy).unwrap();
        assert_eq!(time::format_datetime(t), "2025-02-25T21:19:25.0000000Z");
    }
}
