"""The pages of a release for people: its landing page (``index.html`` in the version's folder) and the package's
page of versions (``index.html`` beside ``versions.json``, replaced with the package's DCAT-AP.de files).

Pages are static HTML, readable without JavaScript and printable, rendered from the Jinja2 templates in ``templates/``
(``landing.html`` and ``package.html`` inside ``layout.html``); this module gathers what they show. They render with
autoescape, so every value that came from a source is escaped (as ``html.escape`` writes it) and no markup from a
registry cell or Commons renders; only http(s) URLs become links. Links are relative, so a release folder works
wherever it is served. How to cite is ``citation``'s, the zip and SHA256SUMS ``bundle``'s, the DCAT-AP.de metadata
``catalogue``'s and ``dcat``'s; writing these files into the staging folder, in order, is ``release``'s.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

import jinja2
import pyarrow as pa
import pyarrow.compute as pc
from markupsafe import Markup

from twindata.contract.text import web_url
from twindata.publish.bundle import SELF
from twindata.publish.catalogue import dcat_package
from twindata.publish.citation import ReleaseInfo, authors, bibtex, citation_text


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
