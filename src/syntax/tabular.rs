//! Tabular expressions: a source, then `| operator` steps. The operator
//! name is read first and dispatched to one function per operator (no
//! backtracking over a long `alt`); once the name is read, errors inside the
//! operator are final, so the caret points inside it.

use nom::{Err, Input};

use crate::syntax::ast::{
    ColumnPattern, Expr, ExprKind, Hint, Ident, JoinKey, JoinKind, NamedExpr, NullsOrder, Operator, OperatorKind,
    ReorderKey, SortKey, SortOrder, Source, TabularExpr, TypeName, UnionKind, UnionOptions,
};
use crate::syntax::error::SyntaxError;
use crate::syntax::expr::{call_args, close_paren, expr, named_expr, with_depth};
use crate::syntax::lex::{
    In, PResult, at_keyword, at_symbol, comma_list, cut, expected, fail, hints, ident, keyword, offset, operator_word,
    option_value, peek_str, span, symbol, trivia, word,
};
use crate::syntax::span::Span;

/// Operators kqlog runs.
pub const OPERATORS: &[&str] = &[
    "where",
    "filter",
    "project",
    "project-away",
    "project-keep",
    "project-rename",
    "project-reorder",
    "extend",
    "summarize",
    "count",
    "take",
    "limit",
    "top",
    "sort",
    "order",
    "distinct",
    "union",
    "join",
    "lookup",
    "as",
    "getschema",
    "serialize",
    "render",
    "mv-expand",
    "mv-apply",
    "parse",
    "parse-where",
    "parse-kv",
    "make-series",
    "search",
    "top-nested",
    "top-hitters",
    "sample",
    "sample-distinct",
    "evaluate",
    "invoke",
    "reduce",
];

/// Kusto operators that kqlog recognises but does not run yet.
pub const UNSUPPORTED_OPERATORS: &[&str] = &[
    "fork",
    "facet",
    "partition",
    "scan",
    "consume",
    "project-smart",
    "extend-distinct",
    "lookup-distinct",
    "macro-expand",
    "graph-match",
    "make-graph",
    "assert-schema",
];

/// True when a tabular expression (not a scalar) starts here.
pub fn at_tabular_keyword(i: &In) -> bool {
    if at_keyword(i, "datatable")
        || at_keyword(i, "union")
        || at_keyword(i, "externaldata")
        || at_keyword(i, "external_data")
        || at_keyword(i, "search")
        || at_keyword(i, "find")
    {
        return true;
    }
    if at_keyword(i, "print") {
        return true;
    }
    if at_keyword(i, "range") {
        // `range x from …` is the operator; `range(1, 5)` the function.
        if let Ok((rest, _)) = keyword(*i, "range")
            && let Ok((rest, _)) = ident(rest)
        {
            return at_keyword(&rest, "from");
        }
    }
    false
}

pub fn tabular_expr(i: In) -> PResult<TabularExpr> {
    with_depth(i, |i| {
        let start = offset(&trivia(i));
        let (mut i, source) = source(i)?;
        let mut ops = Vec::new();
        while at_symbol(&i, "|") {
            let (rest, _) = symbol(i, "|")?;
            let (rest, op) = operator(rest)?;
            ops.push(op);
            i = rest;
        }
        Ok((i, TabularExpr { source, ops, span: span(start, &i) }))
    })
}

