//! `loghunt explain`: the real binary over the seed rules and a ThreatFox feed. The JSON is
//! decoded into this file's own structs (a change of its shape fails here), and its figures are
//! checked against what the inputs hold: the seed document's hash list counted by digest
//! length, the feed's IOCs counted by kind.

mod binary;

use std::collections::BTreeMap;

use binary::{loghunt, repo, stderr, stdout};
use loghunt::rules::feeds::{load_feed, IocKind};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Explanation {
    rules: Vec<Rule>,
    prefilter: Vec<PrefilterColumn>,
    sets_memory_bytes: usize,
    prefilter_memory_bytes: usize,
    whole_rows: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Rule {
    id: String,
    tables: Vec<String>,
    compiler: String,
    pipelines: Vec<Pipeline>,
    after_scan: Vec<String>,
    sets_memory_bytes: usize,
    holds: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Pipeline {
    table: String,
    columns: Option<Vec<String>>,
    sets: Vec<Set>,
    prefilter: Option<Vec<String>>,
    no_prefilter_because: Option<String>,
    workers: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Set {
    column: String,
    operator: String,
    set: usize,
    values: usize,
    kinds: Option<Kinds>,
    memory_bytes: usize,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Kinds {
    md5: usize,
    sha1: usize,
    sha256: usize,
    other: usize,
}

#[derive(Debug, Deserialize)]
struct PrefilterColumn {
    column: String,
    matchers: Vec<String>,
}

fn explain_json(args: &[&str]) -> Explanation {
    let mut all = vec!["explain", "--format", "json"];
    all.extend_from_slice(args);
    let output = loghunt(&all);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&output)))
}

fn rule<'a>(explanation: &'a Explanation, id: &str) -> &'a Rule {
    explanation
        .rules
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no rule {id}"))
}

/// The values of the seed document's `let` list, by length: (MD5, SHA-1, SHA-256).
fn seed_hashes_by_length() -> (usize, usize, usize) {
    let text = std::fs::read_to_string(repo().join("rules/000_4a715f3ed2ee4353.txt")).unwrap();
    let line = text.lines().find(|l| l.starts_with("let malicious_hashes")).unwrap();
    let values: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
    let of = |n: usize| values.iter().filter(|v| v.len() == n).count();
    (of(32), of(40), of(64))
}

#[test]
fn the_seed_rules_are_explained_with_their_real_figures() {
    let explanation = explain_json(&["rules/"]);
    assert_eq!(explanation.rules.len(), 2);

    let hashes = rule(&explanation, "000_4a715f3ed2ee4353");
    assert_eq!(
        (hashes.compiler.as_str(), &hashes.tables[..]),
        ("seed", &["DeviceFileEvents".to_string()][..])
    );
    let pipeline = &hashes.pipelines[0];
    assert_eq!(pipeline.table, "DeviceFileEvents");
    // `where` reads the three hash columns, `project` six columns.
    let mut columns = pipeline.columns.clone().expect("narrowed by the project");
    columns.sort();
    assert_eq!(
        columns,
        [
            "DeviceName",
            "FileName",
            "FolderPath",
            "InitiatingProcessFileName",
            "MD5",
            "SHA1",
            "SHA256",
            "Timestamp"
        ]
    );
    // One list, used by three columns, is one set: its digests kept by length.
    let (md5, sha1, sha256) = seed_hashes_by_length();
    assert_eq!((md5, sha1, sha256), (6, 6, 6));
    let uses: Vec<(&str, &str, usize, usize)> = pipeline
        .sets
        .iter()
        .map(|s| (s.column.as_str(), s.operator.as_str(), s.set, s.values))
        .collect();
    let total = md5 + sha1 + sha256;
    assert_eq!(
        uses,
        [
            ("SHA256", "in", 1, total),
            ("SHA1", "in", 1, total),
            ("MD5", "in", 1, total)
        ]
    );
    let kinds = Kinds {
        md5,
        sha1,
        sha256,
        other: 0,
    };
    assert!(pipeline.sets.iter().all(|s| s.kinds.as_ref() == Some(&kinds)));
    assert!(pipeline.sets[0].memory_bytes > 0 && pipeline.sets[1].memory_bytes == 0);
    assert_eq!(hashes.sets_memory_bytes, pipeline.sets[0].memory_bytes);
    let test = |column: &str| format!("{column} in ({total} values)");
    assert_eq!(
        pipeline.prefilter,
        Some(vec![test("SHA256"), test("SHA1"), test("MD5")])
    );
    assert_eq!(pipeline.no_prefilter_because, None);
    assert_eq!(pipeline.workers.len(), 2);
    assert!(pipeline.workers[1].starts_with("project Timestamp, DeviceName, FileName"));
    assert_eq!(hashes.after_scan, ["order by Timestamp desc"]);
    assert!(hashes.holds[0].contains("result rows (6 column(s) each)"));

    let domains = rule(&explanation, "001_84b55028b3ede4ab");
    let pipeline = &domains.pipelines[0];
    let set = &pipeline.sets[0];
    assert_eq!(
        (set.column.as_str(), set.operator.as_str(), set.values),
        ("Name", "has_any", 4)
    );
    assert_eq!(set.kinds, None);
    assert_eq!(pipeline.prefilter, Some(vec!["Name has_any (4 terms)".to_string()]));
    assert_eq!(domains.after_scan, ["order by TimeGenerated desc"]);

    let columns: Vec<&str> = explanation.prefilter.iter().map(|c| c.column.as_str()).collect();
    assert_eq!(columns, ["SHA256", "SHA1", "MD5", "Name"]);
    assert_eq!(
        explanation.sets_memory_bytes,
        hashes.sets_memory_bytes + domains.sets_memory_bytes
    );
    // Nothing to merge: each column is tested by one rule.
    assert_eq!(explanation.prefilter_memory_bytes, 0);
    // Both project: a record is parsed for the named columns only.
    assert!(explanation.whole_rows.is_empty());
}

