//! Exclusions (`--exclude FILE`): the real binary over `sample-logs/` with the seed rules and an
//! allowlist — suppressed rows leave the results and the exit code but are counted per
//! exclusion, shown with `--show-excluded`, and tallied as suppressed; stale exclusions and
//! exclusions that do not apply are listed; bad files are errors naming file:line:column.

mod binary;

use std::process::Output;

use binary::{loghunt, stderr, write, NOW};
use serde_json::Value;

const FILE_RULE: &str = "000_4a715f3ed2ee4353";
const DNS_RULE: &str = "001_84b55028b3ede4ab";

fn scan(exclusions: &str, extra: &[&str]) -> (Output, Vec<Value>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "allow.txt", exclusions);
    let mut args = vec![
        "scan",
        "--rules",
        "rules",
        "sample-logs",
        "--now",
        NOW,
        "--exclude",
        path.to_str().unwrap(),
        "--color",
        "never",
    ];
    args.extend(extra);
    let output = loghunt(&args);
    let lines = String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Messages name the file by its path; make it stable.
    let err = stderr(&output).replace(path.to_str().unwrap(), "allow.txt");
    (output, lines, err)
}

const ALLOWLIST: &str = "\
# lab machines and known-good files
000_4a715f3ed2ee4353: FileName == \"notes.txt\"
table DnsEvents: Name endswith \".net\"
*: DeviceName startswith \"ws-hr\"

// stale: nothing matches it any more
001_84b55028b3ede4ab: Computer == \"decommissioned.contoso.local\"
retired_rule: FileName == \"x\"
";

#[test]
fn suppressed_rows_are_counted_shown_and_tallied() {
    let (output, lines, err) = scan(ALLOWLIST, &["--format", "jsonl", "--show-excluded", "--stats"]);
    assert_eq!(output.status.code(), Some(1), "{err}");
    let results: Vec<&Value> = lines.iter().filter(|l| l.get("row").is_some()).collect();
    let kept = |rule: &str| {
        results
            .iter()
            .filter(|l| l["rule"] == rule && l.get("excluded").is_none())
            .count()
    };
    let excluded = |rule: &str| {
        results
            .iter()
            .filter(|l| l["rule"] == rule && l.get("excluded").is_some())
            .count()
    };
    // 8 and 12 results without exclusions.
    assert_eq!((kept(FILE_RULE), excluded(FILE_RULE)), (4, 4));
    assert_eq!((kept(DNS_RULE), excluded(DNS_RULE)), (10, 2));
    // Each suppressed line names its exclusion, and is one the exclusion matches.
    for line in results.iter().filter(|l| l.get("excluded").is_some()) {
        let by = line["excluded"].as_str().unwrap();
        let row = &line["row"];
        let holds = if by.ends_with(":2: 000_4a715f3ed2ee4353: FileName == \"notes.txt\"") {
            row["FileName"] == "notes.txt"
        } else if by.ends_with(":3: table DnsEvents: Name endswith \".net\"") {
            row["Name"].as_str().unwrap().ends_with(".net")
        } else if by.ends_with(":4: *: DeviceName startswith \"ws-hr\"") {
            row["DeviceName"].as_str().unwrap().starts_with("ws-hr")
        } else {
            panic!("unexpected exclusion {by}")
        };
        assert!(holds, "{line}");
    }
    // No kept row matches an exclusion of its rule.
    for line in results.iter().filter(|l| l.get("excluded").is_none()) {
        let row = &line["row"];
        assert_ne!(row["FileName"], "notes.txt", "{line}");
        assert!(!row["Name"].as_str().unwrap_or_default().ends_with(".net"), "{line}");
        assert!(
            !row["DeviceName"].as_str().unwrap_or_default().starts_with("ws-hr"),
            "{line}"
        );
    }
    // The summary: per exclusion, stale ones and where one does not apply.
    let expected = "\
results:
  000_4a715f3ed2ee4353: 4
  001_84b55028b3ede4ab: 10
exclusions: 6 result rows suppressed by 5 exclusions
  allow.txt:2: 000_4a715f3ed2ee4353: FileName == \"notes.txt\": suppressed 2 (000_4a715f3ed2ee4353: 2)
  allow.txt:3: table DnsEvents: Name endswith \".net\": suppressed 2 (001_84b55028b3ede4ab: 2)
  allow.txt:4: *: DeviceName startswith \"ws-hr\": suppressed 2 (000_4a715f3ed2ee4353: 2)
    not applied to rule 001_84b55028b3ede4ab: no column `DeviceName`
  allow.txt:7: 001_84b55028b3ede4ab: Computer == \"decommissioned.contoso.local\": suppressed nothing
  allow.txt:8: retired_rule: FileName == \"x\": suppressed nothing
    matches no rule of this scan
";
    assert!(err.ends_with(expected), "{err}");
    // The tallies count suppressed hits apart: `notes.txt` was the only hit of the MD5 IOC.
    let md5 = lines
        .iter()
        .filter_map(|l| l.get("stats"))
        .find(|s| s["value"] == "93e61d5a877bbb937e885d3ca385ac8a")
        .unwrap();
    assert_eq!((md5["hits"].as_u64(), md5["suppressed"].as_u64()), (Some(0), Some(1)));
    assert_eq!(md5["first"], Value::Null);
}

