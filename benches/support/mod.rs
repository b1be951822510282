//! A generated ContainerLog table for benchmarks: realistic shapes
//! (timestamps a second apart, a few nodes and containers, log lines from
//! templates with ~3% errors), deterministic from a seed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray, TimestampNanosecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

const TEMPLATES: &[&str] = &[
    "GET /api/v1/orders/{n} 200 {m}ms",
    "POST /api/v1/cart 201 {m}ms user={n}",
    "INFO Worker {n} processed batch in {m} ms",
    "DEBUG cache hit ratio {m}% for shard {n}",
    "WARN retrying request {n} after timeout ({m} ms)",
    "healthcheck ok",
    "2026-11-03 10:00:{m} Connection pool size {n}",
];
const ERRORS: &[&str] = &[
    "ERROR Unhandled exception: System.TimeoutException at Orders.Api.Get({n})",
    "error: connection refused to db-{n}:5432",
    "panic: runtime error: index out of range [{m}]",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

pub fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("TimeGenerated", DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())), true),
        Field::new("Computer", DataType::Utf8, true),
        Field::new("ContainerID", DataType::Utf8, true),
        Field::new("Image", DataType::Utf8, true),
        Field::new("LogEntrySource", DataType::Utf8, true),
        Field::new("LogEntry", DataType::Utf8, true),
    ]))
}

fn batch(start: usize, len: usize, rng: &mut Rng) -> RecordBatch {
    let base: i64 = 1_793_700_000_000_000_000; // 2026-11-03
    let mut t = Vec::with_capacity(len);
    let mut computer = Vec::with_capacity(len);
    let mut container = Vec::with_capacity(len);
    let mut image = Vec::with_capacity(len);
    let mut source = Vec::with_capacity(len);
    let mut entry = Vec::with_capacity(len);
    for i in start..start + len {
        let r = rng.next();
        t.push(base + i as i64 * 1_000_000_000);
        computer.push(format!("aks-node-{}", r % 8));
        container.push(format!("{:064x}", (r >> 8) % 64));
        image.push(format!("contoso/svc-{}:1.{}", (r >> 8) % 64 % 12, r % 3));
        let error = r % 100 < 3;
        source.push(if error { "stderr" } else { "stdout" });
        let tpl = if error {
            ERRORS[(r >> 16) as usize % ERRORS.len()]
        } else {
            TEMPLATES[(r >> 16) as usize % TEMPLATES.len()]
        };
        entry.push(
            tpl.replace("{n}", &((r >> 24) % 10_000).to_string()).replace("{m}", &((r >> 40) % 1000).to_string()),
        );
    }
    let cols: Vec<ArrayRef> = vec![
        Arc::new(TimestampNanosecondArray::from(t).with_timezone("UTC")),
        Arc::new(StringArray::from(computer)),
        Arc::new(StringArray::from(container)),
        Arc::new(StringArray::from(image)),
        Arc::new(StringArray::from(source)),
        Arc::new(StringArray::from(entry)),
    ];
    RecordBatch::try_new(schema(), cols).unwrap_or_else(|e| panic!("bench data: {e}"))
}

/// A workspace with a ContainerLog of `rows` rows, created once under
/// `target/bench-data/` and reused.
pub fn workspace(rows: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/bench-data/ws-{rows}"));
    let file = dir.join("ContainerLog/part-0.parquet");
    if file.exists() {
        return dir;
    }
    std::fs::create_dir_all(file.parent().unwrap_or(&dir)).unwrap_or_else(|e| panic!("{e}"));
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(128 * 1024))
        .build();
    let tmp = file.with_extension("tmp");
    let f = std::fs::File::create(&tmp).unwrap_or_else(|e| panic!("{e}"));
    let mut w = ArrowWriter::try_new(f, schema(), Some(props)).unwrap_or_else(|e| panic!("{e}"));
    let mut rng = Rng(0x5EED);
    let mut done = 0;
    while done < rows {
        let n = (rows - done).min(65_536);
        w.write(&batch(done, n, &mut rng)).unwrap_or_else(|e| panic!("{e}"));
        done += n;
    }
    w.close().unwrap_or_else(|e| panic!("{e}"));
    std::fs::rename(&tmp, &file).unwrap_or_else(|e| panic!("{e}"));
    dir
}
