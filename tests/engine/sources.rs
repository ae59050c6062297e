//! Sources and statements: `datatable`, `print`, `range`, tabular `let`, `materialize()`,
//! `toscalar()`, `in (subquery)`, `serialize` with window functions, `as`, `render`, `invoke`,
//! user functions, `view`.

use super::check;

const T: &str = r#"let T = datatable(Name: string, Size: long) ["a", 10, "b", 20, "a", 30, "c", long(null)];"#;

#[test]
fn datatable_print_range() {
    check(&[
        // https://learn.microsoft.com/kusto/query/datatable-operator
        (
            r#"datatable(Date: datetime, Event: string, MoreData: dynamic) [
    datetime(1910-06-11), "Born", dynamic({"key1": "value3", "key2": "value4"}),
    datetime(1930-01-01), "Enters Ecole Navale", dynamic({"key1": "value5", "key2": "value6"}),
    datetime(1953-01-01), "Published first book", dynamic({"key1": "value7", "key2": "value8"})
]
| take 1"#,
            r#"Date | Event | MoreData
               "1910-06-11T00:00:00Z" | "Born" | {"key1":"value3","key2":"value4"}"#,
        ),
        (
            "datatable(i: int, l: long, r: real, b: bool, t: timespan, g: guid) [1, 2, 2.5, true, 1h, guid(00000000-0000-0000-0000-000000000001)]",
            r#"i | l | r | b | t | g
               1 | 2 | 2.5 | true | "01:00:00" | "00000000-0000-0000-0000-000000000001""#,
        ),
        // https://learn.microsoft.com/kusto/query/print-operator
        (
            "print 0 + 1 + 2 + 3 + 4 + 5, x = \"Wow!\"",
            r#"print_0 | x
               15 | "Wow!""#,
        ),
        // https://learn.microsoft.com/kusto/query/range-operator
        (
            "range Steps from 1 to 8 step 3",
            r#"Steps
               1
               4
               7"#,
        ),
        (
            "range d from datetime(2026-01-01) to datetime(2026-01-02) step 12h",
            r#"d
               "2026-01-01T00:00:00Z"
               "2026-01-01T12:00:00Z"
               "2026-01-02T00:00:00Z""#,
        ),
        (
            "range x from 5 to 1 step -2",
            r#"x
               5
               3
               1"#,
        ),
        (
            "range x from 1 to 0 step 1",
            "x",
        ),
    ]);
}

#[test]
fn let_materialize_toscalar_in() {
    let q = |body: &str| format!("{T}\n{body}");
    check(&[
        // https://learn.microsoft.com/kusto/query/let-statement: a tabular let, used twice.
        (
            &q("let Big = T | where Size > 15; Big | join kind=inner (Big | project Name, Other = Size) on Name | project Name, Size, Other"),
            r#"Name | Size | Other
               "b" | 20 | 20
               "a" | 30 | 30"#,
        ),
        // https://learn.microsoft.com/kusto/query/materialize-function
        (
            &q("let m = materialize(T | summarize n = count() by Name); m | where n > 1 | union (m | where n == 1) | project Name, n"),
            r#"Name | n
               "a" | 2
               "b" | 1
               "c" | 1"#,
        ),
        // https://learn.microsoft.com/kusto/query/toscalar-function
        (
            &q("let total = toscalar(T | summarize sum(Size)); T | project Name, Pct = Size * 100 / total"),
            r#"Name | Pct
               "a" | 16
               "b" | 33
               "a" | 50
               "c" | null"#,
        ),
        (
            &q("T | extend Max = toscalar(T | summarize max(Size)) | where Size == Max | project Name"),
            r#"Name
               "a""#,
        ),
        // toscalar of an empty result is null.
        (
            &q("print v = toscalar(T | where Size > 100 | project Size)"),
            r#"v
               null"#,
        ),
        // https://learn.microsoft.com/kusto/query/in-operator: `in` with a tabular subquery
        // (its first column).
        (
            &q("let Wanted = datatable(n: string, other: long) [\"a\", 1, \"c\", 2]; T | where Name in (Wanted) | project Name, Size"),
            r#"Name | Size
               "a" | 10
               "a" | 30
               "c" | null"#,
        ),
        (
            &q("T | where Name !in ((T | where Size > 15 | project Name)) | project Name"),
            r#"Name
               "c""#,
        ),
        (
            &q("T | where Name in~ ((datatable(n: string) [\"B\"])) | project Name"),
            r#"Name
               "b""#,
        ),
    ]);
}

#[test]
fn serialize_and_window_functions() {
    check(&[
        // https://learn.microsoft.com/kusto/query/serialize-operator,
        // https://learn.microsoft.com/kusto/query/prev-function, next-function,
        // row-number-function.
        (
            "range x from 1 to 4 step 1 | serialize | extend p = prev(x), n = next(x), rn = row_number(), p2 = prev(x, 2), pd = prev(x, 1, 0)",
            r#"x | p | n | rn | p2 | pd
               1 | null | 2 | 1 | null | 0
               2 | 1 | 3 | 2 | null | 1
               3 | 2 | 4 | 3 | 1 | 2
               4 | 3 | null | 4 | 2 | 3"#,
        ),
        (
            "range x from 1 to 3 step 1 | serialize rn = row_number(10)",
            r#"x | rn
               1 | 10
               2 | 11
               3 | 12"#,
        ),
        // The output of `order by` is serialized.
        (
            "range x from 1 to 3 step 1 | order by x desc | extend rn = row_number(), d = x - next(x)",
            r#"x | rn | d
               3 | 1 | 1
               2 | 2 | 1
               1 | 3 | null"#,
        ),
        // Without serialization, a window function is an error.
        (
            "datatable(x: long) [1, 2] | summarize by x | extend rn = row_number()",
            "error: row_number",
        ),
    ]);
}

#[test]
fn as_render_invoke_functions_view() {
    let q = |body: &str| format!("{T}\n{body}");
    check(&[
        // https://learn.microsoft.com/kusto/query/as-operator
        (
            &q("T | where Size > 15 | as Big | count"),
            r#"Count
               2"#,
        ),
        // https://learn.microsoft.com/kusto/query/render-operator: accepted, no effect here.
        (
            &q("T | summarize n = count() by Name | render barchart"),
            r#"Name | n
               "a" | 2
               "b" | 1
               "c" | 1"#,
        ),
        (
            &q("T | count | render timechart with (title = \"x\")"),
            r#"Count
               4"#,
        ),
        // https://learn.microsoft.com/kusto/query/invoke-operator
        (
            &q("let big = (t: (Size: long), limit: long) { t | where Size > limit }; T | invoke big(15) | project Name"),
            r#"Name
               "b"
               "a""#,
        ),
        (
            &q("let f = (t: (*)) { t | count }; T | invoke f()"),
            r#"Count
               4"#,
        ),
        // https://learn.microsoft.com/kusto/query/functions/user-defined-functions: scalar
        // parameters with a default.
        (
            "let f = (a: long, b: long = 10) { a + b }; print x = f(1), y = f(1, 2)",
            r#"x | y
               11 | 3"#,
        ),
        (
            &q("let over = (n: long) { T | where Size > n }; over(25) | project Name"),
            r#"Name
               "a""#,
        ),
        // https://learn.microsoft.com/kusto/query/let-statement: `view`.
        (
            "let V = view () { print x = 1 }; union V, (print x = 2)",
            r#"x
               1
               2"#,
        ),
        (
            "let V = view () { print x = 1 }; let W = view () { print x = 2 }; union withsource = TableName V, W",
            r#"TableName | x
               "V" | 1
               "W" | 2"#,
        ),
    ]);
}
