"""Wikidata: fetch entities with wbgetentities (50 ids a request) and parse them into city facts.

A parsed entity keeps only what twindata publishes: English label, P17 country, P297 code, P625 coordinates, P1082
population, P18 image and P190 (twinned administrative body) with its statement id, rank, references and P580/P582
qualifiers. ``novalue`` and ``somevalue`` snaks carry no datavalue and are skipped, and so are deprecated statements;
year-precision times (``+1953-00-00T00:00:00Z``) keep the year only. ``claims`` turns the P190 statements into the
``Claim``s every source emits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from twindata.contract.errors import SourceError
from twindata.contract.text import visible
from twindata.sources import Claim, Context, held_value, in_batches
from twindata.sources.transport.http import WikimediaClient
from twindata.sources.transport.snapshots import SnapshotMiss

PROPS = "info|labels|claims"
MAX_LABEL = 300  # characters: the longest a place's name may be (the world inputs' names too)
PARSER_VERSION = 3  # bump when parsing changes, so that cached entities are parsed again
ITEM_URL = "https://www.wikidata.org/wiki/{qid}"
_TIME = re.compile(r"^([+-])(\d+)-(\d\d)-(\d\d)T")
QID = re.compile(r"^Q[1-9][0-9]{0,11}$")


@dataclass
class Moment:
    """A Wikidata time value reduced to what it really says: a year, and the day only at day precision."""

    year: int | None
    date: date | None = None


@dataclass
class Twinning:
    """One P190 statement: the partner's QID, the P580/P582 qualifiers, the statement's id, rank and references."""

    partner_qid: str
    start: Moment = field(default_factory=lambda: Moment(None))
    end: Moment = field(default_factory=lambda: Moment(None))
    statement_id: str | None = None
    rank: str = "normal"
    reference_count: int = 0
    reference_url: str | None = None


@dataclass
class Entity:
    """The facts of one Wikidata item that twindata uses."""

    qid: str
    label: str | None = None
    revision: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    population: int | None = None
    country_qid: str | None = None
    iso_code: str | None = None
    image: str | None = None
    twinnings: list[Twinning] = field(default_factory=list)
    held: list[tuple[str, str, str]] = field(default_factory=list)  # (field, value, why): values of the wrong kind


@dataclass
class FetchResult:
    """Entities found, ids the source says are missing, ids the snapshot cannot answer."""

    entities: dict[str, Entity] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    not_in_snapshot: set[str] = field(default_factory=set)
    retrieval: dict = field(default_factory=dict)  # the snapshot id, or the time of a live retrieval

    @property
    def snapshot_id(self) -> str | None:
        return self.retrieval.get("snapshot_id")

    def merge(self, other: FetchResult) -> None:
        self.entities.update(other.entities)
        self.missing |= other.missing
        self.not_in_snapshot |= other.not_in_snapshot


def parse_time(value: dict) -> Moment:
    """``{"time": "+1953-00-00T00:00:00Z", "precision": 9, ...}`` -> Moment(1953). Day only at precision 11 (Gregorian)."""
    precision, calendar = value.get("precision"), value.get("calendarmodel")
    m = _TIME.match(value.get("time") or "") if isinstance(value.get("time"), str) else None
    if not m or not isinstance(precision, int) or precision < 9:
        return Moment(None)
    year = int(m.group(2)) * (-1 if m.group(1) == "-" else 1)
    day = None
    if precision >= 11 and isinstance(calendar, str) and calendar.endswith("Q1985727") and int(m.group(3)) and int(m.group(4)):
        try:
            day = date(year, int(m.group(3)), int(m.group(4)))
        except ValueError:  # BCE or beyond 9999: a year, no day
            day = None
    return Moment(year, day)


def _statements(entity: dict, prop: str) -> list[dict]:
    """Statements of ``prop`` that have a value: best rank first, deprecated ones and novalue/somevalue left out."""
    claims = entity.get("claims")
    found = [s for s in (claims.get(prop) if isinstance(claims, dict) else None) or []
             if isinstance(s, dict) and s.get("rank") != "deprecated" and isinstance(s.get("mainsnak"), dict)
             and "datavalue" in s["mainsnak"]]
    return sorted(found, key=lambda s: s.get("rank") != "preferred")


def _value(statement: dict):
    datavalue = statement["mainsnak"]["datavalue"]
    return datavalue.get("value") if isinstance(datavalue, dict) else None


def _qualifier(statement: dict, prop: str) -> Moment:
    qualifiers = statement.get("qualifiers")
    for snak in (qualifiers.get(prop) if isinstance(qualifiers, dict) else None) or []:
        value = snak.get("datavalue", {}).get("value") if isinstance(snak, dict) else None
        if isinstance(value, dict) and isinstance(value.get("time"), str):
            return parse_time(value)
    return Moment(None)


def _number(value) -> float | None:
    """A finite number given as a JSON number (not a string, a boolean or NaN)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) else None


