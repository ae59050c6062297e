//! IOC feeds (`loghunt::rules::feeds`): every format's fixture read into indicators with their
//! metadata, the bad feeds' warnings naming file and line or object, format detection from the
//! content, and the fixtures' IOCs being ones the sample logs hold (so the scan step has hits).

use std::path::{Path, PathBuf};

use loghunt::rules::feeds::{load_feed, read_feed, Feed, FeedFormat, FeedIndicator, IocKind};

const SHA256_HIT: &str = "ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/feeds")
        .join(name)
}

fn load(name: &str) -> Feed {
    load_feed(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// One indicator in one line: kind, value, the metadata it has, and where it came from.
fn render(i: &FeedIndicator) -> String {
    let mut out = format!("{:?} {}", i.kind, i.value);
    let fields = [
        ("id", i.id.as_deref()),
        ("family", i.family.as_deref()),
        ("threat", i.threat_type.as_deref()),
        ("first_seen", i.first_seen.as_deref()),
        ("reference", i.reference.as_deref()),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            out.push_str(&format!(" | {name}={value}"));
        }
    }
    if let Some(confidence) = i.confidence {
        out.push_str(&format!(" | confidence={confidence}"));
    }
    if !i.tags.is_empty() {
        let tags: Vec<&str> = i.tags.iter().map(|t| &**t).collect();
        out.push_str(&format!(" | tags={}", tags.join(",")));
    }
    out.push_str(&format!(" @{}", i.location));
    out
}

struct Case {
    file: &'static str,
    format: FeedFormat,
    indicators: &'static [&'static str],
    /// Fragments the warnings must have, in order, each after `<file>:` (and so naming the line
    /// or object first).
    warnings: &'static [&'static str],
    not_for_detection: usize,
}

