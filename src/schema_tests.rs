//! Tests of `schema`: every CSV of `schemas/` compiled in and well-formed, the variants, the union,
//! `variant_of` and the `union` wildcards.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use super::*;

fn names(tables: &[&Table]) -> Vec<String> {
    tables.iter().map(|t| t.name.clone()).collect()
}

#[test]
fn every_csv_in_schemas_is_compiled_in() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("schemas/")
        .map(|e| {
            e.expect("schemas/ entry")
                .file_name()
                .into_string()
                .expect("UTF-8 name")
        })
        .filter(|name| name.ends_with(".csv"))
        .collect();
    let compiled: BTreeSet<String> = SOURCES.iter().map(|(_, _, file, _)| file.to_string()).collect();
    assert_eq!(on_disk, compiled, "rebuild: build.rs lists schemas/ at compile time");
    for (_, _, file, csv) in SOURCES {
        let text = std::fs::read_to_string(dir.join(file)).expect("readable CSV");
        assert_eq!(&text, csv, "{file}: the compiled text is the file's");
    }
    let count = |v: Variant| SOURCES.iter().filter(|(_, variant, _, _)| *variant == v).count();
    assert_eq!(count(Variant::AdvancedHunting), 65);
    assert_eq!(count(Variant::LogAnalytics), 65);
}

#[test]
fn every_csv_parses_and_every_type_is_known() {
    for (name, _, file, csv) in SOURCES {
        let mut lines = csv.lines();
        assert_eq!(
            lines.next().map(str::trim_end),
            Some("column_name,column_type"),
            "{file}: header"
        );
        let mut seen = HashSet::new();
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let fields: Vec<&str> = line.trim_end().split(',').collect();
            let [column, ty] = fields[..] else {
                panic!("{file}: `{line}` is not column_name,column_type");
            };
            assert!(
                !column.is_empty() && column == column.trim() && !column.contains(['"', ' ', '\t']),
                "{file}: column name `{column}`"
            );
            assert!(ColumnType::from_kusto(ty).is_some(), "{file}: unknown type in `{line}`");
            assert!(seen.insert(column), "{file}: `{column}` twice");
        }
        assert!(!seen.is_empty(), "{file}: no columns");
        let parsed = table(name).expect("every file's table is known");
        assert!(
            seen.iter().all(|c| parsed.column_index(c).is_some()),
            "{file}: a column is missing"
        );
    }
}

#[test]
fn kusto_types_map_as_before() {
    for (kusto, ty) in [
        ("string", ColumnType::String),
        ("guid", ColumnType::String),
        ("int", ColumnType::Long),
        ("long", ColumnType::Long),
        ("real", ColumnType::Real),
        ("bool", ColumnType::Bool),
        ("datetime", ColumnType::DateTime),
        ("timespan", ColumnType::TimeSpan),
        ("dynamic", ColumnType::Dynamic),
    ] {
        assert_eq!(ColumnType::from_kusto(kusto), Some(ty), "{kusto}");
    }
    assert_eq!(ColumnType::from_kusto("integer"), None);
    let agents = table("AIAgentsInfo").unwrap();
    assert_eq!(
        agents.column_type_in(Variant::AdvancedHunting, "AIAgentId"),
        Some(ColumnType::String)
    );
}

#[test]
fn tables_are_sorted_unique_and_found_by_exact_name() {
    let all: Vec<&Table> = tables().collect();
    assert_eq!(all.len(), 104, "65 + 65 files, 26 tables in both variants");
    assert_eq!(super::names(), all.iter().map(|t| t.name.as_str()).collect::<Vec<_>>());
    assert!(
        all.windows(2).all(|w| w[0].name < w[1].name),
        "sorted by name, no repeats"
    );
    for (index, &t) in all.iter().enumerate() {
        assert!(std::ptr::eq(table(&t.name).unwrap(), t), "{}", t.name);
        assert!(std::ptr::eq(table_at(index).unwrap(), t), "{}", t.name);
        assert!(!t.variants().is_empty() && t.variants().windows(2).all(|w| w[0] < w[1]));
    }
    assert!(table("dnsevents").is_none() && table("DnsEvents ").is_none() && table("").is_none());
    assert!(table_at(all.len()).is_none());
    let both = all.iter().filter(|t| t.variants().len() == 2).count();
    assert_eq!(both, 26);
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
    let dns = table("DnsEvents").unwrap();
    assert!(dns.column_index("Name").is_some() && dns.column_index("TimeGenerated").is_some());
}

