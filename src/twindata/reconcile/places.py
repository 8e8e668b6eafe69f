"""Places known by name: a city named without a QID becomes a city only where exactly one Wikidata item of that label
(or one registry city of that name) lies in that country; several candidates make the claim ``ambiguous`` (with the
candidates) and hold it back; no candidate gives a provisional id ``prov:names/<cc>-<name>-<hash>``, the same for
every source that writes that name in that country. Every name resolved is a crosswalk row (source, "name, country"
→ city id); the ``cities`` rows come from what every source said of each place.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections import Counter, defaultdict
from functools import cache

import pandas as pd

from twindata.contract import identity
from twindata.contract.countries import country
from twindata.contract.issues import Issues
from twindata.contract.tables import EXTERNAL, ORIGIN, frame
from twindata.reconcile.claims import layers

NAMES = "names"  # the provisional ids of cities known by name only: prov:names/<cc>-<slug>-<hash>
_COMPOSITE = re.compile(r"\s[–—-]\s|\S[–—]\S")
_QUALIFIED = re.compile(r"\(.+\)\s*$")


@cache
def fold(name: str) -> str:
    """A name as compared: NFC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


_UNMARKED = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe",
                           "þ": "th", "ŀ": "l"})  # letters Unicode gives no decomposition to a base letter


@cache
def variant(name: str) -> str:
    """A name with its marks and punctuation left out ("Iaşi" and "Iași" → "iasi", "Washington, D.C." → "washington
    d c", "Niepołomice" → "niepolomice"): evidence only together with a linked pair or a point, never alone (Lohne
    and Löhne are two places)."""
    letters = unicodedata.normalize("NFKD", name.casefold().translate(_UNMARKED))
    return " ".join("".join(c if c.isalnum() else " " for c in letters if not unicodedata.combining(c)).split())


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


class Places:
    """What the sources say about each city, and the index of Wikidata labels by country."""

    def __init__(self):
        self.info: dict[str, dict] = {}  # city id -> facts (name, country, coordinates, population, layers)
        self.by_label: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.resolved: dict[tuple[str, str], str] = {}  # (source, "name, country") -> city id (the crosswalk)
        self.matched: dict[tuple[str, str], str] = {}  # (source, "name, country") -> the evidence (crosswalk.matched_by)
        self.by_variant: dict[tuple[str, str], set[str]] = defaultdict(set)  # QIDs by variant(label), country
        self.links: set[tuple[str, str]] = set()  # QID pairs a Wikidata extract states, both orders

    def know(self, city_id: str, name: str, code: str | None, country_given: str | None, layer: str,
             lat=None, lon=None, population=None, qid: str | None = None) -> None:
        row = self.info.setdefault(city_id, {"name": name, "code": code, "given": country_given, "layers": set(),
                                             "qid": qid})
        if identity.QID.match(row["name"] or "") and name and not identity.QID.match(name):
            row["name"] = name  # an extract that found no label wrote the QID in its place
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
            if identity.QID.match(city_id):
                self.by_variant[(variant(label), code)].add(city_id)

    def candidates(self, name: str, code: str) -> set[str]:
        """The cities a name in a country may be: by its label, or (items only) by its variant (``variant``)."""
        return self.by_label.get((fold(name), code), set()) | self.by_variant.get((variant(name), code), set())

    def name_as(self, source: str, name: str, given: str | None, city: str, matched_by: str) -> None:
        """Record that a source's name (in its country string) is this city, and on what evidence (the crosswalk)."""
        key = (source, f"{name}, {given}" if given else name)
        self.resolved[key] = city
        self.matched[key] = matched_by

    def link(self, a: str, b: str) -> None:
        """Two items a Wikidata extract states a P190 link between."""
        self.links.update(((a, b), (b, a)))

    def merge(self, into: dict[str, str]) -> None:
        """Fold items into the item each is one place with (``same_places``): every label, link and layer of a
        folded item names the survivor."""
        for index in (self.by_label, self.by_variant):
            for key, ids in index.items():
                if ids & into.keys():
                    index[key] = {into.get(i, i) for i in ids}
        self.links = {(into.get(a, a), into.get(b, b)) for a, b in self.links}
        for old, new in into.items():
            self.info[new]["layers"] |= self.info[old]["layers"]


SAME_PLACE_KM = 7.0  # two items of one label in one country this near are one place at two levels (Leeds, Dubai)


def same_places(places: Places, first: set[str], mentions: Counter) -> dict[str, str]:
    """Items that are one place with another item: the same label (or label variant) in the same country and their
    points within ``SAME_PLACE_KM`` (a city and its municipality, district or emirate: Leeds Q39121 and the City of
    Leeds Q774015, Amsterdam Q727 and Q9899, Dubai Q612 and Q613). Each maps to the group's survivor: an item in
    ``first`` (a registry names it), else the one more statements name, else the lower QID. Kansas City, Missouri
    and Kansas City, Kansas, 10 km apart, stay two places."""
    into = {}
    for ids in places.by_variant.values():
        located = sorted((i for i in ids if identity.QID.match(i) and places.info.get(i, {}).get("lat") is not None),
                         key=lambda i: (i not in first, -mentions[i], identity.sort_key(i)))
        for i, item in enumerate(located):
            if item in into:
                continue
            for other in located[i + 1:]:
                if other not in into and _km(places.info[item], places.info[other]) <= SAME_PLACE_KM:
                    into[other] = item
    return into


