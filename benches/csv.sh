#!/usr/bin/env bash
# The CSV reader of this tree against the one of BEFORE (by default the last commit with the
# hand-written RFC 4180 parser), on the portal exports of tests/fixtures/csv/ and on a generated
# Defender portal export of SIZE. Run by hand, not in CI; see benches/README.md.
#
#   benches/csv.sh                          # 200 MB export, 5 runs of each build, alternating
#   SIZE=20M RUNS=1 benches/csv.sh          # a quick try
#   BEFORE=HEAD~3 benches/csv.sh            # any revision whose input::csv has CsvReader
#
# Both builds run benches/csv.rs (the reader alone, over the file in memory, through a 64 KiB
# BufReader as a scan reads) and print a checksum of every record, issue and warning: builds
# that disagree print FAIL and the script exits 1, since a fast wrong reader is not a result.
set -euo pipefail
export LC_ALL=C

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
SIZE=${SIZE:-200M}
RUNS=${RUNS:-5}
SEED=${SEED:-1}
BEFORE=${BEFORE:-0827a7f}
FIXTURE_REPEAT=${FIXTURE_REPEAT:-500}
WORKDIR=${WORKDIR:-target/bench-data}/csv
export PATH="$HOME/.cargo/bin:$PATH"

# shellcheck source=lib.sh
source "$ROOT/benches/lib.sh"

have python3 || apt_install python3
have python3 || die "python3 is missing and could not be installed (apt-get install python3)"
have numfmt || die "numfmt is missing (apt-get install coreutils)"

