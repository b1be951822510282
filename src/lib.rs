//! kqlog: query collected container logs with KQL on Apache DataFusion.
//!
//! ```text
//! KQL text ──syntax::parse──▶ ast::Query ──plan::plan──▶ LogicalPlan ──DataFusion──▶ RecordBatches
//!                (nom)                     (LogicalPlanBuilder,        (optimise, run on
//!                                           functions/ UDFs)            Parquet workspaces)
//! ```
//!
//! Stages, one module each: [`syntax`] (parser, AST, spans, errors) →
//! [`plan`] (lowering, name resolution, typing) → [`functions`] (Kusto's
//! scalar and aggregate functions) → [`engine`] (workspaces, execution) →
//! [`output`] (value formats). DataFusion users can run KQL on their own
//! context with [`engine::KqlContext::kql`].

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod diag;
pub mod engine;
pub mod error;
pub mod functions;
pub mod ingest;
pub mod output;
pub mod plan;
pub mod report;
pub mod syntax;
pub mod types;

pub use engine::{Engine, KqlContext, QueryOptions, QueryResult};
pub use error::{Error, Result};
