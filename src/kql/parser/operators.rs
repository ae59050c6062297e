//! The tabular operators after `|`, each with its clauses and options.

use super::*;

impl Parser<'_> {
    pub(super) fn operator(&mut self) -> Result<Operator, ParseError> {
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
    pub(super) fn options(
        &mut self,
        known: &[&str],
        operator: Option<&str>,
    ) -> Result<Vec<(String, Ident)>, ParseError> {
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

    pub(super) fn order_keys(&mut self) -> Result<Vec<OrderKey>, ParseError> {
        let mut keys = vec![self.order_key()?];
        while self.eat_punct(Punct::Comma) {
            keys.push(self.order_key()?);
        }
        Ok(keys)
    }

    /// `a, b*, ['c d']` of `project-away` and `project-keep`.
    pub(super) fn name_patterns(&mut self) -> Result<Vec<Ident>, ParseError> {
        let mut names = vec![self.table_name()?];
        while self.eat_punct(Punct::Comma) {
            names.push(self.table_name()?);
        }
        Ok(names)
    }

    /// `Col`, `$left.A == $right.B`, separated by `,` or `and`.
    pub(super) fn join_keys(&mut self) -> Result<Vec<JoinKey>, ParseError> {
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
    pub(super) fn join_side(&mut self) -> Result<(Option<bool>, Ident), ParseError> {
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
    pub(super) fn parse_operator(&mut self, start: Span, keep_only_matches: bool) -> Result<Operator, ParseError> {
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
    pub(super) fn column_list(&mut self) -> Result<Vec<ProjectColumn>, ParseError> {
        let mut columns = vec![self.column()?];
        while self.eat_punct(Punct::Comma) {
            columns.push(self.column()?);
        }
        Ok(columns)
    }

    /// `expr`, `Name = expr`, or `(A, B) = expr` (naming each column an aggregate returns).
    pub(super) fn column(&mut self) -> Result<ProjectColumn, ParseError> {
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

    pub(super) fn order_key(&mut self) -> Result<OrderKey, ParseError> {
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
}
