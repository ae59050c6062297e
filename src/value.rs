//! Kusto scalar values as loghunt evaluates them, and the rules for reading them out of JSON
//! records by column type: a `null` or missing string is `""` (Kusto strings are never null),
//! a datetime is 100 ns ticks compared as an instant, a long stays an exact `i64`.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value as Json;

use crate::schema::ColumnType;
use crate::time::{format_datetime, fraction_ticks, parse_datetime, TICKS_PER_SECOND};

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Long(i64),
    Real(f64),
    /// 100 ns ticks since the Unix epoch.
    DateTime(i64),
    /// 100 ns ticks.
    TimeSpan(i64),
    String(String),
    Dynamic(Json),
}

impl Value {
    /// Reads a JSON value as a column of type `ty`. Values that do not fit the type read as null,
    /// as Kusto's ingestion would make them (strings excepted: they read as their JSON text).
    pub fn from_json(json: Option<&Json>, ty: ColumnType) -> Value {
        let json = match json {
            None | Some(Json::Null) => return Value::absent(ty),
            Some(Json::String(s)) => return Value::from_text(Cow::Borrowed(s), ty),
            Some(json) => json,
        };
        match ty {
            ColumnType::String => Value::String(json.to_string()),
            ColumnType::Long => match json {
                Json::Number(n) => n
                    .as_i64()
                    .or_else(|| {
                        n.as_f64()
                            .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
                            .map(|f| f as i64)
                    })
                    .map_or(Value::Null, Value::Long),
                Json::Bool(b) => Value::Long(*b as i64),
                _ => Value::Null,
            },
            ColumnType::Real => match json {
                Json::Number(n) => n.as_f64().map_or(Value::Null, Value::Real),
                _ => Value::Null,
            },
            ColumnType::Bool => match json {
                Json::Bool(b) => Value::Bool(*b),
                Json::Number(n) => match n.as_i64() {
                    Some(0) => Value::Bool(false),
                    Some(1) => Value::Bool(true),
                    _ => Value::Null,
                },
                _ => Value::Null,
            },
            ColumnType::DateTime | ColumnType::TimeSpan => Value::Null,
            ColumnType::Dynamic => Value::Dynamic(json.clone()),
        }
    }

    /// [`Value::from_json`] of a JSON string: a column of type `ty` read from its text.
    pub fn from_text(text: Cow<'_, str>, ty: ColumnType) -> Value {
        match ty {
            ColumnType::String => Value::String(text.into_owned()),
            ColumnType::DateTime => parse_datetime(&text).map_or(Value::Null, Value::DateTime),
            ColumnType::TimeSpan => parse_timespan_text(&text).map_or(Value::Null, Value::TimeSpan),
            ColumnType::Long => text.trim().parse().map_or(Value::Null, Value::Long),
            ColumnType::Real => text.trim().parse().map_or(Value::Null, Value::Real),
            ColumnType::Bool => match text.trim() {
                t if t.eq_ignore_ascii_case("true") || t == "1" => Value::Bool(true),
                t if t.eq_ignore_ascii_case("false") || t == "0" => Value::Bool(false),
                _ => Value::Null,
            },
            ColumnType::Dynamic => Value::Dynamic(Json::String(text.into_owned())),
        }
    }

    /// The value of a column of type `ty` that a record lacks (or holds null): Kusto's empty
    /// string for a string column, null for the others.
    pub fn absent(ty: ColumnType) -> Value {
        if ty == ColumnType::String {
            Value::String(String::new())
        } else {
            Value::Null
        }
    }

