//! Tests of the CSV reader, on the real portal exports in `tests/fixtures/csv/`.

use std::io::{BufReader, Cursor};

use serde_json::{json, Value as Json};

use super::*;
use crate::time::parse_datetime;

const MDE: &str = "Microsoft_M365 Defender for Endpoint_ProcessEvent_IngestedLogs.csv";
const M365: &str = "M365_ProcessEvents_InesgtedLogs.csv";
const AZFW: &str = "Microsoft_AzureFirewall_AZFWDnsQuery_IngestedLogs.csv";
const FORTINET: &str = "Fortinet_FortiGate_Dns_IngestedLogs.csv";
const DEFENDER: &str = "DeviceFileEvents_defender_portal.csv";
const AMBIGUOUS: &str = "cannot tell day/month order of dates like `11/9/2025, 3:46:34.034 PM`; read as month-first \
                         (use --day-first or --month-first)";
const LOCAL: &str = "values in `[Local Time]` columns are read as UTC; pass --tz to say the export's UTC offset";

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/csv")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Read {
    records: Vec<BuiltRecord>,
    issues: Vec<Issue>,
    warnings: Vec<String>,
    batches: usize,
}

/// Reads everything; `buffer` is the source's read size (1 splits every token across reads).
fn read_with(bytes: &[u8], options: CsvOptions, max_bytes: usize, buffer: usize) -> Read {
    let source = BufReader::with_capacity(buffer, Cursor::new(bytes.to_vec()));
    let mut reader = CsvReader::new(Box::new(source), options);
    let mut read = Read {
        records: Vec::new(),
        issues: Vec::new(),
        warnings: Vec::new(),
        batches: 0,
    };
    while let Some(batch) = reader.next_records(max_bytes) {
        let (records, issues) = batch.expect("no I/O error");
        read.batches += 1;
        read.records.extend(records);
        read.issues.extend(issues);
        read.warnings.extend(reader.warnings());
    }
    read
}

fn read(bytes: &[u8], options: CsvOptions) -> Read {
    read_with(bytes, options, 1 << 20, 8192)
}

fn row(r: &BuiltRecord) -> serde_json::Map<String, Json> {
    match serde_json::from_str(&r.json) {
        Ok(Json::Object(map)) => map,
        other => panic!("not an object: {other:?}"),
    }
}

/// The options of `--tz` and of `--day-first` (`Some(true)`) or `--month-first` (`Some(false)`).
fn options(utc_offset_minutes: Option<i32>, day_first: Option<bool>) -> CsvOptions {
    CsvOptions {
        utc_offset_minutes,
        date_order: day_first.map(|d| if d { DateOrder::DayFirst } else { DateOrder::MonthFirst }),
    }
}

#[test]
fn fixtures_read_every_row_with_plain_column_names() {
    for (name, rows, first_line) in [
        (MDE, 46, 2),
        (M365, 10, 2),
        (AZFW, 50, 2),
        (FORTINET, 21, 2),
        (DEFENDER, 4, 2),
    ] {
        let bytes = fixture(name);
        let all = read(&bytes, CsvOptions::default());
        assert_eq!(all.records.len(), rows, "{name}");
        assert!(all.issues.is_empty(), "{name}: {:?}", all.issues);
        assert_eq!(all.records[0].line, first_line, "{name}");
        for r in &all.records {
            let fields = row(r);
            assert!(
                fields.keys().all(|k| !k.contains('[') && !k.is_empty()),
                "{name}: {fields:?}"
            );
            let time = fields
                .get("TimeGenerated")
                .or(fields.get("Timestamp"))
                .and_then(Json::as_str);
            assert!(
                time.and_then(parse_datetime).is_some(),
                "{name} line {}: {time:?}",
                r.line
            );
            assert!(r.table.is_none());
        }
        for pair in all.records.windows(2) {
            assert!(pair[0].offset < pair[1].offset && pair[0].line < pair[1].line, "{name}");
        }
        // A batch limit of one byte and one-byte reads change nothing but the batching.
        let tiny = read_with(&bytes, CsvOptions::default(), 1, 1);
        assert_eq!(tiny.records, all.records, "{name}");
        assert_eq!(tiny.batches, rows, "{name}: one row per batch");
    }
}

