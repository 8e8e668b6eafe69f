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
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa

from twindata.contract.errors import TwindataError

QID = re.compile(r"^Q[1-9][0-9]{0,11}$")  # Wikidata is at nine digits; a longer one is no item
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


@dataclass(frozen=True)
class History:
    """What a package's next release continues from: its latest release's partnerships (id → city a, city b, type)
    and which partnership each assertion belonged to, and every partnership id it ever retired. Empty before the
    first release."""

    version: str | None = None
    partnerships: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    partnership_of: dict[str, str] = field(default_factory=dict)  # assertion id -> partnership id
    retired: frozenset[str] = frozenset()  # partnership ids of earlier releases, now in redirects
    legacy: dict[tuple, str] = field(default_factory=dict)  # a registry row's values -> partnership id, for rows
    # whose assertion id was still built from them: (registry, stated by, partner, type, start year)

    def held(self, claim, stated_by: str, partner: str) -> str | None:
        """The partnership the claim's assertion belonged to in the latest release, if any."""
        found = self.partnership_of.get(claim.assertion_id)
        if found is None and self.legacy and claim.defines_phase:
            found = self.legacy.get((claim.source_name, stated_by, partner, claim.type, claim.start_year))
        return found

    @property
    def taken(self) -> set[str]:
        """Every partnership id the package ever published: never minted again for another partnership."""
        return set(self.partnerships) | set(self.retired)

    def number(self, pid: str) -> tuple[str, int]:
        """A published partnership's type and the number its id carries (1 for ``a--b--type``)."""
        a, b, type_ = self.partnerships[pid]
        suffix = pid[len(partnership_id(a, b, type_)):]
        return type_, int(suffix[2:]) if suffix.startswith("--") and suffix[2:].isdigit() else 1


class Crosswalk:
    """Registry keys → global city ids, for the registries of a run."""

    def __init__(self):
        self.ids: dict[tuple[str, str], str] = {}
        self.matched: dict[tuple[str, str], str] = {}
        self.same: dict[str, str] = {}  # an item -> the item it is one place with (``places.same_places``)

    def add(self, registry: str, key: str, qid: str | None, matched_by: str | None = None) -> str:
        """Map a registry's key to its city: the QID the registry gives (or one found on ``matched_by`` evidence),
        else the key's provisional id."""
        self.ids[(registry, key)] = city_id(registry, key, qid)
        self.matched[(registry, key)] = matched_by or ("qid" if qid else "key")
        return self.ids[(registry, key)]

    def resolve(self, ref) -> str:
        """A claim's city (a QID, or a registry's (name, key)) as its global id."""
        city = self.ids[ref] if isinstance(ref, tuple) else ref
        return self.same.get(city, city)

    def rows(self) -> list[dict]:
        """The registries' keys, and every item folded into another (source wikidata, matched_by same_place)."""
        return [{"registry": r, "local_key": k, "city_id": self.same.get(c, c), "matched_by": self.matched[(r, k)]}
                for (r, k), c in sorted(self.ids.items())] + [
                {"registry": "wikidata", "local_key": old, "city_id": new, "matched_by": "same_place"}
                for old, new in sorted(self.same.items(), key=lambda kv: sort_key(kv[0]))]


def column(table: pa.Table | None, name: str) -> list:
    """A column of a table as a list; empty where the table or the column is missing."""
    return table.column(name).to_pylist() if table is not None and name in table.column_names else []


