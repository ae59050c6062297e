//! The independent oracle behind `tests/differential.rs`: a seeded RNG, naive reimplementations
//! of Kusto's string operators, and the predicate trees that random rules are rendered from.
//!
//! Everything here is written to be obviously right, not fast: the string operators work on
//! `char`s and try every start position, so a bug in loghunt's byte-level automata, boundary
//! checks or case folding cannot be shared by the oracle. Random rules are evaluated by walking
//! the [`Pred`] tree they were generated from, never by re-parsing their KQL text, so the KQL
//! front end and planner are checked too.

use std::cmp::Ordering;

use loghunt::value::Value;

/// splitmix64: tiny, seedable, and good enough to drive test-case generation. Every random
/// choice of a test flows from one seed, so a failing seed reproduces the failing case exactly.
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "below(0)");
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent` / 100.
    pub fn percent(&mut self, percent: u32) -> bool {
        self.next_u64() % 100 < u64::from(percent)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// [`Rng::pick`] for `Copy` items, such as `&'static str`s.
    pub fn pick_copy<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

// ---- Kusto's string operators, naively ----

/// Kusto terms are runs of ASCII letters and digits; every other character separates them.
pub fn is_term_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// `char::eq_ignore_ascii_case` folds ASCII letters only: `é` and `É` stay different, as in
/// Kusto's case-insensitive operators.
fn same_char(a: char, b: char, case_sensitive: bool) -> bool {
    if case_sensitive {
        a == b
    } else {
        a.eq_ignore_ascii_case(&b)
    }
}

fn chars(text: &str) -> Vec<char> {
    text.chars().collect()
}

/// Whether `needle` occurs in `haystack` starting at char position `at`.
fn occurs_at(haystack: &[char], needle: &[char], at: usize, case_sensitive: bool) -> bool {
    at + needle.len() <= haystack.len()
        && needle
            .iter()
            .zip(&haystack[at..])
            .all(|(&n, &h)| same_char(h, n, case_sensitive))
}

/// `haystack has needle` (`has_cs` when `case_sensitive`): some occurrence of the needle whose
/// first character, if a term character, does not continue a term on its left, and whose last
/// character, if a term character, does not run into a term on its right. `has ""` is true.
pub fn has(haystack: &str, needle: &str, case_sensitive: bool) -> bool {
    let (h, n) = (chars(haystack), chars(needle));
    let (Some(&first), Some(&last)) = (n.first(), n.last()) else {
        return true;
    };
    (0..=h.len()).any(|at| {
        if !occurs_at(&h, &n, at, case_sensitive) {
            return false;
        }
        let end = at + n.len();
        let left_ok = !is_term_char(first) || at == 0 || !is_term_char(h[at - 1]);
        let right_ok = !is_term_char(last) || end == h.len() || !is_term_char(h[end]);
        left_ok && right_ok
    })
}

/// `has_any`: some needle is `has`-found. An empty list finds nothing.
pub fn has_any(haystack: &str, needles: &[String], case_sensitive: bool) -> bool {
    needles.iter().any(|n| has(haystack, n, case_sensitive))
}

/// `has_all`: every needle is `has`-found; loghunt (README, Semantics) makes an empty list
/// match nothing.
pub fn has_all(haystack: &str, needles: &[String], case_sensitive: bool) -> bool {
    !needles.is_empty() && needles.iter().all(|n| has(haystack, n, case_sensitive))
}

pub fn contains(haystack: &str, needle: &str, case_sensitive: bool) -> bool {
    let (h, n) = (chars(haystack), chars(needle));
    (0..=h.len()).any(|at| occurs_at(&h, &n, at, case_sensitive))
}

pub fn starts_with(haystack: &str, needle: &str, case_sensitive: bool) -> bool {
    occurs_at(&chars(haystack), &chars(needle), 0, case_sensitive)
}

pub fn ends_with(haystack: &str, needle: &str, case_sensitive: bool) -> bool {
    let (h, n) = (chars(haystack), chars(needle));
    h.len() >= n.len() && occurs_at(&h, &n, h.len() - n.len(), case_sensitive)
}

/// `==` (case-sensitive) and `=~`.
pub fn equals(haystack: &str, needle: &str, case_sensitive: bool) -> bool {
    let (h, n) = (chars(haystack), chars(needle));
    h.len() == n.len() && occurs_at(&h, &n, 0, case_sensitive)
}

/// `in` (case-sensitive) and `in~`: equal to some element.
pub fn in_list(haystack: &str, needles: &[String], case_sensitive: bool) -> bool {
    needles.iter().any(|n| equals(haystack, n, case_sensitive))
}

// ---- predicate trees ----

/// What a string operator tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    In,
    Equals,
    Has,
    HasAny,
    HasAll,
    Contains,
    StartsWith,
    EndsWith,
}

impl Test {
    pub const ALL: [Test; 8] = [
        Test::In,
        Test::Equals,
        Test::Has,
        Test::HasAny,
        Test::HasAll,
        Test::Contains,
        Test::StartsWith,
        Test::EndsWith,
    ];
}

