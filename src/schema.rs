//! Table schemas: the columns and Kusto types of the tables loghunt knows, compiled in from
//! `schemas/*.csv` (one `column_name,column_type` file per table and variant, listed by
//! `build.rs`) so the binary needs no files at run time. A table is the union of its variants'
//! columns, the Advanced Hunting type winning where the two disagree, so that a record of either
//! shape reads as a row of it; each column also remembers which variants have it, and as what.

use std::sync::OnceLock;

use crate::hashing::FxHashMap;

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
    /// A Kusto type name, its aliases included (`int`, `guid`, `date`, `boolean`...), as schema
    /// files, `datatable`, `parse` and `to typeof(...)` write them.
    pub fn from_kusto(name: &str) -> Option<ColumnType> {
        Some(match name.trim() {
            "string" | "guid" | "uniqueid" => ColumnType::String,
            "datetime" | "date" => ColumnType::DateTime,
            "timespan" | "time" => ColumnType::TimeSpan,
            "long" | "int" | "int64" | "int32" => ColumnType::Long,
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

/// Where a table's schema comes from. The same table often exists in both, with different
/// columns: Advanced Hunting has `Timestamp` and `AdditionalFields` as a string, Log Analytics
/// has `TimeGenerated`, `TenantId`, `Type`... and `AdditionalFields` as `dynamic`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    /// Defender XDR Advanced Hunting (`schemas/<Table>.defender-ah.csv`); also the shape of the
    /// Defender streaming API.
    AdvancedHunting,
    /// Microsoft Sentinel / Log Analytics (`schemas/<Table>.sentinel-la.csv`).
    LogAnalytics,
}

impl Variant {
    /// Both variants, Advanced Hunting first (its types win in the union).
    pub const ALL: [Variant; 2] = [Variant::AdvancedHunting, Variant::LogAnalytics];

    /// The name for messages: "Advanced Hunting" or "Log Analytics".
    pub fn label(self) -> &'static str {
        match self {
            Variant::AdvancedHunting => "Advanced Hunting",
            Variant::LogAnalytics => "Log Analytics",
        }
    }

    fn slot(self) -> usize {
        match self {
            Variant::AdvancedHunting => 0,
            Variant::LogAnalytics => 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
}

pub struct Table {
    pub name: String,
    /// The union of the variants' columns: the Advanced Hunting ones in their documented order,
    /// then those only Log Analytics has, then [`STREAMING_EXTRAS`] where they apply.
    pub columns: Vec<Column>,
    index: FxHashMap<String, usize>,
    /// The variants that exist, in [`Variant::ALL`] order.
    variants: Vec<Variant>,
    /// Per column of `columns`: its type in each variant (by [`Variant::slot`]), `None` where the
    /// variant lacks it.
    types_in: Vec<[Option<ColumnType>; 2]>,
}

/// Short: a table has up to hundreds of columns, and test failures print it.
impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("name", &self.name)
            .field("columns", &self.columns.len())
            .field("variants", &self.variants)
            .finish()
    }
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
            index: FxHashMap::default(),
            variants: Vec::new(),
            types_in: Vec::new(),
        }
    }

    /// Adds a column of `variant`; the first type seen stays the union's type.
    fn add(&mut self, variant: Variant, name: &str, ty: ColumnType) {
        let position = match self.index.get(name) {
            Some(&position) => position,
            None => {
                self.index.insert(name.to_string(), self.columns.len());
                self.columns.push(Column {
                    name: name.to_string(),
                    ty,
                });
                self.types_in.push([None, None]);
                self.columns.len() - 1
            }
        };
        let slot = &mut self.types_in[position][variant.slot()];
        if slot.is_none() {
            *slot = Some(ty);
        }
        if !self.variants.contains(&variant) {
            self.variants.push(variant);
            self.variants.sort();
        }
    }

    /// Adds a column that no variant's documentation lists (so no variant claims it), if the
    /// table does not have it.
    fn add_undocumented(&mut self, name: &str, ty: ColumnType) {
        if !self.index.contains_key(name) {
            self.index.insert(name.to_string(), self.columns.len());
            self.columns.push(Column {
                name: name.to_string(),
                ty,
            });
            self.types_in.push([None, None]);
        }
    }

    /// The position of a column in [`Table::columns`]; names are case-sensitive, as in Kusto.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The variants this table exists in, Advanced Hunting first.
    pub fn variants(&self) -> &[Variant] {
        &self.variants
    }

    /// Whether the variant has the column (case-sensitive); false if the table has no such
    /// variant.
    pub fn has_in(&self, variant: Variant, column: &str) -> bool {
        self.column_type_in(variant, column).is_some()
    }

    /// The column's type in that variant: `AdditionalFields` is a string in Advanced Hunting
    /// and `dynamic` in Log Analytics. `None` if the variant lacks the column.
    pub fn column_type_in(&self, variant: Variant, column: &str) -> Option<ColumnType> {
        let position = self.column_index(column)?;
        self.types_in[position][variant.slot()]
    }
}