def _population(entity: dict) -> tuple[int | None, object]:
    """The population (preferred statement, else the latest P585), and the raw amount where it is not one."""
    statements = _statements(entity, "P1082")
    if not statements:
        return None, None
    if statements[0].get("rank") != "preferred":
        dated = [(_qualifier(s, "P585").year or -10**6, i, s) for i, s in enumerate(statements)]
        statements = [max(dated, key=lambda t: (t[0], -t[1]))[2]]
    value = _value(statements[0])
    amount = value.get("amount") if isinstance(value, dict) else value
    number = float(amount) if isinstance(amount, str) and _AMOUNT.match(amount) else None
    if number is None or not 0 <= number < 1e11 or not number.is_integer():
        return None, amount
    return int(number), None


_AMOUNT = re.compile(r"^[+-]?\d+(\.\d+)?$")
_FILE = re.compile(r"^[^#<>\[\]|{}\x00-\x1f\x7f]{1,240}$")  # a Commons file name: no character MediaWiki forbids


def parse_entity(entity: dict, qid: str | None = None) -> Entity | None:
    """One entity from a wbgetentities answer (either formatversion), or None for a missing/deleted one.
    ``qid`` names it where the answer does not (``props=claims`` leaves out the id). A value of the wrong kind (a
    string latitude, a numeric label, a file name with '|', a P190 value that is no item) is held back, with why,
    in ``held``; the rest of the entity stands."""
    if not isinstance(entity, dict) or "missing" in entity or "claims" not in entity and "labels" not in entity:
        return None
    own = entity.get("id", qid)
    out = Entity(qid=own if isinstance(own, str) and QID.match(own) else qid)

    def hold(name: str, value, why: str) -> None:
        out.held.append(held_value(name, value, why))

    revision = entity.get("lastrevid")
    if revision is not None:
        if isinstance(revision, int) and not isinstance(revision, bool) and revision > 0:
            out.revision = revision
        else:
            hold("wikidata_revision", revision, "lastrevid is not a positive whole number")
    labels = entity.get("labels")
    label = labels.get("en") if isinstance(labels, dict) else None
    if label is not None:
        value = label.get("value") if isinstance(label, dict) else None
        if isinstance(value, str) and len(value) <= MAX_LABEL:
            out.label = visible(value)
        elif isinstance(value, str):
            hold("wikidata_label", value[:80] + "…", f"the English label is {len(value):,} characters long; a place's "
                 f"name has at most {MAX_LABEL}")
        else:
            hold("wikidata_label", value, "the English label is not text")
    if coords := _statements(entity, "P625"):
        value = _value(coords[0])
        lat, lon = (_number(value.get("latitude")), _number(value.get("longitude"))) if isinstance(value, dict) else (None, None)
        if lat is None or lon is None:
            hold("latitude", value, "P625 gives no finite numeric latitude and longitude")
        else:
            out.latitude, out.longitude = lat, lon
    out.population, bad = _population(entity)
    if bad is not None:
        hold("population", bad, "P1082 amount is not a whole number of people")
    if country := _statements(entity, "P17"):
        value = _value(country[0])
        if isinstance(value, dict) and isinstance(value.get("id"), str) and QID.match(value["id"]):
            out.country_qid = value["id"]
        else:
            hold("country_code", value, "P17 is not an item")
    if iso := _statements(entity, "P297"):
        value = _value(iso[0])
        if isinstance(value, str):
            out.iso_code = value
        else:
            hold("country_code", value, "P297 is not text")
    if image := _statements(entity, "P18"):
        value = _value(image[0])
        if isinstance(value, str) and _FILE.match(value):
            out.image = value
        else:
            hold("image_file", value, "P18 is not a Commons file name (it holds a character such as | # < > [ ] { })")
    for s in _statements(entity, "P190"):
        value = _value(s)
        partner = value.get("id") if isinstance(value, dict) else None
        if not isinstance(partner, str) or not QID.match(partner):
            hold("partner_city_id", value, f"P190 statement {s.get('id')!r} does not name an item")
            continue
        references = s.get("references") if isinstance(s.get("references"), list) else []
        urls = [snak.get("datavalue", {}).get("value") for ref in references if isinstance(ref, dict)
                for snak in (ref.get("snaks") or {}).get("P854", []) if isinstance(snak, dict) and "datavalue" in snak]
        urls = [u for u in urls if isinstance(u, str)]
        statement_id = s.get("id") if isinstance(s.get("id"), str) else None
        rank = s.get("rank") if s.get("rank") in ("preferred", "normal") else "normal"
        out.twinnings.append(Twinning(partner, _qualifier(s, "P580"), _qualifier(s, "P582"), statement_id,
                                      rank, len(references), urls[0] if urls else None))
    return out


