//! `--threat-intel FEED`: feeds read as Sentinel's `ThreatIntelligenceIndicator` and
//! `ThreatIntelIndicators` tables, through the real binary. Microsoft's own "TI map" analytics
//! rules (`tests/fixtures/ti-rules/`, both the legacy-table and the STIX-table versions) run
//! unchanged over `tests/fixtures/ti-logs/` with the feeds of `tests/fixtures/ti-feeds/`, and
//! return exactly the rows of the golden file (rewritten with `LOGHUNT_BLESS=1`); each rule's
//! near misses — an expired or `State: inactive` indicator, a revoked one, a domain that only
//! contains the IOC, an upper-case hash, a failed or private connection, an event outside the
//! rule's hour — are checked by name.

mod binary;

use std::collections::BTreeSet;
use std::process::Output;

use binary::{loghunt, repo, stderr, stdout, NOW};
use serde_json::Value;

const RULES: &str = "tests/fixtures/ti-rules/sentinel";
const LOGS: &str = "tests/fixtures/ti-logs";
const STIX_FEED: &str = "tests/fixtures/ti-feeds/partner-stix.json";
const THREATFOX_FEED: &str = "tests/fixtures/ti-feeds/threatfox-recent.csv";

/// The rules over the logs with both feeds, as JSON lines; `extra` flags at the end.
fn run_rules(extra: &[&str]) -> Output {
    let mut args = vec![
        "scan",
        "--rules",
        RULES,
        LOGS,
        "--threat-intel",
        STIX_FEED,
        "--threat-intel",
        THREATFOX_FEED,
        "--now",
        NOW,
        "--format",
        "jsonl",
        "-q",
    ];
    args.extend_from_slice(extra);
    loghunt(&args)
}

