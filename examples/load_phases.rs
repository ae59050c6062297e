//! Times each phase of loading one rule source (read, document, KQL parse, compile), for
//! tuning rule loading with very large IOC lists:
//! `cargo run --release --example load_phases -- RULE_FILE [document-only]`.

use std::time::Instant;
fn main() {
    let Some(path) = std::env::args().nth(1).map(std::path::PathBuf::from) else {
        eprintln!("usage: load_phases RULE_FILE [document-only]");
        std::process::exit(2);
    };
    let only_document = std::env::args().nth(2).is_some();
    let t = Instant::now();
    let text = std::fs::read_to_string(&path).expect("the rule file is readable UTF-8");
    eprintln!("read {:?}", t.elapsed());
    let t = Instant::now();
    let (rule, w) = loghunt::rules::load_text(&path, &text).expect("the rule loads");
    eprintln!("document {:?} ({} warnings)", t.elapsed(), w.len());
    if only_document {
        return;
    }
    let t = Instant::now();
    let q = loghunt::kql::parse(&rule.query).expect("the query parses");
    eprintln!("kql parse {:?}", t.elapsed());
    drop(q);
    let t = Instant::now();
    let (_c, w) = loghunt::plan::compile_rule(&rule, 0).expect("the rule compiles");
    eprintln!("compile (incl parse) {:?} ({} warnings)", t.elapsed(), w.len());
}
