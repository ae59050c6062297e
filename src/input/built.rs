//! Inputs whose records must be built rather than cut out of the bytes — whole JSON documents
//! (API responses, Event Hub messages, one pretty-printed row) and such documents one per line,
//! CSV exports and records built in
//! memory ([`super::RecordSource`]) — handed out as the same [`Unit`]s as every other reader, so
//! the scan and the fast path see no difference.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rayon::prelude::*;

use super::csv::CsvReader;
use super::json_array::Rest;
use super::{documents, BuiltRecord, Framed, Issue, Item, ReadOptions, RecordSource, Source, Unit};

pub struct BuiltReader {
    file: usize,
    records: std::vec::IntoIter<BuiltRecord>,
    issues: VecDeque<Issue>,
    chunk_size: usize,
    bytes: u64,
}

impl BuiltReader {
    pub fn new(
        file: usize,
        records: Vec<BuiltRecord>,
        issues: Vec<Issue>,
        chunk_size: usize,
        bytes: u64,
    ) -> BuiltReader {
        BuiltReader {
            file,
            records: records.into_iter(),
            issues: issues.into(),
            chunk_size: chunk_size.max(1),
            bytes,
        }
    }

    /// A whole JSON document already parsed: an API response or Event Hub message by its
    /// shape, or else one row (a pretty-printed object).
    pub fn from_document(file: usize, document: serde_json::Value, text: &[u8], chunk_size: usize) -> BuiltReader {
        let bytes = text.len() as u64;
        let (records, issues) = match documents::shape_of(&document) {
            Some(shape) => documents::records(&document, text, shape),
            None => {
                let bom = crate::encoding::bom_len(text);
                let first = text[bom..]
                    .iter()
                    .position(|b| !b.is_ascii_whitespace())
                    .map_or(bom, |p| p + bom);
                // The start of the row's line, as the JSON-lines reader gives it: the same row
                // with a newline after it is read that way, and must sort the same.
                let line_start = memchr::memrchr(b'\n', &text[..first]).map_or(bom, |p| p + 1);
                let record = BuiltRecord {
                    json: document.to_string(),
                    // Blank lines may come before the row.
                    line: 1 + memchr::memchr_iter(b'\n', &text[..first]).count() as u64,
                    offset: line_start as u64,
                    table: None,
                };
                (vec![record], Vec::new())
            }
        };
        BuiltReader::new(file, records, issues, chunk_size, bytes)
    }

    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    pub fn next_item(&mut self, spare: Vec<u8>) -> Option<io::Result<Item>> {
        let mut data = spare;
        data.clear();
        let mut framed = Vec::new();
        let mut last_table: Option<Arc<str>> = None;
        for record in self.records.by_ref() {
            let start = data.len();
            data.extend_from_slice(record.json.as_bytes());
            let table = record.table.map(|name| shared_name(&mut last_table, name));
            framed.push(Framed {
                range: start..data.len(),
                offset: record.offset,
                line: record.line,
                table,
            });
            if data.len() >= self.chunk_size {
                break;
            }
        }
        if let Some(unit) = Unit::of_framed(self.file, data, framed) {
            return Some(Ok(Item::Unit(unit)));
        }
        self.issues.pop_front().map(|issue| Ok(Item::Issue(issue)))
    }
}

/// JSON lines whose lines are whole documents — Event Hub messages, API responses — as a
/// consumer writes what it receives, one message per line ([`super::Shape::DocumentLines`]).
/// Each such line is built and its rows read as the document's would be, placed at their own
/// lines and offsets in the file; any other line is a line of JSON lines (a row, or a malformed
/// record the scan reports). A unit's worth of lines at a time, built on the scan's pool, so the
/// memory held is a few messages', whatever the file's size.
pub struct DocumentLinesReader {
    file: usize,
    source: io::BufReader<Source>,
    /// The offset and number of the next line in the file.
    offset: u64,
    number: u64,
    issues: VecDeque<Issue>,
    chunk_size: usize,
    ended: bool,
    /// A read error, reported after what was read before it.
    error: Option<io::Error>,
}

