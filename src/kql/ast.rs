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

/// A whole query: `let` statements, then a tabular expression (`Table | operator | ...`), and
/// possibly more of them: Kusto runs each tabular statement of a query (separated by `;`) and
/// returns one result per statement; a query file may also hold several queries separated by a
/// blank line, which Kusto's editors run one at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub lets: Vec<Let>,
    pub body: Tabular,
    /// The statements after the first tabular one: more `let`s (which see the earlier ones)
    /// and another tabular expression, each giving its own result.
    pub more: Vec<(Vec<Let>, Tabular)>,
}

impl Query {
    /// The table of a query that reads one table by name (`Table | ...`), the seed shape.
    pub fn table(&self) -> Option<&Ident> {
        match &self.body.source {
            Source::Name(name) => Some(name),
            _ => None,
        }
    }

    /// The operators after the source.
    pub fn operators(&self) -> &[Operator] {
        &self.body.operators
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `let name = value;`
#[derive(Debug, Clone, PartialEq)]
pub struct Let {
    pub name: Ident,
    pub value: LetValue,
}

// Syntax trees are built once per query; boxing the large variants would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum LetValue {
    /// A scalar expression or a `dynamic([...])` list. A bare name (`let T = DeviceEvents;`) is
    /// here too: only the planner knows whether it names a table.
    Expr(Expr),
    /// A tabular expression: `let x = T | where ...;`, `let x = materialize(...)`, ...
    Tabular(Tabular),
    /// `let f = (a: string, b: long = 5) { body };` or `let v = view () { body };`
    Function(Function),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub params: Vec<Param>,
    pub lets: Vec<Let>,
    pub body: FunctionBody,
    pub span: Span,
}

#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum FunctionBody {
    Scalar(Expr),
    Tabular(Tabular),
}

/// A function parameter: `name: type [= default]`; a tabular parameter is `T: (*)` or
/// `T: (Col: type, ...)` and has `ty` `"table"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: Ident,
    pub default: Option<Expr>,
}

/// `source | operator | ...`
#[derive(Debug, Clone, PartialEq)]
pub struct Tabular {
    pub source: Source,
    pub operators: Vec<Operator>,
    pub span: Span,
}

/// Where the rows of a tabular expression come from.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A table or a tabular `let` name; in a `union` leg it may hold `*` wildcards.
    Name(Ident),
    /// `( tabular )`
    Subquery(Box<Tabular>),
    /// `union [kind=...] [withsource=...] [isfuzzy=...] leg, leg ...`
    Union(Union),
    /// `datatable (Col: type, ...) [ values ... ]`
    Datatable {
        columns: Vec<ColumnDecl>,
        values: Vec<Expr>,
    },
    /// `externaldata (Col: type, ...) [ "url", ... ] with (format="csv", ignoreFirstRecord=true)`
    ExternalData {
        columns: Vec<ColumnDecl>,
        urls: Vec<(String, Span)>,
        properties: Vec<(Ident, Expr)>,
    },
    /// `print a = 1, b = "x"`
    Print(Vec<ProjectColumn>),
    /// `range x from 1 to 10 step 1`
    Range {
        name: Ident,
        from: Expr,
        to: Expr,
        step: Expr,
    },
    /// `name(args)` as a source: `materialize(T)`, `_GetWatchlist('x')`, a `let` function,
    /// `FileProfile(...)`; the planner decides which (and refuses cloud-only ones).
    Call { name: Ident, args: Vec<Expr> },
}

