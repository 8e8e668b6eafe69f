"""The validation gate: every table is checked against its Table Schema (frictionless) before anything is published.

Errors are row-level (table, row, field, value, rule). A bad row or value that came from Wikidata or Commons is
quarantined into ``data_issues`` with the reason and the check runs again; an error in the registry's own data stops
the run (``GateError``). The same row-level form serves the CLI and the Dagster asset checks.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
from frictionless import Package, Resource, Schema

from twindata import schema
from twindata.core import EXTERNAL, ORIGIN, Issues
from twindata.errors import GateError, report_errors
from twindata.tables import sort_order, to_arrow, write_csv

DATA_TABLES = ("cities", "partnerships", "images")
MAX_ROUNDS = 20  # each round quarantines at least one row; quarantines cascade along foreign keys


def validate_csv(folder: Path, tables: tuple[str, ...], record_keys: dict[str, list] | None = None) -> list[dict]:
    """Validate ``folder/<table>.csv`` for each table, as one package so foreign keys are checked."""
    resources = []
    for t in tables:
        descriptor = schema.table_schema(t)
        # a foreign key into a table not in this set cannot be checked here (asset checks validate one table)
        descriptor["foreignKeys"] = [fk for fk in descriptor.get("foreignKeys", []) if fk["reference"]["resource"] in tables]
        resources.append(Resource(path=f"{t}.csv", name=t, schema=Schema.from_descriptor(descriptor)))
    report = Package(resources=resources, basepath=str(folder)).validate(limit_errors=100_000)
    return report_errors(report, record_keys)


def run_gate(frames: dict[str, pd.DataFrame], issues: Issues, workdir: Path) -> dict[str, pa.Table]:
    """Validate the tables, quarantining bad outside rows and values, until they pass; the sorted Arrow tables."""
    frames = {t: df.reset_index(drop=True).copy() for t, df in frames.items()}
    tables = tuple(t for t in DATA_TABLES if t in frames)
    workdir.mkdir(parents=True, exist_ok=True)
    for _ in range(MAX_ROUNDS):
        arrows, positions = {}, {}
        for t in tables:
            unsorted = to_arrow(frames[t], t)
            order = sort_order(unsorted, t)
            arrows[t], positions[t] = unsorted.take(order), order.to_pylist()
            write_csv(arrows[t], workdir / f"{t}.csv")
        keys = {t: _record_keys(arrows[t], t) for t in tables}
        errors = validate_csv(workdir, tables, keys)
        if not errors:
            break
        fatal = _quarantine(frames, positions, errors, issues)
        if fatal:
            raise GateError(fatal)
    else:
        raise GateError([{"table": "*", "rule": "gate", "message": f"still invalid after {MAX_ROUNDS} rounds of quarantine"}])
    arrows["data_issues"] = _issues_table(issues, workdir)
    return arrows


def check_tables(frames: dict[str, pd.DataFrame], issues: Issues) -> tuple[list[dict], list[dict]]:
    """A dry run of the gate on some tables, in a throw-away folder: (the registry's own errors, the rows it would
    quarantine). Foreign keys are checked between the tables given."""
    probe = Issues(list(issues.rows))
    with tempfile.TemporaryDirectory(prefix="twindata-gate-") as tmp:
        try:
            run_gate(frames, probe, Path(tmp))
            errors = []
        except GateError as exc:
            errors = exc.errors
    return errors, [r for r in probe.rows[len(issues.rows):] if r["kind"].startswith("quarantined")]


def _record_keys(arrow: pa.Table, table: str) -> list[str]:
    key = schema.primary_key(table)
    columns = [arrow.column(k).to_pylist() for k in key]
    return [" / ".join(str(v) for v in values) for values in zip(*columns)] if key else []


def _quarantine(frames, positions, errors: list[dict], issues: Issues) -> list[dict]:
    """Hold back what outside sources got wrong; return the errors that are the registry's own."""
    fatal, drop = [], {t: set() for t in frames}
    for err in errors:
        table, row = err["table"], err.get("row")
        if row is None:
            fatal.append(err)
            continue
        index = positions[table][row - 2]
        record = frames[table].loc[index]
        field = err.get("field")
        required = field and schema.fields(table)[field].get("constraints", {}).get("required")
        if field and field in record[EXTERNAL] and not required:
            issues.add("quarantined_value", table, err["record"] or str(row), field, err["value"],
                       _source(table), f"{err['rule']}: {err['message']}")
            frames[table].at[index, field] = None
        elif record[ORIGIN] != "registry":
            if index not in drop[table]:
                issues.add("quarantined_row", table, err["record"] or str(row), field, err["value"],
                           record[ORIGIN], f"{err['rule']}: {err['message']}")
            drop[table].add(index)
        else:
            fatal.append(err)
    for table, indexes in drop.items():  # positions must stay row numbers for the next round
        frames[table] = frames[table].drop(index=list(indexes)).reset_index(drop=True)
    return fatal


def _source(table: str) -> str:
    """Where the outside values of a table come from: Commons for images, Wikidata for the rest."""
    return "commons" if table == "images" else "wikidata"


def _issues_table(issues: Issues, workdir: Path) -> pa.Table:
    arrow = to_arrow(issues.frame(), "data_issues")
    arrow = arrow.take(sort_order(arrow, "data_issues"))
    write_csv(arrow, workdir / "data_issues.csv")
    errors = validate_csv(workdir, ("data_issues",))
    if errors:
        raise GateError(errors)
    return arrow
