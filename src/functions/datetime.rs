//! Datetime and timespan functions: `bin`, `ago`, `now`, calendar parts,
//! `startof*`/`endof*` (weeks start on Sunday), `datetime_diff`,
//! `datetime_add`, `format_datetime`, `format_timespan`, `make_datetime`.

use std::sync::{Arc, LazyLock};

use arrow::array::{
    Array, ArrayRef, AsArray, DurationNanosecondBuilder, Int32Builder, Int64Array, TimestampNanosecondBuilder,
};
use arrow::datatypes::{DataType, DurationNanosecondType, Int64Type, TimestampNanosecondType};
use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, Timelike};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{Expr, Operator, ScalarUDF, lit};

use crate::diag::{Diagnostic, codes};
use crate::functions::strings::{long_at, map_strings};
use crate::functions::udf::{self, Args, Returns};
use crate::functions::{Call, Registry};
use crate::plan::typing::{self, binary, cast};
use crate::plan::{PResult, Planner, Typed};
use crate::types::time::{NANOS_PER_DAY, NANOS_PER_SEC, NANOS_PER_TICK};
use crate::types::{KType, UTC};

pub fn register(r: &mut Registry) {
    r.scalar(&["bin", "floor"], 2, 2, bin);
    r.scalar(&["bin_at"], 3, 3, bin_at);
    r.scalar(&["now"], 0, 1, now);
    r.scalar(&["ago"], 1, 1, ago);
    r.scalar(&["datetime_diff"], 3, 3, datetime_diff);
    r.scalar(&["datetime_add"], 3, 3, datetime_add);
    r.scalar(&["datetime_part"], 2, 2, datetime_part);
    for (name, kind) in [
        ("startofday", Period::StartDay),
        ("startofweek", Period::StartWeek),
        ("startofmonth", Period::StartMonth),
        ("startofyear", Period::StartYear),
        ("endofday", Period::EndDay),
        ("endofweek", Period::EndWeek),
        ("endofmonth", Period::EndMonth),
        ("endofyear", Period::EndYear),
    ] {
        debug_assert_eq!(period_of(name), Some(kind));
        r.scalar(&[name], 1, 2, period);
    }
    r.scalar(&["dayofweek"], 1, 1, |p, c| part_fn(p, c, "dayofweek"));
    r.scalar(&["dayofmonth"], 1, 1, |p, c| part_fn(p, c, "day"));
    r.scalar(&["dayofyear"], 1, 1, |p, c| part_fn(p, c, "dayofyear"));
    r.scalar(&["hourofday"], 1, 1, |p, c| part_fn(p, c, "hour"));
    r.scalar(&["getmonth", "monthofyear"], 1, 1, |p, c| part_fn(p, c, "month"));
    r.scalar(&["getyear"], 1, 1, |p, c| part_fn(p, c, "year"));
    r.scalar(&["week_of_year", "weekofyear"], 1, 1, |p, c| part_fn(p, c, "week_of_year"));
    r.scalar(&["format_datetime"], 2, 2, format_datetime);
    r.scalar(&["format_timespan"], 2, 2, format_timespan);
    r.scalar(&["make_datetime"], 1, 7, make_datetime);
    r.scalar(&["make_timespan"], 2, 5, make_timespan);
    r.scalar(&["unixtime_seconds_todatetime"], 1, 1, |p, c| unixtime(p, c, NANOS_PER_SEC));
    r.scalar(&["unixtime_milliseconds_todatetime"], 1, 1, |p, c| unixtime(p, c, 1_000_000));
    r.scalar(&["unixtime_microseconds_todatetime"], 1, 1, |p, c| unixtime(p, c, 1_000));
    r.scalar(&["unixtime_nanoseconds_todatetime"], 1, 1, |p, c| unixtime(p, c, 1));
}

fn ns_of(e: Expr) -> Expr {
    cast(e, KType::Long)
}

/// Nanoseconds from 0001-01-01 to the Unix epoch: Kusto aligns bins to
/// 0001-01-01, which matters for bin sizes that do not divide a day.
const EPOCH_FROM_YEAR_1: i128 = 719_162 * NANOS_PER_DAY as i128;

/// `bin(value, size)` floors to a multiple of `size` (toward −∞).
fn bin(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    let size = c.arg(p, 1)?;
    bin_lower(v, size, None, c)
}

fn bin_at(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    let size = c.arg(p, 1)?;
    let at = c.arg(p, 2)?;
    bin_lower(v, size, Some(at), c)
}

