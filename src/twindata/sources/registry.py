"""The city registry as a source: the human-edited CSV files and registry.json, validated against the registry
schemas, and the claims they make.

A registry keeps its own keys (``de-dortmund``); the published tables use global ids, mapped by core. The registry is
trusted input kept by people, so any error stops the run with one line naming file, record, field and value
(``RegistryError``). Nothing here talks to the network or reconciles with other sources.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import pyarrow as pa

from twindata.checks.compiled import compile_schema
from twindata.checks.keys import foreign_key_errors
from twindata.checks.validator import check, read_text
from twindata.contract import schema
from twindata.contract.countries import is_assigned
from twindata.contract.errors import RegistryError, TwindataError
from twindata.contract.files import read_json, sha256_files
from twindata.contract.issues import RowError, row_error
from twindata.contract.licences import PACKAGE_LICENCES
from twindata.contract.tables import nfc_column
from twindata.contract.text import nfc, problem, quoted, short
from twindata.sources import Claim, Context

TABLES = ("cities", "partnerships", "claims", "images")
PACKAGE_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")


@dataclass(frozen=True)
class Registry:
    """A validated registry: its folder, package metadata and one DataFrame per table (typed values, None for empty)."""

    path: Path
    metadata: dict
    tables: dict[str, pd.DataFrame]
    sha256: str

    @property
    def name(self) -> str:
        return self.metadata["name"]

    @property
    def cities(self) -> pd.DataFrame:
        return self.tables["cities"]

    @property
    def partnerships(self) -> pd.DataFrame:
        return self.tables["partnerships"]

    @property
    def images(self) -> pd.DataFrame:
        return self.tables["images"]

    def table(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def own_keys(self) -> list[str]:
        """The keys of the cities whose registry this is (registry.json's city_ids)."""
        return list(self.metadata["city_ids"])


def read_registry(path: str | Path) -> Registry:
    """Read and validate the registry in folder ``path``; raise ``RegistryError`` on the first problem."""
    found = _read(Path(path))
    for problem_ in found.problems:
        raise problem_
    return found.registry


def check_registry(path: str | Path) -> tuple[Registry | None, list[RegistryError]]:
    """The registry in folder ``path`` (None unless valid) and every problem of it, one per file, row and field: a
    file that cannot be read (encoding, header) is one problem and its rows are not checked; the rules between
    tables are checked once registry.json and every table read."""
    found = _read(Path(path), every=True)
    return found.registry, found.problems


@dataclass
class _Reading:
    registry: Registry | None = None
    problems: list[RegistryError] = field(default_factory=list)


def _read(folder: Path, every: bool = False) -> _Reading:
    """The registry and its problems: stops at the first unless ``every``."""
    found = _Reading()

    def stop(problems) -> bool:  # record problems; whether to stop here
        for p in problems:
            found.problems.append(p)
            if not every:
                return True
        return False

    if not folder.is_dir():
        raise TwindataError(f"{folder}: registry folder not found")
    try:
        metadata = _read_metadata(folder / "registry.json")
    except RegistryError as e:
        if stop([e]):
            return found
        metadata = None
    descriptors = schema.registry_tables()
    optional = schema.registry_optional_tables()
    names = []
    for name in TABLES:
        file = folder / f"{name}.csv"
        if not file.is_file():
            if name in optional:
                continue
            if stop([RegistryError(str(file), "file", None, None,
                                   "missing (a registry holds cities.csv, partnerships.csv, images.csv)")]):
                return found
            continue
        try:
            _check_header(file, _check_encoding(file), [f["name"] for f in descriptors[name]["fields"]])
        except RegistryError as e:
            if stop([e]):
                return found
            continue
        names.append(name)
    frames, problems = _read_fast(folder, names, descriptors)
    if frames is None:  # a file whose header or rows are not plain: frictionless reads it, and names the problem
        from frictionless import Package, Resource, Schema

        package = Package(resources=[Resource(path=f"{n}.csv", name=n, encoding="utf-8",
                                              schema=Schema.from_descriptor(descriptors[n])) for n in names],
                          basepath=str(folder))
        frames, problems = {}, []
        for r in package.resources:
            frames[r.name], more = _read_checked(folder, r, descriptors, every)
            problems += more
    if stop(problems):
        return found
    for name in TABLES:
        frames.setdefault(name, pd.DataFrame(columns=[f["name"] for f in descriptors[name]["fields"]], dtype=object))
    if stop(_check_text(folder, frames)) or metadata is None or len(names) < len(TABLES) - len(optional):
        return found  # the rules between tables need registry.json and every table
    if stop(_check_rules(folder, metadata, frames)) or found.problems:
        return found
    found.registry = Registry(folder, metadata, frames, registry_digest(folder))
    return found


def _check_encoding(file: Path) -> str:
    """A registry file's text: UTF-8 (a byte-order mark allowed); anything else is one line naming the first byte
    that is not, never a guess."""
    data = file.read_bytes()
    try:
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise RegistryError(str(file), f"line {line}", None, None,
                            f"not UTF-8: byte {exc.start} is 0x{data[exc.start]:02x}; save the file as UTF-8") from None


def _check_header(file: Path, text: str, expected: list[str]) -> None:
    """The first row of the file's ``text`` names the schema's columns: a missing or unknown column is named (a
    column out of order, a blank or repeated label: frictionless names it when it reads the file)."""
    header = next(csv.reader(io.StringIO(text, newline="")), [])
    if not header:
        raise RegistryError(str(file), "file", None, None, f"empty: the first row must name the columns "
                                                           f"({', '.join(expected)})")
    missing = [c for c in expected if c not in header]
    unknown = [c for c in header if c and c not in expected]
    if missing:
        raise RegistryError(str(file), "header", missing[0], None,
                            f"column missing (the first row must name {', '.join(expected)})")
    if unknown:
        raise RegistryError(str(file), "header", unknown[0], None,
                            f"not a column of this file (its columns: {', '.join(expected)})")


def _check_text(folder: Path, frames: dict[str, pd.DataFrame]):
    """Every text cell of the registry (read in NFC by either reader) within the text rules
    (``twindata.contract.text``): each one that breaks them, one line each."""
    prose = {n for t in schema.published_tables() for n, f in schema.fields(t).items()
             if f.get("twindata:text") == "prose"}
    for table, frame in frames.items():
        for column in frame.columns:
            for i, value in enumerate(frame[column].tolist()):
                why = problem(value, column in prose) if isinstance(value, str) else None
                if why:
                    yield RegistryError(str(folder / f"{table}.csv"), f"row {i + 2}", column, quoted(value), why)


MAX_METADATA_TEXT = 10_000  # characters of one text of registry.json (a description is a paragraph or two)
_FIELD_RULES = {"pattern": "not of the form the field takes (an http(s) URL without spaces, quotes or <>{}|\\^`; "
                           "an e-mail address; a DOI 10.NNNN/…; a key or number as its description says)",
                "type": "not of the type the field takes (see schemas/registry.json)", "minLength": "must not be empty"}


def _strings(node, path: str = ""):
    """Every text in a JSON value, with its path (title, contact.url, licenses[0].name)."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _strings(v, f"{path}[{i}]")


def _read_metadata(file: Path) -> dict:
    metadata = read_json(file, "registry.json (name, title, city_ids and licenses of the package)")
    validator = jsonschema.Draft202012Validator(schema.registry_metadata_schema())
    error = next(iter(sorted(validator.iter_errors(metadata), key=lambda e: list(e.absolute_path))), None)
    if error is not None:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
        field = path or (error.message.split("'")[1] if error.validator == "required" else None)
        value = None if error.validator == "required" else error.instance
        message = "required and missing" if error.validator == "required" else error.message
        if error.validator == "anyOf" and not error.absolute_path:  # the package's own anyOf: homepage or contact
            field, value, message = "contact", None, ("required where homepage is not given: portals name a contact "
                                                      "point with a URL or e-mail")
        elif error.validator in ("pattern", "type", "minLength"):
            value, message = error.instance, _FIELD_RULES.get(error.validator, error.message)
        raise RegistryError(str(file), "package", field, quoted(short(value)) if isinstance(value, str) else value,
                            message)
    for path, value in _strings(metadata):
        why = problem(value, prose=path.endswith(("description", "description_de")))
        if why is None and len(value) > MAX_METADATA_TEXT:
            why = f"is {len(value):,} characters long; at most {MAX_METADATA_TEXT:,}"
        if why:
            raise RegistryError(str(file), "package", path, quoted(short(value)), why)
    for i, licence in enumerate(metadata["licenses"]):
        if licence.get("name") not in PACKAGE_LICENCES:
            raise RegistryError(str(file), "package", f"licenses[{i}].name", licence.get("name"),
                                f"a package is published under one of {', '.join(PACKAGE_LICENCES)} (their SPDX ids), "
                                "which portals know")
    if not PACKAGE_NAME.fullmatch(metadata["name"]):  # JSON Schema's '$' lets a trailing line break through
        raise RegistryError(str(file), "package", "name", metadata["name"],
                            "must be lower-case letters, digits, '.', '_' or '-', at most 100, starting with a letter "
                            "or digit")
    return metadata


def _read_fast(folder: Path, names: list[str], descriptors: dict) -> tuple[dict[str, pd.DataFrame] | None, list]:
    """The registry's files through the compiled checks: typed frames and every row problem (RegistryErrors, in
    file and row order); None where a file is not plain CSV (frictionless then reads it)."""
    compiled = {n: compile_schema(n, descriptors[n]) for n in names}
    texts = {n: read_text(folder / f"{n}.csv", compiled[n]) for n in names}
    if any(t is None for t in texts.values()):
        return None, []
    texts = {n: pa.table({c: nfc_column(t.column(c)) for c in t.column_names}) for n, t in texts.items()}
    checked = {}
    for n, text in texts.items():
        key = descriptors[n]["primaryKey"]
        records = [" / ".join(v) for v in zip(*(text.column(k).to_pylist() for k in key))] if text.num_rows else []
        checked[n] = check(compiled[n], text, records, typed=True)
    fk = foreign_key_errors(compiled, checked)
    problems = []
    for n in names:
        records = sorted(checked[n].errors + [e for e in fk if e.table == n], key=lambda e: e.row or 0)
        problems += [_registry_error(folder, _named(e, checked[n], descriptors[n])) for e in records]
    return {n: pd.DataFrame({f: checked[n].values[f] for f in compiled[n].names}, columns=compiled[n].names,
                            dtype=object) for n in names}, problems


def _named(e: RowError, checked, descriptor: dict) -> RowError:
    """A row error named by its record's key, as the registry's file gives it."""
    i = (e.row or 0) - 2
    key = [checked.values[k][i] if 0 <= i < checked.rows else None for k in descriptor["primaryKey"]]
    return e.named(" / ".join("" if v is None else str(v) for v in key) if any(v is not None for v in key) else None)


def _read_checked(folder: Path, resource, descriptors: dict, every: bool) -> tuple[pd.DataFrame, list]:
    """One pass over a registry file: its rows, typed, and the errors frictionless finds in them (header, cell,
    primary key and foreign key errors alike): the first, or each row's first where ``every``."""
    names = [f.name for f in resource.schema.fields]
    rows, problems = [], []
    try:
        with resource:
            if not resource.labels:
                return pd.DataFrame(columns=names, dtype=object), [RegistryError(
                    str(folder / resource.path), "file", None, None,
                    f"empty: the first row must name the columns ({', '.join(names)})")]
            for error in resource.header.errors:
                return pd.DataFrame(columns=names, dtype=object), [_first_error(folder, resource.name, error,
                                                                                descriptors)]
            for row in resource.row_stream:
                if row.errors:
                    problems.append(_first_error(folder, resource.name, row.errors[0], descriptors))
                    if not every:
                        break
                    continue
                rows.append([nfc(row[n]) for n in names])
    except Exception as exc:  # frictionless's own exception, for a file it cannot read
        if not hasattr(exc, "error"):
            raise
        problems.append(RegistryError(str(folder / (resource.path or "")), "file", None, None, exc.error.message))
    return pd.DataFrame(rows, columns=names, dtype=object), problems


