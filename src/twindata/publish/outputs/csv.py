"""CSV (RFC 4180, UTF-8, CRLF): the bytes the gate checked, written as they are; read back through the compiled
checks (frictionless reads a file whose structure is not plain)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from twindata.checks.compiled import CompiledTable
from twindata.checks.reference import validate_tables
from twindata.contract.issues import RowError


@dataclass(frozen=True)
class CsvOutput:
    name: str = "csv"
    extension: str = "csv"
    media_type: str = "text/csv"
    file_type: str = "CSV"

    def resource_name(self, table: str) -> str:
        return table

    def table_name(self, resource: str) -> str:
        return resource

    def write(self, arrow: pa.Table, csv: bytes, path: Path) -> None:
        path.write_bytes(csv)

    def describe(self, size: int) -> dict:
        return {"encoding": "utf-8", "bytes": size}

    def check(self, compiled: dict[str, CompiledTable], paths: dict[str, Path]) -> list[RowError]:
        found, _ = validate_tables(compiled, paths)
        return found


CSV = CsvOutput()
