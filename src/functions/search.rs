//! Log-search kernels: `has`, `hasprefix`, `hassuffix`, `contains`,
//! `startswith`, `endswith` (each with `_cs` and `!` forms), `=~`, `in~`,
//! `has_any`, `has_all`. They scan string arrays directly with `memchr`'s
//! substring search; no regex is built.
//!
//! Kusto's rules: a *term* is a maximal run of letters and digits (`_`,
//! `-`, `.`, spaces and other punctuation separate terms). `has x` is true
//! when `x` occurs with a term boundary on each side where `x` itself
//! starts/ends with a letter or digit, so `has "GET /api"` works; a needle
//! with no letters or digits is a plain substring test, and `has ""` is
//! always true. Matching is case-insensitive unless `_cs`; case folding is
//! per character (`ß` does not match `SS`). Null strings count as `""`.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, BooleanArray, BooleanBufferBuilder};
use arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use memchr::memmem;

use crate::functions::udf::{self, Args, Returns};
use crate::syntax::ast::StrOpKind;

#[inline]
fn is_term_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Lowercases per character, keeping one character for one (so `İ`, whose
/// full lowercase is two characters, folds to `i`).
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars().map(fold_char).collect()
}

#[inline]
fn fold_char(c: char) -> char {
    let mut l = c.to_lowercase();
    match (l.next(), l.next()) {
        (Some(x), None) => x,
        _ => c,
    }
}

/// A compiled search for one needle.
pub struct Needle {
    kind: StrOpKind,
    case_sensitive: bool,
    /// The needle, folded when matching ignores case.
    text: String,
    finder: memmem::Finder<'static>,
    left_boundary: bool,
    right_boundary: bool,
    ascii: bool,
}

impl Needle {
    pub fn new(kind: StrOpKind, case_sensitive: bool, needle: &str) -> Needle {
        let text = if case_sensitive { needle.to_string() } else { fold(needle) };
        let starts_term = text.chars().next().is_some_and(is_term_char);
        let ends_term = text.chars().next_back().is_some_and(is_term_char);
        let (left, right) = match kind {
            StrOpKind::Has => (starts_term, ends_term),
            StrOpKind::HasPrefix => (starts_term, false),
            StrOpKind::HasSuffix => (false, ends_term),
            _ => (false, false),
        };
        let finder = memmem::Finder::new(text.as_bytes()).into_owned();
        Needle {
            kind,
            case_sensitive,
            ascii: text.is_ascii(),
            text,
            finder,
            left_boundary: left,
            right_boundary: right,
        }
    }

    /// Tests one value; `scratch` is reused between calls to hold the folded text.
    #[inline]
    pub fn matches(&self, hay: &str, scratch: &mut String) -> bool {
        let n = self.text.len();
        match self.kind {
            StrOpKind::StartsWith => return self.eq_prefix(hay, scratch),
            StrOpKind::EndsWith => return self.eq_suffix(hay, scratch),
            _ => {}
        }
        if n == 0 {
            return true;
        }
        let hay = self.prepare(hay, scratch);
        if self.kind == StrOpKind::Contains || (!self.left_boundary && !self.right_boundary) {
            return self.finder.find(hay.as_bytes()).is_some();
        }
        let bytes = hay.as_bytes();
        let mut from = 0;
        while let Some(p) = self.finder.find(&bytes[from..]) {
            let at = from + p;
            let left_ok = !self.left_boundary || !hay[..at].chars().next_back().is_some_and(is_term_char);
            let right_ok = !self.right_boundary || !hay[at + n..].chars().next().is_some_and(is_term_char);
            if left_ok && right_ok {
                return true;
            }
            // Continue after the first character of this occurrence.
            from = at + hay[at..].chars().next().map_or(1, char::len_utf8);
            if from >= bytes.len() {
                break;
            }
        }
        false
    }

    /// The haystack in the needle's case: as is for `_cs`, else folded.
    #[inline]
    fn prepare<'h>(&self, hay: &'h str, scratch: &'h mut String) -> &'h str {
        if self.case_sensitive {
            return hay;
        }
        scratch.clear();
        if hay.is_ascii() || self.ascii && !hay.chars().any(|c| !c.is_ascii() && fold_char(c).is_ascii()) {
            // ASCII folding leaves multi-byte characters alone, which is
            // exact when no non-ASCII character folds to ASCII (`K` Kelvin sign).
            scratch.push_str(hay);
            scratch.make_ascii_lowercase();
        } else {
            scratch.extend(hay.chars().map(fold_char));
        }
        scratch
    }

