//! A feed as rules: each kind of IOC a [`Feed`] has becomes a [`Rule`] whose query is plain KQL
//! over the tables where that kind shows up, so the engine runs it like any rule document. Each
//! rule comes with an [`IocLookup`] that tells, for a result row, which indicator it matched.
//!
//! For a feed with stem `F` (only the rules of the kinds it has):
//!
//! | rule | query |
//! |---|---|
//! | `F.file-hashes` | `DeviceFileEvents \| where SHA256 in~ (...) or SHA1 in~ (...) or MD5 in~ (...)` |
//! | `F.process-hashes` | `DeviceProcessEvents`, the same over `SHA256`/`SHA1`/`MD5` and `InitiatingProcessSHA256`/`SHA1`/`MD5` |
//! | `F.dns` | `DnsEvents \| where Name has_any (domains)` |
//! | `F.network-urls` | `DeviceNetworkEvents \| where RemoteUrl has_any (domains, URLs without their scheme)` |
//! | `F.network-ips` | `DeviceNetworkEvents \| where RemoteIP in (...) or (RemoteIP == "ip" and RemotePort == port) ...` |
//! | `F.cef-ips` | `CommonSecurityLog \| where DestinationIP in (...) or SourceIP in (...)` (ports not checked) |
//!
//! Every rule keeps every column (no `project`) and ends with `order by` the table's time
//! column, newest first. Values are deduplicated, in feed order, as escaped string literals.
//!
//! The table and predicate of each row above, its lookup, and the columns a document keeps are
//! a `Hunt`, built by `hunts` only: the documents that `loghunt feed` writes
//! (`documents.rs`) run the same predicates as legs of one `union`, over `let` lists instead of
//! literals, and a document's lookup ([`IocLookup::ByHunt`]) picks the leg's lookup by the row's
//! `Hunt` column.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Map, Value as Json};

use super::{Feed, FeedIndicator, IocKind};
use crate::plan::query::expr::has_term;
use crate::rules::Rule;

/// A rule made from a feed, and how to find the indicator a result row of it matched.
#[derive(Debug, Clone)]
pub struct FeedRule {
    pub rule: Rule,
    pub lookup: IocLookup,
}

/// How to find, for a result row, the indicator it matched.
#[derive(Debug, Clone)]
pub enum IocLookup {
    /// The row's values of `columns` (in order), lower-cased, looked up exactly.
    Exact {
        indicators: Vec<FeedIndicator>,
        columns: &'static [&'static str],
        index: HashMap<String, Vec<usize>>,
        /// The column an indicator's port must equal, if it has one.
        port: Option<&'static str>,
    },
    /// The first indicator (in feed order) whose needle the value of `column` `has`.
    Terms {
        indicators: Vec<FeedIndicator>,
        column: &'static str,
        needles: Vec<String>,
    },
    /// A row of a document's `union`: its `column` names the hunt (leg) it came from, whose
    /// lookup finds the indicator.
    ByHunt {
        column: &'static str,
        hunts: Vec<(&'static str, IocLookup)>,
    },
}

const FILE_HASHES: &[&str] = &["SHA256", "SHA1", "MD5"];
const PROCESS_HASHES: &[&str] = &[
    "SHA256",
    "SHA1",
    "MD5",
    "InitiatingProcessSHA256",
    "InitiatingProcessSHA1",
    "InitiatingProcessMD5",
];

/// A list of IOC values that a hunt's predicate tests a column against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum List {
    Sha256,
    Sha1,
    Md5,
    /// Domains, for `DnsEvents.Name`.
    Domains,
    /// Domains and URLs without their scheme, for `DeviceNetworkEvents.RemoteUrl`.
    DomainsAndUrls,
    /// IP addresses of IOCs without a port (an `ip:port` IOC is its own clause).
    BareIps,
    /// Every IP address, with a port or without, for `CommonSecurityLog`.
    AllIps,
}

/// One table and kind of IOC that a set of indicators is hunted in: the predicate a feed rule
/// (`scan --iocs`) runs as `Table | where ...`, and a document written by `loghunt feed` runs
/// as one leg of its `union`. The two are built here only, so that they cannot drift apart.
#[derive(Debug, Clone)]
pub(crate) struct Hunt {
    /// The feed rule's id suffix (`F.file-hashes`) and the document's `Hunt` column value.
    pub name: &'static str,
    /// What is hunted, for titles: `file hashes`.
    pub what: &'static str,
    pub table: &'static str,
    /// The table's event time, which a feed rule orders by (newest first).
    pub time: &'static str,
    /// The `where` predicate, its lists as the caller wrote them.
    pub predicate: String,
    /// What a document's leg keeps of the table's row: context for a reader, and every column
    /// that `lookup` reads.
    pub columns: &'static [&'static str],
    pub lookup: IocLookup,
}

