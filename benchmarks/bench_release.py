"""Figures of releases at scale, on the two synthetic 1M-row releases of make_synthetic.py:

- `twindata diff` between them (1 % of rows differ): whole-process median seconds and peak memory, against the floor
  of reading both Parquet files in the same benchmark run;
- checksum verification: throughput of `verify_release(..., rows=False)` in GB/s against plain single-thread
  sha256 over the same files, and the whole `twindata validate --checksums-only` process;
- the frictionless part of `twindata validate` (one run: it is slow), for a later change to beat.

    python benchmarks/bench_release.py [--runs 5] [--skip-frictionless]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from report import save_report

from twindata.publish.verify import verify_release

HERE = Path(__file__).parent
PACKAGE = HERE / "out" / "synthetic" / "synthetic-twinning"
PY = sys.executable


def run(cmd: list[str]) -> tuple[float, float]:
    """Seconds and peak resident memory (MiB) of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    assert status == 0, cmd
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def sha256_plain(files: list[Path]) -> float:
    start = time.perf_counter()
    for f in files:
        h = hashlib.sha256()
        with open(f, "rb") as handle:
            while block := handle.read(1 << 20):
                h.update(block)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-frictionless", action="store_true")
    args = parser.parse_args()
    if not (PACKAGE / "2.1.0").is_dir():
        subprocess.run([PY, str(HERE / "make_synthetic.py")], check=True)
    old, new = PACKAGE / "2.0.0", PACKAGE / "2.1.0"
    diff_cmd = [PY, "-m", "twindata.cli", "diff", str(old), str(new), "--json"]
    floor_cmd = [PY, "-c", f"import pyarrow.parquet as pq; pq.read_table('{old}/data/partnerships.parquet'); "
                           f"pq.read_table('{new}/data/partnerships.parquet')"]
    check_cmd = [PY, "-m", "twindata.cli", "validate", "--checksums-only", str(new)]
    samples = {"diff": [], "read_floor": [], "validate_checksums_only": []}
    memory = {"diff": []}
    for _ in range(args.runs):
        seconds, mib = run(diff_cmd)
        samples["diff"].append(seconds)
        memory["diff"].append(mib)
        samples["read_floor"].append(run(floor_cmd)[0])
        samples["validate_checksums_only"].append(run(check_cmd)[0])
    files = sorted(p for p in new.rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in files)
    verify, plain = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        assert verify_release(new, rows=False) == []
        verify.append(time.perf_counter() - start)
        plain.append(sha256_plain(files))
    report = {
        "rows": 1_000_000, "release_bytes": size, "runs": args.runs,
        "median_seconds": {k: round(statistics.median(v), 3) for k, v in samples.items()},
        "diff_peak_mib": round(max(memory["diff"]), 1),
        "ratios": {"diff / read_floor": round(statistics.median(samples["diff"]) / statistics.median(samples["read_floor"]), 2)},
        "checksums_gb_per_s": round(size / statistics.median(verify) / 1e9, 2),
        "plain_sha256_gb_per_s": round(size / statistics.median(plain) / 1e9, 2),
    }
    if not args.skip_frictionless:
        start = time.perf_counter()
        problems = verify_release(new)
        report["frictionless_validate_seconds"] = round(time.perf_counter() - start - statistics.median(verify), 1)
        report["frictionless_problems"] = len(problems)
    save_report("bench_release", report)


if __name__ == "__main__":
    main()
