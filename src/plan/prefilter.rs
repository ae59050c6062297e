//! The prefilter: for each rule, the column tests that must hold for a record to be a result,
//! so that the scan can skip a record after looking at a few of its fields in the raw bytes
//! instead of parsing it. It is sound by construction: a test is only ever taken from a positive
//! leaf of a conjunction (`in`, `has`, `has_any`, `contains`, ... on a string column), and it is
//! evaluated with the very matcher the full evaluator uses, on the decoded field value.

use std::borrow::Cow;
use std::sync::Arc;

use crate::plan::text::{IndexKey, SetIndex, StringSet, TermSet};
use crate::plan::{Pipeline, Plan, Predicate, Row, Scalar, Stage};
use crate::schema::ColumnType;
use crate::value::Value;

/// One column test: a positive leaf predicate of a rule and the column it reads.
#[derive(Debug, Clone, Copy)]
pub struct Test<'p> {
    pub column: &'p str,
    pub leaf: &'p Predicate,
    /// The rule's index in the plan.
    pub rule: usize,
}

impl Test<'_> {
    /// Whether the leaf holds when its column has this (decoded) text.
    pub fn holds_on(&self, text: &str) -> bool {
        match self.leaf {
            // The usual test, asked of three columns of every record: the lookup `eval` makes,
            // without its row and dispatch.
            Predicate::InStrings {
                operand: Scalar::Column(_),
                set,
                negated,
            } => set.contains(text) != *negated,
            leaf => leaf.holds(&OneColumn(text)),
        }
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
    /// The pipelines that could match a record without any column test holding (e.g. `where
    /// FileSize > 10`, `!in`, no `where` at all, as in `T | summarize count() by x`): every
    /// record of their tables must be parsed for them, but records of other tables can still be
    /// skipped for the rest.
    pub always: Vec<usize>,
}

impl Plan {
    /// The prefilter of the plan, or `None` when no pipeline has a column test (then every
    /// record must be parsed anyway).
    pub fn prefilter(&self) -> Option<Prefilter<'_>> {
        let mut tests = Vec::new();
        let mut always = Vec::new();
        for (index, rule) in self.pipelines.iter().enumerate() {
            match rule_tests(rule, index) {
                Some(found) => tests.extend(found),
                None => always.push(index),
            }
        }
        (always.len() < self.pipelines.len()).then_some(Prefilter { tests, always })
    }
}

/// The tests of one rule: from the `where` operators before the first `project` (they read the
/// table's own columns); each is a necessary condition, so the one with the fewest tests wins.
fn rule_tests(rule: &Pipeline, index: usize) -> Option<Vec<Test<'_>>> {
    let mut best: Option<Vec<Test<'_>>> = None;
    for stage in &rule.streaming {
        match stage {
            Stage::Where(predicate) => {
                if let Some(tests) = necessary(predicate, rule, index) {
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
fn necessary<'p>(predicate: &'p Predicate, rule: &'p Pipeline, index: usize) -> Option<Vec<Test<'p>>> {
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
                    rule: index,
                }]
            })
        }
        Predicate::And(parts) => parts
            .iter()
            .filter_map(|p| necessary(p, rule, index))
            .min_by_key(Vec::len),
        Predicate::Or(parts) => {
            let mut all = Vec::new();
            for part in parts {
                all.extend(necessary(part, rule, index)?);
            }
            Some(all)
        }
        _ => None,
    }
}

/// The tests that read one column, with the IOC sets of several rules merged: a thousand rules
/// of `SHA256 in (...)` cost one lookup per record, not a thousand, and the lookup names the
/// rules that can match.
#[derive(Debug)]
pub struct ColumnTests<'p> {
    pub column: &'p str,
    pub matchers: Vec<Matcher<'p>>,
    /// The rules with a test on this column that holds on `""`, the value of a null or missing
    /// string, in increasing order.
    pub on_empty: Vec<usize>,
    /// Every rule with a test on this column, in increasing order.
    pub rules: Vec<usize>,
}

/// One merged test. A merged set is shared by every column that merges the very same sets
/// (`SHA256 in (h) or SHA1 in (h) or MD5 in (h)` in each of many rules builds one index, not
/// three).
#[derive(Debug)]
pub enum Matcher<'p> {
    Leaf(Test<'p>),
    /// `in` sets of several rules: the index gives the positions of the sets that may hold a
    /// value (never fewer than do: see [`SetIndex`]), and `rules[position]` is that set's rule.
    Strings {
        index: Arc<SetIndex>,
        rules: Arc<[usize]>,
    },
    /// `has_any` / `has_all` term sets of several rules: when some term occurs, any of `rules`
    /// may match.
    Terms {
        set: Arc<TermSet>,
        rules: Arc<[usize]>,
    },
}

