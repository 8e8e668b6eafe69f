"""Data contract 2.0: global ids with a crosswalk and redirects, unordered partnerships with phases, one assertion
per claim per source, honest reconciliation (confidence, reciprocity, status since, no invented values) and the
"as of" question, on Dortmund's real records and the bundled snapshot."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from twindata.context import RunContext
from twindata.contract.errors import TwindataError
from twindata.packages import run_configured
from twindata.read.asof import asof
from twindata.reconcile import entities
from twindata.settings import load_settings
from twindata.sources.cache import Cache
from twindata.sources.commons import CommonsResult
from twindata.sources.registry import RegistrySource, read_registry
from twindata.sources.wikidata import WikidataEntities

from conftest import FIXTURES, cli, release_tables, replace_in, write_registry

PACKAGE = "dortmund-twinning"


@pytest.fixture(scope="module")
def release(shared_releases) -> Path:
    return shared_releases / "registry" / "dortmund-twinning" / "2.0.0"


def _rows(release: Path, table: str, key: str) -> dict:
    return {r[key]: r for r in release_tables(release, drop=())[f"{table}.csv"]}


def test_assertions_keep_every_claim_and_the_sources_disagreements(release):
    assertions = list(release_tables(release, drop=())["assertions.csv"])
    buffalo = sorted((a["start_year"], a["stated_by_city_id"]) for a in assertions
                     if a["partnership_id"] == "Q1295--Q40435--friendship" and a["source"] == "registry")
    assert buffalo == [(1975, "Q40435"), (1977, "Q1295"), (1978, "Q1295")]  # Buffalo's count, council, certificate
    rostov = {a["assertion_id"].split(":")[-1]: a for a in assertions if a["partnership_id"] == "Q908--Q1295--twinning"}
    assert rostov["rostov-council-1977-de"]["start_date"] == date(1977, 7, 4)
    assert rostov["rostov-council-1977-en"]["start_date"] == date(1977, 7, 5) and rostov["rostov-council-1977-en"]["type"] == "friendship"
    assert rostov["rostov-declaration-1978-de"]["stated_by_city_id"] == "Q908"
    assert rostov["Q1295/P190/Q908"]["source"] == "wikidata" and rostov["Q1295/P190/Q908"]["wikidata_rank"] == "normal"
    assert rostov["Q1295/P190/Q908"]["snapshot_id"].startswith("sha256:")
    conflicts = {(i["record_id"], i["field"], i["value"]) for i in release_tables(release)["data_issues.csv"]
                 if i["kind"] == "conflict"}
    assert {("Q1295--Q40435--friendship", "start_year", "1975"), ("Q1295--Q40435--friendship", "start_year", "1977"),
            ("Q908--Q1295--twinning", "start_year", "1978"), ("Q908--Q1295--twinning", "type", "friendship")} <= conflicts
    partnerships = _rows(release, "partnerships", "partnership_id")
    assert all(p["assertion_count"] == sum(a["partnership_id"] == pid for a in assertions)
               for pid, p in partnerships.items())


def test_a_partnership_only_wikidata_states_gets_no_value_wikidata_does_not_give(release):
    beyoglu = _rows(release, "partnerships", "partnership_id")["Q1295--Q217411--twinning"]
    assert (beyoglu["type"], beyoglu["status"], beyoglu["status_since_year"], beyoglu["start_year"]) == (
        "twinning", None, None, None)
    assert beyoglu["confidence"] == "community" and beyoglu["stated_by_city_a"] and not beyoglu["stated_by_city_b"]
    assert beyoglu["source_url"] == "https://www.wikidata.org/wiki/Q1295#P190" and beyoglu["note"] is None
    unconfirmed = [i for i in release_tables(release)["data_issues.csv"] if i["kind"] == "unconfirmed"]
    assert [i["record_id"] for i in unconfirmed] == ["Q1295--Q217411--twinning"]


def test_two_registries_of_one_pair_make_one_reciprocal_partnership(tmp_path):
    """Leeds's side of the Leeds–Dortmund twinning beside Dortmund's: B–A and A–B are one partnership."""
    leeds = read_registry(write_registry(
        tmp_path / "leeds", "leeds-twinning", ["gb-leeds"], "CC-BY-4.0",
        cities=[{"city_id": "gb-leeds", "name": "Leeds", "country_code": "GB", "wikidata_qid": "Q39121"},
                {"city_id": "de-dortmund", "name": "Dortmund", "country_code": "DE", "wikidata_qid": "Q1295"}],
        partnerships=[{"city_id": "gb-leeds", "partner_city_id": "de-dortmund", "type": "twinning", "status": "active",
                       "start_year": 1969, "source_url": "https://news.leeds.gov.uk/news/leeds-and-twinned-city-"
                       "dortmund-re-sign-their-memorandum-of-understanding-for-a-continued-partnership"}]))
    context = RunContext(load_settings())
    dortmund = RegistrySource().read(context, {})
    wd = WikidataEntities().read(context, {"registry": dortmund})
    core = entities.reconcile([dortmund, leeds], wd, CommonsResult())
    rows = core.frames["partnerships"]
    pair = rows[rows["partnership_id"] == "Q1295--Q39121--twinning"].iloc[0]
    assert len(rows[(rows["city_a_id"] == "Q1295") & (rows["city_b_id"] == "Q39121")]) == 1
    assert pair["stated_by_city_a"] and pair["stated_by_city_b"] and pair["confidence"] == "confirmed"
    assertions = core.frames["assertions"]
    mine = assertions[assertions["partnership_id"] == "Q1295--Q39121--twinning"]
    assert sorted(mine["source_name"]) == ["dortmund-twinning", "leeds-twinning", "wikidata", "wikidata"]
    crosswalk = core.frames["crosswalk"]
    assert set(crosswalk[crosswalk["local_key"] == "de-dortmund"]["city_id"]) == {"Q1295"}  # both registries' key


def test_a_renewal_of_the_same_type_is_a_second_phase_with_its_own_key(registry_copy, tmp_path):
    # as if the twinning with Netanya had lapsed in 1975 and been renewed in 1981
    replace_in(registry_copy / "partnerships.csv", "il-netanya,de-dortmund,il-netanya,twinning,active,,1981,",
               "il-netanya-1970,de-dortmund,il-netanya,twinning,ended,,1970,,1975,,https://www.dortmund.de/themen/"
               "internationales/staedtepartnerschaften/,\nil-netanya,de-dortmund,il-netanya,twinning,active,,1981,")
    result = run_configured(load_settings(registry=registry_copy, out=tmp_path))
    rows = _rows(result.publish.path, "partnerships", "partnership_id")
    first, renewal = rows["Q1295--Q192225--twinning"], rows["Q1295--Q192225--twinning--2"]
    assert (first["phase"], first["start_year"], first["end_year"], first["status"]) == (1, 1970, 1975, "ended")
    assert (renewal["phase"], renewal["start_year"], renewal["status"]) == (2, 1981, "active")
    wikidata = [a for a in release_tables(result.publish.path)["assertions.csv"] if a["assertion_id"] ==
                "wikidata:Q1295/P190/Q192225"]
    assert wikidata[0]["partnership_id"] == "Q1295--Q192225--twinning--2"  # an undated claim: the current phase


def test_dortmund_at_the_end_of_2013(release):
    rows = asof(release, date(2013, 12, 31), "Q1295")
    certain = rows[rows["in_force"] == "yes"]
    assert sorted(certain["partnership_id"]) == sorted([
        "Q1295--Q41604--twinning", "Q1295--Q39121--twinning", "Q908--Q1295--twinning", "Q1295--Q40435--friendship",
        "Q1295--Q192225--twinning", "Q1295--Q55630--twinning", "Q1295--prov:dortmund-twinning/de-zwickau--twinning",
        "Q1295--Q5826--twinning", "Q1295--Q45301--project_partnership", "Q1295--Q182059--project_partnership"])
    assert list(rows[rows["in_force"] == "undetermined"]["partnership_id"]) == ["Q1295--Q217411--twinning"]
    rostov = rows.set_index("partnership_id").loc["Q908--Q1295--twinning"]
    assert rostov["status_on_day"] == "active"  # suspended only from 2022
    later = asof(release, date(2023, 6, 1), "Q1295").set_index("partnership_id")
    assert later.loc["Q908--Q1295--twinning", "status_on_day"] == "suspended"
    assert "Q1295--Q45301--project_partnership" not in later.index and "Q1295--Q45301--twinning" in later.index
    text = cli("asof", "2013-12-31", "--city", "Q1295", "--release", str(release))
    assert text.returncode == 0 and "In force on 2013-12-31 for Q1295" in text.stdout and ": 10" in text.stdout
    assert "Dortmund – Trabzon: project_partnership 2010–2014, active, confirmed" in text.stdout
    bad = cli("asof", "2013-31-12", "--release", str(release))
    assert bad.returncode == 1 and "2013-31-12" in bad.stderr and "Traceback" not in bad.stderr
    old = cli("asof", "2013-12-31", "--release", str(FIXTURES / "release-1.0.0" / PACKAGE / "1.0.0"))
    assert old.returncode == 1 and "not a release of data contract 2" in old.stderr and "Traceback" not in old.stderr


def test_upgrade_from_1x_publishes_2_0_0_and_maps_every_old_id(tmp_path):
    out = tmp_path / "releases"
    shutil.copytree(FIXTURES / "release-1.0.0", out)
    old = out / PACKAGE / "1.0.0"
    result = cli("run", "--out", str(out))
    assert result.returncode == 0 and "published dortmund-twinning 2.0.0" in result.stdout, result.stderr
    new = out / PACKAGE / "2.0.0"
    redirects = {(r["table"], r["old_id"]): r for r in release_tables(new)["redirects.csv"]}
    for table, key in (("cities", "city_id"), ("partnerships", "partnership_id"), ("images", "image_id")):
        for old_id in _rows(old, table, key):
            assert (table, old_id) in redirects, old_id
    assert redirects[("cities", "de-dortmund")]["new_id"] == "Q1295"
    assert redirects[("cities", "q217411")]["new_id"] == "Q217411"
    assert redirects[("partnerships", "de-dortmund--ru-rostov-on-don--twinning")]["new_id"] == "Q908--Q1295--twinning"
    assert {r["since_version"] for r in redirects.values()} == {"2.0.0"}
    changelog = (new / "CHANGELOG.md").read_text()
    assert "MAJOR release since 1.0.0" in changelog and "Data contract 2.0" in changelog
    assert "cities: de-zwickau → prov:dortmund-twinning/de-zwickau" in changelog and "## 1.0.0" in changelog
    diff = json.loads(cli("diff", str(old), str(new), "--json").stdout)
    assert "removed" not in diff["tables"]["partnerships"] and "removed" not in diff["tables"]["cities"]
    assert [c["key"] for c in diff["tables"]["partnerships"]["changed"]] == ["Q1295--Q217411--twinning"]
    assert cli("validate", str(new)).returncode == 0


def test_a_provisional_id_redirects_to_the_qid_once_known_and_is_never_reused(tmp_path):
    def leeds(qid: str | None) -> Path:
        folder = tmp_path / f"leeds-{len(list(tmp_path.glob('leeds-*')))}"
        return write_registry(
            folder, "leeds-twinning", ["gb-leeds"], "CC-BY-4.0",
            cities=[{"city_id": "gb-leeds", "name": "Leeds", "country_code": "GB", "wikidata_qid": "Q39121"},
                    {"city_id": "de-dortmund", "name": "Dortmund", "country_code": "DE", "wikidata_qid": qid}],
            partnerships=[{"city_id": "gb-leeds", "partner_city_id": "de-dortmund", "type": "twinning",
                           "status": "active", "start_year": 1969, "source_url": "https://news.leeds.gov.uk/"}])

    out = tmp_path / "releases"
    first = run_configured(load_settings(registry=leeds(None), out=out)).publish
    rows = _rows(first.path, "partnerships", "partnership_id")
    assert "Q39121--prov:leeds-twinning/de-dortmund--twinning" in rows  # the registry's, under a provisional id
    assert rows["Q1295--Q39121--twinning"]["confidence"] == "community"  # Leeds's P190 names Q1295
    second = run_configured(load_settings(registry=leeds("Q1295"), out=out)).publish
    assert second.version == "2.1.0"
    redirects = {(r["table"], r["old_id"]): r["new_id"] for r in release_tables(second.path)["redirects.csv"]}
    assert redirects == {("cities", "prov:leeds-twinning/de-dortmund"): "Q1295",
                         ("partnerships", "Q39121--prov:leeds-twinning/de-dortmund--twinning"): "Q1295--Q39121--twinning"}
    merged = _rows(second.path, "partnerships", "partnership_id")["Q1295--Q39121--twinning"]
    assert merged["confidence"] == "confirmed" and merged["stated_by_city_a"] and merged["stated_by_city_b"]
    changelog = (second.path / "CHANGELOG.md").read_text()
    assert "cities: prov:leeds-twinning/de-dortmund → Q1295" in changelog
    diff = json.loads(cli("diff", str(first.path), str(second.path), "--json").stdout)
    assert diff["tables"]["cities"]["merged"] == ["prov:leeds-twinning/de-dortmund → Q1295"]
    assert "removed" not in diff["tables"]["partnerships"] and "added" not in diff["tables"]["partnerships"]
    with pytest.raises(TwindataError, match="was retired in 2.1.0"):
        run_configured(load_settings(registry=leeds(None), out=out))


def test_the_unchanged_rerun_writes_nothing(release):
    out = release.parent.parent
    def state():
        return {str(p): (p.stat().st_mtime_ns, p.stat().st_size) for p in out.rglob("*")}
    before = state()
    result = cli("run", "--out", str(out))
    assert result.returncode == 0 and "unchanged since 2.0.0" in result.stdout
    assert state() == before


def test_settings_come_from_flags_over_environment_and_a_bad_one_is_one_line(tmp_path):
    env = {**os.environ, "TWINDATA_OUT": str(tmp_path / "from-env")}
    result = cli("run", "--out", str(tmp_path / "from-flag"), env=env)
    assert result.returncode == 0 and (tmp_path / "from-flag" / PACKAGE).is_dir() and not (tmp_path / "from-env").exists()
    assert cli("run", env=env).returncode == 0 and (tmp_path / "from-env" / PACKAGE).is_dir()
    bad = cli("run", "--out", str(tmp_path / "x"), env={**os.environ, "TWINDATA_MAX_RETRIES": "many"})
    lines = [line for line in bad.stderr.splitlines() if not line.startswith("[")]
    assert bad.returncode == 1 and len(lines) == 1 and "TWINDATA_MAX_RETRIES = 'many'" in lines[0]


def test_the_cache_of_other_parsers_is_dropped(tmp_path):
    cache = Cache(tmp_path, "endpoints", 7)
    cache.entities["Q1"] = {"revision": 5}
    cache.save()
    assert Cache(tmp_path, "endpoints", 7).entities == {"Q1": {"revision": 5}}
    data = json.loads(cache.file.read_text())
    data["parsers"]["wikidata"] -= 1  # written by the parsers before a fix
    cache.file.write_text(json.dumps(data))
    assert Cache(tmp_path, "endpoints", 7).entities == {}


def test_one_phase_stated_from_both_sides_is_one_phase(registry_copy, tmp_path):
    # as if Leeds's row were kept in Dortmund's registry too, from Leeds's side
    with open(registry_copy / "partnerships.csv", "a", encoding="utf-8") as f:
        f.write("leeds-side,gb-leeds,de-dortmund,twinning,active,,1969,,,,https://news.leeds.gov.uk/,\n")
    rows = _rows(run_configured(load_settings(registry=registry_copy, out=tmp_path)).publish.path, "partnerships",
                 "partnership_id")
    leeds = [pid for pid in rows if "Q39121" in pid]
    assert leeds == ["Q1295--Q39121--twinning"] and rows[leeds[0]]["assertion_count"] == 4


def test_asof_for_an_unknown_city_and_a_suspension_without_a_year(release, tmp_path):
    none = cli("asof", "2013-12-31", "--city", "Atlantis", "--release", str(release))
    assert none.returncode == 1 and "no city named 'Atlantis'" in none.stderr and none.stderr.count("\n") == 1
    from twindata.read.asof import in_force, read_tables
    tables = read_tables(release, "partnerships", "cities")
    tables["partnerships"].loc[tables["partnerships"]["partnership_id"] == "Q908--Q1295--twinning",
                               "status_since_year"] = None
    rostov = in_force(tables["partnerships"], tables["cities"], date(2025, 6, 1)).set_index("partnership_id")
    assert pd.isna(rostov.loc["Q908--Q1295--twinning", "status_on_day"])  # not "active": no source says since when


def test_a_snapshot_named_on_the_command_line_is_replayed_whatever_the_environment(tmp_path):
    env = {**os.environ, "TWINDATA_LIVE": "1", "TWINDATA_OUT": ""}
    from twindata.contract.bundled import default_snapshot
    result = cli("run", "--snapshot", str(default_snapshot()), "--out", str(tmp_path), env=env)
    assert result.returncode == 0 and "published dortmund-twinning 2.0.0" in result.stdout, result.stderr


def test_a_cache_or_versions_index_of_another_shape_is_one_line(tmp_path, release):
    cache = Cache(tmp_path, "endpoints", 7)
    cache.file.parent.mkdir(parents=True, exist_ok=True)
    cache.file.write_text("[]")
    assert Cache(tmp_path, "endpoints", 7).entities == {}
    out = tmp_path / "releases"
    shutil.copytree(release.parent.parent, out)
    (out / PACKAGE / "versions.json").write_text('{"latest": "9.9.9", "versions": []}')
    result = cli("run", "--out", str(out))
    assert result.returncode == 1 and "versions.json: not a versions index" in result.stderr
    assert "Traceback" not in result.stderr
