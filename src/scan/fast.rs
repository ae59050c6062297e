//! The fast path: a record's few tested fields read from its raw bytes ([`FieldWalker`]), the
//! prefilter's column tests run on them, and the record skipped, without being parsed, when no
//! pipeline can match it. A skipped record is accounted for exactly as the parsed path would
//! account for it (its table, its validity); anything the walk is unsure of goes to the parser.
//! A record the pipelines run on is given the fields they read from the walk too, when it
//! captured them all: its row is the walk's values ([`WalkedRow`]). A line of JSON lines
//! that starts a record is walked where it lies in the unit, the walk finding where it ends
//! ([`FieldWalker::walk_line`]): the bytes are not split at newlines first.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use super::fingerprint::fingerprint;
use super::unit::{count_table, UnitScan};
use super::UNKNOWN_TABLE;
use crate::input::documents;
use crate::input::fields::{FieldValue, FieldWalker, KeyMemo, Walk};
use crate::input::table::{self, TableOf};
use crate::input::{jsonl, LineStart, LineVisitor, RawRecord, Unit};
use crate::plan::eval::Row;
use crate::plan::prefilter::{ColumnTests, Matcher, Prefilter, Test};
use crate::plan::text::{IndexKey, SetIndex, StringSet};
use crate::plan::{Predicate, Scalar};
use crate::schema::{ColumnType, Table};
use crate::value::Value;

/// The fast path's per-record check, built once per scan from the plan's prefilter.
pub(super) struct RawCheck<'p> {
    /// The top-level keys a walk captures: the tests' columns, then `Type` and `properties`.
    keys: Vec<&'p str>,
    /// Per tested column (the first keys), its merged tests.
    columns: Vec<ColumnTests<'p>>,
    type_key: usize,
    /// `properties` and `category`: a Defender envelope holds the row in the first and names
    /// its table in the second.
    envelope_key: usize,
    category_key: usize,
    /// When every pipeline says which fields it reads: those fields' keys (their index among
    /// `keys`), so that a record the pipelines must see can be given them from the walk
    /// instead of being parsed.
    wanted: Option<Vec<usize>>,
    /// The keys before this one are the tests' columns and the table's clues, read for every
    /// record: their escaped strings are decoded by the walk. The rest are only `wanted`, read
    /// for the few records that run, and decoded then.
    decoded: usize,
    /// Whether some column has a merged index, whose lookups are prepared together.
    merged_sets: bool,
    /// Per tested column (of the first 64), the sets and merged indexes too big to stay in
    /// cache ([`crate::plan::text::StringMap::worth_warming`]): the walk warms them with the
    /// column's value as soon as it has it ([`FieldWalker::warming`]). Bit `n` of `warmed`
    /// set: column `n` has some.
    warm: Vec<Vec<Warmed<'p>>>,
    warmed: u64,
    /// Per table some pipeline reads, where each of its columns is among `keys` (`None` if the
    /// walk does not capture it), for the rows of [`WalkedRow`].
    columns_by_table: Vec<(&'static Table, Vec<Option<usize>>)>,
    /// The key memos of the walkers of finished units (records', envelopes' rows'), with the
    /// table the records' keys last told ([`TablesByKeys::known`]), for the next units: every
    /// unit of an export, every small file of it, is written with the same keys, so that a
    /// unit's first record is known by the memo too.
    memos: Mutex<Vec<(KeyMemo, KeyMemo, KnownTable)>>,
}

