//! Where parsed records go: per-table row buffers, rejected records, and
//! checkpoints that turn buffered rows into committed Parquet files.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use serde_json::Value as Json;

use crate::error::Result;
use crate::ingest::container_rows::{ContainerRows, Line};
use crate::ingest::iis::{self, Line as IisLine};
use crate::ingest::logmonitor::{self, Source};
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
        std::env::var("KQLOG_CHECKPOINT_BYTES").ok().and_then(|v| v.parse().ok()).unwrap_or(64 * 1024 * 1024)
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
    pub fn needs_checkpoint(&self) -> bool {
        self.pending_bytes + self.containers.bytes() + self.tables.iter().map(TableBuffer::bytes).sum::<usize>()
            >= checkpoint_bytes()
    }

    /// Writes everything buffered and commits it with the manifest.
    pub fn checkpoint(&mut self) -> Result<()> {
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
        let done = self.store.finish()?;
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
        let (message, level): (&str, &str) = match &record {
            Some(r) => {
                scratch.clear();
                scratch.push_str(&r.json.to_string());
                (&scratch, r.level.as_deref().map_or("UNKNOWN", level::from_windows))
            }
            None => message_and_level(text, &mut scratch),
        };
        self.containers.push(c, &Line { time, stream, text, message, level });
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

/// The level fields a JSON log line may carry (in the order they are
/// looked at); other fields are skipped without being built.
#[derive(serde::Deserialize)]
struct LevelProbe<'a> {
    #[serde(borrow)]
    level: Option<LevelField<'a>>,
    #[serde(borrow)]
    severity: Option<LevelField<'a>>,
    #[serde(borrow, rename = "Level")]
    level_cap: Option<LevelField<'a>>,
    #[serde(borrow, rename = "Severity")]
    severity_cap: Option<LevelField<'a>>,
    #[serde(borrow)]
    lvl: Option<LevelField<'a>>,
    #[serde(borrow)]
    loglevel: Option<LevelField<'a>>,
    #[serde(borrow, rename = "log.level")]
    log_level: Option<LevelField<'a>>,
    #[serde(borrow, rename = "@l")]
    serilog: Option<LevelField<'a>>,
}

impl LevelProbe<'_> {
    fn level(&self) -> Option<&'static str> {
        [
            &self.level,
            &self.severity,
            &self.level_cap,
            &self.severity_cap,
            &self.lvl,
            &self.loglevel,
            &self.log_level,
            &self.serilog,
        ]
        .into_iter()
        .flatten()
        .find_map(|f| match f {
            LevelField::Text(t) => level::from_word(t),
            LevelField::Number(n) => level::from_number(*n),
            LevelField::Other => None,
        })
    }
}

/// A level field's value: text (borrowed from the line when it has no
/// escapes), an integer, or anything else (skipped).
enum LevelField<'a> {
    Text(std::borrow::Cow<'a, str>),
    Number(i64),
    Other,
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for LevelField<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = LevelField<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a level")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
                Ok(LevelField::Text(v.into()))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(LevelField::Text(v.to_string().into()))
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<Self::Value, E> {
                Ok(LevelField::Number(v))
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<Self::Value, E> {
                Ok(i64::try_from(v).map_or(LevelField::Other, LevelField::Number))
            }
            fn visit_f64<E>(self, _: f64) -> std::result::Result<Self::Value, E> {
                Ok(LevelField::Other)
            }
            fn visit_bool<E>(self, _: bool) -> std::result::Result<Self::Value, E> {
                Ok(LevelField::Other)
            }
            fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
                Ok(LevelField::Other)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> std::result::Result<Self::Value, A::Error> {
                while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(LevelField::Other)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> std::result::Result<Self::Value, A::Error> {
                while a.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
                Ok(LevelField::Other)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// True when JSON text has no whitespace outside strings.
fn is_compact(s: &str) -> bool {
    let mut in_string = false;
    let mut escaped = false;
    for b in s.bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b.is_ascii_whitespace() {
            return false;
        }
    }
    true
}

/// ContainerLogV2's `LogMessage` (JSON text, in `out` or borrowed from the
/// line) and `LogLevel` for a line that is not a LogMonitor record: JSON
/// object lines stay structured (compacted), other lines become strings.
pub fn message_and_level<'a>(text: &'a str, out: &'a mut String) -> (&'a str, &'static str) {
    let t = text.trim_ascii();
    if matches!(t.as_bytes(), [b'{', .., b'}'])
        && let Ok(p) = serde_json::from_str::<LevelProbe>(t)
    {
        let level = p.level().unwrap_or("UNKNOWN");
        if is_compact(t) {
            return (t, level);
        }
        out.clear();
        if let Ok(v) = serde_json::from_str::<Json>(t) {
            out.push_str(&v.to_string());
        }
        return (out, level);
    }
    json_string_into(text, out);
    (out, level::from_text(text).unwrap_or("UNKNOWN"))
}

/// `text` as a JSON string literal, in `out`.
fn json_string_into(text: &str, out: &mut String) {
    out.clear();
    // Most log lines need no escaping: copy them between quotes.
    // Tested a block at a time without early exit, which vectorises.
    let plain = |c: &[u8]| !c.iter().fold(false, |any, &b| any | (b == b'"') | (b == b'\\') | (b < 0x20));
    if text.as_bytes().chunks(32).all(plain) {
        out.reserve(text.len() + 2);
        out.push('"');
        out.push_str(text);
        out.push('"');
        return;
    }
    let mut buf = std::mem::take(out).into_bytes();
    // Writing a &str as JSON cannot fail, and JSON text is UTF-8.
    let _ = serde_json::to_writer(&mut buf, text);
    *out = String::from_utf8(buf).unwrap_or_default();
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

    #[test]
    fn json_lines_stay_structured() {
        let mut out = String::new();
        let (m, l) = message_and_level(r#"{"level":"warn","msg":"slow"}"#, &mut out);
        assert_eq!((m, l), (r#"{"level":"warn","msg":"slow"}"#, "WARNING"));
        let (m, l) = message_and_level(r#"{ "severity": 50, "msg": "a b" }"#, &mut out);
        assert_eq!((m, l), (r#"{"severity":50,"msg":"a b"}"#, "ERROR"));
        // The first field that names a level wins; other shapes are passed over.
        let level = |line: &str| message_and_level(line, &mut String::new()).1;
        assert_eq!(level(r#"{"level":{"n":1},"Severity":"Warning"}"#), "WARNING");
        assert_eq!(level(r#"{"level":"chatty","lvl":"d\u0065bug"}"#), "DEBUG");
        assert_eq!(level(r#"{"@l":"Error","@m":"x"}"#), "ERROR");
        assert_eq!(level(r#"{"log.level":"info"}"#), "INFO");
        assert_eq!(level(r#"{"level":[1,2],"severity":2.5,"msg":null}"#), "UNKNOWN");
        assert_eq!(level(r#"{"level":30}"#), "INFO");
        let (m, l) = message_and_level("ERROR boom", &mut out);
        assert_eq!((m, l), ("\"ERROR boom\"", "ERROR"));
        let (m, _) = message_and_level("say \"hi\"\tC:\\temp", &mut out);
        assert_eq!(m, r#""say \"hi\"\tC:\\temp""#);
    }
}
