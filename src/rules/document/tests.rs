//! Tests of `document`.
use std::borrow::Cow;

use super::*;
use crate::rules::Indicator;

const SEED_000: &str = include_str!("../../../rules/000_4a715f3ed2ee4353.txt");
const SEED_001: &str = include_str!("../../../rules/001_84b55028b3ede4ab.txt");
const PATH: &str = "rules/test.txt";

fn parse(text: &str) -> Result<(Rule, Vec<Warning>), RuleError> {
    parse_document("test", Path::new(PATH), text)
}

fn parse_clean(name: &str, text: &str) -> Rule {
    let (rule, warnings) = parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(warnings.is_empty(), "{name}: unexpected warnings {warnings:?}");
    rule
}

fn messages(text: &str) -> Vec<String> {
    let (_, warnings) = parse(text).expect("the document parses");
    assert!(warnings.iter().all(|w| w.rule == "test"));
    warnings.into_iter().map(|w| w.message).collect()
}

fn indicator(kind: IndicatorKind, value: &str, threat: &str, seen: &str, conf: &str) -> Indicator {
    Indicator {
        kind,
        value: value.into(),
        threat_type: Some(threat.into()),
        first_seen: Some(seen.into()),
        confidence: Some(conf.into()),
        id: None,
        reference: None,
        feed: None,
    }
}

/// `text` with lines `from..=to` (1-based) removed.
fn without_lines(text: &str, from: usize, to: usize) -> String {
    let kept: Vec<&str> = text
        .split('\n')
        .enumerate()
        .filter(|(i, _)| !(from..=to).contains(&(i + 1)))
        .map(|(_, line)| line)
        .collect();
    kept.join("\n")
}

/// `text` cut just after the first occurrence of `marker`.
fn cut_after(text: &str, marker: &str) -> String {
    let at = text.find(marker).expect("marker in text") + marker.len();
    text[..at].to_string()
}

#[test]
fn seed_000() {
    let rule = parse_clean("000", SEED_000);
    assert_eq!(rule.id, "test");
    assert_eq!(rule.source, Path::new(PATH));
    assert_eq!(rule.title.as_deref(), Some("ThreatFox: Nanocore RAT IOCs"));
    assert_eq!(rule.family.as_deref(), Some("Nanocore RAT"));
    assert_eq!(rule.declared_total, Some(18));
    assert_eq!(rule.indicators.len(), 18);
    assert_eq!(
        rule.indicators.get(0).unwrap(),
        indicator(
            IndicatorKind::Sha256,
            "ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303",
            "payload",
            "2026-06-20",
            "95%"
        )
    );
    assert_eq!(
        rule.indicators.get(17).unwrap(),
        indicator(
            IndicatorKind::Sha1,
            "9c9b962deead54c4364d378324e1f4ec603ab81c",
            "payload",
            "2026-06-20",
            "95%"
        )
    );
    assert_eq!(rule.indicators.get(2).unwrap().kind, IndicatorKind::Md5);
    let query: Vec<&str> = rule.query.lines().collect();
    assert_eq!(query.len(), 7);
    assert_eq!(query[0], "// Hunt for files matching known malicious hashes");
    assert_eq!(query[3], "DeviceFileEvents");
    assert_eq!(query[6], "| order by Timestamp desc");
    assert_eq!(
        rule.query,
        SEED_000.lines().skip(23).take(7).collect::<Vec<_>>().join("\n")
    );
    assert_eq!(rule.query_line, 24);
    assert_eq!(rule.table.as_deref(), Some("DeviceFileEvents"));
    assert_eq!(rule.scenarios.len(), 5);
    assert_eq!(
        rule.scenarios[0],
        Scenario {
            name: "Scheduled system backup using Veeam Backup & Replication".into(),
            description: Some(
                "The backup process may involve IOCs that resemble malicious activity, such as \
                 file creation or network connections."
                    .into()
            ),
            filter: Some(
                "Check for the presence of veeam or backup in the process name or command \
                 line, and filter by known backup directories (e.g., C:\\ProgramData\\Veeam)."
                    .into()
            ),
        }
    );
    assert_eq!(
        rule.scenarios[4],
        Scenario {
            name: "Remote PowerShell session initiated by IT administrators for system \
                   configuration"
                .into(),
            description: None,
            filter: None,
        }
    );
}