impl<'p> RawCheck<'p> {
    /// The check of `prefilter`'s tests; `wanted`, the fields every pipeline reads, when they
    /// say, for a record's row to be taken from the walk; `tables`, the tables they read.
    pub(super) fn new(
        prefilter: &Prefilter<'p>,
        wanted: Option<&'p [String]>,
        tables: &[&'static Table],
    ) -> RawCheck<'p> {
        let columns = prefilter.by_column();
        let mut keys: Vec<&'p str> = columns.iter().map(|c| c.column).collect();
        let (type_key, envelope_key, category_key) = (
            key(&mut keys, "Type"),
            key(&mut keys, "properties"),
            key(&mut keys, "category"),
        );
        let decoded = keys.len();
        let merged_sets = columns
            .iter()
            .any(|c| c.matchers.iter().any(|m| matches!(m, Matcher::Strings { .. })));
        let warm: Vec<Vec<Warmed<'p>>> = (columns.iter().take(64))
            .map(|column| column.matchers.iter().filter_map(Warmed::of).collect())
            .collect();
        let warmed = (warm.iter().enumerate()).fold(0, |bits, (n, sets)| bits | u64::from(!sets.is_empty()) << n);
        let wanted_keys: Option<Vec<usize>> =
            wanted.map(|names| names.iter().map(|name| key(&mut keys, name)).collect());
        let columns_by_table = match (wanted, &wanted_keys) {
            (Some(names), Some(at)) => tables
                .iter()
                .map(|&table| {
                    let key_of = |column: &String| names.iter().position(|n| n == column).map(|i| at[i]);
                    (table, table.columns.iter().map(|c| key_of(&c.name)).collect())
                })
                .collect(),
            _ => Vec::new(),
        };
        RawCheck {
            keys,
            columns,
            type_key,
            envelope_key,
            category_key,
            merged_sets,
            warm,
            warmed,
            wanted: wanted_keys,
            decoded,
            columns_by_table,
            memos: Mutex::new(Vec::new()),
        }
    }

    /// Runs the pipelines (all, or `only`) on a well-formed record: on the walk's values when
    /// that can be done (the record is its own row, not an envelope's, its table is known before
    /// parsing, and every field the pipelines read is a string or null, which the walk
    /// captures), else parsed.
    fn run(
        &self,
        scan: &mut UnitScan<'_>,
        raw: RawRecord<'_>,
        values: &[Option<FieldValue<'_>>],
        own_row: bool,
        only: Option<&[usize]>,
    ) {
        if own_row && scan.takes_walked(&raw) && self.walk_holds_the_fields(values) {
            let type_column = match &values[self.type_key] {
                Some(FieldValue::Str(name)) => Some(name.as_ref()),
                _ => None,
            };
            let context = scan.context;
            if let Some(placed) = table::table_by_name(context.chosen, raw.table, type_column, context.path_table) {
                let row = |table: &'static Table| WalkedRow {
                    table,
                    keys: self.columns_of(table),
                    values,
                };
                return scan.scan_walked(raw, placed, only, row);
            }
        }
        scan.scan_record(raw, only)
    }

