//! Canonical KQL text of a syntax tree. Parsing the printed text gives the
//! same tree (spans aside); `explain` and the round-trip tests use it.

use std::fmt::{self, Display, Formatter, Write};

use crate::syntax::ast::*;
use crate::types::time;

fn write_list<T: Display>(f: &mut Formatter, items: &[T]) -> fmt::Result {
    for (k, item) in items.iter().enumerate() {
        if k > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

/// Writes a name, bracketing it when it is not a plain identifier.
pub fn write_name(f: &mut impl Write, name: &str) -> fmt::Result {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !matches!(name, "and" | "or" | "by" | "on" | "with" | "let" | "set" | "declare" | "true" | "false");
    if plain {
        f.write_str(name)
    } else if name.contains('\'') {
        write!(f, "[\"{name}\"]")
    } else {
        write!(f, "['{name}']")
    }
}

impl Display for Ident {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        write_name(f, &self.name)
    }
}

pub fn quote_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        match self {
            Literal::Null(t) => write!(f, "{}(null)", t.as_str()),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Int(v) => write!(f, "int({v})"),
            Literal::Long(v) => write!(f, "{v}"),
            Literal::Real(v) if v.is_nan() => f.write_str("real(nan)"),
            Literal::Real(v) if v.is_infinite() => f.write_str(if *v > 0.0 { "real(+inf)" } else { "real(-inf)" }),
            Literal::Real(v) => write!(f, "{v:?}"),
            Literal::Decimal(s) => write!(f, "decimal({s})"),
            Literal::String(s) => f.write_str(&quote_string(s)),
            Literal::DateTime(v) => write!(f, "datetime({})", time::format_datetime(*v)),
            Literal::TimeSpan(v) => write!(f, "time({})", time::format_timespan(*v)),
            Literal::Guid(g) => write!(f, "guid({g})"),
            Literal::Dynamic(v) => write!(f, "dynamic({v})"),
        }
    }
}

/// Binding strength, loosest first; children of weaker precedence than
/// their context get parentheses.
fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary { op, .. } => binary_precedence(*op),
        ExprKind::InList { .. } | ExprKind::InTable { .. } | ExprKind::Between { .. } => 3,
        ExprKind::Unary { .. } => 6,
        ExprKind::Literal(Literal::Long(v)) if *v < 0 => 6,
        ExprKind::Literal(Literal::Real(v)) if v.is_sign_negative() && v.is_finite() => 6,
        ExprKind::Literal(Literal::TimeSpan(v)) if *v < 0 => 6,
        _ => 8,
    }
}

fn binary_precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        BinaryOp::Add | BinaryOp::Sub => 4,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 5,
        _ => 3,
    }
}

struct Prec<'a>(&'a Expr, u8);

impl Display for Prec<'_> {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        if precedence(self.0) < self.1 { write!(f, "({})", self.0) } else { write!(f, "{}", self.0) }
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        match &self.kind {
            // A negative timespan is printed as `time(-…)`, which needs no sign folding.
            ExprKind::Literal(l) => write!(f, "{l}"),
            ExprKind::Name(n) => write!(f, "{n}"),
            ExprKind::Star => f.write_str("*"),
            ExprKind::Member { base, key } => {
                write!(f, "{}.", Prec(base, 7))?;
                write_name(f, &key.name)
            }
            ExprKind::Index { base, index } => write!(f, "{}[{}]", Prec(base, 7), index),
            ExprKind::Unary { op, operand } => {
                let sign = if *op == UnaryOp::Neg { "-" } else { "+" };
                // `- -1` must not print as `--1`.
                write!(f, "{sign}{}", Prec(operand, 7))
            }
            ExprKind::Binary { op, left, right } => {
                let p = binary_precedence(*op);
                write!(f, "{} {} {}", Prec(left, p), op.text(), Prec(right, p + 1))
            }
            ExprKind::InList { expr, op, list } => {
                write!(f, "{} {} (", Prec(expr, 4), op.as_str())?;
                write_list(f, list)?;
                f.write_str(")")
            }
            ExprKind::InTable { expr, op, table } => write!(f, "{} {} ({})", Prec(expr, 4), op.as_str(), table),
            ExprKind::Between { expr, low, high, negated } => write!(
                f,
                "{} {}between ({} .. {})",
                Prec(expr, 4),
                if *negated { "!" } else { "" },
                Prec(low, 4),
                Prec(high, 4)
            ),
            ExprKind::Call { name, args } => {
                write!(f, "{name}(")?;
                write_list(f, args)?;
                f.write_str(")")
            }
            ExprKind::Tabular(t) => write!(f, "({t})"),
            ExprKind::NamedArg { name, value } => write!(f, "{name} = {value}"),
        }
    }
}

