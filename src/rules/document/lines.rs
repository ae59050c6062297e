//! What one line of a rule document is: the clues the parser (`mod.rs`) reads a document by —
//! where a query starts and ends, IOC and Sentinel table rows and their cells, labelled lines
//! (`Scenario:`, `Filter/Exclusion:`), headings and fences — and the small text helpers they
//! share. Pure functions of the line (and its neighbours), each tested through the parser (the
//! SSE2 pipe mask also against its byte-at-a-time reference).

use std::borrow::Cow;

use super::{Columns, KQL_OPERATORS, SHOWN_CHARS};

/// The rule's title, by the first of these that gives one:
///
/// 1. a markdown `# Heading` as the first line;
/// 2. the name in the document's opening sentence, `The <title> rule ...` or
///    `The <title> detection ...`, if it starts with a capital (so that `The attacker uses a
///    rule ...` gives nothing);
/// 3. the query's `// Source: <title>` comment.
pub(super) fn title(lines: &[&str], query: &[&str]) -> Option<String> {
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

pub(super) fn sentence_title(line: &str) -> Option<String> {
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

pub(super) fn source_comment(query: &[&str]) -> Option<String> {
    query.iter().find_map(|line| {
        let comment = line.trim().strip_prefix("//")?.trim();
        let source = strip_prefix_ci(comment, "source:")?.trim();
        (!source.is_empty()).then(|| source.to_string())
    })
}

/// Whether a query starts on line `index`: a statement start (see [`is_statement_start`]), or
/// a block of `//` comment lines directly above one, since those comments belong to the query.
pub(super) fn query_starts_at(lines: &[&str], index: usize) -> bool {
    let Some(line) = lines.get(index).map(|line| trim(line)) else {
        return false;
    };
    // A table row (asked of every IOC row): no statement starts with a pipe.
    if line.starts_with('|') {
        return false;
    }
    if !line.starts_with("//") {
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
pub(super) fn is_statement_start(lines: &[&str], index: usize) -> bool {
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

pub(super) fn is_let(line: &str) -> bool {
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
pub(super) fn is_kql_pipe(line: &str) -> bool {
    // Asked of every IOC row: `str::trim`, a character at a time from each end, was most of it.
    let line = trim(line);
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
pub(super) fn is_section_start(line: &str) -> bool {
    if is_fence(line) || is_heading(line) || (line.starts_with('|') && !is_kql_pipe(line)) {
        return true;
    }
    // `memchr`, not `str::contains`: a bare query's lines pass through here, and a line holding
    // a 5,000-value list is a quarter of a megabyte.
    let has_pipe = memchr::memchr(b'|', line.as_bytes()).is_some();
    if has_pipe && (ioc_columns(line).is_some() || sentinel_column(line).is_some()) {
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
pub(super) fn is_other_section(content: &str) -> bool {
    ["false positive", "ioc summary"]
        .iter()
        .any(|label| strip_prefix_ci(content, label).is_some())
}

pub(super) fn is_fence(line: &str) -> bool {
    line.starts_with("```")
}

pub(super) fn is_heading(line: &str) -> bool {
    let rest = line.trim_start_matches('#');
    rest.len() < line.len() && (rest.is_empty() || rest.starts_with(char::is_whitespace))
}

/// The header of an IOC table: cells named (in any order, any case) `Type` and `Value`, with
/// `Threat Type`, `First Seen` and `Confidence` taken where present, and the columns that
/// `loghunt feed` adds: `IOC ID`, `Reference`, `Feed`.
pub(super) fn ioc_columns(line: &str) -> Option<Columns> {
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
pub(super) fn may_be_header(line: &str) -> bool {
    memchr::memchr2(b't', b'T', line.as_bytes()).is_some()
        && (ioc_columns(line).is_some() || sentinel_column(line).is_some())
}

/// The header of the Sentinel table (`| Sentinel Table | Notes |`): the cell holding the name.
pub(super) fn sentinel_column(line: &str) -> Option<usize> {
    if !contains_ignoring_case(line, "sentinel table") {
        return None;
    }
    split_cells(line)
        .iter()
        .position(|cell| clean_cell(cell).eq_ignore_ascii_case("sentinel table"))
}

/// Whether `needle` (lowercase ASCII, not empty) occurs in `text`, ignoring ASCII case. Every
/// IOC row is asked this twice, so candidates are found with `memchr2` on the first letter.
pub(super) fn contains_ignoring_case(text: &str, needle: &str) -> bool {
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
pub(super) fn is_separator_row(line: &str) -> bool {
    // The character test first: it gives up at a data row's first letter, told from its byte
    // (asked of every IOC row; decoding characters was most of the call). Only a byte past
    // ASCII, which may be Unicode white space, needs the characters.
    let separator = |b: u8| matches!(b, b'|' | b'-' | b':' | 0x0b) || b.is_ascii_whitespace();
    match line.bytes().find(|&b| !separator(b)) {
        None => line.contains('-'),
        Some(b) if b.is_ascii() => false,
        Some(_) => is_separator_row_by_chars(line),
    }
}

/// [`is_separator_row`] a character at a time: its definition, for lines past ASCII.
pub(super) fn is_separator_row_by_chars(line: &str) -> bool {
    line.chars().all(|c| matches!(c, '|' | '-' | ':') || c.is_whitespace()) && line.contains('-')
}

/// The cells of a markdown table row, trimmed. The outer pipes are optional (rows lose them),
/// and `\|` is a pipe inside a cell. Cells borrow from `line` unless they hold such a pipe: a
/// million-IOC feed is a million rows.
pub(super) fn split_cells(line: &str) -> Vec<Cow<'_, str>> {
    let mut cells = Vec::new();
    split_cells_into(line, &mut cells);
    cells
}

/// [`split_cells`] into a buffer that is cleared first, so that rows reuse one allocation.
pub(super) fn split_cells_into<'l>(line: &'l str, cells: &mut Vec<Cow<'l, str>>) {
    cells.clear();
    let line = row_body(line);
    let mut start = 0;
    let unescaped = cell_pipes(line, |at| {
        cells.push(Cow::Borrowed(trim(&line[start..at])));
        start = at + 1;
    });
    if unescaped {
        cells.push(Cow::Borrowed(trim(&line[start..])));
        return;
    }
    // A `\|` is a pipe inside a cell: such a row is split the slow way, its cells unescaped.
    cells.clear();
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

/// A table row's text inside its outer pipes, which rows may have lost (a last pipe after a
/// backslash is an escaped one, and stays).
fn row_body(line: &str) -> &str {
    let line = trim(line);
    let line = line.strip_prefix('|').unwrap_or(line);
    match line.strip_suffix('|') {
        Some(rest) if !rest.ends_with('\\') => rest,
        _ => line,
    }
}

/// Where a table row's cells are, without cutting them out: the row's body ([`row_body`]),
/// with `pipes` set to the positions in it of the pipes between cells — so that an IOC row,
/// of which two cells are read, is not trimmed and collected cell by cell. `None` if the row
/// has an escaped pipe (`\|`), whose cells [`split_cells`] unescapes.
pub(super) fn cell_bounds<'l>(line: &'l str, pipes: &mut Vec<usize>) -> Option<&'l str> {
    pipes.clear();
    let body = row_body(line);
    cell_pipes(body, |at| pipes.push(at)).then_some(body)
}

/// The body of an IOC row written as nearly all are, and the positions in it of its pipes, in
/// one pass over its bytes: [`cell_bounds`] of a trimmed `line` that starts and ends with a pipe
/// and holds no backslash, no `t` or `T` (so it is no header, see [`may_be_header`]), no
/// vertical tab and nothing past ASCII (so its cells trim as ASCII). `None` for any other line,
/// which is read the general way. A million-row table was trimmed, searched for a `t`, and
/// split, each in a pass of its own.
pub(super) fn plain_row_body<'l>(line: &'l str, pipes: &mut Vec<usize>) -> Option<&'l str> {
    pipes.clear();
    let body = line.strip_prefix('|')?.strip_suffix('|')?;
    let bytes = body.as_bytes();
    let mut plain = true;
    crate::encoding::windows16(bytes, |base, chunk| {
        // The zeros padding the last window are none of these bytes.
        let other = crate::encoding::byte_set_mask16(chunk, [b'\\', b't', b'T', 0x0b]);
        if other | crate::encoding::high_bit_mask16(chunk) != 0 {
            plain = false;
            return false;
        }
        let mut mask = crate::encoding::byte_set_mask16(chunk, [b'|']);
        while mask != 0 {
            pipes.push(base + mask.trailing_zeros() as usize);
            mask &= mask - 1;
        }
        true
    });
    plain.then_some(body)
}

/// Calls `pipe` with the position of each pipe between the cells of a row body, in order;
/// stops and gives `false` at an escaped pipe (`\|`), `true` if the row has none.
#[inline(always)]
fn cell_pipes(body: &str, mut pipe: impl FnMut(usize)) -> bool {
    let bytes = body.as_bytes();
    let mut escaped_pipe = false;
    pipes_and_backslashes(bytes, |at| {
        if bytes[at] == b'|' {
            pipe(at);
        } else if bytes.get(at + 1) == Some(&b'|') {
            escaped_pipe = true;
            return false;
        }
        true
    });
    !escaped_pipe
}

/// Cell `index` (trimmed) of a row body whose pipes are at `pipes` ([`cell_bounds`]); the
/// row has `pipes.len() + 1` cells.
pub(super) fn cell_of<'l>(body: &'l str, pipes: &[usize], index: usize) -> Option<&'l str> {
    cell_between_pipes(body, pipes, index).map(trim)
}

/// Cell `index` of a row body whose pipes are at `pipes`, as written (not trimmed).
#[inline]
fn cell_between_pipes<'l>(body: &'l str, pipes: &[usize], index: usize) -> Option<&'l str> {
    let start = match index {
        0 => 0,
        _ => *pipes.get(index - 1)? + 1,
    };
    let end = pipes.get(index).copied().unwrap_or(body.len());
    Some(&body[start..end])
}

/// [`cell_of`] cleaned ([`clean_cell`]), of a row [`plain_row_body`] read: its cells are ASCII
/// with no vertical tab, which `str::trim` takes and `trim_ascii` leaves, so they trim as ASCII.
pub(super) fn plain_cell_of<'l>(body: &'l str, pipes: &[usize], index: usize) -> Option<&'l str> {
    let cell = cell_between_pipes(body, pipes, index)?.trim_ascii();
    Some(if is_decorated(cell) { clean_cell(cell) } else { cell })
}

