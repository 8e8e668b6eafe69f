"""The vectorised diff against a plain Python one: rows added, removed and changed by key, for keys in the published
order and out of it, with few and with many differences, and for dictionary-read columns."""

from __future__ import annotations

import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from twindata.contract import identity
from twindata.contract.files import read_json
from twindata.publish import diff


def plain(old: dict[str, tuple], new: dict[str, tuple], columns: list[str]) -> dict:
    """What a diff must say, by dictionaries."""
    changed = []
    for key in sorted(set(old) & set(new)):
        fields = {c: {"old": o, "new": n} for c, o, n in zip(columns, old[key], new[key]) if o != n}
        if fields:
            changed.append({"key": key, "fields": fields})
    result = {"added": sorted(set(new) - set(old)), "removed": sorted(set(old) - set(new)), "changed": changed}
    return {k: v for k, v in result.items() if v}


def table(rows: dict[str, tuple], order: list[str]) -> pa.Table:
    keys = [k for k in order if k in rows]
    return pa.table({"id": pa.array(keys, pa.string()), "city": pa.array([rows[k][0] for k in keys], pa.string()),
                     "year": pa.array([rows[k][1] for k in keys], pa.int64())})


values = st.tuples(st.sampled_from(["Amiens", "Leeds", "Novi Sad", None]), st.one_of(st.none(), st.integers(1950, 2030)))
releases = st.dictionaries(st.text("QXYZ-0123456789", min_size=1, max_size=6), values, max_size=300)


@settings(max_examples=150, deadline=None)
@given(old=releases, new=releases, shuffled=st.booleans(), seed=st.randoms(use_true_random=False))
def test_table_changes_match_a_plain_diff(old, new, shuffled, seed):
    new = {**{k: v for k, v in old.items() if seed.random() < 0.9}, **new}  # mostly the same rows, as releases are
    new_order = sorted(new)
    if shuffled:
        seed.shuffle(new_order)
    got = diff.table_changes(table(old, sorted(old)), table(new, new_order), ["id"])
    assert got == plain(old, new, ["city", "year"])


def test_many_rows_few_changes_are_placed_right():
    """Thousands of rows with rows added and removed throughout: the guessed places must all be checked."""
    old = {f"Q{i:06d}": ("Leeds", i % 70 + 1950) for i in range(0, 20000, 2)}
    new = {k: v for k, v in old.items() if int(k[1:]) % 97}
    new.update({f"Q{i:06d}": ("Amiens", 1960) for i in range(1, 20000, 301)})
    new["Q000010"] = ("Novi Sad", 1966)
    got = diff.table_changes(table(old, sorted(old)), table(new, sorted(new)), ["id"])
    assert got == plain(old, new, ["city", "year"])


def test_a_release_diff_reads_repeated_text_as_dictionaries_and_says_the_same(tmp_path, shared_releases):
    """compare_releases reads table by table, text of few values as dictionaries, and skips identical files; it
    must say what comparing the whole tables says."""
    old = shared_releases / "world" / "world-twinning" / "2.0.0"
    new = tmp_path / "new"
    shutil.copytree(old, new)
    file = new / "data" / "partnerships.parquet"
    partnerships = pq.read_table(file)
    status = partnerships.column("status").to_pylist()
    status[:40] = ["ended"] * 40
    partnerships = partnerships.set_column(partnerships.schema.get_field_index("status"), "status",
                                           pa.array(status, partnerships.schema.field("status").type))
    pq.write_table(partnerships.slice(5), file)
    descriptor = read_json(new / "datapackage.json", "datapackage.json")
    for resource in descriptor["resources"]:
        if resource["path"] == "data/partnerships.parquet":
            resource["hash"] = "sha256:" + "0" * 64
    (new / "datapackage.json").write_text(json.dumps(descriptor))
    assert "status" in diff._repeated_text(new, {"path": "data/partnerships.parquet"})
    new_tables, new_schemas = diff.release_tables(new)
    whole = diff.compare(*diff.release_tables(old), new_tables, new_schemas, identity.follow(new_tables.get("redirects")))
    by_table = diff.compare_releases(old, new)
    assert by_table == whole
    assert set(by_table) == {"partnerships"}
    assert len(by_table["partnerships"]["removed"]) == 5
    assert len(by_table["partnerships"]["changed"]) >= 30