def _first_error(folder: Path, table: str, error, descriptors: dict) -> RegistryError:
    e = row_error(table, error)
    header = [f["name"] for f in descriptors[e.table]["fields"]]
    key = [e.cells[header.index(k)] for k in descriptors[e.table]["primaryKey"] if header.index(k) < len(e.cells)]
    return _registry_error(folder, e.named(" / ".join(str(k) for k in key) if any(key) else None))


def _registry_error(folder: Path, e: RowError) -> RegistryError:
    record = f"row {e.row}" if e.row else "file"
    if e.row and e.record:
        record += f" ({e.record})"
    return RegistryError(str(folder / f"{e.table}.csv"), record, e.field, e.value, _explain(e))


def _explain(e) -> str:
    kind, note = e.rule or "error", e.message or ""
    if "\n" in str(e.value or ""):
        return "the value runs over several lines: a quote (\") is probably not closed"
    if kind == "constraint-error" and "enum" in note:
        return f"not allowed ({note})"
    if kind == "primary-key":
        return f"duplicate record: {note}"
    if kind == "foreign-key":
        return f"foreign key: {note}"
    return f"{(e.title or kind).lower()}: {note}"


def _check_rules(folder: Path, metadata: dict, frames: dict[str, pd.DataFrame]) :
    """Rules a Table Schema cannot say, each problem one line: date order and agreement, no self-partnership, the
    registry's own cities (with their country), assigned country codes."""
    for i, (key, code) in enumerate(zip(frames["cities"]["city_id"], frames["cities"]["country_code"]), start=2):
        if code is not None and not is_assigned(code):
            yield RegistryError(str(folder / "cities.csv"), f"row {i} ({key})", "country_code", code,
                                "not an assigned ISO 3166-1 alpha-2 code (UK is GB; ZZ and XX are not countries)")
    file = str(folder / "partnerships.csv")
    phases, natural = {}, {}
    for i, p in enumerate(frames["partnerships"].to_dict("records"), start=2):
        record = f"row {i} ({p['phase_id']})"
        yield from _check_dates(file, record, p)
        if p["status"] == "ended" and p["end_year"] is None:
            yield RegistryError(file, record, "end_year", None, "required when status is 'ended'")
        if p["status"] not in (None, "ended") and p["end_year"] is not None:
            yield RegistryError(file, record, "status", p["status"], f"but the phase ended in {p['end_year']}")
        since = p["status_since_year"]
        if since is not None and ((p["start_year"] is not None and since < p["start_year"]) or (p["end_year"] is not None and since > p["end_year"])):
            yield RegistryError(file, record, "status_since_year", since, "lies outside the phase's years")
        same = (p["city_id"], p["partner_city_id"], p["type"], p["start_year"])
        if same in natural:
            yield RegistryError(file, record, "start_year", p["start_year"], "duplicate record: the same cities, type "
                                f"and start year as {natural[same]}; one phase is one row")
        natural[same] = f"row {i} ({p['phase_id']})"
        phases[p["phase_id"]] = (p["city_id"], p["partner_city_id"])
    file = str(folder / "claims.csv")
    for i, c in enumerate(frames["claims"].to_dict("records"), start=2):
        record = f"row {i} ({c['claim_id']})"
        yield from _check_dates(file, record, c)
        if c["phase_id"] in phases and c["stated_by"] not in phases[c["phase_id"]]:
            yield RegistryError(file, record, "stated_by", c["stated_by"], "must be one of the two cities of its phase "
                                f"{c['phase_id']} ({' / '.join(phases[c['phase_id']])})")
    known = dict(zip(frames["cities"]["city_id"], frames["cities"]["country_code"]))
    for city_id in metadata["city_ids"]:
        if city_id not in known:
            yield RegistryError(str(folder / "registry.json"), "package", "city_ids", city_id, "not a city_id in cities.csv")
        elif known[city_id] is None:
            yield RegistryError(str(folder / "cities.csv"), f"row {list(known).index(city_id) + 2} ({city_id})",
                                "country_code", None, "required for the registry's own city (registry.json city_ids)")
    qids = frames["cities"]["wikidata_qid"].dropna()
    for i in qids[qids.duplicated()].index:
        yield RegistryError(str(folder / "cities.csv"), f"row {int(i) + 2} ({frames['cities']['city_id'][i]})",
                            "wikidata_qid", qids[i], "already used by another city")


