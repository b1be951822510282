//! Pipeline sources: tables, `let` names, `datatable`, `print`, `range`,
//! `union`, user function calls, `( … )`.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, new_null_array};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::MemTable;
use datafusion::common::ScalarValue;
use datafusion::datasource::provider_as_source;
use datafusion::functions_table::generate_series::{GenSeriesArgs, GenerateSeriesTable};
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, Operator, lit};

use crate::diag::suggest::{did_you_mean, nearest};
use crate::diag::{Diagnostic, codes};
use crate::plan::expr::Cx;
use crate::plan::typing::{self, binary, cast};
use crate::plan::{Binding, PResult, Pipe, Planner, df_err};
use crate::syntax::ast::{self, Ident, Source, TypeName};
use crate::syntax::span::Span;
use crate::types::KType;

impl Planner<'_> {
    pub fn source(&mut self, s: &Source) -> PResult<Pipe> {
        match s {
            Source::Table(name) => self.table(name),
            Source::Wildcard(name) => Err(Diagnostic::new(
                codes::SYNTAX,
                format!("the wildcard `{}` can only name tables inside `union`", name.name),
            )
            .at(name.span)),
            Source::Call { name, args, span } => self.call_source(name, args, *span),
            Source::Datatable { columns, values, span } => self.datatable(columns, values, *span),
            Source::Print { columns, span } => self.print(columns, *span),
            Source::Range { column, from, to, step, span } => self.range(column, from, to, step, *span),
            Source::Union { options, tables, span } => self.union_source(options, tables, *span),
            Source::Nested(t) => self.tabular(t),
            Source::Search { case_sensitive, tables, predicate, span } => {
                self.search_source(*case_sensitive, tables.as_deref(), predicate, *span)
            }
            Source::Find { with_source, tables, predicate, project, span } => {
                self.find_source(with_source.as_ref(), tables.as_deref(), predicate, project.as_deref(), *span)
            }
            Source::ExternalData { columns, paths, options, span } => {
                self.external_data(columns, paths, options, *span)
            }
        }
    }

    /// A table or tabular `let` by name.
    pub fn table(&mut self, name: &Ident) -> PResult<Pipe> {
        match self.lookup(&name.name) {
            Some(Binding::Tabular(plan)) => return Ok(Pipe::new(plan.clone())),
            Some(Binding::Scalar(_)) => {
                return Err(Diagnostic::new(
                    codes::TYPE_MISMATCH,
                    format!("`{}` is a scalar value, not a table", name.name),
                )
                .at(name.span)
                .help(format!("use it in an expression, e.g. `print {}`", name.name)));
            }
            Some(Binding::Function(_)) => return self.call_source(name, &[], name.span),
            None => {}
        }
        let Some(provider) = self.catalog.get(&name.name) else {
            return Err(self.unknown_table(&name.name, name.span));
        };
        let plan = LogicalPlanBuilder::scan(name.name.as_str(), provider_as_source(provider), None)
            .and_then(|b| b.build())
            .map_err(|e| df_err(e, name.span))?;
        normalize(plan, name.span).map(Pipe::new)
    }

    pub fn unknown_table(&self, name: &str, span: Span) -> Diagnostic {
        let mut candidates: Vec<String> = self.catalog.names().map(str::to_string).collect();
        candidates.extend(self.bound_names());
        let near = nearest(name, candidates.iter().map(String::as_str));
        let mut d = Diagnostic::new(codes::UNKNOWN_TABLE, format!("unknown table `{name}`")).at(span);
        d = match did_you_mean(&near) {
            Some(h) => d.help(h),
            None if self.catalog.names().next().is_none() => {
                d.help("the workspace has no tables: ingest logs with `kqlog ingest` or pass `-w DIR`")
            }
            None => d.help(format!(
                "the workspace's tables are {}",
                self.catalog.names().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            )),
        };
        d
    }

    fn call_source(&mut self, name: &Ident, args: &[ast::Expr], span: Span) -> PResult<Pipe> {
        match self.lookup(&name.name).cloned() {
            Some(Binding::Function(f)) => {
                self.enter_call(span)?;
                let result = (|| {
                    let empty = datafusion::common::DFSchema::empty();
                    let bindings = self.bind_arguments(&f, name, args, span, &Cx::new(&empty))?;
                    self.push_scope();
                    for (n, b) in bindings {
                        self.bind(&n, b);
                    }
                    let mut r = Ok(());
                    for st in &f.lets {
                        r = self.statement(st);
                        if r.is_err() {
                            break;
                        }
                    }
                    let out = r.and_then(|()| match &f.body {
                        ast::FunctionBody::Tabular(t) => self.tabular(t),
                        ast::FunctionBody::Scalar(e) => match &e.kind {
                            ast::ExprKind::Name(n) => self.table(n),
                            ast::ExprKind::Tabular(t) => self.tabular(t),
                            ast::ExprKind::Call { name: inner, args: inner_args }
                                if self.is_tabular_call(&inner.name) =>
                            {
                                self.call_source(inner, inner_args, e.span)
                            }
                            _ => Err(Diagnostic::new(
                                codes::TYPE_MISMATCH,
                                format!("`{}` returns a scalar, not a table", name.name),
                            )
                            .at(span)),
                        },
                    });
                    self.pop_scope();
                    out
                })();
                self.call_depth -= 1;
                result
            }
            Some(Binding::Tabular(plan)) if args.is_empty() => Ok(Pipe::new(plan)),
            _ => match name.name.as_str() {
                // kqlog plans each use separately; `materialize` is a no-op.
                "materialize" | "view" | "table" if args.len() == 1 => match &args[0].kind {
                    ast::ExprKind::Tabular(t) => self.tabular(t),
                    ast::ExprKind::Name(n) => self.table(n),
                    ast::ExprKind::Literal(ast::Literal::String(s)) => {
                        self.table(&Ident { name: s.clone(), span: args[0].span })
                    }
                    _ => Err(Diagnostic::new(codes::BAD_ARGUMENTS, format!("`{}()` takes a table", name.name))
                        .at(args[0].span)),
                },
                _ => Err(self.unknown_table(&name.name, name.span)),
            },
        }
    }

    fn datatable(&mut self, columns: &[(Ident, TypeName)], values: &[ast::Expr], span: Span) -> PResult<Pipe> {
        let ncols = columns.len();
        if ncols == 0 {
            return Err(Diagnostic::new(codes::SYNTAX, "`datatable` needs at least one column").at(span));
        }
        if !values.len().is_multiple_of(ncols) {
            return Err(Diagnostic::new(
                codes::BAD_VALUE,
                format!(
                    "`datatable` has {ncols} columns but {} values, which is not a whole number of rows",
                    values.len()
                ),
            )
            .at(span));
        }
        let mut seen = std::collections::HashSet::new();
        for (n, _) in columns {
            if !seen.insert(n.name.clone()) {
                return Err(Diagnostic::new(codes::DUPLICATE_COLUMN, format!("column `{}` is declared twice", n.name))
                    .at(n.span));
            }
        }
        let empty = datafusion::common::DFSchema::empty();
        let mut cells: Vec<Vec<ScalarValue>> = vec![Vec::new(); ncols];
        for (k, v) in values.iter().enumerate() {
            let (col, ty) = &columns[k % ncols];
            let kty = KType::from_type_name(*ty);
            let t = self.lower_expr(v, &Cx::new(&empty))?;
            let Some(value) = self.fold(&t.expr) else {
                return Err(Diagnostic::new(codes::BAD_VALUE, "`datatable` values must be constants").at(v.span));
            };
            let value = coerce_cell(value, t.ty, kty).ok_or_else(|| {
                Diagnostic::new(
                    codes::TYPE_MISMATCH,
                    format!("this value is a `{}`, but column `{}` is a `{}`", t.ty, col.name, kty),
                )
                .at(v.span)
            })?;
            cells[k % ncols].push(value);
        }
        let fields: Vec<Field> =
            columns.iter().map(|(n, t)| Field::new(&n.name, KType::from_type_name(*t).arrow(), true)).collect();
        let schema = Arc::new(Schema::new(fields));
        let mut arrays: Vec<ArrayRef> = Vec::new();
        for (k, col) in cells.into_iter().enumerate() {
            let dt = schema.field(k).data_type().clone();
            let arr = if col.is_empty() {
                new_null_array(&dt, 0)
            } else {
                ScalarValue::iter_to_array(col).map_err(|e| df_err(e, span))?
            };
            arrays.push(arr);
        }
        let batch = RecordBatch::try_new(Arc::clone(&schema), arrays).map_err(|e| df_err(e.into(), span))?;
        self.mem_table(schema, vec![batch], span)
    }

    pub fn mem_table(&mut self, schema: Arc<Schema>, batches: Vec<RecordBatch>, span: Span) -> PResult<Pipe> {
        let table = MemTable::try_new(schema, vec![batches]).map_err(|e| df_err(e, span))?;
        let name = self.fresh("table");
        let plan = LogicalPlanBuilder::scan(name.as_str(), provider_as_source(Arc::new(table)), None)
            .and_then(|b| b.build())
            .map_err(|e| df_err(e, span))?;
        Ok(Pipe::new(plan))
    }

    fn print(&mut self, columns: &[ast::NamedExpr], span: Span) -> PResult<Pipe> {
        let base = LogicalPlanBuilder::empty(true).build().map_err(|e| df_err(e, span))?;
        let schema = base.schema().clone();
        let cx = Cx::new(&schema);
        let mut exprs = Vec::new();
        let mut names = std::collections::HashSet::new();
        let columns = crate::plan::multi::expand(columns);
        for (k, c) in columns.iter().enumerate() {
            let t = self.lower_expr(&c.expr, &cx)?;
            let name = match &c.name {
                Some(n) => {
                    if names.contains(&n.name) {
                        return Err(Diagnostic::new(
                            codes::DUPLICATE_COLUMN,
                            format!("column `{}` is declared twice", n.name),
                        )
                        .at(n.span));
                    }
                    n.name.clone()
                }
                None => crate::plan::naming::unique(&format!("print_{k}"), &names),
            };
            names.insert(name.clone());
            exprs.push(t.expr.alias(name));
        }
        let plan =
            LogicalPlanBuilder::from(base).project(exprs).and_then(|b| b.build()).map_err(|e| df_err(e, span))?;
        Ok(Pipe::new(plan))
    }

    fn range(
        &mut self,
        column: &Ident,
        from: &ast::Expr,
        to: &ast::Expr,
        step: &ast::Expr,
        span: Span,
    ) -> PResult<Pipe> {
        let empty = datafusion::common::DFSchema::empty();
        let cx = Cx::new(&empty);
        let f = self.lower_expr(from, &cx)?;
        let t = self.lower_expr(to, &cx)?;
        let s = self.lower_expr(step, &cx)?;
        let konst = |p: &Self, e: &Expr, sp: Span| {
            p.fold(e).ok_or_else(|| Diagnostic::new(codes::BAD_VALUE, "`range` bounds must be constants").at(sp))
        };
        let (fv, tv, sv) =
            (konst(self, &f.expr, from.span)?, konst(self, &t.expr, to.span)?, konst(self, &s.expr, step.span)?);
        let num = |v: &ScalarValue| -> Option<f64> {
            match v {
                ScalarValue::Int64(Some(x)) => Some(*x as f64),
                ScalarValue::Int32(Some(x)) => Some(f64::from(*x)),
                ScalarValue::Float64(Some(x)) => Some(*x),
                ScalarValue::TimestampNanosecond(Some(x), _) | ScalarValue::DurationNanosecond(Some(x)) => {
                    Some(*x as f64)
                }
                _ => None,
            }
        };
        let (value_ty, step_ok) = match (f.ty, t.ty, s.ty) {
            (a, b, c) if a.is_numeric() && b.is_numeric() && c.is_numeric() => {
                let real = [a, b, c].contains(&KType::Real);
                (if real { KType::Real } else { KType::Long }, true)
            }
            (KType::DateTime, KType::DateTime, KType::TimeSpan) => (KType::DateTime, true),
            (KType::TimeSpan, KType::TimeSpan, KType::TimeSpan) => (KType::TimeSpan, true),
            _ => (KType::Null, false),
        };
        if !step_ok {
            return Err(Diagnostic::new(
                codes::TYPE_MISMATCH,
                format!("`range` from a `{}` to a `{}` in steps of `{}` is not possible", f.ty, t.ty, s.ty),
            )
            .at(span)
            .help("use numbers, or datetimes with a timespan step"));
        }
        let (Some(a), Some(b), Some(st)) = (num(&fv), num(&tv), num(&sv)) else {
            // A null bound gives no rows.
            return self.range_rows(column, 0, lit(0i64), lit(0i64), value_ty, span);
        };
        if st == 0.0 {
            return Err(Diagnostic::new(codes::BAD_VALUE, "the `range` step must not be zero").at(step.span));
        }
        let count = ((b - a) / st).floor();
        let count = if count < 0.0 { 0 } else { count as i64 + 1 };
        if count > 10_000_000_000 {
            return Err(Diagnostic::new(codes::BAD_VALUE, format!("`range` would produce {count} rows")).at(span));
        }
        self.range_rows(column, count, f.expr, s.expr, value_ty, span)
    }

    fn range_rows(
        &mut self,
        column: &Ident,
        count: i64,
        start: Expr,
        step: Expr,
        ty: KType,
        span: Span,
    ) -> PResult<Pipe> {
        let schema = Arc::new(Schema::new(vec![Field::new("value", DataType::Int64, false)]));
        let args = GenSeriesArgs::Int64Args { start: 0, end: count - 1, step: 1, include_end: true, name: "range" };
        let table = GenerateSeriesTable::new(schema, args);
        let name = self.fresh("range");
        let i = Expr::Column(datafusion::common::Column::from_name("value"));
        let value = match ty {
            KType::Long => {
                binary(cast(start, KType::Long), Operator::Plus, binary(i, Operator::Multiply, cast(step, KType::Long)))
            }
            KType::Real => binary(
                cast(start, KType::Real),
                Operator::Plus,
                binary(cast(i, KType::Real), Operator::Multiply, cast(step, KType::Real)),
            ),
            _ => cast(
                binary(
                    cast(start, KType::Long),
                    Operator::Plus,
                    binary(i, Operator::Multiply, cast(step, KType::Long)),
                ),
                ty,
            ),
        };
        let plan = LogicalPlanBuilder::scan(name.as_str(), provider_as_source(Arc::new(table)), None)
            .and_then(|b| b.project(vec![value.alias(column.name.clone())]))
            .and_then(|b| b.build())
            .map_err(|e| df_err(e, span))?;
        let mut pipe = Pipe::new(plan);
        // `range` output is ordered, so `prev()`/`row_number()` follow it.
        pipe.order =
            Some(vec![Expr::Column(datafusion::common::Column::from_name(column.name.clone())).sort(true, true)]);
        Ok(pipe)
    }
}

