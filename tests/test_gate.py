"""The validation gate: outside rows that break a schema are quarantined with their reason (cascading along foreign
keys), registry errors stop the run, and a failed gate leaves no release behind. Inputs are the bundled snapshot and
real recorded responses."""

from __future__ import annotations

import copy

import pytest

from twindata.checks.gate import run_gate
from twindata.context import RunContext
from twindata.contract.errors import GateError
from twindata.contract.identity import History
from twindata.packages import CITY, release, run_configured
from twindata.publish.release import publish
from twindata.settings import load_settings
from twindata.sources.commons import CommonsResult, parse_imageinfo
from twindata.sources.registry import RegistrySource
from twindata.sources.wikidata import Twinning, WikidataEntities, parse_entity, parse_wbgetentities

from conftest import load_fixture, replace_in


@pytest.fixture(scope="module")
def inputs():
    context = RunContext(load_settings())
    registry = RegistrySource().read(context, {})
    return registry, WikidataEntities().read(context, {"registry": registry})


def _gate(registry, wd, cm=None):
    return run_gate(_reconcile(registry, wd, cm))


def _reconcile(registry, wd, cm=None):
    return CITY.reconcile({"registry": registry, "wikidata_entities": wd, "commons_metadata": cm or CommonsResult(),
                           "previous_release": History()})


def _issues(gated) -> dict:
    return {(r["kind"], r["table"], r["record_id"]): r for r in gated.tables["data_issues"].to_pylist()}


def _counts(gated) -> dict:
    return {t: a.num_rows for t, a in gated.tables.items()}


def test_out_of_range_wikidata_coordinate_is_quarantined_and_the_row_kept(inputs, tmp_path):
    registry, wd = inputs
    wd = copy.deepcopy(wd)
    wd.entities["Q41604"].latitude = 249.89  # as if a statement had lost its sign and decimal point
    gated = _gate(registry, wd)
    issue = _issues(gated)[("quarantined_value", "cities", "Q41604")]
    assert issue["field"] == "latitude" and issue["value"] == "249.89" and issue["source"] == "wikidata"
    assert "maximum" in issue["reason"] and gated.passed
    assert _counts(gated)["cities"] == 13
    assert publish(gated, registry.metadata, tmp_path, {}).published


def test_partner_without_a_label_is_quarantined_with_its_partnership_and_assertion(inputs):
    registry, wd = inputs
    wd = copy.deepcopy(wd)
    claims_only = parse_wbgetentities(load_fixture("wptools/wikidata_wbgetentities_Q857243_fv2.json"), ["Q857243"])
    wd.merge(claims_only)  # a real entity fetched with props=claims: no label
    wd.entities["Q1295"].twinnings.append(Twinning("Q857243"))
    gated = _gate(registry, wd)
    issues = _issues(gated)
    assert issues[("quarantined_row", "cities", "Q857243")]["field"] == "name"
    assert ("quarantined_row", "partnerships", "Q1295--Q857243--twinning") in issues
    assert ("quarantined_row", "assertions", "wikidata:Q1295/P190/Q857243") in issues
    assert gated.passed and _counts(gated)["partnerships"] == 15 and _counts(gated)["cities"] == 13


def test_novalue_partner_and_commons_images_with_html_missing_pages_and_no_licence(inputs):
    registry, wd = inputs
    wd = copy.deepcopy(wd)
    novalue = parse_entity(load_fixture("wikibase-sdk/empty_values.json"))
    assert novalue.twinnings == []  # its novalue/somevalue snaks name no partner
    wd.entities["Q41604"].image = "Apple_Lisa2-IMG_1517.jpg"  # HTML Artist with an entity-escaped ampersand
    wd.entities["Q39121"].image = "Foobar.jpg"
    wd.entities["Q908"].image = "Königsberg_in_Bayern"  # a page without imageinfo
    found, missing = {}, set()
    for name, title in [("commons_imageinfo_Apple_Lisa2-IMG_1517.jpg.json", "File:Apple_Lisa2-IMG_1517.jpg"),
                        ("commons_imageinfo_Foobar.jpg.json", "File:Foobar.jpg"),
                        ("dewiki_imageinfo_K_nigsberg_in_Bayern.json", "File:Königsberg_in_Bayern")]:
        answer = load_fixture(f"wmde-commons/{name}")
        if "K_nigsberg" in name:
            answer["query"]["normalized"] = [{"from": title, "to": "Königsberg in Bayern"}]
        f, m = parse_imageinfo(answer, [title])
        found.update(f)
        missing |= m
    found["File:Foobar.jpg"].licence_name = None  # as a file whose licence template was removed
    gated = _gate(registry, wd, CommonsResult(found, missing))
    images = {r["image_id"]: r for r in gated.tables["images"].to_pylist()}
    lisa = images["commons:File:Apple_Lisa2-IMG_1517.jpg"]
    assert lisa["author"] == "Rama & Musée Bolo" and lisa["licence_spdx"] == "CC-BY-SA-2.0-FR"
    assert lisa["city_id"] == "Q41604" and lisa["described_by_commons"] and not lisa["credited_by_registry"]
    assert lisa["attribution"].startswith('"Apple Lisa2-IMG 1517" by Rama & Musée Bolo, Wikimedia Commons, CC BY-SA 2.0 fr')
    issues = _issues(gated)
    held = issues[("quarantined_row", "images", "commons:File:Foobar.jpg")]
    assert held["field"] == "licence_name" and "required" in held["reason"] and held["source"] == "commons"
    assert issues[("unresolved", "images", "commons:File:Königsberg_in_Bayern")]["reason"] == "Commons reports no such file"
    assert _counts(gated)["images"] == 2


