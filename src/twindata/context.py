"""The run context: what one run hands every source and the release — its settings, its one HTTP client (live, or
replaying a snapshot), the incremental cache of a live run, an optional recorder of raw answers, the run's clock and
the counters of what it asked. The CLI makes one per run; Dagster's ``run`` resource makes one per run and shares it
between the steps, so both make the same requests.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from twindata.contract.text import utc_stamp
from twindata.settings import Settings
from twindata.sources.cache import Cache
from twindata.sources.transport.http import WikimediaClient
from twindata.sources.transport.snapshots import Recorder


def _silent(_: str) -> None:
    pass


def git_commit() -> str | None:
    """The commit of the twindata checkout that runs, where it runs from one."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class RunContext:
    """One run: settings, client, cache, recorder, clock and counters. The client and the cache are made when a
    source first needs them (a run that asks nothing opens neither)."""

    settings: Settings
    on_progress: Callable[[str], None] = _silent
    recorder: Recorder | None = None
    now: datetime = field(default_factory=utc_now)
    commit: str | None = field(default_factory=git_commit)
    requests: dict[str, int] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)  # each source's result, read once per run

    def read(self, source, given: Mapping[str, Any]) -> Any:
        """A source's result (``twindata.sources.Source``), read once per run."""
        if source.name not in self.results:
            self.progress(f"{source.name}: {source.description}")
            self.results[source.name] = source.read(self, given)
        return self.results[source.name]

    def progress(self, message: str) -> None:
        self.on_progress(message)

    @cached_property
    def client(self) -> WikimediaClient:
        """The run's one client: live, or replaying the snapshot (the bundled one by default)."""
        return WikimediaClient(self.settings, recorder=self.recorder)

    @cached_property
    def cache(self) -> Cache | None:
        """The incremental cache of a live run (None for a replay: a snapshot needs no cache)."""
        if not self.client.live or self.recorder is not None:
            return None
        config = self.settings
        return Cache(config.cache_path(), f"{config.wikidata_api} {config.commons_api}", config.commons_freshness_days)

    @property
    def stamp(self) -> str:
        """The run's time as ISO 8601 UTC, to the second (``2026-12-01T12:00:00Z``)."""
        return utc_stamp(self.now)

    def save(self) -> None:
        """Keep what the sources read for the next live run (once they all succeeded)."""
        if "cache" in self.__dict__ and self.cache is not None:
            self.cache.save()
