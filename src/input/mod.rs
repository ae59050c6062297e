//! Input: finding log files (walked in sorted order), reading them in bounded chunks, cutting
//! the bytes into records, and giving each parsed record a table ([`table`]) and a row view
//! ([`record`]). Readers hand out [`Unit`]s of raw records; they never evaluate rules.
//!
//! - [`decompress`]: gzip / zstd told by magic bytes, and peeking at a file's head;
//! - [`jsonl`]: JSON lines in newline-aligned chunks; [`json_array`]: the elements of one big
//!   array, streamed; [`region`]: small files mapped side by side, unmapped together;
//! - [`documents`]: whole JSON documents (Advanced Hunting and Log Analytics API responses,
//!   Event Hub messages, Kusto frames, storage-account envelopes) and the rows inside them,
//!   which [`built`] hands out as units, also of such documents written one per line;
//! - [`csv`]: portal CSV exports (RFC 4180, locale dates, `[UTC]` headers);
//! - [`fields`]: the fast path's walk over a raw record's top-level keys;
//! - [`record`]: a record's bytes parsed into fields; [`table`]: the table a record belongs to.

pub mod built;
pub mod csv;
pub mod decompress;
pub mod documents;
pub mod fields;
pub mod json_array;
pub mod jsonl;
pub mod mapped;
pub mod record;
pub mod region;
pub mod table;

use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

/// Extensions read when a directory is walked; a file named on the command line is read
/// whatever its name. The help text and the summary list them from here.
pub const LOG_EXTENSIONS: &[&str] = &["json", "jsonl", "ndjson", "log", "csv", "gz", "zst", "zstd"];

/// [`LOG_EXTENSIONS`] as people read them: `.json, .jsonl, ...`.
pub fn listed_extensions() -> String {
    let dotted: Vec<String> = LOG_EXTENSIONS.iter().map(|e| format!(".{e}")).collect();
    dotted.join(", ")
}

/// One file to scan.
#[derive(Debug, Clone)]
pub struct LogFile {
    pub path: PathBuf,
    /// Its size in bytes when it is known before the file is opened: a path named on the
    /// command line (told from a directory by its metadata), records built in memory. A file
    /// found by walking a directory is not looked at before it is scanned: a `stat` of each of
    /// 2,000 small files was a serial pass ahead of the scan (1.7 % of its CPU samples). The
    /// progress bar, which needs every size up front, asks for them ([`LogFile::stored_size`]).
    pub size: Option<u64>,
    /// Records built in memory rather than read from `path`, which names where they came from:
    /// a threat-intel feed read as Sentinel's indicator tables (`--threat-intel`).
    pub memory: Option<Arc<dyn RecordSource>>,
}

impl LogFile {
    /// A file on disk (or `-`, standard input), of `size` bytes if known.
    pub fn on_disk(path: PathBuf, size: Option<u64>) -> LogFile {
        LogFile {
            path,
            size,
            memory: None,
        }
    }

    /// Records built by `source`, read as if they came from `path` (`size` bytes long).
    pub fn in_memory(path: PathBuf, size: u64, source: Arc<dyn RecordSource>) -> LogFile {
        LogFile {
            path,
            size: Some(size),
            memory: Some(source),
        }
    }

    /// Its size, looked up now if it was not known: 0 for one that cannot be read (its error
    /// comes when it is opened) and for standard input.
    pub fn stored_size(&self) -> u64 {
        match self.size {
            Some(size) => size,
            None if decompress::is_stdin(&self.path) => 0,
            None => std::fs::metadata(&self.path).map_or(0, |m| m.len()),
        }
    }
}

/// Records that are not in a file's bytes but built on demand, a chunk at a time, so that a
/// large source is never built all at once. Record `index` (from 0) carries its table; its
/// `line` is its place in the source, its `offset` unique and increasing (it orders ties).
pub trait RecordSource: Send + Sync + std::fmt::Debug {
    /// How many records there are.
    fn count(&self) -> usize;
    fn record(&self, index: usize) -> BuiltRecord;
}

/// Something about an input path that could not be read, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for InputError {}

/// What [`discover`] found under the command line's paths.
#[derive(Debug, Default)]
pub struct Discovered {
    /// In command-line order, each directory walked in sorted order.
    pub files: Vec<LogFile>,
    /// Paths that could not be read; everything else is still scanned.
    pub errors: Vec<InputError>,
    /// Files under a directory without a log extension, left out (and counted in the summary).
    pub skipped: u64,
}

