"""Reconcile the world's twinning network: Wikidata's P190 statements, Wikipedia's lists and the cities' own
registries into the published tables of data contract 2.

The rules, never a guess:
- A city is its QID where the source gives one. A name without one is matched to a city only where exactly one
  Wikidata item of that label, or one registry city of that name, lies in that country; several candidates make the claim ``ambiguous`` in data_issues, with the candidates, and it is held back.
  No candidate gives a provisional id ``prov:names/<cc>-<name>-<hash>``, the same for every source that writes the same
  name in the same country. Every name resolved is a crosswalk row (source, "name, country" → city id).
- Country strings are read by ``twindata.countries``; a historical, unrecognised or unknown country is an
  ``unresolved`` country_code.
- The same name on both sides of a pair (Eisenberg–Eisenberg) is ``ambiguous``: two places of one name, or an error.
- Every claim is one assertion; claims of one pair collapse into one partnership (core's rules: phases, reciprocity
  from directed claims only, confidence, licence layers).
- A registry's rows are the confirmed tier; its cities' unconfirmed partnerships are listed in data_issues.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from functools import cache

import pandas as pd

from twindata import identity
from twindata.core import EXTERNAL, ORIGIN, CoreTables, build_partnerships, frame, layers
from twindata.countries import country
from twindata.identity import Crosswalk
from twindata.issues import Issues
from twindata.sources import Claim
from twindata.sources import registry as registry_source
from twindata.sources.registry import Registry
from twindata.sources.world import WorldSnapshot

NAMES = "names"  # the provisional ids of cities known by name only: prov:names/<cc>-<slug>-<hash>
WIKIPEDIA_URL = "https://en.wikipedia.org/wiki/Lists_of_twin_towns_and_sister_cities"
_COMPOSITE = re.compile(r"\s[–—-]\s|\S[–—]\S")
_QUALIFIED = re.compile(r"\(.+\)\s*$")


def fold(name: str) -> str:
    """A name as compared: NFC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


