"""Shared by the benchmark scripts: print a report and keep it in benchmarks/out/<name>.json."""

from __future__ import annotations

import json
from pathlib import Path


def save_report(name: str, report: dict) -> None:
    print(json.dumps(report, indent=2))
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