impl Matcher<'_> {
    pub fn holds_on(&self, text: &str) -> bool {
        match self {
            Matcher::Leaf(test) => test.holds_on(text),
            Matcher::Strings { index, .. } => index.contains(text),
            Matcher::Terms { set, .. } => set.matches_any(text),
        }
    }

    /// Adds to `out` the rules that may match a record whose column holds `text` (a rule of
    /// this matcher not added cannot match on its account).
    pub fn rules_on(&self, text: &str, out: &mut Vec<usize>) {
        self.rules_on_prepared(text, None, out);
    }

    /// [`Matcher::rules_on`], with `text` already prepared for a merged index by
    /// [`SetIndex::key`] if `key` is given (so that several lookups can run back to back).
    pub fn rules_on_prepared(&self, text: &str, key: Option<&IndexKey<'_>>, out: &mut Vec<usize>) {
        match self {
            Matcher::Leaf(test) => {
                if test.holds_on(text) {
                    out.push(test.rule);
                }
            }
            Matcher::Strings { index, rules } => {
                let owners = match key {
                    Some(key) => index.owners_of(key),
                    None => index.owners(text),
                };
                out.extend(owners.iter().filter_map(|&position| rules.get(position as usize)));
            }
            Matcher::Terms { set, rules } => {
                if set.matches_any(text) {
                    out.extend(rules.iter());
                }
            }
        }
    }
}

impl<'p> Prefilter<'p> {
    /// The tests grouped by column, in order of first appearance, with the positive `in` sets
    /// and `has_any`/`has_all` term sets of each column and case sensitivity merged when more
    /// than one rule contributes. (For `has_all`, "some term occurs" is the necessary condition
    /// kept: weaker, so still sound.)
    pub fn by_column(&self) -> Vec<ColumnTests<'p>> {
        let mut columns: Vec<(&'p str, Vec<Test<'p>>)> = Vec::new();
        for test in &self.tests {
            match columns.iter_mut().find(|(c, _)| *c == test.column) {
                Some((_, tests)) => tests.push(*test),
                None => columns.push((test.column, vec![*test])),
            }
        }
        let mut unions = Unions::default();
        columns
            .into_iter()
            .map(|(column, tests)| merge(column, tests, &mut unions))
            .collect()
    }
}

/// The merged sets built so far, by the sets they merge (in order of first use) and case
/// sensitivity.
#[derive(Default)]
struct Unions {
    strings: Vec<(Vec<*const StringSet>, bool, Arc<SetIndex>)>,
    terms: Vec<(Vec<*const TermSet>, bool, Arc<TermSet>)>,
}

