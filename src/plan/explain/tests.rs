//! The description of plans compiled from small queries: sets, prefilter tests or the reason
//! there are none, the operators on the workers and after the scan, and memory.

use std::path::Path;

use super::*;
use crate::rules::load_text;

fn plan(queries: &[&str]) -> Plan {
    let rules: Vec<_> = queries
        .iter()
        .enumerate()
        .map(|(i, q)| load_text(Path::new(&format!("r{i}.kql")), q).expect("loads").0)
        .collect();
    Plan::compile(&rules, 0).expect("compiles")
}

fn one(query: &str) -> RuleExplanation {
    explain(&plan(&[query])).rules.remove(0)
}

/// `n` distinct lower-case hex strings of `len` characters.
fn hexes(n: usize, len: usize, salt: u8) -> Vec<String> {
    (0..n)
        .map(|i| format!("{salt:02x}{i:06x}").repeat(len / 8 + 1)[..len].to_string())
        .collect()
}

#[test]
fn a_hash_list_used_by_three_columns_is_one_set() {
    let mut values = hexes(6, 64, 1);
    values.extend(hexes(6, 40, 2));
    values.extend(hexes(6, 32, 3));
    let list: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
    let query = format!(
        "let h = dynamic([{}]);\nDeviceFileEvents\n| where SHA256 in (h) or SHA1 in (h) or MD5 in (h)\n\
         | project Timestamp, DeviceName, SHA256\n| order by Timestamp desc",
        list.join(", ")
    );
    let rule = one(&query);
    assert!(!rule.engine);
    assert_eq!(rule.tables, ["DeviceFileEvents"]);
    let pipeline = &rule.pipelines[0];
    let columns = pipeline.columns.as_ref().expect("the project narrows the columns");
    let mut sorted = columns.clone();
    sorted.sort();
    assert_eq!(sorted, ["DeviceName", "MD5", "SHA1", "SHA256", "Timestamp"]);
    let uses: Vec<(&str, &str, usize, usize)> = pipeline
        .sets
        .iter()
        .map(|s| (s.column.as_str(), s.operator.as_str(), s.set, s.values))
        .collect();
    assert_eq!(
        uses,
        [("SHA256", "in", 1, 18), ("SHA1", "in", 1, 18), ("MD5", "in", 1, 18)]
    );
    // Kept by digest length, whatever column tests them.
    assert!(pipeline.sets.iter().all(|s| s.kinds == Some([6, 6, 6, 0])));
    // Its memory counts once: 18 digests of at most 32 bytes, their directories and the screen.
    let memory: Vec<usize> = pipeline.sets.iter().map(|s| s.memory).collect();
    assert!(memory[0] >= 6 * (16 + 20 + 32) && memory[0] < 4096, "{memory:?}");
    assert_eq!(&memory[1..], [0, 0]);
    assert_eq!(rule.sets_memory, memory[0]);
    assert_eq!(
        pipeline.prefilter,
        Ok(vec![
            "SHA256 in (18 values)".to_string(),
            "SHA1 in (18 values)".to_string(),
            "MD5 in (18 values)".to_string()
        ])
    );
    assert_eq!(
        pipeline.workers,
        [
            "where SHA256 in (18 values) or SHA1 in (18 values) or MD5 in (18 values)",
            "project Timestamp, DeviceName, SHA256"
        ]
    );
    assert_eq!(rule.after_scan, ["order by Timestamp desc"]);
}