const CASES: &[Case] = &[
    Case {
        file: "threatfox.csv",
        format: FeedFormat::ThreatFoxCsv,
        indicators: &[
            "Sha256 ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303 | id=1530001 | family=Nanocore RAT | threat=payload | first_seen=2026-06-20 09:12:44 | reference=https://bazaar.abuse.ch/sample/ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303/ | confidence=95 | tags=NanoCore,RAT @10",
            "Md5 93e61d5a877bbb937e885d3ca385ac8a | id=1530002 | family=Nanocore RAT | threat=payload | first_seen=2026-06-20 09:12:44 | confidence=95 | tags=NanoCore @11",
            "Sha1 0b8b5c278750f6e4a14fde3495cd403eddb9f2bc | id=1530003 | family=Nanocore RAT | threat=payload | first_seen=2026-06-20 09:12:44 | confidence=95 @12",
            "Domain moocow.my | id=1530004 | family=Nanocore RAT | threat=botnet_cc | first_seen=2026-05-26 14:02:11 | reference=https://example.org/reports/nanocore-may-2026 | confidence=75 | tags=NanoCore,RAT @13",
            "Ip { port: Some(4782) } 185.215.113.66 | id=1530005 | family=Nanocore RAT | threat=botnet_cc | first_seen=2026-05-26 14:02:11 | confidence=75 | tags=NanoCore @14",
            "Url http://www.mobile1.com/nc/Panel/gate.php | id=1530006 | family=Nanocore RAT | threat=botnet_cc | first_seen=2026-05-27 08:30:00 | confidence=50 | tags=NanoCore @15",
        ],
        warnings: &[],
        not_for_detection: 0,
    },
    Case {
        file: "threatfox.json",
        format: FeedFormat::ThreatFoxJson,
        indicators: &[
            "Domain spapro.co.com | id=1530101 | family=Nanocore RAT | threat=botnet_cc | first_seen=2026-05-26 14:02:11 | confidence=75 | tags=NanoCore,RAT @IOC 1530101 [0]",
            "Sha256 c2c8ed567f9c65686c4f6599e9259bd31d2ad984c24cf17ad9ebd9d594dcb0ba | id=1530102 | family=Nanocore RAT | threat=payload | first_seen=2026-06-20 07:41:09 | reference=https://bazaar.abuse.ch/sample/c2c8ed567f9c65686c4f6599e9259bd31d2ad984c24cf17ad9ebd9d594dcb0ba/ | confidence=100 @IOC 1530102 [0]",
            "Ip { port: Some(1604) } 91.92.240.18 | id=1530103 | family=AsyncRAT | threat=botnet_cc | first_seen=2026-06-18 21:00:05 | confidence=100 | tags=AsyncRAT @IOC 1530103 [0]",
        ],
        warnings: &[],
        not_for_detection: 0,
    },
    Case {
        file: "malwarebazaar.csv",
        format: FeedFormat::MalwareBazaarCsv,
        indicators: &[
            "Sha256 2e16f46c063ff79af0b312364375706e98674b5869a4c9bb9f96a14b77277c5b | id=2e16f46c063ff79af0b312364375706e98674b5869a4c9bb9f96a14b77277c5b | family=NanoCore | first_seen=2026-06-20 07:41:09 | reference=https://bazaar.abuse.ch/sample/2e16f46c063ff79af0b312364375706e98674b5869a4c9bb9f96a14b77277c5b/ @10",
            "Md5 10cf94eef24c8932d28698e02faf43e5 | id=2e16f46c063ff79af0b312364375706e98674b5869a4c9bb9f96a14b77277c5b | family=NanoCore | first_seen=2026-06-20 07:41:09 | reference=https://bazaar.abuse.ch/sample/2e16f46c063ff79af0b312364375706e98674b5869a4c9bb9f96a14b77277c5b/ @10",
            "Sha1 4ccba704170269b7c7ca1ecafe2ed57fd11dcba8 | id=2e16f46c063ff79af0b312364375706e98674b5869a4c9bb9f96a14b77277c5b | family=NanoCore | first_seen=2026-06-20 07:41:09 | reference=https://bazaar.abuse.ch/sample/2e16f46c063ff79af0b312364375706e98674b5869a4c9bb9f96a14b77277c5b/ @10",
            "Sha256 5f1e3a5e0c1bd7e9a8c8c0ffee3b8f2b4c6d8e0f1a2b3c4d5e6f708192a3b4c5 | id=5f1e3a5e0c1bd7e9a8c8c0ffee3b8f2b4c6d8e0f1a2b3c4d5e6f708192a3b4c5 | first_seen=2026-06-19 18:02:55 | reference=https://bazaar.abuse.ch/sample/5f1e3a5e0c1bd7e9a8c8c0ffee3b8f2b4c6d8e0f1a2b3c4d5e6f708192a3b4c5/ @11",
            "Md5 b4c6d8e0f1a2b3c4d5e6f708192a3b4c | id=5f1e3a5e0c1bd7e9a8c8c0ffee3b8f2b4c6d8e0f1a2b3c4d5e6f708192a3b4c5 | first_seen=2026-06-19 18:02:55 | reference=https://bazaar.abuse.ch/sample/5f1e3a5e0c1bd7e9a8c8c0ffee3b8f2b4c6d8e0f1a2b3c4d5e6f708192a3b4c5/ @11",
            "Sha1 c0ffee3b8f2b4c6d8e0f1a2b3c4d5e6f708192a3 | id=5f1e3a5e0c1bd7e9a8c8c0ffee3b8f2b4c6d8e0f1a2b3c4d5e6f708192a3b4c5 | first_seen=2026-06-19 18:02:55 | reference=https://bazaar.abuse.ch/sample/5f1e3a5e0c1bd7e9a8c8c0ffee3b8f2b4c6d8e0f1a2b3c4d5e6f708192a3b4c5/ @11",
        ],
        warnings: &[],
        not_for_detection: 0,
    },
    Case {
        file: "urlhaus.csv",
        format: FeedFormat::UrlhausCsv,
        indicators: &[
            "Url http://www.mobile1.com/nc/Update.exe | id=3401001 | threat=malware_download | first_seen=2026-06-20 06:30:12 | reference=https://urlhaus.abuse.ch/url/3401001/ | tags=exe,NanoCore @10",
            "Url https://www.shbet.id/dl/payload.bin | id=3401002 | threat=malware_download | first_seen=2026-06-19 11:15:40 | reference=https://urlhaus.abuse.ch/url/3401002/ @11",
        ],
        warnings: &[],
        not_for_detection: 0,
    },
    Case {
        file: "misp-event.json",
        format: FeedFormat::Misp,
        indicators: &[
            "Sha256 2e16f46c063ff79af0b312364375706e98674b5869a4c9bb9f96a14b77277c5b | id=a1f0c3c2-0001-4d7e-9a1b-000000000001 | family=NanoCore | threat=Payload delivery | first_seen=2026-06-20 | reference=https://example.org/blog/nanocore-finance-2026 @Event.Attribute[0] (a1f0c3c2-0001-4d7e-9a1b-000000000001)",
            "Domain www.shbet.id | id=a1f0c3c2-0003-4d7e-9a1b-000000000003 | family=NanoCore | threat=Network activity | first_seen=2026-05-26T14:02:11.000000+00:00 | reference=https://example.org/blog/nanocore-finance-2026 @Event.Attribute[2] (a1f0c3c2-0003-4d7e-9a1b-000000000003)",
            "Ip { port: Some(1604) } 91.92.240.18 | id=a1f0c3c2-0004-4d7e-9a1b-000000000004 | family=AsyncRAT | threat=Network activity | first_seen=2026-06-20 | reference=https://example.org/blog/nanocore-finance-2026 | tags=kill-chain:Command and Control @Event.Attribute[3] (a1f0c3c2-0004-4d7e-9a1b-000000000004)",
            "Domain cdn.www.mobile1.com | id=a1f0c3c2-0005-4d7e-9a1b-000000000005 | family=NanoCore | threat=Network activity | first_seen=2026-06-20 | reference=https://example.org/blog/nanocore-finance-2026 @Event.Attribute[4] (a1f0c3c2-0005-4d7e-9a1b-000000000005)",
            "Sha1 4ccba704170269b7c7ca1ecafe2ed57fd11dcba8 | id=a1f0c3c2-0009-4d7e-9a1b-000000000009 | family=NanoCore | threat=Payload delivery | first_seen=2026-06-20 | reference=https://example.org/blog/nanocore-finance-2026 @Event.Object[0].Attribute[1] (a1f0c3c2-0009-4d7e-9a1b-000000000009)",
            "Md5 10cf94eef24c8932d28698e02faf43e5 | id=a1f0c3c2-0010-4d7e-9a1b-000000000010 | family=NanoCore | threat=Payload delivery | first_seen=2026-06-20 | reference=https://example.org/blog/nanocore-finance-2026 @Event.Object[0].Attribute[2] (a1f0c3c2-0010-4d7e-9a1b-000000000010)",
        ],
        warnings: &[" Event: 1 attribute of types loghunt does not scan for not loaded (email-src ×1)"],
        // The md5 marked `to_ids: false`, the link and the file name.
        not_for_detection: 3,
    },
    Case {
        file: "stix-bundle.json",
        format: FeedFormat::Stix,
        indicators: &[
            "Sha256 ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303 | id=indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f | family=Nanocore RAT | threat=malicious-activity | first_seen=2026-06-20T09:12:44Z | reference=https://threatfox.abuse.ch/ioc/1530001/ | confidence=90 | tags=nanocore,dropper @objects[2] (indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f)",
            "Md5 93e61d5a877bbb937e885d3ca385ac8a | id=indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f | family=Nanocore RAT | threat=malicious-activity | first_seen=2026-06-20T09:12:44Z | reference=https://threatfox.abuse.ch/ioc/1530001/ | confidence=90 | tags=nanocore,dropper @objects[2] (indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f)",
            "Domain moocow.my | id=indicator--1f9d0a43-7c61-4c3c-9f3a-2b6a5d8e9c01 | family=Nanocore RAT | threat=malicious-activity, attribution | first_seen=2026-05-26T14:02:11Z | confidence=75 @objects[3] (indicator--1f9d0a43-7c61-4c3c-9f3a-2b6a5d8e9c01)",
            "Domain spapro.co.com | id=indicator--1f9d0a43-7c61-4c3c-9f3a-2b6a5d8e9c01 | family=Nanocore RAT | threat=malicious-activity, attribution | first_seen=2026-05-26T14:02:11Z | confidence=75 @objects[3] (indicator--1f9d0a43-7c61-4c3c-9f3a-2b6a5d8e9c01)",
            "Ip { port: None } 185.215.113.66 | id=indicator--4d3c2b1a-0f9e-4d8c-8b7a-6a5b4c3d2e1f | first_seen=2026-05-26T14:02:11Z @objects[4] (indicator--4d3c2b1a-0f9e-4d8c-8b7a-6a5b4c3d2e1f)",
        ],
        warnings: &[],
        // The revoked indicator.
        not_for_detection: 1,
    },
    Case {
        file: "iocs.txt",
        format: FeedFormat::PlainText,
        indicators: &[
            "Url http://moocow.my/gate.php @4",
            "Domain www.shbet.id @5",
            "Domain spapro.co.com @6",
            "Ip { port: Some(4782) } 185.215.113.66 @7",
            "Sha256 ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303 @8",
            "Sha1 0b8b5c278750f6e4a14fde3495cd403eddb9f2bc @9",
            "Md5 93e61d5a877bbb937e885d3ca385ac8a @11",
        ],
        warnings: &[],
        not_for_detection: 0,
    },
    // The bad feeds: each bad row or object is a warning naming its line or object, and the
    // good IOCs around it still load.
    Case {
        file: "bad-threatfox-truncated.json",
        format: FeedFormat::ThreatFoxJson,
        indicators: &[
            "Domain www.mobile1.com | id=1530201 | family=Nanocore RAT | threat=botnet_cc | first_seen=2026-05-27 08:30:00 UTC | confidence=75 | tags=NanoCore,RAT @data[0]",
            "Sha256 2e16f46c063ff79af0b312364375706e98674b5869a4c9bb9f96a14b77277c5b | id=1530202 | family=Nanocore RAT | threat=payload | first_seen=2026-06-20 07:41:09 UTC | reference=https://bazaar.abuse.ch/sample/2e16f46c063ff79af0b312364375706e98674b5869a4c9bb9f96a14b77277c5b/ | confidence=100 @data[1]",
        ],
        warnings: &[
            "42: the JSON ends early (the feed is cut off); the IOCs complete before it are loaded",
            " data[2]: the feed is cut off inside this IOC; not loaded",
        ],
        not_for_detection: 0,
    },
    Case {
        file: "bad-threatfox-rows.csv",
        format: FeedFormat::ThreatFoxCsv,
        indicators: &[
            "Md5 10cf94eef24c8932d28698e02faf43e5 | id=1530301 | family=Nanocore RAT | threat=payload | first_seen=2026-06-20 09:12:44 | confidence=95 @6",
            "Domain spapro.co.com | id=1530304 | family=Nanocore RAT | threat=botnet_cc | first_seen=2026-06-20 09:12:44 @9",
        ],
        warnings: &[
            "7: unknown ioc_type `sha3_384_hash`",
            "8: sha256 hash `ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e59930` has 63 hex digits, not 64",
            "9: confidence `high` is not a number from 0 to 100; kept without one",
            "10: the row has 5 fields, the header 14; row not loaded",
            "11: `d` after a quoted field; row not loaded",
        ],
        not_for_detection: 0,
    },
    Case {
        file: "bad-stix-unsupported.json",
        format: FeedFormat::Stix,
        indicators: &[
            "Url http://www.mobile1.com/nc/Panel/gate.php | id=indicator--11111111-1111-4111-8111-111111111111 | first_seen=2026-06-20T00:00:00Z @objects[0] (indicator--11111111-1111-4111-8111-111111111111)",
        ],
        warnings: &[
            " objects[1] (indicator--22222222-2222-4222-8222-222222222222): pattern `[file:hashes.'SHA-256' = '2e16f46c063ff79af0b312364375706e98674b5869a4c9bb9f96a14b77277c5b' AND file:name = 'invoice.pdf.exe']` is outside the supported subset: `AND`",
            " objects[2] (indicator--33333333-3333-4333-8333-333333333333): pattern `[process:command_line MATCHES 'nanocore\\\\.exe']` is outside the supported subset: `process:command_line`",
            " objects[3] (indicator--44444444-4444-4444-8444-444444444444): pattern_type `sigma` is not read",
            " objects[4] (indicator--55555555-5555-4555-8555-555555555555): sha256 hash `c2c8ed567f9c65686c4f6599e9259bd31d2ad984c24cf17ad9ebd9d594dcb0b` has 63 hex digits, not 64",
        ],
        not_for_detection: 0,
    },
    Case {
        file: "bad-iocs.txt",
        format: FeedFormat::PlainText,
        indicators: &[
            "Domain moocow.my @2",
            "Sha256 c2c8ed567f9c65686c4f6599e9259bd31d2ad984c24cf17ad9ebd9d594dcb0ba @5",
        ],
        warnings: &[
            "3: `93e61d5a877bbb937e885d3ca385ac8` looks like a hash but has 31 hex digits",
            "4: `not an ioc at all` is more than one value",
            "6: cannot tell what kind of IOC `localhost` is",
        ],
        not_for_detection: 0,
    },
];

