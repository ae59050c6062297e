//! Kusto's scalar function library (strings, conversions, parsing, dates, dynamic values,
//! network, hashing, math): each function's arity, static result type and evaluation on values.

// The interface the engine is written against; the library lands with its own branch.
use crate::schema::ColumnType;
use crate::value::Value;

#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub now: i64,
}

pub struct Function {
    pub name: &'static str,
    pub min_args: usize,
    pub max_args: usize,
    pub result_type: fn(&[Option<ColumnType>]) -> Option<ColumnType>,
    pub eval: fn(&[Value], &Context) -> Value,
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}()", self.name)
    }
}

pub fn lookup(_name: &str) -> Option<&'static Function> {
    None
}