#[test]
fn first_rows_are_exact() {
    let azfw = read(&fixture(AZFW), CsvOptions::default());
    let expected = json!({
        "TenantId": "11111111-2222-3333-4444-555555555555",
        "TimeGenerated": "2025-11-21T19:45:18.0766240Z",
        "SourceIp": "192.168.0.5", "SourcePort": "62241", "QueryId": "65237", "QueryType": "AAAA",
        "QueryClass": "IN", "QueryName": "test-workspace-001.ods.opinsights.azure.com.", "Protocol": "udp",
        "RequestSize": "90", "DnssecOkBit": "0", "EDNS0BufferSize": "1232", "ResponseCode": "NOERROR",
        "ResponseFlags": "qr,aa,rd,ra", "ResponseSize": "380", "RequestDurationSecs": "0.000133101",
        "ErrorNumber": "0", "Type": "AZFWDnsQuery",
        "_ResourceId": "/subscriptions/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/resourcegroups/westus2/providers/microsoft.network/azurefirewalls/test-lab-wus2-fw-01"
    });
    assert_eq!(
        azfw.records[0].json,
        expected.to_string(),
        "column order kept, empty fields left out"
    );
    assert_eq!((azfw.records[0].line, azfw.records[0].offset), (2, 288));

    let defender = read(&fixture(DEFENDER), CsvOptions::default());
    let expected = json!({
        "Timestamp": "2024-10-09T14:56:53Z",
        "DeviceId": "4a1c9e0d5b7f2a36c8e1d0f9b2a7c6e5d4f3a2b1", "DeviceName": "web-01.contoso.local",
        "ActionType": "FileCreated", "FileName": "spapro.sh",
        "FolderPath": "/home/bob/Downloads/report \"Q3\", final/spapro.sh",
        "SHA1": "0ccc9c75f6fa836104b081c6258351e654a15a3a",
        "SHA256": "b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c", "FileSize": "4096",
        "InitiatingProcessCommandLine": "/usr/bin/curl -o \"spapro.sh\" https://spapro.co.com/x",
        "ReportId": "1201"
    });
    assert_eq!(defender.records[0].json, expected.to_string());
    assert_eq!(defender.records[0].offset, 141, "after the BOM and the CRLF header");

    let mde = read(&fixture(MDE), CsvOptions::default());
    let first = row(&mde.records[0]);
    for (column, value) in [
        ("TimeGenerated", "2026-03-26T15:18:18.7900000Z"),
        ("Timestamp", "2026-03-26T15:18:18.7900000Z"),
        ("AdditionalFields", r#"{"uniqueEventsAggregated":2}"#),
        ("ProcessCommandLine", "\"SenseNdr.exe\" -"),
        ("IsProcessRemoteSession", "FALSE"),
        ("Type", "DeviceProcessEvents"),
    ] {
        assert_eq!(first.get(column).and_then(Json::as_str), Some(value), "{column}");
    }
    assert!(!first.contains_key("AccountName"), "empty fields are left out");
}

#[test]
fn date_order_is_inferred_per_file() {
    // (file, options, column, first value, warnings)
    let cases: [(&str, CsvOptions, &str, &str, &[&str]); 7] = [
        (
            MDE,
            options(None, None),
            "Timestamp",
            "2026-03-26T15:18:18.7900000Z",
            &[],
        ),
        (
            M365,
            options(None, None),
            "Timestamp",
            "2023-10-25T09:43:21.9940000Z",
            &[LOCAL],
        ),
        (
            FORTINET,
            options(None, None),
            "TimeGenerated",
            "2025-11-09T15:46:34.0340000Z",
            &[AMBIGUOUS],
        ),
        (
            FORTINET,
            options(None, Some(true)),
            "TimeGenerated",
            "2025-09-11T15:46:34.0340000Z",
            &[],
        ),
        // `--tz` shifts local columns only; `[UTC]` columns stay.
        (
            M365,
            options(Some(120), None),
            "Timestamp",
            "2023-10-25T07:43:21.9940000Z",
            &[],
        ),
        (
            MDE,
            options(Some(-300), None),
            "Timestamp",
            "2026-03-26T15:18:18.7900000Z",
            &[],
        ),
        // The Defender portal writes its own time zone setting, which `--tz` states.
        (
            DEFENDER,
            options(Some(-300), None),
            "Timestamp",
            "2024-10-09T19:56:53Z",
            &[],
        ),
    ];
    for (name, options, column, value, warnings) in cases {
        let read = read(&fixture(name), options);
        let first = row(&read.records[0]);
        assert_eq!(
            first.get(column).and_then(Json::as_str),
            Some(value),
            "{name} {options:?}"
        );
        assert_eq!(read.warnings, warnings, "{name} {options:?}");
    }
    let mde = read(&fixture(MDE), CsvOptions::default());
    let creation = row(&mde.records[41]);
    assert_eq!(
        creation["InitiatingProcessParentCreationTime"],
        "2026-03-25T12:44:59.3300000Z"
    );
}

#[test]
fn evidence_later_in_the_first_batch_or_in_later_batches() {
    let text = "Host,EventTime [UTC]\nh1,\"01/02/2025, 10:00:00 AM\"\nh2,\"13/02/2025, 10:00:00 AM\"\n";
    let times = |read: &Read| -> Vec<String> {
        read.records
            .iter()
            .map(|r| row(r)["EventTime"].as_str().unwrap_or("").to_string())
            .collect()
    };
    // All in one batch: the second row proves day-first for the first.
    let one = read(text.as_bytes(), CsvOptions::default());
    assert_eq!(times(&one), ["2025-02-01T10:00:00Z", "2025-02-13T10:00:00Z"]);
    assert!(one.warnings.is_empty(), "{:?}", one.warnings);
    // A row per batch: the first is read month-first (AM/PM) with a warning, then the order flips.
    let split = read_with(text.as_bytes(), CsvOptions::default(), 1, 64);
    assert_eq!(times(&split), ["2025-01-02T10:00:00Z", "2025-02-13T10:00:00Z"]);
    assert_eq!(split.warnings.len(), 2, "{:?}", split.warnings);
    assert!(split.warnings[1].contains("line 3") && split.warnings[1].contains("read as month-first"));
    // A given order is never overturned: what does not fit stays text.
    let given = read(text.as_bytes(), options(None, Some(false)));
    assert_eq!(times(&given), ["2025-01-02T10:00:00Z", "13/02/2025, 10:00:00 AM"]);
    assert_eq!(given.warnings.len(), 1);
    // A 24-hour clock does not prove an order; without AM/PM, day-first is assumed.
    let text = "Host,EventTime [UTC]\nh1,\"01/02/2025, 15:00:00\"\n";
    let plain = read(text.as_bytes(), CsvOptions::default());
    assert_eq!(times(&plain), ["2025-02-01T15:00:00Z"]);
    assert_eq!(plain.warnings.len(), 1);
    assert!(plain.warnings[0].contains("read as day-first"));
}

#[test]
fn datetime_formats_and_twelve_hour_edges() {
    let column = |header: &str| super::column(header);
    let cases = [
        ("Timestamp", "Oct 9, 2024 2:56:53 PM", Some("2024-10-09T14:56:53Z")),
        (
            "Timestamp",
            "October 10, 2024 12:00:00 AM",
            Some("2024-10-10T00:00:00Z"),
        ),
        ("Timestamp", "Sep 1, 2024 12:30:05 PM", Some("2024-09-01T12:30:05Z")),
        (
            "Timestamp",
            "Dec 31, 2024 11:59:59.5 PM",
            Some("2024-12-31T23:59:59.5000000Z"),
        ),
        ("T [UTC]", "11/9/2025, 12:00:00 AM", Some("2025-11-09T00:00:00Z")),
        ("T [UTC]", "11/9/2025, 12:59 PM", Some("2025-11-09T12:59:00Z")),
        ("T [UTC]", "11/9/2025, 0:10:00 AM", None),
        ("T [UTC]", "11/9/2025, 13:10:00 PM", None),
        ("T [UTC]", "2/30/2025, 1:00:00 PM", None),
        ("T [UTC]", "3.26.2026 15:18:18", Some("2026-03-26T15:18:18Z")),
        ("Timestamp", "Sept 9, 2024 2:56:53 PM", Some("2024-09-09T14:56:53Z")),
        ("Timestamp", "Oc 9, 2024 2:56:53 PM", None),
        (
            "TimeGenerated",
            "2024-10-09T14:56:53.123Z",
            Some("2024-10-09T14:56:53.1230000Z"),
        ),
        (
            "TimeGenerated",
            "2025-11-21 19:45:18.0766240",
            Some("2025-11-21T19:45:18.0766240Z"),
        ),
        ("TimeGenerated", "yesterday", None),
        ("TimeGenerated", "1699544793", None),
    ];
    for (header, value, expected) in cases {
        let got = utc_ticks(&column(header), value, DateOrder::MonthFirst, None).map(|(t, _)| format_datetime(t));
        assert_eq!(got.as_deref(), expected, "{header}: {value}");
    }
    // A value with its own zone ignores `--tz`; a local one without a zone takes it.
    let local = column("Timestamp [Local Time]");
    assert_eq!(
        utc_ticks(&local, "2024-10-09T14:56:53Z", DateOrder::MonthFirst, Some(60)).map(|t| t.0),
        parse_datetime("2024-10-09T14:56:53Z")
    );
    assert_eq!(
        utc_ticks(&local, "2024-10-09 14:56:53", DateOrder::MonthFirst, Some(60)).map(|t| t.0),
        parse_datetime("2024-10-09T13:56:53Z")
    );
    let names = [
        "TimeGenerated [UTC]",
        "\u{20}Timestamp [Local Time] ",
        "ReceiptTime",
        "DeviceTimeZone",
        "x [y]",
    ];
    let parsed: Vec<_> = names
        .iter()
        .map(|h| column(h))
        .map(|c| (c.name, c.zone, c.datetime))
        .collect();
    assert_eq!(
        parsed,
        [
            ("TimeGenerated".to_string(), Zone::Utc, true),
            ("Timestamp".to_string(), Zone::Local, true),
            ("ReceiptTime".to_string(), Zone::Unmarked, true),
            ("DeviceTimeZone".to_string(), Zone::Unmarked, false),
            ("x [y]".to_string(), Zone::Unmarked, false),
        ]
    );
}

#[test]
fn multi_line_fields_keep_line_numbers_and_offsets() {
    let bytes = fixture(DEFENDER);
    let read = read(&bytes, CsvOptions::default());
    let lines: Vec<u64> = read.records.iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 3, 4, 6], "the third row spans lines 4 and 5");
    for r in &read.records {
        assert!(bytes[r.offset as usize..].starts_with(b"\"Oct") || bytes[r.offset as usize..].starts_with(b"\"Nov"));
    }
    let third = row(&read.records[2]);
    assert_eq!(
        third["InitiatingProcessCommandLine"],
        "powershell.exe -NoProfile -Command \"$u = 'https://cdn.example.net/a'\r\nInvoke-WebRequest $u -OutFile invoice.ps1\""
    );
    assert_eq!(third["Timestamp"], "2024-10-10T12:30:05Z");
    assert_eq!(row(&read.records[1])["AdditionalFields"], r#"{"FileType":"Text"}"#);
}

