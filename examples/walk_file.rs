//! Times the fast path's walk alone (`FieldWalker::walk_line`, the pass that checks each JSON
//! line and captures the tested columns) over a file of JSON lines on one thread, the best of
//! `PASSES` passes (so that a noisy machine's slow passes drop out): held in memory it was
//! read into, and mapped afresh for each pass, as a scan maps a big file (page faults
//! included); and memchr's count of the same bytes' newlines, for how fast memory gives them
//! up. `cargo run --release --example walk_file -- FILE [PASSES] [KEY...]` (keys default to
//! the hash columns of a DeviceFileEvents rule).

use std::time::{Duration, Instant};

use loghunt::input::fields::{FieldWalker, Walk};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: walk_file FILE [PASSES] [KEY...]");
        std::process::exit(2);
    };
    let passes: usize = args.next().map_or(10, |p| p.parse().expect("PASSES is a number"));
    let mut keys: Vec<String> = args.collect();
    if keys.is_empty() {
        keys = ["SHA256", "SHA1", "MD5", "Type"].map(String::from).to_vec();
    }
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let text = std::fs::read(&path).expect("the file is readable");
    let report = |what: &str, best: Duration| {
        let seconds = best.as_secs_f64();
        println!(
            "{what:>28}: {:7.1} ms, {:5.0} MB/s",
            seconds * 1e3,
            text.len() as f64 / seconds / 1e6
        );
    };
    let mut lines = (0, 0);
    let best = (0..passes).map(|_| timed(|| lines = walk(&keys, &text))).min();
    println!("{path}: {} lines, {} walked whole; best of {passes}", lines.0, lines.1);
    report("walk, read into memory", best.unwrap_or_default());
    let file = std::fs::File::open(&path).expect("the file is readable");
    let best = (0..passes).map(|_| {
        // SAFETY: the benchmark's own file, not changed while it runs.
        let map = unsafe { memmap2::Mmap::map(&file) }.expect("the file maps");
        timed(|| assert_eq!(walk(&keys, &map), lines))
    });
    report("walk, mapped each pass", best.min().unwrap_or_default());
    let best = (0..passes)
        .map(|_| timed(|| std::hint::black_box(memchr::memchr_iter(b'\n', &text).count())))
        .min();
    report("memchr newlines, in memory", best.unwrap_or_default());
}

fn timed<T>(work: impl FnOnce() -> T) -> Duration {
    let started = Instant::now();
    std::hint::black_box(work());
    started.elapsed()
}

/// Walks every line of `text` as the scan does: (lines, lines walked whole).
fn walk(keys: &[&str], text: &[u8]) -> (usize, usize) {
    let mut walker = FieldWalker::new(keys);
    let mut values = vec![None; keys.len()];
    let (mut lines, mut valid, mut start) = (0, 0, 0);
    while start < text.len() {
        let (walked, end) = walker.walk_line(text, start, &mut values, None);
        lines += 1;
        let end = if walked == Walk::Valid {
            valid += 1;
            end
        } else {
            memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |at| start + at)
        };
        start = end + 1;
    }
    (lines, valid)
}