def _km(a: dict, b: dict) -> float:
    """Great-circle distance between two places' points (haversine, mean Earth radius)."""
    la1, lo1, la2, lo2 = map(math.radians, (float(a["lat"]), float(a["lon"]), float(b["lat"]), float(b["lon"])))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def resolve(places: Places, source: str, layer: str, name: str, given: str | None, issues: Issues,
             record: str, side_field: str, lat=None, lon=None, population=None) -> str | None:
    """A name (and country string) as a city id; None (and an ambiguous issue) where several items match."""
    code = country(given).code
    candidates = sorted(places.by_label.get((fold(name), code), ()), key=identity.sort_key) if code else []
    located = _located(places, name, code, candidates, lat, lon)
    if located:
        places.name_as(source, name, given, located, "located")
        places.know(located, name, code, given, layer, lat, lon, population)
        return located
    if len(candidates) > 1:
        issues.add("ambiguous", "assertions", record, side_field, f"{name}, {given}", layer,
                   f"the name matches {len(candidates)} cities in {code} ({', '.join(candidates)}); "
                   "no id is guessed, so the claim is held back")
        return None
    city = candidates[0] if candidates else name_id(name, code)
    places.name_as(source, name, given, city, "label" if candidates and identity.QID.match(city) else "name")
    places.know(city, name, code, given, layer, lat, lon, population)
    return city


def _located(places: Places, name: str, code: str | None, candidates: list[str], lat, lon) -> str | None:
    """The one item, of the name's several label candidates (or, with none, of its label-variant candidates: Cancun
    and Cancún), whose point lies within ``SAME_PLACE_KM`` of the point the source gives with the name; else None."""
    if lat is None or lon is None or not code or len(candidates) == 1:
        return None
    here = {"lat": lat, "lon": lon}
    pool = candidates or places.by_variant.get((variant(name), code), ())
    near = [c for c in pool if identity.QID.match(c) and places.info.get(c, {}).get("lat") is not None
            and _km(here, places.info[c]) <= SAME_PLACE_KM]
    return near[0] if len(near) == 1 else None


def resolve_linked(places: Places, source: str, layer: str, sides: list[tuple[str, str | None, tuple]]
                   ) -> tuple[str, str] | None:
    """Both names of a claim as the one pair of items a Wikidata extract links, where their labels (or label
    variants: ``variant``) in their countries offer exactly one such pair: Leeds, of two items, is the one twinned
    with Hangzhou. None where no pair, or more than one, fits."""
    candidates = []
    for name, given, _ in sides:
        code = country(given).code
        if not code:
            return None
        candidates.append(places.candidates(name, code))
    fits = [(x, y) for x in candidates[0] for y in candidates[1] if (x, y) in places.links]
    if len(fits) != 1:
        return None
    for city, (name, given, extra) in zip(fits[0], sides):
        places.name_as(source, name, given, city, "linked_pair")
        places.know(city, name, country(given).code, given, layer, *extra)
    return fits[0]


def linked_item(places: Places, name: str, code: str | None, partners: set[str]) -> str | None:
    """The one item of this name (or name variant) in this country that a Wikidata extract links with one of
    ``partners`` (QIDs), if exactly one is."""
    if not code:
        return None
    fits = {x for x in places.candidates(name, code) if identity.QID.match(x) and any((x, q) in places.links for q in partners)}
    return next(iter(fits)) if len(fits) == 1 else None


CITY_STATES = frozenset({"GI", "HK", "LU", "MC", "MO", "SG", "SM", "VA", "DJ"})  # a city of the country's name


def country_not_city(places: Places, city: str) -> str | None:
    """The name of the country a place is, where its name is its own country's name (Tonga, Samoa, Seychelles) and
    that country is not a city-state (Monaco, Singapore, Gibraltar are cities); else None."""
    info = places.info.get(city)
    if not info or not info["name"] or "," in info["name"] or info["code"] in CITY_STATES:
        return None
    return info["name"] if country(info["name"]).code == info["code"] is not None else None


def same_name(record: str, a: str, ca: str | None, b: str, cb: str | None, layer: str, issues: Issues) -> bool:
    if fold(a) == fold(b) and country(ca).code == country(cb).code:
        issues.add("ambiguous", "assertions", record, "partner_city_id", b, layer,
                   f"the same name on both sides ({a}, {ca}): two places of one name, or an error of the list; "
                   "the claim is held back")
        return True
    return False


def cities(places: Places, named: set[str], issues: Issues) -> pd.DataFrame:
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
        if identity.QID.match(info["name"] or ""):
            issues.add("unresolved", "cities", city, "name", info["name"], row[ORIGIN],
                       "no extract gives the item's label: the name is its QID until a live run reads it")
        if info["code"] is None:
            status = country(info["given"]).status if info["given"] else "unknown"
            issues.add("unresolved", "cities", city, "country_code", info["given"], row[ORIGIN],
                       f"the country given ({info['given'] or 'none'}) is {status}: no ISO 3166-1 code stands for it")
        rows.append(row)
    _misplaced(rows, issues)
    return frame("cities", rows)


def _misplaced(rows: list[dict], issues: Issues) -> None:
    """A misplaced row for every city whose coordinates lie outside its country (``twindata.reconcile.boundaries``);
    the row is published as its sources give it."""
    from twindata.reconcile.boundaries import TOLERANCE, bundled_boundaries  # shapely: the world package only

    found = bundled_boundaries().contradictions([r["country_code"] for r in rows], [r["latitude"] for r in rows],
                                                [r["longitude"] for r in rows])
    for i, where in sorted(found.items()):
        r = rows[i]
        issues.add("misplaced", "cities", r["city_id"], "country_code",
                   f"{r['country_code']} ({r['latitude']}, {r['longitude']})", r[ORIGIN],
                   f"the coordinates lie {where}, not within {TOLERANCE}° of {r['country_code']} (Natural Earth "
                   "1:10m boundaries): the country or the coordinates are wrong; published as the sources give them")
