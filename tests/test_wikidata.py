"""Wikidata parsers against real recorded entities: P190 with year-precision qualifiers, novalue/somevalue, deleted."""

from __future__ import annotations

from datetime import date

from twindata.sources.wikidata import parse_entity, parse_time, parse_wbgetentities

from conftest import load_fixture


def test_bielefeld_p190_statements_with_year_precision_start_times():
    entity = parse_entity(load_fixture("wikibase-sdk/Q2112.json"))
    assert entity.qid == "Q2112" and entity.label == "Bielefeld" and entity.revision == 1867923350
    assert len(entity.twinnings) == 8
    years = sorted(t.start.year for t in entity.twinnings if t.start.year)
    assert years == [1953, 1958, 1973, 1980, 1987, 1991, 1995]
    assert all(t.start.date is None for t in entity.twinnings)  # precision 9: the year only, never a made-up day
    assert sum(t.start.year is None for t in entity.twinnings) == 1
    assert entity.country_qid == "Q183"
    assert 51.9 < entity.latitude < 52.1 and 8.4 < entity.longitude < 8.6
    assert entity.population and entity.population > 300_000


def test_time_values_keep_only_what_their_precision_says():
    gregorian = "http://www.wikidata.org/entity/Q1985727"
    assert parse_time({"time": "+1953-00-00T00:00:00Z", "precision": 9, "calendarmodel": gregorian}).year == 1953
    day = parse_time({"time": "+2014-06-02T00:00:00Z", "precision": 11, "calendarmodel": gregorian})
    assert (day.year, day.date) == (2014, date(2014, 6, 2))
    assert parse_time({"time": "+1988-12-00T00:00:00Z", "precision": 10, "calendarmodel": gregorian}).date is None
    assert parse_time({"time": "+1900-00-00T00:00:00Z", "precision": 7}).year is None  # a century is not a year
    julian = parse_time({"time": "+1700-03-01T00:00:00Z", "precision": 11,
                         "calendarmodel": "http://www.wikidata.org/entity/Q1985786"})
    assert (julian.year, julian.date) == (1700, None)


def test_novalue_and_somevalue_snaks_have_no_datavalue_and_are_skipped():
    raw = load_fixture("wikibase-sdk/empty_values.json")
    entity = parse_entity(raw)
    snaktypes = {s["mainsnak"]["snaktype"] for claims in raw["claims"].values() for s in claims}
    assert {"novalue", "somevalue"} <= snaktypes
    assert entity is not None and entity.twinnings == []


def test_novalue_claim_in_a_wbgetentities_answer():
    answer = load_fixture("wptools/wikidata_wbgetentities_Q483718_novalue_fv2.json")
    result = parse_wbgetentities(answer, ["Q483718"])
    assert "Q483718" in result.entities and not result.missing


def test_deleted_entity_is_reported_missing_not_invented():
    answer = load_fixture("wptools/wikidata_wbgetentities_Q10908976_missing_fv2.json")
    result = parse_wbgetentities(answer, ["Q10908976"])
    assert result.entities == {} and result.missing == {"Q10908976"}


def test_claims_only_entity_and_an_id_absent_from_the_answer():
    answer = load_fixture("wptools/wikidata_wbgetentities_Q857243_fv2.json")
    result = parse_wbgetentities(answer, ["Q857243", "Q1"])
    entity = result.entities["Q857243"]
    assert entity.qid == "Q857243" and entity.label is None and entity.image == "Gujo Gifu Japan.jpg"
    assert result.missing == {"Q1"}
