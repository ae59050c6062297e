//! Tabular expressions: sources (tables, subqueries, `union`, `datatable`, `externaldata`,
//! `print`, `range`, calls) and where a `let` or an argument is tabular.

use super::*;

impl Parser<'_> {
    /// A source and its `| operator`s, up to a token that cannot continue it (`)`, `;`, `,`...).
    pub(super) fn tabular(&mut self) -> Result<Tabular, ParseError> {
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

    pub(super) fn source(&mut self) -> Result<Source, ParseError> {
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
    pub(super) fn table_name(&mut self) -> Result<Ident, ParseError> {
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

    pub(super) fn expect_word(&mut self, word: &str, what: &str) -> Result<(), ParseError> {
        if self.eat_word(word) {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    /// `(Name: type, ...)` of `datatable` and `externaldata`.
    pub(super) fn column_declarations(&mut self, what: &str) -> Result<Vec<ColumnDecl>, ParseError> {
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
    pub(super) fn union(&mut self, start: Span) -> Result<Union, ParseError> {
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
    pub(super) fn arguments(&mut self) -> Result<Vec<Expr>, ParseError> {
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
    pub(super) fn argument(&mut self) -> Result<Node, ParseError> {
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
}
