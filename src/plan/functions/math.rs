//! Numbers: rounding (`round`, `ceiling`), `abs`, `sign`, powers and logarithms, trigonometry,
//! `max_of`/`min_of`, `tohex`, and `new_guid`. A long stays a long where Kusto keeps it so;
//! a logarithm or root of a number outside its domain is null.

use std::cmp::Ordering;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use super::{arg, first_type, function, long, numeric_type, real, real_type, string, string_type};
use super::{Context, Function};
use crate::value::Value;

pub(super) const FUNCTIONS: &[Function] = &[
    function("round", 1, 2, first_type, round),
    function("abs", 1, 1, first_type, abs),
    function("ceiling", 1, 1, first_type, ceiling),
    function("sign", 1, 1, first_type, sign),
    function("exp", 1, 1, real_type, exp),
    function("exp2", 1, 1, real_type, exp2),
    function("exp10", 1, 1, real_type, exp10),
    function("log", 1, 1, real_type, log),
    function("log2", 1, 1, real_type, log2),
    function("log10", 1, 1, real_type, log10),
    function("pow", 2, 2, real_type, pow),
    function("sqrt", 1, 1, real_type, sqrt),
    function("pi", 0, 0, real_type, pi),
    function("sin", 1, 1, real_type, sin),
    function("cos", 1, 1, real_type, cos),
    function("tan", 1, 1, real_type, tan),
    function("asin", 1, 1, real_type, asin),
    function("acos", 1, 1, real_type, acos),
    function("atan", 1, 1, real_type, atan),
    function("atan2", 2, 2, real_type, atan2),
    function("degrees", 1, 1, real_type, degrees),
    function("radians", 1, 1, real_type, radians),
    function("max_of", 1, 64, numeric_type, max_of),
    function("min_of", 1, 64, numeric_type, min_of),
    function("tohex", 1, 2, string_type, tohex),
    function("new_guid", 0, 0, string_type, new_guid),
];

/// Rounds half away from zero at `digits` decimal places (negative: tens, hundreds, ...).
fn round_real(x: f64, digits: i64) -> f64 {
    let digits = digits.clamp(-308, 308) as i32;
    if digits >= 0 {
        let scale = 10f64.powi(digits);
        let scaled = x * scale;
        if !scaled.is_finite() {
            return x;
        }
        scaled.round() / scale
    } else {
        let scale = 10f64.powi(-digits);
        (x / scale).round() * scale
    }
}

fn round(args: &[Value], _: &Context) -> Value {
    let digits = match args.get(1) {
        None => 0,
        Some(v) => match long(v) {
            Some(d) => d,
            None => return Value::Null,
        },
    };
    match arg(args, 0) {
        Value::Long(n) if digits >= 0 => Value::Long(*n),
        Value::Long(n) => Value::Long(round_real(*n as f64, digits) as i64),
        other => real(other).map_or(Value::Null, |x| Value::Real(round_real(x, digits))),
    }
}

fn abs(args: &[Value], _: &Context) -> Value {
    match arg(args, 0) {
        Value::Long(n) => n.checked_abs().map_or(Value::Null, Value::Long),
        Value::TimeSpan(t) => t.checked_abs().map_or(Value::Null, Value::TimeSpan),
        other => real(other).map_or(Value::Null, |x| Value::Real(x.abs())),
    }
}

fn ceiling(args: &[Value], _: &Context) -> Value {
    match arg(args, 0) {
        Value::Long(n) => Value::Long(*n),
        other => real(other).map_or(Value::Null, |x| Value::Real(x.ceil())),
    }
}

fn sign(args: &[Value], _: &Context) -> Value {
    match arg(args, 0) {
        Value::Long(n) => Value::Long(n.signum()),
        other => real(other).map_or(Value::Null, |x| {
            Value::Real(if x == 0.0 || x.is_nan() { x } else { x.signum() })
        }),
    }
}

fn unary(args: &[Value], f: fn(f64) -> Option<f64>) -> Value {
    real(arg(args, 0)).and_then(f).map_or(Value::Null, Value::Real)
}