fn source(i: In) -> PResult<Source> {
    let t = trivia(i);
    let start = offset(&t);
    if at_symbol(&t, "(") {
        let (rest, open) = symbol(i, "(")?;
        let (rest, inner) = cut(tabular_expr(rest))?;
        let (rest, _) = close_paren(rest, open)?;
        return Ok((rest, Source::Nested(Box::new(inner))));
    }
    if at_keyword(&t, "datatable") {
        let (rest, _) = keyword(i, "datatable")?;
        return cut(datatable(rest, start));
    }
    if at_keyword(&t, "print") {
        let (rest, _) = keyword(i, "print")?;
        let (rest, columns) = cut(comma_list(rest, named_expr))?;
        return Ok((rest, Source::Print { columns, span: span(start, &rest) }));
    }
    if at_tabular_keyword(&t) && at_keyword(&t, "range") {
        let (rest, _) = keyword(i, "range")?;
        return cut(range(rest, start));
    }
    if at_keyword(&t, "search") {
        let (rest, _) = keyword(i, "search")?;
        return cut(crate::syntax::search::search_source(rest, start));
    }
    if at_keyword(&t, "find") {
        let (rest, _) = keyword(i, "find")?;
        return cut(crate::syntax::search::find_source(rest, start));
    }
    if at_keyword(&t, "externaldata") || at_keyword(&t, "external_data") {
        let (rest, _) = crate::syntax::lex::word(i)?;
        return cut(crate::syntax::external::externaldata(rest, start));
    }
    if at_keyword(&t, "union") {
        let (rest, _) = keyword(i, "union")?;
        let (rest, (options, tables)) = cut(union_body(rest))?;
        return Ok((rest, Source::Union { options, tables, span: span(start, &rest) }));
    }
    let (rest, name) = match ident(i) {
        Ok(x) => x,
        Err(Err::Error(_)) => return expected(i, "a table name, `datatable`, `print`, `range` or `union`"),
        Err(e) => return Err(e),
    };
    if at_symbol(&rest, "(") {
        let (rest, (args, _)) = call_args(rest)?;
        return Ok((rest, Source::Call { name, args, span: span(start, &rest) }));
    }
    Ok((rest, Source::Table(name)))
}

fn datatable(i: In, start: usize) -> PResult<Source> {
    let (i, open) = symbol(i, "(")?;
    let (i, columns) = comma_list(i, |i| {
        let (i, name) = ident(i)?;
        let (i, _) = cut(symbol(i, ":"))?;
        let (i, ty) = cut(type_name(i))?;
        Ok((i, (name, ty)))
    })?;
    let (i, _) = close_paren(i, open)?;
    let (i, open) = symbol(i, "[")?;
    let mut values = Vec::new();
    let mut i = i;
    loop {
        if let Ok((rest, _)) = symbol(i, "]") {
            return Ok((rest, Source::Datatable { columns, values, span: span(start, &rest) }));
        }
        let (rest, v) = expr(i)?;
        values.push(v);
        i = rest;
        if let Ok((rest, _)) = symbol(i, ",") {
            i = rest;
        } else if !at_symbol(&i, "]") {
            return Err(Err::Failure(
                SyntaxError::expected(offset(&trivia(i)), "`,` or `]`").with_note(open, "`[` opened here"),
            ));
        }
    }
}

pub fn type_name(i: In) -> PResult<TypeName> {
    let (rest, w) = word(i)?;
    match TypeName::parse(&w.name) {
        Some(t) => Ok((rest, t)),
        None => Err(Err::Failure(
            SyntaxError::message(w.span, format!("unknown type `{}`", w.name))
                .with_help("types are bool, int, long, real, decimal, string, datetime, timespan, guid, dynamic"),
        )),
    }
}

fn range(i: In, start: usize) -> PResult<Source> {
    let (i, column) = ident(i)?;
    let (i, _) = keyword(i, "from")?;
    let (i, from) = expr(i)?;
    let (i, _) = keyword(i, "to")?;
    let (i, to) = expr(i)?;
    let (i, _) = keyword(i, "step")?;
    let (i, step) = expr(i)?;
    Ok((
        i,
        Source::Range { column, from: Box::new(from), to: Box::new(to), step: Box::new(step), span: span(start, &i) },
    ))
}

