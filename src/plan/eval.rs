//! Evaluating a compiled rule on one row: the [`Row`] interface the readers implement, Kusto's
//! three-valued predicate logic (a null comparison is neither true nor false, and `where` drops
//! it), and the ordering of result rows for `order by`.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::Arc;

use crate::kql::Comparison;
use crate::plan::text::{StringSet, SubstringTest, TermSet};
use crate::value::Value;

/// A row as a stage of a rule sees it: values by column position in that stage's columns.
pub trait Row {
    fn value(&self, column: usize) -> Cow<'_, Value>;

    /// The value as text, for string operators; borrowed where the row holds a string.
    fn text(&self, column: usize) -> Cow<'_, str> {
        match self.value(column) {
            Cow::Borrowed(value) => value.to_text(),
            Cow::Owned(value) => Cow::Owned(value.to_text().into_owned()),
        }
    }
}

/// A row that is already a vector of values (after `project`).
impl Row for [Value] {
    fn value(&self, column: usize) -> Cow<'_, Value> {
        Cow::Borrowed(&self[column])
    }
}

/// A scalar operand: a column of the current stage or a constant.
#[derive(Debug, Clone)]
pub enum Scalar {
    Column(usize),
    Const(Value),
}

impl Scalar {
    pub fn eval<'r, R: Row + ?Sized>(&'r self, row: &'r R) -> Cow<'r, Value> {
        match self {
            Scalar::Column(c) => row.value(*c),
            Scalar::Const(v) => Cow::Borrowed(v),
        }
    }

    fn text<'r, R: Row + ?Sized>(&'r self, row: &'r R) -> Cow<'r, str> {
        match self {
            Scalar::Column(c) => row.text(*c),
            Scalar::Const(v) => v.to_text(),
        }
    }

    /// Adds the column it reads, if any, to `out`.
    pub fn columns(&self, out: &mut Vec<usize>) {
        if let Scalar::Column(c) = self {
            out.push(*c);
        }
    }
}

/// A compiled `where` predicate.
#[derive(Debug)]
pub enum Predicate {
    Const(bool),
    And(Vec<Predicate>),
    Or(Vec<Predicate>),
    Not(Box<Predicate>),
    Compare {
        left: Scalar,
        op: Comparison,
        right: Scalar,
    },
    /// `has`/`has_cs`/`has_any` (any) and `has_all` (all).
    Terms {
        operand: Scalar,
        set: Arc<TermSet>,
        all: bool,
        negated: bool,
    },
    Substring {
        operand: Scalar,
        test: SubstringTest,
        negated: bool,
    },
    InStrings {
        operand: Scalar,
        set: Arc<StringSet>,
        negated: bool,
    },
    /// `in` over non-string values: equality by [`Value::compare`].
    InValues {
        operand: Scalar,
        values: Vec<Value>,
        negated: bool,
    },
    IsEmpty {
        operand: Scalar,
        negated: bool,
    },
    IsNull {
        operand: Scalar,
        negated: bool,
    },
    /// A bool column or constant used as a predicate.
    Truth(Scalar),
}

fn negate(result: bool, negated: bool) -> bool {
    result != negated
}

impl Predicate {
    /// Adds the columns it reads to `out`.
    pub fn columns(&self, out: &mut Vec<usize>) {
        match self {
            Predicate::Const(_) => {}
            Predicate::And(parts) | Predicate::Or(parts) => parts.iter().for_each(|p| p.columns(out)),
            Predicate::Not(inner) => inner.columns(out),
            Predicate::Compare { left, right, .. } => {
                left.columns(out);
                right.columns(out);
            }
            Predicate::Terms { operand, .. }
            | Predicate::Substring { operand, .. }
            | Predicate::InStrings { operand, .. }
            | Predicate::InValues { operand, .. }
            | Predicate::IsEmpty { operand, .. }
            | Predicate::IsNull { operand, .. }
            | Predicate::Truth(operand) => operand.columns(out),
        }
    }

