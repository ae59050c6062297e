//! Doc-derived rows for the hash and parsing families.

use super::{call, check, dt, dy, l, s, NULL};
use crate::value::Value;

#[test]
fn hashes() {
    check(&[
        // https://learn.microsoft.com/kusto/query/hash-sha256-function, hash-md5-function, hash-sha1-function
        (
            "hash_sha256",
            vec![s("World")],
            s("78ae647dc5544d227130a0682a51e30bc7777fbb6d8a8f17007463a3ecd1d524"),
        ),
        ("hash_md5", vec![s("World")], s("f5a7924e621e84c9280a9a27e1bcb7f6")),
        (
            "hash_sha1",
            vec![s("World")],
            s("70c07ec18ef89c5309bbb0937f3a6342411e1fdd"),
        ),
        ("hash_sha1", vec![s("")], s("da39a3ee5e6b4b0d3255bfef95601890afd80709")),
        // https://learn.microsoft.com/kusto/query/hash-function
        ("hash", vec![s("World")], l(1846988464401551951)),
        ("hash", vec![s("World"), l(100)], l(51)),
        ("hash", vec![dt("2015-01-01")], l(1380966698541616202)),
    ]);
}

#[test]
fn new_guid_is_a_fresh_guid() {
    let (Value::String(a), Value::String(b)) = (call("new_guid", &[]), call("new_guid", &[])) else {
        panic!("new_guid returns a string");
    };
    assert_ne!(a, b);
    assert_eq!(call("toguid", &[s(&a)]), s(&a));
}

