//! Kusto's scalar function library (strings, conversions, parsing, dates, dynamic values,
//! network, hashing, math): each function's arity, static result type and evaluation on values.
//!
//! A function never fails: where Kusto's result is "no value" it returns `Value::Null`, or
//! `Value::String("")` when the result type is string (Kusto strings are never null). Argument
//! checking (arity, types) is the planner's; evaluation is lenient about what it is given.
//! This module owns the registry ([`lookup`], [`names`]), the argument readers shared by the
//! families and the regex cache; each family lives in its own file.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value as Json;

use crate::schema::ColumnType;
use crate::value::{parse_timespan_text, Value};

mod convert;
mod datetime;
mod dynamic;
mod format;
mod hashes;
mod logic;
mod math;
mod network;
mod parse;
mod strings;

#[cfg(test)]
mod tests;

/// What a call needs besides its arguments.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// Ticks: what `now()` returns.
    pub now: i64,
}

pub struct Function {
    pub name: &'static str,
    pub min_args: usize,
    /// `usize::MAX` for variadic.
    pub max_args: usize,
    /// The static result type from the argument types (`None`: unknown, e.g. a null literal or a
    /// dynamic input whose result type depends on data).
    pub result_type: fn(&[Option<ColumnType>]) -> Option<ColumnType>,
    pub eval: fn(&[Value], &Context) -> Value,
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Function")
            .field("name", &self.name)
            .field("min_args", &self.min_args)
            .field("max_args", &self.max_args)
            .finish()
    }
}

/// Shorthand for the families' tables.
pub(crate) const fn function(
    name: &'static str,
    min_args: usize,
    max_args: usize,
    result_type: fn(&[Option<ColumnType>]) -> Option<ColumnType>,
    eval: fn(&[Value], &Context) -> Value,
) -> Function {
    Function {
        name,
        min_args,
        max_args,
        result_type,
        eval,
    }
}

/// Other names Kusto accepts for the same function (mostly its deprecated spellings).
const ALIASES: &[(&str, &str)] = &[
    ("iif", "iff"),
    ("todouble", "toreal"),
    ("toboolean", "tobool"),
    ("parse_json", "todynamic"),
    ("parsejson", "todynamic"),
    ("toobject", "todynamic"),
    ("pack", "bag_pack"),
    ("extractjson", "extract_json"),
    ("extractall", "extract_all"),
    ("floor", "bin"),
    ("typeof", "gettype"),
    ("monthofyear", "getmonth"),
    ("datepart", "datetime_part"),
    ("parseurl", "parse_url"),
    ("parsepath", "parse_path"),
    ("base64_encodestring", "base64_encode_tostring"),
    ("base64_decodestring", "base64_decode_tostring"),
    ("array_strcat", "strcat_array"),
    ("makestring", "tostring"),
    ("todecimal", "toreal"),
];

fn families() -> [&'static [Function]; 10] {
    [
        strings::FUNCTIONS,
        convert::FUNCTIONS,
        parse::FUNCTIONS,
        logic::FUNCTIONS,
        dynamic::FUNCTIONS,
        datetime::FUNCTIONS,
        format::FUNCTIONS,
        network::FUNCTIONS,
        hashes::FUNCTIONS,
        math::FUNCTIONS,
    ]
}

fn registry() -> &'static HashMap<&'static str, &'static Function> {
    static REGISTRY: OnceLock<HashMap<&'static str, &'static Function>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut map = HashMap::new();
        for family in families() {
            for f in family {
                map.insert(f.name, f);
            }
        }
        for (alias, target) in ALIASES {
            if let Some(f) = map.get(target).copied() {
                map.insert(*alias, f);
            }
        }
        map
    })
}

/// A function by name, aliases included (`iif`→`iff`, `todouble`→`toreal`, ...). Names are
/// case-sensitive as in Kusto.
pub fn lookup(name: &str) -> Option<&'static Function> {
    registry().get(name).copied()
}

/// Every supported name, aliases included, sorted.
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = registry().keys().copied().collect();
    names.sort_unstable();
    names
}

// ---- static result types --------------------------------------------------------------------

pub(crate) fn string_type(_: &[Option<ColumnType>]) -> Option<ColumnType> {
    Some(ColumnType::String)
}
pub(crate) fn long_type(_: &[Option<ColumnType>]) -> Option<ColumnType> {
    Some(ColumnType::Long)
}
pub(crate) fn real_type(_: &[Option<ColumnType>]) -> Option<ColumnType> {
    Some(ColumnType::Real)
}
pub(crate) fn bool_type(_: &[Option<ColumnType>]) -> Option<ColumnType> {
    Some(ColumnType::Bool)
}
pub(crate) fn datetime_type(_: &[Option<ColumnType>]) -> Option<ColumnType> {
    Some(ColumnType::DateTime)
}
pub(crate) fn timespan_type(_: &[Option<ColumnType>]) -> Option<ColumnType> {
    Some(ColumnType::TimeSpan)
}
pub(crate) fn dynamic_type(_: &[Option<ColumnType>]) -> Option<ColumnType> {
    Some(ColumnType::Dynamic)
}
/// The type of the first argument (abs, bin, startofday, ...).
pub(crate) fn first_type(types: &[Option<ColumnType>]) -> Option<ColumnType> {
    types.first().copied().flatten()
}
/// Long when every numeric argument is long, real when any is real; else the first known type.
pub(crate) fn numeric_type(types: &[Option<ColumnType>]) -> Option<ColumnType> {
    if types.contains(&Some(ColumnType::Real)) {
        return Some(ColumnType::Real);
    }
    types.iter().copied().flatten().next()
}

