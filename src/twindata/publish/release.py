"""Releases: a data package written into a staging folder, checked, then renamed into ``<out>/<package>/<version>/``.

A release holds ``datapackage.json`` (Data Package v2, checksums, provenance), ``data/<table>.csv`` and
``data/<table>.parquet`` from the same Arrow tables, ``CHANGELOG.md`` and ``changes.json``. Its version follows from
what changed since the previous release (``twindata.publish.diff``, ``twindata.publish.versioning``); ids the previous release
published under another name go into the cumulative ``redirects`` table. ``versions.json`` beside the versions
lists them and is replaced atomically. Identical content publishes nothing and writes nothing. Locking, staging and
recovery are ``twindata.publish.staging``'s; the checks are ``twindata.publish.verify``'s. A published version is never written again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from twindata import __version__
from twindata.checks.gate import GateResult
from twindata.contract import identity, schema
from twindata.contract.bundled import schemas_dir
from twindata.contract.errors import TwindataError
from twindata.contract.files import fsync_dir, fsync_tree, sha256_file, sha256_files, write_json_atomic
from twindata.contract.tables import csv_bytes, sorted_arrow
from twindata.contract.text import utc_stamp
from twindata.publish import bundle, catalogue, citation, diff, versioning
from twindata.publish.outputs import OUTPUTS, Output, by_name
from twindata.publish.staging import package_lock, read_versions, staging_folder, version_entry
from twindata.publish.verify import verify_checksums
from twindata.publish.views import VIEWS, View

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
PACKAGE_KEYS = ("name", "title", "description", "homepage", "licenses", "contributors", "sources")
DERIVED = ("redirects",)  # tables that follow from the previous release, not from the run's inputs


@dataclass
class PublishResult:
    package: str
    version: str
    path: Path
    published: bool
    content_sha256: str


def schemas_sha256() -> str:
    return sha256_files(schemas_dir(), sorted(f.name for f in schemas_dir().glob("*.json")))


def content_sha256(csv: dict[str, bytes], metadata: dict) -> str:
    """What decides whether a release is new: the CSV bytes of every table, the schemas that describe them and the
    package metadata from registry.json (a new licence is a new release)."""
    h = hashlib.sha256(schemas_sha256().encode())
    h.update(json.dumps({k: metadata.get(k) for k in PACKAGE_KEYS}, sort_keys=True, ensure_ascii=False).encode())
    for t in sorted(csv):
        if t not in DERIVED:
            h.update(f"\0{t}\0{hashlib.sha256(csv[t]).hexdigest()}".encode())
    return h.hexdigest()


def publish(gated: GateResult, metadata: dict, out: Path, provenance: dict, lock_timeout: float = 600,
            on_wait: Callable[[str], None] = lambda _: None, base_url: str | None = None, *, created: str | None = None,
            commit: str | None = None, outputs: tuple[Output, ...] = OUTPUTS, views: tuple[View, ...] = VIEWS,
            schemas: dict[str, dict] | None = None) -> PublishResult:
    """Publish the gated tables as the package's next version, unless the latest one holds the same content.
    ``created`` is the release's time (now by default), ``commit`` the code's; ``outputs`` the file formats;
    ``views`` the files derived from the tables (GeoParquet, GraphML);
    ``schemas`` the Table Schemas the release carries (the published ones by default)."""
    name = metadata["name"]
    package_dir = Path(out) / name
    digest = content_sha256(gated.csv, metadata)
    with package_lock(package_dir, lock_timeout, on_wait, base_url):
        versions = read_versions(package_dir)
        previous = versions.get("latest")
        latest = next((v for v in versions["versions"] if v["version"] == previous), None)
        if latest and latest.get("content_sha256") == digest:
            return PublishResult(name, latest["version"], package_dir / latest["version"], False, digest)
        old_tables, old_schemas = diff.release_tables(package_dir / latest["path"]) if latest else ({}, {})
        tables, csv = dict(gated.tables), dict(gated.csv)
        earlier, retired = redirects(old_tables, tables)
        following = identity.follow(_redirects_table(earlier + redirect_rows(retired, "0.0.0", old_tables)))
        schemas = schemas or {t: resource_schema(t) for t in schema.published_tables()}
        data_tables = {t: a for t, a in tables.items() if t not in DERIVED}
        changes = diff.compare({t: a for t, a in old_tables.items() if t not in DERIVED}, old_schemas, data_tables,
                               schemas, following)
        if latest:
            level, reasons = versioning.bump(changes)
            moved = sum(1 for m in retired.values() for target, _ in m.values() if target is not None)
            if moved:
                level = versioning.higher(level, "minor")
                reasons.append(f"{moved} id(s) renamed, merged or retyped (listed in redirects)")
            level, reasons = (level, reasons) if level else ("patch", ["package metadata (registry.json) changed"])
        else:
            level, reasons = None, [", ".join(f"{a.num_rows} {t} rows" for t, a in data_tables.items())]
        version = versioning.next_version(previous, level)
        target = package_dir / version
        if target.exists():
            raise TwindataError(f"{target}: version {version} exists already; a published release is never overwritten")
        added = redirect_rows(retired, version, old_tables)
        identity.check_never_reused(earlier + added, tables)
        tables["redirects"] = _redirects_table(earlier + added)
        csv["redirects"] = csv_bytes(tables["redirects"])
        if "redirects" in old_tables or added:
            changes.update(diff.compare({"redirects": old_tables.get("redirects")} if "redirects" in old_tables else {},
                                        old_schemas, {"redirects": tables["redirects"]}, schemas))
        if base_url is None:
            on_wait("DCAT-AP.de: no base URL is set (TWINDATA_BASE_URL), so dcat.ttl and dcat.jsonld name the files "
                    "relative to where each lies; a portal's harvester needs the URL the releases folder is served "
                    "under")
        with staging_folder(package_dir) as staging:
            return _write(staging, target, tables, csv, schemas, metadata, provenance, digest, versions, latest, base_url,
                          {"from": previous, "to": version, "bump": level, "reasons": reasons,
                           "tables": changes if latest else {},  # a first release's rows are its data, not changes
                           "renamed": added, "contract": _contract_change(previous)},
                          created or utc_stamp(), commit, outputs, views)


def _write(staging: Path, target: Path, tables, csv, schemas, metadata, provenance, digest, versions, latest,
           base_url: str | None, record: dict, created: str, commit: str | None,
           outputs: tuple[Output, ...], views: tuple[View, ...]) -> PublishResult:
    from twindata.publish import pages  # Jinja2, only when a release is written

    package_dir = staging.parent
    (staging / "data").mkdir()
    order = [t for t in schema.published_tables() if t in tables]
    data_files = []
    for output in outputs:
        for t in order:
            path = staging / "data" / f"{t}.{output.extension}"
            output.write(tables[t], csv[t], path)
            data_files.append(citation.ReleaseFile(f"data/{t}.{output.extension}", output.name, path.stat().st_size,
                                                 sha256_file(path), tables[t].num_rows))
    for view in views:
        if all(t in tables for t in view.needs):
            view.write(tables, staging / view.path)
            data_files.append(citation.ReleaseFile(view.path, view.format, (staging / view.path).stat().st_size,
                                                   sha256_file(staging / view.path), None))
    shipped = {k: v for k, v in record.items() if k not in ("renamed", "contract")}
    (staging / "changes.json").write_text(json.dumps(shipped, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    earlier = (package_dir / latest["path"] / "CHANGELOG.md").read_text(encoding="utf-8") if latest else ""
    entry = _changelog_entry(metadata["name"], record, created)
    changelog = entry + earlier.split("\n", 2)[-1] if earlier else entry
    (staging / "CHANGELOG.md").write_text(changelog, encoding="utf-8")
    info = citation.ReleaseInfo(metadata, record["to"], created, digest, provenance, tables,
                              {t: schemas[t] for t in order}, data_files, changelog)
    for path, page in pages.landing_pages(info).items():
        (staging / path).parent.mkdir(exist_ok=True)
        (staging / path).write_bytes(page)
    (staging / "CITATION.cff").write_bytes(citation.citation_cff(info))
    files = {f: f"sha256:{sha256_file(staging / f)}" for f in ("CHANGELOG.md", "changes.json", "index.html", "CITATION.cff")}
    descriptor = _descriptor(metadata, record["to"], created, data_files, schemas, by_name(outputs), views, {
        **provenance, "git_commit": commit, "content_sha256": digest, "previous_version": record["from"],
        "files": files, "portal": catalogue.portal_metadata(metadata, tables)})
    (staging / "datapackage.json").write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    bundle.write_zip(staging, info.zip_name)
    this = {"version": record["to"], "created": created, "path": target.name}
    listed = [(v, package_dir / v["path"]) for v in versions["versions"]] + [(this, staging)]
    from twindata.publish.dcat import dcat_files  # rdflib, only when a release is written

    described = dcat_files(catalogue.dcat_package(descriptor, listed, outputs), base_url, at=f"{target.name}/")
    for name, data in described.items():
        (staging / name).write_bytes(data)
    (staging / bundle.SELF).write_bytes(bundle.sha256sums(staging))
    problems = verify_checksums(staging)  # the gate validated the rows; here: every file as written
    if problems:
        raise TwindataError(f"{staging}: the staged release fails its own check: {problems[0].line()}")
    fsync_tree(staging)
    staging.chmod(0o755)  # mkdtemp makes it private; a release is for everyone to read
    os.rename(staging, target)
    fsync_dir(package_dir)
    versions["versions"].append(version_entry(target, descriptor))
    versions["latest"] = record["to"]
    write_json_atomic(package_dir / "versions.json", versions)
    pages.write_package_page(package_dir, versions, base_url, described)  # this version is the latest: same DCAT
    return PublishResult(metadata["name"], record["to"], target, True, digest)


_REASONS = {
    ("cities", "renamed"): "the city's Wikidata QID became known",
    ("cities", "merged"): "the same city as one published before: its Wikidata QID became known",
    ("cities", "withdrawn"): "no published partnership names the city any more",
    ("partnerships", "renamed"): "the id of one of its cities changed",
    ("partnerships", "merged"): "its claims now belong to a partnership published before",
    ("partnerships", "retyped"): "its claims now belong to a partnership of another type (a city's records confirm "
                                 "it with that type, or a type was corrected)",
    ("partnerships", "renumbered"): "its claims now belong to another phase of the same pair and type",
    ("partnerships", "withdrawn"): "no source states any of its claims any more",
    ("assertions", "renamed"): "the registry's row has a key of its own (phase_id), which a corrected value never "
                               "changes",
    ("assertions", "withdrawn"): "its source no longer makes the statement (a registry row deleted, a statement "
                                 "removed or no longer read)",
    ("images", "renamed"): "the registry's key of the image now names it",
    ("images", "withdrawn"): "no source describes the image any more",
}
CONTRACT_2 = "data contract 2.0: global ids (Wikidata QIDs, else provisional ids) and unordered pairs"


def redirect_rows(retired: dict[str, dict[str, tuple[str | None, str]]], version: str, old_tables: dict) -> list[dict]:
    """The redirects rows of the ids a release retires, with their change and reason."""
    contract_1 = identity.is_contract_1(old_tables)
    rows = []
    for table, mapping in sorted(retired.items()):
        for old, (new, change) in sorted(mapping.items()):
            reason = CONTRACT_2 if contract_1 and change != "withdrawn" else _REASONS.get((table, change), change)
            if table == "cities" and change == "renamed" and not old.startswith(identity.PROVISIONAL) and not contract_1:
                reason = "the registry's key now maps to another city id"
            rows.append({"table": table, "old_id": old, "new_id": new, "since_version": version, "change": change,
                         "reason": reason})
    return rows


def redirects(old_tables: dict[str, pa.Table], tables: dict[str, pa.Table]
              ) -> tuple[list[dict], dict[str, dict[str, tuple[str | None, str]]]]:
    """What the redirects of a release after ``old_tables`` hold: the previous release's rows carried on, and the
    ids it published that ``tables`` does not (``identity.retired_ids``), which become new rows."""
    return _earlier_redirects(old_tables, tables), identity.retired_ids(old_tables, tables)


def _earlier_redirects(old_tables: dict, tables: dict) -> list[dict]:
    """The previous release's redirects, carried on: each with its change (the first redirects were all renames),
    a withdrawn id that is published again dropped (its record is back)."""
    if "redirects" not in old_tables:
        return []
    published = identity.published_ids(tables)
    rows = [{"change": "renamed", **{k: v for k, v in r.items() if v is not None}}
            for r in old_tables["redirects"].to_pylist()]
    return [r for r in rows if not (r["change"] == "withdrawn" and r["old_id"] in published[r["table"]])]


def _redirects_table(rows: list[dict]) -> pa.Table:
    return sorted_arrow(rows, "redirects")


def _contract_change(previous: str | None) -> list[str]:
    """The contract's summary, where this release is the first of the package under the current contract."""
    if previous is None or versioning.major(previous) >= schema.contract_version():
        return []
    return list(schema.package_metadata()["contract"]["summary"])