fn bin_lower(v: Typed, size: Typed, at: Option<Typed>, c: &Call) -> PResult<Typed> {
    match (v.ty, size.ty) {
        (KType::DateTime | KType::TimeSpan, KType::TimeSpan) => {
            let origin = match at {
                Some(a) if a.ty == v.ty => ns_of(a.expr),
                Some(a) => return Err(c.type_error(2, a.ty, &format!("a `{}`", v.ty))),
                // Datetimes bin from 0001-01-01; timespans from zero.
                None if v.ty == KType::DateTime => lit(i64::MIN),
                None => lit(0i64),
            };
            let e = udf::call(&BIN_NS, vec![ns_of(v.expr), ns_of(size.expr), origin]);
            Ok(Typed::new(cast(e, v.ty), v.ty))
        }
        (a, b) if a.is_numeric() && b.is_numeric() => {
            let origin = match at {
                Some(o) if o.ty.is_numeric() => Some(o),
                Some(o) => return Err(c.type_error(2, o.ty, "a number")),
                None => None,
            };
            if a.is_integer() && b.is_integer() && origin.as_ref().is_none_or(|o| o.ty.is_integer()) {
                let x = cast(v.expr, KType::Long);
                let s = datafusion::functions::core::expr_fn::nullif(cast(size.expr, KType::Long), lit(0i64));
                let (x, o) = match origin {
                    Some(o) => {
                        let o = cast(o.expr, KType::Long);
                        (binary(x, Operator::Minus, o.clone()), Some(o))
                    }
                    None => (x, None),
                };
                let r = binary(
                    binary(binary(x.clone(), Operator::Modulo, s.clone()), Operator::Plus, s.clone()),
                    Operator::Modulo,
                    s,
                );
                let floored = binary(x, Operator::Minus, r);
                let e = match o {
                    Some(o) => binary(floored, Operator::Plus, o),
                    None => floored,
                };
                return Ok(Typed::new(e, KType::Long));
            }
            let x = cast(v.expr, KType::Real);
            let s = cast(size.expr, KType::Real);
            let (x, o) = match origin {
                Some(o) => {
                    let o = cast(o.expr, KType::Real);
                    (binary(x, Operator::Minus, o.clone()), Some(o))
                }
                None => (x, None),
            };
            let f = datafusion::functions::math::expr_fn::floor(binary(x, Operator::Divide, s.clone()));
            let e = binary(f, Operator::Multiply, s);
            let e = match o {
                Some(o) => binary(e, Operator::Plus, o),
                None => e,
            };
            Ok(Typed::new(e, KType::Real))
        }
        (KType::Null, _) | (_, KType::Null) => Ok(Typed::new(typing::null_of(v.ty), v.ty)),
        (a, b) => Err(Diagnostic::new(codes::TYPE_MISMATCH, format!("cannot bin a `{a}` by a `{b}`"))
            .at(c.span)
            .help("bin datetimes and timespans by a timespan (`1h`), numbers by a number")),
    }
}

fn eval_bin_ns(args: &Args) -> Result<ArrayRef> {
    let v = args.array(0)?;
    let s = args.array(1)?;
    let o = args.array(2)?;
    let (v, s, o) = (v.as_primitive::<Int64Type>(), s.as_primitive::<Int64Type>(), o.as_primitive::<Int64Type>());
    let out: Int64Array = (0..args.rows)
        .map(|i| {
            if v.is_null(i) || s.is_null(i) || o.is_null(i) || s.value(i) <= 0 {
                return None;
            }
            let (x, size) = (v.value(i) as i128, s.value(i) as i128);
            // i64::MIN marks "from year 1".
            let origin = if o.value(i) == i64::MIN { -EPOCH_FROM_YEAR_1 } else { o.value(i) as i128 };
            let floored = x - (x - origin).rem_euclid(size);
            i64::try_from(floored).ok()
        })
        .collect();
    Ok(Arc::new(out))
}

static BIN_NS: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_bin", Returns::Fixed(DataType::Int64), false, eval_bin_ns));

fn now_literal(p: &Planner) -> ScalarValue {
    ScalarValue::TimestampNanosecond(Some(p.options.now), Some(Arc::from(UTC)))
}

fn now(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let n = Typed::new(lit(now_literal(p)), KType::DateTime);
    if c.args.is_empty() {
        return Ok(n);
    }
    let off = c.arg(p, 0)?;
    typing::arithmetic(crate::syntax::ast::BinaryOp::Add, n, off, c.span)
}

