"""What a release offers people and portals beside its data: the landing page (``index.html``), the package's page
of versions, ``CITATION.cff`` with its plain-text and BibTeX forms, the one-file download (a zip) and ``SHA256SUMS``.

Pages are static HTML, readable without JavaScript and printable; every value that came from a source is escaped
(``html.escape``), so no markup from a registry cell or Commons renders. Links are relative, so a release folder
works wherever it is served. The DCAT-AP.de metadata is ``twindata.dcat``'s; writing these files into the staging
folder, in order, is ``twindata.release``'s.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from html import escape
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from twindata.contract.files import sha256_file
from twindata.contract.text import web_url

SELF = "SHA256SUMS"
_STYLE = """body{font:15px/1.5 system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;
text-align:left;vertical-align:top}th{background:#f2f2f2}code,pre{font:13px/1.4 ui-monospace,monospace}
pre{background:#f6f6f6;padding:.75rem;overflow-x:auto;white-space:pre-wrap}td.hash{word-break:break-all;font-size:12px}
.latest{font-weight:bold}@media print{body{max-width:none}a{color:inherit}}"""


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


# --- the landing page ---------------------------------------------------------------------------------------------

def landing_page(info: ReleaseInfo) -> bytes:
    m = info.metadata
    title = escape(m["title"])
    parts = [f"<h1>{title}</h1>"]
    if m.get("title_de"):
        parts.append(f'<p lang="de"><strong>{escape(m["title_de"])}</strong></p>')
    parts.append(f"<p>{escape(m.get('description', ''))}</p>")
    if m.get("description_de"):
        parts.append(f'<p lang="de">{escape(m["description_de"])}</p>')
    parts.append(f"<p>Version <strong>{escape(info.version)}</strong>, published {escape(info.created)}. "
                 f'<a href="../index.html">Every version</a> · <a href="datapackage.json">datapackage.json</a> · '
                 f'<a href="{escape(info.zip_name)}">everything as one zip</a> · <a href="{SELF}">{SELF}</a> · '
                 '<a href="dcat.ttl">DCAT-AP.de (Turtle)</a> · <a href="dcat.jsonld">(JSON-LD)</a> · '
                 '<a href="CITATION.cff">CITATION.cff</a></p>')
    parts.append("<h2>Licence</h2><ul>" + "".join(
        f'<li>{_link(lic.get("path"), lic.get("name", ""))}{": " + escape(lic["title"]) if lic.get("title") else ""}</li>'
        for lic in m.get("licenses", [])) + "</ul>")
    parts.append(f"<p>Attribution: {escape('; '.join(authors(m)))}.</p>")
    parts.append(_downloads(info))
    parts.append("<h2>What changed</h2><pre>" + escape(info.changelog) + "</pre>")
    parts.append(_dictionary(info))
    credits = _credits(info)
    if credits:
        parts.append(credits)
    parts.append(_vintage(info))
    parts.append("<h2>How to cite</h2><p>" + escape(citation_text(info)) + "</p><pre>" + escape(bibtex(info)) + "</pre>"
                 "<p>A DOI, once the publisher mints one, goes into <code>doi</code> in the package metadata and then "
                 "into every citation form.</p>")
    parts.append(_snippets(info))
    return _page(f"{m['title']} {info.version}", "".join(parts))


def _link(url: str | None, text: str) -> str:
    """A link where the URL is http(s); the text alone where it is anything else."""
    return f'<a href="{escape(url)}">{escape(text)}</a>' if web_url(url) else escape(text)


def _page(title: str, body: str) -> bytes:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>{body}</body></html>\n").encode()


def _downloads(info: ReleaseInfo) -> str:
    rows = "".join(
        f'<tr><td><a href="{escape(f.path)}">{escape(f.path)}</a></td><td>{escape(f.format)}</td>'
        f'<td>{"" if f.rows is None else f"{f.rows:,}"}</td><td>{f.bytes:,}</td><td class="hash">{f.sha256}</td></tr>'
        for f in info.files)
    return ("<h2>Downloads</h2><table><thead><tr><th>file</th><th>format</th><th>rows</th><th>bytes</th>"
            f"<th>sha256</th></tr></thead><tbody>{rows}</tbody></table>")


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


def _dictionary(info: ReleaseInfo) -> str:
    out = ["<h2>Data dictionary</h2>"]
    for table, descriptor in info.schemas.items():
        arrow = info.tables.get(table)
        key = ", ".join(descriptor.get("primaryKey", []))
        out.append(f'<h3 id="{escape(table)}">{escape(table)}</h3><p>{escape(descriptor.get("description", ""))}'
                   f'{" Primary key: " + escape(key) + "." if key else ""}</p>')
        rows = "".join(
            f"<tr><td><code>{escape(f['name'])}</code></td><td>{escape(f['type'])}</td><td>{escape(_constraints(f))}</td>"
            f"<td>{escape(f.get('description', ''))}</td>"
            f"<td>{escape(', '.join(examples(arrow, f['name'])) if arrow is not None else '')}</td></tr>"
            for f in descriptor["fields"])
        out.append("<table><thead><tr><th>field</th><th>type</th><th>constraints</th><th>description</th>"
                   f"<th>examples</th></tr></thead><tbody>{rows}</tbody></table>")
    return "".join(out)


def _credits(info: ReleaseInfo) -> str:
    images = info.tables.get("images")
    if images is None or images.num_rows == 0:
        return ""
    lines = [a for a in images.column("attribution").to_pylist() if a]
    return "<h2>Picture credits</h2><ul>" + "".join(f"<li>{escape(a)}</li>" for a in lines) + "</ul>"


def _vintage(info: ReleaseInfo) -> str:
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
    return "<h2>Vintage of the data</h2><ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>"


def _snippets(info: ReleaseInfo) -> str:
    table = "partnerships"
    python = (f'import twindata\ndf = twindata.load("{table}", release="<this folder or its URL>")\n\n'
              f'import pandas as pd  # or without twindata\ndf = pd.read_parquet("data/{table}.parquet")')
    duckdb = f"SELECT * FROM 'data/{table}.parquet';\n-- or: SELECT * FROM read_csv('data/{table}.csv', header = true);"
    r = f'library(arrow)\ndf <- read_parquet("data/{table}.parquet")'
    return ("<h2>Use it</h2><h3>pandas</h3><pre>" + escape(python) + "</pre><h3>DuckDB</h3><pre>" + escape(duckdb) +
            "</pre><h3>R (arrow)</h3><pre>" + escape(r) + "</pre>")


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
    latest = versions.get("latest")
    rows = "".join(
        f'<tr{" class=latest" if v["version"] == latest else ""}><td><a href="{escape(v["path"])}/index.html">'
        f'{escape(v["version"])}</a>{" (latest)" if v["version"] == latest else ""}</td><td>{escape(v["created"])}</td>'
        f'<td class="hash">{escape(v.get("content_sha256", ""))}</td></tr>'
        for v in sorted(versions.get("versions", []), key=lambda v: v["created"], reverse=True))
    body = (f"<h1>{escape(metadata['title'])}</h1><p>{escape(metadata.get('description', ''))}</p>"
            "<h2>Versions</h2><table><thead><tr><th>version</th><th>published</th><th>content sha256</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
            '<p><a href="versions.json">versions.json</a> · <a href="dcat.ttl">DCAT-AP.de (Turtle)</a></p>')
    return _page(metadata["title"], body)


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
    """The package as ``twindata.dcat`` describes it: from the latest release's datapackage.json, and each version
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