impl Display for NamedExpr {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        if let Some(n) = &self.name {
            write!(f, "{n} = ")?;
        }
        write!(f, "{}", self.expr)
    }
}

impl Display for SortKey {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        match self.order {
            Some(SortOrder::Asc) => f.write_str(" asc")?,
            Some(SortOrder::Desc) => f.write_str(" desc")?,
            None => {}
        }
        match self.nulls {
            Some(NullsOrder::First) => f.write_str(" nulls first"),
            Some(NullsOrder::Last) => f.write_str(" nulls last"),
            None => Ok(()),
        }
    }
}

impl Display for ColumnPattern {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        if self.is_wildcard() { f.write_str(&self.pattern) } else { write_name(f, &self.pattern) }
    }
}

impl Display for Hint {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        write!(f, "{}={}", self.name.name, self.value)
    }
}

fn write_hints(f: &mut Formatter, hints: &[Hint]) -> fmt::Result {
    for h in hints {
        write!(f, " {h}")?;
    }
    Ok(())
}

impl Display for JoinKey {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        match self {
            JoinKey::Same(n) => write!(f, "{n}"),
            JoinKey::Pair { left, right, .. } => write!(f, "$left.{left} == $right.{right}"),
        }
    }
}

fn write_union_options(f: &mut Formatter, o: &UnionOptions) -> fmt::Result {
    match o.kind {
        Some(UnionKind::Inner) => f.write_str(" kind=inner")?,
        Some(UnionKind::Outer) => f.write_str(" kind=outer")?,
        None => {}
    }
    if let Some(w) = &o.with_source {
        write!(f, " withsource={w}")?;
    }
    if o.is_fuzzy {
        f.write_str(" isfuzzy=true")?;
    }
    write_hints(f, &o.hints)
}

fn write_union_legs(f: &mut Formatter, tables: &[TabularExpr]) -> fmt::Result {
    for (k, t) in tables.iter().enumerate() {
        f.write_str(if k == 0 { " " } else { ", " })?;
        match (&t.source, t.ops.is_empty()) {
            (Source::Table(n), true) => write!(f, "{n}")?,
            (Source::Wildcard(n), true) => f.write_str(&n.name)?,
            (Source::Nested(inner), true) => write!(f, "({inner})")?,
            _ => write!(f, "({t})")?,
        }
    }
    Ok(())
}