#[test]
fn seed_001() {
    let rule = parse_clean("001", SEED_001);
    // The opening sentence has no `The <name> rule`, so the title is the query's source.
    assert_eq!(rule.title.as_deref(), Some("ThreatFox - Nanocore RAT"));
    assert_eq!(rule.family.as_deref(), Some("Nanocore RAT"));
    assert_eq!(rule.declared_total, Some(4));
    assert_eq!(rule.indicators.len(), 4);
    assert_eq!(
        rule.indicators.get(0).unwrap(),
        indicator(
            IndicatorKind::Domain,
            "www.mobile1.com",
            "botnet_cc",
            "2026-05-27",
            "75%"
        )
    );
    assert_eq!(
        rule.indicators.get(3).unwrap(),
        indicator(IndicatorKind::Domain, "moocow.my", "botnet_cc", "2026-05-26", "75%")
    );
    assert!(rule
        .query
        .starts_with("// Hunt for DNS queries to known malicious domains\n"));
    assert!(rule.query.ends_with("\n| order by TimeGenerated desc"));
    assert_eq!(rule.query.lines().count(), 7);
    assert_eq!(rule.query_line, 10);
    assert_eq!(rule.table.as_deref(), Some("DnsEvents"));
    assert_eq!(rule.scenarios.len(), 5);
    assert_eq!(
        rule.scenarios[0],
        Scenario {
            name: "Legitimate scheduled job using nanocore.exe for system monitoring".into(),
            description: Some(
                "A system administrator uses a custom script named nanocore.exe as part of a \
                 scheduled job to monitor system performance."
                    .into()
            ),
            filter: Some(
                "Exclude processes where the full path contains C:\\Windows\\System32\\ or \
                 C:\\Program Files\\ and the process is associated with a known monitoring \
                 tool (e.g., perfmon.exe)."
                    .into()
            ),
        }
    );
    assert_eq!(
        rule.scenarios[4],
        Scenario {
            name: "Legitimate tool named nanocore used in a".into(),
            description: None,
            filter: None,
        }
    );
}

/// Variants of seed 000 that must give the same rule, except where the query starts.
#[test]
fn messy_variants_give_the_seed_rule() {
    let seed = parse_clean("000", SEED_000);
    let query = "// Hunt for files";
    let query_end = "| order by Timestamp desc\n";
    let no_outer_pipes: Vec<String> = SEED_000
        .split('\n')
        .map(
            |line| match line.strip_prefix("| ").and_then(|l| l.strip_suffix(" |")) {
                Some(inner) => inner.to_string(),
                None => line.to_string(),
            },
        )
        .collect();
    let markdown = SEED_000
        .replace("IOC Summary", "## IOC Summary")
        .replace(
            "Malware Family: Nanocore RAT Total IOCs: 18 IOC Types:",
            "- **Malware Family:** Nanocore RAT\n- **Total IOCs:** 18\n- **IOC Types:**",
        )
        .replace("| Sentinel Table | Notes |", "## Sentinel Table\n| Table | Notes |")
        .replacen("Scenario:", "## False Positive Scenarios\n\nScenario:", 1)
        .replace("Scenario: ", "**Scenario:** ")
        .replace("Description: ", "- **Description:** ")
        .replace("Filter/Exclusion: ", "- **Filter/Exclusion:** ");
    let cases: Vec<(&str, String, u32)> = vec![
        (
            "CRLF and BOM",
            format!("\u{feff}{}", SEED_000.replace('\n', "\r\n")),
            24,
        ),
        ("rows without outer pipes", no_outer_pipes.join("\n"), 24),
        (
            "query in a kql fence",
            SEED_000
                .replace(query, &format!("```kql\n{query}"))
                .replace(query_end, &format!("{query_end}```\n")),
            25,
        ),
        (
            "query in a bare fence under a heading",
            SEED_000
                .replace(query, &format!("\n## Query\n\n```\n\n{query}"))
                .replace(query_end, &format!("{query_end}\n```\n")),
            29,
        ),
        (
            "bare query under a heading",
            SEED_000.replace(query, &format!("## Query\n{query}")),
            25,
        ),
        ("markdown headings and bold labels", markdown, 26),
        (
            "bold summary fields run together",
            SEED_000
                .replace("Malware Family:", "**Malware Family:**")
                .replace("Total IOCs:", "**Total IOCs:**")
                .replace("IOC Types:", "**IOC Types:**"),
            24,
        ),
    ];
    for (name, text, query_line) in cases {
        let rule = parse_clean(name, &text);
        let expected = Rule {
            query_line,
            ..seed.clone()
        };
        assert_eq!(rule, expected, "{name}");
    }
}

