//! IOC feeds: reading a threat-intel feed file into a typed list of [`FeedIndicator`]s, each
//! with its metadata, and warnings for every row that could not be used. It owns format
//! detection and value normalisation; it does not scan logs, build queries or deduplicate
//! (a feed that repeats a value keeps both rows: each carries its own metadata).
//!
//! # API
//!
//! - [`read_feed`]`(path, text) -> Result<Feed, FeedError>`: the text of one feed; `path` only
//!   names the feed in indicators and messages. [`load_feed`]`(path)` reads the file first.
//! - [`Feed`]: the [`FeedFormat`] told from the content, the indicators in file order, the
//!   [`FeedWarning`]s (each naming the file and the line, or the JSON object), and how many
//!   IOCs the feed itself marks as not for detection (MISP `to_ids: false`, revoked STIX
//!   indicators).
//! - [`FeedIndicator`]: [`IocKind`] (`Md5`, `Sha1`, `Sha256`, `Domain`, `Url`,
//!   `Ip { port }`), the normalised value, and the feed, IOC id, malware family, threat type,
//!   confidence (0–100), first seen (as the feed writes it), reference, tags, description and
//!   valid-until where the feed has them, and [`Location`].
//! - [`FeedError`]: a feed that cannot be used at all (empty, or JSON of no known shape).
//! - [`rules::feed_rules`] turns a feed into rules (`scan --iocs`), [`documents::documents`]
//!   into rule documents (`loghunt feed`); both build their queries from [`rules`]' hunts.
//!
//! # Formats, told from the content, never the file name
//!
//! | content | format |
//! |---|---|
//! | JSON, `{"type":"bundle","objects":[...]}` | [`FeedFormat::Stix`] (`stix.rs`) |
//! | JSON, `{"Event":{...}}`, `{"response":[{"Event":...}]}` or an array of those | [`FeedFormat::Misp`] (`misp.rs`) |
//! | JSON, `{"<ioc_id>":[{"ioc_value":...}]}`, `{"query_status":..,"data":[...]}`, an array of IOC objects | [`FeedFormat::ThreatFoxJson`] (`threatfox.rs`) |
//! | CSV whose header (often the last `#` comment line) has `ioc_value` and `ioc_type` | [`FeedFormat::ThreatFoxCsv`] |
//! | CSV header with `sha256_hash` and `md5_hash` | [`FeedFormat::MalwareBazaarCsv`] (`malwarebazaar.rs`) |
//! | CSV header with `url` and `urlhaus_link` (or `dateadded`) | [`FeedFormat::UrlhausCsv`] (`urlhaus.rs`) |
//! | anything else | [`FeedFormat::PlainText`] (`text.rs`): one IOC a line, type told by its shape |
//!
//! A JSON feed that is cut off, or broken part way, still gives the IOCs of the objects that
//! were complete before the break (`json.rs`), with a warning naming the line and column.
//!
//! # Normalisation (`normalise.rs`), as Sentinel's threat-intelligence rules expect
//!
//! Defanged values are restored everywhere (`hxxp`, `[.]`, `(.)`, `[dot]`, `[:]`). Hashes are
//! lower-case hex of exactly 32 / 40 / 64 digits; domains are lower-case without a trailing dot;
//! IP addresses are written canonically with the port split off (`1.2.3.4:443` is
//! `Ip { port: Some(443) }` with value `1.2.3.4`); URLs keep their path as written, with the
//! scheme and host lower-cased.

mod csv;
pub mod documents;
mod json;
mod malwarebazaar;
mod misp;
mod normalise;
pub mod rules;
mod stix;
mod text;
mod threatfox;
pub mod ti;
mod urlhaus;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use normalise::{normalise, refang};

use super::IndicatorKind;

/// What an indicator is, with the port of an `ip:port` IOC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IocKind {
    Md5,
    Sha1,
    Sha256,
    Domain,
    Url,
    Ip { port: Option<u16> },
}

impl IocKind {
    /// The kind of a rule document's IOC table row, for code shared with [`super::Rule`]s.
    pub fn indicator_kind(self) -> IndicatorKind {
        match self {
            IocKind::Md5 => IndicatorKind::Md5,
            IocKind::Sha1 => IndicatorKind::Sha1,
            IocKind::Sha256 => IndicatorKind::Sha256,
            IocKind::Domain => IndicatorKind::Domain,
            IocKind::Url => IndicatorKind::Url,
            IocKind::Ip { port: None } => IndicatorKind::Ip,
            IocKind::Ip { port: Some(_) } => IndicatorKind::IpPort,
        }
    }

