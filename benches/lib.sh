# Shared by the benchmark scripts (`source`d, not run): small helpers each of them needs.

# die MESSAGE: print it with the script's name and stop.
die() {
    echo "$(basename "$0"): $*" >&2
    exit 1
}

have() { command -v "$1" >/dev/null 2>&1; }

# apt_install PACKAGE...: install Debian packages when apt-get is there (sudo when not root),
# updating the package lists once if the first try fails; a failure is reported, not fatal
# (the caller checks for the tools it needs afterwards).
apt_install() {
    (($#)) || return 0
    have apt-get || return 0
    local sudo=()
    if [[ $(id -u) -ne 0 ]] && have sudo; then sudo=(sudo); fi
    echo "installing $* with apt-get"
    "${sudo[@]+"${sudo[@]}"}" apt-get install -y "$@" ||
        { "${sudo[@]+"${sudo[@]}"}" apt-get update && "${sudo[@]+"${sudo[@]}"}" apt-get install -y "$@"; } ||
        echo "apt-get could not install $*" >&2
}

# `1G`, `200M`, `1.5GiB` → bytes, binary multiples like `loghunt gen --size` and `head -c`.
bytes_of() {
    local s=${1%iB}
    s=${s%B}
    numfmt --from=iec "${s^^}"
}

# measure_rounds RUNS NAME...: like `measure`, for several commands taken in turn, one run of
# each per round, so that a machine that drifts (another tenant, a CPU clocking down) weighs on
# every command alike instead of on whichever ran then. Each NAME has its command in the array
# `cmd_NAME` and its output file in `out_NAME`; sets MEDS[NAME] and PEAKS[NAME] (MB).
declare -A MEDS=() PEAKS=()
measure_rounds() {
    local runs=$1 i name
    shift
    local -A times=()
    for name in "$@"; do
        times[$name]=""
        PEAKS[$name]=0
    done
    for ((i = 0; i < runs; i++)); do
        for name in "$@"; do
            local -n run_cmd="cmd_$name" run_out="out_$name"
            measure 1 "$run_out" "${run_cmd[@]}"
            times[$name]+="$MED "
            if ((RSS > PEAKS[$name])); then PEAKS[$name]=$RSS; fi
            unset -n run_cmd run_out
        done
    done
    for name in "$@"; do
        # shellcheck disable=SC2086 # the times are words
        MEDS[$name]=$(printf '%s\n' ${times[$name]} | median)
    done
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# measure RUNS OUT CMD...: runs CMD RUNS times with stdout to OUT (stderr to OUT.err); sets MED
# (median wall seconds, timed to the microsecond by the shell's clock: /usr/bin/time's %e has
# 10 ms steps, 5 % of a 0.2 s scan) and RSS (peak resident MB over the runs, from /usr/bin/time
# into the file $TIMEF). Exit status 1 is "found something"; anything above fails the script.
measure() {
    local runs=$1 out=$2 i status start end m peak=0 times=()
    shift 2
    for ((i = 0; i < runs; i++)); do
        status=0
        start=$EPOCHREALTIME
        /usr/bin/time -f "%M" -o "$TIMEF" "$@" >"$out" 2>"$out.err" || status=$?
        end=$EPOCHREALTIME
        if ((status > 1)); then
            echo "FAIL: $* exited with status $status:" >&2
            cat "$out.err" >&2
            exit 1
        fi
        read -r m < <(tail -n1 "$TIMEF")
        times+=("$(awk -v a="${start/,/.}" -v b="${end/,/.}" 'BEGIN { printf "%.4f", b - a }')")
        if ((m > peak)); then peak=$m; fi
    done
    MED=$(printf '%s\n' "${times[@]}" | median)
    RSS=$((peak / 1024))
}
