//! The CSV reader alone, for `benches/csv.sh`: `cargo bench --bench csv -- [--repeat N] FILE...`
//! reads each file into memory, then times `CsvReader` over it (through a 64 KiB `BufReader`, as
//! a scan does) N times, and prints one line per file:
//! `name  bytes  records  issues  seconds  checksum`. The seconds are the reader's alone (no disk,
//! no hashing); the checksum covers every record's JSON, line and offset and every issue and
//! warning, so two builds whose checksums differ did not read the file the same way.
//!
//! It uses only what `input::csv` has offered since before the csv-core reader (`CsvReader::new`,
//! `next_records`, `warnings`, `CsvOptions::default()`), so `csv.sh` can build it against an
//! older tree too.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufReader, Cursor};
use std::path::Path;
use std::time::{Duration, Instant};

use loghunt::input::csv::{CsvOptions, CsvReader};

/// The batch size of a scan's CSV reads (`--chunk-size`'s default).
const BATCH_BYTES: usize = 2 << 20;

fn main() {
    let mut repeat = 1;
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--repeat" => repeat = args.next().and_then(|n| n.parse().ok()).expect("--repeat N"),
            // `cargo bench` passes `--bench` to every bench binary.
            _ if arg.starts_with("--") => {}
            _ => files.push(arg),
        }
    }
    for file in files {
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut took = Duration::ZERO;
        let mut counts = (0, 0);
        let mut checksum = 0;
        for _ in 0..repeat {
            let (time, records, issues, sum) = read(&bytes);
            took += time;
            counts = (records, issues);
            checksum = sum;
        }
        let name = Path::new(&file)
            .file_name()
            .map_or(file.clone(), |n| n.to_string_lossy().into_owned());
        println!(
            "{name}\t{}\t{}\t{}\t{:.6}\t{checksum:016x}",
            bytes.len() * repeat,
            counts.0 * repeat,
            counts.1 * repeat,
            took.as_secs_f64()
        );
    }
}

/// One read of a file: the reader's time, its records and issues, and the checksum of all it said.
fn read(bytes: &[u8]) -> (Duration, usize, usize, u64) {
    let source = BufReader::with_capacity(1 << 16, Cursor::new(bytes.to_vec()));
    let mut reader = CsvReader::new(Box::new(source), CsvOptions::default());
    let mut hasher = DefaultHasher::new();
    let (mut took, mut records, mut issues) = (Duration::ZERO, 0, 0);
    loop {
        let start = Instant::now();
        let batch = reader.next_records(BATCH_BYTES);
        took += start.elapsed();
        let Some(batch) = batch else { break };
        let (built, found) = batch.expect("reading memory cannot fail");
        records += built.len();
        issues += found.len();
        for record in &built {
            (&record.json, record.line, record.offset).hash(&mut hasher);
        }
        for issue in &found {
            (&issue.message, issue.line, issue.offset, issue.is_record).hash(&mut hasher);
        }
        reader.warnings().hash(&mut hasher);
    }
    (took, records, issues, hasher.finish())
}
