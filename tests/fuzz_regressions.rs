//! Replays what the fuzzers found (`tests/fixtures/fuzz/<target>/*`), and the checks' own
//! edge cases, through the same checks the fuzz targets run (`fuzz/checks.rs`), on stable Rust
//! in `cargo test`. A crash input is added here when its bug is fixed.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::Path;

type Check = fn(&[u8]);

const TARGETS: [(&str, Check); 6] = [
    ("walk", checks::walk),
    ("framer", checks::framer),
    ("csv", checks::csv),
    ("documents", checks::documents),
    ("kql", checks::kql),
    ("rules", checks::rules),
];

#[test]
fn every_saved_fuzz_input_passes_its_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let mut replayed = 0;
    for (target, check) in TARGETS {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let data = std::fs::read(&path).unwrap();
            check(&data);
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} saved fuzz inputs");
}

/// Inputs at the edges of each check, so that the checks themselves are exercised.
#[test]
fn edge_inputs_pass_every_check() {
    let inputs: [&[u8]; 14] = [
        b"",
        b"{",
        b"[",
        b"{}",
        b"[]",
        b"\xEF\xBB\xBF{\"Name\":\"a\"}\n",
        b"{\"Name\":\"moocow\\u002emy\",\"Type\":\"DnsEvents\"}\r\n{\"Name\":null}",
        b"{\"Name\":\"\\ud800\"}",
        b"{\"Name\":1e400}",
        b"[{\"FrameType\":\"DataTable\"}]",
        b"{\"records\":[{\"category\":\"AdvancedHunting-X\",\"properties\":{}}]}",
        b"Name,Type\r\n\"a,b\",\"c\"\"d\"\r\n\"unclosed",
        b"let x = dynamic([\"a\", [\"b\"]]);\nDnsEvents | where Name has_any (x) | take 3",
        b"DnsEvents\n| where (Name has \"x\"\n| summarize",
    ];
    for input in inputs {
        for (_, check) in TARGETS {
            check(input);
        }
    }
}
