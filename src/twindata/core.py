"""Core tables: reconcile the registry with Wikidata and Commons into ``cities``, ``partnerships`` and ``images``.

One row per city, per partnership phase and per image. The registry's values win and every other source's value is
kept beside them or reported: where sources disagree a ``conflict`` row goes to ``data_issues``, where no source
gives a fact an ``unresolved`` row does. Each row carries two private columns for the validation gate: ``_origin``
(registry, wikidata or commons) and ``_external`` (fields whose value came from an outside source).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from twindata import schema
from twindata.registry import Registry
from twindata.sources.commons import CommonsImage, spdx_id
from twindata.sources.wikidata import Entity, FetchResult, Twinning

ORIGIN, EXTERNAL = "_origin", "_external"
# what the gate may blank in a Commons row (quarantining the value) instead of holding back the whole image
_OPTIONAL_COMMONS_FIELDS = ("author_url", "licence_spdx", "licence_url", "credit", "commons_page_url", "image_url",
                            "width", "height", "file_size_bytes", "mime_type")
WIKIDATA_ITEM = "https://www.wikidata.org/wiki/{qid}"
_FREE_LICENCE = re.compile(r"^(CC|PD|Public domain|FAL|Free Art|GFDL|ODbL|Attribution|Copyrighted free use|No restrictions)", re.I)
_NON_FREE = re.compile(r"\b(NC|ND|non-?commercial|no ?deriv)", re.I)  # CC BY-NC / BY-ND are not free licences


@dataclass
class CommonsResult:
    """Commons metadata by title asked, titles Commons reports missing, titles a snapshot cannot answer."""

    images: dict[str, CommonsImage] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    not_in_snapshot: set[str] = field(default_factory=set)
    requests: int = 0
    requests_saved: int = 0


@dataclass
class Issues:
    """Rows of the data_issues table, collected as the tables are built."""

    rows: list[dict] = field(default_factory=list)

    def add(self, kind: str, table: str, record_id: str, field: str | None, value, source: str, reason: str) -> None:
        self.rows.append({"kind": kind, "table": table, "record_id": record_id, "field": field,
                          "value": None if value is None else str(value), "source": source, "reason": reason})

    def frame(self) -> pd.DataFrame:
        return frame("data_issues", [{**r, ORIGIN: "registry", EXTERNAL: ()} for r in self.rows])


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    """A DataFrame with the table's columns in schema order, plus the gate's private columns."""
    names = schema.columns(table) + [ORIGIN, EXTERNAL]
    return pd.DataFrame([{n: r.get(n) for n in names} for r in rows], columns=names, dtype=object)


def city_id_for_qid(qid: str) -> str:
    return qid.lower()


def commons_titles(registry: Registry, wikidata: FetchResult) -> list[str]:
    """Every Commons file a release describes: the cities' Wikidata images and the registry's named files."""
    titles = {f"File:{e.image}" for e in wikidata.entities.values() if e.image}
    titles |= {t for t in registry.images["commons_file_title"] if t}
    return sorted(titles)


def _missing_reason(qid: str, wikidata: FetchResult) -> str:
    if qid in wikidata.not_in_snapshot:
        return f"the snapshot holds no answer for {qid}; a live run (--live) can fetch it"
    return f"Wikidata reports {qid} missing or deleted"


def build_cities(registry: Registry, wikidata: FetchResult, issues: Issues) -> pd.DataFrame:
    rows = []
    qid_to_city = {}
    for c in registry.cities.to_dict("records"):
        row = {**c, "sources": "registry", ORIGIN: "registry", EXTERNAL: ()}
        qid = c["wikidata_qid"]
        if qid is None:
            issues.add("unresolved", "cities", c["city_id"], "wikidata_qid", None, "registry",
                       "no source at hand gives this city's Wikidata item")
        elif qid not in wikidata.entities:
            issues.add("unresolved", "cities", c["city_id"], "wikidata_qid", qid, "wikidata", _missing_reason(qid, wikidata))
        else:
            entity = wikidata.entities[qid]
            values = _entity_values(entity)
            row.update(values, sources="registry;wikidata")
            row[EXTERNAL] = tuple(k for k, v in values.items() if v is not None)
            if entity.iso_code and c["country_code"] != entity.iso_code:
                issues.add("conflict", "cities", c["city_id"], "country_code", entity.iso_code, "wikidata",
                           f"Wikidata's country has code {entity.iso_code}; the registry says {c['country_code']}")
            _report_gaps(row, issues)
        qid_to_city[qid] = c["city_id"]
        rows.append(row)
    for qid in _wikidata_only_partners(registry, wikidata, qid_to_city):
        entity = wikidata.entities.get(qid)
        row = {"city_id": city_id_for_qid(qid), "wikidata_qid": qid, "sources": "wikidata",
               ORIGIN: "wikidata", EXTERNAL: ()}
        if entity is None:
            issues.add("unresolved", "cities", row["city_id"], "name", qid, "wikidata", _missing_reason(qid, wikidata))
        else:
            values = {**_entity_values(entity), "country_code": entity.iso_code}
            row.update(values, name=entity.label)
            row[EXTERNAL] = tuple(k for k, v in values.items() if v is not None)
            _report_gaps(row, issues)
        rows.append(row)
    return frame("cities", rows)


def _entity_values(entity: Entity) -> dict:
    return {"wikidata_label": entity.label, "latitude": entity.latitude, "longitude": entity.longitude,
            "population": entity.population, "image_file": f"File:{entity.image}" if entity.image else None,
            "wikidata_revision": entity.revision}


def _report_gaps(row: dict, issues: Issues) -> None:
    for name in ("country_code", "latitude"):
        if row.get(name) is None:
            issues.add("unresolved", "cities", row["city_id"], name, None, "wikidata",
                       f"Wikidata item {row['wikidata_qid']} gives no {'country code' if name == 'country_code' else 'coordinates'}")


def _own_entities(registry: Registry, wikidata: FetchResult):
    """(city_id, entity) for each of the registry's own cities that Wikidata knows."""
    for city_id, qid in registry.own_cities():
        if qid in wikidata.entities:
            yield city_id, wikidata.entities[qid]


