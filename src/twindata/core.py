"""Core: reconcile what the sources claim into the published tables: ``cities``, ``partnerships``, ``assertions``,
``images`` and ``crosswalk``.

Every source's claim becomes one row of ``assertions``; ``partnerships`` is the reconciled view over them. A phase is
defined by a city's own records (each registry row is one phase of its pair and type); a community claim (Wikidata)
attaches to the phase of its pair that its dates fall in, else the current one, else it forms a community-only
partnership (type twinning, no status) that ``data_issues`` lists as unconfirmed. A published value is one the
defining sources agree on, never a guess: where sources disagree the other values are ``conflict`` rows, and where
no source gives a fact an ``unresolved`` row says so. Rows carry two private columns for the validation gate:
``_origin`` (registry, wikidata or commons) and ``_external`` (fields whose value came from an outside source).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

import pandas as pd

from twindata import identity, licences, schema
from twindata.identity import Crosswalk
from twindata.issues import Issues
from twindata.sources import Claim
from twindata.sources import registry as registry_source
from twindata.sources import wikidata
from twindata.sources.commons import CommonsImage, CommonsResult
from twindata.sources.registry import Registry

ORIGIN, EXTERNAL = "_origin", "_external"
PHASE_FIELDS = ("status", "status_since_year", "start_year", "start_date", "end_year", "end_date")
COMPARED = ("type", "status", "start_year", "start_date", "end_year", "end_date")
COMMUNITY_TYPE = "twinning"  # what Wikidata P190 (twinned administrative body) and Wikipedia's lists imply
LAYERS = ("registry", "wikidata", "wikipedia")  # the sources of the partnership and city rows, each a licence layer


@dataclass
class CoreTables:
    """The published tables before the gate, and what building them found to report."""

    frames: dict[str, pd.DataFrame]
    issues: Issues = field(default_factory=Issues)


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    """A DataFrame with the table's columns in schema order, plus the gate's private columns."""
    names = schema.columns(table) + [ORIGIN, EXTERNAL]
    return pd.DataFrame([{n: r.get(n) for n in names} for r in rows], columns=names, dtype=object)


def commons_titles(registries: list[Registry], wd: wikidata.FetchResult) -> list[str]:
    """Every Commons file a release describes: the cities' Wikidata images and the registries' named files."""
    titles = {f"File:{e.image}" for e in wd.entities.values() if e.image}
    titles |= {t for reg in registries for t in reg.images["commons_file_title"] if t}
    return sorted(titles)


def reconcile(registries: list[Registry], wd: wikidata.FetchResult, cm: CommonsResult) -> CoreTables:
    """The core tables from the registries' records, Wikidata's entities and Commons' metadata."""
    issues = Issues()
    crosswalk = Crosswalk()
    for reg in registries:
        for key, qid in zip(reg.cities["city_id"], reg.cities["wikidata_qid"]):
            crosswalk.add(reg.name, key, qid)
    focus = {crosswalk.resolve((reg.name, key)) for reg in registries for key in reg.own_keys()}
    claims = [c for reg in registries for c in registry_source.claims(reg)]
    claims += [c for c in wikidata.claims(wd) if c.stated_by in focus or c.partner in focus]
    partnerships, assertions = build_partnerships(claims, crosswalk, issues)
    cities = build_cities(registries, crosswalk, wd, partnerships, issues)
    images = build_images(registries, crosswalk, cities, cm, issues)
    rows = [{**r, ORIGIN: "registry", EXTERNAL: ()} for r in crosswalk.rows()]
    return CoreTables({"cities": cities, "partnerships": partnerships, "assertions": assertions, "images": images,
                       "crosswalk": frame("crosswalk", rows)}, issues)


# --- partnerships and assertions -------------------------------------------------------------------------------

@dataclass
class _Phase:
    pair: tuple[str, str]
    type: str
    n: int
    claims: list[tuple[Claim, str, str]] = field(default_factory=list)  # (claim, stated by, partner) as global ids
    values: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return identity.partnership_id(*self.pair, self.type, self.n)

    @property
    def defining(self) -> list[Claim]:
        return [c for c, _, _ in self.claims if c.defines_phase]


