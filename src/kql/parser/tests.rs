//! Tests of `parser`.
use super::*;

const DAY: i64 = 864_000_000_000;

fn parse(query: &str) -> Result<Query, ParseError> {
    let tokens = lexer::tokenize(query)?;
    Parser::new(query, tokens).parse_query()
}

fn parse_ok(query: &str) -> Query {
    parse(query).unwrap_or_else(|e| panic!("{query:?} failed: {e}"))
}

/// A compact rendering of an expression's shape: `(op left right)`, `f(args)`, `[items]`.
fn sexpr(expr: &Expr) -> String {
    let join = |items: &[Expr]| items.iter().map(sexpr).collect::<Vec<_>>().join(", ");
    match &expr.kind {
        ExprKind::Literal(literal) => format!("{literal:?}"),
        ExprKind::Name(name) => name.clone(),
        ExprKind::List(items) => format!("[{}]", join(items)),
        ExprKind::Strings(list) => format!("[{}]", join(&list.exprs())),
        ExprKind::Binary { op, left, right } => {
            format!("({op} {} {})", sexpr(left), sexpr(right))
        }
        ExprKind::Call { name, args } => format!("{}({})", name.name, join(args)),
        ExprKind::Negate(inner) => format!("-{}", sexpr(inner)),
        ExprKind::Between {
            operand,
            low,
            high,
            negated,
        } => format!(
            "({}between {} {} {})",
            if *negated { "!" } else { "" },
            sexpr(operand),
            sexpr(low),
            sexpr(high)
        ),
        ExprKind::Member { base, member } => format!("{}.{}", sexpr(base), sexpr(member)),
        ExprKind::Star => "*".into(),
        ExprKind::Tabular(t) => format!("<tabular {} ops>", t.operators.len()),
    }
}

fn let_expr(value: &LetValue) -> &Expr {
    match value {
        LetValue::Expr(expr) => expr,
        other => panic!("not a scalar let: {other:?}"),
    }
}

/// The predicate of `T | where <predicate>`.
fn predicate(predicate: &str) -> Expr {
    let query = parse_ok(&format!("T | where {predicate}"));
    match query.body.operators.into_iter().next() {
        Some(Operator::Where { predicate, .. }) => predicate,
        other => panic!("{other:?}"),
    }
}

fn columns(operator: &Operator) -> Vec<&str> {
    match operator {
        Operator::Project { columns, .. } => columns.iter().map(|c| c.plain_name().unwrap()).collect(),
        other => panic!("not a project: {other:?}"),
    }
}

const SEED_HASHES: &str = r#"// Hunt for files matching known malicious hashes
// Source: ThreatFox - Nanocore RAT
let malicious_hashes = dynamic(["ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303", "0b8b5c278750f6e4a14fde3495cd403eddb9f2bc"]);
DeviceFileEvents
| where SHA256 in (malicious_hashes) or SHA1 in (malicious_hashes) or MD5 in (malicious_hashes)
| project Timestamp, DeviceName, FileName, FolderPath, SHA256, InitiatingProcessFileName
| order by Timestamp desc
"#;

const SEED_DOMAINS: &str = r#"let malicious_domains = dynamic(["www.mobile1.com", "spapro.co.com", "www.shbet.id", "moocow.my"]);
DnsEvents
| where Name has_any (malicious_domains)
| project TimeGenerated, Computer, Name, IPAddresses, QueryType
| order by TimeGenerated desc
"#;

#[test]
fn seed_query_hashes() {
    let query = parse_ok(SEED_HASHES);
    assert_eq!(query.lets.len(), 1);
    assert_eq!(query.lets[0].name.name, "malicious_hashes");
    assert_eq!(
        sexpr(let_expr(&query.lets[0].value)),
        r#"[String("ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303"), String("0b8b5c278750f6e4a14fde3495cd403eddb9f2bc")]"#
    );
    assert_eq!(query.table().unwrap().name, "DeviceFileEvents");
    assert_eq!(query.table().unwrap().span.line, 4);
    let [Operator::Where { predicate, .. }, project, Operator::OrderBy { keys, .. }] = query.body.operators.as_slice()
    else {
        panic!("{:?}", query.body.operators);
    };
    assert_eq!(
        sexpr(predicate),
        "(or (or (in SHA256 [malicious_hashes]) (in SHA1 [malicious_hashes])) \
         (in MD5 [malicious_hashes]))"
    );
    assert_eq!(
        columns(project),
        [
            "Timestamp",
            "DeviceName",
            "FileName",
            "FolderPath",
            "SHA256",
            "InitiatingProcessFileName"
        ]
    );
    let ProjectColumn { name, expr, .. } = match project {
        Operator::Project { columns, .. } => &columns[0],
        _ => unreachable!(),
    };
    assert_eq!((name, &expr.kind), (&None, &ExprKind::Name("Timestamp".into())));
    assert_eq!(keys.len(), 1);
    assert_eq!(sexpr(&keys[0].expr), "Timestamp");
    assert_eq!((keys[0].direction, keys[0].nulls), (Some(Direction::Desc), None));
}

