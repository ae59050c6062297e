//! JSON arrays of rows (`[{...},{...}]`), streamed: each element's bytes are found without
//! parsing them (its end 64 bytes at a time, from bit masks of its strings, escapes and
//! brackets: `Nesting::end_in`), so a multi-gigabyte array is never held whole. Elements are
//! handed out in units of about `chunk_size` bytes. A cut-off array is reported, and the element
//! it cut is counted as a malformed record. The rows of an Advanced Hunting response are read
//! the same way, from the array that holds them (`ArrayReader::response_rows`), and the
//! positional rows of Log Analytics and ADX responses (`ArrayReader::table_rows`).

use std::fs::File;
use std::io::{self, Read};

use super::documents::{self, ResponseStart, TableRows, Tabular};
use super::mapped::MappedFile;
use super::record::{kind, message_of};
use super::{Framed, Issue, Item, Source, Unit};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the opening `[`.
    Start,
    /// After `[` or `,`, before an element.
    BeforeElement,
    InElement,
    /// After the closing `]`.
    End,
    /// Stopped by an error; nothing more is read.
    Failed,
}

/// Where an [`ArrayReader`] begins: a file's array, or a response's rows.
#[derive(Debug, Clone)]
pub(super) enum Begin {
    Array,
    Response(ResponseStart),
    Tables(TableRows),
}

impl Begin {
    /// Where the elements of a file of `shape` whose first bytes are `head` begin, if it is
    /// read as an array's elements: an array, or an Advanced Hunting, Log Analytics or ADX
    /// response whose rows are streamed (other documents are built).
    pub(super) fn of(shape: super::Shape, head: &[u8]) -> Option<Begin> {
        match shape {
            super::Shape::Array => Some(Begin::Array),
            super::Shape::Document => (documents::response_start(head).map(Begin::Response))
                .or_else(|| documents::tables_start(head).map(Begin::Tables)),
            _ => None,
        }
    }
}

/// What an [`ArrayReader`] reads the elements of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// A whole file's JSON array: the records are the elements' own bytes.
    Array,
    /// An Advanced Hunting response's `Results`: the rows' own bytes too.
    Response,
    /// The positional rows of a Log Analytics or ADX response: each record is the object its
    /// row makes, not bytes of the file.
    Tables,
}

pub struct ArrayReader {
    file: usize,
    source: Source,
    chunk_size: usize,
    buffer: Vec<u8>,
    /// Next byte of `buffer` to look at, and its offset and line in the file.
    at: usize,
    offset: u64,
    line: u64,
    state: State,
    /// Where the element being read is, after its bytes so far.
    nesting: Nesting,
    /// Offset and line of the element being read; its bytes go straight into the unit.
    element_start: usize,
    element_offset: u64,
    element_line: u64,
    eof: bool,
    issues: Vec<Issue>,
    /// A read error (a truncated gzip member), reported after what was read before it.
    error: Option<io::Error>,
    /// Reading the rows of a response, not a whole file's array.
    response: Option<Response>,
    /// Reading the rows of a Log Analytics response's tables or of ADX frames' primary tables,
    /// not a whole file's array.
    tables: Option<Box<Tables>>,
    /// A plain file, read through windows of it mapped into memory instead of `source`
    /// ([`ArrayReader::mapped`]).
    mapped: Option<MappedFile>,
    rows: Rows,
    /// More documents after a response, one per line, once they are found ([`Rest`]).
    rest: Option<io::Result<Rest>>,
}

/// The rows array of a response being read: where it started, how many elements were read, and
/// what follows its closing `]` (checked at the end of the file, or where the response closes
/// when documents follow it one per line).
struct Response {
    start: ResponseStart,
    elements: usize,
    tail: Vec<u8>,
    closing: Closing,
}

/// Where a streamed response's text outside its rows is in the document, until the byte that
/// closes the document; then, for one written on one line, whether documents follow on the
/// lines after it ([`ArrayReader::documents_follow`]).
struct Closing {
    /// Where the text outside the rows is (the rows themselves left out).
    nesting: Nesting,
    /// The line the document opened on.
    opened: u64,
    /// Once the document is closed on the line it opened on: the length of the text kept
    /// (a response's tail, a tabular response's skeleton) through the byte that closes it.
    closed: Option<usize>,
    /// Then the offset and line of the line after the last newline since, with the white space
    /// read on it.
    next_line: Option<(u64, u64, Vec<u8>)>,
}

impl Closing {
    /// A document opened on line `opened`, where `nesting` says the reader starts keeping its
    /// text.
    fn new(opened: u64, nesting: Nesting) -> Closing {
        Closing {
            nesting,
            opened,
            closed: None,
            next_line: None,
        }
    }

    /// Takes byte `b` (at `offset`, on `line`) of the text kept outside the rows, `kept` bytes
    /// of it before `b`. Once `b` starts a line after the one the document closed on (documents
    /// follow, one per line): the length of the kept text through the byte that closed it.
    fn after(&mut self, b: u8, offset: u64, line: u64, kept: usize) -> Option<usize> {
        match self.closed {
            None => {
                self.nesting.byte(b);
                // A pretty-printed response is no document of a file of them, one per line.
                if self.nesting.depth == 0 && line == self.opened {
                    self.closed = Some(kept + 1);
                }
            }
            Some(_) if b == b'\n' => self.next_line = Some((offset + 1, line + 1, Vec::new())),
            Some(_) if b.is_ascii_whitespace() => {
                if let Some((_, _, space)) = &mut self.next_line {
                    space.push(b);
                }
            }
            Some(closed) if self.next_line.is_some() => return Some(closed),
            // More on the document's own line: not JSON, which the check at the end says.
            Some(_) => {}
        }
        None
    }
}

/// What follows a response that ends its line when more follows on the next: documents one per
/// line ([`super::Shape::DocumentLines`]), handed on to be read as such from `offset` and
/// `line`, where `source` starts.
pub struct Rest {
    pub source: Source,
    pub offset: u64,
    pub line: u64,
}

/// A tabular response (Log Analytics, ADX) being read: its skeleton (its text so far with the
/// rows read left out, checked when the file ends), the table whose rows are being read, their
/// columns (each as its `"name":` text), and each table read with the columns it was read with.
struct Tables {
    kind: Tabular,
    skeleton: Vec<u8>,
    closing: Closing,
    table: usize,
    row: usize,
    columns: Result<Vec<Vec<u8>>, String>,
    read: Vec<(usize, Result<Vec<String>, String>)>,
    /// The object a row becomes, for the buffered reader (whose row is in the buffer the
    /// object then replaces it in), reused.
    object: Vec<u8>,
    /// Where the cells of the row being read are, reused from row to row (a new list per
    /// row, grown four times over, was a sixth of reading a response).
    cells: Vec<std::ops::Range<usize>>,
}

impl Tables {
    /// Starts reading the rows of `rows.table`.
    fn begin(&mut self, rows: TableRows) {
        self.table = rows.table;
        self.row = 0;
        self.columns = rows.columns.clone().map(|names| {
            let quoted = |name: &String| serde_json::to_vec(name).unwrap_or_default();
            names.iter().map(|name| [&quoted(name)[..], b":"].concat()).collect()
        });
        self.read.push((rows.table, rows.columns));
    }

