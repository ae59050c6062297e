//! The KQL parser: tokens → [`Query`]. Recursive descent for statements and tabular operators,
//! precedence climbing for expressions. It accepts exactly the subset in [`super::ast`]; every
//! other operator, statement or syntax is a [`ParseError`] that names it at its line:column.

mod expressions;
mod operators;
mod tabular;

use super::lexer::{self, Punct, Token, TokenKind};
use super::*;

/// How deep parentheses, calls and `dynamic` arrays may nest; each level costs parser stack.
const MAX_NESTING: u32 = 64;
/// How deep an expression tree may grow (`a or b or ...` grows it by one per operator); later
/// stages walk and drop the tree recursively, so an absurd depth must not reach them.
const MAX_TREE_DEPTH: u32 = 1000;

/// Query-level statements other than `let`.
const STATEMENTS: &str = "set declare alias pattern restrict";
/// Kusto binary operators loghunt does not run, besides `!`-words and `_` variants.
const UNSUPPORTED_OPERATORS: &str = "like notlike likecs notlikecs matches notin";

/// The operators loghunt runs, for the case hint of an unknown one.
const OPERATORS: &str = "where filter project extend project-away project-keep project-rename \
    project-reorder summarize order sort take limit top distinct count join lookup union mv-expand \
    mvexpand parse parse-where serialize render invoke evaluate as";

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
        BinaryOp::Arithmetic(Arithmetic::Add | Arithmetic::Subtract) => 4,
        BinaryOp::Arithmetic(_) => 5,
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
            // `notcontains`, `containscs`, ...: Kusto's older spellings of `!contains`, `contains_cs`.
            let (word, old_negated) = match word.strip_prefix("not") {
                Some(rest) if rest != "e" && !rest.is_empty() => (rest, true),
                _ => (word, false),
            };
            let owned;
            let word = match word.strip_suffix("cs").filter(|w| !w.ends_with('_') && *w != "ha") {
                Some(base)
                    if matches!(
                        base,
                        "contains" | "startswith" | "endswith" | "has" | "hasprefix" | "hassuffix"
                    ) =>
                {
                    owned = format!("{base}_cs");
                    owned.as_str()
                }
                _ => word,
            };
            let (negated, rest) = match word.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (old_negated, word),
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
                "hasprefix" => StringTest::HasPrefix,
                "hassuffix" => StringTest::HasSuffix,
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
        Punct::Plus => return Some(BinaryOp::Arithmetic(Arithmetic::Add)),
        Punct::Minus => return Some(BinaryOp::Arithmetic(Arithmetic::Subtract)),
        Punct::Star => return Some(BinaryOp::Arithmetic(Arithmetic::Multiply)),
        Punct::Slash => return Some(BinaryOp::Arithmetic(Arithmetic::Divide)),
        Punct::Percent => return Some(BinaryOp::Arithmetic(Arithmetic::Modulo)),
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
    /// Whether a list the lexer read whole stays packed ([`ExprKind::Strings`]) or becomes
    /// string literals ([`ExprKind::List`]).
    pub(super) packed: bool,
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
            packed: false,
        }
    }

    /// `let` statements, a tabular expression, an optional `;`, and nothing after.
    pub(crate) fn parse_query(mut self) -> Result<Query, ParseError> {
        let mut lets = Vec::new();
        loop {
            if self.at_word("let") {
                lets.push(self.let_statement()?);
            } else if self.at_punct(Punct::Semi) {
                self.bump();
            } else {
                break;
            }
        }
        if self.peek().kind == TokenKind::Eof {
            return Err(self.expected("a tabular expression after the `let` statements"));
        }
        let body = self.tabular()?;
        let mut more = Vec::new();
        loop {
            let mut after_semicolon = false;
            while self.eat_punct(Punct::Semi) {
                after_semicolon = true;
            }
            if self.peek().kind == TokenKind::Eof {
                break;
            }
            if !(after_semicolon || self.blank_line_before_next()) {
                return Err(self.expected("`|` or end of query"));
            }
            let mut lets = Vec::new();
            loop {
                if self.at_word("let") {
                    lets.push(self.let_statement()?);
                } else if !self.eat_punct(Punct::Semi) {
                    break;
                }
            }
            if self.peek().kind == TokenKind::Eof {
                return Err(self.expected("a tabular expression after the `let` statements"));
            }
            more.push((lets, self.tabular()?));
        }
        Ok(Query { lets, body, more })
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

    /// Whether an empty line (comments aside) separates the last token from the next one: the
    /// way Kusto's editors tell one query of a file from the next.
    fn blank_line_before_next(&self) -> bool {
        let gap = self.src.get(self.prev_end..self.peek().span.start).unwrap_or("");
        let mut lines = gap.split('\n');
        lines.next();
        let mut lines: Vec<&str> = lines.collect();
        lines.pop();
        lines.iter().any(|line| line.trim().is_empty())
    }

    fn at_word_followed_by(&self, word: &str, punct: Punct) -> bool {
        self.at_word(word) && self.nth(1).kind == TokenKind::Punct(punct)
    }

    // ---- statements ----

    fn let_statement(&mut self) -> Result<Let, ParseError> {
        self.bump();
        let name = self.name("a name after `let`")?;
        self.expect_punct(Punct::Assign, &format!("`=` after `let {}`", name.name))?;
        let function = self.at_punct(Punct::LParen)
            && (self.nth(1).kind == TokenKind::Punct(Punct::RParen)
                || self.nth(2).kind == TokenKind::Punct(Punct::Colon));
        let value = if function || self.at_word_followed_by("view", Punct::LParen) {
            LetValue::Function(self.function()?)
        } else if self.tabular_ahead() {
            LetValue::Tabular(self.tabular()?)
        } else {
            LetValue::Expr(self.expr()?)
        };
        if self.at_punct(Punct::Pipe) {
            return Err(self.expected("`;` after the `let` statement"));
        }
        self.expect_punct(Punct::Semi, "`;` after the `let` statement")?;
        Ok(Let { name, value })
    }

    /// `[view] (params) { [let ...;] body }`
    fn function(&mut self) -> Result<Function, ParseError> {
        let start = self.peek().span;
        self.eat_word("view");
        let open = self.expect_punct(Punct::LParen, "`(` to open the parameters")?;
        let mut params = Vec::new();
        while !self.at_punct(Punct::RParen) {
            let name = self.name("a parameter name")?;
            self.expect_punct(Punct::Colon, "`:` and a type after the parameter name")?;
            let ty = if self.at_punct(Punct::LParen) {
                // A tabular parameter: `(*)` or `(Col: type, ...)`; its columns are not checked.
                let open = self.bump();
                self.skip_balanced(open.span)?;
                Ident {
                    name: "table".to_string(),
                    span: open.span,
                }
            } else {
                self.name("a parameter type")?
            };
            let default = if self.eat_punct(Punct::Assign) {
                Some(self.expr()?)
            } else {
                None
            };
            params.push(Param { name, ty, default });
            if !self.eat_punct(Punct::Comma) {
                break;
            }
        }
        self.close_paren(open.span, "`,` or `)`")?;
        let brace = self.expect_punct(Punct::LBrace, "`{` to open the function body")?;
        let mut lets = Vec::new();
        loop {
            if self.at_word("let") {
                lets.push(self.let_statement()?);
            } else if !self.eat_punct(Punct::Semi) {
                break;
            }
        }
        let body = if self.tabular_ahead() {
            FunctionBody::Tabular(self.tabular()?)
        } else {
            FunctionBody::Scalar(self.expr()?)
        };
        while self.eat_punct(Punct::Semi) {}
        let close = format!("`}}` to close `{{` opened at {}", brace.span);
        self.expect_punct(Punct::RBrace, &close)?;
        Ok(Function {
            params,
            lets,
            body,
            span: self.span_since(start),
        })
    }

    /// Skips tokens up to the `)` that closes the parenthesis opened at `open` (consumed).
    fn skip_balanced(&mut self, open: Span) -> Result<(), ParseError> {
        let mut depth = 1u32;
        loop {
            match self.peek().kind {
                TokenKind::Punct(Punct::LParen) => depth += 1,
                TokenKind::Punct(Punct::RParen) => {
                    depth -= 1;
                    if depth == 0 {
                        self.bump();
                        return Ok(());
                    }
                }
                TokenKind::Eof => return Err(self.expected(&format!("`)` to close `(` opened at {open}"))),
                _ => {}
            }
            self.bump();
        }
    }

    /// Whether the expression at the cursor is tabular: a tabular source keyword, or a `|` at
    /// this level (or just inside a leading parenthesis) before the statement or list ends.
    fn tabular_ahead(&self) -> bool {
        match &self.peek().kind {
            TokenKind::Word(w) => {
                let next = &self.nth(1).kind;
                let source = match w.as_str() {
                    "datatable" | "externaldata" | "external_data" | "union" | "print" => true,
                    "range" => !matches!(next, TokenKind::Punct(Punct::LParen)),
                    "materialize" | "_GetWatchlist" => matches!(next, TokenKind::Punct(Punct::LParen)),
                    _ => false,
                };
                if source {
                    return true;
                }
            }
            TokenKind::Punct(Punct::LParen) => {}
            _ => return false,
        }
        // A source name (or a call, `f(x)`) directly followed by `|`, at the cursor or just
        // inside a leading `(`.
        let starts_pipeline = |at: usize| {
            let next = match (&self.nth(at).kind, &self.nth(at + 1).kind) {
                (TokenKind::Word(w), _) if matches!(w.as_str(), "union" | "datatable" | "externaldata" | "print") => {
                    return true
                }
                (TokenKind::Word(_), TokenKind::Punct(Punct::LParen)) => self.after_parens(at + 1),
                (TokenKind::Word(_), _) => at + 1,
                _ => return false,
            };
            self.nth(next).kind == TokenKind::Punct(Punct::Pipe)
        };
        if self.at_punct(Punct::LParen) {
            return starts_pipeline(1) || (self.nth(1).kind == TokenKind::Punct(Punct::LParen) && starts_pipeline(2));
        }
        starts_pipeline(0)
    }

    /// The offset (from the cursor) of the token after the parenthesis that opens at `open`.
    fn after_parens(&self, open: usize) -> usize {
        let mut depth = 0usize;
        let mut at = open;
        loop {
            match self.nth(at).kind {
                TokenKind::Punct(Punct::LParen) => depth += 1,
                TokenKind::Punct(Punct::RParen) => {
                    depth -= 1;
                    if depth == 0 {
                        return at + 1;
                    }
                }
                TokenKind::Eof => return at,
                _ => {}
            }
            at += 1;
        }
    }
}

/// The JSON value of a constant `dynamic(...)` element.
pub(crate) fn json_of(expr: &Expr) -> Option<serde_json::Value> {
    use serde_json::Value as Json;
    Some(match &expr.kind {
        ExprKind::Literal(literal) => literal.value().to_json(),
        ExprKind::List(items) => Json::Array(items.iter().map(json_of).collect::<Option<_>>()?),
        ExprKind::Strings(list) => list.to_json(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
