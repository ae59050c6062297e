//! `loghunt query` and the engine through the real binary: results of any shape in every
//! output format, data from outside the logs (`externaldata`, watchlists), several statements,
//! `rules --check`, the memory limit, and the same output at any thread count and chunk size.

mod binary;

use std::process::Output;

use binary::{loghunt, stderr, write, NOW};
use serde::Deserialize;

fn query(kql: &str, extra: &[&str]) -> Output {
    let mut args = vec!["query", "--now", NOW, "--format", "jsonl", "-q"];
    args.extend_from_slice(extra);
    args.push(kql);
    args.push("sample-logs");
    loghunt(&args)
}

/// One JSON line, decoded into the test's own type: `file` and `line` only for rows of records.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    rule: String,
    row: serde_json::Map<String, serde_json::Value>,
    title: Option<String>,
    file: Option<String>,
    line: Option<u64>,
}

fn lines(output: &Output) -> Vec<Line> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn rows(output: &Output) -> Vec<String> {
    lines(output)
        .iter()
        .map(|l| serde_json::Value::Object(l.row.clone()).to_string())
        .collect()
}

#[test]
fn summarize_over_the_samples() {
    let output = query(
        "DnsEvents | summarize n = count(), hosts = dcount(Computer) by QueryType | order by n desc, QueryType asc",
        &[],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        rows(&output),
        [
            r#"{"QueryType":"AAAA","n":17,"hosts":2}"#,
            r#"{"QueryType":"A","n":16,"hosts":2}"#,
            r#"{"QueryType":"TXT","n":16,"hosts":2}"#,
        ]
    );
    // A computed row has no single place in the input: no `file`/`line`.
    assert!(lines(&output)
        .iter()
        .all(|l| l.file.is_none() && l.line.is_none() && l.rule == "query" && l.title.is_none()));
}

#[test]
fn rows_of_records_keep_their_place_and_types_print_as_kusto_does() {
    let output = query(
        "DeviceFileEvents | where FileName =~ 'notes.txt' | take 1 \
         | extend Age = datetime(2026-06-21) - Timestamp, Size = FileSize / 1024.0, Bag = bag_pack('n', FileName) \
         | project Age, Size, Bag",
        &[],
    );
    let lines = lines(&output);
    assert_eq!(lines.len(), 1, "{}", stderr(&output));
    assert!(lines[0].file.as_deref().is_some_and(|f| f.ends_with("part-0000.jsonl")));
    assert_eq!(lines[0].line, Some(1));
    assert_eq!(
        serde_json::Value::Object(lines[0].row.clone()).to_string(),
        r#"{"Age":"16:00:00","Size":6495.037109375,"Bag":{"n":"notes.txt"}}"#
    );
}

#[test]
fn the_same_output_at_any_thread_count_and_chunk_size() {
    let kql = "let dns = DnsEvents | where QueryType in ('A', 'AAAA') | summarize n = count(), names = make_set(Name) by Computer; \
               DeviceFileEvents | summarize files = count() by DeviceName \
               | extend Computer = DeviceName | join kind=fullouter dns on Computer \
               | order by files desc, Computer asc";
    let reference = query(kql, &["--threads", "1"]);
    assert!(!rows(&reference).is_empty(), "{}", stderr(&reference));
    for threads in ["2", "3"] {
        for chunk in ["97", "4096", "2097152"] {
            let other = query(kql, &["--threads", threads, "--chunk-size", chunk]);
            assert_eq!(
                other.stdout, reference.stdout,
                "--threads {threads} --chunk-size {chunk}"
            );
        }
    }
    let plain = query(kql, &["--no-prefilter"]);
    assert_eq!(plain.stdout, reference.stdout, "fast path and plain evaluator agree");
}