#[test]
fn bare_query_from_a_table_name() {
    // No comments or `let`: the table name line, followed by an operator, starts the query.
    let alone = SEED_000
        .replace("// Hunt for files matching known malicious hashes\n", "")
        .replace("// Source: ThreatFox - Nanocore RAT\n", "");
    let alone = without_lines(&alone, 24, 24);
    let joined = alone.replace("DeviceFileEvents\n| where", "DeviceFileEvents | where");
    for (name, text, lines) in [("alone", alone, 4), ("joined", joined, 3)] {
        let (rule, _) = parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(rule.query_line, 24, "{name}");
        assert!(rule.query.starts_with("DeviceFileEvents"), "{name}");
        assert_eq!(rule.query.lines().count(), lines, "{name}");
        assert!(rule.query.ends_with("| order by Timestamp desc"), "{name}");
        assert_eq!(rule.table.as_deref(), Some("DeviceFileEvents"), "{name}");
        assert_eq!(rule.title.as_deref(), Some("ThreatFox: Nanocore RAT IOCs"), "{name}");
    }
}

#[test]
fn scenario_forms() {
    let text = format!(
        "{}\n\n### Scenario 2: Browser update\n- **Description:** Chrome updates\n  fetch \
         files.\n- **Filter/Exclusion:**\nexclude chrome.exe\n**Scenario:**\nLabel alone\n\
         Description: d\nTrailing prose is no part of it.\n\n## References\nsee ThreatFox",
        without_lines(SEED_001, 19, 32)
    );
    let rule = parse_clean("scenarios", &text);
    let scenario = |name: &str, description: &str, filter: Option<&str>| Scenario {
        name: name.into(),
        description: Some(description.into()),
        filter: filter.map(Into::into),
    };
    assert_eq!(
        rule.scenarios,
        [
            scenario(
                "Browser update",
                "Chrome updates fetch files.",
                Some("exclude chrome.exe")
            ),
            scenario("Label alone", "d", None),
        ]
    );
}

#[test]
fn titles() {
    let heading = format!("# Nanocore hunting\n{SEED_000}");
    let detection = SEED_000.replacen(
        "The ThreatFox: Nanocore RAT IOCs rule detects",
        "The Emotet Loader detection flags",
        1,
    );
    let lowercase = SEED_001.replace("// Source: ThreatFox - Nanocore RAT\n", "").replacen(
        "The detection identifies",
        "The attacker evades the rule here",
        1,
    );
    let cases = [
        ("heading", heading.as_str(), Some("Nanocore hunting")),
        ("detection", detection.as_str(), Some("Emotet Loader")),
        ("none", lowercase.as_str(), None),
    ];
    for (name, text, title) in cases {
        let (rule, _) = parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(rule.title.as_deref(), title, "{name}");
    }
}

