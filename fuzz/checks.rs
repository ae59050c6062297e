//! What the fuzz targets check, one function per target. Shared with
//! `tests/fuzz_regressions.rs`, so that every input the fuzzers found is replayed by `cargo test`
//! on stable Rust through exactly the code the fuzzer ran. No function may panic on any input,
//! except where it asserts an oracle (see `fuzz/README.md` for the list).

#![allow(dead_code)] // each fuzz target uses one check

use std::io::Cursor;
use std::path::Path;

use loghunt::input::csv::{CsvOptions, CsvReader};
use loghunt::input::fields::{self, FieldValue, FieldWalker, Walk};
use loghunt::input::json_array::Rows;
use loghunt::input::{documents, jsonl, BuiltRecord, FileReader, Issue, Item, LineCount, RawRecord, ReadOptions};
use loghunt::time::locale::DateOrder;
use serde_json::{Map, Value};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `walk`: the fast path's soundness. When the raw-field walk says a record is certainly
/// well-formed, serde_json must accept it as an object, and each captured field must be what
/// the parser reads for that key. And the walk of each line of the input where it lies (as the
/// fast path walks JSON lines) is the walk of that line cut out.
pub fn walk(data: &[u8]) {
    walk_agrees(data, &["Name", "SHA256", "Type"]);
    line_walks_agree(data, &["Name", "SHA256", "Type"]);
}

/// Each line of `data` walked in place ([`FieldWalker::walk_line`], one walker for all, as a
/// unit's lines are) against the walk of the line cut out, without its newline and a trailing
/// `\r`, as the line split cuts it: the same verdict and values, and, valid, the line's end.
fn line_walks_agree(data: &[u8], keys: &[&str]) {
    let mut walker = FieldWalker::new(keys);
    let mut start = 0;
    while start < data.len() {
        let end = jsonl::line_end(data, start);
        let line = jsonl::line_record(&data[start..end]);
        let (mut in_place, mut cut_out) = (vec![None; keys.len()], vec![None; keys.len()]);
        let (walked, walked_to) = walker.walk_line(data, start, &mut in_place, None);
        let expected = fields::walk(line, keys, &mut cut_out);
        let text = String::from_utf8_lossy(data);
        assert_eq!(
            walked, expected,
            "the line at {start}, walked in place and cut out: {text:?}"
        );
        if walked == Walk::Valid {
            assert_eq!(walked_to, end, "where the line at {start} ends: {text:?}");
            assert_eq!(in_place, cut_out, "the values of the line at {start}: {text:?}");
        }
        start = end + 1;
    }
}

fn walk_agrees(data: &[u8], keys: &[&str]) {
    let mut values = vec![None; keys.len()];
    if fields::walk(data, keys, &mut values) != Walk::Valid {
        return;
    }
    let map: Map<String, Value> = match serde_json::from_slice(data) {
        Ok(map) => map,
        Err(e) => panic!(
            "the walk is sure of a record the parser rejects ({e}): {:?}",
            String::from_utf8_lossy(data)
        ),
    };
    for (key, value) in keys.iter().zip(&values) {
        match (value, map.get(*key)) {
            (None, None) | (Some(FieldValue::Null), Some(Value::Null)) => {}
            (Some(FieldValue::Str(got)), Some(Value::String(want))) if got == want => {}
            (Some(FieldValue::Other), Some(v)) if !v.is_string() && !v.is_null() && !v.is_object() => {}
            // An object's bytes are exactly the object (an envelope's row is walked in turn).
            (Some(FieldValue::Object(bytes)), Some(Value::Object(want)))
                if serde_json::from_slice::<Map<String, Value>>(bytes).ok().as_ref() == Some(want) =>
            {
                walk_agrees(bytes, keys);
            }
            (got, want) => panic!(
                "`{key}`: the walk read {got:?}, the parser {want:?} in {:?}",
                String::from_utf8_lossy(data)
            ),
        }
    }
}

/// The chunk size a first byte stands for: 1..=64 bytes, or the 1 MiB of a real scan.
fn chunk_size(byte: u8) -> usize {
    match byte % 65 {
        0 => 1 << 20,
        n => usize::from(n),
    }
}

/// `framer`: the first byte picks the chunk size, the rest is a file. Format detection and
/// every reader over it: see [`read_file`].
pub fn framer(data: &[u8]) {
    let Some((&first, file)) = data.split_first() else {
        return;
    };
    read_file(file, chunk_size(first));
}

