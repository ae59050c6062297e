//! Dynamic arrays and property bags: lengths, slices, sorting, set operations, packing and
//! merging bags, and the small JSONPath (`$.a.b[0]`, `$['a b']`) that `extract_json`,
//! `bag_has_key` and `bag_remove_keys` share. A function given something that is not an array
//! (or not a bag) where it needs one returns null.

use std::cmp::Ordering;

use serde_json::{Map, Value as Json};

use super::{arg, array_arg, bool_type, dynamic_type, function, json_arg, json_text, long, long_type};
use super::{to_json, Context, Function};
use crate::value::Value;

pub(super) const FUNCTIONS: &[Function] = &[
    function("array_length", 1, 1, long_type, array_length),
    function("array_concat", 1, 64, dynamic_type, array_concat),
    function("array_sort_asc", 1, 2, dynamic_type, array_sort_asc),
    function("array_sort_desc", 1, 2, dynamic_type, array_sort_desc),
    function("array_index_of", 2, 5, long_type, array_index_of),
    function("array_slice", 3, 3, dynamic_type, array_slice),
    function("array_reverse", 1, 1, dynamic_type, array_reverse),
    function("set_has_element", 2, 2, bool_type, set_has_element),
    function("set_union", 1, 64, dynamic_type, set_union),
    function("set_intersect", 1, 64, dynamic_type, set_intersect),
    function("set_difference", 1, 64, dynamic_type, set_difference),
    function("bag_keys", 1, 1, dynamic_type, bag_keys),
    function("bag_pack", 0, usize::MAX, dynamic_type, bag_pack),
    function("pack_array", 0, usize::MAX, dynamic_type, pack_array),
    function("bag_merge", 1, 64, dynamic_type, bag_merge),
    function("bag_remove_keys", 2, 2, dynamic_type, bag_remove_keys),
    function("bag_has_key", 2, 2, bool_type, bag_has_key),
    function("zip", 1, 16, dynamic_type, zip),
];

fn array(items: Vec<Json>) -> Value {
    Value::Dynamic(Json::Array(items))
}

fn bag(value: &Value) -> Option<Map<String, Json>> {
    match json_arg(value)?.into_owned() {
        Json::Object(map) => Some(map),
        _ => None,
    }
}

fn array_length(args: &[Value], _: &Context) -> Value {
    array_arg(arg(args, 0)).map_or(Value::Null, |a| Value::Long(a.len() as i64))
}

fn array_concat(args: &[Value], _: &Context) -> Value {
    let mut out = Vec::new();
    for a in args {
        match array_arg(a) {
            Some(items) => out.extend(items),
            None => return Value::Null,
        }
    }
    array(out)
}

/// Kusto's order of mixed elements: numbers, then strings, then everything else; nulls apart.
fn element_order(a: &Json, b: &Json) -> Ordering {
    fn rank(j: &Json) -> u8 {
        match j {
            Json::Number(_) => 0,
            Json::String(_) => 1,
            _ => 2,
        }
    }
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
        (Json::String(x), Json::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => rank(a).cmp(&rank(b)).then_with(|| a.to_string().cmp(&b.to_string())),
    }
}

/// `array_sort_*(array[, nulls_last])`: one array only (the several-array form returns several
/// columns, which a scalar function cannot). Nulls go last unless `nulls_last` is false.
fn sort(args: &[Value], descending: bool) -> Value {
    let Some(items) = array_arg(arg(args, 0)) else {
        return Value::Null;
    };
    let nulls_last = match args.get(1) {
        None => true,
        Some(v) => super::boolean(v).unwrap_or(true),
    };
    let (nulls, mut values): (Vec<Json>, Vec<Json>) = items.into_iter().partition(Json::is_null);
    values.sort_by(|a, b| {
        let order = element_order(a, b);
        if descending {
            order.reverse()
        } else {
            order
        }
    });
    if nulls_last {
        values.extend(nulls);
        array(values)
    } else {
        array(nulls.into_iter().chain(values).collect())
    }
}

fn array_sort_asc(args: &[Value], _: &Context) -> Value {
    sort(args, false)
}

fn array_sort_desc(args: &[Value], _: &Context) -> Value {
    sort(args, true)
}

