//! The query engine for hunting queries beyond the seed shape: a rule's query compiled into
//! scan pipelines (one per table it reads: the leading `where`s go to the fast path, the
//! streaming operators after them run on the scan's workers) and a [`Program`] — a tree of
//! operators over rows — that runs after the scan on what the pipelines collected.

pub mod expr;
pub mod groups;
mod planner;
pub mod run;

use std::sync::Arc;

pub use planner::{plan_query, plan_scalar};
pub use run::{Resources, RunError};

use crate::kql::{Arithmetic, Span};
use crate::plan::aggregate::AggregateFn;
use crate::schema::ColumnType;
use crate::value::Value;
use expr::Scalar;

/// A column of an operator's output: its name and, where known before the data, its type.
#[derive(Debug, Clone, PartialEq)]
pub struct Col {
    pub name: String,
    pub ty: Option<ColumnType>,
}

impl Col {
    pub fn new(name: impl Into<String>, ty: Option<ColumnType>) -> Col {
        Col { name: name.into(), ty }
    }
}

/// A record's place in the input: the order results are listed in when nothing else decides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub file: usize,
    pub offset: u64,
    pub line: u64,
}

/// A row of the engine: its values and, while it is one record's row, where that record is.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub values: Vec<Value>,
    pub origin: Option<Position>,
}

/// Rows with their columns.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub columns: Vec<Col>,
    pub rows: Vec<Row>,
}

/// A compiled query: the tree that produces its result from the pipelines' rows.
#[derive(Debug)]
pub struct Program {
    /// One tree per tabular statement of the query, with its result's columns.
    pub results: Vec<(Node, Vec<Col>)>,
    /// Scalar and set subqueries (`toscalar(...)`, `x in (T | ...)`), by number; each may use
    /// only those before it.
    pub subqueries: Vec<Subquery>,
    /// Tabular `let`s used more than once, computed once.
    pub shared: Vec<Node>,
    /// `externaldata` and `_GetWatchlist` sources, by number.
    pub externals: Vec<External>,
    /// Operators accepted but without effect here (`render`).
    pub ignored: Vec<String>,
}

#[derive(Debug)]
pub struct Subquery {
    pub node: Node,
    /// `toscalar`: the first column of the first row; otherwise the first column's values.
    pub scalar: bool,
}

/// Data from outside the logs that the query names.
#[derive(Debug, Clone)]
pub struct External {
    pub kind: ExternalKind,
    pub columns: Vec<Col>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ExternalKind {
    /// `externaldata(...) [urls] with (format=..., ignoreFirstRecord=...)`
    Url {
        urls: Vec<String>,
        format: String,
        ignore_first_record: bool,
    },
    /// `_GetWatchlist('name')`
    Watchlist { name: String },
}

/// A node of a program's tree.
#[derive(Debug)]
pub enum Node {
    /// The rows a scan pipeline collected (by its index in the plan).
    Pipeline(usize),
    /// Rows known when the query is compiled (`datatable`, `print`, `range`).
    Rows(Arc<Rows>),
    External(usize),
    Shared(usize),
    Apply(Box<Node>, Vec<Op>),
    Union(Vec<UnionLeg>),
}

/// One leg of a `union`: its rows, and for each output column the leg's column (if it has it).
#[derive(Debug)]
pub struct UnionLeg {
    pub node: Node,
    pub mapping: Vec<Option<usize>>,
    /// The leg's name for `withsource=`.
    pub source: Option<String>,
    /// The value of each output column the leg lacks: `""` for strings (never null in Kusto),
    /// null for the rest.
    pub fill: Vec<Value>,
}

/// A tabular operator run after the scan, on all of its input.
#[derive(Debug)]
pub enum Op {
    Where(Scalar),
    /// New rows from these expressions.
    Project(Vec<Scalar>),
    /// `extend`: each value replaces a column (`Some`) or is appended.
    Extend(Vec<(Option<usize>, Scalar)>),
    Summarize(groups::Summarize),
    Sort(Vec<SortKey>),
    Take(usize),
    Top(usize, Vec<SortKey>),
    /// Distinct rows (after a projection to the distinct columns).
    Distinct,
    Count,
    MvExpand {
        columns: Vec<(usize, Option<ColumnType>)>,
        limit: Option<usize>,
        /// `kind=array`: a property bag's properties become `[key, value]` arrays.
        array_bags: bool,
        /// `with_itemindex=Name`: a column with each item's index is appended.
        item_index: bool,
    },
    Parse(Box<parse::Parser>),
    Join(Box<Join>),
    /// `T | union ...`: the input is the first leg.
    Union {
        legs: Vec<UnionLeg>,
        input_mapping: Vec<Option<usize>>,
        input_source: Option<String>,
        input_fill: Vec<Value>,
    },
}

impl Op {
    /// The operator's name, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Where(_) => "where",
            Op::Project(_) => "project",
            Op::Extend(_) => "extend",
            Op::Summarize(_) => "summarize",
            Op::Sort(_) => "order by",
            Op::Take(_) => "take",
            Op::Top(..) => "top",
            Op::Distinct => "distinct",
            Op::Count => "count",
            Op::MvExpand { .. } => "mv-expand",
            Op::Parse(_) => "parse",
            Op::Join(_) => "join",
            Op::Union { .. } => "union",
        }
    }
}

