//! Scalar expressions, by precedence from loosest to tightest:
//!
//! | level | operators |
//! |---|---|
//! | `or_expr` | `or` |
//! | `and_expr` | `and` |
//! | `comparison` | `==` `!=` `<` `<=` `>` `>=` `=~` `!~`, string predicates (`has`, `!contains_cs`, …), `in`/`!in`/`in~`/`!in~`/`has_any`/`has_all` lists, `between`, `matches regex` |
//! | `additive` | `+` `-` |
//! | `multiplicative` | `*` `/` `%` |
//! | `unary` | prefix `-` `+` |
//! | `postfix` | `.member`, `[index]` |
//! | `primary` | literals, names, calls, `( expr )` |
//!
//! All binary levels are left-associative. `not` is a function (`not(x)`).

use std::cell::Cell;

use nom::Err;

use crate::syntax::ast::{BinaryOp, Expr, ExprKind, ListOp, Literal, StrOp, StrOpKind, TypeName, UnaryOp};
use crate::syntax::error::SyntaxError;
use crate::syntax::lex::{
    In, PResult, at_symbol, cut, expected, ident, is_ident_char, keyword, offset, peek_str, span, symbol, trivia, word,
};
use crate::syntax::literal::{at_string, number, string_literal, typed_literal};
use crate::syntax::span::Span;
use crate::syntax::tabular::{at_tabular_keyword, tabular_expr};

/// Deepest nesting of parentheses, calls and sub-queries the parser accepts.
pub const MAX_DEPTH: usize = 256;

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

pub fn reset_depth() {
    DEPTH.with(|d| d.set(0));
}

/// Runs a recursive parser one nesting level deeper, refusing input nested
/// beyond [`MAX_DEPTH`] instead of overflowing the stack.
pub fn with_depth<'a, T>(i: In<'a>, f: impl FnOnce(In<'a>) -> PResult<'a, T>) -> PResult<'a, T> {
    let depth = DEPTH.with(|d| d.get()) + 1;
    if depth > MAX_DEPTH {
        let at = offset(&trivia(i));
        return Err(Err::Failure(SyntaxError::message(
            Span::new(at, at + 1),
            format!("the query is nested more than {MAX_DEPTH} levels deep"),
        )));
    }
    DEPTH.with(|d| d.set(depth));
    let result = stacker::maybe_grow(128 * 1024, 4 * 1024 * 1024, || f(i));
    DEPTH.with(|d| d.set(depth - 1));
    result
}

pub fn expr(i: In) -> PResult<Expr> {
    with_depth(i, or_expr)
}

fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    let sp = left.span.to(right.span);
    Expr::new(ExprKind::Binary { op, left: Box::new(left), right: Box::new(right) }, sp)
}

/// Longest chain of one binary operator (`a + b + …`) the parser accepts:
/// deeper expression trees overflow DataFusion's recursive passes.
pub const MAX_CHAIN: usize = 256;

fn chain_too_long<T>(at: &In) -> PResult<'static, T> {
    let o = offset(&trivia(*at));
    Err(Err::Failure(
        SyntaxError::message(
            Span::new(o, o + 1),
            format!("the query is nested more than {MAX_CHAIN} levels deep (an operator chain is too long)"),
        )
        .with_help("use `in (…)` or `has_any (…)` instead of long `or` chains"),
    ))
}

/// Joins `and`/`or` operands into a balanced tree: logically the same as
/// the left-deep one, and shallow however many operands there are.
fn balanced(op: BinaryOp, mut items: Vec<Expr>) -> Expr {
    while items.len() > 1 {
        let mut next = Vec::with_capacity(items.len().div_ceil(2));
        let mut it = items.into_iter();
        while let Some(a) = it.next() {
            match it.next() {
                Some(b) => next.push(binary(op, a, b)),
                None => next.push(a),
            }
        }
        items = next;
    }
    items.pop().unwrap_or_else(|| Expr::new(ExprKind::Literal(Literal::Bool(true)), Span::default()))
}

fn or_expr(i: In) -> PResult<Expr> {
    let (mut i, first) = and_expr(i)?;
    let mut items = vec![first];
    while let Ok((rest, _)) = keyword(i, "or") {
        let (rest, right) = cut(and_expr(rest))?;
        items.push(right);
        i = rest;
    }
    Ok((i, balanced(BinaryOp::Or, items)))
}

