//! The same rows in every export shape loghunt reads must give the same results: JSON lines
//! (LF, CRLF with a BOM), JSON arrays (pretty, compact), the Defender streaming API (Event Hub
//! message, storage-account lines), the Advanced Hunting and Graph APIs, the Log Analytics
//! query API (positional rows), ADX v2 frames, such documents one per line, portal CSV, and gzip
//! and zstd around them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Map, Value};

const IOC_SHA256: &str = "ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303";
const IOC_MD5: &str = "93e61d5a877bbb937e885d3ca385ac8a";

const COLUMNS: [&str; 8] = [
    "Timestamp",
    "DeviceName",
    "FileName",
    "FolderPath",
    "SHA1",
    "SHA256",
    "MD5",
    "InitiatingProcessFileName",
];

/// Results, near misses and ties, with the values that trip readers: escapes, nulls, commas.
fn rows() -> Vec<Map<String, Value>> {
    let row = |ts: Value, device: &str, file: &str, sha256: &str, md5: Value| {
        let values = [
            ts,
            json!(device),
            json!(file),
            json!(format!("C:\\Users\\bob\\Temp\\{file}")),
            json!("0000000000000000000000000000000000000000"),
            json!(sha256),
            md5,
            json!("explorer.exe"),
        ];
        COLUMNS
            .iter()
            .map(|c| c.to_string())
            .zip(values)
            .collect::<Map<String, Value>>()
    };
    vec![
        row(json!("2026-06-20T10:00:00Z"), "ws-1", "a.exe", IOC_SHA256, json!(null)),
        row(
            json!("2026-06-20T10:00:00.5Z"),
            "ws-2",
            "b, \"quoted\".exe",
            "11",
            json!(IOC_MD5),
        ),
        row(
            json!("2026-06-20T09:00:00Z"),
            "ws-3",
            "c.exe",
            &IOC_SHA256.to_uppercase(),
            json!("00"),
        ),
        row(json!(null), "ws-4", "d.exe", IOC_SHA256, json!("")),
        row(
            json!("2026-06-20T10:00:00.0000000Z"),
            "ws-5",
            "e\u{e9}.exe",
            IOC_SHA256,
            json!(null),
        ),
        row(json!("2026-06-20T08:00:00Z"), "ws-6", "f.exe", "22", json!("33")),
    ]
}

fn jsonl(rows: &[Map<String, Value>], newline: &str) -> String {
    rows.iter()
        .map(|r| format!("{}{newline}", Value::Object(r.clone())))
        .collect()
}

fn envelope(row: &Map<String, Value>) -> Value {
    json!({"time": "2026-06-20T11:00:00Z", "tenantId": "t", "operationName": "Publish",
           "category": "AdvancedHunting-DeviceFileEvents", "properties": row})
}

fn positional(rows: &[Map<String, Value>]) -> Vec<Value> {
    rows.iter()
        .map(|r| Value::Array(COLUMNS.iter().map(|c| r[*c].clone()).collect()))
        .collect()
}

