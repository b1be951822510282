//! JSON (an array of objects) and NDJSON (one object per line).

use std::io::Write;

use serde_json::{Map, Value as Json};

use crate::engine::QueryResult;
use crate::output::cell;

pub fn rows(r: &QueryResult) -> impl Iterator<Item = Json> + '_ {
    r.batches.iter().flat_map(move |b| {
        (0..b.num_rows()).map(move |i| {
            let mut m = Map::new();
            for (f, c) in r.schema.fields().iter().zip(b.columns()) {
                m.insert(f.name().clone(), cell::json(c.as_ref(), i));
            }
            Json::Object(m)
        })
    })
}

pub fn write(r: &QueryResult, lines: bool, out: &mut dyn Write) -> std::io::Result<()> {
    if lines {
        for row in rows(r) {
            writeln!(out, "{row}")?;
        }
        return Ok(());
    }
    write!(out, "[")?;
    for (k, row) in rows(r).enumerate() {
        if k > 0 {
            write!(out, ",")?;
        }
        write!(out, "\n  {row}")?;
    }
    writeln!(out, "\n]")
}
