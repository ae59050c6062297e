//! `loghunt feed`: feed → documents → scan gives the same hits as feed → `scan --iocs`, for
//! every fixture feed over both log fixtures, through the real binary. A hit is compared by the
//! hunt it came from (the feed rule's suffix, the document row's `Hunt`), its table, the record
//! (`file:line`) and its whole `ioc` object. Then what the command does around that: names,
//! messages, refusing to overwrite, feed warnings, and documents that lint clean.

mod binary;

use std::collections::BTreeMap;
use std::path::Path;

use binary::{loghunt, stderr, stdout, NOW};
use serde_json::Value;

/// The fixture feeds, each with the hits its IOCs have in the logs (all have some).
const FEEDS: &[(&str, usize)] = &[
    ("threatfox.csv", 10),
    ("threatfox.json", 7),
    ("malwarebazaar.csv", 3),
    ("urlhaus.csv", 1),
    ("misp-event.json", 6),
    ("stix-bundle.json", 13),
    ("iocs.txt", 11),
];

const LOGS: [&str; 2] = ["sample-logs", "tests/fixtures/iocs-logs"];

/// The table each hunt reads.
const TABLES: &[(&str, &str)] = &[
    ("file-hashes", "DeviceFileEvents"),
    ("process-hashes", "DeviceProcessEvents"),
    ("dns", "DnsEvents"),
    ("network-urls", "DeviceNetworkEvents"),
    ("network-ips", "DeviceNetworkEvents"),
    ("cef-ips", "CommonSecurityLog"),
];

/// One hit: (hunt, table, file, line) → its `ioc` (compact JSON), counted.
type Hits = BTreeMap<(String, String, String, u64, String), usize>;

fn fixture(feed: &str) -> String {
    format!("tests/fixtures/feeds/{feed}")
}

/// The JSON lines of a scan over [`LOGS`] with `source` (`--iocs FEED` or `--rules DIR`).
fn scan(source: &[&str]) -> Vec<Value> {
    let mut args = vec!["scan"];
    args.extend(source);
    args.extend(LOGS);
    args.extend(["--now", NOW, "--format", "jsonl", "-q", "-j", "1"]);
    let output = loghunt(&args);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{source:?}: {}",
        stderr(&output)
    );
    stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn table_of(hunt: &str) -> String {
    TABLES
        .iter()
        .find(|(h, _)| *h == hunt)
        .map_or_else(|| panic!("unknown hunt {hunt}"), |(_, t)| t.to_string())
}

fn add(hits: &mut Hits, hunt: &str, table: String, line: &Value) {
    let ioc = &line["ioc"];
    assert!(ioc.is_object(), "a hit without its ioc: {line}");
    let key = (
        hunt.to_string(),
        table,
        line["file"].as_str().unwrap().to_string(),
        line["line"].as_u64().unwrap(),
        ioc.to_string(),
    );
    *hits.entry(key).or_default() += 1;
}

/// The hits of `scan --iocs FEED`: each rule `<stem>.<hunt>`.
fn feed_hits(feed: &str) -> Hits {
    let mut hits = Hits::new();
    for line in scan(&["--iocs", &fixture(feed)]) {
        let rule = line["rule"].as_str().unwrap();
        let hunt = rule.split_once('.').unwrap().1;
        add(&mut hits, hunt, table_of(hunt), &line);
    }
    hits
}

/// The hits of `scan --rules DIR`: each row names its hunt and table.
fn document_hits(dir: &Path) -> Hits {
    let mut hits = Hits::new();
    for line in scan(&["--rules", dir.to_str().unwrap()]) {
        let hunt = line["row"]["Hunt"].as_str().expect("a row with its Hunt");
        let table = line["row"]["SourceTable"].as_str().unwrap().to_string();
        add(&mut hits, hunt, table, &line);
    }
    hits
}

/// `Ok` if the two sides hold the same hits, else what each side has that the other lacks.
fn compare(feed: &Hits, documents: &Hits) -> Result<(), String> {
    let missing = |a: &Hits, b: &Hits| -> Vec<String> {
        a.iter()
            .filter(|(key, n)| b.get(key) != Some(n))
            .map(|((hunt, table, file, line, ioc), n)| format!("{n}× {hunt} {table} {file}:{line} {ioc}"))
            .collect()
    };
    let (only_feed, only_documents) = (missing(feed, documents), missing(documents, feed));
    if only_feed.is_empty() && only_documents.is_empty() {
        return Ok(());
    }
    Err(format!(
        "only with --iocs:\n  {}\nonly with the documents:\n  {}",
        only_feed.join("\n  "),
        only_documents.join("\n  ")
    ))
}

/// Writes the documents of `feeds` into `dir`.
fn write_documents(feeds: &[&str], dir: &Path, extra: &[&str]) -> std::process::Output {
    let paths: Vec<String> = feeds.iter().map(|f| fixture(f)).collect();
    let mut args = vec!["feed"];
    args.extend(paths.iter().map(String::as_str));
    args.extend(["--out", dir.to_str().unwrap()]);
    args.extend(extra);
    loghunt(&args)
}

#[test]
fn documents_give_the_hits_of_their_feed() {
    let temp = tempfile::tempdir().unwrap();
    for (feed, expected) in FEEDS {
        let dir = temp.path().join(feed);
        let output = write_documents(&[feed], &dir, &[]);
        assert_eq!(output.status.code(), Some(0), "{feed}: {}", stderr(&output));
        let from_feed = feed_hits(feed);
        let total: usize = from_feed.values().sum();
        assert_eq!(total, *expected, "{feed}: hits of --iocs");
        let from_documents = document_hits(&dir);
        if let Err(difference) = compare(&from_feed, &from_documents) {
            panic!("{feed}: the documents' hits differ from the feed's\n{difference}");
        }
    }
}

