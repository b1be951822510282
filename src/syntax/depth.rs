//! A limit on expression depth: DataFusion walks expressions recursively
//! (naming, optimising, evaluating), so a tree deeper than a few hundred
//! levels would overflow its stack. Such queries are refused up front.

use crate::syntax::ast::SearchPred;
use crate::syntax::ast::{
    Expr, ExprKind, FunctionBody, LetValue, Operator, OperatorKind, Query, Source, Statement, TabularExpr,
};
use crate::syntax::error::SyntaxError;
use crate::syntax::expr::MAX_DEPTH;

struct Deepest {
    depth: usize,
    at: Option<crate::syntax::span::Span>,
}

pub fn check(q: &Query) -> Result<(), SyntaxError> {
    let mut d = Deepest { depth: 0, at: None };
    for st in &q.statements {
        statement(st, &mut d);
    }
    if let Some(b) = &q.body {
        tabular(b, &mut d);
    }
    match d.at {
        Some(span) if d.depth > MAX_DEPTH => {
            Err(SyntaxError::message(span, format!("the query is nested more than {MAX_DEPTH} levels deep"))
                .with_help("split the expression with `let` or `extend` steps"))
        }
        _ => Ok(()),
    }
}

fn statement(st: &Statement, d: &mut Deepest) {
    match st {
        Statement::Let { value, .. } => match value {
            LetValue::Expr(e) => expr(e, 1, d),
            LetValue::Tabular(t) => tabular(t, d),
            LetValue::Function(f) => {
                for s in &f.lets {
                    statement(s, d);
                }
                match &f.body {
                    FunctionBody::Scalar(e) => expr(e, 1, d),
                    FunctionBody::Tabular(t) => tabular(t, d),
                }
            }
        },
        Statement::Set { value, .. } => {
            if let Some(v) = value {
                expr(v, 1, d);
            }
        }
        Statement::DeclareParameters { params, .. } => {
            for p in params {
                if let Some(e) = &p.default {
                    expr(e, 1, d);
                }
            }
        }
    }
}

fn tabular(t: &TabularExpr, d: &mut Deepest) {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
        match &t.source {
            Source::Call { args, .. } => args.iter().for_each(|a| expr(a, 1, d)),
            Source::Datatable { values, .. } => values.iter().for_each(|v| expr(v, 1, d)),
            Source::Print { columns, .. } => columns.iter().for_each(|c| expr(&c.expr, 1, d)),
            Source::Range { from, to, step, .. } => [from, to, step].iter().for_each(|e| expr(e, 1, d)),
            Source::Union { tables, .. } => tables.iter().for_each(|x| tabular(x, d)),
            Source::Nested(inner) => tabular(inner, d),
            Source::Search { predicate, .. } | Source::Find { predicate, .. } => {
                let mut exprs = Vec::new();
                search_exprs(predicate, &mut exprs);
                exprs.into_iter().for_each(|e| expr(e, 1, d));
            }
            Source::ExternalData { options, .. } => options.iter().for_each(|(_, e)| expr(e, 1, d)),
            Source::Table(_) | Source::Wildcard(_) => {}
        }
        for op in &t.ops {
            operator(op, d);
        }
    });
}

fn search_exprs<'a>(p: &'a SearchPred, out: &mut Vec<&'a Expr>) {
    match p {
        SearchPred::Expr(e) => out.push(e),
        SearchPred::And(items) | SearchPred::Or(items) => items.iter().for_each(|x| search_exprs(x, out)),
        SearchPred::Not(inner) => search_exprs(inner, out),
        SearchPred::Term { .. } => {}
    }
}