/// `[kind=…] [withsource=…] [isfuzzy=…] T1, (T2 | …), Prefix*`
fn union_body(mut i: In) -> PResult<(UnionOptions, Vec<TabularExpr>)> {
    let mut options = UnionOptions::default();
    loop {
        if at_keyword(&i, "kind") {
            let (rest, _) = keyword(i, "kind")?;
            let (rest, _) = symbol(rest, "=")?;
            let (rest, k) = word(rest)?;
            options.kind = Some(match k.name.as_str() {
                "inner" => UnionKind::Inner,
                "outer" => UnionKind::Outer,
                _ => return fail(i, "`kind=inner` or `kind=outer`"),
            });
            i = rest;
        } else if at_keyword(&i, "withsource") || at_keyword(&i, "with_source") {
            let (rest, _) = word(i)?;
            let (rest, _) = symbol(rest, "=")?;
            let (rest, name) = ident(rest)?;
            options.with_source = Some(name);
            i = rest;
        } else if at_keyword(&i, "isfuzzy") {
            let (rest, _) = keyword(i, "isfuzzy")?;
            let (rest, _) = symbol(rest, "=")?;
            let (rest, v) = option_value(rest)?;
            options.is_fuzzy = v == "true";
            i = rest;
        } else if peek_str(&i).starts_with("hint.") {
            let (rest, h) = hints(i)?;
            options.hints.extend(h);
            i = rest;
        } else {
            break;
        }
    }
    let (i, tables) = comma_list(i, union_leg)?;
    Ok((i, (options, tables)))
}

/// One input of `union`: a name, a wildcard (`Container*`), or `( … )`.
fn union_leg(i: In) -> PResult<TabularExpr> {
    let t = trivia(i);
    let start = offset(&t);
    if at_symbol(&t, "(") {
        let (rest, open) = symbol(i, "(")?;
        let (rest, inner) = tabular_expr(rest)?;
        let (rest, _) = close_paren(rest, open)?;
        return Ok((
            rest,
            TabularExpr { source: Source::Nested(Box::new(inner)), ops: vec![], span: span(start, &rest) },
        ));
    }
    if at_tabular_keyword(&t) {
        // `union (datatable …)` without parentheses reads one source only.
        let (rest, src) = source(i)?;
        return Ok((rest, TabularExpr { source: src, ops: vec![], span: span(start, &rest) }));
    }
    let (rest, name) = ident(i)?;
    let s = *rest.fragment();
    if s.starts_with('*') {
        // Wildcards continue the name: `Container*`, `*Log`, `Kube*Inventory`.
        let mut len = 0;
        for c in s.chars() {
            if c == '*' || crate::syntax::lex::is_ident_char(c) {
                len += c.len_utf8();
            } else {
                break;
            }
        }
        let rest2 = rest.take_from(len);
        let pat = Ident { name: format!("{}{}", name.name, &s[..len]), span: span(name.span.start, &rest2) };
        return Ok((rest2, TabularExpr { source: Source::Wildcard(pat), ops: vec![], span: span(start, &rest2) }));
    }
    if at_symbol(&rest, "(") {
        let (rest, (args, _)) = call_args(rest)?;
        let src = Source::Call { name, args, span: span(start, &rest) };
        return Ok((rest, TabularExpr { source: src, ops: vec![], span: span(start, &rest) }));
    }
    Ok((rest, TabularExpr { source: Source::Table(name), ops: vec![], span: span(start, &rest) }))
}