    /// Appends to `out` the object a positional row (`row`, its text) makes of the table's
    /// columns: `{"name":cell,...}`, each cell's text as it is (parsed, the same values the
    /// built document's rows hold); or says, as the built document would, why it cannot, and
    /// appends nothing.
    fn row_object(&mut self, row: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        let label = RowLabel(self.kind, self.table, self.row);
        self.row += 1;
        let columns = match &self.columns {
            Ok(columns) => columns,
            Err(why) => return Err(format!("{label}: {why}")),
        };
        if row.first() != Some(&b'[') {
            return Err(match serde_json::from_slice::<serde_json::Value>(row) {
                Ok(serde_json::Value::Object(error)) if error.contains_key("OneApiErrors") => {
                    let why = error
                        .get("OneApiErrors")
                        .and_then(|e| e.get(0))
                        .map_or_else(String::new, documents::error_text);
                    format!("{label} is an error in place of a row: {why}")
                }
                Ok(other) => format!("{label} is {}, not an array of cells", kind(&other)),
                Err(e) => format!("{label} is not JSON: {}", message_of(&e)),
            });
        }
        let not_json = |why: &str| format!("{label} is not JSON: {why}");
        let cells = &mut self.cells;
        cells_of(row, cells).ok_or_else(|| not_json("its cells are not a JSON array"))?;
        if cells.len() != columns.len() {
            return Err(format!(
                "{label} has {} cells for {} columns",
                cells.len(),
                columns.len()
            ));
        }
        out.push(b'{');
        for (i, (name, cell)) in columns.iter().zip(cells.iter()).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(name);
            out.extend_from_slice(&row[cell.clone()]);
        }
        out.push(b'}');
        Ok(())
    }
}

/// The cells of a positional row (`row`, the text of a JSON array), into `cells`, each a
/// range of `row` without white space: a string to its closing quote, a number or literal to
/// the next `,`, `]` or white space, an object or array to its end ([`Nesting::end_in`]);
/// `None` if the text is not an array of values so separated. The cells themselves are
/// checked when the record they make is walked.
fn cells_of(row: &[u8], cells: &mut Vec<std::ops::Range<usize>>) -> Option<()> {
    let space = |at: usize| at + row[at..].iter().take_while(|b| b.is_ascii_whitespace()).count();
    cells.clear();
    let mut at = space(row.first().filter(|&&b| b == b'[').map(|_| 1)?);
    if row.get(at) == Some(&b']') {
        return (space(at + 1) == row.len()).then_some(());
    }
    loop {
        let start = at;
        match *row.get(at)? {
            b'"' => at = documents::string_end(row, at + 1)? + 1,
            b'{' | b'[' => {
                let (length, _, _) = Nesting::default().end_in(&row[at..]);
                at += length;
                at -= row[start..at]
                    .iter()
                    .rev()
                    .take_while(|b| b.is_ascii_whitespace())
                    .count();
            }
            _ => {
                at += row[at..]
                    .iter()
                    .take_while(|b| !matches!(b, b',' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                    .count()
            }
        }
        if at == start {
            return None;
        }
        cells.push(start..at);
        at = space(at);
        match row.get(at)? {
            b',' => at = space(at + 1),
            b']' => return (space(at + 1) == row.len()).then_some(()),
            _ => return None,
        }
    }
}

/// What an element read whole becomes ([`ArrayReader::element_read`]).
enum Ended {
    /// A record of its own bytes.
    Own,
    /// A record of the object a tabular response's row makes ([`ArrayReader::made`]).
    Made,
    /// No record: an issue says why.
    Dropped,
}

/// How many bytes of `bytes` come before the white space it ends with.
fn without_trailing_space(bytes: &[u8]) -> usize {
    bytes.len() - bytes.iter().rev().take_while(|c| c.is_ascii_whitespace()).count()
}

/// A row's name in messages (`tables[0].rows[7]`), written only when one is.
struct RowLabel(Tabular, usize, usize);

impl std::fmt::Display for RowLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}[{}]", self.0.rows_label(self.1), self.2)
    }
}

/// The most bytes after a response's rows that are kept to be checked: the APIs write a
/// closing `}` there, or a few statistics (or, in a Log Analytics response, the next table's
/// name and columns).
const MAX_TAIL: usize = 1 << 20;

impl ArrayReader {
    pub(super) fn new(file: usize, source: Source, bom: usize, chunk_size: usize) -> ArrayReader {
        ArrayReader {
            file,
            source,
            chunk_size: chunk_size.max(1),
            buffer: Vec::new(),
            at: 0,
            offset: 0,
            line: 1,
            state: State::Start,
            nesting: Nesting::default(),
            element_start: 0,
            element_offset: 0,
            element_line: 1,
            eof: false,
            issues: Vec::new(),
            error: None,
            response: None,
            tables: None,
            mapped: None,
            rows: Rows::Array,
            rest: None,
        }
        .skipping(bom)
    }

    /// The rows of a Log Analytics response's tables (or of ADX frames' primary data tables) as
    /// the elements of arrays, each made the object its columns say (as the built document
    /// makes it): the head, to the `[` that opens
    /// the first table's rows ([`documents::tables_start`]), is skipped; the text between rows
    /// is kept (`rows_reopened` finds where the next table's rows open in it) and checked when
    /// the file ends ([`documents::check_tables_end`]).
    pub(super) fn table_rows(
        file: usize,
        source: Source,
        head: &[u8],
        start: TableRows,
        chunk_size: usize,
    ) -> ArrayReader {
        let body = crate::encoding::bom_len(head);
        let mut reader = ArrayReader::new(file, source, start.rows, chunk_size);
        reader.line = 1 + memchr::memchr_iter(b'\n', &head[..start.rows]).count() as u64;
        reader.state = State::BeforeElement;
        let skeleton = head[body..start.rows].to_vec();
        let mut nesting = Nesting::default();
        skeleton.iter().for_each(|&b| nesting.byte(b));
        let blank = skeleton.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let opened = 1 + memchr::memchr_iter(b'\n', &skeleton[..blank]).count() as u64;
        let mut tables = Box::new(Tables {
            kind: start.kind,
            closing: Closing::new(opened, nesting),
            skeleton,
            table: 0,
            row: 0,
            columns: Ok(Vec::new()),
            read: Vec::new(),
            object: Vec::new(),
            cells: Vec::new(),
        });
        tables.begin(start);
        reader.tables = Some(tables);
        reader.rows = Rows::Tables;
        reader
    }

    /// A reader of the array (or, given `response`, the response's rows) of a plain file of
    /// `len` bytes whose first bytes are `head`, through mapped windows of it, a window a unit
    /// (each a range of a batch of them, [`MappedFile`]): each unit's elements are ranges of
    /// its window where the page cache holds them, never copied, as a big file of JSON lines
    /// is read ([`super::jsonl::MappedLinesReader`]). Read into a buffer instead, the kernel's
    /// copy of the file was 30 % of the scan of an array, on the scan's own thread.
    pub(super) fn mapped(
        file: usize,
        source: File,
        len: u64,
        head: &[u8],
        begin: Begin,
        chunk_size: usize,
    ) -> ArrayReader {
        let mut reader = ArrayReader::begin(file, Box::new(io::empty()), head, begin, chunk_size);
        reader.mapped = Some(MappedFile::new(source, len, chunk_size));
        reader
    }

    /// A reader of `source`, a file whose first bytes are `head`, from where `begin` says.
    pub(super) fn begin(file: usize, source: Source, head: &[u8], begin: Begin, chunk_size: usize) -> ArrayReader {
        match begin {
            Begin::Response(start) => ArrayReader::response_rows(file, source, start, chunk_size),
            Begin::Tables(start) => ArrayReader::table_rows(file, source, head, start, chunk_size),
            Begin::Array => ArrayReader::new(file, source, crate::encoding::bom_len(head), chunk_size),
        }
    }

