//! Column chunks of few-valued string columns — the stream, the level, a
//! container's fields in a row group that spans containers — written
//! straight from the dictionary keys the rows already carry. Given the
//! same column, the Parquet writer looks every row's text up in a hash
//! table to find a key again, which cost a tenth of an ingest.
//!
//! A chunk is one dictionary page (the values, PLAIN) and one data page
//! (definition levels, then the keys bit-packed: RLE_DICTIONARY), both
//! zstd-compressed, as Parquet's format defines them; any reader reads it
//! as the writer's own. Arrays of other shapes are left to the writer.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, DictionaryArray};
use arrow::datatypes::{DataType, Int32Type};
use bytes::Bytes;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::file::metadata::ColumnChunkMetaData;
use parquet::file::page_index::offset_index::{OffsetIndexMetaData, PageLocation};
use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;

use crate::error::{Error, Result};

/// Values in one bit-packed run: 63 groups of 8, so that its header fits
/// one byte, as Parquet's own writers keep it.
const RUN_VALUES: usize = 63 * 8;

/// The chunk of `slices` (together one row group) in column `descr`, or
/// None when they are not all dictionary arrays of text, or all null.
pub fn encode(descr: &ColumnDescPtr, slices: &[ArrayRef]) -> Result<Option<(Bytes, ColumnCloseResult)>> {
    if descr.max_def_level() != 1 || descr.max_rep_level() != 0 {
        return Ok(None);
    }
    let Some(rows) = Rows::gather(slices) else { return Ok(None) };
    write(descr, &rows).map(Some)
}

/// The chunk of `rows` copies of `value` in column `descr` (a nullable
/// text column).
pub fn constant(descr: &ColumnDescPtr, value: &str, rows: usize) -> Result<(Bytes, ColumnCloseResult)> {
    let rows = Rows { values: vec![value.as_bytes()], keys: Keys::Same(0, rows), defined: None, len: rows };
    write(descr, &rows)
}

fn write(descr: &ColumnDescPtr, rows: &Rows) -> Result<(Bytes, ColumnCloseResult)> {
    let width = bits(rows.values.len() - 1);

    let mut dictionary = Vec::new();
    for v in &rows.values {
        dictionary.extend_from_slice(&(v.len() as u32).to_le_bytes());
        dictionary.extend_from_slice(v);
    }

    let mut data = Vec::new();
    let mut levels = Vec::new();
    match &rows.defined {
        None => {
            // One RLE run of 1s.
            uleb128((rows.len as u64) << 1, &mut levels);
            levels.push(1);
        }
        Some(defined) => bit_packed(defined.iter().map(|&d| u32::from(d)), defined.len(), 1, &mut levels),
    }
    data.extend_from_slice(&(levels.len() as u32).to_le_bytes());
    data.extend_from_slice(&levels);
    data.push(width);
    match &rows.keys {
        Keys::Each(keys) => bit_packed(keys.iter().copied(), keys.len(), width, &mut data),
        Keys::Same(key, n) => {
            // One RLE run: its length, then the key in a byte.
            uleb128((*n as u64) << 1, &mut data);
            data.push(*key as u8);
        }
    }

    let level = ZstdLevel::try_new(1).map_err(pq)?;
    let compress = |b: &[u8]| zstd::bulk::compress(b, 1).map(Bytes::from).map_err(pq);
    let dictionary_page = CompressedPage::new(
        Page::DictionaryPage {
            buf: compress(&dictionary)?,
            num_values: rows.values.len() as u32,
            encoding: Encoding::PLAIN,
            is_sorted: false,
        },
        dictionary.len(),
    );
    let data_page = CompressedPage::new(
        Page::DataPage {
            buf: compress(&data)?,
            num_values: rows.len as u32,
            encoding: Encoding::RLE_DICTIONARY,
            def_level_encoding: Encoding::RLE,
            rep_level_encoding: Encoding::RLE,
            statistics: None,
        },
        data.len(),
    );

    let mut sink = TrackedWrite::new(Vec::new());
    let mut pages = SerializedPageWriter::new(&mut sink);
    let dict_spec = pages.write_page(dictionary_page).map_err(pq)?;
    let data_spec = pages.write_page(data_page).map_err(pq)?;
    pages.close().map_err(pq)?;
    let bytes = Bytes::from(sink.into_inner().map_err(pq)?);

    let metadata = ColumnChunkMetaData::builder(Arc::clone(descr))
        .set_compression(Compression::ZSTD(level))
        .set_encodings(vec![Encoding::PLAIN, Encoding::RLE, Encoding::RLE_DICTIONARY])
        .set_num_values(rows.len as i64)
        .set_total_compressed_size(bytes.len() as i64)
        .set_total_uncompressed_size((dict_spec.uncompressed_size + data_spec.uncompressed_size) as i64)
        .set_dictionary_page_offset(Some(dict_spec.offset as i64))
        .set_data_page_offset(data_spec.offset as i64)
        .build()
        .map_err(pq)?;
    let offset_index = OffsetIndexMetaData {
        page_locations: vec![PageLocation {
            offset: data_spec.offset as i64,
            compressed_page_size: data_spec.compressed_size as i32,
            first_row_index: 0,
        }],
        unencoded_byte_array_data_bytes: None,
    };
    let close = ColumnCloseResult {
        bytes_written: bytes.len() as u64,
        rows_written: rows.len as u64,
        metadata,
        bloom_filter: None,
        column_index: None,
        offset_index: Some(offset_index),
    };
    Ok((bytes, close))
}

