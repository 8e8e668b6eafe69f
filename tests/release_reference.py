"""Both packages' first release at a fixed time and commit, and the reference it is held to
(``fixtures/reference-releases.json``)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

from twindata.context import RunContext
from twindata.packages import CITY, WORLD, run
from twindata.settings import load_settings

REFERENCE = Path(__file__).parent / "fixtures" / "reference-releases.json"
LIBRARIES = ("pyarrow", "pandas", "rdflib")


def library_versions() -> dict[str, str]:
    return {name: version(name) for name in LIBRARIES}


def publish_reference(out: Path) -> dict[str, str]:
    """Publish each package into its own releases folder ``out/<package>`` (``out/registry``, ``out/world``) as the
    reference was made; the sha256 of every file, by its path in the package's folder."""
    doc = json.loads(REFERENCE.read_text(encoding="utf-8"))
    when = datetime.fromisoformat(doc["created"].replace("Z", "+00:00"))
    for package in (CITY, WORLD):
        settings = load_settings(out=out / package.name, package=package.name)
        run(package, settings, context=RunContext(settings, now=when, commit=doc["commit"]))
    return files_of(out)


def files_of(out: Path) -> dict[str, str]:
    """The sha256 of every file published under ``out`` (as ``publish_reference`` lays it out), by path."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in sorted(out.iterdir()) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".lock"}