/// Dynamic equality as Kusto compares elements: numbers by value, the rest structurally.
fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// `array_index_of(array, value[, start[, length[, occurrence]]])`, with `indexof`'s rules.
fn array_index_of(args: &[Value], _: &Context) -> Value {
    let Some(items) = array_arg(arg(args, 0)) else {
        return Value::Null;
    };
    let needle = to_json(arg(args, 1));
    let n = items.len() as i64;
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
    let mut found = -1;
    for _ in 0..occurrence {
        let end = if length == -1 { n } else { (start + length).min(n) };
        if start >= end {
            return Value::Long(-1);
        }
        match items[start as usize..end as usize]
            .iter()
            .position(|e| same(e, &needle))
        {
            Some(p) => {
                found = start + p as i64;
                start = found + 1;
            }
            None => return Value::Long(-1),
        }
    }
    Value::Long(found)
}

/// `array_slice(array, start, end)`: `end` inclusive, negative indices count from the end.
fn array_slice(args: &[Value], _: &Context) -> Value {
    let Some(items) = array_arg(arg(args, 0)) else {
        return Value::Null;
    };
    let n = items.len() as i64;
    let (Some(start), Some(end)) = (long(arg(args, 1)), long(arg(args, 2))) else {
        return Value::Null;
    };
    let resolve = |i: i64| if i < 0 { n + i } else { i };
    let (start, end) = (resolve(start).max(0), resolve(end).min(n - 1));
    if start > end {
        return array(Vec::new());
    }
    array(items[start as usize..=end as usize].to_vec())
}

fn array_reverse(args: &[Value], _: &Context) -> Value {
    array_arg(arg(args, 0)).map_or(Value::Null, |mut a| {
        a.reverse();
        array(a)
    })
}

fn set_has_element(args: &[Value], _: &Context) -> Value {
    let needle = to_json(arg(args, 1));
    array_arg(arg(args, 0)).map_or(Value::Null, |a| Value::Bool(a.iter().any(|e| same(e, &needle))))
}

fn push_distinct(out: &mut Vec<Json>, item: Json) {
    if !out.iter().any(|e| same(e, &item)) {
        out.push(item);
    }
}

fn arrays(args: &[Value]) -> Option<Vec<Vec<Json>>> {
    args.iter().map(array_arg).collect()
}

fn set_union(args: &[Value], _: &Context) -> Value {
    let Some(sets) = arrays(args) else { return Value::Null };
    let mut out = Vec::new();
    for item in sets.into_iter().flatten() {
        push_distinct(&mut out, item);
    }
    array(out)
}

fn set_intersect(args: &[Value], _: &Context) -> Value {
    let Some(sets) = arrays(args) else { return Value::Null };
    let mut out = Vec::new();
    let Some((first, others)) = sets.split_first() else {
        return array(out);
    };
    for item in first {
        if others.iter().all(|s| s.iter().any(|e| same(e, item))) {
            push_distinct(&mut out, item.clone());
        }
    }
    array(out)
}

fn set_difference(args: &[Value], _: &Context) -> Value {
    let Some(sets) = arrays(args) else { return Value::Null };
    let mut out = Vec::new();
    let Some((first, others)) = sets.split_first() else {
        return array(out);
    };
    for item in first {
        if !others.iter().any(|s| s.iter().any(|e| same(e, item))) {
            push_distinct(&mut out, item.clone());
        }
    }
    array(out)
}

fn bag_keys(args: &[Value], _: &Context) -> Value {
    bag(arg(args, 0)).map_or(Value::Null, |b| array(b.keys().cloned().map(Json::String).collect()))
}

/// `bag_pack(key1, value1, ...)`; an odd count is null.
fn bag_pack(args: &[Value], _: &Context) -> Value {
    if args.len() % 2 != 0 {
        return Value::Null;
    }
    let mut map = Map::new();
    for pair in args.chunks_exact(2) {
        map.insert(pair[0].to_text().into_owned(), to_json(&pair[1]));
    }
    Value::Dynamic(Json::Object(map))
}

fn pack_array(args: &[Value], _: &Context) -> Value {
    array(args.iter().map(to_json).collect())
}

