//! `--report PATH.html` in a real browser: the report of `sample-logs/` and of 100,000 hits is
//! loaded by headless Chromium (`--dump-dom`), and the DOM its script built is checked against
//! what the scan returned — rows per table, rows drawn, timeline lanes and marks, sorting and
//! filtering set from the URL fragment — and hostile values stay text. Screenshots are kept in
//! `target/tmp/` (`report-screenshot.png`, `report-100k-screenshot.png`); `LOGHUNT_BLESS=1`
//! also rewrites `docs/report.png`, the README's picture.
//!
//! Chromium must be installed (`apt-get install chromium`; `.ci/run` does it): without it these
//! tests fail, saying so. `LOGHUNT_CHROMIUM` names another binary.

mod binary;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use binary::{loghunt, repo, stderr, stdout, NOW};
use regex::Regex;
use serde_json::Value;

/// The page size the report's tables start with.
const PAGE: usize = 100;

fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("LOGHUNT_CHROMIUM") {
        let path = PathBuf::from(path);
        assert!(path.is_file(), "LOGHUNT_CHROMIUM={}: no such file", path.display());
        return path;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser"] {
        for dir in std::env::split_paths(&path) {
            if dir.join(name).is_file() {
                return dir.join(name);
            }
        }
    }
    panic!(
        "tests/report.rs needs Chromium to load the report in a real browser, and none is on PATH: \
         install it (`apt-get install chromium` on Debian; `bash .ci/run` does this) or set LOGHUNT_CHROMIUM"
    );
}

