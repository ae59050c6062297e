//! Differential tests of the query engine: random queries beyond the seed shape, whose leading
//! `where`s (the random predicates of `tests/differential.rs`) go through the fast path and
//! whose other operators run on the scan's workers (`extend`, `project`, `mv-expand`, `parse`,
//! a `summarize` as partial groups merged in input order) or after the scan (`join`, `union`,
//! ...), over the same random exports. Every case is scanned with the prefilter on and off, on
//! one, two and three threads, in chunks of 1, 211 and 1499 bytes (and now and then 2 MiB,
//! the default), and every configuration must give the same rows, values and order, per pipeline
//! and per query result, as the plain path on one thread. Where it is cheap an independent
//! answer is checked too: `summarize count() by Column` and `extend x = strcat(A, "|", B)`
//! computed by the oracle from the generator's own model of the records.
//!
//! Replay or widen a run as in `tests/differential.rs`:
//! `LOGHUNT_DIFF_SEED=<seed> LOGHUNT_DIFF_CASES=<n> cargo test --test differential_engine <test>`.

#[allow(dead_code)]
mod exports;
#[allow(dead_code)]
mod oracle;

use std::fmt::Write as _;
use std::path::Path;

use exports::*;
use loghunt::input::LogFile;
use loghunt::plan::query::{External, Row, Rows, RunError};
use loghunt::plan::Plan;
use loghunt::rules::load_text;
use loghunt::scan::{engine_rows, scan, Position, ScanOptions};
use loghunt::time::parse_datetime;
use loghunt::value::Value;
use oracle::{Cell, Pred, Rng};

const NOW: &str = "2026-06-21T00:00:00Z";

fn now() -> i64 {
    parse_datetime(NOW).expect("NOW parses")
}

// ====================================================================================
// Random queries
// ====================================================================================

/// String columns with few distinct values: group, join and `by` keys.
fn key_columns(table: &TableSpec) -> &'static [&'static str] {
    if table.name == DFE.name {
        &["FileName", "InitiatingProcessFileName", "DeviceName", "SHA1", "MD5"]
    } else {
        &["QueryType", "Computer", "Name", "ClientIP"]
    }
}

/// String columns of any kind (`AdditionalFields` excepted: its type depends on the variant).
fn text_columns(table: &TableSpec) -> Vec<&'static str> {
    table
        .columns
        .iter()
        .map(|&(c, _)| c)
        .filter(|c| *c != "AdditionalFields")
        .collect()
}

/// A `where` the fast path's compiler does not take (a function of a column), which stops
/// the pipeline's fast-path prefix there.
fn slow_where(rng: &mut Rng, table: &TableSpec) -> String {
    let options: &[&str] = if table.name == DFE.name {
        &[
            "tolower(FileName) == \"evil.exe\"",
            "tolower(InitiatingProcessFileName) in (\"powershell.exe\", \"evil.exe\")",
            "strlen(FolderPath) > 30",
            "toupper(SHA1) == SHA1",
            "FileName matches regex \"^[a-z]+\\\\.exe$\"",
            "strcat(FileName, DeviceName) has \"exe\"",
        ]
    } else {
        &[
            "tolower(Name) == \"moocow.my\"",
            "tolower(Name) endswith \".my\"",
            "strlen(Name) > 10",
            "toupper(QueryType) == \"AAAA\"",
            "Name matches regex \"[0-9]\"",
            "strcat(Computer, \"/\", Name) contains \"moocow\"",
        ]
    };
    rng.pick(options).to_string()
}

/// A random `where` over the table's columns, as `tests/differential.rs` makes them: the IOC
/// shape of real hunting rules (which gives the fast path something to prefilter on), or a
/// random tree. Its `let`s go to `lets`.
fn fast_where(rng: &mut Rng, vocab: &Vocab, table: &TableSpec, lets: &mut Lets) -> (String, Pred) {
    let mut columns: Vec<(String, Kind)> = table.columns.iter().map(|&(c, k)| (c.to_string(), k)).collect();
    columns.push((table.time.to_string(), Kind::Time));
    let pred = if rng.percent(45) {
        ioc_shaped_pred(rng, vocab, table)
    } else {
        let depth = *rng.pick(&[0, 1, 1, 2, 2, 3]);
        random_pred(rng, vocab, &columns, depth)
    };
    (format!("| where {}", render_pred(rng, &pred, lets)), pred)
}

