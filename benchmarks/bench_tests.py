"""Wall time of the whole test suite on clean clones of two commits, with this environment's installed packages.

Each commit is cloned into a temporary folder and its suite run with the README's test command
(``python -m pytest``), its own ``src/`` first on the path; the runs alternate between the commits so that drift on a
shared machine hits both alike. Prints the medians, the tests each collected, and the ratio.

    python benchmarks/bench_tests.py --base 3f6bc72 --head HEAD [--runs 1]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import save_report

ROOT = Path(__file__).resolve().parents[1]


def suite(commit: str, folder: Path) -> tuple[float, str]:
    """One run of the suite at ``commit``: seconds, and pytest's summary line."""
    clone = folder / commit
    if not clone.exists():
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        subprocess.run(["git", "checkout", "-q", commit], cwd=clone, check=True)
    env = {**os.environ, "PYTHONPATH": f"{clone / 'src'}{os.pathsep}{clone}"}
    env.pop("DAGSTER_HOME", None)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=clone, env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    summary = next((line for line in reversed(done.stdout.splitlines()) if re.search(r"\d+ (passed|failed)", line)), "")
    return seconds, summary.strip("= ")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True, help="the earlier commit")
    parser.add_argument("--head", default="HEAD")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    commits = {name: subprocess.run(["git", "rev-parse", "--short", c], cwd=ROOT, check=True, capture_output=True,
                                    text=True).stdout.strip() for name, c in (("base", args.base), ("head", args.head))}
    seconds: dict[str, list[float]] = {"base": [], "head": []}
    summaries = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            for name, commit in commits.items():
                took, summaries[name] = suite(commit, Path(tmp))
                seconds[name].append(took)
                print(f"{name} {commit}: {took:.0f} s ({summaries[name]})", flush=True)
    medians = {k: statistics.median(v) for k, v in seconds.items()}
    save_report("bench_tests", {"commits": commits, "runs": args.runs, "median_seconds": medians,
                                "summaries": summaries, "head / base": round(medians["head"] / medians["base"], 2)})


if __name__ == "__main__":
    main()
