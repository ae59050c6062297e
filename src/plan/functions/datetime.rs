//! Dates and times: `bin`/`bin_at`, `startof*`/`endof*`, `datetime_add`, `datetime_diff`,
//! `datetime_part` and the single-part getters, `make_datetime`/`make_timespan`, unix-time
//! conversions, `now` and `ago`. Everything is exact 100 ns ticks; calendars are proleptic
//! Gregorian UTC. Datetimes bin from 0001-01-01 (.NET's epoch, Kusto's), which matters for spans
//! that do not divide a day (e.g. `7d` bins start on Mondays).

use super::hashes::DOTNET_EPOCH_OFFSET;
use super::{arg, datetime_arg, datetime_type, first_type, function, long, long_type, real};
use super::{text, timespan_arg, timespan_type, Context, Function};
use crate::time::{civil_from_days, days_from_civil, days_in_month, ticks_from_parts, TICKS_PER_SECOND};
use crate::value::Value;

pub(super) const TICKS_PER_DAY: i64 = 86_400 * TICKS_PER_SECOND;
const TICKS_PER_HOUR: i64 = 3600 * TICKS_PER_SECOND;
const TICKS_PER_MINUTE: i64 = 60 * TICKS_PER_SECOND;

pub(super) const FUNCTIONS: &[Function] = &[
    function("bin", 2, 2, first_type, bin),
    function("bin_at", 3, 3, first_type, bin_at),
    function("startofday", 1, 2, datetime_type, startofday),
    function("startofweek", 1, 2, datetime_type, startofweek),
    function("startofmonth", 1, 2, datetime_type, startofmonth),
    function("startofyear", 1, 2, datetime_type, startofyear),
    function("endofday", 1, 2, datetime_type, endofday),
    function("endofweek", 1, 2, datetime_type, endofweek),
    function("endofmonth", 1, 2, datetime_type, endofmonth),
    function("endofyear", 1, 2, datetime_type, endofyear),
    function("datetime_add", 3, 3, datetime_type, datetime_add),
    function("datetime_diff", 3, 3, long_type, datetime_diff),
    function("datetime_part", 2, 2, long_type, datetime_part),
    function("dayofweek", 1, 1, timespan_type, dayofweek),
    function("dayofmonth", 1, 1, long_type, dayofmonth),
    function("dayofyear", 1, 1, long_type, dayofyear),
    function("hourofday", 1, 1, long_type, hourofday),
    function("getmonth", 1, 1, long_type, getmonth),
    function("getyear", 1, 1, long_type, getyear),
    function("week_of_year", 1, 1, long_type, week_of_year),
    function("make_datetime", 3, 6, datetime_type, make_datetime),
    function("make_timespan", 2, 4, timespan_type, make_timespan),
    function("unixtime_seconds_todatetime", 1, 1, datetime_type, unixtime_seconds),
    function(
        "unixtime_milliseconds_todatetime",
        1,
        1,
        datetime_type,
        unixtime_milliseconds,
    ),
    function(
        "unixtime_microseconds_todatetime",
        1,
        1,
        datetime_type,
        unixtime_microseconds,
    ),
    function(
        "unixtime_nanoseconds_todatetime",
        1,
        1,
        datetime_type,
        unixtime_nanoseconds,
    ),
    function("now", 0, 1, datetime_type, now),
    function("ago", 1, 1, datetime_type, ago),
];

/// A datetime's civil parts.
pub(super) struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    /// Ticks since midnight.
    pub in_day: i64,
    /// Days since 1970-01-01.
    pub days: i64,
}

