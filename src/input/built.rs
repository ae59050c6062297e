//! Inputs whose records must be built rather than cut out of the bytes — whole JSON documents
//! (API responses, Event Hub messages, one pretty-printed row) — handed out as the same
//! [`Unit`]s as every other reader, so the scan and the fast path see no difference.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;

use super::{documents, BuiltRecord, Framed, Framing, Issue, Item, Unit};

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
                let first = text
                    .iter()
                    .position(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF);
                let record = BuiltRecord {
                    json: document.to_string(),
                    line: 1,
                    offset: first.unwrap_or(0) as u64,
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
        if let Some(first) = framed.first() {
            let (offset, line) = (first.offset, first.line);
            return Some(Ok(Item::Unit(Unit {
                file: self.file,
                offset,
                line,
                data,
                framing: Framing::Ranges(framed),
            })));
        }
        self.issues.pop_front().map(|issue| Ok(Item::Issue(issue)))
    }
}
