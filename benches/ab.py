#!/usr/bin/env python3
"""Interleaved A/B timing of whole commands: each round runs every command once, in turn, so
that the machine's drift weighs on all of them alike; prints the medians of wall, user and
system time and the peak RSS of each. The figures in the commit messages come from it.

    benches/ab.py RUNS LABEL=COMMAND [LABEL=COMMAND ...]
    benches/ab.py 15 "old=/tmp/old scan --rules R -q --format jsonl --threads 2 F" \\
                     "new=target/release/loghunt scan --rules R -q --format jsonl --threads 2 F" \\
                     "rg=rg -c -F -f iocs.txt F"

After the medians, each command's wall time against the first command's in the same round, as
the median of the rounds' ratios with its quartiles: on a machine whose speed drifts by a third
between rounds, the ratio within a round moves much less than either median.

Commands run through the shell with their output discarded; a command that fails is timed
all the same (loghunt exits 1 when it finds something), so check results separately.
"""
import os
import statistics
import subprocess
import sys
import time


def main() -> None:
    if len(sys.argv) < 3 or "=" not in "".join(sys.argv[2:]):
        sys.exit(__doc__)
    runs = int(sys.argv[1])
    commands = [arg.split("=", 1) for arg in sys.argv[2:]]
    results: dict[str, list[tuple[float, float, float, float]]] = {label: [] for label, _ in commands}
    for _ in range(runs):
        for label, command in commands:
            start = time.perf_counter()
            child = subprocess.Popen(command, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, _, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - start
            results[label].append((wall * 1e3, usage.ru_utime * 1e3, usage.ru_stime * 1e3, usage.ru_maxrss / 1024))
    for label, _ in commands:
        rows = results[label]
        median = lambda i: statistics.median(row[i] for row in rows)  # noqa: E731
        walls = " ".join(f"{row[0]:.0f}" for row in rows)
        print(
            f"{label:14s} wall {median(0):7.1f} ms  user {median(1):6.1f}  sys {median(2):6.1f}"
            f"  peak RSS {max(row[3] for row in rows):6.1f} MB   walls: {walls}"
        )
    base_label = commands[0][0]
    for label, _ in commands[1:]:
        ratios = sorted(row[0] / base[0] for row, base in zip(results[label], results[base_label]))
        low, mid, high = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
        print(f"{label:14s} ÷ {base_label}: median {mid:.3f} of the rounds' ratios (quartiles {low:.3f} {high:.3f})")


if __name__ == "__main__":
    main()
