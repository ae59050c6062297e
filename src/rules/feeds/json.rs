//! Parsing a JSON feed, and keeping what is usable of one that is cut off or broken part way:
//! the text is cut after the last complete object or array before the break, the containers
//! still open there are closed, and each object closed that way gets a [`CUT_OFF`] member, so
//! the format readers can tell a complete IOC from one that lost its end. Feeds are small next
//! to logs (a whole ThreatFox export is tens of MB), so they are parsed whole.

use serde_json::{Map, Value};

use super::{FeedError, Location, Sink};

/// The member added to an object the feed's text ended inside.
pub(crate) const CUT_OFF: &str = "\u{0}loghunt: cut off";

/// Whether the feed's text ended inside this object (or inside something it holds).
pub(crate) fn is_cut_off(value: &Value) -> bool {
    value.get(CUT_OFF).is_some()
}

/// A member as text: a string as it is, a number or bool written out, null or missing as none.
pub(crate) fn text(object: &Map<String, Value>, key: &str) -> Option<String> {
    match object.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The feed's JSON value; a break in the text is a warning naming its line and column, and what
/// was complete before it is kept.
pub(crate) fn parse(text: &str, sink: &mut Sink) -> Result<Value, FeedError> {
    let error = match serde_json::from_str::<Value>(text) {
        Ok(value) => return Ok(value),
        Err(error) => error,
    };
    let (line, column) = (error.line(), error.column());
    let cut = if error.is_eof() {
        text.len()
    } else {
        offset(text, line, column)
    };
    // At the end of the text serde_json counts a line past the last one, at column 0.
    let line = if error.is_eof() {
        text.lines().count().max(1)
    } else {
        line
    };
    let what = if error.is_eof() {
        "the JSON ends early (the feed is cut off)".to_string()
    } else {
        format!("invalid JSON at column {column} ({error}); nothing after it is read")
    };
    let Some(repaired) = close_after_last_complete(&text[..cut]) else {
        return Err(sink.error(format!("line {line}: {what}, before any complete object")));
    };
    let value = serde_json::from_str::<Value>(&repaired)
        .map_err(|_| sink.error(format!("line {line}: {what}, and what comes before it cannot be used")))?;
    sink.warn(
        Location::Line(line as u32),
        format!("{what}; the IOCs complete before it are loaded"),
    );
    Ok(value)
}

/// The byte offset of a 1-based line and column (serde_json counts the column in bytes).
fn offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut at = (line_start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// `text` up to the end of its last complete object or array that sits inside another, with
/// the containers open there closed (objects marked [`CUT_OFF`]); none if there is no such end.
fn close_after_last_complete(text: &str) -> Option<String> {
    let mut open: Vec<u8> = Vec::new();
    let mut last: Option<(usize, Vec<u8>)> = None;
    let mut in_string = false;
    let mut escaped = false;
    for (at, byte) in text.bytes().enumerate() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => open.push(byte),
            b'}' | b']' => {
                open.pop()?;
                if !open.is_empty() {
                    last = Some((at + 1, open.clone()));
                }
            }
            _ => {}
        }
    }
    let (end, open) = last?;
    let mut repaired = String::with_capacity(end + open.len() * 32);
    repaired.push_str(&text[..end]);
    for container in open.iter().rev() {
        if *container == b'{' {
            repaired.push_str(",\"");
            repaired.push_str(&CUT_OFF.replace('\u{0}', "\\u0000"));
            repaired.push_str("\":true}");
        } else {
            repaired.push(']');
        }
    }
    Some(repaired)
}
