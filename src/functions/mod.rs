//! Kusto's functions: a table from name to a lowering (onto DataFusion
//! built-ins where their semantics match, onto kqlog's own UDFs and UDAFs
//! where they do not).

pub mod aggregates;
pub mod arrays;
pub mod convert;
pub mod datetime;
pub mod dynamic;
pub mod expand;
pub mod logic;
pub mod make_series;
pub mod math;
pub mod patterns;
pub mod search;
pub mod series;
pub mod sketches;
pub mod strings;
pub mod text;
pub mod textparse;
pub mod udaf;
pub mod udf;
pub mod window;

use std::collections::HashMap;
use std::sync::LazyLock;

use datafusion::common::ScalarValue;
use datafusion::logical_expr::Expr;

use crate::diag::{Diagnostic, codes};
use crate::plan::expr::Cx;
use crate::plan::typing;
use crate::plan::{PResult, Planner, Typed};
use crate::syntax::ast::{self, Ident};
use crate::syntax::span::Span;
use crate::types::KType;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FnKind {
    Scalar,
    Aggregate,
    Window,
}

/// A call being lowered: its name, unlowered arguments and context.
pub struct Call<'c, 's> {
    pub name: &'c Ident,
    pub args: &'c [ast::Expr],
    pub span: Span,
    pub cx: Cx<'s>,
}

pub type Lower = fn(&mut Planner, &Call) -> PResult<Typed>;

pub struct FnDef {
    pub kind: FnKind,
    pub min_args: usize,
    pub max_args: usize,
    pub lower: Lower,
}

pub const MANY: usize = usize::MAX;