impl Display for Operator {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        match &self.kind {
            OperatorKind::Where { predicate } => write!(f, "where {predicate}"),
            OperatorKind::Project { columns } => {
                f.write_str("project ")?;
                write_list(f, columns)
            }
            OperatorKind::ProjectAway { columns } => {
                f.write_str("project-away ")?;
                write_list(f, columns)
            }
            OperatorKind::ProjectKeep { columns } => {
                f.write_str("project-keep ")?;
                write_list(f, columns)
            }
            OperatorKind::ProjectRename { renames } => {
                f.write_str("project-rename ")?;
                for (k, (new, old)) in renames.iter().enumerate() {
                    if k > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{new} = {old}")?;
                }
                Ok(())
            }
            OperatorKind::ProjectReorder { columns } => {
                f.write_str("project-reorder ")?;
                for (k, c) in columns.iter().enumerate() {
                    if k > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", c.column)?;
                    if let Some(o) = &c.order {
                        write!(f, " {o}")?;
                    }
                }
                Ok(())
            }
            OperatorKind::Extend { columns } => {
                f.write_str("extend ")?;
                write_list(f, columns)
            }
            OperatorKind::Summarize { hints, aggregates, by } => {
                f.write_str("summarize")?;
                write_hints(f, hints)?;
                if !aggregates.is_empty() {
                    f.write_str(" ")?;
                    write_list(f, aggregates)?;
                }
                if !by.is_empty() {
                    f.write_str(" by ")?;
                    write_list(f, by)?;
                }
                Ok(())
            }
            OperatorKind::Count => f.write_str("count"),
            OperatorKind::Take { count } => write!(f, "take {count}"),
            OperatorKind::Sample { count } => write!(f, "sample {count}"),
            OperatorKind::SampleDistinct { count, of } => write!(f, "sample-distinct {count} of {of}"),
            OperatorKind::TopHitters { count, of, by } => {
                write!(f, "top-hitters {count} of {of}")?;
                match by {
                    Some(b) => write!(f, " by {b}"),
                    None => Ok(()),
                }
            }
            OperatorKind::Top { count, keys } => {
                write!(f, "top {count} by ")?;
                write_list(f, keys)
            }
            OperatorKind::Sort { hints, keys } => {
                f.write_str("sort")?;
                write_hints(f, hints)?;
                f.write_str(" by ")?;
                write_list(f, keys)
            }
            OperatorKind::Distinct { columns } => {
                if columns.is_empty() {
                    return f.write_str("distinct *");
                }
                f.write_str("distinct ")?;
                write_list(f, columns)
            }
            OperatorKind::Union { options, tables } => {
                f.write_str("union")?;
                write_union_options(f, options)?;
                write_union_legs(f, tables)
            }
            OperatorKind::Join { kind, hints, right, on } => {
                f.write_str("join")?;
                if let Some(k) = kind {
                    write!(f, " kind={}", k.as_str())?;
                }
                write_hints(f, hints)?;
                write!(f, " ({right}) on ")?;
                write_list(f, on)
            }
            OperatorKind::Lookup { kind, right, on } => {
                f.write_str("lookup")?;
                if let Some(k) = kind {
                    write!(f, " kind={}", k.as_str())?;
                }
                write!(f, " ({right}) on ")?;
                write_list(f, on)
            }
            OperatorKind::As { name, hints } => {
                f.write_str("as")?;
                write_hints(f, hints)?;
                write!(f, " {name}")
            }
            OperatorKind::GetSchema => f.write_str("getschema"),
            OperatorKind::Serialize { columns } => {
                f.write_str("serialize")?;
                if !columns.is_empty() {
                    f.write_str(" ")?;
                    write_list(f, columns)?;
                }
                Ok(())
            }
            OperatorKind::Render { chart, properties } => {
                write!(f, "render {}", chart.name)?;
                write_options(f, properties)
            }
            OperatorKind::MvExpand(m) => {
                f.write_str("mv-expand")?;
                write_expansion(f, m)
            }
            OperatorKind::MvApply { expand, body } => {
                f.write_str("mv-apply")?;
                write_expansion(f, expand)?;
                f.write_str(" on (")?;
                for (k, op) in body.iter().enumerate() {
                    if k > 0 {
                        f.write_str(" | ")?;
                    }
                    write!(f, "{op}")?;
                }
                f.write_str(")")
            }
            OperatorKind::Parse(p) => write_parse(f, p),
            OperatorKind::MakeSeries(m) => write_make_series(f, m),
            OperatorKind::Search { case_sensitive, predicate } => {
                f.write_str("search")?;
                if *case_sensitive {
                    f.write_str(" kind=case_sensitive")?;
                }
                write!(f, " {predicate}")
            }
            OperatorKind::TopNested { levels } => {
                for (k, l) in levels.iter().enumerate() {
                    f.write_str(if k == 0 { "top-nested" } else { ", top-nested" })?;
                    if let Some(c) = &l.count {
                        write!(f, " {c}")?;
                    }
                    write!(f, " of {}", l.of)?;
                    if let Some(o) = &l.others {
                        write!(f, " with others = {o}")?;
                    }
                    write!(f, " by {}", l.aggregate)?;
                    if l.ascending {
                        f.write_str(" asc")?;
                    }
                }
                Ok(())
            }
            OperatorKind::Evaluate { plugin, args, schema } => {
                write!(f, "evaluate {}(", plugin.name)?;
                write_list(f, args)?;
                f.write_str(")")?;
                if let Some(cols) = schema {
                    f.write_str(" : (")?;
                    for (k, (n, t)) in cols.iter().enumerate() {
                        if k > 0 {
                            f.write_str(", ")?;
                        }
                        write!(f, "{n}:{}", t.as_str())?;
                    }
                    f.write_str(")")?;
                }
                Ok(())
            }
            OperatorKind::Invoke { name, args } => {
                write!(f, "invoke {name}(")?;
                write_list(f, args)?;
                f.write_str(")")
            }
            OperatorKind::Reduce { keep_rows, by, options } => {
                f.write_str("reduce")?;
                if *keep_rows {
                    f.write_str(" kind=source")?;
                }
                write!(f, " by {by}")?;
                for (k, (n, v)) in options.iter().enumerate() {
                    f.write_str(if k == 0 { " with " } else { ", " })?;
                    write!(f, "{} = {v}", n.name)?;
                }
                Ok(())
            }
            OperatorKind::ParseKv { source, columns, options } => {
                write!(f, "parse-kv {source} as (")?;
                for (k, (n, t)) in columns.iter().enumerate() {
                    if k > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{n}:{}", t.as_str())?;
                }
                f.write_str(")")?;
                write_options(f, options)
            }
            OperatorKind::Unsupported { name } => f.write_str(name),
        }
    }
}

