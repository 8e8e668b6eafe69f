"""Table Schemas compiled to vectorised checks over Arrow columns: the same findings as frictionless-py, in one pass.

``twindata.checks.compiled.compile_schema`` turns a Table Schema into checks (types and formats, required, unique, primary keys single and
composite, enum, pattern, minimum/maximum, minLength/maxLength; foreign keys as joins in ``twindata.checks.keys``) and
refuses, when the schema is loaded, anything it does not support. Here, ``read_text`` reads a CSV's cells as text and ``check`` runs
them over it. Every cell whose verdict the vectorised path decides exactly (ASCII numbers and dates in their plain forms,
http(s) URLs, patterns over ASCII text) is decided there; the rare others (" 1", "2019-1-1", non-ASCII text under a
pattern, which Python's ``re`` reads differently from RE2) are read by frictionless's own cell reader of that field,
so that the findings equal frictionless's by construction. A table whose header or row structure is not plain
(labels that differ from the schema, blank rows, rows with missing or extra cells) is validated by frictionless
whole (``twindata.checks.reference``). The differential tests hold the two to the same (row, field, rule) findings.
"""

from __future__ import annotations

import io
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from twindata.checks import keys as key_columns
from twindata.checks.compiled import Checked, CompiledTable
from twindata.contract.issues import RowError
from twindata.contract.schema import ARROW_TYPES

TRUE_VALUES, FALSE_VALUES = ("true", "True", "TRUE", "1"), ("false", "False", "FALSE", "0")
# cells of these forms are read exactly alike by Arrow and by Python (int(), float(), strptime, rfc3986)
_PLAIN = {
    "integer": r"^-?[0-9]{1,18}$",
    "number": r"^-?[0-9]{1,15}(\.[0-9]{1,15})?$",
    "date": r"^([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-[0-9]{2}-[0-9]{2}$",  # Python has no year 0
    "uri": r"^https?://[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]*$",
}
# cells no reader of the type takes, decided without frictionless: Python's int() reads no letter, and a URI without
# ":" has no scheme (rfc3986, as frictionless asks for one)
_NEVER = {"integer": r"[A-Za-z]", "uri": r"^[^:]*$"}
PARALLEL_ROWS = 50_000  # smaller tables are checked field after field: threads would cost more than they save
PARALLEL_BYTES = 4 << 20  # smaller files are parsed in one thread, for the same reason
DISTINCT_SAMPLE, DISTINCT_SHARE = 10_000, 8  # a column is checked by distinct value where at most 1 in 8 differ


BLOCK_BYTES = 1 << 20  # pyarrow's CSV block; a file with a longer cell is read again as one block


def read_text(source: bytes | Path, compiled: CompiledTable, blank_rows: bool = False) -> pa.Table | None:
    """The CSV's cells as text, one column per field; None where its header or rows are not plain (a byte-order
    mark, other labels, rows with missing or extra cells, bytes that are not UTF-8, and blank rows unless
    ``blank_rows``, where the caller takes their empty cells as they are)."""
    bad_rows = []
    try:
        if isinstance(source, bytes):
            first, stream, size = source[:65536], (lambda: io.BytesIO(source)), len(source)
        else:
            with open(source, "rb") as handle:
                first = handle.read(65536)
            stream, size = (lambda: pa.input_stream(str(source))), os.path.getsize(source)
        if first.startswith(b"\xef\xbb\xbf"):
            return None
        header = first.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8")
        if header.split(",") != [f'"{n}"' for n in compiled.names] and header.split(",") != compiled.names:
            return None
        table = None
        block = BLOCK_BYTES
        for newlines in (False, True, True):  # a value with a line break in it needs the slower parse
            bad_rows.clear()
            try:
                table = pacsv.read_csv(
                    stream(), read_options=pacsv.ReadOptions(use_threads=size > PARALLEL_BYTES, block_size=block),
                    parse_options=pacsv.ParseOptions(newlines_in_values=newlines, ignore_empty_lines=False,
                                                     invalid_row_handler=lambda row: bad_rows.append(row) or "skip"),
                    convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in compiled.names},
                                                         strings_can_be_null=False, quoted_strings_can_be_null=False))
            except pa.ArrowInvalid as exc:
                table = None
                if "straddl" in str(exc):  # one cell longer than a block: read again in one block
                    block = max(block, size + 1)
                continue
            if not bad_rows:
                break
        if table is None:
            return None
    except (pa.ArrowInvalid, UnicodeDecodeError, OSError):
        return None
    if bad_rows or table.column_names != compiled.names:
        return None
    if table.num_rows and table.num_columns and not blank_rows:  # a blank row (every cell empty): frictionless's
        blank = pc.equal(table.column(0), "")
        for name in table.column_names[1:]:
            blank = pc.and_(blank, pc.equal(table.column(name), ""))
        if pc.any(blank).as_py():
            return None
    return table


