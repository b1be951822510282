//! Writing a table's rows as one Parquet file. Row groups are built column
//! by column so that a column holding one value throughout a row group
//! (most columns of a container log: its id, image, name, computer,
//! source system) is copied in already encoded — one dictionary entry and
//! a run of zero keys, made once per value and row count — instead of
//! encoding and compressing the same text once per row. Columns of a few
//! values are written from their dictionary keys (`dict_chunk`).

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use arrow::array::{Array, ArrayRef, RecordBatch, new_null_array};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};
use bytes::Bytes;
use parquet::arrow::arrow_writer::{ArrowRowGroupWriterFactory, compute_leaves};
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter};
use parquet::basic::{Compression, ZstdLevel};
use parquet::column::writer::ColumnCloseResult;
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaDataReader};
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use crate::error::{Error, Result};
use crate::ingest::dict_chunk;
use crate::ingest::few_values::single_value;

/// Rows per row group.
pub const ROW_GROUP_ROWS: usize = 128 * 1024;

fn err(context: &str, e: impl std::fmt::Display) -> Error {
    Error::io(format!("{context}: {e}"))
}

fn pq(e: impl std::fmt::Display) -> Error {
    err("cannot write Parquet", e)
}

/// Parquet as kqlog writes it: zstd, 128 Ki-row row groups, and page
/// statistics with a page index on the time and number columns (so time
/// filters prune). String statistics are left out: the Parquet writer's
/// per-value string comparisons cost more than the rest of an ingest, and
/// dictionary encoding (a hash and a compare per value) is off too: plain
/// pages of varied text gain little from it — except in `few_values`
/// columns, whose rows take a handful of values (stream, level) and arrive
/// as dictionary arrays; columns that repeat one value are written as a
/// dictionary of one anyway (see the module).
pub fn writer_properties(schema: &SchemaRef, few_values: &[bool]) -> WriterProperties {
    let mut b = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()))
        .set_statistics_enabled(EnabledStatistics::None)
        .set_dictionary_enabled(false)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS));
    for (i, f) in schema.fields().iter().enumerate() {
        let path = parquet::schema::types::ColumnPath::from(f.name().as_str());
        if matches!(f.data_type(), DataType::Timestamp(..)) {
            // Log times step by small amounts: as deltas they pack into a few
            // bits each, instead of eight bytes for zstd to work through.
            b = b
                .set_column_encoding(path.clone(), parquet::basic::Encoding::DELTA_BINARY_PACKED)
                .set_column_statistics_enabled(path, EnabledStatistics::Page);
        } else if !is_text(f.data_type()) {
            b = b.set_column_statistics_enabled(path, EnabledStatistics::Page);
        } else if few_values.get(i).copied().unwrap_or(false) {
            b = b.set_column_dictionary_enabled(path, true);
        }
    }
    b.build()
}

fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8)
}

