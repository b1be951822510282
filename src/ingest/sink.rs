//! Where parsed records go: per-table row buffers, rejected records, and
//! checkpoints that turn buffered rows into committed Parquet files.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use crate::error::Result;
use crate::ingest::container_rows::{ContainerRows, Line};
use crate::ingest::iis::{self, Line as IisLine};
use crate::ingest::logmonitor::{self, Source};
use crate::ingest::message::{Message, message_and_level};
use crate::ingest::parquet_out::ROW_GROUP_ROWS;
use crate::ingest::rows::{TableBuffer, Value};
use crate::ingest::schema::{CONTAINER_LOG, CONTAINER_LOG_V2, EVENT, TableDef, W3C_IIS_LOG};
use crate::ingest::store::Store;
use crate::ingest::{Options, Stats, level};

/// Rows per Arrow batch while buffering.
const BATCH_ROWS: usize = 32 * 1024;
/// Buffered bytes that trigger a checkpoint (bounds memory). Tests lower
/// it with `KQLOG_CHECKPOINT_BYTES` to get many small commits.
fn checkpoint_bytes() -> usize {
    static LIMIT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::env::var("KQLOG_CHECKPOINT_BYTES").ok().and_then(|v| v.parse().ok()).unwrap_or(32 * 1024 * 1024)
    })
}

/// What is known about the container a log line comes from. Shared
/// strings: `ContainerRows` tells a line's container from the one before
/// by identity instead of comparing texts.
#[derive(Debug, Clone, Default)]
pub struct Container {
    pub id: Arc<str>,
    /// ContainerLog's `Name`: the container name, or `<podUid>/<container>` on Kubernetes.
    pub log_name: Arc<str>,
    /// ContainerLogV2's `ContainerName`.
    pub name: Arc<str>,
    pub image: Arc<str>,
    pub image_name: Arc<str>,
    pub image_tag: Arc<str>,
    pub repository: Arc<str>,
    pub pod_name: Arc<str>,
    pub pod_namespace: Arc<str>,
    pub pod_uid: Arc<str>,
    /// ContainerLogV2's `KubernetesMetadata` as JSON text.
    pub kubernetes: Option<Arc<str>>,
}

/// Splits an image reference into (repository, image, tag):
/// `contoso.azurecr.io/orders-api:2.4.1` → (`contoso.azurecr.io`, `orders-api`, `2.4.1`).
/// A reference without a tag or digest has the tag `latest`.
pub fn split_image(reference: &str) -> (String, String, String) {
    let (without_digest, digest) = match reference.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (reference, None),
    };
    let (path, tag) = match without_digest.rfind(':') {
        Some(p) if !without_digest[p..].contains('/') => (&without_digest[..p], without_digest[p + 1..].to_string()),
        _ => (without_digest, if digest.is_some() || reference.is_empty() { String::new() } else { "latest".into() }),
    };
    let (repo, image) = match path.rfind('/') {
        Some(p) => (path[..p].to_string(), path[p + 1..].to_string()),
        None => (String::new(), path.to_string()),
    };
    (repo, image, tag)
}

pub struct Sink {
    pub store: Store,
    pub opts: Options,
    pub stats: Stats,
    /// Few tables, looked up several times per line: a list beats a map.
    tables: Vec<TableBuffer>,
    pending: BTreeMap<String, (SchemaRef, Vec<RecordBatch>)>,
    pending_bytes: usize,
    rejects: Vec<String>,
    /// The newest log time seen (for inventory rows).
    pub latest_time: Option<i64>,
    /// Reused text buffer for ContainerLogV2 messages.
    scratch: String,
    /// ContainerLog and ContainerLogV2 rows being built.
    containers: ContainerRows,
    container_rows_since_checkpoint: u64,
}

impl Sink {
    pub fn new(store: Store, opts: Options) -> Self {
        Sink {
            store,
            stats: Stats::default(),
            tables: Vec::new(),
            pending: BTreeMap::new(),
            pending_bytes: 0,
            rejects: Vec::new(),
            latest_time: None,
            scratch: String::new(),
            containers: ContainerRows::new(&opts.computer),
            container_rows_since_checkpoint: 0,
            opts,
        }
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.tables.iter().position(|t| t.name == name)
    }

    fn buffer(&mut self, name: &str) -> Option<&mut TableBuffer> {
        self.position(name).map(|i| &mut self.tables[i])
    }

    pub fn table(&mut self, def: &TableDef) -> &mut TableBuffer {
        let i = match self.position(def.name) {
            Some(i) => i,
            None => {
                self.tables.push(TableBuffer::new(def.name, def.schema()));
                self.tables.len() - 1
            }
        };
        &mut self.tables[i]
    }

