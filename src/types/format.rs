//! How Kusto prints values: the text of `tostring()` and of kqlog's CSV
//! and JSON cells.

use crate::types::time;

/// Shortest text that reads back as the same `real`; `NaN`, `Infinity`,
/// `-Infinity` for the IEEE specials.
pub fn real(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity".into() } else { "-Infinity".into() }
    } else {
        // Rust's Display is the shortest round-trip form without exponent.
        let s = format!("{v}");
        if s.len() > 21 { format!("{v:e}").replace('e', "E+").replace("E+-", "E-") } else { s }
    }
}

/// `tostring(bool)`: .NET's `True`/`False`.
pub fn bool_dotnet(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

pub fn datetime(ns: i64) -> String {
    time::format_datetime(ns)
}

pub fn timespan(ns: i64) -> String {
    time::format_timespan(ns)
}

/// The string form of a dynamic value stored as JSON text: a JSON string
/// prints as its content, anything else as (compact) JSON.
pub fn dynamic_text(json: &str) -> std::borrow::Cow<'_, str> {
    let t = json.trim_start();
    if t.starts_with('"') {
        match serde_json::from_str::<String>(json) {
            Ok(s) => std::borrow::Cow::Owned(s),
            Err(_) => std::borrow::Cow::Borrowed(json),
        }
    } else if t == "null" {
        std::borrow::Cow::Borrowed("")
    } else {
        std::borrow::Cow::Borrowed(json)
    }
}

/// Decimal128 with a scale, as plain text without trailing zeros.
pub fn decimal(v: i128, scale: i8) -> String {
    if scale <= 0 {
        return (v * 10i128.pow((-scale) as u32)).to_string();
    }
    let neg = v < 0;
    let digits = v.unsigned_abs().to_string();
    let scale = scale as usize;
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    let frac = frac.trim_end_matches('0');
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    s.push_str(int);
    if !frac.is_empty() {
        s.push('.');
        s.push_str(frac);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals() {
        assert_eq!(real(1.0), "1");
        assert_eq!(real(1.5), "1.5");
        assert_eq!(real(-0.0), "-0");
        assert_eq!(real(f64::NAN), "NaN");
        assert_eq!(real(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(real(1.0 / 3.0), "0.3333333333333333");
    }

    #[test]
    fn decimals() {
        assert_eq!(decimal(1_500_000_000_000_000_000, 18), "1.5");
        assert_eq!(decimal(-25, 1), "-2.5");
        assert_eq!(decimal(7, 0), "7");
    }
}
