//! `loghunt scan --iocs FEED`: every feed fixture scanned over `sample-logs/` by the real
//! binary — exit code, hits per rule, and the `ioc` of a hit field by field; bad feeds warn
//! with file:line and still scan their good IOCs; a feed with nothing to hunt is an error. The
//! golden file is rewritten with `LOGHUNT_BLESS=1`.

mod binary;

use std::process::Output;

use binary::{loghunt, repo, NOW};
use serde_json::{json, Value};

/// Scans `sample-logs/` (or `logs`) with one feed as JSON lines.
fn scan(feed: &str, logs: &str) -> (Output, Vec<Value>) {
    let path = format!("tests/fixtures/feeds/{feed}");
    let output = loghunt(&[
        "scan", "--iocs", &path, logs, "--now", NOW, "--format", "jsonl", "-q", "-j", "1",
    ]);
    let lines = String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (output, lines)
}

fn count(lines: &[Value], rule: &str) -> usize {
    lines.iter().filter(|l| l["rule"] == rule).count()
}

/// The `ioc` of the first line of `rule` whose row has `key` = `value`.
fn ioc_of<'a>(lines: &'a [Value], rule: &str, key: &str, value: &str) -> &'a Value {
    let line = lines
        .iter()
        .find(|l| l["rule"] == rule && l["row"][key] == value)
        .unwrap_or_else(|| panic!("no line of {rule} with {key} = {value}"));
    &line["ioc"]
}

#[test]
fn every_feed_format_finds_its_hits_with_their_ioc() {
    let sha256 = "ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303";
    // (feed, [(rule, hits)], (rule, DeviceId or ClientIP, expected ioc))
    type Case = (
        &'static str,
        &'static [(&'static str, usize)],
        (&'static str, &'static str, Value),
    );
    let cases: Vec<Case> = vec![
        (
            "threatfox.csv",
            &[("threatfox.file-hashes", 5), ("threatfox.dns", 4)],
            (
                "threatfox.file-hashes",
                "hit-md5",
                json!({"feed": "threatfox", "id": "1530002", "value": "93e61d5a877bbb937e885d3ca385ac8a",
                       "kind": "md5", "family": "Nanocore RAT", "threat_type": "payload", "confidence": 95,
                       "first_seen": "2026-06-20 09:12:44", "reference": null}),
            ),
        ),
        (
            "threatfox.json",
            &[("threatfox.file-hashes", 1), ("threatfox.dns", 5)],
            (
                "threatfox.dns",
                "hit-subdomain",
                json!({"feed": "threatfox", "id": "1530101", "value": "spapro.co.com", "kind": "domain",
                       "family": "Nanocore RAT", "threat_type": "botnet_cc", "confidence": 75,
                       "first_seen": "2026-05-26 14:02:11", "reference": null}),
            ),
        ),
        (
            "malwarebazaar.csv",
            &[("malwarebazaar.file-hashes", 3)],
            (
                "malwarebazaar.file-hashes",
                "hit-sha1-with-null-sha256",
                json!({"feed": "malwarebazaar",
                       "id": "2e16f46c063ff79af0b312364375706e98674b5869a4c9bb9f96a14b77277c5b",
                       "value": "4ccba704170269b7c7ca1ecafe2ed57fd11dcba8", "kind": "sha1", "family": "NanoCore",
                       "threat_type": null, "confidence": null, "first_seen": "2026-06-20 07:41:09",
                       "reference": "https://bazaar.abuse.ch/sample/2e16f46c063ff79af0b312364375706e98674b5869a4c9bb9f96a14b77277c5b/"}),
            ),
        ),
        (
            "misp-event.json",
            &[("misp-event.file-hashes", 3), ("misp-event.dns", 2)],
            (
                "misp-event.file-hashes",
                "hit-sha1-with-null-sha256",
                json!({"feed": "misp-event", "id": "a1f0c3c2-0009-4d7e-9a1b-000000000009",
                       "value": "4ccba704170269b7c7ca1ecafe2ed57fd11dcba8", "kind": "sha1", "family": "NanoCore",
                       "threat_type": "Payload delivery", "confidence": null, "first_seen": "2026-06-20",
                       "reference": "https://example.org/blog/nanocore-finance-2026"}),
            ),
        ),
        (
            "stix-bundle.json",
            &[("stix-bundle.file-hashes", 4), ("stix-bundle.dns", 9)],
            (
                "stix-bundle.file-hashes",
                "hit-sha256",
                json!({"feed": "stix-bundle", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                       "value": sha256, "kind": "sha256", "family": "Nanocore RAT",
                       "threat_type": "malicious-activity", "confidence": 90, "first_seen": "2026-06-20T09:12:44Z",
                       "reference": "https://threatfox.abuse.ch/ioc/1530001/"}),
            ),
        ),
        (
            "iocs.txt",
            &[("iocs.file-hashes", 5), ("iocs.dns", 6)],
            (
                "iocs.dns",
                "hit-www-shbet",
                json!({"feed": "iocs", "id": null, "value": "www.shbet.id", "kind": "domain", "family": null,
                       "threat_type": null, "confidence": null, "first_seen": null, "reference": null}),
            ),
        ),
    ];
    for (feed, counts, (rule, device, expected)) in cases {
        let (output, lines) = scan(feed, "sample-logs");
        assert_eq!(
            output.status.code(),
            Some(1),
            "{feed}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let total: usize = counts.iter().map(|(_, n)| n).sum();
        assert_eq!(lines.len(), total, "{feed}: hits");
        for (rule, n) in counts {
            assert_eq!(count(&lines, rule), *n, "{feed}: hits of {rule}");
        }
        let key = if rule.ends_with(".dns") { "ClientIP" } else { "DeviceId" };
        let ioc = ioc_of(&lines, rule, key, device);
        for field in [
            "feed",
            "id",
            "value",
            "kind",
            "family",
            "threat_type",
            "confidence",
            "first_seen",
            "reference",
        ] {
            assert_eq!(ioc[field], expected[field], "{feed}: ioc.{field} of {device}");
        }
        assert_eq!(ioc.as_object().unwrap().len(), 9, "{feed}: ioc keys");
        // Every line of a feed rule has its indicator, with the rows whole.
        assert!(
            lines.iter().all(|l| l["ioc"]["feed"].is_string()),
            "{feed}: every hit has an ioc"
        );
    }
}

