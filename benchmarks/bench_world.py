"""Whole-process figures of the world package, as medians of several runs, with the time to import the libraries
as the reference in the same benchmark run:

- the world release from the bundled snapshot into an empty folder (cold process): seconds and peak memory;
- the unchanged rerun (publishes nothing);
- the rebuild after one partition changed (Luxembourg's statements, one row fewer): seconds and what the diff says;
- live against a loopback WDQS that serves every bundled statement with both QIDs as SPARQL answers: the number
  of requests for the whole world (one per partition plus pages) and the most ever in flight, then the time of a
  release that replays the partition store the live run wrote.

    python benchmarks/bench_world.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import save_report

PY = sys.executable
ROOT = Path(__file__).resolve().parents[1]
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
RUN = [PY, "-m", "twindata.cli", "run", "--package", "world"]
IMPORTS = [PY, "-c", "import pandas, pyarrow, pyarrow.parquet, pyarrow.csv, pyarrow.compute, requests, pycountry"]


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Seconds, peak resident memory (MiB) and stdout of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env or ENV, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed")
    return seconds, usage.ru_maxrss / 1024, out


def changed_snapshot(folder: Path) -> None:
    """The bundled snapshot with Luxembourg's partition one statement shorter, its manifest updated."""
    from twindata.contract.files import sha256_file

    path = folder / "wikidata" / "LU.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for f in manifest["files"]:
        if f["path"] == "wikidata/LU.csv":
            f["sha256"], f["rows"] = sha256_file(path), f["rows"] - 1
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def live_requests(work: Path) -> dict:
    """A live world run against the loopback WDQS; the requests it made, and the replay of what it stored."""
    sys.path.insert(0, str(ROOT / "tests"))
    from twindata.contract.bundled import world_snapshot
    from twindata.contract.countries import country
    from twindata.sources.extracts import read_world_snapshot

    from wikimedia_server import LoopbackWikimedia, sparql_bindings

    rows = [r for r in read_world_snapshot(world_snapshot()).p190 if r["subject_qid"] and r["partner_qid"]]
    with LoopbackWikimedia() as server:
        by_country: dict[str, list] = {}
        for r in rows:
            code = country(r["subject_country"]).code
            if code:
                by_country.setdefault(code, []).append(r)
        server.sparql_partitions = {code: sparql_bindings(rs) for code, rs in by_country.items()}
        env = {**ENV, **server.env(), "TWINDATA_CACHE_DIR": str(work / "cache")}
        seconds, peak, _ = timed([*RUN, "--live", "--out", str(work / "live")], env)
        report = {"wdqs_requests": server.count("/sparql"), "max_in_flight": server.max_in_flight,
                  "partitions": len(json.loads((work / "cache" / "world" / "manifest.json").read_text())["files"]),
                  "statements_served": len(rows), "live_seconds_loopback": round(seconds, 2)}
    replay = [timed([*RUN, "--world-snapshot", str(work / "cache" / "world"), "--out", str(work / f"replay{i}")])[0]
              for i in range(3)]
    report["replay_seconds"] = round(statistics.median(replay), 2)
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    samples: dict[str, list[float]] = {"imports": [], "first_run": [], "unchanged_rerun": [], "one_partition_changed": []}
    peaks, diff_said = [], ""
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        from twindata.contract.bundled import world_snapshot

        changed = work / "changed"
        shutil.copytree(world_snapshot(), changed)
        changed_snapshot(changed)
        timed([*RUN, "--out", str(work / "warm")])  # bytecode and file system caches
        for i in range(args.runs):
            samples["imports"].append(timed(IMPORTS)[0])
            out = work / f"out{i}"
            seconds, peak, _ = timed([*RUN, "--out", str(out)])
            samples["first_run"].append(seconds)
            peaks.append(peak)
            seconds, _, said = timed([*RUN, "--out", str(out)])
            assert "unchanged since" in said, said
            samples["unchanged_rerun"].append(seconds)
            seconds, _, said = timed([*RUN, "--world-snapshot", str(changed), "--out", str(out)])
            samples["one_partition_changed"].append(seconds)
            diff_said = subprocess.run([PY, "-m", "twindata.cli", "diff", "2.0.0", said.split()[-3], "--out",
                                        str(out), "--json"], capture_output=True, text=True, env=ENV).stdout
        live = live_requests(work)
    medians = {k: round(statistics.median(v), 2) for k, v in samples.items()}
    changes = json.loads(diff_said) if diff_said.strip().startswith("{") else {}
    report = {"runs": args.runs, "median_seconds": medians, "first_run_peak_mib": round(max(peaks)),
              "ratios": {"first_run / imports": round(medians["first_run"] / medians["imports"], 2),
                         "unchanged_rerun / first_run": round(medians["unchanged_rerun"] / medians["first_run"], 2)},
              "one_partition_changed": {"bump": changes.get("bump"), "reasons": changes.get("reasons")},
              "live": live}
    save_report("bench_world", report)


if __name__ == "__main__":
    main()