#[test]
fn the_text_says_the_same_for_people() {
    let output = loghunt(&["explain", "rules/"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    for line in [
        "rule 000_4a715f3ed2ee4353: ThreatFox: Nanocore RAT IOCs",
        "    set #1 SHA256 in: 18 values: 6 MD5, 6 SHA-1, 6 SHA-256 digests (sorted bytes), 0 other (a hash table), ≈ ",
        "    set #1 SHA1 in: the same set as above",
        "    prefilter: SHA256 in (18 values) | SHA1 in (18 values) | MD5 in (18 values)",
        "      where SHA256 in (18 values) or SHA1 in (18 values) or MD5 in (18 values)",
        "    set #1 Name has_any: 4 terms in one Aho-Corasick automaton, ≈ ",
        "  after the scan:\n    order by TimeGenerated desc",
        "memory: 2 rule(s), IOC sets and automata ≈ ",
    ] {
        assert!(text.contains(line), "no `{line}` in:\n{text}");
    }
}

#[test]
fn a_feed_is_explained_as_scan_iocs_hunts_it() {
    let path = "tests/fixtures/feeds/threatfox.csv";
    let feed = load_feed(&repo().join(path)).unwrap();
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for indicator in &feed.indicators {
        let kind = match indicator.kind {
            IocKind::Md5 => "md5",
            IocKind::Sha1 => "sha1",
            IocKind::Sha256 => "sha256",
            IocKind::Domain => "domain",
            IocKind::Url => "url",
            IocKind::Ip { .. } => "ip",
        };
        *by_kind.entry(kind).or_default() += 1;
    }
    let explanation = explain_json(&["--iocs", path]);
    let ids: Vec<&str> = explanation.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "threatfox.file-hashes",
            "threatfox.process-hashes",
            "threatfox.dns",
            "threatfox.network-urls",
            "threatfox.network-ips",
            "threatfox.cef-ips"
        ]
    );

    // Hashes: `in~` per column, each column's set holding the feed's hashes of its length.
    let files = &rule(&explanation, "threatfox.file-hashes").pipelines[0];
    assert_eq!(files.table, "DeviceFileEvents");
    for (column, kinds) in [
        (
            "SHA256",
            Kinds {
                md5: 0,
                sha1: 0,
                sha256: by_kind["sha256"],
                other: 0,
            },
        ),
        (
            "SHA1",
            Kinds {
                md5: 0,
                sha1: by_kind["sha1"],
                sha256: 0,
                other: 0,
            },
        ),
        (
            "MD5",
            Kinds {
                md5: by_kind["md5"],
                sha1: 0,
                sha256: 0,
                other: 0,
            },
        ),
    ] {
        let set = files.sets.iter().find(|s| s.column == column).unwrap();
        assert_eq!(set.operator, "in~");
        assert_eq!(set.kinds.as_ref(), Some(&kinds), "{column}");
    }
    let process = &rule(&explanation, "threatfox.process-hashes").pipelines[0];
    let columns: Vec<&str> = process.sets.iter().map(|s| s.column.as_str()).collect();
    assert_eq!(
        columns,
        [
            "SHA256",
            "SHA1",
            "MD5",
            "InitiatingProcessSHA256",
            "InitiatingProcessSHA1",
            "InitiatingProcessMD5"
        ]
    );

    // Domains with `has_any` on DnsEvents.Name; the URL's host and the domain on RemoteUrl.
    let dns = &rule(&explanation, "threatfox.dns").pipelines[0];
    assert_eq!((dns.table.as_str(), dns.sets[0].column.as_str()), ("DnsEvents", "Name"));
    assert_eq!(dns.sets[0].values, by_kind["domain"]);
    let urls = &rule(&explanation, "threatfox.network-urls").pipelines[0];
    assert_eq!(urls.sets[0].values, by_kind["domain"] + by_kind["url"]);
    assert_eq!(urls.sets[0].operator, "has_any");

    // The ip:port IOC: the IP from a set, the port compared on the workers.
    let ips = &rule(&explanation, "threatfox.network-ips").pipelines[0];
    assert_eq!(ips.workers, ["where RemoteIP in (1 value) and RemotePort == 4782"]);
    assert_eq!(ips.prefilter, Some(vec!["RemoteIP in (1 value)".to_string()]));

    // The two hash rules share the SHA256/SHA1/MD5 columns: the prefilter merges their sets.
    let sha256 = explanation.prefilter.iter().find(|c| c.column == "SHA256").unwrap();
    assert_eq!(sha256.matchers.len(), 1);
    assert!(
        sha256.matchers[0].starts_with(&format!(
            "one hash index of {} merged from 2 sets of 2 rule(s)",
            if by_kind["sha256"] == 1 {
                "1 value".to_string()
            } else {
                format!("{} values", by_kind["sha256"])
            }
        )),
        "{:?}",
        sha256.matchers
    );
    assert!(explanation.prefilter_memory_bytes > 0);
    // Feed rules keep every column of their tables.
    assert_eq!(explanation.whole_rows, ids);
}