    /// The rows of a response as the elements of an array: its head, to the `[` that opens the
    /// rows, is skipped (checked by [`documents::response_start`]), and what follows the rows
    /// is checked when the file ends. A response of hundreds of megabytes is never held whole.
    pub(super) fn response_rows(file: usize, source: Source, start: ResponseStart, chunk_size: usize) -> ArrayReader {
        let mut reader = ArrayReader::new(file, source, start.rows, chunk_size);
        reader.line = start.line;
        reader.state = State::BeforeElement;
        let opened = start.opened;
        reader.response = Some(Response {
            start,
            elements: 0,
            tail: Vec::new(),
            closing: Closing::new(
                opened,
                Nesting {
                    depth: 1,
                    ..Nesting::default()
                },
            ),
        });
        reader.rows = Rows::Response;
        reader
    }

    fn skipping(mut self, bom: usize) -> ArrayReader {
        let mut skip = vec![0u8; bom];
        // The BOM (or a response's head) is in the sniffed head, so this read cannot fail or
        // come up short.
        let _ = self.source.read_exact(&mut skip);
        self.offset = bom as u64;
        self
    }

    pub fn bytes_read(&self) -> u64 {
        self.offset
    }

    /// What the reader reads the elements of.
    pub fn rows(&self) -> Rows {
        self.rows
    }

