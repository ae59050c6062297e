//! `gen rules`: rule documents in the seeds' threat-intel format, hash and domain IOCs.

use super::*;

pub struct RulesOptions {
    pub out: PathBuf,
    pub hashes: usize,
    pub domains: usize,
    pub seed: u64,
}

#[rustfmt::skip]
pub(super) const FAMILIES: &[&str] = &["Nanocore RAT", "AgentTesla", "Formbook", "Lumma Stealer", "RedLine Stealer", "Remcos",
    "AsyncRAT", "QakBot", "IcedID", "Cobalt Strike", "SmokeLoader", "DarkGate", "Vidar", "njRAT", "Emotet"];
pub(super) const SUBDOMAINS: &[&str] = &[
    "www", "cdn", "api", "mail", "update", "secure", "login", "static", "m", "app",
];
#[rustfmt::skip]
pub(super) const SYLLABLES: &[&str] = &["ka", "lo", "mi", "sec", "net", "up", "da", "te", "shop", "cloud", "pay", "get", "zor",
    "bit", "tra", "vex", "nova", "link", "micro", "soft", "ser", "vo", "data", "hub", "fast", "mo", "bile", "xen", "qua"];
#[rustfmt::skip]
pub(super) const TLDS: &[&str] = &["com", "net", "org", "io", "ru", "xyz", "top", "info", "biz", "online", "site", "cc", "me",
    "co", "de", "id"];
#[rustfmt::skip]
pub(super) const SCENARIOS: &[(&str, &str, &str)] = &[
    ("Scheduled system backup using Veeam Backup & Replication",
     "The backup process may touch files and hosts that resemble malicious activity.",
     r"Check for veeam or backup in the process name, and filter backup directories (e.g., C:\ProgramData\Veeam)."),
    ("Administrative tool usage, such as a Windows Defender Antivirus scan",
     "Antivirus scans read and hash many files, including quarantined samples.",
     "Exclude processes running as MsMpEng.exe or with Windows Defender in the command line."),
    ("Log management tool (e.g., Splunk, ELK Stack) indexing logs",
     "Log indexing may write to system directories or resolve hosts that match the IOCs.",
     r"Filter events whose process is splunkd.exe or logstash.exe, or paths under C:\ProgramData\Splunk."),
    ("Security researcher detonating samples in an isolated lab",
     "Malware analysis hosts download and unpack known samples on purpose.",
     "Exclude devices in the malware-lab machine group."),
];

/// A random domain of 2–3 labels that looks like a real one: syllables, sometimes a hyphen or
/// digits, a common TLD.
pub(super) fn random_domain(rng: &mut Rng) -> String {
    let mut domain = String::new();
    if rng.chance(30) {
        domain.push_str(rng.pick(SUBDOMAINS));
        domain.push('.');
    }
    for i in 0..2 + rng.below(2) {
        if i > 0 && rng.chance(15) {
            domain.push('-');
        }
        domain.push_str(rng.pick(SYLLABLES));
    }
    if rng.chance(25) {
        let _ = write!(domain, "{}", rng.below(100));
    }
    domain.push('.');
    domain.push_str(rng.pick(TLDS));
    domain
}

/// Writes `gen_hashes_NNNN.txt` and `gen_domains_NNNN.txt` documents into `options.out` and
/// returns their paths. Values are unique across all documents.
pub fn generate_rules(options: &RulesOptions) -> Result<Vec<PathBuf>, GenError> {
    fs::create_dir_all(&options.out).map_err(|e| io_error(&options.out, "create the directory", e))?;
    let mut rng = Rng::new(options.seed);
    let mut seen = HashSet::new();
    let mut written = Vec::new();
    for (total, is_hash) in [(options.hashes, true), (options.domains, false)] {
        let documents = total.div_ceil(MAX_IOCS_PER_DOCUMENT);
        for d in 0..documents {
            let count = total / documents + usize::from(d < total % documents);
            let mut iocs = Vec::with_capacity(count);
            while iocs.len() < count {
                let (kind, value) = match (is_hash, rng.below(10)) {
                    (false, _) => ("domain", random_domain(&mut rng)),
                    (true, 0..=3) => ("sha256_hash", rng.hex_string(64)),
                    (true, 4..=6) => ("sha1_hash", rng.hex_string(40)),
                    (true, _) => ("md5_hash", rng.hex_string(32)),
                };
                if seen.insert(value.clone()) {
                    iocs.push((kind, value));
                }
            }
            let name = format!("gen_{}_{:04}.txt", if is_hash { "hashes" } else { "domains" }, d + 1);
            let path = options.out.join(name);
            fs::write(&path, document(&mut rng, is_hash, &iocs)).map_err(|e| io_error(&path, "write", e))?;
            written.push(path);
        }
    }
    Ok(written)
}

