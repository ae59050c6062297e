//! `union`, `summarize`, `distinct`, `top`, `order by`, `take`, `count`.

use super::check;

#[test]
fn union() {
    let ab = r#"let A = datatable(a: long, b: string) [1, "x"];
let B = datatable(a: long, c: real) [2, 1.5];"#;
    let q = |body: &str| format!("{ab}\n{body}");
    check(&[
        // https://learn.microsoft.com/kusto/query/union-operator: outer (the default) has every
        // column; a cell a leg lacks is null ("" for a string, which is never null).
        (
            &q("union A, B"),
            r#"a | b | c
               1 | "x" | null
               2 | "" | 1.5"#,
        ),
        (
            &q("union kind=outer A, B"),
            r#"a | b | c
               1 | "x" | null
               2 | "" | 1.5"#,
        ),
        // inner: only the columns common to all legs.
        (
            &q("union kind=inner A, B"),
            r#"a
               1
               2"#,
        ),
        (
            &q("union withsource=Src A, B"),
            r#"Src | a | b | c
               "A" | 1 | "x" | null
               "B" | 2 | "" | 1.5"#,
        ),
        (
            &q("A | union B"),
            r#"a | b | c
               1 | "x" | null
               2 | "" | 1.5"#,
        ),
        // Parenthesized legs, each with its own pipeline.
        (
            &q("union (A | project a), (B | where a > 1 | project a, c), (print a = 3)"),
            r#"a | c
               1 | null
               2 | 1.5
               3 | null"#,
        ),
        // Same page, "Distinct count": the union pipeline continues after the legs.
        (
            &q("union withsource=SourceTable kind=outer A, B | summarize dcount(a)"),
            r#"dcount_a
               2"#,
        ),
        // Same page, "Using isfuzzy=true": View_3 does not exist.
        (
            r#"let View_1 = view () { print x=1 };
let View_2 = view () { print x=1 };
let OtherView_1 = view () { print x=1 };
union isfuzzy=true
(View_1 | where x > 0),
(View_2 | where x > 0),
(View_3 | where x > 0)
| count"#,
            r#"Count
               2"#,
        ),
        // Same page, "Source columns types mismatch". The page's example mixes `int` and
        // `long`, which loghunt keeps as one 64-bit integer type (README, "Values"), so the
        // same rule is shown with a `string` column: each type gets its own `x_<type>` column,
        // made unique against a leg's own `x_long`.
        (
            r#"let View_1 = view () { print x=1 };
let View_2 = view () { datatable(x: string) ["2"] };
union withsource=TableName View_1, View_2"#,
            r#"TableName | x_long | x_string
               "View_1" | 1 | ""
               "View_2" | null | "2""#,
        ),
        (
            r#"let View_1 = view () { print x=1 };
let View_2 = view () { datatable(x: string) ["2"] };
let View_3 = view () { print x_long=3 };
union withsource=TableName View_1, View_2, View_3"#,
            r#"TableName | x_long1 | x_string | x_long
               "View_1" | 1 | "" | null
               "View_2" | null | "2" | null
               "View_3" | null | "" | 3"#,
        ),
        (
            r#"let View_1 = view () { print x=1 };
let View_2 = view () { datatable(x: int) [2] };
union withsource=TableName View_1, View_2"#,
            r#"TableName | x
               "View_1" | 1
               "View_2" | 2"#,
        ),
    ]);
}

/// Rows with keys of several types, null keys, duplicates.
const E: &str = r#"let E = datatable(User: string, Bytes: long, At: datetime, Ok: bool) [
    "bob", 100, datetime(2026-01-01 10:00), true,
    "amy", 300, datetime(2026-01-01 09:00), false,
    "bob", 200, datetime(2026-01-02), true,
    "cat", long(null), datetime(2026-01-03), bool(null),
    "amy", 300, datetime(2026-01-01 08:00), true,
    "", 50, datetime(null), false,
];"#;

#[test]
fn summarize_documented_examples() {
    // https://learn.microsoft.com/kusto/query/summarize-operator
    check(&[
        (
            "datatable(x:long)[] | summarize count(x), countif(x > 0), dcount(x), dcountif(x, x > 0)",
            r#"count_x | countif_ | dcount_x | dcountif_x
               0 | 0 | 0 | 0"#,
        ),
        (
            "datatable(x:long)[] | summarize make_set(x), make_list(x)",
            r#"set_x | list_x
               [] | []"#,
        ),
        (
            "datatable(x:long)[] | summarize any_x=take_any(x), max(x), min(x), percentile(x, 55), stdev(x), sum(x), sumif(x, x > 0), variance(x)",
            r#"any_x | max_x | min_x | percentile_x_55 | stdev_x | sum_x | sumif_x | variance_x
               null | null | null | null | 0.0 | 0 | 0 | 0.0"#,
        ),
        // "The result of avg_x(x) is NaN due to dividing by 0" (NaN has no JSON form: the
        // harness prints what `Value::to_json` gives).
        (
            "datatable(x:long)[] | summarize avg(x)",
            r#"avg_x
               "NaN""#,
        ),
        // `range ... | extend y = iff(x == 1, real(null), real(5))` written as a datatable.
        (
            "datatable(y: real) [real(null), 5.0, 5.0, 5.0] | summarize sum(y), avg(y)",
            r#"sum_y | avg_y
               15.0 | 5.0"#,
        ),
        (
            "datatable(y: real) [real(null), 5.0] | summarize count(y)",
            r#"count_y
               2"#,
        ),
        (
            "datatable(y: real) [real(null), 5.0] | summarize make_set(y), make_set(y)",
            r#"set_y | set_y1
               [5.0] | [5.0]"#,
        ),
        // With a group key and no rows: no rows.
        (
            "datatable(k: string, v: long) [] | summarize count(), sum(v) by k",
            "k | count_ | sum_v",
        ),
        (
            "datatable(k: string, v: long) [] | summarize count(), sum(v)",
            r#"count_ | sum_v
               0 | 0"#,
        ),
    ]);
}