    /// Makes sure `buffer[at]` is a byte; `false` at the end of the file.
    fn fill(&mut self) -> io::Result<bool> {
        if self.at < self.buffer.len() {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        self.buffer.resize(256 * 1024, 0);
        self.at = 0;
        loop {
            match self.source.read(&mut self.buffer) {
                Ok(n) => {
                    self.buffer.truncate(n);
                    self.eof = n == 0;
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Stops at byte `offset` of the file, with what is wrong there: nothing more is read.
    fn fail(&mut self, offset: u64, message: String) {
        self.state = State::Failed;
        self.issue(offset, self.line, message, false);
    }

    fn issue(&mut self, offset: u64, line: u64, message: String, is_record: bool) {
        self.issues.push(Issue {
            line,
            offset,
            message,
            is_record,
        });
    }

    /// The next unit or issue; `spare` is an empty buffer to fill (its capacity is reused).
    pub fn next_item(&mut self, spare: Vec<u8>) -> Option<io::Result<Item>> {
        if self.mapped.is_some() {
            return self.next_mapped_item();
        }
        let mut data = spare;
        data.clear();
        let mut framed: Vec<Framed> = Vec::new();
        while self.issues.is_empty() && (data.len() < self.chunk_size || self.state == State::InElement) {
            match self.fill() {
                Err(e) => {
                    self.error = Some(e);
                    self.eof = true;
                    self.at_end_of_file();
                    break;
                }
                Ok(false) => {
                    self.at_end_of_file();
                    break;
                }
                Ok(true) => {}
            }
            if self.state == State::Failed {
                break;
            }
            if self.state == State::InElement {
                self.element_span(&mut data, &mut framed);
                continue;
            }
            let b = self.buffer[self.at];
            self.at += 1;
            if self.step(b) {
                self.element_start = data.len();
                data.push(b);
            }
        }
        if let Some(unit) = Unit::of_framed(self.file, data, framed) {
            return Some(Ok(Item::Unit(unit)));
        }
        if !self.issues.is_empty() {
            return Some(Ok(Item::Issue(self.issues.remove(0))));
        }
        self.error.take().map(Err)
    }

    /// Takes byte `b` of the file outside an element: before the array, between elements, or
    /// after the array (a response's tail). `true` if it starts an element.
    fn step(&mut self, b: u8) -> bool {
        let offset = self.offset;
        self.offset += 1;
        let mut starts = false;
        match self.state {
            State::Start if b == b'[' => self.state = State::BeforeElement,
            State::Start if !b.is_ascii_whitespace() => {
                self.fail(
                    offset,
                    format!("expected `[` to open a JSON array, found {}", describe(b)),
                );
            }
            State::BeforeElement if b == b']' => self.rows_closed(),
            State::BeforeElement if b == b',' => {
                self.issue(offset, self.line, "empty element in the JSON array".into(), true);
            }
            State::BeforeElement if !b.is_ascii_whitespace() => {
                self.state = State::InElement;
                self.element_offset = offset;
                self.element_line = self.line;
                self.nesting = Nesting::default();
                self.nesting.byte(b);
                starts = true;
            }
            State::End if self.response.is_some() || self.tables.is_some() => self.after_rows(b, offset),
            State::End if !b.is_ascii_whitespace() => {
                self.fail(
                    offset,
                    format!("unexpected {} after the end of the JSON array", describe(b)),
                );
            }
            _ => {}
        }
        if b == b'\n' {
            self.line += 1;
        }
        starts
    }

    /// Reads on in the element being read, to its end or the end of the buffer: the bytes go
    /// into `data` as one copy, and the end and their newlines are found 64 bytes at a time
    /// ([`Nesting::end_in`]). Taken a byte at a time (each pushed and counted), an
    /// array was read at ~120 MB/s on the scan's own thread, which every worker waited on.
    fn element_span(&mut self, data: &mut Vec<u8>, framed: &mut Vec<Framed>) {
        let bytes = &self.buffer[self.at..];
        let (length, end, newlines) = self.nesting.end_in(bytes);
        data.extend_from_slice(&bytes[..length]);
        self.line += newlines;
        let taken = length + usize::from(end.is_some());
        self.at += taken;
        self.offset += taken as u64;
        if let Some(b) = end {
            let start = self.element_start;
            let end = start + without_trailing_space(&data[start..]);
            let mut object = self
                .tables
                .as_mut()
                .map(|t| std::mem::take(&mut t.object))
                .unwrap_or_default();
            object.clear();
            match self.element_read(&data[start..end], b, &mut object) {
                Ended::Own => framed.push(self.framed(start..end)),
                Ended::Made => {
                    // A positional row goes into the unit as the object it makes.
                    data.truncate(start);
                    data.extend_from_slice(&object);
                    framed.push(self.framed(start..data.len()));
                }
                Ended::Dropped => data.truncate(start),
            }
            if let Some(tables) = &mut self.tables {
                tables.object = object;
            }
        }
    }

    /// An element read whole (`element`, without the white space after it), and the `,` or
    /// `]` after it (`b`): the state moves past them, and says what the element becomes — a
    /// record of its own bytes, the object a tabular response's row makes (appended to `made`),
    /// or none (an issue says why). The one step of the buffered and the mapped reader.
    fn element_read(&mut self, element: &[u8], b: u8, made: &mut Vec<u8>) -> Ended {
        self.state = State::BeforeElement;
        if b == b']' {
            self.rows_closed();
        }
        if let Some(tables) = &mut self.tables {
            return match tables.row_object(element, made) {
                Ok(()) => Ended::Made,
                Err(message) => {
                    self.issue(self.element_offset, self.element_line, message, true);
                    Ended::Dropped
                }
            };
        }
        if self.element_ended(element) {
            Ended::Own
        } else {
            Ended::Dropped
        }
    }

    /// The record of the element just read, at `range` of its unit's bytes.
    fn framed(&self, range: std::ops::Range<usize>) -> Framed {
        Framed {
            range,
            offset: self.element_offset,
            line: self.element_line,
            table: None,
        }
    }

    /// The `]` that closes the rows (or the array) is read: for a tabular response, it goes
    /// into the skeleton, where the next table's rows may open.
    fn rows_closed(&mut self) {
        self.state = State::End;
        if let Some(tables) = &mut self.tables {
            tables.skeleton.push(b']');
            tables.closing.nesting.byte(b']');
        }
    }

    /// Byte `b` (at `offset`) of a response after its rows: kept to be checked at the end of
    /// the file (up to [`MAX_TAIL`] bytes); in a tabular response, a `[` that opens the next
    /// table's rows starts reading them.
    fn after_rows(&mut self, b: u8, offset: u64) {
        let line = self.line;
        let follow = match (&mut self.response, &mut self.tables) {
            (Some(response), _) => response.closing.after(b, offset, line, response.tail.len()),
            (None, Some(tables)) => tables.closing.after(b, offset, line, tables.skeleton.len()),
            (None, None) => None,
        };
        if let Some(closed) = follow {
            return self.documents_follow(closed, offset);
        }
        let kept = match (&mut self.response, &mut self.tables) {
            (Some(response), _) => &mut response.tail,
            (None, Some(tables)) => &mut tables.skeleton,
            (None, None) => return,
        };
        kept.push(b);
        if kept.len() > MAX_TAIL {
            return self.fail(
                offset,
                format!("more than {MAX_TAIL} bytes of the response after its rows: not read"),
            );
        }
        let Some(tables) = self.tables.as_mut().filter(|_| b == b'[') else {
            return;
        };
        let before = tables.skeleton[..tables.skeleton.len() - 1]
            .iter()
            .rev()
            .find(|c| !c.is_ascii_whitespace());
        if before == Some(&b':') {
            if let Some(rows) = documents::rows_reopened(tables.kind, &tables.skeleton) {
                tables.begin(rows);
                self.state = State::BeforeElement;
            }
        }
    }

    /// Byte `offset` starts a line after the line where the response closed: the file is
    /// documents one per line, and the response was its first ([`super::Shape::DocumentLines`],
    /// which a first line longer than the head that tells a file's shape cannot be told as).
    /// The response's text after its rows is checked through the byte that closes it (a hunting
    /// response's tail, a tabular one's skeleton), and the file from the next line on is
    /// handed on ([`ArrayReader::documents_after`]); this reader stops.
    fn documents_follow(&mut self, closed: usize, offset: u64) {
        let next_line = if let Some(response) = self.response.take() {
            let tail = &response.tail;
            if let Err((at, message)) = documents::check_response_tail(&response.start, &tail[..closed]) {
                // The tail ends just before `offset`: count back to the problem.
                let after = &tail[at..];
                let problem_line = self.line - memchr::memchr_iter(b'\n', after).count() as u64;
                self.issue(offset - after.len() as u64, problem_line, message, false);
            }
            response.closing.next_line
        } else if let Some(tables) = self.tables.take() {
            // Its problems are placed just after the byte that closes it, on its one line.
            let end = offset - (tables.skeleton.len() - closed) as u64;
            let skeleton = &tables.skeleton[..closed];
            for problem in documents::check_tables_end(tables.kind, skeleton, &tables.read) {
                self.issue(end, tables.closing.opened, problem, false);
            }
            tables.closing.next_line
        } else {
            None
        };
        let Some((line_offset, line, space)) = next_line else {
            return;
        };
        self.state = State::Failed;
        let source = match &self.mapped {
            Some(mapped) => mapped.reopened_at(line_offset).map(|file| Box::new(file) as Source),
            None => {
                // The byte at `offset` is the buffer's last taken; the line's white space
                // before it was taken too.
                let from = self.at - 1;
                let read = [&space[..], &self.buffer[from..]].concat();
                self.at = self.buffer.len();
                let source = std::mem::replace(&mut self.source, Box::new(io::empty()));
                Ok(Box::new(io::Cursor::new(read).chain(source)) as Source)
            }
        };
        self.rest = Some(source.map(|source| Rest {
            source,
            offset: line_offset,
            line,
        }));
    }

    /// The documents that follow a response one per line, once this reader has handed out
    /// everything before them ([`ArrayReader::documents_follow`]): a reader of them.
    pub fn documents_after(&mut self) -> Option<io::Result<super::built::DocumentLinesReader>> {
        let rest = self.rest.take()?;
        Some(rest.map(|rest| super::built::DocumentLinesReader::resume(self.file, rest, self.chunk_size)))
    }

    /// An element read whole: whether it is a record to frame. A response's row that is JSON
    /// but not an object is not (an array's element would be, for the walk to refuse): the
    /// document says which of its rows it is.
    fn element_ended(&mut self, element: &[u8]) -> bool {
        let Some(response) = &mut self.response else {
            return true;
        };
        let index = response.elements;
        response.elements += 1;
        if element.first() == Some(&b'{') {
            return true;
        }
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(element) else {
            return true;
        };
        let message = format!("{}[{index}] is {}, not a row object", response.start.key, kind(&value));
        self.issue(self.element_offset, self.element_line, message, true);
        false
    }

    /// The next unit or issue of a mapped file ([`ArrayReader::mapped`]).
    fn next_mapped_item(&mut self) -> Option<io::Result<Item>> {
        loop {
            if !self.issues.is_empty() {
                return Some(Ok(Item::Issue(self.issues.remove(0))));
            }
            let len = self.mapped.as_ref()?.file_len();
            if self.state == State::Failed {
                return None;
            }
            if self.offset >= len {
                self.at_end_of_file();
                continue;
            }
            match self.mapped_unit(len) {
                Ok(Some(unit)) => return Some(Ok(Item::Unit(unit))),
                Ok(None) => {}
                Err(e) => {
                    self.state = State::Failed;
                    return Some(Err(e));
                }
            }
        }
    }

    /// The elements framed in a window of the file mapped from the next byte: a unit of them,
    /// each a range of the window; `None` if the window held none (an issue came first). An
    /// element that runs past the window starts the next one (or, if it is the window's first,
    /// it is mapped again wider).
    fn mapped_unit(&mut self, len: u64) -> io::Result<Option<Unit>> {
        let mut want = self.chunk_size as u64;
        loop {
            let start = self.offset;
            let end = len.min(start.saturating_add(want));
            let (mapping, window) = match &mut self.mapped {
                Some(file) => file.window(start, end)?,
                None => return Ok(None),
            };
            let map = &mapping[window.clone()];
            let mut framed: Vec<Framed> = Vec::new();
            // The objects a tabular response's rows make, which are not bytes of the window.
            // (Asked once: the response may close in the window, with documents after it.)
            let tabular = self.tables.is_some();
            let mut made: Vec<u8> = Vec::with_capacity(if tabular {
                self.chunk_size + (self.chunk_size >> 3)
            } else {
                0
            });
            let (mut at, mut element_start) = (0, 0);
            while at < map.len() && self.issues.is_empty() && self.state != State::Failed {
                if self.state != State::InElement {
                    let b = map[at];
                    at += 1;
                    if self.step(b) {
                        element_start = at - 1;
                    }
                    continue;
                }
                let (length, ended, newlines) = self.nesting.end_in(&map[at..]);
                self.line += newlines;
                let taken = length + usize::from(ended.is_some());
                let element_end = at + length;
                at += taken;
                self.offset += taken as u64;
                let Some(b) = ended else { break };
                let trimmed = element_start + without_trailing_space(&map[element_start..element_end]);
                let start = made.len();
                match self.element_read(&map[element_start..trimmed], b, &mut made) {
                    Ended::Own => {
                        framed.push(self.framed(element_start..trimmed));
                        if trimmed - framed[0].range.start >= self.chunk_size {
                            break;
                        }
                    }
                    Ended::Made => {
                        framed.push(self.framed(start..made.len()));
                        if made.len() >= self.chunk_size {
                            break;
                        }
                    }
                    Ended::Dropped => {}
                }
            }
            if self.state == State::InElement && end < len {
                // The element runs on past the window: it starts the next one.
                self.offset = self.element_offset;
                self.line = self.element_line;
                self.state = State::BeforeElement;
                if framed.is_empty() && self.issues.is_empty() {
                    if element_start == 0 {
                        want = want.saturating_mul(2);
                    }
                    continue;
                }
            }
            // (An element cut by the end of the file is reported by `at_end_of_file`, next.)
            if tabular {
                return Ok(Unit::of_framed(self.file, made, framed));
            }
            let (Some(first), Some(last)) = (framed.first(), framed.last()) else {
                return Ok(None);
            };
            let span = first.range.start..last.range.end;
            let (offset, line) = (first.offset, Some(first.line));
            for element in &mut framed {
                element.range = element.range.start - span.start..element.range.end - span.start;
            }
            return Ok(Some(Unit {
                file: self.file,
                offset,
                line,
                data: super::UnitData::Mapped(mapping, window.start + span.start..window.start + span.end),
                framing: super::Framing::Ranges(framed),
            }));
        }
    }

    fn at_end_of_file(&mut self) {
        if self.response.is_some() {
            return self.response_at_end_of_file();
        }
        if self.tables.is_some() {
            return self.tables_at_end_of_file();
        }
        match self.state {
            State::Start => {
                self.issue(
                    self.offset,
                    self.line,
                    "the file ends before the JSON array opens".into(),
                    false,
                );
            }
            State::InElement => {
                let bytes = self.offset - self.element_offset;
                self.issue(
                    self.element_offset,
                    self.element_line,
                    format!("record cut off: the file ends {bytes} bytes into this element of the JSON array"),
                    true,
                );
                self.issue(
                    self.offset,
                    self.line,
                    "the JSON array is cut off: the file ends before its closing `]`".into(),
                    false,
                );
            }
            State::BeforeElement => {
                self.issue(
                    self.offset,
                    self.line,
                    "the JSON array is cut off: the file ends before its closing `]`".into(),
                    false,
                );
            }
            State::End | State::Failed => {}
        }
        self.state = State::Failed;
    }

    /// [`ArrayReader::at_end_of_file`] for a Log Analytics response: a cut row or rows array
    /// is reported as an array's is; after the rows, the skeleton is checked.
    fn tables_at_end_of_file(&mut self) {
        let Some(tables) = self.tables.take() else {
            return;
        };
        if self.rows_cut(&tables.kind.rows_label(tables.table)) {
            for problem in documents::check_tables_end(tables.kind, &tables.skeleton, &tables.read) {
                self.issue(self.offset, self.line, problem, false);
            }
        }
        self.state = State::Failed;
    }

    /// At the end of the file, in a response's rows (`rows` names them): reports a cut row or
    /// rows array, as an array's; `true` if the rows were read to their end.
    fn rows_cut(&mut self, rows: &str) -> bool {
        let cut = format!("the response is cut off: the file ends before `{rows}` closes with `]`");
        match self.state {
            State::InElement => {
                let bytes = self.offset - self.element_offset;
                self.issue(
                    self.element_offset,
                    self.element_line,
                    format!("record cut off: the file ends {bytes} bytes into this row of the response's `{rows}`"),
                    true,
                );
                self.issue(self.offset, self.line, cut, false);
            }
            State::BeforeElement => self.issue(self.offset, self.line, cut, false),
            State::End => return true,
            State::Start | State::Failed => {}
        }
        false
    }

    /// [`ArrayReader::at_end_of_file`] for a response's rows: a cut row or rows array is
    /// reported as an array's is; after the rows, the rest of the document is checked.
    fn response_at_end_of_file(&mut self) {
        let Some(response) = self.response.take() else {
            return;
        };
        if self.rows_cut(response.start.key) {
            let tail = &response.tail;
            if let Err((at, message)) = documents::check_response_tail(&response.start, tail) {
                // The tail ends at the end of the file: count back to the problem.
                let after = &tail[at..];
                let offset = self.offset - after.len() as u64;
                let line = self.line - memchr::memchr_iter(b'\n', after).count() as u64;
                self.issue(offset, line, message, false);
            }
        }
        self.state = State::Failed;
    }
}

/// Where an element's bytes are: how deep in objects and arrays, and in a string or not. Only
/// a top-level `,` or `]` outside strings ends an element.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Nesting {
    depth: u32,
    in_string: bool,
    /// In a string, after a backslash: the next byte is taken as it is.
    escaped: bool,
}

impl Nesting {
    /// After byte `b`.
    fn byte(&mut self, b: u8) {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            return;
        }
        match b {
            b'"' => self.in_string = true,
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
    }

    /// Where the element ends in `bytes`, read from this state on: the length of its bytes
    /// there, the `,` or `]` after them, and the newlines in those bytes (which number the
    /// next element's line: counted from the block's masks, a count of each element's bytes
    /// after it was 17 % of reading an array); or all of `bytes`, `None` and their newlines, the
    /// state moved past them. Exactly [`Nesting::byte`] byte by byte ([`Nesting::end_in_bytewise`]), 64 bytes
    /// at a time: the escaped bytes of each block from its runs of backslashes, the strings
    /// from the unescaped quotes (a prefix XOR), and only the brackets and commas outside
    /// strings visited, as simdjson finds its structure. A block with a backslash outside a
    /// string (not JSON: the walk then takes it differently) is read byte by byte. Where the
    /// processor has AVX2, PCLMULQDQ and POPCNT (checked at run time: the build targets baseline
    /// x86_64), a block's masks come from two 32-byte halves instead of four 16-byte ones, and
    /// the prefix XOR is one carry-less multiply (simdjson's way): on a Zen 3 machine, (y)'s
    /// 314 MB array on two threads, whose scan waits on this framing, 190.6 -> 164.4 ms.
    fn end_in(&mut self, bytes: &[u8]) -> (usize, Option<u8>, u64) {
        #[cfg(target_arch = "x86_64")]
        if wide_framing() {
            // SAFETY: the processor has AVX2, PCLMULQDQ and POPCNT (checked just above).
            return unsafe { self.end_in_avx2(bytes) };
        }
        self.end_in_with::<false>(bytes)
    }

    /// [`Nesting::end_in`] with a block's masks from two 32-byte halves and the strings'
    /// prefix XOR one carry-less multiply.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,pclmulqdq,popcnt")]
    unsafe fn end_in_avx2(&mut self, bytes: &[u8]) -> (usize, Option<u8>, u64) {
        self.end_in_with::<true>(bytes)
    }

    /// [`Nesting::end_in`]'s one body, for either instruction set.
    #[inline(always)]
    fn end_in_with<const AVX2: bool>(&mut self, bytes: &[u8]) -> (usize, Option<u8>, u64) {
        // On a copy, written back once: the compiler keeps a local's fields in registers.
        let mut state = *self;
        let found = state.end_in_blocks::<AVX2>(bytes);
        *self = state;
        found
    }

    /// [`Nesting::end_in_with`]'s blocks.
    #[inline(always)]
    fn end_in_blocks<const AVX2: bool>(&mut self, bytes: &[u8]) -> (usize, Option<u8>, u64) {
        let mut newlines = 0;
        // Whole blocks read in place; only the last, shorter one is copied out and padded (a
        // padded block made ready for every block was two stores each).
        let mut blocks = bytes.chunks_exact(64);
        let mut start = 0;
        for block in blocks.by_ref() {
            let block = block.first_chunk::<64>().expect("chunks_exact gives 64 bytes");
            if let Some(end) = self.end_in_block::<AVX2>(block, 64, &mut newlines) {
                return (start + end, Some(block[end]), newlines);
            }
            start += 64;
        }
        let tail = blocks.remainder();
        if !tail.is_empty() {
            let mut padded = [b' '; 64];
            padded[..tail.len()].copy_from_slice(tail);
            if let Some(end) = self.end_in_block::<AVX2>(&padded, tail.len(), &mut newlines) {
                return (start + end, Some(padded[end]), newlines);
            }
        }
        (bytes.len(), None, newlines)
    }

    /// [`Nesting::end_in`] within the first `length` bytes of `block` (the rest are spaces),
    /// adding the newlines of the bytes it reads past to `newlines`.
    #[inline(always)]
    fn end_in_block<const AVX2: bool>(&mut self, block: &[u8; 64], length: usize, newlines: &mut u64) -> Option<usize> {
        const EVEN: u64 = 0x5555_5555_5555_5555;
        let valid = if length == 64 { !0 } else { (1u64 << length) - 1 };
        let masks = BlockMasks::of::<AVX2>(block);
        // The escaped bytes: those after an odd run of backslashes (simdjson's `find_escaped`).
        // Without branches: paths and other escaped text put backslashes in a block at random.
        // (`escaped` is only ever set in a string: not asked again, which would wait on the
        // string mask of the block before, the carry-less multiply.)
        let escaped_first = u64::from(self.escaped);
        let (escaped, carry) = if masks.backslash | escaped_first == 0 {
            (0, false)
        } else {
            let backslash = masks.backslash & !escaped_first;
            let follows_escape = backslash << 1 | escaped_first;
            let odd_starts = backslash & !EVEN & !follows_escape;
            let (even_starts, carry) = odd_starts.overflowing_add(backslash);
            ((EVEN ^ (even_starts << 1)) & follows_escape, carry)
        };
        // Bit `n`: in a string after byte `n`.
        let in_string = prefix_xor::<AVX2>(masks.quote & !escaped) ^ 0u64.wrapping_sub(u64::from(self.in_string));
        let outside = !in_string & valid;
        if masks.backslash & outside != 0 {
            for (at, &b) in block.iter().enumerate().take(length) {
                if !self.in_string && self.depth == 0 && (b == b',' || b == b']') {
                    return Some(at);
                }
                *newlines += u64::from(b == b'\n');
                self.byte(b);
            }
            return None;
        }
        let (open, close, comma) = (masks.open & outside, masks.close & outside, masks.comma & outside);
        let mut visit = if self.depth == 0 {
            open | close | comma
        } else {
            open | close
        };
        while visit != 0 {
            let at = visit.trailing_zeros() as usize;
            let bit = 1u64 << at;
            visit &= visit - 1;
            if self.depth == 0 {
                if comma & bit != 0 || block[at] == b']' {
                    self.in_string = false;
                    self.escaped = false;
                    *newlines += u64::from((masks.newline & (bit - 1)).count_ones());
                    return Some(at);
                }
                if open & bit != 0 {
                    self.depth = 1;
                    visit &= !comma;
                }
                // A `}` at the top: no deeper than the top.
            } else if open & bit != 0 {
                self.depth += 1;
            } else {
                self.depth -= 1;
                if self.depth == 0 {
                    // From here on a comma may end the element.
                    visit |= comma & (!0u64).checked_shl(at as u32 + 1).unwrap_or(0);
                }
            }
        }
        *newlines += u64::from((masks.newline & valid).count_ones());
        let last = length - 1;
        self.in_string = in_string >> last & 1 != 0;
        // A run of backslashes that escapes the next block's first byte is in a string: one
        // outside was read byte by byte (above).
        self.escaped = if length == 64 {
            carry
        } else {
            escaped >> length & 1 != 0
        };
        None
    }

    /// [`Nesting::end_in`] a byte at a time: the reference its tests hold it to.
    #[cfg(test)]
    fn end_in_bytewise(&mut self, bytes: &[u8]) -> (usize, Option<u8>, u64) {
        let mut newlines = 0;
        for (at, &b) in bytes.iter().enumerate() {
            if !self.in_string && self.depth == 0 && (b == b',' || b == b']') {
                return (at, Some(b), newlines);
            }
            newlines += u64::from(b == b'\n');
            self.byte(b);
        }
        (bytes.len(), None, newlines)
    }
}

/// Whether the processor has what [`Nesting::end_in_avx2`] needs: AVX2, PCLMULQDQ and POPCNT.
#[cfg(target_arch = "x86_64")]
fn wide_framing() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("pclmulqdq")
        && std::arch::is_x86_feature_detected!("popcnt")
}

/// Bit `n` of the result: the XOR of bits `0..=n` of `bits` (a string's bytes from the quotes
/// that open and close it). Given `FAST`, one carry-less multiply by all ones, which the
/// caller must run only where the processor has PCLMULQDQ; else six shifts, each waiting on
/// the one before.
#[inline(always)]
fn prefix_xor<const FAST: bool>(bits: u64) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if FAST {
        use std::arch::x86_64::*;
        // SAFETY: only instantiated with `FAST` inside `end_in_avx2`, which runs where the
        // processor has PCLMULQDQ; SSE2 is in the x86_64 baseline.
        return unsafe {
            let product = _mm_clmulepi64_si128(_mm_set_epi64x(0, bits as i64), _mm_set1_epi8(-1), 0);
            _mm_cvtsi128_si64(product) as u64
        };
    }
    let mut bits = bits;
    for shift in [1, 2, 4, 8, 16, 32] {
        bits ^= bits << shift;
    }
    bits
}

/// Of 64 bytes, as bits: the quotes, the backslashes, `{` and `[`, `}` and `]`, the commas,
/// and the newlines (which number the lines of the elements).
struct BlockMasks {
    quote: u64,
    backslash: u64,
    open: u64,
    close: u64,
    comma: u64,
    newline: u64,
}

impl BlockMasks {
    /// With SSE2 (part of every x86_64 processor), 16 bytes at a time; given `AVX2`, which
    /// only [`Nesting::end_in_avx2`] does, 32 bytes at a time.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn of<const AVX2: bool>(block: &[u8; 64]) -> BlockMasks {
        use std::arch::x86_64::*;
        if AVX2 {
            // SAFETY: only instantiated with `AVX2` inside `end_in_avx2`, which runs where the
            // processor has AVX2; the loads read the two halves of `block`.
            return unsafe {
                let halves = [
                    _mm256_loadu_si256(block.as_ptr().cast()),
                    _mm256_loadu_si256(block.as_ptr().add(32).cast()),
                ];
                let is = |b: u8, fold: bool| {
                    let mask = |v: __m256i| {
                        let v = if fold {
                            _mm256_or_si256(v, _mm256_set1_epi8(0x20))
                        } else {
                            v
                        };
                        _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(b as i8))) as u32 as u64
                    };
                    mask(halves[0]) | mask(halves[1]) << 32
                };
                BlockMasks {
                    quote: is(b'"', false),
                    backslash: is(b'\\', false),
                    open: is(b'{', true),
                    close: is(b'}', true),
                    comma: is(b',', false),
                    newline: is(b'\n', false),
                }
            };
        }
        let mut masks = BlockMasks::empty();
        for (part, window) in block.chunks_exact(16).enumerate() {
            // SAFETY: SSE2 is in the x86_64 baseline, so these instructions exist on every
            // processor this code runs on; the load reads the 16 bytes of `window`.
            let [quote, backslash, open, close, comma, newline] = unsafe {
                let v = _mm_loadu_si128(window.as_ptr().cast());
                // `{` and `[` (0x7b, 0x5b), `}` and `]` (0x7d, 0x5d) differ by bit 0x20 alone.
                let folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
                let is = |v: __m128i, b: u8| _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8))) as u16;
                [
                    is(v, b'"'),
                    is(v, b'\\'),
                    is(folded, b'{'),
                    is(folded, b'}'),
                    is(v, b','),
                    is(v, b'\n'),
                ]
            };
            masks.add(part * 16, [quote, backslash, open, close, comma, newline]);
        }
        masks
    }

    /// A byte at a time: elsewhere, and the reference for the SSE2 one.
    #[cfg_attr(target_arch = "x86_64", allow(dead_code))]
    fn of_bytewise(block: &[u8; 64]) -> BlockMasks {
        let mut masks = BlockMasks::empty();
        for (at, &b) in block.iter().enumerate() {
            let is = |c: u8| u16::from(b == c);
            masks.add(
                at,
                [
                    is(b'"'),
                    is(b'\\'),
                    is(b'{') | is(b'['),
                    is(b'}') | is(b']'),
                    is(b','),
                    is(b'\n'),
                ],
            );
        }
        masks
    }

    fn empty() -> BlockMasks {
        BlockMasks {
            quote: 0,
            backslash: 0,
            open: 0,
            close: 0,
            comma: 0,
            newline: 0,
        }
    }

    /// Adds the bits of bytes `at..at + 16` (or of byte `at`).
    fn add(&mut self, at: usize, [quote, backslash, open, close, comma, newline]: [u16; 6]) {
        self.quote |= u64::from(quote) << at;
        self.backslash |= u64::from(backslash) << at;
        self.open |= u64::from(open) << at;
        self.close |= u64::from(close) << at;
        self.comma |= u64::from(comma) << at;
        self.newline |= u64::from(newline) << at;
    }
}