def _check_dates(file: str, record: str, p: dict):
    if p.get("city_id") is not None and p["city_id"] == p["partner_city_id"]:
        yield RegistryError(file, record, "partner_city_id", p["partner_city_id"], "a city cannot partner itself")
    for edge in ("start", "end"):
        year, day = p[f"{edge}_year"], p[f"{edge}_date"]
        if day is not None and year is not None and day.year != year:
            yield RegistryError(file, record, f"{edge}_date", day.isoformat(), f"lies outside {edge}_year {year}")
        if day is not None and year is None:
            yield RegistryError(file, record, f"{edge}_year", None, f"empty although {edge}_date is {day.isoformat()}")
    if p["end_year"] is not None and p["start_year"] is not None and p["end_year"] < p["start_year"]:
        yield RegistryError(file, record, "end_year", p["end_year"], f"ends before it starts ({p['start_year']})")
    if p["start_date"] and p["end_date"] and p["end_date"] < p["start_date"]:
        yield RegistryError(file, record, "end_date", p["end_date"].isoformat(),
                            f"ends before it starts ({p['start_date'].isoformat()})")


def registry_digest(folder: Path) -> str:
    """sha256 over the registry's files in a fixed order: what a release records as the registry it was made from,
    and what tells that the registry changed. Missing files count as empty."""
    return sha256_files(folder, ["registry.json", *(f"{t}.csv" for t in TABLES)])


