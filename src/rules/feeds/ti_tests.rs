//! The threat-intelligence rows of small feeds, column by column. The rules that read them run
//! end to end in `tests/threat_intel.rs`.

use std::path::Path;

use serde_json::{json, Value as Json};

use super::*;
use crate::rules::feeds::read_feed;
use crate::time::parse_datetime;

const NOW: &str = "2026-06-21T00:00:00Z";

fn rows(name: &str, text: &str) -> (Vec<TiRecord>, Vec<FeedWarning>) {
    let feed = read_feed(Path::new(name), text).expect("the feed reads");
    let (tables, warnings) = TiTables::new(feed, parse_datetime(NOW).unwrap());
    assert_eq!(tables.len(), 2 * tables.feed().indicators.len());
    ((0..tables.len()).map(|i| tables.record(i)).collect(), warnings)
}

fn column<'a>(record: &'a TiRecord, name: &str) -> &'a Json {
    record.row.get(name).unwrap_or(&Json::Null)
}

/// Each kind of IOC fills its own observable columns in the legacy table, and its own key and
/// one-comparison pattern in the STIX table.
#[test]
fn each_kind_is_its_observable() {
    let sha256 = "ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303";
    let sha1 = "4ccba704170269b7c7ca1ecafe2ed57fd11dcba8";
    let md5 = "93e61d5a877bbb937e885d3ca385ac8a";
    // (feed line, legacy columns, ObservableKey, ObservableValue, Pattern)
    let cases: Vec<(String, Json, &str, &str, String)> = vec![
        (
            sha256.into(),
            json!({"FileHashType": "SHA256", "FileHashValue": sha256}),
            "file:hashes.'SHA-256'",
            sha256,
            format!("[file:hashes.'SHA-256' = '{sha256}']"),
        ),
        (
            sha1.into(),
            json!({"FileHashType": "SHA1", "FileHashValue": sha1}),
            "file:hashes.'SHA-1'",
            sha1,
            format!("[file:hashes.'SHA-1' = '{sha1}']"),
        ),
        (
            md5.to_uppercase(),
            json!({"FileHashType": "MD5", "FileHashValue": md5}),
            "file:hashes.MD5",
            md5,
            format!("[file:hashes.MD5 = '{md5}']"),
        ),
        (
            "moocow[.]my".into(),
            json!({"DomainName": "moocow.my"}),
            "domain-name:value",
            "moocow.my",
            "[domain-name:value = 'moocow.my']".into(),
        ),
        (
            "hxxp://evil[.]com/it's".into(),
            json!({"Url": "http://evil.com/it's"}),
            "url:value",
            "http://evil.com/it's",
            r"[url:value = 'http://evil.com/it\'s']".into(),
        ),
        (
            "185.215.113.66".into(),
            json!({"NetworkIP": "185.215.113.66"}),
            "ipv4-addr:value",
            "185.215.113.66",
            "[ipv4-addr:value = '185.215.113.66']".into(),
        ),
        (
            "185.215.113.66:4782".into(),
            json!({"NetworkIP": "185.215.113.66", "NetworkPort": 4782}),
            "network-traffic:dst_ref.value",
            "185.215.113.66",
            "[network-traffic:dst_ref.value = '185.215.113.66' AND network-traffic:dst_port = 4782]".into(),
        ),
        (
            "2001:DB8::1".into(),
            json!({"NetworkIP": "2001:db8::1"}),
            "ipv6-addr:value",
            "2001:db8::1",
            "[ipv6-addr:value = '2001:db8::1']".into(),
        ),
    ];
    for (line, legacy, key, value, pattern) in cases {
        let (records, warnings) = rows("iocs.txt", &line);
        assert!(warnings.is_empty(), "{line}: {warnings:?}");
        let [old, new] = &records[..] else {
            panic!("{line}: {records:?}")
        };
        assert_eq!((old.table, new.table), (LEGACY_TABLE, STIX_TABLE), "{line}");
        for (name, expected) in legacy.as_object().unwrap() {
            assert_eq!(column(old, name), expected, "{line}: {name}");
        }
        for name in ["FileHashValue", "DomainName", "Url", "NetworkIP"] {
            if !legacy.as_object().unwrap().contains_key(name) {
                assert_eq!(column(old, name), &Json::Null, "{line}: {name}");
            }
        }
        assert_eq!(column(new, "ObservableKey"), key, "{line}");
        assert_eq!(column(new, "ObservableValue"), value, "{line}");
        assert_eq!(column(new, "Pattern"), &json!(pattern), "{line}");
        assert_eq!(column(new, "Data")["pattern"], json!(pattern), "{line}");
        assert_eq!(column(new, "Data")["name"], json!(value), "{line}");
    }
}

