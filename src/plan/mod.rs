//! The plan: each rule's parsed query checked against its tables' schemas and compiled into
//! scan pipelines — hash-set lookups for `in`, term automata for `has`/`has_any`, typed
//! comparisons, the engine's streaming operators — that the scan calls on every record, and,
//! for queries beyond the seed shape, a program that runs after the scan ([`query`]). Also the
//! cross-checks that need both the document and its query. It reads no logs.

pub mod aggregate;
mod compile;
mod digests;
pub mod eval;
pub mod exclude;
pub mod explain;
pub mod functions;
pub mod prefilter;
pub mod query;
pub mod text;

use std::fmt;
use std::path::PathBuf;

use rayon::prelude::*;

pub use compile::{compile_rule, compile_rule_in};

/// What the command line tells the compiler about data outside the logs: the columns of each
/// watchlist `_GetWatchlist('name')` reads (from its CSV file's header).
#[derive(Debug, Clone, Default)]
pub struct Environment {
    pub watchlists: Vec<(String, Vec<String>)>,
}
pub use eval::{Predicate, Row, Scalar, SortKey};
pub use query::Position;

use crate::kql::Span;
use crate::rules::{Rule, Warning};
use crate::schema::{Column, Table};
use crate::value::Value;

/// What the scan runs for one table a rule reads: the rule's own query in the seed shape, or one
/// leaf of an engine query.
#[derive(Debug)]
pub struct Pipeline {
    pub id: String,
    pub title: Option<String>,
    pub source: PathBuf,
    pub table: &'static Table,
    /// Operators applied record by record as the logs stream past: `where` and `project`, up to
    /// the first operator that needs every row (`order by`, `take`).
    pub streaming: Vec<Stage>,
    /// The rest, applied to the collected rows in input order.
    pub tail: Vec<Stage>,
    /// The columns of a result row (of the seed shape's rows; an engine query's program has
    /// its own).
    pub columns: Vec<Column>,
    /// The query engine's streaming operators (`extend`, `project`, `mv-expand`, `parse`, and
    /// `where`s the fast path does not take), run on the workers after `streaming`.
    pub engine: Vec<query::Op>,
    /// A `summarize` right after them: the workers build partial groups instead of rows.
    pub summarize: Option<query::groups::Summarize>,
    /// What a record's row is made of ([`Reads`]), worked out on first use.
    pub reads: std::sync::OnceLock<Reads>,
}

/// The columns a pipeline's streaming operators read of a record, when no streaming stage
/// projects its row first.
#[derive(Debug, Default)]
pub struct Reads {
    /// [`Pipeline::needed_columns`]: the columns of a table-wide row that are filled (the others
    /// stay empty).
    needed: Option<Vec<usize>>,
    /// The columns a leading engine `project` of plain columns keeps (the planner's narrowing
    /// one): the row is made of just them, in its order, without the table-wide row first.
    picked: Option<Vec<usize>>,
}

#[derive(Debug)]
pub enum Stage {
    Where(Predicate),
    /// The new row's values, in output order.
    Project(Vec<Scalar>),
    OrderBy(Vec<SortKey>),
    Take(u64),
}

impl Pipeline {
    /// Runs the streaming operators on one record. `Some(values)` is a result row (before the
    /// tail), `None` means the record was filtered out.
    pub fn stream<R: Row + ?Sized>(&self, record: &R) -> Option<Vec<Value>> {
        self.stream_picking(record, None).map(|(values, _)| values)
    }

    /// [`Pipeline::stream`], the row made of the `picked` columns when no streaming stage
    /// projected it; and whether it was.
    fn stream_picking<R: Row + ?Sized>(&self, record: &R, picked: Option<&[usize]>) -> Option<(Vec<Value>, bool)> {
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
        if let Some(row) = projected {
            return Some((row, false));
        }
        if let Some(picked) = picked {
            return Some((picked.iter().map(|&c| record.value(c).into_owned()).collect(), true));
        }
        // Only the columns that decide the rows are read (a `summarize` by two columns reads
        // two of DeviceFileEvents' sixty-five); the others are what a record without them
        // gives, as when only the needed fields are parsed.
        let row = match &self.reads().needed {
            Some(needed) => {
                let mut row: Vec<Value> = self.table.columns.iter().map(|c| Value::absent(c.ty)).collect();
                for &c in needed {
                    row[c] = record.value(c).into_owned();
                }
                row
            }
            None => (0..self.table.columns.len())
                .map(|c| record.value(c).into_owned())
                .collect(),
        };
        Some((row, false))
    }

