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

/// A generation failure: a message that names the path or rule concerned.
pub type GenError = String;

fn io_error(path: &Path, what: &str, e: std::io::Error) -> GenError {
    format!("{}: cannot {what}: {e}", path.display())
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

pub struct RulesOptions {
    pub out: PathBuf,
    pub hashes: usize,
    pub domains: usize,
    pub seed: u64,
}

#[rustfmt::skip]
const FAMILIES: &[&str] = &["Nanocore RAT", "AgentTesla", "Formbook", "Lumma Stealer", "RedLine Stealer", "Remcos",
    "AsyncRAT", "QakBot", "IcedID", "Cobalt Strike", "SmokeLoader", "DarkGate", "Vidar", "njRAT", "Emotet"];
const SUBDOMAINS: &[&str] = &[
    "www", "cdn", "api", "mail", "update", "secure", "login", "static", "m", "app",
];
#[rustfmt::skip]
const SYLLABLES: &[&str] = &["ka", "lo", "mi", "sec", "net", "up", "da", "te", "shop", "cloud", "pay", "get", "zor",
    "bit", "tra", "vex", "nova", "link", "micro", "soft", "ser", "vo", "data", "hub", "fast", "mo", "bile", "xen", "qua"];
#[rustfmt::skip]
const TLDS: &[&str] = &["com", "net", "org", "io", "ru", "xyz", "top", "info", "biz", "online", "site", "cc", "me",
    "co", "de", "id"];
#[rustfmt::skip]
const SCENARIOS: &[(&str, &str, &str)] = &[
    ("Scheduled system backup using Veeam Backup & Replication",
     "The backup process may touch files and hosts that resemble malicious activity.",
     r"Check for veeam or backup in the process name, and filter backup directories (e.g., C:\ProgramData\Veeam)."),
    ("Administrative tool usage, such as a Windows Defender Antivirus scan",
     "Antivirus scans read and hash many files, including quarantined samples.",
     "Exclude processes running as MsMpEng.exe or with Windows Defender in the command line."),
    ("Log management tool (e.g., Splunk, ELK Stack) indexing logs",
     "Log indexing may write to system directories or resolve hosts that match the IOCs.",
     r"Filter events whose process is splunkd.exe or logstash.exe, or paths under C:\ProgramData\Splunk."),
    ("Security researcher detonating samples in an isolated lab",
     "Malware analysis hosts download and unpack known samples on purpose.",
     "Exclude devices in the malware-lab machine group."),
];

/// A random domain of 2–3 labels that looks like a real one: syllables, sometimes a hyphen or
/// digits, a common TLD.
fn random_domain(rng: &mut Rng) -> String {
    let mut domain = String::new();
    if rng.chance(30) {
        domain.push_str(rng.pick(SUBDOMAINS));
        domain.push('.');
    }
    for i in 0..2 + rng.below(2) {
        if i > 0 && rng.chance(15) {
            domain.push('-');
        }
        domain.push_str(rng.pick(SYLLABLES));
    }
    if rng.chance(25) {
        let _ = write!(domain, "{}", rng.below(100));
    }
    domain.push('.');
    domain.push_str(rng.pick(TLDS));
    domain
}

/// Writes `gen_hashes_NNNN.txt` and `gen_domains_NNNN.txt` documents into `options.out` and
/// returns their paths. Values are unique across all documents.
pub fn generate_rules(options: &RulesOptions) -> Result<Vec<PathBuf>, GenError> {
    fs::create_dir_all(&options.out).map_err(|e| io_error(&options.out, "create the directory", e))?;
    let mut rng = Rng::new(options.seed);
    let mut seen = HashSet::new();
    let mut written = Vec::new();
    for (total, is_hash) in [(options.hashes, true), (options.domains, false)] {
        let documents = total.div_ceil(MAX_IOCS_PER_DOCUMENT);
        for d in 0..documents {
            let count = total / documents + usize::from(d < total % documents);
            let mut iocs = Vec::with_capacity(count);
            while iocs.len() < count {
                let (kind, value) = match (is_hash, rng.below(10)) {
                    (false, _) => ("domain", random_domain(&mut rng)),
                    (true, 0..=3) => ("sha256_hash", rng.hex_string(64)),
                    (true, 4..=6) => ("sha1_hash", rng.hex_string(40)),
                    (true, _) => ("md5_hash", rng.hex_string(32)),
                };
                if seen.insert(value.clone()) {
                    iocs.push((kind, value));
                }
            }
            let name = format!("gen_{}_{:04}.txt", if is_hash { "hashes" } else { "domains" }, d + 1);
            let path = options.out.join(name);
            fs::write(&path, document(&mut rng, is_hash, &iocs)).map_err(|e| io_error(&path, "write", e))?;
            written.push(path);
        }
    }
    Ok(written)
}

/// One document in the layout of the seeds (`rules/000_*.txt` for hashes, `001_*` for domains).
fn document(rng: &mut Rng, is_hash: bool, iocs: &[(&str, String)]) -> String {
    let family = rng.pick(FAMILIES);
    let confidence = rng.pick(&["50%", "75%", "90%", "95%", "100%"]);
    let (threat, what, list) = match is_hash {
        true => ("payload", "files matching known malicious hashes", "malicious_hashes"),
        false => (
            "botnet_cc",
            "DNS queries to known malicious domains",
            "malicious_domains",
        ),
    };
    let mut types: Vec<&str> = Vec::new();
    for (kind, _) in iocs {
        if !types.contains(kind) {
            types.push(kind);
        }
    }
    let mut t = String::with_capacity(iocs.len() * 140 + 4096);
    let _ = writeln!(
        t,
        "The ThreatFox: {family} IOCs rule detects potential indicators of {family} activity, such as payload \
         delivery and command-and-control traffic. SOC teams should proactively hunt for this behavior in Azure \
         Sentinel to identify and contain the threat early.\nIOC Summary\nMalware Family: {family} Total IOCs: {} \
         IOC Types: {}\n| Type | Value | Threat Type | First Seen | Confidence |\n|---|---|---|---|---|",
        iocs.len(),
        types.join(", ")
    );
    for (kind, value) in iocs {
        let (month, day) = (1 + rng.below(6), 1 + rng.below(28));
        let _ = writeln!(
            t,
            "| {kind} | {value} | {threat} | 2026-{month:02}-{day:02} | {confidence} |"
        );
    }
    let _ = write!(
        t,
        "// Hunt for {what}\n// Source: ThreatFox - {family}\nlet {list} = dynamic(["
    );
    for (i, (_, value)) in iocs.iter().enumerate() {
        let _ = write!(t, "{}\"{value}\"", if i == 0 { "" } else { ", " });
    }
    let (table, query) = match is_hash {
        true => (
            "DeviceFileEvents",
            "| where SHA256 in (malicious_hashes) or SHA1 in (malicious_hashes) or MD5 in (malicious_hashes)\n\
             | project Timestamp, DeviceName, FileName, FolderPath, SHA256, InitiatingProcessFileName\n\
             | order by Timestamp desc",
        ),
        false => (
            "DnsEvents",
            "| where Name has_any (malicious_domains)\n\
             | project TimeGenerated, Computer, Name, IPAddresses, QueryType\n\
             | order by TimeGenerated desc",
        ),
    };
    let _ = writeln!(t, "]);\n{table}\n{query}\n| Sentinel Table | Notes |\n|---|---|");
    let _ = writeln!(t, "{table} | Ensure this data connector is enabled |");
    let first = rng.below(SCENARIOS.len());
    for k in 0..2 {
        let (name, description, filter) = SCENARIOS[(first + k) % SCENARIOS.len()];
        let _ = writeln!(
            t,
            "Scenario: {name}\nDescription: {description}\nFilter/Exclusion: {filter}"
        );
    }
    t
}

// ---------------------------------------------------------------------------------------------
// What the rules look for: the two supported query shapes, evaluated independently of `plan`

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogTable {
    DeviceFileEvents,
    DnsEvents,
}

impl LogTable {
    pub fn from_name(name: &str) -> Result<LogTable, GenError> {
        match name {
            "DeviceFileEvents" => Ok(LogTable::DeviceFileEvents),
            "DnsEvents" => Ok(LogTable::DnsEvents),
            _ => Err(format!(
                "--table: cannot generate `{name}` (use DeviceFileEvents or DnsEvents)"
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LogTable::DeviceFileEvents => "DeviceFileEvents",
            LogTable::DnsEvents => "DnsEvents",
        }
    }
}

/// The hash columns a rule can test, in the order of the bits of a column mask.
const HASH_COLUMNS: [&str; 3] = ["SHA256", "SHA1", "MD5"];

fn is_term(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

fn bounded(value: &str) -> bool {
    value.bytes().next().is_some_and(is_term) && value.bytes().last().is_some_and(is_term)
}

/// `has` needles of all rules, lower-case, each starting and ending with a letter or digit. Terms
/// are runs of ASCII letters and digits, so such a needle can only occur from a term start to a
/// term end: the few substrings of a name between those are looked up.
#[derive(Default)]
struct Needles(HashMap<Vec<u8>, Vec<u32>>);

impl Needles {
    /// Sets `out` to the rules with a needle that `name has`, in order.
    fn matches(&self, name: &[u8], out: &mut Vec<u32>) {
        out.clear();
        let lower = name.to_ascii_lowercase();
        let n = lower.len();
        let starts = (0..n).filter(|&i| is_term(lower[i]) && (i == 0 || !is_term(lower[i - 1])));
        for s in starts {
            for e in (s + 1..=n).filter(|&e| is_term(lower[e - 1]) && (e == n || !is_term(lower[e]))) {
                out.extend(self.0.get(&lower[s..e]).into_iter().flatten());
            }
        }
        out.sort_unstable();
        out.dedup();
    }
}

/// The rules, reduced to what decides their result counts over one generated table.
#[derive(Default)]
struct Targets {
    ids: Vec<String>,
    /// Hash → (rule, mask of the `HASH_COLUMNS` the rule tests it in). Exact and case-sensitive.
    hashes: HashMap<Vec<u8>, Vec<(u32, u8)>>,
    needles: Needles,
    /// Per rule with something to plant: its IOCs, each with its hash column (0 for a domain).
    plant: Vec<Vec<(String, usize)>>,
}

impl Targets {
    fn load(paths: &[PathBuf], table: LogTable) -> Result<Targets, GenError> {
        let mut targets = Targets::default();
        if paths.is_empty() {
            return Ok(targets);
        }
        let loaded = rules::load(paths).map_err(|e| e.to_string())?;
        for (index, rule) in loaded.rules.iter().enumerate() {
            targets.ids.push(rule.id.clone());
            targets.add(index as u32, rule, table)?;
        }
        Ok(targets)
    }

    fn add(&mut self, index: u32, rule: &Rule, table: LogTable) -> Result<(), GenError> {
        let failed = |what: String| format!("{}: rule {}: {what}", rule.source.display(), rule.id);
        let query = kql::parse(&rule.query).map_err(|e| failed(e.to_string()))?;
        if query.table.name != table.name() {
            return Ok(()); // it never reads these records, so it returns nothing
        }
        let unsupported = || {
            failed(
                "gen logs can only predict `where SHA256 in (...) or SHA1 in (...) or MD5 in (...)` over \
                 DeviceFileEvents and `where Name has_any (...)` over DnsEvents (domains as needles)"
                    .into(),
            )
        };
        let mut wheres = query.operators.iter().filter(|op| matches!(op, Operator::Where { .. }));
        let (Some(Operator::Where { predicate, .. }), None) = (wheres.next(), wheres.next()) else {
            return Err(unsupported());
        };
        if query.operators.iter().any(|op| matches!(op, Operator::Take { .. })) {
            return Err(unsupported());
        }
        let mut leaves = Vec::new();
        or_leaves(predicate, &mut leaves);
        for leaf in leaves {
            let ExprKind::Binary { op, left, right } = &leaf.kind else {
                return Err(unsupported());
            };
            let (ExprKind::Name(column), mut values) = (&left.kind, Vec::new()) else {
                return Err(unsupported());
            };
            if !list_values(right, &query.lets, &mut values) {
                return Err(unsupported());
            }
            let exact_in = *op
                == BinaryOp::In {
                    case_sensitive: true,
                    negated: false,
                };
            let has = *op == BinaryOp::HasAny
                || matches!(op, BinaryOp::String(s) if s.test == StringTest::Has && !s.case_sensitive && !s.negated);
            match (table, HASH_COLUMNS.iter().position(|c| c == column)) {
                (LogTable::DeviceFileEvents, Some(c)) if exact_in => {
                    for value in values {
                        let entry = self.hashes.entry(value.into_bytes()).or_default();
                        match entry.last_mut() {
                            Some((r, mask)) if *r == index => *mask |= 1 << c,
                            _ => entry.push((index, 1 << c)),
                        }
                    }
                }
                // Other needles (`""`, `.ru`) are legal but never in IOC lists: not worth an evaluator.
                (LogTable::DnsEvents, _) if has && column == "Name" && values.iter().all(|v| bounded(v)) => {
                    for value in values {
                        let rules = self
                            .needles
                            .0
                            .entry(value.to_ascii_lowercase().into_bytes())
                            .or_default();
                        if rules.last() != Some(&index) {
                            rules.push(index);
                        }
                    }
                }
                _ => return Err(unsupported()),
            }
        }
        // Plant what the document's IOC table lists, where the query looks for it.
        let plant: Vec<(String, usize)> = (rule.indicators.iter())
            .filter_map(|indicator| {
                let value = &indicator.value;
                let bytes = value.as_bytes();
                let column = match indicator.kind {
                    IndicatorKind::Sha256 => 0,
                    IndicatorKind::Sha1 => 1,
                    IndicatorKind::Md5 => 2,
                    _ => 0,
                };
                let ok = match table {
                    LogTable::DeviceFileEvents => {
                        indicator.kind.hash_length() == Some(bytes.len())
                            && bytes.iter().all(u8::is_ascii_hexdigit)
                            && (self.hashes.get(bytes).into_iter().flatten())
                                .any(|&(r, mask)| r == index && mask & (1 << column) != 0)
                    }
                    LogTable::DnsEvents => {
                        indicator.kind == IndicatorKind::Domain
                            && (self.needles.0.get(&bytes.to_ascii_lowercase()))
                                .is_some_and(|rules| rules.contains(&index))
                    }
                };
                ok.then(|| (value.clone(), column))
            })
            .collect();
        if !plant.is_empty() {
            self.plant.push(plant);
        }
        Ok(())
    }

    /// Sets `out` to the rules a DeviceFileEvents row with these SHA256, SHA1, MD5 values matches.
    fn hash_matches(&self, columns: [&[u8]; 3], out: &mut Vec<u32>) {
        out.clear();
        for (c, value) in columns.iter().enumerate() {
            let entries = self.hashes.get(*value).into_iter().flatten();
            out.extend(entries.filter(|(_, mask)| mask & (1 << c) != 0).map(|(rule, _)| rule));
        }
        out.sort_unstable();
        out.dedup();
    }
}

fn or_leaves<'e>(expr: &'e Expr, out: &mut Vec<&'e Expr>) {
    match &expr.kind {
        ExprKind::Binary {
            op: BinaryOp::Or,
            left,
            right,
        } => {
            or_leaves(left, out);
            or_leaves(right, out);
        }
        _ => out.push(expr),
    }
}

/// The strings on the right of `in`/`has_any`, `let` names resolved; false for anything else.
fn list_values(expr: &Expr, lets: &[kql::Let], out: &mut Vec<String>) -> bool {
    match &expr.kind {
        ExprKind::List(items) => items.iter().all(|item| list_values(item, lets, out)),
        ExprKind::Literal(Literal::String(s)) => {
            out.push(s.clone());
            true
        }
        ExprKind::Name(name) => (lets.iter().rev().find(|l| &l.name.name == name))
            .is_some_and(|binding| list_values(&binding.value, lets, out)),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Log exports

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Jsonl,
    Array,
}

pub struct LogsOptions {
    pub table: LogTable,
    pub size: u64,
    pub out: PathBuf,
    pub shape: Shape,
    /// `Some(k)`: `out` is a directory of `k` files.
    pub files: Option<usize>,
    pub rules: Vec<PathBuf>,
    pub hits: u64,
    pub seed: u64,
}

#[derive(Debug)]
pub struct LogsReport {
    pub records: u64,
    pub bytes: u64,
    /// Result rows per rule id, every loaded rule included.
    pub hits: BTreeMap<String, u64>,
    pub expected: PathBuf,
    /// Time spent writing rows (loading the rules excluded).
    pub write_seconds: f64,
}

/// `PATH.expected.json`, beside the output also when PATH is a directory: inside it, loghunt and
/// rg would read it as one more log file.
pub fn expected_path(out: &Path) -> PathBuf {
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "logs".into());
    name.push(".expected.json");
    out.with_file_name(name)
}

pub fn generate_logs(options: &LogsOptions) -> Result<LogsReport, GenError> {
    let targets = Targets::load(&options.rules, options.table)?;
    let table = options.table.name();
    if options.hits > 0 && targets.plant.is_empty() {
        return Err(format!(
            "--hits: no rule under --rules has IOCs to plant in {table} rows"
        ));
    }
    let fit = options.size / if table == "DnsEvents" { 700 } else { 2_500 };
    if options.hits.saturating_mul(4) > fit.max(1) {
        return Err(format!(
            "--hits {}: about {fit} records fit in {} bytes, and at most a quarter can be planted",
            options.hits, options.size
        ));
    }
    let paths: Vec<PathBuf> = match options.files {
        Some(0) => return Err("--files must be at least 1".into()),
        Some(k) => {
            fs::create_dir_all(&options.out).map_err(|e| io_error(&options.out, "create the directory", e))?;
            let ext = if options.shape == Shape::Array { "json" } else { "jsonl" };
            (1..=k)
                .map(|i| options.out.join(format!("part-{i:05}.{ext}")))
                .collect()
        }
        None => {
            if let Some(parent) = options.out.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent).map_err(|e| io_error(parent, "create the directory", e))?;
            }
            vec![options.out.clone()]
        }
    };
    let started = Instant::now();
    let mut rows = Rows::new(options, &targets);
    if rows.names.is_empty() {
        return Err("every DNS name of the noise pool matches a rule (a needle like `com`?)".into());
    }
    // Planted rows (a hit, a near miss, a hit, ...) sit at evenly spaced byte offsets.
    let slots = 2 * options.hits;
    let slot_at = |j: u64| ((2 * j + 1) as u128 * options.size as u128 / (2 * slots).max(1) as u128) as u64;
    let (mut next_slot, mut bytes, mut records) = (0u64, 0u64, 0u64);
    let (array, eol): (bool, &[u8]) = match (options.shape, options.table) {
        (Shape::Array, _) => (true, b""),
        (Shape::Jsonl, LogTable::DeviceFileEvents) => (false, b"\r\n"), // as Defender exports
        (Shape::Jsonl, LogTable::DnsEvents) => (false, b"\n"),
    };
    let mut buf = Vec::with_capacity(8192);
    for (f, path) in paths.iter().enumerate() {
        let write_err = |e| io_error(path, "write", e);
        let mut out = BufWriter::with_capacity(1 << 20, File::create(path).map_err(|e| io_error(path, "create", e))?);
        let end = (options.size as u128 * (f as u128 + 1) / paths.len() as u128) as u64;
        let last = f + 1 == paths.len();
        buf.clear();
        buf.extend_from_slice(if array { b"[\n" } else { b"" });
        // Every file gets a record; the last one runs on until every planted row is out.
        let mut first = true;
        while first || bytes + (buf.len() as u64) < end || (last && next_slot < slots) {
            if array && !first {
                buf.extend_from_slice(b",\n");
            }
            let plant = (next_slot < slots && bytes + buf.len() as u64 >= slot_at(next_slot)).then_some(next_slot);
            next_slot += u64::from(plant.is_some());
            rows.row(&mut buf, plant);
            buf.extend_from_slice(eol);
            out.write_all(&buf).map_err(write_err)?;
            bytes += buf.len() as u64;
            buf.clear();
            records += 1;
            first = false;
        }
        if array {
            out.write_all(b"\n]\n").map_err(write_err)?;
            bytes += 3;
        }
        out.flush().map_err(write_err)?;
    }
    let report = LogsReport {
        records,
        bytes,
        hits: targets.ids.iter().cloned().zip(rows.counts.iter().copied()).collect(),
        expected: expected_path(&options.out),
        write_seconds: started.elapsed().as_secs_f64(),
    };
    let rules: Vec<String> = options.rules.iter().map(|p| p.display().to_string()).collect();
    let json = serde_json::json!({
        "records": report.records,
        "bytes": report.bytes,
        "hits": report.hits,
        // What was asked for, so that a script can tell whether existing data is still current.
        "params": {
            "table": table, "size": options.size, "shape": if array { "array" } else { "jsonl" },
            "files": options.files, "rules": rules, "hits": options.hits, "seed": options.seed,
        },
    });
    let text = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())? + "\n";
    fs::write(&report.expected, text).map_err(|e| io_error(&report.expected, "write", e))?;
    Ok(report)
}