#[test]
fn every_fixture_reads_as_expected() {
    for case in CASES {
        let feed = load(case.file);
        assert_eq!(feed.format, case.format, "{}", case.file);
        let got: Vec<String> = feed.indicators.iter().map(render).collect();
        assert_eq!(got, case.indicators, "{}", case.file);
        let stem = case.file.rsplit_once('.').unwrap().0;
        assert!(
            feed.indicators.iter().all(|i| &*i.feed == stem),
            "{}: feed name",
            case.file
        );
        let warnings: Vec<String> = feed.warnings.iter().map(|w| w.to_string()).collect();
        assert_eq!(warnings.len(), case.warnings.len(), "{}: {warnings:#?}", case.file);
        for (warning, expected) in warnings.iter().zip(case.warnings) {
            let prefix = format!("{}:{expected}", fixture(case.file).display());
            assert!(
                warning.starts_with(&prefix),
                "{}: `{warning}` does not start with `{prefix}`",
                case.file
            );
        }
        assert_eq!(feed.not_for_detection, case.not_for_detection, "{}", case.file);
    }
}

#[test]
fn the_format_is_told_from_the_content_not_the_name() {
    for case in CASES {
        let text = std::fs::read_to_string(fixture(case.file)).unwrap();
        for misleading in ["feed.json", "feed.csv", "feed.txt", "feed"] {
            let feed = read_feed(Path::new(misleading), &text).unwrap();
            assert_eq!(feed.format, case.format, "{} read as {misleading}", case.file);
            assert_eq!(
                feed.indicators.len(),
                case.indicators.len(),
                "{} read as {misleading}",
                case.file
            );
        }
    }
}

