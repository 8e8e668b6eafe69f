"""Finding what a reader names, on this machine: a release (by its folder, its package's folder, a releases folder
holding packages, or a version number under one) and a city (by its id, its QID or its name). Every name that fits
nothing, or more than one thing, is one line saying what there is to choose from. Local paths only; reading a
release over http(s) is ``twindata.read.loader``'s.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from twindata.contract.errors import TwindataError

if TYPE_CHECKING:
    import pandas as pd

CANDIDATES = 12  # an ambiguous name lists at most this many cities


def packages_in(folder: Path) -> list[str]:
    """The packages of a releases folder: its subfolders with a versions.json."""
    return sorted(p.parent.name for p in Path(folder).glob("*/versions.json")) if Path(folder).is_dir() else []


def pick_package(folder: Path, package: str | None, hint: str = "--package") -> Path:
    """The package folder of a releases folder: ``package``'s (its name, or its name without ``-twinning``), else
    the only one there is."""
    found = packages_in(folder)
    if package is not None:
        named = [p for p in found if package in (p, p.removesuffix("-twinning"))]
        if not named:
            raise TwindataError(f"{folder}: no package {package!r} (packages: {', '.join(found) or 'none'})")
        return Path(folder) / named[0]
    if len(found) != 1:
        if not found:
            raise TwindataError(f"{folder}: no package here (no <package>/versions.json)")
        raise TwindataError(f"{folder}: {len(found)} packages ({', '.join(found)}); name one with {hint}")
    return Path(folder) / found[0]


def find_release(spec: str | Path | None, out: Path, package: str | None = None) -> Path:
    """The release folder ``spec`` names: a release folder; a package folder or a releases folder (its latest
    release; ``package`` picks among several packages); a version number (x.y.z) of a package under ``out``; or,
    with no ``spec``, the latest release under ``out``."""
    from twindata.publish.staging import read_versions
    from twindata.publish.versioning import is_version

    path = Path(spec) if spec is not None else Path(out)
    if spec is not None and (path / "datapackage.json").is_file():
        return path
    if spec is not None and not path.exists() and is_version(str(spec)):
        having = [p for p in packages_in(out) if (Path(out) / p / str(spec) / "datapackage.json").is_file()]
        if package is not None:
            having = [p for p in having if package in (p, p.removesuffix("-twinning"))]
        if not having:
            raise TwindataError(f"{spec}: not a release folder, and no package in {out} has version {spec}")
        if len(having) > 1:
            raise TwindataError(f"{spec}: {len(having)} packages in {out} have version {spec} ({', '.join(having)}); "
                                "name one with --package")
        return Path(out) / having[0] / str(spec)
    if not path.is_dir():
        raise TwindataError(f"{path}: neither a release folder, a package folder, a releases folder nor a version "
                            "number (x.y.z)")
    folder = path if (path / "versions.json").is_file() else pick_package(path, package)
    versions = read_versions(folder)
    if not versions.get("latest"):
        raise TwindataError(f"{folder}: no published version")
    return folder / versions["latest"]


def _folded(text) -> str:
    return unicodedata.normalize("NFC", str(text)).casefold().strip() if isinstance(text, str) else ""


def find_city(cities: pd.DataFrame, query: str, where: Path) -> str:
    """The city_id ``query`` names in a release's cities: its id or QID exactly, else the one city whose name, local
    name or Wikidata label it is (case and Unicode form aside)."""
    for column in ("city_id", "wikidata_qid"):
        if column in cities.columns and (cities[column] == query).any():
            return str(cities.loc[cities[column] == query, "city_id"].iloc[0])
    wanted = _folded(query)
    names = [c for c in ("name", "local_name", "wikidata_label") if c in cities.columns]
    hits = cities[cities[names].map(_folded).eq(wanted).any(axis=1)] if wanted else cities.iloc[0:0]
    if len(hits) == 1:
        return str(hits["city_id"].iloc[0])
    if hits.empty:
        raise TwindataError(f"{where}: no city named {query!r} (give its name as the release spells it, or its "
                            "city_id or QID)")
    listed = "; ".join(f"{r['name']} ({r['country_code'] if isinstance(r['country_code'], str) else '?'}, "
                       f"{r['city_id']})" for r in hits.head(CANDIDATES).to_dict("records"))
    more = f" and {len(hits) - CANDIDATES} more" if len(hits) > CANDIDATES else ""
    raise TwindataError(f"{where}: {len(hits)} cities are named {query!r}: {listed}{more}; give the city_id")
