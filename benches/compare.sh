#!/usr/bin/env bash
# loghunt against `rg -F -f iocs.txt`, jq and duckdb-kql, on generated data with known answers.
# Run by hand, not in CI; see benches/README.md for the scenarios and the knobs.
#
#   benches/compare.sh                      # 1 GB, 5 runs each: a long while
#   SIZE=100M RUNS=1 benches/compare.sh     # a quick end-to-end try
#
# Every loghunt result count is checked against the generator's expected.json: a wrong count
# prints FAIL and exits 1, since a fast wrong answer is not a result.
set -euo pipefail
export LC_ALL=C # byte order for sort, as jq sorts

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
SIZE=${SIZE:-1G}
DNS_SIZE=${DNS_SIZE:-200M}
RUNS=${RUNS:-5}
JQ_RUNS=${JQ_RUNS:-$RUNS}
RG_RUNS_C=${RG_RUNS_C:-1} # rg with 1M patterns: minutes per GB and ~10 GB of memory per run
JQ_SLICE=${JQ_SLICE:-50M}
FILES=${FILES:-2000}
FILE_SIZE=${FILE_SIZE:-100K}
KQL_SIZE=${KQL_SIZE:-200M}
ARRAY_SIZE=${ARRAY_SIZE:-300M}
HITS=${HITS:-1000}
SEED=${SEED:-1}
SCENARIOS=${SCENARIOS:-a h n b c d y z k}
WORKDIR=${WORKDIR:-target/bench-data}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
LOGHUNT=$CARGO_TARGET_DIR/release/loghunt
export PATH="$HOME/.cargo/bin:$PATH"

# shellcheck source=lib.sh
source "$ROOT/benches/lib.sh"

