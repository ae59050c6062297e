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

use super::{Indicator, IndicatorKind, Rule, RuleError, Scenario, Warning};

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
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(fail("the document is empty"));
    }
    // `lines` splits at `\n` and `\r\n`; the strip catches a `\r` left before the end of text.
    let lines: Vec<&str> = text
        .lines()
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .collect();
    let mut parser = Parser::new(id, &lines);
    parser.run();
    let Some((start, end)) = parser.query else {
        return Err(fail("no KQL query found in the document"));
    };
    parser.check_total();
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
#[derive(Debug, Clone, Copy)]
struct Columns {
    kind: usize,
    value: usize,
    threat_type: Option<usize>,
    first_seen: Option<usize>,
    confidence: Option<usize>,
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
    indicators: Vec<Indicator>,
    /// Line indices `start..end` of the query, once it is complete.
    query: Option<(usize, usize)>,
    table: Option<String>,
    scenarios: Vec<Scenario>,
    /// The scenario field that a wrapped line would continue (see [`Parser::prose`]).
    continuation: Option<Field>,
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
        let Some(line) = self.lines.get(index).map(|line| line.trim()) else {
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
                // Rows may have lost their outer pipes, so any line with a pipe is a row, unless
                // it is the query (which may follow the table with no blank line) or a new table.
                let is_row = line.contains('|')
                    && !is_kql_pipe(line)
                    && !(self.query.is_none() && query_starts_at(self.lines, index))
                    && ioc_columns(line).is_none()
                    && sentinel_column(line).is_none();
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
        if line.contains('|') {
            if let Some(columns) = ioc_columns(line) {
                self.continuation = None;
                self.saw_ioc_table = true;
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
                scenario.name = content;
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

    fn ioc_row(&mut self, index: usize, line: &str, columns: Columns) {
        self.ioc_rows += 1;
        let line_number = index + 1;
        let cells = split_cells(line);
        let cell = |column: Option<usize>| {
            column
                .and_then(|column| cells.get(column))
                .map(|cell| clean_cell(cell))
                .filter(|cell| !cell.is_empty())
        };
        let Some(value) = cell(Some(columns.value)) else {
            self.warn(format!(
                "IOC table row on line {line_number} has no value, so it is skipped: `{}`",
                shown(line)
            ));
            return;
        };
        if cells.len() < columns.count {
            self.warn(format!(
                "IOC table row on line {line_number} has {} of the header's {} cells: `{}`",
                cells.len(),
                columns.count,
                shown(line)
            ));
        }
        let type_name = cell(Some(columns.kind)).unwrap_or_default();
        if type_name.is_empty() {
            self.warn(format!(
                "IOC table row on line {line_number} gives no type for `{}`",
                shown(value)
            ));
        }
        let kind = IndicatorKind::from_type_name(type_name);
        if let Some(expected) = kind.hash_length() {
            // A digest that is not hex, or not of its type's length, can never match.
            if let Some(bad) = value.chars().find(|c| !c.is_ascii_hexdigit()) {
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
        let indicator = Indicator {
            kind,
            value: value.to_string(),
            threat_type: cell(columns.threat_type).map(str::to_string),
            first_seen: cell(columns.first_seen).map(str::to_string),
            confidence: cell(columns.confidence).map(str::to_string),
        };
        self.indicators.push(indicator);
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

/// The rule's title, by the first of these that gives one:
///
/// 1. a markdown `# Heading` as the first line;
/// 2. the name in the document's opening sentence, `The <title> rule ...` or
///    `The <title> detection ...`, if it starts with a capital (so that `The attacker uses a
///    rule ...` gives nothing);
/// 3. the query's `// Source: <title>` comment.
fn title(lines: &[&str], query: &[&str]) -> Option<String> {
    let mut text = lines.iter().map(|line| line.trim()).filter(|line| !line.is_empty());
    let first = text.next()?;
    if let Some(heading) = first.strip_prefix("# ") {
        let heading = heading.replace("**", "");
        let heading = heading.trim().trim_end_matches('#').trim();
        if !heading.is_empty() {
            return Some(heading.to_string());
        }
    }
    let opening = std::iter::once(first).chain(text).find(|line| !is_heading(line))?;
    sentence_title(opening).or_else(|| source_comment(query))
}

fn sentence_title(line: &str) -> Option<String> {
    let line = line.replace("**", "");
    let rest = line.strip_prefix("The ")?;
    let sentence = rest.split(". ").next().unwrap_or(rest);
    let lower = sentence.to_ascii_lowercase();
    let end = [" rule ", " detection "]
        .iter()
        .filter_map(|marker| lower.find(marker))
        .min()?;
    let title = sentence.get(..end)?.trim().trim_matches('"').trim();
    let capitalised = title.chars().next().is_some_and(|c| !c.is_lowercase());
    capitalised.then(|| title.to_string())
}

fn source_comment(query: &[&str]) -> Option<String> {
    query.iter().find_map(|line| {
        let comment = line.trim().strip_prefix("//")?.trim();
        let source = strip_prefix_ci(comment, "source:")?.trim();
        (!source.is_empty()).then(|| source.to_string())
    })
}

/// Whether a query starts on line `index`: a statement start (see [`is_statement_start`]), or
/// a block of `//` comment lines directly above one, since those comments belong to the query.
fn query_starts_at(lines: &[&str], index: usize) -> bool {
    let Some(line) = lines.get(index) else {
        return false;
    };
    if !line.trim().starts_with("//") {
        return is_statement_start(lines, index);
    }
    let after_comments = lines
        .iter()
        .skip(index)
        .position(|line| !line.trim().starts_with("//"))
        .map_or(lines.len(), |offset| index + offset);
    is_statement_start(lines, after_comments)
}

/// A line that begins a KQL statement: `let name =` (or `let name` cut off), `union ...`, or a
/// table name whose first `| operator` follows on the same line or the next non-blank one. A
/// lone capitalised word in prose is not enough: the operator is what makes it a query.
fn is_statement_start(lines: &[&str], index: usize) -> bool {
    let Some(line) = lines.get(index).map(|line| line.trim()) else {
        return false;
    };
    if is_let(line) || line.starts_with("union ") {
        return true;
    }
    let (name, rest) = split_identifier(line);
    if name.is_empty() {
        return false;
    }
    let rest = rest.trim_start();
    if !rest.is_empty() {
        return is_kql_pipe(rest);
    }
    lines
        .iter()
        .skip(index + 1)
        .map(|line| line.trim())
        .find(|line| !line.is_empty())
        .is_some_and(is_kql_pipe)
}

fn is_let(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("let") else {
        return false;
    };
    if !rest.starts_with(char::is_whitespace) {
        return false;
    }
    let (name, rest) = split_identifier(rest.trim_start());
    let rest = rest.trim_start();
    !name.is_empty() && (rest.is_empty() || rest.starts_with('='))
}

/// `| operator ...`: a query line. Markdown rows also start with a pipe, but their first cell is
/// no KQL operator, and they end with a pipe, which a KQL line never does.
fn is_kql_pipe(line: &str) -> bool {
    let line = line.trim();
    let Some(rest) = line.strip_prefix('|') else {
        return false;
    };
    if line.ends_with('|') {
        return false;
    }
    let rest = rest.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .unwrap_or(rest.len());
    let (word, after) = rest.split_at(end);
    (after.is_empty() || after.starts_with(char::is_whitespace))
        && KQL_OPERATORS
            .split_whitespace()
            .any(|operator| operator.eq_ignore_ascii_case(word))
}

/// Whether `line` ends a bare query: it can only belong to the next section. KQL lines never
/// start with `#`, a fence, or a label, and their pipes are followed by an operator.
fn is_section_start(line: &str) -> bool {
    if is_fence(line) || is_heading(line) || (line.starts_with('|') && !is_kql_pipe(line)) {
        return true;
    }
    if line.contains('|') && (ioc_columns(line).is_some() || sentinel_column(line).is_some()) {
        return true;
    }
    let content = label_content(line);
    strip_prefix_ci(&content, "sentinel table").is_some()
        || scenario_name(&content).is_some()
        || is_other_section(&content)
        || ["malware family:", "total iocs:"]
            .iter()
            .any(|label| strip_prefix_ci(&content, label).is_some())
}

/// Section titles that carry nothing to extract but end what came before.
fn is_other_section(content: &str) -> bool {
    ["false positive", "ioc summary"]
        .iter()
        .any(|label| strip_prefix_ci(content, label).is_some())
}

fn is_fence(line: &str) -> bool {
    line.starts_with("```")
}

fn is_heading(line: &str) -> bool {
    let rest = line.trim_start_matches('#');
    rest.len() < line.len() && (rest.is_empty() || rest.starts_with(char::is_whitespace))
}

/// The header of an IOC table: cells named (in any order, any case) `Type` and `Value`, with
/// `Threat Type`, `First Seen` and `Confidence` taken where present.
fn ioc_columns(line: &str) -> Option<Columns> {
    let cells = split_cells(line);
    let (mut kind, mut value, mut threat_type, mut first_seen, mut confidence) = (None, None, None, None, None);
    for (index, cell) in cells.iter().enumerate() {
        let name = clean_cell(cell).to_ascii_lowercase().replace('_', " ");
        let slot = match name.as_str() {
            "type" | "ioc type" | "indicator type" => &mut kind,
            "value" | "ioc" | "ioc value" | "indicator" | "indicator value" => &mut value,
            "threat type" | "threat" => &mut threat_type,
            "first seen" => &mut first_seen,
            "confidence" => &mut confidence,
            _ => continue,
        };
        slot.get_or_insert(index);
    }
    Some(Columns {
        kind: kind?,
        value: value?,
        threat_type,
        first_seen,
        confidence,
        count: cells.len(),
    })
}

/// The header of the Sentinel table (`| Sentinel Table | Notes |`): the cell holding the name.
fn sentinel_column(line: &str) -> Option<usize> {
    split_cells(line)
        .iter()
        .position(|cell| clean_cell(cell).eq_ignore_ascii_case("sentinel table"))
}

/// `|---|:--:|`, which separates a markdown header from its rows.
fn is_separator_row(line: &str) -> bool {
    line.contains('-') && line.chars().all(|c| matches!(c, '|' | '-' | ':') || c.is_whitespace())
}

/// The cells of a markdown table row, trimmed. The outer pipes are optional (rows lose them),
/// and `\|` is a pipe inside a cell.
fn split_cells(line: &str) -> Vec<String> {
    let line = line.trim();
    let line = line.strip_prefix('|').unwrap_or(line);
    let line = match line.strip_suffix('|') {
        Some(rest) if !rest.ends_with('\\') => rest,
        _ => line,
    };
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cell).trim().to_string()),
            c => cell.push(c),
        }
    }
    cells.push(cell.trim().to_string());
    cells
}

/// A cell's text without markdown decoration: surrounding `**` and backticks.
fn clean_cell(cell: &str) -> &str {
    let cell = cell.trim();
    let cell = cell
        .strip_prefix("**")
        .and_then(|cell| cell.strip_suffix("**"))
        .unwrap_or(cell);
    cell.trim().trim_matches('`').trim()
}

/// A line's text with heading marks, a list bullet and `**` removed, so that `Scenario:`,
/// `## Scenario: x`, `**Scenario:** x` and `- **Description:** x` read alike.
fn label_content(line: &str) -> String {
    let mut text = line.trim_start_matches('#').trim_start();
    for bullet in ["- ", "* ", "+ "] {
        if let Some(rest) = text.strip_prefix(bullet) {
            text = rest;
            break;
        }
    }
    text.replace("**", "").trim().to_string()
}

/// `Scenario: name` (or `Scenario 2: name`) → `name`, which may be empty.
fn scenario_name(content: &str) -> Option<&str> {
    let rest = strip_prefix_ci(content, "scenario")?;
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c.is_whitespace() || c == '#');
    Some(rest.strip_prefix(':')?.trim())
}

/// `Label: text` → `text`, for the first of `labels` (lowercase) that `content` starts with.
fn label_value<'c>(content: &'c str, labels: &[&str]) -> Option<&'c str> {
    labels.iter().find_map(|label| {
        let rest = strip_prefix_ci(content, label)?.trim_start();
        Some(rest.strip_prefix(':')?.trim())
    })
}