    /// The value's Kusto type (`None` for null, which has every type).
    pub fn column_type(&self) -> Option<ColumnType> {
        Some(match self {
            Value::Null => return None,
            Value::Bool(_) => ColumnType::Bool,
            Value::Long(_) => ColumnType::Long,
            Value::Real(_) => ColumnType::Real,
            Value::DateTime(_) => ColumnType::DateTime,
            Value::TimeSpan(_) => ColumnType::TimeSpan,
            Value::String(_) => ColumnType::String,
            Value::Dynamic(_) => ColumnType::Dynamic,
        })
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value as Kusto's `tostring()` renders it; what string operators see.
    pub fn to_text(&self) -> Cow<'_, str> {
        match self {
            Value::Null => Cow::Borrowed(""),
            Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Value::Long(n) => Cow::Owned(n.to_string()),
            Value::Real(r) => Cow::Owned(r.to_string()),
            Value::DateTime(t) => Cow::Owned(format_datetime(*t)),
            Value::TimeSpan(t) => Cow::Owned(format_timespan(*t)),
            Value::String(s) => Cow::Borrowed(s),
            Value::Dynamic(Json::String(s)) => Cow::Borrowed(s),
            Value::Dynamic(j) => Cow::Owned(j.to_string()),
        }
    }

    /// The value in a JSON result row: datetimes and timespans as Kusto prints them.
    pub fn to_json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Long(n) => Json::from(*n),
            // JSON has no NaN or infinity: Kusto's JSON writes them as these strings.
            Value::Real(r) if r.is_nan() => Json::String("NaN".into()),
            Value::Real(r) if r.is_infinite() => Json::String(if *r > 0.0 { "Infinity" } else { "-Infinity" }.into()),
            Value::Real(r) => serde_json::Number::from_f64(*r).map_or(Json::Null, Json::Number),
            Value::DateTime(_) | Value::TimeSpan(_) => Json::String(self.to_text().into_owned()),
            Value::String(s) => Json::String(s.clone()),
            Value::Dynamic(j) => j.clone(),
        }
    }

    /// Kusto's `isempty`: null or the empty string.
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Dynamic(Json::String(s)) => s.is_empty(),
            Value::Dynamic(Json::Null) => true,
            _ => false,
        }
    }

    /// Compares two non-null values of comparable types: numbers with numbers, datetimes with
    /// datetimes, strings ordinally. `None` when Kusto would not compare them (or either is null).
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Long(a), Value::Long(b)) => Some(a.cmp(b)),
            (Value::Long(a), Value::Real(b)) => (*a as f64).partial_cmp(b),
            (Value::Real(a), Value::Long(b)) => a.partial_cmp(&(*b as f64)),
            (Value::Real(a), Value::Real(b)) => a.partial_cmp(b),
            (Value::DateTime(a), Value::DateTime(b)) | (Value::TimeSpan(a), Value::TimeSpan(b)) => Some(a.cmp(b)),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            (Value::String(a), Value::String(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
            _ => None,
        }
    }
}

/// `d.hh:mm:ss[.fffffff]`, Kusto's timespan text.
pub fn format_timespan(ticks: i64) -> String {
    let sign = if ticks < 0 { "-" } else { "" };
    let ticks = ticks.unsigned_abs();
    let per_second = TICKS_PER_SECOND as u64;
    let seconds = ticks / per_second;
    let fraction = ticks % per_second;
    let (days, h, m, s) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60, seconds % 60);
    let mut text = String::from(sign);
    if days > 0 {
        text.push_str(&format!("{days}."));
    }
    text.push_str(&format!("{h:02}:{m:02}:{s:02}"));
    if fraction > 0 {
        text.push_str(&format!(".{fraction:07}"));
    }
    text
}

/// Reads `[-][d.]hh:mm:ss[.fffffff]`.
pub fn parse_timespan_text(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut parts = text.split(':');
    let (head, minutes, tail) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (days, hours) = match head.split_once('.') {
        Some((d, h)) => (number(d)?, number(h)?),
        None => (0, number(head)?),
    };
    let (seconds, fraction) = match tail.split_once('.') {
        Some((s, f)) => (number(s)?, checked_fraction_ticks(f)?),
        None => (number(tail)?, 0),
    };
    let minutes = number(minutes)?;
    let ticks = (days * 86_400 + hours * 3600 + minutes * 60 + seconds) * TICKS_PER_SECOND + fraction;
    Some(if negative { -ticks } else { ticks })
}

fn number(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Up to seven fractional digits as ticks; further digits are truncated.
fn checked_fraction_ticks(digits: &str) -> Option<i64> {
    let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    all_digits.then(|| fraction_ticks(digits.as_bytes()))
}
