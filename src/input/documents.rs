//! Whole JSON documents whose rows are not one JSON object per line or per array element: the
//! Defender streaming API's Event Hub message (`{"records":[envelope, ...]}`), Advanced Hunting
//! and Graph hunting API responses (`{"Schema","Results"}`), Log Analytics query API responses
//! (`{"tables":[{"columns","rows"}]}`, rows positional) and ADX / Kusto REST v2 frames. Each row
//! becomes a [`BuiltRecord`] placed at the byte offset and line where it starts in the text, found
//! by a small scanner because a parsed `serde_json::Value` has no positions. Also unwraps the
//! storage-account form of the streaming API, where each JSON line is one envelope. The hunting,
//! Log Analytics and ADX responses whose heads tell them are not built but streamed by the
//! array reader: here is what finds where their rows start ([`response_start`],
//! [`tables_start`], [`rows_reopened`]) and what checks the rest once they are read
//! ([`check_response_tail`], [`check_tables_end`]).

use serde_json::{Map, Value as Json};

use super::record::kind;
use super::{BuiltRecord, Issue};

/// What a whole JSON document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Defender streaming API, Event Hub message: `{"records":[{"category":"AdvancedHunting-<Table>",
    /// "properties":{...row...}}, ...]}`.
    DefenderEnvelope,
    /// Advanced Hunting API `{"Schema":[..],"Results":[{row}]}`, or Microsoft Graph's lower-case
    /// `{"schema":[..],"results":[{row}]}`.
    AdvancedHunting,
    /// Log Analytics query API: `{"tables":[{"name","columns":[{"name","type"}],"rows":[[cells]]}]}`.
    LogAnalytics,
    /// ADX / Kusto REST v2: `[{"FrameType":"DataSetHeader"}, {"FrameType":"DataTable",...}, ...]`.
    AdxFrames,
}

/// The streaming API names the table in `category` behind this prefix.
const STREAMING_PREFIX: &str = "AdvancedHunting-";

/// Recognises a document from its parsed top level.
pub fn shape_of(document: &Json) -> Option<Shape> {
    match document {
        Json::Object(top) => TopLevel::of(top).shape(),
        // A plain JSON array of rows also starts with `[`: only the first element's `FrameType`
        // tells the frames apart.
        Json::Array(frames) => frames
            .first()
            .and_then(|f| f.get("FrameType"))
            .is_some_and(Json::is_string)
            .then_some(Shape::AdxFrames),
        _ => None,
    }
}

/// What [`shape_of`] says of the document `text`, if it is a JSON object: checked as parsing it
/// would check it, but not built (`Some(None)` for an object of no known shape); `None` if it is
/// not JSON or not an object. Telling a file's first line by building it was a whole parse of
/// an Event Hub message per file (the most of a scan of a directory of such messages, one per
/// file).
pub fn object_shape(text: &[u8]) -> Option<Option<Shape>> {
    // As [`envelope_records`] checks a message: the fast path's walk where it is sure, its top
    // level's members then found by the scanner; else the parser.
    if super::fields::walk(text, &[], &mut []) == super::fields::Walk::Valid {
        let mut scan = Scanner { text, pos: 0 };
        scan.space();
        if let Some(members) = scan.last_members(TopLevel::KEYS) {
            return Some(TopLevel::of_members(text, &members).shape());
        }
    }
    checked_top(text).ok().flatten().map(|top| top.shape())
}

/// The records of a document, in order. `text` is the document's bytes (for line numbers and
/// offsets of rows): offsets count from `text[0]`, lines from 1. If `text` is not the text of
/// `document`, rows still get unique, increasing offsets, only not their true ones.
pub fn records(document: &Json, text: &[u8], shape: Shape) -> (Vec<BuiltRecord>, Vec<Issue>) {
    let mut out = Gathered {
        text,
        // serde_json rejects a BOM, so the caller parsed past it; the scanner must skip it too.
        body: crate::encoding::bom_len(text),
        positions: Positions::new(text),
        records: Vec::new(),
        issues: Vec::new(),
    };
    let read = match (shape, document) {
        (Shape::DefenderEnvelope, Json::Object(top)) => envelope(top, &mut out),
        (Shape::AdvancedHunting, Json::Object(top)) => hunting(top, &mut out),
        (Shape::LogAnalytics, Json::Object(top)) => log_analytics(top, &mut out),
        (Shape::AdxFrames, Json::Array(frames)) => {
            adx_frames(frames, &mut out);
            true
        }
        _ => false,
    };
    if !read {
        out.problem(None, format!("the document is not {}", shape_name(shape)));
    }
    (out.records, out.issues)
}

/// The storage-account form of the Defender streaming API: one envelope record per JSON line
/// (`{"time":..,"tenantId":..,"operationName":..,"category":"AdvancedHunting-DeviceFileEvents",
/// "properties":{...row...}}`). Returns the row (the `properties` object) and the table
/// (`category` without `AdvancedHunting-`) if `record` is such an envelope record.
pub fn unwrap_streaming_record(record: &Map<String, Json>) -> Option<(&Map<String, Json>, &str)> {
    let table = streaming_table(record)?;
    let row = record.get("properties")?.as_object()?;
    Some((row, table))
}

/// The table an envelope names. Azure resource logs share the envelope but their `category` is
/// a log category, not a table (`AzureFirewallDnsProxy`), so only the Defender prefix counts.
fn streaming_table(record: &Map<String, Json>) -> Option<&str> {
    streaming_category_table(record.get("category")?.as_str()?)
}

/// The table an envelope's `category` names (`AdvancedHunting-DeviceFileEvents`), if any.
pub fn streaming_category_table(category: &str) -> Option<&str> {
    category.strip_prefix(STREAMING_PREFIX).filter(|t| !t.is_empty())
}

