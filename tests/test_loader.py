"""The loader keeps every value as published: CSV and Parquet of every published table give equal frames, with
values that other readers take for null in every text column."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import twindata
from twindata.contract.tables import csv_bytes, write_parquet

LOOKALIKES = ["NA", "N/A", "null", "NaN", "None", "-", " ", "nan", "NULL", "#N/A", "  spaced  "]  # values, not nulls
RELEASES = [("registry", "dortmund-twinning"), ("world", "world-twinning")]


def tables_of(release: Path) -> list[str]:
    descriptor = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    return [r["name"] for r in descriptor["resources"] if r["format"] == "csv"]


def assert_same(release: Path, table: str) -> pd.DataFrame:
    csv = twindata.load(table, release=release, format="csv")
    parquet = twindata.load(table, release=release)
    pd.testing.assert_frame_equal(csv, parquet, check_dtype=True)
    return parquet


@pytest.mark.parametrize(("folder", "package"), RELEASES)
def test_csv_and_parquet_of_every_published_table_load_equal(shared_releases, folder, package):
    release = shared_releases / folder / package / "2.0.0"
    for table in tables_of(release):
        assert_same(release, table)
        published = pq.read_table(release / "data" / f"{table}.parquet")
        for name in published.column_names:  # an empty string would read back as missing from the CSV
            if pa.types.is_string(published.column(name).type):
                assert not pc.any(pc.equal(published.column(name), "")).as_py(), (table, name)
    namibia = twindata.load("cities", release=shared_releases / "world" / "world-twinning" / "2.0.0", format="csv")
    assert (namibia["country_code"] == "NA").sum() >= 1  # Namibia is a country, not a missing value


def test_values_that_look_like_null_stay_values_in_every_text_column(shared_releases, tmp_path):
    release = shutil.copytree(shared_releases / "registry" / "dortmund-twinning" / "2.0.0", tmp_path / "2.0.0")
    descriptor_path = release / "datapackage.json"
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    by_path = {r["path"]: r for r in descriptor["resources"]}
    changed = {}
    for table in tables_of(release):
        arrow = pq.read_table(release / "data" / f"{table}.parquet")
        for i, field in enumerate(arrow.schema):
            if pa.types.is_string(field.type) and arrow.num_rows:
                values = [LOOKALIKES[(i + row) % len(LOOKALIKES)] for row in range(arrow.num_rows)]
                arrow = arrow.set_column(i, field, pa.array(values, field.type))
        (release / "data" / f"{table}.csv").write_bytes(csv_bytes(arrow))
        write_parquet(arrow, release / "data" / f"{table}.parquet")
        for path in (f"data/{table}.csv", f"data/{table}.parquet"):
            data = (release / path).read_bytes()
            by_path[path]["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
            by_path[path].pop("bytes", None)
        changed[table] = arrow
    descriptor_path.write_text(json.dumps(descriptor), encoding="utf-8")
    for table, arrow in changed.items():
        frame = assert_same(release, table)
        for field in arrow.schema:
            if pa.types.is_string(field.type) and arrow.num_rows:
                assert frame[field.name].tolist() == arrow.column(field.name).to_pylist(), (table, field.name)
