//! Rule documents from feeds (`loghunt feed`): the IOCs of one or more [`Feed`]s written as
//! rule documents in the seeds' format, one per malware family, that Sentinel and loghunt both
//! run unchanged; and, for a document read back, the [`IocLookup`] that gives its hits the
//! same `ioc` as `scan --iocs` gives. It writes text only: files are the caller's.
//!
//! # A document
//!
//! ```text
//! The Feed threatfox: Nanocore RAT IOCs rule hunts the 6 IOCs that ...      (description)
//! IOC Summary
//! Malware Family: Nanocore RAT Total IOCs: 6 IOC Types: sha256_hash, md5_hash, domain
//! | Type | Value | Threat Type | First Seen | Confidence | IOC ID | Reference | Feed |
//! |---|---|---|---|---|---|---|---|
//! | sha256_hash | ef0e…9303 | payload | 2026-06-20 09:12:44 | 95% | 1530001 | https://… | threatfox |
//! // Hunt for the IOCs of Nanocore RAT ...                                    (the query)
//! let sha256_hashes = dynamic(["ef0e…9303"]);
//! union
//!     (DeviceFileEvents
//!     | where SHA256 in~ (sha256_hashes)
//!     | project TimeGenerated = coalesce(TimeGenerated, column_ifexists("Timestamp", datetime(null))),
//!         SourceTable = "DeviceFileEvents", Hunt = "file-hashes", DeviceId, DeviceName, ...),
//!     (DnsEvents | where Name has_any (domains) | project TimeGenerated, ...)
//! | order by TimeGenerated desc
//! | Sentinel Table | Notes |                                                 (one row per table)
//! Scenario: ... / Description: ... / Filter/Exclusion: ...                   (per kind of IOC)
//! ```
//!
//! - **Which documents.** One per malware family, across all the feeds given, named by a slug
//!   of the family (`Nanocore RAT` → `nanocore-rat.txt`); the IOCs with no family go to one
//!   document per feed, `<feed-stem>-unattributed.txt`, whose summary has no `Malware Family:`.
//!   Families are told apart by their exact text (`NanoCore` and `Nanocore RAT` are two), so
//!   that each IOC keeps its family through the round trip. Slugs that collide
//!   (`Nanocore RAT` and `nanocore rat`) get `-2`, `-3`… in order of first appearance, so the
//!   same feeds always give the same names.
//! - **The IOC table** has the seeds' five columns and three more, `IOC ID`, `Reference` and
//!   `Feed`, in feed order, one row per IOC of the feed (a repeated value keeps both rows, as
//!   the feed does). `ip:port` IOCs are written `1.2.3.4:443`; a cell's `|` is written `\|`.
//! - **The query** is made of the same per-table predicates as the rules of `scan --iocs`
//!   (`rules::hunts`), restricted to the family's IOCs: the lists become `let`s, and
//!   each hunt one leg of a `union`. `withsource=` would name parenthesised legs `union_arg0`,
//!   `union_arg1`…, which says nothing, so each leg projects its own `SourceTable` and `Hunt`
//!   (the name of the feed rule it stands for: `file-hashes`, `process-hashes`, `dns`,
//!   `network-urls`, `network-ips`, `cef-ips`). A record that two legs match is two rows, as it
//!   is two hits of two feed rules.
//! - **Rows of the union** all begin `TimeGenerated, SourceTable, Hunt`, then the leg's own
//!   columns (`rules::Hunt::columns`: the device or computer, what happened, the
//!   columns the IOC was matched on); a column that a leg lacks is empty. The whole record is
//!   where the row's `file` and `line` point (or, in Sentinel, in its table). The queries are
//!   written for the Log Analytics tables that Sentinel holds, whose event time is
//!   `TimeGenerated`; the Defender legs take `Timestamp` where an Advanced Hunting export has
//!   it instead (`column_ifexists`, which Sentinel resolves to null). Rows are ordered by that
//!   time, newest first.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

