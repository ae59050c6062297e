//! A parsed JSON record seen as a row of its table: columns are read by name and typed by the
//! schema on demand ([`crate::value::Value::from_json`]), so a record pays only for the columns
//! a rule touches. JSON escapes are already decoded by the parser.

use std::borrow::Cow;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value as Json};

use crate::plan::Row;
use crate::schema::{ColumnType, Table};
use crate::value::Value;

pub struct RecordRow<'a> {
    pub fields: &'a Map<String, Json>,
    pub table: &'a Table,
}

impl Row for RecordRow<'_> {
    fn value(&self, column: usize) -> Cow<'_, Value> {
        let column = &self.table.columns[column];
        Cow::Owned(Value::from_json(self.fields.get(&column.name), column.ty))
    }

    fn text(&self, column: usize) -> Cow<'_, str> {
        let column = &self.table.columns[column];
        match (self.fields.get(&column.name), column.ty) {
            (Some(Json::String(s)), ColumnType::String | ColumnType::Dynamic) => Cow::Borrowed(s),
            (json, ty) => Cow::Owned(Value::from_json(json, ty).to_text().into_owned()),
        }
    }
}

/// [`parse`], keeping only the fields named in `wanted` (the others are checked as JSON and
/// skipped without being built): a record of a known table is parsed for the columns its
/// queries read. Errors are exactly those of [`parse`].
pub fn parse_only(bytes: &[u8], wanted: &[String]) -> Result<Map<String, Json>, RecordError> {
    // Skipped strings are not checked for UTF-8 by the deserializer: check the whole record
    // first (quick), and leave anything wrong to the full parser, whose error is the one to give.
    let Ok(text) = std::str::from_utf8(bytes) else {
        return parse(bytes);
    };
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed = Picked { wanted }.deserialize(&mut deserializer).and_then(|picked| {
        deserializer.end()?;
        Ok(picked)
    });
    match parsed {
        Ok(Some(map)) => Ok(map),
        // Not an object: the full parser words the error.
        Ok(None) => parse(bytes),
        // The full parser gives the error, so that a malformed record reads the same either way.
        Err(_) => parse(bytes),
    }
}

/// A record parsed for some of its fields: `None` when it is not a JSON object.
struct Picked<'w> {
    /// A handful of names: a scan comparing lengths first beats hashing every key of a
    /// 70-column row.
    wanted: &'w [String],
}

impl<'de> DeserializeSeed<'de> for Picked<'_> {
    type Value = Option<Map<String, Json>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Picked<'_> {
    type Value = Option<Map<String, Json>>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<Cow<'de, str>>()? {
            if self.wanted.iter().any(|w| w.len() == key.len() && *w == key) {
                let value: Json = access.next_value()?;
                map.insert(key.into_owned(), value);
            } else {
                access.next_value_seed(Skip)?;
            }
        }
        Ok(Some(map))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        while access.next_element_seed(Skip)?.is_some() {}
        Ok(None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// Skips a value, checking it as building it would: strings are read (so that a bad escape or
/// a lone surrogate fails as in [`parse`]), without keeping anything.
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(Skip)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        while access.next_key::<Cow<'de, str>>()?.is_some() {
            access.next_value_seed(Skip)?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        while access.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Why a record's bytes are not a row: the parser's message, and where in the record (1-based
/// line and column within it) it stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (line {}, column {} of the record)",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for RecordError {}

/// serde_json's message for `e`, without the ` at line L column C` it ends with (the caller
/// says where).
pub(crate) fn message_of(e: &serde_json::Error) -> String {
    let mut text = e.to_string();
    if let Some(cut) = text.rfind(" at line ") {
        text.truncate(cut);
    }
    text
}

fn parser_error(e: &serde_json::Error) -> RecordError {
    RecordError {
        message: message_of(e),
        line: e.line(),
        column: e.column(),
    }
}

/// Parses one record's bytes into its fields. The error is the parser's message, with the line
/// and column within the record.
pub fn parse(bytes: &[u8]) -> Result<Map<String, Json>, RecordError> {
    match serde_json::from_slice::<Json>(bytes) {
        Ok(Json::Object(map)) => Ok(map),
        Ok(other) => Err(RecordError {
            message: format!("a record must be a JSON object, found {}", kind(&other)),
            line: 1,
            column: 1,
        }),
        Err(e) => Err(parser_error(&e)),
    }
}

/// "a string", "an object", ...: what a JSON value is, for messages.
pub(crate) fn kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `parse_only` keeps what `parse` keeps of the wanted fields, and fails exactly when and
    /// how `parse` fails, whatever the skipped fields hold.
    #[test]
    fn parse_only_agrees_with_parse() {
        let wanted: Vec<String> = ["a", "Type"].iter().map(|s| s.to_string()).collect();
        let cases: &[&[u8]] = &[
            br#"{"a":1,"b":"x"}"#,
            br#"{"b":{"c":[1,2,{"d":null}]},"a":"\u00e9","Type":"DnsEvents"}"#,
            br#"{"a":1,"a":2}"#,
            br#"{"b":"bad \q escape","a":1}"#,
            br#"{"b":"lone \ud800 surrogate","a":1}"#,
            b"{\"b\":\"raw \x01 control\",\"a\":1}",
            b"{\"b\":\"invalid \xff utf8\",\"a\":1}",
            br#"{"b":[1,2,],"a":1}"#,
            br#"{"a":1} trailing"#,
            br#"{"a":1"#,
            br#"[1,2]"#,
            br#""just a string""#,
            br#"{"b":1e999,"a":1}"#,
            br#"{"b":-0.0,"a":12345678901234567890}"#,
        ];
        for bytes in cases {
            let full = parse(bytes).map(|map| {
                map.into_iter()
                    .filter(|(k, _)| wanted.contains(k))
                    .collect::<Map<String, Json>>()
            });
            assert_eq!(parse_only(bytes, &wanted), full, "{}", String::from_utf8_lossy(bytes));
        }
    }

    /// A number is read as the double nearest its digits, as Kusto reads a `real`: and so a
    /// row built from a document (its numbers written out again, in their shortest form) reads
    /// the same as the row's own text. serde_json's default reading is off by one unit in the
    /// last place for some numbers (its `float_roundtrip` feature reads them exactly); the
    /// `documents` fuzz target found one, a 64-digit integer.
    #[test]
    fn numbers_read_as_the_nearest_double() {
        let cases = [
            "1184888888888988888888888888888888888888888888888888888888888256",
            "1.184888888888989e63",
            "2.2250738585072011e-308",
            "0.1000000000000000055511151231257827",
            "9007199254740993",
            "1.7976931348623157e308",
            "4.9406564584124654e-324",
            "123456789012345678901234567890.5",
        ];
        for digits in cases {
            let record = parse(format!("{{\"x\":{digits}}}").as_bytes()).unwrap();
            let read = record["x"].as_f64().unwrap();
            assert_eq!(read.to_bits(), digits.parse::<f64>().unwrap().to_bits(), "{digits}");
            let again: Json = serde_json::from_str(&record["x"].to_string()).unwrap();
            assert_eq!(
                again.as_f64().map(f64::to_bits),
                Some(read.to_bits()),
                "{digits} written out and read again"
            );
        }
    }
}
