"""What changed between two releases, or between a release and the tables about to be published: rows added,
removed and changed by primary key (with each changed field's old and new value) and schema changes. Keys of the
older release are followed through the newer one's redirects, so a renamed id is a changed row, not a removal plus
an addition. Vectorised with pyarrow; no Python loop over rows. The version bump the changes call for is
``twindata.publish.versioning``'s.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from twindata.checks.keys import increasing, place_sorted
from twindata.contract import identity
from twindata.contract.errors import TwindataError
from twindata.contract.files import read_descriptor
from twindata.contract.text import quoted


def _parquet_resources(descriptor: dict, columns: dict[str, list[str]] | None = None) -> dict[str, dict]:
    """The Parquet resources of a release descriptor by table name (only the tables ``columns`` names, if given)."""
    return {r["name"].removesuffix("-parquet"): r for r in descriptor.get("resources", [])
            if r.get("format") == "parquet" and (columns is None or r["name"].removesuffix("-parquet") in columns)}


def _read(folder: Path, resource: dict, columns: list[str] | None = None, dictionary: frozenset[str] = frozenset()
          ) -> pa.Table:
    """One Parquet table of a release (only ``columns`` of it that it has, if given; the ``dictionary`` columns
    read dictionary-encoded, as they are stored); unreadable is one line."""
    try:
        if columns is not None:
            have = {f.get("name") for f in resource["schema"].get("fields", [])}
            columns = [c for c in columns if c in have]
        return pq.read_table(Path(folder) / resource["path"], columns=columns, read_dictionary=sorted(dictionary))
    except (OSError, pa.ArrowException) as exc:
        raise TwindataError(f"{Path(folder) / resource['path']}: cannot be read as Parquet: {exc}") from None


def release_tables(folder: Path, columns: dict[str, list[str]] | None = None
                   ) -> tuple[dict[str, pa.Table], dict[str, dict]]:
    """The tables of a release (read from its Parquet files) and their Table Schemas, by table name; with
    ``columns``, only those tables and, of each, the columns named that it has."""
    resources = _parquet_resources(read_descriptor(Path(folder)), columns)
    return ({name: _read(folder, r, None if columns is None else columns[name]) for name, r in resources.items()},
            {name: r["schema"] for name, r in resources.items()})


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


def _key(table: pa.Table, columns: list[str]) -> pa.ChunkedArray:
    """One text key per row: the primary key's value, or its parts (all columns for a table without one) joined,
    with nulls kept apart from empty strings."""
    if len(columns) == 1 and pa.types.is_string(table.schema.field(columns[0]).type):
        return table.column(columns[0])
    if not len(table):
        return pa.chunked_array([], pa.string())
    parts = [pc.fill_null(pc.cast(table.column(c), pa.string()), "\u2205") for c in columns]
    return pc.binary_join_element_wise(*parts, " / ")


def _same(a: pa.ChunkedArray, b: pa.ChunkedArray) -> pa.Array:
    """Element-wise equality where two nulls are equal. Dictionary columns are compared by their codes, once both
    sides share one dictionary."""
    if pa.types.is_dictionary(a.type) and a.type == b.type:
        shared = pa.table({"v": pa.chunked_array(a.chunks + b.chunks, a.type)}).unify_dictionaries().column(0)
        codes = pa.chunked_array([chunk.indices for chunk in shared.chunks])
        a, b = codes[:len(a)], codes[len(a):]
    both_null = pc.and_(pc.is_null(a), pc.is_null(b))
    return pc.or_(pc.fill_null(pc.equal(a, b), False), both_null)


def _json_value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _align(old_keys: pa.ChunkedArray, new_keys: pa.ChunkedArray) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    """Which old keys the new table has and where: (old key found, new key found, old row positions, the new row
    positions they line up with). Published tables are sorted by their key, so each old key is looked for where
    the new keys lie in order (``checks.keys.place_sorted``); keys out of order are sorted first."""
    old_keys = old_keys.combine_chunks() if isinstance(old_keys, pa.ChunkedArray) else old_keys
    new_keys = new_keys.combine_chunks() if isinstance(new_keys, pa.ChunkedArray) else new_keys
    if not len(old_keys) or not len(new_keys):
        return (pa.array([False] * len(old_keys), pa.bool_()), pa.array([False] * len(new_keys), pa.bool_()),
                pa.array([], pa.int64()), pa.array([], pa.int64()))
    in_order = increasing(new_keys)
    searched = new_keys if in_order else new_keys.take(order := pc.sort_indices(new_keys))
    at, hit = place_sorted(searched, old_keys)
    old_rows, new_rows = np.flatnonzero(hit), at[hit]
    if in_order:  # unique keys: the new rows found are the ones lined up
        found = np.zeros(len(new_keys), dtype=bool)
        found[new_rows] = True
        found = pa.array(found)
    else:
        new_rows = order.take(pa.array(new_rows)).to_numpy()
        found = pc.fill_null(pc.is_in(new_keys, value_set=old_keys), False)
    return pa.array(hit), found, pa.array(old_rows), pa.array(new_rows)


def _at(column: pa.ChunkedArray, pick: pa.Array) -> pa.ChunkedArray:
    """A column's values at the rows ``pick`` names: a boolean mask (a filter, cheaper than a gather) or positions."""
    return column.filter(pick) if pa.types.is_boolean(pick.type) else column.take(pick)


