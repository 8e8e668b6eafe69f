"""What a run finds wrong, as data: ``RowError`` (one row-level validation error: table, row, record, field, value,
rule, message) and ``DataIssue`` rows of the published ``data_issues`` table, collected in ``Issues``.

The CLI prints a ``RowError`` as its one line; the Dagster checks show the same errors as metadata; frictionless
reports are turned into ``RowError``s here and nowhere else.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

from twindata.contract.text import quoted, short


@dataclass(frozen=True, slots=True)
class RowError:
    """One validation error of one row (or of a whole file, where ``row`` is None)."""

    table: str
    rule: str
    message: str = ""
    row: int | None = None
    record: str | None = None
    field: str | None = None
    value: object = None
    title: str | None = None
    cells: tuple = ()

    def named(self, record: str | None) -> RowError:
        """The same error, naming its record (the row's primary key)."""
        return self._at(self.row, record)

    def at_row(self, row: int) -> RowError:
        """The same error on another row (a finding on a distinct value, spread to a row that holds it)."""
        return self._at(row, self.record)

    def _at(self, row: int | None, record: str | None) -> RowError:
        # not dataclasses.replace: 10 × faster, for the 10,000s of findings of a broken table
        return RowError(self.table, self.rule, self.message, row, record, self.field, self.value, self.title,
                        self.cells)

    def line(self) -> str:
        """One line: table, row, record, field, value, rule and message."""
        parts = [self.table]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.record:
            parts.append(f"({self.record})")
        if self.field:
            parts.append(f"field '{self.field}'")
        if self.value not in (None, ""):
            parts.append(f"= {short(self.value)!r}")
        return " ".join(parts) + f": {self.rule}: {self.message}".rstrip(": ")

    def as_dict(self) -> dict:
        """For JSON metadata: every field but the raw cells, plus the line."""
        data = {k: v for k, v in asdict(self).items() if k != "cells"}
        return {**data, "value": None if self.value is None else str(self.value), "line": self.line()}


def row_error(table: str, error, keys: list | None = None) -> RowError:
    """One frictionless error as a ``RowError``; ``keys`` names the table's rows by their primary key."""
    e = error.to_descriptor()
    row = e.get("rowNumber")
    record = keys[row - 2] if keys and row and 0 <= row - 2 < len(keys) else None
    name = e.get("fieldName") or ",".join(e.get("fieldNames", [])) or None  # foreign keys name several
    return RowError(table, e.get("type") or "error", e.get("note") or e.get("message") or "", row, record, name,
                    e.get("cell"), e.get("title"), tuple(e.get("cells") or ()))


def row_errors(report, record_keys: dict[str, list] | None = None) -> list[RowError]:
    """A frictionless report as ``RowError``s; ``record_keys`` names each table's rows by their primary key."""
    errors = [row_error(task.name, error, (record_keys or {}).get(task.name))
              for task in report.tasks for error in task.errors]
    errors += [RowError(task.name, "error-limit", f"{warning}: the rest of the table is not checked")
               for task in report.tasks for warning in task.warnings if warning.startswith("reached error limit")]
    if not report.valid and not errors:  # a package-level problem (a missing file, a broken descriptor)
        errors += [RowError("*", "package", str(e.message)) for e in report.errors[:1]]
    return errors


@dataclass(frozen=True, slots=True)
class DataIssue:
    """One row of the data_issues table."""

    kind: str
    table: str
    record_id: str
    field: str | None
    value: str | None
    source: str
    reason: str


@dataclass
class Issues:
    """Rows of the data_issues table, collected as the tables are built and gated."""

    rows: list[DataIssue] = field(default_factory=list)

    def add(self, kind: str, table: str, record_id: str, field: str | None, value, source: str, reason: str) -> None:
        """One row; what it quotes from a source is shown safely (``twindata.contract.text.quoted``)."""
        self.rows.append(DataIssue(kind, table, quoted(record_id), field, quoted(value), source, quoted(reason)))

    def records(self) -> list[dict]:
        return [asdict(r) for r in self.rows]

    def count(self) -> dict[str, int]:
        return count_kinds(r.kind for r in self.rows)


def count_kinds(kinds) -> dict[str, int]:
    """How many data issues of each kind, by kind."""
    return dict(sorted(Counter(kinds).items()))
