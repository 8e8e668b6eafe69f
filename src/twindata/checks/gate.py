"""The validation gate, once per run: every table against its Table Schema, compiled to vectorised checks
(``twindata.checks.validator``) over the CSV bytes about to be published, and against the publishing policies beside them
(only free licences).

One pass: a bad row or value that came from Wikidata or Commons is quarantined into ``data_issues`` with the reason,
and the quarantine cascades along foreign keys by joins against the rows that stay (a partner city held back takes
its partnerships and their assertions with it). Which values may be blanked instead of holding back the row is
marked in the Table Schemas ("twindata:quarantine": "value"). An error in the registry's own data is the gate's
verdict (``GateResult.errors``): the CLI stops with it, the Dagster checks report it. The gate writes no file: the
tables it passes and their CSV bytes are what a release publishes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import pandas as pd
import pyarrow as pa

from twindata.checks.compiled import CompiledTable, compile_schema
from twindata.checks.keys import foreign_key_errors, linked_fields
from twindata.checks.policies import POLICIES, TextRules
from twindata.checks.validator import check, read_text
from twindata.contract import schema
from twindata.contract.errors import GateError
from twindata.contract.issues import DataIssue, Issues, RowError
from twindata.contract.tables import EXTERNAL, ORIGIN, CoreTables, csv_bytes, sorted_arrow, sorted_to_arrow


@cache
def compiled(table: str) -> CompiledTable:
    """A published table's schema, compiled once (anything unsupported is refused here, at load time)."""
    return compile_schema(table, schema.table_schema(table))


@dataclass
class GateResult:
    """The gated tables (sorted, typed, data_issues included), their CSV bytes, the registry's own errors (which
    stop a release) and what the gate quarantined."""

    tables: dict[str, pa.Table]
    csv: dict[str, bytes]
    errors: list[RowError] = field(default_factory=list)
    quarantined: list[DataIssue] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.errors

    def raise_errors(self) -> GateResult:
        if self.errors:
            raise GateError(self.errors)
        return self

    def part(self, table: str) -> GateResult:
        """The result for one table: its rows, its CSV bytes, its errors and what was quarantined from it (the
        package-level errors go with data_issues)."""
        mine = (table, "*") if table == "data_issues" else (table,)
        return GateResult({table: self.tables[table]}, {table: self.csv[table]},
                          [e for e in self.errors if e.table in mine], [q for q in self.quarantined if q.table == table])

    @classmethod
    def merge(cls, parts: list[GateResult]) -> GateResult:
        """The parts of one result as one again (as the Dagster table assets hand them to the release)."""
        merged = cls({}, {})
        for p in parts:
            merged.tables.update(p.tables)
            merged.csv.update(p.csv)
            merged.errors += p.errors
            merged.quarantined += p.quarantined
        return merged


def _typed(frames: dict[str, pd.DataFrame], tables: list[str]):
    """Sorted Arrow tables, their row positions in the frames, and their CSV bytes."""
    arrows, positions, csv = {}, {}, {}
    for t in tables:
        arrows[t], order = sorted_to_arrow(frames[t], t)
        positions[t] = order.to_pylist()
        csv[t] = csv_bytes(arrows[t])
    return arrows, positions, csv


