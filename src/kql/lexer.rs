//! The KQL lexer: query text → [`Token`]s with spans. It owns literal syntax — strings and their
//! escapes, numbers, timespan suffixes and the bodies of `datetime(...)` / `timespan(...)` — so the
//! parser sees values, never raw text. Comments and whitespace are dropped here.

use super::{Literal, ParseError, Span};
use crate::time::{parse_datetime, timespan_unit_ticks, TICKS_PER_SECOND};

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
    let mut lexer = Lexer {
        src: query,
        pos: 0,
        line: 1,
        column: 1,
    };
    let mut tokens = Vec::new();
    loop {
        lexer.skip_trivia();
        let start = lexer.mark();
        let Some(c) = lexer.peek() else {
            tokens.push(Token {
                kind: TokenKind::Eof,
                span: lexer.span_from(start),
            });
            return Ok(tokens);
        };
        let kind = lexer.token(c, start)?;
        tokens.push(Token {
            kind,
            span: lexer.span_from(start),
        });
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
            parse_datetime(unquote(body)).map(Literal::DateTime)
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

    /// The rest of a `"..."` or `'...'` literal after its opening quote. Kusto strings end at
    /// the line's end; backslash escapes are resolved here.
    fn quoted(&mut self, start: Mark, quote: char) -> Result<String, ParseError> {
        let mut value = String::new();
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
                        return Ok(value);
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
mod tests {
    use super::*;

    const DAY: i64 = 864_000_000_000;
    const HOUR: i64 = 36_000_000_000;

    fn kinds(query: &str) -> Vec<TokenKind> {
        let tokens = tokenize(query).unwrap_or_else(|e| panic!("{query:?}: {e}"));
        tokens.into_iter().map(|t| t.kind).collect()
    }

    /// The single value token `query` lexes to.
    fn single(query: &str) -> TokenKind {
        match kinds(query).as_slice() {
            [kind, TokenKind::Eof] => kind.clone(),
            other => panic!("{query:?} lexed to {other:?}"),
        }
    }

    fn word(w: &str) -> TokenKind {
        TokenKind::Word(w.to_string())
    }

    #[test]
    fn strings_resolve_escapes_and_prefixes() {
        let cases = [
            (r#""plain""#, "plain"),
            (r#""say \"hi\"""#, r#"say "hi""#),
            (r"'it\'s'", "it's"),
            (r#"'a "quoted" word'"#, r#"a "quoted" word"#),
            (r#""\\ \n \t \r""#, "\\ \n \t \r"),
            (r#""\u0041\u00e9""#, "Aé"),
            (r#""\ud83d\ude00""#, "😀"),
            (r#"@"C:\Windows\System32\""#, r"C:\Windows\System32\"),
            (r#"@"say ""hi""""#, r#"say "hi""#),
            (r"@'it''s'", "it's"),
            (r#"h"secret""#, "secret"),
            (r"H'secret'", "secret"),
            (r#"h@"C:\temp""#, r"C:\temp"),
            ("```multi\nline```", "multi\nline"),
            (r#""""#, ""),
        ];
        for (query, expected) in cases {
            assert_eq!(single(query), TokenKind::Str(expected.to_string()), "{query}");
        }
    }

    #[test]
    fn numbers_and_timespans() {
        let cases = [
            ("5", TokenKind::Int(5)),
            ("18446744073709551615", TokenKind::Int(u64::MAX)),
            ("0x1F", TokenKind::Int(31)),
            ("1.5", TokenKind::Real(1.5)),
            ("1e3", TokenKind::Real(1000.0)),
            ("2.5E-1", TokenKind::Real(0.25)),
            ("7d", TokenKind::TimeSpan(7 * DAY)),
            ("1.5h", TokenKind::TimeSpan(HOUR * 3 / 2)),
            ("30m", TokenKind::TimeSpan(30 * 60 * TICKS_PER_SECOND)),
            ("10s", TokenKind::TimeSpan(10 * TICKS_PER_SECOND)),
            ("100ms", TokenKind::TimeSpan(1_000_000)),
            ("2microseconds", TokenKind::TimeSpan(20)),
            ("5tick", TokenKind::TimeSpan(5)),
            ("0.1s", TokenKind::TimeSpan(1_000_000)),
            ("3days", TokenKind::TimeSpan(3 * DAY)),
        ];
        for (query, expected) in cases {
            assert_eq!(single(query), expected, "{query}");
        }
    }

    #[test]
    fn typed_literals_read_their_raw_body() {
        let at = |text: &str| {
            let ticks = parse_datetime(text).unwrap_or_else(|| panic!("{text}"));
            TokenKind::Typed(Literal::DateTime(ticks))
        };
        let midnight = at("2024-01-01T00:00:00Z");
        let cases = [
            ("datetime(2024-01-01)", midnight.clone()),
            ("datetime( 2024-01-01 )", midnight.clone()),
            ("datetime(\"2024-01-01\")", midnight.clone()),
            ("datetime('2024-01-01T00:00:00Z')", midnight),
            ("datetime(2024-01-01 10:00:00)", at("2024-01-01T10:00:00Z")),
            ("datetime(2024-01-01T10:00:00.1Z)", at("2024-01-01T10:00:00.1Z")),
            ("datetime(2024-01-01T10:00:00.12Z)", at("2024-01-01T10:00:00.12Z")),
            ("datetime(2024-01-01T10:00:00.123Z)", at("2024-01-01T10:00:00.123Z")),
            ("datetime(2024-01-01T10:00:00.1234Z)", at("2024-01-01T10:00:00.1234Z")),
            ("datetime(2024-01-01T10:00:00.12345Z)", at("2024-01-01T10:00:00.12345Z")),
            (
                "datetime(2024-01-01T10:00:00.123456)",
                at("2024-01-01T10:00:00.123456Z"),
            ),
            (
                "datetime(2024-01-01T10:00:00.1234567Z)",
                at("2024-01-01T10:00:00.1234567Z"),
            ),
            ("datetime(null)", TokenKind::Typed(Literal::Null)),
            ("timespan(1d)", TokenKind::Typed(Literal::TimeSpan(DAY))),
            ("time(1.5h)", TokenKind::Typed(Literal::TimeSpan(HOUR * 3 / 2))),
            ("timespan(2)", TokenKind::Typed(Literal::TimeSpan(2 * DAY))),
            ("timespan(00:30:00)", TokenKind::Typed(Literal::TimeSpan(HOUR / 2))),
            (
                "timespan(1.02:03:04.5)",
                TokenKind::Typed(Literal::TimeSpan(
                    DAY + 2 * HOUR + (3 * 60 + 4) * TICKS_PER_SECOND + 5_000_000,
                )),
            ),
            ("time(-1h)", TokenKind::Typed(Literal::TimeSpan(-HOUR))),
            ("timespan(null)", TokenKind::Typed(Literal::Null)),
            ("guid(74be27de-1e4e-49d9-b579-fe0b331d3642)", TokenKind::Guid),
        ];
        for (query, expected) in cases {
            assert_eq!(single(query), expected, "{query}");
        }
        // 0 to 7 fractional digits, checked against ticks computed by hand.
        let midnight = 19_723 * DAY; // 2024-01-01 is day 19723 of the Unix epoch

        let fraction_ticks = [
            0, 1_000_000, 1_100_000, 1_110_000, 1_111_000, 1_111_100, 1_111_110, 1_111_111,
        ];
        for (digits, fraction) in fraction_ticks.into_iter().enumerate() {
            let dot = if digits == 0 { "" } else { "." };
            let query = format!("datetime(2024-01-01T00:00:01{dot}{}Z)", "1".repeat(digits));
            let expected = Literal::DateTime(midnight + TICKS_PER_SECOND + fraction);
            assert_eq!(single(&query), TokenKind::Typed(expected), "{query}");
        }
    }

    #[test]
    fn operators_keep_their_bang_and_tilde() {
        use Punct::*;
        let p = TokenKind::Punct;
        let expected = vec![
            word("a"),
            word("!has_cs"),
            word("in~"),
            word("!in~"),
            word("!in"),
            word("$left"),
            word("_ResourceId"),
            p(EqEq),
            p(NotEq),
            p(LtGt),
            p(EqTilde),
            p(BangTilde),
            p(Le),
            p(Ge),
            p(Lt),
            p(Gt),
            p(Assign),
            p(DotDot),
            p(Dot),
            p(Minus),
            p(Bang),
            p(LBracket),
            TokenKind::Str("Col name".to_string()),
            p(RBracket),
            TokenKind::Eof,
        ];
        let query = "a !has_cs in~ !in~ !in $left _ResourceId == != <> =~ !~ <= >= < > = .. . - ! ['Col name']";
        assert_eq!(kinds(query), expected);
    }

    #[test]
    fn comments_and_odd_whitespace_are_skipped() {
        let query = "\u{FEFF}// header\n\u{200B}// pasted from a web page\nT // trailing\n| take 1 // end";
        let expected = vec![
            word("T"),
            TokenKind::Punct(Punct::Pipe),
            word("take"),
            TokenKind::Int(1),
            TokenKind::Eof,
        ];
        assert_eq!(kinds(query), expected);
    }

    #[test]
    fn spans_count_lines_and_characters_across_crlf() {
        let query = "let x = 1;\r\n// é comment\r\nTé\r\n| where é == \"ü\"";
        let tokens = tokenize(query).unwrap_or_default();
        let positions: Vec<(u32, u32, &str)> = tokens
            .iter()
            .map(|t| (t.span.line, t.span.column, &query[t.span.start..t.span.end]))
            .collect();
        let expected = vec![
            (1, 1, "let"),
            (1, 5, "x"),
            (1, 7, "="),
            (1, 9, "1"),
            (1, 10, ";"),
            (3, 1, "Té"),
            (4, 1, "|"),
            (4, 3, "where"),
            (4, 9, "é"),
            (4, 11, "=="),
            (4, 14, "\"ü\""),
            (4, 17, ""),
        ];
        assert_eq!(positions, expected);
    }

    #[test]
    fn malformed_tokens_are_errors_at_their_position() {
        let cases = [
            ("T\n| where a == \"open", "2:14: unterminated string literal"),
            ("T | where a == @'open\r\n", "1:16: unterminated string literal"),
            ("T | where a == ```open", "1:16: unterminated multi-line string literal"),
            (
                r#"T | where a == "C:\Windows""#,
                r"1:19: invalid escape sequence `\W` in string literal",
            ),
            (
                r#"T | where a == "\u12""#,
                r"1:17: invalid escape sequence `\u12` in string literal",
            ),
            (
                r#"T | where a == "\udc00""#,
                r"1:17: invalid escape sequence `\udc00` in string literal",
            ),
            (
                "T | where a > 10x",
                "1:15: invalid number `10x`: `x` is not a timespan unit",
            ),
            (
                "T | take 99999999999999999999",
                "1:10: integer literal `99999999999999999999` is out of range",
            ),
            ("T | where a > 0xZZ", "1:15: invalid hexadecimal number `0xZZ`"),
            (
                "T | where a > 9999999999999999d",
                "1:15: timespan `9999999999999999d` is out of range",
            ),
            (
                "T | where a > datetime(2024-13-01)",
                "1:24: invalid datetime literal `2024-13-01`",
            ),
            (
                "T | where a > datetime( yesterday )",
                "1:25: invalid datetime literal `yesterday`",
            ),
            ("T | where a > datetime()", "1:24: expected a value inside `datetime()`"),
            (
                "T | where a > datetime(2024-01-01\n)",
                "1:15: expected `)` to close `datetime(`",
            ),
            ("T | where a > timespan(1x)", "1:24: invalid timespan literal `1x`"),
            (
                "T | where a > timespan(25:00:00)",
                "1:24: invalid timespan literal `25:00:00`",
            ),
            ("T | where a € b", "1:13: unexpected character `€`"),
            ("T | where a == #", "1:16: unexpected character `#`"),
        ];
        let failures: Vec<String> = cases
            .iter()
            .filter_map(|&(query, expected)| {
                let got = match tokenize(query) {
                    Ok(_) => "lexed without error".to_string(),
                    Err(error) => error.to_string(),
                };
                (got != expected).then(|| format!("{query:?}\n  got:      {got}\n  expected: {expected}"))
            })
            .collect();
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }
}
