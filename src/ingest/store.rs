//! The workspace side of an ingest: staged Parquet files, the manifest of
//! sources already read, and an all-or-nothing commit.
//!
//! Data is written under `_kqlog/staging/<run>/` (invisible to queries).
//! A checkpoint writes `_kqlog/commit.json` — the moves to make and the new
//! manifest — then moves the files into `<Table>/` and replaces
//! `_kqlog/manifest.json`. Whoever opens the workspace next finishes a
//! commit that was interrupted and discards staging left without one, so a
//! killed ingest leaves exactly the data of its last checkpoint, and a
//! rerun continues from the manifest's offsets without duplicates.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::{SortOptions, concat_batches, sort_to_indices, take_record_batch};
use arrow::datatypes::SchemaRef;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ingest::parquet_out::write_parquet;
use crate::ingest::workers::{Pending, Workers};

pub const KQLOG_DIR: &str = "_kqlog";
/// Bytes of a source's beginning that identify it across renames.
pub const HEAD_LEN: usize = 4096;

/// One input already (partly) ingested.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SourceEntry {
    /// Where it was last seen.
    pub path: String,
    /// Length and hash of its first bytes: its identity, whatever its name.
    pub head_len: u64,
    pub head_hash: String,
    /// Bytes (of the decompressed stream) already turned into rows.
    pub consumed: u64,
    /// Lines read up to `consumed`, to number rejected lines after a resume.
    #[serde(default)]
    pub lines: u64,
    /// Fragments of lines still waiting for their end at `consumed`
    /// (Docker and CRI split long lines): the next run completes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<Fragment>,
}

/// The start of a line whose end has not been written yet.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Fragment {
    pub stream: String,
    pub text: String,
    pub time: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub sources: Vec<SourceEntry>,
    /// IIS `#Fields` per container and log file, so a later ingest of the
    /// next rotated file still knows the layout.
    #[serde(default)]
    pub iis: crate::ingest::iis::FieldsState,
}

#[derive(Debug, Serialize, Deserialize)]
struct Commit {
    run: String,
    moves: Vec<(PathBuf, PathBuf)>,
    manifest: Manifest,
}

pub fn hash_hex(bytes: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh64::xxh64(bytes, 0x6b716c6f67))
}

impl Manifest {
    /// The entry whose head matches `head` (the first bytes of a source).
    pub fn find(&self, head: &[u8]) -> Option<usize> {
        self.sources
            .iter()
            .enumerate()
            .filter(|(_, e)| e.head_len > 0 && (e.head_len as usize) <= head.len())
            .filter(|(_, e)| hash_hex(&head[..e.head_len as usize]) == e.head_hash)
            .max_by_key(|(_, e)| (e.head_len, e.consumed))
            .map(|(k, _)| k)
    }
}

/// Parquet files being written in the background, committed together.
struct Group {
    writers: Vec<Pending<Result<(String, u64)>>>,
    commit: Commit,
}

pub struct Store {
    ws: PathBuf,
    run: String,
    staging: PathBuf,
    moves: Vec<(PathBuf, PathBuf)>,
    writers: Vec<Pending<Result<(String, u64)>>>,
    workers: Workers,
    /// The previous checkpoint, still being written while reading goes on.
    in_flight: Option<Group>,
    seq: usize,
    pub manifest: Manifest,
    commits: usize,
    _lock: File,
}

fn io(context: &str, e: impl std::fmt::Display) -> Error {
    Error::io(format!("{context}: {e}"))
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp).map_err(|e| io(&tmp.display().to_string(), e))?;
    f.write_all(bytes).and_then(|()| f.sync_all()).map_err(|e| io(&tmp.display().to_string(), e))?;
    fs::rename(&tmp, path).map_err(|e| io(&path.display().to_string(), e))
}

