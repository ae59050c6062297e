//! Differential tests: on randomized records (with JSON escapes, odd case, boundary characters,
//! nested objects, malformed lines) and randomized rules, the fast path (`prefilter: true`) and
//! the plain evaluator (`prefilter: false`) return identical hits and counts, at every thread
//! count and chunk size — and both agree with an independent oracle ([`oracle`]).
//!
//! Four layers:
//! 1. the string matchers of `loghunt::plan::text` against the oracle's naive `has`, `contains`,
//!    `startswith`, `endswith`, `==`/`=~`, `in`/`in~`, on haystacks and needles from a small
//!    alphabet that puts term boundaries, case and non-ASCII letters everywhere;
//! 2. whole scans: random `DnsEvents` / `DeviceFileEvents` exports (JSON lines with LF or CRLF,
//!    JSON arrays pretty or compact) and random `.kql` rules, scanned with the prefilter on and
//!    off, on one and two threads, in chunks of 1 and 1499 bytes and 8 MiB: hits (positions and
//!    rows) and record / match / malformed counts must not change;
//! 3. the same scans against the oracle, which decodes the records from the generator's own model
//!    (not by parsing the bytes loghunt parsed) and evaluates the rules' predicate trees directly;
//! 4. hand-written records that each hide a match from, or fake one for, a raw-byte search, with
//!    the hits worked out by hand.
//!
//! The fast path (`src/scan.rs` over `src/plan/prefilter.rs`) skips records on their raw
//! bytes; these tests catch it the day it turns unsound (blind to `\u002e`, `\/`, case,
//! negation, nested keys, duplicate keys, or malformed records).
//!
//! Every test derives its cases from a seed and prints it on failure. To replay or widen a run:
//! `LOGHUNT_DIFF_SEED=<seed> LOGHUNT_DIFF_CASES=<n> cargo test --test differential`.

mod exports;
mod oracle;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use exports::*;
use loghunt::input::LogFile;
use loghunt::plan::prefilter::Matcher;
use loghunt::plan::text::{StringSet, SubstringKind, SubstringTest, TermSet};
use loghunt::plan::{Plan, Predicate};
use loghunt::rules::load_text;
use loghunt::scan::{scan, Malformed, Position, ScanOptions, TableCount};
use loghunt::time::parse_datetime;
use loghunt::value::Value;
use oracle::{Cell, OrderKey, Pred, Rng};

const NOW: &str = "2026-06-21T00:00:00Z";

// ====================================================================================
// 1. The string matchers against the naive oracle
// ====================================================================================

/// Letters in both cases (case folding), a digit (term character), the separators Kusto
/// treats specially in real data (`.`, `-`, `_`, `\`, space) and non-ASCII letters, which are
/// separators and never case-folded. `a` is frequent so that needles overlap and repeat.
const ALPHABET: &[char] = &[
    'a', 'a', 'a', 'A', 'B', 'b', '0', '.', '.', '-', '_', '\\', ' ', 'é', 'É', 'ß',
];

/// Needles picked for overlap and boundary trouble (`aa` in `aaa.aa`).
const TRICKY_NEEDLES: &[&str] = &[
    "aa", "a", "aa.", "a.a", ".aa", "", "aaa", "a a", "0", "B0", "é", "ß", "\\", "A.", "-a", "_", "aA", "é.",
];

const TRICKY_HAYSTACKS: &[&str] = &[
    "aaa.aa", "aa aaa", "aaaa", "a.a.a", "éaaé", "AAA-aa", "_aa_", "\\aa\\", "",
];

fn random_text(rng: &mut Rng, max_len: usize) -> String {
    if rng.percent(10) {
        return rng.pick(TRICKY_HAYSTACKS).to_string();
    }
    let len = rng.range(0, max_len);
    (0..len).map(|_| *rng.pick(ALPHABET)).collect()
}

/// A needle likely to occur in `haystack`: a slice of it with random case flips, sometimes
/// grown by a character; or a tricky fixed needle; or random text.
fn random_needle(rng: &mut Rng, haystack: &str) -> String {
    let h: Vec<char> = haystack.chars().collect();
    match rng.below(10) {
        0..=4 if !h.is_empty() => {
            let start = rng.below(h.len());
            let end = rng.range(start, h.len());
            let mut needle: String = h[start..end]
                .iter()
                .map(|c| {
                    if rng.percent(30) {
                        if c.is_ascii_lowercase() {
                            c.to_ascii_uppercase()
                        } else {
                            c.to_ascii_lowercase()
                        }
                    } else {
                        *c
                    }
                })
                .collect();
            if rng.percent(20) {
                needle.push(*rng.pick(ALPHABET));
            }
            needle
        }
        5..=7 => rng.pick(TRICKY_NEEDLES).to_string(),
        _ => random_text(rng, 4),
    }
}

#[test]
fn has_and_has_cs_follow_the_term_rule() {
    for_each_case(
        "has_and_has_cs_follow_the_term_rule",
        0x4A5_0000,
        4000,
        |rng, context| {
            let haystack = random_text(rng, 12);
            let needle = random_needle(rng, &haystack);
            let cs = rng.percent(30);
            let set = TermSet::new([needle.as_str()], cs);
            let expected = oracle::has(&haystack, &needle, cs);
            let op = if cs { "has_cs" } else { "has" };
            assert_eq!(
                set.matches_any(&haystack),
                expected,
                "{context}: {haystack:?} {op} {needle:?} (matches_any)"
            );
            assert_eq!(
                set.matches_all(&haystack),
                expected,
                "{context}: {haystack:?} {op} {needle:?} (matches_all of one needle)"
            );
        },
    );
}