#[test]
fn seed_query_domains() {
    let query = parse_ok(SEED_DOMAINS);
    assert_eq!(query.lets[0].name.name, "malicious_domains");
    assert_eq!(
        sexpr(let_expr(&query.lets[0].value)),
        r#"[String("www.mobile1.com"), String("spapro.co.com"), String("www.shbet.id"), String("moocow.my")]"#
    );
    assert_eq!(query.table().unwrap().name, "DnsEvents");
    let [Operator::Where { predicate, .. }, project, Operator::OrderBy { keys, .. }] = query.body.operators.as_slice()
    else {
        panic!("{:?}", query.body.operators);
    };
    assert_eq!(sexpr(predicate), "(has_any Name [malicious_domains])");
    assert_eq!(
        columns(project),
        ["TimeGenerated", "Computer", "Name", "IPAddresses", "QueryType"]
    );
    assert_eq!(sexpr(&keys[0].expr), "TimeGenerated");
    assert_eq!(keys[0].direction, Some(Direction::Desc));
}

#[test]
fn precedence_and_grouping() {
    let cases = [
        (
            r#"a == "x" or b == "y" and c == "z""#,
            r#"(or (== a String("x")) (and (== b String("y")) (== c String("z"))))"#,
        ),
        (
            r#"(a == "x" or b == "y") and c == "z""#,
            r#"(and (or (== a String("x")) (== b String("y"))) (== c String("z")))"#,
        ),
        ("a and b and c", "(and (and a b) c)"),
        ("a or b or c", "(or (or a b) c)"),
        ("a < 1 and b > 2 or c", "(or (and (< a Long(1)) (> b Long(2))) c)"),
        (
            "not(a has 'x') and isnotempty(b)",
            r#"(and not((has a String("x"))) isnotempty(b))"#,
        ),
        ("x in~ (a, 'b') or y", r#"(or (in~ x [a, String("b")]) y)"#),
        ("Timestamp > ago(7d)", "(> Timestamp ago(TimeSpan(6048000000000)))"),
        ("now()", "now()"),
        (
            "strcat(a, 'b', 1) == 'x'",
            r#"(== strcat(a, String("b"), Long(1)) String("x"))"#,
        ),
        ("['Column name'] == 1", "(== Column name Long(1))"),
        (r#"["Column name"] == 1"#, "(== Column name Long(1))"),
        (
            "x in (dynamic(['a', ['b']]), y)",
            r#"(in x [[String("a"), [String("b")]], y])"#,
        ),
    ];
    for (source, expected) in cases {
        assert_eq!(sexpr(&predicate(source)), expected, "{source}");
    }
}

#[test]
fn every_binary_operator() {
    let string = |test, case_sensitive, negated| {
        BinaryOp::String(StringOp {
            test,
            case_sensitive,
            negated,
        })
    };
    let in_op = |case_sensitive, negated| BinaryOp::In {
        case_sensitive,
        negated,
    };
    use StringTest::*;
    let cases = [
        ("==", BinaryOp::Compare(Comparison::Eq)),
        ("!=", BinaryOp::Compare(Comparison::NotEq)),
        ("<>", BinaryOp::Compare(Comparison::NotEq)),
        ("<", BinaryOp::Compare(Comparison::Lt)),
        ("<=", BinaryOp::Compare(Comparison::Le)),
        (">", BinaryOp::Compare(Comparison::Gt)),
        (">=", BinaryOp::Compare(Comparison::Ge)),
        ("=~", string(Equals, false, false)),
        ("!~", string(Equals, false, true)),
        ("has", string(Has, false, false)),
        ("!has", string(Has, false, true)),
        ("has_cs", string(Has, true, false)),
        ("!has_cs", string(Has, true, true)),
        ("contains", string(Contains, false, false)),
        ("!contains", string(Contains, false, true)),
        ("contains_cs", string(Contains, true, false)),
        ("!contains_cs", string(Contains, true, true)),
        ("startswith", string(StartsWith, false, false)),
        ("!startswith", string(StartsWith, false, true)),
        ("startswith_cs", string(StartsWith, true, false)),
        ("!startswith_cs", string(StartsWith, true, true)),
        ("endswith", string(EndsWith, false, false)),
        ("!endswith", string(EndsWith, false, true)),
        ("endswith_cs", string(EndsWith, true, false)),
        ("!endswith_cs", string(EndsWith, true, true)),
        ("in", in_op(true, false)),
        ("!in", in_op(true, true)),
        ("in~", in_op(false, false)),
        ("!in~", in_op(false, true)),
        ("has_any", BinaryOp::HasAny),
        ("has_all", BinaryOp::HasAll),
        ("and", BinaryOp::And),
        ("or", BinaryOp::Or),
    ];
    for (text, expected) in cases {
        let takes_list = matches!(expected, BinaryOp::In { .. } | BinaryOp::HasAny | BinaryOp::HasAll);
        let right = if takes_list { "('v', w)" } else { "'v'" };
        let expr = predicate(&format!("Col {text} {right}"));
        let ExprKind::Binary { op, left, right } = &expr.kind else {
            panic!("{text}: {expr:?}");
        };
        assert_eq!(*op, expected, "{text}");
        assert_eq!(op.to_string(), text.replace("<>", "!="), "{text}");
        assert_eq!(left.kind, ExprKind::Name("Col".into()), "{text}");
        let expected_right = if takes_list {
            r#"[String("v"), w]"#
        } else {
            r#"String("v")"#
        };
        assert_eq!(sexpr(right), expected_right, "{text}");
    }
}

#[test]
fn literals() {
    let cases = [
        (r#""a\"b\\c\n""#, Literal::String("a\"b\\c\n".into())),
        (r"'it\'s'", Literal::String("it's".into())),
        (r#"@"C:\Temp\""#, Literal::String(r"C:\Temp\".into())),
        (r#"h"secret""#, Literal::String("secret".into())),
        (r#"h@'C:\x'"#, Literal::String(r"C:\x".into())),
        (r#""a" 'b' @"c""#, Literal::String("abc".into())),
        ("42", Literal::Long(42)),
        ("-5", Literal::Long(-5)),
        ("- 5", Literal::Long(-5)),
        ("+5", Literal::Long(5)),
        ("-9223372036854775808", Literal::Long(i64::MIN)),
        ("1.5", Literal::Real(1.5)),
        ("-2.5e1", Literal::Real(-25.0)),
        ("true", Literal::Bool(true)),
        ("false", Literal::Bool(false)),
        ("7d", Literal::TimeSpan(7 * DAY)),
        ("-1d", Literal::TimeSpan(-DAY)),
        ("timespan(1d)", Literal::TimeSpan(DAY)),
        ("-time(1d)", Literal::TimeSpan(-DAY)),
        ("datetime(1970-01-02)", Literal::DateTime(DAY)),
        ("datetime(null)", Literal::Null),
        ("dynamic(null)", Literal::Null),
        ("dynamic('x')", Literal::String("x".into())),
        ("dynamic(5)", Literal::Long(5)),
        ("dynamic(-1.5)", Literal::Real(-1.5)),
        ("dynamic(true)", Literal::Bool(true)),
        ("long(5)", Literal::Long(5)),
        ("int(-3)", Literal::Long(-3)),
        ("long(null)", Literal::Null),
        ("real(2)", Literal::Real(2.0)),
        ("double(1.5)", Literal::Real(1.5)),
        ("bool(true)", Literal::Bool(true)),
    ];
    for (source, expected) in cases {
        let query = parse_ok(&format!("let x = {source};\nT"));
        let value = let_expr(&query.lets[0].value);
        assert_eq!(value.kind, ExprKind::Literal(expected), "{source}");
        let span_text = &format!("let x = {source};\nT")[value.span.start..value.span.end];
        assert_eq!(span_text, source, "span of {source}");
    }
}

#[test]
fn dynamic_arrays_nest() {
    let query = parse_ok(r#"let x = dynamic(["a", 1, -2, 1.5, true, null, [], ["b", [3d]]]); T"#);
    assert_eq!(
        sexpr(let_expr(&query.lets[0].value)),
        r#"[String("a"), Long(1), Long(-2), Real(1.5), Bool(true), Null, [], [String("b"), [TimeSpan(2592000000000)]]]"#
    );
    // Adjacent literals join, whether or not a lone one comes before or after them; each
    // element keeps its own span.
    let source = r#"let x = dynamic(["a" 'b', "c", h"d", "e" "f"]); T"#;
    let query = parse_ok(source);
    let list = let_expr(&query.lets[0].value);
    assert_eq!(sexpr(list), r#"[String("ab"), String("c"), String("d"), String("ef")]"#);
    let ExprKind::List(items) = &list.kind else {
        panic!("{list:?}")
    };
    let spans: Vec<&str> = items.iter().map(|i| &source[i.span.start..i.span.end]).collect();
    assert_eq!(spans, [r#""a" 'b'"#, r#""c""#, r#"h"d""#, r#""e" "f""#]);
    let scalar = parse_ok("let n = 5; let s = 'x'; let t = ago(1h); let c = n; T");
    let values: Vec<String> = scalar.lets.iter().map(|l| sexpr(let_expr(&l.value))).collect();
    assert_eq!(values, ["Long(5)", r#"String("x")"#, "ago(TimeSpan(36000000000))", "n"]);
}

#[test]
fn operators_and_their_clauses() {
    let query = parse_ok(
        "T\n| filter a\n| project X = tolower(a), ['b c'], d\n\
         | sort by a asc nulls first, b nulls last, c desc\n| take 10\n| limit 0;",
    );
    assert_eq!(query.body.operators.len(), 5);
    assert_eq!(columns(&query.body.operators[1]), ["X", "b c", "d"]);
    let Operator::OrderBy { keys, .. } = &query.body.operators[2] else {
        panic!("{:?}", query.body.operators[2]);
    };
    let clauses: Vec<_> = keys.iter().map(|k| (sexpr(&k.expr), k.direction, k.nulls)).collect();
    assert_eq!(
        clauses,
        [
            ("a".to_string(), Some(Direction::Asc), Some(Nulls::First)),
            ("b".to_string(), None, Some(Nulls::Last)),
            ("c".to_string(), Some(Direction::Desc), None),
        ]
    );
    let counts: Vec<_> = query.body.operators[3..]
        .iter()
        .map(|op| match op {
            Operator::Take { count, .. } => sexpr(count),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(counts, ["Long(10)", "Long(0)"]);
    assert!(parse_ok("T").body.operators.is_empty());
    assert_eq!(parse_ok("T;").table().unwrap().name, "T");
}

#[test]
fn errors_name_the_problem_and_its_position() {
    let cases = [
        (
            "T\n| where a == 1\n| make-series count() on t step 1h",
            "3:3: unsupported operator `make-series`",
        ),
        ("T\n|  fork (take 1)", "2:4: unsupported operator `fork`"),
        ("T | project a,", "1:15: expected an expression, found end of query"),
        (
            "T | Where a",
            "1:5: unsupported operator `Where` (operator names are case-sensitive: did you mean `where`?)",
        ),
        ("let x = 1;\nT | where a == \"abc", "2:16: unterminated string literal"),
        (
            "T\n| where a == 1\n| where (x > 1 | take 5",
            "3:16: expected `)` to close `(` opened at 3:9, found `|`",
        ),
        (
            "T | where (a",
            "1:13: expected `)` to close `(` opened at 1:11, found end of query",
        ),
        (
            "T | where f(a, b",
            "1:17: expected `,` or `)` to close `(` opened at 1:12, found end of query",
        ),
        ("T | where a)", "1:12: expected `|` or end of query, found `)`"),
        (
            "| where a",
            "1:1: expected a table name or a tabular expression, found `|`",
        ),
        (
            "",
            "1:1: expected a tabular expression after the `let` statements, found end of query",
        ),
        (
            "// only a comment\n",
            "2:1: expected a tabular expression after the `let` statements, found end of query",
        ),
        (
            "let x = 1;",
            "1:11: expected a tabular expression after the `let` statements, found end of query",
        ),
        (
            "(T | take 1",
            "1:12: expected `|` or `)` to close `(` opened at 1:1, found end of query",
        ),
        ("T | take", "1:9: expected an expression, found end of query"),
        (
            "T | where t > datetime(2024-02-30)",
            "1:24: invalid datetime literal `2024-02-30`",
        ),
        (
            "T | where a between (1, 2)",
            "1:23: expected `..` between the bounds, found `,`",
        ),
        (
            "T | where a has_any_cs ('x')",
            "1:13: unsupported operator `has_any_cs`",
        ),
        (
            "T | where a contains_any ('x')",
            "1:13: unsupported operator `contains_any`",
        ),
        ("T | where a like 'x'", "1:13: unsupported operator `like`"),
        ("T | where a HAS 'x'", "1:13: expected `|` or end of query, found `HAS`"),
        ("T | where a = 1", "1:13: expected `==` to compare, found `=`"),
        ("T | where a. == 1", "1:12: expected `|` or end of query, found `.`"),
        (
            "T | where a[0 == 1",
            "1:19: expected `]` to close `[` opened at 1:12, found end of query",
        ),
        (
            "T | where !isempty(a)",
            "1:11: expected an expression, found `!isempty`; `!` only negates operators, use `not(...)`",
        ),
        (
            "T | order Timestamp",
            "1:11: expected `by` after `order`, found `Timestamp`",
        ),
        (
            "T | sort by a nulls",
            "1:20: expected `first` or `last` after `nulls`, found end of query",
        ),
        ("T | project", "1:12: expected an expression, found end of query"),
        ("let x = 5\nT", "2:1: expected `;` after the `let` statement, found `T`"),
        ("let = 5; T", "1:5: expected a name after `let`, found `=`"),
        ("let x 5; T", "1:7: expected `=` after `let x`, found `5`"),
        (
            "let f = (a: string) { a ; T",
            "1:27: expected `}` to close `{` opened at 1:21, found `T`",
        ),
        ("T | where a in 'x'", "1:16: expected `(` after `in`, found `'x'`"),
        ("T | where a has_any x", "1:21: expected `(` after `has_any`, found `x`"),
        ("T | where a in ('x',)", "1:21: expected an expression, found `)`"),
        (
            "T | where x == dynamic(['a', ])",
            "1:30: expected a value (string, number, bool, null or `[...]`), found `]`",
        ),
        (
            "T | where x == dynamic({'a' 1})",
            "1:29: expected `:` after the property name, found `1`",
        ),
        (
            "T | where x == dynamic(['a' 1])",
            "1:29: expected `,` or `]` to close `[` opened at 1:24, found `1`",
        ),
        (
            "T | where x == long(1.5)",
            "1:21: expected an integer or `null` inside `long(...)`, found `1.5`",
        ),
        (
            "T | where x == bool(1)",
            "1:21: expected `true`, `false` or `null` inside `bool(...)`, found `1`",
        ),
        (
            "T | where x == 9223372036854775808",
            "1:16: integer literal `9223372036854775808` is out of range",
        ),
        (
            "T | where x == -9223372036854775809",
            "1:16: integer literal `9223372036854775809` is out of range",
        ),
        ("set querytrace; T", "1:1: unsupported statement `set`"),
        ("find in (T) where x", "1:1: unsupported operator `find`"),
        ("T | evaluate", "1:13: expected a function name, found end of query"),
        (
            "externaldata(x: string) [5]",
            "1:26: expected a URL string or `]` to close `[` opened at 1:25, found `5`",
        ),
        ("T | where x\nU", "2:1: expected `|` or end of query, found `U`"),
        (
            "T | where a has 'x' | ",
            "1:23: expected an operator name after `|`, found end of query",
        ),
        (
            "T | where x == 1 | 5",
            "1:20: expected an operator name after `|`, found `5`",
        ),
        (
            "T | where x 'a very long string literal that goes on and on'",
            "1:13: expected `|` or end of query, found `'a very long string literal that goes on…`",
        ),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|&(query, expected)| {
            let got = match parse(query) {
                Ok(_) => "parsed without error".to_string(),
                Err(error) => error.to_string(),
            };
            (got != expected).then(|| format!("{query:?}\n  got:      {got}\n  expected: {expected}"))
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Several tabular statements: after `;`, or after a blank line (comments aside), as Kusto's
/// editors separate the queries of a file; each statement's `let`s see the earlier ones.
#[test]
fn several_statements() {
    let query = parse_ok("let a = 1;\nT | where x == a;\nlet b = 2;\nU | where y == b\n\n// next\n\nV | take 1");
    assert_eq!(query.body.operators.len(), 1);
    let tables: Vec<String> = query
        .more
        .iter()
        .map(|(lets, body)| {
            let names: Vec<&str> = lets.iter().map(|l| l.name.name.as_str()).collect();
            format!("{names:?} {}", sexpr_source(&body.source))
        })
        .collect();
    assert_eq!(tables, [r#"["b"] U"#, "[] V"]);
    let error = parse("T | where x\n// no blank line\nU").err().map(|e| e.to_string());
    assert_eq!(error.as_deref(), Some("3:1: expected `|` or end of query, found `U`"));
}

fn sexpr_source(source: &Source) -> String {
    match source {
        Source::Name(name) => name.name.clone(),
        other => format!("{other:?}"),
    }
}

#[test]
fn spans_on_a_crlf_query() {
    let text = "let x = 1;\r\n// comment\r\nDeviceFileEvents\r\n| where FileName =~ \"a.exe\"\r\n    and x == 1\r\n| take 5\r\n";
    let query = parse_ok(text);
    let at = |span: Span| (span.line, span.column, &text[span.start..span.end]);
    assert_eq!(at(query.lets[0].name.span), (1, 5, "x"));
    assert_eq!(at(let_expr(&query.lets[0].value).span), (1, 9, "1"));
    assert_eq!(at(query.table().unwrap().span), (3, 1, "DeviceFileEvents"));
    let [Operator::Where { predicate, span }, take] = query.body.operators.as_slice() else {
        panic!("{:?}", query.body.operators);
    };
    let predicate_text = "FileName =~ \"a.exe\"\r\n    and x == 1";
    assert_eq!(at(*span), (4, 3, &*format!("where {predicate_text}")));
    assert_eq!(at(predicate.span), (4, 9, predicate_text));
    let ExprKind::Binary { left, right, .. } = &predicate.kind else {
        panic!("{predicate:?}");
    };
    assert_eq!(at(left.span), (4, 9, "FileName =~ \"a.exe\""));
    assert_eq!(at(right.span), (5, 9, "x == 1"));
    let ExprKind::Binary { right: literal, .. } = &left.kind else {
        panic!("{left:?}");
    };
    assert_eq!(at(literal.span), (4, 21, "\"a.exe\""));
    assert_eq!(at(take.span()), (6, 3, "take 5"));
    let error = parse("T\r\n| where a ==\r\n  | take 1").err();
    assert_eq!(
        error.map(|e| e.to_string()),
        Some("3:3: expected an expression, found `|`".into())
    );
}

#[test]
fn corpus_samples() {
    let cases: [(&str, &str, Result<usize, &str>); 7] = [
        ("ZLoader", ZLOADER_BAT, Ok(1)),
        ("robbinhood", ROBBINHOOD_DRIVER, Ok(2)),
        ("jscript", JSCRIPT_CREATION, Ok(2)),
        ("dell driver", DELL_DRIVER, Ok(2)),
        ("Nighthawk", NIGHTHAWK_RAT, Ok(2)),
        ("reverse DNS", HIGH_REVERSE_DNS, Ok(3)),
        ("file types", FILE_TYPES, Ok(5)),
    ];
    for (name, text, expected) in cases {
        let got = parse(text).map(|q| q.body.operators.len()).map_err(|e| e.to_string());
        assert_eq!(got, expected.map_err(str::to_string), "{name}");
    }
    let query = parse_ok(DELL_DRIVER);
    let Operator::Where { predicate, .. } = &query.body.operators[1] else {
        panic!("{:?}", query.body.operators);
    };
    let expected = r#"(has_any FolderPath [String("C:\\Windows\\Temp\\"), String("C:\\Temp\\")])"#;
    assert_eq!(sexpr(predicate), expected);
}

#[test]
fn hostile_input_is_an_error_not_a_crash() {
    let deep_parens = format!("T | where {}a{}", "(".repeat(100_000), ")".repeat(100_000));
    let deep_arrays = format!("let x = dynamic({}); T", "[".repeat(100_000));
    let long_chain = format!("T | where a{}", " or a".repeat(100_000));
    for query in [deep_parens, deep_arrays, long_chain] {
        let error = parse(&query).err().map(|e| e.message).unwrap_or_default();
        assert!(error.contains("too deep"), "{error}");
    }
    let chain = format!("T | where a{}", " or a".repeat(MAX_TREE_DEPTH as usize - 1));
    assert!(parse(&chain).is_ok());
    // Every prefix of a real query: each either parses or fails cleanly.
    for text in [SEED_HASHES, SEED_DOMAINS, FILE_TYPES, JSCRIPT_CREATION] {
        for (end, _) in text.char_indices() {
            let _ = parse(&text[..end]);
        }
    }
}

// Real corpus queries (shared/kql-corpus), verbatim.
const ZLOADER_BAT: &str = r##"// source: https://github.com/microsoft/Microsoft-365-Defender-Hunting-Queries/blob/efa17a600b43c897b4b7463cc8541daa1987eeb4/Campaigns/ZLoader/Malicious bat file.md  (block 0)
DeviceFileEvents
| where FileName endswith '.bat'
and FolderPath has @'Program Files (x86)\Sun Technology Network\Oracle Java SE'
"##;

const ROBBINHOOD_DRIVER: &str = r##"// source: https://github.com/microsoft/Microsoft-365-Defender-Hunting-Queries/blob/efa17a600b43c897b4b7463cc8541daa1987eeb4/Campaigns/robbinhood-driver.md  (block 0)
DeviceFileEvents 
| where Timestamp > ago(7d) 
| where SHA1 in('0b15b5cc64caf0c6ad9bd759eb35383b1f718edf3d7ab4cd912d0d8c1826edf8', 
'31f4cfb4c71da44120752721103a16512444c13c2ac2d857a7e6f13cb679b427')
"##;

const JSCRIPT_CREATION: &str = "// source: https://github.com/microsoft/Microsoft-365-Defender-Hunting-Queries/blob/efa17a600b43c897b4b7463cc8541daa1987eeb4/Delivery/detect-jscript-file-creation.md  (block 0)\n\
\u{200B}// Creation of any .jse file, including legitimate and malicious ones \n\
DeviceFileEvents \n\
| where Timestamp > ago(7d)\n\
| where FileName endswith \".jse\"\n\
";

const DELL_DRIVER: &str = r##"// source: https://github.com/microsoft/Microsoft-365-Defender-Hunting-Queries/blob/efa17a600b43c897b4b7463cc8541daa1987eeb4/Privilege escalation/dell-driver-vulnerability-2021.md  (block 0)
DeviceFileEvents 
| where SHA256 in ("0296e2ce999e67c76352613a718e11516fe1b0efc3ffdb8918fc999dd76a73a5","ddbf5ecca5c8086afde1fb4f551e9e6400e94f4428fe7fb5559da5cffa654cc1","552c297d6d7992f8b95287ac6e16f2169b6e629cb6ae0ee42036f093c36142d4","4c727e430fb72f6942768cd1662b4aefda32f10bde43c7232da6713bb5c98bc0","87e38e7aeaaaa96efe1a74f59fca8371de93544b7af22862eb0e574cec49c7c3")
| where FolderPath has_any (@"C:\Windows\Temp\",@"C:\Temp\")
"##;

const NIGHTHAWK_RAT: &str = r##"// source: https://github.com/Bert-JanP/Hunting-Queries-Detection-Rules/blob/7a0d998584dfab5872dc32b9ecd6c215a30c0ad7/Threat Hunting/IOC - NighthawkRat.md  (block 0)
let NighthawkRat = dynamic(['0551ca07f05c2a8278229c1dc651a2b1273a39914857231b075733753cb2b988', '9a57919cc5c194e28acd62719487c563a8f0ef1205b65adbe535386e34e418b8', '38881b87826f184cc91559555a3456ecf00128e01986a9df36a72d60fb179ccf', 'f3bba2bfd4ed48b5426e36eba3b7613973226983a784d24d7a20fcf9df0de74e', 'b775a8f7629966592cc7727e2081924a7d7cf83edd7447aa60627a2b67d87c94']);
DeviceFileEvents
| where SHA256 in (NighthawkRat)
| project Timestamp, DeviceName, FileName, FolderPath, InitiatingProcessCommandLine
"##;

const HIGH_REVERSE_DNS: &str = r##"// source: Azure/Azure-Sentinel Solutions/Windows Server DNS/Hunting Queries/DNS_HighReverseDNSCount.yaml (id fda90754-4e22-4bb1-8b99-2bb49a991eae)
let threshold = 10;
DnsEvents
| where Name has "in-addr.arpa" 
| summarize StartTime = min(TimeGenerated), EndTime = max(TimeGenerated), NameCount = dcount(Name), Names = make_set(Name,100), EventCount = count() by ClientIP
| where NameCount > threshold
"##;

const FILE_TYPES: &str = r##"// source: https://github.com/Bert-JanP/Hunting-Queries-Detection-Rules/blob/7a0d998584dfab5872dc32b9ecd6c215a30c0ad7/Defender For Endpoint/Visualizations/Visualization - FileTypes.md  (block 0)
let TimeFrame = 7d;
DeviceFileEvents
| where Timestamp > ago(TimeFrame)
| extend FileType = tostring(parse_json(AdditionalFields).FileType)
| where isnotempty(FileType)
| summarize Total = count() by FileType
| render piechart with(title="FileTypes used")
"##;

/// A `dynamic([...])` of string literals is read by the lexer as one token; the parser must make
/// of it exactly what it makes of the list read token by token: the same tree and spans, or the
/// same error at the same place. Lists the lexer does not take whole (other values, adjacent
/// literals, a trailing comma, broken strings) fall back to the tokens, with the same outcome.
#[test]
fn string_lists_read_whole_parse_as_token_by_token() {
    let by_tokens = |query: &str| -> Result<Query, ParseError> {
        let tokens = lexer::tokenize_each(query)?;
        Parser::new(query, tokens).parse_query()
    };
    let whole = |query: &str| {
        lexer::tokenize(query).map(|tokens| tokens.iter().any(|t| matches!(t.kind, TokenKind::StrList(_))))
    };
    let cases: &[(&str, bool)] = &[
        (r#"let x = dynamic(["a", "b"]); T | where A in (x)"#, true),
        (r#"let x = dynamic(["a"]); T"#, true),
        (
            "let x = dynamic(\r\n  [\"a\",\r\n   \"b\\\"q\", // a comment\r\n   \"\\u00e9\\t\" ]\r\n); T",
            true,
        ),
        (r#"let x = dynamic([ "é", "日本", "" ,"x"]); T"#, true),
        (
            r#"T | where A in (dynamic(["a", "b"])) | where B has_any (dynamic(["c"]))"#,
            true,
        ),
        (r#"let x = dynamic([]); T"#, false),
        (r#"let x = dynamic(["a", 1]); T"#, false),
        (r#"let x = dynamic(["a" "b", "c"]); T"#, false),
        (r#"let x = dynamic(["a", 'b']); T"#, false),
        (r#"let x = dynamic(["a", h"b"]); T"#, false),
        (r#"let x = dynamic(["a", @"b\"]); T"#, false),
        (r#"let x = dynamic(["a", ["b"]]); T"#, false),
        (r#"let x = dynamic(["a",]); T"#, false),
        (r#"let x = dynamic(["a" "b"]); T"#, false),
        (r#"let x = dynamic(["a", "b"); T"#, false),
        ("let x = dynamic([\"a\", \"b\n\"]); T", false),
        (r#"let x = dynamic(["a\q", "b"]); T"#, false),
        (r#"let x = dynamic(["a", "b"]; T"#, true),
        (r#"let x = dynamic(["a", "b"], 1); T"#, true),
        (r#"let x = dynamic(["a", "b"]["c", "d"]); T"#, true),
        (r#"let x = dynamic(["a", "b"]) ["c", "d"]; T"#, true),
        (r#"let x = pack_array(["a", "b"]); T"#, false),
        (r#"let x = Dynamic(["a", "b"]); T"#, false),
        (r#"datatable(a: string) ["a", "b"]"#, false),
        (r#"T | extend y = dynamic({"k": ["a", "b"]})"#, false),
    ];
    for &(query, taken_whole) in cases {
        assert_eq!(parse(query), by_tokens(query), "{query}");
        let packed = crate::kql::parse_packed(query);
        if let Ok((_, false)) = packed {
            assert_eq!(packed.clone().map(|(q, _)| q), parse(query), "{query}: nothing packed");
        }
        assert_eq!(packed.map(|(q, _)| unpacked(q)), parse(query), "{query}");
        if let Ok(listed) = whole(query) {
            assert_eq!(listed, taken_whole, "{query}");
        }
    }
    // Many random lists of strings with escapes, spaces, newlines and comments between them.
    let mut random = crate::testing::XorShift::new(0x9e37_79b9_7f4a_7c15);
    let mut next = |n: u64| random.next_u64() % n;
    let pieces = ["a", "é", "\\\"", "\\\\", "\\n", "\\u0041", "|", "'", "//", " ", "0f"];
    let gaps = ["", " ", "\n", "\r\n  ", " // note\n", "\t"];
    for _ in 0..500 {
        let mut list = String::new();
        for item in 0..1 + next(6) {
            if item > 0 {
                list.push_str(gaps[next(gaps.len() as u64) as usize]);
                list.push(',');
            }
            list.push_str(gaps[next(gaps.len() as u64) as usize]);
            list.push('"');
            for _ in 0..next(5) {
                list.push_str(pieces[next(pieces.len() as u64) as usize]);
            }
            list.push('"');
        }
        let query = format!(
            "let x = dynamic([{list}{}]);\nT | where A in (x)",
            gaps[next(gaps.len() as u64) as usize]
        );
        assert_eq!(parse(&query), by_tokens(&query), "{query}");
        assert_eq!(whole(&query), Ok(true), "{query}");
        let (packed, packs) = crate::kql::parse_packed(&query).expect("parses");
        assert!(packs, "{query}");
        let Some(LetValue::Expr(Expr {
            kind: ExprKind::Strings(list),
            ..
        })) = packed.lets.first().map(|l| &l.value)
        else {
            panic!("the list is not packed: {query}");
        };
        assert!(!list.is_empty(), "{query}");
        assert_eq!(Ok(unpacked(packed)), parse(&query), "{query}");
    }
}

/// A query of `parse_packed` with its packed lists as `parse` gives them, where the cases above
/// put them: `let` values and `where` predicates (a packed list left elsewhere fails the
/// comparison).
fn unpacked(mut query: Query) -> Query {
    fn expr(e: &mut Expr) {
        match &mut e.kind {
            ExprKind::Strings(list) => e.kind = ExprKind::List(list.exprs()),
            ExprKind::List(items) | ExprKind::Call { args: items, .. } => items.iter_mut().for_each(expr),
            ExprKind::Binary { left, right, .. } => {
                expr(left);
                expr(right);
            }
            _ => {}
        }
    }
    for statement in &mut query.lets {
        if let LetValue::Expr(value) = &mut statement.value {
            expr(value);
        }
    }
    for operator in &mut query.body.operators {
        if let Operator::Where { predicate, .. } = operator {
            expr(predicate);
        }
    }
    query
}