def parse_wbgetentities(answer: dict, asked: list[str], cache=None) -> FetchResult:
    """Map a wbgetentities answer back to the ids asked, following redirects. With a ``cache``, an entity whose
    lastrevid is unchanged is taken from it instead of being parsed again."""
    result = FetchResult()
    entities = answer.get("entities") if isinstance(answer, dict) else None
    if not isinstance(entities, dict):
        raise SourceError(f"wbgetentities: the answer holds no 'entities' object ({type(entities).__name__})")
    entities = {k: e for k, e in entities.items() if isinstance(e, dict)}
    redirected = {e["redirects"].get("from"): e for e in entities.values() if isinstance(e.get("redirects"), dict)}
    for qid in asked:
        raw = entities.get(qid) or redirected.get(qid)
        if raw is None:
            result.missing.add(qid)
            continue
        parsed = cache.entity(qid, raw.get("lastrevid")) if cache is not None else None
        if parsed is None:
            parsed = parse_entity(raw, qid)
            if parsed is not None and cache is not None:
                cache.put_entity(qid, parsed)
        if parsed is None:
            result.missing.add(qid)
            continue
        result.entities[qid] = parsed
    return result


def fetch_entities(client: WikimediaClient, qids: list[str], cache=None) -> FetchResult:
    """Fetch ``qids`` in batches of 50. In a replayed run, ids the snapshot cannot answer are reported, not fatal."""
    def fetch(batch: list[str]) -> FetchResult:
        params = {"action": "wbgetentities", "ids": "|".join(batch), "props": PROPS, "languages": "en"}
        return parse_wbgetentities(client.get(client.config.wikidata_api, params), batch, cache)

    answers, unanswered = in_batches(sorted(set(qids), key=lambda q: int(q[1:])), fetch)
    result = FetchResult(not_in_snapshot=unanswered)
    for answer in answers:
        result.merge(answer)
    return result


def country_codes_query(country_qids: list[str]) -> str:
    values = " ".join(f"wd:{q}" for q in sorted(country_qids, key=lambda q: int(q[1:])))
    return f"SELECT ?country ?code WHERE {{ VALUES ?country {{ {values} }} ?country wdt:P297 ?code . }}"