fn ago(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let n = Typed::new(lit(now_literal(p)), KType::DateTime);
    let off = c.arg(p, 0)?;
    if off.ty != KType::TimeSpan && off.ty != KType::Null {
        return Err(c.type_error(0, off.ty, "a `timespan`"));
    }
    let t = typing::arithmetic(crate::syntax::ast::BinaryOp::Sub, n, off, c.span)?;
    // Fold to a literal so the comparison can prune Parquet row groups.
    Ok(match crate::plan::fold::fold(&t.expr) {
        Some(v) => Typed::new(lit(v), KType::DateTime),
        None => t,
    })
}

fn naive(ns: i64) -> NaiveDateTime {
    crate::types::time::to_chrono(ns).naive_utc()
}

fn from_naive(dt: NaiveDateTime) -> Option<i64> {
    dt.and_utc().timestamp_nanos_opt()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Period {
    StartDay,
    StartWeek,
    StartMonth,
    StartYear,
    EndDay,
    EndWeek,
    EndMonth,
    EndYear,
}

fn period_of(name: &str) -> Option<Period> {
    Some(match name {
        "startofday" => Period::StartDay,
        "startofweek" => Period::StartWeek,
        "startofmonth" => Period::StartMonth,
        "startofyear" => Period::StartYear,
        "endofday" => Period::EndDay,
        "endofweek" => Period::EndWeek,
        "endofmonth" => Period::EndMonth,
        "endofyear" => Period::EndYear,
        _ => return None,
    })
}

/// The start of the period containing `ns`, moved by `offset` periods.
fn period_start(ns: i64, p: Period, offset: i64) -> Option<i64> {
    let dt = naive(ns);
    let day = dt.date();
    let start = match p {
        Period::StartDay | Period::EndDay => day.checked_add_signed(Duration::days(offset))?,
        Period::StartWeek | Period::EndWeek => {
            let sunday = day - Duration::days(day.weekday().num_days_from_sunday().into());
            sunday.checked_add_signed(Duration::days(offset.checked_mul(7)?))?
        }
        Period::StartMonth | Period::EndMonth => {
            let first = NaiveDate::from_ymd_opt(day.year(), day.month(), 1)?;
            add_months(first, offset)?
        }
        Period::StartYear | Period::EndYear => {
            NaiveDate::from_ymd_opt(day.year().checked_add(i32::try_from(offset).ok()?)?, 1, 1)?
        }
    };
    from_naive(start.and_hms_opt(0, 0, 0)?)
}

fn add_months(d: NaiveDate, months: i64) -> Option<NaiveDate> {
    if months >= 0 {
        d.checked_add_months(Months::new(u32::try_from(months).ok()?))
    } else {
        d.checked_sub_months(Months::new(u32::try_from(-months).ok()?))
    }
}

fn period_value(ns: i64, p: Period, offset: i64) -> Option<i64> {
    match p {
        Period::StartDay | Period::StartWeek | Period::StartMonth | Period::StartYear => period_start(ns, p, offset),
        // The end is one tick before the next period starts.
        _ => period_start(ns, p, offset.checked_add(1)?).map(|s| s - NANOS_PER_TICK),
    }
}

fn eval_period(args: &Args, p: Period) -> Result<ArrayRef> {
    let v = args.array(0)?;
    let v = v.as_primitive::<TimestampNanosecondType>();
    let mut b = TimestampNanosecondBuilder::with_capacity(args.rows).with_timezone(UTC);
    for i in 0..args.rows {
        let off = long_at(args, 1, i)?.unwrap_or(0);
        if v.is_null(i) || (args.len() > 1 && long_at(args, 1, i)?.is_none()) {
            b.append_null();
        } else {
            b.append_option(period_value(v.value(i), p, off));
        }
    }
    Ok(Arc::new(b.finish()))
}

macro_rules! period_udfs {
    ($($static:ident = $name:literal, $p:expr;)*) => {
        $(
            static $static: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
                udf::make($name, Returns::Fixed(KType::DateTime.arrow()), false, |a| eval_period(a, $p))
            });
        )*
    };
}

