//! A feed as Sentinel's threat-intelligence tables: every [`FeedIndicator`] becomes one row of
//! `ThreatIntelligenceIndicator` (the legacy table) and one row of `ThreatIntelIndicators` (the
//! STIX-shaped table that replaced it in 2025), as JSON objects with the columns of the schemas
//! in `schemas/`. Microsoft's "TI map …" analytics rules `join` these tables with the logs, so
//! with the rows here they run unchanged. It owns the mapping from feed fields to columns and
//! nothing else: [`TiTables`] builds a row when asked for it, and the scan reads it like any
//! other record (`crate::input`'s in-memory sources, each row placed at its feed's file and
//! line).
//!
//! # What each column holds
//!
//! Sentinel fills some columns from its own bookkeeping; a feed file has no such thing, so each
//! of those is a choice, made so that the rules behave as they would on a freshly ingested feed:
//!
//! | column (legacy / STIX table) | value |
//! |---|---|
//! | `TimeGenerated` | the run's `--now`: the time of ingestion (Microsoft: "Time of indicator ingestion"; Sentinel republishes every indicator every 7–10 days, so a live indicator is always recent) |
//! | `IndicatorId` / `Id` | a UUID: the STIX indicator's own when the feed is a STIX bundle and the indicator has one IOC, else one derived from the feed name, IOC id, kind and value (SHA-256, RFC 9562 version 8), so that each row has its own. `Id` is `base64(source)---indicator--<uuid>` as in Sentinel, so `split(Id, "--")[2]` is the `IndicatorId` |
//! | `ExternalIndicatorId` | the feed's id of the IOC (`ioc_id`, MISP uuid, STIX id) |
//! | `SourceSystem`, `Source`, `IndicatorProvider` | the feed's name (file stem); `IndicatorProvider` is the feed format (`ThreatFox CSV`, ...) |
//! | `Active` / `IsActive` | `true`: a feed lists live IOCs; revoked STIX indicators and MISP attributes not for detection are not loaded at all. `Revoked`, `IsDeleted`: `false` |
//! | `ExpirationDateTime` / `ValidUntil` | the feed's `valid_until` (STIX); without one, [`NO_EXPIRY`] (9999-12-31), so that `ExpirationDateTime > now()` and `TimeGenerated < ValidUntil` hold |
//! | `Created`, `Modified`, `ValidFrom` | the feed's first-seen time, or `--now` when it has none or it is not a datetime |
//! | `ConfidenceScore` / `Confidence` | the feed's confidence (0–100), or null |
//! | `ThreatType` | the feed's threat type as written (`botnet_cc`, `payload`, STIX `indicator_types`) |
//! | `MalwareNames` | the malware family |
//! | `Description` | the feed's description (STIX `description`, MISP `comment`), or empty |
//! | `Tags` | the feed's tags as a JSON array (`["elf","Mozi"]`), absent when it has none |
//! | `TrafficLightProtocolLevel`, `AdditionalFields.TLPLevel` | from a `tlp:<level>` tag (`white`, `clear`, `green`, `amber`, `amber+strict`, `red`), else absent |
//! | `AdditionalInformation` | the feed's reference URL |
//! | `DomainName`, `Url`, `FileHashType` + `FileHashValue`, `NetworkIP` + `NetworkPort` | the observable, by kind; `FileHashType` is `SHA256`, `SHA1` or `MD5` |
//! | `ObservableKey`, `ObservableValue`, `Pattern` | `file:hashes.'SHA-256'` (`'SHA-1'`, `MD5`), `domain-name:value`, `url:value`, `ipv4-addr:value` / `ipv6-addr:value`; an `ip:port` IOC is `network-traffic:dst_ref.value` with `AND network-traffic:dst_port = <port>` in its pattern. The pattern compares one observable: a STIX indicator whose pattern ORs several gives one row per observable |
//! | `Data` | the STIX 2.1 indicator object: id, name (the value), description, indicator types, pattern, valid from/until, confidence, labels (the tags), external references (feed, id, reference) |
//! | `Type` | the table's name |
//!
//! The other columns (`TenantId`, `Action`, `KillChain*`, `Email*`, ...) are absent: a feed
//! says nothing of them, and a query reads them as `""` or null.

use std::collections::HashMap;

use serde_json::{json, Map, Value as Json};
use sha2::{Digest, Sha256};

use super::{Feed, FeedIndicator, FeedWarning, IocKind, Location};
use crate::time::{format_datetime, parse_datetime_text};