def renamed_ids(previous: dict[str, pa.Table], new: dict[str, pa.Table]) -> dict[str, dict[str, str]]:
    """Ids of the previous release that the new tables publish under another id: {table: {old: new}}.

    A city is the same city when the same registry key maps to it (through the crosswalk; a 1.x release, which had
    none, published a registry's key itself, or a Wikidata-only partner as its lower-case QID). A partnership is the
    same when its cities and type (and phase) are; an image of a registry when its key is."""
    new_cw = {(r, k): c for r, k, c in zip(column(new.get("crosswalk"), "registry"),
                                            column(new.get("crosswalk"), "local_key"),
                                            column(new.get("crosswalk"), "city_id"))}
    new_cities = set(column(new.get("cities"), "city_id"))
    cities: dict[str, str] = {}
    if "crosswalk" in previous:
        old_cw = zip(column(previous["crosswalk"], "registry"), column(previous["crosswalk"], "local_key"),
                     column(previous["crosswalk"], "city_id"))
        # only a provisional id is ever renamed: a QID stays the city's id whatever a registry says later
        cities = {old: new_cw[(r, k)] for r, k, old in old_cw
                  if old.startswith(PROVISIONAL) and new_cw.get((r, k), old) != old}
    else:
        by_key: dict[str, set[str]] = {}
        for (_, key), c in new_cw.items():
            by_key.setdefault(key, set()).add(c)
        for old in column(previous.get("cities"), "city_id"):
            if _CONTRACT_1_QID.match(old) and f"Q{old[1:]}" in new_cities:
                cities[old] = f"Q{old[1:]}"
            elif len(by_key.get(old, ())) == 1:
                cities[old] = next(iter(by_key[old]))
    renamed = {"cities": {o: n for o, n in cities.items() if o != n}}

    def city(old: str) -> str:
        return cities.get(old, old)

    new_partnerships = set(column(new.get("partnerships"), "partnership_id"))
    old_p = previous.get("partnerships")
    partnerships = {}
    if old_p is not None and "city_a_id" in old_p.column_names:
        for pid, a, b, t, n in zip(*(column(old_p, c) for c in ("partnership_id", "city_a_id", "city_b_id", "type", "phase"))):
            partnerships[pid] = partnership_id(city(a), city(b), t, n)
    elif old_p is not None and "partner_city_id" in old_p.column_names:
        for pid, a, b, t in zip(*(column(old_p, c) for c in ("partnership_id", "city_id", "partner_city_id", "type"))):
            partnerships[pid] = partnership_id(city(a), city(b), t)
    renamed["partnerships"] = {o: n for o, n in partnerships.items() if o != n and n in new_partnerships}
    new_images = set(column(new.get("images"), "image_id"))
    registries = {r for r, _ in new_cw}
    images = {}
    for old in column(previous.get("images"), "image_id"):
        if old not in new_images and "/" not in old and not old.startswith("commons:"):
            found = [f"{r}/{old}" for r in registries if f"{r}/{old}" in new_images]
            if len(found) == 1:
                images[old] = found[0]
    renamed["images"] = images
    return {t: m for t, m in renamed.items() if m}


ID_COLUMNS = {"cities": "city_id", "partnerships": "partnership_id", "assertions": "assertion_id",
              "images": "image_id"}  # the tables whose ids stay reachable, and each one's id column


def published_ids(tables: dict[str, pa.Table]) -> dict[str, set[str]]:
    """The ids a release's tables publish, by table (``ID_COLUMNS``)."""
    return {t: set(column(tables.get(t), k)) for t, k in ID_COLUMNS.items()}


def is_contract_1(tables: dict[str, pa.Table]) -> bool:
    """Whether a release's tables are of data contract 1 (they have no crosswalk)."""
    return bool(tables) and "crosswalk" not in tables


LEGACY_PHASE = re.compile(r"^(?P<registry>[^:]+):phase:(?P<city>[^/]+)/(?P<partner>[^/]+)/(?P<type>[^/]+)/(?P<year>[0-9]+)$")
CHANGES = ("renamed", "merged", "retyped", "renumbered", "withdrawn")


def legacy_rows(assertions: dict[str, list]) -> dict[tuple, str]:
    """The partnership of each assertion whose id a registry row's values built (``LEGACY_PHASE``), by those values:
    (registry, stated by, partner, type, start year) -> partnership id."""
    cols = ("assertion_id", "source_name", "stated_by_city_id", "partner_city_id", "type", "start_year", "partnership_id")
    if not all(c in assertions for c in cols):
        return {}
    return {(name, s, p, t, y): pid for a, name, s, p, t, y, pid in zip(*(assertions[c] for c in cols))
            if LEGACY_PHASE.match(a)}


def _legacy_assertions(previous: dict[str, pa.Table], new: dict[str, pa.Table]) -> dict[str, str]:
    """Assertion ids a registry row had while they were built from its values (``<registry>:phase:<city key>/
    <partner key>/<type>/<start year>``), mapped to the row's id under the key of its own (``<registry>:phase:
    <phase_id>``): the registry's cities through the crosswalk, the row by its values, once, when a registry gains
    the keys."""
    old_ids = [a for a in column(previous.get("assertions"), "assertion_id") if LEGACY_PHASE.match(a)]
    if not old_ids:
        return {}
    crosswalk = {(r, k): c for r, k, c in zip(*(column(new.get("crosswalk"), c) for c in ("registry", "local_key", "city_id")))}
    rows = zip(*(column(new.get("assertions"), c) for c in ("assertion_id", "source_name", "stated_by_city_id",
                                                              "partner_city_id", "type", "start_year")))
    by_values = {(name, s, p, t, y): a for a, name, s, p, t, y in rows if ":phase:" in a}
    out = {}
    for old in old_ids:
        m = LEGACY_PHASE.match(old)
        reg = m["registry"]
        key = (reg, crosswalk.get((reg, m["city"])), crosswalk.get((reg, m["partner"])), m["type"], int(m["year"]))
        if key in by_values:
            out[old] = by_values[key]
    return out