fn shape_name(shape: Shape) -> &'static str {
    match shape {
        Shape::DefenderEnvelope => "a Defender streaming API message ({\"records\":[...]})",
        Shape::AdvancedHunting => "an Advanced Hunting API response ({\"Schema\",\"Results\"})",
        Shape::LogAnalytics => "a Log Analytics query API response ({\"tables\":[...]})",
        Shape::AdxFrames => "an ADX (Kusto REST v2) response ([{\"FrameType\"...}])",
    }
}

fn is_array(object: &Map<String, Json>, key: &str) -> bool {
    object.get(key).is_some_and(Json::is_array)
}

/// Reads the records of an Event Hub message; `false` if there is no `records` array.
fn envelope(top: &Map<String, Json>, out: &mut Gathered<'_>) -> bool {
    let Some(Json::Array(elements)) = top.get("records") else {
        return false;
    };
    let starts = out.starts(out.body, &["records"], elements.len());
    for (i, element) in elements.iter().enumerate() {
        let start = nth(&starts, i);
        let Json::Object(record) = element else {
            out.broken(
                start,
                format!("records[{i}] is {}, not an envelope object", kind(element)),
            );
            continue;
        };
        match record.get("properties") {
            Some(row @ Json::Object(_)) => {
                let table = streaming_table(record).map(str::to_owned);
                out.record(start, row.to_string(), table);
            }
            Some(other) => out.broken(
                start,
                format!(
                    "records[{i}]: \"properties\" (the row) is {}, not an object",
                    kind(other)
                ),
            ),
            None => out.broken(start, format!("records[{i}] has no \"properties\" object (the row)")),
        }
    }
    true
}