/// Merges bags; where a key is in several, the leftmost bag's value wins.
fn bag_merge(args: &[Value], _: &Context) -> Value {
    let mut out = Map::new();
    for a in args {
        let Some(b) = bag(a) else { return Value::Null };
        for (k, v) in b {
            out.entry(k).or_insert(v);
        }
    }
    Value::Dynamic(Json::Object(out))
}

/// `bag_remove_keys(bag, keys)`: a key is a name or a JSONPath to a nested property.
fn bag_remove_keys(args: &[Value], _: &Context) -> Value {
    let (Some(b), Some(keys)) = (bag(arg(args, 0)), array_arg(arg(args, 1))) else {
        return Value::Null;
    };
    let mut root = Json::Object(b);
    for key in keys {
        let key = json_text(&key);
        let path = if key.starts_with('$') {
            parse_path(&key)
        } else {
            Some(vec![Segment::Key(key)])
        };
        if let Some(path) = path {
            remove_path(&mut root, &path);
        }
    }
    Value::Dynamic(root)
}

fn remove_path(root: &mut Json, path: &[Segment]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = root;
    for segment in parents {
        let next = match (segment, node) {
            (Segment::Key(k), Json::Object(map)) => map.get_mut(k),
            (Segment::Index(i), Json::Array(items)) => items.get_mut(*i),
            _ => None,
        };
        match next {
            Some(n) => node = n,
            None => return,
        }
    }
    if let (Segment::Key(k), Json::Object(map)) = (last, node) {
        map.shift_remove(k);
    }
}

fn bag_has_key(args: &[Value], _: &Context) -> Value {
    let Some(b) = bag(arg(args, 0)) else { return Value::Null };
    let key = super::text(args, 1);
    if key.starts_with('$') {
        let root = Json::Object(b);
        return Value::Bool(parse_path(&key).and_then(|p| select(&root, &p)).is_some());
    }
    Value::Bool(b.contains_key(key.as_ref()))
}

/// `zip(array1, array2, ...)`: the i-th elements together; shorter arrays give nulls.
fn zip(args: &[Value], _: &Context) -> Value {
    let Some(sets) = arrays(args) else { return Value::Null };
    let longest = sets.iter().map(Vec::len).max().unwrap_or(0);
    array(
        (0..longest)
            .map(|i| Json::Array(sets.iter().map(|s| s.get(i).cloned().unwrap_or(Json::Null)).collect()))
            .collect(),
    )
}

/// One step of a JSONPath.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Segment {
    Key(String),
    Index(usize),
}

/// Parses the JSONPath subset Kusto's accessors use: `$`, `.name`, `['name']`, `["name"]`,
/// `[n]`. Wildcards and filters are not supported (`None`).
pub(super) fn parse_path(path: &str) -> Option<Vec<Segment>> {
    let rest = path.trim().strip_prefix('$')?;
    let bytes = rest.as_bytes();
    let mut segments = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'.' => {
                let start = i + 1;
                let mut end = start;
                while end < bytes.len() && bytes[end] != b'.' && bytes[end] != b'[' {
                    end += 1;
                }
                let name = &rest[start..end];
                if name.is_empty() || name == "*" {
                    return None;
                }
                segments.push(Segment::Key(name.to_string()));
                i = end;
            }
            b'[' => {
                let close = rest[i..].find(']')? + i;
                let inner = rest[i + 1..close].trim();
                let quoted = inner
                    .strip_prefix('\'')
                    .and_then(|s| s.strip_suffix('\''))
                    .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')));
                segments.push(match quoted {
                    Some(name) => Segment::Key(name.to_string()),
                    None => Segment::Index(inner.parse().ok()?),
                });
                i = close + 1;
            }
            _ => return None,
        }
    }
    Some(segments)
}

pub(super) fn select<'j>(root: &'j Json, path: &[Segment]) -> Option<&'j Json> {
    path.iter().try_fold(root, |node, segment| match (segment, node) {
        (Segment::Key(k), Json::Object(map)) => map.get(k),
        (Segment::Index(i), Json::Array(items)) => items.get(*i),
        _ => None,
    })
}
