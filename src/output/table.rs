//! An aligned grid for people, fitted to the terminal's width.

use std::io::Write;

use comfy_table::{ContentArrangement, Table, presets};

use crate::engine::QueryResult;
use crate::output::cell;

/// Longest cell shown before truncation with an ellipsis.
const MAX_CELL: usize = 120;

fn shorten(s: String) -> String {
    let s = s.replace('\n', "⏎");
    if s.chars().count() > MAX_CELL {
        let cut: String = s.chars().take(MAX_CELL - 1).collect();
        format!("{cut}…")
    } else {
        s
    }
}

pub fn write(r: &QueryResult, width: Option<u16>, out: &mut dyn Write) -> std::io::Result<()> {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED);
    if let Some(w) = width {
        t.set_width(w).set_content_arrangement(ContentArrangement::Dynamic);
    }
    t.set_header(r.schema.fields().iter().map(|f| f.name().clone()));
    for b in &r.batches {
        for i in 0..b.num_rows() {
            t.add_row(b.columns().iter().map(|c| shorten(cell::text(c.as_ref(), i))));
        }
    }
    writeln!(out, "{t}")
}