/// The files under `paths`, in command-line order, each directory walked in sorted order.
/// Paths that cannot be read are returned as errors; everything else is still scanned.
pub fn discover(paths: &[PathBuf]) -> Discovered {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut skipped = 0;
    for path in paths {
        if decompress::is_stdin(path) {
            files.push(LogFile::on_disk(path.clone(), None));
            continue;
        }
        let metadata = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                errors.push(InputError {
                    path: path.clone(),
                    message: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        if !metadata.is_dir() {
            files.push(LogFile::on_disk(path.clone(), Some(metadata.len())));
            continue;
        }
        let (first_file, first_error) = (files.len(), errors.len());
        for entry in walkdir::WalkDir::new(path).follow_links(true) {
            match entry {
                Err(e) => {
                    let at = e.path().unwrap_or(path).to_path_buf();
                    errors.push(InputError {
                        path: at,
                        message: format!("cannot read: {}", io_message(&e)),
                    });
                }
                Ok(entry) if entry.file_type().is_file() => {
                    if !has_log_extension(entry.path()) {
                        skipped += 1;
                        continue;
                    }
                    // Its size is not asked for here (see `LogFile::size`); a file that
                    // cannot be read is told when it is opened.
                    files.push(LogFile::on_disk(entry.into_path(), None));
                }
                Ok(_) => {}
            }
        }
        sort_as_walked(&mut files[first_file..], |file| &file.path);
        sort_as_walked(&mut errors[first_error..], |error| &error.path);
    }
    Discovered { files, errors, skipped }
}

/// Sorts `items` (of one walk) into the order of a depth-first walk that visits each
/// directory's entries in name order: the order of their paths' components, compared name by
/// name. Sorted once, by a key made once per path: walkdir's own sort compared `file_name()`s,
/// each parsed again from its path at every comparison, a serial ~5 ms before a scan of 2,000
/// files could start.
fn sort_as_walked<T>(items: &mut [T], path: impl Fn(&T) -> &Path) {
    items.sort_by_cached_key(|item| walk_order_key(path(item)));
}

/// `path`'s bytes with every separator made the lowest byte, so that comparing keys byte by
/// byte compares the paths name by name: a name holds neither a separator nor a NUL, so where
/// one name is a prefix of the other the shorter ends first (`a/z` before `a-b`, `a` before
/// `ab`).
fn walk_order_key(path: &Path) -> Vec<u8> {
    let separator = |byte: u8| byte.is_ascii() && std::path::is_separator(char::from(byte));
    (path.as_os_str().as_encoded_bytes().iter())
        .map(|&byte| if separator(byte) { 0 } else { byte })
        .collect()
}

fn io_message(e: &walkdir::Error) -> String {
    match e.io_error() {
        Some(io) => io.to_string(),
        None => e.to_string(),
    }
}

fn has_log_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| LOG_EXTENSIONS.iter().any(|l| l.eq_ignore_ascii_case(e)))
}

/// A batch of raw records from one file, owned so that a worker thread can take it.
#[derive(Debug)]
pub struct Unit {
    /// Index of the file in the scan's file list.
    pub file: usize,
    /// Byte offset in the file of `data[0]`.
    pub offset: u64,
    /// 1-based line number of `data[0]`, when the reader knows it. `None` for a unit of lines
    /// that follows the file's previous unit: its lines are numbered from 1, and the scan adds
    /// the newlines of the units before it, which it counts as it frames them (a count by the
    /// reader was one more pass over every byte, a tenth of a scan's time).
    pub line: Option<u64>,
    pub data: UnitData,
    pub framing: Framing,
}

/// A unit's bytes: read into a buffer, a range of a batch of a plain file mapped into memory
/// ([`mapped`]), unmapped when the batch's last unit is dropped, or a small file mapped beside
/// others ([`region`]).
#[derive(Debug)]
pub enum UnitData {
    Read(Vec<u8>),
    Mapped(Arc<memmap2::Mmap>, Range<usize>),
    Region(Arc<region::Region>, Range<usize>),
}

impl UnitData {
    /// The buffer, to be filled again, if the bytes were read into one.
    pub fn into_buffer(self) -> Option<Vec<u8>> {
        match self {
            UnitData::Read(buffer) => Some(buffer),
            UnitData::Mapped(..) | UnitData::Region(..) => None,
        }
    }
}

impl std::ops::Deref for UnitData {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            UnitData::Read(buffer) => buffer,
            UnitData::Mapped(map, range) => &map[range.clone()],
            UnitData::Region(region, range) => region.bytes(range.clone()),
        }
    }
}

#[derive(Debug)]
pub enum Framing {
    /// `data` is whole lines; each non-blank line is a record.
    Lines,
    /// `data` holds these records, not necessarily contiguous in the file.
    Ranges(Vec<Framed>),
}

/// A record inside a unit's `data`, and where it starts in the file.
#[derive(Debug, Clone)]
pub struct Framed {
    pub range: Range<usize>,
    pub offset: u64,
    pub line: u64,
    /// The table the file names for this record (an envelope's `category`).
    pub table: Option<Arc<str>>,
}

/// A record that a reader had to build because the file does not hold it as a JSON object of
/// its own (a CSV row, a positional API row, a row inside an envelope): the row as a JSON
/// object, where it came from, and the table the file says it belongs to, if it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltRecord {
    /// One JSON object: column name → value. Datetimes as ISO 8601 text.
    pub json: String,
    /// 1-based line of the row in the file (1 for a file that is one line).
    pub line: u64,
    /// Byte offset of the row in the file (unique per record: it orders ties).
    pub offset: u64,
    /// A table named by the file itself (an envelope's `category`), before any other evidence.
    pub table: Option<String>,
}

/// One record's bytes and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct RawRecord<'a> {
    pub bytes: &'a [u8],
    /// Byte offset in the file: unique per record, the tie-breaker of the output order.
    pub offset: u64,
    pub line: u64,
    /// The table the file names for it, if it does.
    pub table: Option<&'a str>,
}