impl DocumentLinesReader {
    /// Reads `source` past its BOM of `bom` bytes.
    pub fn new(file: usize, mut source: Source, bom: usize, chunk_size: usize) -> io::Result<DocumentLinesReader> {
        io::copy(&mut (&mut source).take(bom as u64), &mut io::sink())?;
        let rest = Rest {
            source,
            offset: bom as u64,
            line: 1,
        };
        Ok(DocumentLinesReader::resume(file, rest, chunk_size))
    }

    /// Reads the rest of a file from where another reader stopped: a streamed response whose
    /// line ran past the head that tells a file's shape, with more documents on the lines after
    /// it ([`super::json_array::ArrayReader::documents_after`]).
    pub fn resume(file: usize, rest: Rest, chunk_size: usize) -> DocumentLinesReader {
        DocumentLinesReader {
            file,
            source: io::BufReader::with_capacity(1 << 16, rest.source),
            offset: rest.offset,
            number: rest.line,
            issues: VecDeque::new(),
            chunk_size: chunk_size.max(1),
            ended: false,
            error: None,
        }
    }

    pub fn bytes_read(&self) -> u64 {
        self.offset
    }

    pub fn next_item(&mut self, spare: Vec<u8>) -> Option<io::Result<Item>> {
        let mut spare = Some(spare);
        loop {
            if let Some(issue) = self.issues.pop_front() {
                return Some(Ok(Item::Issue(issue)));
            }
            if self.ended {
                return self.error.take().map(Err);
            }
            // Lines of documents without rows (`{"records":[]}`) make no unit: read on.
            if let Some(unit) = self.next_unit(spare.take().unwrap_or_default()) {
                return Some(Ok(Item::Unit(unit)));
            }
        }
    }

    /// The records of the next lines, about a unit's bytes of them, if they have any; their
    /// issues are queued.
    fn next_unit(&mut self, spare: Vec<u8>) -> Option<Unit> {
        // (offset, line number, text) of each line that is not blank.
        let mut lines: Vec<(u64, u64, Vec<u8>)> = Vec::new();
        let mut bytes = 0;
        while !self.ended && bytes < self.chunk_size {
            let mut line = Vec::new();
            // A read error (a truncated gzip member) ends the file: reported after the lines
            // before it, the one it cut read as it is.
            let read = match io::BufRead::read_until(&mut self.source, b'\n', &mut line) {
                Ok(read) => read,
                Err(e) => {
                    self.error = Some(e);
                    line.len()
                }
            };
            let (offset, number) = (self.offset, self.number);
            self.offset += read as u64;
            self.number += 1;
            self.ended = read == 0 || self.error.is_some();
            let body = super::jsonl::line_record(line.strip_suffix(b"\n").unwrap_or(&line));
            if body.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            line.truncate(body.len());
            bytes += line.len();
            lines.push((offset, number, line));
        }
        // Each message is built on a thread of the pool: one at a time, on the scan's own
        // thread, they were all the workers waited on.
        let documents: Vec<Option<(Vec<BuiltRecord>, Vec<Issue>)>> =
            lines.par_iter().map(|(_, _, line)| document_rows(line)).collect();
        let mut data = spare;
        data.clear();
        let mut framed = Vec::new();
        let mut last_table: Option<Arc<str>> = None;
        for ((offset, number, line), document) in lines.into_iter().zip(documents) {
            let Some((records, issues)) = document else {
                data.extend_from_slice(&line);
                framed.push(Framed {
                    range: data.len() - line.len()..data.len(),
                    offset,
                    line: number,
                    table: None,
                });
                continue;
            };
            // The document's positions count from its line.
            let placed = |line: u64| number + line.saturating_sub(1);
            for record in records {
                let start = data.len();
                data.extend_from_slice(record.json.as_bytes());
                let table = record.table.map(|name| shared_name(&mut last_table, name));
                framed.push(Framed {
                    range: start..data.len(),
                    offset: offset + record.offset,
                    line: placed(record.line),
                    table,
                });
            }
            self.issues.extend(issues.into_iter().map(|issue| Issue {
                line: placed(issue.line),
                offset: offset + issue.offset,
                ..issue
            }));
        }
        Unit::of_framed(self.file, data, framed)
    }
}

