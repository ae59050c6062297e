//! `DeviceProcessEvents` and `DeviceNetworkEvents` rows for the query engine's benchmarks: one
//! fleet of devices, each running a fixed set of process instances (an image and a process id),
//! drawn on by both tables. A process created in `DeviceProcessEvents` (`DeviceId`, `ProcessId`,
//! `FileName`) is the initiating process of connections in `DeviceNetworkEvents` (`DeviceId`,
//! `InitiatingProcessId`, `InitiatingProcessFileName`), so joins on those columns match the way
//! real hunts ("powershell.exe that then talked on 443") do. Nothing is planted: the benchmarks
//! compute their expected answers from the rows themselves.

use super::*;

/// The time every export of these tables spans, whatever its size.
pub(super) const SPAN_DAYS: u64 = 7;
/// "A few hundred" devices: enough groups for `summarize by DeviceName, bin(Timestamp, 1h)`.
const HOSTS: usize = 400;
/// Process instances per device; each is one of `PROCESSES`.
const INSTANCES: usize = 48;

/// One running process of a device.
pub(super) struct Instance {
    pid: u64,
    image: usize,
    /// The instance (of the same device) that started this one.
    parent: usize,
    created: i64,
    /// `InitiatingProcessUniqueId`, which the streaming API adds.
    unique: u64,
}

pub(super) struct Host {
    /// `"DeviceId":"...","DeviceName":"..."`.
    ids: String,
    /// `"Account...":...` and `"InitiatingProcessAccount...":...` of the device's user.
    account: String,
    initiating_account: String,
    logon_id: u64,
    local_ip: Ip,
    /// `MachineGroup`, which the streaming API adds.
    group: &'static str,
    instances: Vec<Instance>,
}

/// Per image of `PROCESSES`: its columns as the created process and as the initiating one.
pub(super) struct Image {
    created: String,
    initiating: String,
}

#[derive(Default)]
pub(super) struct Fleet {
    hosts: Vec<Host>,
    images: Vec<Image>,
}

