"""The world release against the Dortmund release, cold processes into empty folders, interleaved in pairs so that
both see the same machine: medians of each and the median of the per-pair ratios (target ≤ 3 ×).

    python benchmarks/bench_world_ratio.py [--pairs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from bench_world import ENV, PY, timed
from report import save_report

DORTMUND = [PY, "-m", "twindata.cli", "run"]
WORLD = [PY, "-m", "twindata.cli", "run", "--package", "world"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    world, dortmund, ratios = [], [], []
    for _ in range(args.pairs):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            d = timed(DORTMUND + ["--out", str(Path(a))], ENV)[0]
            w = timed(WORLD + ["--out", str(Path(b))], ENV)[0]
        dortmund.append(d)
        world.append(w)
        ratios.append(w / d)
    result = {"dortmund_s": round(statistics.median(dortmund), 2), "world_s": round(statistics.median(world), 2),
              "ratio": round(statistics.median(ratios), 2), "ratios": [round(r, 2) for r in ratios]}
    save_report("world_ratio", result)


if __name__ == "__main__":
    sys.exit(main())