def _wikidata_only_partners(registry: Registry, wikidata: FetchResult, qid_to_city: dict) -> list[str]:
    seen = []
    for _, entity in _own_entities(registry, wikidata):
        for t in entity.twinnings:
            if t.partner_qid not in qid_to_city and t.partner_qid not in seen:
                seen.append(t.partner_qid)
    return seen


def build_partnerships(registry: Registry, wikidata: FetchResult, issues: Issues) -> pd.DataFrame:
    city_qid = dict(zip(registry.cities["city_id"], registry.cities["wikidata_qid"]))
    qid_city = {q: c for c, q in city_qid.items() if q}
    registry_rows = registry.partnerships.to_dict("records")
    rows, phases_of = [], {}
    for p in registry_rows:
        row = {**p, "partnership_id": f"{p['city_id']}--{p['partner_city_id']}--{p['type']}",
               "sources": "registry", ORIGIN: "registry", EXTERNAL: ()}
        rows.append(row)
        phases_of.setdefault((p["city_id"], p["partner_city_id"]), []).append(row)
    for city_id, entity in _own_entities(registry, wikidata):
        seen = set()
        for t in entity.twinnings:
            partner_id = qid_city.get(t.partner_qid, city_id_for_qid(t.partner_qid))
            if partner_id in seen:  # a second P190 statement for the same partner attests nothing new
                continue
            seen.add(partner_id)
            phases = phases_of.get((city_id, partner_id))
            if not phases:
                rows.append(_wikidata_only_row(city_id, partner_id, entity, t, wikidata))
                continue
            attested = [r for r in phases if r["status"] != "ended"] or [max(phases, key=lambda r: r["start_year"])]
            for r in attested:
                _attest(r, t, wikidata, city_qid[city_id], issues)
    return frame("partnerships", rows)


def _partner_names_city(partner_qid: str, city_qid: str, wikidata: FetchResult) -> bool:
    partner = wikidata.entities.get(partner_qid)
    return partner is not None and any(t.partner_qid == city_qid for t in partner.twinnings)


def _attest(row: dict, t: Twinning, wikidata: FetchResult, city_qid: str, issues: Issues) -> None:
    sources = ["registry", "wikidata"]
    if _partner_names_city(t.partner_qid, city_qid, wikidata):
        sources.append("wikidata_partner")
    row["sources"] = ";".join(sources)
    row["wikidata_start_year"], row["wikidata_end_year"] = t.start.year, t.end.year
    row[EXTERNAL] = ("wikidata_start_year", "wikidata_end_year")
    for edge, year in (("start", t.start.year), ("end", t.end.year)):
        if year is not None and year != row[f"{edge}_year"]:
            issues.add("conflict", "partnerships", row["partnership_id"], f"{edge}_year", year, "wikidata",
                       f"Wikidata's P190 statement gives {year}; the registry says {row[f'{edge}_year']}")


def _wikidata_only_row(city_id: str, partner_id: str, entity: Entity, t: Twinning, wikidata: FetchResult) -> dict:
    sources = ["wikidata"] + (["wikidata_partner"] if _partner_names_city(t.partner_qid, entity.qid, wikidata) else [])
    return {"partnership_id": f"{city_id}--{partner_id}--twinning", "city_id": city_id, "partner_city_id": partner_id,
            "type": "twinning", "status": "ended" if t.end.year else "active",
            "start_year": t.start.year, "start_date": t.start.date, "end_year": t.end.year, "end_date": t.end.date,
            "wikidata_start_year": t.start.year, "wikidata_end_year": t.end.year,
            "sources": ";".join(sources), "source_url": WIKIDATA_ITEM.format(qid=entity.qid) + "#P190",
            "note": f"Only Wikidata names this partnership ({entity.qid} P190 {t.partner_qid}); the registry has no record of it.",
            ORIGIN: "wikidata", EXTERNAL: ("start_year", "start_date", "end_year", "end_date",
                                           "wikidata_start_year", "wikidata_end_year")}


