"""The portal files of the world package: how long writing them takes against the world run itself, how heavy the
largest landing page is, and how long GovData's SHACL shapes take to validate the package's DCAT-AP.de.

Publishes the world package from the bundled snapshot (whole process, median of several runs), then, in this process
on a copy of that release, times writing what the release adds for people and portals (landing page, CITATION.cff,
zip, SHA256SUMS, DCAT-AP.de in Turtle and JSON-LD) the way the release writes them, and the SHACL validation of
that DCAT (the shapes of tests/fixtures/dcat-ap-de-shacl, as GovData loads them).

    python benchmarks/bench_portal.py [--runs 3]
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

import pyarrow.parquet as pq
from report import save_report

PY = sys.executable
ROOT = Path(__file__).resolve().parents[1]
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def portal_seconds(release: Path) -> float:
    """Write the release's portal files again into a copy of its data, as the release does; seconds taken."""
    from twindata.publish import bundle, catalogue, citation, dcat, pages

    descriptor = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    versions = json.loads((release.parent / "versions.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as work:
        copy = Path(work) / release.name
        shutil.copytree(release / "data", copy / "data")
        for name in ("CHANGELOG.md", "changes.json", "datapackage.json"):
            shutil.copy(release / name, copy / name)
        tables = {r["name"]: pq.read_table(copy / r["path"]) for r in descriptor["resources"] if r["format"] == "parquet"}
        tables = {k.removesuffix("-parquet"): v for k, v in tables.items()}
        start = time.perf_counter()
        files = [citation.ReleaseFile(r["path"], r["format"], (copy / r["path"]).stat().st_size,
                                    r["hash"].removeprefix("sha256:"),
                                    tables[r["name"].removesuffix("-parquet")].num_rows if r["type"] == "table" else None)
                 for r in descriptor["resources"]]
        metadata = {**descriptor, **descriptor["twindata"].get("portal", {})}
        info = citation.ReleaseInfo(metadata, descriptor["version"], descriptor["created"],
                                  descriptor["twindata"]["content_sha256"], descriptor["twindata"],
                                  tables, {r["name"]: r["schema"] for r in descriptor["resources"] if r["format"] == "csv"},
                                  files, (copy / "CHANGELOG.md").read_text(encoding="utf-8"))
        for path, page in pages.landing_pages(info).items():  # the landing page and the country pages
            (copy / path).parent.mkdir(exist_ok=True)
            (copy / path).write_bytes(page)
        (copy / "CITATION.cff").write_bytes(citation.citation_cff(info))
        bundle.write_zip(copy, info.zip_name)
        entry = next(v for v in versions["versions"] if v["version"] == descriptor["version"])
        for name, data in dcat.dcat_files(catalogue.dcat_package(descriptor, [(entry, copy)]),
                                          at=f"{entry['path']}/").items():
            (copy / name).write_bytes(data)
        (copy / bundle.SELF).write_bytes(bundle.sha256sums(copy))
        return time.perf_counter() - start


def shacl_seconds(release: Path, runs: int) -> tuple[float, int]:
    import pyshacl
    from rdflib import Graph
    from rdflib.namespace import SH

    sys.path.insert(0, str(ROOT / "tests"))
    from test_dcat import govdata_shapes, vocabularies  # the shapes as GovData loads them; what their imports bring

    shapes = govdata_shapes()
    data = Graph().parse(release.parent / "dcat.ttl", format="turtle", publicID=release.parent.as_uri() + "/")
    data += vocabularies()
    times, found = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
        times.append(time.perf_counter() - start)
        found = len(list(report.subjects(SH.resultSeverity, SH.Violation)))
    return statistics.median(times), found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as work:
        for i in range(args.runs):
            start = time.perf_counter()
            subprocess.run([PY, "-m", "twindata.cli", "run", "--package", "world", "--out", f"{work}/out{i}"],
                           check=True, capture_output=True, env=ENV)
            runs.append(time.perf_counter() - start)
        release = Path(work) / "out0" / "world-twinning" / "2.0.0"
        portal = statistics.median(portal_seconds(release) for _ in range(args.runs))
        shacl, violations = shacl_seconds(release, args.runs)
        pages = {p.relative_to(Path(work) / "out0").as_posix(): p.stat().st_size
                 for p in (Path(work) / "out0").rglob("index.html")}
        countries = [p.stat().st_size for p in release.glob("countries/*.html")]
    run = statistics.median(runs)
    save_report("bench_portal", {
        "runs": args.runs, "world_run_seconds": round(run, 2), "portal_files_seconds": round(portal, 3),
        "portal / world run": round(portal / run, 3), "largest_landing_page_bytes": max(pages.values()),
        "landing_pages": pages, "country_pages": len(countries), "country_pages_bytes": sum(countries),
        "largest_country_page_bytes": max(countries, default=0),
        "shacl_validation_seconds": round(shacl, 3), "shacl_violations": violations})


if __name__ == "__main__":
    main()
