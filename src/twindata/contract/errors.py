"""Errors a user can act on. Each renders as one line naming the file, record, field and value; the CLI prints
that line and exits non-zero, without a traceback. Programming errors stay ordinary exceptions."""

from __future__ import annotations

from twindata.contract.text import short


class TwindataError(Exception):
    """A problem the user can fix; ``str()`` is the one line the CLI prints."""


class RegistryError(TwindataError):
    """The city's registry breaks its schema: names file, record, field and value."""

    def __init__(self, file: str, record: str, field: str | None, value: object, message: str):
        self.file, self.record, self.field, self.value, self.message = file, record, field, value, message
        where = f"{file}: {record}" + (f", field '{field}'" if field else "")
        shown = "" if value in (None, "") else f" = {short(value)!r}"
        super().__init__(f"{where}{shown}: {message}")


class SourceError(TwindataError):
    """An outside source could not be read (network, HTTP status, a snapshot that lacks a response)."""


class GateError(TwindataError):
    """The validation gate failed: nothing is published. Carries the row-level errors (``RowError``s)."""

    def __init__(self, errors: list):
        self.errors = errors
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"validation failed, nothing published: {errors[0].line()}{more}")
