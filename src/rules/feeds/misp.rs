//! MISP events as JSON (`{"Event":{...}}`, the REST search answer `{"response":[{"Event":...}]}`,
//! an array of either, or a bare event): the attributes of `Event.Attribute[]` and
//! `Event.Object[].Attribute[]` whose type is an IOC loghunt scans for and whose `to_ids` is set.
//! The malware family comes from a malware galaxy tag (`misp-galaxy:malpedia="..."`) of the
//! attribute or else the event; the reference is the event's first `link` attribute.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::json::{text, CUT_OFF};
use super::{field, IocKind, Location, Meta, Sink};

/// Galaxies whose clusters are malware families.
const FAMILY_GALAXIES: &[&str] = &[
    "malpedia",
    "mitre-malware",
    "malware",
    "ransomware",
    "rat",
    "banker",
    "stealer",
    "botnet",
    "backdoor",
    "android",
];

pub(crate) fn is_misp(value: &Value) -> bool {
    !events(value).is_empty()
}

/// Each event with the path that names it in messages.
fn events(value: &Value) -> Vec<(String, &Map<String, Value>)> {
    fn wrapped(v: &Value, prefix: String) -> Option<(String, &Map<String, Value>)> {
        v.get("Event")
            .and_then(Value::as_object)
            .map(|event| (format!("{prefix}Event"), event))
    }
    match value {
        Value::Object(map) => {
            if let Some(event) = wrapped(value, String::new()) {
                vec![event]
            } else if let Some(Value::Array(items)) = map.get("response") {
                let found = items.iter().enumerate();
                found
                    .filter_map(|(i, v)| wrapped(v, format!("response[{i}].")))
                    .collect()
            } else if map.get("Attribute").is_some_and(Value::is_array) && map.contains_key("info") {
                vec![("Event".to_string(), map)]
            } else {
                Vec::new()
            }
        }
        Value::Array(items) => {
            let found = items.iter().enumerate();
            found.filter_map(|(i, v)| wrapped(v, format!("[{i}]."))).collect()
        }
        _ => Vec::new(),
    }
}

pub(crate) fn read(value: &Value, sink: &mut Sink) {
    for (name, event) in events(value) {
        read_event(&name, event, sink);
    }
}

fn read_event(name: &str, event: &Map<String, Value>, sink: &mut Sink) {
    let family = family(event);
    let date = text(event, "date").and_then(|d| field(&d));
    fn attributes(v: Option<&Value>) -> &[Value] {
        v.and_then(Value::as_array).map_or(&[][..], Vec::as_slice)
    }
    let mut all: Vec<(String, &Value)> = Vec::new();
    for (i, attribute) in attributes(event.get("Attribute")).iter().enumerate() {
        all.push((format!("{name}.Attribute[{i}]"), attribute));
    }
    for (j, object) in attributes(event.get("Object")).iter().enumerate() {
        for (k, attribute) in attributes(object.get("Attribute")).iter().enumerate() {
            all.push((format!("{name}.Object[{j}].Attribute[{k}]"), attribute));
        }
    }
    let reference = all.iter().find_map(|(_, a)| {
        let a = a.as_object()?;
        (text(a, "type")? == "link").then(|| text(a, "value").and_then(|v| field(&v)))?
    });
    let mut not_iocs: BTreeMap<String, usize> = BTreeMap::new();
    for (path, attribute) in all {
        let Some(attribute) = attribute.as_object() else {
            sink.warn(Location::Object(path), "not a JSON object; not loaded");
            continue;
        };
        let uuid = text(attribute, "uuid").or_else(|| text(attribute, "id"));
        let location = Location::Object(match &uuid {
            Some(uuid) => format!("{path} ({uuid})"),
            None => path,
        });
        if attribute.contains_key(CUT_OFF) {
            sink.warn(location, "the feed is cut off inside this attribute; not loaded");
            continue;
        }
        if !flag(attribute.get("to_ids"), true) || flag(attribute.get("deleted"), false) {
            sink.not_for_detection += 1;
            continue;
        }
        let attribute_type = text(attribute, "type").unwrap_or_default();
        let Some(value) = text(attribute, "value") else {
            sink.warn(
                location,
                format!("attribute of type `{attribute_type}` has no value; not loaded"),
            );
            continue;
        };
        let Some(iocs) = split(&attribute_type, &value) else {
            *not_iocs.entry(attribute_type).or_default() += 1;
            continue;
        };
        let tags = tag_names(attribute);
        let meta = Meta {
            id: uuid,
            family: galaxy_family(&tags).or_else(|| family.clone()),
            threat_type: text(attribute, "category").and_then(|c| field(&c)),
            confidence: None,
            first_seen: text(attribute, "first_seen")
                .and_then(|d| field(&d))
                .or_else(|| date.clone()),
            reference: reference.clone(),
            tags: tags
                .iter()
                .filter(|t| !t.starts_with("misp-galaxy:"))
                .map(|t| Arc::from(t.as_str()))
                .collect(),
            description: text(attribute, "comment").and_then(|c| field(&c)),
            valid_until: None,
        };
        for (kind, value) in iocs {
            sink.push(kind, &value, &meta, location.clone());
        }
    }
    if !not_iocs.is_empty() {
        let count: usize = not_iocs.values().sum();
        let types: Vec<String> = not_iocs.iter().map(|(t, n)| format!("{t} ×{n}")).collect();
        let attributes = if count == 1 { "attribute" } else { "attributes" };
        let read = "md5, sha1, sha256, filename|<hash>, domain, hostname, domain|ip, ip-src, ip-dst, ip-src|port, ip-dst|port, url";
        sink.warn(
            Location::Object(name.to_string()),
            format!(
                "{count} {attributes} of types loghunt does not scan for not loaded ({}); it reads {read}",
                types.join(", ")
            ),
        );
    }
}