    /// Hex digits a hash of this kind has, if it is a hash.
    pub fn hash_length(self) -> Option<usize> {
        match self {
            IocKind::Md5 => Some(32),
            IocKind::Sha1 => Some(40),
            IocKind::Sha256 => Some(64),
            _ => None,
        }
    }
}

/// Where in a feed file something is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// 1-based line of a text or CSV feed.
    Line(u32),
    /// A JSON feed's object, by path and id: `objects[3] (indicator--…)`, `Event.Attribute[2]`.
    Object(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(line) => write!(f, "{line}"),
            Location::Object(object) => f.write_str(object),
        }
    }
}

/// One IOC of a feed, normalised, with the metadata the feed gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedIndicator {
    pub kind: IocKind,
    /// Normalised (see the module documentation); for `Ip`, the address without the port.
    pub value: String,
    /// The feed's name: its file stem, as a rule's id is its document's stem.
    pub feed: Arc<str>,
    /// The feed's own id of the IOC (`ioc_id`, MISP attribute uuid, STIX indicator id).
    pub id: Option<String>,
    /// Malware family (`malware_printable`, `signature`, a MISP galaxy, the STIX malware).
    pub family: Option<Arc<str>>,
    /// `threat_type`, URLhaus `threat`, MISP category, STIX `indicator_types`.
    pub threat_type: Option<Arc<str>>,
    /// 0–100.
    pub confidence: Option<u8>,
    /// As the feed writes it (`2026-06-20 10:15:00`, `2026-06-20T10:15:00Z`).
    pub first_seen: Option<Arc<str>>,
    pub reference: Option<Arc<str>>,
    pub tags: Vec<Arc<str>>,
    /// The feed's own words on the IOC (STIX `description`, MISP `comment`).
    pub description: Option<Arc<str>>,
    /// When the feed says the IOC stops being valid (STIX `valid_until`), as it writes it.
    pub valid_until: Option<Arc<str>>,
    pub location: Location,
}

/// The feed formats loghunt reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedFormat {
    ThreatFoxCsv,
    ThreatFoxJson,
    MalwareBazaarCsv,
    UrlhausCsv,
    Misp,
    Stix,
    PlainText,
}

impl fmt::Display for FeedFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FeedFormat::ThreatFoxCsv => "ThreatFox CSV",
            FeedFormat::ThreatFoxJson => "ThreatFox JSON",
            FeedFormat::MalwareBazaarCsv => "MalwareBazaar CSV",
            FeedFormat::UrlhausCsv => "URLhaus CSV",
            FeedFormat::Misp => "MISP event",
            FeedFormat::Stix => "STIX 2.1 bundle",
            FeedFormat::PlainText => "plain text",
        })
    }
}

/// A feed, read.
#[derive(Debug, Clone)]
pub struct Feed {
    pub path: PathBuf,
    pub format: FeedFormat,
    /// In file order.
    pub indicators: Vec<FeedIndicator>,
    pub warnings: Vec<FeedWarning>,
    /// IOCs the feed marks as not for detection (MISP `to_ids: false`, revoked STIX
    /// indicators): left out on purpose, counted so that a summary can account for them.
    pub not_for_detection: usize,
}

/// A row or object of a feed that could not be used (or only in part); the rest still loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedWarning {
    pub path: PathBuf,
    pub location: Location,
    pub message: String,
}

impl fmt::Display for FeedWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Location::Line(line) => write!(f, "{}:{}: {}", self.path.display(), line, self.message),
            Location::Object(object) => write!(f, "{}: {}: {}", self.path.display(), object, self.message),
        }
    }
}

/// A feed that cannot be used at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedError {
    pub path: PathBuf,
    pub message: String,
}

impl fmt::Display for FeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for FeedError {}

