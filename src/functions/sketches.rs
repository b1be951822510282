//! Kusto's sketches: `hll`/`hll_if`/`hll_merge` with `dcount_hll` for
//! distinct counts, and `tdigest`/`tdigest_merge`/`merge_tdigest` with
//! `percentile_tdigest`, `percentiles_array_tdigest` and
//! `percentrank_tdigest` for percentiles.
//!
//! A sketch is a dynamic value in kqlog's own JSON format (Kusto's is not
//! documented, so sketches do not travel between the two):
//!
//! - `{"hll":1,"p":14,"exact":"…"}`: the sorted xxhash64 of each distinct
//!   value's `tostring` text (8 bytes each, big-endian, base64) while there
//!   are at most 2^p/4 of them, so small counts are exact and equal
//!   `dcount`; past that, `{"hll":1,"p":14,"regs":"…"}`: 2^p one-byte
//!   HyperLogLog registers, base64.
//! - `{"tdigest":1,"type":"long","c":[[value,weight],…]}`: centroids sorted
//!   by value. Every distinct value keeps its own centroid up to 1000 of
//!   them; past that, neighbours merge (t-digest's k1 scale, finest at the
//!   tails) to stay within 1000. Percentiles use `percentile`'s nearest-rank
//!   rule, so they equal `percentile` while the digest is exact. Datetimes
//!   and timespans are held as nanoseconds.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock};

use arrow::array::{
    Array, ArrayRef, BooleanArray, DurationNanosecondArray, Float64Array, Int32Array, Int64Array, Int64Builder,
    LargeStringArray, LargeStringBuilder, StringArray, TimestampNanosecondArray,
};
use arrow::datatypes::{DataType, Field, FieldRef};
use base64::Engine;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Expr, ScalarUDF, Signature, Volatility, lit,
};
use datafusion::physical_expr::expressions::Literal;
use serde_json::Value as Json;

use crate::diag::{Diagnostic, codes};
use crate::functions::aggregates::udaf_call;
use crate::functions::convert::{
    Value, parse_real, to_bool, to_datetime, to_json, to_long, to_real, to_text, to_timespan, value_at,
};
use crate::functions::text::type_literal;
use crate::functions::udf::{self, Args, Returns, Strs};
use crate::functions::{Call, MANY, Registry};
use crate::plan::typing;
use crate::plan::{PResult, Planner, Typed};
use crate::syntax::ast::{ExprKind, TypeName};
use crate::types::{KType, UTC, format};

pub fn register(r: &mut Registry) {
    r.aggregate(&["hll"], 1, 2, |p, c| hll(p, c, false));
    r.aggregate(&["hll_if"], 2, 3, |p, c| hll(p, c, true));
    r.scalar(&["dcount_hll"], 1, 1, dcount_hll);
    r.aggregate(&["tdigest"], 1, 2, tdigest);
    // Kusto has these both as an aggregate of one sketch and as a scalar of
    // several, while the registry holds one kind per name: registered as
    // scalars, they become the aggregate for one argument inside `summarize`.
    r.scalar(&["hll_merge"], 1, MANY, |p, c| merge(p, c, Kind::Hll));
    r.scalar(&["tdigest_merge", "merge_tdigest"], 1, MANY, |p, c| merge(p, c, Kind::TDigest));
    r.scalar(&["percentile_tdigest"], 2, 3, percentile_tdigest);
    r.scalar(&["percentiles_array_tdigest"], 2, MANY, percentiles_array_tdigest);
    r.scalar(&["percentrank_tdigest"], 2, 2, percentrank_tdigest);
}

// ---- Lowerings --------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Hll,
    TDigest,
}

fn condition(p: &mut Planner, c: &Call, n: usize) -> PResult<Expr> {
    let t = c.arg(p, n)?;
    typing::require_bool(t, c.arg_span(n), "the condition")
}

fn hll(p: &mut Planner, c: &Call, conditional: bool) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    let filter = if conditional { Some(condition(p, c, 1)?) } else { None };
    let accuracy_at = if conditional { 2 } else { 1 };
    let precision = if c.args.len() > accuracy_at {
        let a = c.const_i64(p, accuracy_at)?;
        hll_precision(a).ok_or_else(|| {
            Diagnostic::new(
                codes::BAD_VALUE,
                format!("the accuracy of `{}()` must be 0, 1, 2, 3 or 4, not {a}", c.name.name),
            )
            .at(c.arg_span(accuracy_at))
        })?
    } else {
        DEFAULT_PRECISION
    };
    Ok(Typed::new(udaf_call(&HLL, vec![v.expr, lit(i64::from(precision))], filter), KType::Dynamic))
}

/// A sketch argument: dynamic, or text that holds a sketch's JSON.
fn sketch_arg(p: &mut Planner, c: &Call, n: usize) -> PResult<Expr> {
    let t = c.arg(p, n)?;
    match t.ty {
        KType::Dynamic | KType::String | KType::Null => Ok(t.expr),
        other => Err(c.type_error(n, other, "a sketch (a `dynamic` value made by `hll()` or `tdigest()`)")),
    }
}

fn merge(p: &mut Planner, c: &Call, kind: Kind) -> PResult<Typed> {
    let mut args = Vec::with_capacity(c.args.len());
    for k in 0..c.args.len() {
        args.push(sketch_arg(p, c, k)?);
    }
    if args.len() == 1 && c.cx.aggregates {
        let f = if kind == Kind::Hll { &HLL_MERGE } else { &TDIGEST_MERGE };
        return Ok(Typed::new(udaf_call(f, args, None), KType::Dynamic));
    }
    let f = if kind == Kind::Hll { &HLL_MERGE_SCALAR } else { &TDIGEST_MERGE_SCALAR };
    Ok(Typed::new(udf::call(f, args), KType::Dynamic))
}

fn dcount_hll(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let s = sketch_arg(p, c, 0)?;
    Ok(Typed::new(udf::call(&DCOUNT_HLL, vec![s]), KType::Long))
}

fn tdigest(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    let v = match v.ty {
        KType::Int | KType::Long | KType::Real | KType::DateTime | KType::TimeSpan => v,
        KType::Decimal | KType::Dynamic | KType::Null => typing::convert_to(v, KType::Real),
        KType::Bool => typing::convert_to(v, KType::Long),
        other => return Err(c.type_error(0, other, "a number, datetime or timespan")),
    };
    let weight = if c.args.len() > 1 { c.arg_as(p, 1, KType::Long)? } else { lit(1i64) };
    Ok(Typed::new(udaf_call(&TDIGEST, vec![v.expr, weight], None), KType::Dynamic))
}

