//! Parsing and encoding text: `parse_url`, `parse_urlquery`, `parse_path`,
//! `parse_command_line` (Windows `CommandLineToArgvW` rules), `parse_csv`, `extract_json`,
//! and URL / base64 encoding and decoding (written here; no crates for these).

use crate::encoding::BASE64;
use serde_json::{Map, Value as Json};

use super::dynamic::{parse_path as parse_json_path, select};
use super::{arg, convert, dynamic_type, empty, function, json_arg, json_text, string, string_type, text};
use super::{Context, Function};
use crate::schema::ColumnType;
use crate::value::Value;

pub(super) const FUNCTIONS: &[Function] = &[
    function("parse_url", 1, 1, dynamic_type, parse_url),
    function("parse_urlquery", 1, 1, dynamic_type, parse_urlquery),
    function("parse_path", 1, 1, dynamic_type, parse_path),
    function("parse_command_line", 2, 2, dynamic_type, parse_command_line),
    function("parse_csv", 1, 1, dynamic_type, parse_csv),
    function("extract_json", 2, 3, extract_json_type, extract_json),
    function("url_encode", 1, 1, string_type, url_encode),
    function("url_encode_component", 1, 1, string_type, url_encode_component),
    function("url_decode", 1, 1, string_type, url_decode),
    function("base64_encode_tostring", 1, 1, string_type, base64_encode_tostring),
    function("base64_decode_tostring", 1, 1, string_type, base64_decode_tostring),
];

fn object(pairs: Vec<(&str, Json)>) -> Value {
    Value::Dynamic(Json::Object(
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    ))
}

fn s(text: &str) -> Json {
    Json::String(text.to_string())
}

/// `k1=v1&k2=v2` as a bag of decoded values.
fn query_parameters(query: &str) -> Json {
    let mut map = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |t: &str| percent_decode(t).unwrap_or_else(|| t.to_string());
        map.insert(decode(k), Json::String(decode(v)));
    }
    Json::Object(map)
}

/// `scheme://[user[:password]@]host[:port][/path][?query][#fragment]`. The path is given
/// without its leading `/`, as the documentation's example shows (`"Path":"this/is/a/path"`):
/// where the documentation and other sources disagree, loghunt follows the documentation.
fn parse_url(args: &[Value], _: &Context) -> Value {
    let url = text(args, 0);
    let parts = split_url(url.trim()).unwrap_or_default();
    object(vec![
        ("Scheme", s(parts.scheme)),
        ("Host", s(parts.host)),
        ("Port", s(parts.port)),
        ("Path", s(parts.path.strip_prefix('/').unwrap_or(parts.path))),
        ("Username", s(parts.username)),
        ("Password", s(parts.password)),
        ("Query Parameters", query_parameters(parts.query)),
        ("Fragment", s(parts.fragment)),
    ])
}

#[derive(Default)]
struct UrlParts<'a> {
    scheme: &'a str,
    username: &'a str,
    password: &'a str,
    host: &'a str,
    port: &'a str,
    path: &'a str,
    query: &'a str,
    fragment: &'a str,
}

fn split_url(url: &str) -> Option<UrlParts<'_>> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok {
        return None;
    }
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (u, h),
        None => ("", authority),
    };
    let (username, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let (host, port) = if hostport.starts_with('[') {
        match hostport.find(']') {
            Some(end) => (&hostport[..=end], hostport[end + 1..].strip_prefix(':').unwrap_or("")),
            None => (hostport, ""),
        }
    } else {
        hostport.rsplit_once(':').unwrap_or((hostport, ""))
    };
    Some(UrlParts {
        scheme,
        username,
        password,
        host,
        port,
        path,
        query,
        fragment,
    })
}

fn parse_urlquery(args: &[Value], _: &Context) -> Value {
    let query = text(args, 0);
    let query = query.trim_start_matches('?');
    object(vec![("Query Parameters", query_parameters(query))])
}

fn is_separator(c: char) -> bool {
    c == '/' || c == '\\'
}

/// Splits a file path into Scheme, RootPath, DirectoryPath, DirectoryName, Filename, Extension
/// and AlternateDataStreamName (`file.exe:stream`).
fn parse_path(args: &[Value], _: &Context) -> Value {
    let path = text(args, 0);
    let mut rest: &str = &path;
    let mut scheme = "";
    if let Some((candidate, after)) = rest.split_once("://") {
        if candidate.len() > 1 && candidate.chars().all(|c| c.is_ascii_alphanumeric()) {
            scheme = candidate;
            rest = after;
        }
    }
    let unprefixed = rest.strip_prefix(r"\\?\").unwrap_or(rest);
    let bytes = unprefixed.as_bytes();
    let root = if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        &unprefixed[..2]
    } else {
        ""
    };
    let (directory, file) = match rest.rfind(is_separator) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => ("", rest),
    };
    let (file, stream) = match file.find(':') {
        Some(i) if !(directory.is_empty() && i == 1) => (&file[..i], &file[i + 1..]),
        _ => (file, ""),
    };
    let extension = file.rfind('.').map_or("", |i| &file[i + 1..]);
    let directory_name = directory.rsplit(is_separator).next().unwrap_or("");
    let directory_name = if directory_name == root { "" } else { directory_name };
    object(vec![
        ("Scheme", s(scheme)),
        ("RootPath", s(root)),
        ("DirectoryPath", s(directory)),
        ("DirectoryName", s(directory_name)),
        ("Filename", s(file)),
        ("Extension", s(extension)),
        ("AlternateDataStreamName", s(stream)),
    ])
}

