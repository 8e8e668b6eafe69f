"""The reconciliation rules, table-driven: claims in, partnerships and data issues out (``twindata.reconcile.claims``).

Each case is a few claims, written as the sources would make them (a registry row defines a phase; a community
claim has none), and the rows and issues the rules must give. Cities are QIDs (Q1 < Q2 < Q3 sort first by number).
"""

from __future__ import annotations

import pytest

from twindata.contract.identity import Crosswalk
from twindata.contract.issues import Issues
from twindata.reconcile.claims import build_partnerships
from twindata.sources import Claim


def registry(key: str, a: str, b: str, type_: str = "twinning", start: int | None = None, **values) -> Claim:
    """A registry's row: the city's own statement of one phase."""
    return Claim(f"reg:{key}", "registry", "test-registry", a, b, type_, start_year=start,
                 phase=("test-registry", a, b, type_, start), defines_phase=True, **values)


def wikidata(key: str, a: str, b: str, start: int | None = None, **values) -> Claim:
    return Claim(f"wd:{key}", "wikidata", "Wikidata", a, b, start_year=start, **values)


def wikipedia(key: str, a: str, b: str) -> Claim:
    return Claim(f"wp:{key}", "wikipedia", "Wikipedia", a, b, directed=False)


CASES = {
    "a pair stated from both sides is one reciprocal partnership": (
        [registry("1", "Q1", "Q2", start=1960, status="active"), wikidata("1", "Q2", "Q1")],
        [{"partnership_id": "Q1--Q2--twinning", "stated_by_city_a": True, "stated_by_city_b": True,
          "confidence": "confirmed", "start_year": 1960, "status": "active", "status_since_year": 1960,
          "assertion_count": 2, "layers": "registry wikidata"}],
        []),
    "B–A and A–B from the community are one partnership, typed as P190 implies, unconfirmed": (
        [wikidata("1", "Q2", "Q1"), wikidata("2", "Q1", "Q2")],
        [{"partnership_id": "Q1--Q2--twinning", "type": "twinning", "confidence": "community", "status": None,
          "stated_by_city_a": True, "stated_by_city_b": True, "assertion_count": 2, "layers": "wikidata"}],
        [("unconfirmed", "Q1--Q2--twinning", None)]),
    "an undirected list says nothing about reciprocity": (
        [wikipedia("1", "Q1", "Q2")],
        [{"partnership_id": "Q1--Q2--twinning", "stated_by_city_a": False, "stated_by_city_b": False,
          "layers": "wikipedia"}],
        [("unconfirmed", "Q1--Q2--twinning", None)]),
    "a renewal of one type is a second phase with its own key": (
        [registry("1", "Q1", "Q2", start=1970, end_year=1975, status="ended"),
         registry("2", "Q1", "Q2", start=1981, status="active")],
        [{"partnership_id": "Q1--Q2--twinning", "phase": 1, "end_year": 1975, "status_since_year": 1975},
         {"partnership_id": "Q1--Q2--twinning--2", "phase": 2, "start_year": 1981}],
        []),
    "a change of type is a new phase; a community claim joins the phase its year falls in": (
        [registry("1", "Q1", "Q2", "project_partnership", start=2010, end_year=2014),
         registry("2", "Q1", "Q2", start=2014, status="active"), wikidata("1", "Q2", "Q1", start=2011)],
        [{"partnership_id": "Q1--Q2--project_partnership", "assertion_count": 2, "stated_by_city_b": True,
          "start_year": 2010},
         {"partnership_id": "Q1--Q2--twinning", "assertion_count": 1, "stated_by_city_b": False}],
        [("conflict", "Q1--Q2--project_partnership", "start_year")]),  # 2011 inside 2010–2014, but not 2010
    "an undated community claim joins the current phase, a twinning first": (
        [registry("1", "Q1", "Q2", "friendship", start=1978, status="active"),
         registry("2", "Q1", "Q2", start=1980, status="active"), wikidata("1", "Q2", "Q1")],
        [{"partnership_id": "Q1--Q2--friendship", "assertion_count": 1},
         {"partnership_id": "Q1--Q2--twinning", "assertion_count": 2, "stated_by_city_b": True}],
        []),
    "a community date that differs from the registry's is a conflict; the registry's is published": (
        [registry("1", "Q1", "Q2", start=1978), wikidata("1", "Q2", "Q1", start=1977)],
        [{"partnership_id": "Q1--Q2--twinning", "start_year": 1978}],
        [("conflict", "Q1--Q2--twinning", "start_year")]),
    "where the defining claims disagree, no value is published and each is a conflict": (
        [wikidata("1", "Q1", "Q2", start=1975), wikidata("2", "Q2", "Q1", start=1977)],
        [{"partnership_id": "Q1--Q2--twinning", "start_year": None}],
        [("conflict", "Q1--Q2--twinning", "start_year"), ("conflict", "Q1--Q2--twinning", "start_year"),
         ("unconfirmed", "Q1--Q2--twinning", None)]),
    "Wikidata's P190 says nothing against a registry's type": (
        [registry("1", "Q1", "Q2", "friendship", start=1978), wikidata("1", "Q2", "Q1")],
        [{"partnership_id": "Q1--Q2--friendship", "type": "friendship", "assertion_count": 2}],
        []),
    "a city cannot partner itself: the claim is quarantined, the rest stays": (
        [wikidata("1", "Q1", "Q1"), wikidata("2", "Q1", "Q3")],
        [{"partnership_id": "Q1--Q3--twinning"}],
        [("quarantined_row", "wd:1", "partner_city_id"), ("unconfirmed", "Q1--Q3--twinning", None)]),
    "a registry's provisional city sorts after every QID": (
        [registry("1", ("test-registry", "de-zwickau"), "Q1", start=1988)],
        [{"partnership_id": "Q1--prov:test-registry/de-zwickau--twinning", "city_a_id": "Q1",
          "city_b_id": "prov:test-registry/de-zwickau"}],
        []),
}


@pytest.mark.parametrize("claims, rows, issues", CASES.values(), ids=CASES.keys())
def test_reconciliation_rule(claims, rows, issues):
    crosswalk = Crosswalk()
    crosswalk.add("test-registry", "de-zwickau", None)
    found = Issues()
    partnerships, assertions = build_partnerships(claims, crosswalk, found)
    published = partnerships.to_dict("records")
    assert [r["partnership_id"] for r in published] == [r["partnership_id"] for r in rows]
    for got, want in zip(published, rows):
        assert {k: got[k] for k in want} == want
    assert sorted((i.kind, i.record_id, i.field) for i in found.rows) == sorted(issues, key=str)
    kept = [c for c in claims if c.stated_by != c.partner]
    assert sorted(assertions["assertion_id"]) == sorted(c.assertion_id for c in kept)  # every claim kept is a row
