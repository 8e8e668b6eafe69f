"""The world package: each reconciliation rule on inline data, and the bundled snapshot (real Wikidata and Wikipedia
extracts) published end to end with Dortmund's registry as the confirmed tier."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from twindata.contract.bundled import default_registry, world_snapshot
from twindata.contract.countries import country, is_assigned
from twindata.contract.files import sha256_file
from twindata.contract.tables import csv_bytes, sorted_arrow
from twindata.reconcile import network as world
from twindata.sources.extracts import P190, read_world_snapshot, snapshot_id_of
from twindata.sources.registry import read_registry

from conftest import cli

PAIRS_HEADER = "city1,country1,city2,country2\n"


def statement(subject: tuple, partner: tuple, directed: bool = True, extract: str = "wdqs", **more) -> dict:
    """A P190 row: subject and partner as (qid or None, label, country)."""
    key = hashlib.sha256(repr((subject, partner)).encode()).hexdigest()[:16]
    row = {"assertion_id": f"{extract}:{key}", "extract": extract, "directed": directed}
    for side, (qid, label, given) in (("subject", subject), ("partner", partner)):
        row.update({f"{side}_qid": qid, f"{side}_label": label, f"{side}_country": given})
    return {**row, **more}


def snapshot(folder: Path, statements: list[dict], pairs: str = "") -> Path:
    """A world snapshot folder of the given rows, with its manifest."""
    (folder / "wikidata").mkdir(parents=True)
    (folder / "wikipedia").mkdir()
    files = []
    if statements:
        (folder / "wikidata" / "XX.csv").write_bytes(csv_bytes(sorted_arrow(statements, P190)))
        files.append({"path": "wikidata/XX.csv", "partition": "XX"})
    (folder / "wikipedia" / "pairs.csv").write_text(PAIRS_HEADER + pairs, encoding="utf-8")
    files.append({"path": "wikipedia/pairs.csv"})
    for f in files:
        f["sha256"] = sha256_file(folder / f["path"])
    (folder / "manifest.json").write_text(json.dumps({"snapshot_id": snapshot_id_of(files, "world"), "files": files}),
                                          encoding="utf-8")
    return folder


def reconcile(tmp_path: Path, statements: list[dict], pairs: str = ""):
    snap = read_world_snapshot(snapshot(tmp_path / "snap", statements, pairs))
    core = world.reconcile(snap, [read_registry(default_registry())])
    issues = pd.DataFrame(core.issues.records())
    return core.frames, issues


def test_countries_are_read_by_iso_names_aliases_and_last_part_and_never_guessed():
    assert country("New York, United States").code == "US"
    assert country("England, United Kingdom").code == "GB" and country("Scotland").code == "GB"
    assert country("People's Republic of China").code == "CN" and country("DE").code == "DE"
    assert country("Kosovo").status == "unrecognised" and country("Kosovo").code is None
    assert country("Austria-Hungary").status == "historical"
    assert country("Madagaskar").status == "unknown" and country("uk").code is None
    assert is_assigned("DE") and not any(is_assigned(c) for c in ("ZZ", "XX", "UK", "de"))


def test_an_ambiguous_name_is_held_back_with_its_candidates_and_a_unique_one_resolves(tmp_path):
    rows = [statement(("Q1", "Córdoba", "AR"), ("Q2", "Rosario", "AR")),
            statement(("Q3", "Córdoba", "AR"), ("Q4", "Mendoza", "AR")),
            statement(("Q5", "Córdoba", "ES"), ("Q6", "Sevilla", "ES"))]
    frames, issues = reconcile(tmp_path, rows, "Córdoba,Argentina,Bergen,Norway\nCórdoba,Spain,Bergen,Norway\n")
    ambiguous = issues[issues.kind == "ambiguous"]
    assert len(ambiguous) == 1 and "Q1, Q3" in ambiguous.iloc[0]["reason"]
    assert ambiguous.iloc[0]["value"] == "Córdoba, Argentina"
    p = frames["partnerships"]
    bergen = p[p.city_a_id.eq("Q5") & p.city_b_id.str.startswith("prov:names/no-bergen-")]
    assert len(bergen) == 1 and bergen.iloc[0]["layers"] == "wikipedia"
    assert len(p[p.city_b_id.str.contains("bergen")]) == 1  # the Argentinian claim held back, not guessed


def test_a_pair_wikidata_links_resolves_an_ambiguous_or_variant_name_and_a_variant_alone_does_not(tmp_path):
    rows = [statement(("Q10", "Leeds", "GB"), ("Q20", "Hangzhou", "CN")),  # the city Leeds is twinned with Hangzhou
            statement(("Q11", "Leeds", "GB"), ("Q21", "Dortmund", "DE")),
            statement(("Q30", "Iași", "RO"), ("Q40", "Chişinău", "MD")),
            statement(("Q50", "Löhne", "DE"), ("Q60", "Marsac", "FR"))]
    pairs = ("Leeds,\"England, United Kingdom\",Hangzhou,China\n"  # Leeds of two items: the one linked with Hangzhou
             "Iaşi,Romania,Chisinau,Moldova\n"  # a cedilla, no comma below, no marks: the one linked pair
             "Lohne,Germany,Bergen,Norway\n")  # Lohne is not Löhne: a variant alone is no evidence
    frames, issues = reconcile(tmp_path, rows, pairs)
    p = frames["partnerships"]
    listed = p[p.layers.str.contains("wikipedia")]
    assert set(zip(listed.city_a_id, listed.city_b_id)) >= {("Q10", "Q20"), ("Q30", "Q40")}
    assert not (issues.kind == "ambiguous").any()
    lohne = listed[listed.city_a_id.str.contains("lohne") | listed.city_b_id.str.contains("lohne")]
    assert len(lohne) == 1 and "Q50" not in set(lohne.city_a_id) | set(lohne.city_b_id)
    matched = frames["crosswalk"].set_index("local_key")["matched_by"]
    assert matched["Leeds, England, United Kingdom"] == "linked_pair" and matched["Lohne, Germany"] == "name"


def _at(lat: float, lon: float, side: str = "subject") -> dict:
    return {f"{side}_latitude": lat, f"{side}_longitude": lon}


def test_one_place_at_two_levels_is_one_city_and_near_namesakes_stay_apart(tmp_path):
    rows = [statement(("Q10", "Wakefield", "GB"), ("Q20", "Hangzhou", "CN"), **_at(53.7997, -1.5492)),
            statement(("Q11", "Wakefield", "GB"), ("Q21", "Dortmund", "DE"), **_at(53.8, -1.55)),  # the district
            statement(("Q11", "Wakefield", "GB"), ("Q22", "Lille", "FR"), **_at(53.8, -1.55)),
            statement(("Q30", "Kansas City", "US"), ("Q40", "Seville", "ES"), **_at(39.05, -94.5833)),  # Missouri
            statement(("Q31", "Kansas City", "US"), ("Q41", "Puebla", "MX"), **_at(39.1067, -94.6764))]  # Kansas
    frames, issues = reconcile(tmp_path, rows, "Wakefield,\"England, United Kingdom\",Bergen,Norway\n")
    p = frames["partnerships"]
    assert {("Q11", "Q20"), ("Q11", "Q21"), ("Q11", "Q22")} <= set(zip(p.city_a_id, p.city_b_id))  # named twice
    assert "Q10" not in set(p.city_a_id) | set(frames["cities"].city_id)
    assert not (issues.kind == "ambiguous").any()  # Wakefield, England is one place: the list's claim resolves
    assert len(p[p.city_b_id.str.contains("bergen") & (p.city_a_id == "Q11")]) == 1
    folded = frames["crosswalk"][frames["crosswalk"].matched_by == "same_place"]
    assert folded[["registry", "local_key", "city_id"]].values.tolist() == [["wikidata", "Q10", "Q11"]]
    assert {"Q30", "Q31"} <= set(frames["cities"].city_id)  # 10 km apart, two states: two places


def test_a_point_given_with_the_name_chooses_among_items_or_variants_within_reach(tmp_path):
    rows = [statement(("Q1", "Córdoba", "AR"), ("Q2", "Rosario", "AR"), **_at(-31.42, -64.18)),
            statement(("Q3", "Córdoba", "AR"), ("Q4", "Mendoza", "AR"), **_at(-31.6, -60.7)),  # the department
            statement(("Q8969", "Cancún", "MX"), ("Q5", "Mérida", "MX"), **_at(21.1614, -86.8248)),
            statement((None, "Córdoba", "Argentina"), (None, "Trier", "Germany"), **_at(-31.41, -64.19)),
            statement((None, "Cancun", "Mexico"), (None, "Weimar", "Germany"), **_at(21.1606, -86.8475)),
            statement((None, "Córdoba", "Argentina"), (None, "Jena", "Germany"))]  # no point: still ambiguous
    frames, issues = reconcile(tmp_path, rows)
    p = frames["partnerships"]
    assert len(p[(p.city_a_id == "Q1") & p.city_b_id.str.contains("trier")]) == 1
    assert len(p[(p.city_a_id == "Q8969") & p.city_b_id.str.contains("weimar")]) == 1
    assert list(issues[issues.kind == "ambiguous"].value) == ["Córdoba, Argentina"]
    matched = frames["crosswalk"].set_index("local_key")["matched_by"]
    assert matched["Córdoba, Argentina"] == "located" and matched["Cancun, Mexico"] == "located"


def test_the_reconciliation_reports_each_step_as_it_goes(tmp_path):
    heard = []
    snap = read_world_snapshot(snapshot(tmp_path / "snap", [statement(("Q1", "Weimar", "DE"), ("Q2", "Trier", "DE"))],
                                        "Weimar,Germany,Blois,France\n"))
    world.reconcile(snap, [read_registry(default_registry())], progress=heard.append)
    assert [m.split(":")[0] for m in heard] == ["places", "claims", "claims", "partnerships", "cities"]
    assert "after 1 rows of Wikipedia's lists" in heard[2] and heard[3].startswith("partnerships: ")


def test_a_partnership_says_when_the_extracts_first_and_last_stated_it(tmp_path):
    rows = [statement(("Q1", "Weimar", "DE"), ("Q2", "Trier", "DE"), extract="wikidata-2016"),
            statement(("Q2", "Trier", "DE"), ("Q1", "Weimar", "DE"), extract="wikidata-2022"),
            statement(("Q1", "Weimar", "DE"), ("Q2", "Trier", "DE"), extract="wikidata-2017")]
    snap = snapshot(tmp_path / "snap", rows)
    manifest = json.loads((snap / "manifest.json").read_text(encoding="utf-8"))
    manifest["extracts"] = {"wikidata-2016": {"retrieved": "2016-09-10"}, "wikidata-2022": {"retrieved": "2022-01-09"},
                            "wikidata-2017": {"retrieved": "2017-13-45"}}  # no day: not a date it was stated
    (snap / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    core = world.reconcile(read_world_snapshot(snap), [read_registry(default_registry())])
    row = core.frames["partnerships"].set_index("partnership_id").loc["Q1--Q2--twinning"]
    assert (str(row.first_stated), str(row.last_stated)) == ("2016-09-10", "2022-01-09")


def test_a_country_is_no_city_and_a_raw_qid_is_no_name(tmp_path):
    rows = [statement(("Q1", "Nukuʻalofa", "TO"), ("Q678", "Tonga", "TO")),  # a country as a partner
            statement(("Q235", "Monaco", "MC"), ("Q90", "Paris", "FR")),  # a city-state is a city
            statement(("Q5", "Q5", "DE"), ("Q6", "Lyon", "FR")),  # no label found: the QID in its place
            statement(("Q5", "Weimar", "DE"), ("Q7", "Trier", "DE"))]
    frames, issues = reconcile(tmp_path, rows, "Kenya,Kenya,Bergen,Norway\n")
    held = issues[issues.kind == "not_a_city"]
    assert sorted(held.value.str.split(" ").str[0]) == ["Kenya", "Tonga"]
    cities = frames["cities"].set_index("city_id")
    assert "Q678" not in cities.index and cities.loc["Q235", "name"] == "Monaco" and cities.loc["Q5", "name"] == "Weimar"


def test_reciprocity_counts_directed_statements_only(tmp_path):
    rows = [statement(("Q10", "Aa", "DE"), ("Q20", "Bb", "FR")), statement(("Q20", "Bb", "FR"), ("Q10", "Aa", "DE")),
            statement(("Q30", "Cc", "DE"), ("Q40", "Dd", "FR"), directed=False, extract="wikidata-2022")]
    frames, _ = reconcile(tmp_path, rows)
    p = frames["partnerships"].set_index("partnership_id")
    assert p.loc["Q10--Q20--twinning", ["stated_by_city_a", "stated_by_city_b"]].tolist() == [True, True]
    assert p.loc["Q30--Q40--twinning", ["stated_by_city_a", "stated_by_city_b"]].tolist() == [False, False]
    assert p.loc["Q10--Q20--twinning", "assertion_count"] == 2


def test_a_pair_listed_twice_is_one_partnership_with_two_assertions(tmp_path):
    pairs = 'Leedsham,England,Dortstadt,Germany\nDortstadt,Germany,Leedsham,"England, United Kingdom"\n'
    frames, _ = reconcile(tmp_path, [], pairs)
    p = frames["partnerships"]
    mine = p[p.city_a_id.str.contains("dortstadt") | p.city_b_id.str.contains("dortstadt")]
    assert len(mine) == 1 and mine.iloc[0]["assertion_count"] == 2
    assert mine.iloc[0]["stated_by_city_a"] is False and mine.iloc[0]["confidence"] == "community"
    assert len(frames["assertions"][frames["assertions"].partnership_id == mine.iloc[0]["partnership_id"]]) == 2


def test_a_same_name_pair_is_ambiguous_not_a_self_partnership(tmp_path):
    frames, issues = reconcile(tmp_path, [statement((None, "Eisenberg", "Germany"), (None, "Eisenberg", "Germany"))],
                               "Stryi,Ukraine,Stryi,Ukraine\n")
    assert len(frames["partnerships"][frames["partnerships"].confidence == "community"]) == 0
    reasons = issues[issues.kind == "ambiguous"]["reason"].tolist()
    assert len(reasons) == 2 and all("same name on both sides" in r for r in reasons)


def test_composite_and_qualified_names_are_classified_not_dropped_and_countries_unresolved(tmp_path):
    pairs = "Yerevan – Davtashen,Armenia,Limmen (Castricum),Netherlands\nPristina,Kosovo,Tirana,Albania\n"
    frames, issues = reconcile(tmp_path, [], pairs)
    cities = frames["cities"].set_index("name")
    assert cities.loc["Yerevan – Davtashen", "name_form"] == "composite"
    assert cities.loc["Limmen (Castricum)", "name_form"] == "qualified"
    assert cities.loc["Pristina", "country_code"] is None
    unresolved = issues[(issues.kind == "unresolved") & (issues.field == "country_code")]
    assert "Kosovo" in unresolved["value"].tolist()


def test_a_registry_city_without_a_qid_takes_the_lists_claims_by_its_name(tmp_path):
    frames, _ = reconcile(tmp_path, [], "Dortmund,Germany,Zwickau,Germany\n")
    p = frames["partnerships"]
    zwickau = p[p.city_b_id == "prov:dortmund-twinning/de-zwickau"]
    assert len(zwickau) == 1 and zwickau.iloc[0]["confidence"] == "confirmed"
    assert zwickau.iloc[0]["layers"] == "registry wikipedia"


def test_a_changed_snapshot_file_is_one_line(tmp_path):
    folder = snapshot(tmp_path / "snap", [statement(("Q10", "Aa", "DE"), ("Q20", "Bb", "FR"))])
    with open(folder / "wikidata" / "XX.csv", "a", encoding="utf-8") as f:
        f.write('"wdqs:x","wdqs",true,,"=HYPERLINK()",,,,,,"B",,,,,,,,\n')
    done = cli("run", "--package", "world", "--out", str(tmp_path / "out"), env=_env(folder))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "sha256 differs from the snapshot's manifest" in done.stderr.strip().splitlines()[-1]


def _env(world_folder: Path) -> dict:
    import os
    return {**os.environ, "TWINDATA_WORLD_SNAPSHOT": str(world_folder)}


@pytest.fixture(scope="module")
def world_release(shared_releases) -> Path:
    return shared_releases / "world" / "world-twinning" / "2.0.0"


def test_the_bundled_world_package_has_dortmunds_partnerships_confirmed(world_release):
    p = pd.read_csv(world_release / "data" / "partnerships.csv", dtype=str, keep_default_na=False)
    dortmund = p[(p.city_a_id == "Q1295") | (p.city_b_id == "Q1295")]
    confirmed = dortmund[dortmund.confidence == "confirmed"]
    partners = set(confirmed.city_a_id) | set(confirmed.city_b_id)
    assert len(partners - {"Q1295"}) == 11  # Amiens, Leeds, Rostov, Buffalo, Netanya, Novi Sad, Xi'an, Trabzon, ...
    community = dortmund[dortmund.confidence == "community"]
    cities = pd.read_csv(world_release / "data" / "cities.csv", dtype=str, keep_default_na=False).set_index("city_id")
    # Wikidata's own: Beyoğlu; the 2016 crawl's metropolitan borough City of Leeds is one place with the city Leeds
    assert sorted(cities.loc[c, "name"] for c in set(community.city_a_id) | set(community.city_b_id)
                  if c != "Q1295") == ["Beyoğlu"]
    crosswalk = pd.read_csv(world_release / "data" / "crosswalk.csv", dtype=str, keep_default_na=False)
    folded = crosswalk[crosswalk.matched_by == "same_place"].set_index("local_key")["city_id"]
    assert folded["Q774015"] == "Q39121" and folded["Q9899"] == "Q727" and "Q774015" not in cities.index
    zwickau = crosswalk[(crosswalk.registry == "dortmund-twinning") & (crosswalk.local_key == "de-zwickau")]
    assert zwickau[["city_id", "matched_by"]].values.tolist() == [["Q3778", "linked_pair"]]  # Q1295 P190 Q3778
    assert len(p) > 30000 and (p.layers.str.contains("wikidata")).sum() > 15000


def test_danish_and_swedish_towns_are_in_their_own_countries(world_release):
    """The 2017 extract's files for Denmark and Sweden hold each other's towns; the snapshot builder corrects them
    and says so in the manifest."""
    c = pd.read_parquet(world_release / "data" / "cities.parquet")
    outside_denmark = c[(c.country_code == "DK") & ((c.latitude > 57.9) | (c.longitude > 15.3))]
    west_of_sweden = c[(c.country_code == "SE") & (c.longitude < 10.9)]
    assert outside_denmark.empty and west_of_sweden.empty
    assert list(c[c.name == "Stockholm"].city_id) == ["Q1754"]  # one node, not a Danish provisional one beside it
    corrections = json.loads((world_snapshot() / "manifest.json").read_text(encoding="utf-8"))["corrections"]
    assert {(f, c["to"]) for f, c in corrections["wikidata-2017"].items()} == {("denmark.tsv", "Sweden"),
                                                                              ("sweden.tsv", "Denmark")}


def test_citations_point_at_the_page_that_holds_the_claim(world_release):
    a = pd.read_parquet(world_release / "data" / "assertions.parquet")
    listed = a[a.source == "wikipedia"]
    assert listed.source_url.str.startswith(
        "https://en.wikipedia.org/wiki/List_of_twin_towns_and_sister_cities_in_").all()  # never the index
    leeds = listed[listed.source_url.str.endswith("_in_the_United_Kingdom") | listed.source_url.str.endswith("_in_England")]
    assert len(leeds) > 100
    stated = a[(a.source == "wikidata") & a.stated_by_city_id.fillna("").str.match(r"^Q[0-9]+$")]
    assert (stated.source_url == "https://www.wikidata.org/wiki/" + stated.stated_by_city_id + "#P190").mean() > 0.95
    generic = ["https://www.wikidata.org/", "https://en.wikipedia.org/wiki/Lists_of_twin_towns_and_sister_cities"]
    p = pd.read_parquet(world_release / "data" / "partnerships.parquet")
    assert not a.source_url.isin(generic).any() and not p.source_url.isin(generic).any()
    by_label = a[(a.source == "wikidata") & ~a.source_url.str.startswith("https://www.wikidata.org/wiki/Q")]
    assert set(by_label.source_name) == {"Wikidata P190 (wikidata-2017)"}  # the stating item known by label only:
    assert by_label.source_url.str.match(r"^https://github\.com/rogorido/sistercities/blob/[0-9a-f]{40}/sparql/data/"
                                         r"[a-z]+\.tsv$").all()  # the extract's file that holds the row


def test_a_source_that_names_a_pair_names_no_stating_side_and_dates_are_counted(world_release):
    a = pd.read_parquet(world_release / "data" / "assertions.parquet")
    undirected = a.note.fillna("").str.contains("without saying which")
    assert undirected.sum() > 30000 and a[undirected].stated_by_city_id.isna().all()
    assert a[a.source == "registry"].stated_by_city_id.notna().all()
    descriptor = json.loads((world_release / "datapackage.json").read_text(encoding="utf-8"))
    p = pd.read_parquet(world_release / "data" / "partnerships.parquet")
    dated = int((p.start_year.notna() | p.end_year.notna()).sum())
    assert 50 < dated < 100  # the registries' rows with the years their pages give
    assert f"Dates: {dated} of the {len(p)} " in descriptor["description"]
    assert "carry a start or end year" in descriptor["description"]


def test_the_world_release_validates_and_an_unchanged_rerun_publishes_nothing(world_release):
    assert cli("validate", str(world_release)).returncode == 0
    done = cli("run", "--package", "world", "--out", str(world_release.parents[1]))
    assert done.returncode == 0 and "unchanged since 2.0.0" in done.stdout


def test_the_bundled_snapshot_holds_what_its_manifest_says():
    manifest = json.loads((world_snapshot() / "manifest.json").read_text(encoding="utf-8"))
    for f in manifest["files"]:
        assert sha256_file(world_snapshot() / f["path"]) == f["sha256"]
        assert f["licence"] in manifest["licences"]
    assert (world_snapshot() / "PROVENANCE.md").is_file()


def test_a_bad_row_of_a_partition_is_quarantined_with_its_file_and_row_and_the_others_kept(tmp_path):
    rows = [statement(("Q10", "Aa", "DE"), ("Q20", "Bb", "FR")),
            statement(("Q30", "Cc", "DE"), ("Q40", "Dd", "FR"), subject_latitude=123.0)]
    frames, issues = reconcile(tmp_path, rows)
    ids = set(frames["partnerships"]["partnership_id"])
    assert "Q10--Q20--twinning" in ids and "Q30--Q40--twinning" not in ids
    held = issues[issues.kind == "quarantined_row"].iloc[0]
    assert held["field"] == "subject_latitude" and held["value"] == "123" and "maximum" in held["reason"]
    assert held["record_id"] in {"wikidata/XX.csv row 2", "wikidata/XX.csv row 3"}


@pytest.mark.parametrize("extracts", [["a list"], {"wikidata-2016": "a string"},
                                      {"wikidata-2016": {"retrieved": 2016, "cite": ["x"]}},
                                      {"wikidata-2016": {"retrieved": "2016-99-99", "cite": {"DE": "javascript:alert(1)"}}}])
def test_a_manifest_that_says_odd_things_of_its_extracts_is_read_as_saying_nothing(tmp_path, extracts):
    snap = snapshot(tmp_path / "snap", [statement((None, "Weimar", "DE"), (None, "Trier", "DE"), extract="wikidata-2016")])
    manifest = json.loads((snap / "manifest.json").read_text(encoding="utf-8"))
    (snap / "manifest.json").write_text(json.dumps({**manifest, "extracts": extracts}), encoding="utf-8")
    core = world.reconcile(read_world_snapshot(snap), [read_registry(default_registry())])
    a = core.frames["assertions"].set_index("source")
    assert a.loc["wikidata", "source_url"] == "https://www.wikidata.org/"  # no file to cite, no other page
    assert a.loc["wikidata", "source_revision"] in (None, "2016-99-99")  # text as given, never a number
    assert core.frames["partnerships"].first_stated.isna().all()  # and no day it was stated


def _scaffold(folder: Path, key: str, name: str, cc: str, qid: str, partner: tuple, start: int) -> Path:
    """A registry made by ``twindata registry new``, with one partner and one twinning from ``start``."""
    from twindata.scaffold import new_registry

    new_registry(folder, key, name, cc, f"https://example.org/{key}/", qid)
    pkey, pname, pcc, pqid = partner
    with open(folder / "cities.csv", "a", encoding="utf-8") as f:
        f.write(f"{pkey},{pname},,{pcc},{pqid}\r\n")
    with open(folder / "partnerships.csv", "a", encoding="utf-8") as f:
        f.write(f"{pkey},{cc.lower()}-{key},{pkey},twinning,active,,{start},,,,https://example.org/{key},\r\n")
    return folder


def test_every_registry_confirms_its_city_and_two_that_disagree_give_conflicts(tmp_path):
    hamburg = _scaffold(tmp_path / "hamburg", "hamburg", "Hamburg", "DE", "Q1055", ("fr-marseille", "Marseille", "FR",
                                                                                 "Q23482"), 1958)
    marseille = _scaffold(tmp_path / "marseille", "marseille", "Marseille", "FR", "Q23482", ("de-hamburg", "Hamburg",
                                                                                         "DE", "Q1055"), 1959)
    snap = read_world_snapshot(snapshot(tmp_path / "snap", [statement(("Q1055", "Hamburg", "DE"),
                                                                      ("Q23482", "Marseille", "FR"))]))
    core = world.reconcile(snap, [read_registry(default_registry()), read_registry(hamburg), read_registry(marseille)])
    p = core.frames["partnerships"]
    pair = p[(p.city_a_id == "Q1055") & (p.city_b_id == "Q23482")]
    assert len(pair) == 1  # one phase, both cities' records: not a renewal
    row = pair.iloc[0]
    assert row.confidence == "confirmed" and row.stated_by_city_a and row.stated_by_city_b
    assert pd.isna(row.start_year) and row.assertion_count == 3  # the registries disagree: no year is published
    issues = pd.DataFrame(core.issues.records())
    conflicts = issues[(issues.kind == "conflict") & (issues.record_id == row.partnership_id)]
    assert sorted(conflicts.value.astype(str)) == ["1958", "1959"] and set(conflicts.field) == {"start_year"}


def test_the_world_package_takes_every_bundled_registry_and_those_named(tmp_path):
    extra = _scaffold(tmp_path / "hamburg", "hamburg", "Hamburg", "DE", "Q1055",
                      ("fr-marseille", "Marseille", "FR", "Q23482"), 1958)
    done = cli("run", "--package", "world", "--registry", str(extra), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    release = next((tmp_path / "out" / "world-twinning").iterdir())
    a = pd.read_parquet(release / "data" / "assertions.parquet")
    names = set(a[a.source == "registry"].source_name)
    assert {"dortmund-twinning", "oxford-twinning", "kanazawa-twinning", "hamburg-twinning"} <= names
    assert len(names) >= 14
    twice = cli("run", "--package", "world", "--registry", str(extra), "--registry", str(extra), "--out",
                str(tmp_path / "out"))
    assert twice.returncode == 0 and "unchanged since" in twice.stdout  # one folder is taken once