impl Store {
    /// Opens (creating) a workspace for ingest: takes its lock, finishes or
    /// discards what an interrupted run left.
    pub fn open(ws: &Path) -> Result<Store> {
        let meta = ws.join(KQLOG_DIR);
        fs::create_dir_all(&meta).map_err(|e| io(&format!("cannot create workspace `{}`", ws.display()), e))?;
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(meta.join("lock"))
            .map_err(|e| io("cannot create the workspace lock", e))?;
        // A lock just released can linger for a moment (a process forked
        // while it was held keeps it until its exec), so wait a little.
        let mut tries = 0;
        while lock.try_lock().is_err() {
            tries += 1;
            if tries == 40 {
                return Err(Error::io(format!(
                    "another kqlog ingest is writing to `{}`; wait for it to finish",
                    ws.display()
                )));
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        recover(ws)?;
        let manifest = match fs::read(meta.join("manifest.json")) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| io("the workspace manifest is damaged", e))?,
            Err(_) => Manifest { version: 1, ..Default::default() },
        };
        let run = format!("{}-{:05}", chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f"), std::process::id() % 100_000)
            .replace('.', "");
        let staging = meta.join("staging").join(&run);
        Ok(Store {
            ws: ws.to_path_buf(),
            run,
            staging,
            moves: Vec::new(),
            writers: Vec::new(),
            // One per table a container log fills (ContainerLog, ContainerLogV2).
            workers: Workers::new(2),
            in_flight: None,
            seq: 0,
            manifest,
            commits: 0,
            _lock: lock,
        })
    }

    pub fn run_id(&self) -> &str {
        &self.run
    }

    fn stage_path(&mut self, table: &str, ext: &str) -> Result<(PathBuf, PathBuf)> {
        self.seq += 1;
        let dir = self.staging.join(table);
        fs::create_dir_all(&dir).map_err(|e| io("cannot create the staging folder", e))?;
        let name = format!("{}-{:04}.{ext}", self.run, self.seq);
        let final_dir =
            if table == "_rejected" { self.ws.join(KQLOG_DIR).join("rejected") } else { self.ws.join(table) };
        Ok((dir.join(&name), final_dir.join(&name)))
    }

    /// Writes rows of `table` as Parquet files, each sorted by
    /// `TimeGenerated`, staged until the next commit. Logs arrive as runs
    /// already in time order (a source file's lines, mostly): a long run
    /// is written as it is, in its own file; short runs and batches out of
    /// order within are merged and sorted into one more file.
    pub fn write_table(&mut self, table: &str, schema: &SchemaRef, batches: Vec<RecordBatch>) -> Result<()> {
        let (runs, rest) = time_ordered_runs(batches);
        let mut files = Vec::new();
        for (batches, sort) in runs.into_iter().map(|r| (r, false)).chain((!rest.is_empty()).then_some((rest, true))) {
            let (staged, final_path) = self.stage_path(table, "parquet")?;
            self.moves.push((staged.clone(), final_path));
            files.push((staged, batches, sort));
        }
        let (schema, table) = (Arc::clone(schema), table.to_string());
        self.writers.push(self.workers.submit(move || {
            let mut rows = 0;
            for (staged, batches, sort) in files {
                rows += batches.iter().map(RecordBatch::num_rows).sum::<usize>() as u64;
                if !sort {
                    write_parquet(&staged, &schema, &batches)?;
                    continue;
                }
                let plain = batches.iter().map(|b| as_table_batch(&schema, b)).collect::<Result<Vec<_>>>()?;
                drop(batches);
                let batch = concat_batches(&schema, &plain).map_err(|e| io("combining rows", e))?;
                drop(plain);
                let batch = sort_by_time(batch)?;
                write_parquet(&staged, &schema, std::slice::from_ref(&batch))?;
            }
            Ok((table, rows))
        }));
        Ok(())
    }

    /// Stages rejected records (JSON lines) for the next commit.
    pub fn write_rejects(&mut self, lines: &[String]) -> Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let (staged, final_path) = self.stage_path("_rejected", "jsonl")?;
        let mut text = lines.join("\n");
        text.push('\n');
        let mut f = File::create(&staged).map_err(|e| io("cannot write rejected records", e))?;
        f.write_all(text.as_bytes()).and_then(|()| f.sync_all()).map_err(|e| io("cannot write rejected records", e))?;
        self.moves.push((staged, final_path));
        Ok(())
    }

    /// Closes a checkpoint: what was staged since the last one, with the
    /// manifest as it is now, becomes one commit. It is made visible once
    /// its files are written — at the next checkpoint or at `finish` — so
    /// reading goes on while they are encoded. Returns rows written per
    /// table by the commits completed now.
    pub fn checkpoint(&mut self) -> Result<Vec<(String, u64)>> {
        let done = self.complete_in_flight()?;
        let commit =
            Commit { run: self.run.clone(), moves: std::mem::take(&mut self.moves), manifest: self.manifest.clone() };
        self.in_flight = Some(Group { writers: std::mem::take(&mut self.writers), commit });
        Ok(done)
    }