def check(compiled: CompiledTable, text: pa.Table, record_keys: list | None = None, typed: bool = False,
          keep: set[str] | None = None) -> Checked:
    """Every finding of ``text`` (cells as read from CSV) against the compiled schema, but foreign keys; with
    ``typed``, the values too. Fields are checked in parallel (Arrow's kernels release the GIL); ``keep`` names the
    fields whose keys the caller needs afterwards (all by default)."""
    errors: list[RowError] = []
    keys: dict[str, pa.Array] = {}
    values: dict[str, list] = {}
    n = text.num_rows
    needed = (set(compiled.names) if keep is None else set(keep)) | set(compiled.primary_key) | {
        f["name"] for f in compiled.fields if f.get("constraints", {}).get("unique")}

    def one(f: dict):  # a field's keys are let go at once where nothing after needs them
        column = text.column(f["name"]).combine_chunks() if n else pa.array([], pa.string())
        key, field_errors, field_values = _check_field(compiled, f, column, typed)
        return (key if f["name"] in needed else None), field_errors, field_values

    if n < PARALLEL_ROWS:
        results = list(map(one, compiled.fields))
    else:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            results = list(pool.map(one, compiled.fields))
    for f, (key, field_errors, field_values) in zip(compiled.fields, results):
        keys[f["name"]] = key
        errors += field_errors
        if typed:
            values[f["name"]] = field_values
    repeats = {}
    for f in compiled.fields:
        if f.get("constraints", {}).get("unique"):
            repeats[f["name"]] = key_columns.repeats(keys[f["name"]])
            for i in repeats[f["name"]]:
                errors.append(RowError(compiled.name, "unique-error", "the same as in an earlier row", i + 2, None,
                                       f["name"], text.column(f["name"])[i].as_py(), "Unique Error"))
    if compiled.primary_key:
        parts = [keys[k] for k in compiled.primary_key]
        all_null = key_columns.all_null(parts)
        for i in pc.indices_nonzero(all_null).to_pylist():
            errors.append(RowError(compiled.name, "primary-key", 'cells composing the primary keys are all "None"',
                                   i + 2, None, None, None, "PrimaryKey Error"))
        single = compiled.primary_key[0] if len(compiled.primary_key) == 1 else None
        for i in repeats[single] if single in repeats else key_columns.repeats(key_columns.joined(parts, all_null)):
            errors.append(RowError(compiled.name, "primary-key", "the same as in an earlier row", i + 2, None, None,
                                   None, "PrimaryKey Error"))
    if record_keys:
        errors = [e.named(record_keys[e.row - 2] if 0 <= e.row - 2 < len(record_keys) else None) for e in errors]
    elif compiled.primary_key and errors:  # named by the primary key's cells as the file gives them
        at = pa.array(sorted({e.row - 2 for e in errors}), pa.int64())
        parts = [text.column(k).take(at).to_pylist() for k in compiled.primary_key]
        names = dict(zip(at.to_pylist(), (" / ".join(p) for p in zip(*parts))))
        errors = [e.named(names[e.row - 2]) for e in errors]
    if keep is not None:
        keys = {k: v for k, v in keys.items() if k in keep}
    return Checked(compiled.name, n, errors, keys, values)


def _check_field(compiled: CompiledTable, f: dict, column: pa.Array,
                 typed_values: bool = False) -> tuple[pa.Array, list[RowError], list | None]:
    """Type, format and constraints of one column; its values as keys (and as typed values, if asked). A long
    column of few distinct values (years, types, URLs, licence layers) is checked one distinct value at a time,
    and the findings spread back to the rows that hold each value."""
    n = len(column)
    if n >= PARALLEL_ROWS and not typed_values:
        sample = column.slice(0, DISTINCT_SAMPLE)
        if pc.count_distinct(sample).as_py() * DISTINCT_SHARE <= len(sample):
            encoded = pc.dictionary_encode(column)
            if len(encoded.dictionary) * DISTINCT_SHARE <= n:
                key, errors, _ = _check_values(compiled, f, encoded.dictionary)
                return key.take(encoded.indices), _spread(errors, encoded.indices), None
    return _check_values(compiled, f, column, typed_values)


