//! Per-IOC tallies (`--stats`): a differential test of attribution against a plain reference
//! over whole records, and the real binary over `sample-logs/` with the seed rules (golden
//! JSON lines), over the same records in every input shape, over a feed with `ip:port` IOCs,
//! and over rows that have no single record. The golden file is rewritten with
//! `LOGHUNT_BLESS=1`.

mod binary;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Output;

use binary::{loghunt, repo, stderr, write, NOW};
use loghunt::input::record::RecordRow;
use loghunt::output::tally::attribute::Attributor;
use loghunt::plan::compile_rule;
use loghunt::rules::Rule;
use serde_json::{json, Map, Value};

fn rule(query: &str) -> Rule {
    Rule::of_query("r", "r.kql", query)
}

/// A small deterministic generator (xorshift), so that the records are the same every run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const HASHES: &[&str] = &[
    "ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303",
    "c2c8ed567f9c65686c4f6599e9259bd31d2ad984c24cf17ad9ebd9d594dcb0ba",
    "0b8b5c278750f6e4a14fde3495cd403eddb9f2bc",
    "4ccba704170269b7c7ca1ecafe2ed57fd11dcba8",
    "93e61d5a877bbb937e885d3ca385ac8a",
    "10cf94eef24c8932d28698e02faf43e5",
];
const DOMAINS: &[&str] = &[
    "spapro.co.com",
    "moocow.my",
    "api.moocow.my",
    "www.mobile1.com",
    "shbet.id",
];

/// A value for a column: an IOC as it is, upper-cased, decorated around its term boundaries,
/// or noise.
fn value(random: &mut Random, iocs: &[&str]) -> String {
    let ioc = random.pick(iocs);
    match random.next() % 9 {
        0 => ioc.to_string(),
        1 => ioc.to_uppercase(),
        2 => format!("a.{ioc}"),
        3 => format!("{ioc}-cdn.net"),
        4 => format!("x{ioc}"),
        5 => format!("{ioc}."),
        6 => format!("{ioc}/path?q=1"),
        7 => format!("{}.{}", ioc, random.pick(iocs)),
        _ => "noise.example".to_string(),
    }
}

/// Attribution (one pass, candidates from the leaves' lookups, restricted evaluation) against
/// the plain reference: for each IOC, the rule compiled again with that IOC as its only IOC and
/// run on the whole record. They must credit the same IOCs for every record, hit or not. (In
/// these queries every way to hold goes through a test that finds the IOC, so attribution's
/// other condition, that the IOC occurs where the query looks for it, adds nothing.)
#[test]
fn attribution_agrees_with_single_ioc_rules_on_whole_records() {
    // (query with `{LIST}` for the IOC list, the IOCs, the table's columns to fill)
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "let h = dynamic([{LIST}]);\nDeviceFileEvents | where SHA256 in (h) or SHA1 in (h) or MD5 in (h) \
             | project Timestamp, DeviceName, SHA256",
            HASHES,
            &["SHA256", "SHA1", "MD5", "InitiatingProcessMD5", "FolderPath"],
        ),
        (
            "let h = dynamic([{LIST}]);\nDeviceFileEvents | where (SHA256 in~ (h) or InitiatingProcessMD5 in (h)) \
             and not(FolderPath startswith \"a.\")",
            HASHES,
            &["SHA256", "InitiatingProcessMD5", "FolderPath"],
        ),
        (
            "let d = dynamic([{LIST}]);\nDnsEvents | where Name has_any (d) and QueryType != \"x.shbet.id\"",
            DOMAINS,
            &["Name", "QueryType"],
        ),
        (
            "let d = dynamic([{LIST}]);\nDeviceNetworkEvents | where RemoteUrl has_any (d) or RemoteUrl in~ (d) \
             | where RemoteIP !in (d)",
            DOMAINS,
            &["RemoteUrl", "RemoteIP"],
        ),
        (
            "let h = dynamic([{LIST}]);\nDeviceFileEvents | where SHA256 in (h) and not(FolderPath in (h)) \
             and InitiatingProcessMD5 !in (h)",
            HASHES,
            &["SHA256", "FolderPath", "InitiatingProcessMD5"],
        ),
    ];
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    let mut compared = 0;
    let mut credited_total = 0;
    for (template, iocs, columns) in cases {
        let list = |values: &[&str]| values.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(", ");
        let full = template.replace("{LIST}", &list(iocs));
        let (compiled, _) = compile_rule(&rule(&full), 0).unwrap_or_else(|e| panic!("{full}: {e}"));
        let table = compiled.pipelines[0].table;
        let attributor = Attributor::query(iocs, &compiled.pipelines);
        let singles: Vec<_> = iocs
            .iter()
            .map(|ioc| {
                compile_rule(&rule(&template.replace("{LIST}", &list(&[ioc]))), 0)
                    .unwrap()
                    .0
            })
            .collect();
        for _ in 0..400 {
            let mut fields = Map::new();
            for column in *columns {
                fields.insert(column.to_string(), Value::String(value(&mut random, iocs)));
            }
            let row = RecordRow { fields: &fields, table };
            let fast: Vec<usize> = attributor.credited(&row, table);
            let reference: Vec<usize> = (0..iocs.len())
                .filter(|&i| singles[i].pipelines[0].stream(&row).is_some())
                .collect();
            assert_eq!(fast, reference, "{full}\n  on {}", Value::Object(fields.clone()));
            compared += 1;
            credited_total += fast.len();
        }
    }
    assert_eq!(compared, 2000);
    // The generator hits often enough for the comparison to mean something.
    assert!(credited_total > 500, "only {credited_total} credits");
}