period_udfs! {
    START_DAY = "kql_startofday", Period::StartDay;
    START_WEEK = "kql_startofweek", Period::StartWeek;
    START_MONTH = "kql_startofmonth", Period::StartMonth;
    START_YEAR = "kql_startofyear", Period::StartYear;
    END_DAY = "kql_endofday", Period::EndDay;
    END_WEEK = "kql_endofweek", Period::EndWeek;
    END_MONTH = "kql_endofmonth", Period::EndMonth;
    END_YEAR = "kql_endofyear", Period::EndYear;
}

fn period(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let Some(kind) = period_of(&c.name.name) else {
        return Err(c.error("unknown period function"));
    };
    let f = match kind {
        Period::StartDay => &START_DAY,
        Period::StartWeek => &START_WEEK,
        Period::StartMonth => &START_MONTH,
        Period::StartYear => &START_YEAR,
        Period::EndDay => &END_DAY,
        Period::EndWeek => &END_WEEK,
        Period::EndMonth => &END_MONTH,
        Period::EndYear => &END_YEAR,
    };
    let mut args = vec![datetime_arg(p, c, 0)?];
    if c.args.len() > 1 {
        args.push(c.arg_as(p, 1, KType::Long)?);
    }
    Ok(Typed::new(udf::call(f, args), KType::DateTime))
}

fn datetime_arg(p: &mut Planner, c: &Call, n: usize) -> PResult<Expr> {
    let t = c.arg(p, n)?;
    match t.ty {
        KType::DateTime => Ok(t.expr),
        KType::Null | KType::Dynamic | KType::String => Ok(typing::convert_to(t, KType::DateTime).expr),
        other => Err(c.type_error(n, other, "a `datetime`")),
    }
}

/// The calendar part of a datetime (`datetime_part`, `getyear`, …).
fn part(ns: i64, part: &str) -> Option<i64> {
    let dt = naive(ns);
    Some(match part {
        "year" => dt.year().into(),
        "quarter" => ((dt.month() - 1) / 3 + 1).into(),
        "month" => dt.month().into(),
        "week_of_year" | "weekofyear" | "week" => dt.iso_week().week().into(),
        "day" => dt.day().into(),
        "dayofyear" => dt.ordinal().into(),
        "hour" => dt.hour().into(),
        "minute" => dt.minute().into(),
        "second" => dt.second().into(),
        "millisecond" => (dt.nanosecond() / 1_000_000).into(),
        "microsecond" => (dt.nanosecond() / 1_000).into(),
        "nanosecond" => dt.nanosecond().into(),
        _ => return None,
    })
}

const PARTS: &[&str] = &[
    "year",
    "quarter",
    "month",
    "week_of_year",
    "week",
    "day",
    "dayofyear",
    "hour",
    "minute",
    "second",
    "millisecond",
    "microsecond",
    "nanosecond",
];

fn eval_part(args: &Args) -> Result<ArrayRef> {
    let v = args.array(0)?;
    let v = v.as_primitive::<TimestampNanosecondType>();
    let names = args.str(1)?;
    let mut b = Int32Builder::with_capacity(args.rows);
    for i in 0..args.rows {
        if v.is_null(i) {
            b.append_null();
            continue;
        }
        b.append_option(part(v.value(i), &names.text(i).to_ascii_lowercase()).map(|x| x as i32));
    }
    Ok(Arc::new(b.finish()))
}

static PART: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_datetime_part", Returns::Fixed(DataType::Int32), false, eval_part));

fn check_part(p: &mut Planner, c: &Call, n: usize, allowed: &[&str]) -> PResult<String> {
    let name = c.const_string(p, n)?.to_ascii_lowercase();
    if !allowed.contains(&name.as_str()) {
        return Err(Diagnostic::new(codes::BAD_VALUE, format!("unknown datetime part `{name}`"))
            .at(c.arg_span(n))
            .maybe_help(crate::diag::suggest::did_you_mean(&crate::diag::suggest::nearest(
                &name,
                allowed.iter().copied(),
            ))));
    }
    Ok(name)
}

fn datetime_part(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let name = check_part(p, c, 0, PARTS)?;
    let v = datetime_arg(p, c, 1)?;
    Ok(Typed::new(udf::call(&PART, vec![v, lit(name)]), KType::Int))
}

fn part_fn(p: &mut Planner, c: &Call, which: &str) -> PResult<Typed> {
    let v = datetime_arg(p, c, 0)?;
    if which == "dayofweek" {
        // Days since the preceding Sunday, as a timespan.
        let start = udf::call(&START_WEEK, vec![v.clone()]);
        let diff = binary(ns_of(v), Operator::Minus, ns_of(start));
        let days = binary(binary(diff, Operator::Divide, lit(NANOS_PER_DAY)), Operator::Multiply, lit(NANOS_PER_DAY));
        return Ok(Typed::new(cast(days, KType::TimeSpan), KType::TimeSpan));
    }
    Ok(Typed::new(udf::call(&PART, vec![v, lit(which.to_string())]), KType::Int))
}