use super::rules::{feed_name, hunts, literal, literals, Hunt, IocLookup, List};
use super::{normalise, Feed, FeedIndicator, IocKind, Location};
use crate::rules::{IndicatorKind, Rule};

/// The column of a document's rows that names the hunt (union leg) the row came from.
pub const HUNT_COLUMN: &str = "Hunt";

/// The longest slug a document's name starts from, in characters.
const SLUG_CHARS: usize = 64;

/// A rule document written from feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The file stem (the rule id it will have): a slug of the family, unique among the
    /// documents of one call.
    pub name: String,
    /// The malware family, `None` for a feed's unattributed IOCs.
    pub family: Option<String>,
    /// The stem of the feed, for a document of unattributed IOCs.
    pub feed: Option<String>,
    /// IOC table rows.
    pub iocs: usize,
    pub text: String,
}

/// The documents of `feeds`: one per malware family across them, then one per feed for the
/// IOCs with no family, in order of first appearance.
pub fn documents(feeds: &[Feed]) -> Vec<Document> {
    // (family, or the feed of unattributed IOCs) → its IOCs and the feeds they come from.
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<(Option<Arc<str>>, Option<String>), usize> = HashMap::new();
    for feed in feeds {
        let stem = feed_name(&feed.path);
        for indicator in &feed.indicators {
            let key = match &indicator.family {
                Some(family) => (Some(Arc::clone(family)), None),
                None => (None, Some(stem.clone())),
            };
            let at = *index.entry(key.clone()).or_insert_with(|| {
                groups.push(Group {
                    family: key.0,
                    feed: key.1,
                    indicators: Vec::new(),
                    sources: Vec::new(),
                });
                groups.len() - 1
            });
            let group = &mut groups[at];
            group.indicators.push(indicator.clone());
            let source = format!(
                "{} ({})",
                feed.path
                    .file_name()
                    .map_or(stem.clone(), |n| n.to_string_lossy().into_owned()),
                feed.format
            );
            if !group.sources.contains(&source) {
                group.sources.push(source);
            }
        }
    }
    // The family documents first, so that their names do not depend on unattributed ones.
    groups.sort_by_key(|g| g.family.is_none());
    let mut taken = HashSet::new();
    groups
        .into_iter()
        .map(|group| {
            let base = match (&group.family, &group.feed) {
                (Some(family), _) => slug(family),
                (None, feed) => format!("{}-unattributed", slug(feed.as_deref().unwrap_or("feed"))),
            };
            let name = unique_name(&base, &mut taken);
            Document {
                text: render(&group),
                name,
                family: group.family.map(|f| f.to_string()),
                feed: group.feed,
                iocs: group.indicators.len(),
            }
        })
        .collect()
}

/// The IOCs of one document.
struct Group {
    family: Option<Arc<str>>,
    feed: Option<String>,
    indicators: Vec<FeedIndicator>,
    /// `file.csv (ThreatFox CSV)` of each feed that gave IOCs, in order.
    sources: Vec<String>,
}

/// A file stem from free text: lower-case letters and digits (any script), runs of anything
/// else as one `-`, at most 64 characters; `family` if nothing is left, and a
/// suffix on names Windows reserves for devices (`con`, `nul`, `com1`…).
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.chars().count() >= SLUG_CHARS {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        return "family".to_string();
    }
    let reserved = matches!(out.as_str(), "con" | "prn" | "aux" | "nul")
        || (out.len() == 4 && (out.starts_with("com") || out.starts_with("lpt")) && out.as_bytes()[3].is_ascii_digit());
    if reserved {
        return format!("{out}-family");
    }
    out
}

/// `base`, or `base-2`, `base-3`… whichever is not taken yet; marks it taken.
fn unique_name(base: &str, taken: &mut HashSet<String>) -> String {
    let name = std::iter::once(base.to_string())
        .chain((2..).map(|n| format!("{base}-{n}")))
        .find(|name| !taken.contains(name))
        .unwrap_or_else(|| base.to_string());
    taken.insert(name.clone());
    name
}

