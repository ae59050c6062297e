//! The positioned second pass: the records at given positions read again, whole, from the
//! files that hold them. It reads each file with the very reader the scan used
//! ([`FileReader`]: JSON lines, JSON arrays, API responses and envelopes, CSV, gzip and zstd),
//! so a record's offset is the one the scan gave it, and it gives each record its table as the
//! scan did. Only files with wanted positions are opened, in parallel, and each is read only up
//! to its last wanted record.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde_json::{Map, Value as Json};

use crate::input::table::{self, TableOf};
use crate::input::{decompress, documents, record, FileReader, Framing, Item, LogFile, ReadOptions};
use crate::plan::Position;
use crate::schema::Table;

/// What [`reread`] hands its visitor: a wanted record's row and table, or why it cannot be had.
pub type Found<'r> = Result<(&'r Map<String, Json>, &'static Table), String>;

/// Calls `visit` with the place (file, offset) of each wanted record and the record, and
/// returns what it made, in position order. Every wanted place is visited once.
pub fn reread<T: Send>(
    files: &[LogFile],
    wanted: &[Position],
    read: &ReadOptions,
    chosen: Option<&'static Table>,
    visit: impl Fn((usize, u64), Found<'_>) -> T + Sync,
) -> Vec<((usize, u64), T)> {
    let mut by_file: BTreeMap<usize, Vec<u64>> = BTreeMap::new();
    for position in wanted {
        by_file.entry(position.file).or_default().push(position.offset);
    }
    let groups: Vec<(usize, Vec<u64>)> = by_file
        .into_iter()
        .map(|(file, mut offsets)| {
            offsets.sort_unstable();
            offsets.dedup();
            (file, offsets)
        })
        .collect();
    let per_file: Vec<Vec<((usize, u64), T)>> = groups
        .par_iter()
        .map(|(file, offsets)| reread_file(files, *file, offsets, read, chosen, &visit))
        .collect();
    let mut found: Vec<((usize, u64), T)> = per_file.into_iter().flatten().collect();
    found.sort_by_key(|(place, _)| *place);
    found
}

fn reread_file<T>(
    files: &[LogFile],
    file: usize,
    offsets: &[u64],
    read: &ReadOptions,
    chosen: Option<&'static Table>,
    visit: &(impl Fn((usize, u64), Found<'_>) -> T + Sync),
) -> Vec<((usize, u64), T)> {
    let path = &files[file].path;
    let fail = |message: String| -> Vec<((usize, u64), T)> {
        offsets
            .iter()
            .map(|&o| ((file, o), visit((file, o), Err(message.clone()))))
            .collect()
    };
    if files[file].memory.is_none() && decompress::is_stdin(path) {
        return fail("standard input cannot be read a second time".into());
    }
    // Records built in memory (a `--threat-intel` feed's tables) are built again.
    let mut reader = match FileReader::open_log(file, &files[file], read, None) {
        Ok(reader) => reader,
        Err(e) => return fail(format!("cannot open it again: {e}")),
    };
    let path_table = table::from_path(path);
    let mut results: Vec<((usize, u64), T)> = Vec::with_capacity(offsets.len());
    let mut seen = vec![false; offsets.len()];
    let mut remaining = offsets.len();
    while remaining > 0 {
        let unit = match reader.next_item(Vec::new()) {
            None => break,
            Some(Err(e)) => {
                let message = format!("read error on the second pass: {e}");
                for (i, &offset) in offsets.iter().enumerate() {
                    if !seen[i] {
                        results.push(((file, offset), visit((file, offset), Err(message.clone()))));
                        seen[i] = true;
                    }
                }
                return results;
            }
            Some(Ok(Item::Unit(unit))) => unit,
            Some(Ok(Item::Issue(_) | Item::Warning(_))) => continue,
        };
        // Whole lines from `unit.offset` on: a unit with no wanted offset in its bytes is passed
        // over without cutting it into lines.
        if let Framing::Lines = unit.framing {
            let end = unit.offset + unit.data.len() as u64;
            let first = offsets.partition_point(|&o| o < unit.offset);
            if offsets.get(first).is_none_or(|&o| o >= end) {
                continue;
            }
        }
        unit.for_each_record(|raw| {
            let Ok(i) = offsets.binary_search(&raw.offset) else {
                return;
            };
            if seen[i] {
                return;
            }
            seen[i] = true;
            remaining -= 1;
            let place = (file, raw.offset);
            let fields = match record::parse(raw.bytes) {
                Ok(fields) => fields,
                Err(error) => {
                    results.push((
                        place,
                        visit(place, Err(format!("it no longer parses: {}", error.message))),
                    ));
                    return;
                }
            };
            let (row, envelope_table) = match documents::unwrap_streaming_record(&fields) {
                Some((row, table)) => (row, Some(table)),
                None => (&fields, None),
            };
            let outcome = match table::table_of(row, chosen, raw.table.or(envelope_table), path_table) {
                TableOf::Known(table) => visit(place, Ok((row, table))),
                TableOf::Named(_) | TableOf::Unknown => visit(place, Err("its table is not known".into())),
            };
            results.push((place, outcome));
        });
    }
    for (i, &offset) in offsets.iter().enumerate() {
        if !seen[i] {
            let place = (file, offset);
            results.push((
                place,
                visit(place, Err("no record at this place on the second pass".into())),
            ));
        }
    }
    results
}
