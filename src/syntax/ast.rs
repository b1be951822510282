//! The KQL syntax tree. Every node carries the [`Span`] of the source text it
//! was parsed from, so that planning errors can point at the exact spot.
//!
//! `Display` (in `display.rs`) prints canonical KQL; the parser reads that
//! text back to an equal tree, which the round-trip tests rely on.

use crate::syntax::span::Span;

/// A name as written in the query: a plain identifier, or `['quoted name']`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A whole query text: statements, then the tabular expression that produces
/// the result (absent for a script made only of statements).
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub statements: Vec<Statement>,
    pub body: Option<TabularExpr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `let name = value;`
    Let { name: Ident, value: LetValue, span: Span },
    /// `set name [= value];` (query options such as `query_now`)
    Set { name: Ident, value: Option<Expr>, span: Span },
    /// `declare query_parameters(name:type [= default], …);`
    DeclareParameters { params: Vec<Param>, span: Span },
}

#[derive(Debug, Clone, PartialEq)]
pub enum LetValue {
    /// A scalar expression, or a bare name/call whose kind (table or scalar)
    /// is only known once names are resolved.
    Expr(Expr),
    Tabular(Box<TabularExpr>),
    Function(Box<FunctionDef>),
}

/// `(a:long, t:(*), n:long = 10) { body }`
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    pub params: Vec<Param>,
    pub lets: Vec<Statement>,
    pub body: FunctionBody,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FunctionBody {
    Scalar(Expr),
    Tabular(Box<TabularExpr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: ParamType,
    pub default: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamType {
    Scalar(TypeName),
    /// `(*)` or `(col:type, …)`: a tabular parameter.
    Tabular(Vec<(Ident, TypeName)>),
}

/// The scalar types of Kusto, as written in `datatable` schemas and casts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TypeName {
    Bool,
    Int,
    Long,
    Real,
    Decimal,
    String,
    DateTime,
    TimeSpan,
    Guid,
    Dynamic,
}

impl TypeName {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "bool" | "boolean" => Self::Bool,
            "int" | "int32" => Self::Int,
            "long" | "int64" => Self::Long,
            "real" | "double" => Self::Real,
            "decimal" => Self::Decimal,
            "string" => Self::String,
            "datetime" | "date" => Self::DateTime,
            "timespan" | "time" => Self::TimeSpan,
            "guid" | "uniqueid" => Self::Guid,
            "dynamic" => Self::Dynamic,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bool => "bool",
            Self::Int => "int",
            Self::Long => "long",
            Self::Real => "real",
            Self::Decimal => "decimal",
            Self::String => "string",
            Self::DateTime => "datetime",
            Self::TimeSpan => "timespan",
            Self::Guid => "guid",
            Self::Dynamic => "dynamic",
        }
    }
}

/// `source | op | op …`
#[derive(Debug, Clone, PartialEq)]
pub struct TabularExpr {
    pub source: Source,
    pub ops: Vec<Operator>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A table, a tabular `let`, or an `as` name.
    Table(Ident),
    /// `Container*`: every table whose name matches (only inside `union`).
    Wildcard(Ident),
    /// A call of a user function or of `materialize(…)`, `view`, …
    Call {
        name: Ident,
        args: Vec<Expr>,
        span: Span,
    },
    Datatable {
        columns: Vec<(Ident, TypeName)>,
        values: Vec<Expr>,
        span: Span,
    },
    Print {
        columns: Vec<NamedExpr>,
        span: Span,
    },
    Range {
        column: Ident,
        from: Box<Expr>,
        to: Box<Expr>,
        step: Box<Expr>,
        span: Span,
    },
    Union {
        options: UnionOptions,
        tables: Vec<TabularExpr>,
        span: Span,
    },
    /// `( pipeline )`
    Nested(Box<TabularExpr>),
    /// `search [kind=…] [in (T1, …)] predicate`: rows of any table that match.
    Search {
        case_sensitive: bool,
        tables: Option<Vec<Ident>>,
        predicate: SearchPred,
        span: Span,
    },
    /// `find [withsource=C] [in (T1, …)] where predicate [project c, …]`
    Find {
        with_source: Option<Ident>,
        tables: Option<Vec<Ident>>,
        predicate: SearchPred,
        project: Option<Vec<(Ident, Option<TypeName>)>>,
        span: Span,
    },
    /// `externaldata (c:type, …) ["path", …] [with (format = "csv", …)]`
    ExternalData {
        columns: Vec<(Ident, TypeName)>,
        paths: Vec<(String, Span)>,
        options: Vec<(Ident, Expr)>,
        span: Span,
    },
}