/// Reads `file` from memory as a scan would and checks what every reader promises:
///
/// - reading memory never fails (`next_item` never yields `Err`);
/// - record offsets strictly increase through the file, and no two records or broken records
///   (issues counted as malformed) share an offset: offsets order ties in the output;
/// - a record's line is 1 + the newlines before its offset;
/// - JSON lines, JSON arrays and Advanced Hunting responses' rows hand out the file's own
///   bytes: a record's bytes are `file[offset..offset + len]`; records built from a whole
///   document or a CSV row are JSON objects (the rows a Log Analytics or ADX response's cells
///   make are only checked as records, by the walk: a broken cell makes a broken record);
/// - JSON lines: the records are exactly the non-blank lines of the file, whatever the chunk
///   size (the reference is `for_each_line` over the whole file at once);
/// - a JSON array that serde_json parses: one record per element, equal to it, and no issues;
/// - the fast path's walk over each record agrees with the parser (as in [`walk`]).
pub fn read_file(file: &[u8], chunk_size: usize) {
    let options = ReadOptions {
        chunk_size,
        csv: CsvOptions::default(),
    };
    let source = Box::new(Cursor::new(file.to_vec()));
    let reader = FileReader::from_source(0, source, &options).expect("opening memory cannot fail");
    drain(reader, file);
}

fn drain(mut reader: FileReader, file: &[u8]) {
    let lines = matches!(reader, FileReader::Lines(_));
    let rows = match &reader {
        FileReader::Array(reader) => Some(reader.rows()),
        _ => None,
    };
    let array = rows == Some(Rows::Array);
    let own_bytes = lines || matches!(rows, Some(Rows::Array | Rows::Response));
    let mut records: Vec<(u64, u64, Vec<u8>)> = Vec::new();
    let mut broken: Vec<u64> = Vec::new();
    let mut issues = 0;
    let mut lines_before = LineCount::default();
    while let Some(item) = reader.next_item(Vec::new()) {
        match item.expect("reading memory cannot fail") {
            Item::Unit(unit) => {
                let before = records.len();
                lines_before.for_each_record(&unit, |r: RawRecord<'_>| {
                    records.push((r.offset, r.line, r.bytes.to_vec()))
                });
                if !lines {
                    assert!(records.len() > before, "a unit without records");
                }
            }
            Item::Issue(issue) => {
                issues += 1;
                if issue.is_record {
                    broken.push(issue.offset);
                }
            }
            Item::Warning(_) => {}
        }
    }
    assert!(reader.bytes_read() <= file.len() as u64, "read past the end");

    let mut last: Option<u64> = None;
    let mut line_at = Lines::new(file);
    for (offset, line, bytes) in &records {
        assert!(last.is_none_or(|l| *offset > l), "offset {offset} after {last:?}");
        last = Some(*offset);
        assert_eq!(*line, line_at.at(*offset), "line of the record at offset {offset}");
        if own_bytes {
            let at = usize::try_from(*offset).unwrap();
            assert_eq!(
                file.get(at..at + bytes.len()),
                Some(bytes.as_slice()),
                "record at {offset} is not the file's bytes"
            );
        } else if rows.is_none() {
            let json = String::from_utf8_lossy(bytes);
            assert!(
                serde_json::from_slice::<Map<String, Value>>(bytes).is_ok(),
                "built record at {offset} is not a JSON object: {json}"
            );
        }
        walk(bytes);
    }
    let mut offsets: Vec<u64> = records.iter().map(|r| r.0).chain(broken.iter().copied()).collect();
    offsets.sort_unstable();
    let distinct = offsets.len();
    offsets.dedup();
    assert_eq!(offsets.len(), distinct, "two records share an offset");

    let bom = if file.starts_with(BOM) { BOM.len() } else { 0 };
    if lines {
        let mut expected = Vec::new();
        jsonl::for_each_line(&file[bom..], bom as u64, 1, &mut |r: RawRecord<'_>| {
            expected.push((r.offset, r.line, r.bytes.to_vec()))
        });
        assert_eq!(records, expected, "chunked lines differ from the whole file's lines");
        assert_eq!(broken.len(), 0);
    }
    if array {
        if let Ok(Value::Array(elements)) = serde_json::from_slice::<Value>(&file[bom..]) {
            assert_eq!(issues, 0, "issues in a well-formed array");
            assert_eq!(records.len(), elements.len(), "records of a well-formed array");
            for ((offset, _, bytes), element) in records.iter().zip(&elements) {
                let parsed: Value = serde_json::from_slice(bytes)
                    .unwrap_or_else(|e| panic!("element at {offset} does not parse alone: {e}"));
                assert_eq!(&parsed, element, "element at {offset}");
            }
        }
    }
}

