//! JSON lines: reading a file in newline-aligned chunks of about `chunk_size` bytes (so that one
//! big file spreads over every worker, and memory stays bounded by chunk size, not file size),
//! and cutting a chunk into records. LF or CRLF; blank lines are not records.

use std::io::{self, Read};

use super::{Framing, Item, RawRecord, Source, Unit};

pub struct LinesReader {
    file: usize,
    source: Source,
    chunk_size: usize,
    /// Bytes read past the last newline of the previous unit.
    carry: Vec<u8>,
    offset: u64,
    line: u64,
    done: bool,
    skip: usize,
    /// A read error, reported after the lines read before it.
    error: Option<io::Error>,
}

impl LinesReader {
    pub(super) fn new(file: usize, source: Source, bom: usize, chunk_size: usize) -> LinesReader {
        LinesReader {
            file,
            source,
            chunk_size: chunk_size.max(1),
            carry: Vec::new(),
            offset: bom as u64,
            line: 1,
            done: false,
            skip: bom,
            error: None,
        }
    }

    pub fn bytes_read(&self) -> u64 {
        self.offset + self.carry.len() as u64
    }

    /// The next unit; `spare` is an empty buffer to fill (its capacity is reused).
    pub fn next_item(&mut self, spare: Vec<u8>) -> Option<io::Result<Item>> {
        if self.done {
            return self.error.take().map(Err);
        }
        // Fresh multi-megabyte buffers cost page faults on every unit; reuse one.
        let mut data = spare;
        data.clear();
        data.append(&mut self.carry);
        let mut searched = 0;
        loop {
            // Fill up to the chunk size, then keep going only until a newline turns up, so that
            // a unit always ends on a record boundary.
            let want = if data.len() < self.chunk_size {
                self.chunk_size - data.len()
            } else {
                64 * 1024
            };
            // Amortised growth: a single 100 MB line must not cost a copy per 64 KiB read.
            data.reserve(want);
            // `read_to_end` reads into the spare capacity without zeroing it first, and keeps
            // what it read before an error (a truncated gzip member): those lines are scanned,
            // a line cut by the error is malformed, and the error is reported after them.
            let n = match (&mut self.source).take(want as u64).read_to_end(&mut data) {
                Ok(n) => n,
                Err(e) => {
                    self.error = Some(e);
                    0
                }
            };
            if self.skip > 0 {
                let s = self.skip.min(data.len());
                data.drain(..s);
                self.skip -= s;
            }
            if n == 0 {
                self.done = true;
                break;
            }
            if data.len() >= self.chunk_size {
                if let Some(last) = memchr::memrchr(b'\n', &data[searched..]) {
                    let cut = searched + last + 1;
                    self.carry = data.split_off(cut);
                    break;
                }
                searched = data.len();
            }
        }
        if data.is_empty() {
            // An error right after a unit boundary has no lines before it to wait for.
            return self.error.take().map(Err);
        }
        let unit = Unit {
            file: self.file,
            offset: self.offset,
            line: self.line,
            data,
            framing: Framing::Lines,
        };
        self.offset += unit.data.len() as u64;
        self.line += memchr::memchr_iter(b'\n', &unit.data).count() as u64;
        Some(Ok(Item::Unit(unit)))
    }
}

/// Calls `f` for each non-blank line of `data` (a trailing `\r` is not part of the record).
pub fn for_each_line(data: &[u8], offset: u64, first_line: u64, f: &mut impl FnMut(RawRecord<'_>)) {
    let mut start = 0;
    let mut line = first_line;
    while start < data.len() {
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |p| start + p);
        let mut bytes = &data[start..end];
        if let [rest @ .., b'\r'] = bytes {
            bytes = rest;
        }
        if !bytes.iter().all(u8::is_ascii_whitespace) {
            f(RawRecord {
                bytes,
                offset: offset + start as u64,
                line,
                table: None,
            });
        }
        start = end + 1;
        line += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::FileReader;

    fn records_of(text: &[u8], chunk_size: usize) -> Vec<(u64, u64, String)> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.jsonl");
        std::fs::write(&path, text).unwrap();
        let options = crate::input::ReadOptions {
            chunk_size,
            csv: Default::default(),
        };
        let mut reader = FileReader::open(0, &path, &options).unwrap();
        let mut out = Vec::new();
        while let Some(item) = reader.next_item(Vec::new()) {
            let Item::Unit(unit) = item.unwrap() else {
                panic!("no issues expected")
            };
            unit.for_each_record(|r| out.push((r.offset, r.line, String::from_utf8_lossy(r.bytes).into_owned())));
        }
        out
    }

    #[test]
    fn chunking_never_changes_records_offsets_or_lines() {
        let text = b"\xEF\xBB\xBF{\"a\":1}\r\n\r\n{\"b\":2}\n   \n{\"c\":3}";
        let expected = records_of(text, 1 << 20);
        assert_eq!(
            expected,
            vec![
                (3, 1, "{\"a\":1}".into()),
                (14, 3, "{\"b\":2}".into()),
                (26, 5, "{\"c\":3}".into())
            ]
        );
        for chunk in 1..text.len() + 2 {
            assert_eq!(records_of(text, chunk), expected, "chunk size {chunk}");
        }
    }

    #[test]
    fn a_lone_row_has_one_position_with_or_without_its_newline() {
        // Without a newline the file is read as one JSON document; the row must still be at
        // its line's start, as the JSON-lines reader puts it, or ties would sort differently.
        for (prefix, offset, line) in [("", 0, 1), ("  ", 0, 1), ("\u{feff} ", 3, 1), ("\n\n  ", 2, 3)] {
            let position = |newline: &str| {
                let text = format!("{prefix}{{\"a\":1}}{newline}");
                let records = records_of(text.as_bytes(), 1 << 20);
                assert_eq!(records.len(), 1, "{text:?}");
                (records[0].0, records[0].1)
            };
            assert_eq!(position("\n"), (offset, line), "{prefix:?} with a newline");
            assert_eq!(position(""), (offset, line), "{prefix:?} without");
        }
    }
}