impl Source {
    pub fn span(&self) -> Span {
        match self {
            Source::Table(i) | Source::Wildcard(i) => i.span,
            Source::Call { span, .. }
            | Source::Datatable { span, .. }
            | Source::Print { span, .. }
            | Source::Range { span, .. }
            | Source::Union { span, .. }
            | Source::Search { span, .. }
            | Source::Find { span, .. }
            | Source::ExternalData { span, .. } => *span,
            Source::Nested(t) => t.span,
        }
    }
}

/// `[name =] expr`, or `(a, b) = expr` in a few operators.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedExpr {
    pub name: Option<Ident>,
    pub expr: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub expr: Expr,
    pub order: Option<SortOrder>,
    pub nulls: Option<NullsOrder>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Asc,
    Desc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullsOrder {
    First,
    Last,
}

/// `hint.strategy=shuffle` and similar: accepted, kept for `explain`, not acted on.
#[derive(Debug, Clone, PartialEq)]
pub struct Hint {
    pub name: Ident,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnionKind {
    Inner,
    Outer,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct UnionOptions {
    pub kind: Option<UnionKind>,
    pub with_source: Option<Ident>,
    pub is_fuzzy: bool,
    pub hints: Vec<Hint>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    InnerUnique,
    Inner,
    LeftOuter,
    RightOuter,
    FullOuter,
    LeftAnti,
    RightAnti,
    LeftSemi,
    RightSemi,
}

impl JoinKind {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "innerunique" => Self::InnerUnique,
            "inner" => Self::Inner,
            "leftouter" => Self::LeftOuter,
            "rightouter" => Self::RightOuter,
            "fullouter" | "outer" => Self::FullOuter,
            "leftanti" | "anti" | "leftantisemi" => Self::LeftAnti,
            "rightanti" | "rightantisemi" => Self::RightAnti,
            "leftsemi" | "semi" => Self::LeftSemi,
            "rightsemi" => Self::RightSemi,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InnerUnique => "innerunique",
            Self::Inner => "inner",
            Self::LeftOuter => "leftouter",
            Self::RightOuter => "rightouter",
            Self::FullOuter => "fullouter",
            Self::LeftAnti => "leftanti",
            Self::RightAnti => "rightanti",
            Self::LeftSemi => "leftsemi",
            Self::RightSemi => "rightsemi",
        }
    }
}

/// One `on` condition of a join: `col`, or `$left.a == $right.b`.
#[derive(Debug, Clone, PartialEq)]
pub enum JoinKey {
    Same(Ident),
    Pair { left: Ident, right: Ident, span: Span },
}

/// A column selector of `project-away`/`project-keep`/`project-reorder`:
/// a name, possibly with `*` wildcards.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnPattern {
    pub pattern: String,
    pub span: Span,
}

impl ColumnPattern {
    pub fn is_wildcard(&self) -> bool {
        self.pattern.contains('*')
    }
}

/// The predicate of `search` and `find`: `and`/`or`/`not` over terms and
/// ordinary boolean expressions.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchPred {
    /// `"text"` (any column has the term; `*` at either end widens it to
    /// a prefix, suffix or substring match), `Column:"text"`, or
    /// `* has "text"` (`op` names the operator).
    Term {
        column: Option<Ident>,
        text: String,
        op: Option<StrOp>,
        span: Span,
    },
    Expr(Expr),
    And(Vec<SearchPred>),
    Or(Vec<SearchPred>),
    Not(Box<SearchPred>),
}

/// One level of `top-nested [N] of expr [with others = v] by [name =] agg [asc|desc]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TopNestedLevel {
    pub count: Option<Expr>,
    pub of: NamedExpr,
    pub others: Option<Expr>,
    pub aggregate: NamedExpr,
    pub ascending: bool,
}