#[test]
fn summarize_with_functions() {
    // https://learn.microsoft.com/kusto/query/summarize-operator, as written.
    check(&[
        (
            "range x from 1 to 4 step 1 | extend y = iff(x == 1, real(null), real(5)) | summarize sum(y), avg(y)",
            r#"sum_y | avg_y
               15.0 | 5.0"#,
        ),
        (
            "range x from 1 to 2 step 1 | extend y = iff(x == 1, real(null), real(5)) | summarize count(y)",
            r#"count_y
               2"#,
        ),
        (
            &format!("{E}\nE | summarize n = count() by At | where isnull(At) or At < datetime(2026-01-01 09:30)"),
            r#"At | n
               "2026-01-01T09:00:00Z" | 1
               "2026-01-01T08:00:00Z" | 1
               null | 1"#,
        ),
        (
            &format!("{E}\nE | summarize n = count() by bin(Bytes, 100)"),
            r#"Bytes | n
               100 | 1
               300 | 2
               200 | 1
               null | 1
               0 | 1"#,
        ),
    ]);
}

#[test]
fn summarize_keys_and_aggregates() {
    let q = |body: &str| format!("{E}\n{body}");
    check(&[
        // Groups in order of their first row; a null key is one group; "" is a key like any.
        (
            &q("E | summarize n = count(), top = max(Bytes) by User"),
            r#"User | n | top
               "bob" | 2 | 200
               "amy" | 2 | 300
               "cat" | 1 | null
               "" | 1 | 50"#,
        ),
        (
            &q("E | summarize n = count() by Bytes"),
            r#"Bytes | n
               100 | 1
               300 | 2
               200 | 1
               null | 1
               50 | 1"#,
        ),
        (
            &q("E | summarize n = count() by Ok, User"),
            r#"Ok | User | n
               true | "bob" | 2
               false | "amy" | 1
               null | "cat" | 1
               true | "amy" | 1
               false | "" | 1"#,
        ),
        (
            &q("E | summarize n = count() by At | where At < datetime(2026-01-01 09:30) or At > datetime(2026-01-02 12:00)"),
            r#"At | n
               "2026-01-01T09:00:00Z" | 1
               "2026-01-03T00:00:00Z" | 1
               "2026-01-01T08:00:00Z" | 1"#,
        ),
        (
            &q("E | summarize n = count() by At | where At > datetime(2026-01-02 12:00) or At == datetime(null) or n == 1 | take 10 | count"),
            r#"Count
               6"#,
        ),
        (
            &q("E | summarize by Big = Bytes > 150"),
            r#"Big
               false
               true
               null"#,
        ),
        (
            &q("E | where User != '' | summarize dcount(User), make_set(User), make_list(Bytes), countif(Bytes > 150), avg(Bytes)"),
            r#"dcount_User | set_User | list_Bytes | countif_ | avg_Bytes
               3 | ["bob","amy","cat"] | [100,300,200,300] | 3 | 225.0"#,
        ),
        (
            &q("E | where User != '' | summarize min(User), max(User), min(At), max(At), min(Bytes), max(Bytes)"),
            r#"min_User | max_User | min_At | max_At | min_Bytes | max_Bytes
               "amy" | "cat" | "2026-01-01T08:00:00Z" | "2026-01-03T00:00:00Z" | 100 | 300"#,
        ),
        (
            &q("E | where User != '' | summarize percentiles(Bytes, 50, 100), percentile(Bytes, 0)"),
            r#"percentile_Bytes_50 | percentile_Bytes_100 | percentile_Bytes_0
               200 | 300 | 100"#,
        ),
        (
            &q("E | where Bytes > 0 | summarize arg_max(Bytes, *) by Ok"),
            r#"Ok | Bytes | User | At
               true | 300 | "amy" | "2026-01-01T08:00:00Z"
               false | 300 | "amy" | "2026-01-01T09:00:00Z""#,
        ),
        (
            &q("E | summarize arg_min(At, User, Bytes) by Ok"),
            r#"Ok | At | User | Bytes
               true | "2026-01-01T08:00:00Z" | "amy" | 300
               false | "2026-01-01T09:00:00Z" | "amy" | 300
               null | "2026-01-03T00:00:00Z" | "cat" | null"#,
        ),
        (
            &q("E | summarize Top = max(Bytes), Count = count(), Sizes = dcount(Bytes) by Ok"),
            r#"Ok | Top | Count | Sizes
               true | 300 | 3 | 3
               false | 300 | 2 | 2
               null | null | 1 | 0"#,
        ),
    ]);
}

