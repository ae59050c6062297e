//! Table-driven tests of the function library: one row per example of Microsoft's Kusto
//! reference pages (cited above each group), plus the edge cases Kusto's rules imply.

use serde_json::Value as Json;

use super::{lookup, names, Context};
use crate::schema::ColumnType;
use crate::time::parse_datetime;
use crate::value::{parse_timespan_text, Value};

mod more;
mod parsing;

pub(super) fn s(text: &str) -> Value {
    Value::String(text.to_string())
}
pub(super) fn l(n: i64) -> Value {
    Value::Long(n)
}
pub(super) fn r(x: f64) -> Value {
    Value::Real(x)
}
pub(super) fn b(x: bool) -> Value {
    Value::Bool(x)
}
pub(super) fn dt(text: &str) -> Value {
    Value::DateTime(parse_datetime(text).unwrap_or_else(|| panic!("bad test datetime {text}")))
}
pub(super) fn ts(text: &str) -> Value {
    Value::TimeSpan(parse_timespan_text(text).unwrap_or_else(|| panic!("bad test timespan {text}")))
}
pub(super) fn dy(json: &str) -> Value {
    Value::Dynamic(serde_json::from_str::<Json>(json).unwrap_or_else(|e| panic!("bad test json {json}: {e}")))
}
pub(super) const NULL: Value = Value::Null;

pub(super) fn call(name: &str, args: &[Value]) -> Value {
    let f = lookup(name).unwrap_or_else(|| panic!("no function {name}"));
    assert!(
        args.len() >= f.min_args && args.len() <= f.max_args,
        "{name}: {} arguments outside {}..={}",
        args.len(),
        f.min_args,
        f.max_args
    );
    let context = Context {
        now: parse_datetime("2024-03-15T10:30:00Z").unwrap_or_default(),
    };
    (f.eval)(args, &context)
}