impl Unit {
    /// A unit of the records framed in `data`; `None` if there are none. The unit starts where
    /// its first record does.
    pub fn of_framed(file: usize, data: Vec<u8>, framed: Vec<Framed>) -> Option<Unit> {
        let (offset, line) = framed.first().map(|first| (first.offset, first.line))?;
        Some(Unit {
            file,
            offset,
            line: Some(line),
            data: UnitData::Read(data),
            framing: Framing::Ranges(framed),
        })
    }

    /// Calls `f` on each record of the unit, in order, and returns how many newlines its bytes
    /// hold (for a unit of lines; 0 for framed records, whose lines are known).
    pub fn for_each_record<'u>(&'u self, f: impl FnMut(RawRecord<'u>)) -> u64 {
        self.visit_records(&mut jsonl::Each(f))
    }

    /// [`Unit::for_each_record`] with a visitor that may take the lines of a unit of lines whole
    /// ([`LineVisitor::whole_line`]).
    pub fn visit_records<'u>(&'u self, visitor: &mut impl LineVisitor<'u>) -> u64 {
        match &self.framing {
            Framing::Lines => jsonl::visit_lines(&self.data, self.offset, self.line.unwrap_or(1), visitor),
            Framing::Ranges(ranges) => {
                for r in ranges {
                    visitor.record(RawRecord {
                        bytes: &self.data[r.range.clone()],
                        offset: r.offset,
                        line: r.line,
                        table: r.table.as_deref(),
                    });
                }
                0
            }
        }
    }
}

/// The newlines of one file's units read so far, which number the lines of a unit that follows
/// them ([`Unit::line`] `None`), for a reader of units outside the scan (which numbers them as
/// it merges its results).
#[derive(Debug, Default)]
pub struct LineCount {
    newlines: u64,
}

impl LineCount {
    /// [`Unit::for_each_record`], each record with its line in the file; `unit` is the file's
    /// next unit.
    pub fn for_each_record<'u>(&mut self, unit: &'u Unit, mut f: impl FnMut(RawRecord<'u>)) {
        let before = if unit.line.is_none() { self.newlines } else { 0 };
        self.newlines += unit.for_each_record(|raw| {
            f(RawRecord {
                line: raw.line + before,
                ..raw
            })
        });
    }
}

/// A record the reader itself found broken (a JSON array cut off inside an element), or a
/// problem with the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub line: u64,
    pub offset: u64,
    pub message: String,
    /// Whether the issue is a broken record (counted as malformed) or about the file.
    pub is_record: bool,
}

/// What a file reader hands out next.
#[derive(Debug)]
pub enum Item {
    Unit(Unit),
    Issue(Issue),
    /// Something the reader had to guess (a CSV file's day/month order), for the summary.
    Warning(String),
}

/// Reads one file as a sequence of [`Item`]s, choosing the format from its first bytes.
pub enum FileReader {
    Lines(jsonl::LinesReader),
    Mapped(jsonl::MappedLinesReader),
    /// A small file of JSON lines, read whole into one unit; the bytes it holds.
    Whole(Option<Unit>, u64),
    Array(json_array::ArrayReader),
    Built(built::BuiltReader),
    /// Documents one per line ([`Shape::DocumentLines`]).
    DocumentLines(built::DocumentLinesReader),
    Csv(built::CsvFileReader),
    Memory(built::MemoryReader),
    Empty,
}

/// How inputs are read: the unit size, and what CSV files cannot say for themselves.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    pub chunk_size: usize,
    pub csv: csv::CsvOptions,
}

/// The largest JSON document (an API response, a pretty-printed file) read whole. Such
/// documents are bounded by the APIs that produce them; a larger file is read as JSON lines.
const MAX_DOCUMENT: u64 = 1 << 30;

impl FileReader {
    /// Opens a file (or `-`, standard input), decompressing it if need be, and chooses the
    /// reader from its first bytes: JSON lines, a JSON array of rows, a whole JSON document
    /// (an API response, an Event Hub message, ADX frames), or a CSV export. A small plain
    /// file of JSON lines is mapped into `regions` when given (a reader of many files shares
    /// them), rather than read.
    pub fn open(
        file: usize,
        path: &Path,
        options: &ReadOptions,
        regions: Option<&mut region::Regions>,
    ) -> io::Result<FileReader> {
        if decompress::is_stdin(path) {
            let (source, _) = decompress::open(path)?;
            return FileReader::from_source(file, source, options);
        }
        // Opened once: a big plain file of JSON lines, an array or a response is mapped,
        // anything else read from it.
        let (mut source, metadata) = match open_mapped(file, std::fs::File::open(path)?, options.chunk_size)? {
            Ok(mapped) => return Ok(mapped),
            Err(not_mapped) => not_mapped,
        };
        // A file that fits in one unit is taken whole, in one go: exports come as thousands of
        // small files, and peeking at the head, then reading it again through the peek, cost
        // as much per file as scanning it. Mapped beside other small files when it can be
        // ([`region`]), else read.
        let size = metadata.len();
        if size <= options.chunk_size as u64 {
            let mapped = regions
                .filter(|_| metadata.is_file())
                .and_then(|regions| regions.map(&source, size as usize));
            let head = |text: &[u8]| jsonl::plain_lines(&text[..text.len().min(HEAD)]);
            let text = match mapped {
                Some((region, range)) if head(region.bytes(range.clone())) => {
                    return Ok(jsonl::whole_mapped_file(file, region, range));
                }
                // Another shape is read from a copy (its mapping stays in the region until
                // the region goes).
                Some((region, range)) => region.bytes(range).to_vec(),
                None => {
                    let mut text = Vec::with_capacity(size as usize + 1);
                    io::Read::read_to_end(&mut source, &mut text)?;
                    if head(&text) {
                        return Ok(jsonl::whole_file(file, text));
                    }
                    text
                }
            };
            let (source, _) = decompress::decompress(Box::new(io::Cursor::new(text)))?;
            return FileReader::from_source(file, source, options);
        }
        let (source, _) = decompress::decompress(Box::new(source))?;
        FileReader::from_source(file, source, options)
    }

