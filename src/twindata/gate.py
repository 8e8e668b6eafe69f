"""The validation gate: every table is checked against its Table Schema (frictionless, on the CSV bytes about to be
published, held in memory; foreign keys as joins over the Arrow tables) and against the publishing policies beside
them (only free licences), once per run.

A bad row or value that came from Wikidata or Commons is quarantined into ``data_issues`` with the reason and the
check runs again, so that quarantines cascade along foreign keys; which values may be blanked instead of holding
back the row is marked in the Table Schemas ("twindata:quarantine": "value"). An error in the registry's own data is
the gate's verdict (``GateResult.errors``): the CLI stops with it, the Dagster checks report it. The gate writes no
file: the tables it passes and their CSV bytes are what a release publishes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from frictionless import Package, Resource, Schema

from twindata import licences, schema
from twindata.core import EXTERNAL, ORIGIN, CoreTables
from twindata.errors import GateError, TwindataError
from twindata.issues import DataIssue, Issues, RowError, row_errors
from twindata.tables import csv_bytes, sort_order, to_arrow

MAX_ROUNDS = 20  # each round quarantines at least one row; quarantines cascade along foreign keys
POLICIES = {"images": licences.check_images}  # rules beside the Table Schemas, by table


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

    def raise_errors(self) -> "GateResult":
        if self.errors:
            raise GateError(self.errors)
        return self

    def part(self, table: str) -> "GateResult":
        """The result for one table: its rows, its CSV bytes, its errors and what was quarantined from it (the
        package-level errors go with data_issues)."""
        mine = (table, "*") if table == "data_issues" else (table,)
        return GateResult({table: self.tables[table]}, {table: self.csv[table]},
                          [e for e in self.errors if e.table in mine], [q for q in self.quarantined if q.table == table])

    @classmethod
    def merge(cls, parts: list["GateResult"]) -> "GateResult":
        """The parts of one result as one again (as the Dagster table assets hand them to the release)."""
        merged = cls({}, {})
        for p in parts:
            merged.tables.update(p.tables)
            merged.csv.update(p.csv)
            merged.errors += p.errors
            merged.quarantined += p.quarantined
        return merged


def validate(csv: dict[str, bytes], record_keys: dict[str, list] | None = None) -> list[RowError]:
    """frictionless's row-level errors of CSV bytes by table: types, formats, constraints, primary keys. Foreign keys
    are ``foreign_key_errors``'s (a join over the Arrow tables instead of frictionless's lookups)."""
    resources = []
    for t, data in csv.items():
        descriptor = schema.table_schema(t)
        descriptor.pop("foreignKeys", None)
        resources.append(Resource(data=data, format="csv", name=t, encoding="utf-8",
                                  schema=Schema.from_descriptor(descriptor)))
    return row_errors(Package(resources=resources).validate(limit_errors=100_000), record_keys)


def foreign_key_errors(arrows: dict[str, pa.Table], record_keys: dict[str, list]) -> list[RowError]:
    """A row error for each value of a foreign key that the referenced table lacks (empty values refer to nothing
    and pass, as in frictionless). A foreign key into a table not given is left out."""
    errors = []
    for t, arrow in arrows.items():
        for fk in schema.foreign_keys(t):
            ref = fk["reference"]["resource"]
            if ref not in arrows:
                continue
            if len(fk["fields"]) != 1:
                raise TwindataError(f"schemas/{t}.json: the gate checks single-field foreign keys only, not {fk['fields']}")
            field, target = fk["fields"][0], fk["reference"]["fields"][0]
            values = arrow.column(field)
            found = pc.fill_null(pc.is_in(values, value_set=arrows[ref].column(target)), True)
            keys = record_keys.get(t) or []
            for i in pc.indices_nonzero(pc.invert(found)).to_pylist():
                value = values[i].as_py()
                errors.append(RowError(t, "foreign-key", f'for "{field}": values "{value}" not found in the lookup '
                                       f'table "{ref}" as "{target}"', i + 2, keys[i] if i < len(keys) else None,
                                       field, None, "ForeignKey Error"))
    return errors


def run_gate(core: CoreTables) -> GateResult:
    """Validate the tables, quarantining bad outside rows and values, until they pass or an error of the registry's
    own data remains. The input frames are left as they are."""
    frames = {t: df.reset_index(drop=True).copy() for t, df in core.frames.items()}
    issues = Issues(list(core.issues.rows))
    tables = [t for t in schema.published_tables() if t in frames]
    for _ in range(MAX_ROUNDS):
        arrows, positions, csv = {}, {}, {}
        for t in tables:
            unsorted = to_arrow(frames[t], t)
            order = sort_order(unsorted, t)
            arrows[t], positions[t] = unsorted.take(order), order.to_pylist()
            csv[t] = csv_bytes(arrows[t])
        arrows["data_issues"] = _issues_table(issues)  # checked in the same pass; final once nothing is held back
        csv["data_issues"] = csv_bytes(arrows["data_issues"])
        keys = {t: _record_keys(arrows[t], t) for t in tables}
        errors = validate(csv, keys) + foreign_key_errors(arrows, keys)
        errors += [e for t, check in POLICIES.items() if t in arrows for e in check(arrows[t])]
        if not errors:
            return GateResult(arrows, csv, [], issues.rows[len(core.issues.rows):])
        fatal = _quarantine(frames, positions, errors, issues)
        if fatal:
            return GateResult(arrows, csv, fatal, issues.rows[len(core.issues.rows):])
    return GateResult(arrows, csv, [RowError("*", "gate", f"still invalid after {MAX_ROUNDS} rounds of quarantine")],
                      issues.rows[len(core.issues.rows):])


def _issues_table(issues: Issues) -> pa.Table:
    arrow = to_arrow(pd.DataFrame(issues.records(), columns=schema.columns("data_issues"), dtype=object), "data_issues")
    return arrow.take(sort_order(arrow, "data_issues"))


def _record_keys(arrow: pa.Table, table: str) -> list[str]:
    key = schema.primary_key(table)
    columns = [arrow.column(k).to_pylist() for k in key]
    return [" / ".join(str(v) for v in values) for values in zip(*columns)] if key else []


def _quarantine(frames, positions, errors: list[RowError], issues: Issues) -> list[RowError]:
    """Hold back what outside sources got wrong; return the errors that are the registry's own."""
    fatal, drop = [], {t: set() for t in frames}
    for err in errors:
        if err.row is None or err.table not in positions:  # a package-level error, or one of data_issues itself
            fatal.append(err)
            continue
        index = positions[err.table][err.row - 2]
        record = frames[err.table].loc[index]
        reason = f"{err.rule}: {err.message}"
        if err.field and err.field in record[EXTERNAL] and err.field in schema.quarantinable(err.table):
            issues.add("quarantined_value", err.table, err.record or str(err.row), err.field, err.value,
                       schema.outside_source(err.table, err.field), reason)
            frames[err.table].at[index, err.field] = None
        elif record[ORIGIN] != "registry":
            if index not in drop[err.table]:
                issues.add("quarantined_row", err.table, err.record or str(err.row), err.field, err.value,
                           record[ORIGIN], reason)
            drop[err.table].add(index)
        else:
            fatal.append(err)
    for table, indexes in drop.items():  # positions must stay row numbers for the next round
        frames[table] = frames[table].drop(index=list(indexes)).reset_index(drop=True)
    return fatal