pub fn operator<'a>(i: In<'a>) -> PResult<'a, Operator> {
    let t = trivia(i);
    let start = offset(&t);
    let (rest, name) = match operator_word(i) {
        Ok(x) => x,
        Err(_) => return fail(i, "an operator after `|`"),
    };
    let body = |r: PResult<'a, OperatorKind>| -> PResult<'a, Operator> {
        let (rest, kind) = cut(r)?;
        Ok((rest, Operator { kind, span: span(start, &rest) }))
    };
    match name.name.as_str() {
        "where" | "filter" => body(where_op(rest)),
        "project" => body(comma_list(rest, named_expr).map(|(r, columns)| (r, OperatorKind::Project { columns }))),
        "project-away" => {
            body(comma_list(rest, column_pattern).map(|(r, columns)| (r, OperatorKind::ProjectAway { columns })))
        }
        "project-keep" => {
            body(comma_list(rest, column_pattern).map(|(r, columns)| (r, OperatorKind::ProjectKeep { columns })))
        }
        "project-rename" => body(project_rename(rest)),
        "project-reorder" => body(project_reorder(rest)),
        "extend" => body(comma_list(rest, named_expr).map(|(r, columns)| (r, OperatorKind::Extend { columns }))),
        "summarize" => body(summarize(rest)),
        "count" => body(Ok((rest, OperatorKind::Count))),
        "take" | "limit" => body(take(rest)),
        "top" => body(top(rest)),
        "sort" | "order" => body(sort(rest)),
        "distinct" => body(distinct(rest)),
        "union" => body(union_body(rest).map(|(r, (options, tables))| (r, OperatorKind::Union { options, tables }))),
        "join" => body(join(rest)),
        "lookup" => body(lookup(rest)),
        "as" => body(as_op(rest)),
        "getschema" => body(Ok((rest, OperatorKind::GetSchema))),
        "serialize" => body(serialize(rest)),
        "render" => body(render(rest)),
        "mv-expand" => body(crate::syntax::expand::mv_expand(rest)),
        "make-series" => body(crate::syntax::series::make_series(rest)),
        "search" => body(crate::syntax::search::search_op(rest)),
        "top-nested" => body(crate::syntax::composition::top_nested(rest)),
        "sample" => body(expr(rest).map(|(r, count)| (r, OperatorKind::Sample { count }))),
        "sample-distinct" => body(crate::syntax::composition::sample_distinct(rest)),
        "top-hitters" => body(crate::syntax::composition::top_hitters(rest)),
        "evaluate" => body(crate::syntax::composition::evaluate(rest)),
        "invoke" => body(crate::syntax::composition::invoke(rest)),
        "reduce" => body(crate::syntax::composition::reduce(rest)),
        "mv-apply" => body(crate::syntax::expand::mv_apply(rest)),
        "parse" => body(crate::syntax::textparse::parse_op(rest, false)),
        "parse-where" => body(crate::syntax::textparse::parse_op(rest, true)),
        "parse-kv" => body(crate::syntax::textparse::parse_kv(rest)),
        other if UNSUPPORTED_OPERATORS.contains(&other) => {
            let rest = skip_operator_body(rest);
            Ok((rest, Operator { kind: OperatorKind::Unsupported { name: other.to_string() }, span: name.span }))
        }
        other => {
            let mut err = SyntaxError::message(name.span, format!("unknown operator `{other}`"));
            let known: Vec<&str> = OPERATORS.iter().chain(UNSUPPORTED_OPERATORS).copied().collect();
            if let Some(s) = crate::diag::suggest::closest(other, known.iter().copied()) {
                err = err.with_help(format!("did you mean `{s}`?"));
            }
            Err(Err::Failure(err))
        }
    }
}

/// Skips the text of an operator kqlog does not parse, up to the next `|`
/// (or `;`, or closing bracket) outside brackets and strings.
fn skip_operator_body(i: In) -> In {
    let s = *i.fragment();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut it = s.char_indices().peekable();
    while let Some((k, c)) = it.next() {
        if let Some(q) = quote {
            if c == '\\' {
                it.next();
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                if depth == 0 {
                    return i.take_from(k);
                }
                depth -= 1;
            }
            '|' | ';' if depth == 0 => return i.take_from(k),
            _ => {}
        }
    }
    i.take_from(s.len())
}

fn where_op(i: In) -> PResult<OperatorKind> {
    let (i, predicate) = expr(i)?;
    Ok((i, OperatorKind::Where { predicate }))
}