    /// Opens what `log` holds: its records when they are built in memory, else its file
    /// ([`Self::open`], with `regions` for small files).
    pub fn open_log(
        file: usize,
        log: &LogFile,
        options: &ReadOptions,
        regions: Option<&mut region::Regions>,
    ) -> io::Result<FileReader> {
        match &log.memory {
            Some(source) => Ok(FileReader::Memory(built::MemoryReader::new(
                file,
                Arc::clone(source),
                options.chunk_size,
                log.stored_size(),
            ))),
            None => FileReader::open(file, &log.path, options, regions),
        }
    }

    /// The same from bytes already opened and decompressed (standard input, memory, a fuzzer).
    pub fn from_source(file: usize, source: Source, options: &ReadOptions) -> io::Result<FileReader> {
        let chunk_size = options.chunk_size;
        // Enough bytes to see past a BOM and leading white space in any sane export.
        let (head, source) = decompress::peek(source, HEAD)?;
        let bom = crate::encoding::bom_len(&head);
        let shape = Shape::of(&head);
        if let Some(begin) = json_array::Begin::of(shape, &head) {
            return Ok(FileReader::Array(json_array::ArrayReader::begin(
                file, source, &head, begin, chunk_size,
            )));
        }
        Ok(match shape {
            Shape::Empty => FileReader::Empty,
            // Documents but the responses whose rows are streamed (above) are built.
            Shape::Document => return read_whole(file, source, bom, chunk_size),
            Shape::Csv => FileReader::Csv(built::CsvFileReader::new(file, source, options)),
            Shape::Array => unreachable!("an array is read by the array reader (above)"),
            Shape::Lines => FileReader::Lines(jsonl::LinesReader::new(file, source, bom, chunk_size)),
            Shape::DocumentLines => {
                FileReader::DocumentLines(built::DocumentLinesReader::new(file, source, bom, chunk_size)?)
            }
        })
    }

    /// The next unit or issue. `spare` is an empty buffer whose capacity the unit may reuse.
    pub fn next_item(&mut self, spare: Vec<u8>) -> Option<io::Result<Item>> {
        match self {
            FileReader::Lines(r) => r.next_item(spare),
            FileReader::Mapped(r) => r.next_item(),
            FileReader::Whole(unit, _) => unit.take().map(|unit| Ok(Item::Unit(unit))),
            FileReader::Array(r) => match r.next_item(spare) {
                // A response with more documents after it, one per line: read on as such.
                None => match r.documents_after()? {
                    Ok(rest) => {
                        *self = FileReader::DocumentLines(rest);
                        self.next_item(Vec::new())
                    }
                    Err(e) => Some(Err(e)),
                },
                item => item,
            },
            FileReader::Built(r) => r.next_item(spare),
            FileReader::DocumentLines(r) => r.next_item(spare),
            FileReader::Csv(r) => r.next_item(spare),
            FileReader::Memory(r) => r.next_item(spare),
            FileReader::Empty => None,
        }
    }

    /// Bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        match self {
            FileReader::Lines(r) => r.bytes_read(),
            FileReader::Mapped(r) => r.bytes_read(),
            FileReader::Whole(_, bytes) => *bytes,
            FileReader::Array(r) => r.bytes_read(),
            FileReader::Built(r) => r.bytes_read(),
            FileReader::DocumentLines(r) => r.bytes_read(),
            FileReader::Csv(r) => r.bytes_read(),
            FileReader::Memory(r) => r.bytes_read(),
            FileReader::Empty => 0,
        }
    }
}

/// A big plain file (uncompressed, at least [`jsonl::MAPPED_MIN`] bytes) read through mapped
/// windows of it: JSON lines by [`jsonl::MappedLinesReader`], a JSON array or an API response's
/// rows by [`json_array::ArrayReader::mapped`]; any other file is handed back, rewound, with its
/// metadata, for the other readers. Its head is read once for both.
fn open_mapped(
    file: usize,
    mut source: std::fs::File,
    chunk_size: usize,
) -> io::Result<Result<FileReader, (std::fs::File, std::fs::Metadata)>> {
    use io::{Read, Seek};
    let metadata = source.metadata()?;
    let len = metadata.len();
    if !metadata.is_file() || len < jsonl::MAPPED_MIN {
        return Ok(Err((source, metadata)));
    }
    let mut head = Vec::with_capacity(HEAD);
    (&source).take(HEAD as u64).read_to_end(&mut head)?;
    let plain = decompress::compression_of(&head) == decompress::Compression::None;
    let shape = Shape::of(&head);
    if plain && shape == Shape::Lines {
        let bom = crate::encoding::bom_len(&head);
        let reader = jsonl::MappedLinesReader::new(file, source, len, bom, chunk_size);
        return Ok(Ok(FileReader::Mapped(reader)));
    }
    if let Some(begin) = json_array::Begin::of(shape, &head).filter(|_| plain) {
        let reader = json_array::ArrayReader::mapped(file, source, len, &head, begin, chunk_size);
        return Ok(Ok(FileReader::Array(reader)));
    }
    source.seek(io::SeekFrom::Start(0))?;
    Ok(Err((source, metadata)))
}