    /// Three-valued: `None` is Kusto's null, which `where` treats as false.
    pub fn eval<R: Row + ?Sized>(&self, row: &R) -> Option<bool> {
        match self {
            Predicate::Const(b) => Some(*b),
            Predicate::And(parts) => all_of(parts.iter().map(|part| part.eval(row))),
            Predicate::Or(parts) => any_of(parts.iter().map(|part| part.eval(row))),
            Predicate::Not(inner) => inner.eval(row).map(|b| !b),
            Predicate::Compare { left, op, right } => compare(&left.eval(row), *op, &right.eval(row)),
            Predicate::Terms {
                operand,
                set,
                all,
                negated,
            } => {
                let text = operand.text(row);
                let found = if *all {
                    set.matches_all(&text)
                } else {
                    set.matches_any(&text)
                };
                Some(negate(found, *negated))
            }
            Predicate::Substring { operand, test, negated } => Some(negate(test.matches(&operand.text(row)), *negated)),
            Predicate::InStrings { operand, set, negated } => Some(negate(set.contains(&operand.text(row)), *negated)),
            Predicate::InValues {
                operand,
                values,
                negated,
            } => {
                let value = operand.eval(row);
                if value.is_null() {
                    return None;
                }
                let found = values.iter().any(|v| value.compare(v) == Some(Ordering::Equal));
                Some(negate(found, *negated))
            }
            Predicate::IsEmpty { operand, negated } => Some(negate(operand.eval(row).is_empty(), *negated)),
            Predicate::IsNull { operand, negated } => Some(negate(operand.eval(row).is_null(), *negated)),
            Predicate::Truth(operand) => match operand.eval(row).as_ref() {
                Value::Bool(b) => Some(*b),
                _ => None,
            },
        }
    }

    pub fn holds<R: Row + ?Sized>(&self, row: &R) -> bool {
        self.eval(row) == Some(true)
    }
}

/// Kusto's comparison with nulls: `==` of a null and a non-null is false, `!=` true; two nulls,
/// or any ordering comparison with a null, give null.
pub(crate) fn compare(left: &Value, op: Comparison, right: &Value) -> Option<bool> {
    match (left.is_null(), right.is_null()) {
        (true, true) => return None,
        (true, false) | (false, true) => {
            return match op {
                Comparison::Eq => Some(false),
                Comparison::NotEq => Some(true),
                _ => None,
            }
        }
        (false, false) => {}
    }
    let ordering = left.compare(right)?;
    Some(match op {
        Comparison::Eq => ordering == Ordering::Equal,
        Comparison::NotEq => ordering != Ordering::Equal,
        Comparison::Lt => ordering == Ordering::Less,
        Comparison::Le => ordering != Ordering::Greater,
        Comparison::Gt => ordering == Ordering::Greater,
        Comparison::Ge => ordering != Ordering::Less,
    })
}

/// One compiled `order by` key.
#[derive(Debug, Clone)]
pub struct SortKey {
    pub column: usize,
    pub descending: bool,
    pub nulls_first: bool,
}

/// Orders two rows by the keys; values Kusto cannot compare (mixed types) are equal here, so the
/// caller's stable tie-break decides.
pub fn compare_rows(keys: &[SortKey], a: &[Value], b: &[Value]) -> Ordering {
    for key in keys {
        let ordering = order_values(&a[key.column], &b[key.column], key.descending, key.nulls_first);
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

/// Kusto's `order by` on two values: nulls first or last as asked, NaN below every other real,
/// values of types that do not compare equal (the caller's stable sort then keeps input order).
pub fn order_values(x: &Value, y: &Value, descending: bool, nulls_first: bool) -> Ordering {
    match (x.is_null(), y.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) if nulls_first => Ordering::Less,
        (true, false) => Ordering::Greater,
        (false, true) if nulls_first => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => {
            let o = match (x, y) {
                (Value::Real(a), Value::Real(b)) if a.is_nan() || b.is_nan() => b.is_nan().cmp(&a.is_nan()),
                _ => x.compare(y).unwrap_or(Ordering::Equal),
            };
            if descending {
                o.reverse()
            } else {
                o
            }
        }
    }
}

/// Kusto's three-valued `and` over `values`, evaluated lazily: `false` as soon as one is
/// false, else null if any is null, else `true`.
pub fn all_of(values: impl IntoIterator<Item = Option<bool>>) -> Option<bool> {
    let mut result = Some(true);
    for value in values {
        match value {
            Some(false) => return Some(false),
            None => result = None,
            Some(true) => {}
        }
    }
    result
}

/// Kusto's three-valued `or`: `true` as soon as one is true, else null if any is null, else
/// `false` — `not all_of(not ...)`, as in Kleene's logic.
pub fn any_of(values: impl IntoIterator<Item = Option<bool>>) -> Option<bool> {
    all_of(values.into_iter().map(|value| value.map(|b| !b))).map(|b| !b)
}
