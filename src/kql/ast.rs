//! The syntax tree of the KQL subset loghunt runs. Every node carries the [`Span`] of its source
//! text so that later stages (the planner's schema and type checks) can point at line:column.
//! Names are not resolved here: `ExprKind::Name` may be a column or a `let` binding.

use std::fmt;

/// A region of the query text: byte offsets plus the 1-based line and column of its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A whole query: `let` statements, then `Table | operator | operator ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub lets: Vec<Let>,
    pub table: Ident,
    pub operators: Vec<Operator>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `let name = expr;` — `expr` is a `dynamic([...])` list or a scalar expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Let {
    pub name: Ident,
    pub value: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operator {
    /// `where predicate`
    Where { predicate: Expr, span: Span },
    /// `project a, b, New = c`
    Project { columns: Vec<ProjectColumn>, span: Span },
    /// `order by` / `sort by` with one or more keys.
    OrderBy { keys: Vec<OrderKey>, span: Span },
    /// `take N` / `limit N`
    Take { count: u64, span: Span },
}

impl Operator {
    pub fn span(&self) -> Span {
        match self {
            Operator::Where { span, .. }
            | Operator::Project { span, .. }
            | Operator::OrderBy { span, .. }
            | Operator::Take { span, .. } => *span,
        }
    }
}

/// One output column of `project`: `Column` (output named after it) or `Name = expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectColumn {
    pub name: Ident,
    pub expr: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nulls {
    First,
    Last,
}

/// One `order by` key; `None` means the clause did not say (Kusto: `desc`, and nulls last for
/// `desc`, first for `asc`).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderKey {
    pub expr: Expr,
    pub direction: Option<Direction>,
    pub nulls: Option<Nulls>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// A column or a `let` name; the planner decides which.
    Name(String),
    /// `dynamic([...])` (elements may nest) or a parenthesised list on the right of
    /// `in`/`has_any`: `("a", "b")`, `(names)`.
    List(Vec<Expr>),
    /// `left op right`.
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `name(args)`: `not`, `isempty`, `isnotempty`, `ago`, `now`, ...; the planner checks the
    /// function is one it supports.
    Call {
        name: Ident,
        args: Vec<Expr>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    String(String),
    Long(i64),
    Real(f64),
    Bool(bool),
    /// 100 ns ticks since the Unix epoch (`datetime(...)`).
    DateTime(i64),
    /// 100 ns ticks (`7d`, `1.5h`, `timespan(...)`).
    TimeSpan(i64),
    /// `dynamic(null)`, `datetime(null)`, ...
    Null,
}

/// What a string operator tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringTest {
    /// `has`: whole-term match.
    Has,
    Contains,
    StartsWith,
    EndsWith,
    /// `=~` / `!~` (and `==`/`!=` are [`BinaryOp::Compare`]).
    Equals,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StringOp {
    pub test: StringTest,
    pub case_sensitive: bool,
    pub negated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Eq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    And,
    Or,
    /// `==`, `!=`, `<`, `<=`, `>`, `>=`.
    Compare(Comparison),
    /// `has`, `contains`, `startswith`, `endswith`, `=~` with their `_cs` and `!` forms.
    String(StringOp),
    /// `in`, `!in`, `in~`, `!in~`; the right side is an `ExprKind::List`.
    In {
        case_sensitive: bool,
        negated: bool,
    },
    /// `has_any (list)`.
    HasAny,
    /// `has_all (list)`.
    HasAll,
}

impl fmt::Display for BinaryOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match *self {
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
            BinaryOp::Compare(c) => match c {
                Comparison::Eq => "==",
                Comparison::NotEq => "!=",
                Comparison::Lt => "<",
                Comparison::Le => "<=",
                Comparison::Gt => ">",
                Comparison::Ge => ">=",
            },
            BinaryOp::String(op) => {
                let base = match op.test {
                    StringTest::Has => "has",
                    StringTest::Contains => "contains",
                    StringTest::StartsWith => "startswith",
                    StringTest::EndsWith => "endswith",
                    StringTest::Equals => {
                        return f.write_str(if op.negated { "!~" } else { "=~" });
                    }
                };
                return write!(
                    f,
                    "{}{}{}",
                    if op.negated { "!" } else { "" },
                    base,
                    if op.case_sensitive { "_cs" } else { "" }
                );
            }
            BinaryOp::In {
                case_sensitive,
                negated,
            } => match (case_sensitive, negated) {
                (true, false) => "in",
                (true, true) => "!in",
                (false, false) => "in~",
                (false, true) => "!in~",
            },
            BinaryOp::HasAny => "has_any",
            BinaryOp::HasAll => "has_all",
        };
        f.write_str(text)
    }
}