    /// Waits for the last checkpoint's files and commits them: at the end,
    /// and before the next checkpoint's buffers are taken, so that these
    /// reuse the memory of the rows just written instead of adding to the
    /// peak.
    pub fn settle(&mut self) -> Result<Vec<(String, u64)>> {
        self.complete_in_flight()
    }

    fn complete_in_flight(&mut self) -> Result<Vec<(String, u64)>> {
        let Some(group) = self.in_flight.take() else { return Ok(Vec::new()) };
        let mut rows = Vec::new();
        let mut failure = None;
        for w in group.writers {
            match w.wait() {
                Some(Ok(r)) => rows.push(r),
                Some(Err(e)) => failure = Some(e),
                None => failure = Some(Error::io("a Parquet writer thread failed")),
            }
        }
        if let Some(e) = failure {
            return Err(e);
        }
        self.commits += 1;
        crash_point("staged", self.commits);
        let bytes = serde_json::to_vec_pretty(&group.commit).map_err(|e| io("commit", e))?;
        write_atomic(&self.ws.join(KQLOG_DIR).join("commit.json"), &bytes)?;
        crash_point("committing", self.commits);
        finish_commit(&self.ws, group.commit, self.commits)?;
        Ok(rows)
    }

    /// Removes this run's empty staging folder.
    pub fn close(self) -> Result<()> {
        let _ = fs::remove_dir_all(&self.staging);
        if let Some(parent) = self.staging.parent() {
            let _ = fs::remove_dir(parent);
        }
        Ok(())
    }
}

/// Test hook standing in for `kill -9`: `KQLOG_CRASH_AT=<point>:<n>` aborts
/// the process at that point of the n-th commit (points: `staged`,
/// `committing`, `moving`), so tests can prove recovery without timing luck.
fn crash_point(point: &str, n: usize) {
    if let Ok(spec) = std::env::var("KQLOG_CRASH_AT")
        && spec == format!("{point}:{n}")
    {
        std::process::abort();
    }
}

fn finish_commit(ws: &Path, commit: Commit, n: usize) -> Result<()> {
    for (k, (from, to)) in commit.moves.iter().enumerate() {
        if k == 1 {
            crash_point("moving", n);
        }
        if from.exists() {
            if let Some(parent) = to.parent() {
                fs::create_dir_all(parent).map_err(|e| io("cannot create a table folder", e))?;
            }
            fs::rename(from, to).map_err(|e| io(&format!("cannot move `{}`", from.display()), e))?;
        }
    }
    let bytes = serde_json::to_vec_pretty(&commit.manifest).map_err(|e| io("manifest", e))?;
    write_atomic(&ws.join(KQLOG_DIR).join("manifest.json"), &bytes)?;
    fs::remove_file(ws.join(KQLOG_DIR).join("commit.json")).map_err(|e| io("cannot finish the commit", e))
}

/// Completes an interrupted commit and drops staging without one.
fn recover(ws: &Path) -> Result<()> {
    let meta = ws.join(KQLOG_DIR);
    if let Ok(bytes) = fs::read(meta.join("commit.json")) {
        let commit: Commit = serde_json::from_slice(&bytes).map_err(|e| io("the pending commit is damaged", e))?;
        finish_commit(ws, commit, 0)?;
    }
    let staging = meta.join("staging");
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(|e| io("cannot clean up staging", e))?;
    }
    Ok(())
}

/// Rows a time-ordered run needs to be written as its own file.
const MIN_RUN_ROWS: usize = 16 * 1024;

