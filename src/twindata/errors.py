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


def report_errors(report, record_keys: dict[str, list] | None = None) -> list[dict]:
    """A frictionless report as row-level error dicts: table, row, record, field, value, rule, message, and the
    row's cells as read (for naming a record without keys)."""
    errors = []
    for task in report.tasks:
        for error in task.errors:
            e = error.to_descriptor()
            row = e.get("rowNumber")
            keys = (record_keys or {}).get(task.name)
            record = keys[row - 2] if keys and row and 0 <= row - 2 < len(keys) else None
            field = e.get("fieldName") or ",".join(e.get("fieldNames", [])) or None  # foreign keys name several
            errors.append({"table": task.name, "row": row, "record": record, "field": field, "value": e.get("cell"),
                           "rule": e.get("type"), "message": e.get("note") or e.get("message"),
                           "title": e.get("title"), "cells": e.get("cells") or []})
    return errors
