//! The engine: a DataFusion `SessionContext` with a workspace's tables,
//! and the parse → plan → execute path for KQL.

pub mod workspace;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::dataframe::DataFrame;
use datafusion::execution::context::SessionContext;
use datafusion::prelude::SessionConfig;
use futures::StreamExt;

use crate::diag::{Diagnostic, codes};
use crate::error::{Error, Result};
use crate::plan::{Catalog, PlanOptions, Planned, RenderSpec};
use crate::syntax::ast::{Query, Statement};

/// Per-query settings.
#[derive(Debug, Clone, Default)]
pub struct QueryOptions {
    /// Pins `now()` (nanoseconds since the epoch); the wall clock otherwise.
    pub now: Option<i64>,
    /// Values for `declare query_parameters`, as KQL literal text.
    pub parameters: HashMap<String, String>,
}

/// A query's result: the rows, and the chart `render` asked for.
#[derive(Debug, Clone)]
pub struct QueryResult {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    pub render: Option<RenderSpec>,
}

impl QueryResult {
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

/// The session settings kqlog runs with.
pub fn session_config() -> SessionConfig {
    let mut config = SessionConfig::new().with_information_schema(false);
    let opts = config.options_mut();
    // `Utf8View` would erase the string/dynamic distinction (see crate::types).
    opts.execution.parquet.schema_force_view_types = false;
    // Read the Arrow schema kqlog wrote: it is what marks `dynamic` columns.
    opts.execution.parquet.skip_metadata = false;
    // Decode other columns only for rows that pass the filters: log searches
    // are selective.
    opts.execution.parquet.pushdown_filters = true;
    opts.execution.parquet.reorder_filters = true;
    // Kusto names are case-sensitive: never fold them.
    opts.sql_parser.enable_ident_normalization = false;
    config
}

pub struct Engine {
    ctx: SessionContext,
}

impl Default for Engine {
    fn default() -> Self {
        Self::new()
    }
}

impl Engine {
    /// An engine with no tables (`print`, `datatable`, `range` still work).
    pub fn new() -> Self {
        Engine { ctx: SessionContext::new_with_config(session_config()) }
    }

    /// An engine over an existing `SessionContext` and its tables.
    pub fn with_context(ctx: SessionContext) -> Self {
        Engine { ctx }
    }

    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Opens a workspace folder and registers its tables.
    pub async fn open(dir: &std::path::Path) -> Result<Self> {
        let engine = Engine::new();
        workspace::register(&engine.ctx, dir).await?;
        Ok(engine)
    }

    pub async fn plan(&self, text: &str, opts: &QueryOptions) -> Result<(Query, Planned)> {
        plan_on(&self.ctx, text, opts).await
    }

    /// Runs a query to completion.
    pub async fn query(&self, text: &str, opts: &QueryOptions) -> Result<QueryResult> {
        let (_, planned) = self.plan(text, opts).await?;
        execute(&self.ctx, planned).await
    }
}

/// Parses and plans `text` against the tables of `ctx`.
pub async fn plan_on(ctx: &SessionContext, text: &str, opts: &QueryOptions) -> Result<(Query, Planned)> {
    let query = crate::syntax::parse(text).map_err(|e| Error::query(e.to_diagnostic(text)))?;
    let catalog = catalog_of(ctx).await?;
    let now = match query_now(&query)? {
        Some(n) => n,
        None => opts.now.unwrap_or_else(wall_clock),
    };
    let options = PlanOptions { now, parameters: opts.parameters.clone(), evaluator: evaluator(ctx) };
    let planned = crate::plan::plan(&query, &catalog, &options).map_err(Error::query)?;
    Ok((query, planned))
}

/// Runs constant sub-queries during planning. It needs a multi-threaded
/// Tokio runtime (to block inside it); elsewhere such values stay
/// unfolded and a constant-only context reports that it needs a constant.
fn evaluator(ctx: &SessionContext) -> Option<crate::plan::Evaluator> {
    let handle = tokio::runtime::Handle::try_current().ok()?;
    if handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
        return None;
    }
    let ctx = ctx.clone();
    Some(Arc::new(move |plan| {
        let ctx = ctx.clone();
        let handle = handle.clone();
        tokio::task::block_in_place(move || {
            handle.block_on(async move {
                let batches = DataFrame::new(ctx.state(), plan).collect().await.ok()?;
                let b = batches.into_iter().find(|b| b.num_rows() > 0)?;
                datafusion::common::ScalarValue::try_from_array(b.column(0), 0).ok()
            })
        })
    }))
}

