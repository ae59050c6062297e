//! Kusto's scalar function library (strings, conversions, parsing, dates, dynamic values,
//! network, hashing, math): each function's arity, static result type and evaluation on values.
