//! A GitHub-flavoured Markdown table.

use std::io::Write;

use crate::engine::QueryResult;
use crate::output::cell;

fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', "<br>")
}

pub fn write(r: &QueryResult, out: &mut dyn Write) -> std::io::Result<()> {
    let names: Vec<String> = r.schema.fields().iter().map(|f| escape(f.name())).collect();
    writeln!(out, "| {} |", names.join(" | "))?;
    writeln!(out, "|{}|", vec!["---"; names.len()].join("|"))?;
    for b in &r.batches {
        for i in 0..b.num_rows() {
            let row: Vec<String> = b.columns().iter().map(|c| escape(&cell::text(c.as_ref(), i))).collect();
            writeln!(out, "| {} |", row.join(" | "))?;
        }
    }
    Ok(())
}