impl Fleet {
    /// The same for every table of one seed.
    pub(super) fn new(seed: u64) -> Fleet {
        let mut rng = Rng::new(seed ^ 0xf1ee_7000);
        let start = 1_781_913_600 * TICKS_PER_SECOND; // 2026-06-20, like the other tables
        let hosts = (0..HOSTS)
            .map(|i| {
                let ((dept, group), user) = (rng.pick(GROUPS), rng.pick(USERS));
                let kind = if dept == "file" { "srv" } else { "ws" };
                let ids = format!(
                    r#""DeviceId":"{}","DeviceName":"{kind}-{dept}-{i:03}.contoso.local""#,
                    rng.hex_string(40)
                );
                let (sid, o) = (1100 + rng.below(900), rng.hex_string(32));
                let object = format!("{}-{}-{}-{}-{}", &o[..8], &o[8..12], &o[12..16], &o[16..20], &o[20..]);
                let fields = format!(
                    r#"Domain":"contoso","{{p}}AccountName":"{user}","{{p}}AccountSid":"S-1-5-21-1004336348-1177238915-682003330-{sid}","{{p}}AccountUpn":"{user}@contoso.com","{{p}}AccountObjectId":"{object}""#
                );
                let account = format!(r#""Account{}"#, fields.replace("{p}", ""));
                let initiating_account =
                    format!(r#""InitiatingProcessAccount{}"#, fields.replace("{p}", "InitiatingProcess"));
                let jitter = rng.below(90) as u64;
                let instances = (0..INSTANCES)
                    .map(|n| Instance {
                        pid: 4 * (300 + 97 * n as u64 + jitter), // distinct within a device
                        image: rng.below(PROCESSES.len()),
                        parent: (n + 1 + rng.below(INSTANCES - 1)) % INSTANCES,
                        created: start - rng.below(1 << 40) as i64,
                        unique: 1 + rng.next_u64() % (1 << 53),
                    })
                    .collect();
                Host {
                    ids,
                    account,
                    initiating_account,
                    logon_id: 100_000 + rng.below(1 << 24) as u64,
                    local_ip: rng.ip(10, 0, 64),
                    group,
                    instances,
                }
            })
            .collect();
        let images = PROCESSES
            .iter()
            .map(|&Process { file, folder, version_info: [company, product, version, description], size, .. }| {
                let (md5, sha1, sha256) = (rng.hex_string(32), rng.hex_string(40), rng.hex_string(64));
                let internal = file.split('.').next().unwrap_or(file);
                let info = |p: &str| {
                    format!(
                        r#""{p}VersionInfoCompanyName":"{company}","{p}VersionInfoProductName":"{product}","{p}VersionInfoProductVersion":"{version}","{p}VersionInfoInternalFileName":"{internal}","{p}VersionInfoOriginalFileName":"{file}","{p}VersionInfoFileDescription":"{description}""#
                    )
                };
                Image {
                    created: format!(
                        r#""FileName":"{file}","FolderPath":"{folder}","SHA1":"{sha1}","SHA256":"{sha256}","MD5":"{md5}","FileSize":{size},{}"#,
                        info("Process")
                    ),
                    initiating: format!(
                        r#""InitiatingProcessSHA1":"{sha1}","InitiatingProcessSHA256":"{sha256}","InitiatingProcessMD5":"{md5}","InitiatingProcessFileName":"{file}","InitiatingProcessFileSize":{size},{},"InitiatingProcessFolderPath":"{folder}""#,
                        info("InitiatingProcess")
                    ),
                }
            })
            .collect();
        Fleet { hosts, images }
    }
}

/// Integrity level and token elevation of a process of this image.
fn integrity(image: usize) -> (&'static str, &'static str) {
    let Process { command, parent, .. } = PROCESSES[image];
    match parent == "services.exe" || command.contains("inventory.ps1") {
        true => ("System", "TokenElevationTypeDefault"),
        false => ("Medium", "TokenElevationTypeLimited"),
    }
}

#[rustfmt::skip]
const NETWORK_ACTIONS: &[&str] = &["ConnectionSuccess", "ConnectionSuccess", "ConnectionSuccess", "ConnectionSuccess",
    "ConnectionSuccess", "ConnectionFailed", "ConnectionAttempt", "InboundConnectionAccepted", "ConnectionRequest"];
/// Half of all connections go to 443, as on real endpoints.
const REMOTE_PORTS: &[u16] = &[443, 443, 443, 443, 443, 443, 80, 53, 445, 3389, 135, 8080];

impl Rows<'_> {
    // As in `logs.rs`: one JSON fragment per line, in the columns' order.
    #[rustfmt::skip]
    pub(super) fn process_event(&mut self, buf: &mut Vec<u8>) {
        let r = &mut self.rng;
        let host = &self.fleet.hosts[r.below(self.fleet.hosts.len())];
        let process = &host.instances[r.below(INSTANCES)];
        let parent = &host.instances[process.parent];
        let grandparent = &host.instances[parent.parent];
        let (ts, created) = (Ticks(self.ticks), Ticks(self.ticks - r.below(TICKS_PER_SECOND as usize) as i64));
        let (level, token) = integrity(process.image);
        let (parent_level, parent_token) = integrity(parent.image);
        let _ = write!(buf, r#"{{"Timestamp":"{ts}",{},"ActionType":"ProcessCreated",{},"#, host.ids, self.fleet.images[process.image].created);
        let _ = write!(buf, r#""ProcessId":{},"ProcessCommandLine":"{}","#, process.pid, PROCESSES[process.image].command);
        let _ = write!(buf, r#""ProcessIntegrityLevel":"{level}","ProcessTokenElevation":"{token}","ProcessCreationTime":"{created}","#);
        let _ = write!(buf, r#"{},"LogonId":{},{},"#, host.account, host.logon_id, host.initiating_account);
        let _ = write!(buf, r#""InitiatingProcessLogonId":{},"InitiatingProcessIntegrityLevel":"{parent_level}","#, host.logon_id);
        let _ = write!(buf, r#""InitiatingProcessTokenElevation":"{parent_token}",{},"#, self.fleet.images[parent.image].initiating);
        let _ = write!(buf, r#""InitiatingProcessId":{},"InitiatingProcessCommandLine":"{}","#, parent.pid, PROCESSES[parent.image].command);
        let _ = write!(buf, r#""InitiatingProcessCreationTime":"{}","InitiatingProcessParentId":{},"#, Ticks(parent.created), grandparent.pid);
        let _ = write!(buf, r#""InitiatingProcessParentFileName":"{}","#, PROCESSES[grandparent.image].file);
        let _ = write!(buf, r#""InitiatingProcessParentCreationTime":"{}","#, Ticks(grandparent.created));
        buf.extend_from_slice(br#""InitiatingProcessSignerType":"OsVendor","InitiatingProcessSignatureStatus":"Valid","#);
        self.report_id += 1 + r.below(3) as u64;
        let session = if level == "System" { 0 } else { 1 + r.below(4) };
        let _ = write!(buf, r#""ReportId":{},"AppGuardContainerId":"","AdditionalFields":null,"#, self.report_id);
        let _ = write!(buf, r#""InitiatingProcessSessionId":{session},"IsInitiatingProcessRemoteSession":false,"#);
        buf.extend_from_slice(br#""InitiatingProcessRemoteSessionDeviceName":null,"InitiatingProcessRemoteSessionIP":null,"#);
        let _ = write!(buf, r#""CreatedProcessSessionId":{session},"IsProcessRemoteSession":false,"#);
        buf.extend_from_slice(br#""ProcessRemoteSessionDeviceName":null,"ProcessRemoteSessionIP":null,"#);
        let _ = write!(buf, r#""InitiatingProcessUniqueId":"{}","MachineGroup":"{}"}}"#, parent.unique, host.group);
    }

    #[rustfmt::skip]
    pub(super) fn network_event(&mut self, buf: &mut Vec<u8>) {
        let r = &mut self.rng;
        let host = &self.fleet.hosts[r.below(self.fleet.hosts.len())];
        let process = &host.instances[r.below(INSTANCES)];
        let parent = &host.instances[process.parent];
        let (action, port) = (r.pick(NETWORK_ACTIONS), r.pick(REMOTE_PORTS));
        let (url, remote, remote_type) = match port {
            443 | 80 | 8080 => {
                let hosts = if r.chance(50) { WEB_HOSTS } else { COMMON_NAMES };
                (r.pick(hosts), r.ip(13, 64, 128), "Public")
            }
            53 => ("", Ip([10, 0, 0, 4 + r.below(3) as u8]), "Private"),
            _ => ("", r.ip(10, 0, 64), "Private"),
        };
        let protocol = if port == 53 { "Udp" } else { "Tcp" };
        let local_port = 49_152 + r.below(16_000);
        let _ = write!(buf, r#"{{"Timestamp":"{}",{},"ActionType":"{action}","#, Ticks(self.ticks), host.ids);
        let _ = write!(buf, r#""RemoteIP":"{remote}","RemotePort":{port},"RemoteUrl":"{url}","LocalIP":"{}","#, host.local_ip);
        let _ = write!(buf, r#""LocalPort":{local_port},"Protocol":"{protocol}","LocalIPType":"Private","RemoteIPType":"{remote_type}","#);
        let _ = write!(buf, r#"{},"InitiatingProcessId":{},"#, self.fleet.images[process.image].initiating, process.pid);
        let _ = write!(buf, r#""InitiatingProcessCommandLine":"{}","#, PROCESSES[process.image].command);
        let _ = write!(buf, r#""InitiatingProcessCreationTime":"{}","#, Ticks(process.created));
        let _ = write!(buf, r#""InitiatingProcessParentFileName":"{}","InitiatingProcessParentId":{},"#, PROCESSES[parent.image].file, parent.pid);
        let _ = write!(buf, r#""InitiatingProcessParentCreationTime":"{}",{},"#, Ticks(parent.created), host.initiating_account);
        let (level, token) = integrity(process.image);
        let _ = write!(buf, r#""InitiatingProcessIntegrityLevel":"{level}","InitiatingProcessTokenElevation":"{token}","#);
        self.report_id += 1 + r.below(3) as u64;
        let session = if level == "System" { 0 } else { 1 + r.below(4) };
        let _ = write!(buf, r#""ReportId":{},"AppGuardContainerId":"","AdditionalFields":null,"#, self.report_id);
        let _ = write!(buf, r#""InitiatingProcessSessionId":{session},"IsInitiatingProcessRemoteSession":false,"#);
        buf.extend_from_slice(br#""InitiatingProcessRemoteSessionDeviceName":null,"InitiatingProcessRemoteSessionIP":null,"#);
        let _ = write!(buf, r#""InitiatingProcessUniqueId":"{}","MachineGroup":"{}"}}"#, process.unique, host.group);
    }
}
