//! The real binary, end to end: the seed rules over `sample-logs/` against golden outputs,
//! determinism across thread counts and chunk sizes, exit codes, and bad input that must be
//! reported without losing the rest. Golden files are rewritten with `LOGHUNT_BLESS=1`.

mod binary;

use std::path::{Path, PathBuf};
use std::process::Output;

use binary::{loghunt, repo, stderr, stdout, NOW};
use serde::Deserialize;

fn scan_samples(format: &str, extra: &[&str]) -> Output {
    let mut args = vec!["scan", "--rules", "rules", "--now", NOW, "--format", format];
    args.extend_from_slice(extra);
    args.push("sample-logs");
    loghunt(&args)
}

fn assert_golden(name: &str, actual: &str) {
    let path = repo().join("tests/golden").join(name);
    if std::env::var_os("LOGHUNT_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing: run with LOGHUNT_BLESS=1", path.display()));
    assert!(
        expected == actual,
        "output differs from {}:\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

/// The JSON lines contract, decoded into the test's own types so that a change of the wire
/// format fails here.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    rule: String,
    row: serde_json::Map<String, serde_json::Value>,
    title: Option<String>,
    file: String,
    line: u64,
}

fn lines(output: &Output) -> Vec<Line> {
    stdout(output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn seed_rules_find_exactly_the_planted_records_in_order() {
    let output = scan_samples("jsonl", &[]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "results found: exit 1\n{}",
        stderr(&output)
    );
    let lines = lines(&output);

    // sample-logs/make_samples.py plants these; the order is `order by Timestamp desc` (nulls
    // last, ties in file order) and `order by TimeGenerated desc`.
    let files: Vec<String> = lines
        .iter()
        .filter(|l| l.rule == "000_4a715f3ed2ee4353")
        .map(|l| l.row["SHA256"].as_str().unwrap().to_string() + "|" + l.row["Timestamp"].as_str().unwrap_or("null"))
        .collect();
    let timestamps: Vec<&str> = files.iter().map(|f| f.split('|').nth(1).unwrap()).collect();
    assert_eq!(
        timestamps,
        [
            "2026-06-20T12:00:00Z",
            "2026-06-20T11:00:00Z",
            "2026-06-20T10:15:00.5000000Z",
            "2026-06-20T10:15:00.1234567Z",
            "2026-06-20T10:15:00Z",
            "2026-06-20T10:15:00Z",
            "2026-06-20T09:00:00Z",
            "null",
        ]
    );
    let first = lines.iter().find(|l| l.rule == "000_4a715f3ed2ee4353").unwrap();
    let columns: Vec<&str> = first.row.keys().map(String::as_str).collect();
    assert_eq!(
        columns,
        [
            "Timestamp",
            "DeviceName",
            "FileName",
            "FolderPath",
            "SHA256",
            "InitiatingProcessFileName"
        ]
    );
    assert_eq!(
        first.row["SHA256"], "ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303",
        "the \\u0065 escape is decoded in the output too"
    );
    assert_eq!(first.title.as_deref(), Some("ThreatFox: Nanocore RAT IOCs"));
    assert!(first.file.ends_with("part-0000.jsonl") && first.line > 0);

    let dns: Vec<&str> = lines
        .iter()
        .filter(|l| l.rule == "001_84b55028b3ede4ab")
        .map(|l| l.row["Name"].as_str().unwrap())
        .collect();
    assert_eq!(
        dns,
        [
            "moocow.my_x",
            "moocow.my.example.net",
            "www.shbet.id",
            "moocow.my",
            "cdn.www.mobile1.com",
            "spapro.co.com-cdn.net",
            "spapro.co.com.",
            "SPAPRO.CO.COM",
            "a.spapro.co.com",
            "spapro.co.com",
            "api.moocow.my",
            "WWW.MOBILE1.COM",
        ]
    );
    let dns_columns: Vec<&str> = lines
        .iter()
        .find(|l| l.rule.starts_with("001"))
        .unwrap()
        .row
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        dns_columns,
        ["TimeGenerated", "Computer", "Name", "IPAddresses", "QueryType"]
    );
    assert_golden("sample.jsonl", &stdout(&output));
}

#[test]
fn table_and_csv_outputs_are_golden() {
    let table = scan_samples("table", &[]);
    assert_eq!(table.status.code(), Some(1));
    assert_golden("sample.table.txt", &stdout(&table));
    let csv = scan_samples("csv", &[]);
    assert_eq!(csv.status.code(), Some(1));
    assert_golden("sample.csv", &stdout(&csv));
}

#[test]
fn summary_accounts_for_every_record() {
    let output = scan_samples("jsonl", &[]);
    let err = stderr(&output);
    assert!(
        err.contains("records: 104 read = 20 matched + 84 not matched + 0 malformed"),
        "{err}"
    );
    assert!(err.contains("  DeviceFileEvents: 54 records (scanned)"), "{err}");
    assert!(err.contains("  DnsEvents: 49 records (scanned)"), "{err}");
    assert!(
        err.contains("  SecurityEvent: 1 records (skipped: no rule reads this table)"),
        "{err}"
    );
    assert!(
        err.contains("  000_4a715f3ed2ee4353: 8\n  001_84b55028b3ede4ab: 12"),
        "{err}"
    );
}

#[test]
fn output_is_identical_across_threads_and_chunk_sizes() {
    for format in ["jsonl", "csv", "table"] {
        let reference = stdout(&scan_samples(format, &["--threads", "1"]));
        for extra in [
            &["--threads", "4"][..],
            &["--threads", "2", "--chunk-size", "100"],
            &["--threads", "3", "--chunk-size", "1"],
        ] {
            assert_eq!(
                stdout(&scan_samples(format, extra)),
                reference,
                "{format} with {extra:?}"
            );
        }
    }
}

/// The fast path (prefilter) and the plain evaluator must agree on every output byte and on
/// the summary's accounting.
#[test]
fn the_prefilter_changes_nothing_but_speed() {
    let accounting = |output: &Output| -> Vec<String> {
        stderr(output)
            .lines()
            .filter(|l| !l.starts_with("loghunt: "))
            .map(str::to_string)
            .collect()
    };
    for format in ["jsonl", "csv", "table"] {
        let fast = scan_samples(format, &[]);
        let plain = scan_samples(format, &["--no-prefilter"]);
        assert_eq!(stdout(&fast), stdout(&plain), "{format}");
        assert_eq!(accounting(&fast), accounting(&plain), "{format}");
    }
}

/// Files whose paths name no table, with records that carry no `Type`: only the columns tell
/// the table. The fast path tells it from the keys its walk lists, without parsing; it must
/// agree with the parser record for record.
#[test]
fn tables_told_by_columns_alone_agree_with_the_parser() {
    let dir = tempfile::tempdir().unwrap();
    let mut mixed = Vec::new();
    let mut sources = Vec::new();
    for (from, to) in [
        (
            "sample-logs/DeviceFileEvents/2026-06-20/part-0000.jsonl",
            "export-1.jsonl",
        ),
        // A few columns of DeviceNetworkEvents, which several schemas hold.
        (
            "tests/fixtures/iocs-logs/DeviceNetworkEvents/part.jsonl",
            "export-2.jsonl",
        ),
    ] {
        let text = std::fs::read(repo().join(from)).unwrap();
        std::fs::write(dir.path().join(to), &text).unwrap();
        mixed.extend_from_slice(&text);
        sources.push(String::from_utf8(text).unwrap());
    }
    // One file of both, record after record; and a record no schema holds.
    mixed.extend_from_slice(b"{\"NoSuchColumn\":\"x\"}\n");
    std::fs::write(dir.path().join("export-mixed.jsonl"), &mixed).unwrap();
    // And one of both a line at a time: each file record, the next one (the same keys), the
    // first's first three columns alone (the same keys as far as they go), a network record.
    // The walk's memo of the last keys changes and comes back every few lines; a record with
    // the memo's keys, or the first of them only, must not be taken for one with all of them.
    let (files, networks): (Vec<&str>, Vec<&str>) = (sources[0].lines().collect(), sources[1].lines().collect());
    let mut interleaved = String::new();
    for (at, file) in files.iter().enumerate() {
        let head: Vec<&str> = file.splitn(4, ",\"").take(3).collect();
        let (next, network) = (files[(at + 1) % files.len()], networks[at % networks.len()]);
        interleaved += &format!("{file}\n{next}\n{}}}\n{network}\n", head.join(",\""));
    }
    std::fs::write(dir.path().join("export-interleaved.jsonl"), &interleaved).unwrap();
    let logs = dir.path().to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["scan", "--rules", "rules", "--now", NOW, "--format", "jsonl", "-j", "1"];
        args.extend_from_slice(extra);
        args.push(logs);
        loghunt(&args)
    };
    let (fast, plain) = (run(&[]), run(&["--no-prefilter"]));
    assert_eq!(stdout(&fast), stdout(&plain));
    let accounting = |output: &Output| -> Vec<String> {
        stderr(output)
            .lines()
            .filter(|l| !l.contains(" in ") || l.contains("records"))
            .filter(|l| !l.starts_with("scanned ") && !l.starts_with("loghunt: "))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(accounting(&fast), accounting(&plain));
    let summary = stderr(&fast);
    assert!(
        summary.contains("  DeviceFileEvents: 216 records (scanned)"),
        "{summary}"
    );
    assert!(summary.contains("(unknown table): 1 records"), "{summary}");
    // The three columns alone are another table's (by both paths, compared above).
    assert!(summary.contains("  DeviceTvmInfoGathering: 54 records"), "{summary}");
    // All four copies of each seed-rule hit are found: the table was told right.
    assert!(summary.contains("  000_4a715f3ed2ee4353: 32"), "{summary}");
}

/// The summary on stderr, whole, against a golden file: what a responder reads first. Over the
/// samples plus a file with a malformed line and a truncated array, with an exclusion that
/// suppresses a row and one that suppresses nothing. Only the elapsed time, the speed and the
/// temporary directory are normalised.
#[test]
fn the_summary_is_golden() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("DnsEvents-bad.jsonl");
    std::fs::write(
        &bad,
        format!(
            "{}\n{{\"Name\": broken\n{}\n",
            dns("a.example", 1),
            dns("www.shbet.id", 2)
        ),
    )
    .unwrap();
    let cut = dir.path().join("DnsEvents-cut.json");
    std::fs::write(
        &cut,
        format!("[{},\n{}", dns("b.example", 3), &dns("c.example", 4)[..20]),
    )
    .unwrap();
    let allow = dir.path().join("allow.txt");
    std::fs::write(
        &allow,
        "# a test file server\n000_4a715f3ed2ee4353: DeviceName == \"srv-file-01.contoso.local\"\n\
         *: DeviceName == \"never.contoso.local\"\n",
    )
    .unwrap();
    let tmp = dir.path().to_str().unwrap();
    let output = loghunt(&[
        "scan",
        "--rules",
        "rules",
        "--now",
        NOW,
        "--format",
        "jsonl",
        "--exclude",
        allow.to_str().unwrap(),
        "sample-logs",
        bad.to_str().unwrap(),
        cut.to_str().unwrap(),
    ]);
    let summary = stderr(&output).replace(tmp, "<tmp>");
    let timing = summary.find(" in ").zip(summary.find(" MB/s)"));
    let summary = match timing {
        Some((start, end)) if start < end => {
            format!(
                "{} in <elapsed> (<speed>){}",
                &summary[..start],
                &summary[end + " MB/s)".len()..]
            )
        }
        _ => panic!("no elapsed time in the summary's first line:\n{summary}"),
    };
    assert_golden("sample.summary.txt", &summary);
}