    /// [`Reads`]: the columns the streaming operators read, worked out on first use.
    fn reads(&self) -> &Reads {
        self.reads.get_or_init(|| Reads {
            needed: self.needed_columns(),
            picked: match self.engine.first() {
                Some(query::Op::Project(list)) if !self.streaming.iter().any(|s| matches!(s, Stage::Project(_))) => {
                    list.iter()
                        .map(|s| match s {
                            query::expr::Scalar::Column(c) if *c < self.table.columns.len() => Some(*c),
                            _ => None,
                        })
                        .collect()
                }
                _ => None,
            },
        })
    }

    /// The table columns (by position) that decide this pipeline's rows, or `None` when its
    /// rows carry every column (no `project` or `summarize` in it): a record of a known table
    /// need only be parsed for these.
    pub fn needed_columns(&self) -> Option<Vec<usize>> {
        let mut needed = Vec::new();
        let mut narrowed = false;
        for stage in &self.streaming {
            match stage {
                Stage::Where(predicate) => predicate.columns(&mut needed),
                Stage::Project(scalars) => {
                    scalars.iter().for_each(|s| s.columns(&mut needed));
                    narrowed = true;
                    break;
                }
                Stage::OrderBy(_) | Stage::Take(_) => {}
            }
        }
        if !narrowed {
            for op in &self.engine {
                match op {
                    query::Op::Where(s) => s.columns(&mut needed),
                    query::Op::Extend(list) => list.iter().for_each(|(_, s)| s.columns(&mut needed)),
                    query::Op::Project(list) => {
                        list.iter().for_each(|s| s.columns(&mut needed));
                        narrowed = true;
                        break;
                    }
                    query::Op::MvExpand { columns, .. } => needed.extend(columns.iter().map(|(c, _)| *c)),
                    query::Op::Parse(parser) => parser.source.columns(&mut needed),
                    // Not streaming operators: never in a pipeline.
                    _ => return None,
                }
            }
        }
        if !narrowed {
            let summarize = self.summarize.as_ref()?;
            summarize.keys.iter().for_each(|k| k.columns(&mut needed));
            for aggregate in &summarize.aggregates {
                aggregate.args.iter().for_each(|a| a.columns(&mut needed));
            }
        }
        // Columns an `extend` added are not the table's.
        needed.retain(|&c| c < self.table.columns.len());
        needed.sort_unstable();
        needed.dedup();
        Some(needed)
    }

    /// Runs the streaming stages and then the engine's streaming operators on one record:
    /// the rows it yields (none, one, or several after `mv-expand`) go to `out`.
    pub fn stream_into<R: Row + ?Sized>(&self, record: &R, now: i64, out: &mut Vec<Vec<Value>>) {
        let Some((values, picked)) = self.stream_picking(record, self.reads().picked.as_deref()) else {
            return;
        };
        // A leading `project` of plain columns has made the row already.
        let engine = if picked { &self.engine[1..] } else { &self.engine[..] };
        if engine.is_empty() {
            out.push(values);
            return;
        }
        let context = query::expr::Context::new(now);
        let mut rows = vec![query::Row { values, origin: None }];
        for op in engine {
            let mut next = Vec::with_capacity(rows.len());
            for row in rows {
                query::run::apply_row(op, row, &context, &mut next);
            }
            rows = next;
        }
        out.extend(rows.into_iter().map(|row| row.values));
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

/// One rule compiled: the pipelines the scan runs for it, and how its result is made of what
/// they collect.
#[derive(Debug)]
pub struct CompiledRule {
    pub id: String,
    pub title: Option<String>,
    /// The table (or tables, comma-separated) it reads, for headings.
    pub table: String,
    pub pipelines: Vec<Pipeline>,
    pub output: Output,
}

#[derive(Debug)]
pub enum Output {
    /// The seed shape: the rows of the rule's one pipeline, after its tail.
    Pipeline,
    /// An engine query: its program run on its pipelines' rows.
    Program(Box<query::Program>),
}

/// A rule as the plan keeps it once its pipelines joined the plan's list.
#[derive(Debug)]
pub struct PlannedRule {
    pub id: String,
    pub title: Option<String>,
    pub table: String,
    /// Its pipelines: `first..first + count` in [`Plan::pipelines`].
    pub first: usize,
    pub count: usize,
    pub output: Output,
}

/// One rule's result: its columns and rows in their final order.
#[derive(Debug, Clone)]
pub struct RuleResult {
    pub id: String,
    pub title: Option<String>,
    pub table: String,
    pub columns: Vec<query::Col>,
    pub rows: Vec<query::Row>,
    /// Notes for the summary (`render` ignored, ...).
    pub notes: Vec<String>,
}

/// Every rule compiled, plus the warnings found on the way.
#[derive(Debug, Default)]
pub struct Plan {
    /// What the scan runs, every rule's pipelines one after the other.
    pub pipelines: Vec<Pipeline>,
    pub rules: Vec<PlannedRule>,
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
            plan.rules.push(PlannedRule {
                id: compiled.id,
                title: compiled.title,
                table: compiled.table,
                first: plan.pipelines.len(),
                count: compiled.pipelines.len(),
                output: compiled.output,
            });
            plan.pipelines.extend(compiled.pipelines);
            plan.warnings.extend(warnings);
        }
        Ok(plan)
    }