/// A column name in `project-away` and friends, possibly with `*`.
fn column_pattern(i: In) -> PResult<ColumnPattern> {
    let t = trivia(i);
    let start = offset(&t);
    let s = *t.fragment();
    if s.starts_with("['") || s.starts_with("[\"") {
        let (rest, id) = ident(i)?;
        return Ok((rest, ColumnPattern { pattern: id.name, span: id.span }));
    }
    let len = s
        .char_indices()
        .find(|&(_, c)| !(crate::syntax::lex::is_ident_char(c) || c == '*'))
        .map_or(s.len(), |(n, _)| n);
    if len == 0 {
        return expected(i, "a column name");
    }
    let rest = t.take_from(len);
    Ok((rest, ColumnPattern { pattern: s[..len].to_string(), span: Span::new(start, start + len) }))
}

fn project_rename(i: In) -> PResult<OperatorKind> {
    let (i, renames) = comma_list(i, |i| {
        let (i, new) = ident(i)?;
        let (i, _) = cut(symbol(i, "="))?;
        let (i, old) = cut(ident(i))?;
        Ok((i, (new, old)))
    })?;
    Ok((i, OperatorKind::ProjectRename { renames }))
}

fn project_reorder(i: In) -> PResult<OperatorKind> {
    let (i, columns) = comma_list(i, |i| {
        let (i, column) = column_pattern(i)?;
        for o in ["asc", "desc", "granny-asc", "granny-desc"] {
            if at_keyword(&i, o) {
                let (i, _) = keyword(i, o)?;
                return Ok((i, ReorderKey { column, order: Some(o.to_string()) }));
            }
        }
        Ok((i, ReorderKey { column, order: None }))
    })?;
    Ok((i, OperatorKind::ProjectReorder { columns }))
}

fn summarize(i: In) -> PResult<OperatorKind> {
    let (i, hints) = hints(i)?;
    let (i, aggregates) = if at_keyword(&i, "by") { (i, Vec::new()) } else { comma_list(i, named_expr)? };
    if at_keyword(&i, "by") {
        let (i, _) = keyword(i, "by")?;
        let (i, by) = cut(comma_list(i, named_expr))?;
        return Ok((i, OperatorKind::Summarize { hints, aggregates, by }));
    }
    if aggregates.is_empty() {
        return fail(i, "an aggregate or `by`");
    }
    Ok((i, OperatorKind::Summarize { hints, aggregates, by: Vec::new() }))
}

fn take(i: In) -> PResult<OperatorKind> {
    let (i, _) = hints(i)?;
    let (i, count) = expr(i)?;
    Ok((i, OperatorKind::Take { count }))
}

fn sort_keys(i: In) -> PResult<Vec<SortKey>> {
    comma_list(i, |i| {
        let start = offset(&trivia(i));
        let (mut i, e) = expr(i)?;
        let mut order = None;
        if let Ok((r, _)) = keyword(i, "asc") {
            order = Some(SortOrder::Asc);
            i = r;
        } else if let Ok((r, _)) = keyword(i, "desc") {
            order = Some(SortOrder::Desc);
            i = r;
        }
        let mut nulls = None;
        if let Ok((r, _)) = keyword(i, "nulls") {
            let (r, n) = cut(word(r))?;
            nulls = Some(match n.name.as_str() {
                "first" => NullsOrder::First,
                "last" => NullsOrder::Last,
                _ => return Err(Err::Failure(SyntaxError::expected(n.span.start, "`first` or `last`"))),
            });
            i = r;
        }
        Ok((i, SortKey { expr: e, order, nulls, span: span(start, &i) }))
    })
}

fn top(i: In) -> PResult<OperatorKind> {
    let (i, count) = expr(i)?;
    let (i, _) = keyword(i, "by")?;
    let (i, keys) = sort_keys(i)?;
    Ok((i, OperatorKind::Top { count, keys }))
}