/// The legacy table's name.
pub const LEGACY_TABLE: &str = "ThreatIntelligenceIndicator";
/// The STIX-shaped table's name.
pub const STIX_TABLE: &str = "ThreatIntelIndicators";
/// `ExpirationDateTime` / `ValidUntil` of an IOC its feed gives no end to.
pub const NO_EXPIRY: &str = "9999-12-31T23:59:59Z";

/// One row of a threat-intelligence table, and the place in the feed it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct TiRecord {
    /// [`LEGACY_TABLE`] or [`STIX_TABLE`].
    pub table: &'static str,
    /// The row: one JSON object, column name → value.
    pub row: Map<String, Json>,
    pub location: Location,
}

/// A feed as the two tables: for each indicator in feed order, its legacy row then its STIX
/// row. Rows are built when asked for, so that a feed of a million IOCs is held as its
/// indicators, not as two million JSON rows.
#[derive(Debug)]
pub struct TiTables {
    feed: Feed,
    /// Per indicator, what its two rows share that is worked out once.
    prepared: Vec<Prepared>,
    /// `--now` as the tables write datetimes.
    now: String,
}

#[derive(Debug)]
struct Prepared {
    uuid: String,
    created: String,
    valid_until: String,
}

impl TiTables {
    /// The tables of `feed` at `now` (the run's `--now`, ticks). A time the feed writes that is
    /// not a datetime is a warning naming the place, and the rows take the default.
    pub fn new(feed: Feed, now: i64) -> (TiTables, Vec<FeedWarning>) {
        let mut warnings = Vec::new();
        // A STIX id shared by several IOCs (a pattern with OR) cannot be the id of each row.
        let mut uses: HashMap<&str, usize> = HashMap::new();
        for indicator in &feed.indicators {
            if let Some(id) = &indicator.id {
                *uses.entry(id.as_str()).or_default() += 1;
            }
        }
        let now = format_datetime(now);
        let mut prepared = Vec::with_capacity(feed.indicators.len());
        for indicator in &feed.indicators {
            let mut warn = |message: String| {
                let warning = FeedWarning {
                    path: feed.path.clone(),
                    location: indicator.location.clone(),
                    message,
                };
                // The IOCs of one STIX pattern share its times: one warning is enough.
                if warnings.last() != Some(&warning) {
                    warnings.push(warning);
                }
            };
            let created = match &indicator.first_seen {
                None => now.clone(),
                Some(text) => datetime(text).unwrap_or_else(|| {
                    warn(format!("first seen `{text}` is not a datetime; Created is --now"));
                    now.clone()
                }),
            };
            let valid_until = match &indicator.valid_until {
                None => NO_EXPIRY.to_string(),
                Some(text) => datetime(text).unwrap_or_else(|| {
                    warn(format!(
                        "valid until `{text}` is not a datetime; the IOC is read as not expiring"
                    ));
                    NO_EXPIRY.to_string()
                }),
            };
            let shared = indicator.id.as_deref().is_some_and(|id| uses.get(id) > Some(&1));
            let uuid = match indicator.id.as_deref().and_then(stix_uuid) {
                Some(uuid) if !shared => uuid.to_string(),
                _ => derived_uuid(indicator),
            };
            prepared.push(Prepared {
                uuid,
                created,
                valid_until,
            });
        }
        (TiTables { feed, prepared, now }, warnings)
    }

    pub fn feed(&self) -> &Feed {
        &self.feed
    }

    /// Rows in both tables: two per indicator.
    pub fn len(&self) -> usize {
        2 * self.prepared.len()
    }

    pub fn is_empty(&self) -> bool {
        self.prepared.is_empty()
    }

    /// Row `index`: the legacy row of indicator `index / 2` when `index` is even, else its
    /// STIX row.
    pub fn record(&self, index: usize) -> TiRecord {
        let indicator = &self.feed.indicators[index / 2];
        let prepared = &self.prepared[index / 2];
        let row = Row {
            feed: &self.feed,
            indicator,
            uuid: &prepared.uuid,
            now: &self.now,
            created: &prepared.created,
            valid_until: &prepared.valid_until,
        };
        let (table, row) = if index % 2 == 0 {
            (LEGACY_TABLE, row.legacy())
        } else {
            (STIX_TABLE, row.stix())
        };
        TiRecord {
            table,
            row,
            location: indicator.location.clone(),
        }
    }
}

