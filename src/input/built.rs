//! Inputs whose records must be built rather than cut out of the bytes — whole JSON documents
//! (API responses, Event Hub messages, one pretty-printed row), CSV exports and records built in
//! memory ([`super::RecordSource`]) — handed out as the same [`Unit`]s as every other reader, so
//! the scan and the fast path see no difference.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::csv::CsvReader;
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
        // Records of one table share its name.
        let mut last_table: Option<Arc<str>> = None;
        for record in self.records.by_ref() {
            let start = data.len();
            data.extend_from_slice(record.json.as_bytes());
            let table = record.table.map(|name| match &last_table {
                Some(last) if **last == *name => Arc::clone(last),
                _ => {
                    let shared: Arc<str> = name.into();
                    last_table = Some(Arc::clone(&shared));
                    shared
                }
            });
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
