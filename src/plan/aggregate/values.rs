//! How the aggregates see values: which count as null, which as true, a total order for
//! min/max/arg_max/percentile (so that merging partials never depends on the split), and the
//! hashable key of a value for the distinct counts.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value as Json;

use crate::value::Value;

/// Null as the aggregates skip it: `null`, a dynamic `null`, and a real NaN (which has no place
/// in an order, a sum or a percentile).
pub(super) fn is_null(value: &Value) -> bool {
    match value {
        Value::Null | Value::Dynamic(Json::Null) => true,
        Value::Real(r) => r.is_nan(),
        _ => false,
    }
}

/// A predicate's result: only `true` counts; null and anything else are false.
pub(super) fn is_true(value: &Value) -> bool {
    matches!(value, Value::Bool(true) | Value::Dynamic(Json::Bool(true)))
}

/// A dynamic scalar as the typed value it holds (`dynamic(5)` as `5`), so that dynamic columns
/// aggregate like typed ones; other values as they are.
pub(super) fn scalar(value: &Value) -> Cow<'_, Value> {
    match value {
        Value::Dynamic(Json::Number(n)) => Cow::Owned(match n.as_i64() {
            Some(long) => Value::Long(long),
            None => n.as_f64().map_or(Value::Null, Value::Real),
        }),
        Value::Dynamic(Json::Bool(b)) => Cow::Owned(Value::Bool(*b)),
        Value::Dynamic(Json::String(s)) => Cow::Owned(Value::String(s.clone())),
        Value::Dynamic(Json::Null) => Cow::Owned(Value::Null),
        other => Cow::Borrowed(other),
    }
}

/// Kinds never compare with each other in Kusto; ordering them by kind only makes the order total.
fn kind_rank(value: &Value) -> u8 {
    match value {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Long(_) | Value::Real(_) => 2,
        Value::DateTime(_) => 3,
        Value::TimeSpan(_) => 4,
        Value::String(_) => 5,
        Value::Dynamic(_) => 6,
    }
}

/// A total order on non-null values: within a kind Kusto's own (numbers by value, with longs
/// and reals compared exactly; strings ordinally; datetimes as instants), kinds in a fixed order.
pub(super) fn order(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Long(x), Value::Long(y)) => x.cmp(y),
        (Value::Real(x), Value::Real(y)) => x.total_cmp(y),
        (Value::Long(x), Value::Real(y)) => long_real(*x, *y),
        (Value::Real(x), Value::Long(y)) => long_real(*y, *x).reverse(),
        (Value::DateTime(x), Value::DateTime(y)) | (Value::TimeSpan(x), Value::TimeSpan(y)) => x.cmp(y),
        (Value::String(x), Value::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Dynamic(x), Value::Dynamic(y)) => x.to_string().cmp(&y.to_string()),
        _ => kind_rank(a).cmp(&kind_rank(b)),
    }
}

/// Compares a long with a (non-NaN) real exactly, without rounding the long to a real.
fn long_real(long: i64, real: f64) -> Ordering {
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if real.is_nan() {
        return Ordering::Less;
    }
    if real >= TWO_POW_63 {
        return Ordering::Less;
    }
    if real < -TWO_POW_63 {
        return Ordering::Greater;
    }
    let whole = real.trunc();
    match long.cmp(&(whole as i64)) {
        // Equal whole parts: the real's fraction decides.
        Ordering::Equal => 0.0f64.partial_cmp(&(real - whole)).unwrap_or(Ordering::Equal),
        other => other,
    }
}

/// A value as a hash-set key for the distinct counts: equal keys are the same Kusto value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Key {
    Bool(bool),
    Long(i64),
    Real(u64),
    DateTime(i64),
    TimeSpan(i64),
    String(String),
    Json(String),
}

impl Key {
    pub(super) fn of(value: &Value) -> Option<Key> {
        Some(match value {
            Value::Null => return None,
            Value::Bool(b) => Key::Bool(*b),
            Value::Long(n) => Key::Long(*n),
            // One key for 0.0 and -0.0, and for every NaN.
            Value::Real(r) if *r == 0.0 => Key::Real(0),
            Value::Real(r) if r.is_nan() => Key::Real(f64::NAN.to_bits()),
            Value::Real(r) => Key::Real(r.to_bits()),
            Value::DateTime(t) => Key::DateTime(*t),
            Value::TimeSpan(t) => Key::TimeSpan(*t),
            Value::String(s) => Key::String(s.clone()),
            Value::Dynamic(Json::String(s)) => Key::String(s.clone()),
            Value::Dynamic(j) => Key::Json(j.to_string()),
        })
    }

    pub(super) fn memory(&self) -> usize {
        std::mem::size_of::<Key>()
            + match self {
                Key::String(s) | Key::Json(s) => s.capacity(),
                _ => 0,
            }
    }
}

/// Approximate heap bytes of a value.
pub(super) fn value_memory(value: &Value) -> usize {
    std::mem::size_of::<Value>()
        + match value {
            Value::String(s) => s.capacity(),
            Value::Dynamic(j) => json_memory(j),
            _ => 0,
        }
}

/// Approximate heap bytes of a JSON value: its text length is a fair proxy.
pub(super) fn json_memory(json: &Json) -> usize {
    std::mem::size_of::<Json>()
        + match json {
            Json::Null | Json::Bool(_) | Json::Number(_) => 0,
            Json::String(s) => s.capacity(),
            Json::Array(items) => items.iter().map(json_memory).sum(),
            Json::Object(map) => map.iter().map(|(k, v)| k.capacity() + json_memory(v)).sum(),
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longs_and_reals_compare_exactly() {
        assert_eq!(order(&Value::Long(1), &Value::Real(1.5)), Ordering::Less);
        assert_eq!(order(&Value::Long(2), &Value::Real(1.5)), Ordering::Greater);
        assert_eq!(order(&Value::Long(1), &Value::Real(1.0)), Ordering::Equal);
        assert_eq!(order(&Value::Long(-1), &Value::Real(-1.5)), Ordering::Greater);
        assert_eq!(order(&Value::Long(-2), &Value::Real(-1.5)), Ordering::Less);
        // 2^53 + 1 is not a real; rounding it would make it equal to 2^53.
        let big = (1i64 << 53) + 1;
        assert_eq!(
            order(&Value::Long(big), &Value::Real((1i64 << 53) as f64)),
            Ordering::Greater
        );
        assert_eq!(order(&Value::Long(i64::MAX), &Value::Real(1e19)), Ordering::Less);
        assert_eq!(order(&Value::Real(-1e19), &Value::Long(i64::MIN)), Ordering::Less);
    }

    #[test]
    fn strings_are_ordinal_and_datetimes_instants() {
        assert_eq!(
            order(&Value::String("B".into()), &Value::String("a".into())),
            Ordering::Less
        );
        assert_eq!(order(&Value::DateTime(5), &Value::DateTime(10)), Ordering::Less);
    }
}
