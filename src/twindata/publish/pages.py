"""What a release offers people and portals beside its data: the landing page (``index.html``), the package's page
of versions, ``CITATION.cff`` with its plain-text and BibTeX forms, the one-file download (a zip) and ``SHA256SUMS``.

Pages are static HTML, readable without JavaScript and printable, rendered from the Jinja2 templates in ``templates/``
(``landing.html`` and ``package.html`` inside ``layout.html``); this module gathers what they show. They render with
autoescape, so every value that came from a source is escaped (as ``html.escape`` writes it) and no markup from a
registry cell or Commons renders; only http(s) URLs become links. Links are relative, so a release folder works
wherever it is served. The DCAT-AP.de metadata is ``twindata.publish.dcat``'s; writing these files into the staging
folder, in order, is ``twindata.publish.release``'s.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from html import escape
from pathlib import Path

import jinja2
import pyarrow as pa
import pyarrow.compute as pc
from markupsafe import Markup

from twindata.contract.files import sha256_file
from twindata.contract.text import web_url

SELF = "SHA256SUMS"


@dataclass
class ReleaseFile:
    path: str
    format: str
    bytes: int
    sha256: str
    rows: int | None = None


@dataclass
class ReleaseInfo:
    """What the pages and the citation of one release say."""

    metadata: dict
    version: str
    created: str
    content_sha256: str
    provenance: dict
    tables: dict[str, pa.Table]
    schemas: dict[str, dict]
    files: list[ReleaseFile]
    changelog: str

    @property
    def name(self) -> str:
        return self.metadata["name"]

    @property
    def zip_name(self) -> str:
        return f"{self.name}-{self.version}.zip"


# --- citation ----------------------------------------------------------------------------------------------------

def authors(metadata: dict) -> list[str]:
    """Who to credit: the package's contributors, rights holders first, then creators and the others."""
    order = {"rightsHolder": 0, "creator": 1}
    people = sorted(metadata.get("contributors") or [], key=lambda c: min(order.get(r, 2) for r in c.get("roles", [""])))
    return [c["title"] for c in people if c.get("title")] or ["twindata contributors"]


def licence_names(metadata: dict) -> list[str]:
    return [lic.get("name") or lic.get("path", "") for lic in metadata.get("licenses", [])]


def citation_text(info: ReleaseInfo) -> str:
    doi = info.metadata.get("doi")
    where = f"https://doi.org/{doi}" if doi else info.metadata.get("homepage", "")
    return (f"{'; '.join(authors(info.metadata))} ({info.created[:4]}). {info.metadata['title']} (version "
            f"{info.version}) [Data set]. {where + '. ' if where else ''}Content sha256 {info.content_sha256}.")


def bibtex(info: ReleaseInfo) -> str:
    key = f"{info.name}-{info.version}".replace(".", "-")
    fields = [("title", _bib(info.metadata["title"])),
              ("author", " and ".join(f"{{{_bib(a)}}}" for a in authors(info.metadata))),
              ("year", info.created[:4]), ("version", info.version), ("howpublished", "Data package (CSV, Parquet)"),
              ("url", info.metadata.get("homepage")), ("doi", info.metadata.get("doi")),
              ("note", f"Content sha256 {info.content_sha256}")]
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields if v)
    return f"@misc{{{key},\n{body}\n}}\n"


def _bib(value: str) -> str:
    """A value as BibTeX text: its special characters escaped."""
    return "".join(f"\\{c}" if c in "&%$#_{}" else c for c in str(value))


def citation_cff(info: ReleaseInfo) -> bytes:
    """CITATION.cff (Citation File Format 1.2.0) of the release, as JSON (a YAML subset) so any YAML reader takes it."""
    cff = {"cff-version": "1.2.0", "message": "If you use this data, please cite it as below.", "type": "dataset",
           "title": info.metadata["title"], "version": info.version, "date-released": info.created[:10],
           "authors": [{"name": a} for a in authors(info.metadata)],
           "license": licence_names(info.metadata)[0] if len(licence_names(info.metadata)) == 1 else licence_names(info.metadata),
           "abstract": info.metadata.get("description", ""),
           "identifiers": ([{"type": "doi", "value": info.metadata["doi"]}] if info.metadata.get("doi") else []) +
                          [{"type": "other", "value": f"sha256:{info.content_sha256}",
                            "description": "content checksum of the release (twindata content_sha256)"}]}
    if info.metadata.get("homepage"):
        cff["url"] = info.metadata["homepage"]
    return (json.dumps(cff, indent=2, ensure_ascii=False) + "\n").encode()


