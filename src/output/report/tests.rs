//! The report's rendering, over hand-made results: escaping of hostile text, the sections that
//! appear with and without tallies, and the timeline's lanes and marks.

use std::path::PathBuf;
use std::time::Duration;

use super::*;
use crate::input::LogFile;
use crate::output::tally::IocTally;
use crate::plan::query::{Position, Row};
use crate::scan::FileStats;
use crate::time::parse_datetime;

const HOSTILE: &str = "</script><script>alert(1)</script><img src=x onerror=\"alert('x')\"><!--";

fn t(text: &str) -> i64 {
    parse_datetime(text).expect("a datetime")
}

fn column(name: &str, ty: ColumnType) -> Col {
    Col::new(name, Some(ty))
}

/// A rule result over `(time, device, name)` rows, placed at lines 1, 2, ... of file 0.
fn result(id: &str, device_column: &str, rows: &[(&str, &str, &str)]) -> RuleResult {
    RuleResult {
        id: id.to_string(),
        title: Some(format!("Title of {id}")),
        table: "DeviceFileEvents".to_string(),
        columns: vec![
            column("Timestamp", ColumnType::DateTime),
            column(device_column, ColumnType::String),
            column("FileName", ColumnType::String),
        ],
        rows: rows
            .iter()
            .enumerate()
            .map(|(at, (time, device, name))| Row {
                values: vec![
                    Value::DateTime(t(time)),
                    Value::String(device.to_string()),
                    Value::String(name.to_string()),
                ],
                origin: Some(Position {
                    file: 0,
                    offset: 0,
                    line: at as u64 + 1,
                }),
            })
            .collect(),
        notes: Vec::new(),
    }
}

fn stats(path: &str) -> Stats {
    let mut stats = Stats::default();
    stats.files.push(FileStats {
        path: PathBuf::from(path),
        bytes: 1234,
        records: 10,
        ..FileStats::default()
    });
    (stats.records, stats.matched) = (10, 3);
    stats
}

/// Renders `rules` with everything else plain, and hands back the HTML.
fn render(
    rules: &[RuleResult],
    infos: &[RuleInfo],
    warnings: &[String],
    iocs: Option<&[IocTally]>,
    exclusions: Option<&[ReportExclusion]>,
) -> String {
    let files = vec![LogFile::on_disk(PathBuf::from("logs/a.json"), Some(1234))];
    let results = Results {
        rules,
        files: &files,
        annotate: None,
    };
    let stats = stats("logs/a.json");
    let command = vec!["loghunt".to_string(), "scan".to_string(), "a b".to_string()];
    let report = Report {
        results: &results,
        rules: infos,
        stats: &stats,
        input_errors: &[],
        skipped_files: 0,
        warnings,
        elapsed: Duration::from_millis(1500),
        command: &command,
        now: t("2026-06-21T00:00:00Z"),
        generated: t("2026-06-22T08:00:00Z"),
        iocs,
        exclusions,
    };
    let mut out = Vec::new();
    write_report(&mut out, &report).expect("writes to memory");
    String::from_utf8(out).expect("UTF-8")
}

/// The text of the `<script type="application/json" id=ID>` element, parsed.
fn data(html: &str, id: &str) -> serde_json::Value {
    let open = format!("<script type=\"application/json\" id=\"{id}\">");
    let start = html.find(&open).expect("the data block") + open.len();
    let end = start + html[start..].find("</script>").expect("its end");
    serde_json::from_str(&html[start..end]).expect("valid JSON")
}

