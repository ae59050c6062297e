//! `loghunt gen` end to end: generated rule documents load without warnings, the real binary's
//! scan of generated exports returns exactly the result counts of `PATH.expected.json` for every
//! rule, and the planted rows and near misses are in the data where the generator says.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use loghunt::generate::{self, LogTable, LogsOptions, RulesOptions, Shape};

fn seed_rules() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
}

fn loghunt(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_loghunt"))
        .args(args)
        .output()
        .expect("loghunt runs");
    let code = output.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "loghunt {args:?}: {code:?}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn text(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

fn expected(path: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn scans_of_generated_logs_return_the_expected_counts() {
    let dir = tempfile::tempdir().unwrap();
    let (seeds, generated) = (seed_rules(), dir.path().join("rules"));
    loghunt(&[
        "gen",
        "rules",
        "--out",
        text(&generated),
        "--hashes",
        "300",
        "--domains",
        "60",
        "--seed",
        "9",
    ]);
    let listed = loghunt(&["rules", text(&seeds), text(&generated)]);
    let stderr = String::from_utf8_lossy(&listed.stderr);
    assert!(!stderr.contains("warning"), "{stderr}");

    let cases: [(&str, &str, &[&str]); 3] = [
        (
            "DeviceFileEvents",
            "DeviceFileEvents.jsonl",
            &["--size", "3M", "--hits", "30"],
        ),
        (
            "DnsEvents",
            "dns",
            &["--size", "2M", "--hits", "30", "--files", "5", "--shape", "array"],
        ),
        // Many small files in a folder that names no table: the table comes from the columns.
        (
            "DeviceFileEvents",
            "many",
            &["--size", "2M", "--hits", "20", "--files", "40", "--seed", "4"],
        ),
    ];
    for (table, name, extra) in cases {
        let out = dir.path().join(name);
        let mut args = vec!["gen", "logs", "--table", table, "--out", text(&out)];
        args.extend(["--rules", text(&seeds), "--rules", text(&generated)]);
        args.extend_from_slice(extra);
        loghunt(&args);
        let want = expected(&generate::expected_path(&out));
        let mut got: BTreeMap<String, u64> = want["hits"]
            .as_object()
            .unwrap()
            .keys()
            .map(|id| (id.clone(), 0))
            .collect();
        let scan = [
            "scan",
            "--rules",
            text(&seeds),
            "--rules",
            text(&generated),
            "--format",
            "jsonl",
            "-q",
        ];
        let output = loghunt(&[&scan[..], &[text(&out)]].concat());
        for line in String::from_utf8(output.stdout).unwrap().lines() {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            *got.get_mut(row["rule"].as_str().unwrap()).expect("a known rule") += 1;
        }
        let want: BTreeMap<String, u64> = serde_json::from_value(want["hits"].clone()).unwrap();
        assert_eq!(got, want, "{name}");
        assert!(want.values().sum::<u64>() >= 20, "{name}: {want:?}");
    }
}

/// Re-counts the results from the written rows (with serde_json, the simple way) and finds one
/// near miss per hit: an upper-cased hash, a hash in a path or command line, a glued domain.
#[test]
fn planted_rows_and_near_misses_are_in_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let generated = dir.path().join("rules");
    let options = RulesOptions {
        out: generated.clone(),
        hashes: 300,
        domains: 60,
        seed: 9,
    };
    generate::generate_rules(&options).unwrap();
    let rule_dirs = vec![seed_rules(), generated];
    let loaded = loghunt::rules::load(&rule_dirs).unwrap();
    for table in [LogTable::DeviceFileEvents, LogTable::DnsEvents] {
        let out = dir.path().join(table.name());
        let options = LogsOptions {
            table,
            size: 1_000_000,
            out: out.clone(),
            shape: Shape::Jsonl,
            files: None,
            rules: rule_dirs.clone(),
            hits: 24,
            seed: 5,
        };
        let report = generate::generate_logs(&options).unwrap();
        assert_eq!(report.hits.values().sum::<u64>(), 24, "{:?}", report.hits);
        let (mut counts, mut misses) = (BTreeMap::new(), 0);
        for line in fs::read_to_string(&out).unwrap().lines() {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            let field = |c: &str| row[c].as_str().unwrap_or_default().to_string();
            let name = field("Name");
            for rule in &loaded.rules {
                let mut iocs = rule.indicators.values();
                let (hit, miss) = match table {
                    LogTable::DeviceFileEvents => (
                        iocs.clone()
                            .any(|v| ["SHA256", "SHA1", "MD5"].iter().any(|c| field(c) == v)),
                        iocs.any(|v| {
                            line.contains(&v.to_ascii_uppercase())
                                || field("FolderPath").contains(v)
                                || field("InitiatingProcessCommandLine").contains(v)
                        }),
                    ),
                    LogTable::DnsEvents => {
                        // Generated names are dotted labels, so `has` is containment between dots.
                        let dotted = format!(".{}.", name.to_ascii_lowercase());
                        let glued = |v: &str| {
                            ["x", "q", "z"]
                                .iter()
                                .any(|l| [format!("{l}{v}"), format!("{v}{l}")].contains(&name))
                        };
                        (
                            iocs.clone()
                                .any(|v| dotted.contains(&format!(".{}.", v.to_ascii_lowercase()))),
                            iocs.any(glued),
                        )
                    }
                    LogTable::DeviceProcessEvents | LogTable::DeviceNetworkEvents => {
                        unreachable!("nothing is planted in {}", table.name())
                    }
                };
                *counts.entry(rule.id.clone()).or_insert(0u64) += u64::from(hit);
                misses += u64::from(miss);
            }
        }
        assert_eq!(counts, report.hits, "{}", table.name());
        assert_eq!(misses, 24, "{}: one near miss per hit", table.name());
    }
}
