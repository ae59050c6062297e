//! The datetimes portals write into CSV exports, read before a file's day/month order and time
//! zone are known: Azure portal `11/9/2025, 3:46:34.034 PM` and `26/03/2026, 15:18:18.790`,
//! Defender portal `Oct 9, 2024 2:56:53 PM`, and ISO 8601. Also the two things a user tells about
//! an export on the command line: its day/month order and its UTC offset (`--tz`). Which column
//! is in which zone, and how an order is inferred from a file, is the CSV reader's business.

use super::{fraction_ticks, parse_datetime, ticks_from_parts, MONTHS};

/// Which number of a numeric date like `1/2/2025` is the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// `1/2/2025` is 1 February.
    DayFirst,
    /// `1/2/2025` is 2 January.
    MonthFirst,
}

impl DateOrder {
    /// How messages name it (the flags are `--day-first` and `--month-first`).
    pub fn name(self) -> &'static str {
        match self {
            DateOrder::DayFirst => "day-first",
            DateOrder::MonthFirst => "month-first",
        }
    }
}

/// A datetime as written, before the file's day/month order and time zone are applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Written {
    /// ISO 8601; `zoned` when it carries a `Z` or an offset of its own.
    Iso { ticks: i64, zoned: bool },
    /// Defender portal: `Oct 9, 2024 2:56:53 PM`.
    Named { ticks: i64 },
    /// Azure portal: `11/9/2025, 3:46:34.034 PM`; `time` is ticks into the day, `twelve` whether
    /// it was written with AM/PM.
    Numeric {
        first: u32,
        second: u32,
        year: i64,
        time: i64,
        twelve: bool,
    },
}

impl Written {
    /// Reads `text` as one of the forms portals write; `None` for anything else.
    pub fn parse(text: &str) -> Option<Written> {
        let text = text.trim();
        if let Some(ticks) = parse_datetime(text) {
            let zoned = text.get(10..).is_some_and(|t| t.contains(['Z', 'z', '+', '-']));
            return Some(Written::Iso { ticks, zoned });
        }
        let tokens = tokenize(text)?;
        use Token::{Num, Punct, Word};
        match tokens.as_slice() {
            [Word(month), Num(day), rest @ ..] => {
                let rest = rest.strip_prefix(&[Punct(b',')]).unwrap_or(rest);
                let [Num(year), time @ ..] = rest else { return None };
                let (time, _) = time_of_day(time)?;
                let prefix = month.get(..3).filter(|_| month.len() <= 9)?.to_ascii_lowercase();
                let month = MONTHS.iter().position(|m| *m == prefix)? as u32;
                let ticks = ticks_from_parts(year4(year)?, month + 1, number(day)?, 0, 0, 0, 0)? + time;
                Some(Written::Named { ticks })
            }
            [Num(first), Punct(s1), Num(second), Punct(s2), Num(year), rest @ ..]
                if s1 == s2 && matches!(s1, b'/' | b'.') =>
            {
                let rest = rest.strip_prefix(&[Punct(b',')]).unwrap_or(rest);
                let (time, twelve) = time_of_day(rest)?;
                Some(Written::Numeric {
                    first: number(first)?,
                    second: number(second)?,
                    year: year4(year)?,
                    time,
                    twelve,
                })
            }
            _ => None,
        }
    }

    /// The instant as written, in whatever zone it was written in, a numeric date read in
    /// `order`; `None` for a date that does not exist in that order (`13/02/2025` month first).
    pub fn ticks(self, order: DateOrder) -> Option<i64> {
        match self {
            Written::Iso { ticks, .. } | Written::Named { ticks } => Some(ticks),
            Written::Numeric {
                first,
                second,
                year,
                time,
                ..
            } => {
                let (day, month) = match order {
                    DateOrder::DayFirst => (first, second),
                    DateOrder::MonthFirst => (second, first),
                };
                Some(ticks_from_parts(year, month, day, 0, 0, 0, 0)? + time)
            }
        }
    }

