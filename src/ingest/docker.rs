//! Docker hosts: `containers/<id>/<id>-json.log` (rotated `.1`, `.2`, `.gz`)
//! in json-file format, with `config.v2.json` and `hostconfig.json` giving
//! ContainerInventory and ContainerImageInventory rows.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::ingest::json_scan;
use crate::ingest::rows::Value;
use crate::ingest::schema::{CONTAINER_IMAGE_INVENTORY, CONTAINER_INVENTORY};
use crate::ingest::sink::{Container, Sink, split_image};
use crate::ingest::source::{self, Reading};
use crate::ingest::store::Fragment;
use crate::types::time;

/// A logical line longer than this continues in a new row.
pub const MAX_LINE: usize = 1024 * 1024;

#[derive(Deserialize)]
struct JsonLine<'a> {
    #[serde(borrow)]
    log: Option<Cow<'a, str>>,
    #[serde(borrow)]
    stream: Option<Cow<'a, str>>,
    #[serde(borrow)]
    time: Option<Cow<'a, str>>,
}

/// Strips one line terminator (`\n` or `\r\n`).
pub fn strip_terminator(s: &str) -> &str {
    let s = s.strip_suffix('\n').unwrap_or(s);
    s.strip_suffix('\r').unwrap_or(s)
}

/// Parses a log timestamp; Docker's "unset" `0001-01-01` is null.
pub fn parse_time(s: &str) -> Option<Option<i64>> {
    if s.starts_with("0001-01-01") {
        return Some(None);
    }
    if let Some(t) = utc_nanos_fast(s) {
        return Some(Some(t));
    }
    time::parse_datetime(s).map(Some)
}

/// Docker's own form, `YYYY-MM-DDTHH:MM:SS[.fffffffff]Z`, read without the
/// general parser: the lines of a log share their minute, whose start is
/// remembered, so a line costs its seconds and fraction. None for any
/// other form (the general parser decides).
fn utc_nanos_fast(s: &str) -> Option<i64> {
    thread_local! {
        static MINUTE: std::cell::Cell<([u8; 16], i64)> = const { std::cell::Cell::new(([0; 16], 0)) };
    }
    let b = s.as_bytes();
    if b.len() < 20 || b[10] != b'T' || b[16] != b':' || b[b.len() - 1] != b'Z' {
        return None;
    }
    let two = |i: usize| -> Option<i64> {
        let (x, y) = (b[i].wrapping_sub(b'0'), b[i + 1].wrapping_sub(b'0'));
        (x < 10 && y < 10).then_some(i64::from(x) * 10 + i64::from(y))
    };
    let sec = two(17)?;
    let frac = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit) => {
            let v = digits.iter().fold(0i64, |v, d| v * 10 + i64::from(d - b'0'));
            v * 10i64.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    if sec > 60 {
        return None;
    }
    let prefix: [u8; 16] = b[..16].try_into().ok()?;
    let (cached, start) = MINUTE.get();
    let start = if cached == prefix {
        start
    } else {
        let start = time::parse_datetime(&s[..16])?;
        MINUTE.set((prefix, start));
        start
    };
    Some(time::to_ticks(start + sec * 1_000_000_000 + frac))
}

/// Fragments of a logical line waiting for their end, per stream.
#[derive(Default)]
pub struct Partials {
    pending: BTreeMap<String, (String, Option<i64>)>,
}

impl Partials {
    /// Fragments an earlier run left (kept in the manifest).
    pub fn resume(fragments: &[Fragment]) -> Partials {
        let pending = fragments.iter().map(|f| (f.stream.clone(), (f.text.clone(), f.time))).collect();
        Partials { pending }
    }

    /// The fragments still waiting, for the manifest.
    pub fn fragments(&self) -> Vec<Fragment> {
        self.pending.iter().map(|(s, (t, time))| Fragment { stream: s.clone(), text: t.clone(), time: *time }).collect()
    }

