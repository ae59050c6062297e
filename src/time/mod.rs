//! Kusto datetimes and timespans: parsing the ISO 8601 forms real exports carry into 100 ns ticks
//! since the Unix epoch, and printing them back the way Kusto does. No time zones database. The
//! locale formats portals write into CSV exports, with their day/month order and UTC offsets, are
//! in [`locale`].

pub mod locale;

/// 100 ns ticks in one second, Kusto's datetime resolution.
pub const TICKS_PER_SECOND: i64 = 10_000_000;
const TICKS_PER_DAY: i64 = 86_400 * TICKS_PER_SECOND;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`]: (year, month, day).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days in `month` (1–12) of the proleptic Gregorian `year`.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Ticks of a civil date and time of day, validated.
pub fn ticks_from_parts(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    fraction_ticks: i64,
) -> Option<i64> {
    if !(1..=9999).contains(&year)
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let seconds = (hour * 3600 + minute * 60 + second) as i64;
    Some(days_from_civil(year, month, day) * TICKS_PER_DAY + seconds * TICKS_PER_SECOND + fraction_ticks)
}

/// The ticks of a fraction of a second written as ASCII digits: the first seven count (100 ns
/// each), further digits are truncated, as Kusto does.
pub fn fraction_ticks(digits: &[u8]) -> i64 {
    (0..7).fold(0, |ticks, i| {
        ticks * 10 + digits.get(i).map_or(0, |d| i64::from(d - b'0'))
    })
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, min: usize, max: usize) -> Option<(i64, usize)> {
        let start = self.at;
        let mut value: i64 = 0;
        while self.at < self.bytes.len() && self.at - start < max && self.bytes[self.at].is_ascii_digit() {
            // Saturating: a fraction may have any number of digits (only seven count).
            value = value
                .saturating_mul(10)
                .saturating_add((self.bytes[self.at] - b'0') as i64);
            self.at += 1;
        }
        let n = self.at - start;
        (n >= min).then_some((value, n))
    }
    fn eat(&mut self, byte: u8) -> bool {
        if self.bytes.get(self.at) == Some(&byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }
}

/// Parses an ISO 8601 datetime as Kusto accepts it: `2024-10-09`, `2024-10-09T14:56:53Z`,
/// `2024-10-09 14:56:53.1234567`, with an optional `Z` or `±HH:MM` offset (no offset means UTC).
/// Fractions keep up to 7 digits (100 ns); further digits are truncated, as Kusto does.
pub fn parse_datetime(text: &str) -> Option<i64> {
    let text = text.trim();
    let mut c = Cursor {
        bytes: text.as_bytes(),
        at: 0,
    };
    let (year, _) = c.digits(4, 4)?;
    if !c.eat(b'-') {
        return None;
    }
    let (month, _) = c.digits(1, 2)?;
    if !c.eat(b'-') {
        return None;
    }
    let (day, _) = c.digits(1, 2)?;
    let (mut hour, mut minute, mut second, mut fraction) = (0, 0, 0, 0i64);
    if c.eat(b'T') || c.eat(b't') || c.eat(b' ') {
        hour = c.digits(1, 2)?.0;
        if !c.eat(b':') {
            return None;
        }
        minute = c.digits(2, 2)?.0;
        if c.eat(b':') {
            second = c.digits(2, 2)?.0;
            if c.eat(b'.') {
                let (_, n) = c.digits(1, usize::MAX)?;
                fraction = fraction_ticks(&c.bytes[c.at - n..c.at]);
            }
        }
    }
    let mut offset_minutes = 0i64;
    match c.peek() {
        None => {}
        Some(b'Z') | Some(b'z') => c.at += 1,
        Some(sign @ (b'+' | b'-')) => {
            c.at += 1;
            let (h, _) = c.digits(2, 2)?;
            c.eat(b':');
            let (m, _) = c.digits(2, 2)?;
            offset_minutes = (h * 60 + m) * if sign == b'+' { 1 } else { -1 };
        }
        Some(_) => return None,
    }
    if c.at != c.bytes.len() {
        return None;
    }
    let ticks = ticks_from_parts(
        year,
        month as u32,
        day as u32,
        hour as u32,
        minute as u32,
        second as u32,
        fraction,
    )?;
    Some(ticks - offset_minutes * 60 * TICKS_PER_SECOND)
}

/// Parses a datetime the way `datetime("...")` and `todatetime()` read text: ISO 8601 first
/// ([`parse_datetime`]), then the other forms Kusto's documentation lists — RFC 822
/// (`Sat, 8 Nov 14 15:05:02 GMT`) and RFC 850 (`Saturday, 08-Nov-14 15:05:02 GMT`), with a
/// zone — and the invariant-culture forms its parser also takes and real queries use:
/// `01/16/2022 00:00:00` (month first), `1/16/2022 3:04 PM`, `17 NOV 2020`, `Nov 17, 2020`.
pub fn parse_datetime_text(text: &str) -> Option<i64> {
    let text = text.trim();
    parse_datetime(text)
        .or_else(|| parse_us_datetime(text))
        .or_else(|| parse_rfc822(text))
        .or_else(|| parse_month_first(text))
}

/// `Nov 17, 2020 [time]`: the month named first.
fn parse_month_first(text: &str) -> Option<i64> {
    let (date, time) = match text.split_once(',') {
        Some((date, rest)) => (date.trim(), rest.trim()),
        None => return None,
    };
    let (month, day) = date.split_once(' ')?;
    let month = MONTHS
        .iter()
        .position(|m| month.len() >= 3 && month[..3].eq_ignore_ascii_case(m))? as u32
        + 1;
    let (year, time) = match time.split_once(' ') {
        Some((year, time)) => (year, Some(time)),
        None => (time, None),
    };
    if year.len() != 4 {
        return None;
    }
    let (h, m, s, f) = match time {
        Some(t) => parse_time_of_day(t)?,
        None => (0, 0, 0, 0),
    };
    ticks_from_parts(i64::from(digits(year)?), month, digits(day.trim())?, h, m, s, f)
}

/// `hh:mm[:ss[.fffffff]]` with an optional AM/PM; returns (hour, minute, second, fraction ticks).
fn parse_time_of_day(text: &str) -> Option<(u32, u32, u32, i64)> {
    let (clock, meridiem) = match text.rsplit_once(' ') {
        Some((clock, m)) if m.eq_ignore_ascii_case("AM") || m.eq_ignore_ascii_case("PM") => {
            (clock.trim(), Some(m.eq_ignore_ascii_case("PM")))
        }
        _ => (text, None),
    };
    let mut parts = clock.split(':');
    let hour: u32 = digits(parts.next()?)?;
    let minute: u32 = digits(parts.next()?)?;
    let (second, fraction) = match parts.next() {
        None => (0, 0),
        Some(s) => match s.split_once('.') {
            Some((s, f)) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
                (digits(s)?, fraction_ticks(f.as_bytes()))
            }
            Some(_) => return None,
            None => (digits(s)?, 0),
        },
    };
    if parts.next().is_some() {
        return None;
    }
    let hour = match meridiem {
        None => hour,
        Some(_) if hour == 0 || hour > 12 => return None,
        Some(pm) => hour % 12 + if pm { 12 } else { 0 },
    };
    Some((hour, minute, second, fraction))
}

fn digits(text: &str) -> Option<u32> {
    (!text.is_empty() && text.len() <= 4 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn parse_us_datetime(text: &str) -> Option<i64> {
    let (date, time) = match text.split_once(' ') {
        Some((d, t)) => (d, Some(t.trim())),
        None => (text, None),
    };
    let mut parts = date.split('/');
    let (month, day, year) = (digits(parts.next()?)?, digits(parts.next()?)?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 {
        return None;
    }
    let (h, m, s, f) = match time {
        Some(t) => parse_time_of_day(t)?,
        None => (0, 0, 0, 0),
    };
    ticks_from_parts(i64::from(digits(year)?), month, day, h, m, s, f)
}

/// Month names by their first three letters: `Oct`, `October` and `Sept` all name a month.
const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn parse_rfc822(text: &str) -> Option<i64> {
    // An optional weekday ("Sat," or "Saturday,") first.
    let rest = match text.split_once(',') {
        Some((weekday, rest)) if weekday.chars().all(|c| c.is_ascii_alphabetic()) => rest.trim(),
        _ => text,
    };
    let words: Vec<&str> = rest.split([' ', '-']).filter(|w| !w.is_empty()).collect();
    let (day, month, year) = (digits(words.first()?)?, words.get(1)?, words.get(2)?);
    let month = MONTHS
        .iter()
        .position(|m| month.len() >= 3 && month[..3].eq_ignore_ascii_case(m))? as u32
        + 1;
    let year = match digits(year)? {
        y if year.len() == 2 => 2000 + y,
        y if year.len() == 4 => y,
        _ => return None,
    };
    let (h, m, s, f) = match words.get(3) {
        Some(t) => parse_time_of_day(t)?,
        None => (0, 0, 0, 0),
    };
    let offset_minutes: i64 = match words.get(4).copied() {
        None | Some("GMT" | "UTC" | "UT" | "Z") => 0,
        Some(zone) => {
            let sign = match zone.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let hhmm = i64::from(digits(&zone[1..]).filter(|_| zone.len() == 5)?);
            sign * (hhmm / 100 * 60 + hhmm % 100)
        }
    };
    if words.len() > 5 {
        return None;
    }
    let ticks = ticks_from_parts(i64::from(year), month, day, h, m, s, f)?;
    Some(ticks - offset_minutes * 60 * TICKS_PER_SECOND)
}

/// Prints ticks the way Kusto renders a datetime: `2024-10-09T14:56:53Z`, or with all seven
/// fractional digits when the instant is not on a whole second (`...:53.1230000Z`).
pub fn format_datetime(ticks: i64) -> String {
    let days = ticks.div_euclid(TICKS_PER_DAY);
    let in_day = ticks.rem_euclid(TICKS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let seconds = in_day / TICKS_PER_SECOND;
    let fraction = in_day % TICKS_PER_SECOND;
    let (hh, mm, ss) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if fraction == 0 {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{fraction:07}Z")
    }
}

/// Ticks in one unit of a Kusto timespan suffix (`d`, `h`, `m`, `s`, `ms`, `microsecond`, `tick`, ...).
pub fn timespan_unit_ticks(unit: &str) -> Option<i64> {
    Some(match unit {
        "d" | "day" | "days" => TICKS_PER_DAY,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600 * TICKS_PER_SECOND,
        "m" | "min" | "minute" | "minutes" => 60 * TICKS_PER_SECOND,
        "s" | "sec" | "second" | "seconds" => TICKS_PER_SECOND,
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 10_000,
        "microsecond" | "microseconds" => 10,
        "tick" | "ticks" => 1,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_other_datetime_forms_kusto_reads() {
        let iso = |t: &str| parse_datetime(t).unwrap();
        let cases = [
            ("01/16/2022 00:00:00", "2022-01-16T00:00:00Z"),
            ("1/16/2022 3:04 PM", "2022-01-16T15:04:00Z"),
            ("12/31/2021 12:00:00 AM", "2021-12-31T00:00:00Z"),
            ("17 NOV 2020", "2020-11-17T00:00:00Z"),
            ("Nov 17, 2020", "2020-11-17T00:00:00Z"),
            ("Sat, 8 Nov 14 15:05:02 GMT", "2014-11-08T15:05:02Z"),
            ("Saturday, 08-Nov-14 15:05:02 GMT", "2014-11-08T15:05:02Z"),
            ("2014-11-08 15:55:55", "2014-11-08T15:55:55Z"),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_datetime_text(text), Some(iso(expected)), "{text}");
        }
        for bad in [
            "13/01/2022",
            "01/16/2022 25:00",
            "Foo 17, 2020",
            "17 NOV",
            "1/2/3/4",
            "2/30/2022",
        ] {
            assert_eq!(parse_datetime_text(bad), None, "{bad}");
        }
    }

    use super::*;

    #[test]
    fn round_trips_and_orders_fractions_as_instants() {
        let cases = [
            ("2024-10-09T14:56:53Z", "2024-10-09T14:56:53Z"),
            ("2024-10-09T14:56:53.5Z", "2024-10-09T14:56:53.5000000Z"),
            ("2024-10-09T14:56:53.1234567Z", "2024-10-09T14:56:53.1234567Z"),
            ("2024-10-09T14:56:53.123456789Z", "2024-10-09T14:56:53.1234567Z"),
            (
                "2024-10-09T14:56:53.123456789012345678901234567890Z",
                "2024-10-09T14:56:53.1234567Z",
            ),
            ("2024-10-09 14:56:53", "2024-10-09T14:56:53Z"),
            ("2024-10-09", "2024-10-09T00:00:00Z"),
            ("2024-10-09T16:56:53+02:00", "2024-10-09T14:56:53Z"),
            ("1969-12-31T23:59:59.9Z", "1969-12-31T23:59:59.9000000Z"),
        ];
        for (input, printed) in cases {
            let ticks = parse_datetime(input).unwrap_or_else(|| panic!("{input} should parse"));
            assert_eq!(format_datetime(ticks), printed, "{input}");
        }
        let whole = parse_datetime("2024-01-01T00:00:00Z").unwrap();
        let half = parse_datetime("2024-01-01T00:00:00.5Z").unwrap();
        assert!(whole < half, "`:00Z` is earlier than `:00.5Z`, unlike their strings");
    }

    #[test]
    fn rejects_what_is_not_a_datetime() {
        for input in [
            "",
            "2024-13-01",
            "2024-02-30",
            "2024-1-1T25:00",
            "yesterday",
            "2024-01-01Tx",
            "2024-01-01Z1",
        ] {
            assert_eq!(parse_datetime(input), None, "{input}");
        }
    }
}