fn is_type_literal(c: &Call, n: usize) -> bool {
    matches!(c.args.get(n).map(|a| &a.kind), Some(ExprKind::Call { name, .. }) if name.name == "typeof")
}

fn percentile_tdigest(p: &mut Planner, c: &Call) -> PResult<Typed> {
    // The digest's type is only known when it is read, so the result type
    // comes from `typeof(T)`, or is `real`.
    let target = if c.args.len() > 2 { type_literal(c, 2)? } else { KType::Real };
    let sketch = sketch_arg(p, c, 0)?;
    let level = c.arg_as(p, 1, KType::Real)?;
    Ok(Typed::new(udf::call(&PERCENTILE_TDIGEST, vec![sketch, level, typing::null_of(target)]), target))
}

fn percentiles_array_tdigest(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let mut levels_end = c.args.len();
    let target = if levels_end > 2 && is_type_literal(c, levels_end - 1) {
        levels_end -= 1;
        Some(type_literal(c, levels_end)?)
    } else {
        None
    };
    let sketch = sketch_arg(p, c, 0)?;
    let mut args = vec![sketch, lit(target.map_or("", KType::name))];
    for k in 1..levels_end {
        let t = c.arg(p, k)?;
        args.push(match t.ty {
            KType::Dynamic => t.expr,
            k2 if k2.is_numeric() || k2 == KType::Null => typing::convert_to(t, KType::Real).expr,
            other => return Err(c.type_error(k, other, "a number or a dynamic array of numbers")),
        });
    }
    Ok(Typed::new(udf::call(&PERCENTILES_ARRAY_TDIGEST, args), KType::Dynamic))
}

fn percentrank_tdigest(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let sketch = sketch_arg(p, c, 0)?;
    let v = c.arg(p, 1)?;
    let v = match v.ty {
        k if k.is_numeric() || matches!(k, KType::DateTime | KType::TimeSpan | KType::Bool | KType::Null) => v,
        KType::Dynamic => typing::convert_to(v, KType::Real),
        other => return Err(c.type_error(1, other, "a number, datetime or timespan")),
    };
    Ok(Typed::new(udf::call(&PERCENTRANK_TDIGEST, vec![sketch, v.expr]), KType::Real))
}

// ---- HyperLogLog ------------------------------------------------------------

const DEFAULT_PRECISION: u8 = 14;
const MIN_PRECISION: u8 = 4;
const MAX_PRECISION: u8 = 18;

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// Kusto's accuracy levels 0–4 as register-index bits (2^12 … 2^18
/// registers, the entry counts Kusto documents).
fn hll_precision(accuracy: i64) -> Option<u8> {
    match accuracy {
        0 => Some(12),
        1 => Some(14),
        2 => Some(16),
        3 => Some(17),
        4 => Some(18),
        _ => None,
    }
}