pub struct Registry(HashMap<&'static str, FnDef>);

impl Registry {
    pub fn scalar(&mut self, names: &[&'static str], min: usize, max: usize, lower: Lower) {
        for n in names {
            self.0.insert(n, FnDef { kind: FnKind::Scalar, min_args: min, max_args: max, lower });
        }
    }

    pub fn aggregate(&mut self, names: &[&'static str], min: usize, max: usize, lower: Lower) {
        for n in names {
            self.0.insert(n, FnDef { kind: FnKind::Aggregate, min_args: min, max_args: max, lower });
        }
    }

    pub fn window(&mut self, names: &[&'static str], min: usize, max: usize, lower: Lower) {
        for n in names {
            self.0.insert(n, FnDef { kind: FnKind::Window, min_args: min, max_args: max, lower });
        }
    }
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
    let mut r = Registry(HashMap::new());
    convert::register(&mut r);
    logic::register(&mut r);
    strings::register(&mut r);
    text::register(&mut r);
    datetime::register(&mut r);
    math::register(&mut r);
    dynamic::register(&mut r);
    arrays::register(&mut r);
    series::register(&mut r);
    sketches::register(&mut r);
    aggregates::register(&mut r);
    window::register(&mut r);
    r
});

pub fn lookup(name: &str) -> Option<&'static FnDef> {
    REGISTRY.0.get(name)
}

pub fn is_aggregate(name: &str) -> bool {
    lookup(name).is_some_and(|d| d.kind == FnKind::Aggregate)
}

/// Every function name kqlog knows, for suggestions and completion.
pub fn names() -> impl Iterator<Item = &'static str> {
    REGISTRY.0.keys().copied()
}

/// Kusto functions kqlog recognises but does not run yet: calling one says
/// so instead of "unknown function".
pub const UNSUPPORTED_FUNCTIONS: &[&str] = &[
    "series_decompose",
    "series_decompose_anomalies",
    "series_decompose_forecast",
    "series_fir",
    "series_iir",
    "series_fit_line",
    "series_fit_2lines",
    "series_periods_detect",
    "series_outliers",
    "geo_point_to_s2cell",
    "geo_distance_2points",
    "ipv6_compare",
    "ipv6_is_match",
    "cursor_after",
    "cursor_current",
    "current_cluster_endpoint",
    "current_database",
    "current_principal",
    "estimate_data_size",
    "extent_id",
    "extent_tags",
    "ingestion_time",
    "rand",
    "datetime_utc_to_local",
    "datetime_local_to_utc",
];

impl Call<'_, '_> {
    /// Lowers argument `n` as a value.
    pub fn arg(&self, p: &mut Planner, n: usize) -> PResult<Typed> {
        match self.args.get(n) {
            Some(a) => p.lower_expr(a, &self.cx.value()),
            None => Err(self.arity_error()),
        }
    }

    pub fn arg_span(&self, n: usize) -> Span {
        self.args.get(n).map_or(self.span, |a| a.span)
    }

    /// Argument `n` as text (`tostring` of other types).
    pub fn string_arg(&self, p: &mut Planner, n: usize) -> PResult<Expr> {
        let t = self.arg(p, n)?;
        Ok(typing::to_string(t))
    }

    /// Argument `n`, converted to `ty`.
    pub fn arg_as(&self, p: &mut Planner, n: usize, ty: KType) -> PResult<Expr> {
        let t = self.arg(p, n)?;
        if t.ty == ty || (ty == KType::Long && t.ty == KType::Int) {
            return Ok(t.expr);
        }
        let numeric_ok = ty.is_numeric() && t.ty.is_numeric();
        if !numeric_ok && !matches!(t.ty, KType::Dynamic | KType::Null | KType::String) && ty != KType::String {
            return Err(Diagnostic::new(
                codes::TYPE_MISMATCH,
                format!("argument {} of `{}()` must be a `{ty}`, not a `{}`", n + 1, self.name.name, t.ty),
            )
            .at(self.arg_span(n)));
        }
        Ok(typing::convert_to(t, ty).expr)
    }

    /// A constant argument, folded to a value.
    pub fn const_arg(&self, p: &mut Planner, n: usize) -> PResult<(ScalarValue, KType)> {
        let t = self.arg(p, n)?;
        let folded = p.fold(&t.expr);
        match folded {
            Some(v) => Ok((v, t.ty)),
            None => Err(Diagnostic::new(
                codes::BAD_VALUE,
                format!("argument {} of `{}()` must be a constant", n + 1, self.name.name),
            )
            .at(self.arg_span(n))),
        }
    }

    pub fn const_string(&self, p: &mut Planner, n: usize) -> PResult<String> {
        let (v, _) = self.const_arg(p, n)?;
        match v {
            ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => Ok(s),
            _ => Err(Diagnostic::new(
                codes::BAD_VALUE,
                format!("argument {} of `{}()` must be a constant string", n + 1, self.name.name),
            )
            .at(self.arg_span(n))),
        }
    }

    pub fn const_f64(&self, p: &mut Planner, n: usize) -> PResult<f64> {
        let (v, _) = self.const_arg(p, n)?;
        match v {
            ScalarValue::Int64(Some(x)) => Ok(x as f64),
            ScalarValue::Int32(Some(x)) => Ok(x.into()),
            ScalarValue::Float64(Some(x)) => Ok(x),
            _ => Err(Diagnostic::new(
                codes::BAD_VALUE,
                format!("argument {} of `{}()` must be a constant number", n + 1, self.name.name),
            )
            .at(self.arg_span(n))),
        }
    }

    pub fn const_i64(&self, p: &mut Planner, n: usize) -> PResult<i64> {
        let f = self.const_f64(p, n)?;
        Ok(f as i64)
    }

    pub fn arity_error(&self) -> Diagnostic {
        Diagnostic::new(codes::BAD_ARGUMENTS, format!("wrong number of arguments for `{}()`", self.name.name))
            .at(self.span)
    }

    pub fn type_error(&self, n: usize, got: KType, want: &str) -> Diagnostic {
        Diagnostic::new(
            codes::TYPE_MISMATCH,
            format!("argument {} of `{}()` must be {want}, not a `{got}`", n + 1, self.name.name),
        )
        .at(self.arg_span(n))
    }

    pub fn error(&self, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::new(codes::BAD_VALUE, msg).at(self.span)
    }
}
