//! String functions: case, concatenation, splitting, slicing and searching by characters, and
//! the regex family (`trim*`, `replace_regex`, `extract`, `extract_all`, `countof`). Positions
//! and lengths count Unicode characters, as Kusto's do; results are never null strings.

use serde_json::Value as Json;

use super::{
    arg, array_arg, convert, empty, function, json_text, long, regex, string, string_type, text, Context, Function,
};
use super::{bool_type, dynamic_type, long_type};
use crate::plan::text::on_term_boundaries;
use crate::schema::ColumnType;
use crate::value::Value;

pub(super) const FUNCTIONS: &[Function] = &[
    function("tolower", 1, 1, string_type, tolower),
    function("toupper", 1, 1, string_type, toupper),
    function("strcat", 1, 64, string_type, strcat),
    function("strcat_delim", 3, 65, string_type, strcat_delim),
    function("strcat_array", 2, 2, string_type, strcat_array),
    function("split", 2, 3, dynamic_type, split),
    function("strlen", 1, 1, long_type, strlen),
    function("substring", 2, 3, string_type, substring),
    function("indexof", 2, 5, long_type, indexof),
    function("trim", 2, 2, string_type, trim),
    function("trim_start", 2, 2, string_type, trim_start),
    function("trim_end", 2, 2, string_type, trim_end),
    function("replace_string", 3, 3, string_type, replace_string),
    function("replace_regex", 3, 3, string_type, replace_regex),
    function("replace", 3, 3, string_type, replace_deprecated),
    function("extract", 3, 4, extract_type, extract),
    function("extract_all", 2, 3, dynamic_type, extract_all),
    function("countof", 2, 3, long_type, countof),
    function("reverse", 1, 1, string_type, reverse),
    function("string_size", 1, 1, long_type, string_size),
    function("strrep", 2, 3, string_type, strrep),
    function("has_any_index", 2, 2, long_type, has_any_index),
    function("isascii", 1, 1, bool_type, isascii),
    function("strcmp", 2, 2, long_type, strcmp),
];

fn tolower(args: &[Value], _: &Context) -> Value {
    string(text(args, 0).to_lowercase())
}

fn toupper(args: &[Value], _: &Context) -> Value {
    string(text(args, 0).to_uppercase())
}

fn strcat(args: &[Value], _: &Context) -> Value {
    string(args.iter().map(|a| a.to_text()).collect::<String>())
}

fn strcat_delim(args: &[Value], _: &Context) -> Value {
    let delimiter = text(args, 0);
    let parts: Vec<_> = args[1..].iter().map(|a| a.to_text()).collect();
    string(parts.join(&delimiter))
}

fn strcat_array(args: &[Value], _: &Context) -> Value {
    let Some(items) = array_arg(arg(args, 0)) else {
        return empty();
    };
    let parts: Vec<String> = items.iter().map(json_text).collect();
    string(parts.join(&text(args, 1)))
}

fn split(args: &[Value], _: &Context) -> Value {
    let source = text(args, 0);
    let delimiter = text(args, 1);
    let parts: Vec<Json> = if delimiter.is_empty() {
        vec![Json::String(source.to_string())]
    } else {
        source
            .split(delimiter.as_ref())
            .map(|p| Json::String(p.to_string()))
            .collect()
    };
    if args.len() < 3 {
        return Value::Dynamic(Json::Array(parts));
    }
    match long(arg(args, 2)) {
        Some(i) if i >= 0 => Value::Dynamic(Json::Array(parts.into_iter().nth(i as usize).into_iter().collect())),
        Some(_) => Value::Dynamic(Json::Array(Vec::new())),
        None => Value::Null,
    }
}

fn strlen(args: &[Value], _: &Context) -> Value {
    Value::Long(text(args, 0).chars().count() as i64)
}

fn substring(args: &[Value], _: &Context) -> Value {
    let chars: Vec<char> = text(args, 0).chars().collect();
    let n = chars.len() as i64;
    let Some(mut start) = long(arg(args, 1)) else {
        return empty();
    };
    if start < 0 {
        start = (n + start).max(0);
    }
    if start >= n {
        return empty();
    }
    let length = match args.get(2) {
        None => n - start,
        Some(v) => match long(v) {
            Some(l) if l >= 0 => l.min(n - start),
            _ => return empty(),
        },
    };
    string(
        chars[start as usize..(start + length) as usize]
            .iter()
            .collect::<String>(),
    )
}

