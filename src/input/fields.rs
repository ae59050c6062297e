//! Reading a few top-level fields out of a record's raw JSON bytes in one pass, without
//! building the record: the fast path's window into a record. The walk also checks that the
//! record is well-formed JSON, so a record the fast path skips is still accounted for exactly.
//! It answers only when it is sure: anything unusual (an escaped key, deep nesting, a number
//! with an exponent, a lone surrogate) is [`Walk::Unsure`], and the caller parses the record
//! properly instead.

use std::borrow::Cow;

/// What a wanted key holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue<'a> {
    /// A string, decoded if it had escapes.
    Str(Cow<'a, str>),
    Null,
    /// An object: its bytes, from `{` to `}`, already checked like the rest of the record (a
    /// Defender envelope's `properties` row is walked in turn).
    Object(&'a [u8]),
    /// A number, bool or array.
    Other,
}

/// The outcome of a walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Walk {
    /// The record is a well-formed JSON object (as serde_json would accept it); the wanted
    /// fields it has are filled in.
    Valid,
    /// Malformed, or not certainly well-formed: parse the record to find out.
    Unsure,
}

/// Nesting deeper than this is left to the parser (serde_json stops at 128).
const MAX_DEPTH: usize = 100;

/// Walks one record. `keys` are the wanted top-level keys; `values[i]` receives the value of
/// `keys[i]` (the last one, if the key repeats, as a parser's map would keep).
pub fn walk<'a>(record: &'a [u8], keys: &[&str], values: &mut [Option<FieldValue<'a>>]) -> Walk {
    walk_into(record, keys, values, None)
}

/// [`walk`], also listing where every top-level key of the record is, in order (repeats
/// included), in `all_keys` (cleared first): the byte range of each key's text within
/// `record`, which is valid UTF-8 when the walk is [`Walk::Valid`]. That tells the table of a
/// record by its columns without parsing it. A key with escapes makes the walk
/// [`Walk::Unsure`], so a listed key's bytes are its name.
pub fn walk_keys<'a>(
    record: &'a [u8],
    keys: &[&str],
    values: &mut [Option<FieldValue<'a>>],
    all_keys: &mut Vec<std::ops::Range<usize>>,
) -> Walk {
    all_keys.clear();
    walk_into(record, keys, values, Some(all_keys))
}

fn walk_into<'a>(
    record: &'a [u8],
    keys: &[&str],
    values: &mut [Option<FieldValue<'a>>],
    all_keys: Option<&mut Vec<std::ops::Range<usize>>>,
) -> Walk {
    debug_assert_eq!(keys.len(), values.len());
    for value in values.iter_mut() {
        *value = None;
    }
    if std::str::from_utf8(record).is_err() {
        return Walk::Unsure;
    }
    let mut walker = Walker { bytes: record, at: 0 };
    match walker.object_fields(keys, values, all_keys) {
        Some(()) => {
            walker.space();
            if walker.at == record.len() {
                Walk::Valid
            } else {
                Walk::Unsure
            }
        }
        None => Walk::Unsure,
    }
}