/// Runs every row and reports all the rows that fail at once.
pub(super) fn check(rows: &[(&str, Vec<Value>, Value)]) {
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|(name, args, expected)| {
            let got = call(name, args);
            (got != *expected).then(|| format!("{name}({args:?}) = {got:?}, expected {expected:?}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} failing rows:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn registry_knows_names_and_aliases() {
    let all = names();
    assert!(all.len() > 150, "{} names", all.len());
    for name in [
        "iif",
        "todouble",
        "parse_json",
        "pack",
        "extractjson",
        "replace",
        "floor",
        "strcat",
    ] {
        assert!(all.contains(&name), "{name}");
    }
    assert!(std::ptr::eq(lookup("iif").unwrap(), lookup("iff").unwrap()));
    assert!(lookup("IFF").is_none(), "names are case-sensitive");
    assert!(lookup("toscalar").is_none(), "the planner's, not ours");
    for name in &all {
        let f = lookup(name).unwrap();
        assert!(f.min_args <= f.max_args, "{name}");
    }
}

#[test]
fn functions_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<super::Function>();
    assert_send_sync::<Context>();
}

#[test]
fn result_types() {
    use ColumnType::*;
    let ty = |name: &str, args: &[Option<ColumnType>]| (lookup(name).unwrap().result_type)(args);
    assert_eq!(ty("strlen", &[Some(String)]), Some(Long));
    assert_eq!(ty("iff", &[Some(Bool), Some(Long), Some(Long)]), Some(Long));
    assert_eq!(ty("iff", &[Some(Bool), None, Some(String)]), Some(String));
    assert_eq!(ty("bin", &[Some(DateTime), Some(TimeSpan)]), Some(DateTime));
    assert_eq!(ty("max_of", &[Some(Long), Some(Real)]), Some(Real));
    assert_eq!(ty("split", &[Some(String), Some(String)]), Some(Dynamic));
    assert_eq!(ty("extract", &[Some(String), Some(Long), Some(String)]), Some(String));
    assert_eq!(
        ty("extract", &[Some(String), Some(Long), Some(String), Some(String)]),
        None
    );
    assert_eq!(ty("coalesce", &[None, Some(Long)]), Some(Long));
}

#[test]
fn strings() {
    check(&[
        // https://learn.microsoft.com/kusto/query/substring-function
        ("substring", vec![s("123456"), l(1)], s("23456")),
        ("substring", vec![s("123456"), l(2), l(2)], s("34")),
        ("substring", vec![s("ABCD"), l(0), l(2)], s("AB")),
        ("substring", vec![s("123456"), l(-2), l(2)], s("56")),
        ("substring", vec![s("abc"), l(5)], s("")),
        // https://learn.microsoft.com/kusto/query/split-function
        ("split", vec![s("aa_bb"), s("_")], dy(r#"["aa","bb"]"#)),
        ("split", vec![s("aaa_bbb_ccc"), s("_"), l(1)], dy(r#"["bbb"]"#)),
        ("split", vec![s(""), s("_")], dy(r#"[""]"#)),
        ("split", vec![s("a__b"), s("_")], dy(r#"["a","","b"]"#)),
        ("split", vec![s("aabbcc"), s("bb")], dy(r#"["aa","cc"]"#)),
        // https://learn.microsoft.com/kusto/query/indexof-function
        ("indexof", vec![s("abcdefg"), s("cde")], l(2)),
        ("indexof", vec![s("abcdefg"), s("cde"), l(1), l(4)], l(2)),
        ("indexof", vec![s("abcdefg"), s("cde"), l(1), l(2)], l(-1)),
        ("indexof", vec![s("abcdefg"), s("cde"), l(3), l(4)], l(-1)),
        ("indexof", vec![s("abcdefg"), s("cde"), l(-5)], l(2)),
        ("indexof", vec![l(1234567), l(5), l(1), l(4)], l(4)),
        ("indexof", vec![s("abcdefg"), s("cde"), l(2), l(-1)], l(2)),
        ("indexof", vec![s("abcdefgabcdefg"), s("cde"), l(1), l(10), l(2)], l(9)),
        ("indexof", vec![s("abcdefgabcdefg"), s("cde"), l(1), l(-1), l(3)], l(-1)),
        ("indexof", vec![s("abc"), s("b"), l(0), l(-2)], NULL),
        // https://learn.microsoft.com/kusto/query/trim-function
        ("trim", vec![s("--"), s("--https://bing.com--")], s("https://bing.com")),
        ("trim", vec![s(r"[^\w]+"), s("-  Te st1// $")], s("Te st1")),
        ("trim", vec![s(r"\s+"), s("    Hello, world!    ")], s("Hello, world!")),
        // https://learn.microsoft.com/kusto/query/trim-start-function, trim-end-function
        ("trim_start", vec![s("sub"), s("subsubstring")], s("string")),
        ("trim_start", vec![s(r"[^\w]+"), s("-  Te st1// $")], s("Te st1// $")),
        ("trim_end", vec![s("bstring"), s("substring")], s("su")),
        ("trim_end", vec![s(r"[^\w]+"), s("-  Te st1// $")], s("-  Te st1")),
        ("trim", vec![s("("), s("x")], s("")),
        // https://learn.microsoft.com/kusto/query/replace-regex-function
        (
            "replace_regex",
            vec![s("Number is 1"), s(r"is (\d+)"), s(r"was: \1")],
            s("Number was: 1"),
        ),
        ("replace_regex", vec![s("aXbXc"), s("X"), s(r"[\0]")], s("a[X]b[X]c")),
        (
            "replace",
            vec![s(r"is (\d+)"), s(r"was: \1"), s("Number is 5")],
            s("Number was: 5"),
        ),
        // https://learn.microsoft.com/kusto/query/replace-string-function
        (
            "replace_string",
            vec![s("A magic trick can turn a cat into a dog"), s("cat"), s("hamster")],
            s("A magic trick can turn a hamster into a dog"),
        ),
        // https://learn.microsoft.com/kusto/query/extract-function
        ("extract", vec![s(r"-(\d{2})-"), l(1), s("15-12-2024"), s("int")], l(12)),
        (
            "extract",
            vec![s(r"-(\d{2})-"), l(1), s("21-07-2023"), s("typeof(int)")],
            l(7),
        ),
        (
            "extract",
            vec![
                s("User: ([^,]+)"),
                l(1),
                s("User: JohnDoe, Email: johndoe@example.com, Age: 29"),
            ],
            s("JohnDoe"),
        ),
        ("extract", vec![s("x(y)"), l(1), s("no match")], s("")),
        ("extract", vec![s("x(y)"), l(1), s("no match"), s("long")], NULL),
        // https://learn.microsoft.com/kusto/query/extract-all-function
        (
            "extract_all",
            vec![s(r"(\d+)"), s("a set of numbers: 123, 567 and 789")],
            dy(r#"["123","567","789"]"#),
        ),
        (
            "extract_all",
            vec![s(r"([\da-f]{2})"), s("82b8be2d-dfa7")],
            dy(r#"["82","b8","be","2d","df","a7"]"#),
        ),
        (
            "extract_all",
            vec![s(r"(\w)(\w+)(\w)"), s("82b8be2d-dfa7-4bd1")],
            dy(r#"[["8","2b8be2","d"],["d","fa","7"],["4","bd","1"]]"#),
        ),
        (
            "extract_all",
            vec![s(r"(\w)(\w+)(\w)"), dy("[1,3]"), s("82b8be2d-dfa7-4bd1")],
            dy(r#"[["8","d"],["d","7"],["4","1"]]"#),
        ),
        (
            "extract_all",
            vec![
                s(r"(?P<first>\w)(?P<middle>\w+)(?P<last>\w)"),
                dy(r#"["first",2,"last"]"#),
                s("82b8be2d-dfa7"),
            ],
            dy(r#"[["8","2b8be2","d"],["d","fa","7"]]"#),
        ),
        ("extract_all", vec![s(r"(\d+)"), s("none")], NULL),
        // https://learn.microsoft.com/kusto/query/countof-function
        ("countof", vec![s("aaa"), s("a")], l(3)),
        ("countof", vec![s("aaaa"), s("aa")], l(3)),
        ("countof", vec![s("ababa"), s("ab"), s("normal")], l(2)),
        ("countof", vec![s("ababa"), s("aba")], l(2)),
        ("countof", vec![s("ababa"), s("aba"), s("regex")], l(1)),
        ("countof", vec![s("abcabc"), s("a.c"), s("regex")], l(2)),
        // https://learn.microsoft.com/kusto/query/strcat-function, strcat-delim-function
        ("strcat", vec![s("hello"), s(" "), s("world")], s("hello world")),
        ("strcat_delim", vec![s("-"), s("1"), s("2"), s("A"), l(1)], s("1-2-A-1")),
        // https://learn.microsoft.com/kusto/query/strcat-array-function
        ("strcat_array", vec![dy("[1, 2, 3]"), s("->")], s("1->2->3")),
        ("strcat_array", vec![dy(r#"["John","Paul"]"#), s(",")], s("John,Paul")),
        // https://learn.microsoft.com/kusto/query/strlen-function
        ("strlen", vec![s("hello")], l(5)),
        ("strlen", vec![s("⒦⒰⒮⒯⒪")], l(5)),
        ("strlen", vec![s("")], l(0)),
        // https://learn.microsoft.com/kusto/query/string-size-function
        ("string_size", vec![s("hello")], l(5)),
        ("string_size", vec![s("⒦⒰⒮⒯⒪")], l(15)),
        // https://learn.microsoft.com/kusto/query/reverse-function
        ("reverse", vec![s("ABCDEF")], s("FEDCBA")),
        ("reverse", vec![l(123)], s("321")),
        // https://learn.microsoft.com/kusto/query/strrep-function
        ("strrep", vec![s("ABC"), l(2)], s("ABCABC")),
        ("strrep", vec![s("ABC"), l(2), s(",")], s("ABC,ABC")),
        ("strrep", vec![l(123), l(3), s(",")], s("123,123,123")),
        // https://learn.microsoft.com/kusto/query/tolower-function, toupper-function
        ("tolower", vec![s("Hello")], s("hello")),
        ("toupper", vec![s("hello")], s("HELLO")),
        ("tolower", vec![NULL], s("")),
        // https://learn.microsoft.com/kusto/query/has-any-index-function
        (
            "has_any_index",
            vec![s("this is an example"), dy(r#"["this","example"]"#)],
            l(0),
        ),
        (
            "has_any_index",
            vec![s("this is an example"), dy(r#"["not","example"]"#)],
            l(1),
        ),
        (
            "has_any_index",
            vec![s("this is an example"), dy(r#"["not","found"]"#)],
            l(-1),
        ),
        ("has_any_index", vec![s("this is an example"), dy("[]")], l(-1)),
        (
            "has_any_index",
            vec![s("myspapro.co.com"), dy(r#"["spapro.co.com"]"#)],
            l(-1),
        ),
        // https://learn.microsoft.com/kusto/query/isascii-function
        ("isascii", vec![s("some string")], b(true)),
        ("isascii", vec![s("⒦⒰⒮⒯⒪")], b(false)),
    ]);
}

#[test]
fn conversions() {
    check(&[
        // https://learn.microsoft.com/kusto/query/tostring-function
        ("tostring", vec![l(123)], s("123")),
        ("tostring", vec![NULL], s("")),
        ("tostring", vec![dy(r#"{"a":1}"#)], s(r#"{"a":1}"#)),
        ("tostring", vec![dy(r#""text""#)], s("text")),
        ("tostring", vec![dt("2024-01-01")], s("2024-01-01T00:00:00Z")),
        ("tostring", vec![ts("1.02:03:04.5")], s("1.02:03:04.5000000")),
        // https://learn.microsoft.com/kusto/query/tolong-function, toint-function
        ("tolong", vec![s("123")], l(123)),
        ("tolong", vec![s("abc")], NULL),
        ("tolong", vec![r(2.7)], l(2)),
        ("toint", vec![s("456")], l(456)),
        ("toint", vec![l(1 << 40)], NULL),
        // https://learn.microsoft.com/kusto/query/toreal-function
        ("toreal", vec![s("123.4")], r(123.4)),
        ("todouble", vec![s("abc")], NULL),
        // https://learn.microsoft.com/kusto/query/tobool-function
        ("tobool", vec![s("true")], b(true)),
        ("tobool", vec![s("false")], b(false)),
        ("tobool", vec![l(1)], b(true)),
        ("tobool", vec![l(123)], b(true)),
        ("tobool", vec![s("no")], NULL),
        // https://learn.microsoft.com/kusto/query/todatetime-function
        ("todatetime", vec![s("2015-12-24")], dt("2015-12-24")),
        ("todatetime", vec![s("01/16/2022 00:00:00")], dt("2022-01-16")),
        (
            "todatetime",
            vec![s("Sat, 8 Nov 2014 15:05:02 GMT")],
            dt("2014-11-08T15:05:02Z"),
        ),
        (
            "todatetime",
            vec![s("2021-10-19T10:11:12.1234567Z")],
            dt("2021-10-19T10:11:12.1234567Z"),
        ),
        ("todatetime", vec![s("not a date")], NULL),
        // https://learn.microsoft.com/kusto/query/totimespan-function
        ("totimespan", vec![s("0.00:01:00")], ts("00:01:00")),
        ("totimespan", vec![s("1d")], ts("1.00:00:00")),
        ("totimespan", vec![s("nope")], NULL),
        // https://learn.microsoft.com/kusto/query/parse-json-function
        ("parse_json", vec![s(r#"{"a":[1,2]}"#)], dy(r#"{"a":[1,2]}"#)),
        (
            "todynamic",
            vec![s("not json")],
            Value::Dynamic(Json::String("not json".into())),
        ),
        // https://learn.microsoft.com/kusto/query/toguid-function
        (
            "toguid",
            vec![s("74be27de-1e4e-49d9-b579-fe0b331d3642")],
            s("74be27de-1e4e-49d9-b579-fe0b331d3642"),
        ),
        (
            "toguid",
            vec![s("{74BE27DE-1E4E-49D9-B579-FE0B331D3642}")],
            s("74be27de-1e4e-49d9-b579-fe0b331d3642"),
        ),
        (
            "toguid",
            vec![s("74be27de1e4e49d9b579fe0b331d3642")],
            s("74be27de-1e4e-49d9-b579-fe0b331d3642"),
        ),
        ("toguid", vec![s("not a guid")], s("")),
        // https://learn.microsoft.com/kusto/query/gettype-function
        ("gettype", vec![s("a")], s("string")),
        ("gettype", vec![l(111)], s("long")),
        ("gettype", vec![b(true)], s("bool")),
        ("gettype", vec![dt("2024-01-01")], s("datetime")),
        ("gettype", vec![ts("00:00:01")], s("timespan")),
        ("gettype", vec![call("parse_json", &[s("1")])], s("int")),
        ("gettype", vec![call("parse_json", &[s(r#" "abc" "#)])], s("string")),
        (
            "gettype",
            vec![call("parse_json", &[s(r#" {"abc":1} "#)])],
            s("dictionary"),
        ),
        ("gettype", vec![call("parse_json", &[s(" [1, 2, 3] ")])], s("array")),
        ("gettype", vec![r(123.45)], s("real")),
    ]);
}

#[test]
fn logic() {
    check(&[
        // https://learn.microsoft.com/kusto/query/iff-function
        ("iff", vec![b(true), s("a"), s("b")], s("a")),
        ("iif", vec![NULL, s("a"), s("b")], s("b")),
        // https://learn.microsoft.com/kusto/query/case-function
        ("case", vec![b(false), l(1), b(true), l(2), l(3)], l(2)),
        ("case", vec![b(false), l(1), NULL, l(2), l(3)], l(3)),
        // https://learn.microsoft.com/kusto/query/coalesce-function
        ("coalesce", vec![NULL, l(10), l(20)], l(10)),
        ("coalesce", vec![s(""), s("x")], s("x")),
        ("coalesce", vec![NULL, NULL], NULL),
        // https://learn.microsoft.com/kusto/query/isnull-function, isempty-function
        ("isnull", vec![s("")], b(false)),
        ("isnull", vec![NULL], b(true)),
        ("isnotnull", vec![l(1)], b(true)),
        ("isempty", vec![s("")], b(true)),
        ("isempty", vec![NULL], b(true)),
        ("isempty", vec![s("x")], b(false)),
        ("isnotempty", vec![s("x")], b(true)),
        ("not", vec![b(true)], b(false)),
        ("not", vec![NULL], NULL),
        ("isnan", vec![r(f64::NAN)], b(true)),
        ("isfinite", vec![r(1.0 / 0.0)], b(false)),
    ]);
}