#[test]
fn has_any_and_has_all_over_sets_follow_the_term_rule() {
    for_each_case(
        "has_any_and_has_all_over_sets_follow_the_term_rule",
        0x4A5_1000,
        3000,
        |rng, context| {
            let haystack = random_text(rng, 14);
            let count = rng.range(0, 4);
            let mut needles: Vec<String> = (0..count).map(|_| random_needle(rng, &haystack)).collect();
            // Repeated needles, and the same needle in another case, must each be found.
            if !needles.is_empty() && rng.percent(20) {
                let again = needles[rng.below(needles.len())].to_ascii_uppercase();
                needles.push(again);
            }
            let cs = rng.percent(25);
            let set = TermSet::new(&needles, cs);
            let (any, all) = (
                oracle::has_any(&haystack, &needles, cs),
                oracle::has_all(&haystack, &needles, cs),
            );
            assert_eq!(
                set.matches_any(&haystack),
                any,
                "{context}: {haystack:?} has_any {needles:?} (case-sensitive {cs})"
            );
            assert_eq!(
                set.matches_all(&haystack),
                all,
                "{context}: {haystack:?} has_all {needles:?} (case-sensitive {cs})"
            );
        },
    );
}

#[test]
fn contains_startswith_endswith_equals_follow_the_oracle() {
    let kinds = [
        SubstringKind::Contains,
        SubstringKind::StartsWith,
        SubstringKind::EndsWith,
        SubstringKind::Equals,
    ];
    for_each_case(
        "contains_startswith_endswith_equals_follow_the_oracle",
        0x4A5_2000,
        4000,
        |rng, context| {
            let haystack = random_text(rng, 10);
            let needle = if rng.percent(15) {
                haystack.to_ascii_uppercase()
            } else {
                random_needle(rng, &haystack)
            };
            let kind = *rng.pick(&kinds);
            let cs = rng.percent(50);
            let expected = match kind {
                SubstringKind::Contains => oracle::contains(&haystack, &needle, cs),
                SubstringKind::StartsWith => oracle::starts_with(&haystack, &needle, cs),
                SubstringKind::EndsWith => oracle::ends_with(&haystack, &needle, cs),
                SubstringKind::Equals => oracle::equals(&haystack, &needle, cs),
            };
            assert_eq!(
                SubstringTest::new(kind, &needle, cs).matches(&haystack),
                expected,
                "{context}: {haystack:?} {kind:?} {needle:?} (case-sensitive {cs})"
            );
        },
    );
}

#[test]
fn in_and_in_tilde_follow_the_oracle() {
    for_each_case("in_and_in_tilde_follow_the_oracle", 0x4A5_3000, 4000, |rng, context| {
        let haystack = random_text(rng, 6);
        let count = rng.range(0, 4);
        let needles: Vec<String> = (0..count)
            .map(|_| match rng.below(3) {
                0 => haystack.to_ascii_uppercase(),
                1 => haystack.to_ascii_lowercase(),
                _ => random_needle(rng, &haystack),
            })
            .collect();
        let cs = rng.percent(50);
        let set = StringSet::new(needles.iter().cloned(), cs);
        let op = if cs { "in" } else { "in~" };
        assert_eq!(
            set.contains(&haystack),
            oracle::in_list(&haystack, &needles, cs),
            "{context}: {haystack:?} {op} {needles:?}"
        );
    });
}

// ====================================================================================
// 2. Random exports and rules (the exports and predicates: `exports`)
// ====================================================================================

/// One output column of `project`: its name and the table column it reads.
#[derive(Debug, Clone)]
struct Projected {
    name: String,
    source: &'static str,
    is_time: bool,
}

/// A random rule: its KQL text, and the trees it was rendered from, which the oracle evaluates
/// instead of re-parsing the text.
#[derive(Debug)]
struct GenRule {
    table: &'static TableSpec,
    text: String,
    wheres: Vec<Pred>,
    project: Vec<Projected>,
    /// A `where` after `project`, over the projected names.
    post_where: Option<Pred>,
    order: Vec<OrderKey>,
    take: Option<usize>,
}

const ALIASES: &[&str] = &[
    "Host", "Domain", "Q", "Hash", "Name", "Computer", "Path", "When", "SHA1",
];

