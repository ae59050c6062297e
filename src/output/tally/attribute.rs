//! Attribution: which IOCs of a rule one result record matched. An IOC is credited with a
//! record exactly when the rule, with that IOC as its only IOC, would return the record:
//!
//! - **Rule documents**: the IOC tests are the positive leaves of the pipeline's streaming
//!   `where`s (`in`, `in~`, `==`, `has`, `has_any`, `contains`, `=~`, ... on a column) whose
//!   list holds at least one of the rule's IOC values. Each `where` is evaluated again with
//!   every such leaf restricted to the one IOC (a leaf that does not list it is false); the rest
//!   of the predicate (`and FolderPath startswith ...`, `not(...)`, `!in`) is evaluated as the
//!   query does. Candidates come from the leaves' own lookups (a hash-set probe per `in`, an
//!   automaton per `has_any`), so a record costs a few lookups, not one evaluation per IOC.
//! - **Feed rules**: the rule's [`IocLookup`] knows its columns and operators (hashes `in~`,
//!   addresses `in` with the port of an `ip:port` IOC, `has_any` for domains and URLs), and
//!   [`IocLookup::find_all`] gives every indicator the record matches.
//!
//! The record is a [`Row`] over its table's columns: the re-read record, a result row that is
//! the whole table row, or a computed row read by column name (see the module above).

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::plan::text::on_term_boundaries;
use crate::plan::{Pipeline, Predicate, Row, Scalar, Stage};
use crate::rules::feeds::rules::IocLookup;
use crate::schema::Table;
use crate::value::Value;