#[cfg(not(target_arch = "x86_64"))]
impl BlockMasks {
    fn of<const AVX2: bool>(block: &[u8; 64]) -> BlockMasks {
        BlockMasks::of_bytewise(block)
    }
}

fn describe(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("`{}`", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::XorShift;

    /// [`BlockMasks::of`] with AVX2, where the processor has it.
    #[cfg(target_arch = "x86_64")]
    fn avx2_masks(block: &[u8; 64]) -> Option<BlockMasks> {
        #[target_feature(enable = "avx2,pclmulqdq")]
        unsafe fn masks(block: &[u8; 64]) -> BlockMasks {
            BlockMasks::of::<true>(block)
        }
        let avx2 = wide_framing();
        // SAFETY: the processor has both (checked just above).
        avx2.then(|| unsafe { masks(block) })
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn avx2_masks(_: &[u8; 64]) -> Option<BlockMasks> {
        None
    }

    /// The SSE2 and AVX2 masks of a block are the bytewise ones, for blocks of every byte.
    #[test]
    fn block_masks_agree_with_the_bytewise_reference() {
        let mut random = XorShift::new(0x0a77_a75e);
        for round in 0..2000 {
            let mut block = [0u8; 64];
            for b in block.iter_mut() {
                *b = if round % 2 == 0 {
                    random.next_u64() as u8
                } else {
                    b"\"\\{}[],a\n"[random.below(9)]
                };
            }
            let (fast, slow) = (BlockMasks::of::<false>(&block), BlockMasks::of_bytewise(&block));
            let bits = |m: &BlockMasks| [m.quote, m.backslash, m.open, m.close, m.comma, m.newline];
            assert_eq!(bits(&fast), bits(&slow), "{block:?}");
            if let Some(wide) = avx2_masks(&block) {
                assert_eq!(bits(&wide), bits(&slow), "AVX2: {block:?}");
            }
        }
    }

    /// Where an element ends, and the state after bytes that do not end it, 64 bytes at a time
    /// as a byte at a time: from every starting state, over random bytes of the characters that
    /// matter (runs of backslashes across block boundaries, quotes, brackets, commas, a
    /// backslash outside a string), of every length around the blocks.
    /// A way to find an element's end: [`Nesting::end_in`] or one of the two it dispatches to.
    type EndIn = fn(&mut Nesting, &[u8]) -> (usize, Option<u8>, u64);

    #[test]
    fn an_element_ends_where_the_byte_machine_says() {
        let mut random = XorShift::new(0x5eed_a77a);
        let alphabet: &[&[u8]] = &[b"\"\\{}[],a \n", b"\"\\\\\\\\aaa{}", b"\"aaaaaaaa{}[],\\", b"{}[]\"a,"];
        for round in 0..20_000 {
            let letters = alphabet[round % alphabet.len()];
            let length = random.below(300);
            let bytes: Vec<u8> = (0..length).map(|_| letters[random.below(letters.len())]).collect();
            let in_string = random.below(2) == 0;
            let start = Nesting {
                depth: random.below(3) as u32,
                in_string,
                escaped: in_string && random.below(3) == 0,
            };
            let mut slow = start;
            let expected = slow.end_in_bytewise(&bytes);
            let text = String::from_utf8_lossy(&bytes);
            // As dispatched, and each way the dispatch can go on this processor.
            let mut ways: Vec<(&str, EndIn)> =
                vec![("dispatched", Nesting::end_in), ("SSE2", Nesting::end_in_with::<false>)];
            #[cfg(target_arch = "x86_64")]
            if wide_framing() {
                // SAFETY: the processor has both (checked just above).
                ways.push(("AVX2", |nesting, bytes| unsafe { nesting.end_in_avx2(bytes) }));
            }
            for (way, end_in) in ways {
                let mut fast = start;
                let found = end_in(&mut fast, &bytes);
                assert_eq!(found, expected, "{way}, from {start:?}: {text}");
                if expected.1.is_none() {
                    assert_eq!(fast, slow, "{way}, from {start:?}: {text}");
                }
            }
        }
    }

    /// Everything a reader hands out: each record's bytes, line and offset, and each issue.
    fn items(mut reader: ArrayReader) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(item) = reader.next_item(Vec::new()) {
            match item {
                Ok(Item::Unit(unit)) => {
                    unit.for_each_record(|r| {
                        out.push(format!("{}:{} {}", r.line, r.offset, String::from_utf8_lossy(r.bytes)));
                    });
                }
                Ok(Item::Issue(i)) => out.push(format!("{}:{} {} {}", i.line, i.offset, i.is_record, i.message)),
                Ok(Item::Warning(w)) => out.push(format!("warning {w}")),
                Err(e) => out.push(format!("error {e}")),
            }
        }
        out
    }

    /// How a test file begins, as `FileReader::open` tells it; `None` if it is not read as an
    /// array or a response's rows.
    fn begin_of(text: &[u8]) -> Option<Begin> {
        if let Some(start) = documents::response_start(text) {
            return Some(Begin::Response(start));
        }
        if let Some(start) = documents::tables_start(text) {
            return Some(Begin::Tables(start));
        }
        let bom = crate::encoding::bom_len(text);
        (text[bom..].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')).then_some(Begin::Array)
    }

    /// `text` read into buffers from a stream, begun as `begin_of` says.
    fn buffered(text: &[u8], chunk_size: usize) -> ArrayReader {
        let source: Source = Box::new(io::Cursor::new(text.to_vec()));
        match begin_of(text).expect("an array or a response") {
            Begin::Response(start) => ArrayReader::response_rows(0, source, start, chunk_size),
            Begin::Tables(start) => ArrayReader::table_rows(0, source, text, start, chunk_size),
            Begin::Array => ArrayReader::new(0, source, crate::encoding::bom_len(text), chunk_size),
        }
    }

    /// An array or a response read through mapped windows of its file gives what it gives read
    /// into buffers, at any unit size: every record at its line and offset, every issue, in
    /// order; over texts cut at every byte (cut rows, cut arrays, cut tails), with elements
    /// longer than a unit, empty elements, rows that are not objects or not JSON, a BOM, and
    /// bytes after the end.
    #[test]
    fn mapped_windows_read_what_buffers_read() {
        let bodies: Vec<Vec<u8>> = vec![
            b"[{\"a\":1},{\"b\":\"x,]\\\"y\"},\n  {\"c\":[1,{\"d\":\"}\"}]}\n]\n".to_vec(),
            b"\xEF\xBB\xBF [ {\"a\":1} , , 7, \"s\", {\"b\":2}] tail".to_vec(),
            b"{\"Schema\":[{\"Name\":\"a\"}],\n\"Results\":[\n{\"a\":1},\n\"two\",\n{\"a\": tru},\n{\"a\":\"\\u0041\"}\n],\"Stats\":{}}\n".to_vec(),
            format!("[{}]", vec![format!("{{\"long\":\"{}\"}}", "x".repeat(100)); 3].join(",\n")).into_bytes(),
            b"{\"tables\":[{\"columns\":[{\"name\":\"a\"},{\"name\":\"b\"}],\n\"rows\":[[1,\"x]\"],\n[2],\"no\",[3,{\"k\":[4]}]]},\n{\"columns\":[{\"name\":\"c\"}],\"rows\":[[5]]}],\"error\":{\"message\":\"m\"}}\n".to_vec(),
            b"[{\"FrameType\":\"DataTable\",\"TableKind\":\"PrimaryResult\",\"Columns\":[{\"ColumnName\":\"a\"}],\"Rows\":[[1],\n[\"two\"]]},{\"FrameType\":\"DataSetCompletion\",\"Cancelled\":true}]".to_vec(),
        ];
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut compared = 0;
        for body in &bodies {
            for cut in 0..=body.len() {
                let text = &body[..cut];
                let Some(begin) = begin_of(text) else {
                    continue;
                };
                let path = dir.path().join("rows.json");
                std::fs::write(&path, text).expect("written");
                for chunk_size in [1, 5, 64, 1 << 20] {
                    let read = buffered(text, chunk_size);
                    let file = File::open(&path).expect("opened");
                    let mapped = ArrayReader::mapped(0, file, text.len() as u64, text, begin.clone(), chunk_size);
                    assert_eq!(
                        items(mapped),
                        items(read),
                        "{} at {chunk_size}",
                        String::from_utf8_lossy(text)
                    );
                    compared += 1;
                }
            }
        }
        assert!(compared > 1500, "{compared}");
    }

    /// A plain file past the mapping threshold holding an array or a response is opened mapped,
    /// and reads as the same bytes read from a stream; a compressed one, or another document,
    /// is not mapped.
    #[test]
    fn big_plain_arrays_and_responses_are_opened_mapped() {
        let row = |i: usize| format!("{{\"DeviceName\":\"host-{i}\",\"SHA256\":\"{}\"}}", "ab".repeat(32));
        let rows: Vec<String> = (0..50_000).map(row).collect();
        let array = format!("[\n{}\n]\n", rows.join(",\n"));
        let response = format!("{{\"Schema\":[],\"Results\":{array}}}");
        let tables = format!("{{\"tables\":[],\"Results\":{array}}}");
        assert!(array.len() as u64 > super::super::jsonl::MAPPED_MIN);
        let dir = tempfile::tempdir().expect("a temporary directory");
        let options = super::super::ReadOptions {
            chunk_size: 1 << 20,
            csv: Default::default(),
        };
        let log_analytics = format!(
            "{{\"tables\":[{{\"columns\":[{{\"name\":\"DeviceName\"}},{{\"name\":\"SHA256\"}}],\"rows\":[\n{}\n]}}]}}",
            (0..50_000)
                .map(|i| format!("[\"host-{i}\", \"{}\"]", "ab".repeat(40)))
                .collect::<Vec<_>>()
                .join(",\n")
        );
        for (name, text, mapped) in [
            ("array", &array, true),
            ("response", &response, true),
            ("log-analytics", &log_analytics, true),
            ("tables", &tables, false),
        ] {
            let path = dir.path().join(format!("{name}.json"));
            std::fs::write(&path, text).expect("written");
            let opened = super::super::FileReader::open(0, &path, &options, None).expect("opens");
            match opened {
                super::super::FileReader::Array(reader) => {
                    assert!(mapped && reader.mapped.is_some(), "{name}");
                    let read = buffered(text.as_bytes(), 1 << 20);
                    let (from_map, from_read) = (items(reader), items(read));
                    assert_eq!(from_map.len(), 50_000, "{name}");
                    assert_eq!(from_map, from_read, "{name}");
                }
                _ => assert!(!mapped, "{name}"),
            }
        }
    }

    /// A row's cells, split by their first bytes, are the elements serde_json reads from the row,
    /// each to the byte, over random rows of every kind of value (escapes, nesting, brackets and
    /// commas in strings, white space anywhere); and random bytes never make the split panic.
    #[test]
    fn cells_are_the_rows_elements() {
        fn split(row: &[u8]) -> Option<Vec<std::ops::Range<usize>>> {
            // A list with a cell in it already: the split starts afresh.
            let mut cells = vec![0..1, 1..2];
            cells_of(row, &mut cells).map(|()| cells)
        }
        let mut random = XorShift::new(0x000c_e115);
        let pieces: [&str; 15] = [
            "1",
            "-2.5e3",
            "null",
            "true",
            "\"a,b]\"",
            "\"q\\\"\\\\\"",
            "{\"k\":[1,\"]\"]}",
            "[]",
            "[[1],{}]",
            "\"\"",
            "\"é\\u0041\"",
            "{}",
            // Strings across the 16-byte windows, their escapes at a window's edge.
            "\"0123456789abcd\\\"ef0123456789abcdef\"",
            "\"0123456789abcde\\\\\"",
            "\"0123456789abcdef0123456789abcdef0123\"",
        ];
        let spaces = ["", " ", "\n  ", "\t"];
        for _ in 0..2000 {
            let count = random.below(6);
            let cells: Vec<&str> = (0..count).map(|_| pieces[random.below(pieces.len())]).collect();
            let mut row = format!("[{}", spaces[random.below(4)]);
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    row += &format!("{},{}", spaces[random.below(4)], spaces[random.below(4)]);
                }
                row += cell;
            }
            row += &format!("{}]", spaces[random.below(4)]);
            let ranges = split(row.as_bytes()).unwrap_or_else(|| panic!("{row}"));
            let texts: Vec<&str> = ranges.iter().map(|r| &row[r.clone()]).collect();
            assert_eq!(texts, cells, "{row}");
            let parsed: Vec<serde_json::Value> = serde_json::from_str(&row).expect("a row");
            let from_cells: Vec<serde_json::Value> =
                texts.iter().map(|t| serde_json::from_str(t).expect("a cell")).collect();
            assert_eq!(from_cells, parsed, "{row}");
        }
        for _ in 0..20_000 {
            let length = random.below(24);
            let bytes: Vec<u8> = (0..length).map(|_| b"[]{}\",\\ 1a"[random.below(10)]).collect();
            let _ = split(&bytes);
        }
        for bad in ["[1 2]", "[1,]", "[,1]", "[1,,2]", "[\"a\"x]", "[1] 2", "[\"a", "[\"a\\"] {
            assert_eq!(split(bad.as_bytes()), None, "{bad}");
        }
    }
}
