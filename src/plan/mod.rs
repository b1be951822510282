//! Planning: a parsed [`Query`] → a DataFusion [`LogicalPlan`].
//!
//! Each tabular operator is lowered by one function onto
//! `LogicalPlanBuilder` (see `ops/`); scalar expressions go through
//! `expr.rs`, which resolves names against the operator's input schema and
//! tracks each value's Kusto type. Invariants after every operator: column
//! names are unique, and the schema holds only kqlog's canonical Arrow
//! types (see [`crate::types`]).

pub mod catalog;
pub mod expr;
mod external;
pub mod fold;
mod multi;
pub mod naming;
pub mod ops;
pub mod scope;
pub mod source;
pub mod typing;

use std::collections::HashMap;
use std::rc::Rc;

use datafusion::common::DFSchema;
use datafusion::logical_expr::{Expr, LogicalPlan, SortExpr};

pub use catalog::Catalog;

use crate::diag::{Diagnostic, codes};
use crate::syntax::ast::{self, FunctionDef, LetValue, Query, Statement, TabularExpr};
use crate::syntax::span::Span;
use crate::types::KType;

pub type PResult<T> = Result<T, Diagnostic>;

/// A DataFusion expression with its Kusto type.
#[derive(Debug, Clone)]
pub struct Typed {
    pub expr: Expr,
    pub ty: KType,
}

impl Typed {
    pub fn new(expr: Expr, ty: KType) -> Self {
        Typed { expr, ty }
    }
}

/// What a `let` name stands for.
#[derive(Debug, Clone)]
pub enum Binding {
    Scalar(Typed),
    Tabular(LogicalPlan),
    Function(Rc<FunctionDef>),
}

/// `render` at the end of a pipeline: kept for the report writer.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderSpec {
    pub chart: String,
    pub properties: Vec<(String, String)>,
}

/// A planned query.
#[derive(Debug, Clone)]
pub struct Planned {
    pub plan: LogicalPlan,
    pub render: Option<RenderSpec>,
}

/// Evaluates a plan that yields one value (a `toscalar()` needed where a
/// constant is required, such as `range` bounds). Provided by the engine.
pub type Evaluator = std::sync::Arc<dyn Fn(LogicalPlan) -> Option<datafusion::common::ScalarValue> + Send + Sync>;

/// Options that affect planning.
#[derive(Clone)]
pub struct PlanOptions {
    /// `now()` in nanoseconds since the epoch, fixed for the whole query.
    pub now: i64,
    /// Values of `declare query_parameters` names, as KQL literal text.
    pub parameters: HashMap<String, String>,
    pub evaluator: Option<Evaluator>,
}

impl std::fmt::Debug for PlanOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlanOptions").field("now", &self.now).field("parameters", &self.parameters).finish()
    }
}

/// The state of a pipeline between operators.
#[derive(Debug, Clone)]
pub struct Pipe {
    pub plan: LogicalPlan,
    /// The name given by `as`, used by `union withsource=`.
    pub name: Option<String>,
    /// The row order established by the last `sort`/`top`, for
    /// `serialize`-dependent functions (`row_number`, `prev`, `next`).
    pub order: Option<Vec<SortExpr>>,
    pub render: Option<RenderSpec>,
}

impl Pipe {
    pub fn new(plan: LogicalPlan) -> Self {
        Pipe { plan, name: None, order: None, render: None }
    }

    pub fn schema(&self) -> &DFSchema {
        self.plan.schema()
    }
}

pub struct Planner<'a> {
    pub catalog: &'a Catalog,
    pub options: &'a PlanOptions,
    /// `let` scopes, innermost last (function bodies push one).
    scopes: Vec<HashMap<String, Binding>>,
    /// Counter for internal names that must not clash with user columns.
    next_id: usize,
    /// Nesting of user-function expansion, to stop runaway recursion.
    pub(crate) call_depth: usize,
    /// The row order window functions follow (set by `extend`/`project`
    /// from the pipeline's last sort).
    pub(crate) window_order: Vec<SortExpr>,
}