/// The hunts of `indicators` (only those of the kinds present), in a fixed order. `list` writes
/// a list of values into a predicate: the literals themselves (a feed rule) or the name of a
/// `let` that holds them (a document). It gets each list's values deduplicated, in feed order.
pub(crate) fn hunts(indicators: &[FeedIndicator], list: &mut dyn FnMut(List, Vec<String>) -> String) -> Vec<Hunt> {
    let of = |pick: &dyn Fn(IocKind) -> bool| -> Vec<FeedIndicator> {
        indicators.iter().filter(|i| pick(i.kind)).cloned().collect()
    };
    let hashes = of(&|k| k.hash_length().is_some());
    let domains = of(&|k| k == IocKind::Domain);
    let web = of(&|k| matches!(k, IocKind::Domain | IocKind::Url));
    let ips = of(&|k| matches!(k, IocKind::Ip { .. }));
    let mut hunts = Vec::new();

    if !hashes.is_empty() {
        let mut clause = |prefix: &str| -> String {
            [(List::Sha256, "SHA256"), (List::Sha1, "SHA1"), (List::Md5, "MD5")]
                .into_iter()
                .filter_map(|(which, column)| {
                    let values = hash_values(&hashes, which);
                    (!values.is_empty()).then(|| format!("{prefix}{column} in~ ({})", list(which, values)))
                })
                .collect::<Vec<_>>()
                .join(" or ")
        };
        let file = clause("");
        let process = format!("{file} or {}", clause("InitiatingProcess"));
        hunts.push(Hunt {
            name: "file-hashes",
            what: "file hashes",
            table: "DeviceFileEvents",
            time: "Timestamp",
            predicate: file,
            columns: &[
                "DeviceId",
                "DeviceName",
                "ActionType",
                "FileName",
                "FolderPath",
                "SHA256",
                "SHA1",
                "MD5",
                "InitiatingProcessFileName",
                "InitiatingProcessCommandLine",
            ],
            lookup: IocLookup::exact(hashes.clone(), FILE_HASHES, None),
        });
        hunts.push(Hunt {
            name: "process-hashes",
            what: "process hashes",
            table: "DeviceProcessEvents",
            time: "Timestamp",
            predicate: process,
            columns: &[
                "DeviceId",
                "DeviceName",
                "ActionType",
                "FileName",
                "FolderPath",
                "SHA256",
                "SHA1",
                "MD5",
                "ProcessCommandLine",
                "InitiatingProcessFileName",
                "InitiatingProcessCommandLine",
                "InitiatingProcessSHA256",
                "InitiatingProcessSHA1",
                "InitiatingProcessMD5",
            ],
            lookup: IocLookup::exact(hashes, PROCESS_HASHES, None),
        });
    }
    if !domains.is_empty() {
        let predicate = format!("Name has_any ({})", list(List::Domains, unique(needles(&domains))));
        hunts.push(Hunt {
            name: "dns",
            what: "domains in DNS queries",
            table: "DnsEvents",
            time: "TimeGenerated",
            predicate,
            columns: &["Computer", "ClientIP", "Name", "QueryType", "IPAddresses"],
            lookup: IocLookup::terms(domains, "Name"),
        });
    }
    const NETWORK: &[&str] = &[
        "DeviceId",
        "DeviceName",
        "ActionType",
        "RemoteUrl",
        "RemoteIP",
        "RemotePort",
        "InitiatingProcessFileName",
        "InitiatingProcessCommandLine",
    ];
    if !web.is_empty() {
        let predicate = format!(
            "RemoteUrl has_any ({})",
            list(List::DomainsAndUrls, unique(needles(&web)))
        );
        hunts.push(Hunt {
            name: "network-urls",
            what: "domains and URLs in network connections",
            table: "DeviceNetworkEvents",
            time: "Timestamp",
            predicate,
            columns: NETWORK,
            lookup: IocLookup::terms(web, "RemoteUrl"),
        });
    }
    if !ips.is_empty() {
        let bare: Vec<String> = ips
            .iter()
            .filter(|i| i.kind == IocKind::Ip { port: None })
            .map(|i| i.value.clone())
            .collect();
        let mut seen = HashSet::new();
        let mut clauses = Vec::new();
        if !bare.is_empty() {
            clauses.push(format!("RemoteIP in ({})", list(List::BareIps, unique(bare))));
        }
        for indicator in &ips {
            if let IocKind::Ip { port: Some(port) } = indicator.kind {
                if seen.insert((indicator.value.as_str(), port)) {
                    clauses.push(format!(
                        "(RemoteIP == {} and RemotePort == {port})",
                        literal(&indicator.value)
                    ));
                }
            }
        }
        hunts.push(Hunt {
            name: "network-ips",
            what: "IP addresses of network connections",
            table: "DeviceNetworkEvents",
            time: "Timestamp",
            predicate: clauses.join("\n    or "),
            columns: NETWORK,
            lookup: IocLookup::exact(ips.clone(), &["RemoteIP"], Some("RemotePort")),
        });
        let all = list(List::AllIps, unique(ips.iter().map(|i| i.value.clone()).collect()));
        // Firewalls log both directions: the port of an `ip:port` IOC is not checked here.
        hunts.push(Hunt {
            name: "cef-ips",
            what: "IP addresses in CommonSecurityLog",
            table: "CommonSecurityLog",
            time: "TimeGenerated",
            predicate: format!("DestinationIP in ({all}) or SourceIP in ({all})"),
            columns: &[
                "Computer",
                "DeviceVendor",
                "DeviceProduct",
                "Activity",
                "SourceIP",
                "SourcePort",
                "DestinationIP",
                "DestinationPort",
            ],
            lookup: IocLookup::exact(ips, &["DestinationIP", "SourceIP"], None),
        });
    }
    hunts
}

