//! `externaldata`: rows read at planning time from local files named in
//! the query. Values arrive as text (CSV, TSV, JSON lines) or as Parquet
//! columns and are converted to the declared types the way `toT()` would.
//! kqlog reads nothing from the network: URLs and blob URIs are refused.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::LogicalPlanBuilder;

use crate::diag::{Diagnostic, codes};
use crate::plan::ops::col;
use crate::plan::{PResult, Pipe, Planner, Typed, df_err, scope, typing};
use crate::syntax::ast::{self, Ident, TypeName};
use crate::syntax::span::Span;
use crate::types::KType;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Csv,
    Tsv,
    Json,
    Parquet,
    Txt,
}

impl Planner<'_> {
    pub(crate) fn external_data(
        &mut self,
        columns: &[(Ident, TypeName)],
        paths: &[(String, Span)],
        options: &[(Ident, ast::Expr)],
        span: Span,
    ) -> PResult<Pipe> {
        let mut format = None;
        let mut skip_first = false;
        for (name, value) in options {
            let t = self.const_expr(value)?;
            let v = self.fold(&t.expr);
            match (name.name.as_str(), v) {
                ("format", Some(ScalarValue::Utf8(Some(f)))) => {
                    format = Some(match f.to_ascii_lowercase().as_str() {
                        "csv" => Format::Csv,
                        "tsv" | "tsve" => Format::Tsv,
                        "json" | "multijson" => Format::Json,
                        "parquet" => Format::Parquet,
                        "txt" | "raw" => Format::Txt,
                        other => {
                            return Err(Diagnostic::new(
                                codes::UNSUPPORTED_FEATURE,
                                format!("externaldata format `{other}` is not supported"),
                            )
                            .at(value.span)
                            .help("formats are csv, tsv, json, parquet, txt"));
                        }
                    });
                }
                ("ignoreFirstRecord", Some(ScalarValue::Boolean(Some(b)))) => skip_first = b,
                (other, _) => {
                    return Err(Diagnostic::new(
                        codes::BAD_VALUE,
                        format!("unsupported externaldata option `{other}`"),
                    )
                    .at(name.span)
                    .help("options are format and ignoreFirstRecord"));
                }
            }
        }
        let mut texts: Vec<Vec<Option<String>>> = vec![Vec::new(); columns.len()];
        let mut parquet: Vec<RecordBatch> = Vec::new();
        for (path, pspan) in paths {
            check_local(path, *pspan)?;
            let fmt = format.unwrap_or_else(|| guess_format(path));
            let io =
                |e: std::io::Error| Diagnostic::new(codes::BAD_VALUE, format!("cannot read `{path}`: {e}")).at(*pspan);
            match fmt {
                Format::Parquet => {
                    let file = std::fs::File::open(path).map_err(io)?;
                    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                        .and_then(|b| b.build())
                        .map_err(|e| {
                            Diagnostic::new(codes::BAD_VALUE, format!("cannot read `{path}`: {e}")).at(*pspan)
                        })?;
                    for batch in reader {
                        parquet.push(batch.map_err(|e| df_err(e.into(), *pspan))?);
                    }
                }
                Format::Json => {
                    let text = std::fs::read_to_string(path).map_err(io)?;
                    read_json_lines(&text, columns, &mut texts, *pspan)?;
                }
                Format::Csv | Format::Tsv | Format::Txt => {
                    let bytes = std::fs::read(path).map_err(io)?;
                    read_delimited(&bytes, fmt, skip_first, columns, &mut texts, *pspan)?;
                }
            }
        }
        if !parquet.is_empty() {
            return self.typed_parquet(parquet, columns, span);
        }
        let schema = Arc::new(Schema::new(
            columns.iter().map(|(n, _)| Field::new(&n.name, DataType::Utf8, true)).collect::<Vec<_>>(),
        ));
        let arrays: Vec<ArrayRef> = texts
            .into_iter()
            .map(|col| {
                let mut b = StringBuilder::new();
                for v in col {
                    b.append_option(v);
                }
                Arc::new(b.finish()) as ArrayRef
            })
            .collect();
        let batch = RecordBatch::try_new(Arc::clone(&schema), arrays).map_err(|e| df_err(e.into(), span))?;
        let raw = self.mem_table(schema, vec![batch], span)?;
        let exprs = columns
            .iter()
            .map(|(n, t)| {
                let text = Typed::new(col(&n.name), KType::String);
                typing::convert_to(text, KType::from_type_name(*t)).expr.alias(n.name.clone())
            })
            .collect::<Vec<_>>();
        let plan =
            LogicalPlanBuilder::from(raw.plan).project(exprs).and_then(|b| b.build()).map_err(|e| df_err(e, span))?;
        Ok(Pipe::new(plan))
    }

    /// Parquet columns by name, converted to the declared types.
    fn typed_parquet(&mut self, batches: Vec<RecordBatch>, columns: &[(Ident, TypeName)], span: Span) -> PResult<Pipe> {
        let schema = batches[0].schema();
        let raw = self.mem_table(schema, batches, span)?;
        let mut exprs = Vec::new();
        for (n, t) in columns {
            let ty = KType::from_type_name(*t);
            let e = match scope::find_column(raw.schema(), &n.name) {
                Some(c) => typing::convert_to(c, ty).expr,
                None => typing::null_of(ty),
            };
            exprs.push(e.alias(n.name.clone()));
        }
        let plan =
            LogicalPlanBuilder::from(raw.plan).project(exprs).and_then(|b| b.build()).map_err(|e| df_err(e, span))?;
        Ok(Pipe::new(plan))
    }
}

