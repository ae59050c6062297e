#!/usr/bin/env bash
# What the progress bar costs the scan: `loghunt scan` of the seed shape (20 hash IOCs over SIZE
# of DeviceFileEvents, plain and gzipped) with `--progress never` and `--progress always`, the
# bar's stderr going to a file and to a pseudo-terminal (`script`), runs interleaved so that the
# machine's noise falls on both. Run by hand, not in CI; see benches/README.md.
#
#   benches/progress.sh                    # ~1 GB, 7 runs of each
#   SIZE=200M RUNS=3 benches/progress.sh   # a quick try
#
# Every run's results are checked against the generator's expected count, and the runs with and
# without the bar must print byte-identical results: a difference prints FAIL and exits 1.
set -euo pipefail
export LC_ALL=C

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
SIZE=${SIZE:-1G}
RUNS=${RUNS:-7}
SEED=${SEED:-1}
THREADS=${THREADS:-1 2}
GZIP=${GZIP:-1}
WORKDIR=${WORKDIR:-target/bench-data}/progress
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
LOGHUNT=${LOGHUNT:-$CARGO_TARGET_DIR/release/loghunt}
export PATH="$HOME/.cargo/bin:$PATH"

# shellcheck source=lib.sh
source "$ROOT/benches/lib.sh"

install_tools() {
    local missing=()
    have jq || missing+=(jq)
    have script || missing+=(bsdutils)
    have gzip || missing+=(gzip)
    [[ -x /usr/bin/time ]] || missing+=(time)
    apt_install "${missing[@]+"${missing[@]}"}"
    have jq || die "jq is missing and could not be installed (apt-get install jq)"
    have script || die "script is missing and could not be installed (apt-get install bsdutils)"
    [[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt-get install time)"
}

# The data: 20 hash IOCs, SIZE of DeviceFileEvents with 1,000 planted results, and its gzip copy;
# reused when made with the same size and seed.
make_data() {
    RULES=$WORKDIR/rules
    DATA=$WORKDIR/data/DeviceFileEvents.jsonl
    META=$WORKDIR/meta.json
    if [[ ! -f $RULES/.done ]]; then
        rm -rf "$RULES"
        "$LOGHUNT" gen rules --out "$RULES" --hashes 20 --seed 101
        touch "$RULES/.done"
    fi
    if [[ ! -f $META || $(jq .params.size "$META") != "$size" || $(jq .params.seed "$META") != "$SEED" ]]; then
        rm -rf "$WORKDIR/data" "$WORKDIR/gz"
        mkdir -p "$WORKDIR/data"
        "$LOGHUNT" gen logs --table DeviceFileEvents --size "$size" --out "$DATA" --rules "$RULES" --hits 1000 --seed "$SEED"
        mv "$DATA.expected.json" "$META"
    fi
    if [[ $GZIP == 1 && ! -f $WORKDIR/gz/DeviceFileEvents.jsonl.gz ]]; then
        mkdir -p "$WORKDIR/gz"
        echo "gzipping the export (once)"
        gzip -1 -c "$DATA" >"$WORKDIR/gz/DeviceFileEvents.jsonl.gz.tmp"
        mv "$WORKDIR/gz/DeviceFileEvents.jsonl.gz.tmp" "$WORKDIR/gz/DeviceFileEvents.jsonl.gz"
    fi
    WANT=$(jq '.hits | add' "$META")
}

# timed OUT ERR TERMINAL ARGS...: runs `loghunt ARGS` with results in OUT and stderr in ERR (on a
# pseudo-terminal when TERMINAL is `pty`), and prints its wall time and its CPU time (user +
# system, the bar's thread included) in seconds. On a shared machine the CPU time is the steadier
# figure: the bar's cost is CPU, while the wall time also measures the neighbours.
timed() {
    local out=$1 err=$2 terminal=$3
    shift 3
    if [[ $terminal == pty ]]; then
        # `script` gives the command a terminal; the results still go to OUT, and what the
        # terminal showed (the bar) to ERR. `script` itself is timed too, in both modes alike.
        local command
        command=$(printf '%q ' "$LOGHUNT" "$@")
        /usr/bin/time -f '%e %U %S' -o "$TIMEF" script -q -e -c "$command >$(printf %q "$out")" "$err" >/dev/null </dev/null
    else
        /usr/bin/time -f '%e %U %S' -o "$TIMEF" "$LOGHUNT" "$@" >"$out" 2>"$err"
    fi || {
        local status=$?
        # 1 means results were found, which they must be.
        if [[ $status != 1 ]]; then
            echo "FAIL: loghunt $* exited with status $status:" >&2
            cat "$err" >&2
            exit 1
        fi
    }
    # The last line: a non-zero exit puts a "Command exited" line before it.
    tail -n1 "$TIMEF" | awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }'
}