#[test]
fn urls_and_ips_match_network_events() {
    let (output, lines) = scan("urlhaus.csv", "tests/fixtures/iocs-logs");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(lines.len(), 1);
    let ioc = ioc_of(&lines, "urlhaus.network-urls", "DeviceId", "net-url");
    assert_eq!(ioc["value"], "http://www.mobile1.com/nc/Update.exe");
    assert_eq!(ioc["kind"], "url");
    assert_eq!(ioc["id"], "3401001");
    assert_eq!(ioc["threat_type"], "malware_download");
    // An `ip:port` IOC matches the address on that port only.
    let (output, lines) = scan("threatfox.json", "tests/fixtures/iocs-logs");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(count(&lines, "threatfox.network-ips"), 1);
    let ioc = ioc_of(&lines, "threatfox.network-ips", "DeviceId", "net-ipport");
    assert_eq!(ioc["value"], "91.92.240.18:1604");
    assert_eq!(ioc["kind"], "ip:port");
    assert_eq!(ioc["family"], "AsyncRAT");
}

/// Each bad feed of the issue through the binary: a truncated JSON feed, an unknown
/// `ioc_type`, STIX patterns outside the supported subset, hashes of the wrong length. Each bad
/// row or object is a warning naming the file and the line or object, and the good IOCs still
/// scan (hits per rule).
#[test]
fn a_bad_feed_warns_with_file_and_line_and_scans_its_good_iocs() {
    // (feed, logs, where each warning points (after `file:` or `file: `), hits per rule)
    type Case = (
        &'static str,
        &'static str,
        &'static [&'static str],
        &'static [(&'static str, usize)],
    );
    let cases: &[Case] = &[
        (
            "bad-threatfox-truncated.json",
            "sample-logs",
            &[
                "42: the JSON ends early",
                " data[2]: the feed is cut off inside this IOC",
            ],
            &[
                ("bad-threatfox-truncated.file-hashes", 1),
                ("bad-threatfox-truncated.dns", 2),
            ],
        ),
        (
            "bad-threatfox-rows.csv",
            "sample-logs",
            &[
                "7: unknown ioc_type `sha3_384_hash`",
                "8: sha256 hash `ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e59930` has 63 hex digits",
                "9: confidence `high`",
                "10: the row has 5 fields",
                "11: `d` after a quoted field",
            ],
            &[("bad-threatfox-rows.file-hashes", 1), ("bad-threatfox-rows.dns", 5)],
        ),
        (
            "bad-stix-unsupported.json",
            "tests/fixtures/iocs-logs",
            &[
                " objects[1] (indicator--22222222-2222-4222-8222-222222222222): pattern ",
                " objects[2] (indicator--33333333-3333-4333-8333-333333333333): pattern ",
                " objects[3] (indicator--44444444-4444-4444-8444-444444444444): pattern_type `sigma`",
                " objects[4] (indicator--55555555-5555-4555-8555-555555555555): sha256 hash ",
            ],
            &[("bad-stix-unsupported.network-urls", 1)],
        ),
        (
            "bad-iocs.txt",
            "sample-logs",
            &[
                "3: `93e61d5a877bbb937e885d3ca385ac8` looks like a hash but has 31 hex digits",
                "4: `not an ioc at all` is more than one value",
                "6: cannot tell what kind of IOC `localhost` is",
            ],
            &[("bad-iocs.file-hashes", 1), ("bad-iocs.dns", 4)],
        ),
    ];
    for (feed, logs, warnings, counts) in cases {
        let (output, lines) = scan(feed, logs);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{feed}: {stderr}");
        for warning in *warnings {
            let at = format!("loghunt: warning: tests/fixtures/feeds/{feed}:{warning}");
            assert!(stderr.contains(&at), "{feed}: no `{at}` in:\n{stderr}");
        }
        let warned = stderr.matches("loghunt: warning: ").count();
        assert_eq!(warned, warnings.len(), "{feed}: warnings:\n{stderr}");
        let total: usize = counts.iter().map(|(_, n)| n).sum();
        assert_eq!(lines.len(), total, "{feed}: hits");
        for (rule, n) in *counts {
            assert_eq!(count(&lines, rule), *n, "{feed}: hits of {rule}");
        }
    }
    // A row kept without its confidence, which it wrote as `high`.
    let (_, lines) = scan("bad-threatfox-rows.csv", "sample-logs");
    let ioc = ioc_of(&lines, "bad-threatfox-rows.dns", "ClientIP", "hit-exact");
    assert_eq!(ioc["id"], "1530304");
    assert_eq!(ioc["confidence"], Value::Null);
}