/// The rows and issues of a line that is a whole document of a known shape; `None` for any
/// other line. An Event Hub message, the usual such line, is read without being built
/// ([`documents::envelope_records`]).
fn document_rows(line: &[u8]) -> Option<(Vec<BuiltRecord>, Vec<Issue>)> {
    if let Some(read) = documents::envelope_records(line) {
        return Some(read);
    }
    let document = serde_json::from_slice::<serde_json::Value>(line).ok()?;
    let shape = documents::shape_of(&document)?;
    Some(documents::records(&document, line, shape))
}

/// `name` as an [`Arc`], the last one's when it is the same (the records of one table share its
/// name).
fn shared_name(last: &mut Option<Arc<str>>, name: String) -> Arc<str> {
    match last {
        Some(shared) if **shared == *name => Arc::clone(shared),
        _ => Arc::clone(last.insert(name.into())),
    }
}

/// A CSV export, read batch by batch through [`CsvReader`].
pub struct CsvFileReader {
    file: usize,
    reader: CsvReader,
    batch: Option<BuiltReader>,
    warnings: VecDeque<String>,
    chunk_size: usize,
    bytes: Arc<AtomicU64>,
}

impl CsvFileReader {
    pub fn new(file: usize, source: Source, options: &ReadOptions) -> CsvFileReader {
        let bytes = Arc::new(AtomicU64::new(0));
        let counted = Counted {
            inner: source,
            bytes: Arc::clone(&bytes),
        };
        let reader = CsvReader::new(Box::new(io::BufReader::with_capacity(1 << 16, counted)), options.csv);
        CsvFileReader {
            file,
            reader,
            batch: None,
            warnings: VecDeque::new(),
            chunk_size: options.chunk_size,
            bytes,
        }
    }

    pub fn bytes_read(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    pub fn next_item(&mut self, spare: Vec<u8>) -> Option<io::Result<Item>> {
        let mut spare = Some(spare);
        loop {
            if let Some(warning) = self.warnings.pop_front() {
                return Some(Ok(Item::Warning(warning)));
            }
            if let Some(batch) = &mut self.batch {
                if let Some(item) = batch.next_item(spare.take().unwrap_or_default()) {
                    return Some(item);
                }
            }
            match self.reader.next_records(self.chunk_size)? {
                Err(e) => return Some(Err(e)),
                Ok((records, issues)) => {
                    self.warnings.extend(self.reader.warnings());
                    self.batch = Some(BuiltReader::new(self.file, records, issues, self.chunk_size, 0));
                }
            }
        }
    }
}

/// Records built in memory by a [`RecordSource`], a unit's worth at a time.
pub struct MemoryReader {
    file: usize,
    source: Arc<dyn RecordSource>,
    next: usize,
    batch: Option<BuiltReader>,
    chunk_size: usize,
    /// The size of what the records were made from, counted once they are all read.
    size: u64,
}

impl MemoryReader {
    pub fn new(file: usize, source: Arc<dyn RecordSource>, chunk_size: usize, size: u64) -> MemoryReader {
        MemoryReader {
            file,
            source,
            next: 0,
            batch: None,
            chunk_size: chunk_size.max(1),
            size,
        }
    }

    pub fn bytes_read(&self) -> u64 {
        if self.next < self.source.count() {
            0
        } else {
            self.size
        }
    }

    pub fn next_item(&mut self, spare: Vec<u8>) -> Option<io::Result<Item>> {
        let mut spare = Some(spare);
        loop {
            if let Some(batch) = &mut self.batch {
                if let Some(item) = batch.next_item(spare.take().unwrap_or_default()) {
                    return Some(item);
                }
            }
            if self.next >= self.source.count() {
                return None;
            }
            let mut records = Vec::new();
            let mut bytes = 0;
            while self.next < self.source.count() && bytes < self.chunk_size {
                let record = self.source.record(self.next);
                bytes += record.json.len();
                records.push(record);
                self.next += 1;
            }
            self.batch = Some(BuiltReader::new(self.file, records, Vec::new(), self.chunk_size, 0));
        }
    }
}

/// Counts the bytes read through it, for the summary.
struct Counted {
    inner: Source,
    bytes: Arc<AtomicU64>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{FileReader, LineCount, ReadOptions};
    use crate::testing::{api_fixture, API_FIXTURES};

