//! Writing results: an aligned table for people, CSV/JSON/NDJSON/Markdown
//! for programs, with Kusto's value formats (see `cell.rs`).

pub mod cell;
mod csv;
mod json;
mod markdown;
pub mod parquet;
mod table;

use std::io::Write;

use crate::engine::QueryResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
    Ndjson,
    Markdown,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "table" => Format::Table,
            "csv" => Format::Csv,
            "json" => Format::Json,
            "ndjson" | "jsonl" => Format::Ndjson,
            "markdown" | "md" => Format::Markdown,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Markdown => "markdown",
        }
    }
}

/// Writes a result. `width` limits the table format (a terminal's width).
pub fn write(result: &QueryResult, format: Format, width: Option<u16>, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        Format::Table => table::write(result, width, out),
        Format::Csv => csv::write(result, out),
        Format::Json => json::write(result, false, out),
        Format::Ndjson => json::write(result, true, out),
        Format::Markdown => markdown::write(result, out),
    }
}