/// The comparison is not blind: a document that lost an IOC, or an IOC's metadata, differs.
#[test]
fn a_document_that_lost_an_ioc_or_its_metadata_differs() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("docs");
    assert_eq!(write_documents(&["threatfox.csv"], &dir, &[]).status.code(), Some(0));
    let from_feed = feed_hits("threatfox.csv");
    let document = dir.join("nanocore-rat.txt");
    let text = std::fs::read_to_string(&document).unwrap();
    assert_eq!(compare(&from_feed, &document_hits(&dir)), Ok(()));

    // moocow.my out of the DNS list: its four DNS hits are lost.
    let lost = text.replace("let domains = dynamic([\"moocow.my\"]);", "let domains = dynamic([]);");
    assert_ne!(lost, text);
    std::fs::write(&document, &lost).unwrap();
    let difference = compare(&from_feed, &document_hits(&dir)).unwrap_err();
    let lines: Vec<&str> = difference.lines().filter(|l| l.starts_with("  1× dns ")).collect();
    assert_eq!(lines.len(), 4, "{difference}");
    assert!(difference.ends_with("only with the documents:\n  "), "{difference}");

    // Its IOC ID changed: the same records, another ioc.
    let relabelled = text.replace("| 1530004 |", "| 1530999 |");
    assert_ne!(relabelled, text);
    std::fs::write(&document, &relabelled).unwrap();
    let difference = compare(&from_feed, &document_hits(&dir)).unwrap_err();
    assert_eq!(difference.matches("\"id\":\"1530004\"").count(), 4, "{difference}");
    assert_eq!(difference.matches("\"id\":\"1530999\"").count(), 4, "{difference}");
}

#[test]
fn one_document_per_family_named_and_reported() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("out");
    let output = write_documents(&["threatfox.json", "malwarebazaar.csv", "urlhaus.csv"], &dir, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    let out = dir.display();
    let expected = format!(
        "loghunt: wrote {out}/nanocore-rat.txt: Nanocore RAT, 2 IOCs\n\
         loghunt: wrote {out}/asyncrat.txt: AsyncRAT, 1 IOC\n\
         loghunt: wrote {out}/nanocore.txt: NanoCore, 3 IOCs\n\
         loghunt: wrote {out}/malwarebazaar-unattributed.txt: IOCs of malwarebazaar with no malware family, 3 IOCs\n\
         loghunt: wrote {out}/urlhaus-unattributed.txt: IOCs of urlhaus with no malware family, 2 IOCs\n\
         loghunt: 5 documents, 11 IOCs from 3 feeds in {out}\n"
    );
    assert_eq!(stderr(&output), expected);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "asyncrat.txt",
            "malwarebazaar-unattributed.txt",
            "nanocore-rat.txt",
            "nanocore.txt",
            "urlhaus-unattributed.txt"
        ]
    );
    // The documents load and compile with no warning, and say what they are.
    let output = loghunt(&["rules", "--lint", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
    let listing = stdout(&output);
    for line in [
        "  title: Feed threatfox: Nanocore RAT IOCs",
        "  family: NanoCore",
        "  title: Feed urlhaus: IOCs with no malware family",
    ] {
        assert!(listing.lines().any(|l| l == line), "no `{line}` in:\n{listing}");
    }
    let unattributed = std::fs::read_to_string(dir.join("urlhaus-unattributed.txt")).unwrap();
    assert!(
        unattributed.contains("\nIOC Summary\nTotal IOCs: 2 IOC Types: url\n"),
        "{unattributed}"
    );
}

#[test]
fn existing_documents_are_kept_unless_forced() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("out");
    assert_eq!(write_documents(&["threatfox.json"], &dir, &[]).status.code(), Some(0));
    let asyncrat = dir.join("asyncrat.txt");
    std::fs::write(&asyncrat, "edited by hand\n").unwrap();

    let output = write_documents(&["threatfox.json"], &dir, &[]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.starts_with(
            "loghunt: error: 2 document(s) exist already, so nothing was written (--force overwrites them): "
        ),
        "{message}"
    );
    assert!(message.contains(&asyncrat.display().to_string()), "{message}");
    assert_eq!(std::fs::read_to_string(&asyncrat).unwrap(), "edited by hand\n");

    let output = write_documents(&["threatfox.json"], &dir, &["--force"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(std::fs::read_to_string(&asyncrat).unwrap().contains("AsyncRAT"));
}

/// A bad feed's warnings read as `scan --iocs` prints them, and its good IOCs are written.
#[test]
fn feed_warnings_are_those_of_scan() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("out");
    let written = write_documents(&["bad-threatfox-rows.csv"], &dir, &[]);
    assert_eq!(written.status.code(), Some(0));
    let scanned = loghunt(&[
        "scan",
        "--iocs",
        &fixture("bad-threatfox-rows.csv"),
        "sample-logs",
        "-q",
        "--now",
        NOW,
    ]);
    let warnings = |output: &std::process::Output| -> Vec<String> {
        stderr(output)
            .lines()
            .filter(|l| l.starts_with("loghunt: warning: "))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(warnings(&written).len(), 5, "{}", stderr(&written));
    assert_eq!(warnings(&written), warnings(&scanned));
    assert!(stderr(&written).contains("nanocore-rat.txt: Nanocore RAT, 2 IOCs\n"));

    let output = loghunt(&[
        "feed",
        "tests/fixtures/feeds/missing.csv",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("missing.csv: cannot read feed"),
        "{}",
        stderr(&output)
    );
}
