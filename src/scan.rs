//! The scan: files are read in order into batches of [`Unit`]s, each batch is evaluated by the
//! rayon pool while the next one is read, and the results are merged in input order. Memory is
//! bounded by two batches (4 × threads × chunk size each), not by the size of the input. Every
//! record ends up counted exactly once: matched, not matched, or malformed.

use std::collections::BTreeMap;
use std::hash::Hasher;
use std::path::PathBuf;

use rayon::prelude::*;

use crate::hashing::{FxHashSet, FxHasher};
use crate::input::csv::CsvOptions;
use crate::input::documents;
use crate::input::fields::{self, FieldValue, Walk};
use crate::input::table::{self, TableOf};
use crate::input::{record, FileReader, Item, LogFile, RawRecord, ReadOptions, Unit};
use crate::plan::prefilter::{ColumnTests, Matcher, Prefilter};
use crate::plan::query::expr::Context as Evaluation;
use crate::plan::query::groups::Groups;
use crate::plan::query::{human_bytes, values_bytes};
use crate::plan::text::IndexKey;
use crate::plan::Plan;
use crate::schema::Table;
use crate::value::Value;

/// How many malformed-record locations the summary keeps.
pub const MALFORMED_SHOWN: usize = 10;

#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub threads: usize,
    pub chunk_size: usize,
    /// `--table`: every record is read as a row of this table.
    pub table: Option<&'static Table>,
    /// Skip records on raw bytes when no rule could match them (the fast path). Off: every
    /// record is parsed and evaluated — the reference the fast path is tested against.
    pub prefilter: bool,
    /// What CSV files cannot say for themselves (time zone, day/month order).
    pub csv: CsvOptions,
    /// The instant `now()` means, for the engine's streaming operators.
    pub now: i64,
    /// The memory the collected rows and groups may take (`--max-memory`).
    pub max_memory: usize,
}

pub use crate::plan::Position;

/// One result row of one rule.
#[derive(Debug, Clone)]
pub struct Hit {
    pub position: Position,
    pub row: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub position: Position,
    pub column: usize,
    pub message: String,
}

#[derive(Debug, Clone, Default)]
pub struct FileStats {
    pub path: PathBuf,
    pub bytes: u64,
    pub records: u64,
    pub malformed: u64,
    /// Problems with the file as a whole; any makes the file "not fully read".
    pub problems: Vec<String>,
    /// Guesses the reader had to make (a CSV file's day/month order).
    pub warnings: Vec<String>,
}

/// Records per table; `scanned` of them belonged to a table some rule reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableCount {
    pub records: u64,
    pub scanned: u64,
}

#[derive(Debug, Default)]
pub struct Stats {
    pub files: Vec<FileStats>,
    pub records: u64,
    pub matched: u64,
    pub malformed: u64,
    pub malformed_shown: Vec<Malformed>,
    /// By table name; `(unknown table)` for records no evidence placed, and the row's own
    /// `Type` for tables loghunt has no schema for.
    pub tables: BTreeMap<String, TableCount>,
    /// Records that are byte-for-byte copies of an earlier record (Log Analytics exports
    /// deliver some twice). They are scanned like any other: Sentinel would return them too.
    pub duplicates: u64,
    /// Whether `duplicates` stopped counting at [`DUPLICATES_TRACKED`] distinct records.
    pub duplicates_capped: bool,
    /// Fingerprints of the records seen, for `duplicates`.
    seen: FxHashSet<u64>,
    /// Set when the rows or groups a query collects outgrew `ScanOptions::max_memory`: the scan
    /// stopped there, and this says which rule and what it was holding.
    pub memory_exceeded: Option<String>,
}

impl Stats {
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    pub fn not_matched(&self) -> u64 {
        self.records - self.matched - self.malformed
    }

    pub fn files_not_fully_read(&self) -> impl Iterator<Item = &FileStats> {
        self.files.iter().filter(|f| !f.problems.is_empty())
    }
}