# The generator: a Defender portal "Export" of DeviceProcessEvents as the portal writes it (BOM,
# CRLF, `Oct 9, 2024 2:56:53 PM` datetimes in the viewer's zone, empty fields left empty), with
# the quoting real command lines bring: commas, doubled quotes, CRLF inside quoted fields,
# JSON in AdditionalFields, non-ASCII account and folder names.
GENERATOR=$(
    cat <<'PY'
import random, sys

out, size, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
columns = ["Timestamp", "DeviceId", "DeviceName", "ActionType", "FileName", "FolderPath", "SHA1",
    "SHA256", "MD5", "FileSize", "ProcessVersionInfoCompanyName", "ProcessVersionInfoProductName",
    "ProcessVersionInfoProductVersion", "ProcessVersionInfoInternalFileName",
    "ProcessVersionInfoOriginalFileName", "ProcessVersionInfoFileDescription", "ProcessId",
    "ProcessCommandLine", "ProcessIntegrityLevel", "ProcessTokenElevation", "ProcessCreationTime",
    "AccountDomain", "AccountName", "AccountSid", "AccountUpn", "AccountObjectId", "LogonId",
    "InitiatingProcessAccountDomain", "InitiatingProcessAccountName", "InitiatingProcessSHA1",
    "InitiatingProcessSHA256", "InitiatingProcessMD5", "InitiatingProcessFileName",
    "InitiatingProcessId", "InitiatingProcessCommandLine", "InitiatingProcessCreationTime",
    "InitiatingProcessFolderPath", "InitiatingProcessParentId", "InitiatingProcessParentFileName",
    "InitiatingProcessParentCreationTime", "ReportId", "AdditionalFields"]
months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
users = ["alice", "bob", "svc_backup", "Jürgen", "Zoë", "李雷", "administrator"]
images = [("powershell.exe", r"C:\Windows\System32\WindowsPowerShell\v1.0"),
    ("cmd.exe", r"C:\Windows\System32"), ("msedge.exe", r"C:\Program Files (x86)\Microsoft\Edge\Application"),
    ("svchost.exe", r"C:\Windows\System32"), ("rundll32.exe", r"C:\Windows\System32"),
    ("python.exe", r"C:\Users\{u}\AppData\Local\Programs\Python\Python312")]
devices = [(("%040x" % rng.getrandbits(160)), "PC-%04d.contoso.local" % i) for i in range(400)]

def when():
    m, d, h = rng.randrange(12), rng.randrange(1, 29), rng.randrange(24)
    return "%s %d, 2024 %d:%02d:%02d %s" % (months[m], d, h % 12 or 12, rng.randrange(60),
        rng.randrange(60), "AM" if h < 12 else "PM")

def hexes(bits):
    return "%0*x" % (bits // 4, rng.getrandbits(bits))

def command(image, user):
    r = rng.random()
    if image == "powershell.exe" and r < 0.08:
        # A script pasted into the command line: it spans lines, as real exports show.
        return ('powershell.exe -NoProfile -Command "$u = \'https://cdn.example.net/%s\'\r\n'
                'Invoke-WebRequest $u -OutFile \\"C:\\Users\\%s\\Downloads\\a, b.ps1\\"\r\n& $u"'
                % (hexes(32), user))
    if r < 0.5:
        return '"%s" --type=renderer --field-trial-handle=%d,%d --lang=en-US --user-data-dir="C:\\Users\\%s\\AppData"' % (
            image, rng.randrange(10**6), rng.randrange(10**6), user)
    if r < 0.8:
        return "%s -k netsvcs -p -s Schedule" % image
    return '%s /c "echo %s, done > C:\\Temp\\out %d.txt"' % (image, user, rng.randrange(1000))

def quote(value):
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value

with open(out, "w", encoding="utf-8", newline="") as f:
    f.write("\ufeff" + ",".join(columns) + "\r\n")
    written, report = 0, 0
    while written < size:
        device_id, device = rng.choice(devices)
        user = rng.choice(users)
        image, folder = rng.choice(images)
        parent, parent_folder = rng.choice(images)
        folder, parent_folder = folder.replace("{u}", user), parent_folder.replace("{u}", user)
        report += 1
        row = [when(), device_id, device, "ProcessCreated", image, folder + "\\" + image,
            hexes(160), hexes(256), hexes(128), str(rng.randrange(10**4, 10**7)),
            "Microsoft Corporation", "Microsoft® Windows® Operating System", "10.0.19041.%d" % rng.randrange(5000),
            image, image.upper(), "Windows Command Processor, \"classic\"" if rng.random() < 0.1 else "",
            str(rng.randrange(100, 65000)), command(image, user), rng.choice(["High", "Medium", "System"]),
            rng.choice(["TokenElevationTypeDefault", "TokenElevationTypeFull"]), when(),
            "CONTOSO", user, "S-1-5-21-%d-%d-%d-%d" % tuple(rng.randrange(10**9) for _ in range(4)),
            "" if rng.random() < 0.5 else "%s@contoso.com" % user, "" if rng.random() < 0.5 else hexes(128),
            str(rng.randrange(10**6)), "CONTOSO", user, hexes(160), hexes(256), hexes(128), parent,
            str(rng.randrange(100, 65000)), command(parent, user), when(), parent_folder + "\\" + parent,
            str(rng.randrange(100, 65000)), "explorer.exe", when(), str(report),
            '{"ProcessStartKey":%d,"Tags":["a, b","c"]}' % rng.getrandbits(40) if rng.random() < 0.3 else ""]
        line = ",".join(quote(v) for v in row) + "\r\n"
        f.write(line)
        written += len(line.encode("utf-8"))
PY
)

bytes=$(bytes_of "$SIZE")
mkdir -p "$WORKDIR"
DATA=$WORKDIR/DeviceProcessEvents_defender_portal-$bytes-$SEED.csv
if [[ -f $DATA ]]; then
    echo "reusing $DATA"
else
    echo "generating $DATA"
    python3 -c "$GENERATOR" "$DATA.tmp" "$bytes" "$SEED"
    mv "$DATA.tmp" "$DATA"
fi

# BEFORE's tree, in a worktree of its own under target/, with benches/csv.rs copied in: the
# driver uses only what both readers offer.
BEFORE_TREE=$ROOT/target/bench-csv-before
rev=$(git rev-parse --verify "$BEFORE^{commit}") || die "BEFORE=$BEFORE is not a revision"
if [[ ! -d $BEFORE_TREE ]] || [[ $(git -C "$BEFORE_TREE" rev-parse HEAD) != "$rev" ]]; then
    rm -rf "$BEFORE_TREE"
    git worktree prune
    git worktree add --detach "$BEFORE_TREE" "$rev" >/dev/null
fi
cp "$ROOT/benches/csv.rs" "$BEFORE_TREE/benches/csv.rs"
grep -q '^name = "csv"$' "$BEFORE_TREE/Cargo.toml" ||
    printf '\n[[bench]]\nname = "csv"\nharness = false\n' >>"$BEFORE_TREE/Cargo.toml"

build() { (cd "$1" && cargo bench --locked --no-run --bench csv 2>&1 | grep -Eo '\(target/release/deps/csv-[0-9a-f]+\)' | tr -d '()'); }
echo "building the reader of this tree and of $BEFORE ($rev)"
now_bin=$ROOT/$(build "$ROOT")
before_bin=$BEFORE_TREE/$(build "$BEFORE_TREE")
[[ -x $now_bin && -x $before_bin ]] || die "could not build the bench driver (cargo bench --no-run --bench csv)"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# run NAME REPEAT FILE...: RUNS alternating timings of both builds; the medians, and FAIL on a
# checksum that differs.
failed=0
run() {
    local name=$1 repeat=$2
    shift 2
    local before=() now=() out_before out_now
    for ((i = 0; i < RUNS; i++)); do
        out_before=$("$before_bin" --repeat "$repeat" "$@")
        out_now=$("$now_bin" --repeat "$repeat" "$@")
        before+=("$(awk -F'\t' '{ s += $5 } END { print s }' <<<"$out_before")")
        now+=("$(awk -F'\t' '{ s += $5 } END { print s }' <<<"$out_now")")
        if [[ $(cut -f1-4,6 <<<"$out_before") != $(cut -f1-4,6 <<<"$out_now") ]]; then
            echo "FAIL $name: the readers disagree" >&2
            diff <(cut -f1-4,6 <<<"$out_before") <(cut -f1-4,6 <<<"$out_now") >&2 || true
            failed=1
        fi
    done
    local total records
    total=$(awk -F'\t' '{ s += $2 } END { print s }' <<<"$out_now")
    records=$(awk -F'\t' '{ s += $3 } END { print s }' <<<"$out_now")
    local mb=$(printf '%s\n' "${before[@]}" | median) mn=$(printf '%s\n' "${now[@]}" | median)
    printf '%-48s %-7s %9.3f s %8.0f MB/s %11.0f records/s\n' "$name" before "$mb" \
        "$(bc -l <<<"$total / $mb / 1000000")" "$(bc -l <<<"$records / $mb")"
    printf '%-48s %-7s %9.3f s %8.0f MB/s %11.0f records/s   (before / now: %.2f)\n' "" now "$mn" \
        "$(bc -l <<<"$total / $mn / 1000000")" "$(bc -l <<<"$records / $mn")" "$(bc -l <<<"$mb / $mn")"
}

have bc || apt_install bc
have bc || die "bc is missing (apt-get install bc)"
echo "medians of $RUNS runs; the reader alone, file in memory"
run "fixtures (6 files x $FIXTURE_REPEAT)" "$FIXTURE_REPEAT" "$ROOT"/tests/fixtures/csv/*.csv
run "$(basename "$DATA")" 1 "$DATA"
exit $failed
