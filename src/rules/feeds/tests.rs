//! Unit tests of the pure parts: normalisation, defanging, shape guessing, CSV splitting, STIX
//! patterns and JSON repair. Whole feeds are tested in `tests/feeds.rs`.

use super::normalise::guess;
use super::stix::parse_pattern;
use super::*;

#[test]
fn refang_restores_defanged_values() {
    let cases = [
        ("hxxp://evil[.]com/a", "http://evil.com/a"),
        ("hXXps[://]evil(.)com", "https://evil.com"),
        ("fxp://files{.}evil[dot]com", "ftp://files.evil.com"),
        ("1.2.3[.]4[:]443", "1.2.3.4:443"),
        ("moocow[.]my", "moocow.my"),
        ("user[@]evil.com", "user@evil.com"),
        ("plain.example", "plain.example"),
        ("hxxpfoo.com", "hxxpfoo.com"),
    ];
    for (defanged, expected) in cases {
        assert_eq!(refang(defanged), expected, "{defanged}");
    }
}

#[test]
fn normalise_as_sentinel_expects() {
    let ok = [
        (
            IocKind::Sha256,
            "EF0E9301403D58A4729AAA9CD81ABF942B1C8A301A651B1512BC2B5D9E599303",
            IocKind::Sha256,
            "ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303",
        ),
        (
            IocKind::Md5,
            " 93E61D5A877BBB937E885D3CA385AC8A ",
            IocKind::Md5,
            "93e61d5a877bbb937e885d3ca385ac8a",
        ),
        (IocKind::Domain, "MooCow.MY.", IocKind::Domain, "moocow.my"),
        (IocKind::Domain, "www[.]shbet[.]id", IocKind::Domain, "www.shbet.id"),
        (IocKind::Domain, "10.0.0.1", IocKind::Ip { port: None }, "10.0.0.1"),
        (
            IocKind::Ip { port: None },
            "185.215.113.66:4782",
            IocKind::Ip { port: Some(4782) },
            "185.215.113.66",
        ),
        (
            IocKind::Ip { port: None },
            "[2001:DB8::1]:443",
            IocKind::Ip { port: Some(443) },
            "2001:db8::1",
        ),
        (
            IocKind::Ip { port: None },
            "2001:DB8:0:0::1",
            IocKind::Ip { port: None },
            "2001:db8::1",
        ),
        (
            IocKind::Url,
            "HXXP://Evil.COM/Payload.EXE?A=B",
            IocKind::Url,
            "http://evil.com/Payload.EXE?A=B",
        ),
        (
            IocKind::Url,
            "https://user@Host.Example:8080/x",
            IocKind::Url,
            "https://user@host.example:8080/x",
        ),
    ];
    for (kind, raw, expected_kind, expected) in ok {
        assert_eq!(normalise(kind, raw), Ok((expected_kind, expected.to_string())), "{raw}");
    }
    let bad = [
        (
            IocKind::Md5,
            "93e61d5a877bbb937e885d3ca385ac8",
            "has 31 hex digits, not 32",
        ),
        (
            IocKind::Sha1,
            "zz8b5c278750f6e4a14fde3495cd403eddb9f2bc",
            "not hex digits",
        ),
        (IocKind::Domain, "evil com", "character ` `"),
        (IocKind::Domain, "a..b", "empty label"),
        (IocKind::Ip { port: None }, "1.2.3.4:99999", "port `99999`"),
        (IocKind::Ip { port: None }, "300.1.1.1", "not an IP address"),
        (IocKind::Url, "http:///path", "no host"),
        (IocKind::Url, "", "empty url"),
    ];
    for (kind, raw, expected) in bad {
        let why = normalise(kind, raw).expect_err(raw);
        assert!(why.contains(expected), "{raw}: {why}");
    }
}

