//! Conversions between Kusto types (`tostring`, `tolong`, `toreal`, `tobool`, `todatetime`,
//! `totimespan`, `todynamic`, `toguid`) and `gettype`. A failed conversion is null, except to
//! string. Also the text-to-type conversion behind `extract(..., typeof(T))`.

use serde_json::Value as Json;

use super::{arg, bool_type, datetime_type, dynamic_type, empty, function, long_type, real_type};
use super::{real_to_long, string, string_type, text, timespan_type, Context, Function};
use crate::time::timespan_unit_ticks;
use crate::value::{parse_timespan_text, Value};

pub(super) const FUNCTIONS: &[Function] = &[
    function("tostring", 1, 1, string_type, tostring),
    function("toint", 1, 1, long_type, toint),
    function("tolong", 1, 1, long_type, tolong),
    function("toreal", 1, 1, real_type, toreal),
    function("tobool", 1, 1, bool_type, tobool),
    function("todatetime", 1, 1, datetime_type, todatetime),
    function("totimespan", 1, 1, timespan_type, totimespan),
    function("todynamic", 1, 1, dynamic_type, todynamic),
    function("toguid", 1, 1, string_type, toguid),
    function("gettype", 1, 1, string_type, gettype),
];

fn tostring(args: &[Value], _: &Context) -> Value {
    string(text(args, 0).into_owned())
}

pub(super) fn to_long(value: &Value) -> Option<i64> {
    match value {
        Value::Long(n) => Some(*n),
        Value::Real(r) => real_to_long(*r),
        Value::Bool(b) => Some(i64::from(*b)),
        Value::DateTime(t) | Value::TimeSpan(t) => Some(*t),
        Value::String(s) => parse_long_text(s),
        Value::Dynamic(Json::Number(n)) => n.as_i64().or_else(|| n.as_f64().and_then(real_to_long)),
        Value::Dynamic(Json::Bool(b)) => Some(i64::from(*b)),
        Value::Dynamic(Json::String(s)) => parse_long_text(s),
        Value::Null | Value::Dynamic(_) => None,
    }
}

fn parse_long_text(text: &str) -> Option<i64> {
    let t = text.trim();
    t.strip_prefix('+')
        .unwrap_or(t)
        .parse()
        .ok()
        .filter(|_| !t.starts_with("+-"))
}

fn tolong(args: &[Value], _: &Context) -> Value {
    to_long(arg(args, 0)).map_or(Value::Null, Value::Long)
}

/// `int` is 32 bits in Kusto: a value out of its range does not convert.
fn toint(args: &[Value], _: &Context) -> Value {
    to_long(arg(args, 0))
        .filter(|n| i32::try_from(*n).is_ok())
        .map_or(Value::Null, Value::Long)
}

pub(super) fn to_real(value: &Value) -> Option<f64> {
    match value {
        Value::Long(n) => Some(*n as f64),
        Value::Real(r) => Some(*r),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::DateTime(t) | Value::TimeSpan(t) => Some(*t as f64),
        Value::String(s) | Value::Dynamic(Json::String(s)) => parse_real_text(s),
        Value::Dynamic(Json::Number(n)) => n.as_f64(),
        Value::Dynamic(Json::Bool(b)) => Some(f64::from(u8::from(*b))),
        Value::Null | Value::Dynamic(_) => None,
    }
}

fn parse_real_text(text: &str) -> Option<f64> {
    let t = text.trim();
    match t {
        "NaN" => Some(f64::NAN),
        "Infinity" | "+Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ if t.bytes().any(|b| b.is_ascii_alphabetic() && !matches!(b, b'e' | b'E')) => None,
        _ => t.parse().ok(),
    }
}

fn toreal(args: &[Value], _: &Context) -> Value {
    to_real(arg(args, 0)).map_or(Value::Null, Value::Real)
}

pub(super) fn to_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) | Value::Dynamic(Json::Bool(b)) => Some(*b),
        Value::Long(n) => Some(*n != 0),
        Value::Real(r) => Some(*r != 0.0),
        Value::Dynamic(Json::Number(n)) => n.as_f64().map(|f| f != 0.0),
        Value::String(s) | Value::Dynamic(Json::String(s)) => match s.trim() {
            t if t.eq_ignore_ascii_case("true") || t == "1" => Some(true),
            t if t.eq_ignore_ascii_case("false") || t == "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn tobool(args: &[Value], _: &Context) -> Value {
    to_bool(arg(args, 0)).map_or(Value::Null, Value::Bool)
}

