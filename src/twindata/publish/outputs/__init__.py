"""Outputs: the file formats a release's tables are published in, each behind one protocol (``Output``): its name
(the resource's ``format`` in datapackage.json), file extension, media type, EU file type (for DCAT), how a table is
written, what its resource adds to the descriptor, and how a published file is read back and checked (``twindata
validate``). A package declares its outputs (``twindata.packages``); ``OUTPUTS`` is the default pair, CSV and Parquet,
written from the same Arrow table. A new format is one module here and one entry in a package's outputs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pyarrow as pa

from twindata.checks.compiled import CompiledTable
from twindata.contract.issues import RowError


class Output(Protocol):
    name: str  # the resource's format in datapackage.json
    extension: str
    media_type: str  # IANA
    file_type: str  # the EU file-type authority's code, for DCAT-AP

    def resource_name(self, table: str) -> str:
        """The resource's name in datapackage.json."""

    def table_name(self, resource: str) -> str:
        """The table a resource of this format holds, from the resource's name."""

    def write(self, arrow: pa.Table, csv: bytes, path: Path) -> None:
        """Write one gated table (its Arrow table, and its CSV bytes as the gate checked them) to ``path``."""

    def describe(self, size: int) -> dict:
        """What the resource adds to its entry in datapackage.json beyond name, path, format, media type and hash."""

    def check(self, compiled: dict[str, CompiledTable], paths: dict[str, Path]) -> list[RowError]:
        """The compiled checks over published files of this format, one per table, foreign keys included."""


from twindata.publish.outputs.csv import CSV  # noqa: E402 (the formats satisfy the protocol; they import nothing here)
from twindata.publish.outputs.parquet import PARQUET  # noqa: E402

OUTPUTS: tuple[Output, ...] = (CSV, PARQUET)


def by_name(outputs: tuple[Output, ...] = OUTPUTS) -> dict[str, Output]:
    return {o.name: o for o in outputs}
