//! Doc-derived rows for the dynamic, date and time, network and math families.

use super::{b, call, check, dt, dy, l, r, s, ts, NULL};

#[test]
fn dynamic() {
    check(&[
        // https://learn.microsoft.com/kusto/query/array-length-function
        ("array_length", vec![dy("[1, 2, 3]")], l(3)),
        ("array_length", vec![dy(r#"["a","b"]"#)], l(2)),
        ("array_length", vec![dy("5")], NULL),
        ("array_length", vec![call("split", &[s("a,b,c"), s(",")])], l(3)),
        // https://learn.microsoft.com/kusto/query/array-concat-function
        ("array_concat", vec![dy("[1,2,3]"), dy("[4,5]")], dy("[1,2,3,4,5]")),
        ("array_concat", vec![dy("[1]"), dy("{}")], NULL),
        // https://learn.microsoft.com/kusto/query/array-slice-function
        ("array_slice", vec![dy("[1,2,3]"), l(1), l(2)], dy("[2,3]")),
        ("array_slice", vec![dy("[1,2,3,4,5]"), l(2), l(-1)], dy("[3,4,5]")),
        ("array_slice", vec![dy("[1,2,3,4,5]"), l(-3), l(-2)], dy("[3,4]")),
        ("array_slice", vec![dy("[1,2,3]"), l(5), l(9)], dy("[]")),
        // https://learn.microsoft.com/kusto/query/array-index-of-function
        (
            "array_index_of",
            vec![dy(r#"["this","is","an","example"]"#), s("example")],
            l(3),
        ),
        (
            "array_index_of",
            vec![dy(r#"["this","is","an","example"]"#), s("missing")],
            l(-1),
        ),
        ("array_index_of", vec![dy("[1,2,3,1,2]"), l(1), l(0), l(-1), l(2)], l(3)),
        ("array_index_of", vec![s("not an array"), l(1)], NULL),
        // https://learn.microsoft.com/kusto/query/array-sort-asc-function
        ("array_sort_asc", vec![dy("[1,3,4,5,2]")], dy("[1,2,3,4,5]")),
        (
            "array_sort_asc",
            vec![call("split", &[s("John,Paul,George,Ringo"), s(",")])],
            dy(r#"["George","John","Paul","Ringo"]"#),
        ),
        (
            "array_sort_asc",
            vec![dy(r#"[null,"blue","yellow","green",null]"#)],
            dy(r#"["blue","green","yellow",null,null]"#),
        ),
        (
            "array_sort_asc",
            vec![dy(r#"[null,"blue","yellow","green",null]"#), b(false)],
            dy(r#"[null,null,"blue","green","yellow"]"#),
        ),
        // https://learn.microsoft.com/kusto/query/array-sort-desc-function
        ("array_sort_desc", vec![dy("[1,3,4,5,2]")], dy("[5,4,3,2,1]")),
        (
            "array_sort_desc",
            vec![dy(r#"[null,"blue","yellow","green",null]"#)],
            dy(r#"["yellow","green","blue",null,null]"#),
        ),
        // https://learn.microsoft.com/kusto/query/set-union-function and friends
        (
            "set_union",
            vec![dy("[1,2,3]"), dy("[1,2]"), dy("[4,5,6]")],
            dy("[1,2,3,4,5,6]"),
        ),
        (
            "set_intersect",
            vec![dy("[1,2,3]"), dy("[1,2]"), dy("[1,2,5]")],
            dy("[1,2]"),
        ),
        (
            "set_difference",
            vec![dy("[1,2,3]"), dy("[1,2]"), dy("[4,5]")],
            dy("[3]"),
        ),
        ("set_has_element", vec![dy(r#"["this","is"]"#), s("is")], b(true)),
        ("set_has_element", vec![dy("[1,2]"), l(3)], b(false)),
        // https://learn.microsoft.com/kusto/query/bag-keys-function
        ("bag_keys", vec![dy(r#"{"a":"b","c":123}"#)], dy(r#"["a","c"]"#)),
        ("bag_keys", vec![s(r#"{"x":1}"#)], dy(r#"["x"]"#)),
        ("bag_keys", vec![dy("[1]")], NULL),
        // https://learn.microsoft.com/kusto/query/pack-function, pack-array-function
        (
            "bag_pack",
            vec![s("Level"), s("Information"), s("ProcessID"), l(1234)],
            dy(r#"{"Level":"Information","ProcessID":1234}"#),
        ),
        ("pack", vec![s("a"), l(1)], dy(r#"{"a":1}"#)),
        ("pack_array", vec![l(1), s("x"), b(true)], dy(r#"[1,"x",true]"#)),
        // https://learn.microsoft.com/kusto/query/bag-merge-function
        (
            "bag_merge",
            vec![dy(r#"{"A1":12,"B1":2,"C1":3}"#), dy(r#"{"A2":81,"B2":82,"A1":1}"#)],
            dy(r#"{"A1":12,"B1":2,"C1":3,"A2":81,"B2":82}"#),
        ),
        // https://learn.microsoft.com/kusto/query/bag-remove-keys-function
        (
            "bag_remove_keys",
            vec![dy(r#"{"key1":123,"key2":"abc"}"#), dy(r#"["key1"]"#)],
            dy(r#"{"key2":"abc"}"#),
        ),
        (
            "bag_remove_keys",
            vec![dy(r#"{"a":{"b":1,"c":2}}"#), dy(r#"["$.a.b"]"#)],
            dy(r#"{"a":{"c":2}}"#),
        ),
        // https://learn.microsoft.com/kusto/query/bag-has-key-function
        ("bag_has_key", vec![dy(r#"{"A1":12}"#), s("A1")], b(true)),
        ("bag_has_key", vec![dy(r#"{"A1":12}"#), s("B1")], b(false)),
        ("bag_has_key", vec![dy(r#"{"a":{"b":1}}"#), s("$.a.b")], b(true)),
        // https://learn.microsoft.com/kusto/query/zip-function
        ("zip", vec![dy("[1,3,5]"), dy("[2,4,6]")], dy("[[1,2],[3,4],[5,6]]")),
        (
            "zip",
            vec![dy("[1,3,5,7]"), dy("[2,4,6]")],
            dy("[[1,2],[3,4],[5,6],[7,null]]"),
        ),
    ]);
}

#[test]
fn dates_and_times() {
    let d = "2017-01-01T10:10:17Z";
    check(&[
        // https://learn.microsoft.com/kusto/query/bin-function
        ("bin", vec![r(4.5), l(1)], r(4.0)),
        ("bin", vec![ts("16.00:00:00"), ts("7.00:00:00")], ts("14.00:00:00")),
        (
            "bin",
            vec![dt("1970-05-11 13:45:07"), ts("1.00:00:00")],
            dt("1970-05-11"),
        ),
        ("bin", vec![l(-7), l(5)], l(-10)),
        ("bin", vec![l(7), l(0)], NULL),
        (
            "floor",
            vec![dt("2024-03-14T12:00:00Z"), ts("01:00:00")],
            dt("2024-03-14T12:00:00Z"),
        ),
        // Seven-day bins count from 0001-01-01, a Monday.
        (
            "bin",
            vec![dt("2024-03-14T12:00:00Z"), ts("7.00:00:00")],
            dt("2024-03-11"),
        ),
        // https://learn.microsoft.com/kusto/query/bin-at-function
        ("bin_at", vec![r(6.5), r(2.5), l(7)], r(4.5)),
        (
            "bin_at",
            vec![ts("01:00:00"), ts("1.00:00:00"), ts("12:00:00")],
            ts("-12:00:00"),
        ),
        (
            "bin_at",
            vec![
                dt("2017-05-15 10:20:00.0"),
                ts("1.00:00:00"),
                dt("1970-01-01 12:00:00.0"),
            ],
            dt("2017-05-14T12:00:00Z"),
        ),
        // https://learn.microsoft.com/kusto/query/startofweek-function and the other startof/endof pages
        ("startofweek", vec![dt(d), l(-1)], dt("2016-12-25")),
        ("startofweek", vec![dt(d)], dt("2017-01-01")),
        ("startofweek", vec![dt(d), l(1)], dt("2017-01-08")),
        ("startofday", vec![dt(d), l(-1)], dt("2016-12-31")),
        ("startofmonth", vec![dt(d), l(-1)], dt("2016-12-01")),
        ("startofmonth", vec![dt(d), l(1)], dt("2017-02-01")),
        ("startofyear", vec![dt(d), l(-1)], dt("2016-01-01")),
        ("endofday", vec![dt(d), l(-1)], dt("2016-12-31T23:59:59.9999999Z")),
        ("endofweek", vec![dt(d)], dt("2017-01-07T23:59:59.9999999Z")),
        ("endofmonth", vec![dt(d), l(1)], dt("2017-02-28T23:59:59.9999999Z")),
        ("endofyear", vec![dt(d)], dt("2017-12-31T23:59:59.9999999Z")),
        // https://learn.microsoft.com/kusto/query/datetime-add-function
        (
            "datetime_add",
            vec![s("year"), l(-5), dt("2017-10-30 01:02:03.7654321")],
            dt("2012-10-30 01:02:03.7654321"),
        ),
        (
            "datetime_add",
            vec![s("quarter"), l(1), dt("2017-10-30 01:02:03.7654321")],
            dt("2018-01-30 01:02:03.7654321"),
        ),
        (
            "datetime_add",
            vec![s("month"), l(1), dt("2017-01-31")],
            dt("2017-02-28"),
        ),
        (
            "datetime_add",
            vec![s("week"), l(1), dt("2017-10-30")],
            dt("2017-11-06"),
        ),
        (
            "datetime_add",
            vec![s("Hour"), l(2), dt("2017-10-30")],
            dt("2017-10-30T02:00:00Z"),
        ),
        (
            "datetime_add",
            vec![s("nanosecond"), l(1000), dt("2017-10-30")],
            dt("2017-10-30T00:00:00.000001Z"),
        ),
        // https://learn.microsoft.com/kusto/query/datetime-diff-function
        (
            "datetime_diff",
            vec![s("year"), dt("2017-01-01"), dt("2000-12-31")],
            l(17),
        ),
        (
            "datetime_diff",
            vec![s("quarter"), dt("2017-07-01"), dt("2017-03-30")],
            l(2),
        ),
        (
            "datetime_diff",
            vec![s("month"), dt("2017-01-01"), dt("2015-12-30")],
            l(13),
        ),
        (
            "datetime_diff",
            vec![s("week"), dt("2017-10-29 00:00"), dt("2017-09-30 23:59")],
            l(5),
        ),
        (
            "datetime_diff",
            vec![s("day"), dt("2017-10-29 00:00"), dt("2017-09-30 23:59")],
            l(29),
        ),
        (
            "datetime_diff",
            vec![s("hour"), dt("2017-10-31 01:00"), dt("2017-10-30 23:59")],
            l(2),
        ),
        (
            "datetime_diff",
            vec![s("minute"), dt("2017-10-30 23:05:01"), dt("2017-10-30 23:00:59")],
            l(5),
        ),
        (
            "datetime_diff",
            vec![
                s("second"),
                dt("2017-10-30 23:00:10.100"),
                dt("2017-10-30 23:00:00.900"),
            ],
            l(10),
        ),
        (
            "datetime_diff",
            vec![
                s("millisecond"),
                dt("2017-10-30 23:00:00.200100"),
                dt("2017-10-30 23:00:00.100900"),
            ],
            l(100),
        ),
        (
            "datetime_diff",
            vec![
                s("microsecond"),
                dt("2017-10-30 23:00:00.1009001"),
                dt("2017-10-30 23:00:00.1008009"),
            ],
            l(100),
        ),
        (
            "datetime_diff",
            vec![
                s("nanosecond"),
                dt("2017-10-30 23:00:00.0000000"),
                dt("2017-10-30 23:00:00.0000007"),
            ],
            l(-700),
        ),
        // https://learn.microsoft.com/kusto/query/datetime-part-function
        (
            "datetime_part",
            vec![s("year"), dt("2017-10-30 01:02:03.7654321")],
            l(2017),
        ),
        (
            "datetime_part",
            vec![s("quarter"), dt("2017-10-30 01:02:03.7654321")],
            l(4),
        ),
        (
            "datetime_part",
            vec![s("month"), dt("2017-10-30 01:02:03.7654321")],
            l(10),
        ),
        (
            "datetime_part",
            vec![s("week_of_year"), dt("2017-10-30 01:02:03.7654321")],
            l(44),
        ),
        (
            "datetime_part",
            vec![s("day"), dt("2017-10-30 01:02:03.7654321")],
            l(30),
        ),
        (
            "datetime_part",
            vec![s("dayOfYear"), dt("2017-10-30 01:02:03.7654321")],
            l(303),
        ),
        (
            "datetime_part",
            vec![s("hour"), dt("2017-10-30 01:02:03.7654321")],
            l(1),
        ),
        (
            "datetime_part",
            vec![s("minute"), dt("2017-10-30 01:02:03.7654321")],
            l(2),
        ),
        (
            "datetime_part",
            vec![s("second"), dt("2017-10-30 01:02:03.7654321")],
            l(3),
        ),
        (
            "datetime_part",
            vec![s("millisecond"), dt("2017-10-30 01:02:03.7654321")],
            l(765),
        ),
        (
            "datetime_part",
            vec![s("microsecond"), dt("2017-10-30 01:02:03.7654321")],
            l(765432),
        ),
        (
            "datetime_part",
            vec![s("nanosecond"), dt("2017-10-30 01:02:03.7654321")],
            l(765432100),
        ),
        // https://learn.microsoft.com/kusto/query/week-of-year-function
        ("week_of_year", vec![dt("2020-12-31")], l(53)),
        ("week_of_year", vec![dt("2020-06-15")], l(25)),
        ("week_of_year", vec![dt("1970-01-01")], l(1)),
        ("week_of_year", vec![dt("2000-01-01")], l(52)),
        // https://learn.microsoft.com/kusto/query/dayofweek-function and the single-part getters
        ("dayofweek", vec![dt("1947-11-30 10:00:05")], ts("00:00:00")),
        ("dayofweek", vec![dt("1970-05-11")], ts("1.00:00:00")),
        ("dayofmonth", vec![dt("2015-12-14")], l(14)),
        ("dayofyear", vec![dt("2015-12-14")], l(348)),
        ("hourofday", vec![dt("2015-12-14 18:54")], l(18)),
        ("getmonth", vec![dt("2015-10-12")], l(10)),
        ("monthofyear", vec![dt("2015-10-12")], l(10)),
        ("getyear", vec![dt("2015-10-12")], l(2015)),
        // https://learn.microsoft.com/kusto/query/make-datetime-function, make-timespan-function
        ("make_datetime", vec![l(2017), l(10), l(1)], dt("2017-10-01")),
        (
            "make_datetime",
            vec![l(2017), l(10), l(1), l(12), l(10)],
            dt("2017-10-01 12:10"),
        ),
        (
            "make_datetime",
            vec![l(2017), l(10), l(1), l(12), l(11), r(0.1234567)],
            dt("2017-10-01 12:11:00.1234567"),
        ),
        ("make_datetime", vec![l(2017), l(2), l(30)], NULL),
        (
            "make_timespan",
            vec![l(1), l(12), l(30), r(55.123)],
            ts("1.12:30:55.123"),
        ),
        ("make_timespan", vec![l(12), l(30)], ts("12:30:00")),
        // https://learn.microsoft.com/kusto/query/unixtime-seconds-todatetime-function (and milliseconds)
        ("unixtime_seconds_todatetime", vec![l(1546300800)], dt("2019-01-01")),
        (
            "unixtime_seconds_todatetime",
            vec![r(1546300800.5)],
            dt("2019-01-01T00:00:00.5Z"),
        ),
        (
            "unixtime_milliseconds_todatetime",
            vec![l(1546300800123)],
            dt("2019-01-01 00:00:00.123"),
        ),
        // now() and ago() read the run's fixed now (the tests' context: 2024-03-15T10:30:00Z).
        ("now", vec![], dt("2024-03-15T10:30:00Z")),
        ("now", vec![ts("-1.00:00:00")], dt("2024-03-14T10:30:00Z")),
        ("ago", vec![ts("01:00:00")], dt("2024-03-15T09:30:00Z")),
        // https://learn.microsoft.com/kusto/query/format-datetime-function
        (
            "format_datetime",
            vec![dt("2017-01-29 09:00:05"), s("yy-MM-dd [HH:mm:ss]")],
            s("17-01-29 [09:00:05]"),
        ),
        (
            "format_datetime",
            vec![dt("2017-01-29 09:00:05"), s("yyyy-M-dd [H:mm:ss]")],
            s("2017-1-29 [9:00:05]"),
        ),
        (
            "format_datetime",
            vec![dt("2017-01-29 09:00:05"), s("yy-MM-dd [hh:mm:ss tt]")],
            s("17-01-29 [09:00:05 AM]"),
        ),
        (
            "format_datetime",
            vec![dt("2009-06-15T13:45:30.6175425"), s("HH:mm:ss.fffffff")],
            s("13:45:30.6175425"),
        ),
        (
            "format_datetime",
            vec![dt("2009-06-15T13:45:30.0001150"), s("FFFFFFF")],
            s("000115"),
        ),
        ("format_datetime", vec![dt("2009-06-15T13:45:30"), s("ss.FFF")], s("30")),
        ("format_datetime", vec![dt("2009-06-15T13:45:30"), s("h tt")], s("1 PM")),
        // https://learn.microsoft.com/kusto/query/format-timespan-function
        (
            "format_timespan",
            vec![ts("29.09:00:05.12345"), s("dd.hh:mm:ss:FF")],
            s("29.09:00:05:12"),
        ),
        (
            "format_timespan",
            vec![ts("29.09:00:05.12345"), s("ddd.h:mm:ss [fffffff]")],
            s("029.9:00:05 [1234500]"),
        ),
    ]);
}

#[test]
fn network() {
    check(&[
        // https://learn.microsoft.com/kusto/query/parse-ipv4-function
        ("parse_ipv4", vec![s("127.0.0.1")], l(2130706433)),
        ("parse_ipv4", vec![s("192.1.168.1")], l(3221334017)),
        ("parse_ipv4", vec![s("192.1.168.1/24")], l(3221334016)),
        ("parse_ipv4", vec![s("256.1.1.1")], NULL),
        // https://learn.microsoft.com/kusto/query/parse-ipv4-mask-function
        ("parse_ipv4_mask", vec![s("127.0.0.1"), l(24)], l(2130706432)),
        ("parse_ipv4_mask", vec![s("192.1.168.2"), l(31)], l(3221334018)),
        // https://learn.microsoft.com/kusto/query/format-ipv4-function, format-ipv4-mask-function
        ("format_ipv4", vec![s("192.168.1.1"), l(24)], s("192.168.1.0")),
        ("format_ipv4", vec![s("192.168.1.1"), l(32)], s("192.168.1.1")),
        ("format_ipv4", vec![s("192.168.1.1/24"), l(32)], s("192.168.1.0")),
        ("format_ipv4", vec![s("192.168.1.1/24"), l(-1)], s("")),
        ("format_ipv4", vec![l(3221334017)], s("192.1.168.1")),
        ("format_ipv4_mask", vec![s("192.168.1.1"), l(24)], s("192.168.1.0/24")),
        (
            "format_ipv4_mask",
            vec![s("192.168.1.1/24"), l(32)],
            s("192.168.1.0/24"),
        ),
        // https://learn.microsoft.com/kusto/query/ipv4-is-match-function
        ("ipv4_is_match", vec![s("192.168.1.1/24"), s("192.168.1.255")], b(true)),
        ("ipv4_is_match", vec![s("192.168.1.0"), s("192.168.1.0")], b(true)),
        ("ipv4_is_match", vec![s("192.168.1.1"), s("192.168.1.255/24")], b(true)),
        (
            "ipv4_is_match",
            vec![s("192.168.1.1/30"), s("192.168.1.255/24")],
            b(true),
        ),
        (
            "ipv4_is_match",
            vec![s("192.168.1.1"), s("192.168.1.0"), l(31)],
            b(true),
        ),
        (
            "ipv4_is_match",
            vec![s("192.168.1.1/24"), s("192.168.1.255"), l(31)],
            b(true),
        ),
        (
            "ipv4_is_match",
            vec![s("192.168.1.1"), s("192.168.1.255"), l(24)],
            b(true),
        ),
        ("ipv4_is_match", vec![s("192.168.1.1"), s("192.168.1.255")], b(false)),
        ("ipv4_is_match", vec![s("x"), s("192.168.1.255")], NULL),
        // https://learn.microsoft.com/kusto/query/ipv4-compare-function
        ("ipv4_compare", vec![s("192.168.1.1"), s("192.168.1.255")], l(-1)),
        ("ipv4_compare", vec![s("192.168.1.255"), s("192.168.1.1")], l(1)),
        ("ipv4_compare", vec![s("192.168.1.1/24"), s("192.168.1.255/24")], l(0)),
        ("ipv4_compare", vec![s("192.168.1.1"), s("192.168.1.255"), l(24)], l(0)),
        // https://learn.microsoft.com/kusto/query/ipv4-is-in-range-function
        ("ipv4_is_in_range", vec![s("192.168.1.1"), s("192.168.1.1")], b(true)),
        (
            "ipv4_is_in_range",
            vec![s("192.168.1.1"), s("192.168.1.255/24")],
            b(true),
        ),
        (
            "ipv4_is_in_range",
            vec![s("192.168.1.1"), s("192.168.2.1/24")],
            b(false),
        ),
        (
            "ipv4_is_in_any_range",
            vec![s("192.168.1.6"), s("10.0.0.0/8"), s("192.168.1.0/24")],
            b(true),
        ),
        (
            "ipv4_is_in_any_range",
            vec![s("192.168.1.6"), dy(r#"["10.0.0.0/8","172.16.0.0/12"]"#)],
            b(false),
        ),
        // https://learn.microsoft.com/kusto/query/ipv4-is-private-function
        ("ipv4_is_private", vec![s("10.1.2.3")], b(true)),
        ("ipv4_is_private", vec![s("192.168.1.1/24")], b(true)),
        ("ipv4_is_private", vec![s("172.31.255.255")], b(true)),
        ("ipv4_is_private", vec![s("172.32.0.1")], b(false)),
        ("ipv4_is_private", vec![s("10.1.2.3/1")], b(false)),
        ("ipv4_is_private", vec![s("8.8.8.8")], b(false)),
        // https://learn.microsoft.com/kusto/query/ipv6-compare-function, ipv6-is-match-function
        ("ipv6_compare", vec![s("::ffff:7f00:1"), s("127.0.0.1")], l(0)),
        (
            "ipv6_compare",
            vec![s("fe80::85d:e82c:9446:7994"), s("fe80::85d:e82c:9446:7995")],
            l(-1),
        ),
        (
            "ipv6_compare",
            vec![s("fe80::85d:e82c:9446:7994/127"), s("fe80::85d:e82c:9446:7995/127")],
            l(0),
        ),
        (
            "ipv6_compare",
            vec![s("fe80::85d:e82c:9446:7994"), s("fe80::85d:e82c:9446:7995"), l(127)],
            l(0),
        ),
        (
            "ipv6_is_match",
            vec![s("fe80::85d:e82c:9446:7994/127"), s("fe80::85d:e82c:9446:7995")],
            b(true),
        ),
        ("ipv6_is_match", vec![s("192.168.1.1/24"), s("192.168.1.255")], b(true)),
    ]);
}

#[test]
fn math() {
    check(&[
        // https://learn.microsoft.com/kusto/query/round-function
        ("round", vec![r(2.98765), l(3)], r(2.988)),
        ("round", vec![r(2.15), l(1)], r(2.2)),
        ("round", vec![r(2.15)], r(2.0)),
        ("round", vec![r(-50.55), l(-2)], r(-100.0)),
        ("round", vec![r(21.5), l(-1)], r(20.0)),
        ("round", vec![l(7)], l(7)),
        // https://learn.microsoft.com/kusto/query/abs-function, ceiling-function, sign-function
        ("abs", vec![l(-5)], l(5)),
        ("abs", vec![r(-1.5)], r(1.5)),
        ("ceiling", vec![r(-1.1)], r(-1.0)),
        ("ceiling", vec![r(1.1)], r(2.0)),
        ("ceiling", vec![l(3)], l(3)),
        ("sign", vec![l(-42)], l(-1)),
        ("sign", vec![l(0)], l(0)),
        ("sign", vec![r(0.5)], r(1.0)),
        // https://learn.microsoft.com/kusto/query/log10-function and friends
        ("log10", vec![l(100)], r(2.0)),
        ("log2", vec![l(8)], r(3.0)),
        ("log", vec![r(1.0)], r(0.0)),
        ("log", vec![l(-1)], NULL),
        ("exp", vec![l(0)], r(1.0)),
        ("pow", vec![l(2), l(3)], r(8.0)),
        ("sqrt", vec![l(4)], r(2.0)),
        ("sqrt", vec![l(-1)], NULL),
        // https://learn.microsoft.com/kusto/query/max-of-function, min-of-function
        ("max_of", vec![l(10), l(1), l(-3), l(17)], l(17)),
        ("min_of", vec![l(10), l(1), l(-3), l(17)], l(-3)),
        ("max_of", vec![NULL, l(5), l(1)], l(5)),
        ("min_of", vec![NULL, NULL], NULL),
        ("max_of", vec![l(1), r(2.5)], r(2.5)),
        ("max_of", vec![dt("2024-01-01"), dt("2024-02-01")], dt("2024-02-01")),
        // https://learn.microsoft.com/kusto/query/tohex-function
        ("tohex", vec![l(256)], s("100")),
        ("tohex", vec![l(-256)], s("ffffffffffffff00")),
        ("tohex", vec![l(256), l(8)], s("00000100")),
        ("tohex", vec![l(256), l(2)], s("100")),
    ]);
}
