//! `join` (every kind) and `lookup`.

use super::check;

/// The X/Y tables of the join-flavor pages.
const XY: &str = r#"let X = datatable(Key: string, Value1: long) ['a', 1, 'b', 2, 'b', 3, 'c', 4];
let Y = datatable(Key: string, Value2: long) ['b', 10, 'c', 20, 'c', 30, 'd', 40];"#;

#[test]
fn join_flavor_pages() {
    let q = |body: &str| format!("{XY}\n{body}");
    check(&[
        // https://learn.microsoft.com/kusto/query/join-inner: X and Y with an extra key 'k'.
        // Kusto lists 'k' last; the engine lists left rows in input order (order unspecified).
        (
            r#"let X = datatable(Key: string, Value1: long) ['a', 1, 'b', 2, 'b', 3, 'k', 5, 'c', 4];
let Y = datatable(Key: string, Value2: long) ['b', 10, 'c', 20, 'c', 30, 'd', 40, 'k', 50];
X | join kind=inner Y on Key"#,
            r#"Key | Value1 | Key1 | Value2
               "b" | 2 | "b" | 10
               "b" | 3 | "b" | 10
               "k" | 5 | "k" | 50
               "c" | 4 | "c" | 20
               "c" | 4 | "c" | 30"#,
        ),
        // https://learn.microsoft.com/kusto/query/join-rightouter (rows reordered: matches in
        // left-row order, then the unmatched right row).
        (
            &q("X | join kind=rightouter Y on Key"),
            r#"Key | Value1 | Key1 | Value2
               "b" | 2 | "b" | 10
               "b" | 3 | "b" | 10
               "c" | 4 | "c" | 20
               "c" | 4 | "c" | 30
               "" | null | "d" | 40"#,
        ),
        // https://learn.microsoft.com/kusto/query/join-fullouter (Kusto's order differs only
        // because it is unspecified).
        (
            &q("X | join kind=fullouter Y on Key"),
            r#"Key | Value1 | Key1 | Value2
               "a" | 1 | "" | null
               "b" | 2 | "b" | 10
               "b" | 3 | "b" | 10
               "c" | 4 | "c" | 20
               "c" | 4 | "c" | 30
               "" | null | "d" | 40"#,
        ),
        // `outer` and `anti` are the documented synonyms of fullouter and leftanti.
        (
            &q("X | join kind=anti Y on Key"),
            r#"Key | Value1
               "a" | 1"#,
        ),
        (
            &q("X | join kind=leftantisemi (Y) on Key"),
            r#"Key | Value1
               "a" | 1"#,
        ),
        (
            &q("X | join kind=rightantisemi (Y) on Key"),
            r#"Key | Value2
               "d" | 40"#,
        ),
        // https://learn.microsoft.com/kusto/query/join-operator: cross join through a constant key.
        (
            &q("X | where Key == 'a' | extend placeholder=1 | join kind=inner (Y | where Key != 'c' | extend placeholder=1) on placeholder"),
            r#"Key | Value1 | placeholder | Key1 | Value2 | placeholder1
               "a" | 1 | 1 | "b" | 10 | 1
               "a" | 1 | 1 | "d" | 40 | 1"#,
        ),
    ]);
}

#[test]
fn innerunique_keeps_one_left_row_per_key() {
    // https://learn.microsoft.com/kusto/query/join-innerunique: "Two possible outputs"; the
    // engine documents keeping the first left row of each key.
    let t = r#"let t1 = datatable(key: long, value: string) [1, "val1.1", 1, "val1.2"];
let t2 = datatable(key: long, value: string) [1, "val1.3", 1, "val1.4"];"#;
    check(&[
        (
            &format!("{t}\nt1 | join kind = innerunique t2 on key"),
            r#"key | value | key1 | value1
               1 | "val1.1" | 1 | "val1.3"
               1 | "val1.1" | 1 | "val1.4""#,
        ),
        // Same page: "add a filter `where value == "val1.2"`. It will always give the second
        // result and will never give the first result" (the filter goes to the left side before
        // the deduplication).
        (
            &format!("{t}\nt1 | join kind = innerunique t2 on key | where value == \"val1.2\""),
            r#"key | value | key1 | value1
               1 | "val1.2" | 1 | "val1.3"
               1 | "val1.2" | 1 | "val1.4""#,
        ),
    ]);
}

#[test]
fn join_conditions() {
    check(&[
        // `$left.A == $right.B`: both key columns are kept.
        (
            r#"let L = datatable(A: string, V: long) ["x", 1, "y", 2];
let R = datatable(B: string, W: long) ["y", 20, "x", 10, "y", 21];
L | join kind=inner R on $left.A == $right.B"#,
            r#"A | V | B | W
               "x" | 1 | "x" | 10
               "y" | 2 | "y" | 20
               "y" | 2 | "y" | 21"#,
        ),
        // Several keys, by name and by value, with `and` and with a comma.
        (
            r#"let L = datatable(A: string, N: long, V: long) ["x", 1, 100, "x", 2, 200, "y", 1, 300];
let R = datatable(A: string, M: long, W: long) ["x", 2, 20, "y", 2, 30, "y", 1, 10];
L | join kind=inner (R) on A, $left.N == $right.M"#,
            r#"A | N | V | A1 | M | W
               "x" | 2 | 200 | "x" | 2 | 20
               "y" | 1 | 300 | "y" | 1 | 10"#,
        ),
        (
            r#"let L = datatable(A: string, N: long, V: long) ["x", 1, 100, "x", 2, 200, "y", 1, 300];
let R = datatable(A: string, N: long, W: long) ["x", 2, 20, "y", 2, 30, "y", 1, 10];
L | join kind=leftanti (R) on $left.A == $right.A and $left.N == $right.N"#,
            r#"A | N | V
               "x" | 1 | 100"#,
        ),
        // Duplicates on both sides: every pair, left order then right order.
        (
            r#"let L = datatable(K: long, V: string) [1, "a", 2, "b", 1, "c"];
let R = datatable(K: long, W: string) [1, "p", 1, "q", 3, "r"];
L | join kind=inner R on K"#,
            r#"K | V | K1 | W
               1 | "a" | 1 | "p"
               1 | "a" | 1 | "q"
               1 | "c" | 1 | "p"
               1 | "c" | 1 | "q""#,
        ),
        // A right column whose name the output already has gets the next free numeric suffix.
        (
            r#"let L = datatable(K: long, V: long, V1: long) [1, 2, 3];
let R = datatable(K: long, V: long) [1, 4];
L | join kind=inner R on K"#,
            r#"K | V | V1 | K1 | V2
               1 | 2 | 3 | 1 | 4"#,
        ),
    ]);
}