fn and_expr(i: In) -> PResult<Expr> {
    let (mut i, first) = comparison(i)?;
    let mut items = vec![first];
    while let Ok((rest, _)) = keyword(i, "and") {
        let (rest, right) = cut(comparison(rest))?;
        items.push(right);
        i = rest;
    }
    Ok((i, balanced(BinaryOp::And, items)))
}

pub(crate) enum CmpTok {
    Bin(BinaryOp),
    List(ListOp),
    Between { negated: bool },
}

/// Recognises a comparison-level operator at `i`.
pub(crate) fn comparison_op(i: In) -> Option<(In, CmpTok)> {
    let t = trivia(i);
    let s = *t.fragment();
    for (sym, op) in [
        ("==", BinaryOp::Eq),
        ("!=", BinaryOp::NotEq),
        ("<>", BinaryOp::NotEq),
        ("=~", BinaryOp::EqCi),
        ("!~", BinaryOp::NotEqCi),
        ("<=", BinaryOp::LtEq),
        (">=", BinaryOp::GtEq),
        ("<", BinaryOp::Lt),
        (">", BinaryOp::Gt),
    ] {
        if s.starts_with(sym) {
            return Some((symbol(i, sym).ok()?.0, CmpTok::Bin(op)));
        }
    }
    let negated = s.starts_with('!');
    let body = if negated { &s[1..] } else { s };
    let len = body.find(|c: char| !is_ident_char(c)).unwrap_or(body.len());
    let w = &body[..len];
    let tilde = body[len..].starts_with('~');
    let consumed = usize::from(negated) + len + usize::from(tilde);
    let rest = nom::Input::take_from(&t, consumed);
    let tok = match (w, negated, tilde) {
        ("in", false, false) => CmpTok::List(ListOp::In),
        ("in", true, false) => CmpTok::List(ListOp::NotIn),
        ("in", false, true) => CmpTok::List(ListOp::InCi),
        ("in", true, true) => CmpTok::List(ListOp::NotInCi),
        ("has_any", false, false) => CmpTok::List(ListOp::HasAny),
        ("has_all", false, false) => CmpTok::List(ListOp::HasAll),
        ("between", n, false) => CmpTok::Between { negated: n },
        ("matches", false, false) => {
            let (rest, _) = keyword(rest, "regex").ok()?;
            return Some((rest, CmpTok::Bin(BinaryOp::MatchesRegex)));
        }
        (w, n, false) => {
            let (base, cs) = match w.strip_suffix("_cs") {
                Some(b) => (b, true),
                None => (w, false),
            };
            let kind = match base {
                "has" => StrOpKind::Has,
                "hasprefix" => StrOpKind::HasPrefix,
                "hassuffix" => StrOpKind::HasSuffix,
                "contains" => StrOpKind::Contains,
                "startswith" => StrOpKind::StartsWith,
                "endswith" => StrOpKind::EndsWith,
                _ => return None,
            };
            CmpTok::Bin(BinaryOp::Str(StrOp { kind, case_sensitive: cs, negated: n }))
        }
        _ => return None,
    };
    Some((rest, tok))
}

pub fn comparison(i: In) -> PResult<Expr> {
    let (mut i, mut left) = additive(i)?;
    let mut n = 0;
    while let Some((rest, tok)) = comparison_op(i) {
        n += 1;
        if n > MAX_CHAIN {
            return chain_too_long(&i);
        }
        match tok {
            CmpTok::Bin(op) => {
                let (rest, right) = cut(additive(rest))?;
                left = binary(op, left, right);
                i = rest;
            }
            CmpTok::List(op) => {
                let (rest, (list, table, close)) = cut(in_list(rest))?;
                let sp = left.span.to(close);
                left = match table {
                    Some(t) => Expr::new(ExprKind::InTable { expr: Box::new(left), op, table: Box::new(t) }, sp),
                    None => Expr::new(ExprKind::InList { expr: Box::new(left), op, list }, sp),
                };
                i = rest;
            }
            CmpTok::Between { negated } => {
                let (rest, open) = cut(symbol(rest, "("))?;
                let (rest, low) = cut(additive(rest))?;
                let (rest, _) = cut(symbol(rest, ".."))?;
                let (rest, high) = cut(additive(rest))?;
                let (rest, close) = close_paren(rest, open)?;
                let sp = left.span.to(close);
                left = Expr::new(
                    ExprKind::Between { expr: Box::new(left), low: Box::new(low), high: Box::new(high), negated },
                    sp,
                );
                i = rest;
            }
        }
    }
    Ok((i, left))
}