    /// Adds a fragment; returns the completed line (text, time) if `last`.
    pub fn add(&mut self, stream: &str, text: &str, t: Option<i64>, last: bool) -> Option<(String, Option<i64>)> {
        match self.pending.remove(stream) {
            Some((mut acc, t0)) => {
                acc.push_str(text);
                if last || acc.len() >= MAX_LINE {
                    Some((acc, t0))
                } else {
                    self.pending.insert(stream.to_string(), (acc, t0));
                    None
                }
            }
            None if last => Some((text.to_string(), t)),
            None => {
                self.pending.insert(stream.to_string(), (text.to_string(), t));
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

/// Reads one file of a rotation sequence, starting with the fragments the
/// older files left; returns the fragments still waiting at its end (taken
/// out of its manifest entry) and that entry.
fn read_rotated_log(
    sink: &mut Sink,
    path: &Path,
    c: &Container,
    carried: Vec<Fragment>,
) -> Result<(Vec<Fragment>, Option<usize>)> {
    let entry = match source::begin(sink, path)? {
        Some(mut r) => {
            let mut pending = carried;
            pending.append(&mut r.pending);
            r.pending = pending;
            let entry = r.entry;
            read_json_lines(sink, &mut r, c)?;
            entry
        }
        // Nothing new here; an earlier run may have left fragments at its end.
        None => match source::entry_of(sink, path) {
            Some(e) => {
                let left = &mut sink.store.manifest.sources[e].pending;
                let mut all = carried;
                all.append(left);
                *left = all;
                e
            }
            None => return Ok((carried, None)),
        },
    };
    Ok((std::mem::take(&mut sink.store.manifest.sources[entry].pending), Some(entry)))
}

/// Reads one json-file log into `sink` for container `c`.
pub fn read_json_log(sink: &mut Sink, path: &Path, c: &Container) -> Result<()> {
    let Some(mut r) = source::begin(sink, path)? else { return Ok(()) };
    read_json_lines(sink, &mut r, c)
}

/// Reads json-file lines into `sink`. A second thread reads and decodes the
/// lines (JSON, timestamps, partial lines) while this one builds rows: on
/// the big inputs the row building alone keeps a core busy.
pub fn read_json_lines(sink: &mut Sink, r: &mut Reading, c: &Container) -> Result<()> {
    let (entry, display) = (r.entry, r.display.clone());
    let end = std::thread::scope(|scope| -> Result<(u64, u64, Vec<Fragment>)> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Chunk>>(4);
        let reader = scope.spawn(move || decode_lines(r, &tx));
        for chunk in rx {
            let chunk = chunk?;
            for step in chunk.steps {
                sink.stats.bytes += step.bytes;
                match step.decoded {
                    Decoded::Line { time, stream, text } => sink.log_line(c, time, &stream, &chunk.text[text])?,
                    Decoded::Reject { line, reason, text } => sink.reject(&display, line, &reason, &text),
                    Decoded::Nothing => {}
                }
                if step.whole && sink.needs_checkpoint() {
                    source::mark_entry(sink, entry, step.offset, step.next_line);
                    sink.checkpoint()?;
                }
            }
        }
        reader.join().map_err(|_| Error::io(format!("reading `{display}` failed")))
    })?;
    // Lines still waiting for their end are completed next time.
    source::mark_with_pending(sink, entry, end.0, end.1, end.2);
    Ok(())
}

/// Decoded lines, their texts in one buffer: one allocation per chunk
/// rather than one per line, freed by the thread that made it.
struct Chunk {
    text: String,
    steps: Vec<Step>,
}

/// One input line, decoded, with where reading stands after it.
struct Step {
    decoded: Decoded,
    /// Bytes of the input line.
    bytes: u64,
    /// Offset and number of the next line.
    offset: u64,
    next_line: u64,
    /// No partial line is waiting: a checkpoint may be taken here.
    whole: bool,
}

enum Decoded {
    /// `text` is a range of the chunk's text.
    Line {
        time: Option<i64>,
        stream: Cow<'static, str>,
        text: std::ops::Range<usize>,
    },
    Reject {
        line: u64,
        reason: String,
        text: String,
    },
    /// A blank line, or a fragment kept until its line ends.
    Nothing,
}

const STEPS_PER_CHUNK: usize = 1024;

/// The shape Docker writes nearly every line in,
/// `{"log":"…\n","stream":"stdout","time":"…"}`, decoded straight into
/// `out` without building a JSON value. `None` sends the line through
/// the general decoder (other shapes, `\u` escapes, partial lines, errors).
fn decode_whole_line(line: &str, parts: &Partials, out: &mut String) -> Option<Decoded> {
    if !parts.is_empty() {
        return None;
    }
    let at = out.len();
    let decoded = decode_whole_line_into(line, out, at);
    if decoded.is_none() {
        out.truncate(at);
    }
    decoded
}

/// `decode_whole_line` with the line's text appended to `out` from `at`;
/// on None the caller takes back what was appended.
fn decode_whole_line_into(line: &str, out: &mut String, at: usize) -> Option<Decoded> {
    let rest = strip(line, br#"{"log":""#)?;
    let end = json_scan::unescape_string(rest, out)?;
    let log = &rest[..end];
    // Byte searches throughout: `str::find(char)` and short `ends_with`
    // call `memcmp`, which glibc's AVX-512 version makes slow for a byte
    // or two, and this runs for every line.
    let quote = |s: &str| memchr::memchr(b'"', s.as_bytes());
    let rest = strip(&rest[end + 1..], br#","stream":""#)?;
    let e = quote(rest)?;
    let stream = &rest[..e];
    let rest = strip(&rest[e + 1..], br#","time":""#)?;
    let e = quote(rest)?;
    let time = &rest[..e];
    let backslash = |s: &str| memchr::memchr(b'\\', s.as_bytes()).is_some();
    // A line Docker split ends without `\n`; and `\\n` (a backslash, then
    // n) ends in `\n` only before unescaping.
    if !matches!(rest.as_bytes()[e + 1..], [b'}'])
        || backslash(stream)
        || backslash(time)
        || !matches!(log.as_bytes(), [.., b'\\', b'n'])
        || out.as_bytes().last() != Some(&b'\n')
    {
        return None;
    }
    let when = parse_time(time)?;
    let keep = at + strip_terminator(&out[at..]).len();
    out.truncate(keep);
    let stream = match stream {
        "stdout" => Cow::Borrowed("stdout"),
        "stderr" => Cow::Borrowed("stderr"),
        other => Cow::Owned(other.to_string()),
    };
    Some(Decoded::Line { time: when, stream, text: at..out.len() })
}

/// `s` after `prefix`; compared as a fixed-size array, which compiles to a
/// few loads instead of a `memcmp` call.
fn strip<'a, const N: usize>(s: &'a str, prefix: &[u8; N]) -> Option<&'a str> {
    let head: &[u8; N] = s.as_bytes().get(..N)?.try_into().ok()?;
    // The prefix is ASCII, so N is a character boundary.
    (head == prefix).then(|| &s[N..])
}

/// Decodes the lines of `r` and sends them in chunks; returns where reading
/// stopped, the next line's number and the fragments still waiting.
fn decode_lines(r: &mut Reading, tx: &std::sync::mpsc::SyncSender<Result<Chunk>>) -> (u64, u64, Vec<Fragment>) {
    let mut buf = Vec::new();
    let mut parts = Partials::resume(&r.pending);
    let new_chunk =
        || Chunk { text: String::with_capacity(STEPS_PER_CHUNK * 128), steps: Vec::with_capacity(STEPS_PER_CHUNK) };
    let mut chunk = new_chunk();
    loop {
        let text = &mut chunk.text;
        let (decoded, bytes) =
            match r.with_next_line(&mut buf, |line, no| (decode(line, no, &mut parts, text), line.len() as u64 + 1)) {
                Ok(Some(d)) => d,
                Ok(None) => break,
                Err(e) => {
                    // The receiver reports it; nothing more is read.
                    let _ = tx.send(Err(e));
                    return (r.offset, r.line_no, parts.fragments());
                }
            };
        chunk.steps.push(Step { decoded, bytes, offset: r.offset, next_line: r.line_no, whole: parts.is_empty() });
        if chunk.steps.len() == STEPS_PER_CHUNK {
            let full = std::mem::replace(&mut chunk, new_chunk());
            if tx.send(Ok(full)).is_err() {
                // The receiver stopped (an error there): stop reading.
                return (r.offset, r.line_no, parts.fragments());
            }
        }
    }
    if !chunk.steps.is_empty() {
        let _ = tx.send(Ok(chunk));
    }
    (r.offset, r.line_no, parts.fragments())
}

/// Decodes one line; a log line's text is appended to `out`.
fn decode(buf: &[u8], line: u64, parts: &mut Partials, out: &mut String) -> Decoded {
    let text = source::text(buf);
    if let Some(d) = decode_whole_line(&text, parts, out) {
        return d;
    }
    decode_general(&text, line, parts, out)
}

fn decode_general(text: &str, line: u64, parts: &mut Partials, out: &mut String) -> Decoded {
    if text.trim().is_empty() {
        return Decoded::Nothing;
    }
    let reject = |reason: String| Decoded::Reject { line, reason, text: text.to_string() };
    let parsed: JsonLine = match serde_json::from_str(text) {
        Ok(p) => p,
        Err(e) => return reject(format!("not a docker json-file line: {e}")),
    };
    let when = match parsed.time.as_deref().map(parse_time) {
        Some(Some(t)) => t,
        Some(None) => return reject("the `time` field is not a timestamp".into()),
        None => return reject("no `time` field".into()),
    };
    let stream: Cow<'static, str> = match parsed.stream.as_deref() {
        None | Some("stdout") => Cow::Borrowed("stdout"),
        Some("stderr") => Cow::Borrowed("stderr"),
        Some(other) => Cow::Owned(other.to_string()),
    };
    let log = parsed.log.unwrap_or_default();
    let last = log.ends_with('\n');
    let mut keep = |s: &str| {
        let at = out.len();
        out.push_str(strip_terminator(s));
        at..out.len()
    };
    if last && parts.is_empty() {
        return Decoded::Line { time: when, stream, text: keep(&log) };
    }
    match parts.add(&stream, &log, when, last) {
        Some((line, t)) => Decoded::Line { time: t, stream, text: keep(&line) },
        None => Decoded::Nothing,
    }
}

/// The json-file logs of a container folder, oldest first
/// (`x-json.log.3`, `.2`, `.1`, then `x-json.log`).
fn log_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<(u64, PathBuf)> = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let Some(p) = name.find("-json.log") else { continue };
            let rest = &name[p + "-json.log".len()..];
            let rest = rest.strip_suffix(".gz").unwrap_or(rest);
            let generation = if rest.is_empty() {
                0
            } else {
                match rest.strip_prefix('.').and_then(|n| n.parse::<u64>().ok()) {
                    Some(n) => n,
                    None => continue,
                }
            };
            out.push((generation, e.path()));
        }
    }
    out.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    out.into_iter().map(|(_, p)| p).collect()
}

