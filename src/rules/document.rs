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

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use crate::hashing::FxHashMap;

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
    let text = crate::encoding::strip_bom(text);
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
    /// The columns `loghunt feed` adds (see [`Indicator::id`]).
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
    indicators: Vec<Indicator>,
    /// Line indices `start..end` of the query, once it is complete.
    query: Option<(usize, usize)>,
    table: Option<String>,
    scenarios: Vec<Scenario>,
    /// The scenario field that a wrapped line would continue (see [`Parser::prose`]).
    continuation: Option<Field>,
    /// The IOC rows' threat types, dates, confidences, references and feeds: a few distinct
    /// texts, each kept once.
    interned: [Interner; 5],
    /// The cells of the IOC row being read, a buffer reused from row to row.
    cells: Vec<Cow<'a, str>>,
    warnings: Vec<Warning>,
}

/// Each distinct text once, shared. A column often repeats the row above, which is checked
/// before the map.
#[derive(Default)]
struct Interner {
    seen: FxHashMap<Box<str>, Arc<str>>,
    last: Option<Arc<str>>,
}

impl Interner {
    fn get(&mut self, text: &str) -> Arc<str> {
        let shared = match &self.last {
            Some(last) if **last == *text => return Arc::clone(last),
            _ => match self.seen.get(text) {
                Some(shared) => Arc::clone(shared),
                None => {
                    let shared: Arc<str> = Arc::from(text);
                    self.seen.insert(text.into(), Arc::clone(&shared));
                    shared
                }
            },
        };
        self.last = Some(Arc::clone(&shared));
        shared
    }
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
                let starts_query = self.query.is_none() && query_starts_at(self.lines, index);
                let is_row = line.contains('|') && !is_kql_pipe(line) && !starts_query && !may_be_header(line);
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
                // The summary's total sizes the list (within reason: it may be wrong).
                self.indicators.reserve(self.declared_total.unwrap_or(0).min(1 << 16));
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
        self.ioc_rows += 1;
        let line_number = index + 1;
        let mut cells = std::mem::take(&mut self.cells);
        split_cells_into(line, &mut cells);
        self.read_ioc_row(line_number, line, &cells, columns);
        self.cells = cells;
    }

    fn read_ioc_row(&mut self, line_number: usize, line: &str, cells: &[Cow<'_, str>], columns: Columns) {
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
        let [threat_type, first_seen, confidence, reference, feed] = &mut self.interned;
        let indicator = Indicator {
            kind,
            value: value.to_string(),
            threat_type: cell(columns.threat_type).map(|text| threat_type.get(text)),
            first_seen: cell(columns.first_seen).map(|text| first_seen.get(text)),
            confidence: cell(columns.confidence).map(|text| confidence.get(text)),
            // Ids are unique per row: nothing to share.
            id: cell(columns.id).map(Arc::from),
            reference: cell(columns.reference).map(|text| reference.get(text)),
            feed: cell(columns.feed).map(|text| feed.get(text)),
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
/// `Threat Type`, `First Seen` and `Confidence` taken where present, and the columns that
/// `loghunt feed` adds: `IOC ID`, `Reference`, `Feed`.
fn ioc_columns(line: &str) -> Option<Columns> {
    // Every type column name contains "type": a cheap test that keeps data rows (a million, in
    // the biggest feeds) from being split and lower-cased twice.
    if !contains_ignoring_case(line, "type") {
        return None;
    }
    let cells = split_cells(line);
    let (mut kind, mut value, mut threat_type, mut first_seen, mut confidence) = (None, None, None, None, None);
    let (mut id, mut reference, mut feed) = (None, None, None);
    for (index, cell) in cells.iter().enumerate() {
        let name = clean_cell(cell).to_ascii_lowercase().replace('_', " ");
        let slot = match name.as_str() {
            "type" | "ioc type" | "indicator type" => &mut kind,
            "value" | "ioc" | "ioc value" | "indicator" | "indicator value" => &mut value,
            "threat type" | "threat" => &mut threat_type,
            "first seen" => &mut first_seen,
            "confidence" => &mut confidence,
            "ioc id" => &mut id,
            "reference" => &mut reference,
            "feed" => &mut feed,
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
        id,
        reference,
        feed,
        count: cells.len(),
    })
}

/// Whether `line` is an IOC table header or the Sentinel table's. Both hold a `t` (`type`,
/// `sentinel table`); most IOC rows hold none, and are passed in one search.
fn may_be_header(line: &str) -> bool {
    memchr::memchr2(b't', b'T', line.as_bytes()).is_some()
        && (ioc_columns(line).is_some() || sentinel_column(line).is_some())
}

/// The header of the Sentinel table (`| Sentinel Table | Notes |`): the cell holding the name.
fn sentinel_column(line: &str) -> Option<usize> {
    if !contains_ignoring_case(line, "sentinel table") {
        return None;
    }
    split_cells(line)
        .iter()
        .position(|cell| clean_cell(cell).eq_ignore_ascii_case("sentinel table"))
}

/// Whether `needle` (lowercase ASCII, not empty) occurs in `text`, ignoring ASCII case. Every
/// IOC row is asked this twice, so candidates are found with `memchr2` on the first letter.
fn contains_ignoring_case(text: &str, needle: &str) -> bool {
    let (text, needle) = (text.as_bytes(), needle.as_bytes());
    let Some(&first) = needle.first() else {
        return true;
    };
    memchr::memchr2_iter(first, first.to_ascii_uppercase(), text).any(|at| {
        text.get(at..at + needle.len())
            .is_some_and(|candidate| candidate.eq_ignore_ascii_case(needle))
    })
}

/// `|---|:--:|`, which separates a markdown header from its rows.
fn is_separator_row(line: &str) -> bool {
    // The character test first: it gives up at a data row's first letter.
    line.chars().all(|c| matches!(c, '|' | '-' | ':') || c.is_whitespace()) && line.contains('-')
}

/// The cells of a markdown table row, trimmed. The outer pipes are optional (rows lose them),
/// and `\|` is a pipe inside a cell. Cells borrow from `line` unless they hold such a pipe: a
/// million-IOC feed is a million rows.
fn split_cells(line: &str) -> Vec<Cow<'_, str>> {
    let mut cells = Vec::new();
    split_cells_into(line, &mut cells);
    cells
}

/// [`split_cells`] into a buffer that is cleared first, so that rows reuse one allocation.
fn split_cells_into<'l>(line: &'l str, cells: &mut Vec<Cow<'l, str>>) {
    cells.clear();
    let line = trim(line);
    let line = line.strip_prefix('|').unwrap_or(line);
    let line = match line.strip_suffix('|') {
        Some(rest) if !rest.ends_with('\\') => rest,
        _ => line,
    };
    let escaped_pipe = memchr::memchr_iter(b'\\', line.as_bytes()).any(|at| line.as_bytes().get(at + 1) == Some(&b'|'));
    if !escaped_pipe {
        let mut start = 0;
        for pipe in memchr::memchr_iter(b'|', line.as_bytes()) {
            cells.push(Cow::Borrowed(trim(&line[start..pipe])));
            start = pipe + 1;
        }
        cells.push(Cow::Borrowed(trim(&line[start..])));
        return;
    }
    let mut cell = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => cells.push(Cow::Owned(std::mem::take(&mut cell).trim().to_string())),
            c => cell.push(c),
        }
    }
    cells.push(Cow::Owned(cell.trim().to_string()));
}

