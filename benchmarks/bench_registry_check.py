"""`twindata registry check` on a large registry: a synthetic registry of 10,000 partnership rows (and their 10,001
cities), checked in a cold process, against the time to import the libraries as the reference in the same run;
then the same registry with 1 % of its rows broken (each problem one line). Medians of several runs; peak memory.

    python benchmarks/bench_registry_check.py [--rows 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_world import ENV, PY, timed
from report import save_report

IMPORTS = [PY, "-c", "import pandas, pyarrow, pyarrow.compute, pyarrow.csv, jsonschema, pycountry"]
TYPES = ["twinning", "friendship", "project_partnership", "solidarity_partnership", "contact"]
COUNTRIES = ["FR", "GB", "PL", "IT", "ES", "US", "CN", "TR", "UA", "NL"]


def make(folder: Path, rows: int, broken: int = 0) -> Path:
    """A registry scaffolded by ``twindata registry new``, then ``rows`` partners and phases (synthetic names);
    ``broken`` rows get an end before their start."""
    subprocess.run([PY, "-m", "twindata.cli", "registry", "new", "bench", "--name", "Bench", "--country", "DE",
                    "--out", str(folder)], check=True, env=ENV, capture_output=True)
    with open(folder / "cities.csv", "a", encoding="utf-8", newline="") as c, \
            open(folder / "partnerships.csv", "a", encoding="utf-8", newline="") as p:
        cities, phases = csv.writer(c, lineterminator="\r\n"), csv.writer(p, lineterminator="\r\n")
        for i in range(rows):
            cc = COUNTRIES[i % len(COUNTRIES)]
            key = f"{cc.lower()}-city-{i}"
            cities.writerow([key, f"City {i}", "", cc, ""])
            start = 1950 + i % 70
            end = start - 1 if i < broken else ""
            phases.writerow([key, "de-bench", key, TYPES[i % len(TYPES)], "ended" if end else "active", "", start, "",
                             end, "", f"https://example.org/partners/{i}", ""])
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    try:
        good = make(work / "good", args.rows)
        bad = make(work / "bad", args.rows, broken=args.rows // 100)
        check = [PY, "-m", "twindata.cli", "registry", "check"]
        seconds, memory, imports, bad_seconds = [], [], [], []
        for _ in range(args.runs):
            imports.append(timed(IMPORTS)[0])
            s, m, _ = timed(check + [str(good)])
            seconds.append(s)
            memory.append(m)
            start = time.perf_counter()
            problems = subprocess.run(check + [str(bad)], env=ENV, capture_output=True, text=True)
            bad_seconds.append(time.perf_counter() - start)
        lines = [x for x in problems.stderr.splitlines() if x and not x.startswith("twindata:")]
        save_report("registry_check", {
            "rows": args.rows, "check_s": round(statistics.median(seconds), 2),
            "imports_s": round(statistics.median(imports), 2),
            "ratio_to_imports": round(statistics.median(s / i for s, i in zip(seconds, imports)), 2),
            "peak_mib": round(max(memory)), "broken_rows": args.rows // 100, "problem_lines": len(lines),
            "exit_code_broken": problems.returncode, "check_broken_s": round(statistics.median(bad_seconds), 2),
            "first_problem": lines[0] if lines else None})
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
