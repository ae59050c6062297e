#!/usr/bin/env python3
"""Writes the files in sample-logs/: small, realistic exports with planted results for the two
seed rules in rules/ and near misses for each semantic trap. Deterministic: running it again
rewrites the same bytes. Every planted record carries a marker (DeviceId / ClientIP) naming the
case, and EXPECTED below lists the markers loghunt must return, in output order."""
import json, os, random

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20260620)

SHA256 = ["ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303",
          "c2c8ed567f9c65686c4f6599e9259bd31d2ad984c24cf17ad9ebd9d594dcb0ba",
          "2e16f46c063ff79af0b312364375706e98674b5869a4c9bb9f96a14b77277c5b"]
SHA1 = ["0b8b5c278750f6e4a14fde3495cd403eddb9f2bc", "4ccba704170269b7c7ca1ecafe2ed57fd11dcba8"]
MD5 = ["93e61d5a877bbb937e885d3ca385ac8a", "10cf94eef24c8932d28698e02faf43e5"]

def hexstr(n):
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))

def file_event(marker, ts, **over):
    name = rng.choice(["setup.exe", "report.docx", "update.dll", "invoice.pdf.exe", "svchost.exe", "notes.txt"])
    row = {
        "Timestamp": ts,
        "DeviceId": marker,
        "DeviceName": rng.choice(["ws-fin-014.contoso.local", "ws-hr-002.contoso.local", "srv-file-01.contoso.local"]),
        "ActionType": rng.choice(["FileCreated", "FileModified", "FileRenamed"]),
        "FileName": name,
        "FolderPath": "C:\\Users\\alice\\AppData\\Local\\Temp\\" + name,
        "SHA1": hexstr(40), "SHA256": hexstr(64), "MD5": hexstr(32),
        "FileOriginUrl": None, "FileOriginReferrerUrl": None, "FileOriginIP": None,
        "PreviousFolderPath": None, "PreviousFileName": None,
        "FileSize": rng.randint(1000, 9_000_000),
        "InitiatingProcessAccountDomain": "contoso", "InitiatingProcessAccountName": "alice",
        "InitiatingProcessAccountSid": "S-1-5-21-1004336348-1177238915-682003330-1104",
        "InitiatingProcessAccountUpn": "alice@contoso.com",
        "InitiatingProcessAccountObjectId": "6b1c5a2e-93c4-4c55-9a0e-1f7f0b2d7c11",
        "InitiatingProcessMD5": hexstr(32), "InitiatingProcessSHA1": hexstr(40), "InitiatingProcessSHA256": hexstr(64),
        "InitiatingProcessFolderPath": "c:\\program files\\microsoft office\\root\\office16\\outlook.exe",
        "InitiatingProcessFileName": rng.choice(["OUTLOOK.EXE", "explorer.exe", "powershell.exe", "chrome.exe"]),
        "InitiatingProcessFileSize": 41234544,
        "InitiatingProcessVersionInfoCompanyName": "Microsoft Corporation",
        "InitiatingProcessVersionInfoProductName": "Microsoft Outlook",
        "InitiatingProcessVersionInfoProductVersion": "16.0.17928.20114",
        "InitiatingProcessVersionInfoInternalFileName": "Outlook",
        "InitiatingProcessVersionInfoOriginalFileName": "Outlook.exe",
        "InitiatingProcessVersionInfoFileDescription": "Microsoft Outlook",
        "InitiatingProcessId": rng.randint(1000, 30000),
        "InitiatingProcessCommandLine": "\"OUTLOOK.EXE\" /restore",
        "InitiatingProcessCreationTime": "2026-06-20T07:58:11.2154321Z",
        "InitiatingProcessIntegrityLevel": "Medium", "InitiatingProcessTokenElevation": "TokenElevationTypeLimited",
        "InitiatingProcessParentId": 5512, "InitiatingProcessParentFileName": "explorer.exe",
        "InitiatingProcessParentCreationTime": "2026-06-20T07:40:02.0000001Z",
        "RequestProtocol": "Local", "RequestSourceIP": None, "RequestSourcePort": None,
        "RequestAccountName": None, "RequestAccountDomain": None, "RequestAccountSid": None,
        "ShareName": None, "SensitivityLabel": None, "SensitivitySubLabel": None,
        "IsAzureInfoProtectionApplied": False,
        "ReportId": rng.randint(10_000, 99_999),
        "AppGuardContainerId": "",
        "AdditionalFields": json.dumps({"FileType": "PortableExecutable"}),
        "InitiatingProcessSessionId": 3, "IsInitiatingProcessRemoteSession": False,
        "InitiatingProcessRemoteSessionDeviceName": None, "InitiatingProcessRemoteSessionIP": None,
        "InitiatingProcessUniqueId": str(rng.randint(10**15, 10**16)),
        "MachineGroup": "Finance Workstations",
    }
    row.update(over)
    return row