/// Line numbers of offsets asked for in increasing order: 1 + the newlines before the offset
/// (clamped to the file), counted incrementally so that a file of many records stays linear.
struct Lines<'f> {
    file: &'f [u8],
    counted: usize,
    line: u64,
}

impl<'f> Lines<'f> {
    fn new(file: &'f [u8]) -> Self {
        Lines {
            file,
            counted: 0,
            line: 1,
        }
    }

    fn at(&mut self, offset: u64) -> u64 {
        let end = usize::try_from(offset).map_or(self.file.len(), |o| o.min(self.file.len()));
        if end < self.counted {
            (self.counted, self.line) = (0, 1);
        }
        self.line += self.file[self.counted..end].iter().filter(|&&b| b == b'\n').count() as u64;
        self.counted = end;
        self.line
    }
}

/// `csv`: the first two bytes pick the options and the batch size, the rest is a CSV file.
/// Every built record is a JSON object whose line is 1 + the newlines before its offset;
/// offsets strictly increase, and no record shares one with a broken row.
pub fn csv(data: &[u8]) {
    let (options, max_bytes, file) = match data {
        [a, b, file @ ..] => {
            let options = CsvOptions {
                utc_offset_minutes: (*a != 0).then(|| (i32::from(*a) - 128) * 7),
                date_order: match b % 3 {
                    0 => Some(DateOrder::DayFirst),
                    1 => Some(DateOrder::MonthFirst),
                    _ => None,
                },
            };
            (options, usize::from(*b >> 2) + 1, file)
        }
        _ => return,
    };
    let mut reader = CsvReader::new(Box::new(Cursor::new(file.to_vec())), options);
    let mut built = BuiltChecks::new(file);
    while let Some(batch) = reader.next_records(max_bytes) {
        let (records, issues) = batch.expect("reading memory cannot fail");
        assert!(
            !records.is_empty() || !issues.is_empty(),
            "an empty batch before the end"
        );
        built.check(&records, &issues);
        let _ = reader.warnings();
    }
    let _ = reader.warnings();
    built.finish();
}

/// `documents`: a whole JSON document (a BOM skipped, as the reader does) of a known shape.
/// Every record is a JSON object at a line that matches its offset; offsets strictly increase,
/// and no record shares one with a broken row.
pub fn documents(data: &[u8]) {
    let body = data.strip_prefix(BOM).unwrap_or(data);
    let Ok(document) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let Some(shape) = documents::shape_of(&document) else {
        return;
    };
    let (records, issues) = documents::records(&document, data, shape);
    let mut built = BuiltChecks::new(data);
    built.check(&records, &issues);
    built.finish();
    streamed_agrees(data, &records, &issues);
    one_per_line_agrees(&document, shape);
}

/// The document written compact on a line, twice (LF, then CRLF), is read a line at a time,
/// each line giving the records and broken rows the line alone builds, on its own line. (A
/// Log Analytics or ADX response on a line past the 64 KiB head is streamed, then hands the
/// next line on: its problems with the whole document are told where it closes, as a streamed
/// response's are, so those are held to the built ones' lines and messages only.)
fn one_per_line_agrees(document: &Value, shape: documents::Shape) {
    let line = serde_json::to_vec(document).expect("a parsed document serializes");
    let tabular = matches!(shape, documents::Shape::LogAnalytics | documents::Shape::AdxFrames);
    let streamed_tables = line.len() >= 64 * 1024 && tabular;
    let (records, issues) = documents::records(document, &line, shape);
    let text = [&line[..], b"\n", &line, b"\r\n"].concat();
    let options = ReadOptions {
        chunk_size: 64,
        csv: Default::default(),
    };
    let mut reader =
        FileReader::from_source(0, Box::new(Cursor::new(text)), &options).expect("a document in memory opens");
    assert!(
        matches!(reader, FileReader::DocumentLines(_)) || line.len() >= 64 * 1024,
        "documents one per line are read a line at a time"
    );
    let (mut read, mut told) = (Vec::new(), Vec::new());
    while let Some(item) = reader.next_item(Vec::new()) {
        match item.expect("documents in memory read") {
            Item::Unit(unit) => {
                unit.for_each_record(|record| {
                    let value: Value = serde_json::from_slice(record.bytes).expect("a row of a parsed document parses");
                    read.push((value, record.line, record.offset));
                });
            }
            Item::Issue(issue) => told.push((issue.line, issue.offset, issue.message, issue.is_record)),
            Item::Warning(_) => {}
        }
    }
    let next = line.len() as u64 + 1;
    let (mut want, mut want_told) = (Vec::new(), Vec::new());
    for (line, offset) in [(0, 0), (1, next)] {
        want.extend(records.iter().map(|r| {
            let value: Value = serde_json::from_str(&r.json).expect("a built row parses");
            (value, r.line + line, r.offset + offset)
        }));
        want_told.extend(
            issues
                .iter()
                .map(|i| (i.line + line, i.offset + offset, i.message.clone(), i.is_record)),
        );
    }
    if streamed_tables
        && told
            .iter()
            .any(|(_, _, message, is_record)| changed(message, *is_record))
    {
        return;
    }
    assert_eq!(
        read, want,
        "the rows of documents one per line differ from each line's own"
    );
    // A streamed response's problems with the whole document: their lines and messages.
    let placed = |issues: &[(u64, u64, String, bool)]| {
        let mut placed: Vec<(u64, Option<u64>, String, bool)> = (issues.iter())
            .map(|(line, offset, message, is_record)| {
                let offset = (!streamed_tables || *is_record).then_some(*offset);
                (*line, offset, message.clone(), *is_record)
            })
            .collect();
        if streamed_tables {
            placed.sort();
        }
        placed
    };
    assert_eq!(
        placed(&told),
        placed(&want_told),
        "the issues of documents one per line differ from each line's own"
    );
}

