"""Policies: the rules a published table must keep beyond what a Table Schema can say, each behind one small
protocol (``Policy``): which tables it covers and the row errors it finds in one of them.

- ``FreeLicences``: a picture is published only under a free licence (``twindata.contract.licences``).
- ``AssignedCountries``: a country code is an assigned ISO 3166-1 alpha-2 code (``twindata.contract.countries``).
- ``TextRules``: no control, bidi or formula text in any text cell (``twindata.contract.text`` states the rules).

The gate runs every policy in ``POLICIES`` over the tables it covers, beside the compiled Table Schema checks; a new
rule is one class here and one entry in ``POLICIES``.
"""

from __future__ import annotations

from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc

from twindata.contract import schema
from twindata.contract.countries import is_assigned
from twindata.contract.issues import RowError
from twindata.contract.licences import is_free
from twindata.contract.text import quoted, rules


class Policy(Protocol):
    """A rule over one published table, beside its Table Schema."""

    def covers(self, table: str) -> bool:
        """Whether the rule applies to this table."""

    def check(self, arrow: pa.Table, table: str, record_keys: list[str] | None = None) -> list[RowError]:
        """A row error (row numbers as in the CSV: header = 1) for every row that breaks the rule."""


class FreeLicences:
    """Every picture of the images table carries a free licence."""

    rule = "licence"

    def covers(self, table: str) -> bool:
        return table == "images"

    def check(self, arrow: pa.Table, table: str, record_keys: list[str] | None = None) -> list[RowError]:
        errors = []
        for i, (image_id, name) in enumerate(zip(arrow.column("image_id").to_pylist(),
                                                 arrow.column("licence_name").to_pylist())):
            if name and not is_free(name):
                errors.append(RowError(table, self.rule, "no free licence: an image is published only with a free "
                                       "licence", i + 2, image_id, "licence_name", name))
        return errors


class AssignedCountries:
    """Every city's country code is an assigned ISO 3166-1 alpha-2 code."""

    rule = "country"

    def covers(self, table: str) -> bool:
        return table == "cities"

    def check(self, arrow: pa.Table, table: str, record_keys: list[str] | None = None) -> list[RowError]:
        codes = arrow.column("country_code").to_pylist()
        keys = arrow.column("city_id").to_pylist()
        return [RowError(table, self.rule, "not an assigned ISO 3166-1 alpha-2 code", i + 2, keys[i], "country_code",
                         code, "Country Error")
                for i, code in enumerate(codes) if code is not None and not is_assigned(code)]


class TextRules:
    """Every text cell of every published table keeps the text rules (prose fields may hold line breaks)."""

    rule = "text"

    def covers(self, table: str) -> bool:
        return True

    def check(self, arrow: pa.Table, table: str, record_keys: list[str] | None = None) -> list[RowError]:
        fields = schema.fields(table)
        errors = []
        for name in arrow.column_names:
            column = arrow.column(name)
            if not pa.types.is_string(column.type) or name not in fields:
                continue
            for pattern, reason in rules(fields[name].get("twindata:text") == "prose"):
                hits = pc.fill_null(pc.match_substring_regex(column, pattern), False)
                for i in pc.indices_nonzero(hits).to_pylist():
                    errors.append(RowError(table, self.rule, reason, i + 2, record_keys[i] if record_keys else None,
                                           name, quoted(column[i].as_py()), "Text Error"))
        return errors


POLICIES: tuple[Policy, ...] = (FreeLicences(), AssignedCountries(), TextRules())
