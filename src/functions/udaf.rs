//! kqlog's aggregate functions where DataFusion has none with Kusto's
//! semantics: `make_list`/`make_set`/`make_bag` (dynamic results),
//! `arg_max`/`arg_min` (null keys, first row wins ties), and nearest-rank
//! `percentile`/`percentilew`.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock};

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility};
use datafusion::physical_expr::expressions::Literal;
use serde_json::Value as Json;

use crate::functions::convert::{to_json, value_at};

/// Reads argument `n` of an aggregate as a constant number (`make_list(x, 10)`).
fn const_arg(args: &AccumulatorArgs, n: usize) -> Option<f64> {
    let e = args.exprs.get(n)?;
    let lit = e.downcast_ref::<Literal>()?;
    match lit.value() {
        ScalarValue::Int64(Some(v)) => Some(*v as f64),
        ScalarValue::Int32(Some(v)) => Some(f64::from(*v)),
        ScalarValue::Float64(Some(v)) => Some(*v),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CollectKind {
    List,
    ListWithNulls,
    Set,
    Bag,
}

/// `make_list`, `make_list_with_nulls`, `make_set`, `make_bag`: argument 0
/// is the value, argument 1 an optional constant size limit.
#[derive(Debug)]
pub struct Collect {
    kind: CollectKind,
    name: &'static str,
    signature: Signature,
}

impl PartialEq for Collect {
    fn eq(&self, o: &Self) -> bool {
        self.kind == o.kind
    }
}
impl Eq for Collect {}
impl Hash for Collect {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
    }
}

impl AggregateUDFImpl for Collect {
    fn name(&self) -> &str {
        self.name
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
        let limit = const_arg(&args, 1).map_or(1_048_576, |v| v.max(0.0) as usize);
        Ok(Box::new(CollectAcc {
            kind: self.kind,
            limit,
            items: Vec::new(),
            seen: HashSet::new(),
            bag: serde_json::Map::new(),
        }))
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(format!("{}_state", args.name), DataType::LargeUtf8, true))])
    }
}

#[derive(Debug)]
struct CollectAcc {
    kind: CollectKind,
    limit: usize,
    items: Vec<Json>,
    seen: HashSet<String>,
    bag: serde_json::Map<String, Json>,
}

impl CollectAcc {
    fn push(&mut self, v: Json) {
        match self.kind {
            CollectKind::Bag => {
                if let Json::Object(m) = v {
                    for (k, val) in m {
                        if self.bag.len() >= self.limit {
                            break;
                        }
                        self.bag.entry(k).or_insert(val);
                    }
                }
            }
            CollectKind::Set => {
                if self.items.len() < self.limit && self.seen.insert(v.to_string()) {
                    self.items.push(v);
                }
            }
            _ => {
                if self.items.len() < self.limit {
                    self.items.push(v);
                }
            }
        }
    }

    fn add(&mut self, v: Json, from_dynamic: bool) {
        // Kusto spreads dynamic arrays into the list instead of nesting them.
        match v {
            Json::Array(a) if from_dynamic && self.kind != CollectKind::Bag => {
                for x in a {
                    self.push(x);
                }
            }
            Json::Null if self.kind != CollectKind::ListWithNulls => {}
            other => self.push(other),
        }
    }

    fn result(&self) -> String {
        match self.kind {
            CollectKind::Bag => Json::Object(self.bag.clone()).to_string(),
            _ => Json::Array(self.items.clone()).to_string(),
        }
    }
}

