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
from twindata.reconcile.boundaries import map_outline
from twindata.reconcile.network import MEASURES


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
    ("a map (geopandas)", 'import geopandas as gpd\ncities = gpd.read_parquet("data/cities.geo.parquet")  # GeoParquet 1.1, '
                          'WGS 84\ncities.plot(markersize=1)'),
    ("a graph (networkx, igraph)", 'import networkx as nx\ng = nx.read_graphml("data/network.graphml")  # or twindata.'
                                   'load_graph(...)\ntop = sorted(g.degree, key=lambda kv: -kv[1])[:10]\n\n'
                                   'import igraph as ig\ng = ig.Graph.Read_GraphML("data/network.graphml")'),
)


def _render(template: str, **values) -> bytes:
    return _TEMPLATES.get_template(template).render(values).encode()


def landing_page(info: ReleaseInfo) -> bytes:
    return landing_pages(info)["index.html"]


def landing_pages(info: ReleaseInfo) -> dict[str, bytes]:
    """The release's pages by path: ``index.html``, and for a network a page per country (``countries/<CC>.html``)
    listing its cities and their partners."""
    network = _network(info)
    countries = _countries(network) if network and network["kind"] == "network" else {}
    pages = {f"countries/{code}.html": _render("country.html", m=info.metadata, version=info.version, code=code,
                                               name=_country_name(code), cities=cities, total=total)
             for code, (cities, total) in countries.items()}
    listed = [(code, _country_name(code), len(cities), total) for code, (cities, total) in countries.items()]
    lead, _, measures = info.metadata.get("description", "").partition(MEASURES)
    pages["index.html"] = _render(
        "landing.html", info=info, m=info.metadata, sums=SELF, attribution="; ".join(authors(info.metadata)),
        lead=lead, measures=measures, dictionary=_dictionary(info), pictures=_pictures(info, network),
        vintage=_vintage(info), citation=citation_text(info), bibtex=bibtex(info), snippets=_SNIPPETS,
        network=network, map=_map(network) if network else None,
        timeline=_timeline(network, int(info.created[:4])) if network and network["kind"] == "city" else None,
        countries=sorted(listed, key=lambda c: (-c[3], c[1])))
    return pages


def _country_name(code: str) -> str:
    from twindata.contract.countries import country_name

    return country_name(code) or code


def _countries(network: dict) -> dict[str, tuple[list, int]]:
    """Each country's cities (most partnerships first) with their partners, and its number of partnerships."""
    cities, partners = network["cities"], {}
    for r in network["rows"]:
        confirmed = r["confidence"] == "confirmed"
        partners.setdefault(r["city_a_id"], []).append((r["city_b_id"], confirmed))
        partners.setdefault(r["city_b_id"], []).append((r["city_a_id"], confirmed))
    labels = {k: _label(cities.get(k, {"city_id": k})) for k in partners}  # each partner escaped once
    by_country: dict[str, list] = {}
    for city_id, found in partners.items():
        code = cities.get(city_id, {}).get("country_code")
        if code:
            found.sort(key=lambda p: (cities.get(p[0], {}).get("name") or "", p[0]))
            by_country.setdefault(code, []).append((cities[city_id], found))
    return {code: ([(city.get("name") or city["city_id"], len(found),
                     Markup(", ".join(labels[k] + " (confirmed)" if confirmed else labels[k] for k, confirmed in found)))
                    for city, found in sorted(listed, key=lambda c: (-len(c[1]), c[0].get("name") or ""))],
                   sum(len(found) for _, found in listed))
            for code, listed in sorted(by_country.items())}


def _label(city: dict) -> str:
    """A partner as its country page lists it, escaped: name (country)."""
    code = city.get("country_code")
    return escape(city.get("name") or city.get("city_id") or "") + (f" ({escape(code)})" if code else "")


PARTNER_TABLE = 500  # a package of at most this many partnerships lists them; a larger one shows its summary