#[test]
fn malformed_rows_are_issues_and_reading_goes_on() {
    let bytes = fixture("malformed.csv");
    for (max_bytes, buffer) in [(1 << 20, 8192), (1, 1)] {
        let read = read_with(&bytes, CsvOptions::default(), max_bytes, buffer);
        let issues: Vec<_> = read
            .issues
            .iter()
            .map(|i| (i.line, i.message.as_str(), i.is_record))
            .collect();
        assert_eq!(
            issues,
            [
                (3, "row has 5 fields, the header has 4", true),
                (4, "invalid UTF-8 at byte 32 of the row (file offset 151)", true),
                (8, "a quoted field is not closed by the end of the file", true),
            ]
        );
        assert_eq!(read.issues[0].offset, 79);
        let rows: Vec<_> = read.records.iter().map(|r| (r.line, row(r))).collect();
        let files: Vec<_> = rows
            .iter()
            .map(|(l, r)| (*l, r.get("FileName").and_then(Json::as_str)))
            .collect();
        assert_eq!(
            files,
            [(2, Some("a.exe")), (5, None), (7, Some("d.exe"))],
            "short rows are read"
        );
        assert_eq!(rows[1].1["DeviceName"], "dev-1");
    }
}

#[test]
fn runaway_quotes_are_cut_and_reading_resumes_on_the_next_line() {
    let mut text = String::from("a,b\n1,\"open\n");
    for i in 0..10 {
        text.push_str(&format!("{i},x\n"));
    }
    let source = BufReader::with_capacity(4, Cursor::new(text.into_bytes()));
    let mut reader = CsvReader::new(Box::new(source), CsvOptions::default());
    reader.max_row_bytes = 24;
    let (mut records, mut issues) = (Vec::new(), Vec::new());
    while let Some(batch) = reader.next_records(1) {
        let (r, i) = batch.expect("no I/O error");
        records.extend(r);
        issues.extend(i);
    }
    assert_eq!(issues.len(), 1);
    assert_eq!((issues[0].line, issues[0].offset), (2, 4));
    let lines: Vec<u64> = records.iter().map(|r| r.line).collect();
    assert_eq!(lines, (3..=12).collect::<Vec<_>>());
    assert_eq!(records[0].offset, 12);
    assert_eq!(records[0].json, r#"{"a":"0","b":"x"}"#);
}

#[test]
fn bom_crlf_quoted_headers_and_empty_files() {
    let text = b"\xEF\xBB\xBF\"Name\",\"Time [UTC]\"\r\n\"a,b\",\"2024-01-01 00:00:00\"\r\n\r\nc,\r\n";
    for buffer in [1, 2, 3, 4, 8192] {
        let read = read_with(text, CsvOptions::default(), 1 << 20, buffer);
        let json: Vec<_> = read
            .records
            .iter()
            .map(|r| (r.line, r.offset, r.json.as_str()))
            .collect();
        assert_eq!(
            json,
            [
                (2, 24, r#"{"Name":"a,b","Time":"2024-01-01T00:00:00Z"}"#),
                (4, 55, r#"{"Name":"c"}"#)
            ],
            "buffer {buffer}"
        );
    }
    for empty in [&b""[..], b"\xEF\xBB\xBF", b"\n\n", b"a,b\r\n", b"a,b"] {
        let mut reader = CsvReader::new(Box::new(Cursor::new(empty.to_vec())), CsvOptions::default());
        assert!(reader.next_records(1 << 20).is_none(), "{empty:?}");
        assert!(reader.next_records(1 << 20).is_none());
    }
    let mut reader = CsvReader::new(Box::new(Cursor::new(b"\"a,b\n".to_vec())), CsvOptions::default());
    let header = reader.next_records(100).and_then(Result::ok).map(|(_, issues)| issues);
    assert!(
        header.is_some_and(|i| i.len() == 1 && !i[0].is_record),
        "a broken header: the file is not read"
    );
}

#[test]
fn csv_is_told_from_other_formats_by_its_header() {
    let head = |name: &str| fixture(name).into_iter().take(300).collect::<Vec<u8>>();
    for name in [MDE, M365, AZFW, FORTINET, DEFENDER] {
        assert!(looks_like_csv(&head(name)), "{name}");
    }
    let yes: [&[u8]; 3] = [b"a,b\n", b"\"TimeGenerated [Local Time]\",Computer\r\n1,2", b"_x,,y,z"];
    let no: [&[u8]; 8] = [
        b"",
        b"Timestamp\n",
        b"{\"a\":1,\"b\":2}\n",
        b"[{\"a\":1},{\"b\":2}]",
        b"Hello world, this is a log\n",
        b"2024-01-01 12:00:00,INFO,started\n",
        b"a,b c\n",
        b"1a,b\n",
    ];
    for head in yes {
        assert!(looks_like_csv(head), "{}", String::from_utf8_lossy(head));
    }
    for head in no {
        assert!(!looks_like_csv(head), "{}", String::from_utf8_lossy(head));
    }
}

#[test]
fn read_errors_come_after_the_rows_before_them() {
    struct Failing(Cursor<Vec<u8>>);
    impl std::io::Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(io::Error::other("disk gone")),
                n => Ok(n),
            }
        }
    }
    let source = Failing(Cursor::new(b"a,a\n1,2\n3,4".to_vec()));
    let mut reader = CsvReader::new(Box::new(BufReader::new(source)), CsvOptions::default());
    let first = reader.next_records(1 << 20).and_then(Result::ok).map(|(r, _)| r);
    assert_eq!(first.map(|r| r.len()), Some(1));
    assert!(reader.warnings()[0].contains("`a` appears twice"));
    assert!(matches!(reader.next_records(1 << 20), Some(Err(e)) if e.to_string() == "disk gone"));
    assert!(reader.next_records(1 << 20).is_none());
}