/// A datatable cell as its column's type.
fn coerce_cell(v: ScalarValue, from: KType, to: KType) -> Option<ScalarValue> {
    if v.is_null() {
        return ScalarValue::try_from(to.arrow()).ok();
    }
    if from == to {
        return Some(v);
    }
    match (from, to) {
        (a, b) if a.is_numeric() && b.is_numeric() => v.cast_to(&to.arrow()).ok(),
        (KType::String | KType::Guid, KType::String | KType::Guid) => Some(v),
        (_, KType::Dynamic) => {
            let arr = v.to_array().ok()?;
            let j = crate::functions::convert::to_json(crate::functions::convert::value_at(arr.as_ref(), 0).ok()?);
            Some(ScalarValue::LargeUtf8(Some(j.to_string())))
        }
        (KType::Bool, KType::Long | KType::Int) => v.cast_to(&to.arrow()).ok(),
        _ => None,
    }
}

/// Casts columns of foreign Parquet files to kqlog's canonical types (so
/// `Timestamp(µs)`, `Int16`, `Utf8View` behave like datetime, int, string).
pub fn normalize(plan: LogicalPlan, span: Span) -> PResult<LogicalPlan> {
    let schema = plan.schema().clone();
    let needs = schema
        .fields()
        .iter()
        .any(|f| !KType::is_canonical(f.data_type()) && !matches!(f.data_type(), DataType::Utf8View));
    if !needs {
        return Ok(plan);
    }
    let mut exprs = Vec::new();
    for (q, f) in schema.iter() {
        let c = Expr::Column(datafusion::common::Column::new(q.cloned(), f.name()));
        let e = match KType::of_arrow(f.data_type()) {
            Some(k) if !KType::is_canonical(f.data_type()) && f.data_type() != &DataType::Utf8View => {
                typing::cast(c, k).alias(f.name())
            }
            Some(_) => c,
            // Lists, structs, binary: shown as text for now.
            None => typing::cast(c, KType::String).alias(f.name()),
        };
        exprs.push(e);
    }
    LogicalPlanBuilder::from(plan).project(exprs).and_then(|b| b.build()).map_err(|e| df_err(e, span))
}
