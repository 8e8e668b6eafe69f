"""Claims → phases → partnerships: every source's claim becomes one row of ``assertions``; ``partnerships`` is the
reconciled view over them. One set of rules for every package.

A phase is defined by a city's own records (each registry row is one phase of its pair and type); a community claim
(Wikidata, Wikipedia's lists) attaches to the phase of its pair that its dates fall in, else the current one, else it
forms a community-only partnership (type twinning, no status) that ``data_issues`` lists as unconfirmed. A published
value is one the defining sources agree on, never a guess: where sources disagree the other values are ``conflict``
rows. Reciprocity counts directed claims only; ``layers`` names the sources (each a licence layer) behind a row.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from itertools import chain, count

import pandas as pd

from twindata.contract import identity, schema
from twindata.contract.identity import Crosswalk, History
from twindata.contract.issues import Issues
from twindata.contract.tables import EXTERNAL, ORIGIN, frame, frame_columns, row_values
from twindata.sources import Claim

PHASE_FIELDS = ("status", "status_since_year", "start_year", "start_date", "end_year", "end_date")
COMPARED = ("type", "status", "start_year", "start_date", "end_year", "end_date")
COMMUNITY_TYPE = "twinning"  # what Wikidata P190 (twinned administrative body) and Wikipedia's lists imply
LAYERS = ("registry", "wikidata", "wikipedia")  # the sources of the partnership and city rows, each a licence layer
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}(?=T|$)")  # a source_revision that is the day (or time) a source was read


@dataclass(slots=True)
class _Phase:
    pair: tuple[str, str]
    type: str
    n: int  # its number among the pair's phases of its type, by date: the published ``phase``
    claims: list[tuple[Claim, str, str]] = field(default_factory=list)  # (claim, stated by, partner) as global ids
    values: dict = field(default_factory=dict)
    disputed: list[tuple[str, list[Claim]]] = field(default_factory=list)  # fields its basis disagrees on
    id: str = ""  # set once every phase is known (``_name``)

    @property
    def defining(self) -> list[Claim]:
        return [c for c, _, _ in self.claims if c.defines_phase]


def build_partnerships(claims: list[Claim], crosswalk: Crosswalk, issues: Issues, focus: set[str] | None = None,
                       history: History = History()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Partnerships and assertions from the claims. ``focus`` names the cities whose unconfirmed partnerships are
    listed in data_issues (the registries' own cities; every city where None); ``history`` is what the package's
    latest release published, whose partnership ids the phases keep."""
    resolved = []
    for c in claims:
        stated_by, partner = crosswalk.resolve(c.stated_by), crosswalk.resolve(c.partner)
        if stated_by == partner:
            issues.add("quarantined_row", "assertions", c.assertion_id, "partner_city_id", partner, c.source,
                       "a city cannot partner itself: the claim names the same city on both sides")
            continue
        resolved.append((c, stated_by, partner))
    phases: dict[tuple, _Phase] = {}
    of_row: dict[tuple, _Phase] = {}  # a registry row (registry, phase_id) -> its phase
    rows_by_group = defaultdict(list)
    for c, s, p in resolved:
        if c.defines_phase:
            rows_by_group[(identity.pair(s, p), c.type)].append((c, s, p))
    for (pair, type_), rows in sorted(rows_by_group.items(), key=lambda kv: str(kv[0])):
        # a registry's rows of one pair and type are its phases, numbered by date; the n-th phase of every registry
        # (both cities' records) is one phase, so two registries that give it different years disagree on it
        by_registry = defaultdict(list)
        for c, s, p in rows:
            by_registry[c.source_name].append((c, s, p))
        for own in by_registry.values():
            starts = sorted({c.start_year or 0 for c, _, _ in own})
            for c, s, p in own:
                n = starts.index(c.start_year or 0) + 1
                phase = phases.setdefault((pair, type_, n), _Phase(pair, type_, n))
                phase.claims.append((c, s, p))
                of_row[c.phase] = phase
    for phase in phases.values():
        _settle(phase, phase.defining)
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
            _settle(phase, [c for c, _, _ in cs])
            continue
        for c, s, p in cs:
            _place(c, candidates).claims.append((c, s, p))
    _name(list(phases.values()), history)
    rows, assertions = [], []
    for phase in phases.values():
        for name, basis in phase.disputed:
            for c in basis:
                issues.add("conflict", "partnerships", phase.id, name, getattr(c, name), c.source,
                           f"{c.assertion_id} says {getattr(c, name)}; the sources disagree, so none is published")
    partnership_columns, assertion_columns = frame_columns("partnerships"), frame_columns("assertions")
    for phase in sorted(phases.values(), key=lambda ph: ph.id):  # rows as tuples: a fifth of the memory of dicts
        rows.append(row_values(partnership_columns, _partnership_row(phase, issues, focus)))
        assertions += [row_values(assertion_columns, _assertion_row(phase, c, s, p))
                       for c, s, p in sorted(phase.claims, key=lambda x: x[0].assertion_id)]
    phases.clear()
    return frame("partnerships", rows), frame("assertions", assertions)