fn wall_clock() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().map_or(0, crate::types::time::to_ticks)
}

/// `set query_now = datetime(…);` pins `now()` from inside the query.
fn query_now(q: &Query) -> Result<Option<i64>> {
    for st in &q.statements {
        if let Statement::Set { name, value: Some(v), span } = st
            && name.name == "query_now"
        {
            return match &v.kind {
                crate::syntax::ast::ExprKind::Literal(crate::syntax::ast::Literal::DateTime(t)) => Ok(Some(*t)),
                _ => Err(Error::query(
                    Diagnostic::new(codes::BAD_VALUE, "`set query_now` takes a datetime literal").at(*span),
                )),
            };
        }
    }
    Ok(None)
}

/// The tables of the context's default schema, resolved for the planner.
pub async fn catalog_of(ctx: &SessionContext) -> Result<Catalog> {
    let mut catalog = Catalog::new();
    let state = ctx.state();
    let options = state.config().options();
    let (cat_name, schema_name) = (options.catalog.default_catalog.clone(), options.catalog.default_schema.clone());
    let Some(cat) = ctx.catalog(&cat_name) else { return Ok(catalog) };
    let Some(schema) = cat.schema(&schema_name) else { return Ok(catalog) };
    for name in schema.table_names() {
        if let Ok(Some(t)) = schema.table(&name).await {
            catalog.add(name, t);
        }
    }
    Ok(catalog)
}

/// Executes a planned query and collects its rows.
pub async fn execute(ctx: &SessionContext, planned: Planned) -> Result<QueryResult> {
    let df = DataFrame::new(ctx.state(), planned.plan);
    let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
    let mut stream = df.execute_stream().await.map_err(run_error)?;
    let mut batches = Vec::new();
    while let Some(b) = stream.next().await {
        batches.push(b.map_err(run_error)?);
    }
    Ok(QueryResult { schema, batches, render: planned.render })
}

/// Maps an execution failure to a query error (exit code 2), or an I/O
/// error (exit code 3) when a file could not be read.
pub fn run_error(e: datafusion::error::DataFusionError) -> Error {
    use datafusion::error::DataFusionError as E;
    match e.find_root() {
        E::IoError(io) => Error::io(format!("reading the workspace failed: {io}")),
        E::ObjectStore(os) => Error::io(format!("reading the workspace failed: {os}")),
        E::ParquetError(p) => Error::io(format!("a Parquet file could not be read: {p}")),
        _ => {
            let text = e.strip_backtrace();
            let (code, msg) = if text.contains("Overflow") || text.contains("overflow") {
                (codes::OUT_OF_RANGE, format!("a value is out of range: {text}"))
            } else {
                (codes::EXECUTION, format!("the query failed while running: {text}"))
            };
            Error::query(Diagnostic::new(code, msg))
        }
    }
}

/// KQL on a DataFusion `SessionContext`: `ctx.kql("T | take 10").await?`
/// returns a `DataFrame` over the context's registered tables.
pub trait KqlContext {
    fn kql(&self, query: &str) -> impl Future<Output = Result<DataFrame>> + Send;
}

impl KqlContext for SessionContext {
    async fn kql(&self, query: &str) -> Result<DataFrame> {
        let (_, planned) = plan_on(self, query, &QueryOptions::default()).await?;
        Ok(DataFrame::new(self.state(), planned.plan))
    }
}
