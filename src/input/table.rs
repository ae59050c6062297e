//! Which table a record belongs to. In order: the table chosen on the command line, the table
//! the file names for the record (a Defender envelope's `category`) or the row's own `Type`
//! column (Log Analytics exports), a known table name in the file or folder path, then the
//! columns present. The first that answers wins. The path and column look-ups are precomputed
//! once over every known schema, so that a record costs a few hash look-ups, not a walk over
//! a hundred tables.

use std::path::Path;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};

use serde_json::{Map, Value as Json};

use crate::hashing::FxHashMap;
use crate::schema::{self, Table};

/// The table of a record, or why none could be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableOf<'a> {
    Known(&'static Table),
    /// The file or the row names a table that loghunt has no schema for.
    Named(&'a str),
    Unknown,
}

/// A known table whose name appears in the path as a word of its own, case-insensitively:
/// `.../DeviceFileEvents/2024.json`, `dnsevents-export.jsonl`,
/// `insights-logs-advancedhunting-devicefileevents/...`, `MyDnsEventsExport.json`. The name must
/// not run on into letters on either side (`myevents` does not name `Event`), except at a
/// lower-to-upper case change; digits and punctuation end a word. If several names appear, the
/// longest wins (`DeviceTvmSoftwareVulnerabilitiesKB` over `DeviceTvmSoftwareVulnerabilities`,
/// `SecurityEvent` over `Event`), then the one further right (the file over its folders).
pub fn from_path(path: &Path) -> Option<&'static Table> {
    let text = path.to_string_lossy();
    let names = table_names();
    let mut best: Option<((usize, usize), usize)> = None;
    // Every occurrence of every name, in one pass (a search per table per file was most of
    // the cost of many small files).
    for found in names.find_overlapping_iter(text.as_bytes()) {
        let (at, end) = (found.start(), found.end());
        let rank = (end - at, end);
        if word_boundary(text.as_bytes(), at)
            && word_boundary(text.as_bytes(), end)
            && best.is_none_or(|(best, _)| rank > best)
        {
            best = Some((rank, found.pattern().as_usize()));
        }
    }
    // Pattern `i` is the name of table `i` (`schema::names`).
    best.and_then(|(_, table)| schema::table_at(table))
}

/// Whether a table name may start or end at byte `at` of the path: not inside a run of letters,
/// unless the case changes from lower to upper there (`MyDnsEvents`).
fn word_boundary(text: &[u8], at: usize) -> bool {
    let before = at.checked_sub(1).and_then(|i| text.get(i));
    match (before, text.get(at)) {
        (Some(b), Some(a)) => {
            !(b.is_ascii_alphabetic() && a.is_ascii_alphabetic()) || (b.is_ascii_lowercase() && a.is_ascii_uppercase())
        }
        _ => true,
    }
}

/// Every known table's name, ASCII case ignored, as one automaton whose pattern numbers are
/// the names' positions in [`schema::names`], for [`from_path`].
fn table_names() -> &'static AhoCorasick {
    static NAMES: OnceLock<AhoCorasick> = OnceLock::new();
    NAMES.get_or_init(|| {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(schema::names())
            .unwrap_or_else(|e| unreachable!("table names are short literals: {e}"))
    })
}

/// Per column name, the known tables holding it, as a bit set over [`schema::names`]. The keys
/// are the schemas' column names and records only look them up, so the fast hasher is safe.
struct ColumnOwners {
    words: usize,
    by_column: FxHashMap<&'static str, Vec<u64>>,
}

fn column_owners() -> &'static ColumnOwners {
    static OWNERS: OnceLock<ColumnOwners> = OnceLock::new();
    OWNERS.get_or_init(|| {
        let words = schema::names().len().div_ceil(64);
        let mut by_column: FxHashMap<&'static str, Vec<u64>> = FxHashMap::default();
        for (i, table) in schema::tables().enumerate() {
            for column in &table.columns {
                let set = by_column.entry(column.name.as_str()).or_insert_with(|| vec![0; words]);
                set[i / 64] |= 1 << (i % 64);
            }
        }
        ColumnOwners { words, by_column }
    })
}

/// The table whose schema (the union of its variants) holds every column of the record, the
/// one with the fewest columns if several do; `None` if no schema holds them all, or if the
/// fewest columns are shared by two tables (ambiguous: an unknown table is reported, a guess
/// would not be). Column names are case-sensitive.
pub fn from_columns(row: &Map<String, Json>) -> Option<&'static Table> {
    from_column_names(row.keys().map(String::as_str))
}

