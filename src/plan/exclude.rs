//! Exclusions (`--exclude FILE`): allowlist predicates in KQL, each scoped to a rule, a table or
//! every rule, applied to the final result rows of each rule (what Sentinel would return) after
//! the scan, so that the rows that remain are still exact. A suppressed row is not lost: it is
//! kept with the exclusion that suppressed it, counted per exclusion and per rule, and an
//! exclusion that suppresses nothing is listed, so that stale allowlists show.
//!
//! # The file
//!
//! One exclusion a line, `SCOPE: PREDICATE`:
//!
//! ```text
//! # comment lines start with `#` or `//`; blank lines are skipped
//! 000_4a715f3ed2ee4353: FolderPath startswith @"C:\Windows\System32\"
//! table DeviceFileEvents: InitiatingProcessFileName =~ "MsMpEng.exe"
//! *: DeviceName in~ ("lab-01", "lab-02")
//! ```
//!
//! - The scope is the text before the first `:`: a rule id (a result id such as `q#2` names one
//!   result of a query with several; a rule id names all of them), `table NAME` (every rule
//!   whose query reads that table), or `*` (every rule).
//! - The predicate is KQL, parsed by the query parser ([`crate::kql`]) and compiled by the
//!   engine's scalar planner against the columns of the rule's result — not the table's: a rule
//!   that projects `Timestamp, DeviceName, SHA256` can be filtered on those three only.
//! - A rule-scoped exclusion that names a column the rule's result lacks is an error naming
//!   `file:line:column` and the result's columns. A table or `*` exclusion simply does not apply
//!   to a rule whose result lacks one of its columns; the summary says so. A scope that names
//!   no rule of the scan is listed in the summary too, not an error (one allowlist serves
//!   several rule sets).
//! - A row is suppressed by the first exclusion, in file order, whose predicate is `true` on it
//!   (null or `false` keep the row).
//!
//! Errors (a line that is not `SCOPE: PREDICATE`, an unknown table, KQL that does not parse or
//! compile, a predicate that is not a condition) name `file:line:column`.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::kql::{self, Expr, ExprKind, Operator};
use crate::plan::query::expr::{plain, Context, Scalar};
use crate::plan::query::{plan_scalar, Col, Row};
use crate::plan::{Output, Plan, RuleResult};
use crate::rules::Rule;
use crate::schema::{self, ColumnType};
use crate::value::Value;

/// What an exclusion applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// A rule id, or one result id of a rule (`id#2`).
    Rule(String),
    /// Every rule whose query reads this table.
    Table(String),
    /// Every rule.
    All,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Rule(id) => f.write_str(id),
            Scope::Table(name) => write!(f, "table {name}"),
            Scope::All => f.write_str("*"),
        }
    }
}

/// One line of an exclusion file.
#[derive(Debug, Clone)]
pub struct Exclusion {
    pub source: PathBuf,
    /// 1-based line in the file.
    pub line: u32,
    pub scope: Scope,
    /// The predicate as written.
    pub predicate: String,
    expr: Expr,
    /// 1-based column (in characters) of the predicate in its line.
    column: u32,
}

impl Exclusion {
    /// `file:line`, how messages and the JSON lines name the exclusion.
    pub fn label(&self) -> String {
        format!("{}:{}", self.source.display(), self.line)
    }

    /// `file:line: scope: predicate`: the `excluded` value of a suppressed JSON line.
    pub fn describe(&self) -> String {
        format!("{}: {}: {}", self.label(), self.scope, self.predicate)
    }
}

/// An exclusion file that cannot be used: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcludeError {
    pub path: PathBuf,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl fmt::Display for ExcludeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            return write!(f, "{}: {}", self.path.display(), self.message);
        }
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

impl std::error::Error for ExcludeError {}

/// The exclusions of one or more files, in file order.
#[derive(Debug, Clone, Default)]
pub struct Exclusions {
    pub list: Vec<Exclusion>,
}

/// What the parser is given in front of a predicate, so that it reads it as a `where`.
const PREFIX: &str = "T | where ";

impl Exclusions {
    /// Reads and parses an exclusion file.
    pub fn load(path: &Path) -> Result<Exclusions, ExcludeError> {
        let text = std::fs::read_to_string(path).map_err(|e| ExcludeError {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: format!("cannot read the exclusion file: {e}"),
        })?;
        Exclusions::parse(path, &text)
    }