/// Writes `batches` (whose string columns may be dictionary arrays) as a
/// Parquet file of `schema`, and syncs it.
pub fn write_parquet(path: &Path, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<()> {
    let file = File::create(path).map_err(|e| err(&path.display().to_string(), e))?;
    let few_values: Vec<bool> = (0..schema.fields().len())
        .map(|c| batches.iter().all(|b| matches!(b.column(c).data_type(), DataType::Dictionary(..))))
        .collect();
    let props = writer_properties(schema, &few_values);
    let writer = ArrowWriter::try_new(file, Arc::clone(schema), Some(props.clone())).map_err(pq)?;
    let (mut file_writer, _) = writer.into_serialized_writer().map_err(pq)?;
    let columns: Vec<_> = (0..schema.fields().len()).map(|c| file_writer.schema_descr().column(c)).collect();
    let mut factories: Vec<Option<ArrowRowGroupWriterFactory>> = schema.fields().iter().map(|_| None).collect();
    for (index, group) in row_groups(batches).into_iter().enumerate() {
        let rows: usize = group.iter().map(|(_, _, n)| n).sum();
        let mut row_group = file_writer.next_row_group().map_err(pq)?;
        for (col, field) in schema.fields().iter().enumerate() {
            let slices: Vec<ArrayRef> = group.iter().map(|&(b, off, n)| batches[b].column(col).slice(off, n)).collect();
            if let Some(value) = one_value(&slices) {
                let (bytes, close) = constant_chunk(field, value, rows)?;
                row_group.append_column(&bytes, close).map_err(pq)?;
                continue;
            }
            if few_values[col]
                && let Some((bytes, close)) = dict_chunk::encode(&columns[col], &slices)?
            {
                row_group.append_column(&bytes, close).map_err(pq)?;
                continue;
            }
            let factory = match &mut factories[col] {
                Some(f) => f,
                empty => empty.insert(column_writer_factory(field, &props)?),
            };
            let mut writer =
                factory.create_column_writers(index).map_err(pq)?.pop().ok_or_else(|| pq("no column writer"))?;
            for slice in slices {
                let slice = if slice.data_type() == field.data_type() || few_values[col] {
                    slice
                } else {
                    cast(&slice, field.data_type()).map_err(pq)?
                };
                for leaf in compute_leaves(field, &slice).map_err(pq)? {
                    writer.write(&leaf).map_err(pq)?;
                }
            }
            let chunk = writer.close().map_err(pq)?;
            chunk.append_to_row_group(&mut row_group).map_err(pq)?;
        }
        row_group.close().map_err(pq)?;
    }
    let file = file_writer.into_inner().map_err(pq)?;
    file.sync_all().map_err(pq)
}

/// Makers of writers for one column alone. Each column writer holds a
/// compressor and a decompressor of its own, so none is made for the
/// columns that are spliced in already encoded; the chunk it writes is the
/// one the whole file's writers would have written.
fn column_writer_factory(field: &FieldRef, props: &WriterProperties) -> Result<ArrowRowGroupWriterFactory> {
    let one = Arc::new(Schema::new(vec![Arc::clone(field)]));
    let writer = ArrowWriter::try_new(std::io::sink(), one, Some(props.clone())).map_err(pq)?;
    Ok(writer.into_serialized_writer().map_err(pq)?.1)
}

/// The batches cut into row groups: per group, (batch, offset, rows) pieces.
fn row_groups(batches: &[RecordBatch]) -> Vec<Vec<(usize, usize, usize)>> {
    let mut groups = Vec::new();
    let mut group = Vec::new();
    let mut in_group = 0;
    for (b, batch) in batches.iter().enumerate() {
        let mut offset = 0;
        while offset < batch.num_rows() {
            let n = (batch.num_rows() - offset).min(ROW_GROUP_ROWS - in_group);
            group.push((b, offset, n));
            offset += n;
            in_group += n;
            if in_group == ROW_GROUP_ROWS {
                groups.push(std::mem::take(&mut group));
                in_group = 0;
            }
        }
    }
    if !group.is_empty() {
        groups.push(group);
    }
    groups
}

/// The value every piece holds, when they all hold the same one.
fn one_value(slices: &[ArrayRef]) -> Option<Option<String>> {
    let mut found: Option<Option<String>> = None;
    for s in slices {
        let v = single_value(s)?;
        match &found {
            Some(f) if *f != v => return None,
            Some(_) => {}
            None => found = Some(v),
        }
    }
    found
}

type ChunkKey = (String, DataType, bool, Option<String>, usize);

/// The encoded column chunk of `rows` copies of `value` in a column like
/// `field`: made once (as a one-column Parquet file in memory, whose
/// chunk is then spliced into each row group that needs it) and kept.
fn constant_chunk(field: &FieldRef, value: Option<String>, rows: usize) -> Result<(Bytes, ColumnCloseResult)> {
    static CACHE: OnceLock<Mutex<HashMap<ChunkKey, (Bytes, ColumnCloseResult)>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (field.name().clone(), field.data_type().clone(), field.is_nullable(), value, rows);
    if let Some(hit) = cache.lock().map_err(|_| Error::io("a Parquet writer thread failed"))?.get(&key) {
        return Ok(hit.clone());
    }
    let made = encode_constant(field, key.3.as_deref(), rows)?;
    let mut cache = cache.lock().map_err(|_| Error::io("a Parquet writer thread failed"))?;
    // Chunks of a few hundred bytes each; a long ingest of many containers
    // should still not keep them all.
    if cache.len() >= 4096 {
        cache.clear();
    }
    cache.insert(key, made.clone());
    Ok(made)
}

fn encode_constant(field: &FieldRef, value: Option<&str>, rows: usize) -> Result<(Bytes, ColumnCloseResult)> {
    if let Some(v) = value
        && is_text(field.data_type())
    {
        let descr = ArrowSchemaConverter::new().convert(&Schema::new(vec![Field::clone(field)])).map_err(pq)?.column(0);
        return dict_chunk::constant(&descr, v, rows);
    }
    // Nulls, and values of other types: written from a dictionary array,
    // not `rows` copies of the value (a dictionary array is stored as its
    // values' type).
    let array: ArrayRef = match value {
        None => new_null_array(field.data_type(), rows),
        Some(v) => {
            let values: ArrayRef = match field.data_type() {
                DataType::LargeUtf8 => Arc::new(arrow::array::LargeStringArray::from(vec![v])),
                _ => Arc::new(arrow::array::StringArray::from(vec![v])),
            };
            let keys = arrow::array::Int32Array::from(vec![0; rows]);
            Arc::new(arrow::array::DictionaryArray::<arrow::datatypes::Int32Type>::new(keys, values))
        }
    };
    let schema = Arc::new(Schema::new(vec![Field::clone(field).with_data_type(array.data_type().clone())]));
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()))
        .set_statistics_enabled(EnabledStatistics::None)
        // glibc's AVX-512 memcmp is slow on the empty strings the
        // dictionary's interner compares; empty text encodes to zeros that
        // compress to nothing anyway.
        .set_dictionary_enabled(value.is_some_and(|v| !v.is_empty()))
        .set_max_row_group_row_count(Some(rows.max(1)))
        .build();
    let mut buf = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut buf, Arc::clone(&schema), Some(props)).map_err(pq)?;
    writer.write(&RecordBatch::try_new(schema, vec![array]).map_err(pq)?).map_err(pq)?;
    writer.close().map_err(pq)?;
    let bytes = Bytes::from(buf);
    let meta = ParquetMetaDataReader::new()
        .with_page_index_policy(PageIndexPolicy::Optional)
        .parse_and_finish(&bytes)
        .map_err(pq)?;
    let chunk = meta.row_group(0).column(0).clone();
    let close = ColumnCloseResult {
        bytes_written: chunk.compressed_size() as u64,
        rows_written: rows as u64,
        metadata: chunk,
        bloom_filter: None,
        column_index: meta.column_index().and_then(|c| c.first()).and_then(|c| c.first()).cloned(),
        offset_index: meta.offset_index().and_then(|c| c.first()).and_then(|c| c.first()).cloned(),
    };
    Ok((bytes, close))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{AsArray, Int64Array};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    use crate::ingest::few_values::FewValues;

    #[test]
    fn constant_and_varied_columns_read_back_as_written() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("Id", DataType::Utf8, true),
            Field::new("Meta", DataType::LargeUtf8, true),
            Field::new("N", DataType::Int64, true),
        ]));
        // Three batches: one container, then another, then a mix, so some
        // row groups are constant and one is not.
        let mut batches = Vec::new();
        let mut expected = Vec::new();
        for (rows, ids) in
            [(ROW_GROUP_ROWS, &["a"][..]), (ROW_GROUP_ROWS / 2, &["b"][..]), (1000, &["a", "b", "c"][..])]
        {
            let mut id = FewValues::<i32>::default();
            let mut meta = FewValues::<i64>::default();
            for r in 0..rows {
                let v = ids[r % ids.len()];
                id.push(Some(v));
                meta.push(None);
                expected.push(v.to_string());
            }
            let n: ArrayRef = Arc::new(Int64Array::from_iter_values(0..rows as i64));
            let (id, meta) = (id.finish(), meta.finish());
            let fields = vec![
                Field::new("Id", id.data_type().clone(), true),
                Field::new("Meta", meta.data_type().clone(), true),
                Field::new("N", DataType::Int64, true),
            ];
            batches.push(RecordBatch::try_new(Arc::new(Schema::new(fields)), vec![id, meta, n]).unwrap());
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        write_parquet(&path, &schema, &batches).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
        assert_eq!(reader.schema().as_ref(), schema.as_ref());
        assert_eq!(reader.metadata().num_row_groups(), 2);
        let mut got = Vec::new();
        for b in reader.build().unwrap() {
            let b = b.unwrap();
            assert_eq!(b.column(1).null_count(), b.num_rows());
            got.extend(b.column(0).as_string::<i32>().iter().map(|v| v.unwrap().to_string()));
        }
        assert_eq!(got, expected);
    }
}
