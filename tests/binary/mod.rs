//! The real binary for the integration tests: run it in the repository and read what it wrote.
//! Shared by the test files that include it; each uses a part (hence `dead_code` is allowed).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The instant the sample exports are read against.
pub const NOW: &str = "2026-06-21T00:00:00Z";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `loghunt` with `args` in the repository.
pub fn loghunt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loghunt"))
        .current_dir(repo())
        .args(args)
        .output()
        .expect("the loghunt binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}
