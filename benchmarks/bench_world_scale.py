"""How the world release grows with its input: the world package published from synthetic snapshots 1 ×, 3 × and
10 × the bundled one (``make_synthetic_world.py``), cold, whole process, each size ``--runs`` times; the median
time, the peak resident memory (GNU time), the partnerships published, and the growth exponent between sizes
(log(t_b / t_a) / log(b / a): 1 is linear, 2 quadratic).

    python benchmarks/bench_world_scale.py [--scales 1 3 10] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
from report import save_report

PY = sys.executable
HERE = Path(__file__).resolve().parent
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(snapshot: Path, out: Path) -> tuple[float, float]:
    """Seconds and peak MiB of one cold world run (GNU time's elapsed and maximum resident set size)."""
    done = subprocess.run(["/usr/bin/time", "-f", "%e %M", PY, "-m", "twindata.cli", "run", "--package", "world",
                           "--world-snapshot", str(snapshot), "--out", str(out)], capture_output=True, text=True,
                          env=ENV)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    seconds, kib = done.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kib) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 3, 10])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = {}
    with tempfile.TemporaryDirectory() as work:
        for scale in args.scales:
            snapshot = Path(work) / f"world-{scale}x"
            subprocess.run([PY, str(HERE / "make_synthetic_world.py"), "--scale", str(scale), "--out", str(snapshot)],
                           check=True, capture_output=True, env=ENV)
            times, peaks = [], []
            for i in range(args.runs):
                out = Path(work) / f"out-{scale}-{i}"
                seconds, peak = run_once(snapshot, out)
                times.append(seconds)
                peaks.append(peak)
            release = next((Path(work) / f"out-{scale}-0").glob("world-twinning/*/datapackage.json"))
            rows = {r["name"]: r.get("bytes") for r in json.loads(release.read_text())["resources"]}
            partnerships = pq.ParquetFile(release.parent / "data" / "partnerships.parquet").metadata.num_rows
            sizes[scale] = {"seconds": round(statistics.median(times), 2), "peak_mib": round(max(peaks)),
                            "partnerships": partnerships, "partnerships_csv_bytes": rows.get("partnerships")}
            print(scale, sizes[scale], flush=True)
    scales = sorted(sizes)
    growth = {f"{a}x -> {b}x": round(math.log(sizes[b]["seconds"] / sizes[a]["seconds"]) / math.log(b / a), 2)
              for a, b in zip(scales, scales[1:])}
    save_report("bench_world_scale", {"runs": args.runs, "sizes": {f"{s}x": v for s, v in sizes.items()},
                                      "time_growth_exponent": growth,
                                      "largest / smallest time": round(sizes[scales[-1]]["seconds"]
                                                                       / sizes[scales[0]]["seconds"], 2)})


if __name__ == "__main__":
    main()