/// What one unit of work produced.
#[derive(Default)]
struct UnitResult {
    file: usize,
    hits: Vec<(usize, Hit)>,
    records: u64,
    matched: u64,
    malformed: Vec<Malformed>,
    malformed_count: u64,
    tables: BTreeMap<String, TableCount>,
    /// One per record, in order, for duplicate counting.
    fingerprints: Vec<u64>,
    /// Partial `summarize` groups of the pipelines that end in one, over this unit's records.
    groups: Vec<(usize, Groups)>,
}

/// Distinct records whose fingerprints are kept for duplicate counting (about 16 bytes each),
/// so that memory stays bounded whatever the size of the input.
pub const DUPLICATES_TRACKED: usize = 4_000_000;

pub const UNKNOWN_TABLE: &str = "(unknown table)";

/// Scans `files` with every rule of `plan`. Returns each rule's result rows (after its tail:
/// ordered, limited) and the statistics.
pub fn scan(plan: &Plan, files: &[LogFile], options: &ScanOptions) -> (Vec<Vec<Hit>>, Stats) {
    let path_tables: Vec<Option<&'static Table>> = files.iter().map(|f| table::from_path(&f.path)).collect();
    let mut stats = Stats {
        files: files
            .iter()
            .map(|f| FileStats {
                path: f.path.clone(),
                ..FileStats::default()
            })
            .collect(),
        ..Stats::default()
    };
    let mut hits: Vec<Vec<Hit>> = plan.pipelines.iter().map(|_| Vec::new()).collect();
    let mut groups: Vec<Groups> = plan.pipelines.iter().map(|_| Groups::default()).collect();
    // Several units per thread per batch, so that one slow unit does not idle the others.
    let budget = 4 * options.threads.max(1) * options.chunk_size.max(1);
    let mut reader = BatchReader {
        files,
        next_file: 0,
        current: None,
        read: ReadOptions {
            chunk_size: options.chunk_size,
            csv: options.csv,
        },
        budget,
        stats: Stats {
            files: stats.files.clone(),
            ..Stats::default()
        },
        spares: Vec::new(),
    };

    let prefilter = if options.prefilter { plan.prefilter() } else { None };
    let always: Vec<usize> = prefilter.as_ref().map(|p| p.always.clone()).unwrap_or_default();
    let always_tables: Vec<&'static Table> = always.iter().map(|&p| plan.pipelines[p].table).collect();
    let fast = prefilter.map(|p| Fast::new(&p));
    let wanted = wanted_fields(plan);
    let rules_by_table = plan.pipelines_by_table();
    let evaluate = |batch: &[Unit]| -> Vec<UnitResult> {
        let context = |unit: &Unit| Context {
            plan,
            rules_by_table: &rules_by_table,
            // `--table` is for log files: records built in memory name their own tables.
            chosen: options.table.filter(|_| files[unit.file].memory.is_none()),
            path_table: path_tables[unit.file],
            fast: fast.as_ref(),
            now: options.now,
            always: &always,
            always_tables: &always_tables,
            wanted: wanted.as_deref(),
        };
        batch.par_iter().map(|unit| scan_unit(&context(unit), unit)).collect()
    };
    let mut batch = reader.next_batch();
    let mut held = 0usize;
    while !batch.is_empty() {
        // Read the next batch while the pool works on this one.
        let (results, next) = rayon::join(|| evaluate(&batch), || reader.next_batch());
        for mut result in results {
            for (pipeline, partial) in result.groups.drain(..) {
                groups[pipeline].merge(partial);
            }
            held += result.hits.iter().map(|(_, hit)| hit_bytes(hit)).sum::<usize>();
            merge(&mut stats, &mut hits, result);
        }
        reader.spares.extend(batch.into_iter().map(|unit| unit.data));
        batch = next;
        // Stop before the machine does: what the queries hold is bounded by --max-memory.
        let grouped: usize = groups.iter().map(Groups::memory).sum();
        if held + grouped > options.max_memory {
            stats.memory_exceeded = Some(memory_report(plan, &hits, &groups, options.max_memory));
            break;
        }
    }
    absorb_reader_stats(&mut stats, reader.stats);

    stats.malformed_shown.sort_by_key(|m| m.position);
    stats.malformed_shown.truncate(MALFORMED_SHOWN);
    // A pipeline that ends in `summarize` has built groups, not rows: its rows are the groups,
    // each placed where its first row was, so that they sort in order of first appearance.
    for ((pipeline, rows), groups) in plan.pipelines.iter().zip(hits.iter_mut()).zip(groups) {
        if let Some(summarize) = &pipeline.summarize {
            *rows = groups
                .finish(summarize)
                .into_iter()
                .map(|row| Hit {
                    position: row.origin.unwrap_or_default(),
                    row: row.values,
                })
                .collect();
        }
    }
    let finished = plan
        .pipelines
        .iter()
        .zip(hits)
        .map(|(rule, mut rows)| {
            rows.sort_by_key(|h| h.position);
            let rows: Vec<(Position, Vec<Value>)> = rows.into_iter().map(|h| (h.position, h.row)).collect();
            rule.finish(rows)
                .into_iter()
                .map(|(position, row)| Hit { position, row })
                .collect()
        })
        .collect();
    (finished, stats)
}