/// The hash a value counts as: xxhash64 of its `tostring` text, the text
/// `hash()` hashes too. Null (and a dynamic null) is not counted, as in `dcount`.
fn hash_value(v: Value, buf: &mut String) -> Option<u64> {
    match v {
        Value::Null => None,
        Value::Dynamic(j) if j.trim() == "null" => None,
        other => {
            buf.clear();
            to_text(other, buf);
            Some(xxhash_rust::xxh64::xxh64(buf.as_bytes(), 0))
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Repr {
    Exact(HashSet<u64>),
    Registers(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq)]
struct Hll {
    p: u8,
    repr: Repr,
}

/// An exact set stops at 2^p/4 hashes, twice the registers' 2^p bytes: past
/// that, the registers are smaller and linear counting on them is still
/// within a fraction of a percent.
fn exact_limit(p: u8) -> usize {
    (1usize << p) / 4
}

fn set_register(regs: &mut [u8], p: u8, h: u64) {
    let idx = (h >> (64 - u32::from(p))) as usize;
    let rest = h << p;
    let rank = if rest == 0 { 64 - p + 1 } else { rest.leading_zeros() as u8 + 1 };
    if let Some(r) = regs.get_mut(idx)
        && rank > *r
    {
        *r = rank;
    }
}

/// Registers of precision `from` as they would have been with `to` bits of
/// index: the dropped index bits lead the rest of the hash.
fn fold_registers(regs: &[u8], from: u8, to: u8) -> Vec<u8> {
    let d = from - to;
    let mask = (1usize << d) - 1;
    let mut out = vec![0u8; 1 << to];
    for (j, &r) in regs.iter().enumerate() {
        if r == 0 {
            continue;
        }
        let low = j & mask;
        let rank = if low == 0 {
            r.saturating_add(d)
        } else {
            let bits = usize::BITS - low.leading_zeros();
            (u32::from(d) - bits + 1) as u8
        };
        if let Some(slot) = out.get_mut(j >> d)
            && rank > *slot
        {
            *slot = rank;
        }
    }
    out
}

impl Hll {
    fn new(p: u8) -> Self {
        Hll { p, repr: Repr::Exact(HashSet::new()) }
    }

    fn insert(&mut self, h: u64) {
        match &mut self.repr {
            Repr::Exact(s) => {
                s.insert(h);
            }
            Repr::Registers(r) => set_register(r, self.p, h),
        }
        self.densify_if_full();
    }

    fn densify_if_full(&mut self) {
        let full = matches!(&self.repr, Repr::Exact(s) if s.len() > exact_limit(self.p));
        if !full {
            return;
        }
        if let Repr::Exact(s) = &self.repr {
            let mut regs = vec![0u8; 1 << self.p];
            for &h in s {
                set_register(&mut regs, self.p, h);
            }
            self.repr = Repr::Registers(regs);
        }
    }

    /// Lowers the precision to `p` (never raises it).
    fn reduce(&mut self, p: u8) {
        if p >= self.p {
            return;
        }
        if let Repr::Registers(r) = &self.repr {
            self.repr = Repr::Registers(fold_registers(r, self.p, p));
        }
        self.p = p;
        self.densify_if_full();
    }

    /// Sketches of different precisions meet at the lower one, the most
    /// both can answer for.
    fn merge(&mut self, mut other: Hll) {
        let p = self.p.min(other.p);
        self.reduce(p);
        other.reduce(p);
        let mine = std::mem::replace(&mut self.repr, Repr::Exact(HashSet::new()));
        self.repr = match (mine, other.repr) {
            (Repr::Exact(mut a), Repr::Exact(b)) => {
                a.extend(b);
                Repr::Exact(a)
            }
            (Repr::Registers(mut a), Repr::Registers(b)) => {
                for (x, y) in a.iter_mut().zip(b) {
                    *x = (*x).max(y);
                }
                Repr::Registers(a)
            }
            (Repr::Registers(mut a), Repr::Exact(b)) | (Repr::Exact(b), Repr::Registers(mut a)) => {
                for h in b {
                    set_register(&mut a, p, h);
                }
                Repr::Registers(a)
            }
        };
        self.densify_if_full();
    }

    /// The count of an exact set; otherwise HyperLogLog's estimate, by
    /// linear counting while that is the better one. 64-bit hashes need no
    /// large-range correction.
    fn estimate(&self) -> i64 {
        match &self.repr {
            Repr::Exact(s) => s.len() as i64,
            Repr::Registers(regs) => {
                let m = regs.len() as f64;
                let alpha = 0.7213 / (1.0 + 1.079 / m);
                let mut z = 0.0;
                let mut zeros = 0usize;
                for &r in regs {
                    z += 2f64.powi(-i32::from(r));
                    if r == 0 {
                        zeros += 1;
                    }
                }
                let raw = alpha * m * m / z;
                let e = if raw <= 2.5 * m && zeros > 0 { m * (m / zeros as f64).ln() } else { raw };
                e.round() as i64
            }
        }
    }

    fn encode(&self) -> String {
        match &self.repr {
            Repr::Exact(s) => {
                let mut hashes: Vec<u64> = s.iter().copied().collect();
                hashes.sort_unstable();
                let bytes: Vec<u8> = hashes.iter().flat_map(|h| h.to_be_bytes()).collect();
                format!(r#"{{"hll":1,"p":{},"exact":"{}"}}"#, self.p, b64().encode(bytes))
            }
            Repr::Registers(r) => format!(r#"{{"hll":1,"p":{},"regs":"{}"}}"#, self.p, b64().encode(r)),
        }
    }

    fn decode(text: &str) -> Option<Hll> {
        let Ok(Json::Object(m)) = serde_json::from_str::<Json>(text) else { return None };
        m.get("hll")?;
        let p = u8::try_from(m.get("p")?.as_u64()?).ok().filter(|p| (MIN_PRECISION..=MAX_PRECISION).contains(p))?;
        if let Some(regs) = m.get("regs") {
            let regs = b64().decode(regs.as_str()?).ok()?;
            return (regs.len() == (1 << p)).then_some(Hll { p, repr: Repr::Registers(regs) });
        }
        let bytes = b64().decode(m.get("exact")?.as_str()?).ok()?;
        if !bytes.len().is_multiple_of(8) {
            return None;
        }
        let set = bytes.chunks_exact(8).filter_map(|c| <[u8; 8]>::try_from(c).ok()).map(u64::from_be_bytes).collect();
        let mut h = Hll { p, repr: Repr::Exact(set) };
        h.densify_if_full();
        Some(h)
    }

    fn size(&self) -> usize {
        match &self.repr {
            Repr::Exact(s) => s.capacity() * 16,
            Repr::Registers(r) => r.len(),
        }
    }
}

fn parse_hll(text: &str) -> Result<Hll> {
    match Hll::decode(text) {
        Some(h) => Ok(h),
        None => exec_err!("not an hll sketch (one made by hll(), hll_if() or hll_merge()): {}", clip(text)),
    }
}

/// Sketch `i` of a column; null, `""` and JSON `null` mean no sketch.
fn sketch_at<'a>(s: &Strs<'a>, i: usize) -> Option<&'a str> {
    s.get(i).filter(|t| !matches!(t.trim(), "" | "null"))
}

/// The start of a bad value, for an error message.
fn clip(text: &str) -> String {
    let mut s: String = text.chars().take(40).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

// ---- t-digest ---------------------------------------------------------------

const MAX_CENTROIDS: usize = 1000;
/// Values gathered before sorting and compressing again.
const BUFFER: usize = 4 * MAX_CENTROIDS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DigestType {
    Long,
    Real,
    DateTime,
    TimeSpan,
}

impl DigestType {
    fn name(self) -> &'static str {
        match self {
            DigestType::Long => "long",
            DigestType::Real => "real",
            DigestType::DateTime => "datetime",
            DigestType::TimeSpan => "timespan",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "long" => DigestType::Long,
            "real" => DigestType::Real,
            "datetime" => DigestType::DateTime,
            "timespan" => DigestType::TimeSpan,
            _ => return None,
        })
    }

    fn of_arrow(dt: &DataType) -> Self {
        match KType::of_arrow(dt) {
            Some(KType::Int | KType::Long | KType::Bool) => DigestType::Long,
            Some(KType::DateTime) => DigestType::DateTime,
            Some(KType::TimeSpan) => DigestType::TimeSpan,
            _ => DigestType::Real,
        }
    }
}

/// A centroid's value: integer-like types stay exact as `i64` (datetimes
/// in nanoseconds are beyond `f64`'s exact integers).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Pt {
    I(i64),
    F(f64),
}

impl Pt {
    fn of(v: Value) -> Option<Pt> {
        Some(match v {
            Value::Long(x) | Value::DateTime(x) | Value::TimeSpan(x) => Pt::I(x),
            Value::Bool(b) => Pt::I(i64::from(b)),
            Value::Real(x) => Pt::F(x),
            Value::Null => return None,
            other => Pt::F(to_real(other)?),
        })
    }

    fn to_f64(self) -> f64 {
        match self {
            Pt::I(v) => v as f64,
            Pt::F(v) => v,
        }
    }

    fn order(self, o: Pt) -> Ordering {
        match (self, o) {
            (Pt::I(a), Pt::I(b)) => a.cmp(&b),
            (Pt::F(a), Pt::F(b)) => a.total_cmp(&b),
            (Pt::I(a), Pt::F(b)) => (a as f64).total_cmp(&b),
            (Pt::F(a), Pt::I(b)) => a.total_cmp(&(b as f64)),
        }
    }

    fn to_json(self) -> Json {
        match self {
            Pt::I(v) => Json::from(v),
            Pt::F(v) => serde_json::Number::from_f64(v).map_or_else(|| Json::String(format::real(v)), Json::Number),
        }
    }
}

/// Neighbours being merged into one centroid. The mean is kept as an
/// offset from the first value so that nanosecond datetimes keep their
/// precision.
struct Group {
    base: Pt,
    offset: f64,
    weight: i64,
}

impl Group {
    fn new(base: Pt, weight: i64) -> Self {
        Group { base, offset: 0.0, weight }
    }

    fn add(&mut self, v: Pt, w: i64) {
        let diff = match (v, self.base) {
            (Pt::I(a), Pt::I(b)) => (i128::from(a) - i128::from(b)) as f64,
            _ => v.to_f64() - self.base.to_f64(),
        };
        self.offset += diff * w as f64;
        self.weight = self.weight.saturating_add(w);
    }

    fn finish(self) -> (Pt, i64) {
        if self.offset == 0.0 || self.weight <= 0 {
            return (self.base, self.weight);
        }
        let shift = self.offset / self.weight as f64;
        let mean = match self.base {
            Pt::I(b) => Pt::I(b.saturating_add(shift.round() as i64)),
            Pt::F(b) => Pt::F(b + shift),
        };
        (mean, self.weight)
    }
}

/// One pass of the merging t-digest with the k1 scale function and
/// compression `delta`: neighbours merge while the group spans at most one
/// unit of k, so centroids stay small near the tails.
fn k1_merge(sorted: &[(Pt, i64)], delta: f64, total: f64) -> Vec<(Pt, i64)> {
    use std::f64::consts::{FRAC_PI_2, PI};
    let k = |q: f64| delta / (2.0 * PI) * (2.0 * q - 1.0).clamp(-1.0, 1.0).asin();
    let q_at = |kv: f64| ((kv * 2.0 * PI / delta).clamp(-FRAC_PI_2, FRAC_PI_2).sin() + 1.0) / 2.0;
    let mut out = Vec::new();
    let mut items = sorted.iter();
    let Some(&(first, w0)) = items.next() else { return out };
    let mut group = Group::new(first, w0);
    let mut before = 0.0;
    let mut limit = q_at(k(0.0) + 1.0);
    for &(v, w) in items {
        let q = (before + group.weight as f64 + w as f64) / total;
        if q <= limit {
            group.add(v, w);
        } else {
            before += group.weight as f64;
            out.push(group.finish());
            limit = q_at(k(before / total) + 1.0);
            group = Group::new(v, w);
        }
    }
    out.push(group.finish());
    out
}

/// Merges sorted, distinct centroids down to at most `max`.
fn compress(sorted: &[(Pt, i64)], max: usize) -> Vec<(Pt, i64)> {
    let total: f64 = sorted.iter().map(|(_, w)| *w as f64).sum();
    // k1 spans `delta / 2` units of k and a centroid up to one, so a pass
    // gives about `delta / 2` centroids, sometimes a few more than `max`.
    let mut delta = 2.0 * max as f64;
    loop {
        let out = k1_merge(sorted, delta, total);
        if out.len() <= max || delta < 2.0 {
            return out;
        }
        delta *= 0.9;
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Digest {
    ty: DigestType,
    /// Sorted by value with distinct values after `normalize`; unsorted
    /// additions may follow while a digest is being built.
    c: Vec<(Pt, i64)>,
}

impl Digest {
    fn new(ty: DigestType) -> Self {
        Digest { ty, c: Vec::new() }
    }

    fn coerce(&self, v: Pt) -> Pt {
        match (self.ty, v) {
            (DigestType::Real, Pt::I(x)) => Pt::F(x as f64),
            (DigestType::Real, f) => f,
            (_, Pt::F(x)) => Pt::I(x.round() as i64),
            (_, i) => i,
        }
    }

    fn push(&mut self, v: Pt, w: i64) {
        let v = self.coerce(v);
        self.c.push((v, w));
        if self.c.len() >= BUFFER {
            self.normalize();
        }
    }

    fn normalize(&mut self) {
        self.c.sort_by(|a, b| a.0.order(b.0));
        let mut out: Vec<(Pt, i64)> = Vec::with_capacity(self.c.len());
        for (v, w) in self.c.drain(..) {
            match out.last_mut() {
                Some((lv, lw)) if lv.order(v) == Ordering::Equal => *lw = lw.saturating_add(w),
                _ => out.push((v, w)),
            }
        }
        self.c = if out.len() > MAX_CENTROIDS { compress(&out, MAX_CENTROIDS) } else { out };
    }

    /// Digests of longs and reals merge as reals; other mixes have no
    /// common order.
    fn merge(&mut self, other: Digest) -> Result<()> {
        if self.ty != other.ty {
            match (self.ty, other.ty) {
                (DigestType::Long, DigestType::Real) | (DigestType::Real, DigestType::Long) => {
                    self.ty = DigestType::Real;
                    let mine = std::mem::take(&mut self.c);
                    self.c = mine.into_iter().map(|(v, w)| (Pt::F(v.to_f64()), w)).collect();
                }
                (a, b) => {
                    return exec_err!("cannot merge a tdigest of {} values with one of {} values", a.name(), b.name());
                }
            }
        }
        for (v, w) in other.c {
            let v = self.coerce(v);
            self.c.push((v, w));
        }
        self.normalize();
        Ok(())
    }

    fn total(&self) -> i64 {
        self.c.iter().fold(0i64, |a, (_, w)| a.saturating_add(*w))
    }

    /// `percentile`'s nearest rank: the first value whose cumulative weight
    /// reaches `p`% of the total. The digest must be normalized.
    fn percentile(&self, p: f64) -> Option<Pt> {
        let total = self.total();
        if total <= 0 || p.is_nan() {
            return None;
        }
        let rank = ((p.clamp(0.0, 100.0) / 100.0) * total as f64).ceil().max(1.0) as i64;
        let mut acc = 0i64;
        for (v, w) in &self.c {
            acc = acc.saturating_add(*w);
            if acc >= rank {
                return Some(*v);
            }
        }
        self.c.last().map(|(v, _)| *v)
    }

    /// The percentage of the weight at or below `v`: the inverse of
    /// [`Digest::percentile`] for values in the digest.
    fn percentrank(&self, v: Pt) -> Option<f64> {
        let total = self.total();
        if total <= 0 {
            return None;
        }
        let v = self.coerce(v);
        let below =
            self.c.iter().filter(|(c, _)| c.order(v) != Ordering::Greater).fold(0i64, |a, (_, w)| a.saturating_add(*w));
        Some(100.0 * below as f64 / total as f64)
    }

    /// A centroid value as a value of the digest's type.
    fn value(&self, v: Pt) -> Value<'static> {
        match (self.ty, v) {
            (DigestType::Real, v) => Value::Real(v.to_f64()),
            (_, Pt::F(x)) => Value::Real(x),
            (DigestType::Long, Pt::I(x)) => Value::Long(x),
            (DigestType::DateTime, Pt::I(x)) => Value::DateTime(x),
            (DigestType::TimeSpan, Pt::I(x)) => Value::TimeSpan(x),
        }
    }

    fn encode(&mut self) -> String {
        self.normalize();
        let c: Vec<Json> = self.c.iter().map(|(v, w)| Json::Array(vec![v.to_json(), Json::from(*w)])).collect();
        let mut m = serde_json::Map::new();
        m.insert("tdigest".into(), Json::from(1));
        m.insert("type".into(), Json::String(self.ty.name().into()));
        m.insert("c".into(), Json::Array(c));
        Json::Object(m).to_string()
    }

    fn decode(text: &str) -> Option<Digest> {
        let Ok(Json::Object(m)) = serde_json::from_str::<Json>(text) else { return None };
        m.get("tdigest")?;
        let mut d = Digest::new(DigestType::parse(m.get("type")?.as_str()?)?);
        for item in m.get("c")?.as_array()? {
            let pair = item.as_array()?;
            let v = match pair.first()? {
                Json::Number(n) => match n.as_i64() {
                    Some(i) => Pt::I(i),
                    None => Pt::F(n.as_f64()?),
                },
                Json::String(s) => Pt::F(parse_real(s)?),
                _ => return None,
            };
            let w = pair.get(1)?.as_i64()?;
            if w > 0 {
                let v = d.coerce(v);
                d.c.push((v, w));
            }
        }
        d.normalize();
        Some(d)
    }

    fn size(&self) -> usize {
        self.c.capacity() * std::mem::size_of::<(Pt, i64)>()
    }
}

fn parse_digest(text: &str) -> Result<Digest> {
    match Digest::decode(text) {
        Some(d) => Ok(d),
        None => exec_err!("not a tdigest sketch (one made by tdigest() or tdigest_merge()): {}", clip(text)),
    }
}

// ---- Aggregates -------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum AggKind {
    Hll,
    HllMerge,
    TDigest,
    TDigestMerge,
}

/// `hll(x, precision)`, `hll_merge(sketch)`, `tdigest(x, weight)`,
/// `tdigest_merge(sketch)`: each gives a sketch, and partial results travel
/// between partitions as sketches too.
#[derive(Debug)]
struct SketchAgg {
    kind: AggKind,
    signature: Signature,
}

impl PartialEq for SketchAgg {
    fn eq(&self, o: &Self) -> bool {
        self.kind == o.kind
    }
}
impl Eq for SketchAgg {}
impl Hash for SketchAgg {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
    }
}