/// What the oracle can answer for a query on its own.
#[derive(Debug)]
enum Expected {
    /// `T | where ... | summarize count() by key`
    CountBy {
        table: &'static TableSpec,
        wheres: Vec<Pred>,
        key: &'static str,
    },
    /// `T | where ... | extend x = strcat(a, "|", b) | project Time, x`
    Strcat {
        table: &'static TableSpec,
        wheres: Vec<Pred>,
        a: &'static str,
        b: &'static str,
    },
}

/// One random query: its body (after the `let`s it needs) and the oracle's check, if any.
struct Body {
    lines: Vec<String>,
    expected: Option<Expected>,
}

/// `T | where P [| where P2]` for the start of a query or a leg: the text and the trees.
fn filtered(rng: &mut Rng, vocab: &Vocab, table: &'static TableSpec, lets: &mut Lets) -> (Vec<String>, Vec<Pred>) {
    let mut lines = vec![table.name.to_string()];
    let mut wheres = Vec::new();
    let count = if rng.percent(20) { 2 } else { 1 };
    for _ in 0..count {
        let (text, pred) = fast_where(rng, vocab, table, lets);
        lines.push(text);
        wheres.push(pred);
    }
    (lines, wheres)
}

fn extend_query(rng: &mut Rng, vocab: &Vocab, table: &'static TableSpec, lets: &mut Lets) -> Body {
    let (mut lines, wheres) = filtered(rng, vocab, table, lets);
    let columns = text_columns(table);
    let (a, b, c, d) = (
        rng.pick_copy(&columns),
        rng.pick_copy(&columns),
        rng.pick_copy(&columns),
        rng.pick_copy(&columns),
    );
    if rng.percent(45) {
        lines.push(format!("| extend x = strcat({a}, \"|\", {b})"));
        lines.push(format!("| project {}, x", table.time));
        return Body {
            lines,
            expected: Some(Expected::Strcat { table, wheres, a, b }),
        };
    }
    lines.push(format!("| extend x = strcat({a}, \"|\", {b}), n = strlen({c})"));
    if rng.percent(40) {
        lines.push(format!("| where n > {}", rng.below(20)));
    }
    let project = match rng.below(3) {
        0 => format!("| project {}, x, n, {d}", table.time),
        1 => format!("| project-away {a}"),
        _ => format!("| project n, x, Upper = toupper({d})"),
    };
    lines.push(project);
    Body { lines, expected: None }
}

/// `summarize` right after the fast-path `where`s: it runs on the workers as partial groups.
fn summarize_query(rng: &mut Rng, vocab: &Vocab, table: &'static TableSpec, lets: &mut Lets) -> Body {
    let (mut lines, wheres) = filtered(rng, vocab, table, lets);
    let keys = key_columns(table);
    let key = rng.pick_copy(keys);
    if rng.percent(45) {
        lines.push(format!("| summarize count() by {key}"));
        return Body {
            lines,
            expected: Some(Expected::CountBy { table, wheres, key }),
        };
    }
    let other = rng.pick_copy(keys);
    let text = rng.pick_copy(&text_columns(table));
    let time = table.time;
    let all = [
        "count()".to_string(),
        format!("dcount({other})"),
        format!("make_set({other})"),
        format!("make_list({text})"),
        format!("min({text})"),
        format!("max({text})"),
        format!("arg_max({time}, *)"),
        format!("arg_min({time}, {other})"),
        format!("take_any({other})"),
        format!("countif({text} has \"exe\")"),
        format!("sum(strlen({text}))"),
        format!("min({time})"),
        format!("max({time})"),
        // Keys that tie often, so that which of the tied rows wins depends on merge order.
        format!("arg_max(bin({time}, 1d), {text}, {other})"),
        format!("arg_min(strlen({other}), *)"),
    ];
    let mut aggregates: Vec<String> = Vec::new();
    for (i, aggregate) in all.iter().enumerate() {
        // Names picked so that no two aggregates get the same default name.
        if rng.percent(35) && !(i == 12 && aggregates.contains(&all[11])) {
            aggregates.push(format!("a{i} = {aggregate}"));
        }
    }
    if aggregates.is_empty() {
        aggregates.push("count()".into());
    }
    let by = match rng.below(4) {
        0 => String::new(),
        1 => format!(" by {key}"),
        2 => format!(" by {key}, bin({time}, 1h)"),
        _ => format!(" by bin({time}, 1h)"),
    };
    lines.push(format!("| summarize {}{by}", aggregates.join(", ")));
    if rng.percent(20) {
        let first = aggregates[0].split(" = ").next().unwrap_or_default();
        lines.push(format!("| where isnotnull({first})"));
    }
    Body { lines, expected: None }
}

