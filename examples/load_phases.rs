//! Times each phase of loading rule sources on one thread (read, document, KQL parse, compile),
//! summed over every file given, then the merged prefilter index of all of them (on the
//! threads a scan has), for tuning rule loading with very large IOC lists:
//! `cargo run --release --example load_phases -- RULE_FILE_OR_DIR...`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

fn main() {
    let mut files: Vec<PathBuf> = Vec::new();
    for arg in std::env::args_os().skip(1).map(PathBuf::from) {
        if arg.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&arg)
                .expect("the rule directory is readable")
                .map(|entry| entry.expect("the rule directory is readable").path())
                .filter(|path| path.extension().is_some_and(|e| e == "txt" || e == "md" || e == "kql"))
                .collect();
            entries.sort();
            files.extend(entries);
        } else {
            files.push(arg);
        }
    }
    if files.is_empty() {
        eprintln!("usage: load_phases RULE_FILE_OR_DIR...");
        std::process::exit(2);
    }
    let (mut read, mut document, mut parse, mut compile) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let (mut bytes, mut indicators) = (0, 0);
    for path in &files {
        let t = Instant::now();
        let text = std::fs::read_to_string(path).expect("the rule file is readable UTF-8");
        read += t.elapsed();
        bytes += text.len();
        let t = Instant::now();
        let (rule, _) = loghunt::rules::load_text(path, &text).expect("the rule loads");
        document += t.elapsed();
        indicators += rule.indicators.len();
        let t = Instant::now();
        let (query, _) = loghunt::kql::parse_packed(&rule.query).expect("the query parses");
        parse += t.elapsed();
        drop(query);
        let t = Instant::now();
        let compiled = loghunt::plan::compile_rule(&rule, 0).expect("the rule compiles");
        compile += t.elapsed();
        drop(compiled);
    }
    // Loaded and compiled again, all together, for the index of their sets (untimed; kept
    // above, the rules would grow the heap under the phases timed there).
    let rules: Vec<_> = files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).expect("the rule file is readable UTF-8");
            loghunt::rules::load_text(path, &text).expect("the rule loads").0
        })
        .collect();
    let plan = loghunt::plan::Plan::compile(&rules, 0).expect("the rules compile");
    drop(rules);
    let prefilter = plan.prefilter().expect("the rules have column tests");
    let t = Instant::now();
    let columns = prefilter.by_column();
    let index = t.elapsed();
    drop(columns);
    let compile_only = compile.saturating_sub(parse);
    let mb = bytes as f64 / 1e6;
    println!(
        "{} file(s), {mb:.1} MB, {indicators} IOC table rows, one thread:",
        files.len()
    );
    for (phase, time) in [
        ("read", read),
        ("document", document),
        ("kql parse", parse),
        ("compile (less parse)", compile_only),
    ] {
        println!("  {phase:<22} {:>9.1} ms", time.as_secs_f64() * 1e3);
    }
    let total = read + document + compile;
    println!(
        "  {:<22} {:>9.1} ms ({:.0} MB/s)",
        "total",
        total.as_secs_f64() * 1e3,
        mb / total.as_secs_f64()
    );
    println!(
        "  {:<22} {:>9.1} ms (the merged prefilter's indexes, on {} thread(s))",
        "index",
        index.as_secs_f64() * 1e3,
        rayon::current_num_threads()
    );
}
