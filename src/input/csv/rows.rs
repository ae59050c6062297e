//! Cutting a CSV export into rows: csv-core's engine over buffers this reader owns, so that a row
//! stops at `MAX_ROW_BYTES` and reading resumes at its second line, and each row keeps its line,
//! byte offset and raw bytes (for the UTF-8 check on the row as written). What the fields mean
//! (columns, zones, dates) is `mod.rs`'s.

use std::io::{self, BufRead};

/// What looking for the next row found; its bytes are in `Rows::raw`, its fields in `Rows::parsed`.
pub(super) enum Scan {
    Row,
    Eof,
    /// End of file inside a quoted field.
    Unclosed,
    TooLong,
}

/// The fields of one row: csv-core's output as one string, and where each field ends in it.
#[derive(Clone, Copy)]
pub(super) struct Fields<'a> {
    pub(super) text: &'a str,
    pub(super) ends: &'a [usize],
}

impl<'a> Fields<'a> {
    pub(super) fn iter(self) -> impl Iterator<Item = &'a str> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let field = &self.text[start..end];
            start = end;
            field
        })
    }
}

/// A row kept while the file's date order is still unknown.
pub(super) struct Row {
    pub(super) line: u64,
    pub(super) offset: u64,
    pub(super) text: String,
    pub(super) ends: Vec<usize>,
}

impl Row {
    pub(super) fn fields(&self) -> Fields<'_> {
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
pub(super) struct Rows {
    source: Box<dyn BufRead + Send>,
    /// Bytes to read before `source` again: the first bytes of the file when they were not a BOM,
    /// or the rest of an over-long row from its second line.
    replay: Vec<u8>,
    replay_at: usize,
    parsed: Parsed,
    /// Whether the start of the file was looked at for a BOM.
    started: bool,
    /// Line and byte offset of the next row.
    pub(super) line: u64,
    pub(super) offset: u64,
    /// The row's bytes as read, terminator included.
    pub(super) raw: Vec<u8>,
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
    pub(super) fn new(source: Box<dyn BufRead + Send>) -> Rows {
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
    pub(super) fn next(&mut self, max_row_bytes: usize) -> io::Result<Scan> {
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
    pub(super) fn resync(&mut self, line: u64, offset: u64) -> io::Result<()> {
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
    pub(super) fn fields(&self) -> Result<Fields<'_>, usize> {
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