def noise_ts(i):
    return "2026-06-20T%02d:%02d:%02d.%07dZ" % (8 + i // 60 % 10, i % 60, (i * 7) % 60, (i * 7919) % 10**7)

# --- DeviceFileEvents (Defender advanced-hunting rows, JSON lines, CRLF as exported) -------
planted = [
    # marker, timestamp, overrides, expected to match
    ("hit-sha256", "2026-06-20T10:15:00.1234567Z", {"SHA256": SHA256[0]}, True),
    ("hit-sha1", "2026-06-20T10:15:00Z", {"SHA1": SHA1[0]}, True),
    ("hit-md5", "2026-06-20T10:15:00.5Z", {"MD5": MD5[0]}, True),
    # SHA256 null: the other columns still decide; a null string reads as "".
    ("hit-sha1-with-null-sha256", "2026-06-20T11:00:00Z", {"SHA256": None, "SHA1": SHA1[1]}, True),
    # Missing columns read as "" and the row still projects them as "".
    ("hit-md5-missing-columns", "2026-06-20T09:00:00Z", {"MD5": MD5[1], "__drop__": ["SHA256", "InitiatingProcessFileName"]}, True),
    # JSON escapes are decoded before matching: \u0065 is "e".
    ("hit-escaped-sha256", "2026-06-20T12:00:00Z", {"__raw_sha256__": "\\u0065" + SHA256[0][1:]}, True),
    # A null Timestamp sorts last under `order by Timestamp desc`.
    ("hit-null-timestamp", None, {"SHA256": SHA256[1]}, True),
    # Same instant as hit-sha1 written differently: a tie, kept in file order.
    ("hit-tie-same-instant", "2026-06-20T10:15:00.0000000Z", {"SHA256": SHA256[2]}, True),
    # Near misses.
    ("miss-uppercase-sha256", "2026-06-20T10:30:00Z", {"SHA256": SHA256[0].upper()}, False),
    ("miss-trailing-space", "2026-06-20T10:31:00Z", {"SHA1": SHA1[0] + " "}, False),
    ("miss-hash-in-folder-path", "2026-06-20T10:32:00Z", {"FolderPath": "C:\\Temp\\" + SHA256[0] + ".bin"}, False),
    ("miss-hash-in-command-line", "2026-06-20T10:33:00Z", {"InitiatingProcessCommandLine": "certutil -hashfile x " + MD5[0]}, False),
    ("miss-md5-in-sha1-column-prefix", "2026-06-20T10:34:00Z", {"SHA1": MD5[0] + "00000000"}, False),
    ("miss-empty-hashes", "2026-06-20T10:35:00Z", {"SHA1": "", "SHA256": "", "MD5": ""}, False),
]

def write_jsonl(path, rows, crlf):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        for row in rows:
            f.write(row + ("\r\n" if crlf else "\n"))

def encode(row):
    raw = row.pop("__raw_sha256__", None)
    drop = row.pop("__drop__", [])
    for key in drop:
        row.pop(key, None)
    text = json.dumps(row, separators=(",", ":"))
    if raw is not None:
        text = text.replace('"SHA256":"%s"' % row["SHA256"], '"SHA256":"%s"' % raw)
    return text

rows = []
for i in range(40):
    rows.append(encode(file_event("noise-%03d" % i, noise_ts(i))))
for k, (marker, ts, over, _) in enumerate(planted):
    rows.insert(3 + k * 3, encode(file_event(marker, ts, **over)))
write_jsonl(os.path.join(HERE, "DeviceFileEvents", "2026-06-20", "part-0000.jsonl"), rows, crlf=True)

# --- DnsEvents (Log Analytics data export: flat rows with Type, JSON lines) -----------------
def dns_event(marker, ts, name, **over):
    row = {
        "TenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "SourceSystem": "OpsManager",
        "TimeGenerated": ts,
        "Computer": rng.choice(["dc01.contoso.local", "dc02.contoso.local"]),
        "EventId": 256,
        "SubType": "LookupQuery",
        "ClientIP": marker,
        "Name": name,
        "IPAddresses": rng.choice(["", "40.126.32.74", "20.190.160.20,40.126.32.133"]),
        "QueryType": rng.choice(["A", "AAAA", "TXT"]),
        "Result": "Success",
        "ResultCode": 0,
        "TaskCategory": "Lookup",
        "Severity": None, "Description": None, "MaliciousIP": None, "IndicatorThreatType": None,
        "Confidence": None, "RemoteIPCountry": None, "RemoteIPLatitude": None, "RemoteIPLongitude": None,
        "Message": None,
        "_ResourceId": "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/soc/providers/microsoft.compute/virtualmachines/dc01",
        "Type": "DnsEvents",
    }
    row.update(over)
    return row

dns_planted = [
    ("hit-exact", "2026-05-27T08:00:00Z", "spapro.co.com", True),
    ("hit-subdomain", "2026-05-27T08:00:01Z", "a.spapro.co.com", True),
    ("hit-upper-case", "2026-05-27T08:00:02Z", "SPAPRO.CO.COM", True),
    ("hit-trailing-dot", "2026-05-27T08:00:03Z", "spapro.co.com.", True),
    ("hit-dash-after", "2026-05-27T08:00:04Z", "spapro.co.com-cdn.net", True),
    ("hit-escaped-dot", "2026-05-27T08:00:05.25Z", "__moocow_escaped__", True),
    ("hit-www-shbet", "2026-05-27T08:00:05.2500001Z", "www.shbet.id", True),
    ("hit-deeper-mobile1", "2026-05-27T08:00:05.2Z", "cdn.www.mobile1.com", True),
    ("hit-moocow-then-dot", "2026-05-27T08:00:06Z", "moocow.my.example.net", True),
    ("miss-glued-left", "2026-05-27T08:01:00Z", "myspapro.co.com", False),
    ("miss-glued-right", "2026-05-27T08:01:01Z", "spapro.co.community", False),
    ("miss-no-www", "2026-05-27T08:01:02Z", "mobile1.com", False),
    ("miss-dash-for-dot", "2026-05-27T08:01:03Z", "www-shbet.id", False),
    ("miss-glued-digit", "2026-05-27T08:01:04Z", "spapro.co.com2.net", False),
    ("hit-underscore-separates-terms", "2026-05-27T08:01:05Z", "moocow.my_x", True),
    ("miss-null-name", "2026-05-27T08:01:06Z", None, False),
]

def encode_dns(row):
    text = json.dumps(row, separators=(",", ":"))
    return text.replace("__moocow_escaped__", "moocow\\u002emy")

dns_rows = [encode_dns(dns_event("10.0.%d.%d" % (i // 200, i % 200), "2026-05-27T07:%02d:%02d.%03dZ" % (i % 60, (i * 13) % 60, i),
                                  rng.choice(["login.microsoftonline.com", "www.bing.com", "contoso.sharepoint.com", "wpad.contoso.local", "time.windows.com"])))
            for i in range(30)]
for k, (marker, ts, name, _) in enumerate(dns_planted):
    dns_rows.insert(2 + k * 2, encode_dns(dns_event(marker, ts, name)))
# A record of another table in the same export: counted, not scanned by a DnsEvents rule.
dns_rows.append(json.dumps({"TimeGenerated": "2026-05-27T08:05:00Z", "Computer": "dc01.contoso.local", "EventID": 4624, "Type": "SecurityEvent"}, separators=(",", ":")))
write_jsonl(os.path.join(HERE, "loganalytics-export", "y=2026", "m=05", "d=27", "h=08", "m=00", "PT05M.json"), dns_rows, crlf=False)

# --- DnsEvents as a pretty-printed JSON array of rows (an API or portal download) ----------
array_rows = [dns_event("array-hit-moocow", "2026-05-26T23:59:59.9999999Z", "api.moocow.my"),
              dns_event("array-miss", "2026-05-26T23:59:58Z", "moocow.mystery.example"),
              dns_event("array-hit-www-mobile1", "2026-05-26T23:00:00Z", "WWW.MOBILE1.COM")]
for row in array_rows:
    del row["Type"]
with open(os.path.join(HERE, "dnsevents-api-download.json"), "w", newline="\n") as f:
    json.dump(array_rows, f, indent=2)
    f.write("\n")

EXPECTED = {
    "000_4a715f3ed2ee4353": [m for m, _, _, hit in planted if hit],
    "001_84b55028b3ede4ab": [m for m, _, _, hit in dns_planted if hit] + ["array-hit-moocow", "array-hit-www-mobile1"],
}
if __name__ == "__main__":
    print(json.dumps(EXPECTED, indent=1))