/// The `Type` column of an IOC (ThreatFox's names, as the seeds write them).
fn type_name(kind: IocKind) -> &'static str {
    match kind {
        IocKind::Md5 => "md5_hash",
        IocKind::Sha1 => "sha1_hash",
        IocKind::Sha256 => "sha256_hash",
        IocKind::Domain => "domain",
        IocKind::Url => "url",
        IocKind::Ip { port: None } => "ip",
        IocKind::Ip { port: Some(_) } => "ip:port",
    }
}

/// The `Value` column of an IOC: an `ip:port` IOC with its port (`[v6]:port` for IPv6).
fn value_text(indicator: &FeedIndicator) -> String {
    match indicator.kind {
        IocKind::Ip { port: Some(port) } if indicator.value.contains(':') => format!("[{}]:{port}", indicator.value),
        IocKind::Ip { port: Some(port) } => format!("{}:{port}", indicator.value),
        _ => indicator.value.clone(),
    }
}

/// A table cell: a pipe escaped so that it stays in its cell, line breaks as spaces.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\r', '\n', '\t'], " ")
}

/// The name of the `let` that holds a list.
fn let_name(list: List) -> &'static str {
    match list {
        List::Sha256 => "sha256_hashes",
        List::Sha1 => "sha1_hashes",
        List::Md5 => "md5_hashes",
        List::Domains => "domains",
        List::DomainsAndUrls => "domains_and_urls",
        List::BareIps => "ip_addresses",
        List::AllIps => "all_ip_addresses",
    }
}

/// The connector that fills each table a document reads, for its `Sentinel Table` section.
fn connector(table: &str) -> &'static str {
    match table {
        "DnsEvents" => "Windows DNS Events via AMA connector (DNS server logs)",
        "CommonSecurityLog" => "Common Event Format (CEF) via AMA connector (firewalls, proxies)",
        _ => "Microsoft Defender XDR connector, device events streamed to Sentinel",
    }
}

