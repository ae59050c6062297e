//! Microsoft Sentinel analytics rules and hunting queries as YAML files (`.yaml`, `.yml`, the
//! format of the Azure-Sentinel repository): the top-level `name` becomes the rule's title and
//! the `query` block scalar its query. The block's lines are kept as they are, indentation
//! included, so that a position in the query is the same line and column in the file.
//!
//! Only those two keys are read, so no YAML library: a top-level key is a line that starts
//! with the key and a colon; the query is a literal block scalar (`query: |`, with `-`, `+` or
//! an indentation digit), whose lines are every following line that is blank or indented at
//! least as much as its first one (or as the digit says). A folded (`>`) or quoted query is an
//! error naming the line, not a guess: folding would join a `//` comment with the next line.

use std::path::Path;

use super::{Rule, RuleError};

/// Reads one analytics rule. `id` is the rule's id (the file stem).
pub fn parse_analytics_rule(id: &str, path: &Path, text: &str) -> Result<Rule, RuleError> {
    let error = |line: usize, message: String| RuleError {
        path: path.to_path_buf(),
        message: if line == 0 {
            message
        } else {
            format!("line {line}: {message}")
        },
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let mut title = None;
    let mut query: Option<(String, u32)> = None;
    let mut at = 0;
    while at < lines.len() {
        let line = lines[at];
        at += 1;
        let Some((key, value)) = top_level(line) else { continue };
        match key {
            "name" => title = Some(unquoted(value)),
            "query" => {
                if query.is_some() {
                    return Err(error(at, "a second `query:`".into()));
                }
                let indent = block_header(value).map_err(|why| error(at, why))?;
                let (block, first, end) = block(&lines, at, indent);
                if block.trim().is_empty() {
                    return Err(error(at, "the `query:` block is empty".into()));
                }
                query = Some((block, first as u32 + 1));
                at = end;
            }
            _ => {}
        }
    }
    let Some((query, query_line)) = query else {
        return Err(error(
            0,
            "no `query:` in the analytics rule (a Sentinel rule YAML has `query: |` and the query indented below)"
                .into(),
        ));
    };
    Ok(Rule {
        title: title.filter(|t| !t.is_empty()),
        query_line,
        ..Rule::of_query(id, path, query)
    })
}

/// `key: value` of a line that starts a top-level key (no indentation, not a comment or a
/// list item).
fn top_level(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once(':')?;
    let simple = key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !key.is_empty();
    simple.then(|| (key, value.trim()))
}

/// A scalar on the key's line: quotes removed (YAML's `''` in single quotes is one quote).
fn unquoted(value: &str) -> String {
    let value = strip_comment(value);
    if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        return inner.replace("''", "'");
    }
    if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        return inner.replace("\\\"", "\"").replace("\\\\", "\\");
    }
    value.to_string()
}

/// A value without its trailing ` # comment`.
fn strip_comment(value: &str) -> &str {
    match value.find(" #") {
        Some(at) if !value.starts_with(['\'', '"']) => value[..at].trim_end(),
        _ => value,
    }
}

/// The indentation a literal block header (`|`, `|-`, `|+`, `|2-`...) fixes, if it fixes one.
fn block_header(value: &str) -> Result<Option<usize>, String> {
    let header = strip_comment(value);
    let Some(indicators) = header.strip_prefix('|') else {
        return Err(match header.chars().next() {
            Some('>') => "the query is a folded block (`query: >`): only a literal block (`query: |`) is read, since folding would change the query".into(),
            Some(_) => format!("the query must be a literal block (`query: |` and the query indented below), not `{header}`"),
            None => "the query must be a literal block (`query: |` and the query indented below)".into(),
        });
    };
    let digits: String = indicators.chars().filter(char::is_ascii_digit).collect();
    if indicators.chars().any(|c| !c.is_ascii_digit() && c != '-' && c != '+') {
        return Err(format!("`query: {header}` is not a block scalar header"));
    }
    Ok(digits.parse().ok())
}

/// The block starting at line index `from`: its text, the index of its first line, and the
/// index of the first line after it.
fn block(lines: &[&str], from: usize, indent: Option<usize>) -> (String, usize, usize) {
    let indentation = |line: &str| line.len() - line.trim_start_matches(' ').len();
    let indent = indent.unwrap_or_else(|| {
        lines[from..]
            .iter()
            .find(|l| !l.trim().is_empty())
            .map_or(1, |l| indentation(l))
            .max(1)
    });
    let mut end = from;
    let mut last_text = from;
    while end < lines.len() {
        let line = lines[end];
        if !line.trim().is_empty() {
            if indentation(line) < indent {
                break;
            }
            last_text = end + 1;
        }
        end += 1;
    }
    // Blank lines after the query belong to no one; keep the block's own.
    let text = lines[from..last_text].join("\n");
    (text, from, last_text.max(from))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Rule, String> {
        parse_analytics_rule("r", Path::new("r.yaml"), text).map_err(|e| e.to_string())
    }

    /// (YAML, title, query, first line of the query)
    #[test]
    fn reads_the_name_and_the_query_block() {
        let cases: &[(&str, Option<&str>, &str, u32)] = &[
            (
                "id: 1\nname: TI map Domain entity to DnsEvents\nquery: |\n  let a = 1h;\n  DnsEvents\n  | take 1\nversion: 1.0.0\n",
                Some("TI map Domain entity to DnsEvents"),
                "  let a = 1h;\n  DnsEvents\n  | take 1",
                4,
            ),
            // Blank lines inside the block stay; a comment-only line deeper in stays; the block
            // ends at the next top-level key.
            (
                "query: |-\n    T\n\n    // why\n    | count\nentityMappings:\n  - entityType: Host\n",
                None,
                "    T\n\n    // why\n    | count",
                2,
            ),
            // Quoted names; the last lines of the file end the block.
            (
                "name: 'It''s a rule'\nquery: |\n  T | take 1",
                Some("It's a rule"),
                "  T | take 1",
                3,
            ),
            ("name: \"Quoted \\\"x\\\"\"\nquery: |2\n   T\n  | take 1\n", Some("Quoted \"x\""), "   T\n  | take 1", 3),
            // A top-level `query` key inside the block's text is not a key: it is indented.
            (
                "query: |\n  T\n  | where x == 'query: |'\ndescription: |\n  query: not this\n",
                None,
                "  T\n  | where x == 'query: |'",
                2,
            ),
        ];
        for (text, title, query, line) in cases {
            let rule = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(rule.title.as_deref(), *title, "{text}");
            assert_eq!(rule.query, *query, "{text}");
            assert_eq!(rule.query_line, *line, "{text}");
        }
    }

    #[test]
    fn other_query_forms_are_errors_naming_the_line() {
        let cases = [
            (
                "name: x\nquery: >\n  T\n",
                "r.yaml: line 2: the query is a folded block",
            ),
            (
                "query: \"T | take 1\"\n",
                "r.yaml: line 1: the query must be a literal block",
            ),
            (
                "query: T | take 1\n",
                "r.yaml: line 1: the query must be a literal block",
            ),
            (
                "query: |x\n  T\n",
                "r.yaml: line 1: `query: |x` is not a block scalar header",
            ),
            ("query: |\n\nname: x\n", "r.yaml: line 1: the `query:` block is empty"),
            ("query: |\n  T\nquery: |\n  U\n", "r.yaml: line 3: a second `query:`"),
            ("id: 1\nname: x\n", "r.yaml: no `query:` in the analytics rule"),
        ];
        for (text, expected) in cases {
            let message = parse(text).expect_err(text);
            assert!(message.starts_with(expected), "{text}: {message}");
        }
    }
}
