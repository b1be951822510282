//! Name resolution against an operator's input schema. Every column
//! lookup goes through here, so unknown names get one kind of error with
//! suggestions from the live schema.

use datafusion::common::{Column, DFSchema};
use datafusion::logical_expr::Expr;

use crate::diag::suggest::{did_you_mean, nearest};
use crate::diag::{Diagnostic, codes};
use crate::plan::{PResult, Typed};
use crate::syntax::span::Span;
use crate::types::KType;

/// The column of `schema` named `name` (unqualified, exact case).
pub fn find_column(schema: &DFSchema, name: &str) -> Option<Typed> {
    let (q, f) = schema.iter().find(|(_, f)| f.name() == name)?;
    let ty = KType::of_arrow(f.data_type())?;
    Some(Typed::new(Expr::Column(Column::new(q.cloned(), name)), ty))
}

pub fn column_names(schema: &DFSchema) -> Vec<String> {
    schema.fields().iter().map(|f| f.name().clone()).collect()
}

pub fn has_column(schema: &DFSchema, name: &str) -> bool {
    schema.fields().iter().any(|f| f.name() == name)
}

/// "unknown column" with the nearest column (or `let`) names as help.
pub fn unknown_column(schema: &DFSchema, name: &str, span: Span, extra: &[String]) -> Diagnostic {
    let cols = column_names(schema);
    let candidates: Vec<&str> = cols.iter().map(String::as_str).chain(extra.iter().map(String::as_str)).collect();
    let near = nearest(name, candidates.iter().copied());
    let mut d = Diagnostic::new(codes::UNKNOWN_COLUMN, format!("unknown column `{name}`")).at(span);
    d = if cols.is_empty() { d.label("there are no columns here") } else { d.label("not a column of the input") };
    match did_you_mean(&near) {
        Some(h) => d.help(h),
        None if !cols.is_empty() && cols.len() <= 12 => d.help(format!(
            "the input's columns are {}",
            cols.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
        )),
        None => d,
    }
}

/// Requires `name` to be a column and returns it.
pub fn column(schema: &DFSchema, name: &str, span: Span) -> PResult<Typed> {
    find_column(schema, name).ok_or_else(|| unknown_column(schema, name, span, &[]))
}