fn exp(args: &[Value], _: &Context) -> Value {
    unary(args, |x| Some(x.exp()))
}
fn exp2(args: &[Value], _: &Context) -> Value {
    unary(args, |x| Some(x.exp2()))
}
fn exp10(args: &[Value], _: &Context) -> Value {
    unary(args, |x| Some(10f64.powf(x)))
}
fn log(args: &[Value], _: &Context) -> Value {
    unary(args, |x| (x >= 0.0).then(|| x.ln()))
}
fn log2(args: &[Value], _: &Context) -> Value {
    unary(args, |x| (x >= 0.0).then(|| x.log2()))
}
fn log10(args: &[Value], _: &Context) -> Value {
    unary(args, |x| (x >= 0.0).then(|| x.log10()))
}
fn sqrt(args: &[Value], _: &Context) -> Value {
    unary(args, |x| (x >= 0.0).then(|| x.sqrt()))
}
fn sin(args: &[Value], _: &Context) -> Value {
    unary(args, |x| Some(x.sin()))
}
fn cos(args: &[Value], _: &Context) -> Value {
    unary(args, |x| Some(x.cos()))
}
fn tan(args: &[Value], _: &Context) -> Value {
    unary(args, |x| Some(x.tan()))
}
fn asin(args: &[Value], _: &Context) -> Value {
    unary(args, |x| Some(x.asin()).filter(|r| !r.is_nan()))
}
fn acos(args: &[Value], _: &Context) -> Value {
    unary(args, |x| Some(x.acos()).filter(|r| !r.is_nan()))
}
fn atan(args: &[Value], _: &Context) -> Value {
    unary(args, |x| Some(x.atan()))
}
fn degrees(args: &[Value], _: &Context) -> Value {
    unary(args, |x| Some(x.to_degrees()))
}
fn radians(args: &[Value], _: &Context) -> Value {
    unary(args, |x| Some(x.to_radians()))
}

fn pi(_: &[Value], _: &Context) -> Value {
    Value::Real(std::f64::consts::PI)
}

fn pow(args: &[Value], _: &Context) -> Value {
    match (real(arg(args, 0)), real(arg(args, 1))) {
        (Some(b), Some(e)) => Value::Real(b.powf(e)),
        _ => Value::Null,
    }
}

fn atan2(args: &[Value], _: &Context) -> Value {
    match (real(arg(args, 0)), real(arg(args, 1))) {
        (Some(y), Some(x)) => Value::Real(y.atan2(x)),
        _ => Value::Null,
    }
}

/// The extreme of the non-null arguments; longs mixed with reals compare (and return) as reals.
fn extreme(args: &[Value], wanted: Ordering) -> Value {
    let any_real = args.iter().any(|a| matches!(a, Value::Real(_)));
    let mut best: Option<Value> = None;
    for value in args.iter().filter(|a| !a.is_empty()) {
        let value = match value {
            Value::Long(n) if any_real => Value::Real(*n as f64),
            other => other.clone(),
        };
        best = match best {
            Some(current) if value.compare(&current) != Some(wanted) => Some(current),
            _ => Some(value),
        };
    }
    best.unwrap_or(Value::Null)
}

fn max_of(args: &[Value], _: &Context) -> Value {
    extreme(args, Ordering::Greater)
}

fn min_of(args: &[Value], _: &Context) -> Value {
    extreme(args, Ordering::Less)
}

/// Lower-case hex; a negative long is its 64-bit two's complement. `minLength` (at most 16)
/// pads with zeros.
fn tohex(args: &[Value], _: &Context) -> Value {
    let Some(n) = long(arg(args, 0)) else {
        return Value::Null;
    };
    let width = match args.get(1) {
        None => 0,
        Some(v) => match long(v) {
            Some(w) => w.clamp(0, 16) as usize,
            None => return Value::Null,
        },
    };
    string(format!("{:0width$x}", n as u64))
}

/// A random (version 4) guid. Random per call, as in Kusto, so not reproducible across runs.
fn new_guid(_: &[Value], _: &Context) -> Value {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut words = [0u64; 2];
    for word in &mut words {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, AtomicOrdering::Relaxed));
        if let Ok(elapsed) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            hasher.write_u128(elapsed.as_nanos());
        }
        *word = hasher.finish();
    }
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
    let mut b = [0u8; 16];
    b.copy_from_slice(&bytes);
    string(crate::encoding::uuid(b, 4))
}
