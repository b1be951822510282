//! Datetime and timespan values: parsing the textual forms found in KQL
//! literals and in logs, and printing Kusto's forms.
//!
//! kqlog stores both as nanoseconds in an `i64` (Arrow `Timestamp(ns, UTC)`
//! and `Duration(ns)`). That covers datetimes from 1677-09-21 to 2262-04-11
//! and timespans of ±106,751 days; Kusto's wider range (years 1–9999) is
//! refused with an error rather than wrapped. Values are truncated to
//! Kusto's 100 ns tick wherever they enter kqlog.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};

pub const NANOS_PER_TICK: i64 = 100;
pub const NANOS_PER_SEC: i64 = 1_000_000_000;
pub const NANOS_PER_DAY: i64 = 86_400 * NANOS_PER_SEC;

/// The documented range, for messages.
pub const DATETIME_RANGE: &str = "1677-09-21 to 2262-04-11";

/// Nanoseconds of one unit of a timespan literal (`1d`, `30m`, `1tick`).
pub fn unit_nanos(unit: &str) -> Option<i64> {
    Some(match unit {
        "d" | "day" | "days" => NANOS_PER_DAY,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600 * NANOS_PER_SEC,
        "m" | "min" | "minute" | "minutes" => 60 * NANOS_PER_SEC,
        "s" | "sec" | "second" | "seconds" => NANOS_PER_SEC,
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1_000_000,
        "microsecond" | "microseconds" => 1_000,
        "tick" | "ticks" => NANOS_PER_TICK,
        _ => return None,
    })
}

/// Truncates to whole ticks, toward zero.
pub fn to_ticks(ns: i64) -> i64 {
    ns - ns % NANOS_PER_TICK
}

fn naive_to_nanos(dt: NaiveDateTime) -> Option<i64> {
    dt.and_utc().timestamp_nanos_opt().map(to_ticks)
}

/// Parses the datetime forms of KQL literals, `todatetime()` and log
/// timestamps: ISO 8601 (`2026-11-03`, `2026-11-03 12:00`, `…T12:00:00.1234567Z`,
/// offsets `+08:00`), `/` as date separator, and RFC 822/1123
/// (`Sat, 8 Nov 2014 15:05:02 GMT`). Returns nanoseconds since the epoch, UTC.
pub fn parse_datetime(text: &str) -> Option<i64> {
    let s = text.trim();
    if s.is_empty() {
        return None;
    }
    if s.as_bytes()[0].is_ascii_digit() { parse_iso(s) } else { parse_rfc822(s) }
}

fn parse_iso(s: &str) -> Option<i64> {
    if let Some(v) = parse_month_first(s) {
        return Some(v);
    }
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let part = s.get(from..from + len)?;
        if part.bytes().all(|c| c.is_ascii_digit()) { part.parse().ok() } else { None }
    };
    let year = num(0, 4)? as i32;
    let sep = *b.get(4)?;
    if sep != b'-' && sep != b'/' {
        return None;
    }
    // Months and days may have one digit (`2026-1-5`).
    let (month, mut p) = digits(s, 5, 2)?;
    if b.get(p) != Some(&sep) {
        return None;
    }
    let (day, q) = digits(s, p + 1, 2)?;
    p = q;
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let mut nanos_of_day: i64 = 0;
    if p < b.len() && (b[p] == b'T' || b[p] == b't' || b[p] == b' ') && b.get(p + 1).is_some_and(u8::is_ascii_digit) {
        let (h, q) = digits(s, p + 1, 2)?;
        if b.get(q) != Some(&b':') {
            return None;
        }
        let (m, q) = digits(s, q + 1, 2)?;
        p = q;
        let mut sec = 0;
        if b.get(p) == Some(&b':') {
            let (sv, q) = digits(s, p + 1, 2)?;
            sec = sv;
            p = q;
        }
        let mut frac: i64 = 0;
        if b.get(p) == Some(&b'.') || b.get(p) == Some(&b',') {
            let start = p + 1;
            let mut end = start;
            while end < b.len() && b[end].is_ascii_digit() {
                end += 1;
            }
            if end == start {
                return None;
            }
            let digits = &s[start..end];
            let mut val: i64 = 0;
            for (k, c) in digits.bytes().enumerate() {
                if k < 9 {
                    val = val * 10 + (c - b'0') as i64;
                }
            }
            for _ in digits.len()..9 {
                val *= 10;
            }
            frac = val;
            p = end;
        }
        if h > 24 || m > 59 || sec > 60 || (h == 24 && (m > 0 || sec > 0 || frac > 0)) {
            return None;
        }
        nanos_of_day = ((h as i64 * 60 + m as i64) * 60 + sec as i64) * NANOS_PER_SEC + frac;
    }
    let rest = s[p..].trim();
    let offset_secs = parse_zone(rest)?;
    let midnight = naive_to_nanos(date.and_time(NaiveTime::MIN))?;
    let total = midnight.checked_add(nanos_of_day)?.checked_sub(offset_secs * NANOS_PER_SEC)?;
    Some(to_ticks(total))
}