    /// A record or issue as a reader hands it out: (offset, line, record bytes or issue text).
    type Read = (u64, u64, String);

    fn read(text: &[u8], chunk_size: usize) -> (Vec<Read>, Vec<Read>, bool) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("messages.json");
        std::fs::write(&path, text).unwrap();
        let options = ReadOptions {
            chunk_size,
            csv: Default::default(),
        };
        let mut reader = FileReader::open(0, &path, &options, None).unwrap();
        let by_lines = matches!(reader, FileReader::DocumentLines(_));
        let (mut records, mut issues) = (Vec::new(), Vec::new());
        let mut lines = LineCount::default();
        while let Some(item) = reader.next_item(Vec::new()) {
            match item.unwrap() {
                Item::Unit(unit) => lines.for_each_record(&unit, |r| {
                    let table = r.table.unwrap_or("-");
                    records.push((
                        r.offset,
                        r.line,
                        format!("{table} {}", String::from_utf8_lossy(r.bytes)),
                    ))
                }),
                Item::Issue(issue) => issues.push((issue.offset, issue.line, issue.message)),
                Item::Warning(warning) => panic!("no warnings expected: {warning}"),
            }
        }
        assert_eq!(reader.bytes_read(), text.len() as u64);
        (records, issues, by_lines)
    }

    /// The records and issues of one document, as a file of its own, moved to `offset` and
    /// `line`.
    fn moved(document: &[u8], offset: u64, line: u64) -> (Vec<Read>, Vec<Read>) {
        let (records, issues, _) = read(document, 1 << 20);
        let shift = |(o, l, text): Read| (o + offset, l + line - 1, text);
        (
            records.into_iter().map(shift).collect(),
            issues.into_iter().map(shift).collect(),
        )
    }

    /// Each read's offset, line and text's first 80 bytes.
    fn brief(reads: &[Read]) -> Vec<(u64, u64, String)> {
        let head = |text: &String| text.chars().take(80).collect();
        reads
            .iter()
            .map(|(offset, line, text)| (*offset, *line, head(text)))
            .collect()
    }

    fn compact(name: &str) -> Vec<u8> {
        let document: serde_json::Value = serde_json::from_slice(&api_fixture(name)).unwrap();
        serde_json::to_vec(&document).unwrap()
    }