def build_partnerships(claims: list[Claim], crosswalk: Crosswalk, issues: Issues,
                       focus: set[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Partnerships and assertions from the claims. ``focus`` names the cities whose unconfirmed partnerships are
    listed in data_issues (the registries' own cities; every city where None)."""
    resolved = []
    for c in claims:
        stated_by, partner = crosswalk.resolve(c.stated_by), crosswalk.resolve(c.partner)
        if stated_by == partner:
            issues.add("quarantined_row", "assertions", c.assertion_id, "partner_city_id", partner, c.source,
                       "a city cannot partner itself: the claim names the same city on both sides")
            continue
        resolved.append((c, stated_by, partner))
    phases: dict[tuple, _Phase] = {}
    of_row: dict[tuple, _Phase] = {}  # a registry row (its phase tuple) -> its phase
    rows_by_group = defaultdict(list)
    for c, s, p in resolved:
        if c.defines_phase:
            rows_by_group[(identity.pair(s, p), c.type)].append((c, s, p))
    for (pair, type_), rows in sorted(rows_by_group.items(), key=lambda kv: str(kv[0])):
        # every registry's and every side's row of the same start year is one phase; phases numbered by date
        starts = sorted({c.start_year or 0 for c, _, _ in rows})
        for c, s, p in rows:
            n = starts.index(c.start_year or 0) + 1
            phase = phases.setdefault((pair, type_, n), _Phase(pair, type_, n))
            phase.claims.append((c, s, p))
            of_row[c.phase] = phase
    for phase in phases.values():
        _settle(phase, phase.defining, issues)
    community: dict[tuple, list] = defaultdict(list)
    for c, s, p in resolved:
        if c.defines_phase:
            continue
        if c.phase is not None:
            of_row[c.phase].claims.append((c, s, p))
        else:
            community[identity.pair(s, p)].append((c, s, p))
    by_pair = defaultdict(list)
    for ph in phases.values():
        by_pair[ph.pair].append(ph)
    for pair, cs in community.items():
        candidates = by_pair[pair]
        if not candidates:
            phase = phases.setdefault((pair, COMMUNITY_TYPE, 1), _Phase(pair, COMMUNITY_TYPE, 1))
            phase.claims += cs
            _settle(phase, [c for c, _, _ in cs], issues)
            continue
        for c, s, p in cs:
            _place(c, candidates).claims.append((c, s, p))
    rows, assertions = [], []
    for phase in sorted(phases.values(), key=lambda ph: ph.id):
        rows.append(_partnership_row(phase, issues, focus))
        assertions += [_assertion_row(phase, c, s, p) for c, s, p in sorted(phase.claims, key=lambda x: x[0].assertion_id)]
    return frame("partnerships", rows), frame("assertions", assertions)


def _settle(phase: _Phase, basis: list[Claim], issues: Issues) -> None:
    """The phase's published values: what the basis claims (the registries' rows, else the community claims) agree
    on; where they disagree, no value and a conflict row for each claim."""
    for name in PHASE_FIELDS:
        stated = {getattr(c, name) for c in basis if getattr(c, name) is not None}
        phase.values[name] = next(iter(stated)) if len(stated) == 1 else None
        if len(stated) > 1:
            for c in basis:
                issues.add("conflict", "partnerships", phase.id, name, getattr(c, name), c.source,
                           f"{c.assertion_id} says {getattr(c, name)}; the sources disagree, so none is published")
    v = phase.values
    if v["status_since_year"] is None and v["status"] in ("active", "ended"):
        v["status_since_year"] = v["start_year"] if v["status"] == "active" else v["end_year"]


def _place(claim: Claim, candidates: list[_Phase]) -> _Phase:
    """The phase a community claim is about: the one its start year falls in, else the current one (a twinning
    first), else the latest."""
    if claim.start_year is not None:
        inside = [ph for ph in candidates if ph.values["start_year"] is not None
                  and ph.values["start_year"] <= claim.start_year
                  and (ph.values["end_year"] is None or claim.start_year < ph.values["end_year"])]
        if len(inside) == 1:
            return inside[0]
    current = [ph for ph in candidates if ph.values["status"] != "ended"] or candidates
    return max(current, key=lambda ph: (ph.type == COMMUNITY_TYPE, ph.values["start_year"] or 0, ph.n))


def _partnership_row(phase: _Phase, issues: Issues, focus: set[str] | None = None) -> dict:
    a, b = phase.pair
    claims = [c for c, _, _ in phase.claims]
    defining = phase.defining
    first = defining[0] if defining else min(claims, key=lambda c: c.assertion_id)
    published = {"type": phase.type, **phase.values}
    basis = set(id(c) for c in (defining or claims))
    for c in claims:
        if id(c) in basis:
            continue
        for name in COMPARED:
            if name == "type" and c.source == "wikidata":
                continue  # P190 names a twinned body of any kind: no disagreement on the type
            value, ours = getattr(c, name), published[name]
            if value is not None and ours is not None and value != ours:
                issues.add("conflict", "partnerships", phase.id, name, value, c.source,
                           f"{c.assertion_id} (stated by {_side(c, phase)}) gives {value}; published: {ours}")
    confirmed = any(c.confirmed for c in claims)
    if not confirmed and (focus is None or focus & set(phase.pair)):
        issues.add("unconfirmed", "partnerships", phase.id, None, None, first.source,
                   f"stated only by community sources ({', '.join(sorted(c.assertion_id for c in claims))}); "
                   "no city's records confirm it")
    return {"partnership_id": phase.id, "city_a_id": a, "city_b_id": b, "type": phase.type, "phase": phase.n,
            **phase.values,
            "stated_by_city_a": any(s == a for c, s, _ in phase.claims if c.directed),
            "stated_by_city_b": any(s == b for c, s, _ in phase.claims if c.directed),
            "confidence": "confirmed" if confirmed else "community", "assertion_count": len(claims),
            "layers": layers(c.source for c in claims),
            "source_url": first.source_url, "note": first.note if defining else None,
            ORIGIN: "registry" if defining else first.source,
            EXTERNAL: () if defining else PHASE_FIELDS}


def layers(sources) -> str:
    """The licence layers of a row: the sources behind it, in a fixed order."""
    given = set(sources)
    return " ".join(s for s in LAYERS if s in given)


def _side(claim: Claim, phase: _Phase) -> str:
    return next(s for c, s, _ in phase.claims if c is claim)


def _assertion_row(phase: _Phase, c: Claim, stated_by: str, partner: str) -> dict:
    return {"assertion_id": c.assertion_id, "partnership_id": phase.id, "source": c.source,
            "source_name": c.source_name, "stated_by_city_id": stated_by, "partner_city_id": partner,
            "type": c.type, "status": c.status, "start_year": c.start_year, "start_date": c.start_date,
            "end_year": c.end_year, "end_date": c.end_date, "wikidata_rank": c.wikidata_rank,
            "reference_count": c.reference_count, "reference_url": c.reference_url, "source_url": c.source_url,
            "source_revision": c.source_revision, "snapshot_id": c.snapshot_id, "note": c.note,
            ORIGIN: c.source, EXTERNAL: () if c.confirmed else _filled_by("assertions", c.source)}


@cache
def _filled_by(table: str, source: str) -> tuple[str, ...]:
    """The fields of a table that the schema says an outside source fills."""
    return tuple(f for f in schema.columns(table) if schema.outside_source(table, f) == source)


# --- cities --------------------------------------------------------------------------------------------------

def _missing_reason(qid: str, wd: wikidata.FetchResult) -> str:
    if qid in wd.not_in_snapshot:
        return f"the snapshot holds no answer for {qid}; a live run (--live) can fetch it"
    return f"Wikidata reports {qid} missing or deleted"


def build_cities(registries: list[Registry], crosswalk: Crosswalk, wd: wikidata.FetchResult,
                 partnerships: pd.DataFrame, issues: Issues) -> pd.DataFrame:
    rows: dict[str, dict] = {}
    for reg in registries:
        for c in reg.cities.to_dict("records"):
            city_id = crosswalk.resolve((reg.name, c["city_id"]))
            if city_id in rows:
                continue  # a second registry naming the same city adds no facts of its own to the row
            row = {"city_id": city_id, "wikidata_qid": c["wikidata_qid"], "name": c["name"],
                   "local_name": c["local_name"], "country_code": c["country_code"], "layers": "registry",
                   ORIGIN: "registry", EXTERNAL: ()}
            qid = c["wikidata_qid"]
            if qid is None:
                issues.add("unresolved", "cities", city_id, "wikidata_qid", None, "registry",
                           "no source at hand gives this city's Wikidata item")
            elif qid not in wd.entities:
                issues.add("unresolved", "cities", city_id, "wikidata_qid", qid, "wikidata", _missing_reason(qid, wd))
            else:
                entity = wd.entities[qid]
                _report_held(entity, city_id, issues)
                values = _entity_values(entity)
                row.update(values)
                row[EXTERNAL] = tuple(k for k, v in values.items() if v is not None)
                row["layers"] = layers(["registry", "wikidata"])
                if entity.iso_code and c["country_code"] != entity.iso_code:
                    issues.add("conflict", "cities", city_id, "country_code", entity.iso_code, "wikidata",
                               f"Wikidata's country has code {entity.iso_code}; the registry says {c['country_code']}")
                _report_gaps(row, issues)
            rows[city_id] = row
    named = sorted(set(partnerships["city_a_id"]) | set(partnerships["city_b_id"]), key=identity.sort_key)
    for qid in (q for q in named if q not in rows):
        entity = wd.entities.get(qid)
        row = {"city_id": qid, "wikidata_qid": qid, "layers": "wikidata", ORIGIN: "wikidata", EXTERNAL: ()}
        if entity is None:
            issues.add("unresolved", "cities", qid, "name", qid, "wikidata", _missing_reason(qid, wd))
        else:
            _report_held(entity, qid, issues)
            values = {**_entity_values(entity), "country_code": entity.iso_code}
            row.update(values, name=entity.label)
            row[EXTERNAL] = tuple(k for k, v in values.items() if v is not None)
            _report_gaps(row, issues)
        rows[qid] = row
    return frame("cities", list(rows.values()))


def _report_held(source: wikidata.Entity | CommonsImage, record_id: str, issues: Issues) -> None:
    """The values of a Wikidata item (a city's, or a P190 statement's partner) or a Commons file that were of the
    wrong kind, each a quarantined_value row."""
    for name, value, why in source.held:
        if isinstance(source, CommonsImage):
            table, origin = "images", "commons"
        else:
            table, origin = ("assertions" if name == "partner_city_id" else "cities"), "wikidata"
        issues.add("quarantined_value", table, record_id, name, value, origin, why)


def _entity_values(entity: wikidata.Entity) -> dict:
    return {"wikidata_label": entity.label, "latitude": entity.latitude, "longitude": entity.longitude,
            "population": entity.population, "image_file": f"File:{entity.image}" if entity.image else None,
            "wikidata_revision": entity.revision}


def _report_gaps(row: dict, issues: Issues) -> None:
    for name in ("country_code", "latitude"):
        if row.get(name) is None:
            issues.add("unresolved", "cities", row["city_id"], name, None, "wikidata",
                       f"Wikidata item {row['wikidata_qid']} gives no {'country code' if name == 'country_code' else 'coordinates'}")


# --- images --------------------------------------------------------------------------------------------------

def build_images(registries: list[Registry], crosswalk: Crosswalk, cities: pd.DataFrame, commons: CommonsResult,
                 issues: Issues) -> pd.DataFrame:
    rows = []
    for reg in registries:
        for img in reg.images.to_dict("records"):
            image_id = f"{reg.name}/{img['image_id']}"
            row = {**img, "image_id": image_id, "city_id": crosswalk.resolve((reg.name, img["city_id"])),
                   "licence_spdx": licences.spdx_id(img["licence_name"]), "attribution_required": True,
                   "credited_by_registry": True, "described_by_commons": False, ORIGIN: "registry", EXTERNAL: ()}
            title = img["commons_file_title"]
            found = commons.images.get(title) if title else None
            if title is None:
                issues.add("unresolved", "images", image_id, "commons_file_title", None, "registry",
                           "the page that credits the picture names no Commons file")
            elif found is None:
                issues.add("unresolved", "images", image_id, "commons_file_title", title, "commons",
                           _commons_missing_reason(title, commons))
            else:
                _report_held(found, image_id, issues)
                external = _file_values(found)
                row.update(external, described_by_commons=True, attribution_required=found.attribution_required)
                row[EXTERNAL] = tuple(external)
                if found.licence_name and found.licence_name != img["licence_name"]:
                    issues.add("conflict", "images", image_id, "licence_name", found.licence_name, "commons",
                               f"Commons gives {found.licence_name}; the registry says {img['licence_name']}")
            row["attribution"] = licences.attribution_line(
                img["caption"], img["author"], licences.credited_source(img["credit"], img["author"]),
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
        _report_held(found, record_id, issues)
        public_domain = licences.is_public_domain(found.licence_name, found.copyrighted)
        caption = found.object_name or found.description or title.removeprefix("File:")
        rows.append({**_file_values(found), "image_id": record_id, "city_id": city["city_id"], "caption": caption,
                     "author": found.author, "author_url": found.author_url, "licence_name": found.licence_name,
                     "licence_spdx": found.licence_spdx, "licence_url": found.licence_url,
                     "attribution_required": found.attribution_required and not public_domain,
                     "attribution": licences.attribution_line(caption, found.author, "Wikimedia Commons",
                                                              found.licence_name, found.licence_url, public_domain),
                     "credit": found.credit, "credited_by_registry": False, "described_by_commons": True,
                     "source_url": found.page_url, ORIGIN: "commons", EXTERNAL: _filled_by("images", "commons")})
    return frame("images", rows)


def _file_values(image: CommonsImage) -> dict:
    return {"commons_file_title": image.title, "commons_page_url": image.page_url, "image_url": image.image_url,
            "width": image.width, "height": image.height, "file_size_bytes": image.file_size_bytes,
            "mime_type": image.mime_type}


def _commons_missing_reason(title: str, commons: CommonsResult) -> str:
    if title in commons.not_in_snapshot:
        return "the snapshot holds no answer for this file; a live run (--live) can fetch it"
    return "Commons reports no such file"
