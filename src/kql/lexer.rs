//! The KQL lexer: query text → [`Token`]s with spans. It owns literal syntax — strings and their
//! escapes, numbers, timespan suffixes and the bodies of `datetime(...)` / `timespan(...)` — so the
//! parser sees values, never raw text. Comments and whitespace are dropped here.

use super::{Literal, ParseError, Span, StringList};
use crate::time::{parse_datetime_text, timespan_unit_ticks, TICKS_PER_SECOND};

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// An identifier or keyword. Operator words keep their `!` prefix and `~` suffix (`!has`,
    /// `in~`, `!in~`) because Kusto writes them without a space and they name one operator.
    Word(String),
    /// A string literal, escapes resolved.
    Str(String),
    /// The list of a `dynamic([...])` that holds only string literals, from its `[` through its
    /// `]`: each string, escapes resolved, with its span. A feed's list of a million IOCs is then
    /// one token, not two million (see [`Lexer::string_list`]).
    StrList(StringList),
    /// An integer literal; unsigned because a leading `-` is a separate token.
    Int(u64),
    Real(f64),
    /// `7d`, `1.5h`: 100 ns ticks, never negative (the sign is a separate token).
    TimeSpan(i64),
    /// `datetime(...)`, `timespan(...)`, `time(...)`: already read into a `DateTime`, `TimeSpan`
    /// or `Null` literal.
    Typed(Literal),
    /// `guid(...)`: read whole so its body does not lex as malformed numbers; no AST literal
    /// holds a guid, so the parser reports it.
    Guid,
    Punct(Punct),
    /// End of the query; always the last token.
    Eof,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Punct {
    Pipe,
    Comma,
    Semi,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Dot,
    DotDot,
    Colon,
    /// `=` (assignment in `let` and `project`).
    Assign,
    EqEq,
    NotEq,
    /// `<>`, Kusto's other spelling of `!=`.
    LtGt,
    Lt,
    Le,
    Gt,
    Ge,
    /// `=~`
    EqTilde,
    /// `!~`
    BangTilde,
    /// `=>`
    Arrow,
    Bang,
    Tilde,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Question,
}

/// Splits `query` into tokens ending with [`TokenKind::Eof`]; the first malformed token (an
/// unterminated string, a bad escape, an invalid datetime...) is an error at its position.
pub(crate) fn tokenize(query: &str) -> Result<Vec<Token>, ParseError> {
    tokenize_with(query, true)
}

/// [`tokenize`] without [`TokenKind::StrList`]: every list token by token, the reference the
/// whole-list reading is tested against.
#[cfg(test)]
pub(crate) fn tokenize_each(query: &str) -> Result<Vec<Token>, ParseError> {
    tokenize_with(query, false)
}

fn tokenize_with(query: &str, whole_lists: bool) -> Result<Vec<Token>, ParseError> {
    let mut lexer = Lexer {
        src: query,
        pos: 0,
        line: 1,
        column: 1,
    };
    // Room for a token every eight bytes: a list of thousands of hashes needs far less, so it
    // is not copied as the vector grows (denser text still grows it as usual).
    let mut tokens = Vec::with_capacity(query.len() / 8 + 1);
    loop {
        lexer.skip_trivia();
        let start = lexer.mark();
        // The tokens of a long list are pushed here, not returned from `token`: its result,
        // written in parts and read back whole, waited on the parts (store forwarding) at
        // every token of a million-value list.
        match lexer.src.as_bytes().get(lexer.pos) {
            Some(b',') => {
                lexer.pos += 1;
                lexer.column += 1;
                let span = lexer.span_from(start);
                tokens.push(Token {
                    kind: TokenKind::Punct(Punct::Comma),
                    span,
                });
                continue;
            }
            Some(b'"') => {
                lexer.pos += 1;
                lexer.column += 1;
                let value = lexer.quoted(start, '"')?;
                let span = lexer.span_from(start);
                tokens.push(Token {
                    kind: TokenKind::Str(value),
                    span,
                });
                continue;
            }
            _ => {}
        }
        let Some(c) = lexer.peek() else {
            tokens.push(Token {
                kind: TokenKind::Eof,
                span: lexer.span_from(start),
            });
            return Ok(tokens);
        };
        let kind = lexer.token(c, start)?;
        if whole_lists && kind == TokenKind::Punct(Punct::LBracket) && opens_dynamic(&tokens) {
            if let Some(list) = lexer.string_list() {
                tokens.push(Token {
                    kind: TokenKind::StrList(list),
                    span: lexer.span_from(start),
                });
                continue;
            }
        }
        tokens.push(Token {
            kind,
            span: lexer.span_from(start),
        });
    }
}

