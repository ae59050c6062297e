//! Portal CSV exports (Azure portal, Defender portal): RFC 4180 rows read in bounded batches,
//! header suffixes like `[UTC]` stripped, locale datetimes (`Oct 9, 2024 2:56:53 PM`,
//! `26/03/2026, 15:18:18.790`) normalised to Kusto ISO text, each row handed over as a JSON object.
//!
//! Choices: missing trailing fields read as empty (no issue); rows with no value at all (blank
//! lines) are skipped; a stray quote inside an unquoted field, or text after a closing quote, is
//! kept literally (as Python's `csv` does) rather than failing the row.
//!
//! Rows are cut by `csv-core` (BurntSushi's engine under the `csv` crate, fuzzed and used far
//! more widely than a parser of our own), not by hand. Not by the `csv` crate itself: its reader
//! grows a record until the record's quote closes, so one unclosed quote would pull the rest of a
//! multi-gigabyte file into one row. With `csv-core` the buffers are ours: a row stops at
//! `MAX_ROW_BYTES` and reading resumes at its second line, and the bytes of every row are at
//! hand for its line, byte offset and UTF-8 check. Measured by `benches/csv.sh` (the reader alone
//! over the file in memory, median of 5 alternating runs, 2 shared cores) against the
//! hand-written reader it replaced (commit 0827a7f):
//!
//! | input | hand-written | csv-core |
//! |---|---|---|
//! | the 6 fixtures, 500 times | 1.174 s, 59 MB/s | 0.364 s, 190 MB/s |
//! | generated 200 MB Defender portal export, 196,617 rows | 3.62 s, 58 MB/s | 1.58 s, 133 MB/s |
//!
//! The machine's load average was 4 to 9 from other builds, so the ratios are the figures to
//! trust. Of the 2.3×, csv-core itself gave 1.47× (a run of the same script while the JSON was
//! still built through a map), and writing each record's JSON directly, with no map or allocation
//! per field, 1.56× more (`BEFORE=7315625 benches/csv.sh`).
//!
//! Every record, issue and warning was the same (the script compares checksums), as a
//! differential test over the fixtures and 400 generated files of hostile quoting showed before
//! the old reader was removed; `tricky_rows_read_as_the_portals_mean_them` keeps its cases.

use std::io::{self, BufRead};

use serde_json::{Map, Value as Json};

mod rows;

use rows::{Fields, Row, Rows, Scan};

use super::{BuiltRecord, Issue};
use crate::time::locale::{DateOrder, Written};
use crate::time::{format_datetime, TICKS_PER_SECOND};

/// A row longer than this is reported and the reader resynchronises on its second line: an
/// unclosed quote must not pull the rest of a multi-gigabyte file into one row.
const MAX_ROW_BYTES: usize = 64 << 20;

#[derive(Debug, Clone, Copy, Default)]
pub struct CsvOptions {
    /// The export's UTC offset: local times are converted to UTC by subtracting it.
    pub utc_offset_minutes: Option<i32>,
    /// Day/month order of `1/2/2025`-style dates; `None` infers it from the file.
    pub date_order: Option<DateOrder>,
}

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

/// What the header and the rows so far say about reading values: the columns, the date order
/// and the warnings to give.
struct Meaning {
    options: CsvOptions,
    /// Empty until the header is read.
    columns: Vec<Column>,
    order: Order,
    /// Whether a held ambiguous date had AM/PM (US-style locales are month-first).
    held_twelve_hour: bool,
    /// Whether a name appears twice in the header: records are then built through a map, whose
    /// insert keeps the first place and the last value.
    named_twice: bool,
    warnings: Vec<String>,
    warned_local: bool,
    warned_mismatch: bool,
}

pub struct CsvReader {
    /// Boxed: csv-core's tables are a few hundred bytes, and readers are moved about in an enum.
    rows: Box<Rows>,
    meaning: Meaning,
    header_read: bool,
    /// Rows held until the date order is known (only while it is `Unknown`).
    held: Vec<Row>,
    max_row_bytes: usize,
    done: bool,
    error: Option<io::Error>,
}

impl CsvReader {
    /// `source` is the file's bytes after any decompression; the reader streams (never holds the
    /// whole file).
    pub fn new(source: Box<dyn BufRead + Send>, options: CsvOptions) -> CsvReader {
        CsvReader {
            rows: Box::new(Rows::new(source)),
            meaning: Meaning {
                options,
                columns: Vec::new(),
                order: options.date_order.map_or(Order::Unknown, Order::Given),
                held_twelve_hour: false,
                named_twice: false,
                warnings: Vec::new(),
                warned_local: false,
                warned_mismatch: false,
            },
            header_read: false,
            held: Vec::new(),
            max_row_bytes: MAX_ROW_BYTES,
            done: false,
            error: None,
        }
    }