#[test]
fn warnings_name_the_value() {
    let sha256 = "| ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303 |";
    let md5 = "| 93e61d5a877bbb937e885d3ca385ac8a |";
    let row = "| md5_hash | 10cf94eef24c8932d28698e02faf43e5 | payload | 2026-06-20 | 95% |";
    let short_row = "| md5_hash | 10cf94eef24c8932d28698e02faf43e5 |";
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "wrong-length hash",
            SEED_000.replace(sha256, "| ef0e9301403d |"),
            vec!["sha256_hash `ef0e9301403d` has 12 hex digits, expected 64"],
        ),
        (
            "non-hex hash",
            SEED_000.replace(md5, "| 93e61d5a877bbb937e885d3ca385ac8z |"),
            vec!["md5_hash `93e61d5a877bbb937e885d3ca385ac8z` contains non-hex character `z`"],
        ),
        (
            "non-hex multi-byte hash",
            SEED_000.replace(
                "| 0b8b5c278750f6e4a14fde3495cd403eddb9f2bc |",
                "| 0b8b5c278750f6e4a14fde3495cd403eddb9f2bé |",
            ),
            vec!["sha1_hash `0b8b5c278750f6e4a14fde3495cd403eddb9f2bé` contains non-hex character `é`"],
        ),
        (
            "mismatched total",
            SEED_000.replace("Total IOCs: 18", "Total IOCs: 19"),
            vec!["summary says Total IOCs: 19 but the IOC table has 18 rows"],
        ),
        (
            "short row",
            SEED_000.replace(row, short_row),
            vec![
                "IOC table row on line 11 has 2 of the header's 5 cells: \
                 `| md5_hash | 10cf94eef24c8932d28698e02faf43e5 |`",
            ],
        ),
        (
            "row without a value",
            SEED_000.replace(row, "| md5_hash | | payload | 2026-06-20 | 95% |"),
            vec![
                "IOC table row on line 11 has no value, so it is skipped: \
                 `| md5_hash | | payload | 2026-06-20 | 95% |`",
            ],
        ),
        (
            "no IOC table",
            without_lines(SEED_000, 4, 23),
            vec!["summary says Total IOCs: 18 but the document has no IOC table"],
        ),
        (
            "no IOC table, no total",
            without_lines(SEED_001, 4, 9).replace("Total IOCs: 4 ", ""),
            vec!["summary lists IOC types (domain) but the document has no IOC table"],
        ),
        (
            "second kql block",
            format!("{SEED_001}\n```kql\nDnsEvents\n| take 1\n```\n"),
            vec!["the KQL block on line 33 is ignored: a rule has one query, the first"],
        ),
    ];
    for (name, text, expected) in cases {
        assert_eq!(messages(&text), expected, "{name}");
    }
}

#[test]
fn errors() {
    let no_query = without_lines(SEED_000, 24, 30);
    let cut_in_table = cut_after(SEED_000, "| 2470c9c99f13ded1f5b");
    let cases = [
        ("no query", no_query.as_str(), "no KQL query found in the document"),
        (
            "cut in the IOC table",
            cut_in_table.as_str(),
            "no KQL query found in the document",
        ),
        ("empty", "", "the document is empty"),
        ("blank with BOM", "\u{feff}\r\n  \n\t", "the document is empty"),
    ];
    for (name, text, message) in cases {
        let error = parse(text).expect_err(name);
        assert_eq!(
            error,
            RuleError {
                path: PATH.into(),
                message: message.into()
            },
            "{name}"
        );
        assert_eq!(error.to_string(), format!("{PATH}: {message}"), "{name}");
    }
}

#[test]
fn query_cut_off_is_kept_as_far_as_it_goes() {
    let cases = [
        ("in a pipe line", "| where SHA256 in (malicious_hashes) or SH", 5),
        ("in the let", "let malicious_hashes = dynamic([\"ef0e93", 3),
    ];
    for (name, cut, lines) in cases {
        let text = cut_after(SEED_000, cut);
        let rule = parse_clean(name, &text);
        assert_eq!(rule.query_line, 24, "{name}");
        assert_eq!(rule.query.lines().count(), lines, "{name}");
        assert!(rule.query.ends_with(cut), "{name}");
        assert_eq!(rule.indicators.len(), 18, "{name}");
        assert_eq!(rule.table, None, "{name}");
        assert!(rule.scenarios.is_empty(), "{name}");
    }
}

#[test]
fn any_prefix_of_multi_byte_text_is_safe() {
    let text = format!(
        "\u{feff}{}",
        SEED_001.replace("nanocore", "nanocöre✓").replace('\n', "\r\n")
    )
    .replace("| domain | moocow.my |", "| domain | mööcow.my |")
    .replace("Total IOCs:", "Total IOCs: ①");
    for (at, _) in text.char_indices() {
        let _ = parse(&text[..at]);
    }
    let (rule, _) = parse(&text).expect("the whole text parses");
    assert_eq!(rule.scenarios.len(), 5);
    assert_eq!(rule.declared_total, None);
}

