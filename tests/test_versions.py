"""Releases people can cite: versions computed from what changed, never overwritten, atomic under kill -9 and
concurrent runs, with a changelog, a diff and checksums of every file."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from filelock import FileLock

from twindata.checks.gate import GateResult
from twindata.contract import schema
from twindata.contract.errors import TwindataError
from twindata.contract.tables import csv_bytes
from twindata.packages import run_configured as run
from twindata.publish import diff, release, versioning
from twindata.publish.staging import lock_path
from twindata.publish.verify import verify_release
from twindata.settings import load_settings

from conftest import cli, replace_in

PACKAGE = "dortmund-twinning"


@pytest.fixture
def first(tmp_path) -> Path:
    out = tmp_path / "releases"
    result = run(load_settings(out=out))
    assert result.publish.version == "2.0.0"
    return out


def _publish(out: Path, change, schemas: dict | None = None) -> release.PublishResult:
    """Publish the latest release's tables after ``change(tables)``, through the same code as a run."""
    package_dir = out / PACKAGE
    latest = json.loads((package_dir / "versions.json").read_text())["latest"]
    tables, _ = diff.release_tables(package_dir / latest)
    tables.pop("redirects")  # follows from the previous release
    metadata = json.loads((package_dir / latest / "datapackage.json").read_text())
    change(tables)
    gated = GateResult(tables, {t: csv_bytes(a) for t, a in tables.items()})
    return release.publish(gated, {k: metadata[k] for k in ("name", "title", "licenses")}, out, {}, schemas=schemas)


def _schemas(table: str, change) -> dict[str, dict]:
    """The published Table Schemas, one of them changed."""
    schemas = {t: release.resource_schema(t) for t in schema.published_tables()}
    change(schemas[table])
    return schemas


def _state(out: Path) -> dict[str, bytes]:
    """Every file of every published version, and versions.json, byte for byte."""
    package_dir = out / PACKAGE
    files = {str(p.relative_to(package_dir)): p.read_bytes() for p in package_dir.rglob("*")
             if p.is_file() and not p.name.startswith(".") and not any(part.startswith(".") for part in p.relative_to(package_dir).parts)}
    return files


def test_changed_values_make_a_patch_release(first):
    def change(tables):
        t = tables["cities"]
        names = pc.replace_substring(t.column("name"), "Novi Sad", "Novi Sad (Нови Сад)")
        tables["cities"] = t.set_column(t.schema.get_field_index("name"), t.schema.field("name"), names)
    result = _publish(first, change)
    assert result.version == "2.0.1"
    changes = json.loads((result.path / "changes.json").read_text())
    assert changes["tables"]["cities"]["changed"][0]["fields"]["name"]["new"] == "Novi Sad (Нови Сад)"


def test_added_or_removed_rows_make_a_minor_release(first):
    result = _publish(first, lambda tables: tables.update(partnerships=tables["partnerships"].slice(1)))
    assert result.version == "2.1.0"
    changes = json.loads((result.path / "changes.json").read_text())
    assert changes["bump"] == "minor" and len(changes["tables"]["partnerships"]["removed"]) == 1


def test_a_removed_field_makes_a_major_release(first):
    schemas = _schemas("cities", lambda d: d.update(fields=[f for f in d["fields"] if f["name"] != "population"]))
    result = _publish(first, lambda tables: tables.update(cities=tables["cities"].drop_columns(["population"])), schemas)
    assert result.version == "3.0.0"
    assert "cities: field(s) population removed" in json.loads((result.path / "changes.json").read_text())["reasons"]
    assert "MAJOR release since 2.0.0" in (result.path / "CHANGELOG.md").read_text()


def test_an_added_optional_field_makes_a_minor_release_and_identical_content_none(first):
    schemas = _schemas("images", lambda d: d["fields"].append(
        {"name": "licence_family", "type": "string", "title": "t", "description": "d"}))
    result = _publish(first, lambda tables: tables.update(
        images=tables["images"].append_column("licence_family", pa.array([None] * len(tables["images"]), pa.string()))),
        schemas)
    assert result.version == "2.1.0"
    again = _publish(first, lambda tables: tables.update(images=tables["images"].drop_columns(["licence_family"])))
    assert again.version == "3.0.0"  # removing it again is incompatible
    unchanged = _publish(first, lambda tables: None)
    assert not unchanged.published and unchanged.version == "3.0.0"


