//! ContainerLogV2's `LogMessage` and `LogLevel` for a log line that is not
//! a LogMonitor record: a JSON object line stays structured and names its
//! level in one of the usual fields; any other line becomes a JSON string
//! and its level comes from a leading keyword (`level.rs`). This runs for
//! every line, so the JSON is only probed for the level fields, borrowing
//! from the line, and text is scanned as bytes.

use arrow::array::LargeStringBuilder;
use serde_json::Value as Json;

use crate::ingest::json_scan::{has_control, number_end, string_end};
use crate::ingest::level;

/// The level fields a JSON log line may carry (in the order they are
/// looked at); other fields are skipped without being built.
#[derive(serde::Deserialize)]
struct LevelProbe<'a> {
    #[serde(borrow)]
    level: Option<LevelField<'a>>,
    #[serde(borrow)]
    severity: Option<LevelField<'a>>,
    #[serde(borrow, rename = "Level")]
    level_cap: Option<LevelField<'a>>,
    #[serde(borrow, rename = "Severity")]
    severity_cap: Option<LevelField<'a>>,
    #[serde(borrow)]
    lvl: Option<LevelField<'a>>,
    #[serde(borrow)]
    loglevel: Option<LevelField<'a>>,
    #[serde(borrow, rename = "log.level")]
    log_level: Option<LevelField<'a>>,
    #[serde(borrow, rename = "@l")]
    serilog: Option<LevelField<'a>>,
}

impl LevelProbe<'_> {
    fn level(&self) -> Option<&'static str> {
        [
            &self.level,
            &self.severity,
            &self.level_cap,
            &self.severity_cap,
            &self.lvl,
            &self.loglevel,
            &self.log_level,
            &self.serilog,
        ]
        .into_iter()
        .flatten()
        .find_map(|f| match f {
            LevelField::Text(t) => level::from_word(t),
            LevelField::Number(n) => level::from_number(*n),
            LevelField::Other => None,
        })
    }
}

