"""Releases: a data package written to a staging folder, checked, then renamed into ``<out>/<package>/<version>/``.

A release holds ``datapackage.json`` (Data Package v2, checksums, provenance), ``data/<table>.csv`` and
``data/<table>.parquet`` from the same Arrow tables, ``CHANGELOG.md`` and ``changes.json``. Its version follows from
what changed since the previous release (``twindata.diff``). ``versions.json`` beside the versions lists them and is
replaced atomically. Identical content publishes nothing. One run at a time holds the package's lock; a run killed
at any point leaves no partial version, and the next run clears its staging folder and lists any version that was
renamed into place but not yet listed. A published version is never written again.
Also here: ``verify_release``, the check behind ``twindata validate``.
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import pyarrow as pa
from frictionless import Package

from twindata import __version__, diff, schema
from twindata.bundled import schemas_dir
from twindata.errors import TwindataError, format_error, report_errors
from twindata.fsutil import fsync_dir, fsync_tree, read_json, sha256_file, sha256_files, write_json_atomic
from twindata.tables import write_csv, write_parquet

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
FORMATS = {"csv": ("text/csv", "csv"), "parquet": ("application/vnd.apache.parquet", "parquet")}
STAGING_PREFIX = ".staging-"


@dataclass
class PublishResult:
    package: str
    version: str
    path: Path
    published: bool
    content_sha256: str


VERSION_DIR = re.compile(r"^\d+\.\d+\.\d+$")


@contextmanager
def open_release(out: Path, package: str, on_wait: Callable[[str], None] = lambda _: None) -> Iterator[Path]:
    """Hold the package's lock and yield a fresh staging folder beside its versions (same file system, so the
    final rename is atomic). Stale staging folders of killed runs are removed first; on any failure the staging
    folder goes too. A second run waits for the lock up to TWINDATA_LOCK_TIMEOUT seconds (default 600), then refuses."""
    package_dir = Path(out) / package
    package_dir.mkdir(parents=True, exist_ok=True)
    with _locked(package_dir / ".lock", float(os.environ.get("TWINDATA_LOCK_TIMEOUT", 600)), on_wait):
        for stale in package_dir.glob(f"{STAGING_PREFIX}*"):
            shutil.rmtree(stale, ignore_errors=True)
        for stale in package_dir.glob(".versions.json.tmp-*"):
            stale.unlink(missing_ok=True)
        _list_unlisted_versions(package_dir)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=package_dir))
        try:
            yield staging
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # published: renamed away already; failed: removed here


@contextmanager
def _locked(lock_file: Path, timeout: float, on_wait: Callable[[str], None]) -> Iterator[None]:
    with open(lock_file, "a+") as handle:
        deadline = time.monotonic() + timeout
        waited = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "?"
                if time.monotonic() >= deadline:
                    raise TwindataError(f"{lock_file}: another twindata run (pid {holder}) is publishing this package; "
                                        f"gave up after {timeout:.0f} s, nothing was written")
                if not waited:
                    on_wait(f"waiting for another run (pid {holder}) to finish publishing ({lock_file})")
                    waited = True
                time.sleep(0.2)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def _list_unlisted_versions(package_dir: Path) -> None:
    """A run killed between renaming its version into place and replacing versions.json left a complete but
    unlisted version: check its checksums and list it."""
    versions = read_versions(package_dir)
    listed = {v["version"] for v in versions["versions"]}
    found = [d for d in package_dir.iterdir() if d.is_dir() and VERSION_DIR.match(d.name) and d.name not in listed]
    if not found:
        return
    for folder in sorted(found, key=lambda d: _semver(d.name)):
        problems = verify_release(folder, frictionless=False)
        if problems:
            raise TwindataError(f"{folder}: an unlisted version that fails its checksums: {format_error(problems[0])}")
        versions["versions"].append(_version_entry(folder, read_json(folder / "datapackage.json")))
    versions["versions"].sort(key=lambda v: _semver(v["version"]))
    versions["latest"] = versions["versions"][-1]["version"]
    write_json_atomic(package_dir / "versions.json", versions)


def _semver(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


def _version_entry(folder: Path, descriptor: dict) -> dict:
    return {"version": descriptor["version"], "created": descriptor["created"],
            "content_sha256": descriptor["twindata"]["content_sha256"], "path": folder.name,
            "datapackage_sha256": sha256_file(folder / "datapackage.json"),
            "files": {r["path"]: r["hash"] for r in descriptor["resources"]} | descriptor["twindata"].get("files", {})}


def read_versions(package_dir: Path) -> dict:
    file = package_dir / "versions.json"
    if not file.exists():
        return {"package": package_dir.name, "latest": None, "versions": []}
    return read_json(file, "versions.json")


def schemas_sha256() -> str:
    return sha256_files(schemas_dir(), sorted(f.name for f in schemas_dir().glob("*.json")))


PACKAGE_KEYS = ("name", "title", "description", "homepage", "licenses", "contributors", "sources")


def content_sha256(data_dir: Path, tables: tuple[str, ...], metadata: dict) -> str:
    """What decides whether a release is new: the CSV bytes of every table, the schemas that describe them and the
    package metadata from registry.json (a new licence is a new release)."""
    h = hashlib.sha256(schemas_sha256().encode())
    h.update(json.dumps({k: metadata.get(k) for k in PACKAGE_KEYS}, sort_keys=True, ensure_ascii=False).encode())
    for t in tables:
        h.update(f"\0{t}\0{sha256_file(data_dir / f'{t}.csv')}".encode())
    return h.hexdigest()


def publish(arrows: dict[str, pa.Table], metadata: dict, staging: Path, provenance: dict) -> PublishResult:
    """Finish the release in ``staging`` (whose data/*.csv the gate wrote) and move it into place, unless unchanged.
    Call inside ``open_release``, which holds the lock."""
    package_dir = staging.parent
    name = metadata["name"]
    tables = tuple(arrows)
    data_dir = staging / "data"
    for t, arrow in arrows.items():
        if not (data_dir / f"{t}.csv").exists():
            write_csv(arrow, data_dir / f"{t}.csv")
    digest = content_sha256(data_dir, tables, metadata)
    versions = read_versions(package_dir)
    previous = versions.get("latest")
    latest = next((v for v in versions["versions"] if v["version"] == previous), None)
    if latest and latest.get("content_sha256") == digest:
        return PublishResult(name, latest["version"], package_dir / latest["version"], False, digest)
    schemas = {t: _resource_schema(t) for t in tables}
    if latest:
        old_tables, old_schemas = diff.release_tables(package_dir / latest["path"])
        changes = diff.compare(old_tables, old_schemas, arrows, schemas)
        level, reasons = diff.bump(changes)
        level, reasons = (level, reasons) if level else ("patch", ["package metadata (registry.json) changed"])
    else:
        changes, level = diff.compare({}, {}, arrows, schemas), None
        reasons = [", ".join(f"{a.num_rows} {t} rows" for t, a in arrows.items())]
    version = diff.next_version(previous, level)
    target = package_dir / version
    if target.exists():
        raise TwindataError(f"{target}: version {version} exists already; a published release is never overwritten")
    for t, arrow in arrows.items():
        write_parquet(arrow, data_dir / f"{t}.parquet")
    created = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    record = {"from": previous, "to": version, "bump": level, "reasons": reasons, "tables": changes}
    (staging / "changes.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    earlier = (package_dir / latest["path"] / "CHANGELOG.md").read_text(encoding="utf-8") if latest else ""
    (staging / "CHANGELOG.md").write_text(_changelog_entry(name, record, created) + earlier.split("\n", 2)[-1]
                                          if earlier else _changelog_entry(name, record, created), encoding="utf-8")
    files = {f: f"sha256:{sha256_file(staging / f)}" for f in ("CHANGELOG.md", "changes.json")}
    descriptor = _descriptor(metadata, version, created, tables, staging, schemas,
                             {**provenance, "content_sha256": digest, "previous_version": previous, "files": files})
    (staging / "datapackage.json").write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    problems = verify_release(staging, frictionless=False)  # the gate validated the rows; here: every file as written
    if problems:
        raise TwindataError(f"{staging}: the staged release fails its own check: {format_error(problems[0])}")
    fsync_tree(staging)
    staging.chmod(0o755)  # mkdtemp makes it private; a release is for everyone to read
    os.rename(staging, target)
    fsync_dir(package_dir)
    versions["versions"].append(_version_entry(target, descriptor))
    versions["latest"] = version
    write_json_atomic(package_dir / "versions.json", versions)
    return PublishResult(name, version, target, True, digest)


def _resource_schema(table: str) -> dict:
    descriptor = schema.table_schema(table)
    descriptor.pop("$schema", None)
    return descriptor


def _changelog_entry(package: str, record: dict, created: str) -> str:
    head = f"# Changelog of {package}\n\n"
    why = "; ".join(record["reasons"])
    level = f"{record['bump'].upper()} release" if record["bump"] else "First release"
    since = f" since {record['from']}" if record["from"] else ""
    return (f"{head}## {record['to']} ({created[:10]})\n\n{level}{since}: {why}.\n\n"
            f"{diff.render(record['tables']) if record['from'] else ''}\n")


def _descriptor(metadata: dict, version: str, created: str, tables: tuple[str, ...], staging: Path,
                schemas: dict[str, dict], provenance: dict) -> dict:
    package = schema.package_metadata()
    resources = []
    for fmt, (mediatype, ext) in FORMATS.items():
        for t in tables:
            path = staging / "data" / f"{t}.{ext}"
            table_schema = copy.deepcopy(schemas[t])
            resource = {"name": t if fmt == "csv" else f"{t}-parquet", "type": "table", "path": f"data/{t}.{ext}",
                        "format": ext, "mediatype": mediatype, "title": table_schema.get("title"),
                        "description": table_schema.get("description"), "hash": f"sha256:{sha256_file(path)}"}
            if fmt == "csv":
                resource.update(encoding="utf-8", bytes=path.stat().st_size)
            resource["schema"] = table_schema
            resources.append(resource)
    sources = metadata.get("sources", []) + package["sources"]
    descriptor = {"$schema": PROFILE, "name": metadata["name"], "title": metadata["title"],
                  "description": metadata.get("description"), "version": version, "created": created,
                  "homepage": metadata.get("homepage"), "keywords": ["town twinning", "sister cities", "partnerships"],
                  "licenses": metadata["licenses"], "contributors": metadata.get("contributors"), "sources": sources,
                  "resources": resources,
                  "twindata": {"generator": f"twindata {__version__}", "schemas_sha256": schemas_sha256(), **provenance}}
    return {k: v for k, v in descriptor.items() if v is not None}  # optional properties the registry leaves out


def verify_release(folder: Path, frictionless: bool = True) -> list[dict]:
    """Every problem of a release folder: its checksums, then (with ``frictionless``) its rows."""
    problems = verify_checksums(folder)
    return problems if problems or not frictionless else verify_rows(folder)


def verify_checksums(folder: Path) -> list[dict]:
    """A file whose bytes or checksum differ from datapackage.json (data, Parquet included, CHANGELOG.md,
    changes.json), or a datapackage.json that differs from the versions.json beside it."""
    folder = Path(folder)
    try:
        descriptor = read_json(folder / "datapackage.json", "datapackage.json")
    except TwindataError as exc:
        return [{"table": "datapackage.json", "rule": "descriptor", "message": str(exc)}]
    expected = [(r["name"], r["path"], r.get("hash", ""), r.get("bytes")) for r in descriptor.get("resources", [])]
    expected += [(path, path, digest, None) for path, digest in descriptor.get("twindata", {}).get("files", {}).items()]
    listed = _listed_entry(folder)
    if listed is not None:
        expected.append(("datapackage.json", "datapackage.json", f"sha256:{listed['datapackage_sha256']}", None))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:  # hashlib releases the GIL
        return [p for p in pool.map(lambda e: _check_file(folder, *e), expected) if p]


def verify_rows(folder: Path) -> list[dict]:
    """frictionless's row-level errors of every resource of a release."""
    report = Package(str(Path(folder) / "datapackage.json")).validate(limit_errors=100_000)
    return report_errors(report) + ([] if report.valid or report.tasks else
                                    [{"table": "*", "rule": "package", "message": str(report.errors[0].message)}])


def _listed_entry(folder: Path) -> dict | None:
    """This version's entry in the versions.json beside it, if the release sits in a package folder."""
    file = folder.parent / "versions.json"
    if not file.is_file():
        return None
    versions = read_json(file, "versions.json")
    return next((v for v in versions.get("versions", []) if v.get("path") == folder.name), None)


def _check_file(folder: Path, name: str, relative: str, digest: str, size: int | None) -> dict | None:
    path = folder / relative
    if not path.is_file():
        return {"table": name, "rule": "missing-file", "message": f"{path} is missing"}
    if size is not None and path.stat().st_size != size:
        return {"table": name, "rule": "byte-count",
                "message": f"{path} has {path.stat().st_size} bytes, datapackage.json says {size}"}
    if digest and sha256_file(path) != digest.removeprefix("sha256:"):
        source = "versions.json" if relative == "datapackage.json" else "datapackage.json"
        return {"table": name, "rule": "hash-count", "message": f"{path}: sha256 differs from {source} (the file was changed)"}
    return None