/// The rules of `feed`, one per table and kind of IOC it has, in a fixed order.
pub fn feed_rules(feed: &Feed) -> Vec<FeedRule> {
    let stem = feed_name(&feed.path);
    let mut inline = |_: List, values: Vec<String>| literals(&values);
    hunts(&feed.indicators, &mut inline)
        .into_iter()
        .map(|hunt| FeedRule {
            rule: Rule {
                title: Some(format!("{stem}: {} ({})", hunt.what, feed.format)),
                ..Rule::of_query(
                    format!("{stem}.{}", hunt.name),
                    feed.path.clone(),
                    format!(
                        "{}\n| where {}\n| order by {} desc",
                        hunt.table, hunt.predicate, hunt.time
                    ),
                )
            },
            lookup: hunt.lookup,
        })
        .collect()
}

/// The values of the hashes of one kind (`which` is `Sha256`, `Sha1` or `Md5`), each once.
fn hash_values(hashes: &[FeedIndicator], which: List) -> Vec<String> {
    let kind = match which {
        List::Sha256 => IocKind::Sha256,
        List::Sha1 => IocKind::Sha1,
        _ => IocKind::Md5,
    };
    unique(
        hashes
            .iter()
            .filter(|i| i.kind == kind)
            .map(|i| i.value.clone())
            .collect(),
    )
}

/// `values`, each once, in order.
fn unique(values: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    values.into_iter().filter(|v| seen.insert(v.clone())).collect()
}

/// What `has_any` searches for an indicator: a domain as it is, a URL without its scheme (so
/// that a `RemoteUrl` logged as `host/path` matches as well as `http://host/path`).
fn needle(indicator: &FeedIndicator) -> String {
    match indicator.kind {
        IocKind::Url => match indicator.value.split_once("://") {
            Some((_, rest)) => rest.to_string(),
            None => indicator.value.clone(),
        },
        _ => indicator.value.clone(),
    }
}

fn needles(indicators: &[FeedIndicator]) -> Vec<String> {
    indicators.iter().map(needle).collect()
}

/// Comma-separated KQL string literals of `values`.
pub(crate) fn literals(values: &[String]) -> String {
    values.iter().map(|v| literal(v)).collect::<Vec<_>>().join(", ")
}