    fn eq_prefix(&self, hay: &str, scratch: &mut String) -> bool {
        let n = self.text.len();
        if self.case_sensitive {
            return hay.as_bytes().starts_with(self.text.as_bytes());
        }
        if self.ascii && hay.is_ascii() {
            return hay.len() >= n && hay.as_bytes()[..n].eq_ignore_ascii_case(self.text.as_bytes());
        }
        self.prepare(hay, scratch).starts_with(self.text.as_str())
    }

    fn eq_suffix(&self, hay: &str, scratch: &mut String) -> bool {
        let n = self.text.len();
        if self.case_sensitive {
            return hay.as_bytes().ends_with(self.text.as_bytes());
        }
        if self.ascii && hay.is_ascii() {
            return hay.len() >= n && hay.as_bytes()[hay.len() - n..].eq_ignore_ascii_case(self.text.as_bytes());
        }
        self.prepare(hay, scratch).ends_with(self.text.as_str())
    }
}

fn bools(rows: usize, mut f: impl FnMut(usize) -> bool) -> ArrayRef {
    let mut b = BooleanBufferBuilder::new(rows);
    for i in 0..rows {
        b.append(f(i));
    }
    Arc::new(BooleanArray::new(b.finish(), None))
}

/// Evaluates a string predicate. Argument 0 is the text, argument 1 the
/// needle (usually a constant, compiled once).
fn eval_predicate(args: &Args, kind: StrOpKind, cs: bool, negated: bool) -> Result<ArrayRef> {
    let hay = args.str(0)?;
    let mut scratch = String::new();
    if let Some(needle) = args.const_str(1) {
        let needle = Needle::new(kind, cs, needle.unwrap_or(""));
        return Ok(bools(args.rows, |i| needle.matches(hay.text(i), &mut scratch) != negated));
    }
    let needles = args.str(1)?;
    Ok(bools(args.rows, |i| Needle::new(kind, cs, needles.text(i)).matches(hay.text(i), &mut scratch) != negated))
}

macro_rules! predicate_udfs {
    ($($static:ident, $name:literal, $kind:expr, $cs:literal, $neg:literal;)*) => {
        $(
            pub static $static: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
                udf::make($name, Returns::Fixed(DataType::Boolean), false, |a| eval_predicate(a, $kind, $cs, $neg))
            });
        )*
    };
}

predicate_udfs! {
    HAS, "kql_has", StrOpKind::Has, false, false;
    NOT_HAS, "kql_not_has", StrOpKind::Has, false, true;
    HAS_CS, "kql_has_cs", StrOpKind::Has, true, false;
    NOT_HAS_CS, "kql_not_has_cs", StrOpKind::Has, true, true;
    HASPREFIX, "kql_hasprefix", StrOpKind::HasPrefix, false, false;
    NOT_HASPREFIX, "kql_not_hasprefix", StrOpKind::HasPrefix, false, true;
    HASPREFIX_CS, "kql_hasprefix_cs", StrOpKind::HasPrefix, true, false;
    NOT_HASPREFIX_CS, "kql_not_hasprefix_cs", StrOpKind::HasPrefix, true, true;
    HASSUFFIX, "kql_hassuffix", StrOpKind::HasSuffix, false, false;
    NOT_HASSUFFIX, "kql_not_hassuffix", StrOpKind::HasSuffix, false, true;
    HASSUFFIX_CS, "kql_hassuffix_cs", StrOpKind::HasSuffix, true, false;
    NOT_HASSUFFIX_CS, "kql_not_hassuffix_cs", StrOpKind::HasSuffix, true, true;
    CONTAINS, "kql_contains", StrOpKind::Contains, false, false;
    NOT_CONTAINS, "kql_not_contains", StrOpKind::Contains, false, true;
    CONTAINS_CS, "kql_contains_cs", StrOpKind::Contains, true, false;
    NOT_CONTAINS_CS, "kql_not_contains_cs", StrOpKind::Contains, true, true;
    STARTSWITH, "kql_startswith", StrOpKind::StartsWith, false, false;
    NOT_STARTSWITH, "kql_not_startswith", StrOpKind::StartsWith, false, true;
    STARTSWITH_CS, "kql_startswith_cs", StrOpKind::StartsWith, true, false;
    NOT_STARTSWITH_CS, "kql_not_startswith_cs", StrOpKind::StartsWith, true, true;
    ENDSWITH, "kql_endswith", StrOpKind::EndsWith, false, false;
    NOT_ENDSWITH, "kql_not_endswith", StrOpKind::EndsWith, false, true;
    ENDSWITH_CS, "kql_endswith_cs", StrOpKind::EndsWith, true, false;
    NOT_ENDSWITH_CS, "kql_not_endswith_cs", StrOpKind::EndsWith, true, true;
}

