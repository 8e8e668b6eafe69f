"""The compiled checks against frictionless-py on the same files: the CSV tables of the synthetic 1M-row release
(1M partnerships, 1M assertions, 20k cities; see make_synthetic.py) as published, and a copy with 0.1 % of the
partnership and assertion cells broken (type errors, enum and pattern violations, dangling foreign keys, blanks in
required fields).

Whole processes, in one benchmark run, on both: the fast checks (median of --runs, with peak memory), the floor of
reading the same files into Arrow (median of --runs), and frictionless-py once each (it is slow); then whether both
found exactly the same (table, row, field, rule) findings. Also the whole `twindata validate` of the release
(checksums, CSV and Parquet).

    python benchmarks/bench_validate.py [--runs 3] [--skip-frictionless]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import save_report

HERE = Path(__file__).parent
RELEASE = HERE / "out" / "synthetic" / "synthetic-twinning" / "2.1.0"
PY = sys.executable
TABLES = ("cities", "partnerships", "assertions")
FINDINGS = """
import json, sys
from pathlib import Path
from twindata.contract import schema
from twindata.checks.compiled import compile_schema
from twindata.checks.reference import finding, {function}
folder = Path(sys.argv[1])
compiled = {{t: compile_schema(t, schema.table_schema(t)) for t in {tables!r}}}
found = {function}(compiled, {{t: folder / f"{{t}}.csv" for t in compiled}})
found = found[0] if isinstance(found, tuple) else found
json.dump(sorted(map(list, {{finding(e) for e in found}}), key=str), open(sys.argv[2], "w"))
"""
FLOOR = """
import sys, pyarrow.csv as pacsv
for t in {tables!r}:
    pacsv.read_csv(f"{{sys.argv[1]}}/{{t}}.csv")
"""
BAD = {"partnerships": {"type": "twinnin", "start_year": "19x0", "city_b_id": "Q999999999", "confidence": "",
                        "partnership_id": "not an id", "phase": "0", "status_since_year": "3000"},
       "assertions": {"source": "blog", "partnership_id": "Q1--Q2--twinning", "start_year": "MCMLX",
                      "stated_by_city_id": "", "source_url": "example.org"}}


def run(cmd: list[str]) -> tuple[float, float]:
    """Seconds and peak resident memory (MiB) of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"{cmd[:3]} failed: {proc.stderr.read().decode()[-2000:]}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def broken_copy(folder: Path, share: float = 0.001) -> int:
    """The release's CSV tables with ``share`` of the cells of partnerships and assertions broken; how many."""
    import csv

    rng = random.Random(20261128)
    broken = 0
    for table in TABLES:
        source = RELEASE / "data" / f"{table}.csv"
        if table not in BAD:
            shutil.copy(source, folder / f"{table}.csv")
            continue
        with open(source, newline="", encoding="utf-8") as f, \
                open(folder / f"{table}.csv", "w", newline="", encoding="utf-8") as out:
            reader, writer = csv.reader(f), csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
            header = next(reader)
            writer.writerow(header)
            columns = {name: header.index(name) for name in BAD[table]}
            cells = len(header)
            for row in reader:
                for i in range(cells):
                    if rng.random() < share:
                        name = header[i]
                        if name in columns:
                            row[i] = BAD[table][name]
                            broken += 1
                writer.writerow(row)
    return broken


def measure(folder: Path, out: Path, args) -> dict:
    """The fast checks, the read floor and frictionless on the CSV tables in ``folder``."""
    out.mkdir()
    fast_cmd = [PY, "-c", FINDINGS.format(function="validate_tables", tables=TABLES), str(folder), str(out / "fast.json")]
    floor_cmd = [PY, "-c", FLOOR.format(tables=TABLES), str(folder)]
    fast, floor, memory = [], [], []
    for _ in range(args.runs):
        seconds, mib = run(fast_cmd)
        fast.append(seconds)
        memory.append(mib)
        floor.append(run(floor_cmd)[0])
    result = {"fast_seconds": round(statistics.median(fast), 3), "read_floor_seconds": round(statistics.median(floor), 3),
              "fast_peak_mib": round(max(memory), 1)}
    result["fast / read_floor"] = round(result["fast_seconds"] / result["read_floor_seconds"], 2)
    found = json.loads((out / "fast.json").read_text())
    result["fast_findings"] = len(found)
    if not args.skip_frictionless:
        seconds, mib = run([PY, "-c", FINDINGS.format(function="frictionless_errors", tables=TABLES), str(folder),
                            str(out / "frictionless.json")])
        reference = json.loads((out / "frictionless.json").read_text())
        result.update(frictionless_seconds=round(seconds, 1), frictionless_peak_mib=round(mib, 1),
                      frictionless_findings=len(reference), identical_findings=found == reference)
        result["frictionless / fast"] = round(seconds / result["fast_seconds"], 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-frictionless", action="store_true")
    args = parser.parse_args()
    if not RELEASE.is_dir():
        subprocess.run([PY, str(HERE / "make_synthetic.py")], check=True)
    report = {"rows": {"partnerships": 1_000_000, "assertions": 1_000_000, "cities": 20_000}, "runs": args.runs}
    with tempfile.TemporaryDirectory() as tmp:
        broken = Path(tmp) / "broken"
        broken.mkdir()
        report["broken_cells"] = broken_copy(broken)
        validate = []
        for _ in range(args.runs):
            validate.append(run([PY, "-m", "twindata.cli", "validate", str(RELEASE)])[0])
        report["twindata_validate_release_seconds"] = round(statistics.median(validate), 3)
        for label, folder in (("published", RELEASE / "data"), ("broken", broken)):
            report[label] = measure(folder, Path(tmp) / f"{label}-findings", args)
    save_report("bench_validate", report)


if __name__ == "__main__":
    main()
