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

/// The indicators of one feed rule and the columns a result row is looked up by.
#[derive(Debug, Clone)]
pub struct IocLookup {
    indicators: Vec<FeedIndicator>,
    how: How,
}

#[derive(Debug, Clone)]
enum How {
    /// The row's values of `columns` (in order), lower-cased, looked up exactly.
    Exact {
        columns: &'static [&'static str],
        index: HashMap<String, Vec<usize>>,
        /// The column an indicator's port must equal, if it has one.
        port: Option<&'static str>,
    },
    /// The first indicator (in feed order) whose needle the value of `column` `has`.
    Terms { column: &'static str, needles: Vec<String> },
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

/// The rules of `feed`, one per table and kind of IOC it has, in a fixed order.
pub fn feed_rules(feed: &Feed) -> Vec<FeedRule> {
    let stem = feed_name(&feed.path);
    let of = |pick: &dyn Fn(IocKind) -> bool| -> Vec<FeedIndicator> {
        feed.indicators.iter().filter(|i| pick(i.kind)).cloned().collect()
    };
    let hashes = of(&|k| k.hash_length().is_some());
    let domains = of(&|k| k == IocKind::Domain);
    let web = of(&|k| matches!(k, IocKind::Domain | IocKind::Url));
    let ips = of(&|k| matches!(k, IocKind::Ip { .. }));
    let mut rules = Vec::new();
    let new = |suffix: &str, what: &str, query: String| Rule {
        id: format!("{stem}.{suffix}"),
        source: feed.path.clone(),
        title: Some(format!("{stem}: {what} ({})", feed.format)),
        family: None,
        table: None,
        query,
        query_line: 1,
        indicators: Vec::new(),
        declared_total: None,
        scenarios: Vec::new(),
    };

    if !hashes.is_empty() {
        let sets = hash_sets(&hashes);
        let clause = |prefix: &str| -> String {
            sets.iter()
                .filter(|(_, values)| !values.is_empty())
                .map(|(column, values)| format!("{prefix}{column} in~ ({})", literals(values)))
                .collect::<Vec<_>>()
                .join(" or ")
        };
        let file = format!("DeviceFileEvents\n| where {}\n| order by Timestamp desc", clause(""));
        rules.push(FeedRule {
            rule: new("file-hashes", "file hashes", file),
            lookup: IocLookup::exact(hashes.clone(), FILE_HASHES, None),
        });
        let process = format!(
            "DeviceProcessEvents\n| where {} or {}\n| order by Timestamp desc",
            clause(""),
            clause("InitiatingProcess")
        );
        rules.push(FeedRule {
            rule: new("process-hashes", "process hashes", process),
            lookup: IocLookup::exact(hashes, PROCESS_HASHES, None),
        });
    }
    if !domains.is_empty() {
        let query = format!(
            "DnsEvents\n| where Name has_any ({})\n| order by TimeGenerated desc",
            literals(&needles(&domains))
        );
        rules.push(FeedRule {
            rule: new("dns", "domains in DNS queries", query),
            lookup: IocLookup::terms(domains, "Name"),
        });
    }
    if !web.is_empty() {
        let query = format!(
            "DeviceNetworkEvents\n| where RemoteUrl has_any ({})\n| order by Timestamp desc",
            literals(&needles(&web))
        );
        rules.push(FeedRule {
            rule: new("network-urls", "domains and URLs in network connections", query),
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
            clauses.push(format!("RemoteIP in ({})", literals(&bare)));
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
        let query = format!(
            "DeviceNetworkEvents\n| where {}\n| order by Timestamp desc",
            clauses.join("\n    or ")
        );
        rules.push(FeedRule {
            rule: new("network-ips", "IP addresses of network connections", query),
            lookup: IocLookup::exact(ips.clone(), &["RemoteIP"], Some("RemotePort")),
        });
        let all: Vec<String> = ips.iter().map(|i| i.value.clone()).collect();
        let list = literals(&all);
        let query = format!(
            "CommonSecurityLog\n| where DestinationIP in ({list}) or SourceIP in ({list})\n| order by TimeGenerated desc"
        );
        // Firewalls log both directions: the port of an `ip:port` IOC is not checked here.
        rules.push(FeedRule {
            rule: new("cef-ips", "IP addresses in CommonSecurityLog", query),
            lookup: IocLookup::exact(ips, &["DestinationIP", "SourceIP"], None),
        });
    }
    rules
}

/// The hash values of each column of `DeviceFileEvents`, deduplicated, in feed order.
fn hash_sets(hashes: &[FeedIndicator]) -> [(&'static str, Vec<String>); 3] {
    let pick = |kind: IocKind| {
        hashes
            .iter()
            .filter(|i| i.kind == kind)
            .map(|i| i.value.clone())
            .collect()
    };
    [
        ("SHA256", pick(IocKind::Sha256)),
        ("SHA1", pick(IocKind::Sha1)),
        ("MD5", pick(IocKind::Md5)),
    ]
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

/// Comma-separated KQL string literals of `values`, each once, in order.
fn literals(values: &[String]) -> String {
    let mut seen = HashSet::new();
    let mut out = String::new();
    for value in values {
        if seen.insert(value.as_str()) {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(&literal(value));
        }
    }
    out
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
        IocLookup {
            indicators,
            how: How::Exact { columns, index, port },
        }
    }

    fn terms(indicators: Vec<FeedIndicator>, column: &'static str) -> IocLookup {
        let needles = needles(&indicators);
        IocLookup {
            indicators,
            how: How::Terms { column, needles },
        }
    }

    /// The indicator a result row matched, given the text of the row's columns by name (`None`
    /// for a null or missing column).
    pub fn find(&self, value_of: &dyn Fn(&str) -> Option<String>) -> Option<&FeedIndicator> {
        match &self.how {
            How::Exact { columns, index, port } => {
                let row_port = port.and_then(value_of).and_then(|p| p.trim().parse::<u16>().ok());
                columns.iter().find_map(|column| {
                    let value = value_of(column)?.trim().to_ascii_lowercase();
                    index
                        .get(&value)?
                        .iter()
                        .map(|&at| &self.indicators[at])
                        .find(|i| match i.kind {
                            IocKind::Ip { port: Some(p) } if port.is_some() => row_port == Some(p),
                            _ => true,
                        })
                })
            }
            How::Terms { column, needles } => {
                let value = value_of(column)?;
                needles
                    .iter()
                    .position(|n| has_term(&value, n, false))
                    .map(|at| &self.indicators[at])
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
        assert_eq!(ioc_json(&rules[0].lookup.indicators[0])["kind"], "domain");
    }
}
