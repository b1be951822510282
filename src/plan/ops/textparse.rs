//! `parse`, `parse-where` and `parse-kv`. The pattern becomes one regex
//! with a named group per column (`functions::textparse` runs it); the
//! captures are converted to their declared types here, where Kusto's
//! mode rules decide what a failed conversion means:
//! - `simple` and `regex`: the row fails (all columns null; `parse-where`
//!   drops it);
//! - `relaxed`: only that column is null.

use std::collections::HashSet;

use datafusion::logical_expr::{Expr, LogicalPlanBuilder, lit, when};

use crate::diag::{Diagnostic, codes};
use crate::functions::textparse::{KvOptions, field_matched, field_text, parse_kv_udf, parse_udf};
use crate::functions::{convert, udf};
use crate::plan::expr::Cx;
use crate::plan::ops::col;
use crate::plan::ops::project::passthrough;
use crate::plan::scope::column_names;
use crate::plan::{PResult, Pipe, Planner, Typed, df_err, typing};
use crate::syntax::ast::{self, Ident, ParseKind, ParseOp, ParsePart, TypeName};
use crate::syntax::span::Span;
use crate::types::KType;

impl Planner<'_> {
    pub(super) fn parse_op(&mut self, pipe: Pipe, p: &ParseOp, span: Span) -> PResult<Pipe> {
        let (regex, columns) = pattern_regex(p, span)?;
        if let Err(e) = regex::Regex::new(&regex) {
            return Err(Diagnostic::new(codes::BAD_VALUE, format!("the parse pattern is not a valid regex: {e}"))
                .at(span)
                .help("in `kind=regex` the string constants are regular expressions"));
        }
        let schema = pipe.schema().clone();
        let source = self.lower_expr(&p.source, &Cx::new(&schema))?;
        let text = typing::to_string(source);
        let parsed = udf::call(&parse_udf(columns.len()), vec![text, lit(regex)]);
        let temp = self.fresh("parse");
        // Step 1: the match; step 2: typed values and the row's success.
        let step1 = with_columns(pipe, vec![(temp.clone(), parsed)], span)?;
        let ok_name = self.fresh("ok");
        let mut values = Vec::new();
        let mut typed_checks = Vec::new();
        let mut temps = Vec::new();
        for (k, (_, ty)) in columns.iter().enumerate() {
            let raw = Typed::new(field_text(col(&temp), format!("c{k}")), KType::String);
            let value = convert::convert(raw, *ty).expr;
            let t = self.fresh("pv");
            if *ty != KType::String {
                typed_checks.push(col(&t).is_not_null());
            }
            values.push((t.clone(), value));
            temps.push(t);
        }
        let step2 = with_columns(step1, values, span)?;
        let matched = field_matched(col(&temp));
        let ok = match p.kind {
            ParseKind::Relaxed => matched,
            ParseKind::Simple | ParseKind::Regex => typed_checks.into_iter().fold(matched, Expr::and),
        };
        let mut step3 = with_columns(step2, vec![(ok_name.clone(), ok)], span)?;
        if p.filter {
            let plan = LogicalPlanBuilder::from(step3.plan)
                .filter(col(&ok_name))
                .and_then(|b| b.build())
                .map_err(|e| df_err(e, span))?;
            step3 = Pipe { plan, ..step3 };
        }
        let outputs: Vec<(String, Expr)> = columns
            .iter()
            .zip(&temps)
            .map(|((name, ty), t)| {
                let v = if p.filter {
                    col(t)
                } else {
                    when(col(&ok_name), col(t)).otherwise(typing::null_of(*ty)).unwrap_or_else(|_| col(t))
                };
                (name.name.clone(), v)
            })
            .collect();
        let mut hidden: HashSet<String> = temps.into_iter().collect();
        hidden.insert(temp);
        hidden.insert(ok_name);
        finish(step3, outputs, &hidden, span)
    }

    pub(super) fn parse_kv(
        &mut self,
        pipe: Pipe,
        source: &ast::Expr,
        columns: &[(Ident, TypeName)],
        options: &[(Ident, ast::Expr)],
        span: Span,
    ) -> PResult<Pipe> {
        let opts = self.kv_options(options)?;
        let mut seen = HashSet::new();
        for (n, _) in columns {
            if !seen.insert(n.name.clone()) {
                return Err(Diagnostic::new(codes::DUPLICATE_COLUMN, format!("column `{}` is declared twice", n.name))
                    .at(n.span));
            }
        }
        let schema = pipe.schema().clone();
        let text = typing::to_string(self.lower_expr(source, &Cx::new(&schema))?);
        let keys: Vec<&str> = columns.iter().map(|(n, _)| n.name.as_str()).collect();
        let keys_json = serde_json::to_string(&keys).unwrap_or_default();
        let opts_json = serde_json::to_string(&opts).unwrap_or_default();
        let call = udf::call(&parse_kv_udf(columns.len()), vec![text, lit(keys_json), lit(opts_json)]);
        let temp = self.fresh("kv");
        let step1 = with_columns(pipe, vec![(temp.clone(), call)], span)?;
        let outputs: Vec<(String, Expr)> = columns
            .iter()
            .enumerate()
            .map(|(k, (n, ty))| {
                let raw = Typed::new(field_text(col(&temp), format!("c{k}")), KType::String);
                (n.name.clone(), convert::convert(raw, KType::from_type_name(*ty)).expr)
            })
            .collect();
        finish(step1, outputs, &HashSet::from([temp]), span)
    }

    fn kv_options(&mut self, options: &[(Ident, ast::Expr)]) -> PResult<KvOptions> {
        let mut o = KvOptions::default();
        for (name, value) in options {
            let t = self.const_expr(value)?;
            let v = self.fold(&t.expr);
            let text = v.as_ref().and_then(|v| match v {
                datafusion::common::ScalarValue::Utf8(Some(s)) => Some(s.clone()),
                _ => None,
            });
            let boolean = matches!(v, Some(datafusion::common::ScalarValue::Boolean(Some(true))));
            let need_text = || {
                text.clone().ok_or_else(|| {
                    Diagnostic::new(codes::BAD_VALUE, format!("`{}` must be a constant string", name.name))
                        .at(value.span)
                })
            };
            match name.name.as_str() {
                "pair_delimiter" => o.pair_delimiter = Some(need_text()?),
                "kv_delimiter" => o.kv_delimiter = Some(need_text()?),
                "quote" => {
                    let q: Vec<char> = need_text()?.chars().collect();
                    o.quote = match q.as_slice() {
                        [c] => vec![(*c, *c)],
                        [open, close] => vec![(*open, *close)],
                        _ => {
                            return Err(Diagnostic::new(
                                codes::BAD_VALUE,
                                "`quote` is one character, or an open/close pair",
                            )
                            .at(value.span));
                        }
                    };
                }
                "escape" => o.escape = need_text()?.chars().collect(),
                "greedy" => o.greedy = boolean,
                "regex" => {
                    let r = need_text()?;
                    if let Err(e) = regex::Regex::new(&r) {
                        return Err(Diagnostic::new(codes::BAD_VALUE, format!("invalid regex: {e}")).at(value.span));
                    }
                    o.regex = Some(r);
                }
                other => {
                    return Err(Diagnostic::new(codes::BAD_VALUE, format!("unknown parse-kv option `{other}`"))
                        .at(name.span)
                        .help("options are pair_delimiter, kv_delimiter, quote, escape, greedy, regex"));
                }
            }
        }
        Ok(o)
    }
}