/// An issue that says the streamed document turned out otherwise after rows it had read (a
/// second `Results`, columns after the rows), which only the whole document could have told.
fn changed(message: &str, is_record: bool) -> bool {
    !is_record && (message.contains("changes what the document is") || message.contains("were not read as they came"))
}

/// A document the file reader streams (an Advanced Hunting, Log Analytics or ADX response whose
/// head tells it) gives the built document's records — the same values, lines and offsets —
/// and its broken rows where they start, with the same messages; unless the stream says the
/// document turned out otherwise after rows it had read (a second `Results`, columns after
/// the rows), which only the whole document could have told.
fn streamed_agrees(data: &[u8], records: &[BuiltRecord], issues: &[Issue]) {
    let options = ReadOptions {
        chunk_size: 64,
        csv: Default::default(),
    };
    let Ok(mut reader) = FileReader::from_source(0, Box::new(Cursor::new(data.to_vec())), &options) else {
        return;
    };
    if !matches!(reader, FileReader::Array(_)) {
        return;
    }
    let (mut read, mut told) = (Vec::new(), Vec::new());
    while let Some(item) = reader.next_item(Vec::new()) {
        match item.expect("a document in memory reads") {
            Item::Unit(unit) => {
                unit.for_each_record(|record| {
                    let value: Value =
                        serde_json::from_slice(record.bytes).expect("a streamed row of a parsed document parses");
                    read.push((value, record.line, record.offset));
                });
            }
            Item::Issue(issue) => told.push(issue),
            Item::Warning(_) => {}
        }
    }
    if told.iter().any(|i| changed(&i.message, i.is_record)) {
        return;
    }
    let built: Vec<(Value, u64, u64)> = (records.iter())
        .map(|r| {
            (
                serde_json::from_str(&r.json).expect("a built row parses"),
                r.line,
                r.offset,
            )
        })
        .collect();
    assert_eq!(read, built, "streamed rows differ from the built document's");
    let broken = |issues: &[Issue]| {
        let mut broken: Vec<(u64, u64, String)> = (issues.iter())
            .filter(|i| i.is_record)
            .map(|i| (i.line, i.offset, i.message.clone()))
            .collect();
        broken.sort();
        broken
    };
    assert_eq!(
        broken(&told),
        broken(issues),
        "streamed broken rows differ from the built document's"
    );
}

/// What holds of the records a reader builds: each is a JSON object on the line of its offset,
/// offsets strictly increase, and no record shares an offset with a broken row.
struct BuiltChecks<'f> {
    last: Option<u64>,
    line_at: Lines<'f>,
    offsets: Vec<u64>,
}