/// The UDF for a string predicate operator.
pub fn predicate_udf(kind: StrOpKind, cs: bool, negated: bool) -> &'static Arc<ScalarUDF> {
    use StrOpKind::*;
    match (kind, cs, negated) {
        (Has, false, false) => &HAS,
        (Has, false, true) => &NOT_HAS,
        (Has, true, false) => &HAS_CS,
        (Has, true, true) => &NOT_HAS_CS,
        (HasPrefix, false, false) => &HASPREFIX,
        (HasPrefix, false, true) => &NOT_HASPREFIX,
        (HasPrefix, true, false) => &HASPREFIX_CS,
        (HasPrefix, true, true) => &NOT_HASPREFIX_CS,
        (HasSuffix, false, false) => &HASSUFFIX,
        (HasSuffix, false, true) => &NOT_HASSUFFIX,
        (HasSuffix, true, false) => &HASSUFFIX_CS,
        (HasSuffix, true, true) => &NOT_HASSUFFIX_CS,
        (Contains, false, false) => &CONTAINS,
        (Contains, false, true) => &NOT_CONTAINS,
        (Contains, true, false) => &CONTAINS_CS,
        (Contains, true, true) => &NOT_CONTAINS_CS,
        (StartsWith, false, false) => &STARTSWITH,
        (StartsWith, false, true) => &NOT_STARTSWITH,
        (StartsWith, true, false) => &STARTSWITH_CS,
        (StartsWith, true, true) => &NOT_STARTSWITH_CS,
        (EndsWith, false, false) => &ENDSWITH,
        (EndsWith, false, true) => &NOT_ENDSWITH,
        (EndsWith, true, false) => &ENDSWITH_CS,
        (EndsWith, true, true) => &NOT_ENDSWITH_CS,
    }
}

#[inline]
fn equals_ci(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars().map(fold_char).eq(b.chars().map(fold_char))
}

fn eval_equals_ci(args: &Args, negated: bool) -> Result<ArrayRef> {
    let a = args.str(0)?;
    let b = args.str(1)?;
    Ok(bools(args.rows, |i| equals_ci(a.text(i), b.text(i)) != negated))
}

/// `a =~ b`
pub static EQUALS_CI: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    udf::make("kql_equals_ci", Returns::Fixed(DataType::Boolean), false, |a| eval_equals_ci(a, false))
});
/// `a !~ b`
pub static NOT_EQUALS_CI: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    udf::make("kql_not_equals_ci", Returns::Fixed(DataType::Boolean), false, |a| eval_equals_ci(a, true))
});

/// Arguments 1.. as constant strings (list operators take literal lists).
fn const_list(args: &Args) -> Result<Vec<String>> {
    let mut out = Vec::with_capacity(args.len().saturating_sub(1));
    for n in 1..args.len() {
        let text = match args.const_str(n) {
            Some(v) => v.unwrap_or(""),
            None => args.str(n)?.text(0),
        };
        let dynamic = match args.values.get(n) {
            Some(datafusion::logical_expr::ColumnarValue::Scalar(s)) => s.data_type() == DataType::LargeUtf8,
            Some(datafusion::logical_expr::ColumnarValue::Array(a)) => a.data_type() == &DataType::LargeUtf8,
            None => false,
        };
        if dynamic {
            spread(text, &mut out);
        } else {
            out.push(text.to_string());
        }
    }
    Ok(out)
}

/// A dynamic list item: an array gives each element (strings as their
/// text), a scalar itself; nulls match nothing.
fn spread(json: &str, out: &mut Vec<String>) {
    let one = |v: serde_json::Value, out: &mut Vec<String>| match v {
        serde_json::Value::String(s) => out.push(s),
        serde_json::Value::Null => {}
        other => out.push(other.to_string()),
    };
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Array(items)) => items.into_iter().for_each(|v| one(v, out)),
        Ok(v) => one(v, out),
        Err(_) => out.push(json.to_string()),
    }
}

fn eval_in_cs(args: &Args, negated: bool) -> Result<ArrayRef> {
    let hay = args.str(0)?;
    let list = const_list(args)?;
    let set: HashSet<&str> = list.iter().map(String::as_str).collect();
    Ok(bools(args.rows, |i| set.contains(hay.text(i)) != negated))
}

