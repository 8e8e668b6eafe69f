"""The city's registry: Dortmund's records as the city states them, and one clear line for each kind of bad input."""

from __future__ import annotations

import pytest

from twindata.contract.bundled import default_registry
from twindata.contract.errors import TwindataError
from twindata.sources.registry import read_registry

from conftest import cli, replace_in

OFFICIAL = {  # partner -> year of the official list (dortmund.de, current page)
    "fr-amiens": 1960, "gb-leeds": 1969, "ru-rostov-on-don": 1977, "us-buffalo": 1978, "il-netanya": 1981,
    "rs-novi-sad": 1982, "de-zwickau": 1988, "cn-xian": 1992, "tr-trabzon": 2014, "gh-kumasi": 2024, "ua-zhytomyr": 2025,
}


def test_dortmund_registry_holds_the_eleven_arrangements_with_their_history():
    reg = read_registry(default_registry())
    p = reg.partnerships
    current = p[p["status"] != "ended"]
    assert dict(zip(current["partner_city_id"], current["start_year"])) == OFFICIAL
    phases = {(r.partner_city_id, r.type): (r.start_year, r.end_year) for r in p.itertuples()}
    assert phases[("tr-trabzon", "project_partnership")] == (2010, 2014)
    assert phases[("gh-kumasi", "project_partnership")] == (2011, 2024)
    assert phases[("ua-zhytomyr", "solidarity_partnership")] == (2023, 2025)
    assert p.set_index("partner_city_id").at["ru-rostov-on-don", "status"] == "suspended"
    assert p["source_url"].str.startswith("http").all()
    amiens = reg.images.iloc[0]
    assert (amiens["caption"], amiens["licence_name"], amiens["author"]) == (
        "Quai bélu in Amiens", "Free Art Licence", "Emmanuel LEGRAND")
    assert amiens["commons_file_title"] is None  # no source names the file
    claims = reg.table("claims").set_index("claim_id")
    assert claims.at["buffalo-counts-1975", "start_year"] == 1975 and claims.at["buffalo-counts-1975", "stated_by"] == "us-buffalo"
    assert claims.at["rostov-council-1977-en", "type"] == "friendship"
    assert p.set_index("partner_city_id").at["ru-rostov-on-don", "status_since_year"] == 2022


def test_claims_file_is_optional(registry_copy):
    (registry_copy / "claims.csv").unlink()
    assert read_registry(registry_copy).table("claims").empty


@pytest.mark.parametrize("file, old, new, expected", [
    ("partnerships.csv", "de-dortmund,il-netanya,twinning,active,,1981,,,,",
     "de-dortmund,il-netanya,twinning,active,,1981,,,,\"unclosed,",
     ["partnerships.csv", "row"]),
    ("partnerships.csv", "de-dortmund,rs-novi-sad,twinning,", "de-dortmund,rs-novi-sad,brotherhood,",
     ["partnerships.csv", "row 7 (rs-novi-sad)", "field 'type'", "'brotherhood'", "twinning"]),
    ("partnerships.csv", "tr-trabzon,project_partnership,ended,,2010,,2014", "tr-trabzon,project_partnership,ended,,2010,,2008",
     ["partnerships.csv", "tr-trabzon", "field 'end_year'", "2008", "ends before it starts (2010)"]),
    ("partnerships.csv", "de-dortmund,rs-novi-sad,twinning,active,,1982", "de-dortmund,il-netanya,twinning,active,,1981",
     ["partnerships.csv", "row 7 (rs-novi-sad)", "duplicate record", "same cities, type and start year as row 6 (il-netanya)"]),
    ("partnerships.csv", "rs-novi-sad,de-dortmund", "il-netanya,de-dortmund",
     ["partnerships.csv", "row 7 (il-netanya)", "duplicate record"]),
    ("cities.csv", "rs-novi-sad,Novi Sad,,RS,Q55630", "rs-novi-sad,,,RS,Q55630",
     ["cities.csv", "row 8 (rs-novi-sad)", "field 'name'", "constraint \"required\""]),
    ("cities.csv", "fr-amiens,Amiens,,FR,Q41604", "fr-amiens,Amiens,,FR,41604",
     ["cities.csv", "fr-amiens", "field 'wikidata_qid'", "'41604'", "pattern"]),
    ("partnerships.csv", "de-dortmund,cn-xian,twinning,active,,1992,1992-07-22", "de-dortmund,cn-xian,twinning,active,,1992,1993-07-22",
     ["partnerships.csv", "cn-xian", "field 'start_date'", "1993-07-22", "outside start_year 1992"]),
    ("partnerships.csv", "de-dortmund,cn-xian,", "de-dortmund,cn-xi-an,",
     ["partnerships.csv", "foreign"]),
    ("registry.json", '"name": "dortmund-twinning",', '"name": "dortmund-twinning"',
     ["registry.json", "not valid JSON"]),
    ("registry.json", '"name": "dortmund-twinning",', '"name": "Dortmund Twinning",',
     ["registry.json: package, field 'name'", "'Dortmund Twinning'", "not of the form the field takes"]),
    ("registry.json", '"city_ids": ["de-dortmund"],', '"city_ids": "de-dortmund",',
     ["registry.json: package, field 'city_ids'", "not of the type the field takes"]),
    ("registry.json", '"title": "Town twinning of Dortmund",', '',
     ["registry.json: package, field 'title'", "required and missing"]),
    ("registry.json", '"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/", ', '',
     ["registry.json: package, field 'licenses[0]'"]),
    ("partnerships.csv", "de-dortmund,ru-rostov-on-don,twinning,suspended,2022,1977", "de-dortmund,ru-rostov-on-don,twinning,suspended,1970,1977",
     ["partnerships.csv", "ru-rostov-on-don", "field 'status_since_year'", "1970", "outside the phase's years"]),
    ("claims.csv", "buffalo-counts-1975,us-buffalo,us-buffalo", "buffalo-counts-1975,us-buffalo,gb-leeds",
     ["claims.csv", "row 8 (buffalo-counts-1975)", "field 'stated_by'", "'gb-leeds'", "one of the two cities of its phase us-buffalo"]),
    ("claims.csv", "buffalo-council-1977,us-buffalo,", "buffalo-council-1977,us-buffalo-1,",
     ["claims.csv", "row 7", "foreign key", "phase_id"]),
    ("claims.csv", "rostov-council-1977-de,", "rostov-council-1977-en,",
     ["claims.csv", "row 3", "duplicate record"]),
])
def test_bad_registry_gives_one_line_naming_file_record_field_value(registry_copy, file, old, new, expected):
    replace_in(registry_copy / file, old, new)
    with pytest.raises(TwindataError) as info:
        read_registry(registry_copy)
    message = str(info.value)
    assert "\n" not in message
    for part in expected:
        assert part in message, message


