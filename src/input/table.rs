//! Which table a record belongs to. In order: the table chosen on the command line, the table
//! the file names for the record (a Defender envelope's `category`) or the row's own `Type`
//! column (Log Analytics exports), a known table name in the file or folder path, then the
//! columns present. The first that answers wins.

use std::path::Path;

use serde_json::{Map, Value as Json};

use crate::schema::{self, Table};

/// The table of a record, or why none could be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableOf<'a> {
    Known(&'static Table),
    /// The file or the row names a table that loghunt has no schema for.
    Named(&'a str),
    Unknown,
}

/// A known table whose name appears in the path (case-insensitively), the longest such name if
/// several do: `.../DeviceFileEvents/2024.json` or `dnsevents-export.jsonl`.
pub fn from_path(path: &Path) -> Option<&'static Table> {
    let text = path.to_string_lossy().to_ascii_lowercase();
    schema::tables()
        .iter()
        .filter(|t| text.contains(&t.name.to_ascii_lowercase()))
        .max_by_key(|t| t.name.len())
}

/// The table whose schema holds every column of the record, the one with the fewest columns
/// if several do; `None` if no schema holds them all or the best fit is ambiguous.
pub fn from_columns(row: &Map<String, Json>) -> Option<&'static Table> {
    if row.is_empty() {
        return None;
    }
    let mut fits: Vec<&'static Table> = schema::tables()
        .iter()
        .filter(|t| row.keys().all(|k| t.column_index(k).is_some()))
        .collect();
    fits.sort_by_key(|t| t.columns.len());
    match fits.as_slice() {
        [] => None,
        [only] => Some(only),
        [first, second, ..] if first.columns.len() < second.columns.len() => Some(first),
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
    if let Some(table) = chosen {
        return TableOf::Known(table);
    }
    let type_column = match row.get("Type") {
        Some(Json::String(name)) => Some(name.as_str()),
        _ => None,
    };
    if let Some(name) = named.or(type_column) {
        return match schema::table(name) {
            Some(table) => TableOf::Known(table),
            None => TableOf::Named(name),
        };
    }
    if let Some(table) = path_table {
        return TableOf::Known(table);
    }
    from_columns(row).map_or(TableOf::Unknown, TableOf::Known)
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
        assert_eq!(
            from_path(Path::new("x/devicefileevents/part-1.json")).map(|t| t.name.as_str()),
            Some("DeviceFileEvents")
        );
        assert_eq!(
            from_path(Path::new("exports/DnsEvents.jsonl")).map(|t| t.name.as_str()),
            Some("DnsEvents")
        );
        assert_eq!(from_path(Path::new("exports/logs.jsonl")), None);
    }
}