/// The merged form of `sets`, from `cache` when the same sets were merged before.
fn union_of<T, U>(
    cache: &mut Vec<(Vec<*const T>, bool, Arc<U>)>,
    sets: &[(&Arc<T>, Test<'_>)],
    case_sensitive: bool,
    build: impl FnOnce() -> U,
) -> Arc<U> {
    let key: Vec<*const T> = sets.iter().map(|(set, _)| Arc::as_ptr(set)).collect();
    if let Some((_, _, union)) = cache.iter().find(|(k, c, _)| *c == case_sensitive && *k == key) {
        return Arc::clone(union);
    }
    let union = Arc::new(build());
    cache.push((key, case_sensitive, Arc::clone(&union)));
    union
}

fn merge<'p>(column: &'p str, tests: Vec<Test<'p>>, unions: &mut Unions) -> ColumnTests<'p> {
    let sorted = |mut rules: Vec<usize>| {
        rules.sort_unstable();
        rules.dedup();
        rules
    };
    let on_empty = sorted(tests.iter().filter(|t| t.holds_on("")).map(|t| t.rule).collect());
    let rules = sorted(tests.iter().map(|t| t.rule).collect());
    // The distinct sets of each kind (a rule that uses a `let` list twice uses one set), each
    // with the first test of its rule that uses it.
    let mut strings: [Vec<(&'p Arc<StringSet>, Test<'p>)>; 2] = [Vec::new(), Vec::new()];
    let mut terms: [Vec<(&'p Arc<TermSet>, Test<'p>)>; 2] = [Vec::new(), Vec::new()];
    let mut matchers = Vec::new();
    for test in tests {
        match test.leaf {
            Predicate::InStrings {
                set, negated: false, ..
            } => push_unique(&mut strings[set.case_sensitive() as usize], set, test),
            Predicate::Terms {
                set, negated: false, ..
            } => push_unique(&mut terms[set.case_sensitive() as usize], set, test),
            _ => matchers.push(Matcher::Leaf(test)),
        }
    }
    for (case_sensitive, sets) in [false, true].into_iter().zip(strings) {
        match sets.as_slice() {
            [] => {}
            // A set no other rule shares the column with is used as it is, without a copy; it
            // is asked about every record, so it gets a screen whatever its size.
            [(set, test)] => {
                set.screen_every_lookup();
                matchers.push(Matcher::Leaf(*test));
            }
            _ => matchers.push(Matcher::Strings {
                index: union_of(&mut unions.strings, &sets, case_sensitive, || {
                    let members: Vec<&StringSet> = sets.iter().map(|(s, _)| s.as_ref()).collect();
                    SetIndex::new(&members, case_sensitive)
                }),
                rules: rules_of(&sets),
            }),
        }
    }
    for (case_sensitive, sets) in [false, true].into_iter().zip(terms) {
        match sets.as_slice() {
            [] => {}
            [(_, test)] => matchers.push(Matcher::Leaf(*test)),
            _ => matchers.push(Matcher::Terms {
                set: union_of(&mut unions.terms, &sets, case_sensitive, || {
                    TermSet::union(sets.iter().map(|(s, _)| s.as_ref()), case_sensitive)
                }),
                rules: rules_of(&sets),
            }),
        }
    }
    ColumnTests {
        column,
        matchers,
        on_empty,
        rules,
    }
}

/// The rule of each set, by the set's position.
fn rules_of<T>(sets: &[(&Arc<T>, Test<'_>)]) -> Arc<[usize]> {
    sets.iter().map(|(_, test)| test.rule).collect()
}

/// Adds `set` with `test` unless the same set already came with a test of the same rule.
fn push_unique<'p, T>(sets: &mut Vec<(&'p Arc<T>, Test<'p>)>, set: &'p Arc<T>, test: Test<'p>) {
    if !sets.iter().any(|(s, t)| Arc::ptr_eq(s, set) && t.rule == test.rule) {
        sets.push((set, test));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::load_text;
    use std::path::Path;

    fn plan(queries: &[&str]) -> Plan {
        let rules: Vec<_> = queries
            .iter()
            .enumerate()
            .map(|(i, q)| load_text(Path::new(&format!("r{i}.kql")), q).expect("loads").0)
            .collect();
        Plan::compile(&rules, 0).expect("compiles")
    }

    #[test]
    fn sets_of_many_rules_merge_per_column_and_case() {
        let plan = plan(&[
            "let h = dynamic([\"a1\"]);\nDeviceFileEvents | where SHA256 in (h) or SHA1 in (h)",
            "DeviceFileEvents | where SHA256 in (\"b2\") and FileName has \"x\"",
            "DeviceFileEvents | where SHA256 in~ (\"C3\")",
            "DnsEvents | where Name has_any (\"d.com\") | project Name",
            "DnsEvents | where Name has \"e.org\"",
        ]);
        let prefilter = plan.prefilter().expect("every rule has a needed test");
        let columns = prefilter.by_column();
        let names: Vec<&str> = columns.iter().map(|c| c.column).collect();
        assert_eq!(names, ["SHA256", "SHA1", "Name"]);
        let kinds = |c: &ColumnTests| -> Vec<&str> {
            c.matchers
                .iter()
                .map(|m| match m {
                    Matcher::Leaf(_) => "leaf",
                    Matcher::Strings { .. } => "strings",
                    Matcher::Terms { .. } => "terms",
                })
                .collect()
        };
        // Two exact sets merge; the one case-insensitive set stays a leaf.
        assert_eq!(kinds(&columns[0]), ["leaf", "strings"]);
        assert_eq!(kinds(&columns[1]), ["leaf"]);
        assert_eq!(kinds(&columns[2]), ["terms"]);
        let sha256 = &columns[0];
        for (value, expected) in [
            ("a1", true),
            ("b2", true),
            ("c3", true),
            ("C3", true),
            ("A1", false),
            ("zz", false),
        ] {
            assert_eq!(sha256.matchers.iter().any(|m| m.holds_on(value)), expected, "{value}");
        }
        assert!(columns[2].matchers[0].holds_on("x.E.ORG") && !columns[2].matchers[0].holds_on("xd.com"));
    }

    #[test]
    fn columns_merging_the_same_sets_share_one_union() {
        let rule =
            "let h = dynamic([\"a1\", \"b2\"]);\nDeviceFileEvents | where SHA256 in (h) or SHA1 in (h) or MD5 in (h)";
        let other =
            "let g = dynamic([\"c3\"]);\nDeviceFileEvents | where SHA256 in (g) or SHA1 in (g) or MD5 in (\"d4\")";
        let plan = plan(&[rule, other]);
        let prefilter = plan.prefilter().expect("every rule has a needed test");
        let columns = prefilter.by_column();
        let union = |column: &ColumnTests| match column.matchers.as_slice() {
            [Matcher::Strings { index, .. }] => Arc::clone(index),
            other => panic!("{}: expected one merged set, got {other:?}", column.column),
        };
        let (sha256, sha1, md5) = (union(&columns[0]), union(&columns[1]), union(&columns[2]));
        assert!(Arc::ptr_eq(&sha256, &sha1), "SHA256 and SHA1 merge the same two sets");
        assert!(!Arc::ptr_eq(&sha256, &md5), "MD5 merges another set");
        assert_eq!((sha256.len(), md5.len()), (3, 3));
        assert!(md5.contains("d4") && !sha256.contains("d4") && sha1.contains("c3"));
    }

    #[test]
    fn a_merged_lookup_names_the_rules_that_can_match() {
        let plan = plan(&[
            "let h = dynamic([\"a1\", \"b2\"]);\nDeviceFileEvents | where SHA256 in (h) or SHA1 in (h)",
            "DeviceFileEvents | where SHA256 in (\"b2\", \"c3\")",
            "DeviceFileEvents | where SHA256 in (\"d4\") or SHA256 in (\"e5\")",
            "DeviceFileEvents | where SHA256 has_any (\"x.com\") or SHA256 == \"\"",
            "DeviceFileEvents | where SHA256 has_any (\"y.org\") and FileName has \"z\"",
        ]);
        let prefilter = plan.prefilter().expect("every rule has a needed test");
        let columns = prefilter.by_column();
        let sha256 = &columns[0];
        assert_eq!(sha256.column, "SHA256");
        assert_eq!(sha256.rules, [0, 1, 2, 3, 4]);
        assert_eq!(sha256.on_empty, [3], "only rule 3 holds on a null SHA256");
        let rules_on = |text: &str| {
            let mut out = Vec::new();
            for matcher in &sha256.matchers {
                matcher.rules_on(text, &mut out);
            }
            out.sort_unstable();
            out
        };
        // (value, the rules that may match on its account): exact for `in` sets, every rule of a
        // merged term set when one of its terms occurs (a superset, which is still sound).
        for (value, expected) in [
            ("a1", vec![0]),
            ("b2", vec![0, 1]),
            ("c3", vec![1]),
            ("d4", vec![2]),
            ("e5", vec![2]),
            ("x.com", vec![3, 4]),
            ("a.y.org", vec![3, 4]),
            ("zz", vec![]),
            ("A1", vec![]),
        ] {
            assert_eq!(rules_on(value), expected, "{value}");
            assert_eq!(
                sha256.matchers.iter().any(|m| m.holds_on(value)),
                !expected.is_empty(),
                "{value}"
            );
        }
    }

    #[test]
    fn a_rule_without_a_needed_test_is_always_run_on_its_table() {
        assert!(plan(&["DnsEvents | where Name !has \"x\""]).prefilter().is_none());
        assert!(plan(&["DnsEvents | where ResultCode > 3"]).prefilter().is_none());
        assert!(plan(&["DnsEvents | take 5"]).prefilter().is_none());
        assert!(plan(&["DnsEvents | where Name has \"x\" or ResultCode > 3"])
            .prefilter()
            .is_none());
        let both = plan(&["DnsEvents | where Name has \"x\" and ResultCode > 3"]);
        assert!(both.prefilter().is_some_and(|p| p.always.is_empty()));
        // Next to a rule with tests, one without is listed as always run, not a reason to
        // parse every record of every table.
        let mixed = plan(&["DnsEvents | where ResultCode > 3", "DnsEvents | where Name has \"x\""]);
        assert_eq!(mixed.prefilter().map(|p| p.always), Some(vec![0]));
    }
}