/// A feed with no times of its own: ingested at `--now`, never expiring, active; the rest of
/// the row as the module documentation says.
#[test]
fn a_plain_list_gets_the_defaults() {
    let (records, _) = rows("iocs.txt", "moocow.my\n");
    let (old, new) = (&records[0], &records[1]);
    assert_eq!(column(old, "TimeGenerated"), NOW);
    assert_eq!(column(old, "ExpirationDateTime"), NO_EXPIRY);
    assert_eq!(column(old, "Active"), &json!(true));
    assert_eq!(column(old, "SourceSystem"), "iocs");
    assert_eq!(column(old, "IndicatorProvider"), "plain text");
    assert_eq!(column(old, "Description"), "");
    assert_eq!(column(old, "ConfidenceScore"), &Json::Null);
    assert_eq!(column(old, "Type"), LEGACY_TABLE);
    for name in ["TimeGenerated", "Created", "Modified", "ValidFrom"] {
        assert_eq!(column(new, name), NOW, "{name}");
    }
    assert_eq!(column(new, "ValidUntil"), NO_EXPIRY);
    assert_eq!(column(new, "IsActive"), &json!(true));
    assert_eq!(column(new, "Revoked"), &json!(false));
    assert_eq!(column(new, "IsDeleted"), &json!(false));
    assert_eq!(column(new, "Type"), STIX_TABLE);
    assert_eq!(column(new, "Tags"), &Json::Null);
    assert_eq!(column(new, "AdditionalFields"), &Json::Null);
    // `split(Id, "--")[2]`, as Microsoft's rules take it, is the legacy IndicatorId.
    let id = column(new, "Id").as_str().unwrap();
    assert_eq!(id.split("--").nth(2), column(old, "IndicatorId").as_str());
    assert_eq!(id.split("---").next(), Some("aW9jcw=="), "base64 of `iocs`");
    assert_eq!(
        column(new, "Data")["id"],
        json!(format!("indicator--{}", column(old, "IndicatorId").as_str().unwrap()))
    );
}