/// A row group's rows as keys into one dictionary.
struct Rows<'a> {
    values: Vec<&'a [u8]>,
    /// Keys of the rows that are not null.
    keys: Keys,
    /// Per row, whether it is not null; None when no row is.
    defined: Option<Vec<bool>>,
    len: usize,
}

enum Keys {
    Each(Vec<u32>),
    /// One key, this many times.
    Same(u32, usize),
}

impl<'a> Rows<'a> {
    /// The slices' rows, when all are dictionary arrays of text and some
    /// row is not null; their dictionaries merged.
    fn gather(slices: &'a [ArrayRef]) -> Option<Rows<'a>> {
        let mut rows = Rows { values: Vec::new(), keys: Keys::Each(Vec::new()), defined: None, len: 0 };
        let mut merged_keys = Vec::new();
        for slice in slices {
            let dict: &DictionaryArray<Int32Type> = slice.as_dictionary_opt()?;
            let values = dict.values();
            if values.null_count() > 0 {
                return None;
            }
            let texts: Vec<&[u8]> = match values.data_type() {
                DataType::Utf8 => values.as_string::<i32>().iter().map(|v| v.unwrap_or("").as_bytes()).collect(),
                DataType::LargeUtf8 => values.as_string::<i64>().iter().map(|v| v.unwrap_or("").as_bytes()).collect(),
                _ => return None,
            };
            // This slice's keys to the merged dictionary's.
            let mut to_merged = Vec::with_capacity(texts.len());
            for t in texts {
                let k = match rows.values.iter().position(|v| *v == t) {
                    Some(k) => k,
                    None => {
                        rows.values.push(t);
                        rows.values.len() - 1
                    }
                };
                to_merged.push(k as u32);
            }
            let keys = dict.keys();
            if keys.null_count() > 0 || rows.defined.is_some() {
                let defined = rows.defined.get_or_insert_with(|| vec![true; rows.len]);
                defined.extend((0..keys.len()).map(|i| keys.is_valid(i)));
            }
            for (i, &k) in keys.values().iter().enumerate() {
                if keys.is_valid(i) {
                    merged_keys.push(*to_merged.get(k as usize)?);
                }
            }
            rows.len += keys.len();
        }
        let some_value = !merged_keys.is_empty();
        rows.keys = Keys::Each(merged_keys);
        // Keys are written in at most a byte each; few-valued columns stay
        // far below that.
        (some_value && rows.values.len() <= 256).then_some(rows)
    }
}

/// Bits that hold keys up to `max` (at least one).
fn bits(max: usize) -> u8 {
    (usize::BITS - max.leading_zeros()).max(1) as u8
}

fn uleb128(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// `n` values of `width` bits as bit-packed runs of Parquet's
/// RLE/bit-packing hybrid; the last group is padded with zeros.
fn bit_packed(values: impl Iterator<Item = u32>, n: usize, width: u8, out: &mut Vec<u8>) {
    let mut values = values;
    let mut left = n;
    while left > 0 {
        let run = left.min(RUN_VALUES);
        let groups = run.div_ceil(8);
        uleb128(((groups as u64) << 1) | 1, out);
        let end = out.len() + groups * usize::from(width);
        let (mut acc, mut held) = (0u64, 0u8);
        for v in values.by_ref().take(run) {
            acc |= u64::from(v) << held;
            held += width;
            while held >= 8 {
                out.push(acc as u8);
                acc >>= 8;
                held -= 8;
            }
        }
        if held > 0 {
            out.push(acc as u8);
        }
        out.resize(end, 0);
        left -= run;
    }
}

fn pq(e: impl std::fmt::Display) -> Error {
    Error::io(format!("cannot write Parquet: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, LargeStringArray, StringArray};
    use arrow::datatypes::{Field, Schema};
    use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
    use parquet::file::metadata::PageIndexPolicy;

    use crate::ingest::parquet_out::write_parquet;

    /// Two batches whose dictionaries list their values in other orders,
    /// with null rows, read back (page index included) as they were.
    #[test]
    fn chunks_read_back_as_written() {
        let dict = |keys: Vec<Option<i32>>, values: ArrayRef| -> ArrayRef {
            Arc::new(DictionaryArray::<Int32Type>::try_new(Int32Array::from(keys), values).unwrap())
        };
        let n = 3000;
        let first = dict(
            (0..n).map(|i| (i % 7 != 0).then_some(i % 2)).collect(),
            Arc::new(LargeStringArray::from(vec!["stdout", "stderr"])),
        );
        let second =
            dict((0..n).map(|i| Some(i % 3)).collect(), Arc::new(LargeStringArray::from(vec!["x", "stderr", ""])));
        let mut expected: Vec<Option<String>> = Vec::new();
        for a in [&first, &second] {
            let d = a.as_dictionary::<Int32Type>();
            let values = d.values().as_string::<i64>();
            expected.extend(d.keys().iter().map(|k| k.map(|k| values.value(k as usize).to_string())));
        }
        let schema = Arc::new(Schema::new(vec![Field::new("S", DataType::LargeUtf8, true)]));
        let batch = |a: &ArrayRef| {
            let s = Schema::new(vec![Field::new("S", a.data_type().clone(), true)]);
            arrow::array::RecordBatch::try_new(Arc::new(s), vec![Arc::clone(a)]).unwrap()
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        write_parquet(&path, &schema, &[batch(&first), batch(&second)]).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Required);
        let reader = ParquetRecordBatchReaderBuilder::try_new_with_options(file, options).unwrap();
        assert_eq!(reader.schema().as_ref(), schema.as_ref());
        let chunk = reader.metadata().row_group(0).column(0);
        assert_eq!(chunk.dictionary_page_offset(), Some(4), "written as one dictionary page, then keys");
        assert!(reader.metadata().offset_index().is_some());
        let mut got: Vec<Option<String>> = Vec::new();
        for b in reader.build().unwrap() {
            got.extend(b.unwrap().column(0).as_string::<i64>().iter().map(|v| v.map(str::to_string)));
        }
        assert_eq!(got, expected);
        // Other arrays are left to the Parquet writer.
        let descr = parquet::arrow::ArrowSchemaConverter::new().convert(&schema).unwrap().column(0);
        let plain: ArrayRef = Arc::new(StringArray::from(vec!["a"]));
        assert!(encode(&descr, &[plain]).unwrap().is_none());
        let all_null = dict(vec![None, None], Arc::new(LargeStringArray::from(vec!["x"])));
        assert!(encode(&descr, &[all_null]).unwrap().is_none());
    }

    #[test]
    fn keys_pack_as_parquet_defines_them() {
        // Eight 1-bit values form one byte, first value in the lowest bit.
        let mut out = Vec::new();
        bit_packed([1, 0, 1, 1, 0, 0, 0, 1].into_iter(), 8, 1, &mut out);
        assert_eq!(out, [0b11, 0b1000_1101]);
        // Ten 3-bit values: two groups, padded to 2 × 3 bytes.
        let mut out = Vec::new();
        bit_packed((0..10).map(|v| v % 8), 10, 3, &mut out);
        assert_eq!(out.len(), 1 + 6);
        assert_eq!(out[0], (2 << 1) | 1);
        assert_eq!(&out[1..4], [0b1000_1000, 0b1100_0110, 0b1111_1010]);
        // Long inputs are cut into runs of 63 groups.
        let mut out = Vec::new();
        bit_packed(std::iter::repeat_n(1, 1000), 1000, 1, &mut out);
        assert_eq!(out.len(), 1 + 63 + 1 + 62);
        assert_eq!(out[64], (62 << 1) | 1);
        assert_eq!(bits(0), 1);
        assert_eq!(bits(1), 1);
        assert_eq!(bits(2), 2);
        assert_eq!(bits(15), 4);
        let mut v = Vec::new();
        uleb128(300, &mut v);
        assert_eq!(v, [0xac, 0x02]);
    }
}
