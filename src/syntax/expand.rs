//! `mv-expand` and `mv-apply`: the operators that turn the elements of a
//! dynamic array or bag into rows.

use nom::Err;

use crate::syntax::ast::{BagExpansion, MvExpand, MvItem, Operator, OperatorKind};
use crate::syntax::error::SyntaxError;
use crate::syntax::expr::{close_paren, expr, named_expr};
use crate::syntax::lex::{
    In, PResult, at_keyword, comma_list, cut, ident, keyword, offset, span, symbol, trivia, word,
};
use crate::syntax::tabular::{operator, type_name};

/// `mv-expand [kind=bag|array] [with_itemindex=I] item, … [limit N]`
pub fn mv_expand(i: In) -> PResult<OperatorKind> {
    let (i, expand) = expansion(i)?;
    Ok((i, OperatorKind::MvExpand(expand)))
}

/// `mv-apply [with_itemindex=I] item, … [limit N] on (operators)`
pub fn mv_apply(i: In) -> PResult<OperatorKind> {
    let (i, expand) = expansion(i)?;
    let (i, _) = keyword(i, "on")?;
    let (i, open) = symbol(i, "(")?;
    let (mut i, first) = operator(i)?;
    let mut body: Vec<Operator> = vec![first];
    while let Ok((rest, _)) = symbol(i, "|") {
        let (rest, op) = operator(rest)?;
        body.push(op);
        i = rest;
    }
    let (i, _) = close_paren(i, open)?;
    Ok((i, OperatorKind::MvApply { expand, body }))
}

fn expansion(mut i: In) -> PResult<MvExpand> {
    let mut bag_expansion = None;
    let mut item_index = None;
    loop {
        if at_keyword(&i, "kind") || at_keyword(&i, "bagexpansion") {
            let (rest, _) = word(i)?;
            let (rest, _) = symbol(rest, "=")?;
            let (rest, k) = word(rest)?;
            bag_expansion =
                Some(match k.name.as_str() {
                    "bag" => BagExpansion::Bag,
                    "array" => BagExpansion::Array,
                    _ => {
                        return Err(Err::Failure(SyntaxError::expected(k.span.start, "`bag` or `array`").with_help(
                            "`kind=bag` expands a bag to {key: value} entries, `kind=array` to [key, value]",
                        )));
                    }
                });
            i = rest;
        } else if at_keyword(&i, "with_itemindex") {
            let (rest, _) = keyword(i, "with_itemindex")?;
            let (rest, _) = symbol(rest, "=")?;
            let (rest, name) = ident(rest)?;
            item_index = Some(name);
            i = rest;
        } else {
            break;
        }
    }
    let (mut i, items) = comma_list(i, mv_item)?;
    let mut limit = None;
    if let Ok((rest, _)) = keyword(i, "limit") {
        let (rest, n) = cut(expr(rest))?;
        limit = Some(n);
        i = rest;
    }
    Ok((i, MvExpand { bag_expansion, item_index, items, limit }))
}

fn mv_item(i: In) -> PResult<MvItem> {
    let start = offset(&trivia(i));
    let (mut i, named) = named_expr(i)?;
    let mut to = None;
    if let Ok((rest, _)) = keyword(i, "to") {
        let (rest, _) = cut(keyword(rest, "typeof"))?;
        let (rest, open) = cut(symbol(rest, "("))?;
        let (rest, ty) = cut(type_name(rest))?;
        let (rest, _) = close_paren(rest, open)?;
        to = Some(ty);
        i = rest;
    }
    Ok((i, MvItem { name: named.name, expr: named.expr, to, span: span(start, &i) }))
}
