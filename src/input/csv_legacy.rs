#![allow(dead_code)]
//! TEMPORARY, for the differential test only: the hand-written reader the csv-core one replaces.
//! Portal CSV exports (Azure portal, Defender portal): RFC 4180 rows read in bounded batches,
//! header suffixes like `[UTC]` stripped, locale datetimes (`Oct 9, 2024 2:56:53 PM`,
//! `26/03/2026, 15:18:18.790`) normalised to Kusto ISO text, each row handed over as a JSON object.
//!
//! Choices: missing trailing fields read as empty (no issue); rows with no value at all (blank
//! lines) are skipped; a stray quote inside an unquoted field, or text after a closing quote, is
//! kept literally (as Python's `csv` does) rather than failing the row.

use std::io::{self, BufRead};

use serde_json::{Map, Value as Json};

use super::CsvOptions;
use crate::input::{BuiltRecord, Issue};
use crate::time::locale::{DateOrder, Written};
use crate::time::{format_datetime, TICKS_PER_SECOND};

/// A row longer than this is reported and the reader resynchronises on its second line: an
/// unclosed quote must not pull the rest of a multi-gigabyte file into one row.
const MAX_ROW_BYTES: usize = 64 << 20;

/// The time zone a header suffix declares for its column's values.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Zone {
    Utc,
    Local,
    Unmarked,
}

struct Column {
    name: String,
    zone: Zone,
    datetime: bool,
}

/// Day/month order of numeric dates for the whole file, and how it was learnt: a value can only
/// overturn an order that was assumed.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Order {
    Unknown,
    Given(DateOrder),
    Proven(DateOrder),
    Assumed(DateOrder),
}

/// Where the byte scanner is inside a row.
#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// One byte of a row: the next state and whether the byte is field content. A `,` outside
/// quotes moves to `FieldStart`, which is how callers see a field end.
fn step(state: State, byte: u8) -> (State, bool) {
    match (state, byte) {
        (State::FieldStart, b'"') => (State::Quoted, false),
        (State::Quoted, b'"') => (State::QuoteInQuoted, false),
        (State::Quoted, _) | (State::QuoteInQuoted, b'"') => (State::Quoted, true),
        (_, b',') => (State::FieldStart, false),
        _ => (State::Unquoted, true),
    }
}

/// What scanning for the next row found; the row's bytes are in `CsvReader::raw`.
enum Scan {
    Row,
    Eof,
    /// End of file inside a quoted field.
    Unclosed,
    TooLong,
}

/// A row split into fields, kept while the file's date order is still unknown.
struct Row {
    line: u64,
    offset: u64,
    fields: Vec<String>,
}

pub struct CsvReader {
    source: Box<dyn BufRead + Send>,
    /// Bytes to read before `source` again: the rest of an over-long row, from its second line.
    replay: Vec<u8>,
    replay_at: usize,
    options: CsvOptions,
    /// Empty until the header is read.
    columns: Vec<Column>,
    header_read: bool,
    order: Order,
    /// Rows held until the date order is known (only while it is `Unknown`).
    held: Vec<Row>,
    /// Whether a held ambiguous date had AM/PM (US-style locales are month-first).
    held_twelve_hour: bool,
    offset: u64,
    line: u64,
    raw: Vec<u8>,
    pub(crate) max_row_bytes: usize,
    done: bool,
    error: Option<io::Error>,
    warnings: Vec<String>,
    warned_local: bool,
    warned_mismatch: bool,
}

impl CsvReader {
    /// `source` is the file's bytes after any decompression; the reader streams (never holds the
    /// whole file).
    pub fn new(source: Box<dyn BufRead + Send>, options: CsvOptions) -> CsvReader {
        CsvReader {
            source,
            replay: Vec::new(),
            replay_at: 0,
            options,
            columns: Vec::new(),
            header_read: false,
            order: options.date_order.map_or(Order::Unknown, Order::Given),
            held: Vec::new(),
            held_twelve_hour: false,
            offset: 0,
            line: 1,
            raw: Vec::new(),
            max_row_bytes: MAX_ROW_BYTES,
            done: false,
            error: None,
            warnings: Vec::new(),
            warned_local: false,
            warned_mismatch: false,
        }
    }

