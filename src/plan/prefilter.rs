//! The prefilter: for each rule, the column tests that must hold for a record to be a result,
//! so that the scan can skip a record after looking at a few of its fields in the raw bytes
//! instead of parsing it. It is sound by construction: a test is only ever taken from a positive
//! leaf of a conjunction (`in`, `has`, `has_any`, `contains`, ... on a string column), and it is
//! evaluated with the very matcher the full evaluator uses, on the decoded field value.

use std::borrow::Cow;

use crate::plan::{CompiledRule, Plan, Predicate, Row, Scalar, Stage};
use crate::schema::ColumnType;
use crate::value::Value;

/// One column test: a positive leaf predicate of a rule and the column it reads.
#[derive(Debug, Clone, Copy)]
pub struct Test<'p> {
    pub column: &'p str,
    pub leaf: &'p Predicate,
}

impl Test<'_> {
    /// Whether the leaf holds when its column has this (decoded) text.
    pub fn holds_on(&self, text: &str) -> bool {
        self.leaf.holds(&OneColumn(text))
    }
}

/// A row that has every column equal to one string: enough for a leaf that reads one column.
struct OneColumn<'t>(&'t str);

impl Row for OneColumn<'_> {
    fn value(&self, _column: usize) -> Cow<'_, Value> {
        Cow::Owned(Value::String(self.0.to_string()))
    }

    fn text(&self, _column: usize) -> Cow<'_, str> {
        Cow::Borrowed(self.0)
    }
}

/// What the scan checks before parsing a record: the record can only be a result of some rule
/// if one of `tests` holds on its field.
#[derive(Debug)]
pub struct Prefilter<'p> {
    pub tests: Vec<Test<'p>>,
}

impl Plan {
    /// The prefilter of the plan, or `None` when some rule could match a record without any
    /// column test holding (e.g. `where FileSize > 10`, `!in`, no `where` at all): then every
    /// record must be parsed.
    pub fn prefilter(&self) -> Option<Prefilter<'_>> {
        let mut tests = Vec::new();
        for rule in &self.rules {
            tests.extend(rule_tests(rule)?);
        }
        Some(Prefilter { tests })
    }
}

/// The tests of one rule: from the `where` operators before the first `project` (they read the
/// table's own columns); each is a necessary condition, so the one with the fewest tests wins.
fn rule_tests(rule: &CompiledRule) -> Option<Vec<Test<'_>>> {
    let mut best: Option<Vec<Test<'_>>> = None;
    for stage in &rule.streaming {
        match stage {
            Stage::Where(predicate) => {
                if let Some(tests) = necessary(predicate, rule) {
                    if best.as_ref().is_none_or(|b| tests.len() < b.len()) {
                        best = Some(tests);
                    }
                }
            }
            Stage::Project(_) => break,
            Stage::OrderBy(_) | Stage::Take(_) => break,
        }
    }
    best
}

/// Tests one of which holds whenever `predicate` holds, if there is such a set.
fn necessary<'p>(predicate: &'p Predicate, rule: &'p CompiledRule) -> Option<Vec<Test<'p>>> {
    match predicate {
        Predicate::Const(false) => Some(Vec::new()),
        Predicate::InStrings {
            operand: Scalar::Column(c),
            negated: false,
            ..
        }
        | Predicate::Terms {
            operand: Scalar::Column(c),
            negated: false,
            ..
        }
        | Predicate::Substring {
            operand: Scalar::Column(c),
            negated: false,
            ..
        } => {
            let column = &rule.table.columns[*c];
            // Only string-like columns: their text is the JSON string itself. Another type's
            // text is a rendering (a datetime reformatted) that raw bytes need not contain.
            matches!(column.ty, ColumnType::String | ColumnType::Dynamic).then(|| {
                vec![Test {
                    column: &column.name,
                    leaf: predicate,
                }]
            })
        }
        Predicate::And(parts) => parts.iter().filter_map(|p| necessary(p, rule)).min_by_key(Vec::len),
        Predicate::Or(parts) => {
            let mut all = Vec::new();
            for part in parts {
                all.extend(necessary(part, rule)?);
            }
            Some(all)
        }
        _ => None,
    }
}
