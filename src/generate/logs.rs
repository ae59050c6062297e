//! `gen logs`: Defender `DeviceFileEvents` and Log Analytics `DnsEvents` exports with planted
//! results and near misses, and Defender `DeviceProcessEvents` / `DeviceNetworkEvents` exports
//! for the query engine (see `device_events`), written fast into one reused buffer.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Jsonl,
    Array,
    /// An Advanced Hunting API response: `{"Schema":[...],"Results":[rows]}`, pretty enough to
    /// have a row a line.
    Response,
}

pub struct LogsOptions {
    pub table: LogTable,
    pub size: u64,
    pub out: PathBuf,
    pub shape: Shape,
    /// `Some(k)`: `out` is a directory of `k` files.
    pub files: Option<usize>,
    pub rules: Vec<PathBuf>,
    pub hits: u64,
    pub seed: u64,
}

#[derive(Debug)]
pub struct LogsReport {
    pub records: u64,
    pub bytes: u64,
    /// Result rows per rule id, every loaded rule included.
    pub hits: BTreeMap<String, u64>,
    pub expected: PathBuf,
    /// Time spent writing rows (loading the rules excluded).
    pub write_seconds: f64,
}

/// `PATH.expected.json`, beside the output also when PATH is a directory: inside it, loghunt and
/// rg would read it as one more log file.
pub fn expected_path(out: &Path) -> PathBuf {
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "logs".into());
    name.push(".expected.json");
    out.with_file_name(name)
}

/// The head of an Advanced Hunting response up to its first row: the schema of `row`'s columns,
/// typed as the table's Advanced Hunting schema types them, with the API's type names.
fn response_head(table: LogTable, row: &[u8]) -> Result<String, String> {
    let row: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(row).map_err(|e| e.to_string())?;
    let schema = crate::schema::table(table.name());
    let columns: Vec<serde_json::Value> = (row.keys())
        .map(|name| {
            let ty = schema.and_then(|t| t.column_type_in(crate::schema::Variant::AdvancedHunting, name));
            let ty = match ty {
                Some(crate::schema::ColumnType::DateTime) => "DateTime",
                Some(crate::schema::ColumnType::Long) => "Int64",
                Some(crate::schema::ColumnType::Real) => "Double",
                Some(crate::schema::ColumnType::Bool) => "Boolean",
                Some(crate::schema::ColumnType::Dynamic) => "Dynamic",
                Some(crate::schema::ColumnType::TimeSpan) => "TimeSpan",
                Some(crate::schema::ColumnType::String) | None => "String",
            };
            serde_json::json!({"Name": name, "Type": ty})
        })
        .collect();
    let schema = serde_json::to_string(&columns).map_err(|e| e.to_string())?;
    Ok(format!("{{\"Schema\":{schema},\n\"Results\":[\n"))
}

