"""Errors a user can act on. Each renders as one line naming the file, record, field and value; the CLI prints
that line and exits non-zero, without a traceback. Programming errors stay ordinary exceptions."""

from __future__ import annotations


class TwindataError(Exception):
    """A problem the user can fix; ``str()`` is the one line the CLI prints."""


class RegistryError(TwindataError):
    """The city's registry breaks its schema: names file, record, field and value."""

    def __init__(self, file: str, record: str, field: str | None, value: object, message: str):
        self.file, self.record, self.field, self.value, self.message = file, record, field, value, message
        where = f"{file}: {record}" + (f", field '{field}'" if field else "")
        shown = "" if value in (None, "") else f" = {_short(value)!r}"
        super().__init__(f"{where}{shown}: {message}")


class SourceError(TwindataError):
    """An outside source could not be read (network, HTTP status, a snapshot that lacks a response)."""


class GateError(TwindataError):
    """The validation gate failed: nothing is published. Carries the row-level errors."""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"validation failed, nothing published: {format_error(first)}{more}")


def _short(value: object, limit: int = 80) -> object:
    """A value as shown in a one-line message: long text cut, with an ellipsis."""
    return value if not isinstance(value, str) or len(value) <= limit else value[:limit] + "…"


def format_error(err: dict) -> str:
    """One line for a row-level validation error: table, row, field, value, rule."""
    parts = [err.get("table", "?")]
    if err.get("row") is not None:
        parts.append(f"row {err['row']}")
    if err.get("record"):
        parts.append(f"({err['record']})")
    if err.get("field"):
        parts.append(f"field '{err['field']}'")
    if err.get("value") not in (None, ""):
        parts.append(f"= {_short(err['value'])!r}")
    return " ".join(parts) + f": {err.get('rule', 'error')}: {err.get('message', '')}".rstrip(": ")