/// Where the literal at the start of `rest` (after its opening quote) ends at `quote`, if it is
/// plain: no `\\`, newline or byte past ASCII before that quote. `None` also when the quote is
/// not there: the literal is then read a character at a time, which reports what is wrong.
fn plain_end(rest: &[u8], quote: u8) -> Option<usize> {
    let mut end = None;
    crate::encoding::windows16(rest, |base, chunk| {
        let (quotes, stops) = quote_and_stop_masks(chunk, quote);
        if quotes | stops == 0 {
            return true;
        }
        // The last window's padding (zeros) is neither, so the first bit is within `rest`.
        let first = (quotes | stops).trailing_zeros();
        end = (quotes & 1 << first != 0).then_some(base + first as usize);
        false
    });
    end
}

/// Of 16 bytes, the `quote`s, and the bytes that end a plain literal's fast path (`\\`,
/// newline, bytes past ASCII), as bits. With SSE2 (part of every x86_64 processor).
#[cfg(target_arch = "x86_64")]
#[inline]
fn quote_and_stop_masks(chunk: &[u8; 16], quote: u8) -> (u32, u32) {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is in the x86_64 baseline, so these instructions exist on every processor
    // this code runs on; the load reads the 16 bytes of `chunk`.
    unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr().cast());
        let quotes = _mm_cmpeq_epi8(v, _mm_set1_epi8(quote as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        let newline = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8));
        // A byte past ASCII has its top bit set, which is what the mask of `v` itself reads.
        let stops = _mm_movemask_epi8(_mm_or_si128(backslash, newline)) | _mm_movemask_epi8(v);
        (_mm_movemask_epi8(quotes) as u32, stops as u32)
    }
}

/// [`quote_and_stop_masks`] a byte at a time: elsewhere, and the reference for the SSE2 one.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn quote_and_stop_masks_bytewise(chunk: &[u8; 16], quote: u8) -> (u32, u32) {
    chunk.iter().enumerate().fold((0, 0), |(quotes, stops), (i, &b)| {
        let stop = b == b'\\' || b == b'\n' || !b.is_ascii();
        (quotes | u32::from(b == quote) << i, stops | u32::from(stop) << i)
    })
}

#[cfg(not(target_arch = "x86_64"))]
use quote_and_stop_masks_bytewise as quote_and_stop_masks;

/// Whether the tokens so far end with `dynamic (`: a `[` after them opens a dynamic array.
fn opens_dynamic(tokens: &[Token]) -> bool {
    match tokens {
        [.., keyword, open] => {
            open.kind == TokenKind::Punct(Punct::LParen)
                && matches!(&keyword.kind, TokenKind::Word(w) if w == "dynamic")
        }
        _ => false,
    }
}

/// The end-of-query token for `query`, for a parser handed a token list without one.
pub(crate) fn eof_token(query: &str) -> Token {
    let mut lexer = Lexer {
        src: query,
        pos: 0,
        line: 1,
        column: 1,
    };
    while lexer.bump().is_some() {}
    Token {
        kind: TokenKind::Eof,
        span: lexer.span_from(lexer.mark()),
    }
}

/// A position in the text: byte offset plus the 1-based line and column (in characters).
#[derive(Debug, Clone, Copy)]
struct Mark {
    offset: usize,
    line: u32,
    column: u32,
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    line: u32,
    column: u32,
}

fn is_word_start(c: char) -> bool {
    c == '_' || c == '$' || c.is_alphabetic()
}