def _redirected(keys: pa.ChunkedArray, redirects: dict[str, str] | None) -> pa.ChunkedArray:
    """Old keys with each renamed one replaced by its new id."""
    if not redirects or not len(keys):
        return keys
    old = pa.array(list(redirects), pa.string())
    where = pc.index_in(keys, value_set=old)
    renamed = pa.array(list(redirects.values()), pa.string()).take(pc.fill_null(where, 0))
    return pa.chunked_array([pc.if_else(pc.is_null(where), keys.combine_chunks(), renamed)])


def table_changes(old: pa.Table | None, new: pa.Table | None, pk: list[str],
                  redirects: dict[str, str] | None = None) -> dict:
    """Rows added, removed and changed between two versions of a table, by primary key (old keys followed through
    ``redirects``). Column by column over key-aligned positions, so that memory stays near the size of the two
    tables."""
    if old is None or new is None:
        table = new if old is None else old
        if table is None:
            return {}
        return {"added" if old is None else "removed": sorted(_key(table, pk or table.column_names).to_pylist())}
    if not pk:  # a table without primary key (data_issues) is compared as a set of whole rows
        pk = [c for c in new.column_names if c in old.column_names]
    raw_keys, new_keys = _key(old, pk), _key(new, pk)
    old_keys = _redirected(raw_keys, redirects if len(pk) == 1 else None)
    merged = []
    if old_keys is not raw_keys:  # a row renamed onto the key of another old row was merged into it
        renamed = pc.not_equal(raw_keys, old_keys)
        onto = pc.and_(renamed, pc.is_in(old_keys, value_set=raw_keys.filter(pc.invert(renamed))))
        merged = sorted(f"{o} → {n}" for o, n in zip(raw_keys.filter(onto).to_pylist(), old_keys.filter(onto).to_pylist()))
        old, old_keys = old.filter(pc.invert(onto)), old_keys.filter(pc.invert(onto))
        # two renamed rows onto one new id: the first stands for it, the others were merged into it
        renamed = pc.not_equal(raw_keys.filter(pc.invert(onto)), old_keys)
        seen, twice = set(), []
        for i, key in zip(pc.indices_nonzero(renamed).to_pylist(), old_keys.filter(renamed).to_pylist()):
            (twice.append(i) if key in seen else seen.add(key))
        if twice:
            raws = raw_keys.filter(pc.invert(onto))
            merged = sorted(merged + [f"{raws[i].as_py()} → {old_keys[i].as_py()}" for i in twice])
            mask = pc.invert(pc.is_in(pa.array(range(len(old_keys)), pa.int64()), value_set=pa.array(twice, pa.int64())))
            old, old_keys = old.filter(mask), old_keys.filter(mask)
    in_new, in_old, old_rows, new_rows = _align(old_keys, new_keys)
    new_pick = in_old if increasing(new_rows) else new_rows  # the new rows lined up with the old, in the old rows' order
    result = {"added": sorted(new_keys.filter(pc.invert(in_old)).to_pylist()),
              "removed": sorted(old_keys.filter(pc.invert(in_new)).to_pylist()), "merged": merged}
    compared = [c for c in new.column_names if c in old.column_names and c not in pk
                and old.schema.field(c).type == new.schema.field(c).type]
    differs, any_change = {}, None
    for c in compared:
        mask = pc.invert(_same(old.column(c).filter(in_new), _at(new.column(c), new_pick)))
        if pc.any(mask).as_py():
            differs[c] = mask
            any_change = mask if any_change is None else pc.or_(any_change, mask)
    changed = []
    if any_change is not None:
        where = pc.indices_nonzero(any_change)
        keys = new_keys.take(new_rows.take(where)).to_pylist()
        values = {c: (old.column(c).take(old_rows.take(where)).to_pylist(),
                      new.column(c).take(new_rows.take(where)).to_pylist(), m.take(where).to_pylist())
                  for c, m in differs.items()}
        for i, key in enumerate(keys):
            changed.append({"key": key, "fields": {c: {"old": _json_value(o[i]), "new": _json_value(n[i])}
                                                   for c, (o, n, m) in values.items() if m[i]}})
    result["changed"] = sorted(changed, key=lambda row: row["key"])
    return {k: v for k, v in result.items() if v}


