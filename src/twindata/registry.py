"""Reading the city's registry: the human-edited CSV files and registry.json, validated against the registry schemas.

The registry is trusted input kept by people, so any error stops the run with one line naming file, record, field
and value (``RegistryError``). Nothing here talks to the network or cleans data from outside sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from frictionless import Package, Resource, Schema

from twindata import schema
from twindata.errors import RegistryError, TwindataError, report_errors
from twindata.fsutil import read_json, sha256_files

TABLES = ("cities", "partnerships", "images")


@dataclass(frozen=True)
class Registry:
    """A validated registry: its folder, package metadata and one DataFrame per table (typed values, None for empty)."""

    path: Path
    metadata: dict
    cities: pd.DataFrame
    partnerships: pd.DataFrame
    images: pd.DataFrame
    sha256: str

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def own_cities(self) -> list[tuple[str, str | None]]:
        """(city_id, Wikidata QID or None) of the cities whose registry this is (registry.json's city_ids)."""
        qids = dict(zip(self.cities["city_id"], self.cities["wikidata_qid"]))
        return [(city_id, qids[city_id]) for city_id in self.metadata["city_ids"]]


def read_registry(path: str | Path) -> Registry:
    """Read and validate the registry in folder ``path``; raise ``RegistryError`` on the first problem."""
    folder = Path(path)
    if not folder.is_dir():
        raise TwindataError(f"{folder}: registry folder not found")
    metadata = _read_metadata(folder / "registry.json")
    descriptors = schema.registry_tables()
    resources = []
    for name in TABLES:
        file = folder / f"{name}.csv"
        if not file.is_file():
            raise RegistryError(str(file), "file", None, None, "missing (a registry holds cities.csv, partnerships.csv, images.csv)")
        resources.append(Resource(path=f"{name}.csv", name=name, schema=Schema.from_descriptor(descriptors[name])))
    package = Package(resources=resources, basepath=str(folder))
    report = package.validate(limit_errors=1)
    if not report.valid:
        raise _first_error(folder, report, descriptors)
    frames = {r.name: _frame(r) for r in package.resources}
    _check_rules(folder, metadata, frames)
    return Registry(folder, metadata, frames["cities"], frames["partnerships"], frames["images"], registry_digest(folder))


def _read_metadata(file: Path) -> dict:
    metadata = read_json(file, "registry.json (name, title, city_ids and licenses of the package)")
    if not isinstance(metadata, dict):
        raise RegistryError(str(file), "package", None, None, "must be a JSON object")
    rules = schema.registry_metadata_rules()
    for key in rules["required"]:
        if not metadata.get(key):
            raise RegistryError(str(file), "package", key, None, "required and missing")
    for key, kind, words in (("name", str, "a string"), ("title", str, "a string"),
                             ("city_ids", list, "a list of city ids"), ("licenses", list, "a list of licences")):
        if not isinstance(metadata[key], kind):
            raise RegistryError(str(file), "package", key, metadata[key], f"must be {words}")
    if not re.match(rules["namePattern"], metadata["name"]):
        raise RegistryError(str(file), "package", "name", metadata["name"], f"does not match {rules['namePattern']}")
    for i, licence in enumerate(metadata["licenses"]):
        if not isinstance(licence, dict) or not (licence.get("name") or licence.get("path")):
            raise RegistryError(str(file), f"licenses[{i}]", "name", licence, "a licence needs a name or a path")
    return metadata


def _first_error(folder: Path, report, descriptors: dict) -> RegistryError:
    e = report_errors(report)[0]
    header = [f["name"] for f in descriptors[e["table"]]["fields"]]
    key = [e["cells"][header.index(k)] for k in descriptors[e["table"]]["primaryKey"] if header.index(k) < len(e["cells"])]
    record = f"row {e['row']}" if e["row"] else "file"
    if e["row"] and any(key):
        record += f" ({' / '.join(str(k) for k in key)})"
    return RegistryError(str(folder / f"{e['table']}.csv"), record, e["field"], e["value"], _explain(e))


def _explain(e: dict) -> str:
    kind, note = e["rule"] or "error", e["message"] or ""
    if "\n" in str(e["value"] or ""):
        return "the value runs over several lines: a quote (\") is probably not closed"
    if kind == "constraint-error" and "enum" in note:
        return f"not allowed ({note})"
    if kind == "primary-key":
        return f"duplicate record: {note}"
    return f"{(e['title'] or kind).lower()}: {note}"


def _frame(resource: Resource) -> pd.DataFrame:
    names = [f.name for f in resource.schema.fields]
    rows = [[row[n] for n in names] for row in resource.read_rows()]
    return pd.DataFrame(rows, columns=names, dtype=object)


def _check_rules(folder: Path, metadata: dict, frames: dict[str, pd.DataFrame]) -> None:
    """Rules a Table Schema cannot say: date order and agreement, no self-partnership, the registry's own cities."""
    file = str(folder / "partnerships.csv")
    for i, p in enumerate(frames["partnerships"].to_dict("records"), start=2):
        record = f"row {i} ({p['city_id']} / {p['partner_city_id']} / {p['type']})"
        if p["city_id"] == p["partner_city_id"]:
            raise RegistryError(file, record, "partner_city_id", p["partner_city_id"], "a city cannot partner itself")
        for edge in ("start", "end"):
            year, date = p[f"{edge}_year"], p[f"{edge}_date"]
            if date is not None and year is not None and date.year != year:
                raise RegistryError(file, record, f"{edge}_date", date.isoformat(), f"lies outside {edge}_year {year}")
            if date is not None and year is None:
                raise RegistryError(file, record, f"{edge}_year", None, f"empty although {edge}_date is {date.isoformat()}")
        if p["end_year"] is not None and p["end_year"] < p["start_year"]:
            raise RegistryError(file, record, "end_year", p["end_year"], f"ends before it starts ({p['start_year']})")
        if p["start_date"] and p["end_date"] and p["end_date"] < p["start_date"]:
            raise RegistryError(file, record, "end_date", p["end_date"].isoformat(),
                                f"ends before it starts ({p['start_date'].isoformat()})")
        if p["status"] == "ended" and p["end_year"] is None:
            raise RegistryError(file, record, "end_year", None, "required when status is 'ended'")
        if p["status"] != "ended" and p["end_year"] is not None:
            raise RegistryError(file, record, "status", p["status"], f"but the phase ended in {p['end_year']}")
    known = set(frames["cities"]["city_id"])
    for city_id in metadata["city_ids"]:
        if not isinstance(city_id, str) or city_id not in known:
            raise RegistryError(str(folder / "registry.json"), "package", "city_ids", city_id, "not a city_id in cities.csv")
    qids = frames["cities"]["wikidata_qid"].dropna()
    duplicated = qids[qids.duplicated()]
    if len(duplicated):
        row = int(duplicated.index[0]) + 2
        raise RegistryError(str(folder / "cities.csv"), f"row {row} ({frames['cities']['city_id'][duplicated.index[0]]})",
                            "wikidata_qid", duplicated.iloc[0], "already used by another city")


def registry_digest(folder: Path) -> str:
    """sha256 over the registry's files in a fixed order: what a release records as the registry it was made from,
    and what tells that the registry changed. Missing files count as empty."""
    return sha256_files(folder, ["registry.json", *(f"{t}.csv" for t in TABLES)])
