//! The plan: each rule's parsed query checked against its table's schema and compiled into
//! matchers — hash-set lookups for `in`, term automata for `has`/`has_any`, typed comparisons —
//! that the scan calls on every record. Also the cross-checks that need both the document and
//! its query (the IOC table against the query's lists). It reads no logs.

pub mod aggregate;
mod compile;
pub mod eval;
pub mod functions;
pub mod prefilter;
pub mod text;

use std::fmt;
use std::path::PathBuf;

use rayon::prelude::*;

pub use compile::compile_rule;
pub use eval::{Predicate, Row, Scalar, SortKey};

use crate::kql::Span;
use crate::rules::{Rule, Warning};
use crate::schema::{Column, Table};
use crate::value::Value;

/// A rule ready to run.
#[derive(Debug)]
pub struct CompiledRule {
    pub id: String,
    pub title: Option<String>,
    pub source: PathBuf,
    pub table: &'static Table,
    /// Operators applied record by record as the logs stream past: `where` and `project`, up to
    /// the first operator that needs every row (`order by`, `take`).
    pub streaming: Vec<Stage>,
    /// The rest, applied to the collected rows in input order.
    pub tail: Vec<Stage>,
    /// The columns of a result row.
    pub columns: Vec<Column>,
}

#[derive(Debug)]
pub enum Stage {
    Where(Predicate),
    /// The new row's values, in output order.
    Project(Vec<Scalar>),
    OrderBy(Vec<SortKey>),
    Take(u64),
}

impl CompiledRule {
    /// Runs the streaming operators on one record. `Some(values)` is a result row (before the
    /// tail), `None` means the record was filtered out.
    pub fn stream<R: Row + ?Sized>(&self, record: &R) -> Option<Vec<Value>> {
        let mut projected: Option<Vec<Value>> = None;
        for stage in &self.streaming {
            match (stage, &projected) {
                (Stage::Where(p), None) => {
                    if !p.holds(record) {
                        return None;
                    }
                }
                (Stage::Where(p), Some(row)) => {
                    if !p.holds(row.as_slice()) {
                        return None;
                    }
                }
                (Stage::Project(scalars), None) => {
                    projected = Some(scalars.iter().map(|s| s.eval(record).into_owned()).collect());
                }
                (Stage::Project(scalars), Some(row)) => {
                    let next = scalars.iter().map(|s| s.eval(row.as_slice()).into_owned()).collect();
                    projected = Some(next);
                }
                (Stage::OrderBy(_) | Stage::Take(_), _) => {
                    unreachable!("the compiler keeps order by and take out of the streaming stages")
                }
            }
        }
        Some(match projected {
            Some(row) => row,
            None => (0..self.table.columns.len())
                .map(|c| record.value(c).into_owned())
                .collect(),
        })
    }

    /// Applies the tail to the rows `stream` produced, given in input order. Sorting is stable,
    /// so rows that tie on every key keep their input order.
    pub fn finish<T>(&self, mut rows: Vec<(T, Vec<Value>)>) -> Vec<(T, Vec<Value>)> {
        for stage in &self.tail {
            match stage {
                Stage::Where(p) => rows.retain(|(_, row)| p.holds(row.as_slice())),
                Stage::Project(scalars) => {
                    for (_, row) in rows.iter_mut() {
                        *row = scalars.iter().map(|s| s.eval(row.as_slice()).into_owned()).collect();
                    }
                }
                Stage::OrderBy(keys) => rows.sort_by(|(_, a), (_, b)| eval::compare_rows(keys, a, b)),
                Stage::Take(n) => rows.truncate(usize::try_from(*n).unwrap_or(usize::MAX)),
            }
        }
        rows
    }
}

/// Every rule compiled, plus the warnings found on the way.
#[derive(Debug, Default)]
pub struct Plan {
    pub rules: Vec<CompiledRule>,
    pub warnings: Vec<Warning>,
}

impl Plan {
    /// Compiles every rule; the first rule that cannot be compiled is the error.
    pub fn compile(rules: &[Rule], now: i64) -> Result<Plan, CompileError> {
        // Rules compile independently; results are taken in rule order, so the first error
        // and the warnings do not depend on timing.
        let results: Vec<_> = rules.par_iter().map(|rule| compile_rule(rule, now)).collect();
        Plan::from_compiled(results)
    }

    /// The plan of rules compiled one by one (see [`compile_rule`]), in rule order; the first
    /// rule that could not be compiled is the error.
    pub fn from_compiled(
        results: Vec<Result<(CompiledRule, Vec<Warning>), CompileError>>,
    ) -> Result<Plan, CompileError> {
        let mut plan = Plan::default();
        for result in results {
            let (compiled, warnings) = result?;
            plan.rules.push(compiled);
            plan.warnings.extend(warnings);
        }
        Ok(plan)
    }

    /// Each table some rule reads, in order of first use, with the indices of its rules.
    pub fn rules_by_table(&self) -> Vec<(&'static Table, Vec<usize>)> {
        let mut by_table: Vec<(&'static Table, Vec<usize>)> = Vec::new();
        for (index, rule) in self.rules.iter().enumerate() {
            match by_table.iter_mut().find(|(table, _)| std::ptr::eq(*table, rule.table)) {
                Some((_, rules)) => rules.push(index),
                None => by_table.push((rule.table, vec![index])),
            }
        }
        by_table
    }
}

/// A rule whose query cannot run, with the position in the rule's source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    pub rule: String,
    pub source: PathBuf,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl CompileError {
    pub(crate) fn at(rule: &Rule, span: Span, message: impl Into<String>) -> CompileError {
        CompileError {
            rule: rule.id.clone(),
            source: rule.source.clone(),
            line: rule.query_line + span.line.saturating_sub(1),
            column: span.column,
            message: message.into(),
        }
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: rule {}: {}",
            self.source.display(),
            self.line,
            self.column,
            self.rule,
            self.message
        )
    }
}

impl std::error::Error for CompileError {}
