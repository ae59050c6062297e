//! Row-wise operators: `mv-expand`, `parse`, `parse-where`, `extend`, `project*`.

use super::check;

#[test]
fn mv_expand() {
    // https://learn.microsoft.com/kusto/query/mv-expand-operator
    check(&[
        (
            "datatable (a: int, b: dynamic) [1, dynamic([10, 20]), 2, dynamic(['a', 'b'])] | mv-expand b",
            r#"a | b
               1 | 10
               1 | 20
               2 | "a"
               2 | "b""#,
        ),
        (
            r#"datatable (a: int, b: dynamic) [
    1, dynamic({"prop1": "a1", "prop2": "b1"}),
    2, dynamic({"prop1": "a2", "prop2": "b2"})
] | mv-expand b"#,
            r#"a | b
               1 | {"prop1":"a1"}
               1 | {"prop2":"b1"}
               2 | {"prop1":"a2"}
               2 | {"prop2":"b2"}"#,
        ),
        (
            r#"datatable (a: int, b: dynamic) [
    1, dynamic({"prop1": "a1", "prop2": "b1"}),
    2, dynamic({"prop1": "a2", "prop2": "b2"})
] | mv-expand kind=array b | extend key = b[0], val = b[1]"#,
            r#"a | b | key | val
               1 | ["prop1","a1"] | "prop1" | "a1"
               1 | ["prop2","b1"] | "prop2" | "b1"
               2 | ["prop1","a2"] | "prop1" | "a2"
               2 | ["prop2","b2"] | "prop2" | "b2""#,
        ),
        // Zipped two columns: the shorter one is padded with null.
        (
            r#"datatable (a: int, b: dynamic, c: dynamic) [1, dynamic({"prop1": "a", "prop2": "b"}), dynamic([5, 4, 3])] | mv-expand b, c"#,
            r#"a | b | c
               1 | {"prop1":"a"} | 5
               1 | {"prop2":"b"} | 4
               1 | null | 3"#,
        ),
        // Cartesian product of two columns.
        (
            r#"datatable (a: int, b: dynamic, c: dynamic) [1, dynamic({"prop1": "a", "prop2": "b"}), dynamic([5, 6])] | mv-expand b | mv-expand c"#,
            r#"a | b | c
               1 | {"prop1":"a"} | 5
               1 | {"prop1":"a"} | 6
               1 | {"prop2":"b"} | 5
               1 | {"prop2":"b"} | 6"#,
        ),
        // Using with_itemindex.
        (
            "range x from 1 to 4 step 1 | summarize x = make_list(x) | mv-expand with_itemindex=Index x",
            r#"x | Index
               1 | 0
               2 | 1
               3 | 2
               4 | 3"#,
        ),
        // "If the dynamic value is null, then a single record is produced for that value (null).
        // If the dynamic value is an empty array or property bag, no record is produced."
        (
            "datatable (a: int, b: dynamic) [1, dynamic(null), 2, dynamic([]), 3, dynamic({}), 4, dynamic([7])] | mv-expand b",
            r#"a | b
               1 | null
               4 | 7"#,
        ),
        // `to typeof()`: "cast-only ... Array elements that don't conform with the declared type
        // become null values".
        (
            r#"datatable (a: string, c: dynamic) ["x", dynamic([1, "2", 3])] | mv-expand c to typeof(long) | extend d = c + 1"#,
            r#"a | c | d
               "x" | 1 | 2
               "x" | null | null
               "x" | 3 | 4"#,
        ),
        (
            "datatable (a: int, b: dynamic) [1, dynamic([1, 2, 3]), 2, dynamic([4, 5])] | mv-expand b limit 2",
            r#"a | b
               1 | 1
               1 | 2
               2 | 4
               2 | 5"#,
        ),
        // `Name = ArrayExpression` with a new name extends a column.
        (
            r#"datatable (a: int, b: dynamic) [1, dynamic({"x": [10, 20]})] | mv-expand v = b.x"#,
            r#"a | b | v
               1 | {"x":[10,20]} | 10
               1 | {"x":[10,20]} | 20"#,
        ),
        (
            "datatable (a: int, b: dynamic, c: dynamic) [1, dynamic([1, 2]), dynamic(['p'])] | mv-expand b to typeof(long), c to typeof(string)",
            r#"a | b | c
               1 | 1 | "p"
               1 | 2 | """#,
        ),
    ]);
}

const TRACES: &str = r#"let Traces = datatable(EventText: string)
[
"Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=27, sliceNumber=23, lockTime=02/17/2016 08:40:01, releaseTime=02/17/2016 08:40:01, previousLockTime=02/17/2016 08:39:01)",
"Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=27, sliceNumber=15, lockTime=02/17/2016 08:40:00, releaseTime=02/17/2016 08:40:00, previousLockTime=02/17/2016 08:39:00)",
"Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=27, sliceNumber=20, lockTime=02/17/2016 08:40:01, releaseTime=02/17/2016 08:40:01, previousLockTime=02/17/2016 08:39:01)",
"Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=27, sliceNumber=22, lockTime=02/17/2016 08:41:01, releaseTime=02/17/2016 08:41:00, previousLockTime=02/17/2016 08:40:01)",
"Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=27, sliceNumber=16, lockTime=02/17/2016 08:41:00, releaseTime=02/17/2016 08:41:00, previousLockTime=02/17/2016 08:40:00)"
];"#;

/// The parse-where page's traces: rows 1, 2 and 5 have a value that does not convert.
const BAD_TRACES: &str = r#"let Traces = datatable(EventText: string)
[
"Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=27, sliceNumber=invalid_number, lockTime=02/17/2016 08:40:01, releaseTime=02/17/2016 08:40:01, previousLockTime=02/17/2016 08:39:01)",
"Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=27, sliceNumber=15, lockTime=02/17/2016 08:40:00, releaseTime=invalid_datetime, previousLockTime=02/17/2016 08:39:00)",
"Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=27, sliceNumber=20, lockTime=02/17/2016 08:40:01, releaseTime=02/17/2016 08:40:01, previousLockTime=02/17/2016 08:39:01)",
"Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=27, sliceNumber=22, lockTime=02/17/2016 08:41:01, releaseTime=02/17/2016 08:41:00, previousLockTime=02/17/2016 08:40:01)",
"Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=invalid_number, sliceNumber=16, lockTime=02/17/2016 08:41:00, releaseTime=02/17/2016 08:41:00, previousLockTime=02/17/2016 08:40:00)"
];"#;

const SIMPLE_PATTERN: &str = r#"parse EventText with * "resourceName=" resourceName ", totalSlices=" totalSlices: long * "sliceNumber=" sliceNumber: long * "lockTime=" lockTime ", releaseTime=" releaseTime: date "," * "previousLockTime=" previousLockTime: date ")" *"#;

#[test]
fn parse() {
    // https://learn.microsoft.com/kusto/query/parse-operator (rows in input order; the page
    // lists them in another, unspecified order).
    let header = "resourceName | totalSlices | sliceNumber | lockTime | releaseTime | previousLockTime";
    let project = "| project resourceName, totalSlices, sliceNumber, lockTime, releaseTime, previousLockTime";
    check(&[
        (
            &format!("{TRACES}\nTraces | {SIMPLE_PATTERN} {project}"),
            &format!(
                r#"{header}
               "PipelineScheduler" | 27 | 23 | "02/17/2016 08:40:01" | "2016-02-17T08:40:01Z" | "2016-02-17T08:39:01Z"
               "PipelineScheduler" | 27 | 15 | "02/17/2016 08:40:00" | "2016-02-17T08:40:00Z" | "2016-02-17T08:39:00Z"
               "PipelineScheduler" | 27 | 20 | "02/17/2016 08:40:01" | "2016-02-17T08:40:01Z" | "2016-02-17T08:39:01Z"
               "PipelineScheduler" | 27 | 22 | "02/17/2016 08:41:01" | "2016-02-17T08:41:00Z" | "2016-02-17T08:40:01Z"
               "PipelineScheduler" | 27 | 16 | "02/17/2016 08:41:00" | "2016-02-17T08:41:00Z" | "2016-02-17T08:40:00Z""#
            ),
        ),
        // https://learn.microsoft.com/kusto/query/parse-where-operator, "Using parse": a row that
        // does not match (here: a value that does not convert) gets "" and nulls, and is kept.
        (
            &format!("{BAD_TRACES}\nTraces | {SIMPLE_PATTERN} {project}"),
            &format!(
                r#"{header}
               "" | null | null | "" | null | null
               "" | null | null | "" | null | null
               "PipelineScheduler" | 27 | 20 | "02/17/2016 08:40:01" | "2016-02-17T08:40:01Z" | "2016-02-17T08:39:01Z"
               "PipelineScheduler" | 27 | 22 | "02/17/2016 08:41:01" | "2016-02-17T08:41:00Z" | "2016-02-17T08:40:01Z"
               "" | null | null | "" | null | null"#
            ),
        ),
        // "Using parse-where": those rows are dropped.
        (
            &format!(
                "{BAD_TRACES}\nTraces | parse-where {} {project}",
                &SIMPLE_PATTERN["parse ".len()..]
            ),
            &format!(
                r#"{header}
               "PipelineScheduler" | 27 | 20 | "02/17/2016 08:40:01" | "2016-02-17T08:40:01Z" | "2016-02-17T08:39:01Z"
               "PipelineScheduler" | 27 | 22 | "02/17/2016 08:41:01" | "2016-02-17T08:41:00Z" | "2016-02-17T08:40:01Z""#
            ),
        ),
        // parse page, "Regex mode": string columns in regex mode are greedy.
        (
            &format!(
                r#"{TRACES}
Traces
| parse kind=regex EventText with "(.*?)[a-zA-Z]*=" resourceName @", totalSlices=\s*\d+\s*.*?sliceNumber=" sliceNumber: long ".*?(previous)?lockTime=" lockTime ".*?releaseTime=" releaseTime ".*?previousLockTime=" previousLockTime: date "\\)"
| project resourceName, sliceNumber, lockTime, releaseTime, previousLockTime"#
            ),
            r#"resourceName | sliceNumber | lockTime | releaseTime | previousLockTime
               "PipelineScheduler" | 23 | "02/17/2016 08:40:01, " | "02/17/2016 08:40:01, " | "2016-02-17T08:39:01Z"
               "PipelineScheduler" | 15 | "02/17/2016 08:40:00, " | "02/17/2016 08:40:00, " | "2016-02-17T08:39:00Z"
               "PipelineScheduler" | 20 | "02/17/2016 08:40:01, " | "02/17/2016 08:40:01, " | "2016-02-17T08:39:01Z"
               "PipelineScheduler" | 22 | "02/17/2016 08:41:01, " | "02/17/2016 08:41:00, " | "2016-02-17T08:40:01Z"
               "PipelineScheduler" | 16 | "02/17/2016 08:41:00, " | "02/17/2016 08:41:00, " | "2016-02-17T08:40:00Z""#,
        ),
        // parse page, "Regex mode with regex flags": greedy by default ...
        (
            &format!(
                r#"{TRACES}
Traces | parse kind=regex EventText with * "resourceName=" resourceName ',' * | project resourceName | take 2"#
            ),
            r#"resourceName
               "PipelineScheduler, totalSlices=27, sliceNumber=23, lockTime=02/17/2016 08:40:01, releaseTime=02/17/2016 08:40:01"
               "PipelineScheduler, totalSlices=27, sliceNumber=15, lockTime=02/17/2016 08:40:00, releaseTime=02/17/2016 08:40:00""#,
        ),
        // ... and `flags=Ui`: ungreedy and case-insensitive.
        (
            &format!(
                r#"{TRACES}
Traces | parse kind=regex flags=Ui EventText with * "RESOURCENAME=" resourceName ',' * | project resourceName | take 2"#
            ),
            r#"resourceName
               "PipelineScheduler"
               "PipelineScheduler""#,
        ),
        // parse-where page, "Regex mode using regex flags": case-sensitive by default, so nothing
        // matches; with `flags=i` the three rows whose totalSlices is a number.
        (
            r#"let Traces = datatable(EventText: string) [
"Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=non_valid_integer, sliceNumber=11, lockTime=02/17/2016 08:40:01)",
"Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=27, sliceNumber=15, lockTime=02/17/2016 08:40:00)",
"Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=27, sliceNumber=22, lockTime=02/17/2016 08:41:01)"
];
Traces | parse-where kind = regex EventText with * "RESOURCENAME=" resourceName "," * "totalSlices=" totalSlices: long "," * | project resourceName, totalSlices"#,
            "resourceName | totalSlices",
        ),
        (
            r#"let Traces = datatable(EventText: string) [
"Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=non_valid_integer, sliceNumber=11, lockTime=02/17/2016 08:40:01)",
"Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=27, sliceNumber=15, lockTime=02/17/2016 08:40:00)",
"Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=27, sliceNumber=22, lockTime=02/17/2016 08:41:01)"
];
Traces | parse-where kind = regex flags=i EventText with * "RESOURCENAME=" resourceName "," * "totalSlices=" totalSlices: long "," * | project resourceName, totalSlices"#,
            r#"resourceName | totalSlices
               "PipelineScheduler" | 27
               "PipelineScheduler" | 27"#,
        ),
        // parse page, "Relaxed mode": a column that does not convert is null, the rest is kept.
        (
            r#"let Traces = datatable(EventText: string) [
"Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=27, sliceNumber=23, lockTime=02/17/2016 08:40:01, releaseTime=nonValidDateTime 08:40:01, previousLockTime=02/17/2016 08:39:01)",
"Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=nonValidLongValue, sliceNumber=20, lockTime=02/17/2016 08:40:01, releaseTime=nonValidDateTime 08:40:01, previousLockTime=02/17/2016 08:39:01)",
"Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=27, sliceNumber=22, lockTime=02/17/2016 08:41:01, releaseTime=02/17/2016 08:41:00, previousLockTime=02/17/2016 08:40:01)"
];
Traces
| parse kind=relaxed EventText with * "resourceName=" resourceName ", totalSlices=" totalSlices: long ", sliceNumber=" sliceNumber: long * "lockTime=" lockTime ", releaseTime=" releaseTime: date "," * "previousLockTime=" previousLockTime: date ")" *
| project-away EventText"#,
            r#"resourceName | totalSlices | sliceNumber | lockTime | releaseTime | previousLockTime
               "PipelineScheduler" | 27 | 23 | "02/17/2016 08:40:01" | null | "2016-02-17T08:39:01Z"
               "PipelineScheduler" | null | 20 | "02/17/2016 08:40:01" | null | "2016-02-17T08:39:01Z"
               "PipelineScheduler" | 27 | 22 | "02/17/2016 08:41:01" | "2016-02-17T08:41:00Z" | "2016-02-17T08:40:01Z""#,
        ),
        // The pattern may start with a column; a parsed column replaces one of the same name.
        (
            r#"datatable (s: string, n: long) ["12-ab", 0] | parse s with n: long "-" rest"#,
            r#"s | n | rest
               "12-ab" | 12 | "ab""#,
        ),
        // A non-string source is converted to a string first.
        (
            r#"print d = dynamic({"a": 1}) | parse d with '{"a":' a: long '}'"#,
            r#"d | a
               {"a":1} | 1"#,
        ),
    ]);
}

#[test]
fn parse_with_functions() {
    // https://learn.microsoft.com/kusto/query/parse-operator, "Extract email alias and DNS"
    // (rows in input order).
    check(&[(
        r#"let Leads = datatable(Contacts: string) [
"Event: LeadContact (email=john@contosohotel.com, Website=https:contosohotel.com)",
"Event: LeadContact (email=abi@fourthcoffee.com, Website=https:www.fourthcoffee.com)",
];
Leads
| parse Contacts with * "email=" alias:string "@" domain: string ", Website=https:" WebsiteDomain: string ")"
| project EmailAddress=strcat(alias, "@", domain), EmailAlias=alias, WebsiteDomain"#,
        r#"EmailAddress | EmailAlias | WebsiteDomain
           "john@contosohotel.com" | "john" | "contosohotel.com"
           "abi@fourthcoffee.com" | "abi" | "www.fourthcoffee.com""#,
    )]);
}

#[test]
fn extend_and_project() {
    check(&[
        // https://learn.microsoft.com/kusto/query/extend-operator: an existing column is replaced
        // in place; a column defined earlier in the same extend can be used.
        (
            "print a = 1, b = 2 | extend a = a + 10",
            r#"a | b
               11 | 2"#,
        ),
        (
            "print a = 1 | extend b = a + 1, c = b * 10, a = 5",
            r#"a | b | c
               5 | 2 | 20"#,
        ),
        (
            "print a = 1 | extend a * 3",
            r#"a | Column1
               1 | 3"#,
        ),
        // https://learn.microsoft.com/kusto/query/project-operator
        (
            "print a = 2, b = 3 | project c = a * b, a, d = b - a",
            r#"c | a | d
               6 | 2 | 1"#,
        ),
        (
            "print a = 2, b = 3 | project b, b2 = b",
            r#"b | b2
               3 | 3"#,
        ),
        // https://learn.microsoft.com/kusto/query/project-away-operator
        (
            "print a = 'a', b = 'b', c = 'c' | project-away a, b",
            r#"c
               "c""#,
        ),
        (
            "print a1 = 1, b = 2, a2 = 3, ca = 4 | project-away a*",
            r#"b | ca
               2 | 4"#,
        ),
        // https://learn.microsoft.com/kusto/query/project-keep-operator
        (
            "print a1 = 1, b = 2, a2 = 3, ca = 4 | project-keep *a*",
            r#"a1 | a2 | ca
               1 | 3 | 4"#,
        ),
        (
            "print a = 1, b = 2, c = 3 | project-keep c, a",
            r#"a | c
               1 | 3"#,
        ),
        // https://learn.microsoft.com/kusto/query/project-rename-operator
        (
            "print a = 'a', b = 'b', c = 'c' | project-rename new_b = b, new_a = a",
            r#"new_a | new_b | c
               "a" | "b" | "c""#,
        ),
        // https://learn.microsoft.com/kusto/query/project-reorder-operator
        (
            "print a = 'a', b = 'b', c = 'c' | project-reorder b",
            r#"b | a | c
               "b" | "a" | "c""#,
        ),
        (
            "print a2 = 'a2', b = 'b', a3 = 'a3', a1 = 'a1' | project-reorder a* asc",
            r#"a1 | a2 | a3 | b
               "a1" | "a2" | "a3" | "b""#,
        ),
        (
            "print a2 = 'a2', b = 'b', a3 = 'a3', a1 = 'a1' | project-reorder a* desc",
            r#"a3 | a2 | a1 | b
               "a3" | "a2" | "a1" | "b""#,
        ),
        (
            "print c = 3, a = 1, b = 2 | project-reorder b, *",
            r#"b | c | a
               2 | 3 | 1"#,
        ),
    ]);
}