/// An Azure-portal style export: BOM, CRLF, `[UTC]` on the datetime header, RFC 4180 quotes,
/// empty cells for nulls.
fn csv(rows: &[Map<String, Value>]) -> String {
    let cell = |value: &Value| match value {
        Value::Null => String::new(),
        Value::String(s) if s.contains([',', '"', '\n']) => format!("\"{}\"", s.replace('"', "\"\"")),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let header: Vec<String> = COLUMNS
        .iter()
        .map(|c| {
            if *c == "Timestamp" {
                "Timestamp [UTC]".to_string()
            } else {
                c.to_string()
            }
        })
        .collect();
    let mut text = format!("\u{feff}{}\r\n", header.join(","));
    for row in rows {
        text.push_str(&COLUMNS.iter().map(|c| cell(&row[*c])).collect::<Vec<_>>().join(","));
        text.push_str("\r\n");
    }
    text
}

fn compress_gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// `rows` split in two, each part made a document by `document` and written on a line of its
/// own: the first ending in LF, the second in CRLF.
fn per_line(rows: &[Map<String, Value>], document: impl Fn(&[Map<String, Value>]) -> Value) -> Vec<u8> {
    let (first, second) = rows.split_at(rows.len() / 2);
    format!("{}\n{}\r\n", document(first), document(second)).into_bytes()
}

/// Every shape, as (file name, bytes).
fn shapes() -> Vec<(&'static str, Vec<u8>)> {
    let rows = rows();
    let types: Vec<Value> = COLUMNS
        .iter()
        .map(|c| {
            if *c == "Timestamp" {
                json!("datetime")
            } else {
                json!("string")
            }
        })
        .collect();
    let array = Value::Array(rows.iter().cloned().map(Value::Object).collect());
    let schema = |name: &str, ty: &str| -> Vec<Value> {
        COLUMNS
            .iter()
            .zip(&types)
            .map(|(c, t)| json!({name: c, ty: t}))
            .collect()
    };
    vec![
        ("lines.jsonl", jsonl(&rows, "\n").into_bytes()),
        (
            "lines-crlf-bom.json",
            format!("\u{feff}{}", jsonl(&rows, "\r\n")).into_bytes(),
        ),
        ("array-pretty.json", serde_json::to_vec_pretty(&array).unwrap()),
        ("array-compact.json", serde_json::to_vec(&array).unwrap()),
        (
            "eventhub-message.json",
            serde_json::to_vec_pretty(&json!({"records": rows.iter().map(envelope).collect::<Vec<_>>()})).unwrap(),
        ),
        (
            "PT1H.json",
            rows.iter()
                .map(|r| format!("{}\r\n", envelope(r)))
                .collect::<String>()
                .into_bytes(),
        ),
        (
            "advanced-hunting.json",
            serde_json::to_vec_pretty(&json!({"Schema": schema("Name", "Type"), "Results": array})).unwrap(),
        ),
        (
            "graph.json",
            serde_json::to_vec(&json!({"@odata.context": "x", "schema": schema("name", "type"), "results": array}))
                .unwrap(),
        ),
        (
            "log-analytics.json",
            serde_json::to_vec_pretty(&json!({"tables": [{"name": "PrimaryResult",
                "columns": schema("name", "type"), "rows": positional(&rows)}]}))
            .unwrap(),
        ),
        (
            "adx-frames.json",
            serde_json::to_vec(&json!([
                {"FrameType": "DataSetHeader", "IsProgressive": false, "Version": "v2.0"},
                {"FrameType": "DataTable", "TableId": 0, "TableKind": "PrimaryResult", "TableName": "PrimaryResult",
                 "Columns": schema("ColumnName", "ColumnType"), "Rows": positional(&rows)},
                {"FrameType": "DataSetCompletion", "HasErrors": false, "Cancelled": false}
            ]))
            .unwrap(),
        ),
        // Documents one per line, as a consumer of Event Hubs or of the APIs writes what it
        // receives: the rows split over two documents, LF then CRLF.
        (
            "eventhub-lines.json",
            per_line(
                &rows,
                |rows| json!({"records": rows.iter().map(envelope).collect::<Vec<_>>()}),
            ),
        ),
        (
            "eventhub-lines.json.gz",
            compress_gzip(&per_line(
                &rows,
                |rows| json!({"records": rows.iter().map(envelope).collect::<Vec<_>>()}),
            )),
        ),
        (
            "graph-lines.json",
            per_line(&rows, |rows| {
                let results: Vec<Value> = rows.iter().cloned().map(Value::Object).collect();
                json!({"@odata.context": "x", "schema": schema("name", "type"), "results": results})
            }),
        ),
        (
            "log-analytics-lines.json",
            per_line(
                &rows,
                |rows| json!({"tables": [{"name": "PrimaryResult", "columns": schema("name", "type"), "rows": positional(rows)}]}),
            ),
        ),
        // Lines longer than the 64 KiB head that tells a file's shape: each response is
        // streamed, then hands the next line on. The padding follows the rows, as a Log
        // Analytics response's statistics and ADX's completion information do.
        (
            "log-analytics-long-lines.json",
            per_line(&rows, |rows| {
                json!({"tables": [{"name": "PrimaryResult", "columns": schema("name", "type"), "rows": positional(rows)}],
                       "statistics": {"query": {"text": "p".repeat(70_000)}}})
            }),
        ),
        (
            "adx-long-lines.json",
            per_line(&rows, |rows| {
                json!([
                    {"FrameType": "DataSetHeader", "IsProgressive": false, "Version": "v2.0"},
                    {"FrameType": "DataTable", "TableId": 0, "TableKind": "PrimaryResult", "TableName": "PrimaryResult",
                     "Columns": schema("ColumnName", "ColumnType"), "Rows": positional(rows)},
                    {"FrameType": "DataTable", "TableId": 1, "TableKind": "QueryCompletionInformation",
                     "TableName": "QueryCompletionInformation",
                     "Columns": [{"ColumnName": "Payload", "ColumnType": "string"}], "Rows": [["p".repeat(70_000)]]},
                    {"FrameType": "DataSetCompletion", "HasErrors": false, "Cancelled": false}
                ])
            }),
        ),
        ("portal.csv", csv(&rows).into_bytes()),
        ("portal.csv.gz", compress_gzip(csv(&rows).as_bytes())),
        ("lines.jsonl.gz", compress_gzip(jsonl(&rows, "\n").as_bytes())),
        (
            "array.json.zst",
            zstd::stream::encode_all(serde_json::to_vec(&array).unwrap().as_slice(), 3).unwrap(),
        ),
    ]
}

fn scan(path: &Path, extra: &[&str]) -> (Vec<Value>, String) {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/000_4a715f3ed2ee4353.txt");
    let output = Command::new(env!("CARGO_BIN_EXE_loghunt"))
        .args(["scan", "-r", rules.to_str().unwrap(), "--format", "jsonl"])
        .args(extra)
        .arg(path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{}: {stderr}", path.display());
    let rows = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["row"].clone())
        .collect();
    (rows, stderr)
}

#[test]
fn every_shape_gives_the_same_results() {
    let dir = tempfile::tempdir().unwrap();
    // The folder names the table, as Defender exports' folders do; the rows do not.
    let folder: PathBuf = dir.path().join("DeviceFileEvents");
    std::fs::create_dir_all(&folder).unwrap();
    let reference = {
        let path = folder.join("reference.jsonl");
        std::fs::write(&path, jsonl(&rows(), "\n")).unwrap();
        scan(&path, &[]).0
    };
    let timestamps: Vec<&Value> = reference.iter().map(|r| &r["Timestamp"]).collect();
    assert_eq!(
        timestamps,
        [
            &json!("2026-06-20T10:00:00.5000000Z"),
            &json!("2026-06-20T10:00:00Z"),
            &json!("2026-06-20T10:00:00Z"),
            &Value::Null
        ],
        "results ordered by Timestamp desc, ties in file order, null last"
    );
    assert_eq!(reference[1]["FileName"], "a.exe");
    assert_eq!(reference[2]["FileName"], "e\u{e9}.exe");
    for (name, bytes) in shapes() {
        let path = folder.join(name);
        std::fs::write(&path, bytes).unwrap();
        for extra in [&[][..], &["--no-prefilter"]] {
            let (rows, stderr) = scan(&path, extra);
            assert_eq!(rows, reference, "{name} {extra:?}");
            assert!(
                stderr.contains("records: 6 read = 4 matched + 2 not matched + 0 malformed"),
                "{name}: {stderr}"
            );
        }
    }
}

#[test]
fn storage_account_lines_on_the_fast_path_count_exactly_as_parsed() {
    // The fast path walks an envelope, then its `properties` row. Every way a line can differ
    // from a plain envelope must come out as the parser reads it: same rows, same summary.
    let dir = tempfile::tempdir().unwrap();
    // No table in the path: only the envelopes' `category` (or the rows) can tell it.
    let path = dir.path().join("export.jsonl");
    let first = rows()[0].clone();
    let mut lines: Vec<String> = rows().iter().map(|r| envelope(r).to_string()).collect();
    // Another table's envelope holding an IOC row: counted there, never a DeviceFileEvents result.
    lines.push(json!({"category": "AdvancedHunting-DnsEvents", "properties": first}).to_string());
    lines.push(json!({"category": "AdvancedHunting-NoSuchTable", "properties": first}).to_string());
    lines.push(json!({"category": "AdvancedHunting-", "properties": first}).to_string());
    // Azure resource logs share the envelope, but their category is no table: not unwrapped.
    lines.push(json!({"category": "AzureFirewallDnsProxy", "properties": first}).to_string());
    lines.push(json!({"category": "AdvancedHunting-DeviceFileEvents", "properties": "x"}).to_string());
    lines.push(json!({"properties": first}).to_string());
    // A row naming its own table, and one with a number the walk leaves to the parser.
    let mut typed = first.clone();
    typed.insert("Type".into(), json!("DnsEvents"));
    lines.push(envelope(&typed).to_string());
    let mut exponent = rows()[1].clone();
    exponent.insert("FileSize".into(), json!(1e30));
    lines.push(envelope(&exponent).to_string());
    // Escapes in the category, and a row that holds its own `properties`.
    let row = Value::Object(first.clone()).to_string();
    lines.push(format!(
        r#"{{"category":"AdvancedHunting\u002DDeviceFileEvents","properties":{row}}}"#
    ));
    let mut nested = rows()[2].clone();
    nested.insert("properties".into(), json!({"SHA256": IOC_SHA256}));
    lines.push(envelope(&nested).to_string());
    std::fs::write(&path, lines.join("\r\n")).unwrap();

    let summary = |stderr: &str| -> Vec<String> {
        // All but the first line, which holds the elapsed time.
        stderr.lines().skip(1).map(str::to_string).collect()
    };
    let (fast_rows, fast_stderr) = scan(&path, &[]);
    let (plain_rows, plain_stderr) = scan(&path, &["--no-prefilter"]);
    assert_eq!(fast_rows, plain_rows);
    assert_eq!(summary(&fast_stderr), summary(&plain_stderr), "{fast_stderr}");
    assert!(
        fast_stderr.contains("records: 16 read = 7 matched + 9 not matched + 0 malformed"),
        "{fast_stderr}"
    );
    let names: Vec<&Value> = fast_rows.iter().map(|r| &r["FileName"]).collect();
    // The four of the plain envelopes, the row with its own `Type` (the category wins), the one
    // with an exponent, and the escaped category; ordered by Timestamp desc, ties in file order.
    let (a, b, d, e) = ("a.exe", "b, \"quoted\".exe", "d.exe", "e\u{e9}.exe");
    assert_eq!(
        names,
        [b, b, a, e, a, a, d].map(|n| json!(n)).iter().collect::<Vec<_>>()
    );
}
