"""Views: files a release derives from its gated tables for readers who would otherwise join them first: the cities
as GeoParquet 1.1 (a map without a join) and the network as GraphML (a graph without a join). A view is a resource
of type ``file`` in datapackage.json with its sha256, in SHA256SUMS, the zip and the DCAT distributions, like a
table's file; its content follows from the tables, so it never makes a release new by itself. Which tables are
published, and in which formats, is ``twindata.publish.outputs``'; reading a view back is ``twindata.read``'s.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pyarrow as pa
import pyarrow.compute as pc

from twindata.contract import schema
from twindata.contract.tables import write_parquet

GEO = "geometry"
NODE = ("name", "local_name", "country_code", "wikidata_qid", "latitude", "longitude", "layers")  # a graph's attributes
EDGE = ("type", "phase", "status", "status_since_year", "start_year", "end_year", "confidence", "assertion_count",
        "layers")
GRAPHML_TYPES = {"string": "string", "integer": "long", "number": "double", "boolean": "boolean", "date": "string",
                 "array": "string"}


@dataclass(frozen=True)
class View:
    name: str  # the resource's name in datapackage.json
    path: str  # in the release
    format: str
    media_type: str  # IANA
    file_type: str  # the EU file-type authority's code, for DCAT-AP
    title: str
    description: str
    needs: tuple[str, ...]  # the tables it is made of

    def write(self, tables: dict[str, pa.Table], path: Path) -> None:
        WRITERS[self.name](tables, path)


def write_geoparquet(tables: dict[str, pa.Table], path: Path) -> None:
    """The cities table with a WKB point column (``geometry``, null where a city has no coordinates) and the
    GeoParquet 1.1 ``geo`` metadata: longitude/latitude on WGS 84 (OGC:CRS84, the default), the bounding box."""
    import shapely

    cities = tables["cities"]
    lon = cities.column("longitude").to_numpy(zero_copy_only=False)
    lat = cities.column("latitude").to_numpy(zero_copy_only=False)
    located = pc.and_(pc.is_valid(cities.column("longitude")), pc.is_valid(cities.column("latitude")))
    points = shapely.points(lon, lat)
    wkb = pa.array([w if ok else None for w, ok in zip(shapely.to_wkb(points, output_dimension=2, byte_order=1),
                                                       located.to_pylist())], pa.binary())
    where = [pc.min_max(cities.column(c).filter(located)) for c in ("longitude", "latitude")]
    bbox = [where[0]["min"].as_py(), where[1]["min"].as_py(), where[0]["max"].as_py(), where[1]["max"].as_py()]
    geo = {"version": "1.1.0", "primary_column": GEO,
           "columns": {GEO: {"encoding": "WKB", "geometry_types": ["Point"],
                             **({"bbox": bbox} if None not in bbox else {})}}}
    field = pa.field(GEO, pa.binary(), metadata={b"description": b"The city's point (WKB, longitude/latitude on WGS 84); "
                                                 b"null where it has no coordinates."})
    table = cities.append_column(field, wkb)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), b"geo": json.dumps(geo).encode()})
    write_parquet(table, path)


def write_graphml(tables: dict[str, pa.Table], path: Path) -> None:
    """The network as GraphML: a node per city (id city_id; attributes ``NODE``), an edge per partnership (id
    partnership_id; attributes ``EDGE``); a pair with several phases or kinds has parallel edges. A missing value is
    left out, as GraphML's defaults are."""
    node_fields = [schema.fields("cities")[n] for n in NODE]
    edge_fields = [schema.fields("partnerships")[n] for n in EDGE]
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/'
           'xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n']
    for target, fields in (("node", node_fields), ("edge", edge_fields)):
        for f in fields:  # a key's id is unique in the file (cities and partnerships both have layers)
            out.append(f'<key id="{target[0]}_{f["name"]}" for="{target}" attr.name={quoteattr(f["name"])} '
                       f'attr.type="{GRAPHML_TYPES.get(f["type"], "string")}"><desc>{escape(f.get("description", ""))}'
                       '</desc></key>\n')
    out.append('<graph id="twinning" edgedefault="undirected">\n')
    cities, partnerships = tables["cities"], tables["partnerships"]
    out += _elements("node", cities, node_fields, ("id", cities.column("city_id")))
    out += _elements("edge", partnerships, edge_fields, ("id", partnerships.column("partnership_id")),
                     ("source", partnerships.column("city_a_id")), ("target", partnerships.column("city_b_id")))
    out.append("</graph>\n</graphml>\n")
    path.write_text("".join(out), encoding="utf-8")


def _elements(tag: str, table: pa.Table, fields: list[dict], *identity: tuple[str, pa.ChunkedArray]) -> list[str]:
    """One element per row, built column by column in Arrow: its identifying attributes, then a ``<data>`` per
    present value (booleans as true/false, lists joined by ';'), every value escaped."""
    join = pc.binary_join_element_wise
    parts = [f"<{tag}"]
    for attribute, column in identity:
        parts += [f' {attribute}="', _escaped(column), '"']
    parts.append(">")
    for f in fields:
        column = table.column(f["name"])
        if pa.types.is_list(column.type):
            column = pc.binary_join(column, ";")
        data = join(f'<data key="{tag[0]}_{f["name"]}">', _escaped(column), "</data>", "")
        parts.append(pc.fill_null(data, ""))
    parts.append(f"</{tag}>\n")
    return join(*parts, "").to_pylist()


def _escaped(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text as XML takes it in content and in a double-quoted attribute."""
    text = pc.cast(column, pa.string())
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        text = pc.replace_substring(text, char, entity)
    return text


WRITERS = {"cities-geoparquet": write_geoparquet, "network-graphml": write_graphml}
VIEWS: tuple[View, ...] = (
    View("cities-geoparquet", "data/cities.geo.parquet", "geoparquet", "application/vnd.apache.parquet", "PARQUET",
         "Cities with their points (GeoParquet)",
         "The cities table with a WKB point column (geometry; GeoParquet 1.1, WGS 84), for geopandas, DuckDB spatial, "
         "QGIS or plain pyarrow.", ("cities",)),
    View("network-graphml", "data/network.graphml", "graphml", "application/xml", "XML",
         "The network as a graph (GraphML)",
         "A node per city and an edge per partnership, with their fields as attributes, for networkx, igraph or "
         "Gephi.", ("cities", "partnerships")),
)
