//! Scalar expressions: AST → DataFusion `Expr` with a Kusto type.

use std::rc::Rc;

use datafusion::common::DFSchema;
use datafusion::logical_expr::expr::InList;
use datafusion::logical_expr::{Expr, ExprSchemable, lit};

use crate::diag::suggest::{did_you_mean, nearest};
use crate::diag::{Diagnostic, codes};
use crate::functions::{self, FnKind, dynamic, search, udf};
use crate::plan::typing::{self, require_bool};
use crate::plan::{Binding, PResult, Planner, Typed, df_err, scope};
use crate::syntax::ast::{self, BinaryOp, ExprKind, FunctionBody, ListOp, StrOpKind};
use crate::syntax::span::Span;
use crate::types::KType;

/// Where an expression is lowered.
#[derive(Clone, Copy)]
pub struct Cx<'s> {
    pub schema: &'s DFSchema,
    /// Directly under `where` (through `and`/`or`): a null result counts as
    /// false, which allows simpler, pushdown-friendly comparisons.
    pub pred: bool,
    /// Aggregate functions are allowed (inside `summarize`).
    pub aggregates: bool,
    /// Window functions (`row_number`, `prev`, `next`) are allowed.
    pub windows: bool,
}

impl<'s> Cx<'s> {
    pub fn new(schema: &'s DFSchema) -> Self {
        Cx { schema, pred: false, aggregates: false, windows: false }
    }

    pub fn predicate(mut self) -> Self {
        self.pred = true;
        self
    }

    pub fn value(mut self) -> Self {
        self.pred = false;
        self
    }

    pub fn with_aggregates(mut self) -> Self {
        self.aggregates = true;
        self
    }

    pub fn with_windows(mut self) -> Self {
        self.windows = true;
        self
    }
}

/// The Kusto type of a lowered expression, as DataFusion infers it.
pub fn type_of(e: &Expr, schema: &DFSchema, span: Span) -> PResult<KType> {
    let dt = e.get_type(schema).map_err(|err| df_err(err, span))?;
    KType::of_arrow(&dt).ok_or_else(|| {
        Diagnostic::new(codes::UNSUPPORTED_FEATURE, format!("values of Arrow type {dt} are not supported")).at(span)
    })
}