def test_cli_reports_a_bad_registry_in_one_line_without_traceback_and_publishes_nothing(registry_copy, tmp_path):
    replace_in(registry_copy / "partnerships.csv", "de-dortmund,rs-novi-sad,twinning,", "de-dortmund,rs-novi-sad,brotherhood,")
    out = tmp_path / "releases"
    result = cli("run", "--registry", str(registry_copy), "--out", str(out))
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if not line.startswith("[")]  # progress lines start with [
    assert len(lines) == 1 and lines[0].startswith("twindata: ") and "Traceback" not in result.stderr
    assert "partnerships.csv: row 7" in lines[0] and "'brotherhood'" in lines[0]
    assert not out.exists() or not any(out.rglob("datapackage.json"))


def test_missing_registry_folder_is_one_line(tmp_path):
    result = cli("run", "--registry", str(tmp_path / "nowhere"), "--out", str(tmp_path / "r"))
    assert result.returncode == 1 and "registry folder not found" in result.stderr and "Traceback" not in result.stderr


HAMBURG = "https://www.hamburg.de/"  # the page a scaffold names as the registry's homepage


def test_a_new_registry_is_scaffolded_checked_and_never_written_over(tmp_path):
    folder = tmp_path / "hamburg"
    made = cli("registry", "new", "hamburg", "--name", "Hamburg", "--country", "DE", "--homepage", HAMBURG, "--qid", "Q1055", "--out", str(folder))
    assert made.returncode == 0 and "hamburg-twinning" in made.stdout
    found = read_registry(folder)
    assert found.name == "hamburg-twinning" and found.own_keys() == ["de-hamburg"]
    assert found.cities.to_dict("records") == [{"city_id": "de-hamburg", "name": "Hamburg", "local_name": None,
                                                "country_code": "DE", "wikidata_qid": "Q1055"}]
    checked = cli("registry", "check", str(folder))
    assert checked.returncode == 0 and "is valid: 1 cities, 0 partnerships" in checked.stdout
    again = cli("registry", "new", "hamburg", "--name", "Hamburg", "--country", "DE", "--homepage", HAMBURG, "--out", str(folder))
    assert again.returncode == 1 and "never overwrites" in again.stderr and "Traceback" not in again.stderr