/// `parse_command_line(cmd, "windows")`: the arguments as `CommandLineToArgvW` splits them. The
/// program name (first argument) ends at the next quote or white space, without escapes; later
/// arguments follow the backslash-quote rules (2n backslashes + `"`: n backslashes and a quote
/// toggle; 2n+1: n backslashes and a literal `"`; `""` inside quotes: a literal `"`).
fn parse_command_line(args: &[Value], _: &Context) -> Value {
    if !text(args, 1).eq_ignore_ascii_case("windows") {
        return Value::Null;
    }
    let line: Vec<char> = text(args, 0).chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let is_space = |c: char| c == ' ' || c == '\t';
    // The program name.
    let mut program = String::new();
    if line.first() == Some(&'"') {
        i = 1;
        while i < line.len() && line[i] != '"' {
            program.push(line[i]);
            i += 1;
        }
        i += 1;
    } else {
        while i < line.len() && !is_space(line[i]) {
            program.push(line[i]);
            i += 1;
        }
    }
    if line.is_empty() {
        return Value::Dynamic(Json::Array(out));
    }
    out.push(Json::String(program));
    loop {
        while i < line.len() && is_space(line[i]) {
            i += 1;
        }
        if i >= line.len() {
            break;
        }
        let mut current = String::new();
        let mut quoted = false;
        while i < line.len() && (quoted || !is_space(line[i])) {
            match line[i] {
                '\\' => {
                    let start = i;
                    while i < line.len() && line[i] == '\\' {
                        i += 1;
                    }
                    let count = i - start;
                    if line.get(i) == Some(&'"') {
                        current.extend(std::iter::repeat_n('\\', count / 2));
                        if count % 2 == 1 {
                            current.push('"');
                            i += 1;
                        }
                    } else {
                        current.extend(std::iter::repeat_n('\\', count));
                    }
                }
                '"' if quoted && line.get(i + 1) == Some(&'"') => {
                    current.push('"');
                    i += 2;
                }
                '"' => {
                    quoted = !quoted;
                    i += 1;
                }
                c => {
                    current.push(c);
                    i += 1;
                }
            }
        }
        out.push(Json::String(current));
    }
    Value::Dynamic(Json::Array(out))
}

/// One CSV record (RFC 4180 quoting) as an array of strings.
fn parse_csv(args: &[Value], _: &Context) -> Value {
    let line = text(args, 0);
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                current.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if current.is_empty() => quoted = true,
            (',', false) => fields.push(Json::String(std::mem::take(&mut current))),
            (c, _) => current.push(c),
        }
    }
    fields.push(Json::String(current));
    Value::Dynamic(Json::Array(fields))
}

fn extract_json_type(types: &[Option<ColumnType>]) -> Option<ColumnType> {
    (types.len() < 3).then_some(ColumnType::String)
}

/// `extract_json(path, json[, typeLiteral])`: the element's text ("" when absent), or the
/// element converted to the type a type literal names.
fn extract_json(args: &[Value], _: &Context) -> Value {
    let found = json_document(arg(args, 1)).and_then(|root| {
        let path = parse_json_path(&text(args, 0))?;
        select(&root, &path).map(json_text)
    });
    match (args.get(2), found) {
        (None, found) => string(found.unwrap_or_default()),
        (Some(ty), Some(found)) => convert::convert_text(&ty.to_text(), &found),
        (Some(ty), None) => match convert::convert_text(&ty.to_text(), "") {
            Value::String(_) => empty(),
            _ => Value::Null,
        },
    }
}

fn json_document(value: &Value) -> Option<Json> {
    match value {
        Value::String(s) => serde_json::from_str(s).ok(),
        other => json_arg(other).map(|j| j.into_owned()),
    }
}

/// Percent-encoding as .NET's `HttpUtility.UrlEncode`: letters, digits and `-_.!*()` stay,
/// a space is `+` (or `%20` for a component), every other UTF-8 byte is `%xx` in lower case.
fn encode(text: &str, space: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'!' | b'*' | b'(' | b')' => {
                out.push(b as char)
            }
            b' ' => out.push_str(space),
            _ => out.push_str(&format!("%{b:02x}")),
        }
    }
    out
}

fn url_encode(args: &[Value], _: &Context) -> Value {
    string(encode(&text(args, 0), "+"))
}

fn url_encode_component(args: &[Value], _: &Context) -> Value {
    string(encode(&text(args, 0), "%20"))
}

/// Decodes `%xx` escapes and `+` (a space); a `%` not followed by two hex digits stays. `None`
/// when the bytes are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn url_decode(args: &[Value], _: &Context) -> Value {
    percent_decode(&text(args, 0)).map_or_else(empty, string)
}

/// Standard base64 with or without padding; `None` for anything else.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    let body = text.trim_end_matches('=');
    if text.len() - body.len() > 2 || body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in body.bytes() {
        let v = BASE64.iter().position(|&b| b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn base64_encode_tostring(args: &[Value], _: &Context) -> Value {
    string(crate::encoding::base64(text(args, 0).as_bytes()))
}

fn base64_decode_tostring(args: &[Value], _: &Context) -> Value {
    base64_decode(&text(args, 0))
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .map_or_else(empty, string)
}
