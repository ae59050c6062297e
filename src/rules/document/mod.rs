//! Rule documents: turns a threat-intel hunting document (prose, IOC summary, IOC table, KQL
//! query, Sentinel table, false-positive scenarios) into a [`Rule`], with warnings for what the
//! document gets wrong about itself (malformed hashes, totals that do not add up, short rows).
//!
//! Documents come out of generators and copy-paste, so they are messy: cut off mid-sentence,
//! CRLF or a BOM, tables that lost their outer pipes, plain or markdown headings, the query
//! fenced or bare. Rather than expect a fixed layout, the parser reads line by line with a small
//! state machine and recognises each part by local clues:
//!
//! - an IOC table starts at a row whose cells include `Type` and `Value`;
//! - the query starts at a ```` ```kql ```` fence, or bare at a `let` / `union` line or a table
//!   name followed by a KQL `| operator` line, together with the `//` comments right above it;
//! - a bare query runs until a line that can only start a new section: a markdown table row or
//!   heading, a fence, `Sentinel Table`, `Scenario:`, `False Positive`, the IOC summary;
//! - `Scenario:` starts a false-positive scenario, and `Description:` / `Filter/Exclusion:`
//!   lines fill the latest one.
//!
//! What a rule cannot do without (some text, a query) is an error; everything else that is
//! missing is left empty, so that a truncated document still yields what it has.

use std::path::Path;

mod lines;
mod table;

use lines::*;
pub use table::IocTable;

use super::{IndicatorKind, Rule, RuleError, Scenario, Warning};

/// KQL tabular operators: a line `| <one of these> ...` is a query line, not a markdown table
/// row. Both start with a pipe, and this is what tells them apart.
const KQL_OPERATORS: &str = "as consume count distinct evaluate extend facet filter find fork \
    getschema invoke join limit lookup make-series mv-apply mv-expand order parse parse-kv \
    parse-where partition project project-away project-keep project-rename project-reorder reduce \
    render sample sample-distinct scan search serialize sort summarize take top top-hitters \
    top-nested union where";

/// Labels that fill a scenario's exclusion.
const FILTER_LABELS: &[&str] = &["filter/exclusion", "filter / exclusion", "exclusion", "filter"];

/// Values longer than this are shortened in warnings, which should stay one readable line.
const SHOWN_CHARS: usize = 80;

/// Parses a rule document. `id` names the rule (and its warnings); `source` names the file in
/// errors.
///
/// Fails only if the document is empty or has no KQL query. Everything else is best effort: a
/// part that is missing or cut off leaves its fields empty (or as far as they go) and, where the
/// document contradicts itself, a [`Warning`].
pub fn parse_document(id: &str, source: &Path, text: &str) -> Result<(Rule, Vec<Warning>), RuleError> {
    let fail = |message: &str| RuleError {
        path: source.to_path_buf(),
        message: message.to_string(),
    };
    // A BOM is an encoding artefact, not text; left in, it would hide a first-line heading.
    let text = crate::encoding::strip_bom(text);
    if text.trim().is_empty() {
        return Err(fail("the document is empty"));
    }
    let lines = split_lines(text);
    let mut parser = Parser::new(id, &lines);
    parser.run();
    let Some((start, end)) = parser.query else {
        return Err(fail("no KQL query found in the document"));
    };
    parser.check_total();
    parser.indicators.finish();
    let query_lines = lines.get(start..end).unwrap_or_default();
    let rule = Rule {
        id: id.to_string(),
        source: source.to_path_buf(),
        title: title(&lines, query_lines),
        family: parser.family,
        table: parser.table,
        query: query_lines.join("\n"),
        query_line: u32::try_from(start + 1).unwrap_or(u32::MAX),
        indicators: parser.indicators,
        declared_total: parser.declared_total,
        scenarios: parser.scenarios,
    };
    Ok((rule, parser.warnings))
}