def retired_ids(previous: dict[str, pa.Table], new: dict[str, pa.Table]) -> dict[str, dict[str, tuple[str | None, str]]]:
    """Every id of the previous release that the new tables do not publish, with where it went and why:
    {table: {old id: (new id, or None where withdrawn, change)}}, the change one of ``CHANGES``.

    A city goes where the crosswalk maps its registry key (merged where that city was published before); a
    partnership goes where most of its assertions went (merged into one published before, retyped, renamed with a
    city, or renumbered into another phase), an assertion of a registry row to the row's key; an id nothing takes
    up is withdrawn."""
    renamed = renamed_ids(previous, new)
    contract_1 = is_contract_1(previous)
    out: dict[str, dict[str, tuple[str | None, str]]] = {}
    old_ids = {t: column(previous.get(t), k) for t, k in ID_COLUMNS.items()}
    new_ids = published_ids(new)
    moved = {**renamed, "assertions": _legacy_assertions(previous, new)}
    for table in ("cities", "assertions", "images"):
        before = set(old_ids[table])
        for old in old_ids[table]:
            if old not in new_ids[table]:
                target = moved.get(table, {}).get(old)
                change = "withdrawn" if target is None else "merged" if target in before and not contract_1 else "renamed"
                out.setdefault(table, {})[old] = (target, change)
    now_in = dict(zip(column(new.get("assertions"), "assertion_id"), column(new.get("assertions"), "partnership_id")))
    members: dict[str, list[str]] = {}
    for a, pid in zip(column(previous.get("assertions"), "assertion_id"),
                      column(previous.get("assertions"), "partnership_id")):
        members.setdefault(pid, []).append(moved["assertions"].get(a, a))
    shape = {}
    for t, cols in (("old", previous.get("partnerships")), ("new", new.get("partnerships"))):
        if cols is not None and "city_a_id" in cols.column_names:
            shape.update({(t, pid): (a, b, ty) for pid, a, b, ty in zip(
                *(column(cols, c) for c in ("partnership_id", "city_a_id", "city_b_id", "type")))})
    before = set(old_ids["partnerships"])
    for old in old_ids["partnerships"]:
        if old in new_ids["partnerships"]:
            continue
        went = Counter(now_in[a] for a in members.get(old, ()) if a in now_in)
        target = min(went, key=lambda pid: (-went[pid], pid)) if went else renamed.get("partnerships", {}).get(old)
        if target is None:
            change = "withdrawn"
        elif contract_1:
            change = "renamed"
        elif target in before:
            change = "merged"
        else:
            (a, b, ty), (x, y, tz) = shape[("old", old)], shape[("new", target)]
            change = "retyped" if ty != tz else "renamed" if (a, b) != (x, y) else "renumbered"
        out.setdefault("partnerships", {})[old] = (target, change)
    return out


def check_never_reused(redirects: list[dict], new: dict[str, pa.Table]) -> None:
    """A retired id (the old id of any redirect that is not a withdrawal) must not be published again for anything."""
    published = published_ids(new)
    for r in redirects:
        if r.get("change") != "withdrawn" and r["old_id"] in published[r["table"]]:
            raise TwindataError(f"{r['table']}: id {r['old_id']} was retired in {r['since_version']} (now "
                                f"{r['new_id']}) and is never used again: give the record its Wikidata QID, or a "
                                "new key in its registry")


def follow(redirects: pa.Table | None) -> dict[str, dict[str, str]]:
    """The redirects table as {table: {old id: final id}}, chains followed; withdrawn ids (no new id) left out."""
    out: dict[str, dict[str, str]] = {}
    if redirects is None:
        return out
    for t, old, new in zip(*(column(redirects, c) for c in ("table", "old_id", "new_id"))):
        if new is not None:
            out.setdefault(t, {})[old] = new
    for mapping in out.values():
        for old in list(mapping):
            seen = {old}
            while mapping[old] in mapping and mapping[old] not in seen:
                seen.add(mapping[old])
                mapping[old] = mapping[mapping[old]]
    return out
