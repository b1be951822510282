//! `union` as a source and as an operator.
//!
//! Columns are matched by name. With `kind=outer` (the default) every
//! column of every input appears, in order of first appearance, null where
//! an input lacks it; a name with different types in different inputs
//! becomes one column per type (`x_long`, `x_string`). `kind=inner` keeps
//! only the columns all inputs share. `withsource=T` adds the input's name.

use datafusion::logical_expr::{Expr, LogicalPlanBuilder, lit};

use crate::diag::{Diagnostic, codes};
use crate::plan::scope;
use crate::plan::typing;
use crate::plan::{PResult, Pipe, Planner, df_err};
use crate::syntax::ast::{Source, TabularExpr, UnionKind, UnionOptions};
use crate::syntax::span::Span;
use crate::types::KType;

impl Planner<'_> {
    pub(super) fn union_op(
        &mut self,
        pipe: Pipe,
        options: &UnionOptions,
        tables: &[TabularExpr],
        span: Span,
    ) -> PResult<Pipe> {
        let label = pipe.name.clone().unwrap_or_else(|| "union_arg0".to_string());
        let mut legs = vec![(pipe, label)];
        legs.extend(self.union_legs(tables, 1)?);
        self.union_all(legs, options, span)
    }

    pub(crate) fn union_source(&mut self, options: &UnionOptions, tables: &[TabularExpr], span: Span) -> PResult<Pipe> {
        let legs = self.union_legs(tables, 0)?;
        if legs.is_empty() {
            return Err(Diagnostic::new(codes::UNKNOWN_TABLE, "no table matches the `union`").at(span));
        }
        self.union_all(legs, options, span)
    }

    /// Plans each input, expanding wildcards; names each for `withsource`.
    fn union_legs(&mut self, tables: &[TabularExpr], first_index: usize) -> PResult<Vec<(Pipe, String)>> {
        let mut out = Vec::new();
        for (k, t) in tables.iter().enumerate() {
            let index = first_index + k;
            match (&t.source, t.ops.is_empty()) {
                (Source::Wildcard(pattern), true) => {
                    let names = self.catalog.matching(&pattern.name);
                    for n in names {
                        let ident = crate::syntax::ast::Ident { name: n.clone(), span: pattern.span };
                        out.push((self.table(&ident)?, n));
                    }
                }
                (Source::Table(name), true) => {
                    // Tables and views keep their names; `let` tables are numbered.
                    let named = match self.lookup(&name.name) {
                        None => self.catalog.has_table(&name.name),
                        Some(crate::plan::Binding::Function(_)) => true,
                        Some(_) => false,
                    };
                    let pipe = self.table(name)?;
                    let label = if named {
                        name.name.clone()
                    } else {
                        pipe.name.clone().unwrap_or_else(|| format!("union_arg{index}"))
                    };
                    out.push((pipe, label));
                }
                _ => {
                    let pipe = self.tabular(t)?;
                    let label = pipe.name.clone().unwrap_or_else(|| format!("union_arg{index}"));
                    out.push((pipe, label));
                }
            }
        }
        Ok(out)
    }

    pub(super) fn union_all(&mut self, legs: Vec<(Pipe, String)>, options: &UnionOptions, span: Span) -> PResult<Pipe> {
        // The output columns: (output name, source name, type).
        let mut columns: Vec<(String, String, KType)> = Vec::new();
        let mut types_of: Vec<(String, Vec<KType>)> = Vec::new();
        for (pipe, _) in &legs {
            for f in pipe.schema().fields() {
                let ty = KType::of_arrow(f.data_type()).unwrap_or(KType::String);
                match types_of.iter_mut().find(|(n, _)| n == f.name()) {
                    Some((_, ts)) => {
                        if !ts.contains(&ty) {
                            ts.push(ty);
                        }
                    }
                    None => types_of.push((f.name().clone(), vec![ty])),
                }
            }
        }
        // Plain names win; a name with several types becomes `name_type`
        // columns, numbered if that clashes with a plain name (`x_long1`).
        let mut taken: std::collections::HashSet<String> =
            types_of.iter().filter(|(_, ts)| ts.len() == 1).map(|(n, _)| n.clone()).collect();
        if let Some(ws) = &options.with_source {
            taken.insert(ws.name.clone());
        }
        for (name, types) in &types_of {
            if types.len() == 1 {
                columns.push((name.clone(), name.clone(), types[0]));
            } else {
                for t in types {
                    let out = crate::plan::naming::unique(&format!("{name}_{}", t.name()), &taken);
                    taken.insert(out.clone());
                    columns.push((out, name.clone(), *t));
                }
            }
        }
        if options.kind == Some(UnionKind::Inner) {
            columns.retain(|(_, src, ty)| {
                legs.iter().all(|(p, _)| scope::find_column(p.schema(), src).is_some_and(|t| t.ty == *ty))
            });
        }
        let mut plans = Vec::new();
        for (pipe, label) in legs {
            let schema = pipe.schema().clone();
            let mut exprs: Vec<Expr> = Vec::new();
            if let Some(ws) = &options.with_source {
                exprs.push(lit(label.clone()).alias(ws.name.clone()));
            }
            for (out, src, ty) in &columns {
                let e = match scope::find_column(&schema, src) {
                    Some(t) if t.ty == *ty => t.expr,
                    _ => typing::null_of(*ty),
                };
                exprs.push(e.alias(out.clone()));
            }
            let plan = LogicalPlanBuilder::from(pipe.plan)
                .project(exprs)
                .and_then(|b| b.build())
                .map_err(|e| df_err(e, span))?;
            plans.push(plan);
        }
        let mut iter = plans.into_iter();
        let Some(first) = iter.next() else {
            return Err(Diagnostic::new(codes::UNKNOWN_TABLE, "`union` has no inputs").at(span));
        };
        let mut builder = LogicalPlanBuilder::from(first);
        for p in iter {
            builder = builder.union(p).map_err(|e| df_err(e, span))?;
        }
        let plan = builder.build().map_err(|e| df_err(e, span))?;
        Ok(Pipe::new(plan))
    }
}
