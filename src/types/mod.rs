//! Kusto's scalar types and how kqlog holds them in Arrow — the one place
//! that defines the mapping:
//!
//! | Kusto | Arrow |
//! |---|---|
//! | `bool` | `Boolean` |
//! | `int` | `Int32` |
//! | `long` | `Int64` |
//! | `real` | `Float64` |
//! | `decimal` | `Decimal128(38, 18)` |
//! | `string`, `guid` | `Utf8` |
//! | `datetime` | `Timestamp(Nanosecond, "UTC")` (1677-09-21 to 2262-04-11) |
//! | `timespan` | `Duration(Nanosecond)` (±106,751 days) |
//! | `dynamic` | `LargeUtf8` holding JSON text |
//!
//! `dynamic` gets an Arrow type of its own so that it stays recognisable
//! through every DataFusion expression (a `coalesce` or `case` of dynamics is
//! still dynamic), and Parquet files keep it. Foreign Parquet types are read
//! as the nearest Kusto type (`Int16` as `int`, `Utf8View` as `string`,
//! `Timestamp(µs)` as `datetime`) and cast on the way in.

pub mod format;
pub mod time;

use std::sync::Arc;

use arrow::datatypes::{DataType, TimeUnit};

use crate::syntax::ast::TypeName;

/// The Kusto type of a value, as kqlog tracks it while planning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KType {
    Bool,
    Int,
    Long,
    Real,
    Decimal,
    String,
    DateTime,
    TimeSpan,
    Guid,
    Dynamic,
    /// An untyped `null` (e.g. `dynamic(null)` folded away, or DataFusion's Null).
    Null,
}

pub const UTC: &str = "UTC";

pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some(Arc::from(UTC)))
}

impl KType {
    pub fn from_type_name(t: TypeName) -> KType {
        match t {
            TypeName::Bool => KType::Bool,
            TypeName::Int => KType::Int,
            TypeName::Long => KType::Long,
            TypeName::Real => KType::Real,
            TypeName::Decimal => KType::Decimal,
            TypeName::String => KType::String,
            TypeName::DateTime => KType::DateTime,
            TypeName::TimeSpan => KType::TimeSpan,
            TypeName::Guid => KType::Guid,
            TypeName::Dynamic => KType::Dynamic,
        }
    }

    /// The Arrow type kqlog uses for values of this type.
    pub fn arrow(self) -> DataType {
        match self {
            KType::Bool => DataType::Boolean,
            KType::Int => DataType::Int32,
            KType::Long => DataType::Int64,
            KType::Real => DataType::Float64,
            KType::Decimal => DataType::Decimal128(38, 18),
            KType::String | KType::Guid => DataType::Utf8,
            KType::DateTime => timestamp_type(),
            KType::TimeSpan => DataType::Duration(TimeUnit::Nanosecond),
            KType::Dynamic => DataType::LargeUtf8,
            KType::Null => DataType::Null,
        }
    }

    /// The Kusto type of an Arrow type, or `None` for types kqlog cannot read
    /// (lists, structs, binary).
    pub fn of_arrow(dt: &DataType) -> Option<KType> {
        Some(match dt {
            DataType::Boolean => KType::Bool,
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::UInt8 | DataType::UInt16 => KType::Int,
            DataType::Int64 | DataType::UInt32 | DataType::UInt64 => KType::Long,
            DataType::Float16 | DataType::Float32 | DataType::Float64 => KType::Real,
            DataType::Decimal32(..) | DataType::Decimal64(..) | DataType::Decimal128(..) | DataType::Decimal256(..) => {
                KType::Decimal
            }
            DataType::Utf8 | DataType::Utf8View => KType::String,
            DataType::LargeUtf8 => KType::Dynamic,
            DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => KType::DateTime,
            DataType::Duration(_) => KType::TimeSpan,
            DataType::Null => KType::Null,
            DataType::Dictionary(_, v) => return KType::of_arrow(v),
            _ => return None,
        })
    }

    /// True when the Arrow type is exactly the one kqlog computes with (no
    /// cast needed when a column of that type is read).
    pub fn is_canonical(dt: &DataType) -> bool {
        KType::of_arrow(dt).is_some_and(|k| k.arrow() == *dt || (k == KType::Null))
    }

    pub fn name(self) -> &'static str {
        match self {
            KType::Bool => "bool",
            KType::Int => "int",
            KType::Long => "long",
            KType::Real => "real",
            KType::Decimal => "decimal",
            KType::String => "string",
            KType::DateTime => "datetime",
            KType::TimeSpan => "timespan",
            KType::Guid => "guid",
            KType::Dynamic => "dynamic",
            KType::Null => "null",
        }
    }

    /// The .NET type name `getschema` reports.
    pub fn dotnet_name(self) -> &'static str {
        match self {
            KType::Bool => "System.Boolean",
            KType::Int => "System.Int32",
            KType::Long => "System.Int64",
            KType::Real => "System.Double",
            KType::Decimal => "System.Data.SqlTypes.SqlDecimal",
            KType::String => "System.String",
            KType::DateTime => "System.DateTime",
            KType::TimeSpan => "System.TimeSpan",
            KType::Guid => "System.Guid",
            KType::Dynamic => "System.Object",
            KType::Null => "System.Object",
        }
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, KType::Int | KType::Long | KType::Real | KType::Decimal)
    }

    pub fn is_integer(self) -> bool {
        matches!(self, KType::Int | KType::Long)
    }

    pub fn is_stringlike(self) -> bool {
        matches!(self, KType::String | KType::Guid)
    }
}

impl std::fmt::Display for KType {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