pub fn generate_logs(options: &LogsOptions) -> Result<LogsReport, GenError> {
    let targets = Targets::load(&options.rules, options.table)?;
    let table = options.table.name();
    if options.hits > 0 && targets.plant.is_empty() {
        return Err(GenError::Invalid(format!(
            "--hits: no rule under --rules has IOCs to plant in {table} rows"
        )));
    }
    let fit = options.size / options.table.row_bytes();
    if options.hits.saturating_mul(4) > fit.max(1) {
        return Err(GenError::Invalid(format!(
            "--hits {}: about {fit} records fit in {} bytes, and at most a quarter can be planted",
            options.hits, options.size
        )));
    }
    let paths: Vec<PathBuf> = match options.files {
        Some(0) => return Err("--files must be at least 1".into()),
        Some(k) => {
            fs::create_dir_all(&options.out).map_err(|e| io_error(&options.out, "create the directory", e))?;
            let ext = if options.shape == Shape::Jsonl { "jsonl" } else { "json" };
            (1..=k)
                .map(|i| options.out.join(format!("part-{i:05}.{ext}")))
                .collect()
        }
        None => {
            if let Some(parent) = options.out.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent).map_err(|e| io_error(parent, "create the directory", e))?;
            }
            vec![options.out.clone()]
        }
    };
    let started = Instant::now();
    let mut rows = Rows::new(options, &targets);
    if rows.names.is_empty() {
        return Err("every DNS name of the noise pool matches a rule (a needle like `com`?)".into());
    }
    // Planted rows (a hit, a near miss, a hit, ...) sit at evenly spaced byte offsets.
    let slots = 2 * options.hits;
    let slot_at = |j: u64| ((2 * j + 1) as u128 * options.size as u128 / (2 * slots).max(1) as u128) as u64;
    let (mut next_slot, mut bytes, mut records) = (0u64, 0u64, 0u64);
    let response = options.shape == Shape::Response;
    let (array, eol): (bool, &[u8]) = match (options.shape, options.table) {
        (Shape::Array | Shape::Response, _) => (true, b""),
        (Shape::Jsonl, LogTable::DnsEvents) => (false, b"\n"),
        (Shape::Jsonl, _) => (false, b"\r\n"), // as Defender exports
    };
    let mut buf = Vec::with_capacity(8192);
    for (f, path) in paths.iter().enumerate() {
        let write_err = |e| io_error(path, "write", e);
        let mut out = BufWriter::with_capacity(1 << 20, File::create(path).map_err(|e| io_error(path, "create", e))?);
        let end = (options.size as u128 * (f as u128 + 1) / paths.len() as u128) as u64;
        let last = f + 1 == paths.len();
        buf.clear();
        buf.extend_from_slice(if array { b"[\n" } else { b"" });
        // Every file gets a record; the last one runs on until every planted row is out.
        let mut first = true;
        while first || bytes + (buf.len() as u64) < end || (last && next_slot < slots) {
            if array && !first {
                buf.extend_from_slice(b",\n");
            }
            let plant = (next_slot < slots && bytes + buf.len() as u64 >= slot_at(next_slot)).then_some(next_slot);
            next_slot += u64::from(plant.is_some());
            rows.row(&mut buf, plant);
            if response && first {
                // The schema lists the first row's columns, as the API lists the query's.
                let head = response_head(options.table, &buf[2..])?;
                buf.splice(0..2, head.into_bytes());
            }
            buf.extend_from_slice(eol);
            out.write_all(&buf).map_err(write_err)?;
            bytes += buf.len() as u64;
            buf.clear();
            records += 1;
            first = false;
        }
        if array {
            let end: &[u8] = if response { b"\n]}\n" } else { b"\n]\n" };
            out.write_all(end).map_err(write_err)?;
            bytes += end.len() as u64;
        }
        out.flush().map_err(write_err)?;
    }
    let report = LogsReport {
        records,
        bytes,
        hits: targets.ids.iter().cloned().zip(rows.counts.iter().copied()).collect(),
        expected: expected_path(&options.out),
        write_seconds: started.elapsed().as_secs_f64(),
    };
    let rules: Vec<String> = options.rules.iter().map(|p| p.display().to_string()).collect();
    let json = serde_json::json!({
        "records": report.records,
        "bytes": report.bytes,
        "hits": report.hits,
        // What was asked for, so that a script can tell whether existing data is still current.
        "params": {
            "table": table, "size": options.size, "shape": match options.shape { Shape::Jsonl => "jsonl", Shape::Array => "array", Shape::Response => "response" },
            "files": options.files, "rules": rules, "hits": options.hits, "seed": options.seed,
        },
    });
    let text = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())? + "\n";
    fs::write(&report.expected, text).map_err(|e| io_error(&report.expected, "write", e))?;
    Ok(report)
}

// The pools rows are drawn from. Strings that go into rows are JSON text already: `\\` in
// Windows paths, `\"` in command lines.