    /// The order a numeric date proves (one of its numbers is over 12 and the other is not);
    /// `None` when it proves nothing, or is not numeric.
    pub fn proves(self) -> Option<DateOrder> {
        match self {
            Written::Numeric { first, second, .. } => match (first > 12, second > 12) {
                (true, false) => Some(DateOrder::DayFirst),
                (false, true) => Some(DateOrder::MonthFirst),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether only the day/month order can say which date this is (`1/2/2025`).
    pub fn is_ambiguous(self) -> bool {
        matches!(self, Written::Numeric { first, second, .. } if first <= 12 && second <= 12)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Token<'a> {
    Num(&'a str),
    Word(&'a str),
    Punct(u8),
}

fn class(c: u8) -> u8 {
    if c.is_ascii_digit() {
        1
    } else if c.is_ascii_alphabetic() {
        2
    } else {
        0
    }
}

/// Splits into digit runs, letter runs and single punctuation bytes, dropping white space; `None`
/// for text too long or too strange to be a datetime.
fn tokenize(text: &str) -> Option<Vec<Token<'_>>> {
    if text.len() > 40 || !text.is_ascii() {
        return None;
    }
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        if class(b) != 0 {
            while i < bytes.len() && class(bytes[i]) == class(b) {
                i += 1;
            }
        }
        tokens.push(match class(b) {
            1 => Token::Num(&text[start..i]),
            2 => Token::Word(&text[start..i]),
            _ => Token::Punct(b),
        });
    }
    Some(tokens)
}

fn number(digits: &str) -> Option<u32> {
    if digits.len() > 2 {
        return None;
    }
    digits.parse().ok()
}

fn year4(digits: &str) -> Option<i64> {
    (digits.len() == 4).then(|| digits.parse().ok())?
}

/// `3:46:34.034 PM`, `15:18:18.790`, `9:43` as ticks into the day, and whether it was 12-hour.
fn time_of_day(tokens: &[Token<'_>]) -> Option<(i64, bool)> {
    use Token::{Num, Punct, Word};
    let [Num(hour), Punct(b':'), Num(minute), rest @ ..] = tokens else {
        return None;
    };
    let (second, fraction, rest) = match rest {
        [Punct(b':'), Num(s), Punct(b'.'), Num(f), rest @ ..] => {
            // Seven digits of 100 ns ticks; more are truncated, as Kusto does.
            (number(s)?, fraction_ticks(f.as_bytes()), rest)
        }
        [Punct(b':'), Num(s), rest @ ..] => (number(s)?, 0, rest),
        _ => (0, 0, rest),
    };
    let hour = number(hour)?;
    let (hour, twelve) = match rest {
        [] => (hour, false),
        // 12 AM is midnight, 12 PM noon; 0 or 13 with AM/PM is no time at all.
        [Word(w)] if w.eq_ignore_ascii_case("AM") && (1..=12).contains(&hour) => (hour % 12, true),
        [Word(w)] if w.eq_ignore_ascii_case("PM") && (1..=12).contains(&hour) => (hour % 12 + 12, true),
        _ => return None,
    };
    Some((
        ticks_from_parts(1970, 1, 1, hour, number(minute)?, second, fraction)?,
        twelve,
    ))
}

/// `--tz`: `+02:00`, `-0500`, `+2`, `UTC+01:00`, `UTC`, `Z` → minutes east of UTC. The error is
/// the whole message clap prints after its own `invalid value` line.
pub fn parse_utc_offset(text: &str) -> Result<i32, String> {
    let bad = || format!("--tz: `{text}` is not a UTC offset (try +02:00, -0500 or UTC)");
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("utc") || trimmed.eq_ignore_ascii_case("z") {
        return Ok(0);
    }
    let trimmed = trimmed
        .strip_prefix("UTC")
        .or_else(|| trimmed.strip_prefix("utc"))
        .unwrap_or(trimmed);
    let (sign, digits) = match trimmed.as_bytes().first() {
        Some(b'+') => (1, &trimmed[1..]),
        Some(b'-') => (-1, &trimmed[1..]),
        _ => return Err(bad()),
    };
    let (hours, minutes) = match digits.split_once(':') {
        Some((h, m)) => (h, m),
        None if digits.len() == 4 => digits.split_at(2),
        None => (digits, "0"),
    };
    let hours: i32 = hours.parse().map_err(|_| bad())?;
    let minutes: i32 = minutes.parse().map_err(|_| bad())?;
    if hours > 14 || minutes > 59 {
        return Err(bad());
    }
    Ok(sign * (hours * 60 + minutes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::format_datetime;

    #[test]
    fn portal_forms_and_twelve_hour_edges() {
        use DateOrder::{DayFirst, MonthFirst};
        // (text, order, printed instant)
        let cases = [
            ("Oct 9, 2024 2:56:53 PM", MonthFirst, Some("2024-10-09T14:56:53Z")),
            ("October 10, 2024 12:00:00 AM", MonthFirst, Some("2024-10-10T00:00:00Z")),
            ("Sept 9, 2024 2:56:53 PM", DayFirst, Some("2024-09-09T14:56:53Z")),
            ("Septembers 9, 2024 2:56:53 PM", DayFirst, None),
            ("Oc 9, 2024 2:56:53 PM", MonthFirst, None),
            (
                "11/9/2025, 3:46:34.034 PM",
                MonthFirst,
                Some("2025-11-09T15:46:34.0340000Z"),
            ),
            (
                "11/9/2025, 3:46:34.034 PM",
                DayFirst,
                Some("2025-09-11T15:46:34.0340000Z"),
            ),
            (
                "26/03/2026, 15:18:18.790",
                DayFirst,
                Some("2026-03-26T15:18:18.7900000Z"),
            ),
            ("26/03/2026, 15:18:18.790", MonthFirst, None),
            ("3.26.2026 15:18:18", MonthFirst, Some("2026-03-26T15:18:18Z")),
            ("3/26.2026 15:18:18", MonthFirst, None),
            ("11/9/2025, 12:59 PM", MonthFirst, Some("2025-11-09T12:59:00Z")),
            ("11/9/2025, 0:10:00 AM", MonthFirst, None),
            ("11/9/2025, 13:10:00 PM", MonthFirst, None),
            ("11/9/25, 1:10:00 PM", MonthFirst, None),
            ("2024-10-09 14:56:53", DayFirst, Some("2024-10-09T14:56:53Z")),
            ("yesterday", DayFirst, None),
        ];
        for (text, order, expected) in cases {
            let got = Written::parse(text).and_then(|w| w.ticks(order)).map(format_datetime);
            assert_eq!(got.as_deref(), expected, "{text} {order:?}");
        }
    }

    #[test]
    fn what_a_numeric_date_says_about_the_order() {
        // (text, proves, ambiguous)
        let cases = [
            ("13/02/2025, 10:00:00", Some(DateOrder::DayFirst), false),
            ("02/13/2025, 10:00:00", Some(DateOrder::MonthFirst), false),
            ("01/02/2025, 10:00:00 AM", None, true),
            ("12/12/2025, 10:00:00", None, true),
            ("Oct 9, 2024 2:56:53 PM", None, false),
            ("2024-10-09T14:56:53Z", None, false),
        ];
        for (text, proves, ambiguous) in cases {
            let written = Written::parse(text).unwrap_or_else(|| panic!("{text} should parse"));
            assert_eq!(
                (written.proves(), written.is_ambiguous()),
                (proves, ambiguous),
                "{text}"
            );
        }
        let zoned = |t: &str| matches!(Written::parse(t), Some(Written::Iso { zoned: true, .. }));
        assert!(zoned("2024-10-09T14:56:53Z") && zoned("2024-10-09T14:56:53-05:00"));
        assert!(!zoned("2024-10-09 14:56:53") && !zoned("2024-10-09"));
    }

    #[test]
    fn utc_offsets() {
        let cases = [
            ("+02:00", Ok(120)),
            ("-0500", Ok(-300)),
            ("+2", Ok(120)),
            ("+05:30", Ok(330)),
            ("UTC", Ok(0)),
            ("z", Ok(0)),
            (" utc-03:00 ", Ok(-180)),
            ("UTC+14", Ok(840)),
            ("+15:00", Err(())),
            ("+01:60", Err(())),
            ("noon", Err(())),
            ("02:00", Err(())),
            ("", Err(())),
            ("+", Err(())),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_utc_offset(text).map_err(|_| ()), expected, "{text:?}");
        }
        assert_eq!(
            parse_utc_offset("noon").unwrap_err(),
            "--tz: `noon` is not a UTC offset (try +02:00, -0500 or UTC)"
        );
    }
}
