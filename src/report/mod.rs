//! Batch reports: scripts of several queries, charts for `render`, and one
//! self-contained HTML page.

pub mod chart;
pub mod html;
pub mod script;

use crate::engine::QueryResult;

/// The SVG chart a result's `render` asks for; `None` for tables, cards and
/// results without `render`.
pub fn chart_svg(result: &QueryResult) -> Result<Option<String>, String> {
    match chart::chart_of(result)? {
        Some(c) => chart::svg(&c).map(Some),
        None => Ok(None),
    }
}
