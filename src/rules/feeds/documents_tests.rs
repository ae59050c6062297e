//! Tests of `documents`: names, the text read back by the document parser, the query compiled,
//! and the lookup of a document against the feed's.
use std::path::Path;

use super::*;
use crate::rules::feeds::read_feed;
use crate::rules::feeds::rules::feed_rules;
use crate::rules::parse_document;

/// A ThreatFox CSV export with two families, an unattributed IOC, and cells that need care.
const FEED: &str = r#"# "first_seen_utc","ioc_id","ioc_value","ioc_type","threat_type","fk_malware","malware_alias","malware_printable","last_seen_utc","confidence_level","reference","tags","anonymous","reporter"
"2026-06-20 09:12:44","1","EF0E9301403D58A4729AAA9CD81ABF942B1C8A301A651B1512BC2B5D9E599303","sha256_hash","payload","win.nanocore","None","Nanocore RAT","","95","https://example.org/a|b","NanoCore","0","x"
"2026-05-26 14:02:11","2","moocow[.]my","domain","botnet_cc","win.nanocore","None","Nanocore RAT","","75","","","0","x"
"2026-05-26 14:02:11","3","185.215.113.66:4782","ip:port","botnet_cc","win.nanocore","None","Nanocore RAT","","","","","0","x"
"2026-06-18 21:00:05","4","[2001:db8::1]:8443","ip:port","botnet_cc","win.asyncrat","None","Async|RAT","","100","","","0","x"
"2026-06-18 21:00:05","5","http://www.mobile1.com/nc/Update.exe","url","payload_delivery","","None","None","","50","","","0","x"
"2026-06-18 21:00:05","6","10.1.2.3","ip","botnet_cc","win.nanocore","None","nanocore rat","","","","","0","x"
"#;

fn feed() -> Feed {
    let feed = read_feed(Path::new("feeds/tf.csv"), FEED).unwrap();
    assert!(feed.warnings.is_empty(), "{:?}", feed.warnings);
    assert_eq!(feed.indicators.len(), 6);
    feed
}

#[test]
fn slugs() {
    let cases = [
        ("Nanocore RAT", "nanocore-rat"),
        ("  Agent Tesla!! ", "agent-tesla"),
        ("win.nanocore/../etc", "win-nanocore-etc"),
        ("Émotet", "émotet"),
        ("???", "family"),
        ("CON", "con-family"),
        ("com1", "com1-family"),
        ("command", "command"),
        (&"x".repeat(100), &"x".repeat(64)),
    ];
    for (text, expected) in cases {
        assert_eq!(slug(text), expected, "{text}");
    }
}

#[test]
fn one_document_per_family_then_the_unattributed() {
    let docs = documents(&[feed()]);
    let got: Vec<(&str, Option<&str>, usize)> = docs
        .iter()
        .map(|d| (d.name.as_str(), d.family.as_deref(), d.iocs))
        .collect();
    assert_eq!(
        got,
        [
            ("nanocore-rat", Some("Nanocore RAT"), 3),
            ("async-rat", Some("Async|RAT"), 1),
            // Another family by its text, whose slug is taken.
            ("nanocore-rat-2", Some("nanocore rat"), 1),
            ("tf-unattributed", None, 1),
        ]
    );
    // The same feed, the same names and bytes.
    assert_eq!(documents(&[feed()]), docs);
}

#[test]
fn documents_read_back_as_the_feed_wrote_them() {
    let feed = feed();
    for doc in documents(std::slice::from_ref(&feed)) {
        let path = format!("out/{}.txt", doc.name);
        let (rule, warnings) = parse_document(&doc.name, Path::new(&path), &doc.text).unwrap();
        assert!(warnings.is_empty(), "{}: {warnings:?}\n{}", doc.name, doc.text);
        assert_eq!(rule.family, doc.family, "{}", doc.name);
        assert_eq!(rule.declared_total, Some(doc.iocs));
        assert!(
            rule.title.as_deref().is_some_and(|t| t.starts_with("Feed tf: ")),
            "{:?}",
            rule.title
        );
        assert!(!rule.scenarios.is_empty(), "{}", doc.name);
        assert!(rule
            .scenarios
            .iter()
            .all(|s| s.description.is_some() && s.filter.is_some()));
        let expected: Vec<&FeedIndicator> = feed
            .indicators
            .iter()
            .filter(|i| i.family.as_deref() == doc.family.as_deref())
            .collect();
        assert_eq!(rule.indicators.len(), expected.len());
        for (row, indicator) in rule.indicators.to_indicators().iter().zip(expected) {
            assert_eq!(row.kind, indicator.kind.indicator_kind());
            assert_eq!(row.value, value_text(indicator));
            assert_eq!(row.id.as_deref(), indicator.id.as_deref());
            assert_eq!(row.reference, indicator.reference);
            assert_eq!(row.threat_type, indicator.threat_type);
            assert_eq!(row.first_seen, indicator.first_seen);
            assert_eq!(row.feed.as_deref(), Some("tf"));
            let confidence = indicator.confidence.map(|c| format!("{c}%"));
            assert_eq!(row.confidence.as_deref(), confidence.as_deref());
        }
        let (compiled, warnings) =
            crate::plan::compile_rule(&rule, 0).unwrap_or_else(|e| panic!("{}: {e}\n{}", doc.name, rule.query));
        assert!(warnings.is_empty(), "{}: {warnings:?}", doc.name);
        assert!(compiled.table.contains("DeviceNetworkEvents"), "{}", compiled.table);
    }
}

