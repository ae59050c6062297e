//! Exact floating-point sums, so that a real `sum`, `avg` or `variance` does not depend on how the
//! rows were split into partials: the running total is kept as Shewchuk's non-overlapping partials
//! (as Python's `math.fsum` does) and rounded once, correctly, at the end. Floating-point addition
//! is not associative; the correctly rounded exact sum is the same for every order and split.

/// An exact sum of `f64` values.
#[derive(Debug, Clone, Default)]
pub(super) struct ExactSum {
    /// Non-overlapping, increasing in magnitude; their exact sum is the total of the finite values.
    partials: Vec<f64>,
    /// The plain sum of the non-finite values added (infinities, NaN), if any was.
    special: Option<f64>,
}

impl ExactSum {
    pub(super) fn add(&mut self, value: f64) {
        if !value.is_finite() {
            self.special = Some(self.special.map_or(value, |s| s + value));
            return;
        }
        let mut x = value;
        let mut kept = 0;
        for index in 0..self.partials.len() {
            let mut y = self.partials[index];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let high = x + y;
            let low = y - (high - x);
            if low != 0.0 {
                self.partials[kept] = low;
                kept += 1;
            }
            x = high;
        }
        self.partials.truncate(kept);
        // An overflow of an intermediate sum of finite values is the one case this does not make
        // exact: the total is then reported as that infinity.
        if x.is_finite() {
            self.partials.push(x);
        } else {
            self.special = Some(self.special.map_or(x, |s| s + x));
        }
    }

    /// Adds `a * b` exactly: the rounded product and its rounding error (by a fused multiply-add).
    pub(super) fn add_product(&mut self, a: f64, b: f64) {
        let product = a * b;
        if !product.is_finite() {
            self.add(product);
            return;
        }
        let error = a.mul_add(b, -product);
        self.add(product);
        self.add(error);
    }

    /// Adds an integer exactly, as the few `f64` pieces it splits into.
    pub(super) fn add_integer(&mut self, mut value: i128) {
        // Each piece takes the top 53 bits, so three pieces cover an i128.
        for _ in 0..4 {
            if value == 0 {
                return;
            }
            let piece = value as f64;
            self.add(piece);
            let taken = piece as i128;
            if taken == i128::MAX || taken == i128::MIN {
                return;
            }
            value -= taken;
        }
    }

    pub(super) fn merge(&mut self, later: &ExactSum) {
        for &partial in &later.partials {
            self.add(partial);
        }
        if let Some(special) = later.special {
            self.special = Some(self.special.map_or(special, |s| s + special));
        }
    }

    /// The sum correctly rounded to the nearest `f64` (ties to even), as `math.fsum` rounds it.
    pub(super) fn value(&self) -> f64 {
        if let Some(special) = self.special {
            return special;
        }
        let partials = &self.partials;
        let mut n = partials.len();
        if n == 0 {
            return 0.0;
        }
        n -= 1;
        let mut high = partials[n];
        let mut low = 0.0;
        while n > 0 {
            let x = high;
            n -= 1;
            let y = partials[n];
            high = x + y;
            let rounded = high - x;
            low = y - rounded;
            if low != 0.0 {
                break;
            }
        }
        // Round half-even correctly when the rest of the partials push a tie one way.
        if n > 0 && ((low < 0.0 && partials[n - 1] < 0.0) || (low > 0.0 && partials[n - 1] > 0.0)) {
            let y = low * 2.0;
            let x = high + y;
            if y == x - high {
                high = x;
            }
        }
        if high == 0.0 {
            0.0
        } else {
            high
        }
    }

    pub(super) fn memory(&self) -> usize {
        self.partials.capacity() * std::mem::size_of::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(values: &[f64]) -> f64 {
        let mut total = ExactSum::default();
        for &v in values {
            total.add(v);
        }
        total.value()
    }

    #[test]
    fn sums_exactly_whatever_the_order() {
        assert_eq!(sum(&[0.1, 0.2, 0.3]), 0.6);
        assert_eq!(sum(&[1e16, 1.0, -1e16]), 1.0);
        assert_eq!(sum(&[1.0, 1e100, 1.0, -1e100]), 2.0);
        assert_eq!(sum(&[0.1; 10]), 1.0);
        assert_eq!(sum(&[]), 0.0);
    }

    #[test]
    fn merging_partials_gives_the_same_sum() {
        let values = [0.1, 1e16, 0.7, -3.3, -1e16, 2.5e-8, 123.456];
        let whole = sum(&values);
        for split in 0..=values.len() {
            let mut first = ExactSum::default();
            let mut second = ExactSum::default();
            values[..split].iter().for_each(|&v| first.add(v));
            values[split..].iter().for_each(|&v| second.add(v));
            first.merge(&second);
            assert_eq!(first.value().to_bits(), whole.to_bits(), "split at {split}");
        }
    }

    #[test]
    fn non_finite_values_win() {
        assert_eq!(sum(&[1.0, f64::INFINITY]), f64::INFINITY);
        assert!(sum(&[f64::INFINITY, f64::NEG_INFINITY]).is_nan());
        assert!(sum(&[f64::NAN, 1.0]).is_nan());
    }

    #[test]
    fn integers_and_products_are_exact() {
        let mut total = ExactSum::default();
        total.add_integer(i64::MAX as i128 * 3);
        total.add_integer(-(i64::MAX as i128) * 3);
        total.add(0.5);
        assert_eq!(total.value(), 0.5);
        let mut squares = ExactSum::default();
        let x = 1.0 + f64::EPSILON;
        squares.add_product(x, x);
        squares.add(-1.0);
        assert_eq!(squares.value(), 2.0 * f64::EPSILON + f64::EPSILON * f64::EPSILON);
    }
}