def _network(info: ReleaseInfo) -> dict | None:
    """What the page shows of the partnerships: for a city's package, its partners (one row per phase, by year); for
    a network, the most-twinned cities, the pairs of countries and the tiers; with the points of the cities."""
    p, c = info.tables.get("partnerships"), info.tables.get("cities")
    if p is None or c is None or p.num_rows == 0:
        return None
    cities = {r["city_id"]: r for r in c.select(["city_id", "name", "local_name", "country_code", "latitude",
                                                 "longitude"]).to_pylist()}
    rows = p.select(["city_a_id", "city_b_id", "type", "phase", "status", "status_since_year", "start_year",
                     "end_year", "confidence", "source_url"]).to_pylist()
    degree: dict[str, int] = {}
    for r in rows:
        for side in ("city_a_id", "city_b_id"):
            degree[r[side]] = degree.get(r[side], 0) + 1
    top = sorted(degree, key=lambda k: (-degree[k], k))
    if len(rows) <= PARTNER_TABLE:
        home = top[0]
        partners = []
        for r in sorted(rows, key=lambda r: (r["start_year"] or 9999, r["city_a_id"] + r["city_b_id"], r["phase"])):
            other = cities.get(r["city_b_id"] if r["city_a_id"] == home else r["city_a_id"], {})
            partners.append({**r, "partner": other.get("name"), "local_name": other.get("local_name"),
                             "country": other.get("country_code")})
        return {"kind": "city", "home": cities.get(home, {}), "partners": partners,
                "points": [cities[k] for k in top if k in cities], "lines": [(home, k) for k in top[1:]],
                "cities": cities}
    pairs: dict[tuple, int] = {}
    for r in rows:
        key = tuple(sorted((cities.get(r["city_a_id"], {}).get("country_code") or "?",
                            cities.get(r["city_b_id"], {}).get("country_code") or "?")))
        pairs[key] = pairs.get(key, 0) + 1
    confirmed = sum(1 for r in rows if r["confidence"] == "confirmed")
    return {"kind": "network", "top": [(cities.get(k, {}), degree[k]) for k in top[:20]],
            "pairs": sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[:20],
            "confirmed": confirmed, "community": len(rows) - confirmed, "total": len(rows),
            "dated": sum(1 for r in rows if r["start_year"] is not None), "cities_total": len(cities),
            "with_qid": sum(1 for k in cities if k.startswith("Q")),
            "located": sum(1 for v in cities.values() if v["latitude"] is not None),
            "points": [cities[k] for k in top[:300] if k in cities], "lines": [], "cities": cities, "rows": rows}


def _map(network: dict) -> Markup:
    """An inline SVG map (no script, no request): Natural Earth's countries, the cities as points, and lines from a
    city to its partners; equirectangular, x = longitude + 180, y = 90 - latitude."""
    outline = map_outline()
    cities = network["cities"]

    def xy(city: dict) -> tuple[float, float] | None:
        if city.get("latitude") is None or city.get("longitude") is None:
            return None
        return round(float(city["longitude"]) + 180, 2), round(90 - float(city["latitude"]), 2)

    what = "the city and its partners" if network["kind"] == "city" else "the 300 most-twinned cities"
    parts = [f'<svg viewBox="0 12 360 138" role="img" aria-labelledby="map-title" class="map">'
             f'<title id="map-title">Map of {what} (countries: Natural Earth)</title>'
             f'<rect width="360" height="180" fill="#eef4f8"/>'
             f'<path d="{outline}" fill="#d9d9d9" stroke="#fff" stroke-width="0.15"/>']
    for a, b in network["lines"]:
        start, end = xy(cities.get(a, {})), xy(cities.get(b, {}))
        if start and end:
            parts.append(f'<line x1="{start[0]}" y1="{start[1]}" x2="{end[0]}" y2="{end[1]}" stroke="#1f6fb2" '
                         'stroke-width="0.3" stroke-opacity="0.7"/>')
    for city in network["points"]:
        at = xy(city)
        if at:
            parts.append(f'<circle cx="{at[0]}" cy="{at[1]}" r="0.9" fill="#b2182b"><title>'
                         f'{escape(city["name"] or "")}</title></circle>')
    return Markup("".join(parts) + "</svg>")


KINDS = {"twinning": "#1f6fb2", "friendship": "#2e8b3d", "project_partnership": "#d95f02",  # a timeline's colours
         "solidarity_partnership": "#7b3294"}