impl Planner<'_> {
    pub fn lower_expr(&mut self, e: &ast::Expr, cx: &Cx) -> PResult<Typed> {
        stacker::maybe_grow(128 * 1024, 4 * 1024 * 1024, || self.lower_expr_inner(e, cx))
    }

    fn lower_expr_inner(&mut self, e: &ast::Expr, cx: &Cx) -> PResult<Typed> {
        match &e.kind {
            ExprKind::Literal(l) => Ok(typing::literal(l)),
            ExprKind::Name(n) => self.lower_name(&n.name, n.span, cx),
            ExprKind::Star => {
                Err(Diagnostic::new(codes::SYNTAX, "`*` is only allowed as a function argument").at(e.span))
            }
            ExprKind::Member { .. } | ExprKind::Index { .. } => self.lower_path(e, cx),
            ExprKind::Unary { op, operand } => {
                let v = self.lower_expr(operand, &cx.value())?;
                match op {
                    ast::UnaryOp::Neg => typing::negate(v, e.span),
                    ast::UnaryOp::Plus => Ok(v),
                }
            }
            ExprKind::Binary { op, left, right } => self.lower_binary(*op, left, right, e.span, cx),
            ExprKind::InList { expr, op, list } => self.lower_in_list(expr, *op, list, e.span, cx),
            ExprKind::InTable { expr, op, table } => self.lower_in_table(expr, *op, table, e.span, cx),
            ExprKind::Between { expr, low, high, negated } => {
                let v = self.lower_expr(expr, &cx.value())?;
                let lo = self.lower_expr(low, &cx.value())?;
                let mut hi = self.lower_expr(high, &cx.value())?;
                // `t between (start .. 1h)`: a timespan bound counts from the start.
                if v.ty == KType::DateTime && lo.ty == KType::DateTime && hi.ty == KType::TimeSpan {
                    hi = typing::arithmetic(BinaryOp::Add, lo.clone(), hi, high.span)?;
                }
                let ge = typing::compare(BinaryOp::GtEq, v.clone(), lo, cx.pred, e.span)?;
                let le = typing::compare(BinaryOp::LtEq, v, hi, cx.pred, e.span)?;
                let both = ge.expr.and(le.expr);
                Ok(Typed::new(if *negated { Expr::Not(Box::new(both)) } else { both }, KType::Bool))
            }
            ExprKind::Call { name, args } => self.lower_call(name, args, e.span, cx),
            ExprKind::NamedArg { name, .. } => Err(Diagnostic::new(
                codes::BAD_ARGUMENTS,
                format!("named argument `{}` is only allowed when calling a `let` function", name.name),
            )
            .at(e.span)),
            ExprKind::Tabular(t) => {
                Err(Diagnostic::new(codes::TYPE_MISMATCH, "a tabular expression is not a scalar value")
                    .at(t.span)
                    .help("wrap it in `toscalar(…)` to use its first value"))
            }
        }
    }

    pub fn lower_name(&mut self, name: &str, span: Span, cx: &Cx) -> PResult<Typed> {
        if let Some(t) = scope::find_column(cx.schema, name) {
            return Ok(t);
        }
        if let Some(Binding::Scalar(t)) = self.lookup(name) {
            return Ok(t.clone());
        }
        match self.lookup(name) {
            Some(Binding::Tabular(_)) => {
                return Err(Diagnostic::new(codes::TYPE_MISMATCH, format!("`{name}` is a table, not a scalar value"))
                    .at(span)
                    .help(format!("use `toscalar({name})` for its first value")));
            }
            Some(Binding::Function(_)) => {
                return Err(Diagnostic::new(
                    codes::TYPE_MISMATCH,
                    format!("`{name}` is a function: call it as `{name}(…)`"),
                )
                .at(span));
            }
            _ => {}
        }
        if name == "$left" || name == "$right" {
            return Err(
                Diagnostic::new(codes::SYNTAX, format!("`{name}` is only valid in a join's `on` clause")).at(span)
            );
        }
        let lets = self.bound_names();
        Err(scope::unknown_column(cx.schema, name, span, &lets))
    }

    /// `d.a.b[0]`: one path lookup on the dynamic root.
    fn lower_path(&mut self, e: &ast::Expr, cx: &Cx) -> PResult<Typed> {
        let mut steps: Vec<&ast::Expr> = Vec::new();
        let mut keys: Vec<Typed> = Vec::new();
        let mut cur = e;
        loop {
            match &cur.kind {
                ExprKind::Member { base, key } => {
                    keys.push(Typed::new(lit(key.name.clone()), KType::String));
                    steps.push(cur);
                    cur = base;
                }
                ExprKind::Index { base, index } => {
                    let k = self.lower_expr(index, &cx.value())?;
                    keys.push(k);
                    steps.push(cur);
                    cur = base;
                }
                _ => break,
            }
        }
        // A bracketed name like `T['col']` never reaches here; `$left.x` does.
        if let ExprKind::Name(n) = &cur.kind
            && (n.name == "$left" || n.name == "$right")
        {
            return Err(Diagnostic::new(codes::SYNTAX, format!("`{}` is only valid in a join's `on` clause", n.name))
                .at(cur.span));
        }
        let root = self.lower_expr(cur, &cx.value())?;
        let root = match root.ty {
            KType::Dynamic | KType::Null => root,
            other => {
                return Err(Diagnostic::new(
                    codes::TYPE_MISMATCH,
                    format!("member access needs a `dynamic` value, and this is a `{other}`"),
                )
                .at(cur.span)
                .help("parse text into dynamic first, e.g. `parse_json(x).key`"));
            }
        };
        keys.reverse();
        let mut args = vec![root.expr];
        for k in keys {
            let k = match k.ty {
                KType::String | KType::Long | KType::Int => k.expr,
                KType::Dynamic => typing::to_string(k),
                _ => typing::convert_to(k, KType::Long).expr,
            };
            args.push(k);
        }
        Ok(Typed::new(udf::call(&dynamic::PATH, args), KType::Dynamic))
    }

    fn lower_binary(
        &mut self,
        op: BinaryOp,
        left: &ast::Expr,
        right: &ast::Expr,
        span: Span,
        cx: &Cx,
    ) -> PResult<Typed> {
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let l = self.lower_expr(left, cx)?;
                let r = self.lower_expr(right, cx)?;
                let what = if op == BinaryOp::And { "an operand of `and`" } else { "an operand of `or`" };
                let l = require_bool(l, left.span, what)?;
                let r = require_bool(r, right.span, what)?;
                Ok(Typed::new(if op == BinaryOp::And { l.and(r) } else { l.or(r) }, KType::Bool))
            }
            BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq => {
                let l = self.lower_expr(left, &cx.value())?;
                let r = self.lower_expr(right, &cx.value())?;
                typing::compare(op, l, r, cx.pred, span)
            }
            BinaryOp::EqCi | BinaryOp::NotEqCi => {
                let l = self.string_operand(left, cx)?;
                let r = self.string_operand(right, cx)?;
                let f = if op == BinaryOp::EqCi { &search::EQUALS_CI } else { &search::NOT_EQUALS_CI };
                Ok(Typed::new(udf::call(f, vec![l, r]), KType::Bool))
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
                let l = self.lower_expr(left, &cx.value())?;
                let r = self.lower_expr(right, &cx.value())?;
                typing::arithmetic(op, l, r, span)
            }
            BinaryOp::Str(s) => {
                let l = self.string_operand(left, cx)?;
                let r = self.string_operand(right, cx)?;
                Ok(Typed::new(
                    udf::call(search::predicate_udf(s.kind, s.case_sensitive, s.negated), vec![l, r]),
                    KType::Bool,
                ))
            }
            BinaryOp::MatchesRegex => {
                let l = self.string_operand(left, cx)?;
                let r = self.string_operand(right, cx)?;
                if let Some(p) = typing::literal_str(&r)
                    && let Err(err) = regex::Regex::new(p)
                {
                    return Err(
                        Diagnostic::new(codes::BAD_VALUE, format!("invalid regular expression: {err}")).at(right.span)
                    );
                }
                Ok(Typed::new(functions::strings::regex_match(l, r), KType::Bool))
            }
        }
    }

    /// An operand of a string operator: strings as they are, other types
    /// through `tostring()`.
    pub fn string_operand(&mut self, e: &ast::Expr, cx: &Cx) -> PResult<Expr> {
        let t = self.lower_expr(e, &cx.value())?;
        Ok(match t.ty {
            KType::String | KType::Guid => t.expr,
            _ => typing::to_string(t),
        })
    }

    /// The items of an `in (…)` list, with dynamic arrays spread out.
    fn list_items(&mut self, list: &[ast::Expr], cx: &Cx) -> PResult<Vec<Typed>> {
        let mut items = Vec::new();
        for item in list {
            if let ExprKind::Literal(ast::Literal::Dynamic(serde_json::Value::Array(values))) = &item.kind {
                for v in values {
                    let l = match v {
                        serde_json::Value::String(s) => ast::Literal::String(s.clone()),
                        serde_json::Value::Bool(b) => ast::Literal::Bool(*b),
                        serde_json::Value::Number(n) => match n.as_i64() {
                            Some(i) => ast::Literal::Long(i),
                            None => ast::Literal::Real(n.as_f64().unwrap_or(f64::NAN)),
                        },
                        other => ast::Literal::Dynamic(other.clone()),
                    };
                    items.push(typing::literal(&l));
                }
                continue;
            }
            items.push(self.lower_expr(item, &cx.value())?);
        }
        Ok(items)
    }

    fn lower_in_list(
        &mut self,
        expr: &ast::Expr,
        op: ListOp,
        list: &[ast::Expr],
        span: Span,
        cx: &Cx,
    ) -> PResult<Typed> {
        // `x in (T)` with T a table or a tabular `let`: a sub-query, as Kusto reads it.
        if let [item] = list
            && let Some(table) = self.as_tabular(item, cx)
        {
            return self.lower_in_table(expr, op, &table, span, cx);
        }
        let items = self.list_items(list, cx)?;
        match op {
            ListOp::In | ListOp::NotIn => {
                let v = self.lower_expr(expr, &cx.value())?;
                let negated = op == ListOp::NotIn;
                if items.is_empty() {
                    return Ok(Typed::new(lit(negated), KType::Bool));
                }
                // A dynamic array known only when the query runs (a `let`
                // of one, `toscalar(… make_set …)`): its elements are spread
                // by the kernel.
                if items.iter().any(|i| i.ty == KType::Dynamic) {
                    let mut args = vec![typing::to_string(v)];
                    args.extend(items.into_iter().map(list_arg));
                    let f = if negated { &search::NOT_IN_CS } else { &search::IN_CS };
                    return Ok(Typed::new(udf::call(f, args), KType::Bool));
                }
                let string = v.ty.is_stringlike() || items.iter().any(|i| i.ty.is_stringlike());
                let (value, items): (Expr, Vec<Expr>) = if string {
                    let v = typing::to_string(v);
                    (v, items.into_iter().map(typing::to_string).collect())
                } else {
                    let mut out = Vec::new();
                    for i in items {
                        if !(i.ty == v.ty || i.ty.is_numeric() && v.ty.is_numeric() || i.ty == KType::Null) {
                            return Err(Diagnostic::new(
                                codes::TYPE_MISMATCH,
                                format!("cannot look for a `{}` among `{}` values", v.ty, i.ty),
                            )
                            .at(span));
                        }
                        out.push(i.expr);
                    }
                    (v.expr, out)
                };
                let e = Expr::InList(InList::new(Box::new(value.clone()), items, negated));
                // `x !in (…)` keeps rows where x is null, as Kusto does.
                let e = if negated && !string { e.or(value.is_null()) } else { e };
                Ok(Typed::new(e, KType::Bool))
            }
            ListOp::InCi | ListOp::NotInCi | ListOp::HasAny | ListOp::HasAll => {
                let v = self.string_operand(expr, cx)?;
                let mut args = vec![v];
                args.extend(items.into_iter().map(list_arg));
                let f = match op {
                    ListOp::InCi => &search::IN_CI,
                    ListOp::NotInCi => &search::NOT_IN_CI,
                    ListOp::HasAny => &search::HAS_ANY,
                    _ => &search::HAS_ALL,
                };
                Ok(Typed::new(udf::call(f, args), KType::Bool))
            }
        }
    }

    /// A list item that names a table rather than a value.
    fn as_tabular(&self, item: &ast::Expr, cx: &Cx) -> Option<ast::TabularExpr> {
        let source = match &item.kind {
            ExprKind::Tabular(t) => return Some((**t).clone()),
            ExprKind::Name(n) if scope::find_column(cx.schema, &n.name).is_some() => return None,
            ExprKind::Name(n) => ast::Source::Table(n.clone()),
            ExprKind::Call { name, args } => {
                ast::Source::Call { name: name.clone(), args: args.clone(), span: item.span }
            }
            _ => return None,
        };
        self.expr_is_tabular(item).then(|| ast::TabularExpr { source, ops: Vec::new(), span: item.span })
    }

    fn lower_in_table(
        &mut self,
        expr: &ast::Expr,
        op: ListOp,
        table: &ast::TabularExpr,
        span: Span,
        cx: &Cx,
    ) -> PResult<Typed> {
        let v = self.lower_expr(expr, &cx.value())?;
        let sub = self.tabular(table)?;
        let fields = sub.plan.schema().fields().len();
        if fields == 0 {
            return Err(Diagnostic::new(codes::BAD_VALUE, "the sub-query has no columns").at(table.span));
        }
        let (negated, ci) = match op {
            ListOp::In => (false, false),
            ListOp::NotIn => (true, false),
            ListOp::InCi => (false, true),
            ListOp::NotInCi => (true, true),
            other => {
                return Err(Diagnostic::new(
                    codes::UNSUPPORTED_FEATURE,
                    format!("`{}` with a tabular expression is not supported yet", other.as_str()),
                )
                .at(span)
                .help("use `in`, `!in`, `in~` or `!in~` with a sub-query, or a literal list"));
            }
        };
        // Only the first column takes part, as in Kusto.
        let first = sub.plan.schema().field(0);
        let column = Expr::Column(datafusion::common::Column::from_name(first.name()));
        // `in~` compares both sides lower-cased (Kusto folds case as invariant culture).
        let (v, column) = if ci {
            let first_ty = KType::of_arrow(first.data_type()).unwrap_or(KType::String);
            let fold = |e: Expr| datafusion::functions::string::expr_fn::lower(e);
            let v = Typed::new(fold(typing::to_string(v)), KType::String);
            (v, fold(typing::to_string(Typed::new(column, first_ty))).alias("__kql_in"))
        } else {
            (v, column)
        };
        let plan = datafusion::logical_expr::LogicalPlanBuilder::from(sub.plan)
            .project(vec![column])
            .and_then(|b| b.build())
            .map_err(|e| df_err(e, table.span))?;
        let subquery = datafusion::logical_expr::Subquery {
            subquery: std::sync::Arc::new(plan),
            outer_ref_columns: vec![],
            spans: Default::default(),
        };
        let e = Expr::InSubquery(datafusion::logical_expr::expr::InSubquery::new(
            Box::new(v.expr.clone()),
            subquery,
            negated,
        ));
        let e = if negated { e.or(v.expr.is_null()) } else { e };
        Ok(Typed::new(e, KType::Bool))
    }

    pub fn lower_call(&mut self, name: &ast::Ident, args: &[ast::Expr], span: Span, cx: &Cx) -> PResult<Typed> {
        if let Some(Binding::Function(f)) = self.lookup(&name.name) {
            let f = Rc::clone(f);
            return self.call_user_scalar(&f, name, args, span, cx);
        }
        let Some(def) = functions::lookup(&name.name) else {
            return Err(unknown_function(&name.name, name.span));
        };
        match def.kind {
            FnKind::Aggregate if !cx.aggregates => {
                return Err(Diagnostic::new(
                    codes::AGGREGATE_CONTEXT,
                    format!("`{}()` is an aggregation function and only works inside `summarize`", name.name),
                )
                .at(name.span)
                .help("use it as `summarize …` or with `make-series`"));
            }
            FnKind::Window if !cx.windows => {
                return Err(Diagnostic::new(
                    codes::AGGREGATE_CONTEXT,
                    format!("`{}()` needs serialized rows: use it in `extend`, `project` or `serialize`", name.name),
                )
                .at(name.span));
            }
            _ => {}
        }
        if args.len() < def.min_args || args.len() > def.max_args {
            let expect = if def.min_args == def.max_args {
                format!("{}", def.min_args)
            } else if def.max_args == usize::MAX {
                format!("at least {}", def.min_args)
            } else {
                format!("{} to {}", def.min_args, def.max_args)
            };
            return Err(Diagnostic::new(
                codes::BAD_ARGUMENTS,
                format!(
                    "`{}()` takes {expect} argument{}, got {}",
                    name.name,
                    if expect == "1" { "" } else { "s" },
                    args.len()
                ),
            )
            .at(span));
        }
        let call = functions::Call { name, args, span, cx: *cx };
        (def.lower)(self, &call)
    }

    /// Expands a call of a `let` function with a scalar body.
    fn call_user_scalar(
        &mut self,
        f: &ast::FunctionDef,
        name: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
        cx: &Cx,
    ) -> PResult<Typed> {
        let body = match &f.body {
            FunctionBody::Scalar(e) => e,
            FunctionBody::Tabular(_) => {
                return Err(Diagnostic::new(
                    codes::TYPE_MISMATCH,
                    format!("`{}` returns a table; use it as a pipeline source or in `toscalar()`", name.name),
                )
                .at(span));
            }
        };
        self.enter_call(span)?;
        let result = (|| {
            let bindings = self.bind_arguments(f, name, args, span, cx)?;
            self.push_scope();
            for (n, b) in bindings {
                self.bind(&n, b);
            }
            let mut out = Ok(());
            for st in &f.lets {
                out = self.statement(st);
                if out.is_err() {
                    break;
                }
            }
            let r = out.and_then(|()| self.lower_expr(body, cx));
            self.pop_scope();
            r
        })();
        self.call_depth -= 1;
        result
    }

    pub fn enter_call(&mut self, span: Span) -> PResult<()> {
        if self.call_depth >= 64 {
            return Err(
                Diagnostic::new(codes::BAD_VALUE, "functions call each other more than 64 levels deep").at(span)
            );
        }
        self.call_depth += 1;
        Ok(())
    }

    /// Binds a user function's parameters to the call's arguments (or their defaults).
    pub fn bind_arguments(
        &mut self,
        f: &ast::FunctionDef,
        name: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
        cx: &Cx,
    ) -> PResult<Vec<(String, Binding)>> {
        if args.len() > f.params.len() {
            return Err(Diagnostic::new(
                codes::BAD_ARGUMENTS,
                format!("`{}` takes {} argument(s), got {}", name.name, f.params.len(), args.len()),
            )
            .at(span));
        }
        // Positional arguments first, then `name = value` ones in any order.
        let mut given: Vec<Option<&ast::Expr>> = vec![None; f.params.len()];
        for (k, a) in args.iter().enumerate() {
            match &a.kind {
                ExprKind::NamedArg { name: n, value } => {
                    let Some(pos) = f.params.iter().position(|p| p.name.name == n.name) else {
                        return Err(Diagnostic::new(
                            codes::BAD_ARGUMENTS,
                            format!("`{}` has no parameter named `{}`", name.name, n.name),
                        )
                        .at(n.span));
                    };
                    given[pos] = Some(value);
                }
                _ => given[k] = Some(a),
            }
        }
        let mut out = Vec::new();
        for (k, p) in f.params.iter().enumerate() {
            let arg = given[k].or(p.default.as_ref());
            let Some(arg) = arg else {
                return Err(Diagnostic::new(
                    codes::BAD_ARGUMENTS,
                    format!("`{}` needs a value for parameter `{}`", name.name, p.name.name),
                )
                .at(span));
            };
            let b = match &p.ty {
                ast::ParamType::Tabular(_) => {
                    let t = match &arg.kind {
                        ExprKind::Tabular(t) => (**t).clone(),
                        ExprKind::Name(n) => {
                            ast::TabularExpr { source: ast::Source::Table(n.clone()), ops: vec![], span: n.span }
                        }
                        _ => {
                            return Err(Diagnostic::new(
                                codes::TYPE_MISMATCH,
                                format!("parameter `{}` takes a table", p.name.name),
                            )
                            .at(arg.span));
                        }
                    };
                    Binding::Tabular(self.tabular(&t)?.plan)
                }
                ast::ParamType::Scalar(t) => {
                    let v = self.lower_expr(arg, &cx.value())?;
                    Binding::Scalar(typing::convert_to(v, KType::from_type_name(*t)))
                }
            };
            out.push((p.name.name.clone(), b));
        }
        Ok(out)
    }
}

pub fn unknown_function(name: &str, span: Span) -> Diagnostic {
    if functions::UNSUPPORTED_FUNCTIONS.contains(&name) {
        return Diagnostic::new(codes::UNSUPPORTED_FUNCTION, format!("the function `{name}()` is not supported yet"))
            .at(span)
            .help("see grammar/SUPPORTED.md for the functions kqlog runs");
    }
    let near = nearest(name, functions::names());
    Diagnostic::new(codes::UNKNOWN_FUNCTION, format!("unknown function `{name}`"))
        .at(span)
        .maybe_help(did_you_mean(&near))
}

/// `x has "a"` over a value that is not a string: used by `search`-like
/// helpers that need the term kernel directly.
pub fn has_term(hay: Expr, needle: &str) -> Expr {
    udf::call(search::predicate_udf(StrOpKind::Has, false, false), vec![hay, lit(needle.to_string())])
}

/// An item of a list handed to a search kernel: dynamic values stay JSON so
/// that the kernel can spread arrays; everything else as its text.
fn list_arg(item: Typed) -> Expr {
    if item.ty == KType::Dynamic { item.expr } else { typing::to_string(item) }
}