/// Reads a feed file (UTF-8, with or without a BOM), then [`read_feed`].
pub fn load_feed(path: &Path) -> Result<Feed, FeedError> {
    let bytes = std::fs::read(path).map_err(|e| FeedError {
        path: path.to_path_buf(),
        message: format!("cannot read feed: {e}"),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| FeedError {
        path: path.to_path_buf(),
        message: format!("feed is not UTF-8 (byte offset {})", e.utf8_error().valid_up_to()),
    })?;
    read_feed(path, &text)
}

/// Reads the text of one feed, its format told from the content. `path` names the feed (its
/// stem is [`FeedIndicator::feed`]) and is in every warning.
pub fn read_feed(path: &Path, text: &str) -> Result<Feed, FeedError> {
    let text = crate::encoding::strip_bom(text);
    let mut sink = Sink::new(path);
    let trimmed = text.trim_start();
    let format = if trimmed.is_empty() {
        return Err(sink.error("the feed is empty"));
    } else if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let value = json::parse(text, &mut sink)?;
        if stix::is_bundle(&value) {
            stix::read(&value, &mut sink);
            FeedFormat::Stix
        } else if misp::is_misp(&value) {
            misp::read(&value, &mut sink);
            FeedFormat::Misp
        } else if threatfox::is_json(&value) {
            threatfox::read_json(&value, &mut sink);
            FeedFormat::ThreatFoxJson
        } else {
            return Err(sink.error(
                "JSON of no known feed shape (expected a STIX 2.1 bundle, a MISP event or a ThreatFox export)",
            ));
        }
    } else if let Some(table) = csv::Table::find(text) {
        if threatfox::is_csv_header(&table.columns) {
            threatfox::read_csv(&table, &mut sink);
            FeedFormat::ThreatFoxCsv
        } else if malwarebazaar::is_header(&table.columns) {
            malwarebazaar::read(&table, &mut sink);
            FeedFormat::MalwareBazaarCsv
        } else if urlhaus::is_header(&table.columns) {
            urlhaus::read(&table, &mut sink);
            FeedFormat::UrlhausCsv
        } else {
            text::read(text, &mut sink);
            FeedFormat::PlainText
        }
    } else {
        text::read(text, &mut sink);
        FeedFormat::PlainText
    };
    Ok(Feed {
        path: path.to_path_buf(),
        format,
        indicators: sink.indicators,
        warnings: sink.warnings,
        not_for_detection: sink.not_for_detection,
    })
}

/// What the format readers fill: indicators, warnings and counts, with the feed's name.
pub(crate) struct Sink<'a> {
    path: &'a Path,
    feed: Arc<str>,
    indicators: Vec<FeedIndicator>,
    warnings: Vec<FeedWarning>,
    not_for_detection: usize,
}

impl<'a> Sink<'a> {
    fn new(path: &'a Path) -> Sink<'a> {
        let feed = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        Sink {
            path,
            feed: feed.into(),
            indicators: Vec::new(),
            warnings: Vec::new(),
            not_for_detection: 0,
        }
    }

    fn warn(&mut self, location: Location, message: impl Into<String>) {
        self.warnings.push(FeedWarning {
            path: self.path.to_path_buf(),
            location,
            message: message.into(),
        });
    }

    fn error(&self, message: impl Into<String>) -> FeedError {
        FeedError {
            path: self.path.to_path_buf(),
            message: message.into(),
        }
    }

    /// Normalises `raw` as `kind` and keeps it with `meta`, or warns at `location` why not.
    fn push(&mut self, kind: IocKind, raw: &str, meta: &Meta, location: Location) {
        match normalise(kind, raw) {
            Ok((kind, value)) => self.indicators.push(FeedIndicator {
                kind,
                value,
                feed: self.feed.clone(),
                id: meta.id.clone(),
                family: meta.family.clone(),
                threat_type: meta.threat_type.clone(),
                confidence: meta.confidence,
                first_seen: meta.first_seen.clone(),
                reference: meta.reference.clone(),
                tags: meta.tags.clone(),
                description: meta.description.clone(),
                valid_until: meta.valid_until.clone(),
                location,
            }),
            Err(why) => self.warn(location, why),
        }
    }
}

/// The metadata of one feed row, shared by the IOCs it gives.
#[derive(Debug, Clone, Default)]
pub(crate) struct Meta {
    id: Option<String>,
    family: Option<Arc<str>>,
    threat_type: Option<Arc<str>>,
    confidence: Option<u8>,
    first_seen: Option<Arc<str>>,
    reference: Option<Arc<str>>,
    tags: Vec<Arc<str>>,
    description: Option<Arc<str>>,
    valid_until: Option<Arc<str>>,
}

/// A feed's text field as metadata: blank, `None`, `null` and `n/a` (how abuse.ch exports
/// write "no value") are absent.
fn field(value: &str) -> Option<Arc<str>> {
    let value = value.trim();
    let absent = value.is_empty() || ["none", "null", "n/a"].iter().any(|a| a.eq_ignore_ascii_case(value));
    (!absent).then(|| Arc::from(value))
}

/// A comma-separated tag list (`"elf,mips,Mozi"`), absent values dropped.
fn tag_list(value: &str) -> Vec<Arc<str>> {
    value.split(',').filter_map(field).collect()
}

/// A 0–100 confidence as feeds write it (`75`, `"75"`, `75%`), or why not.
fn confidence(value: &str) -> Result<Option<u8>, String> {
    let Some(text) = field(value) else { return Ok(None) };
    let digits = text.strip_suffix('%').unwrap_or(&text).trim();
    match digits.parse::<u8>() {
        Ok(n) if n <= 100 => Ok(Some(n)),
        _ => Err(format!(
            "confidence `{text}` is not a number from 0 to 100; kept without one"
        )),
    }
}

#[cfg(test)]
mod tests;
