#!/usr/bin/env bash
# Counts the instructions a loghunt command executes, with valgrind's cachegrind, and names the
# functions that executed most of them: a figure that does not move with the machine's hour.
#
#     benches/instructions.sh [-n TOP] [-b BINARY] -- LOGHUNT_ARGS...
#     benches/instructions.sh -- scan --rules target/bench-data/rules-c -j1 -q --format jsonl empty.jsonl
#     benches/instructions.sh -b /tmp/old-loghunt -- scan ...     # a build to compare with
#
# Wall time on a shared two-core VM moves by a third between runs of one afternoon, which hides
# any change below ~5 %. Instructions are exact and repeatable, so a change to CPU-bound work
# (parsing rule documents, building IOC sets) can be judged by them first, then confirmed in
# wall time with `benches/ab.py`. They are not time: work bound by memory (cache misses, page
# faults) or the kernel costs more than its instructions say, so they only judge such work in
# part. Run under valgrind the command is ~30× slower; use one thread (`-j1`) so that the count
# does not include rayon's idle spinning. Installs valgrind with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh

top=25
binary=
while (($#)); do
    case $1 in
        -n) top=$2; shift 2 ;;
        -b) binary=$2; shift 2 ;;
        --) shift; break ;;
        *) die "usage: $0 [-n TOP] [-b BINARY] -- LOGHUNT_ARGS..." ;;
    esac
done
(($#)) || die "usage: $0 [-n TOP] [-b BINARY] -- LOGHUNT_ARGS..."
have valgrind || apt_install valgrind
have valgrind || die "valgrind is needed"
if [[ -z $binary ]]; then
    cargo build --release --locked --quiet
    binary=${CARGO_TARGET_DIR:-target}/release/loghunt
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# loghunt exits 1 when it finds something and 2 on bad input: the count stands either way.
valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$out" "$binary" "$@" \
    >/dev/null 2>"$out.log" || true
grep -E "I *refs" "$out.log" | sed -E 's/^==[0-9]+== *//'
rm -f "$out.log"
cg_annotate "$out" 2>/dev/null | awk -v top="$top" '
    /^-+$/ { dashes++; next }
    dashes == 5 && NF && shown < top { print; shown++ }'
