//! ContainerLog and ContainerLogV2 rows, built column-wise. Every container
//! log line becomes a row of both tables, and most of their columns hold
//! the same value for all lines of a container (id, image, name, pod,
//! computer, source system, type). So a line only appends what varies —
//! time, stream, text, message, level — and the container is recorded once
//! per run of lines; a batch then gets its columns as dictionary arrays
//! keyed by that run, and the columns the two tables have in common (times,
//! container id, stream, computer) are one array shared by both.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, DictionaryArray, Int32Array, LargeStringArray, LargeStringBuilder, RecordBatch, StringArray,
    StringBuilder, TimestampNanosecondBuilder,
};
use arrow::datatypes::Int32Type;

use crate::error::Result;
use crate::ingest::few_values::FewValues;
use crate::ingest::message::Message;
use crate::ingest::rows::batch;
use crate::ingest::schema::{CONTAINER_LOG, CONTAINER_LOG_V2};
use crate::ingest::sink::Container;

/// What a container log line adds to both tables.
pub struct Line<'a> {
    pub time: Option<i64>,
    pub stream: &'a str,
    /// ContainerLog's `LogEntry`.
    pub text: &'a str,
    /// ContainerLogV2's `LogMessage`.
    pub message: Message<'a>,
    pub level: &'static str,
}

pub struct ContainerRows {
    computer: Arc<str>,
    times: TimestampNanosecondBuilder,
    stream: FewValues<i32>,
    level: FewValues<i32>,
    text: StringBuilder,
    message: LargeStringBuilder,
    /// Runs of rows from one container: (first row, container).
    runs: Vec<(usize, Container)>,
    rows: usize,
    bytes: usize,
}

