//! Scalar expressions of the query engine: the compiled form ([`Scalar`]) and its evaluation on
//! one row with Kusto's semantics — null propagation, `long`/`real` promotion, datetime and
//! timespan arithmetic, string operators, `in` sets, dynamic member access and the window
//! functions of serialized rows (`prev`, `next`, `row_number`).

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::Arc;

use regex::Regex;
use serde_json::Value as Json;

use crate::kql::{Arithmetic, Comparison, StringOp, StringTest};
use crate::plan::functions::{self, Function};
use crate::plan::text::{is_term_byte, on_term_boundaries, StringSet, SubstringKind, SubstringTest, TermSet};
use crate::value::Value;

/// A compiled scalar expression; column numbers refer to the row of the operator it belongs to.
#[derive(Debug, Clone)]
pub enum Scalar {
    Column(usize),
    Const(Value),
    /// A value computed after the scan (`toscalar(T)`), by number in the program's subqueries.
    Subquery(usize),
    Call(&'static Function, Vec<Scalar>),
    Arithmetic(Arithmetic, Box<Scalar>, Box<Scalar>),
    Negate(Box<Scalar>),
    Compare(Comparison, Box<Scalar>, Box<Scalar>),
    And(Vec<Scalar>),
    Or(Vec<Scalar>),
    Not(Box<Scalar>),
    /// A string operator with a constant needle, prepared once.
    Text(Box<Scalar>, Arc<TextTest>, bool),
    /// A string operator whose needle is computed per row.
    TextDynamic(StringOp, Box<Scalar>, Box<Scalar>),
    In {
        operand: Box<Scalar>,
        set: InSet,
        negated: bool,
    },
    /// `has_any` (`all: false`) / `has_all` over terms.
    Terms {
        operand: Box<Scalar>,
        set: TermsOf,
        all: bool,
    },
    Between {
        operand: Box<Scalar>,
        low: Box<Scalar>,
        high: Box<Scalar>,
        negated: bool,
    },
    Regex(Box<Scalar>, Arc<Regex>),
    Member(Box<Scalar>, Box<Scalar>),
    /// `prev(column, offset, default)` (`offset` negative for `next`).
    Neighbour {
        value: Box<Scalar>,
        offset: i64,
        default: Box<Scalar>,
    },
    RowNumber(i64),
}

/// A string test with its needle prepared.
#[derive(Debug)]
pub enum TextTest {
    Terms(TermSet),
    Substring(SubstringTest),
    Affix {
        needle: String,
        suffix: bool,
        case_sensitive: bool,
    },
}

impl TextTest {
    pub fn new(test: StringTest, needle: &str, case_sensitive: bool) -> TextTest {
        let kind = match test {
            StringTest::Has => return TextTest::Terms(TermSet::new([needle], case_sensitive)),
            StringTest::HasPrefix | StringTest::HasSuffix => {
                return TextTest::Affix {
                    needle: needle.to_string(),
                    suffix: test == StringTest::HasSuffix,
                    case_sensitive,
                }
            }
            StringTest::Contains => SubstringKind::Contains,
            StringTest::StartsWith => SubstringKind::StartsWith,
            StringTest::EndsWith => SubstringKind::EndsWith,
            StringTest::Equals => SubstringKind::Equals,
        };
        TextTest::Substring(SubstringTest::new(kind, needle, case_sensitive))
    }

