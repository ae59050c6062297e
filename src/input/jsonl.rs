//! JSON lines: reading a file in newline-aligned chunks of about `chunk_size` bytes (so that one
//! big file spreads over every worker, and memory stays bounded by chunk size, not file size),
//! and cutting a chunk into records. LF or CRLF; blank lines are not records.
//!
//! A big plain file is mapped into memory chunk by chunk, the chunks ranges of batches of them
//! ([`MappedLinesReader`], [`super::mapped`]), rather than copied out of the page cache, and a
//! small one whole beside others ([`whole_mapped_file`],
//! [`super::region`]); pipes and compressed files are read ([`LinesReader`]).

use std::fs::File;
use std::io::{self, Read};

use super::mapped::MappedFile;
use super::region::Region;
use super::{decompress, Framing, Item, RawRecord, Shape, Source, Unit, UnitData};

pub struct LinesReader {
    file: usize,
    source: Source,
    chunk_size: usize,
    /// Bytes read past the last newline of the previous unit.
    carry: Vec<u8>,
    offset: u64,
    /// Where the first unit starts (past a BOM): the unit whose first line is line 1.
    start: u64,
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
            start: bom as u64,
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
            // The first unit starts at line 1; the scan numbers the lines of the others.
            line: (self.offset == self.start).then_some(1),
            data: UnitData::Read(data),
            framing: Framing::Lines,
        };
        self.offset += unit.data.len() as u64;
        Some(Ok(Item::Unit(unit)))
    }
}

/// JSON lines from a plain file, each unit a window of the file mapped into memory: the bytes
/// are read where the page cache holds them instead of being copied into a buffer. The windows
/// are ranges of batches of the file ([`MappedFile`]), each unmapped once the units cut from
/// it are dropped, so memory stays bounded by the units in flight, as with [`LinesReader`].
pub struct MappedLinesReader {
    file: usize,
    source: MappedFile,
    chunk_size: usize,
    /// Where the next unit starts, and its line.
    offset: u64,
    /// Where the first unit starts (past a BOM): the unit whose first line is line 1.
    start: u64,
}

/// Files smaller than this are not read in mapped windows, but read (those of one unit whole,
/// by `FileReader::open`).
pub(super) const MAPPED_MIN: u64 = 4 << 20;

impl MappedLinesReader {
    /// A reader of `source`, a plain file of JSON lines of `len` bytes (at least [`MAPPED_MIN`])
    /// whose first line starts after `bom` bytes ([`super::open_mapped`] tells which files).
    pub(super) fn new(file: usize, source: File, len: u64, bom: usize, chunk_size: usize) -> MappedLinesReader {
        MappedLinesReader {
            file,
            source: MappedFile::new(source, len, chunk_size),
            chunk_size: chunk_size.max(1),
            offset: bom as u64,
            start: bom as u64,
        }
    }

    pub fn bytes_read(&self) -> u64 {
        self.offset
    }

    /// The next unit: from where the last one ended to the last newline within `chunk_size`
    /// bytes (further if a line is longer), or to the end of the file.
    pub fn next_item(&mut self) -> Option<io::Result<Item>> {
        let len = self.source.file_len();
        if self.offset >= len {
            return None;
        }
        let mut want = self.chunk_size as u64;
        let (map, range) = loop {
            let end = len.min(self.offset + want);
            let (map, range) = match self.source.window(self.offset, end) {
                Ok(window) => window,
                Err(e) => {
                    // Reported once; the rest of the file is not read.
                    self.offset = len;
                    return Some(Err(e));
                }
            };
            if end == len {
                break (map, range);
            }
            match memchr::memrchr(b'\n', &map[range.clone()]) {
                // The bytes after the last newline start the next unit.
                Some(last) => break (map, range.start..range.start + last + 1),
                // A line longer than the window: widen it.
                None => want = want.saturating_mul(2),
            }
        };
        let unit = Unit {
            file: self.file,
            offset: self.offset,
            // The first unit starts at line 1; the scan numbers the lines of the others.
            line: (self.offset == self.start).then_some(1),
            framing: Framing::Lines,
            data: UnitData::Mapped(map, range),
        };
        self.offset += unit.data.len() as u64;
        Some(Ok(Item::Unit(unit)))
    }
}

