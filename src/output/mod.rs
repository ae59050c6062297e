//! Output: result rows printed as an aligned table, JSON lines or CSV on stdout, the summary of
//! what was scanned on stderr, and the HTML report ([`report`]). Printers only format; the rows
//! arrive already in their final order, and whether a stream is coloured is decided before
//! ([`color`]).

pub mod color;
pub mod progress;
pub mod report;
mod summary;
pub mod tally;

use std::io::{self, Write};

use serde_json::{Map, Value as Json};

pub use color::{ColorChoice, Style};
pub use summary::{write_exclusions, write_summary};

use crate::input::LogFile;
use crate::plan::exclude::ExclusionReport;
use crate::plan::query::Row;
use crate::plan::RuleResult;
use crate::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Jsonl,
    Csv,
}

/// Everything a printer needs: the rules' results in output order, and the files the rows'
/// positions refer to.
pub struct Results<'a> {
    pub rules: &'a [RuleResult],
    pub files: &'a [LogFile],
    /// Rows of IOC-feed rules: the indicator a row matched, printed as the `ioc` of its JSON
    /// line and in the `ioc_*` CSV columns (which are there only when this is given).
    pub annotate: Option<&'a Annotate<'a>>,
}

/// The `ioc` object of a result row, if its rule has one.
pub type Annotate<'a> = dyn Fn(&RuleResult, &Row) -> Option<Map<String, Json>> + 'a;

/// The CSV columns of [`Results::annotate`], after the rules' columns, and the `ioc` keys they
/// hold.
const IOC_COLUMNS: &[(&str, &str)] = &[
    ("ioc_feed", "feed"),
    ("ioc_id", "id"),
    ("ioc_family", "family"),
    ("ioc_threat_type", "threat_type"),
    ("ioc_confidence", "confidence"),
];

/// Prints the results; `style` colours the table only, never JSON lines or CSV.
pub fn write_results(out: &mut impl Write, format: Format, results: &Results<'_>, style: Style) -> io::Result<()> {
    match format {
        Format::Table => write_table(out, results, style),
        Format::Jsonl => write_jsonl(out, results),
        Format::Csv => write_csv(out, results),
    }
}