#[test]
fn quick_cell_helpers_agree_with_the_plain_definitions() {
    // `trim`, `split_cells` and `contains_ignoring_case` take shortcuts for the million-row
    // case; each must give what the plain standard-library spelling gives.
    let texts = [
        "",
        " ",
        "a",
        " a ",
        "\u{a0}x\u{a0}",
        "\u{3000}x",
        "x\u{2003}",
        "é ",
        " ü",
        "\t**b**\t",
        "`c`",
        "| a | b |",
        "a|b",
        "| a \\| b | c |",
        "|x|",
        "||",
        "| ` `` |",
        "Sentinel TABLE",
        "TyPe",
        "ty",
        "tttype",
        "\u{feff}type",
        "sha256_hash | T",
        "\u{b}x\u{b}",
        "x\u{b}",
        "\u{c} y \u{b}\t",
        "| a \\ b | c |",
        "\\|a|",
        "| a | b \\|",
        "| \\\\| b |",
        "a\\",
        // Longer than a word, with an escaped pipe across the boundary of two.
        "| sha256_hash | 3e4f08f3673934852dd0428379578f6d64cc033f89c55a451796fefb3e03fecb | payload |",
        "| url | http://x.example/abc\\|d | payload |",
        "|1234567\\|9|",
        "1234567|\\|x|",
    ];
    let plain_cells = |text: &str| -> Vec<String> {
        let line = text.trim();
        let line = line.strip_prefix('|').unwrap_or(line);
        let line = match line.strip_suffix('|') {
            Some(rest) if !rest.ends_with('\\') => rest,
            _ => line,
        };
        let mut cells = vec![String::new()];
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&'|') => {
                    chars.next();
                    cells.last_mut().expect("one cell").push('|');
                }
                '|' => cells.push(String::new()),
                c => cells.last_mut().expect("one cell").push(c),
            }
        }
        cells.iter().map(|cell| cell.trim().to_string()).collect()
    };
    // Rows of pipes, backslashes and other characters (multi-byte ones too) at every offset of
    // the splitter's 16-byte windows, and across their edges.
    let mut random = crate::testing::XorShift::new(0x2545_f491_4f6c_dd1d);
    let alphabet = ['|', '\\', 'a', ' ', 'é', '\t', '0', 't', '\u{b}', '*', '`'];
    let generated: Vec<String> = (0..2_000)
        .map(|_| {
            let len = random.below(70);
            (0..len).map(|_| alphabet[random.below(alphabet.len())]).collect()
        })
        .collect();
    for text in texts.iter().copied().chain(generated.iter().map(String::as_str)) {
        assert_eq!(trim(text), text.trim(), "trim {text:?}");
        let plain = plain_cells(text);
        let quick: Vec<String> = split_cells(text).into_iter().map(Cow::into_owned).collect();
        assert_eq!(quick, plain, "split_cells {text:?}");
        // The bounds an IOC row's two cells are read by give the same cells, where they apply.
        let mut pipes = Vec::new();
        match cell_bounds(text, &mut pipes) {
            Some(body) => {
                let cells: Vec<&str> = (0..=pipes.len()).filter_map(|i| cell_of(body, &pipes, i)).collect();
                assert_eq!(cells, plain, "cell_bounds {text:?}");
                assert_eq!(cell_of(body, &pipes, pipes.len() + 1), None, "{text:?}");
            }
            None => assert!(text.contains("\\|"), "cell_bounds {text:?}"),
        }
        // A row read in one pass has the same body and pipes, and is no header; every row
        // between pipes with none of the bytes that need the general reading is read so.
        for row in [trim(text).to_string(), format!("|{}|", trim(text))] {
            let mut plain = Vec::new();
            let eligible = row.len() >= 2
                && row.starts_with('|')
                && row.ends_with('|')
                && row.is_ascii()
                && !row.contains(['\\', 't', 'T', '\u{b}']);
            match plain_row_body(&row, &mut plain) {
                Some(body) => {
                    let mut general = Vec::new();
                    assert_eq!(cell_bounds(&row, &mut general), Some(body), "plain_row_body {row:?}");
                    assert_eq!(plain, general, "plain_row_body {row:?}");
                    for i in 0..=plain.len() + 1 {
                        let expected = cell_of(body, &plain, i).map(clean_cell);
                        assert_eq!(plain_cell_of(body, &plain, i), expected, "cell {i} of {row:?}");
                    }
                    assert!(eligible && !may_be_header(&row), "plain_row_body {row:?}");
                }
                None => assert!(!eligible, "plain_row_body refused {row:?}"),
            }
        }
        for needle in ["type", "sentinel table", "t"] {
            let expected = text.to_ascii_lowercase().contains(needle);
            assert_eq!(contains_ignoring_case(text, needle), expected, "{needle:?} in {text:?}");
        }
        let decorated = text.trim().strip_prefix("**").and_then(|c| c.strip_suffix("**"));
        let expected = decorated.unwrap_or(text.trim()).trim().trim_matches('`').trim();
        assert_eq!(clean_cell(text), expected, "clean_cell {text:?}");
    }
}