/// [`from_columns`] from the column names alone (repeats change nothing): the fast path tells a
/// record's table from the keys its walk listed, without parsing the record.
pub fn from_column_names<'n>(names: impl IntoIterator<Item = &'n str>) -> Option<&'static Table> {
    let owners = column_owners();
    let mut fits = vec![u64::MAX; owners.words];
    let mut any_name = false;
    for key in names {
        any_name = true;
        let holders = owners.by_column.get(key)?;
        let mut any = 0;
        for (fit, holder) in fits.iter_mut().zip(holders) {
            *fit &= holder;
            any |= *fit;
        }
        if any == 0 {
            return None;
        }
    }
    if !any_name {
        return None;
    }
    // (columns, table, tied): the fewest columns so far, and whether another table has as few.
    let mut best: Option<(usize, &'static Table, bool)> = None;
    for (w, &word) in fits.iter().enumerate() {
        let mut word = word;
        while word != 0 {
            let i = w * 64 + word.trailing_zeros() as usize;
            word &= word - 1;
            let Some(table) = schema::table_at(i) else {
                continue;
            };
            let columns = table.columns.len();
            best = match best {
                Some((fewest, _, _)) if columns > fewest => best,
                Some((fewest, first, _)) if columns == fewest => Some((fewest, first, true)),
                _ => Some((columns, table, false)),
            };
        }
    }
    match best {
        Some((_, table, false)) => Some(table),
        _ => None,
    }
}

/// Decides the table of one record; see the module documentation for the order.
/// `named` is the table the file names for the record, if any.
pub fn table_of<'a>(
    row: &'a Map<String, Json>,
    chosen: Option<&'static Table>,
    named: Option<&'a str>,
    path_table: Option<&'static Table>,
) -> TableOf<'a> {
    let type_column = match row.get("Type") {
        Some(Json::String(name)) => Some(name.as_str()),
        _ => None,
    };
    table_by_name(chosen, named, type_column, path_table)
        .unwrap_or_else(|| from_columns(row).map_or(TableOf::Unknown, TableOf::Known))
}

