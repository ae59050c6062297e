//! The query engine's operators, table-driven: each case is a query over `datatable` inputs (no
//! logs needed) and the exact result table it must give, columns and rows in order. Cases come
//! from the examples of Microsoft's Kusto documentation where a page has one (cited above the
//! case), and from Kusto's documented semantics elsewhere.

use std::path::Path;

#[path = "engine/joins.rs"]
mod joins;
#[path = "engine/rows.rs"]
mod rows;
#[path = "engine/scalars.rs"]
mod scalars;
#[path = "engine/sources.rs"]
mod sources;
#[path = "engine/tabular.rs"]
mod tabular;

use loghunt::plan::Plan;
use loghunt::rules::load_text;
use loghunt::time::parse_datetime;
use loghunt::value::Value;

const NOW: &str = "2026-06-21T00:00:00Z";

/// A result as text: the column names, then each row's cells (`Value::to_json`, compact; a
/// string as its JSON string; a NaN or infinite real as `"NaN"`, `"Infinity"`, `"-Infinity"`).
struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn cell(value: &Value) -> String {
    match value {
        // JSON has no NaN or infinities; Kusto's JSON results write them as these strings.
        Value::Real(r) if r.is_nan() => "\"NaN\"".into(),
        Value::Real(r) if r.is_infinite() => (if *r > 0.0 { "\"Infinity\"" } else { "\"-Infinity\"" }).into(),
        _ => value.to_json().to_string(),
    }
}

/// Compiles and runs a query that reads no logs.
fn run(query: &str) -> Result<Table, String> {
    let (rule, _) = load_text(Path::new("case.kql"), query).map_err(|e| e.to_string())?;
    let now = parse_datetime(NOW).unwrap();
    let plan = Plan::compile(&[rule], now).map_err(|e| e.to_string())?;
    let collected = vec![Vec::new(); plan.pipelines.len()];
    let mut externals = |_: usize, _: &loghunt::plan::query::External| {
        Err(loghunt::plan::query::RunError {
            message: "no external data in these tests".into(),
        })
    };
    let results = plan
        .finish(collected, &mut externals, now, usize::MAX)
        .map_err(|(_, e)| e.to_string())?;
    let result = results.into_iter().next().ok_or("no result")?;
    Ok(Table {
        columns: result.columns.iter().map(|c| c.name.clone()).collect(),
        rows: result
            .rows
            .iter()
            .map(|r| r.values.iter().map(cell).collect())
            .collect(),
    })
}

