//! Fuzz target `decompress`: what it checks is `checks::decompress` in `fuzz/checks.rs`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::decompress(data));