# --- tools -----------------------------------------------------------------------------------
install_tools() {
    local missing=()
    have rg || missing+=(ripgrep)
    have jq || missing+=(jq)
    [[ -x /usr/bin/time ]] || missing+=(time)
    have numfmt || missing+=(coreutils)
    have python3 || missing+=(python3)
    python3 -c 'import venv' 2>/dev/null || missing+=(python3-venv)
    apt_install "${missing[@]+"${missing[@]}"}"
    if ! have rg; then
        echo "installing ripgrep with cargo"
        cargo install ripgrep
    fi
    have rg || die "ripgrep (rg) is missing and could not be installed"
    # Compare with rg at its best: Debian's rg 13 is several times slower than rg 14+ on many
    # literals (its Teddy searcher). RG names the binary; by default a newer one is built once.
    if [[ -z ${RG:-} ]]; then
        RG=rg
        local major
        # awk, not head: head would close the pipe early, and under pipefail rg's "broken
        # pipe" would end the script now and then.
        major=$(rg --version | awk 'NR == 1 { split($2, v, "."); print v[1] }')
        if ((major < 14)); then
            if [[ ! -x $WORKDIR/tools/bin/rg ]]; then
                echo "rg $major is old; building the current ripgrep into $WORKDIR/tools (once)"
                cargo install --quiet ripgrep --root "$WORKDIR/tools" || echo "could not build ripgrep; using rg $major" >&2
            fi
            [[ -x $WORKDIR/tools/bin/rg ]] && RG=$WORKDIR/tools/bin/rg
        fi
    fi
    have gzip || die "gzip is missing (apt-get install gzip)"
    have jq || die "jq is missing and could not be installed (apt-get install jq)"
    [[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt-get install time)"
}

# The duckdb-kql package (KQL translated to SQL over DuckDB) in a virtual environment of its own,
# installed from PyPI the first time.
install_duckdb_kql() {
    VENV=$WORKDIR/venv
    if ! "$VENV/bin/python" -c 'import duckdb_kql' 2>/dev/null; then
        echo "installing duckdb-kql into $VENV"
        python3 -m venv "$VENV" || die "python3 -m venv failed (apt-get install python3-venv)"
        "$VENV/bin/pip" install --quiet 'duckdb-kql[duckdb]' || die "pip could not install duckdb-kql"
    fi
    DUCKDB_KQL_VERSION=$("$VENV/bin/python" -c 'import duckdb, duckdb_kql; print(duckdb_kql.__version__, "on duckdb", duckdb.__version__)')
}

# --- data ------------------------------------------------------------------------------------
# gen_rules DIR PREFIX HASHES DOMAINS SEED: rule documents named PREFIX_hashes_0001.txt, ...
# (rule ids are file stems and must be unique across the scenarios' directories).
gen_rules() {
    local dir=$1 prefix=$2 stamp="$*"
    if [[ -f $dir/.params && $(<"$dir/.params") == "$stamp" ]]; then
        return
    fi
    rm -rf "$dir"
    "$LOGHUNT" gen rules --out "$dir" --hashes "$3" --domains "$4" --seed "$5"
    local f
    for f in "$dir"/gen_*.txt; do
        mv "$f" "$dir/$prefix${f##*/gen_}"
    done
    echo "$stamp" >"$dir/.params"
}

# gen_logs OUT TABLE BYTES FILES|- RULES...: reuses OUT when its expected.json says it was made
# with the same parameters (generation is deterministic).
gen_logs() {
    local out=$1 table=$2 size=$3 files=$4
    shift 4
    local shape=${GEN_SHAPE:-jsonl}
    local args=(gen logs --table "$table" --size "$size" --out "$out" --hits "$HITS" --seed "$SEED" --shape "$shape")
    local files_json=null r
    if [[ $files != - ]]; then
        args+=(--files "$files")
        files_json=$files
    fi
    for r in "$@"; do args+=(--rules "$r"); done
    local want
    want=$(jq -cnS --arg table "$table" --argjson size "$size" --argjson files "$files_json" \
        --argjson hits "$HITS" --argjson seed "$SEED" --arg shape "$shape" \
        '{table: $table, size: $size, shape: $shape, files: $files, rules: $ARGS.positional, hits: $hits, seed: $seed}' \
        --args "$@")
    if [[ -e $out && -f $out.expected.json && $(jq -cS .params "$out.expected.json") == "$want" ]]; then
        echo "reusing $out"
        return
    fi
    rm -rf "$out" "$out.expected.json" "$WORKDIR"/slice-*
    "$LOGHUNT" "${args[@]}"
}

# Every IOC value of the rule documents in the given directories, one a line.
iocs_of() {
    local dir
    for dir in "$@"; do cat "$dir"/*.txt; done | tr -d '\r' |
        awk -F'|' 'NF > 3 && $2 ~ /^ *(sha256_hash|sha1_hash|md5_hash|domain) *$/ { v = $3; gsub(/ /, "", v); print v }'
}

# Rule ids (file stems) of the rule documents in the given directories, as a JSON array.
ids_of() {
    local dir f
    for dir in "$@"; do
        for f in "$dir"/*.txt; do basename "$f" .txt; done
    done | jq -R . | jq -cs .
}

# files_of PATH...: the log files under the paths, sorted.
files_of() { find "$@" -type f \( -name '*.jsonl' -o -name '*.json' \) ! -name '*.expected.json' | sort; }

# slice OUT FILES...: the first JQ_SLICE bytes of the files, cut back to a whole line.
# SLICE_BYTES (default JQ_SLICE) sets the size.
slice() {
    local out=$1
    shift
    [[ -s $out ]] && return
    { cat "$@" || true; } | head -c "${SLICE_BYTES:-$(bytes_of "$JQ_SLICE")}" >"$out"
    if [[ -n $(tail -c1 "$out") ]]; then
        truncate -s $(($(wc -c <"$out") - $(tail -n1 "$out" | wc -c))) "$out"
    fi
}

# slim OUT: the DeviceFileEvents export with ~1 KB rows (benches/slim.py), and its expected.json
# (the same hits: the IOC columns are kept).
slim() {
    local out=$1
    if [[ -s $out && -f $out.expected.json ]] && cmp -s "$DFE.expected.json" "$out.expected.json"; then
        echo "reusing $out"
        return
    fi
    mkdir -p "$(dirname "$out")"
    python3 "$ROOT/benches/slim.py" "$DFE" "$out"
    cp "$DFE.expected.json" "$out.expected.json"
}

# --- timing ----------------------------------------------------------------------------------

ROWS=()
# row SCENARIO TOOL SECONDS BYTES RECORDS RSS_MB MATCHES RATIO TARGET
row() {
    local line
    line=$(printf '%-3s %-22s %9.3f %9.0f %12.0f %8s %9s %10s  %s' "$1" "$2" "$3" \
        "$(awk -v b="$4" -v s="$3" 'BEGIN { print (s > 0 ? b / s / 1e6 : 0) }')" \
        "$(awk -v r="$5" -v s="$3" 'BEGIN { print (s > 0 ? r / s : 0) }')" "$6" "$7" "$8" "$9")
    echo "$line"
    ROWS+=("$line")
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else printf "—" }'; }
verdict() { awk -v v="$1" -v max="$2" 'BEGIN { print (v <= max ? "ok" : "MISS") }'; }

declare -A SECONDS_T2=()
PEAK_RSS=0

# Reads every file under the given paths, so that the runs after it find them in the page
# cache. The rules too: this machine's page cache lets go of pages within minutes even with
# most of its memory free, and a million IOCs' documents read back from disk were a load's
# cost that the target (page cache warm) does not count.
warm() {
    (($#)) || return 0 # find with no path would read the working directory
    find "$@" -type f -exec cat {} + >/dev/null
}

# scenario NAME EXPECTED_FILES(comma-separated) RULE_DIRS(comma-separated) LOG_PATH...
scenario() {
    local name=$1 IFS=,
    local -a expected rules
    read -r -a expected <<<"$2"
    read -r -a rules <<<"$3"
    IFS=$' \t\n'
    shift 3
    local paths=("$@") files records bytes ids
    mapfile -t files < <(files_of "${paths[@]}")
    records=$(jq -s 'map(.records) | add' "${expected[@]}")
    bytes=$(stat -c %s "${files[@]}" | awk '{ s += $1 } END { print s }')
    ids=$(ids_of "${rules[@]}")
    local want
    want=$(jq -rs --argjson ids "$ids" \
        'map(.hits | to_entries[]) | map(select(.key as $k | $ids | index($k)))
         | group_by(.key) | map({key: .[0].key, value: (map(.value) | add)}) | map(select(.value > 0))
         | sort_by(.key) | .[] | "\(.key) \(.value)"' "${expected[@]}")
    local total
    total=$(awk '{ s += $2 } END { print s + 0 }' <<<"$want")
    echo
    echo "== scenario $name: $(iocs_of "${rules[@]}" | wc -l) IOCs, ${#files[@]} file(s), $bytes bytes, $records records, $total expected results"
    echo "   warming the page cache"
    warm "${files[@]}" "${rules[@]}"

    local rule_args=() r threads out
    for r in "${rules[@]}"; do rule_args+=(--rules "$r"); done
    iocs_of "${rules[@]}" >"$WORKDIR/out/$name-iocs.txt"
    local rg_runs=$RUNS
    if [[ $name == c ]]; then rg_runs=$RG_RUNS_C; fi
    local rg_flags=(--no-ignore -c -F)
    # Domain IOCs are case-insensitive terms: rg's nearest is -i.
    if [[ $name == n ]]; then rg_flags+=(-i); fi
    # loghunt at one and two threads and rg, a run of each per round (measure_rounds); rg apart
    # when it runs a different number of times ((c): minutes per run).
    local -a cmd_t1 cmd_t2 cmd_rg rounds=(t1 t2)
    local out_t1=$WORKDIR/out/$name-t1.jsonl out_t2=$WORKDIR/out/$name-t2.jsonl out_rg=$WORKDIR/out/$name-rg.txt
    for threads in 1 2; do
        local -n run_cmd="cmd_t$threads"
        run_cmd=("$LOGHUNT" scan "${rule_args[@]}" --format jsonl -q --threads "$threads" "${paths[@]}")
        unset -n run_cmd
    done
    cmd_rg=("$RG" "${rg_flags[@]}" -f "$WORKDIR/out/$name-iocs.txt" "${paths[@]}")
    # Kept for the ratios between scenarios, measured side by side (side_by_side), and for
    # the machine's own measure (capacity).
    declare -ga "CMD2_$name" "CMD1_$name"
    local -n keep="CMD2_$name" keep1="CMD1_$name"
    keep=("${cmd_t2[@]}")
    keep1=("${cmd_t1[@]}")
    unset -n keep keep1
    if ((rg_runs == RUNS)); then rounds+=(rg); fi
    measure_rounds "$RUNS" "${rounds[@]}"
    for threads in 1 2; do
        out=$WORKDIR/out/$name-t$threads.jsonl
        local got
        got=$(jq -r .rule "$out" | sort | uniq -c | awk '{ print $2, $1 }')
        if [[ $got != "$want" ]]; then
            echo "FAIL: scenario $name, loghunt --threads $threads: results per rule differ from expected.json" >&2
            diff <(echo "$want") <(echo "$got") >&2 || true
            exit 1
        fi
        declare -g "T$threads=${MEDS[t$threads]}"
        declare -g "R$threads=${PEAKS[t$threads]}"
    done
    SECONDS_T2[$name]=$T2
    case $name in
        a) R2A=$R2 ;;
        c) R2C=$R2 ;;
    esac

    local rg_time=0 rg_rss=0 rg_lines=skipped
    if ((rg_runs == RUNS)); then
        rg_time=${MEDS[rg]} rg_rss=${PEAKS[rg]}
    elif ((rg_runs > 0)); then
        measure "$rg_runs" "$out_rg" "${cmd_rg[@]}"
        rg_time=$MED rg_rss=$RSS
    fi
    if ((rg_runs > 0)); then
        rg_lines=$(awk -F: '{ s += $NF } END { print s + 0 }' "$out_rg")
    fi

    local target1 target2 ratio2 per_core
    ratio2=$(ratio "$T2" "$rg_time")
    per_core=$(awk -v b="$bytes" -v s="$T1" 'BEGIN { printf "%.2f", (s > 0 ? b / s / 1e9 : 0) }')
    case $name in
        a) target2="≤ 1×rg: $(verdict "$ratio2" 1)" ;;
        h) target2="≤ 1×rg: $(verdict "$ratio2" 1); ≥ 2 GB/s per core: $per_core $(awk -v g="$per_core" 'BEGIN { print (g >= 2 ? "ok" : "MISS") }')" ;;
        n) target2="≤ 1×rg -i: $(verdict "$ratio2" 1)" ;;
        b) target2="≤ 0.1×rg: $(verdict "$ratio2" 0.1)" ;;
        c) if [[ -n ${SECONDS_T2[a]:-} ]]; then
               target2="≤ 1.5×(a) = $(awk -v a="${SECONDS_T2[a]}" 'BEGIN { printf "%.2f", 1.5 * a }') s: $(verdict "$T2" "$(awk -v a="${SECONDS_T2[a]}" 'BEGIN { print 1.5 * a }')")"
           else
               target2="≤ 1.5×(a) (run a too)"
           fi ;;
        d) if [[ -n ${SECONDS_T2[d1]:-} ]]; then
               target2="≤ 1.3×(d1) = $(awk -v a="${SECONDS_T2[d1]}" 'BEGIN { printf "%.2f", 1.3 * a }') s: $(verdict "$T2" "$(awk -v a="${SECONDS_T2[d1]}" 'BEGIN { print 1.3 * a }')")"
           fi ;;
        *) target2="—" ;;
    esac
    target2+="; RSS < 200 MB: $(verdict "$R2" 199)"
    PEAK_RSS=$(( R1 > PEAK_RSS ? R1 : PEAK_RSS )); PEAK_RSS=$(( R2 > PEAK_RSS ? R2 : PEAK_RSS ))
    target1=${target2%%:*}
    row "$name" "loghunt --threads 1" "$T1" "$bytes" "$records" "$R1" "$total" "$(ratio "$T1" "$rg_time")" "($target1)"
    row "$name" "loghunt --threads 2" "$T2" "$bytes" "$records" "$R2" "$total" "$ratio2" "$target2"
    row "$name" "rg -c -F$([[ $name == n ]] && echo " -i") -f" "$rg_time" "$bytes" "$records" "$rg_rss" "$rg_lines" "1" ""

    # (d1) holds the bytes of (d), (y) and (y1) rows of (a): jq has nothing new to say there.
    [[ $name == d1 || $name == y || $name == y1 || $name == y2 ]] && return
    # JQ_RUNS=0: no jq row (nothing ran, so there are no rows to count).
    ((JQ_RUNS > 0)) || return 0
    # jq: Kusto's `in` as an object lookup on each hash column (exact case); `has_any` as
    # lookups of the lower-cased term-aligned substrings of Name, so domains go in lower-case
    # (exact for IOCs that start and end with a letter or digit, as all of these do).
    local set=$WORKDIR/out/$name-set.json
    awk 'BEGIN { printf "{" } { v = (index($0, ".") ? tolower($0) : $0); printf "%s\"%s\":true", (NR > 1 ? "," : ""), v }
         END { print "}" }' "$WORKDIR/out/$name-iocs.txt" >"$set"
    local jq_time=0 jq_bytes=0 jq_records=0 jq_rows=0 jq_rss=0 part
    for part in DeviceFileEvents DnsEvents; do
        local source=() filter s
        for s in "${files[@]}"; do [[ $s == *"$part"* ]] && source+=("$s"); done
        ((${#source[@]})) || continue
        s=$WORKDIR/slice-$part.jsonl
        case $name in
            d) s=$WORKDIR/slice-$part-many.jsonl ;;
            h) s=$WORKDIR/slice-$part-slim.jsonl ;;
        esac
        slice "$s" "${source[@]}"
        # shellcheck disable=SC2016 # jq variables, not shell ones
        if [[ $part == DeviceFileEvents ]]; then
            filter='select([.SHA256, .SHA1, .MD5] | any(type == "string" and $set[0][.] != null))'
        else
            filter='(.Name // "" | ascii_downcase) as $n | [$n | match("[a-z0-9]+"; "g") | [.offset, .offset + .length]] as $t
                    | select(any(range(0; $t | length) as $i | range($i; $t | length) as $j
                                 | $n[$t[$i][0]:$t[$j][1]]; $set[0][.] != null))'
        fi
        measure "$JQ_RUNS" "$WORKDIR/out/$name-jq-$part.jsonl" jq -c --slurpfile set "$set" "$filter" "$s"
        jq_time=$(awk -v a="$jq_time" -v b="$MED" 'BEGIN { print a + b }')
        jq_bytes=$((jq_bytes + $(wc -c <"$s")))
        jq_records=$((jq_records + $(wc -l <"$s")))
        jq_rows=$((jq_rows + $(wc -l <"$WORKDIR/out/$name-jq-$part.jsonl")))
        if ((RSS > jq_rss)); then jq_rss=$RSS; fi
    done
    row "$name" "jq (${JQ_SLICE} slice)" "$jq_time" "$jq_bytes" "$jq_records" "$jq_rss" "$jq_rows" "" "(slice only)"
}

# --- scenarios without rg --------------------------------------------------------------------
# (z) a gzip-compressed export: loghunt's scan of it against decompression alone (`gzip -dc`),
# and against the scan of the same bytes uncompressed (a). Decompression is one stream, read by
# one thread while the others scan.
scenario_gzip() {
    local gz=$WORKDIR/gz/DeviceFileEvents.jsonl.gz bytes records
    mkdir -p "$(dirname "$gz")"
    if [[ ! -s $gz || $gz -ot $DFE ]]; then
        echo "compressing $DFE (gzip -6)"
        gzip -6 -c "$DFE" >"$gz"
    fi
    bytes=$(stat -c %s "$DFE")
    records=$(jq .records "$DFE.expected.json")
    echo
    echo "== scenario z: $(stat -c %s "$gz") bytes of gzip, $bytes decompressed, 20 IOCs"
    cat "$gz" >/dev/null
    # shellcheck disable=SC2016 # the inner shell's $1
    measure "$RUNS" "$WORKDIR/out/z-gzip.txt" sh -c 'gzip -dc "$1" >/dev/null' gzip "$gz"
    local unzip=$MED
    row z "gzip -dc (only)" "$unzip" "$bytes" "$records" "$RSS" "—" "" ""
    local threads out want got
    want=$(jq -r --arg r "$(ids_of "$A" | jq -r '.[0]')" '.hits[$r]' "$DFE.expected.json")
    for threads in 1 2; do
        out=$WORKDIR/out/z-t$threads.jsonl
        measure "$RUNS" "$out" "$LOGHUNT" scan --rules "$A" --format jsonl -q --threads "$threads" "$gz"
        got=$(wc -l <"$out")
        [[ $got == "$want" ]] || die "FAIL: scenario z, loghunt --threads $threads: $got results, expected $want"
        PEAK_RSS=$(( RSS > PEAK_RSS ? RSS : PEAK_RSS ))
        row z "loghunt .gz --threads $threads" "$MED" "$bytes" "$records" "$RSS" "$got" "" \
            "÷ gzip -dc: $(ratio "$MED" "$unzip")$( [[ -n ${SECONDS_T2[a]:-} && $threads == 2 ]] && echo "; ÷ plain (a): $(ratio "$MED" "${SECONDS_T2[a]}")")"
    done
}

# (k) duckdb-kql, the KQL-to-SQL engine over DuckDB: the two seed rules and one `summarize`,
# end to end (Python start, loading the JSON into DuckDB, the queries) against one loghunt scan
# with the seed rules and the summarize as a .kql rule, over the same slices (KQL_SIZE of
# DeviceFileEvents, a quarter of that of DnsEvents). Their rows are compared: duckdb-kql keeps
# datetimes to the microsecond, loghunt to the tick.
scenario_duckdb() {
    install_duckdb_kql
    local dir=$WORKDIR/kql-$KQL_SIZE
    mkdir -p "$dir"
    SLICE_BYTES=$(bytes_of "$KQL_SIZE") slice "$dir/DeviceFileEvents.jsonl" "$DFE"
    SLICE_BYTES=$(( $(bytes_of "$KQL_SIZE") / 4 )) slice "$dir/DnsEvents.jsonl" "$DNS"
    local summarize=$WORKDIR/out/summarize.kql
    printf 'DeviceFileEvents\n| summarize Files = count() by DeviceName, ActionType\n| order by DeviceName asc, ActionType asc\n' >"$summarize"
    local bytes records
    bytes=$(stat -c %s "$dir/DeviceFileEvents.jsonl" "$dir/DnsEvents.jsonl" | awk '{ s += $1 } END { print s }')
    records=$(cat "$dir"/*.jsonl | wc -l)
    echo
    echo "== scenario k: duckdb-kql $DUCKDB_KQL_VERSION; $bytes bytes, $records records; the 2 seed rules + 1 summarize"
    cat "$dir"/*.jsonl >/dev/null
    # One loghunt pass answers all three: the summarize is a rule of its own (a .kql file).
    local ours=$WORKDIR/out/k-loghunt.jsonl theirs=$WORKDIR/out/k-duckdb.jsonl
    measure "$RUNS" "$ours" "$LOGHUNT" scan --rules "$ROOT/rules" --rules "$summarize" --format jsonl -q "$dir"
    local ours_time=$MED
    PEAK_RSS=$(( RSS > PEAK_RSS ? RSS : PEAK_RSS ))
    row k "loghunt scan" "$ours_time" "$bytes" "$records" "$RSS" "$(wc -l <"$ours")" "" ""
    measure "$RUNS" "$WORKDIR/out/k-duckdb.err" "$VENV/bin/python" "$ROOT/benches/kql_duckdb.py" "$theirs" \
        --table "DeviceFileEvents=$dir/DeviceFileEvents.jsonl" --table "DnsEvents=$dir/DnsEvents.jsonl" \
        --query "seed-files=$ROOT/rules/000_4a715f3ed2ee4353.txt" --query "seed-dns=$ROOT/rules/001_84b55028b3ede4ab.txt" \
        --query "summarize=$summarize"
    local split
    split=$(tail -n1 "$WORKDIR/out/k-duckdb.err.err")
    row k "duckdb-kql (load+query)" "$MED" "$bytes" "$records" "$RSS" "$(wc -l <"$theirs")" "" \
        "loghunt ÷ duckdb-kql: $(ratio "$ours_time" "$MED") (target ≤ 0.2: $(verdict "$(ratio "$ours_time" "$MED")" 0.2)); duckdb-kql $split s"
    local diff
    diff=$(python3 "$ROOT/benches/rows_diff.py" "$ours" "$theirs" seed-files=000_4a715f3ed2ee4353 seed-dns=001_84b55028b3ede4ab summarize=summarize) ||
        DIFF_FAILED=1
    echo "$diff"
    while IFS= read -r line; do ROWS+=("k   $line"); done <<<"$diff"
}

# --- main ------------------------------------------------------------------------------------
install_tools
echo "machine: $(nproc) cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)," \
    "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) memory; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tools:   $("$RG" --version | sed -n 1p) ($RG), $(jq --version), $(gzip --version | sed -n 1p), loghunt $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "knobs:   SIZE=$SIZE DNS_SIZE=$DNS_SIZE FILES=$FILES FILE_SIZE=$FILE_SIZE KQL_SIZE=$KQL_SIZE HITS=$HITS RUNS=$RUNS" \
    "JQ_RUNS=$JQ_RUNS RG_RUNS_C=$RG_RUNS_C JQ_SLICE=$JQ_SLICE SCENARIOS='$SCENARIOS' WORKDIR=$WORKDIR"

cargo build --release --locked
mkdir -p "$WORKDIR/out"
TIMEF=$WORKDIR/out/time.txt
size=$(bytes_of "$SIZE")
dns_size=$(bytes_of "$DNS_SIZE")

A=$WORKDIR/rules-a B=$WORKDIR/rules-b C=$WORKDIR/rules-c E=$WORKDIR/rules-e
gen_rules "$A" a_ 20 0 101
gen_rules "$B" b_ 7000 2000 102
gen_rules "$C" c_ 1000000 0 103
gen_rules "$E" e_ 0 20 105
DFE=$WORKDIR/DeviceFileEvents.jsonl DNS=$WORKDIR/DnsEvents.jsonl
MANY=$WORKDIR/DeviceFileEvents-$FILES ONE=$WORKDIR/one-$FILES/DeviceFileEvents.jsonl SLIM=$WORKDIR/slim/DeviceFileEvents.jsonl
# One DeviceFileEvents export for (a), (b), (c), (h), (z), (k): its planted hits come from all
# their rules, and each scenario checks the rules it scans with.
gen_logs "$DFE" DeviceFileEvents "$size" - "$A" rules "$B" "$C"
gen_logs "$DNS" DnsEvents "$dns_size" - rules "$B" "$E"
[[ $SCENARIOS == *h* ]] && slim "$SLIM"
if [[ $SCENARIOS == *d* ]]; then
    gen_logs "$MANY" DeviceFileEvents "$(( FILES * $(bytes_of "$FILE_SIZE") ))" "$FILES" rules "$B"
    # (d1): the same bytes as (d), in one file.
    if [[ ! -s $ONE || $ONE -ot $MANY.expected.json ]]; then
        mkdir -p "$(dirname "$ONE")"
        cat $(files_of "$MANY") >"$ONE"
    fi
fi
# (y): one JSON array of rows, as Defender's API and portal give them; (y1): the same rows (the
# generator writes the same rows for the same seed) as JSON lines; (y2): the same rows as an
# Advanced Hunting API response.
ARRAY=$WORKDIR/array/DeviceFileEvents.json ARRAY_LINES=$WORKDIR/array-lines/DeviceFileEvents.jsonl
RESPONSE=$WORKDIR/response/DeviceFileEvents.json
if [[ $SCENARIOS == *y* ]]; then
    mkdir -p "$(dirname "$ARRAY")" "$(dirname "$ARRAY_LINES")" "$(dirname "$RESPONSE")"
    GEN_SHAPE=array gen_logs "$ARRAY" DeviceFileEvents "$(bytes_of "$ARRAY_SIZE")" - "$A"
    GEN_SHAPE=response gen_logs "$RESPONSE" DeviceFileEvents "$(bytes_of "$ARRAY_SIZE")" - "$A"
    gen_logs "$ARRAY_LINES" DeviceFileEvents "$(bytes_of "$ARRAY_SIZE")" - "$A"
fi

echo
printf '%-3s %-22s %9s %9s %12s %8s %9s %10s  %s\n' "" tool seconds MB/s records/s "RSS MB" results "÷ rg" target
for name in $SCENARIOS; do
    case $name in
        a) scenario a "$DFE.expected.json" "$A" "$DFE" ;;
        h) scenario h "$SLIM.expected.json" "$A" "$SLIM" ;;
        n) scenario n "$DNS.expected.json" "$E" "$DNS" ;;
        b) scenario b "$DFE.expected.json,$DNS.expected.json" "rules,$B" "$DFE" "$DNS" ;;
        c) scenario c "$DFE.expected.json" "$C" "$DFE" ;;
        d) scenario d1 "$MANY.expected.json" "rules,$B" "$ONE"
           scenario d "$MANY.expected.json" "rules,$B" "$MANY" ;;
        y) scenario y1 "$ARRAY_LINES.expected.json" "$A" "$ARRAY_LINES"
           scenario y "$ARRAY.expected.json" "$A" "$ARRAY"
           scenario y2 "$RESPONSE.expected.json" "$A" "$RESPONSE" ;;
        z) scenario_gzip ;;
        k) scenario_duckdb ;;
        *) die "unknown scenario '$name' (a, h, n, b, c, d, y, z or k)" ;;
    esac
done

# side_by_side NAME BASE MAX: the two-thread scans of NAME and of BASE, run in turn for RUNS
# rounds, and the ratio of their medians against the target MAX (`-`: none). A ratio between scenarios
# taken from their own blocks, minutes apart, moves with the machine's drift between them; in
# turn, the drift weighs on both alike. The results are checked as in the scenarios.
side_by_side() {
    local name=$1 base=$2 max=$3
    local -n of_name="CMD2_$name" of_base="CMD2_$base"
    local -a cmd_sbs_base=("${of_base[@]}") cmd_sbs_name=("${of_name[@]}")
    unset -n of_name of_base
    local out_sbs_base=$WORKDIR/out/$base-side.jsonl out_sbs_name=$WORKDIR/out/$name-side.jsonl
    echo
    echo "== $name side by side with $base: $RUNS rounds, --threads 2, each round ($base) then ($name)"
    local arg
    local -a inputs=()
    for arg in "${cmd_sbs_base[@]:1}" "${cmd_sbs_name[@]:1}"; do
        if [[ -e $arg ]]; then inputs+=("$arg"); fi
    done
    warm "${inputs[@]}"
    measure_rounds "$RUNS" sbs_base sbs_name
    local pair
    for pair in "$base:$out_sbs_base" "$name:$out_sbs_name"; do
        if ! cmp -s "${pair#*:}" "$WORKDIR/out/${pair%%:*}-t2.jsonl"; then
            echo "FAIL: ($name) side by side with ($base): the results of (${pair%%:*}) differ from its scenario's" >&2
            exit 1
        fi
    done
    local r
    r=$(ratio "${MEDS[sbs_name]}" "${MEDS[sbs_base]}")
    local target="no target"
    if [[ $max != - ]]; then target="target ≤ $max: $(verdict "$r" "$max")"; fi
    ROWS+=("$name   side by side with ($base), $RUNS rounds in turn, --threads 2: ${MEDS[sbs_name]} s against ${MEDS[sbs_base]} s: $r × ($base) ($target)")
    echo "${ROWS[-1]}"
}
# What two threads can give on this machine, whatever loghunt does: (h)'s one-thread scan alone,
# then two of them at once as separate processes, in turn for RUNS rounds. On a VM whose two
# cores share a physical core or its memory, the pair takes longer than one alone, and no
# two-thread scan can be twice as fast as a one-thread one (rg's runs are all one-thread).
capacity() {
    local -n of_h="CMD1_h"
    local -a cmd_cap_one=("${of_h[@]}")
    unset -n of_h
    local one_line
    one_line=$(printf '%q ' "${cmd_cap_one[@]}")
    local -a cmd_cap_pair=(bash -c "$one_line >/dev/null & $one_line >/dev/null & wait")
    local out_cap_one=$WORKDIR/out/cap-one.jsonl out_cap_pair=$WORKDIR/out/cap-pair.txt
    echo
    echo "== two cores: (h) on one thread alone, then two such scans at once, $RUNS rounds"
    measure_rounds "$RUNS" cap_one cap_pair
    local cores
    cores=$(awk -v one="${MEDS[cap_one]}" -v two="${MEDS[cap_pair]}" 'BEGIN { printf "%.2f", (two > 0 ? 2 * one / two : 0) }')
    ROWS+=("h   two one-thread scans at once, as processes, $RUNS rounds in turn with one alone: ${MEDS[cap_pair]} s against ${MEDS[cap_one]} s: two cores give $cores × one core's throughput (the machine's, no target)")
    echo "${ROWS[-1]}"
}
if [[ $SCENARIOS == *h* ]]; then capacity; fi
if [[ $SCENARIOS == *c* && -n ${SECONDS_T2[a]:-} ]]; then side_by_side c a 1.5; fi
if [[ $SCENARIOS == *d* ]]; then side_by_side d d1 1.3; fi
# No target: what an export's shape costs, to watch.
if [[ $SCENARIOS == *y* ]]; then
    side_by_side y y1 -
    side_by_side y2 y1 -
fi

# (c) the fixed cost of 1,000,000 IOCs: a scan of an empty file loads and compiles the rules and
# builds the merged index, nothing else. Memory per IOC: the scan of (c) against that of (a),
# and `loghunt rules`, whose listing keeps each rule's compiled sets and row count, against 20 IOCs.
if [[ $SCENARIOS == *c* ]]; then
    : >"$WORKDIR/out/empty.jsonl"
    warm "$C"
    measure "$RUNS" "$WORKDIR/out/load-c.txt" "$LOGHUNT" scan --rules "$C" -q --threads 2 "$WORKDIR/out/empty.jsonl"
    load=$MED
    measure "$RUNS" "$WORKDIR/out/rules-c.txt" "$LOGHUNT" rules "$C"
    rules_time=$MED rss_c=$RSS
    measure "$RUNS" "$WORKDIR/out/rules-a.txt" "$LOGHUNT" rules "$A"
    per_ioc=$(awk -v c="$rss_c" -v a="$RSS" 'BEGIN { printf "%.0f", (c - a) * 1048576 / 999980 }')
    ROWS+=("c   rules loaded, compiled and indexed (scan of an empty file), 1M IOCs, --threads 2: $load s (target < 5 s: $(verdict "$load" 4.999))")
    ROWS+=("c   \`loghunt rules\` (the listing): $rules_time s, peak RSS $rss_c MB vs $RSS MB with 20 IOCs: $per_ioc bytes per IOC")
    if [[ -n ${R2C:-} && -n ${R2A:-} ]]; then
        scan_per_ioc=$(awk -v c="$R2C" -v a="$R2A" 'BEGIN { printf "%.0f", (c - a) * 1048576 / 999980 }')
        ROWS+=("c   scan peak RSS $R2C MB vs $R2A MB for (a): $scan_per_ioc bytes per IOC")
    fi
    if [[ -n ${SECONDS_T2[c]:-} && -n ${SECONDS_T2[a]:-} ]]; then
        scan_only=$(awk -v c="${SECONDS_T2[c]}" -v l="$load" 'BEGIN { printf "%.2f", c - l }')
        ROWS+=("c   scan without that fixed cost, --threads 2: ~$scan_only s against (a) ${SECONDS_T2[a]} s")
    fi
fi

echo
echo "== summary (median of $RUNS runs, rg in (c) $RG_RUNS_C, page cache warm; MB = 10^6 bytes; ÷ rg = loghunt time / rg time)"
printf '%-3s %-22s %9s %9s %12s %8s %9s %10s  %s\n' "" tool seconds MB/s records/s "RSS MB" results "÷ rg" target
printf '%s\n' "${ROWS[@]}"
echo "peak RSS of loghunt over every scan: $PEAK_RSS MB (target < 200 MB: $(verdict "$PEAK_RSS" 199))"
echo "all loghunt result counts match expected.json"
if [[ -n ${DIFF_FAILED:-} ]]; then
    echo "FAIL: duckdb-kql and loghunt rows differ beyond the microsecond (see scenario k)" >&2
    exit 1
fi