    /// A table whose schema comes from the input (exports of unknown tables).
    pub fn table_with_schema(&mut self, name: &str, schema: SchemaRef) -> &mut TableBuffer {
        let i = match self.position(name) {
            Some(i) => i,
            None => {
                self.tables.push(TableBuffer::new(name, schema));
                self.tables.len() - 1
            }
        };
        &mut self.tables[i]
    }

    /// Ends the current row of `name`, moving full batches aside.
    pub fn end_row(&mut self, name: &str) -> Result<()> {
        let Some(t) = self.buffer(name) else { return Ok(()) };
        t.end_row();
        if t.rows() >= BATCH_ROWS {
            self.move_aside(name)?;
        }
        Ok(())
    }

    fn move_aside(&mut self, name: &str) -> Result<()> {
        let Some(t) = self.buffer(name) else { return Ok(()) };
        let bytes = t.bytes();
        let schema = t.schema.clone();
        if let Some(b) = t.take()? {
            self.pending_bytes += bytes;
            self.pending.entry(name.to_string()).or_insert_with(|| (schema, Vec::new())).1.push(b);
        }
        Ok(())
    }

    fn move_containers_aside(&mut self) -> Result<()> {
        let bytes = self.containers.bytes();
        if let Some((log, v2)) = self.containers.take()? {
            self.pending_bytes += bytes;
            for (def, b) in [(&CONTAINER_LOG, log), (&CONTAINER_LOG_V2, v2)] {
                self.pending.entry(def.name.to_string()).or_insert_with(|| (def.schema(), Vec::new())).1.push(b);
            }
        }
        Ok(())
    }

    /// Records a line that could not be read, with where and why.
    pub fn reject(&mut self, source: &str, line: u64, reason: &str, text: &str) {
        self.stats.rejected += 1;
        let shown: String = text.chars().take(64 * 1024).collect();
        let rec = serde_json::json!({ "source": source, "line": line, "reason": reason, "text": shown });
        self.pending_bytes += shown.len() + 64;
        self.rejects.push(rec.to_string());
    }

    /// True when enough is buffered that the reader should checkpoint.
    /// Container log lines are cut at whole row groups when that costs at
    /// most another checkpoint's worth: a file of one container then has
    /// only full row groups, whose one-value columns are written from the
    /// chunks kept for them (see `parquet_out`).
    pub fn needs_checkpoint(&self) -> bool {
        let bytes =
            self.pending_bytes + self.containers.bytes() + self.tables.iter().map(TableBuffer::bytes).sum::<usize>();
        bytes >= checkpoint_bytes()
            && (self.container_rows_since_checkpoint.is_multiple_of(ROW_GROUP_ROWS as u64)
                || bytes >= 2 * checkpoint_bytes())
    }

    /// Writes everything buffered and commits it with the manifest.
    pub fn checkpoint(&mut self) -> Result<()> {
        let done = self.store.settle()?;
        self.count(done);
        self.container_rows_since_checkpoint = 0;
        let names: Vec<String> = self.tables.iter().map(|t| t.name.clone()).collect();
        for n in names {
            self.move_aside(&n)?;
        }
        self.move_containers_aside()?;
        for (name, (schema, batches)) in std::mem::take(&mut self.pending) {
            self.store.write_table(&name, &schema, batches)?;
        }
        let rejects = std::mem::take(&mut self.rejects);
        self.store.write_rejects(&rejects)?;
        self.pending_bytes = 0;
        let done = self.store.checkpoint()?;
        self.count(done);
        Ok(())
    }

    /// The final checkpoint: everything written and committed.
    pub fn finish(&mut self) -> Result<()> {
        self.checkpoint()?;
        let done = self.store.settle()?;
        self.count(done);
        Ok(())
    }

    fn count(&mut self, done: Vec<(String, u64)>) {
        for (name, rows) in done {
            *self.stats.rows.entry(name).or_default() += rows;
        }
    }

    /// Creates a table with no rows (an export that declares columns only).
    pub fn ensure_table(&mut self, name: &str, schema: SchemaRef) -> Result<()> {
        if self.position(name).is_some() {
            return Ok(());
        }
        self.table_with_schema(name, schema.clone());
        let empty = RecordBatch::new_empty(schema.clone());
        self.pending.entry(name.to_string()).or_insert_with(|| (schema, Vec::new())).1.push(empty);
        Ok(())
    }

