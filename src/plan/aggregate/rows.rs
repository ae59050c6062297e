//! The row-picking aggregates: `arg_max`/`arg_min` (the row with the greatest/least first
//! argument, ties to the first row in input order) and `take_any` (the first row in input order,
//! where Kusto picks an arbitrary one). They return every per-row argument of the picked row.

use std::any::Any;
use std::cmp::Ordering;

use super::values::{is_null, order, scalar, value_memory};
use super::{downcast, Accumulator};
use crate::value::Value;

fn row_memory(row: &[Value]) -> usize {
    row.iter().map(value_memory).sum()
}

/// `arg_max` / `arg_min`.
#[derive(Debug)]
pub(super) struct ArgExtreme {
    /// `Greater` for arg_max, `Less` for arg_min.
    wanted: Ordering,
    /// The best row among those whose first argument is not null, with that argument.
    best: Option<(Value, Vec<Value>)>,
    /// The first row of all: the answer when every row's first argument is null (the doc: "one
    /// row in the group is picked").
    first: Option<Vec<Value>>,
}

impl ArgExtreme {
    pub(super) fn new(wanted: Ordering) -> ArgExtreme {
        ArgExtreme {
            wanted,
            best: None,
            first: None,
        }
    }

    fn offer(&mut self, key: Value, row: Vec<Value>) {
        let better = match &self.best {
            None => true,
            Some((best, _)) => order(&key, best) == self.wanted,
        };
        if better {
            self.best = Some((key, row));
        }
    }
}

impl Accumulator for ArgExtreme {
    fn add(&mut self, args: &[Value]) {
        let Some(key) = args.first() else { return };
        if self.first.is_none() {
            self.first = Some(args.to_vec());
        }
        if !is_null(key) {
            self.offer(scalar(key).into_owned(), args.to_vec());
        }
    }

    fn merge(&mut self, later: Box<dyn Accumulator>) {
        let later = downcast::<ArgExtreme>(later);
        if self.first.is_none() {
            self.first = later.first;
        }
        if let Some((key, row)) = later.best {
            self.offer(key, row);
        }
    }

    /// The picked row's arguments; empty when no row was added (the caller knows the arity and
    /// fills nulls).
    fn finish(&self) -> Vec<Value> {
        match (&self.best, &self.first) {
            (Some((_, row)), _) => row.clone(),
            (None, Some(row)) => row.clone(),
            (None, None) => Vec::new(),
        }
    }

    fn memory(&self) -> usize {
        self.best
            .as_ref()
            .map_or(0, |(key, row)| value_memory(key) + row_memory(row))
            + self.first.as_deref().map_or(0, row_memory)
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// `take_any`: the first row in input order. With a single argument the first non-null,
/// non-empty value is preferred, as the doc says Kusto "will attempt to return" one.
#[derive(Debug, Default)]
pub(super) struct TakeAny {
    first: Option<Vec<Value>>,
    /// For a single argument: the first row whose value is neither null nor empty.
    first_nonempty: Option<Vec<Value>>,
}

impl Accumulator for TakeAny {
    fn add(&mut self, args: &[Value]) {
        if args.is_empty() {
            return;
        }
        if self.first.is_none() {
            self.first = Some(args.to_vec());
        }
        if args.len() == 1 && self.first_nonempty.is_none() && !args[0].is_empty() && !is_null(&args[0]) {
            self.first_nonempty = Some(args.to_vec());
        }
    }

    fn merge(&mut self, later: Box<dyn Accumulator>) {
        let later = downcast::<TakeAny>(later);
        if self.first.is_none() {
            self.first = later.first;
        }
        if self.first_nonempty.is_none() {
            self.first_nonempty = later.first_nonempty;
        }
    }

    /// The picked row's arguments; empty when no row was added (the caller fills nulls).
    fn finish(&self) -> Vec<Value> {
        self.first_nonempty
            .as_ref()
            .or(self.first.as_ref())
            .cloned()
            .unwrap_or_default()
    }

    fn memory(&self) -> usize {
        self.first.as_deref().map_or(0, row_memory) + self.first_nonempty.as_deref().map_or(0, row_memory)
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