fn todatetime(args: &[Value], _: &Context) -> Value {
    match arg(args, 0) {
        Value::DateTime(t) => Value::DateTime(*t),
        Value::String(s) | Value::Dynamic(Json::String(s)) => {
            parse_datetime_text(s).map_or(Value::Null, Value::DateTime)
        }
        _ => Value::Null,
    }
}

/// A datetime as Kusto reads text ([`crate::time::parse_datetime_text`]).
pub(crate) fn parse_datetime_text(text: &str) -> Option<i64> {
    crate::time::parse_datetime_text(text)
}

/// A timespan from text: `[-][d.]hh:mm[:ss[.fffffff]]`, or a Kusto literal like `90m`, `1.5h`.
pub(crate) fn parse_timespan_any(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Some(ticks) = parse_timespan_text(t) {
        return Some(ticks);
    }
    if t.matches(':').count() == 1 {
        return parse_timespan_text(&format!("{t}:00"));
    }
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = t.split_at(split);
    let number: f64 = number.parse().ok()?;
    let ticks = (number * timespan_unit_ticks(unit)? as f64).round();
    (ticks.abs() < 9.2e18).then_some(if negative { -(ticks as i64) } else { ticks as i64 })
}

fn totimespan(args: &[Value], _: &Context) -> Value {
    match arg(args, 0) {
        Value::TimeSpan(t) | Value::Long(t) => Value::TimeSpan(*t),
        Value::Dynamic(Json::Number(n)) => n.as_i64().map_or(Value::Null, Value::TimeSpan),
        Value::String(s) | Value::Dynamic(Json::String(s)) => {
            parse_timespan_any(s).map_or(Value::Null, Value::TimeSpan)
        }
        _ => Value::Null,
    }
}

/// JSON text becomes its value; text that is not JSON becomes a dynamic string.
fn todynamic(args: &[Value], _: &Context) -> Value {
    match arg(args, 0) {
        Value::Null => Value::Null,
        Value::String(s) => Value::Dynamic(serde_json::from_str(s).unwrap_or_else(|_| Json::String(s.clone()))),
        Value::Dynamic(j) => Value::Dynamic(j.clone()),
        other => Value::Dynamic(other.to_json()),
    }
}

/// A guid in its canonical lower-case form; "" when the text is not a guid.
fn toguid(args: &[Value], _: &Context) -> Value {
    canonical_guid(&text(args, 0)).map_or_else(empty, string)
}

fn canonical_guid(text: &str) -> Option<String> {
    let t = text.trim();
    let t = match (t.chars().next(), t.chars().last()) {
        (Some('{'), Some('}')) | (Some('('), Some(')')) => &t[1..t.len() - 1],
        _ => t,
    };
    let hex: String = match t.len() {
        32 => t.to_string(),
        36 => {
            let dashes = [8, 13, 18, 23];
            if !dashes.iter().all(|&i| t.as_bytes()[i] == b'-') {
                return None;
            }
            t.chars().filter(|&c| c != '-').collect()
        }
        _ => return None,
    };
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let h = hex.to_ascii_lowercase();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

/// The runtime type: a dynamic value reveals what it holds (`int`, `array`, `dictionary`, ...).
fn gettype(args: &[Value], _: &Context) -> Value {
    string(match arg(args, 0) {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Long(_) => "long",
        Value::Real(_) => "real",
        Value::DateTime(_) => "datetime",
        Value::TimeSpan(_) => "timespan",
        Value::String(_) => "string",
        Value::Dynamic(j) => match j {
            Json::Null => "null",
            Json::Bool(_) => "bool",
            Json::Number(n) => match n.as_i64() {
                Some(i) if i32::try_from(i).is_ok() => "int",
                Some(_) => "long",
                None => "real",
            },
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "dictionary",
        },
    })
}

/// Converts extracted text to the type a type literal names (`long`, `typeof(long)`, ...).
pub(crate) fn convert_text(type_name: &str, text: &str) -> Value {
    let name = type_name.trim();
    let name = name
        .strip_prefix("typeof(")
        .and_then(|n| n.strip_suffix(')'))
        .unwrap_or(name)
        .trim();
    let value = Value::String(text.to_string());
    let args = std::slice::from_ref(&value);
    let context = Context { now: 0 };
    match name {
        "long" => tolong(args, &context),
        "int" => toint(args, &context),
        "real" | "double" | "decimal" => toreal(args, &context),
        "bool" | "boolean" => tobool(args, &context),
        "datetime" | "date" => todatetime(args, &context),
        "timespan" | "time" => totimespan(args, &context),
        "dynamic" => todynamic(args, &context),
        "guid" => toguid(args, &context),
        _ => value,
    }
}
