//! Plain captures of `docker logs [--timestamps]` or `kubectl logs`: one
//! line per record, optionally prefixed with an RFC 3339 time. Without a
//! prefix, a LogMonitor record's own time is used; otherwise the time is
//! null and the row is still kept.

use std::path::Path;

use crate::error::Result;
use crate::ingest::docker::strip_terminator;
use crate::ingest::sink::{Container, Sink, split_image};
use crate::ingest::source;
use crate::types::time;

/// Splits a `--timestamps` prefix off a line.
pub fn split_timestamp(line: &str) -> (Option<i64>, &str) {
    let b = line.as_bytes();
    let looks =
        b.len() > 20 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && (b[10] == b'T' || b[10] == b't');
    if looks
        && let Some((head, rest)) = line.split_once(' ')
        && let Some(t) = time::parse_datetime(head)
    {
        return (Some(t), rest);
    }
    (None, line)
}

pub fn container_for(path: &Path, name: Option<&str>, id: Option<&str>, image: Option<&str>) -> Container {
    let stem = path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
    let name = name.map(str::to_string).unwrap_or(stem);
    let image = image.unwrap_or("").to_string();
    let (repository, image_name, image_tag) = if image.is_empty() { Default::default() } else { split_image(&image) };
    Container {
        id: id.unwrap_or("").into(),
        log_name: name.as_str().into(),
        name: name.into(),
        image: image.into(),
        image_name: image_name.into(),
        image_tag: image_tag.into(),
        repository: repository.into(),
        ..Default::default()
    }
}

pub fn ingest(sink: &mut Sink, path: &Path) -> Result<()> {
    let o = &sink.opts;
    let c = container_for(path, o.container.as_deref(), o.container_id.as_deref(), o.image.as_deref());
    let Some(mut r) = source::begin(sink, path)? else { return Ok(()) };
    let mut buf = Vec::new();
    while r.next_line(&mut buf)?.is_some() {
        sink.stats.bytes += buf.len() as u64 + 1;
        let text = source::text(&buf);
        let line = strip_terminator(&text);
        if line.trim().is_empty() {
            continue;
        }
        let (t, rest) = split_timestamp(line);
        sink.log_line(&c, t, "stdout", rest)?;
        if sink.needs_checkpoint() {
            r.mark(sink, r.offset, r.line_no);
            sink.checkpoint()?;
        }
    }
    r.mark(sink, r.offset, r.line_no);
    Ok(())
}