fn literal_i64(args: &AccumulatorArgs, n: usize) -> Option<i64> {
    let e = args.exprs.get(n)?;
    let l = e.downcast_ref::<Literal>()?;
    match l.value() {
        ScalarValue::Int64(Some(v)) => Some(*v),
        ScalarValue::Int32(Some(v)) => Some(i64::from(*v)),
        _ => None,
    }
}

impl AggregateUDFImpl for SketchAgg {
    fn name(&self) -> &str {
        match self.kind {
            AggKind::Hll => "kql_hll",
            AggKind::HllMerge => "kql_hll_merge",
            AggKind::TDigest => "kql_tdigest",
            AggKind::TDigestMerge => "kql_tdigest_merge",
        }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::LargeUtf8)
    }
    fn is_nullable(&self) -> bool {
        false
    }
    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(match self.kind {
            AggKind::Hll => {
                let p = literal_i64(&args, 1)
                    .and_then(|v| u8::try_from(v).ok())
                    .filter(|p| (MIN_PRECISION..=MAX_PRECISION).contains(p))
                    .unwrap_or(DEFAULT_PRECISION);
                Box::new(HllAcc { merging: false, sketch: Some(Hll::new(p)), text: String::new() })
            }
            AggKind::HllMerge => Box::new(HllAcc { merging: true, sketch: None, text: String::new() }),
            AggKind::TDigest => {
                let ty = args.expr_fields.first().map_or(DigestType::Real, |f| DigestType::of_arrow(f.data_type()));
                Box::new(TDigestAcc { merging: false, digest: Some(Digest::new(ty)) })
            }
            AggKind::TDigestMerge => Box::new(TDigestAcc { merging: true, digest: None }),
        })
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(format!("{}_sketch", args.name), DataType::LargeUtf8, true))])
    }
}

