"""What a package tells portals: the fields of its metadata portals need (publisher, contact, municipality key,
German title and description, DOI, the years covered), and the package as ``twindata.publish.dcat`` describes it in
DCAT-AP.de (every version with its files, their sizes and checksums). Plain data; the RDF is ``dcat``'s."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from twindata.contract.files import sha256_file
from twindata.publish.citation import authors
from twindata.publish.outputs import OUTPUTS, Output, by_name

PORTAL_KEYS = ("title_de", "description_de", "doi", "publisher", "contact", "municipality_key", "contributor_id")
_LICENCE_ORDER = ("CC-BY-SA-4.0", "CC-BY-4.0", "CC0-1.0")  # a file holding several layers is under the strictest


def portal_metadata(metadata: dict, tables: dict[str, pa.Table]) -> dict:
    """What a release's datapackage.json keeps for portals: the package metadata portals need (publisher, contact,
    municipality key, German title and description, DOI) and the years the partnerships cover."""
    kept = {k: metadata[k] for k in PORTAL_KEYS if metadata.get(k)}
    p = tables.get("partnerships")
    if p is not None and p.num_rows:
        years = [y for c in ("start_year", "end_year") for y in p.column(c).to_pylist() if y is not None]
        if years:
            kept["temporal"] = {"start": f"{min(years)}-01-01", "end": f"{max(years)}-12-31"}
    return kept


def dcat_licence(licences: list[dict]) -> str:
    names = [lic.get("name") for lic in licences]
    return next((n for n in _LICENCE_ORDER if n in names), names[0] if names else "CC-BY-4.0")


def _file_type(format_name: str, outputs: tuple[Output, ...]) -> str:
    """The EU file-type authority's code of a resource's format: its output's or view's, else the format's name in
    capitals."""
    from twindata.publish.views import VIEWS

    known = {v.format: v for v in VIEWS} | by_name(outputs)
    return known[format_name].file_type if format_name in known else format_name.upper()


def dcat_package(descriptor: dict, versions: list[tuple[dict, Path]], outputs: tuple[Output, ...] = OUTPUTS) -> dict:
    """The package as ``twindata.publish.dcat`` describes it: from the latest release's datapackage.json, and each version
    (its versions.json entry and folder) with its data files and zip, their sizes and checksums."""
    portal = descriptor.get("twindata", {}).get("portal", {})
    publisher = portal.get("publisher") or {"name": authors(descriptor)[0]}
    contact = portal.get("contact") or {"name": publisher["name"], "url": descriptor.get("homepage")}
    listed = []
    for entry, folder in versions:
        own = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        files = [{"path": r["path"], "format": r["format"], "bytes": (folder / r["path"]).stat().st_size,
                  "sha256": r["hash"].removeprefix("sha256:"), "title": f"{r['name'].removesuffix('-' + r['format'])} ({r['format']})",
                  "media_type": r["mediatype"], "file_type": _file_type(r["format"], outputs)}
                 for r in own.get("resources", [])]
        bundle = folder / f"{own['name']}-{own['version']}.zip"
        if bundle.is_file():
            files.append({"path": bundle.name, "format": "zip", "bytes": bundle.stat().st_size,
                          "sha256": sha256_file(bundle), "title": "every file (zip)", "media_type": "application/zip",
                          "file_type": "ZIP"})
        listed.append({"version": entry["version"], "created": entry["created"], "path": entry["path"], "files": files})
    licence = dcat_licence(descriptor.get("licenses", []))
    return {"name": descriptor["name"], "title": descriptor["title"], "description": descriptor.get("description", ""),
            "keywords": descriptor.get("keywords", []), "homepage": descriptor.get("homepage"),
            "licence": {"name": licence, "attribution": "; ".join(authors(descriptor))},
            "publisher": publisher, "contact": contact, "municipality_key": portal.get("municipality_key"),
            "contributor_id": portal.get("contributor_id"),
            "temporal": portal.get("temporal"), "versions": listed}
