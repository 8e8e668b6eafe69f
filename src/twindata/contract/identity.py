"""Identities that hold across cities, sources and releases: global city ids, partnership keys, the crosswalk from
each registry's own keys, and the redirects from ids an earlier release published.

- A city's id is its Wikidata QID where any source gives one; otherwise ``prov:<registry>/<key>``: derived from the
  registry that names it and that registry's own key, so the same registry row always gets the same id.
- A partnership is an unordered pair plus a phase: ``<a>--<b>--<type>``, with ``--<n>`` from the second phase of the
  same type on; ``a`` is the city that sorts first (QIDs by number, then provisional ids by text).
- When a release renames an id (a provisional city learns its QID; the 1.x slugs became global ids), the redirects
  table records old → new with the version; a retired id is never published again.
"""

from __future__ import annotations

import re

import pyarrow as pa

from twindata.contract.errors import TwindataError

QID = re.compile(r"^Q[1-9][0-9]*$")
PROVISIONAL = "prov:"
_CONTRACT_1_QID = re.compile(r"^q[1-9][0-9]*$")  # 1.x published Wikidata-only partners as lower-case QIDs


def provisional_id(registry: str, key: str) -> str:
    return f"{PROVISIONAL}{registry}/{key}"


def city_id(registry: str, key: str, qid: str | None) -> str:
    """The global id of a registry's city: its QID, else its provisional id."""
    return qid or provisional_id(registry, key)


def sort_key(city: str) -> tuple:
    return (0, int(city[1:]), "") if QID.match(city) else (1, 0, city)


def pair(a: str, b: str) -> tuple[str, str]:
    """The unordered pair as (city a, city b)."""
    return (a, b) if sort_key(a) <= sort_key(b) else (b, a)


def partnership_id(a: str, b: str, type_: str, phase: int = 1) -> str:
    a, b = pair(a, b)
    return f"{a}--{b}--{type_}" + (f"--{phase}" if phase > 1 else "")


class Crosswalk:
    """Registry keys → global city ids, for the registries of a run."""

    def __init__(self):
        self.ids: dict[tuple[str, str], str] = {}

    def add(self, registry: str, key: str, qid: str | None) -> str:
        self.ids[(registry, key)] = city_id(registry, key, qid)
        return self.ids[(registry, key)]

    def resolve(self, ref) -> str:
        """A claim's city (a QID, or a registry's (name, key)) as its global id."""
        return self.ids[ref] if isinstance(ref, tuple) else ref

    def rows(self) -> list[dict]:
        return [{"registry": r, "local_key": k, "city_id": c} for (r, k), c in sorted(self.ids.items())]


def _column(table: pa.Table | None, name: str) -> list:
    return table.column(name).to_pylist() if table is not None and name in table.column_names else []


def renamed_ids(previous: dict[str, pa.Table], new: dict[str, pa.Table]) -> dict[str, dict[str, str]]:
    """Ids of the previous release that the new tables publish under another id: {table: {old: new}}.

    A city is the same city when the same registry key maps to it (through the crosswalk; a 1.x release, which had
    none, published a registry's key itself, or a Wikidata-only partner as its lower-case QID). A partnership is the
    same when its cities and type (and phase) are; an image of a registry when its key is."""
    new_cw = {(r, k): c for r, k, c in zip(_column(new.get("crosswalk"), "registry"),
                                            _column(new.get("crosswalk"), "local_key"),
                                            _column(new.get("crosswalk"), "city_id"))}
    new_cities = set(_column(new.get("cities"), "city_id"))
    cities: dict[str, str] = {}
    if "crosswalk" in previous:
        old_cw = zip(_column(previous["crosswalk"], "registry"), _column(previous["crosswalk"], "local_key"),
                     _column(previous["crosswalk"], "city_id"))
        # only a provisional id is ever renamed: a QID stays the city's id whatever a registry says later
        cities = {old: new_cw[(r, k)] for r, k, old in old_cw
                  if old.startswith(PROVISIONAL) and new_cw.get((r, k), old) != old}
    else:
        by_key: dict[str, set[str]] = {}
        for (_, key), c in new_cw.items():
            by_key.setdefault(key, set()).add(c)
        for old in _column(previous.get("cities"), "city_id"):
            if _CONTRACT_1_QID.match(old) and f"Q{old[1:]}" in new_cities:
                cities[old] = f"Q{old[1:]}"
            elif len(by_key.get(old, ())) == 1:
                cities[old] = next(iter(by_key[old]))
    renamed = {"cities": {o: n for o, n in cities.items() if o != n}}

    def city(old: str) -> str:
        return cities.get(old, old)

    new_partnerships = set(_column(new.get("partnerships"), "partnership_id"))
    old_p = previous.get("partnerships")
    partnerships = {}
    if old_p is not None and "city_a_id" in old_p.column_names:
        for pid, a, b, t, n in zip(*(_column(old_p, c) for c in ("partnership_id", "city_a_id", "city_b_id", "type", "phase"))):
            partnerships[pid] = partnership_id(city(a), city(b), t, n)
    elif old_p is not None and "partner_city_id" in old_p.column_names:
        for pid, a, b, t in zip(*(_column(old_p, c) for c in ("partnership_id", "city_id", "partner_city_id", "type"))):
            partnerships[pid] = partnership_id(city(a), city(b), t)
    renamed["partnerships"] = {o: n for o, n in partnerships.items() if o != n and n in new_partnerships}
    new_images = set(_column(new.get("images"), "image_id"))
    registries = {r for r, _ in new_cw}
    images = {}
    for old in _column(previous.get("images"), "image_id"):
        if old not in new_images and "/" not in old and not old.startswith("commons:"):
            found = [f"{r}/{old}" for r in registries if f"{r}/{old}" in new_images]
            if len(found) == 1:
                images[old] = found[0]
    renamed["images"] = images
    return {t: m for t, m in renamed.items() if m}


def check_never_reused(redirects: list[dict], new: dict[str, pa.Table]) -> None:
    """A retired id (the old id of any redirect) must not be published again for anything."""
    keys = {"cities": "city_id", "partnerships": "partnership_id", "images": "image_id"}
    published = {t: set(_column(new.get(t), k)) for t, k in keys.items()}
    for r in redirects:
        if r["old_id"] in published[r["table"]]:
            raise TwindataError(f"{r['table']}: id {r['old_id']} was retired in {r['since_version']} (now "
                                f"{r['new_id']}) and is never used again: give the record its Wikidata QID, or a "
                                "new key in its registry")


def follow(redirects: pa.Table | None) -> dict[str, dict[str, str]]:
    """The redirects table as {table: {old id: final id}}, chains followed."""
    out: dict[str, dict[str, str]] = {}
    if redirects is None:
        return out
    for t, old, new in zip(*(_column(redirects, c) for c in ("table", "old_id", "new_id"))):
        out.setdefault(t, {})[old] = new
    for mapping in out.values():
        for old in list(mapping):
            seen = {old}
            while mapping[old] in mapping and mapping[old] not in seen:
                seen.add(mapping[old])
                mapping[old] = mapping[mapping[old]]
    return out
