"""The reference: frictionless-py's own findings on the same tables, and ``validate_tables``, which runs the compiled
checks over a set of CSV files and leaves a table whose structure is not plain to frictionless (then the whole set,
so that its foreign keys are checked alike). ``finding`` is what the differential tests compare."""

from __future__ import annotations

from pathlib import Path

from twindata.checks.compiled import Checked, CompiledTable
from twindata.checks.keys import foreign_key_errors, linked_fields
from twindata.checks.validator import check, read_text
from twindata.contract.errors import TwindataError
from twindata.contract.issues import RowError

STRUCTURE_LIMIT = 10_000  # findings a table where frictionless checks a table of another structure than its schema's


def frictionless_errors(compiled: dict[str, CompiledTable], sources: dict[str, bytes | Path],
                        limit: int = 10_000_000) -> list[RowError]:
    """frictionless's own findings on the same tables, as one package (the reference the fast checks must equal);
    at most ``limit`` a table, then an ``error-limit`` finding."""
    from frictionless import Package, Resource, Schema

    from twindata.contract.issues import row_errors

    resources, folders = [], {Path(s).parent for s in sources.values() if not isinstance(s, bytes)}
    if len(folders) > 1:
        raise TwindataError(f"files to validate as one package lie in several folders: {sorted(map(str, folders))}")
    for name, source in sources.items():
        descriptor = {k: v for k, v in compiled[name].descriptor.items() if k != "$schema"}
        descriptor["foreignKeys"] = [fk for fk in descriptor.get("foreignKeys", [])
                                     if fk["reference"]["resource"] in sources]
        options = {"data": source} if isinstance(source, bytes) else {"path": Path(source).name}
        resources.append(Resource(**options, format="csv", name=name, encoding="utf-8",
                                  schema=Schema.from_descriptor(descriptor)))
    package = Package(resources=resources, basepath=str(folders.pop()) if folders else None)
    return row_errors(package.validate(limit_errors=limit))


def validate_tables(compiled: dict[str, CompiledTable], sources: dict[str, bytes | Path],
                    record_keys: dict[str, list] | None = None) -> tuple[list[RowError], dict[str, Checked]]:
    """Every finding over a set of CSV tables (foreign keys between them included): the fast checks, and frictionless
    for a table whose structure is not plain (then for the whole set, so that its foreign keys are checked alike)."""
    linked = linked_fields(compiled)
    checked = {}
    for name, source in sources.items():  # one table at a time: its text is let go once checked
        text = read_text(source, compiled[name])
        if text is None:  # frictionless reads it cell by cell: bounded, since a shifted header fails every row
            return frictionless_errors(compiled, sources, STRUCTURE_LIMIT), {}
        checked[name] = check(compiled[name], text, (record_keys or {}).get(name), keep=linked.get(name))
        del text
    errors = [e for c in checked.values() for e in c.errors] + foreign_key_errors(compiled, checked)
    return errors, checked


def finding(e: RowError) -> tuple:
    """What the differential tests compare: table, row, field and rule."""
    return (e.table, e.row, e.field, e.rule)