// The pools rows are drawn from. Strings that go into rows are JSON text already: `\\` in
// Windows paths, `\"` in command lines.

/// An initiating process and its parent.
struct Process {
    file: &'static str,
    folder: &'static str,
    version_info: [&'static str; 4], // company, product, version, description
    command: &'static str,
    size: u64,
    parent: &'static str,
}

#[rustfmt::skip]
const PROCESSES: &[Process] = &[
    Process { file: "OUTLOOK.EXE", folder: r"c:\\program files\\microsoft office\\root\\office16\\outlook.exe", version_info: ["Microsoft Corporation", "Microsoft Outlook", "16.0.17928.20114", "Microsoft Outlook"], command: r#"\"OUTLOOK.EXE\" /restore"#, size: 41_234_544, parent: "explorer.exe" },
    Process { file: "msedge.exe", folder: r"c:\\program files (x86)\\microsoft\\edge\\application\\msedge.exe", version_info: ["Microsoft Corporation", "Microsoft Edge", "126.0.2592.68", "Microsoft Edge"], command: r#"\"msedge.exe\" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none"#, size: 4_181_544, parent: "msedge.exe" },
    Process { file: "chrome.exe", folder: r"c:\\program files\\google\\chrome\\application\\chrome.exe", version_info: ["Google LLC", "Google Chrome", "126.0.6478.127", "Google Chrome"], command: r#"\"chrome.exe\" --type=renderer --lang=en-US --num-raster-threads=4 --enable-main-frame-before-activation"#, size: 3_044_888, parent: "explorer.exe" },
    Process { file: "explorer.exe", folder: r"c:\\windows\\explorer.exe", version_info: ["Microsoft Corporation", "Microsoft® Windows® Operating System", "10.0.22621.3880", "Windows Explorer"], command: "Explorer.EXE", size: 5_383_704, parent: "userinit.exe" },
    Process { file: "powershell.exe", folder: r"c:\\windows\\system32\\windowspowershell\\v1.0\\powershell.exe", version_info: ["Microsoft Corporation", "Microsoft® Windows® Operating System", "10.0.22621.3085", "Windows PowerShell"], command: r#"\"powershell.exe\" -NoProfile -ExecutionPolicy Bypass -File C:\\ProgramData\\IT\\Scripts\\inventory.ps1"#, size: 455_680, parent: "svchost.exe" },
    Process { file: "svchost.exe", folder: r"c:\\windows\\system32\\svchost.exe", version_info: ["Microsoft Corporation", "Microsoft® Windows® Operating System", "10.0.22621.3672", "Host Process for Windows Services"], command: "svchost.exe -k netsvcs -p -s BITS", size: 57_360, parent: "services.exe" },
    Process { file: "MsMpEng.exe", folder: r"c:\\programdata\\microsoft\\windows defender\\platform\\4.18.24050.7-0\\msmpeng.exe", version_info: ["Microsoft Corporation", "Microsoft® Windows® Operating System", "4.18.24050.7", "Antimalware Service Executable"], command: r#"\"MsMpEng.exe\""#, size: 133_576, parent: "services.exe" },
    Process { file: "OneDrive.exe", folder: r"c:\\program files\\microsoft onedrive\\onedrive.exe", version_info: ["Microsoft Corporation", "Microsoft OneDrive", "24.116.0609.0004", "Microsoft OneDrive"], command: r#"\"OneDrive.exe\" /background"#, size: 3_705_152, parent: "explorer.exe" },
];
#[rustfmt::skip]
const USERS: &[&str] = &["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "oscar"];
#[rustfmt::skip]
const GROUPS: &[(&str, &str)] = &[("fin", "Finance Workstations"), ("hr", "HR Workstations"),
    ("eng", "Engineering Workstations"), ("it", "IT Admin Workstations"), ("sales", "Sales Laptops"),
    ("file", "Tier 1 Servers")];
#[rustfmt::skip]
const FILE_KINDS: &[(&str, &str)] = &[("exe", "PortableExecutable"), ("dll", "PortableExecutable"), ("docx", "Docx"),
    ("xlsx", "Xlsx"), ("pdf", "Pdf"), ("zip", "Zip"), ("msi", "Msi"), ("ps1", "PowerShell"), ("txt", "Text")];
#[rustfmt::skip]
const STEMS: &[&str] = &["setup", "report", "update", "invoice", "notes", "budget", "install", "archive", "minutes",
    "contract", "payload", "driver", "readme", "statement", "q2_results", "vpnclient", "teams_windows_x64"];
#[rustfmt::skip]
const USER_DIRS: &[&str] = &["Downloads", "Documents", "Desktop", r"AppData\\Local\\Temp",
    r"AppData\\Roaming\\Microsoft\\Windows\\Recent", r"OneDrive - Contoso\\Documents",
    r"AppData\\Local\\Microsoft\\Edge\\User Data\\Default\\Cache\\Cache_Data"];
#[rustfmt::skip]
const SYSTEM_DIRS: &[&str] = &[r"C:\\Windows\\Temp", r"C:\\Windows\\SoftwareDistribution\\Download\\a1b2c3",
    r"C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\History\\Service", r"C:\\ProgramData\\IT\\Scripts"];
#[rustfmt::skip]
const ACTIONS: &[&str] = &["FileCreated", "FileCreated", "FileCreated", "FileModified", "FileModified", "FileRenamed",
    "FileDeleted"];
#[rustfmt::skip]
const WEB_HOSTS: &[&str] = &["download.microsoft.com", "github.com", "dl.google.com", "contoso.sharepoint.com",
    "cdn.zoom.us"];
#[rustfmt::skip]
const COMMON_NAMES: &[&str] = &["login.microsoftonline.com", "www.bing.com", "contoso.sharepoint.com",
    "wpad.contoso.local", "time.windows.com", "outlook.office365.com", "teams.microsoft.com", "graph.microsoft.com",
    "settings-win.data.microsoft.com", "www.google.com", "github.com", "slack.com", "dc01.contoso.local",
    "_ldap._tcp.dc._msdcs.contoso.local", "ocsp.digicert.com", "ctldl.windowsupdate.com", "fonts.gstatic.com"];
const DNS_SERVERS: &[&str] = &["dc01", "dc02", "dc03"];
#[rustfmt::skip]
const QUERY_TYPES: &[&str] = &["A", "A", "A", "AAAA", "AAAA", "TXT", "SRV", "PTR", "CNAME"];

/// A planted row: a hit or a near miss, its number among those, the IOC, its hash column.
struct Plant {
    hit: bool,
    k: usize,
    value: String,
    column: usize,
}

/// Builds rows: the RNG, the export's clock, the pools, and the result counts so far.
struct Rows<'t> {
    table: LogTable,
    targets: &'t Targets,
    rng: Rng,
    ticks: i64,
    report_id: u64,
    /// Per device: name, user, group, and the JSON of its fixed columns.
    devices: Vec<(String, &'static str, &'static str, String)>,
    /// Per process, the JSON of its fixed columns (one binary: one set of hashes).
    processes: Vec<String>,
    /// DNS names of ordinary traffic, none of which any rule matches.
    names: Vec<String>,
    counts: Vec<u64>,
    matched: Vec<u32>,
}

impl<'t> Rows<'t> {
    fn new(options: &LogsOptions, targets: &'t Targets) -> Rows<'t> {
        let mut rng = Rng::new(options.seed);
        let devices = (0..96)
            .map(|i| {
                let ((dept, group), user) = (rng.pick(GROUPS), rng.pick(USERS));
                let kind = if dept == "file" { "srv" } else { "ws" };
                let ids = format!(r#""DeviceId":"{}","DeviceName":"{kind}-{dept}-{i:03}.contoso.local""#, rng.hex_string(40));
                let (sid, o) = (1100 + rng.below(900), rng.hex_string(32));
                let account = format!(
                    r#""InitiatingProcessAccountDomain":"contoso","InitiatingProcessAccountName":"{user}","InitiatingProcessAccountSid":"S-1-5-21-1004336348-1177238915-682003330-{sid}","InitiatingProcessAccountUpn":"{user}@contoso.com","InitiatingProcessAccountObjectId":"{}-{}-{}-{}-{}""#,
                    &o[..8], &o[8..12], &o[12..16], &o[16..20], &o[20..]
                );
                (ids, user, group, account)
            })
            .collect();
        let processes = PROCESSES
            .iter()
            .map(|&Process { file, folder, version_info: [company, product, version, description], size, .. }| {
                let (md5, sha1, sha256) = (rng.hex_string(32), rng.hex_string(40), rng.hex_string(64));
                let internal = file.split('.').next().unwrap_or(file);
                format!(
                    r#""InitiatingProcessMD5":"{md5}","InitiatingProcessSHA1":"{sha1}","InitiatingProcessSHA256":"{sha256}","InitiatingProcessFolderPath":"{folder}","InitiatingProcessFileName":"{file}","InitiatingProcessFileSize":{size},"InitiatingProcessVersionInfoCompanyName":"{company}","InitiatingProcessVersionInfoProductName":"{product}","InitiatingProcessVersionInfoProductVersion":"{version}","InitiatingProcessVersionInfoInternalFileName":"{internal}","InitiatingProcessVersionInfoOriginalFileName":"{file}","InitiatingProcessVersionInfoFileDescription":"{description}""#
                )
            })
            .collect();
        let mut matched = Vec::new();
        let names: Vec<String> = (0..2_000)
            .map(|i| {
                if i % 3 == 0 {
                    rng.pick(COMMON_NAMES).into()
                } else {
                    random_domain(&mut rng)
                }
            })
            .filter(|name| {
                targets.needles.matches(name.as_bytes(), &mut matched);
                matched.is_empty()
            })
            .collect();
        Rows {
            table: options.table,
            targets,
            ticks: 1_781_913_600 * TICKS_PER_SECOND + rng.below(TICKS_PER_SECOND as usize) as i64, // 2026-06-20
            report_id: 10_000 + rng.below(1 << 20) as u64,
            rng,
            devices,
            processes,
            names,
            counts: vec![0; targets.ids.len()],
            matched,
        }
    }

    /// One record into `buf`. `plant`: slot j; even slots are hits, odd ones near misses.
    fn row(&mut self, buf: &mut Vec<u8>, plant: Option<u64>) {
        self.ticks += self.rng.below(2_000_000) as i64; // up to 0.2 s between events
        let plant = plant.map(|j| {
            let k = (j / 2) as usize;
            let values = &self.targets.plant[k % self.targets.plant.len()];
            let (value, column) = values[self.rng.below(values.len())].clone();
            Plant {
                hit: j % 2 == 0,
                k,
                value,
                column,
            }
        });
        match self.table {
            LogTable::DeviceFileEvents => self.file_event(buf, plant),
            LogTable::DnsEvents => self.dns_event(buf, plant),
        }
        for &rule in &self.matched {
            self.counts[rule as usize] += 1;
        }
        self.matched.clear();
    }

    // The row writers are formatted by hand, one JSON fragment per line, in the columns' order:
    // rustfmt would spread each `write!` over four lines.
    #[rustfmt::skip]
    fn file_event(&mut self, buf: &mut Vec<u8>, plant: Option<Plant>) {
        // SHA256, SHA1, MD5: random, and never an IOC of any rule.
        let mut hashes = [0u8; 136];
        let (sha256, rest) = hashes.split_at_mut(64);
        let (sha1, md5) = rest.split_at_mut(40);
        let mut columns = [sha256, sha1, md5];
        for column in columns.iter_mut() {
            self.rng.hex(column);
            while self.targets.hashes.contains_key(&column[..]) {
                self.rng.hex(column);
            }
        }
        let (mut folder_hash, mut command_hash) = (None, None);
        if let Some(Plant { hit, k, value, column: c }) = plant {
            match (hit, k % 3) {
                (true, _) => columns[c].copy_from_slice(value.as_bytes()),
                (false, 0) => columns[c].copy_from_slice(value.to_ascii_uppercase().as_bytes()), // `in` is exact
                (false, 1) => folder_hash = Some(value),
                (false, _) => command_hash = Some(value),
            }
            self.targets.hash_matches([&*columns[0], &*columns[1], &*columns[2]], &mut self.matched);
            if !hit && !self.matched.is_empty() {
                // The upper-cased hash is some rule's IOC too (or all digits): plant nothing.
                self.rng.hex(&mut *columns[c]);
                self.targets.hash_matches([&*columns[0], &*columns[1], &*columns[2]], &mut self.matched);
            }
        }
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        let (sha256, sha1, md5) = (text(&*columns[0]), text(&*columns[1]), text(&*columns[2]));
        let r = &mut self.rng;
        let (ids, user, group, account) = &self.devices[r.below(self.devices.len())];
        let p = r.below(PROCESSES.len());
        let (process_columns, &Process { command, parent, .. }) = (&self.processes[p], &PROCESSES[p]);
        let (stem, (ext, file_type), action) = (r.pick(STEMS), r.pick(FILE_KINDS), r.pick(ACTIONS));
        let file = match r.chance(40) {
            true => format!("{stem}_{}.{ext}", r.below(10_000)),
            false => format!("{stem}.{ext}"),
        };
        let folder = match r.chance(80) {
            true => format!(r"C:\\Users\\{user}\\{}\\", r.pick(USER_DIRS)),
            false => format!(r"{}\\", r.pick(SYSTEM_DIRS)),
        };
        let (ts, size) = (Ticks(self.ticks), 1_000 + r.below(40_000_000));
        let _ = write!(buf, r#"{{"Timestamp":"{ts}",{ids},"ActionType":"{action}","FileName":"{file}","FolderPath":"{folder}"#);
        let _ = match &folder_hash {
            Some(hash) => write!(buf, "{}.bin", Escaped(hash)),
            None => write!(buf, "{file}"),
        };
        let _ = write!(buf, r#"","SHA1":"{sha1}","SHA256":"{sha256}","MD5":"{md5}","#);
        if folder.ends_with(r"\\Downloads\\") {
            let (host, ip) = (r.pick(WEB_HOSTS), r.ip(20, 13, 1));
            let _ = write!(buf, r#""FileOriginUrl":"https://{host}/downloads/{file}","#);
            let _ = write!(buf, r#""FileOriginReferrerUrl":"https://{host}/","FileOriginIP":"{ip}","#);
        } else {
            buf.extend_from_slice(br#""FileOriginUrl":null,"FileOriginReferrerUrl":null,"FileOriginIP":null,"#);
        }
        if action == "FileRenamed" {
            let _ = write!(buf, r#""PreviousFolderPath":"{folder}","PreviousFileName":"~{stem}.tmp","#);
        } else {
            buf.extend_from_slice(br#""PreviousFolderPath":null,"PreviousFileName":null,"#);
        }
        let (pid, created) = (1_000 + r.below(30_000), Ticks(self.ticks - r.below(1 << 35) as i64));
        let _ = write!(buf, r#""FileSize":{size},{account},{process_columns},"InitiatingProcessId":{pid},"#);
        let _ = match &command_hash {
            Some(hash) => write!(buf, r#""InitiatingProcessCommandLine":"certutil.exe -hashfile C:\\Windows\\Temp\\upd.exe SHA256 | findstr {}","#, Escaped(hash)),
            None => write!(buf, r#""InitiatingProcessCommandLine":"{command}","#),
        };
        let elevated = parent == "services.exe" || command.contains("inventory.ps1");
        let (integrity, token) = match elevated {
            true => ("System", "TokenElevationTypeDefault"),
            false => ("Medium", "TokenElevationTypeLimited"),
        };
        let _ = write!(buf, r#""InitiatingProcessCreationTime":"{created}","InitiatingProcessIntegrityLevel":"{integrity}","#);
        let (ppid, parent_created) = (500 + r.below(9_000), Ticks(self.ticks - (1 << 36) - r.below(1 << 38) as i64));
        let _ = write!(buf, r#""InitiatingProcessTokenElevation":"{token}","InitiatingProcessParentId":{ppid},"#);
        let _ = write!(buf, r#""InitiatingProcessParentFileName":"{parent}","InitiatingProcessParentCreationTime":"{parent_created}","#);
        if r.chance(10) {
            let (ip, port) = (r.ip(10, 1, 1), 49_152 + r.below(16_000));
            let _ = write!(buf, r#""RequestProtocol":"Smb","RequestSourceIP":"{ip}","RequestSourcePort":{port},"#);
            let _ = write!(buf, r#""RequestAccountName":"{user}","RequestAccountDomain":"CONTOSO","#);
            buf.extend_from_slice(br#""RequestAccountSid":null,"ShareName":"Shared$","#);
        } else {
            buf.extend_from_slice(br#""RequestProtocol":"Local","RequestSourceIP":null,"RequestSourcePort":null,"#);
            buf.extend_from_slice(br#""RequestAccountName":null,"RequestAccountDomain":null,"RequestAccountSid":null,"ShareName":null,"#);
        }
        if matches!(ext, "docx" | "xlsx" | "pdf") && r.chance(30) {
            buf.extend_from_slice(br#""SensitivityLabel":"Confidential","SensitivitySubLabel":"All Employees","#);
            buf.extend_from_slice(br#""IsAzureInfoProtectionApplied":true,"#);
        } else {
            buf.extend_from_slice(br#""SensitivityLabel":null,"SensitivitySubLabel":null,"IsAzureInfoProtectionApplied":false,"#);
        }
        self.report_id += 1 + r.below(3) as u64;
        let report = self.report_id;
        let _ = write!(buf, r#""ReportId":{report},"AppGuardContainerId":"","AdditionalFields":"#);
        let _ = match r.chance(90) {
            true => write!(buf, r#""{{\"FileType\":\"{file_type}\"}}","#),
            false => write!(buf, "null,"),
        };
        let (session, unique) = (if elevated { 0 } else { 1 + r.below(4) }, 1 + r.next_u64() % (1 << 53));
        let _ = write!(buf, r#""InitiatingProcessSessionId":{session},"IsInitiatingProcessRemoteSession":false,"#);
        buf.extend_from_slice(br#""InitiatingProcessRemoteSessionDeviceName":null,"InitiatingProcessRemoteSessionIP":null,"#);
        let _ = write!(buf, r#""InitiatingProcessUniqueId":"{unique}","MachineGroup":"{group}"}}"#);
    }

    #[rustfmt::skip]
    fn dns_event(&mut self, buf: &mut Vec<u8>, plant: Option<Plant>) {
        let mut planted = None;
        if let Some(Plant { hit, k, value, .. }) = plant {
            let letter = ["x", "q", "z"][k % 3];
            let candidates = match (hit, k % 5) {
                (true, 0) => vec![value.clone()],
                (true, 1) => vec![format!("{}.{value}", self.rng.pick(SUBDOMAINS))],
                (true, 2) => vec![format!("{value}.")],
                (true, 3) => vec![value.to_ascii_uppercase()],
                // `has` is case-insensitive.
                (true, _) => vec![value.chars().enumerate().map(|(i, c)| if i % 2 == 0 { c.to_ascii_uppercase() } else { c }).collect()],
                // Glued to a letter on the left or the right: not on a term boundary, so no match.
                (false, _) => vec![format!("{letter}{value}"), format!("{value}{letter}")],
            };
            for candidate in candidates {
                self.targets.needles.matches(candidate.as_bytes(), &mut self.matched);
                if hit || self.matched.is_empty() {
                    planted = Some(candidate);
                    break;
                }
            }
            if !hit {
                self.matched.clear(); // every near miss was some other rule's match: a plain name
            }
        }
        let r = &mut self.rng;
        let noise = &self.names[r.below(self.names.len())];
        let name = Escaped(planted.as_deref().unwrap_or(noise));
        let (server, query_type) = (r.pick(DNS_SERVERS), r.pick(QUERY_TYPES));
        let (ts, client) = (Ticks(self.ticks), r.ip(10, 0, 64));
        let _ = write!(buf, r#"{{"TenantId":"72f988bf-86f1-41af-91ab-2d7cd011db47","SourceSystem":"OpsManager","TimeGenerated":"{ts}","#);
        let _ = write!(buf, r#""Computer":"{server}.contoso.local","EventId":256,"SubType":"LookupQuery","#);
        let _ = write!(buf, r#""ClientIP":"{client}","Name":"{name}","IPAddresses":""#);
        let _ = match query_type {
            "A" => { let first = 13 + r.below(180) as u8; write!(buf, "{}", r.ip(first, 0, 256)) }
            "AAAA" => write!(buf, "2603:1030:{:x}:{:x}::{:x}", r.below(1 << 16), r.below(1 << 16), 1 + r.below(255)),
            _ => Ok(()),
        };
        let (result, code) = if r.chance(95) { ("Success", 0) } else { ("Failure", 3) };
        let _ = write!(buf, r#"","QueryType":"{query_type}","Result":"{result}","ResultCode":{code},"TaskCategory":"Lookup","#);
        buf.extend_from_slice(br#""Severity":null,"Description":null,"MaliciousIP":null,"IndicatorThreatType":null,"#);
        buf.extend_from_slice(br#""Confidence":null,"RemoteIPCountry":null,"RemoteIPLatitude":null,"RemoteIPLongitude":null,"#);
        buf.extend_from_slice(br#""Message":null,"_ResourceId":"/subscriptions/00000000-0000-0000-0000-000000000000/"#);
        let _ = write!(buf, r#"resourcegroups/soc/providers/microsoft.compute/virtualmachines/{server}","Type":"DnsEvents"}}"#);
    }
}

/// A datetime as Defender writes it: `2026-06-20T08:01:07.0007919Z`, always seven digits.
struct Ticks(i64);

impl fmt::Display for Ticks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let day = 86_400 * TICKS_PER_SECOND;
        let (y, m, d) = civil_from_days(self.0.div_euclid(day));
        let (in_day, mut text) = (self.0.rem_euclid(day), *b"0000-00-00T00:00:00.0000000Z");
        let s = in_day / TICKS_PER_SECOND;
        let fields = [
            (0, 4, y),
            (5, 2, m.into()),
            (8, 2, d.into()),
            (11, 2, s / 3600),
            (14, 2, s / 60 % 60),
        ];
        // Digits by hand: `{:02}` padding costs more than the rest of a DnsEvents row.
        for (at, width, mut value) in fields
            .into_iter()
            .chain([(17, 2, s % 60), (20, 7, in_day % TICKS_PER_SECOND)])
        {
            for digit in text[at..at + width].iter_mut().rev() {
                *digit = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        f.write_str(std::str::from_utf8(&text).unwrap_or_default())
    }
}

struct Ip([u8; 4]);

impl fmt::Display for Ip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

/// Text from rules (IOC values) as JSON string content.
struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.0.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
            return f.write_str(self.0); // the usual case
        }
        for c in self.0.chars() {
            match c {
                '"' | '\\' => write!(f, "\\{c}")?,
                c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

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
            .flat_map(|r| &r.indicators)
            .map(|i| format!("{:?}", i.kind))
            .collect();
        assert_eq!(kinds.len(), 4, "sha256, sha1, md5 and domains: {kinds:?}");
        let plan = Plan::compile(&rules, 0).unwrap();
        assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
        let tables: Vec<&str> = plan.rules.iter().map(|r| r.table.name.as_str()).collect();
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
                            if shape == Shape::Array { "json" } else { "jsonl" }
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
