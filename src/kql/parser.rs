//! The KQL parser: tokens → [`Query`]. Recursive descent for statements and tabular operators,
//! precedence climbing for expressions. It accepts exactly the subset in [`super::ast`]; every
//! other operator, statement or syntax is a [`ParseError`] that names it at its line:column.

use super::lexer::{self, Punct, Token, TokenKind};
use super::*;

/// How deep parentheses, calls and `dynamic` arrays may nest; each level costs parser stack.
const MAX_NESTING: u32 = 64;
/// How deep an expression tree may grow (`a or b or ...` grows it by one per operator); later
/// stages walk and drop the tree recursively, so an absurd depth must not reach them.
const MAX_TREE_DEPTH: u32 = 1000;

/// Tabular statements that do not start from a table (`union T1, T2`, `print x`, ...).
const TABULAR_SOURCES: &str = "union search find print range datatable externaldata evaluate materialize view";
/// Query-level statements other than `let`.
const STATEMENTS: &str = "set declare alias pattern restrict";
/// Kusto binary operators loghunt does not run, besides `!`-words and `_` variants.
const UNSUPPORTED_OPERATORS: &str = "between notbetween like notlike likecs notlikecs matches \
    hasprefix hasprefix_cs hassuffix hassuffix_cs notcontains notcontainscs containscs \
    notstartswith notendswith notin";

/// Whether `word` is one of the space-separated words of `list`.
fn listed(list: &str, word: &str) -> bool {
    list.split_whitespace().any(|w| w == word)
}

/// Whether a word in operator position names a Kusto operator loghunt does not run (so the
/// error can say so) rather than being stray text: `!`-words, the `_`-suffixed variants of the
/// string operators (`has_any_cs`, `contains_any`), and the rest by name.
fn is_unsupported_operator(word: &str) -> bool {
    let variant = ["has", "contains", "startswith", "endswith", "in"]
        .iter()
        .any(|base| word.starts_with(base) && word[base.len()..].starts_with('_'));
    word.starts_with('!') || variant || listed(UNSUPPORTED_OPERATORS, word)
}

/// An expression with the depth of its tree, so that depth is checked as it grows.
struct Node {
    expr: Expr,
    depth: u32,
}

impl Node {
    fn leaf(kind: ExprKind, span: Span) -> Node {
        Node {
            expr: Expr { kind, span },
            depth: 1,
        }
    }
}

/// The depth of a node over children at most `depth` deep, refused past [`MAX_TREE_DEPTH`].
fn deeper(depth: u32, span: Span) -> Result<u32, ParseError> {
    if depth >= MAX_TREE_DEPTH {
        let message = format!("expression too deep (more than {MAX_TREE_DEPTH} levels)");
        return Err(ParseError { message, span });
    }
    Ok(depth + 1)
}

/// A span from the start of `first` to the end of `last`.
fn cover(first: Span, last: Span) -> Span {
    Span {
        end: last.end.max(first.end),
        ..first
    }
}

fn precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        _ => 3,
    }
}

/// The operator a word names, if it is one loghunt supports.
fn word_operator(word: &str) -> Option<BinaryOp> {
    let op = match word {
        "or" => BinaryOp::Or,
        "and" => BinaryOp::And,
        "has_any" => BinaryOp::HasAny,
        "has_all" => BinaryOp::HasAll,
        "in" | "!in" | "in~" | "!in~" => BinaryOp::In {
            case_sensitive: !word.ends_with('~'),
            negated: word.starts_with('!'),
        },
        _ => {
            let (negated, rest) = match word.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, word),
            };
            let (case_sensitive, base) = match rest.strip_suffix("_cs") {
                Some(base) => (true, base),
                None => (false, rest),
            };
            let test = match base {
                "has" => StringTest::Has,
                "contains" => StringTest::Contains,
                "startswith" => StringTest::StartsWith,
                "endswith" => StringTest::EndsWith,
                _ => return None,
            };
            BinaryOp::String(StringOp {
                test,
                case_sensitive,
                negated,
            })
        }
    };
    Some(op)
}