/// `mv-expand` over a split column, a `where` on the items, sometimes a `summarize` after.
fn mv_expand_query(rng: &mut Rng, vocab: &Vocab, table: &'static TableSpec, lets: &mut Lets) -> Body {
    let (mut lines, _) = filtered(rng, vocab, table, lets);
    let (column, separator) = if table.name == DFE.name {
        *rng.pick(&[
            ("FolderPath", "\\\\"),
            ("InitiatingProcessCommandLine", " "),
            ("FileName", "."),
        ])
    } else {
        *rng.pick(&[("IPAddresses", ";"), ("Name", "."), ("Computer", ".")])
    };
    lines.push(format!("| extend parts = split({column}, \"{separator}\")"));
    if rng.percent(50) {
        lines.push("| mv-expand part = parts to typeof(string)".into());
    } else {
        lines.push("| mv-expand with_itemindex = i part = parts".into());
    }
    let test = *rng.pick(&[
        "isnotempty(part)",
        "part has \"exe\"",
        "part contains \"e\"",
        "part !has \"users\"",
        "strlen(part) > 3",
        "part startswith \"1\"",
    ]);
    lines.push(format!("| where {test}"));
    if rng.percent(40) {
        lines.push("| summarize n = count(), first = take_any(parts) by tostring(part)".into());
    } else {
        lines.push(format!("| project {}, {column}, part", table.time));
    }
    Body { lines, expected: None }
}

fn parse_query(rng: &mut Rng, vocab: &Vocab, table: &'static TableSpec, lets: &mut Lets) -> Body {
    let (mut lines, _) = filtered(rng, vocab, table, lets);
    let parse = if table.name == DFE.name {
        *rng.pick(&[
            "| parse InitiatingProcessCommandLine with * \"://\" host \"/\" rest",
            "| parse FolderPath with host \":\\\\\" rest",
            "| parse kind=relaxed InitiatingProcessCommandLine with * \"--hash=\" host \" \" rest",
            "| parse-where InitiatingProcessCommandLine with * \"http\" rest \"://\" host \"/\" *",
            "| parse kind=regex FileName with host @\"\\.\" rest",
        ])
    } else {
        *rng.pick(&[
            "| parse Name with host \".\" rest",
            "| parse IPAddresses with host \";\" rest",
            "| parse-where Name with * \"www.\" host \".\" rest",
            "| parse kind=regex Computer with host @\"[.-]\" rest",
        ])
    };
    lines.push(parse.to_string());
    if rng.percent(35) {
        lines.push("| summarize count(), make_set(rest) by host".into());
    } else {
        lines.push(format!("| project {}, host, rest", table.time));
    }
    Body { lines, expected: None }
}