/// One string operator: `in`, `!in`, `in~`, `!in~`, `==`, `!=`, `=~`, `!~`, `has`, `!has_cs`,
/// `has_any`, `contains_cs`, ...
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Op {
    pub test: Test,
    pub case_sensitive: bool,
    pub negated: bool,
}

impl Op {
    /// Whether the right side is a list (`in`, `has_any`, `has_all`) rather than one string.
    pub fn takes_list(self) -> bool {
        matches!(self.test, Test::In | Test::HasAny | Test::HasAll)
    }

    /// The operator as written in KQL.
    pub fn kql(self) -> String {
        let bang = if self.negated { "!" } else { "" };
        let cs = if self.case_sensitive { "_cs" } else { "" };
        let base = match self.test {
            Test::In => return format!("{bang}in{}", if self.case_sensitive { "" } else { "~" }),
            Test::Equals => {
                return match (self.case_sensitive, self.negated) {
                    (true, false) => "==",
                    (true, true) => "!=",
                    (false, false) => "=~",
                    (false, true) => "!~",
                }
                .to_string()
            }
            Test::HasAny => return "has_any".to_string(),
            Test::HasAll => return "has_all".to_string(),
            Test::Has => "has",
            Test::Contains => "contains",
            Test::StartsWith => "startswith",
            Test::EndsWith => "endswith",
        };
        format!("{bang}{base}{cs}")
    }

    /// The operator applied to a column's text; `needles` has one element for the operators
    /// that take one string.
    pub fn holds(self, text: &str, needles: &[String]) -> bool {
        let cs = self.case_sensitive;
        let one = || needles[0].as_str();
        let found = match self.test {
            Test::In => in_list(text, needles, cs),
            Test::Equals => equals(text, one(), cs),
            Test::Has => has(text, one(), cs),
            Test::HasAny => has_any(text, needles, cs),
            Test::HasAll => has_all(text, needles, cs),
            Test::Contains => contains(text, one(), cs),
            Test::StartsWith => starts_with(text, one(), cs),
            Test::EndsWith => ends_with(text, one(), cs),
        };
        found != self.negated
    }
}

/// `<`, `<=`, `>`, `>=`, `==`, `!=` on datetimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Cmp {
    pub const ALL: [Cmp; 6] = [Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge, Cmp::Eq, Cmp::Ne];

    pub fn kql(self) -> &'static str {
        match self {
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
            Cmp::Eq => "==",
            Cmp::Ne => "!=",
        }
    }

    /// Kusto's comparison with a possibly null left side: `==` with null is false, `!=` true,
    /// an ordering comparison null.
    pub fn eval(self, left: Option<i64>, right: i64) -> Option<bool> {
        let Some(left) = left else {
            return match self {
                Cmp::Eq => Some(false),
                Cmp::Ne => Some(true),
                _ => None,
            };
        };
        Some(match self {
            Cmp::Lt => left < right,
            Cmp::Le => left <= right,
            Cmp::Gt => left > right,
            Cmp::Ge => left >= right,
            Cmp::Eq => left == right,
            Cmp::Ne => left != right,
        })
    }
}

/// A `where` predicate. String tests are never null (Kusto strings are never null), but a
/// datetime comparison is null when the column is, so evaluation is three-valued.
#[derive(Debug, Clone)]
pub enum Pred {
    And(Vec<Pred>),
    Or(Vec<Pred>),
    Not(Box<Pred>),
    Test {
        column: String,
        op: Op,
        needles: Vec<String>,
    },
    /// `isempty(column)`, or `isnotempty` when negated.
    IsEmpty {
        column: String,
        negated: bool,
    },
    /// `column <cmp> datetime(literal)`; `ticks` is the literal's instant.
    Time {
        column: String,
        cmp: Cmp,
        literal: String,
        ticks: i64,
    },
}

/// A column's value as a predicate sees it.
pub enum Cell {
    Text(String),
    /// A datetime column: the instant, or null.
    Time(Option<i64>),
}

impl Pred {
    /// Evaluates the tree; `cell` gives a column's value by name. `None` is Kusto's null, which
    /// `where` treats as false: `and` is false if any part is false, else null if any is null;
    /// `or` is true if any part is true, else null if any is null; `not(null)` is null.
    pub fn eval(&self, cell: &dyn Fn(&str) -> Cell) -> Option<bool> {
        let text = |column: &str| match cell(column) {
            Cell::Text(text) => text,
            Cell::Time(_) => panic!("string test on the datetime column {column}"),
        };
        match self {
            Pred::And(parts) => {
                let results: Vec<Option<bool>> = parts.iter().map(|p| p.eval(cell)).collect();
                if results.contains(&Some(false)) {
                    Some(false)
                } else if results.contains(&None) {
                    None
                } else {
                    Some(true)
                }
            }
            Pred::Or(parts) => {
                let results: Vec<Option<bool>> = parts.iter().map(|p| p.eval(cell)).collect();
                if results.contains(&Some(true)) {
                    Some(true)
                } else if results.contains(&None) {
                    None
                } else {
                    Some(false)
                }
            }
            Pred::Not(inner) => inner.eval(cell).map(|b| !b),
            Pred::Test { column, op, needles } => Some(op.holds(&text(column), needles)),
            Pred::IsEmpty { column, negated } => Some(text(column).is_empty() != *negated),
            Pred::Time { column, cmp, ticks, .. } => match cell(column) {
                Cell::Time(instant) => cmp.eval(instant, *ticks),
                Cell::Text(_) => panic!("datetime comparison on the string column {column}"),
            },
        }
    }