    /// Parses the text of an exclusion file; `path` names it in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Exclusions, ExcludeError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut list = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let number = index as u32 + 1;
            let error = |column: usize, message: String| ExcludeError {
                path: path.to_path_buf(),
                line: number,
                column: column as u32,
                message,
            };
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("//") {
                continue;
            }
            let indent = line.chars().take_while(|c| c.is_whitespace()).count();
            let Some((scope_text, rest)) = trimmed.split_once(':') else {
                return Err(error(
                    indent + 1,
                    "expected `SCOPE: PREDICATE` (SCOPE a rule id, `table NAME` or `*`)".into(),
                ));
            };
            let scope = parse_scope(scope_text.trim()).map_err(|m| error(indent + 1, m))?;
            let predicate = rest.trim();
            // Characters before the predicate: the indent, the scope, the colon, the blanks.
            let column =
                indent + scope_text.chars().count() + 1 + rest.chars().take_while(|c| c.is_whitespace()).count() + 1;
            if predicate.is_empty() {
                return Err(error(column, format!("no predicate after `{}:`", scope_text.trim())));
            }
            let expr = parse_predicate(predicate).map_err(|(at, m)| error(column + at - 1, m))?;
            list.push(Exclusion {
                source: path.to_path_buf(),
                line: number,
                scope,
                predicate: predicate.to_string(),
                expr,
                column: column as u32,
            });
        }
        Ok(Exclusions { list })
    }

    /// Appends the exclusions of another file.
    pub fn extend(&mut self, other: Exclusions) {
        self.list.extend(other.list);
    }

    /// Compiles each exclusion for each result of `plan` it applies to, before the scan, so
    /// that a bad exclusion fails before gigabytes are read.
    pub fn bind(&self, plan: &Plan, now: i64) -> Result<Bound, ExcludeError> {
        let shapes = result_shapes(plan);
        let mut per_result: Vec<Vec<(usize, Scalar)>> = shapes.iter().map(|_| Vec::new()).collect();
        let mut notes: Vec<Vec<String>> = self.list.iter().map(|_| Vec::new()).collect();
        let mut applies: Vec<usize> = vec![0; self.list.len()];
        for (index, exclusion) in self.list.iter().enumerate() {
            for (at, shape) in shapes.iter().enumerate() {
                if !in_scope(&exclusion.scope, shape) {
                    continue;
                }
                let mut names = Vec::new();
                names_of(&exclusion.expr, &mut names);
                let missing: Vec<&str> = names
                    .iter()
                    .map(String::as_str)
                    .filter(|n| !shape.columns.iter().any(|c| c.name == *n))
                    .collect();
                if !missing.is_empty() {
                    if let Scope::Rule(_) = exclusion.scope {
                        let columns: Vec<&str> = shape.columns.iter().map(|c| c.name.as_str()).collect();
                        return Err(ExcludeError {
                            path: exclusion.source.clone(),
                            line: exclusion.line,
                            column: exclusion.column,
                            message: format!(
                                "rule {}: its result has no column {} (its columns: {})",
                                shape.id,
                                quoted(&missing),
                                columns.join(", ")
                            ),
                        });
                    }
                    notes[index].push(format!(
                        "not applied to rule {}: no column {}",
                        shape.id,
                        quoted(&missing)
                    ));
                    continue;
                }
                let scalar = compile(exclusion, &shape.id, &shape.columns, now)?;
                per_result[at].push((index, scalar));
                applies[index] += 1;
            }
            if applies[index] == 0 && notes[index].is_empty() {
                notes[index].push("matches no rule of this scan".into());
            }
        }
        Ok(Bound {
            exclusions: self.list.clone(),
            per_result,
            notes,
            now,
        })
    }
}

/// Exclusions compiled against the results of one plan.
#[derive(Debug)]
pub struct Bound {
    pub exclusions: Vec<Exclusion>,
    /// Per result (in the order [`Plan::finish`] gives them): the exclusions that apply, by
    /// index, compiled against its columns.
    per_result: Vec<Vec<(usize, Scalar)>>,
    /// Per exclusion: the rules it does not apply to and why, or that it names none.
    notes: Vec<Vec<String>>,
    now: i64,
}