fn operator(op: &Operator, d: &mut Deepest) {
    let mut exprs: Vec<&Expr> = Vec::new();
    match &op.kind {
        OperatorKind::Where { predicate } => exprs.push(predicate),
        OperatorKind::Project { columns }
        | OperatorKind::Extend { columns }
        | OperatorKind::Distinct { columns }
        | OperatorKind::Serialize { columns } => exprs.extend(columns.iter().map(|c| &c.expr)),
        OperatorKind::Summarize { aggregates, by, .. } => {
            exprs.extend(aggregates.iter().chain(by).map(|c| &c.expr));
        }
        OperatorKind::Take { count } | OperatorKind::Sample { count } => exprs.push(count),
        OperatorKind::SampleDistinct { count, of } => exprs.extend([count, &of.expr]),
        OperatorKind::TopHitters { count, of, by } => exprs.extend([count, &of.expr].into_iter().chain(by)),
        OperatorKind::Top { count, keys } => {
            exprs.push(count);
            exprs.extend(keys.iter().map(|k| &k.expr));
        }
        OperatorKind::Sort { keys, .. } => exprs.extend(keys.iter().map(|k| &k.expr)),
        OperatorKind::Union { tables, .. } => tables.iter().for_each(|t| tabular(t, d)),
        OperatorKind::Join { right, .. } | OperatorKind::Lookup { right, .. } => tabular(right, d),
        OperatorKind::Render { properties, .. } => exprs.extend(properties.iter().map(|(_, e)| e)),
        OperatorKind::MvExpand(m) => exprs.extend(m.items.iter().map(|i| &i.expr).chain(&m.limit)),
        OperatorKind::MvApply { expand, body } => {
            exprs.extend(expand.items.iter().map(|i| &i.expr).chain(&expand.limit));
            body.iter().for_each(|op| operator(op, d));
        }
        OperatorKind::Parse(p) => exprs.push(&p.source),
        OperatorKind::Search { predicate, .. } => search_exprs(predicate, &mut exprs),
        OperatorKind::TopNested { levels } => {
            for l in levels {
                exprs.extend([&l.of.expr, &l.aggregate.expr].into_iter().chain(&l.count).chain(&l.others));
            }
        }
        OperatorKind::Evaluate { args, .. } | OperatorKind::Invoke { args, .. } => exprs.extend(args),
        OperatorKind::Reduce { by, options, .. } => {
            exprs.push(by);
            exprs.extend(options.iter().map(|(_, e)| e));
        }
        OperatorKind::MakeSeries(m) => {
            exprs.extend(m.aggregates.iter().flat_map(|a| std::iter::once(&a.column.expr).chain(&a.default)));
            exprs.extend([&m.axis, &m.step].into_iter().chain(&m.from).chain(&m.to));
            exprs.extend(m.by.iter().map(|b| &b.expr));
        }
        OperatorKind::ParseKv { source, options, .. } => {
            exprs.push(source);
            exprs.extend(options.iter().map(|(_, e)| e));
        }
        OperatorKind::ProjectAway { .. }
        | OperatorKind::ProjectKeep { .. }
        | OperatorKind::ProjectRename { .. }
        | OperatorKind::ProjectReorder { .. }
        | OperatorKind::Count
        | OperatorKind::As { .. }
        | OperatorKind::GetSchema
        | OperatorKind::Unsupported { .. } => {}
    }
    for e in exprs {
        expr(e, 1, d);
    }
}

fn expr(e: &Expr, depth: usize, d: &mut Deepest) {
    if depth > d.depth {
        d.depth = depth;
        d.at = Some(e.span);
    }
    if depth > MAX_DEPTH {
        return;
    }
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || match &e.kind {
        ExprKind::Literal(_) | ExprKind::Name(_) | ExprKind::Star => {}
        ExprKind::Member { base, .. } => expr(base, depth + 1, d),
        ExprKind::Index { base, index } => {
            expr(base, depth + 1, d);
            expr(index, depth + 1, d);
        }
        ExprKind::Unary { operand, .. } => expr(operand, depth + 1, d),
        ExprKind::Binary { left, right, .. } => {
            expr(left, depth + 1, d);
            expr(right, depth + 1, d);
        }
        ExprKind::InList { expr: x, list, .. } => {
            expr(x, depth + 1, d);
            list.iter().for_each(|l| expr(l, depth + 1, d));
        }
        ExprKind::InTable { expr: x, table, .. } => {
            expr(x, depth + 1, d);
            tabular(table, d);
        }
        ExprKind::Between { expr: x, low, high, .. } => {
            expr(x, depth + 1, d);
            expr(low, depth + 1, d);
            expr(high, depth + 1, d);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| expr(a, depth + 1, d)),
        ExprKind::Tabular(t) => tabular(t, d),
        ExprKind::NamedArg { value, .. } => expr(value, depth + 1, d),
    });
}