    /// Whether `where` keeps the row.
    pub fn holds(&self, cell: &dyn Fn(&str) -> Cell) -> bool {
        self.eval(cell) == Some(true)
    }
}

// ---- order by ----

/// One `order by` key over a result row, with Kusto's defaults already applied.
#[derive(Debug, Clone, Copy)]
pub struct OrderKey {
    pub column: usize,
    pub descending: bool,
    pub nulls_first: bool,
}

/// Kusto's `order by` on the values the oracle produces (strings, datetimes, nulls): strings
/// ordinally by bytes, datetimes as instants, nulls first or last as the key says whatever the
/// direction. Ties are `Equal`, so a stable sort keeps input order.
pub fn compare_rows(keys: &[OrderKey], a: &[Value], b: &[Value]) -> Ordering {
    for key in keys {
        let (x, y) = (&a[key.column], &b[key.column]);
        let null_rank = |v: &Value| v.is_null() != key.nulls_first;
        let ordering = match (x.is_null(), y.is_null()) {
            (false, false) => {
                let o = match (x, y) {
                    (Value::String(p), Value::String(q)) => p.as_bytes().cmp(q.as_bytes()),
                    (Value::DateTime(p), Value::DateTime(q)) => p.cmp(q),
                    _ => panic!("the oracle orders only strings and datetimes, got {x:?} and {y:?}"),
                };
                if key.descending {
                    o.reverse()
                } else {
                    o
                }
            }
            // false sorts before true: with nulls first, a null ranks false.
            _ => null_rank(x).cmp(&null_rank(y)),
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

mod self_checks {
    use super::*;

    /// The oracle's own examples, straight from the README's Semantics section, so that the
    /// oracle is not just "whatever loghunt does".
    #[test]
    fn oracle_follows_the_readme_examples() {
        for (h, expected) in [
            ("a.spapro.co.com", true),
            ("SPAPRO.CO.COM", true),
            ("spapro.co.com.", true),
            ("spapro.co.com-cdn.net", true),
            ("x_spapro.co.com", true),
            ("myspapro.co.com", false),
            ("spapro.co.community", false),
        ] {
            assert_eq!(has(h, "spapro.co.com", false), expected, "{h}");
        }
        assert!(has("anything", "", false));
        assert!(has("aaa.aa", "aa", false), "the second occurrence is a whole term");
        assert!(!has("aaa.aaa", "aa", false));
        assert!(has("abc.def", ".def", false) && !has("abc.def", "c.", false));
        assert!(!equals("straße", "STRASSE", false) && !equals("é", "É", false));
        assert!(equals("École.FR", "ÉCOLE.FR", false));
        assert!(!has_all("x", &[], false) && !has_any("x", &[], false));
    }

    #[test]
    fn null_comparisons_are_neither_true_nor_false() {
        let null = |_: &str| Cell::Time(None);
        let gt = Pred::Time {
            column: "T".into(),
            cmp: Cmp::Gt,
            literal: String::new(),
            ticks: 0,
        };
        assert_eq!(gt.eval(&null), None);
        assert!(
            !Pred::Not(Box::new(gt.clone())).holds(&null),
            "not(null) is null, dropped"
        );
        let ne = Pred::Time {
            column: "T".into(),
            cmp: Cmp::Ne,
            literal: String::new(),
            ticks: 0,
        };
        assert!(ne.holds(&null), "!= with null is true");
        assert!(Pred::Or(vec![gt.clone(), ne]).holds(&null));
        assert_eq!(Pred::And(vec![gt, Pred::Or(vec![])]).eval(&null), Some(false));
    }

    #[test]
    fn nulls_sort_where_the_key_says() {
        let asc = [OrderKey {
            column: 0,
            descending: false,
            nulls_first: true,
        }];
        let (null, one, two) = (vec![Value::Null], vec![Value::DateTime(1)], vec![Value::DateTime(2)]);
        assert_eq!(compare_rows(&asc, &null, &one), Ordering::Less);
        assert_eq!(compare_rows(&asc, &one, &two), Ordering::Less);
        let desc = [OrderKey {
            column: 0,
            descending: true,
            nulls_first: false,
        }];
        assert_eq!(compare_rows(&desc, &null, &one), Ordering::Greater);
        assert_eq!(compare_rows(&desc, &one, &two), Ordering::Greater);
    }
}
