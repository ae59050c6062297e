//! ThreatFox exports: the CSV export (`# "first_seen_utc","ioc_id","ioc_value","ioc_type",...`),
//! the JSON export (`{"<ioc_id>":[{"ioc_value":...}]}`), the API's answer
//! (`{"query_status":"ok","data":[{"id","ioc",...}]}`) and a plain array of IOC objects.

use serde_json::{Map, Value};

use super::csv::Table;
use super::json::{is_cut_off, text};
use super::{confidence, field, tag_list, IocKind, Location, Meta, Sink};

/// The full export's columns, for a file whose header line was lost.
pub(crate) const COLUMNS: &[&str] = &[
    "first_seen_utc",
    "ioc_id",
    "ioc_value",
    "ioc_type",
    "threat_type",
    "fk_malware",
    "malware_alias",
    "malware_printable",
    "last_seen_utc",
    "confidence_level",
    "reference",
    "tags",
    "anonymous",
    "reporter",
];

/// ThreatFox's `ioc_type`s loghunt loads.
fn kind(ioc_type: &str) -> Option<IocKind> {
    Some(match ioc_type.trim().to_ascii_lowercase().as_str() {
        "md5_hash" => IocKind::Md5,
        "sha1_hash" => IocKind::Sha1,
        "sha256_hash" => IocKind::Sha256,
        "domain" => IocKind::Domain,
        "url" => IocKind::Url,
        "ip:port" | "ip" => IocKind::Ip { port: None },
        _ => return None,
    })
}

pub(crate) fn is_csv_header(columns: &[String]) -> bool {
    let has = |name: &str| columns.iter().any(|c| c.eq_ignore_ascii_case(name));
    has("ioc_value") && has("ioc_type")
}

pub(crate) fn read_csv(table: &Table, sink: &mut Sink) {
    let column = |name| table.column(name);
    let (Some(value_at), Some(type_at)) = (column("ioc_value"), column("ioc_type")) else {
        return;
    };
    let at = |fields: &[String], index: Option<usize>| index.map_or("", |i| fields[i].as_str()).to_string();
    for row in table.rows() {
        let location = Location::Line(row.line);
        let fields = match row.fields {
            Ok(fields) => fields,
            Err(why) => {
                sink.warn(location, why);
                continue;
            }
        };
        let entry = Entry {
            id: at(&fields, column("ioc_id")),
            value: fields[value_at].clone(),
            ioc_type: fields[type_at].clone(),
            threat_type: at(&fields, column("threat_type")),
            family: at(&fields, column("malware_printable")),
            first_seen: at(&fields, column("first_seen_utc")),
            confidence: at(&fields, column("confidence_level")),
            reference: at(&fields, column("reference")),
            tags: tag_list(&at(&fields, column("tags"))),
        };
        entry.push(location, sink);
    }
}

pub(crate) fn is_json(value: &Value) -> bool {
    let is_ioc = |v: &Value| v.get("ioc_type").is_some() && (v.get("ioc_value").is_some() || v.get("ioc").is_some());
    match value {
        Value::Array(items) => items.first().is_some_and(is_ioc),
        Value::Object(map) => {
            map.get("data").is_some_and(Value::is_array) && map.contains_key("query_status")
                || !map.is_empty()
                    && map.iter().all(|(key, v)| {
                        key == super::json::CUT_OFF
                            || v.as_array()
                                .is_some_and(|items| items.iter().all(|i| is_ioc(i) || is_cut_off(i)))
                    })
        }
        _ => false,
    }
}

pub(crate) fn read_json(value: &Value, sink: &mut Sink) {
    match value {
        Value::Array(items) => read_items(items, |i| format!("[{i}]"), None, sink),
        Value::Object(map) if map.contains_key("query_status") => {
            let items = map.get("data").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
            read_items(items, |i| format!("data[{i}]"), None, sink);
        }
        Value::Object(map) => {
            for (id, items) in map.iter().filter(|(key, _)| *key != super::json::CUT_OFF) {
                let items = items.as_array().map_or(&[][..], Vec::as_slice);
                read_items(items, |i| format!("IOC {id} [{i}]"), Some(id), sink);
            }
        }
        _ => {}
    }
}

fn read_items(items: &[Value], name: impl Fn(usize) -> String, id: Option<&str>, sink: &mut Sink) {
    for (index, item) in items.iter().enumerate() {
        let location = Location::Object(name(index));
        let Some(object) = item.as_object() else {
            sink.warn(location, "not a JSON object; not loaded");
            continue;
        };
        if is_cut_off(item) {
            sink.warn(location, "the feed is cut off inside this IOC; not loaded");
            continue;
        }
        let get = |key: &str| text(object, key).unwrap_or_default();
        let either = |a: &str, b: &str| text(object, a).or_else(|| text(object, b)).unwrap_or_default();
        let entry = Entry {
            id: id.map(str::to_string).unwrap_or_else(|| either("ioc_id", "id")),
            value: either("ioc_value", "ioc"),
            ioc_type: get("ioc_type"),
            threat_type: get("threat_type"),
            family: get("malware_printable"),
            first_seen: either("first_seen_utc", "first_seen"),
            confidence: get("confidence_level"),
            reference: get("reference"),
            tags: tags(object),
        };
        entry.push(location, sink);
    }
}

/// `tags` as the export (`"a,b"`) or the API (`["a","b"]`) writes them.
fn tags(object: &Map<String, Value>) -> Vec<std::sync::Arc<str>> {
    match object.get("tags") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).filter_map(field).collect(),
        Some(Value::String(list)) => tag_list(list),
        _ => Vec::new(),
    }
}

/// One ThreatFox IOC, its fields as text, whichever file shape it came from.
struct Entry {
    id: String,
    value: String,
    ioc_type: String,
    threat_type: String,
    family: String,
    first_seen: String,
    confidence: String,
    reference: String,
    tags: Vec<std::sync::Arc<str>>,
}

impl Entry {
    fn push(self, location: Location, sink: &mut Sink) {
        let Some(kind) = kind(&self.ioc_type) else {
            let known = "md5_hash, sha1_hash, sha256_hash, domain, url, ip:port";
            let ioc_type = self.ioc_type.trim();
            sink.warn(
                location,
                format!("unknown ioc_type `{ioc_type}` (loghunt reads {known}); not loaded"),
            );
            return;
        };
        let confidence = confidence(&self.confidence).unwrap_or_else(|why| {
            sink.warn(location.clone(), why);
            None
        });
        let meta = Meta {
            id: field(&self.id).map(|id| id.to_string()),
            family: field(&self.family),
            threat_type: field(&self.threat_type),
            confidence,
            first_seen: field(&self.first_seen),
            reference: field(&self.reference),
            tags: self.tags,
            ..Meta::default()
        };
        sink.push(kind, &self.value, &meta, location);
    }
}
