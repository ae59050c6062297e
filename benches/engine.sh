#!/usr/bin/env bash
# The query engine on gigabytes: summarize and join over generated DeviceProcessEvents and
# DeviceNetworkEvents exports, at --threads 1 and 2. Run by hand, not in CI; see
# benches/README.md for the scenarios and the knobs.
#
#   benches/engine.sh                      # ~1 GB per scenario, 5 runs each
#   SIZE=100M RUNS=1 benches/engine.sh     # a quick end-to-end try
#
#   BEFORE=/path/to/old/loghunt SCENARIOS=seed benches/engine.sh
#                                          # the seed-shaped scan (20 hash IOCs over SIZE of
#                                          # DeviceFileEvents) with two binaries, alternating
#
# Every result is checked, row for row, against an answer computed by a Python evaluator over
# the same files (written here, sharing nothing with loghunt): a wrong answer prints FAIL and
# exits 1, since a fast wrong answer is not a result.
set -euo pipefail
export LC_ALL=C

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
SIZE=${SIZE:-1G}
RUNS=${RUNS:-5}
SEED=${SEED:-1}
SCENARIOS=${SCENARIOS:-e f}
NOW=${NOW:-2026-07-01T00:00:00Z}
WORKDIR=${WORKDIR:-target/bench-data}/engine
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
LOGHUNT=${LOGHUNT:-$CARGO_TARGET_DIR/release/loghunt}
export PATH="$HOME/.cargo/bin:$PATH"

# shellcheck source=lib.sh
source "$ROOT/benches/lib.sh"

install_tools() {
    local missing=()
    have jq || missing+=(jq)
    have python3 || missing+=(python3)
    [[ -x /usr/bin/time ]] || missing+=(time)
    have numfmt || missing+=(coreutils)
    apt_install "${missing[@]+"${missing[@]}"}"
    have jq || die "jq is missing and could not be installed (apt-get install jq)"
    have python3 || die "python3 is missing and could not be installed (apt-get install python3)"
    [[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt-get install time)"
}


# gen DIR TABLE BYTES: DIR/TABLE.jsonl, reused when made with the same parameters. Its
# expected.json goes to DIR.meta/, out of the directory the queries read.
gen() {
    local dir=$1 table=$2 size=$3
    local out=$dir/$table.jsonl meta=$dir.meta/$table.jsonl.expected.json
    local want
    want=$(jq -cnS --arg table "$table" --argjson size "$size" --argjson seed "$SEED" \
        '{table: $table, size: $size, shape: "jsonl", files: null, rules: [], hits: 0, seed: $seed}')
    if [[ -f $out && -f $meta && $(jq -cS .params "$meta") == "$want" ]]; then
        echo "reusing $out"
        return
    fi
    mkdir -p "$dir" "$dir.meta"
    rm -f "$out" "$meta" "$dir.meta"/answer-*
    "$LOGHUNT" gen logs --table "$table" --size "$size" --out "$out" --seed "$SEED"
    mv "$out.expected.json" "$meta"
}

# The reference answers, one row a line, tab-separated, sorted: a plain reading of each JSON
# line and the query's meaning spelled out by hand (=~ is ASCII case-insensitive equality;
# bin(Timestamp, 1h) of a UTC `...Z` datetime is its first 13 characters; an inner join yields
# every pair of left and right rows with equal keys).
ORACLE=$(
    cat <<'PY'
import collections, json, sys

scenario, paths = sys.argv[1], sys.argv[2:]
def rows(table):
    for path in paths:
        if table in path:
            with open(path, "rb") as f:
                for line in f:
                    if line.strip():
                        yield json.loads(line)
out = collections.Counter()
if scenario == "e":
    for r in rows("DeviceProcessEvents"):
        out[(r["DeviceName"], r["Timestamp"][:13])] += 1
else:
    by_process = scenario == "f"
    left, names = collections.Counter(), {}
    for r in rows("DeviceProcessEvents"):
        if (r["FileName"] or "").lower() == "powershell.exe":
            key = (r["DeviceId"], r["ProcessId"]) if by_process else r["DeviceId"]
            left[key] += 1
            names.setdefault(key, collections.Counter())[r["DeviceName"]] += 1
    right = collections.Counter()
    for r in rows("DeviceNetworkEvents"):
        if r["RemotePort"] == 443:
            right[(r["DeviceId"], r["InitiatingProcessId"]) if by_process else r["DeviceId"]] += 1
    for key, n in right.items():
        for name, m in names.get(key, {}).items():
            out[(name,)] += m * n
for key, n in sorted(out.items()):
    print("\t".join(key + (str(n),)))
PY
)

# What loghunt printed, in the oracle's form.
normalize() {
    case $1 in
        e) jq -r '.row | [.DeviceName, .Timestamp[0:13], .count_] | @tsv' "$2" ;;
        *) jq -r '.row | [.DeviceName, .count_] | @tsv' "$2" ;;
    esac | sort
}