/// [`records`] of an Event Hub message (`{"records":[envelope,...]}`, the shape one per line
/// of a consumer's file, [`super::Shape::DocumentLines`]), told from its text without building
/// it: the text is checked as building it would check it (the fast path's walk, or else
/// [`checked_top`]), then each envelope's last `properties` and `category` are found by the
/// [`Scanner`]. The same records and issues, in the same places, as [`records`] of the built
/// document, but that a row's JSON is its `properties` object as the text writes it rather
/// than written out again (the same values: read as a line of JSON lines is). Built, such a
/// line went through a `serde_json::Value` (a map and a string allocated per field, hashed
/// into an ordered map) and each row was written out again: ~70 MB/s a thread. `None` if
/// `text` is no Event Hub message (the caller builds it, as before).
pub fn envelope_records(text: &[u8]) -> Option<(Vec<BuiltRecord>, Vec<Issue>)> {
    // Past a BOM, as the built document is parsed past it. A text that does not spell
    // `"records"` is no message (or one whose name is escaped, left to be built): told at
    // memchr's speed, so that any document may be asked.
    let body = crate::encoding::bom_len(text);
    memchr::memmem::find(&text[body..], br#""records""#)?;
    // The fast path's walk is sure only of what the parser accepts, at several times its speed
    // (serde_json's check was a third of reading such lines); what it is unsure of (a deep
    // nesting, an exponent) the parser checks.
    let checked = super::fields::walk(&text[body..], &[], &mut []) == super::fields::Walk::Valid
        || checked_top(&text[body..])
            .is_ok_and(|top| top.is_some_and(|top| top.shape() == Some(Shape::DefenderEnvelope)));
    if !checked {
        return None;
    }
    // Its last `records` member an array: an Event Hub message (`TopLevel::shape`).
    let starts = element_starts(text, body, &["records"])?;
    let mut out = Gathered {
        text,
        body,
        positions: Positions::new(text),
        records: Vec::with_capacity(starts.len()),
        issues: Vec::new(),
    };
    for (i, &start) in starts.iter().enumerate() {
        let mut scan = Scanner { text, pos: start };
        let first = scan.peek()?;
        if first != b'{' {
            out.broken(
                Some(start),
                format!("records[{i}] is {}, not an envelope object", kind_of_text(first)),
            );
            continue;
        }
        let [properties, category] = scan.last_members(["properties", "category"])?;
        let Some(properties) = properties else {
            out.broken(
                Some(start),
                format!("records[{i}] has no \"properties\" object (the row)"),
            );
            continue;
        };
        if text[properties.start] != b'{' {
            out.broken(
                Some(start),
                format!(
                    "records[{i}]: \"properties\" (the row) is {}, not an object",
                    kind_of_text(text[properties.start])
                ),
            );
            continue;
        }
        let json = std::str::from_utf8(&text[properties]).ok()?.to_owned();
        // `category` as `as_str` reads it: a string, decoded.
        let category = category
            .filter(|range| text[range.start] == b'"')
            .and_then(|range| serde_json::from_slice::<std::borrow::Cow<'_, str>>(&text[range]).ok());
        let table = category.and_then(|category| streaming_category_table(&category).map(str::to_owned));
        out.record(Some(start), json, table);
    }
    Some((out.records, out.issues))
}

/// Where the string `from` is just inside ends: at its closing quote ([`value_end`]). The
/// scanner's strings, and a Log Analytics row's string cells ([`super::json_array`]).
pub(super) fn string_end(text: &[u8], from: usize) -> Option<usize> {
    value_end::<true>(text, from)
}

/// Where the object or array opening at `from` ends: at its closing bracket ([`value_end`]).
fn container_end(text: &[u8], from: usize) -> Option<usize> {
    value_end::<false>(text, from)
}

/// Where the value read from `from` ends: if `STRING`, the string `from` is just inside ends
/// at its closing quote; else the object or array opening at `from` at its closing bracket.
/// Its quotes and backslashes (and, for a container, brackets) are visited in order off a mask
/// of each 16 bytes, a backslash in a string dropping the byte after it (carried into the next
/// window from the last byte); the bytes between them are not read one by one. A `memchr2`
/// search per string (most are a few bytes, a member's name) spent more in starting than in
/// searching, and an Event Hub message's envelope, mostly its row, was skipped a byte at a
/// time.
#[inline(always)]
fn value_end<const STRING: bool>(text: &[u8], from: usize) -> Option<usize> {
    let (mut in_string, mut depth, mut escaped_first) = (STRING, 0usize, false);
    let mut end = None;
    crate::encoding::windows16(text.get(from..)?, |base, chunk| {
        // A string ends at its first unescaped quote: its brackets need not be seen.
        let mut mask = if STRING {
            crate::encoding::byte_set_mask16(chunk, [b'"', b'\\'])
        } else {
            crate::encoding::byte_set_mask16(chunk, [b'"', b'\\', b'{', b'}', b'[', b']'])
        };
        if std::mem::take(&mut escaped_first) {
            mask &= !1;
        }
        while mask != 0 {
            let at = mask.trailing_zeros();
            mask &= mask - 1;
            match (in_string, chunk[at as usize]) {
                (true, b'"') => {
                    in_string = false;
                    if depth == 0 {
                        end = Some(from + base + at as usize);
                        return false;
                    }
                }
                (false, b'"') => in_string = true,
                (true, b'\\') => {
                    mask &= !(1 << (at + 1));
                    escaped_first = at == 15;
                }
                (true, _) => {}
                (false, b'{' | b'[') => depth += 1,
                (false, b'}' | b']') => {
                    // (From an opening bracket: never below zero.)
                    let Some(less) = depth.checked_sub(1) else {
                        return false;
                    };
                    depth = less;
                    if depth == 0 {
                        end = Some(from + base + at as usize);
                        return false;
                    }
                }
                // A backslash outside a string: not JSON, passed over as a byte like any.
                (false, _) => {}
            }
        }
        true
    });
    end
}

/// What [`kind`] says of the value whose text starts with `first` (the text is JSON).
fn kind_of_text(first: u8) -> &'static str {
    match first {
        b'n' => "null",
        b't' | b'f' => "a boolean",
        b'"' => "a string",
        b'[' => "an array",
        b'{' => "an object",
        _ => "a number",
    }
}

/// Reads the rows of a hunting API response; `false` if there is no results array.
fn hunting(top: &Map<String, Json>, out: &mut Gathered<'_>) -> bool {
    let Some(key) = TopLevel::of(top).results_key() else {
        return false;
    };
    let Some(Json::Array(rows)) = top.get(key) else {
        return false;
    };
    let starts = out.starts(out.body, &[key], rows.len());
    for (i, row) in rows.iter().enumerate() {
        let start = nth(&starts, i);
        match row {
            // The table is not named: it is told later by the columns.
            Json::Object(_) => out.record(start, row.to_string(), None),
            other => out.broken(start, format!("{key}[{i}] is {}, not a row object", kind(other))),
        }
    }
    true
}

/// Reads the rows of every table of a Log Analytics response; `false` if there is no `tables`.
fn log_analytics(top: &Map<String, Json>, out: &mut Gathered<'_>) -> bool {
    // A query that partly failed still answers with the rows it got, and says so here.
    if let Some(error) = top.get("error") {
        out.problem(None, format!("the response reports an error: {}", error_text(error)));
    }
    let Some(Json::Array(tables)) = top.get("tables") else {
        return false;
    };
    let table_starts = out.starts(out.body, &["tables"], tables.len());
    for (t, table) in tables.iter().enumerate() {
        let table_start = nth(&table_starts, t);
        let Some(Json::Array(rows)) = table.get("rows") else {
            out.problem(table_start, format!("tables[{t}] has no \"rows\" array"));
            continue;
        };
        let columns = column_names(table.get("columns"), "columns", "name");
        let row_starts = table_start.and_then(|s| out.starts(s, &["rows"], rows.len()));
        positional_rows(&format!("tables[{t}].rows"), &columns, rows, &row_starts, out);
    }
    true
}

/// Reads the rows of the `PrimaryResult` data tables of ADX frames.
fn adx_frames(frames: &[Json], out: &mut Gathered<'_>) {
    let frame_starts = out.starts(out.body, &[], frames.len());
    for (f, frame) in frames.iter().enumerate() {
        let start = nth(&frame_starts, f);
        let field = |key: &str| frame.get(key).and_then(Json::as_str);
        let primary = field("TableKind") == Some("PrimaryResult");
        match field("FrameType") {
            // QueryProperties and QueryCompletionInformation tables describe the query, not data.
            Some("DataTable") if primary => {
                let Some(Json::Array(rows)) = frame.get("Rows") else {
                    out.problem(start, format!("frames[{f}] (DataTable) has no \"Rows\" array"));
                    continue;
                };
                let columns = column_names(frame.get("Columns"), "Columns", "ColumnName");
                let row_starts = start.and_then(|s| out.starts(s, &["Rows"], rows.len()));
                positional_rows(&format!("frames[{f}].Rows"), &columns, rows, &row_starts, out);
            }
            // Progressive results cut a table into fragments that may replace one another; they
            // are not read, so say so rather than scan a partial table.
            Some("TableHeader") if primary => out.problem(
                start,
                format!(
                    "frames[{f}]: progressive results (TableHeader/TableFragment) are not read; \
                     ask the server for a non-progressive response"
                ),
            ),
            Some("DataSetCompletion") => {
                let flag = |key: &str| frame.get(key).and_then(Json::as_bool) == Some(true);
                if flag("HasErrors") || flag("Cancelled") {
                    let why = frame
                        .get("OneApiErrors")
                        .and_then(|e| e.get(0))
                        .map_or_else(|| "no details".to_owned(), error_text);
                    let what = if flag("Cancelled") {
                        "was cancelled"
                    } else {
                        "reports errors"
                    };
                    out.problem(start, format!("frames[{f}]: the query {what}: {why}"));
                }
            }
            Some(_) => {}
            None => out.problem(start, format!("frames[{f}] is not a frame (no \"FrameType\")")),
        }
    }
}

/// The column names of a positional table, or why there are none.
fn column_names<'d>(columns: Option<&'d Json>, list: &str, key: &str) -> Result<Vec<&'d str>, String> {
    let Some(Json::Array(columns)) = columns else {
        return Err(format!("the table has no \"{list}\" array"));
    };
    columns
        .iter()
        .enumerate()
        .map(|(c, column)| {
            column
                .get(key)
                .and_then(Json::as_str)
                .ok_or_else(|| format!("{list}[{c}] has no \"{key}\""))
        })
        .collect()
}