/// The lines of `text` as `str::lines` gives them (split at `\n` and `\r\n`, no empty line
/// after a final newline), each less one more `\r` at its end, which a `\r\r\n` or a `\r` at
/// the end of the text leaves. Found with `memchr`: a document of a million IOC rows is a
/// million lines, and `str::lines` searched for each end a character at a time.
fn split_lines(text: &str) -> Vec<&str> {
    fn strip(line: &str) -> &str {
        line.strip_suffix('\r').unwrap_or(line)
    }
    let mut lines = Vec::with_capacity(text.len() / 64 + 1);
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', text.as_bytes()) {
        lines.push(strip(strip(&text[start..end])));
        start = end + 1;
    }
    if start < text.len() {
        lines.push(strip(&text[start..]));
    }
    lines
}

/// Where the parser is in the document.
#[derive(Debug, Clone, Copy, Default)]
enum State {
    /// Between sections: summary fields, scenarios, headings, and the starts of the others.
    #[default]
    Prose,
    /// Inside an IOC table, after its header.
    IocTable(Columns),
    /// Inside the query, which began on line index `start`.
    Query { start: usize, fenced: bool },
    /// Inside a fenced block that is not the query.
    OtherFence,
    /// After the Sentinel table's header, looking for its first data row.
    SentinelTable { column: usize },
}

/// Which cell of an IOC table row holds what, from the table's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Columns {
    kind: usize,
    value: usize,
    threat_type: Option<usize>,
    first_seen: Option<usize>,
    confidence: Option<usize>,
    /// The columns `loghunt feed` adds (see [`crate::rules::Indicator::id`]).
    id: Option<usize>,
    reference: Option<usize>,
    feed: Option<usize>,
    /// Cells in the header, to tell a short (cut-off or broken) row.
    count: usize,
}

/// The scenario field that an unlabelled line continues.
#[derive(Debug, Clone, Copy)]
enum Field {
    Name,
    Description,
    Filter,
}

#[derive(Default)]
struct Parser<'a> {
    id: &'a str,
    lines: &'a [&'a str],
    state: State,
    family: Option<String>,
    declared_total: Option<usize>,
    ioc_types: Option<String>,
    saw_ioc_table: bool,
    ioc_rows: usize,
    indicators: IocTable,
    /// Line indices `start..end` of the query, once it is complete.
    query: Option<(usize, usize)>,
    table: Option<String>,
    scenarios: Vec<Scenario>,
    /// The scenario field that a wrapped line would continue (see [`Parser::prose`]).
    continuation: Option<Field>,
    /// Where the pipes of the IOC row being read are ([`cell_bounds`]), a buffer reused from
    /// row to row.
    pipes: Vec<usize>,
    warnings: Vec<Warning>,
}