/// Keeps the first item, merging the later ones into it.
fn absorb<T>(slot: &mut Option<T>, item: T, merge: impl FnOnce(&mut T, T) -> Result<()>) -> Result<()> {
    if let Some(acc) = slot.as_mut() {
        merge(acc, item)
    } else {
        *slot = Some(item);
        Ok(())
    }
}

#[derive(Debug)]
struct HllAcc {
    /// Input rows are sketches (`hll_merge`) rather than values (`hll`).
    merging: bool,
    /// `None` until `hll_merge` sees its first sketch.
    sketch: Option<Hll>,
    text: String,
}

impl HllAcc {
    fn merge_sketches(&mut self, a: &dyn Array) -> Result<()> {
        let s = Strs::of(a)?;
        for i in 0..a.len() {
            if let Some(t) = sketch_at(&s, i) {
                absorb(&mut self.sketch, parse_hll(t)?, |acc, h| {
                    acc.merge(h);
                    Ok(())
                })?;
            }
        }
        Ok(())
    }

    fn result(&self) -> ScalarValue {
        let text = match &self.sketch {
            Some(h) => h.encode(),
            None => Hll::new(DEFAULT_PRECISION).encode(),
        };
        ScalarValue::LargeUtf8(Some(text))
    }
}

impl Accumulator for HllAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(a) = values.first() else { return Ok(()) };
        if self.merging {
            return self.merge_sketches(a.as_ref());
        }
        let sketch = self.sketch.get_or_insert_with(|| Hll::new(DEFAULT_PRECISION));
        for i in 0..a.len() {
            if let Some(h) = hash_value(value_at(a.as_ref(), i)?, &mut self.text) {
                sketch.insert(h);
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(self.result())
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.sketch.as_ref().map_or(0, Hll::size) + self.text.capacity()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.result()])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        match states.first() {
            Some(a) => self.merge_sketches(a.as_ref()),
            None => Ok(()),
        }
    }
}

