//! Kernels of `mv-expand`: each dynamic value becomes a list of items,
//! which DataFusion's `unnest` turns into rows.

use std::sync::{Arc, LazyLock};

use arrow::array::{Array, ArrayRef, AsArray, Int64Builder, LargeStringBuilder, ListBuilder};
use arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::ScalarUDF;
use serde_json::{Map, Value as Json};

use crate::functions::udf::{self, Args, Returns};

/// `__kql_mv_items(value, bag_as_array, limit)`: the items one value
/// expands to. Kusto's rules: null gives one null item, an empty array or
/// bag gives none, a bag gives one entry per key (`{"k": v}`, or `["k", v]`
/// with `kind=array`), any other value gives itself.
pub static MV_ITEMS: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("__kql_mv_items", Returns::Fixed(items_type()), false, eval_items));

/// `__kql_mv_index(items, …)`: `[0, 1, … n-1]` for the longest items list
/// of the row, so that `with_itemindex` lines up with the expanded rows.
pub static MV_INDEX: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    udf::make(
        "__kql_mv_index",
        Returns::Fixed(DataType::List(Arc::new(Field::new_list_field(DataType::Int64, true)))),
        false,
        eval_index,
    )
});

pub fn items_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::LargeUtf8, true)))
}

fn eval_items(args: &Args) -> Result<ArrayRef> {
    let values = args.str(0)?;
    let as_array = matches!(args.scalar(1), Some(datafusion::common::ScalarValue::Boolean(Some(true))));
    let limit = args.const_i64(2).flatten().map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(0));
    let mut b = ListBuilder::new(LargeStringBuilder::new())
        .with_field(Arc::new(Field::new_list_field(DataType::LargeUtf8, true)));
    for i in 0..args.rows {
        let items = match values.get(i) {
            None => vec![None],
            Some(text) => match serde_json::from_str::<Json>(text) {
                Ok(Json::Array(a)) => a.into_iter().map(item_text).collect(),
                Ok(Json::Object(m)) => m
                    .into_iter()
                    .map(|(k, v)| {
                        Some(if as_array {
                            Json::Array(vec![Json::String(k), v]).to_string()
                        } else {
                            let mut one = Map::new();
                            one.insert(k, v);
                            Json::Object(one).to_string()
                        })
                    })
                    .collect(),
                Ok(Json::Null) | Err(_) => vec![None],
                Ok(other) => vec![Some(other.to_string())],
            },
        };
        for item in items.into_iter().take(limit) {
            b.values().append_option(item);
        }
        b.append(true);
    }
    Ok(Arc::new(b.finish()))
}

fn item_text(v: Json) -> Option<String> {
    match v {
        Json::Null => None,
        other => Some(other.to_string()),
    }
}

fn eval_index(args: &Args) -> Result<ArrayRef> {
    let mut lists = Vec::new();
    for n in 0..args.len() {
        lists.push(args.array(n)?);
    }
    let mut b = ListBuilder::new(Int64Builder::new());
    for i in 0..args.rows {
        let mut longest = 0;
        for l in &lists {
            let DataType::List(_) = l.data_type() else {
                return exec_err!("__kql_mv_index expects lists, got {}", l.data_type());
            };
            let list = l.as_list::<i32>();
            if !list.is_null(i) {
                longest = longest.max(list.value_length(i));
            }
        }
        for k in 0..i64::from(longest) {
            b.values().append_value(k);
        }
        b.append(true);
    }
    Ok(Arc::new(b.finish()))
}