/// The fields some pipeline reads, and those that place a record (`Type`, an envelope's
/// `category` and `properties`); `None` when some pipeline keeps whole rows.
fn wanted_fields(plan: &Plan) -> Option<Vec<String>> {
    let mut wanted: Vec<String> = ["Type", "category", "properties"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for pipeline in &plan.pipelines {
        for column in pipeline.needed_columns()? {
            let name = &pipeline.table.columns[column].name;
            if !wanted.contains(name) {
                wanted.push(name.clone());
            }
        }
    }
    Some(wanted)
}

/// Approximate bytes a collected row holds.
fn hit_bytes(hit: &Hit) -> usize {
    std::mem::size_of::<Hit>() + values_bytes(&hit.row)
}

/// Which rule's pipeline holds the most, and what: for the error when --max-memory is reached.
fn memory_report(plan: &Plan, hits: &[Vec<Hit>], groups: &[Groups], limit: usize) -> String {
    let held: Vec<(usize, usize)> = (0..plan.pipelines.len())
        .map(|i| (i, hits[i].iter().map(hit_bytes).sum::<usize>() + groups[i].memory()))
        .collect();
    let (index, bytes) = held.into_iter().max_by_key(|(_, b)| *b).unwrap_or((0, 0));
    let pipeline = &plan.pipelines[index];
    let what = if pipeline.summarize.is_some() {
        format!(
            "`summarize` over {} holds {} groups",
            pipeline.table.name,
            groups[index].len()
        )
    } else {
        format!(
            "the rows of {} it keeps for the operators after the scan number {}",
            pipeline.table.name,
            hits[index].len()
        )
    };
    format!(
        "rule {}: {what} (about {}), over --max-memory ({}); narrow the query's leading `where`, or raise --max-memory",
        pipeline.id,
        human_bytes(bytes),
        human_bytes(limit)
    )
}

fn merge(stats: &mut Stats, hits: &mut [Vec<Hit>], result: UnitResult) {
    for fingerprint in result.fingerprints {
        if stats.seen.len() >= DUPLICATES_TRACKED {
            stats.duplicates_capped = true;
            break;
        }
        if !stats.seen.insert(fingerprint) {
            stats.duplicates += 1;
        }
    }
    stats.records += result.records;
    stats.matched += result.matched;
    stats.malformed += result.malformed_count;
    stats.files[result.file].records += result.records;
    stats.files[result.file].malformed += result.malformed_count;
    for (name, count) in result.tables {
        let entry = stats.tables.entry(name).or_default();
        entry.records += count.records;
        entry.scanned += count.scanned;
    }
    for (rule, hit) in result.hits {
        hits[rule].push(hit);
    }
    stats.malformed_shown.extend(result.malformed);
    if stats.malformed_shown.len() > 4 * MALFORMED_SHOWN {
        stats.malformed_shown.sort_by_key(|m| m.position);
        stats.malformed_shown.truncate(MALFORMED_SHOWN);
    }
}

/// Adds what the reader saw (bytes, file problems, records it found broken) to the totals.
fn absorb_reader_stats(stats: &mut Stats, side: Stats) {
    for (file, seen) in stats.files.iter_mut().zip(side.files) {
        file.bytes += seen.bytes;
        file.records += seen.records;
        file.malformed += seen.malformed;
        file.problems.extend(seen.problems);
        file.warnings.extend(seen.warnings);
    }
    stats.records += side.records;
    stats.malformed += side.malformed;
    stats.malformed_shown.extend(side.malformed_shown);
}

/// Reads files in order, cutting them into batches of units.
struct BatchReader<'f> {
    files: &'f [LogFile],
    next_file: usize,
    current: Option<(usize, FileReader)>,
    read: ReadOptions,
    budget: usize,
    /// What the reader itself saw: bytes, file problems, records it found broken.
    stats: Stats,
    /// Buffers of scanned units, to be filled again.
    spares: Vec<Vec<u8>>,
}

