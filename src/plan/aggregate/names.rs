//! Kusto's default result column names of the aggregates, as Kusto's language service
//! (microsoft/Kusto-Query-Language, `Aggregates.cs` and `Binder.GetFunctionResultName`) infers
//! them: mostly `prefix_` followed by the first argument's column name (or nothing when it is not
//! a plain column), e.g. `count_`, `sum_X`, `set_X`, `countif_`; `percentile_X_95` per percentile;
//! the argument columns themselves for `arg_max`, `arg_min` and `take_any`.

use crate::value::Value;

/// `prefix_` and the first argument's column name, if it is one.
fn prefixed(prefix: &str, columns: &[Option<&str>]) -> Vec<String> {
    let column = columns.first().copied().flatten().unwrap_or("");
    vec![format!("{prefix}_{column}")]
}

macro_rules! prefix_namer {
    ($($function:ident => $prefix:literal),* $(,)?) => {
        $(
            pub(super) fn $function(columns: &[Option<&str>], _: &[Value]) -> Vec<String> {
                prefixed($prefix, columns)
            }
        )*
    };
}

prefix_namer! {
    count => "count",
    countif => "countif",
    dcount => "dcount",
    dcountif => "dcountif",
    count_distinct => "count_distinct",
    count_distinctif => "count_distinctif",
    sum => "sum",
    sumif => "sumif",
    avg => "avg",
    avgif => "avgif",
    min => "min",
    minif => "minif",
    max => "max",
    maxif => "maxif",
    set => "set",
    list => "list",
    bag => "bag",
    dictionary => "dictionary",
    stdev => "stdev",
    stdevif => "stdevif",
    stdevp => "stdevp",
    variance => "variance",
    varianceif => "varianceif",
    variancep => "variancep",
}

/// `percentile_X_P` for each percentile, the percentile's literal text with every character that
/// is not a letter or digit made `_` (`99.5` gives `percentile_X_99_5`).
pub(super) fn percentiles(columns: &[Option<&str>], constants: &[Value]) -> Vec<String> {
    let column = columns.first().copied().flatten().unwrap_or("");
    constants
        .iter()
        .map(|percent| {
            let literal: String = percent
                .to_text()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            format!("percentile_{column}_{literal}")
        })
        .collect()
}

/// `arg_max`/`arg_min`: each argument keeps its column name; an expression is named
/// `max_` (the first) or `max_<first column>_arg<i>` (the others).
fn arg_extreme(prefix: &str, columns: &[Option<&str>]) -> Vec<String> {
    let primary = columns.first().copied().flatten().unwrap_or("");
    columns
        .iter()
        .enumerate()
        .map(|(i, column)| match (column, i) {
            (Some(name), _) => name.to_string(),
            (None, 0) => format!("{prefix}_"),
            (None, i) => format!("{prefix}_{primary}_arg{i}"),
        })
        .collect()
}

pub(super) fn arg_max(columns: &[Option<&str>], _: &[Value]) -> Vec<String> {
    arg_extreme("max", columns)
}

pub(super) fn arg_min(columns: &[Option<&str>], _: &[Value]) -> Vec<String> {
    arg_extreme("min", columns)
}

/// The deprecated `argmax`/`argmin`: the first argument's column name, then each other column
/// prefixed with it (`argmax(T, A)` gives `T`, `T_A`), an expression as `T_arg<i>`.
pub(super) fn legacy_arg_extreme(columns: &[Option<&str>], _: &[Value]) -> Vec<String> {
    let primary = columns.first().copied().flatten().unwrap_or("");
    columns
        .iter()
        .enumerate()
        .map(|(i, column)| match (column, i) {
            (_, 0) => primary.to_string(),
            (Some(name), _) => format!("{primary}_{name}"),
            (None, i) => format!("{primary}_arg{i}"),
        })
        .collect()
}

/// `take_any`: each argument's column name; an expression is `any_arg<i>`.
pub(super) fn take_any(columns: &[Option<&str>], _: &[Value]) -> Vec<String> {
    columns
        .iter()
        .enumerate()
        .map(|(i, column)| column.map_or_else(|| format!("any_arg{i}"), str::to_string))
        .collect()
}

/// The deprecated `any`: `any_X` for one argument (the doc: it "adds any_ prefix to the
/// columns"); with several, the language service names them like `take_any` without the prefix.
pub(super) fn any(columns: &[Option<&str>], _: &[Value]) -> Vec<String> {
    if columns.len() == 1 {
        return prefixed("any", columns);
    }
    columns
        .iter()
        .enumerate()
        .map(|(i, column)| column.map_or_else(|| format!("arg{i}"), str::to_string))
        .collect()
}