/// How many bytes of a file's head tell its shape.
const HEAD: usize = 64 * 1024;

/// What a file holds, told from its first [`HEAD`] bytes (or all of them, if fewer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Nothing but white space.
    Empty,
    /// One JSON document: an API response, an Event Hub message, ADX frames, a pretty-printed
    /// file.
    Document,
    Csv,
    /// A JSON array of rows.
    Array,
    /// JSON lines.
    Lines,
    /// JSON lines whose first line is a whole document: Event Hub messages or API responses,
    /// one per line, as a consumer writes what it receives.
    DocumentLines,
}

impl Shape {
    fn of(head: &[u8]) -> Shape {
        let bom = crate::encoding::bom_len(head);
        let Some(first) = head[bom..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map(|p| p + bom)
        else {
            // White space all through the head: empty if that was the whole file.
            return if head.len() < HEAD { Shape::Empty } else { Shape::Lines };
        };
        let whole = match head[first] {
            b'[' if starts_adx_frames(&head[first..]) => {
                // ADX frames on their first line, then more: frames one per line.
                if first_line_is_a_document(&head[first..]) {
                    return Shape::DocumentLines;
                }
                true
            }
            b'[' => false,
            b'{' => match first_line(&head[first..]) {
                FirstLine::Row => false,
                FirstLine::Document => return Shape::DocumentLines,
                FirstLine::Other => true,
            },
            _ => false,
        };
        if whole {
            Shape::Document
        } else if !matches!(head[first], b'{' | b'[') && csv::looks_like_csv(&head[bom..]) {
            Shape::Csv
        } else if head[first] == b'[' {
            Shape::Array
        } else {
            Shape::Lines
        }
    }
}

/// `[{"FrameType":` — a Kusto REST v2 response, not an array of rows.
fn starts_adx_frames(text: &[u8]) -> bool {
    let skip = |t: &[u8], at: usize| at + t[at..].iter().take_while(|b| b.is_ascii_whitespace()).count();
    let at = skip(text, 1);
    text.get(at) == Some(&b'{') && text[skip(text, at + 1)..].starts_with(b"\"FrameType\"")
}

/// What the first line of a file that starts with `{` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FirstLine {
    /// A JSON object of its own that is a row: the file is JSON lines.
    Row,
    /// A whole API response or Event Hub message on one line: the file is such documents, one
    /// per line ([`Shape::DocumentLines`]).
    Document,
    /// Not a whole object (a pretty-printed document), or no line end in sight: the file is one
    /// document.
    Other,
}