fn read_json(path: &Path) -> Option<Json> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn s(v: Option<&Json>) -> String {
    match v {
        Some(Json::String(x)) => x.clone(),
        Some(Json::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// What the container folder's metadata says.
pub struct Metadata {
    pub container: Container,
    pub state: String,
    pub exit_code: Option<i64>,
    pub created: Option<i64>,
    pub started: Option<i64>,
    pub finished: Option<i64>,
    pub image_id: String,
    pub hostname: String,
    pub env: String,
    pub command: String,
    pub ports: String,
    pub links: String,
    pub compose: String,
}

fn time_of(v: Option<&Json>) -> Option<i64> {
    v.and_then(Json::as_str).and_then(parse_time).flatten()
}

/// Reads `config.v2.json` (or the older `config.json`) and `hostconfig.json`.
pub fn metadata(dir: &Path, id: &str) -> Option<Metadata> {
    let cfg = read_json(&dir.join("config.v2.json")).or_else(|| read_json(&dir.join("config.json")))?;
    let host = read_json(&dir.join("hostconfig.json"));
    let config = cfg.get("Config");
    let state = cfg.get("State");
    let image_ref = s(config.and_then(|c| c.get("Image")));
    let (repository, image_name, tag) = split_image(&image_ref);
    let labels = config.and_then(|c| c.get("Labels")).and_then(Json::as_object).cloned().unwrap_or_default();
    let label = |k: &str| labels.get(k).and_then(Json::as_str).unwrap_or("").to_string();
    let name = s(cfg.get("Name")).trim_start_matches('/').to_string();
    let flag = |k: &str| state.and_then(|st| st.get(k)).and_then(Json::as_bool).unwrap_or(false);
    let exit_code = state.and_then(|st| st.get("ExitCode")).and_then(Json::as_i64);
    let state_name = if flag("Paused") {
        "Paused"
    } else if flag("Running") {
        "Running"
    } else if exit_code.unwrap_or(0) > 0 {
        "Failed"
    } else {
        "Stopped"
    };
    let pod_name = label("io.kubernetes.pod.name");
    let container_name = label("io.kubernetes.container.name");
    let container = Container {
        id: s(cfg.get("ID")).if_empty(id).into(),
        log_name: if pod_name.is_empty() {
            name.as_str().into()
        } else {
            format!("{}/{}", label("io.kubernetes.pod.uid"), container_name).into()
        },
        name: if container_name.is_empty() { name.as_str().into() } else { container_name.into() },
        image: image_ref.as_str().into(),
        image_name: image_name.into(),
        image_tag: tag.into(),
        repository: repository.into(),
        pod_name: pod_name.into(),
        pod_namespace: label("io.kubernetes.pod.namespace").into(),
        pod_uid: label("io.kubernetes.pod.uid").into(),
        kubernetes: None,
    };
    let json_text = |v: Option<&Json>| match v {
        Some(Json::Null) | None => String::new(),
        Some(x) => x.to_string(),
    };
    Some(Metadata {
        container,
        state: state_name.to_string(),
        exit_code,
        created: time_of(cfg.get("Created")),
        started: time_of(state.and_then(|st| st.get("StartedAt"))),
        finished: time_of(state.and_then(|st| st.get("FinishedAt"))),
        image_id: s(cfg.get("Image")).trim_start_matches("sha256:").to_string(),
        hostname: s(config.and_then(|c| c.get("Hostname"))),
        env: json_text(config.and_then(|c| c.get("Env"))),
        command: json_text(config.and_then(|c| c.get("Cmd"))),
        ports: json_text(host.as_ref().and_then(|h| h.get("PortBindings"))),
        links: json_text(host.as_ref().and_then(|h| h.get("Links"))),
        compose: label("com.docker.compose.project"),
    })
}

trait IfEmpty {
    fn if_empty(self, other: &str) -> String;
}

impl IfEmpty for String {
    fn if_empty(self, other: &str) -> String {
        if self.is_empty() { other.to_string() } else { self }
    }
}

/// A ContainerInventory row. `TimeGenerated` is the newest time the
/// metadata gives (a collection time does not exist offline).
pub fn inventory_row(sink: &mut Sink, m: &Metadata) -> Result<()> {
    let computer = sink.opts.computer.clone();
    let def = &CONTAINER_INVENTORY;
    let when = [m.finished, m.started, m.created].into_iter().flatten().max();
    let t = sink.table(def);
    let ix = |n: &str| def.index(n).unwrap_or(usize::MAX);
    let opt = |x: Option<i64>| x.map_or(Value::Null, Value::Time);
    t.set(ix("SourceSystem"), Value::Str("Containers"));
    t.set(ix("TimeGenerated"), opt(when));
    t.set(ix("Computer"), Value::Str(&computer));
    t.set(ix("ContainerID"), Value::Str(&m.container.id));
    t.set(ix("Name"), Value::Str(&m.container.name));
    t.set(ix("ContainerHostname"), Value::Str(&m.hostname));
    t.set(ix("Image"), Value::Str(&m.container.image_name));
    t.set(ix("ImageTag"), Value::Str(&m.container.image_tag));
    t.set(ix("Repository"), Value::Str(&m.container.repository));
    t.set(ix("ImageID"), Value::Str(&m.image_id));
    t.set(ix("ContainerState"), Value::Str(&m.state));
    t.set(ix("ExitCode"), m.exit_code.map_or(Value::Null, Value::Long));
    t.set(ix("CreatedTime"), opt(m.created));
    t.set(ix("StartedTime"), opt(m.started));
    t.set(ix("FinishedTime"), opt(m.finished));
    t.set(ix("EnvironmentVar"), Value::Str(&m.env));
    t.set(ix("Command"), Value::Str(&m.command));
    t.set(ix("Ports"), Value::Str(&m.ports));
    t.set(ix("Links"), Value::Str(&m.links));
    t.set(ix("ComposeGroup"), Value::Str(&m.compose));
    t.set(ix("Type"), Value::Str("ContainerInventory"));
    sink.end_row(def.name)
}

/// ContainerImageInventory rows: per image, how many containers are in each state.
pub fn image_inventory(sink: &mut Sink, all: &[Metadata]) -> Result<()> {
    let mut by_image: BTreeMap<String, Vec<&Metadata>> = BTreeMap::new();
    for m in all {
        by_image.entry(m.container.image.to_string()).or_default().push(m);
    }
    let computer = sink.opts.computer.clone();
    let def = &CONTAINER_IMAGE_INVENTORY;
    for ms in by_image.values() {
        let first = ms[0];
        let count = |st: &str| ms.iter().filter(|m| m.state == st).count() as i64;
        let when = ms.iter().flat_map(|m| [m.finished, m.started, m.created]).flatten().max();
        let t = sink.table(def);
        let ix = |n: &str| def.index(n).unwrap_or(usize::MAX);
        t.set(ix("SourceSystem"), Value::Str("Containers"));
        t.set(ix("TimeGenerated"), when.map_or(Value::Null, Value::Time));
        t.set(ix("Computer"), Value::Str(&computer));
        t.set(ix("Image"), Value::Str(&first.container.image_name));
        t.set(ix("ImageTag"), Value::Str(&first.container.image_tag));
        t.set(ix("Repository"), Value::Str(&first.container.repository));
        t.set(ix("ImageID"), Value::Str(&first.image_id));
        t.set(ix("Running"), Value::Long(count("Running")));
        t.set(ix("Paused"), Value::Long(count("Paused")));
        t.set(ix("Stopped"), Value::Long(count("Stopped")));
        t.set(ix("Failed"), Value::Long(count("Failed")));
        t.set(ix("TotalContainer"), Value::Long(ms.len() as i64));
        t.set(ix("Type"), Value::Str("ContainerImageInventory"));
        sink.end_row(def.name)?;
    }
    Ok(())
}

/// True for a folder that holds one container's json-file logs.
pub fn is_container_dir(dir: &Path) -> bool {
    !log_files(dir).is_empty() || dir.join("config.v2.json").exists()
}

/// Ingests a container folder; returns its metadata when it changed.
pub fn ingest_container(sink: &mut Sink, dir: &Path) -> Result<Option<Metadata>> {
    let id = dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let meta = metadata(dir, &id);
    let container = meta.as_ref().map(|m| m.container.clone()).unwrap_or_else(|| Container {
        id: id.as_str().into(),
        log_name: id.as_str().into(),
        name: id.as_str().into(),
        ..Default::default()
    });
    // Rotation can fall between the fragments of a split line: what waits
    // at the end of an older file continues in the next one.
    let mut carried = Vec::new();
    let mut newest = None;
    for f in log_files(dir) {
        let (left, entry) = read_rotated_log(sink, &f, &container, carried)?;
        carried = left;
        newest = entry.or(newest);
    }
    // What still waits, waits with the newest file for the next run.
    if let Some(e) = newest {
        sink.store.manifest.sources[e].pending = carried;
    }
    // Inventory rows only when the metadata file is new or changed.
    let Some(m) = meta else { return Ok(None) };
    let cfg = if dir.join("config.v2.json").exists() { dir.join("config.v2.json") } else { dir.join("config.json") };
    let Some(mut r) = source::begin(sink, &cfg)? else { return Ok(None) };
    let mut buf = Vec::new();
    while r.next_line(&mut buf)?.is_some() {}
    // The metadata file is one document: mark all of it read.
    let size = std::fs::metadata(&cfg).map(|x| x.len()).unwrap_or(r.offset);
    r.mark(sink, size.max(r.offset), r.line_no);
    inventory_row(sink, &m)?;
    Ok(Some(m))
}

/// Ingests a Docker data root (or its `containers/` folder).
pub fn ingest_root(sink: &mut Sink, root: &Path) -> Result<()> {
    let containers = if root.join("containers").is_dir() { root.join("containers") } else { root.to_path_buf() };
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&containers)
        .map_err(|e| Error::io(format!("cannot read `{}`: {e}", containers.display())))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && is_container_dir(p))
        .collect();
    dirs.sort();
    let mut changed = Vec::new();
    for d in dirs {
        if let Some(m) = ingest_container(sink, &d)? {
            changed.push(m);
        }
    }
    if !changed.is_empty() {
        image_inventory(sink, &changed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_times_read_fast_as_the_general_parser_reads_them() {
        for s in [
            "2026-11-03T09:00:00Z",
            "2026-11-03T09:00:59.9Z",
            "2026-11-03T09:01:00.123456789Z",
            "2026-11-03T09:01:07.1234567Z",
            "2026-11-03T09:01:60Z",
            "2024-02-29T23:59:59.000000001Z",
            "1999-12-31T23:59:59.5Z",
        ] {
            assert_eq!(utc_nanos_fast(s), time::parse_datetime(s), "{s}");
            assert!(utc_nanos_fast(s).is_some(), "{s}");
        }
        for s in ["2026-11-03T09:00:00+01:00", "2026-11-03T09:00:00.Z", "2026-11-03T09:00:61Z", "2026-11-03 09:00:00Z"]
        {
            assert_eq!(utc_nanos_fast(s), None, "{s}");
        }
    }

    /// The fast decoder gives what the general one gives, or steps aside.
    #[test]
    fn fast_and_general_decoders_agree() {
        let lines = [
            r#"{"log":"GET /api/v1/orders/42 200 3ms\n","stream":"stdout","time":"2026-11-03T09:00:00.123456789Z"}"#,
            r#"{"log":"tab\there \"quoted\" back\\slash \/ slash\r\n","stream":"stderr","time":"2026-11-03T09:00:01Z"}"#,
            r#"{"log":"caf\u00e9\n","stream":"stdout","time":"2026-11-03T09:00:02Z"}"#,
            r#"{"log":"ends in backslash-n \\n","stream":"stdout","time":"2026-11-03T09:00:03Z"}"#,
            r#"{"log":"no time\n","stream":"stdout"}"#,
            r#"{"log":"unset time\n","stream":"stdout","time":"0001-01-01T00:00:00Z"}"#,
            r#"{"log":"bad time\n","stream":"stdout","time":"yesterday"}"#,
            r#"{"log":"with attrs\n","stream":"stdout","attrs":{"tag":"x"},"time":"2026-11-03T09:00:04Z"}"#,
            r#"{"log":"partial, no newline","stream":"stdout","time":"2026-11-03T09:00:05Z"}"#,
            r#"{"log":"{\"level\":\"info\",\"msg\":\"order created\",\"orderId\":19772,\"ms\":404}\n","stream":"stdout","time":"2026-11-03T09:00:06Z"}"#,
            r#"{"log":"{\"level\":\"info\",\"msg\":\"a long line, with a time that is not one\"}\n","stream":"stdout","time":"noon"}"#,
        ];
        let mut fast_hits = 0;
        for l in lines {
            let (mut a, mut b) = (String::new(), String::new());
            let general = decode_general(l, 1, &mut Partials::default(), &mut b);
            let Some(fast) = decode_whole_line(l, &Partials::default(), &mut a) else {
                assert_eq!(a, "", "a line the fast decoder steps aside from leaves nothing behind: {l}");
                continue;
            };
            fast_hits += 1;
            match (fast, general) {
                (
                    Decoded::Line { time: t1, stream: s1, text: r1 },
                    Decoded::Line { time: t2, stream: s2, text: r2 },
                ) => {
                    assert_eq!((t1, &s1, &a[r1]), (t2, &s2, &b[r2]), "{l}");
                }
                _ => unreachable!("the decoders disagree on {l}"),
            }
        }
        assert_eq!(fast_hits, 4, "plain, escaped, JSON and unset-time lines take the fast path");
    }
}
