//! The KQL front end: text → tokens (`lexer`) → syntax tree with spans (`parser`, [`ast`]).
//! It knows KQL's grammar, not tables or columns: schema and type checks are the planner's.
//! Anything outside the supported subset is a [`ParseError`] naming it and its line:column —
//! never a silently partial query.

pub mod ast;
mod lexer;
mod parser;

use std::fmt;

pub use ast::*;

/// A query that cannot be read: what was wrong and where (line:column within the query text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub span: Span,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.span, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses one query: `let` statements followed by a tabular expression.
pub fn parse(query: &str) -> Result<Query, ParseError> {
    let tokens = lexer::tokenize(query)?;
    parser::Parser::new(query, tokens).parse_query()
}

/// [`parse`], with each `dynamic([...])` of string literals kept packed in one
/// [`ExprKind::Strings`] instead of an `Expr` per string: for the seed compiler, which takes a
/// feed's million IOCs into its sets straight from the packed text. Also says whether the
/// query has such a list: if not, the tree is the one [`parse`] gives.
pub fn parse_packed(query: &str) -> Result<(Query, bool), ParseError> {
    let tokens = lexer::tokenize(query)?;
    let packs = tokens.iter().any(|t| matches!(t.kind, lexer::TokenKind::StrList(_)));
    let mut parser = parser::Parser::new(query, tokens);
    parser.packed = true;
    parser.parse_query().map(|query| (query, packs))
}
