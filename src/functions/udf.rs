//! A small frame for kqlog's scalar UDFs: a name, a return type rule and an
//! evaluation function over Arrow arrays. The planner inserts the casts a
//! UDF expects, so evaluation functions see kqlog's canonical Arrow types
//! (plus `Utf8View` for strings read from foreign Parquet files).

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, LargeStringArray, StringArray, StringViewArray};
use arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};

/// Evaluates a UDF: `(arguments, number of rows) -> result array`.
/// Scalar arguments stay scalar; use [`Args`] to read them.
pub type EvalFn = fn(&Args) -> Result<ArrayRef>;

/// How a UDF's return type follows from its argument types.
#[derive(Debug, Clone)]
pub enum Returns {
    Fixed(DataType),
    /// The type of argument `n`.
    Arg(usize),
}

pub struct KqlUdf {
    name: &'static str,
    signature: Signature,
    returns: Returns,
    eval: EvalFn,
}

impl std::fmt::Debug for KqlUdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for KqlUdf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for KqlUdf {}

impl Hash for KqlUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for KqlUdf {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match &self.returns {
            Returns::Fixed(t) => Ok(t.clone()),
            Returns::Arg(n) => match arg_types.get(*n) {
                Some(t) => Ok(t.clone()),
                None => exec_err!("{}: missing argument {n}", self.name),
            },
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let all_scalar = !args.args.is_empty() && args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if all_scalar { 1 } else { args.number_rows };
        let wrapped = Args { values: &args.args, rows, return_type: args.return_field.data_type() };
        let out = (self.eval)(&wrapped)?;
        if all_scalar && out.len() == 1 {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
        } else {
            Ok(ColumnarValue::Array(out))
        }
    }
}

/// Builds a UDF. `volatile` marks functions like `new_guid()` that must be
/// evaluated per row.
pub fn make(name: &'static str, returns: Returns, volatile: bool, eval: EvalFn) -> Arc<ScalarUDF> {
    let vol = if volatile { Volatility::Volatile } else { Volatility::Immutable };
    Arc::new(ScalarUDF::new_from_impl(KqlUdf {
        name,
        signature: Signature::one_of(vec![TypeSignature::VariadicAny, TypeSignature::Nullary], vol),
        returns,
        eval,
    }))
}

pub fn call(udf: &Arc<ScalarUDF>, args: Vec<Expr>) -> Expr {
    Expr::ScalarFunction(datafusion::logical_expr::expr::ScalarFunction::new_udf(Arc::clone(udf), args))
}

/// The arguments of one evaluation.
pub struct Args<'a> {
    pub values: &'a [ColumnarValue],
    /// Rows to produce (1 when every argument is a scalar).
    pub rows: usize,
    pub return_type: &'a DataType,
}

impl<'a> Args<'a> {
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn scalar(&self, n: usize) -> Option<&'a ScalarValue> {
        match self.values.get(n) {
            Some(ColumnarValue::Scalar(s)) => Some(s),
            _ => None,
        }
    }

    /// Argument `n` as an array of `rows` values (scalars are repeated).
    pub fn array(&self, n: usize) -> Result<ArrayRef> {
        match self.values.get(n) {
            Some(v) => v.to_array_of_size(self.rows),
            None => exec_err!("missing argument {n}"),
        }
    }

    /// Argument `n` as text, whatever its string encoding.
    pub fn str(&self, n: usize) -> Result<Strs<'a>> {
        match self.values.get(n) {
            Some(ColumnarValue::Scalar(s)) => Ok(Strs::Scalar(scalar_str(s))),
            Some(ColumnarValue::Array(a)) => Strs::of(a.as_ref()),
            None => exec_err!("missing argument {n}"),
        }
    }

    /// A constant string argument (a regex, a format), if it is one.
    pub fn const_str(&self, n: usize) -> Option<Option<&'a str>> {
        self.scalar(n).map(scalar_str)
    }

    pub fn const_i64(&self, n: usize) -> Option<Option<i64>> {
        self.scalar(n).map(|s| match s {
            ScalarValue::Int64(v) => *v,
            ScalarValue::Int32(v) => v.map(i64::from),
            ScalarValue::Float64(v) => v.map(|f| f as i64),
            _ => None,
        })
    }
}

pub fn scalar_str(s: &ScalarValue) -> Option<&str> {
    match s {
        ScalarValue::Utf8(v) | ScalarValue::LargeUtf8(v) | ScalarValue::Utf8View(v) => v.as_deref(),
        _ => None,
    }
}

/// Text values, read uniformly from any string encoding.
pub enum Strs<'a> {
    Scalar(Option<&'a str>),
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
}

impl<'a> Strs<'a> {
    pub fn of(a: &'a dyn Array) -> Result<Self> {
        Ok(match a.data_type() {
            DataType::Utf8 => Strs::Utf8(a.as_string::<i32>()),
            DataType::LargeUtf8 => Strs::Large(a.as_string::<i64>()),
            DataType::Utf8View => Strs::View(a.as_string_view()),
            DataType::Null => Strs::Scalar(None),
            other => return exec_err!("expected a string argument, got {other}"),
        })
    }

    /// Value `i`; `None` for null.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            Strs::Scalar(s) => *s,
            Strs::Utf8(a) => (!a.is_null(i)).then(|| a.value(i)),
            Strs::Large(a) => (!a.is_null(i)).then(|| a.value(i)),
            Strs::View(a) => (!a.is_null(i)).then(|| a.value(i)),
        }
    }

    /// Value `i`, with null read as `""` (Kusto strings are never null).
    #[inline]
    pub fn text(&self, i: usize) -> &'a str {
        self.get(i).unwrap_or("")
    }

    pub fn is_scalar(&self) -> bool {
        matches!(self, Strs::Scalar(_))
    }
}