impl BatchReader<'_> {
    fn next_batch(&mut self) -> Vec<Unit> {
        let mut batch = Vec::new();
        let mut bytes = 0;
        while bytes < self.budget {
            self.open_next_file();
            let stats = &mut self.stats;
            let Some((file, reader)) = self.current.as_mut() else {
                break;
            };
            let file = *file;
            let spare = self.spares.pop().unwrap_or_default();
            match reader.next_item(spare) {
                None => {
                    stats.files[file].bytes += reader.bytes_read();
                    self.current = None;
                }
                Some(Err(e)) => {
                    stats.files[file].bytes += reader.bytes_read();
                    stats.files[file].problems.push(format!(
                        "read error after {} bytes (decompressed): {e}",
                        reader.bytes_read()
                    ));
                    self.current = None;
                }
                Some(Ok(Item::Unit(unit))) => {
                    bytes += unit.data.len();
                    batch.push(unit);
                }
                Some(Ok(Item::Warning(warning))) => stats.files[file].warnings.push(warning),
                Some(Ok(Item::Issue(issue))) => {
                    let position = Position {
                        file,
                        offset: issue.offset,
                        line: issue.line,
                    };
                    if issue.is_record {
                        stats.records += 1;
                        stats.malformed += 1;
                        stats.files[file].records += 1;
                        stats.files[file].malformed += 1;
                        stats.malformed_shown.push(Malformed {
                            position,
                            column: 0,
                            message: issue.message,
                        });
                    } else {
                        stats.files[file]
                            .problems
                            .push(format!("line {}: {}", issue.line, issue.message));
                    }
                }
            }
        }
        batch
    }

    fn open_next_file(&mut self) {
        while self.current.is_none() {
            let file = self.next_file;
            let Some(log) = self.files.get(file) else { return };
            self.next_file += 1;
            match FileReader::open_log(file, log, &self.read) {
                Ok(reader) => self.current = Some((file, reader)),
                Err(e) => self.stats.files[file].problems.push(format!("cannot read: {e}")),
            }
        }
    }
}

/// What every record of a unit is scanned with.
struct Context<'a> {
    plan: &'a Plan,
    /// Each table some rule reads, with those rules' indices: looked up once per record
    /// instead of walking every rule (a million IOCs come as hundreds of rules).
    rules_by_table: &'a [(&'static Table, Vec<usize>)],
    chosen: Option<&'static Table>,
    path_table: Option<&'static Table>,
    fast: Option<&'a Fast<'a>>,
    now: i64,
    /// Pipelines the fast path has no test for (sorted): they run on every parsed record of
    /// their table, and make its records parsed rather than skipped.
    always: &'a [usize],
    /// The tables the `always` pipelines read.
    always_tables: &'a [&'static Table],
    /// The only fields any pipeline reads, when every pipeline says (none keeps whole rows):
    /// a record whose table is known before parsing is parsed for these alone.
    wanted: Option<&'a [String]>,
}