ROWS=()
row() { # SCENARIO WHAT SECONDS BYTES RECORDS RSS RESULT_ROWS CHECK
    local line
    line=$(printf '%-3s %-22s %9.2f %9.0f %12.0f %8s %9s  %s' "$1" "$2" "$3" \
        "$(awk -v b="$4" -v s="$3" 'BEGIN { print (s > 0 ? b / s / 1e6 : 0) }')" \
        "$(awk -v r="$5" -v s="$3" 'BEGIN { print (s > 0 ? r / s : 0) }')" "$6" "$7" "$8")
    echo "$line"
    ROWS+=("$line")
}

# scenario NAME KQL DIR
scenario() {
    local name=$1 kql=$2 dir=$3 files bytes records
    mapfile -t files < <(find "$dir" -type f -name '*.jsonl' | sort)
    bytes=$(stat -c %s "${files[@]}" | awk '{ s += $1 } END { print s }')
    records=$(jq -s 'map(.records) | add' "$dir".meta/*.expected.json)
    echo
    echo "== scenario $name: ${#files[@]} file(s), $bytes bytes, $records records"
    echo "   $kql"
    local answer=$dir.meta/answer-$name.tsv
    if [[ ! -s $answer ]]; then
        echo "   computing the reference answer with python3"
        python3 -c "$ORACLE" "$name" "${files[@]}" >"$answer.tmp"
        mv "$answer.tmp" "$answer"
    fi
    local expected sum
    expected=$(wc -l <"$answer")
    sum=$(awk -F'\t' '{ s += $NF } END { print s + 0 }' "$answer")
    echo "   reference: $expected rows, counts summing to $sum"
    echo "   warming the page cache"
    cat "${files[@]}" >/dev/null
    local threads out
    for threads in 1 2; do
        out=$WORKDIR/out/$name-t$threads.jsonl
        measure "$RUNS" "$out" "$LOGHUNT" query --now "$NOW" -q --format jsonl --threads "$threads" "$kql" "$dir"
        if ! cmp -s <(normalize "$name" "$out") "$answer"; then
            echo "FAIL: scenario $name, --threads $threads: the result differs from the reference answer" >&2
            diff <(normalize "$name" "$out") "$answer" | head -n 20 >&2 || true
            exit 1
        fi
        row "$name" "loghunt --threads $threads" "$MED" "$bytes" "$records" "$RSS" "$(wc -l <"$out")" "= reference ($expected rows, sum $sum)"
    done
}

# The seed rules' shape before and after a change: `loghunt scan` of 20 hash IOCs (compare.sh's
# scenario (a)) by the binary BEFORE and by this tree's, run alternately so that the machine's
# noise falls on both; both must return the generator's expected count.
seed_before_after() {
    [[ -x ${BEFORE:-} ]] || die "scenario seed needs BEFORE=path of the other loghunt binary"
    local rules=$WORKDIR/seed-rules dfe=$WORKDIR/seed/DeviceFileEvents.jsonl
    if [[ ! -f $rules/.done ]]; then
        rm -rf "$rules"
        "$LOGHUNT" gen rules --out "$rules" --hashes 20 --seed 101
        touch "$rules/.done"
    fi
    local meta=$WORKDIR/seed.meta/DeviceFileEvents.jsonl.expected.json
    if [[ ! -f $meta || $(jq .params.size "$meta") != "$size" ]]; then
        mkdir -p "$WORKDIR/seed" "$WORKDIR/seed.meta"
        "$LOGHUNT" gen logs --table DeviceFileEvents --size "$size" --out "$dfe" --rules "$rules" --hits 1000 --seed "$SEED"
        mv "$dfe.expected.json" "$meta"
    fi
    local want bytes records
    want=$(jq '.hits | add' "$meta")
    bytes=$(stat -c %s "$dfe")
    records=$(jq .records "$meta")
    echo
    echo "== scenario seed: 20 hash IOCs, $bytes bytes of DeviceFileEvents, $want expected results"
    echo "   before: $BEFORE ($("$BEFORE" --version 2>/dev/null || echo '?'))"
    cat "$dfe" >/dev/null
    local threads i which bin
    for threads in 1 2; do
        local -A times=([before]="" [after]="") peak=([before]=0 [after]=0)
        for ((i = 0; i < RUNS; i++)); do
            for which in before after; do
                bin=$LOGHUNT
                [[ $which == before ]] && bin=$BEFORE
                measure 1 "$WORKDIR/out/seed-$which.jsonl" "$bin" scan --rules "$rules" --format jsonl -q --threads "$threads" "$dfe"
                local got
                got=$(wc -l <"$WORKDIR/out/seed-$which.jsonl")
                [[ $got == "$want" ]] || die "FAIL: scenario seed, $which --threads $threads: $got results, expected $want"
                times[$which]+="$MED "
                if ((RSS > peak[$which])); then peak[$which]=$RSS; fi
            done
        done
        local before_med after_med
        before_med=$(printf '%s\n' ${times[before]} | median)
        after_med=$(printf '%s\n' ${times[after]} | median)
        row seed "before --threads $threads" "$before_med" "$bytes" "$records" "${peak[before]}" "$want" "runs: ${times[before]}"
        row seed "after --threads $threads" "$after_med" "$bytes" "$records" "${peak[after]}" "$want" \
            "runs: ${times[after]}; after ÷ before = $(awk -v a="$after_med" -v b="$before_med" 'BEGIN { printf "%.3f", a / b }')"
    done
}

install_tools
echo "machine: $(nproc) cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)," \
    "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) memory"
echo "tools:   loghunt $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(python3 --version), $(jq --version)"
echo "knobs:   SIZE=$SIZE RUNS=$RUNS SEED=$SEED SCENARIOS='$SCENARIOS' NOW=$NOW WORKDIR=$WORKDIR"

[[ -n ${NO_BUILD:-} ]] || cargo build --release --locked
mkdir -p "$WORKDIR/out"
TIMEF=$WORKDIR/out/time.txt
size=$(bytes_of "$SIZE")

# (e) reads SIZE of DeviceProcessEvents; (f) and (g) read SIZE in all, half of each table (one
# seed: the same fleet of devices and process ids).
E=$WORKDIR/e F=$WORKDIR/f
wants() { [[ " $SCENARIOS " == *" $1 "* ]]; }
if wants e; then gen "$E" DeviceProcessEvents "$size"; fi
if wants f || wants g; then
    gen "$F" DeviceProcessEvents $((size / 2))
    gen "$F" DeviceNetworkEvents $((size / 2))
fi

JOIN='DeviceProcessEvents | where FileName =~ "powershell.exe" | join kind=inner (DeviceNetworkEvents | where RemotePort == 443)'
echo
printf '%-3s %-22s %9s %9s %12s %8s %9s  %s\n' "" command seconds MB/s records/s "RSS MB" rows check
for name in $SCENARIOS; do
    case $name in
        e) scenario e 'DeviceProcessEvents | summarize count() by DeviceName, bin(Timestamp, 1h)' "$E" ;;
        f) scenario f "$JOIN on DeviceId, \$left.ProcessId == \$right.InitiatingProcessId | summarize count() by DeviceName" "$F" ;;
        g) scenario g "$JOIN on DeviceId | summarize count() by DeviceName" "$F" ;;
        seed) seed_before_after ;;
        *) die "unknown scenario '$name' (e, f, g or seed)" ;;
    esac
done

echo
echo "== summary (median of $RUNS runs, page cache warm; MB = 10^6 bytes)"
printf '%-3s %-22s %9s %9s %12s %8s %9s  %s\n' "" command seconds MB/s records/s "RSS MB" rows check
printf '%s\n' "${ROWS[@]}"
echo "every result matches the reference answer"