/// `datetime_diff(part, a, b)`: how many `part` boundaries lie between b and a.
fn diff(part: &str, a: i64, b: i64) -> Option<i64> {
    let (x, y) = (naive(a), naive(b));
    let trunc = |ns: i64, unit: i64| ns.div_euclid(unit);
    Some(match part {
        "year" => i64::from(x.year() - y.year()),
        "quarter" => i64::from(x.year() - y.year()) * 4 + i64::from((x.month0() / 3) as i32 - (y.month0() / 3) as i32),
        "month" => i64::from(x.year() - y.year()) * 12 + i64::from(x.month() as i32 - y.month() as i32),
        "week" => {
            let wa = period_start(a, Period::StartWeek, 0)?;
            let wb = period_start(b, Period::StartWeek, 0)?;
            (wa - wb) / (7 * NANOS_PER_DAY)
        }
        "day" => trunc(a, NANOS_PER_DAY) - trunc(b, NANOS_PER_DAY),
        "hour" => trunc(a, 3600 * NANOS_PER_SEC) - trunc(b, 3600 * NANOS_PER_SEC),
        "minute" => trunc(a, 60 * NANOS_PER_SEC) - trunc(b, 60 * NANOS_PER_SEC),
        "second" => trunc(a, NANOS_PER_SEC) - trunc(b, NANOS_PER_SEC),
        "millisecond" => trunc(a, 1_000_000) - trunc(b, 1_000_000),
        "microsecond" => trunc(a, 1_000) - trunc(b, 1_000),
        "nanosecond" => a - b,
        _ => return None,
    })
}

const DIFF_PARTS: &[&str] = &[
    "year",
    "quarter",
    "month",
    "week",
    "day",
    "hour",
    "minute",
    "second",
    "millisecond",
    "microsecond",
    "nanosecond",
];

fn eval_diff(args: &Args) -> Result<ArrayRef> {
    let names = args.str(0)?;
    let a = args.array(1)?;
    let b = args.array(2)?;
    let (a, b) = (a.as_primitive::<TimestampNanosecondType>(), b.as_primitive::<TimestampNanosecondType>());
    let out: Int64Array = (0..args.rows)
        .map(|i| {
            if a.is_null(i) || b.is_null(i) {
                return None;
            }
            diff(&names.text(i).to_ascii_lowercase(), a.value(i), b.value(i))
        })
        .collect();
    Ok(Arc::new(out))
}

static DIFF: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_datetime_diff", Returns::Fixed(DataType::Int64), false, eval_diff));

fn datetime_diff(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let name = check_part(p, c, 0, DIFF_PARTS)?;
    let a = datetime_arg(p, c, 1)?;
    let b = datetime_arg(p, c, 2)?;
    Ok(Typed::new(udf::call(&DIFF, vec![lit(name), a, b]), KType::Long))
}

fn add(part: &str, amount: i64, ns: i64) -> Option<i64> {
    let fixed = |unit: i64| amount.checked_mul(unit).and_then(|d| ns.checked_add(d));
    match part {
        "year" => {
            let d = naive(ns);
            from_naive(add_months(d.date(), amount.checked_mul(12)?)?.and_time(d.time()))
        }
        "quarter" | "month" => {
            let d = naive(ns);
            let m = if part == "quarter" { amount.checked_mul(3)? } else { amount };
            from_naive(add_months(d.date(), m)?.and_time(d.time()))
        }
        "week" => fixed(7 * NANOS_PER_DAY),
        "day" => fixed(NANOS_PER_DAY),
        "hour" => fixed(3600 * NANOS_PER_SEC),
        "minute" => fixed(60 * NANOS_PER_SEC),
        "second" => fixed(NANOS_PER_SEC),
        "millisecond" => fixed(1_000_000),
        "microsecond" => fixed(1_000),
        "nanosecond" => fixed(1),
        _ => None,
    }
}

