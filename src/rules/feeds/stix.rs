//! STIX 2.1 bundles: `indicator` objects whose `pattern` is in the subset loghunt reads —
//! comparisons with `=` of `file:hashes.'SHA-256'` / `'SHA-1'` / `MD5`, `domain-name:value`,
//! `ipv4-addr:value`, `ipv6-addr:value` and `url:value`, joined with `OR` inside one
//! observation or between observations. Anything else (`AND`, `FOLLOWEDBY`, qualifiers, other
//! operators or objects) is a warning naming the indicator. The family is the `name` of the
//! `malware` an `indicates` relationship points to.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::json::{text, CUT_OFF};
use super::{confidence, field, IocKind, Location, Meta, Sink};

pub(crate) fn is_bundle(value: &Value) -> bool {
    value.get("type").and_then(Value::as_str) == Some("bundle") && value.get("objects").is_some_and(Value::is_array)
}

pub(crate) fn read(bundle: &Value, sink: &mut Sink) {
    let objects = bundle
        .get("objects")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let families = families(objects);
    for (index, object) in objects.iter().enumerate() {
        let Some(object) = object.as_object() else { continue };
        let id = text(object, "id");
        let location = Location::Object(match &id {
            Some(id) => format!("objects[{index}] ({id})"),
            None => format!("objects[{index}]"),
        });
        let is_indicator = text(object, "type").as_deref() == Some("indicator");
        if object.contains_key(CUT_OFF) {
            if is_indicator || !object.contains_key("type") {
                sink.warn(location, "the feed is cut off inside this object; not loaded");
            }
            continue;
        }
        if !is_indicator {
            continue;
        }
        if object.get("revoked").and_then(Value::as_bool) == Some(true) {
            sink.not_for_detection += 1;
            continue;
        }
        let pattern_type = text(object, "pattern_type").unwrap_or_else(|| "stix".into());
        if pattern_type != "stix" {
            sink.warn(
                location,
                format!("pattern_type `{pattern_type}` is not read (only `stix`); not loaded"),
            );
            continue;
        }
        let Some(pattern) = text(object, "pattern") else {
            sink.warn(location, "indicator without a pattern; not loaded");
            continue;
        };
        let iocs = match parse_pattern(&pattern) {
            Ok(iocs) => iocs,
            Err(why) => {
                sink.warn(
                    location,
                    format!("pattern `{pattern}` is outside the supported subset: {why}; not loaded"),
                );
                continue;
            }
        };
        let confidence = confidence(&text(object, "confidence").unwrap_or_default()).unwrap_or_else(|why| {
            sink.warn(location.clone(), why);
            None
        });
        let strings = |key: &str| -> Vec<Arc<str>> {
            let items = object.get(key).and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
            items.iter().filter_map(Value::as_str).filter_map(field).collect()
        };
        let indicator_types = strings("indicator_types");
        let meta = Meta {
            family: id.as_ref().and_then(|id| families.get(id.as_str()).cloned()),
            id,
            threat_type: (!indicator_types.is_empty()).then(|| indicator_types.join(", ").into()),
            confidence,
            first_seen: text(object, "valid_from").and_then(|v| field(&v)),
            reference: reference(object),
            tags: strings("labels"),
            description: text(object, "description").and_then(|d| field(&d)),
            valid_until: text(object, "valid_until").and_then(|v| field(&v)),
        };
        for (kind, value) in iocs {
            sink.push(kind, &value, &meta, location.clone());
        }
    }
}

/// Indicator id → the name of the malware it `indicates`.
fn families(objects: &[Value]) -> HashMap<&str, Arc<str>> {
    fn str_of<'a>(o: &'a Value, key: &str) -> Option<&'a str> {
        o.get(key).and_then(Value::as_str)
    }
    let malware: HashMap<&str, &str> = objects
        .iter()
        .filter(|o| str_of(o, "type") == Some("malware"))
        .filter_map(|o| Some((str_of(o, "id")?, str_of(o, "name")?)))
        .collect();
    objects
        .iter()
        .filter(|o| str_of(o, "type") == Some("relationship") && str_of(o, "relationship_type") == Some("indicates"))
        .filter_map(|o| {
            let name = malware.get(str_of(o, "target_ref")?)?;
            Some((str_of(o, "source_ref")?, Arc::from(*name)))
        })
        .collect()
}

fn reference(object: &Map<String, Value>) -> Option<Arc<str>> {
    let references = object.get("external_references")?.as_array()?;
    references.iter().find_map(|r| field(r.get("url")?.as_str()?))
}