#[derive(Debug)]
struct TDigestAcc {
    /// Input rows are digests (`tdigest_merge`) rather than values (`tdigest`).
    merging: bool,
    /// `None` until `tdigest_merge` sees its first digest.
    digest: Option<Digest>,
}

impl TDigestAcc {
    fn merge_digests(&mut self, a: &dyn Array) -> Result<()> {
        let s = Strs::of(a)?;
        for i in 0..a.len() {
            if let Some(t) = sketch_at(&s, i) {
                absorb(&mut self.digest, parse_digest(t)?, Digest::merge)?;
            }
        }
        Ok(())
    }

    fn result(&mut self) -> ScalarValue {
        let d = self.digest.get_or_insert_with(|| Digest::new(DigestType::Real));
        ScalarValue::LargeUtf8(Some(d.encode()))
    }
}

impl Accumulator for TDigestAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(x) = values.first() else { return Ok(()) };
        if self.merging {
            return self.merge_digests(x.as_ref());
        }
        let d = self.digest.get_or_insert_with(|| Digest::new(DigestType::of_arrow(x.data_type())));
        let weights = values.get(1);
        for i in 0..x.len() {
            let Some(v) = Pt::of(value_at(x.as_ref(), i)?) else { continue };
            let w = match weights {
                Some(wa) => to_long(value_at(wa.as_ref(), i)?).unwrap_or(0),
                None => 1,
            };
            if w > 0 {
                d.push(v, w);
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(self.result())
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.digest.as_ref().map_or(0, Digest::size)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.result()])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        match states.first() {
            Some(a) => self.merge_digests(a.as_ref()),
            None => Ok(()),
        }
    }
}

fn sketch_udaf(kind: AggKind, args: usize) -> Arc<AggregateUDF> {
    Arc::new(AggregateUDF::new_from_impl(SketchAgg { kind, signature: Signature::any(args, Volatility::Immutable) }))
}

pub static HLL: LazyLock<Arc<AggregateUDF>> = LazyLock::new(|| sketch_udaf(AggKind::Hll, 2));
pub static HLL_MERGE: LazyLock<Arc<AggregateUDF>> = LazyLock::new(|| sketch_udaf(AggKind::HllMerge, 1));
pub static TDIGEST: LazyLock<Arc<AggregateUDF>> = LazyLock::new(|| sketch_udaf(AggKind::TDigest, 2));
pub static TDIGEST_MERGE: LazyLock<Arc<AggregateUDF>> = LazyLock::new(|| sketch_udaf(AggKind::TDigestMerge, 1));

// ---- Scalar functions -------------------------------------------------------

fn eval_dcount_hll(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    let mut b = Int64Builder::with_capacity(args.rows);
    for i in 0..args.rows {
        match sketch_at(&s, i) {
            Some(t) => b.append_value(parse_hll(t)?.estimate()),
            None => b.append_null(),
        }
    }
    Ok(Arc::new(b.finish()))
}

fn eval_hll_merge(args: &Args) -> Result<ArrayRef> {
    let cols = (0..args.len()).map(|k| args.str(k)).collect::<Result<Vec<_>>>()?;
    let mut b = LargeStringBuilder::with_capacity(args.rows, args.rows * 64);
    for i in 0..args.rows {
        let mut acc: Option<Hll> = None;
        for s in &cols {
            if let Some(t) = sketch_at(s, i) {
                absorb(&mut acc, parse_hll(t)?, |a, h| {
                    a.merge(h);
                    Ok(())
                })?;
            }
        }
        b.append_option(acc.map(|h| h.encode()));
    }
    Ok(Arc::new(b.finish()))
}

fn eval_tdigest_merge(args: &Args) -> Result<ArrayRef> {
    let cols = (0..args.len()).map(|k| args.str(k)).collect::<Result<Vec<_>>>()?;
    let mut b = LargeStringBuilder::with_capacity(args.rows, args.rows * 64);
    for i in 0..args.rows {
        let mut acc: Option<Digest> = None;
        for s in &cols {
            if let Some(t) = sketch_at(s, i) {
                absorb(&mut acc, parse_digest(t)?, Digest::merge)?;
            }
        }
        b.append_option(acc.map(|mut d| d.encode()));
    }
    Ok(Arc::new(b.finish()))
}

/// Values as an array of `ty`, converted as the `to*` functions convert.
fn typed_array(vals: &[Option<Value>], ty: &DataType) -> Result<ArrayRef> {
    let text = |v: Value| {
        let mut s = String::new();
        to_text(v, &mut s);
        s
    };
    Ok(match ty {
        DataType::Int64 => Arc::new(vals.iter().map(|v| v.and_then(to_long)).collect::<Int64Array>()),
        DataType::Int32 => Arc::new(vals.iter().map(|v| v.and_then(to_long).map(|x| x as i32)).collect::<Int32Array>()),
        DataType::Float64 => Arc::new(vals.iter().map(|v| v.and_then(to_real)).collect::<Float64Array>()),
        DataType::Boolean => Arc::new(vals.iter().map(|v| v.and_then(to_bool)).collect::<BooleanArray>()),
        DataType::Timestamp(..) => Arc::new(
            vals.iter().map(|v| v.and_then(to_datetime)).collect::<TimestampNanosecondArray>().with_timezone(UTC),
        ),
        DataType::Duration(_) => {
            Arc::new(vals.iter().map(|v| v.and_then(to_timespan)).collect::<DurationNanosecondArray>())
        }
        DataType::Utf8 => Arc::new(vals.iter().map(|v| v.map(text)).collect::<StringArray>()),
        DataType::LargeUtf8 => {
            Arc::new(vals.iter().map(|v| v.map(|x| to_json(x).to_string())).collect::<LargeStringArray>())
        }
        other => {
            let reals: ArrayRef = Arc::new(vals.iter().map(|v| v.and_then(to_real)).collect::<Float64Array>());
            arrow::compute::cast(&reals, other)?
        }
    })
}