def compare(old_tables: dict[str, pa.Table], old_schemas: dict[str, dict],
            new_tables: dict[str, pa.Table], new_schemas: dict[str, dict],
            redirects: dict[str, dict[str, str]] | None = None) -> dict:
    """Changes per table (rows and schema) between two sets of tables; ``redirects`` ({table: {old: new}}) renames
    old keys."""
    changes = {}
    for name in sorted(set(old_tables) | set(new_tables)):
        schema = schema_changes(old_schemas.get(name), new_schemas.get(name))
        pk = (new_schemas.get(name) or old_schemas.get(name) or {}).get("primaryKey", [])
        if schema.get("primary_key_changed"):
            rows = {}
        else:
            rows = table_changes(old_tables.get(name), new_tables.get(name), pk, (redirects or {}).get(name))
        entry = {**({"schema": schema} if schema else {}), **rows}
        if entry:
            changes[name] = entry
    return changes


def compare_releases(old: Path, new: Path) -> dict:
    """``compare`` of two release folders (old keys followed through the new release's redirects), one table at a
    time, so that memory holds two versions of one table, not two releases. A table whose Parquet file and schema
    the two descriptors record with the same sha256 is unchanged and not read."""
    old_resources, new_resources = _parquet_resources(read_descriptor(old)), _parquet_resources(read_descriptor(new))
    redirects = identity.follow(_read(new, new_resources["redirects"]) if "redirects" in new_resources else None)
    changes = {}
    for name in sorted(set(old_resources) | set(new_resources)):
        o, n = old_resources.get(name), new_resources.get(name)
        if o and n and o.get("hash") == n.get("hash") and o["schema"] == n["schema"]:
            continue
        repeated = [_repeated_text(folder, r) for folder, r in ((old, o), (new, n)) if r]
        dictionary = frozenset.intersection(*repeated)
        changes.update(compare(*_side(old, name, o, dictionary), *_side(new, name, n, dictionary), redirects))
    return changes


def _repeated_text(folder: Path, resource: dict) -> frozenset[str]:
    """The text columns of a Parquet file stored at under 4 bytes a value in every row group: dictionary codes
    (plain text costs at least its 4-byte length), so few distinct values, which read faster and smaller as a
    dictionary than as one string per row."""
    try:
        meta = pq.ParquetFile(Path(folder) / resource["path"]).metadata
    except (OSError, pa.ArrowException) as exc:
        raise TwindataError(f"{Path(folder) / resource['path']}: cannot be read as Parquet: {exc}") from None
    chunks = [meta.row_group(g).column(i) for g in range(meta.num_row_groups) for i in range(meta.num_columns)]
    text = {c.path_in_schema for c in chunks if c.physical_type == "BYTE_ARRAY"}
    return frozenset(text - {c.path_in_schema for c in chunks
                             if c.physical_type == "BYTE_ARRAY" and c.total_uncompressed_size >= 4 * max(c.num_values, 1)})


def _side(folder: Path, name: str, resource: dict | None, dictionary: frozenset[str]) -> tuple[dict, dict]:
    """One release's side of a table for ``compare``: its table and schema, or nothing."""
    return ({name: _read(folder, resource, dictionary=dictionary)}, {name: resource["schema"]}) if resource else ({}, {})


def md(value) -> str:
    """A value quoted into Markdown as text: one line (controls as \\uXXXX, so no value starts a heading or a list of
    its own), and the characters that make links, code, emphasis, tables and HTML backslash-escaped."""
    text = quoted(str(value)) or ""
    return re.sub(r"([\\`*\[\]<>|])", r"\\\1", text)


def render(changes: dict, limit: int = 20) -> str:
    """The changes as Markdown lines: per table, counts and the first rows of each kind."""
    if not changes:
        return "No changes.\n"
    lines = []
    for name, c in changes.items():
        counts = ", ".join(f"{len(c[k])} {k}" for k in ("added", "removed", "merged", "changed") if c.get(k))
        lines.append(f"### {name}" + (f" ({counts})" if counts else ""))
        for key, value in c.get("schema", {}).items():
            if key != "documentation_changed":
                lines.append(f"- schema: {key.replace('_', ' ')}" + (f": {', '.join(value)}" if isinstance(value, list) else ""))
        for kind in ("added", "removed", "merged"):
            shown = c.get(kind, [])[:limit]
            lines += [f"- {kind}: {md(key)}" for key in shown]
            if len(c.get(kind, [])) > limit:
                lines.append(f"- … and {len(c[kind]) - limit} more {kind} (see changes.json)")
        for row in c.get("changed", [])[:limit]:
            fields = "; ".join(f"{md(f)}: {md(repr(v['old']))} → {md(repr(v['new']))}" for f, v in row["fields"].items())
            lines.append(f"- changed: {md(row['key'])}: {fields}")
        if len(c.get("changed", [])) > limit:
            lines.append(f"- … and {len(c['changed']) - limit} more changed (see changes.json)")
        lines.append("")
    return "\n".join(lines)
