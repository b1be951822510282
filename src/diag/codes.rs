//! Stable diagnostic codes. A released code is never reused for another
//! meaning; `testdata/errors/` holds one case per code.
//!
//! - KQL1xx: syntax
//! - KQL2xx: names and types
//! - KQL3xx: valid KQL that kqlog does not support yet
//! - KQL4xx: data and run-time problems
//! - KQL9xx: internal errors (a bug in kqlog)

/// The query text does not parse. `T | where`
pub const SYNTAX: &str = "KQL101";
/// Nesting beyond the parser's limit. `print ((((…))))`
pub const TOO_DEEP: &str = "KQL102";
/// Unknown column. `T | where Computr == "x"`
pub const UNKNOWN_COLUMN: &str = "KQL201";
/// Unknown table. `ContainerLgo | take 1`
pub const UNKNOWN_TABLE: &str = "KQL202";
/// Unknown function. `print strlenn("x")`
pub const UNKNOWN_FUNCTION: &str = "KQL203";
/// Wrong argument count or kind. `print strlen()`
pub const BAD_ARGUMENTS: &str = "KQL204";
/// Operand types that an operator or function does not accept. `print 1 + "a"`
pub const TYPE_MISMATCH: &str = "KQL205";
/// A value that must be constant is not, or is out of range. `T | take -1`
pub const BAD_VALUE: &str = "KQL206";
/// Two output columns with the same name. `print a=1, a=2`
pub const DUPLICATE_COLUMN: &str = "KQL207";
/// An aggregate used outside `summarize`, or a non-aggregate inside it.
pub const AGGREGATE_CONTEXT: &str = "KQL208";
/// Ambiguous or conflicting names (a table as both `T/` and `T.parquet`).
pub const AMBIGUOUS: &str = "KQL209";
/// Operator kqlog does not run yet. `T | mv-expand x`
pub const UNSUPPORTED_OPERATOR: &str = "KQL301";
/// Function kqlog does not run yet. `print series_fir(x)`
pub const UNSUPPORTED_FUNCTION: &str = "KQL302";
/// A feature inside a supported operator that kqlog lacks.
pub const UNSUPPORTED_FEATURE: &str = "KQL303";
/// A value outside what kqlog's types hold (datetimes before 1677).
pub const OUT_OF_RANGE: &str = "KQL401";
/// A failure while running the query (reading Parquet, memory).
pub const EXECUTION: &str = "KQL402";
/// A bug in kqlog: the plan it built was rejected.
pub const INTERNAL: &str = "KQL900";