def _spread(errors: list[RowError], indices: pa.Array) -> list[RowError]:
    """Findings on distinct values (row = value's position + 2) as findings on every row holding the value."""
    if not errors:
        return []
    by_value: dict[int, list[RowError]] = {}
    for e in errors:
        by_value.setdefault(e.row - 2, []).append(e)
    rows = pc.indices_nonzero(pc.is_in(indices, value_set=pa.array(list(by_value), indices.type)))
    return [e.at_row(i + 2) for i, j in zip(rows.to_pylist(), indices.take(rows).to_pylist())
            for e in by_value[j]]


def _check_values(compiled: CompiledTable, f: dict, column: pa.Array,
                  typed_values: bool = False) -> tuple[pa.Array, list[RowError], list | None]:
    kind, constraints = f.get("type", "string"), f.get("constraints", {})
    missing = pc.is_in(column, value_set=pa.array(compiled.missing_values, pa.string()))
    plain_form = _PLAIN.get("uri" if f.get("format") == "uri" else kind)
    if kind == "boolean":
        plain = pc.is_in(column, value_set=pa.array(TRUE_VALUES + FALSE_VALUES))
    elif kind in ("integer", "number") and _casts(column, missing, ARROW_TYPES[kind]):
        # every cell Arrow reads as a number, Python's int() and float() read alike (to the same value)
        plain = pc.invert(missing)
    elif plain_form:
        plain = pc.match_substring_regex(column, plain_form)
    else:
        plain = pc.is_valid(column)  # every cell (the CSV reader gives no nulls), without a Python list
    pattern = constraints.get("pattern")
    if pattern is not None:  # Python's re and RE2 agree on ASCII lines only
        ascii_line = pc.and_(pc.equal(pc.binary_length(column), pc.utf8_length(column)),
                             pc.invert(pc.match_substring(column, "\n")))
        plain = pc.and_(plain, ascii_line)
    typed = _cast(kind, column, pc.and_(plain, pc.invert(missing)))
    if kind == "number":  # Python compares NaN unlike Arrow: frictionless's reader decides those cells
        nan = pc.fill_null(pc.is_nan(typed), False)
        plain, typed = pc.and_(plain, pc.invert(nan)), pc.if_else(nan, pa.scalar(None, pa.float64()), typed)
    if kind == "date":  # strptime rolls 2019-02-30 over: a plain date must read back as itself
        same = pc.equal(pc.strftime(typed, "%Y-%m-%d"), column)
        plain = pc.and_(plain, pc.fill_null(pc.or_(same, missing), False))
        typed = pc.if_else(plain, typed, pa.scalar(None, pa.date32()))
    fast = pc.and_(plain, pc.invert(missing))
    errors, rows = [], {}
    name, table = f["name"], compiled.name

    def flag(mask: pa.Array, rule: str, note: str) -> None:
        for i in pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist():
            rows.setdefault(i, []).append((rule, note))

    if constraints.get("required"):
        flag(missing, "constraint-error", 'constraint "required" is "True"')
    if constraints.get("enum") is not None:
        allowed = _cast(kind, pa.array([str(v) for v in constraints["enum"]]), None)
        flag(pc.and_(fast, pc.invert(pc.is_in(typed, value_set=allowed))), "constraint-error",
             f'constraint "enum" is "{constraints["enum"]}"')
    if pattern is not None:
        flag(pc.and_(fast, pc.invert(pc.match_substring_regex(column, f"^(?:{pattern})$"))), "constraint-error",
             f'constraint "pattern" is "{pattern}"')
    for bound, op in (("minimum", pc.less), ("maximum", pc.greater)):
        if constraints.get(bound) is not None:
            limit = _cast(kind, pa.array([str(constraints[bound])]), None)[0]
            flag(pc.and_(fast, op(typed, limit)), "constraint-error", f'constraint "{bound}" is "{constraints[bound]}"')
    for bound, op in (("minLength", pc.less), ("maxLength", pc.greater)):
        if constraints.get(bound) is not None:
            flag(pc.and_(fast, op(pc.utf8_length(column), constraints[bound])), "constraint-error",
                 f'constraint "{bound}" is "{constraints[bound]}"')
    key = pc.if_else(fast, _normalised(kind, typed, column), pa.scalar(None, pa.string()))
    python = _python_values(pc.if_else(fast, typed, pa.scalar(None, typed.type))) if typed_values else None
    odd_cells = pc.and_(pc.invert(plain), pc.invert(missing))
    never_form = _NEVER.get("uri" if f.get("format") == "uri" else kind)
    if never_form and pc.any(odd_cells).as_py():
        never = pc.and_(odd_cells, pc.match_substring_regex(column, never_form))
        flag(never, "type-error", f'type is "{kind}/{f.get("format") or "default"}"')
        odd_cells = pc.and_(odd_cells, pc.invert(never))
    odd = pc.indices_nonzero(odd_cells).to_pylist()
    if odd:  # decided by frictionless's own reader of this field
        reader = compiled.cell_reader(name)
        replacements = []
        for i, cell in zip(odd, column.take(pa.array(odd, pa.int64())).to_pylist()):
            value, notes = reader(cell)
            bad = bool(notes and "type" in notes) or value is None
            replacements.append(None if bad else _normalise_value(kind, value))
            if python is not None:
                python[i] = None if bad else value
            for rule_name, note in (notes or {}).items():
                rows.setdefault(i, []).append(("type-error" if rule_name == "type" else "constraint-error", note))
        mask = pc.is_in(pa.array(range(len(column)), pa.int64()), value_set=pa.array(odd, pa.int64()))
        key = pc.replace_with_mask(key, mask, pa.array(replacements, pa.string()))
    flagged = sorted(rows)
    cells = column.take(pa.array(flagged, pa.int64())).to_pylist() if flagged else []
    for i, value in zip(flagged, cells):
        for rule, note in rows[i]:
            errors.append(RowError(table, rule, note, i + 2, None, name, value,
                                   "Type Error" if rule == "type-error" else "Constraint Error"))
    return key, errors, python


