"""End to end on the embedded default: a release anyone can check, the rerun that publishes nothing, a changed
registry that makes a new version, and `twindata validate` catching any changed byte."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from twindata.contract import schema
from twindata.packages import run_configured as run
from twindata.settings import load_settings

from conftest import cli, replace_in, write_registry

PACKAGE = "dortmund-twinning"


@pytest.fixture(scope="module")
def first_release(shared_releases) -> Path:
    return shared_releases / "registry"


def _csv(release: Path, table: str) -> list[dict]:
    return pacsv.read_csv(release / "data" / f"{table}.csv",
                          convert_options=pacsv.ConvertOptions(strings_can_be_null=True)).to_pylist()


def test_the_command_line_publishes_the_first_release_and_says_so(tmp_path):
    result = cli("run", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert f"published {PACKAGE} 2.0.0" in result.stdout and "tables: cities 13, partnerships 15" in result.stdout
    assert (tmp_path / PACKAGE / "2.0.0" / "datapackage.json").is_file()


def test_release_holds_dortmunds_partnerships_with_who_states_what(first_release):
    release = first_release / PACKAGE / "2.0.0"
    rows = {r["partnership_id"]: r for r in _csv(release, "partnerships")}
    names = {r["city_id"]: r["name"] for r in _csv(release, "cities")}
    current = {names[r["city_b_id"] if r["city_a_id"] == "Q1295" else r["city_a_id"]]: r["start_year"]
               for r in rows.values() if r["confidence"] == "confirmed" and r["status"] != "ended"}
    assert current == {"Amiens": 1960, "Leeds": 1969, "Rostov-on-Don": 1977, "Buffalo": 1978, "Netanya": 1981,
                       "Novi Sad": 1982, "Zwickau": 1988, "Xi'an": 1992, "Trabzon": 2014, "Kumasi": 2024, "Zhytomyr": 2025}
    assert rows["Q1295--Q45301--project_partnership"]["end_year"] == 2014
    amiens = rows["Q1295--Q41604--twinning"]
    assert amiens["stated_by_city_a"] and amiens["stated_by_city_b"] and amiens["assertion_count"] == 3
    zwickau = rows["Q1295--prov:dortmund-twinning/de-zwickau--twinning"]  # no QID for Zwickau: a provisional id
    assert zwickau["confidence"] == "confirmed" and zwickau["assertion_count"] == 1
    rostov = rows["Q908--Q1295--twinning"]  # unordered pair: Q908 sorts before Q1295
    assert (rostov["status"], rostov["status_since_year"]) == ("suspended", 2022)
    beyoglu = rows["Q1295--Q217411--twinning"]
    assert beyoglu["confidence"] == "community" and beyoglu["status"] is None and beyoglu["type"] == "twinning"
    cities = {r["city_id"]: r for r in _csv(release, "cities")}
    assert cities["Q1295"]["wikidata_qid"] == "Q1295" and cities["Q217411"]["name"] == "Beyoğlu"
    assert cities["prov:dortmund-twinning/ua-zhytomyr"]["wikidata_qid"] is None
    crosswalk = {r["local_key"]: r["city_id"] for r in _csv(release, "crosswalk")}
    assert crosswalk["de-dortmund"] == "Q1295" and crosswalk["de-zwickau"] == "prov:dortmund-twinning/de-zwickau"
    issues = _csv(release, "data_issues")
    unresolved = {(i["record_id"], i["field"]) for i in issues if i["kind"] == "unresolved"}
    assert {("prov:dortmund-twinning/de-zwickau", "wikidata_qid"), ("prov:dortmund-twinning/ua-zhytomyr", "wikidata_qid"),
            ("dortmund-twinning/fr-amiens-quai-belu", "commons_file_title")} <= unresolved
    assert [i["record_id"] for i in issues if i["kind"] == "unconfirmed"] == ["Q1295--Q217411--twinning"]
    image = _csv(release, "images")[0]
    assert image["attribution"] == ('"Quai bélu in Amiens" by Emmanuel LEGRAND, Wikimedia Commons, '
                                    'Free Art Licence (https://artlibre.org/licence/lal/en/)')


def test_datapackage_is_v2_with_checksums_and_passes_stock_frictionless(first_release):
    release = first_release / PACKAGE / "2.0.0"
    descriptor = json.loads((release / "datapackage.json").read_text())
    assert descriptor["$schema"].endswith("/2.0/datapackage.json") and descriptor["version"] == "2.0.0"
    for key in ("name", "title", "licenses", "sources", "contributors", "created"):
        assert descriptor[key]
    for resource in descriptor["resources"]:
        assert resource["hash"].startswith("sha256:") and len(resource["hash"]) == 71
        assert resource["schema"]["fields"] if resource["type"] == "table" else resource["bytes"] > 0
    assert {r["name"] for r in descriptor["resources"] if r["type"] == "file"} == {"cities-geoparquet", "network-graphml"}
    assert descriptor["twindata"]["snapshot_id"].startswith("sha256:")
    assert len(descriptor["twindata"]["registry_sha256"]) == 64
    stock = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--json", "datapackage.json"],
                           cwd=release, capture_output=True, text=True, timeout=300)
    assert json.loads(stock.stdout)["valid"] is True, stock.stdout[-2000:]


def test_parquet_has_the_csv_rows_schema_types_and_docs(first_release):
    release = first_release / PACKAGE / "2.0.0"
    for table in schema.published_tables():
        parquet = pq.read_table(release / "data" / f"{table}.parquet")
        assert parquet.schema.names == schema.columns(table)
        typed = pacsv.read_csv(release / "data" / f"{table}.csv", convert_options=pacsv.ConvertOptions(
            column_types=schema.arrow_schema(table), strings_can_be_null=True))
        assert parquet.to_pylist() == typed.to_pylist()
        assert len(parquet) == len(_csv(release, table))
        for field in parquet.schema:
            assert field.metadata[b"description"]
    partnerships = pq.read_table(release / "data" / "partnerships.parquet")
    assert str(partnerships.schema.field("start_date").type) == "date32[day]"
    assert partnerships.schema.field("partnership_id").nullable is False
    frame = partnerships.to_pandas()
    assert str(frame["start_year"].dtype) == "Int64"  # empty years read as missing, not NaN floats


def test_the_pandas_metadata_is_what_pyarrow_writes_for_nullable_dtypes():
    dtypes = {"integer": "Int64", "boolean": "boolean", "number": "Float64", "string": "object", "date": "object"}
    for table in [*schema.published_tables(), "redirects"]:
        arrow = schema.arrow_schema(table)
        empty = pd.DataFrame({f["name"]: pd.Series([], dtype=dtypes[f["type"]]) for f in schema.fields(table).values()})
        written = pa.Table.from_pandas(empty, schema=arrow.remove_metadata(), preserve_index=False)
        assert arrow.metadata[b"pandas"] == written.schema.metadata[b"pandas"]


def test_rerun_with_unchanged_content_publishes_nothing(first_release):
    before = sorted(p.name for p in (first_release / PACKAGE).iterdir())
    result = cli("run", "--out", str(first_release))
    assert result.returncode == 0 and "unchanged since 2.0.0" in result.stdout
    assert sorted(p.name for p in (first_release / PACKAGE).iterdir()) == before


def test_changed_registry_publishes_a_new_version_and_keeps_the_old(first_release, registry_copy, tmp_path):
    out = tmp_path / "releases"
    shutil.copytree(first_release, out)
    replace_in(registry_copy / "partnerships.csv", "de-dortmund,rs-novi-sad,twinning,active,,1982,,,,https://www.dortmund.de/themen/internationales/staedtepartnerschaften/,",
               "de-dortmund,rs-novi-sad,twinning,active,,1982,,,,https://www.dortmund.de/themen/internationales/staedtepartnerschaften/,Listed on the city's page.")
    result = run(load_settings(registry=registry_copy, out=out))
    assert result.publish.published and result.publish.version == "2.0.1"  # only a value changed: PATCH
    versions = json.loads((out / PACKAGE / "versions.json").read_text())
    assert [v["version"] for v in versions["versions"]] == ["2.0.0", "2.0.1"] and versions["latest"] == "2.0.1"
    changes = json.loads((result.publish.path / "changes.json").read_text())
    assert changes["bump"] == "patch" and changes["from"] == "2.0.0"
    assert changes["tables"]["partnerships"]["changed"] == [{"key": "Q1295--Q55630--twinning",
                                                             "fields": {"note": {"old": None, "new": "Listed on the city's page."}}}]
    changelog = (result.publish.path / "CHANGELOG.md").read_text()
    assert changelog.index("## 2.0.1") < changelog.index("## 2.0.0") and "PATCH release since 2.0.0" in changelog
    assert (out / PACKAGE / "2.0.0" / "datapackage.json").read_bytes() == \
        (first_release / PACKAGE / "2.0.0" / "datapackage.json").read_bytes()
    listing = cli("versions", "--out", str(out))
    assert "dortmund-twinning 2.0.1" in listing.stdout and "(latest)" in listing.stdout


@pytest.mark.parametrize("target", ["data/partnerships.csv", "data/cities.parquet"])
def test_validate_names_a_tampered_file(first_release, tmp_path, target):
    release = tmp_path / "release"
    shutil.copytree(first_release / PACKAGE / "2.0.0", release)
    assert cli("validate", str(release)).returncode == 0
    data = bytearray((release / target).read_bytes())
    data[len(data) // 2] ^= 0x01
    (release / target).write_bytes(bytes(data))
    result = cli("validate", str(release))
    assert result.returncode == 1 and target in result.stderr and "sha256 differs" in result.stderr


def test_validate_reports_rows_that_break_the_schema(first_release, tmp_path):
    release = tmp_path / "release"
    shutil.copytree(first_release / PACKAGE / "2.0.0", release)
    csv = release / "data" / "partnerships.csv"
    replace_in(csv, '"suspended"', '"paused"')
    descriptor = json.loads((release / "datapackage.json").read_text())
    for resource in descriptor["resources"]:  # re-seal the checksums so that only the schema can object
        if resource["path"] == "data/partnerships.csv":
            from twindata.contract.files import sha256_file
            resource["hash"], resource["bytes"] = f"sha256:{sha256_file(csv)}", csv.stat().st_size
    (release / "datapackage.json").write_text(json.dumps(descriptor))
    from twindata.publish.bundle import sha256sums
    (release / "SHA256SUMS").write_bytes(sha256sums(release))
    result = cli("validate", str(release))
    assert result.returncode == 1
    assert "partnerships row" in result.stderr and "field 'status'" in result.stderr and "'paused'" in result.stderr


def test_another_citys_registry_in_the_same_format(tmp_path):
    """Leeds's side of the Leeds–Dortmund twinning, replayed from the same snapshot (both items are in it)."""
    folder = write_registry(
        tmp_path / "leeds", "leeds-twinning", ["gb-leeds"], "CC-BY-4.0",
        cities=[{"city_id": "gb-leeds", "name": "Leeds", "country_code": "GB", "wikidata_qid": "Q39121"},
                {"city_id": "de-dortmund", "name": "Dortmund", "country_code": "DE", "wikidata_qid": "Q1295"}],
        partnerships=[{"city_id": "gb-leeds", "partner_city_id": "de-dortmund", "type": "twinning", "status": "active",
                       "start_year": 1969, "source_url": "https://news.leeds.gov.uk/news/leeds-and-twinned-city-"
                       "dortmund-re-sign-their-memorandum-of-understanding-for-a-continued-partnership"}])
    out = tmp_path / "releases"
    result = cli("run", "--registry", str(folder), "--out", str(out))
    assert result.returncode == 0, result.stderr
    row = _csv(out / "leeds-twinning" / "2.0.0", "partnerships")[0]
    assert row["partnership_id"] == "Q1295--Q39121--twinning"  # the same key as in Dortmund's package
    assert row["stated_by_city_a"] and row["stated_by_city_b"]  # Dortmund's P190 and Leeds's registry and P190
    sources = sorted(r["source"] for r in _csv(out / "leeds-twinning" / "2.0.0", "assertions"))
    assert sources == ["registry", "wikidata", "wikidata"]