    #[test]
    fn documents_one_per_line_are_read_as_each_document_would_be() {
        // Every shape of document, one per line (ADX frames start with `[`, and are told when the
        // file does not parse whole), and an Event Hub message whose second and third records
        // cannot be rows: issues, placed on the message's line.
        let damaged =
            br#"{"records":[{"category":"AdvancedHunting-DeviceFileEvents","properties":{"A":1}},5,{"time":"t"}]}"#;
        let documents: Vec<Vec<u8>> = API_FIXTURES
            .iter()
            .map(|name| compact(name))
            .chain([damaged.to_vec(), long_response(100_000), long_response(1_700_000)])
            .chain(["la-query-dnsevents.json", "kusto_raw_resp.json"].map(|name| long_tables(name, 100_000)))
            .chain(["az_mon_raw_query.json", "kusto_raw_resp.json"].map(|name| long_tables(name, 1_700_000)))
            .collect();
        for document in &documents {
            let (alone, alone_issues) = moved(document, 0, 1);
            assert!(!alone.is_empty(), "{}", String::from_utf8_lossy(document));
            // The document on lines 1, 4 (indented, CRLF) and 6 (no final newline), with a blank
            // line, an indented row and a line that is not JSON between them: each line as JSON
            // lines reads it.
            let mut text = document.clone();
            text.extend_from_slice(b"\n \n  {\"row\":1}\n  ");
            let second = text.len() as u64;
            text.extend_from_slice(document);
            text.extend_from_slice(b"\r\n{broken\n");
            let third = text.len() as u64;
            text.extend_from_slice(document);
            let (mut records, mut issues) = moved(document, 0, 1);
            records.push((document.len() as u64 + 3, 3, "-   {\"row\":1}".into()));
            let (more, more_issues) = moved(document, second, 4);
            records.extend(more);
            issues.extend(more_issues);
            records.push((third - 8, 5, "- {broken".into()));
            let (more, more_issues) = moved(document, third, 6);
            records.extend(more);
            issues.extend(more_issues);
            // The damaged message and the long responses' `7` are broken rows.
            let damaged_rows = &document[..] == damaged || document.len() > 64 * 1024;
            assert_eq!(alone_issues.is_empty(), !damaged_rows);
            for chunk_size in [1, 200, 1 << 20] {
                let got = read(&text, chunk_size);
                // A response longer than the head is streamed, then hands on the lines after it.
                assert_eq!(got.2, document.len() < 64 * 1024, "read a line at a time");
                // Compared whole, told apart briefly (a long document's rows are megabytes).
                if (&got.0, &got.1) != (&records, &issues) {
                    assert_eq!(
                        (brief(&got.0), brief(&got.1)),
                        (brief(&records), brief(&issues)),
                        "chunk size {chunk_size}"
                    );
                    panic!("chunk size {chunk_size}: the same offsets and lines, other texts");
                }
            }
            // With a BOM, everything moves by its three bytes.
            let bom = [&b"\xEF\xBB\xBF"[..], &text].concat();
            let shift = |reads: &[Read]| reads.iter().map(|(o, l, t)| (o + 3, *l, t.clone())).collect::<Vec<_>>();
            let got = read(&bom, 1 << 20);
            assert_eq!((got.0, got.1), (shift(&records), shift(&issues)));
        }
    }

    /// A Graph hunting response on one line of about `bytes`: longer than the head that tells
    /// a file's shape, so it is streamed, and the lines after it are handed on; three of them
    /// with 1.7 MB each make a file that is mapped (4 MiB and more).
    fn long_response(bytes: usize) -> Vec<u8> {
        let padding = "p".repeat(bytes / 3);
        let row = serde_json::json!({"FileName": padding, "SHA256": "x"});
        let document = serde_json::json!({
            "@odata.context": "x",
            "schema": [{"name": "FileName", "type": "String"}, {"name": "SHA256", "type": "String"}],
            "results": [row, 7, row, row],
            "stats": {"rows": "}\""}
        });
        serde_json::to_vec(&document).unwrap()
    }