/// `indexof(string, match[, start[, length[, occurrence]]])`. Each further occurrence is
/// searched from one character after the previous one, in a window of `length` characters from
/// there: that is what makes the documentation's `indexof("abcdefgabcdefg", "cde", 1, 10, 2)`
/// find 9, beyond the first window's end.
fn indexof(args: &[Value], _: &Context) -> Value {
    let haystack: Vec<char> = text(args, 0).chars().collect();
    let needle: Vec<char> = text(args, 1).chars().collect();
    let n = haystack.len() as i64;
    let number = |i: usize, default: i64| match args.get(i) {
        None => Some(default),
        Some(v) => long(v),
    };
    let (Some(mut start), Some(length), Some(occurrence)) = (number(2, 0), number(3, -1), number(4, 1)) else {
        return Value::Null;
    };
    if length < -1 || occurrence < 0 {
        return Value::Null;
    }
    if start < 0 {
        start = (n + start).max(0);
    }
    if occurrence == 0 {
        return Value::Long(-1);
    }
    let mut found = -1;
    for _ in 0..occurrence {
        if start > n {
            return Value::Long(-1);
        }
        let end = if length == -1 { n } else { (start + length).min(n) };
        let window = &haystack[start as usize..end as usize];
        match find_chars(window, &needle) {
            Some(p) => {
                found = start + p as i64;
                start = found + 1;
            }
            None => return Value::Long(-1),
        }
    }
    Value::Long(found)
}

fn find_chars(haystack: &[char], needle: &[char]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim_with(pattern: String, args: &[Value]) -> Value {
    let source = text(args, 1);
    match regex(&pattern) {
        Some(re) => string(re.replace_all(&source, "").into_owned()),
        None => empty(),
    }
}

fn trim(args: &[Value], _: &Context) -> Value {
    let re = text(args, 0);
    trim_with(format!("^(?:{re})+|(?:{re})+$"), args)
}

fn trim_start(args: &[Value], _: &Context) -> Value {
    trim_with(format!("^(?:{})+", text(args, 0)), args)
}

fn trim_end(args: &[Value], _: &Context) -> Value {
    trim_with(format!("(?:{})+$", text(args, 0)), args)
}

fn replace_string(args: &[Value], _: &Context) -> Value {
    let (source, lookup, rewrite) = (text(args, 0), text(args, 1), text(args, 2));
    if lookup.is_empty() {
        return string(source.into_owned());
    }
    string(source.replace(lookup.as_ref(), &rewrite))
}

/// Replaces every match; in `rewrite`, `\0` is the whole match and `\1`..`\9` the groups (RE2's
/// rewrite syntax, which Kusto documents; `$` is an ordinary character).
fn regex_replace(source: &str, pattern: &str, rewrite: &str) -> Value {
    let Some(re) = regex(pattern) else {
        return empty();
    };
    let mut out = String::with_capacity(source.len());
    let mut last = 0;
    for caps in re.captures_iter(source) {
        let Some(whole) = caps.get(0) else { continue };
        out.push_str(&source[last..whole.start()]);
        let mut chars = rewrite.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, chars.peek().copied()) {
                ('\\', Some(d @ '0'..='9')) => {
                    chars.next();
                    let group = d as usize - '0' as usize;
                    out.push_str(caps.get(group).map_or("", |m| m.as_str()));
                }
                ('\\', Some('\\')) => {
                    chars.next();
                    out.push('\\');
                }
                _ => out.push(c),
            }
        }
        last = whole.end();
    }
    out.push_str(&source[last..]);
    string(out)
}

fn replace_regex(args: &[Value], _: &Context) -> Value {
    regex_replace(&text(args, 0), &text(args, 1), &text(args, 2))
}

/// The deprecated `replace(regex, rewrite, text)`: same as `replace_regex`, other argument order.
fn replace_deprecated(args: &[Value], _: &Context) -> Value {
    regex_replace(&text(args, 2), &text(args, 0), &text(args, 1))
}

fn extract_type(types: &[Option<ColumnType>]) -> Option<ColumnType> {
    (types.len() < 4).then_some(ColumnType::String)
}

/// `extract(regex, group, source[, typeLiteral])`; the type literal comes as its name
/// (`"long"`, or `"typeof(long)"`). Without a match: "" (or null when a type was asked for).
fn extract(args: &[Value], _: &Context) -> Value {
    let source = text(args, 2);
    let matched = regex(&text(args, 0)).and_then(|re| {
        let group = usize::try_from(long(arg(args, 1))?).ok()?;
        Some(re.captures(&source)?.get(group)?.as_str().to_string())
    });
    match args.get(3) {
        None => string(matched.unwrap_or_default()),
        Some(ty) => match matched {
            Some(m) => convert::convert_text(&ty.to_text(), &m),
            None => convert::convert_text(&ty.to_text(), "").null_unless_string(),
        },
    }
}