#[test]
fn a_feed_with_no_usable_ioc_is_an_error() {
    let dir = std::env::temp_dir().join(format!("loghunt-iocs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let feed = dir.join("nothing.txt");
    std::fs::write(&feed, "# nothing here\nlocalhost\nnot an ioc\n").unwrap();
    let output = loghunt(&[
        "scan",
        "--iocs",
        feed.to_str().unwrap(),
        "sample-logs",
        "--now",
        NOW,
        "-q",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("nothing.txt: no usable IOC in the feed"), "{stderr}");
    assert!(stderr.contains("nothing.txt:2: "), "{stderr}");
    assert!(output.stdout.is_empty());

    let empty = dir.join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let output = loghunt(&["scan", "--iocs", empty.to_str().unwrap(), "sample-logs", "-q"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("empty.txt: the feed is empty"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn rules_or_iocs_is_required_and_both_run_together() {
    let output = loghunt(&["scan", "sample-logs"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--rules"));

    let output = loghunt(&[
        "scan",
        "--rules",
        "rules",
        "--iocs",
        "tests/fixtures/feeds/malwarebazaar.csv",
        "sample-logs",
        "--now",
        NOW,
        "--format",
        "csv",
        "-q",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let header = stdout.lines().next().unwrap();
    assert!(
        header.ends_with(",ioc_feed,ioc_id,ioc_family,ioc_threat_type,ioc_confidence"),
        "{header}"
    );
    let feed_row = stdout
        .lines()
        .find(|l| l.starts_with("malwarebazaar.file-hashes,"))
        .unwrap();
    assert!(
        feed_row
            .ends_with(",malwarebazaar,2e16f46c063ff79af0b312364375706e98674b5869a4c9bb9f96a14b77277c5b,NanoCore,,"),
        "{feed_row}"
    );
    // A rule document's rows leave the ioc columns empty.
    let rule_row = stdout.lines().nth(1).unwrap();
    assert!(!rule_row.starts_with("malwarebazaar."), "{rule_row}");
    assert!(rule_row.ends_with(",,,,,"), "{rule_row}");
}

/// Every fixture feed's hits over both log fixtures, as JSON lines, against its golden file
/// (`LOGHUNT_BLESS=1` rewrites them): any change of a hit, its row or its `ioc` shows.
#[test]
fn golden_jsonl_of_every_feed() {
    let cases = [
        ("threatfox.csv", "iocs-threatfox.jsonl"),
        ("threatfox.json", "iocs-threatfox-json.jsonl"),
        ("malwarebazaar.csv", "iocs-malwarebazaar.jsonl"),
        ("urlhaus.csv", "iocs-urlhaus.jsonl"),
        ("misp-event.json", "iocs-misp-event.jsonl"),
        ("stix-bundle.json", "iocs-stix-bundle.jsonl"),
        ("iocs.txt", "iocs-text.jsonl"),
    ];
    let bless = std::env::var_os("LOGHUNT_BLESS").is_some();
    for (feed, golden) in cases {
        let path = format!("tests/fixtures/feeds/{feed}");
        let output = loghunt(&[
            "scan",
            "--iocs",
            &path,
            "sample-logs",
            "tests/fixtures/iocs-logs",
            "--now",
            NOW,
            "--format",
            "jsonl",
            "-q",
            "-j",
            "1",
        ]);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{feed}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let actual = String::from_utf8(output.stdout).unwrap();
        let golden = repo().join("tests/golden").join(golden);
        if bless {
            std::fs::write(&golden, &actual).unwrap();
        }
        let expected = std::fs::read_to_string(&golden)
            .unwrap_or_else(|_| panic!("{} is missing: run with LOGHUNT_BLESS=1", golden.display()));
        assert!(expected == actual, "{feed}: output differs from {}", golden.display());
    }
}

/// `--format table` ends the rows of a feed rule with their indicator (what CSV's `ioc_*`
/// columns hold); a rule document's table has no such column.
#[test]
fn the_table_shows_the_ioc_of_feed_rules() {
    let output = loghunt(&[
        "scan",
        "--rules",
        "rules",
        "--iocs",
        "tests/fixtures/feeds/threatfox.json",
        "sample-logs",
        "tests/fixtures/iocs-logs",
        "--now",
        NOW,
        "-q",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    // (heading, the `ioc` cell each row ends with; `None`: no such column)
    let sections: &[(&str, Option<&[&str]>)] = &[
        ("000_4a715f3ed2ee4353 — ", None),
        ("001_84b55028b3ede4ab — ", None),
        (
            "threatfox.file-hashes — ",
            Some(&["threatfox:1530102 Nanocore RAT (payload, 100%)"]),
        ),
        (
            "threatfox.network-ips — ",
            Some(&["threatfox:1530103 AsyncRAT (botnet_cc, 100%)"]),
        ),
    ];
    for (heading, iocs) in sections {
        let section: Vec<&str> = stdout
            .split("\n\n")
            .find(|s| s.starts_with(heading))
            .unwrap_or_else(|| panic!("no section {heading}:\n{stdout}"))
            .lines()
            .collect();
        let header = section[1];
        match iocs {
            None => assert!(!header.split_whitespace().any(|c| c == "ioc"), "{header}"),
            Some(iocs) => {
                assert!(header.ends_with("  ioc"), "{header}");
                let rows = &section[3..];
                assert_eq!(rows.len(), iocs.len(), "{heading}");
                for (row, ioc) in rows.iter().zip(*iocs) {
                    assert!(row.ends_with(&format!("  {ioc}")), "{row}");
                }
            }
        }
    }
    // Each DNS row its own domain's indicator.
    let dns = stdout
        .split("\n\n")
        .find(|s| s.starts_with("threatfox.dns — "))
        .unwrap();
    let rows: Vec<&str> = dns.lines().skip(3).collect();
    assert_eq!(rows.len(), 5);
    assert!(rows
        .iter()
        .all(|r| r.ends_with("  threatfox:1530101 Nanocore RAT (botnet_cc, 75%)")));
}