def test_an_existing_version_is_never_overwritten(first, monkeypatch, registry_copy):
    monkeypatch.setattr(versioning, "next_version", lambda previous, level: "2.0.0")
    before = _state(first)
    with pytest.raises(TwindataError, match="never overwritten"):
        _publish(first, lambda tables: tables.update(partnerships=tables["partnerships"].slice(1)))
    assert _state(first) == before


def test_an_unlisted_broken_version_folder_stops_the_run(first, registry_copy):
    (first / PACKAGE / "1.0.1").mkdir()
    replace_in(registry_copy / "partnerships.csv", "Twinning signed 2 June 2014.", "Twinning signed on 2 June 2014.")
    result = cli("run", "--registry", str(registry_copy), "--out", str(first))
    assert result.returncode == 1 and "1.0.1: an unlisted version that fails its checksums" in result.stderr
    assert list((first / PACKAGE / "1.0.1").iterdir()) == []


@pytest.mark.parametrize("base_url", [None, "https://opendata.example.org/releases"])
def test_a_version_renamed_but_not_yet_listed_is_listed_by_the_next_run(first, registry_copy, base_url):
    versions_file = first / PACKAGE / "versions.json"
    listed_before = versions_file.read_bytes()
    replace_in(registry_copy / "partnerships.csv", "Twinning signed 2 June 2014.", "Twinning signed on 2 June 2014.")
    settings = load_settings(registry=registry_copy, out=first, base_url=base_url)
    assert run(settings).publish.version == "2.0.1"
    versions_file.write_bytes(listed_before)  # as if killed between the rename and the versions.json update
    (first / PACKAGE / ".staging-left-by-a-killed-run").mkdir()
    result = run(settings)
    assert not result.publish.published and result.publish.version == "2.0.1"
    versions = json.loads(versions_file.read_text())
    assert [v["version"] for v in versions["versions"]] == ["2.0.0", "2.0.1"] and versions["latest"] == "2.0.1"
    assert not list((first / PACKAGE).glob(".staging-*"))
    described = (first / PACKAGE / "dcat.ttl").read_text()  # the package page written by the recovery
    assert "2.0.1/data/cities.csv" in described
    assert (f"{base_url}/{PACKAGE}/2.0.1/data/cities.csv" in described) == (base_url is not None)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.3, 0.8, 1.1, 1.3, 1.5, 1.7, 2.0])