#[test]
fn device_process_events_has_both_variants() {
    let t = table("DeviceProcessEvents").unwrap();
    assert_eq!(t.variants(), [Variant::AdvancedHunting, Variant::LogAnalytics]);
    let (ah, la) = (Variant::AdvancedHunting, Variant::LogAnalytics);
    assert!(t.has_in(ah, "Timestamp") && !t.has_in(la, "Timestamp"));
    assert!(t.has_in(la, "TimeGenerated") && !t.has_in(ah, "TimeGenerated"));
    assert!(t.has_in(la, "TenantId") && t.has_in(la, "Type") && !t.has_in(ah, "Type"));
    assert!(t.has_in(ah, "SHA256") && t.has_in(la, "SHA256"));
    assert!(!t.has_in(ah, "sha256") && !t.has_in(ah, "NoSuchColumn"));
    assert_eq!(t.column_type_in(ah, "AdditionalFields"), Some(ColumnType::String));
    assert_eq!(t.column_type_in(la, "AdditionalFields"), Some(ColumnType::Dynamic));
    assert_eq!(t.column_type_in(ah, "TimeGenerated"), None);
    let i = t.column_index("AdditionalFields").unwrap();
    assert_eq!(
        t.columns[i].ty,
        ColumnType::String,
        "the union takes the Advanced Hunting type"
    );
    assert_eq!(t.columns[0].name, "Timestamp", "Advanced Hunting columns first");
    // The streaming API's extras are Advanced Hunting columns; Log Analytics documents them.
    assert!(t.has_in(ah, "MachineGroup") && t.has_in(la, "MachineGroup"));
}

#[test]
fn types_that_differ_between_variants() {
    let (ah, la) = (Variant::AdvancedHunting, Variant::LogAnalytics);
    let logons = table("IdentityLogonEvents").unwrap();
    assert_eq!(logons.column_type_in(ah, "Port"), Some(ColumnType::Long));
    assert_eq!(logons.column_type_in(la, "Port"), Some(ColumnType::String));
    assert_eq!(
        logons.columns[logons.column_index("Port").unwrap()].ty,
        ColumnType::Long
    );
    // Different names, both kept: Kusto column names are case-sensitive.
    assert!(logons.has_in(ah, "Isp") && !logons.has_in(ah, "ISP"));
    assert!(logons.has_in(la, "ISP") && !logons.has_in(la, "Isp"));
    let kb = table("DeviceTvmSoftwareVulnerabilitiesKB").unwrap();
    assert_eq!(kb.column_type_in(ah, "CvssScore"), Some(ColumnType::String));
    assert_eq!(kb.column_type_in(la, "CvssScore"), Some(ColumnType::Real));
}

#[test]
fn streaming_extras_only_on_streamed_device_tables() {
    for name in STREAMED_DEVICE_TABLES {
        let t = table(name).unwrap_or_else(|| panic!("{name}"));
        for (column, _) in STREAMING_EXTRAS {
            assert!(t.has_in(Variant::AdvancedHunting, column), "{name}.{column}");
        }
    }
    for name in [
        "DeviceTvmSoftwareInventory",
        "DeviceBaselineComplianceProfiles",
        "DeviceAppCrash",
        "DnsEvents",
    ] {
        let t = table(name).unwrap();
        assert!(t.column_index("InitiatingProcessUniqueId").is_none(), "{name}");
        assert!(!t.has_in(Variant::AdvancedHunting, "MachineGroup"), "{name}");
    }
}