fn sort(i: In) -> PResult<OperatorKind> {
    let (i, hints) = hints(i)?;
    let (i, _) = keyword(i, "by")?;
    let (i, keys) = sort_keys(i)?;
    Ok((i, OperatorKind::Sort { hints, keys }))
}

fn distinct(i: In) -> PResult<OperatorKind> {
    let (i, _) = hints(i)?;
    if let Ok((rest, _)) = symbol(i, "*") {
        return Ok((rest, OperatorKind::Distinct { columns: Vec::new() }));
    }
    let (i, columns) = comma_list(i, named_expr)?;
    Ok((i, OperatorKind::Distinct { columns }))
}

/// `kind=…` and `hint.…=…` options before the right side of join/lookup.
fn join_options(mut i: In) -> PResult<(Option<JoinKind>, Vec<Hint>)> {
    let mut kind = None;
    let mut all_hints = Vec::new();
    loop {
        if at_keyword(&i, "kind") {
            let (rest, _) = keyword(i, "kind")?;
            let (rest, _) = symbol(rest, "=")?;
            let (rest, k) = word(rest)?;
            match JoinKind::parse(&k.name) {
                Some(j) => kind = Some(j),
                None => {
                    let kinds = [
                        "innerunique",
                        "inner",
                        "leftouter",
                        "rightouter",
                        "fullouter",
                        "leftanti",
                        "rightanti",
                        "leftsemi",
                        "rightsemi",
                    ];
                    let mut err = SyntaxError::message(k.span, format!("unknown join kind `{}`", k.name));
                    if let Some(s) = crate::diag::suggest::closest(&k.name, kinds.iter().copied()) {
                        err = err.with_help(format!("did you mean `{s}`?"));
                    }
                    return Err(Err::Failure(err));
                }
            }
            i = rest;
        } else if peek_str(&i).starts_with("hint.") {
            let (rest, h) = hints(i)?;
            all_hints.extend(h);
            i = rest;
        } else {
            return Ok((i, (kind, all_hints)));
        }
    }
}

/// The right side of a join: `( … )` or a table name.
fn join_right(i: In) -> PResult<TabularExpr> {
    let t = trivia(i);
    let start = offset(&t);
    if at_symbol(&t, "(") {
        let (rest, open) = symbol(i, "(")?;
        let (rest, inner) = tabular_expr(rest)?;
        let (rest, _) = close_paren(rest, open)?;
        return Ok((rest, inner));
    }
    let (rest, src) = source(i)?;
    Ok((rest, TabularExpr { source: src, ops: vec![], span: span(start, &rest) }))
}

/// `on a, $left.b == $right.c and …`
fn join_keys(i: In) -> PResult<Vec<JoinKey>> {
    let (mut i, first) = join_key(i)?;
    let mut keys = vec![first];
    loop {
        if let Ok((rest, _)) = symbol(i, ",") {
            let (rest, k) = cut(join_key(rest))?;
            keys.push(k);
            i = rest;
        } else if let Ok((rest, _)) = keyword(i, "and") {
            let (rest, k) = cut(join_key(rest))?;
            keys.push(k);
            i = rest;
        } else {
            return Ok((i, keys));
        }
    }
}