/// `)` closing the `(` at `open`, or a failure that points at both.
pub fn close_paren(i: In, open: Span) -> PResult<Span> {
    match symbol(i, ")") {
        Ok(r) => Ok(r),
        Err(_) => {
            Err(Err::Failure(SyntaxError::expected(offset(&trivia(i)), "`)`").with_note(open, "`(` opened here")))
        }
    }
}

/// `( e, … )` or `( tabular )` after `in`, `has_any` and friends.
#[allow(clippy::type_complexity)]
fn in_list(i: In) -> PResult<(Vec<Expr>, Option<crate::syntax::ast::TabularExpr>, Span)> {
    let (rest, open) = symbol(i, "(")?;
    if at_tabular_keyword(&rest) {
        let (rest, t) = tabular_expr(rest)?;
        let (rest, close) = close_paren(rest, open)?;
        return Ok((rest, (Vec::new(), Some(t), close)));
    }
    if at_symbol(&rest, ")") {
        let (rest, close) = symbol(rest, ")")?;
        return Ok((rest, (Vec::new(), None, close)));
    }
    let (after_first, first) = call_arg(rest)?;
    if let ExprKind::Tabular(t) = first.kind {
        let (rest, close) = close_paren(after_first, open)?;
        return Ok((rest, (Vec::new(), Some(*t), close)));
    }
    let mut items = vec![first];
    let mut i = after_first;
    while let Ok((rest, _)) = symbol(i, ",") {
        let (rest, e) = cut(expr(rest))?;
        items.push(e);
        i = rest;
    }
    let (rest, close) = close_paren(i, open)?;
    Ok((rest, (items, None, close)))
}

fn additive(i: In) -> PResult<Expr> {
    let (mut i, mut left) = multiplicative(i)?;
    let mut n = 0;
    loop {
        n += 1;
        if n > MAX_CHAIN {
            return chain_too_long(&i);
        }
        let s = peek_str(&i);
        let op = if s.starts_with('+') {
            BinaryOp::Add
        } else if s.starts_with('-') {
            BinaryOp::Sub
        } else {
            break;
        };
        let (rest, _) = symbol(i, &s[..1])?;
        let (rest, right) = cut(multiplicative(rest))?;
        left = binary(op, left, right);
        i = rest;
    }
    Ok((i, left))
}

fn multiplicative(i: In) -> PResult<Expr> {
    let (mut i, mut left) = unary(i)?;
    let mut n = 0;
    loop {
        n += 1;
        if n > MAX_CHAIN {
            return chain_too_long(&i);
        }
        let s = peek_str(&i);
        let op = if s.starts_with('*') {
            BinaryOp::Mul
        } else if s.starts_with('/') && !s.starts_with("//") {
            BinaryOp::Div
        } else if s.starts_with('%') {
            BinaryOp::Mod
        } else {
            break;
        };
        let (rest, _) = symbol(i, &s[..1])?;
        let (rest, right) = cut(unary(rest))?;
        left = binary(op, left, right);
        i = rest;
    }
    Ok((i, left))
}

fn unary(i: In) -> PResult<Expr> {
    let s = peek_str(&i);
    let op = if s.starts_with('-') {
        UnaryOp::Neg
    } else if s.starts_with('+') {
        UnaryOp::Plus
    } else {
        return postfix(i);
    };
    let (rest, sign) = symbol(i, &s[..1])?;
    let (rest, operand) = with_depth(rest, unary)?;
    // Fold a sign into a numeric literal, so `-1` is one literal as in Kusto.
    if op == UnaryOp::Neg
        && let ExprKind::Literal(lit) = &operand.kind
    {
        let folded = match lit {
            Literal::Long(v) => v.checked_neg().map(Literal::Long),
            Literal::Int(v) => v.checked_neg().map(Literal::Int),
            Literal::Real(v) => Some(Literal::Real(-v)),
            Literal::TimeSpan(v) => v.checked_neg().map(Literal::TimeSpan),
            _ => None,
        };
        if let Some(l) = folded {
            return Ok((rest, Expr::new(ExprKind::Literal(l), sign.to(operand.span))));
        }
    }
    let sp = sign.to(operand.span);
    Ok((rest, Expr::new(ExprKind::Unary { op, operand: Box::new(operand) }, sp)))
}

