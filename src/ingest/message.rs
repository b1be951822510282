//! ContainerLogV2's `LogMessage` and `LogLevel` for a log line that is not
//! a LogMonitor record: a JSON object line stays structured and names its
//! level in one of the usual fields; any other line becomes a JSON string
//! and its level comes from a leading keyword (`level.rs`). This runs for
//! every line, so the JSON is only probed for the level fields, borrowing
//! from the line, and text is scanned as bytes.

use serde_json::Value as Json;

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

/// ContainerLogV2's `LogMessage` (JSON text, in `out` or borrowed from the
/// line) and `LogLevel` for a line that is not a LogMonitor record: JSON
/// object lines stay structured (compacted), other lines become strings.
pub fn message_and_level<'a>(text: &'a str, out: &'a mut String) -> (&'a str, &'static str) {
    let t = text.trim_ascii();
    if matches!(t.as_bytes(), [b'{', .., b'}'])
        && let Ok(p) = serde_json::from_str::<LevelProbe>(t)
    {
        let level = p.level().unwrap_or("UNKNOWN");
        if is_compact(t) {
            return (t, level);
        }
        out.clear();
        if let Ok(v) = serde_json::from_str::<Json>(t) {
            out.push_str(&v.to_string());
        }
        return (out, level);
    }
    json_string_into(text, out);
    (out, level::from_text(text).unwrap_or("UNKNOWN"))
}

/// `text` as a JSON string literal, in `out`.
fn json_string_into(text: &str, out: &mut String) {
    out.clear();
    // Most log lines need no escaping: copy them between quotes.
    // Tested a block at a time without early exit, which vectorises.
    let plain = |c: &[u8]| !c.iter().fold(false, |any, &b| any | (b == b'"') | (b == b'\\') | (b < 0x20));
    if text.as_bytes().chunks(32).all(plain) {
        out.reserve(text.len() + 2);
        out.push('"');
        out.push_str(text);
        out.push('"');
        return;
    }
    let mut buf = std::mem::take(out).into_bytes();
    // Writing a &str as JSON cannot fail, and JSON text is UTF-8.
    let _ = serde_json::to_writer(&mut buf, text);
    *out = String::from_utf8(buf).unwrap_or_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_stay_structured() {
        let mut out = String::new();
        let (m, l) = message_and_level(r#"{"level":"warn","msg":"slow"}"#, &mut out);
        assert_eq!((m, l), (r#"{"level":"warn","msg":"slow"}"#, "WARNING"));
        let (m, l) = message_and_level(r#"{ "severity": 50, "msg": "a b" }"#, &mut out);
        assert_eq!((m, l), (r#"{"severity":50,"msg":"a b"}"#, "ERROR"));
        // The first field that names a level wins; other shapes are passed over.
        let level = |line: &str| message_and_level(line, &mut String::new()).1;
        assert_eq!(level(r#"{"level":{"n":1},"Severity":"Warning"}"#), "WARNING");
        assert_eq!(level(r#"{"level":"chatty","lvl":"d\u0065bug"}"#), "DEBUG");
        assert_eq!(level(r#"{"@l":"Error","@m":"x"}"#), "ERROR");
        assert_eq!(level(r#"{"log.level":"info"}"#), "INFO");
        assert_eq!(level(r#"{"level":[1,2],"severity":2.5,"msg":null}"#), "UNKNOWN");
        assert_eq!(level(r#"{"level":30}"#), "INFO");
        let (m, l) = message_and_level("ERROR boom", &mut out);
        assert_eq!((m, l), ("\"ERROR boom\"", "ERROR"));
        let (m, _) = message_and_level("say \"hi\"\tC:\\temp", &mut out);
        assert_eq!(m, r#""say \"hi\"\tC:\\temp""#);
    }
}