def _python_values(values: pa.Array) -> list:
    """``values.to_pylist()`` with one Python object per distinct value, shared by the rows that hold it: a column
    of a snapshot repeats its labels, countries and coordinates row after row, and a million short-lived copies
    would fragment the heap the rows live on."""
    encoded = pc.dictionary_encode(values)
    distinct = np.array(encoded.dictionary.to_pylist() + [None], dtype=object)
    return distinct[pc.fill_null(encoded.indices, len(encoded.dictionary)).to_numpy()].tolist()


def _casts(column: pa.Array, missing: pa.Array, kind: pa.DataType) -> bool:
    """Whether Arrow reads every cell but the missing ones as a value of ``kind``."""
    try:
        pc.cast(pc.if_else(missing, pa.scalar(None, pa.string()), column), kind)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _cast(kind: str, column: pa.Array, where: pa.Array | None) -> pa.Array:
    """The cells of a plain form as typed values (null elsewhere)."""
    if kind == "string":
        return column
    if where is not None:
        column = pc.if_else(where, column, pa.scalar(None, pa.string()))
    if kind == "boolean":
        return pc.if_else(pc.is_in(column, value_set=pa.array(TRUE_VALUES)), True,
                          pc.if_else(pc.is_in(column, value_set=pa.array(FALSE_VALUES)), False,
                                     pa.scalar(None, pa.bool_())))
    if kind == "date":
        return pc.cast(pc.strptime(column, format="%Y-%m-%d", unit="s", error_is_null=True), pa.date32())
    return pc.cast(column, ARROW_TYPES[kind])


def _normalised(kind: str, typed: pa.Array, column: pa.Array) -> pa.Array:
    """Typed values as text keys, equal where frictionless's typed values are equal."""
    if kind == "string":
        return column
    if kind == "boolean":
        return pc.if_else(typed, "true", "false")
    return pc.cast(typed, pa.string())


def _normalise_value(kind: str, value) -> str:
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "number":
        return pa.array([float(value)], pa.float64()).cast(pa.string())[0].as_py()
    if kind == "date":
        return value.isoformat()
    return str(value)
