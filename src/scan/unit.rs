//! One worker's pass over one unit of records: each record accounted for (its table, its
//! fingerprint for duplicates), parsed and run through the pipelines of its table, unless the
//! fast path ([`super::fast`]) shows from its raw bytes that no pipeline can match it.

use super::fast::RawCheck;
use super::fingerprint::fingerprint;
use super::{Hit, Malformed, TableCount, UnitResult, MALFORMED_SHOWN, UNKNOWN_TABLE};
use crate::input::table::{self, TableOf};
use crate::input::{documents, record, RawRecord, Unit};
use crate::plan::eval::Row;
use crate::plan::query::expr::Context as Evaluation;
use crate::plan::query::groups::Groups;
use crate::plan::{Plan, Position};
use crate::schema::Table;
use serde_json::{Map, Value as Json};

/// What every record of a unit is scanned with.
pub(super) struct Context<'a> {
    pub(super) plan: &'a Plan,
    /// Each table some rule reads, with those rules' indices: looked up once per record
    /// instead of walking every rule (a million IOCs come as hundreds of rules).
    pub(super) rules_by_table: &'a [(&'static Table, Vec<usize>)],
    pub(super) chosen: Option<&'static Table>,
    pub(super) path_table: Option<&'static Table>,
    pub(super) fast: Option<&'a RawCheck<'a>>,
    pub(super) now: i64,
    /// Pipelines the fast path has no test for (sorted): they run on every parsed record of
    /// their table, and make its records parsed rather than skipped.
    pub(super) always: &'a [usize],
    /// The tables the `always` pipelines read.
    pub(super) always_tables: &'a [&'static Table],
    /// The only fields any pipeline reads, when every pipeline says (none keeps whole rows):
    /// a record whose table is known before parsing is parsed for these alone.
    pub(super) wanted: Option<&'a [String]>,
}

/// The scan of one unit: what it scans with, and what it has found so far.
pub(super) struct UnitScan<'c> {
    pub(super) context: &'c Context<'c>,
    pub(super) file: usize,
    pub(super) result: UnitResult,
}

/// Scans every record of `unit`.
pub(super) fn scan_unit(context: &Context<'_>, unit: &Unit) -> UnitResult {
    let mut scan = UnitScan {
        context,
        file: unit.file,
        result: UnitResult {
            file: unit.file,
            // Room for the fingerprints of records of 512 bytes and more, allocated once: grown
            // a push at a time, the reallocations of 2,000 small files' units contended for
            // the allocator's lock with the merge freeing the units before.
            fingerprints: Vec::with_capacity(unit.data.len() / 512 + 1),
            ..UnitResult::default()
        },
    };
    let newlines = match context.fast {
        Some(fast) => fast.scan_unit(&mut scan, unit),
        None => unit.for_each_record(|raw| {
            scan.result.fingerprints.push(fingerprint(raw.bytes));
            scan.scan_record(raw, None)
        }),
    };
    scan.result.newlines = newlines;
    scan.result.lines_follow = unit.line.is_none();
    scan.result
}