#[test]
fn predicates_and_prefilters_of_the_seed_shape() {
    /// The prefilter's tests, or a word of why there are none.
    type Prefilter = Result<&'static [&'static str], &'static str>;
    // (query, the workers' operators, prefilter)
    let cases: &[(&str, &[&str], Prefilter)] = &[
        (
            r#"DnsEvents | where Name has_any ("a.com", "b.org")"#,
            &[r#"where Name has_any (2 terms)"#],
            Ok(&["Name has_any (2 terms)"]),
        ),
        (
            r#"DnsEvents | where Name has "x" and Computer == "pc1""#,
            &[r#"where Name has (1 term) and Computer in (1 value)"#],
            Ok(&["Name has (1 term)"]),
        ),
        (
            r#"DeviceFileEvents | where FileName =~ "a.exe" or FolderPath !contains "tmp""#,
            &[r#"where FileName =~ "a.exe" or FolderPath !contains "tmp""#],
            Err("leading `where`"),
        ),
        (
            r#"DeviceFileEvents | where SHA256 !in~ ("AB") and not(isempty(FileName))"#,
            &[r#"where SHA256 !in~ (1 value) and not(isempty(FileName))"#],
            Err("leading `where`"),
        ),
        (
            r#"DeviceFileEvents | where FileSize > 10 and FileName startswith_cs "Set""#,
            &[r#"where FileSize > 10 and FileName startswith_cs "Set""#],
            Ok(&[r#"FileName startswith_cs "Set""#]),
        ),
        ("DnsEvents | take 5", &[], Err("no `where` leads")),
    ];
    for (query, workers, prefilter) in cases {
        let rule = one(query);
        let pipeline = &rule.pipelines[0];
        assert_eq!(&pipeline.workers, workers, "{query}");
        match (prefilter, &pipeline.prefilter) {
            (Ok(expected), Ok(tests)) => assert_eq!(tests, expected, "{query}"),
            (Err(word), Err(reason)) => assert!(reason.contains(word), "{query}: {reason}"),
            (expected, got) => panic!("{query}: expected {expected:?}, got {got:?}"),
        }
        // No project: the rows keep every column.
        assert_eq!(pipeline.columns, None, "{query}");
    }
    let take = one("DnsEvents | take 5");
    assert_eq!(take.after_scan, ["take 5"]);
}

#[test]
fn an_engine_summarize_runs_on_the_workers_and_holds_groups() {
    let rule = one(r#"DeviceProcessEvents | where FileName =~ "powershell.exe" | summarize count() by DeviceName"#);
    assert!(rule.engine);
    let pipeline = &rule.pipelines[0];
    assert_eq!(
        pipeline.columns.as_deref(),
        Some(&["DeviceName".to_string(), "FileName".to_string()][..])
    );
    assert_eq!(pipeline.workers[0], r#"where FileName =~ "powershell.exe""#);
    assert!(
        pipeline
            .workers
            .iter()
            .any(|w| w.starts_with("summarize count by 1 key(s)")),
        "{:?}",
        pipeline.workers
    );
    assert_eq!(rule.after_scan[0], "result 1 (DeviceName, count_):");
    assert!(
        rule.held.iter().any(|h| h.contains("summarize groups")),
        "{:?}",
        rule.held
    );
}

#[test]
fn a_join_is_shown_with_its_right_side_and_what_it_holds() {
    let rule = one("DeviceProcessEvents | where FileName =~ \"powershell.exe\"\n\
         | join kind=inner (DeviceNetworkEvents | where RemotePort == 443) on DeviceId\n\
         | summarize count() by DeviceName");
    assert!(rule.engine);
    assert_eq!(rule.tables, ["DeviceProcessEvents", "DeviceNetworkEvents"]);
    assert_eq!(rule.pipelines.len(), 2);
    assert!(rule.pipelines[1].workers[0].starts_with("where RemotePort == 443"));
    let text = rule.after_scan.join("\n");
    assert!(
        text.contains(
            "  pipeline 1 (DeviceProcessEvents)\n  | join kind=inner on 1 key\n      pipeline 2 (DeviceNetworkEvents)"
        ),
        "{text}"
    );
    assert!(text.contains("| summarize count by 1 key(s)"), "{text}");
    let held = rule.held.join("\n");
    assert!(
        held.contains("join kind=inner: the right side's rows in a hash table on 1 key"),
        "{held}"
    );
    assert!(
        held.contains("pipeline 2 (DeviceNetworkEvents): every row it yields"),
        "{held}"
    );
}

#[test]
fn the_prefilter_merges_the_sets_of_several_rules_per_column() {
    let list = |values: Vec<String>| values.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(", ");
    let plan = plan(&[
        &format!("DeviceFileEvents | where SHA256 in ({})", list(hexes(1000, 64, 1))),
        &format!("DeviceFileEvents | where SHA256 in ({})", list(hexes(500, 64, 2))),
        r#"DnsEvents | where Name has_any ("a.com")"#,
        "DnsEvents | where QueryType != \"AAAA\"",
    ]);
    let explanation = explain(&plan);
    let columns: Vec<&str> = explanation.prefilter.iter().map(|c| c.column.as_str()).collect();
    assert_eq!(columns, ["SHA256", "Name"]);
    let sha256 = &explanation.prefilter[0].matchers;
    assert_eq!(sha256.len(), 1);
    assert!(
        sha256[0].starts_with("one hash index of 1500 values merged from 2 sets of 2 rule(s)"),
        "{sha256:?}"
    );
    assert_eq!(explanation.prefilter[1].matchers, ["r2: Name has (1 term)"]);
    // 1,500 SHA-256 digests: at least their 32 bytes each in the rules' sets, and a 12-byte
    // bucket each (a fingerprint and a position) in the merged index, which is smaller.
    assert!(explanation.sets_memory >= 1500 * 32, "{}", explanation.sets_memory);
    assert!(
        (1500 * 12..explanation.sets_memory).contains(&explanation.prefilter_memory),
        "{} against {}",
        explanation.prefilter_memory,
        explanation.sets_memory
    );
    assert_eq!(
        explanation.sets_memory,
        explanation.rules.iter().map(|r| r.sets_memory).sum::<usize>()
    );
    assert!(explanation.rules[3].pipelines[0].prefilter.is_err());
    // None of them projects: the scan parses every field.
    assert_eq!(explanation.whole_rows, ["r0", "r1", "r2", "r3"]);
    let narrowed = explain(&self::plan(&["DnsEvents | where Name has \"x\" | project Name"]));
    assert!(narrowed.whole_rows.is_empty());

    let mut text = Vec::new();
    explanation.write_text(&mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("rule r0\n  tables: DeviceFileEvents; compiled by the seed shape"),
        "{text}"
    );
    assert!(
        text.contains(
            "    set #1 SHA256 in: 1000 values: 0 MD5, 0 SHA-1, 1000 SHA-256 digests (sorted bytes), 0 other (a hash table), ≈ "
        ),
        "{text}"
    );
    let json = explanation.to_json();
    assert_eq!(json["rules"][1]["pipelines"][0]["sets"][0]["kinds"]["sha256"], 500);
    assert_eq!(json["rules"][3]["pipelines"][0]["prefilter"], Json::Null);
    assert_eq!(json["prefilter"][1]["column"], "Name");
}
