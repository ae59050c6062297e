//! Tests of the aggregates: the examples of Microsoft's documentation pages as tables, Kusto's
//! default names and types, argument checks, and the partial-merge property (any split of the
//! rows, merged in order, finishes like one accumulator fed every row).

use serde_json::json;

use super::*;
use crate::schema::ColumnType;
use crate::value::Value;

fn l(n: i64) -> Value {
    Value::Long(n)
}
fn r(x: f64) -> Value {
    Value::Real(x)
}
fn s(text: &str) -> Value {
    Value::String(text.to_string())
}
fn b(v: bool) -> Value {
    Value::Bool(v)
}
fn d(json: serde_json::Value) -> Value {
    Value::Dynamic(json)
}

fn function(name: &str) -> &'static AggregateFn {
    lookup(name).unwrap_or_else(|| panic!("no aggregate {name}"))
}

fn accumulate(name: &str, constants: &[Value], rows: &[Vec<Value>]) -> Box<dyn Accumulator> {
    let mut accumulator = (function(name).new)(constants).unwrap_or_else(|e| panic!("{name}: {e}"));
    for row in rows {
        accumulator.add(row);
    }
    accumulator
}

fn run(name: &str, constants: &[Value], rows: &[Vec<Value>]) -> Vec<Value> {
    accumulate(name, constants, rows).finish()
}

/// One-argument rows.
fn column(values: &[Value]) -> Vec<Vec<Value>> {
    values.iter().map(|v| vec![v.clone()]).collect()
}

/// Debug text compares NaN equal to NaN and tells `Long(1)` from `Real(1.0)`.
fn text(values: &[Value]) -> String {
    format!("{values:?}")
}