    pub fn matches(&self, haystack: &str) -> bool {
        match self {
            TextTest::Terms(set) => set.matches_any(haystack),
            TextTest::Substring(test) => test.matches(haystack),
            TextTest::Affix {
                needle,
                suffix,
                case_sensitive,
            } => has_affix(haystack, needle, *suffix, *case_sensitive),
        }
    }
}

/// `hasprefix` / `hassuffix`: some term of `haystack` starts (ends) with `needle`.
fn has_affix(haystack: &str, needle: &str, suffix: bool, case_sensitive: bool) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    if n.len() > h.len() {
        return false;
    }
    (0..=h.len() - n.len()).any(|start| {
        let window = &h[start..start + n.len()];
        let same = if case_sensitive {
            window == n
        } else {
            window.eq_ignore_ascii_case(n)
        };
        if !same {
            return false;
        }
        if suffix {
            let end = start + n.len();
            !n.last().is_some_and(|&b| is_term_byte(b)) || end == h.len() || !is_term_byte(h[end])
        } else {
            !n[0].is_ascii_alphanumeric() || start == 0 || !is_term_byte(h[start - 1])
        }
    })
}

/// The right side of `in`: strings in a set (by their text), other values compared as values.
#[derive(Debug, Clone)]
pub enum InSet {
    Const(Arc<ValueSet>),
    /// The values of a subquery's first column, known after the scan.
    Subquery {
        index: usize,
        case_sensitive: bool,
    },
}

#[derive(Debug)]
pub struct ValueSet {
    pub strings: StringSet,
    pub others: Vec<Value>,
}

impl ValueSet {
    pub fn new(values: &[Value], case_sensitive: bool) -> ValueSet {
        let mut strings = Vec::new();
        let mut others = Vec::new();
        for value in values {
            match plain(value).as_ref() {
                Value::String(s) => strings.push(s.clone()),
                Value::Null => {}
                other => others.push(other.clone()),
            }
        }
        ValueSet {
            strings: StringSet::new(strings, case_sensitive),
            others,
        }
    }