/// `text` without `prefix` (lowercase ASCII), ignoring ASCII case.
fn strip_prefix_ci<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

/// Splits a leading identifier (letter or `_`, then letters, digits, `_`) off `text`.
fn split_identifier(text: &str) -> (&str, &str) {
    if text.starts_with(|c: char| c.is_ascii_digit()) {
        return ("", text);
    }
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    text.split_at(end)
}

fn is_identifier(text: &str) -> bool {
    let (name, rest) = split_identifier(text);
    !name.is_empty() && rest.is_empty()
}

/// Whether the fenced block opening on line `fence` starts the way a bare query does.
fn fence_holds_query(lines: &[&str], fence: usize) -> bool {
    let first = (fence + 1..lines.len()).find(|&i| lines.get(i).is_some_and(|l| !l.trim().is_empty()));
    // A closing fence is no query start, so an empty block holds none.
    first.is_some_and(|index| query_starts_at(lines, index))
}

/// Adds `text` to a scenario field, joining a wrapped line to what is already there.
fn append(field: &mut Option<String>, text: &str) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    match field {
        Some(existing) => {
            existing.push(' ');
            existing.push_str(text);
        }
        None => *field = Some(text.to_string()),
    }
}

/// `text` for a warning: whole if short, else its start and `…` (cut at a char boundary).
fn shown(text: &str) -> String {
    if text.chars().count() <= SHOWN_CHARS {
        return text.to_string();
    }
    let mut short: String = text.chars().take(SHOWN_CHARS - 1).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_000: &str = include_str!("../../rules/000_4a715f3ed2ee4353.txt");
    const SEED_001: &str = include_str!("../../rules/001_84b55028b3ede4ab.txt");
    const PATH: &str = "rules/test.txt";

    fn parse(text: &str) -> Result<(Rule, Vec<Warning>), RuleError> {
        parse_document("test", Path::new(PATH), text)
    }

    fn parse_clean(name: &str, text: &str) -> Rule {
        let (rule, warnings) = parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(warnings.is_empty(), "{name}: unexpected warnings {warnings:?}");
        rule
    }

    fn messages(text: &str) -> Vec<String> {
        let (_, warnings) = parse(text).expect("the document parses");
        assert!(warnings.iter().all(|w| w.rule == "test"));
        warnings.into_iter().map(|w| w.message).collect()
    }

    fn indicator(kind: IndicatorKind, value: &str, threat: &str, seen: &str, conf: &str) -> Indicator {
        Indicator {
            kind,
            value: value.into(),
            threat_type: Some(threat.into()),
            first_seen: Some(seen.into()),
            confidence: Some(conf.into()),
        }
    }

    /// `text` with lines `from..=to` (1-based) removed.
    fn without_lines(text: &str, from: usize, to: usize) -> String {
        let kept: Vec<&str> = text
            .split('\n')
            .enumerate()
            .filter(|(i, _)| !(from..=to).contains(&(i + 1)))
            .map(|(_, line)| line)
            .collect();
        kept.join("\n")
    }

    /// `text` cut just after the first occurrence of `marker`.
    fn cut_after(text: &str, marker: &str) -> String {
        let at = text.find(marker).expect("marker in text") + marker.len();
        text[..at].to_string()
    }

    #[test]
    fn seed_000() {
        let rule = parse_clean("000", SEED_000);
        assert_eq!(rule.id, "test");
        assert_eq!(rule.source, Path::new(PATH));
        assert_eq!(rule.title.as_deref(), Some("ThreatFox: Nanocore RAT IOCs"));
        assert_eq!(rule.family.as_deref(), Some("Nanocore RAT"));
        assert_eq!(rule.declared_total, Some(18));
        assert_eq!(rule.indicators.len(), 18);
        assert_eq!(
            rule.indicators[0],
            indicator(
                IndicatorKind::Sha256,
                "ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303",
                "payload",
                "2026-06-20",
                "95%"
            )
        );
        assert_eq!(
            rule.indicators[17],
            indicator(
                IndicatorKind::Sha1,
                "9c9b962deead54c4364d378324e1f4ec603ab81c",
                "payload",
                "2026-06-20",
                "95%"
            )
        );
        assert_eq!(rule.indicators[2].kind, IndicatorKind::Md5);
        let query: Vec<&str> = rule.query.lines().collect();
        assert_eq!(query.len(), 7);
        assert_eq!(query[0], "// Hunt for files matching known malicious hashes");
        assert_eq!(query[3], "DeviceFileEvents");
        assert_eq!(query[6], "| order by Timestamp desc");
        assert_eq!(
            rule.query,
            SEED_000.lines().skip(23).take(7).collect::<Vec<_>>().join("\n")
        );
        assert_eq!(rule.query_line, 24);
        assert_eq!(rule.table.as_deref(), Some("DeviceFileEvents"));
        assert_eq!(rule.scenarios.len(), 5);
        assert_eq!(
            rule.scenarios[0],
            Scenario {
                name: "Scheduled system backup using Veeam Backup & Replication".into(),
                description: Some(
                    "The backup process may involve IOCs that resemble malicious activity, such as \
                     file creation or network connections."
                        .into()
                ),
                filter: Some(
                    "Check for the presence of veeam or backup in the process name or command \
                     line, and filter by known backup directories (e.g., C:\\ProgramData\\Veeam)."
                        .into()
                ),
            }
        );
        assert_eq!(
            rule.scenarios[4],
            Scenario {
                name: "Remote PowerShell session initiated by IT administrators for system \
                       configuration"
                    .into(),
                description: None,
                filter: None,
            }
        );
    }

    #[test]
    fn seed_001() {
        let rule = parse_clean("001", SEED_001);
        // The opening sentence has no `The <name> rule`, so the title is the query's source.
        assert_eq!(rule.title.as_deref(), Some("ThreatFox - Nanocore RAT"));
        assert_eq!(rule.family.as_deref(), Some("Nanocore RAT"));
        assert_eq!(rule.declared_total, Some(4));
        assert_eq!(rule.indicators.len(), 4);
        assert_eq!(
            rule.indicators[0],
            indicator(
                IndicatorKind::Domain,
                "www.mobile1.com",
                "botnet_cc",
                "2026-05-27",
                "75%"
            )
        );
        assert_eq!(
            rule.indicators[3],
            indicator(IndicatorKind::Domain, "moocow.my", "botnet_cc", "2026-05-26", "75%")
        );
        assert!(rule
            .query
            .starts_with("// Hunt for DNS queries to known malicious domains\n"));
        assert!(rule.query.ends_with("\n| order by TimeGenerated desc"));
        assert_eq!(rule.query.lines().count(), 7);
        assert_eq!(rule.query_line, 10);
        assert_eq!(rule.table.as_deref(), Some("DnsEvents"));
        assert_eq!(rule.scenarios.len(), 5);
        assert_eq!(
            rule.scenarios[0],
            Scenario {
                name: "Legitimate scheduled job using nanocore.exe for system monitoring".into(),
                description: Some(
                    "A system administrator uses a custom script named nanocore.exe as part of a \
                     scheduled job to monitor system performance."
                        .into()
                ),
                filter: Some(
                    "Exclude processes where the full path contains C:\\Windows\\System32\\ or \
                     C:\\Program Files\\ and the process is associated with a known monitoring \
                     tool (e.g., perfmon.exe)."
                        .into()
                ),
            }
        );
        assert_eq!(
            rule.scenarios[4],
            Scenario {
                name: "Legitimate tool named nanocore used in a".into(),
                description: None,
                filter: None,
            }
        );
    }

    /// Variants of seed 000 that must give the same rule, except where the query starts.
    #[test]
    fn messy_variants_give_the_seed_rule() {
        let seed = parse_clean("000", SEED_000);
        let query = "// Hunt for files";
        let query_end = "| order by Timestamp desc\n";
        let no_outer_pipes: Vec<String> = SEED_000
            .split('\n')
            .map(
                |line| match line.strip_prefix("| ").and_then(|l| l.strip_suffix(" |")) {
                    Some(inner) => inner.to_string(),
                    None => line.to_string(),
                },
            )
            .collect();
        let markdown = SEED_000
            .replace("IOC Summary", "## IOC Summary")
            .replace(
                "Malware Family: Nanocore RAT Total IOCs: 18 IOC Types:",
                "- **Malware Family:** Nanocore RAT\n- **Total IOCs:** 18\n- **IOC Types:**",
            )
            .replace("| Sentinel Table | Notes |", "## Sentinel Table\n| Table | Notes |")
            .replacen("Scenario:", "## False Positive Scenarios\n\nScenario:", 1)
            .replace("Scenario: ", "**Scenario:** ")
            .replace("Description: ", "- **Description:** ")
            .replace("Filter/Exclusion: ", "- **Filter/Exclusion:** ");
        let cases: Vec<(&str, String, u32)> = vec![
            (
                "CRLF and BOM",
                format!("\u{feff}{}", SEED_000.replace('\n', "\r\n")),
                24,
            ),
            ("rows without outer pipes", no_outer_pipes.join("\n"), 24),
            (
                "query in a kql fence",
                SEED_000
                    .replace(query, &format!("```kql\n{query}"))
                    .replace(query_end, &format!("{query_end}```\n")),
                25,
            ),
            (
                "query in a bare fence under a heading",
                SEED_000
                    .replace(query, &format!("\n## Query\n\n```\n\n{query}"))
                    .replace(query_end, &format!("{query_end}\n```\n")),
                29,
            ),
            (
                "bare query under a heading",
                SEED_000.replace(query, &format!("## Query\n{query}")),
                25,
            ),
            ("markdown headings and bold labels", markdown, 26),
            (
                "bold summary fields run together",
                SEED_000
                    .replace("Malware Family:", "**Malware Family:**")
                    .replace("Total IOCs:", "**Total IOCs:**")
                    .replace("IOC Types:", "**IOC Types:**"),
                24,
            ),
        ];
        for (name, text, query_line) in cases {
            let rule = parse_clean(name, &text);
            let expected = Rule {
                query_line,
                ..seed.clone()
            };
            assert_eq!(rule, expected, "{name}");
        }
    }

    #[test]
    fn bare_query_from_a_table_name() {
        // No comments or `let`: the table name line, followed by an operator, starts the query.
        let alone = SEED_000
            .replace("// Hunt for files matching known malicious hashes\n", "")
            .replace("// Source: ThreatFox - Nanocore RAT\n", "");
        let alone = without_lines(&alone, 24, 24);
        let joined = alone.replace("DeviceFileEvents\n| where", "DeviceFileEvents | where");
        for (name, text, lines) in [("alone", alone, 4), ("joined", joined, 3)] {
            let (rule, _) = parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(rule.query_line, 24, "{name}");
            assert!(rule.query.starts_with("DeviceFileEvents"), "{name}");
            assert_eq!(rule.query.lines().count(), lines, "{name}");
            assert!(rule.query.ends_with("| order by Timestamp desc"), "{name}");
            assert_eq!(rule.table.as_deref(), Some("DeviceFileEvents"), "{name}");
            assert_eq!(rule.title.as_deref(), Some("ThreatFox: Nanocore RAT IOCs"), "{name}");
        }
    }

    #[test]
    fn scenario_forms() {
        let text = format!(
            "{}\n\n### Scenario 2: Browser update\n- **Description:** Chrome updates\n  fetch \
             files.\n- **Filter/Exclusion:**\nexclude chrome.exe\n**Scenario:**\nLabel alone\n\
             Description: d\nTrailing prose is no part of it.\n\n## References\nsee ThreatFox",
            without_lines(SEED_001, 19, 32)
        );
        let rule = parse_clean("scenarios", &text);
        let scenario = |name: &str, description: &str, filter: Option<&str>| Scenario {
            name: name.into(),
            description: Some(description.into()),
            filter: filter.map(Into::into),
        };
        assert_eq!(
            rule.scenarios,
            [
                scenario(
                    "Browser update",
                    "Chrome updates fetch files.",
                    Some("exclude chrome.exe")
                ),
                scenario("Label alone", "d", None),
            ]
        );
    }

    #[test]
    fn titles() {
        let heading = format!("# Nanocore hunting\n{SEED_000}");
        let detection = SEED_000.replacen(
            "The ThreatFox: Nanocore RAT IOCs rule detects",
            "The Emotet Loader detection flags",
            1,
        );
        let lowercase = SEED_001.replace("// Source: ThreatFox - Nanocore RAT\n", "").replacen(
            "The detection identifies",
            "The attacker evades the rule here",
            1,
        );
        let cases = [
            ("heading", heading.as_str(), Some("Nanocore hunting")),
            ("detection", detection.as_str(), Some("Emotet Loader")),
            ("none", lowercase.as_str(), None),
        ];
        for (name, text, title) in cases {
            let (rule, _) = parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(rule.title.as_deref(), title, "{name}");
        }
    }

    #[test]
    fn warnings_name_the_value() {
        let sha256 = "| ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303 |";
        let md5 = "| 93e61d5a877bbb937e885d3ca385ac8a |";
        let row = "| md5_hash | 10cf94eef24c8932d28698e02faf43e5 | payload | 2026-06-20 | 95% |";
        let short_row = "| md5_hash | 10cf94eef24c8932d28698e02faf43e5 |";
        let cases: Vec<(&str, String, Vec<&str>)> = vec![
            (
                "wrong-length hash",
                SEED_000.replace(sha256, "| ef0e9301403d |"),
                vec!["sha256_hash `ef0e9301403d` has 12 hex digits, expected 64"],
            ),
            (
                "non-hex hash",
                SEED_000.replace(md5, "| 93e61d5a877bbb937e885d3ca385ac8z |"),
                vec!["md5_hash `93e61d5a877bbb937e885d3ca385ac8z` contains non-hex character `z`"],
            ),
            (
                "non-hex multi-byte hash",
                SEED_000.replace(
                    "| 0b8b5c278750f6e4a14fde3495cd403eddb9f2bc |",
                    "| 0b8b5c278750f6e4a14fde3495cd403eddb9f2bé |",
                ),
                vec!["sha1_hash `0b8b5c278750f6e4a14fde3495cd403eddb9f2bé` contains non-hex character `é`"],
            ),
            (
                "mismatched total",
                SEED_000.replace("Total IOCs: 18", "Total IOCs: 19"),
                vec!["summary says Total IOCs: 19 but the IOC table has 18 rows"],
            ),
            (
                "short row",
                SEED_000.replace(row, short_row),
                vec![
                    "IOC table row on line 11 has 2 of the header's 5 cells: \
                     `| md5_hash | 10cf94eef24c8932d28698e02faf43e5 |`",
                ],
            ),
            (
                "row without a value",
                SEED_000.replace(row, "| md5_hash | | payload | 2026-06-20 | 95% |"),
                vec![
                    "IOC table row on line 11 has no value, so it is skipped: \
                     `| md5_hash | | payload | 2026-06-20 | 95% |`",
                ],
            ),
            (
                "no IOC table",
                without_lines(SEED_000, 4, 23),
                vec!["summary says Total IOCs: 18 but the document has no IOC table"],
            ),
            (
                "no IOC table, no total",
                without_lines(SEED_001, 4, 9).replace("Total IOCs: 4 ", ""),
                vec!["summary lists IOC types (domain) but the document has no IOC table"],
            ),
            (
                "second kql block",
                format!("{SEED_001}\n```kql\nDnsEvents\n| take 1\n```\n"),
                vec!["the KQL block on line 33 is ignored: a rule has one query, the first"],
            ),
        ];
        for (name, text, expected) in cases {
            assert_eq!(messages(&text), expected, "{name}");
        }
    }

    #[test]
    fn errors() {
        let no_query = without_lines(SEED_000, 24, 30);
        let cut_in_table = cut_after(SEED_000, "| 2470c9c99f13ded1f5b");
        let cases = [
            ("no query", no_query.as_str(), "no KQL query found in the document"),
            (
                "cut in the IOC table",
                cut_in_table.as_str(),
                "no KQL query found in the document",
            ),
            ("empty", "", "the document is empty"),
            ("blank with BOM", "\u{feff}\r\n  \n\t", "the document is empty"),
        ];
        for (name, text, message) in cases {
            let error = parse(text).expect_err(name);
            assert_eq!(
                error,
                RuleError {
                    path: PATH.into(),
                    message: message.into()
                },
                "{name}"
            );
            assert_eq!(error.to_string(), format!("{PATH}: {message}"), "{name}");
        }
    }

    #[test]
    fn query_cut_off_is_kept_as_far_as_it_goes() {
        let cases = [
            ("in a pipe line", "| where SHA256 in (malicious_hashes) or SH", 5),
            ("in the let", "let malicious_hashes = dynamic([\"ef0e93", 3),
        ];
        for (name, cut, lines) in cases {
            let text = cut_after(SEED_000, cut);
            let rule = parse_clean(name, &text);
            assert_eq!(rule.query_line, 24, "{name}");
            assert_eq!(rule.query.lines().count(), lines, "{name}");
            assert!(rule.query.ends_with(cut), "{name}");
            assert_eq!(rule.indicators.len(), 18, "{name}");
            assert_eq!(rule.table, None, "{name}");
            assert!(rule.scenarios.is_empty(), "{name}");
        }
    }

    #[test]
    fn any_prefix_of_multi_byte_text_is_safe() {
        let text = format!(
            "\u{feff}{}",
            SEED_001.replace("nanocore", "nanocöre✓").replace('\n', "\r\n")
        )
        .replace("| domain | moocow.my |", "| domain | mööcow.my |")
        .replace("Total IOCs:", "Total IOCs: ①");
        for (at, _) in text.char_indices() {
            let _ = parse(&text[..at]);
        }
        let (rule, _) = parse(&text).expect("the whole text parses");
        assert_eq!(rule.scenarios.len(), 5);
        assert_eq!(rule.declared_total, None);
    }
}