fn join_key(i: In) -> PResult<JoinKey> {
    let start = offset(&trivia(i));
    let (rest, e) = expr(i)?;
    let side = |e: &Expr| -> Option<(String, Ident)> {
        if let ExprKind::Member { base, key } = &e.kind
            && let ExprKind::Name(b) = &base.kind
            && (b.name == "$left" || b.name == "$right")
        {
            return Some((b.name.clone(), key.clone()));
        }
        None
    };
    match &e.kind {
        ExprKind::Name(n) => Ok((rest, JoinKey::Same(n.clone()))),
        ExprKind::Binary { op: crate::syntax::ast::BinaryOp::Eq, left, right } => {
            match (side(left.as_ref()), side(right.as_ref())) {
                (Some((l, a)), Some((r, b))) if l != r => {
                    let (left, right) = if l == "$left" { (a, b) } else { (b, a) };
                    Ok((rest, JoinKey::Pair { left, right, span: span(start, &rest) }))
                }
                _ => Err(Err::Failure(
                    SyntaxError::message(e.span, "a join condition compares `$left.column == $right.column`")
                        .with_help("write `on $left.a == $right.b`, or `on a` when both sides name it `a`"),
                )),
            }
        }
        _ => Err(Err::Failure(
            SyntaxError::message(e.span, "expected a column name or `$left.a == $right.b`")
                .with_help("join conditions are equalities of columns"),
        )),
    }
}

fn join(i: In) -> PResult<OperatorKind> {
    let (i, (kind, hints)) = join_options(i)?;
    let (i, right) = join_right(i)?;
    let (i, _) = keyword(i, "on")?;
    let (i, on) = join_keys(i)?;
    Ok((i, OperatorKind::Join { kind, hints, right: Box::new(right), on }))
}

fn lookup(i: In) -> PResult<OperatorKind> {
    let (i, (kind, _)) = join_options(i)?;
    let (i, right) = join_right(i)?;
    let (i, _) = keyword(i, "on")?;
    let (i, on) = join_keys(i)?;
    Ok((i, OperatorKind::Lookup { kind, right: Box::new(right), on }))
}

fn as_op(i: In) -> PResult<OperatorKind> {
    let (i, hints) = hints(i)?;
    let (i, name) = ident(i)?;
    Ok((i, OperatorKind::As { name, hints }))
}

fn serialize(i: In) -> PResult<OperatorKind> {
    let at_end = {
        let s = peek_str(&i);
        s.is_empty() || s.starts_with('|') || s.starts_with(';') || s.starts_with(')')
    };
    if at_end {
        return Ok((i, OperatorKind::Serialize { columns: Vec::new() }));
    }
    let (i, columns) = comma_list(i, named_expr)?;
    Ok((i, OperatorKind::Serialize { columns }))
}

fn render(i: In) -> PResult<OperatorKind> {
    let (i, chart) = word(i)?;
    let mut properties = Vec::new();
    let mut i = i;
    if let Ok((rest, _)) = keyword(i, "with") {
        let (rest, open) = cut(symbol(rest, "("))?;
        let (rest, props) = cut(comma_list(rest, |i| {
            let (i, name) = word(i)?;
            let (i, _) = cut(symbol(i, "="))?;
            let (i, value) = cut(render_value(i))?;
            Ok((i, (name, value)))
        }))?;
        let (rest, _) = close_paren(rest, open)?;
        properties = props;
        i = rest;
    }
    Ok((i, OperatorKind::Render { chart, properties }))
}

/// A render property value: an expression, or a bare word such as `stacked`
/// or a parenthesised column list `(a, b)`.
fn render_value(i: In) -> PResult<Expr> {
    if at_symbol(&i, "(") {
        let (rest, open) = symbol(i, "(")?;
        let (rest, names) = comma_list(rest, ident)?;
        let (rest, close) = close_paren(rest, open)?;
        let text = names.iter().map(|n| n.name.clone()).collect::<Vec<_>>().join(",");
        return Ok((rest, Expr::new(ExprKind::Literal(crate::syntax::ast::Literal::String(text)), open.to(close))));
    }
    expr(i)
}

/// Used by the statement parser: parses `name` then `:` `type`.
pub fn named_type(i: In) -> PResult<(Ident, TypeName)> {
    let (i, name) = ident(i)?;
    let (i, _) = symbol(i, ":")?;
    let (i, ty) = cut(type_name(i))?;
    Ok((i, (name, ty)))
}

pub fn named_exprs(i: In) -> PResult<Vec<NamedExpr>> {
    comma_list(i, named_expr)
}
