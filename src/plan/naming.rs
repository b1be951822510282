//! Kusto's output column names for unnamed expressions (`count_`,
//! `sum_Bytes`, `Properties_level`, `Column1`, `print_0`) and for name clashes
//! (`Key1`).

use std::collections::HashSet;

use crate::syntax::ast::{Expr, ExprKind, Literal};

/// How a function's call names its result column when unnamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultName {
    /// No name of its own: the column gets a generated name (`Column1`).
    None,
    /// The first argument's name: `bin(Timestamp, 1h)` → `Timestamp`.
    FirstArgument,
    /// `prefix_` + the first argument's name: `sum(Bytes)` → `sum_Bytes`.
    PrefixAndFirstArgument(&'static str),
    /// Just the prefix.
    PrefixOnly(&'static str),
}

/// The naming rule of a function, by name (after Kusto.Language's
/// `ResultNameKind` of each function).
pub fn result_name_kind(function: &str) -> ResultName {
    use ResultName::*;
    match function {
        "bin"
        | "floor"
        | "bin_at"
        | "bin_auto"
        | "split"
        | "tostring"
        | "tohex"
        | "toint"
        | "tolong"
        | "todouble"
        | "toreal"
        | "tobool"
        | "toboolean"
        | "todatetime"
        | "totimespan"
        | "totime"
        | "todecimal"
        | "toguid"
        | "todynamic"
        | "toobject"
        | "parse_json"
        | "parsejson"
        | "parse_csv"
        | "parse_xml"
        | "format_datetime"
        | "format_timespan"
        | "format_bytes"
        | "startofday"
        | "round"
        | "ceiling"
        | "pow"
        | "sqrt"
        | "log"
        | "log2"
        | "log10"
        | "exp"
        | "exp2"
        | "exp10"
        | "abs"
        | "cos"
        | "sin"
        | "tan"
        | "acos"
        | "asin"
        | "atan"
        | "atan2"
        | "gamma"
        | "loggamma"
        | "binary_and"
        | "binary_or"
        | "binary_xor"
        | "binary_not"
        | "binary_shift_left"
        | "binary_shift_right"
        | "series_fill_forward"
        | "series_fill_backward"
        | "series_fill_const"
        | "series_fill_linear"
        | "take_any"
        | "take_anyif" => FirstArgument,
        "strlen" => PrefixAndFirstArgument("strlen"),
        "string_size" => PrefixAndFirstArgument("string_size"),
        "percentile_tdigest" => PrefixAndFirstArgument("percentile_tdigest"),
        "dcount_hll" => PrefixAndFirstArgument("dcount_hll"),
        "gettype" => PrefixAndFirstArgument("type"),
        "count" => PrefixAndFirstArgument("count"),
        "countif" => PrefixAndFirstArgument("countif"),
        "sum" => PrefixAndFirstArgument("sum"),
        "sumif" => PrefixAndFirstArgument("sumif"),
        "avg" => PrefixAndFirstArgument("avg"),
        "avgif" => PrefixAndFirstArgument("avgif"),
        "min" => PrefixAndFirstArgument("min"),
        "max" => PrefixAndFirstArgument("max"),
        "minif" => PrefixAndFirstArgument("minif"),
        "maxif" => PrefixAndFirstArgument("maxif"),
        "dcount" => PrefixAndFirstArgument("dcount"),
        "dcountif" => PrefixAndFirstArgument("dcountif"),
        "count_distinct" => PrefixAndFirstArgument("count_distinct"),
        "count_distinctif" => PrefixAndFirstArgument("count_distinctif"),
        "make_list" | "make_list_if" | "make_list_with_nulls" | "makelist" => PrefixAndFirstArgument("list"),
        "make_set" | "make_set_if" | "makeset" => PrefixAndFirstArgument("set"),
        "make_bag" | "make_bag_if" => PrefixAndFirstArgument("bag"),
        "stdev" => PrefixAndFirstArgument("stdev"),
        "stdevif" => PrefixAndFirstArgument("stdevif"),
        "stdevp" => PrefixAndFirstArgument("stdevp"),
        "variance" => PrefixAndFirstArgument("variance"),
        "varianceif" => PrefixAndFirstArgument("varianceif"),
        "variancep" => PrefixAndFirstArgument("variancep"),
        "hll" => PrefixAndFirstArgument("hll"),
        "hll_merge" => PrefixAndFirstArgument("hll_merge"),
        "tdigest" => PrefixAndFirstArgument("tdigest"),
        "buildschema" => PrefixAndFirstArgument("schema"),
        "any" => PrefixAndFirstArgument("any"),
        "anyif" => PrefixAndFirstArgument("anyif"),
        _ => None,
    }
}

/// Kusto's name for an unnamed expression, or `None` when it has none and
/// a generated name (`Column1`) is due. An empty string never comes back.
pub fn inferred_name(e: &Expr) -> Option<String> {
    let n = expression_name(e);
    if n.is_empty() { None } else { Some(n) }
}

fn expression_name(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Name(n) => n.name.clone(),
        ExprKind::Member { base, key } => join_path(&expression_name(base), &key.name),
        ExprKind::Index { base, index } => {
            let sel = match &index.kind {
                ExprKind::Literal(Literal::String(s)) => s.clone(),
                ExprKind::Literal(Literal::Long(v)) => v.to_string(),
                ExprKind::Literal(Literal::Int(v)) => v.to_string(),
                _ => return String::new(),
            };
            join_path(&expression_name(base), &sel)
        }
        ExprKind::Call { name, args } => match result_name_kind(&name.name) {
            ResultName::None => String::new(),
            ResultName::FirstArgument => args.first().map(expression_name).unwrap_or_default(),
            ResultName::PrefixOnly(p) => p.to_string(),
            ResultName::PrefixAndFirstArgument(p) => {
                format!("{p}_{}", args.first().map(expression_name).unwrap_or_default())
            }
        },
        _ => String::new(),
    }
}

fn join_path(left: &str, right: &str) -> String {
    if left.is_empty() { right.to_string() } else { format!("{left}_{right}") }
}

/// `name`, or `name1`, `name2`, … — the first not in `taken`.
pub fn unique(name: &str, taken: &HashSet<String>) -> String {
    if !taken.contains(name) {
        return name.to_string();
    }
    (1..).map(|k| format!("{name}{k}")).find(|n| !taken.contains(n)).unwrap_or_else(|| name.to_string())
}

/// The first `ColumnN` (N from 1) not in `taken`.
pub fn generated(taken: &HashSet<String>) -> String {
    (1..).map(|k| format!("Column{k}")).find(|n| !taken.contains(n)).unwrap_or_default()
}

/// `*` matches any run of characters; the match is case-sensitive, as
/// Kusto's column and table names are.
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ni < n.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == n[ni] {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("Container*", "ContainerLog"));
        assert!(wildcard_match("*Log", "ContainerLog"));
        assert!(wildcard_match("K*Inv*", "KubePodInventory"));
        assert!(!wildcard_match("Container*", "KubeEvents"));
        assert!(wildcard_match("*", "x"));
    }

    #[test]
    fn unique_names() {
        let taken: HashSet<String> = ["Key".to_string(), "Key1".to_string()].into();
        assert_eq!(unique("Key", &taken), "Key2");
        assert_eq!(unique("Value", &taken), "Value");
    }
}
