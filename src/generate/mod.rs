//! Benchmark and test data: `loghunt gen`. Owns the synthetic rule documents (`gen rules`: hash
//! documents over `DeviceFileEvents` and domain documents over `DnsEvents`, in the seeds'
//! threat-intel format) and the synthetic exports (`gen logs`: Defender `DeviceFileEvents` rows,
//! Log Analytics `DnsEvents` rows) with planted results, near misses, and `PATH.expected.json`
//! giving the exact number of result rows each rule must return.
//!
//! Everything is deterministic (a seeded SplitMix64, no `rand`): the same arguments write the
//! same bytes. Rows are formatted into one reused buffer, mostly from pre-escaped pieces, so that
//! output runs at hundreds of MB/s. The expected counts come from a small evaluator of the two
//! query shapes written here on purpose apart from `plan`: it is what the engine is checked
//! against, so it must not share the engine's bugs.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::kql::{self, BinaryOp, Expr, ExprKind, Literal, Operator, StringTest};
use crate::rules::{self, IndicatorKind, Rule};
use crate::time::{civil_from_days, TICKS_PER_SECOND};

/// A generation failure, naming the path or rule concerned.
#[derive(Debug)]
pub enum GenError {
    /// The arguments or rules ask for what cannot be generated (exit 2 as a usage error).
    Invalid(String),
    /// A file could not be created or written (a full disk is not a bad argument).
    Io {
        path: PathBuf,
        what: &'static str,
        error: std::io::Error,
    },
}

impl fmt::Display for GenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GenError::Invalid(message) => f.write_str(message),
            GenError::Io { path, what, error } => write!(f, "{}: cannot {what}: {error}", path.display()),
        }
    }
}

impl std::error::Error for GenError {}

impl From<String> for GenError {
    fn from(message: String) -> GenError {
        GenError::Invalid(message)
    }
}

impl From<&str> for GenError {
    fn from(message: &str) -> GenError {
        GenError::Invalid(message.to_string())
    }
}

mod device_events;
mod expect;
mod logs;
mod rule_docs;

pub use expect::LogTable;
pub use logs::{expected_path, generate_logs, LogsOptions, LogsReport, Shape};
pub use rule_docs::{generate_rules, RulesOptions};

#[allow(unused_imports)] // the submodules and tests take these through `use super::*`
use {device_events::*, expect::*, logs::*, rule_docs::*};

fn io_error(path: &Path, what: &'static str, error: std::io::Error) -> GenError {
    GenError::Io {
        path: path.to_path_buf(),
        what,
        error,
    }
}

/// SplitMix64: tiny, fast, and the same stream on every platform, which is all test data needs.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` by multiply-shift; `n` must be > 0.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// A random element; `items` must not be empty.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// Fills `out` with lower-case hex digits, 16 per random word.
    pub fn hex(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(16) {
            let mut word = self.next_u64();
            for b in chunk {
                *b = b"0123456789abcdef"[(word & 15) as usize];
                word >>= 4;
            }
        }
    }

    /// `a.b.c.d` with `b` in `b..b + spread`.
    fn ip(&mut self, a: u8, b: u8, spread: usize) -> Ip {
        Ip([
            a,
            b + self.below(spread) as u8,
            self.below(256) as u8,
            1 + self.below(254) as u8,
        ])
    }

    fn hex_string(&mut self, len: usize) -> String {
        let mut hex = vec![0; len];
        self.hex(&mut hex);
        String::from_utf8_lossy(&hex).into_owned()
    }
}

/// `1G`, `200M`, `64k`, `1.5GiB`, `1000000`: bytes, in binary multiples like `head -c`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let lower = text.trim().to_ascii_lowercase();
    let number = lower.trim_end_matches("ib").trim_end_matches('b');
    let (digits, shift) = match number.chars().last() {
        Some(unit @ ('k' | 'm' | 'g' | 't')) => {
            (&number[..number.len() - 1], 10 * (1 + "kmgt".find(unit).unwrap_or(0)))
        }
        _ => (number, 0),
    };
    match digits.trim().parse::<f64>() {
        Ok(value) if value.is_finite() && value >= 0.0 => Ok((value * (1u64 << shift) as f64) as u64),
        _ => Err(format!("`{text}` is not a size like 1G, 200M or 65536")),
    }
}

// ---------------------------------------------------------------------------------------------
// Rule documents