/// `let x = T | where a; x | join kind=... (T' | where b) on key`: two pipelines in one scan.
fn join_query(rng: &mut Rng, vocab: &Vocab, table: &'static TableSpec, lets: &mut Lets) -> Body {
    let (left, _) = filtered(rng, vocab, table, lets);
    let kind = rng.pick_copy(&[
        "inner",
        "innerunique",
        "leftouter",
        "leftanti",
        "leftsemi",
        "rightsemi",
        "fullouter",
    ]);
    let name = lets.name("left");
    let mut lines = vec![format!("let {name} = {};", left.join("\n    "))];
    let key;
    if rng.percent(20) {
        // The same `let` on both sides: one pipeline, its rows used twice.
        key = rng.pick_copy(key_columns(table));
        let other = rng.pick_copy(&text_columns(table));
        lines.push(format!(
            "{name} | join kind={kind} ({name} | project {key}, Other = {other}, At = {}) on {key}",
            table.time
        ));
    } else if rng.percent(70) {
        // The same table on both sides: one pass, two pipelines.
        key = rng.pick_copy(key_columns(table));
        let (right, _) = filtered(rng, vocab, table, lets);
        let other = rng.pick_copy(&text_columns(table));
        lines.push(format!(
            "{name} | join kind={kind} ({} | project {key}, Other = {other}, At = {}) on {key}",
            right.join(" "),
            table.time
        ));
    } else {
        // Another table on the right.
        let (other_table, left_key, right_key) = if table.name == DFE.name {
            (&DNS, "DeviceName", "Computer")
        } else {
            (&DFE, "Computer", "DeviceName")
        };
        let (right, _) = filtered(rng, vocab, other_table, lets);
        lines.push(format!(
            "{name} | join kind={kind} ({} | project {right_key}, At = {}) on $left.{left_key} == $right.{right_key}",
            right.join(" "),
            other_table.time
        ));
        key = if kind == "rightsemi" { right_key } else { left_key };
    }
    if rng.percent(30) {
        // Semi and anti joins keep one side's columns: the key is on both.
        lines.push(format!("| summarize count() by {key}"));
    }
    Body { lines, expected: None }
}

/// `union` of filtered legs, of one table or of both.
fn union_query(rng: &mut Rng, vocab: &Vocab, table: &'static TableSpec, lets: &mut Lets) -> Body {
    let leg = |rng: &mut Rng, lets: &mut Lets, table: &'static TableSpec| {
        let (lines, _) = filtered(rng, vocab, table, lets);
        let (host, what) = if table.name == DFE.name {
            ("DeviceName", "FileName")
        } else {
            ("Computer", "Name")
        };
        format!(
            "({} | project When = {}, Host = {host}, What = {what})",
            lines.join(" "),
            table.time
        )
    };
    let other = if rng.percent(50) {
        table
    } else if table.name == DFE.name {
        &DNS
    } else {
        &DFE
    };
    let mut lines = match rng.below(3) {
        0 => vec![format!("union {}, {}", leg(rng, lets, table), leg(rng, lets, other))],
        1 => vec![format!(
            "union {}, {}, {}",
            leg(rng, lets, table),
            leg(rng, lets, other),
            leg(rng, lets, table)
        )],
        _ => {
            // `T | where a | union (U | where b)`: the input is the first leg.
            let (mut first, _) = filtered(rng, vocab, table, lets);
            let (host, what) = if table.name == DFE.name {
                ("DeviceName", "FileName")
            } else {
                ("Computer", "Name")
            };
            first.push(format!("| project When = {}, Host = {host}, What = {what}", table.time));
            first.push(format!("| union {}", leg(rng, lets, other)));
            first
        }
    };
    match rng.below(3) {
        0 => lines.push("| summarize count(), dcount(What) by Host".into()),
        1 => lines.push("| order by When asc".into()),
        _ => {}
    }
    Body { lines, expected: None }
}

/// A `where` the fast path cannot take, before or between ones it can.
fn slow_where_query(rng: &mut Rng, vocab: &Vocab, table: &'static TableSpec, lets: &mut Lets) -> Body {
    let mut lines = vec![table.name.to_string()];
    if rng.percent(50) {
        lines.push(format!("| where {}", slow_where(rng, table)));
        lines.push(fast_where(rng, vocab, table, lets).0);
    } else {
        lines.push(fast_where(rng, vocab, table, lets).0);
        lines.push(format!("| where {}", slow_where(rng, table)));
        if rng.percent(50) {
            lines.push(fast_where(rng, vocab, table, lets).0);
        }
    }
    if rng.percent(30) {
        let key = rng.pick_copy(key_columns(table));
        lines.push(format!("| summarize count(), make_set({}) by {key}", table.time));
    } else {
        let column = rng.pick_copy(&text_columns(table));
        lines.push(format!("| project {}, {column}", table.time));
    }
    Body { lines, expected: None }
}

