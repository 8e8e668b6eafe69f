"""A new city registry: the folder ``twindata registry new`` writes, which ``twindata registry check`` then passes.

The scaffold holds the registry's own city (key, name, country and, where given, its Wikidata QID), the files'
headers from the registry schemas, and a registry.json a city's data team completes; nothing else is filled in.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from twindata.contract import identity, schema
from twindata.contract.countries import is_assigned
from twindata.contract.errors import TwindataError
from twindata.contract.text import problem


def new_registry(folder: Path, key: str, name: str, country: str, homepage: str, qid: str | None = None) -> Path:
    """Write the scaffold of registry ``<key>-twinning`` for city ``name``, whose partnerships page is ``homepage``,
    into ``folder`` (new or empty)."""
    tables = schema.registry_tables()
    key_pattern = next(f for f in tables["cities"]["fields"] if f["name"] == "city_id")["constraints"]["pattern"]
    if not re.fullmatch(key_pattern, key or ""):  # the registry's own keys, as registry.json defines them
        raise TwindataError(f"registry key {key!r}: lower-case letters and digits, words joined by '-' (hamburg)")
    why = problem(name, False) if name else "empty"
    if why:
        raise TwindataError(f"--name {name!r}: {why}")
    if not is_assigned(country or ""):
        raise TwindataError(f"--country {country!r}: not an assigned ISO 3166-1 alpha-2 code (UK is GB)")
    url = schema.registry_metadata_schema()["properties"]["homepage"]["pattern"]
    if not re.fullmatch(url, homepage or "") or problem(homepage, False):
        raise TwindataError(f"--homepage {homepage!r}: not an http(s) URL without spaces, quotes or <>{{}}|\\^`")
    if qid is not None and not identity.QID.fullmatch(qid):
        raise TwindataError(f"--qid {qid!r}: not a Wikidata item id (Q followed by digits)")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise TwindataError(f"{folder}: exists and is not an empty folder; a scaffold never overwrites")
    folder.mkdir(parents=True, exist_ok=True)
    city = f"{country.lower()}-{key}"
    rows = {"cities": [{"city_id": city, "name": name, "country_code": country, "wikidata_qid": qid or ""}]}
    for table, descriptor in tables.items():
        with open(folder / f"{table}.csv", "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, [field["name"] for field in descriptor["fields"]], lineterminator="\r\n")
            writer.writeheader()
            writer.writerows(rows.get(table, []))
    metadata = {"name": f"{key}-twinning", "title": f"Town twinning of {name}", "homepage": homepage,
                "description": f"{name}'s partnerships with other cities, as the city's own pages state them.",
                "city_ids": [city],
                "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
                              "title": "Creative Commons Attribution 4.0"}],
                "sources": []}
    (folder / "registry.json").write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return folder
