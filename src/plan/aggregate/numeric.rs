//! The arithmetic aggregates: `count`, `sum`, `avg`, `min`/`max`, and the variance family
//! (`stdev`, `stdevp`, `variance`, `variancep`). Real sums are exact until the final rounding
//! (see `exact`), so their results do not depend on how rows were split into partials.

use std::any::Any;
use std::cmp::Ordering;

use super::exact::ExactSum;
use super::values::{is_null, order, scalar, value_memory};
use super::{downcast, Accumulator};
use crate::value::Value;

/// `count()`: rows.
#[derive(Debug, Default)]
pub(super) struct Count {
    rows: i64,
}

impl Accumulator for Count {
    fn add(&mut self, _args: &[Value]) {
        self.rows += 1;
    }

    fn merge(&mut self, later: Box<dyn Accumulator>) {
        self.rows += downcast::<Count>(later).rows;
    }

    fn finish(&self) -> Vec<Value> {
        vec![Value::Long(self.rows)]
    }

    fn memory(&self) -> usize {
        0
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// What `sum` and `avg` produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mean {
    Sum,
    Avg,
}

/// The state of `sum` and `avg`: longs summed exactly, reals summed exactly, ticks of datetimes
/// and timespans summed exactly, and which kinds were seen.
#[derive(Debug)]
pub(super) struct Numeric {
    mean: Mean,
    count: u64,
    longs: i128,
    reals: ExactSum,
    ticks: i128,
    seen_long: bool,
    seen_real: bool,
    seen_timespan: bool,
    seen_datetime: bool,
}

impl Numeric {
    pub(super) fn new(mean: Mean) -> Numeric {
        Numeric {
            mean,
            count: 0,
            longs: 0,
            reals: ExactSum::default(),
            ticks: 0,
            seen_long: false,
            seen_real: false,
            seen_timespan: false,
            seen_datetime: false,
        }
    }

    fn kinds(&self) -> usize {
        [self.seen_long || self.seen_real, self.seen_timespan, self.seen_datetime]
            .iter()
            .filter(|seen| **seen)
            .count()
    }
}

impl Accumulator for Numeric {
    fn add(&mut self, args: &[Value]) {
        let Some(value) = args.first() else { return };
        match scalar(value).as_ref() {
            Value::Long(n) => {
                self.longs += i128::from(*n);
                self.seen_long = true;
            }
            Value::Real(r) if !r.is_nan() => {
                self.reals.add(*r);
                self.seen_real = true;
            }
            Value::TimeSpan(t) => {
                self.ticks += i128::from(*t);
                self.seen_timespan = true;
            }
            Value::DateTime(t) if self.mean == Mean::Avg => {
                self.ticks += i128::from(*t);
                self.seen_datetime = true;
            }
            // Nulls are ignored; other types cannot be summed (the planner rejects them).
            _ => return,
        }
        self.count += 1;
    }

    fn merge(&mut self, later: Box<dyn Accumulator>) {
        let later = downcast::<Numeric>(later);
        self.count += later.count;
        self.longs += later.longs;
        self.reals.merge(&later.reals);
        self.ticks += later.ticks;
        self.seen_long |= later.seen_long;
        self.seen_real |= later.seen_real;
        self.seen_timespan |= later.seen_timespan;
        self.seen_datetime |= later.seen_datetime;
    }

    fn finish(&self) -> Vec<Value> {
        let value = match (self.mean, self.count) {
            // Kusto's default for a sum over no values is 0; an average is 0/0, NaN (the
            // summarize page's "aggregates default values" example shows `avg(x)` as NaN).
            (Mean::Sum, 0) => Value::Long(0),
            (Mean::Avg, 0) => Value::Real(f64::NAN),
            // Mixed kinds cannot come from one typed column; there is no sensible answer.
            _ if self.kinds() > 1 => Value::Null,
            (Mean::Sum, _) if self.seen_timespan => Value::TimeSpan(self.ticks as i64),
            (Mean::Sum, _) if self.seen_real => Value::Real(self.total()),
            // Long overflow wraps, as in Kusto's (unchecked) arithmetic.
            (Mean::Sum, _) => Value::Long(self.longs as i64),
            // Integer division truncates towards zero, like a cast of the real average would.
            (Mean::Avg, n) if self.seen_timespan => Value::TimeSpan((self.ticks / i128::from(n)) as i64),
            (Mean::Avg, n) if self.seen_datetime => Value::DateTime((self.ticks / i128::from(n)) as i64),
            (Mean::Avg, n) => Value::Real(self.total() / n as f64),
        };
        vec![value]
    }

