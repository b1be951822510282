//! `as`, `getschema`, `serialize`, `render`.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};

use crate::diag::{Diagnostic, codes};
use crate::plan::scope::column_names;
use crate::plan::{Binding, PResult, Pipe, Planner, RenderSpec, df_err};
use crate::syntax::ast::{Expr, ExprKind, Ident, Literal, NamedExpr};
use crate::syntax::span::Span;
use crate::types::KType;

/// Chart kinds `render` accepts (Kusto's list; kqlog draws the common ones).
pub const CHARTS: &[&str] = &[
    "table",
    "timechart",
    "linechart",
    "areachart",
    "stackedareachart",
    "columnchart",
    "barchart",
    "piechart",
    "scatterchart",
    "card",
    "anomalychart",
    "pivotchart",
    "ladderchart",
    "timepivot",
    "treemap",
];

impl Planner<'_> {
    pub(super) fn as_op(&mut self, mut pipe: Pipe, name: &Ident) -> PResult<Pipe> {
        self.bind(&name.name, Binding::Tabular(pipe.plan.clone()));
        pipe.name = Some(name.name.clone());
        Ok(pipe)
    }

    pub(super) fn getschema(&mut self, pipe: Pipe, span: Span) -> PResult<Pipe> {
        let fields = pipe.schema().fields().clone();
        let names: Vec<String> = fields.iter().map(|f| f.name().clone()).collect();
        let ktypes: Vec<KType> =
            fields.iter().map(|f| KType::of_arrow(f.data_type()).unwrap_or(KType::String)).collect();
        let schema = Arc::new(Schema::new(vec![
            Field::new("ColumnName", DataType::Utf8, false),
            Field::new("ColumnOrdinal", DataType::Int32, false),
            Field::new("DataType", DataType::Utf8, false),
            Field::new("ColumnType", DataType::Utf8, false),
        ]));
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(names)),
            Arc::new(Int32Array::from((0..fields.len() as i32).collect::<Vec<_>>())),
            Arc::new(StringArray::from(ktypes.iter().map(|k| k.dotnet_name()).collect::<Vec<_>>())),
            Arc::new(StringArray::from(ktypes.iter().map(|k| k.name()).collect::<Vec<_>>())),
        ];
        let batch = RecordBatch::try_new(Arc::clone(&schema), arrays).map_err(|e| df_err(e.into(), span))?;
        self.mem_table(schema, vec![batch], span)
    }

    pub(super) fn serialize(&mut self, pipe: Pipe, columns: &[NamedExpr], span: Span) -> PResult<Pipe> {
        if columns.is_empty() {
            return Ok(pipe);
        }
        let names = column_names(pipe.schema());
        for c in columns {
            if let Some(n) = &c.name
                && names.contains(&n.name)
            {
                return Err(Diagnostic::new(
                    codes::DUPLICATE_COLUMN,
                    format!("`serialize` cannot replace column `{}`", n.name),
                )
                .at(n.span)
                .help("use `extend` to replace a column"));
            }
        }
        self.extend(pipe, columns, span)
    }

    pub(super) fn render(&mut self, mut pipe: Pipe, chart: &Ident, properties: &[(Ident, Expr)]) -> PResult<Pipe> {
        if !CHARTS.contains(&chart.name.as_str()) {
            let near = crate::diag::suggest::nearest(&chart.name, CHARTS.iter().copied());
            return Err(Diagnostic::new(codes::BAD_VALUE, format!("unknown chart type `{}`", chart.name))
                .at(chart.span)
                .maybe_help(crate::diag::suggest::did_you_mean(&near)));
        }
        let mut props = Vec::new();
        for (name, value) in properties {
            let text = match &value.kind {
                ExprKind::Literal(Literal::String(s)) => s.clone(),
                ExprKind::Literal(l) => l.to_string(),
                ExprKind::Name(n) => n.name.clone(),
                _ => value.to_string(),
            };
            props.push((name.name.clone(), text));
        }
        pipe.render = Some(RenderSpec { chart: chart.name.clone(), properties: props });
        Ok(pipe)
    }
}
