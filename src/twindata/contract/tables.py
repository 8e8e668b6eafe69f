"""Tables: ``CoreTables`` (the published tables as reconciled, before the gate, with the gate's two private columns),
and tables as files: a frame becomes an Arrow table typed by its Table Schema (text in Unicode NFC), then RFC 4180
CSV and Parquet.

CSV and Parquet of a release come from the same Arrow table, so they hold the same rows. Rows are sorted by the
primary key so that the same content always gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from twindata.contract import schema, text
from twindata.contract.issues import Issues

ORIGIN, EXTERNAL = "_origin", "_external"  # which source made a row; the fields an outside source filled
CSV_OPTIONS = pacsv.WriteOptions(include_header=True, quoting_style="needed", eol="\r\n")
NO_HEADER = pacsv.WriteOptions(include_header=False, quoting_style="needed", eol="\r\n")


@dataclass
class CoreTables:
    """The published tables before the gate, and what building them found to report."""

    frames: dict[str, pd.DataFrame]
    issues: Issues = field(default_factory=Issues)


def frame_columns(table: str) -> list[str]:
    """The columns of a table's frame: the schema's, in order, then the gate's two private columns."""
    return schema.columns(table) + [ORIGIN, EXTERNAL]


def frame(table: str, rows: list[dict] | list[tuple]) -> pd.DataFrame:
    """A DataFrame with the table's columns in schema order, plus the gate's private columns; from rows as dicts, or
    as tuples in ``frame_columns`` order (``row_values``), which hold a table of a million rows in a fifth of the
    memory."""
    names = frame_columns(table)
    if rows and isinstance(rows[0], tuple):
        return pd.DataFrame(dict(zip(names, map(list, zip(*rows)))), columns=names, dtype=object)
    return pd.DataFrame({n: [r.get(n) for r in rows] for n in names}, columns=names, dtype=object)


def row_values(names: list[str], row: dict) -> tuple:
    """A row's values in the order of ``names`` (a table's ``frame_columns``), missing ones None."""
    return tuple(map(row.get, names))


def nfc_column(column: pa.Array) -> pa.Array:
    """A text column in Unicode NFC (``twindata.contract.text``'s rule); any other column, or text all ASCII (NFC
    already), as it is, without a copy."""
    if not pa.types.is_string(column.type) or pc.all(pc.fill_null(pc.string_is_ascii(column), True)).as_py():
        return column
    return pc.utf8_normalize(column, "NFC")


def visible_column(column: pa.Array) -> pa.Array:
    """An outside source's text column without invisible marks, in NFC (``twindata.contract.text.visible``)."""
    if not pa.types.is_string(column.type):
        return column
    return nfc_column(pc.replace_substring_regex(column, "[" + "".join(sorted(text.INVISIBLE)) + "]", ""))


def to_arrow(df: pd.DataFrame, table: str) -> pa.Table:
    """The schema's columns of ``df`` (private columns dropped) as an Arrow table, in the order of ``df``."""
    return _arrow_columns(df, schema.arrow_schema(table))


def _arrow_columns(df: pd.DataFrame, arrow_schema: pa.Schema, order: pa.Array | None = None) -> pa.Table:
    """The columns of ``arrow_schema`` from ``df`` (rows taken in ``order``, if given), typed, text in NFC."""
    data, rows = {}, None if order is None else order.to_numpy()
    for f in arrow_schema:  # from_pandas: NaN, NaT and pd.NA are missing values, as None is
        values = df[f.name].to_numpy(dtype=object) if f.name in df else np.full(len(df), None, dtype=object)
        data[f.name] = nfc_column(pa.array(values if rows is None else values[rows], type=f.type, from_pandas=True))
    return pa.Table.from_pydict(data, schema=arrow_schema)


def sorted_to_arrow(df: pd.DataFrame, table: str) -> tuple[pa.Table, pa.Array]:
    """``df`` as the table's typed Arrow table in published order, and the order (the frame's row of each published
    row): the key columns are typed and sorted first, then every column is made once, already in order, instead of
    the whole table twice."""
    arrow_schema = schema.arrow_schema(table)
    key = schema.primary_key(table)
    if not key:
        arrow = _arrow_columns(df, arrow_schema)
        order = sort_order(arrow, table)
        return arrow.take(order), order
    keys = _arrow_columns(df, pa.schema([arrow_schema.field(k) for k in key]))
    order = sort_order(keys, table)
    return _arrow_columns(df, arrow_schema, order), order


def sorted_arrow(rows: pd.DataFrame | list[dict], table: str) -> pa.Table:
    """Rows (a frame, or records) as the table's typed Arrow table, in published order."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows, columns=schema.columns(table), dtype=object)
    return sorted_to_arrow(frame, table)[0]


def sort_order(arrow: pa.Table, table: str) -> pa.Array:
    """Row order of a published table: by primary key, or by every column where it has none."""
    key = schema.primary_key(table) or arrow.column_names
    return pc.sort_indices(arrow, sort_keys=[(k, "ascending") for k in key])


def csv_bytes(table: pa.Table) -> bytes:
    """The table as RFC 4180 CSV (header, quoting where needed, CRLF), in memory: written 64k rows at a time and
    joined once, so that a large table costs twice its CSV at most, not a growing buffer and a copy of it."""
    parts = []
    for batch in table.to_batches(max_chunksize=65536) or [table.schema.empty_table()]:
        sink = pa.BufferOutputStream()
        pacsv.write_csv(batch, sink, write_options=NO_HEADER if parts else CSV_OPTIONS)
        parts.append(sink.getvalue().to_pybytes())
    return b"".join(parts)



def write_parquet(table: pa.Table, path: Path) -> None:
    """Parquet with the schema's types and docs; fixed options so the same rows give the same bytes."""
    pq.write_table(table, path, compression="zstd", write_statistics=True, use_dictionary=True,
                   store_schema=True)
