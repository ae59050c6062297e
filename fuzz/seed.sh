#!/bin/sh
# Seeds fuzz/corpus/<target>/ from real inputs: the sample exports, the test fixtures, the seed
# rules and the shared KQL corpus. Run from the repository root (or pass it as $1); the shared
# corpus is read from $KQL_CORPUS (default /work/shared/kql-corpus) when it exists.
set -eu
root=${1:-.}
kql=${KQL_CORPUS:-/work/shared/kql-corpus}
out="$root/fuzz/corpus"
mkdir -p "$out/framer" "$out/walk" "$out/csv" "$out/documents" "$out/kql" "$out/rules" "$out/decompress"
find "$root/sample-logs" "$root/tests/fixtures" -type f \( -name '*.json' -o -name '*.jsonl' -o -name '*.csv' \) \
    -not -path '*/fixtures/fuzz/*' | sort | nl -w1 -s' ' | while read -r n f; do
    # framer: a first byte for the chunk size (1 MiB, 7 bytes, 64 bytes), then the file.
    for c in '\000' '\007' '\100'; do
        { printf "$c"; cat "$f"; } > "$out/framer/seed-$n-$(printf "$c" | od -An -tx1 | tr -d ' ')"
    done
    # csv: two option bytes (no offset, infer the order, 64-byte batches; +02:00, day first).
    { printf '\000\376'; cat "$f"; } > "$out/csv/seed-$n-a"
    { printf '\221\000'; cat "$f"; } > "$out/csv/seed-$n-b"
    cp "$f" "$out/documents/seed-$n"
    gzip -c "$f" > "$out/decompress/seed-$n.gz"
    if command -v zstd >/dev/null; then zstd -q -c "$f" > "$out/decompress/seed-$n.zst"; fi
    # walk: the first lines of each file, one record each.
    head -n 5 "$f" | awk -v d="$out/walk" -v n="$n" '{ f = d "/seed-" n "-" NR; printf "%s", $0 > f; close(f) }'
done
# Shapes the fixtures lack: one pretty-printed row, CRLF lines with a BOM, an array of rows
# (first row of the sample DeviceFileEvents export).
row=$(find "$root/sample-logs" -name '*.jsonl' | sort | head -n 1 | xargs head -n 1)
if command -v python3 >/dev/null; then
    printf '%s' "$row" | python3 -m json.tool > "$out/shape-pretty-row"
    printf '%s\n%s\n' "$row" "$row" | python3 -c 'import sys; print("[" + ",\n".join(l.strip() for l in sys.stdin) + "]")' \
        > "$out/shape-array"
fi
printf '\357\273\277%s\r\n\r\n%s\r\n' "$row" "$row" > "$out/shape-bom-crlf"
printf '%s' "$row" > "$out/shape-one-line"
for f in "$out"/shape-*; do
    for c in '\001' '\077'; do
        { printf "$c"; cat "$f"; } > "$out/framer/$(basename "$f")-$(printf "$c" | od -An -tx1 | tr -d ' ')"
    done
    cp "$f" "$out/documents/"
    gzip -c "$f" > "$out/decompress/$(basename "$f").gz"
    rm "$f"
done
for f in "$root"/rules/*.txt; do
    cp "$f" "$out/rules/"
done
if [ -d "$kql" ]; then
    find "$kql" -name '*.kql' | sort | while read -r f; do
        name=$(echo "$f" | md5sum | cut -c1-16)
        cp "$f" "$out/kql/$name.kql"
        # A bare query is a rule document too.
        cp "$f" "$out/rules/$name.kql"
    done
fi
echo "seeded $(find "$out" -type f | wc -l) files under $out"
