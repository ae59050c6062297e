//! Kusto's aggregation functions for `summarize`: accumulators that take rows, merge partials
//! built by different workers in input order, and finish into result values. Also each
//! function's argument shape, result types and Kusto's default result column names. It evaluates
//! no expressions: the `summarize` operator hands it the argument values of each row.
//!
//! Every result is deterministic: the same rows in the same order give the same values however
//! they were split into partials. Where Kusto is arbitrary or approximate we pick a documented
//! exact answer: `take_any` takes the first row, `arg_max`/`arg_min` ties go to the first row,
//! `make_bag` keeps a key's first value, `dcount` counts exactly, `percentile` is the exact
//! nearest rank, and real sums are exact until rounded once.

mod collect;
mod conditional;
mod exact;
mod names;
mod numeric;
mod percentile;
mod rows;
#[cfg(test)]
mod tests;
mod values;

use std::cmp::Ordering;

use crate::schema::ColumnType;
use crate::value::Value;

use collect::{Distinct, MakeBag, MakeList, MakeSet};
use conditional::Conditional;
use numeric::{Count, Extreme, Mean, Moments, Numeric, Spread};
use percentile::Percentiles;
use rows::{ArgExtreme, TakeAny};

/// Makes an empty accumulator from a call's constant arguments.
pub type NewAccumulator = fn(&[Value]) -> Result<Box<dyn Accumulator>, String>;

/// The output column types from the per-row argument types and the constants.
pub type ResultTypes = fn(&[Option<ColumnType>], &[Value]) -> Vec<Option<ColumnType>>;

/// An aggregation function: how it is called, what it returns, how its columns are named.
pub struct AggregateFn {
    /// The canonical name (`make_set` for `makeset`, `arg_max` for `argmax`, `take_any` for `any`).
    pub name: &'static str,
    /// Given the call's argument count, how many leading arguments are evaluated on every row
    /// (the rest are constants, evaluated once), or an error message for a wrong count.
    pub row_args: fn(usize) -> Result<usize, String>,
    /// A new empty accumulator from the constant arguments; an error for bad constants.
    pub new: NewAccumulator,
    /// The types of the output columns from the per-row argument types and the constants.
    pub result_types: ResultTypes,
    /// Kusto's default output column names, from the column name of each per-row argument that is
    /// a plain column reference (`None` for other expressions) and the constants.
    pub default_names: fn(&[Option<&str>], &[Value]) -> Vec<String>,
}

impl std::fmt::Debug for AggregateFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AggregateFn")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The running state of one aggregate over one group.
pub trait Accumulator: Send + std::fmt::Debug {
    /// One row's per-row argument values.
    fn add(&mut self, args: &[Value]);
    /// Folds in the partial built from rows that came **after** this one's rows in input order.
    /// `later` must come from the same function and constants.
    fn merge(&mut self, later: Box<dyn Accumulator>);
    /// The output values (one per output column).
    fn finish(&self) -> Vec<Value>;
    /// Approximate heap bytes held, for a memory limit.
    fn memory(&self) -> usize;
    /// For `merge`'s downcast.
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any>;
}

/// The partial to merge, as the accumulator type merging it. Partials of one aggregate call are
/// all made by the same `new`, so another type is a bug in the caller, not bad input.
fn downcast<T: 'static>(later: Box<dyn Accumulator>) -> Box<T> {
    match later.into_any().downcast::<T>() {
        Ok(later) => later,
        Err(_) => panic!(
            "merge of partials of different aggregates (expected {})",
            std::any::type_name::<T>()
        ),
    }
}

/// An aggregation function by name, aliases included (`makeset`, `makelist`, `argmax`,
/// `argmin`, `any`, `make_dictionary`). Case-sensitive, as Kusto.
pub fn lookup(name: &str) -> Option<&'static AggregateFn> {
    FUNCTIONS
        .iter()
        .find(|(spelled, _)| *spelled == name)
        .map(|(_, function)| *function)
}

/// Every name [`lookup`] knows, aliases included, in a fixed order.
pub fn names() -> Vec<&'static str> {
    FUNCTIONS.iter().map(|(spelled, _)| *spelled).collect()
}

// ---------------------------------------------------------------------------------------------
// Argument shapes. The messages say what is expected; the caller prefixes the function name.

fn no_args(count: usize) -> Result<usize, String> {
    match count {
        0 => Ok(0),
        n => Err(format!("takes no arguments, got {n}")),
    }
}