/// The IOCs of an attribute of `attribute_type` with `value`; none for a type loghunt does not
/// scan for. Composite types (`filename|sha256`, `ip-dst|port`, `domain|ip`) are split.
fn split(attribute_type: &str, value: &str) -> Option<Vec<(IocKind, String)>> {
    let second = || value.split_once('|').map_or(value, |(_, b)| b).to_string();
    let first = || value.split_once('|').map_or(value, |(a, _)| a).to_string();
    Some(match attribute_type {
        "md5" => vec![(IocKind::Md5, value.to_string())],
        "sha1" => vec![(IocKind::Sha1, value.to_string())],
        "sha256" => vec![(IocKind::Sha256, value.to_string())],
        "filename|md5" => vec![(IocKind::Md5, second())],
        "filename|sha1" => vec![(IocKind::Sha1, second())],
        "filename|sha256" => vec![(IocKind::Sha256, second())],
        "domain" | "hostname" => vec![(IocKind::Domain, value.to_string())],
        "hostname|port" => vec![(IocKind::Domain, first())],
        "domain|ip" => vec![(IocKind::Domain, first()), (IocKind::Ip { port: None }, second())],
        "ip-src" | "ip-dst" => vec![(IocKind::Ip { port: None }, value.to_string())],
        "ip-src|port" | "ip-dst|port" => {
            let (ip, port) = value.split_once('|').unwrap_or((value, ""));
            let joined = if ip.contains(':') {
                format!("[{ip}]:{port}")
            } else {
                format!("{ip}:{port}")
            };
            vec![(IocKind::Ip { port: None }, joined)]
        }
        "url" => vec![(IocKind::Url, value.to_string())],
        _ => return None,
    })
}

/// MISP writes flags as `true`, `"1"` or `1`; `default` when missing.
fn flag(value: Option<&Value>, default: bool) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.as_str(), "1" | "true" | "True"),
        Some(Value::Number(n)) => n.as_u64() == Some(1),
        _ => default,
    }
}

fn tag_names(object: &Map<String, Value>) -> Vec<String> {
    let tags = object
        .get("Tag")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    tags.iter()
        .filter_map(|t| t.get("name")?.as_str().map(str::to_string))
        .collect()
}

/// The family a malware galaxy tag names: `misp-galaxy:malpedia="Nanocore RAT"`.
fn galaxy_family(tags: &[String]) -> Option<Arc<str>> {
    tags.iter().find_map(|tag| {
        let (galaxy, cluster) = tag.strip_prefix("misp-galaxy:")?.split_once('=')?;
        FAMILY_GALAXIES
            .contains(&galaxy)
            .then(|| field(cluster.trim_matches('"')))?
    })
}

/// The event's family: a malware galaxy tag, else a malware galaxy's first cluster.
fn family(event: &Map<String, Value>) -> Option<Arc<str>> {
    galaxy_family(&tag_names(event)).or_else(|| {
        let galaxies = event.get("Galaxy").and_then(Value::as_array)?;
        galaxies.iter().find_map(|galaxy| {
            let kind = galaxy.get("type")?.as_str()?;
            if !FAMILY_GALAXIES.contains(&kind) {
                return None;
            }
            let cluster = galaxy.get("GalaxyCluster")?.as_array()?.first()?;
            field(cluster.get("value")?.as_str()?)
        })
    })
}
