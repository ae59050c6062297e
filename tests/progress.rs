//! `--progress`: with `always` the bar is drawn on stderr even into a pipe, and its final state
//! agrees with the summary (bytes as stored on disk, gzip included; files; records; hits); on a
//! pipe without it, and with `never`, nothing of the bar appears; the results are
//! byte-identical whatever the bar does.

mod binary;

use std::io::Write;
use std::path::Path;

use binary::{loghunt, repo, stderr, NOW};

/// A DeviceFileEvents export as JSON lines, and the DnsEvents Log Analytics export gzipped.
fn logs(dir: &Path) -> u64 {
    let plain = repo().join("sample-logs/DeviceFileEvents/2026-06-20/part-0000.jsonl");
    std::fs::copy(&plain, dir.join("DeviceFileEvents.jsonl")).unwrap();
    let dns =
        std::fs::read(repo().join("sample-logs/loganalytics-export/y=2026/m=05/d=27/h=08/m=00/PT05M.json")).unwrap();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&dns).unwrap();
    std::fs::write(dir.join("dns.json.gz"), encoder.finish().unwrap()).unwrap();
    ["DeviceFileEvents.jsonl", "dns.json.gz"]
        .iter()
        .map(|name| std::fs::metadata(dir.join(name)).unwrap().len())
        .sum()
}

fn scan(dir: &Path, extra: &[&str]) -> std::process::Output {
    let logs = dir.to_str().unwrap();
    let mut args = vec![
        "scan", "-r", "rules", logs, "--now", NOW, "--format", "jsonl", "-j", "2",
    ];
    args.extend_from_slice(extra);
    loghunt(&args)
}

/// `records: 104 read = 20 matched + ...` → (104, 20).
fn summary_counts(stderr: &str) -> (u64, u64) {
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("records: "))
        .unwrap_or_else(|| panic!("no records line in {stderr}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    (words[0].parse().unwrap(), words[3].parse().unwrap())
}

/// What only the bar writes: its escape sequences and its figures.
fn has_bar(stderr: &str) -> bool {
    stderr.contains('\x1b') || stderr.contains(" files · ") || stderr.contains("ETA")
}

#[test]
fn always_draws_the_final_figures_and_the_results_do_not_change() {
    let dir = tempfile::tempdir().unwrap();
    let total = logs(dir.path());
    assert!(
        (1_000..1_000_000).contains(&total),
        "the figures below are in kB: {total}"
    );

    let plain = scan(dir.path(), &[]);
    let never = scan(dir.path(), &["--progress", "never"]);
    let always = scan(dir.path(), &["--progress", "always"]);
    let quiet = scan(dir.path(), &["-q"]);
    let quiet_always = scan(dir.path(), &["-q", "--progress", "always"]);

    for run in [&plain, &never, &always, &quiet, &quiet_always] {
        assert_eq!(run.status.code(), Some(1), "{}", stderr(run));
        assert_eq!(
            run.stdout, plain.stdout,
            "the results are the same with or without the bar"
        );
    }
    assert!(!plain.stdout.is_empty());

    // On a pipe, nothing of the bar unless asked for.
    for run in [&plain, &never] {
        let text = stderr(run);
        assert!(!has_bar(&text), "{text}");
        assert!(text.starts_with("loghunt: 2 files,"), "{text}");
    }
    assert_eq!(stderr(&quiet), "");

    let (records, matched) = summary_counts(&stderr(&plain));
    assert!(records > 0 && matched > 0);
    let bytes = format!("{:.2}/{:.2} kB", total as f64 / 1e3, total as f64 / 1e3);
    let counts = format!("2/2 files · {records} records · {matched} hits");
    for run in [&always, &quiet_always] {
        let text = stderr(run);
        assert!(
            text.contains(&bytes),
            "no `{bytes}` (stored bytes, the gzip file compressed) in {text:?}"
        );
        assert!(text.contains(&counts), "no `{counts}` in {text:?}");
        // Cleared before the summary: the last escape sequence comes before it.
        let cleared = text.rfind("\x1b[2K").expect("the bar is cleared");
        if let Some(summary) = text.find("loghunt: 2 files,") {
            assert!(cleared < summary, "{text:?}");
            assert_eq!(summary_counts(&text[summary..]), (records, matched));
        }
    }
    // `--quiet` silences the summary, not a bar asked for by name.
    assert!(!stderr(&quiet_always).contains("loghunt: 2 files,"));
}

#[test]
fn a_bad_value_is_refused() {
    let output = loghunt(&["scan", "-r", "rules", "sample-logs", "--progress", "sometimes"]);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(text.contains("--progress") && text.contains("always"), "{text}");
}
