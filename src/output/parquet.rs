//! A result as a Parquet file, in kqlog's own Arrow types (so a result
//! saved from one query can be queried again as a workspace table).

use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::engine::QueryResult;
use crate::error::{Error, Result};

pub fn to_bytes(result: &QueryResult) -> Result<Vec<u8>> {
    let props = WriterProperties::builder().set_compression(Compression::ZSTD(ZstdLevel::default())).build();
    let mut buf = Vec::new();
    let io = |e: parquet::errors::ParquetError| Error::io(format!("cannot write Parquet: {e}"));
    let mut w = ArrowWriter::try_new(&mut buf, result.schema.clone(), Some(props)).map_err(io)?;
    for b in &result.batches {
        w.write(b).map_err(io)?;
    }
    w.close().map_err(io)?;
    Ok(buf)
}
