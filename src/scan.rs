//! The scan: files are read in order into [`Unit`]s, handed to the rayon pool as soon as they
//! are read (in jobs of about a chunk's bytes), and the results are merged in input order.
//! Memory is bounded by the units read and not yet merged (8 × threads × chunk size), not by
//! the size of the input.
//! Every record ends up counted exactly once: matched, not matched, or malformed.
//!
//! This file drives the scan (reading, the pipeline, merging, statistics, memory); `unit.rs` is a
//! worker's pass over one unit (parse, account, run the pipelines); `fast.rs` is the fast path
//! that skips records on their raw bytes; `fingerprint.rs` hashes each record for the count of
//! duplicates.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{mpsc, Arc};

use crate::input::csv::CsvOptions;
use crate::input::region::Regions;
use crate::input::{table, FileReader, Item, LogFile, ReadOptions, Unit};
use crate::plan::prefilter::Prefilter;
use crate::plan::query::groups::Groups;
use crate::plan::query::{human_bytes, values_bytes};
use crate::plan::Plan;
use crate::schema::Table;
use crate::value::Value;
use fingerprint::Copies;

mod fast;
mod fingerprint;
pub mod progress;
mod unit;

use fast::RawCheck;
use unit::{scan_unit, Context};

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
    /// Counters the scan bumps as it goes, for a progress bar.
    pub progress: Option<Arc<progress::Progress>>,
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
    /// Whether `duplicates` counted the first [`DUPLICATES_TRACKED`] records only.
    pub duplicates_capped: bool,
    /// Fingerprints of the records seen, for `duplicates`.
    copies: Copies,
    /// Per file, the newlines of its units merged so far.
    newlines: Vec<u64>,
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
    /// The counts of the known tables the unit has seen, by address (and where the rules that
    /// read each are in `Context::rules_by_table`); `tables` has the others, by name.
    known: Vec<(&'static Table, Option<usize>, TableCount)>,
    /// One per record, in order, for duplicate counting.
    fingerprints: Vec<u64>,
    /// Partial `summarize` groups of the pipelines that end in one, over this unit's records.
    groups: Vec<(usize, Groups)>,
    /// The newlines in the unit's bytes, and whether its lines were numbered from 1 for want
    /// of knowing them ([`crate::input::Unit::line`]): the merge then moves them on by the
    /// newlines of the file's units before it.
    newlines: u64,
    lines_follow: bool,
}

/// Records whose fingerprints are kept for duplicate counting (8 bytes each), so that memory
/// stays bounded whatever the size of the input: copies are counted among the first this many.
pub const DUPLICATES_TRACKED: usize = fingerprint::TRACKED;

pub const UNKNOWN_TABLE: &str = "(unknown table)";