#[test]
fn variant_of_a_query() {
    use VariantCheck::{Fits, Mixed};
    let (ah, la) = (Variant::AdvancedHunting, Variant::LogAnalytics);
    let processes = table("DeviceProcessEvents").unwrap();
    let cases: &[(&[&str], VariantCheck)] = &[
        (&[], Fits(ah)),
        (&["SHA256", "FileName"], Fits(ah)),
        (&["Timestamp", "SHA256"], Fits(ah)),
        (&["TimeGenerated", "SHA256"], Fits(la)),
        (&["TimeGenerated", "AdditionalFields"], Fits(la)),
        (&["Timestamp", "MachineGroup"], Fits(ah)),
        (&["TimeGenerated", "MyExtendedColumn", "sha256"], Fits(la)),
        (
            &[
                "Timestamp",
                "SHA256",
                "TimeGenerated",
                "Timestamp",
                "TenantId",
                "TimeGenerated",
            ],
            Mixed {
                ah_only: vec!["Timestamp".into()],
                la_only: vec!["TimeGenerated".into(), "TenantId".into()],
            },
        ),
    ];
    for (used, expected) in cases {
        assert_eq!(&variant_of(processes, used), expected, "{used:?}");
    }
    let dns = table("DnsEvents").unwrap();
    assert_eq!(dns.variants(), [la]);
    assert_eq!(variant_of(dns, &[]), Fits(la), "a Log Analytics-only table");
    assert_eq!(variant_of(dns, &["Name", "Timestamp"]), Fits(la));
    let behavior = table("BehaviorInfo").unwrap();
    assert_eq!(behavior.variants(), [ah]);
    assert_eq!(variant_of(behavior, &["Timestamp", "TimeGenerated"]), Fits(ah));
    let logons = table("IdentityLogonEvents").unwrap();
    assert_eq!(
        variant_of(logons, &["Isp", "ISP"]),
        Mixed {
            ah_only: vec!["Isp".into()],
            la_only: vec!["ISP".into()]
        }
    );
}

#[test]
fn wildcards_name_tables_in_order() {
    let device = names(&tables_matching("Device*"));
    assert!(
        device.len() > 30 && device.iter().all(|n| n.starts_with("Device")),
        "{device:?}"
    );
    assert!(device.windows(2).all(|w| w[0] < w[1]));
    assert!(device.contains(&"DeviceFileEvents".to_string()) && device.contains(&"DeviceTvmInfoGathering".to_string()));
    let events = names(&tables_matching("Device*Events"));
    assert_eq!(
        events,
        [
            "DeviceEvents",
            "DeviceFileEvents",
            "DeviceImageLoadEvents",
            "DeviceLogonEvents",
            "DeviceNetworkEvents",
            "DeviceProcessEvents",
            "DeviceRegistryEvents"
        ]
    );
    assert_eq!(
        names(&tables_matching("*SignInEvents")),
        ["EntraIdSignInEvents", "EntraIdSpnSignInEvents"]
    );
    assert_eq!(
        names(&tables_matching("Identity*Events")),
        [
            "IdentityDirectoryEvents",
            "IdentityEvents",
            "IdentityLogonEvents",
            "IdentityQueryEvents"
        ]
    );
    assert_eq!(names(&tables_matching("*Tvm*KB")).len(), 4);
    assert_eq!(names(&tables_matching("DnsEvents")), ["DnsEvents"]);
    assert_eq!(
        names(&tables_matching("Dns*Events*")),
        ["DnsEvents"],
        "`*` also stands for nothing"
    );
    assert!(tables_matching("dnsevents").is_empty() && tables_matching("device*").is_empty());
    assert!(tables_matching("").is_empty() && tables_matching("Nope*").is_empty());
    assert_eq!(tables_matching("*").len(), tables().len());
    assert_eq!(tables_matching("**").len(), tables().len());
    assert!(!wildcard_matches("A*A", "A") && wildcard_matches("A*A", "AA") && wildcard_matches("*A*", "BAB"));
}

#[test]
fn public_types_are_shareable_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Table>();
    shareable::<Variant>();
    shareable::<VariantCheck>();
}