impl<'f> BuiltChecks<'f> {
    fn new(file: &'f [u8]) -> BuiltChecks<'f> {
        BuiltChecks {
            last: None,
            line_at: Lines::new(file),
            offsets: Vec::new(),
        }
    }

    fn check(&mut self, records: &[BuiltRecord], issues: &[Issue]) {
        for record in records {
            assert!(
                serde_json::from_str::<Map<String, Value>>(&record.json).is_ok(),
                "not a JSON object: {}",
                record.json
            );
            assert!(
                self.last.is_none_or(|l| record.offset > l),
                "offset {} after {:?}",
                record.offset,
                self.last
            );
            self.last = Some(record.offset);
            assert_eq!(record.line, self.line_at.at(record.offset), "line at {}", record.offset);
            self.offsets.push(record.offset);
        }
        self.offsets
            .extend(issues.iter().filter(|i| i.is_record).map(|i| i.offset));
    }

    fn finish(mut self) {
        self.offsets.sort_unstable();
        let distinct = self.offsets.len();
        self.offsets.dedup();
        assert_eq!(self.offsets.len(), distinct, "two rows share an offset");
    }
}

/// `kql`: a query that does not parse fails with a span inside the text, on character
/// boundaries, whose line and column (in characters, from 1) are those of its start offset. A
/// query that parses, loaded as a `.kql` rule, compiles or fails cleanly, at a line of the file.
pub fn kql(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match loghunt::kql::parse(text) {
        Err(e) => {
            let span = e.span;
            assert!(
                span.start <= span.end && span.end <= text.len(),
                "{span:?} outside {} bytes: {e}",
                text.len()
            );
            assert!(
                text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
                "{span:?} not on character boundaries: {e}"
            );
            let (line, column) = line_column(text, span.start);
            assert_eq!((span.line, span.column), (line, column), "position of `{e}`");
        }
        Ok(_) => {
            let Ok((rule, _)) = loghunt::rules::load_text(Path::new("f.kql"), text) else {
                return;
            };
            match loghunt::plan::compile_rule(&rule, 0) {
                Err(e) => {
                    let lines = text.split('\n').count() as u32;
                    assert!(e.line >= 1 && e.line <= lines && e.column >= 1, "{e} outside the text");
                }
                // A query that compiles runs to an answer or an error on no logs (datatable,
                // print and range queries run whole): never a panic.
                Ok(compiled) => {
                    let plan = loghunt::plan::Plan::from_compiled(vec![Ok(compiled)]).expect("it compiled");
                    let collected = vec![Vec::new(); plan.pipelines.len()];
                    let mut externals = |_: usize, _: &loghunt::plan::query::External| {
                        Err(loghunt::plan::query::RunError { message: "none".into() })
                    };
                    let _ = plan.finish(collected, &mut externals, 0, 64 << 20);
                }
            }
        }
    }
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line as u32, column as u32)
}

/// `rules`: any text as a rule document. No panic; a document that loads has a query that is
/// the lines `query_line..` of the text (less a BOM and line ends), joined by `\n`, with no
/// blank first or last line. The rule then compiles or fails cleanly, at a line of the text;
/// if it compiles, the plan's prefilter is built.
pub fn rules(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((rule, _)) = loghunt::rules::load_text(Path::new("f.txt"), text) else {
        return;
    };
    let lines: Vec<&str> = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .lines()
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .collect();
    let query: Vec<&str> = rule.query.split('\n').collect();
    let start = rule.query_line as usize - 1;
    assert_eq!(
        lines.get(start..start + query.len()),
        Some(query.as_slice()),
        "query lines"
    );
    assert!(
        !query[0].trim().is_empty() && !query[query.len() - 1].trim().is_empty(),
        "blank ends"
    );
    match loghunt::plan::compile_rule(&rule, 0) {
        Err(e) => {
            assert!(
                e.line >= 1 && e.line as usize <= lines.len() && e.column >= 1,
                "{e} outside the text"
            );
        }
        Ok(_) => {
            if let Ok(plan) = loghunt::plan::Plan::compile(&[rule], 0) {
                let _ = plan.prefilter().map(|p| p.by_column());
            }
        }
    }
}

/// `decompress`: any bytes through decompression (gzip and zstd told by their magic numbers),
/// format detection and the readers, as `FileReader::open` reads a file, allowing read errors (a
/// truncated or corrupt stream). No panic; the walk's check on every record.
pub fn decompress(data: &[u8]) {
    let options = ReadOptions {
        chunk_size: 1 << 20,
        csv: CsvOptions::default(),
    };
    let Ok((source, _)) = loghunt::input::decompress::decompress(Box::new(Cursor::new(data.to_vec()))) else {
        return;
    };
    let Ok(mut reader) = FileReader::from_source(0, source, &options) else {
        return;
    };
    while let Some(item) = reader.next_item(Vec::new()) {
        match item {
            Ok(Item::Unit(unit)) => {
                unit.for_each_record(|r| walk(r.bytes));
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
}