# --- the landing page and the package's page -----------------------------------------------------------------------

def _escape(value: object) -> Markup:
    """A value as ``html.escape`` writes it (quotes as ``&quot;`` and ``&#x27;``; markupsafe's ``&#34;`` and ``&#39;``
    would change the published bytes); markup, a macro's output, as it is."""
    return value if isinstance(value, Markup) else Markup(escape(str(value)))


_TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("twindata.publish"), autoescape=True, finalize=_escape,
                                keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
_TEMPLATES.tests["web_url"] = web_url

_SNIPPETS = (  # how to read the release, shown on its page
    ("pandas", 'import twindata\ndf = twindata.load("partnerships", release="<this folder or its URL>")\n\n'
               'import pandas as pd  # or without twindata\ndf = pd.read_parquet("data/partnerships.parquet")'),
    ("DuckDB", "SELECT * FROM 'data/partnerships.parquet';\n"
               "-- or: SELECT * FROM read_csv('data/partnerships.csv', header = true);"),
    ("R (arrow)", 'library(arrow)\ndf <- read_parquet("data/partnerships.parquet")'),
)


def _render(template: str, **values) -> bytes:
    return _TEMPLATES.get_template(template).render(values).encode()


def landing_page(info: ReleaseInfo) -> bytes:
    return _render("landing.html", info=info, m=info.metadata, sums=SELF, attribution="; ".join(authors(info.metadata)),
                   dictionary=_dictionary(info), credits=_credits(info), vintage=_vintage(info),
                   citation=citation_text(info), bibtex=bibtex(info), snippets=_SNIPPETS)


def _constraints(field: dict) -> str:
    c = field.get("constraints", {})
    out = [k for k in ("required", "unique") if c.get(k)]
    out += [f"{k} {json.dumps(v, ensure_ascii=False)}" for k, v in c.items() if k not in ("required", "unique")]
    if field.get("format"):
        out.append(f"format {field['format']}")
    return "; ".join(out)


def examples(table: pa.Table, name: str, n: int = 3) -> list[str]:
    """Up to ``n`` distinct values of a column, in published order."""
    column = table.column(name)
    values = pc.unique(pc.drop_null(column)).slice(0, n).to_pylist() if column.null_count < len(column) else []
    return [str(v)[:60] for v in values]


def _dictionary(info: ReleaseInfo) -> list[tuple[str, str, str, list[tuple[str, ...]]]]:
    """Each table's name, description and primary key, and each of its fields' name, type, constraints, description
    and example values."""
    out = []
    for table, descriptor in info.schemas.items():
        arrow = info.tables.get(table)
        fields = [(f["name"], f["type"], _constraints(f), f.get("description", ""),
                   ", ".join(examples(arrow, f["name"])) if arrow is not None else "") for f in descriptor["fields"]]
        out.append((table, descriptor.get("description", ""), ", ".join(descriptor.get("primaryKey", [])), fields))
    return out


def _credits(info: ReleaseInfo) -> list[str] | None:
    """The pictures' attributions; None where the release has no pictures."""
    images = info.tables.get("images")
    if images is None or images.num_rows == 0:
        return None
    return [a for a in images.column("attribution").to_pylist() if a]


def _vintage(info: ReleaseInfo) -> list[str]:
    p = info.provenance
    items = []
    if p.get("retrieved"):
        items.append(f"Wikidata and Commons read live at {p['retrieved']}")
    if p.get("snapshot_id"):
        items.append(f"inputs replayed from snapshot {p['snapshot_id']}")
    for name, extract in sorted((p.get("extracts") or {}).items()):
        items.append(f"{name}: retrieved {extract.get('retrieved', '?')} ({extract.get('origin', '')})")
    if p.get("registry_sha256"):
        items.append(f"the registry as of sha256 {p['registry_sha256']}")
    return items


