//! Functions whose result is several columns: `series_stats(x)` gives
//! seven, `array_sort_asc(a, b, …)` one sorted array per argument. Kusto
//! names the columns after the arguments; kqlog rewrites such a call into
//! one ordinary column per part before the columns are lowered.

use crate::functions::series::series_stats_parts;
use crate::plan::naming::inferred_name;
use crate::syntax::ast::{Expr, ExprKind, Ident, Literal, NamedExpr};

/// `columns` with every multi-column call replaced by its parts.
pub fn expand(columns: &[NamedExpr]) -> Vec<NamedExpr> {
    let mut out = Vec::with_capacity(columns.len());
    for c in columns {
        match parts(c) {
            Some(p) => out.extend(p),
            None => out.push(c.clone()),
        }
    }
    out
}

fn parts(c: &NamedExpr) -> Option<Vec<NamedExpr>> {
    let ExprKind::Call { name, args } = &c.expr.kind else {
        return None;
    };
    let sp = c.expr.span;
    let index = |base: Expr, key: Literal| {
        Expr::new(ExprKind::Index { base: Box::new(base), index: Box::new(Expr::new(ExprKind::Literal(key), sp)) }, sp)
    };
    let named = |n: String, e: Expr| NamedExpr { name: Some(Ident { name: n, span: sp }), expr: e, span: c.span };
    match name.name.as_str() {
        "series_stats" if !args.is_empty() => {
            let prefix = match &c.name {
                Some(n) => n.name.clone(),
                None => format!("series_stats_{}", args.first().and_then(inferred_name).unwrap_or_default()),
            };
            let stats = Expr::call("series_stats_dynamic", args.clone(), sp);
            Some(
                series_stats_parts()
                    .iter()
                    .map(|part| {
                        let convert = if part.ends_with("_idx") { "tolong" } else { "todouble" };
                        let value = index(stats.clone(), Literal::String((*part).to_string()));
                        named(format!("{prefix}_{part}"), Expr::call(convert, vec![value], sp))
                    })
                    .collect(),
            )
        }
        "array_sort_asc" | "array_sort_desc" if c.name.is_none() && arrays(args) >= 2 => {
            let whole = c.expr.clone();
            Some(
                (0..arrays(args))
                    .map(|k| {
                        let n = inferred_name(&args[k]).unwrap_or_else(|| format!("array{}", k + 1));
                        named(format!("{n}_sorted"), index(whole.clone(), Literal::Long(k as i64)))
                    })
                    .collect(),
            )
        }
        _ => None,
    }
}

/// The arrays among `array_sort_*` arguments: a trailing boolean is the
/// nulls-last flag, not an array.
fn arrays(args: &[Expr]) -> usize {
    match args.last().map(|a| &a.kind) {
        Some(ExprKind::Literal(Literal::Bool(_))) => args.len() - 1,
        _ => args.len(),
    }
}
