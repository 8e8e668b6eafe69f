"""The steps of a run, each a plain function: read the registry, fetch Wikidata, fetch Commons, build the core
tables, gate them, publish. The CLI chains them; the Dagster assets in ``pipelines/`` call the same functions one
asset at a time. Nothing here knows about Dagster or the command line.
"""

from __future__ import annotations

import math
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd

from twindata import core
from twindata.bundled import default_registry, default_snapshot
from twindata.core import CommonsResult, Issues
from twindata.gate import run_gate
from twindata.cache import Cache, default_cache_dir
from twindata.http import ClientConfig, Recorder, WikimediaClient, write_snapshot
from twindata.registry import Registry, read_registry
from twindata.release import PublishResult, open_release, publish
from twindata.sources import BATCH, commons, wikidata


@dataclass
class RunOptions:
    registry: Path | None = None
    out: Path = Path("releases")
    live: bool = False
    snapshot: Path | None = None
    contact: str | None = None

    def client(self, recorder: Recorder | None = None) -> WikimediaClient:
        return make_client(self.live, self.snapshot, recorder, contact=self.contact)


def make_client(live: bool, snapshot: Path | None = None, recorder: Recorder | None = None,
                **overrides) -> WikimediaClient:
    """The client of a run: live, or replaying ``snapshot`` (the bundled one by default); settings not given
    (None) come from the TWINDATA_* environment variables."""
    snapshot = None if live else (snapshot or default_snapshot())
    return WikimediaClient(ClientConfig.from_env(snapshot=snapshot, **overrides), recorder=recorder)


@contextmanager
def live_cache(client: WikimediaClient) -> Iterator[Cache | None]:
    """The incremental cache of a live run, saved when the fetching succeeded (None for a replay: a snapshot needs
    no cache)."""
    if not client.live:
        yield None
        return
    config = client.config
    cache = Cache(config.cache_dir or default_cache_dir(), f"{config.wikidata_api} {config.commons_api}",
                  config.commons_freshness_days)
    yield cache
    cache.save()


@dataclass
class CoreTables:
    """The three published tables before the gate, and what building them found to report."""

    frames: dict[str, pd.DataFrame]
    issues: Issues = field(default_factory=Issues)


@dataclass
class RunResult:
    publish: PublishResult
    counts: dict[str, int]
    issues: pd.DataFrame
    requests: dict[str, int]


def load_registry(path: Path | None) -> Registry:
    return read_registry(path or default_registry())


def fetch_wikidata(client: WikimediaClient, registry: Registry, cache: Cache | None = None) -> wikidata.FetchResult:
    qids = [q for q in registry.cities["wikidata_qid"] if q]
    retrieval = ({"snapshot_id": client.snapshot.snapshot_id} if client.snapshot else
                 {"retrieved": datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")})
    result = wikidata.collect(client, qids, [q for _, q in registry.own_cities() if q], cache)
    result.retrieval = retrieval
    return result


def fetch_commons(client: WikimediaClient, registry: Registry, wd: wikidata.FetchResult,
                  cache: Cache | None = None) -> CommonsResult:
    titles = core.commons_titles(registry, wd)
    before = client.requests_made
    found, missing, not_in_snapshot = commons.fetch_images(client, titles, cache)
    reused = cache.images_reused if cache is not None else 0
    saved = math.ceil(len(titles) / BATCH) - math.ceil((len(titles) - reused) / BATCH)
    return CommonsResult(found, missing, not_in_snapshot, requests=client.requests_made - before, requests_saved=saved)


def record_snapshot(registry_path: Path | None, folder: Path, contact: str | None = None) -> tuple[str, int]:
    """Fetch live what a run of this registry needs and keep every answer, as received, in a snapshot folder."""
    registry = load_registry(registry_path)
    recorder = Recorder()
    client = RunOptions(live=True, contact=contact).client(recorder)
    wd = fetch_wikidata(client, registry)
    fetch_commons(client, registry, wd)
    snapshot_id = write_snapshot(recorder, folder, {"registry": registry.metadata["name"],
                                                    "registry_sha256": registry.sha256,
                                                    "user_agent": client.config.user_agent})
    return snapshot_id, len(recorder.exchanges)


def build_tables(registry: Registry, wd: wikidata.FetchResult, cm: CommonsResult) -> CoreTables:
    issues = Issues()
    cities = core.build_cities(registry, wd, issues)
    partnerships = core.build_partnerships(registry, wd, issues)
    images = core.build_images(registry, cities, cm, issues)
    return CoreTables({"cities": cities, "partnerships": partnerships, "images": images}, issues)


def merge(*parts: CoreTables) -> CoreTables:
    """Tables built one at a time (as the Dagster assets do) as one set, their issues in one list."""
    merged = CoreTables({})
    for part in parts:
        merged.frames.update(part.frames)
        merged.issues.rows.extend(part.issues.rows)
    return merged


def provenance(registry: Registry, wd: wikidata.FetchResult) -> dict:
    """What made a release: the registry's checksum, the snapshot or live retrieval time, Wikidata revisions, git."""
    return {"registry_sha256": registry.sha256, **wd.retrieval,
            "wikidata_revisions": {q: e.revision for q, e in sorted(wd.entities.items()) if e.revision},
            "git_commit": _git_commit()}


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def gate_and_publish(tables: CoreTables, registry: Registry, out: Path, prov: dict,
                     progress: Callable[[str], None] = lambda _: None) -> tuple[PublishResult, dict]:
    """Validate (quarantining bad outside rows) into a staging folder, then publish it, holding the package's lock;
    nothing is left on failure."""
    with open_release(Path(out), registry.metadata["name"], on_wait=progress) as staging:
        arrows = run_gate(tables.frames, tables.issues, staging / "data")
        return publish(arrows, registry.metadata, staging, prov), {t: a.num_rows for t, a in arrows.items()}


def run(options: RunOptions, progress: Callable[[str], None] = lambda _: None) -> RunResult:
    progress("reading the registry")
    registry = load_registry(options.registry)
    client = options.client()
    with live_cache(client) as cache:
        progress("Wikidata: " + ("live" if client.live else f"replaying snapshot {client.snapshot.folder}"))
        wd = fetch_wikidata(client, registry, cache)
        wikidata_requests = client.requests_made
        progress(f"Wikidata: {len(wd.entities)} entities; Commons metadata")
        cm = fetch_commons(client, registry, wd, cache)
    progress("building and validating tables")
    tables = build_tables(registry, wd, cm)
    result, counts = gate_and_publish(tables, registry, options.out, provenance(registry, wd), progress)
    requests = {"wikidata": wikidata_requests, "commons": cm.requests, "commons_saved": cm.requests_saved,
                "entities_reused": cache.entities_reused if cache is not None else 0}
    return RunResult(result, counts, tables.issues.frame(), requests)