/// A level field's value: text (borrowed from the line when it has no
/// escapes), an integer, or anything else (skipped).
enum LevelField<'a> {
    Text(std::borrow::Cow<'a, str>),
    Number(i64),
    Other,
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for LevelField<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = LevelField<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a level")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
                Ok(LevelField::Text(v.into()))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(LevelField::Text(v.to_string().into()))
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<Self::Value, E> {
                Ok(LevelField::Number(v))
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<Self::Value, E> {
                Ok(i64::try_from(v).map_or(LevelField::Other, LevelField::Number))
            }
            fn visit_f64<E>(self, _: f64) -> std::result::Result<Self::Value, E> {
                Ok(LevelField::Other)
            }
            fn visit_bool<E>(self, _: bool) -> std::result::Result<Self::Value, E> {
                Ok(LevelField::Other)
            }
            fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
                Ok(LevelField::Other)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> std::result::Result<Self::Value, A::Error> {
                while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(LevelField::Other)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> std::result::Result<Self::Value, A::Error> {
                while a.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
                Ok(LevelField::Other)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// The fields `LevelProbe` reads, in the order it looks at them.
const LEVEL_KEYS: [&str; 8] = ["level", "severity", "Level", "Severity", "lvl", "loglevel", "log.level", "@l"];

/// The level of the usual JSON log line — a compact object of strings,
/// numbers, booleans and nulls — read in one pass without a parser: `None`
/// for anything else (nested values, whitespace, escapes in a key or a
/// level, a repeated level field, or text that is not JSON), which the
/// parser then decides. `Some(level)` promises `t` is valid compact JSON.
fn flat_object_level(t: &str) -> Option<Option<&'static str>> {
    let b = t.as_bytes();
    let mut found: [Option<Option<&'static str>>; 8] = [None; 8];
    let mut i = 1;
    if b.get(i) == Some(&b'}') {
        return (i + 1 == b.len()).then_some(None);
    }
    loop {
        // A key: a string without escapes.
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let end = i + 1 + memchr::memchr2(b'"', b'\\', &b[i + 1..])?;
        if b[end] != b'"' || has_control(&b[i + 1..end]) {
            return None;
        }
        let key = &t[i + 1..end];
        i = end + 1;
        if b.get(i) != Some(&b':') {
            return None;
        }
        i += 1;
        let slot = LEVEL_KEYS.iter().position(|k| k.len() == key.len() && k.as_bytes() == key.as_bytes());
        let (value, next) = match b.get(i)? {
            b'"' => {
                let (end, escaped) = string_end(b, i + 1)?;
                let level = if escaped { None } else { level::from_word(&t[i + 1..end]) };
                // An escaped level is rare: the parser unescapes it.
                if escaped && slot.is_some() {
                    return None;
                }
                (level, end + 1)
            }
            b't' if b[i..].starts_with(b"true") => (None, i + 4),
            b'f' if b[i..].starts_with(b"false") => (None, i + 5),
            b'n' if b[i..].starts_with(b"null") => (None, i + 4),
            b'-' | b'0'..=b'9' => {
                let (end, integer) = number_end(b, i)?;
                let level = if integer { t[i..end].parse::<i64>().ok().and_then(level::from_number) } else { None };
                (level, end)
            }
            _ => return None,
        };
        if let Some(k) = slot {
            if found[k].is_some() {
                return None;
            }
            found[k] = Some(value);
        }
        i = next;
        match b.get(i)? {
            b',' => i += 1,
            b'}' if i + 1 == b.len() => return Some(found.into_iter().flatten().find_map(|l| l)),
            _ => return None,
        }
    }
}

/// True when JSON text has no whitespace outside strings.
fn is_compact(s: &str) -> bool {
    let mut in_string = false;
    let mut escaped = false;
    for b in s.bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b.is_ascii_whitespace() {
            return false;
        }
    }
    true
}

/// ContainerLogV2's `LogMessage`, as JSON text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Message<'a> {
    /// Text that is JSON already.
    Json(&'a str),
    /// A line none of whose bytes needs escaping: the JSON string is the
    /// line between quotes, written so where it is stored (saving a copy).
    Quoted(&'a str),
}

impl Message<'_> {
    /// Bytes of the JSON text.
    pub fn json_len(&self) -> usize {
        match self {
            Message::Json(s) => s.len(),
            Message::Quoted(s) => s.len() + 2,
        }
    }

    /// Appends the JSON text as the builder's next value.
    pub fn append_to(&self, b: &mut LargeStringBuilder) {
        match self {
            Message::Json(s) => b.append_value(s),
            Message::Quoted(s) => {
                use std::fmt::Write;
                // Writing to a string builder cannot fail.
                let _ = b.write_char('"').and_then(|()| b.write_str(s)).and_then(|()| b.write_char('"'));
                b.append_value("");
            }
        }
    }
}

/// ContainerLogV2's `LogMessage` (borrowed from the line, or in `out`)
/// and `LogLevel` for a line that is not a LogMonitor record: JSON object
/// lines stay structured (compacted), other lines become strings.
pub fn message_and_level<'a>(text: &'a str, out: &'a mut String) -> (Message<'a>, &'static str) {
    let t = text.trim_ascii();
    if !matches!(t.as_bytes(), [b'{', .., b'}']) {
        return (json_string(text, out), level::from_text(text).unwrap_or("UNKNOWN"));
    }
    if let Some(level) = flat_object_level(t) {
        return (Message::Json(t), level.unwrap_or("UNKNOWN"));
    }
    if let Ok(p) = serde_json::from_str::<LevelProbe>(t) {
        let level = p.level().unwrap_or("UNKNOWN");
        if is_compact(t) {
            return (Message::Json(t), level);
        }
        out.clear();
        if let Ok(v) = serde_json::from_str::<Json>(t) {
            out.push_str(&v.to_string());
        }
        return (Message::Json(out), level);
    }
    (json_string(text, out), level::from_text(text).unwrap_or("UNKNOWN"))
}

/// `text` as a JSON string literal, escaped in `out` when it needs to be.
fn json_string<'a>(text: &'a str, out: &'a mut String) -> Message<'a> {
    // Most log lines need no escaping. Tested a block at a time without
    // early exit, which vectorises.
    let plain = |c: &[u8]| !c.iter().fold(false, |any, &b| any | (b == b'"') | (b == b'\\') | (b < 0x20));
    if text.as_bytes().chunks(32).all(plain) {
        return Message::Quoted(text);
    }
    out.clear();
    let mut buf = std::mem::take(out).into_bytes();
    // Writing a &str as JSON cannot fail, and JSON text is UTF-8.
    let _ = serde_json::to_writer(&mut buf, text);
    *out = String::from_utf8(buf).unwrap_or_default();
    Message::Json(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_stay_structured() {
        let mut out = String::new();
        let mut json = |line: &str| {
            let (m, l) = message_and_level(line, &mut out);
            let mut b = LargeStringBuilder::new();
            m.append_to(&mut b);
            let stored = b.finish().value(0).to_string();
            assert_eq!(stored.len(), m.json_len(), "{line}");
            (stored, l)
        };
        assert_eq!(json(r#"{"level":"warn","msg":"slow"}"#), (r#"{"level":"warn","msg":"slow"}"#.into(), "WARNING"));
        assert_eq!(json(r#"{ "severity": 50, "msg": "a b" }"#), (r#"{"severity":50,"msg":"a b"}"#.into(), "ERROR"));
        assert_eq!(json("ERROR boom"), ("\"ERROR boom\"".into(), "ERROR"));
        assert_eq!(json("say \"hi\"\tC:\\temp").0, r#""say \"hi\"\tC:\\temp""#);
        // The first field that names a level wins; other shapes are passed over.
        let level = |line: &str| message_and_level(line, &mut String::new()).1;
        assert_eq!(level(r#"{"level":{"n":1},"Severity":"Warning"}"#), "WARNING");
        assert_eq!(level(r#"{"level":"chatty","lvl":"d\u0065bug"}"#), "DEBUG");
        assert_eq!(level(r#"{"@l":"Error","@m":"x"}"#), "ERROR");
        assert_eq!(level(r#"{"log.level":"info"}"#), "INFO");
        assert_eq!(level(r#"{"level":[1,2],"severity":2.5,"msg":null}"#), "UNKNOWN");
        assert_eq!(level(r#"{"level":30}"#), "INFO");
    }

    /// Whenever the one-pass reader answers, the JSON parser agrees: the
    /// text is valid compact JSON and the level is the same.
    #[test]
    fn the_flat_reader_agrees_with_the_parser() {
        let keys = ["level", "severity", "Level", "lvl", "@l", "log.level", "msg", "n", r#"a\"b"#, "loglevel"];
        let values = [
            r#""info""#,
            r#""WARN""#,
            r#""chatty""#,
            "30",
            "-5",
            "1e2",
            "30.0",
            "01",
            "-0",
            "true",
            "false",
            "null",
            r#""caf\u00e9""#,
            r#""tab\there""#,
            r#"{"a":1}"#,
            "[1,2]",
            r#""\x""#,
            "tru",
            r#""open"#,
            "1.",
            "-",
            "\"ctl\u{1}\"",
            r#""d\u0065bug""#,
            "18446744073709551616",
            r#""é ok""#,
        ];
        let mut seed = 7u64;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        let (mut answered, mut total) = (0, 0);
        for _ in 0..20_000 {
            let fields = next(4);
            let mut line = String::from("{");
            for f in 0..fields {
                if f > 0 {
                    line.push_str(if next(20) == 0 { ", " } else { "," });
                }
                line.push_str(&format!("\"{}\":{}", keys[next(keys.len())], values[next(values.len())]));
            }
            line.push('}');
            total += 1;
            let Some(level) = flat_object_level(&line) else { continue };
            answered += 1;
            assert!(serde_json::from_str::<Json>(&line).is_ok() && is_compact(&line), "{line}");
            let probe = serde_json::from_str::<LevelProbe>(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(level, probe.level(), "{line}");
            assert_eq!(
                message_and_level(&line, &mut String::new()),
                (Message::Json(line.as_str()), level.unwrap_or("UNKNOWN"))
            );
        }
        assert!(answered * 4 > total, "the one-pass reader should answer often: {answered} of {total}");
    }
}