/// One document in the layout of the seeds (`rules/000_*.txt` for hashes, `001_*` for domains).
pub(super) fn document(rng: &mut Rng, is_hash: bool, iocs: &[(&str, String)]) -> String {
    let family = rng.pick(FAMILIES);
    let confidence = rng.pick(&["50%", "75%", "90%", "95%", "100%"]);
    let (threat, what, list) = match is_hash {
        true => ("payload", "files matching known malicious hashes", "malicious_hashes"),
        false => (
            "botnet_cc",
            "DNS queries to known malicious domains",
            "malicious_domains",
        ),
    };
    let mut types: Vec<&str> = Vec::new();
    for (kind, _) in iocs {
        if !types.contains(kind) {
            types.push(kind);
        }
    }
    let mut t = String::with_capacity(iocs.len() * 140 + 4096);
    let _ = writeln!(
        t,
        "The ThreatFox: {family} IOCs rule detects potential indicators of {family} activity, such as payload \
         delivery and command-and-control traffic. SOC teams should proactively hunt for this behavior in Azure \
         Sentinel to identify and contain the threat early.\nIOC Summary\nMalware Family: {family} Total IOCs: {} \
         IOC Types: {}\n| Type | Value | Threat Type | First Seen | Confidence |\n|---|---|---|---|---|",
        iocs.len(),
        types.join(", ")
    );
    for (kind, value) in iocs {
        let (month, day) = (1 + rng.below(6), 1 + rng.below(28));
        let _ = writeln!(
            t,
            "| {kind} | {value} | {threat} | 2026-{month:02}-{day:02} | {confidence} |"
        );
    }
    let _ = write!(
        t,
        "// Hunt for {what}\n// Source: ThreatFox - {family}\nlet {list} = dynamic(["
    );
    for (i, (_, value)) in iocs.iter().enumerate() {
        let _ = write!(t, "{}\"{value}\"", if i == 0 { "" } else { ", " });
    }
    let (table, query) = match is_hash {
        true => (
            "DeviceFileEvents",
            "| where SHA256 in (malicious_hashes) or SHA1 in (malicious_hashes) or MD5 in (malicious_hashes)\n\
             | project Timestamp, DeviceName, FileName, FolderPath, SHA256, InitiatingProcessFileName\n\
             | order by Timestamp desc",
        ),
        false => (
            "DnsEvents",
            "| where Name has_any (malicious_domains)\n\
             | project TimeGenerated, Computer, Name, IPAddresses, QueryType\n\
             | order by TimeGenerated desc",
        ),
    };
    let _ = writeln!(t, "]);\n{table}\n{query}\n| Sentinel Table | Notes |\n|---|---|");
    let _ = writeln!(t, "{table} | Ensure this data connector is enabled |");
    let first = rng.below(SCENARIOS.len());
    for k in 0..2 {
        let (name, description, filter) = SCENARIOS[(first + k) % SCENARIOS.len()];
        let _ = writeln!(
            t,
            "Scenario: {name}\nDescription: {description}\nFilter/Exclusion: {filter}"
        );
    }
    t
}

// ---------------------------------------------------------------------------------------------
// What the rules look for: the two supported query shapes, evaluated independently of `plan`
