//! `percentile` and `percentiles`, exact: the nearest-rank percentile of the sorted non-null
//! values. Kusto estimates with a T-Digest (rank error up to 1% around the median, exact at 0 and
//! 100); we keep every value and pick the element the doc's definition names.

use std::any::Any;

use super::values::{is_null, order, scalar, value_memory};
use super::{downcast, Accumulator};
use crate::value::Value;

#[derive(Debug)]
pub(super) struct Percentiles {
    /// Each requested percentile, in 0..=100.
    percents: Vec<f64>,
    /// The non-null values in input order.
    values: Vec<Value>,
    bytes: usize,
}

impl Percentiles {
    pub(super) fn new(percents: Vec<f64>) -> Percentiles {
        Percentiles {
            percents,
            values: Vec::new(),
            bytes: 0,
        }
    }
}

/// The 0-based index of the nearest-rank `percent`-th percentile among `count` sorted values:
/// the smallest value such that `percent`% of the values are less or equal to it, i.e. rank
/// ceil(P/100 × N); the 0th percentile is the smallest value.
pub(super) fn nearest_rank(percent: f64, count: usize) -> usize {
    // P × N first, so whole percentiles of whole counts stay exact (0.95 × 20 is not 19).
    let rank = (percent * count as f64 / 100.0).ceil();
    let rank = if rank < 1.0 { 1 } else { rank as usize };
    rank.min(count) - 1
}

impl Accumulator for Percentiles {
    fn add(&mut self, args: &[Value]) {
        let Some(value) = args.first() else { return };
        if is_null(value) {
            return;
        }
        let value = scalar(value).into_owned();
        self.bytes += value_memory(&value);
        self.values.push(value);
    }

    fn merge(&mut self, later: Box<dyn Accumulator>) {
        let later = downcast::<Percentiles>(later);
        self.bytes += later.bytes;
        self.values.extend(later.values);
    }

    fn finish(&self) -> Vec<Value> {
        if self.values.is_empty() {
            return vec![Value::Null; self.percents.len()];
        }
        // A stable sort of the values in input order: equal values keep their order, so the
        // pick does not depend on how partials were split.
        let mut sorted: Vec<&Value> = self.values.iter().collect();
        sorted.sort_by(|a, b| order(a, b));
        self.percents
            .iter()
            .map(|&percent| sorted[nearest_rank(percent, sorted.len())].clone())
            .collect()
    }

    fn memory(&self) -> usize {
        self.bytes
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::nearest_rank;

    /// The worked examples of the nearest-rank method the doc refers to
    /// (https://en.wikipedia.org/wiki/Percentile#The_nearest-rank_method): the list
    /// 15, 20, 35, 40, 50 has 5th percentile 15, 30th 20, 40th 20, 50th 35 and 100th 50.
    #[test]
    fn nearest_rank_matches_the_definition() {
        let sorted = [15, 20, 35, 40, 50];
        for (percent, expected) in [(0.0, 15), (5.0, 15), (30.0, 20), (40.0, 20), (50.0, 35), (100.0, 50)] {
            assert_eq!(sorted[nearest_rank(percent, sorted.len())], expected, "P{percent}");
        }
        // 95th of 20 values is the 19th, not the 20th (0.95 × 20 rounds above 19 in binary).
        assert_eq!(nearest_rank(95.0, 20), 18);
        assert_eq!(nearest_rank(99.5, 1000), 994);
    }
}