impl UnitScan<'_> {
    /// Parses a record, accounts for it, and runs the rules of its table on it: all of them, or
    /// only those of `only` (sorted) when the fast path has shown that no other can match.
    pub(super) fn scan_record(&mut self, raw: RawRecord<'_>, only: Option<&[usize]>) {
        let context = self.context;
        let result = &mut self.result;
        result.records += 1;
        let position = Position {
            file: self.file,
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
            Err(record::RecordError { message, line, column }) => {
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
        self.run_pipelines(raw, position, &fields, only);
    }

    /// Whether a record's fields may be read by the fast path's walk instead of the parser
    /// ([`UnitScan::scan_walked`]): every pipeline says which fields it reads, and the record's
    /// table is known before parsing (as for parsing only those fields).
    pub(super) fn takes_walked(&self, raw: &RawRecord<'_>) -> bool {
        let context = self.context;
        context.wanted.is_some() && (context.chosen.is_some() || raw.table.is_some() || context.path_table.is_some())
    }

    /// [`UnitScan::scan_record`] for a record the walk found well-formed and whose table the
    /// file, `--table` or the record's `Type` tells (`placed`, as [`table::table_of`] would
    /// place the parsed record): the pipelines run on `row`, the walk's values of the table's
    /// columns, which the parser would have given them.
    pub(super) fn scan_walked<R: Row>(
        &mut self,
        raw: RawRecord<'_>,
        placed: TableOf<'_>,
        only: Option<&[usize]>,
        row: impl FnOnce(&'static Table) -> R,
    ) {
        self.result.records += 1;
        let position = Position {
            file: self.file,
            offset: raw.offset,
            line: raw.line,
        };
        self.place_and_run(placed, position, only, row);
    }

    /// Accounts for a parsed record under its table and runs the pipelines of its table on it.
    fn run_pipelines(
        &mut self,
        raw: RawRecord<'_>,
        position: Position,
        fields: &Map<String, Json>,
        only: Option<&[usize]>,
    ) {
        let context = self.context;
        // The storage-account form of the Defender streaming API: the row is the envelope's
        // `properties`, its table the envelope's `category`.
        let (fields, envelope_table) = match documents::unwrap_streaming_record(fields) {
            Some((row, table)) => (row, Some(table)),
            None => (fields, None),
        };
        let placed = table::table_of(fields, context.chosen, raw.table.or(envelope_table), context.path_table);
        self.place_and_run(placed, position, only, |table| record::RecordRow { fields, table });
    }

    /// Counts a record under the table it was `placed` in and, if rules read that table, runs
    /// them (those of `only`, when given, and the always-run ones) on its row, which `row`
    /// makes once the table is known.
    fn place_and_run<R: Row>(
        &mut self,
        placed: TableOf<'_>,
        position: Position,
        only: Option<&[usize]>,
        row: impl FnOnce(&'static Table) -> R,
    ) {
        let (name, table) = match placed {
            TableOf::Known(t) => (t.name.as_str(), Some(t)),
            TableOf::Named(name) => (name, None),
            TableOf::Unknown => (UNKNOWN_TABLE, None),
        };
        let rules = count_table(self.context, &mut self.result, name, table);
        let (Some(table), false) = (table, rules.is_empty()) else {
            return;
        };
        let row = row(table);
        let context = self.context;
        let result = &mut self.result;
        let plan = context.plan;
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
}

/// Counts a record under its table, and returns the rules that read the table (none: the
/// record is skipped).
pub(super) fn count_table<'c>(
    context: &Context<'c>,
    result: &mut UnitResult,
    name: &str,
    table: Option<&'static Table>,
) -> &'c [usize] {
    if let Some(table) = table {
        // A known table is counted by its address, among the few the unit has seen (and by
        // name when merged): a string compare in the map of names, on every record, was 1 % of
        // a 20-IOC scan.
        let seen = match result.known.iter().position(|(t, ..)| std::ptr::eq(*t, table)) {
            Some(seen) => seen,
            None => {
                let rules = context
                    .rules_by_table
                    .iter()
                    .position(|(read, _)| std::ptr::eq(*read, table));
                result.known.push((table, rules, TableCount::default()));
                result.known.len() - 1
            }
        };
        let (_, rules, count) = &mut result.known[seen];
        let rules = rules.map_or(&[][..], |at| context.rules_by_table[at].1.as_slice());
        count.records += 1;
        count.scanned += !rules.is_empty() as u64;
        return rules;
    }
    let rules = &[][..];
    // Look up before inserting: the name is only copied the first time a unit sees it.
    let count = match result.tables.get_mut(name) {
        Some(count) => count,
        None => result.tables.entry(name.to_string()).or_default(),
    };
    count.records += 1;
    count.scanned += !rules.is_empty() as u64;
    rules
}
