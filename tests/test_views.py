"""Maps and graphs without joins: the cities as GeoParquet 1.1 and the network as GraphML, read by geopandas,
pyarrow, networkx and igraph; ``load(..., with_cities=True)`` and ``load_graph()`` over the published tables."""

from __future__ import annotations

import json
import math

import pyarrow.parquet as pq
import pytest

import twindata
from twindata.contract.errors import TwindataError

DORTMUND = ("registry", "dortmund-twinning")
WORLD = ("world", "world-twinning")


def release_of(shared_releases, which):
    return shared_releases / which[0] / which[1] / "2.0.0"


@pytest.mark.parametrize("which", [DORTMUND, WORLD])
def test_geoparquet_has_a_point_per_located_city_and_its_geo_metadata(shared_releases, which):
    release = release_of(shared_releases, which)
    path = release / "data" / "cities.geo.parquet"
    table = pq.read_table(path)  # pyarrow alone, no geo library
    geo = json.loads(table.schema.metadata[b"geo"])
    assert geo["version"] == "1.1.0" and geo["primary_column"] == "geometry"
    assert geo["columns"]["geometry"]["encoding"] == "WKB" and geo["columns"]["geometry"]["geometry_types"] == ["Point"]
    plain = pq.read_table(release / "data" / "cities.parquet")
    assert table.drop_columns(["geometry"]).equals(plain)  # the same rows as the plain table, with their points
    located = [lat is not None for lat in plain.column("latitude").to_pylist()]
    assert [g is not None for g in table.column("geometry").to_pylist()] == located
    gpd = pytest.importorskip("geopandas")
    frame = gpd.read_parquet(path)
    assert frame.crs.to_string() == "OGC:CRS84"
    row = frame.dropna(subset=["latitude"]).iloc[0]
    assert math.isclose(row.geometry.x, row.longitude) and math.isclose(row.geometry.y, row.latitude)
    west, south, east, north = geo["columns"]["geometry"]["bbox"]
    assert (west, south, east, north) == tuple(frame.total_bounds)
    descriptor = json.loads((release / "datapackage.json").read_text())
    resource = next(r for r in descriptor["resources"] if r["name"] == "cities-geoparquet")
    assert resource["type"] == "file" and resource["path"] == "data/cities.geo.parquet"


def test_graphml_is_read_by_networkx_and_igraph_with_the_attributes(shared_releases):
    release = release_of(shared_releases, DORTMUND)
    path = release / "data" / "network.graphml"
    nx = pytest.importorskip("networkx")
    graph = nx.read_graphml(path)
    partnerships = twindata.load("partnerships", release=release)
    cities = twindata.load("cities", release=release)
    assert graph.number_of_nodes() == len(cities) and graph.number_of_edges() == len(partnerships)
    assert graph.nodes["Q1295"]["name"] == "Dortmund" and graph.nodes["Q1295"]["country_code"] == "DE"
    rostov = [d for _, _, d in graph.edges("Q1295", data=True) if d.get("status") == "suspended"]
    assert len(rostov) == 1 and {k: rostov[0][k] for k in ("type", "phase", "status_since_year", "start_year",
                                                            "confidence")} == {
        "type": "twinning", "phase": 1, "status_since_year": 2022, "start_year": 1977, "confidence": "confirmed"}
    assert "end_year" not in rostov[0]  # a missing value is left out
    ig = pytest.importorskip("igraph")
    other = ig.Graph.Read_GraphML(str(path))
    assert other.vcount() == len(cities) and other.ecount() == len(partnerships)
    assert "Dortmund" in other.vs["name"] and "suspended" in other.es["status"]


def test_a_hostile_name_is_escaped_in_graphml(tmp_path):
    import pyarrow as pa

    from twindata.publish.views import write_graphml

    cities = pa.table({"city_id": ["Q1", "Q2"], "name": ['<b>"x"</b> & y', "Z"], "local_name": [None, None],
                       "country_code": ["DE", "FR"], "wikidata_qid": ["Q1", "Q2"], "latitude": [1.0, None],
                       "longitude": [2.0, None], "layers": ["wikidata", "wikidata"]})
    partnerships = pa.table({"partnership_id": ["Q1--Q2--twinning"], "city_a_id": ["Q1"], "city_b_id": ["Q2"],
                             "type": ["twinning"], "phase": [1], "status": [None], "status_since_year": [None],
                             "start_year": [None], "end_year": [None], "confidence": ["community"],
                             "assertion_count": [1], "layers": ["wikidata"]})
    write_graphml({"cities": cities, "partnerships": partnerships}, tmp_path / "g.graphml")
    nx = pytest.importorskip("networkx")
    graph = nx.read_graphml(tmp_path / "g.graphml")
    assert graph.nodes["Q1"]["name"] == '<b>"x"</b> & y' and "latitude" not in graph.nodes["Q2"]


def test_with_cities_gives_both_ends_and_load_graph_the_network(shared_releases):
    release = release_of(shared_releases, DORTMUND)
    joined = twindata.load("partnerships", release=release, with_cities=True)
    plain = twindata.load("partnerships", release=release)
    assert len(joined) == len(plain) and list(joined.columns[:len(plain.columns)]) == list(plain.columns)
    rostov = joined[joined["status"] == "suspended"].iloc[0]
    assert {rostov["city_a_name"], rostov["city_b_name"]} == {"Dortmund", "Rostov-on-Don"}
    assert {rostov["city_a_country_code"], rostov["city_b_country_code"]} == {"DE", "RU"}
    assert joined.attrs["descriptions"]["city_b_latitude"].startswith("City B: ")
    with pytest.raises(TwindataError, match="has no city_a_id"):
        twindata.load("cities", release=release, with_cities=True)
    pytest.importorskip("networkx")
    graph = twindata.load_graph(release)
    assert graph.number_of_edges() == len(plain) and graph.nodes["Q1295"]["name"] == "Dortmund"
    degree = dict(graph.degree())
    assert max(degree, key=degree.get) == "Q1295"


def test_a_releases_folder_with_two_packages_needs_a_package_name(shared_releases, tmp_path):
    import shutil

    both = tmp_path / "releases"
    for which in (DORTMUND, WORLD):
        shutil.copytree(shared_releases / which[0] / which[1], both / which[1])
    with pytest.raises(TwindataError, match="2 packages .*dortmund-twinning, world-twinning.*package="):
        twindata.load("partnerships", release=both)
    assert len(twindata.load("cities", release=both, package="dortmund")) < len(
        twindata.load("cities", release=both, package="world-twinning"))
    with pytest.raises(TwindataError, match="no package 'nope'"):
        twindata.load("cities", release=both, package="nope")