impl<'a> Planner<'a> {
    pub fn new(catalog: &'a Catalog, options: &'a PlanOptions) -> Self {
        Planner { catalog, options, scopes: vec![HashMap::new()], next_id: 0, call_depth: 0, window_order: Vec::new() }
    }

    /// A fresh internal name (`__kql3`), never shown to users.
    pub fn fresh(&mut self, what: &str) -> String {
        self.next_id += 1;
        format!("__kql_{what}{}", self.next_id)
    }

    pub fn lookup(&self, name: &str) -> Option<&Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    pub fn bind(&mut self, name: &str, b: Binding) {
        if let Some(s) = self.scopes.last_mut() {
            s.insert(name.to_string(), b);
        }
    }

    pub fn push_scope(&mut self) {
        self.scopes.push(HashMap::new());
    }

    pub fn pop_scope(&mut self) {
        if self.scopes.len() > 1 {
            self.scopes.pop();
        }
    }

    /// Names bound by `let`, for suggestions.
    pub fn bound_names(&self) -> Vec<String> {
        self.scopes.iter().flat_map(|s| s.keys().cloned()).collect()
    }

    pub fn plan_query(&mut self, q: &Query) -> PResult<Planned> {
        for st in &q.statements {
            self.statement(st)?;
        }
        let Some(body) = &q.body else {
            return Err(Diagnostic::new(codes::SYNTAX, "the query has no tabular expression to run")
                .at(Span::point(q.span.end))
                .help("end the script with a query such as `T | take 10`"));
        };
        let pipe = self.tabular(body)?;
        Ok(Planned { plan: pipe.plan, render: pipe.render })
    }

    pub fn statement(&mut self, st: &Statement) -> PResult<()> {
        match st {
            Statement::Let { name, value, span: _ } => {
                let binding = match value {
                    LetValue::Tabular(t) => Binding::Tabular(self.tabular(t)?.plan),
                    LetValue::Function(f) => Binding::Function(Rc::new((**f).clone())),
                    LetValue::Expr(e) => self.let_expr(e)?,
                };
                self.bind(&name.name, binding);
                Ok(())
            }
            // Options are read by the engine before planning (`query_now`);
            // the rest (`notruncation`, …) have no effect offline.
            Statement::Set { .. } => Ok(()),
            Statement::DeclareParameters { params, span: _ } => {
                for p in params {
                    let value = match self.options.parameters.get(&p.name.name) {
                        Some(text) => {
                            let parsed = crate::syntax::parse(&format!("print {text}")).map_err(|e| {
                                Diagnostic::new(
                                    codes::BAD_VALUE,
                                    format!(
                                        "the value given for parameter `{}` is not a literal: {}",
                                        p.name.name,
                                        e.to_diagnostic(text).message
                                    ),
                                )
                                .at(p.name.span)
                            })?;
                            match parsed.body.as_ref().map(|b| &b.source) {
                                Some(ast::Source::Print { columns, .. }) if columns.len() == 1 => {
                                    columns[0].expr.clone()
                                }
                                _ => {
                                    return Err(Diagnostic::new(
                                        codes::BAD_VALUE,
                                        format!("bad value for `{}`", p.name.name),
                                    )
                                    .at(p.name.span));
                                }
                            }
                        }
                        None => match &p.default {
                            Some(d) => d.clone(),
                            None => {
                                return Err(Diagnostic::new(
                                    codes::BAD_VALUE,
                                    format!("query parameter `{}` has no value and no default", p.name.name),
                                )
                                .at(p.name.span)
                                .help(format!("pass `--set {}=…`", p.name.name)));
                            }
                        },
                    };
                    let mut typed = self.const_expr(&value)?;
                    if let ast::ParamType::Scalar(t) = &p.ty {
                        typed = typing::convert_to(typed, KType::from_type_name(*t));
                    }
                    self.bind(&p.name.name, Binding::Scalar(typed));
                }
                Ok(())
            }
        }
    }

