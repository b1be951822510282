//! `search` and `find`. The predicate's terms are rewritten into ordinary
//! KQL per input table (a bare `"term"` becomes `has` over every column of
//! that table), so each table is filtered before the union and the filter
//! can push down into its scan.

use std::collections::HashSet;

use crate::diag::{Diagnostic, codes};
use crate::plan::scope::column_names;
use crate::plan::{PResult, Pipe, Planner};
use crate::syntax::ast::{
    self, BinaryOp, Ident, Literal, NamedExpr, SearchPred, StrOp, StrOpKind, TypeName, UnionKind, UnionOptions,
};
use crate::syntax::span::Span;

impl Planner<'_> {
    /// `T | search …`
    pub(super) fn search_op(&mut self, pipe: Pipe, cs: bool, pred: &SearchPred, span: Span) -> PResult<Pipe> {
        let e = search_expr(pred, &column_names(pipe.schema()), cs, span)?;
        self.where_op(pipe, &e, span)
    }

    /// The tables a `search`/`find` reads, each filtered by the predicate;
    /// tables lacking a column the predicate names are left out.
    fn filtered_tables(
        &mut self,
        tables: Option<&[Ident]>,
        pred: &SearchPred,
        cs: bool,
        span: Span,
    ) -> PResult<Vec<(Pipe, String)>> {
        let names: Vec<Ident> = match tables {
            Some(t) => t.to_vec(),
            None => self.catalog.names().map(|n| Ident { name: n.to_string(), span }).collect(),
        };
        let mut legs = Vec::new();
        let mut last_err = None;
        for name in &names {
            let pipe = self.table(name)?;
            let columns = column_names(pipe.schema());
            let filtered = search_expr(pred, &columns, cs, span).and_then(|e| self.where_op(pipe, &e, span));
            match filtered {
                Ok(p) => legs.push((p, name.name.clone())),
                Err(e) if tables.is_none() || names.len() > 1 => last_err = Some(e),
                Err(e) => return Err(e),
            }
        }
        if legs.is_empty() {
            return Err(last_err
                .unwrap_or_else(|| Diagnostic::new(codes::UNKNOWN_TABLE, "there are no tables to search").at(span)));
        }
        Ok(legs)
    }

    /// `search [kind=…] [in (T, …)] predicate`: matching rows of every
    /// table, with the table's name in `$table`.
    pub(crate) fn search_source(
        &mut self,
        cs: bool,
        tables: Option<&[Ident]>,
        pred: &SearchPred,
        span: Span,
    ) -> PResult<Pipe> {
        let legs = self.filtered_tables(tables, pred, cs, span)?;
        let options = UnionOptions {
            kind: Some(UnionKind::Outer),
            with_source: Some(Ident { name: "$table".into(), span }),
            ..Default::default()
        };
        self.union_all(legs, &options, span)
    }

    /// `find [withsource=C] [in (T, …)] where pred [project c, …]`: the
    /// source table's name, then the projected columns (null where a table
    /// lacks one); without `project`, the columns every table shares and a
    /// `pack_` bag of the rest.
    pub(crate) fn find_source(
        &mut self,
        with_source: Option<&Ident>,
        tables: Option<&[Ident]>,
        pred: &SearchPred,
        project: Option<&[(Ident, Option<TypeName>)]>,
        span: Span,
    ) -> PResult<Pipe> {
        let legs = self.filtered_tables(tables, pred, false, span)?;
        let source = with_source.map_or_else(|| "source_".to_string(), |w| w.name.clone());
        let shared: Vec<String> = match project {
            Some(_) => Vec::new(),
            None => {
                let mut common: Option<Vec<String>> = None;
                for (p, _) in &legs {
                    let names = column_names(p.schema());
                    common = Some(match common {
                        None => names,
                        Some(c) => c.into_iter().filter(|n| names.contains(n)).collect(),
                    });
                }
                common.unwrap_or_default()
            }
        };
        let mut shaped = Vec::new();
        for (pipe, label) in legs {
            let order = column_names(pipe.schema());
            let have: HashSet<String> = order.iter().cloned().collect();
            let mut cols = vec![named(
                &source,
                ast::Expr::new(ast::ExprKind::Literal(Literal::String(label.clone())), span),
                span,
            )];
            match project {
                Some(list) => {
                    for (c, ty) in list {
                        let e = if have.contains(&c.name) {
                            let e = ast::Expr::name(&c.name, c.span);
                            match ty {
                                Some(t) => ast::Expr::call(&format!("to{}", t.as_str()), vec![e], c.span),
                                None => e,
                            }
                        } else {
                            null_of(*ty, c.span)
                        };
                        cols.push(named(&c.name, e, c.span));
                    }
                }
                None => {
                    for c in &shared {
                        cols.push(named(c, ast::Expr::name(c, span), span));
                    }
                    let rest: Vec<ast::Expr> = order
                        .iter()
                        .filter(|n| !shared.contains(n))
                        .flat_map(|n| {
                            [
                                ast::Expr::new(ast::ExprKind::Literal(Literal::String(n.clone())), span),
                                ast::Expr::name(n, span),
                            ]
                        })
                        .collect();
                    let pack = if rest.is_empty() {
                        ast::Expr::new(ast::ExprKind::Literal(Literal::Dynamic(serde_json::json!({}))), span)
                    } else {
                        ast::Expr::call("bag_pack", rest, span)
                    };
                    cols.push(named("pack_", pack, span));
                }
            }
            let p = self.project(pipe, &cols, span)?;
            shaped.push((p, label));
        }
        let options = UnionOptions { kind: Some(UnionKind::Outer), ..Default::default() };
        self.union_all(shaped, &options, span)
    }
}