fn punct_operator(punct: Punct) -> Option<BinaryOp> {
    let compare = match punct {
        Punct::EqEq => Comparison::Eq,
        Punct::NotEq | Punct::LtGt => Comparison::NotEq,
        Punct::Lt => Comparison::Lt,
        Punct::Le => Comparison::Le,
        Punct::Gt => Comparison::Gt,
        Punct::Ge => Comparison::Ge,
        Punct::EqTilde | Punct::BangTilde => {
            return Some(BinaryOp::String(StringOp {
                test: StringTest::Equals,
                case_sensitive: false,
                negated: punct == Punct::BangTilde,
            }))
        }
        _ => return None,
    };
    Some(BinaryOp::Compare(compare))
}

pub(crate) struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    /// End offset of the last token consumed, for the spans of multi-token nodes.
    prev_end: usize,
    nesting: u32,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(query: &'a str, mut tokens: Vec<Token>) -> Parser<'a> {
        if tokens.last().map(|t| &t.kind) != Some(&TokenKind::Eof) {
            tokens.push(lexer::eof_token(query));
        }
        Parser {
            src: query,
            tokens,
            pos: 0,
            prev_end: 0,
            nesting: 0,
        }
    }

    /// `let` statements, a table, its operators, an optional `;`, and nothing after.
    pub(crate) fn parse_query(mut self) -> Result<Query, ParseError> {
        let mut lets = Vec::new();
        while self.at_word("let") {
            lets.push(self.let_statement()?);
        }
        let table = self.table()?;
        let mut operators = Vec::new();
        while self.eat_punct(Punct::Pipe) {
            operators.push(self.operator()?);
        }
        let expected = if self.eat_punct(Punct::Semi) {
            "end of query"
        } else {
            "`|` or end of query"
        };
        if self.peek().kind != TokenKind::Eof {
            return Err(self.expected(expected));
        }
        Ok(Query { lets, table, operators })
    }

    // ---- tokens ----

    fn peek(&self) -> &Token {
        self.nth(0)
    }

    fn nth(&self, n: usize) -> &Token {
        let last = self.tokens.len() - 1;
        &self.tokens[(self.pos + n).min(last)]
    }

    /// Consumes the token at the cursor. The parser never looks back, so the token is moved
    /// out (a string literal is not copied); the final end-of-query token stays in place.
    fn bump(&mut self) -> Token {
        let token = if self.pos < self.tokens.len() - 1 {
            let slot = &mut self.tokens[self.pos];
            let placeholder = Token {
                kind: TokenKind::Eof,
                span: slot.span,
            };
            self.pos += 1;
            std::mem::replace(slot, placeholder)
        } else {
            self.peek().clone()
        };
        self.prev_end = token.span.end;
        token
    }

    /// How many comma-separated items the bracket or parenthesis just opened holds, counted
    /// on the tokens ahead: a list of thousands of IOCs is then collected without regrowing.
    fn items_ahead(&self) -> usize {
        let mut depth = 0usize;
        let mut items = 1;
        for token in &self.tokens[self.pos..] {
            match token.kind {
                TokenKind::Punct(Punct::LBracket | Punct::LParen | Punct::LBrace) => depth += 1,
                TokenKind::Punct(Punct::RBracket | Punct::RParen | Punct::RBrace) => match depth.checked_sub(1) {
                    Some(outer) => depth = outer,
                    None => break,
                },
                TokenKind::Punct(Punct::Comma) if depth == 0 => items += 1,
                _ => {}
            }
        }
        items
    }

    fn at_punct(&self, punct: Punct) -> bool {
        self.peek().kind == TokenKind::Punct(punct)
    }

    fn eat_punct(&mut self, punct: Punct) -> bool {
        let found = self.at_punct(punct);
        if found {
            self.bump();
        }
        found
    }

    fn at_word(&self, word: &str) -> bool {
        matches!(&self.peek().kind, TokenKind::Word(w) if w == word)
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let found = self.at_word(word);
        if found {
            self.bump();
        }
        found
    }

    /// The span from `start` to the end of the last consumed token.
    fn span_since(&self, start: Span) -> Span {
        Span {
            end: self.prev_end.max(start.start),
            ..start
        }
    }

    /// How a token reads in an error message: its source text, shortened.
    fn describe(&self, token: &Token) -> String {
        if token.kind == TokenKind::Eof {
            return "end of query".to_string();
        }
        let text = self.src.get(token.span.start..token.span.end).unwrap_or("");
        let line = text.lines().next().unwrap_or("");
        let mut shown: String = line.chars().take(40).collect();
        if shown.len() < text.len() {
            shown.push('…');
        }
        format!("`{shown}`")
    }

    fn error(span: Span, message: impl Into<String>) -> ParseError {
        ParseError {
            message: message.into(),
            span,
        }
    }

    /// "expected X, found Y" at the next token.
    fn expected(&self, what: &str) -> ParseError {
        let token = self.peek();
        Self::error(token.span, format!("expected {what}, found {}", self.describe(token)))
    }

    fn expect_punct(&mut self, punct: Punct, what: &str) -> Result<Token, ParseError> {
        if self.at_punct(punct) {
            Ok(self.bump())
        } else {
            Err(self.expected(what))
        }
    }

    /// Closes the `(` at `open`. A `|` before the `)` is either a missing `)` or a tabular
    /// subquery; they are told apart by whether a `)` balances the parenthesis further on.
    fn close_paren(&mut self, open: Span, expected: &str) -> Result<Token, ParseError> {
        if self.at_punct(Punct::RParen) {
            return Ok(self.bump());
        }
        if self.at_punct(Punct::Pipe) && self.paren_closes_later() {
            return Err(Self::error(
                self.peek().span,
                format!("unsupported tabular subquery inside `(` opened at {open}"),
            ));
        }
        Err(self.expected(&format!("{expected} to close `(` opened at {open}")))
    }

    fn paren_closes_later(&self) -> bool {
        let mut depth = 1u32;
        for token in &self.tokens[self.pos..] {
            match token.kind {
                TokenKind::Punct(Punct::LParen) => depth += 1,
                TokenKind::Punct(Punct::RParen) => {
                    depth -= 1;
                    if depth == 0 {
                        return true;
                    }
                }
                TokenKind::Punct(Punct::Semi) | TokenKind::Eof => return false,
                _ => {}
            }
        }
        false
    }

    /// How many tokens a name at the cursor takes: a word (1) or `['quoted']` (3).
    fn name_length(&self) -> Option<usize> {
        match &self.peek().kind {
            TokenKind::Word(w) if !w.starts_with('!') && !w.ends_with('~') => Some(1),
            TokenKind::Punct(Punct::LBracket)
                if matches!(self.nth(1).kind, TokenKind::Str(_))
                    && self.nth(2).kind == TokenKind::Punct(Punct::RBracket) =>
            {
                Some(3)
            }
            _ => None,
        }
    }

    /// A name (`Column`, `['Column name']`); `what` says what was expected otherwise.
    fn name(&mut self, what: &str) -> Result<Ident, ParseError> {
        let start = self.peek().span;
        let (name, length) = match (self.name_length(), &self.peek().kind, &self.nth(1).kind) {
            (Some(1), TokenKind::Word(name), _) => (name.clone(), 1),
            (Some(3), _, TokenKind::Str(name)) => (name.clone(), 3),
            _ => return Err(self.expected(what)),
        };
        for _ in 0..length {
            self.bump();
        }
        Ok(Ident {
            name,
            span: self.span_since(start),
        })
    }

    // ---- statements ----

    fn let_statement(&mut self) -> Result<Let, ParseError> {
        self.bump();
        let name = self.name("a name after `let`")?;
        self.expect_punct(Punct::Assign, &format!("`=` after `let {}`", name.name))?;
        let function = self.at_punct(Punct::LParen)
            && (self.nth(1).kind == TokenKind::Punct(Punct::RParen)
                || self.nth(2).kind == TokenKind::Punct(Punct::Colon));
        if function || (self.at_word("view") && self.nth(1).kind == TokenKind::Punct(Punct::LParen)) {
            return Err(Self::error(
                self.peek().span,
                "unsupported function definition in `let`",
            ));
        }
        let value = self.expr()?;
        if self.at_punct(Punct::Pipe) {
            return Err(Self::error(
                self.peek().span,
                "unsupported tabular `let`: only scalar values and `dynamic([...])` lists can be bound",
            ));
        }
        self.expect_punct(Punct::Semi, "`;` after the `let` statement")?;
        Ok(Let { name, value })
    }

    fn table(&mut self) -> Result<Ident, ParseError> {
        if let TokenKind::Word(word) = &self.peek().kind {
            let kind = if listed(TABULAR_SOURCES, word) {
                "operator"
            } else if listed(STATEMENTS, word) {
                "statement"
            } else {
                ""
            };
            if !kind.is_empty() {
                return Err(Self::error(self.peek().span, format!("unsupported {kind} `{word}`")));
            }
        }
        if self.at_punct(Punct::LParen) {
            let what = "a table name (parenthesized tabular expressions are not supported)";
            return Err(self.expected(what));
        }
        let table = self.name("a table name")?;
        if self.at_punct(Punct::LParen) {
            return Err(Self::error(
                table.span,
                format!("unsupported tabular function `{}(...)`", table.name),
            ));
        }
        Ok(table)
    }

    fn operator(&mut self) -> Result<Operator, ParseError> {
        let start = self.peek().span;
        let name = match &self.peek().kind {
            TokenKind::Word(word) if !word.starts_with('!') => word.clone(),
            _ => return Err(self.expected("an operator name after `|`")),
        };
        self.bump();
        // `project-away`, `mv-expand`: one operator name spelled with `-` and no spaces.
        let mut name = name;
        while self.at_punct(Punct::Minus)
            && self.peek().span.start == self.prev_end
            && self.nth(1).span.start == self.peek().span.end
        {
            let TokenKind::Word(part) = &self.nth(1).kind else {
                break;
            };
            name = format!("{name}-{part}");
            self.bump();
            self.bump();
        }
        let name_span = self.span_since(start);
        match name.as_str() {
            "where" | "filter" => {
                let predicate = self.expr()?;
                Ok(Operator::Where {
                    predicate,
                    span: self.span_since(start),
                })
            }
            "project" => {
                let mut columns = vec![self.project_column()?];
                while self.eat_punct(Punct::Comma) {
                    columns.push(self.project_column()?);
                }
                Ok(Operator::Project {
                    columns,
                    span: self.span_since(start),
                })
            }
            "order" | "sort" => {
                if !self.eat_word("by") {
                    return Err(self.expected(&format!("`by` after `{name}`")));
                }
                let mut keys = vec![self.order_key()?];
                while self.eat_punct(Punct::Comma) {
                    keys.push(self.order_key()?);
                }
                Ok(Operator::OrderBy {
                    keys,
                    span: self.span_since(start),
                })
            }
            "take" | "limit" => {
                let TokenKind::Int(count) = self.peek().kind else {
                    let what = format!("a row count (a non-negative integer) after `{name}`");
                    return Err(self.expected(&what));
                };
                self.bump();
                Ok(Operator::Take {
                    count,
                    span: self.span_since(start),
                })
            }
            _ => {
                let lower = name.to_lowercase();
                let hint = if listed("where filter project order sort take limit", &lower) {
                    format!(" (operator names are case-sensitive: did you mean `{lower}`?)")
                } else {
                    String::new()
                };
                Err(Self::error(name_span, format!("unsupported operator `{name}`{hint}")))
            }
        }
    }

    fn project_column(&mut self) -> Result<ProjectColumn, ParseError> {
        if let Some(length) = self.name_length() {
            if self.nth(length).kind == TokenKind::Punct(Punct::Assign) {
                let name = self.name("a column name")?;
                self.bump();
                let expr = self.expr()?;
                return Ok(ProjectColumn { name, expr });
            }
        }
        let expr = self.expr()?;
        match &expr.kind {
            ExprKind::Name(name) => Ok(ProjectColumn {
                name: Ident {
                    name: name.clone(),
                    span: expr.span,
                },
                expr,
            }),
            _ => Err(Self::error(
                expr.span,
                "a computed column in `project` needs a name: write `Name = <expression>`",
            )),
        }
    }

    fn order_key(&mut self) -> Result<OrderKey, ParseError> {
        let expr = self.expr()?;
        let direction = if self.eat_word("asc") {
            Some(Direction::Asc)
        } else if self.eat_word("desc") {
            Some(Direction::Desc)
        } else {
            None
        };
        let nulls = if self.eat_word("nulls") {
            if self.eat_word("first") {
                Some(Nulls::First)
            } else if self.eat_word("last") {
                Some(Nulls::Last)
            } else {
                return Err(self.expected("`first` or `last` after `nulls`"));
            }
        } else {
            None
        };
        Ok(OrderKey { expr, direction, nulls })
    }

    // ---- expressions ----

    fn expr(&mut self) -> Result<Expr, ParseError> {
        self.node().map(|node| node.expr)
    }

    /// A whole expression one nesting level down (inside parentheses, a call or a list).
    fn node(&mut self) -> Result<Node, ParseError> {
        self.nested(|p| p.binary(1))
    }

    /// Runs `parse` one nesting level deeper; each level costs stack, so their number is capped.
    fn nested<T>(&mut self, parse: impl FnOnce(&mut Self) -> Result<T, ParseError>) -> Result<T, ParseError> {
        if self.nesting >= MAX_NESTING {
            let message = format!("expression nested too deeply (more than {MAX_NESTING} levels)");
            return Err(Self::error(self.peek().span, message));
        }
        self.nesting += 1;
        let result = parse(self);
        self.nesting -= 1;
        result
    }

    /// The binary operator at the cursor; `None` if the expression ends here, an error if it is
    /// a Kusto operator loghunt does not run.
    fn peek_operator(&self) -> Result<Option<BinaryOp>, ParseError> {
        let token = self.peek();
        match &token.kind {
            TokenKind::Word(word) => {
                if let Some(op) = word_operator(word) {
                    return Ok(Some(op));
                }
                if word == "matches" && matches!(&self.nth(1).kind, TokenKind::Word(w) if w == "regex") {
                    let span = cover(token.span, self.nth(1).span);
                    return Err(Self::error(span, "unsupported operator `matches regex`"));
                }
                if is_unsupported_operator(word) {
                    return Err(Self::error(token.span, format!("unsupported operator `{word}`")));
                }
                Ok(None)
            }
            TokenKind::Punct(punct) => {
                if let Some(op) = punct_operator(*punct) {
                    return Ok(Some(op));
                }
                let message = match punct {
                    Punct::Assign => "expected `==` to compare, found `=`".to_string(),
                    Punct::Plus | Punct::Minus | Punct::Star | Punct::Slash | Punct::Percent => {
                        format!("unsupported operator {}", self.describe(token))
                    }
                    Punct::Dot => "unsupported operator `.` (property access)".to_string(),
                    Punct::LBracket => "unsupported operator `[` (indexing)".to_string(),
                    _ => return Ok(None),
                };
                Err(Self::error(token.span, message))
            }
            _ => Ok(None),
        }
    }

    fn binary(&mut self, min_precedence: u8) -> Result<Node, ParseError> {
        let mut left = self.unary()?;
        while let Some(op) = self.peek_operator()? {
            let precedence = precedence(op);
            if precedence < min_precedence {
                break;
            }
            let op_span = self.bump().span;
            let right = match op {
                BinaryOp::In { .. } | BinaryOp::HasAny | BinaryOp::HasAll => self.list(op)?,
                _ => self.binary(precedence + 1)?,
            };
            let depth = deeper(left.depth.max(right.depth), op_span)?;
            let span = cover(left.expr.span, right.expr.span);
            left = Node {
                expr: Expr {
                    kind: ExprKind::Binary {
                        op,
                        left: Box::new(left.expr),
                        right: Box::new(right.expr),
                    },
                    span,
                },
                depth,
            };
        }
        Ok(left)
    }

    /// The right side of `in`/`has_any`/`has_all`: `(a, "b", dynamic([...]))` as a list.
    fn list(&mut self, op: BinaryOp) -> Result<Node, ParseError> {
        let open = self.expect_punct(Punct::LParen, &format!("`(` after `{op}`"))?;
        let mut elements = Vec::new();
        if !self.at_punct(Punct::RParen) {
            elements.push(self.node()?);
            while self.eat_punct(Punct::Comma) {
                elements.push(self.node()?);
            }
        }
        self.close_paren(open.span, "`,` or `)`")?;
        self.list_node(elements, self.span_since(open.span))
    }

    fn list_node(&self, elements: Vec<Node>, span: Span) -> Result<Node, ParseError> {
        let depth = deeper(elements.iter().map(|e| e.depth).max().unwrap_or(0), span)?;
        let elements = elements.into_iter().map(|e| e.expr).collect();
        Ok(Node {
            expr: Expr {
                kind: ExprKind::List(elements),
                span,
            },
            depth,
        })
    }

    /// A leading `-`/`+` applies only to a number or timespan literal: the AST has no negation.
    fn unary(&mut self) -> Result<Node, ParseError> {
        let negative = self.at_punct(Punct::Minus);
        if !(negative || self.at_punct(Punct::Plus)) {
            return self.primary();
        }
        let sign = self.bump();
        let literal = match self.peek().kind {
            TokenKind::Int(n) if negative => 0i64.checked_sub_unsigned(n).map(Literal::Long),
            TokenKind::Int(n) => i64::try_from(n).ok().map(Literal::Long),
            TokenKind::Real(x) => Some(Literal::Real(if negative { -x } else { x })),
            TokenKind::TimeSpan(t) | TokenKind::Typed(Literal::TimeSpan(t)) => {
                Some(Literal::TimeSpan(if negative { -t } else { t }))
            }
            _ => {
                let message = format!("unsupported operator {}", self.describe(&sign));
                return Err(Self::error(sign.span, message));
            }
        };
        let number = self.bump();
        let span = cover(sign.span, number.span);
        let literal = literal.ok_or_else(|| {
            Self::error(
                span,
                format!("integer literal {} is out of range", self.describe(&number)),
            )
        })?;
        Ok(Node::leaf(ExprKind::Literal(literal), span))
    }

    fn primary(&mut self) -> Result<Node, ParseError> {
        if matches!(self.peek().kind, TokenKind::Str(_)) {
            return Ok(self.string());
        }
        let token = self.peek().clone();
        let literal = match &token.kind {
            TokenKind::Int(n) => {
                let value = i64::try_from(*n).map_err(|_| {
                    let shown = self.describe(&token);
                    Self::error(token.span, format!("integer literal {shown} is out of range"))
                })?;
                Literal::Long(value)
            }
            TokenKind::Real(x) => Literal::Real(*x),
            TokenKind::TimeSpan(t) => Literal::TimeSpan(*t),
            TokenKind::Typed(literal) => literal.clone(),
            TokenKind::Guid => {
                return Err(Self::error(token.span, "unsupported literal `guid(...)`"));
            }
            TokenKind::Punct(Punct::LParen) => return self.parenthesized(),
            TokenKind::Punct(Punct::LBracket) if self.name_length().is_some() => {
                let name = self.name("a name")?;
                return Ok(Node::leaf(ExprKind::Name(name.name), name.span));
            }
            TokenKind::Word(word) if word.starts_with('!') => {
                let message = format!(
                    "expected an expression, found {}; `!` only negates operators, use `not(...)`",
                    self.describe(&token)
                );
                return Err(Self::error(token.span, message));
            }
            TokenKind::Word(word) if word == "true" || word == "false" => Literal::Bool(word == "true"),
            // `let x = union A, B | ...;`, `externaldata(...)`: tabular sources where a scalar
            // belongs (`range(...)` is also a scalar function, so it is left to the planner).
            TokenKind::Word(word) if word != "range" && listed(TABULAR_SOURCES, word) => {
                let message = format!("unsupported operator `{word}`");
                return Err(Self::error(token.span, message));
            }
            TokenKind::Word(word) => {
                if self.nth(1).kind != TokenKind::Punct(Punct::LParen) {
                    self.bump();
                    return Ok(Node::leaf(ExprKind::Name(word.clone()), token.span));
                }
                return match word.as_str() {
                    "dynamic" => self.dynamic(),
                    "long" | "int" | "real" | "double" | "bool" => self.typed_scalar(word),
                    _ => self.call(),
                };
            }
            _ => return Err(self.expected("an expression")),
        };
        self.bump();
        Ok(Node::leaf(ExprKind::Literal(literal), token.span))
    }

    /// One string literal, or several written next to each other (`"a" "b"` is `"ab"` in Kusto).
    fn string(&mut self) -> Node {
        let start = self.peek().span;
        let mut value = String::new();
        while matches!(self.peek().kind, TokenKind::Str(_)) {
            if let TokenKind::Str(part) = self.bump().kind {
                // The first part is taken as it is; only adjacent literals are copied.
                if value.is_empty() {
                    value = part;
                } else {
                    value.push_str(&part);
                }
            }
        }
        Node::leaf(ExprKind::Literal(Literal::String(value)), self.span_since(start))
    }

    fn parenthesized(&mut self) -> Result<Node, ParseError> {
        let open = self.bump();
        let mut inner = self.node()?;
        self.close_paren(open.span, "`)`")?;
        inner.expr.span = self.span_since(open.span);
        Ok(inner)
    }

    fn call(&mut self) -> Result<Node, ParseError> {
        let name = self.name("a function name")?;
        let open = self.bump();
        let mut args = Vec::new();
        if !self.at_punct(Punct::RParen) {
            args.push(self.node()?);
            while self.eat_punct(Punct::Comma) {
                args.push(self.node()?);
            }
        }
        self.close_paren(open.span, "`,` or `)`")?;
        let span = self.span_since(name.span);
        let depth = deeper(args.iter().map(|a| a.depth).max().unwrap_or(0), span)?;
        let args = args.into_iter().map(|a| a.expr).collect();
        Ok(Node {
            expr: Expr {
                kind: ExprKind::Call { name, args },
                span,
            },
            depth,
        })
    }

    /// `long(5)`, `int(-1)`, `real(1.5)`, `bool(true)`, `long(null)`: literals, not calls.
    fn typed_scalar(&mut self, type_name: &str) -> Result<Node, ParseError> {
        let keyword = self.bump();
        let open = self.bump();
        let value_span = self.peek().span;
        let found = self.describe(self.peek());
        let literal = match &self.peek().kind {
            TokenKind::Word(w) if w == "null" => {
                self.bump();
                Some(Literal::Null)
            }
            TokenKind::Word(w) if type_name == "bool" && (w == "true" || w == "false") => {
                let value = w == "true";
                self.bump();
                Some(Literal::Bool(value))
            }
            TokenKind::Int(_) | TokenKind::Real(_) | TokenKind::Punct(Punct::Minus | Punct::Plus)
                if type_name != "bool" =>
            {
                match (self.unary()?.expr.kind, type_name) {
                    (ExprKind::Literal(Literal::Long(n)), "real" | "double") => Some(Literal::Real(n as f64)),
                    (ExprKind::Literal(Literal::Real(x)), "real" | "double") => Some(Literal::Real(x)),
                    (ExprKind::Literal(Literal::Long(n)), "long" | "int") => Some(Literal::Long(n)),
                    _ => None,
                }
            }
            _ => None,
        };
        let Some(literal) = literal else {
            let what = match type_name {
                "bool" => "`true`, `false` or `null`",
                "long" | "int" => "an integer or `null`",
                _ => "a number or `null`",
            };
            let message = format!("expected {what} inside `{type_name}(...)`, found {found}");
            return Err(Self::error(value_span, message));
        };
        self.close_paren(open.span, "`)`")?;
        let span = self.span_since(keyword.span);
        Ok(Node::leaf(ExprKind::Literal(literal), span))
    }

    /// `dynamic(...)`: an array becomes a `List`, a scalar that literal, `null` a Null.
    fn dynamic(&mut self) -> Result<Node, ParseError> {
        let keyword = self.bump();
        let open = self.bump();
        let mut value = self.dynamic_value()?;
        self.close_paren(open.span, "`)`")?;
        value.expr.span = self.span_since(keyword.span);
        Ok(value)
    }

    fn dynamic_value(&mut self) -> Result<Node, ParseError> {
        if matches!(self.peek().kind, TokenKind::Str(_)) {
            return Ok(self.string());
        }
        let token = self.peek().clone();
        match &token.kind {
            TokenKind::Punct(Punct::LBracket) => self.dynamic_array(),
            TokenKind::Punct(Punct::LBrace) => Err(Self::error(
                token.span,
                "unsupported property bag `{...}` in `dynamic(...)`",
            )),
            TokenKind::Word(w) if w == "null" => {
                self.bump();
                Ok(Node::leaf(ExprKind::Literal(Literal::Null), token.span))
            }
            TokenKind::Word(w) if w == "true" || w == "false" => self.primary(),
            TokenKind::Str(_)
            | TokenKind::Int(_)
            | TokenKind::Real(_)
            | TokenKind::TimeSpan(_)
            | TokenKind::Typed(_)
            | TokenKind::Punct(Punct::Minus | Punct::Plus) => self.unary(),
            _ => Err(self.expected("a value (string, number, bool, null or `[...]`)")),
        }
    }

    fn dynamic_array(&mut self) -> Result<Node, ParseError> {
        self.nested(|p| {
            let open = p.bump();
            let mut elements = Vec::with_capacity(p.items_ahead());
            if !p.at_punct(Punct::RBracket) {
                elements.push(p.dynamic_value()?);
                while p.eat_punct(Punct::Comma) {
                    elements.push(p.dynamic_value()?);
                }
            }
            let close = format!("`,` or `]` to close `[` opened at {}", open.span);
            p.expect_punct(Punct::RBracket, &close)?;
            p.list_node(elements, p.span_since(open.span))
        })
    }
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