/// The scan's hits as the rows [`Plan::finish`] takes, pipeline by pipeline: a row of a record
/// keeps where the record is; a row of a pipeline's `summarize` groups has no single place.
pub fn engine_rows(plan: &Plan, hits: Vec<Vec<Hit>>) -> Vec<Vec<crate::plan::query::Row>> {
    hits.into_iter()
        .zip(&plan.pipelines)
        .map(|(rows, pipeline)| {
            let summarized = pipeline.summarize.is_some();
            rows.into_iter()
                .map(|hit| crate::plan::query::Row {
                    values: hit.row,
                    origin: (!summarized).then_some(hit.position),
                })
                .collect()
        })
        .collect()
}

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
        newlines: vec![0; files.len()],
        ..Stats::default()
    };
    let mut collected = Collected {
        hits: plan.pipelines.iter().map(|_| Vec::new()).collect(),
        groups: plan.pipelines.iter().map(|_| Groups::default()).collect(),
        held: 0,
    };
    // The bytes of units read and not yet merged: about eight chunks per thread.
    let window = 8 * options.threads.max(1) * options.chunk_size.max(1);
    let mut reader = UnitReader {
        files,
        next_file: 0,
        current: None,
        read: ReadOptions {
            chunk_size: options.chunk_size,
            csv: options.csv,
        },
        stats: Stats {
            files: stats.files.clone(),
            ..Stats::default()
        },
        spares: Vec::new(),
        regions: Regions::new(options.chunk_size),
        progress: options.progress.clone(),
    };

    let wanted = wanted_fields(plan);
    // Without a column test to skip on, the fast path still reads the fields the pipelines
    // want out of each record faster than the parser does.
    let every_pipeline = || Prefilter {
        tests: Vec::new(),
        always: (0..plan.pipelines.len()).collect(),
    };
    let prefilter = options
        .prefilter
        .then(|| plan.prefilter().or_else(|| wanted.is_some().then(every_pipeline)))
        .flatten();
    let always: Vec<usize> = prefilter.as_ref().map(|p| p.always.clone()).unwrap_or_default();
    let always_tables: Vec<&'static Table> = always.iter().map(|&p| plan.pipelines[p].table).collect();
    let rules_by_table = plan.pipelines_by_table();
    let tables: Vec<&'static Table> = rules_by_table.iter().map(|(table, _)| *table).collect();
    let fast = prefilter.map(|p| RawCheck::new(&p, wanted.as_deref(), &tables));
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
    let evaluate = |unit: &Unit| {
        let result = scan_unit(&context(unit), unit);
        if let Some(progress) = &options.progress {
            progress.records_done(result.records, result.matched);
        }
        result
    };
    // Units go to the pool as soon as they are read, in jobs of about a chunk's bytes (a small
    // file is a unit of its own, and a job per unit cost its spawn and message in each of
    // 2,000 small files), while fewer than `window` bytes are read and not merged; the results
    // are merged in input order as they come. (Batches of units, each evaluated whole before
    // the next began, idled a thread at the end of every batch while the other finished its
    // last unit: 4-6 % of a 20-IOC scan on two threads.)
    let job_bytes = options.chunk_size.max(1);
    let (sender, finished) = mpsc::channel::<(usize, Vec<UnitResult>, Vec<Vec<u8>>)>();
    rayon::in_place_scope(|scope| {
        // Jobs spawned (`spawned`) and merged (`merged`) so far; the bytes of those in
        // between, and their sum.
        let (mut spawned, mut merged) = (0, 0);
        let (mut sizes, mut unmerged) = (VecDeque::new(), 0);
        let mut waiting: BTreeMap<usize, Vec<UnitResult>> = BTreeMap::new();
        let mut stopped = false;
        loop {
            while !stopped && unmerged < window {
                let (mut job, mut bytes) = (Vec::new(), 0);
                while bytes < job_bytes {
                    let Some(unit) = reader.next_unit() else {
                        stopped = true;
                        break;
                    };
                    bytes += unit.data.len();
                    job.push(unit);
                }
                if job.is_empty() {
                    break;
                }
                sizes.push_back(bytes);
                unmerged += bytes;
                let (sender, number, evaluate) = (sender.clone(), spawned, &evaluate);
                spawned += 1;
                scope.spawn(move |_| {
                    let results = job.iter().map(evaluate).collect();
                    let buffers = job.into_iter().filter_map(|unit| unit.data.into_buffer()).collect();
                    // The receiver is gone only if the scan is over: nothing to tell.
                    let _ = sender.send((number, results, buffers));
                });
            }
            if merged == spawned {
                break;
            }
            let (number, results, buffers) = match finished.try_recv() {
                Ok(done) => done,
                // Nothing finished yet: evaluate a waiting job on this thread, or else wait
                // (every job is then being evaluated elsewhere, or finished).
                Err(_) => match rayon::yield_now() {
                    Some(rayon::Yield::Executed) => continue,
                    _ => match finished.recv() {
                        Ok(done) => done,
                        Err(_) => break,
                    },
                },
            };
            reader.spares.extend(buffers);
            waiting.insert(number, results);
            while let Some(results) = waiting.remove(&merged) {
                merged += 1;
                unmerged -= sizes.pop_front().unwrap_or_default();
                // Stop before the machine does: what the queries hold is bounded by
                // --max-memory. The jobs after the one that went over are let go, as if the
                // scan had stopped there.
                if stats.memory_exceeded.is_none() && !collected.merge_within(&mut stats, results, options.max_memory) {
                    stats.memory_exceeded = Some(collected.memory_report(plan, options.max_memory));
                    stopped = true;
                }
            }
        }
    });
    let Collected { mut hits, groups, .. } = collected;
    (stats.duplicates, stats.duplicates_capped) = std::mem::take(&mut stats.copies).count();
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

/// What the scan has collected for the pipelines so far, in input order: each one's rows, its
/// `summarize` groups, and about how many bytes the rows hold.
struct Collected {
    hits: Vec<Vec<Hit>>,
    groups: Vec<Groups>,
    held: usize,
}

impl Collected {
    /// Merges a batch's unit results, in input order, and tells whether the rows and groups
    /// still fit in `max_memory` bytes.
    fn merge_within(&mut self, stats: &mut Stats, results: Vec<UnitResult>, max_memory: usize) -> bool {
        for mut result in results {
            number_lines(stats, &mut result);
            for (pipeline, partial) in result.groups.drain(..) {
                self.groups[pipeline].merge(partial);
            }
            self.held += result.hits.iter().map(|(_, hit)| hit_bytes(hit)).sum::<usize>();
            merge(stats, &mut self.hits, result);
        }
        self.held + self.groups.iter().map(Groups::memory).sum::<usize>() <= max_memory
    }

