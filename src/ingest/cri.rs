//! Kubernetes CRI log lines: `<time> <stream> <P|F> <text>`, times with
//! the node's zone offset (normalised to UTC), `P` fragments joined with
//! the `F` that ends them.

use crate::error::Result;
use crate::ingest::docker::{Partials, parse_time};
use crate::ingest::sink::{Container, Sink};
use crate::ingest::source::{self, Reading};

/// Splits a CRI line into (time, stream, is_last, text).
pub fn parse(line: &str) -> Option<(Option<i64>, &str, bool, &str)> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let (time_text, rest) = line.split_once(' ')?;
    let (stream, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    if stream != "stdout" && stream != "stderr" {
        return None;
    }
    let (tag, text) = rest.split_once(' ').unwrap_or((rest, ""));
    let last = match tag.split(':').next() {
        Some("F") => true,
        Some("P") => false,
        _ => return None,
    };
    let t = parse_time(time_text)?;
    Some((t, stream, last, text))
}

/// True when a line looks like CRI (used to pick the format per file).
pub fn looks_like(line: &str) -> bool {
    parse(line).is_some()
}

pub fn read_lines(sink: &mut Sink, r: &mut Reading, c: &Container) -> Result<()> {
    let mut buf = Vec::new();
    let mut parts = Partials::resume(&r.pending);
    while r.next_line(&mut buf)?.is_some() {
        sink.stats.bytes += buf.len() as u64 + 1;
        let this_line = r.line_no - 1;
        let text = source::text(&buf);
        if text.trim().is_empty() {
            continue;
        }
        let Some((t, stream, last, content)) = parse(&text) else {
            sink.reject(&r.display, this_line, "not a CRI log line (`<time> <stream> <P|F> <text>`)", &text);
            continue;
        };
        if let Some((line, t0)) = parts.add(stream, content, t, last) {
            sink.log_line(c, t0, stream, &line)?;
        }
        if sink.needs_checkpoint() && parts.is_empty() {
            r.mark(sink, r.offset, r.line_no);
            sink.checkpoint()?;
        }
    }
    // Lines still waiting for their end are completed next time.
    crate::ingest::source::mark_with_pending(sink, r.entry, r.offset, r.line_no, parts.fragments());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let (t, s, last, text) = parse("2026-11-03T17:00:01.5+08:00 stderr P part one").unwrap();
        assert_eq!((s, last, text), ("stderr", false, "part one"));
        assert_eq!(t.map(crate::types::time::format_datetime).as_deref(), Some("2026-11-03T09:00:01.5000000Z"));
        assert!(parse("garbage without fields").is_none());
        assert!(parse("2026-11-03T09:00:00Z stdout F").is_some());
    }
}