/// Builds the object `column name → cell` of each positional row; `label` names the rows array.
fn positional_rows(
    label: &str,
    columns: &Result<Vec<&str>, String>,
    rows: &[Json],
    starts: &Option<Vec<usize>>,
    out: &mut Gathered<'_>,
) {
    for (r, row) in rows.iter().enumerate() {
        let start = nth(starts, r);
        let columns = match columns {
            Ok(columns) => columns,
            Err(why) => {
                out.broken(start, format!("{label}[{r}]: {why}"));
                continue;
            }
        };
        let cells = match row {
            Json::Array(cells) => cells,
            // ADX puts an error object where the rows stopped when a query fails midway.
            Json::Object(error) if error.contains_key("OneApiErrors") => {
                let why = row
                    .get("OneApiErrors")
                    .and_then(|e| e.get(0))
                    .map_or_else(String::new, error_text);
                out.broken(start, format!("{label}[{r}] is an error in place of a row: {why}"));
                continue;
            }
            other => {
                out.broken(start, format!("{label}[{r}] is {}, not an array of cells", kind(other)));
                continue;
            }
        };
        if cells.len() != columns.len() {
            let message = format!("{label}[{r}] has {} cells for {} columns", cells.len(), columns.len());
            out.broken(start, message);
            continue;
        }
        // Cells are cloned as they are: numbers keep their i64/u64 exactly, dynamic values stay
        // the JSON text the API sends, datetimes their ISO text; `Value::from_json` types them.
        let object: Map<String, Json> = columns
            .iter()
            .zip(cells)
            .map(|(name, cell)| ((*name).to_owned(), cell.clone()))
            .collect();
        out.record(start, Json::Object(object).to_string(), None);
    }
}

/// `code: message` of an API error object (`{"error":{"code","message"}}` or the inner object).
pub(super) fn error_text(error: &Json) -> String {
    let inner = error.get("error").unwrap_or(error);
    let field = |key: &str| inner.get(key).and_then(Json::as_str);
    match (field("code"), field("message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (None, Some(text)) | (Some(text), None) => text.to_owned(),
        (None, None) => inner.to_string().chars().take(300).collect(),
    }
}

fn nth(starts: &Option<Vec<usize>>, i: usize) -> Option<usize> {
    starts.as_ref().and_then(|s| s.get(i)).copied()
}

/// What `records` hands back, and where in the text it is.
struct Gathered<'t> {
    text: &'t [u8],
    /// Offset of the first byte after a BOM.
    body: usize,
    positions: Positions<'t>,
    records: Vec<BuiltRecord>,
    issues: Vec<Issue>,
}

impl Gathered<'_> {
    /// Element starts of the array at `path` from `from`, if the text has as many as the
    /// document: a count that disagrees means the text is not the document's, and then no
    /// position is better than a wrong one.
    fn starts(&self, from: usize, path: &[&str], count: usize) -> Option<Vec<usize>> {
        element_starts(self.text, from, path).filter(|s| s.len() == count)
    }

    fn record(&mut self, start: Option<usize>, json: String, table: Option<String>) {
        let (line, offset) = self.positions.row(start);
        self.records.push(BuiltRecord {
            json,
            line,
            offset,
            table,
        });
    }

    /// A row that cannot be built: counted as a malformed record, and it keeps its position.
    fn broken(&mut self, start: Option<usize>, message: String) {
        let (line, offset) = self.positions.row(start);
        self.issues.push(Issue {
            line,
            offset,
            message,
            is_record: true,
        });
    }

    /// A problem with the document or one of its tables rather than with one row.
    fn problem(&mut self, at: Option<usize>, message: String) {
        let at = at.unwrap_or(self.body);
        self.issues.push(Issue {
            line: self.positions.line_at(at),
            offset: at as u64,
            message,
            is_record: false,
        });
    }
}

/// Lines of offsets handed out in (mostly) increasing order, counted incrementally, and the
/// guarantee that row offsets are unique and increasing: they order ties in the output.
struct Positions<'t> {
    text: &'t [u8],
    counted: usize,
    line: u64,
    last_row: Option<u64>,
}