const T: &str = r#"let T = datatable(Name: string, Size: long, Seen: datetime) [
    "a", 10, datetime(2026-01-01 10:00:00),
    "b", 20, datetime(2026-01-01 10:30:00),
    "a", 30, datetime(2026-01-01 11:15:00),
    "c", long(null), datetime(2026-01-02),
    "b", 20, datetime(2026-01-03),
];"#;

#[test]
fn distinct_top_order_take_count() {
    let q = |body: &str| format!("{T}\n{body}");
    check(&[
        // https://learn.microsoft.com/kusto/query/distinct-operator (distinct rows in order of
        // their first appearance).
        (
            &q("T | distinct Name"),
            r#"Name
               "a"
               "b"
               "c""#,
        ),
        (
            &q("T | distinct Name, Size"),
            r#"Name | Size
               "a" | 10
               "b" | 20
               "a" | 30
               "c" | null"#,
        ),
        (
            &q("T | project Name, Size | distinct *"),
            r#"Name | Size
               "a" | 10
               "b" | 20
               "a" | 30
               "c" | null"#,
        ),
        // https://learn.microsoft.com/kusto/query/top-operator: desc by default, nulls last.
        (
            &q("T | top 2 by Size"),
            r#"Name | Size | Seen
               "a" | 30 | "2026-01-01T11:15:00Z"
               "b" | 20 | "2026-01-01T10:30:00Z""#,
        ),
        (
            &q("T | top 2 by Size asc"),
            r#"Name | Size | Seen
               "c" | null | "2026-01-02T00:00:00Z"
               "a" | 10 | "2026-01-01T10:00:00Z""#,
        ),
        (
            &q("T | top 2 by Size asc nulls last"),
            r#"Name | Size | Seen
               "a" | 10 | "2026-01-01T10:00:00Z"
               "b" | 20 | "2026-01-01T10:30:00Z""#,
        ),
        (
            &q("T | top 1 by Size desc nulls first | project Name"),
            r#"Name
               "c""#,
        ),
        // https://learn.microsoft.com/kusto/query/sort-operator: desc by default, nulls last for
        // desc and first for asc; ties keep input order.
        (
            &q("T | order by Size | project Name, Size"),
            r#"Name | Size
               "a" | 30
               "b" | 20
               "b" | 20
               "a" | 10
               "c" | null"#,
        ),
        (
            &q("T | sort by Size asc | project Name, Size"),
            r#"Name | Size
               "c" | null
               "a" | 10
               "b" | 20
               "b" | 20
               "a" | 30"#,
        ),
        (
            &q("T | order by Size asc nulls last | project Size"),
            r#"Size
               10
               20
               20
               30
               null"#,
        ),
        (
            &q("T | order by Name asc, Seen desc | project Name, Seen"),
            r#"Name | Seen
               "a" | "2026-01-01T11:15:00Z"
               "a" | "2026-01-01T10:00:00Z"
               "b" | "2026-01-03T00:00:00Z"
               "b" | "2026-01-01T10:30:00Z"
               "c" | "2026-01-02T00:00:00Z""#,
        ),
        (
            &q("T | order by Size desc, Name asc | project Name, Size, Seen | take 3"),
            r#"Name | Size | Seen
               "a" | 30 | "2026-01-01T11:15:00Z"
               "b" | 20 | "2026-01-01T10:30:00Z"
               "b" | 20 | "2026-01-03T00:00:00Z""#,
        ),
        // The special real values of the sort page: null and NaN together, then -inf .. +inf.
        (
            "datatable(v: real) [5.0, real(null), 0.0, real(+inf), real(nan), -5.0, real(-inf)] | order by v asc nulls first",
            r#"v
               null
               "NaN"
               "-Infinity"
               -5.0
               0.0
               5.0
               "Infinity""#,
        ),
        (
            "datatable(v: real) [5.0, real(null), 0.0, real(+inf), real(nan), -5.0, real(-inf)] | order by v desc nulls last",
            r#"v
               "Infinity"
               5.0
               0.0
               -5.0
               "-Infinity"
               "NaN"
               null"#,
        ),
        (
            &q("T | take 2 | project Name"),
            r#"Name
               "a"
               "b""#,
        ),
        (
            &q("T | limit 1 | project Name"),
            r#"Name
               "a""#,
        ),
        (
            &q("T | take 0"),
            "Name | Size | Seen",
        ),
        // https://learn.microsoft.com/kusto/query/count-operator
        (
            &q("T | count"),
            r#"Count
               5"#,
        ),
        (
            &q("T | where Size > 100 | count"),
            r#"Count
               0"#,
        ),
    ]);
}