/// The order of evidence up to the columns, in the one place it is written: `--table`
/// (`chosen`), then the table the file or envelope names for the record (`named`) or its `Type`
/// column, then the path. `None` when only the columns can tell. The scan's fast path decides
/// a skipped record's table with this too, from the `Type` it read in the raw bytes.
pub fn table_by_name<'a>(
    chosen: Option<&'static Table>,
    named: Option<&'a str>,
    type_column: Option<&'a str>,
    path_table: Option<&'static Table>,
) -> Option<TableOf<'a>> {
    if let Some(table) = chosen {
        return Some(TableOf::Known(table));
    }
    if let Some(name) = named.or(type_column) {
        return Some(match schema::table(name) {
            Some(table) => TableOf::Known(table),
            None => TableOf::Named(name),
        });
    }
    path_table.map(TableOf::Known)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Json) -> Map<String, Json> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn the_order_of_evidence() {
        let dns = schema::table("DnsEvents");
        let files = schema::table("DeviceFileEvents");
        let typed = map(json!({"Type": "DnsEvents", "Name": "x"}));
        assert_eq!(
            table_of(&typed, files, None, None),
            TableOf::Known(files.unwrap()),
            "the command line wins"
        );
        assert_eq!(
            table_of(&typed, None, None, files),
            TableOf::Known(dns.unwrap()),
            "then Type"
        );
        let other = map(json!({"Type": "AzureMetrics"}));
        assert_eq!(table_of(&other, None, None, files), TableOf::Named("AzureMetrics"));
        assert_eq!(
            table_of(&typed, None, Some("DeviceFileEvents"), None),
            TableOf::Known(files.unwrap()),
            "an envelope's category comes before the row's Type"
        );
        let bare = map(json!({"SHA256": "x", "FolderPath": "y"}));
        assert_eq!(
            table_of(&bare, None, None, dns),
            TableOf::Known(dns.unwrap()),
            "then the path"
        );
        // A file event as Advanced Hunting exports it, without its `Type` or a telling path.
        // (`SHA256` and `FolderPath` alone no longer tell: FileMaliciousContentInfo,
        // DeviceImageLoadEvents... hold them too.)
        let file_row = map(json!({
            "Timestamp": "2024-01-01T00:00:00Z", "DeviceName": "pc", "ActionType": "FileCreated",
            "FileName": "a.exe", "FolderPath": "y", "SHA256": "x", "FileOriginUrl": "https://a.example/",
            "InitiatingProcessFileName": "explorer.exe", "AdditionalFields": null
        }));
        assert_eq!(
            table_of(&file_row, None, None, None),
            TableOf::Known(files.unwrap()),
            "then the columns"
        );
        let dns_row =
            map(json!({"Name": "a.com", "QueryType": "A", "IPAddresses": "1.2.3.4", "TimeGenerated": "2024-01-01"}));
        assert_eq!(table_of(&dns_row, None, None, None), TableOf::Known(dns.unwrap()));
        assert_eq!(table_of(&map(json!({"nope": 1})), None, None, None), TableOf::Unknown);
    }

    #[test]
    fn path_names_pick_the_longest_table() {
        let name = |path: &str| from_path(Path::new(path)).map(|t| t.name.as_str());
        assert_eq!(name("x/devicefileevents/part-1.json"), Some("DeviceFileEvents"));
        assert_eq!(name("exports/DnsEvents.jsonl"), Some("DnsEvents"));
        assert_eq!(name("exports/logs.jsonl"), None);
        for (path, table) in [
            ("DeviceFileEvents/x.json", Some("DeviceFileEvents")),
            ("DeviceFileCertificateInfo/x.json", Some("DeviceFileCertificateInfo")),
            (
                "devicetvmsoftwarevulnerabilitieskb.csv",
                Some("DeviceTvmSoftwareVulnerabilitiesKB"),
            ),
            (
                "DeviceTvmSoftwareVulnerabilitiesKB.csv",
                Some("DeviceTvmSoftwareVulnerabilitiesKB"),
            ),
            ("AIAgentsInfo.json", Some("AIAgentsInfo")),
            (
                "AADNonInteractiveUserSignInLogs.json",
                Some("AADNonInteractiveUserSignInLogs"),
            ),
            ("cases/SecurityEvent.json", Some("SecurityEvent")),
            ("cases/Event/2024.json", Some("Event")),
            ("MyDnsEventsExport.json", Some("DnsEvents")),
            ("dnsevents_2024-06.json.gz", Some("DnsEvents")),
            ("Syslog/DeviceProcessEvents.jsonl", Some("DeviceProcessEvents")),
            ("DeviceEvents/Syslog.jsonl", Some("DeviceEvents")),
            (
                "insights-logs-advancedhunting-deviceevents/y=2024/m=01/PT1H.json",
                Some("DeviceEvents"),
            ),
            // Table names inside longer words are not names.
            ("exports/events/2024.json", None),
            ("exports/securityevents.json", None),
            ("mydnsevents.json", None),
            ("heartbeats/x.json", None),
            ("eventually.json", None),
        ] {
            assert_eq!(name(path), table, "{path}");
        }
    }

    #[test]
    fn every_table_is_found_by_its_name_in_a_path() {
        for table in schema::tables() {
            let lower = table.name.to_ascii_lowercase();
            for path in [
                format!("exports/{}/part-1.json", table.name),
                format!("exports/{}.jsonl", table.name),
                format!("{lower}.csv"),
                format!("insights-logs-advancedhunting-{lower}/y=2024/m=01/PT1H.json"),
                format!("am-{lower}/WorkspaceResourceId=/x/y=2024/PT05M.json"),
            ] {
                assert_eq!(from_path(Path::new(&path)), Some(table), "{path}");
            }
        }
    }

    #[test]
    fn columns_tell_a_table_only_when_one_schema_fits_best() {
        let name = |row: Json| from_columns(&map(row)).map(|t| t.name.as_str());
        let dns_row = json!({"Name": "a.com", "QueryType": "A", "IPAddresses": "1.2.3.4", "TimeGenerated": "x"});
        assert_eq!(name(dns_row), Some("DnsEvents"));
        // Column names are case-sensitive; an unknown column rules every table out.
        assert_eq!(name(json!({"name": "a.com", "QueryType": "A"})), None);
        assert_eq!(name(json!({"SHA256": "x", "NoSuchColumn": 1})), None);
        assert_eq!(name(json!({})), None);
        // Advanced Hunting and Log Analytics columns of one table together still fit it.
        assert_eq!(
            name(json!({"Timestamp": 1, "TimeGenerated": 1, "FileOriginReferrerUrl": 1})),
            Some("DeviceFileEvents")
        );
    }

    /// A row with every column of one variant of a table (what an export of `Table | take 10`
    /// gives) is told as that table, unless another schema has exactly the same columns.
    #[test]
    fn a_full_row_of_every_table_and_variant_is_told_by_its_columns() {
        let mut ambiguous = Vec::new();
        for table in schema::tables() {
            for &variant in table.variants() {
                let row: Map<String, Json> = table
                    .columns
                    .iter()
                    .filter(|c| table.has_in(variant, &c.name))
                    .map(|c| (c.name.clone(), Json::Null))
                    .collect();
                match from_columns(&row) {
                    Some(found) => assert_eq!(found, table, "{variant:?}"),
                    None => ambiguous.push(format!("{}.{variant:?}", table.name)),
                }
            }
        }
        // Pairs documented with exactly the same columns: the renamed service-principal sign-ins
        // (AADSpnSignInEventsBeta, EntraIdSpnSignInEvents) and Surface Hub tables.
        assert_eq!(
            ambiguous,
            [
                "AADSpnSignInEventsBeta.AdvancedHunting",
                "DeviceAppCrash.LogAnalytics",
                "DeviceAppLaunch.LogAnalytics",
                "DeviceCleanup.LogAnalytics",
                "DeviceHardwareHealth.LogAnalytics",
                "DeviceHealth.LogAnalytics",
                "DeviceHeartbeat.LogAnalytics",
                "EntraIdSpnSignInEvents.AdvancedHunting",
            ]
        );
    }
}
