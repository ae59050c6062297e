//! The CSV shape shared by the abuse.ch exports (ThreatFox, MalwareBazaar, URLhaus): a banner of
//! `#` comment lines whose last one is often the header (`# "first_seen_utc","ioc_id",...`),
//! then one quoted row a line, fields separated by `,` or `, `. Finds the header and splits
//! rows; what the columns mean is the format files' business.

use super::{malwarebazaar, threatfox, urlhaus};

/// Column names that only feed headers have: a line holding one of them is a header.
const HEADER_MARKS: &[&str] = &["ioc_value", "ioc_type", "sha256_hash", "urlhaus_link", "dateadded"];

/// A CSV feed: its columns and where its rows start.
pub(crate) struct Table<'a> {
    pub columns: Vec<String>,
    text: &'a str,
    /// 1-based line of the first line after the header (or of the banner's end).
    first_row_line: u32,
}

/// One row: its 1-based line and its fields, or why the line cannot be split.
pub(crate) struct Row {
    pub line: u32,
    pub fields: Result<Vec<String>, String>,
}

impl<'a> Table<'a> {
    /// The table in `text`, if it has a header (in a comment line or as its first line), or an
    /// abuse.ch banner naming the export whose default columns then apply.
    pub fn find(text: &'a str) -> Option<Table<'a>> {
        let mut header = None;
        let mut banner = String::new();
        for (index, line) in text.lines().enumerate() {
            let number = index as u32 + 1;
            let trimmed = line.trim();
            if trimmed.is_empty() {
                continue;
            }
            if let Some(comment) = trimmed.strip_prefix('#') {
                if let Some(columns) = header_columns(comment) {
                    header = Some(columns);
                } else {
                    banner.push_str(comment);
                    banner.push('\n');
                }
                continue;
            }
            if header.is_none() {
                if let Some(columns) = header_columns(trimmed) {
                    return Some(Table {
                        columns,
                        text,
                        first_row_line: number + 1,
                    });
                }
            }
            let columns = header.or_else(|| default_columns(&banner, trimmed))?;
            return Some(Table {
                columns,
                text,
                first_row_line: number,
            });
        }
        None
    }

    /// The data rows, blank and `#` lines left out.
    pub fn rows(&self) -> impl Iterator<Item = Row> + '_ {
        self.text
            .lines()
            .enumerate()
            .skip(self.first_row_line as usize - 1)
            .filter(|(_, line)| {
                let line = line.trim();
                !line.is_empty() && !line.starts_with('#')
            })
            .map(|(index, line)| Row {
                line: index as u32 + 1,
                fields: split(line).and_then(|fields| {
                    if fields.len() == self.columns.len() {
                        Ok(fields)
                    } else {
                        Err(format!(
                            "the row has {} fields, the header {}; row not loaded",
                            fields.len(),
                            self.columns.len()
                        ))
                    }
                }),
            })
    }

    /// The index of column `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.eq_ignore_ascii_case(name))
    }
}

fn header_columns(line: &str) -> Option<Vec<String>> {
    let columns = split(line.trim()).ok()?;
    // A data row can hold a column's name as a value (`"sha256_hash"` is an `ioc_type`), but
    // only a header is all names.
    let is_name = |c: &String| !c.is_empty() && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let is_header = columns.len() >= 3
        && columns.iter().all(is_name)
        && columns
            .iter()
            .any(|c| HEADER_MARKS.iter().any(|mark| mark.eq_ignore_ascii_case(c)));
    is_header.then_some(columns)
}

/// An export without its header line: the banner names it and the row is quoted CSV.
fn default_columns(banner: &str, first_row: &str) -> Option<Vec<String>> {
    if !first_row.starts_with('"') {
        return None;
    }
    let banner = banner.to_ascii_lowercase();
    let columns: &[&str] = if banner.contains("threatfox") {
        threatfox::COLUMNS
    } else if banner.contains("malwarebazaar") {
        malwarebazaar::COLUMNS
    } else if banner.contains("urlhaus") {
        urlhaus::COLUMNS
    } else {
        return None;
    };
    Some(columns.iter().map(|c| c.to_string()).collect())
}

/// Splits one CSV line: RFC 4180 quoting (`""` inside quotes), spaces around fields ignored
/// (ThreatFox writes `", "`).
pub(crate) fn split(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.trim_end_matches(['\r', '\n']).chars().peekable();
    loop {
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        let mut field = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    Some('"') if chars.next_if_eq(&'"').is_some() => field.push('"'),
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("a quoted field is not closed on its line; row not loaded".into()),
                }
            }
            while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(c) => return Err(format!("`{c}` after a quoted field; row not loaded")),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field.trim_end().to_string());
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some(c) => field.push(c),
                }
            }
            fields.push(field.trim_end().to_string());
        }
    }
}