#[test]
fn split_lines_agrees_with_str_lines() {
    let texts = [
        "",
        "\n",
        "\n\n",
        "a",
        "a\n",
        "a\nb",
        "a\r\nb\r\n",
        "a\r",
        "a\r\r\n",
        "a\rb\n",
        "\r",
        "\r\n",
        "\r\r",
        "x\n\r\n\ry",
        "é\r\nü",
        "| a | b |\r\n|---|---|\r\n| c | d |",
    ];
    for text in texts {
        let plain: Vec<&str> = text
            .lines()
            .map(|line| line.strip_suffix('\r').unwrap_or(line))
            .collect();
        assert_eq!(super::split_lines(text), plain, "{text:?}");
    }
}

/// The columns `loghunt feed` adds (`IOC ID`, `Reference`, `Feed`) are read in any order, empty
/// cells are absent, and a table without them (the seeds') leaves them `None`.
#[test]
fn optional_feed_columns() {
    let query = "DnsEvents\n| where Name has_any (\"a.example\", \"b.example\")\n";
    /// A row's IOC ID, Reference and Feed.
    type Extra<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>);
    let cases: [(&str, [Extra; 2]); 3] = [
        (
            "| Type | Value | Threat Type | First Seen | Confidence | IOC ID | Reference | Feed |\n|---|---|---|---|---|---|---|---|\n\
             | domain | a.example | botnet_cc | 2026-05-26 | 75% | 1530004 | https://x.example/r\\|1 | threatfox |\n\
             | domain | b.example | botnet_cc | 2026-05-26 |  |  |  | threatfox |\n",
            [
                (Some("1530004"), Some("https://x.example/r|1"), Some("threatfox")),
                (None, None, Some("threatfox")),
            ],
        ),
        (
            "| Feed | ioc_id | Value | Type | reference |\n|---|---|---|---|---|\n\
             | misp | u1 | a.example | domain | r |\n| misp | u2 | b.example | domain | r |\n",
            [(Some("u1"), Some("r"), Some("misp")), (Some("u2"), Some("r"), Some("misp"))],
        ),
        (
            "| Type | Value | Threat Type | First Seen | Confidence |\n|---|---|---|---|---|\n\
             | domain | a.example | botnet_cc | 2026-05-26 | 75% |\n| domain | b.example | botnet_cc | 2026-05-26 | 75% |\n",
            [(None, None, None), (None, None, None)],
        ),
    ];
    for (table, expected) in cases {
        let rule = parse_clean(table, &format!("IOC Summary\nTotal IOCs: 2\n{table}{query}"));
        let rows = rule.indicators.to_indicators();
        let got: Vec<Extra> = (rows.iter())
            .map(|i| (i.id.as_deref(), i.reference.as_deref(), i.feed.as_deref()))
            .collect();
        assert_eq!(got, expected, "{table}");
        assert_eq!(rule.indicators.get(1).unwrap().value, "b.example");
    }
}