fn json_lines(output: &Output) -> Vec<Value> {
    stdout(output)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// The values of `column` in the rows of `rule`, as text.
fn values(lines: &[Value], rule: &str, column: &str) -> BTreeSet<String> {
    lines
        .iter()
        .filter(|l| l["rule"] == rule)
        .map(|l| match &l["row"][column] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn microsofts_ti_map_rules_return_exactly_their_rows() {
    let output = run_rules(&["-j", "1"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let lines = json_lines(&output);
    // (rule, column, the values its rows have): every value a near miss would add is absent.
    let cases: &[(&str, &str, &[&str])] = &[
        // www.moocow.my and cdn.update-check.ru only contain an IOC; MOOCOW.MY differs in case
        // (the join is case-sensitive); expired.example.net expired on 2026-06-10;
        // revoked.example.org is revoked (not loaded); the spapro.co.com query at 20:00 is
        // outside the rule's hour. moocow.my was asked twice: the latest, from dc02, is kept.
        (
            "DomainEntity_DnsEvents",
            "ClientIP",
            &["10.0.0.6", "10.0.0.10", "10.0.0.13"],
        ),
        (
            "DomainEntity_DnsEvents_legacy",
            "Name",
            &["moocow.my", "spapro.co.com", "update-check.ru"],
        ),
        (
            "DomainEntity_DnsEvents_legacy",
            "DNS_TimeGenerated",
            &["2026-06-20T23:40:00Z", "2026-06-20T23:30:00Z", "2026-06-20T23:33:00Z"],
        ),
        // dev-c has the SHA-256 in upper case, dev-e only the MD5 (the rules read SHA1 and
        // SHA256), dev-f a `State: inactive;` indicator, dev-g an expired one, dev-h is out of
        // the hour.
        (
            "FileHashEntity_DeviceFileEvents_Updated",
            "DeviceId",
            &["dev-a", "dev-b", "dev-d"],
        ),
        (
            "FileHashEntity_DeviceFileEvents_Updated",
            "FileHashType",
            &["SHA-256", "SHA-1"],
        ),
        (
            "FileHashEntity_DeviceFileEvents_legacy",
            "DeviceId",
            &["dev-a", "dev-b", "dev-d"],
        ),
        (
            "FileHashEntity_DeviceFileEvents_legacy",
            "FileHashType",
            &["SHA256", "SHA1"],
        ),
        // dev-b's connection failed, dev-c's is out of the hour, dev-d's is to a private
        // address, dev-f's is to a neighbouring address.
        (
            "IPEntity_DeviceNetworkEvents_Updated",
            "DeviceName",
            &["wks-a.contoso.local", "wks-e.contoso.local"],
        ),
        (
            "IPEntity_DeviceNetworkEvents_Updated",
            "TI_ipEntity",
            &["185.215.113.66", "45.9.148.108"],
        ),
        (
            "IPEntity_DeviceNetworkEvents_legacy",
            "DeviceName",
            &["wks-a.contoso.local", "wks-e.contoso.local"],
        ),
        ("IPEntity_DeviceNetworkEvents_legacy", "Name", &["alice", "bob"]),
    ];
    for (rule, column, expected) in cases {
        assert_eq!(&values(&lines, rule, column), &set(expected), "{rule}: {column}");
    }
    for rule in [
        "DomainEntity_DnsEvents",
        "DomainEntity_DnsEvents_legacy",
        "FileHashEntity_DeviceFileEvents_Updated",
        "FileHashEntity_DeviceFileEvents_legacy",
    ] {
        assert_eq!(lines.iter().filter(|l| l["rule"] == rule).count(), 3, "{rule}");
    }
    // The title is the YAML's `name`.
    let titles = lines
        .iter()
        .filter(|l| l["rule"] == "IPEntity_DeviceNetworkEvents_legacy")
        .map(|l| l["title"].as_str().unwrap_or_default());
    assert!(titles
        .into_iter()
        .all(|t| t == "TI Map IP Entity to DeviceNetworkEvents"));

    let actual = stdout(&output);
    let path = repo().join("tests/golden/threat-intel.jsonl");
    if std::env::var_os("LOGHUNT_BLESS").is_some() {
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing: run with LOGHUNT_BLESS=1", path.display()));
    assert!(expected == actual, "output differs from {}", path.display());
}

/// The feeds' rows go through the same scan as the logs': every thread count and the path
/// without the prefilter give the same bytes.
#[test]
fn threads_and_the_prefilter_change_nothing() {
    let reference = stdout(&run_rules(&["-j", "1"]));
    for extra in [
        &["-j", "3"][..],
        &["-j", "2", "--no-prefilter"],
        &["--chunk-size", "512"],
    ] {
        assert_eq!(stdout(&run_rules(extra)), reference, "{extra:?}");
    }
}

/// With no logs at all, a query reads the tables alone; the summary counts the feed as an
/// input with the records of both tables.
#[test]
fn the_tables_can_be_queried_alone() {
    let output = loghunt(&[
        "query",
        "ThreatIntelIndicators | summarize n = count() by ObservableKey | order by ObservableKey asc",
        "--threat-intel",
        STIX_FEED,
        "--now",
        NOW,
        "--format",
        "csv",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "rule,ObservableKey,n\r\n\
         query,domain-name:value,3\r\n\
         query,file:hashes.'SHA-1',1\r\n\
         query,file:hashes.'SHA-256',3\r\n\
         query,file:hashes.MD5,1\r\n\
         query,ipv4-addr:value,2\r\n"
    );
    let summary = stderr(&output);
    for expected in [
        "1 files",
        "records: 20 read",
        "ThreatIntelIndicators: 10 records (scanned)",
        "ThreatIntelligenceIndicator: 10 records (skipped: no rule reads this table)",
    ] {
        assert!(summary.contains(expected), "{expected}: {summary}");
    }
}

/// A row of a table keeps where its IOC is: the feed's path, and its line in a line-based feed
/// (0 in a JSON feed, whose objects have a path instead). `--table` is for the logs: the feed's
/// rows keep their own tables.
#[test]
fn rows_keep_their_feed_and_line_and_table() {
    let output = loghunt(&[
        "query",
        "ThreatIntelligenceIndicator | project NetworkIP, NetworkPort, DomainName, SourceSystem, TimeGenerated",
        "tests/fixtures/ti-logs/DnsEvents.jsonl",
        "--table",
        "DnsEvents",
        "--threat-intel",
        THREATFOX_FEED,
        "--now",
        NOW,
        "--format",
        "jsonl",
        "-q",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let lines = json_lines(&output);
    let rows: Vec<(String, u64, String)> = lines
        .iter()
        .map(|l| {
            (
                l["file"].as_str().unwrap().to_string(),
                l["line"].as_u64().unwrap(),
                l["row"].to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                THREATFOX_FEED.to_string(),
                7,
                r#"{"NetworkIP":"45.9.148.108","NetworkPort":4782,"DomainName":"","SourceSystem":"threatfox-recent","TimeGenerated":"2026-06-21T00:00:00Z"}"#.to_string()
            ),
            (
                THREATFOX_FEED.to_string(),
                8,
                r#"{"NetworkIP":"","NetworkPort":null,"DomainName":"update-check.ru","SourceSystem":"threatfox-recent","TimeGenerated":"2026-06-21T00:00:00Z"}"#.to_string()
            ),
        ]
    );
    let output = loghunt(&[
        "query",
        "ThreatIntelIndicators | where ObservableValue == 'moocow.my' | project Id",
        "--threat-intel",
        STIX_FEED,
        "--now",
        NOW,
        "--format",
        "jsonl",
        "-q",
    ]);
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 1, "{}", stderr(&output));
    assert_eq!(lines[0]["file"], STIX_FEED);
    assert_eq!(lines[0]["line"], 0);
}

/// A feed that cannot be used stops the run before the scan, naming it; a time the tables
/// cannot read is a warning naming the feed and the object, and the rest still loads.
#[test]
fn bad_feeds_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let empty = binary::write(dir.path(), "empty.txt", "# nothing here\n");
    let bad_time = binary::write(
        dir.path(),
        "bad-time.json",
        r#"{"type":"bundle","id":"bundle--1","objects":[
            {"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
             "pattern":"[domain-name:value = 'moocow.my']","pattern_type":"stix",
             "valid_until":"when the campaign ends"}]}"#,
    );
    let missing = dir.path().join("missing.csv");
    let cases: Vec<(String, Option<i32>, String)> = vec![
        (
            empty.display().to_string(),
            Some(2),
            format!("--threat-intel {}: no usable IOC in the feed (plain text)", empty.display()),
        ),
        (
            missing.display().to_string(),
            Some(2),
            format!("--threat-intel {}: cannot read feed", missing.display()),
        ),
        (
            bad_time.display().to_string(),
            Some(1),
            format!(
                "{}: objects[0] (indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f): valid until `when the campaign ends` is not a datetime",
                bad_time.display()
            ),
        ),
    ];
    for (feed, code, message) in cases {
        let output = loghunt(&[
            "query",
            "ThreatIntelligenceIndicator | project DomainName, ExpirationDateTime",
            "--threat-intel",
            &feed,
            "--now",
            NOW,
            "-q",
        ]);
        assert_eq!(output.status.code(), code, "{feed}: {}", stderr(&output));
        assert!(stderr(&output).contains(&message), "{feed}: {}", stderr(&output));
    }
}
