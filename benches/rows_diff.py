#!/usr/bin/env python3
"""Compares loghunt's result rows with duckdb-kql's (from kql_duckdb.py), query by query, as
multisets of rows (ties may come in another order). duckdb-kql keeps datetimes to the
microsecond, loghunt to the 100 ns tick of Kusto: rows that differ only there are counted
apart. Prints one line per query; exits 1 if any row differs otherwise.

    benches/rows_diff.py LOGHUNT.jsonl DUCKDB.jsonl QUERY=RULE_ID ...
"""
import collections
import json
import re
import sys

TICKS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,7}))?Z$")


def micro(value):
    """A datetime cut to microseconds, the rest unchanged."""
    if isinstance(value, str):
        found = TICKS.match(value)
        if found:
            fraction = (found.group(2) or "").ljust(7, "0")[:6]
            return f"{found.group(1)}.{fraction}Z"
    return value


def rows(path, key, wanted):
    out = collections.Counter()
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record.get(key) == wanted:
                out[json.dumps(record["row"], sort_keys=True)] += 1
    return out


def main() -> int:
    loghunt_path, duckdb_path, *pairs = sys.argv[1:]
    failed = False
    for pair in pairs:
        query, rule = pair.split("=", 1)
        ours = rows(loghunt_path, "rule", rule)
        theirs = rows(duckdb_path, "query", query)
        cut = lambda rows: collections.Counter(
            {json.dumps({k: micro(v) for k, v in json.loads(r).items()}, sort_keys=True): n for r, n in rows.items()}
        )
        exact = sum((ours & theirs).values())
        ours_cut, theirs_cut = cut(ours), cut(theirs)
        micro_only = sum((ours_cut & theirs_cut).values()) - exact
        other = sum((ours_cut - theirs_cut).values()) + sum((theirs_cut - ours_cut).values())
        print(
            f"{query}: loghunt {sum(ours.values())} rows, duckdb-kql {sum(theirs.values())}; "
            f"{exact} identical, {micro_only} differ only below the microsecond, {other} differ otherwise"
        )
        if other:
            failed = True
            for row, n in list((ours_cut - theirs_cut).items())[:3]:
                print(f"  only loghunt ({n}): {row}")
            for row, n in list((theirs_cut - ours_cut).items())[:3]:
                print(f"  only duckdb-kql ({n}): {row}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