fn is_word_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Whitespace as pasted queries carry it: Unicode spaces, plus the zero-width space and BOM that
/// copying from web pages and markdown leaves behind (real corpus queries contain them).
fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}'
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_nth(&self, n: usize) -> Option<char> {
        self.rest().chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn mark(&self) -> Mark {
        Mark {
            offset: self.pos,
            line: self.line,
            column: self.column,
        }
    }

    fn span_from(&self, start: Mark) -> Span {
        Span {
            start: start.offset,
            end: self.pos,
            line: start.line,
            column: start.column,
        }
    }

    fn error(&self, start: Mark, message: String) -> ParseError {
        ParseError {
            message,
            span: self.span_from(start),
        }
    }

    fn skip_trivia(&mut self) {
        loop {
            // ASCII first, a byte at a time: between the values of a list of thousands there is
            // only `, `. The rest (Unicode spaces, comments) goes by characters.
            match self.src.as_bytes().get(self.pos) {
                Some(b' ' | b'\t' | b'\r') => {
                    self.pos += 1;
                    self.column += 1;
                    continue;
                }
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                    self.column = 1;
                    continue;
                }
                Some(b) if b.is_ascii() && *b != b'/' && *b != 0x0b && *b != 0x0c => return,
                _ => {}
            }
            match self.peek() {
                Some(c) if is_space(c) => {
                    self.bump();
                }
                Some('/') if self.peek_nth(1) == Some('/') => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                _ => return,
            }
        }
    }

    fn token(&mut self, c: char, start: Mark) -> Result<TokenKind, ParseError> {
        let next = self.peek_nth(1);
        let is_quote = |c: Option<char>| matches!(c, Some('"' | '\''));
        match c {
            '"' | '\'' => {
                self.bump();
                self.quoted(start, c).map(TokenKind::Str)
            }
            '@' if is_quote(next) => {
                self.bump();
                self.verbatim(start).map(TokenKind::Str)
            }
            // `h"..."` marks a string for obfuscation in Kusto's logs; the value is unchanged.
            'h' | 'H' if is_quote(next) || (next == Some('@') && is_quote(self.peek_nth(2))) => {
                self.bump();
                if self.eat('@') {
                    self.verbatim(start).map(TokenKind::Str)
                } else {
                    let quote = self.bump().unwrap_or('"');
                    self.quoted(start, quote).map(TokenKind::Str)
                }
            }
            '`' if self.rest().starts_with("```") => self.multiline(start).map(TokenKind::Str),
            '0'..='9' => self.number(start),
            '!' if next.is_some_and(is_word_start) => {
                self.bump();
                self.word(start)
            }
            c if is_word_start(c) => self.word(start),
            _ => self.punct(c, start).map(TokenKind::Punct),
        }
    }

    fn punct(&mut self, c: char, start: Mark) -> Result<Punct, ParseError> {
        self.bump();
        let punct = match c {
            '|' => Punct::Pipe,
            ',' => Punct::Comma,
            ';' => Punct::Semi,
            '(' => Punct::LParen,
            ')' => Punct::RParen,
            '[' => Punct::LBracket,
            ']' => Punct::RBracket,
            '{' => Punct::LBrace,
            '}' => Punct::RBrace,
            '.' if self.eat('.') => Punct::DotDot,
            '.' => Punct::Dot,
            ':' => Punct::Colon,
            '=' if self.eat('=') => Punct::EqEq,
            '=' if self.eat('~') => Punct::EqTilde,
            '=' if self.eat('>') => Punct::Arrow,
            '=' => Punct::Assign,
            '!' if self.eat('=') => Punct::NotEq,
            '!' if self.eat('~') => Punct::BangTilde,
            '!' => Punct::Bang,
            '<' if self.eat('=') => Punct::Le,
            '<' if self.eat('>') => Punct::LtGt,
            '<' => Punct::Lt,
            '>' if self.eat('=') => Punct::Ge,
            '>' => Punct::Gt,
            '~' => Punct::Tilde,
            '+' => Punct::Plus,
            '-' => Punct::Minus,
            '*' => Punct::Star,
            '/' => Punct::Slash,
            '%' => Punct::Percent,
            '?' => Punct::Question,
            _ => {
                let shown = c.escape_debug();
                return Err(self.error(start, format!("unexpected character `{shown}`")));
            }
        };
        Ok(punct)
    }

    fn word(&mut self, start: Mark) -> Result<TokenKind, ParseError> {
        // The first character may be one (`$`) that cannot continue a word.
        self.bump();
        while self.peek().is_some_and(is_word_continue) {
            self.bump();
        }
        let text = &self.src[start.offset..self.pos];
        if matches!(text, "in" | "!in") && self.eat('~') {
            return Ok(TokenKind::Word(self.src[start.offset..self.pos].to_string()));
        }
        if matches!(text, "datetime" | "timespan" | "time" | "guid") {
            let spaces = self.rest().len() - self.rest().trim_start_matches([' ', '\t']).len();
            if self.rest()[spaces..].starts_with('(') {
                let keyword = text.to_string();
                return self.typed_literal(start, &keyword);
            }
        }
        Ok(TokenKind::Word(text.to_string()))
    }

    /// `datetime(2024-01-01 10:00:00)`: the body is raw text, not tokens (it would lex as numbers
    /// and `-`), so it is read up to the `)` and parsed whole.
    fn typed_literal(&mut self, start: Mark, keyword: &str) -> Result<TokenKind, ParseError> {
        while self.peek() != Some('(') {
            self.bump();
        }
        self.bump();
        while self.peek().is_some_and(|c| c == ' ' || c == '\t') {
            self.bump();
        }
        let body_start = self.mark();
        let mut body_end = self.mark();
        loop {
            match self.peek() {
                Some(')') => break,
                None | Some('\n') => {
                    let message = format!("expected `)` to close `{keyword}(`");
                    return Err(self.error(start, message));
                }
                Some(c) => {
                    self.bump();
                    if !c.is_whitespace() {
                        body_end = self.mark();
                    }
                }
            }
        }
        let body = &self.src[body_start.offset..body_end.offset];
        let body_span = Span {
            start: body_start.offset,
            end: body_end.offset,
            line: body_start.line,
            column: body_start.column,
        };
        self.bump();
        if keyword == "guid" {
            return Ok(TokenKind::Guid);
        }
        if body.is_empty() {
            return Err(ParseError {
                message: format!("expected a value inside `{keyword}()`"),
                span: body_span,
            });
        }
        let value = if body == "null" {
            Some(Literal::Null)
        } else if keyword == "datetime" {
            parse_datetime_text(unquote(body)).map(Literal::DateTime)
        } else {
            parse_timespan(unquote(body)).map(Literal::TimeSpan)
        };
        value.map(TokenKind::Typed).ok_or_else(|| ParseError {
            message: format!("invalid {keyword} literal `{body}`"),
            span: body_span,
        })
    }

    fn number(&mut self, start: Mark) -> Result<TokenKind, ParseError> {
        if self.rest().starts_with("0x") || self.rest().starts_with("0X") {
            self.bump();
            self.bump();
            while self.peek().is_some_and(is_word_continue) {
                self.bump();
            }
            let text = &self.src[start.offset..self.pos];
            return u64::from_str_radix(&text[2..], 16)
                .map(TokenKind::Int)
                .map_err(|_| self.error(start, format!("invalid hexadecimal number `{text}`")));
        }
        self.digits();
        let mut is_real = false;
        if self.peek() == Some('.') && self.peek_nth(1).is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
            self.digits();
            is_real = true;
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let exponent_digit = match self.peek_nth(1) {
                Some('+' | '-') => self.peek_nth(2),
                other => other,
            };
            if exponent_digit.is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
                self.eat('+');
                self.eat('-');
                self.digits();
                is_real = true;
            }
        }
        let number_end = self.pos;
        while self.peek().is_some_and(is_word_continue) {
            self.bump();
        }
        let number = &self.src[start.offset..number_end];
        let suffix = &self.src[number_end..self.pos];
        if suffix.is_empty() {
            return if is_real {
                Ok(TokenKind::Real(number.parse().unwrap_or(f64::INFINITY)))
            } else {
                number
                    .parse()
                    .map(TokenKind::Int)
                    .map_err(|_| self.error(start, format!("integer literal `{number}` is out of range")))
            };
        }
        let text = &self.src[start.offset..self.pos];
        let Some(unit) = timespan_unit_ticks(suffix) else {
            let message = format!("invalid number `{text}`: `{suffix}` is not a timespan unit");
            return Err(self.error(start, message));
        };
        timespan_ticks(number, unit)
            .map(TokenKind::TimeSpan)
            .ok_or_else(|| self.error(start, format!("timespan `{text}` is out of range")))
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
    }

    /// The rest of a `dynamic([` list, through its `]`, when it is one or more `"..."` literals
    /// separated by commas (comments and spaces aside): each string and its span. Anything else
    /// (another kind of value, adjacent literals, a trailing comma, a malformed string) gives
    /// `None` and leaves the lexer where it was, to read the list token by token as usual — so
    /// that what the parser makes of it, or the error it reports, does not change.
    fn string_list(&mut self) -> Option<StringList> {
        let (pos, line, column) = (self.pos, self.line, self.column);
        let list = self.string_list_items();
        if list.is_none() {
            (self.pos, self.line, self.column) = (pos, line, column);
        }
        list
    }

    fn string_list_items(&mut self) -> Option<StringList> {
        // The list ends at its `]` at the latest: room for its text and for a string per comma
        // up to there (more than it needs by its quotes and separators), so that a list of
        // thousands of hashes is not copied as it grows (each doubling of a 5,000-hash list's
        // buffers copied it again: ~100M instructions of loading 1M IOCs). A `]` inside a
        // string only makes the guess short, and the list grows as before.
        let rest = self.rest().as_bytes();
        let extent = memchr::memchr(b']', rest).unwrap_or(0);
        let commas = memchr::memchr_iter(b',', &rest[..extent]).count();
        let mut items = StringList::with_capacity(commas + 1, extent);
        // A list of thousands is `"value", "value", ...`: its quotes, commas, bracket and single
        // spaces are told by their bytes (ASCII, so each moves the column by one), and anything
        // else goes through `skip_trivia` and `quoted_into` as any token would.
        loop {
            if self.plain_items(&mut items) {
                return Some(items);
            }
            self.skip_list_trivia();
            let start = self.mark();
            if !self.eat_ascii(b'"') {
                return None;
            }
            self.quoted_into(start, '"', items.text_mut()).ok()?;
            items.push_appended(self.span_from(start));
            self.skip_list_trivia();
            if self.eat_ascii(b']') {
                return Some(items);
            }
            if !self.eat_ascii(b',') {
                return None;
            }
        }
    }

    /// Reads the list's items from here while they are written as nearly all are: a plain
    /// literal ([`plain_end`]) right after the lexer, then `,` and at most one space, or the
    /// closing `]`. Returns whether it read the `]`. Otherwise it stops at the start of the
    /// first item it cannot read so (its quote, or what stands before it), which the general
    /// loop then reads: each item is added whole or not at all. A literal, its comma and its
    /// space are ASCII on one line, so the column moves by their bytes. Item by item through
    /// the general loop, the lexer's calls cost more than finding the literals' ends.
    fn plain_items(&mut self, items: &mut StringList) -> bool {
        let bytes = self.src.as_bytes();
        let (mut pos, mut column) = (self.pos, self.column);
        let closed = loop {
            if bytes.get(pos) != Some(&b'"') {
                break false;
            }
            let Some(len) = plain_end(&bytes[pos + 1..], b'"') else {
                break false;
            };
            let end = pos + 1 + len;
            let (next, closed) = match bytes.get(end + 1) {
                Some(b',') => (end + 2 + usize::from(bytes.get(end + 2) == Some(&b' ')), false),
                Some(b']') => (end + 2, true),
                _ => break false,
            };
            items.text_mut().push_str(&self.src[pos + 1..end]);
            items.push_appended(Span {
                start: pos,
                end: end + 1,
                line: self.line,
                column,
            });
            column = column.saturating_add(u32::try_from(next - pos).unwrap_or(u32::MAX));
            pos = next;
            if closed {
                break true;
            }
        };
        (self.pos, self.column) = (pos, column);
        closed
    }

    /// Steps over `byte`, an ASCII character other than a newline, if it is next.
    #[inline]
    fn eat_ascii(&mut self, byte: u8) -> bool {
        debug_assert!(byte.is_ascii() && byte != b'\n');
        if self.src.as_bytes().get(self.pos) != Some(&byte) {
            return false;
        }
        self.pos += 1;
        self.column += 1;
        true
    }

    /// [`Lexer::skip_trivia`] between a list's strings: nothing, or one space, before a quote,
    /// a comma or the closing bracket is told here without the call.
    #[inline]
    fn skip_list_trivia(&mut self) {
        let bytes = self.src.as_bytes();
        let punctuation = |at: usize| matches!(bytes.get(at), Some(b'"' | b',' | b']'));
        if punctuation(self.pos) {
            return;
        }
        if bytes.get(self.pos) == Some(&b' ') && punctuation(self.pos + 1) {
            self.pos += 1;
            self.column += 1;
            return;
        }
        self.skip_trivia();
    }

    /// The rest of a `"..."` or `'...'` literal after its opening quote. Kusto strings end at
    /// the line's end; backslash escapes are resolved here.
    fn quoted(&mut self, start: Mark, quote: char) -> Result<String, ParseError> {
        let mut value = String::new();
        self.quoted_into(start, quote, &mut value)?;
        Ok(value)
    }

    /// [`Lexer::quoted`], appending the literal's text to `value`.
    fn quoted_into(&mut self, start: Mark, quote: char, value: &mut String) -> Result<(), ParseError> {
        // Most literals (every IOC of a 5,000-value list) are plain ASCII: find the closing quote
        // 16 bytes at a time instead of a character at a time. Anything else (an escape, a
        // character past ASCII, no closing quote on the line) takes the loop below.
        let end = u8::try_from(quote)
            .ok()
            .and_then(|q| plain_end(self.rest().as_bytes(), q));
        if let Some(end) = end {
            // No newline inside, and a byte per character: only the column moves.
            self.column = self.column.saturating_add(u32::try_from(end + 1).unwrap_or(u32::MAX));
            value.push_str(&self.src[self.pos..self.pos + end]);
            self.pos += end + 1;
            return Ok(());
        }
        loop {
            let escape_start = self.mark();
            match self.peek() {
                None | Some('\n') => return Err(self.unterminated(start)),
                Some('\\') => {
                    self.bump();
                    value.push(self.escape(escape_start)?);
                }
                Some(c) => {
                    self.bump();
                    if c == quote {
                        return Ok(());
                    }
                    value.push(c);
                }
            }
        }
    }

    fn escape(&mut self, escape_start: Mark) -> Result<char, ParseError> {
        let c = match self.peek() {
            Some(c @ ('"' | '\'' | '\\')) => c,
            Some('n') => '\n',
            Some('t') => '\t',
            Some('r') => '\r',
            Some('u') => {
                self.bump();
                let high = self.hex4(escape_start)?;
                if !(0xD800..0xDC00).contains(&high) {
                    return char::from_u32(high).ok_or_else(|| self.bad_escape(escape_start));
                }
                // A UTF-16 surrogate pair spelled as two escapes: `\ud83d\ude00`.
                if !(self.eat('\\') && self.eat('u')) {
                    return Err(self.bad_escape(escape_start));
                }
                let low = self.hex4(escape_start)?;
                if !(0xDC00..0xE000).contains(&low) {
                    return Err(self.bad_escape(escape_start));
                }
                let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                return char::from_u32(code).ok_or_else(|| self.bad_escape(escape_start));
            }
            _ => {
                if self.peek().is_some_and(|c| c != '\n') {
                    self.bump();
                }
                return Err(self.bad_escape(escape_start));
            }
        };
        self.bump();
        Ok(c)
    }

    fn hex4(&mut self, escape_start: Mark) -> Result<u32, ParseError> {
        let mut code = 0;
        for _ in 0..4 {
            match self.peek().and_then(|c| c.to_digit(16)) {
                Some(digit) => {
                    self.bump();
                    code = code * 16 + digit;
                }
                None => return Err(self.bad_escape(escape_start)),
            }
        }
        Ok(code)
    }

    fn bad_escape(&self, escape_start: Mark) -> ParseError {
        let text = &self.src[escape_start.offset..self.pos];
        self.error(
            escape_start,
            format!("invalid escape sequence `{text}` in string literal"),
        )
    }

    /// `@"..."` / `@'...'` after the `@`: no escapes, a doubled quote stands for one quote.
    fn verbatim(&mut self, start: Mark) -> Result<String, ParseError> {
        let quote = self.bump().unwrap_or('"');
        let mut value = String::new();
        loop {
            match self.peek() {
                None | Some('\n') => return Err(self.unterminated(start)),
                Some(c) => {
                    self.bump();
                    if c != quote {
                        value.push(c);
                    } else if self.eat(quote) {
                        value.push(quote);
                    } else {
                        return Ok(value);
                    }
                }
            }
        }
    }

    /// ```` ```...``` ````: Kusto's multi-line verbatim string.
    fn multiline(&mut self, start: Mark) -> Result<String, ParseError> {
        for _ in 0..3 {
            self.bump();
        }
        let body_start = self.pos;
        let Some(length) = self.rest().find("```") else {
            while self.bump().is_some() {}
            return Err(self.error(start, "unterminated multi-line string literal".to_string()));
        };
        while self.pos < body_start + length + 3 {
            self.bump();
        }
        Ok(self.src[body_start..body_start + length].to_string())
    }

    /// The error for a string still open at the end of its line; it points at the opening quote.
    fn unterminated(&self, start: Mark) -> ParseError {
        let end = self.src[..self.pos].trim_end_matches('\r').len();
        ParseError {
            message: "unterminated string literal".to_string(),
            span: Span {
                start: start.offset,
                end: end.max(start.offset),
                line: start.line,
                column: start.column,
            },
        }
    }
}

