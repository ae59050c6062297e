//! End-to-end scans through the library: the seed rules over DeviceFileEvents JSON lines
//! (sample-logs/ repeated to ~40 MB in a temporary directory, page cache warm), with the fast
//! path on and off, at 1 and 2 threads, in bytes and records per second. Each run checks the
//! number of results.
//!
//! `cargo bench --bench scan`. For comparisons with ripgrep and jq on gigabytes, see
//! `benches/compare.sh`.

use std::path::{Path, PathBuf};

use divan::counter::{BytesCount, ItemsCount};
use divan::Bencher;
use loghunt::input::{discover, LogFile};
use loghunt::plan::Plan;
use loghunt::rules;
use loghunt::scan::{scan, ScanOptions};
use loghunt::time::parse_datetime;

fn main() {
    divan::main();
}

const COPIES: usize = 300;
/// Results of rule 000 in one copy of the sample file (see sample-logs/make_samples.py).
const HITS_PER_COPY: usize = 8;

struct Data {
    _dir: tempfile::TempDir,
    files: Vec<LogFile>,
    bytes: u64,
}

fn data() -> Data {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sample = std::fs::read(root.join("sample-logs/DeviceFileEvents/2026-06-20/part-0000.jsonl")).expect("sample");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("DeviceFileEvents.jsonl");
    std::fs::write(&path, sample.repeat(COPIES)).expect("write the data");
    let found = discover(&[path]);
    assert!(found.errors.is_empty());
    let files = found.files;
    let bytes = files.iter().map(LogFile::stored_size).sum();
    Data {
        _dir: dir,
        files,
        bytes,
    }
}

fn plan() -> Plan {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let loaded = rules::load(&[root.join("rules")]).expect("the seed rules load");
    Plan::compile(
        &loaded.rules,
        parse_datetime("2026-06-21T00:00:00Z").unwrap_or_default(),
    )
    .expect("they compile")
}

#[divan::bench(args = [(1, true), (2, true), (1, false), (2, false)], sample_count = 10)]
fn seed_rules_device_file_events(bencher: Bencher, (threads, prefilter): (usize, bool)) {
    let data = data();
    let plan = plan();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    let options = ScanOptions {
        threads,
        chunk_size: 2 << 20,
        table: None,
        prefilter,
        csv: Default::default(),
        now: 0,
        max_memory: usize::MAX,
        progress: None,
    };
    let run = || pool.install(|| scan(&plan, &data.files, &options));
    let (hits, stats) = run();
    assert_eq!(hits[0].len(), COPIES * HITS_PER_COPY, "rule 000 results");
    assert_eq!(stats.malformed, 0);
    // Records per second beside bytes per second: records, not bytes, are what costs.
    bencher
        .counter(BytesCount::new(data.bytes))
        .counter(ItemsCount::new(stats.records))
        .bench_local(|| run().0.len());
}