fn postfix(i: In) -> PResult<Expr> {
    let (mut i, mut e) = primary(i)?;
    loop {
        let s = peek_str(&i);
        if s.starts_with('.') && !s.starts_with("..") {
            let (rest, _) = symbol(i, ".")?;
            // Member names may be any word, reserved or not (`d.by`), or `['x']`.
            let (rest, key) = cut(match word(rest) {
                Ok(x) => Ok(x),
                Err(_) => ident(rest),
            })?;
            let sp = e.span.to(key.span);
            e = Expr::new(ExprKind::Member { base: Box::new(e), key }, sp);
            i = rest;
        } else if s.starts_with('[') && !s.starts_with("['") && !s.starts_with("[\"") {
            let (rest, open) = symbol(i, "[")?;
            let (rest, index) = cut(expr(rest))?;
            let (rest, close) = match symbol(rest, "]") {
                Ok(x) => x,
                Err(_) => {
                    return Err(Err::Failure(
                        SyntaxError::expected(offset(&trivia(rest)), "`]`").with_note(open, "`[` opened here"),
                    ));
                }
            };
            let sp = e.span.to(close);
            e = Expr::new(ExprKind::Index { base: Box::new(e), index: Box::new(index) }, sp);
            i = rest;
        } else if s.starts_with("['") || s.starts_with("[\"") {
            // `d['key']` reads like a bracketed name; here it indexes.
            let (rest, key) = ident(i)?;
            let index = Expr::new(ExprKind::Literal(Literal::String(key.name)), key.span);
            let sp = e.span.to(key.span);
            e = Expr::new(ExprKind::Index { base: Box::new(e), index: Box::new(index) }, sp);
            i = rest;
        } else {
            break;
        }
    }
    Ok((i, e))
}

fn primary(i: In) -> PResult<Expr> {
    let t = trivia(i);
    let s = *t.fragment();
    let start = offset(&t);
    let Some(c) = s.chars().next() else {
        return expected(i, "an expression");
    };
    if c == '(' {
        let (rest, open) = symbol(i, "(")?;
        if at_tabular_keyword(&rest) {
            let (rest, tab) = tabular_expr(rest)?;
            let (rest, close) = close_paren(rest, open)?;
            return Ok((rest, Expr::new(ExprKind::Tabular(Box::new(tab)), open.to(close))));
        }
        let (rest, inner) = cut(expr(rest))?;
        if at_symbol(&rest, "|") {
            // `( T | … )` used as a value: re-read as a tabular expression.
            let (rest, tab) = tabular_expr(nom::Input::take_from(&t, 1))?;
            let (rest, close) = close_paren(rest, open)?;
            return Ok((rest, Expr::new(ExprKind::Tabular(Box::new(tab)), open.to(close))));
        }
        let (rest, _) = close_paren(rest, open)?;
        return Ok((rest, inner));
    }
    if c.is_ascii_digit() || (c == '.' && s[1..].starts_with(|d: char| d.is_ascii_digit())) {
        let (rest, (lit, sp)) = number(i)?;
        return Ok((rest, Expr::new(ExprKind::Literal(lit), sp)));
    }
    if at_string(&t) {
        let (rest, text) = string_literal(i)?;
        return Ok((rest, Expr::new(ExprKind::Literal(Literal::String(text)), span(start, &rest))));
    }
    if s.starts_with("['") || s.starts_with("[\"") {
        let (rest, name) = ident(i)?;
        let sp = name.span;
        return Ok((rest, Expr::new(ExprKind::Name(name), sp)));
    }
    if c == '*' {
        let (rest, sp) = symbol(i, "*")?;
        return Ok((rest, Expr::new(ExprKind::Star, sp)));
    }
    if !crate::syntax::lex::is_ident_start(c) {
        return expected(i, "an expression");
    }
    let (rest, w) = word(i)?;
    match w.name.as_str() {
        "true" | "True" | "TRUE" => return Ok((rest, Expr::new(ExprKind::Literal(Literal::Bool(true)), w.span))),
        "false" | "False" | "FALSE" => {
            return Ok((rest, Expr::new(ExprKind::Literal(Literal::Bool(false)), w.span)));
        }
        _ => {}
    }
    if at_symbol(&rest, "(") {
        if let Some(ty) = TypeName::parse(&w.name) {
            let (rest, (lit, sp)) = typed_literal(rest, ty, w.span)?;
            return Ok((rest, Expr::new(ExprKind::Literal(lit), sp)));
        }
        let (rest, (args, close)) = call_args(rest)?;
        let sp = w.span.to(close);
        return Ok((rest, Expr::new(ExprKind::Call { name: w, args }, sp)));
    }
    // Reserved words can't start an operand.
    if ident(i).is_err() {
        return expected(i, "an expression");
    }
    let sp = w.span;
    Ok((rest, Expr::new(ExprKind::Name(w), sp)))
}

