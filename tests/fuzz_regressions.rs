//! Replays what the fuzzers found (`tests/fixtures/fuzz/<target>/<name>`) through the very
//! checks the fuzz targets run (`fuzz/checks.rs`), on stable Rust in `cargo test`: each input
//! must pass its target's check (no panic, and the target's oracle). A crash input is added
//! here with the fix of its bug; `fuzz/README.md` lists them.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::Path;

type Check = fn(&[u8]);

const TARGETS: [(&str, Check); 7] = [
    ("framer", checks::framer),
    ("walk", checks::walk),
    ("csv", checks::csv),
    ("documents", checks::documents),
    ("kql", checks::kql),
    ("rules", checks::rules),
    ("decompress", checks::decompress),
];

/// The saved inputs of one target, sorted by name.
fn saved(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_saved_fuzz_input_passes_its_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    if let Ok(entries) = std::fs::read_dir(&root) {
        for entry in entries {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(TARGETS.iter().any(|(t, _)| *t == name), "no fuzz target `{name}`");
        }
    }
    for (target, check) in TARGETS {
        for (name, data) in saved(target) {
            eprintln!("{target}/{name}");
            check(&data);
        }
    }
}

/// Inputs at the edges of each check, so that the checks themselves run in `cargo test` even
/// before any crash is saved.
#[test]
fn edge_inputs_pass_every_check() {
    let inputs: [&[u8]; 16] = [
        b"",
        b"\x01",
        b"\x01{",
        b"\x00[",
        b"{}",
        b"[]",
        b"\x05\xEF\xBB\xBF{\"Name\":\"a\"}\n",
        b"\x03{\"Name\":\"moocow\\u002emy\",\"Type\":\"DnsEvents\"}\r\n{\"Name\":null}",
        b"{\"Name\":1e400}",
        b"\x07[{\"a\":1}, {\"b\":[2,\"]\"]} ,3]",
        b"[{\"FrameType\":\"DataTable\"}]",
        b"{\"records\":[{\"category\":\"AdvancedHunting-X\",\"properties\":{}}]}",
        b"\x01\x02Name,Type\r\n\"a,b\",\"c\"\"d\"\r\n\"unclosed",
        b"\x80\x00TimeGenerated [Local Time],Name\n11/9/2025, 3:46:34.034 PM,x\n26/03/2026, 15:18:18.790,y\n",
        b"let x = dynamic([\"a\", [\"b\"]]);\nDnsEvents | where Name has_any (x) | take 3",
        b"Query:\n```kql\nDnsEvents\n| where (Name has \"x\"\n| summarize\n```\n",
    ];
    for input in inputs {
        for (_, check) in TARGETS {
            check(input);
        }
    }
}