def test_registry_error_at_the_gate_stops_the_run_and_leaves_no_release(inputs, tmp_path):
    registry, wd = inputs
    core = _reconcile(registry, wd)
    core.frames["partnerships"].loc[0, "source_url"] = None
    gated = run_gate(core)
    assert not gated.passed and gated.errors[0].table == "partnerships" and gated.errors[0].field == "source_url"
    with pytest.raises(GateError) as info:
        release(CITY, {"registry": registry, "wikidata_entities": wd}, gated, RunContext(load_settings(out=tmp_path)))
    assert "partnerships" in str(info.value) and "source_url" in str(info.value)
    assert not (tmp_path / "dortmund-twinning").exists()  # no lock, no staging folder, no version


def test_a_registry_picture_without_a_free_licence_stops_the_run(registry_copy, tmp_path):
    replace_in(registry_copy / "images.csv", "Free Art Licence,https://artlibre.org/licence/lal/en/",
               "CC BY-NC 2.0,https://creativecommons.org/licenses/by-nc/2.0/")
    settings = load_settings(registry=registry_copy, out=tmp_path)
    with pytest.raises(GateError) as info:
        run_configured(settings)
    assert info.value.errors[0].rule == "licence" and "dortmund-twinning/fr-amiens-quai-belu" in str(info.value)


def test_public_domain_image_needs_no_attribution_but_keeps_its_source(inputs):
    registry, wd = inputs
    wd = copy.deepcopy(wd)
    wd.entities["Q39121"].image = "Foobar.jpg"
    found, missing = parse_imageinfo(load_fixture("wmde-commons/commons_imageinfo_Foobar.jpg.json"), ["File:Foobar.jpg"])
    gated = _gate(registry, wd, CommonsResult(found, missing))
    image = {r["image_id"]: r for r in gated.tables["images"].to_pylist()}["commons:File:Foobar.jpg"]
    assert image["attribution_required"] is False
    assert image["attribution"] == '"Foobar" by Kaldari, Wikimedia Commons, public domain (CC0)'
    assert image["source_url"] == "https://commons.wikimedia.org/wiki/File:Foobar.jpg"


def test_repeated_p190_statements_a_self_twinning_and_a_non_free_licence(inputs):
    registry, wd = inputs
    wd = copy.deepcopy(wd)
    dortmund = wd.entities["Q1295"]
    dortmund.twinnings += [Twinning("Q41604"), Twinning("Q217411"), Twinning("Q1295")]  # Amiens, Beyoğlu twice; itself
    wd.entities["Q39121"].image = "Foobar.jpg"
    found, missing = parse_imageinfo(load_fixture("wmde-commons/commons_imageinfo_Foobar.jpg.json"), ["File:Foobar.jpg"])
    found["File:Foobar.jpg"].licence_name = "CC BY-NC 2.0"  # as if the file carried a non-commercial licence
    gated = _gate(registry, wd, CommonsResult(found, missing))
    assert gated.passed and _counts(gated)["partnerships"] == 15 and _counts(gated)["images"] == 1
    assertions = {r["assertion_id"]: r for r in gated.tables["assertions"].to_pylist()}
    assert assertions["wikidata:Q1295/P190/Q41604/2"]["partnership_id"] == "Q1295--Q41604--twinning"
    rows = {r["partnership_id"]: r for r in gated.tables["partnerships"].to_pylist()}
    assert rows["Q1295--Q41604--twinning"]["assertion_count"] == 4  # registry, Dortmund's P190 twice, Amiens's P190
    issues = _issues(gated)
    issue = issues[("quarantined_row", "images", "commons:File:Foobar.jpg")]
    assert issue["value"] == "CC BY-NC 2.0" and "no free licence" in issue["reason"]
    assert "cannot partner itself" in issues[("quarantined_row", "assertions", "wikidata:Q1295/P190/Q1295")]["reason"]