def write_package_page(package_dir: Path, versions: dict, base_url: str | None = None,
                       described: dict[str, bytes] | None = None) -> None:
    """Replace the package's page (``index.html``) and its DCAT-AP.de (``dcat.ttl``, ``dcat.jsonld``; ``described``
    where the caller has them already) beside versions.json after it changed; title, description and portal
    metadata are the latest release's."""
    from twindata.contract.files import read_json, write_bytes_atomic

    latest = next(v for v in versions["versions"] if v["version"] == versions["latest"])
    metadata = read_json(package_dir / latest["path"] / "datapackage.json", "datapackage.json")
    write_bytes_atomic(package_dir / "index.html", package_page(metadata, versions))
    if described is None:
        from twindata.publish.dcat import dcat_files

        listed = [(v, package_dir / v["path"]) for v in versions["versions"]]
        described = dcat_files(dcat_package(metadata, listed), base_url)
    for name, data in described.items():
        write_bytes_atomic(package_dir / name, data)


def package_page(metadata: dict, versions: dict) -> bytes:
    """The package's page: every version, newest first, the latest marked."""
    newest_first = sorted(versions.get("versions", []), key=lambda v: v["created"], reverse=True)
    return _render("package.html", m=metadata, versions=newest_first, latest=versions.get("latest"))


# --- the one-file download and the checksum list --------------------------------------------------------------------

def write_zip(folder: Path, name: str) -> Path:
    """Every file of the release folder as written so far in one zip (the DCAT files and SHA256SUMS come after it:
    they state the zip's own checksum), in a fixed order with fixed times, so the same files give the same bytes.
    Parquet files (compressed already) are stored, text is deflated at the fastest level."""
    target = folder / name
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p != target)
    with zipfile.ZipFile(target, "w") as z:
        for path in files:
            entry = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            stored = path.suffix == ".parquet"
            entry.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            z.writestr(entry, path.read_bytes(), compresslevel=None if stored else 1)
    return target


def sha256sums(folder: Path) -> bytes:
    """``SHA256SUMS`` of every file of the release folder (the format ``sha256sum -c`` reads)."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != SELF):
        digest = sha256_file(path)
        lines.append(f"{digest}  {path.relative_to(folder).as_posix()}\n")
    return "".join(lines).encode()


# --- what the DCAT-AP.de metadata is made of ------------------------------------------------------------------------

PORTAL_KEYS = ("title_de", "description_de", "doi", "publisher", "contact", "municipality_key")
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


def dcat_package(descriptor: dict, versions: list[tuple[dict, Path]]) -> dict:
    """The package as ``twindata.publish.dcat`` describes it: from the latest release's datapackage.json, and each version
    (its versions.json entry and folder) with its data files and zip, their sizes and checksums."""
    portal = descriptor.get("twindata", {}).get("portal", {})
    publisher = portal.get("publisher") or {"name": authors(descriptor)[0]}
    contact = portal.get("contact") or {"name": publisher["name"], "url": descriptor.get("homepage")}
    listed = []
    for entry, folder in versions:
        own = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        files = [{"path": r["path"], "format": r["format"], "bytes": (folder / r["path"]).stat().st_size,
                  "sha256": r["hash"].removeprefix("sha256:"), "title": f"{r['name']} ({r['format']})"}
                 for r in own.get("resources", [])]
        bundle = folder / f"{own['name']}-{own['version']}.zip"
        if bundle.is_file():
            files.append({"path": bundle.name, "format": "zip", "bytes": bundle.stat().st_size,
                          "sha256": sha256_file(bundle), "title": "every file (zip)"})
        listed.append({"version": entry["version"], "created": entry["created"], "path": entry["path"], "files": files})
    licence = dcat_licence(descriptor.get("licenses", []))
    return {"name": descriptor["name"], "title": descriptor["title"], "description": descriptor.get("description", ""),
            "keywords": descriptor.get("keywords", []), "homepage": descriptor.get("homepage"),
            "licence": {"name": licence, "attribution": "; ".join(authors(descriptor))},
            "publisher": publisher, "contact": contact, "municipality_key": portal.get("municipality_key"),
            "temporal": portal.get("temporal"), "versions": listed}
