//! Row buffers: typed Arrow builders for one table, filled row by row
//! without intermediate allocations. Unset string cells become `""`
//! (Kusto strings are never null); other unset cells are null.

use std::sync::Arc;

use arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, Decimal128Builder, DurationNanosecondBuilder, Float64Builder, Int32Builder,
    Int64Builder, RecordBatch, TimestampNanosecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::error::{Error, Result};
use crate::ingest::few_values::FewValues;

/// One cell value, borrowed.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    Null,
    Str(&'a str),
    Long(i64),
    Real(f64),
    Bool(bool),
    /// Nanoseconds since the epoch.
    Time(i64),
    /// Nanoseconds.
    Span(i64),
    /// JSON text of a dynamic value.
    Json(&'a str),
}

enum Col {
    Str(FewValues<i32>),
    Dyn(FewValues<i64>),
    I32(Int32Builder),
    I64(Int64Builder),
    F64(Float64Builder),
    Bool(BooleanBuilder),
    Time(TimestampNanosecondBuilder),
    Span(DurationNanosecondBuilder),
    Dec(Decimal128Builder),
}

impl Col {
    fn new(dt: &DataType) -> Col {
        match dt {
            DataType::LargeUtf8 => Col::Dyn(FewValues::default()),
            DataType::Int32 => Col::I32(Int32Builder::new()),
            DataType::Int64 => Col::I64(Int64Builder::new()),
            DataType::Float64 => Col::F64(Float64Builder::new()),
            DataType::Boolean => Col::Bool(BooleanBuilder::new()),
            DataType::Timestamp(TimeUnit::Nanosecond, _) => {
                Col::Time(TimestampNanosecondBuilder::new().with_timezone(crate::types::UTC))
            }
            DataType::Duration(_) => Col::Span(DurationNanosecondBuilder::new()),
            DataType::Decimal128(p, s) => {
                Col::Dec(Decimal128Builder::new().with_precision_and_scale(*p, *s).unwrap_or_default())
            }
            _ => Col::Str(FewValues::default()),
        }
    }

    fn push(&mut self, v: Value) -> usize {
        match (self, v) {
            (Col::Str(b), Value::Str(s) | Value::Json(s)) => b.push(Some(s)),
            (Col::Str(b), Value::Null) => b.push(Some("")),
            (Col::Str(b), other) => b.push(Some(&text_of(other))),
            (Col::Dyn(b), Value::Json(s)) => b.push(Some(s)),
            (Col::Dyn(b), Value::Str(s)) => b.push(Some(&serde_json::Value::String(s.to_string()).to_string())),
            (Col::Dyn(b), Value::Null) => b.push(None),
            (Col::Dyn(b), other) => b.push(Some(&json_of(other))),
            (Col::I32(b), v) => {
                b.append_option(as_i64(v).and_then(|x| i32::try_from(x).ok()));
                4
            }
            (Col::I64(b), v) => {
                b.append_option(as_i64(v));
                8
            }
            (Col::F64(b), v) => {
                b.append_option(match v {
                    Value::Real(x) => Some(x),
                    Value::Long(x) => Some(x as f64),
                    _ => None,
                });
                8
            }
            (Col::Bool(b), v) => {
                b.append_option(match v {
                    Value::Bool(x) => Some(x),
                    _ => None,
                });
                1
            }
            (Col::Time(b), v) => {
                b.append_option(match v {
                    Value::Time(x) => Some(x),
                    _ => None,
                });
                8
            }
            (Col::Span(b), v) => {
                b.append_option(match v {
                    Value::Span(x) => Some(x),
                    _ => None,
                });
                8
            }
            (Col::Dec(b), v) => {
                b.append_option(match v {
                    Value::Long(x) => Some(i128::from(x) * 10i128.pow(18)),
                    Value::Real(x) => Some((x * 1e18) as i128),
                    _ => None,
                });
                16
            }
        }
    }

    /// The column so far; the builder starts again sized like this batch,
    /// so the next one fills it without growing (and copying) step by step.
    fn finish(&mut self) -> ArrayRef {
        let rows = self.len();
        match self {
            Col::Str(b) => b.finish(),
            Col::Dyn(b) => b.finish(),
            Col::I32(b) => std::mem::replace(b, Int32Builder::with_capacity(rows)).finish_arc(),
            Col::I64(b) => std::mem::replace(b, Int64Builder::with_capacity(rows)).finish_arc(),
            Col::F64(b) => std::mem::replace(b, Float64Builder::with_capacity(rows)).finish_arc(),
            Col::Bool(b) => std::mem::replace(b, BooleanBuilder::with_capacity(rows)).finish_arc(),
            Col::Time(b) => {
                std::mem::replace(b, TimestampNanosecondBuilder::with_capacity(rows).with_timezone(crate::types::UTC))
                    .finish_arc()
            }
            Col::Span(b) => std::mem::replace(b, DurationNanosecondBuilder::with_capacity(rows)).finish_arc(),
            Col::Dec(b) => Arc::new(b.finish()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Col::Str(b) => b.rows(),
            Col::Dyn(b) => b.rows(),
            Col::I32(b) => b.len(),
            Col::I64(b) => b.len(),
            Col::F64(b) => b.len(),
            Col::Bool(b) => b.len(),
            Col::Time(b) => b.len(),
            Col::Span(b) => b.len(),
            Col::Dec(b) => b.len(),
        }
    }
}

fn as_i64(v: Value) -> Option<i64> {
    match v {
        Value::Long(x) | Value::Time(x) | Value::Span(x) => Some(x),
        Value::Real(x) if x.is_finite() => Some(x as i64),
        Value::Bool(b) => Some(i64::from(b)),
        _ => None,
    }
}

fn text_of(v: Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Str(s) | Value::Json(s) => s.to_string(),
        Value::Long(x) => x.to_string(),
        Value::Real(x) => crate::types::format::real(x),
        Value::Bool(b) => b.to_string(),
        Value::Time(t) => crate::types::format::datetime(t),
        Value::Span(t) => crate::types::format::timespan(t),
    }
}

fn json_of(v: Value) -> String {
    match v {
        Value::Long(x) => x.to_string(),
        Value::Real(x) => serde_json::Number::from_f64(x).map_or_else(|| "null".into(), |n| n.to_string()),
        Value::Bool(b) => b.to_string(),
        other => serde_json::Value::String(text_of(other)).to_string(),
    }
}

/// Rows of one table being assembled.
pub struct TableBuffer {
    pub name: String,
    pub schema: SchemaRef,
    cols: Vec<Col>,
    set: Vec<bool>,
    rows: usize,
    bytes: usize,
}

impl TableBuffer {
    pub fn new(name: &str, schema: SchemaRef) -> Self {
        let cols = schema.fields().iter().map(|f| Col::new(f.data_type())).collect();
        let set = vec![false; schema.fields().len()];
        TableBuffer { name: name.to_string(), schema, cols, set, rows: 0, bytes: 0 }
    }

    /// Sets column `col` of the current row (a second set is ignored).
    #[inline]
    pub fn set(&mut self, col: usize, v: Value) {
        if col < self.cols.len() && !self.set[col] {
            self.bytes += self.cols[col].push(v);
            self.set[col] = true;
        }
    }

    /// Completes the current row, filling unset cells with defaults.
    pub fn end_row(&mut self) {
        for (k, done) in self.set.iter_mut().enumerate() {
            if !*done {
                self.bytes += self.cols[k].push(Value::Null);
            }
            *done = false;
        }
        self.rows += 1;
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Approximate bytes buffered (cells count what they hold), to decide
    /// when to flush.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The buffered rows as a batch; the buffer starts empty again.
    pub fn take(&mut self) -> Result<Option<RecordBatch>> {
        if self.rows == 0 {
            return Ok(None);
        }
        debug_assert!(self.cols.iter().all(|c| c.len() == self.rows));
        let arrays: Vec<ArrayRef> = self.cols.iter_mut().map(Col::finish).collect();
        self.rows = 0;
        self.bytes = 0;
        batch(&self.name, &self.schema, arrays).map(Some)
    }
}

/// A batch of `table`'s columns. String columns may come as dictionaries
/// (`FewValues`): the batch's own schema says so; the table's schema stays
/// what is written.
pub fn batch(table: &str, schema: &SchemaRef, arrays: Vec<ArrayRef>) -> Result<RecordBatch> {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .zip(&arrays)
        .map(|(f, a)| f.as_ref().clone().with_data_type(a.data_type().clone()))
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
        .map_err(|e| Error::io(format!("building {table} rows: {e}")))
}

/// `finish` of an owned builder, as a column.
trait FinishArc {
    fn finish_arc(self) -> ArrayRef;
}

impl<T: arrow::datatypes::ArrowPrimitiveType> FinishArc for arrow::array::PrimitiveBuilder<T> {
    fn finish_arc(mut self) -> ArrayRef {
        Arc::new(self.finish())
    }
}

impl FinishArc for BooleanBuilder {
    fn finish_arc(mut self) -> ArrayRef {
        Arc::new(self.finish())
    }
}