fn named(name: &str, e: ast::Expr, span: Span) -> NamedExpr {
    NamedExpr { name: Some(Ident { name: name.to_string(), span }), expr: e, span }
}

fn null_of(ty: Option<TypeName>, span: Span) -> ast::Expr {
    ast::Expr::new(ast::ExprKind::Literal(Literal::Null(ty.unwrap_or(TypeName::String))), span)
}

/// The predicate as plain KQL over `columns`.
fn search_expr(pred: &SearchPred, columns: &[String], cs: bool, span: Span) -> PResult<ast::Expr> {
    let join = |op: BinaryOp, items: Vec<ast::Expr>| items.into_iter().reduce(|a, b| ast::Expr::binary(op, a, b, span));
    Ok(match pred {
        SearchPred::Expr(e) => e.clone(),
        SearchPred::And(items) => {
            let parts = items.iter().map(|p| search_expr(p, columns, cs, span)).collect::<PResult<Vec<_>>>()?;
            join(BinaryOp::And, parts).unwrap_or_else(|| bool_lit(true, span))
        }
        SearchPred::Or(items) => {
            let parts = items.iter().map(|p| search_expr(p, columns, cs, span)).collect::<PResult<Vec<_>>>()?;
            join(BinaryOp::Or, parts).unwrap_or_else(|| bool_lit(false, span))
        }
        SearchPred::Not(inner) => ast::Expr::call("not", vec![search_expr(inner, columns, cs, span)?], span),
        SearchPred::Term { column, text, op, span: tspan } => {
            let targets: Vec<String> = match column {
                Some(c) => vec![c.name.clone()],
                None => columns.to_vec(),
            };
            let parts: Vec<ast::Expr> = targets
                .iter()
                .filter_map(|c| term_match(c, text, *op, cs, *tspan).transpose())
                .collect::<PResult<Vec<_>>>()?;
            join(BinaryOp::Or, parts).unwrap_or_else(|| bool_lit(text.trim_matches('*').is_empty(), span))
        }
    })
}

fn bool_lit(b: bool, span: Span) -> ast::Expr {
    ast::Expr::new(ast::ExprKind::Literal(Literal::Bool(b)), span)
}

/// `column <op> "text"`, where a `*` at either end of `text` picks the
/// operator: `x*` prefix, `*x` suffix, `*x*` substring, else a whole term.
fn term_match(column: &str, text: &str, op: Option<StrOp>, cs: bool, span: Span) -> PResult<Option<ast::Expr>> {
    let value = ast::Expr::call("tostring", vec![ast::Expr::name(column, span)], span);
    let (kind, needle) = match op {
        Some(op) => (op, text.to_string()),
        None => {
            let starts = text.starts_with('*');
            let ends = text.ends_with('*') && text.len() > 1;
            let core = text.trim_matches('*');
            if core.is_empty() {
                return Ok(Some(bool_lit(true, span)));
            }
            if core.contains('*') {
                return Err(Diagnostic::new(
                    codes::UNSUPPORTED_FEATURE,
                    "a `*` inside a search term is not supported yet",
                )
                .at(span)
                .help("use `*` only at the start or end of a term, or `matches regex`"));
            }
            let kind = match (starts, ends) {
                (true, true) => StrOpKind::Contains,
                (false, true) => StrOpKind::HasPrefix,
                (true, false) => StrOpKind::HasSuffix,
                (false, false) => StrOpKind::Has,
            };
            (StrOp { kind, case_sensitive: cs, negated: false }, core.to_string())
        }
    };
    let needle = ast::Expr::new(ast::ExprKind::Literal(Literal::String(needle)), span);
    Ok(Some(ast::Expr::binary(BinaryOp::Str(kind), value, needle, span)))
}