impl ContainerRows {
    pub fn new(computer: &str) -> Self {
        ContainerRows {
            computer: computer.into(),
            times: TimestampNanosecondBuilder::new().with_timezone(crate::types::UTC),
            stream: FewValues::default(),
            level: FewValues::default(),
            text: StringBuilder::new(),
            message: LargeStringBuilder::new(),
            runs: Vec::new(),
            rows: 0,
            bytes: 0,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Approximate bytes buffered, to decide when to flush.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn push(&mut self, c: &Container, line: &Line) {
        if !self.runs.last().is_some_and(|(_, last)| same_container(last, c)) {
            self.runs.push((self.rows, c.clone()));
        }
        self.times.append_option(line.time);
        let stream = match line.stream.as_bytes() {
            b"stdout" => self.stream.push_static("stdout"),
            b"stderr" => self.stream.push_static("stderr"),
            _ => self.stream.push(Some(line.stream)),
        };
        self.bytes += stream + self.level.push_static(line.level);
        self.text.append_value(line.text);
        line.message.append_to(&mut self.message);
        self.bytes += 8 + line.text.len() + line.message.json_len() + 12;
        self.rows += 1;
    }

    /// The buffered rows as (ContainerLog, ContainerLogV2) batches; the
    /// buffers start empty again, sized like this batch.
    pub fn take(&mut self) -> Result<Option<(RecordBatch, RecordBatch)>> {
        let rows = self.rows;
        if rows == 0 {
            return Ok(None);
        }
        let runs = std::mem::take(&mut self.runs);
        let time: ArrayRef = Arc::new(
            std::mem::replace(
                &mut self.times,
                TimestampNanosecondBuilder::with_capacity(rows).with_timezone(crate::types::UTC),
            )
            .finish(),
        );
        let stream = self.stream.finish();
        let level = self.level.finish();
        // Sized like this batch with an eighth more, so that a batch of
        // longer lines rarely regrows (a copy, and fresh pages to fault in).
        let text_bytes = self.text.values_slice().len() * 9 / 8;
        let text: ArrayRef =
            Arc::new(std::mem::replace(&mut self.text, StringBuilder::with_capacity(rows, text_bytes)).finish());
        let message_bytes = self.message.values_slice().len() * 9 / 8;
        let message: ArrayRef = Arc::new(
            std::mem::replace(&mut self.message, LargeStringBuilder::with_capacity(rows, message_bytes)).finish(),
        );
        self.rows = 0;
        self.bytes = 0;

        // One key array of zeros serves every column with one value; it is
        // checked against its dictionary once, not once per column.
        let zeros =
            DictionaryArray::<Int32Type>::new(Int32Array::from(vec![0; rows]), Arc::new(StringArray::from(vec![""])));
        let constant = |v: &str| -> ArrayRef { Arc::new(zeros.with_values(Arc::new(StringArray::from(vec![v])))) };
        let per_run = |f: fn(&Container) -> &Arc<str>| per_run(&runs, rows, &zeros, f);
        let empty = constant("");
        let source = constant("Containers");
        let computer = constant(&self.computer);
        let id = per_run(|c| &c.id);

        let log = batch(
            CONTAINER_LOG.name,
            &CONTAINER_LOG.schema(),
            vec![
                Arc::clone(&empty),
                Arc::clone(&source),
                Arc::clone(&time),
                Arc::clone(&computer),
                Arc::clone(&time),
                Arc::clone(&id),
                per_run(|c| &c.image),
                per_run(|c| &c.image_tag),
                per_run(|c| &c.repository),
                per_run(|c| &c.log_name),
                text,
                Arc::clone(&stream),
                constant(CONTAINER_LOG.name),
                Arc::clone(&empty),
            ],
        )?;
        let v2 = batch(
            CONTAINER_LOG_V2.name,
            &CONTAINER_LOG_V2.schema(),
            vec![
                Arc::clone(&empty),
                source,
                time,
                computer,
                id,
                per_run(|c| &c.name),
                per_run(|c| &c.pod_name),
                per_run(|c| &c.pod_namespace),
                message,
                stream,
                level,
                kubernetes(&runs, rows, &zeros),
                constant(CONTAINER_LOG_V2.name),
                empty,
            ],
        )?;
        Ok(Some((log, v2)))
    }
}

/// The same container, known by identity: `runs` holds a clone of each
/// shared text, so equal pointers mean equal texts.
fn same_container(a: &Container, b: &Container) -> bool {
    let same = |x: &Arc<str>, y: &Arc<str>| Arc::ptr_eq(x, y);
    same(&a.id, &b.id)
        && same(&a.log_name, &b.log_name)
        && same(&a.name, &b.name)
        && same(&a.image, &b.image)
        && same(&a.image_tag, &b.image_tag)
        && same(&a.repository, &b.repository)
        && same(&a.pod_name, &b.pod_name)
        && same(&a.pod_namespace, &b.pod_namespace)
        && match (&a.kubernetes, &b.kubernetes) {
            (Some(x), Some(y)) => same(x, y),
            (None, None) => true,
            _ => false,
        }
}

/// Keys for a column whose value is set per run: equal texts of
/// neighbouring runs share a key, so one value throughout stays one key.
fn run_keys<'a>(
    runs: &'a [(usize, Container)],
    rows: usize,
    value: impl Fn(&'a Container) -> Option<&'a str>,
) -> (Option<Int32Array>, Vec<Option<&'a str>>) {
    let mut values: Vec<Option<&str>> = Vec::new();
    let mut keys: Vec<i32> = Vec::new();
    for (_, c) in runs {
        let v = value(c);
        let k = match values.iter().position(|x| *x == v) {
            Some(k) => k,
            None => {
                values.push(v);
                values.len() - 1
            }
        };
        keys.push(k as i32);
    }
    if keys.iter().all(|&k| k == 0) {
        return (None, values);
    }
    let mut row_keys = Vec::with_capacity(rows);
    for (i, (start, _)) in runs.iter().enumerate() {
        let end = runs.get(i + 1).map_or(rows, |(s, _)| *s);
        row_keys.extend(std::iter::repeat_n(keys[i], end - start));
    }
    (Some(Int32Array::from(row_keys)), values)
}

/// Keys of zeros (None from `run_keys`) are taken from `zeros`, already
/// checked.
type Zeros = DictionaryArray<Int32Type>;

fn per_run(runs: &[(usize, Container)], rows: usize, zeros: &Zeros, f: fn(&Container) -> &Arc<str>) -> ArrayRef {
    let (keys, values) = run_keys(runs, rows, |c| Some(f(c).as_ref()));
    let values: ArrayRef = Arc::new(values.into_iter().collect::<StringArray>());
    match keys {
        None => Arc::new(zeros.with_values(values)),
        Some(keys) => Arc::new(DictionaryArray::<Int32Type>::new(keys, values)),
    }
}

/// ContainerLogV2's `KubernetesMetadata`: JSON text per run, or null.
fn kubernetes(runs: &[(usize, Container)], rows: usize, zeros: &Zeros) -> ArrayRef {
    let (keys, values) = run_keys(runs, rows, |c| c.kubernetes.as_deref());
    let all_set = values.iter().all(Option::is_some);
    if keys.is_none() && all_set {
        let values: LargeStringArray = values.into_iter().map(|v| Some(v.unwrap_or(""))).collect();
        return Arc::new(zeros.with_values(Arc::new(values)));
    }
    let keys = keys.unwrap_or_else(|| zeros.keys().clone());
    // A run without metadata has a null key (a null dynamic value).
    let keys = if all_set {
        keys
    } else {
        let valid: Vec<bool> = keys.values().iter().map(|&k| values[k as usize].is_some()).collect();
        Int32Array::new(keys.values().clone(), Some(valid.into()))
    };
    let values: LargeStringArray = values.into_iter().map(|v| Some(v.unwrap_or(""))).collect();
    Arc::new(DictionaryArray::<Int32Type>::new(keys, Arc::new(values)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::few_values::single_value;
    use arrow::array::{Array, AsArray};
    use arrow::compute::cast;
    use arrow::datatypes::DataType;

    fn texts(b: &RecordBatch, column: &str) -> Vec<Option<String>> {
        let a = cast(b.column_by_name(column).unwrap(), &DataType::Utf8).unwrap();
        a.as_string::<i32>().iter().map(|v| v.map(str::to_string)).collect()
    }

    fn container(id: &str, kubernetes: Option<&str>) -> Container {
        Container {
            id: id.into(),
            log_name: format!("{id}-name").into(),
            name: format!("{id}-name").into(),
            image: "contoso/app:1".into(),
            kubernetes: kubernetes.map(Into::into),
            ..Default::default()
        }
    }

    #[test]
    fn runs_of_containers_become_per_row_values_in_both_tables() {
        let a = container("a", Some(r#"{"podName":"web"}"#));
        let b = container("b", None);
        let mut rows = ContainerRows::new("node-1");
        for (i, c) in [&a, &a, &a, &b, &b, &a].into_iter().enumerate() {
            let text = format!("line {i}");
            let message = format!("\"line {i}\"");
            let stream = if i == 4 { "stderr" } else { "stdout" };
            let time = (i != 2).then_some(i as i64 * 1000);
            rows.push(c, &Line { time, stream, text: &text, message: Message::Json(&message), level: "INFO" });
        }
        let (log, v2) = rows.take().unwrap().unwrap();
        assert_eq!(rows.rows(), 0);
        let ids: Vec<_> = ["a", "a", "a", "b", "b", "a"].map(|s| Some(s.to_string())).into();
        assert_eq!(texts(&log, "ContainerID"), ids);
        assert_eq!(texts(&v2, "ContainerId"), ids);
        assert_eq!(texts(&log, "Name")[3], Some("b-name".into()));
        assert_eq!(texts(&log, "LogEntry")[5], Some("line 5".into()));
        assert_eq!(texts(&v2, "LogMessage")[5], Some("\"line 5\"".into()));
        assert_eq!(texts(&log, "LogEntrySource")[4], Some("stderr".into()));
        assert_eq!(texts(&v2, "Computer"), vec![Some("node-1".to_string()); 6]);
        assert_eq!(texts(&log, "Type")[0], Some("ContainerLog".into()));
        let k = texts(&v2, "KubernetesMetadata");
        assert_eq!((k[0].as_deref(), k[3].as_deref()), (Some(r#"{"podName":"web"}"#), None));
        // One time array serves TimeGenerated, TimeOfCommand and V2's TimeGenerated.
        let t = log.column_by_name("TimeGenerated").unwrap();
        assert!(Arc::ptr_eq(t, log.column_by_name("TimeOfCommand").unwrap()));
        assert!(Arc::ptr_eq(t, v2.column_by_name("TimeGenerated").unwrap()));
        assert_eq!(t.null_count(), 1);
        // Per-table values are constants the writer recognises.
        assert_eq!(single_value(log.column_by_name("Image").unwrap()), Some(Some("contoso/app:1".into())));
        assert_eq!(single_value(log.column_by_name("ContainerID").unwrap()), None);
    }

    #[test]
    fn one_container_without_metadata_gives_constant_columns() {
        let mut rows = ContainerRows::new("");
        let c = container("c", None);
        for _ in 0..3 {
            rows.push(
                &c,
                &Line { time: Some(1), stream: "stdout", text: "x", message: Message::Quoted("x"), level: "UNKNOWN" },
            );
        }
        let (log, v2) = rows.take().unwrap().unwrap();
        assert_eq!(single_value(log.column_by_name("ContainerID").unwrap()), Some(Some("c".into())));
        assert_eq!(single_value(log.column_by_name("Computer").unwrap()), Some(Some(String::new())));
        assert_eq!(single_value(v2.column_by_name("KubernetesMetadata").unwrap()), Some(None));
        assert_eq!(log.schema().fields().len(), CONTAINER_LOG.columns.len());
        assert!(rows.take().unwrap().is_none());
    }
}