fn one_row_arg(count: usize) -> Result<usize, String> {
    match count {
        1 => Ok(1),
        n => Err(format!("takes 1 argument, got {n}")),
    }
}

/// `f(expr [, constant])`: make_set, make_list, make_bag, dcount.
fn value_then_optional_constant(count: usize) -> Result<usize, String> {
    match count {
        1 | 2 => Ok(1),
        n => Err(format!("takes 1 or 2 arguments, got {n}")),
    }
}

/// `f(expr, predicate)`: sumif, avgif, minif, maxif, ...
fn value_and_predicate(count: usize) -> Result<usize, String> {
    match count {
        2 => Ok(2),
        n => Err(format!("takes 2 arguments (expression, predicate), got {n}")),
    }
}

/// `f(expr, predicate [, constant])`: make_set_if, make_list_if, make_bag_if, dcountif.
fn value_predicate_then_optional_constant(count: usize) -> Result<usize, String> {
    match count {
        2 | 3 => Ok(2),
        n => Err(format!(
            "takes 2 or 3 arguments (expression, predicate [, constant]), got {n}"
        )),
    }
}

fn percentile_args(count: usize) -> Result<usize, String> {
    match count {
        2 => Ok(1),
        n => Err(format!("takes 2 arguments (expression, percentile), got {n}")),
    }
}

fn percentiles_args(count: usize) -> Result<usize, String> {
    match count {
        0 | 1 => Err(format!(
            "takes an expression and at least one percentile, got {count} arguments"
        )),
        _ => Ok(1),
    }
}

/// arg_max, arg_min, take_any: every argument is per row.
fn all_row_args(count: usize) -> Result<usize, String> {
    match count {
        0 => Err("takes at least 1 argument, got 0".to_string()),
        n => Ok(n),
    }
}

// ---------------------------------------------------------------------------------------------
// Constants.

/// The documented default and largest `maxSize` of make_set, make_list and make_bag.
const MAX_SIZE: usize = 1_048_576;
/// The default `maxSize` of the deprecated `makeset`, `makelist` and `make_dictionary`.
const LEGACY_MAX_SIZE: usize = 128;

fn constant_long(value: &Value) -> Option<i64> {
    match value {
        Value::Long(n) => Some(*n),
        Value::Real(r) if r.fract() == 0.0 && r.abs() < 9.0e15 => Some(*r as i64),
        _ => None,
    }
}

fn max_size(constants: &[Value], default: usize) -> Result<usize, String> {
    let Some(value) = constants.first() else {
        return Ok(default);
    };
    match constant_long(value) {
        Some(n) if n >= 1 && n as u64 <= MAX_SIZE as u64 => Ok(n as usize),
        Some(n) => Err(format!("maxSize must be between 1 and {MAX_SIZE}, got {n}")),
        None => Err(format!("maxSize must be a constant int, got {value:?}")),
    }
}

/// dcount's accuracy level: 0 to 4. We count exactly at every level.
fn check_accuracy(constants: &[Value]) -> Result<(), String> {
    let Some(value) = constants.first() else {
        return Ok(());
    };
    match constant_long(value) {
        Some(0..=4) => Ok(()),
        _ => Err(format!("accuracy must be a constant int from 0 to 4, got {value:?}")),
    }
}

