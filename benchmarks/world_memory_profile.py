"""Where the world run's memory goes: one world release from a snapshot (the bundled one, or a synthetic one from
``make_synthetic_world.py``), in this process, with the resident set sampled every 20 ms; for each step the run
reports (its progress lines), the seconds, the resident set at its end and the highest one during it.

    python benchmarks/world_memory_profile.py [--snapshot DIR] [--out DIR]

The figures of ``bench_world_scale.py`` are whole processes under GNU time; this is the profile behind them.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

from report import save_report

from twindata.packages import PACKAGES, run
from twindata.settings import load_settings


def resident_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--snapshot", type=Path, help="a world snapshot folder (default: the bundled one)")
    parser.add_argument("--out", type=Path, help="releases folder (default: a temporary one)")
    args = parser.parse_args()
    highest = [0.0]

    def sample() -> None:
        while True:
            highest[0] = max(highest[0], resident_mib())
            time.sleep(0.02)

    threading.Thread(target=sample, daemon=True).start()
    steps, start = [], time.perf_counter()

    def progress(message: str) -> None:
        steps.append({"seconds": round(time.perf_counter() - start, 1), "resident_mib": round(resident_mib()),
                      "highest_mib": round(max(highest[0], resident_mib())), "step": message.split(":")[0][:60]})
        print(steps[-1], flush=True)
        highest[0] = 0.0

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(package="world", out=args.out or Path(tmp),
                                 **({"world_snapshot": args.snapshot} if args.snapshot else {}))
        run(PACKAGES["world"], settings, progress)
        progress("done")
    save_report("world_memory_profile", {"snapshot": str(args.snapshot or "bundled"), "steps": steps,
                                         "peak_mib": max(s["highest_mib"] for s in steps)})


if __name__ == "__main__":
    main()