#[test]
fn hostile_text_stays_text() {
    let mut rule = result(
        HOSTILE,
        "DeviceName",
        &[
            ("2026-06-20T10:00:00Z", HOSTILE, HOSTILE),
            ("2026-06-20T11:00:00Z", "pc'1\"", "a&b"),
        ],
    );
    rule.title = Some(HOSTILE.to_string());
    rule.notes = vec![HOSTILE.to_string()];
    let info = RuleInfo {
        id: HOSTILE.to_string(),
        source: PathBuf::from(HOSTILE),
        title: Some(HOSTILE.to_string()),
        family: Some(HOSTILE.to_string()),
        query: HOSTILE.to_string(),
        query_cut: 0,
        indicators: 1,
        scenarios: vec![Scenario {
            name: HOSTILE.to_string(),
            description: Some(HOSTILE.to_string()),
            filter: Some(HOSTILE.to_string()),
        }],
    };
    let iocs = [IocTally {
        rule: HOSTILE.to_string(),
        family: Some(HOSTILE.to_string()),
        kind: "domain".to_string(),
        value: HOSTILE.to_string(),
        feed: None,
        id: None,
        hits: 1,
        suppressed: 0,
        first: Some(t("2026-06-20T10:00:00Z")),
        last: Some(t("2026-06-20T10:00:00Z")),
        devices: vec![HOSTILE.to_string()],
    }];
    let exclusions = [ReportExclusion {
        scope: HOSTILE.to_string(),
        predicate: HOSTILE.to_string(),
        suppressed: 0,
    }];
    let html = render(&[rule], &[info], &[HOSTILE.to_string()], Some(&iocs), Some(&exclusions));

    let lower = html.to_ascii_lowercase();
    // Only the report's own scripts: four data blocks (origins, hits, IOCs, files) and the code.
    assert_eq!(lower.matches("<script").count(), 5, "{html}");
    assert_eq!(lower.matches("</script>").count(), 5);
    assert!(!lower.contains("<img"));
    assert!(!lower.contains("<!--"));
    assert!(html.contains(
        "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;"
    ));

    // The data decodes to exactly the logged text.
    let hits = data(&html, "hits-0");
    assert_eq!(hits["rows"][0][1], HOSTILE);
    assert_eq!(hits["rows"][0][2], HOSTILE);
    assert_eq!(hits["rows"][1][1], "pc'1\"");
    assert_eq!(hits["rows"][1][2], "a&b");
    assert_eq!(data(&html, "iocs-data")["rows"][0][3], HOSTILE);
    let block = html.split("id=\"hits-0\">").nth(1).unwrap();
    assert!(block.starts_with("{\"columns\""));
    assert!(block[..block.find("</script>").unwrap()].contains("\\u003c/script\\u003e"));
}

#[test]
fn the_script_is_allowed_by_its_hash_and_nothing_else_loads() {
    let html = render(&[], &[], &[], None, None);
    let hash = base64(&Sha256::digest(SCRIPT.as_bytes()));
    assert!(html.contains(&format!("script-src 'sha256-{hash}'")));
    assert!(html.contains("default-src 'none'"));
    assert!(html.contains(&format!("<script>{SCRIPT}</script>")));
    // The code cannot end its element early or start another (nor can the style).
    for markup in ["<script", "</script", "<!--", "</style"] {
        assert!(!SCRIPT.to_ascii_lowercase().contains(markup), "{markup}");
        assert!(!STYLE.to_ascii_lowercase().contains(markup), "{markup}");
    }
    // No address to fetch: nothing external in the page itself.
    for fetch in ["src=\"http", "href=\"http", "url(", "@import", "@font-face"] {
        assert!(!html.contains(fetch), "{fetch}");
    }
}

#[test]
fn escaping_by_context() {
    let cases = [
        ("plain", "plain"),
        ("a<b>c", "a&lt;b&gt;c"),
        ("\"'&", "&quot;&#39;&amp;"),
        ("é<", "é&lt;"),
        ("", ""),
    ];
    for (text, html) in cases {
        assert_eq!(Esc(text).to_string(), html, "{text}");
    }
    let cases = [
        ("\"</script>\"", "\"\\u003c/script\\u003e\""),
        ("\"a&b\"", "\"a\\u0026b\""),
        ("[1,2]", "[1,2]"),
    ];
    for (json, safe) in cases {
        let mut out = Vec::new();
        ScriptSafe(&mut out).write_all(json.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), safe);
    }
}

#[test]
fn small_formats() {
    // RFC 4648's test vectors.
    for (bytes, text) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(bytes.as_bytes()), text);
    }
    for (n, text) in [
        (0, "0"),
        (999, "999"),
        (1000, "1,000"),
        (100000, "100,000"),
        (1234567, "1,234,567"),
    ] {
        assert_eq!(thousands(n), text);
    }
    for (bytes, text) in [(999, "999 bytes"), (1500, "1.5 kB"), (2_500_000_000, "2.5 GB")] {
        assert_eq!(human_bytes(bytes), text);
    }
    let words: Vec<String> = ["loghunt", "--report", "a b.html", "it's", ""]
        .map(String::from)
        .to_vec();
    assert_eq!(shell_words(&words), r"loghunt --report 'a b.html' 'it'\''s' ''");
}