/// Every split into two and three partials, merged in input order, must finish exactly like one
/// accumulator that saw every row.
fn assert_split_invariant(name: &str, constants: &[Value], rows: &[Vec<Value>]) {
    let whole = text(&run(name, constants, rows));
    for i in 0..=rows.len() {
        let mut first = accumulate(name, constants, &rows[..i]);
        first.merge(accumulate(name, constants, &rows[i..]));
        assert_eq!(text(&first.finish()), whole, "{name}: split at {i}");
        for j in i..=rows.len() {
            let mut first = accumulate(name, constants, &rows[..i]);
            let mut second = accumulate(name, constants, &rows[i..j]);
            second.merge(accumulate(name, constants, &rows[j..]));
            first.merge(second);
            assert_eq!(
                text(&first.finish()),
                whole,
                "{name}: split at {i} and {j} (right first)"
            );
            let mut left = accumulate(name, constants, &rows[..i]);
            left.merge(accumulate(name, constants, &rows[i..j]));
            left.merge(accumulate(name, constants, &rows[j..]));
            assert_eq!(text(&left.finish()), whole, "{name}: split at {i} and {j}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Documentation examples.

/// https://learn.microsoft.com/en-us/kusto/query/stdev-aggregation-function and
/// https://learn.microsoft.com/en-us/kusto/query/variance-aggregation-function:
/// `range x from 1 to 5 step 1 | summarize make_list(x), stdev(x)` (and variance).
#[test]
fn doc_stdev_and_variance_of_one_to_five() {
    let rows = column(&[l(1), l(2), l(3), l(4), l(5)]);
    assert_eq!(run("make_list", &[], &rows), vec![d(json!([1, 2, 3, 4, 5]))]);
    let Value::Real(stdev) = run("stdev", &[], &rows)[0] else {
        panic!("stdev is real")
    };
    assert!((stdev - 1.58113883008419).abs() < 1e-14, "{stdev}");
    assert_eq!(run("variance", &[], &rows), vec![r(2.5)]);
    assert_eq!(run("variancep", &[], &rows), vec![r(2.0)]);
    assert_eq!(run("stdevp", &[], &rows), vec![r(2.0f64.sqrt())]);
    assert_eq!((function("stdev").default_names)(&[Some("x")], &[]), vec!["stdev_x"]);
    assert_eq!(
        (function("variance").default_names)(&[Some("x")], &[]),
        vec!["variance_x"]
    );
    assert_eq!((function("make_list").default_names)(&[Some("x")], &[]), vec!["list_x"]);
}

const SHAPES: [(&str, i64); 9] = [
    ("triangle", 3),
    ("square", 4),
    ("rectangle", 4),
    ("pentagon", 5),
    ("hexagon", 6),
    ("heptagon", 7),
    ("octagon", 8),
    ("nonagon", 9),
    ("decagon", 10),
];

/// https://learn.microsoft.com/en-us/kusto/query/make-list-aggregation-function: the shapes examples
/// (one column, by `sideCount % 2 == 0`, and packed objects).
#[test]
fn doc_make_list_shapes() {
    let names: Vec<Vec<Value>> = SHAPES.iter().map(|(name, _)| vec![s(name)]).collect();
    assert_eq!(
        run("make_list", &[], &names),
        vec![d(json!([
            "triangle",
            "square",
            "rectangle",
            "pentagon",
            "hexagon",
            "heptagon",
            "octagon",
            "nonagon",
            "decagon"
        ]))]
    );
    let odd: Vec<Vec<Value>> = SHAPES
        .iter()
        .filter(|(_, n)| n % 2 != 0)
        .map(|(name, _)| vec![s(name)])
        .collect();
    assert_eq!(
        run("make_list", &[], &odd),
        vec![d(json!(["triangle", "pentagon", "heptagon", "nonagon"]))]
    );
    let even_bags: Vec<Vec<Value>> = SHAPES
        .iter()
        .filter(|(_, n)| n % 2 == 0)
        .map(|(name, n)| vec![d(json!({"name": name, "sideCount": n}))])
        .collect();
    assert_eq!(
        run("make_list", &[], &even_bags),
        vec![d(json!([
            {"name": "square", "sideCount": 4},
            {"name": "rectangle", "sideCount": 4},
            {"name": "hexagon", "sideCount": 6},
            {"name": "octagon", "sideCount": 8},
            {"name": "decagon", "sideCount": 10}
        ]))]
    );
}

/// https://learn.microsoft.com/en-us/kusto/query/make-list-if-aggregation-function:
/// names with more than 4 letters.
#[test]
fn doc_make_list_if() {
    let rows: Vec<Vec<Value>> = ["John", "Paul", "George", "Ringo"]
        .iter()
        .map(|name| vec![s(name), b(name.len() > 4)])
        .collect();
    assert_eq!(run("make_list_if", &[], &rows), vec![d(json!(["George", "Ringo"]))]);
    assert_eq!(
        (function("make_list_if").default_names)(&[Some("name"), None], &[]),
        vec!["list_name"]
    );
}

/// https://learn.microsoft.com/en-us/kusto/query/make-set-aggregation-function:
/// "Set from array column" — `make_set(Val)` and the set of the elements of the arrays in `make_set(Arr1)`.
#[test]
fn doc_make_set_from_scalars_and_arrays() {
    let vals = column(&[l(1), l(5), l(7), l(5)]);
    assert_eq!(run("make_set", &[], &vals), vec![d(json!([1, 5, 7]))]);
    let arrays = column(&[
        d(json!(["A1", "A2", "A3"])),
        d(json!(["A2", "C1"])),
        d(json!(["C2", "A3"])),
        d(json!(["C2", "A1"])),
    ]);
    assert_eq!(
        run("make_set", &[], &arrays),
        vec![d(json!(["A1", "A2", "A3", "C1", "C2"]))]
    );
}

/// https://learn.microsoft.com/en-us/kusto/query/make-bag-aggregation-function and
/// https://learn.microsoft.com/en-us/kusto/query/make-bag-if-aggregation-function: packed property bags.
#[test]
fn doc_make_bag_and_make_bag_if() {
    let rows: Vec<Vec<Value>> = [
        ("prop01", "val_a", true),
        ("prop02", "val_b", false),
        ("prop03", "val_c", true),
    ]
    .iter()
    .map(|(prop, value, predicate)| vec![d(json!({ *prop: value })), b(*predicate)])
    .collect();
    let bags: Vec<Vec<Value>> = rows.iter().map(|row| vec![row[0].clone()]).collect();
    assert_eq!(
        run("make_bag", &[], &bags),
        vec![d(json!({"prop01": "val_a", "prop02": "val_b", "prop03": "val_c"}))]
    );
    assert_eq!(
        run("make_bag_if", &[], &rows),
        vec![d(json!({"prop01": "val_a", "prop03": "val_c"}))]
    );
    assert_eq!((function("make_bag").default_names)(&[Some("p")], &[]), vec!["bag_p"]);
}

/// The fruit table of https://learn.microsoft.com/en-us/kusto/query/arg-max-aggregation-function and
/// https://learn.microsoft.com/en-us/kusto/query/arg-min-aggregation-function (null handling):
/// rows (Version, Color) per fruit.
fn fruit(name: &str) -> Vec<Vec<Value>> {
    let rows = [
        ("Apple", l(1), "Red"),
        ("Apple", Value::Null, "Green"),
        ("Banana", Value::Null, "Yellow"),
        ("Banana", Value::Null, "Green"),
        ("Pear", l(1), "Brown"),
        ("Pear", l(2), "Green"),
    ];
    rows.iter()
        .filter(|(fruit, _, _)| *fruit == name)
        .map(|(_, version, color)| vec![version.clone(), s(color)])
        .collect()
}

#[test]
fn doc_arg_max_and_arg_min_null_handling() {
    for (fruit_name, max, min) in [
        ("Apple", vec![l(1), s("Red")], vec![l(1), s("Red")]),
        ("Banana", vec![Value::Null, s("Yellow")], vec![Value::Null, s("Yellow")]),
        ("Pear", vec![l(2), s("Green")], vec![l(1), s("Brown")]),
    ] {
        let rows = fruit(fruit_name);
        assert_eq!(run("arg_max", &[], &rows), max, "arg_max {fruit_name}");
        assert_eq!(run("arg_min", &[], &rows), min, "arg_min {fruit_name}");
        assert_split_invariant("arg_max", &[], &rows);
    }
    // `arg_max(BeginLat, BeginLocation)` gives the columns BeginLat, BeginLocation.
    let names = (function("arg_max").default_names)(&[Some("BeginLat"), Some("BeginLocation")], &[]);
    assert_eq!(names, vec!["BeginLat", "BeginLocation"]);
}

/// https://learn.microsoft.com/en-us/kusto/query/percentiles-aggregation-function:
/// the column names of the examples.
#[test]
fn doc_percentile_names() {
    let percentile = function("percentile");
    assert_eq!((percentile.row_args)(2), Ok(1));
    assert_eq!(
        (percentile.default_names)(&[Some("DamageProperty")], &[l(95)]),
        vec!["percentile_DamageProperty_95"]
    );
    let percentiles = function("percentiles");
    assert_eq!((percentiles.row_args)(4), Ok(1));
    assert_eq!(
        (percentiles.default_names)(&[Some("DamageProperty")], &[l(5), l(50), l(95)]),
        vec![
            "percentile_DamageProperty_5",
            "percentile_DamageProperty_50",
            "percentile_DamageProperty_95"
        ]
    );
    assert_eq!(
        (percentiles.default_names)(&[Some("x")], &[r(99.5)]),
        vec!["percentile_x_99_5"]
    );
    assert_eq!(
        (percentiles.result_types)(&[Some(ColumnType::Long)], &[l(5), l(50)]),
        vec![Some(ColumnType::Long), Some(ColumnType::Long)]
    );
}

/// https://learn.microsoft.com/en-us/kusto/query/take-any-aggregation-function:
/// `take_any(State)` is named State; with one argument a non-empty value is preferred.
#[test]
fn doc_take_any() {
    let take_any = function("take_any");
    assert_eq!(take_any.name, "take_any");
    assert_eq!((take_any.default_names)(&[Some("State")], &[]), vec!["State"]);
    assert_eq!(function("any").name, "take_any");
    assert_eq!(
        (function("any").default_names)(&[Some("State")], &[]),
        vec!["any_State"]
    );
    let rows = column(&[s(""), s("ATLANTIC SOUTH"), s("FLORIDA")]);
    assert_eq!(run("take_any", &[], &rows), vec![s("ATLANTIC SOUTH")]);
    let pairs = vec![vec![s(""), l(1)], vec![s("B"), l(2)]];
    assert_eq!(run("take_any", &[], &pairs), vec![s(""), l(1)]);
    assert_split_invariant("take_any", &[], &rows);
    assert_split_invariant("take_any", &[], &pairs);
}

/// https://learn.microsoft.com/en-us/kusto/query/summarize-operator, "Default values of aggregations":
/// over no rows, count, countif, dcount, dcountif, count_distinct, sum, sumif, variance, stdev
/// give 0; make_* give []; others null.
#[test]
fn doc_defaults_over_no_rows() {
    for name in [
        "count",
        "countif",
        "dcount",
        "dcountif",
        "count_distinct",
        "sum",
        "sumif",
    ] {
        assert_eq!(run(name, &[], &[]), vec![l(0)], "{name}");
    }
    for name in ["variance", "stdev", "varianceif", "stdevif"] {
        assert_eq!(run(name, &[], &[]), vec![r(0.0)], "{name}");
    }
    for name in ["make_set", "make_set_if", "make_list", "make_list_if"] {
        assert_eq!(run(name, &[], &[]), vec![d(json!([]))], "{name}");
    }
    for name in ["make_bag", "make_bag_if"] {
        assert_eq!(run(name, &[], &[]), vec![d(json!({}))], "{name}");
    }
    for name in ["min", "max", "minif", "maxif", "stdevp", "variancep"] {
        assert_eq!(run(name, &[], &[]), vec![Value::Null], "{name}");
    }
    // The summarize page's defaults example shows `avg(x)` of no rows as NaN (0/0).
    for name in ["avg", "avgif"] {
        assert!(
            matches!(run(name, &[], &[])[..], [Value::Real(x)] if x.is_nan()),
            "{name}"
        );
    }
    assert_eq!(run("percentiles", &[l(5), l(50)], &[]), vec![Value::Null, Value::Null]);
    // The arity of arg_max and take_any is unknown without rows: the caller fills nulls.
    assert_eq!(run("arg_max", &[], &[]), Vec::<Value>::new());
    assert_eq!(run("take_any", &[], &[]), Vec::<Value>::new());
}

// ---------------------------------------------------------------------------------------------
// Semantics beyond the examples.

#[test]
fn nulls_are_ignored() {
    let rows = column(&[l(4), Value::Null, l(2), d(json!(null))]);
    assert_eq!(run("count", &[], &rows), vec![l(4)]);
    assert_eq!(run("sum", &[], &rows), vec![l(6)]);
    assert_eq!(run("avg", &[], &rows), vec![r(3.0)]);
    assert_eq!(run("min", &[], &rows), vec![l(2)]);
    assert_eq!(run("max", &[], &rows), vec![l(4)]);
    assert_eq!(run("dcount", &[], &rows), vec![l(2)]);
    assert_eq!(run("make_list", &[], &rows), vec![d(json!([4, 2]))]);
    assert_eq!(run("make_set", &[], &rows), vec![d(json!([4, 2]))]);
    assert_eq!(run("percentile", &[l(50)], &rows), vec![l(2)]);
    assert_eq!(run("sum", &[], &column(&[Value::Null])), vec![l(0)]);
    assert!(matches!(run("avg", &[], &column(&[Value::Null]))[..], [Value::Real(x)] if x.is_nan()));
}

#[test]
fn sum_and_avg_types() {
    assert_eq!(run("sum", &[], &column(&[l(1), l(2)])), vec![l(3)]);
    assert_eq!(
        run("sum", &[], &column(&[r(0.1), r(0.2)])),
        vec![r(0.30000000000000004)]
    );
    // Exact: 1e16 + 1 - 1e16 is 1, which plain left-to-right addition loses.
    assert_eq!(run("sum", &[], &column(&[r(1e16), r(1.0), r(-1e16)])), vec![r(1.0)]);
    assert_eq!(run("sum", &[], &column(&[l(i64::MAX), l(1)])), vec![l(i64::MIN)]);
    assert_eq!(run("avg", &[], &column(&[l(1), l(2)])), vec![r(1.5)]);
    let spans = column(&[Value::TimeSpan(10), Value::TimeSpan(21)]);
    assert_eq!(run("sum", &[], &spans), vec![Value::TimeSpan(31)]);
    assert_eq!(run("avg", &[], &spans), vec![Value::TimeSpan(15)]);
    let times = column(&[Value::DateTime(100), Value::DateTime(300)]);
    assert_eq!(run("avg", &[], &times), vec![Value::DateTime(200)]);
    assert_eq!(
        (function("sum").result_types)(&[Some(ColumnType::Long)], &[]),
        vec![Some(ColumnType::Long)]
    );
    assert_eq!(
        (function("avg").result_types)(&[Some(ColumnType::Long)], &[]),
        vec![Some(ColumnType::Real)]
    );
    assert_eq!(
        (function("avg").result_types)(&[Some(ColumnType::DateTime)], &[]),
        vec![Some(ColumnType::DateTime)]
    );
}

#[test]
fn min_and_max_order_strings_ordinally_and_datetimes_as_instants() {
    let words = column(&[s("b"), s("B"), s("a")]);
    assert_eq!(run("min", &[], &words), vec![s("B")]);
    assert_eq!(run("max", &[], &words), vec![s("b")]);
    let times = column(&[Value::DateTime(20), Value::DateTime(5), Value::Null]);
    assert_eq!(run("min", &[], &times), vec![Value::DateTime(5)]);
    assert_eq!(run("max", &[], &times), vec![Value::DateTime(20)]);
    let if_rows = vec![vec![l(9), b(false)], vec![l(3), b(true)], vec![l(5), Value::Null]];
    assert_eq!(run("minif", &[], &if_rows), vec![l(3)]);
    assert_eq!(run("maxif", &[], &if_rows), vec![l(3)]);
}

#[test]
fn countif_counts_only_true() {
    let rows = column(&[b(true), b(false), Value::Null, b(true), d(json!(true))]);
    assert_eq!(run("countif", &[], &rows), vec![l(3)]);
}

#[test]
fn dcount_is_exact_and_skips_empty() {
    let rows = column(&[s("a"), s(""), s("b"), s("a"), s("A")]);
    assert_eq!(run("dcount", &[], &rows), vec![l(3)]);
    assert_eq!(run("count_distinct", &[], &rows), vec![l(3)]);
    assert_eq!(run("dcount", &[l(4)], &rows), vec![l(3)]);
    let if_rows = vec![vec![s("a"), b(true)], vec![s("b"), b(false)], vec![s("c"), b(true)]];
    assert_eq!(run("dcountif", &[], &if_rows), vec![l(2)]);
    assert!((function("dcount").new)(&[l(5)]).is_err());
}

#[test]
fn make_set_and_list_keep_empty_strings_and_honour_max_size() {
    let rows = column(&[s("x"), s(""), s("y"), s("x"), s("z")]);
    assert_eq!(run("make_set", &[], &rows), vec![d(json!(["x", "", "y", "z"]))]);
    assert_eq!(run("make_set", &[l(2)], &rows), vec![d(json!(["x", ""]))]);
    assert_eq!(run("make_list", &[l(3)], &rows), vec![d(json!(["x", "", "y"]))]);
    let many = column(&(0..200).map(l).collect::<Vec<_>>());
    let Value::Dynamic(serde_json::Value::Array(legacy)) = &run("makeset", &[], &many)[0] else {
        panic!("an array")
    };
    assert_eq!(legacy.len(), 128);
    assert!((function("make_set").new)(&[l(0)]).is_err());
    assert!((function("make_set").new)(&[l(1_048_577)]).is_err());
    assert!((function("make_list").new)(&[s("ten")]).is_err());
}

#[test]
fn make_list_renders_datetimes_as_kusto_text() {
    let rows = column(&[Value::DateTime(0)]);
    let expected = Value::DateTime(0).to_json();
    assert_eq!(run("make_list", &[], &rows), vec![d(json!([expected]))]);
}

#[test]
fn make_bag_keeps_the_first_value_and_skips_non_bags() {
    let rows = column(&[d(json!({"a": 1})), d(json!([1, 2])), s("x"), d(json!({"a": 2, "b": 3}))]);
    assert_eq!(run("make_bag", &[], &rows), vec![d(json!({"a": 1, "b": 3}))]);
    assert_eq!(run("make_bag", &[l(1)], &rows), vec![d(json!({"a": 1}))]);
}

#[test]
fn arg_max_ties_keep_the_first_row() {
    let rows = vec![vec![l(5), s("first")], vec![l(7), s("second")], vec![l(7), s("third")]];
    assert_eq!(run("arg_max", &[], &rows), vec![l(7), s("second")]);
    assert_eq!(run("arg_min", &[], &rows), vec![l(5), s("first")]);
    assert_eq!(
        (function("arg_max").default_names)(&[None, None, Some("B")], &[]),
        vec!["max_", "max__arg1", "B"]
    );
    assert_eq!(
        (function("arg_min").default_names)(&[Some("T"), None], &[]),
        vec!["T", "min_T_arg1"]
    );
    assert_eq!(
        (function("argmax").default_names)(&[Some("T"), Some("A"), None], &[]),
        vec!["T", "T_A", "T_arg2"]
    );
}

#[test]
fn percentiles_pick_the_nearest_rank() {
    let rows = column(&[l(50), l(15), l(40), Value::Null, l(35), l(20)]);
    assert_eq!(
        run("percentiles", &[l(0), l(5), l(30), l(40), l(50), l(100)], &rows),
        vec![l(15), l(15), l(20), l(20), l(35), l(50)]
    );
    assert!((function("percentile").new)(&[l(101)]).is_err());
    assert!((function("percentile").new)(&[s("95")]).is_err());
    assert!((function("percentiles").row_args)(1).is_err());
}

#[test]
fn default_names_of_every_prefix() {
    for (name, columns, expected) in [
        ("count", vec![], "count_"),
        ("countif", vec![None], "countif_"),
        ("dcount", vec![Some("X")], "dcount_X"),
        ("dcountif", vec![Some("X"), None], "dcountif_X"),
        ("count_distinct", vec![Some("X")], "count_distinct_X"),
        ("sum", vec![Some("X")], "sum_X"),
        ("sum", vec![None], "sum_"),
        ("sumif", vec![Some("X"), None], "sumif_X"),
        ("avg", vec![Some("X")], "avg_X"),
        ("avgif", vec![Some("X"), None], "avgif_X"),
        ("min", vec![Some("X")], "min_X"),
        ("minif", vec![Some("X"), None], "minif_X"),
        ("max", vec![Some("X")], "max_X"),
        ("maxif", vec![Some("X"), None], "maxif_X"),
        ("make_set", vec![Some("X")], "set_X"),
        ("makeset", vec![Some("X")], "set_X"),
        ("make_set_if", vec![Some("X"), None], "set_X"),
        ("make_list", vec![Some("X")], "list_X"),
        ("make_bag_if", vec![Some("X"), None], "bag_X"),
        ("make_dictionary", vec![Some("X")], "dictionary_X"),
        ("stdev", vec![Some("X")], "stdev_X"),
        ("stdevp", vec![Some("X")], "stdevp_X"),
        ("variancep", vec![Some("X")], "variancep_X"),
        ("take_any", vec![None], "any_arg0"),
    ] {
        let names = (function(name).default_names)(&columns, &[]);
        assert_eq!(names, vec![expected.to_string()], "{name}");
    }
}

#[test]
fn argument_counts() {
    let cases: [(&str, usize, Result<usize, ()>); 16] = [
        ("count", 0, Ok(0)),
        ("count", 1, Err(())),
        ("countif", 1, Ok(1)),
        ("dcount", 1, Ok(1)),
        ("dcount", 2, Ok(1)),
        ("dcount", 3, Err(())),
        ("make_set", 2, Ok(1)),
        ("make_set_if", 2, Ok(2)),
        ("make_set_if", 3, Ok(2)),
        ("sumif", 2, Ok(2)),
        ("sumif", 1, Err(())),
        ("percentile", 3, Err(())),
        ("percentiles", 4, Ok(1)),
        ("arg_max", 3, Ok(3)),
        ("arg_max", 0, Err(())),
        ("take_any", 1, Ok(1)),
    ];
    for (name, count, expected) in cases {
        assert_eq!(
            (function(name).row_args)(count).map_err(|_| ()),
            expected,
            "{name}({count})"
        );
    }
}

#[test]
fn every_name_is_found_and_the_table_is_sendable() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<AggregateFn>();
    for name in names() {
        let function = function(name);
        assert!(names().contains(&function.name), "{name} -> {}", function.name);
    }
    assert!(lookup("Count").is_none(), "names are case-sensitive");
    for (alias, canonical) in [
        ("makeset", "make_set"),
        ("makelist", "make_list"),
        ("argmax", "arg_max"),
    ] {
        assert_eq!(function(alias).name, canonical);
    }
    assert_eq!(function("argmin").name, "arg_min");
    assert_eq!(function("any").name, "take_any");
    assert_eq!(function("make_dictionary").name, "make_bag");
}

// ---------------------------------------------------------------------------------------------
// The partial-merge property.

/// Random property rows, from the tests' deterministic generator.
struct Rows(crate::testing::XorShift);

impl Rows {
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn value(&mut self) -> Value {
        match self.next() % 8 {
            0 => Value::Null,
            1 | 2 => l((self.next() % 7) as i64 - 3),
            3 => r((self.next() % 1000) as f64 / 7.0 - 50.0),
            4 => r([1e16, -1e16, 0.1, 1e-9][(self.next() % 4) as usize]),
            5 => l(((self.next() % 3) as i64 + 1) * 1_000_000_007),
            6 => r((self.next() % 5) as f64),
            _ => l(0),
        }
    }

    fn predicate(&mut self) -> Value {
        match self.next() % 3 {
            0 => b(true),
            1 => b(false),
            _ => Value::Null,
        }
    }

    fn word(&mut self) -> Value {
        s(["", "a", "b", "B", "cc"][(self.next() % 5) as usize])
    }
}

#[test]
fn every_aggregate_merges_partials_like_one_pass() {
    let mut rows = Rows(crate::testing::XorShift::new(0x9e37_79b9_7f4a_7c15));
    for _round in 0..4 {
        let numbers: Vec<Vec<Value>> = (0..12).map(|_| vec![rows.value()]).collect();
        let words: Vec<Vec<Value>> = (0..12).map(|_| vec![rows.word()]).collect();
        let predicated: Vec<Vec<Value>> = (0..12).map(|_| vec![rows.value(), rows.predicate()]).collect();
        let with_rows: Vec<Vec<Value>> = (0..12).map(|_| vec![rows.value(), rows.word(), rows.value()]).collect();
        let bags: Vec<Vec<Value>> = (0..12)
            .map(|_| {
                let key = ["a", "b", "c", "d"][(rows.next() % 4) as usize];
                vec![d(json!({ key: rows.next() % 3 }))]
            })
            .collect();
        for name in [
            "count",
            "sum",
            "avg",
            "min",
            "max",
            "dcount",
            "count_distinct",
            "stdev",
            "stdevp",
        ] {
            assert_split_invariant(name, &[], &numbers);
        }
        for name in [
            "variance",
            "variancep",
            "make_list",
            "make_set",
            "take_any",
            "arg_max",
            "arg_min",
        ] {
            assert_split_invariant(name, &[], &numbers);
        }
        for name in ["min", "max", "dcount", "make_set", "make_list", "take_any", "count"] {
            assert_split_invariant(name, &[], &words);
        }
        for name in [
            "sumif",
            "avgif",
            "minif",
            "maxif",
            "dcountif",
            "make_set_if",
            "make_list_if",
        ] {
            assert_split_invariant(name, &[], &predicated);
        }
        for name in ["stdevif", "varianceif", "count_distinctif"] {
            assert_split_invariant(name, &[], &predicated);
        }
        let predicates: Vec<Vec<Value>> = predicated.iter().map(|row| vec![row[1].clone()]).collect();
        assert_split_invariant("countif", &[], &predicates);
        assert_split_invariant("make_set", &[l(3)], &numbers);
        assert_split_invariant("make_list", &[l(3)], &numbers);
        assert_split_invariant("percentiles", &[l(0), l(25), l(50), r(99.5), l(100)], &numbers);
        assert_split_invariant("percentile", &[l(50)], &words);
        for name in ["arg_max", "arg_min", "take_any"] {
            assert_split_invariant(name, &[], &with_rows);
        }
        assert_split_invariant("make_bag", &[], &bags);
        assert_split_invariant("make_bag", &[l(2)], &bags);
        let bagged: Vec<Vec<Value>> = bags.iter().map(|row| vec![row[0].clone(), rows.predicate()]).collect();
        assert_split_invariant("make_bag_if", &[], &bagged);
    }
}

#[test]
fn memory_grows_with_collected_values() {
    let rows = column(&(0..100).map(|i| s(&format!("value-{i}"))).collect::<Vec<_>>());
    for name in ["make_set", "make_list", "dcount", "percentile"] {
        let constants = if name == "percentile" { vec![l(50)] } else { vec![] };
        let small = accumulate(name, &constants, &rows[..1]).memory();
        let large = accumulate(name, &constants, &rows).memory();
        assert!(large > small, "{name}: {small} then {large}");
    }
}