/// Calls `visit` with the position of each `|` and `\\` of `bytes`, in order, until it
/// returns `false`. Sixteen bytes at a time, the positions read off one bit mask: a table row
/// has half a dozen pipes in ~140 bytes, and a `memchr2` search restarted after each one
/// spent more in starting than in searching (two fifths of reading a million-row table).
fn pipes_and_backslashes(bytes: &[u8], mut visit: impl FnMut(usize) -> bool) {
    crate::encoding::windows16(bytes, |base, chunk| {
        let mut mask = pipe_mask(chunk);
        while mask != 0 {
            if !visit(base + mask.trailing_zeros() as usize) {
                return false;
            }
            mask &= mask - 1;
        }
        true
    });
}

/// Of 16 bytes, the `|` and `\\` as bits.
#[inline(always)]
fn pipe_mask(chunk: &[u8; 16]) -> u32 {
    crate::encoding::byte_set_mask16(chunk, [b'|', b'\\'])
}

pub(super) use crate::rules::trim;

/// The text of a row's cell `column` ([`clean_cell`]), if the row has it and it is not empty.
pub(super) fn cell_text<'c>(cells: &'c [Cow<'_, str>], column: Option<usize>) -> Option<&'c str> {
    column
        .and_then(|column| cells.get(column))
        .map(|cell| clean_cell(cell))
        .filter(|cell| !cell.is_empty())
}

/// A cell's text without markdown decoration: surrounding `**` and backticks.
pub(super) fn clean_cell(cell: &str) -> &str {
    let cell = trim(cell);
    if !is_decorated(cell) {
        return cell;
    }
    let cell = cell
        .strip_prefix("**")
        .and_then(|cell| cell.strip_suffix("**"))
        .unwrap_or(cell);
    cell.trim().trim_matches('`').trim()
}

/// Whether a trimmed cell starts or ends with markdown decoration (`*`, a backtick), which
/// [`clean_cell`] takes off.
#[inline]
fn is_decorated(cell: &str) -> bool {
    let decoration = |b: Option<&u8>| matches!(b, Some(b'*' | b'`'));
    decoration(cell.as_bytes().first()) || decoration(cell.as_bytes().last())
}

/// A line's text with heading marks, a list bullet and `**` removed, so that `Scenario:`,
/// `## Scenario: x`, `**Scenario:** x` and `- **Description:** x` read alike.
/// Borrowed when there is no `**`: a bare query's lines pass through here, and a line holding a
/// 5,000-value list is a quarter of a megabyte.
pub(super) fn label_content(line: &str) -> Cow<'_, str> {
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
pub(super) fn scenario_name(content: &str) -> Option<&str> {
    let rest = strip_prefix_ci(content, "scenario")?;
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c.is_whitespace() || c == '#');
    Some(rest.strip_prefix(':')?.trim())
}

