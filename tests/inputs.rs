//! Inputs as they arrive: compressed, on standard input, broken in the ways real exports break.
//! Each case runs the real binary and checks both the results that must survive and the
//! message that names what went wrong.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const RULE: &str =
    "DnsEvents\n| where Name has_any (\"moocow.my\")\n| project TimeGenerated, Name\n| order by TimeGenerated asc\n";

fn dns(name: &str, second: u32) -> String {
    format!("{{\"TimeGenerated\":\"2026-05-27T08:00:{second:02}Z\",\"Name\":\"{name}\",\"Type\":\"DnsEvents\"}}\n")
}

/// `count` records, every tenth a result.
fn export(count: u32) -> String {
    (0..count)
        .map(|i| dns(if i % 10 == 0 { "a.moocow.my" } else { "www.bing.com" }, i % 60))
        .collect()
}

struct Case {
    dir: tempfile::TempDir,
    rule: PathBuf,
}

impl Case {
    fn new() -> Case {
        let dir = tempfile::tempdir().unwrap();
        let rule = dir.path().join("moo.kql");
        std::fs::write(&rule, RULE).unwrap();
        Case { dir, rule }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn scan(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_loghunt"));
        command
            .args(["scan", "-r", self.rule.to_str().unwrap(), "--format", "jsonl"])
            .args(args);
        command.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        if let Some(bytes) = stdin {
            child.stdin.take().unwrap().write_all(bytes).unwrap();
        }
        child.wait_with_output().unwrap()
    }
}

fn results(output: &Output) -> usize {
    String::from_utf8_lossy(&output.stdout).lines().count()
}

/// The result rows, without the file they came from.
fn rows(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["row"].clone())
        .collect()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn gzip_zstd_and_multi_member_gzip_read_like_plain_text() {
    let case = Case::new();
    let text = export(300);
    let plain = case.write("plain.jsonl", &text);
    let expected = case.scan(&[arg(&plain)], None);
    assert_eq!(expected.status.code(), Some(1));
    assert_eq!(results(&expected), 30);

    let gz = case.write("a/export.json.gz", gzip(text.as_bytes()));
    // `cat a.gz b.gz`: two members, one stream.
    let (first, second) = text.split_at(text.len() / 2);
    let members = case.write(
        "b/export.jsonl",
        [gzip(first.as_bytes()), gzip(second.as_bytes())].concat(),
    );
    let zst = case.write("c/export.log", zstd::stream::encode_all(text.as_bytes(), 3).unwrap());
    for path in [gz, members, zst] {
        let output = case.scan(&[arg(&path)], None);
        assert_eq!(rows(&output), rows(&expected), "{}", path.display());
        assert_eq!(results(&output), 30, "{}", path.display());
        assert!(
            stderr(&output).contains("records: 300 read = 30 matched"),
            "{}",
            stderr(&output)
        );
    }
}

#[test]
fn a_truncated_gzip_member_keeps_what_came_before_and_fails_the_run() {
    let case = Case::new();
    let bytes = gzip(export(5000).as_bytes());
    let cut = case.write("cut.json.gz", &bytes[..bytes.len() * 2 / 3]);
    let output = case.scan(&[arg(&cut)], None);
    assert_eq!(
        output.status.code(),
        Some(2),
        "a file not fully read: exit 2 even with results"
    );
    let found = results(&output);
    assert!(
        found > 100 && found < 500,
        "the records before the cut are scanned: {found}"
    );
    let err = stderr(&output);
    assert!(err.contains("files not fully read: 1"), "{err}");
    assert!(err.contains(&format!("{}: read error", cut.display())), "{err}");
}

#[test]
fn standard_input_is_dash() {
    let case = Case::new();
    let text = export(50);
    let output = case.scan(&["-"], Some(text.as_bytes()));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(results(&output), 5);
    let output = case.scan(&["-"], Some(&gzip(text.as_bytes())));
    assert_eq!(results(&output), 5, "compressed standard input too");
}

#[test]
fn strict_makes_malformed_records_an_error() {
    let case = Case::new();
    let logs = case.write(
        "logs.jsonl",
        format!("{}{{not json}}\n{}", dns("a.moocow.my", 1), dns("b.moocow.my", 2)),
    );
    let lenient = case.scan(&[arg(&logs)], None);
    assert_eq!(lenient.status.code(), Some(1));
    let strict = case.scan(&["--strict", arg(&logs)], None);
    assert_eq!(strict.status.code(), Some(2));
    assert_eq!(results(&strict), 2, "the other records are still scanned and printed");
}

#[cfg(unix)]
#[test]
fn a_dangling_symlink_in_a_walked_directory_is_reported_and_the_rest_scanned() {
    let case = Case::new();
    case.write("logs/a.jsonl", export(20));
    std::os::unix::fs::symlink(case.path("nowhere.jsonl"), case.path("logs/b.jsonl")).unwrap();
    case.write("logs/c.jsonl", export(20));
    let output = case.scan(&[arg(&case.path("logs"))], None);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(results(&output), 4);
    let err = stderr(&output);
    assert!(err.contains("b.jsonl") && err.contains("cannot read"), "{err}");
}

#[test]
fn a_huge_single_line_is_one_record_read_in_bounded_passes() {
    let case = Case::new();
    // A 20 MB record between two ordinary ones; the padding is a column no rule reads.
    let padding = "x".repeat(20 << 20);
    let big = format!("{{\"TimeGenerated\":\"2026-05-27T08:00:30Z\",\"Name\":\"big.moocow.my\",\"Type\":\"DnsEvents\",\"Message\":\"{padding}\"}}\n");
    let logs = case.write(
        "big.jsonl",
        format!("{}{big}{}", dns("a.moocow.my", 1), dns("c.moocow.my", 59)),
    );
    let output = case.scan(&["--chunk-size", "65536", arg(&logs)], None);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(results(&output), 3);
}

/// The storage-account form of the Defender streaming API: envelope records as CRLF JSON lines
/// in `.../PT1H.json`; the table comes from `category`, the row from `properties`.
#[test]
fn defender_streaming_records_in_json_lines_are_unwrapped() {
    let case = Case::new();
    let envelope = |category: &str, properties: &str| {
        format!(
            "{{\"time\":\"2026-06-20T10:00:00.0000000Z\",\"tenantId\":\"t\",\"operationName\":\"Publish\",\
             \"category\":\"AdvancedHunting-{category}\",\"properties\":{properties}}}\r\n"
        )
    };
    let ioc = "ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303";
    let text = [
        envelope("DeviceFileEvents", &format!("{{\"Timestamp\":\"2026-06-20T10:00:00Z\",\"SHA256\":\"{ioc}\",\"FileName\":\"a.exe\",\"DeviceName\":null}}")),
        envelope("DeviceFileEvents", "{\"Timestamp\":\"2026-06-20T10:00:01Z\",\"SHA256\":\"00\",\"FileName\":\"b.exe\"}"),
        // The same hash in another table's row is not a DeviceFileEvents result.
        envelope("DeviceProcessEvents", &format!("{{\"Timestamp\":\"2026-06-20T10:00:02Z\",\"SHA256\":\"{ioc}\"}}")),
        envelope("DeviceLogonEvents", "{\"Timestamp\":\"2026-06-20T10:00:03Z\"}"),
    ]
    .concat();
    let logs = case.write("y=2026/m=06/d=20/h=10/m=00/PT1H.json", text);
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    for prefilter in [&[][..], &["--no-prefilter"]] {
        let output = Command::new(env!("CARGO_BIN_EXE_loghunt"))
            .args(["scan", "-r", arg(&rules), "--format", "jsonl"])
            .args(prefilter)
            .arg(arg(&logs))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        let rows = rows(&output);
        assert_eq!(rows.len(), 1, "{prefilter:?}");
        assert_eq!(rows[0]["FileName"], "a.exe");
        assert_eq!(rows[0]["DeviceName"], "", "a null string reads as empty");
        let err = stderr(&output);
        assert!(err.contains("DeviceFileEvents: 2 records (scanned)"), "{err}");
        assert!(
            err.contains("DeviceProcessEvents: 1 records (skipped: no rule reads this table)"),
            "{err}"
        );
        assert!(
            err.contains("DeviceLogonEvents: 1 records (skipped: no rule reads this table)"),
            "{err}"
        );
    }
}

/// Log Analytics data exports may deliver a record twice: both copies are results (Sentinel
/// would return both), and the summary counts the copies.
#[test]
fn exact_duplicates_are_kept_and_counted() {
    let case = Case::new();
    let a = dns("a.moocow.my", 1);
    let b = dns("b.example.com", 2);
    let first = case.write("y=2026/m=05/d=27/h=08/m=00/PT05M.json", format!("{a}{b}"));
    let second = case.write("y=2026/m=05/d=27/h=08/m=05/PT05M.json", format!("{a}{b}{a}"));
    let output = case.scan(&[arg(first.parent().unwrap().parent().unwrap())], None);
    let _ = second;
    assert_eq!(results(&output), 3, "every copy is a result");
    let err = stderr(&output);
    assert!(
        err.contains("records: 5 read = 3 matched + 2 not matched + 0 malformed"),
        "{err}"
    );
    assert!(
        err.contains("of which 3 are exact copies of an earlier record"),
        "{err}"
    );
}

/// CSV exports that cannot say their time zone or date order are told on the command line, and
/// say so when they had to guess.
#[test]
fn csv_time_zone_and_date_order_options() {
    let case = Case::new();
    let rule = case.write(
        "window.kql",
        "DnsEvents\n| where TimeGenerated >= datetime(2026-03-02T10:00:00Z) and TimeGenerated < datetime(2026-03-02T11:00:00Z)\n| project TimeGenerated, Name\n",
    );
    // 02/03/2026 is 2 March day-first, 3 February month-first; 12:30 local at UTC+02:00 is
    // 10:30 UTC.
    let logs = case.write(
        "DnsEvents-export.csv",
        "TimeGenerated [Local Time],Name,QueryType\r\n\"02/03/2026, 12:30:00.000\",a.example,A\r\n",
    );
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_loghunt"))
            .args(["scan", "-r", arg(&rule), "--format", "jsonl"])
            .args(extra)
            .arg(arg(&logs))
            .output()
            .unwrap()
    };
    let told = run(&["--tz", "+02:00", "--day-first"]);
    assert_eq!(results(&told), 1, "{}", stderr(&told));
    assert_eq!(rows(&told)[0]["TimeGenerated"], "2026-03-02T10:30:00Z");
    assert!(!stderr(&told).contains("warnings:"), "{}", stderr(&told));
    let month_first = run(&["--tz", "+02:00", "--month-first"]);
    assert_eq!(results(&month_first), 0, "3 February is outside the window");
    let guessed = run(&[]);
    assert_eq!(results(&guessed), 0, "read as UTC 12:30: outside the window");
    let err = stderr(&guessed);
    assert!(err.contains("warnings:") && err.contains("pass --tz"), "{err}");
    let bad = run(&["--tz", "noon"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("--tz: `noon` is not a UTC offset"),
        "{}",
        stderr(&bad)
    );
}
