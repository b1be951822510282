//! `evaluate` plugins (`bag_unpack`) and `invoke`.

use std::collections::BTreeMap;

use datafusion::common::ScalarValue;

use crate::diag::{Diagnostic, codes};
use crate::plan::scope::{self, column_names};
use crate::plan::{Binding, PResult, Pipe, Planner};
use crate::syntax::ast::{self, ExprKind, Ident, Literal, NamedExpr, Source, TabularExpr, TypeName};
use crate::syntax::span::Span;
use crate::types::KType;

/// Plugins Kusto has that kqlog does not run, so that calling one says so.
const KNOWN_PLUGINS: &[&str] = &[
    "autocluster",
    "basket",
    "diffpatterns",
    "pivot",
    "narrow",
    "preview",
    "python",
    "r",
    "sql_request",
    "cosmosdb_sql_request",
    "http_request",
    "infer_storage_schema",
    "ipv4_lookup",
    "ipv6_lookup",
    "schema_merge",
    "sequence_detect",
    "session_count",
    "sliding_window_counts",
    "activity_counts_metrics",
    "activity_engagement",
    "active_users_count",
    "funnel_sequence",
    "funnel_sequence_completion",
    "rolling_percentile",
    "dcount_intersect",
    "market_basket",
];

impl Planner<'_> {
    pub(super) fn evaluate(
        &mut self,
        pipe: Pipe,
        plugin: &Ident,
        args: &[ast::Expr],
        schema: Option<&[(Ident, TypeName)]>,
        span: Span,
    ) -> PResult<Pipe> {
        match plugin.name.as_str() {
            "bag_unpack" => self.bag_unpack(pipe, args, schema, span),
            other => {
                let msg = if KNOWN_PLUGINS.contains(&other) {
                    format!("the plugin `{other}` is not supported yet")
                } else {
                    format!("unknown plugin `{other}`")
                };
                Err(Diagnostic::new(codes::UNSUPPORTED_OPERATOR, msg)
                    .at(plugin.span)
                    .help("kqlog runs `evaluate bag_unpack(column)`; see grammar/SUPPORTED.md"))
            }
        }
    }

    /// `bag_unpack(column [, prefix] [, columnsConflict] [, ignoredProperties])`:
    /// one column per key. The keys (and their types) come from the output
    /// schema when one is given, else from a first pass over the data.
    fn bag_unpack(
        &mut self,
        pipe: Pipe,
        args: &[ast::Expr],
        schema: Option<&[(Ident, TypeName)]>,
        span: Span,
    ) -> PResult<Pipe> {
        let Some(ast::Expr { kind: ExprKind::Name(column), .. }) = args.first() else {
            return Err(Diagnostic::new(codes::BAD_ARGUMENTS, "`bag_unpack()` takes a dynamic column first").at(span));
        };
        let input = scope::column(pipe.schema(), &column.name, column.span)?;
        if input.ty != KType::Dynamic {
            return Err(Diagnostic::new(
                codes::TYPE_MISMATCH,
                format!("`bag_unpack()` unpacks a dynamic column; `{}` is `{}`", column.name, input.ty),
            )
            .at(column.span));
        }
        let mut prefix = String::new();
        let mut conflict = "error".to_string();
        let mut ignored: Vec<String> = Vec::new();
        for (k, a) in args.iter().enumerate().skip(1) {
            let v = self.const_expr(a)?;
            match self.fold(&v.expr) {
                Some(ScalarValue::Utf8(Some(s))) if k == 1 => prefix = s,
                Some(ScalarValue::Utf8(Some(s))) if k == 2 => conflict = s,
                Some(ScalarValue::LargeUtf8(Some(j))) => {
                    ignored = serde_json::from_str(&j).unwrap_or_default();
                }
                Some(ScalarValue::Utf8(None)) | None if k == 1 => {}
                _ => {
                    return Err(Diagnostic::new(codes::BAD_ARGUMENTS, "unexpected `bag_unpack()` argument")
                        .at(a.span)
                        .help("bag_unpack(column, prefix, columnsConflict, ignoredProperties)"));
                }
            }
        }
        if !matches!(conflict.as_str(), "error" | "replace_source" | "keep_source") {
            return Err(Diagnostic::new(
                codes::BAD_ARGUMENTS,
                format!("columnsConflict must be `error`, `replace_source` or `keep_source`, not `{conflict}`"),
            )
            .at(span));
        }
        let inputs: Vec<String> = column_names(pipe.schema()).into_iter().filter(|n| n != &column.name).collect();
        let keys: Vec<(String, KType)> = match schema {
            Some(cols) => cols
                .iter()
                .filter(|(n, _)| !inputs.contains(&n.name))
                .map(|(n, t)| (n.name.strip_prefix(&prefix).unwrap_or(&n.name).to_string(), KType::from_type_name(*t)))
                .collect(),
            None => self.bag_keys_of(&pipe, &column.name, span)?,
        };
        let mut columns: Vec<NamedExpr> = Vec::new();
        let mut taken: Vec<String> = Vec::new();
        let sp = column.span;
        for n in &inputs {
            columns.push(NamedExpr { name: None, expr: ast::Expr::name(n, sp), span: sp });
            taken.push(n.clone());
        }
        for (key, ty) in keys.iter().filter(|(k, _)| !ignored.contains(k)) {
            let out = format!("{prefix}{key}");
            let value = ast::Expr::new(
                ExprKind::Index {
                    base: Box::new(ast::Expr::name(&column.name, sp)),
                    index: Box::new(ast::Expr::new(ExprKind::Literal(Literal::String(key.clone())), sp)),
                },
                sp,
            );
            let value = match ty {
                KType::Dynamic => value,
                other => ast::Expr::call(&format!("to{}", other.name()), vec![value], sp),
            };
            if let Some(at) = taken.iter().position(|t| t == &out) {
                match conflict.as_str() {
                    "replace_source" => columns[at].expr = value,
                    "keep_source" => {}
                    _ => {
                        return Err(Diagnostic::new(
                            codes::DUPLICATE_COLUMN,
                            format!("the bag key `{key}` clashes with the column `{out}`"),
                        )
                        .at(span)
                        .help("pass a prefix, or columnsConflict='replace_source' or 'keep_source'"));
                    }
                }
                continue;
            }
            taken.push(out.clone());
            columns.push(NamedExpr { name: Some(Ident { name: out, span: sp }), expr: value, span: sp });
        }
        if let Some(cols) = schema {
            // The declared schema also fixes the types of the input columns.
            for (n, t) in cols.iter().filter(|(n, _)| inputs.contains(&n.name)) {
                if let Some(c) = columns
                    .iter_mut()
                    .find(|c| c.name.is_none() && matches!(&c.expr.kind, ExprKind::Name(x) if x.name == n.name))
                {
                    c.expr = ast::Expr::call(&format!("to{}", t.as_str()), vec![c.expr.clone()], sp);
                    c.name = Some(n.clone());
                }
            }
        }
        self.project(pipe, &columns, span)
    }

    /// The keys found in a dynamic column, sorted, each with the type its
    /// values share (dynamic when they differ).
    fn bag_keys_of(&mut self, pipe: &Pipe, column: &str, span: Span) -> PResult<Vec<(String, KType)>> {
        let text = format!(
            "__kql_input | project __b = ['{column}'] | mv-expand kind=array __b \
             | summarize __k = make_set(strcat(tostring(__b[0]), '\\t', gettype(__b[1])))"
        );
        let parsed = crate::syntax::parse(&text).map_err(|e| {
            Diagnostic::new(codes::INTERNAL, format!("bag_unpack: {}", e.to_diagnostic(&text).message)).at(span)
        })?;
        let Some(body) = parsed.body else {
            return Err(Diagnostic::new(codes::INTERNAL, "bag_unpack: no query").at(span));
        };
        self.push_scope();
        self.bind("__kql_input", Binding::Tabular(pipe.plan.clone()));
        let planned = self.tabular(&TabularExpr { span, ..body });
        self.pop_scope();
        let plan = planned?.plan;
        let Some(eval) = self.options.evaluator.clone() else {
            return Err(Diagnostic::new(codes::UNSUPPORTED_FEATURE, "`bag_unpack` needs an output schema here")
                .at(span)
                .help("write `evaluate bag_unpack(col) : (name:type, …)`"));
        };
        let value = eval(plan);
        let list: Vec<String> = match value {
            Some(ScalarValue::LargeUtf8(Some(j))) | Some(ScalarValue::Utf8(Some(j))) => {
                serde_json::from_str(&j).unwrap_or_default()
            }
            _ => Vec::new(),
        };
        let mut keys: BTreeMap<String, Option<KType>> = BTreeMap::new();
        for item in list {
            let Some((k, t)) = item.split_once('\t') else {
                continue;
            };
            let ty = match t {
                "long" => KType::Long,
                "double" => KType::Real,
                "string" => KType::String,
                "bool" => KType::Bool,
                "null" => KType::Null,
                _ => KType::Dynamic,
            };
            let e = keys.entry(k.to_string()).or_insert(None);
            *e = Some(match (*e, ty) {
                (None, t) | (Some(KType::Null), t) => t,
                (Some(a), KType::Null) => a,
                (Some(KType::Long), KType::Real) | (Some(KType::Real), KType::Long) => KType::Real,
                (Some(a), b) if a == b => a,
                _ => KType::Dynamic,
            });
        }
        Ok(keys
            .into_iter()
            .map(|(k, t)| {
                (
                    k,
                    match t {
                        None | Some(KType::Null) => KType::Dynamic,
                        Some(t) => t,
                    },
                )
            })
            .collect())
    }

    /// `T | invoke f(args)` is `f(T, args)`.
    pub(super) fn invoke(&mut self, pipe: Pipe, name: &Ident, args: &[ast::Expr], span: Span) -> PResult<Pipe> {
        let input = self.fresh("invoke");
        let mut all = vec![ast::Expr::name(&input, name.span)];
        all.extend(args.iter().cloned());
        self.push_scope();
        self.bind(&input, Binding::Tabular(pipe.plan));
        let src = Source::Call { name: name.clone(), args: all, span };
        let out = self.tabular(&TabularExpr { source: src, ops: vec![], span });
        self.pop_scope();
        out
    }
}
