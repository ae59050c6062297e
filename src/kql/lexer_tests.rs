//! Tests of `lexer`.
use super::*;
use crate::time::parse_datetime;

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

/// Each token's line, column and text.
fn positions(query: &str) -> Vec<(u32, u32, &str)> {
    positions_of(query, tokenize(query))
}

fn positions_of(query: &str, tokens: Result<Vec<Token>, ParseError>) -> Vec<(u32, u32, &str)> {
    let tokens = tokens.unwrap_or_else(|e| panic!("{query:?}: {e}"));
    tokens
        .iter()
        .map(|t| (t.span.line, t.span.column, &query[t.span.start..t.span.end]))
        .collect()
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
    let positions = positions(query);
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

/// The byte-at-a-time paths (spaces, tabs, `\r`, `,`, `"` between the values of a long list)
/// keep the same positions as the character-at-a-time ones (vertical tab, form feed, Unicode).
#[test]
fn spans_after_list_separators_and_odd_spaces() {
    let query = "dynamic([\"a\",\t\"bé\" ,\r\n  \"c\",\u{b}\"d\",\u{c}\u{a0}\"e\"])";
    let positions = positions_of(query, tokenize_each(query));
    let expected = vec![
        (1, 1, "dynamic"),
        (1, 8, "("),
        (1, 9, "["),
        (1, 10, "\"a\""),
        (1, 13, ","),
        (1, 15, "\"bé\""),
        (1, 20, ","),
        (2, 3, "\"c\""),
        (2, 6, ","),
        (2, 8, "\"d\""),
        (2, 11, ","),
        (2, 14, "\"e\""),
        (2, 17, "]"),
        (2, 18, ")"),
        (2, 19, ""),
    ];
    assert_eq!(positions, expected);
    let each = tokenize_each(query).unwrap();
    let strings: Vec<(TokenKind, Span)> = (each.iter())
        .filter(|t| matches!(t.kind, TokenKind::Str(_)))
        .map(|t| (t.kind.clone(), t.span))
        .collect();
    let texts: Vec<TokenKind> = strings.iter().map(|(kind, _)| kind.clone()).collect();
    let expected: Vec<TokenKind> = ["a", "bé", "c", "d", "e"].map(|s| TokenKind::Str(s.to_string())).into();
    assert_eq!(texts, expected);
    // Read whole, the list is one token from `[` through `]`, its strings with the same spans.
    let whole = tokenize(query).unwrap();
    let [_, _, list, close, _] = whole.as_slice() else {
        panic!("{whole:?}")
    };
    assert_eq!((list.span.line, list.span.column), (1, 9));
    assert_eq!(&query[list.span.start..list.span.end], &query[8..query.len() - 1]);
    assert_eq!(close.kind, TokenKind::Punct(Punct::RParen));
    let TokenKind::StrList(items) = &list.kind else {
        panic!("{list:?}")
    };
    let read: Vec<(TokenKind, Span)> = (items.iter())
        .map(|(text, span)| (TokenKind::Str(text.to_string()), span))
        .collect();
    assert_eq!(read, strings);
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

#[test]
fn string_literals_end_at_the_right_column_with_or_without_escapes() {
    // Plain literals are found in one search, escaped ones a character at a time; the token
    // after either must start where a character count says.
    for literal in [
        r#""""#,
        r#""abc""#,
        r#""é€😀""#,
        r#""a\"b""#,
        r#""\u00e9x""#,
        r"'x\'y'",
        r#"'a"b'"#,
        r#""it's""#,
    ] {
        let query = format!("{literal} x");
        let tokens = tokenize(&query).unwrap_or_else(|e| panic!("{query:?}: {e}"));
        let x = tokens.get(1).unwrap_or_else(|| panic!("{query:?}: no second token"));
        assert_eq!(x.kind, word("x"), "{query:?}");
        let expected = u32::try_from(literal.chars().count() + 2).expect("short");
        assert_eq!((x.span.line, x.span.column), (1, expected), "{query:?}");
    }
    let error = tokenize("\"abc\nx\"").expect_err("a string ends at its line");
    assert!(error.message.contains("unterminated"), "{}", error.message);
}

/// The SSE2 masks of a literal's quotes and fast-path stops against the byte-at-a-time ones,
/// for both quotes, on random windows of the bytes that matter and their neighbours.
#[test]
fn quote_masks_agree_with_the_bytewise_reference() {
    let alphabet = b"\"'\\\n\r a0\x00\x7f\x80\xc3\xa9\xff";
    for quote in [b'"', b'\''] {
        crate::testing::windows_agree(
            0x51de + u64::from(quote),
            alphabet,
            |w| quote_and_stop_masks(w, quote),
            |w| quote_and_stop_masks_bytewise(w, quote),
        );
    }
}

/// A plain literal's end is found in one pass, at any length and offset: the same end (or the
/// same "not plain") as looking byte by byte.
#[test]
fn plain_ends_are_found_at_every_length() {
    let mut random = crate::testing::XorShift::new(0x9a1e);
    let alphabet = b"\"'\\\na0f \x80";
    for _ in 0..20_000 {
        let len = random.below(70);
        let rest: Vec<u8> = (0..len).map(|_| alphabet[random.below(alphabet.len())]).collect();
        for quote in [b'"', b'\''] {
            let expected = rest
                .iter()
                .position(|&b| b == quote || b == b'\\' || b == b'\n' || !b.is_ascii())
                .filter(|&at| rest[at] == quote);
            assert_eq!(plain_end(&rest, quote), expected, "{rest:?}");
        }
    }
}

/// The strings of `tokens`, each with its span, those of a list read whole included.
fn strings_and_spans(tokens: &[Token]) -> Vec<(String, Span)> {
    (tokens.iter())
        .flat_map(|t| match &t.kind {
            TokenKind::Str(s) => vec![(s.clone(), t.span)],
            TokenKind::StrList(list) => list.iter().map(|(text, span)| (text.to_string(), span)).collect(),
            _ => Vec::new(),
        })
        .collect()
}

/// A list read whole gets its room from the first `]` and the commas before it; strings that
/// hold a `]` or commas make that guess wrong, and the list still reads as token by token.
#[test]
fn a_list_whose_strings_hold_brackets_and_commas_reads_whole_as_token_by_token() {
    for query in [
        r#"let l = dynamic(["a]b", "c,d,e", "]", ",,", "f"]);"#,
        r#"let l = dynamic(["]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "x"]);"#,
        r#"let l = dynamic([]);"#,
        r#"let l = dynamic(["only"]);"#,
    ] {
        let each = strings_and_spans(&tokenize_each(query).unwrap());
        assert_eq!(strings_and_spans(&tokenize(query).unwrap()), each, "{query}");
    }
}

/// Random lists, with every kind of space between their strings (none, one, several, tabs,
/// newlines, comments, Unicode spaces) and strings with escapes and characters past ASCII,
/// read whole: each string's text and span as reading them token by token gives, and the
/// tokens after the list at the same places.
#[test]
fn random_lists_read_whole_as_token_by_token() {
    const GAPS: &[&str] = &["", " ", "  ", "\t", "\n", " \n  ", "// note\n", "\u{a0}", " \r\n"];
    const STRINGS: &[&str] = &[
        "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "evil.example.com",
        "",
        "a\\\"b",
        "C:\\\\Windows",
        "é",
        "x,y]z",
        "\\u0041",
    ];
    let mut state = 7u64;
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize % n
    };
    let mut read_whole = 0;
    for _ in 0..2_000 {
        let mut query = String::from("let l = dynamic([");
        for i in 0..1 + next(6) {
            if i > 0 {
                query.push_str(GAPS[next(GAPS.len())]);
                query.push(',');
            }
            query.push_str(GAPS[next(GAPS.len())]);
            query.push('"');
            query.push_str(STRINGS[next(STRINGS.len())]);
            query.push('"');
        }
        query.push_str(GAPS[next(GAPS.len())]);
        query.push_str("]); T | where x in (l)");
        let each = tokenize_each(&query).unwrap_or_else(|e| panic!("{query:?}: {e}"));
        let whole = tokenize(&query).unwrap_or_else(|e| panic!("{query:?}: {e}"));
        assert_eq!(strings_and_spans(&whole), strings_and_spans(&each), "{query:?}");
        read_whole += usize::from(whole.iter().any(|t| matches!(t.kind, TokenKind::StrList(_))));
        let after = |tokens: &[Token]| -> Vec<(u32, u32, usize)> {
            let close = tokens
                .iter()
                .position(|t| t.kind == TokenKind::Punct(Punct::RParen))
                .unwrap();
            tokens[close..]
                .iter()
                .map(|t| (t.span.line, t.span.column, t.span.start))
                .collect()
        };
        assert_eq!(after(&whole), after(&each), "{query:?}");
    }
    assert_eq!(read_whole, 2_000, "every list is one token");
}