    /// Warnings about how values were read (guessed date order, local times read as UTC) since
    /// the last call; the caller prints them.
    pub fn warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.meaning.warnings)
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
            let (line, offset) = (self.rows.line, self.rows.offset);
            let scan = match self.rows.next(self.max_row_bytes) {
                Ok(scan) => scan,
                Err(e) => {
                    // What came before the error is still good; report the error after it.
                    self.error = Some(e);
                    self.done = true;
                    break;
                }
            };
            let raw_len = self.rows.raw.len();
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
                    if let Err(e) = self.rows.resync(line, offset) {
                        (self.error, self.done) = (Some(e), true);
                    }
                    continue;
                }
                Scan::Row => match self.rows.fields() {
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
            let width = self.meaning.columns.len();
            if fields.ends.len() > width {
                let message = format!("row has {} fields, the header has {width}", fields.ends.len());
                issues.push(issue(line, offset, &message));
                continue;
            }
            if fields.iter().all(str::is_empty) {
                continue;
            }
            let ambiguous = self.meaning.observe(fields, line);
            if self.meaning.order == Order::Unknown && (ambiguous || !self.held.is_empty()) {
                self.held.push(Row {
                    line,
                    offset,
                    text: fields.text.to_string(),
                    ends: fields.ends.to_vec(),
                });
            } else {
                flush_held(&mut self.meaning, &mut self.held, &mut records);
                let record = self.meaning.build(fields, line, offset);
                // Count what the caller will hold, the JSON, not the CSV it came from.
                size += record.json.len().saturating_sub(raw_len);
                records.push(record);
            }
        }
        if !self.held.is_empty() {
            let assumed = self.meaning.assumed_order();
            let example = self
                .held
                .iter()
                .flat_map(|row| datetime_values(&self.meaning.columns, row.fields()))
                .find(|v| Written::parse(v).is_some_and(Written::is_ambiguous));
            let warning = format!(
                "cannot tell day/month order of dates like `{}`; read as {} (use --day-first or --month-first)",
                example.unwrap_or_default(),
                assumed.name()
            );
            self.meaning.warnings.push(warning);
            self.meaning.order = Order::Assumed(assumed);
            flush_held(&mut self.meaning, &mut self.held, &mut records);
        }
        if records.is_empty() && issues.is_empty() {
            return self.error.take().map(Err);
        }
        Some(Ok((records, issues)))
    }

    /// Reads the header row; `Ok(false)` for a file with no rows at all.
    fn read_header(&mut self) -> io::Result<Result<bool, Issue>> {
        loop {
            let (line, offset) = (self.rows.line, self.rows.offset);
            let problem = match self.rows.next(self.max_row_bytes)? {
                Scan::Eof => return Ok(Ok(false)),
                Scan::Unclosed => "the header row has a quote not closed by the end of the file".to_string(),
                Scan::TooLong => format!("the header row is longer than {} bytes", self.max_row_bytes),
                Scan::Row => match self.rows.fields() {
                    Err(at) => format!("invalid UTF-8 at byte {at} of the header row"),
                    Ok(names) if names.iter().all(str::is_empty) => continue,
                    Ok(names) => {
                        self.meaning.set_columns(names);
                        return Ok(Ok(true));
                    }
                },
            };
            let mut whole_file = issue(line, offset, &problem);
            whole_file.is_record = false;
            return Ok(Err(whole_file));
        }
    }
}

/// Builds the held rows, now that the order is known or assumed.
fn flush_held(meaning: &mut Meaning, held: &mut Vec<Row>, records: &mut Vec<BuiltRecord>) {
    for row in std::mem::take(held) {
        records.push(meaning.build(row.fields(), row.line, row.offset));
    }
    meaning.held_twelve_hour = false;
}

impl Meaning {
    fn set_columns(&mut self, names: Fields<'_>) {
        let columns: Vec<Column> = names.iter().map(column).collect();
        for i in 0..columns.len() {
            let name = &columns[i].name;
            if !name.is_empty() && columns[..i].iter().any(|c| &c.name == name) {
                self.named_twice = true;
                self.warnings.push(format!(
                    "column `{name}` appears twice in the header; its last non-empty value is used"
                ));
            }
        }
        self.columns = columns;
    }