#[test]
fn guess_tells_the_kind_from_the_shape() {
    let cases = [
        ("93e61d5a877bbb937e885d3ca385ac8a", Ok(IocKind::Md5)),
        ("0b8b5c278750f6e4a14fde3495cd403eddb9f2bc", Ok(IocKind::Sha1)),
        (
            "ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303",
            Ok(IocKind::Sha256),
        ),
        ("moocow.my", Ok(IocKind::Domain)),
        ("1.2.3.4", Ok(IocKind::Ip { port: None })),
        ("1.2.3.4:80", Ok(IocKind::Ip { port: None })),
        ("http://x.example/a", Ok(IocKind::Url)),
        ("evil.example/drop.exe", Ok(IocKind::Url)),
        ("deadbeefdeadbeefdead", Err("20 hex digits")),
        ("localhost", Err("cannot tell")),
        ("1.2.3", Err("cannot tell")),
    ];
    for (value, expected) in cases {
        match (guess(value), expected) {
            (Ok(kind), Ok(expected)) => assert_eq!(kind, expected, "{value}"),
            (Err(why), Err(expected)) => assert!(why.contains(expected), "{value}: {why}"),
            (got, expected) => panic!("{value}: got {got:?}, expected {expected:?}"),
        }
    }
}

#[test]
fn csv_split_handles_abuse_ch_quoting() {
    let cases = [
        (r#""a", "b,c", "d""e""#, vec!["a", "b,c", "d\"e"]),
        (r#""1","2026-06-20","http://x/""#, vec!["1", "2026-06-20", "http://x/"]),
        ("a,b , c", vec!["a", "b", "c"]),
        (r#""a",,"c""#, vec!["a", "", "c"]),
    ];
    for (line, expected) in cases {
        assert_eq!(csv::split(line).unwrap(), expected, "{line}");
    }
    assert!(csv::split(r#""a", "b"#).unwrap_err().contains("not closed"));
    assert!(csv::split(r#""a"x, "b""#).is_err());
}

#[test]
fn stix_patterns_in_and_out_of_the_subset() {
    let ok: &[(&str, &[(IocKind, &str)])] = &[
        ("[file:hashes.'SHA-256' = 'abc']", &[(IocKind::Sha256, "abc")]),
        (
            "[file:hashes.MD5='m' OR file:hashes.'SHA-1' = 's']",
            &[(IocKind::Md5, "m"), (IocKind::Sha1, "s")],
        ),
        (
            "[domain-name:value = 'moocow.my'] OR [ipv4-addr:value = '1.2.3.4']",
            &[(IocKind::Domain, "moocow.my"), (IocKind::Ip { port: None }, "1.2.3.4")],
        ),
        ("[url:value = 'http://x/it\\'s']", &[(IocKind::Url, "http://x/it's")]),
    ];
    for (pattern, expected) in ok {
        let expected: Vec<(IocKind, String)> = expected.iter().map(|(k, v)| (*k, v.to_string())).collect();
        assert_eq!(parse_pattern(pattern), Ok(expected), "{pattern}");
    }
    let bad = [
        ("[file:hashes.'SHA-256' = 'a' AND file:name = 'x.exe']", "`AND`"),
        ("[domain-name:value = 'a'] FOLLOWEDBY [url:value = 'b']", "`FOLLOWEDBY`"),
        ("[domain-name:value = 'a'] WITHIN 5 SECONDS", "`WITHIN`"),
        ("[process:name = 'evil.exe']", "`process:name`"),
        ("[domain-name:value LIKE '%.evil']", "operator `LIKE`"),
        ("[ipv4-addr:value = '10.0.0.0/8']", "network range"),
        ("[domain-name:value != 'a']", "operator `!=`"),
        ("[url:value = 'http://x", "not closed"),
        ("domain-name:value = 'a'", "expected `[`"),
    ];
    for (pattern, expected) in bad {
        let why = parse_pattern(pattern).expect_err(pattern);
        assert!(why.contains(expected), "{pattern}: {why}");
    }
}

#[test]
fn feed_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Feed>();
    assert_send_sync::<FeedError>();
}