/// Real documents carry a few thousand IOCs at most; bigger sets are split, as feeds are.
pub const MAX_IOCS_PER_DOCUMENT: usize = 5_000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Plan;

    fn seed_rules() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
    }

    fn options(out: PathBuf, table: LogTable, size: u64) -> LogsOptions {
        LogsOptions {
            table,
            size,
            out,
            shape: Shape::Jsonl,
            files: None,
            rules: vec![],
            hits: 0,
            seed: 7,
        }
    }

    fn rules_in(dir: &Path, hashes: usize, domains: usize, seed: u64) -> Vec<PathBuf> {
        let out = dir.to_path_buf();
        generate_rules(&RulesOptions {
            out,
            hashes,
            domains,
            seed,
        })
        .unwrap()
    }

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("200M"), Ok(200 << 20));
        assert_eq!(parse_size("1.5KiB"), Ok(1536));
        assert_eq!(parse_size("65536"), Ok(65536));
        assert!(parse_size("12X").is_err() && parse_size("G").is_err() && parse_size("-1M").is_err());
    }

    #[test]
    fn the_same_seed_writes_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let docs: Vec<Vec<PathBuf>> = ["a", "b"]
            .iter()
            .map(|d| rules_in(&dir.path().join(d), 50, 20, 3))
            .collect();
        for (a, b) in docs[0].iter().zip(&docs[1]) {
            assert_eq!(fs::read(a).unwrap(), fs::read(b).unwrap());
        }
        let bytes = |name: &str, seed: u64| {
            let mut o = options(dir.path().join(name), LogTable::DeviceFileEvents, 200_000);
            (o.rules, o.hits, o.seed) = (vec![seed_rules()], 5, seed);
            generate_logs(&o).unwrap();
            fs::read(&o.out).unwrap()
        };
        assert_eq!(bytes("one.jsonl", 1), bytes("two.jsonl", 1));
        assert_ne!(bytes("one.jsonl", 1), bytes("three.jsonl", 2));
    }

    #[test]
    fn documents_load_with_their_iocs_and_no_warnings() {
        let dir = tempfile::tempdir().unwrap();
        let paths = rules_in(dir.path(), 12_001, 40, 1);
        assert_eq!(
            paths.len(),
            4,
            "12,001 hashes in 3 documents of at most 5,000, then 1 of domains"
        );
        let (mut rules, mut total) = (Vec::new(), 0);
        for path in &paths {
            let (rule, warnings) = rules::load_text(path, &fs::read_to_string(path).unwrap()).unwrap();
            assert!(warnings.is_empty(), "{}: {warnings:?}", path.display());
            assert!(rule.indicators.len() <= MAX_IOCS_PER_DOCUMENT);
            assert_eq!(rule.declared_total, Some(rule.indicators.len()));
            assert_eq!(rule.scenarios.len(), 2);
            total += rule.indicators.len();
            rules.push(rule);
        }
        assert_eq!(total, 12_041);
        let kinds: HashSet<String> = rules
            .iter()
            .flat_map(|r| r.indicators.kinds_and_values())
            .map(|(kind, _)| format!("{kind:?}"))
            .collect();
        assert_eq!(kinds.len(), 4, "sha256, sha1, md5 and domains: {kinds:?}");
        let plan = Plan::compile(&rules, 0).unwrap();
        assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
        let tables: Vec<&str> = plan.pipelines.iter().map(|r| r.table.name.as_str()).collect();
        assert_eq!(
            tables,
            ["DeviceFileEvents", "DeviceFileEvents", "DeviceFileEvents", "DnsEvents"]
        );
    }

    #[test]
    fn every_row_is_json_and_the_size_is_about_right() {
        let dir = tempfile::tempdir().unwrap();
        for (table, shape, files) in [
            (LogTable::DeviceFileEvents, Shape::Jsonl, None),
            (LogTable::DnsEvents, Shape::Jsonl, None),
            (LogTable::DeviceFileEvents, Shape::Array, Some(3)),
            (LogTable::DeviceFileEvents, Shape::Response, None),
            (LogTable::DnsEvents, Shape::Jsonl, Some(4)),
        ] {
            let mut o = options(
                dir.path().join(format!("{table:?}-{shape:?}-{files:?}")),
                table,
                300_000,
            );
            (o.shape, o.files) = (shape, files);
            let report = generate_logs(&o).unwrap();
            assert!((300_000..303_000).contains(&report.bytes), "{}", report.bytes);
            let paths = match files {
                Some(k) => (1..=k)
                    .map(|i| {
                        o.out.join(format!(
                            "part-{i:05}.{}",
                            if shape == Shape::Jsonl { "jsonl" } else { "json" }
                        ))
                    })
                    .collect(),
                None => vec![o.out.clone()],
            };
            let (mut records, mut bytes) = (0, 0);
            for path in paths {
                let text = fs::read_to_string(&path).unwrap();
                bytes += text.len() as u64;
                let rows: Vec<serde_json::Value> = match shape {
                    Shape::Array => serde_json::from_str(&text).unwrap(),
                    Shape::Response => {
                        let mut response: serde_json::Value = serde_json::from_str(&text).unwrap();
                        let columns = response["Schema"].as_array().unwrap().len();
                        let rows = response["Results"].take();
                        let rows: Vec<serde_json::Value> = serde_json::from_value(rows).unwrap();
                        assert_eq!(columns, rows[0].as_object().unwrap().len());
                        assert_eq!(
                            crate::input::documents::response_start(text.as_bytes()).map(|s| s.key),
                            Some("Results")
                        );
                        rows
                    }
                    Shape::Jsonl => {
                        let crlf = table == LogTable::DeviceFileEvents;
                        assert_eq!(
                            text.matches("\r\n").count(),
                            if crlf { text.lines().count() } else { 0 }
                        );
                        text.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
                    }
                };
                assert!(!rows.is_empty() && rows.iter().all(|row| row.is_object()));
                records += rows.len() as u64;
            }
            assert_eq!((records, bytes), (report.records, report.bytes));
            let expected: serde_json::Value =
                serde_json::from_str(&fs::read_to_string(report.expected).unwrap()).unwrap();
            assert_eq!(expected["records"], records);
        }
    }

    #[test]
    fn process_and_network_rows_have_the_schema_and_join_on_device_and_process() {
        let dir = tempfile::tempdir().unwrap();
        let rows = |table: LogTable| {
            let o = options(dir.path().join(table.name()), table, 6_000_000);
            let report = generate_logs(&o).unwrap();
            let text = fs::read_to_string(&o.out).unwrap();
            assert_eq!(
                text.matches("\r\n").count(),
                text.lines().count(),
                "CRLF, as Defender writes"
            );
            let rows: Vec<serde_json::Map<String, serde_json::Value>> =
                text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
            assert_eq!(rows.len() as u64, report.records);
            let schema = crate::schema::table(table.name()).unwrap();
            let ah = crate::schema::Variant::AdvancedHunting;
            let columns: HashSet<&str> = (schema.columns.iter().map(|c| c.name.as_str()))
                .filter(|c| schema.has_in(ah, c))
                .collect();
            for row in &rows {
                let keys: HashSet<&str> = row.keys().map(String::as_str).collect();
                assert_eq!(keys, columns, "{}: the Advanced Hunting columns, no more", table.name());
            }
            rows
        };
        let (processes, connections) = (rows(LogTable::DeviceProcessEvents), rows(LogTable::DeviceNetworkEvents));
        let text = |row: &serde_json::Map<String, serde_json::Value>, column: &str| row[column].to_string();
        let devices: HashSet<String> = processes.iter().map(|r| text(r, "DeviceName")).collect();
        assert!(devices.len() > 200, "a few hundred devices: {}", devices.len());
        let days: HashSet<String> = processes
            .iter()
            .map(|r| text(r, "Timestamp")[..11].to_string())
            .collect();
        assert!(days.len() >= 7, "a week of events: {days:?}");
        let created: HashMap<(String, String), String> = (processes.iter())
            .map(|r| ((text(r, "DeviceId"), text(r, "ProcessId")), text(r, "FileName")))
            .collect();
        let joined: Vec<&String> = (connections.iter())
            .filter_map(|r| {
                created
                    .get(&(text(r, "DeviceId"), text(r, "InitiatingProcessId")))
                    .map(|f| (r, f))
            })
            .map(|(r, file)| {
                assert_eq!(
                    &text(r, "InitiatingProcessFileName"),
                    file,
                    "a process id is one image per device"
                );
                file
            })
            .collect();
        // 19,200 process instances in the fleet: a bigger export finds its processes more often.
        assert!(
            joined.len() > connections.len() / 20,
            "{} of {}",
            joined.len(),
            connections.len()
        );
        assert!(joined.iter().any(|f| f.as_str() == "\"powershell.exe\""));
    }

    #[test]
    fn names_have_domains_only_on_term_boundaries() {
        let mut needles = Needles::default();
        needles.0.insert(b"spapro.co.com".to_vec(), vec![0]);
        needles.0.insert(b"co.com".to_vec(), vec![1]);
        let mut out = Vec::new();
        for (name, expected) in [
            ("spapro.co.com", &[0, 1][..]),
            ("a.SPAPRO.co.com.", &[0, 1]),
            ("spapro.co.com-cdn.net", &[0, 1]),
            ("myspapro.co.com", &[1]),
            ("spapro.co.community", &[]),
            ("xco.com", &[]),
        ] {
            needles.matches(name.as_bytes(), &mut out);
            assert_eq!(out, expected, "{name}");
        }
    }
}