/// A KQL double-quoted string literal of `value`.
pub fn literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl IocLookup {
    fn exact(
        indicators: Vec<FeedIndicator>,
        columns: &'static [&'static str],
        port: Option<&'static str>,
    ) -> IocLookup {
        let mut index: HashMap<String, Vec<usize>> = HashMap::new();
        for (at, indicator) in indicators.iter().enumerate() {
            index.entry(indicator.value.to_ascii_lowercase()).or_default().push(at);
        }
        IocLookup::Exact {
            indicators,
            columns,
            index,
            port,
        }
    }

    fn terms(indicators: Vec<FeedIndicator>, column: &'static str) -> IocLookup {
        let needles = needles(&indicators);
        IocLookup::Terms {
            indicators,
            column,
            needles,
        }
    }

    /// The indicators of a feed rule's lookup, in feed order; `None` for a document's
    /// [`IocLookup::ByHunt`], whose indicators are the document's IOC table.
    pub fn indicators(&self) -> Option<&[FeedIndicator]> {
        match self {
            IocLookup::Exact { indicators, .. } | IocLookup::Terms { indicators, .. } => Some(indicators),
            IocLookup::ByHunt { .. } => None,
        }
    }

    /// Every indicator (by position in [`IocLookup::indicators`]) that a record matches as the
    /// feed rule's query does, given the text of the record's columns by name: hashes ASCII
    /// case-insensitively (`in~`) and addresses exactly (`in`, `==`) in any of the columns, an
    /// `ip:port` IOC only with its port where the rule checks ports, and every domain or URL the
    /// column `has`. The rule with only that indicator would return the record. `None` for a
    /// document's [`IocLookup::ByHunt`], as [`IocLookup::indicators`].
    pub fn find_all(&self, value_of: &dyn Fn(&str) -> Option<String>) -> Option<Vec<usize>> {
        let mut found = Vec::new();
        match self {
            IocLookup::Exact {
                indicators,
                columns,
                index,
                port,
            } => {
                let row_port = port.and_then(value_of).and_then(|p| p.parse::<u16>().ok());
                for column in *columns {
                    let Some(value) = value_of(column) else { continue };
                    let Some(candidates) = index.get(&value.to_ascii_lowercase()) else {
                        continue;
                    };
                    for &at in candidates {
                        let indicator = &indicators[at];
                        let same = indicator.kind.hash_length().is_some() || indicator.value == value;
                        let port_ok = match indicator.kind {
                            IocKind::Ip { port: Some(p) } if port.is_some() => row_port == Some(p),
                            _ => true,
                        };
                        if same && port_ok {
                            found.push(at);
                        }
                    }
                }
            }
            IocLookup::Terms { column, needles, .. } => {
                if let Some(value) = value_of(column) {
                    found.extend((0..needles.len()).filter(|&at| has_term(&value, &needles[at], false)));
                }
            }
            IocLookup::ByHunt { .. } => return None,
        }
        found.sort_unstable();
        found.dedup();
        Some(found)
    }

    /// The indicator a result row matched, given the text of the row's columns by name (`None`
    /// for a null or missing column).
    pub fn find(&self, value_of: &dyn Fn(&str) -> Option<String>) -> Option<&FeedIndicator> {
        match self {
            IocLookup::Exact {
                indicators,
                columns,
                index,
                port,
            } => {
                let row_port = port.and_then(value_of).and_then(|p| p.trim().parse::<u16>().ok());
                columns.iter().find_map(|column| {
                    let value = value_of(column)?.trim().to_ascii_lowercase();
                    index
                        .get(&value)?
                        .iter()
                        .map(|&at| &indicators[at])
                        .find(|i| match i.kind {
                            IocKind::Ip { port: Some(p) } if port.is_some() => row_port == Some(p),
                            _ => true,
                        })
                })
            }
            IocLookup::Terms {
                indicators,
                column,
                needles,
            } => {
                let value = value_of(column)?;
                needles
                    .iter()
                    .position(|n| has_term(&value, n, false))
                    .map(|at| &indicators[at])
            }
            IocLookup::ByHunt { column, hunts } => {
                let name = value_of(column)?;
                let (_, lookup) = hunts.iter().find(|(hunt, _)| *hunt == name)?;
                lookup.find(value_of)
            }
        }
    }
}

/// The `ioc` object of a JSON line: the indicator and its metadata, absent fields null.
pub fn ioc_json(indicator: &FeedIndicator) -> Map<String, Json> {
    let text = |v: Option<&str>| v.map_or(Json::Null, |v| Json::String(v.to_string()));
    let (kind, value) = match indicator.kind {
        IocKind::Md5 => ("md5", indicator.value.clone()),
        IocKind::Sha1 => ("sha1", indicator.value.clone()),
        IocKind::Sha256 => ("sha256", indicator.value.clone()),
        IocKind::Domain => ("domain", indicator.value.clone()),
        IocKind::Url => ("url", indicator.value.clone()),
        IocKind::Ip { port: None } => ("ip", indicator.value.clone()),
        IocKind::Ip { port: Some(port) } if indicator.value.contains(':') => {
            ("ip:port", format!("[{}]:{port}", indicator.value))
        }
        IocKind::Ip { port: Some(port) } => ("ip:port", format!("{}:{port}", indicator.value)),
    };
    let mut object = Map::new();
    object.insert("feed".into(), Json::String(indicator.feed.to_string()));
    object.insert("id".into(), text(indicator.id.as_deref()));
    object.insert("value".into(), Json::String(value));
    object.insert("kind".into(), Json::String(kind.into()));
    object.insert("family".into(), text(indicator.family.as_deref()));
    object.insert("threat_type".into(), text(indicator.threat_type.as_deref()));
    object.insert("confidence".into(), indicator.confidence.map_or(Json::Null, Json::from));
    object.insert("first_seen".into(), text(indicator.first_seen.as_deref()));
    object.insert("reference".into(), text(indicator.reference.as_deref()));
    object
}