/// Runs the binary; returns the output and its JSON lines.
fn run(args: &[&str]) -> (Output, Vec<Value>) {
    let output = loghunt(args);
    let lines = String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    (output, lines)
}

/// The `stats` objects of JSON lines, and the `stats_rule` ones.
fn stats(lines: &[Value]) -> (Vec<Value>, Vec<Value>) {
    let of = |key: &str| lines.iter().filter_map(|l| l.get(key).cloned()).collect();
    (of("stats"), of("stats_rule"))
}

fn tally<'a>(stats: &'a [Value], value: &str) -> &'a Value {
    stats
        .iter()
        .find(|s| s["value"] == value)
        .unwrap_or_else(|| panic!("no tally of {value}"))
}

#[test]
fn seed_rules_over_sample_logs_tally_every_ioc() {
    let (output, lines) = run(&[
        "scan",
        "--rules",
        "rules",
        "sample-logs",
        "--now",
        NOW,
        "--format",
        "jsonl",
        "--stats",
        "-q",
        "-j",
        "2",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let (iocs, rules) = stats(&lines);
    // Every IOC of both documents, hit or not, in document order.
    assert_eq!(iocs.len(), 18 + 4);
    assert_eq!(iocs.iter().filter(|s| s["hits"] == 0).count(), 11);
    // Found by its MD5 while the rule projects SHA256: the record was read again.
    let md5 = tally(&iocs, "93e61d5a877bbb937e885d3ca385ac8a");
    assert_eq!(md5["hits"], 1);
    assert_eq!(md5["devices"], json!(["ws-fin-014.contoso.local"]));
    assert_eq!(md5["first"], "2026-06-20T10:15:00.5000000Z");
    // Term boundaries: `spapro.co.com` is in five names, not in `myspapro...` (no such hit).
    assert_eq!(tally(&iocs, "spapro.co.com")["hits"], 5);
    // Every result row is accounted for.
    for rule in &rules {
        assert_eq!(rule["rows"], rule["attributed"], "{rule}");
    }
    let rows: u64 = rules.iter().map(|r| r["rows"].as_u64().unwrap()).sum();
    assert_eq!(rows as usize, lines.iter().filter(|l| l.get("row").is_some()).count());

    // The golden file: every tally, field by field.
    let golden = repo().join("tests/fixtures/tallies/sample-logs.stats.jsonl");
    let text: String = lines
        .iter()
        .filter(|l| l.get("stats").is_some() || l.get("stats_rule").is_some())
        .map(|l| format!("{l}\n"))
        .collect();
    if std::env::var_os("LOGHUNT_BLESS").is_some() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).expect("golden file (LOGHUNT_BLESS=1 writes it)");
    assert_eq!(text, expected, "rewrite with LOGHUNT_BLESS=1 if the change is intended");

    // Without --format jsonl, the table goes to stderr.
    let output = loghunt(&["scan", "--rules", "rules", "sample-logs", "--now", NOW, "--stats", "-q"]);
    let err = stderr(&output);
    assert!(
        err.contains("IOC tallies: 22 IOCs of 2 rules: 11 hit, 11 never hit"),
        "{err}"
    );
    assert!(err.contains("93e61d5a877bbb937e885d3ca385ac8a"), "{err}");
}

/// The same records in every shape the readers take: the second, positioned pass finds each
/// hit's record in all of them, and the tallies are the same.
#[test]
fn the_positioned_second_pass_reads_every_shape() {
    let dir = tempfile::tempdir().unwrap();
    let source = repo().join("sample-logs/DeviceFileEvents/2026-06-20/part-0000.jsonl");
    let text = std::fs::read_to_string(&source).unwrap();
    let records: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let shapes = dir.path().join("DeviceFileEvents");
    std::fs::create_dir_all(&shapes).unwrap();
    let gzip = {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(text.as_bytes()).unwrap();
        encoder.finish().unwrap()
    };
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("lines.jsonl", text.clone().into_bytes()),
        ("lines.jsonl.gz", gzip),
        ("lines.jsonl.zst", zstd::encode_all(text.as_bytes(), 3).unwrap()),
        ("array.json", serde_json::to_vec_pretty(&records).unwrap()),
        (
            "hunting-api.json",
            serde_json::to_vec(&json!({"Schema": [{"Name": "Timestamp", "Type": "DateTime"}], "Results": records}))
                .unwrap(),
        ),
        (
            "envelope.json",
            serde_json::to_vec(&json!({"records": records.iter().map(|r| json!({
                "time": r["Timestamp"], "category": "AdvancedHunting-DeviceFileEvents", "properties": r,
            })).collect::<Vec<_>>()}))
            .unwrap(),
        ),
    ];
    let mut results = BTreeMap::new();
    for (name, bytes) in files {
        let one = tempfile::tempdir().unwrap();
        let path = one.path().join("DeviceFileEvents").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        // Small chunks too: the hit records then lie in many units of the second pass.
        for chunk in ["2097152", "256"] {
            let (output, lines) = run(&[
                "scan",
                "--rules",
                "rules/000_4a715f3ed2ee4353.txt",
                path.to_str().unwrap(),
                "--now",
                NOW,
                "--format",
                "jsonl",
                "--stats",
                "-q",
                "--chunk-size",
                chunk,
            ]);
            assert_eq!(output.status.code(), Some(1), "{name}: {}", stderr(&output));
            let (iocs, rules) = stats(&lines);
            assert_eq!(rules[0]["rows"], 8, "{name}");
            assert_eq!(rules[0]["attributed"], 8, "{name}: {}", rules[0]);
            results.insert(format!("{name} in chunks of {chunk}"), iocs);
        }
    }
    let plain = results["lines.jsonl in chunks of 2097152"].clone();
    for (name, iocs) in &results {
        assert_eq!(iocs, &plain, "{name}");
    }
    assert_eq!(tally(&plain, "93e61d5a877bbb937e885d3ca385ac8a")["hits"], 1);
}

