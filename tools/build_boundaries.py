"""Build the bundled country boundaries (``snapshots/boundaries/``) that the world package checks coordinates
against: Natural Earth's 1:10m admin-0 countries (public domain), as redistributed in TopoJSON by the npm package
world-atlas 2.0.2 (ISC), decoded into one row per polygon with the country's ISO 3166-1 alpha-2 code.

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python tools/build_boundaries.py package/countries-10m.json [--out snapshots/boundaries]

What the builder does, written again in the folder's manifest.json:
- decodes the quantized, delta-encoded arcs (TopoJSON 1.0) into longitude/latitude rings;
- cuts rings that cross the antimeridian (world-atlas keeps them whole, for spherical rendering) into their two
  halves, and leaves out the one ring that encircles the pole (Antarctica; no twinned city lies there);
- simplifies each polygon by 0.005° (about 500 m; the source is quantized to 0.0036° already);
- gives each country its alpha-2 code from its ISO 3166-1 numeric id (pycountry); the 16 features without an id
  (Kosovo, N. Cyprus, Somaliland, the sovereign base areas …) keep their name and no code;
- writes the outline the pages draw their maps on (``outline.svgpath``): every country simplified by 0.4°, as one
  SVG path in an equirectangular frame (x = longitude + 180, y = 90 - latitude), to one decimal.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pycountry
import shapely

ORIGIN = {"package": "world-atlas", "version": "2.0.2", "file": "countries-10m.json",
          "tarball": "https://registry.npmjs.org/world-atlas/-/world-atlas-2.0.2.tgz",
          "data": "Natural Earth 1:10m Cultural Vectors, Admin 0 – Countries, version 4.1.0",
          "licence": "Natural Earth: public domain (https://www.naturalearthdata.com/about/terms-of-use/); "
                     "world-atlas: ISC, Copyright 2013-2019 Michael Bostock"}
SIMPLIFY = 0.005
OUTLINE = 0.4  # degrees: the maps of the pages
_WORLD = shapely.box(-180, -90, 180, 90)


def rings(topology: dict) -> list[np.ndarray]:
    """The arcs of a quantized topology as longitude/latitude arrays."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        q = np.cumsum(np.asarray(arc, dtype=np.int64), axis=0)
        arcs.append(np.column_stack((q[:, 0] * sx + tx, q[:, 1] * sy + ty)))
    return arcs


def ring(arcs: list[np.ndarray], indexes: list[int]) -> np.ndarray:
    """One ring from its arcs (a negative index is the arc reversed), its longitudes made continuous across the
    antimeridian (179.9 → 180.1, not → -179.9)."""
    parts = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in indexes]
    coords = np.concatenate([parts[0]] + [p[1:] for p in parts[1:]])
    step = (np.diff(coords[:, 0]) + 180) % 360 - 180
    coords[1:, 0] = coords[0, 0] + np.cumsum(step)
    return coords


def country_geometry(arcs: list[np.ndarray], feature: dict) -> shapely.Geometry:
    polygons = []
    for polygon in feature["arcs"] if feature["type"] == "MultiPolygon" else [feature["arcs"]]:
        shell, *holes = (ring(arcs, r) for r in polygon)
        if len(shell) < 4 or abs(shell[-1, 0] - shell[0, 0]) > 1:  # a sliver, or the ring round the pole
            continue
        polygons.append(shapely.Polygon(shell, [h for h in holes if len(h) >= 4]))
    geometry = shapely.make_valid(shapely.MultiPolygon(polygons))
    pieces = [shapely.intersection(geometry, _WORLD)]
    for shift in (-360, 360):  # the part beyond ±180°, brought back onto the map
        beyond = shapely.intersection(geometry, shapely.box(-180 - shift, -90, 180 - shift, 90))
        if not beyond.is_empty:
            pieces.append(shapely.transform(beyond, lambda c, s=shift: c + [s, 0]))
    return shapely.union_all(pieces)


def build(source: Path, out: Path) -> dict:
    topology = json.loads(source.read_text(encoding="utf-8"))
    arcs = rings(topology)
    codes, names, geometries = [], [], []
    for feature in topology["objects"]["countries"]["geometries"]:
        iso = pycountry.countries.get(numeric=feature["id"]) if feature.get("id") else None
        parts = shapely.get_parts(shapely.simplify(country_geometry(arcs, feature), SIMPLIFY))
        for part in parts[~shapely.is_empty(parts)]:
            codes.append(iso.alpha_2 if iso else None)
            names.append(feature["properties"]["name"])
            geometries.append(shapely.to_wkb(part))
    table = pa.table({"code": pa.array(codes, pa.string()), "name": names, "geometry": pa.array(geometries, pa.binary())})
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out / "countries-10m.parquet", compression="zstd")
    manifest = {"source": {**ORIGIN, "sha256": hashlib.sha256(source.read_bytes()).hexdigest()},
                "file": "countries-10m.parquet", "polygons": table.num_rows,
                "countries": len(set(zip(codes, names))), "simplified_degrees": SIMPLIFY,
                "sha256": hashlib.sha256((out / "countries-10m.parquet").read_bytes()).hexdigest()}
    (out / "outline.svgpath").write_text(outline(shapely.from_wkb(geometries)) + "\n", encoding="utf-8")
    manifest["outline"] = {"file": "outline.svgpath", "simplified_degrees": OUTLINE,
                           "sha256": hashlib.sha256((out / "outline.svgpath").read_bytes()).hexdigest()}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def outline(polygons) -> str:
    """The polygons as one SVG path (equirectangular, x = lon + 180, y = 90 - lat), the specks left out."""
    parts = []
    for polygon in shapely.simplify(polygons, OUTLINE):
        if polygon.is_empty or polygon.area < 0.5:
            continue
        ring = shapely.get_coordinates(polygon.exterior)
        parts.append("M" + "L".join(f"{x + 180:.1f} {90 - y:.1f}" for x, y in ring[:-1]) + "Z")
    return "".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="world-atlas's countries-10m.json")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "snapshots" / "boundaries")
    print(json.dumps(build(**vars(parser.parse_args())), indent=2))


if __name__ == "__main__":
    main()
