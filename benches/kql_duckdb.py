#!/usr/bin/env python3
"""Runs KQL queries with duckdb-kql (KQL translated to SQL over DuckDB), the other choice a user
has, end to end: the JSON-lines exports loaded into DuckDB tables, then each query. Writes each
query's rows as JSON lines (`{"query": NAME, "row": {...}}`, datetimes as ISO 8601 UTC) and the
seconds spent loading and querying to stderr, for compare.sh to check against loghunt's rows.

    benches/kql_duckdb.py OUT.jsonl --table DeviceFileEvents=FILE ... --query NAME=KQL_FILE ...

A KQL file is either a query or a rule document in the seeds' format, whose hunting query (from
its first `let` line through the `| ...` lines after the table name) is taken.
"""
import argparse
import datetime
import json
import sys
import time

import duckdb_kql


def query_of(text: str) -> str:
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("let ")]
    if not starts:
        return text
    start = starts[0]
    end = start
    while end + 1 < len(lines) and not lines[end + 1].startswith("let ") and lines[end + 1].strip() and not lines[end + 1].startswith("| Sentinel"):
        end += 1
    return "\n".join(lines[start : end + 1])


def plain(value):
    if isinstance(value, datetime.datetime):
        value = value.astimezone(datetime.timezone.utc)
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    return value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--table", action="append", default=[])
    parser.add_argument("--query", action="append", default=[])
    args = parser.parse_args()
    started = time.perf_counter()
    con = duckdb_kql.connect()
    for spec in args.table:
        name, path = spec.split("=", 1)
        con.sql(f"CREATE TABLE \"{name}\" AS SELECT * FROM read_json('{path}', format='newline_delimited')")
    loaded = time.perf_counter()
    with open(args.out, "w", encoding="utf-8") as out:
        for spec in args.query:
            name, path = spec.split("=", 1)
            with open(path, encoding="utf-8") as source:
                kql = query_of(source.read())
            relation = duckdb_kql.query(con, kql)
            columns = relation.columns
            for values in relation.fetchall():
                row = {column: plain(value) for column, value in zip(columns, values)}
                out.write(json.dumps({"query": name, "row": row}, ensure_ascii=False) + "\n")
    done = time.perf_counter()
    print(f"load {loaded - started:.3f} query {done - loaded:.3f}", file=sys.stderr)


if __name__ == "__main__":
    main()
