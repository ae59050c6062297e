//! Kusto semantics, one row per case: a `where` predicate, a record, and whether Sentinel would
//! return the record. Each case compiles the predicate with the real front end and planner and
//! evaluates it on the record as the plain path does; then it scans the record, written as a
//! JSON line, through the fast path (the raw-byte prefilter) and the plain path, plain and with
//! every string, and then every key too, written as `\u00XX` escapes that hide it from a
//! raw-byte search. All five must give the expected answer.

use std::fmt::Write as _;
use std::path::Path;

use loghunt::input::record::RecordRow;
use loghunt::plan::{compile_rule, Plan};
use loghunt::rules::load_text;
use loghunt::scan::{scan, ScanOptions};
use loghunt::time::parse_datetime;
use serde_json::{json, Value};

const NOW: &str = "2026-06-21T00:00:00Z";

fn compile(table: &str, lets: &str, predicate: &str) -> loghunt::plan::Pipeline {
    let query = format!("{lets}\n{table}\n| where {predicate}");
    let (rule, _) = load_text(Path::new("case.kql"), &query).expect("a .kql rule loads");
    let now = parse_datetime(NOW).unwrap();
    let (mut compiled, _) = compile_rule(&rule, now).unwrap_or_else(|e| panic!("`{predicate}` should compile: {e}"));
    assert!(
        matches!(compiled.output, loghunt::plan::Output::Pipeline),
        "`{predicate}` should take the fast path's compiler"
    );
    compiled.pipelines.remove(0)
}

fn holds(table: &str, lets: &str, predicate: &str, record: &Value) -> bool {
    let compiled = compile(table, lets, predicate);
    let fields = record.as_object().expect("records are objects");
    compiled
        .stream(&RecordRow {
            fields,
            table: compiled.table,
        })
        .is_some()
}