#[test]
fn csv_headers_where_exports_put_them() {
    let row = r#""2026-06-20 09:12:44", "1530001", "ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303", "sha256_hash", "payload", "win.nanocore", "None", "Nanocore RAT", "", "95", "", "None", "0", "abuse_ch""#;
    let header = r#""first_seen_utc","ioc_id","ioc_value","ioc_type","threat_type","fk_malware","malware_alias","malware_printable","last_seen_utc","confidence_level","reference","tags","anonymous","reporter""#;
    let cases = [
        // The header as the first line, as a spreadsheet saves it, with a BOM and CRLF.
        (format!("\u{feff}{header}\r\n{row}\r\n"), FeedFormat::ThreatFoxCsv, 2),
        // The header in the banner's last comment line, as abuse.ch writes it.
        (format!("# ThreatFox IOCs: CSV export\n#\n# {header}\n{row}\n"), FeedFormat::ThreatFoxCsv, 4),
        // The header line lost: the banner names the export, whose columns then apply.
        (format!("# ThreatFox IOCs: CSV export\n#\n{row}\n"), FeedFormat::ThreatFoxCsv, 3),
        (
            "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n\"1\",\"2026-06-20 06:30:12\",\"http://x.example/a\",\"online\",\"\",\"malware_download\",\"\",\"https://urlhaus.abuse.ch/url/1/\",\"r\"\n".to_string(),
            FeedFormat::UrlhausCsv,
            2,
        ),
    ];
    for (text, format, line) in cases {
        let feed = read_feed(Path::new("feed.csv"), &text).unwrap();
        assert_eq!(feed.format, format, "{text}");
        assert!(feed.warnings.is_empty(), "{text}: {:?}", feed.warnings);
        assert_eq!(feed.indicators.len(), 1, "{text}");
        assert_eq!(feed.indicators[0].location.to_string(), line.to_string(), "{text}");
    }
    let feed = read_feed(Path::new("feed.csv"), &format!("{header}\n{row}\n")).unwrap();
    assert_eq!(feed.indicators[0].value, SHA256_HIT);
    assert_eq!(feed.indicators[0].family.as_deref(), Some("Nanocore RAT"));
}