fn eval_add(args: &Args) -> Result<ArrayRef> {
    let names = args.str(0)?;
    let v = args.array(2)?;
    let v = v.as_primitive::<TimestampNanosecondType>();
    let mut b = TimestampNanosecondBuilder::with_capacity(args.rows).with_timezone(UTC);
    for i in 0..args.rows {
        let amount = long_at(args, 1, i)?;
        match (amount, v.is_null(i)) {
            (Some(n), false) => b.append_option(add(&names.text(i).to_ascii_lowercase(), n, v.value(i))),
            _ => b.append_null(),
        }
    }
    Ok(Arc::new(b.finish()))
}

static ADD: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_datetime_add", Returns::Fixed(KType::DateTime.arrow()), false, eval_add));

fn datetime_add(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let name = check_part(p, c, 0, DIFF_PARTS)?;
    let amount = c.arg_as(p, 1, KType::Long)?;
    let v = datetime_arg(p, c, 2)?;
    Ok(Typed::new(udf::call(&ADD, vec![lit(name), amount, v]), KType::DateTime))
}

/// One token of a .NET-style format string.
enum Tok {
    Field(char, usize),
    Lit(String),
}

fn tokenize(fmt: &str, fields: &str) -> Vec<Tok> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if fields.contains(c) {
            let mut n = 1;
            while i + n < chars.len() && chars[i + n] == c {
                n += 1;
            }
            out.push(Tok::Field(c, n));
            i += n;
        } else if c == '\\' && i + 1 < chars.len() {
            out.push(Tok::Lit(chars[i + 1].to_string()));
            i += 2;
        } else if c == '\'' || c == '"' {
            let end = chars[i + 1..].iter().position(|&x| x == c).map_or(chars.len(), |p| i + 1 + p);
            out.push(Tok::Lit(chars[i + 1..end].iter().collect()));
            i = end + 1;
        } else {
            out.push(Tok::Lit(c.to_string()));
            i += 1;
        }
    }
    out
}

fn fraction(nanos: u32, n: usize, trim: bool) -> String {
    let digits = format!("{:09}", nanos);
    let mut s = digits[..n.min(9)].to_string();
    while s.len() < n {
        s.push('0');
    }
    if trim {
        s = s.trim_end_matches('0').to_string();
    }
    s
}

/// `format_datetime` with Kusto's specifiers (`yyyy-MM-dd HH:mm:ss.fff tt`).
pub fn format_datetime_with(ns: i64, fmt: &str) -> String {
    let dt = naive(ns);
    let mut out = String::new();
    for t in tokenize(fmt, "yMdhHmsfFt") {
        match t {
            Tok::Lit(s) => out.push_str(&s),
            Tok::Field(c, n) => {
                let s = match c {
                    'y' => match n {
                        1 => (dt.year() % 100).to_string(),
                        2 => format!("{:02}", dt.year() % 100),
                        _ => format!("{:0width$}", dt.year(), width = n),
                    },
                    'M' => {
                        if n == 1 {
                            dt.month().to_string()
                        } else {
                            format!("{:02}", dt.month())
                        }
                    }
                    'd' => {
                        if n == 1 {
                            dt.day().to_string()
                        } else {
                            format!("{:02}", dt.day())
                        }
                    }
                    'h' => {
                        let h = if dt.hour().is_multiple_of(12) { 12 } else { dt.hour() % 12 };
                        if n == 1 { h.to_string() } else { format!("{h:02}") }
                    }
                    'H' => {
                        if n == 1 {
                            dt.hour().to_string()
                        } else {
                            format!("{:02}", dt.hour())
                        }
                    }
                    'm' => {
                        if n == 1 {
                            dt.minute().to_string()
                        } else {
                            format!("{:02}", dt.minute())
                        }
                    }
                    's' => {
                        if n == 1 {
                            dt.second().to_string()
                        } else {
                            format!("{:02}", dt.second())
                        }
                    }
                    'f' => fraction(dt.nanosecond(), n, false),
                    'F' => fraction(dt.nanosecond(), n, true),
                    't' => {
                        let am = if dt.hour() < 12 { "AM" } else { "PM" };
                        if n == 1 { am[..1].to_string() } else { am.to_string() }
                    }
                    _ => String::new(),
                };
                out.push_str(&s);
            }
        }
    }
    out
}