/// What both rows of one indicator are built from.
struct Row<'a> {
    feed: &'a Feed,
    indicator: &'a FeedIndicator,
    uuid: &'a str,
    now: &'a str,
    created: &'a str,
    valid_until: &'a str,
}

impl Row<'_> {
    fn legacy(&self) -> Map<String, Json> {
        let i = self.indicator;
        let mut row = Map::new();
        row.insert("TimeGenerated".into(), json!(self.now));
        row.insert("IndicatorId".into(), json!(self.uuid));
        insert(&mut row, "ExternalIndicatorId", i.id.as_deref());
        row.insert("SourceSystem".into(), json!(&*i.feed));
        row.insert("IndicatorProvider".into(), json!(self.feed.format.to_string()));
        row.insert("Active".into(), json!(true));
        row.insert("ExpirationDateTime".into(), json!(self.valid_until));
        row.insert("ConfidenceScore".into(), json!(i.confidence));
        insert(&mut row, "ThreatType", i.threat_type.as_deref());
        insert(&mut row, "MalwareNames", i.family.as_deref());
        row.insert("Description".into(), json!(i.description.as_deref().unwrap_or("")));
        insert(&mut row, "Tags", self.tags().as_deref());
        insert(&mut row, "TrafficLightProtocolLevel", self.tlp());
        insert(&mut row, "AdditionalInformation", i.reference.as_deref());
        match i.kind {
            IocKind::Md5 | IocKind::Sha1 | IocKind::Sha256 => {
                let name = match i.kind {
                    IocKind::Md5 => "MD5",
                    IocKind::Sha1 => "SHA1",
                    _ => "SHA256",
                };
                row.insert("FileHashType".into(), json!(name));
                row.insert("FileHashValue".into(), json!(i.value));
            }
            IocKind::Domain => {
                row.insert("DomainName".into(), json!(i.value));
            }
            IocKind::Url => {
                row.insert("Url".into(), json!(i.value));
            }
            IocKind::Ip { port } => {
                row.insert("NetworkIP".into(), json!(i.value));
                if let Some(port) = port {
                    row.insert("NetworkPort".into(), json!(port));
                }
            }
        }
        row.insert("Type".into(), json!(LEGACY_TABLE));
        row
    }

    fn stix(&self) -> Map<String, Json> {
        let i = self.indicator;
        let (key, pattern) = observable(i);
        let stix_id = format!("indicator--{}", self.uuid);
        let mut data = Map::new();
        data.insert("type".into(), json!("indicator"));
        data.insert("spec_version".into(), json!("2.1"));
        data.insert("id".into(), json!(stix_id));
        data.insert("created".into(), json!(self.created));
        data.insert("modified".into(), json!(self.created));
        data.insert("name".into(), json!(i.value));
        insert(&mut data, "description", i.description.as_deref());
        if let Some(threat_type) = &i.threat_type {
            let types: Vec<&str> = threat_type.split(", ").collect();
            data.insert("indicator_types".into(), json!(types));
        }
        data.insert("pattern".into(), json!(pattern));
        data.insert("pattern_type".into(), json!("stix"));
        data.insert("pattern_version".into(), json!("2.1"));
        data.insert("valid_from".into(), json!(self.created));
        data.insert("valid_until".into(), json!(self.valid_until));
        if let Some(confidence) = i.confidence {
            data.insert("confidence".into(), json!(confidence));
        }
        if !i.tags.is_empty() {
            let labels: Vec<&str> = i.tags.iter().map(|t| &**t).collect();
            data.insert("labels".into(), json!(labels));
        }
        let mut reference = Map::new();
        reference.insert("source_name".into(), json!(&*i.feed));
        insert(&mut reference, "external_id", i.id.as_deref());
        insert(&mut reference, "url", i.reference.as_deref());
        data.insert("external_references".into(), json!([reference]));

        let mut row = Map::new();
        row.insert("TimeGenerated".into(), json!(self.now));
        row.insert(
            "Id".into(),
            json!(format!("{}---{stix_id}", crate::encoding::base64(i.feed.as_bytes()))),
        );
        row.insert("SourceSystem".into(), json!(&*i.feed));
        row.insert("Source".into(), json!(&*i.feed));
        row.insert("ObservableKey".into(), json!(key));
        row.insert("ObservableValue".into(), json!(i.value));
        row.insert("Pattern".into(), json!(pattern));
        row.insert("IsActive".into(), json!(true));
        row.insert("Revoked".into(), json!(false));
        row.insert("IsDeleted".into(), json!(false));
        row.insert("Confidence".into(), json!(i.confidence));
        row.insert("Created".into(), json!(self.created));
        row.insert("Modified".into(), json!(self.created));
        row.insert("ValidFrom".into(), json!(self.created));
        row.insert("ValidUntil".into(), json!(self.valid_until));
        insert(&mut row, "Tags", self.tags().as_deref());
        if let Some(level) = self.tlp() {
            row.insert("AdditionalFields".into(), json!({ "TLPLevel": level }));
        }
        row.insert("Data".into(), Json::Object(data));
        row.insert("Type".into(), json!(STIX_TABLE));
        row
    }

    fn tags(&self) -> Option<String> {
        let tags = &self.indicator.tags;
        (!tags.is_empty()).then(|| json!(tags.iter().map(|t| &**t).collect::<Vec<_>>()).to_string())
    }

    /// The level of the first `tlp:<level>` tag (MISP writes `tlp:amber`, others `TLP:AMBER`).
    fn tlp(&self) -> Option<&'static str> {
        const LEVELS: &[&str] = &["white", "clear", "green", "amber", "amber+strict", "red"];
        self.indicator.tags.iter().find_map(|tag| {
            let (prefix, level) = tag.split_once(':')?;
            if !prefix.trim().eq_ignore_ascii_case("tlp") {
                return None;
            }
            LEVELS.iter().copied().find(|l| l.eq_ignore_ascii_case(level.trim()))
        })
    }
}