pub(super) fn civil(ticks: i64) -> Civil {
    let days = ticks.div_euclid(TICKS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    Civil {
        year,
        month,
        day,
        in_day: ticks.rem_euclid(TICKS_PER_DAY),
        days,
    }
}

/// 0 for Sunday .. 6 for Saturday (1970-01-01 was a Thursday).
pub(super) fn weekday(days: i64) -> i64 {
    (days + 4).rem_euclid(7)
}

/// Datetimes Kusto can hold: years 1 to 9999.
fn in_range(ticks: i64) -> Value {
    let min = days_from_civil(1, 1, 1) * TICKS_PER_DAY;
    let max = days_from_civil(10000, 1, 1) * TICKS_PER_DAY;
    if (min..max).contains(&ticks) {
        Value::DateTime(ticks)
    } else {
        Value::Null
    }
}

fn floor_to(value: i64, size: i64) -> i64 {
    value.div_euclid(size) * size
}

/// `bin(value, size)`: the multiple of `size` at or below `value`. Null for a null, zero or
/// negative size.
fn bin(args: &[Value], _: &Context) -> Value {
    match (arg(args, 0), arg(args, 1)) {
        (Value::Long(v), Value::Long(s)) if *s > 0 => Value::Long(floor_to(*v, *s)),
        (Value::DateTime(t), size) => match timespan_arg(size) {
            Some(s) if s > 0 => in_range(floor_to(t + DOTNET_EPOCH_OFFSET, s) - DOTNET_EPOCH_OFFSET),
            _ => Value::Null,
        },
        (Value::TimeSpan(t), size) => match timespan_arg(size) {
            Some(s) if s > 0 => Value::TimeSpan(floor_to(*t, s)),
            _ => Value::Null,
        },
        (value, size) => match (real(value), real(size)) {
            (Some(v), Some(s)) if s > 0.0 => Value::Real((v / s).floor() * s),
            _ => Value::Null,
        },
    }
}

/// `bin_at(value, size, fixed_point)`: bins aligned so that `fixed_point` starts a bin.
fn bin_at(args: &[Value], _: &Context) -> Value {
    match (arg(args, 0), arg(args, 1), arg(args, 2)) {
        (Value::Long(v), Value::Long(s), Value::Long(f)) if *s > 0 => Value::Long(floor_to(v - f, *s) + f),
        (Value::DateTime(t), size, fixed) => match (timespan_arg(size), datetime_arg(fixed)) {
            (Some(s), Some(f)) if s > 0 => in_range(floor_to(t - f, s) + f),
            _ => Value::Null,
        },
        (Value::TimeSpan(t), size, fixed) => match (timespan_arg(size), timespan_arg(fixed)) {
            (Some(s), Some(f)) if s > 0 => Value::TimeSpan(floor_to(t - f, s) + f),
            _ => Value::Null,
        },
        (value, size, fixed) => match (real(value), real(size), real(fixed)) {
            (Some(v), Some(s), Some(f)) if s > 0.0 => Value::Real(((v - f) / s).floor() * s + f),
            _ => Value::Null,
        },
    }
}

/// The datetime argument and the optional offset (in the function's unit).
fn with_offset(args: &[Value]) -> Option<(i64, i64)> {
    let t = datetime_arg(arg(args, 0))?;
    let offset = match args.get(1) {
        None => 0,
        Some(v) => long(v)?,
    };
    Some((t, offset))
}

fn start_of_month(year: i64, month0: i64) -> i64 {
    let year = year + month0.div_euclid(12);
    let month = month0.rem_euclid(12) as u32 + 1;
    days_from_civil(year, month, 1) * TICKS_PER_DAY
}

/// Start of the period containing `t`, moved by `offset` periods.
fn start_of(unit: &str, t: i64, offset: i64) -> i64 {
    let c = civil(t);
    match unit {
        "day" => (c.days + offset) * TICKS_PER_DAY,
        "week" => (c.days - weekday(c.days) + 7 * offset) * TICKS_PER_DAY,
        "month" => start_of_month(c.year, i64::from(c.month) - 1 + offset),
        _ => start_of_month(c.year + offset, 0),
    }
}

fn start(args: &[Value], unit: &str) -> Value {
    with_offset(args).map_or(Value::Null, |(t, offset)| in_range(start_of(unit, t, offset)))
}

fn end(args: &[Value], unit: &str) -> Value {
    with_offset(args).map_or(Value::Null, |(t, offset)| in_range(start_of(unit, t, offset + 1) - 1))
}

fn startofday(args: &[Value], _: &Context) -> Value {
    start(args, "day")
}
fn startofweek(args: &[Value], _: &Context) -> Value {
    start(args, "week")
}
fn startofmonth(args: &[Value], _: &Context) -> Value {
    start(args, "month")
}
fn startofyear(args: &[Value], _: &Context) -> Value {
    start(args, "year")
}
fn endofday(args: &[Value], _: &Context) -> Value {
    end(args, "day")
}
fn endofweek(args: &[Value], _: &Context) -> Value {
    end(args, "week")
}
fn endofmonth(args: &[Value], _: &Context) -> Value {
    end(args, "month")
}
fn endofyear(args: &[Value], _: &Context) -> Value {
    end(args, "year")
}

/// Ticks in one fixed-length unit (`week` and shorter).
fn fixed_unit(part: &str) -> Option<i64> {
    Some(match part {
        "week" => 7 * TICKS_PER_DAY,
        "day" => TICKS_PER_DAY,
        "hour" => TICKS_PER_HOUR,
        "minute" => TICKS_PER_MINUTE,
        "second" => TICKS_PER_SECOND,
        "millisecond" => 10_000,
        "microsecond" => 10,
        _ => return None,
    })
}

/// Adds months the calendar way: the day is clamped to the end of the target month.
fn add_months(t: i64, months: i64) -> Option<i64> {
    let c = civil(t);
    let month0 = i64::from(c.month) - 1 + months;
    let year = c.year + month0.div_euclid(12);
    let month = month0.rem_euclid(12) as u32 + 1;
    if !(1..=9999).contains(&year) {
        return None;
    }
    let day = c.day.min(days_in_month(year, month));
    Some(days_from_civil(year, month, day) * TICKS_PER_DAY + c.in_day)
}

fn datetime_add(args: &[Value], _: &Context) -> Value {
    let part = text(args, 0).to_ascii_lowercase();
    let (Some(amount), Some(t)) = (long(arg(args, 1)), datetime_arg(arg(args, 2))) else {
        return Value::Null;
    };
    let result = match part.as_str() {
        "year" => amount.checked_mul(12).and_then(|m| add_months(t, m)),
        "quarter" => amount.checked_mul(3).and_then(|m| add_months(t, m)),
        "month" => add_months(t, amount),
        "nanosecond" => t.checked_add(amount / 100),
        unit => fixed_unit(unit)
            .and_then(|u| amount.checked_mul(u))
            .and_then(|d| t.checked_add(d)),
    };
    result.map_or(Value::Null, in_range)
}

/// `datetime_diff(period, dt1, dt2)`: how many period boundaries lie between them, i.e. the
/// difference of both truncated to the period (calendar years, quarters, months; weeks that
/// start on Sunday).
fn datetime_diff(args: &[Value], _: &Context) -> Value {
    let part = text(args, 0).to_ascii_lowercase();
    let (Some(t1), Some(t2)) = (datetime_arg(arg(args, 1)), datetime_arg(arg(args, 2))) else {
        return Value::Null;
    };
    let (c1, c2) = (civil(t1), civil(t2));
    let months = |c: &Civil| c.year * 12 + i64::from(c.month) - 1;
    Value::Long(match part.as_str() {
        "year" => c1.year - c2.year,
        "quarter" => months(&c1) / 3 - months(&c2) / 3,
        "month" => months(&c1) - months(&c2),
        "week" => (start_of("week", t1, 0) - start_of("week", t2, 0)) / (7 * TICKS_PER_DAY),
        "nanosecond" => (t1 - t2).saturating_mul(100),
        unit => match fixed_unit(unit) {
            Some(u) => t1.div_euclid(u) - t2.div_euclid(u),
            None => return Value::Null,
        },
    })
}

/// ISO 8601 week number: weeks start on Monday, week 1 holds the year's first Thursday.
pub(super) fn iso_week(t: i64) -> i64 {
    let c = civil(t);
    let iso_weekday = (weekday(c.days) + 6) % 7 + 1;
    let ordinal = c.days - days_from_civil(c.year, 1, 1) + 1;
    let week = (ordinal - iso_weekday + 10) / 7;
    let weeks_in = |year: i64| {
        let jan1 = weekday(days_from_civil(year, 1, 1));
        let leap = days_in_month(year, 2) == 29;
        if jan1 == 4 || (leap && jan1 == 3) {
            53
        } else {
            52
        }
    };
    if week < 1 {
        weeks_in(c.year - 1)
    } else if week > weeks_in(c.year) {
        1
    } else {
        week
    }
}

fn part_of(part: &str, t: i64) -> Option<i64> {
    let c = civil(t);
    let fraction = c.in_day % TICKS_PER_SECOND;
    Some(match part {
        "year" => c.year,
        "quarter" => (i64::from(c.month) - 1) / 3 + 1,
        "month" => i64::from(c.month),
        "week_of_year" | "week" | "weekofyear" => iso_week(t),
        "day" => i64::from(c.day),
        "dayofyear" => c.days - days_from_civil(c.year, 1, 1) + 1,
        "hour" => c.in_day / TICKS_PER_HOUR,
        "minute" => c.in_day / TICKS_PER_MINUTE % 60,
        "second" => c.in_day / TICKS_PER_SECOND % 60,
        "millisecond" => fraction / 10_000,
        "microsecond" => fraction / 10,
        "nanosecond" => fraction * 100,
        _ => return None,
    })
}

fn datetime_part(args: &[Value], _: &Context) -> Value {
    let part = text(args, 0).to_ascii_lowercase();
    datetime_arg(arg(args, 1))
        .and_then(|t| part_of(&part, t))
        .map_or(Value::Null, Value::Long)
}

fn getter(args: &[Value], part: &str) -> Value {
    datetime_arg(arg(args, 0))
        .and_then(|t| part_of(part, t))
        .map_or(Value::Null, Value::Long)
}

fn dayofmonth(args: &[Value], _: &Context) -> Value {
    getter(args, "day")
}
fn dayofyear(args: &[Value], _: &Context) -> Value {
    getter(args, "dayofyear")
}
fn hourofday(args: &[Value], _: &Context) -> Value {
    getter(args, "hour")
}
fn getmonth(args: &[Value], _: &Context) -> Value {
    getter(args, "month")
}
fn getyear(args: &[Value], _: &Context) -> Value {
    getter(args, "year")
}
fn week_of_year(args: &[Value], _: &Context) -> Value {
    getter(args, "week_of_year")
}

/// Days since Sunday, as a timespan.
fn dayofweek(args: &[Value], _: &Context) -> Value {
    datetime_arg(arg(args, 0)).map_or(Value::Null, |t| {
        Value::TimeSpan(weekday(t.div_euclid(TICKS_PER_DAY)) * TICKS_PER_DAY)
    })
}

/// Seconds (possibly fractional) as ticks.
fn seconds_ticks(value: &Value) -> Option<i64> {
    match value {
        Value::Long(s) => s.checked_mul(TICKS_PER_SECOND),
        other => real(other)
            .map(|s| (s * TICKS_PER_SECOND as f64).round())
            .filter(|t| t.is_finite() && t.abs() < 9.2e18)
            .map(|t| t as i64),
    }
}

/// `make_datetime(year, month, day[, hour, minute[, second]])`; the second may be fractional.
fn make_datetime(args: &[Value], _: &Context) -> Value {
    let part = |i: usize| -> Option<i64> {
        match args.get(i) {
            None => Some(0),
            Some(v) => long(v),
        }
    };
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi)) = (part(0), part(1), part(2), part(3), part(4)) else {
        return Value::Null;
    };
    let seconds = match args.get(5) {
        None => Some(0),
        Some(v) => seconds_ticks(v),
    };
    let small = |n: i64| u32::try_from(n).ok();
    let ticks = (|| {
        let seconds = seconds.filter(|s| (0..60 * TICKS_PER_SECOND).contains(s))?;
        let midnight = ticks_from_parts(y, small(mo)?, small(d)?, small(h)?, small(mi)?, 0, 0)?;
        Some(midnight + seconds)
    })();
    ticks.map_or(Value::Null, Value::DateTime)
}

