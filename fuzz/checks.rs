//! What the fuzz targets check, shared with `tests/fuzz_regressions.rs` so that every crash
//! the fuzzers found is replayed by `cargo test` on stable Rust. Each function must not panic
//! on any input; where there is an oracle, it asserts it.

#![allow(dead_code)] // each fuzz target uses one check

use std::io::Cursor;
use std::path::Path;

use loghunt::input::csv::{CsvOptions, CsvReader};
use loghunt::input::fields::{self, FieldValue, Walk};
use loghunt::input::{decompress, documents, BuiltRecord, FileReader, Item, ReadOptions};
use serde_json::{Map, Value};

/// The fast path's soundness: when the raw-field walk is sure a record is well-formed, the
/// parser must agree, and every captured field must be what the parser reads.
pub fn walk(data: &[u8]) {
    let keys = ["Name", "SHA256", "Type"];
    let mut values = [None, None, None];
    if fields::walk(data, &keys, &mut values) != Walk::Valid {
        return;
    }
    let map: Map<String, Value> = match serde_json::from_slice(data) {
        Ok(map) => map,
        Err(e) => panic!(
            "the walk accepted what the parser rejects ({e}): {:?}",
            String::from_utf8_lossy(data)
        ),
    };
    for (key, value) in keys.iter().zip(&values) {
        match (value, map.get(*key)) {
            (None, None) | (Some(FieldValue::Null), Some(Value::Null)) => {}
            (Some(FieldValue::Str(got)), Some(Value::String(want))) if got == want => {}
            (Some(FieldValue::Other), Some(v)) if !v.is_string() && !v.is_null() => {}
            (got, want) => panic!("`{key}`: the walk read {got:?}, the parser {want:?}"),
        }
    }
}

/// Any bytes through decompression, format detection and every reader: no panic, and record
/// offsets strictly increasing through the file.
pub fn framer(data: &[u8]) {
    let chunk_size = match data.first() {
        Some(b) if b % 4 == 0 => 1 << 20,
        Some(b) => (*b as usize % 64) + 1,
        None => 1,
    };
    let options = ReadOptions {
        chunk_size,
        csv: CsvOptions::default(),
    };
    // Through decompression too: gzip and zstd magic numbers route the bytes to the decoders.
    let Ok((source, _)) = decompress::decompress(Box::new(Cursor::new(data.to_vec()))) else {
        return;
    };
    let Ok(mut reader) = FileReader::from_source(0, source, &options) else {
        return;
    };
    let mut last: Option<u64> = None;
    while let Some(item) = reader.next_item(Vec::new()) {
        match item {
            Ok(Item::Unit(unit)) => unit.for_each_record(|record| {
                assert!(
                    last.is_none_or(|l| record.offset > l),
                    "offset {} after {last:?}",
                    record.offset
                );
                last = Some(record.offset);
            }),
            Ok(Item::Issue(_) | Item::Warning(_)) => {}
            Err(_) => break,
        }
    }
}

/// CSV: every built record is a JSON object, offsets strictly increase.
pub fn csv(data: &[u8]) {
    let options = CsvOptions {
        utc_offset_minutes: data.first().map(|b| (*b as i32 - 128) * 7),
        day_first: match data.get(1) {
            Some(b) if b % 3 == 0 => Some(true),
            Some(b) if b % 3 == 1 => Some(false),
            _ => None,
        },
    };
    let mut reader = CsvReader::new(Box::new(Cursor::new(data.to_vec())), options);
    let mut last: Option<u64> = None;
    while let Some(batch) = reader.next_records(97) {
        let Ok((records, _)) = batch else { break };
        check_built(&records, &mut last);
        let _ = reader.warnings();
    }
}

/// Whole documents: every built record is a JSON object, offsets strictly increase.
pub fn documents(data: &[u8]) {
    let Ok(document) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Some(shape) = documents::shape_of(&document) else {
        return;
    };
    let (records, _) = documents::records(&document, data, shape);
    check_built(&records, &mut None);
}

/// KQL: an error points inside the text, at the line and column of its byte offset; a query
/// that parses compiles or fails cleanly.
pub fn kql(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match loghunt::kql::parse(text) {
        Err(e) => {
            let span = e.span;
            assert!(
                span.start <= span.end && span.end <= text.len(),
                "{span:?} outside {} bytes",
                text.len()
            );
            assert!(
                text.is_char_boundary(span.start),
                "{span:?} not on a character boundary"
            );
            let before = &text[..span.start];
            let line = before.matches('\n').count() as u32 + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
            assert_eq!((span.line, span.column), (line, column), "{e}");
        }
        Ok(_) => {
            if let Ok((rule, _)) = loghunt::rules::load_text(Path::new("fuzz.kql"), text) {
                let _ = loghunt::plan::compile_rule(&rule, 0);
            }
        }
    }
}

/// Rule documents: no panic; a document that loads has a query found in its text.
pub fn rules(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok((rule, _)) = loghunt::rules::load_text(Path::new("fuzz.txt"), text) {
        assert!(!rule.query.trim().is_empty());
        if let Ok(plan) = loghunt::plan::Plan::compile(&[rule], 0) {
            let _ = plan.prefilter().map(|p| p.by_column());
        }
    }
}

/// Built records are JSON objects, at offsets strictly increasing from `last`.
fn check_built(records: &[BuiltRecord], last: &mut Option<u64>) {
    for record in records {
        assert!(
            serde_json::from_str::<Map<String, Value>>(&record.json).is_ok(),
            "{}",
            record.json
        );
        assert!(
            last.is_none_or(|l| record.offset > l),
            "offset {} after {last:?}",
            record.offset
        );
        *last = Some(record.offset);
    }
}
