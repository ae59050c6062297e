//! Kusto's aggregation functions for `summarize`: accumulators that take rows, merge partials
//! built by different workers in input order, and finish into result values.