fn render(group: &Group) -> String {
    let mut lets: Vec<(List, String)> = Vec::new();
    let mut name_list = |list: List, values: Vec<String>| {
        if !lets.iter().any(|(known, _)| *known == list) {
            lets.push((list, literals(&values)));
        }
        let_name(list).to_string()
    };
    let hunts = hunts(&group.indicators, &mut name_list);
    let feeds: Vec<String> = {
        let mut stems: Vec<String> = Vec::new();
        for indicator in &group.indicators {
            if !stems.iter().any(|s| **s == *indicator.feed) {
                stems.push(indicator.feed.to_string());
            }
        }
        stems
    };
    let mut tables: Vec<&str> = Vec::new();
    for hunt in &hunts {
        if !tables.contains(&hunt.table) {
            tables.push(hunt.table);
        }
    }
    let n = group.indicators.len();
    let iocs = if n == 1 { "IOC" } else { "IOCs" };
    let mut out = String::new();

    // The description: its `The <title> rule` opening is where the parser takes the title from.
    let (title, whose) = match &group.family {
        Some(family) => (
            format!("Feed {}: {family} IOCs", feeds.join(", ")),
            format!("that {} attributes to {family}", sources_text(&group.sources)),
        ),
        None => (
            format!("Feed {}: IOCs with no malware family", feeds.join(", ")),
            format!("of {} that name no malware family", sources_text(&group.sources)),
        ),
    };
    let _ = writeln!(
        out,
        "The {title} rule hunts the {n} {iocs} {whose}, in {}. loghunt wrote it from the feed; it runs unchanged in Microsoft Sentinel and in loghunt.",
        join_and(&tables)
    );
    out.push_str("IOC Summary\n");
    let mut types: Vec<&str> = Vec::new();
    for indicator in &group.indicators {
        let name = type_name(indicator.kind);
        if !types.contains(&name) {
            types.push(name);
        }
    }
    if let Some(family) = &group.family {
        let _ = write!(out, "Malware Family: {family} ");
    }
    let _ = writeln!(out, "Total IOCs: {n} IOC Types: {}", types.join(", "));
    out.push_str("| Type | Value | Threat Type | First Seen | Confidence | IOC ID | Reference | Feed |\n");
    out.push_str("|---|---|---|---|---|---|---|---|\n");
    for indicator in &group.indicators {
        let text = |value: Option<&str>| value.map(cell).unwrap_or_default();
        let confidence = indicator.confidence.map(|c| format!("{c}%")).unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            type_name(indicator.kind),
            cell(&value_text(indicator)),
            text(indicator.threat_type.as_deref()),
            text(indicator.first_seen.as_deref()),
            confidence,
            text(indicator.id.as_deref()),
            text(indicator.reference.as_deref()),
            cell(&indicator.feed),
        );
    }

    let who = group.family.as_deref().unwrap_or("no malware family");
    let _ = writeln!(
        out,
        "// Hunt for the IOCs of {who}: {}",
        join_and(&hunts.iter().map(|h| h.what).collect::<Vec<_>>())
    );
    let _ = writeln!(out, "// Source: {}", group.sources.join(", "));
    for (list, values) in &lets {
        let _ = writeln!(out, "let {} = dynamic([{values}]);", let_name(*list));
    }
    out.push_str("union\n");
    for (at, hunt) in hunts.iter().enumerate() {
        let end = if at + 1 == hunts.len() { ")" } else { ")," };
        let _ = writeln!(out, "    ({}\n    | where {}", hunt.table, hunt.predicate);
        let _ = writeln!(out, "    | project {}{end}", projection(hunt));
    }
    out.push_str("| order by TimeGenerated desc\n");

    out.push_str("| Sentinel Table | Notes |\n|---|---|\n");
    for table in &tables {
        let _ = writeln!(out, "| {table} | {} |", connector(table));
    }
    for (name, description, filter) in scenarios(&hunts) {
        let _ = writeln!(
            out,
            "Scenario: {name}\nDescription: {description}\nFilter/Exclusion: {filter}"
        );
    }
    out
}