#[test]
fn bad_arguments_are_refused() {
    let none = loghunt(&["explain"]);
    assert_eq!(none.status.code(), Some(2));
    let missing = loghunt(&["explain", "no/such/rules"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("no/such/rules"), "{}", stderr(&missing));
}

/// `--queries` prints the KQL each rule runs: a feed's generated queries, each IOC in it, and a
/// document's query exactly as written.
#[test]
fn queries_are_printed_as_they_will_run() {
    let output = loghunt(&[
        "explain",
        "--queries",
        "--iocs",
        "tests/fixtures/feeds/threatfox.csv",
        "rules/000_4a715f3ed2ee4353.txt",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let feed = load_feed(&repo().join("tests/fixtures/feeds/threatfox.csv")).unwrap();
    let hashes = feed.indicators.iter().filter(|i| i.kind.hash_length().is_some());
    for hash in hashes {
        assert!(
            text.contains(&format!("\"{}\"", hash.value)),
            "{} missing:\n{text}",
            hash.value
        );
    }
    assert!(text.contains("query of rule threatfox.dns (tests/fixtures/feeds/threatfox.csv):\n    DnsEvents\n"));
    let document = std::fs::read_to_string(repo().join("rules/000_4a715f3ed2ee4353.txt")).unwrap();
    assert!(text.contains("    | where SHA256 in (malicious_hashes) or SHA1 in (malicious_hashes)"));
    assert!(document.contains("| where SHA256 in (malicious_hashes) or SHA1 in (malicious_hashes)"));
    // The plan follows the queries; without the flag there are none.
    assert!(text.find("query of rule").unwrap() < text.find("\nrule ").unwrap());
    let plain = stdout(&loghunt(&["explain", "rules/"]));
    assert!(!plain.contains("query of rule"));
    let json: serde_json::Value = serde_json::from_str(&stdout(&loghunt(&[
        "explain",
        "--queries",
        "--format",
        "json",
        "rules/",
    ])))
    .unwrap();
    assert_eq!(json["queries"].as_array().map(Vec::len), Some(2));
    assert!(json["queries"][0]["query"]
        .as_str()
        .unwrap()
        .contains("DeviceFileEvents"));
}
