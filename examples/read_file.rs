//! Times a file's reader alone (`FileReader`: the shape sniffed from the head, then every unit
//! cut, framed and handed out, as the scan's own thread does it, nothing scanned) on one
//! thread, the best of `PASSES` passes, for tuning the readers (a JSON array's framing, an
//! API response's rows) apart from the walk that follows them:
//! `cargo run --release --example read_file -- FILE [PASSES] [CHUNK_BYTES]`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use loghunt::input::{FileReader, Framing, Item, ReadOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next().map(PathBuf::from) else {
        eprintln!("usage: read_file FILE [PASSES] [CHUNK_BYTES]");
        std::process::exit(2);
    };
    let passes: usize = args.next().map_or(10, |p| p.parse().expect("PASSES is a number"));
    let chunk_size: usize = args
        .next()
        .map_or(1 << 20, |c| c.parse().expect("CHUNK_BYTES is a number"));
    let options = ReadOptions {
        chunk_size,
        csv: Default::default(),
    };
    let mut seen = None;
    let best = (0..passes)
        .map(|_| {
            let started = Instant::now();
            let counts = read(&path, &options);
            let elapsed = started.elapsed();
            assert!(seen.is_none_or(|seen| seen == counts), "every pass reads the same");
            seen = Some(counts);
            elapsed
        })
        .min()
        .unwrap_or(Duration::ZERO);
    let (bytes, units, framed, issues) = seen.unwrap_or_default();
    let seconds = best.as_secs_f64();
    println!(
        "{}: {bytes} bytes, {units} units, {framed} framed records, {issues} issues; best of {passes}",
        path.display()
    );
    println!(
        "  read alone: {:7.1} ms, {:5.0} MB/s",
        seconds * 1e3,
        bytes as f64 / seconds / 1e6
    );
}

/// Reads `path` through: (bytes, units, framed records, issues).
fn read(path: &std::path::Path, options: &ReadOptions) -> (u64, usize, usize, usize) {
    let mut reader = FileReader::open(0, path, options, None).expect("the file opens");
    let (mut units, mut framed, mut issues) = (0, 0, 0);
    while let Some(item) = reader.next_item(Vec::new()) {
        match item.expect("the file reads") {
            Item::Unit(unit) => {
                units += 1;
                if let Framing::Ranges(ranges) = &unit.framing {
                    framed += ranges.len();
                }
                std::hint::black_box(&unit);
            }
            Item::Issue(_) => issues += 1,
            Item::Warning(_) => {}
        }
    }
    (reader.bytes_read(), units, framed, issues)
}