/// Splits batches into runs in time order (by a `TimeGenerated` without
/// nulls; a table without one is one run) long enough for a file of
/// their own, and the rest.
fn time_ordered_runs(batches: Vec<RecordBatch>) -> (Vec<Vec<RecordBatch>>, Vec<RecordBatch>) {
    let mut runs = Vec::new();
    let mut rest = Vec::new();
    let mut run: Vec<RecordBatch> = Vec::new();
    let mut run_rows = 0;
    let mut last = i64::MIN;
    let close = |run: &mut Vec<RecordBatch>, rows: usize, runs: &mut Vec<Vec<RecordBatch>>, rest: &mut Vec<_>| {
        if rows >= MIN_RUN_ROWS {
            runs.push(std::mem::take(run));
        } else {
            rest.append(run);
        }
    };
    for b in batches {
        let Some((first, end)) = time_span(&b) else {
            rest.push(b);
            continue;
        };
        if first < last {
            close(&mut run, run_rows, &mut runs, &mut rest);
            run_rows = 0;
        }
        last = end;
        run_rows += b.num_rows();
        run.push(b);
    }
    close(&mut run, run_rows, &mut runs, &mut rest);
    (runs, rest)
}

/// First and last time of a batch in time order; None when its times are
/// out of order or null.
fn time_span(b: &RecordBatch) -> Option<(i64, i64)> {
    let Some(col) = b.column_by_name("TimeGenerated") else { return Some((i64::MIN, i64::MIN)) };
    let t = col.as_any().downcast_ref::<arrow::array::TimestampNanosecondArray>()?;
    if arrow::array::Array::null_count(t) > 0 {
        return None;
    }
    let v = t.values();
    v.windows(2)
        .all(|w| w[0] <= w[1])
        .then(|| (v.first().copied().unwrap_or(i64::MIN), v.last().copied().unwrap_or(i64::MIN)))
}

/// A batch with the table's own column types (dictionaries made plain).
fn as_table_batch(schema: &SchemaRef, batch: &RecordBatch) -> Result<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(f, c)| arrow::compute::cast(c, f.data_type()))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| io("combining rows", e))?;
    RecordBatch::try_new(Arc::clone(schema), columns).map_err(|e| io("combining rows", e))
}

fn sort_by_time(batch: RecordBatch) -> Result<RecordBatch> {
    // Called only when `in_time_order` said no.
    let Some(col) = batch.column_by_name("TimeGenerated") else { return Ok(batch) };
    let idx = sort_to_indices(col, Some(SortOptions { descending: false, nulls_first: true }), None)
        .map_err(|e| io("sorting rows", e))?;
    take_record_batch(&batch, &idx).map_err(|e| io("sorting rows", e))
}

/// Reads up to `HEAD_LEN` bytes from the start of a stream.
pub fn read_head(r: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0u8; HEAD_LEN];
    let mut n = 0;
    while n < HEAD_LEN {
        let k = r.read(&mut buf[n..])?;
        if k == 0 {
            break;
        }
        n += k;
    }
    buf.truncate(n);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, Int64Array, TimestampNanosecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};

    fn batch(times: &[Option<i64>]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("TimeGenerated", DataType::Timestamp(TimeUnit::Nanosecond, None), true),
            Field::new("N", DataType::Int64, true),
        ]));
        let t = TimestampNanosecondArray::from(times.to_vec());
        let n = Int64Array::from_iter_values(0..times.len() as i64);
        RecordBatch::try_new(schema, vec![Arc::new(t), Arc::new(n)]).unwrap()
    }

    fn ordered(from: i64, rows: usize) -> RecordBatch {
        batch(&(0..rows as i64).map(|i| Some(from + i)).collect::<Vec<_>>())
    }

    #[test]
    fn long_runs_in_time_order_get_files_of_their_own() {
        let rows = MIN_RUN_ROWS;
        let batches = vec![
            ordered(1_000_000, rows / 2),
            ordered(2_000_000, rows / 2), // continues the first run
            ordered(0, rows),             // a second container, earlier times: a new run
            ordered(5, 10),               // a short run
            batch(&[Some(3), Some(1)]),   // out of order within
            batch(&[Some(7), None]),      // a null time
            ordered(10, rows),            // long again
        ];
        let (runs, rest) = time_ordered_runs(batches);
        let sizes: Vec<Vec<usize>> = runs.iter().map(|r| r.iter().map(RecordBatch::num_rows).collect()).collect();
        assert_eq!(sizes, vec![vec![rows / 2, rows / 2], vec![rows], vec![rows]]);
        // The rest is merged and sorted into one file: its order is free.
        let mut rest_sizes: Vec<usize> = rest.iter().map(RecordBatch::num_rows).collect();
        rest_sizes.sort();
        assert_eq!(rest_sizes, vec![2, 2, 10]);
        assert!(rest.iter().any(|b| b.column(0).null_count() == 1));
    }
}
