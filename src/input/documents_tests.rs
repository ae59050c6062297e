//! Tests of the document readers, on the fixtures in `tests/fixtures/api/`.

use serde_json::{json, Map, Value as Json};

use super::*;
use crate::encoding::BOM;
use crate::schema::ColumnType;
use crate::testing::{api_fixture as fixture, API_FIXTURES as FIXTURES};
use crate::value::Value;

fn parse(text: &[u8]) -> Json {
    serde_json::from_slice(text.strip_prefix(BOM).unwrap_or(text)).expect("test document parses")
}

/// Recognises and reads a document given as text.
fn read(text: &[u8]) -> (Vec<BuiltRecord>, Vec<Issue>) {
    let document = parse(text);
    let shape = shape_of(&document).expect("a known shape");
    records(&document, text, shape)
}

#[test]
fn shapes_are_recognised_and_near_shapes_are_not() {
    let cases: &[(&str, Option<Shape>)] = &[
        (r#"{"records":[]}"#, Some(Shape::DefenderEnvelope)),
        (r#"{"records":[{"category":"x"}]}"#, Some(Shape::DefenderEnvelope)),
        (r#"{"records":5}"#, None),
        (r#"{"records":{"category":"AdvancedHunting-DeviceFileEvents"}}"#, None),
        (r#"{"Schema":[],"Results":[]}"#, Some(Shape::AdvancedHunting)),
        (
            r#"{"schema":[],"results":[],"@odata.context":"x"}"#,
            Some(Shape::AdvancedHunting),
        ),
        (r#"{"Results":[{"FileName":"a"}]}"#, None),
        (r#"{"Schema":[],"Results":{}}"#, None),
        (r#"{"tables":[]}"#, Some(Shape::LogAnalytics)),
        (
            r#"{"tables":[{"name":"PrimaryResult","columns":[],"rows":[]}]}"#,
            Some(Shape::LogAnalytics),
        ),
        (r#"{"tables":{}}"#, None),
        (r#"{"error":{"code":"BadArgumentError","message":"bad query"}}"#, None),
        (
            r#"[{"FrameType":"DataSetHeader","Version":"v2.0"}]"#,
            Some(Shape::AdxFrames),
        ),
        (r#"[{"FrameType":5}]"#, None),
        (r#"[]"#, None),
        (r#"[{"Timestamp":"2024-06-20T10:14:07Z","FileName":"a.exe"}]"#, None),
        (
            r#"{"Timestamp":"2024-06-20T10:14:07Z","FileName":"a.exe","Type":"DeviceFileEvents"}"#,
            None,
        ),
        (r#""records""#, None),
        ("null", None),
        ("42", None),
    ];
    for (text, expected) in cases {
        assert_eq!(shape_of(&parse(text.as_bytes())), *expected, "{text}");
    }
}

#[test]
fn fixtures_have_their_shape_record_count_and_tables() {
    let dfe = Some("DeviceFileEvents");
    let cases: &[(&str, Shape, &[Option<&str>])] = &[
        (
            "eventhub-message.json",
            Shape::DefenderEnvelope,
            &[dfe, dfe, Some("DeviceProcessEvents"), dfe],
        ),
        ("advanced-hunting-response.json", Shape::AdvancedHunting, &[None; 3]),
        ("graph-hunting-response.json", Shape::AdvancedHunting, &[None; 2]),
        ("la-query-dnsevents.json", Shape::LogAnalytics, &[None; 3]),
        ("az_mon_raw_query.json", Shape::LogAnalytics, &[None; 3]),
        // 10 PrimaryResult rows; the QueryProperties (1) and QueryCompletionInformation (4) rows
        // are not records.
        ("kusto_raw_resp.json", Shape::AdxFrames, &[None; 10]),
    ];
    for (name, shape, tables) in cases {
        let text = fixture(name);
        let document = parse(&text);
        assert_eq!(shape_of(&document), Some(*shape), "{name}");
        let (built, issues) = records(&document, &text, *shape);
        assert_eq!(issues, [], "{name}");
        let got: Vec<Option<&str>> = built.iter().map(|r| r.table.as_deref()).collect();
        assert_eq!(got, *tables, "{name}");
    }
}

#[test]
fn first_records_are_exact() {
    let small: &[(&str, &str)] = &[
        (
            "advanced-hunting-response.json",
            r#"{"Timestamp":"2024-06-20T10:14:07.3383381Z","DeviceName":"fin-ws-0142.contoso.local","ActionType":"FileCreated","FileName":"invoice_0620.zip","FolderPath":"C:\\Users\\j.moreau\\Downloads\\invoice_0620.zip","SHA256":"0f3b8a9e5d2c4b1a7e6f9d8c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a","FileSize":48213,"InitiatingProcessFileName":"msedge.exe","ReportId":18342}"#,
        ),
        (
            "graph-hunting-response.json",
            r#"{"Timestamp":"2024-06-20T10:14:31.0172294Z","DeviceName":"fin-ws-0142.contoso.local","ActionType":"FileCreated","FileName":"spapro_update.exe","FolderPath":"C:\\Users\\j.moreau\\AppData\\Local\\Temp\\7zS4C21\\spapro_update.exe","SHA256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","FileSize":1184256,"InitiatingProcessFileName":"7zG.exe","ReportId":18355}"#,
        ),
        (
            "la-query-dnsevents.json",
            concat!(
                r#"{"TenantId":"b6f2c9d4-3e1a-4f7b-8c5d-2a9e0f1b3c7d","SourceSystem":"OpsManager","#,
                r#""TimeGenerated":"2024-06-20T10:14:05.713Z","Computer":"DC01.contoso.local","EventId":257,"#,
                r#""SubType":"LookupQuery","ClientIP":"10.20.4.142","#,
                r#""Message":"TCP: 10.20.4.142 spapro.co.com A Success 185.220.101.47","TaskCategory":"LookupQuery","#,
                r#""Name":"spapro.co.com","QueryType":"A","Result":"Success","ResultCode":0,"#,
                r#""IPAddresses":"185.220.101.47","Confidence":"","Description":"","IndicatorThreatType":"","#,
                r#""MaliciousIP":"","RemoteIPCountry":"","RemoteIPLatitude":null,"RemoteIPLongitude":null,"#,
                r#""Severity":0,"Type":"DnsEvents","#,
                r#""_ResourceId":"/subscriptions/0d2f5a8c-1b4e-4c7a-9f3d-6e8b0a2c4d1f/resourcegroups/soc-rg/providers/microsoft.compute/virtualmachines/dc01","#,
                r#""Addresses":"[\"185.220.101.47\"]","NameHash":9007199254740993}"#,
            ),
        ),
    ];
    for (name, expected) in small {
        let (built, _) = read(&fixture(name));
        assert_eq!(built.first().map(|r| r.json.as_str()), Some(*expected), "{name}");
    }
    // The big ones were written out by Python's json module from the fixtures: an independent
    // reading of the same documents.
    let expected = String::from_utf8(fixture("first-records.expected.tsv")).unwrap();
    let mut checked = 0;
    for line in expected.lines() {
        let (name, json) = line.split_once('\t').unwrap();
        let (built, _) = read(&fixture(name));
        assert_eq!(built.first().map(|r| r.json.as_str()), Some(json), "{name}");
        checked += 1;
    }
    assert_eq!(checked, 3);
}

/// The value that starts at `offset`, parsed on its own.
fn value_at(text: &[u8], offset: u64) -> Json {
    let rest = &text[usize::try_from(offset).unwrap()..];
    serde_json::Deserializer::from_slice(rest)
        .into_iter::<Json>()
        .next()
        .unwrap()
        .unwrap()
}

#[test]
fn every_record_starts_where_it_says() {
    for name in FIXTURES {
        let text = fixture(name);
        let (built, _) = read(&text);
        assert!(!built.is_empty(), "{name}");
        for pair in built.windows(2) {
            assert!(pair[0].offset < pair[1].offset, "{name}: offsets increase");
        }
        for record in &built {
            let before = &text[..usize::try_from(record.offset).unwrap()];
            let newlines = before.iter().filter(|b| **b == b'\n').count() as u64;
            assert_eq!(record.line, newlines + 1, "{name} at {}", record.offset);
            let row: Map<String, Json> = serde_json::from_str(&record.json).unwrap();
            match value_at(&text, record.offset) {
                Json::Object(element) => {
                    // An envelope carries its row in `properties`; a hunting result is the row.
                    let expected = element.get("properties").and_then(Json::as_object).unwrap_or(&element);
                    assert_eq!(&row, expected, "{name} at {}", record.offset);
                }
                // A positional row: the built object holds its cells, in column order.
                Json::Array(cells) => assert!(row.values().eq(cells.iter()), "{name} at {}", record.offset),
                other => panic!("{name}: {other} at {}", record.offset),
            }
        }
    }
}

#[test]
fn positions_in_a_small_document_are_the_hand_computed_ones() {
    // Brackets, braces and escaped quotes inside strings, an escaped key, a nested object.
    let text = r#"{
  "re\u0063ords": [
    {"category": "AdvancedHunting-DeviceFileEvents", "properties": {"FileName": "a]\"},[{.exe"}},
    {
      "category": "AdvancedHunting-DnsEvents",
      "properties": {"Name": "x\\", "IPAddresses": "[\"10.0.0.1\"]"}
    },
    {"category": "Heartbeat", "properties": {}},
    {"category": "AdvancedHunting-DeviceFileEvents"}
  ]
}
"#;
    // Line 1 is `{` (2 bytes), line 2 `  "re\u0063ords": [` (20 bytes), so line 3's element
    // starts after 4 spaces at 2 + 20 + 4 = 26.
    let (built, issues) = read(text.as_bytes());
    let got: Vec<(u64, u64, &str, Option<&str>)> = built
        .iter()
        .map(|r| (r.line, r.offset, r.json.as_str(), r.table.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (3, 26, r#"{"FileName":"a]\"},[{.exe"}"#, Some("DeviceFileEvents")),
            (
                4,
                124,
                r#"{"Name":"x\\","IPAddresses":"[\"10.0.0.1\"]"}"#,
                Some("DnsEvents")
            ),
            // A category without the Defender prefix names no table.
            (8, 253, "{}", None),
        ]
    );
    let issue = Issue {
        line: 9,
        offset: 302,
        message: r#"records[3] has no "properties" object (the row)"#.into(),
        is_record: true,
    };
    assert_eq!(issues, [issue]);
}

#[test]
fn positional_rows_become_objects_table_after_table() {
    let text = br#"{"tables":[
 {"name":"PrimaryResult","columns":[{"name":"Name","type":"string"},{"name":"EventId","type":"int"}],
  "rows":[["a.example",1],["b.example",2]]},
 {"name":"Second","columns":[{"name":"Computer","type":"string"}],"rows":[["DC01"]]}
]}"#;
    let (built, issues) = read(text);
    assert_eq!(issues, []);
    let got: Vec<(u64, &str)> = built.iter().map(|r| (r.line, r.json.as_str())).collect();
    assert_eq!(
        got,
        [
            (3, r#"{"Name":"a.example","EventId":1}"#),
            (3, r#"{"Name":"b.example","EventId":2}"#),
            (4, r#"{"Computer":"DC01"}"#),
        ]
    );
    let offsets: Vec<u64> = built.iter().map(|r| r.offset).collect();
    let at = |needle: &str| text.windows(needle.len()).position(|w| w == needle.as_bytes()).unwrap() as u64;
    assert_eq!(offsets, [at(r#"["a.ex"#), at(r#"["b.ex"#), at(r#"["DC01"#)]);
}

#[test]
fn longs_stay_exact_and_dynamic_columns_stay_text() {
    let (built, _) = read(&fixture("la-query-dnsevents.json"));
    let rows: Vec<Map<String, Json>> = built.iter().map(|r| serde_json::from_str(&r.json).unwrap()).collect();
    let hashes: Vec<Value> = rows
        .iter()
        .map(|row| Value::from_json(row.get("NameHash"), ColumnType::Long))
        .collect();
    assert_eq!(
        hashes,
        [
            Value::Long(9_007_199_254_740_993),
            Value::Long(-4_611_686_018_427_387_905),
            Value::Long(1_234_567_890_123_456_789),
        ]
    );
    assert!(built[0].json.contains(r#""NameHash":9007199254740993"#));
    assert_eq!(rows[1]["Addresses"], json!(r#"["185.220.101.47","185.220.101.48"]"#));
    assert_eq!(rows[1]["EventId"], json!(257));

    // Beyond i64: serde_json keeps a u64 exactly too.
    let text = br#"{"tables":[{"name":"PrimaryResult","columns":[{"name":"Big","type":"long"}],"rows":[[18446744073709551615],[-9223372036854775808]]}]}"#;
    let (built, _) = read(text);
    let jsons: Vec<&str> = built.iter().map(|r| r.json.as_str()).collect();
    assert_eq!(
        jsons,
        [r#"{"Big":18446744073709551615}"#, r#"{"Big":-9223372036854775808}"#]
    );
}

#[test]
fn malformed_rows_are_record_issues_and_the_rest_still_read() {
    // (document, records read, issues as (is_record, message))
    type Case<'a> = (&'a str, usize, &'a [(bool, &'a str)]);
    let cases: &[Case<'_>] = &[
        (
            r#"{"records":[{"category":"AdvancedHunting-DeviceFileEvents","properties":"{}"},7,{"properties":{"A":1}}]}"#,
            1,
            &[
                (true, r#"records[0]: "properties" (the row) is a string, not an object"#),
                (true, "records[1] is a number, not an envelope object"),
            ],
        ),
        (
            r#"{"Schema":[],"Results":[{"A":1},[1],null]}"#,
            1,
            &[
                (true, "Results[1] is an array, not a row object"),
                (true, "Results[2] is null, not a row object"),
            ],
        ),
        (
            r#"{"tables":[{"name":"PrimaryResult","columns":[{"name":"A","type":"int"},{"name":"B","type":"string"}],"rows":[[1,"x"],[2],[3,"y",4],{"A":4},[5,"z"]]}]}"#,
            2,
            &[
                (true, "tables[0].rows[1] has 1 cells for 2 columns"),
                (true, "tables[0].rows[2] has 3 cells for 2 columns"),
                (true, "tables[0].rows[3] is an object, not an array of cells"),
            ],
        ),
        (
            r#"{"tables":[{"name":"PrimaryResult","columns":[{"name":"A"},{"type":"int"}],"rows":[[1,2]]},{"name":"T","columns":[]},7]}"#,
            0,
            &[
                (true, r#"tables[0].rows[0]: columns[1] has no "name""#),
                (false, r#"tables[1] has no "rows" array"#),
                (false, r#"tables[2] has no "rows" array"#),
            ],
        ),
        (
            r#"{"tables":[{"name":"PrimaryResult","rows":[[1]]}],"error":{"code":"PartialError","message":"Query result set exceeded the limit"}}"#,
            0,
            &[
                (false, "the response reports an error: PartialError: Query result set exceeded the limit"),
                (true, r#"tables[0].rows[0]: the table has no "columns" array"#),
            ],
        ),
        (
            r#"[{"FrameType":"DataSetHeader","IsProgressive":false,"Version":"v2.0"},
               {"FrameType":"DataTable","TableId":1,"TableKind":"PrimaryResult","TableName":"PrimaryResult",
                "Columns":[{"ColumnName":"A","ColumnType":"long"}],
                "Rows":[[1],{"OneApiErrors":[{"error":{"code":"LimitsExceeded","message":"Request is invalid and cannot be executed."}}]}]},
               {"NotAFrame":true},
               {"FrameType":"DataSetCompletion","HasErrors":true,"Cancelled":false,"OneApiErrors":[{"error":{"code":"LimitsExceeded","message":"Query execution has exceeded the allowed limits"}}]}]"#,
            1,
            &[
                (true, "frames[1].Rows[1] is an error in place of a row: LimitsExceeded: Request is invalid and cannot be executed."),
                (false, r#"frames[2] is not a frame (no "FrameType")"#),
                (false, "frames[3]: the query reports errors: LimitsExceeded: Query execution has exceeded the allowed limits"),
            ],
        ),
        (
            r#"[{"FrameType":"DataSetHeader","IsProgressive":true,"Version":"v2.0"},
               {"FrameType":"TableHeader","TableId":1,"TableKind":"PrimaryResult","TableName":"PrimaryResult","Columns":[]},
               {"FrameType":"TableFragment","TableFragmentType":"DataAppend","TableId":1,"Rows":[]},
               {"FrameType":"TableCompletion","TableId":1,"RowCount":0},
               {"FrameType":"DataSetCompletion","HasErrors":false,"Cancelled":false}]"#,
            0,
            &[(
                false,
                "frames[1]: progressive results (TableHeader/TableFragment) are not read; ask the server for a \
                 non-progressive response",
            )],
        ),
    ];
    for (text, count, expected) in cases {
        let (built, issues) = read(text.as_bytes());
        assert_eq!(built.len(), *count, "{text}");
        let got: Vec<(bool, &str)> = issues.iter().map(|i| (i.is_record, i.message.as_str())).collect();
        assert_eq!(got, *expected, "{text}");
        // Broken rows keep their own place among the rows.
        let mut offsets: Vec<u64> = built.iter().map(|r| r.offset).collect();
        offsets.extend(issues.iter().filter(|i| i.is_record).map(|i| i.offset));
        offsets.sort_unstable();
        offsets.dedup();
        assert_eq!(
            offsets.len(),
            built.len() + got.iter().filter(|(r, _)| *r).count(),
            "{text}"
        );
    }
}

#[test]
fn a_broken_row_is_placed_where_it_starts() {
    let text =
        b"{\"tables\":[{\"name\":\"PrimaryResult\",\"columns\":[{\"name\":\"A\"}],\n\"rows\":[\n[1],\n[1,2]\n]}]}";
    let (_, issues) = read(text);
    let expected = Issue {
        line: 4,
        offset: text.iter().position(|b| *b == b'2').unwrap() as u64 - 3,
        message: "tables[0].rows[1] has 2 cells for 1 columns".into(),
        is_record: true,
    };
    assert_eq!(issues, [expected]);
}

#[test]
fn a_document_read_as_the_wrong_shape_is_a_problem() {
    let document = json!({"tables": []});
    let (built, issues) = records(&document, b"{\"tables\":[]}", Shape::DefenderEnvelope);
    assert!(built.is_empty());
    assert_eq!(issues.len(), 1);
    assert!(!issues[0].is_record);
    assert!(issues[0]
        .message
        .starts_with("the document is not a Defender streaming API message"));
}

#[test]
fn storage_lines_unwrap_to_the_rows_of_the_event_hub_message() {
    let text = fixture("PT1H.json");
    let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').filter(|l| !l.is_empty()).collect();
    assert!(lines.iter().all(|l| l.ends_with(b"\r")), "CRLF lines");
    let (message, _) = read(&fixture("eventhub-message.json"));
    assert_eq!(lines.len(), message.len());
    for (line, built) in lines.iter().zip(&message) {
        let record: Map<String, Json> = serde_json::from_slice(line).unwrap();
        let (row, table) = unwrap_streaming_record(&record).expect("an envelope");
        assert_eq!(Some(table), built.table.as_deref());
        assert_eq!(Json::Object(row.clone()).to_string(), built.json);
        // Independently of serde_json: the row is the line's `properties` text, byte for byte.
        let line = std::str::from_utf8(line).unwrap().trim_end();
        let properties = line
            .split_once(r#""properties":"#)
            .unwrap()
            .1
            .strip_suffix('}')
            .unwrap();
        assert_eq!(properties, built.json);
    }
}

#[test]
fn only_defender_envelopes_unwrap() {
    let cases: &[(&str, Option<&str>)] = &[
        (
            r#"{"time":"2024-06-20T10:14:09Z","tenantId":"t","operationName":"Publish","category":"AdvancedHunting-DeviceEvents","properties":{"ActionType":"AntivirusDetection"}}"#,
            Some("DeviceEvents"),
        ),
        // A plain row, even one with a `category` column.
        (
            r#"{"Timestamp":"2024-06-20T10:14:09Z","FileName":"a.exe","category":"x"}"#,
            None,
        ),
        // Azure resource logs: same envelope, but the category is not a table.
        (
            r#"{"category":"AzureFirewallDnsProxy","properties":{"msg":"DNS Request"}}"#,
            None,
        ),
        (r#"{"category":"AdvancedHunting-","properties":{}}"#, None),
        (
            r#"{"category":"AdvancedHunting-DeviceFileEvents","properties":"{}"}"#,
            None,
        ),
        (r#"{"category":"AdvancedHunting-DeviceFileEvents"}"#, None),
        (r#"{"category":7,"properties":{}}"#, None),
    ];
    for (text, expected) in cases {
        let record: Map<String, Json> = serde_json::from_str(text).unwrap();
        let unwrapped = unwrap_streaming_record(&record);
        assert_eq!(unwrapped.map(|(_, table)| table), *expected, "{text}");
        if let Some((row, _)) = unwrapped {
            assert_eq!(row.get("ActionType"), Some(&json!("AntivirusDetection")));
        }
    }
}

#[test]
fn the_scanner_finds_element_starts() {
    type Case<'a> = (&'a str, &'a [&'a str], Option<&'a [usize]>);
    let cases: &[Case<'_>] = &[
        ("[1, 2,3]", &[], Some(&[1, 4, 6])),
        ("[]", &[], Some(&[])),
        (" [ ] ", &[], Some(&[])),
        (r#"{"a":[true,null,-1.5e3]}"#, &["a"], Some(&[6, 11, 16])),
        // Quotes, backslashes and brackets inside strings do not count.
        (r#"{"a":["]\"[",{"b":"}"},"\\"]}"#, &["a"], Some(&[6, 13, 23])),
        // Keys are matched decoded; the last of a repeated key wins, as in serde_json.
        (r#"{"\u0061":[0],"b":[1]}"#, &["a"], Some(&[11])),
        (r#"{"a":[0],"a":[1,2]}"#, &["a"], Some(&[14, 16])),
        (r#"{"ab":[0],"a\"":[1]}"#, &["a"], None),
        (r#"{"t":{"r":[[2],[3]]}}"#, &["t", "r"], Some(&[11, 15])),
        (r#"{"t":{"s":[1]}}"#, &["t", "r"], None),
        (r#"{"a":{}}"#, &["a"], None),
        // Not the shape, or not JSON: nothing, and no panic.
        (r#"{"a":5}"#, &["a"], None),
        (r#"{"a":[1,2"#, &["a"], None),
        (r#"{"a":["abc"#, &["a"], None),
        (r#"{"a":["ab\"#, &["a"], None),
        (r#"{"a" [1]}"#, &["a"], None),
        ("[1 2]", &[], None),
        ("[[[[[[", &[], None),
        ("]]]]", &[], None),
        ("", &[], None),
        ("\u{FEFF}", &[], None),
    ];
    for (text, path, expected) in cases {
        let got = element_starts(text.as_bytes(), 0, path);
        assert_eq!(got.as_deref(), *expected, "{text}");
    }
    // An array inside an array: start from the element.
    let text = br#"{"t":[{"r":[1]},{"r":[[2],[3]]}]}"#;
    let tables = element_starts(text, 0, &["t"]).unwrap();
    assert_eq!(tables, [6, 16]);
    assert_eq!(element_starts(text, tables[1], &["r"]), Some(vec![22, 26]));
    // Deep nesting is walked without recursion.
    let deep = format!("[{}{}]", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(element_starts(deep.as_bytes(), 0, &[]), Some(vec![1]));
}

#[test]
fn a_bom_is_skipped_and_counted_in_offsets() {
    let text = b"\xEF\xBB\xBF{\"Schema\":[],\"Results\":[{\"A\":1}]}";
    let (built, issues) = read(text);
    assert_eq!(issues, []);
    assert_eq!(built.iter().map(|r| r.offset).collect::<Vec<_>>(), [27]);
    assert_eq!(text[27], b'{');
}

#[test]
fn text_that_is_not_the_documents_still_gives_unique_increasing_offsets() {
    for name in FIXTURES {
        let text = fixture(name);
        let document = parse(&text);
        let shape = shape_of(&document).unwrap();
        let (full, _) = records(&document, &text, shape);
        let mut cuts: Vec<usize> = (0..text.len()).step_by(text.len() / 120 + 1).collect();
        cuts.extend([1, 2, text.len() - 1]);
        for cut in cuts {
            for wrong in [&text[..cut], &text[cut..]] {
                let (built, issues) = records(&document, wrong, shape);
                assert_eq!(built.len(), full.len(), "{name} cut at {cut}");
                assert_eq!(issues, [], "{name} cut at {cut}");
                assert!(
                    built.windows(2).all(|p| p[0].offset < p[1].offset),
                    "{name} cut at {cut}"
                );
            }
        }
    }
}

/// The records of the document `text` built, each's value, line and offset, and its issues;
/// it must have `shape`.
fn built_records(text: &[u8], shape: Shape) -> (Vec<(Json, u64, u64)>, Vec<Issue>) {
    let document = parse(text);
    assert_eq!(shape_of(&document), Some(shape), "{}", String::from_utf8_lossy(text));
    let (built, issues) = records(&document, text, shape);
    let built = (built.iter())
        .map(|r| (serde_json::from_str(&r.json).expect("parses"), r.line, r.offset))
        .collect();
    (built, issues)
}

/// Everything a file reader hands out for `text` at `chunk_size`: each record's value, line and
/// offset, and the issues, in order.
fn read_through(text: &[u8], chunk_size: usize) -> (Vec<(Json, u64, u64)>, Vec<Issue>) {
    let options = crate::input::ReadOptions {
        chunk_size,
        csv: Default::default(),
    };
    let source: crate::input::Source = Box::new(std::io::Cursor::new(text.to_vec()));
    let mut reader = crate::input::FileReader::from_source(0, source, &options).expect("opens");
    let (mut records, mut issues) = (Vec::new(), Vec::new());
    while let Some(item) = reader.next_item(Vec::new()) {
        match item.expect("reads") {
            crate::input::Item::Unit(unit) => {
                unit.for_each_record(|record| {
                    let value = serde_json::from_slice(record.bytes).unwrap_or(Json::Null);
                    records.push((value, record.line, record.offset));
                });
            }
            crate::input::Item::Issue(issue) => issues.push(issue),
            crate::input::Item::Warning(warning) => panic!("a warning: {warning}"),
        }
    }
    (records, issues)
}

/// The rows of an Advanced Hunting response streamed from its text ([`response_start`],
/// `ArrayReader::response_rows`) are the records of the built document ([`records`]): the same
/// values once parsed, lines, offsets and issues, in order, at any chunk size; a response that
/// cannot be told from its head (the rows before the schema, a `records` array beside) is built.
#[test]
fn streamed_response_rows_are_the_built_documents_records() {
    let row = r#"{"Timestamp":"2024-01-01T00:00:00Z","DeviceName":"a\u0062c","SHA256":"x\"y","N":1.0e2,"M":-0,"Big":18446744073709551615,"Nested":{"k":[1,{"v":"]"}]},"Dup":1,"Dup":2,"Uni":"é\ud83d\ude00"}"#;
    let mut documents: Vec<Vec<u8>> = Vec::new();
    for results in ["Results", "results"] {
        for schema in ["Schema", "schema"] {
            documents.push(
                format!(r#"{{"{schema}":[{{"Name":"A","Type":"String"}}],"{results}":[{row},{{}},{row}]}}"#)
                    .into_bytes(),
            );
        }
    }
    let pretty = serde_json::to_string_pretty(
        &json!({"Stats": {"rows": 2}, "Schema": [], "Results": [parse(row.as_bytes()), {"x": "[\\,"}]}),
    )
    .expect("prints");
    documents.extend([
        pretty.clone().into_bytes(),
        [BOM, pretty.as_bytes()].concat(),
        format!("\n\n  {pretty}\n  ").into_bytes(),
        br#"{"Schema":[],"Results":[]}"#.to_vec(),
        br#"{"Schema":[],"Results":[1,"two",null,[3],true,{"ok":1},{"a":[]}]}"#.to_vec(),
        br#"{"Results":"not rows","Schema":[],"results":[{"a":1}]}"#.to_vec(),
        br#"{"Schema":{"x":1},"schema":[],"Results":[{"a":1}],"Stats":{"rows":1}}"#.to_vec(),
        br#"{"Schema":[],"Re\u0073ults":[{"escaped key":1}]}"#.to_vec(),
        br#"{"Schema":[],"results":[{"a":1}],"Results":"later, not rows"}"#.to_vec(),
        br#"{"Results":[{"first":1}],"Schema":[],"Results":[{"second":2},{"third":3}]}"#.to_vec(),
        // Built: the head does not tell.
        br#"{"Results":[],"Schema":[]}"#.to_vec(),
        br#"{"Stats":{},"results":[{"a":1}],"schema":[]}"#.to_vec(),
        br#"{"Results":[1,"two",null,[3],true,{"ok":1},{"a":[]}],"Schema":[]}"#.to_vec(),
    ]);
    let mut streamed = 0;
    for text in &documents {
        let shown = String::from_utf8_lossy(text);
        let (built, built_issues) = built_records(text, Shape::AdvancedHunting);
        streamed += usize::from(response_start(text).is_some());
        for chunk_size in [1, 7, 1 << 20] {
            let (read, issues) = read_through(text, chunk_size);
            assert_eq!(read, built, "{shown} at {chunk_size}");
            assert_eq!(issues, built_issues, "{shown} at {chunk_size}");
        }
    }
    assert_eq!(streamed, documents.len() - 3);
}

/// An issue: its line, whether it is a record, its message.
type Expected = (u64, bool, &'static str);

/// For each case (the text after `head`, the rows it reads, the issues it reports), that the
/// text is streamed (`streamed`), its first row is `first` and it reads and reports just those.
fn reports_what_is_wrong(
    head: &str,
    first: (Json, u64, u64),
    cases: &[(&str, usize, &[Expected])],
    streamed: impl Fn(&[u8]) -> bool,
) {
    for &(rest, rows, expected) in cases {
        let text = format!("{head}{rest}");
        assert!(streamed(text.as_bytes()), "{text}");
        let (read, issues) = read_through(text.as_bytes(), 1 << 20);
        assert_eq!(read.len(), rows, "{text}");
        assert_eq!(read[0], first, "{text}");
        let got: Vec<(u64, bool, &str)> = (issues.iter())
            .map(|i| (i.line, i.is_record, i.message.as_str()))
            .collect();
        assert_eq!(got, expected.to_vec(), "{text}");
        for issue in &issues {
            assert!(issue.offset <= text.len() as u64, "{text}");
        }
    }
}

/// What the whole document would refuse, a streamed response reports where it is, with every row
/// before it read: a cut row or rows array, a document cut after its rows, text after its end, a
/// member after the rows that would change what the document is; and a row that is not JSON is
/// one malformed record, not the end of the response.
#[test]
fn a_streamed_response_reports_what_is_wrong_where_it_is() {
    let head = "{\n  \"Schema\": [],\n  \"Results\": [\n    {\"a\": 1},\n    ";
    // (text after the head, rows read, issues)
    let cases: &[(&str, usize, &[Expected])] = &[
        ("{\"a\": 2}\n  ]\n}\n", 2, &[]),
        (
            "{\"a\": 2",
            1,
            &[
                (5, true, "record cut off: the file ends 7 bytes into this row of the response's `Results`"),
                (5, false, "the response is cut off: the file ends before `Results` closes with `]`"),
            ],
        ),
        (
            "{\"a\": 2},\n",
            2,
            &[(6, false, "the response is cut off: the file ends before `Results` closes with `]`")],
        ),
        (
            "{\"a\": 2}\n  ]",
            2,
            &[(6, false, "the response is cut off after its `Results` rows: the file ends before its closing `}`")],
        ),
        (
            "{\"a\": 2}\n  ],\n  \"Stats\": {}\n}\nmore",
            2,
            &[(9, false, "after its `Results` rows, the response is not JSON: trailing characters")],
        ),
        (
            "{\"a\": 2}\n  ],\n  \"Results\": []\n}",
            2,
            &[(6, false, "a `Results` member after the rows changes what the document is: its rows were read as the first `Results`")],
        ),
        (
            "{\"a\": 2}\n  ],\n  \"records\": []\n}",
            2,
            &[(6, false, "a `records` member after the rows changes what the document is: its rows were read as the first `Results`")],
        ),
        // A row that is not JSON is the walk's to report; the rows after it are read.
        ("{\"a\": tru},\n    {\"a\": 3}\n  ]\n}\n", 3, &[]),
        ("\"text\",\n    {\"a\": 3}\n  ]\n}\n", 2, &[(5, true, "Results[1] is a string, not a row object")]),
    ];
    reports_what_is_wrong(head, (json!({"a": 1}), 4, 37), cases, |text| {
        response_start(text).is_some()
    });
}

/// A response read through the file reader comes out in units of about the chunk size, each
/// counted as the bytes of its own rows (what the scan's window of unmerged bytes adds up),
/// whose records are the response's rows at their lines and offsets.
#[test]
fn a_responses_rows_come_out_in_units_of_their_own_bytes() {
    let rows: Vec<Json> = (0..50)
        .map(|i| json!({"DeviceName": format!("host-{i}"), "N": i}))
        .collect();
    let text = serde_json::to_vec_pretty(&json!({"Schema": [], "Results": rows})).expect("prints");
    let options = crate::input::ReadOptions {
        chunk_size: 200,
        csv: Default::default(),
    };
    let source: crate::input::Source = Box::new(std::io::Cursor::new(text.clone()));
    let mut reader = crate::input::FileReader::from_source(0, source, &options).expect("opens");
    let (built, _) = read(&text);
    let mut read_back = Vec::new();
    let mut units = 0;
    while let Some(item) = reader.next_item(Vec::new()) {
        let crate::input::Item::Unit(unit) = item.expect("reads") else {
            panic!("no issue expected");
        };
        units += 1;
        assert!(unit.data.len() < 400, "a unit of {} bytes", unit.data.len());
        unit.for_each_record(|record| {
            let value: Json = serde_json::from_slice(record.bytes).expect("a row parses");
            read_back.push((value, record.line, record.offset));
        });
    }
    let expected: Vec<(Json, u64, u64)> = (built.iter())
        .map(|r| (serde_json::from_str(&r.json).expect("parses"), r.line, r.offset))
        .collect();
    assert!(units > 10, "{units} units");
    assert_eq!(read_back, expected);
}

/// The rows of a Log Analytics response or of ADX frames streamed from its text
/// ([`tables_start`], `ArrayReader::table_rows`) are the records of the built document
/// ([`records`]): the same values once parsed, at the same lines and offsets, with the same
/// issues (a row's where it starts; the document's, which the stream can only tell at its end,
/// by message), at any chunk size, over several tables, rows that cannot be built, dynamic cells
/// and escapes; a response whose head does not tell (columns after the rows) is built.
#[test]
fn streamed_tabular_rows_are_the_built_documents_records() {
    let columns = r#"[{"name":"Computer","type":"string"},{"name":"N","type":"long"},{"name":"D","type":"dynamic"},{"name":"Qu\"ote","type":"string"}]"#;
    let rows = r#"[["a\u0062c",1,{"k":[1,"]"]},"x,y"],[ "b" , -0 , [ ] , "" ],["c",18446744073709551615,null,"é"]]"#;
    let mut documents: Vec<Vec<u8>> = vec![
        fixture("la-query-dnsevents.json"),
        fixture("az_mon_raw_query.json"),
        format!(r#"{{"tables":[{{"name":"PrimaryResult","columns":{columns},"rows":{rows}}}]}}"#).into_bytes(),
        format!(r#"{{"tables":[{{"name":"A","columns":{columns},"rows":{rows}}},{{"name":"B","columns":[{{"name":"x"}}],"rows":[[1],[2]],"after":true}}]}}"#).into_bytes(),
        format!(r#"{{"tables":[{{"name":"A","columns":{columns},"rows":[]}},{{"name":"B","columns":[{{"name":"x"}}],"rows":[[1]]}}]}}"#).into_bytes(),
        format!(r#"{{"tables":[{{"columns":{columns},"rows":[1,"two",[1,2],{{"OneApiErrors":[{{"error":{{"code":"E","message":"stopped"}}}}]}},["a",1,2,"b"]]}},{{"name":"no rows"}}],"error":{{"code":"PartialError","message":"some failed"}}}}"#).into_bytes(),
        br#"{"tables":[{"columns":[{"nom":"x"}],"rows":[[1]]}]}"#.to_vec(),
        br#"{"t\u0061bles":[{"columns":[{"name":"x"}],"rows":[[1],[2]]}]}"#.to_vec(),
        // Built: the first table's columns come after its rows.
        br#"{"tables":[{"rows":[[1]],"columns":[{"name":"x"}]}]}"#.to_vec(),
    ];
    let pretty = serde_json::to_vec_pretty(&parse(&documents[3])).expect("prints");
    documents.push([BOM, &pretty[..]].concat());
    documents.push(pretty);
    let frames = |more: &str| {
        format!(
            r#"[{{"FrameType":"DataSetHeader","IsProgressive":false}},{{"FrameType":"DataTable","TableId":0,"TableKind":"QueryProperties","Columns":[{{"ColumnName":"k"}}],"Rows":[["v"]]}},{{"FrameType":"DataTable","TableKind":"PrimaryResult","Columns":{adx},"Rows":{rows}}}{more}]"#,
            adx = columns.replace("\"name\"", "\"ColumnName\"")
        )
        .into_bytes()
    };
    documents.extend([
        fixture("kusto_raw_resp.json"),
        frames(""),
        frames(r#",{"FrameType":"DataTable","TableKind":"PrimaryResult","Columns":[{"ColumnName":"x"}],"Rows":[[1],{"OneApiErrors":[{"error":{"code":"LimitsExceeded","message":"cut"}}]}]},{"FrameType":"DataSetCompletion","HasErrors":true,"OneApiErrors":[{"error":{"code":"E","message":"failed"}}]}"#),
        frames(r#",{"FrameType":"TableHeader","TableKind":"PrimaryResult"},{"FrameType":"DataTable","TableKind":"QueryCompletionInformation","Columns":[],"Rows":[[],[]]},{"FrameType":"DataSetCompletion","Cancelled":true}"#),
        frames(r#",{"nothing":1}"#),
    ]);
    let pretty = serde_json::to_vec_pretty(&parse(&frames(""))).expect("prints");
    documents.push([BOM, &pretty[..]].concat());
    let mut streamed = 0;
    for text in &documents {
        let shown = String::from_utf8_lossy(text);
        let shape = shape_of(&parse(text)).expect("a shape");
        let (built, built_issues) = built_records(text, shape);
        streamed += usize::from(tables_start(text).is_some());
        let tell = |issues: &[Issue]| {
            let mut told: Vec<String> = (issues.iter())
                .map(|i| match i.is_record {
                    true => format!("{}:{} {}", i.line, i.offset, i.message),
                    false => i.message.clone(),
                })
                .collect();
            told.sort();
            told
        };
        for chunk_size in [1, 7, 1 << 20] {
            let (read, issues) = read_through(text, chunk_size);
            assert_eq!(read, built, "{shown} at {chunk_size}");
            assert_eq!(tell(&issues), tell(&built_issues), "{shown} at {chunk_size}");
        }
    }
    assert_eq!(streamed, documents.len() - 1);
}

/// What the whole document would refuse, a streamed Log Analytics response reports, with every
/// row before it read: a cut row or rows, a document cut after its rows, a row that is not
/// JSON (one malformed record), text after the end, a second `tables` or `columns` after the
/// rows that would change how the rows read.
#[test]
fn a_streamed_log_analytics_response_reports_what_is_wrong() {
    let head =
        "{\"tables\": [\n {\"name\": \"PrimaryResult\", \"columns\": [{\"name\": \"a\"}],\n  \"rows\": [\n   [1],\n   ";
    // (text after the head, rows read, issues)
    let cases: &[(&str, usize, &[Expected])] = &[
        ("[2]\n  ]}\n]}\n", 2, &[]),
        (
            "[2",
            1,
            &[
                (5, true, "record cut off: the file ends 2 bytes into this row of the response's `tables[0].rows`"),
                (5, false, "the response is cut off: the file ends before `tables[0].rows` closes with `]`"),
            ],
        ),
        ("[2]\n  ]}", 2, &[(6, false, "the response is cut off after its rows: the file ends before it closes")]),
        ("[2]\n  ]}]} more", 2, &[(6, false, "after its rows, the response is not JSON: trailing characters")]),
        ("[2 3],\n   [4]\n  ]}]}", 2, &[(5, true, "tables[0].rows[1] is not JSON: its cells are not a JSON array")]),
        ("[tru],[5]]}]}", 3, &[]),
        (
            "[2]]}], \"tables\": []}",
            2,
            &[(5, false, "a second table list changes what the document is: its rows were read as they came")],
        ),
        (
            "[2]], \"columns\": [{\"name\": \"b\"}]}]}",
            2,
            &[(5, false, "tables[0].rows's table (its columns, a second rows) changes what the document is: its rows were read as they came")],
        ),
    ];
    reports_what_is_wrong(head, (json!({"a": 1}), 4, 83), cases, |text| {
        tables_start(text).is_some()
    });
}

/// The same of ADX frames: a cut row or rows, and the rows of a primary table that says what it
/// is only after them (left in the skeleton, not read, and said so).
#[test]
fn streamed_adx_frames_report_what_is_wrong() {
    let head = "[{\"FrameType\":\"DataTable\",\"TableKind\":\"PrimaryResult\",\"Columns\":[{\"ColumnName\":\"a\"}],\n\"Rows\":[\n[1],\n";
    // (text after the head, rows read, issues)
    let cases: &[(&str, usize, &[Expected])] = &[
        ("[2]]}]\n", 2, &[]),
        (
            "[2",
            1,
            &[
                (4, true, "record cut off: the file ends 2 bytes into this row of the response's `frames[0].Rows`"),
                (4, false, "the response is cut off: the file ends before `frames[0].Rows` closes with `]`"),
            ],
        ),
        (
            "[2]]},\n{\"FrameType\":\"DataTable\",\"Rows\":[[9]],\"TableKind\":\"PrimaryResult\",\"Columns\":[{\"ColumnName\":\"a\"}]}]",
            2,
            &[(5, false, "1 rows were not read as they came: the document says what they are only after them")],
        ),
    ];
    reports_what_is_wrong(head, (json!({"a": 1}), 3, 95), cases, |text| {
        tables_start(text).is_some()
    });
}

/// An Event Hub message read from its text ([`envelope_records`]) gives the built document's
/// records and issues: the same rows (as values), lines, offsets and tables, the same broken
/// envelopes with the same messages. Over the fixture and random messages whose envelopes
/// mix every case: rows and non-object `properties`, none, repeated members (the last one
/// counts), categories escaped, of no table or not strings, elements that are not objects,
/// white space and newlines between tokens, nested values beside the row.
#[test]
fn event_hub_messages_read_from_their_text_are_the_built_ones() {
    let fields = [
        r#""properties":{"FileName":"a.exe","SHA256":"ab","N":1.5e2,"Nested":{"x":[1,{"y":"}"}]}}"#,
        r#""properties":{"FileName":"b\"\\c","Size":-0.25}"#,
        r#""properties":{}"#,
        r#""properties":[1,2]"#,
        r#""properties":"text""#,
        r#""properties":null"#,
        r#""properties":7"#,
        r#""properties":true"#,
        r#""category":"AdvancedHunting-DeviceFileEvents""#,
        r#""category":"AdvancedHunting-Device\u0050rocessEvents""#,
        r#""category":"AzureFirewallDnsProxy""#,
        r#""category":"AdvancedHunting-""#,
        r#""category":5"#,
        r#""time":"2024-06-20T10:14:09Z""#,
        r#""operationName":{"deep":["properties",{"category":"x"}]}"#,
        r#""prop\u0065rties":{"Escaped":"name"}"#,
    ];
    let others = ["5", "\"text\"", "null", "true", "[{\"properties\":{}}]", "{}"];
    let spaces = ["", " ", "\n  ", "\t"];
    let mut random = crate::testing::XorShift::new(0x2545_f491_4f6c_dd1d);
    let mut next = move |n: usize| random.below(n);
    let mut messages: Vec<Vec<u8>> = vec![api_fixture_compact("eventhub-message.json")];
    for _ in 0..3_000 {
        let space = spaces[next(spaces.len())];
        let elements: Vec<String> = (0..next(6))
            .map(|_| {
                if next(5) == 0 {
                    return others[next(others.len())].to_string();
                }
                let members: Vec<&str> = (0..next(5)).map(|_| fields[next(fields.len())]).collect();
                format!("{{{space}{}{space}}}", members.join(&format!("{space},{space}")))
            })
            .collect();
        let message = format!(
            r#"{{"records":{space}[{space}{}{space}]{space}}}"#,
            elements.join(&format!(",{space}"))
        );
        messages.push(message.into_bytes());
    }
    let (mut rows, mut broken) = (0, 0);
    // Each row as its value, line, offset and table.
    let rows_of = |records: &[BuiltRecord]| -> Vec<(Json, u64, u64, Option<String>)> {
        (records.iter())
            .map(|r| {
                (
                    serde_json::from_str(&r.json).expect("a row parses"),
                    r.line,
                    r.offset,
                    r.table.clone(),
                )
            })
            .collect()
    };
    for message in &messages {
        let document = parse(message);
        assert_eq!(shape_of(&document), Some(Shape::DefenderEnvelope));
        let (built, built_issues) = records(&document, message, Shape::DefenderEnvelope);
        let (read, issues) = envelope_records(message).expect("an Event Hub message");
        assert_eq!(
            (rows_of(&read), &issues),
            (rows_of(&built), &built_issues),
            "{}",
            String::from_utf8_lossy(message)
        );
        rows += read.len();
        broken += issues.len();
    }
    assert!(rows > 1_000 && broken > 2_000, "{rows} rows, {broken} broken envelopes");
    // Anything else is left to be built.
    for other in [
        &br#"{"tables":[]}"#[..],
        br#"{"records":5}"#,
        br#"{"records":[1,"#,
        b"[1]",
    ] {
        assert!(envelope_records(other).is_none(), "{}", String::from_utf8_lossy(other));
    }
}

/// A document's shape told from its text ([`object_shape`], which a file's first line is
/// asked) is the parsed document's ([`shape_of`]), and none exactly where the text is not a
/// JSON object: over random objects of the top-level members that tell shapes (arrays or
/// not, repeated so that the last counts, names escaped), nested and deep values, white space,
/// and texts cut short or damaged.
#[test]
fn a_documents_shape_from_its_text_is_the_parsed_ones() {
    let names = [
        "records",
        "Results",
        "results",
        "Schema",
        "schema",
        "tables",
        "rec\\u006frds",
        "Table\\u0073",
        "other",
    ];
    let values = [
        "[]",
        "[{\"a\":1},2]",
        "{}",
        "{\"records\":[]}",
        "5",
        "1.5e300",
        "\"text\"",
        "null",
        "true",
        "DEEP",
    ];
    // Past serde_json's nesting limit (128) and just inside it.
    let (deep, nested) = (
        format!("{}{}", "[".repeat(130), "]".repeat(130)),
        format!("{}{}", "[".repeat(120), "]".repeat(120)),
    );
    let value = |v: &'static str, pick: usize| match v {
        "DEEP" if pick % 2 == 0 => deep.as_str(),
        "DEEP" => nested.as_str(),
        v => v,
    };
    let spaces = ["", " ", "\n  ", "\t"];
    let mut random = crate::testing::XorShift::new(0x0b1e_c75e_a9e5);
    let mut next = move |n: usize| random.below(n);
    let (mut shaped, mut errors) = (0, 0);
    for round in 0..4_000 {
        let space = spaces[next(spaces.len())];
        let members: Vec<String> = (0..next(5))
            .map(|_| {
                let name = names[next(names.len())];
                format!("\"{name}\":{space}{}", value(values[next(values.len())], next(2)))
            })
            .collect();
        let mut text = format!("{space}{{{space}{}{space}}}{space}", members.join(&format!(",{space}"))).into_bytes();
        match round % 4 {
            // Cut short, or a byte changed.
            1 if !text.is_empty() => text.truncate(next(text.len())),
            2 if !text.is_empty() => {
                let at = next(text.len());
                text[at] = b"{}[]\",:x\\"[next(9)];
            }
            _ => {}
        }
        let parsed = serde_json::from_slice::<Json>(&text);
        let expected = match &parsed {
            Ok(document @ Json::Object(_)) => Some(shape_of(document)),
            _ => None,
        };
        assert_eq!(object_shape(&text), expected, "{}", String::from_utf8_lossy(&text));
        shaped += usize::from(matches!(expected, Some(Some(_))));
        errors += usize::from(expected.is_none());
    }
    assert!(shaped > 150 && errors > 500, "{shaped} shaped, {errors} not objects");
}

/// `name`'s fixture written compact, as a consumer writes a message on a line.
fn api_fixture_compact(name: &str) -> Vec<u8> {
    serde_json::to_vec(&parse(&fixture(name))).expect("prints")
}

/// The scanner's windowed string and container skips against the byte-at-a-time ones they
/// replaced, over random texts of brackets, quotes, backslash runs and plain bytes (JSON or
/// not), from every position: the same end, or none.
#[test]
fn the_scanners_skips_are_the_bytewise_ones() {
    /// The scanner before its windows: a `memchr2` search per string, containers a byte at a
    /// time.
    fn skip_bytewise(text: &[u8], mut pos: usize) -> Option<usize> {
        fn string(text: &[u8], mut pos: usize) -> Option<usize> {
            pos += 1;
            loop {
                let at = memchr::memchr2(b'"', b'\\', text.get(pos..)?)?;
                pos += at;
                if text[pos] == b'"' {
                    return Some(pos + 1);
                }
                pos += 2;
            }
        }
        match *text.get(pos)? {
            b'"' => string(text, pos),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match *text.get(pos)? {
                        b'"' => {
                            pos = string(text, pos)?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.checked_sub(1)?;
                            if depth == 0 {
                                return Some(pos + 1);
                            }
                        }
                        _ => {}
                    }
                    pos += 1;
                }
            }
            _ => None,
        }
    }
    let pieces: [&[u8]; 14] = [
        b"{",
        b"}",
        b"[",
        b"]",
        b"\"",
        b"\\",
        b"\\\\",
        b"\\\"",
        b"a",
        b",",
        b":",
        b" ",
        b"xxxxxxxxxxxxxxx",
        b"\"k\":",
    ];
    let mut random = crate::testing::XorShift::new(0x9e37_79b9_7f4a_7c15);
    let mut next = move |n: usize| random.below(n);
    let (mut ended, mut starts) = (0, 0);
    for _ in 0..4_000 {
        let text: Vec<u8> = (0..next(40))
            .flat_map(|_| pieces[next(pieces.len())].to_vec())
            .collect();
        for pos in 0..text.len() {
            if !matches!(text[pos], b'"' | b'{' | b'[') {
                continue;
            }
            let mut scan = Scanner { text: &text, pos };
            let got = scan.skip_value().map(|()| scan.pos);
            assert_eq!(
                got,
                skip_bytewise(&text, pos),
                "{} from {pos}",
                String::from_utf8_lossy(&text)
            );
            starts += 1;
            ended += usize::from(got.is_some());
        }
    }
    assert!(ended > 10_000 && starts - ended > 10_000, "{ended} of {starts} ended");
}
