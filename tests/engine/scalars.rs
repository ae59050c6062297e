//! Scalar expressions inside operators, and errors.

use super::check;

#[test]
fn arithmetic_and_time() {
    check(&[
        // https://learn.microsoft.com/kusto/query/numerical-operators: long division truncates
        // toward zero, `%` keeps the dividend's sign.
        (
            "print a = 7 / 2, b = 7.0 / 2, c = -7 / 2, d = 7 % 3, e = -7 % 3, f = 2 * 3 + 4, g = 2 - -3",
            r#"a | b | c | d | e | f | g
               3 | 3.5 | -3 | 1 | -1 | 10 | 5"#,
        ),
        (
            "print a = long(null) + 1, b = 1.5 * 2",
            r#"a | b
               null | 3.0"#,
        ),
        // https://learn.microsoft.com/kusto/query/datetime-timespan-arithmetic
        (
            "print d = datetime(2026-01-02 03:04:05) - datetime(2026-01-01)",
            r#"d
               "1.03:04:05""#,
        ),
        (
            "print d = datetime(2026-01-01) - datetime(2026-01-02 00:00:00.5)",
            r#"d
               "-1.00:00:00.5000000""#,
        ),
        (
            "print a = datetime(2026-01-01) + 1h + 30m, b = datetime(2026-01-01) - 1d, c = 1d / 1h, d = 2h * 3, e = 1d - 1s",
            r#"a | b | c | d | e
               "2026-01-01T01:30:00Z" | "2025-12-31T00:00:00Z" | 24.0 | "06:00:00" | "23:59:59""#,
        ),
        (
            "print a = 90s, b = 1.5d, c = 100ms, d = 10tick, e = time(1.02:03:04)",
            r#"a | b | c | d | e
               "00:01:30" | "1.12:00:00" | "00:00:00.1000000" | "00:00:00.0000010" | "1.02:03:04""#,
        ),
    ]);
}

#[test]
fn predicates() {
    check(&[
        // https://learn.microsoft.com/kusto/query/between-operator
        (
            "range x from 1 to 10 step 1 | where x between (4 .. 6)",
            r#"x
               4
               5
               6"#,
        ),
        (
            "range x from 1 to 5 step 1 | where x !between (2 .. 4)",
            r#"x
               1
               5"#,
        ),
        (
            "range d from datetime(2026-01-01) to datetime(2026-01-05) step 1d | where d between (datetime(2026-01-02) .. 1d)",
            r#"d
               "2026-01-02T00:00:00Z"
               "2026-01-03T00:00:00Z""#,
        ),
        // https://learn.microsoft.com/kusto/query/matches-regex-operator
        (
            r#"datatable(s: string) ["abc123", "xyz", "ABC"] | where s matches regex @"^[a-z]+\d+$" or s matches regex "B""#,
            r#"s
               "abc123"
               "ABC""#,
        ),
        // https://learn.microsoft.com/kusto/query/hasprefix-operator, hassuffix-operator: term
        // prefix / suffix, case-insensitive.
        (
            r#"datatable(s: string) ["North America", "NorthAmerica", "south korea"] | where s hasprefix "ame" or s hassuffix "REA""#,
            r#"s
               "North America"
               "south korea""#,
        ),
        (
            r#"datatable(s: string) ["North America", "NorthAmerica"] | where s hasprefix_cs "Ame""#,
            r#"s
               "North America""#,
        ),
        // https://learn.microsoft.com/kusto/query/in-cs-operator, in-operator
        (
            r#"datatable(s: string) ["Abc", "abc", "x"] | where s in~ ("ABC", "y")"#,
            r#"s
               "Abc"
               "abc""#,
        ),
        (
            r#"datatable(s: string) ["Abc", "abc", "x"] | where s !in ("abc", "y")"#,
            r#"s
               "Abc"
               "x""#,
        ),
        (
            r#"datatable(s: string) ["Abc", "abc", "x"] | where s !in~ ("abc")"#,
            r#"s
               "x""#,
        ),
        // The same pages: "Nested arrays are flattened into a single list of values", whether
        // the array is a constant, a `toscalar` or a subquery's column (Microsoft's TI rules
        // look IPs up `in (T | summarize make_list(RemoteIP))`).
        (
            "range x from 1 to 5 step 1 | where x in (dynamic([1, [2, 3]]))",
            r#"x
               1
               2
               3"#,
        ),
        (
            r#"let L = datatable(s: string) ["a", "b"] | summarize make_list(s); datatable(s: string) ["a", "c", "b"] | where s in (L)"#,
            r#"s
               "a"
               "b""#,
        ),
        (
            r#"let tlds = datatable(t: string) ["MY", "com"] | summarize make_list(t); datatable(s: string) ["my", "COM", "ru"] | where s in~ (tlds)"#,
            r#"s
               "my"
               "COM""#,
        ),
        (
            r#"let L = toscalar(print dynamic(["a", ["b", ["c"]]])); datatable(s: string) ["a", "c", "d"] | where s !in (L)"#,
            r#"s
               "d""#,
        ),
        // https://learn.microsoft.com/kusto/query/scalar-data-types/dynamic: member and index
        // access; a missing member is null.
        (
            r#"print d = dynamic({"a": {"b": 5}, "x": [10, 20], "k y": "s"}) | project v1 = d.a.b, v2 = d["x"][0], v3 = d.x[1], v4 = d.missing, v5 = d["k y"], v6 = d.x[-1]"#,
            r#"v1 | v2 | v3 | v4 | v5 | v6
               5 | 10 | 20 | null | "s" | 20"#,
        ),
        (
            r#"datatable(d: dynamic) [dynamic({"n": 3}), dynamic({"n": 1})] | where d.n > 2"#,
            r#"d
               {"n":3}"#,
        ),
        // https://learn.microsoft.com/kusto/query/scalar-data-types/null-values: null != 5 is
        // true (the page's `where ival != 5` example keeps the null row); null > 3 is null and
        // `where` drops it.
        (
            "datatable(val: int) [5, int(null)] | where val != 5",
            r#"val
               null"#,
        ),
        (
            "datatable(val: int) [5, int(null)] | where val > 3",
            r#"val
               5"#,
        ),
        // Real division by zero: +inf, and 0.0/0 is NaN (the summarize page: "avg ... is NaN due
        // to dividing by 0").
        (
            "print a = 1.0 / 0, b = -1.0 / 0, c = 0.0 / 0",
            r#"a | b | c
               "Infinity" | "-Infinity" | "NaN""#,
        ),
    ]);
}

#[test]
fn unsupported_things_are_errors_naming_them() {
    check(&[
        (
            "print x = 1\n| make-series n = count() on x step 1",
            "error: case.kql:2:3: rule case: unsupported operator `make-series`",
        ),
        (
            "print d = dynamic({\"a\": 1})\n| evaluate bag_unpack(d)",
            "error: case.kql:2:12: rule case: unsupported plugin `bag_unpack` in `evaluate`",
        ),
        (
            "print SHA1 = \"x\"\n| invoke FileProfile(SHA1, 1000)",
            "error: case.kql:2:10: rule case: `FileProfile()` needs Microsoft's cloud",
        ),
        (
            "print x = 1 | fork (take 1)",
            "error: case.kql:1:15: rule case: unsupported operator `fork`",
        ),
    ]);
}