/// The feed's stem, as its rules' ids begin.
pub fn feed_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::feeds::read_feed;

    #[test]
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(literal("plain.com"), "\"plain.com\"");
        assert_eq!(literal("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(literal("x\ny"), "\"x\\ny\"");
    }

    #[test]
    fn a_feed_makes_the_rules_of_its_kinds_only() {
        let text = "evil.example\n93e61d5a877bbb937e885d3ca385ac8a\n";
        let feed = read_feed(Path::new("f.txt"), text).unwrap();
        let ids: Vec<String> = feed_rules(&feed).into_iter().map(|r| r.rule.id).collect();
        assert_eq!(ids, ["f.file-hashes", "f.process-hashes", "f.dns", "f.network-urls"]);
    }

    #[test]
    fn queries_compile_and_name_the_right_columns() {
        let text = "EF0E9301403D58A4729AAA9CD81ABF942B1C8A301A651B1512BC2B5D9E599303\n\
                    hxxp://moocow[.]my/gate.php\n185.215.113.66:4782\n10.1.2.3\n";
        let feed = read_feed(Path::new("f.txt"), text).unwrap();
        let rules = feed_rules(&feed);
        for rule in &rules {
            crate::plan::compile_rule(&rule.rule, 0).unwrap_or_else(|e| panic!("{}: {e}", rule.rule.query));
        }
        let query = |id: &str| &rules.iter().find(|r| r.rule.id == id).unwrap().rule.query;
        assert!(query("f.file-hashes")
            .contains("SHA256 in~ (\"ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303\")"));
        assert!(query("f.process-hashes").contains("InitiatingProcessSHA256 in~"));
        assert!(query("f.network-urls").contains("RemoteUrl has_any (\"moocow.my/gate.php\")"));
        assert!(query("f.network-ips").contains("RemoteIP in (\"10.1.2.3\")"));
        assert!(query("f.network-ips").contains("(RemoteIP == \"185.215.113.66\" and RemotePort == 4782)"));
        assert!(query("f.cef-ips").contains("DestinationIP in (\"185.215.113.66\", \"10.1.2.3\")"));
        assert!(!rules.iter().any(|r| r.rule.id == "f.dns"));
    }

    #[test]
    fn lookups_find_the_indicator_of_a_row() {
        let text = "moocow.my\napi.moocow.my\n185.215.113.66:4782\n185.215.113.66\n";
        let feed = read_feed(Path::new("f.txt"), text).unwrap();
        let rules = feed_rules(&feed);
        let lookup = |id: &str| &rules.iter().find(|r| r.rule.id == id).unwrap().lookup;
        let row = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
        };
        // The first domain in feed order that the name `has`.
        let found = lookup("f.dns").find(&row(&[("Name", "API.MooCow.my")])).unwrap();
        assert_eq!(found.value, "moocow.my");
        // An IP with the IOC's port is that IOC; with another port, the one without a port.
        let found = lookup("f.network-ips")
            .find(&row(&[("RemoteIP", "185.215.113.66"), ("RemotePort", "4782")]))
            .unwrap();
        assert_eq!(found.kind, IocKind::Ip { port: Some(4782) });
        let found = lookup("f.network-ips")
            .find(&row(&[("RemoteIP", "185.215.113.66"), ("RemotePort", "443")]))
            .unwrap();
        assert_eq!(found.kind, IocKind::Ip { port: None });
        assert!(lookup("f.cef-ips")
            .find(&row(&[("SourceIP", "185.215.113.66")]))
            .is_some());
        assert!(lookup("f.cef-ips").find(&row(&[("SourceIP", "1.1.1.1")])).is_none());
        let found = lookup("f.dns").find(&row(&[("Name", "moocow.my")])).unwrap();
        assert_eq!(ioc_json(found)["kind"], "domain");
    }
}