/// `"2024-01-01"` inside `datetime(...)` means the same as the bare text.
fn unquote(text: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(quote).and_then(|rest| rest.strip_suffix(quote)) {
            return inner;
        }
    }
    text
}

/// `number` (digits with an optional fraction/exponent) times `unit` ticks, rounded to a tick.
fn timespan_ticks(number: &str, unit: i64) -> Option<i64> {
    if let Ok(whole) = number.parse::<i64>() {
        return whole.checked_mul(unit);
    }
    let ticks = (number.parse::<f64>().ok()? * unit as f64).round();
    // `i64::MAX as f64` rounds up to 2^63, so `<` keeps the cast below in range.
    (ticks.is_finite() && ticks.abs() < i64::MAX as f64).then_some(ticks as i64)
}

/// The body of `timespan(...)`: `1d`, `1.5h`, `2` (days), or `[-][d.]hh:mm[:ss[.fffffff]]`.
fn parse_timespan(text: &str) -> Option<i64> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let ticks = if text.contains(':') {
        parse_clock(text)?
    } else {
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let unit = if unit.is_empty() { "d" } else { unit };
        let valid = number.starts_with(|c: char| c.is_ascii_digit())
            && !number.ends_with('.')
            && number.matches('.').count() <= 1;
        if !valid {
            return None;
        }
        timespan_ticks(number, timespan_unit_ticks(unit)?)?
    };
    Some(if negative { -ticks } else { ticks })
}