def _contract_note(record: dict) -> str:
    if not record.get("contract"):
        return ""
    lines = [f"Data contract {schema.contract_version()}.0: what changed for users of the tables.\n"]
    lines += [f"- {line}" for line in record["contract"]]
    return "\n".join(lines) + "\n\n"


def _renamed_note(record: dict, limit: int = 200) -> str:
    retired = record.get("renamed") or []
    renamed = [r for r in retired if r["new_id"] is not None]
    withdrawn = len(retired) - len(renamed)
    if not retired:
        return ""
    lines = [f"Renamed ids ({len(renamed)}; data/redirects.csv lists them all, with the reason):\n"] if renamed else []
    lines += [f"- {r['table']}: {diff.md(r['old_id'])} → {diff.md(r['new_id'])} ({r['change']})" for r in renamed[:limit]]
    if len(renamed) > limit:
        lines.append(f"- … and {len(renamed) - limit} more")
    if withdrawn:
        lines.append(f"{'' if not renamed else chr(10)}Withdrawn ids: {withdrawn} (no source states them any more; "
                     "data/redirects.csv lists them, with the reason).")
    return "\n".join(lines) + "\n\n"


def resource_schema(table: str) -> dict:
    """A published table's Table Schema as a release's resource carries it."""
    descriptor = schema.table_schema(table)
    descriptor.pop("$schema", None)
    return descriptor