impl<'t> Positions<'t> {
    fn new(text: &'t [u8]) -> Positions<'t> {
        Positions {
            text,
            counted: 0,
            line: 1,
            last_row: None,
        }
    }

    fn line_at(&mut self, offset: usize) -> u64 {
        let offset = offset.min(self.text.len());
        if offset < self.counted {
            self.counted = 0;
            self.line = 1;
        }
        let span = self.text.get(self.counted..offset).unwrap_or_default();
        self.line += memchr::memchr_iter(b'\n', span).count() as u64;
        self.counted = offset;
        self.line
    }

    /// Line and offset of the next row, found at `start`; a row not found (or found out of
    /// order) goes just after the previous one.
    fn row(&mut self, start: Option<usize>) -> (u64, u64) {
        let offset = match (start.map(|s| s as u64), self.last_row) {
            (Some(s), Some(last)) if s <= last => last + 1,
            (Some(s), _) => s,
            (None, Some(last)) => last + 1,
            (None, None) => 0,
        };
        self.last_row = Some(offset);
        (self.line_at(usize::try_from(offset).unwrap_or(usize::MAX)), offset)
    }
}

/// The byte offsets where the elements of an array start: the array at `path`, a list of member
/// names walked down from the value at `from` (a repeated name means its last member, as in
/// serde_json). `None` if the text does not have that shape there. Arrays inside arrays are
/// reached by starting `from` an element's offset.
fn element_starts(text: &[u8], from: usize, path: &[&str]) -> Option<Vec<usize>> {
    let mut scan = Scanner { text, pos: from };
    scan.space();
    for key in path {
        scan.pos = scan.member(key)?;
    }
    scan.elements()
}

/// Walks JSON text without building values: only strings (so that brackets and quotes inside
/// them do not count) and nesting depth matter. It trusts the text to be JSON (serde_json has
/// parsed it) but stops with `None`, never panics, when it is not. Iterative, so deep nesting
/// cannot overflow the stack.
struct Scanner<'t> {
    text: &'t [u8],
    pos: usize,
}

impl<'t> Scanner<'t> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek() == Some(byte)).then(|| self.pos += 1)
    }

    /// Skips a string; returns the bytes between its quotes, escapes undecoded.
    fn string(&mut self) -> Option<&'t [u8]> {
        self.eat(b'"')?;
        let start = self.pos;
        let end = string_end(self.text, start)?;
        self.pos = end + 1;
        Some(&self.text[start..end])
    }

    /// Skips one value of any kind.
    fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' | b'[' => self.skip_container(),
            _ => {
                let start = self.pos;
                while self
                    .peek()
                    .is_some_and(|b| !matches!(b, b',' | b'}' | b']' | b':' | b' ' | b'\t' | b'\n' | b'\r'))
                {
                    self.pos += 1;
                }
                (self.pos > start).then_some(())
            }
        }
    }

    /// At a member of an object (white space before it included): its name, undecoded, the
    /// scanner moved past the `:` and the white space after it, to the value.
    fn name(&mut self) -> Option<&'t [u8]> {
        self.space();
        let name = self.string()?;
        self.space();
        self.eat(b':')?;
        self.space();
        Some(name)
    }

    /// At an object: the start of the value of its last member named `key`.
    fn member(&mut self, key: &str) -> Option<usize> {
        self.eat(b'{')?;
        self.space();
        if self.eat(b'}').is_some() {
            return None;
        }
        let mut found = None;
        loop {
            let name = self.name()?;
            let start = self.pos;
            self.skip_value()?;
            if key_is(name, key) {
                found = Some(start);
            }
            self.space();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => return found,
                _ => return None,
            }
        }
    }

    /// Skips the object or array at the cursor.
    fn skip_container(&mut self) -> Option<()> {
        self.pos = container_end(self.text, self.pos)? + 1;
        Some(())
    }

    /// At an object: the text of the value of its last member named each of `keys`.
    fn last_members<const N: usize>(&mut self, keys: [&str; N]) -> Option<[Option<std::ops::Range<usize>>; N]> {
        let mut found = [const { None }; N];
        self.eat(b'{')?;
        self.space();
        if self.eat(b'}').is_some() {
            return Some(found);
        }
        loop {
            let name = self.name()?;
            let start = self.pos;
            self.skip_value()?;
            if let Some(at) = keys.iter().position(|key| key_is(name, key)) {
                found[at] = Some(start..self.pos);
            }
            self.space();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => return Some(found),
                _ => return None,
            }
        }
    }

    /// At an array: the starts of its elements.
    fn elements(&mut self) -> Option<Vec<usize>> {
        let mut starts = Vec::new();
        self.eat(b'[')?;
        self.space();
        if self.eat(b']').is_some() {
            return Some(starts);
        }
        loop {
            self.space();
            starts.push(self.pos);
            self.skip_value()?;
            self.space();
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(starts);
                }
                _ => return None,
            }
        }
    }
}

/// Where the rows of an Advanced Hunting (or Graph hunting) response start, told from the
/// file's `head` alone, so that its rows can be streamed as an array's are
/// (`ArrayReader::response_rows`) rather than the document held whole.
/// The APIs write the schema before the rows: the members before the rows' array must be in the
/// head, and be JSON as parsing the whole would check it; with an empty array for the rows, they
/// must make the document such a response, reading these rows (the rule of [`shape_of`]). What
/// comes after the rows is checked when the file ends ([`check_response_tail`]). `None` for any
/// other document, which is then read whole.
pub fn response_start(head: &[u8]) -> Option<ResponseStart> {
    let body = crate::encoding::bom_len(head);
    let mut scan = Scanner { text: head, pos: body };
    scan.space();
    let open = scan.pos;
    scan.eat(b'{')?;
    loop {
        let name = scan.name()?;
        let value = scan.pos;
        if scan.peek() == Some(b'[') {
            for key in ["Results", "results"] {
                if !key_is(name, key) {
                    continue;
                }
                let members = [&head[open..value], b"[]}"].concat();
                let top = checked_top(&members).ok().flatten()?;
                if top.shape() == Some(Shape::AdvancedHunting) && top.results_key() == Some(key) {
                    let rows = value + 1;
                    let line_of = |at: usize| 1 + memchr::memchr_iter(b'\n', &head[..at]).count() as u64;
                    return Some(ResponseStart {
                        key,
                        rows,
                        line: line_of(rows),
                        opened: line_of(open),
                        top,
                    });
                }
            }
        }
        scan.skip_value()?;
        scan.space();
        scan.eat(b',')?;
    }
}