def parse_country_codes(answer: dict) -> dict[str, str]:
    """SPARQL JSON results of ``country_codes_query`` -> {country QID: ISO 3166-1 alpha-2 code}."""
    codes = {}
    for binding in answer.get("results", {}).get("bindings", []):
        qid = binding["country"]["value"].rsplit("/", 1)[-1]
        codes.setdefault(qid, binding["code"]["value"])
    return codes


def collect(client: WikimediaClient, registry_qids: list[str], own_qids: list[str], cache=None) -> FetchResult:
    """Everything a release needs from Wikidata: the registry's cities, the partners their P190 statements name,
    and the ISO codes of their countries."""
    result = fetch_entities(client, registry_qids, cache)
    known = set(result.entities) | result.missing | result.not_in_snapshot
    partners = {t.partner_qid for q in own_qids if q in result.entities for t in result.entities[q].twinnings}
    result.merge(fetch_entities(client, sorted(partners - known), cache))
    countries = sorted({e.country_qid for e in result.entities.values() if e.country_qid})
    if countries:
        try:
            codes = parse_country_codes(client.sparql(country_codes_query(countries)))
        except SnapshotMiss:
            codes = {}
        for entity in result.entities.values():
            entity.iso_code = entity.iso_code or codes.get(entity.country_qid)
    return result


def claims(result: FetchResult) -> list[Claim]:
    """Every P190 statement of the entities read, as a claim of the item's side that it is twinned with the partner
    (P190, "twinned administrative body", implies the type twinning)."""
    out = []
    for qid, entity in sorted(result.entities.items(), key=lambda kv: int(kv[0][1:])):
        seen: dict[str, int] = {}
        for t in entity.twinnings:
            if t.statement_id:
                assertion_id = f"wikidata:{t.statement_id}"
            else:  # an answer without statement ids (the bundled snapshot): item, property and partner
                n = seen[t.partner_qid] = seen.get(t.partner_qid, 0) + 1
                assertion_id = f"wikidata:{qid}/P190/{t.partner_qid}" + (f"/{n}" if n > 1 else "")
            out.append(Claim(
                assertion_id, "wikidata", "wikidata", qid, t.partner_qid, type="twinning",
                start_year=t.start.year, start_date=t.start.date, end_year=t.end.year, end_date=t.end.date,
                wikidata_rank=t.rank, reference_count=t.reference_count, reference_url=t.reference_url,
                source_url=ITEM_URL.format(qid=qid) + "#P190",
                source_revision=str(entity.revision) if entity.revision else None, snapshot_id=result.snapshot_id))
    return out


@dataclass(frozen=True)
class WikidataEntities:
    """The Wikidata items of a registry's cities and of the partners their P190 statements name (wbgetentities, 50
    ids a request), with the ISO codes of their countries; an item whose revision is unchanged comes from the cache."""

    name: str = "wikidata_entities"
    needs: tuple[str, ...] = ("registry",)
    description: str = "Wikidata items of the registry's cities and of the partners their P190 names."

    def read(self, context: Context, given: Mapping[str, Any]) -> FetchResult:
        registry = given[self.needs[0]]
        client, cache = context.client, context.cache
        before = client.requests_made
        qids = [q for q in registry.cities["wikidata_qid"] if q]
        own = dict(zip(registry.cities["city_id"], registry.cities["wikidata_qid"]))
        retrieval = {"snapshot_id": client.snapshot.snapshot_id} if client.snapshot else {"retrieved": context.stamp}
        result = collect(client, qids, [own[k] for k in registry.own_keys() if own[k]], cache)
        result.retrieval = retrieval
        context.requests["wikidata"] = client.requests_made - before
        context.requests["entities_reused"] = cache.entities_reused if cache is not None else 0
        return result

    def summary(self, result: FetchResult) -> dict:
        return {"entities": len(result.entities), "missing": sorted(result.missing),
                "not_in_snapshot": sorted(result.not_in_snapshot),
                "mode": f"snapshot {result.snapshot_id}" if result.snapshot_id else "live"}