    /// Which rule's pipeline holds the most, and what: for the error when --max-memory is
    /// reached.
    fn memory_report(&self, plan: &Plan, limit: usize) -> String {
        let held: Vec<(usize, usize)> = (0..plan.pipelines.len())
            .map(|i| {
                (
                    i,
                    self.hits[i].iter().map(hit_bytes).sum::<usize>() + self.groups[i].memory(),
                )
            })
            .collect();
        let (index, bytes) = held.into_iter().max_by_key(|(_, b)| *b).unwrap_or((0, 0));
        let pipeline = &plan.pipelines[index];
        let what = if pipeline.summarize.is_some() {
            format!(
                "`summarize` over {} holds {} groups",
                pipeline.table.name,
                self.groups[index].len()
            )
        } else {
            format!(
                "the rows of {} it keeps for the operators after the scan number {}",
                pipeline.table.name,
                self.hits[index].len()
            )
        };
        format!(
            "rule {}: {what} (about {}), over --max-memory ({}); narrow the query's leading `where`, or raise --max-memory",
            pipeline.id,
            human_bytes(bytes),
            human_bytes(limit)
        )
    }
}

/// Gives the lines of a unit numbered from 1 their place in the file: past the newlines of the
/// file's units before it (merged in order, so all counted by now).
fn number_lines(stats: &mut Stats, result: &mut UnitResult) {
    let before = stats.newlines[result.file];
    stats.newlines[result.file] += result.newlines;
    if !result.lines_follow || before == 0 {
        return;
    }
    for (_, hit) in &mut result.hits {
        hit.position.line += before;
    }
    for malformed in &mut result.malformed {
        malformed.position.line += before;
    }
    for (_, partial) in &mut result.groups {
        partial.shift_lines(before);
    }
}

fn merge(stats: &mut Stats, hits: &mut [Vec<Hit>], result: UnitResult) {
    stats.copies.add(&result.fingerprints);
    stats.records += result.records;
    stats.matched += result.matched;
    stats.malformed += result.malformed_count;
    stats.files[result.file].records += result.records;
    stats.files[result.file].malformed += result.malformed_count;
    let mut add = |name: &str, count: TableCount| {
        // Looked up before inserting: a name is copied once per scan, not once per unit.
        let entry = match stats.tables.get_mut(name) {
            Some(entry) => entry,
            None => stats.tables.entry(name.to_string()).or_default(),
        };
        entry.records += count.records;
        entry.scanned += count.scanned;
    };
    for (table, _, count) in result.known {
        add(&table.name, count);
    }
    for (name, count) in result.tables {
        add(&name, count);
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

/// Reads files in order, cutting them into units.
struct UnitReader<'f> {
    files: &'f [LogFile],
    next_file: usize,
    current: Option<(usize, FileReader)>,
    read: ReadOptions,
    /// What the reader itself saw: bytes, file problems, records it found broken.
    stats: Stats,
    /// Buffers of scanned units, to be filled again.
    spares: Vec<Vec<u8>>,
    /// Where small files are mapped.
    regions: Regions,
    progress: Option<Arc<progress::Progress>>,
}

impl UnitReader<'_> {
    /// The next unit of the input, after any warnings and broken records before it (counted in
    /// the reader's own statistics); `None` at the end of the last file.
    fn next_unit(&mut self) -> Option<Unit> {
        loop {
            self.open_next_file();
            let stats = &mut self.stats;
            let (file, reader) = self.current.as_mut()?;
            let file = *file;
            let spare = self.spares.pop().unwrap_or_default();
            match reader.next_item(spare) {
                None => {
                    stats.files[file].bytes += reader.bytes_read();
                    self.current = None;
                    self.file_done(file);
                }
                Some(Err(e)) => {
                    stats.files[file].bytes += reader.bytes_read();
                    stats.files[file].problems.push(format!(
                        "read error after {} bytes (decompressed): {e}",
                        reader.bytes_read()
                    ));
                    self.current = None;
                    self.file_done(file);
                }
                Some(Ok(Item::Unit(unit))) => return Some(unit),
                Some(Ok(Item::Warning(warning))) => stats.files[file].warnings.push(warning),
                Some(Ok(Item::Issue(issue))) => {
                    let position = Position {
                        file,
                        offset: issue.offset,
                        line: issue.line,
                    };
                    if issue.is_record {
                        if let Some(progress) = &self.progress {
                            progress.records_done(1, 0);
                        }
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
    }

    fn open_next_file(&mut self) {
        while self.current.is_none() {
            let file = self.next_file;
            let Some(log) = self.files.get(file) else { return };
            self.next_file += 1;
            let opened = match &self.progress {
                Some(progress) => progress.open(file, log, &self.read),
                None => FileReader::open_log(file, log, &self.read, Some(&mut self.regions)),
            };
            match opened {
                Ok(reader) => self.current = Some((file, reader)),
                Err(e) => {
                    self.stats.files[file].problems.push(format!("cannot read: {e}"));
                    self.file_done(file);
                }
            }
        }
    }

    fn file_done(&self, file: usize) {
        if let Some(progress) = &self.progress {
            progress.file_done(file);
        }
    }
}