/// Whether a file beginning with `head` is plain (uncompressed) JSON lines: the files mapped.
pub(super) fn plain_lines(head: &[u8]) -> bool {
    decompress::compression_of(head) == decompress::Compression::None && Shape::of(head) == Shape::Lines
}

/// A reader of a whole file of JSON lines already in memory: one unit, after the BOM, as
/// [`LinesReader`] would cut it (its records at the same offsets and lines).
pub fn whole_file(file: usize, mut text: Vec<u8>) -> super::FileReader {
    let bytes = text.len() as u64;
    let bom = crate::encoding::bom_len(&text);
    text.drain(..bom);
    whole(file, bom, bytes, UnitData::Read(text))
}

/// [`whole_file`] for a file mapped at `range` of a region ([`super::region`]).
pub fn whole_mapped_file(
    file: usize,
    region: std::sync::Arc<Region>,
    range: std::ops::Range<usize>,
) -> super::FileReader {
    let bytes = range.len() as u64;
    let bom = crate::encoding::bom_len(region.bytes(range.clone()));
    whole(file, bom, bytes, UnitData::Region(region, range.start + bom..range.end))
}

/// The one unit of a whole file of `bytes` bytes: `data`, what follows its BOM.
fn whole(file: usize, bom: usize, bytes: u64, data: UnitData) -> super::FileReader {
    let unit = (!data.is_empty()).then(|| Unit {
        file,
        offset: bom as u64,
        line: Some(1),
        data,
        framing: Framing::Lines,
    });
    super::FileReader::Whole(unit, bytes)
}

/// Calls `f` for each non-blank line of `data` (a trailing `\r` is not part of the record),
/// numbering them from `first_line`, and returns how many newlines `data` holds.
pub fn for_each_line<'d>(data: &'d [u8], offset: u64, first_line: u64, f: &mut impl FnMut(RawRecord<'d>)) -> u64 {
    visit_lines(data, offset, first_line, &mut Each(f))
}

/// Where a line of a unit of lines starts: at `at` in the unit's bytes, `offset` in the file.
#[derive(Debug, Clone, Copy)]
pub struct LineStart {
    pub at: usize,
    pub offset: u64,
    pub line: u64,
}

/// A pass over the records of a unit ([`super::Unit::visit_records`]) that may take a line of
/// JSON lines whole, finding where it ends itself, before the bytes are split at newlines.
pub trait LineVisitor<'d> {
    /// Takes the line at `start` of `data`, if it can: it is then done with, and this is where
    /// it ends, the index of its newline (or `data.len()` for the last line without one; no
    /// newline comes before). `None`: the line is found by its newline and given to
    /// [`LineVisitor::record`] if it is not blank, as [`for_each_line`] does.
    fn whole_line(&mut self, data: &'d [u8], start: LineStart) -> Option<usize>;

    /// One record (a line not taken whole, or a framed record).
    fn record(&mut self, raw: RawRecord<'d>);
}

/// A visitor that takes no line whole: `f` gets every record.
pub struct Each<F>(pub F);

impl<'d, F: FnMut(RawRecord<'d>)> LineVisitor<'d> for Each<F> {
    #[inline]
    fn whole_line(&mut self, _: &'d [u8], _: LineStart) -> Option<usize> {
        None
    }

    #[inline]
    fn record(&mut self, raw: RawRecord<'d>) {
        (self.0)(raw)
    }
}