/// `( arg, … )` of a function call.
pub fn call_args(i: In) -> PResult<(Vec<Expr>, Span)> {
    let (rest, open) = symbol(i, "(")?;
    if let Ok((rest, close)) = symbol(rest, ")") {
        return Ok((rest, (Vec::new(), open.to(close))));
    }
    let (mut i, first) = cut(call_arg(rest))?;
    let mut args = vec![first];
    while let Ok((rest, _)) = symbol(i, ",") {
        let (rest, a) = cut(call_arg(rest))?;
        args.push(a);
        i = rest;
    }
    let (rest, close) = close_paren(i, open)?;
    Ok((rest, (args, open.to(close))))
}

/// A call argument: `*`, a scalar expression, or a tabular expression
/// (`toscalar(T | count)`, `f(T)` for a tabular parameter).
pub fn call_arg(i: In) -> PResult<Expr> {
    let s = peek_str(&i);
    if let Some(after) = s.strip_prefix('*') {
        let after = after.trim_start();
        if after.starts_with(',') || after.starts_with(')') {
            let (rest, sp) = symbol(i, "*")?;
            return Ok((rest, Expr::new(ExprKind::Star, sp)));
        }
    }
    if let Ok((rest, name)) = ident(i)
        && at_symbol(&rest, "=")
        && !at_symbol(&rest, "==")
        && !at_symbol(&rest, "=~")
    {
        let (rest, _) = symbol(rest, "=")?;
        let (rest, value) = cut(expr(rest))?;
        let sp = name.span.to(value.span);
        return Ok((rest, Expr::new(ExprKind::NamedArg { name, value: Box::new(value) }, sp)));
    }
    if at_tabular_keyword(&i) {
        let (rest, t) = tabular_expr(i)?;
        let sp = t.span;
        return Ok((rest, Expr::new(ExprKind::Tabular(Box::new(t)), sp)));
    }
    let (rest, e) = expr(i)?;
    if at_symbol(&rest, "|") {
        let (rest, t) = tabular_expr(i)?;
        let sp = t.span;
        return Ok((rest, Expr::new(ExprKind::Tabular(Box::new(t)), sp)));
    }
    Ok((rest, e))
}

/// `[name =] expr`
pub fn named_expr(i: In) -> PResult<crate::syntax::ast::NamedExpr> {
    let start = offset(&trivia(i));
    if let Ok((rest, name)) = ident(i)
        && at_symbol(&rest, "=")
        && !at_symbol(&rest, "==")
        && !at_symbol(&rest, "=~")
    {
        let (rest, _) = symbol(rest, "=")?;
        let (rest, e) = cut(expr(rest))?;
        return Ok((rest, crate::syntax::ast::NamedExpr { name: Some(name), expr: e, span: span(start, &rest) }));
    }
    let (rest, e) = expr(i)?;
    Ok((rest, crate::syntax::ast::NamedExpr { name: None, expr: e, span: span(start, &rest) }))
}