#[test]
fn json_shapes_of_misp_and_threatfox() {
    let attribute = r#"{"type":"domain","category":"Network activity","to_ids":true,"uuid":"u1","value":"moocow.my"}"#;
    let event = format!(r#"{{"info":"x","date":"2026-06-20","Attribute":[{attribute}]}}"#);
    let cases = [
        (
            format!(r#"{{"Event":{event}}}"#),
            FeedFormat::Misp,
            "Event.Attribute[0] (u1)",
        ),
        (
            format!(r#"{{"response":[{{"Event":{event}}}]}}"#),
            FeedFormat::Misp,
            "response[0].Event.Attribute[0] (u1)",
        ),
        (
            format!(r#"[{{"Event":{event}}}]"#),
            FeedFormat::Misp,
            "[0].Event.Attribute[0] (u1)",
        ),
        (event.clone(), FeedFormat::Misp, "Event.Attribute[0] (u1)"),
        (
            r#"{"query_status":"ok","data":[{"id":"7","ioc":"moocow.my","ioc_type":"domain","tags":["a"]}]}"#
                .to_string(),
            FeedFormat::ThreatFoxJson,
            "data[0]",
        ),
        (
            r#"[{"ioc_id":"7","ioc_value":"moocow.my","ioc_type":"domain"}]"#.to_string(),
            FeedFormat::ThreatFoxJson,
            "[0]",
        ),
    ];
    for (text, format, location) in cases {
        let feed = read_feed(Path::new("feed.json"), &text).unwrap();
        assert_eq!(feed.format, format, "{text}");
        assert!(feed.warnings.is_empty(), "{text}: {:?}", feed.warnings);
        let got: Vec<(IocKind, &str, String)> = feed
            .indicators
            .iter()
            .map(|i| (i.kind, i.value.as_str(), i.location.to_string()))
            .collect();
        assert_eq!(got, [(IocKind::Domain, "moocow.my", location.to_string())], "{text}");
    }
}

#[test]
fn broken_json_keeps_what_came_before_the_break() {
    let text = "[\n{\"ioc_id\":\"1\",\"ioc_value\":\"moocow.my\",\"ioc_type\":\"domain\"},\n{\"ioc_id\":\"2\",\"ioc_value\":\"spapro.co.com\",\"ioc_type\":\"domain\"} oops,\n{\"ioc_id\":\"3\",\"ioc_value\":\"www.shbet.id\",\"ioc_type\":\"domain\"}\n]\n";
    let feed = read_feed(Path::new("broken.json"), text).unwrap();
    let values: Vec<&str> = feed.indicators.iter().map(|i| i.value.as_str()).collect();
    assert_eq!(values, ["moocow.my", "spapro.co.com"]);
    assert_eq!(feed.warnings.len(), 1);
    let warning = feed.warnings[0].to_string();
    assert!(
        warning.starts_with("broken.json:3: invalid JSON at column "),
        "{warning}"
    );
    assert!(warning.contains("nothing after it is read"), "{warning}");
}

#[test]
fn feeds_that_cannot_be_used_are_errors() {
    let cases = [
        ("", "the feed is empty"),
        ("\u{feff}  \n\n", "the feed is empty"),
        (
            r#"{"hello":"world"}"#,
            "JSON of no known feed shape (expected a STIX 2.1 bundle, a MISP event or a ThreatFox export)",
        ),
        (
            "[{\"ioc_id\":\"1\",\"ioc_val",
            "line 1: the JSON ends early (the feed is cut off), before any complete object",
        ),
    ];
    for (text, expected) in cases {
        let error = read_feed(Path::new("x.json"), text).unwrap_err().to_string();
        assert_eq!(error, format!("x.json: {expected}"), "{text:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    let latin1 = dir.path().join("latin1.txt");
    std::fs::write(&latin1, b"caf\xe9.example\n").unwrap();
    assert!(load_feed(&latin1)
        .unwrap_err()
        .to_string()
        .ends_with("feed is not UTF-8 (byte offset 3)"));
    assert!(load_feed(&dir.path().join("missing.txt"))
        .unwrap_err()
        .to_string()
        .contains("cannot read feed"));
}

#[test]
fn defanged_and_odd_values_are_normalised() {
    let text = "hxxps://Evil[.]Example/Path?Q=1\nEVIL(.)example[.]\n10[.]0[.]0[.]1\n[2001:db8::1]:8443\nD41D8CD98F00B204E9800998ECF8427E\n";
    let feed = read_feed(Path::new("list.txt"), text).unwrap();
    let got: Vec<(IocKind, &str)> = feed.indicators.iter().map(|i| (i.kind, i.value.as_str())).collect();
    assert_eq!(
        got,
        [
            (IocKind::Url, "https://evil.example/Path?Q=1"),
            (IocKind::Domain, "evil.example"),
            (IocKind::Ip { port: None }, "10.0.0.1"),
            (IocKind::Ip { port: Some(8443) }, "2001:db8::1"),
            (IocKind::Md5, "d41d8cd98f00b204e9800998ecf8427e"),
        ]
    );
    assert!(feed.warnings.is_empty(), "{:?}", feed.warnings);
}

/// The scan step needs hits: every good fixture names IOCs the sample logs hold.
#[test]
fn fixture_iocs_occur_in_the_sample_logs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
    let mut logs = String::new();
    for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
        let entry = entry.unwrap();
        let is_log = entry.path().extension().is_some_and(|e| e == "json" || e == "jsonl");
        if entry.file_type().is_file() && is_log {
            logs.push_str(&std::fs::read_to_string(entry.path()).unwrap().to_ascii_lowercase());
        }
    }
    for case in CASES.iter().filter(|c| !c.file.starts_with("bad-")) {
        let feed = load(case.file);
        // The samples hold no URLs: a URL IOC counts by its host, which DnsEvents has.
        let needle = |i: &FeedIndicator| match i.kind {
            IocKind::Url => i.value.split('/').nth(2).unwrap_or_default().to_string(),
            _ => i.value.clone(),
        };
        let hits = feed
            .indicators
            .iter()
            .filter(|i| logs.contains(&format!("\"{}\"", needle(i))))
            .count();
        assert!(hits > 0, "{}: no IOC occurs in sample-logs/", case.file);
    }
}