    /// Warnings about how values were read (guessed date order, local times read as UTC) since
    /// the last call; the caller prints them.
    pub fn warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Up to about `max_bytes` of records at a time; `None` at the end.
    pub fn next_records(&mut self, max_bytes: usize) -> Option<io::Result<(Vec<BuiltRecord>, Vec<Issue>)>> {
        if self.done {
            return self.error.take().map(Err);
        }
        let (mut records, mut issues) = (Vec::new(), Vec::new());
        if !self.header_read {
            self.header_read = true;
            match self.read_header() {
                Ok(Ok(true)) => {}
                Ok(Ok(false)) => self.done = true,
                Ok(Err(issue)) => {
                    self.done = true;
                    return Some(Ok((records, vec![issue])));
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        let mut size = 0;
        // Blank lines count towards the size but yield nothing: a batch ends only with something
        // in it, since an empty one would read as the end of the file.
        while !self.done && (size < max_bytes || records.is_empty() && issues.is_empty() && self.held.is_empty()) {
            let (line, offset) = (self.line, self.offset);
            let scan = match self.scan_row() {
                Ok(scan) => scan,
                Err(e) => {
                    // What came before the error is still good; report the error after it.
                    self.error = Some(e);
                    self.done = true;
                    break;
                }
            };
            let raw_len = self.raw.len();
            size += raw_len;
            let fields = match scan {
                Scan::Eof => {
                    self.done = true;
                    break;
                }
                Scan::Unclosed => {
                    issues.push(issue(
                        line,
                        offset,
                        "a quoted field is not closed by the end of the file",
                    ));
                    self.done = true;
                    break;
                }
                Scan::TooLong => {
                    let message = format!(
                        "row is longer than {} bytes (a quote never closed?); reading on from its next line",
                        self.max_row_bytes
                    );
                    issues.push(issue(line, offset, &message));
                    self.resync(line, offset);
                    continue;
                }
                Scan::Row => match self.split_raw() {
                    Ok(fields) => fields,
                    Err(at) => {
                        let message = format!(
                            "invalid UTF-8 at byte {at} of the row (file offset {})",
                            offset + at as u64
                        );
                        issues.push(issue(line, offset, &message));
                        continue;
                    }
                },
            };
            let width = self.columns.len();
            if fields.len() > width {
                let message = format!("row has {} fields, the header has {width}", fields.len());
                issues.push(issue(line, offset, &message));
                continue;
            }
            if fields.iter().all(String::is_empty) {
                continue;
            }
            let row = Row { line, offset, fields };
            let ambiguous = self.observe(&row);
            if self.order == Order::Unknown && (ambiguous || !self.held.is_empty()) {
                self.held.push(row);
            } else {
                self.flush_held(&mut records);
                let record = self.build(row);
                // Count what the caller will hold, the JSON, not the CSV it came from.
                size += record.json.len().saturating_sub(raw_len);
                records.push(record);
            }
        }
        if !self.held.is_empty() {
            let assumed = self.assumed_order();
            let example = self
                .held
                .iter()
                .flat_map(|row| datetime_values(&self.columns, row))
                .find(|v| Written::parse(v).is_some_and(Written::is_ambiguous));
            self.warnings.push(format!(
                "cannot tell day/month order of dates like `{}`; read as {} (use --day-first or --month-first)",
                example.unwrap_or_default(),
                assumed.name()
            ));
            self.order = Order::Assumed(assumed);
            self.flush_held(&mut records);
        }
        if records.is_empty() && issues.is_empty() {
            return self.error.take().map(Err);
        }
        Some(Ok((records, issues)))
    }

    /// Reads the header row; `Ok(false)` for a file with no rows at all.
    fn read_header(&mut self) -> io::Result<Result<bool, Issue>> {
        loop {
            let (line, offset) = (self.line, self.offset);
            let problem = match self.scan_row()? {
                Scan::Eof => return Ok(Ok(false)),
                Scan::Unclosed => "the header row has a quote not closed by the end of the file".to_string(),
                Scan::TooLong => format!("the header row is longer than {} bytes", self.max_row_bytes),
                Scan::Row => match self.strip_bom(offset).split_raw() {
                    Err(at) => format!("invalid UTF-8 at byte {at} of the header row"),
                    Ok(names) if names.iter().all(String::is_empty) => continue,
                    Ok(names) => {
                        self.set_columns(&names);
                        return Ok(Ok(true));
                    }
                },
            };
            let mut whole_file = issue(line, offset, &problem);
            whole_file.is_record = false;
            return Ok(Err(whole_file));
        }
    }

    /// A UTF-8 BOM can only start the file, hence the header (or a blank line before it).
    fn strip_bom(&mut self, offset: u64) -> &Self {
        if offset == 0 {
            self.raw.drain(..crate::encoding::bom_len(&self.raw));
        }
        self
    }

    fn set_columns(&mut self, names: &[String]) {
        let columns: Vec<Column> = names.iter().map(|n| column(n)).collect();
        for i in 0..columns.len() {
            let name = &columns[i].name;
            if !name.is_empty() && columns[..i].iter().any(|c| &c.name == name) {
                self.warnings.push(format!(
                    "column `{name}` appears twice in the header; its last non-empty value is used"
                ));
            }
        }
        self.columns = columns;
    }

    /// Moves the next bytes of input, up to and including the first for which `stop` holds, onto
    /// the end of `raw`, and `line`/`offset` past them: how many, and whether `stop` held. No
    /// bytes means the end of the input.
    fn advance(&mut self, mut stop: impl FnMut(u8) -> bool) -> io::Result<(usize, bool)> {
        let from_replay = self.replay_at < self.replay.len();
        let buf = if from_replay {
            &self.replay[self.replay_at..]
        } else {
            loop {
                match self.source.fill_buf() {
                    Ok(buf) => break buf,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        };
        let found = buf.iter().position(|&b| stop(b));
        let taken = found.map_or(buf.len(), |i| i + 1);
        self.raw.extend_from_slice(&buf[..taken]);
        self.line += buf[..taken].iter().filter(|&&b| b == b'\n').count() as u64;
        self.offset += taken as u64;
        if from_replay {
            self.replay_at += taken;
        } else {
            self.source.consume(taken);
        }
        Ok((taken, found.is_some()))
    }

    /// Reads the bytes of the next row, terminator included, into `raw`.
    fn scan_row(&mut self) -> io::Result<Scan> {
        self.raw.clear();
        let mut state = State::FieldStart;
        loop {
            let (taken, ended) = self.advance(|b| {
                let end = b == b'\n' && state != State::Quoted;
                state = step(state, b).0;
                end
            })?;
            if ended {
                return Ok(Scan::Row);
            }
            if taken == 0 {
                return Ok(match state {
                    _ if self.raw.is_empty() => Scan::Eof,
                    State::Quoted => Scan::Unclosed,
                    _ => Scan::Row,
                });
            }
            if self.raw.len() > self.max_row_bytes {
                return Ok(Scan::TooLong);
            }
        }
    }

    /// After an over-long row starting at `line`/`offset`: read again from its second line (its
    /// bytes are in `raw`), or, when it has none, drop bytes up to the next newline.
    fn resync(&mut self, line: u64, offset: u64) {
        if let Some(p) = self.raw.iter().position(|&b| b == b'\n') {
            let mut replay = self.raw.split_off(p + 1);
            replay.extend_from_slice(&self.replay[self.replay_at..]);
            (self.replay, self.replay_at) = (replay, 0);
            (self.line, self.offset) = (line + 1, offset + p as u64 + 1);
            return;
        }
        loop {
            self.raw.clear();
            match self.advance(|b| b == b'\n') {
                Ok((0, _) | (_, true)) => return,
                Ok(_) => {}
                Err(e) => {
                    (self.error, self.done) = (Some(e), true);
                    return;
                }
            }
        }
    }

    /// The fields of the row in `raw`, or the byte at which it is not UTF-8.
    fn split_raw(&self) -> Result<Vec<String>, usize> {
        let mut bytes = self.raw.as_slice();
        bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let text = std::str::from_utf8(bytes).map_err(|e| e.valid_up_to())?;
        if text.is_empty() {
            return Ok(Vec::new());
        }
        let mut fields = Vec::new();
        let mut field = Vec::new();
        let mut state = State::FieldStart;
        for &b in text.as_bytes() {
            let (next, content) = step(state, b);
            if content {
                field.push(b);
            } else if next == State::FieldStart {
                fields.push(utf8(std::mem::take(&mut field)));
            }
            state = next;
        }
        fields.push(utf8(field));
        Ok(fields)
    }

    /// Looks at the row's numeric dates for evidence of the day/month order; whether it has one
    /// that only the order can settle.
    fn observe(&mut self, row: &Row) -> bool {
        let mut ambiguous = false;
        for value in datetime_values(&self.columns, row) {
            let Some(written) = Written::parse(value) else { continue };
            if written.is_ambiguous() {
                ambiguous = true;
                let twelve = matches!(written, Written::Numeric { twelve: true, .. });
                self.held_twelve_hour |= twelve && self.order == Order::Unknown;
                continue;
            }
            let Some(proof) = written.proves() else { continue };
            match self.order {
                Order::Unknown => self.order = Order::Proven(proof),
                Order::Assumed(assumed) if assumed != proof => {
                    self.warnings.push(format!(
                        "dates like `{value}` (line {}) are {}, but earlier dates of this file were read as {} \
                         (use --day-first or --month-first)",
                        row.line,
                        proof.name(),
                        assumed.name()
                    ));
                    self.order = Order::Proven(proof);
                }
                Order::Assumed(_) => self.order = Order::Proven(proof),
                Order::Given(known) | Order::Proven(known) if known != proof && !self.warned_mismatch => {
                    self.warned_mismatch = true;
                    self.warnings.push(format!(
                        "dates like `{value}` (line {}) are not valid {} dates; kept as text",
                        row.line,
                        known.name()
                    ));
                }
                Order::Given(_) | Order::Proven(_) => {}
            }
        }
        ambiguous
    }

    /// The order to read ambiguous dates in when nothing in the file proves one: AM/PM clocks are
    /// the US-style locales', which are month first.
    fn assumed_order(&self) -> DateOrder {
        if self.held_twelve_hour {
            DateOrder::MonthFirst
        } else {
            DateOrder::DayFirst
        }
    }

    fn flush_held(&mut self, records: &mut Vec<BuiltRecord>) {
        for row in std::mem::take(&mut self.held) {
            let record = self.build(row);
            records.push(record);
        }
        self.held_twelve_hour = false;
    }

    /// The row as a JSON object: empty fields left out, datetimes as Kusto prints them.
    fn build(&mut self, row: Row) -> BuiltRecord {
        let order = match self.order {
            Order::Given(order) | Order::Proven(order) | Order::Assumed(order) => order,
            Order::Unknown => self.assumed_order(),
        };
        let offset = self.options.utc_offset_minutes;
        let mut map = Map::new();
        for (column, value) in self.columns.iter().zip(row.fields) {
            if value.is_empty() || column.name.is_empty() {
                continue;
            }
            let value = match column
                .datetime
                .then(|| utc_ticks(column, &value, order, offset))
                .flatten()
            {
                Some((ticks, unconverted)) => {
                    if unconverted && !self.warned_local {
                        self.warned_local = true;
                        self.warnings.push(
                            "values in `[Local Time]` columns are read as UTC; pass --tz to say the export's UTC \
                             offset"
                                .into(),
                        );
                    }
                    format_datetime(ticks)
                }
                None => value,
            };
            map.insert(column.name.clone(), Json::String(value));
        }
        BuiltRecord {
            json: Json::Object(map).to_string(),
            line: row.line,
            offset: row.offset,
            table: None,
        }
    }
}

fn datetime_values<'a>(columns: &'a [Column], row: &'a Row) -> impl Iterator<Item = &'a str> {
    columns
        .iter()
        .zip(&row.fields)
        .filter(|(c, v)| c.datetime && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

/// A datetime column's value as UTC ticks, if it is a datetime in a format portals write, and
/// whether it was local time read as UTC for want of an offset.
fn utc_ticks(column: &Column, value: &str, order: DateOrder, utc_offset: Option<i32>) -> Option<(i64, bool)> {
    let written = Written::parse(value)?;
    let ticks = written.ticks(order)?;
    let own_zone = matches!(written, Written::Iso { zoned: true, .. });
    // ISO text without a zone is UTC (what Log Analytics writes); portal locale formats are in
    // the zone the header names, or the viewer's (the Defender portal's setting) if it names none.
    let local = match column.zone {
        _ if own_zone => false,
        Zone::Utc => false,
        Zone::Local => true,
        Zone::Unmarked => !matches!(written, Written::Iso { .. }),
    };
    Some(match (local, utc_offset) {
        (true, Some(minutes)) => (ticks - i64::from(minutes) * 60 * TICKS_PER_SECOND, false),
        (true, None) => (ticks, column.zone == Zone::Local),
        (false, _) => (ticks, false),
    })
}

fn issue(line: u64, offset: u64, message: &str) -> Issue {
    Issue {
        line,
        offset,
        message: message.to_string(),
        is_record: true,
    }
}

/// Field bytes cut from valid UTF-8 at ASCII delimiters are valid UTF-8; the lossy path is never
/// taken, it only avoids an `unwrap`.
fn utf8(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A header cell as a column: `TimeGenerated [UTC]` is `TimeGenerated`, in UTC.
fn column(header: &str) -> Column {
    let header = header.trim();
    let (name, zone) = match header.strip_suffix(']').and_then(|h| h.rsplit_once(" [")) {
        Some((name, zone)) if zone.eq_ignore_ascii_case("UTC") => (name.trim_end(), Zone::Utc),
        Some((name, zone)) if zone.eq_ignore_ascii_case("Local Time") => (name.trim_end(), Zone::Local),
        _ => (header, Zone::Unmarked),
    };
    Column {
        name: name.to_string(),
        zone,
        datetime: zone != Zone::Unmarked || name == "Timestamp" || name == "TimeGenerated" || name.ends_with("Time"),
    }
}
