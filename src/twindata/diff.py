"""What changed between two releases, or between a release and the tables about to be published: rows added,
removed and changed by primary key (with each changed field's old and new value), schema changes, and the
semantic-version bump they call for. Vectorised with pyarrow joins; no Python loop over rows.

Versioning policy (Frictionless's data-package-version pattern):
MAJOR  a published table's schema changes incompatibly: a table removed, a field removed, renamed or retyped,
       a required field added, a primary key changed;
MINOR  tables, optional fields or rows added, or rows removed;
PATCH  only values of existing rows changed (or only the schemas' documentation).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

BUMPS = ("patch", "minor", "major")


def release_tables(folder: Path) -> tuple[dict[str, pa.Table], dict[str, dict]]:
    """The tables of a release (read from its Parquet files) and their Table Schemas, by table name."""
    descriptor = json.loads((Path(folder) / "datapackage.json").read_text(encoding="utf-8"))
    tables, schemas = {}, {}
    for resource in descriptor["resources"]:
        if resource.get("format") == "parquet":
            name = resource["name"].removesuffix("-parquet")
            tables[name] = pq.read_table(Path(folder) / resource["path"])
            schemas[name] = resource["schema"]
    return tables, schemas


def schema_changes(old: dict | None, new: dict | None) -> dict:
    """Field-level differences between two Table Schemas."""
    if old is None or new is None:
        return {"table_added": True} if new is not None else {"table_removed": True} if old is not None else {}
    old_fields = {f["name"]: f for f in old["fields"]}
    new_fields = {f["name"]: f for f in new["fields"]}
    added = [n for n in new_fields if n not in old_fields]
    changes = {
        "fields_added": added,
        "required_fields_added": [n for n in added if new_fields[n].get("constraints", {}).get("required")],
        "fields_removed": [n for n in old_fields if n not in new_fields],
        "fields_retyped": [n for n in new_fields if n in old_fields
                           and (old_fields[n]["type"], old_fields[n].get("format")) != (new_fields[n]["type"], new_fields[n].get("format"))],
        "primary_key_changed": old.get("primaryKey") != new.get("primaryKey"),
        "documentation_changed": old != new,
    }
    return {k: v for k, v in changes.items() if v}


def _keys(table: pa.Table, pk: list[str]) -> list[str]:
    if not len(table):
        return []
    if len(pk) == 1:
        return [str(v) for v in table.column(pk[0]).to_pylist()]
    return [" / ".join(str(v) for v in row) for row in zip(*(table.column(k).to_pylist() for k in pk))]


ROW_KEY = "row"


def _row_key(table: pa.Table, columns: list[str]) -> pa.Table:
    """A table reduced to one text column holding each whole row (nulls kept apart from empty strings)."""
    parts = [pc.fill_null(pc.cast(table.column(c), pa.string()), "\u2205") for c in columns]
    return pa.table({ROW_KEY: pc.binary_join_element_wise(*parts, " | ")}) if parts else pa.table({ROW_KEY: []})


def _same(a: pa.ChunkedArray, b: pa.ChunkedArray) -> pa.ChunkedArray:
    """Element-wise equality where two nulls are equal."""
    both_null = pc.and_(pc.is_null(a), pc.is_null(b))
    return pc.or_(pc.fill_null(pc.equal(a, b), False), both_null)


def _json_value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def table_changes(old: pa.Table | None, new: pa.Table | None, pk: list[str]) -> dict:
    """Rows added, removed and changed between two versions of a table, by primary key."""
    if old is None or new is None:
        table = new if old is None else old
        return {"added" if old is None else "removed": _keys(table, pk)} if table is not None else {}
    if not pk:  # a table without primary key (data_issues) is compared as a set of whole rows
        common = [c for c in new.column_names if c in old.column_names]
        old, new, pk = _row_key(old, common), _row_key(new, common), [ROW_KEY]
    added = new.join(old.select(pk), keys=pk, join_type="left anti")
    removed = old.join(new.select(pk), keys=pk, join_type="left anti")
    compared = [c for c in new.column_names if c in old.column_names and c not in pk
                and old.schema.field(c).type == new.schema.field(c).type]
    joined = old.select(pk + compared).join(new.select(pk + compared), keys=pk, join_type="inner",
                                            left_suffix="__old", right_suffix="__new")
    changed_rows = []
    if compared and len(joined):
        differs = {c: pc.invert(_same(joined.column(f"{c}__old"), joined.column(f"{c}__new"))) for c in compared}
        any_change = differs[compared[0]]
        for c in compared[1:]:
            any_change = pc.or_(any_change, differs[c])
        rows = joined.filter(any_change)
        masks = {c: differs[c].filter(any_change).to_pylist() for c in compared}
        keys = _keys(rows, pk)
        columns = {c: (rows.column(f"{c}__old").to_pylist(), rows.column(f"{c}__new").to_pylist())
                   for c in compared if any(masks[c])}
        for i, key in enumerate(keys):
            fields = {c: {"old": _json_value(old_new[0][i]), "new": _json_value(old_new[1][i])}
                      for c, old_new in columns.items() if masks[c][i]}
            changed_rows.append({"key": key, "fields": fields})
    return {k: v for k, v in {"added": sorted(_keys(added, pk)), "removed": sorted(_keys(removed, pk)),
                              "changed": sorted(changed_rows, key=lambda r: r["key"])}.items() if v}


def compare(old_tables: dict[str, pa.Table], old_schemas: dict[str, dict],
            new_tables: dict[str, pa.Table], new_schemas: dict[str, dict]) -> dict:
    """Changes per table (rows and schema) between two sets of tables."""
    changes = {}
    for name in sorted(set(old_tables) | set(new_tables)):
        schema = schema_changes(old_schemas.get(name), new_schemas.get(name))
        pk = (new_schemas.get(name) or old_schemas.get(name) or {}).get("primaryKey", [])
        if schema.get("primary_key_changed"):
            rows = {}
        else:
            rows = table_changes(old_tables.get(name), new_tables.get(name), pk)
        entry = {**({"schema": schema} if schema else {}), **rows}
        if entry:
            changes[name] = entry
    return changes


def bump(changes: dict) -> tuple[str | None, list[str]]:
    """The version bump the changes call for, and why, in words."""
    reasons: dict[str, list[str]] = {b: [] for b in BUMPS}
    for name, c in changes.items():
        s = c.get("schema", {})
        if s.get("table_removed"):
            reasons["major"].append(f"table {name} removed")
        if s.get("table_added"):
            reasons["minor"].append(f"table {name} added")
        for key, words in (("fields_removed", "removed"), ("fields_retyped", "retyped"),
                           ("required_fields_added", "added as required")):
            if s.get(key):
                reasons["major"].append(f"{name}: field(s) {', '.join(s[key])} {words}")
        if s.get("primary_key_changed"):
            reasons["major"].append(f"{name}: primary key changed")
        optional = [f for f in s.get("fields_added", []) if f not in s.get("required_fields_added", [])]
        if optional:
            reasons["minor"].append(f"{name}: optional field(s) {', '.join(optional)} added")
        if s.get("table_added") or s.get("table_removed"):
            continue
        if c.get("added"):
            reasons["minor"].append(f"{name}: {len(c['added'])} row(s) added")
        if c.get("removed"):
            reasons["minor"].append(f"{name}: {len(c['removed'])} row(s) removed")
        if c.get("changed"):
            reasons["patch"].append(f"{name}: {len(c['changed'])} row(s) changed")
        if s.get("documentation_changed") and not any(s.get(k) for k in ("fields_added", "fields_removed", "fields_retyped")):
            reasons["patch"].append(f"{name}: schema documentation or constraints changed")
    for level in reversed(BUMPS):
        if reasons[level]:
            return level, [r for lvl in reversed(BUMPS) for r in reasons[lvl]]
    return None, []


def next_version(previous: str | None, level: str | None) -> str:
    if previous is None:
        return "1.0.0"
    major, minor, patch = (int(x) for x in previous.split("."))
    return {"major": f"{major + 1}.0.0", "minor": f"{major}.{minor + 1}.0", "patch": f"{major}.{minor}.{patch + 1}"}[level]


def render(changes: dict, limit: int = 20) -> str:
    """The changes as Markdown lines: per table, counts and the first rows of each kind."""
    if not changes:
        return "No changes.\n"
    lines = []
    for name, c in changes.items():
        counts = ", ".join(f"{len(c[k])} {k}" for k in ("added", "removed", "changed") if c.get(k))
        lines.append(f"### {name}" + (f" ({counts})" if counts else ""))
        for key, value in c.get("schema", {}).items():
            if key != "documentation_changed":
                lines.append(f"- schema: {key.replace('_', ' ')}" + (f": {', '.join(value)}" if isinstance(value, list) else ""))
        for kind in ("added", "removed"):
            shown = c.get(kind, [])[:limit]
            lines += [f"- {kind}: {key}" for key in shown]
            if len(c.get(kind, [])) > limit:
                lines.append(f"- … and {len(c[kind]) - limit} more {kind} (see changes.json)")
        for row in c.get("changed", [])[:limit]:
            fields = "; ".join(f"{f}: {v['old']!r} → {v['new']!r}" for f, v in row["fields"].items())
            lines.append(f"- changed: {row['key']}: {fields}")
        if len(c.get("changed", [])) > limit:
            lines.append(f"- … and {len(c['changed']) - limit} more changed (see changes.json)")
        lines.append("")
    return "\n".join(lines)
