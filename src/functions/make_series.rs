//! Kernels of `make-series`: `__kql_series` lays one group's per-bin
//! aggregates out as a dense array (missing bins take the default), and
//! `__kql_series_axis` builds the axis array of bin starts.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock};

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, ScalarUDF, Signature, Volatility};
use serde_json::Value as Json;

use crate::functions::convert::{self, to_json, value_at};
use crate::functions::strings::map_dynamic;
use crate::functions::udf::{self, Args, Returns};

/// Bins beyond this are refused, as in Kusto (2^20 values per array).
pub const MAX_BINS: i64 = 1 << 20;

/// `__kql_series(bin_index, value, bins, default)`
#[derive(Debug)]
pub struct Series {
    signature: Signature,
}

impl PartialEq for Series {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for Series {}
impl Hash for Series {
    fn hash<H: Hasher>(&self, state: &mut H) {
        "__kql_series".hash(state);
    }
}

impl AggregateUDFImpl for Series {
    fn name(&self) -> &str {
        "__kql_series"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::LargeUtf8)
    }
    fn accumulator(&self, _: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(SeriesAcc::default()))
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(format!("{}_state", args.name), DataType::LargeUtf8, true))])
    }
}

#[derive(Debug, Default)]
struct SeriesAcc {
    bins: i64,
    default: Json,
    values: Vec<(i64, Json)>,
}

impl SeriesAcc {
    fn dense(&self) -> Json {
        let n = self.bins.clamp(0, MAX_BINS);
        let mut out = vec![self.default.clone(); usize::try_from(n).unwrap_or(0)];
        for (i, v) in &self.values {
            if let Some(slot) = usize::try_from(*i).ok().and_then(|i| out.get_mut(i)) {
                *slot = v.clone();
            }
        }
        Json::Array(out)
    }
}

impl Accumulator for SeriesAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let (idx, val, bins, default) = (&values[0], &values[1], &values[2], &values[3]);
        for i in 0..idx.len() {
            let Some(k) = convert::to_long(value_at(idx.as_ref(), i)?) else {
                continue;
            };
            if let Some(n) = convert::to_long(value_at(bins.as_ref(), i)?) {
                self.bins = self.bins.max(n);
            }
            self.default = to_json(value_at(default.as_ref(), i)?);
            self.values.push((k, to_json(value_at(val.as_ref(), i)?)));
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::LargeUtf8(Some(self.dense().to_string())))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.values.len() * 48
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let pairs: Vec<Json> = self.values.iter().map(|(i, v)| Json::Array(vec![Json::from(*i), v.clone()])).collect();
        let s = serde_json::json!({ "n": self.bins, "d": self.default, "v": pairs });
        Ok(vec![ScalarValue::LargeUtf8(Some(s.to_string()))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let s = states[0].as_string::<i64>();
        for i in 0..s.len() {
            if s.is_null(i) {
                continue;
            }
            let Ok(v) = serde_json::from_str::<Json>(s.value(i)) else {
                continue;
            };
            self.bins = self.bins.max(v["n"].as_i64().unwrap_or(0));
            if !v["d"].is_null() {
                self.default = v["d"].clone();
            }
            if let Some(pairs) = v["v"].as_array() {
                for p in pairs {
                    if let Some(k) = p[0].as_i64() {
                        self.values.push((k, p[1].clone()));
                    }
                }
            }
        }
        Ok(())
    }
}

pub static SERIES: LazyLock<Arc<AggregateUDF>> = LazyLock::new(|| {
    Arc::new(AggregateUDF::new_from_impl(Series { signature: Signature::variadic_any(Volatility::Immutable) }))
});

/// `__kql_series_axis(start, step, bins)`: `[start, start + step, …]`.
pub static SERIES_AXIS: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("__kql_series_axis", Returns::Fixed(DataType::LargeUtf8), false, eval_axis));

fn eval_axis(args: &Args) -> Result<ArrayRef> {
    let (start, step, bins) = (args.array(0)?, args.array(1)?, args.array(2)?);
    let mut out = Vec::with_capacity(args.rows);
    for i in 0..args.rows {
        let n = convert::to_long(value_at(bins.as_ref(), i)?).unwrap_or(0).clamp(0, MAX_BINS);
        let items: Option<Vec<Json>> = match (value_at(start.as_ref(), i)?, value_at(step.as_ref(), i)?) {
            (convert::Value::DateTime(s), convert::Value::TimeSpan(d)) => {
                Some((0..n).map(|k| to_json(convert::Value::DateTime(s.saturating_add(d.saturating_mul(k))))).collect())
            }
            (convert::Value::TimeSpan(s), convert::Value::TimeSpan(d)) => {
                Some((0..n).map(|k| to_json(convert::Value::TimeSpan(s.saturating_add(d.saturating_mul(k))))).collect())
            }
            (convert::Value::Long(s), convert::Value::Long(d)) => {
                Some((0..n).map(|k| Json::from(s.saturating_add(d.saturating_mul(k)))).collect())
            }
            (a, b) => match (convert::to_real(a), convert::to_real(b)) {
                (Some(s), Some(d)) => Some((0..n).map(|k| Json::from(s + d * k as f64)).collect()),
                _ => None,
            },
        };
        out.push(items.map(|v| Json::Array(v).to_string()));
    }
    Ok(map_dynamic(args.rows, |i| out[i].take()))
}
