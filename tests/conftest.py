"""Shared fixtures: paths to the recorded responses, a writable copy of Dortmund's registry, a CLI runner."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from twindata.contract.bundled import default_registry, default_snapshot

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def registry_copy(tmp_path: Path) -> Path:
    """A writable copy of Dortmund's registry."""
    target = tmp_path / "registry"
    shutil.copytree(default_registry(), target)
    return target


@pytest.fixture
def snapshot_copy(tmp_path: Path) -> Path:
    target = tmp_path / "snapshot"
    shutil.copytree(default_snapshot(), target)
    return target


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """``twindata ARGS`` in a fresh process, as a user would run it."""
    return subprocess.run([sys.executable, "-m", "twindata.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Live runs in tests keep their incremental cache, and every run its publishing locks, in the test's own folder."""
    monkeypatch.setenv("TWINDATA_CACHE_DIR", str(tmp_path / "twindata-cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def write_registry(folder: Path, name: str, city_ids: list[str], licence: str, **tables: list[dict]) -> Path:
    """A registry folder for a test: registry.json and one CSV per registry table (columns from the schemas)."""
    import csv

    from twindata.contract.schema import registry_tables

    folder.mkdir(parents=True)
    (folder / "registry.json").write_text(json.dumps({
        "name": name, "title": f"{name} (test registry)", "homepage": f"https://example.org/{name}/", "city_ids": city_ids,
        "licenses": [{"name": licence}]}))
    keys: dict[str, int] = {}
    for row in tables.get("partnerships", []):  # a test's rows keyed as a clerk would: by partner, numbered
        if "phase_id" not in row:
            keys[row["partner_city_id"]] = keys.get(row["partner_city_id"], 0) + 1
            row["phase_id"] = row["partner_city_id"] + ("" if keys[row["partner_city_id"]] == 1 else
                                                        f"-{keys[row['partner_city_id']]}")
    for table, descriptor in registry_tables().items():
        with open(folder / f"{table}.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=[field["name"] for field in descriptor["fields"]])
            writer.writeheader()
            writer.writerows(tables.get(table, []))
    return folder


def release_tables(release: Path, drop: tuple[str, ...] = ("snapshot_id",)) -> dict[str, list[dict]]:
    """The rows of every CSV of a release, without the columns that record how the data was read (a replay names
    its snapshot, a live read does not)."""
    import pyarrow.csv as pacsv

    options = pacsv.ConvertOptions(strings_can_be_null=True)
    return {p.name: [{k: v for k, v in row.items() if k not in drop}
                     for row in pacsv.read_csv(p, convert_options=options).to_pylist()]
            for p in sorted((release / "data").glob("*.csv"))}


@pytest.fixture(scope="session")
def shared_releases(tmp_path_factory) -> Path:
    """Both packages' first release, published once per test session at the reference's fixed time and commit, each
    in its own releases folder: ``<out>/registry/dortmund-twinning/2.0.0``, ``<out>/world/world-twinning/2.0.0``.
    For the tests that read them; a test that changes a release copies it first."""
    from release_reference import publish_reference

    out = tmp_path_factory.mktemp("published")
    publish_reference(out)
    return out