/// A query shape's generator: the query's body over a table, its `let`s added to `lets`.
type Shape = fn(&mut Rng, &Vocab, &'static TableSpec, &mut Lets) -> Body;

const SHAPES: &[(&str, Shape)] = &[
    ("extend", extend_query),
    ("summarize", summarize_query),
    ("summarize", summarize_query),
    ("mv-expand", mv_expand_query),
    ("parse", parse_query),
    ("join", join_query),
    ("union", union_query),
    ("slow where", slow_where_query),
];

/// A random query: its text, shape and what the oracle expects of it.
struct Query {
    shape: &'static str,
    text: String,
    expected: Option<Expected>,
}

fn random_query(rng: &mut Rng, vocab: &Vocab, table: &'static TableSpec) -> Query {
    let (shape, make) = *rng.pick(SHAPES);
    let mut lets = Lets {
        statements: Vec::new(),
        lists: Vec::new(),
    };
    let body = make(rng, vocab, table, &mut lets);
    let mut text = String::new();
    for statement in &lets.statements {
        text.push_str(statement);
        text.push('\n');
    }
    text.push_str(&body.lines.join("\n"));
    text.push('\n');
    Query {
        shape,
        text,
        expected: body.expected,
    }
}

// ====================================================================================
// Running the scans
// ====================================================================================

/// What a scan and the programs after it produced, in comparable form.
#[derive(Debug, PartialEq)]
struct Outcome {
    /// Each pipeline's rows as the scan returns them.
    pipelines: Vec<Vec<(Position, Vec<Value>)>>,
    /// Each query result: its id, column names and rows (values and origin), in order.
    results: Vec<(String, Vec<String>, Vec<Row>)>,
    records: u64,
    matched: u64,
    malformed: u64,
}

fn no_externals(_: usize, _: &External) -> Result<Rows, RunError> {
    Err(RunError {
        message: "no external data in these tests".into(),
    })
}

/// Scans as `loghunt query` does (`src/app.rs`): the scan, then each rule's program on what
/// its pipelines collected.
fn run(pool: &rayon::ThreadPool, plan: &Plan, files: &[LogFile], chunk_size: usize, prefilter: bool) -> Outcome {
    let options = ScanOptions {
        threads: pool.current_num_threads(),
        chunk_size,
        table: None,
        prefilter,
        csv: Default::default(),
        now: now(),
        max_memory: usize::MAX,
        progress: None,
    };
    let (hits, stats) = pool.install(|| scan(plan, files, &options));
    let pipelines: Vec<Vec<(Position, Vec<Value>)>> = hits
        .iter()
        .map(|rows| rows.iter().map(|h| (h.position, h.row.clone())).collect())
        .collect();
    let collected = engine_rows(plan, hits);
    let results = plan
        .finish(collected, &mut no_externals, now(), usize::MAX)
        .unwrap_or_else(|(rule, e)| panic!("rule {rule} failed to run: {e}"));
    Outcome {
        pipelines,
        results: results
            .into_iter()
            .map(|r| (r.id, r.columns.into_iter().map(|c| c.name).collect(), r.rows))
            .collect(),
        records: stats.records,
        matched: stats.matched,
        malformed: stats.malformed,
    }
}

struct Pools([rayon::ThreadPool; 3]);

impl Pools {
    fn new() -> Pools {
        let pool = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build().expect("a pool");
        Pools([pool(1), pool(2), pool(3)])
    }
}

/// Chunk sizes every case is scanned with. A JSON-lines unit ends at the last newline once it
/// holds the chunk size, and a unit that reached the chunk size without one reads on (64 KiB)
/// to the next: 1 byte cuts a JSON array into one element per unit but leaves these small
/// JSON-lines files whole, 211 bytes cuts `DnsEvents` lines into a record or two per unit,
/// 1499 bytes cuts both tables' lines into a few records per unit.
const SMALL_CHUNKS: [usize; 3] = [1, 211, 1499];
/// The chunk size of the reference scan (plain path, one thread).
const REFERENCE_CHUNK: usize = 1499;
/// The default chunk size: each of these small files is one unit.
const BIG_CHUNK: usize = 2 << 20;
/// Every this many cases also scan with [`BIG_CHUNK`] (a debug build zero-fills a buffer of
/// the chunk size per file, which costs more than the rest of the scan).
const BIG_CHUNK_EVERY: usize = 4;

fn texts(queries: &[Query]) -> String {
    queries
        .iter()
        .enumerate()
        .map(|(i, q)| format!("-- q{i} ({}):\n{}", q.shape, q.text))
        .collect()
}

fn first_difference<T: std::fmt::Debug + PartialEq>(want: &[T], got: &[T]) -> String {
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

/// Scans under every configuration and checks each against the plain path on one thread in
/// [`REFERENCE_CHUNK`]-byte chunks, which it returns.
fn scan_every_way(pools: &Pools, plan: &Plan, files: &[LogFile], big: bool, context: &str) -> Outcome {
    let reference = run(&pools.0[0], plan, files, REFERENCE_CHUNK, false);
    let mut chunks = SMALL_CHUNKS.to_vec();
    if big {
        chunks.push(BIG_CHUNK);
    }
    for prefilter in [false, true] {
        for pool in &pools.0 {
            for &chunk in &chunks {
                if !prefilter && pool.current_num_threads() == 1 && chunk == REFERENCE_CHUNK {
                    continue;
                }
                let got = run(pool, plan, files, chunk, prefilter);
                let config = format!(
                    "prefilter {prefilter}, threads {}, chunk size {chunk}",
                    pool.current_num_threads()
                );
                compare(&reference, &got, &format!("{context}; {config}"));
            }
        }
    }
    reference
}

fn compare(reference: &Outcome, got: &Outcome, context: &str) {
    for (i, (want, got)) in reference.pipelines.iter().zip(&got.pipelines).enumerate() {
        if want != got {
            panic!(
                "{context}: pipeline {i}'s rows differ from the plain path's\n{}",
                first_difference(want, got)
            );
        }
    }
    for ((id, columns, want), (_, got_columns, got)) in reference.results.iter().zip(&got.results) {
        assert_eq!(columns, got_columns, "{context}: result {id}'s columns differ");
        if want != got {
            panic!(
                "{context}: result {id} differs from the plain path's\n{}",
                first_difference(want, got)
            );
        }
    }
    assert_eq!(
        reference.results.len(),
        got.results.len(),
        "{context}: the number of results differs"
    );
    assert_eq!(
        (reference.records, reference.matched, reference.malformed),
        (got.records, got.matched, got.malformed),
        "{context}: (records, matched, malformed) differ from the plain path's"
    );
}

// ====================================================================================
// The oracle
// ====================================================================================

/// The records of `table` every `where` keeps, in input order.
fn oracle_matches<'c>(
    placed: &'c [Placed],
    file_tables: &[FileTable],
    table: &TableSpec,
    wheres: &[Pred],
) -> Vec<&'c Placed> {
    placed
        .iter()
        .filter(|p| {
            let Some(record) = &p.record else { return false };
            if record_table(record, file_tables[p.file]) != Some(table.name) {
                return false;
            }
            let cell = |column: &str| {
                if column == table.time {
                    Cell::Time(record.datetime(column))
                } else {
                    Cell::Text(record.text(column))
                }
            };
            wheres.iter().all(|w| w.holds(&cell))
        })
        .collect()
}