/// Refuses anything that is not a local path.
fn check_local(path: &str, span: Span) -> PResult<()> {
    let lower = path.to_ascii_lowercase();
    let remote = lower.contains("://")
        || lower.starts_with("h@")
        || lower.starts_with("\\\\")
        || lower.contains(";sharedaccesssignature");
    if remote {
        return Err(Diagnostic::new(
            codes::UNSUPPORTED_FEATURE,
            format!("`{path}` is not a local file: kqlog reads nothing from the network"),
        )
        .at(span)
        .help("download the file first and name its local path"));
    }
    Ok(())
}

fn guess_format(path: &str) -> Format {
    let p = path.to_ascii_lowercase();
    let p = p.strip_suffix(".gz").unwrap_or(&p);
    if p.ends_with(".parquet") {
        Format::Parquet
    } else if p.ends_with(".json") || p.ends_with(".jsonl") || p.ends_with(".ndjson") {
        Format::Json
    } else if p.ends_with(".tsv") {
        Format::Tsv
    } else {
        Format::Csv
    }
}

/// CSV/TSV fields by position; `txt` is one line per row in the first column.
fn read_delimited(
    bytes: &[u8],
    fmt: Format,
    skip_first: bool,
    columns: &[(Ident, TypeName)],
    out: &mut [Vec<Option<String>>],
    span: Span,
) -> PResult<()> {
    if fmt == Format::Txt {
        let text = String::from_utf8_lossy(bytes);
        for line in text.lines().skip(usize::from(skip_first)) {
            for (k, col) in out.iter_mut().enumerate() {
                col.push(if k == 0 { Some(line.to_string()) } else { None });
            }
        }
        return Ok(());
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(if fmt == Format::Tsv { b'\t' } else { b',' })
        .from_reader(bytes);
    for (n, record) in reader.records().enumerate() {
        let record = record.map_err(|e| Diagnostic::new(codes::BAD_VALUE, format!("bad CSV record: {e}")).at(span))?;
        if n == 0 && skip_first {
            continue;
        }
        for (k, col) in out.iter_mut().enumerate().take(columns.len()) {
            col.push(record.get(k).map(str::to_string));
        }
    }
    Ok(())
}

/// One JSON object per line; fields by column name.
fn read_json_lines(
    text: &str,
    columns: &[(Ident, TypeName)],
    out: &mut [Vec<Option<String>>],
    span: Span,
) -> PResult<()> {
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| {
            Diagnostic::new(codes::BAD_VALUE, format!("line {} is not a JSON object: {e}", n + 1)).at(span)
        })?;
        for (k, (name, _)) in columns.iter().enumerate() {
            out[k].push(match v.get(&name.name) {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(other) => Some(other.to_string()),
            });
        }
    }
    Ok(())
}