/// What the first line of `text` is ([`FirstLine`]).
fn first_line(text: &[u8]) -> FirstLine {
    let Some(end) = memchr::memchr(b'\n', text) else {
        return FirstLine::Other;
    };
    let line = &text[..end];
    // A document is told by its top-level keys (documents::shape_of): an object has a document's
    // shape only with one of these. Thousands of small files each ask.
    const SIGNS: [&str; 4] = ["records", "Results", "results", "tables"];
    // The first lines of an export's files have the same keys: a walker that remembers them
    // walks each first line by its memo, without growing one per file. Sure of a line, the
    // walk has read every top-level key as written (a key with escapes makes it unsure): a
    // valid object with none of the signs among them is a row, as the document reader's
    // reading of it (below) would find.
    thread_local! {
        static FIRST_LINES: std::cell::RefCell<fields::FieldWalker<'static>> =
            std::cell::RefCell::new(fields::FieldWalker::new(&SIGNS));
    }
    let (walked, signed) = FIRST_LINES.with_borrow_mut(|walker| {
        let mut values: [Option<fields::FieldValue<'_>>; 4] = Default::default();
        let walked = walker.walk(line, &mut values);
        (walked, values.iter().any(Option::is_some))
    });
    if walked == fields::Walk::Valid && !signed {
        return FirstLine::Row;
    }
    // A sign among the keys: read as a document would be. Unsure: a line that spells no sign
    // anywhere, escaped or not, is a row if it is JSON at all (the parser tells); any other is
    // read as a document would be.
    static DOCUMENT_SIGNS: LazyLock<[memchr::memmem::Finder<'static>; 4]> =
        LazyLock::new(|| SIGNS.map(|sign| memchr::memmem::Finder::new(&format!("\"{sign}\"")).into_owned()));
    if walked != fields::Walk::Valid
        && !DOCUMENT_SIGNS.iter().any(|sign| sign.find(line).is_some())
        && !has_unicode_escape(line)
    {
        let row = serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok();
        return if row { FirstLine::Row } else { FirstLine::Other };
    }
    match documents::object_shape(line) {
        Some(None) => FirstLine::Row,
        Some(Some(_)) => FirstLine::Document,
        // A malformed first line of a JSON-lines file is that file's problem to report, line
        // by line; a document would not parse line by line either, so try it whole.
        None => FirstLine::Other,
    }
}

/// Whether `line` has a `\u` escape, with which a key could spell a document's sign: a `\u`
/// whose backslash is not itself escaped, the last of an odd run of backslashes. A Windows
/// path's `\\u` (`C:\\Users\\update.exe`) is none: taken for one, it sent ~8 % of an
/// export's small files the long way round ([`documents::object_shape`]).
fn has_unicode_escape(line: &[u8]) -> bool {
    static ESCAPE: LazyLock<memchr::memmem::Finder<'static>> = LazyLock::new(|| memchr::memmem::Finder::new(b"\\u"));
    ESCAPE.find_iter(line).any(|at| {
        let run = line[..=at].iter().rev().take_while(|&&b| b == b'\\').count();
        run % 2 == 1
    })
}

/// Whether `text`'s first line (to its newline, which it must have) is a whole document of a
/// shape [`documents::shape_of`] knows, as [`FirstLine::Document`] — for a first line too long
/// for the head that [`Shape::of`] reads.
fn first_line_is_a_document(text: &[u8]) -> bool {
    let Some(end) = memchr::memchr(b'\n', text) else {
        return false;
    };
    let line = &text[..end];
    // An object is told without building it; ADX frames (an array) by their first element.
    if line.trim_ascii_start().starts_with(b"{") {
        return documents::object_shape(line).is_some_and(|shape| shape.is_some());
    }
    serde_json::from_slice::<serde_json::Value>(line).is_ok_and(|value| documents::shape_of(&value).is_some())
}

/// Reads the whole input as one JSON document. If it is not one (or is too big), the bytes
/// are read as JSON lines after all, so that every line is still accounted for. A first line
/// that is a whole document of its own (longer than the head [`Shape::of`] reads) makes the
/// file documents one per line, read by lines from there, not whole. An Event Hub message,
/// the file's only document, is read from its text ([`documents::envelope_records`]), not built.
fn read_whole(file: usize, source: Source, bom: usize, chunk_size: usize) -> io::Result<FileReader> {
    use std::io::{BufRead, Read};
    let mut text = Vec::new();
    let mut source = io::BufReader::with_capacity(HEAD, source);
    (&mut source).take(MAX_DOCUMENT + 1).read_until(b'\n', &mut text)?;
    // An Event Hub message is read from its text, as on a line of its own
    // (`built::document_rows`), whatever the order of its members or its white space: built, a
    // message a file was ~100 MB/s. A file of one such line ends here, without being told a
    // document first.
    let message = |text: &Vec<u8>| {
        let (records, issues) = documents::envelope_records(text)?;
        let bytes = text.len() as u64;
        Some(FileReader::Built(built::BuiltReader::new(
            file, records, issues, chunk_size, bytes,
        )))
    };
    // (Asked once: the rest of the file, read below, adds nothing to such a line.)
    let one_line = text.ends_with(b"\n") && text.len() as u64 <= MAX_DOCUMENT && source.fill_buf()?.is_empty();
    if one_line {
        if let Some(reader) = message(&text) {
            return Ok(reader);
        }
    }
    if text.ends_with(b"\n") && first_line_is_a_document(&text[bom..]) {
        let rest: Source = Box::new(io::Cursor::new(text).chain(source));
        return Ok(FileReader::DocumentLines(built::DocumentLinesReader::new(
            file, rest, bom, chunk_size,
        )?));
    }
    let limit = (MAX_DOCUMENT + 1).saturating_sub(text.len() as u64);
    (&mut source).take(limit).read_to_end(&mut text)?;
    if text.len() as u64 <= MAX_DOCUMENT {
        if let Some(reader) = (!one_line).then(|| message(&text)).flatten() {
            return Ok(reader);
        }
        if let Ok(document) = serde_json::from_slice::<serde_json::Value>(&text[bom..]) {
            return Ok(FileReader::Built(built::BuiltReader::from_document(
                file, document, &text, chunk_size,
            )));
        }
    }
    let rest: Source = Box::new(io::Cursor::new(text).chain(source));
    Ok(FileReader::Lines(jsonl::LinesReader::new(file, rest, bom, chunk_size)))
}

pub use decompress::Source;
pub use jsonl::{LineStart, LineVisitor};

#[cfg(test)]
mod first_line_tests {
    use super::*;
    use crate::testing::XorShift;

    /// [`has_unicode_escape`] read forwards, as a parser reads escapes: a backslash escapes the
    /// byte after it.
    fn has_unicode_escape_plainly(line: &[u8]) -> bool {
        let mut at = 0;
        while at < line.len() {
            if line[at] == b'\\' {
                if line.get(at + 1) == Some(&b'u') {
                    return true;
                }
                at += 2;
            } else {
                at += 1;
            }
        }
        false
    }

    #[test]
    fn a_unicode_escape_is_told_from_an_escaped_backslash() {
        let cases: &[(&[u8], bool)] = &[
            (br#"{"\u0072ecords":[]}"#, true),
            (br#"{"FolderPath":"C:\\Users\\update.exe"}"#, false),
            (br#"{"a":"\\\u0041"}"#, true),
            (br#"{"a":"\\\\u0041"}"#, false),
            (br#"\u"#, true),
            (br#"u\"#, false),
        ];
        for &(line, expected) in cases {
            assert_eq!(has_unicode_escape(line), expected, "{}", String::from_utf8_lossy(line));
        }
        let mut random = XorShift::new(0x5c75);
        for _ in 0..20_000 {
            let line: Vec<u8> = (0..random.below(12)).map(|_| b"\\\\ux\""[random.below(5)]).collect();
            assert_eq!(
                has_unicode_escape(&line),
                has_unicode_escape_plainly(&line),
                "{}",
                String::from_utf8_lossy(&line)
            );
        }
    }

    /// [`first_line`] as it was before the walk looked for the signs among the keys: every
    /// line searched for the signs as text, the walk asked only of a line with none.
    fn first_line_by_text(text: &[u8]) -> FirstLine {
        let Some(end) = memchr::memchr(b'\n', text) else {
            return FirstLine::Other;
        };
        let line = &text[..end];
        let signs: [&[u8]; 4] = [b"\"records\"", b"\"Results\"", b"\"results\"", b"\"tables\""];
        if !signs.iter().any(|sign| memchr::memmem::find(line, sign).is_some()) && !has_unicode_escape(line) {
            let walked = fields::walk(line, &[], &mut []);
            let row = walked == fields::Walk::Valid || serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok();
            return if row { FirstLine::Row } else { FirstLine::Other };
        }
        match documents::object_shape(line) {
            Some(None) => FirstLine::Row,
            Some(Some(_)) => FirstLine::Document,
            None => FirstLine::Other,
        }
    }

    #[test]
    fn a_first_line_is_told_as_by_its_text() {
        // Pieces of first lines: the signs as keys at the top, nested, in values, escaped,
        // repeated, with their companions (a schema, an array or not), rows' own members,
        // and pieces that break the JSON.
        let members = [
            r#""records":[{"a":1}]"#,
            r#""records":{}"#,
            r#""Results":[]"#,
            r#""results":[{"x":"y"}]"#,
            r#""Schema":[{"Name":"a"}]"#,
            r#""schema":[]"#,
            r#""tables":[{"name":"t"}]"#,
            r#""tables":"no""#,
            r#""\u0072ecords":[]"#,
            r#""Re\u0073ults":[]"#,
            r#""inner":{"records":[]}"#,
            r#""Name":"records""#,
            r#""Note":"\"tables\"""#,
            r#""FolderPath":"C:\\Users\\update.exe""#,
            r#""SHA256":"3e4f08f3673934852dd0428379578f6d""#,
            r#""FileSize":35963219"#,
            r#""IsRemote":false"#,
            r#""Empty":null"#,
            r#""Type":"DeviceFileEvents""#,
            r#""bad":"\x""#,
            r#""trailing":1,"#,
            r#""unclosed":"a"#,
        ];
        let mut random = XorShift::new(0xf125);
        let mut seen = [0; 3];
        for _ in 0..20_000 {
            let count = random.below(5);
            let body: Vec<&str> = (0..count).map(|_| members[random.below(members.len())]).collect();
            let mut line = format!("{{{}}}", body.join(","));
            match random.below(10) {
                0 => line = format!("  {line} "),
                1 => line.push('x'),
                2 => line = line.replace(':', ": "),
                _ => {}
            }
            let text = format!("{line}\n{{}}\n");
            let told = first_line(text.as_bytes());
            assert_eq!(told, first_line_by_text(text.as_bytes()), "{line}");
            seen[told as usize] += 1;
        }
        // Every answer came up many times: rows, documents, and lines that are neither.
        assert!(seen.iter().all(|&n| n > 1_000), "{seen:?}");
    }

    #[test]
    fn a_first_line_with_a_windows_path_is_a_row_and_an_escaped_sign_a_document() {
        let row = b"{\"FolderPath\":\"C:\\\\Users\\\\update.exe\",\"SHA256\":\"x\"}\n{}\n";
        assert_eq!(first_line(row), FirstLine::Row);
        let document =
            b"{\"\\u0072ecords\":[{\"category\":\"AdvancedHunting-DeviceFileEvents\",\"properties\":{}}]}\n{}\n";
        assert_eq!(first_line(document), FirstLine::Document);
    }
}

#[cfg(test)]
mod discover_tests {
    use super::*;
    use crate::testing::XorShift;

    /// The files under `root` as walkdir's own sorted walk gives them: the reference order.
    fn walked(root: &Path) -> Vec<PathBuf> {
        (walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter())
        .map(|entry| entry.expect("a readable tree"))
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| entry.into_path())
        .collect()
    }

    fn discovered(root: &Path) -> Vec<PathBuf> {
        let found = discover(&[root.to_path_buf()]);
        assert!(found.errors.is_empty(), "{:?}", found.errors);
        found.files.into_iter().map(|file| file.path).collect()
    }

    #[test]
    fn files_come_in_the_order_of_a_walk_sorted_by_name() {
        // Names where a byte order of whole paths would differ from name-by-name order: a
        // directory `a` against files `a-b`, `a.jsonl`, `a b`; a name that is a prefix of
        // another; case; bytes past ASCII; digits of different lengths.
        let dir = tempfile::tempdir().expect("a temporary directory");
        let root = dir.path();
        let fixed = [
            "a/z.jsonl",
            "a/b/c.jsonl",
            "a-b.jsonl",
            "a.jsonl",
            "a b.jsonl",
            "ab/x.jsonl",
            "A.jsonl",
            "a!/y.jsonl",
            "é/x.jsonl",
            "e.jsonl",
            "part-10.jsonl",
            "part-9.jsonl",
            "part-9/x.jsonl",
        ];
        for name in fixed {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, b"{}\n").unwrap();
        }
        assert_eq!(discovered(root), walked(root));

        // Random trees over a small alphabet, so that names share prefixes and separators.
        let mut random = XorShift::new(0x0d15c0);
        for round in 0..20 {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let root = dir.path();
            for _ in 0..30 {
                let depth = 1 + random.below(3);
                let mut path = root.to_path_buf();
                for level in 0..depth {
                    let name: String = (0..1 + random.below(3))
                        .map(|_| ['a', 'b', '-', '.', 'B'][random.below(5)])
                        .collect();
                    path.push(if level + 1 == depth {
                        format!("{name}.jsonl")
                    } else {
                        name
                    });
                }
                // A name already used for a file cannot be a directory, and the reverse.
                if std::fs::create_dir_all(path.parent().unwrap()).is_ok() && !path.is_dir() {
                    std::fs::write(&path, b"{}\n").unwrap();
                }
            }
            assert_eq!(discovered(root), walked(root), "round {round}");
        }
    }
}

#[cfg(test)]
mod read_error_tests {
    //! A read error (a truncated gzip member, EIO) must reach the scan whatever unit boundary
    //! it falls on: after the units read before it, never instead of them, never lost.
    use super::*;
    use std::io::Read;

    /// `text`, then an error instead of end of file.
    struct FailsAfter {
        text: io::Cursor<Vec<u8>>,
    }

    impl Read for FailsAfter {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.text.read(buf)? {
                0 => Err(io::Error::other("disk gone")),
                n => Ok(n),
            }
        }
    }

    /// Records read, and whether the error came out after them.
    fn read_all(text: &[u8], chunk_size: usize) -> (usize, bool) {
        let options = ReadOptions {
            chunk_size,
            csv: Default::default(),
        };
        let source: Source = Box::new(FailsAfter {
            text: io::Cursor::new(text.to_vec()),
        });
        let mut reader = match FileReader::from_source(0, source, &options) {
            Ok(reader) => reader,
            // The error fell inside the first bytes, peeked before any reader was chosen.
            Err(_) => return (0, true),
        };
        let (mut records, mut failed) = (0, false);
        while let Some(item) = reader.next_item(Vec::new()) {
            match item {
                Ok(Item::Unit(unit)) => {
                    assert!(!failed, "a unit after the error");
                    unit.for_each_record(|_| records += 1);
                }
                Ok(_) => {}
                Err(_) => failed = true,
            }
        }
        (records, failed)
    }

    #[test]
    fn an_error_on_a_unit_boundary_is_not_lost() {
        // Small files fail inside the first 64 KiB, read before a reader is chosen; big ones
        // inside a reader.
        let pad = "p".repeat(600);
        let lines = b"{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n".repeat(50);
        let big_lines = format!("{{\"a\":\"{pad}\"}}\n").repeat(150).into_bytes();
        let array = format!("[{}]", vec!["{\"a\":1}"; 150].join(",")).into_bytes();
        let big_array = format!("[{}]", vec![format!("{{\"a\":\"{pad}\"}}"); 150].join(",")).into_bytes();
        let csv = format!("a,b\n{}", "1,x\n".repeat(150)).into_bytes();
        let big_csv = format!("a,b\n{}", format!("1,{pad}\n").repeat(150)).into_bytes();
        // Event Hub messages one per line, three rows each.
        let message = |i: usize| {
            let envelope = format!(r#"{{"category":"AdvancedHunting-DeviceFileEvents","properties":{{"a":"{pad}"}}}}"#);
            format!(r#"{{"records":[{envelope},{envelope},{envelope}],"n":{i}}}"#)
        };
        let messages = (0..50).map(|i| message(i) + "\n").collect::<String>().into_bytes();
        let cases = [
            ("documents one per line", &messages),
            ("JSON lines", &lines),
            ("big JSON lines", &big_lines),
            ("JSON array", &array),
            ("big JSON array", &big_array),
            ("CSV", &csv),
            ("big CSV", &big_csv),
        ];
        for (name, text) in cases {
            // Every chunk size from one byte to past the file puts the error after a different
            // unit boundary, including exactly on one.
            for chunk_size in [1, 2, 7, 8, 16, 24, 64, 605, 608, 1000, 4096, text.len(), text.len() + 1] {
                let (records, failed) = read_all(text, chunk_size);
                assert!(failed, "{name}, chunk size {chunk_size}: the read error was lost");
                assert_eq!(
                    records, 150,
                    "{name}, chunk size {chunk_size}: records before the error"
                );
            }
        }
    }
}
