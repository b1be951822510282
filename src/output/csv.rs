//! RFC 4180 CSV with a header row.

use std::io::Write;

use crate::engine::QueryResult;
use crate::output::cell;

pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

pub fn write(r: &QueryResult, out: &mut dyn Write) -> std::io::Result<()> {
    let header: Vec<String> = r.schema.fields().iter().map(|f| field(f.name())).collect();
    writeln!(out, "{}", header.join(","))?;
    for b in &r.batches {
        for i in 0..b.num_rows() {
            let row: Vec<String> = b.columns().iter().map(|c| field(&cell::text(c.as_ref(), i))).collect();
            // A row whose only cell is empty would read as a blank line.
            if row.len() == 1 && row[0].is_empty() {
                writeln!(out, "\"\"")?;
            } else {
                writeln!(out, "{}", row.join(","))?;
            }
        }
    }
    Ok(())
}