/// A leg's `project`: the shared head, then the leg's own columns.
fn projection(hunt: &Hunt) -> String {
    // The Defender tables' event time is `Timestamp` in Advanced Hunting exports and
    // `TimeGenerated` in Sentinel, which has no `Timestamp` column: `column_ifexists` lets one
    // text read both.
    let time = if hunt.time == "Timestamp" {
        "TimeGenerated = coalesce(TimeGenerated, column_ifexists(\"Timestamp\", datetime(null)))"
    } else {
        "TimeGenerated"
    };
    format!(
        "{time},\n        SourceTable = {}, {HUNT_COLUMN} = {}, {}",
        literal(hunt.table),
        literal(hunt.name),
        hunt.columns.join(", ")
    )
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `the ThreatFox CSV feed threatfox.csv`, or several.
fn sources_text(sources: &[String]) -> String {
    match sources {
        [one] => format!("the feed {one}"),
        several => format!(
            "the feeds {}",
            join_and(&several.iter().map(String::as_str).collect::<Vec<_>>())
        ),
    }
}

/// False-positive scenarios, one for each kind of match the document makes: what makes such a
/// match benign, and how to tell.
fn scenarios(hunts: &[Hunt]) -> Vec<(&'static str, &'static str, &'static str)> {
    let has = |name: &str| hunts.iter().any(|h| h.name == name);
    let mut out = Vec::new();
    if has("file-hashes") {
        out.push((
            "A benign file that the feed lists",
            "Feeds sometimes list files that ship beside the malware but are legitimate (runtime libraries, signed installers the dropper bundles) or trivial (the empty file, MD5 d41d8cd98f00b204e9800998ecf8427e).",
            "Check the file's signer and prevalence in Defender before acting, and exclude hashes confirmed benign by their SHA256.",
        ));
    }
    if has("dns") || has("network-urls") {
        out.push((
            "A legitimate host under an IOC domain, or a longer URL",
            "has_any matches whole terms, so the domain evil.example also matches cdn.evil.example and evil.example-cdn.net, and a URL IOC matches the same path with a query string after it; under a shared hosting or dynamic DNS parent domain such hosts can be unrelated.",
            "Compare the full name (Name or RemoteUrl) with the IOC value before acting, and exclude parent domains of shared services after review.",
        ));
    }
    if has("network-ips") || has("cef-ips") {
        out.push((
            "Shared or reassigned infrastructure behind an IOC IP address",
            "Cloud, CDN and hosting addresses are reused, and sinkholes take over command-and-control addresses, so a connection long after the IOC's First Seen may be unrelated; the CommonSecurityLog leg matches the address as source or destination, on any port.",
            "Compare the event time with the IOC's First Seen and the port with an ip:port IOC's, and exclude known sinkhole and CDN ranges.",
        ));
    }
    out
}

/// For a document that `loghunt feed` wrote (its IOC table has the `Feed` column): the lookup
/// that finds, for a row of its `union`, the indicator the row matched, by the row's
/// [`HUNT_COLUMN`]. The indicators come from the IOC table, in its order, with their metadata,
/// so that a hit carries the same `ioc` as the same hit of `scan --iocs`. `None` for any other
/// document.
pub fn document_lookup(rule: &Rule) -> Option<IocLookup> {
    let source = Location::Object(format!("{} IOC table", rule.source.display()));
    let family: Option<Arc<str>> = rule.family.as_deref().map(Arc::from);
    // Only a document `loghunt feed` wrote has the column; reading every row of any other
    // to find none would undo what keeping the rows as text saves.
    if !rule.indicators.has_feed_column() {
        return None;
    }
    let indicators: Vec<FeedIndicator> = (rule.indicators.to_indicators().iter())
        .filter_map(|row| {
            let feed = row.feed.clone()?;
            let kind = match row.kind {
                IndicatorKind::Sha256 => IocKind::Sha256,
                IndicatorKind::Sha1 => IocKind::Sha1,
                IndicatorKind::Md5 => IocKind::Md5,
                IndicatorKind::Domain => IocKind::Domain,
                IndicatorKind::Url => IocKind::Url,
                // The port, if any, is read from the value.
                IndicatorKind::Ip | IndicatorKind::IpPort => IocKind::Ip { port: None },
                IndicatorKind::Other(_) => return None,
            };
            let (kind, value) = normalise(kind, &row.value).ok()?;
            let confidence = row
                .confidence
                .as_deref()
                .and_then(|c| c.trim().trim_end_matches('%').trim().parse::<u8>().ok())
                .filter(|c| *c <= 100);
            Some(FeedIndicator {
                kind,
                value,
                feed,
                id: row.id.as_deref().map(str::to_string),
                family: family.clone(),
                threat_type: row.threat_type.clone(),
                confidence,
                first_seen: row.first_seen.clone(),
                reference: row.reference.clone(),
                tags: Vec::new(),
                // A document's IOC table has no column for these.
                description: None,
                valid_until: None,
                location: source.clone(),
            })
        })
        .collect();
    if indicators.is_empty() {
        return None;
    }
    let mut ignore = |_: List, _: Vec<String>| String::new();
    let hunts = hunts(&indicators, &mut ignore)
        .into_iter()
        .map(|hunt| (hunt.name, hunt.lookup))
        .collect();
    Some(IocLookup::ByHunt {
        column: HUNT_COLUMN,
        hunts,
    })
}

#[cfg(test)]
#[path = "documents_tests.rs"]
mod tests;