/// `Name: type` in `datatable` / `externaldata`.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDecl {
    pub name: Ident,
    pub ty: Ident,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Union {
    /// `kind=inner|outer` (default outer).
    pub kind: Option<Ident>,
    /// `withsource=Name`: a column naming each row's leg.
    pub with_source: Option<Ident>,
    pub is_fuzzy: bool,
    pub legs: Vec<Tabular>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operator {
    /// `where predicate`
    Where { predicate: Expr, span: Span },
    /// `project a, b, New = c`
    Project { columns: Vec<ProjectColumn>, span: Span },
    /// `extend New = expr, expr`
    Extend { columns: Vec<ProjectColumn>, span: Span },
    /// `project-away a, b*`
    ProjectAway { columns: Vec<Ident>, span: Span },
    /// `project-keep a, b*`
    ProjectKeep { columns: Vec<Ident>, span: Span },
    /// `project-rename New = Old, ...`
    ProjectRename { renames: Vec<(Ident, Ident)>, span: Span },
    /// `project-reorder a, b* asc, ...`
    ProjectReorder {
        columns: Vec<(Ident, Option<Direction>)>,
        span: Span,
    },
    /// `summarize [Name =] agg(...), ... [by [Name =] expr, ...]`
    Summarize {
        aggregates: Vec<ProjectColumn>,
        by: Vec<ProjectColumn>,
        span: Span,
    },
    /// `order by` / `sort by` with one or more keys.
    OrderBy { keys: Vec<OrderKey>, span: Span },
    /// `take N` / `limit N`
    Take { count: Expr, span: Span },
    /// `top N by key [asc|desc] [nulls ...], ...`
    Top {
        count: Expr,
        keys: Vec<OrderKey>,
        span: Span,
    },
    /// `distinct a, b` or `distinct *` (an empty list).
    Distinct { columns: Vec<ProjectColumn>, span: Span },
    /// `count`
    Count { span: Span },
    /// `join [kind=...] [hints] (right) on keys`
    Join {
        kind: Option<Ident>,
        right: Box<Tabular>,
        on: Vec<JoinKey>,
        span: Span,
    },
    /// `lookup [kind=leftouter|inner] (right) on keys`
    Lookup {
        kind: Option<Ident>,
        right: Box<Tabular>,
        on: Vec<JoinKey>,
        span: Span,
    },
    /// `T | union ...`: the input is the first leg.
    Union { union: Union, span: Span },
    /// `mv-expand [bagexpansion=...] [Name =] expr [to typeof(type)], ... [limit N]`
    MvExpand {
        columns: Vec<MvExpandColumn>,
        limit: Option<Expr>,
        /// `kind=array` (bags expand to `[key, value]` arrays) rather than `kind=bag`.
        array_bags: bool,
        /// `with_itemindex=Name`
        item_index: Option<Ident>,
        span: Span,
    },
    /// `parse [kind=simple|regex|relaxed] [flags=...] expr with pattern` (and `parse-where`)
    Parse {
        kind: ParseKind,
        flags: Option<String>,
        source: Expr,
        pattern: Vec<ParsePart>,
        keep_unmatched: bool,
        span: Span,
    },
    /// `serialize [Name = expr, ...]`
    Serialize { columns: Vec<ProjectColumn>, span: Span },
    /// `render ...`: presentation only; accepted and ignored.
    Render { span: Span },
    /// `invoke f(args)`
    Invoke { name: Ident, args: Vec<Expr>, span: Span },
    /// `evaluate plugin(args)`
    Evaluate { name: Ident, args: Vec<Expr>, span: Span },
    /// `as Name`
    As { name: Ident, span: Span },
}

impl Operator {
    pub fn span(&self) -> Span {
        match self {
            Operator::Where { span, .. }
            | Operator::Project { span, .. }
            | Operator::Extend { span, .. }
            | Operator::ProjectAway { span, .. }
            | Operator::ProjectKeep { span, .. }
            | Operator::ProjectRename { span, .. }
            | Operator::ProjectReorder { span, .. }
            | Operator::Summarize { span, .. }
            | Operator::OrderBy { span, .. }
            | Operator::Take { span, .. }
            | Operator::Top { span, .. }
            | Operator::Distinct { span, .. }
            | Operator::Count { span }
            | Operator::Join { span, .. }
            | Operator::Lookup { span, .. }
            | Operator::Union { span, .. }
            | Operator::MvExpand { span, .. }
            | Operator::Parse { span, .. }
            | Operator::Serialize { span, .. }
            | Operator::Render { span }
            | Operator::Invoke { span, .. }
            | Operator::Evaluate { span, .. }
            | Operator::As { span, .. } => *span,
        }
    }

    /// The operator's name as written in KQL, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Operator::Where { .. } => "where",
            Operator::Project { .. } => "project",
            Operator::Extend { .. } => "extend",
            Operator::ProjectAway { .. } => "project-away",
            Operator::ProjectKeep { .. } => "project-keep",
            Operator::ProjectRename { .. } => "project-rename",
            Operator::ProjectReorder { .. } => "project-reorder",
            Operator::Summarize { .. } => "summarize",
            Operator::OrderBy { .. } => "order by",
            Operator::Take { .. } => "take",
            Operator::Top { .. } => "top",
            Operator::Distinct { .. } => "distinct",
            Operator::Count { .. } => "count",
            Operator::Join { .. } => "join",
            Operator::Lookup { .. } => "lookup",
            Operator::Union { .. } => "union",
            Operator::MvExpand { .. } => "mv-expand",
            Operator::Parse { .. } => "parse",
            Operator::Serialize { .. } => "serialize",
            Operator::Render { .. } => "render",
            Operator::Invoke { .. } => "invoke",
            Operator::Evaluate { .. } => "evaluate",
            Operator::As { .. } => "as",
        }
    }
}