/// [`for_each_line`] with a [`LineVisitor`], which may take lines whole.
pub fn visit_lines<'d>(data: &'d [u8], offset: u64, first_line: u64, visitor: &mut impl LineVisitor<'d>) -> u64 {
    let mut start = 0;
    let mut line = first_line;
    let mut newlines = 0;
    while start < data.len() {
        let at = LineStart {
            at: start,
            offset: offset + start as u64,
            line,
        };
        let end = match visitor.whole_line(data, at) {
            Some(end) => {
                debug_assert!(end == data.len() || data[end] == b'\n');
                debug_assert!(memchr::memchr(b'\n', &data[start..end]).is_none());
                end
            }
            None => {
                let end = line_end(data, start);
                let bytes = line_record(&data[start..end]);
                if !bytes.iter().all(u8::is_ascii_whitespace) {
                    visitor.record(RawRecord {
                        bytes,
                        offset: at.offset,
                        line,
                        table: None,
                    });
                }
                end
            }
        };
        newlines += u64::from(end < data.len());
        start = end + 1;
        line += 1;
    }
    newlines
}

/// Where the line of `data` that starts at `start` ends: its newline, or the end of `data`.
#[inline]
pub fn line_end(data: &[u8], start: usize) -> usize {
    memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |p| start + p)
}