/// An initiating process and its parent.
pub(super) struct Process {
    pub(super) file: &'static str,
    pub(super) folder: &'static str,
    pub(super) version_info: [&'static str; 4], // company, product, version, description
    pub(super) command: &'static str,
    pub(super) size: u64,
    pub(super) parent: &'static str,
}

#[rustfmt::skip]
pub(super) const PROCESSES: &[Process] = &[
    Process { file: "OUTLOOK.EXE", folder: r"c:\\program files\\microsoft office\\root\\office16\\outlook.exe", version_info: ["Microsoft Corporation", "Microsoft Outlook", "16.0.17928.20114", "Microsoft Outlook"], command: r#"\"OUTLOOK.EXE\" /restore"#, size: 41_234_544, parent: "explorer.exe" },
    Process { file: "msedge.exe", folder: r"c:\\program files (x86)\\microsoft\\edge\\application\\msedge.exe", version_info: ["Microsoft Corporation", "Microsoft Edge", "126.0.2592.68", "Microsoft Edge"], command: r#"\"msedge.exe\" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none"#, size: 4_181_544, parent: "msedge.exe" },
    Process { file: "chrome.exe", folder: r"c:\\program files\\google\\chrome\\application\\chrome.exe", version_info: ["Google LLC", "Google Chrome", "126.0.6478.127", "Google Chrome"], command: r#"\"chrome.exe\" --type=renderer --lang=en-US --num-raster-threads=4 --enable-main-frame-before-activation"#, size: 3_044_888, parent: "explorer.exe" },
    Process { file: "explorer.exe", folder: r"c:\\windows\\explorer.exe", version_info: ["Microsoft Corporation", "Microsoft® Windows® Operating System", "10.0.22621.3880", "Windows Explorer"], command: "Explorer.EXE", size: 5_383_704, parent: "userinit.exe" },
    Process { file: "powershell.exe", folder: r"c:\\windows\\system32\\windowspowershell\\v1.0\\powershell.exe", version_info: ["Microsoft Corporation", "Microsoft® Windows® Operating System", "10.0.22621.3085", "Windows PowerShell"], command: r#"\"powershell.exe\" -NoProfile -ExecutionPolicy Bypass -File C:\\ProgramData\\IT\\Scripts\\inventory.ps1"#, size: 455_680, parent: "svchost.exe" },
    Process { file: "svchost.exe", folder: r"c:\\windows\\system32\\svchost.exe", version_info: ["Microsoft Corporation", "Microsoft® Windows® Operating System", "10.0.22621.3672", "Host Process for Windows Services"], command: "svchost.exe -k netsvcs -p -s BITS", size: 57_360, parent: "services.exe" },
    Process { file: "MsMpEng.exe", folder: r"c:\\programdata\\microsoft\\windows defender\\platform\\4.18.24050.7-0\\msmpeng.exe", version_info: ["Microsoft Corporation", "Microsoft® Windows® Operating System", "4.18.24050.7", "Antimalware Service Executable"], command: r#"\"MsMpEng.exe\""#, size: 133_576, parent: "services.exe" },
    Process { file: "OneDrive.exe", folder: r"c:\\program files\\microsoft onedrive\\onedrive.exe", version_info: ["Microsoft Corporation", "Microsoft OneDrive", "24.116.0609.0004", "Microsoft OneDrive"], command: r#"\"OneDrive.exe\" /background"#, size: 3_705_152, parent: "explorer.exe" },
];
#[rustfmt::skip]
pub(super) const USERS: &[&str] = &["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "oscar"];
#[rustfmt::skip]
pub(super) const GROUPS: &[(&str, &str)] = &[("fin", "Finance Workstations"), ("hr", "HR Workstations"),
    ("eng", "Engineering Workstations"), ("it", "IT Admin Workstations"), ("sales", "Sales Laptops"),
    ("file", "Tier 1 Servers")];
#[rustfmt::skip]
pub(super) const FILE_KINDS: &[(&str, &str)] = &[("exe", "PortableExecutable"), ("dll", "PortableExecutable"), ("docx", "Docx"),
    ("xlsx", "Xlsx"), ("pdf", "Pdf"), ("zip", "Zip"), ("msi", "Msi"), ("ps1", "PowerShell"), ("txt", "Text")];
#[rustfmt::skip]
pub(super) const STEMS: &[&str] = &["setup", "report", "update", "invoice", "notes", "budget", "install", "archive", "minutes",
    "contract", "payload", "driver", "readme", "statement", "q2_results", "vpnclient", "teams_windows_x64"];
#[rustfmt::skip]
pub(super) const USER_DIRS: &[&str] = &["Downloads", "Documents", "Desktop", r"AppData\\Local\\Temp",
    r"AppData\\Roaming\\Microsoft\\Windows\\Recent", r"OneDrive - Contoso\\Documents",
    r"AppData\\Local\\Microsoft\\Edge\\User Data\\Default\\Cache\\Cache_Data"];
#[rustfmt::skip]
pub(super) const SYSTEM_DIRS: &[&str] = &[r"C:\\Windows\\Temp", r"C:\\Windows\\SoftwareDistribution\\Download\\a1b2c3",
    r"C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\History\\Service", r"C:\\ProgramData\\IT\\Scripts"];
#[rustfmt::skip]
pub(super) const ACTIONS: &[&str] = &["FileCreated", "FileCreated", "FileCreated", "FileModified", "FileModified", "FileRenamed",
    "FileDeleted"];
#[rustfmt::skip]
pub(super) const WEB_HOSTS: &[&str] = &["download.microsoft.com", "github.com", "dl.google.com", "contoso.sharepoint.com",
    "cdn.zoom.us"];
#[rustfmt::skip]
pub(super) const COMMON_NAMES: &[&str] = &["login.microsoftonline.com", "www.bing.com", "contoso.sharepoint.com",
    "wpad.contoso.local", "time.windows.com", "outlook.office365.com", "teams.microsoft.com", "graph.microsoft.com",
    "settings-win.data.microsoft.com", "www.google.com", "github.com", "slack.com", "dc01.contoso.local",
    "_ldap._tcp.dc._msdcs.contoso.local", "ocsp.digicert.com", "ctldl.windowsupdate.com", "fonts.gstatic.com"];
pub(super) const DNS_SERVERS: &[&str] = &["dc01", "dc02", "dc03"];
#[rustfmt::skip]
pub(super) const QUERY_TYPES: &[&str] = &["A", "A", "A", "AAAA", "AAAA", "TXT", "SRV", "PTR", "CNAME"];

/// A planted row: a hit or a near miss, its number among those, the IOC, its hash column.
pub(super) struct Plant {
    pub(super) hit: bool,
    pub(super) k: usize,
    pub(super) value: String,
    pub(super) column: usize,
}

/// Builds rows: the RNG, the export's clock, the pools, and the result counts so far.
pub(super) struct Rows<'t> {
    pub(super) table: LogTable,
    pub(super) targets: &'t Targets,
    pub(super) rng: Rng,
    pub(super) ticks: i64,
    pub(super) report_id: u64,
    /// Per device: name, user, group, and the JSON of its fixed columns.
    pub(super) devices: Vec<(String, &'static str, &'static str, String)>,
    /// Per process, the JSON of its fixed columns (one binary: one set of hashes).
    pub(super) processes: Vec<String>,
    /// DNS names of ordinary traffic, none of which any rule matches.
    pub(super) names: Vec<String>,
    pub(super) counts: Vec<u64>,
    pub(super) matched: Vec<u32>,
    /// Ticks between two events are drawn from `0..max_step`.
    pub(super) max_step: usize,
    /// The devices and processes of `DeviceProcessEvents` and `DeviceNetworkEvents`.
    pub(super) fleet: Fleet,
}

impl<'t> Rows<'t> {
    pub(super) fn new(options: &LogsOptions, targets: &'t Targets) -> Rows<'t> {
        let mut rng = Rng::new(options.seed);
        let devices = (0..96)
            .map(|i| {
                let ((dept, group), user) = (rng.pick(GROUPS), rng.pick(USERS));
                let kind = if dept == "file" { "srv" } else { "ws" };
                let ids = format!(r#""DeviceId":"{}","DeviceName":"{kind}-{dept}-{i:03}.contoso.local""#, rng.hex_string(40));
                let (sid, o) = (1100 + rng.below(900), rng.hex_string(32));
                let account = format!(
                    r#""InitiatingProcessAccountDomain":"contoso","InitiatingProcessAccountName":"{user}","InitiatingProcessAccountSid":"S-1-5-21-1004336348-1177238915-682003330-{sid}","InitiatingProcessAccountUpn":"{user}@contoso.com","InitiatingProcessAccountObjectId":"{}-{}-{}-{}-{}""#,
                    &o[..8], &o[8..12], &o[12..16], &o[16..20], &o[20..]
                );
                (ids, user, group, account)
            })
            .collect();
        let processes = PROCESSES
            .iter()
            .map(|&Process { file, folder, version_info: [company, product, version, description], size, .. }| {
                let (md5, sha1, sha256) = (rng.hex_string(32), rng.hex_string(40), rng.hex_string(64));
                let internal = file.split('.').next().unwrap_or(file);
                format!(
                    r#""InitiatingProcessMD5":"{md5}","InitiatingProcessSHA1":"{sha1}","InitiatingProcessSHA256":"{sha256}","InitiatingProcessFolderPath":"{folder}","InitiatingProcessFileName":"{file}","InitiatingProcessFileSize":{size},"InitiatingProcessVersionInfoCompanyName":"{company}","InitiatingProcessVersionInfoProductName":"{product}","InitiatingProcessVersionInfoProductVersion":"{version}","InitiatingProcessVersionInfoInternalFileName":"{internal}","InitiatingProcessVersionInfoOriginalFileName":"{file}","InitiatingProcessVersionInfoFileDescription":"{description}""#
                )
            })
            .collect();
        let mut matched = Vec::new();
        let names: Vec<String> = (0..2_000)
            .map(|i| {
                if i % 3 == 0 {
                    rng.pick(COMMON_NAMES).into()
                } else {
                    random_domain(&mut rng)
                }
            })
            .filter(|name| {
                targets.needles.matches(name.as_bytes(), &mut matched);
                matched.is_empty()
            })
            .collect();
        let (fleet, max_step) = match options.table {
            LogTable::DeviceFileEvents | LogTable::DnsEvents => (Fleet::default(), 2_000_000),
            LogTable::DeviceProcessEvents | LogTable::DeviceNetworkEvents => {
                // Shared by both tables of one seed, so that joins on DeviceId and process ids match.
                let fleet = Fleet::new(options.seed);
                // Over the same SPAN_DAYS whatever the size: `bin(Timestamp, 1h)` has days of groups.
                let rows = (options.size / options.table.row_bytes()).max(1);
                let span = SPAN_DAYS * 86_400 * TICKS_PER_SECOND as u64;
                (fleet, (2 * span / rows).clamp(1, usize::MAX as u64) as usize)
            }
        };
        if max_step != 2_000_000 {
            // Each table its own stream of rows, over the fleet both share.
            rng = Rng::new(options.seed ^ (0x5eed_0000 + options.table as u64));
        }
        Rows {
            max_step,
            fleet,
            table: options.table,
            targets,
            ticks: 1_781_913_600 * TICKS_PER_SECOND + rng.below(TICKS_PER_SECOND as usize) as i64, // 2026-06-20
            report_id: 10_000 + rng.below(1 << 20) as u64,
            rng,
            devices,
            processes,
            names,
            counts: vec![0; targets.ids.len()],
            matched,
        }
    }

    /// One record into `buf`. `plant`: slot j; even slots are hits, odd ones near misses.
    pub(super) fn row(&mut self, buf: &mut Vec<u8>, plant: Option<u64>) {
        self.ticks += self.rng.below(self.max_step) as i64; // up to 0.2 s between events by default
        let plant = plant.map(|j| {
            let k = (j / 2) as usize;
            let values = &self.targets.plant[k % self.targets.plant.len()];
            let (value, column) = values[self.rng.below(values.len())].clone();
            Plant {
                hit: j % 2 == 0,
                k,
                value,
                column,
            }
        });
        match self.table {
            LogTable::DeviceFileEvents => self.file_event(buf, plant),
            LogTable::DnsEvents => self.dns_event(buf, plant),
            LogTable::DeviceProcessEvents => self.process_event(buf),
            LogTable::DeviceNetworkEvents => self.network_event(buf),
        }
        for &rule in &self.matched {
            self.counts[rule as usize] += 1;
        }
        self.matched.clear();
    }

    // The row writers are formatted by hand, one JSON fragment per line, in the columns' order:
    // rustfmt would spread each `write!` over four lines.
    #[rustfmt::skip]
    pub(super) fn file_event(&mut self, buf: &mut Vec<u8>, plant: Option<Plant>) {
        // SHA256, SHA1, MD5: random, and never an IOC of any rule.
        let mut hashes = [0u8; 136];
        let (sha256, rest) = hashes.split_at_mut(64);
        let (sha1, md5) = rest.split_at_mut(40);
        let mut columns = [sha256, sha1, md5];
        for column in columns.iter_mut() {
            self.rng.hex(column);
            while self.targets.hashes.contains_key(&column[..]) {
                self.rng.hex(column);
            }
        }
        let (mut folder_hash, mut command_hash) = (None, None);
        if let Some(Plant { hit, k, value, column: c }) = plant {
            match (hit, k % 3) {
                (true, _) => columns[c].copy_from_slice(value.as_bytes()),
                (false, 0) => columns[c].copy_from_slice(value.to_ascii_uppercase().as_bytes()), // `in` is exact
                (false, 1) => folder_hash = Some(value),
                (false, _) => command_hash = Some(value),
            }
            self.targets.hash_matches([&*columns[0], &*columns[1], &*columns[2]], &mut self.matched);
            if !hit && !self.matched.is_empty() {
                // The upper-cased hash is some rule's IOC too (or all digits): plant nothing.
                self.rng.hex(&mut *columns[c]);
                self.targets.hash_matches([&*columns[0], &*columns[1], &*columns[2]], &mut self.matched);
            }
        }
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        let (sha256, sha1, md5) = (text(&*columns[0]), text(&*columns[1]), text(&*columns[2]));
        let r = &mut self.rng;
        let (ids, user, group, account) = &self.devices[r.below(self.devices.len())];
        let p = r.below(PROCESSES.len());
        let (process_columns, &Process { command, parent, .. }) = (&self.processes[p], &PROCESSES[p]);
        let (stem, (ext, file_type), action) = (r.pick(STEMS), r.pick(FILE_KINDS), r.pick(ACTIONS));
        let file = match r.chance(40) {
            true => format!("{stem}_{}.{ext}", r.below(10_000)),
            false => format!("{stem}.{ext}"),
        };
        let folder = match r.chance(80) {
            true => format!(r"C:\\Users\\{user}\\{}\\", r.pick(USER_DIRS)),
            false => format!(r"{}\\", r.pick(SYSTEM_DIRS)),
        };
        let (ts, size) = (Ticks(self.ticks), 1_000 + r.below(40_000_000));
        let _ = write!(buf, r#"{{"Timestamp":"{ts}",{ids},"ActionType":"{action}","FileName":"{file}","FolderPath":"{folder}"#);
        let _ = match &folder_hash {
            Some(hash) => write!(buf, "{}.bin", Escaped(hash)),
            None => write!(buf, "{file}"),
        };
        let _ = write!(buf, r#"","SHA1":"{sha1}","SHA256":"{sha256}","MD5":"{md5}","#);
        if folder.ends_with(r"\\Downloads\\") {
            let (host, ip) = (r.pick(WEB_HOSTS), r.ip(20, 13, 1));
            let _ = write!(buf, r#""FileOriginUrl":"https://{host}/downloads/{file}","#);
            let _ = write!(buf, r#""FileOriginReferrerUrl":"https://{host}/","FileOriginIP":"{ip}","#);
        } else {
            buf.extend_from_slice(br#""FileOriginUrl":null,"FileOriginReferrerUrl":null,"FileOriginIP":null,"#);
        }
        if action == "FileRenamed" {
            let _ = write!(buf, r#""PreviousFolderPath":"{folder}","PreviousFileName":"~{stem}.tmp","#);
        } else {
            buf.extend_from_slice(br#""PreviousFolderPath":null,"PreviousFileName":null,"#);
        }
        let (pid, created) = (1_000 + r.below(30_000), Ticks(self.ticks - r.below(1 << 35) as i64));
        let _ = write!(buf, r#""FileSize":{size},{account},{process_columns},"InitiatingProcessId":{pid},"#);
        let _ = match &command_hash {
            Some(hash) => write!(buf, r#""InitiatingProcessCommandLine":"certutil.exe -hashfile C:\\Windows\\Temp\\upd.exe SHA256 | findstr {}","#, Escaped(hash)),
            None => write!(buf, r#""InitiatingProcessCommandLine":"{command}","#),
        };
        let elevated = parent == "services.exe" || command.contains("inventory.ps1");
        let (integrity, token) = match elevated {
            true => ("System", "TokenElevationTypeDefault"),
            false => ("Medium", "TokenElevationTypeLimited"),
        };
        let _ = write!(buf, r#""InitiatingProcessCreationTime":"{created}","InitiatingProcessIntegrityLevel":"{integrity}","#);
        let (ppid, parent_created) = (500 + r.below(9_000), Ticks(self.ticks - (1 << 36) - r.below(1 << 38) as i64));
        let _ = write!(buf, r#""InitiatingProcessTokenElevation":"{token}","InitiatingProcessParentId":{ppid},"#);
        let _ = write!(buf, r#""InitiatingProcessParentFileName":"{parent}","InitiatingProcessParentCreationTime":"{parent_created}","#);
        if r.chance(10) {
            let (ip, port) = (r.ip(10, 1, 1), 49_152 + r.below(16_000));
            let _ = write!(buf, r#""RequestProtocol":"Smb","RequestSourceIP":"{ip}","RequestSourcePort":{port},"#);
            let _ = write!(buf, r#""RequestAccountName":"{user}","RequestAccountDomain":"CONTOSO","#);
            buf.extend_from_slice(br#""RequestAccountSid":null,"ShareName":"Shared$","#);
        } else {
            buf.extend_from_slice(br#""RequestProtocol":"Local","RequestSourceIP":null,"RequestSourcePort":null,"#);
            buf.extend_from_slice(br#""RequestAccountName":null,"RequestAccountDomain":null,"RequestAccountSid":null,"ShareName":null,"#);
        }
        if matches!(ext, "docx" | "xlsx" | "pdf") && r.chance(30) {
            buf.extend_from_slice(br#""SensitivityLabel":"Confidential","SensitivitySubLabel":"All Employees","#);
            buf.extend_from_slice(br#""IsAzureInfoProtectionApplied":true,"#);
        } else {
            buf.extend_from_slice(br#""SensitivityLabel":null,"SensitivitySubLabel":null,"IsAzureInfoProtectionApplied":false,"#);
        }
        self.report_id += 1 + r.below(3) as u64;
        let report = self.report_id;
        let _ = write!(buf, r#""ReportId":{report},"AppGuardContainerId":"","AdditionalFields":"#);
        let _ = match r.chance(90) {
            true => write!(buf, r#""{{\"FileType\":\"{file_type}\"}}","#),
            false => write!(buf, "null,"),
        };
        let (session, unique) = (if elevated { 0 } else { 1 + r.below(4) }, 1 + r.next_u64() % (1 << 53));
        let _ = write!(buf, r#""InitiatingProcessSessionId":{session},"IsInitiatingProcessRemoteSession":false,"#);
        buf.extend_from_slice(br#""InitiatingProcessRemoteSessionDeviceName":null,"InitiatingProcessRemoteSessionIP":null,"#);
        let _ = write!(buf, r#""InitiatingProcessUniqueId":"{unique}","MachineGroup":"{group}"}}"#);
    }

    #[rustfmt::skip]
    pub(super) fn dns_event(&mut self, buf: &mut Vec<u8>, plant: Option<Plant>) {
        let mut planted = None;
        if let Some(Plant { hit, k, value, .. }) = plant {
            let letter = ["x", "q", "z"][k % 3];
            let candidates = match (hit, k % 5) {
                (true, 0) => vec![value.clone()],
                (true, 1) => vec![format!("{}.{value}", self.rng.pick(SUBDOMAINS))],
                (true, 2) => vec![format!("{value}.")],
                (true, 3) => vec![value.to_ascii_uppercase()],
                // `has` is case-insensitive.
                (true, _) => vec![value.chars().enumerate().map(|(i, c)| if i % 2 == 0 { c.to_ascii_uppercase() } else { c }).collect()],
                // Glued to a letter on the left or the right: not on a term boundary, so no match.
                (false, _) => vec![format!("{letter}{value}"), format!("{value}{letter}")],
            };
            for candidate in candidates {
                self.targets.needles.matches(candidate.as_bytes(), &mut self.matched);
                if hit || self.matched.is_empty() {
                    planted = Some(candidate);
                    break;
                }
            }
            if !hit {
                self.matched.clear(); // every near miss was some other rule's match: a plain name
            }
        }
        let r = &mut self.rng;
        let noise = &self.names[r.below(self.names.len())];
        let name = Escaped(planted.as_deref().unwrap_or(noise));
        let (server, query_type) = (r.pick(DNS_SERVERS), r.pick(QUERY_TYPES));
        let (ts, client) = (Ticks(self.ticks), r.ip(10, 0, 64));
        let _ = write!(buf, r#"{{"TenantId":"72f988bf-86f1-41af-91ab-2d7cd011db47","SourceSystem":"OpsManager","TimeGenerated":"{ts}","#);
        let _ = write!(buf, r#""Computer":"{server}.contoso.local","EventId":256,"SubType":"LookupQuery","#);
        let _ = write!(buf, r#""ClientIP":"{client}","Name":"{name}","IPAddresses":""#);
        let _ = match query_type {
            "A" => { let first = 13 + r.below(180) as u8; write!(buf, "{}", r.ip(first, 0, 256)) }
            "AAAA" => write!(buf, "2603:1030:{:x}:{:x}::{:x}", r.below(1 << 16), r.below(1 << 16), 1 + r.below(255)),
            _ => Ok(()),
        };
        let (result, code) = if r.chance(95) { ("Success", 0) } else { ("Failure", 3) };
        let _ = write!(buf, r#"","QueryType":"{query_type}","Result":"{result}","ResultCode":{code},"TaskCategory":"Lookup","#);
        buf.extend_from_slice(br#""Severity":null,"Description":null,"MaliciousIP":null,"IndicatorThreatType":null,"#);
        buf.extend_from_slice(br#""Confidence":null,"RemoteIPCountry":null,"RemoteIPLatitude":null,"RemoteIPLongitude":null,"#);
        buf.extend_from_slice(br#""Message":null,"_ResourceId":"/subscriptions/00000000-0000-0000-0000-000000000000/"#);
        let _ = write!(buf, r#"resourcegroups/soc/providers/microsoft.compute/virtualmachines/{server}","Type":"DnsEvents"}}"#);
    }
}

/// A datetime as Defender writes it: `2026-06-20T08:01:07.0007919Z`, always seven digits.
pub(super) struct Ticks(pub(super) i64);

impl fmt::Display for Ticks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let day = 86_400 * TICKS_PER_SECOND;
        let (y, m, d) = civil_from_days(self.0.div_euclid(day));
        let (in_day, mut text) = (self.0.rem_euclid(day), *b"0000-00-00T00:00:00.0000000Z");
        let s = in_day / TICKS_PER_SECOND;
        let fields = [
            (0, 4, y),
            (5, 2, m.into()),
            (8, 2, d.into()),
            (11, 2, s / 3600),
            (14, 2, s / 60 % 60),
        ];
        // Digits by hand: `{:02}` padding costs more than the rest of a DnsEvents row.
        for (at, width, mut value) in fields
            .into_iter()
            .chain([(17, 2, s % 60), (20, 7, in_day % TICKS_PER_SECOND)])
        {
            for digit in text[at..at + width].iter_mut().rev() {
                *digit = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        f.write_str(std::str::from_utf8(&text).unwrap_or_default())
    }
}

pub(super) struct Ip(pub(super) [u8; 4]);

impl fmt::Display for Ip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

/// Text from rules (IOC values) as JSON string content.
pub(super) struct Escaped<'a>(pub(super) &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.0.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
            return f.write_str(self.0); // the usual case
        }
        for c in self.0.chars() {
            match c {
                '"' | '\\' => write!(f, "\\{c}")?,
                c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}