/// `Label: text` → `text`, for the first of `labels` (lowercase) that `content` starts with.
pub(super) fn label_value<'c>(content: &'c str, labels: &[&str]) -> Option<&'c str> {
    labels.iter().find_map(|label| {
        let rest = strip_prefix_ci(content, label)?.trim_start();
        Some(rest.strip_prefix(':')?.trim())
    })
}

/// `text` without `prefix` (lowercase ASCII), ignoring ASCII case.
pub(super) fn strip_prefix_ci<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

/// Splits a leading identifier (letter or `_`, then letters, digits, `_`) off `text`.
pub(super) fn split_identifier(text: &str) -> (&str, &str) {
    if text.starts_with(|c: char| c.is_ascii_digit()) {
        return ("", text);
    }
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    text.split_at(end)
}

pub(super) fn is_identifier(text: &str) -> bool {
    let (name, rest) = split_identifier(text);
    !name.is_empty() && rest.is_empty()
}

/// Whether the fenced block opening on line `fence` starts the way a bare query does.
pub(super) fn fence_holds_query(lines: &[&str], fence: usize) -> bool {
    let first = (fence + 1..lines.len()).find(|&i| lines.get(i).is_some_and(|l| !l.trim().is_empty()));
    // A closing fence is no query start, so an empty block holds none.
    first.is_some_and(|index| query_starts_at(lines, index))
}

/// Adds `text` to a scenario field, joining a wrapped line to what is already there.
pub(super) fn append(field: &mut Option<String>, text: &str) {
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
pub(super) fn shown(text: &str) -> String {
    if text.chars().count() <= SHOWN_CHARS {
        return text.to_string();
    }
    let mut short: String = text.chars().take(SHOWN_CHARS - 1).collect();
    short.push('…');
    short
}