impl Accumulator for CollectAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let a = &values[0];
        let dynamic = a.data_type() == &DataType::LargeUtf8;
        for i in 0..a.len() {
            let v = to_json(value_at(a.as_ref(), i)?);
            self.add(v, dynamic);
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::LargeUtf8(Some(self.result())))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.items.len() * 32 + self.seen.len() * 32 + self.bag.len() * 48
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::LargeUtf8(Some(self.result()))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let s = states[0].as_string::<i64>();
        for i in 0..s.len() {
            if s.is_null(i) {
                continue;
            }
            let v: Json = serde_json::from_str(s.value(i)).unwrap_or(Json::Null);
            match (self.kind, v) {
                (CollectKind::Bag, obj @ Json::Object(_)) => self.push(obj),
                (_, Json::Array(a)) => {
                    for x in a {
                        self.push(x);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn collect(kind: CollectKind, name: &'static str) -> Arc<AggregateUDF> {
    Arc::new(AggregateUDF::new_from_impl(Collect {
        kind,
        name,
        signature: Signature::variadic_any(Volatility::Immutable),
    }))
}

pub static MAKE_LIST: LazyLock<Arc<AggregateUDF>> = LazyLock::new(|| collect(CollectKind::List, "kql_make_list"));
pub static MAKE_LIST_WITH_NULLS: LazyLock<Arc<AggregateUDF>> =
    LazyLock::new(|| collect(CollectKind::ListWithNulls, "kql_make_list_with_nulls"));
pub static MAKE_SET: LazyLock<Arc<AggregateUDF>> = LazyLock::new(|| collect(CollectKind::Set, "kql_make_set"));
pub static MAKE_BAG: LazyLock<Arc<AggregateUDF>> = LazyLock::new(|| collect(CollectKind::Bag, "kql_make_bag"));

/// `arg_max(key, value)` / `arg_min(key, value)`: the value on the row with
/// the largest (smallest) non-null key; the first such row on ties; the
/// first row's value when every key is null.
#[derive(Debug)]
pub struct ArgExtreme {
    max: bool,
    signature: Signature,
}

impl PartialEq for ArgExtreme {
    fn eq(&self, o: &Self) -> bool {
        self.max == o.max
    }
}
impl Eq for ArgExtreme {}
impl Hash for ArgExtreme {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.max.hash(state);
    }
}

impl AggregateUDFImpl for ArgExtreme {
    fn name(&self) -> &str {
        if self.max { "kql_arg_max" } else { "kql_arg_min" }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        match args.get(1) {
            Some(t) => Ok(t.clone()),
            None => exec_err!("arg_max takes a key and a value"),
        }
    }
    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let key_type = args.expr_fields[0].data_type().clone();
        let value_type = args.expr_fields[1].data_type().clone();
        Ok(Box::new(ArgAcc {
            max: self.max,
            key: ScalarValue::try_from(&key_type)?,
            value: ScalarValue::try_from(&value_type)?,
            seen: false,
        }))
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            Arc::new(Field::new(format!("{}_key", args.name), args.input_fields[0].data_type().clone(), true)),
            Arc::new(Field::new(format!("{}_value", args.name), args.input_fields[1].data_type().clone(), true)),
            Arc::new(Field::new(format!("{}_seen", args.name), DataType::Boolean, true)),
        ])
    }
}

#[derive(Debug)]
struct ArgAcc {
    max: bool,
    key: ScalarValue,
    value: ScalarValue,
    seen: bool,
}

impl ArgAcc {
    fn offer(&mut self, key: ScalarValue, value: ScalarValue) {
        if !self.seen {
            self.key = key;
            self.value = value;
            self.seen = true;
            return;
        }
        if key.is_null() {
            return;
        }
        let better = if self.key.is_null() {
            true
        } else {
            match key.partial_cmp(&self.key) {
                Some(std::cmp::Ordering::Greater) => self.max,
                Some(std::cmp::Ordering::Less) => !self.max,
                _ => false,
            }
        };
        if better {
            self.key = key;
            self.value = value;
        }
    }
}

impl Accumulator for ArgAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let (k, v) = (&values[0], &values[1]);
        for i in 0..k.len() {
            // Skip cheaply when the key cannot win.
            if self.seen && k.is_null(i) {
                continue;
            }
            self.offer(ScalarValue::try_from_array(k, i)?, ScalarValue::try_from_array(v, i)?);
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(self.value.clone())
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.key.size() + self.value.size()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.key.clone(), self.value.clone(), ScalarValue::Boolean(Some(self.seen))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let seen: &BooleanArray = states[2].as_boolean();
        for i in 0..seen.len() {
            if seen.is_null(i) || !seen.value(i) {
                continue;
            }
            self.offer(ScalarValue::try_from_array(&states[0], i)?, ScalarValue::try_from_array(&states[1], i)?);
        }
        Ok(())
    }
}

pub static ARG_MAX: LazyLock<Arc<AggregateUDF>> = LazyLock::new(|| {
    Arc::new(AggregateUDF::new_from_impl(ArgExtreme { max: true, signature: Signature::any(2, Volatility::Immutable) }))
});
pub static ARG_MIN: LazyLock<Arc<AggregateUDF>> = LazyLock::new(|| {
    Arc::new(AggregateUDF::new_from_impl(ArgExtreme {
        max: false,
        signature: Signature::any(2, Volatility::Immutable),
    }))
});

/// `percentile(x, p)` and `percentilew(x, weight, p)` by nearest rank:
/// the smallest value whose cumulative weight reaches `p`% of the total.
/// The result is one of the input values, of the input's type.
#[derive(Debug)]
pub struct Percentile {
    weighted: bool,
    signature: Signature,
}

impl PartialEq for Percentile {
    fn eq(&self, o: &Self) -> bool {
        self.weighted == o.weighted
    }
}
impl Eq for Percentile {}
impl Hash for Percentile {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.weighted.hash(state);
    }
}

impl AggregateUDFImpl for Percentile {
    fn name(&self) -> &str {
        if self.weighted { "kql_percentilew" } else { "kql_percentile" }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        Ok(args.first().cloned().unwrap_or(DataType::Float64))
    }
    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let p_at = if self.weighted { 2 } else { 1 };
        let Some(p) = const_arg(&args, p_at) else {
            return exec_err!("the percentile must be a constant number");
        };
        Ok(Box::new(PercentileAcc {
            weighted: self.weighted,
            p,
            value_type: args.expr_fields[0].data_type().clone(),
            values: Vec::new(),
        }))
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(format!("{}_values", args.name), DataType::LargeUtf8, true))])
    }
}

