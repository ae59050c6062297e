//! A rule document's IOC table as it was read: each row's line kept as text, with its type and
//! value, and the rest of its cells (threat type, dates, confidence, a feed's ids) read into
//! [`Indicator`]s only when asked. A scan needs the values alone (to check them against the
//! query's lists); a table of a million rows read into a million `Indicator`s, each cell
//! shared or allocated and then dropped, was a fifth of loading them.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use crate::hashing::FxHashMap;

use super::lines::{cell_text, split_cells_into};
use super::Columns;
use crate::rules::{Indicator, IndicatorKind};

/// The rows of a document's IOC table (of all of them, if it has several), in order.
#[derive(Debug, Clone, Default)]
pub struct IocTable {
    /// Each row's line, one after another, and after a line the value read from it when that
    /// is not a slice of the line as written (a cell with an escaped pipe).
    text: String,
    rows: Vec<Row>,
    /// The header of each table: the rows from `.0` on are laid out by `.1`.
    layouts: Vec<(usize, Columns)>,
    /// The rows the document's summary announced for the table just started, for which `text`
    /// gets its room at the table's first row (by that row's length).
    announced: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    kind: IndicatorKind,
    /// Where the row's line and its value are in `text`.
    line: Range<usize>,
    value: Range<usize>,
}

impl IocTable {
    /// Rows pushed from now on are laid out by `columns` (a table's header).
    pub(super) fn start(&mut self, columns: Columns, rows: usize) {
        self.layouts.push((self.rows.len(), columns));
        self.rows.reserve(rows);
        self.announced = rows;
    }

    /// Gives back the room reserved for rows the table did not have (the summary may have
    /// announced more, and a first row may be longer than most).
    pub(super) fn finish(&mut self) {
        self.text.shrink_to_fit();
        self.rows.shrink_to_fit();
    }

    /// Adds the row `line`, whose type is `kind` and whose value cell reads `value` (a slice of
    /// `line`, unless the cell had to be unescaped).
    pub(super) fn push(&mut self, kind: IndicatorKind, line: &str, value: &str) {
        if self.announced > 0 {
            // Grown a row at a time, the text was copied at each doubling (a million rows are
            // ~100 MB of text): room for the announced rows, as long as this one and a quarter.
            self.text
                .reserve(self.announced.saturating_mul(line.len() + line.len() / 4));
            self.announced = 0;
        }
        let start = self.text.len();
        self.text.push_str(line);
        // Where `value` starts within `line`, if it is a slice of it (a cell the split
        // unescaped is a string of its own, which cannot overlap the line).
        let offset = (value.as_ptr() as usize).wrapping_sub(line.as_ptr() as usize);
        let value = if offset <= line.len() && offset + value.len() <= line.len() {
            start + offset..start + offset + value.len()
        } else {
            self.text.push_str(value);
            start + line.len()..self.text.len()
        };
        self.rows.push(Row {
            kind,
            line: start..start + line.len(),
            value,
        });
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Each row's value, in order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        self.rows.iter().map(|row| &self.text[row.value.clone()])
    }

    /// Each row's type and value, in order.
    pub fn kinds_and_values(&self) -> impl ExactSizeIterator<Item = (&IndicatorKind, &str)> + Clone + '_ {
        self.rows.iter().map(|row| (&row.kind, &self.text[row.value.clone()]))
    }

    /// Whether some table has the `Feed` column `loghunt feed` writes (see [`Indicator::feed`]):
    /// only then can a row have one.
    pub fn has_feed_column(&self) -> bool {
        self.layouts.iter().any(|(_, columns)| columns.feed.is_some())
    }

    /// Row `index` with all its cells.
    pub fn get(&self, index: usize) -> Option<Indicator> {
        let row = self.rows.get(index)?;
        Some(self.read(row, self.layout(index), &mut Default::default(), &mut Vec::new()))
    }

    /// Every row with all its cells, in order. A column's repeated texts (a threat type, a date)
    /// share one allocation, and the rows are split into one reused buffer of cells.
    pub fn to_indicators(&self) -> Vec<Indicator> {
        let (mut interned, mut cells) = (Default::default(), Vec::new());
        (self.rows.iter().enumerate())
            .map(|(index, row)| self.read(row, self.layout(index), &mut interned, &mut cells))
            .collect()
    }

    /// The header that lays out row `index`.
    fn layout(&self, index: usize) -> &Columns {
        let after = self.layouts.partition_point(|(first, _)| *first <= index);
        &self.layouts[after.saturating_sub(1)].1
    }

    fn read<'t>(
        &'t self,
        row: &Row,
        columns: &Columns,
        interned: &mut [Interner; 5],
        cells: &mut Vec<Cow<'t, str>>,
    ) -> Indicator {
        split_cells_into(&self.text[row.line.clone()], cells);
        let cell = |column: Option<usize>| cell_text(cells, column);
        let [threat_type, first_seen, confidence, reference, feed] = interned;
        Indicator {
            kind: row.kind.clone(),
            value: self.text[row.value.clone()].to_string(),
            threat_type: cell(columns.threat_type).map(|text| threat_type.get(text)),
            first_seen: cell(columns.first_seen).map(|text| first_seen.get(text)),
            confidence: cell(columns.confidence).map(|text| confidence.get(text)),
            // Ids are unique per row: nothing to share.
            id: cell(columns.id).map(Arc::from),
            reference: cell(columns.reference).map(|text| reference.get(text)),
            feed: cell(columns.feed).map(|text| feed.get(text)),
        }
    }
}

/// Two tables are equal when their rows read the same, however they were written (with outer
/// pipes or without, padded or not).
impl PartialEq for IocTable {
    fn eq(&self, other: &IocTable) -> bool {
        self.len() == other.len() && self.to_indicators() == other.to_indicators()
    }
}

impl Eq for IocTable {}

/// Each distinct text once, shared. A column often repeats the row above, which is checked
/// before the map.
#[derive(Default)]
struct Interner {
    seen: FxHashMap<Box<str>, Arc<str>>,
    last: Option<Arc<str>>,
}

impl Interner {
    fn get(&mut self, text: &str) -> Arc<str> {
        let shared = match &self.last {
            Some(last) if **last == *text => return Arc::clone(last),
            _ => match self.seen.get(text) {
                Some(shared) => Arc::clone(shared),
                None => {
                    let shared: Arc<str> = Arc::from(text);
                    self.seen.insert(text.into(), Arc::clone(&shared));
                    shared
                }
            },
        };
        self.last = Some(Arc::clone(&shared));
        shared
    }
}