/// `MM-DD-YYYY` or `MM/DD/YYYY` (US order), optionally with a time.
fn parse_month_first(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let (month, p) = digits(s, 0, 2)?;
    let sep = *b.get(p)?;
    if (sep != b'-' && sep != b'/') || p > 2 {
        return None;
    }
    let (day, q) = digits(s, p + 1, 2)?;
    if b.get(q) != Some(&sep) {
        return None;
    }
    let (year, r) = digits(s, q + 1, 4)?;
    if r - (q + 1) != 4 {
        return None;
    }
    let rest = &s[r..];
    let iso = format!("{year:04}-{month:02}-{day:02}{rest}");
    parse_iso(&iso)
}

/// Reads 1..=max digits at `from`; returns the value and the end position.
fn digits(s: &str, from: usize, max: usize) -> Option<(u32, usize)> {
    let b = s.as_bytes();
    let mut end = from;
    while end < b.len() && end - from < max && b[end].is_ascii_digit() {
        end += 1;
    }
    if end == from {
        return None;
    }
    Some((s[from..end].parse().ok()?, end))
}

/// A zone suffix: nothing, `Z`, `UTC`, `GMT`, `+08:00`, `-0500`. Seconds east of UTC.
fn parse_zone(z: &str) -> Option<i64> {
    match z {
        "" | "Z" | "z" | "UTC" | "GMT" | "utc" | "gmt" => return Some(0),
        _ => {}
    }
    let sign = match z.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body: String = z[1..].chars().filter(|c| *c != ':').collect();
    if body.len() != 4 && body.len() != 2 || !body.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let h: i64 = body[..2].parse().ok()?;
    let m: i64 = if body.len() == 4 { body[2..].parse().ok()? } else { 0 };
    Some(sign * (h * 3600 + m * 60))
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/// `Sat, 8 Nov 2014 15:05:02 GMT`, `8 Nov 14 15:05 +0100`.
fn parse_rfc822(s: &str) -> Option<i64> {
    let s = match s.find(',') {
        Some(p) => &s[p + 1..],
        None => s,
    };
    let mut parts = s.split_whitespace();
    let day: u32 = parts.next()?.parse().ok()?;
    let mon = parts.next()?.to_ascii_lowercase();
    let month = MONTHS.iter().position(|m| mon.starts_with(m))? as u32 + 1;
    let y: i32 = parts.next()?.parse().ok()?;
    let year = if y < 100 { if y < 50 { 2000 + y } else { 1900 + y } } else { y };
    let time = parts.next().unwrap_or("00:00");
    let mut tp = time.split(':');
    let h: u32 = tp.next()?.parse().ok()?;
    let m: u32 = tp.next()?.parse().ok()?;
    let sec: u32 = tp.next().map(|x| x.parse().ok()).unwrap_or(Some(0))?;
    let zone = parts.next().unwrap_or("");
    let offset = parse_zone(zone).or(match zone {
        "EST" => Some(-5 * 3600),
        "EDT" => Some(-4 * 3600),
        "CST" => Some(-6 * 3600),
        "CDT" => Some(-5 * 3600),
        "MST" => Some(-7 * 3600),
        "MDT" => Some(-6 * 3600),
        "PST" => Some(-8 * 3600),
        "PDT" => Some(-7 * 3600),
        _ => None,
    })?;
    let dt = NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(h, m, sec)?;
    Some(naive_to_nanos(dt)? - offset * NANOS_PER_SEC)
}

/// True for a well-formed datetime whose year kqlog cannot hold
/// (`datetime(0001-01-01)`, `datetime(9999-12-31)`).
pub fn is_out_of_range(text: &str) -> bool {
    let s = text.trim();
    let Some(year) = s.get(..4).and_then(|y| y.parse::<i32>().ok()) else { return false };
    !(1678..=2261).contains(&year) && parse_datetime(&format!("2000{}", &s[4..])).is_some()
}

/// Kusto's ISO form with seven fractional digits: `2026-11-03T12:00:00.0000000Z`.
pub fn format_datetime(ns: i64) -> String {
    let dt = Utc.timestamp_nanos(ns);
    let ticks = dt.nanosecond() / 100;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        ticks
    )
}

pub fn to_chrono(ns: i64) -> DateTime<Utc> {
    Utc.timestamp_nanos(ns)
}