#[test]
fn every_format_prints_any_result_shape() {
    let kql = "DnsEvents | summarize n = count(), first = min(TimeGenerated), span = max(TimeGenerated) - min(TimeGenerated), names = make_set(QueryType) by Computer | order by Computer asc";
    let table = loghunt(&["query", "--now", NOW, "-q", kql, "sample-logs"]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.starts_with("query [DnsEvents]: 2 results\n"), "{text}");
    assert!(
        text.contains(
            "dc01.contoso.local  20  2026-05-27T07:02:26.0020000Z  00:58:38.9980000  [\"AAAA\",\"A\",\"TXT\"]"
        ),
        "{text}"
    );
    let csv = loghunt(&["query", "--now", NOW, "-q", "--format", "csv", kql, "sample-logs"]);
    let csv = String::from_utf8(csv.stdout).unwrap();
    let mut csv_lines = csv.lines();
    assert_eq!(csv_lines.next(), Some("rule,Computer,n,first,span,names"));
    assert!(
        csv_lines.next()
            == Some("query,dc01.contoso.local,20,2026-05-27T07:02:26.0020000Z,00:58:38.9980000,\"[\"\"AAAA\"\",\"\"A\"\",\"\"TXT\"\"]\""),
        "{csv}"
    );
}

#[test]
fn a_query_file_of_several_statements_gives_one_result_each() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("two.kql");
    std::fs::write(
        &file,
        "DnsEvents | count;\n\n// the next query, after a blank line\n\nDeviceFileEvents | count\n",
    )
    .unwrap();
    let output = loghunt(&[
        "query",
        "--now",
        NOW,
        "--format",
        "jsonl",
        "-q",
        "-f",
        file.to_str().unwrap(),
        "sample-logs",
    ]);
    let got: Vec<(String, String)> = lines(&output)
        .into_iter()
        .map(|l| (l.rule, serde_json::Value::Object(l.row).to_string()))
        .collect();
    assert_eq!(
        got,
        [
            ("two".to_string(), r#"{"Count":49}"#.to_string()),
            ("two#2".to_string(), r#"{"Count":54}"#.to_string())
        ]
    );
}

#[test]
fn externaldata_reads_the_local_file_the_user_maps_to_its_url() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "domains.csv",
        "domain,source\nmoocow.my,feed\nexample.org,feed\n",
    );
    let kql = r#"let bad = externaldata(domain: string, source: string) [@"https://feeds.example.net/lists/domains.csv"] with (format="csv", ignoreFirstRecord=true);