    /// One log line of a container: a ContainerLog row, a ContainerLogV2
    /// row, and Event/W3CIISLog rows for LogMonitor and IIS records in it.
    pub fn log_line(&mut self, c: &Container, time: Option<i64>, stream: &str, text: &str) -> Result<()> {
        let record = logmonitor::parse(text);
        let time = time.or_else(|| record.as_ref().and_then(|r| r.time));
        self.stats.log_lines += 1;
        if self.stats.log_lines.is_multiple_of(4096) {
            if let Some(pb) = &self.opts.progress {
                pb.set_position(self.stats.bytes);
            }
            self.opts.check_cancel()?;
        }
        self.latest_time = self.latest_time.max(time);

        let mut scratch = std::mem::take(&mut self.scratch);
        let (message, level) = match &record {
            Some(r) => {
                scratch.clear();
                scratch.push_str(&r.json.to_string());
                (Message::Json(&scratch), r.level.as_deref().map_or("UNKNOWN", level::from_windows))
            }
            None => message_and_level(text, &mut scratch),
        };
        self.containers.push(c, &Line { time, stream, text, message, level });
        self.container_rows_since_checkpoint += 1;
        self.scratch = scratch;
        if self.containers.rows() >= BATCH_ROWS {
            self.move_containers_aside()?;
        }

        match &record {
            Some(r) if r.source == Source::EventLog => self.event_row(c, r, time)?,
            Some(r) if r.source == Source::File => {
                if let Some((file, line)) = &r.file_line {
                    self.w3c_line(c, file, line)?;
                }
            }
            Some(_) => {}
            None => {
                // v1 LogMonitor prints file lines raw, maybe prefixed with the file name.
                let (file, line) = match text.strip_prefix("[Log File: ").and_then(|r| r.split_once("] ")) {
                    Some((f, l)) => (f, l),
                    None => ("", text),
                };
                self.w3c_line(c, file, line)?;
            }
        }
        Ok(())
    }

    fn w3c_line(&mut self, c: &Container, file: &str, line: &str) -> Result<()> {
        // Most lines are not IIS: skip the lookup unless a layout is known
        // or the line is a directive.
        if self.store.manifest.iis.is_empty() && !line.starts_with('#') {
            return Ok(());
        }
        let key = iis::key(&c.id, file);
        let state = &mut self.store.manifest.iis;
        if let IisLine::Record(values) = iis::classify(line, state, &key) {
            let fields = state.get(&key).cloned().unwrap_or_default();
            let computer = self.opts.computer.clone();
            let t = self.table(&W3C_IIS_LOG);
            iis::write_record(t, &fields, &values, &computer, &c.id);
            // write_record ended the row; account for the batch size.
            if t.rows() >= BATCH_ROWS {
                self.move_aside(W3C_IIS_LOG.name)?;
            }
        }
        Ok(())
    }

    fn event_row(&mut self, c: &Container, r: &logmonitor::Record, time: Option<i64>) -> Result<()> {
        let Some(e) = &r.event else { return Ok(()) };
        let computer = self.opts.computer.clone();
        let level_num: i64 = match e.level.to_ascii_lowercase().as_str() {
            "critical" => 1,
            "error" => 2,
            "warning" => 3,
            "information" | "informational" => 4,
            "verbose" => 5,
            _ => 0,
        };
        let def = &EVENT;
        let ix = |n: &str| def.index(n).unwrap_or(usize::MAX);
        let t = self.table(def);
        t.set(ix("SourceSystem"), Value::Str("Containers"));
        t.set(ix("TimeGenerated"), r.time.or(time).map_or(Value::Null, Value::Time));
        t.set(ix("Source"), Value::Str(&e.provider));
        t.set(ix("EventLog"), Value::Str(&e.channel));
        t.set(ix("Computer"), Value::Str(&computer));
        t.set(ix("EventLevel"), Value::Long(level_num));
        t.set(ix("EventLevelName"), Value::Str(&e.level));
        t.set(ix("EventID"), e.event_id.map_or(Value::Null, Value::Long));
        t.set(ix("RenderedDescription"), Value::Str(&e.message));
        t.set(ix("ContainerID"), Value::Str(&c.id));
        t.set(ix("Type"), Value::Str("Event"));
        self.end_row(def.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references() {
        let s = |r: &str| {
            let (a, b, c) = split_image(r);
            format!("{a}|{b}|{c}")
        };
        assert_eq!(s("contoso.azurecr.io/orders-api:2.4.1"), "contoso.azurecr.io|orders-api|2.4.1");
        assert_eq!(s("nginx"), "|nginx|latest");
        assert_eq!(s("localhost:5000/app"), "localhost:5000|app|latest");
        assert_eq!(
            s("mcr.microsoft.com/windows/servercore/iis:ltsc2022"),
            "mcr.microsoft.com/windows/servercore|iis|ltsc2022"
        );
    }
}