    /// Whether every field the pipelines read (they said which) is missing, null or a string
    /// in the walk's `values`: then the walk has all the parser would give them.
    fn walk_holds_the_fields(&self, values: &[Option<FieldValue<'_>>]) -> bool {
        self.wanted.as_ref().is_some_and(|wanted| {
            wanted.iter().all(|&key| {
                matches!(
                    values[key],
                    None | Some(FieldValue::Null | FieldValue::Str(_) | FieldValue::Escaped(_))
                )
            })
        })
    }

    /// Where `table`'s columns are among the walk's values.
    fn columns_of(&self, table: &'static Table) -> &[Option<usize>] {
        self.columns_by_table
            .iter()
            .find(|(t, _)| std::ptr::eq(*t, table))
            .map_or(&[], |(_, keys)| keys.as_slice())
    }

    /// The row and table of a Defender storage-account envelope (`"category":
    /// "AdvancedHunting-<table>"` with the row in `"properties"`), exactly when the parsed path
    /// unwraps it ([`documents::unwrap_streaming_record`]).
    fn envelope<'v, 'r>(&self, values: &'v [Option<FieldValue<'r>>]) -> Option<(&'r [u8], &'v str)> {
        let Some(FieldValue::Object(row)) = values[self.envelope_key] else {
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
        if !self.merged_sets {
            return self.candidates_unprepared(values, out);
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
        self.collect(values, out, |matcher, text, out| {
            let mut key = None;
            if let Matcher::Strings { .. } = matcher {
                key = keys.get(next).and_then(Option::as_ref);
                next += 1;
            }
            matcher.rules_on_prepared(text, key, out);
        })
    }

    /// [`RawCheck::candidates`] when no column has a merged index: nothing to prepare.
    fn candidates_unprepared(&self, values: &[Option<FieldValue<'_>>], out: &mut Vec<usize>) -> Candidates {
        self.collect(values, out, |matcher, text, out| matcher.rules_on(text, out))
    }

    /// Adds to `out` the rules each column's value leaves possible, `ask` putting those of each
    /// matcher of a string, and gives the verdict.
    fn collect(
        &self,
        values: &[Option<FieldValue<'_>>],
        out: &mut Vec<usize>,
        mut ask: impl FnMut(&Matcher<'_>, &str, &mut Vec<usize>),
    ) -> Candidates {
        for (column, value) in self.columns.iter().zip(values) {
            match value {
                None | Some(FieldValue::Null) => out.extend_from_slice(&column.on_empty),
                Some(FieldValue::Str(text)) => {
                    for matcher in &column.matchers {
                        ask(matcher, text, out);
                    }
                }
                // Not a string: its text is a rendering the tests did not see. (A tested
                // column's strings are decoded by the walk, never left `Escaped`; if one were,
                // every rule testing it would have to look.)
                Some(FieldValue::Object(_) | FieldValue::Other | FieldValue::Escaped(_)) => {
                    out.extend_from_slice(&column.rules)
                }
            }
        }
        Self::listed(out)
    }

    /// The verdict on the rules listed in `out`: none, or these (sorted, each once).
    fn listed(out: &mut Vec<usize>) -> Candidates {
        if out.is_empty() {
            return Candidates::Skip;
        }
        out.sort_unstable();
        out.dedup();
        Candidates::Listed
    }
}

/// A set or merged index that a column's values are looked up in, too big to stay in cache.
enum Warmed<'p> {
    Index(Arc<SetIndex>),
    Set(&'p StringSet),
}

impl<'p> Warmed<'p> {
    /// What of `matcher` is worth warming: a merged index, or a lone rule's `in` set.
    fn of(matcher: &Matcher<'p>) -> Option<Warmed<'p>> {
        match matcher {
            Matcher::Strings { index, .. } if index.worth_warming() => Some(Warmed::Index(Arc::clone(index))),
            Matcher::Leaf(Test {
                leaf:
                    Predicate::InStrings {
                        operand: Scalar::Column(_),
                        set,
                        negated: false,
                    },
                ..
            }) if set.worth_warming() => Some(Warmed::Set(set)),
            _ => None,
        }
    }

    #[inline]
    fn warm(&self, value: &[u8]) {
        match self {
            Warmed::Index(index) => index.warm(value),
            Warmed::Set(set) => set.warm(value),
        }
    }
}

impl RawCheck<'_> {
    /// Scans every record of `unit` through the fast path; returns the newlines it passed
    /// ([`Unit::for_each_record`]).
    pub(super) fn scan_unit(&self, scan: &mut UnitScan<'_>, unit: &Unit) -> u64 {
        let keys = self.keys.len();
        // Without `--table` or a table in the path, a record without `Type` can only be placed
        // by its columns: the walk lists its keys for that.
        let by_columns = scan.context.chosen.is_none() && scan.context.path_table.is_none();
        let (memo, row_memo, known_table) = self
            .memos
            .lock()
            .ok()
            .and_then(|mut memos| memos.pop())
            .unwrap_or_default();
        let warm = |key: usize, value: &[u8]| self.warm[key].iter().for_each(|warmed| warmed.warm(value));
        let walker = |memo| {
            let walker = FieldWalker::new(&self.keys).decoding(self.decoded).remembering(memo);
            match self.warmed {
                0 => walker,
                keys => walker.warming(keys, &warm),
            }
        };
        let mut pass = UnitPass {
            buffer: vec![None; 2 * keys],
            shared: Shared {
                check: self,
                scan,
                walker: walker(memo),
                // An envelope's row has keys of its own: a walker of its own remembers them.
                row_walker: walker(row_memo),
                by_columns,
                scratch: Scratch {
                    tables: TablesByKeys {
                        known: known_table,
                        ..TablesByKeys::default()
                    },
                    ..Scratch::default()
                },
            },
        };
        let newlines = unit.visit_records(&mut pass);
        let Shared {
            walker,
            row_walker,
            scratch,
            ..
        } = pass.shared;
        if let Ok(mut memos) = self.memos.lock() {
            memos.push((walker.into_memo(), row_walker.into_memo(), scratch.tables.known));
        }
        newlines
    }

    /// The verdict on a well-formed record whose row's captured `values` are known: skipped,
    /// or run through the pipelines that can match it. `envelope` is the table a Defender
    /// envelope names for its row (`values` are then the row's).
    fn record(
        &self,
        scan: &mut UnitScan<'_>,
        raw: RawRecord<'_>,
        values: &[Option<FieldValue<'_>>],
        envelope: Option<&str>,
        scratch: &mut Scratch,
    ) {
        let own_row = envelope.is_none();
        let named = raw.table.or(envelope);
        match self.candidates(values, &mut scratch.candidates) {
            Candidates::Skip => self.skip_record(scan, raw, values, named, own_row, scratch),
            Candidates::Listed => self.run(scan, raw, values, own_row, Some(&scratch.candidates)),
            Candidates::Every => scan.scan_record(raw, None),
        }
    }

    /// Accounts for a well-formed record no rule can match, exactly as [`UnitScan::scan_record`] would,
    /// without building its fields. Where its table needs the parsed columns, it takes the full path.
    fn skip_record(
        &self,
        scan: &mut UnitScan<'_>,
        raw: RawRecord<'_>,
        values: &[Option<FieldValue<'_>>],
        named: Option<&str>,
        own_row: bool,
        scratch: &mut Scratch,
    ) {
        let context = scan.context;
        let type_column = match &values[self.type_key] {
            Some(FieldValue::Str(name)) => Some(name.as_ref()),
            _ => None,
        };
        let table = match table::table_by_name(context.chosen, named, type_column, context.path_table) {
            Some(TableOf::Known(table)) => table,
            Some(TableOf::Named(name)) => {
                scan.result.records += 1;
                count_table(context, &mut scan.result, name, None);
                return;
            }
            Some(TableOf::Unknown) => return scan.scan_record(raw, Some(&[])),
            // Only the columns can tell the table: from the keys the walk listed, as the parsed
            // path would from the parsed record's (an empty record lists none: parse it).
            None if !scratch.key_ranges.is_empty() => {
                match scratch.tables.of(scratch.known_keys, raw.bytes, &scratch.key_ranges) {
                    Some(table) => table,
                    None => {
                        scan.result.records += 1;
                        count_table(context, &mut scan.result, UNKNOWN_TABLE, None);
                        return;
                    }
                }
            }
            // Only the always-run pipelines may match; parsing tells the table.
            None => return scan.scan_record(raw, Some(&[])),
        };
        if context.always_tables.iter().any(|t| std::ptr::eq(*t, table)) {
            // A pipeline without a column test reads this table: run only those.
            return self.run(scan, raw, values, own_row, Some(&[]));
        }
        scan.result.records += 1;
        count_table(context, &mut scan.result, &table.name, Some(table));
    }
}

/// A record's row as the walk captured it: each column the pipelines read from the walk's
/// value, exactly as [`crate::input::record::RecordRow`] reads it from the parsed fields (a string read as
/// the column's type, a missing or null field as the type's empty value); what the walk did
/// not capture is missing, as when only the wanted fields are parsed. Nothing is built for the
/// columns no pipeline reads.
struct WalkedRow<'r, 'v> {
    table: &'static Table,
    /// Per column of `table`, where its value is among `values` (none: not captured).
    keys: &'r [Option<usize>],
    values: &'r [Option<FieldValue<'v>>],
}

impl WalkedRow<'_, '_> {
    fn field(&self, column: usize) -> Option<&FieldValue<'_>> {
        self.keys
            .get(column)
            .copied()
            .flatten()
            .and_then(|key| self.values[key].as_ref())
    }
}

impl Row for WalkedRow<'_, '_> {
    fn value(&self, column: usize) -> Cow<'_, Value> {
        let ty = self.table.columns[column].ty;
        // A string the walk left escaped decodes: the walk checked its escapes as the parser
        // does (`decode_escaped` refuses nothing the walk accepts).
        Cow::Owned(match self.field(column).and_then(FieldValue::text) {
            Some(text) => Value::from_text(text, ty),
            None => Value::absent(ty),
        })
    }

    fn text(&self, column: usize) -> Cow<'_, str> {
        match (self.field(column), self.table.columns[column].ty) {
            (Some(FieldValue::Str(text)), ColumnType::String | ColumnType::Dynamic) => Cow::Borrowed(text.as_ref()),
            _ => Cow::Owned(self.value(column).to_text().into_owned()),
        }
    }
}

/// The index of `name` among `keys`, added at the end if it is not there yet.
fn key<'p>(keys: &mut Vec<&'p str>, name: &'p str) -> usize {
    keys.iter().position(|k| *k == name).unwrap_or_else(|| {
        keys.push(name);
        keys.len() - 1
    })
}

/// The fast path's pass over one unit: the values each record's walk captures, and the rest
/// of what its records share (apart, so that the values can be borrowed while it is used).
struct UnitPass<'c, 'k, 's, 'u> {
    /// The captured values of each record in turn (the walk clears them first); the second
    /// half takes an envelope's row.
    buffer: Vec<Option<FieldValue<'u>>>,
    shared: Shared<'c, 'k, 's>,
}

struct Shared<'c, 'k, 's> {
    check: &'c RawCheck<'k>,
    scan: &'c mut UnitScan<'s>,
    /// The walkers of the unit's records and of their envelopes' rows.
    walker: FieldWalker<'c>,
    row_walker: FieldWalker<'c>,
    /// Whether the walk lists a record's keys, to place it by its columns.
    by_columns: bool,
    scratch: Scratch,
}

impl<'u> Shared<'_, '_, '_> {
    /// A record after its walk (`walked`, its captured `values`): parsed if the walk was
    /// unsure; else its envelope's row walked in turn if it is a Defender envelope, then
    /// skipped or scanned. Inlined into its two callers: a call measured 1–3 % slower.
    #[inline(always)]
    fn walked(
        &mut self,
        raw: RawRecord<'u>,
        walked: Walk,
        values: &[Option<FieldValue<'u>>],
        row_values: &mut [Option<FieldValue<'u>>],
    ) {
        self.scan.result.fingerprints.push(fingerprint(raw.bytes));
        if walked != Walk::Valid {
            return self.scan.scan_record(raw, None);
        }
        let check = self.check;
        self.scratch.known_keys = self.walker.known_keys();
        let Some((row, table)) = check.envelope(values) else {
            return check.record(self.scan, raw, values, None, &mut self.scratch);
        };
        // The listed keys are the envelope's, not its row's.
        self.scratch.key_ranges.clear();
        self.scratch.known_keys = None;
        // A Defender envelope (storage-account export): its row is the `properties` object,
        // walked in turn with the same keys.
        if self.row_walker.walk(row, row_values) != Walk::Valid {
            return self.scan.scan_record(raw, None);
        }
        check.record(self.scan, raw, row_values, Some(table), &mut self.scratch);
    }
}

impl<'u> LineVisitor<'u> for UnitPass<'_, '_, '_, 'u> {
    /// A line that starts a JSON object is walked as a line: the walk finds where it ends.
    fn whole_line(&mut self, data: &'u [u8], start: LineStart) -> Option<usize> {
        if data.get(start.at) != Some(&b'{') {
            return None;
        }
        let shared = &mut self.shared;
        let (values, row_values) = self.buffer.split_at_mut(shared.check.keys.len());
        shared.scratch.key_ranges.clear();
        let all_keys = shared.by_columns.then_some(&mut shared.scratch.key_ranges);
        let (walked, end) = shared.walker.walk_line(data, start.at, values, all_keys);
        let end = match walked {
            Walk::Valid => end,
            Walk::Unsure => jsonl::line_end(data, start.at),
        };
        let raw = RawRecord {
            bytes: jsonl::line_record(&data[start.at..end]),
            offset: start.offset,
            line: start.line,
            table: None,
        };
        shared.walked(raw, walked, values, row_values);
        Some(end)
    }

    /// A record cut out for the walk: a line not taken whole, or a framed record.
    fn record(&mut self, raw: RawRecord<'u>) {
        let shared = &mut self.shared;
        let (values, row_values) = self.buffer.split_at_mut(shared.check.keys.len());
        shared.scratch.key_ranges.clear();
        let walked = if shared.by_columns && raw.table.is_none() {
            shared
                .walker
                .walk_keys(raw.bytes, values, &mut shared.scratch.key_ranges)
        } else {
            shared.walker.walk(raw.bytes, values)
        };
        shared.walked(raw, walked, values, row_values);
    }
}

/// Buffers and memos the fast path keeps across the records of one unit.
#[derive(Default)]
struct Scratch {
    /// The rules that can match the current record.
    candidates: Vec<usize>,
    /// Where the current record's top-level keys are in its bytes, when its table may have to
    /// be told by its columns.
    key_ranges: Vec<Range<usize>>,
    /// The walker's [`FieldWalker::known_keys`] of the current record, if `key_ranges` are
    /// its keys.
    known_keys: Option<(u64, usize)>,
    tables: TablesByKeys,
}

/// The table of each sequence of keys met in a unit, as [`table::from_column_names`] tells it:
/// an export repeats one key sequence over and over, so the answer is worked out once.
#[derive(Default)]
struct TablesByKeys {
    /// The keys of each sequence, one after another, and where each sequence's keys end.
    seen: Vec<(Vec<u8>, Vec<usize>, Option<&'static Table>)>,
    /// The table of the last record whose keys the walker knew, with what it said of them
    /// ([`FieldWalker::known_keys`]). It goes with the walker's memo to the next unit (the
    /// next of many small files, which the memo's keys may tell at its first record).
    known: KnownTable,
}

/// See [`TablesByKeys::known`].
type KnownTable = Option<((u64, usize), Option<&'static Table>)>;

impl TablesByKeys {
    /// How many distinct key sequences a unit remembers; past that, each is worked out anew.
    const KEPT: usize = 8;

    /// The table of the record `record` whose keys are at `ranges`; `known`, what the walker
    /// said of them. A record whose keys the walker knew as the last such record's is told
    /// without comparing them again (an export repeats its key sequence on every line, and
    /// comparing ~60 keys a record was a sixth of a 20-hash scan's instructions).
    fn of(&mut self, known: Option<(u64, usize)>, record: &[u8], ranges: &[Range<usize>]) -> Option<&'static Table> {
        if let (Some(keys), Some((last, table))) = (known, self.known) {
            if keys == last {
                return table;
            }
        }
        let table = self.by_keys(record, ranges);
        if let Some(keys) = known {
            self.known = Some((keys, table));
        }
        table
    }

    fn by_keys(&mut self, record: &[u8], ranges: &[Range<usize>]) -> Option<&'static Table> {
        let same = |(names, ends, _): &&(Vec<u8>, Vec<usize>, Option<&'static Table>)| {
            if ends.len() != ranges.len() {
                return false;
            }
            let mut start = 0;
            for (range, &end) in ranges.iter().zip(ends) {
                let (Some(key), Some(name)) = (record.get(range.clone()), names.get(start..end)) else {
                    return false;
                };
                if !same_bytes(key, name) {
                    return false;
                }
                start = end;
            }
            true
        };
        if let Some((_, _, table)) = self.seen.iter().find(same) {
            return *table;
        }
        // The walk checked the record's UTF-8, so each key is text.
        let names = ranges
            .iter()
            .map(|r| std::str::from_utf8(&record[r.clone()]).unwrap_or(""));
        let table = table::from_column_names(names);
        if self.seen.len() < Self::KEPT {
            let mut names = Vec::new();
            let mut ends = Vec::new();
            for range in ranges {
                names.extend_from_slice(&record[range.clone()]);
                ends.push(names.len());
            }
            self.seen.push((names, ends, table));
        }
        table
    }
}

/// Whether two keys are the same bytes, compared a word at a time: keys are short, and a
/// record has dozens, each compared with the memo's (a call to memcmp per key cost more than
/// the comparing). The last word ends at the keys' end, overlapping the one before it, and a
/// key shorter than a word is two overlapping halves or its bytes: the byte-at-a-time tail
/// this had was a sixth of the compare, which is itself a sixth of the instructions of a scan
/// of 20 hashes over ~2.6 KB records of ~60 keys each.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |bytes: &[u8], at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default());
    let half = |bytes: &[u8], at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or_default());
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        _ => {
            let mut at = 0;
            while at + 8 < n {
                if word(a, at) != word(b, at) {
                    return false;
                }
                at += 8;
            }
            word(a, n - 8) == word(b, n - 8)
        }
    }
}