def registries_digest(folders: list[Path]) -> str:
    """One registry's digest (``registry_digest``), or of several: what changes when any of them changes, or when one
    is added or removed."""
    digests = [registry_digest(f) for f in folders]
    return digests[0] if len(digests) == 1 else hashlib.sha256("".join(digests).encode()).hexdigest()


def claims(registry: Registry) -> list[Claim]:
    """The registry's claims: each row of partnerships.csv (the city's own statement of a phase) and of claims.csv
    (a further statement of a page the registry cites), cities named by the registry's own keys."""
    name, out = registry.name, []
    phases = {}
    for p in registry.partnerships.to_dict("records"):
        phases[p["phase_id"]] = p
        out.append(Claim(
            phase_assertion_id(name, p["phase_id"]), "registry", name, (name, p["city_id"]), (name, p["partner_city_id"]),
            p["type"], p["status"], p["status_since_year"], p["start_year"], p["start_date"], p["end_year"],
            p["end_date"], (name, p["phase_id"]), True, source_url=p["source_url"], note=p["note"]))
    for c in registry.table("claims").to_dict("records"):
        p = phases[c["phase_id"]]
        partner = p["partner_city_id"] if c["stated_by"] == p["city_id"] else p["city_id"]
        out.append(Claim(
            f"{name}:claim:{c['claim_id']}", "registry", name, (name, c["stated_by"]), (name, partner), c["type"],
            c["status"], None, c["start_year"], c["start_date"], c["end_year"], c["end_date"], (name, c["phase_id"]),
            False, source_url=c["source_url"], note=c["note"]))
    return out