fn write_make_series(f: &mut Formatter, m: &MakeSeries) -> fmt::Result {
    f.write_str("make-series")?;
    if m.nonempty {
        f.write_str(" kind=nonempty")?;
    }
    for (k, a) in m.aggregates.iter().enumerate() {
        f.write_str(if k == 0 { " " } else { ", " })?;
        write!(f, "{}", a.column)?;
        if let Some(d) = &a.default {
            write!(f, " default = {d}")?;
        }
    }
    write!(f, " on {}", m.axis)?;
    if m.in_range {
        if let (Some(a), Some(b)) = (&m.from, &m.to) {
            write!(f, " in range({a}, {b}, {})", m.step)?;
        }
    } else {
        if let Some(a) = &m.from {
            write!(f, " from {a}")?;
        }
        if let Some(b) = &m.to {
            write!(f, " to {b}")?;
        }
        write!(f, " step {}", m.step)?;
    }
    if !m.by.is_empty() {
        f.write_str(" by ")?;
        write_list(f, &m.by)?;
    }
    Ok(())
}

fn write_expansion(f: &mut Formatter, m: &MvExpand) -> fmt::Result {
    match m.bag_expansion {
        Some(BagExpansion::Bag) => f.write_str(" kind=bag")?,
        Some(BagExpansion::Array) => f.write_str(" kind=array")?,
        None => {}
    }
    if let Some(i) = &m.item_index {
        write!(f, " with_itemindex={i}")?;
    }
    for (k, item) in m.items.iter().enumerate() {
        f.write_str(if k == 0 { " " } else { ", " })?;
        if let Some(n) = &item.name {
            write!(f, "{n} = ")?;
        }
        write!(f, "{}", item.expr)?;
        if let Some(t) = item.to {
            write!(f, " to typeof({})", t.as_str())?;
        }
    }
    if let Some(l) = &m.limit {
        write!(f, " limit {l}")?;
    }
    Ok(())
}

fn write_parse(f: &mut Formatter, p: &ParseOp) -> fmt::Result {
    f.write_str(if p.filter { "parse-where" } else { "parse" })?;
    match p.kind {
        ParseKind::Simple => {}
        ParseKind::Regex => f.write_str(" kind=regex")?,
        ParseKind::Relaxed => f.write_str(" kind=relaxed")?,
    }
    if let Some(flags) = &p.flags {
        write!(f, " flags={flags}")?;
    }
    write!(f, " {} with", p.source)?;
    for part in &p.pattern {
        match part {
            ParsePart::Wildcard => f.write_str(" *")?,
            ParsePart::Text(t) => write!(f, " {}", quote_string(t))?,
            ParsePart::Column { name, ty } => {
                write!(f, " {name}")?;
                if let Some(t) = ty {
                    write!(f, ":{}", t.as_str())?;
                }
            }
        }
    }
    Ok(())
}

impl Display for Source {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        match self {
            Source::Table(n) => write!(f, "{n}"),
            Source::Wildcard(n) => write!(f, "union {}", n.name),
            Source::Call { name, args, .. } => {
                write!(f, "{name}(")?;
                write_list(f, args)?;
                f.write_str(")")
            }
            Source::Datatable { columns, values, .. } => {
                f.write_str("datatable(")?;
                for (k, (n, t)) in columns.iter().enumerate() {
                    if k > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{n}:{}", t.as_str())?;
                }
                f.write_str(") [")?;
                write_list(f, values)?;
                f.write_str("]")
            }
            Source::Print { columns, .. } => {
                f.write_str("print ")?;
                write_list(f, columns)
            }
            Source::Range { column, from, to, step, .. } => {
                write!(f, "range {column} from {from} to {to} step {step}")
            }
            Source::Union { options, tables, .. } => {
                f.write_str("union")?;
                write_union_options(f, options)?;
                write_union_legs(f, tables)
            }
            Source::Nested(t) => write!(f, "({t})"),
            Source::Search { case_sensitive, tables, predicate, .. } => {
                f.write_str("search")?;
                if *case_sensitive {
                    f.write_str(" kind=case_sensitive")?;
                }
                if let Some(t) = tables {
                    f.write_str(" in (")?;
                    write_list(f, t)?;
                    f.write_str(")")?;
                }
                write!(f, " {predicate}")
            }
            Source::Find { with_source, tables, predicate, project, .. } => {
                f.write_str("find")?;
                if let Some(w) = with_source {
                    write!(f, " withsource={w}")?;
                }
                if let Some(t) = tables {
                    f.write_str(" in (")?;
                    write_list(f, t)?;
                    f.write_str(")")?;
                }
                write!(f, " where {predicate}")?;
                if let Some(cols) = project {
                    f.write_str(" project ")?;
                    for (k, (n, t)) in cols.iter().enumerate() {
                        if k > 0 {
                            f.write_str(", ")?;
                        }
                        write!(f, "{n}")?;
                        if let Some(t) = t {
                            write!(f, ":{}", t.as_str())?;
                        }
                    }
                }
                Ok(())
            }
            Source::ExternalData { columns, paths, options, .. } => {
                f.write_str("externaldata (")?;
                for (k, (n, t)) in columns.iter().enumerate() {
                    if k > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{n}:{}", t.as_str())?;
                }
                f.write_str(") [")?;
                for (k, (p, _)) in paths.iter().enumerate() {
                    if k > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(&quote_string(p))?;
                }
                f.write_str("]")?;
                write_options(f, options)
            }
        }
    }
}