def attribution_line(caption: str | None, author: str | None, source: str, licence: str | None,
                     licence_url: str | None, public_domain: bool = False) -> str:
    """A ready credit line: "Caption" by Author, Source, Licence (URL)."""
    parts = [f'"{caption}"' + (f" by {author}" if author else "") if caption else (author or "")]
    parts.append(source)
    licence_text = "public domain" + (f" ({licence})" if licence else "") if public_domain else (licence or "")
    if licence_url and not public_domain:
        licence_text += f" ({licence_url})"
    parts.append(licence_text)
    return ", ".join(p for p in parts if p)


def build_images(registry: Registry, cities: pd.DataFrame, commons: CommonsResult, issues: Issues) -> pd.DataFrame:
    rows = []
    for img in registry.images.to_dict("records"):
        row = {**img, "licence_spdx": spdx_id(img["licence_name"]), "sources": "registry", "attribution_required": True,
               ORIGIN: "registry", EXTERNAL: ()}
        title = img["commons_file_title"]
        found = commons.images.get(title) if title else None
        if title is None:
            issues.add("unresolved", "images", img["image_id"], "commons_file_title", None, "registry",
                       "the page that credits the picture names no Commons file")
        elif found is None:
            issues.add("unresolved", "images", img["image_id"], "commons_file_title", title, "commons",
                       _commons_missing_reason(title, commons))
        else:
            external = _file_values(found)
            row.update(external, sources="registry;commons", attribution_required=found.attribution_required)
            row[EXTERNAL] = tuple(external)
            if found.licence_name and found.licence_name != img["licence_name"]:
                issues.add("conflict", "images", img["image_id"], "licence_name", found.licence_name, "commons",
                           f"Commons gives {found.licence_name}; the registry says {img['licence_name']}")
        row["attribution"] = attribution_line(img["caption"], img["author"], _credited_source(img["credit"], img["author"]),
                                              img["licence_name"], img["licence_url"])
        rows.append(row)
    for city in cities.to_dict("records"):
        title = city["image_file"]
        if not title:
            continue
        found = commons.images.get(title)
        record_id = f"commons:{title}"
        if found is None:
            issues.add("unresolved", "images", record_id, "commons_file_title", title, "commons",
                       _commons_missing_reason(title, commons))
            continue
        if not found.licence_name or not _FREE_LICENCE.match(found.licence_name) or _NON_FREE.search(found.licence_name):
            issues.add("quarantined_row", "images", record_id, "licence_name", found.licence_name, "commons",
                       "no free licence: an image is published only with a free licence")
            continue
        public_domain = not found.copyrighted or (found.licence_name or "").upper().startswith(("PD", "PUBLIC DOMAIN", "CC0"))
        caption = found.object_name or found.description or title.removeprefix("File:")
        rows.append({**_file_values(found), "image_id": record_id, "city_id": city["city_id"], "caption": caption,
                     "author": found.author, "author_url": found.author_url, "licence_name": found.licence_name,
                     "licence_spdx": found.licence_spdx, "licence_url": found.licence_url,
                     "attribution_required": found.attribution_required and not public_domain,
                     "attribution": attribution_line(caption, found.author, "Wikimedia Commons", found.licence_name,
                                                     found.licence_url, public_domain),
                     "credit": found.credit, "sources": "commons", "source_url": found.page_url,
                     ORIGIN: "commons", EXTERNAL: _OPTIONAL_COMMONS_FIELDS})
    return frame("images", rows)


def _credited_source(credit: str | None, author: str | None) -> str:
    """Where a credited picture comes from: its credit without the author's name ("Wikimedia Commons / Emmanuel
    LEGRAND" -> "Wikimedia Commons")."""
    if not credit:
        return "Wikimedia Commons"
    if author and author in credit:
        credit = credit.replace(author, "").strip(" /,;-–")
    return credit or "Wikimedia Commons"


def _file_values(image: CommonsImage) -> dict:
    return {"commons_file_title": image.title, "commons_page_url": image.page_url, "image_url": image.image_url,
            "width": image.width, "height": image.height, "file_size_bytes": image.file_size_bytes,
            "mime_type": image.mime_type}


def _commons_missing_reason(title: str, commons: CommonsResult) -> str:
    if title in commons.not_in_snapshot:
        return "the snapshot holds no answer for this file; a live run (--live) can fetch it"
    return "Commons reports no such file"