/// The oracle's rows for a query it can answer.
fn oracle_rows(expected: &Expected, placed: &[Placed], file_tables: &[FileTable]) -> Vec<Vec<Value>> {
    match expected {
        Expected::CountBy { table, wheres, key } => {
            // Groups in order of their first row.
            let mut groups: Vec<(String, i64)> = Vec::new();
            for p in oracle_matches(placed, file_tables, table, wheres) {
                let text = p.record.as_ref().expect("a record").text(key);
                match groups.iter_mut().find(|(k, _)| *k == text) {
                    Some((_, n)) => *n += 1,
                    None => groups.push((text, 1)),
                }
            }
            groups
                .into_iter()
                .map(|(k, n)| vec![Value::String(k), Value::Long(n)])
                .collect()
        }
        Expected::Strcat { table, wheres, a, b } => oracle_matches(placed, file_tables, table, wheres)
            .into_iter()
            .map(|p| {
                let record = p.record.as_ref().expect("a record");
                vec![
                    record.datetime(table.time).map_or(Value::Null, Value::DateTime),
                    Value::String(format!("{}|{}", record.text(a), record.text(b))),
                ]
            })
            .collect(),
    }
}

// ====================================================================================
// The tests
// ====================================================================================

fn compile(queries: &[Query], context: &str) -> Plan {
    let rules: Vec<_> = queries
        .iter()
        .enumerate()
        .map(|(i, q)| {
            load_text(Path::new(&format!("q{i}.kql")), &q.text)
                .unwrap_or_else(|e| panic!("{context}: query q{i} does not load: {e}\n{}", q.text))
                .0
        })
        .collect();
    Plan::compile(&rules, now())
        .unwrap_or_else(|e| panic!("{context}: a query does not compile: {e}\n{}", texts(queries)))
}