#[test]
fn tallies_and_exclusions_when_given_and_a_hint_when_not() {
    let html = render(&[], &[], &[], None, None);
    assert!(html.contains("run with <code>--stats</code>"));
    assert!(html.contains("no <code>--exclude</code> file was given"));
    assert!(!html.contains("id=\"iocs-data\""));

    let ioc = |value: &str, hits, suppressed, first: Option<&str>, devices: usize| IocTally {
        rule: "000_rule".to_string(),
        family: Some("Nanocore RAT".to_string()),
        kind: "sha256".to_string(),
        value: value.to_string(),
        feed: None,
        id: None,
        hits,
        suppressed,
        first: first.map(t),
        last: first.map(|_| t("2026-06-20T12:00:00.5Z")),
        devices: (0..devices).map(|d| format!("device-{d}")).collect(),
    };
    let iocs = [
        ioc("aa", 3, 0, Some("2026-06-20T10:00:00Z"), 2),
        ioc("bb", 0, 0, None, 0),
        ioc("cc", 1, 0, Some("2026-06-20T11:00:00Z"), 1),
        // Found only in rows an exclusion removed: neither hit nor never seen.
        ioc("dd", 0, 2, None, 0),
    ];
    let exclusions = [
        ReportExclusion {
            scope: "000_rule".to_string(),
            predicate: "FolderPath startswith @\"C:\\Windows\\\"".to_string(),
            suppressed: 7,
        },
        ReportExclusion {
            scope: "*".to_string(),
            predicate: "DeviceName == \"lab\"".to_string(),
            suppressed: 0,
        },
    ];
    let html = render(&[], &[], &[], Some(&iocs), Some(&exclusions));
    assert!(
        html.contains("4 IOCs: <strong>2 hit</strong>, <strong>1 never seen</strong>, 1 seen only in suppressed rows.")
    );
    let rows = data(&html, "iocs-data")["rows"].clone();
    assert_eq!(
        rows[0],
        serde_json::json!([
            "000_rule",
            "Nanocore RAT",
            "sha256",
            "aa",
            "3",
            "0",
            "2026-06-20T10:00:00Z",
            "2026-06-20T12:00:00.5000000Z",
            "2"
        ])
    );
    assert_eq!(rows[1][6], serde_json::Value::Null);
    assert_eq!(rows[3][5], "2");
    assert!(html.contains("2 exclusions suppressed 7 hits; 1 suppressed nothing"));
    assert_eq!(html.matches("<tr class=\"stale\">").count(), 1);
}

#[test]
fn hits_table_columns_and_rule_facts() {
    let rule = result(
        "000_rule",
        "DeviceName",
        &[
            ("2026-06-20T10:00:00Z", "pc1", "a.exe"),
            ("2026-06-20T10:00:00.25Z", "pc2", "b.exe"),
        ],
    );
    let info = RuleInfo {
        id: "000_rule".to_string(),
        source: PathBuf::from("rules/000_rule.txt"),
        title: Some("Title of 000_rule".to_string()),
        family: Some("Nanocore RAT".to_string()),
        query: "DeviceFileEvents | where true".to_string(),
        query_cut: 0,
        indicators: 24,
        scenarios: vec![Scenario {
            name: "Admin tool".to_string(),
            description: None,
            filter: Some("FolderPath startswith \"C:\\\\Tools\\\\\"".to_string()),
        }],
    };
    let empty = result("001_quiet", "Computer", &[]);
    let html = render(
        &[rule, empty],
        &[info],
        &["rule 000_rule: a warning".to_string()],
        None,
        None,
    );
    let hits = data(&html, "hits-0");
    assert_eq!(
        hits["columns"],
        serde_json::json!([
            {"name": "Timestamp", "type": "datetime"},
            {"name": "DeviceName", "type": "string"},
            {"name": "FileName", "type": "string"},
            {"name": "file:line", "type": "origin"}
        ])
    );
    assert_eq!(
        hits["rows"][1],
        serde_json::json!(["2026-06-20T10:00:00.2500000Z", "pc2", "b.exe", [0, 2]])
    );
    assert_eq!(data(&html, "origins"), serde_json::json!(["logs/a.json"]));
    assert!(html.contains("data-source=\"hits-0\" data-rule=\"000_rule\" data-rule-index=\"0\" data-total=\"2\""));
    assert!(html.contains("family Nanocore RAT"));
    assert!(html.contains("24 IOCs"));
    assert!(html.contains("<strong>Admin tool</strong>"));
    assert!(html.contains("<li>rule 000_rule: a warning</li>"));
    // A rule with no hits and no kept source still has its section.
    assert!(html.contains("id=\"rule-1\" data-rule=\"001_quiet\""));
    assert!(html.contains("No hits."));
    assert!(html.contains("Not kept for this rule."));
    assert!(!html.contains("id=\"hits-1\""));
}