struct Walker<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Walker<'a> {
    fn space(&mut self) {
        while matches!(self.bytes.get(self.at), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.space();
        (self.bytes.get(self.at) == Some(&byte)).then(|| self.at += 1)
    }

    /// The top-level object, capturing wanted fields.
    fn object_fields(
        &mut self,
        keys: &[&str],
        values: &mut [Option<FieldValue<'a>>],
        mut all_keys: Option<&mut Vec<std::ops::Range<usize>>>,
    ) -> Option<()> {
        self.eat(b'{')?;
        self.space();
        if self.bytes.get(self.at) == Some(&b'}') {
            self.at += 1;
            return Some(());
        }
        loop {
            self.space();
            let (key, escaped) = self.string()?;
            if escaped {
                return None;
            }
            if let Some(all) = all_keys.as_deref_mut() {
                // The key's body ends just before its closing quote.
                all.push(self.at - 1 - key.len()..self.at - 1);
            }
            self.eat(b':')?;
            self.space();
            match keys.iter().position(|k| k.as_bytes() == key) {
                Some(i) => values[i] = Some(self.captured_value()?),
                None => self.value(1)?,
            }
            self.space();
            match self.bytes.get(self.at)? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn captured_value(&mut self) -> Option<FieldValue<'a>> {
        match self.bytes.get(self.at)? {
            b'"' => {
                let (raw, escaped) = self.string()?;
                let text = if escaped {
                    Cow::Owned(decode_escaped(raw)?)
                } else {
                    // The whole record was checked to be UTF-8.
                    Cow::Borrowed(std::str::from_utf8(raw).ok()?)
                };
                Some(FieldValue::Str(text))
            }
            b'n' => {
                self.literal(b"null")?;
                Some(FieldValue::Null)
            }
            b'{' => {
                let start = self.at;
                self.value(1)?;
                Some(FieldValue::Object(&self.bytes[start..self.at]))
            }
            _ => {
                self.value(1)?;
                Some(FieldValue::Other)
            }
        }
    }

    /// A string starting at the opening quote: its raw body and whether it has escapes. Checks
    /// what serde_json checks: valid escapes, no control characters.
    fn string(&mut self) -> Option<(&'a [u8], bool)> {
        if self.bytes.get(self.at) != Some(&b'"') {
            return None;
        }
        let start = self.at + 1;
        let mut at = start;
        let mut escaped = false;
        loop {
            let next = find_special(self.bytes, at)?;
            match self.bytes[next] {
                b'"' => {
                    self.at = next + 1;
                    return Some((&self.bytes[start..next], escaped));
                }
                b'\\' => {}
                _ => return None, // a control character
            }
            escaped = true;
            match self.bytes.get(next + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => at = next + 2,
                b'u' => {
                    // The parser decodes strings, so it rejects a lone surrogate (even in a
                    // value nobody reads): so must the walk.
                    let unit = hex4(self.bytes.get(next + 2..next + 6)?)?;
                    at = next + 6;
                    match unit {
                        0xDC00..=0xDFFF => return None,
                        0xD800..=0xDBFF => {
                            if self.bytes.get(at..at + 2)? != b"\\u" {
                                return None;
                            }
                            let low = hex4(self.bytes.get(at + 2..at + 6)?)?;
                            if !(0xDC00..=0xDFFF).contains(&low) {
                                return None;
                            }
                            at += 6;
                        }
                        _ => {}
                    }
                }
                _ => return None,
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.bytes[self.at..].starts_with(word) {
            self.at += word.len();
            Some(())
        } else {
            None
        }
    }

    /// Skips any value, checking it. The object and array loops here and in `object_fields` are
    /// spelled out on purpose: sharing them through a closure measured 5–7 % slower in
    /// `cargo bench --bench matchers -- walk_record_fields`, on the fast path's hottest loop.
    fn value(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match *self.bytes.get(self.at)? {
            b'"' => self.string().map(|_| ()),
            b'{' => {
                self.at += 1;
                self.space();
                if self.bytes.get(self.at) == Some(&b'}') {
                    self.at += 1;
                    return Some(());
                }
                loop {
                    self.space();
                    self.string()?;
                    self.eat(b':')?;
                    self.space();
                    self.value(depth + 1)?;
                    self.space();
                    match self.bytes.get(self.at)? {
                        b',' => self.at += 1,
                        b'}' => {
                            self.at += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.at += 1;
                self.space();
                if self.bytes.get(self.at) == Some(&b']') {
                    self.at += 1;
                    return Some(());
                }
                loop {
                    self.space();
                    self.value(depth + 1)?;
                    self.space();
                    match self.bytes.get(self.at)? {
                        b',' => self.at += 1,
                        b']' => {
                            self.at += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`. Exponents and very long numbers are left to the parser,
    /// which may find them out of range.
    fn number(&mut self) -> Option<()> {
        let start = self.at;
        if self.bytes[self.at] == b'-' {
            self.at += 1;
        }
        let digits = |w: &mut Self| {
            let from = w.at;
            while w.bytes.get(w.at).is_some_and(u8::is_ascii_digit) {
                w.at += 1;
            }
            w.at - from
        };
        let first = *self.bytes.get(self.at)?;
        let integer = digits(self);
        if integer == 0 || (first == b'0' && integer > 1) {
            return None;
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            if digits(self) == 0 {
                return None;
            }
        }
        let done = !matches!(self.bytes.get(self.at), Some(b'e' | b'E'));
        (done && self.at - start <= 18).then_some(())
    }
}

/// The first byte at or after `from` that ends or interrupts a string's plain run: `"`, `\\`, or
/// a control character. Strings in records are short, so this reads eight bytes at a time with
/// bit tricks rather than calling a vectorised search per string.
#[inline]
fn find_special(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut at = from;
    while at + 8 <= bytes.len() {
        let word = u64::from_le_bytes(bytes[at..at + 8].try_into().ok()?);
        let quote = word ^ (ONES * b'"' as u64);
        let backslash = word ^ (ONES * b'\\' as u64);
        // A byte is flagged when it is zero after the xor (quote, backslash) or below 0x20; the
        // lowest flagged byte is always a true one.
        let flags = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (word.wrapping_sub(ONES * 0x20) & !word);
        let flags = flags & HIGH;
        if flags != 0 {
            return Some(at + (flags.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    bytes[at..]
        .iter()
        .position(|b| *b == b'"' || *b == b'\\' || *b < 0x20)
        .map(|p| at + p)
}

/// Decodes a JSON string body (between the quotes) that has escapes; `None` if it is not a
/// well-formed string (a lone surrogate, say).
fn decode_escaped(body: &[u8]) -> Option<String> {
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let mut i = 0;
    loop {
        let Some(found) = memchr::memchr(b'\\', &body[i..]) else {
            out.extend_from_slice(&body[i..]);
            return String::from_utf8(out).ok();
        };
        let next = i + found;
        out.extend_from_slice(&body[i..next]);
        let escape = *body.get(next + 1)?;
        i = next + 2;
        match escape {
            b'"' => out.push(b'"'),
            b'\\' => out.push(b'\\'),
            b'/' => out.push(b'/'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'u' => {
                let unit = hex4(body.get(i..i + 4)?)?;
                i += 4;
                let c = if (0xD800..0xDC00).contains(&unit) {
                    if body.get(i..i + 2)? != b"\\u" {
                        return None;
                    }
                    let low = hex4(body.get(i + 2..i + 6)?)?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return None;
                    }
                    i += 6;
                    char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?
                } else {
                    char::from_u32(unit)?
                };
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            _ => return None,
        }
    }
}

/// Four hex digits. Not `from_str_radix` alone: it takes a leading `+`, which JSON does not.
fn hex4(bytes: &[u8]) -> Option<u32> {
    if bytes.len() != 4 || !bytes.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    u32::from_str_radix(text, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walked(record: &str, keys: &[&str]) -> (Walk, Vec<Option<FieldValue<'static>>>) {
        let record: &'static str = Box::leak(record.to_string().into_boxed_str());
        let mut values = vec![None; keys.len()];
        let walk = walk(record.as_bytes(), keys, &mut values);
        (walk, values)
    }

    fn s(text: &str) -> Option<FieldValue<'static>> {
        Some(FieldValue::Str(Cow::Owned(text.to_string())))
    }

    #[test]
    fn captures_top_level_fields_only() {
        let cases: Vec<(&str, Vec<Option<FieldValue>>)> = vec![
            (r#"{"Name":"a.com","X":1}"#, vec![s("a.com")]),
            (r#" { "Name" :  "a.com" } "#, vec![s("a.com")]),
            (r#"{"Name":null}"#, vec![Some(FieldValue::Null)]),
            (r#"{"Name":5.5}"#, vec![Some(FieldValue::Other)]),
            (
                r#"{"Name":{"a":[1,2,{"b":null}]}}"#,
                vec![Some(FieldValue::Object(br#"{"a":[1,2,{"b":null}]}"#))],
            ),
            (r#"{"Name": { } ,"X":1}"#, vec![Some(FieldValue::Object(b"{ }"))]),
            (r#"{"Name":[{"a":1}]}"#, vec![Some(FieldValue::Other)]),
            (r#"{"Other":"x"}"#, vec![None]),
            (r#"{}"#, vec![None]),
            (r#"{"Name":"moocow\u002emy"}"#, vec![s("moocow.my")]),
            (r#"{"Name":"a\/b \"q\" \\ \ud83d\ude00"}"#, vec![s("a/b \"q\" \\ 😀")]),
            (r#"{"A":"{\"Name\":\"x\"}","Name":"y"}"#, vec![s("y")]),
            (r#"{"A":{"Name":"x"},"Name":"y"}"#, vec![s("y")]),
            (r#"{"Name":"x","Name":"y"}"#, vec![s("y")]),
        ];
        for (record, expected) in cases {
            let (walk, values) = walked(record, &["Name"]);
            assert_eq!(walk, Walk::Valid, "{record}");
            assert_eq!(values, expected, "{record}");
        }
    }

    /// Every record serde_json rejects must be Unsure; a few it accepts are Unsure too, by
    /// design (the parser decides those).
    #[test]
    fn is_never_sure_of_what_the_parser_rejects() {
        let records = [
            r#"{"Name":"a""#,
            r#"{"Name":"a",}"#,
            r#"{"Name" "a"}"#,
            r#"{"Name":"a"} x"#,
            r#"["Name"]"#,
            r#"{"Name":tru}"#,
            r#"{"Name":01}"#,
            r#"{"Name":1.}"#,
            r#"{"Name":-}"#,
            "{\"Name\":\"tab\there\"}",
            r#"{"Name":"bad \x escape"}"#,
            r#"{"Name":"\u12G4"}"#,
            r#"{"Name":"\ud800"}"#,
            // Lone surrogates in a value nobody reads: the parser still rejects them.
            r#"{"Other":"\ud99ax"}"#,
            r#"{"Other":"\udc00"}"#,
            // `from_str_radix` would read `+8a6` as hex; JSON does not.
            r#"{"Other":"\u+8a6"}"#,
            r#"{"Name":"\u+8a6"}"#,
            r#"{"Other":"\ud800\u0041"}"#,
            r#"{"N\u0061me":"x"}"#,
            r#"{"Name":1e400}"#,
            r#"{"a":[1,2}"#,
            r#"{"a":{"b":1]}"#,
            "",
        ];
        for record in records {
            let (walk, _) = walked(record, &["Name"]);
            assert_eq!(walk, Walk::Unsure, "{record:?}");
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert_eq!(walked(&deep, &[]).0, Walk::Unsure);
        assert_eq!(walk(b"{\"Name\":\"\xff\"}", &["Name"], &mut [None]), Walk::Unsure);
    }

    /// Agreement with serde_json on what it accepts, for records the walk is sure of.
    #[test]
    fn find_special_finds_the_first_quote_backslash_or_control_byte() {
        let text = b"abcdefghijklmnopqrstuvwxyz0123456789";
        for position in 0..text.len() {
            for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                let mut bytes = text.to_vec();
                bytes[position] = special;
                for from in 0..=position {
                    assert_eq!(
                        find_special(&bytes, from),
                        Some(position),
                        "{special} at {position} from {from}"
                    );
                }
            }
        }
        assert_eq!(find_special(text, 0), None);
        // Bytes above 0x7f (UTF-8) and just above the control range are plain.
        assert_eq!(find_special("é€ !#~\x7f".as_bytes(), 0), None);
    }

    #[test]
    fn agrees_with_the_parser() {
        let records = [
            r#"{"a":1,"b":[true,false,null,-0.5,{"c":"d"}],"e":{}}"#,
            r#"{"a":"\ud83d\ude00 and \u00e9"}"#,
            r#"{"a":"x\ny","b":"C:\\users\\x"}"#,
            r#"{ "a" : [ ] , "b" : { } }"#,
        ];
        for record in records {
            let (walk, _) = walked(record, &[]);
            assert_eq!(walk, Walk::Valid, "{record}");
            assert!(serde_json::from_str::<serde_json::Value>(record).is_ok(), "{record}");
        }
    }
}
