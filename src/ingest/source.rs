//! Reading one input file: transparent gzip, identification through the
//! manifest, resuming at the consumed offset, and complete lines only (a
//! line still being written is left for the next run).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::error::{Error, Result};
use crate::ingest::sink::Sink;
use crate::ingest::store::{Fragment, HEAD_LEN, SourceEntry, hash_hex, read_head};

fn open_raw(path: &Path) -> Result<Box<dyn Read + Send>> {
    let f = File::open(path).map_err(|e| Error::io(format!("cannot read `{}`: {e}", path.display())))?;
    let mut magic = [0u8; 2];
    let gz = {
        let mut probe = File::open(path).map_err(|e| Error::io(format!("cannot read `{}`: {e}", path.display())))?;
        probe.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b]
    };
    if gz { Ok(Box::new(flate2::read::MultiGzDecoder::new(f))) } else { Ok(Box::new(f)) }
}

/// An input being read, positioned after what earlier runs consumed.
pub struct Reading {
    reader: BufReader<Box<dyn Read + Send>>,
    /// Byte offset (in the decompressed stream) of the next line.
    pub offset: u64,
    /// Number of the next line (1-based).
    pub line_no: u64,
    /// Index of this source's manifest entry.
    pub entry: usize,
    pub display: String,
    /// Line fragments an earlier run left waiting for their end.
    pub pending: Vec<Fragment>,
}

/// Starts reading `path`, or `None` when it is empty or fully ingested.
pub fn begin(sink: &mut Sink, path: &Path) -> Result<Option<Reading>> {
    let display = path.display().to_string();
    let head = read_head(&mut open_raw(path)?).map_err(|e| Error::io(format!("cannot read `{display}`: {e}")))?;
    if head.is_empty() {
        return Ok(None);
    }
    let manifest = &mut sink.store.manifest;
    let entry = match manifest.find(&head) {
        Some(k) => k,
        None => {
            manifest.sources.push(SourceEntry {
                path: display.clone(),
                head_len: head.len().min(HEAD_LEN) as u64,
                head_hash: hash_hex(&head),
                consumed: 0,
                lines: 0,
                pending: Vec::new(),
            });
            manifest.sources.len() - 1
        }
    };
    manifest.sources[entry].path = display.clone();
    let (consumed, lines) = (manifest.sources[entry].consumed, manifest.sources[entry].lines);
    let mut reader = BufReader::with_capacity(256 * 1024, open_raw(path)?);
    // Skip what earlier runs consumed; a shorter file was truncated: start over.
    let skipped = std::io::copy(&mut (&mut reader).take(consumed), &mut std::io::sink())
        .map_err(|e| Error::io(format!("cannot read `{display}`: {e}")))?;
    let (offset, line_no) = if skipped < consumed {
        reader = BufReader::with_capacity(256 * 1024, open_raw(path)?);
        let fresh = SourceEntry {
            path: display.clone(),
            head_len: head.len() as u64,
            head_hash: hash_hex(&head),
            consumed: 0,
            lines: 0,
            pending: Vec::new(),
        };
        manifest.sources[entry] = fresh;
        (0, 1)
    } else {
        (consumed, lines + 1)
    };
    let pending = manifest.sources[entry].pending.clone();
    let mut r = Reading { reader, offset, line_no, entry, display, pending };
    // An entry fully consumed gives nothing more; check cheaply.
    if r.reader.fill_buf().map(|b| b.is_empty()).unwrap_or(false) {
        return Ok(None);
    }
    r.display = path.display().to_string();
    Ok(Some(r))
}

impl Reading {
    /// The next complete line into `buf` (without the `\n`), and its starting
    /// offset; `None` at the end or before an unterminated last line.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> Result<Option<u64>> {
        buf.clear();
        let start = self.offset;
        let n = self
            .reader
            .read_until(b'\n', buf)
            .map_err(|e| Error::io(format!("cannot read `{}`: {e}", self.display)))?;
        if n == 0 || buf.last() != Some(&b'\n') {
            // Not terminated yet: the writer may still be writing it.
            return Ok(None);
        }
        buf.pop();
        self.offset += n as u64;
        self.line_no += 1;
        Ok(Some(start))
    }

    /// Calls `f` with the next complete line (without the `\n`) and its
    /// number, reading it in place from the buffer when it lies there
    /// whole, else through `scratch`; `None` as `next_line`.
    pub fn with_next_line<T>(&mut self, scratch: &mut Vec<u8>, f: impl FnOnce(&[u8], u64) -> T) -> Result<Option<T>> {
        let avail = self.reader.fill_buf().map_err(|e| Error::io(format!("cannot read `{}`: {e}", self.display)))?;
        if let Some(p) = memchr::memchr(b'\n', avail) {
            let out = f(&avail[..p], self.line_no);
            self.reader.consume(p + 1);
            self.offset += p as u64 + 1;
            self.line_no += 1;
            return Ok(Some(out));
        }
        let line = self.line_no;
        Ok(self.next_line(scratch)?.map(|_| f(scratch, line)))
    }

    /// Records that everything before `offset` has become rows.
    pub fn mark(&self, sink: &mut Sink, offset: u64, next_line: u64) {
        mark_entry(sink, self.entry, offset, next_line);
    }
}

/// Like `next_line`, but a final unterminated line is returned too (for
/// inputs that are complete files, such as exports).
pub fn read_all_lines(path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_raw(path)?.read_to_end(&mut bytes).map_err(|e| Error::io(format!("cannot read `{}`: {e}", path.display())))?;
    Ok(bytes)
}

/// Bytes as text, replacing invalid UTF-8.
pub fn text(buf: &[u8]) -> std::borrow::Cow<'_, str> {
    // `from_utf8` validates valid text several times faster than the lossy
    // decoder's chunk walk; almost every log line takes this path.
    match std::str::from_utf8(buf) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(buf),
    }
}

/// Records that everything before `offset` of manifest entry `entry` has
/// become rows.
pub fn mark_entry(sink: &mut Sink, entry: usize, offset: u64, next_line: u64) {
    mark_with_pending(sink, entry, offset, next_line, Vec::new());
}

/// Records that everything before `offset` has been read: rows, or the
/// `pending` fragments of lines not yet complete.
pub fn mark_with_pending(sink: &mut Sink, entry: usize, offset: u64, next_line: u64, pending: Vec<Fragment>) {
    let e = &mut sink.store.manifest.sources[entry];
    e.consumed = offset;
    e.lines = next_line.saturating_sub(1);
    e.pending = pending;
}

/// The manifest entry of `path`, known by its first bytes.
pub fn entry_of(sink: &Sink, path: &Path) -> Option<usize> {
    let head = read_head(&mut open_raw(path).ok()?).ok()?;
    if head.is_empty() {
        return None;
    }
    sink.store.manifest.find(&head)
}
