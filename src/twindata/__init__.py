"""twindata: town-twinning records as versioned, validated, citable open data packages.

The library, in stages: ``contract`` (schemas, tables, ids, errors), ``checks`` (the compiled checks, policies, the
gate), ``sources``, ``reconcile``, ``publish`` and ``read``; ``packages`` declares the packages and runs them. It never
imports Dagster; the orchestration layer lives in the top-level ``pipelines`` package and calls into this one.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("twindata")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"


def load(table: str, release="releases", version: str = "latest", format: str = "parquet", *, package=None,
         with_cities: bool = False):
    """One table of a published release as a typed pandas DataFrame (see ``twindata.read.loader.load``)."""
    from twindata.read.loader import load as _load

    return _load(table, release, version, format, package=package, with_cities=with_cities)


def load_graph(release="releases", version: str = "latest", *, package=None):
    """The network of a published release as a networkx MultiGraph (see ``twindata.read.network.load_graph``)."""
    from twindata.read.network import load_graph as _load_graph

    return _load_graph(release, version, package=package)