/// A response whose rows are streamed ([`response_start`]).
#[derive(Debug, Clone, Copy)]
pub struct ResponseStart {
    /// The member holding the rows: `Results` or `results`.
    pub key: &'static str,
    /// The offset just past the `[` that opens the rows, and its line.
    pub rows: usize,
    pub line: u64,
    /// The line of the `{` that opens the response.
    pub opened: u64,
    /// The members before the rows.
    top: TopLevel,
}

/// Whether a response whose rows were streamed from `start` ends as JSON after them, still
/// the response they were read as: `tail` is every byte after the rows' closing `]`. Else
/// where in `tail` the problem is, and what it is. A member after the rows that changes what
/// the document is (a second `Results`, a `records` array) is a problem too: built whole, the
/// document would have been read by the last member of each name.
pub fn check_response_tail(start: &ResponseStart, tail: &[u8]) -> Result<(), (usize, String)> {
    // The tail continues an object whose members so far were checked: given one, it must
    // close it, as `}` or `, "Stats": {...} }`, with nothing but white space after.
    const OPEN: &[u8] = b"{\"\":0";
    let text = [OPEN, tail].concat();
    let after = match checked_top(&text) {
        Ok(Some(after)) => after,
        Ok(None) => unreachable!("an object was given"),
        Err(error) if error.classify() == serde_json::error::Category::Eof => {
            return Err((
                tail.len(),
                format!(
                    "the response is cut off after its `{}` rows: the file ends before its closing `}}`",
                    start.key
                ),
            ));
        }
        Err(error) => {
            let at = byte_at(&text, error.line(), error.column()).saturating_sub(OPEN.len());
            let message = super::record::message_of(&error);
            return Err((
                at.min(tail.len()),
                format!("after its `{}` rows, the response is not JSON: {message}", start.key),
            ));
        }
    };
    let mut top = start.top;
    for (i, name) in TopLevel::KEYS.iter().enumerate() {
        if after.named[i] {
            top.arrays[i] = after.arrays[i];
            if *name == start.key || top.shape() != Some(Shape::AdvancedHunting) || top.results_key() != Some(start.key)
            {
                return Err((
                    0,
                    format!(
                        "a `{name}` member after the rows changes what the document is: its rows were read as the first `{}`",
                        start.key
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The offset in `text` of serde_json's 1-based `line` and `column`.
fn byte_at(text: &[u8], line: usize, column: usize) -> usize {
    let start = match line {
        0 | 1 => 0,
        _ => memchr::memchr_iter(b'\n', text)
            .nth(line - 2)
            .map_or(text.len(), |at| at + 1),
    };
    (start + column.saturating_sub(1)).min(text.len())
}

/// A response whose rows are positional, under their table's columns: a Log Analytics query
/// API response (`{"tables":[{"columns","rows"}]}`) or ADX frames (`[{"FrameType":"DataTable",
/// "TableKind":"PrimaryResult","Columns","Rows"}]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tabular {
    LogAnalytics,
    Adx,
}

impl Tabular {
    fn shape(self) -> Shape {
        match self {
            Tabular::LogAnalytics => Shape::LogAnalytics,
            Tabular::Adx => Shape::AdxFrames,
        }
    }

    /// The members of a table that hold its columns and its rows, and a column's name.
    fn keys(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Tabular::LogAnalytics => ("columns", "rows", "name"),
            Tabular::Adx => ("Columns", "Rows", "ColumnName"),
        }
    }

    /// What closes a head cut just after the `[` of a table's rows.
    fn closing(self) -> &'static [u8] {
        match self {
            Tabular::LogAnalytics => b"]}]}",
            Tabular::Adx => b"]}]",
        }
    }

    /// The name of the rows of table (or frame) `table`, as the built document's messages say.
    pub fn rows_label(self, table: usize) -> String {
        match self {
            Tabular::LogAnalytics => format!("tables[{table}].rows"),
            Tabular::Adx => format!("frames[{table}].Rows"),
        }
    }
}

/// The rows of one table of a tabular response, found in its text: which table (its position
/// in `tables`, or the frame's among the frames), the offset just past the `[` that opens its
/// rows, and its column names (from its columns before the rows), or why it has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRows {
    pub kind: Tabular,
    pub table: usize,
    pub rows: usize,
    pub columns: Result<Vec<String>, String>,
}

/// Why a table's rows cannot be read as they come: no columns came before them.
const NO_COLUMNS_YET: &str = "the table has no columns before its rows";

/// Where the rows of a Log Analytics response or of ADX frames start, told from the file's
/// `head`, so that they can be streamed (`ArrayReader::table_rows`) rather than the document
/// built (a 120 MB Log Analytics response was 1.2 GB built). What comes before the first
/// table's rows (for ADX, the first `PrimaryResult` data table's), its columns among them, must
/// be in the head and be JSON as parsing the whole would check it; closed just after the `[` of
/// those rows, the document must be such a response. `None` for any other document, which is
/// then built. The rest, later tables included, is read as it comes ([`rows_reopened`]) and
/// checked at the end ([`check_tables_end`]).
pub fn tables_start(head: &[u8]) -> Option<TableRows> {
    let body = crate::encoding::bom_len(head);
    [Tabular::LogAnalytics, Tabular::Adx].into_iter().find_map(|kind| {
        let found = table_rows(kind, &head[body..], false)?;
        // The columns of a table that has them only after its rows cannot be known yet.
        if found.columns.as_ref().is_err_and(|why| why == NO_COLUMNS_YET) {
            return None;
        }
        let closed = [&head[body..body + found.rows], kind.closing()].concat();
        let document: Json = serde_json::from_slice(&closed).ok()?;
        (shape_of(&document) == Some(kind.shape())).then_some(TableRows {
            rows: body + found.rows,
            ..found
        })
    })
}

/// The table whose rows open at the end of `skeleton` — a tabular response's text so far, with
/// the rows already read left out (`[]`) — if they do: the next table's rows, once the reader
/// has passed the last one's.
pub fn rows_reopened(kind: Tabular, skeleton: &[u8]) -> Option<TableRows> {
    table_rows(kind, skeleton, true)
}

/// The first rows array of a table in `text` that the built document reads (with `at_end`, the
/// one whose `[` is the last byte of `text`): in a Log Analytics response, of an element of
/// the top-level `tables`; in ADX frames, of a `DataTable` frame of kind `PrimaryResult`.
fn table_rows(kind: Tabular, text: &[u8], at_end: bool) -> Option<TableRows> {
    let mut scan = Scanner { text, pos: 0 };
    scan.space();
    let tables = match kind {
        Tabular::LogAnalytics => {
            scan.eat(b'{')?;
            loop {
                let name = scan.name()?;
                if key_is(name, "tables") && scan.peek() == Some(b'[') {
                    break;
                }
                scan.skip_value()?;
                scan.space();
                scan.eat(b',')?;
            }
            scan.pos
        }
        Tabular::Adx => (scan.peek() == Some(b'[')).then_some(scan.pos)?,
    };
    scan.pos = tables + 1;
    let mut table = 0;
    loop {
        scan.space();
        if scan.peek() == Some(b'{') {
            if let Some(found) = rows_in_table(&mut scan, kind, table, at_end)? {
                return Some(found);
            }
        } else {
            scan.skip_value()?;
        }
        table += 1;
        scan.space();
        // A later `tables` member of a Log Analytics response is read when its rows come.
        scan.eat(b',')?;
    }
}

/// At a table object (an element of `tables`, or a frame): its rows if they open here and are
/// read (see [`table_rows`]), else past it.
fn rows_in_table(scan: &mut Scanner<'_>, kind: Tabular, table: usize, at_end: bool) -> Option<Option<TableRows>> {
    let (columns_key, rows_key, name_key) = kind.keys();
    scan.pos += 1;
    let (mut columns, mut data_table, mut primary) = (None, false, false);
    loop {
        scan.space();
        if scan.eat(b'}').is_some() {
            return Some(None);
        }
        let name = scan.name()?;
        let value = scan.pos;
        let read = match kind {
            Tabular::LogAnalytics => true,
            Tabular::Adx => data_table && primary,
        };
        let opens = read && key_is(name, rows_key) && scan.peek() == Some(b'[');
        if opens && (!at_end || value + 1 == scan.text.len()) {
            let columns = match columns {
                Some(range) => {
                    let list: Json = serde_json::from_slice(&scan.text[range]).ok()?;
                    column_names(Some(&list), columns_key, name_key)
                        .map(|names| names.into_iter().map(str::to_owned).collect())
                }
                None => Err(NO_COLUMNS_YET.to_owned()),
            };
            return Some(Some(TableRows {
                kind,
                table,
                rows: value + 1,
                columns,
            }));
        }
        if scan.peek() == Some(b'"') && kind == Tabular::Adx {
            let string = scan.string()?;
            if key_is(name, "FrameType") {
                data_table = key_is(string, "DataTable");
            } else if key_is(name, "TableKind") {
                primary = key_is(string, "PrimaryResult");
            }
        } else {
            scan.skip_value()?;
        }
        if key_is(name, columns_key) {
            columns = Some(value..scan.pos);
        }
        scan.space();
        if scan.eat(b',').is_none() {
            scan.eat(b'}')?;
            return Some(None);
        }
    }
}

/// What is wrong with a tabular response whose rows were streamed, once the file ends:
/// `skeleton` is its text with those rows left out, `read` each table whose rows were read with
/// the columns they were read with. The problems the built document reports (an `error` the
/// response carries, a table without rows, an ADX query that failed or was cancelled), and
/// anything that makes the skeleton not JSON or not the response whose rows were read (a
/// second `tables`, columns after the rows, rows of a primary table that said what it is only
/// after them).
pub fn check_tables_end(kind: Tabular, skeleton: &[u8], read: &[(usize, Result<Vec<String>, String>)]) -> Vec<String> {
    let document: Json = match serde_json::from_slice(skeleton) {
        Ok(document) => document,
        Err(error) if error.classify() == serde_json::error::Category::Eof => {
            return vec!["the response is cut off after its rows: the file ends before it closes".to_owned()];
        }
        Err(error) => {
            let message = super::record::message_of(&error);
            return vec![format!("after its rows, the response is not JSON: {message}")];
        }
    };
    let changed = |what: String| format!("{what} changes what the document is: its rows were read as they came");
    if shape_of(&document) != Some(kind.shape()) {
        return vec![changed("a member after the rows".to_owned())];
    }
    // The built document's own problems, from the skeleton: its streamed rows are empty there.
    let (left, issues) = records(&document, skeleton, kind.shape());
    let mut problems: Vec<String> = issues.into_iter().map(|issue| issue.message).collect();
    if !left.is_empty() {
        problems.push(format!(
            "{} rows were not read as they came: the document says what they are only after them",
            left.len()
        ));
    }
    let (columns_key, rows_key, name_key) = kind.keys();
    let tables: Vec<(usize, &Json)> = match (kind, &document) {
        (Tabular::LogAnalytics, Json::Object(top)) => match top.get("tables") {
            Some(Json::Array(tables)) => tables.iter().enumerate().collect(),
            _ => Vec::new(),
        },
        (Tabular::Adx, Json::Array(frames)) => (frames.iter().enumerate())
            .filter(|(_, frame)| {
                let field = |key: &str| frame.get(key).and_then(Json::as_str);
                field("FrameType") == Some("DataTable") && field("TableKind") == Some("PrimaryResult")
            })
            .collect(),
        _ => Vec::new(),
    };
    for &(t, table) in &tables {
        if !table.get(rows_key).is_some_and(Json::is_array) {
            continue;
        }
        let columns = column_names(table.get(columns_key), columns_key, name_key);
        let columns = columns.map(|names| names.into_iter().map(str::to_owned).collect::<Vec<_>>());
        let used = read.iter().filter(|(at, _)| *at == t).map(|(_, used)| used);
        if used.clone().count() > 1 || used.clone().any(|used| *used != columns) {
            problems.push(changed(format!(
                "{}'s table (its columns, a second rows)",
                kind.rows_label(t)
            )));
        }
    }
    if read.iter().any(|(t, _)| tables.iter().all(|(at, _)| at != t)) {
        problems.push(changed("a second table list".to_owned()));
    }
    problems
}

/// The top-level members that tell a document's shape, each as the last member of its name
/// says (as in serde_json): whether it is an array. Taken from a parsed document
/// ([`shape_of`]) or from its text as it is checked ([`response_start`]): one rule for both.
#[derive(Debug, Default, Clone, Copy)]
struct TopLevel {
    /// Per name of [`TopLevel::KEYS`]: whether its last member is an array.
    arrays: [bool; 6],
    /// Per name: whether there is a member of that name.
    named: [bool; 6],
}

impl TopLevel {
    const KEYS: [&'static str; 6] = ["records", "Results", "results", "Schema", "schema", "tables"];

    fn of(top: &Map<String, Json>) -> TopLevel {
        TopLevel {
            arrays: TopLevel::KEYS.map(|key| is_array(top, key)),
            named: TopLevel::KEYS.map(|key| top.contains_key(key)),
        }
    }

    /// The same of an object's text, given where the values of its last members of each of
    /// [`TopLevel::KEYS`] are ([`Scanner::last_members`]).
    fn of_members(text: &[u8], members: &[Option<std::ops::Range<usize>>; 6]) -> TopLevel {
        TopLevel {
            arrays: members
                .clone()
                .map(|value| value.is_some_and(|value| text.get(value.start) == Some(&b'['))),
            named: members.clone().map(|value| value.is_some()),
        }
    }

    fn shape(&self) -> Option<Shape> {
        let [records, _, _, schema, schema_lower, tables] = self.arrays;
        if records {
            Some(Shape::DefenderEnvelope)
        } else if self.results_key().is_some() && (schema || schema_lower) {
            // A `Results` array alone is too weak a sign: the schema is what every hunting
            // API response carries.
            Some(Shape::AdvancedHunting)
        } else if tables {
            Some(Shape::LogAnalytics)
        } else {
            None
        }
    }

    /// `Results` for the Defender API, `results` for Graph; checked in that order so a
    /// document with both reads one way every time.
    fn results_key(&self) -> Option<&'static str> {
        let [_, upper, lower, ..] = self.arrays;
        match (upper, lower) {
            (true, _) => Some("Results"),
            (false, true) => Some("results"),
            _ => None,
        }
    }
}

/// `text` checked as JSON exactly as parsing it into a `serde_json::Value` would check it
/// (numbers converted, strings decoded, the same depth limit), without keeping anything; what
/// its top level is, if an object; else serde_json's error.
fn checked_top(text: &[u8]) -> Result<Option<TopLevel>, serde_json::Error> {
    use serde::de::{Deserializer, MapAccess, Visitor};
    struct Top;
    impl<'de> Visitor<'de> for Top {
        type Value = Option<TopLevel>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON document")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<TopLevel>, A::Error> {
            let mut top = TopLevel::default();
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                let is_array = map.next_value::<Checked>()?.0;
                if let Some(at) = TopLevel::KEYS.iter().position(|k| *k == key) {
                    top.arrays[at] = is_array;
                    top.named[at] = true;
                }
            }
            Ok(Some(top))
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Option<TopLevel>, A::Error> {
            Checked::visit_elements(seq).map(|_| None)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Option<TopLevel>, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Option<TopLevel>, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Option<TopLevel>, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Option<TopLevel>, E> {
            Ok(None)
        }
        fn visit_str<E>(self, _: &str) -> Result<Option<TopLevel>, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Option<TopLevel>, E> {
            Ok(None)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let top = deserializer.deserialize_any(Top)?;
    deserializer.end()?;
    Ok(top)
}

/// Any JSON value, checked as `serde_json::Value` checks it and dropped; `.0`: it was an array.
struct Checked(bool);

impl Checked {
    fn visit_elements<'de, A: serde::de::SeqAccess<'de>>(mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked(true))
    }
}

impl<'de> serde::Deserialize<'de> for Checked {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Checked, D::Error> {
        use serde::de::{MapAccess, SeqAccess, Visitor};
        struct Any;
        impl<'de> Visitor<'de> for Any {
            type Value = Checked;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
                Ok(Checked(false))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
                Ok(Checked(false))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
                Ok(Checked(false))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
                Ok(Checked(false))
            }
            fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
                Ok(Checked(false))
            }
            fn visit_unit<E>(self) -> Result<Checked, E> {
                Ok(Checked(false))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Checked, A::Error> {
                Checked::visit_elements(seq)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
                while map.next_key::<std::borrow::Cow<'de, str>>()?.is_some() {
                    map.next_value::<Checked>()?;
                }
                Ok(Checked(false))
            }
        }
        deserializer.deserialize_any(Any)
    }
}

/// Whether a raw member name (between its quotes) is `key`, decoding escapes (`"re\u0063ords"`)
/// as serde_json did.
fn key_is(raw: &[u8], key: &str) -> bool {
    if !raw.contains(&b'\\') {
        return raw == key.as_bytes();
    }
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    serde_json::from_slice::<String>(&quoted).is_ok_and(|name| name == key)
}

#[cfg(test)]
#[path = "documents_tests.rs"]
mod tests;