/// The regex of a `parse` pattern and its columns with their types.
fn pattern_regex(p: &ParseOp, span: Span) -> PResult<(String, Vec<(Ident, KType)>)> {
    let mut re = String::new();
    match (&p.flags, p.kind) {
        (Some(f), ParseKind::Regex) => {
            if f.is_empty() || !f.chars().all(|c| "imsUx".contains(c)) {
                return Err(Diagnostic::new(codes::BAD_VALUE, format!("unknown regex flags `{f}`"))
                    .at(span)
                    .help("flags are U (ungreedy), i (ignore case), m (multi-line), s (dot matches newline)"));
            }
            re.push_str(&format!("(?{f})"));
        }
        (Some(_), _) => {
            return Err(Diagnostic::new(codes::BAD_VALUE, "`flags` applies to `kind=regex` only").at(span));
        }
        // Simple patterns match across line breaks, like a plain text search.
        (None, ParseKind::Simple | ParseKind::Relaxed) => re.push_str("(?s)"),
        (None, ParseKind::Regex) => {}
    }
    re.push('^');
    let regex_mode = p.kind == ParseKind::Regex;
    let mut columns: Vec<(Ident, KType)> = Vec::new();
    for (k, part) in p.pattern.iter().enumerate() {
        let last = k + 1 == p.pattern.len();
        match part {
            ParsePart::Wildcard => re.push_str(if regex_mode { ".*" } else { ".*?" }),
            ParsePart::Text(t) => {
                if regex_mode {
                    re.push_str("(?:");
                    re.push_str(t);
                    re.push(')');
                } else {
                    re.push_str(&regex::escape(t));
                }
            }
            ParsePart::Column { name, ty } => {
                if columns.iter().any(|(n, _)| n.name == name.name) {
                    return Err(Diagnostic::new(
                        codes::DUPLICATE_COLUMN,
                        format!("column `{}` appears twice in the pattern", name.name),
                    )
                    .at(name.span));
                }
                let ty = ty.map_or(KType::String, KType::from_type_name);
                let any = if regex_mode || last { ".*" } else { ".*?" };
                let body = match typed_regex(ty) {
                    Some(t) if p.kind == ParseKind::Relaxed => format!("{t}|{any}"),
                    Some(t) => t.to_string(),
                    None => any.to_string(),
                };
                re.push_str(&format!("(?P<c{}>{body})", columns.len()));
                columns.push((name.clone(), ty));
            }
        }
    }
    Ok((re, columns))
}

