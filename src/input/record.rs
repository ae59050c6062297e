//! A parsed JSON record seen as a row of its table: columns are read by name and typed by the
//! schema on demand ([`crate::value::Value::from_json`]), so a record pays only for the columns
//! a rule touches. JSON escapes are already decoded by the parser.

use std::borrow::Cow;

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

/// Parses one record's bytes into its fields. The error is the parser's message, with the line
/// and column within the record.
pub fn parse(bytes: &[u8]) -> Result<Map<String, Json>, (String, usize, usize)> {
    match serde_json::from_slice::<Json>(bytes) {
        Ok(Json::Object(map)) => Ok(map),
        Ok(other) => Err((format!("a record must be a JSON object, found {}", kind(&other)), 1, 1)),
        Err(e) => {
            let text = e.to_string();
            let message = match text.rfind(" at line ") {
                Some(cut) => text[..cut].to_string(),
                None => text,
            };
            Err((message, e.line(), e.column()))
        }
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