/// What the fast path learns of a record before parsing it.
enum Candidates {
    /// No rule can match it.
    Skip,
    /// Only the rules [`RawCheck::candidates`] listed can.
    Listed,
    /// Any rule can (its row is inside a Defender envelope, out of the walk's sight).
    Every,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::record::RecordRow;
    use serde_json::{Map, Value as Json};

    /// Keys compare as `==` compares them: every length to 70, equal, and differing in one
    /// byte at each position, or in their lengths.
    #[test]
    fn keys_compare_as_bytes() {
        for n in 0..=70usize {
            let a: Vec<u8> = (0..n).map(|i| b'A' + (i % 26) as u8).collect();
            assert!(same_bytes(&a, &a.clone()), "{n} bytes");
            for at in 0..n {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!same_bytes(&a, &b), "{n} bytes, differing at {at}");
            }
            let mut longer = a.clone();
            longer.push(b'A');
            assert!(
                !same_bytes(&a, &longer) && !same_bytes(&longer, &a),
                "{n} bytes and one more"
            );
        }
    }

    /// A row read from the walk's values gives every column the value and the text the
    /// parsed record's row gives it: strings of every column type (numbers, booleans, dates
    /// and timespans written as text, padded or not, JSON in a dynamic column), escaped or
    /// not, decoded by the walk or left to the row, nulls and missing fields.
    #[test]
    fn a_walked_row_reads_as_the_parsed_one() {
        let texts = [
            r#""""#,
            r#"" 42 ""#,
            r#""1""#,
            r#""0""#,
            r#""TRUE""#,
            r#""false""#,
            r#""3.5""#,
            r#""2026-06-01T10:00:00.1234567Z""#,
            r#""2026-06-01 10:00""#,
            r#""1.02:03:04.5""#,
            r#""{\"a\":[1,2]}""#,
            r#""C:\\Temp\\x.exe""#,
            r#""caf\u00e9 \ud83d\ude00""#,
            r#""plain text""#,
            "null",
        ];
        for table in ["DeviceFileEvents", "DnsEvents"] {
            let table = crate::schema::table(table).expect("a known table");
            let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
            let keys: Vec<Option<usize>> = (0..names.len()).map(Some).collect();
            for (c, name) in names.iter().enumerate() {
                for (t, text) in texts.iter().enumerate() {
                    // The column under test, a neighbour with another text, and the rest missing.
                    let other = names[(c + 1) % names.len()];
                    let record = format!(r#"{{"{name}":{text},"{other}":{}}}"#, texts[(t + 5) % texts.len()]);
                    let parsed: Map<String, Json> = serde_json::from_str(&record).expect("valid JSON");
                    let parsed = RecordRow { fields: &parsed, table };
                    // Half the columns decoded by the walk, the others left escaped.
                    let mut walker = FieldWalker::new(&names).decoding(names.len() / 2);
                    let mut values = vec![None; names.len()];
                    assert_eq!(walker.walk(record.as_bytes(), &mut values), Walk::Valid, "{record}");
                    let walked = WalkedRow {
                        table,
                        keys: &keys,
                        values: &values,
                    };
                    for (column, name) in names.iter().enumerate() {
                        assert_eq!(walked.value(column), parsed.value(column), "{record}: {name}");
                        assert_eq!(walked.text(column), parsed.text(column), "{record}: {name}");
                    }
                }
            }
        }
    }
}