/// `x in (list)` where the list holds a dynamic array known only at run
/// time; literal lists lower onto DataFusion's `IN`.
pub static IN_CS: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_in_cs", Returns::Fixed(DataType::Boolean), false, |a| eval_in_cs(a, false)));
/// `x !in (list)`, as `IN_CS`.
pub static NOT_IN_CS: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_not_in_cs", Returns::Fixed(DataType::Boolean), false, |a| eval_in_cs(a, true)));

fn eval_in_ci(args: &Args, negated: bool) -> Result<ArrayRef> {
    let hay = args.str(0)?;
    let set: HashSet<String> = const_list(args)?.iter().map(|s| fold(s)).collect();
    let mut scratch = String::new();
    Ok(bools(args.rows, |i| {
        let v = hay.text(i);
        let hit = if v.is_ascii() {
            scratch.clear();
            scratch.push_str(v);
            scratch.make_ascii_lowercase();
            set.contains(scratch.as_str())
        } else {
            set.contains(&fold(v))
        };
        hit != negated
    }))
}

/// `x in~ (a, b)`: arguments are the value, then the list.
pub static IN_CI: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_in_ci", Returns::Fixed(DataType::Boolean), false, |a| eval_in_ci(a, false)));
/// `x !in~ (a, b)`
pub static NOT_IN_CI: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_not_in_ci", Returns::Fixed(DataType::Boolean), false, |a| eval_in_ci(a, true)));

fn eval_has_list(args: &Args, all: bool) -> Result<ArrayRef> {
    let hay = args.str(0)?;
    let needles: Vec<Needle> = const_list(args)?.iter().map(|s| Needle::new(StrOpKind::Has, false, s)).collect();
    let mut scratch = String::new();
    Ok(bools(args.rows, |i| {
        let v = hay.text(i);
        if all {
            needles.iter().all(|n| n.matches(v, &mut scratch))
        } else {
            needles.iter().any(|n| n.matches(v, &mut scratch))
        }
    }))
}

/// `x has_any (a, b)`
pub static HAS_ANY: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_has_any", Returns::Fixed(DataType::Boolean), false, |a| eval_has_list(a, false)));
/// `x has_all (a, b)`
pub static HAS_ALL: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_has_all", Returns::Fixed(DataType::Boolean), false, |a| eval_has_list(a, true)));

/// Used by tests and `Strs` consumers outside the UDF frame.
pub fn matches_once(kind: StrOpKind, cs: bool, needle: &str, hay: &str) -> bool {
    Needle::new(kind, cs, needle).matches(hay, &mut String::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use StrOpKind::*;

    #[test]
    fn has_is_a_whole_term_match() {
        assert!(matches_once(Has, false, "error", "Error: timeout"));
        assert!(matches_once(Has, false, "timeout", "Error: timeout"));
        assert!(!matches_once(Has, false, "time", "Error: timeout"));
        assert!(matches_once(Has, false, "GET /api", "x GET /api/v1"));
        assert!(!matches_once(Has, false, "ET /api", "x GET /api/v1"));
        assert!(matches_once(Has, false, "", ""));
        assert!(matches_once(Has, false, "b", "a_b-c"), "underscore delimits terms");
        assert!(matches_once(Has, false, "-", "a-b"), "punctuation-only needle is a substring test");
        assert!(!matches_once(Has, true, "error", "Error"));
        // A later occurrence can satisfy the boundaries when an earlier one does not.
        assert!(matches_once(Has, false, "cat", "concat cat"));
    }

    #[test]
    fn prefixes_suffixes_and_substrings() {
        assert!(matches_once(HasPrefix, false, "time", "a timeout"));
        assert!(!matches_once(HasPrefix, false, "out", "a timeout"));
        assert!(matches_once(HasSuffix, false, "out", "a timeout"));
        assert!(matches_once(Contains, false, "MEOU", "a timeout"));
        assert!(!matches_once(Contains, true, "MEOU", "a timeout"));
        assert!(matches_once(StartsWith, false, "A TI", "a timeout"));
        assert!(matches_once(EndsWith, false, "OUT", "a timeout"));
        assert!(!matches_once(EndsWith, true, "OUT", "a timeout"));
    }

    #[test]
    fn case_folding_is_per_character() {
        assert!(equals_ci("ÉCOLE", "école"));
        assert!(!equals_ci("straße", "STRASSE"));
        assert!(matches_once(Contains, false, "é", "CAFÉ"));
    }
}
