"""The validation gate: outside rows that break a schema are quarantined with their reason, registry errors stop
the run, and a failed gate leaves no release behind. Inputs are the bundled snapshot and real recorded responses."""

from __future__ import annotations

import copy

import pytest

from twindata import pipeline
from twindata.core import CommonsResult
from twindata.errors import GateError
from twindata.sources.commons import parse_imageinfo
from twindata.sources.wikidata import Twinning, parse_entity, parse_wbgetentities

from conftest import load_fixture


@pytest.fixture(scope="module")
def inputs():
    registry = pipeline.load_registry(None)
    client = pipeline.RunOptions().client()
    return registry, pipeline.fetch_wikidata(client, registry)


def _issues(result) -> dict:
    return {(r["kind"], r["table"], r["record_id"]): r for r in result.issues.frame().to_dict("records")}


def test_out_of_range_wikidata_coordinate_is_quarantined_and_the_row_kept(inputs, tmp_path):
    registry, wd = inputs
    wd = copy.deepcopy(wd)
    wd.entities["Q41604"].latitude = 249.89  # as if a statement had lost its sign and decimal point
    tables = pipeline.build_tables(registry, wd, CommonsResult())
    result, counts = pipeline.gate_and_publish(tables, registry, tmp_path, {})
    issue = _issues(tables)[("quarantined_value", "cities", "fr-amiens")]
    assert issue["field"] == "latitude" and issue["value"] == "249.89" and issue["source"] == "wikidata"
    assert "maximum" in issue["reason"]
    assert counts["cities"] == 13 and result.published


def test_partner_without_a_label_is_quarantined_with_its_partnership(inputs, tmp_path):
    registry, wd = inputs
    wd = copy.deepcopy(wd)
    claims_only = parse_wbgetentities(load_fixture("wptools/wikidata_wbgetentities_Q857243_fv2.json"), ["Q857243"])
    wd.merge(claims_only)  # a real entity fetched with props=claims: no label
    wd.entities["Q1295"].twinnings.append(Twinning("Q857243"))
    tables = pipeline.build_tables(registry, wd, CommonsResult())
    _, counts = pipeline.gate_and_publish(tables, registry, tmp_path, {})
    issues = _issues(tables)
    assert issues[("quarantined_row", "cities", "q857243")]["field"] == "name"
    assert ("quarantined_row", "partnerships", "de-dortmund--q857243--twinning") in issues
    assert counts["partnerships"] == 15 and counts["cities"] == 13


def test_novalue_partner_and_commons_images_with_html_missing_pages_and_no_licence(inputs, tmp_path):
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
    tables = pipeline.build_tables(registry, wd, CommonsResult(found, missing))
    _, counts = pipeline.gate_and_publish(tables, registry, tmp_path, {})
    images = {r["image_id"]: r for r in tables.frames["images"].to_dict("records")}
    lisa = images["commons:File:Apple_Lisa2-IMG_1517.jpg"]
    assert lisa["author"] == "Rama & Musée Bolo" and lisa["licence_spdx"] == "CC-BY-SA-2.0-FR"
    assert lisa["attribution"].startswith('"Apple Lisa2-IMG 1517" by Rama & Musée Bolo, Wikimedia Commons, CC BY-SA 2.0 fr')
    issues = _issues(tables)
    assert "no free licence" in issues[("quarantined_row", "images", "commons:File:Foobar.jpg")]["reason"]
    assert issues[("unresolved", "images", "commons:File:Königsberg_in_Bayern")]["reason"] == "Commons reports no such file"
    assert counts["images"] == 2


def test_registry_error_at_the_gate_stops_the_run_and_leaves_no_release(inputs, tmp_path):
    registry, wd = inputs
    tables = pipeline.build_tables(registry, wd, CommonsResult())
    tables.frames["partnerships"].loc[0, "source_url"] = None
    with pytest.raises(GateError) as info:
        pipeline.gate_and_publish(tables, registry, tmp_path, {})
    assert "partnerships" in str(info.value) and "source_url" in str(info.value)
    assert [p.name for p in (tmp_path / "dortmund-twinning").iterdir()] == [".lock"]  # no staging folder, no version


def test_public_domain_image_needs_no_attribution_but_keeps_its_source(inputs, tmp_path):
    registry, wd = inputs
    wd = copy.deepcopy(wd)
    wd.entities["Q39121"].image = "Foobar.jpg"
    found, missing = parse_imageinfo(load_fixture("wmde-commons/commons_imageinfo_Foobar.jpg.json"), ["File:Foobar.jpg"])
    tables = pipeline.build_tables(registry, wd, CommonsResult(found, missing))
    pipeline.gate_and_publish(tables, registry, tmp_path, {})
    image = tables.frames["images"].set_index("image_id").loc["commons:File:Foobar.jpg"]
    assert image["attribution_required"] is False
    assert image["attribution"] == '"Foobar" by Kaldari, Wikimedia Commons, public domain (CC0)'
    assert image["source_url"] == "https://commons.wikimedia.org/wiki/File:Foobar.jpg"


def test_repeated_p190_statements_and_a_non_free_licence(inputs, tmp_path):
    registry, wd = inputs
    wd = copy.deepcopy(wd)
    dortmund = wd.entities["Q1295"]
    dortmund.twinnings += [Twinning("Q41604"), Twinning("Q217411")]  # Amiens and Beyoğlu named twice
    wd.entities["Q39121"].image = "Foobar.jpg"
    found, missing = parse_imageinfo(load_fixture("wmde-commons/commons_imageinfo_Foobar.jpg.json"), ["File:Foobar.jpg"])
    found["File:Foobar.jpg"].licence_name = "CC BY-NC 2.0"  # as if the file carried a non-commercial licence
    tables = pipeline.build_tables(registry, wd, CommonsResult(found, missing))
    _, counts = pipeline.gate_and_publish(tables, registry, tmp_path, {})
    assert counts["partnerships"] == 15 and counts["images"] == 1
    rows = tables.frames["partnerships"].set_index("partnership_id")
    assert rows.at["de-dortmund--fr-amiens--twinning", "sources"] == "registry;wikidata;wikidata_partner"
    issue = _issues(tables)[("quarantined_row", "images", "commons:File:Foobar.jpg")]
    assert issue["value"] == "CC BY-NC 2.0" and "no free licence" in issue["reason"]