/// Which variant of a table a query's columns belong to; see [`variant_of`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VariantCheck {
    /// Every used column is in this variant.
    Fits(Variant),
    /// The query uses columns only Advanced Hunting has together with columns only Log Analytics
    /// has (such as `Timestamp` with `TimeGenerated`): no record of either shape has them all.
    /// Each list is in the order of first use, without repeats.
    Mixed { ah_only: Vec<String>, la_only: Vec<String> },
}

/// Tells which variant of `table` a query reading `used_columns` is written for: the one holding
/// every used column, Advanced Hunting when both do (as when only shared columns are used). Names
/// the table lacks altogether (columns the query makes itself, typos) say nothing and are left to
/// the caller's name resolution.
pub fn variant_of(table: &Table, used_columns: &[&str]) -> VariantCheck {
    let mut ah_only: Vec<String> = Vec::new();
    let mut la_only: Vec<String> = Vec::new();
    for &column in used_columns {
        let only = match (
            table.has_in(Variant::AdvancedHunting, column),
            table.has_in(Variant::LogAnalytics, column),
        ) {
            (true, false) => &mut ah_only,
            (false, true) => &mut la_only,
            _ => continue,
        };
        if !only.iter().any(|c| c == column) {
            only.push(column.to_string());
        }
    }
    match (ah_only.is_empty(), la_only.is_empty()) {
        (false, false) => VariantCheck::Mixed { ah_only, la_only },
        (true, false) => VariantCheck::Fits(Variant::LogAnalytics),
        (false, true) => VariantCheck::Fits(Variant::AdvancedHunting),
        // Only shared columns (or none): the table's first variant, Advanced Hunting if it has one.
        (true, true) => VariantCheck::Fits(table.variants().first().copied().unwrap_or(Variant::AdvancedHunting)),
    }
}

// `SOURCES: &[(table, variant, file name, contents)]`, every `schemas/*.csv` sorted by file name.
include!(concat!(env!("OUT_DIR"), "/schema_sources.rs"));

/// Columns that real exports carry but the documented schemas omit: the Defender streaming API
/// adds these to every row of the Device* tables it streams ([`STREAMED_DEVICE_TABLES`]). They
/// belong to the Advanced Hunting variant, the streaming API's shape.
pub const STREAMING_EXTRAS: &[(&str, ColumnType)] = &[
    ("InitiatingProcessUniqueId", ColumnType::String),
    ("MachineGroup", ColumnType::String),
];

/// The standard columns Log Analytics gives every table it stores (Azure Monitor's "standard
/// columns"). A Defender table that Sentinel holds (IdentityInfo with UEBA, the Email* tables
/// streamed in, ...) has them although only its Advanced Hunting page is documented here, so a
/// table with no Log Analytics schema gets them, as columns of neither documented variant.
pub const LOG_ANALYTICS_STANDARD: &[(&str, ColumnType)] = &[
    ("TimeGenerated", ColumnType::DateTime),
    ("TenantId", ColumnType::String),
    ("SourceSystem", ColumnType::String),
    ("Type", ColumnType::String),
];

/// The Device* tables of the Defender streaming API (Microsoft's list of supported event types);
/// not the vulnerability-management (`DeviceTvm*`) or baseline tables, nor the Surface Hub
/// `Device*` tables of Log Analytics.
pub const STREAMED_DEVICE_TABLES: &[&str] = &[
    "DeviceEvents",
    "DeviceFileCertificateInfo",
    "DeviceFileEvents",
    "DeviceImageLoadEvents",
    "DeviceInfo",
    "DeviceLogonEvents",
    "DeviceNetworkEvents",
    "DeviceNetworkInfo",
    "DeviceProcessEvents",
    "DeviceRegistryEvents",
];