/// Runs headless Chromium on `file#fragment` with `extra` arguments; its stdout.
fn browse(file: &Path, fragment: &str, extra: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}{fragment}", file.canonicalize().unwrap().display());
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--virtual-time-budget=10000")
        .args(extra)
        .arg(&url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut out, &mut text).map(|_| text)
    });
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(90) {
            child.kill().unwrap();
            panic!("chromium did not finish with {url} in 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap().expect("chromium's output is UTF-8")
}

/// The DOM after the report's script ran.
fn dom(file: &Path, fragment: &str) -> String {
    let dom = browse(file, fragment, &["--dump-dom"]);
    let body = attributes(&dom, "<body");
    assert_eq!(
        body.get("data-ready").map(String::as_str),
        Some("true"),
        "the script ran"
    );
    assert!(!body.contains_key("data-pwned"), "a value ran as code");
    eprintln!(
        "{}{fragment}: the script took {} ms",
        file.display(),
        body["data-init-ms"]
    );
    dom
}

fn screenshot(file: &Path, png: &Path, height: u32) {
    let _ = std::fs::remove_file(png);
    browse(
        file,
        "",
        &[
            &format!("--screenshot={}", png.display()),
            &format!("--window-size=1400,{height}"),
        ],
    );
    let bytes = std::fs::read(png).unwrap_or_else(|e| panic!("no screenshot at {}: {e}", png.display()));
    assert!(bytes.starts_with(b"\x89PNG"), "{} is a PNG", png.display());
    eprintln!("screenshot: {}", png.display());
}

/// The attributes of the first element whose opening tag starts with `start` (e.g.
/// `<div class="datatable" data-source="hits-1"`).
fn attributes(dom: &str, start: &str) -> HashMap<String, String> {
    let at = dom.find(start).unwrap_or_else(|| panic!("no {start} in the DOM"));
    let tag = &dom[at..at + dom[at..].find('>').unwrap()];
    let attribute = Regex::new(r#"([\w:-]+)="([^"]*)""#).unwrap();
    attribute
        .captures_iter(tag)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect()
}

/// What a hit table of the DOM shows: its state attributes, and the text of its drawn rows.
struct Drawn {
    state: HashMap<String, String>,
    rows: Vec<Vec<String>>,
}

fn table(dom: &str, source: &str) -> Drawn {
    let start = format!("<div class=\"datatable\" data-source=\"{source}\"");
    let state = attributes(dom, &start);
    let at = dom.find(&start).unwrap();
    let html = &dom[at..at + dom[at..].find("</table>").unwrap()];
    let row = Regex::new(r#"<tr data-row="\d+">(.*?)</tr>"#).unwrap();
    let cell = Regex::new(r"<td[^>]*>(.*?)</td>").unwrap();
    let rows = row
        .captures_iter(html)
        .map(|r| cell.captures_iter(&r[1]).map(|c| c[1].to_string()).collect())
        .collect();
    Drawn { state, rows }
}

fn number(state: &HashMap<String, String>, name: &str) -> usize {
    state[name]
        .parse()
        .unwrap_or_else(|_| panic!("{name} = {:?}", state[name]))
}

/// The timeline's `data-` figures and the marks in the DOM: (lanes, marks, hits drawn).
fn timeline(dom: &str) -> (usize, usize, usize) {
    let svg = attributes(dom, "<svg class=\"timeline\"");
    let at = dom.find("<svg class=\"timeline\"").unwrap();
    let marks = dom[at..at + dom[at..].find("</svg>").unwrap()]
        .matches("<rect class=\"mark\"")
        .count();
    assert_eq!(marks, number(&svg, "data-marks"));
    (number(&svg, "data-lanes"), marks, number(&svg, "data-hits"))
}

fn jsonl(output: &std::process::Output) -> Vec<Value> {
    stdout(output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn sample_report_in_a_browser() {
    // Kept beside the screenshot; named relative to the repository when it can be, for the
    // command line the report (and the README's picture) shows.
    let kept = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-sample.html");
    let report = kept.strip_prefix(repo()).unwrap_or(&kept);
    let output = loghunt(&[
        "scan",
        "-r",
        "rules",
        "sample-logs",
        "--now",
        NOW,
        "--format",
        "jsonl",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains(&format!("report written to {}", report.display())));
    let lines = jsonl(&output);
    let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut devices = BTreeSet::new();
    let mut timed = 0;
    for line in &lines {
        *per_rule.entry(line["rule"].as_str().unwrap().to_string()).or_default() += 1;
        let row = &line["row"];
        let time = row.get("Timestamp").or(row.get("TimeGenerated")).unwrap();
        if !time.is_null() {
            timed += 1;
            let device = row.get("DeviceName").or(row.get("Computer")).unwrap();
            devices.insert(device.as_str().unwrap().to_lowercase());
        }
    }
    assert_eq!(per_rule.len(), 2, "both seed rules hit the samples");

    let dom = dom(&kept, "");
    for (index, (rule, hits)) in per_rule.iter().enumerate() {
        let drawn = table(&dom, &format!("hits-{index}"));
        assert_eq!(drawn.state["data-rule"], *rule);
        assert_eq!(number(&drawn.state, "data-total"), *hits, "{rule}");
        assert_eq!(number(&drawn.state, "data-shown"), *hits);
        assert_eq!(drawn.rows.len(), *hits);
        // In the query's order (`order by ... desc`): the JSON lines' order.
        let first = lines.iter().find(|l| l["rule"] == *rule).unwrap();
        let column = if index == 0 { "Timestamp" } else { "TimeGenerated" };
        assert_eq!(drawn.rows[0][0], first["row"][column].as_str().unwrap_or(""));
    }
    let (lanes, marks, hits) = timeline(&dom);
    assert_eq!(lanes, devices.len());
    assert_eq!(hits, timed);
    assert!(marks > 0 && marks <= timed);
    assert!(dom.contains("False-positive scenarios"));
    assert!(dom.contains("Legitimate scheduled job using nanocore.exe for system monitoring"));
    assert!(dom.contains("run with <code>--stats</code>"));

    let png = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshot.png");
    screenshot(&kept, &png, 1500);
    if std::env::var_os("LOGHUNT_BLESS").is_some() {
        std::fs::create_dir_all(repo().join("docs")).unwrap();
        std::fs::copy(&png, repo().join("docs/report.png")).unwrap();
    }
}

/// DnsEvents rows that the seed rule `001_84b55028b3ede4ab` (`Name has_any` of four domains)
/// returns: two rows a second apart every 12 s (the second at `.5`), on 150 devices, pairs of
/// rows on the same device.
fn dns_hits(count: usize) -> (String, Vec<(String, String)>) {
    let names = ["www.mobile1.com", "a.spapro.co.com", "WWW.SHBET.ID", "moocow.my"];
    let mut text = String::with_capacity(count * 160);
    let mut rows = Vec::with_capacity(count);
    for i in 0..count {
        let seconds = (i / 2) * 12;
        let (day, in_day) = (14 + seconds / 86_400, seconds % 86_400);
        let time = format!(
            "2026-06-{day:02}T{:02}:{:02}:{:02}{}Z",
            in_day / 3600,
            in_day / 60 % 60,
            in_day % 60,
            if i % 2 == 1 { ".5" } else { "" }
        );
        let device = format!("host-{:03}.contoso.local", (i / 2) % 150);
        text.push_str(&format!(
            "{{\"TimeGenerated\":\"{time}\",\"Computer\":\"{device}\",\"Name\":\"{}\",\"IPAddresses\":\"10.0.0.{}\",\"QueryType\":\"A\",\"Type\":\"DnsEvents\"}}\n",
            names[i % names.len()],
            i % 250
        ));
        rows.push((time, device));
    }
    (text, rows)
}

#[test]
fn a_hundred_thousand_hits_stay_one_page_in_the_document() {
    const HITS: usize = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let (text, rows) = dns_hits(HITS);
    let logs = dir.path().join("DnsEvents.jsonl");
    std::fs::write(&logs, text).unwrap();
    let report = dir.path().join("big.html");
    let output = loghunt(&[
        "scan",
        "-r",
        "rules/001_84b55028b3ede4ab.txt",
        logs.to_str().unwrap(),
        "--now",
        NOW,
        "--format",
        "csv",
        "--output",
        dir.path().join("hits.csv").to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    eprintln!("report: {} bytes", std::fs::metadata(&report).unwrap().len());

    // Filtered to one device and sorted oldest first, from the URL fragment: still one page
    // of <tr>, and a whole second (`:00Z`) sorts before the half second after it
    // (`:00.5000000Z`). (The query's own order is checked on the samples.)
    let dom = dom(
        &report,
        "#filter=host-000.contoso&sort=TimeGenerated:asc&table=001_84b55028b3ede4ab",
    );
    let drawn = table(&dom, "hits-0");
    let expected = rows
        .iter()
        .filter(|(_, device)| device == "host-000.contoso.local")
        .count();
    assert!(expected > PAGE);
    assert_eq!(drawn.state["data-sort"], "TimeGenerated:asc");
    assert_eq!(number(&drawn.state, "data-total"), HITS);
    assert_eq!(number(&drawn.state, "data-matching"), expected);
    assert_eq!(number(&drawn.state, "data-shown"), PAGE);
    assert_eq!(number(&drawn.state, "data-pages"), expected.div_ceil(PAGE));
    assert_eq!(drawn.rows.len(), PAGE, "one page of <tr>, not {HITS}");
    assert_eq!(
        dom.matches("<tr data-row=").count(),
        PAGE + 1,
        "and the one of the files table"
    );
    assert_eq!(drawn.rows[0][0], "2026-06-14T00:00:00Z");
    assert_eq!(drawn.rows[1][0], "2026-06-14T00:00:00.5000000Z");
    assert_eq!(drawn.rows[2][0], "2026-06-14T00:30:00Z");
    assert!(drawn.rows.iter().all(|row| row[1] == "host-000.contoso.local"));
    let (lanes, marks, hits) = timeline(&dom);
    assert_eq!(lanes, 60, "the 59 busiest of 150 devices, and one lane for the rest");
    assert_eq!(hits, HITS);
    assert!(marks <= 60 * 170, "{marks} marks");
    assert!(dom.contains("91 other devices"));

    let png = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-100k-screenshot.png");
    screenshot(&report, &png, 1200);
}

#[test]
fn hostile_values_stay_text_in_the_browser() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = [
        r#"evil.example</script><script>document.body.dataset.pwned='script'</script>"#,
        r#"evil.example<img src=x onerror="document.body.dataset.pwned='img'">"#,
        r#"evil.example"'><svg onload=document.body.dataset.pwned='svg'>"#,
    ];
    let mut text = String::new();
    for (i, name) in hostile.iter().enumerate() {
        let row = serde_json::json!({
            "TimeGenerated": format!("2026-06-20T10:0{i}:00Z"),
            "Computer": name,
            "Name": name,
            "Type": "DnsEvents",
        });
        text.push_str(&format!("{row}\n"));
    }
    let logs = dir.path().join("dns.jsonl");
    std::fs::write(&logs, text).unwrap();
    let report = dir.path().join("hostile.html");
    let output = loghunt(&[
        "query",
        "DnsEvents | where Name has 'evil.example' | project TimeGenerated, Computer, Name",
        logs.to_str().unwrap(),
        "--now",
        NOW,
        "-q",
        "--format",
        "jsonl",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let dom = dom(&report, "");
    let drawn = table(&dom, "hits-0");
    assert_eq!(number(&drawn.state, "data-total"), 3);
    let lower = dom.to_ascii_lowercase();
    assert!(!lower.contains("<img"));
    assert!(!lower.contains("<svg onload"));
    // Each value is a cell's text, as logged (the DOM serialises `<`, `>`, `&` as entities).
    for name in hostile {
        let shown = name.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        assert!(drawn.rows.iter().any(|row| row[2] == shown), "{shown}");
    }
}

#[test]
fn feed_rows_carry_their_ioc_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("feed.html");
    let output = loghunt(&[
        "scan",
        "--iocs",
        "tests/fixtures/feeds/threatfox.csv",
        "sample-logs",
        "--now",
        NOW,
        "-q",
        "--format",
        "jsonl",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let html = std::fs::read_to_string(&report).unwrap();
    let open = "<script type=\"application/json\" id=\"hits-0\">";
    let at = html.find(open).unwrap() + open.len();
    let data: Value = serde_json::from_str(&html[at..at + html[at..].find("</script>").unwrap()]).unwrap();
    let columns: Vec<&str> = data["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let feed = columns
        .iter()
        .position(|c| *c == "ioc_feed")
        .expect("an ioc_feed column");
    assert_eq!(
        columns[feed..feed + 5],
        ["ioc_feed", "ioc_id", "ioc_family", "ioc_threat_type", "ioc_confidence"]
    );
    assert_eq!(columns.last(), Some(&"file:line"));
    let first = jsonl(&output).into_iter().next().unwrap();
    assert_eq!(data["rows"][0][feed], first["ioc"]["feed"]);
    assert_eq!(data["rows"][0][feed + 2], first["ioc"]["family"]);
}

#[test]
fn a_report_path_that_cannot_be_written_fails_before_the_scan() {
    let output = loghunt(&[
        "scan",
        "-r",
        "rules",
        "sample-logs",
        "--now",
        NOW,
        "--report",
        "no-such-directory/report.html",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("--report no-such-directory/report.html: cannot create"),
        "{message}"
    );
    assert!(!message.contains("records:"), "the logs were not scanned: {message}");
    assert!(stdout(&output).is_empty());
}