/// A ThreatFox row: its first-seen time, confidence, threat type, family, tags and reference.
#[test]
fn a_threatfox_row_keeps_its_metadata() {
    let csv = concat!(
        "# \"first_seen_utc\",\"ioc_id\",\"ioc_value\",\"ioc_type\",\"threat_type\",\"fk_malware\",",
        "\"malware_alias\",\"malware_printable\",\"last_seen_utc\",\"confidence_level\",\"reference\",",
        "\"tags\",\"anonymous\",\"reporter\"\n",
        "\"2026-06-20 09:12:44\", \"1530101\", \"spapro.co.com\", \"domain\", \"botnet_cc\", ",
        "\"win.nanocore\", \"None\", \"Nanocore RAT\", \"\", \"75\", \"https://example.org/r\", ",
        "\"Nanocore,TLP:AMBER\", \"0\", \"abuse_ch\"\n",
    );
    let (records, warnings) = rows("threatfox.csv", csv);
    assert!(warnings.is_empty(), "{warnings:?}");
    let (old, new) = (&records[0], &records[1]);
    assert_eq!(column(old, "ExternalIndicatorId"), "1530101");
    assert_eq!(column(old, "ThreatType"), "botnet_cc");
    assert_eq!(column(old, "MalwareNames"), "Nanocore RAT");
    assert_eq!(column(old, "ConfidenceScore"), &json!(75));
    assert_eq!(column(old, "AdditionalInformation"), "https://example.org/r");
    assert_eq!(column(old, "Tags"), r#"["Nanocore","TLP:AMBER"]"#);
    assert_eq!(column(old, "TrafficLightProtocolLevel"), "amber");
    assert_eq!(column(new, "AdditionalFields"), &json!({"TLPLevel": "amber"}));
    assert_eq!(column(new, "Confidence"), &json!(75));
    assert_eq!(column(new, "Created"), "2026-06-20T09:12:44Z");
    assert_eq!(column(new, "TimeGenerated"), NOW);
    let data = column(new, "Data");
    assert_eq!(data["indicator_types"], json!(["botnet_cc"]));
    assert_eq!(data["labels"], json!(["Nanocore", "TLP:AMBER"]));
    assert_eq!(
        data["external_references"],
        json!([{"source_name": "threatfox", "external_id": "1530101", "url": "https://example.org/r"}])
    );
}

/// A STIX indicator keeps its own UUID when it is one IOC; one whose pattern ORs several gives
/// each row its own. Its description and valid_until are the rows'; a valid_until that is not a
/// datetime is a warning naming the object.
#[test]
fn stix_ids_descriptions_and_expiry() {
    let bundle = json!({"type": "bundle", "id": "bundle--1", "objects": [
        {"type": "indicator", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
         "pattern": "[domain-name:value = 'moocow.my']", "pattern_type": "stix",
         "valid_from": "2026-06-01T00:00:00Z", "valid_until": "2026-06-10T00:00:00Z",
         "description": "State: inactive; sinkholed"},
        {"type": "indicator", "id": "indicator--1f9d0a43-7c61-4c3c-9f3a-2b6a5d8e9c01",
         "pattern": "[domain-name:value = 'a.example' OR domain-name:value = 'b.example']",
         "pattern_type": "stix", "valid_until": "next tuesday"}
    ]});
    let (records, warnings) = rows("partner.json", &bundle.to_string());
    assert_eq!(records.len(), 6);
    let ids: Vec<&str> = records
        .iter()
        .step_by(2)
        .map(|r| column(r, "IndicatorId").as_str().unwrap())
        .collect();
    assert_eq!(ids[0], "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
    assert!(
        ids[1] != ids[2] && !ids[1..].contains(&"1f9d0a43-7c61-4c3c-9f3a-2b6a5d8e9c01"),
        "{ids:?}"
    );
    for record in records.iter().step_by(2) {
        let id = column(record, "IndicatorId").as_str().unwrap();
        if id != ids[0] {
            assert_eq!(&id[14..15], "8", "version 8: {id}");
            assert!("89ab".contains(&id[19..20]), "variant: {id}");
        }
    }
    assert_eq!(column(&records[0], "ExpirationDateTime"), "2026-06-10T00:00:00Z");
    assert_eq!(column(&records[1], "ValidUntil"), "2026-06-10T00:00:00Z");
    assert_eq!(column(&records[1], "Data")["valid_until"], "2026-06-10T00:00:00Z");
    assert_eq!(column(&records[0], "Description"), "State: inactive; sinkholed");
    assert_eq!(column(&records[1], "Data")["description"], "State: inactive; sinkholed");
    assert_eq!(column(&records[1], "Created"), "2026-06-01T00:00:00Z");
    assert_eq!(
        column(&records[2], "ExternalIndicatorId"),
        "indicator--1f9d0a43-7c61-4c3c-9f3a-2b6a5d8e9c01"
    );
    assert_eq!(column(&records[2], "ExpirationDateTime"), NO_EXPIRY);
    let messages: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 1, "one per object, not per IOC: {messages:?}");
    assert!(
        messages[0].starts_with(
            "partner.json: objects[1] (indicator--1f9d0a43-7c61-4c3c-9f3a-2b6a5d8e9c01): valid until `next tuesday`"
        ),
        "{messages:?}"
    );
}

/// The same feed gives the same rows on every run; a different value gives another id.
#[test]
fn derived_ids_are_stable() {
    let (first, _) = rows("iocs.txt", "moocow.my\nspapro.co.com\n");
    let (again, _) = rows("iocs.txt", "moocow.my\nspapro.co.com\n");
    assert_eq!(first, again);
    assert_ne!(column(&first[0], "IndicatorId"), column(&first[2], "IndicatorId"));
    assert_eq!(first[2].location, Location::Line(2));
}

#[test]
fn base64_and_pattern_quoting() {
    for (bytes, expected) in [
        ("", ""),
        ("a", "YQ=="),
        ("ab", "YWI="),
        ("Kusto", "S3VzdG8="),
        ("abc", "YWJj"),
    ] {
        assert_eq!(crate::encoding::base64(bytes.as_bytes()), expected, "{bytes}");
    }
    for (value, expected) in [("a", "'a'"), ("it's", r"'it\'s'"), (r"C:\x", r"'C:\\x'")] {
        assert_eq!(quoted(value), expected, "{value}");
    }
}