fn write_options(f: &mut Formatter, options: &[(Ident, Expr)]) -> fmt::Result {
    if !options.is_empty() {
        f.write_str(" with (")?;
        for (k, (n, v)) in options.iter().enumerate() {
            if k > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{} = {v}", n.name)?;
        }
        f.write_str(")")?;
    }
    Ok(())
}

impl Display for SearchPred {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        let group = |f: &mut Formatter, items: &[SearchPred], op: &str| -> fmt::Result {
            for (k, p) in items.iter().enumerate() {
                if k > 0 {
                    write!(f, " {op} ")?;
                }
                match p {
                    SearchPred::And(_) | SearchPred::Or(_) => write!(f, "({p})")?,
                    _ => write!(f, "{p}")?,
                }
            }
            Ok(())
        };
        match self {
            SearchPred::Term { column: None, text, op: None, .. } => f.write_str(&quote_string(text)),
            SearchPred::Term { column: Some(c), text, .. } => write!(f, "{c}:{}", quote_string(text)),
            SearchPred::Term { column: None, text, op: Some(op), .. } => {
                write!(f, "* {} {}", op.text(), quote_string(text))
            }
            SearchPred::Expr(e) => match &e.kind {
                ExprKind::Binary { op: BinaryOp::And | BinaryOp::Or, .. } => write!(f, "({e})"),
                _ => write!(f, "{e}"),
            },
            SearchPred::And(items) => group(f, items, "and"),
            SearchPred::Or(items) => group(f, items, "or"),
            SearchPred::Not(p) => write!(f, "not({p})"),
        }
    }
}

impl Display for TabularExpr {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        write!(f, "{}", self.source)?;
        for op in &self.ops {
            write!(f, " | {op}")?;
        }
        Ok(())
    }
}

impl Display for Param {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        write!(f, "{}:", self.name)?;
        match &self.ty {
            ParamType::Scalar(t) => f.write_str(t.as_str())?,
            ParamType::Tabular(cols) if cols.is_empty() => f.write_str("(*)")?,
            ParamType::Tabular(cols) => {
                f.write_str("(")?;
                for (k, (n, t)) in cols.iter().enumerate() {
                    if k > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{n}:{}", t.as_str())?;
                }
                f.write_str(")")?;
            }
        }
        if let Some(d) = &self.default {
            write!(f, " = {d}")?;
        }
        Ok(())
    }
}

impl Display for Statement {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        match self {
            Statement::Let { name, value, .. } => {
                write!(f, "let {name} = ")?;
                match value {
                    LetValue::Expr(e) => write!(f, "{e}"),
                    LetValue::Tabular(t) => write!(f, "{t}"),
                    LetValue::Function(def) => {
                        f.write_str("(")?;
                        write_list(f, &def.params)?;
                        f.write_str(") { ")?;
                        for st in &def.lets {
                            write!(f, "{st}; ")?;
                        }
                        match &def.body {
                            FunctionBody::Scalar(e) => write!(f, "{e}")?,
                            FunctionBody::Tabular(t) => write!(f, "{t}")?,
                        }
                        f.write_str(" }")
                    }
                }
            }
            Statement::Set { name, value, .. } => {
                write!(f, "set {}", name.name)?;
                if let Some(v) = value {
                    write!(f, " = {v}")?;
                }
                Ok(())
            }
            Statement::DeclareParameters { params, .. } => {
                f.write_str("declare query_parameters(")?;
                write_list(f, params)?;
                f.write_str(")")
            }
        }
    }
}

impl Display for Query {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        for st in &self.statements {
            writeln!(f, "{st};")?;
        }
        if let Some(b) = &self.body {
            write!(f, "{b}")?;
        }
        Ok(())
    }
}