/// A line's record: its bytes without the newline and without a trailing `\r`.
#[inline]
pub fn line_record(line: &[u8]) -> &[u8] {
    match line {
        [rest @ .., b'\r'] => rest,
        _ => line,
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
        let mut reader = FileReader::open(0, &path, &options, None).unwrap();
        let mut out = Vec::new();
        let mut lines = crate::input::LineCount::default();
        while let Some(item) = reader.next_item(Vec::new()) {
            let Item::Unit(unit) = item.unwrap() else {
                panic!("no issues expected")
            };
            lines.for_each_record(&unit, |r| {
                out.push((r.offset, r.line, String::from_utf8_lossy(r.bytes).into_owned()))
            });
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

#[cfg(test)]
mod mapped_tests {
    use super::*;
    use crate::input::{FileReader, ReadOptions};

    /// Every record of `path` (offset, line, bytes), read by `reader`, and whether every unit
    /// was mapped.
    fn records(reader: FileReader) -> (Vec<(u64, u64, Vec<u8>)>, bool) {
        records_where(reader, |data| matches!(data, UnitData::Mapped(..)))
    }

    /// [`records`], and whether every unit's data is as `kind` says.
    fn records_where(mut reader: FileReader, kind: fn(&UnitData) -> bool) -> (Vec<(u64, u64, Vec<u8>)>, bool) {
        let mut out = Vec::new();
        let mut lines = crate::input::LineCount::default();
        let mut all = true;
        while let Some(item) = reader.next_item(Vec::new()) {
            let Item::Unit(unit) = item.expect("reading a file") else {
                panic!("no issues expected")
            };
            all &= kind(&unit.data);
            lines.for_each_record(&unit, |r| out.push((r.offset, r.line, r.bytes.to_vec())));
        }
        (out, all)
    }

    /// A big plain file is mapped, and read exactly as the buffered reader reads it: the same
    /// records at the same offsets and lines, whatever the chunk size (lines longer than a
    /// chunk, CRLF, blank lines, a BOM, no final newline).
    #[test]
    fn a_mapped_file_reads_as_a_read_one() {
        let mut text = b"\xEF\xBB\xBF".to_vec();
        let mut n = 0;
        while text.len() < MAPPED_MIN as usize + 4096 {
            let pad = "x".repeat(n % 700);
            text.extend_from_slice(format!("{{\"n\":{n},\"pad\":\"{pad}\"}}\r\n").as_bytes());
            if n % 97 == 0 {
                text.extend_from_slice(b"\r\n   \n");
            }
            n += 1;
        }
        text.extend_from_slice(b"{\"last\":true}");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("big.jsonl");
        std::fs::write(&path, &text).expect("write the file");
        for chunk_size in [1, 300, 4096, 1 << 20, 16 << 20] {
            let options = ReadOptions {
                chunk_size,
                csv: Default::default(),
            };
            let (mapped, all_mapped) = records(FileReader::open(0, &path, &options, None).expect("open"));
            assert!(all_mapped, "chunk size {chunk_size}: the file was not mapped");
            let source: Source = Box::new(io::Cursor::new(text.clone()));
            let (read, _) = records(FileReader::from_source(0, source, &options).expect("open"));
            assert_eq!(mapped.len(), n + 1, "chunk size {chunk_size}");
            assert!(mapped == read, "chunk size {chunk_size}: the mapped records differ");
        }
    }

    /// A file of one unit is read whole, and reads exactly as when streamed: the same records
    /// at the same offsets and lines (a BOM, CRLF, blank lines, no final newline, a malformed
    /// line), whatever its shape or compression; and so when the reader maps small files into
    /// regions ([`crate::input::region`]), which it does for plain JSON lines only.
    #[test]
    fn a_small_file_is_read_whole_and_reads_as_a_streamed_one() {
        let mut regions = crate::input::region::Regions::new(1 << 20);
        let dir = tempfile::tempdir().expect("a temporary directory");
        let options = ReadOptions {
            chunk_size: 1 << 20,
            csv: Default::default(),
        };
        let plain = b"{\"a\":1}\n{\"a\":2}\n".to_vec();
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut gzip, &plain).expect("compress");
        // A name, the file's bytes, and the bytes they stand for.
        let cases: [(&str, Vec<u8>, Vec<u8>); 8] = [
            ("lines.jsonl", plain.clone(), plain.clone()),
            (
                "bom.jsonl",
                b"\xEF\xBB\xBF{\"a\":1}\r\n\r\n  \n{\"a\":[2,\n{\"b\":3}".to_vec(),
                Vec::new(),
            ),
            ("lead.jsonl", b"\n\n  {\"a\":1}\n".to_vec(), Vec::new()),
            ("rows.csv", b"a,b\n1,2\n".to_vec(), Vec::new()),
            ("array.json", b"[{\"a\":1},{\"a\":2}]".to_vec(), Vec::new()),
            ("gz.jsonl", gzip.finish().expect("compress"), plain),
            ("bom-only.jsonl", b"\xEF\xBB\xBF".to_vec(), Vec::new()),
            ("empty.jsonl", Vec::new(), Vec::new()),
        ];
        for (name, bytes, meaning) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, &bytes).expect("write the file");
            let (opened, mapped) = records(FileReader::open(0, &path, &options, None).expect("open"));
            let meaning = if meaning.is_empty() { bytes } else { meaning };
            let source: Source = Box::new(io::Cursor::new(meaning));
            let (read, _) = records(FileReader::from_source(0, source, &options).expect("open"));
            assert!(!mapped || opened.is_empty(), "{name}: a small file is read, not mapped");
            assert!(opened == read, "{name}: {opened:?} against {read:?}");
            let in_region = |data: &UnitData| matches!(data, UnitData::Region(..));
            let reader = FileReader::open(0, &path, &options, Some(&mut regions)).expect("open");
            let (placed, all_placed) = records_where(reader, in_region);
            assert!(
                placed == read,
                "{name}, mapped into a region: {placed:?} against {read:?}"
            );
            let plain_lines = cfg!(target_os = "linux") && ["lines.jsonl", "bom.jsonl", "lead.jsonl"].contains(&name);
            assert_eq!(
                all_placed && !placed.is_empty(),
                plain_lines,
                "{name}: mapped into a region"
            );
        }
    }

    /// Only big plain files of JSON lines are read in mapped windows: small files (read whole,
    /// above), compressed files and other shapes are left to the other readers.
    #[test]
    fn only_big_plain_json_lines_are_mapped() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let big_lines = "{\"a\":1}\n".repeat(MAPPED_MIN as usize / 8 + 1);
        let cases: [(&str, Vec<u8>, bool); 3] = [
            ("small.jsonl", b"{\"a\":1}\n".to_vec(), false),
            ("big.jsonl", big_lines.clone().into_bytes(), true),
            (
                "big.json",
                format!("[{}]", "{\"a\":1},".repeat(MAPPED_MIN as usize / 8) + "{}").into_bytes(),
                false,
            ),
        ];
        for (name, bytes, expected) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).expect("write the file");
            let source = File::open(&path).expect("open");
            let opened = super::super::open_mapped(0, source, 1 << 20).expect("open");
            let mapped = matches!(opened, Ok(super::super::FileReader::Mapped(_)));
            assert_eq!(mapped, expected, "{name}");
        }
    }
}
