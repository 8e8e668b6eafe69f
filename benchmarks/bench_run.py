"""Whole-process timings of `twindata run` on the embedded default (cold process each time), and of the same run as
a Dagster materialization in-process.

Measures, as medians of several runs: the first run into an empty releases folder, the rerun that publishes
nothing (and how many bytes it writes: every write() of the process, from /proc/self/io), the same first run
replaying the default snapshot named explicitly (`--snapshot`), the Dagster job executed in-process into an empty
folder, and references in the same benchmark run (an empty interpreter, importing pandas + pyarrow + frictionless +
requests, importing the libraries the run needs now by a list, importing every module the run is seen to import
but twindata's own (``imports_used``: the libraries, the parts they load lazily, the standard library's; and
``imports_used_frozen``, the same followed by ``gc.freeze()`` as the run does after its imports, so that the
interpreter's exit is alike in both), and,
with ``--reference-src``, the same run by an earlier twindata checkout's ``src/``), then prints the ratios, since
absolute seconds drift on a shared machine. Processes run with bytecode caching on (as an installed package has its
.pyc files), after one warm-up run.

    python benchmarks/bench_run.py [--runs 7] [--reference-src /path/to/earlier/checkout/src]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import save_report

PY = sys.executable
ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "python_startup": [PY, "-c", "pass"],
    "imports_floor": [PY, "-c", "import pandas, pyarrow, pyarrow.parquet, frictionless, requests"],
    # what the default run imports now that frictionless is off its path
    "imports_needed": [PY, "-c", "import pandas, pyarrow, pyarrow.parquet, pyarrow.csv, pyarrow.compute, requests, "
                                 "urllib3, pydantic_settings, filelock, jsonschema"],
}
# the CLI in-process with its output kept in memory, then the process's own I/O counters on stderr
COUNTED = """
import contextlib, io, sys
from twindata.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(io.StringIO()):
    code = main(sys.argv[1:])
counters = dict(line.split(": ") for line in open("/proc/self/io").read().splitlines())
sys.__stderr__.write(f"{counters['wchar']} {counters['write_bytes']} {code} {out.getvalue()!r}\\n")
"""
# every module a default run ends up importing but twindata's own (libraries, their lazily loaded parts such as
# pyarrow.pandas_compat, and the standard library's), in the order the run imports them
USED = """
import sys
before = set(sys.modules)
import contextlib, io, json
from twindata.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    main(["run", "--out", sys.argv[1]])
sys.__stdout__.write(json.dumps([m for m in sys.modules if m not in before and m.split(".")[0] != "twindata"]))
"""
IMPORT_ALL = """
import importlib, json, sys
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except ImportError:  # an extension's private helper module, loaded by its parent, not by name
        pass
if len(sys.argv) > 2:  # as the run does once its modules are imported
    import gc
    gc.freeze()
"""
DAGSTER = """
import sys
from dagster import DagsterInstance
from pipelines.definitions import defs
from pipelines.resources import TwindataRun, TwindataSettings
with DagsterInstance.ephemeral() as instance:
    result = defs.resolve_job_def("twinning_release_job").execute_in_process(
        instance=instance, resources={"settings": TwindataSettings(out=sys.argv[1]), "run": TwindataRun()})
assert result.success
"""


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str], env: dict | None = None, **kwargs) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env or ENV, **kwargs)
    return time.perf_counter() - start


def written(out: str) -> dict:
    """Bytes the unchanged rerun writes: write() calls of the whole process, and bytes sent to storage."""
    done = subprocess.run([PY, "-c", COUNTED, "run", "--out", out], check=True, capture_output=True, text=True, env=ENV)
    wchar, write_bytes, code, said = done.stderr.strip().split(" ", 3)
    assert code == "0" and "unchanged since" in said, said
    return {"wchar": int(wchar), "write_bytes": int(write_bytes)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--reference-src", type=Path, help="src/ of an earlier checkout, run side by side")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        used = subprocess.run([PY, "-c", USED, out], check=True, capture_output=True, text=True, env=ENV).stdout
    COMMANDS["imports_used"] = [PY, "-c", IMPORT_ALL, used]
    COMMANDS["imports_used_frozen"] = [PY, "-c", IMPORT_ALL, used, "freeze"]
    names = [*COMMANDS, "first_run", "unchanged_rerun", "snapshot_replay", "dagster_in_process"]
    samples: dict[str, list[float]] = {k: [] for k in names + (["reference_first_run"] if args.reference_src else [])}
    writes = []
    snapshot = ROOT / "snapshots" / "default"
    reference_env = {**ENV, "PYTHONPATH": str(args.reference_src)} if args.reference_src else None
    with tempfile.TemporaryDirectory() as out:  # warm-up: bytecode caches written, file system caches filled
        timed([PY, "-m", "twindata.cli", "run", "--out", out])
        if reference_env:
            timed([PY, "-m", "twindata.cli", "run", "--out", str(Path(out) / "reference")], env=reference_env)
    for _ in range(args.runs):  # interleaved, so that drift hits every measure alike
        for name, cmd in COMMANDS.items():
            samples[name].append(timed(cmd))
        with tempfile.TemporaryDirectory() as out:
            run = [PY, "-m", "twindata.cli", "run", "--out", out]
            samples["first_run"].append(timed(run))
            samples["unchanged_rerun"].append(timed(run))
            writes.append(written(out))
        with tempfile.TemporaryDirectory() as out:
            samples["snapshot_replay"].append(timed([PY, "-m", "twindata.cli", "run", "--snapshot", str(snapshot),
                                                     "--out", out]))
        with tempfile.TemporaryDirectory() as out:
            samples["dagster_in_process"].append(timed([PY, "-c", DAGSTER, out], cwd=ROOT))
        if reference_env:
            with tempfile.TemporaryDirectory() as out:
                samples["reference_first_run"].append(timed([PY, "-m", "twindata.cli", "run", "--out", out],
                                                            env=reference_env))
    medians = {k: statistics.median(v) for k, v in samples.items()}
    report = {"runs": args.runs, "modules_used": len(json.loads(used)), "median_seconds": {k: round(v, 3) for k, v in medians.items()},
              "ratios": {"first_run / imports_floor": round(medians["first_run"] / medians["imports_floor"], 2),
                         "first_run / imports_needed": round(medians["first_run"] / medians["imports_needed"], 2),
                         "first_run / imports_used": round(medians["first_run"] / medians["imports_used"], 2),
                         "first_run / imports_used_frozen": round(medians["first_run"] / medians["imports_used_frozen"], 2),
                         "unchanged_rerun / first_run": round(medians["unchanged_rerun"] / medians["first_run"], 2),
                         "snapshot_replay / first_run": round(medians["snapshot_replay"] / medians["first_run"], 2),
                         "dagster_in_process / first_run": round(medians["dagster_in_process"] / medians["first_run"], 2)},
              **({"reference": {"first_run / imports_floor": round(medians["reference_first_run"] / medians["imports_floor"], 2),
                                "first_run / reference_first_run": round(medians["first_run"] / medians["reference_first_run"], 2)}}
                 if args.reference_src else {}),
              "unchanged_rerun_bytes_written": {"max_wchar": max(w["wchar"] for w in writes),
                                                "max_write_bytes": max(w["write_bytes"] for w in writes)}}
    save_report("bench_run", report)


if __name__ == "__main__":
    main()