// ---- argument readers -----------------------------------------------------------------------

static NULL: Value = Value::Null;

/// The `i`th argument, null when absent.
pub(crate) fn arg(args: &[Value], i: usize) -> &Value {
    args.get(i).unwrap_or(&NULL)
}

/// The argument as text (`tostring`): null is "".
pub(crate) fn text(args: &[Value], i: usize) -> Cow<'_, str> {
    arg(args, i).to_text()
}

/// A whole number: longs, reals (truncated), bools, and dynamic numbers.
pub(crate) fn long(value: &Value) -> Option<i64> {
    match value {
        Value::Long(n) => Some(*n),
        Value::Real(r) => real_to_long(*r),
        Value::Bool(b) => Some(i64::from(*b)),
        Value::Dynamic(Json::Number(n)) => n.as_i64().or_else(|| n.as_f64().and_then(real_to_long)),
        Value::Dynamic(Json::Bool(b)) => Some(i64::from(*b)),
        _ => None,
    }
}

pub(crate) fn real_to_long(r: f64) -> Option<i64> {
    (r.is_finite() && r.abs() < 9.2e18).then_some(r.trunc() as i64)
}

pub(crate) fn real(value: &Value) -> Option<f64> {
    match value {
        Value::Long(n) => Some(*n as f64),
        Value::Real(r) => Some(*r),
        Value::Dynamic(Json::Number(n)) => n.as_f64(),
        _ => None,
    }
}

pub(crate) fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) | Value::Dynamic(Json::Bool(b)) => Some(*b),
        _ => None,
    }
}

/// A datetime; text (a string or a dynamic string) is parsed, since JSON carries datetimes so.
pub(crate) fn datetime_arg(value: &Value) -> Option<i64> {
    match value {
        Value::DateTime(t) => Some(*t),
        Value::String(s) | Value::Dynamic(Json::String(s)) => convert::parse_datetime_text(s),
        _ => None,
    }
}

pub(crate) fn timespan_arg(value: &Value) -> Option<i64> {
    match value {
        Value::TimeSpan(t) => Some(*t),
        Value::String(s) | Value::Dynamic(Json::String(s)) => parse_timespan_text(s),
        _ => None,
    }
}

/// A dynamic value: a `Value::Dynamic`, or a string holding JSON text (a string column that
/// holds JSON, as `AdditionalFields` does in exports).
pub(crate) fn json_arg(value: &Value) -> Option<Cow<'_, Json>> {
    match value {
        Value::Dynamic(Json::String(s)) | Value::String(s) => match serde_json::from_str::<Json>(s) {
            Ok(json @ (Json::Array(_) | Json::Object(_))) => Some(Cow::Owned(json)),
            _ => match value {
                Value::Dynamic(j) => Some(Cow::Borrowed(j)),
                _ => None,
            },
        },
        Value::Dynamic(j) => Some(Cow::Borrowed(j)),
        _ => None,
    }
}

/// An array argument; `None` for anything else.
pub(crate) fn array_arg(value: &Value) -> Option<Vec<Json>> {
    match json_arg(value)? {
        Cow::Borrowed(Json::Array(items)) => Some(items.clone()),
        Cow::Owned(Json::Array(items)) => Some(items),
        _ => None,
    }
}

/// A value as a dynamic element (what `pack_array` and `bag_pack` store).
pub(crate) fn to_json(value: &Value) -> Json {
    value.to_json()
}

/// Ordinary text of a dynamic element: strings without quotes, others as compact JSON.
pub(crate) fn json_text(json: &Json) -> String {
    match json {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

pub(crate) fn string(text: impl Into<String>) -> Value {
    Value::String(text.into())
}

pub(crate) fn empty() -> Value {
    Value::String(String::new())
}

// ---- regex cache ----------------------------------------------------------------------------

/// Patterns compiled per worker thread; bounded, since a pattern may come from the data.
const REGEX_CACHE_LIMIT: usize = 256;

/// The compiled regex, or `None` when the pattern is not valid RE2-like syntax.
pub(crate) fn regex(pattern: &str) -> Option<Regex> {
    thread_local! {
        static CACHE: RefCell<HashMap<String, Option<Regex>>> = RefCell::new(HashMap::new());
    }
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(compiled) = cache.get(pattern) {
            return compiled.clone();
        }
        if cache.len() >= REGEX_CACHE_LIMIT {
            cache.clear();
        }
        let compiled = Regex::new(pattern).ok();
        cache.insert(pattern.to_string(), compiled.clone());
        compiled
    })
}