/// The IOC table keeps its rows as text and reads their other cells when asked: each row by the
/// header of its own table (a document may have two, laid out differently), a value with an
/// escaped pipe as the cell reads, and row by row as the whole table reads at once.
#[test]
fn ioc_table_rows_read_on_demand() {
    let text = "IOC Summary\nTotal IOCs: 4\n\
        | Type | Value | Threat Type | First Seen | Confidence |\n|---|---|---|---|---|\n\
        | md5_hash | 5971ab7bdecc7a230266cd4a0f3e4915 | payload | 2026-02-11 | 75% |\n\
        | url | `http://x.example/a\\|b` | payload_delivery | 2026-02-12 | 50% |\n\
        \n\
        | Confidence | Value | Type | Feed |\n|---|---|---|---|\n\
        | 90% | a.example | domain | threatfox |\n\
        80% | b.example | domain | misp\n\
        \n\
        DnsEvents\n| where Name has_any (\"a.example\", \"b.example\")\n";
    let rule = parse_clean("two tables", text);
    let table = &rule.indicators;
    assert_eq!(table.len(), 4);
    let values: Vec<&str> = table.values().collect();
    assert_eq!(
        values,
        [
            "5971ab7bdecc7a230266cd4a0f3e4915",
            "http://x.example/a|b",
            "a.example",
            "b.example"
        ]
    );
    let kinds: Vec<&IndicatorKind> = table.kinds_and_values().map(|(kind, _)| kind).collect();
    use IndicatorKind::*;
    assert_eq!(kinds, [&Md5, &Url, &Domain, &Domain]);
    assert!(table.has_feed_column());
    let all = table.to_indicators();
    assert_eq!(all.len(), 4);
    for (index, row) in all.iter().enumerate() {
        assert_eq!(table.get(index).as_ref(), Some(row), "row {index}");
        assert_eq!(row.value, values[index]);
    }
    assert_eq!(table.get(4), None);
    let cells = |row: &Indicator| {
        [&row.threat_type, &row.first_seen, &row.confidence, &row.feed].map(|cell| cell.as_deref().map(str::to_string))
    };
    let some = |text: &str| Some(text.to_string());
    assert_eq!(
        cells(&all[1]),
        [some("payload_delivery"), some("2026-02-12"), some("50%"), None]
    );
    assert_eq!(cells(&all[2]), [None, None, some("90%"), some("threatfox")]);
    // A row that lost its outer pipes, under the second header.
    assert_eq!(cells(&all[3]), [None, None, some("80%"), some("misp")]);
    // Repeated cells share one allocation.
    let one_table = parse_clean("one table", SEED_000);
    assert!(!one_table.indicators.has_feed_column());
    let seed = one_table.indicators.to_indicators();
    assert!(std::sync::Arc::ptr_eq(
        seed[0].threat_type.as_ref().unwrap(),
        seed[1].threat_type.as_ref().unwrap()
    ));
}

/// The byte-first tests of a table line agree with their character-by-character definitions
/// (`str::trim`, a separator row of `|`, `-`, `:` and white space with a `-`), on ASCII lines
/// and on lines with white space and letters past ASCII.
#[test]
fn line_classifiers_agree_with_their_character_definitions() {
    let separator = lines::is_separator_row_by_chars;
    let lines = [
        "|---|---|",
        "| --- | :---: |",
        "|:-|-:|",
        "---",
        "| | |",
        "",
        "\u{a0}|---|\u{a0}",
        "|\u{2003}---\u{2003}|",
        "|\u{b}---|",
        "|---|é",
        "| sha256_hash | 0a1b |",
        "|---|x",
        "-",
        "\u{a0}",
        "|\u{85}-|",
        "| — |",
    ];
    for line in lines {
        assert_eq!(lines::is_separator_row(line), separator(line), "{line:?}");
        assert_eq!(crate::rules::trim(line), line.trim(), "{line:?}");
        for pad in [" ", "\t", "\u{b}", "\u{c}", "\u{a0}", "\u{3000}", "\r"] {
            let padded = format!("{pad}{line}{pad}");
            assert_eq!(crate::rules::trim(&padded), padded.trim(), "{padded:?}");
            assert_eq!(lines::is_separator_row(&padded), separator(&padded), "{padded:?}");
        }
    }
}