/// A result row an exclusion suppressed.
#[derive(Debug, Clone)]
pub struct Suppressed {
    /// The result (index in the results given to [`apply`]).
    pub result: usize,
    pub row: Row,
    /// The exclusion (index in [`ExclusionReport::exclusions`]).
    pub exclusion: usize,
}

/// What one exclusion did.
#[derive(Debug, Clone)]
pub struct ExclusionCount {
    pub exclusion: Exclusion,
    /// Rows suppressed, over all rules.
    pub suppressed: u64,
    /// Rows suppressed per rule (result id), in result order; rules it applies to but
    /// suppressed nothing of are listed with 0.
    pub by_rule: Vec<(String, u64)>,
    /// Rules it does not apply to and why (a missing column), or that it names no rule.
    pub notes: Vec<String>,
}

/// Everything the exclusions did to a scan's results.
#[derive(Debug, Clone, Default)]
pub struct ExclusionReport {
    pub exclusions: Vec<ExclusionCount>,
    /// The suppressed rows, by result and then in the result's order.
    pub suppressed: Vec<Suppressed>,
}

impl ExclusionReport {
    /// Rows suppressed of the result at `index`.
    pub fn suppressed_of(&self, index: usize) -> usize {
        self.suppressed.iter().filter(|s| s.result == index).count()
    }
}

/// Removes from `results` the rows an exclusion suppresses (the others keep their order) and
/// reports them, with the counts per exclusion and rule.
pub fn apply(bound: &Bound, results: &mut [RuleResult]) -> ExclusionReport {
    let mut report = ExclusionReport {
        exclusions: bound
            .exclusions
            .iter()
            .zip(&bound.notes)
            .map(|(exclusion, notes)| ExclusionCount {
                exclusion: exclusion.clone(),
                suppressed: 0,
                by_rule: Vec::new(),
                notes: notes.clone(),
            })
            .collect(),
        suppressed: Vec::new(),
    };
    let context = Context::new(bound.now);
    for (index, (result, applicable)) in results.iter_mut().zip(&bound.per_result).enumerate() {
        let mut counts = vec![0u64; applicable.len()];
        let rows = std::mem::take(&mut result.rows);
        for row in rows {
            let matched = applicable.iter().position(|(_, scalar)| {
                matches!(plain(&scalar.eval(&row.values, &context)).as_ref(), Value::Bool(true))
            });
            match matched {
                Some(at) => {
                    counts[at] += 1;
                    report.suppressed.push(Suppressed {
                        result: index,
                        row,
                        exclusion: applicable[at].0,
                    });
                }
                None => result.rows.push(row),
            }
        }
        for ((exclusion, _), count) in applicable.iter().zip(counts) {
            let entry = &mut report.exclusions[*exclusion];
            entry.suppressed += count;
            entry.by_rule.push((result.id.clone(), count));
        }
    }
    report
}

/// The id, table(s) and columns of a result of the plan.
#[derive(Debug, Clone)]
pub struct ResultShape {
    pub id: String,
    /// The table, or tables comma-separated, its rule reads.
    pub table: String,
    pub columns: Vec<Col>,
    /// The rule (index in [`Plan::rules`]) it is a result of.
    pub rule: usize,
}

/// Every result the plan will give, in the order [`Plan::finish`] gives them: one per rule, or
/// one per tabular statement of a query with several (`id`, `id#2`...).
pub fn result_shapes(plan: &Plan) -> Vec<ResultShape> {
    let mut shapes = Vec::new();
    for (index, rule) in plan.rules.iter().enumerate() {
        match &rule.output {
            Output::Pipeline => shapes.push(ResultShape {
                id: rule.id.clone(),
                table: rule.table.clone(),
                columns: plan.pipelines[rule.first]
                    .columns
                    .iter()
                    .map(|c| Col::new(c.name.clone(), Some(c.ty)))
                    .collect(),
                rule: index,
            }),
            Output::Program(program) => {
                for (i, (_, columns)) in program.results.iter().enumerate() {
                    shapes.push(ResultShape {
                        id: if i == 0 {
                            rule.id.clone()
                        } else {
                            format!("{}#{}", rule.id, i + 1)
                        },
                        table: rule.table.clone(),
                        columns: columns.clone(),
                        rule: index,
                    });
                }
            }
        }
    }
    shapes
}