trait NullUnlessString {
    fn null_unless_string(self) -> Value;
}

impl NullUnlessString for Value {
    fn null_unless_string(self) -> Value {
        match self {
            Value::String(_) => self,
            _ => Value::Null,
        }
    }
}

/// `extract_all(regex, [groups,] source)`: one element per match, a string when one group is
/// taken, an array of strings when several are. No match: null.
fn extract_all(args: &[Value], _: &Context) -> Value {
    let (groups, source) = if args.len() >= 3 {
        (Some(arg(args, 1)), text(args, 2))
    } else {
        (None, text(args, 1))
    };
    let Some(re) = regex(&text(args, 0)) else {
        return Value::Null;
    };
    let selected: Vec<usize> = match groups {
        None if re.captures_len() > 1 => (1..re.captures_len()).collect(),
        None => vec![0],
        Some(groups) => {
            let Some(items) = array_arg(groups) else {
                return Value::Null;
            };
            let mut selected = Vec::new();
            for item in items {
                let index = match &item {
                    Json::Number(n) => n.as_u64().map(|n| n as usize),
                    Json::String(name) => re.capture_names().position(|n| n == Some(name.as_str())),
                    _ => None,
                };
                match index {
                    Some(i) if i < re.captures_len() => selected.push(i),
                    _ => return Value::Null,
                }
            }
            selected
        }
    };
    let mut matches = Vec::new();
    for caps in re.captures_iter(&source) {
        let values: Vec<Json> = selected
            .iter()
            .map(|&g| Json::String(caps.get(g).map_or("", |m| m.as_str()).to_string()))
            .collect();
        matches.push(if values.len() == 1 {
            values.into_iter().next().unwrap_or(Json::Null)
        } else {
            Json::Array(values)
        });
    }
    if matches.is_empty() {
        Value::Null
    } else {
        Value::Dynamic(Json::Array(matches))
    }
}

/// Plain matches may overlap; regex matches don't.
fn countof(args: &[Value], _: &Context) -> Value {
    let (source, search) = (text(args, 0), text(args, 1));
    let kind = if args.len() > 2 { text(args, 2) } else { "normal".into() };
    match kind.as_ref() {
        "normal" => {
            if search.is_empty() {
                return Value::Long(0);
            }
            let mut count = 0;
            let mut from = 0;
            while let Some(p) = source[from..].find(search.as_ref()) {
                count += 1;
                let at = from + p;
                from = at + source[at..].chars().next().map_or(1, char::len_utf8);
            }
            Value::Long(count)
        }
        "regex" => match regex(&search) {
            Some(re) => Value::Long(re.find_iter(&source).count() as i64),
            None => Value::Null,
        },
        _ => Value::Null,
    }
}

fn reverse(args: &[Value], _: &Context) -> Value {
    string(text(args, 0).chars().rev().collect::<String>())
}

fn string_size(args: &[Value], _: &Context) -> Value {
    Value::Long(text(args, 0).len() as i64)
}

/// `strrep(value, multiplier[, delimiter])`; Kusto caps the multiplier at 1024.
fn strrep(args: &[Value], _: &Context) -> Value {
    let value = text(args, 0);
    let Some(times) = long(arg(args, 1)) else {
        return empty();
    };
    let times = times.clamp(0, 1024) as usize;
    let delimiter = text(args, 2);
    string(vec![value.as_ref(); times].join(&delimiter))
}

/// The index in `values` of the first value that `source has` (the `has` term rule), or -1.
fn has_any_index(args: &[Value], _: &Context) -> Value {
    let source = text(args, 0);
    let Some(values) = array_arg(arg(args, 1)) else {
        return Value::Null;
    };
    let position = values.iter().position(|v| {
        let needle = json_text(v);
        !needle.is_empty() && has(&source, &needle)
    });
    Value::Long(position.map_or(-1, |p| p as i64))
}

/// Kusto's `has`: an ASCII case-insensitive occurrence on term boundaries.
pub(super) fn has(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() || n.len() > h.len() {
        return n.is_empty();
    }
    (0..=h.len() - n.len()).any(|start| {
        h[start..start + n.len()].eq_ignore_ascii_case(n) && on_term_boundaries(h, n, start, start + n.len())
    })
}

fn isascii(args: &[Value], _: &Context) -> Value {
    Value::Bool(text(args, 0).is_ascii())
}

fn strcmp(args: &[Value], _: &Context) -> Value {
    Value::Long(match text(args, 0).as_bytes().cmp(text(args, 1).as_bytes()) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    })
}