/// (predicate, record, expected) over DnsEvents.
fn dns_cases() -> Vec<(&'static str, Value, bool)> {
    vec![
        // The `has` term rule: ASCII letters and digits make terms; anything else separates.
        (r#"Name has "spapro.co.com""#, json!({"Name": "spapro.co.com"}), true),
        (r#"Name has "spapro.co.com""#, json!({"Name": "a.spapro.co.com"}), true),
        (r#"Name has "spapro.co.com""#, json!({"Name": "SPAPRO.CO.COM"}), true),
        (r#"Name has "spapro.co.com""#, json!({"Name": "spapro.co.com."}), true),
        (
            r#"Name has "spapro.co.com""#,
            json!({"Name": "spapro.co.com-cdn.net"}),
            true,
        ),
        (r#"Name has "spapro.co.com""#, json!({"Name": "x_spapro.co.com"}), true),
        (r#"Name has "spapro.co.com""#, json!({"Name": "myspapro.co.com"}), false),
        (
            r#"Name has "spapro.co.com""#,
            json!({"Name": "spapro.co.community"}),
            false,
        ),
        (r#"Name has "spapro.co.com""#, json!({"Name": "spapro.co.com9"}), false),
        (r#"Name has "spapro.co.com""#, json!({"Name": "spapro-co-com"}), false),
        (r#"Name has "co""#, json!({"Name": "spapro.co.com"}), true),
        (r#"Name has "pro""#, json!({"Name": "spapro.co.com"}), false),
        (r#"Name !has "pro""#, json!({"Name": "spapro.co.com"}), true),
        (
            r#"Name has_cs "spapro.co.com""#,
            json!({"Name": "SPAPRO.CO.COM"}),
            false,
        ),
        (
            r#"Name has_cs "SPAPRO.co.com""#,
            json!({"Name": "x.SPAPRO.co.com"}),
            true,
        ),
        (
            r#"Name !has_cs "SPAPRO.co.com""#,
            json!({"Name": "spapro.co.com"}),
            true,
        ),
        // has_any over a let list, a literal list and dynamic(); empty list matches nothing.
        ("Name has_any (domains)", json!({"Name": "cdn.moocow.my"}), true),
        ("Name has_any (domains)", json!({"Name": "moocow.myx"}), false),
        (
            r#"Name has_any ("a.example", "moocow.my")"#,
            json!({"Name": "MOOCOW.MY"}),
            true,
        ),
        (
            r#"Name has_any (dynamic(["zzz.test"]))"#,
            json!({"Name": "moocow.my"}),
            false,
        ),
        ("Name has_any (dynamic([]))", json!({"Name": "moocow.my"}), false),
        (r#"Name has_all ("moocow", "my")"#, json!({"Name": "moocow.my"}), true),
        (r#"Name has_all ("moocow", "net")"#, json!({"Name": "moocow.my"}), false),
        // JSON escapes are decoded before matching.
        (
            r#"Name has "moocow.my""#,
            serde_json::from_str(r#"{"Name": "moocow\u002emy"}"#).unwrap(),
            true,
        ),
        (
            r#"Name == "moocow.my""#,
            serde_json::from_str(r#"{"Name": "\u006doocow.my"}"#).unwrap(),
            true,
        ),
        // Null and missing strings read as "".
        (r#"Name == """#, json!({"Name": null}), true),
        (r#"Name == """#, json!({}), true),
        ("isempty(Name)", json!({}), true),
        ("isnotempty(Name)", json!({"Name": "x"}), true),
        ("isnotempty(Name)", json!({"Name": null}), false),
        ("Name in (domains)", json!({"Name": null}), false),
        ("Name !in (domains)", json!({}), true),
        // contains / startswith / endswith: ASCII case-insensitive, _cs exact.
        (r#"Name contains "PRO.CO""#, json!({"Name": "spapro.co.com"}), true),
        (r#"Name contains_cs "PRO.CO""#, json!({"Name": "spapro.co.com"}), false),
        (r#"Name !contains "xyz""#, json!({"Name": "spapro.co.com"}), true),
        (r#"Name !contains_cs "SPA""#, json!({"Name": "spapro.co.com"}), true),
        (r#"Name startswith "SPA""#, json!({"Name": "spapro.co.com"}), true),
        (r#"Name startswith_cs "SPA""#, json!({"Name": "spapro.co.com"}), false),
        (r#"Name !startswith "spa""#, json!({"Name": "spapro.co.com"}), false),
        (r#"Name endswith ".COM""#, json!({"Name": "spapro.co.com"}), true),
        (r#"Name endswith_cs ".COM""#, json!({"Name": "spapro.co.com"}), false),
        (r#"Name !endswith_cs ".COM""#, json!({"Name": "spapro.co.com"}), true),
        // Only ASCII letters fold.
        (r#"Name =~ "STRASSE""#, json!({"Name": "straße"}), false),
        (r#"Name =~ "ÉCOLE.FR""#, json!({"Name": "école.fr"}), false),
        (r#"Name =~ "ÉCOLE.FR""#, json!({"Name": "École.FR"}), true),
        // Equality: == exact, =~ ASCII case-insensitive.
        (r#"Name == "SPAPRO.CO.COM""#, json!({"Name": "spapro.co.com"}), false),
        (r#"Name != "SPAPRO.CO.COM""#, json!({"Name": "spapro.co.com"}), true),
        (r#"Name =~ "SPAPRO.CO.COM""#, json!({"Name": "spapro.co.com"}), true),
        (r#"Name !~ "SPAPRO.CO.COM""#, json!({"Name": "spapro.co.com"}), false),
        // Precedence: and binds tighter than or; not() is a function.
        (
            r#"Name == "a" or Name == "b" and QueryType == "A""#,
            json!({"Name": "a", "QueryType": "TXT"}),
            true,
        ),
        (
            r#"(Name == "a" or Name == "b") and QueryType == "A""#,
            json!({"Name": "a", "QueryType": "TXT"}),
            false,
        ),
        (
            r#"not(Name == "a") and QueryType == "A""#,
            json!({"Name": "b", "QueryType": "A"}),
            true,
        ),
        // Numbers and datetimes compare as values, not strings.
        ("ResultCode > 2", json!({"ResultCode": 10}), true),
        ("ResultCode > 2", json!({"ResultCode": "10"}), true),
        ("ResultCode == 10", json!({"ResultCode": 10.0}), true),
        ("ResultCode in (1, 10)", json!({"ResultCode": 10}), true),
        ("ResultCode !in (1, 10)", json!({"ResultCode": 3}), true),
        ("ResultCode > 2", json!({"ResultCode": null}), false),
        ("not(ResultCode > 2)", json!({"ResultCode": null}), false),
        ("ResultCode != 2", json!({}), true),
        ("isnull(ResultCode)", json!({}), true),
        (
            "TimeGenerated > datetime(2024-01-01T00:00:00Z)",
            json!({"TimeGenerated": "2024-01-01T00:00:00.5Z"}),
            true,
        ),
        (
            "TimeGenerated > datetime(2024-01-01T00:00:00.5)",
            json!({"TimeGenerated": "2024-01-01T00:00:00Z"}),
            false,
        ),
        (
            "TimeGenerated == datetime(2024-01-01)",
            json!({"TimeGenerated": "2024-01-01T00:00:00.0000000Z"}),
            true,
        ),
        (
            "TimeGenerated < datetime(2024-01-01 00:00:00.0000001)",
            json!({"TimeGenerated": "2024-01-01T00:00:00Z"}),
            true,
        ),
        (
            "TimeGenerated >= datetime(2024-01-01T02:00:00+02:00)",
            json!({"TimeGenerated": "2024-01-01T00:00:00Z"}),
            true,
        ),
        (
            "TimeGenerated > ago(1d)",
            json!({"TimeGenerated": "2026-06-20T00:00:01Z"}),
            true,
        ),
        (
            "TimeGenerated > ago(1d)",
            json!({"TimeGenerated": "2026-06-19T23:59:59Z"}),
            false,
        ),
        (
            "TimeGenerated <= now()",
            json!({"TimeGenerated": "2026-06-21T00:00:00Z"}),
            true,
        ),
        ("TimeGenerated > ago(1d)", json!({"TimeGenerated": "not a date"}), false),
        ("TimeGenerated > ago(1d)", json!({"TimeGenerated": null}), false),
    ]
}

#[test]
fn dns_events_semantics() {
    let lets = r#"let domains = dynamic(["www.mobile1.com", "spapro.co.com", "www.shbet.id", "moocow.my"]);"#;
    check_cases("DnsEvents", lets, dns_cases());
}

/// How a record is written for [`scanned`].
#[derive(Debug, Clone, Copy)]
enum Written {
    Plain,
    /// Every ASCII character of every string value as `\u00XX`.
    EscapedValues,
    /// Keys too.
    EscapedKeys,
}

fn escaped_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            c if c.is_ascii() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn write_json(value: &Value, written: Written) -> String {
    match (value, written) {
        (_, Written::Plain) => value.to_string(),
        (Value::String(text), _) => escaped_string(text),
        (Value::Array(items), _) => {
            let items: Vec<String> = items.iter().map(|v| write_json(v, written)).collect();
            format!("[{}]", items.join(","))
        }
        (Value::Object(fields), _) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|(key, v)| {
                    let key = match written {
                        Written::EscapedKeys => escaped_string(key),
                        _ => Value::String(key.clone()).to_string(),
                    };
                    format!("{key}:{}", write_json(v, written))
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        (other, _) => other.to_string(),
    }
}

/// Whether a scan of the record, written as one JSON line, returns it.
fn scanned(table: &str, lets: &str, predicate: &str, record: &Value, prefilter: bool, written: Written) -> bool {
    let query = format!("{lets}\n{table}\n| where {predicate}");
    let (rule, _) = load_text(Path::new("case.kql"), &query).expect("a .kql rule loads");
    let now = parse_datetime(NOW).unwrap();
    let plan = Plan::from_compiled(vec![compile_rule(&rule, now)]).expect("compiles");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.jsonl");
    let line = write_json(record, written);
    assert_eq!(
        serde_json::from_str::<Value>(&line).ok().as_ref(),
        Some(record),
        "{line} must read back as {record}"
    );
    std::fs::write(&path, format!("{line}\n")).unwrap();
    let files = loghunt::input::discover(&[path]).files;
    let options = ScanOptions {
        threads: 1,
        chunk_size: 1 << 16,
        table: loghunt::schema::table(table),
        prefilter,
        csv: Default::default(),
        now,
        max_memory: usize::MAX,
        progress: None,
    };
    let (hits, stats) = scan(&plan, &files, &options);
    assert_eq!((stats.records, stats.malformed), (1, 0), "{line}");
    !hits[0].is_empty()
}

/// Runs every case every way and reports all that fail, not just the first.
fn check_cases(table: &str, lets: &str, cases: Vec<(&str, Value, bool)>) {
    let mut failures = Vec::new();
    for (predicate, record, expected) in cases {
        if holds(table, lets, predicate, &record) != expected {
            failures.push(format!("`{predicate}` on {record} should be {expected}"));
        }
        for written in [Written::Plain, Written::EscapedValues, Written::EscapedKeys] {
            for prefilter in [true, false] {
                if scanned(table, lets, predicate, &record, prefilter, written) != expected {
                    failures.push(format!(
                        "`{predicate}` on {record} ({written:?}, prefilter {prefilter}) should be {expected}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn in_is_exact_and_case_sensitive() {
    let lets = r#"let hashes = dynamic(["ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303", ["93e61d5a877bbb937e885d3ca385ac8a"]]);"#;
    let sha = "ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303";
    let md5 = "93e61d5a877bbb937e885d3ca385ac8a";
    let cases: Vec<(&str, Value, bool)> = vec![
        ("SHA256 in (hashes)", json!({"SHA256": sha}), true),
        ("SHA256 in (hashes)", json!({"SHA256": sha.to_uppercase()}), false),
        ("SHA256 in~ (hashes)", json!({"SHA256": sha.to_uppercase()}), true),
        ("SHA256 !in (hashes)", json!({"SHA256": sha.to_uppercase()}), true),
        ("SHA256 !in~ (hashes)", json!({"SHA256": sha.to_uppercase()}), false),
        ("SHA256 in (hashes)", json!({"SHA256": format!("{sha} ")}), false),
        ("SHA256 in (hashes)", json!({"SHA256": &sha[1..]}), false),
        // Nested arrays in dynamic() are flattened.
        ("MD5 in (hashes)", json!({"MD5": md5}), true),
        ("MD5 in (hashes, \"x\")", json!({"MD5": "x"}), true),
        (r#"MD5 in (dynamic(["a", ["b", ["c"]]]))"#, json!({"MD5": "c"}), true),
        (
            "SHA256 in (hashes) or SHA1 in (hashes) or MD5 in (hashes)",
            json!({"SHA256": null, "MD5": md5}),
            true,
        ),
        (
            "SHA256 in (hashes) or SHA1 in (hashes) or MD5 in (hashes)",
            json!({"SHA256": "", "SHA1": "", "MD5": ""}),
            false,
        ),
        ("FileSize >= 100 and FileSize < 200", json!({"FileSize": 150}), true),
        (
            "FileSize == 9007199254740993",
            json!({"FileSize": 9007199254740993_i64}),
            true,
        ),
        (
            "IsAzureInfoProtectionApplied",
            json!({"IsAzureInfoProtectionApplied": true}),
            true,
        ),
        (
            "IsAzureInfoProtectionApplied",
            json!({"IsAzureInfoProtectionApplied": null}),
            false,
        ),
    ];
    check_cases("DeviceFileEvents", lets, cases);
}

/// A `dynamic([...])` of strings only is read whole and kept packed into the seed compiler's
/// sets: bound to a name, aliased, inline, and beside other values of a list, it means what the
/// same strings written one by one mean.
#[test]
fn packed_string_lists_are_the_lists_they_stand_for() {
    let lets = r#"let packed = dynamic(["a.exe", "B.exe", "", "c d"]); let alias = packed;"#;
    let cases: Vec<(&str, Value, bool)> = vec![
        ("FileName in (packed)", json!({"FileName": "a.exe"}), true),
        ("FileName in (packed)", json!({"FileName": "b.exe"}), false),
        ("FileName in~ (packed)", json!({"FileName": "b.EXE"}), true),
        ("FileName !in (packed)", json!({"FileName": "B.exe"}), false),
        ("FileName in (packed)", json!({"FileName": ""}), true),
        ("FileName in (alias)", json!({"FileName": "B.exe"}), true),
        (r#"FileName in (packed, "x.exe")"#, json!({"FileName": "x.exe"}), true),
        (r#"FileName in ("x.exe", packed)"#, json!({"FileName": "c d"}), true),
        (
            r#"FileName in (dynamic(["y.exe", "z.exe"]))"#,
            json!({"FileName": "z.exe"}),
            true,
        ),
        (
            r#"FileName in (dynamic(["y.exe"]), "w.exe")"#,
            json!({"FileName": "w.exe"}),
            true,
        ),
        (
            r#"FileName in (dynamic(["y.exe"]), "w.exe")"#,
            json!({"FileName": "a.exe"}),
            false,
        ),
        (
            r#"FileName has_any (dynamic(["c d", "zz"]))"#,
            json!({"FileName": "x c d e"}),
            true,
        ),
        (
            r#"FileName has_any (dynamic(["c d", "zz"]))"#,
            json!({"FileName": "cd"}),
            false,
        ),
    ];
    check_cases("DeviceFileEvents", lets, cases);
}

/// (query, expected error): compile errors name the position within the .kql file.
#[test]
fn compile_errors_name_the_rule_and_position() {
    let cases = [
        ("DeviceFileEvents\n| where sha256 == \"x\"", "case.kql:2:9: rule case: unknown column or name `sha256` (did you mean `SHA256`? column names are case-sensitive)"),
        ("DeviceFileEventz\n| take 1", "case.kql:1:1: rule case: unknown table or tabular name `DeviceFileEventz`"),
        ("DeviceFileEvents\n| where Timestamp > \"2024\"", "case.kql:2:9: rule case: cannot compare a datetime with a string using `>`"),
        ("DeviceFileEvents\n| project FileName\n| order by Timestamp", "case.kql:3:12: rule case: unknown column or name `Timestamp`"),
        ("DeviceFileEvents\n| where series_outliers(FileName) > 3", "case.kql:2:9: rule case: unsupported function `series_outliers`"),
        ("DeviceFileEvents\n| where FileName in (FolderPath)", "case.kql:2:22: rule case: a list of values is needed here, not the column `FolderPath`"),
    ];
    let now = parse_datetime(NOW).unwrap();
    for (query, expected) in cases {
        let (rule, _) = load_text(Path::new("case.kql"), query).unwrap();
        let error = compile_rule(&rule, now).expect_err(query).to_string();
        assert!(
            error.starts_with(expected),
            "{query:?}\n  got: {error}\n want: {expected}"
        );
    }
}