fn eval_percentile_tdigest(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    let levels = args.array(1)?;
    let mut out: Vec<Option<Value>> = Vec::with_capacity(args.rows);
    for i in 0..args.rows {
        let v = match (sketch_at(&s, i), to_real(value_at(levels.as_ref(), i)?)) {
            (Some(t), Some(p)) => {
                let d = parse_digest(t)?;
                d.percentile(p).map(|pt| d.value(pt))
            }
            _ => None,
        };
        out.push(v);
    }
    typed_array(&out, args.return_type)
}

/// A percentile as an element of `percentiles_array_tdigest`'s array:
/// as its own type, or converted to the `typeof(T)` given.
fn element_json(v: Value, target: Option<KType>) -> Json {
    let Some(target) = target else { return to_json(v) };
    let or_null = |j: Option<Json>| j.unwrap_or(Json::Null);
    match target {
        KType::Int | KType::Long => or_null(to_long(v).map(Json::from)),
        KType::Real | KType::Decimal => or_null(to_real(v).map(|x| to_json(Value::Real(x)))),
        KType::DateTime => or_null(to_datetime(v).map(|ns| to_json(Value::DateTime(ns)))),
        KType::TimeSpan => or_null(to_timespan(v).map(|ns| to_json(Value::TimeSpan(ns)))),
        KType::Bool => or_null(to_bool(v).map(Json::Bool)),
        KType::String | KType::Guid => {
            let mut s = String::new();
            to_text(v, &mut s);
            Json::String(s)
        }
        KType::Dynamic | KType::Null => to_json(v),
    }
}

/// Percentile levels from a number or a dynamic array of numbers.
fn push_levels(v: Value, out: &mut Vec<Option<f64>>) {
    if let Value::Dynamic(j) = v
        && let Ok(Json::Array(items)) = serde_json::from_str::<Json>(j)
    {
        out.extend(items.iter().map(Json::as_f64));
        return;
    }
    out.push(to_real(v));
}

fn eval_percentiles_array_tdigest(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    let target = args.const_str(1).flatten().and_then(TypeName::parse).map(KType::from_type_name);
    let level_cols = (2..args.len()).map(|k| args.array(k)).collect::<Result<Vec<_>>>()?;
    let mut b = LargeStringBuilder::with_capacity(args.rows, args.rows * 32);
    let mut levels = Vec::new();
    for i in 0..args.rows {
        let Some(t) = sketch_at(&s, i) else {
            b.append_null();
            continue;
        };
        let d = parse_digest(t)?;
        levels.clear();
        for a in &level_cols {
            push_levels(value_at(a.as_ref(), i)?, &mut levels);
        }
        let items: Vec<Json> = levels
            .iter()
            .map(|p| match p.and_then(|p| d.percentile(p)) {
                Some(pt) => element_json(d.value(pt), target),
                None => Json::Null,
            })
            .collect();
        b.append_value(Json::Array(items).to_string());
    }
    Ok(Arc::new(b.finish()))
}

fn eval_percentrank_tdigest(args: &Args) -> Result<ArrayRef> {
    let s = args.str(0)?;
    let values = args.array(1)?;
    let mut out = Vec::with_capacity(args.rows);
    for i in 0..args.rows {
        let r = match (sketch_at(&s, i), Pt::of(value_at(values.as_ref(), i)?)) {
            (Some(t), Some(v)) => parse_digest(t)?.percentrank(v),
            _ => None,
        };
        out.push(r);
    }
    Ok(Arc::new(Float64Array::from(out)))
}

static DCOUNT_HLL: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_dcount_hll", Returns::Fixed(DataType::Int64), false, eval_dcount_hll));
static HLL_MERGE_SCALAR: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_hll_merge_scalar", Returns::Fixed(DataType::LargeUtf8), false, eval_hll_merge));
static TDIGEST_MERGE_SCALAR: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    udf::make("kql_tdigest_merge_scalar", Returns::Fixed(DataType::LargeUtf8), false, eval_tdigest_merge)
});
/// Argument 2 is a typed null whose type is the result's.
static PERCENTILE_TDIGEST: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_percentile_tdigest", Returns::Arg(2), false, eval_percentile_tdigest));
static PERCENTILES_ARRAY_TDIGEST: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    udf::make(
        "kql_percentiles_array_tdigest",
        Returns::Fixed(DataType::LargeUtf8),
        false,
        eval_percentiles_array_tdigest,
    )
});
static PERCENTRANK_TDIGEST: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    udf::make("kql_percentrank_tdigest", Returns::Fixed(DataType::Float64), false, eval_percentrank_tdigest)
});

#[cfg(test)]
mod tests {
    use super::*;

    fn hll_of(p: u8, items: impl IntoIterator<Item = String>) -> Hll {
        let mut h = Hll::new(p);
        let mut buf = String::new();
        for s in items {
            if let Some(x) = hash_value(Value::Str(&s), &mut buf) {
                h.insert(x);
            }
        }
        h
    }

    fn pods(range: std::ops::Range<usize>) -> impl Iterator<Item = String> {
        range.map(|i| format!("pod-{i}"))
    }

    fn digest_of(ty: DigestType, values: &[(Pt, i64)]) -> Digest {
        let mut d = Digest::new(ty);
        for &(v, w) in values {
            d.push(v, w);
        }
        d.normalize();
        d
    }

    #[test]
    fn accuracy_levels() {
        assert_eq!(hll_precision(0), Some(12));
        assert_eq!(hll_precision(1), Some(14));
        assert_eq!(hll_precision(4), Some(18));
        assert_eq!(hll_precision(5), None);
    }

    #[test]
    fn small_sets_are_exact() {
        let h = hll_of(14, pods(0..300).chain(pods(0..300)));
        assert!(matches!(h.repr, Repr::Exact(_)));
        assert_eq!(h.estimate(), 300);
        assert_eq!(hll_of(14, std::iter::empty()).estimate(), 0);
    }

    #[test]
    fn nulls_are_not_counted() {
        let mut buf = String::new();
        assert_eq!(hash_value(Value::Null, &mut buf), None);
        assert_eq!(hash_value(Value::Dynamic("null"), &mut buf), None);
        // A long and its text count as the same value, as `tostring` makes them.
        assert_eq!(hash_value(Value::Long(42), &mut buf), hash_value(Value::Str("42"), &mut buf));
    }