ROWS=()
# compare NAME INPUT THREADS TERMINAL: RUNS interleaved pairs of never/always (in alternating
# order); medians and ratios.
compare() {
    local name=$1 input=$2 threads=$3 terminal=$4 i mode
    local -A times=([never]="" [always]="") cpus=([never]="" [always]="")
    local bytes
    bytes=$(stat -c %s "$input")
    cat "$input" >/dev/null
    for ((i = 0; i < RUNS; i++)); do
        # Alternate which mode goes first, so that neither always follows the other.
        local order=(never always)
        if ((i % 2)); then order=(always never); fi
        for mode in "${order[@]}"; do
            local out=$WORKDIR/out/$mode.jsonl err=$WORKDIR/out/$mode.err wall cpu
            read -r wall cpu < <(timed "$out" "$err" "$terminal" scan --rules "$RULES" --format jsonl \
                --threads "$threads" --progress "$mode" "$input")
            [[ -n $wall ]] || exit 1
            times[$mode]+="$wall "
            cpus[$mode]+="$cpu "
            local got
            got=$(wc -l <"$out")
            [[ $got == "$WANT" ]] || die "FAIL: $name $mode: $got results, expected $WANT"
        done
        cmp -s "$WORKDIR/out/never.jsonl" "$WORKDIR/out/always.jsonl" ||
            die "FAIL: $name: the results differ with and without the bar"
        # The bar was drawn (its final figures), and not drawn when asked not to.
        grep -q 'files · ' "$WORKDIR/out/always.err" || die "FAIL: $name: no bar on stderr with --progress always"
        if grep -q 'files · ' "$WORKDIR/out/never.err"; then die "FAIL: $name: a bar with --progress never"; fi
    done
    local never always ratio cpu_never cpu_always cpu_ratio
    never=$(printf '%s\n' ${times[never]} | median)
    always=$(printf '%s\n' ${times[always]} | median)
    ratio=$(awk -v a="$always" -v n="$never" 'BEGIN { printf "%.3f", a / n }')
    cpu_never=$(printf '%s\n' ${cpus[never]} | median)
    cpu_always=$(printf '%s\n' ${cpus[always]} | median)
    cpu_ratio=$(awk -v a="$cpu_always" -v n="$cpu_never" 'BEGIN { printf "%.3f", a / n }')
    local line
    line=$(printf '%-6s %7s %-5s %10.0f %7.2f %7.2f %7s %7.2f %7.2f %7s   %s' "$name" "$threads" "$terminal" "$bytes" \
        "$never" "$always" "$ratio" "$cpu_never" "$cpu_always" "$cpu_ratio" \
        "wall never: ${times[never]}| always: ${times[always]}")
    echo "$line"
    ROWS+=("$line")
}

install_tools
echo "machine: $(nproc) cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)," \
    "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) memory," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tools:   loghunt $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "knobs:   SIZE=$SIZE RUNS=$RUNS SEED=$SEED THREADS='$THREADS' GZIP=$GZIP WORKDIR=$WORKDIR"

[[ -n ${NO_BUILD:-} ]] || cargo build --release --locked
mkdir -p "$WORKDIR/out"
size=$(bytes_of "$SIZE")
make_data

TIMEF=$WORKDIR/out/time.txt
HEADER=$(printf '%-6s %7s %-5s %10s %7s %7s %7s %7s %7s %7s' input threads stderr bytes never always ratio \
    "cpu nev" "cpu alw" ratio)
echo
echo "$HEADER"
for threads in $THREADS; do
    for terminal in file pty; do
        compare plain "$DATA" "$threads" "$terminal"
        if [[ $GZIP == 1 ]]; then
            compare gzip "$WORKDIR/gz/DeviceFileEvents.jsonl.gz" "$threads" "$terminal"
        fi
    done
done

echo
echo "== summary (medians of $RUNS interleaved runs, page cache warm; bytes as stored): wall seconds"
echo "   with --progress never and always and their ratio, then the same of CPU seconds (user + system)"
echo "$HEADER"
printf '%s\n' "${ROWS[@]}"
echo "every run returned the $WANT expected results, identical with and without the bar"