/// How the IOCs of one rule are found in its records.
#[derive(Debug)]
pub enum Attributor<'p> {
    /// A rule document's IOC values, tested as its pipelines test them.
    Query { pipelines: Vec<PipelineIocs<'p>> },
    /// A feed rule's indicators.
    Feed(&'p IocLookup),
}

impl<'p> Attributor<'p> {
    /// The attributor of a rule document whose IOC values are `values` (in IOC-table order),
    /// over its `pipelines`.
    pub fn query(values: &[&str], pipelines: &'p [Pipeline]) -> Attributor<'p> {
        Attributor::Query {
            pipelines: pipelines.iter().map(|p| PipelineIocs::new(p, values)).collect(),
        }
    }

    /// Whether any IOC test was found to credit IOCs with (a rule whose IOC values appear in no
    /// test of a streaming `where` cannot attribute anything).
    pub fn can_attribute(&self) -> bool {
        match self {
            Attributor::Query { pipelines } => pipelines.iter().any(|p| !p.leaves.is_empty()),
            Attributor::Feed(_) => true,
        }
    }

    /// The tables of the records it reads (a record of another table is none of its results).
    pub fn reads(&self, table: &Table) -> bool {
        match self {
            Attributor::Query { pipelines } => pipelines.iter().any(|p| std::ptr::eq(p.pipeline.table, table)),
            Attributor::Feed(_) => true,
        }
    }

    /// The IOCs (by position in the rule's list) `record`, a row of `table`, matched.
    pub fn credited(&self, record: &dyn Row, table: &Table) -> Vec<usize> {
        let mut found = match self {
            Attributor::Query { pipelines } => pipelines
                .iter()
                .filter(|p| std::ptr::eq(p.pipeline.table, table))
                .flat_map(|p| p.credited(record))
                .collect(),
            Attributor::Feed(lookup) => {
                let value_of = |name: &str| -> Option<String> {
                    let value = record.value(table.column_index(name)?);
                    (!value.is_null()).then(|| value.to_text().into_owned())
                };
                // A feed rule's lookup (`RuleIocs::Feed` holds no other) always answers.
                lookup.find_all(&value_of).unwrap_or_default()
            }
        };
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// The IOC tests of one pipeline.
#[derive(Debug)]
pub struct PipelineIocs<'p> {
    pipeline: &'p Pipeline,
    leaves: Vec<Leaf<'p>>,
}

/// A positive leaf of a streaming `where` that lists some of the rule's IOC values.
#[derive(Debug)]
struct Leaf<'p> {
    predicate: &'p Predicate,
    /// The column it reads, in the columns of its stage.
    column: usize,
    /// The IOCs it lists, sorted.
    members: Vec<usize>,
    finder: Finder,
}

/// How a leaf finds the IOCs a value matches.
#[derive(Debug)]
enum Finder {
    /// `in`, `in~`, `==`: the value (ASCII-lower-cased for `in~`) looked up.
    Exact {
        iocs: HashMap<String, Vec<usize>>,
        case_sensitive: bool,
    },
    /// `has`, `has_any`: every IOC that occurs on term boundaries.
    Terms {
        automaton: Option<AhoCorasick>,
        /// Per pattern of the automaton (ASCII case-insensitive unless `has_cs`): the IOC value
        /// and the IOCs with it.
        patterns: Vec<(String, Vec<usize>)>,
    },
    /// `contains`, `startswith`, `endswith`, `=~` with one needle: the leaf itself.
    Single,
}

impl<'p> PipelineIocs<'p> {
    fn new(pipeline: &'p Pipeline, values: &[&str]) -> PipelineIocs<'p> {
        let mut leaves = Vec::new();
        for stage in &pipeline.streaming {
            if let Stage::Where(predicate) = stage {
                collect_leaves(predicate, values, &mut leaves);
            }
        }
        PipelineIocs { pipeline, leaves }
    }

    /// The IOCs the record matched: candidates from the leaves' lookups, each kept when every
    /// streaming `where`, restricted to it, holds.
    fn credited(&self, record: &dyn Row) -> Vec<usize> {
        if self.leaves.is_empty() {
            return Vec::new();
        }
        // The row each `where` sees: the record, or the row of the `project` before it.
        let mut wheres: Vec<(&Predicate, Option<Vec<Value>>)> = Vec::new();
        let mut projected: Option<Vec<Value>> = None;
        for stage in &self.pipeline.streaming {
            match stage {
                Stage::Where(predicate) => wheres.push((predicate, projected.clone())),
                Stage::Project(scalars) => {
                    let row: Vec<Value> = match &projected {
                        None => scalars.iter().map(|s| s.eval(record).into_owned()).collect(),
                        Some(row) => scalars.iter().map(|s| s.eval(row.as_slice()).into_owned()).collect(),
                    };
                    projected = Some(row);
                }
                Stage::OrderBy(_) | Stage::Take(_) => {}
            }
        }
        let projected_views: Vec<Option<Values<'_>>> =
            wheres.iter().map(|(_, row)| row.as_deref().map(Values)).collect();
        let view = |at: usize| -> &dyn Row {
            match &projected_views[at] {
                None => record,
                Some(values) => values,
            }
        };
        let mut candidates = Vec::new();
        for (at, (predicate, _)) in wheres.iter().enumerate() {
            for leaf in self.leaves.iter().filter(|l| within(predicate, l.predicate)) {
                leaf.candidates(&view(at).text(leaf.column), &mut candidates);
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        candidates.retain(|&ioc| {
            wheres
                .iter()
                .enumerate()
                .all(|(at, (predicate, _))| self.restricted(predicate, view(at), ioc) == Some(true))
        });
        candidates
    }

    /// The predicate with every IOC leaf restricted to `ioc`, in Kusto's three-valued logic.
    fn restricted(&self, predicate: &Predicate, row: &dyn Row, ioc: usize) -> Option<bool> {
        match predicate {
            Predicate::And(parts) => {
                let mut result = Some(true);
                for part in parts {
                    match self.restricted(part, row, ioc) {
                        Some(false) => return Some(false),
                        None => result = None,
                        Some(true) => {}
                    }
                }
                result
            }
            Predicate::Or(parts) => {
                let mut result = Some(false);
                for part in parts {
                    match self.restricted(part, row, ioc) {
                        Some(true) => return Some(true),
                        None => result = None,
                        Some(false) => {}
                    }
                }
                result
            }
            _ => match self.leaves.iter().find(|l| std::ptr::eq(l.predicate, predicate)) {
                Some(leaf) => {
                    Some(leaf.members.binary_search(&ioc).is_ok() && leaf.holds_for(&row.text(leaf.column), ioc))
                }
                None => predicate.eval(row),
            },
        }
    }
}

/// Whether `leaf` is `predicate` or one of its parts.
fn within(predicate: &Predicate, leaf: &Predicate) -> bool {
    if std::ptr::eq(predicate, leaf) {
        return true;
    }
    match predicate {
        Predicate::And(parts) | Predicate::Or(parts) => parts.iter().any(|p| within(p, leaf)),
        _ => false,
    }
}

/// The IOC leaves of a predicate: positive leaves under `and`/`or` only (a test under `not` or
/// negated excludes; it is evaluated as written).
fn collect_leaves<'p>(predicate: &'p Predicate, values: &[&str], out: &mut Vec<Leaf<'p>>) {
    let members = |is_member: &dyn Fn(&str) -> bool| -> Vec<usize> {
        (0..values.len()).filter(|&i| is_member(values[i])).collect()
    };
    let leaf = match predicate {
        Predicate::And(parts) | Predicate::Or(parts) => {
            parts.iter().for_each(|p| collect_leaves(p, values, out));
            return;
        }
        Predicate::InStrings {
            operand: Scalar::Column(column),
            set,
            negated: false,
        } => {
            let members = members(&|v| set.contains(v));
            let case_sensitive = set.case_sensitive();
            let mut iocs: HashMap<String, Vec<usize>> = HashMap::new();
            for &ioc in &members {
                iocs.entry(fold(values[ioc], case_sensitive)).or_default().push(ioc);
            }
            Leaf {
                predicate,
                column: *column,
                members,
                finder: Finder::Exact { iocs, case_sensitive },
            }
        }
        Predicate::Terms {
            operand: Scalar::Column(column),
            set,
            all: false,
            negated: false,
        } => {
            let case_sensitive = set.case_sensitive();
            let needles: std::collections::HashSet<String> = set.needles().map(|n| fold(n, case_sensitive)).collect();
            let members = members(&|v| !v.is_empty() && needles.contains(&fold(v, case_sensitive)));
            let mut by_value: Vec<(String, Vec<usize>)> = Vec::new();
            for &ioc in &members {
                let value = values[ioc].to_string();
                match by_value.iter_mut().find(|(v, _)| *v == value) {
                    Some((_, iocs)) => iocs.push(ioc),
                    None => by_value.push((value, vec![ioc])),
                }
            }
            let automaton = (!by_value.is_empty()).then(|| {
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(!case_sensitive)
                    .match_kind(MatchKind::Standard)
                    .build(by_value.iter().map(|(v, _)| v.as_bytes()))
                    .expect("an automaton of a rule's IOC values builds")
            });
            Leaf {
                predicate,
                column: *column,
                members,
                finder: Finder::Terms {
                    automaton,
                    patterns: by_value,
                },
            }
        }
        Predicate::Substring {
            operand: Scalar::Column(column),
            test,
            negated: false,
        } => {
            let (_, needle, case_sensitive) = test.parts();
            let members = members(&|v| fold(v, case_sensitive) == fold(needle, case_sensitive));
            Leaf {
                predicate,
                column: *column,
                members,
                finder: Finder::Single,
            }
        }
        _ => return,
    };
    if !leaf.members.is_empty() {
        out.push(leaf);
    }
}

fn fold(text: &str, case_sensitive: bool) -> String {
    if case_sensitive {
        text.to_string()
    } else {
        text.to_ascii_lowercase()
    }
}

impl Leaf<'_> {
    /// Adds to `out` the IOCs this leaf finds in `text` (each then checked in full).
    fn candidates(&self, text: &str, out: &mut Vec<usize>) {
        match &self.finder {
            Finder::Exact { iocs, case_sensitive } => {
                if let Some(found) = iocs.get(&fold(text, *case_sensitive)) {
                    out.extend(found);
                }
            }
            Finder::Terms {
                automaton: Some(automaton),
                patterns,
            } => {
                let bytes = text.as_bytes();
                for found in automaton.find_overlapping_iter(bytes) {
                    let (value, iocs) = &patterns[found.pattern().as_usize()];
                    if on_term_boundaries(bytes, value.as_bytes(), found.start(), found.end()) {
                        out.extend(iocs);
                    }
                }
            }
            Finder::Terms { automaton: None, .. } => {}
            Finder::Single => {
                if self.predicate.eval(&OneText(text)) == Some(true) {
                    out.extend(&self.members);
                }
            }
        }
    }

    /// The leaf restricted to one of its IOCs, on its column's text.
    fn holds_for(&self, text: &str, ioc: usize) -> bool {
        let mut found = Vec::new();
        self.candidates(text, &mut found);
        found.contains(&ioc)
    }
}

/// A row of values (a projected row, a result row) as a [`Row`] object.
pub struct Values<'v>(pub &'v [Value]);

impl Row for Values<'_> {
    fn value(&self, column: usize) -> std::borrow::Cow<'_, Value> {
        std::borrow::Cow::Borrowed(&self.0[column])
    }
}

/// A row whose every column reads as one text: what a one-column leaf is evaluated on.
struct OneText<'t>(&'t str);

impl Row for OneText<'_> {
    fn value(&self, _column: usize) -> std::borrow::Cow<'_, Value> {
        std::borrow::Cow::Owned(Value::String(self.0.to_string()))
    }

    fn text(&self, _column: usize) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(self.0)
    }
}