/// `format_timespan` with Kusto's specifiers (`d.hh:mm:ss.fff`).
pub fn format_timespan_with(ns: i64, fmt: &str) -> String {
    let neg = ns < 0;
    let total = ns.unsigned_abs();
    let days = total / NANOS_PER_DAY as u64;
    let rem = total % NANOS_PER_DAY as u64;
    let h = rem / (3600 * NANOS_PER_SEC as u64);
    let m = rem / (60 * NANOS_PER_SEC as u64) % 60;
    let s = rem / NANOS_PER_SEC as u64 % 60;
    let frac = (rem % NANOS_PER_SEC as u64) as u32;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    for t in tokenize(fmt, "dhHmsfF") {
        match t {
            Tok::Lit(x) => out.push_str(&x),
            Tok::Field(c, n) => {
                let v = match c {
                    'd' => format!("{days:0n$}"),
                    'h' | 'H' => format!("{h:0n$}", n = n.min(2)),
                    'm' => format!("{m:0n$}", n = n.min(2)),
                    's' => format!("{s:0n$}", n = n.min(2)),
                    'f' => fraction(frac, n, false),
                    'F' => fraction(frac, n, true),
                    _ => String::new(),
                };
                out.push_str(&v);
            }
        }
    }
    out
}

fn eval_format_datetime(args: &Args) -> Result<ArrayRef> {
    let v = args.array(0)?;
    let v = v.as_primitive::<TimestampNanosecondType>();
    let f = args.str(1)?;
    Ok(map_strings(args.rows, |i, out| {
        if v.is_null(i) {
            return true;
        }
        out.push_str(&format_datetime_with(v.value(i), f.text(i)));
        true
    }))
}

fn eval_format_timespan(args: &Args) -> Result<ArrayRef> {
    let v = args.array(0)?;
    let v = v.as_primitive::<DurationNanosecondType>();
    let f = args.str(1)?;
    Ok(map_strings(args.rows, |i, out| {
        if v.is_null(i) {
            return true;
        }
        out.push_str(&format_timespan_with(v.value(i), f.text(i)));
        true
    }))
}

static FORMAT_DATETIME: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_format_datetime", Returns::Fixed(DataType::Utf8), false, eval_format_datetime));
static FORMAT_TIMESPAN: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| udf::make("kql_format_timespan", Returns::Fixed(DataType::Utf8), false, eval_format_timespan));

fn format_datetime(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let v = datetime_arg(p, c, 0)?;
    let f = c.string_arg(p, 1)?;
    Ok(Typed::new(udf::call(&FORMAT_DATETIME, vec![v, f]), KType::String))
}

fn format_timespan(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    let v = match v.ty {
        KType::TimeSpan => v.expr,
        KType::Null | KType::String | KType::Dynamic => typing::convert_to(v, KType::TimeSpan).expr,
        other => return Err(c.type_error(0, other, "a `timespan`")),
    };
    let f = c.string_arg(p, 1)?;
    Ok(Typed::new(udf::call(&FORMAT_TIMESPAN, vec![v, f]), KType::String))
}

fn eval_make_datetime(args: &Args) -> Result<ArrayRef> {
    let mut b = TimestampNanosecondBuilder::with_capacity(args.rows).with_timezone(UTC);
    for i in 0..args.rows {
        let mut parts = [0f64; 7];
        let mut null = false;
        for (k, slot) in parts.iter_mut().enumerate().take(args.len()) {
            let a = args.array(k)?;
            match crate::functions::convert::to_real(crate::functions::convert::value_at(a.as_ref(), i)?) {
                Some(v) => *slot = v,
                None => null = true,
            }
        }
        if null {
            b.append_null();
            continue;
        }
        let (y, mo, d) = (
            parts[0] as i32,
            if args.len() > 1 { parts[1] as u32 } else { 1 },
            if args.len() > 2 { parts[2] as u32 } else { 1 },
        );
        let date = NaiveDate::from_ymd_opt(y, mo, d);
        let secs = parts[5];
        let value = date.and_then(|date| {
            let base = from_naive(date.and_hms_opt(parts[3] as u32, parts[4] as u32, 0)?)?;
            Some(base + (secs * NANOS_PER_SEC as f64).round() as i64)
        });
        b.append_option(value.map(crate::types::time::to_ticks));
    }
    Ok(Arc::new(b.finish()))
}

static MAKE_DATETIME: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    udf::make("kql_make_datetime", Returns::Fixed(KType::DateTime.arrow()), false, eval_make_datetime)
});

fn make_datetime(p: &mut Planner, c: &Call) -> PResult<Typed> {
    if c.args.len() == 2 || c.args.len() > 6 {
        return Err(c.arity_error());
    }
    let mut args = Vec::new();
    for k in 0..c.args.len() {
        args.push(c.arg_as(p, k, KType::Real)?);
    }
    Ok(Typed::new(udf::call(&MAKE_DATETIME, args), KType::DateTime))
}

