"""The one settings model of a run: what the CLI flags, the ``TWINDATA_*`` environment variables and the Dagster
``settings`` resource all set.

Values given directly (a CLI flag, a resource field) win over the environment, which wins over the defaults. A bad
value is a one-line ``TwindataError`` naming the variable and the value. The Dagster resource
(``pipelines.resources.TwindataSettings``) declares the same fields with these descriptions; a test holds them equal.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import requests
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from twindata import __version__
from twindata.contract.bundled import bundled_registries, default_registry, default_snapshot, world_snapshot
from twindata.contract.errors import TwindataError
from twindata.contract.text import problem

WIKIDATA_API = "https://www.wikidata.org/w/api.php"
COMMONS_API = "https://commons.wikimedia.org/w/api.php"
SPARQL_URL = "https://query.wikidata.org/sparql"
ENV_PREFIX = "TWINDATA_"


class Settings(BaseSettings):
    """Where a run reads from, where it writes to, and how it treats the Wikimedia APIs."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", validate_assignment=True,
                                      env_ignore_empty=True, allow_inf_nan=False)

    package: Literal["registry", "world"] = Field(
        "registry", description="What to publish: the registry's own package, or the world network (with the registry "
                                "as its confirmed tier).")
    registry: Path | None = Field(None, description="Registry folder (default: Dortmund's bundled registry).")
    registries: list[Path] = Field(default_factory=list,
                                   description="Further registry folders the world package takes as confirmed tier, "
                                               "beside every registry bundled under registry/.")
    out: Path = Field(Path("releases"), description="Folder the releases are published into.")
    live: bool = Field(False, description="Fetch from the real Wikidata and Commons APIs instead of a snapshot.")
    snapshot: Path | None = Field(None, description="Snapshot folder to replay (default: the bundled one).")
    contact: str = Field("", description="Contact (URL or e-mail) for the User-Agent; required live.")
    wikidata_api: str = Field(WIKIDATA_API, description="Wikidata's MediaWiki API.")
    commons_api: str = Field(COMMONS_API, description="Wikimedia Commons' MediaWiki API.")
    sparql_url: str = Field(SPARQL_URL, description="The Wikidata Query Service.")
    timeout: float = Field(30.0, gt=0, description="Seconds to wait for an answer.")
    max_retries: int = Field(5, ge=0, description="Retries of one request (429, 5xx, maxlag, broken answers).")
    cache_dir: Path | None = Field(None, description="Incremental cache of live runs (default: ~/.cache/twindata).")
    commons_freshness_days: float = Field(7.0, ge=0, description="Days a Commons answer is re-used without asking.")
    world_snapshot: Path | None = Field(None, description="World snapshot folder to read offline (default: the bundled one).")
    wdqs_freshness_days: float = Field(7.0, ge=0, description="Days a stored WDQS partition is re-used without asking.")
    base_url: str | None = Field(None,
                                 description="URL the releases folder is served under: DCAT-AP.de download URLs are "
                                             "absolute under it (relative to the package folder without it).")
    lock_timeout: float = Field(600.0, ge=0, description="Seconds a run waits for another run publishing the package.")

    @field_validator("contact")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if problem(value):
            raise ValueError(problem(value))
        return value.strip()

    @field_validator("base_url")
    @classmethod
    def _public_base(cls, value: str | None) -> str | None:
        """An http(s) URL of a folder, as every published download URL starts with it: no credentials, query or
        fragment, no '..' step, none of the characters an IRI may not hold."""
        if value is None:
            return None
        parts = urlsplit(value)
        why = problem(value) or (
            "must be an http(s) URL" if parts.scheme not in ("http", "https") or not parts.hostname else
            "must not hold a user name or password (they would be published)" if "@" in parts.netloc else
            "must not have a query or fragment" if parts.query or parts.fragment or "?" in value or "#" in value else
            "must not step up a folder ('..')" if ".." in parts.path.split("/") else
            "must not hold spaces, quotes or <>{}|\\^`" if any(c in value for c in ' "<>{}|\\^`\'') else None)
        if why:
            raise ValueError(why)
        return value

    def registry_path(self) -> Path:
        return self.registry or default_registry()

    def world_registry_paths(self) -> list[Path]:
        """The registries of the world package: every bundled one, then the registry and registries given, each
        folder once."""
        paths, seen = [], set()
        for path in [*bundled_registries(), *([self.registry] if self.registry else []), *self.registries]:
            if path.resolve() not in seen:
                seen.add(path.resolve())
                paths.append(path)
        return paths

    def replay_snapshot(self) -> Path | None:
        """The snapshot a run replays: None live, else the one given or the bundled default."""
        return None if self.live else (self.snapshot or default_snapshot())

    def world_snapshot_path(self) -> Path:
        """Where a world run reads its partitions: the store a live run fills, else the snapshot given or bundled."""
        if self.live:
            return self.cache_path() / "world"
        return self.world_snapshot or world_snapshot()

    def cache_path(self) -> Path:
        return self.cache_dir or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "twindata"

    @property
    def user_agent(self) -> str:
        return f"twindata/{__version__} ({self.contact or 'offline replay'}) requests/{requests.__version__}"


def load_settings(**given) -> Settings:
    """Settings from the values given (None means: not given), the environment and the defaults; a bad value is one
    line naming where it came from."""
    given = {k: v for k, v in given.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else "?"
        where = f"setting {name}" if name in given else f"environment variable {ENV_PREFIX}{name.upper()}"
        raise TwindataError(f"{where} = {error.get('input')!r}: {error['msg']}") from None