def run_gate(core: CoreTables) -> GateResult:
    """Check the tables in one pass, quarantine what outside sources got wrong (cascading by joins), and return the
    tables that stay, or the registry's own errors. The input frames are left as they are."""
    frames = {t: df if df.index.equals(pd.RangeIndex(len(df))) else df.reset_index(drop=True)
              for t, df in core.frames.items()}  # read only; ``apply`` works on copies
    issues = Issues(list(core.issues.rows))
    tables = [t for t in schema.published_tables() if t in frames]
    arrows, positions, csv = _typed(frames, tables)
    keys = {t: _RecordKeys(arrows[t], t) for t in tables}
    linked = linked_fields({t: compiled(t) for t in tables})
    checked = {t: check(compiled(t), read_text(csv[t], compiled(t), blank_rows=True), keys[t], keep=linked[t])
               for t in tables}  # of each table, only the keys foreign keys join on are kept
    errors = [e for c in checked.values() for e in c.errors]
    errors += [e for policy in POLICIES for t in tables if policy.covers(t) for e in policy.check(arrows[t], t, keys[t] or None)]
    held = _Quarantine(frames, positions, issues)
    held.decide(errors)
    while not held.fatal:  # the cascade: rows whose parent row was held back, by joins against the rows kept
        keep = {t: pa.array([i not in held.dropped[t] for i in range(arrows[t].num_rows)], pa.bool_()) for t in tables}
        cascade = [e for e in foreign_key_errors({t: compiled(t) for t in tables}, checked, keep)
                   if e.row - 2 not in held.dropped[e.table]]
        if not cascade:
            break
        held.decide([e.named(keys[e.table][e.row - 2] if keys.get(e.table) else None) for e in cascade])
    if held.fatal:
        return _result(arrows, csv, issues, core, held.fatal)
    if held.changed:
        frames = held.apply()
        arrows, _, csv = _typed(frames, tables)
    return _result(arrows, csv, issues, core, [])


class _Quarantine:
    """What to hold back: values to blank and rows to drop (by their position in the sorted tables), and the
    errors that are the registry's own."""

    def __init__(self, frames: dict[str, pd.DataFrame], positions: dict[str, list[int]], issues: Issues):
        self.frames, self.positions, self.issues = frames, positions, issues
        self.dropped: dict[str, set[int]] = {t: set() for t in positions}
        self.blanked: list[tuple[str, int, str]] = []
        self.fatal: list[RowError] = []

    @property
    def changed(self) -> bool:
        return bool(self.blanked) or any(self.dropped.values())

    def decide(self, errors: list[RowError]) -> None:
        for err in errors:
            if err.row is None or err.table not in self.positions:  # a package-level error
                self.fatal.append(err)
                continue
            position = err.row - 2
            record = self.frames[err.table].loc[self.positions[err.table][position]]
            reason = f"{err.rule}: {err.message}"
            if err.field and err.field in record[EXTERNAL] and err.field in schema.quarantinable(err.table):
                self.issues.add("quarantined_value", err.table, err.record or str(err.row), err.field, err.value,
                                schema.outside_source(err.table, err.field), reason)
                self.blanked.append((err.table, position, err.field))
            elif record[ORIGIN] != "registry":
                if position not in self.dropped[err.table]:
                    self.issues.add("quarantined_row", err.table, err.record or str(err.row), err.field, err.value,
                                    record[ORIGIN], reason)
                self.dropped[err.table].add(position)
            else:
                self.fatal.append(err)

    def apply(self) -> dict[str, pd.DataFrame]:
        frames = {t: df.copy() for t, df in self.frames.items()}
        for table, position, name in self.blanked:
            frames[table].at[self.positions[table][position], name] = None
        for table, positions in self.dropped.items():
            frames[table] = frames[table].drop(index=[self.positions[table][p] for p in positions]).reset_index(drop=True)
        return frames


def _result(arrows, csv, issues: Issues, core: CoreTables, fatal: list[RowError]) -> GateResult:
    arrows["data_issues"] = sorted_arrow(issues.records(), "data_issues")
    csv["data_issues"] = csv_bytes(arrows["data_issues"])
    own = check(compiled("data_issues"), read_text(csv["data_issues"], compiled("data_issues"), blank_rows=True))
    own_text = TextRules().check(arrows["data_issues"], "data_issues")  # a bug if any: data_issues quotes what it shows
    return GateResult(arrows, csv, fatal + own.errors + own_text, issues.rows[len(core.issues.rows):])


class _RecordKeys:
    """Each row's record id (its primary key's values joined by " / "), made when a finding asks for it: a world
    release has a million rows and a few findings."""

    def __init__(self, arrow: pa.Table, table: str):
        self.columns = [arrow.column(k) for k in schema.primary_key(table)]
        self.rows = arrow.num_rows if self.columns else 0

    def __len__(self) -> int:
        return self.rows

    def __getitem__(self, i: int) -> str:
        if not 0 <= i < self.rows:
            raise IndexError(i)
        return " / ".join(str(c[i].as_py()) for c in self.columns)
