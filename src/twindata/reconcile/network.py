"""Reconcile the world's twinning network: Wikidata's P190 statements, Wikipedia's lists and the cities' own
registries into the published tables of data contract 2.

The rules, never a guess:
- A city is its QID where the source gives one; a name without one is resolved by ``twindata.reconcile.places``
  (exactly one candidate in that country, else ``ambiguous`` and held back, else a provisional id).
- Country strings are read by ``twindata.contract.countries``; a historical, unrecognised or unknown country is an
  ``unresolved`` country_code.
- The same name on both sides of a pair (Eisenberg–Eisenberg) is ``ambiguous``: two places of one name, or an error.
- Every claim is one assertion; claims of one pair collapse into one partnership (``twindata.reconcile.claims``:
  phases, reciprocity from directed claims only, confidence, licence layers).
- A registry's rows are the confirmed tier; its cities' unconfirmed partnerships are listed in data_issues.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable

from twindata.contract.countries import country
from twindata.contract.identity import QID, Crosswalk, History
from twindata.contract.issues import Issues
from twindata.contract.tables import EXTERNAL, ORIGIN, CoreTables, frame
from twindata.reconcile import places as named_places
from twindata.reconcile.claims import build_partnerships
from twindata.reconcile.places import Places, country_not_city, linked_item, resolve, resolve_linked, same_name
from twindata.sources import Claim, wikipedia
from twindata.sources import registry as registry_source
from twindata.sources.extracts import WorldSnapshot
from twindata.sources.registry import Registry


def reconcile(snapshot: WorldSnapshot, registries: list[Registry], history: History = History(),
              progress: Callable[[str], None] = lambda _: None) -> CoreTables:
    """The core tables of the world package; partnership ids continue ``history``; ``progress`` hears each step."""
    issues = Issues(list(snapshot.issues.rows))
    crosswalk = Crosswalk()
    places = Places()
    for r in snapshot.p190:  # the items the Wikidata rows link, and their labels by country
        if r["subject_qid"] and r["partner_qid"]:
            places.link(r["subject_qid"], r["partner_qid"])
        for side in ("subject", "partner"):
            if r[f"{side}_qid"]:
                places.index(r[f"{side}_qid"], r[f"{side}_label"], country(r[f"{side}_country"]).code)
    for reg in registries:
        for c in reg.cities.to_dict("records"):
            qid, matched = c["wikidata_qid"], None
            if qid is None:  # the one item of its name that Wikidata links with a partner the registry names it with
                qid = linked_item(places, c["name"], c["country_code"], _registry_partners(reg, c["city_id"]))
                matched = "linked_pair" if qid else None
            city = crosswalk.add(reg.name, c["city_id"], qid, matched)
            places.know(city, c["name"], c["country_code"], c["country_code"], "registry", qid=qid)
            for label in (c["name"], c["local_name"]):
                places.index(city, label, c["country_code"])
    mentions = Counter()
    for r in snapshot.p190:  # every QID the Wikidata rows give, with its label and country
        for side in ("subject", "partner"):
            qid = r[f"{side}_qid"]
            if qid:
                mentions[qid] += 1
                places.know(qid, r[f"{side}_label"], country(r[f"{side}_country"]).code, r[f"{side}_country"],
                            "wikidata", r[f"{side}_latitude"], r[f"{side}_longitude"], r[f"{side}_population"], qid)
    crosswalk.same = named_places.same_places(places, {q for q in crosswalk.ids.values() if QID.match(q)}, mentions)
    places.merge(crosswalk.same)
    progress(f"places: {len(places.info)} known, {len(crosswalk.same)} items folded into the place they are one with")
    focus = {crosswalk.resolve((reg.name, key)) for reg in registries for key in reg.own_keys()}
    claims = [c for reg in registries for c in registry_source.claims(reg)]
    claims += _wikidata_claims(snapshot, places, issues)
    progress(f"claims: {len(claims)} after the registries' rows and {len(snapshot.p190)} Wikidata statements")
    claims += _wikipedia_claims(snapshot, places, issues)
    progress(f"claims: {len(claims)} after {len(snapshot.pairs)} rows of Wikipedia's lists (the rest held back)")
    partnerships, assertions = build_partnerships(claims, crosswalk, issues, focus, history)
    named = set(partnerships["city_a_id"]) | set(partnerships["city_b_id"])
    progress(f"partnerships: {len(partnerships)} from {len(assertions)} assertions")
    cities = named_places.cities(places, named, issues)
    progress(f"cities: {len(cities)}, coordinates checked against their countries")
    rows = [{**r, ORIGIN: "registry", EXTERNAL: ()} for r in crosswalk.rows()]
    rows += [{"registry": source, "local_key": key, "city_id": city, "matched_by": places.matched[(source, key)],
              ORIGIN: "registry", EXTERNAL: ()}
             for (source, key), city in sorted(places.resolved.items()) if city in named]
    return CoreTables({"cities": cities, "partnerships": partnerships, "assertions": assertions,
                       "images": frame("images", []), "crosswalk": frame("crosswalk", rows)}, issues)


def _not_cities(places: Places, ends, record: str, layer: str, issues: Issues) -> bool:
    """Whether a claim names a country as a side (held back, with a not_a_city row)."""
    found = False
    for city, side_field in zip(ends, ("stated_by_city_id", "partner_city_id")):
        name = country_not_city(places, city)
        if name:
            issues.add("not_a_city", "assertions", record, side_field, f"{name} ({city})", layer,
                       f"{name} is a country, not a city: the claim is held back")
            found = True
    return found


def _registry_partners(registry: Registry, key: str) -> set[str]:
    """The QIDs of the cities a registry names as partners of its city ``key``."""
    qids = dict(zip(registry.cities["city_id"], registry.cities["wikidata_qid"]))
    p = registry.partnerships
    others = list(p.loc[p["city_id"] == key, "partner_city_id"]) + list(p.loc[p["partner_city_id"] == key, "city_id"])
    return {qids[o] for o in others if qids.get(o)}


def _wikidata_claims(snapshot: WorldSnapshot, places: Places, issues: Issues) -> list[Claim]:
    claims = []
    for r in snapshot.p190:
        record = r["assertion_id"]
        if not (r["subject_qid"] and r["partner_qid"]) and same_name(
                record, r["subject_label"], r["subject_country"], r["partner_label"], r["partner_country"],
                "wikidata", issues):
            continue
        ends = []
        linked = None if r["subject_qid"] or r["partner_qid"] else resolve_linked(
            places, r["extract"], "wikidata", [(r[f"{side}_label"], r[f"{side}_country"], tuple(
                r[f"{side}_{k}"] for k in ("latitude", "longitude", "population"))) for side in ("subject", "partner")])
        for i, (side, side_field) in enumerate((("subject", "stated_by_city_id"), ("partner", "partner_city_id"))):
            qid = r[f"{side}_qid"] or (linked and linked[i])
            ends.append(qid or resolve(places, r["extract"], "wikidata", r[f"{side}_label"], r[f"{side}_country"],
                                        issues, record, side_field, r[f"{side}_latitude"], r[f"{side}_longitude"],
                                        r[f"{side}_population"]))
        if None in ends or _not_cities(places, ends, record, "wikidata", issues):
            continue
        extract = snapshot.extract(r["extract"])
        stating = next((q for q in (r["subject_qid"], ends[0] if QID.match(ends[0]) else None) if q), None)
        subject_item = stating and f"https://www.wikidata.org/wiki/{stating}#P190"  # the statement, on its item
        claims.append(Claim(
            record, "wikidata", f"Wikidata P190 ({r['extract']})", ends[0], ends[1],
            start_year=r["start_year"], end_year=r["end_year"], wikidata_rank=r["rank"],
            reference_count=r["reference_count"], source_url=subject_item or _cited_file(extract, r["subject_country"]),
            source_revision=_retrieved(extract), snapshot_id=snapshot.snapshot_id, directed=r["directed"],
            note=None if r["directed"] else "the extract names the pair without saying which item states it"))
    return claims


def _retrieved(extract: dict) -> str | None:
    """The day the extract was read, as its manifest gives it (text only)."""
    value = extract.get("retrieved")
    return value if isinstance(value, str) else None


_FILE_URL = re.compile(r"^https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/blob/[0-9a-f]{40}/[A-Za-z0-9_./-]+$")


def _cited_file(extract: dict, given: str | None) -> str:
    """The extract's file that holds the rows of a subject country (the 2017 extract names one per country), else
    the Wikidata home page: what a statement whose stating item is known by label only can cite."""
    cite = extract.get("cite")
    url = cite.get(given) if isinstance(cite, dict) and isinstance(given, str) else None
    return url if isinstance(url, str) and _FILE_URL.match(url) else "https://www.wikidata.org/"


def _wikipedia_claims(snapshot: WorldSnapshot, places: Places, issues: Issues) -> list[Claim]:
    claims, seen = [], set()
    extract = snapshot.extract("wikipedia")
    for r in snapshot.pairs:
        parts = (r["city1"], r["country1"] or "", r["city2"], r["country2"] or "")
        record = "wikipedia:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]
        if record in seen or same_name(record, r["city1"], r["country1"], r["city2"], r["country2"], "wikipedia",
                                        issues):
            continue
        seen.add(record)
        linked = resolve_linked(places, "wikipedia", "wikipedia",
                                [(r["city1"], r["country1"], ()), (r["city2"], r["country2"], ())])
        a, b = linked or (
            resolve(places, "wikipedia", "wikipedia", r["city1"], r["country1"], issues, record, "stated_by_city_id"),
            resolve(places, "wikipedia", "wikipedia", r["city2"], r["country2"], issues, record, "partner_city_id"))
        if a is None or b is None or _not_cities(places, (a, b), record, "wikipedia", issues):
            continue
        claims.append(Claim(
            record, "wikipedia", wikipedia.NAME, a, b, source_url=wikipedia.page_url(r["country1"]),
            source_revision=_retrieved(extract), snapshot_id=snapshot.snapshot_id, directed=False,
            note="the list names the pair without saying which city states it"))
    return claims


def measures(tables: dict) -> dict:
    """What a world release holds, for its description and the README: partnerships, cities, the share of cities
    with a QID per source layer, reciprocity, assertions per source, ambiguous and unresolved counts."""
    p = tables["partnerships"].to_pydict()
    c = tables["cities"].to_pydict()
    a = tables["assertions"].column("source").to_pylist()
    kinds = tables["data_issues"].column("kind").to_pylist()
    directed = [x or y for x, y in zip(p["stated_by_city_a"], p["stated_by_city_b"])]
    both = sum(1 for x, y in zip(p["stated_by_city_a"], p["stated_by_city_b"]) if x and y)
    qid_share = {}
    for layer in ("registry", "wikidata", "wikipedia"):
        named = [q for q, ls in zip(c["wikidata_qid"], c["layers"]) if layer in ls.split()]
        qid_share[layer] = round(sum(1 for q in named if q) / len(named), 3) if named else None
    dated = sum(1 for a, b in zip(p["start_year"], p["end_year"]) if a is not None or b is not None)
    return {"partnerships": len(p["partnership_id"]), "dated": dated,
            "confirmed": sum(1 for v in p["confidence"] if v == "confirmed"),
            "cities": len(c["city_id"]), "cities_with_qid": sum(1 for q in c["wikidata_qid"] if q),
            "qid_share_by_layer": qid_share,
            "stated_by_a_city": sum(directed), "reciprocal": both,
            "assertions_by_source": {s: a.count(s) for s in sorted(set(a))},
            "ambiguous": kinds.count("ambiguous"), "unresolved": kinds.count("unresolved"),
            "with_coordinates": sum(1 for y in c["latitude"] if y is not None), "misplaced": kinds.count("misplaced")}


MEASURES = " This release: "  # where the measures begin in a description (a page shows them apart from its lead)


def describe(m: dict) -> str:
    """The measures as the sentences a package's description carries, opening with ``MEASURES``."""
    share = ", ".join(f"{layer} {v:.0%}" for layer, v in m["qid_share_by_layer"].items() if v is not None)
    sources = ", ".join(f"{n} {s}" for s, n in m["assertions_by_source"].items())
    return (f"{MEASURES}{m['partnerships']} partnerships ({m['confirmed']} confirmed by a city's records) between "
            f"{m['cities']} cities, {m['cities_with_qid']} of them with a Wikidata QID (share with a QID among the cities "
            f"each layer names: {share}). Of the {m['stated_by_a_city']} partnerships a Wikidata statement or a registry "
            f"states from a side, {m['reciprocal']} are stated from both sides. Assertions: {sources}. "
            f"{m['ambiguous']} claims held back as ambiguous and {m['unresolved']} unresolved facts are listed in "
            f"data_issues. {m['with_coordinates']} cities have coordinates; {m['misplaced']} of them lie outside the "
            "country their row gives (Natural Earth's boundaries) and are listed as misplaced. "
            f"Dates: {m['dated']} of the {m['partnerships']} partnerships carry a start or end year (the "
            "temporal coverage is theirs); the others are undated, as their sources are.")