#[test]
fn suppressed_rows_do_not_make_the_exit_code_1() {
    let (output, lines, err) = scan("*: true\n", &["--format", "jsonl"]);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(lines.is_empty());
    assert!(
        err.contains("exclusions: 20 result rows suppressed by 1 exclusion"),
        "{err}"
    );
    // A null (no time) is not true: that row stays.
    let (output, lines, _) = scan(
        "000_4a715f3ed2ee4353: Timestamp > datetime(2000-01-01)\n",
        &["--format", "jsonl"],
    );
    assert_eq!(output.status.code(), Some(1));
    let kept: Vec<&Value> = lines.iter().filter(|l| l["rule"] == FILE_RULE).collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["row"]["Timestamp"], Value::Null);
}

#[test]
fn bad_exclusion_files_are_errors_naming_file_line_and_column() {
    // (file, what stderr must contain)
    let cases: &[(&str, &str)] = &[
        ("\n000_4a715f3ed2ee4353: SHA1 == \"x\"\n", "allow.txt:2:23: rule 000_4a715f3ed2ee4353: its result has no column `SHA1` (its columns: Timestamp, DeviceName, FileName, FolderPath, SHA256, InitiatingProcessFileName)"),
        ("*: FileName ==\n", "allow.txt:1:15: expected an expression"),
        ("FileName == \"a\"\n", "allow.txt:1:1: expected `SCOPE: PREDICATE`"),
        ("table NoSuchTable: x == 1\n", "allow.txt:1:1: unknown table `NoSuchTable`"),
        ("000_4a715f3ed2ee4353: FileName\n", "allow.txt:1:23: rule 000_4a715f3ed2ee4353: an exclusion must be a condition, but this is a string"),
        ("*: DeviceName == \"a\" | take 1\n", "allow.txt:1:4: an exclusion is one condition"),
    ];
    for (text, message) in cases {
        let (output, lines, err) = scan(text, &["--format", "jsonl"]);
        assert_eq!(output.status.code(), Some(2), "{text:?}: {err}");
        assert!(lines.is_empty(), "{text:?}: nothing is scanned");
        assert!(err.contains(message), "{text:?}:\n{err}");
    }
}

#[test]
fn show_excluded_needs_jsonl_and_an_exclusion_file() {
    let (output, _, err) = scan("*: true\n", &["--show-excluded"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(err.contains("--show-excluded needs --format jsonl"), "{err}");
    let output = loghunt(&[
        "scan",
        "--rules",
        "rules",
        "sample-logs",
        "--show-excluded",
        "--format",
        "jsonl",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--exclude"), "{}", stderr(&output));
}

#[test]
fn query_takes_exclusions_over_its_own_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "allow.txt", "query: n < 3\n");
    let output = loghunt(&[
        "query",
        "DnsEvents | summarize n = count() by Computer",
        "sample-logs",
        "--exclude",
        path.to_str().unwrap(),
        "--format",
        "jsonl",
        "--show-excluded",
        "-q",
    ]);
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!lines.is_empty());
    for line in &lines {
        let small = line["row"]["n"].as_i64().unwrap() < 3;
        assert_eq!(line.get("excluded").is_some(), small, "{line}");
    }
}