DnsEvents | where Name has_any (bad) | summarize n = count() by Name | order by Name asc | take 2"#;
    let by_url = query(
        kql,
        &[
            "--external",
            &format!(
                "https://feeds.example.net/lists/domains.csv={}",
                dir.path().join("domains.csv").display()
            ),
        ],
    );
    assert_eq!(by_url.status.code(), Some(1), "{}", stderr(&by_url));
    let by_dir = query(kql, &["--external-dir", dir.path().to_str().unwrap()]);
    assert_eq!(by_dir.stdout, by_url.stdout);
    assert_eq!(rows(&by_url)[0], r#"{"Name":"api.moocow.my","n":1}"#);

    // No local file: `rules` accepts the query, the scan fails naming the URL and the flag.
    let rule = write(dir.path(), "needs_feed.kql", kql);
    let listed = loghunt(&["rules", rule.to_str().unwrap()]);
    assert_eq!(listed.status.code(), Some(0), "{}", stderr(&listed));
    let missing = loghunt(&[
        "scan",
        "--now",
        NOW,
        "-q",
        "--rules",
        rule.to_str().unwrap(),
        "sample-logs",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    let err = stderr(&missing);
    assert!(
        err.contains("no local file for https://feeds.example.net/lists/domains.csv")
            && err.contains("--external")
            && err.contains("--external-dir"),
        "{err}"
    );
}

#[test]
fn a_watchlist_is_read_from_its_csv_file() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "vip.csv", "Host,Owner\ndc01.contoso.local,ops\n");
    let kql = "let vip = _GetWatchlist('vips') | project SearchKey, Owner;\
               DnsEvents | summarize n = count() by Computer | join kind=inner vip on $left.Computer == $right.SearchKey | project Computer, Owner, n";
    let output = query(kql, &["--watchlist", &format!("vips={}", csv.display())]);
    assert_eq!(
        rows(&output),
        [r#"{"Computer":"dc01.contoso.local","Owner":"ops","n":20}"#],
        "{}",
        stderr(&output)
    );
    let without = query(kql, &[]);
    assert_eq!(without.status.code(), Some(2));
    assert!(
        stderr(&without).contains("--watchlist 'vips=PATH'"),
        "{}",
        stderr(&without)
    );
}

#[test]
fn refusals_name_what_and_where() {
    let cases = [
        (
            "DeviceFileEvents\n| invoke FileProfile(SHA1, 1000)",
            "query.kql:2:10: rule query: `FileProfile()` needs Microsoft's cloud",
        ),
        (
            "DnsEvents | make-series count() on TimeGenerated step 1h",
            "query.kql:1:13: rule query: unsupported operator `make-series`",
        ),
        (
            "DnsEvents | extend x = series_fit_line(Name)",
            "query.kql:1:24: rule query: unsupported function `series_fit_line()`",
        ),
        (
            "DnsEvents | summarize by Computer | extend n = row_number()",
            "query.kql:1:48: rule query: `row_number()` needs serialized rows",
        ),
    ];
    for (kql, expected) in cases {
        let output = query(kql, &[]);
        assert_eq!(output.status.code(), Some(2), "{kql}");
        assert!(stderr(&output).contains(expected), "{kql}\n{}", stderr(&output));
    }
}

#[test]
fn render_is_accepted_and_reported_as_ignored() {
    let output = loghunt(&[
        "query",
        "--now",
        NOW,
        "--format",
        "jsonl",
        "DnsEvents | summarize count() by QueryType | render piechart",
        "sample-logs",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("ignored: render at 1:46 (presentation only)"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_memory_limit_stops_a_query_naming_the_operator() {
    let output = query(
        "DeviceFileEvents | join kind=inner (DeviceFileEvents) on DeviceId",
        &["--max-memory", "1K"],
    );
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("over --max-memory (1 KB)"), "{err}");
    // Groups built on the workers count too, and the error names the operator.
    let output = query(
        "DeviceFileEvents | summarize make_list(FolderPath) by DeviceName",
        &["--max-memory", "2K"],
    );
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("rule query: `summarize` over DeviceFileEvents holds 3 groups")
            && err.contains("over --max-memory (2 KB)"),
        "{err}"
    );
}

#[test]
fn rules_check_lists_accepted_and_refused_queries() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a_good.kql", "DnsEvents | summarize count() by Computer");
    write(dir.path(), "b_cloud.kql", "DeviceFileEvents | invoke FileProfile()");
    let output = loghunt(&["rules", "--check", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("accepted  ") && lines[0].ends_with("a_good.kql"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("refused   ") && lines[1].contains("b_cloud.kql:1:27"),
        "{text}"
    );
    assert_eq!(lines[2], "accepted 1 of 2 queries (50.0%)");
}

#[test]
fn a_query_mixing_the_two_variants_of_a_table_gets_a_warning() {
    let output = loghunt(&[
        "query",
        "--now",
        NOW,
        "-q",
        "DeviceProcessEvents | where Timestamp > ago(1d) and TimeGenerated > ago(1d) | count",
        "sample-logs",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(
            "warning: rule query: the query reads DeviceProcessEvents with columns only its Advanced Hunting schema has (Timestamp) and columns only its Log Analytics schema has (TimeGenerated)"
        ),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_join_that_would_outgrow_the_memory_limit_stops_as_it_grows() {
    // 3,000 × 3,000 rows on one key: nine million pairs, stopped long before they exist.
    let output = query(
        "range x from 1 to 3000 step 1 | extend k = 1 | join kind=inner (range y from 1 to 3000 step 1 | extend k = 1) on k | count",
        &["--max-memory", "8M"],
    );
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("`join` would make more than") && err.contains("over --max-memory (8.0 MB)"),
        "{err}"
    );
}

/// A pipeline that ends in a `summarize` fills only the columns it reads of each record's row
/// (the keys', the aggregates' and those of the `extend`, `parse` or `mv-expand` before them),
/// the others left empty. Its groups must be those of the same operators run after the scan on
/// whole rows (a `take` first keeps them off the workers, and a `pack_all()` at the end keeps
/// the rows whole), whether the records are parsed for the named columns only or whole
/// (because another pipeline of the scan keeps whole rows: the right side of a `leftanti` join
/// that matches nothing), and on the plain path.
#[test]
fn a_summarize_reads_its_columns_whether_records_are_parsed_whole_or_not() {
    // A table, the operators after it, and a column of their result to join on.
    let cases = [
        (
            "DeviceFileEvents",
            "extend x = strcat(DeviceName, '/', ActionType) | summarize n = count(), files = make_set(FileName), size = sum(FileSize) by x, DeviceName",
            "DeviceName",
        ),
        (
            "DnsEvents",
            "parse Name with host '.' rest | summarize n = count(), first = min(TimeGenerated) by host, Computer",
            "Computer",
        ),
        (
            "DeviceFileEvents",
            "extend parts = split(FolderPath, '\\\\') | mv-expand part = parts to typeof(string) | summarize n = count() by part, DeviceName",
            "DeviceName",
        ),
    ];
    let sorted = |output: &Output| {
        let mut rows = rows(output);
        rows.sort();
        rows
    };
    for (table, ops, key) in cases {
        let kql = format!("{table} | {ops}");
        let truth = sorted(&query(
            &format!(
                "{table} | take 1000000 | {ops} | extend whole_row_marker = pack_all() | project-away whole_row_marker"
            ),
            &[],
        ));
        assert!(truth.len() > 1, "{kql}: {truth:?}");
        assert_eq!(sorted(&query(&kql, &[])), truth, "{kql}");
        let whole = format!("{kql} | join kind=leftanti ({table} | where {key} == 'no such value') on {key}");
        assert_eq!(sorted(&query(&whole, &[])), truth, "{whole}");
        let plain = query(&whole, &["--no-prefilter", "--threads", "1"]);
        assert_eq!(sorted(&plain), truth, "{whole}, plain path");
    }
}

/// Rows that end in a `project` or `summarize` are read for the columns the query names only;
/// `pack_all()` reads every column, so a query with it keeps whole rows. The two must agree.
#[test]
fn reading_only_the_named_columns_changes_no_result() {
    let queries = [
        "DeviceFileEvents | where FileName endswith '.exe' | join kind=leftouter (DnsEvents | extend DeviceName = Computer) on DeviceName | summarize n = count(), names = make_set(Name) by DeviceName, FileName | order by DeviceName asc, FileName asc",
        "union (DeviceFileEvents | project T = Timestamp, D = DeviceName), (DnsEvents | project T = TimeGenerated, D = Computer) | summarize count() by D, bin(T, 1d) | order by D asc, T asc",
        "DnsEvents | extend parts = split(Name, '.') | mv-expand part = parts to typeof(string) | summarize n = count() by part | order by n desc, part asc | take 10",
        "DeviceFileEvents | where FolderPath has 'Temp' | project DeviceName, FileName, SHA256 | order by DeviceName asc, FileName asc",
    ];
    for kql in queries {
        let narrow = query(kql, &[]);
        let whole = query(
            &format!("{kql} | extend whole_row_marker = pack_all() | project-away whole_row_marker"),
            &[],
        );
        assert!(!rows(&narrow).is_empty(), "{kql}: {}", stderr(&narrow));
        assert_eq!(rows(&narrow), rows(&whole), "{kql}");
        let plain = query(kql, &["--no-prefilter", "--threads", "1"]);
        assert_eq!(rows(&narrow), rows(&plain), "{kql}");
    }
}