impl<'a> Parser<'a> {
    fn new(id: &'a str, lines: &'a [&'a str]) -> Self {
        Parser {
            id,
            lines,
            ..Parser::default()
        }
    }

    fn run(&mut self) {
        let mut index = 0;
        while index < self.lines.len() {
            if self.step(index) {
                index += 1;
            }
        }
        // The end of the text ends whatever was open; only an open query has anything to keep.
        if let State::Query { start, .. } = self.state {
            self.close_query(start, self.lines.len());
        }
    }

    /// Reads line `index` in the current state. Returns `false` when the line ended the current
    /// section without being consumed: the state is then `Prose`, which reads it again (and
    /// always consumes it, so this cannot loop).
    fn step(&mut self, index: usize) -> bool {
        let Some(line) = self.lines.get(index).map(|line| trim(line)) else {
            return true;
        };
        match self.state {
            State::Prose => {
                self.prose(index, line);
                true
            }
            State::Query { start, fenced: true } => {
                // Inside a fence everything is query until the fence closes.
                if is_fence(line) {
                    self.close_query(start, index);
                    self.state = State::Prose;
                }
                true
            }
            State::Query { start, fenced: false } => {
                if !is_section_start(line) {
                    return true;
                }
                self.close_query(start, index);
                self.state = State::Prose;
                false
            }
            State::OtherFence => {
                if is_fence(line) {
                    self.state = State::Prose;
                }
                true
            }
            State::IocTable(columns) => {
                if line.is_empty() || is_separator_row(line) {
                    return true;
                }
                // A row as nearly all are written is a row (it starts with a pipe, so no query;
                // it ends with one, so no KQL line; it has no `t`, so no header), its cells
                // found in the same pass.
                let mut pipes = std::mem::take(&mut self.pipes);
                if let Some(body) = plain_row_body(line, &mut pipes) {
                    let cell = |column| plain_cell_of(body, &pipes, column).filter(|c| !c.is_empty());
                    let (kind, value) = (cell(columns.kind), cell(columns.value));
                    self.read_ioc_row(index + 1, line, pipes.len() + 1, kind, value, columns);
                    self.pipes = pipes;
                    return true;
                }
                self.pipes = pipes;
                // Rows may have lost their outer pipes, so any line with a pipe is a row, unless
                // it is the query (which may follow the table with no blank line) or a new table.
                // A line that starts with a pipe, as rows do, starts no query and has a pipe:
                // told by its first byte, a million times for 1M IOCs.
                let piped = line.starts_with('|');
                let starts_query = !piped && self.query.is_none() && query_starts_at(self.lines, index);
                // A row that ends with a pipe, as rows do, is no KQL line.
                let is_row = (piped || memchr::memchr(b'|', line.as_bytes()).is_some())
                    && (line.ends_with('|') || !is_kql_pipe(line))
                    && !starts_query
                    && !may_be_header(line);
                if is_row {
                    self.ioc_row(index, line, columns);
                    return true;
                }
                self.state = State::Prose;
                false
            }
            State::SentinelTable { column } => {
                if line.is_empty() || is_separator_row(line) {
                    return true;
                }
                // A row followed by a separator is a header (`| Table | Notes |` under a
                // `Sentinel Table` heading), not data.
                let next_is_separator = self
                    .lines
                    .get(index + 1)
                    .is_some_and(|next| is_separator_row(next.trim()));
                if next_is_separator {
                    return true;
                }
                self.state = State::Prose;
                let cells = split_cells(line);
                let name = cells.get(column).or(cells.first()).map_or("", |cell| clean_cell(cell));
                if !is_identifier(name) {
                    // Not a table after all (prose, a scenario): read it as prose.
                    return false;
                }
                self.table.get_or_insert_with(|| name.to_string());
                true
            }
        }
    }

    /// Reads a line between sections: it may start one, or hold summary fields or scenarios.
    fn prose(&mut self, index: usize, line: &str) {
        if line.is_empty() {
            self.continuation = None;
            return;
        }
        if let Some(info) = line.strip_prefix("```") {
            self.continuation = None;
            self.open_fence(index, info);
            return;
        }
        if self.query.is_none() && query_starts_at(self.lines, index) {
            self.continuation = None;
            self.state = State::Query {
                start: index,
                fenced: false,
            };
            return;
        }
        if memchr::memchr(b'|', line.as_bytes()).is_some() {
            if let Some(columns) = ioc_columns(line) {
                self.continuation = None;
                self.saw_ioc_table = true;
                // The summary's total sizes the list (within reason: it may be wrong).
                let rows = self.declared_total.unwrap_or(0).min(1 << 16);
                self.indicators.start(columns, rows);
                self.state = State::IocTable(columns);
                return;
            }
            if let Some(column) = sentinel_column(line) {
                self.continuation = None;
                self.state = State::SentinelTable { column };
                return;
            }
            if line.starts_with('|') {
                // A table of no interest.
                self.continuation = None;
                return;
            }
        }
        if is_heading(line) {
            self.continuation = None;
        }
        let content = label_content(line);
        if let Some(rest) = strip_prefix_ci(&content, "sentinel table") {
            self.continuation = None;
            // `Sentinel Table: DeviceFileEvents` names it inline; otherwise the line heads the
            // table (or the section holding it).
            match rest.trim().strip_prefix(':').map(clean_cell) {
                Some(name) if is_identifier(name) => {
                    self.table.get_or_insert_with(|| name.to_string());
                }
                _ => self.state = State::SentinelTable { column: 0 },
            }
            return;
        }
        if let Some(name) = scenario_name(&content) {
            self.scenarios.push(Scenario {
                name: name.to_string(),
                ..Scenario::default()
            });
            // A name is one line; only a `**Scenario:**` label alone takes the next line.
            self.continuation = name.is_empty().then_some(Field::Name);
            return;
        }
        if let Some(scenario) = self.scenarios.last_mut() {
            if let Some(text) = label_value(&content, &["description"]) {
                append(&mut scenario.description, text);
                self.continuation = Some(Field::Description);
                return;
            }
            if let Some(text) = label_value(&content, FILTER_LABELS) {
                append(&mut scenario.filter, text);
                self.continuation = Some(Field::Filter);
                return;
            }
        }
        if self.summary(&content) || is_other_section(&content) {
            self.continuation = None;
            return;
        }
        let Some(scenario) = self.scenarios.last_mut() else {
            return;
        };
        // An unlabelled line continues a field only where markdown would: the field's label
        // stood alone, or the line is indented under it. Trailing prose stays out.
        let indented = self
            .lines
            .get(index)
            .is_some_and(|raw| raw.starts_with(char::is_whitespace));
        match self.continuation {
            Some(Field::Name) => {
                scenario.name = content.into_owned();
                self.continuation = None;
            }
            Some(Field::Description) if indented || scenario.description.is_none() => {
                append(&mut scenario.description, &content);
            }
            Some(Field::Filter) if indented || scenario.filter.is_none() => {
                append(&mut scenario.filter, &content);
            }
            _ => self.continuation = None,
        }
    }

    /// A fence opens the query if it is the first one and says `kql` / `kusto`, or says nothing
    /// and its first line starts a query the way a bare one would. Any other block is skipped.
    fn open_fence(&mut self, index: usize, info: &str) {
        let language = info.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
        let is_kql = matches!(language.as_str(), "kql" | "kusto");
        let holds_query = is_kql || (language.is_empty() && fence_holds_query(self.lines, index));
        if holds_query && self.query.is_none() {
            self.state = State::Query {
                start: index + 1,
                fenced: true,
            };
            return;
        }
        if is_kql && self.query.is_some() {
            self.warn(format!(
                "the KQL block on line {} is ignored: a rule has one query, the first",
                index + 1
            ));
        }
        self.state = State::OtherFence;
    }

    /// Keeps `start..end` as the query, less blank lines at either end. An empty block (an
    /// empty fence) is no query, so the search goes on.
    fn close_query(&mut self, start: usize, end: usize) {
        let lines = self.lines.get(start..end).unwrap_or_default();
        let first = lines.iter().position(|line| !line.trim().is_empty());
        let last = lines.iter().rposition(|line| !line.trim().is_empty());
        if let (Some(first), Some(last)) = (first, last) {
            self.query = Some((start + first, start + last + 1));
        }
    }

    /// Reads the IOC summary fields from `content`, which may hold all three run together
    /// (`Malware Family: X Total IOCs: 18 IOC Types: ...`). Returns whether it held any.
    fn summary(&mut self, content: &str) -> bool {
        const FAMILY: &str = "malware family:";
        const TOTAL: &str = "total iocs:";
        const TYPES: &str = "ioc types:";
        // ASCII lowercasing keeps byte offsets, so positions found in `lower` hold in `content`.
        let lower = content.to_ascii_lowercase();
        let starts = [FAMILY, TOTAL, TYPES].map(|label| lower.find(label));
        if starts.iter().all(Option::is_none) {
            return false;
        }
        // A field runs to the next field on the line, or to the end of the line.
        let field = |at: Option<usize>, label: &str| {
            let from = at? + label.len();
            let to = starts
                .iter()
                .flatten()
                .copied()
                .filter(|&start| start >= from)
                .min()
                .unwrap_or(content.len());
            let value = content
                .get(from..to)?
                .trim_matches(|c: char| c.is_whitespace() || "*`,;|".contains(c));
            (!value.is_empty()).then(|| value.to_string())
        };
        let [family, total, types] = starts;
        if self.family.is_none() {
            self.family = field(family, FAMILY);
        }
        if self.declared_total.is_none() {
            self.declared_total = field(total, TOTAL).and_then(|total| {
                let digits: String = total.chars().take_while(char::is_ascii_digit).collect();
                digits.parse().ok()
            });
        }
        if self.ioc_types.is_none() {
            self.ioc_types = field(types, TYPES);
        }
        true
    }

    fn ioc_row(&mut self, index: usize, line: &'a str, columns: Columns) {
        // Only the type and value cells are read: found between the row's pipes, not split out.
        // A row with an escaped pipe has its cells split out and unescaped.
        let mut pipes = std::mem::take(&mut self.pipes);
        let unescaped;
        let (count, kind, value) = match cell_bounds(line, &mut pipes) {
            Some(body) => {
                let cell = |column| cell_of(body, &pipes, column).map(clean_cell).filter(|c| !c.is_empty());
                (pipes.len() + 1, cell(columns.kind), cell(columns.value))
            }
            None => {
                unescaped = split_cells(line);
                let cell = |column| cell_text(&unescaped, Some(column));
                (unescaped.len(), cell(columns.kind), cell(columns.value))
            }
        };
        self.read_ioc_row(index + 1, line, count, kind, value, columns);
        self.pipes = pipes;
    }

    /// Counts, checks and adds an IOC row of `count` cells, whose type and value cells read
    /// `kind` and `value` ([`cell_text`]).
    fn read_ioc_row(
        &mut self,
        line_number: usize,
        line: &str,
        count: usize,
        kind: Option<&str>,
        value: Option<&str>,
        columns: Columns,
    ) {
        self.ioc_rows += 1;
        let Some(value) = value else {
            self.warn(format!(
                "IOC table row on line {line_number} has no value, so it is skipped: `{}`",
                shown(line)
            ));
            return;
        };
        if count < columns.count {
            self.warn(format!(
                "IOC table row on line {line_number} has {} of the header's {} cells: `{}`",
                count,
                columns.count,
                shown(line)
            ));
        }
        let type_name = kind.unwrap_or_default();
        if type_name.is_empty() {
            self.warn(format!(
                "IOC table row on line {line_number} gives no type for `{}`",
                shown(value)
            ));
        }
        let kind = IndicatorKind::from_type_name(type_name);
        if let Some(expected) = kind.hash_length() {
            // A digest that is not hex, or not of its type's length, can never match.
            // Bytes, without an early exit: a million digests are checked, and almost all pass.
            let all_hex = value.bytes().fold(true, |all, b| all & b.is_ascii_hexdigit());
            let bad = if all_hex {
                None
            } else {
                value.chars().find(|c| !c.is_ascii_hexdigit())
            };
            if let Some(bad) = bad {
                self.warn(format!(
                    "{type_name} `{}` contains non-hex character `{bad}`",
                    shown(value)
                ));
            } else if value.len() != expected {
                self.warn(format!(
                    "{type_name} `{}` has {} hex digits, expected {expected}",
                    shown(value),
                    value.len()
                ));
            }
        }
        // The other cells are read when someone asks for them (`IocTable::get`).
        self.indicators.push(kind, line, value);
    }

    /// Compares the summary with the IOC table, once the whole document has been read.
    fn check_total(&mut self) {
        match (self.declared_total, self.saw_ioc_table) {
            (Some(total), true) if total != self.ioc_rows => {
                let (rows, s) = (self.ioc_rows, if self.ioc_rows == 1 { "" } else { "s" });
                self.warn(format!(
                    "summary says Total IOCs: {total} but the IOC table has {rows} row{s}"
                ));
            }
            (Some(total), false) if total > 0 => self.warn(format!(
                "summary says Total IOCs: {total} but the document has no IOC table"
            )),
            (None, false) => {
                if let Some(types) = self.ioc_types.clone() {
                    self.warn(format!(
                        "summary lists IOC types ({types}) but the document has no IOC table"
                    ));
                }
            }
            _ => {}
        }
    }

    fn warn(&mut self, message: String) {
        self.warnings.push(Warning {
            rule: self.id.to_string(),
            message,
        });
    }
}

#[cfg(test)]
mod tests;