fn in_scope(scope: &Scope, shape: &ResultShape) -> bool {
    match scope {
        Scope::All => true,
        Scope::Table(name) => shape.table.split(',').any(|t| t.trim() == name),
        Scope::Rule(id) => {
            shape.id == *id
                || shape
                    .id
                    .strip_prefix(id.as_str())
                    .and_then(|rest| rest.strip_prefix('#'))
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        }
    }
}

fn parse_scope(text: &str) -> Result<Scope, String> {
    if text == "*" {
        return Ok(Scope::All);
    }
    if let Some(name) = text
        .strip_prefix("table")
        .filter(|rest| rest.starts_with(char::is_whitespace))
    {
        let name = name.trim();
        return match schema::table(name) {
            Some(table) => Ok(Scope::Table(table.name.clone())),
            None => {
                let hint = schema::names()
                    .iter()
                    .find(|known| known.eq_ignore_ascii_case(name))
                    .map(|known| format!(" (did you mean `{known}`? table names are case-sensitive)"))
                    .unwrap_or_default();
                Err(format!("unknown table `{name}`{hint}"))
            }
        };
    }
    if text.is_empty() || text.contains(char::is_whitespace) {
        return Err(format!(
            "`{text}` is not a scope: expected a rule id, `table NAME` or `*` before the `:`"
        ));
    }
    Ok(Scope::Rule(text.to_string()))
}

/// Parses a predicate as the condition of a `where`; an error's column is within `text`.
fn parse_predicate(text: &str) -> Result<Expr, (usize, String)> {
    let query = format!("{PREFIX}{text}");
    let shift = |column: u32| (column as usize).saturating_sub(PREFIX.len()).max(1);
    let parsed = kql::parse(&query).map_err(|e| (shift(e.span.column), e.message))?;
    let one_where = parsed.lets.is_empty() && parsed.more.is_empty() && parsed.operators().len() == 1;
    match parsed.operators().first() {
        Some(Operator::Where { predicate, .. }) if one_where => Ok(predicate.clone()),
        _ => Err((1, "an exclusion is one condition, not a query (no `|`, no `;`)".into())),
    }
}

/// Compiles an exclusion against a result's columns.
fn compile(exclusion: &Exclusion, rule: &str, columns: &[Col], now: i64) -> Result<Scalar, ExcludeError> {
    let source = Rule::of_query(
        rule,
        exclusion.source.clone(),
        format!("{PREFIX}{}", exclusion.predicate),
    );
    let error = |column: u32, message: String| ExcludeError {
        path: exclusion.source.clone(),
        line: exclusion.line,
        column: exclusion.column + column.saturating_sub(PREFIX.len() as u32 + 1),
        message: format!("rule {rule}: {message}"),
    };
    let (scalar, ty) = plan_scalar(&source, &exclusion.expr, columns, now).map_err(|e| error(e.column, e.message))?;
    match ty {
        None | Some(ColumnType::Bool | ColumnType::Dynamic) => Ok(scalar),
        Some(other) => Err(error(
            exclusion.expr.span.column,
            format!("an exclusion must be a condition, but this is a {}", other.name()),
        )),
    }
}

/// The names (columns) an expression reads, each once.
fn names_of(expr: &Expr, out: &mut Vec<String>) {
    match &expr.kind {
        ExprKind::Name(name) => {
            if !out.contains(name) {
                out.push(name.clone());
            }
        }
        ExprKind::Literal(_) | ExprKind::Strings(_) | ExprKind::Star | ExprKind::Tabular(_) => {}
        ExprKind::List(items) => items.iter().for_each(|i| names_of(i, out)),
        ExprKind::Binary { left, right, .. } => {
            names_of(left, out);
            names_of(right, out);
        }
        ExprKind::Negate(inner) => names_of(inner, out),
        ExprKind::Between { operand, low, high, .. } => {
            names_of(operand, out);
            names_of(low, out);
            names_of(high, out);
        }
        // `d.Name` reads `d`; `d[x]` reads `d` and whatever `x` reads.
        ExprKind::Member { base, member } => {
            names_of(base, out);
            if !matches!(member.kind, ExprKind::Name(_)) {
                names_of(member, out);
            }
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| names_of(a, out)),
    }
}

