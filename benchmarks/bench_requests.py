"""Requests a live run makes, counted on the loopback Wikimedia server of the test suite (real recorded answers).

1. The sources alone: N entities and M images -> requests made against the bound ceil(N/50) + ceil(M/50),
   continuations counted apart.
2. A whole live run of a registry, then its unchanged incremental rerun: Commons requests of each.

    python benchmarks/bench_requests.py [--entities 120] [--images 75]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from report import save_report  # noqa: E402
from test_faults import _bielefeld_registry  # noqa: E402

from twindata.packages import run_configured as run  # noqa: E402
from twindata.settings import load_settings  # noqa: E402
from twindata.sources import commons, wikidata  # noqa: E402
from twindata.sources.transport.http import WikimediaClient  # noqa: E402

from wikimedia_server import LoopbackWikimedia  # noqa: E402

RECORDED_TITLES = ["File:Foobar.jpg", "File:Helene_Fischer_2010.jpg", "File:Apple_Lisa2-IMG_1517.jpg",
                   "File:Douglas adams portrait cropped.jpg"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=120)
    parser.add_argument("--images", type=int, default=75)
    args = parser.parse_args()
    report = {}
    with LoopbackWikimedia() as server, tempfile.TemporaryDirectory() as tmp:
        os.environ.update(server.env(), TWINDATA_CACHE_DIR=str(Path(tmp) / "cache"))
        client = WikimediaClient(load_settings(live=True))
        qids = ["Q1295", "Q2112", "Q4115189"] + [f"Q{n}" for n in range(1, args.entities - 2)]
        titles = RECORDED_TITLES + [f"File:Absent {n}.jpg" for n in range(args.images - len(RECORDED_TITLES))]
        server.split_imageinfo_after = 2  # make every batch need one continuation
        wikidata.fetch_entities(client, qids)
        commons.fetch_images(client, titles)
        continuations = sum(1 for path, p, _ in server.requests if "iicontinue" in p)
        bound = math.ceil(len(qids) / 50) + math.ceil(len(titles) / 50)
        report["sources"] = {"entities": len(qids), "images": len(titles), "requests": len(server.requests),
                             "continuations": continuations, "bound_without_continuations": bound,
                             "within_bound": len(server.requests) - continuations <= bound}
        server.split_imageinfo_after = None
        server.requests.clear()
        registry = _bielefeld_registry(Path(tmp))
        first = run(load_settings(registry=registry, out=Path(tmp) / "out", live=True))
        first_commons = server.count("/commons")
        second = run(load_settings(registry=registry, out=Path(tmp) / "out", live=True))
        report["incremental"] = {"first_run": first.requests, "rerun": second.requests,
                                 "rerun_commons_requests_seen_by_server": server.count("/commons") - first_commons}
    save_report("bench_requests", report)

if __name__ == "__main__":
    main()