def test_kill_9_at_any_point_leaves_earlier_releases_intact(first, registry_copy, delay):
    replace_in(registry_copy / "partnerships.csv", "Twinning signed 2 June 2014.", "Twinning signed on 2 June 2014.")
    before = _state(first)
    proc = subprocess.Popen([sys.executable, "-m", "twindata.cli", "run", "--registry", str(registry_copy),
                             "--out", str(first)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    after = _state(first)
    indexes = ("versions.json", "index.html", "dcat.ttl", "dcat.jsonld")  # the package's indexes, replaced atomically
    assert {k: v for k, v in after.items() if k in before and k not in indexes} == \
        {k: v for k, v in before.items() if k not in indexes}  # every earlier file, byte for byte
    versions = json.loads((first / PACKAGE / "versions.json").read_text())  # whole, never half written
    version_dirs = sorted(d.name for d in (first / PACKAGE).iterdir() if d.is_dir() and not d.name.startswith("."))
    assert set(v["version"] for v in versions["versions"]) <= set(version_dirs) <= {"2.0.0", "2.0.1"}
    for name in version_dirs:  # whatever is in place is complete
        assert verify_release(first / PACKAGE / name, rows=False) == []
    final = run(load_settings(registry=registry_copy, out=first))  # the next run finishes the job
    assert final.publish.version == "2.0.1"
    assert not list((first / PACKAGE).glob(".staging-*"))
    assert json.loads((first / PACKAGE / "versions.json").read_text())["latest"] == "2.0.1"


@pytest.mark.slow
def test_two_runs_at_once_publish_one_release(tmp_path):
    out = tmp_path / "releases"
    procs = [subprocess.Popen([sys.executable, "-m", "twindata.cli", "run", "--out", str(out)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    said = " ".join(stdout for stdout, _ in outputs)
    assert said.count("published dortmund-twinning 2.0.0") == 1 and said.count("unchanged since 2.0.0") == 1
    versions = json.loads((out / PACKAGE / "versions.json").read_text())
    assert [v["version"] for v in versions["versions"]] == ["2.0.0"]


def test_a_run_that_cannot_get_the_lock_refuses_clearly(first, monkeypatch, registry_copy):
    monkeypatch.setenv("TWINDATA_LOCK_TIMEOUT", "0.5")
    replace_in(registry_copy / "partnerships.csv", "Twinning signed 2 June 2014.", "Twinning signed on 2 June 2014.")
    with FileLock(lock_path(first / PACKAGE)):
        result = cli("run", "--registry", str(registry_copy), "--out", str(first))
    assert result.returncode == 1 and "another twindata run is publishing this package" in result.stderr
    assert "Traceback" not in result.stderr and not (first / PACKAGE / "2.0.1").exists()


def test_the_published_tree_holds_no_lock_or_hidden_file(first):
    hidden = [p for p in (first / PACKAGE).rglob(".*")]
    assert hidden == [] and lock_path(first / PACKAGE).is_file()  # the lock lives in the user's state folder


@pytest.mark.parametrize("target", ["CHANGELOG.md", "changes.json", "datapackage.json"])
def test_validate_catches_a_changed_byte_in_any_file(first, target):
    release_dir = first / PACKAGE / "2.0.0"
    path = release_dir / target
    path.write_bytes(path.read_bytes().replace(b"2.0.0", b"2.0.9", 1))
    result = cli("validate", str(release_dir))
    assert result.returncode == 1 and target in result.stderr and "sha256 differs" in result.stderr


def test_same_input_gives_the_same_bytes(first, tmp_path):
    other = tmp_path / "again"
    run(load_settings(out=other))
    for name in ("cities", "partnerships", "assertions", "images", "crosswalk", "redirects", "data_issues"):
        for ext in ("csv", "parquet"):
            a = first / PACKAGE / "2.0.0" / "data" / f"{name}.{ext}"
            assert a.read_bytes() == (other / PACKAGE / "2.0.0" / "data" / f"{name}.{ext}").read_bytes()


def test_diff_between_two_real_releases(first, registry_copy):
    replace_in(registry_copy / "partnerships.csv", "rs-novi-sad,de-dortmund,rs-novi-sad,twinning,active,,1982,,,,https://www.dortmund.de/"
               "themen/internationales/staedtepartnerschaften/,\n", "")
    replace_in(registry_copy / "cities.csv", "rs-novi-sad,Novi Sad,,RS,Q55630\n", "")
    assert run(load_settings(registry=registry_copy, out=first)).publish.version == "2.1.0"
    text = cli("diff", "2.0.0", "2.1.0", "--out", str(first))
    assert text.returncode == 0
    # Wikidata still states the twinning: the same partnership, now stated only by a community source
    assert "MINOR change" in text.stdout and "removed: dortmund-twinning:phase:rs-novi-sad" in text.stdout
    data = json.loads(cli("diff", str(first / PACKAGE / "2.0.0"), str(first / PACKAGE / "2.1.0"), "--json").stdout)
    assert data["bump"] == "minor" and data["tables"]["crosswalk"]["removed"] == ["dortmund-twinning / rs-novi-sad"]
    [novi_sad] = data["tables"]["partnerships"]["changed"]
    assert novi_sad["key"] == "Q1295--Q55630--twinning"
    assert novi_sad["fields"]["confidence"] == {"old": "confirmed", "new": "community"}
    assert novi_sad["fields"]["status"] == {"old": "active", "new": None}
    shipped = json.loads((first / PACKAGE / "2.1.0" / "changes.json").read_text())
    assert shipped["tables"] == data["tables"]
    missing = cli("diff", "2.0.0", "9.9.9", "--out", str(first))
    assert missing.returncode == 1 and "9.9.9" in missing.stderr and "Traceback" not in missing.stderr
