//! Conditionals and null tests: `iff`, `case`, `coalesce`, `isnull`, `isempty`, `not`, `isnan`,
//! `isfinite`. A null condition counts as false; a string is never null (`isnull("")` is false).

use serde_json::Value as Json;

use super::{arg, bool_type, function, real, Context, Function};
use crate::schema::ColumnType;
use crate::value::Value;

pub(super) const FUNCTIONS: &[Function] = &[
    function("iff", 3, 3, iff_type, iff),
    function("case", 3, usize::MAX, case_type, case),
    function("coalesce", 1, 64, coalesce_type, coalesce),
    function("isnull", 1, 1, bool_type, isnull),
    function("isnotnull", 1, 1, bool_type, isnotnull),
    function("isempty", 1, 1, bool_type, isempty),
    function("isnotempty", 1, 1, bool_type, isnotempty),
    function("not", 1, 1, bool_type, not),
    function("isnan", 1, 1, bool_type, isnan),
    function("isfinite", 1, 1, bool_type, isfinite),
    function("isinf", 1, 1, bool_type, isinf),
];

/// The first known type among the branches.
fn known(types: impl IntoIterator<Item = Option<ColumnType>>) -> Option<ColumnType> {
    types.into_iter().flatten().next()
}

fn iff_type(types: &[Option<ColumnType>]) -> Option<ColumnType> {
    known(types.iter().skip(1).copied())
}

fn case_type(types: &[Option<ColumnType>]) -> Option<ColumnType> {
    let values = types.iter().skip(1).step_by(2).copied();
    known(values.chain(types.last().copied()))
}

fn coalesce_type(types: &[Option<ColumnType>]) -> Option<ColumnType> {
    known(types.iter().copied())
}

/// Kusto's truth of a condition: only `true` is true (null is false).
pub(super) fn is_true(value: &Value) -> bool {
    matches!(value, Value::Bool(true) | Value::Dynamic(Json::Bool(true)))
}

fn iff(args: &[Value], _: &Context) -> Value {
    if is_true(arg(args, 0)) {
        arg(args, 1).clone()
    } else {
        arg(args, 2).clone()
    }
}

/// `case(c1, v1, c2, v2, ..., else)`.
fn case(args: &[Value], _: &Context) -> Value {
    let pairs = args.len().saturating_sub(1) / 2;
    for i in 0..pairs {
        if is_true(&args[2 * i]) {
            return args[2 * i + 1].clone();
        }
    }
    args.last().cloned().unwrap_or(Value::Null)
}

/// The first value that is not null (and, for strings, not empty).
fn coalesce(args: &[Value], _: &Context) -> Value {
    args.iter()
        .find(|v| !v.is_empty())
        .or_else(|| args.first())
        .cloned()
        .unwrap_or(Value::Null)
}

fn is_null(value: &Value) -> bool {
    matches!(value, Value::Null | Value::Dynamic(Json::Null))
}

fn isnull(args: &[Value], _: &Context) -> Value {
    Value::Bool(is_null(arg(args, 0)))
}

fn isnotnull(args: &[Value], _: &Context) -> Value {
    Value::Bool(!is_null(arg(args, 0)))
}

fn isempty(args: &[Value], _: &Context) -> Value {
    Value::Bool(arg(args, 0).is_empty())
}

fn isnotempty(args: &[Value], _: &Context) -> Value {
    Value::Bool(!arg(args, 0).is_empty())
}

fn not(args: &[Value], _: &Context) -> Value {
    match arg(args, 0) {
        Value::Bool(b) | Value::Dynamic(Json::Bool(b)) => Value::Bool(!b),
        _ => Value::Null,
    }
}

fn real_test(args: &[Value], test: fn(f64) -> bool) -> Value {
    real(arg(args, 0)).map_or(Value::Null, |r| Value::Bool(test(r)))
}

fn isnan(args: &[Value], _: &Context) -> Value {
    real_test(args, f64::is_nan)
}

fn isfinite(args: &[Value], _: &Context) -> Value {
    real_test(args, f64::is_finite)
}

fn isinf(args: &[Value], _: &Context) -> Value {
    real_test(args, f64::is_infinite)
}