fn insert(row: &mut Map<String, Json>, column: &str, value: Option<&str>) {
    if let Some(value) = value {
        row.insert(column.into(), json!(value));
    }
}

/// The STIX object path an IOC's value is compared with, and the one-comparison pattern.
fn observable(indicator: &FeedIndicator) -> (&'static str, String) {
    let value = quoted(&indicator.value);
    let key = match indicator.kind {
        IocKind::Sha256 => "file:hashes.'SHA-256'",
        IocKind::Sha1 => "file:hashes.'SHA-1'",
        IocKind::Md5 => "file:hashes.MD5",
        IocKind::Domain => "domain-name:value",
        IocKind::Url => "url:value",
        IocKind::Ip { port: Some(port) } => {
            let key = "network-traffic:dst_ref.value";
            return (key, format!("[{key} = {value} AND network-traffic:dst_port = {port}]"));
        }
        IocKind::Ip { port: None } if indicator.value.contains(':') => "ipv6-addr:value",
        IocKind::Ip { port: None } => "ipv4-addr:value",
    };
    (key, format!("[{key} = {value}]"))
}

/// A STIX pattern string literal: single quotes, with `\` and `'` escaped.
fn quoted(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A feed time as the tables write datetimes (`2026-06-20T09:12:44Z`). abuse.ch exports write
/// `2026-06-20 09:12:44 UTC`.
fn datetime(text: &str) -> Option<String> {
    let text = text.trim();
    let text = text.strip_suffix(" UTC").unwrap_or(text);
    parse_datetime_text(text).map(format_datetime)
}

/// The UUID of a STIX indicator id (`indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f`).
fn stix_uuid(id: &str) -> Option<&str> {
    let uuid = id.strip_prefix("indicator--")?;
    let shape = uuid.len() == 36
        && uuid.char_indices().all(|(at, c)| match at {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    shape.then_some(uuid)
}

/// A name-based UUID (RFC 9562 version 8, from SHA-256) of what identifies the IOC in its feed,
/// so that the same feed gives the same ids on every run.
fn derived_uuid(indicator: &FeedIndicator) -> String {
    let kind = match indicator.kind {
        IocKind::Md5 => "md5".to_string(),
        IocKind::Sha1 => "sha1".to_string(),
        IocKind::Sha256 => "sha256".to_string(),
        IocKind::Domain => "domain".to_string(),
        IocKind::Url => "url".to_string(),
        IocKind::Ip { port: None } => "ip".to_string(),
        IocKind::Ip { port: Some(port) } => format!("ip:{port}"),
    };
    let mut hasher = Sha256::new();
    for part in [
        &*indicator.feed,
        indicator.id.as_deref().unwrap_or(""),
        &kind,
        &indicator.value,
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    crate::encoding::uuid(bytes, 8)
}

#[cfg(test)]
#[path = "ti_tests.rs"]
mod tests;
