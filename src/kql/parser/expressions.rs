//! Scalar expressions: precedence climbing over the binary operators, `between`, lists,
//! member access, calls, and the literal forms (`dynamic`, typed scalars, strings).

use super::*;

impl Parser<'_> {
    pub(super) fn expr(&mut self) -> Result<Expr, ParseError> {
        self.node().map(|node| node.expr)
    }

    /// A whole expression one nesting level down (inside parentheses, a call or a list).
    pub(super) fn node(&mut self) -> Result<Node, ParseError> {
        self.nested(|p| p.binary(1))
    }

    /// Runs `parse` one nesting level deeper; each level costs stack, so their number is capped.
    pub(super) fn nested<T>(
        &mut self,
        parse: impl FnOnce(&mut Self) -> Result<T, ParseError>,
    ) -> Result<T, ParseError> {
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
    pub(super) fn peek_operator(&self) -> Result<Option<(BinaryOp, usize)>, ParseError> {
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

    pub(super) fn binary(&mut self, min_precedence: u8) -> Result<Node, ParseError> {
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
    pub(super) fn at_between(&self) -> Option<bool> {
        match &self.peek().kind {
            TokenKind::Word(w) if w == "between" => Some(false),
            TokenKind::Word(w) if w == "!between" || w == "notbetween" => Some(true),
            _ => None,
        }
    }

    /// `operand between (low .. high)`.
    pub(super) fn between(&mut self, operand: Node, negated: bool) -> Result<Node, ParseError> {
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
    pub(super) fn list(&mut self, op: BinaryOp) -> Result<Node, ParseError> {
        let open = self.expect_punct(Punct::LParen, &format!("`(` after `{op}`"))?;
        let (mut elements, mut deepest) = (Vec::new(), 0);
        if !self.at_punct(Punct::RParen) {
            loop {
                let node = self.argument()?;
                deepest = deepest.max(node.depth);
                elements.push(node.expr);
                if !self.eat_punct(Punct::Comma) {
                    break;
                }
            }
        }
        self.close_paren(open.span, "`,` or `)`")?;
        list_node(ExprKind::List(elements), deepest, self.span_since(open.span))
    }

    /// A leading `-`/`+`: folded into a number or timespan literal, else a negation.
    pub(super) fn unary(&mut self) -> Result<Node, ParseError> {
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
    pub(super) fn postfix(&mut self) -> Result<Node, ParseError> {
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

    pub(super) fn primary(&mut self) -> Result<Node, ParseError> {
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
    pub(super) fn string(&mut self) -> Node {
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

    pub(super) fn parenthesized(&mut self) -> Result<Node, ParseError> {
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

    pub(super) fn call(&mut self) -> Result<Node, ParseError> {
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
    pub(super) fn typed_scalar(&mut self, type_name: &str) -> Result<Node, ParseError> {
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
    pub(super) fn dynamic(&mut self) -> Result<Node, ParseError> {
        let keyword = self.bump();
        let open = self.bump();
        let mut value = self.dynamic_value()?;
        self.close_paren(open.span, "`)`")?;
        value.expr.span = self.span_since(keyword.span);
        Ok(value)
    }

    pub(super) fn dynamic_value(&mut self) -> Result<Node, ParseError> {
        if matches!(self.peek().kind, TokenKind::Str(_)) {
            return Ok(self.string());
        }
        if matches!(self.peek().kind, TokenKind::StrList(_)) {
            return self.string_list();
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
    pub(super) fn dynamic_bag(&mut self) -> Result<Node, ParseError> {
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

    pub(super) fn dynamic_array(&mut self) -> Result<Node, ParseError> {
        self.nested(|p| {
            let open = p.bump();
            let mut elements = Vec::with_capacity(p.items_ahead());
            let mut depth = 0;
            if !p.at_punct(Punct::RBracket) {
                loop {
                    // A lone string (each of the thousands of IOCs of a feed's list) goes from
                    // its token into the list as it is, not through a node and a `Result`.
                    match p.lone_string() {
                        Some(expr) => {
                            depth = depth.max(1);
                            elements.push(expr);
                        }
                        None => {
                            let node = p.dynamic_value()?;
                            depth = depth.max(node.depth);
                            elements.push(node.expr);
                        }
                    }
                    if !p.eat_punct(Punct::Comma) {
                        break;
                    }
                }
            }
            let close = format!("`,` or `]` to close `[` opened at {}", open.span);
            p.expect_punct(Punct::RBracket, &close)?;
            list_node(ExprKind::List(elements), depth, p.span_since(open.span))
        })
    }

    /// The list of string literals the lexer read whole ([`TokenKind::StrList`]): the node
    /// [`Parser::dynamic_array`] makes of the same list read token by token.
    fn string_list(&mut self) -> Result<Node, ParseError> {
        // As deep as `dynamic_array` would go, so that the nesting limit falls where it did.
        self.nested(|p| {
            let token = p.bump();
            let TokenKind::StrList(list) = token.kind else {
                return Err(Self::error(token.span, "expected a list of strings"));
            };
            let kind = match p.packed {
                true => ExprKind::Strings(list),
                false => ExprKind::List(list.exprs()),
            };
            list_node(kind, 1, token.span)
        })
    }

    /// The string literal at the cursor as an expression, if it is one on its own (not the
    /// first of adjacent literals, which [`Parser::string`] joins); `None` moves nothing.
    fn lone_string(&mut self) -> Option<Expr> {
        if !matches!(self.peek().kind, TokenKind::Str(_)) || matches!(self.nth(1).kind, TokenKind::Str(_)) {
            return None;
        }
        let token = self.bump();
        match token.kind {
            TokenKind::Str(text) => Some(string_literal(text, token.span)),
            _ => None,
        }
    }
}

/// A string literal's expression: an element of a list read token by token.
fn string_literal(text: String, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Literal(Literal::String(text)),
        span,
    }
}

/// A list (`kind` is `List` or `Strings`), its deepest element `deepest` levels deep, spanning
/// `span`.
fn list_node(kind: ExprKind, deepest: u32, span: Span) -> Result<Node, ParseError> {
    Ok(Node {
        expr: Expr { kind, span },
        depth: deeper(deepest, span)?,
    })
}