/// `text.trim()`, quicker on the ASCII cells that IOC tables are made of.
fn trim(text: &str) -> &str {
    let trimmed = text.trim_ascii();
    let bytes = trimmed.as_bytes();
    if bytes.first().is_some_and(|b| !b.is_ascii()) || bytes.last().is_some_and(|b| !b.is_ascii()) {
        // Possibly Unicode whitespace, which `trim_ascii` leaves.
        return trimmed.trim();
    }
    trimmed
}

/// A cell's text without markdown decoration: surrounding `**` and backticks.
fn clean_cell(cell: &str) -> &str {
    let cell = trim(cell);
    let decorated = |b: Option<&u8>| matches!(b, Some(b'*' | b'`'));
    if !decorated(cell.as_bytes().first()) && !decorated(cell.as_bytes().last()) {
        return cell;
    }
    let cell = cell
        .strip_prefix("**")
        .and_then(|cell| cell.strip_suffix("**"))
        .unwrap_or(cell);
    cell.trim().trim_matches('`').trim()
}

/// A line's text with heading marks, a list bullet and `**` removed, so that `Scenario:`,
/// `## Scenario: x`, `**Scenario:** x` and `- **Description:** x` read alike.
/// Borrowed when there is no `**`: a bare query's lines pass through here, and a line holding a
/// 5,000-value list is a quarter of a megabyte.
fn label_content(line: &str) -> Cow<'_, str> {
    let mut text = line.trim_start_matches('#').trim_start();
    for bullet in ["- ", "* ", "+ "] {
        if let Some(rest) = text.strip_prefix(bullet) {
            text = rest;
            break;
        }
    }
    if memchr::memmem::find(text.as_bytes(), b"**").is_none() {
        return Cow::Borrowed(text.trim());
    }
    Cow::Owned(text.replace("**", "").trim().to_string())
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
#[path = "document_tests.rs"]
mod tests;