/// The text a typed column can match; `None` for types read from any text.
fn typed_regex(ty: KType) -> Option<&'static str> {
    match ty {
        KType::Int | KType::Long => Some(r"[-+]?\d+"),
        KType::Real | KType::Decimal => Some(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"),
        KType::Bool => Some(r"(?i:true|false)"),
        KType::Guid => Some(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),
        _ => None,
    }
}

/// Adds `(name, expr)` columns after the input's.
fn with_columns(pipe: Pipe, cols: Vec<(String, Expr)>, span: Span) -> PResult<Pipe> {
    let schema = pipe.schema().clone();
    let mut exprs: Vec<Expr> = column_names(&schema).iter().map(|n| passthrough(&schema, n)).collect();
    exprs.extend(cols.into_iter().map(|(n, e)| e.alias(n)));
    let plan =
        LogicalPlanBuilder::from(pipe.plan).project(exprs).and_then(|b| b.build()).map_err(|e| df_err(e, span))?;
    Ok(Pipe { plan, ..pipe })
}

/// The input's columns without `hidden`, with `outputs` replacing columns
/// of the same name in place and the others appended.
fn finish(pipe: Pipe, outputs: Vec<(String, Expr)>, hidden: &HashSet<String>, span: Span) -> PResult<Pipe> {
    let schema = pipe.schema().clone();
    let mut exprs = Vec::new();
    let mut placed = HashSet::new();
    for n in column_names(&schema).iter().filter(|n| !hidden.contains(*n)) {
        match outputs.iter().find(|(o, _)| o == n) {
            Some((_, e)) => {
                exprs.push(e.clone().alias(n.clone()));
                placed.insert(n.clone());
            }
            None => exprs.push(passthrough(&schema, n)),
        }
    }
    for (n, e) in outputs {
        if !placed.contains(&n) {
            exprs.push(e.alias(n));
        }
    }
    let plan =
        LogicalPlanBuilder::from(pipe.plan).project(exprs).and_then(|b| b.build()).map_err(|e| df_err(e, span))?;
    Ok(Pipe { plan, ..pipe })
}
