//! `project`, `project-away`, `project-keep`, `project-rename`,
//! `project-reorder`, `extend`.

use std::collections::HashSet;

use datafusion::common::DFSchema;
use datafusion::logical_expr::Expr;

use crate::diag::{Diagnostic, codes};
use crate::plan::expr::Cx;
use crate::plan::naming::{generated, inferred_name, unique, wildcard_match};
use crate::plan::ops::{col, project_with_windows};
use crate::plan::scope::{self, column_names};
use crate::plan::{PResult, Pipe, Planner, Typed};
use crate::syntax::ast::{self, ColumnPattern, ExprKind, Ident, NamedExpr, ReorderKey};
use crate::syntax::span::Span;

impl Planner<'_> {
    /// Lowers `[name =] expr` items for `project`-like operators, returning
    /// each expression aliased to its output name. `taken` holds names that
    /// generated `ColumnN` names must avoid.
    pub(super) fn named_columns(
        &mut self,
        columns: &[NamedExpr],
        cx: &Cx,
        taken: &mut HashSet<String>,
    ) -> PResult<Vec<(String, Expr)>> {
        let mut out: Vec<(String, Expr)> = Vec::new();
        let mut declared: HashSet<String> = HashSet::new();
        for c in columns {
            let t = self.lower_expr(&c.expr, cx)?;
            let name = match &c.name {
                Some(n) => {
                    if !declared.insert(n.name.clone()) {
                        return Err(Diagnostic::new(
                            codes::DUPLICATE_COLUMN,
                            format!("column `{}` is declared twice", n.name),
                        )
                        .at(n.span));
                    }
                    n.name.clone()
                }
                None => match inferred_name(&c.expr) {
                    Some(n) => unique(&n, &out.iter().map(|(n, _)| n.clone()).collect()),
                    None => generated(taken),
                },
            };
            taken.insert(name.clone());
            out.push((name, t.expr));
        }
        Ok(out)
    }

    pub(super) fn project(&mut self, pipe: Pipe, columns: &[NamedExpr], span: Span) -> PResult<Pipe> {
        let schema = pipe.schema().clone();
        let cx = Cx::new(&schema).with_windows();
        self.window_order = pipe.order.clone().unwrap_or_default();
        let mut taken = HashSet::new();
        let columns = crate::plan::multi::expand(columns);
        let cols = self.named_columns(&columns, &cx, &mut taken)?;
        let exprs = cols.into_iter().map(|(n, e)| e.alias(n)).collect();
        project_with_windows(pipe, exprs, span)
    }

    /// `extend`: new columns after the existing ones; a column of the same
    /// name is replaced where it stands. Later columns may use earlier ones.
    pub(super) fn extend(&mut self, pipe: Pipe, columns: &[NamedExpr], span: Span) -> PResult<Pipe> {
        let mut pipe = pipe;
        let mut batch: Vec<&NamedExpr> = Vec::new();
        let mut batch_names: HashSet<String> = HashSet::new();
        let columns = crate::plan::multi::expand(columns);
        for c in &columns {
            // A name the input already has reads the input's value (Kusto
            // evaluates `extend x = x + 1, y = x` against the input row).
            let input_names: HashSet<String> = column_names(pipe.schema()).into_iter().collect();
            batch_names.retain(|n| !input_names.contains(n));
            let depends = references_any(&c.expr, &batch_names);
            if depends && !batch.is_empty() {
                pipe = self.extend_batch(pipe, &batch, span)?;
                batch.clear();
                batch_names.clear();
            }
            if let Some(n) = c.name.as_ref().map(|n| n.name.clone()).or_else(|| inferred_name(&c.expr)) {
                batch_names.insert(n);
            }
            batch.push(c);
        }
        if !batch.is_empty() {
            pipe = self.extend_batch(pipe, &batch, span)?;
        }
        Ok(pipe)
    }

    fn extend_batch(&mut self, pipe: Pipe, columns: &[&NamedExpr], span: Span) -> PResult<Pipe> {
        let schema = pipe.schema().clone();
        let cx = Cx::new(&schema).with_windows();
        self.window_order = pipe.order.clone().unwrap_or_default();
        let existing = column_names(&schema);
        let mut taken: HashSet<String> = existing.iter().cloned().collect();
        let owned: Vec<NamedExpr> = columns.iter().map(|c| (*c).clone()).collect();
        let new_cols = self.named_columns(&owned, &cx, &mut taken)?;
        let mut exprs: Vec<Expr> = Vec::new();
        let mut replaced = HashSet::new();
        for name in &existing {
            if let Some((_, e)) = new_cols.iter().rev().find(|(n, _)| n == name) {
                exprs.push(e.clone().alias(name.clone()));
                replaced.insert(name.clone());
            } else {
                exprs.push(passthrough(&schema, name));
            }
        }
        let mut added = HashSet::new();
        for (n, e) in new_cols.iter().rev() {
            if replaced.contains(n) || !added.insert(n.clone()) {
                continue;
            }
            exprs.push(e.clone().alias(n.clone()));
        }
        // Restore declaration order of the appended columns (we walked backwards).
        let tail_start = existing.len();
        exprs[tail_start..].reverse();
        project_with_windows(pipe, exprs, span)
    }

    pub(super) fn project_away(&mut self, pipe: Pipe, patterns: &[ColumnPattern], span: Span) -> PResult<Pipe> {
        let schema = pipe.schema().clone();
        let names = column_names(&schema);
        let mut drop = HashSet::new();
        for p in patterns {
            let matched: Vec<&String> = names.iter().filter(|n| wildcard_match(&p.pattern, n)).collect();
            if matched.is_empty() && !p.is_wildcard() {
                return Err(scope::unknown_column(&schema, &p.pattern, p.span, &[]));
            }
            drop.extend(matched.into_iter().cloned());
        }
        let exprs = names.iter().filter(|n| !drop.contains(*n)).map(|n| passthrough(&schema, n)).collect();
        project_with_windows(pipe, exprs, span)
    }

    pub(super) fn project_keep(&mut self, pipe: Pipe, patterns: &[ColumnPattern], span: Span) -> PResult<Pipe> {
        let schema = pipe.schema().clone();
        let names = column_names(&schema);
        let mut keep = HashSet::new();
        for p in patterns {
            let matched: Vec<&String> = names.iter().filter(|n| wildcard_match(&p.pattern, n)).collect();
            if matched.is_empty() && !p.is_wildcard() {
                return Err(scope::unknown_column(&schema, &p.pattern, p.span, &[]));
            }
            keep.extend(matched.into_iter().cloned());
        }
        let exprs = names.iter().filter(|n| keep.contains(*n)).map(|n| passthrough(&schema, n)).collect();
        project_with_windows(pipe, exprs, span)
    }

    pub(super) fn project_rename(&mut self, pipe: Pipe, renames: &[(Ident, Ident)], span: Span) -> PResult<Pipe> {
        let schema = pipe.schema().clone();
        let names = column_names(&schema);
        let mut map = std::collections::HashMap::new();
        for (new, old) in renames {
            if !names.contains(&old.name) {
                return Err(scope::unknown_column(&schema, &old.name, old.span, &[]));
            }
            map.insert(old.name.clone(), new.name.clone());
        }
        let mut seen = HashSet::new();
        let mut exprs = Vec::new();
        for n in &names {
            let out = map.get(n).cloned().unwrap_or_else(|| n.clone());
            if !seen.insert(out.clone()) {
                let at = renames.iter().find(|(new, _)| new.name == out).map_or(span, |(new, _)| new.span);
                return Err(Diagnostic::new(
                    codes::DUPLICATE_COLUMN,
                    format!("renaming makes two columns named `{out}`"),
                )
                .at(at));
            }
            exprs.push(passthrough(&schema, n).alias(out));
        }
        project_with_windows(pipe, exprs, span)
    }

    pub(super) fn project_reorder(&mut self, pipe: Pipe, keys: &[ReorderKey], span: Span) -> PResult<Pipe> {
        let schema = pipe.schema().clone();
        let names = column_names(&schema);
        let mut ordered: Vec<String> = Vec::new();
        for k in keys {
            let mut matched: Vec<String> = names
                .iter()
                .filter(|n| wildcard_match(&k.column.pattern, n) && !ordered.contains(n))
                .cloned()
                .collect();
            if matched.is_empty() && !k.column.is_wildcard() {
                return Err(scope::unknown_column(&schema, &k.column.pattern, k.column.span, &[]));
            }
            match k.order.as_deref() {
                Some("asc") => matched.sort(),
                Some("desc") => matched.sort_by(|a, b| b.cmp(a)),
                Some("granny-asc") => matched.sort_by_key(|a| granny(a)),
                Some("granny-desc") => matched.sort_by_key(|b| std::cmp::Reverse(granny(b))),
                _ => {}
            }
            ordered.extend(matched);
        }
        for n in &names {
            if !ordered.contains(n) {
                ordered.push(n.clone());
            }
        }
        let exprs = ordered.iter().map(|n| passthrough(&schema, n)).collect();
        project_with_windows(pipe, exprs, span)
    }
}