fn eval_make_timespan(args: &Args) -> Result<ArrayRef> {
    let mut b = DurationNanosecondBuilder::with_capacity(args.rows);
    for i in 0..args.rows {
        let mut v = Vec::new();
        for k in 0..args.len() {
            let a = args.array(k)?;
            v.push(crate::functions::convert::to_real(crate::functions::convert::value_at(a.as_ref(), i)?));
        }
        let Some(v) = v.into_iter().collect::<Option<Vec<f64>>>() else {
            b.append_null();
            continue;
        };
        let (d, h, m, s) = match v.len() {
            2 => (0.0, v[0], v[1], 0.0),
            3 => (0.0, v[0], v[1], v[2]),
            _ => (v[0], v[1], v[2], v.get(3).copied().unwrap_or(0.0)),
        };
        let total = ((d * 86_400.0 + h * 3_600.0 + m * 60.0 + s) * NANOS_PER_SEC as f64).round();
        b.append_option(total.is_finite().then_some(crate::types::time::to_ticks(total as i64)));
    }
    Ok(Arc::new(b.finish()))
}

static MAKE_TIMESPAN: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    udf::make("kql_make_timespan", Returns::Fixed(KType::TimeSpan.arrow()), false, eval_make_timespan)
});

fn make_timespan(p: &mut Planner, c: &Call) -> PResult<Typed> {
    let mut args = Vec::new();
    for k in 0..c.args.len() {
        args.push(c.arg_as(p, k, KType::Real)?);
    }
    Ok(Typed::new(udf::call(&MAKE_TIMESPAN, args), KType::TimeSpan))
}

fn unixtime(p: &mut Planner, c: &Call, per_unit: i64) -> PResult<Typed> {
    let v = c.arg(p, 0)?;
    let ns = match v.ty {
        k if k.is_integer() => binary(cast(v.expr, KType::Long), Operator::Multiply, lit(per_unit)),
        KType::Real | KType::Decimal | KType::Dynamic | KType::String => {
            let r = typing::convert_to(v, KType::Real).expr;
            cast(binary(r, Operator::Multiply, lit(per_unit as f64)), KType::Long)
        }
        other => return Err(c.type_error(0, other, "a number")),
    };
    Ok(Typed::new(cast(ns, KType::DateTime), KType::DateTime))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::time::parse_datetime;

    fn dt(s: &str) -> i64 {
        parse_datetime(s).unwrap_or_default()
    }

    #[test]
    fn weeks_start_on_sunday() {
        // 2026-11-25 is a Wednesday.
        let s = period_value(dt("2026-11-25 13:00"), Period::StartWeek, 0).unwrap_or_default();
        assert_eq!(crate::types::time::format_datetime(s), "2026-11-22T00:00:00.0000000Z");
        let e = period_value(dt("2026-11-25"), Period::EndMonth, 0).unwrap_or_default();
        assert_eq!(crate::types::time::format_datetime(e), "2026-11-30T23:59:59.9999999Z");
    }

    #[test]
    fn diffs_count_boundaries() {
        assert_eq!(diff("year", dt("2017-01-01"), dt("2000-12-31")), Some(17));
        assert_eq!(diff("quarter", dt("2017-07-01"), dt("2017-03-30")), Some(2));
        assert_eq!(diff("month", dt("2017-01-01"), dt("2015-12-30")), Some(13));
        assert_eq!(diff("week", dt("2017-10-29 00:00"), dt("2017-09-30 23:59")), Some(5));
        assert_eq!(diff("day", dt("2017-10-29 00:00"), dt("2017-09-30 23:59")), Some(29));
        assert_eq!(diff("hour", dt("2017-10-31 01:00"), dt("2017-10-30 23:59")), Some(2));
    }

    #[test]
    fn formats() {
        let t = dt("2017-01-29 09:00:05.123");
        assert_eq!(format_datetime_with(t, "yy-MM-dd [HH:mm:ss]"), "17-01-29 [09:00:05]");
        assert_eq!(format_datetime_with(t, "yyyy-M-d h:m:s.fff tt"), "2017-1-29 9:0:5.123 AM");
        assert_eq!(format_timespan_with(29 * NANOS_PER_SEC, "hh:mm:ss"), "00:00:29");
    }
}