/// Checks each (query, expected) case; `expected` is the header line, then one line per row,
/// cells separated by ` | `; or `error: text`, for a query that must fail with a message
/// containing `text`.
fn check(cases: &[(&str, &str)]) {
    let mut failures = Vec::new();
    for (query, expected) in cases {
        let got = match run(query) {
            Ok(table) => {
                let mut lines = vec![table.columns.join(" | ")];
                lines.extend(table.rows.iter().map(|r| r.join(" | ")));
                lines.join("\n")
            }
            Err(e) => format!("error: {e}"),
        };
        let expected = expected
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        let matches = match (got.strip_prefix("error: "), expected.strip_prefix("error: ")) {
            (Some(message), Some(part)) => message.contains(part),
            _ => got == expected,
        };
        if !matches {
            failures.push(format!("{query}\n--- got:\n{got}\n--- expected:\n{expected}\n"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

const T: &str = r#"let T = datatable(Name: string, Size: long, Seen: datetime) [
    "a", 10, datetime(2026-01-01 10:00:00),
    "b", 20, datetime(2026-01-01 10:30:00.1234567),
    "a", 30, datetime(2026-01-01 11:15:00),
    "c", long(null), datetime(2026-01-02),
];"#;

#[test]
fn streaming_operators() {
    let q = |body: &str| format!("{T}\n{body}");
    check(&[
        (
            &q("T | where Size > 15 | project Name, Size"),
            r#"Name | Size
               "b" | 20
               "a" | 30"#,
        ),
        (
            &q("T | extend Double = Size * 2, Half = Size / 4 | project Name, Double, Half | take 2"),
            r#"Name | Double | Half
               "a" | 20 | 2
               "b" | 40 | 5"#,
        ),
        (
            &q("T | project-away Seen | project-rename Label = Name | take 1"),
            r#"Label | Size
               "a" | 10"#,
        ),
        (
            &q("T | project-reorder Size | take 1"),
            r#"Size | Name | Seen
               10 | "a" | "2026-01-01T10:00:00Z""#,
        ),
        (
            &q("T | project-keep N* | take 1"),
            r#"Name
               "a""#,
        ),
        (
            &q("T | where Seen between (datetime(2026-01-01 10:30) .. datetime(2026-01-01 11:00)) | project Seen"),
            r#"Seen
               "2026-01-01T10:30:00.1234567Z""#,
        ),
    ]);
}

#[test]
fn summarize_groups_in_order_of_first_row() {
    let q = |body: &str| format!("{T}\n{body}");
    check(&[
        (
            &q("T | summarize n = count(), total = sum(Size) by Name"),
            r#"Name | n | total
               "a" | 2 | 40
               "b" | 1 | 20
               "c" | 1 | 0"#,
        ),
        (
            &q("T | summarize count() by bin(Seen, 1h)"),
            r#"Seen | count_
               "2026-01-01T10:00:00Z" | 2
               "2026-01-01T11:00:00Z" | 1
               "2026-01-02T00:00:00Z" | 1"#,
        ),
        (
            &q("T | summarize arg_max(Size, *) by Name"),
            r#"Name | Size | Seen
               "a" | 30 | "2026-01-01T11:15:00Z"
               "b" | 20 | "2026-01-01T10:30:00.1234567Z"
               "c" | null | "2026-01-02T00:00:00Z""#,
        ),
        (
            &q("T | where Size > 100 | summarize count(), make_set(Name)"),
            r#"count_ | set_Name
               0 | []"#,
        ),
    ]);
}

#[test]
fn joins_follow_kustos_kinds() {
    // https://learn.microsoft.com/kusto/query/join-operator: X has a key twice, Y has keys
    // X lacks; innerunique keeps one left row per key (loghunt: the first in input order).
    let xy = r#"let X = datatable(Key: string, Value1: long) ["a", 1, "b", 2, "b", 3, "c", 4];
let Y = datatable(Key: string, Value2: long) ["b", 10, "c", 20, "c", 30, "d", 40];"#;
    let q = |kind: &str| format!("{xy}\nX | join kind={kind} Y on Key");
    check(&[
        (
            &format!("{xy}\nX | join Y on Key"),
            r#"Key | Value1 | Key1 | Value2
               "b" | 2 | "b" | 10
               "c" | 4 | "c" | 20
               "c" | 4 | "c" | 30"#,
        ),
        (
            &q("inner"),
            r#"Key | Value1 | Key1 | Value2
               "b" | 2 | "b" | 10
               "b" | 3 | "b" | 10
               "c" | 4 | "c" | 20
               "c" | 4 | "c" | 30"#,
        ),
        (
            &q("leftouter"),
            r#"Key | Value1 | Key1 | Value2
               "a" | 1 | "" | null
               "b" | 2 | "b" | 10
               "b" | 3 | "b" | 10
               "c" | 4 | "c" | 20
               "c" | 4 | "c" | 30"#,
        ),
        (
            &q("leftanti"),
            r#"Key | Value1
               "a" | 1"#,
        ),
        (
            &q("leftsemi"),
            r#"Key | Value1
               "b" | 2
               "b" | 3
               "c" | 4"#,
        ),
        (
            &q("rightanti"),
            r#"Key | Value2
               "d" | 40"#,
        ),
        (
            &q("rightsemi"),
            r#"Key | Value2
               "b" | 10
               "c" | 20
               "c" | 30"#,
        ),
    ]);
}