    /// Each table some pipeline reads, in order of first use, with the indices of its pipelines.
    pub fn pipelines_by_table(&self) -> Vec<(&'static Table, Vec<usize>)> {
        let mut by_table: Vec<(&'static Table, Vec<usize>)> = Vec::new();
        for (index, rule) in self.pipelines.iter().enumerate() {
            match by_table.iter_mut().find(|(table, _)| std::ptr::eq(*table, rule.table)) {
                Some((_, rules)) => rules.push(index),
                None => by_table.push((rule.table, vec![index])),
            }
        }
        by_table
    }

    /// The rules' results from the rows each pipeline collected (in input order, after the
    /// pipeline's tail), given with each row's position. `externals` resolves the
    /// `externaldata` and watchlist sources of each rule's program (by rule, then source).
    pub fn finish(
        &self,
        mut collected: Vec<Vec<query::Row>>,
        externals: &mut dyn FnMut(usize, &query::External) -> Result<query::Rows, query::RunError>,
        now: i64,
        max_memory: usize,
    ) -> Result<Vec<RuleResult>, (String, query::RunError)> {
        let mut results = Vec::with_capacity(self.rules.len());
        for (index, rule) in self.rules.iter().enumerate() {
            let result = match &rule.output {
                Output::Pipeline => {
                    let pipeline = &self.pipelines[rule.first];
                    RuleResult {
                        id: rule.id.clone(),
                        title: rule.title.clone(),
                        table: rule.table.clone(),
                        columns: pipeline
                            .columns
                            .iter()
                            .map(|c| query::Col::new(c.name.clone(), Some(c.ty)))
                            .collect(),
                        rows: std::mem::take(&mut collected[rule.first]),
                        notes: Vec::new(),
                    }
                }
                Output::Program(program) => {
                    let mut loaded = Vec::new();
                    for external in &program.externals {
                        loaded.push(externals(index, external).map_err(|e| (rule.id.clone(), e))?);
                    }
                    let mut pipelines: Vec<Option<Vec<query::Row>>> = collected[rule.first..rule.first + rule.count]
                        .iter_mut()
                        .map(|rows| Some(std::mem::take(rows)))
                        .collect();
                    let resources = query::Resources {
                        now,
                        pipelines: &mut pipelines,
                        externals: loaded,
                        max_memory,
                    };
                    let outputs = program.run(resources).map_err(|e| (rule.id.clone(), e))?;
                    // A query of several tabular statements gives one result each: the first
                    // under the rule's id, the next as `id#2`, `id#3`...
                    for (i, (rows, (_, columns))) in outputs.into_iter().zip(&program.results).enumerate() {
                        results.push(RuleResult {
                            id: if i == 0 {
                                rule.id.clone()
                            } else {
                                format!("{}#{}", rule.id, i + 1)
                            },
                            title: rule.title.clone(),
                            table: rule.table.clone(),
                            columns: columns.clone(),
                            rows: rows.rows,
                            notes: if i == 0 { program.ignored.clone() } else { Vec::new() },
                        });
                    }
                    continue;
                }
            };
            results.push(result);
        }
        Ok(results)
    }
}

/// "unknown column or name `x`", with a hint when a column of `columns` differs only in case.
pub(crate) fn unknown_name_message<'a>(name: &str, mut columns: impl Iterator<Item = &'a str>) -> String {
    let hint = columns
        .find(|c| c.eq_ignore_ascii_case(name))
        .map(|c| format!(" (did you mean `{c}`? column names are case-sensitive)"))
        .unwrap_or_default();
    format!("unknown column or name `{name}`{hint}")
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
