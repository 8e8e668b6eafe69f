"""The published network as a graph for network research: ``twindata.load_graph(release=...)`` gives a networkx
``MultiGraph`` with a node per city and an edge per partnership (a pair with several phases or kinds has parallel
edges, keyed by partnership_id), every field an attribute, missing values left out. Built from the release's checked
Parquet tables (``twindata.read.loader``); networkx is the optional ``graph`` extra. The same graph is published as
``data/network.graphml`` for tools that read files (igraph, Gephi).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from twindata.contract.errors import TwindataError
from twindata.read.loader import load


def load_graph(release: str | Path = "releases", version: str = "latest", *, package: str | None = None):
    try:
        import networkx as nx
    except ImportError:
        raise TwindataError("load_graph needs networkx: pip install 'twindata[graph]'") from None
    cities = load("cities", release, version, package=package)
    partnerships = load("partnerships", release, version, package=package)
    graph = nx.MultiGraph(package=partnerships.attrs.get("source"), version=partnerships.attrs.get("version"))
    graph.add_nodes_from((r.pop("city_id"), r) for r in _records(cities))
    graph.add_edges_from((r.pop("city_a_id"), r.pop("city_b_id"), r["partnership_id"], r)
                         for r in _records(partnerships))
    return graph


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of their present values, as Python values (missing ones left out)."""
    rows = pa.Table.from_pandas(frame, preserve_index=False).to_pylist()
    return [{k: v for k, v in r.items() if v is not None} for r in rows]
