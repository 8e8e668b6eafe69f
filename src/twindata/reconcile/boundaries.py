"""Whether a city's coordinates lie in the country its row gives, checked against the bundled country boundaries
(``snapshots/boundaries/``: Natural Earth 1:10m admin-0, public domain; built by ``tools/build_boundaries.py``).

A point agrees with its country where it lies in (or within ``TOLERANCE`` of) a polygon of that country, of one of
its dependencies (Guam or Puerto Rico for US, Åland for FI, New Caledonia for FR: Wikidata gives a territory's
towns their sovereign's country), of its sovereign, or of an area whose status is disputed and which either claimant
may be given (Kosovo, Northern Cyprus, Western Sahara, Crimea, which Natural Earth 4.1 draws within Russia). A point
in no country's land agrees with a country within ``OFFSHORE`` (the simplified set leaves out islets). Anything else
is a contradiction, for the caller to report; nothing here changes a row.
"""

from __future__ import annotations

import json
import re
from functools import cache

import numpy as np
import pyarrow.parquet as pq
import shapely

from twindata.contract.bundled import bundled
from twindata.contract.errors import TwindataError
from twindata.contract.files import sha256_file

TOLERANCE = 0.05  # degrees, about 5 km north-south: a coastal town's point a little out at sea still agrees
OFFSHORE = 0.25  # degrees: a point in no country's land agrees with a country this near (islets the set leaves out)
SOVEREIGN = {  # ISO 3166-1 codes of dependencies and the sovereign Wikidata often gives their towns instead
    **dict.fromkeys(("PR", "VI", "GU", "AS", "MP", "UM"), "US"),
    **dict.fromkeys(("NC", "PF", "PM", "WF", "BL", "MF", "TF", "GF", "RE", "GP", "MQ", "YT"), "FR"),
    **dict.fromkeys(("IM", "JE", "GG", "GI", "FK", "BM", "KY", "VG", "TC", "MS", "AI", "SH", "PN", "IO", "GS"), "GB"),
    **dict.fromkeys(("AW", "CW", "SX", "BQ"), "NL"), **dict.fromkeys(("GL", "FO"), "DK"),
    **dict.fromkeys(("CX", "CC", "NF", "HM"), "AU"), **dict.fromkeys(("CK", "NU", "TK"), "NZ"),
    **dict.fromkeys(("SJ", "BV"), "NO"), **dict.fromkeys(("HK", "MO"), "CN"), "AX": "FI",
}
UNCODED = {  # Natural Earth's features without an ISO code, and the codes a place in them may be given
    "Kosovo": {"XK", "RS"}, "N. Cyprus": {"CY"}, "Cyprus U.N. Buffer Zone": {"CY"}, "Dhekelia": {"CY", "GB"},
    "Akrotiri": {"CY", "GB"}, "Somaliland": {"SO"}, "Siachen Glacier": {"IN", "PK"}, "Baikonur": {"KZ", "RU"},
    "USNB Guantanamo Bay": {"CU", "US"}, "Indian Ocean Ter.": {"AU"}, "Coral Sea Is.": {"AU"},
    "Clipperton I.": {"FR"}, "Spratly Is.": {"CN", "TW", "VN", "PH", "MY", "BN"},
    "Scarborough Reef": {"CN", "TW", "PH"}, "Bajo Nuevo Bank": {"CO", "JM", "HN", "NI"},
    "Serranilla Bank": {"CO", "JM", "HN", "NI"},
}
DISPUTED = {"EH": {"MA"}, "MA": {"EH"}}  # Western Sahara: either claimant's code agrees
CRIMEA = shapely.box(32.4, 44.3, 36.7, 46.3)  # within Russia's polygon here, UA agrees too


class Boundaries:
    """The bundled polygons, each with the country codes a point inside it may carry."""

    def __init__(self, folder=None):
        folder = folder or bundled("snapshots") / "boundaries"
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        path = folder / "countries-10m.parquet"
        if sha256_file(path) != manifest["sha256"]:
            raise TwindataError(f"{path}: checksum does not match its manifest.json; reinstall twindata")
        table = pq.read_table(path)
        self.names = np.array(table.column("name").to_pylist(), dtype=object)
        self.accepts = [_accepted(code, name) for code, name in zip(table.column("code").to_pylist(), self.names)]
        self.tree = shapely.STRtree(shapely.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False)))

    def contradictions(self, codes, latitudes, longitudes) -> dict[int, str]:
        """The positions whose point disagrees with their code, each with where the point lies (the polygons it is
        in, or none). Rows without a code or a point are not checked."""
        codes = list(codes)
        todo = [i for i, (c, y, x) in enumerate(zip(codes, latitudes, longitudes)) if isinstance(c, str) and _number(y) and _number(x)]
        points = shapely.points([float(longitudes[i]) for i in todo], [float(latitudes[i]) for i in todo])
        inside, agree = self._agree(points, [codes[i] for i in todo], "intersects")
        rest = [k for k in range(len(todo)) if k not in agree]
        _, near = self._agree(points[rest], [codes[todo[k]] for k in rest], "dwithin", TOLERANCE)
        rest = [k for j, k in enumerate(rest) if j not in near]
        sea = [k for k in rest if k not in inside]
        _, offshore = self._agree(points[sea], [codes[todo[k]] for k in sea], "dwithin", OFFSHORE)
        offshore = {sea[j] for j in offshore}
        where = {}
        for k in (k for k in rest if k not in offshore):
            lies_in = sorted(set(self.names[inside.get(k, [])]))
            where[todo[k]] = f"in {' / '.join(lies_in)}" if lies_in else "in no country's land"
        return where

    def _agree(self, points, codes, predicate, distance=None) -> tuple[dict[int, list[int]], set[int]]:
        """Which points lie in (or within ``distance`` of) a polygon their code agrees with, and the polygons each
        point lies in or near."""
        found, polygons = self.tree.query(points, predicate=predicate, distance=distance)
        inside, agree = {}, set()
        for k, g in zip(found.tolist(), polygons.tolist()):
            inside.setdefault(k, []).append(g)
            code = codes[k]
            if code in self.accepts[g] or (code == "UA" and "RU" in self.accepts[g]
                                            and CRIMEA.contains(shapely.points(*points[k].coords[0]))):
                agree.add(k)
        return inside, agree


def _accepted(code: str | None, name: str) -> frozenset[str]:
    if code is None:
        return frozenset(UNCODED.get(name, ()))
    dependencies = {t for t, s in SOVEREIGN.items() if s == code}
    return frozenset({code, *DISPUTED.get(code, ()), *dependencies} | ({SOVEREIGN[code]} if code in SOVEREIGN else set()))


def _number(v) -> bool:
    return isinstance(v, int | float) and v == v


@cache
def bundled_boundaries() -> Boundaries:
    return Boundaries()


@cache
def map_outline(folder=None) -> str:
    """The countries' outlines for a page's map: one SVG path (``outline.svgpath``, simplified further), checked
    against its checksum in the manifest and holding nothing but path commands and numbers."""
    folder = folder or bundled("snapshots") / "boundaries"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    path = folder / manifest["outline"]["file"]
    if sha256_file(path) != manifest["outline"]["sha256"]:
        raise TwindataError(f"{path}: checksum does not match its manifest.json; reinstall twindata")
    outline = path.read_text(encoding="ascii").strip()
    if not re.fullmatch(r"[MLZ0-9., -]*", outline):
        raise TwindataError(f"{path}: holds more than SVG path commands and numbers; reinstall twindata")
    return outline