    /// Looks at the row's numeric dates for evidence of the day/month order; whether it has one
    /// that only the order can settle.
    fn observe(&mut self, fields: Fields<'_>, line: u64) -> bool {
        let mut ambiguous = false;
        for value in datetime_values(&self.columns, fields) {
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
                        "dates like `{value}` (line {line}) are {}, but earlier dates of this file were read as {} \
                         (use --day-first or --month-first)",
                        proof.name(),
                        assumed.name()
                    ));
                    self.order = Order::Proven(proof);
                }
                Order::Assumed(_) => self.order = Order::Proven(proof),
                Order::Given(known) | Order::Proven(known) if known != proof && !self.warned_mismatch => {
                    self.warned_mismatch = true;
                    self.warnings.push(format!(
                        "dates like `{value}` (line {line}) are not valid {} dates; kept as text",
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

    /// The row as a JSON object: empty fields left out, datetimes as Kusto prints them.
    fn build(&mut self, fields: Fields<'_>, line: u64, offset: u64) -> BuiltRecord {
        let order = match self.order {
            Order::Given(order) | Order::Proven(order) | Order::Assumed(order) => order,
            Order::Unknown => self.assumed_order(),
        };
        let utc_offset = self.options.utc_offset_minutes;
        // The JSON is written as it goes (no map, no allocation per field), exactly as
        // `serde_json` prints a map of strings; only a header with a name twice needs the map.
        let mut json = Vec::with_capacity(fields.text.len() + 16 * fields.ends.len());
        let mut map = Map::new();
        json.push(b'{');
        for (column, value) in self.columns.iter().zip(fields.iter()) {
            if value.is_empty() || column.name.is_empty() {
                continue;
            }
            let converted = match column
                .datetime
                .then(|| utc_ticks(column, value, order, utc_offset))
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
                    Some(format_datetime(ticks))
                }
                None => None,
            };
            let value = converted.as_deref().unwrap_or(value);
            if self.named_twice {
                map.insert(column.name.clone(), Json::String(value.to_string()));
                continue;
            }
            if json.len() > 1 {
                json.push(b',');
            }
            push_json_string(&mut json, &column.name);
            json.push(b':');
            push_json_string(&mut json, value);
        }
        json.push(b'}');
        let json = if self.named_twice {
            Json::Object(map).to_string()
        } else {
            // Only UTF-8 was written; the lossy path is never taken, it only avoids an `unwrap`.
            String::from_utf8(json).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
        };
        BuiltRecord {
            json,
            line,
            offset,
            table: None,
        }
    }
}

/// Appends `text` as a JSON string, escaped by `serde_json` itself, as a map of strings prints.
fn push_json_string(json: &mut Vec<u8>, text: &str) {
    serde_json::to_writer(json, text).expect("writing into memory cannot fail");
}

fn datetime_values<'a>(columns: &'a [Column], fields: Fields<'a>) -> impl Iterator<Item = &'a str> {
    columns
        .iter()
        .zip(fields.iter())
        .filter(|(c, v)| c.datetime && !v.is_empty())
        .map(|(_, v)| v)
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

/// Whether these first bytes of a file look like a CSV export: a first line (after any BOM) of at
/// least two comma-separated cells that are column names, `Name` or `Name [UTC]`, optionally
/// quoted. When `head` holds no newline, its last cell may be cut short and is not judged.
pub fn looks_like_csv(head: &[u8]) -> bool {
    let head = crate::encoding::strip_bom_bytes(head);
    let (line, whole) = match head.iter().position(|&b| b == b'\n') {
        Some(p) => (&head[..p], true),
        None => (head, false),
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut cells: Vec<&[u8]> = line.split(|&b| b == b',').collect();
    if !whole {
        cells.pop();
    }
    let mut names = 0;
    for cell in cells {
        let cell = cell.trim_ascii();
        let cell = cell
            .strip_prefix(b"\"")
            .and_then(|c| c.strip_suffix(b"\""))
            .unwrap_or(cell);
        if cell.is_empty() {
            continue;
        }
        let (name, suffix) = match cell.iter().position(|&b| b == b' ') {
            Some(p) => (&cell[..p], Some(&cell[p..])),
            None => (cell, None),
        };
        let identifier = name.first().is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_');
        let suffix_ok = suffix.is_none_or(|s| {
            let s = s.trim_ascii_start();
            s.len() > 2
                && s.starts_with(b"[")
                && s.ends_with(b"]")
                && s[1..s.len() - 1]
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b' ')
        });
        if !identifier || !suffix_ok {
            return false;
        }
        names += 1;
    }
    names >= 2
}

#[cfg(test)]
mod tests;