/// `make-series aggregates on axis from … to … step … by keys`
#[derive(Debug, Clone, PartialEq)]
pub struct MakeSeries {
    /// `kind=nonempty`: an empty input still gives one row of defaults.
    pub nonempty: bool,
    pub aggregates: Vec<SeriesAggregate>,
    pub axis: Expr,
    pub from: Option<Expr>,
    pub to: Option<Expr>,
    pub step: Expr,
    /// Written as `in range(from, to, step)`.
    pub in_range: bool,
    pub by: Vec<NamedExpr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SeriesAggregate {
    pub column: NamedExpr,
    pub default: Option<Expr>,
}

/// The expansion list of `mv-expand` / `mv-apply`.
#[derive(Debug, Clone, PartialEq)]
pub struct MvExpand {
    pub bag_expansion: Option<BagExpansion>,
    pub item_index: Option<Ident>,
    pub items: Vec<MvItem>,
    pub limit: Option<Expr>,
}

/// `[name =] expr [to typeof(type)]`
#[derive(Debug, Clone, PartialEq)]
pub struct MvItem {
    pub name: Option<Ident>,
    pub expr: Expr,
    pub to: Option<TypeName>,
    pub span: Span,
}

/// How `mv-expand` expands a property bag: `{"k": v}` or `["k", v]` per entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BagExpansion {
    Bag,
    Array,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseKind {
    Simple,
    Regex,
    Relaxed,
}

/// `parse [kind=…] [flags=…] source with pattern…`
#[derive(Debug, Clone, PartialEq)]
pub struct ParseOp {
    pub kind: ParseKind,
    pub flags: Option<String>,
    pub source: Expr,
    pub pattern: Vec<ParsePart>,
    /// `parse-where`: rows that do not match are dropped.
    pub filter: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParsePart {
    /// `*`: skip any text.
    Wildcard,
    /// A string constant: literal text, or a regex in `kind=regex`.
    Text(String),
    /// `name[:type]`: a column that takes the matched text.
    Column { name: Ident, ty: Option<TypeName> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReorderKey {
    pub column: ColumnPattern,
    pub order: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    pub kind: OperatorKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OperatorKind {
    Where {
        predicate: Expr,
    },
    Project {
        columns: Vec<NamedExpr>,
    },
    ProjectAway {
        columns: Vec<ColumnPattern>,
    },
    ProjectKeep {
        columns: Vec<ColumnPattern>,
    },
    ProjectRename {
        renames: Vec<(Ident, Ident)>,
    },
    ProjectReorder {
        columns: Vec<ReorderKey>,
    },
    Extend {
        columns: Vec<NamedExpr>,
    },
    Summarize {
        hints: Vec<Hint>,
        aggregates: Vec<NamedExpr>,
        by: Vec<NamedExpr>,
    },
    Count,
    Take {
        count: Expr,
    },
    Top {
        count: Expr,
        keys: Vec<SortKey>,
    },
    Sort {
        hints: Vec<Hint>,
        keys: Vec<SortKey>,
    },
    /// `distinct *` has no columns.
    Distinct {
        columns: Vec<NamedExpr>,
    },
    Union {
        options: UnionOptions,
        tables: Vec<TabularExpr>,
    },
    Join {
        kind: Option<JoinKind>,
        hints: Vec<Hint>,
        right: Box<TabularExpr>,
        on: Vec<JoinKey>,
    },
    Lookup {
        kind: Option<JoinKind>,
        right: Box<TabularExpr>,
        on: Vec<JoinKey>,
    },
    As {
        name: Ident,
        hints: Vec<Hint>,
    },
    GetSchema,
    Serialize {
        columns: Vec<NamedExpr>,
    },
    Render {
        chart: Ident,
        properties: Vec<(Ident, Expr)>,
    },
    MvExpand(MvExpand),
    MakeSeries(Box<MakeSeries>),
    /// `T | search predicate`
    Search {
        case_sensitive: bool,
        predicate: SearchPred,
    },
    TopNested {
        levels: Vec<TopNestedLevel>,
    },
    /// `sample N`
    Sample {
        count: Expr,
    },
    /// `sample-distinct N of column`
    SampleDistinct {
        count: Expr,
        of: NamedExpr,
    },
    /// `top-hitters N of value [by weight]`
    TopHitters {
        count: Expr,
        of: NamedExpr,
        by: Option<Expr>,
    },
    /// `evaluate plugin(args) [: (c:type, …)]`
    Evaluate {
        plugin: Ident,
        args: Vec<Expr>,
        schema: Option<Vec<(Ident, TypeName)>>,
    },
    /// `invoke f(args)`: `f(T, args)`.
    Invoke {
        name: Ident,
        args: Vec<Expr>,
    },
    /// `reduce [kind=source] by column [with threshold=…, characters=…]`
    Reduce {
        keep_rows: bool,
        by: Expr,
        options: Vec<(Ident, Expr)>,
    },
    /// `mv-apply items on (sub-pipeline)`: the sub-pipeline runs once per
    /// input row, over that row's expanded items.
    MvApply {
        expand: MvExpand,
        body: Vec<Operator>,
    },
    /// `parse` and (with `filter`) `parse-where`.
    Parse(ParseOp),
    /// `parse-kv source as (name:type, …) with (option = value, …)`
    ParseKv {
        source: Expr,
        columns: Vec<(Ident, TypeName)>,
        options: Vec<(Ident, Expr)>,
    },
    /// A known Kusto operator that kqlog does not run yet: the planner
    /// refuses it by name, so the user learns it is a gap, not a typo.
    Unsupported {
        name: String,
    },
}

impl OperatorKind {
    /// The operator's keyword, for messages.
    pub fn name(&self) -> &str {
        match self {
            OperatorKind::Where { .. } => "where",
            OperatorKind::Project { .. } => "project",
            OperatorKind::ProjectAway { .. } => "project-away",
            OperatorKind::ProjectKeep { .. } => "project-keep",
            OperatorKind::ProjectRename { .. } => "project-rename",
            OperatorKind::ProjectReorder { .. } => "project-reorder",
            OperatorKind::Extend { .. } => "extend",
            OperatorKind::Summarize { .. } => "summarize",
            OperatorKind::Count => "count",
            OperatorKind::Take { .. } => "take",
            OperatorKind::Top { .. } => "top",
            OperatorKind::Sort { .. } => "sort",
            OperatorKind::Distinct { .. } => "distinct",
            OperatorKind::Union { .. } => "union",
            OperatorKind::Join { .. } => "join",
            OperatorKind::Lookup { .. } => "lookup",
            OperatorKind::As { .. } => "as",
            OperatorKind::GetSchema => "getschema",
            OperatorKind::Serialize { .. } => "serialize",
            OperatorKind::Render { .. } => "render",
            OperatorKind::MvExpand(_) => "mv-expand",
            OperatorKind::MakeSeries(_) => "make-series",
            OperatorKind::Search { .. } => "search",
            OperatorKind::TopNested { .. } => "top-nested",
            OperatorKind::Sample { .. } => "sample",
            OperatorKind::SampleDistinct { .. } => "sample-distinct",
            OperatorKind::TopHitters { .. } => "top-hitters",
            OperatorKind::Evaluate { .. } => "evaluate",
            OperatorKind::Invoke { .. } => "invoke",
            OperatorKind::Reduce { .. } => "reduce",
            OperatorKind::MvApply { .. } => "mv-apply",
            OperatorKind::Parse(p) => {
                if p.filter {
                    "parse-where"
                } else {
                    "parse"
                }
            }
            OperatorKind::ParseKv { .. } => "parse-kv",
            OperatorKind::Unsupported { name } => name,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// A column, a scalar `let`, or a function parameter.
    Name(Ident),
    /// `*` as a function argument (`count(*)`, `arg_max(x, *)`).
    Star,
    /// `d.key`
    Member {
        base: Box<Expr>,
        key: Ident,
    },
    /// `d["key"]`, `d[0]`
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `x in (…)`, `x !in~ (…)`, `x has_any (…)`, `x has_all (…)`
    InList {
        expr: Box<Expr>,
        op: ListOp,
        list: Vec<Expr>,
    },
    /// `x in (T | project c)`: the list is a tabular expression.
    InTable {
        expr: Box<Expr>,
        op: ListOp,
        table: Box<TabularExpr>,
    },
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    Call {
        name: Ident,
        args: Vec<Expr>,
    },
    /// A tabular expression where a scalar is expected (`toscalar(T | …)`).
    Tabular(Box<TabularExpr>),
    /// `name = value` as an argument of a user function call (`f(c=7)`).
    NamedArg {
        name: Ident,
        value: Box<Expr>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Plus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOp {
    In,
    NotIn,
    InCi,
    NotInCi,
    HasAny,
    HasAll,
}

impl ListOp {
    pub fn as_str(self) -> &'static str {
        match self {
            ListOp::In => "in",
            ListOp::NotIn => "!in",
            ListOp::InCi => "in~",
            ListOp::NotInCi => "!in~",
            ListOp::HasAny => "has_any",
            ListOp::HasAll => "has_all",
        }
    }
}

/// Binary operators. String predicates carry their case sensitivity and
/// negation in the variant so the planner can pick the matching kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    NotEq,
    EqCi,
    NotEqCi,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Str(StrOp),
    MatchesRegex,
}

/// A string predicate: `has`, `!contains_cs`, `startswith`, …
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StrOp {
    pub kind: StrOpKind,
    pub case_sensitive: bool,
    pub negated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrOpKind {
    Has,
    HasPrefix,
    HasSuffix,
    Contains,
    StartsWith,
    EndsWith,
}

impl StrOp {
    pub fn text(self) -> String {
        let base = match self.kind {
            StrOpKind::Has => "has",
            StrOpKind::HasPrefix => "hasprefix",
            StrOpKind::HasSuffix => "hassuffix",
            StrOpKind::Contains => "contains",
            StrOpKind::StartsWith => "startswith",
            StrOpKind::EndsWith => "endswith",
        };
        format!("{}{}{}", if self.negated { "!" } else { "" }, base, if self.case_sensitive { "_cs" } else { "" })
    }
}

impl BinaryOp {
    pub fn text(self) -> String {
        match self {
            BinaryOp::Or => "or".into(),
            BinaryOp::And => "and".into(),
            BinaryOp::Eq => "==".into(),
            BinaryOp::NotEq => "!=".into(),
            BinaryOp::EqCi => "=~".into(),
            BinaryOp::NotEqCi => "!~".into(),
            BinaryOp::Lt => "<".into(),
            BinaryOp::LtEq => "<=".into(),
            BinaryOp::Gt => ">".into(),
            BinaryOp::GtEq => ">=".into(),
            BinaryOp::Add => "+".into(),
            BinaryOp::Sub => "-".into(),
            BinaryOp::Mul => "*".into(),
            BinaryOp::Div => "/".into(),
            BinaryOp::Mod => "%".into(),
            BinaryOp::Str(op) => op.text(),
            BinaryOp::MatchesRegex => "matches regex".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `long(null)`, `datetime(null)`, …: a null of a given type.
    Null(TypeName),
    Bool(bool),
    Int(i32),
    Long(i64),
    Real(f64),
    /// Kept as text: Kusto decimals have more digits than an f64.
    Decimal(String),
    String(String),
    /// Nanoseconds since the Unix epoch, UTC.
    DateTime(i64),
    /// Nanoseconds.
    TimeSpan(i64),
    Guid(String),
    Dynamic(serde_json::Value),
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Self {
        Expr { kind, span }
    }

    /// A name reference, for expressions the planner builds itself.
    pub fn name(name: &str, span: Span) -> Self {
        Expr::new(ExprKind::Name(Ident { name: name.to_string(), span }), span)
    }

    pub fn call(name: &str, args: Vec<Expr>, span: Span) -> Self {
        Expr::new(ExprKind::Call { name: Ident { name: name.to_string(), span }, args }, span)
    }

    pub fn binary(op: BinaryOp, left: Expr, right: Expr, span: Span) -> Self {
        Expr::new(ExprKind::Binary { op, left: Box::new(left), right: Box::new(right) }, span)
    }
}