/// An existing column, unchanged, under its own name.
pub fn passthrough(schema: &DFSchema, name: &str) -> Expr {
    match scope::find_column(schema, name) {
        // A bare column keeps its name; an alias on it would only rename it
        // to itself, which some optimizer passes handle badly.
        Some(Typed { expr: Expr::Column(c), .. }) if c.relation.is_none() => Expr::Column(c),
        Some(t) => t.expr.alias(name),
        None => col(name),
    }
}

/// "Granny" order compares digit runs as numbers (`a2` before `a10`).
fn granny(s: &str) -> Vec<(String, u64)> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
        } else {
            if !num.is_empty() {
                parts.push((std::mem::take(&mut text), num.parse().unwrap_or(u64::MAX)));
                num.clear();
            }
            text.push(c);
        }
    }
    parts.push((text, num.parse().unwrap_or(0)));
    parts
}

/// True when `e` names any of `names` (for sequential `extend`).
fn references_any(e: &ast::Expr, names: &HashSet<String>) -> bool {
    if names.is_empty() {
        return false;
    }
    match &e.kind {
        ExprKind::Name(n) => names.contains(&n.name),
        ExprKind::Literal(_) | ExprKind::Star | ExprKind::Tabular(_) => false,
        ExprKind::Member { base, .. } => references_any(base, names),
        ExprKind::Index { base, index } => references_any(base, names) || references_any(index, names),
        ExprKind::Unary { operand, .. } => references_any(operand, names),
        ExprKind::Binary { left, right, .. } => references_any(left, names) || references_any(right, names),
        ExprKind::InList { expr, list, .. } => {
            references_any(expr, names) || list.iter().any(|x| references_any(x, names))
        }
        ExprKind::InTable { expr, .. } => references_any(expr, names),
        ExprKind::Between { expr, low, high, .. } => {
            references_any(expr, names) || references_any(low, names) || references_any(high, names)
        }
        ExprKind::Call { args, .. } => args.iter().any(|a| references_any(a, names)),
        ExprKind::NamedArg { value, .. } => references_any(value, names),
    }
}
