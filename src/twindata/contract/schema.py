"""The Table Schemas in ``schemas/`` and everything derived from them: the table list, column order, keys, Arrow
types, the registry's schemas and the publishing policy of each field.

The JSON files are the one source of truth for columns, types, constraints and docs; this module only reads and
translates them. Nothing else restates a column list. Two twindata properties ride along in the field descriptors
(Table Schema allows them): "twindata:quarantine": "value" (a bad value from an outside source is blanked and the
row kept, instead of holding back the row) and "twindata:from" (which outside source fills the field).
"""

from __future__ import annotations

import copy
import json
from functools import cache

import pyarrow as pa

from twindata.contract.bundled import schemas_dir

ARROW_TYPES = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
}


@cache
def _text(name: str) -> str:
    return (schemas_dir() / f"{name}.json").read_text(encoding="utf-8")


@cache
def _load(name: str) -> dict:
    """A schema file, parsed once and shared: read it, never modify it."""
    return json.loads(_text(name))


def table_schema(table: str) -> dict:
    """The Table Schema descriptor of a published table (a fresh copy, safe to modify)."""
    return json.loads(_text(table))


def package_metadata() -> dict:
    return json.loads(_text("package"))


def world_package_metadata() -> dict:
    """The world package's own metadata (name, title, licences per layer, contributors), as registry.json is a
    registry package's."""
    return json.loads(_text("world-package"))


def columns(table: str) -> list[str]:
    return [f["name"] for f in _load(table)["fields"]]


@cache
def fields(table: str) -> dict[str, dict]:
    """The table's field descriptors by name (shared: read them, never modify them)."""
    return {f["name"]: f for f in _load(table)["fields"]}


def primary_key(table: str) -> list[str]:
    return list(_load(table).get("primaryKey", []))


def arrow_schema(table: str) -> pa.Schema:
    """Arrow schema of a table: types from the Table Schema, required fields not-null, docs in the field metadata."""
    descriptor = _load(table)
    arrow_fields = []
    for f in descriptor["fields"]:
        meta = {"title": f.get("title", ""), "description": f.get("description", "")}
        arrow_fields.append(pa.field(f["name"], ARROW_TYPES[f["type"]],
                                     nullable=not f.get("constraints", {}).get("required", False),
                                     metadata=meta))
    plain = pa.schema(arrow_fields)
    return plain.with_metadata({"title": descriptor.get("title", ""), "description": descriptor.get("description", ""),
                                **_pandas_metadata(descriptor)})


# Table Schema type → (pandas_type, numpy_type) as pandas' own Parquet metadata names a nullable column of it
_PANDAS_TYPES = {"integer": ("int64", "Int64"), "boolean": ("bool", "boolean"), "number": ("float64", "Float64"),
                 "string": ("unicode", "object"), "date": ("date", "object")}


def _pandas_metadata(descriptor: dict) -> dict:
    """pandas' own Parquet metadata declaring nullable dtypes (Int64, Float64, boolean), so that ``pandas.read_parquet``
    and frictionless read an empty numeric cell as missing instead of NaN. Written here as pyarrow writes it for an
    empty frame of those dtypes (a test holds the two equal), without building that frame on every run."""
    import pandas as pd  # its version only: the checks of a release need no pandas

    columns = [{"name": f["name"], "field_name": f["name"], "pandas_type": _PANDAS_TYPES[f["type"]][0],
                "numpy_type": _PANDAS_TYPES[f["type"]][1], "metadata": None} for f in descriptor["fields"]]
    return {b"pandas": json.dumps({"index_columns": [], "column_indexes": [], "columns": columns, "attributes": {},
                                   "creator": {"library": "pyarrow", "version": pa.__version__},
                                   "pandas_version": pd.__version__}).encode()}


def registry_tables() -> dict[str, dict]:
    """Table Schema descriptors of the registry's CSV files. A field named by a string is taken from the published
    table in 'from'; an object takes its '$ref' (a definition, or '<table>.<field>') and overrides the rest."""
    spec = _load("registry")
    out = {}
    for name, t in spec["tables"].items():
        source = fields(t["from"])
        picked = []
        for entry in t["fields"]:
            if isinstance(entry, str):
                f = copy.deepcopy(source[entry])
            else:
                ref = entry["$ref"]
                base = fields(ref.split(".")[0])[ref.split(".")[1]] if "." in ref else spec["definitions"][ref]
                f = {**copy.deepcopy(base), **{k: v for k, v in entry.items() if k != "$ref"}}
            for key in [k for k in f if k.startswith("twindata:")]:
                del f[key]  # publishing policy, not the registry's business
            constraints = f.setdefault("constraints", {})
            if f["name"] in t["primaryKey"]:
                constraints.pop("unique", None)  # the registry's primary key says it
            if f["name"] in t.get("required", []):
                constraints["required"] = True
            picked.append(f)
        descriptor = {"fields": picked, "primaryKey": t["primaryKey"], "missingValues": [""]}
        if t.get("foreignKeys"):
            descriptor["foreignKeys"] = t["foreignKeys"]
        out[name] = descriptor
    return out


def registry_optional_tables() -> set[str]:
    """Registry files a registry may leave out (claims.csv)."""
    return {name for name, t in _load("registry")["tables"].items() if t.get("optional")}


def registry_metadata_schema() -> dict:
    """The JSON Schema that registry.json must pass."""
    return json.loads(_text("registry"))["metadata"]


def published_tables() -> list[str]:
    """Every table a release publishes, in the package's order."""
    return list(_load("package")["resources"])


def contract_version() -> int:
    """The major version of the data contract: the first release of a package is <contract>.0.0."""
    return int(_load("package")["contract"]["version"])


@cache
def quarantinable(table: str) -> frozenset[str]:
    """Fields whose bad value from an outside source is blanked (the row published without it) instead of holding
    back the whole row: the fields a Table Schema marks with "twindata:quarantine": "value"."""
    return frozenset(f["name"] for f in _load(table)["fields"] if f.get("twindata:quarantine") == "value")


def outside_source(table: str, field: str) -> str | None:
    """The outside source that fills a field where it is not the registry's ("twindata:from" in the Table Schema)."""
    return fields(table)[field].get("twindata:from")


@cache
def filled_by(table: str, source: str) -> tuple[str, ...]:
    """The fields of a table that the schema says an outside source fills."""
    return tuple(f for f in columns(table) if outside_source(table, f) == source)
