"""Parquet (zstd, statistics, the schema's Arrow types and field descriptions): written from the gated Arrow table
with fixed options, so the same rows and library versions give the same bytes; read back as the text a CSV of it
holds and checked by the compiled checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from twindata.checks.compiled import CompiledTable
from twindata.checks.keys import foreign_key_errors
from twindata.checks.validator import check
from twindata.contract.errors import TwindataError
from twindata.contract.issues import RowError
from twindata.contract.tables import write_parquet


def _as_text(path: Path, compiled: CompiledTable) -> pa.Table:
    """A Parquet table's values as the text a CSV of it holds (empty for null)."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise TwindataError(f"{path}: cannot be read as Parquet: {exc}") from None
    missing = [n for n in compiled.names if n not in table.column_names]
    if missing:
        raise TwindataError(f"{path}: no column {', '.join(missing)} although its schema names it")
    return pa.table({n: pc.fill_null(pc.cast(table.column(n), pa.string()), "") for n in compiled.names})


@dataclass(frozen=True)
class ParquetOutput:
    name: str = "parquet"
    extension: str = "parquet"
    media_type: str = "application/vnd.apache.parquet"
    file_type: str = "PARQUET"

    def resource_name(self, table: str) -> str:
        return f"{table}-{self.name}"

    def table_name(self, resource: str) -> str:
        return resource.removesuffix(f"-{self.name}")

    def write(self, arrow: pa.Table, csv: bytes, path: Path) -> None:
        write_parquet(arrow, path)

    def describe(self, size: int) -> dict:
        return {}  # a declared size on a Parquet resource makes stock frictionless validation fail

    def check(self, compiled: dict[str, CompiledTable], paths: dict[str, Path]) -> list[RowError]:
        checked = {t: check(compiled[t], _as_text(path, compiled[t])) for t, path in paths.items()}
        return [e for c in checked.values() for e in c.errors] + foreign_key_errors(compiled, checked)


PARQUET = ParquetOutput()