#[derive(Debug)]
struct PercentileAcc {
    weighted: bool,
    p: f64,
    value_type: DataType,
    /// (value, weight). Integer-like values (longs, datetimes, timespans)
    /// stay exact as `i64`; reals are `f64`.
    values: Vec<(Num, i64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
enum Num {
    I(i64),
    F(f64),
}

impl Num {
    fn of(a: &dyn Array, i: usize) -> Result<Option<Num>> {
        use crate::functions::convert::Value;
        Ok(match value_at(a, i)? {
            Value::Long(v) | Value::DateTime(v) | Value::TimeSpan(v) => Some(Num::I(v)),
            Value::Real(v) => Some(Num::F(v)),
            Value::Bool(b) => Some(Num::I(i64::from(b))),
            Value::Decimal(v, s) => Some(Num::F(v as f64 / 10f64.powi(s.into()))),
            Value::Null => None,
            _ => return exec_err!("percentile() needs numbers, datetimes or timespans"),
        })
    }

    fn cmp(&self, o: &Num) -> std::cmp::Ordering {
        match (self, o) {
            (Num::I(a), Num::I(b)) => a.cmp(b),
            (Num::F(a), Num::F(b)) => a.total_cmp(b),
            (Num::I(a), Num::F(b)) => (*a as f64).total_cmp(b),
            (Num::F(a), Num::I(b)) => a.total_cmp(&(*b as f64)),
        }
    }

    fn to_scalar(self, ty: &DataType) -> Result<ScalarValue> {
        let arr: ArrayRef = match self {
            Num::I(v) => Arc::new(arrow::array::Int64Array::from(vec![v])),
            Num::F(v) => Arc::new(arrow::array::Float64Array::from(vec![v])),
        };
        let cast = arrow::compute::cast(&arr, ty)?;
        ScalarValue::try_from_array(&cast, 0)
    }
}

impl Accumulator for PercentileAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let x = &values[0];
        for i in 0..x.len() {
            let Some(v) = Num::of(x.as_ref(), i)? else { continue };
            let w = if self.weighted {
                crate::functions::convert::to_long(value_at(values[1].as_ref(), i)?).unwrap_or(0)
            } else {
                1
            };
            if w > 0 {
                self.values.push((v, w));
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        if self.values.is_empty() {
            return ScalarValue::try_from(&self.value_type);
        }
        self.values.sort_by(|a, b| a.0.cmp(&b.0));
        let total: i64 = self.values.iter().map(|(_, w)| *w).sum();
        let rank = ((self.p.clamp(0.0, 100.0) / 100.0) * total as f64).ceil().max(1.0) as i64;
        let mut acc = 0;
        for (v, w) in &self.values {
            acc += w;
            if acc >= rank {
                return v.to_scalar(&self.value_type);
            }
        }
        match self.values.last() {
            Some((v, _)) => v.to_scalar(&self.value_type),
            None => ScalarValue::try_from(&self.value_type),
        }
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.values.len() * 24
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        // Values travel between partitions as JSON triples (is_int, value, weight).
        let items: Vec<Json> = self
            .values
            .iter()
            .map(|(v, w)| match v {
                Num::I(x) => Json::Array(vec![Json::Bool(true), Json::from(*x), Json::from(*w)]),
                Num::F(x) => {
                    Json::Array(vec![Json::Bool(false), Json::String(x.to_bits().to_string()), Json::from(*w)])
                }
            })
            .collect();
        Ok(vec![ScalarValue::LargeUtf8(Some(Json::Array(items).to_string()))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let s = states[0].as_string::<i64>();
        for i in 0..s.len() {
            if s.is_null(i) {
                continue;
            }
            let Ok(Json::Array(items)) = serde_json::from_str::<Json>(s.value(i)) else { continue };
            for item in items {
                let Json::Array(t) = item else { continue };
                let w = t.get(2).and_then(Json::as_i64).unwrap_or(0);
                let v = match (t.first(), t.get(1)) {
                    (Some(Json::Bool(true)), Some(x)) => x.as_i64().map(Num::I),
                    (Some(Json::Bool(false)), Some(Json::String(bits))) => {
                        bits.parse::<u64>().ok().map(|b| Num::F(f64::from_bits(b)))
                    }
                    _ => None,
                };
                if let Some(v) = v {
                    self.values.push((v, w));
                }
            }
        }
        Ok(())
    }
}

pub static PERCENTILE: LazyLock<Arc<AggregateUDF>> = LazyLock::new(|| {
    Arc::new(AggregateUDF::new_from_impl(Percentile {
        weighted: false,
        signature: Signature::any(2, Volatility::Immutable),
    }))
});
pub static PERCENTILEW: LazyLock<Arc<AggregateUDF>> = LazyLock::new(|| {
    Arc::new(AggregateUDF::new_from_impl(Percentile {
        weighted: true,
        signature: Signature::any(3, Volatility::Immutable),
    }))
});
