"""The memory-lean forms of tables and rows say exactly what the plain ones say: CSV written in pieces, snapshot rows
in slots, typed values shared per distinct value."""

from __future__ import annotations

import datetime
import pickle

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from twindata.checks.validator import _python_values
from twindata.contract.tables import CSV_OPTIONS, csv_bytes
from twindata.sources.extracts import row_type


def whole_csv(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, write_options=CSV_OPTIONS)
    return sink.getvalue().to_pybytes()


@pytest.mark.parametrize("rows", [0, 1, 65_536, 65_537, 200_001])
def test_csv_in_pieces_is_the_csv_of_the_whole_table(rows):
    table = pa.table({"id": [f"Q{i}" for i in range(rows)],
                      "note": ['say "hi",\r\nthen go' if i % 7 == 0 else None for i in range(rows)],
                      "year": pa.array([1950 + i % 70 if i % 3 else None for i in range(rows)], pa.int64())})
    assert csv_bytes(table) == whole_csv(table)
    assert csv_bytes(table).count(b'"id","note","year"') == 1


def test_a_snapshot_row_reads_as_the_dict_it_stands_for():
    Row = row_type("input-test", ("subject_qid", "subject_label", "start_year"))
    row = Row(["Q1295", "Dortmund", None])
    plain = {"subject_qid": "Q1295", "subject_label": "Dortmund", "start_year": None}
    assert row == plain and dict(row) == plain and row["subject_label"] == "Dortmund" and row.get("x") is None
    assert list(row) == list(plain) and len(row) == 3 and "start_year" in row
    with pytest.raises(KeyError):
        row["partner_qid"]
    with pytest.raises(AttributeError):
        row.subject_qid = "Q1"  # read only, as the snapshot it came from
    again = pickle.loads(pickle.dumps(row))  # Dagster's IO manager pickles the snapshot between steps
    assert again == plain and type(again) is Row


@pytest.mark.parametrize("values", [["Leeds", None, "Leeds", "Amiens"], [51.5, None, 51.5], [True, False, None],
                                    [datetime.date(1960, 1, 1), None, datetime.date(1960, 1, 1)], [], [None, None]])
def test_typed_values_are_shared_per_distinct_value_and_equal_to_arrows_own(values):
    array = pa.array(values, pa.date32() if values and isinstance(values[0], datetime.date) else None) \
        if values else pa.array([], pa.string())
    shared = _python_values(array)
    assert shared == array.to_pylist()
    if values[:1] == ["Leeds"]:
        assert shared[0] is shared[2]