fn random_rule(rng: &mut Rng, vocab: &Vocab, table: &'static TableSpec) -> GenRule {
    let mut columns: Vec<(String, Kind)> = table.columns.iter().map(|&(c, k)| (c.to_string(), k)).collect();
    columns.push((table.time.to_string(), Kind::Time));
    let mut lets = Lets {
        statements: Vec::new(),
        lists: Vec::new(),
    };
    let mut body = vec![table.name.to_string()];
    let mut wheres = Vec::new();
    // Mostly one `where`, mostly shallow: deep random trees are almost always constant. Many
    // rules have the shape of real hunting rules, which a fast path is most likely to special-case.
    let count = if rng.percent(25) { 2 } else { 1 };
    for i in 0..count {
        let depth = *rng.pick(&[0, 1, 1, 2, 2, 3]);
        let pred = if i == 0 && rng.percent(40) {
            ioc_shaped_pred(rng, vocab, table)
        } else {
            random_pred(rng, vocab, &columns, depth)
        };
        body.push(format!("| where {}", render_pred(rng, &pred, &mut lets)));
        wheres.push(pred);
    }

    // project: the time column and string columns, sometimes renamed (even to another
    // column's name, which is legal: `project` reads its input row).
    let mut sources: Vec<(&'static str, bool)> = table.columns.iter().map(|&(c, _)| (c, false)).collect();
    sources.push((table.time, true));
    rng.shuffle(&mut sources);
    sources.truncate(rng.range(1, 4));
    let mut project: Vec<Projected> = Vec::new();
    for (source, is_time) in sources {
        let alias = *rng.pick(ALIASES);
        let name = if rng.percent(30) { alias } else { source }.to_string();
        if project.iter().any(|p| p.name == name) {
            continue;
        }
        project.push(Projected { name, source, is_time });
    }
    let items: Vec<String> = project
        .iter()
        .map(|p| {
            if p.name == p.source {
                p.name.clone()
            } else {
                format!("{} = {}", p.name, p.source)
            }
        })
        .collect();
    body.push(format!("| project {}", items.join(", ")));

    let outputs: Vec<(String, Kind)> = project
        .iter()
        .map(|p| {
            let kind = table.columns.iter().find(|(c, _)| *c == p.source).map(|&(_, k)| k);
            (p.name.clone(), kind.unwrap_or(Kind::Time))
        })
        .collect();
    let post_where = if rng.percent(20) {
        let pred = random_pred(rng, vocab, &outputs, 1);
        body.push(format!("| where {}", render_pred(rng, &pred, &mut lets)));
        Some(pred)
    } else {
        None
    };

    let mut order = Vec::new();
    if rng.percent(45) {
        let mut keys = Vec::new();
        for _ in 0..rng.range(1, 2) {
            let column = rng.below(project.len());
            let (direction, descending) = match rng.below(3) {
                0 => ("", true),
                1 => (" asc", false),
                _ => (" desc", true),
            };
            let (nulls, nulls_first) = match rng.below(5) {
                0 => (" nulls first", true),
                1 => (" nulls last", false),
                _ => ("", !descending),
            };
            keys.push(format!("{}{direction}{nulls}", project[column].name));
            order.push(OrderKey {
                column,
                descending,
                nulls_first,
            });
        }
        let verb = if rng.percent(80) { "order by" } else { "sort by" };
        body.push(format!("| {verb} {}", keys.join(", ")));
    }
    let take = rng.percent(30).then(|| rng.range(0, 6));
    if let Some(n) = take {
        body.push(format!("| {} {n}", if rng.percent(70) { "take" } else { "limit" }));
    }

    let mut text = String::new();
    if rng.percent(20) {
        text.push_str("// random rule: has \"x\" | where 'quotes'\n");
    }
    for statement in &lets.statements {
        text.push_str(statement);
        text.push('\n');
    }
    text.push_str(&body.join("\n"));
    text.push('\n');
    GenRule {
        table,
        text,
        wheres,
        project,
        post_where,
        order,
        take,
    }
}

// ---- a whole case ----

struct Case {
    _dir: tempfile::TempDir,
    files: Vec<LogFile>,
    file_tables: Vec<FileTable>,
    placed: Vec<Placed>,
    rules: Vec<GenRule>,
}

fn random_case(rng: &mut Rng) -> Case {
    let vocab = &Vocab::new(rng);
    let (generated, placed) = random_files(rng, vocab);
    // Rules read the tables the files hold (and now and then one with no records at all).
    // Now and then many, as feeds come: the fast path must find every rule a record matches.
    let count = if rng.percent(20) {
        rng.range(3, 9)
    } else {
        rng.range(1, 3)
    };
    let rules = (0..count)
        .map(|_| {
            let table = match generated.get(rng.below(generated.len() + 1)) {
                Some(GeneratedFile {
                    table: FileTable::Dfe, ..
                }) => &DFE,
                Some(_) => &DNS,
                None if rng.percent(50) => &DFE,
                None => &DNS,
            };
            random_rule(rng, vocab, table)
        })
        .collect();
    let (dir, files, file_tables) = write_files(generated);
    Case {
        _dir: dir,
        files,
        file_tables,
        placed,
        rules,
    }
}

fn compile(rules: &[GenRule], context: &str) -> Plan {
    let loaded: Vec<_> = rules
        .iter()
        .enumerate()
        .map(|(i, rule)| {
            let path = format!("r{i}.kql");
            let (rule, _) = load_text(Path::new(&path), &rule.text)
                .unwrap_or_else(|e| panic!("{context}: rule r{i} does not load: {e}\n{}", rules[i].text));
            rule
        })
        .collect();
    let now = parse_datetime(NOW).expect("NOW parses");
    Plan::compile(&loaded, now).unwrap_or_else(|e| {
        let texts: Vec<String> = rules.iter().map(|r| r.text.clone()).collect();
        panic!("{context}: a random rule does not compile: {e}\n{}", texts.join("\n"))
    })
}

// ---- running the scans ----

/// What one scan produced, in comparable form.
#[derive(Debug, PartialEq)]
struct Outcome {
    hits: Vec<Vec<(Position, Vec<Value>)>>,
    records: u64,
    matched: u64,
    malformed: u64,
    /// Per file: bytes, records, malformed, problems.
    files: Vec<(u64, u64, u64, Vec<String>)>,
    /// Compared between every run, like the rest (see `compare`).
    tables: BTreeMap<String, TableCount>,
    malformed_shown: Vec<Malformed>,
}

fn run_scan(pool: &rayon::ThreadPool, plan: &Plan, files: &[LogFile], chunk_size: usize, prefilter: bool) -> Outcome {
    let options = ScanOptions {
        threads: pool.current_num_threads(),
        chunk_size,
        table: None,
        prefilter,
        csv: Default::default(),
        now: 0,
        max_memory: usize::MAX,
        progress: None,
    };
    let (hits, stats) = pool.install(|| scan(plan, files, &options));
    Outcome {
        hits: hits
            .into_iter()
            .map(|rule| rule.into_iter().map(|h| (h.position, h.row)).collect())
            .collect(),
        records: stats.records,
        matched: stats.matched,
        malformed: stats.malformed,
        files: stats
            .files
            .iter()
            .map(|f| (f.bytes, f.records, f.malformed, f.problems.clone()))
            .collect(),
        tables: stats.tables,
        malformed_shown: stats.malformed_shown,
    }
}

struct Pools {
    one: rayon::ThreadPool,
    two: rayon::ThreadPool,
}

impl Pools {
    fn new() -> Pools {
        let pool = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build().expect("a pool");
        Pools {
            one: pool(1),
            two: pool(2),
        }
    }
}

/// Chunk sizes every case is scanned with. A JSON-lines unit ends at the last newline once it
/// holds the chunk size, and a unit that reached the chunk size without one reads on (64 KiB)
/// to the next: 1 byte cuts a JSON array into one element per unit but leaves these small
/// JSON-lines files whole; 1499 bytes cuts both tables' lines into a few records per unit.
const SMALL_CHUNKS: [usize; 2] = [1, 1499];
/// The chunk size of the reference scan (plain path, one thread).
const REFERENCE_CHUNK: usize = 1499;
/// The default chunk size: each of these small files is one unit.
const BIG_CHUNK: usize = 8 << 20;
/// Every this many cases also scan with [`BIG_CHUNK`]. In a debug build the JSON-lines reader
/// zero-fills a buffer of the chunk size twice per file (~100 ms per scan at 8 MiB against
/// ~5 ms for everything else), so scanning every case with it would blow the time budget.
const BIG_CHUNK_EVERY: usize = 8;

/// Scans under every configuration — prefilter on and off, one and two threads, chunks of
/// [`SMALL_CHUNKS`] and (when `big`) 8 MiB — and checks that all agree with the plain path at
/// one thread and [`REFERENCE_CHUNK`]-byte chunks. Returns that reference outcome.
fn scan_every_way(pools: &Pools, plan: &Plan, files: &[LogFile], big: bool, context: &str) -> Outcome {
    let reference = run_scan(&pools.one, plan, files, REFERENCE_CHUNK, false);
    let mut chunks = SMALL_CHUNKS.to_vec();
    if big {
        chunks.push(BIG_CHUNK);
    }
    for prefilter in [false, true] {
        for pool in [&pools.one, &pools.two] {
            for &chunk in &chunks {
                if !prefilter && pool.current_num_threads() == 1 && chunk == REFERENCE_CHUNK {
                    continue; // the reference itself
                }
                let outcome = run_scan(pool, plan, files, chunk, prefilter);
                let config = format!(
                    "prefilter {prefilter}, threads {}, chunk size {chunk}",
                    pool.current_num_threads()
                );
                compare(&reference, &outcome, &format!("{context}; {config}"));
            }
        }
    }
    reference
}

/// The fast path may not change any hit or any count: not the records, matches and malformed
/// records per file, not the table each record was counted in (a skipped record's table is
/// decided as the parser would), not the malformed records listed (a record the fast path cannot
/// walk goes to the parser, whose message it gets).
fn compare(reference: &Outcome, other: &Outcome, context: &str) {
    for (rule, (want, got)) in reference.hits.iter().zip(&other.hits).enumerate() {
        if want != got {
            panic!(
                "{context}: rule r{rule} hits differ from the plain path's\n{}",
                diff_hits(want, got)
            );
        }
    }
    let counts = |o: &Outcome| (o.records, o.matched, o.malformed, o.files.clone());
    assert_eq!(
        counts(reference),
        counts(other),
        "{context}: (records, matched, malformed, per-file bytes/records/malformed/problems) differ from the plain path's"
    );
    // The fast path must account for what it skips exactly as the plain path does.
    assert_eq!(reference.tables, other.tables, "{context}: per-table counts differ");
    assert_eq!(
        reference.malformed_shown, other.malformed_shown,
        "{context}: malformed records listed differ"
    );
}

fn diff_hits(want: &[(Position, Vec<Value>)], got: &[(Position, Vec<Value>)]) -> String {
    let mut text = format!("expected {} rows, got {}\n", want.len(), got.len());
    for i in 0..want.len().max(got.len()) {
        let (w, g) = (want.get(i), got.get(i));
        if w != g {
            let _ = writeln!(
                text,
                "  first difference at row {i}:\n    expected {w:?}\n    got      {g:?}"
            );
            break;
        }
    }
    text
}

// ---- the oracle's answer ----

/// The rows a rule returns according to the oracle, and which records it matched before its
/// tail (for `Stats::matched`).
fn oracle_rows(case: &Case, rule: &GenRule) -> (Vec<(Position, Vec<Value>)>, Vec<Position>) {
    let mut rows = Vec::new();
    let mut matched = Vec::new();
    for placed in &case.placed {
        let Some(record) = &placed.record else { continue };
        if record_table(record, case.file_tables[placed.file]) != Some(rule.table.name) {
            continue;
        }
        let cell = |column: &str| {
            if column == rule.table.time {
                Cell::Time(record.datetime(column))
            } else {
                Cell::Text(record.text(column))
            }
        };
        if !rule.wheres.iter().all(|w| w.holds(&cell)) {
            continue;
        }
        let row: Vec<Value> = rule
            .project
            .iter()
            .map(|p| {
                if p.is_time {
                    record.datetime(p.source).map_or(Value::Null, Value::DateTime)
                } else {
                    Value::String(record.text(p.source))
                }
            })
            .collect();
        if let Some(post) = &rule.post_where {
            let cell = |name: &str| {
                let at = rule
                    .project
                    .iter()
                    .position(|p| p.name == name)
                    .expect("a projected name");
                match &row[at] {
                    Value::String(s) => Cell::Text(s.clone()),
                    Value::DateTime(t) => Cell::Time(Some(*t)),
                    Value::Null => Cell::Time(None),
                    other => panic!("the oracle projects strings and datetimes only, got {other:?}"),
                }
            };
            if !post.holds(&cell) {
                continue;
            }
        }
        matched.push(placed.position());
        rows.push((placed.position(), row));
    }
    rows.sort_by(|a, b| oracle::compare_rows(&rule.order, &a.1, &b.1));
    if let Some(n) = rule.take {
        rows.truncate(n);
    }
    (rows, matched)
}

/// Checks the reference scan against the oracle: every rule's rows (positions and values, in
/// order), and the record, match and malformed counts.
fn check_oracle(case: &Case, outcome: &Outcome, context: &str) {
    let mut matched_any = std::collections::BTreeSet::new();
    for (i, rule) in case.rules.iter().enumerate() {
        let (want, matched) = oracle_rows(case, rule);
        matched_any.extend(matched);
        let got = &outcome.hits[i];
        if &want != got {
            panic!(
                "{context}: rule r{i} disagrees with the oracle\n{}\n{}rule:\n{}",
                diff_hits(&want, got),
                explain(case, &want, got),
                rule.text
            );
        }
    }
    let records = case.placed.len() as u64;
    let malformed = case.placed.iter().filter(|p| p.record.is_none()).count() as u64;
    assert_eq!(
        (outcome.records, outcome.malformed, outcome.matched),
        (records, malformed, matched_any.len() as u64),
        "{context}: (records, malformed, matched) disagree with the oracle"
    );
}

/// The records behind the first rows on which loghunt and the oracle disagree, as written.
fn explain(case: &Case, want: &[(Position, Vec<Value>)], got: &[(Position, Vec<Value>)]) -> String {
    let mut text = String::new();
    let only = |a: &[(Position, Vec<Value>)], b: &[(Position, Vec<Value>)]| -> Vec<Position> {
        a.iter()
            .map(|(p, _)| *p)
            .filter(|p| !b.iter().any(|(q, _)| q == p))
            .collect()
    };
    for (label, positions) in [
        ("only the oracle returns", only(want, got)),
        ("only loghunt returns", only(got, want)),
    ] {
        for position in positions.into_iter().take(3) {
            let placed = case.placed.iter().find(|p| p.position() == position);
            let bytes = placed.map_or_else(String::new, |p| String::from_utf8_lossy(&p.bytes).into_owned());
            let _ = writeln!(text, "{label} {position:?}:\n  {bytes}");
        }
    }
    text
}

fn run_random_cases(test: &str, default_seed: u64, default_count: usize) {
    let pools = Pools::new();
    let mut index = 0;
    for_each_case(test, default_seed, default_count, |rng, context| {
        let case = random_case(rng);
        let plan = compile(&case.rules, context);
        let big = index % BIG_CHUNK_EVERY == 0;
        index += 1;
        let reference = scan_every_way(&pools, &plan, &case.files, big, context);
        check_oracle(&case, &reference, context);
    });
}

// Two tests of the same kind with different seeds, so that the harness runs them side by side.

#[test]
fn fast_path_plain_path_and_oracle_agree_on_random_exports() {
    run_random_cases(
        "fast_path_plain_path_and_oracle_agree_on_random_exports",
        0xD1FF_0000,
        40,
    );
}

#[test]
fn fast_path_plain_path_and_oracle_agree_on_more_random_exports() {
    run_random_cases(
        "fast_path_plain_path_and_oracle_agree_on_more_random_exports",
        0xD1FF_1000,
        40,
    );
}

// ====================================================================================
// Hand-written traps for a raw-byte prefilter
// ====================================================================================

/// An IOC hash for the traps: 64 hex digits, starting with a letter so it can be `\u`-escaped.
const H: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

/// Records that each defeat one shortcut a raw-byte prefilter could take: needle characters
/// written as `\u` escapes, `\/`, `\\`, case, escaped keys and table names, keys of nested
/// objects, duplicate keys, numbers read as text, malformed lines without any needle, a record
/// broken over two lines (whose halves would be valid JSON together). Each
/// rule lists the `(file, line)` of the records it must return, worked out by hand from the
/// README's semantics.
#[test]
fn records_that_hide_or_fake_matches_in_their_raw_bytes() {
    let dns_lines = [
        r#"{"Type":"DnsEvents","Name":"moocow\u002emy"}"#,
        r#"{"Type":"DnsEvents","Name":"\u004dOOCOW.MY"}"#,
        r#"{"Type":"DnsEvents","Name":"http:\/\/moocow.my\/gate.php"}"#,
        r#"{"Type":"DnsEvents","N\u0061me":"moocow.my"}"#,
        r#"{"Type":"Dns\u0045vents","Name":"moocow.my"}"#,
        r#"{"Type":"DnsEvents","Properties":{"Name":"moocow.my"},"Name":"benign.example"}"#,
        r#"{"Type":"DnsEvents","Name":1.0e2}"#,
        r#"{"Type":"DnsEvents","Name":"moocow.my","Name":"benign.example"}"#,
        r#"{"Type":"DnsEvents","Name":"benign.example","Name":"moocow.my"}"#,
        r#"{"Type":"DnsEvents","Name":"no needle here""#,
        r#"{"Type":"DnsEvents"}"#,
        r#"{"Type":"DnsEvents","Name":"a\\moocow.my"}"#,
        r#"{"Type":"DnsEvents","Name":"\ud83d\ude00moocow.my"}"#,
        r#"{"Type":"DnsEvents","Name":"caf\u00e9.example"}"#,
        r#"{"Type":"dnsevents","Name":"moocow.my"}"#,
        r#"{"Type":"DnsEvents","Name":"x\u002dmoocow.my"}"#,
        r#"{"Type":"DnsEvents","Name":"xmoocow.my"}"#,
        r#"{"Type":"DnsEvents","Name":"moo\u0063ow.my"}"#,
        r#"{"Type":"DnsEvents","Name":"MOOCOW.MY"}"#,
        r#"{ "Type" : "DnsEvents" , "Name" : "moocow.my" }"#,
        r#"{"Type":"DnsEvents","Properties":{"Name":"benign.example"},"Name":"moocow.my"}"#,
        "{\"Type\":\"DnsEvents\",\"Name\":\"moocow.my\"} \t",
        // One record over the last two lines (the file ends without a newline): valid JSON
        // together, two malformed lines apart.
        r#"{"Type":"DnsEvents","#,
        r#""Name":"moocow.my"}"#,
    ];
    let dfe_lines = [
        format!(r#"{{"SHA256":"{H}","FileName":"a.exe"}}"#),
        format!(r#"{{"SHA256":"0000","AdditionalFields":{{"SHA256":"{H}"}}}}"#),
        format!(r#"{{"SHA256":"0000","AdditionalFields":"{{\"SHA256\":\"{H}\",\"Url\":\"http:\/\/moocow.my\/\"}}"}}"#),
        format!(r#"{{"SHA256":"{}"}}"#, H.to_ascii_uppercase()),
        format!(r#"{{"SHA256":"\u0061{}"}}"#, &H[1..]),
        format!(r#"{{"SHA256":"{H} "}}"#),
        r#"{"InitiatingProcessCommandLine":"cmd.exe /c \"echo moocow.my\"\t& exit","SHA256":null}"#.to_string(),
        format!(r#"{{"Type":"DnsEvents","SHA256":"{H}"}}"#),
        format!(r#"{{"SHA256":"{H}","Nested":{{"x":[1,{{"SHA256":"zz"}}]}}}}"#),
        format!(r#"{{"AdditionalFields":{{"SHA256":"0000"}},"SHA256":"{H}"}}"#),
    ];
    // A JSON array whose first element holds `]`, `,`, `[` and an escaped quote in a string,
    // and whose third has a raw tab in a string (malformed).
    let array = concat!(
        "[\n",
        "  {\"Type\":\"DnsEvents\",\"Name\":\"x],[{\\\"y,\"},\n",
        "  {\"Type\":\"DnsEvents\",\"Name\":\"moocow.my\"},\n",
        "  {\"Type\":\"DnsEvents\",\"Name\":\"tab\there\"},\n",
        "  {\"Type\":\"DnsEvents\",\"Name\":\"MOOCOW.MY\"}\n",
        "]\n"
    );
    let files = vec![
        GeneratedFile {
            name: "export.jsonl".into(),
            table: FileTable::Dns,
            bytes: dns_lines.join("\r\n").into_bytes(),
        },
        GeneratedFile {
            name: "DeviceFileEvents/traps.jsonl".into(),
            table: FileTable::Dfe,
            bytes: (dfe_lines.join("\n") + "\n").into_bytes(),
        },
        GeneratedFile {
            name: "export-array.json".into(),
            table: FileTable::Dns,
            bytes: array.as_bytes().to_vec(),
        },
    ];
    let dns = |lines: &[u64]| lines.iter().map(|&l| (0, l)).collect::<Vec<_>>();
    let with = |mut a: Vec<(usize, u64)>, b: &[(usize, u64)]| {
        a.extend_from_slice(b);
        a
    };
    let cases: Vec<(String, Vec<(usize, u64)>)> = vec![
        (
            r#"DnsEvents | where Name has "moocow.my""#.into(),
            with(
                dns(&[1, 2, 3, 4, 5, 9, 12, 13, 16, 18, 19, 20, 21, 22]),
                &[(2, 3), (2, 5)],
            ),
        ),
        (
            r#"DnsEvents | where Name == "moocow.my""#.into(),
            with(dns(&[1, 4, 5, 9, 18, 20, 21, 22]), &[(2, 3)]),
        ),
        (
            r#"DnsEvents | where Name in~ ("MOOCOW.MY")"#.into(),
            with(dns(&[1, 2, 4, 5, 9, 18, 19, 20, 21, 22]), &[(2, 3), (2, 5)]),
        ),
        (
            r#"DnsEvents | where Name has_cs "MOOCOW.MY""#.into(),
            with(dns(&[2, 19]), &[(2, 5)]),
        ),
        (r#"DnsEvents | where Name contains "moocow.my/gate""#.into(), dns(&[3])),
        (
            r#"DnsEvents | where Name !in ("moocow.my")"#.into(),
            with(
                dns(&[2, 3, 6, 7, 8, 11, 12, 13, 14, 16, 17, 19]),
                &[(1, 8), (2, 2), (2, 5)],
            ),
        ),
        (r#"DnsEvents | where Name == "100.0""#.into(), dns(&[7])),
        // Line 8 of the Defender file says it is a DnsEvents row, and has no Name.
        ("DnsEvents | where isempty(Name)".into(), with(dns(&[11]), &[(1, 8)])),
        (r#"DnsEvents | where Name has "café.example""#.into(), dns(&[14])),
        (r#"DnsEvents | where Name =~ "CAFÉ.EXAMPLE""#.into(), dns(&[])),
        (r#"DnsEvents | where Name endswith "\\moocow.my""#.into(), dns(&[12])),
        (r#"DnsEvents | where Name startswith "x-""#.into(), dns(&[16])),
        (
            r#"DnsEvents | where Name !has "moocow.my""#.into(),
            with(dns(&[6, 7, 8, 11, 14, 17]), &[(1, 8), (2, 2)]),
        ),
        (
            format!(r#"DeviceFileEvents | where SHA256 in ("{H}")"#),
            vec![(1, 1), (1, 5), (1, 9), (1, 10)],
        ),
        (
            format!(r#"DeviceFileEvents | where SHA256 in~ ("{H}")"#),
            vec![(1, 1), (1, 4), (1, 5), (1, 9), (1, 10)],
        ),
        (
            format!(r#"DeviceFileEvents | where SHA256 has "{H}""#),
            vec![(1, 1), (1, 4), (1, 5), (1, 6), (1, 9), (1, 10)],
        ),
        (
            format!(r#"DeviceFileEvents | where AdditionalFields has "{H}""#),
            vec![(1, 2), (1, 3)],
        ),
        (
            format!(r#"DeviceFileEvents | where AdditionalFields contains "\"SHA256\":\"{H}""#),
            vec![(1, 2), (1, 3)],
        ),
        (
            r#"DeviceFileEvents | where AdditionalFields has "moocow.my/""#.into(),
            vec![(1, 3)],
        ),
        (
            r#"DeviceFileEvents | where InitiatingProcessCommandLine contains "\"\t&""#.into(),
            vec![(1, 7)],
        ),
        ("DeviceFileEvents | where isempty(SHA256)".into(), vec![(1, 7)]),
    ];

    let (_dir, log_files, _) = write_files(files);
    let rules: Vec<_> = cases
        .iter()
        .enumerate()
        .map(|(i, (text, _))| load_text(Path::new(&format!("t{i:02}.kql")), text).expect("loads").0)
        .collect();
    let now = parse_datetime(NOW).expect("NOW parses");
    let pools = Pools::new();
    let lines = |hits: &[(Position, Vec<Value>)]| hits.iter().map(|(p, _)| (p.file, p.line)).collect::<Vec<_>>();
    // Each rule alone first: in one plan with the negated rules, every record must be read
    // anyway, and a prefilter would never get the chance to skip one.
    for (i, (text, expected)) in cases.iter().enumerate() {
        let plan = Plan::compile(std::slice::from_ref(&rules[i]), now).expect("the trap rules compile");
        let outcome = scan_every_way(&pools, &plan, &log_files, false, &format!("trap rule t{i:02}"));
        assert_eq!(&lines(&outcome.hits[0]), expected, "trap rule t{i:02}: {text}");
        // 24 + 10 + 4 records; lines 10, 23 and 24 of the first file and the third array element
        // are malformed.
        assert_eq!(
            (outcome.records, outcome.malformed),
            (38, 4),
            "trap rule t{i:02}: {text}"
        );
    }
    let plan = Plan::compile(&rules, now).expect("the trap rules compile");
    let outcome = scan_every_way(&pools, &plan, &log_files, true, "all trap rules");
    for (i, ((text, expected), hits)) in cases.iter().zip(&outcome.hits).enumerate() {
        assert_eq!(&lines(hits), expected, "trap rule t{i:02} among all: {text}");
    }
}

/// Sets big enough for the walk to warm them (`worth_warming`: each captured hash's bit of
/// their screen fetched before the record is looked up): four rules of 20,000 hashes, two
/// `in` and two `in~`, merged into an index per column and case sensitivity (40,000 digests
/// each), and a lone rule's 40,000 on a column of its own. The fast path still returns what
/// the plain path returns, and the hits worked out from the lists: members as written, in
/// upper case (`in~` only), written with an escape, in another hash column, cut short, nulls
/// and non-members.
#[test]
fn sets_the_walk_warms_find_what_the_plain_path_finds() {
    const PER_RULE: usize = 20_000;
    let mut rng = Rng::new(0x5eed_3a11);
    let mut hex = |digits: usize| -> String {
        let mut text = String::new();
        while text.len() < digits {
            write!(text, "{:016x}", rng.next_u64()).expect("a string takes the digits");
        }
        text.truncate(digits);
        text
    };
    let lists: Vec<Vec<String>> = [PER_RULE, PER_RULE, PER_RULE, PER_RULE, 2 * PER_RULE]
        .iter()
        .map(|&n| (0..n).map(|i| hex([64, 40, 32][i % 3])).collect())
        .collect();
    let quoted = |list: &[String]| list.iter().map(|h| format!("\"{h}\"")).collect::<Vec<_>>().join(",");
    let mut texts: Vec<String> = (0..4)
        .map(|rule| {
            let (op, list) = (if rule < 2 { "in" } else { "in~" }, quoted(&lists[rule]));
            format!("DeviceFileEvents | where SHA256 {op} ({list}) or SHA1 {op} ({list}) or MD5 {op} ({list})")
        })
        .collect();
    texts.push(format!(
        "DeviceFileEvents | where InitiatingProcessSHA1 in ({})",
        quoted(&lists[4])
    ));
    let [a, b, c, d, e] = [0, 1, 2, 3, 4].map(|i| &lists[i]);
    let escaped = |h: &str| format!("\\u00{:x}{}", h.as_bytes()[0], &h[1..]);
    let null = || "null".to_string();
    // (SHA256, SHA1, MD5, InitiatingProcessSHA1) of each line, and which rules return it.
    let lines: Vec<([String; 4], [bool; 5])> = vec![
        (
            [a[0].clone(), null(), null(), null()],
            [true, false, false, false, false],
        ),
        ([a[3].to_ascii_uppercase(), null(), null(), null()], [false; 5]),
        (
            [c[3].to_ascii_uppercase(), null(), null(), null()],
            [false, false, true, false, false],
        ),
        (
            [escaped(&b[6]), null(), null(), null()],
            [false, true, false, false, false],
        ),
        (
            [null(), a[1].clone(), null(), null()],
            [true, false, false, false, false],
        ),
        (
            [null(), null(), d[2].to_ascii_uppercase(), null()],
            [false, false, false, true, false],
        ),
        (
            [
                a[0][..63].to_string(),
                b[1][..39].to_string(),
                c[2][1..].to_string(),
                e[0][1..].to_string(),
            ],
            [false; 5],
        ),
        ([hex(64), hex(40), hex(32), hex(40)], [false; 5]),
        // A list holds its values whatever the column: d[9], a SHA-256, matches as a SHA1.
        (
            [a[9].clone(), d[9].clone(), null(), null()],
            [true, false, false, true, false],
        ),
        (
            [b[12].clone(), c[12].clone(), d[14].clone(), e[1].clone()],
            [false, true, true, true, true],
        ),
        (
            [null(), null(), null(), escaped(&e[4])],
            [false, false, false, false, true],
        ),
        ([null(), null(), null(), e[7].to_ascii_uppercase()], [false; 5]),
        ([null(), null(), null(), a[1].clone()], [false; 5]),
        ([null(), null(), null(), null()], [false; 5]),
    ];
    let field = |value: &str| match value {
        "null" => "null".to_string(),
        value => format!("\"{value}\""),
    };
    let text: String = lines
        .iter()
        .map(|([sha256, sha1, md5, process_sha1], _)| {
            format!(
                "{{\"FileName\":\"x.exe\",\"SHA1\":{},\"SHA256\":{},\"MD5\":{},\"InitiatingProcessSHA1\":{}}}\n",
                field(sha1),
                field(sha256),
                field(md5),
                field(process_sha1)
            )
        })
        .collect();
    let (_dir, log_files) = one_export("DeviceFileEvents/big-sets.jsonl", text);
    let plan = compile_texts("big", &texts);
    // Seven are warmed: SHA256, SHA1 and MD5 with an index per case sensitivity, and the lone
    // set. (Built here for the count, as the scan builds it.)
    let prefilter = plan.prefilter().expect("the rules have column tests");
    let warmed = (prefilter.by_column().iter())
        .flat_map(|column| &column.matchers)
        .filter(|matcher| match matcher {
            Matcher::Strings { index, .. } => index.worth_warming(),
            Matcher::Leaf(test) => matches!(test.leaf, Predicate::InStrings { set, .. } if set.worth_warming()),
            Matcher::Terms { .. } => false,
        })
        .count();
    assert_eq!(warmed, 7, "the sets worth warming");
    let outcome = scan_every_way(&Pools::new(), &plan, &log_files, false, "sets the walk warms");
    assert_lines_per_rule(&outcome, &lines, "big");
}

/// `text` written as the one file `name` of a DeviceFileEvents export.
fn one_export(name: &str, text: String) -> (tempfile::TempDir, Vec<LogFile>) {
    let (dir, log_files, _) = write_files(vec![GeneratedFile {
        name: name.into(),
        table: FileTable::Dfe,
        bytes: text.into_bytes(),
    }]);
    (dir, log_files)
}

/// The plan of one rule per text, `{prefix}{i}.kql` each.
fn compile_texts(prefix: &str, texts: &[String]) -> Plan {
    let rules: Vec<_> = (texts.iter().enumerate())
        .map(|(i, text)| {
            load_text(Path::new(&format!("{prefix}{i}.kql")), text)
                .expect("loads")
                .0
        })
        .collect();
    Plan::compile(&rules, parse_datetime(NOW).expect("NOW parses")).expect("the rules compile")
}

/// Each rule's hits are the lines (numbered from 1) whose flag for it is set in `lines`.
fn assert_lines_per_rule<T, const N: usize>(outcome: &Outcome, lines: &[(T, [bool; N])], prefix: &str) {
    for (rule, hits) in outcome.hits.iter().enumerate() {
        let expected: Vec<u64> = (1..)
            .zip(lines)
            .filter(|(_, (_, hit))| hit[rule])
            .map(|(n, _)| n)
            .collect();
        let got: Vec<u64> = hits.iter().map(|(position, _)| position.line).collect();
        assert_eq!(got, expected, "rule {prefix}{rule}");
    }
}

/// Rules merged into one index whose SHA-256 digests differ but share the index's 64-bit
/// fingerprint (`SetIndex`): the index names both rules for either digest, and each rule's
/// own set still decides, so the fast path returns what the plain path returns.
#[test]
fn digests_sharing_an_index_fingerprint_match_only_their_own_rules() {
    let a: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(53).wrapping_add(7)).collect();
    // The fingerprint folds the 8-byte words, each rotated 23 bits more than the next: flipping
    // `delta` in the last word and `delta` rotated back in the one before keeps it.
    let delta = 0x0f1e_2d3c_4b5a_6978_u64;
    let mut b = a.clone();
    for (at, flip) in [(24, delta), (16, delta.rotate_right(23))] {
        let word = u64::from_le_bytes(b[at..at + 8].try_into().expect("eight bytes")) ^ flip;
        b[at..at + 8].copy_from_slice(&word.to_le_bytes());
    }
    let hex = |bytes: &[u8]| bytes.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let (a, b) = (hex(&a), hex(&b));
    let other = "9".repeat(64);
    let texts = [
        format!("DeviceFileEvents | where SHA256 in (\"{a}\", \"{other}\")"),
        format!("DeviceFileEvents | where SHA256 in (\"{b}\")"),
    ];
    // (SHA256 of each line, whether rule 0 and rule 1 return it)
    let lines = [
        (a.clone(), [true, false]),
        (b.clone(), [false, true]),
        (a.to_ascii_uppercase(), [false, false]),
        (other.clone(), [true, false]),
        ("8".repeat(64), [false, false]),
    ];
    let text: String = (lines.iter())
        .map(|(sha256, _)| format!("{{\"FileName\":\"x.exe\",\"SHA256\":\"{sha256}\"}}\n"))
        .collect();
    let (_dir, log_files) = one_export("DeviceFileEvents/fingerprints.jsonl", text);
    let plan = compile_texts("fp", &texts);
    let prefilter = plan.prefilter().expect("the rules have column tests");
    let merged = (prefilter.by_column().iter())
        .flat_map(|column| &column.matchers)
        .any(|matcher| matches!(matcher, Matcher::Strings { index, .. } if index.owners(&a) == [0, 1]));
    assert!(merged, "one index, naming both rules for either digest");
    let outcome = scan_every_way(&Pools::new(), &plan, &log_files, false, "fingerprints");
    assert_lines_per_rule(&outcome, &lines, "fp");
}

/// Strings of every length around the 16-byte windows in which the field walk searches them,
/// with an escape, a multi-byte character, a control byte or invalid UTF-8 at each position, in
/// the tested column and in another one: the fast path returns the hits and malformed records
/// that the plain path returns, and both what serde_json and the oracle say.
#[test]
fn strings_across_the_walk_windows() {
    // (bytes inside a string, what they decode to; None: the record is malformed)
    let pieces: [(&[u8], Option<&str>); 9] = [
        (br"\u002e", Some(".")),
        (br"\u002E", Some(".")),
        (b".", Some(".")),
        (br"\\", Some("\\")),
        (br"\/", Some("/")),
        ("é".as_bytes(), Some("é")),
        (br"\ud83d\ude00", Some("😀")),
        (b"\x01", None),
        (b"\xff", None),
    ];
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for pad in 0..34 {
        let dashes = "-".repeat(pad);
        for (piece, _) in pieces {
            // The piece between `moocow` and `my`: a match exactly when it decodes to `.`.
            let mut tested = format!("{{\"Type\":\"DnsEvents\",\"Name\":\"{dashes}moocow").into_bytes();
            tested.extend_from_slice(piece);
            tested.extend_from_slice(b"my\"}");
            lines.push(tested);
            // The piece in a column no rule reads: it decides only whether the record is whole.
            let mut other = format!("{{\"Type\":\"DnsEvents\",\"Other\":\"{dashes}").into_bytes();
            other.extend_from_slice(piece);
            other.extend_from_slice(b"\",\"Name\":\"moocow.my\"}");
            lines.push(other);
        }
    }
    let (mut expected_lines, mut expected_malformed) = (Vec::new(), 0);
    for (i, line) in lines.iter().enumerate() {
        match serde_json::from_slice::<serde_json::Value>(line) {
            Ok(row) => {
                let name = row["Name"].as_str().unwrap_or_default();
                if oracle::has(name, "moocow.my", false) {
                    expected_lines.push((0, i as u64 + 1));
                }
            }
            Err(_) => expected_malformed += 1,
        }
    }
    assert!(
        expected_lines.len() > 100 && expected_malformed > 100,
        "the cases cover both"
    );
    let files = vec![GeneratedFile {
        name: "export.jsonl".into(),
        table: FileTable::Dns,
        bytes: lines.join(&b"\n"[..]),
    }];
    let (_dir, log_files, _) = write_files(files);
    let rule = load_text(Path::new("windows.kql"), r#"DnsEvents | where Name has "moocow.my""#)
        .expect("loads")
        .0;
    let now = parse_datetime(NOW).expect("NOW parses");
    let plan = Plan::compile(&[rule], now).expect("the rule compiles");
    let outcome = scan_every_way(
        &Pools::new(),
        &plan,
        &log_files,
        false,
        "strings across the walk's windows",
    );
    let got: Vec<(usize, u64)> = outcome.hits[0].iter().map(|(p, _)| (p.file, p.line)).collect();
    assert_eq!(got, expected_lines);
    assert_eq!(
        (outcome.records, outcome.malformed),
        (lines.len() as u64, expected_malformed)
    );
}