/// One JSON object per row: `rule` and `row` are the contract; `title`, `file` and `line` say
/// where the row came from.
fn write_jsonl(out: &mut impl Write, results: &Results<'_>) -> io::Result<()> {
    for rule in results.rules {
        for hit in &rule.rows {
            serde_json::to_writer(&mut *out, &Json::Object(json_line(results, rule, hit)))?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}

/// The JSON line of one result row.
fn json_line(results: &Results<'_>, rule: &RuleResult, hit: &Row) -> Map<String, Json> {
    let mut row = Map::new();
    for (column, value) in rule.columns.iter().zip(&hit.values) {
        row.insert(column.name.clone(), value.to_json());
    }
    let mut object = Map::new();
    object.insert("rule".into(), Json::String(rule.id.clone()));
    object.insert("row".into(), Json::Object(row));
    if let Some(ioc) = results.annotate.and_then(|annotate| annotate(rule, hit)) {
        object.insert("ioc".into(), Json::Object(ioc));
    }
    if let Some(title) = &rule.title {
        object.insert("title".into(), Json::String(title.clone()));
    }
    // A row of a record keeps where the record is; a computed row (`summarize`...) has no
    // single place.
    if let Some(position) = hit.origin {
        let file = &results.files[position.file].path;
        object.insert("file".into(), Json::String(file.display().to_string()));
        object.insert("line".into(), Json::from(position.line));
    }
    object
}

/// `--show-excluded`: the rows exclusions suppressed, as JSON lines like the results' (whose
/// rules they belong to), each with an `excluded` key naming its exclusion.
pub fn write_excluded_jsonl(out: &mut impl Write, results: &Results<'_>, report: &ExclusionReport) -> io::Result<()> {
    for suppressed in &report.suppressed {
        let rule = &results.rules[suppressed.result];
        let mut object = json_line(results, rule, &suppressed.row);
        let exclusion = &report.exclusions[suppressed.exclusion].exclusion;
        object.insert("excluded".into(), Json::String(exclusion.describe()));
        serde_json::to_writer(&mut *out, &Json::Object(object))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// One header for all rules: `rule`, then the union of the rules' columns in order of first
/// appearance. A rule leaves the columns it does not project empty.
fn write_csv(out: &mut impl Write, results: &Results<'_>) -> io::Result<()> {
    let mut header: Vec<&str> = Vec::new();
    for rule in results.rules {
        for column in &rule.columns {
            if !header.contains(&column.name.as_str()) {
                header.push(&column.name);
            }
        }
    }
    let mut line = vec![csv_field("rule")];
    line.extend(header.iter().map(|h| csv_field(h)));
    if results.annotate.is_some() {
        line.extend(IOC_COLUMNS.iter().map(|(name, _)| csv_field(name)));
    }
    write!(out, "{}\r\n", line.join(","))?;
    for rule in results.rules {
        let positions: Vec<Option<usize>> = header
            .iter()
            .map(|h| rule.columns.iter().position(|c| c.name == *h))
            .collect();
        for hit in &rule.rows {
            let mut line = vec![csv_field(&rule.id)];
            for position in &positions {
                line.push(position.map_or_else(String::new, |p| csv_field(&cell(&hit.values[p]))));
            }
            if let Some(annotate) = results.annotate {
                let ioc = annotate(rule, hit).unwrap_or_default();
                for (_, key) in IOC_COLUMNS {
                    line.push(match ioc.get(*key) {
                        None | Some(Json::Null) => String::new(),
                        Some(Json::String(text)) => csv_field(text),
                        Some(other) => csv_field(&other.to_string()),
                    });
                }
            }
            write!(out, "{}\r\n", line.join(","))?;
        }
    }
    Ok(())
}

/// RFC 4180: quoted when it holds a comma, quote, CR or LF; quotes doubled.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A value as one cell of text: null is empty, dynamic values compact JSON (a dynamic string
/// its text), timespans `d.hh:mm:ss.fffffff`.
fn cell(value: &Value) -> String {
    match value {
        Value::Dynamic(json) if !json.is_string() => json.to_string(),
        other => other.to_text().into_owned(),
    }
}

/// Per rule: a heading with its title and count, then the rows in aligned columns.
fn write_table(out: &mut impl Write, results: &Results<'_>, style: Style) -> io::Result<()> {
    for (index, rule) in results.rules.iter().enumerate() {
        let hits = &rule.rows;
        if index > 0 {
            writeln!(out)?;
        }
        let title = rule.title.as_deref().map(|t| format!(" — {t}")).unwrap_or_default();
        let noun = if hits.len() == 1 { "result" } else { "results" };
        let heading = format!("{}{} [{}]: {} {}", rule.id, title, rule.table, hits.len(), noun);
        writeln!(out, "{}", style.heading(&heading))?;
        if hits.is_empty() {
            continue;
        }
        let mut cells: Vec<Vec<String>> = hits
            .iter()
            .map(|h| {
                h.values
                    .iter()
                    .map(|v| cell(v).replace(['\r', '\n', '\t'], " "))
                    .collect()
            })
            .collect();
        let mut names: Vec<&str> = rule.columns.iter().map(|c| c.name.as_str()).collect();
        // Rows of IOC-feed rules (and of documents written from feeds) end with the indicator
        // they matched, in one column; other rules' tables are as they were.
        if let Some(annotate) = results.annotate {
            let iocs: Vec<Option<String>> = hits
                .iter()
                .map(|h| annotate(rule, h).map(|ioc| ioc_text(&ioc)))
                .collect();
            if iocs.iter().any(Option::is_some) {
                names.push("ioc");
                for (row, ioc) in cells.iter_mut().zip(iocs) {
                    row.push(ioc.unwrap_or_default().replace(['\r', '\n', '\t'], " "));
                }
            }
        }
        let widths: Vec<usize> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                cells
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([name.chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        write_aligned(out, &names, &widths)?;
        let rules: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        write_aligned(out, &rules.iter().map(String::as_str).collect::<Vec<_>>(), &widths)?;
        for row in &cells {
            write_aligned(out, &row.iter().map(String::as_str).collect::<Vec<_>>(), &widths)?;
        }
    }
    Ok(())
}

/// The table's `ioc` cell: what CSV's `ioc_*` columns hold, in one line:
/// `feed:id family (threat type, confidence%)`, leaving out what the indicator lacks.
fn ioc_text(ioc: &Map<String, Json>) -> String {
    let text = |key: &str| match ioc.get(key) {
        None | Some(Json::Null) => None,
        Some(Json::String(text)) => Some(text.clone()),
        Some(other) => Some(other.to_string()),
    };
    let mut out = text("feed").unwrap_or_default();
    if let Some(id) = text("id") {
        out.push(':');
        out.push_str(&id);
    }
    if let Some(family) = text("family") {
        out.push(' ');
        out.push_str(&family);
    }
    let details: Vec<String> = [text("threat_type"), text("confidence").map(|c| format!("{c}%"))]
        .into_iter()
        .flatten()
        .collect();
    if !details.is_empty() {
        out.push_str(&format!(" ({})", details.join(", ")));
    }
    out
}

fn write_aligned(out: &mut impl Write, cells: &[&str], widths: &[usize]) -> io::Result<()> {
    let mut line = String::new();
    for (i, (text, width)) in cells.iter().zip(widths).enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        line.push_str(text);
        if i + 1 < cells.len() {
            line.extend(std::iter::repeat_n(' ', width.saturating_sub(text.chars().count())));
        }
    }
    writeln!(out, "{}", line.trim_end())
}

/// `1234567` → `1,234,567`: counts as people read them (the progress bar, the report).
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (at, digit) in digits.chars().enumerate() {
        if at > 0 && (digits.len() - at) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ioc_cell_holds_what_the_csv_columns_hold() {
        let cases = [
            (
                serde_json::json!({"feed": "threatfox", "id": "1530002", "value": "93e6", "kind": "md5",
                    "family": "Nanocore RAT", "threat_type": "payload", "confidence": 95}),
                "threatfox:1530002 Nanocore RAT (payload, 95%)",
            ),
            (
                serde_json::json!({"feed": "misp-event", "id": "u1", "family": null, "threat_type": "Network activity", "confidence": null}),
                "misp-event:u1 (Network activity)",
            ),
            (
                serde_json::json!({"feed": "iocs", "id": null, "family": null, "threat_type": null, "confidence": null}),
                "iocs",
            ),
        ];
        for (ioc, expected) in cases {
            assert_eq!(ioc_text(ioc.as_object().unwrap()), expected);
        }
    }

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }
}