    fn memory(&self) -> usize {
        self.reals.memory()
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

impl Numeric {
    /// Longs and reals together, rounded once.
    fn total(&self) -> f64 {
        let mut total = self.reals.clone();
        total.add_integer(self.longs);
        total.value()
    }
}

/// Which member of the variance family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Spread {
    /// `variance`: sample variance (Bessel's correction, n - 1).
    Variance,
    /// `variancep`: population variance (n).
    VarianceP,
    /// `stdev`: the square root of `variance`.
    Stdev,
    /// `stdevp`: the square root of `variancep`.
    StdevP,
}

/// The count, exact sum and exact sum of squares of the values.
#[derive(Debug)]
pub(super) struct Moments {
    spread: Spread,
    count: u64,
    sum: ExactSum,
    squares: ExactSum,
}

impl Moments {
    pub(super) fn new(spread: Spread) -> Moments {
        Moments {
            spread,
            count: 0,
            sum: ExactSum::default(),
            squares: ExactSum::default(),
        }
    }
}

impl Accumulator for Moments {
    fn add(&mut self, args: &[Value]) {
        let Some(value) = args.first() else { return };
        let x = match scalar(value).as_ref() {
            Value::Long(n) => *n as f64,
            Value::Real(r) if !r.is_nan() => *r,
            _ => return,
        };
        self.count += 1;
        self.sum.add(x);
        self.squares.add_product(x, x);
    }

    fn merge(&mut self, later: Box<dyn Accumulator>) {
        let later = downcast::<Moments>(later);
        self.count += later.count;
        self.sum.merge(&later.sum);
        self.squares.merge(&later.squares);
    }

    fn finish(&self) -> Vec<Value> {
        let sample = matches!(self.spread, Spread::Variance | Spread::Stdev);
        let value = match self.count {
            // Kusto's defaults over no values: 0 for variance and stdev, null for the others.
            0 if sample => Value::Real(0.0),
            0 => Value::Null,
            // One value has no spread (rather than 0/0 with Bessel's correction).
            1 => Value::Real(0.0),
            n => {
                let total = self.sum.value();
                let mean = total / n as f64;
                // sum((x - mean)^2) = sum(x^2) - total * mean, taken exactly before rounding.
                let mut deviations = self.squares.clone();
                deviations.add_product(-total, mean);
                let deviations = deviations.value().max(0.0);
                let divisor = if sample { (n - 1) as f64 } else { n as f64 };
                let variance = deviations / divisor;
                Value::Real(match self.spread {
                    Spread::Variance | Spread::VarianceP => variance,
                    Spread::Stdev | Spread::StdevP => variance.sqrt(),
                })
            }
        };
        vec![value]
    }

    fn memory(&self) -> usize {
        self.sum.memory() + self.squares.memory()
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// `min` and `max`: the least or greatest non-null value; on ties the first in input order.
#[derive(Debug)]
pub(super) struct Extreme {
    /// `Less` for min, `Greater` for max: a value replaces the best when it orders so against it.
    wanted: Ordering,
    best: Option<Value>,
}

impl Extreme {
    pub(super) fn new(wanted: Ordering) -> Extreme {
        Extreme { wanted, best: None }
    }

    fn offer(&mut self, value: Value) {
        let better = match &self.best {
            None => true,
            Some(best) => order(&value, best) == self.wanted,
        };
        if better {
            self.best = Some(value);
        }
    }
}

impl Accumulator for Extreme {
    fn add(&mut self, args: &[Value]) {
        let Some(value) = args.first() else { return };
        if !is_null(value) {
            self.offer(scalar(value).into_owned());
        }
    }

    fn merge(&mut self, later: Box<dyn Accumulator>) {
        if let Some(best) = downcast::<Extreme>(later).best {
            self.offer(best);
        }
    }

    fn finish(&self) -> Vec<Value> {
        vec![self.best.clone().unwrap_or(Value::Null)]
    }

    fn memory(&self) -> usize {
        self.best.as_ref().map_or(0, value_memory)
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