/// The dialect, case by case: what each tricky row reads as, at every buffer size.
#[test]
fn tricky_rows_read_as_the_portals_mean_them() {
    // (file, [(line, offset, record JSON)], [(line, offset, issue)])
    type Case = (
        &'static [u8],
        &'static [(u64, u64, &'static str)],
        &'static [(u64, u64, &'static str)],
    );
    let cases: [Case; 14] = [
        (
            b"a,b\n\"x \"\"y\"\", z\",1\n",
            &[(2, 4, r#"{"a":"x \"y\", z","b":"1"}"#)],
            &[],
        ),
        // Text after a closing quote, and a stray quote, are kept literally.
        (b"a,b\n\"x\"y,a\"b\"\n", &[(2, 4, r#"{"a":"xy","b":"a\"b\""}"#)], &[]),
        // A CR ends a line only before LF; inside quotes a CRLF is text.
        (
            b"a,b\r\n\"1\r\n2\",x\ry\r\n3,\"z\"\r",
            &[(2, 5, r#"{"a":"1\r\n2","b":"x\ry"}"#), (4, 17, r#"{"a":"3","b":"z"}"#)],
            &[],
        ),
        // Blank lines, LF or CRLF, are skipped and still counted; an empty quoted field is empty.
        (
            b"\n\r\na,b\n\n1,\"\"\r\n\r\n\n2,3",
            &[(5, 8, r#"{"a":"1"}"#), (8, 17, r#"{"a":"2","b":"3"}"#)],
            &[],
        ),
        // One BOM is stripped; a second is text.
        (
            b"\xEF\xBB\xBF\xEF\xBB\xBFa,b\n1,2\n",
            &[(2, 10, "{\"\u{feff}a\":\"1\",\"b\":\"2\"}")],
            &[],
        ),
        // UTF-8 is checked on the row as written: a quote between two halves of `é` does not
        // join them.
        (
            b"a,b\n\"\xC3\"\xA9,1\n\xC3\xA9,2\n",
            &[(3, 11, r#"{"a":"é","b":"2"}"#)],
            &[(2, 4, "invalid UTF-8 at byte 1 of the row (file offset 5)")],
        ),
        (
            b"a,b\n1,2,3\n4\n",
            &[(3, 10, r#"{"a":"4"}"#)],
            &[(2, 4, "row has 3 fields, the header has 2")],
        ),
        (
            b"a,b\n1,2\n\"3,\n4\n",
            &[(2, 4, r#"{"a":"1","b":"2"}"#)],
            &[(3, 8, "a quoted field is not closed by the end of the file")],
        ),
        (b"a,b\n,\n, \n", &[(3, 6, r#"{"b":" "}"#)], &[]),
        (b"\"a\nb\",c\n1,2\n", &[(3, 8, "{\"a\\nb\":\"1\",\"c\":\"2\"}")], &[]),
        (b"a,,b\n1,2,3\n", &[(2, 5, r#"{"a":"1","b":"3"}"#)], &[]),
        (b"a\n1\n", &[(2, 2, r#"{"a":"1"}"#)], &[]),
        (
            b"a,b\n\"\"\"\",\"\"\"\"\"\"\n",
            &[(2, 4, r#"{"a":"\"","b":"\"\""}"#)],
            &[],
        ),
        (
            b"a,b\n\"x\"\"\n",
            &[],
            &[(2, 4, "a quoted field is not closed by the end of the file")],
        ),
    ];
    for (file, records, issues) in cases {
        for buffer in [1, 2, 3, 8192] {
            let read = read_with(file, CsvOptions::default(), 1 << 20, buffer);
            let got: Vec<_> = read
                .records
                .iter()
                .map(|r| (r.line, r.offset, r.json.as_str()))
                .collect();
            assert_eq!(got, records, "{:?} buffer {buffer}", String::from_utf8_lossy(file));
            let got: Vec<_> = read
                .issues
                .iter()
                .map(|i| (i.line, i.offset, i.message.as_str()))
                .collect();
            assert_eq!(got, issues, "{:?} buffer {buffer}", String::from_utf8_lossy(file));
        }
    }
}
