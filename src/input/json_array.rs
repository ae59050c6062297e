//! JSON arrays of rows (`[{...},{...}]`), streamed: a small state machine finds each element's
//! bytes without parsing them, so a multi-gigabyte array is never held whole. Elements are
//! handed out in units of about `chunk_size` bytes. A cut-off array is reported, and the element
//! it cut is counted as a malformed record.

use std::io::{self, Read};

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
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// Offset and line of the element being read; its bytes go straight into the unit.
    element_start: usize,
    element_offset: u64,
    element_line: u64,
    eof: bool,
    issues: Vec<Issue>,
    /// A read error (a truncated gzip member), reported after what was read before it.
    error: Option<io::Error>,
}

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
            depth: 0,
            in_string: false,
            escaped: false,
            element_start: 0,
            element_offset: 0,
            element_line: 1,
            eof: false,
            issues: Vec::new(),
            error: None,
        }
        .skipping(bom)
    }

    fn skipping(mut self, bom: usize) -> ArrayReader {
        let mut skip = vec![0u8; bom];
        // The BOM is in the sniffed head, so this read cannot fail or come up short.
        let _ = self.source.read_exact(&mut skip);
        self.offset = bom as u64;
        self
    }

    pub fn bytes_read(&self) -> u64 {
        self.offset
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
        let mut data = spare;
        data.clear();
        let mut framed: Vec<Framed> = Vec::new();
        while self.issues.is_empty() && (data.len() < self.chunk_size || self.state == State::InElement) {
            match self.fill() {
                Err(e) => {
                    self.error = Some(e);
                    self.eof = true;
                    self.at_end_of_file(&data);
                    break;
                }
                Ok(false) => {
                    self.at_end_of_file(&data);
                    break;
                }
                Ok(true) => {}
            }
            if self.state == State::Failed {
                break;
            }
            let b = self.buffer[self.at];
            self.at += 1;
            let offset = self.offset;
            self.offset += 1;
            match self.state {
                State::Start if b == b'[' => self.state = State::BeforeElement,
                State::Start if !b.is_ascii_whitespace() => {
                    self.state = State::Failed;
                    self.issue(
                        offset,
                        self.line,
                        format!("expected `[` to open a JSON array, found {}", describe(b)),
                        false,
                    );
                }
                State::BeforeElement if b == b']' => self.state = State::End,
                State::BeforeElement if b == b',' => {
                    self.issue(offset, self.line, "empty element in the JSON array".into(), true);
                }
                State::BeforeElement if !b.is_ascii_whitespace() => {
                    self.state = State::InElement;
                    self.element_start = data.len();
                    self.element_offset = offset;
                    self.element_line = self.line;
                    (self.depth, self.in_string, self.escaped) = (0, false, false);
                    self.element_byte(b);
                    data.push(b);
                }
                State::InElement if self.depth == 0 && !self.in_string && (b == b',' || b == b']') => {
                    let end = data.len() - data.iter().rev().take_while(|c| c.is_ascii_whitespace()).count();
                    framed.push(Framed {
                        range: self.element_start..end,
                        offset: self.element_offset,
                        line: self.element_line,
                        table: None,
                    });
                    self.state = if b == b']' { State::End } else { State::BeforeElement };
                }
                State::InElement => {
                    self.element_byte(b);
                    data.push(b);
                }
                State::End if !b.is_ascii_whitespace() => {
                    self.state = State::Failed;
                    self.issue(
                        offset,
                        self.line,
                        format!("unexpected {} after the end of the JSON array", describe(b)),
                        false,
                    );
                }
                _ => {}
            }
            if b == b'\n' {
                self.line += 1;
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

    /// Tracks nesting and strings so that only a top-level `,` or `]` ends the element.
    fn element_byte(&mut self, b: u8) {
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

    fn at_end_of_file(&mut self, data: &[u8]) {
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
                let bytes = data.len() - self.element_start;
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
}

fn describe(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("`{}`", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}
