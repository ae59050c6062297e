//! `summarize`'s groups: a key per group and its aggregates' accumulators, in order of each
//! group's first row. The scan's workers each build one over their chunk of the input and the
//! partials are merged in input order, so the result is the same at any thread count and memory
//! holds the groups, not the rows.

use std::mem::size_of;

use super::expr::{plain, Context, Scalar};
use super::{Aggregate, Position, Row};
use crate::hashing::FxHashMap;
use crate::plan::aggregate::Accumulator;
use crate::value::Value;

/// A value as a grouping or join key: equal keys are equal Kusto values (strings exactly,
/// numbers by value, nulls equal to each other, dynamic values by their JSON).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum GroupKey {
    Null,
    Bool(bool),
    Long(i64),
    Real(u64),
    DateTime(i64),
    TimeSpan(i64),
    Text(String),
}

impl GroupKey {
    pub(crate) fn of(value: &Value) -> GroupKey {
        match plain(value).as_ref() {
            Value::Null => GroupKey::Null,
            Value::Bool(b) => GroupKey::Bool(*b),
            Value::Long(n) => GroupKey::Long(*n),
            Value::Real(x) => GroupKey::Real(if *x == 0.0 { 0f64.to_bits() } else { x.to_bits() }),
            Value::DateTime(t) => GroupKey::DateTime(*t),
            Value::TimeSpan(t) => GroupKey::TimeSpan(*t),
            Value::String(s) => GroupKey::Text(s.clone()),
            Value::Dynamic(json) => GroupKey::Text(json.to_string()),
        }
    }
}

/// The keys and aggregates of one `summarize`.
#[derive(Debug)]
pub struct Summarize {
    pub keys: Vec<Scalar>,
    pub aggregates: Vec<Aggregate>,
}

impl Summarize {
    /// Whether every expression can run on the scan's workers.
    pub fn is_streamable(&self) -> bool {
        self.keys.iter().all(Scalar::is_streamable)
            && self.aggregates.iter().all(|a| a.args.iter().all(Scalar::is_streamable))
    }

    fn accumulators(&self) -> Vec<Box<dyn Accumulator>> {
        self.aggregates
            .iter()
            // The constants were checked by `new` when the query was compiled.
            .map(|a| (a.function.new)(&a.constants).unwrap_or_else(|e| unreachable!("checked at compile time: {e}")))
            .collect()
    }
}

/// One group: its key values, its accumulators, and where its first row came from.
type Group = (Vec<Value>, Vec<Box<dyn Accumulator>>, Option<Position>);

/// The groups of one `summarize` over some rows.
#[derive(Debug, Default)]
pub struct Groups {
    index: FxHashMap<Vec<GroupKey>, usize>,
    groups: Vec<Group>,
    /// Rows added, for the memory estimate of the caller.
    pub rows: u64,
}

impl Groups {
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Moves every group's origin `lines` lines on: the groups of a unit whose lines were
    /// numbered from 1 before the scan knew how many came before it.
    pub fn shift_lines(&mut self, lines: u64) {
        for origin in self.groups.iter_mut().filter_map(|group| group.2.as_mut()) {
            origin.line += lines;
        }
    }

    /// Adds a row (that came from the record at `origin`, if any).
    pub fn add(&mut self, summarize: &Summarize, row: &[Value], origin: Option<Position>, context: &Context<'_>) {
        self.rows += 1;
        let values: Vec<Value> = summarize.keys.iter().map(|k| k.eval(row, context)).collect();
        let key: Vec<GroupKey> = values.iter().map(GroupKey::of).collect();
        let at = match self.index.get(&key) {
            Some(&at) => at,
            None => {
                self.groups.push((values, summarize.accumulators(), origin));
                self.index.insert(key, self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        for (aggregate, accumulator) in summarize.aggregates.iter().zip(self.groups[at].1.iter_mut()) {
            let args: Vec<Value> = aggregate.args.iter().map(|a| a.eval(row, context)).collect();
            accumulator.add(&args);
        }
    }

    /// Folds in the groups of rows that came after this one's rows in input order: a group
    /// both have merges, a new one goes after the existing ones, so groups stay in order of
    /// their first row.
    pub fn merge(&mut self, later: Groups) {
        self.rows += later.rows;
        if self.groups.is_empty() {
            *self = later;
            return;
        }
        let Groups { index, groups, .. } = later;
        let mut keys: Vec<(usize, Vec<GroupKey>)> = index.into_iter().map(|(k, i)| (i, k)).collect();
        keys.sort_unstable_by_key(|(i, _)| *i);
        for ((_, key), (values, accumulators, origin)) in keys.into_iter().zip(groups) {
            match self.index.get(&key) {
                Some(&at) => {
                    for (mine, theirs) in self.groups[at].1.iter_mut().zip(accumulators) {
                        mine.merge(theirs);
                    }
                }
                None => {
                    self.groups.push((values, accumulators, origin));
                    self.index.insert(key, self.groups.len() - 1);
                }
            }
        }
    }

    /// Approximate bytes held.
    pub fn memory(&self) -> usize {
        self.groups
            .iter()
            .map(|(values, accumulators, _)| {
                values.len() * size_of::<Value>() * 2 + accumulators.iter().map(|a| a.memory() + 32).sum::<usize>()
            })
            .sum()
    }

    /// The result rows: each group's keys, then its aggregates' values, with the origin of
    /// the group's first row. Without keys, an empty input still gives one row (Kusto's
    /// defaults: 0 for counts, `[]` for lists...).
    pub fn finish(mut self, summarize: &Summarize) -> Vec<Row> {
        if summarize.keys.is_empty() && self.groups.is_empty() {
            self.groups.push((Vec::new(), summarize.accumulators(), None));
        }
        self.groups
            .into_iter()
            .map(|(mut values, accumulators, origin)| {
                for (aggregate, accumulator) in summarize.aggregates.iter().zip(&accumulators) {
                    let mut finished = accumulator.finish();
                    finished.resize(aggregate.outputs, Value::Null);
                    values.extend(finished);
                }
                Row { values, origin }
            })
            .collect()
    }
}