/// `[d.]hh:mm[:ss[.fffffff]]`, as Kusto prints timespans.
fn parse_clock(text: &str) -> Option<i64> {
    let number = |s: &str| -> Option<i64> {
        let digits_only = !s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit());
        digits_only.then(|| s.parse().ok()).flatten()
    };
    let mut parts = text.split(':');
    let first = parts.next()?;
    let minutes = number(parts.next()?)?;
    let seconds_part = parts.next();
    if parts.next().is_some() {
        return None;
    }
    let (days, hours) = match first.split_once('.') {
        Some((d, h)) => (number(d)?, number(h)?),
        None => (0, number(first)?),
    };
    let (seconds, fraction) = match seconds_part.map(|s| s.split_once('.').unwrap_or((s, ""))) {
        None => (0, 0),
        Some((s, frac)) => {
            let frac_ticks = if frac.is_empty() {
                0
            } else {
                // Seven digits are 100 ns ticks; more are truncated, as in datetimes.
                let padded: String = frac.chars().chain("0000000".chars()).take(7).collect();
                if !frac.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                padded.parse::<i64>().ok()?
            };
            (number(s)?, frac_ticks)
        }
    };
    if hours > 23 || minutes > 59 || seconds > 59 {
        return None;
    }
    let total_seconds = days
        .checked_mul(86_400)?
        .checked_add(hours * 3600 + minutes * 60 + seconds)?;
    total_seconds.checked_mul(TICKS_PER_SECOND)?.checked_add(fraction)
}

#[cfg(test)]
#[path = "lexer_tests.rs"]
mod tests;