/// The IOCs a pattern in the supported subset names, or why it is outside it.
pub(crate) fn parse_pattern(pattern: &str) -> Result<Vec<(IocKind, String)>, String> {
    let mut cursor = Cursor { rest: pattern };
    let mut iocs = Vec::new();
    loop {
        cursor.expect('[')?;
        loop {
            iocs.push(comparison(&mut cursor)?);
            if cursor.eat(']') {
                break;
            }
            cursor.keyword_or()?;
        }
        if cursor.at_end() {
            return Ok(iocs);
        }
        cursor.keyword_or()?;
    }
}

fn comparison(cursor: &mut Cursor) -> Result<(IocKind, String), String> {
    let path = cursor.object_path();
    let kind = match path.to_ascii_lowercase().replace('\'', "").as_str() {
        "file:hashes.sha-256" | "file:hashes.sha256" => IocKind::Sha256,
        "file:hashes.sha-1" | "file:hashes.sha1" => IocKind::Sha1,
        "file:hashes.md5" => IocKind::Md5,
        "domain-name:value" => IocKind::Domain,
        "ipv4-addr:value" | "ipv6-addr:value" => IocKind::Ip { port: None },
        "url:value" => IocKind::Url,
        "" => return Err(format!("expected an object path at `{}`", cursor.rest.trim())),
        _ => return Err(format!("`{path}` is not one of the object paths loghunt reads")),
    };
    let operator = cursor.operator();
    if operator != "=" {
        return Err(format!("operator `{operator}` (only `=` is read)"));
    }
    let value = cursor.string()?;
    if matches!(kind, IocKind::Ip { .. }) && value.contains('/') {
        return Err(format!("`{value}` is a network range, not an address"));
    }
    Ok((kind, value))
}

struct Cursor<'a> {
    rest: &'a str,
}

impl Cursor<'_> {
    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start();
    }

    fn at_end(&mut self) -> bool {
        self.skip_space();
        self.rest.is_empty()
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_space();
        match self.rest.strip_prefix(c) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected `{c}` at `{}`", self.rest))
        }
    }

    fn word(&mut self) -> &str {
        self.skip_space();
        let end = self
            .rest
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .unwrap_or(self.rest.len());
        let (word, rest) = self.rest.split_at(end);
        self.rest = rest;
        word
    }

    fn keyword_or(&mut self) -> Result<(), String> {
        let before = self.rest;
        match self.word() {
            "OR" => Ok(()),
            "" => Err(format!("unexpected `{}`", before.trim())),
            other => Err(format!("`{other}` (only comparisons joined with OR are read)")),
        }
    }

    /// `file:hashes.'SHA-256'`: letters, digits, `_ - : .`, and quoted path steps.
    fn object_path(&mut self) -> String {
        self.skip_space();
        let mut path = String::new();
        let mut chars = self.rest.char_indices().peekable();
        let mut end = self.rest.len();
        while let Some((at, c)) = chars.next() {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.') {
                path.push(c);
            } else if c == '\'' && path.ends_with('.') {
                path.push(c);
                for (_, c) in chars.by_ref() {
                    path.push(c);
                    if c == '\'' {
                        break;
                    }
                }
            } else {
                end = at;
                break;
            }
        }
        self.rest = &self.rest[end.min(self.rest.len())..];
        path
    }

    fn operator(&mut self) -> String {
        self.skip_space();
        let end = self
            .rest
            .find(|c: char| !matches!(c, '=' | '!' | '<' | '>'))
            .unwrap_or(self.rest.len());
        if end > 0 {
            let (operator, rest) = self.rest.split_at(end);
            self.rest = rest;
            return operator.to_string();
        }
        self.word().to_string()
    }

    /// A `'...'` string with `\'` and `\\` escapes.
    fn string(&mut self) -> Result<String, String> {
        self.skip_space();
        let Some(body) = self.rest.strip_prefix('\'') else {
            return Err(format!("expected a quoted string at `{}`", self.rest));
        };
        let mut value = String::new();
        let mut chars = body.char_indices();
        while let Some((at, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, escaped @ ('\'' | '\\'))) => value.push(escaped),
                    _ => return Err("a string has an escape other than \\' or \\\\".into()),
                },
                '\'' => {
                    self.rest = &body[at + 1..];
                    return Ok(value);
                }
                c => value.push(c),
            }
        }
        Err("a string is not closed".into())
    }
}