def _changelog_entry(package: str, record: dict, created: str) -> str:
    head = f"# Changelog of {package}\n\n"
    why = "; ".join(record["reasons"])
    level = f"{record['bump'].upper()} release" if record["bump"] else "First release"
    since = f" since {record['from']}" if record["from"] else ""
    return (f"{head}## {record['to']} ({created[:10]})\n\n{level}{since}: {why}.\n\n{_contract_note(record)}"
            f"{_renamed_note(record)}{diff.render(record['tables']) if record['from'] else ''}\n")


def _descriptor(metadata: dict, version: str, created: str, data_files: list, schemas: dict[str, dict],
                outputs: dict[str, Output], views: tuple[View, ...], provenance: dict) -> dict:
    package = schema.package_metadata()
    resources = []
    by_path = {v.path: v for v in views}
    for f in data_files:
        if f.path in by_path:
            v = by_path[f.path]
            resources.append({"name": v.name, "type": "file", "path": v.path, "format": v.format,
                              "mediatype": v.media_type, "title": v.title, "description": v.description,
                              "hash": f"sha256:{f.sha256}", "bytes": f.bytes})
            continue
        table, output = f.path.split("/")[-1].rsplit(".", 1)[0], outputs[f.format]
        resource = {"name": output.resource_name(table), "type": "table", "path": f.path, "format": f.format,
                    "mediatype": output.media_type, "title": schemas[table].get("title"),
                    "description": schemas[table].get("description"), "hash": f"sha256:{f.sha256}",
                    **output.describe(f.bytes), "schema": schemas[table]}
        resources.append(resource)
    sources = metadata.get("sources", []) + package["sources"]
    descriptor = {"$schema": PROFILE, "name": metadata["name"], "title": metadata["title"],
                  "description": metadata.get("description"), "version": version, "created": created,
                  "homepage": metadata.get("homepage"), "keywords": ["town twinning", "sister cities", "partnerships"],
                  "licenses": metadata["licenses"], "contributors": metadata.get("contributors"), "sources": sources,
                  "resources": resources,
                  "twindata": {"generator": f"twindata {__version__}", "schemas_sha256": schemas_sha256(), **provenance}}
    return {k: v for k, v in descriptor.items() if v is not None}  # optional properties the registry leaves out