#[test]
fn join_null_keys() {
    // https://learn.microsoft.com/kusto/query/scalar-data-types/null-values: "The null value
    // does not compare equal to any other value of the data type, including itself", so a null
    // key matches nothing, on either side; a string key is never null and "" matches "".
    let lr = r#"let L = datatable(K: long, V: string) [1, "a", long(null), "b", 2, "c"];
let R = datatable(K: long, W: string) [long(null), "x", 1, "y", long(null), "z"];"#;
    let q = |kind: &str| format!("{lr}\nL | join kind={kind} R on K");
    check(&[
        (
            &q("innerunique"),
            r#"K | V | K1 | W
               1 | "a" | 1 | "y""#,
        ),
        (
            &q("inner"),
            r#"K | V | K1 | W
               1 | "a" | 1 | "y""#,
        ),
        (
            &q("leftouter"),
            r#"K | V | K1 | W
               1 | "a" | 1 | "y"
               null | "b" | null | ""
               2 | "c" | null | """#,
        ),
        (
            &q("rightouter"),
            r#"K | V | K1 | W
               1 | "a" | 1 | "y"
               null | "" | null | "x"
               null | "" | null | "z""#,
        ),
        (
            &q("fullouter"),
            r#"K | V | K1 | W
               1 | "a" | 1 | "y"
               null | "b" | null | ""
               2 | "c" | null | ""
               null | "" | null | "x"
               null | "" | null | "z""#,
        ),
        (
            &q("leftanti"),
            r#"K | V
               null | "b"
               2 | "c""#,
        ),
        (
            &q("rightanti"),
            r#"K | W
               null | "x"
               null | "z""#,
        ),
        (
            &q("leftsemi"),
            r#"K | V
               1 | "a""#,
        ),
        (
            &q("rightsemi"),
            r#"K | W
               1 | "y""#,
        ),
        (
            r#"let L = datatable(S: string, V: long) ["", 1, "a", 2];
let R = datatable(S: string, W: long) ["b", 3, "", 4];
L | join kind=inner R on S"#,
            r#"S | V | S1 | W
               "" | 1 | "" | 4"#,
        ),
        (
            &format!("{lr}\nL | lookup R on K"),
            r#"K | V | W
               1 | "a" | "y"
               null | "b" | ""
               2 | "c" | """#,
        ),
    ]);
}

#[test]
fn lookup() {
    // https://learn.microsoft.com/kusto/query/lookup-operator (a sixth fact row without a match
    // added to show the difference between the kinds).
    let tables = r#"let FactTable = datatable(Row: string, Personal: string, Family: string) [
  "1", "Bill", "Gates",
  "2", "Bill", "Clinton",
  "3", "Bill", "Clinton",
  "4", "Steve", "Ballmer",
  "5", "Tim", "Cook",
  "6", "Bill", "Nye"
];
let DimTable = datatable(Personal: string, Family: string, Alias: string) [
  "Bill", "Gates", "billg",
  "Bill", "Clinton", "billc",
  "Steve", "Ballmer", "steveb",
  "Tim", "Cook", "timc"
];"#;
    let q = |body: &str| format!("{tables}\n{body}");
    check(&[
        (
            &q("FactTable | lookup kind=leftouter DimTable on Personal, Family"),
            r#"Row | Personal | Family | Alias
               "1" | "Bill" | "Gates" | "billg"
               "2" | "Bill" | "Clinton" | "billc"
               "3" | "Bill" | "Clinton" | "billc"
               "4" | "Steve" | "Ballmer" | "steveb"
               "5" | "Tim" | "Cook" | "timc"
               "6" | "Bill" | "Nye" | """#,
        ),
        (
            &q("FactTable | lookup DimTable on Personal, Family | where Row == '6'"),
            r#"Row | Personal | Family | Alias
               "6" | "Bill" | "Nye" | """#,
        ),
        (
            &q("FactTable | lookup kind=inner (DimTable) on Personal, Family | project Row, Alias"),
            r#"Row | Alias
               "1" | "billg"
               "2" | "billc"
               "3" | "billc"
               "4" | "steveb"
               "5" | "timc""#,
        ),
        // `$left.X == $right.Y`: the right key column is not repeated.
        (
            &q("FactTable | lookup (DimTable | project-rename First = Personal) on $left.Personal == $right.First, Family | project Row, Personal, Family, Alias | take 2"),
            r#"Row | Personal | Family | Alias
               "1" | "Bill" | "Gates" | "billg"
               "2" | "Bill" | "Clinton" | "billc""#,
        ),
    ]);
}