#[test]
fn exit_codes() {
    // Nothing found: 0.
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("DnsEvents.jsonl");
    std::fs::write(
        &clean,
        "{\"Name\":\"www.bing.com\",\"TimeGenerated\":\"2026-01-01T00:00:00Z\"}\n",
    )
    .unwrap();
    let output = loghunt(&["scan", "--rules", "rules", "--now", NOW, clean.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Bad arguments: 2.
    let output = loghunt(&["scan", "--rules", "rules", "--threads", "0", "sample-logs"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--threads must be at least 1"));
    // An input that cannot be read: 2, and the rest is still scanned and printed.
    let output = loghunt(&[
        "scan",
        "--rules",
        "rules",
        "--now",
        NOW,
        "--format",
        "jsonl",
        "no/such/file.jsonl",
        "sample-logs",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("loghunt: error: no/such/file.jsonl: cannot read"),
        "{}",
        stderr(&output)
    );
    assert_eq!(lines(&output).len(), 20);
}

/// One rule over one log file, results as JSON lines.
fn scan_jsonl(rule: &Path, logs: &Path) -> Output {
    loghunt(&[
        "scan",
        "-r",
        rule.to_str().unwrap(),
        "--format",
        "jsonl",
        logs.to_str().unwrap(),
    ])
}

fn write_rule(dir: &Path, name: &str, query: &str) -> PathBuf {
    binary::write(dir, name, query)
}

#[test]
fn a_rule_that_cannot_compile_is_an_error_naming_rule_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let rule = write_rule(
        dir.path(),
        "counts.kql",
        "// counts\nDnsEvents\n| where Name has \"x\"\n| make-series count() on TimeGenerated step 1h\n",
    );
    let output = loghunt(&["scan", "--rules", rule.to_str().unwrap(), "sample-logs"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains(&format!(
            "{}:4:3: rule counts: unsupported operator `make-series`",
            rule.display()
        )),
        "{err}"
    );
    assert!(stdout(&output).is_empty());
}

/// Flags are checked before any work: a bad `--tz` is refused by the command line, not found
/// after the rules are loaded (here a rule that would fail to compile).
#[test]
fn a_bad_time_zone_is_refused_before_any_rule_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let rule = write_rule(
        dir.path(),
        "broken.kql",
        "DnsEvents\n| make-series count() on TimeGenerated step 1h\n",
    );
    let output = loghunt(&[
        "scan",
        "--rules",
        rule.to_str().unwrap(),
        "--tz",
        "+25:00",
        "sample-logs",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("invalid value '+25:00' for '--tz <OFFSET>'")
            && err.contains("--tz: `+25:00` is not a UTC offset (try +02:00, -0500 or UTC)"),
        "{err}"
    );
    assert!(!err.contains("make-series"), "{err}");
}

#[test]
fn a_document_without_a_query_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let rule = write_rule(
        dir.path(),
        "empty.txt",
        "IOC Summary\nMalware Family: X Total IOCs: 0\n",
    );
    let output = loghunt(&["scan", "--rules", rule.to_str().unwrap(), "sample-logs"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(&rule.display().to_string()),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_reported_rule_error_does_not_depend_on_which_worker_finished_first() {
    // Rules are read and compiled in parallel; the error reported is still the first unreadable
    // source in file order, else the first rule in id order that cannot compile, else nothing.
    let dir = tempfile::tempdir().unwrap();
    write_rule(
        dir.path(),
        "a_bad.kql",
        "DnsEvents\n| make-series count() on TimeGenerated step 1h\n",
    );
    write_rule(dir.path(), "b_bad.kql", "DnsEvents\n| where Nope == 1\n");
    let empty = write_rule(dir.path(), "c_empty.txt", "   \n");
    write_rule(dir.path(), "d_good.kql", "DnsEvents\n| where Name has \"x\"\n");
    let dir_arg = dir.path().to_str().unwrap();
    for threads in ["1", "2", "4"] {
        let scan = |rules: &[&str]| {
            let mut args = vec!["scan", "--threads", threads];
            for rule in rules {
                args.extend(["--rules", rule]);
            }
            args.push("sample-logs");
            loghunt(&args)
        };
        let output = scan(&[dir_arg]);
        assert_eq!(output.status.code(), Some(2));
        let err = stderr(&output);
        assert!(
            err.contains(&format!("{}: the document is empty", empty.display())),
            "{err}"
        );
        assert!(!err.contains("make-series"), "{err}");
        std::fs::remove_file(&empty).unwrap();
        let output = scan(&[dir_arg]);
        let err = stderr(&output);
        assert!(err.contains("rule a_bad: unsupported operator `make-series`"), "{err}");
        assert!(!err.contains("Nope"), "{err}");
        std::fs::write(&empty, "   \n").unwrap();
    }
}

const DNS_RULE: &str =
    "DnsEvents\n| where Name has_any (\"moocow.my\")\n| project TimeGenerated, Name\n| order by TimeGenerated asc\n";

fn dns(name: &str, minute: u32) -> String {
    format!("{{\"TimeGenerated\":\"2026-05-27T08:{minute:02}:00Z\",\"Name\":\"{name}\",\"Type\":\"DnsEvents\"}}")
}

#[test]
fn a_malformed_line_in_the_middle_is_reported_and_the_rest_still_found() {
    let dir = tempfile::tempdir().unwrap();
    let rule = write_rule(dir.path(), "moo.kql", DNS_RULE);
    let logs = dir.path().join("logs.jsonl");
    let text = [
        dns("a.moocow.my", 1),
        "{\"TimeGenerated\":\"2026-05-27T08:02:00Z\",\"Name\":\"b.moocow.my\"".into(),
        dns("c.moocow.my", 3),
    ]
    .join("\n");
    std::fs::write(&logs, text).unwrap();
    let output = scan_jsonl(&rule, &logs);
    assert_eq!(
        output.status.code(),
        Some(1),
        "malformed records alone do not fail the scan"
    );
    let names: Vec<String> = lines(&output)
        .iter()
        .map(|l| l.row["Name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["a.moocow.my", "c.moocow.my"]);
    let err = stderr(&output);
    assert!(
        err.contains("records: 3 read = 2 matched + 0 not matched + 1 malformed"),
        "{err}"
    );
    assert!(
        err.contains(&format!("{}:2:", logs.display())),
        "names file and line: {err}"
    );
    assert!(err.contains("EOF while parsing an object"), "{err}");
}

#[test]
fn a_non_utf8_line_is_malformed_and_the_rest_still_found() {
    let dir = tempfile::tempdir().unwrap();
    let rule = write_rule(dir.path(), "moo.kql", DNS_RULE);
    let logs = dir.path().join("logs.jsonl");
    let mut bytes = dns("a.moocow.my", 1).into_bytes();
    bytes.extend_from_slice(b"\n{\"Name\":\"b.moocow.my\xff\xfe\",\"Type\":\"DnsEvents\"}\n");
    bytes.extend_from_slice(dns("c.moocow.my", 3).as_bytes());
    std::fs::write(&logs, bytes).unwrap();
    let output = scan_jsonl(&rule, &logs);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(lines(&output).len(), 2);
    let err = stderr(&output);
    assert!(
        err.contains("1 malformed") && err.contains(&format!("{}:2:", logs.display())),
        "{err}"
    );
}

#[test]
fn an_empty_file_is_zero_records_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let rule = write_rule(dir.path(), "moo.kql", DNS_RULE);
    let empty = dir.path().join("DnsEvents-empty.json");
    std::fs::write(&empty, "").unwrap();
    let output = loghunt(&["scan", "-r", rule.to_str().unwrap(), empty.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("records: 0 read"));
}

#[test]
fn a_truncated_json_array_keeps_its_whole_records_and_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let rule = write_rule(dir.path(), "moo.kql", DNS_RULE);
    let logs = dir.path().join("export.json");
    let text = format!(
        "[\n  {},\n  {},\n  {{\"TimeGenerated\": \"2026-05-27T08:09:00Z\", \"Na",
        dns("a.moocow.my", 1),
        dns("b.example.com", 2)
    );
    std::fs::write(&logs, text).unwrap();
    let output = scan_jsonl(&rule, &logs);
    assert_eq!(
        output.status.code(),
        Some(2),
        "a file not fully read makes the exit code 2"
    );
    assert_eq!(
        lines(&output).len(),
        1,
        "the whole records before the cut are still scanned"
    );
    let err = stderr(&output);
    assert!(
        err.contains("records: 3 read = 1 matched + 1 not matched + 1 malformed"),
        "{err}"
    );
    assert!(err.contains(&format!("{}:4: record cut off", logs.display())), "{err}");
    assert!(
        err.contains("files not fully read: 1") && err.contains("the JSON array is cut off"),
        "{err}"
    );
}

#[test]
fn a_json_array_on_one_line_orders_ties_by_position() {
    let dir = tempfile::tempdir().unwrap();
    let rule = write_rule(dir.path(), "moo.kql", DNS_RULE);
    let logs = dir.path().join("export.json");
    std::fs::write(
        &logs,
        format!(
            "[{},{},{}]",
            dns("z.moocow.my", 5),
            dns("a.moocow.my", 5),
            dns("m.moocow.my", 1)
        ),
    )
    .unwrap();
    let output = scan_jsonl(&rule, &logs);
    let names: Vec<String> = lines(&output)
        .iter()
        .map(|l| l.row["Name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["m.moocow.my", "z.moocow.my", "a.moocow.my"]);
}

#[test]
fn rules_command_lists_what_the_seeds_hold() {
    let output = loghunt(&["rules", "rules", "--now", NOW]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.contains("000_4a715f3ed2ee4353\n"), "{out}");
    assert!(
        out.contains("  indicators: 18\n") && out.contains("  indicators: 4\n"),
        "{out}"
    );
    assert!(out.contains("  table: DnsEvents\n"), "{out}");
    // Every field the listing keeps of a rule.
    for line in [
        "  source: rules/000_4a715f3ed2ee4353.txt\n",
        "  title: ThreatFox: Nanocore RAT IOCs\n",
        "  family: Nanocore RAT\n",
        "  false-positive scenarios: 5\n",
        "    - Scheduled system backup using Veeam Backup & Replication\n",
    ] {
        assert!(out.contains(line), "{line:?} missing from {out}");
    }
    assert!(
        stderr(&output).is_empty(),
        "the seeds load without warnings: {}",
        stderr(&output)
    );
}

#[test]
fn inconsistent_documents_load_with_warnings_naming_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let seed = std::fs::read_to_string(repo().join("rules/000_4a715f3ed2ee4353.txt")).unwrap();
    let document = seed
        .replace(
            "\"9c9b962deead54c4364d378324e1f4ec603ab81c\"]",
            "\"9c9b962deead54c4364d378324e1f4ec603ab81c\", \"deadbeef00000000000000000000000000000000\"]",
        )
        .replace(
            "| md5_hash | 93e61d5a877bbb937e885d3ca385ac8a |",
            "| md5_hash | 93e61d5a877bbb937e885d3ca385ac8 |",
        )
        .replace("Total IOCs: 18", "Total IOCs: 19");
    let rule = write_rule(dir.path(), "drifted.txt", &document);
    let output = loghunt(&["rules", rule.to_str().unwrap()]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "warnings do not stop a rule: {}",
        stderr(&output)
    );
    let err = stderr(&output);
    for expected in [
        "loghunt: warning: rule drifted: md5_hash `93e61d5a877bbb937e885d3ca385ac8` has 31 hex digits, expected 32",
        "loghunt: warning: rule drifted: summary says Total IOCs: 19 but the IOC table has 18 rows",
        "loghunt: warning: rule drifted: 1 IOC table value(s) missing from the query's lists, so the query will not find them: `93e61d5a877bbb937e885d3ca385ac8`",
        "loghunt: warning: rule drifted: 2 value(s) in the query's lists are not in the IOC table: `93e61d5a877bbb937e885d3ca385ac8a`, `deadbeef00000000000000000000000000000000`",
    ] {
        assert!(err.contains(expected), "missing `{expected}` in:\n{err}");
    }
}