PAUSED = "#9a9a9a"  # a phase from the year it was suspended


def _timeline(network: dict, until: int) -> Markup:
    """An inline SVG of each partner's phases by year: a bar per phase from its start to its end (or ``until``),
    coloured by its kind, grey from the year it was suspended; a phase without a start year is named, not drawn."""
    partners: dict[str, list] = {}
    for r in network["partners"]:
        partners.setdefault(r["city_b_id"] if r["city_a_id"] == network["home"].get("city_id") else r["city_a_id"],
                            []).append(r)
    years = [r["start_year"] for r in network["partners"] if r["start_year"] is not None]
    first = (min(years, default=until) // 10) * 10
    left, width, row = 150, 600, 18
    x = lambda year: round(left + (min(max(year, first), until) - first) / max(until - first, 1) * width, 1)  # noqa: E731
    height = row * len(partners) + 44
    parts = [f'<svg viewBox="0 0 {left + width + 10} {height}" role="img" aria-labelledby="timeline-title" '
             f'class="timeline"><title id="timeline-title">Phases of each partnership by year, {first} to {until}'
             f'</title>']
    for decade in range(first, until + 1, 10):
        parts.append(f'<line x1="{x(decade)}" y1="0" x2="{x(decade)}" y2="{height - 30}" stroke="#ddd"/>'
                     f'<text x="{x(decade)}" y="{height - 18}" font-size="11" text-anchor="middle">{decade}</text>')
    for i, phases in enumerate(partners.values()):
        y = i * row + 4
        name = phases[0]["partner"] or ""
        parts.append(f'<text x="{left - 6}" y="{y + 11}" font-size="11" text-anchor="end">{escape(_short(name, 22))}</text>')
        for r in phases:
            kind = r["type"].replace("_", " ")
            if r["start_year"] is None:
                parts.append(f'<text x="{left + 4}" y="{y + 11}" font-size="11">{escape(kind)}: year not stated</text>')
                continue
            end = until if r["end_year"] is None else r["end_year"]
            paused = r["status_since_year"] if r["status"] in ("suspended",) else None
            about = f"{kind} {r['start_year']}–{r['end_year'] or ''}" + (
                f", {r['status']} since {paused}" if paused is not None else "")
            parts.append(f'<rect x="{x(r["start_year"])}" y="{y}" width="{max(round(x(end) - x(r["start_year"]), 1), 2)}" '
                         f'height="{row - 6}" fill="{KINDS.get(r["type"], PAUSED)}"><title>{escape(about)}</title></rect>')
            if paused is not None:
                parts.append(f'<rect x="{x(paused)}" y="{y}" width="{max(round(x(end) - x(paused), 1), 2)}" height="{row - 6}" '
                             f'fill="{PAUSED}"><title>{escape(about)}</title></rect>')
    legend = [(k.replace("_", " "), c) for k, c in KINDS.items() if any(r["type"] == k for r in network["partners"])]
    legend.append(("suspended", PAUSED))
    at = left
    for label, colour in legend:
        parts.append(f'<rect x="{at}" y="{height - 11}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{at + 14}" y="{height - 2}" font-size="11">{escape(label)}</text>')
        at += 24 + 6.5 * len(label)
    return Markup("".join(parts) + "</svg>")



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
    return [_short(str(v)) for v in values]


def _short(text: str, limit: int = 60) -> str:
    """A value shown in full, or cut at a space before ``limit`` and marked (never inside a word or an id)."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return (text[:cut] if cut > 0 else text[:limit]) + " …"


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


def _pictures(info: ReleaseInfo, network: dict | None) -> list[dict]:
    """The pictures a release credits, each with its city's name, attribution line, licence and the pages that hold
    it. The page shows their credits and links, not the pictures: it requests nothing from another site."""
    images = info.tables.get("images")
    if images is None or images.num_rows == 0:
        return []
    cities = network["cities"] if network else {}
    return [{**r, "city": cities.get(r["city_id"], {}).get("name") or r["city_id"]}
            for r in images.select(["city_id", "caption", "attribution", "licence_name", "licence_url",
                                    "commons_page_url", "source_url"]).to_pylist()]


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