    #[test]
    fn hll_round_trip() {
        let exact = hll_of(12, pods(0..100));
        assert_eq!(Hll::decode(&exact.encode()), Some(exact.clone()));
        let dense = hll_of(12, pods(0..5000));
        assert!(matches!(dense.repr, Repr::Registers(_)));
        assert_eq!(Hll::decode(&dense.encode()), Some(dense.clone()));
        assert_eq!(Hll::decode(r#"{"hll":1,"p":30,"exact":""}"#), None);
        assert_eq!(Hll::decode(r#"{"tdigest":1}"#), None);
        assert_eq!(Hll::decode("[1,2]"), None);
    }

    #[test]
    fn estimate_within_two_percent() {
        for p in [14u8, 16] {
            let e = hll_of(p, pods(0..100_000)).estimate();
            let err = (e - 100_000).abs() as f64 / 100_000.0;
            assert!(err < 0.02, "p={p}: estimate {e}");
        }
    }

    #[test]
    fn linear_counting_range() {
        // Past the exact limit of p=12 (1024) but in linear counting's range.
        let e = hll_of(12, pods(0..3000)).estimate();
        assert!((e - 3000).abs() < 60, "estimate {e}");
    }

    #[test]
    fn merge_takes_the_lower_precision() {
        let mut a = hll_of(16, pods(0..200));
        a.merge(hll_of(14, pods(100..400)));
        assert_eq!(a.p, 14);
        assert_eq!(a.estimate(), 400);

        // Folded registers equal registers built at the lower precision.
        let mut hi = hll_of(16, pods(0..40_000));
        hi.reduce(12);
        assert_eq!(hi, hll_of(12, pods(0..40_000)));

        let mut dense = hll_of(12, pods(0..20_000));
        dense.merge(hll_of(14, pods(10_000..30_000)));
        assert_eq!(dense, hll_of(12, pods(0..30_000)));
    }

    #[test]
    fn merged_exact_sets_densify_past_the_limit() {
        let mut a = hll_of(12, pods(0..1000));
        a.merge(hll_of(12, pods(1000..2000)));
        assert!(matches!(a.repr, Repr::Registers(_)));
        assert_eq!(a, hll_of(12, pods(0..2000)));
    }

    #[test]
    fn percentile_by_nearest_rank() {
        let d = digest_of(DigestType::Long, &[(Pt::I(40), 1), (Pt::I(10), 1), (Pt::I(30), 1), (Pt::I(20), 1)]);
        assert_eq!(d.percentile(0.0), Some(Pt::I(10)));
        assert_eq!(d.percentile(25.0), Some(Pt::I(10)));
        assert_eq!(d.percentile(50.0), Some(Pt::I(20)));
        assert_eq!(d.percentile(51.0), Some(Pt::I(30)));
        assert_eq!(d.percentile(100.0), Some(Pt::I(40)));
        assert_eq!(d.percentile(f64::NAN), None);
        assert_eq!(Digest::new(DigestType::Long).percentile(50.0), None);
    }

    #[test]
    fn weights_and_duplicates() {
        let d = digest_of(DigestType::Long, &[(Pt::I(5), 3), (Pt::I(1), 1), (Pt::I(5), 2), (Pt::I(9), 4)]);
        assert_eq!(d.c, vec![(Pt::I(1), 1), (Pt::I(5), 5), (Pt::I(9), 4)]);
        assert_eq!(d.percentile(10.0), Some(Pt::I(1)));
        assert_eq!(d.percentile(60.0), Some(Pt::I(5)));
        assert_eq!(d.percentile(61.0), Some(Pt::I(9)));
        assert_eq!(d.percentrank(Pt::I(5)), Some(60.0));
        assert_eq!(d.percentrank(Pt::I(0)), Some(0.0));
        assert_eq!(d.percentrank(Pt::I(100)), Some(100.0));
    }

    #[test]
    fn large_digests_compress() {
        let values: Vec<(Pt, i64)> = (1..=10_000).map(|v| (Pt::I(v), 1)).collect();
        let d = digest_of(DigestType::Long, &values);
        assert!(d.c.len() <= MAX_CENTROIDS, "{} centroids", d.c.len());
        assert_eq!(d.total(), 10_000);
        assert_eq!(d.percentile(0.0), Some(Pt::I(1)));
        assert_eq!(d.percentile(100.0), Some(Pt::I(10_000)));
        for p in [10.0, 50.0, 90.0, 99.0] {
            let got = match d.percentile(p) {
                Some(Pt::I(v)) => v as f64,
                _ => f64::NAN,
            };
            assert!((got - p * 100.0).abs() <= 100.0, "p{p}: {got}");
        }
    }

    #[test]
    fn digest_round_trip() {
        let base = 1_793_000_000_123_456_789i64;
        let d = digest_of(DigestType::DateTime, &[(Pt::I(base), 2), (Pt::I(base + 1), 1)]);
        let mut copy = d.clone();
        let text = copy.encode();
        assert_eq!(text, format!(r#"{{"tdigest":1,"type":"datetime","c":[[{base},2],[{},1]]}}"#, base + 1));
        assert_eq!(Digest::decode(&text), Some(d.clone()));
        assert!(matches!(d.value(Pt::I(base)), Value::DateTime(v) if v == base));
        assert_eq!(Digest::decode(r#"{"tdigest":1,"type":"text","c":[]}"#), None);
        assert_eq!(Digest::decode(r#"{"hll":1}"#), None);
    }

    #[test]
    fn digest_merge() {
        let mut a = digest_of(DigestType::Long, &[(Pt::I(1), 1), (Pt::I(3), 1)]);
        assert!(a.merge(digest_of(DigestType::Real, &[(Pt::F(2.5), 2)])).is_ok());
        assert_eq!(a.ty, DigestType::Real);
        assert_eq!(a.c, vec![(Pt::F(1.0), 1), (Pt::F(2.5), 2), (Pt::F(3.0), 1)]);
        let mut t = digest_of(DigestType::TimeSpan, &[(Pt::I(1), 1)]);
        assert!(t.merge(digest_of(DigestType::DateTime, &[(Pt::I(1), 1)])).is_err());
    }
}