#[test]
fn parsing() {
    check(&[
        // https://learn.microsoft.com/kusto/query/parse-url-function (Path without its leading `/`)
        (
            "parse_url",
            vec![s(
                "scheme://username:password@host:1234/this/is/a/path?k1=v1&k2=v2#fragment",
            )],
            dy(
                r#"{"Scheme":"scheme","Host":"host","Port":"1234","Path":"this/is/a/path","Username":"username",
                "Password":"password","Query Parameters":{"k1":"v1","k2":"v2"},"Fragment":"fragment"}"#,
            ),
        ),
        (
            "parse_url",
            vec![s("https://bing.com")],
            dy(
                r#"{"Scheme":"https","Host":"bing.com","Port":"","Path":"","Username":"","Password":"",
                "Query Parameters":{},"Fragment":""}"#,
            ),
        ),
        // https://learn.microsoft.com/kusto/query/parse-path-function
        (
            "parse_path",
            vec![s(r"C:\temp\file.txt")],
            dy(
                r#"{"Scheme":"","RootPath":"C:","DirectoryPath":"C:\\temp","DirectoryName":"temp","Filename":"file.txt","Extension":"txt","AlternateDataStreamName":""}"#,
            ),
        ),
        (
            "parse_path",
            vec![s(r"temp\file.txt")],
            dy(
                r#"{"Scheme":"","RootPath":"","DirectoryPath":"temp","DirectoryName":"temp","Filename":"file.txt","Extension":"txt","AlternateDataStreamName":""}"#,
            ),
        ),
        (
            "parse_path",
            vec![s("file://C:/temp/file.txt:some.exe")],
            dy(
                r#"{"Scheme":"file","RootPath":"C:","DirectoryPath":"C:/temp","DirectoryName":"temp","Filename":"file.txt","Extension":"txt","AlternateDataStreamName":"some.exe"}"#,
            ),
        ),
        (
            "parse_path",
            vec![s(r"\\shared\users\temp\file.txt.gz")],
            dy(
                r#"{"Scheme":"","RootPath":"","DirectoryPath":"\\\\shared\\users\\temp","DirectoryName":"temp","Filename":"file.txt.gz","Extension":"gz","AlternateDataStreamName":""}"#,
            ),
        ),
        (
            "parse_path",
            vec![s("/usr/lib/temp/file.txt")],
            dy(
                r#"{"Scheme":"","RootPath":"","DirectoryPath":"/usr/lib/temp","DirectoryName":"temp","Filename":"file.txt","Extension":"txt","AlternateDataStreamName":""}"#,
            ),
        ),
        // https://learn.microsoft.com/kusto/query/parse-command-line-function, and the
        // CommandLineToArgvW examples of Microsoft's "Parsing C command-line arguments" page
        (
            "parse_command_line",
            vec![s("echo \"hello world!\""), s("windows")],
            dy(r#"["echo","hello world!"]"#),
        ),
        (
            "parse_command_line",
            vec![s(r#"p "abc" d e"#), s("Windows")],
            dy(r#"["p","abc","d","e"]"#),
        ),
        (
            "parse_command_line",
            vec![s(r#"p a\\b d"e f"g h"#), s("windows")],
            dy(r#"["p","a\\\\b","de fg","h"]"#),
        ),
        (
            "parse_command_line",
            vec![s(r#"p a\\\"b c d"#), s("windows")],
            dy(r#"["p","a\\\"b","c","d"]"#),
        ),
        (
            "parse_command_line",
            vec![s(r#"p a\\\\"b c" d e"#), s("windows")],
            dy(r#"["p","a\\\\b c","d","e"]"#),
        ),
        (
            "parse_command_line",
            vec![s(r#""C:\Program Files\x.exe" -a"#), s("windows")],
            dy(r#"["C:\\Program Files\\x.exe","-a"]"#),
        ),
        ("parse_command_line", vec![s("x"), s("linux")], NULL),
        // https://learn.microsoft.com/kusto/query/parse-csv-function
        ("parse_csv", vec![s("aaa,bbb,ccc")], dy(r#"["aaa","bbb","ccc"]"#)),
        (
            "parse_csv",
            vec![s(r#"aa,"b,b,b",cc,"Escaping quotes: ""Title""""#)],
            dy(r#"["aa","b,b,b","cc","Escaping quotes: \"Title\""]"#),
        ),
        // https://learn.microsoft.com/kusto/query/extract-json-function
        (
            "extract_json",
            vec![
                s("$.name"),
                s(r#"{"name": "John", "age": 30, "city": "New York"}"#),
                s("string"),
            ],
            s("John"),
        ),
        (
            "extract_json",
            vec![s("$.age"), s(r#"{"name": "John", "age": 30}"#), s("typeof(long)")],
            l(30),
        ),
        ("extractjson", vec![s("$.a[1]"), s(r#"{"a":[1,2]}"#)], s("2")),
        (
            "extractjson",
            vec![s("$['a b'].c"), s(r#"{"a b":{"c":{"d":1}}}"#)],
            s(r#"{"d":1}"#),
        ),
        ("extract_json", vec![s("$.missing"), s(r#"{"a":1}"#)], s("")),
        ("extract_json", vec![s("$.a"), s("not json")], s("")),
        // https://learn.microsoft.com/kusto/query/url-encode-function, url-decode-function
        (
            "url_encode",
            vec![s("https://www.bing.com/hello world")],
            s("https%3a%2f%2fwww.bing.com%2fhello+world"),
        ),
        ("url_encode_component", vec![s("hello world")], s("hello%20world")),
        (
            "url_decode",
            vec![s("https%3a%2f%2fwww.bing.com%2f")],
            s("https://www.bing.com/"),
        ),
        ("url_decode", vec![s("a%zz+b")], s("a%zz b")),
        // https://learn.microsoft.com/kusto/query/base64-encode-tostring-function, base64-decode-tostring-function
        ("base64_encode_tostring", vec![s("Kusto")], s("S3VzdG8=")),
        ("base64_decode_tostring", vec![s("S3VzdG8=")], s("Kusto")),
        ("base64_decode_tostring", vec![s("S3VzdG8")], s("Kusto")),
        ("base64_decode_tostring", vec![s("not base64!")], s("")),
        ("base64_decode_tostring", vec![s("/w==")], s("")),
    ]);
}
