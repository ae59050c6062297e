//! Kusto's aggregation functions for `summarize`: accumulators that take rows, merge partials
//! built by different workers in input order, and finish into result values.

// The interface the `summarize` operator is written against; the implementations land with
// the aggregates' own branch.
use crate::schema::ColumnType;
use crate::value::Value;

#[allow(clippy::type_complexity)]
pub struct AggregateFn {
    pub name: &'static str,
    pub row_args: fn(usize) -> Result<usize, String>,
    pub new: fn(&[Value]) -> Result<Box<dyn Accumulator>, String>,
    pub result_types: fn(&[Option<ColumnType>], &[Value]) -> Vec<Option<ColumnType>>,
    pub default_names: fn(&[Option<&str>], &[Value]) -> Vec<String>,
}

pub trait Accumulator: Send + std::fmt::Debug {
    fn add(&mut self, args: &[Value]);
    fn merge(&mut self, later: Box<dyn Accumulator>);
    fn finish(&self) -> Vec<Value>;
    fn memory(&self) -> usize;
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any>;
}

pub fn lookup(_name: &str) -> Option<&'static AggregateFn> {
    None
}