    fn contains(&self, value: &Value) -> Option<bool> {
        match plain(value).as_ref() {
            Value::Null => None,
            Value::String(s) => Some(self.strings.contains(s)),
            other => Some(
                self.others.iter().any(|v| other.compare(v) == Some(Ordering::Equal))
                    || (!self.strings.is_empty() && self.strings.contains(&other.to_text())),
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub enum TermsOf {
    Const(Arc<TermSet>),
    Subquery { index: usize },
}

/// What evaluation needs besides the row: the `now` of the run, the subqueries' results and,
/// for window functions, the rows around the current one.
pub struct Context<'a> {
    pub functions: functions::Context,
    pub subqueries: &'a [SubqueryValue],
    pub window: Option<(&'a [Vec<Value>], usize)>,
}

/// A subquery's result as expressions use it: its value (`toscalar`), and the sets `in` and
/// `has_any` look its values up in (a tabular subquery's first column, or the elements of a
/// scalar one's dynamic array).
#[derive(Debug)]
pub struct SubqueryValue {
    pub value: Value,
    pub sets: Option<SubquerySets>,
}

#[derive(Debug)]
pub struct SubquerySets {
    pub exact: ValueSet,
    pub folded: ValueSet,
    pub terms: Arc<TermSet>,
}

impl SubquerySets {
    pub fn new(values: &[Value]) -> SubquerySets {
        let terms: Vec<String> = values.iter().map(|v| v.to_text().into_owned()).collect();
        SubquerySets {
            exact: ValueSet::new(values, true),
            folded: ValueSet::new(values, false),
            terms: Arc::new(TermSet::new(terms, false)),
        }
    }
}

impl Context<'_> {
    pub fn new(now: i64) -> Context<'static> {
        Context {
            functions: functions::Context { now },
            subqueries: &[],
            window: None,
        }
    }
}

/// A dynamic value that holds a scalar, as that scalar: `AdditionalFields.Size > 5` compares a
/// number, `tostring(d.Name) == "x"` a string.
pub fn plain(value: &Value) -> Cow<'_, Value> {
    match value {
        Value::Dynamic(json) => match json {
            Json::Null => Cow::Owned(Value::Null),
            Json::Bool(b) => Cow::Owned(Value::Bool(*b)),
            Json::Number(n) => Cow::Owned(
                n.as_i64()
                    .map_or_else(|| Value::Real(n.as_f64().unwrap_or(f64::NAN)), Value::Long),
            ),
            Json::String(s) => Cow::Owned(Value::String(s.clone())),
            _ => Cow::Borrowed(value),
        },
        _ => Cow::Borrowed(value),
    }
}

/// Adds the values an `in` / `has_any` list holds for one item of it: a dynamic array's
/// elements, with nested arrays flattened (Kusto: "Nested arrays are flattened into a single
/// list of values", `x in (dynamic([1,[2,3]]))` is `x in (1,2,3)`), each as [`plain`]; any
/// other value as it is. A subquery's first column is read the same way, so that
/// `x in (T | summarize make_list(y))` looks `x` up among the `y`s.
pub fn push_list_values(value: &Value, out: &mut Vec<Value>) {
    fn elements(items: &[Json], out: &mut Vec<Value>) {
        for item in items {
            match item {
                Json::Array(inner) => elements(inner, out),
                _ => out.push(plain(&Value::Dynamic(item.clone())).into_owned()),
            }
        }
    }
    match value {
        Value::Dynamic(Json::Array(items)) => elements(items, out),
        _ => out.push(value.clone()),
    }
}

/// Kusto's truth of a value used as a condition: only `true` is true.
pub fn truth(value: &Value) -> Option<bool> {
    match plain(value).as_ref() {
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

fn boolean(value: Option<bool>) -> Value {
    value.map_or(Value::Null, Value::Bool)
}

impl Scalar {
    pub fn eval(&self, row: &[Value], context: &Context<'_>) -> Value {
        match self {
            Scalar::Column(c) => row.get(*c).cloned().unwrap_or(Value::Null),
            Scalar::Const(v) => v.clone(),
            Scalar::Subquery(index) => context.subqueries.get(*index).map_or(Value::Null, |s| s.value.clone()),
            Scalar::Call(function, args) => {
                let values: Vec<Value> = args.iter().map(|a| a.eval(row, context)).collect();
                (function.eval)(&values, &context.functions)
            }
            Scalar::Arithmetic(op, left, right) => arithmetic(*op, &left.eval(row, context), &right.eval(row, context)),
            Scalar::Negate(inner) => match plain(&inner.eval(row, context)).as_ref() {
                Value::Long(n) => Value::Long(n.wrapping_neg()),
                Value::Real(x) => Value::Real(-x),
                Value::TimeSpan(t) => Value::TimeSpan(-t),
                _ => Value::Null,
            },
            Scalar::Compare(op, left, right) => {
                boolean(compare(&left.eval(row, context), *op, &right.eval(row, context)))
            }
            Scalar::And(parts) => {
                let mut result = Some(true);
                for part in parts {
                    match truth(&part.eval(row, context)) {
                        Some(false) => return Value::Bool(false),
                        None => result = None,
                        Some(true) => {}
                    }
                }
                boolean(result)
            }
            Scalar::Or(parts) => {
                let mut result = Some(false);
                for part in parts {
                    match truth(&part.eval(row, context)) {
                        Some(true) => return Value::Bool(true),
                        None => result = None,
                        Some(false) => {}
                    }
                }
                boolean(result)
            }
            Scalar::Not(inner) => boolean(truth(&inner.eval(row, context)).map(|b| !b)),
            Scalar::Text(operand, test, negated) => {
                let value = operand.eval(row, context);
                Value::Bool(test.matches(&value.to_text()) != *negated)
            }
            Scalar::TextDynamic(op, operand, needle) => {
                let value = operand.eval(row, context);
                let needle = needle.eval(row, context);
                let test = TextTest::new(op.test, &needle.to_text(), op.case_sensitive);
                Value::Bool(test.matches(&value.to_text()) != op.negated)
            }
            Scalar::In { operand, set, negated } => {
                let value = operand.eval(row, context);
                let found = match set {
                    InSet::Const(set) => set.contains(&value),
                    InSet::Subquery { index, case_sensitive } => {
                        match context.subqueries.get(*index).and_then(|s| s.sets.as_ref()) {
                            Some(sets) if *case_sensitive => sets.exact.contains(&value),
                            Some(sets) => sets.folded.contains(&value),
                            None => Some(false),
                        }
                    }
                };
                boolean(found.map(|f| f != *negated))
            }
            Scalar::Terms { operand, set, all } => {
                let value = operand.eval(row, context);
                let set = match set {
                    TermsOf::Const(set) => set.as_ref(),
                    TermsOf::Subquery { index } => match context.subqueries.get(*index).and_then(|s| s.sets.as_ref()) {
                        Some(sets) => sets.terms.as_ref(),
                        None => return Value::Bool(false),
                    },
                };
                let text = value.to_text();
                Value::Bool(if *all {
                    set.matches_all(&text)
                } else {
                    set.matches_any(&text)
                })
            }
            Scalar::Between {
                operand,
                low,
                high,
                negated,
            } => {
                let value = operand.eval(row, context);
                let (low, mut high) = (low.eval(row, context), high.eval(row, context));
                // `t between (start .. 1d)`: a timespan bound counts from the lower one.
                if let (Value::DateTime(_), Value::TimeSpan(_)) = (plain(&low).as_ref(), plain(&high).as_ref()) {
                    high = arithmetic(Arithmetic::Add, &low, &high);
                }
                let above = compare(&value, Comparison::Ge, &low);
                let below = compare(&value, Comparison::Le, &high);
                boolean(match (above, below) {
                    (Some(a), Some(b)) => Some((a && b) != *negated),
                    _ => None,
                })
            }
            Scalar::Regex(operand, regex) => Value::Bool(regex.is_match(&operand.eval(row, context).to_text())),
            Scalar::Member(base, member) => member_of(&base.eval(row, context), &member.eval(row, context)),
            Scalar::Neighbour { value, offset, default } => {
                let Some((rows, at)) = context.window else {
                    return Value::Null;
                };
                let target = at as i64 - offset;
                match usize::try_from(target).ok().and_then(|t| rows.get(t)) {
                    Some(other) => value.eval(other, context),
                    None => default.eval(row, context),
                }
            }
            Scalar::RowNumber(start) => match context.window {
                Some((_, at)) => Value::Long(start + at as i64),
                None => Value::Null,
            },
        }
    }

    /// Whether the expression needs results computed after the scan or neighbouring rows, and
    /// so cannot run on the scan's workers.
    pub fn is_streamable(&self) -> bool {
        match self {
            Scalar::Column(_) | Scalar::Const(_) => true,
            Scalar::Subquery(_) | Scalar::Neighbour { .. } | Scalar::RowNumber(_) => false,
            Scalar::Call(_, args) | Scalar::And(args) | Scalar::Or(args) => args.iter().all(Scalar::is_streamable),
            Scalar::Arithmetic(_, a, b)
            | Scalar::Compare(_, a, b)
            | Scalar::TextDynamic(_, a, b)
            | Scalar::Member(a, b) => a.is_streamable() && b.is_streamable(),
            Scalar::Negate(a) | Scalar::Not(a) | Scalar::Text(a, _, _) | Scalar::Regex(a, _) => a.is_streamable(),
            Scalar::In { operand, set, .. } => operand.is_streamable() && matches!(set, InSet::Const(_)),
            Scalar::Terms { operand, set, .. } => operand.is_streamable() && matches!(set, TermsOf::Const(_)),
            Scalar::Between { operand, low, high, .. } => {
                operand.is_streamable() && low.is_streamable() && high.is_streamable()
            }
        }
    }

    /// Adds the columns the expression reads to `out`.
    pub fn columns(&self, out: &mut Vec<usize>) {
        match self {
            Scalar::Column(c) => out.push(*c),
            Scalar::Const(_) | Scalar::Subquery(_) | Scalar::RowNumber(_) => {}
            Scalar::Call(_, args) | Scalar::And(args) | Scalar::Or(args) => args.iter().for_each(|a| a.columns(out)),
            Scalar::Arithmetic(_, a, b)
            | Scalar::Compare(_, a, b)
            | Scalar::TextDynamic(_, a, b)
            | Scalar::Member(a, b) => {
                a.columns(out);
                b.columns(out);
            }
            Scalar::Negate(a) | Scalar::Not(a) | Scalar::Text(a, _, _) | Scalar::Regex(a, _) => a.columns(out),
            Scalar::In { operand, .. } | Scalar::Terms { operand, .. } => operand.columns(out),
            Scalar::Between { operand, low, high, .. } => {
                operand.columns(out);
                low.columns(out);
                high.columns(out);
            }
            Scalar::Neighbour { value, default, .. } => {
                value.columns(out);
                default.columns(out);
            }
        }
    }

    /// Whether every column the expression reads is below `width`.
    pub fn reads_only_below(&self, width: usize) -> bool {
        match self {
            Scalar::Column(c) => *c < width,
            Scalar::Const(_) | Scalar::Subquery(_) | Scalar::RowNumber(_) => true,
            Scalar::Call(_, args) | Scalar::And(args) | Scalar::Or(args) => {
                args.iter().all(|a| a.reads_only_below(width))
            }
            Scalar::Arithmetic(_, a, b)
            | Scalar::Compare(_, a, b)
            | Scalar::TextDynamic(_, a, b)
            | Scalar::Member(a, b) => a.reads_only_below(width) && b.reads_only_below(width),
            Scalar::Negate(a) | Scalar::Not(a) | Scalar::Text(a, _, _) | Scalar::Regex(a, _) => {
                a.reads_only_below(width)
            }
            Scalar::In { operand, .. } | Scalar::Terms { operand, .. } => operand.reads_only_below(width),
            Scalar::Between { operand, low, high, .. } => {
                operand.reads_only_below(width) && low.reads_only_below(width) && high.reads_only_below(width)
            }
            Scalar::Neighbour { value, default, .. } => {
                value.reads_only_below(width) && default.reads_only_below(width)
            }
        }
    }

    /// Whether the expression uses `prev`, `next` or `row_number` (which need serialized rows).
    pub fn uses_window(&self) -> bool {
        match self {
            Scalar::Neighbour { .. } | Scalar::RowNumber(_) => true,
            Scalar::Column(_) | Scalar::Const(_) | Scalar::Subquery(_) => false,
            Scalar::Call(_, args) | Scalar::And(args) | Scalar::Or(args) => args.iter().any(Scalar::uses_window),
            Scalar::Arithmetic(_, a, b)
            | Scalar::Compare(_, a, b)
            | Scalar::TextDynamic(_, a, b)
            | Scalar::Member(a, b) => a.uses_window() || b.uses_window(),
            Scalar::Negate(a) | Scalar::Not(a) | Scalar::Text(a, _, _) | Scalar::Regex(a, _) => a.uses_window(),
            Scalar::In { operand, .. } | Scalar::Terms { operand, .. } => operand.uses_window(),
            Scalar::Between { operand, low, high, .. } => {
                operand.uses_window() || low.uses_window() || high.uses_window()
            }
        }
    }
}

/// `base.member` / `base[index]` on a dynamic value (or a string holding JSON, as exports carry
/// `AdditionalFields`); a missing member is null.
pub fn member_of(base: &Value, member: &Value) -> Value {
    let parsed;
    let json = match base {
        Value::Dynamic(json) => json,
        Value::String(text) if text.trim_start().starts_with(['{', '[']) => match serde_json::from_str::<Json>(text) {
            Ok(json) => {
                parsed = json;
                &parsed
            }
            Err(_) => return Value::Null,
        },
        _ => return Value::Null,
    };
    let child = match (json, plain(member).as_ref()) {
        (Json::Object(map), Value::String(key)) => map.get(key),
        (Json::Array(items), Value::Long(index)) => {
            let index = if *index < 0 { items.len() as i64 + index } else { *index };
            usize::try_from(index).ok().and_then(|i| items.get(i))
        }
        _ => None,
    };
    match child {
        None | Some(Json::Null) => Value::Null,
        Some(child) => Value::Dynamic(child.clone()),
    }
}

/// Kusto's comparison with nulls: `==` of a null and a non-null is false, `!=` true; two
/// nulls, or an ordering comparison with a null, give null. Dynamic scalars compare as their
/// scalar; values Kusto cannot compare give null.
pub fn compare(left: &Value, op: Comparison, right: &Value) -> Option<bool> {
    let (left, right) = (plain(left), plain(right));
    crate::plan::eval::compare(&left, op, &right)
}

/// Kusto's arithmetic: null propagates; long with long stays long (integer division
/// truncates, division by zero is null), a real makes it real; datetimes and timespans
/// combine as instants and durations.
pub fn arithmetic(op: Arithmetic, left: &Value, right: &Value) -> Value {
    use Arithmetic::*;
    use Value::*;
    let (left, right) = (plain(left), plain(right));
    match (left.as_ref(), right.as_ref()) {
        (Long(a), Long(b)) => match op {
            Add => Long(a.wrapping_add(*b)),
            Subtract => Long(a.wrapping_sub(*b)),
            Multiply => Long(a.wrapping_mul(*b)),
            Divide => a.checked_div(*b).map_or(Null, Long),
            Modulo => a.checked_rem(*b).map_or(Null, Long),
        },
        (Long(_) | Real(_), Long(_) | Real(_)) => {
            let (a, b) = (real(&left), real(&right));
            Real(match op {
                Add => a + b,
                Subtract => a - b,
                Multiply => a * b,
                Divide => a / b,
                Modulo => a % b,
            })
        }
        (DateTime(a), TimeSpan(b)) => match op {
            Add => DateTime(a.wrapping_add(*b)),
            Subtract => DateTime(a.wrapping_sub(*b)),
            _ => Null,
        },
        (TimeSpan(a), DateTime(b)) if op == Add => DateTime(a.wrapping_add(*b)),
        (DateTime(a), DateTime(b)) if op == Subtract => TimeSpan(a.wrapping_sub(*b)),
        (TimeSpan(a), TimeSpan(b)) => match op {
            Add => TimeSpan(a.wrapping_add(*b)),
            Subtract => TimeSpan(a.wrapping_sub(*b)),
            Divide if *b != 0 => Real(*a as f64 / *b as f64),
            Modulo if *b != 0 => TimeSpan(a % b),
            _ => Null,
        },
        (TimeSpan(a), Long(_) | Real(_)) => {
            let b = real(&right);
            match op {
                Multiply => TimeSpan((*a as f64 * b) as i64),
                Divide if b != 0.0 => TimeSpan((*a as f64 / b) as i64),
                _ => Null,
            }
        }
        (Long(_) | Real(_), TimeSpan(b)) if op == Multiply => TimeSpan((real(&left) * *b as f64) as i64),
        _ => Null,
    }
}

fn real(value: &Value) -> f64 {
    match value {
        Value::Long(n) => *n as f64,
        Value::Real(x) => *x,
        _ => f64::NAN,
    }
}

/// `has` on a needle known only per row (also used by `TextTest` for constant needles).
pub fn has_term(haystack: &str, needle: &str, case_sensitive: bool) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    (0..h.len().saturating_sub(n.len()) + 1).any(|start| {
        let window = &h[start..start + n.len()];
        let same = if case_sensitive {
            window == n
        } else {
            window.eq_ignore_ascii_case(n)
        };
        same && on_term_boundaries(h, n, start, start + n.len())
    })
}

/// Orders two values for `order by`, `top`, `arg_max`...: `None` when they do not compare.
pub fn order(a: &Value, b: &Value) -> Option<Ordering> {
    let (a, b) = (plain(a), plain(b));
    a.compare(&b)
}