@cache
def name_id(name: str, code: str | None) -> str:
    """The provisional id of a city known by its name (and country) only."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = "-".join(re.findall(r"[a-z0-9]+", ascii_name))[:40].strip("-")
    digest = hashlib.sha256(f"{fold(name)}\x1f{code or ''}".encode()).hexdigest()[:8]
    return identity.provisional_id(NAMES, "-".join(p for p in ((code or "xx").lower(), slug, digest) if p))


def name_form(name: str) -> str | None:
    if _QUALIFIED.search(name):
        return "qualified"
    if _COMPOSITE.search(name):
        return "composite"
    return None


class _Places:
    """What the sources say about each city, and the index of Wikidata labels by country."""

    def __init__(self):
        self.info: dict[str, dict] = {}  # city id -> facts (name, country, coordinates, population, layers)
        self.by_label: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.resolved: dict[tuple[str, str], str] = {}  # (source, "name, country") -> city id (the crosswalk)

    def know(self, city_id: str, name: str, code: str | None, country_given: str | None, layer: str,
             lat=None, lon=None, population=None, qid: str | None = None) -> None:
        row = self.info.setdefault(city_id, {"name": name, "code": code, "given": country_given, "layers": set(),
                                             "qid": qid})
        row["layers"].add(layer)
        for key, value in (("lat", lat), ("lon", lon), ("population", population)):
            if value is not None and row.get(key) is None:
                row[key] = value
        if row["code"] is None and code is not None:
            row["code"], row["given"] = code, country_given
        if qid is not None:
            self.index(qid, name, code)

    def index(self, city_id: str, label: str | None, code: str | None) -> None:
        """Make a label (in a country) name this city: a Wikidata item's label, a registry city's names."""
        if label and code:
            self.by_label[(fold(label), code)].add(city_id)


def reconcile(snapshot: WorldSnapshot, registries: list[Registry]) -> CoreTables:
    """The core tables of the world package."""
    issues = Issues(list(snapshot.issues.rows))
    crosswalk = Crosswalk()
    places = _Places()
    for reg in registries:
        for c in reg.cities.to_dict("records"):
            city = crosswalk.add(reg.name, c["city_id"], c["wikidata_qid"])
            places.know(city, c["name"], c["country_code"], c["country_code"], "registry", qid=c["wikidata_qid"])
            for label in (c["name"], c["local_name"]):
                places.index(city, label, c["country_code"])
    for r in snapshot.p190:  # every QID the Wikidata rows give, with its label and country
        for side in ("subject", "partner"):
            qid = r[f"{side}_qid"]
            if qid:
                places.know(qid, r[f"{side}_label"], country(r[f"{side}_country"]).code, r[f"{side}_country"],
                            "wikidata", r[f"{side}_latitude"], r[f"{side}_longitude"], r[f"{side}_population"], qid)
    focus = {crosswalk.resolve((reg.name, key)) for reg in registries for key in reg.own_keys()}
    claims = [c for reg in registries for c in registry_source.claims(reg)]
    claims += _wikidata_claims(snapshot, places, issues)
    claims += _wikipedia_claims(snapshot, places, issues)
    partnerships, assertions = build_partnerships(claims, crosswalk, issues, focus)
    named = set(partnerships["city_a_id"]) | set(partnerships["city_b_id"])
    cities = _cities(places, named, issues)
    rows = [{**r, ORIGIN: "registry", EXTERNAL: ()} for r in crosswalk.rows()]
    rows += [{"registry": source, "local_key": key, "city_id": city, ORIGIN: "registry", EXTERNAL: ()}
             for (source, key), city in sorted(places.resolved.items()) if city in named]
    return CoreTables({"cities": cities, "partnerships": partnerships, "assertions": assertions,
                       "images": frame("images", []), "crosswalk": frame("crosswalk", rows)}, issues)


def _resolve(places: _Places, source: str, layer: str, name: str, given: str | None, issues: Issues,
             record: str, side_field: str, lat=None, lon=None, population=None) -> str | None:
    """A name (and country string) as a city id; None (and an ambiguous issue) where several items match."""
    code = country(given).code
    candidates = sorted(places.by_label.get((fold(name), code), ()), key=identity.sort_key) if code else []
    if len(candidates) > 1:
        issues.add("ambiguous", "assertions", record, side_field, f"{name}, {given}", layer,
                   f"the name matches {len(candidates)} cities in {code} ({', '.join(candidates)}); "
                   "no id is guessed, so the claim is held back")
        return None
    city = candidates[0] if candidates else name_id(name, code)
    places.resolved[(source, f"{name}, {given}" if given else name)] = city
    places.know(city, name, code, given, layer, lat, lon, population)
    return city


def _same_name(record: str, a: str, ca: str | None, b: str, cb: str | None, layer: str, issues: Issues) -> bool:
    if fold(a) == fold(b) and country(ca).code == country(cb).code:
        issues.add("ambiguous", "assertions", record, "partner_city_id", b, layer,
                   f"the same name on both sides ({a}, {ca}): two places of one name, or an error of the list; "
                   "the claim is held back")
        return True
    return False


def _wikidata_claims(snapshot: WorldSnapshot, places: _Places, issues: Issues) -> list[Claim]:
    claims = []
    for r in snapshot.p190:
        record = r["assertion_id"]
        if not (r["subject_qid"] and r["partner_qid"]) and _same_name(
                record, r["subject_label"], r["subject_country"], r["partner_label"], r["partner_country"],
                "wikidata", issues):
            continue
        ends = []
        for side, side_field in (("subject", "stated_by_city_id"), ("partner", "partner_city_id")):
            qid = r[f"{side}_qid"]
            ends.append(qid or _resolve(places, r["extract"], "wikidata", r[f"{side}_label"], r[f"{side}_country"],
                                        issues, record, side_field, r[f"{side}_latitude"], r[f"{side}_longitude"],
                                        r[f"{side}_population"]))
        if None in ends:
            continue
        extract = snapshot.extract(r["extract"])
        subject_item = r["subject_qid"] and f"https://www.wikidata.org/wiki/{r['subject_qid']}"
        claims.append(Claim(
            record, "wikidata", f"Wikidata P190 ({r['extract']})", ends[0], ends[1],
            start_year=r["start_year"], end_year=r["end_year"], wikidata_rank=r["rank"],
            reference_count=r["reference_count"], source_url=subject_item or extract.get("url") or "https://www.wikidata.org/",
            source_revision=extract.get("retrieved"), snapshot_id=snapshot.snapshot_id, directed=r["directed"],
            note=None if r["directed"] else "the extract names the pair without saying which item states it"))
    return claims


def _wikipedia_claims(snapshot: WorldSnapshot, places: _Places, issues: Issues) -> list[Claim]:
    claims, seen = [], set()
    extract = snapshot.extract("wikipedia")
    for r in snapshot.pairs:
        parts = (r["city1"], r["country1"] or "", r["city2"], r["country2"] or "")
        record = "wikipedia:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]
        if record in seen or _same_name(record, r["city1"], r["country1"], r["city2"], r["country2"], "wikipedia",
                                        issues):
            continue
        seen.add(record)
        a = _resolve(places, "wikipedia", "wikipedia", r["city1"], r["country1"], issues, record, "stated_by_city_id")
        b = _resolve(places, "wikipedia", "wikipedia", r["city2"], r["country2"], issues, record, "partner_city_id")
        if a is None or b is None:
            continue
        claims.append(Claim(
            record, "wikipedia", "Wikipedia: lists of twin towns and sister cities", a, b, source_url=WIKIPEDIA_URL,
            source_revision=extract.get("retrieved"), snapshot_id=snapshot.snapshot_id, directed=False,
            note="the list names the pair without saying which city states it"))
    return claims


def _cities(places: _Places, named: set[str], issues: Issues) -> pd.DataFrame:
    rows = []
    for city in sorted(named, key=identity.sort_key):
        info = places.info[city]
        qid = city if identity.QID.match(city) else None
        from_wikidata = "wikidata" in info["layers"]
        row = {"city_id": city, "wikidata_qid": qid, "name": info["name"], "country_code": info["code"],
               "wikidata_label": info["name"] if qid and from_wikidata else None,
               "latitude": info.get("lat"), "longitude": info.get("lon"), "population": info.get("population"),
               "layers": layers(info["layers"]), "name_form": None if qid else name_form(info["name"]),
               ORIGIN: "registry" if "registry" in info["layers"] else ("wikidata" if from_wikidata else "wikipedia")}
        row[EXTERNAL] = () if row[ORIGIN] == "registry" else ("latitude", "longitude", "population")
        if info["code"] is None:
            status = country(info["given"]).status if info["given"] else "unknown"
            issues.add("unresolved", "cities", city, "country_code", info["given"], row[ORIGIN],
                       f"the country given ({info['given'] or 'none'}) is {status}: no ISO 3166-1 code stands for it")
        rows.append(row)
    return frame("cities", rows)


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
    return {"partnerships": len(p["partnership_id"]),
            "confirmed": sum(1 for v in p["confidence"] if v == "confirmed"),
            "cities": len(c["city_id"]), "cities_with_qid": sum(1 for q in c["wikidata_qid"] if q),
            "qid_share_by_layer": qid_share,
            "stated_by_a_city": sum(directed), "reciprocal": both,
            "assertions_by_source": {s: a.count(s) for s in sorted(set(a))},
            "ambiguous": kinds.count("ambiguous"), "unresolved": kinds.count("unresolved")}


def describe(m: dict) -> str:
    """The measures as the sentences a package's description carries."""
    share = ", ".join(f"{layer} {v:.0%}" for layer, v in m["qid_share_by_layer"].items() if v is not None)
    sources = ", ".join(f"{n} {s}" for s, n in m["assertions_by_source"].items())
    return (f" This release: {m['partnerships']} partnerships ({m['confirmed']} confirmed by a city's records) between "
            f"{m['cities']} cities, {m['cities_with_qid']} of them with a Wikidata QID (share with a QID among the cities "
            f"each layer names: {share}). Of the {m['stated_by_a_city']} partnerships a Wikidata statement or a registry "
            f"states from a side, {m['reciprocal']} are stated from both sides. Assertions: {sources}. "
            f"{m['ambiguous']} claims held back as ambiguous and {m['unresolved']} unresolved facts are listed in "
            "data_issues.")