@pytest.mark.parametrize("args, expected", [
    (["Ham burg", "--name", "Hamburg", "--country", "DE"], "registry key 'Ham burg'"),
    (["hamburg", "--name", "Hamburg", "--country", "UK"], "--country 'UK': not an assigned"),
    (["hamburg", "--name", "=HYPERLINK(1)", "--country", "DE"], "--name '=HYPERLINK(1)': begins with ="),
    (["hamburg", "--name", "Hamburg", "--country", "DE", "--qid", "1055"], "--qid '1055'"),
    (["hamburg", "--name", "Hamburg", "--country", "DE", "--homepage", "https://x.org/a b"], "--homepage 'https://x.org/a b'"),
    (["hamburg", "--name", "Hamburg", "--country", "DE", "--homepage", "javascript:alert(1)"], "not an http(s) URL"),
])
def test_a_bad_scaffold_request_is_one_line(tmp_path, args, expected):
    done = cli("registry", "new", *args, *([] if "--homepage" in args else ["--homepage", HAMBURG]), "--out",
               str(tmp_path / "new"))
    assert done.returncode == 1 and expected in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "new").exists()


def test_registry_check_names_every_problem_of_every_row(tmp_path):
    folder = tmp_path / "hamburg"
    cli("registry", "new", "hamburg", "--name", "Hamburg", "--country", "DE", "--homepage", HAMBURG, "--out", str(folder))
    with open(folder / "cities.csv", "a", encoding="utf-8") as f:
        f.write("fr-marseille,Marseille,,FR,Q23482\r\ngb-x,=HYPERLINK(1),,UK,\r\n")
    with open(folder / "partnerships.csv", "a", encoding="utf-8") as f:
        f.write("fr-marseille,de-hamburg,fr-marseille,twinning,ended,,1958,,1950,,https://www.hamburg.de/,\r\n"
                "fr-marseille,de-hamburg,zz-nowhere,pact,,,,,,,https://www.hamburg.de/,\r\n")
    done = cli("registry", "check", str(folder))
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and lines[-1].endswith(": 6 problem(s)") and "Traceback" not in done.stderr
    expected = ["partnerships.csv: row 3 (fr-marseille), field 'type' = 'pact'",
                "partnerships.csv: row 3 (fr-marseille): duplicate record",
                "partnerships.csv: row 3 (fr-marseille), field 'partner_city_id'",
                "cities.csv: row 4, field 'name'", "cities.csv: row 4 (gb-x), field 'country_code' = 'UK'",
                "partnerships.csv: row 2 (fr-marseille), field 'end_year' = 1950: ends before it starts"]
    assert len(lines) == 7 and all(any(e in line for line in lines[:-1]) for e in expected)
    with pytest.raises(TwindataError, match="field 'type' = 'pact'"):  # a run stops at the first
        read_registry(folder)


def test_every_bundled_registry_is_valid_and_cites_a_page_for_every_row():
    from twindata.contract.bundled import bundled_registries

    folders = bundled_registries()
    assert len(folders) >= 7
    countries = set()
    for folder in folders:
        registry = read_registry(folder)
        own = registry.cities.set_index("city_id").loc[registry.own_keys()[0]]
        countries.add(own.country_code)
        p = registry.partnerships
        assert p.source_url.str.startswith("http").all() and len(p) >= 2, folder
        if folder.name != "dortmund":
            assert p.note.str.contains("Stored copy of the page read 20").all(), folder
            assert (folder / "PROVENANCE.md").is_file()
    assert len(countries) >= 4


def test_the_registry_package_takes_one_registry(tmp_path):
    done = cli("run", "--registry", str(default_registry()), "--registry", str(default_registry()), "--out",
               str(tmp_path))
    assert done.returncode == 1 and "a registry's package is one registry; 2 were given" in done.stderr


def test_two_registries_of_one_name_are_refused_in_one_line(tmp_path):
    import shutil

    copy = shutil.copytree(default_registry(), tmp_path / "dortmund-copy")
    done = cli("run", "--package", "world", "--registry", str(copy), "--out", str(tmp_path / "out"))
    assert done.returncode == 1 and "field 'name' = 'dortmund-twinning': already the name of the registry in" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


def test_any_bundled_registry_publishes_as_its_own_package(tmp_path):
    from twindata.contract.bundled import bundled_registries

    oxford = next(f for f in bundled_registries() if f.name == "oxford")
    done = cli("run", "--registry", str(oxford), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    release = tmp_path / "oxford-twinning" / "2.0.0"
    assert cli("validate", str(release)).returncode == 0
    import pandas as pd

    p = pd.read_parquet(release / "data" / "partnerships.parquet")
    assert len(p) == 8 and (p.confidence == "confirmed").all()
    perm = p[p.city_b_id == "Q915"].iloc[0] if (p.city_b_id == "Q915").any() else p[p.city_a_id == "Q915"].iloc[0]
    assert (perm.status, perm.status_since_year, perm.start_year) == ("suspended", 2022, 1995)