/// One `column_name,column_type` line of a schema file: `None` for the header and blank lines.
/// A type no [`ColumnType`] stands for reads as `dynamic`; a test keeps the files free of them.
fn parse_line(line: &str) -> Option<(&str, ColumnType)> {
    let (column, ty) = line.split_once(',')?;
    let column = column.trim();
    if column.is_empty() || column == "column_name" {
        return None;
    }
    Some((column, ColumnType::from_kusto(ty).unwrap_or(ColumnType::Dynamic)))
}

/// The schema sources of each table, and each table built from them when first asked for: a
/// scan reads one or two of the hundred-odd tables, and building them all (five thousand
/// columns) was a third of a small scan's start.
struct Catalog {
    /// Every table's name, sorted (ordinal, so `ASim...` before `AgentsInfo`).
    names: Vec<&'static str>,
    /// Per table, its source files, Advanced Hunting first (its types win in the union).
    sources: Vec<Vec<&'static (&'static str, Variant, &'static str, &'static str)>>,
    built: Vec<OnceLock<Table>>,
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let mut sources: Vec<&(&str, Variant, &str, &str)> = SOURCES.iter().collect();
        sources.sort_by_key(|(table, variant, _, _)| (*table, *variant));
        let mut catalog = Catalog {
            names: Vec::new(),
            sources: Vec::new(),
            built: Vec::new(),
        };
        for source in sources {
            if catalog.names.last() != Some(&source.0) {
                catalog.names.push(source.0);
                catalog.sources.push(Vec::new());
                catalog.built.push(OnceLock::new());
            }
            if let Some(of_table) = catalog.sources.last_mut() {
                of_table.push(source);
            }
        }
        catalog
    })
}

/// One table from its sources (the union of its variants, see the module's documentation).
fn build(name: &str, sources: &[&(&str, Variant, &str, &str)]) -> Table {
    let mut table = Table::new(name);
    for (_, variant, _, csv) in sources {
        for (column, ty) in csv.lines().filter_map(parse_line) {
            table.add(*variant, column, ty);
        }
    }
    if STREAMED_DEVICE_TABLES.contains(&name) {
        for (column, ty) in STREAMING_EXTRAS {
            table.add(Variant::AdvancedHunting, column, *ty);
        }
    }
    if !table.variants.contains(&Variant::LogAnalytics) {
        for (column, ty) in LOG_ANALYTICS_STANDARD {
            table.add_undocumented(column, *ty);
        }
    }
    table
}

/// Every known table's name, sorted (ordinal, so `ASim...` before `AgentsInfo`): the order of
/// [`tables`] and the positions [`table_at`] takes.
pub fn names() -> &'static [&'static str] {
    &catalog().names
}

/// The table at `index` of [`names`].
pub fn table_at(index: usize) -> Option<&'static Table> {
    (index < names().len()).then(|| built(index))
}

/// Table `index` of the catalog, which has it.
fn built(index: usize) -> &'static Table {
    let catalog = catalog();
    catalog.built[index].get_or_init(|| build(catalog.names[index], &catalog.sources[index]))
}

/// Every known table, sorted by name (ordinal, so `ASim...` before `AgentsInfo`). Builds them
/// all: [`names`] and [`table`] do not.
pub fn tables() -> impl ExactSizeIterator<Item = &'static Table> + Clone {
    (0..names().len()).map(built)
}

/// The table of that name (case-sensitive, as Kusto's table names are).
pub fn table(name: &str) -> Option<&'static Table> {
    let index = names().binary_search(&name).ok()?;
    table_at(index)
}

/// The tables a `union` wildcard names, such as `Device*`, `*Events` or `Device*Events`: `*`
/// stands for any run of characters (none too), anywhere and any number of times; the rest is
/// case-sensitive. Sorted by name, like [`tables`]; a pattern without `*` names at most one table.
pub fn tables_matching(pattern: &str) -> Vec<&'static Table> {
    (names().iter().enumerate())
        .filter(|(_, name)| wildcard_matches(pattern, name))
        .filter_map(|(index, _)| table_at(index))
        .collect()
}

/// Whether `name` matches `pattern`, whose `*` stands for any run of characters (see
/// [`tables_matching`]); the rest is compared exactly, case included.
pub fn wildcard_matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    // `split` yields at least one part; the first is anchored at the start.
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let mut parts: Vec<&str> = parts.collect();
    let Some(last) = parts.pop() else {
        // No `*`: the whole name must be the pattern.
        return rest.is_empty();
    };
    for part in parts {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    // The last part is anchored at the end, and must not overlap what the middle parts took.
    rest.ends_with(last)
}

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