    /// `let x = <expr>`: a scalar, or a bare name/call that turns out to be tabular.
    fn let_expr(&mut self, e: &ast::Expr) -> PResult<Binding> {
        match &e.kind {
            ast::ExprKind::Name(n) => {
                if let Some(b) = self.lookup(&n.name) {
                    return Ok(b.clone());
                }
                if self.catalog.has_table(&n.name) {
                    let t = TabularExpr { source: ast::Source::Table(n.clone()), ops: vec![], span: e.span };
                    return Ok(Binding::Tabular(self.tabular(&t)?.plan));
                }
            }
            ast::ExprKind::Call { name, args } if self.is_tabular_call(&name.name) => {
                let src = ast::Source::Call { name: name.clone(), args: args.clone(), span: e.span };
                let t = TabularExpr { source: src, ops: vec![], span: e.span };
                return Ok(Binding::Tabular(self.tabular(&t)?.plan));
            }
            _ => {}
        }
        Ok(Binding::Scalar(self.const_expr(e)?))
    }

    /// True when `name(…)` produces a table: `materialize`, `view`-like
    /// user functions with tabular bodies.
    pub fn is_tabular_call(&self, name: &str) -> bool {
        match self.lookup(name) {
            Some(Binding::Function(f)) => match &f.body {
                ast::FunctionBody::Tabular(_) => true,
                ast::FunctionBody::Scalar(e) => self.expr_is_tabular(e),
            },
            Some(_) => false,
            None => matches!(name, "materialize" | "view" | "table"),
        }
    }

    /// Whether a body expression such as `T` names a table.
    fn expr_is_tabular(&self, e: &ast::Expr) -> bool {
        match &e.kind {
            ast::ExprKind::Name(n) => {
                matches!(self.lookup(&n.name), Some(Binding::Tabular(_))) || self.catalog.has_table(&n.name)
            }
            ast::ExprKind::Tabular(_) => true,
            ast::ExprKind::Call { name, .. } => self.is_tabular_call(&name.name),
            _ => false,
        }
    }

    /// Folds a constant expression to its value, running sub-queries
    /// (`toscalar`) through the engine's evaluator when there is one.
    pub fn fold(&self, e: &Expr) -> Option<datafusion::common::ScalarValue> {
        if let Some(v) = fold::fold(e) {
            return Some(v);
        }
        let eval = self.options.evaluator.as_ref()?;
        let plan = datafusion::logical_expr::LogicalPlanBuilder::empty(true)
            .project(vec![e.clone().alias("value")])
            .and_then(|b| b.build())
            .ok()?;
        eval(plan)
    }

    /// A scalar expression with no input row (a `let` value, a parameter).
    pub fn const_expr(&mut self, e: &ast::Expr) -> PResult<Typed> {
        let empty = DFSchema::empty();
        self.lower_expr(e, &expr::Cx::new(&empty))
    }

    pub fn tabular(&mut self, t: &TabularExpr) -> PResult<Pipe> {
        let mut pipe = self.source(&t.source)?;
        for op in &t.ops {
            if pipe.render.is_some() {
                return Err(
                    Diagnostic::new(codes::SYNTAX, "`render` must be the last operator of the query").at(op.span)
                );
            }
            pipe = self.operator(pipe, op)?;
        }
        Ok(pipe)
    }
}

/// Plans a parsed query against a catalog of tables.
pub fn plan(query: &Query, catalog: &Catalog, options: &PlanOptions) -> PResult<Planned> {
    let mut planner = Planner::new(catalog, options);
    stacker::maybe_grow(256 * 1024, 8 * 1024 * 1024, || planner.plan_query(query))
}

/// Maps a DataFusion planning error to a diagnostic at `span`: such errors
/// mean kqlog built a plan DataFusion rejects, which is kqlog's bug unless
/// it is a type problem the user can fix.
pub fn df_err(e: datafusion::error::DataFusionError, span: Span) -> Diagnostic {
    let text = e.strip_backtrace();
    if text.contains("Cannot infer common argument type")
        || text.contains("Cannot coerce")
        || text.contains("cannot be cast")
        || text.contains("Unsupported CAST")
        || text.contains("There isn't a common type")
    {
        return Diagnostic::new(codes::TYPE_MISMATCH, "the operand types do not match").at(span).help(text);
    }
    Diagnostic::new(codes::INTERNAL, format!("internal error while planning: {text}"))
        .at(span)
        .help("this is a bug in kqlog; please report it with the query")
}
