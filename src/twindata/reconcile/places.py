"""Places known by name: a city named without a QID becomes a city only where exactly one Wikidata item of that label
(or one registry city of that name) lies in that country; several candidates make the claim ``ambiguous`` (with the
candidates) and hold it back; no candidate gives a provisional id ``prov:names/<cc>-<name>-<hash>``, the same for
every source that writes that name in that country. Every name resolved is a crosswalk row (source, "name, country"
→ city id); the ``cities`` rows come from what every source said of each place.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
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


class Places:
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


def resolve(places: Places, source: str, layer: str, name: str, given: str | None, issues: Issues,
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
        if info["code"] is None:
            status = country(info["given"]).status if info["given"] else "unknown"
            issues.add("unresolved", "cities", city, "country_code", info["given"], row[ORIGIN],
                       f"the country given ({info['given'] or 'none'}) is {status}: no ISO 3166-1 code stands for it")
        rows.append(row)
    return frame("cities", rows)
