//! The `-if` variants (`countif`, `sumif`, `make_set_if`, ...): the predicate is the last per-row
//! argument, and a row reaches the wrapped aggregate only when it is `true` (null is false).

use std::any::Any;

use super::values::is_true;
use super::{downcast, Accumulator};
use crate::value::Value;

#[derive(Debug)]
pub(super) struct Conditional {
    inner: Box<dyn Accumulator>,
}

impl Conditional {
    pub(super) fn wrap(inner: Box<dyn Accumulator>) -> Box<dyn Accumulator> {
        Box::new(Conditional { inner })
    }
}

impl Accumulator for Conditional {
    fn add(&mut self, args: &[Value]) {
        if let Some((predicate, rest)) = args.split_last() {
            if is_true(predicate) {
                self.inner.add(rest);
            }
        }
    }

    fn merge(&mut self, later: Box<dyn Accumulator>) {
        self.inner.merge(downcast::<Conditional>(later).inner);
    }

    fn finish(&self) -> Vec<Value> {
        self.inner.finish()
    }

    fn memory(&self) -> usize {
        self.inner.memory()
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
