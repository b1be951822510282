//! Records that Microsoft LogMonitor writes to a Windows container's
//! stdout: v1 XML-ish (`<Source>EventLog</Source><Time>…`), v2 JSON
//! (`{"Source":"EventLog","LogEntry":{…}}`), v2 XML (`<Log>…</Log>`) and its
//! own diagnostics (`[time][LOGMONITOR] ERROR: …`).

use serde_json::{Map, Value as Json};

use crate::types::time;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    EventLog,
    File,
    Etw,
    Process,
    SelfTrace,
}

/// An EventLog record's fields (for the Event table).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFields {
    pub channel: String,
    pub level: String,
    pub event_id: Option<i64>,
    pub message: String,
    pub provider: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub source: Source,
    pub time: Option<i64>,
    /// The level as LogMonitor printed it (`Error`, `Information`).
    pub level: Option<String>,
    /// The record as a JSON object, for ContainerLogV2's `LogMessage`.
    pub json: Json,
    pub event: Option<EventFields>,
    /// A File record: (file name, line).
    pub file_line: Option<(String, String)>,
}

/// Recognises a LogMonitor record; `None` for any other line.
pub fn parse(line: &str) -> Option<Record> {
    let t = line.trim();
    if t.starts_with("{\"Source\"") || t.starts_with("{ \"Source\"") {
        return parse_json(t);
    }
    if t.starts_with("<Log>") {
        return parse_xml(t.strip_prefix("<Log>")?.strip_suffix("</Log>").unwrap_or(t));
    }
    if t.starts_with("<Source>") {
        return parse_xml(t);
    }
    if t.starts_with('[') && t.contains("][LOGMONITOR]") {
        let close = t.find(']')?;
        let when = time::parse_datetime(&t[1..close]);
        let rest = t[close..].split_once("][LOGMONITOR]").map(|(_, r)| r.trim()).unwrap_or("");
        let level = rest.split(':').next().unwrap_or("").trim().to_string();
        let mut m = Map::new();
        m.insert("Source".into(), "LOGMONITOR".into());
        m.insert("Level".into(), Json::String(level.clone()));
        m.insert("Message".into(), rest.split_once(':').map_or(rest, |(_, m)| m.trim()).into());
        return Some(Record {
            source: Source::SelfTrace,
            time: when,
            level: Some(match level.as_str() {
                "ERROR" => "Error".into(),
                "WARNING" => "Warning".into(),
                _ => "Information".into(),
            }),
            json: Json::Object(m),
            event: None,
            file_line: None,
        });
    }
    None
}

fn source_of(name: &str) -> Option<Source> {
    Some(match name {
        "EventLog" => Source::EventLog,
        "File" => Source::File,
        "ETW" | "EtwEvent" => Source::Etw,
        "Process" => Source::Process,
        _ => return None,
    })
}

fn str_of(v: Option<&Json>) -> String {
    match v {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn parse_json(t: &str) -> Option<Record> {
    let json: Json = serde_json::from_str(t).ok()?;
    let obj = json.as_object()?;
    let source = source_of(obj.get("Source")?.as_str()?)?;
    let entry = obj.get("LogEntry").and_then(Json::as_object).cloned().unwrap_or_default();
    Some(record(source, &entry, json.clone()))
}

fn record(source: Source, entry: &Map<String, Json>, json: Json) -> Record {
    let time = entry.get("Time").and_then(Json::as_str).and_then(time::parse_datetime);
    let level = entry.get("Level").map(|l| str_of(Some(l))).filter(|l| !l.is_empty());
    let event = (source == Source::EventLog).then(|| EventFields {
        channel: str_of(entry.get("Channel")),
        level: level.clone().unwrap_or_default(),
        event_id: match entry.get("EventId") {
            Some(Json::Number(n)) => n.as_i64(),
            Some(Json::String(s)) => s.trim().parse().ok(),
            _ => None,
        },
        message: str_of(entry.get("Message")),
        provider: str_of(entry.get("EventSource")),
    });
    let file_line = match source {
        Source::File => Some((str_of(entry.get("FileName")), str_of(entry.get("Logline")))),
        _ => None,
    };
    Record { source, time, level, json, event, file_line }
}

/// Content of `<tag …>…</tag>` (first occurrence) in LogMonitor's XML-ish
/// text, which does not escape its content.
fn tag<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    let open = s.find(&format!("<{name}"))?;
    let after = &s[open + name.len() + 1..];
    let gt = after.find('>')?;
    if after[..gt].ends_with('/') {
        return Some("");
    }
    let body = &after[gt + 1..];
    let close = body.find(&format!("</{name}>"))?;
    Some(&body[..close])
}

fn parse_xml(t: &str) -> Option<Record> {
    let source = source_of(tag(t, "Source")?)?;
    let entry_text = tag(t, "LogEntry").unwrap_or(t);
    let mut entry = Map::new();
    let time_text = tag(t, "Time").or_else(|| tag(entry_text, "Time"));
    if let Some(x) = time_text {
        entry.insert("Time".into(), x.into());
    }
    for key in ["Channel", "Level", "EventId", "Message", "EventSource", "Logline", "FileName", "ProviderName"] {
        if let Some(v) = tag(entry_text, key).or_else(|| tag(t, key)) {
            entry.insert(key.into(), v.into());
        }
    }
    if source == Source::Etw
        && let Some(v) = tag(t, "EventID")
    {
        entry.insert("EventId".into(), v.into());
    }
    let mut obj = Map::new();
    obj.insert("Source".into(), tag(t, "Source").unwrap_or("").into());
    obj.insert("LogEntry".into(), Json::Object(entry.clone()));
    Some(record(source, &entry, Json::Object(obj)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_eventlog() {
        let r = parse("<Source>EventLog</Source><Time>2026-11-03T10:00:00.000Z</Time><LogEntry><Channel>Application</Channel><Level>Error</Level><EventId>1000</EventId><Message>boom</Message></LogEntry>").unwrap();
        assert_eq!(r.source, Source::EventLog);
        let e = r.event.unwrap();
        assert_eq!(
            (e.channel.as_str(), e.level.as_str(), e.event_id, e.message.as_str()),
            ("Application", "Error", Some(1000), "boom")
        );
        assert!(r.time.is_some());
    }

    #[test]
    fn v2_file() {
        let r = parse(r##"{"Source":"File","LogEntry":{"Logline":"#Fields: date time","FileName":"LogFiles\\W3SVC1\\u_ex1.log"},"SchemaVersion":"1.0.0"}"##).unwrap();
        assert_eq!(r.file_line, Some(("LogFiles\\W3SVC1\\u_ex1.log".into(), "#Fields: date time".into())));
    }

    #[test]
    fn self_trace_and_others() {
        let r = parse("[2026-11-03T10:00:00.000Z][LOGMONITOR] ERROR: Invalid providers.").unwrap();
        assert_eq!(r.level.as_deref(), Some("Error"));
        assert!(parse("plain text").is_none());
    }
}
