//! The corpus of 179 real public hunting queries (`tests/kql-corpus/`, sources and licences in
//! its README): at least 80% must be accepted, and every accepted query must run to the end on
//! generated logs of every table — results or a clear error, never a panic.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use loghunt::plan::compile_rule;
use loghunt::rules::load_with_errors;
use loghunt::schema::{self, ColumnType};
use loghunt::time::parse_datetime;

const NOW: &str = "2026-06-21T00:00:00Z";

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kql-corpus")
}

/// Each corpus query with `None` when it compiles, or the first reason it is refused.
fn verdicts() -> BTreeMap<PathBuf, Option<String>> {
    let now = parse_datetime(NOW).unwrap();
    load_with_errors(&[corpus()])
        .into_iter()
        .filter(|(path, _)| path.extension().is_some_and(|e| e == "kql"))
        .map(|(path, rule)| {
            let verdict = match rule {
                Err(e) => Some(e.to_string()),
                Ok(rule) => compile_rule(&rule, now).err().map(|e| e.to_string()),
            };
            (path, verdict)
        })
        .collect()
}

#[test]
fn at_least_80_percent_of_the_corpus_is_accepted() {
    let verdicts = verdicts();
    assert_eq!(verdicts.len(), 179, "the corpus has 179 queries");
    let refused: Vec<String> = verdicts
        .iter()
        .filter_map(|(path, reason)| reason.as_ref().map(|r| format!("{}: {r}", path.display())))
        .collect();
    let accepted = verdicts.len() - refused.len();
    let share = accepted as f64 / verdicts.len() as f64;
    assert!(
        share >= 0.80,
        "{accepted} of {} accepted ({:.1}%); refused:\n{}",
        verdicts.len(),
        share * 100.0,
        refused.join("\n")
    );
}

/// A few rows of every known table, with values of each column's type that hunting queries
/// look for (hashes, paths, command lines, domains, IPs, JSON), as JSON lines under
/// `<dir>/<Table>/part.jsonl`, so that the table comes from the path.
fn generate_logs(dir: &Path) {
    let strings = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "d41d8cd98f00b204e9800998ecf8427e",
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        r"C:\Windows\System32\cmd.exe",
        "powershell.exe -nop -w hidden -enc SQBFAFgA",
        "evil.example.com",
        "203.0.113.7",
        "FileCreated",
        "",
        r#"{"DriveLetter":"E:","FileType":"Iso","Count":3}"#,
        "True",
        "user@contoso.com",
        "ws-17.contoso.local",
    ];
    for (t, table) in schema::tables().enumerate() {
        let folder = dir.join(&table.name);
        std::fs::create_dir_all(&folder).unwrap();
        let mut file = std::fs::File::create(folder.join("part.jsonl")).unwrap();
        for row in 0..12usize {
            let mut record = serde_json::Map::new();
            for (c, column) in table.columns.iter().enumerate() {
                let pick = (row * 7 + c * 3 + t) % strings.len();
                let value = match column.ty {
                    ColumnType::String => serde_json::json!(strings[pick]),
                    ColumnType::Long => serde_json::json!((row * 37 + c) % 500),
                    ColumnType::Real => serde_json::json!(row as f64 * 1.5),
                    ColumnType::Bool => serde_json::json!(row % 2 == 0),
                    ColumnType::DateTime => {
                        serde_json::json!(format!("2026-06-{:02}T{:02}:15:00.1234567Z", 10 + row % 10, row))
                    }
                    ColumnType::TimeSpan => serde_json::json!("01:30:00"),
                    ColumnType::Dynamic => {
                        serde_json::json!({"DriveLetter": "E:", "items": [1, "a"], "Name": strings[pick]})
                    }
                };
                if row % 5 != 4 || c % 3 != 0 {
                    record.insert(column.name.clone(), value);
                }
            }
            writeln!(file, "{}", serde_json::Value::Object(record)).unwrap();
        }
    }
}

#[test]
fn every_accepted_query_runs_on_generated_logs() {
    let logs = tempfile::tempdir().unwrap();
    generate_logs(logs.path());
    let external = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/external");
    let mut failures = Vec::new();
    let mut ran = 0;
    for (path, verdict) in verdicts() {
        if verdict.is_some() {
            continue;
        }
        ran += 1;
        let output = Command::new(env!("CARGO_BIN_EXE_loghunt"))
            .args(["query", "--now", NOW, "--threads", "2", "--format", "jsonl", "-q", "-f"])
            .arg(&path)
            .arg("--external-dir")
            .arg(&external)
            .arg(logs.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let code = output.status.code();
        // 0: nothing found, 1: results; 2 only with a clear error (no panic, no crash).
        let clean = matches!(code, Some(0 | 1)) || (code == Some(2) && stderr.contains("loghunt: error:"));
        if !clean || stderr.contains("panicked") {
            failures.push(format!("{}: exit {code:?}\n{stderr}", path.display()));
        }
    }
    assert!(ran > 100, "only {ran} accepted queries ran");
    assert!(
        failures.is_empty(),
        "{} of {ran} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
