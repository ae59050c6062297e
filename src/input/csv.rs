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

/// What looking for the next row found; its bytes are in `Rows::raw`, its fields in `Rows::parsed`.
enum Scan {
    Row,
    Eof,
    /// End of file inside a quoted field.
    Unclosed,
    TooLong,
}

/// The fields of one row: csv-core's output as one string, and where each field ends in it.
#[derive(Clone, Copy)]
struct Fields<'a> {
    text: &'a str,
    ends: &'a [usize],
}

impl<'a> Fields<'a> {
    fn iter(self) -> impl Iterator<Item = &'a str> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let field = &self.text[start..end];
            start = end;
            field
        })
    }
}

/// A row kept while the file's date order is still unknown.
struct Row {
    line: u64,
    offset: u64,
    text: String,
    ends: Vec<usize>,
}

impl Row {
    fn fields(&self) -> Fields<'_> {
        Fields {
            text: &self.text,
            ends: &self.ends,
        }
    }
}

/// The source's next bytes, retrying an interrupted read; empty at the end. (A macro: a
/// function returning the borrow from inside its retry loop is refused by the borrow checker.)
macro_rules! fill {
    ($source:expr) => {
        loop {
            match $source.fill_buf() {
                Ok(buf) => break buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    };
}

/// The byte layer: the source cut into rows by csv-core, each with its line and byte offset,
/// none longer than the caller allows. It knows nothing of columns or values.
struct Rows {
    source: Box<dyn BufRead + Send>,
    /// Bytes to read before `source` again: the first bytes of the file when they were not a BOM,
    /// or the rest of an over-long row from its second line.
    replay: Vec<u8>,
    replay_at: usize,
    parsed: Parsed,
    /// Whether the start of the file was looked at for a BOM.
    started: bool,
    /// Line and byte offset of the next row.
    line: u64,
    offset: u64,
    /// The row's bytes as read, terminator included.
    raw: Vec<u8>,
}

/// csv-core and what it made of the row so far: the field bytes in `out[..out_len]`, their ends
/// in `ends[..ends_len]`; both buffers grow when csv-core asks for room.
struct Parsed {
    parser: csv_core::Reader,
    out: Vec<u8>,
    out_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
}

impl Parsed {
    fn new() -> Parsed {
        Parsed {
            parser: parser(),
            out: vec![0; 4096],
            out_len: 0,
            ends: vec![0; 64],
            ends_len: 0,
        }
    }

    /// Feeds `input` to csv-core until it ends the row or wants more: how many bytes it took,
    /// and whether the row ended.
    fn feed(&mut self, input: &[u8]) -> (usize, bool) {
        let mut taken = 0;
        loop {
            let (result, read, written, ended) = self.parser.read_record(
                &input[taken..],
                &mut self.out[self.out_len..],
                &mut self.ends[self.ends_len..],
            );
            taken += read;
            self.out_len += written;
            self.ends_len += ended;
            match result {
                csv_core::ReadRecordResult::Record => return (taken, true),
                // `End` only follows an empty input, which is never given.
                csv_core::ReadRecordResult::InputEmpty | csv_core::ReadRecordResult::End => return (taken, false),
                csv_core::ReadRecordResult::OutputFull => self.out.resize(self.out.len() * 2, 0),
                csv_core::ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
            }
        }
    }
}

/// The RFC 4180 dialect portals write, as the hand-written reader read it: only `\n` ends a row
/// (a CR before it is stripped from the last field, a lone CR is text), doubled quotes escape, a
/// stray quote or text after a closing quote is kept literally.
fn parser() -> csv_core::Reader {
    let mut parser = csv_core::ReaderBuilder::new()
        .terminator(csv_core::Terminator::Any(b'\n'))
        .build();
    // csv-core strips a BOM from its first input, but only when three bytes of it are buffered;
    // `Rows` strips it itself, whatever the buffer. A first call with no room for output reads
    // nothing and turns csv-core's stripping off (a second BOM is text, as it always was).
    parser.read_record(b"\n", &mut [], &mut [0]);
    parser
}

impl Rows {
    fn new(source: Box<dyn BufRead + Send>) -> Rows {
        Rows {
            source,
            replay: Vec::new(),
            replay_at: 0,
            parsed: Parsed::new(),
            started: false,
            offset: 0,
            line: 1,
            raw: Vec::new(),
        }
    }

    /// Reads the next row into `raw`, `out` and `ends`; anything longer than `max_row_bytes`
    /// stops as `TooLong` (see [`Rows::resync`]).
    fn next(&mut self, max_row_bytes: usize) -> io::Result<Scan> {
        (self.parsed.out_len, self.parsed.ends_len) = (0, 0);
        self.raw.clear();
        if !self.started {
            self.started = true;
            self.skip_bom()?;
        }
        loop {
            let from_replay = self.replay_at < self.replay.len();
            let input = if from_replay {
                &self.replay[self.replay_at..]
            } else {
                fill!(self.source)
            };
            if input.is_empty() {
                if self.raw.is_empty() {
                    return Ok(Scan::Eof);
                }
                // The end of the file ends the row unless a quote is open: give csv-core the
                // newline the file lacks and see whether it ends the row.
                if !self.parsed.feed(b"\n").1 {
                    return Ok(Scan::Unclosed);
                }
                self.row_ended();
                return Ok(Scan::Row);
            }
            let (taken, ended) = if self.raw.is_empty() && input[0] == b'\n' {
                // A blank line is a row of its own: csv-core would skip it silently as part of
                // the next row, whose line and offset would then be wrong.
                self.raw.push(b'\n');
                (1, true)
            } else {
                let (taken, ended) = self.parsed.feed(input);
                self.raw.extend_from_slice(&input[..taken]);
                (taken, ended)
            };
            self.offset += taken as u64;
            if from_replay {
                self.replay_at += taken;
            } else {
                self.source.consume(taken);
            }
            if ended {
                self.row_ended();
                return Ok(Scan::Row);
            }
            if self.raw.len() > max_row_bytes {
                return Ok(Scan::TooLong);
            }
        }
    }

    /// Counts the row's lines, and takes the CR of a CRLF (or of a last line without LF) off its
    /// last field: outside quotes a CR is field text to csv-core, since only `\n` ends a row.
    fn row_ended(&mut self) {
        self.line += memchr::memchr_iter(b'\n', &self.raw).count() as u64;
        let raw = self.raw.strip_suffix(b"\n").unwrap_or(&self.raw);
        if raw.ends_with(b"\r") {
            let parsed = &mut self.parsed;
            parsed.out_len -= 1;
            parsed.ends[parsed.ends_len - 1] -= 1;
        }
    }

    /// A UTF-8 BOM can only start the file: it is skipped there (and counted in the offsets),
    /// whatever the source's buffer size. Other first bytes are read again as the first row's.
    fn skip_bom(&mut self) -> io::Result<()> {
        let bom = crate::encoding::BOM;
        let mut head = Vec::with_capacity(bom.len());
        while head.len() < bom.len() {
            let input = fill!(self.source);
            if input.is_empty() {
                break;
            }
            let taken = input.len().min(bom.len() - head.len());
            head.extend_from_slice(&input[..taken]);
            self.source.consume(taken);
        }
        if head == bom {
            self.offset = bom.len() as u64;
        } else {
            (self.replay, self.replay_at) = (head, 0);
        }
        Ok(())
    }

    /// After an over-long row starting at `line`/`offset`: read again from its second line (its
    /// bytes are in `raw`), or, when it has none, drop bytes up to the next newline.
    fn resync(&mut self, line: u64, offset: u64) -> io::Result<()> {
        self.parsed.parser = parser();
        if let Some(p) = memchr::memchr(b'\n', &self.raw) {
            let mut replay = self.raw.split_off(p + 1);
            replay.extend_from_slice(&self.replay[self.replay_at..]);
            (self.replay, self.replay_at) = (replay, 0);
            (self.line, self.offset) = (line + 1, offset + p as u64 + 1);
            return Ok(());
        }
        self.raw.clear();
        loop {
            let from_replay = self.replay_at < self.replay.len();
            let input = if from_replay {
                &self.replay[self.replay_at..]
            } else {
                fill!(self.source)
            };
            if input.is_empty() {
                return Ok(());
            }
            let newline = memchr::memchr(b'\n', input);
            let taken = newline.map_or(input.len(), |p| p + 1);
            self.offset += taken as u64;
            if from_replay {
                self.replay_at += taken;
            } else {
                self.source.consume(taken);
            }
            if newline.is_some() {
                self.line += 1;
                return Ok(());
            }
        }
    }

    /// The fields of the row just read, or the byte of the row (without its line end) at which it
    /// is not UTF-8.
    fn fields(&self) -> Result<Fields<'_>, usize> {
        let raw = self.raw.strip_suffix(b"\n").unwrap_or(&self.raw);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        // The row as read is checked, not its fields: text after a closing quote joins the quoted
        // text (`"\xC3"\xA9` is one field `é`), and a row that is not UTF-8 is not read at all.
        std::str::from_utf8(raw).map_err(|e| e.valid_up_to())?;
        // Cut from valid UTF-8 at ASCII bytes (quotes, commas, a CR), the fields are valid too.
        let parsed = &self.parsed;
        let text = std::str::from_utf8(&parsed.out[..parsed.out_len]).map_err(|e| e.valid_up_to())?;
        Ok(Fields {
            text,
            ends: &parsed.ends[..parsed.ends_len],
        })
    }
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
#[path = "csv_tests.rs"]
mod tests;