fn quoted(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::query::Col;

    fn parse(text: &str) -> Result<Exclusions, ExcludeError> {
        Exclusions::parse(Path::new("ex.txt"), text)
    }

    #[test]
    fn the_file_format() {
        let text = "# a comment\n\n// another\n  r1: FileName == \"a.exe\"\ntable DnsEvents: Name endswith \".local\"\n*: true\n";
        let list = parse(text).unwrap().list;
        let scopes: Vec<(u32, Scope, &str)> = list
            .iter()
            .map(|e| (e.line, e.scope.clone(), e.predicate.as_str()))
            .collect();
        assert_eq!(
            scopes,
            [
                (4, Scope::Rule("r1".into()), "FileName == \"a.exe\""),
                (5, Scope::Table("DnsEvents".into()), "Name endswith \".local\""),
                (6, Scope::All, "true"),
            ]
        );
        assert_eq!(list[0].column, 7);
        assert_eq!(list[0].describe(), "ex.txt:4: r1: FileName == \"a.exe\"");
    }

    #[test]
    fn bad_lines_name_file_line_and_column() {
        // (text, line:column, part of the message)
        let cases: &[(&str, &str, &str)] = &[
            ("FileName == 1\n", "1:1", "expected `SCOPE: PREDICATE`"),
            ("\nr1:   \n", "2:4", "no predicate"),
            ("table Nope: x == 1\n", "1:1", "unknown table `Nope`"),
            ("table dnsevents: x == 1\n", "1:1", "did you mean `DnsEvents`"),
            ("a rule: x == 1\n", "1:1", "is not a scope"),
            ("r1: FileName ==\n", "1:16", "expected an expression"),
            ("r1: FileName == \"a\" | take 1\n", "1:5", "one condition"),
        ];
        for (text, at, message) in cases {
            let error = parse(text).unwrap_err();
            assert_eq!(format!("{}:{}", error.line, error.column), *at, "{text:?}: {error}");
            assert!(error.message.contains(message), "{text:?}: {error}");
            assert!(error.to_string().starts_with("ex.txt:"), "{error}");
        }
    }

    #[test]
    fn scopes_match_rules_tables_and_every_result() {
        let shape = |id: &str, table: &str| ResultShape {
            id: id.into(),
            table: table.into(),
            columns: Vec::new(),
            rule: 0,
        };
        let cases = [
            (Scope::Rule("q".into()), "q", "DnsEvents", true),
            (Scope::Rule("q".into()), "q#2", "DnsEvents", true),
            (Scope::Rule("q".into()), "q#x", "DnsEvents", false),
            (Scope::Rule("q#2".into()), "q", "DnsEvents", false),
            (Scope::Rule("q".into()), "qq", "DnsEvents", false),
            (
                Scope::Table("DnsEvents".into()),
                "q",
                "DeviceFileEvents, DnsEvents",
                true,
            ),
            (Scope::Table("DnsEvents".into()), "q", "DeviceFileEvents", false),
            (Scope::All, "q", "DeviceFileEvents", true),
        ];
        for (scope, id, table, expected) in cases {
            assert_eq!(
                in_scope(&scope, &shape(id, table)),
                expected,
                "{scope} on {id} [{table}]"
            );
        }
    }

    #[test]
    fn predicates_compile_against_result_columns_and_evaluate() {
        let columns = vec![
            Col::new("FolderPath", Some(ColumnType::String)),
            Col::new("FileSize", Some(ColumnType::Long)),
        ];
        let text = r#"r: FolderPath startswith @"C:\Windows\" and FileSize > 10"#;
        let exclusion = &parse(text).unwrap().list[0];
        let scalar = compile(exclusion, "r", &columns, 0).unwrap();
        let context = Context::new(0);
        let eval = |path: &str, size: i64| scalar.eval(&[Value::String(path.into()), Value::Long(size)], &context);
        assert_eq!(eval(r"c:\windows\system32\a.dll", 11), Value::Bool(true));
        assert_eq!(eval(r"c:\windows\system32\a.dll", 10), Value::Bool(false));
        assert_eq!(eval(r"D:\a.dll", 11), Value::Bool(false));

        // Not a condition; a type error: both point into the predicate.
        let error = compile(&parse("r: FolderPath").unwrap().list[0], "r", &columns, 0).unwrap_err();
        assert_eq!((error.line, error.column), (1, 4));
        assert!(error.message.contains("must be a condition"), "{error}");
        let error = compile(
            &parse("r: x == 1 or FileSize > \"a\"").unwrap().list[0],
            "r",
            &columns,
            0,
        );
        assert!(error.is_err());
    }
}