#[test]
fn feed_tallies_credit_ip_port_and_list_unseen_iocs() {
    let (output, lines) = run(&[
        "scan",
        "--iocs",
        "tests/fixtures/feeds/threatfox.json",
        "tests/fixtures/iocs-logs",
        "--now",
        NOW,
        "--format",
        "jsonl",
        "--stats",
        "-q",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let (iocs, rules) = stats(&lines);
    let find = |rule: &str, value: &str| {
        iocs.iter()
            .find(|s| s["rule"] == rule && s["value"] == value)
            .unwrap_or_else(|| panic!("no {rule} {value} in {iocs:?}"))
            .clone()
    };
    // The connection on the IOC's port credits the ip:port IOC; the one on port 443 does not.
    let ip_port = find("threatfox.network-ips", "91.92.240.18:1604");
    assert_eq!(ip_port["kind"], "ip:port");
    assert_eq!(ip_port["hits"], 1);
    assert_eq!(ip_port["first"], "2026-06-20T11:00:00Z");
    assert_eq!(ip_port["feed"], "threatfox");
    // Every IOC of every feed rule is listed, the unseen with zero hits.
    assert!(iocs.iter().any(|s| s["hits"] == 0));
    let hits: usize = lines.iter().filter(|l| l.get("row").is_some()).count();
    let rows: u64 = rules.iter().map(|r| r["rows"].as_u64().unwrap()).sum();
    assert_eq!(rows as usize, hits);
    for rule in &rules {
        assert_eq!(rule["rows"], rule["attributed"], "{rule}");
    }
}

/// A rule document whose query is `query`, with the first seed's IOC table.
fn document(dir: &Path, name: &str, query: &str) -> String {
    let seed = std::fs::read_to_string(repo().join("rules/000_4a715f3ed2ee4353.txt")).unwrap();
    let start = seed.find("DeviceFileEvents\n| where").unwrap();
    let end = seed[start..].find("| Sentinel Table").unwrap() + start;
    let text = format!("{}{query}\n{}", &seed[..start], &seed[end..]);
    write(dir, name, &text).display().to_string()
}

#[test]
fn rows_without_a_record_are_attributed_by_their_columns_or_counted() {
    let dir = tempfile::tempdir().unwrap();
    let by_hash = document(
        dir.path(),
        "by_hash.txt",
        "DeviceFileEvents\n| where SHA256 in (malicious_hashes) or SHA1 in (malicious_hashes) or MD5 in (malicious_hashes)\n\
         | summarize n = count(), last = max(Timestamp) by SHA256, SHA1, MD5",
    );
    let by_device = document(
        dir.path(),
        "by_device.txt",
        "DeviceFileEvents\n| where SHA256 in (malicious_hashes) or SHA1 in (malicious_hashes) or MD5 in (malicious_hashes)\n\
         | summarize n = count() by DeviceName",
    );
    let (output, lines) = run(&[
        "scan",
        "--rules",
        &by_hash,
        "--rules",
        &by_device,
        "sample-logs",
        "--now",
        NOW,
        "--format",
        "jsonl",
        "--stats",
        "-q",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let (iocs, rules) = stats(&lines);
    let rule = |id: &str| rules.iter().find(|r| r["rule"] == id).unwrap().clone();
    // Groups by the hash columns: each group credits its IOCs from its own values.
    let by_hash = rule("by_hash");
    assert_eq!(by_hash["rows"], by_hash["attributed"], "{by_hash}");
    let md5 = iocs
        .iter()
        .find(|s| s["rule"] == "by_hash" && s["value"] == "93e61d5a877bbb937e885d3ca385ac8a")
        .unwrap();
    assert_eq!(md5["hits"], 1);
    // Groups by device: nothing to attribute them with, and said so.
    let by_device = rule("by_device");
    assert_eq!(by_device["attributed"], 0);
    assert_eq!(by_device["not_attributed"], by_device["rows"]);
    let reasons = by_device["reasons"].as_object().unwrap();
    assert!(reasons.keys().any(|r| r.contains("summarize")), "{reasons:?}");
}

#[test]
fn standard_input_cannot_be_read_twice_and_says_so() {
    let input = std::fs::read(repo().join("sample-logs/DeviceFileEvents/2026-06-20/part-0000.jsonl")).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_loghunt"))
        .current_dir(repo())
        .args([
            "scan",
            "--rules",
            "rules/000_4a715f3ed2ee4353.txt",
            "--table",
            "DeviceFileEvents",
            "-",
            "--now",
            NOW,
            "--format",
            "jsonl",
            "--stats",
            "-q",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let output = child.wait_with_output().unwrap();
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (_, rules) = stats(&lines);
    // The seed projects SHA256 but matches SHA1 and MD5 too: without the record, no row can be
    // attributed, and each is counted with the reason.
    assert_eq!(rules[0]["rows"], 8);
    assert_eq!(rules[0]["not_attributed"], 8);
    let reasons = rules[0]["reasons"].as_object().unwrap();
    assert!(reasons.keys().all(|r| r.contains("standard input")), "{reasons:?}");
}

/// `loghunt feed` writes documents whose queries list a URL without its scheme and an `ip:port`
/// by its address and port: their tallies equal those of `scan --iocs` with the feed, IOC by
/// IOC (summed over the feed's rules, which may each find the same IOC in another table).
#[test]
fn documents_written_from_a_feed_tally_as_the_feed_does() {
    let mut kinds_hit = Vec::new();
    for feed in [
        "tests/fixtures/feeds/threatfox.json",
        "tests/fixtures/feeds/threatfox.csv",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("documents");
        let written = loghunt(&["feed", feed, "--out", out.to_str().unwrap()]);
        assert!(written.status.success(), "{}", stderr(&written));
        let common = [
            "sample-logs",
            "tests/fixtures/iocs-logs",
            "--now",
            NOW,
            "--format",
            "jsonl",
            "--stats",
            "-q",
        ];
        let (_, from_documents) = run(&[&["scan", "--rules", out.to_str().unwrap()], &common[..]].concat());
        let (_, from_feed) = run(&[&["scan", "--iocs", feed], &common[..]].concat());
        let (documents, feed_tallies) = (merged(&from_documents), merged(&from_feed));
        assert_eq!(documents, feed_tallies, "{feed}");
        kinds_hit.extend(
            documents
                .iter()
                .filter(|(_, t)| t.0 > 0)
                .map(|((kind, _), _)| kind.clone()),
        );
        for rule in stats(&from_documents).1 {
            assert_eq!(rule["rows"], rule["attributed"], "{feed}: {rule}");
        }
    }
    for kind in ["sha256", "md5", "domain", "url", "ip:port"] {
        assert!(kinds_hit.iter().any(|k| k == kind), "no {kind} hit: {kinds_hit:?}");
    }
}

/// Per (kind, value): hits, first, last and devices, merged over the rules that list the IOC.
type Merged = BTreeMap<(String, String), (u64, Option<String>, Option<String>, Vec<String>)>;

fn merged(lines: &[Value]) -> Merged {
    // Hits, then every first, last and device seen.
    type Seen = (u64, Vec<String>, Vec<String>, Vec<String>);
    let mut by_ioc: BTreeMap<(String, String), Seen> = BTreeMap::new();
    for tally in stats(lines).0 {
        let key = (
            tally["kind"].as_str().unwrap().to_string(),
            tally["value"].as_str().unwrap().to_string(),
        );
        let entry = by_ioc.entry(key).or_default();
        entry.0 += tally["hits"].as_u64().unwrap();
        entry.1.extend(tally["first"].as_str().map(str::to_string));
        entry.2.extend(tally["last"].as_str().map(str::to_string));
        entry.3.extend(
            tally["devices"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap().to_string()),
        );
    }
    by_ioc
        .into_iter()
        .map(|(key, (hits, firsts, lasts, mut devices))| {
            devices.sort();
            devices.dedup();
            (key, (hits, firsts.into_iter().min(), lasts.into_iter().max(), devices))
        })
        .collect()
}

/// `--report` with `--stats` and `--exclude` holds the tallies (every IOC) and the exclusions.
#[test]
fn the_report_takes_the_tallies_and_the_exclusions() {
    let dir = tempfile::tempdir().unwrap();
    let allow = write(dir.path(), "allow.txt", "*: DeviceName == \"nobody\"\n");
    let page = dir.path().join("report.html");
    let output = loghunt(&[
        "scan",
        "--rules",
        "rules",
        "sample-logs",
        "--now",
        NOW,
        "--stats",
        "--exclude",
        allow.to_str().unwrap(),
        "--report",
        page.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("22 IOCs"), "the tallies section");
    assert!(
        html.contains("9c9b962deead54c4364d378324e1f4ec603ab81c"),
        "an IOC never hit"
    );
    assert!(html.contains("DeviceName == &quot;nobody&quot;"), "the exclusion");
}