/// `make_timespan(hour, minute)`, `(hour, minute, second)` or `(day, hour, minute, second)`.
fn make_timespan(args: &[Value], _: &Context) -> Value {
    let (day, hour, minute, second) = match args.len() {
        2 => (None, &args[0], &args[1], None),
        3 => (None, &args[0], &args[1], Some(&args[2])),
        _ => (Some(arg(args, 0)), arg(args, 1), arg(args, 2), Some(arg(args, 3))),
    };
    let ticks = (|| {
        let days = match day {
            Some(d) => long(d)?,
            None => 0,
        };
        let seconds = match second {
            Some(s) => seconds_ticks(s)?,
            None => 0,
        };
        days.checked_mul(TICKS_PER_DAY)?
            .checked_add(long(hour)?.checked_mul(TICKS_PER_HOUR)?)?
            .checked_add(long(minute)?.checked_mul(TICKS_PER_MINUTE)?)?
            .checked_add(seconds)
    })();
    ticks.map_or(Value::Null, Value::TimeSpan)
}

fn unixtime(args: &[Value], ticks_per_unit: f64) -> Value {
    let ticks = match arg(args, 0) {
        Value::Long(n) if ticks_per_unit >= 1.0 => n.checked_mul(ticks_per_unit as i64),
        Value::Long(n) => Some(n.div_euclid((1.0 / ticks_per_unit).round() as i64)),
        other => real(other)
            .map(|x| (x * ticks_per_unit).floor())
            .filter(|t| t.is_finite() && t.abs() < 9.2e18)
            .map(|t| t as i64),
    };
    ticks.map_or(Value::Null, in_range)
}

fn unixtime_seconds(args: &[Value], _: &Context) -> Value {
    unixtime(args, TICKS_PER_SECOND as f64)
}
fn unixtime_milliseconds(args: &[Value], _: &Context) -> Value {
    unixtime(args, 10_000.0)
}
fn unixtime_microseconds(args: &[Value], _: &Context) -> Value {
    unixtime(args, 10.0)
}
fn unixtime_nanoseconds(args: &[Value], _: &Context) -> Value {
    unixtime(args, 0.01)
}

fn now(args: &[Value], context: &Context) -> Value {
    match args.first() {
        None => Value::DateTime(context.now),
        Some(offset) => timespan_arg(offset).map_or(Value::Null, |o| in_range(context.now + o)),
    }
}

fn ago(args: &[Value], context: &Context) -> Value {
    timespan_arg(arg(args, 0)).map_or(Value::Null, |o| in_range(context.now - o))
}
