//! `--threat-intel FEED`: each feed read as Sentinel's indicator tables
//! ([`crate::rules::feeds::ti`]) and handed to the scan as one more input whose records are
//! built in memory: rows of `ThreatIntelligenceIndicator` and `ThreatIntelIndicators` placed at
//! the feed's path and line, so the summary counts them like the records of a log file.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;

use super::Error;
use crate::input::{BuiltRecord, LogFile, RecordSource};
use crate::output::Style;
use crate::rules::feeds::ti::TiTables;
use crate::rules::feeds::{self, Location};

/// The inputs of the `--threat-intel` feeds, in command-line order. A feed that cannot be read
/// or has no usable IOC is an error; its rows' warnings go to stderr.
pub(super) fn inputs(paths: &[PathBuf], now: i64, stderr_style: Style) -> Result<Vec<LogFile>, Error> {
    let mut inputs = Vec::new();
    let mut stderr = io::stderr().lock();
    for path in paths {
        let feed = feeds::load_feed(path).map_err(|e| Error::Usage(format!("--threat-intel {e}")))?;
        let format = feed.format;
        let (tables, warnings) = TiTables::new(feed, now);
        for warning in tables.feed().warnings.iter().chain(&warnings) {
            writeln!(stderr, "loghunt: {} {warning}", stderr_style.warning("warning:"))?;
        }
        if tables.is_empty() {
            return Err(Error::Usage(format!(
                "--threat-intel {}: no usable IOC in the feed ({format})",
                path.display()
            )));
        }
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        inputs.push(LogFile::in_memory(path.clone(), size, Arc::new(Tables(tables))));
    }
    Ok(inputs)
}

/// A feed's tables as records for the scan.
#[derive(Debug)]
struct Tables(TiTables);

impl RecordSource for Tables {
    fn count(&self) -> usize {
        self.0.len()
    }

    fn record(&self, index: usize) -> BuiltRecord {
        let record = self.0.record(index);
        BuiltRecord {
            json: serde_json::Value::Object(record.row).to_string(),
            // A JSON feed's objects have a path, not a line: 0 says so.
            line: match record.location {
                Location::Line(line) => u64::from(line),
                Location::Object(_) => 0,
            },
            offset: index as u64,
            table: Some(record.table.to_string()),
        }
    }
}