/// One key of `join ... on`: `Col` (the same name on both sides) or `$left.A == $right.B`.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinKey {
    pub left: Ident,
    pub right: Ident,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MvExpandColumn {
    pub name: Option<Ident>,
    pub expr: Expr,
    /// `to typeof(long)`
    pub to_type: Option<Ident>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseKind {
    Simple,
    Regex,
    Relaxed,
}

/// One piece of a `parse` pattern: a literal to find, `*` (skip), or a column to capture
/// (`Name` or `Name: type`).
#[derive(Debug, Clone, PartialEq)]
pub enum ParsePart {
    Literal(String),
    Skip,
    Column { name: Ident, ty: Option<Ident> },
}

/// One output column of `project`, `extend`, `summarize`...: `expr` or `Name = expr`; without a
/// name, the planner names it as Kusto does (a plain column keeps its name).
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectColumn {
    pub name: Option<Ident>,
    pub expr: Expr,
    /// `(A, B) = arg_max(...)`: the names of the columns after the first.
    pub more_names: Vec<Ident>,
}

impl ProjectColumn {
    /// The name the column is given in the text, or the column it copies.
    pub fn plain_name(&self) -> Option<&str> {
        match (&self.name, &self.expr.kind) {
            (Some(name), _) => Some(&name.name),
            (None, ExprKind::Name(name)) => Some(name),
            _ => None,
        }
    }
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

/// String literals, escapes resolved, one after another in one buffer, each with its span.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StringList {
    text: String,
    /// Each string's end in `text` (it starts where the one before ends) and its span.
    items: Vec<(usize, Span)>,
}

impl StringList {
    /// An empty list with room for `items` strings of `bytes` bytes in all.
    pub(crate) fn with_capacity(items: usize, bytes: usize) -> StringList {
        StringList {
            text: String::with_capacity(bytes),
            items: Vec::with_capacity(items),
        }
    }

    /// Adds a string whose text [`StringList::text_mut`] has just appended, spanning `span`.
    pub(crate) fn push_appended(&mut self, span: Span) {
        self.items.push((self.text.len(), span));
    }

    /// The buffer to append the next string's text to, before [`StringList::push_appended`].
    pub(crate) fn text_mut(&mut self) -> &mut String {
        &mut self.text
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The strings with their spans, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, Span)> + '_ {
        (0..self.items.len()).map(move |i| {
            let start = i.checked_sub(1).map_or(0, |before| self.items[before].0);
            let (end, span) = self.items[i];
            (&self.text[start..end], span)
        })
    }

    /// The strings, in order.
    pub fn strs(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.iter().map(|(text, _)| text)
    }

    /// The list as the `dynamic` array of strings it is.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(self.strs().map(|s| serde_json::Value::String(s.to_string())).collect())
    }

    /// The list as the string literals it stands for.
    pub fn exprs(&self) -> Vec<Expr> {
        self.iter()
            .map(|(text, span)| Expr {
                kind: ExprKind::Literal(Literal::String(text.to_string())),
                span,
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// A column or a `let` name; the planner decides which.
    Name(String),
    /// `dynamic([...])` (elements may nest) or a parenthesised list on the right of
    /// `in`/`has_any`: `("a", "b")`, `(names)`, `(T | project x)`.
    List(Vec<Expr>),
    /// `dynamic([...])` of string literals only, kept packed: the same list as a `List` of
    /// string literals ([`StringList::exprs`]). Only [`crate::kql::parse_packed`] makes it, for
    /// the seed compiler, so that a feed's million IOCs are not a million `Expr`s.
    Strings(StringList),
    /// `left op right`.
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `-x`
    Negate(Box<Expr>),
    /// `x between (low .. high)`, `x !between (...)`.
    Between {
        operand: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    /// `x.Name`, `x["Name"]`, `x[0]`: the member is a string or long expression.
    Member {
        base: Box<Expr>,
        member: Box<Expr>,
    },
    /// `name(args)`; the planner checks the function is one it supports.
    Call {
        name: Ident,
        args: Vec<Expr>,
    },
    /// `*` as an argument (`arg_max(T, *)`, `count(*)`).
    Star,
    /// A tabular subquery where a value or a list is expected: `toscalar(T | ...)`,
    /// `x in (T | project c)`.
    Tabular(Box<Tabular>),
}

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arithmetic {
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
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
    /// `dynamic({...})` and other JSON values that are not plain lists.
    Dynamic(serde_json::Value),
    /// `dynamic(null)`, `datetime(null)`, ...
    Null,
}

impl Literal {
    /// The value the literal stands for.
    pub fn value(&self) -> crate::value::Value {
        use crate::value::Value;
        match self {
            Literal::String(s) => Value::String(s.clone()),
            Literal::Long(n) => Value::Long(*n),
            Literal::Real(r) => Value::Real(*r),
            Literal::Bool(b) => Value::Bool(*b),
            Literal::DateTime(t) => Value::DateTime(*t),
            Literal::TimeSpan(t) => Value::TimeSpan(*t),
            Literal::Dynamic(json) => Value::Dynamic(json.clone()),
            Literal::Null => Value::Null,
        }
    }
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
    /// `hasprefix`: a term starts with the needle.
    HasPrefix,
    /// `hassuffix`: a term ends with the needle.
    HasSuffix,
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
    /// `+`, `-`, `*`, `/`, `%`.
    Arithmetic(Arithmetic),
    /// `matches regex`.
    MatchesRegex,
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
                    StringTest::HasPrefix => "hasprefix",
                    StringTest::HasSuffix => "hassuffix",
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
            BinaryOp::Arithmetic(a) => match a {
                Arithmetic::Add => "+",
                Arithmetic::Subtract => "-",
                Arithmetic::Multiply => "*",
                Arithmetic::Divide => "/",
                Arithmetic::Modulo => "%",
            },
            BinaryOp::MatchesRegex => "matches regex",
        };
        f.write_str(text)
    }
}