fn scan_unit(context: &Context<'_>, unit: &Unit) -> UnitResult {
    let mut result = UnitResult {
        file: unit.file,
        ..UnitResult::default()
    };
    let Some(fast) = context.fast else {
        unit.for_each_record(|raw| {
            result.fingerprints.push(fingerprint(raw.bytes));
            scan_record(context, unit.file, raw, None, &mut result)
        });
        return result;
    };
    // The captured values borrow each record's bytes, so they live per record: on the stack
    // for the usual handful of keys. The second half takes an envelope's row.
    const ON_STACK: usize = 8;
    let keys = fast.keys.len();
    let mut candidates = Vec::new();
    unit.for_each_record(|raw| {
        result.fingerprints.push(fingerprint(raw.bytes));
        let mut stack: [Option<FieldValue<'_>>; 2 * ON_STACK] = Default::default();
        let mut heap = Vec::new();
        let buffer = if keys <= ON_STACK {
            &mut stack[..2 * keys]
        } else {
            heap.resize(2 * keys, None);
            &mut heap[..]
        };
        let (values, row_values) = buffer.split_at_mut(keys);
        if fields::walk(raw.bytes, &fast.keys, values) != Walk::Valid {
            return scan_record(context, unit.file, raw, None, &mut result);
        }
        let Some((row, table)) = fast.envelope(values) else {
            return fast_record(context, unit.file, raw, values, raw.table, &mut candidates, &mut result);
        };
        // A Defender envelope (storage-account export): its row is the `properties` object,
        // walked in turn with the same keys.
        if fields::walk(row, &fast.keys, row_values) != Walk::Valid {
            return scan_record(context, unit.file, raw, None, &mut result);
        }
        let named = raw.table.or(Some(table));
        fast_record(context, unit.file, raw, row_values, named, &mut candidates, &mut result);
    });
    result
}

/// The fast path's verdict on a well-formed record whose row's captured `values` are known:
/// skipped, or parsed and run through the rules that can match it. `named` is the table the
/// file or the envelope names for the record.
fn fast_record(
    context: &Context<'_>,
    file: usize,
    raw: RawRecord<'_>,
    values: &[Option<FieldValue<'_>>],
    named: Option<&str>,
    candidates: &mut Vec<usize>,
    result: &mut UnitResult,
) {
    let Some(fast) = context.fast else {
        return scan_record(context, file, raw, None, result);
    };
    match fast.candidates(values, candidates) {
        Candidates::Skip => skip_record(context, fast, file, raw, values, named, result),
        Candidates::Listed => scan_record(context, file, raw, Some(candidates), result),
        Candidates::Every => scan_record(context, file, raw, None, result),
    }
}

/// A record's identity for duplicate counting: a 64-bit hash of its bytes (a false duplicate
/// among ten million records has odds of about one in 300,000). Four independent lanes keep
/// the multiplies from waiting on each other: every byte of the input passes through here.
fn fingerprint(bytes: &[u8]) -> u64 {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut lanes = [1u64, 2, 3, 4];
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        for (lane, word) in lanes.iter_mut().zip(block.chunks_exact(8)) {
            let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
            *lane = (lane.rotate_left(5) ^ word).wrapping_mul(SEED);
        }
    }
    let mut hasher = FxHasher::default();
    for lane in lanes {
        hasher.write_u64(lane);
    }
    hasher.write(blocks.remainder());
    hasher.write_usize(bytes.len());
    hasher.finish()
}

/// The fast path's per-record check, built once per scan from the plan's prefilter.
struct Fast<'p> {
    /// The top-level keys a walk captures: the tests' columns, then `Type` and `properties`.
    keys: Vec<&'p str>,
    /// Per tested column (the first keys), its merged tests.
    columns: Vec<ColumnTests<'p>>,
    type_key: usize,
    /// `properties` and `category`: a Defender envelope holds the row in the first and names
    /// its table in the second.
    envelope_key: usize,
    category_key: usize,
}

impl<'p> Fast<'p> {
    fn new(prefilter: &Prefilter<'p>) -> Fast<'p> {
        let columns = prefilter.by_column();
        let mut keys: Vec<&'p str> = columns.iter().map(|c| c.column).collect();
        let mut key = |name: &'p str| {
            keys.iter().position(|k| *k == name).unwrap_or_else(|| {
                keys.push(name);
                keys.len() - 1
            })
        };
        let (type_key, envelope_key, category_key) = (key("Type"), key("properties"), key("category"));
        Fast {
            keys,
            columns,
            type_key,
            envelope_key,
            category_key,
        }
    }