/// Kusto's timespan form: `[-][d.]hh:mm:ss[.fffffff]`.
pub fn format_timespan(ns: i64) -> String {
    let neg = ns < 0;
    let total = (ns as i128).abs();
    let ticks = (total / 100) as u128;
    let frac = ticks % 10_000_000;
    let secs = ticks / 10_000_000;
    let days = secs / 86_400;
    let h = (secs / 3600) % 24;
    let m = (secs / 60) % 60;
    let s = secs % 60;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if days > 0 {
        out.push_str(&format!("{days}."));
    }
    out.push_str(&format!("{h:02}:{m:02}:{s:02}"));
    if frac > 0 {
        out.push_str(&format!(".{frac:07}"));
    }
    out
}

/// Parses `[-][d.]hh:mm[:ss[.f]]` or a number with a unit (`2d`, `1.5h`);
/// a bare number counts days, as in `time(2)`.
pub fn parse_timespan(text: &str) -> Option<i64> {
    let s = text.trim();
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b.trim_start()),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let v = if body.contains(':') { parse_clock(body)? } else { parse_with_unit(body)? };
    Some(if neg { -v } else { v })
}

fn parse_clock(s: &str) -> Option<i64> {
    let (days, clock) = match s.find(':') {
        Some(colon) => match s[..colon].rfind('.') {
            Some(dot) => (s[..dot].parse::<i64>().ok()?, &s[dot + 1..]),
            None => (0, s),
        },
        None => return None,
    };
    let mut parts = clock.split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let (sec, frac) = match parts.next() {
        Some(sf) => match sf.split_once('.') {
            Some((a, f)) => {
                if f.is_empty() || !f.bytes().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                let mut v: i64 = 0;
                for (k, c) in f.bytes().enumerate() {
                    if k < 9 {
                        v = v * 10 + (c - b'0') as i64;
                    }
                }
                for _ in f.len()..9 {
                    v *= 10;
                }
                (a.parse::<i64>().ok()?, v)
            }
            None => (sf.parse::<i64>().ok()?, 0),
        },
        None => (0, 0),
    };
    if parts.next().is_some() || m > 59 || sec > 59 || h < 0 || m < 0 || sec < 0 {
        return None;
    }
    let total = days
        .checked_mul(NANOS_PER_DAY)?
        .checked_add((h * 3600 + m * 60 + sec).checked_mul(NANOS_PER_SEC)?)?
        .checked_add(frac)?;
    Some(to_ticks(total))
}

fn parse_with_unit(s: &str) -> Option<i64> {
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (num, unit) = (s[..split].trim(), s[split..].trim());
    let per = if unit.is_empty() { NANOS_PER_DAY } else { unit_nanos(unit)? };
    scale(num, per)
}

/// `num * per` for a decimal `num` such as `1.5`, exactly when possible.
pub fn scale(num: &str, per: i64) -> Option<i64> {
    if num.is_empty() {
        return None;
    }
    if let Ok(n) = num.parse::<i64>() {
        return n.checked_mul(per).map(to_ticks);
    }
    let f: f64 = num.parse().ok()?;
    let v = f * per as f64;
    if !v.is_finite() || v.abs() >= 9.2e18 {
        return None;
    }
    Some(to_ticks(v.round() as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_forms() {
        let base = parse_datetime("2026-11-03").unwrap();
        assert_eq!(format_datetime(base), "2026-11-03T00:00:00.0000000Z");
        let t = parse_datetime("2026-11-03T12:00:00.1234567Z").unwrap();
        assert_eq!(format_datetime(t), "2026-11-03T12:00:00.1234567Z");
        let t = parse_datetime("2026-11-03 12:00").unwrap();
        assert_eq!(format_datetime(t), "2026-11-03T12:00:00.0000000Z");
        let t = parse_datetime("2026-11-03T20:00:00.123456789+08:00").unwrap();
        assert_eq!(format_datetime(t), "2026-11-03T12:00:00.1234567Z");
        assert!(parse_datetime("2026-13-03").is_none());
        assert!(parse_datetime("3000-01-01").is_none(), "outside the ns range");
    }

    #[test]
    fn rfc822() {
        let t = parse_datetime("Sat, 8 Nov 2014 15:05:02 GMT").unwrap();
        assert_eq!(format_datetime(t), "2014-11-08T15:05:02.0000000Z");
    }

    #[test]
    fn timespans() {
        assert_eq!(format_timespan(parse_timespan("1.02:03:04").unwrap()), "1.02:03:04");
        assert_eq!(format_timespan(parse_timespan("-12:00:00").unwrap()), "-12:00:00");
        assert_eq!(format_timespan(parse_timespan("00:00:01.5").unwrap()), "00:00:01.5000000");
        assert_eq!(parse_timespan("2d"), Some(2 * NANOS_PER_DAY));
        assert_eq!(parse_timespan("1.5h"), Some(5400 * NANOS_PER_SEC));
        assert_eq!(parse_timespan("2"), Some(2 * NANOS_PER_DAY));
    }
}