def phase_assertion_id(registry: str, phase_id: str) -> str:
    """The assertion id of a registry's row of partnerships.csv: the registry's own key of the row, never its values."""
    return f"{registry}:phase:{phase_id}"


@dataclass(frozen=True)
class RegistriesSource:
    """Every city's own records the world package takes: the bundled registries and those the settings name, each
    validated; two folders of one package name are refused (one line naming both)."""

    name: str = "registries"
    needs: tuple[str, ...] = ()
    description: str = ("Every registry: the folders under registry/ and those named with --registry, each validated "
                        "against the registry schemas.")

    def read(self, context: Context, given: Mapping[str, Any]) -> list[Registry]:
        registries, where = [], {}
        for path in context.settings.world_registry_paths():
            registry = read_registry(path)
            if registry.name in where:
                raise RegistryError(str(path / "registry.json"), "package", "name", registry.name,
                                    f"already the name of the registry in {where[registry.name]}")
            where[registry.name] = path
            registries.append(registry)
        return registries

    def summary(self, result: list[Registry]) -> dict:
        return {"registries": len(result), **{r.name: str(r.path) for r in result},
                "partnerships_rows": sum(len(r.partnerships) for r in result)}


@dataclass(frozen=True)
class RegistrySource:
    """A city's own records: the registry folder the settings name (Dortmund's bundled one by default)."""

    name: str = "registry"
    needs: tuple[str, ...] = ()
    description: str = "The city's own partnership records, validated against the registry schemas."

    def read(self, context: Context, given: Mapping[str, Any]) -> Registry:
        return read_registry(context.settings.registry_path())

    def summary(self, result: Registry) -> dict:
        return {"registry_folder": str(result.path), "sha256": result.sha256,
                **{f"{t}_rows": len(df) for t, df in result.tables.items()}}
