"""Releases: a data package written to a staging folder, checked, then renamed into ``<out>/<package>/<version>/``.

A release holds ``datapackage.json`` (Data Package v2, checksums, provenance), ``data/<table>.csv`` and
``data/<table>.parquet`` from the same Arrow tables. ``versions.json`` beside the versions lists them and is replaced
atomically. Identical content publishes nothing. A failed run removes its staging folder; earlier releases are never
touched. Also here: ``verify_release``, the check behind ``twindata validate``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
from frictionless import Package

from twindata import __version__, schema
from twindata.bundled import schemas_dir
from twindata.errors import TwindataError, format_error
from twindata.gate import report_errors
from twindata.tables import sha256_file, write_csv, write_parquet

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


def stage(out: Path, package: str) -> Path:
    """A fresh staging folder beside the package's versions (same file system, so the final rename is atomic)."""
    package_dir = out / package
    package_dir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=package_dir))


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def read_versions(package_dir: Path) -> dict:
    file = package_dir / "versions.json"
    if not file.exists():
        return {"package": package_dir.name, "latest": None, "versions": []}
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise TwindataError(f"{file}: line {exc.lineno}: not valid JSON: {exc.msg}")


def schemas_sha256() -> str:
    h = hashlib.sha256()
    for file in sorted(schemas_dir().glob("*.json")):
        h.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    return h.hexdigest()


def content_sha256(data_dir: Path, tables: tuple[str, ...]) -> str:
    """What decides whether a release is new: the CSV bytes of every table and the schemas that describe them."""
    h = hashlib.sha256(schemas_sha256().encode())
    for t in tables:
        h.update(f"\0{t}\0{sha256_file(data_dir / f'{t}.csv')}".encode())
    return h.hexdigest()


def next_version(versions: dict) -> str:
    """1.0.0 for the first release; a changed release raises the minor version."""
    if not versions.get("latest"):
        return "1.0.0"
    major, minor, _ = (int(x) for x in versions["latest"].split("."))
    return f"{major}.{minor + 1}.0"


def publish(arrows: dict[str, pa.Table], metadata: dict, staging: Path, provenance: dict) -> PublishResult:
    """Finish the release in ``staging`` (whose data/*.csv the gate wrote) and move it into place, unless unchanged."""
    package_dir = staging.parent
    name = metadata["name"]
    tables = tuple(arrows)
    data_dir = staging / "data"
    for t, arrow in arrows.items():
        if not (data_dir / f"{t}.csv").exists():
            write_csv(arrow, data_dir / f"{t}.csv")
    digest = content_sha256(data_dir, tables)
    versions = read_versions(package_dir)
    latest = next((v for v in versions["versions"] if v["version"] == versions.get("latest")), None)
    if latest and latest.get("content_sha256") == digest:
        discard(staging)
        return PublishResult(name, latest["version"], package_dir / latest["version"], False, digest)
    version = next_version(versions)
    target = package_dir / version
    if target.exists():
        discard(staging)
        raise TwindataError(f"{target}: version {version} exists already; a published release is never overwritten")
    for t, arrow in arrows.items():
        write_parquet(arrow, data_dir / f"{t}.parquet")
    created = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    descriptor = _descriptor(metadata, version, created, tables, staging, {**provenance, "content_sha256": digest})
    (staging / "datapackage.json").write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    problems = verify_release(staging)
    if problems:
        discard(staging)
        raise TwindataError(f"{staging}: the staged release fails its own check: {format_error(problems[0])}")
    _fsync_tree(staging)
    staging.chmod(0o755)  # mkdtemp makes it private; a release is for everyone to read
    os.rename(staging, target)
    entry = {"version": version, "created": created, "content_sha256": digest, "path": version,
             "datapackage_sha256": sha256_file(target / "datapackage.json")}
    versions["versions"].append(entry)
    versions["latest"] = version
    write_json_atomic(package_dir / "versions.json", versions)
    return PublishResult(name, version, target, True, digest)


def _descriptor(metadata: dict, version: str, created: str, tables: tuple[str, ...], staging: Path, provenance: dict) -> dict:
    package = schema.package_metadata()
    resources = []
    for fmt, (mediatype, ext) in FORMATS.items():
        for t in tables:
            path = staging / "data" / f"{t}.{ext}"
            table_schema = schema.table_schema(t)
            table_schema.pop("$schema", None)
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


def verify_release(folder: Path) -> list[dict]:
    """Every problem of a release folder: a file whose bytes or checksum differ, then frictionless's row-level errors."""
    folder = Path(folder)
    descriptor_file = folder / "datapackage.json"
    try:
        descriptor = json.loads(descriptor_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [{"table": str(descriptor_file), "rule": "missing-file", "message": "no datapackage.json"}]
    except json.JSONDecodeError as exc:
        return [{"table": str(descriptor_file), "rule": "invalid-json", "message": f"line {exc.lineno}: {exc.msg}"}]
    problems = []
    for resource in descriptor.get("resources", []):
        path = folder / resource["path"]
        if not path.is_file():
            problems.append({"table": resource["name"], "rule": "missing-file", "message": f"{path} is missing"})
            continue
        if "bytes" in resource and path.stat().st_size != resource["bytes"]:
            problems.append({"table": resource["name"], "rule": "byte-count",
                             "message": f"{path} has {path.stat().st_size} bytes, datapackage.json says {resource['bytes']}"})
        expected = resource.get("hash", "").removeprefix("sha256:")
        if expected and sha256_file(path) != expected:
            problems.append({"table": resource["name"], "rule": "hash-count",
                             "message": f"{path}: sha256 differs from datapackage.json (the file was changed)"})
    if problems:
        return problems
    report = Package(str(descriptor_file)).validate(limit_errors=100_000)
    return report_errors(report) + ([] if report.valid or report.tasks else
                                    [{"table": "*", "rule": "package", "message": str(report.errors[0].message)}])


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
        else:
            _fsync_dir(path)
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
