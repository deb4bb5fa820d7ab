"""``make bench``: run every benchmark, even after one misses its target, and end with one table.

Each ``bench_*.py`` runs in its own process with its output shown as it comes. Its verdict:

- ``met``: it exited 0 and printed no missed target;
- ``MISSED``: it printed a missed target ("NOT met", "MISSED", "not met") or exited 1 without a
  traceback (the benchmarks' way of saying a target was missed);
- ``CRASHED``: a Python traceback, a signal, or any other exit status.

The exit status is non-zero only when a benchmark crashed: a missed target is a figure to read,
not a broken build.

    .venv/bin/python tests/benchmarks/run_all.py [bench_delivery.py ...]
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MISSED = re.compile(r"NOT met|MISSED|not met", re.IGNORECASE)
TARGET_LINE = re.compile(r"target|ratio|MISSED|met\b", re.IGNORECASE)


def run(path: Path) -> tuple[str, float, list[str]]:
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, errors="replace", bufsize=1)
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        lines.append(line.rstrip("\n"))
    code = process.wait()
    elapsed = time.perf_counter() - start
    text = "\n".join(lines)
    if code < 0 or "Traceback (most recent call last)" in text or code not in (0, 1):
        verdict = "CRASHED"
    elif code == 1 or MISSED.search(text):
        verdict = "MISSED"
    else:
        verdict = "met"
    figures = [line.strip() for line in lines if TARGET_LINE.search(line) and "Traceback" not in line]
    if verdict == "CRASHED":
        figures = [line.strip() for line in lines[-3:]] or [f"exit status {code}"]
    return verdict, elapsed, figures


def main(argv: list[str]) -> int:
    paths = [HERE / name for name in argv] if argv else sorted(HERE.glob("bench_*.py"))
    results = []
    for path in paths:
        print(f"== {path.relative_to(HERE.parents[1])}", flush=True)
        results.append((path.name, *run(path)))
    width = max(len(name) for name, *_ in results)
    print("\n== verdicts")
    print(f"{'benchmark':<{width}}  verdict  seconds  figures")
    for name, verdict, elapsed, figures in results:
        shown = figures[:4] or ["(no target printed)"]
        print(f"{name:<{width}}  {verdict:<7}  {elapsed:7.0f}  {shown[0]}")
        for figure in shown[1:]:
            print(f"{'':<{width}}  {'':<7}  {'':>7}  {figure}")
    crashed = [name for name, verdict, *_ in results if verdict == "CRASHED"]
    if crashed:
        print(f"crashed: {', '.join(crashed)}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
