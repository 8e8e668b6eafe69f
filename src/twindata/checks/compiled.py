"""Table Schemas compiled for the checks: ``compile_schema`` accepts a schema only where every type, format and
constraint in it is one the compiled checks decide (refusing, when it is loaded, the first that is not), and gives a
``CompiledTable``; ``Checked`` is what checking one table found (its findings, and each field's values as keys)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from twindata.contract.errors import TwindataError
from twindata.contract.issues import RowError

TYPES = {"string", "integer", "number", "boolean", "date"}
FORMATS = {None, "default", "uri"}  # "uri" on strings only
CONSTRAINTS = {"required", "unique", "enum", "pattern", "minimum", "maximum", "minLength", "maxLength"}
FIELD_KEYS = {"name", "type", "format", "title", "description", "constraints", "example", "twindata:quarantine",
              "twindata:from", "twindata:text"}
TABLE_KEYS = {"$schema", "title", "description", "fields", "primaryKey", "foreignKeys", "missingValues"}


@dataclass
class CompiledTable:
    """A Table Schema ready to check tables: its fields, keys and missing values."""

    name: str
    descriptor: dict
    fields: list[dict]
    primary_key: list[str]
    foreign_keys: list[dict]
    missing_values: list[str]
    _frictionless: dict = field(default_factory=dict, repr=False)

    @property
    def names(self) -> list[str]:
        return [f["name"] for f in self.fields]

    def cell_reader(self, name: str):
        """frictionless's own reader of one field's cells (value, notes), for the cells the fast path leaves."""
        if name not in self._frictionless:
            if None not in self._frictionless:  # the schema, built once for all its fields
                from frictionless import Schema

                self._frictionless[None] = Schema.from_descriptor({"fields": self.fields,
                                                                   "missingValues": self.missing_values})
            self._frictionless[name] = self._frictionless[None].get_field(name).create_cell_reader()
        return self._frictionless[name]


def compile_schema(name: str, descriptor: dict) -> CompiledTable:
    """Check that every property of a Table Schema is one the compiled checks support; refuse the first that is not."""
    where = f"schemas/{name}.json"
    unknown = set(descriptor) - TABLE_KEYS
    if unknown:
        raise TwindataError(f"{where}: property {sorted(unknown)[0]!r} is not supported by the compiled checks")
    for f in descriptor["fields"]:
        fname = f.get("name")
        for key in set(f) - FIELD_KEYS:
            raise TwindataError(f"{where}: field {fname!r}: property {key!r} is not supported by the compiled checks")
        if f.get("type", "any") not in TYPES:
            raise TwindataError(f"{where}: field {fname!r}: type {f.get('type')!r} is not supported by the compiled checks")
        if f.get("format") not in FORMATS or (f.get("format") == "uri" and f["type"] != "string"):
            raise TwindataError(f"{where}: field {fname!r}: format {f.get('format')!r} is not supported by the compiled checks")
        for key in set(f.get("constraints", {})) - CONSTRAINTS:
            raise TwindataError(f"{where}: field {fname!r}: constraint {key!r} is not supported by the compiled checks")
        pattern = f.get("constraints", {}).get("pattern")
        if pattern is not None:
            try:
                pc.match_substring_regex(pa.array([""]), f"^(?:{pattern})$")
                re.compile(pattern)
            except (pa.ArrowInvalid, re.error) as exc:
                raise TwindataError(f"{where}: field {fname!r}: pattern {pattern!r} cannot be compiled: {exc}") from None
    for fk in descriptor.get("foreignKeys", []):
        if len(fk["fields"]) != len(fk["reference"]["fields"]):
            raise TwindataError(f"{where}: foreign key {fk['fields']}: as many fields as it references are needed")
    return CompiledTable(name, descriptor, [dict(f) for f in descriptor["fields"]], list(descriptor.get("primaryKey", [])),
                         list(descriptor.get("foreignKeys", [])), list(descriptor.get("missingValues", [""])))


@dataclass
class Checked:
    """The findings on one table, each field's values as keys (normalised text; null where missing or bad) and,
    when asked for, as typed Python values (None where missing or bad)."""

    table: str
    rows: int
    errors: list[RowError]
    keys: dict[str, pa.Array]
    values: dict[str, list] = field(default_factory=dict)
