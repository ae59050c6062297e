//! `format_datetime` and `format_timespan`: .NET-style custom format strings as Kusto documents
//! them (`yyyy`, `MM`, `dd`, `HH`, `hh`, `mm`, `ss`, `f`..`fffffff`, `F`..`FFFFFFF`, `tt`, and
//! `d`.. for days of a timespan). Characters that are not format letters are copied.

use super::datetime::{civil, weekday, TICKS_PER_DAY};
use super::{arg, datetime_arg, empty, function, string, string_type, text, timespan_arg};
use super::{Context, Function};
use crate::time::TICKS_PER_SECOND;
use crate::value::Value;

pub(super) const FUNCTIONS: &[Function] = &[
    function("format_datetime", 2, 2, string_type, format_datetime),
    function("format_timespan", 2, 2, string_type, format_timespan),
];

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// The format split into runs of one repeated letter (a format element) or single characters.
fn runs(format: &str) -> Vec<(char, usize)> {
    let mut out: Vec<(char, usize)> = Vec::new();
    for c in format.chars() {
        match out.last_mut() {
            Some((last, n)) if *last == c && c.is_ascii_alphabetic() => *n += 1,
            _ => out.push((c, 1)),
        }
    }
    out
}

/// `f`/`F` elements: the first `n` digits of the fraction; `F` drops trailing zeros and, when
/// nothing is left, the `.` before it (as .NET does).
fn push_fraction(out: &mut String, letter: char, n: usize, fraction_ticks: i64) {
    let n = n.min(7);
    let digits = format!("{fraction_ticks:07}");
    let digits = &digits[..n];
    if letter == 'f' {
        out.push_str(digits);
        return;
    }
    let trimmed = digits.trim_end_matches('0');
    if trimmed.is_empty() {
        if out.ends_with('.') {
            out.pop();
        }
    } else {
        out.push_str(trimmed);
    }
}

fn padded(out: &mut String, value: i64, width: usize) {
    out.push_str(&format!("{value:0width$}"));
}

fn format_datetime(args: &[Value], _: &Context) -> Value {
    let Some(t) = datetime_arg(arg(args, 0)) else {
        return empty();
    };
    let c = civil(t);
    let hour = c.in_day / (3600 * TICKS_PER_SECOND);
    let minute = c.in_day / (60 * TICKS_PER_SECOND) % 60;
    let second = c.in_day / TICKS_PER_SECOND % 60;
    let fraction = c.in_day % TICKS_PER_SECOND;
    let hour12 = if hour % 12 == 0 { 12 } else { hour % 12 };
    let mut out = String::new();
    for (letter, n) in runs(&text(args, 1)) {
        match letter {
            'y' => match n {
                1 => out.push_str(&(c.year % 100).to_string()),
                2 => padded(&mut out, c.year % 100, 2),
                _ => padded(&mut out, c.year, n),
            },
            'M' => match n {
                1 | 2 => padded(&mut out, i64::from(c.month), n),
                3 => out.push_str(&MONTHS[c.month as usize - 1][..3]),
                _ => out.push_str(MONTHS[c.month as usize - 1]),
            },
            'd' => match n {
                1 | 2 => padded(&mut out, i64::from(c.day), n),
                3 => out.push_str(&DAYS[weekday(c.days) as usize][..3]),
                _ => out.push_str(DAYS[weekday(c.days) as usize]),
            },
            'H' => padded(&mut out, hour, n.min(2)),
            'h' => padded(&mut out, hour12, n.min(2)),
            'm' => padded(&mut out, minute, n.min(2)),
            's' => padded(&mut out, second, n.min(2)),
            'f' | 'F' => push_fraction(&mut out, letter, n, fraction),
            't' => {
                let meridiem = if hour < 12 { "AM" } else { "PM" };
                out.push_str(&meridiem[..n.min(2)]);
            }
            other => out.extend(std::iter::repeat_n(other, n)),
        }
    }
    string(out)
}

fn format_timespan(args: &[Value], _: &Context) -> Value {
    let Some(t) = timespan_arg(arg(args, 0)) else {
        return empty();
    };
    let mut out = String::new();
    if t < 0 {
        out.push('-');
    }
    let t = t.unsigned_abs() as i64;
    let days = t / TICKS_PER_DAY;
    let in_day = t % TICKS_PER_DAY;
    let hour = in_day / (3600 * TICKS_PER_SECOND);
    let minute = in_day / (60 * TICKS_PER_SECOND) % 60;
    let second = in_day / TICKS_PER_SECOND % 60;
    let fraction = in_day % TICKS_PER_SECOND;
    for (letter, n) in runs(&text(args, 1)) {
        match letter {
            'd' => padded(&mut out, days, n.min(8)),
            'h' | 'H' => padded(&mut out, hour, n.min(2)),
            'm' => padded(&mut out, minute, n.min(2)),
            's' => padded(&mut out, second, n.min(2)),
            'f' | 'F' => push_fraction(&mut out, letter, n, fraction),
            other => out.extend(std::iter::repeat_n(other, n)),
        }
    }
    string(out)
}