    /// The row and table of a Defender storage-account envelope (`"category":
    /// "AdvancedHunting-<table>"` with the row in `"properties"`), exactly when the parsed path
    /// unwraps it ([`documents::unwrap_streaming_record`]).
    fn envelope<'v>(&self, values: &'v [Option<FieldValue<'_>>]) -> Option<(&'v [u8], &'v str)> {
        let Some(FieldValue::Object(row)) = &values[self.envelope_key] else {
            return None;
        };
        let Some(FieldValue::Str(category)) = &values[self.category_key] else {
            return None;
        };
        Some((row, documents::streaming_category_table(category)?))
    }

    /// Which rules can match the record, from the column tests on the decoded values its
    /// columns have (`""` when null or missing). With [`Candidates::Listed`], `out` holds them,
    /// sorted: every other rule has all its necessary tests failing.
    fn candidates(&self, values: &[Option<FieldValue<'_>>], out: &mut Vec<usize>) -> Candidates {
        out.clear();
        // `properties` outside an envelope (or inside its row): rare, and left to the parser.
        if values[self.envelope_key].is_some() {
            return Candidates::Every;
        }
        // Every value a merged index will be asked about is decoded first, and the lookups
        // follow with nothing between them: with a million IOCs they miss the cache (gigabytes
        // stream past it), and back to back the processor overlaps their waits.
        const PREPARED: usize = 8;
        let mut keys: [Option<IndexKey<'_>>; PREPARED] = Default::default();
        let mut prepared = 0;
        for (column, value) in self.columns.iter().zip(values) {
            let Some(FieldValue::Str(text)) = value else { continue };
            for matcher in &column.matchers {
                if let (Matcher::Strings { index, .. }, Some(slot)) = (matcher, keys.get_mut(prepared)) {
                    *slot = Some(index.key(text));
                    prepared += 1;
                }
            }
        }
        let mut next = 0;
        for (column, value) in self.columns.iter().zip(values) {
            match value {
                None | Some(FieldValue::Null) => out.extend_from_slice(&column.on_empty),
                Some(FieldValue::Str(text)) => {
                    for matcher in &column.matchers {
                        let mut key = None;
                        if let Matcher::Strings { .. } = matcher {
                            key = keys.get(next).and_then(Option::as_ref);
                            next += 1;
                        }
                        matcher.rules_on_prepared(text, key, out);
                    }
                }
                // Not a string: its text is a rendering the tests did not see.
                Some(FieldValue::Object(_) | FieldValue::Other) => out.extend_from_slice(&column.rules),
            }
        }
        if out.is_empty() {
            return Candidates::Skip;
        }
        out.sort_unstable();
        out.dedup();
        Candidates::Listed
    }
}

/// What the fast path learns of a record before parsing it.
enum Candidates {
    /// No rule can match it.
    Skip,
    /// Only the rules [`Fast::candidates`] listed can.
    Listed,
    /// Any rule can (its row is inside a Defender envelope, out of the walk's sight).
    Every,
}

/// Accounts for a well-formed record no rule can match, exactly as [`scan_record`] would,
/// without building its fields. Where its table needs the parsed columns, it takes the full path.
fn skip_record(
    context: &Context<'_>,
    fast: &Fast<'_>,
    file: usize,
    raw: RawRecord<'_>,
    values: &[Option<FieldValue<'_>>],
    named: Option<&str>,
    result: &mut UnitResult,
) {
    let type_column = match &values[fast.type_key] {
        Some(FieldValue::Str(name)) => Some(name.as_ref()),
        _ => None,
    };
    let table = match (context.chosen, named.or(type_column), context.path_table) {
        (Some(table), _, _) => Some(table),
        (None, Some(name), _) => match crate::schema::table(name) {
            Some(table) => Some(table),
            None => {
                result.records += 1;
                count_table(context, result, name, None);
                return;
            }
        },
        (None, _, Some(table)) => Some(table),
        (None, _, None) => None,
    };
    let Some(table) = table else {
        // Only the columns can tell the table: parse (only the always-run pipelines may match).
        return scan_record(context, file, raw, Some(&[]), result);
    };
    if context.always_tables.iter().any(|t| std::ptr::eq(*t, table)) {
        // A pipeline without a column test reads this table: parse, and run only those.
        return scan_record(context, file, raw, Some(&[]), result);
    }
    result.records += 1;
    count_table(context, result, &table.name, Some(table));
}

/// Counts a record under its table, and returns the rules that read the table (none: the
/// record is skipped).
fn count_table<'c>(
    context: &Context<'c>,
    result: &mut UnitResult,
    name: &str,
    table: Option<&'static Table>,
) -> &'c [usize] {
    let rules = table
        .and_then(|t| context.rules_by_table.iter().find(|(read, _)| std::ptr::eq(*read, t)))
        .map_or(&[][..], |(_, rules)| rules.as_slice());
    // Look up before inserting: the name is only copied the first time a unit sees it.
    let count = match result.tables.get_mut(name) {
        Some(count) => count,
        None => result.tables.entry(name.to_string()).or_default(),
    };
    count.records += 1;
    count.scanned += !rules.is_empty() as u64;
    rules
}

/// Parses a record, accounts for it, and runs the rules of its table on it: all of them, or
/// only those of `only` (sorted) when the fast path has shown that no other can match.
fn scan_record(
    context: &Context<'_>,
    file: usize,
    raw: RawRecord<'_>,
    only: Option<&[usize]>,
    result: &mut UnitResult,
) {
    let plan = context.plan;
    result.records += 1;
    let position = Position {
        file,
        offset: raw.offset,
        line: raw.line,
    };
    // Parsing only the fields the queries read is what makes `T | summarize count() by X`
    // fast; it needs the table known before parsing (detection by columns sees every field).
    let known = context.chosen.is_some() || raw.table.is_some() || context.path_table.is_some();
    let parsed = match context.wanted.filter(|_| known) {
        Some(wanted) => record::parse_only(raw.bytes, wanted),
        None => record::parse(raw.bytes),
    };
    let fields = match parsed {
        Ok(fields) => fields,
        Err((message, line, column)) => {
            result.malformed_count += 1;
            let position = Position {
                line: raw.line + line.saturating_sub(1) as u64,
                ..position
            };
            if result.malformed.len() < MALFORMED_SHOWN {
                result.malformed.push(Malformed {
                    position,
                    column,
                    message,
                });
            }
            return;
        }
    };
    // The storage-account form of the Defender streaming API: the row is the envelope's
    // `properties`, its table the envelope's `category`.
    let (fields, envelope_table) = match documents::unwrap_streaming_record(&fields) {
        Some((row, table)) => (row, Some(table)),
        None => (&fields, None),
    };
    let (name, table) = match table::table_of(fields, context.chosen, raw.table.or(envelope_table), context.path_table)
    {
        TableOf::Known(t) => (t.name.as_str(), Some(t)),
        TableOf::Named(name) => (name, None),
        TableOf::Unknown => (UNKNOWN_TABLE, None),
    };
    let rules = count_table(context, result, name, table);
    let (Some(table), false) = (table, rules.is_empty()) else {
        return;
    };
    let row = record::RecordRow { fields, table };
    let mut matched = false;
    let mut rows = Vec::new();
    for &index in rules {
        let listed =
            |only: &[usize]| only.binary_search(&index).is_ok() || context.always.binary_search(&index).is_ok();
        if only.is_some_and(|only| !listed(only)) {
            continue;
        }
        let pipeline = &plan.pipelines[index];
        pipeline.stream_into(&row, context.now, &mut rows);
        matched |= !rows.is_empty();
        match &pipeline.summarize {
            None => result
                .hits
                .extend(rows.drain(..).map(|values| (index, Hit { position, row: values }))),
            Some(summarize) => {
                let groups = match result.groups.iter().position(|(p, _)| *p == index) {
                    Some(at) => &mut result.groups[at].1,
                    None => {
                        result.groups.push((index, Groups::default()));
                        &mut result.groups.last_mut().expect("just pushed").1
                    }
                };
                let evaluation = Evaluation::new(context.now);
                for values in rows.drain(..) {
                    groups.add(summarize, &values, Some(position), &evaluation);
                }
            }
        }
    }
    result.matched += matched as u64;
}
