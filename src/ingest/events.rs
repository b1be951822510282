//! `docker events --format '{{json .}}'` lines → ContainerServiceLog.

use std::path::Path;

use serde_json::Value as Json;

use crate::error::Result;
use crate::ingest::rows::Value;
use crate::ingest::schema::CONTAINER_SERVICE_LOG;
use crate::ingest::sink::{Sink, split_image};
use crate::ingest::source;

/// True for a docker event object.
pub fn looks_like(obj: &serde_json::Map<String, Json>) -> bool {
    (obj.contains_key("Action") && obj.contains_key("Type")) || (obj.contains_key("status") && obj.contains_key("id"))
}

fn event_time(obj: &serde_json::Map<String, Json>) -> Option<i64> {
    if let Some(n) = obj.get("timeNano").and_then(Json::as_i64) {
        return Some(crate::types::time::to_ticks(n));
    }
    obj.get("time").and_then(Json::as_i64).and_then(|s| s.checked_mul(1_000_000_000))
}

pub fn ingest(sink: &mut Sink, path: &Path) -> Result<()> {
    let Some(mut r) = source::begin(sink, path)? else { return Ok(()) };
    let mut buf = Vec::new();
    let computer = sink.opts.computer.clone();
    while r.next_line(&mut buf)?.is_some() {
        sink.stats.bytes += buf.len() as u64 + 1;
        let line_no = r.line_no - 1;
        let text = source::text(&buf);
        if text.trim().is_empty() {
            continue;
        }
        let obj = match serde_json::from_str::<Json>(&text) {
            Ok(Json::Object(o)) if looks_like(&o) => o,
            _ => {
                sink.reject(&r.display, line_no, "not a docker event (JSON with `Type` and `Action`)", &text);
                continue;
            }
        };
        let kind = obj.get("Type").and_then(Json::as_str).unwrap_or("container");
        let action = obj.get("Action").or_else(|| obj.get("status")).and_then(Json::as_str).unwrap_or("");
        let actor_id =
            obj.get("Actor").and_then(|a| a.get("ID")).or_else(|| obj.get("id")).and_then(Json::as_str).unwrap_or("");
        let attr_image =
            obj.get("Actor").and_then(|a| a.get("Attributes")).and_then(|a| a.get("image")).and_then(Json::as_str);
        let (container, image) = if kind == "container" {
            (actor_id, attr_image.or_else(|| obj.get("from").and_then(Json::as_str)).unwrap_or(""))
        } else {
            ("", attr_image.unwrap_or(actor_id))
        };
        let (repository, _, tag) = split_image(image);
        let when = event_time(&obj).map_or(Value::Null, Value::Time);
        let def = &CONTAINER_SERVICE_LOG;
        let ix = |n: &str| def.index(n).unwrap_or(usize::MAX);
        let t = sink.table(def);
        t.set(ix("SourceSystem"), Value::Str("Containers"));
        t.set(ix("TimeGenerated"), when);
        t.set(ix("Computer"), Value::Str(&computer));
        t.set(ix("TimeOfCommand"), when);
        t.set(ix("Command"), Value::Str(action));
        t.set(ix("ContainerID"), Value::Str(container));
        t.set(ix("Image"), Value::Str(image));
        t.set(ix("ImageTag"), Value::Str(&tag));
        t.set(ix("Repository"), Value::Str(&repository));
        t.set(ix("Type"), Value::Str("ContainerServiceLog"));
        sink.end_row(def.name)?;
    }
    r.mark(sink, r.offset, r.line_no);
    Ok(())
}
