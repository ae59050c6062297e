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

    // ---- tabular expressions ----

    /// A source and its `| operator`s, up to a token that cannot continue it (`)`, `;`, `,`...).
    fn tabular(&mut self) -> Result<Tabular, ParseError> {
        self.nested(|p| {
            let start = p.peek().span;
            let source = p.source()?;
            let mut operators = Vec::new();
            while p.eat_punct(Punct::Pipe) {
                operators.push(p.operator()?);
            }
            Ok(Tabular {
                source,
                operators,
                span: p.span_since(start),
            })
        })
    }

    fn source(&mut self) -> Result<Source, ParseError> {
        let token = self.peek().clone();
        if self.at_punct(Punct::LParen) {
            let open = self.bump();
            let inner = self.tabular()?;
            self.close_paren(open.span, "`|` or `)`")?;
            return Ok(Source::Subquery(Box::new(inner)));
        }
        let TokenKind::Word(word) = &token.kind else {
            if self.name_length().is_some() {
                return Ok(Source::Name(self.table_name()?));
            }
            return Err(self.expected("a table name or a tabular expression"));
        };
        match word.as_str() {
            "union" => {
                self.bump();
                Ok(Source::Union(self.union(token.span)?))
            }
            "datatable" => {
                self.bump();
                let columns = self.column_declarations("datatable")?;
                let open = self.expect_punct(Punct::LBracket, "`[` and the values after the columns")?;
                let mut values = Vec::new();
                while !self.at_punct(Punct::RBracket) {
                    values.push(self.expr()?);
                    if !self.eat_punct(Punct::Comma) {
                        break;
                    }
                }
                let close = format!("`,` or `]` to close `[` opened at {}", open.span);
                self.expect_punct(Punct::RBracket, &close)?;
                Ok(Source::Datatable { columns, values })
            }
            "externaldata" | "external_data" => {
                self.bump();
                let columns = self.column_declarations("externaldata")?;
                let open = self.expect_punct(Punct::LBracket, "`[` and the data's URLs")?;
                let mut urls = Vec::new();
                while let TokenKind::Str(_) = self.peek().kind {
                    let node = self.string();
                    if let ExprKind::Literal(Literal::String(url)) = node.expr.kind {
                        urls.push((url, node.expr.span));
                    }
                    if !self.eat_punct(Punct::Comma) {
                        break;
                    }
                }
                let close = format!("a URL string or `]` to close `[` opened at {}", open.span);
                self.expect_punct(Punct::RBracket, &close)?;
                let mut properties = Vec::new();
                if self.eat_word("with") {
                    let open = self.expect_punct(Punct::LParen, "`(` after `with`")?;
                    while !self.at_punct(Punct::RParen) {
                        let name = self.name("a property name")?;
                        self.expect_punct(Punct::Assign, "`=` after the property name")?;
                        properties.push((name, self.expr()?));
                        if !self.eat_punct(Punct::Comma) {
                            break;
                        }
                    }
                    self.close_paren(open.span, "`,` or `)`")?;
                }
                Ok(Source::ExternalData {
                    columns,
                    urls,
                    properties,
                })
            }
            "print" => {
                self.bump();
                Ok(Source::Print(self.column_list()?))
            }
            "range" if !matches!(self.nth(1).kind, TokenKind::Punct(Punct::LParen)) => {
                self.bump();
                let name = self.name("a column name after `range`")?;
                self.expect_word("from", "`from` after the range's column")?;
                let from = self.expr()?;
                self.expect_word("to", "`to` in `range`")?;
                let to = self.expr()?;
                self.expect_word("step", "`step` in `range`")?;
                let step = self.expr()?;
                Ok(Source::Range { name, from, to, step })
            }
            "find" | "search" | "evaluate" | "view" | "database" | "cluster" | "workspace" | "app" => {
                Err(Self::error(token.span, format!("unsupported operator `{word}`")))
            }
            _ if listed(STATEMENTS, word) && !matches!(self.nth(1).kind, TokenKind::Punct(Punct::Pipe)) => {
                Err(Self::error(token.span, format!("unsupported statement `{word}`")))
            }
            _ if self.nth(1).kind == TokenKind::Punct(Punct::LParen) => {
                let name = self.name("a function name")?;
                let args = self.arguments()?;
                Ok(Source::Call { name, args })
            }
            _ => Ok(Source::Name(self.table_name()?)),
        }
    }

    /// A table name, possibly with `*` wildcards written against it (`Device*`).
    fn table_name(&mut self) -> Result<Ident, ParseError> {
        let start = self.peek().span;
        let mut name = String::new();
        loop {
            if self.at_punct(Punct::Star) && (name.is_empty() || self.peek().span.start == self.prev_end) {
                self.bump();
                name.push('*');
            } else if self.name_length().is_some() && (name.is_empty() || self.peek().span.start == self.prev_end) {
                name.push_str(&self.name("a table name")?.name);
            } else {
                break;
            }
        }
        if name.is_empty() {
            return Err(self.expected("a table name"));
        }
        Ok(Ident {
            name,
            span: self.span_since(start),
        })
    }

    fn expect_word(&mut self, word: &str, what: &str) -> Result<(), ParseError> {
        if self.eat_word(word) {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    /// `(Name: type, ...)` of `datatable` and `externaldata`.
    fn column_declarations(&mut self, what: &str) -> Result<Vec<ColumnDecl>, ParseError> {
        let open = self.expect_punct(Punct::LParen, &format!("`(` and the columns after `{what}`"))?;
        let mut columns = Vec::new();
        while !self.at_punct(Punct::RParen) {
            let name = self.name("a column name")?;
            self.expect_punct(Punct::Colon, "`:` and a type after the column name")?;
            let ty = self.name("a column type")?;
            columns.push(ColumnDecl { name, ty });
            if !self.eat_punct(Punct::Comma) {
                break;
            }
        }
        self.close_paren(open.span, "`,` or `)`")?;
        Ok(columns)
    }

    /// `union` options and legs (as a source, or as an operator whose input is the first leg).
    fn union(&mut self, start: Span) -> Result<Union, ParseError> {
        let mut kind = None;
        let mut with_source = None;
        let mut is_fuzzy = false;
        for (option, value) in self.options(&["kind", "withsource", "isfuzzy"], Some("union"))? {
            match option.as_str() {
                "kind" => kind = Some(value),
                "withsource" => with_source = Some(value),
                _ => is_fuzzy = value.name.eq_ignore_ascii_case("true"),
            }
        }
        let mut legs = Vec::new();
        loop {
            let leg_start = self.peek().span;
            let source = if self.at_punct(Punct::LParen) {
                let open = self.bump();
                let inner = self.tabular()?;
                self.close_paren(open.span, "`|` or `)`")?;
                Source::Subquery(Box::new(inner))
            } else {
                Source::Name(self.table_name()?)
            };
            legs.push(Tabular {
                source,
                operators: Vec::new(),
                span: self.span_since(leg_start),
            });
            if !self.eat_punct(Punct::Comma) {
                break;
            }
        }
        Ok(Union {
            kind,
            with_source,
            is_fuzzy,
            legs,
            span: self.span_since(start),
        })
    }

    /// `(arg, ...)`, where an argument may be a tabular expression (`materialize(T | ...)`).
    fn arguments(&mut self) -> Result<Vec<Expr>, ParseError> {
        let open = self.expect_punct(Punct::LParen, "`(`")?;
        let mut args = Vec::new();
        if !self.at_punct(Punct::RParen) {
            args.push(self.argument()?.expr);
            while self.eat_punct(Punct::Comma) {
                args.push(self.argument()?.expr);
            }
        }
        self.close_paren(open.span, "`,` or `)`")?;
        Ok(args)
    }

    /// One argument of a call or element of a list: `*`, a tabular expression or a scalar.
    fn argument(&mut self) -> Result<Node, ParseError> {
        if self.at_punct(Punct::Star) && matches!(self.nth(1).kind, TokenKind::Punct(Punct::Comma | Punct::RParen)) {
            let star = self.bump();
            return Ok(Node::leaf(ExprKind::Star, star.span));
        }
        if self.tabular_ahead() {
            let tabular = self.tabular()?;
            let span = tabular.span;
            return Ok(Node::leaf(ExprKind::Tabular(Box::new(tabular)), span));
        }
        self.node()
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
        let operator = match name.as_str() {
            "where" | "filter" => Operator::Where {
                predicate: self.expr()?,
                span: self.span_since(start),
            },
            "project" => Operator::Project {
                columns: self.column_list()?,
                span: self.span_since(start),
            },
            "extend" => Operator::Extend {
                columns: self.column_list()?,
                span: self.span_since(start),
            },
            "project-away" | "project-keep" => {
                let columns = self.name_patterns()?;
                if name == "project-away" {
                    Operator::ProjectAway {
                        columns,
                        span: self.span_since(start),
                    }
                } else {
                    Operator::ProjectKeep {
                        columns,
                        span: self.span_since(start),
                    }
                }
            }
            "project-rename" => {
                let mut renames = Vec::new();
                loop {
                    let new = self.name("a new column name")?;
                    self.expect_punct(Punct::Assign, "`=` after the new name")?;
                    let old = self.name("the column to rename")?;
                    renames.push((new, old));
                    if !self.eat_punct(Punct::Comma) {
                        break;
                    }
                }
                Operator::ProjectRename {
                    renames,
                    span: self.span_since(start),
                }
            }
            "project-reorder" => {
                let mut columns = Vec::new();
                loop {
                    let pattern = self.table_name()?;
                    let direction = if self.eat_word("asc") || self.eat_word("granny-asc") {
                        Some(Direction::Asc)
                    } else if self.eat_word("desc") || self.eat_word("granny-desc") {
                        Some(Direction::Desc)
                    } else {
                        None
                    };
                    columns.push((pattern, direction));
                    if !self.eat_punct(Punct::Comma) {
                        break;
                    }
                }
                Operator::ProjectReorder {
                    columns,
                    span: self.span_since(start),
                }
            }
            "summarize" => {
                self.options(&[], None)?;
                let aggregates = if self.at_word("by") {
                    Vec::new()
                } else {
                    self.column_list()?
                };
                let by = if self.eat_word("by") {
                    self.column_list()?
                } else {
                    Vec::new()
                };
                Operator::Summarize {
                    aggregates,
                    by,
                    span: self.span_since(start),
                }
            }
            "order" | "sort" => {
                if !self.eat_word("by") {
                    return Err(self.expected(&format!("`by` after `{name}`")));
                }
                Operator::OrderBy {
                    keys: self.order_keys()?,
                    span: self.span_since(start),
                }
            }
            "take" | "limit" => Operator::Take {
                count: self.expr()?,
                span: self.span_since(start),
            },
            "top" => {
                let count = self.expr()?;
                if !self.eat_word("by") {
                    return Err(self.expected("`by` after the row count of `top`"));
                }
                Operator::Top {
                    count,
                    keys: self.order_keys()?,
                    span: self.span_since(start),
                }
            }
            "distinct" => {
                let columns = if self.eat_punct(Punct::Star) {
                    Vec::new()
                } else {
                    self.column_list()?
                };
                Operator::Distinct {
                    columns,
                    span: self.span_since(start),
                }
            }
            "count" => Operator::Count {
                span: self.span_since(start),
            },
            "join" | "lookup" => {
                let kind = self
                    .options(&["kind", "withsource"], Some(&name))?
                    .into_iter()
                    .find(|(option, _)| option == "kind")
                    .map(|(_, value)| value);
                let right = if self.at_punct(Punct::LParen) {
                    let open = self.bump();
                    let inner = self.tabular()?;
                    self.close_paren(open.span, "`|` or `)`")?;
                    inner
                } else {
                    let right_start = self.peek().span;
                    let source = self.source()?;
                    Tabular {
                        source,
                        operators: Vec::new(),
                        span: self.span_since(right_start),
                    }
                };
                if !self.eat_word("on") {
                    return Err(self.expected(&format!("`on` and the keys of `{name}`")));
                }
                let on = self.join_keys()?;
                let right = Box::new(right);
                if name == "join" {
                    Operator::Join {
                        kind,
                        right,
                        on,
                        span: self.span_since(start),
                    }
                } else {
                    Operator::Lookup {
                        kind,
                        right,
                        on,
                        span: self.span_since(start),
                    }
                }
            }
            "union" => Operator::Union {
                union: self.union(start)?,
                span: self.span_since(start),
            },
            "mv-expand" | "mvexpand" => {
                let mut array_bags = false;
                let mut item_index = None;
                for (option, value) in self.options(&["bagexpansion", "kind", "with_itemindex"], None)? {
                    match option.as_str() {
                        "with_itemindex" => item_index = Some(value),
                        _ => array_bags = value.name == "array",
                    }
                }
                let mut columns = Vec::new();
                loop {
                    let column = self.column()?;
                    let to_type = if self.eat_word("to") {
                        if !self.eat_word("typeof") {
                            return Err(self.expected("`typeof(type)` after `to`"));
                        }
                        let open = self.expect_punct(Punct::LParen, "`(` after `typeof`")?;
                        let ty = self.name("a type")?;
                        self.close_paren(open.span, "`)`")?;
                        Some(ty)
                    } else {
                        None
                    };
                    columns.push(MvExpandColumn {
                        name: column.name,
                        expr: column.expr,
                        to_type,
                    });
                    if !self.eat_punct(Punct::Comma) {
                        break;
                    }
                }
                let limit = if self.eat_word("limit") {
                    Some(self.expr()?)
                } else {
                    None
                };
                Operator::MvExpand {
                    columns,
                    limit,
                    array_bags,
                    item_index,
                    span: self.span_since(start),
                }
            }
            "parse" | "parse-where" => self.parse_operator(start, name == "parse-where")?,
            "serialize" => {
                let columns = if self.name_length().is_some() {
                    self.column_list()?
                } else {
                    Vec::new()
                };
                Operator::Serialize {
                    columns,
                    span: self.span_since(start),
                }
            }
            "render" => {
                // `render visualization [with (property = value, ...)]`
                self.name("a visualization after `render`")?;
                if self.eat_word("with") {
                    let open = self.expect_punct(Punct::LParen, "`(` after `with`")?;
                    self.skip_balanced(open.span)?;
                }
                Operator::Render {
                    span: self.span_since(start),
                }
            }
            "invoke" | "evaluate" => {
                self.options(&[], None)?;
                let function = self.name("a function name")?;
                let args = self.arguments()?;
                if name == "invoke" {
                    Operator::Invoke {
                        name: function,
                        args,
                        span: self.span_since(start),
                    }
                } else {
                    Operator::Evaluate {
                        name: function,
                        args,
                        span: self.span_since(start),
                    }
                }
            }
            "as" => Operator::As {
                name: self.name("a name after `as`")?,
                span: self.span_since(start),
            },
            _ => {
                let lower = name.to_lowercase();
                let hint = if listed(OPERATORS, &lower) {
                    format!(" (operator names are case-sensitive: did you mean `{lower}`?)")
                } else {
                    String::new()
                };
                return Err(Self::error(name_span, format!("unsupported operator `{name}`{hint}")));
            }
        };
        Ok(operator)
    }

    /// `name = value` options before an operator's body (`kind=inner`, `isfuzzy=true`): those
    /// named in `known`, and `hint.*` ones (they change how Kusto distributes work, not
    /// results: left out). Another `word =` is an unsupported option when `operator` is given,
    /// else the end of the options (it may be the body's `Name = expr`).
    fn options(&mut self, known: &[&str], operator: Option<&str>) -> Result<Vec<(String, Ident)>, ParseError> {
        let mut options = Vec::new();
        loop {
            let option = match &self.peek().kind {
                TokenKind::Word(w) if self.nth(1).kind == TokenKind::Punct(Punct::Assign) => w.clone(),
                _ => break,
            };
            let hint = option.starts_with("hint.");
            if !hint && !known.contains(&option.as_str()) {
                match operator {
                    Some(operator) => {
                        let message = format!("unsupported `{operator}` option `{option}`");
                        return Err(Self::error(self.peek().span, message));
                    }
                    None => break,
                }
            }
            self.bump();
            self.bump();
            let token = self.bump();
            let text = match &token.kind {
                TokenKind::Word(w) | TokenKind::Str(w) => w.clone(),
                TokenKind::Int(n) => n.to_string(),
                _ => return Err(Self::error(token.span, format!("expected a value for `{option}`"))),
            };
            if !hint {
                options.push((
                    option,
                    Ident {
                        name: text,
                        span: token.span,
                    },
                ));
            }
        }
        Ok(options)
    }

    fn order_keys(&mut self) -> Result<Vec<OrderKey>, ParseError> {
        let mut keys = vec![self.order_key()?];
        while self.eat_punct(Punct::Comma) {
            keys.push(self.order_key()?);
        }
        Ok(keys)
    }

    /// `a, b*, ['c d']` of `project-away` and `project-keep`.
    fn name_patterns(&mut self) -> Result<Vec<Ident>, ParseError> {
        let mut names = vec![self.table_name()?];
        while self.eat_punct(Punct::Comma) {
            names.push(self.table_name()?);
        }
        Ok(names)
    }

    /// `Col`, `$left.A == $right.B`, separated by `,` or `and`.
    fn join_keys(&mut self) -> Result<Vec<JoinKey>, ParseError> {
        let mut keys = Vec::new();
        loop {
            let first = self.join_side()?;
            let key = if self.eat_punct(Punct::EqEq) {
                let second = self.join_side()?;
                match (first, second) {
                    ((Some(true), left), (Some(false), right)) | ((Some(false), right), (Some(true), left)) => {
                        JoinKey { left, right }
                    }
                    ((_, ident), _) => {
                        return Err(Self::error(
                            ident.span,
                            "a join key compares `$left.Column` with `$right.Column`",
                        ))
                    }
                }
            } else {
                match first {
                    (None, name) => JoinKey {
                        left: name.clone(),
                        right: name,
                    },
                    (Some(_), ident) => return Err(self.expected(&format!("`==` after `{}`", ident.name))),
                }
            };
            keys.push(key);
            if !(self.eat_punct(Punct::Comma) || self.eat_word("and")) {
                break;
            }
        }
        Ok(keys)
    }

    /// `Col` (`None`), `$left.Col` (`Some(true)`) or `$right.Col` (`Some(false)`).
    fn join_side(&mut self) -> Result<(Option<bool>, Ident), ParseError> {
        let side = if self.at_word("$left") {
            Some(true)
        } else if self.at_word("$right") {
            Some(false)
        } else {
            None
        };
        if side.is_some() {
            self.bump();
            self.expect_punct(Punct::Dot, "`.` and a column after `$left` / `$right`")?;
        }
        Ok((side, self.name("a join key column")?))
    }

    /// `parse [kind=...] [flags=...] expr with pattern`.
    fn parse_operator(&mut self, start: Span, keep_only_matches: bool) -> Result<Operator, ParseError> {
        let mut kind = ParseKind::Simple;
        let mut flags = None;
        for (option, value) in self.options(&["kind", "flags"], Some("parse"))? {
            match option.as_str() {
                "kind" => {
                    kind = match value.name.as_str() {
                        "simple" => ParseKind::Simple,
                        "regex" => ParseKind::Regex,
                        "relaxed" => ParseKind::Relaxed,
                        other => return Err(Self::error(value.span, format!("unsupported `parse` kind `{other}`"))),
                    };
                }
                _ => flags = Some(value.name),
            }
        }
        let source = self.expr()?;
        if !self.eat_word("with") {
            return Err(self.expected("`with` and a pattern after the parsed expression"));
        }
        let mut pattern = Vec::new();
        loop {
            match &self.peek().kind {
                TokenKind::Str(_) => {
                    if let ExprKind::Literal(Literal::String(text)) = self.string().expr.kind {
                        pattern.push(ParsePart::Literal(text));
                    }
                }
                TokenKind::Punct(Punct::Star) => {
                    self.bump();
                    pattern.push(ParsePart::Skip);
                }
                _ if self.name_length().is_some() => {
                    let name = self.name("a column name")?;
                    let ty = if self.eat_punct(Punct::Colon) {
                        Some(self.name("a column type")?)
                    } else {
                        None
                    };
                    pattern.push(ParsePart::Column { name, ty });
                }
                _ => break,
            }
        }
        if pattern.is_empty() {
            return Err(self.expected("a `parse` pattern"));
        }
        Ok(Operator::Parse {
            kind,
            flags,
            source,
            pattern,
            keep_unmatched: !keep_only_matches,
            span: self.span_since(start),
        })
    }

    /// `column, column, ...` of `project`, `extend`, `summarize`, `print`...
    fn column_list(&mut self) -> Result<Vec<ProjectColumn>, ParseError> {
        let mut columns = vec![self.column()?];
        while self.eat_punct(Punct::Comma) {
            columns.push(self.column()?);
        }
        Ok(columns)
    }

    /// `expr`, `Name = expr`, or `(A, B) = expr` (naming each column an aggregate returns).
    fn column(&mut self) -> Result<ProjectColumn, ParseError> {
        if self.at_punct(Punct::LParen) && self.nth(1).kind != TokenKind::Punct(Punct::RParen) {
            let close = self.after_parens(0);
            if self.nth(close).kind == TokenKind::Punct(Punct::Assign) {
                let open = self.bump();
                let mut names = vec![self.name("a column name")?];
                while self.eat_punct(Punct::Comma) {
                    names.push(self.name("a column name")?);
                }
                self.close_paren(open.span, "`,` or `)`")?;
                self.bump();
                let expr = self.expr()?;
                let first = names.remove(0);
                return Ok(ProjectColumn {
                    name: Some(first),
                    expr,
                    more_names: names,
                });
            }
        }
        if let Some(length) = self.name_length() {
            if self.nth(length).kind == TokenKind::Punct(Punct::Assign) {
                let name = self.name("a column name")?;
                self.bump();
                let expr = self.expr()?;
                return Ok(ProjectColumn {
                    name: Some(name),
                    expr,
                    more_names: Vec::new(),
                });
            }
        }
        let expr = self.expr()?;
        Ok(ProjectColumn {
            name: None,
            expr,
            more_names: Vec::new(),
        })
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
    fn peek_operator(&self) -> Result<Option<(BinaryOp, usize)>, ParseError> {
        let token = self.peek();
        match &token.kind {
            TokenKind::Word(word) => {
                if let Some(op) = word_operator(word) {
                    return Ok(Some((op, 1)));
                }
                if word == "matches" && matches!(&self.nth(1).kind, TokenKind::Word(w) if w == "regex") {
                    return Ok(Some((BinaryOp::MatchesRegex, 2)));
                }
                if is_unsupported_operator(word) {
                    return Err(Self::error(token.span, format!("unsupported operator `{word}`")));
                }
                Ok(None)
            }
            TokenKind::Punct(punct) => {
                if let Some(op) = punct_operator(*punct) {
                    return Ok(Some((op, 1)));
                }
                if *punct == Punct::Assign {
                    return Err(Self::error(token.span, "expected `==` to compare, found `=`"));
                }
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    fn binary(&mut self, min_precedence: u8) -> Result<Node, ParseError> {
        let mut left = self.unary()?;
        loop {
            if let Some(negated) = self.at_between() {
                if precedence(BinaryOp::HasAny) < min_precedence {
                    break;
                }
                left = self.between(left, negated)?;
                continue;
            }
            let Some((op, tokens)) = self.peek_operator()? else {
                break;
            };
            let precedence = precedence(op);
            if precedence < min_precedence {
                break;
            }
            let op_span = self.bump().span;
            for _ in 1..tokens {
                self.bump();
            }
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

    /// `Some(negated)` at `between` / `!between`.
    fn at_between(&self) -> Option<bool> {
        match &self.peek().kind {
            TokenKind::Word(w) if w == "between" => Some(false),
            TokenKind::Word(w) if w == "!between" || w == "notbetween" => Some(true),
            _ => None,
        }
    }

    /// `operand between (low .. high)`.
    fn between(&mut self, operand: Node, negated: bool) -> Result<Node, ParseError> {
        let op = self.bump();
        let open = self.expect_punct(Punct::LParen, "`(` after `between`")?;
        let low = self.node()?;
        self.expect_punct(Punct::DotDot, "`..` between the bounds")?;
        let high = self.node()?;
        self.close_paren(open.span, "`)`")?;
        let depth = deeper(operand.depth.max(low.depth).max(high.depth), op.span)?;
        let span = self.span_since(operand.expr.span);
        Ok(Node {
            expr: Expr {
                kind: ExprKind::Between {
                    operand: Box::new(operand.expr),
                    low: Box::new(low.expr),
                    high: Box::new(high.expr),
                    negated,
                },
                span,
            },
            depth,
        })
    }

    /// The right side of `in`/`has_any`/`has_all`: `(a, "b", dynamic([...]))` as a list; an
    /// element may be a tabular subquery (`in ((T | project c))`, `in (T | project c)`).
    fn list(&mut self, op: BinaryOp) -> Result<Node, ParseError> {
        let open = self.expect_punct(Punct::LParen, &format!("`(` after `{op}`"))?;
        let mut elements = Vec::new();
        if !self.at_punct(Punct::RParen) {
            elements.push(self.argument()?);
            while self.eat_punct(Punct::Comma) {
                elements.push(self.argument()?);
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

    /// A leading `-`/`+`: folded into a number or timespan literal, else a negation.
    fn unary(&mut self) -> Result<Node, ParseError> {
        let negative = self.at_punct(Punct::Minus);
        if !(negative || self.at_punct(Punct::Plus)) {
            return self.postfix();
        }
        let sign = self.bump();
        let literal = match self.peek().kind {
            TokenKind::Int(n) if negative => Some(0i64.checked_sub_unsigned(n).map(Literal::Long)),
            TokenKind::Int(n) => Some(i64::try_from(n).ok().map(Literal::Long)),
            TokenKind::Real(x) => Some(Some(Literal::Real(if negative { -x } else { x }))),
            TokenKind::TimeSpan(t) | TokenKind::Typed(Literal::TimeSpan(t)) => {
                Some(Some(Literal::TimeSpan(if negative { -t } else { t })))
            }
            _ => None,
        };
        let Some(literal) = literal else {
            let operand = self.nested(|p| p.unary())?;
            if !negative {
                return Ok(operand);
            }
            let depth = deeper(operand.depth, sign.span)?;
            let span = cover(sign.span, operand.expr.span);
            return Ok(Node {
                expr: Expr {
                    kind: ExprKind::Negate(Box::new(operand.expr)),
                    span,
                },
                depth,
            });
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

    /// A primary followed by member accesses: `x.Name`, `x["Name"]`, `x[0]`.
    fn postfix(&mut self) -> Result<Node, ParseError> {
        let mut node = self.primary()?;
        loop {
            // `d.['name with spaces']`: a dot before a bracket is only decoration.
            if self.at_punct(Punct::Dot) && self.nth(1).kind == TokenKind::Punct(Punct::LBracket) {
                self.bump();
            }
            let member = if self.at_punct(Punct::Dot) && self.nth(1).span.start == self.peek().span.end {
                let dot = self.bump();
                let name = match &self.peek().kind {
                    TokenKind::Word(w) => w.clone(),
                    TokenKind::Int(n) => n.to_string(),
                    _ => return Err(self.expected(&format!("a property name after `.` at {}", dot.span))),
                };
                let token = self.bump();
                Node::leaf(ExprKind::Literal(Literal::String(name)), token.span)
            } else if self.at_punct(Punct::LBracket) {
                let open = self.bump();
                let index = self.node()?;
                let close = format!("`]` to close `[` opened at {}", open.span);
                self.expect_punct(Punct::RBracket, &close)?;
                index
            } else {
                break;
            };
            let depth = deeper(node.depth.max(member.depth), member.expr.span)?;
            let span = self.span_since(node.expr.span);
            node = Node {
                expr: Expr {
                    kind: ExprKind::Member {
                        base: Box::new(node.expr),
                        member: Box::new(member.expr),
                    },
                    span,
                },
                depth,
            };
        }
        Ok(node)
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
                let text = self.src.get(token.span.start..token.span.end).unwrap_or("");
                let body = text
                    .split_once('(')
                    .map_or("", |(_, rest)| rest.trim_end_matches(')'))
                    .trim();
                Literal::String(body.to_string())
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
            // Kusto's bool literals ignore case: `true`, `True`, `TRUE`.
            TokenKind::Word(word) if word.eq_ignore_ascii_case("true") || word.eq_ignore_ascii_case("false") => {
                Literal::Bool(word.eq_ignore_ascii_case("true"))
            }
            TokenKind::Word(word) if word == "null" => Literal::Null,
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
        if self.tabular_ahead() {
            let open = self.bump();
            let tabular = self.tabular()?;
            self.close_paren(open.span, "`|` or `)`")?;
            let span = self.span_since(open.span);
            return Ok(Node::leaf(ExprKind::Tabular(Box::new(tabular)), span));
        }
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
            args.push(self.argument()?);
            while self.eat_punct(Punct::Comma) {
                args.push(self.argument()?);
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
            // `real(nan)`, `real(+inf)`, `real(-inf)`.
            TokenKind::Word(w) if matches!(type_name, "real" | "double") && matches!(w.as_str(), "nan" | "inf") => {
                let value = if w == "nan" { f64::NAN } else { f64::INFINITY };
                self.bump();
                Some(Literal::Real(value))
            }
            TokenKind::Punct(sign @ (Punct::Plus | Punct::Minus))
                if matches!(type_name, "real" | "double")
                    && matches!(&self.nth(1).kind, TokenKind::Word(w) if w == "inf") =>
            {
                let value = if *sign == Punct::Minus {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                };
                self.bump();
                self.bump();
                Some(Literal::Real(value))
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
            TokenKind::Punct(Punct::LBrace) => self.dynamic_bag(),
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

    /// `{"key": value, ...}` inside `dynamic(...)`: a property bag literal.
    fn dynamic_bag(&mut self) -> Result<Node, ParseError> {
        self.nested(|p| {
            let open = p.bump();
            let mut bag = serde_json::Map::new();
            while !p.at_punct(Punct::RBrace) {
                let key = match &p.peek().kind {
                    TokenKind::Str(key) => key.clone(),
                    TokenKind::Word(key) => key.clone(),
                    _ => return Err(p.expected("a property name")),
                };
                p.bump();
                p.expect_punct(Punct::Colon, "`:` after the property name")?;
                let value = p.dynamic_value()?;
                let Some(json) = json_of(&value.expr) else {
                    return Err(Self::error(
                        value.expr.span,
                        "expected a constant value in a property bag",
                    ));
                };
                bag.insert(key, json);
                if !p.eat_punct(Punct::Comma) {
                    break;
                }
            }
            let close = format!("`,` or `}}` to close `{{` opened at {}", open.span);
            p.expect_punct(Punct::RBrace, &close)?;
            let literal = Literal::Dynamic(serde_json::Value::Object(bag));
            Ok(Node::leaf(ExprKind::Literal(literal), p.span_since(open.span)))
        })
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

/// The JSON value of a constant `dynamic(...)` element.
pub(crate) fn json_of(expr: &Expr) -> Option<serde_json::Value> {
    use serde_json::Value as Json;
    Some(match &expr.kind {
        ExprKind::Literal(literal) => match literal {
            Literal::String(s) => Json::String(s.clone()),
            Literal::Long(n) => Json::from(*n),
            Literal::Real(x) => serde_json::Number::from_f64(*x).map_or(Json::Null, Json::Number),
            Literal::Bool(b) => Json::Bool(*b),
            Literal::DateTime(t) => Json::String(crate::time::format_datetime(*t)),
            Literal::TimeSpan(t) => Json::String(crate::value::format_timespan(*t)),
            Literal::Dynamic(json) => json.clone(),
            Literal::Null => Json::Null,
        },
        ExprKind::List(items) => Json::Array(items.iter().map(json_of).collect::<Option<_>>()?),
        _ => return None,
    })
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
