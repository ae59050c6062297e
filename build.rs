//! Compiles the table schemas in: lists `schemas/*.csv` and writes `$OUT_DIR/schema_sources.rs`,
//! one `include_str!` per file, so the binary needs no files at run time and a CSV dropped into
//! `schemas/` is picked up without editing a list. It only names files; `src/schema.rs` parses them.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

/// File-name suffixes and the `schema::Variant` each stands for.
const VARIANTS: &[(&str, &str)] = &[
    (".defender-ah.csv", "Variant::AdvancedHunting"),
    (".sentinel-la.csv", "Variant::LogAnalytics"),
];

fn main() {
    println!("cargo:rerun-if-changed=schemas");
    println!("cargo:rerun-if-changed=build.rs");
    let manifest = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let dir = Path::new(&manifest).join("schemas");

    let mut files: Vec<String> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| {
            let entry = entry.unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
            entry
                .file_name()
                .into_string()
                .unwrap_or_else(|name| panic!("schemas/{name:?}: not UTF-8"))
        })
        .filter(|name| name.ends_with(".csv"))
        .collect();
    // Sorted so that the generated list, and with it the order of the tables, never depends on
    // the file system.
    files.sort();

    let mut code = String::from("/// Every `schemas/*.csv`: (table, variant, file name, contents), by file name.\n");
    code.push_str("const SOURCES: &[(&str, Variant, &str, &str)] = &[\n");
    for file in &files {
        let Some((table, variant)) = VARIANTS
            .iter()
            .find_map(|(suffix, variant)| file.strip_suffix(suffix).map(|table| (table, variant)))
        else {
            panic!("schemas/{file}: the name must be <Table>.defender-ah.csv or <Table>.sentinel-la.csv");
        };
        // A table name is a Kusto identifier; anything else would be a typo in a file name.
        assert!(
            table.starts_with(|c: char| c.is_ascii_alphabetic())
                && table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "schemas/{file}: `{table}` is not a table name"
        );
        writeln!(
            code,
            "    ({table:?}, {variant}, {file:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/schemas/{file}\"))),"
        )
        .expect("writing to a String");
    }
    code.push_str("];\n");
    let target = Path::new(&out).join("schema_sources.rs");
    fs::write(&target, code).unwrap_or_else(|e| panic!("writing {}: {e}", target.display()));
}