fn percents(constants: &[Value]) -> Result<Vec<f64>, String> {
    constants
        .iter()
        .map(|value| {
            let percent = match value {
                Value::Long(n) => *n as f64,
                Value::Real(r) => *r,
                other => return Err(format!("a percentile must be a constant number, got {other:?}")),
            };
            if (0.0..=100.0).contains(&percent) {
                Ok(percent)
            } else {
                Err(format!("a percentile must be between 0 and 100, got {percent}"))
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Constructors.

fn no_constants(constants: &[Value]) -> Result<(), String> {
    match constants.first() {
        None => Ok(()),
        Some(value) => Err(format!("takes no constant arguments, got {value:?}")),
    }
}

fn new_count(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    no_constants(c)?;
    Ok(Box::new(Count::default()))
}
fn new_countif(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    no_constants(c)?;
    Ok(Conditional::wrap(Box::new(Count::default())))
}
fn new_dcount(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    check_accuracy(c)?;
    Ok(Box::new(Distinct::default()))
}
fn new_dcountif(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    check_accuracy(c)?;
    Ok(Conditional::wrap(Box::new(Distinct::default())))
}
fn new_count_distinct(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    no_constants(c)?;
    Ok(Box::new(Distinct::default()))
}
fn new_count_distinctif(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    no_constants(c)?;
    Ok(Conditional::wrap(Box::new(Distinct::default())))
}
fn new_sum(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    no_constants(c)?;
    Ok(Box::new(Numeric::new(Mean::Sum)))
}
fn new_sumif(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    no_constants(c)?;
    Ok(Conditional::wrap(Box::new(Numeric::new(Mean::Sum))))
}
fn new_avg(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    no_constants(c)?;
    Ok(Box::new(Numeric::new(Mean::Avg)))
}
fn new_avgif(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    no_constants(c)?;
    Ok(Conditional::wrap(Box::new(Numeric::new(Mean::Avg))))
}
fn new_min(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    no_constants(c)?;
    Ok(Box::new(Extreme::new(Ordering::Less)))
}
fn new_minif(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    no_constants(c)?;
    Ok(Conditional::wrap(Box::new(Extreme::new(Ordering::Less))))
}
fn new_max(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    no_constants(c)?;
    Ok(Box::new(Extreme::new(Ordering::Greater)))
}
fn new_maxif(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    no_constants(c)?;
    Ok(Conditional::wrap(Box::new(Extreme::new(Ordering::Greater))))
}
fn new_make_set(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    Ok(Box::new(MakeSet::new(max_size(c, MAX_SIZE)?)))
}
fn new_makeset(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    Ok(Box::new(MakeSet::new(max_size(c, LEGACY_MAX_SIZE)?)))
}
fn new_make_set_if(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    Ok(Conditional::wrap(Box::new(MakeSet::new(max_size(c, MAX_SIZE)?))))
}
fn new_make_list(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    Ok(Box::new(MakeList::new(max_size(c, MAX_SIZE)?)))
}
fn new_makelist(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    Ok(Box::new(MakeList::new(max_size(c, LEGACY_MAX_SIZE)?)))
}
fn new_make_list_if(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    Ok(Conditional::wrap(Box::new(MakeList::new(max_size(c, MAX_SIZE)?))))
}
fn new_make_bag(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    Ok(Box::new(MakeBag::new(max_size(c, MAX_SIZE)?)))
}
fn new_make_dictionary(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    Ok(Box::new(MakeBag::new(max_size(c, LEGACY_MAX_SIZE)?)))
}
fn new_make_bag_if(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    Ok(Conditional::wrap(Box::new(MakeBag::new(max_size(c, MAX_SIZE)?))))
}
fn new_arg_max(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    no_constants(c)?;
    Ok(Box::new(ArgExtreme::new(Ordering::Greater)))
}
fn new_arg_min(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    no_constants(c)?;
    Ok(Box::new(ArgExtreme::new(Ordering::Less)))
}
fn new_take_any(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    no_constants(c)?;
    Ok(Box::new(TakeAny::default()))
}
fn new_percentiles(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    Ok(Box::new(Percentiles::new(percents(c)?)))
}
fn new_stdev(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    no_constants(c)?;
    Ok(Box::new(Moments::new(Spread::Stdev)))
}
fn new_stdevif(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    no_constants(c)?;
    Ok(Conditional::wrap(Box::new(Moments::new(Spread::Stdev))))
}
fn new_stdevp(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    no_constants(c)?;
    Ok(Box::new(Moments::new(Spread::StdevP)))
}
fn new_variance(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    no_constants(c)?;
    Ok(Box::new(Moments::new(Spread::Variance)))
}
fn new_varianceif(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    no_constants(c)?;
    Ok(Conditional::wrap(Box::new(Moments::new(Spread::Variance))))
}
fn new_variancep(c: &[Value]) -> Result<Box<dyn Accumulator>, String> {
    no_constants(c)?;
    Ok(Box::new(Moments::new(Spread::VarianceP)))
}

// ---------------------------------------------------------------------------------------------
// Result types, as Kusto's language service infers them.

fn first_type(types: &[Option<ColumnType>]) -> Option<ColumnType> {
    types.first().copied().flatten()
}

fn long_type(_: &[Option<ColumnType>], _: &[Value]) -> Vec<Option<ColumnType>> {
    vec![Some(ColumnType::Long)]
}

fn real_type(_: &[Option<ColumnType>], _: &[Value]) -> Vec<Option<ColumnType>> {
    vec![Some(ColumnType::Real)]
}

fn dynamic_type(_: &[Option<ColumnType>], _: &[Value]) -> Vec<Option<ColumnType>> {
    vec![Some(ColumnType::Dynamic)]
}

/// min, max and their `-if`: the argument's type.
fn same_type(types: &[Option<ColumnType>], _: &[Value]) -> Vec<Option<ColumnType>> {
    vec![first_type(types)]
}

/// sum: long for longs, real for reals, timespan for timespans; others cannot be summed.
fn sum_type(types: &[Option<ColumnType>], _: &[Value]) -> Vec<Option<ColumnType>> {
    vec![match first_type(types) {
        Some(ColumnType::Long) => Some(ColumnType::Long),
        Some(ColumnType::Real) => Some(ColumnType::Real),
        Some(ColumnType::TimeSpan) => Some(ColumnType::TimeSpan),
        _ => None,
    }]
}

/// avg: real for numbers; a timespan or datetime average keeps its type.
fn avg_type(types: &[Option<ColumnType>], _: &[Value]) -> Vec<Option<ColumnType>> {
    vec![match first_type(types) {
        Some(ColumnType::Long | ColumnType::Real) => Some(ColumnType::Real),
        Some(ColumnType::TimeSpan) => Some(ColumnType::TimeSpan),
        Some(ColumnType::DateTime) => Some(ColumnType::DateTime),
        _ => None,
    }]
}

/// arg_max, arg_min, take_any: one column per argument, of its type.
fn each_type(types: &[Option<ColumnType>], _: &[Value]) -> Vec<Option<ColumnType>> {
    types.to_vec()
}

/// percentile(s): one column per percentile, of the argument's type (a nearest rank is a member).
fn percentile_types(types: &[Option<ColumnType>], constants: &[Value]) -> Vec<Option<ColumnType>> {
    vec![first_type(types); constants.len()]
}

// ---------------------------------------------------------------------------------------------
// The table.

macro_rules! function {
    ($name:literal, $row_args:expr, $new:expr, $types:expr, $names:expr) => {
        AggregateFn {
            name: $name,
            row_args: $row_args,
            new: $new,
            result_types: $types,
            default_names: $names,
        }
    };
}

static COUNT: AggregateFn = function!("count", no_args, new_count, long_type, names::count);
static COUNTIF: AggregateFn = function!("countif", one_row_arg, new_countif, long_type, names::countif);
static DCOUNT: AggregateFn = function!(
    "dcount",
    value_then_optional_constant,
    new_dcount,
    long_type,
    names::dcount
);
static DCOUNTIF: AggregateFn = function!(
    "dcountif",
    value_predicate_then_optional_constant,
    new_dcountif,
    long_type,
    names::dcountif
);
static COUNT_DISTINCT: AggregateFn = function!(
    "count_distinct",
    one_row_arg,
    new_count_distinct,
    long_type,
    names::count_distinct
);
static COUNT_DISTINCTIF: AggregateFn = function!(
    "count_distinctif",
    value_and_predicate,
    new_count_distinctif,
    long_type,
    names::count_distinctif
);
static SUM: AggregateFn = function!("sum", one_row_arg, new_sum, sum_type, names::sum);
static SUMIF: AggregateFn = function!("sumif", value_and_predicate, new_sumif, sum_type, names::sumif);
static AVG: AggregateFn = function!("avg", one_row_arg, new_avg, avg_type, names::avg);
static AVGIF: AggregateFn = function!("avgif", value_and_predicate, new_avgif, avg_type, names::avgif);
static MIN: AggregateFn = function!("min", one_row_arg, new_min, same_type, names::min);
static MINIF: AggregateFn = function!("minif", value_and_predicate, new_minif, same_type, names::minif);
static MAX: AggregateFn = function!("max", one_row_arg, new_max, same_type, names::max);
static MAXIF: AggregateFn = function!("maxif", value_and_predicate, new_maxif, same_type, names::maxif);
static MAKE_SET: AggregateFn = function!(
    "make_set",
    value_then_optional_constant,
    new_make_set,
    dynamic_type,
    names::set
);
static MAKESET: AggregateFn = function!(
    "make_set",
    value_then_optional_constant,
    new_makeset,
    dynamic_type,
    names::set
);
static MAKE_SET_IF: AggregateFn = function!(
    "make_set_if",
    value_predicate_then_optional_constant,
    new_make_set_if,
    dynamic_type,
    names::set
);
static MAKE_LIST: AggregateFn = function!(
    "make_list",
    value_then_optional_constant,
    new_make_list,
    dynamic_type,
    names::list
);
static MAKELIST: AggregateFn = function!(
    "make_list",
    value_then_optional_constant,
    new_makelist,
    dynamic_type,
    names::list
);
static MAKE_LIST_IF: AggregateFn = function!(
    "make_list_if",
    value_predicate_then_optional_constant,
    new_make_list_if,
    dynamic_type,
    names::list
);
static MAKE_BAG: AggregateFn = function!(
    "make_bag",
    value_then_optional_constant,
    new_make_bag,
    dynamic_type,
    names::bag
);
static MAKE_DICTIONARY: AggregateFn = function!(
    "make_bag",
    value_then_optional_constant,
    new_make_dictionary,
    dynamic_type,
    names::dictionary
);
static MAKE_BAG_IF: AggregateFn = function!(
    "make_bag_if",
    value_predicate_then_optional_constant,
    new_make_bag_if,
    dynamic_type,
    names::bag
);
static ARG_MAX: AggregateFn = function!("arg_max", all_row_args, new_arg_max, each_type, names::arg_max);
static ARGMAX: AggregateFn = function!(
    "arg_max",
    all_row_args,
    new_arg_max,
    each_type,
    names::legacy_arg_extreme
);
static ARG_MIN: AggregateFn = function!("arg_min", all_row_args, new_arg_min, each_type, names::arg_min);
static ARGMIN: AggregateFn = function!(
    "arg_min",
    all_row_args,
    new_arg_min,
    each_type,
    names::legacy_arg_extreme
);
static TAKE_ANY: AggregateFn = function!("take_any", all_row_args, new_take_any, each_type, names::take_any);
static ANY: AggregateFn = function!("take_any", all_row_args, new_take_any, each_type, names::any);
static PERCENTILE: AggregateFn = function!(
    "percentile",
    percentile_args,
    new_percentiles,
    percentile_types,
    names::percentiles
);
static PERCENTILES: AggregateFn = function!(
    "percentiles",
    percentiles_args,
    new_percentiles,
    percentile_types,
    names::percentiles
);
static STDEV: AggregateFn = function!("stdev", one_row_arg, new_stdev, real_type, names::stdev);
static STDEVIF: AggregateFn = function!("stdevif", value_and_predicate, new_stdevif, real_type, names::stdevif);
static STDEVP: AggregateFn = function!("stdevp", one_row_arg, new_stdevp, real_type, names::stdevp);
static VARIANCE: AggregateFn = function!("variance", one_row_arg, new_variance, real_type, names::variance);
static VARIANCEIF: AggregateFn = function!(
    "varianceif",
    value_and_predicate,
    new_varianceif,
    real_type,
    names::varianceif
);
static VARIANCEP: AggregateFn = function!("variancep", one_row_arg, new_variancep, real_type, names::variancep);

/// Every spelling, canonical names first. A deprecated alias has its own entry where Kusto gives
/// it other defaults (`makeset`'s maxSize of 128) or other column names (`any`, `argmax`).
static FUNCTIONS: &[(&str, &AggregateFn)] = &[
    ("count", &COUNT),
    ("countif", &COUNTIF),
    ("dcount", &DCOUNT),
    ("dcountif", &DCOUNTIF),
    ("count_distinct", &COUNT_DISTINCT),
    ("count_distinctif", &COUNT_DISTINCTIF),
    ("sum", &SUM),
    ("sumif", &SUMIF),
    ("avg", &AVG),
    ("avgif", &AVGIF),
    ("min", &MIN),
    ("minif", &MINIF),
    ("max", &MAX),
    ("maxif", &MAXIF),
    ("make_set", &MAKE_SET),
    ("make_set_if", &MAKE_SET_IF),
    ("make_list", &MAKE_LIST),
    ("make_list_if", &MAKE_LIST_IF),
    ("make_bag", &MAKE_BAG),
    ("make_bag_if", &MAKE_BAG_IF),
    ("arg_max", &ARG_MAX),
    ("arg_min", &ARG_MIN),
    ("take_any", &TAKE_ANY),
    ("percentile", &PERCENTILE),
    ("percentiles", &PERCENTILES),
    ("stdev", &STDEV),
    ("stdevif", &STDEVIF),
    ("stdevp", &STDEVP),
    ("variance", &VARIANCE),
    ("varianceif", &VARIANCEIF),
    ("variancep", &VARIANCEP),
    ("makeset", &MAKESET),
    ("makelist", &MAKELIST),
    ("make_dictionary", &MAKE_DICTIONARY),
    ("argmax", &ARGMAX),
    ("argmin", &ARGMIN),
    ("any", &ANY),
];