    /// A Log Analytics response or ADX frames (the fixture `name`) on one line of more than
    /// `bytes`: the first row's first string cell padded, and a row that is no array of cells
    /// after it.
    fn long_tables(name: &str, bytes: usize) -> Vec<u8> {
        let mut document: serde_json::Value = serde_json::from_slice(&api_fixture(name)).unwrap();
        let rows = match &mut document {
            serde_json::Value::Object(top) => &mut top["tables"][0]["rows"],
            serde_json::Value::Array(frames) => {
                let primary = frames
                    .iter_mut()
                    .find(|frame| frame["TableKind"] == "PrimaryResult")
                    .unwrap();
                &mut primary["Rows"]
            }
            _ => unreachable!("{name} is a response"),
        };
        let first = rows[0]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|cell| cell.is_string())
            .unwrap();
        *first = serde_json::Value::String("p".repeat(bytes));
        rows.as_array_mut().unwrap().insert(1, serde_json::json!(7));
        serde_json::to_vec(&document).unwrap()
    }

    #[test]
    fn a_first_message_longer_than_the_head_is_still_read_line_by_line() {
        // The head that tells a file's shape is 64 KiB: a longer first line is told when the
        // file does not parse whole.
        let padding = "x".repeat(100_000);
        let message = format!(
            r#"{{"records":[{{"category":"AdvancedHunting-DeviceFileEvents","properties":{{"FileName":"{padding}"}}}}]}}"#
        );
        let text = format!("{message}\n{message}\n");
        let (records, issues, by_lines) = read(text.as_bytes(), 1 << 20);
        assert!(by_lines && issues.is_empty());
        let lines: Vec<(u64, &str)> = records.iter().map(|(_, line, text)| (*line, &text[..20])).collect();
        assert_eq!(lines, [(1, "DeviceFileEvents {\"F"), (2, "DeviceFileEvents {\"F")]);
    }

    /// An Event Hub message longer than the head that tells a file's shape, a file of its own
    /// (with a newline after it or not, a BOM, white space before it, pretty-printed, another
    /// member before its records), reads as the built message does: the same rows (as values)
    /// and broken envelopes at the same offsets and lines, read from its text whole, not a line
    /// at a time.
    #[test]
    fn a_long_message_alone_in_its_file_reads_as_the_built_one() {
        let padding = "x".repeat(100_000);
        let envelope = |name: &str| {
            format!(r#"{{"category":"AdvancedHunting-DeviceFileEvents","properties":{{"FileName":"{name}","N":1}}}}"#)
        };
        let message = format!(
            r#"{{"records":[{},5,{{"time":"t"}},{}]}}"#,
            envelope(&padding),
            envelope("b\\\"c")
        );
        let parsed: serde_json::Value = serde_json::from_str(&message).unwrap();
        let pretty = serde_json::to_string_pretty(&parsed).unwrap();
        let other_first = message.replacen('{', r#"{"time":[1,{"records":5}],"#, 1);
        for text in [
            message.clone(),
            format!("{message}\n"),
            format!("\u{feff}{message}\r\n"),
            format!(" \n\t{message}"),
            pretty,
            other_first,
        ] {
            let text = text.into_bytes();
            let (records, issues, by_lines) = read(&text, 1 << 20);
            assert!(!by_lines, "whole: {:?}", String::from_utf8_lossy(&text[..8]));
            // The built message's, as its reader gives them.
            let bom = crate::encoding::bom_len(&text);
            let document: serde_json::Value = serde_json::from_slice(&text[bom..]).unwrap();
            let mut built = BuiltReader::from_document(0, document, &text, 1 << 20);
            let (mut expected, mut expected_issues) = (Vec::new(), Vec::new());
            while let Some(item) = built.next_item(Vec::new()) {
                match item.unwrap() {
                    Item::Unit(unit) => {
                        unit.for_each_record(|r| {
                            let table = r.table.unwrap_or("-");
                            let row = String::from_utf8_lossy(r.bytes);
                            expected.push((r.offset, r.line, format!("{table} {row}")));
                        });
                    }
                    Item::Issue(issue) => expected_issues.push((issue.offset, issue.line, issue.message)),
                    Item::Warning(warning) => panic!("no warnings expected: {warning}"),
                };
            }
            // Rows compared as values: a pretty message's rows are its `properties` as written.
            let values = |reads: &[Read]| -> Vec<(u64, u64, String, serde_json::Value)> {
                (reads.iter())
                    .map(|(offset, line, text)| {
                        let (table, row) = text.split_once(' ').unwrap();
                        (*offset, *line, table.to_string(), serde_json::from_str(row).unwrap())
                    })
                    .collect()
            };
            assert_eq!(
                (values(&records), &issues),
                (values(&expected), &expected_issues),
                "{:?}",
                String::from_utf8_lossy(&text[..8])
            );
            assert_eq!((records.len(), issues.len()), (2, 2));
        }
    }

    #[test]
    fn one_document_on_its_only_line_reads_as_the_document() {
        // A compact document with a newline after it is read a line at a time; without one,
        // whole: the same records either way.
        let document = compact("eventhub-message.json");
        let (whole, _, by_lines) = read(&document, 1 << 20);
        assert!(!by_lines);
        let (line, _, by_lines) = read(&[&document[..], b"\n"].concat(), 1 << 20);
        assert!(by_lines);
        assert_eq!(line, whole);
        assert_eq!(whole.len(), 4);
    }
}
