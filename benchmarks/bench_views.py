"""The views of the world package (cities as GeoParquet, the network as GraphML): their sizes and write times
against the world run they are part of, and ``twindata.load_graph()`` of the world package, whole process: time and
peak memory, against the reference of loading the two Parquet tables it reads (``twindata.load`` twice) in the same
benchmark run.

    python benchmarks/bench_views.py [--runs 5]

Publishes the world package from the bundled snapshot once (median of ``--runs`` whole-process runs for the run's
time), times writing each view again from the published tables in this process, then runs each loader ``--runs``
times in a fresh process, interleaved, measuring wall time; then each once under GNU time for its peak resident set.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
from report import save_report

PY = sys.executable
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
GRAPH = "import twindata; g = twindata.load_graph({release!r}); print(g.number_of_nodes(), g.number_of_edges())"
TABLES = "import twindata; [twindata.load(t, release={release!r}) for t in ('cities', 'partnerships')]"


def child(code: str) -> float:
    """Seconds of one fresh process running ``code``."""
    start = time.perf_counter()
    done = subprocess.run([PY, "-c", code], capture_output=True, text=True, env=ENV)
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    return time.perf_counter() - start


def peak_of(code: str) -> float:
    """Peak MiB of ``code`` alone (GNU time's maximum resident set size of one process)."""
    done = subprocess.run(["/usr/bin/time", "-f", "%M", PY, "-c", code], capture_output=True, text=True, env=ENV)
    return int(done.stderr.strip().splitlines()[-1]) / 1024


def main() -> None:
    from twindata.publish.views import VIEWS

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        runs = []
        for i in range(3):
            start = time.perf_counter()
            subprocess.run([PY, "-m", "twindata.cli", "run", "--package", "world", "--out", f"{work}/out{i}"],
                           check=True, capture_output=True, env=ENV)
            runs.append(time.perf_counter() - start)
        release = Path(work) / "out0" / "world-twinning" / "2.0.0"
        tables = {t: pq.read_table(release / "data" / f"{t}.parquet") for t in ("cities", "partnerships")}
        views = {}
        for view in VIEWS:
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                view.write(tables, Path(work) / Path(view.path).name)
                times.append(time.perf_counter() - start)
            views[view.path] = {"bytes": (release / view.path).stat().st_size,
                                "write_seconds": round(statistics.median(times), 3)}
        graph, plain = [], []
        for _ in range(args.runs):  # interleaved: the graph and its reference under the same load
            graph.append(child(GRAPH.format(release=str(release))))
            plain.append(child(TABLES.format(release=str(release))))
        graph_peak = peak_of(GRAPH.format(release=str(release)))
        plain_peak = peak_of(TABLES.format(release=str(release)))
    run = statistics.median(runs)
    written = sum(v["write_seconds"] for v in views.values())
    save_report("bench_views", {
        "runs": args.runs, "world_run_seconds": round(run, 2), "views": views,
        "views_write_seconds": round(written, 3), "views / world run": round(written / run, 3),
        "load_graph_seconds": round(statistics.median(graph), 2), "load_graph_peak_mib": round(graph_peak),
        "load_two_tables_seconds": round(statistics.median(plain), 2), "load_two_tables_peak_mib": round(plain_peak),
        "load_graph / load_two_tables": round(statistics.median(graph) / statistics.median(plain), 2)})


if __name__ == "__main__":
    main()
