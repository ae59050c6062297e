//! Table schemas: the columns and Kusto types of the tables loghunt knows, compiled in from
//! `schemas/*.csv` (one `column_name,column_type` file per table and flavour) so the binary needs
//! no files at run time. Where a table has a Defender and a Sentinel flavour, the columns are the
//! union, the Defender type winning where the two disagree.

use std::collections::HashMap;
use std::sync::OnceLock;

/// A Kusto column type. `guid` reads as a string; `int` and `long` are both 64-bit here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    String,
    DateTime,
    TimeSpan,
    Long,
    Real,
    Bool,
    Dynamic,
}

impl ColumnType {
    fn from_kusto(name: &str) -> Option<ColumnType> {
        Some(match name.trim() {
            "string" | "guid" => ColumnType::String,
            "datetime" => ColumnType::DateTime,
            "timespan" => ColumnType::TimeSpan,
            "long" | "int" => ColumnType::Long,
            "real" | "double" | "decimal" => ColumnType::Real,
            "bool" | "boolean" => ColumnType::Bool,
            "dynamic" => ColumnType::Dynamic,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ColumnType::String => "string",
            ColumnType::DateTime => "datetime",
            ColumnType::TimeSpan => "timespan",
            ColumnType::Long => "long",
            ColumnType::Real => "real",
            ColumnType::Bool => "bool",
            ColumnType::Dynamic => "dynamic",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
}

#[derive(Debug)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    index: HashMap<String, usize>,
}

/// Tables are equal when they are the same table: names are unique.
impl PartialEq for Table {
    fn eq(&self, other: &Table) -> bool {
        self.name == other.name
    }
}

impl Eq for Table {}

impl Table {
    fn new(name: &str) -> Table {
        Table {
            name: name.to_string(),
            columns: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn add(&mut self, name: &str, ty: ColumnType) {
        if !self.index.contains_key(name) {
            self.index.insert(name.to_string(), self.columns.len());
            self.columns.push(Column {
                name: name.to_string(),
                ty,
            });
        }
    }

    /// The position of a column in [`Table::columns`]; names are case-sensitive, as in Kusto.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// A column name with a different case, for "did you mean" messages.
    pub fn column_ignoring_case(&self, name: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .map(|c| c.name.as_str())
    }
}

/// The schema files, Defender flavours first so that their types win.
const SOURCES: &[(&str, &str)] = &[
    (
        "DeviceFileEvents",
        include_str!("../schemas/DeviceFileEvents.defender-ah.csv"),
    ),
    (
        "DeviceFileEvents",
        include_str!("../schemas/DeviceFileEvents.sentinel-la.csv"),
    ),
    ("DnsEvents", include_str!("../schemas/DnsEvents.sentinel-la.csv")),
    ("DeviceEvents", include_str!("../schemas/DeviceEvents.sentinel-la.csv")),
    (
        "DeviceNetworkEvents",
        include_str!("../schemas/DeviceNetworkEvents.sentinel-la.csv"),
    ),
    (
        "DeviceProcessEvents",
        include_str!("../schemas/DeviceProcessEvents.sentinel-la.csv"),
    ),
    (
        "ASimDnsActivityLogs",
        include_str!("../schemas/ASimDnsActivityLogs.sentinel-la.csv"),
    ),
    (
        "CommonSecurityLog",
        include_str!("../schemas/CommonSecurityLog.sentinel-la.csv"),
    ),
    ("Syslog", include_str!("../schemas/Syslog.sentinel-la.csv")),
];

/// Columns that real exports carry but the documented schemas omit: the Defender streaming API
/// adds these to every Device* row.
const STREAMING_EXTRAS: &[(&str, ColumnType)] = &[
    ("InitiatingProcessUniqueId", ColumnType::String),
    ("MachineGroup", ColumnType::String),
];

fn build() -> Vec<Table> {
    let mut tables: Vec<Table> = Vec::new();
    for (name, csv) in SOURCES {
        let position = match tables.iter().position(|t| t.name == *name) {
            Some(p) => p,
            None => {
                tables.push(Table::new(name));
                tables.len() - 1
            }
        };
        let table = &mut tables[position];
        for line in csv.lines().skip(1) {
            let Some((column, ty)) = line.split_once(',') else {
                continue;
            };
            // The files are ours and checked by a test; an unknown type is a bug there.
            let ty = ColumnType::from_kusto(ty).unwrap_or(ColumnType::Dynamic);
            table.add(column.trim(), ty);
        }
    }
    for table in tables.iter_mut().filter(|t| t.name.starts_with("Device")) {
        for (column, ty) in STREAMING_EXTRAS {
            table.add(column, *ty);
        }
    }
    tables
}

/// Every known table, in a fixed order.
pub fn tables() -> &'static [Table] {
    static TABLES: OnceLock<Vec<Table>> = OnceLock::new();
    TABLES.get_or_init(build)
}

/// The table of that name (case-sensitive, as Kusto's table names are).
pub fn table(name: &str) -> Option<&'static Table> {
    tables().iter().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_type_is_known() {
        for (name, csv) in SOURCES {
            for line in csv.lines().skip(1) {
                let (_, ty) = line.split_once(',').expect("column_name,column_type");
                assert!(ColumnType::from_kusto(ty).is_some(), "{name}: unknown type in `{line}`");
            }
        }
    }

    #[test]
    fn device_file_events_is_the_union_with_defender_types() {
        let t = table("DeviceFileEvents").unwrap();
        for (column, ty) in [
            ("Timestamp", ColumnType::DateTime),
            ("TimeGenerated", ColumnType::DateTime),
            ("SHA256", ColumnType::String),
            ("FileSize", ColumnType::Long),
            ("AdditionalFields", ColumnType::String),
            ("MachineGroup", ColumnType::String),
            ("InitiatingProcessUniqueId", ColumnType::String),
        ] {
            let i = t.column_index(column).unwrap_or_else(|| panic!("{column}"));
            assert_eq!(t.columns[i].ty, ty, "{column}");
        }
        assert_eq!(t.column_index("sha256"), None);
        assert_eq!(t.column_ignoring_case("sha256"), Some("SHA256"));
        let dns = table("DnsEvents").unwrap();
        assert!(dns.column_index("Name").is_some() && dns.column_index("TimeGenerated").is_some());
    }
}