/// The `data-` figures of the timeline's `<svg>`.
fn timeline_figures(html: &str) -> (usize, usize, u64) {
    let svg = &html[html.find("<svg class=\"timeline\"").expect("a timeline")..];
    let figure = |name: &str| -> u64 {
        let key = format!("data-{name}=\"");
        let at = svg.find(&key).unwrap() + key.len();
        svg[at..at + svg[at..].find('"').unwrap()].parse().unwrap()
    };
    let marks = svg[..svg.find("</svg>").unwrap()]
        .matches("<rect class=\"mark\"")
        .count();
    assert_eq!(marks as u64, figure("marks"));
    (figure("lanes") as usize, marks, figure("hits"))
}

#[test]
fn timeline_lanes_and_marks() {
    let files = result(
        "000_files",
        "DeviceName",
        &[
            ("2026-06-20T10:00:00Z", "PC1.contoso.local", "a"),
            ("2026-06-20T10:00:01Z", "pc1.contoso.local", "b"),
            ("2026-06-21T10:00:00Z", "pc2.contoso.local", "c"),
            ("2026-06-21T10:00:00Z", "", "d"),
        ],
    );
    let dns = result(
        "001_dns",
        "Computer",
        &[("2026-06-20T10:00:00Z", "pc1.contoso.local", "x")],
    );
    let mut untimed = result("002_untimed", "DeviceName", &[("2026-06-20T10:00:00Z", "pc9", "z")]);
    untimed.rows[0].values[0] = Value::Null;
    let mut timeless = result("003_timeless", "DeviceName", &[("2026-06-20T10:00:00Z", "pc9", "z")]);
    timeless.columns[0] = column("Count", ColumnType::Long);
    timeless.rows[0].values[0] = Value::Long(3);

    let html = render(&[files, dns, untimed, timeless], &[], &[], None, None);
    let (lanes, marks, hits) = timeline_figures(&html);
    // pc1 (both spellings, one lane), pc2, and the row with no device.
    assert_eq!(lanes, 3);
    // pc1: 000 twice in one bucket (one mark) and 001 in the same bucket (another); pc2; (no device).
    assert_eq!(marks, 4);
    assert_eq!(hits, 5);
    assert!(html.contains("data-device=\"PC1.contoso.local\" data-count=\"2\""));
    assert!(html.contains("data-device=\"\" data-count=\"1\""));
    assert!(html.contains("Not drawn: 1 hit of rule 002_untimed with no time."));
    assert!(html.contains("Not drawn: the 1 hit of rule 003_timeless — its result has no Timestamp"));
    assert!(html.contains("000_files by <code>DeviceName</code>, 001_dns by <code>Computer</code>"));
}

#[test]
fn timeline_keeps_the_busiest_devices_and_merges_the_rest() {
    let owned: Vec<(String, String)> = (0..timeline::MAX_LANES + 10)
        .flat_map(|device| {
            // Device n has n + 1 hits, an hour apart.
            (0..=device).map(move |hour| {
                (
                    format!("2026-06-{:02}T{:02}:00:00Z", 1 + hour / 24, hour % 24),
                    format!("pc{device:03}"),
                )
            })
        })
        .collect();
    let rows: Vec<(&str, &str, &str)> = owned
        .iter()
        .map(|(time, device)| (time.as_str(), device.as_str(), "f"))
        .collect();
    let rule = result("000_many", "DeviceName", &rows);
    let total = rule.rows.len() as u64;
    let html = render(&[rule], &[], &[], None, None);
    let (lanes, _, hits) = timeline_figures(&html);
    assert_eq!(lanes, timeline::MAX_LANES);
    assert_eq!(hits, total);
    // The 11 quietest devices (pc000 to pc010) share the last lane.
    assert!(html.contains(">11 other devices<title>11 other devices — 66 hits</title>"));
    assert!(!html.contains(">pc010<"));
    assert!(html.contains(">pc011<"));
}

#[test]
fn a_long_query_is_kept_only_in_part() {
    let iocs: Vec<String> = (0..5000).map(|i| format!("\"{i:064x}\"")).collect();
    let rule = Rule::of_query(
        "big",
        "rules/big.kql",
        format!("DeviceFileEvents | where SHA256 in ({})", iocs.join(", ")),
    );
    let total = rule.query.chars().count();
    let info = RuleInfo::from(rule);
    assert_eq!(info.query.chars().count(), QUERY_SHOWN);
    assert_eq!(info.query_cut, total - QUERY_SHOWN);
    let html = render(&[result("big", "DeviceName", &[])], &[info], &[], None, None);
    assert!(html.contains(&format!(
        "… {} more characters in rules/big.kql</pre>",
        thousands((total - QUERY_SHOWN) as u64)
    )));
}
