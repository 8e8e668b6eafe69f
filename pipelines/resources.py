"""Configurable resources: how a run reaches its inputs and where it writes (offline/live, endpoints, contact, cache,
output).

Empty fields fall back to the TWINDATA_* environment variables and then to the real Wikimedia endpoints.
"""

from pathlib import Path
from typing import Optional

from dagster import ConfigurableResource

from twindata.bundled import default_registry
from twindata.http import WikimediaClient
from twindata.pipeline import make_client


class TwindataSettings(ConfigurableResource):
    """Where the registry is, which snapshot (or the live APIs) to read, and where releases go."""

    registry: Optional[str] = None
    out: str = "releases"
    live: bool = False
    snapshot: Optional[str] = None
    contact: Optional[str] = None
    wikidata_api: Optional[str] = None
    commons_api: Optional[str] = None
    sparql_url: Optional[str] = None
    timeout: Optional[float] = None
    max_retries: Optional[int] = None
    cache_dir: Optional[str] = None
    commons_freshness_days: Optional[float] = None

    def registry_path(self) -> Path:
        return Path(self.registry) if self.registry else default_registry()

    def client(self) -> WikimediaClient:
        return make_client(self.live, Path(self.snapshot) if self.snapshot else None, contact=self.contact,
                           wikidata_api=self.wikidata_api, commons_api=self.commons_api, sparql_url=self.sparql_url,
                           timeout=self.timeout, max_retries=self.max_retries,
                           cache_dir=Path(self.cache_dir) if self.cache_dir else None,
                           commons_freshness_days=self.commons_freshness_days)
