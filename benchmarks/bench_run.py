"""Whole-process timings of `twindata run` on the embedded default (cold process each time).

Measures, as medians of several runs: the first run into an empty releases folder, the rerun that publishes
nothing, the same first run replaying the default snapshot named explicitly (`--snapshot`), and two references in
the same benchmark run (an empty interpreter, and importing the libraries a run needs), then prints the ratios, since
absolute seconds drift on a shared machine.

    python benchmarks/bench_run.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import save_report

PY = sys.executable
COMMANDS = {
    "python_startup": [PY, "-c", "pass"],
    "imports_floor": [PY, "-c", "import pandas, pyarrow, pyarrow.parquet, frictionless, requests"],
}


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    samples: dict[str, list[float]] = {k: [] for k in (*COMMANDS, "first_run", "unchanged_rerun", "snapshot_replay")}
    snapshot = Path(__file__).resolve().parents[1] / "snapshots" / "default"
    for _ in range(args.runs):  # interleaved, so that drift hits every measure alike
        for name, cmd in COMMANDS.items():
            samples[name].append(timed(cmd))
        with tempfile.TemporaryDirectory() as out:
            run = [PY, "-m", "twindata.cli", "run", "--out", out]
            samples["first_run"].append(timed(run))
            samples["unchanged_rerun"].append(timed(run))
        with tempfile.TemporaryDirectory() as out:
            samples["snapshot_replay"].append(timed([PY, "-m", "twindata.cli", "run", "--snapshot", str(snapshot),
                                                     "--out", out]))
    medians = {k: statistics.median(v) for k, v in samples.items()}
    report = {"runs": args.runs, "median_seconds": {k: round(v, 3) for k, v in medians.items()},
              "ratios": {"first_run / imports_floor": round(medians["first_run"] / medians["imports_floor"], 2),
                         "unchanged_rerun / first_run": round(medians["unchanged_rerun"] / medians["first_run"], 2),
                         "snapshot_replay / first_run": round(medians["snapshot_replay"] / medians["first_run"], 2)}}
    save_report("bench_run", report)

if __name__ == "__main__":
    main()