/// One aggregate of `summarize`: its function, per-row arguments, constants, and how many
/// output columns it has.
#[derive(Debug)]
pub struct Aggregate {
    pub function: &'static AggregateFn,
    pub args: Vec<Scalar>,
    pub constants: Vec<Value>,
    pub outputs: usize,
}

#[derive(Debug, Clone)]
pub struct SortKey {
    pub expr: Scalar,
    pub descending: bool,
    pub nulls_first: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    InnerUnique,
    Inner,
    LeftOuter,
    RightOuter,
    FullOuter,
    LeftAnti,
    RightAnti,
    LeftSemi,
    RightSemi,
}

impl JoinKind {
    pub fn parse(name: &str) -> Option<JoinKind> {
        Some(match name {
            "innerunique" => JoinKind::InnerUnique,
            "inner" => JoinKind::Inner,
            "leftouter" => JoinKind::LeftOuter,
            "rightouter" => JoinKind::RightOuter,
            "fullouter" | "outer" => JoinKind::FullOuter,
            "leftanti" | "anti" | "leftantisemi" => JoinKind::LeftAnti,
            "rightanti" | "rightantisemi" => JoinKind::RightAnti,
            "leftsemi" => JoinKind::LeftSemi,
            "rightsemi" => JoinKind::RightSemi,
            _ => return None,
        })
    }
}

/// A `join` or `lookup`: the right side, the key columns, and where each output column comes
/// from.
#[derive(Debug)]
pub struct Join {
    pub kind: JoinKind,
    pub right: Node,
    pub left_keys: Vec<usize>,
    pub right_keys: Vec<usize>,
    /// For each output column: from the left (`true`) or the right row, and which column.
    pub output: Vec<(bool, usize)>,
    /// Each output column's value when its side has no row (outer joins): `""` for strings.
    pub fill: Vec<Value>,
}

pub mod parse {
    //! The `parse` operator's matcher: the pattern turned into a regex whose groups are the
    //! new columns (simple and relaxed kinds are translated, regex kind is taken as written).

    use regex::Regex;

    use crate::schema::ColumnType;

    #[derive(Debug)]
    pub struct Parser {
        pub source: super::expr::Scalar,
        pub regex: Regex,
        /// Per capture group: the output column it fills (replacing one, or appended) and its type.
        pub targets: Vec<(Option<usize>, Option<ColumnType>)>,
        /// `parse-where`: rows that do not match are dropped.
        pub drop_unmatched: bool,
        /// Relaxed: a capture that does not convert to its type is null and the row kept.
        pub relaxed: bool,
    }
}

/// Approximate heap and inline bytes of a row's values, for `--max-memory`: cheap on purpose
/// (a dynamic value counts a flat 64 bytes), since it runs on every collected row.
pub fn values_bytes(values: &[Value]) -> usize {
    values
        .iter()
        .map(|v| {
            std::mem::size_of::<Value>()
                + match v {
                    Value::String(s) => s.len(),
                    Value::Dynamic(_) => 64,
                    _ => 0,
                }
        })
        .sum()
}

/// Bytes for a message: `512 bytes`, `12 KB`, `3.4 MB`, `1.2 GB`.
pub fn human_bytes(bytes: usize) -> String {
    let b = bytes as f64;
    if b < 1024.0 {
        format!("{bytes} bytes")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.0} KB", b / 1024.0)
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1} MB", b / (1024.0 * 1024.0))
    } else {
        format!("{:.1} GB", b / (1024.0 * 1024.0 * 1024.0))
    }
}

/// The type an arithmetic result has, where the operand types say.
pub fn arithmetic_type(op: Arithmetic, a: Option<ColumnType>, b: Option<ColumnType>) -> Option<ColumnType> {
    use ColumnType::*;
    Some(match (a?, b?) {
        (Long, Long) => Long,
        (Long | Real, Long | Real) => Real,
        (DateTime, TimeSpan) => DateTime,
        (TimeSpan, DateTime) if op == Arithmetic::Add => DateTime,
        (DateTime, DateTime) => TimeSpan,
        (TimeSpan, TimeSpan) if op == Arithmetic::Divide => Real,
        (TimeSpan, _) | (_, TimeSpan) => TimeSpan,
        _ => return None,
    })
}