/// What the random cases exercised, so that a test cannot pass by testing nothing.
#[derive(Default)]
struct Tally {
    cases: usize,
    prefiltered: usize,
    rows: usize,
    oracle: usize,
    workers_summarize: usize,
}

fn run_random_cases(test: &str, default_seed: u64, default_count: usize) -> Tally {
    let pools = Pools::new();
    let mut tally = Tally::default();
    for_each_case(test, default_seed, default_count, |rng, context| {
        let vocab = &Vocab::new(rng);
        let (generated, placed) = random_files(rng, vocab);
        // Usually one query, so that the fast path is on whenever its `where` allows (one
        // pipeline without a prefilter turns it off for the whole plan); now and then several.
        let count = if rng.percent(65) { 1 } else { rng.range(2, 4) };
        let queries: Vec<Query> = (0..count)
            .map(|_| {
                let table = match generated.get(rng.below(generated.len() + 1)).map(|g| g.table) {
                    Some(FileTable::Dfe) => &DFE,
                    Some(FileTable::Dns) => &DNS,
                    None if rng.percent(50) => &DFE,
                    None => &DNS,
                };
                random_query(rng, vocab, table)
            })
            .collect();
        let (_dir, files, file_tables) = write_files(generated);
        let plan = compile(&queries, context);
        let context = format!("{context}\n{}", texts(&queries));
        let big = tally.cases % BIG_CHUNK_EVERY == 0;
        tally.cases += 1;
        tally.prefiltered += plan.prefilter().is_some() as usize;
        tally.workers_summarize += plan.pipelines.iter().filter(|p| p.summarize.is_some()).count();
        let reference = scan_every_way(&pools, &plan, &files, big, &context);
        tally.rows += reference.results.iter().map(|r| r.2.len()).sum::<usize>();
        // Each query's first result is the one under its id, in query order.
        for (i, query) in queries.iter().enumerate() {
            let Some(expected) = &query.expected else { continue };
            let id = format!("q{i}");
            let (_, _, rows) = reference
                .results
                .iter()
                .find(|r| r.0 == id)
                .unwrap_or_else(|| panic!("{context}: no result for {id}"));
            let got: Vec<Vec<Value>> = rows.iter().map(|r| r.values.clone()).collect();
            let want = oracle_rows(expected, &placed, &file_tables);
            if want != got {
                panic!(
                    "{context}: q{i} disagrees with the oracle\n{}",
                    first_difference(&want, &got)
                );
            }
            tally.oracle += 1;
        }
    });
    eprintln!(
        "{test}: {} cases, {} with the prefilter on, {} summarize(s) on the workers, {} result rows, {} checked by the oracle",
        tally.cases, tally.prefiltered, tally.workers_summarize, tally.rows, tally.oracle
    );
    tally
}

/// Checks that the cases meant something: the prefilter was on in many, `summarize` ran on the
/// workers, queries returned rows and the oracle checked some.
fn check_tally(tally: &Tally) {
    if tally.cases < 20 {
        return; // a replay of a few cases
    }
    assert!(
        tally.prefiltered * 4 >= tally.cases,
        "the fast path was on in too few cases"
    );
    assert!(tally.workers_summarize > 0, "no summarize ran on the workers");
    assert!(tally.rows > tally.cases, "the queries returned too few rows");
    assert!(tally.oracle > 0, "the oracle checked nothing");
}

// Two tests with different seeds, so that the harness runs them side by side.

#[test]
fn engine_queries_agree_at_every_thread_count_chunk_size_and_prefilter() {
    let tally = run_random_cases(
        "engine_queries_agree_at_every_thread_count_chunk_size_and_prefilter",
        0xE461_0000,
        30,
    );
    check_tally(&tally);
}

#[test]
fn more_engine_queries_agree_at_every_thread_count_chunk_size_and_prefilter() {
    let tally = run_random_cases(
        "more_engine_queries_agree_at_every_thread_count_chunk_size_and_prefilter",
        0xE461_1000,
        30,
    );
    check_tally(&tally);
}