#[test]
fn the_query_has_the_feed_rules_predicates_over_let_lists() {
    let docs = documents(&[feed()]);
    let nanocore = &docs[0].text;
    for line in [
        "let sha256_hashes = dynamic([\"ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303\"]);",
        "let domains = dynamic([\"moocow.my\"]);",
        "let all_ip_addresses = dynamic([\"185.215.113.66\"]);",
        "    | where SHA256 in~ (sha256_hashes)",
        "    | where SHA256 in~ (sha256_hashes) or InitiatingProcessSHA256 in~ (sha256_hashes)",
        "    | where Name has_any (domains)",
        "    | where RemoteUrl has_any (domains_and_urls)",
        "    | where (RemoteIP == \"185.215.113.66\" and RemotePort == 4782)",
        "    | where DestinationIP in (all_ip_addresses) or SourceIP in (all_ip_addresses)",
        "| sha256_hash | ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303 | payload | 2026-06-20 09:12:44 | 95% | 1 | https://example.org/a\\|b | tf |",
        "| ip:port | 185.215.113.66:4782 | botnet_cc | 2026-05-26 14:02:11 |  | 3 |  | tf |",
        "| order by TimeGenerated desc",
    ] {
        assert!(nanocore.lines().any(|l| l == line), "no line `{line}` in:\n{nanocore}");
    }
    // Each let once, though two legs read the hash lists.
    assert_eq!(nanocore.matches("let sha256_hashes").count(), 1);
    // An `ip:port` IOC is a clause of its own: no list of addresses without a port.
    assert!(!nanocore.contains("let ip_addresses"));
    let bare = &docs[2].text;
    assert!(bare.contains("let ip_addresses = dynamic([\"10.1.2.3\"]);\n"), "{bare}");
    assert!(bare.contains("    | where RemoteIP in (ip_addresses)\n"), "{bare}");
    let unattributed = &docs[3].text;
    assert!(
        unattributed.contains("IOC Summary\nTotal IOCs: 1 IOC Types: url\n"),
        "{unattributed}"
    );
    assert!(unattributed.contains("let domains_and_urls = dynamic([\"www.mobile1.com/nc/Update.exe\"]);"));
}

/// A document's lookup finds, for a row of each leg, the indicator that the feed rule's lookup
/// finds for the same record.
#[test]
fn a_documents_lookup_agrees_with_the_feeds() {
    let feed = feed();
    let feed_lookups: HashMap<String, IocLookup> = feed_rules(&feed)
        .into_iter()
        .map(|r| (r.rule.id.trim_start_matches("tf.").to_string(), r.lookup))
        .collect();
    let docs = documents(std::slice::from_ref(&feed));
    let rules: Vec<Rule> = docs
        .iter()
        .map(|d| parse_document(&d.name, Path::new("x.txt"), &d.text).unwrap().0)
        .collect();
    let lookups: Vec<IocLookup> = rules.iter().map(|r| document_lookup(r).unwrap()).collect();
    // (hunt, row): each row is a record some leg of some document matches.
    let rows: &[(&str, &[(&str, &str)])] = &[
        (
            "file-hashes",
            &[(
                "SHA256",
                "ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303",
            )],
        ),
        (
            "process-hashes",
            &[(
                "InitiatingProcessSHA256",
                "EF0E9301403D58A4729AAA9CD81ABF942B1C8A301A651B1512BC2B5D9E599303",
            )],
        ),
        ("dns", &[("Name", "a.moocow.my")]),
        (
            "network-urls",
            &[("RemoteUrl", "https://www.mobile1.com/nc/Update.exe?x=1")],
        ),
        ("network-ips", &[("RemoteIP", "185.215.113.66"), ("RemotePort", "4782")]),
        ("network-ips", &[("RemoteIP", "2001:db8::1"), ("RemotePort", "8443")]),
        ("cef-ips", &[("SourceIP", "10.1.2.3")]),
    ];
    for (hunt, pairs) in rows {
        let value_of = |name: &str| {
            if name == HUNT_COLUMN {
                return Some(hunt.to_string());
            }
            pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
        };
        let expected = feed_lookups[*hunt]
            .find(&value_of)
            .unwrap_or_else(|| panic!("{hunt}: feed"));
        let found: Vec<&FeedIndicator> = lookups.iter().filter_map(|l| l.find(&value_of)).collect();
        assert_eq!(found.len(), 1, "{hunt}: {found:?}");
        let mut found = found[0].clone();
        // The only thing a document cannot keep: where in the feed the IOC was.
        found.location = expected.location.clone();
        found.tags = expected.tags.clone();
        assert_eq!(&found, expected, "{hunt}");
    }
    // A row of another hunt, or with no hunt, finds nothing.
    let other = |name: &str| (name == "Name").then(|| "moocow.my".to_string());
    assert!(lookups.iter().all(|l| l.find(&other).is_none()));
}

#[test]
fn seed_documents_have_no_lookup() {
    for seed in [
        include_str!("../../../rules/000_4a715f3ed2ee4353.txt"),
        include_str!("../../../rules/001_84b55028b3ede4ab.txt"),
    ] {
        let (rule, _) = parse_document("seed", Path::new("seed.txt"), seed).unwrap();
        assert!(document_lookup(&rule).is_none());
    }
}