def _settle(phase: _Phase, basis: list[Claim]) -> None:
    """The phase's published values: what the basis claims (the registries' rows, else the community claims) agree
    on; where they disagree, no value (and a conflict row for each claim, once the phase has its id)."""
    for name in PHASE_FIELDS:
        stated = {getattr(c, name) for c in basis if getattr(c, name) is not None}
        phase.values[name] = next(iter(stated)) if len(stated) == 1 else None
        if len(stated) > 1:
            phase.disputed.append((name, basis))
    v = phase.values
    if v["status_since_year"] is None and v["status"] in ("active", "ended"):
        v["status_since_year"] = v["start_year"] if v["status"] == "active" else v["end_year"]


def _name(phases: list[_Phase], history: History) -> None:
    """Each phase's partnership id. A phase keeps the id of the partnership its claims belonged to in the latest
    release (the one most of its registry rows, then of all its claims, were in; with a city's new id where a city
    was renamed), so that a phase found earlier than a published one, or a corrected year, renumbers nothing. A new
    phase gets ``a--b--type--n`` by date where that id was never published, else the first number never used: an
    id once published is never given to another partnership."""
    taken, given = history.taken, set()
    wanted = []
    for i, ph in enumerate(phases if history.partnerships else ()):
        held, defining = Counter(), Counter()  # partnership -> the phase's claims (and registry rows) it held
        for c, s, p in ph.claims:
            old = history.held(c, s, p)
            if old is not None:
                held[old] += 1
                defining[old] += c.defines_phase
        for old, times in held.items():
            if old in history.partnerships:
                type_, n = history.number(old)
                if type_ == ph.type:
                    wanted.append((-defining[old], -times, i, identity.partnership_id(*ph.pair, type_, n)))
    for _, _, i, pid in sorted(wanted):
        if not phases[i].id and pid not in given and (pid not in taken or pid in history.partnerships):
            phases[i].id = pid
            given.add(pid)
    for ph in phases:
        if not ph.id:
            ph.id = next(pid for n in chain((ph.n,), count(1))
                         if (pid := identity.partnership_id(*ph.pair, ph.type, n)) not in taken and pid not in given)
            given.add(ph.id)


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
    first = defining[0] if defining else min(claims, key=lambda c: (_citation_rank(c.source_url), c.assertion_id))
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
                           f"{c.assertion_id} ({f'stated by {_side(c, phase)}' if c.directed else 'naming the pair'}) "
                           f"gives {value}; published: {ours}")
    confirmed = any(c.confirmed for c in claims)
    stated = [d for c in claims if (d := _day(c.source_revision))]
    if not confirmed and (focus is None or focus & set(phase.pair)):
        issues.add("unconfirmed", "partnerships", phase.id, None, None, first.source,
                   f"stated only by community sources ({', '.join(sorted(c.assertion_id for c in claims))}); "
                   "no city's records confirm it")
    return {"partnership_id": phase.id, "city_a_id": a, "city_b_id": b, "type": phase.type, "phase": phase.n,
            **phase.values,
            "stated_by_city_a": any(s == a for c, s, _ in phase.claims if c.directed),
            "stated_by_city_b": any(s == b for c, s, _ in phase.claims if c.directed),
            "confidence": "confirmed" if confirmed else "community", "assertion_count": len(claims),
            "first_stated": min(stated, default=None), "last_stated": max(stated, default=None),
            "layers": layers(c.source for c in claims),
            "source_url": first.source_url, "note": first.note if defining else None,
            ORIGIN: "registry" if defining else first.source,
            EXTERNAL: () if defining else PHASE_FIELDS}


def _day(revision: str | None) -> date | None:
    """The day a source was read, where its revision is one (an extract's date, a live query's time); else None
    (an item's revision number, or a date that is no day: 2017-13-45)."""
    m = _DAY.match(revision or "")
    try:
        return date.fromisoformat(m[0]) if m else None
    except ValueError:
        return None


def _citation_rank(url: str | None) -> int:
    """How closely a community claim's page points at the claim, best first: a Wikidata item's statements, a
    Wikipedia page of the list, a file of an extract, anything else (a home page)."""
    for rank, prefix in enumerate(("https://www.wikidata.org/wiki/Q", "https://en.wikipedia.org/wiki/List_of_",
                                   "https://github.com/")):
        if (url or "").startswith(prefix):
            return rank
    return 3


def layers(sources) -> str:
    """The licence layers of a row: the sources behind it, in a fixed order."""
    given = set(sources)
    return " ".join(s for s in LAYERS if s in given)


def _side(claim: Claim, phase: _Phase) -> str:
    return next(s for c, s, _ in phase.claims if c is claim)


def _assertion_row(phase: _Phase, c: Claim, stated_by: str, partner: str) -> dict:
    return {"assertion_id": c.assertion_id, "partnership_id": phase.id, "source": c.source,
            "source_name": c.source_name, "stated_by_city_id": stated_by if c.directed else None,
            "partner_city_id": partner if c.directed else None,  # a source that names a pair names no side
            "type": c.type, "status": c.status, "start_year": c.start_year, "start_date": c.start_date,
            "end_year": c.end_year, "end_date": c.end_date, "wikidata_rank": c.wikidata_rank,
            "reference_count": c.reference_count, "reference_url": c.reference_url, "source_url": c.source_url,
            "source_revision": c.source_revision, "snapshot_id": c.snapshot_id, "note": c.note,
            ORIGIN: c.source, EXTERNAL: () if c.confirmed else schema.filled_by("assertions", c.source)}
