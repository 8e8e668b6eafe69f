"""The one recipe of a run: its steps, each a plain function, and ``run``, which chains them.

read the registry → fetch Wikidata → fetch Commons → reconcile (core tables) → gate → publish

The CLI calls ``run``; each Dagster asset in ``pipelines/`` calls one step; neither wires anything else. Nothing
here knows about Dagster or the command line.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from twindata import core, schema, world
from twindata.bundled import world_snapshot as bundled_world_snapshot
from twindata.cache import Cache
from twindata.core import CoreTables
from twindata.gate import GateResult, run_gate
from twindata.http import WikimediaClient
from twindata.release import PublishResult, publish
from twindata.settings import Settings
from twindata.snapshots import Recorder, write_snapshot
from twindata.countries import assigned_codes
from twindata.sources import BATCH, commons, wdqs, wikidata
from twindata.sources.commons import CommonsResult
from twindata.sources.registry import Registry, read_registry
from twindata.sources.world import WorldSnapshot, read_world_snapshot


@dataclass
class RunResult:
    publish: PublishResult
    gate: GateResult
    requests: dict[str, int]

    @property
    def counts(self) -> dict[str, int]:
        return {t: a.num_rows for t, a in self.gate.tables.items()}


def load_registry(settings: Settings) -> Registry:
    return read_registry(settings.registry_path())


def client(settings: Settings, recorder: Recorder | None = None) -> WikimediaClient:
    """The client of a run: live, or replaying the snapshot (the bundled one by default)."""
    return WikimediaClient(settings, recorder=recorder)


@contextmanager
def live_cache(client: WikimediaClient) -> Iterator[Cache | None]:
    """The incremental cache of a live run, saved when the fetching succeeded (None for a replay: a snapshot needs
    no cache)."""
    if not client.live:
        yield None
        return
    config = client.config
    cache = Cache(config.cache_path(), f"{config.wikidata_api} {config.commons_api}", config.commons_freshness_days)
    yield cache
    cache.save()


def fetch_wikidata(client: WikimediaClient, registry: Registry, cache: Cache | None = None) -> wikidata.FetchResult:
    """The registry's cities and the partners their P190 statements name, with the ISO codes of their countries."""
    qids = [q for q in registry.cities["wikidata_qid"] if q]
    own = dict(zip(registry.cities["city_id"], registry.cities["wikidata_qid"]))
    retrieval = ({"snapshot_id": client.snapshot.snapshot_id} if client.snapshot else
                 {"retrieved": datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")})
    result = wikidata.collect(client, qids, [own[k] for k in registry.own_keys() if own[k]], cache)
    result.retrieval = retrieval
    return result


def fetch_commons(client: WikimediaClient, registry: Registry, wd: wikidata.FetchResult,
                  cache: Cache | None = None) -> CommonsResult:
    titles = core.commons_titles([registry], wd)
    before = client.requests_made
    found, missing, not_in_snapshot = commons.fetch_images(client, titles, cache)
    reused = cache.images_reused if cache is not None else 0
    saved = math.ceil(len(titles) / BATCH) - math.ceil((len(titles) - reused) / BATCH)
    return CommonsResult(found, missing, not_in_snapshot, requests=client.requests_made - before, requests_saved=saved)


def reconcile(registry: Registry, wd: wikidata.FetchResult, cm: CommonsResult) -> CoreTables:
    return core.reconcile([registry], wd, cm)


def gate(tables: CoreTables) -> GateResult:
    return run_gate(tables)


def provenance(registry: Registry, wd: wikidata.FetchResult) -> dict:
    """What made a release: the registry's checksum, the snapshot or live retrieval time, Wikidata revisions."""
    return {"registry_sha256": registry.sha256, **wd.retrieval,
            "wikidata_revisions": {q: e.revision for q, e in sorted(wd.entities.items()) if e.revision}}


def release(gated: GateResult, registry: Registry, settings: Settings, prov: dict,
            progress: Callable[[str], None] = lambda _: None) -> PublishResult:
    """Publish what passed the gate; a gate that found errors in the registry's own data publishes nothing."""
    gated.raise_errors()
    return publish(gated, registry.metadata, settings.out, prov, settings.lock_timeout, progress, settings.base_url)


def run(settings: Settings, progress: Callable[[str], None] = lambda _: None) -> RunResult:
    progress("reading the registry")
    registry = load_registry(settings)
    wm = client(settings)
    with live_cache(wm) as cache:
        progress("Wikidata: " + ("live" if wm.live else f"replaying snapshot {wm.snapshot.folder}"))
        wd = fetch_wikidata(wm, registry, cache)
        wikidata_requests = wm.requests_made
        progress(f"Wikidata: {len(wd.entities)} entities; Commons metadata")
        cm = fetch_commons(wm, registry, wd, cache)
    progress("reconciling and validating tables")
    gated = gate(reconcile(registry, wd, cm))
    result = release(gated, registry, settings, provenance(registry, wd), progress)
    requests = {"wikidata": wikidata_requests, "commons": cm.requests, "commons_saved": cm.requests_saved,
                "entities_reused": cache.entities_reused if cache is not None else 0}
    return RunResult(result, gated, requests)


def refresh_world(settings: Settings, codes: list[str], progress: Callable[[str], None] = lambda _: None,
                  freshness_days: float | None = None) -> dict[str, str]:
    """Ask WDQS for each partition not asked within the freshness window (all of them with freshness 0), strictly
    one at a time, into the partition store a live world run reads; the requests made and partitions asked."""
    days = settings.wdqs_freshness_days if freshness_days is None else freshness_days
    wm = client(settings)
    done = wdqs.refresh(wm, settings.world_snapshot_path(), codes, days, progress)
    return {"requests": wm.requests_made, "partitions_asked": sum(1 for v in done.values() if v != "fresh"),
            "partitions_fresh": sum(1 for v in done.values() if v == "fresh")}


def load_world(settings: Settings, partitions: list[str] | None = None) -> WorldSnapshot:
    """The world snapshot's rows (or the partitions named), checked: the bundled one offline, the stored live
    partitions live."""
    snap = read_world_snapshot(settings.world_snapshot_path(), partitions)
    if settings.live:  # Wikipedia's lists have no live source here: the bundled pairs join the live partitions
        lists = read_world_snapshot(settings.world_snapshot or bundled_world_snapshot(), partitions=[])
        snap.pairs, snap.issues.rows = lists.pairs, snap.issues.rows + lists.issues.rows
        snap.manifest.setdefault("extracts", {})["wikipedia"] = lists.extract("wikipedia")
    return snap


def reconcile_world(snap: WorldSnapshot, registry: Registry) -> CoreTables:
    return world.reconcile(snap, [registry])


def world_metadata(snap: WorldSnapshot, gated: GateResult) -> dict:
    """The world package's metadata, its description ending with the release's measures, its sources named with the
    extracts the snapshot was built from."""
    metadata = schema.world_package_metadata()
    metadata["description"] += world.describe(world.measures(gated.tables))
    extracts = [{"title": f"{name}: {e['origin']}", "path": e["origin"].split(" ")[0],
                 "description": f"retrieved {e.get('retrieved', '?')}; licence {e['licence']['name']}"}
                for name, e in sorted(snap.manifest.get("extracts", {}).items())]
    metadata["sources"] = metadata.get("sources", []) + extracts
    return metadata


def world_provenance(registry: Registry, snap: WorldSnapshot) -> dict:
    return {"registry_sha256": registry.sha256, "snapshot_id": snap.snapshot_id,
            "partitions": len(snap.partitions),
            "extracts": {name: {k: e[k] for k in ("retrieved", "origin") if k in e}
                         for name, e in sorted(snap.manifest.get("extracts", {}).items())}}


def run_world(settings: Settings, progress: Callable[[str], None] = lambda _: None) -> RunResult:
    """The world package: live, the partitions not fresh are asked first; then ``publish_world``."""
    asked = refresh_world(settings, assigned_codes(), progress) if settings.live else {}
    return publish_world(settings, progress, asked)


def publish_world(settings: Settings, progress: Callable[[str], None] = lambda _: None,
                  asked: dict | None = None) -> RunResult:
    """The stored (live) or bundled partitions and Wikipedia's lists, with the registry as the confirmed tier,
    reconciled, gated and published like any package. Asks nothing."""
    progress("reading the registry")
    registry = load_registry(settings)
    progress(f"reading the world snapshot {settings.world_snapshot_path()}")
    snap = load_world(settings)
    progress(f"reconciling {len(snap.p190)} Wikidata statements and {len(snap.pairs)} pairs of Wikipedia's lists")
    gated = gate(reconcile_world(snap, registry))
    gated.raise_errors()
    result = publish(gated, world_metadata(snap, gated), settings.out, world_provenance(registry, snap),
                     settings.lock_timeout, progress, settings.base_url)
    asked = asked or {}
    return RunResult(result, gated, {"wdqs": asked.get("requests", 0), "partitions_asked": asked.get("partitions_asked", 0),
                                     "partitions_fresh": asked.get("partitions_fresh", 0)})


def record_snapshot(settings: Settings, folder: Path) -> tuple[str, int]:
    """Fetch live what a run of this registry needs and keep every answer, as received, in a snapshot folder."""
    registry = load_registry(settings)
    recorder = Recorder()
    wm = client(settings.model_copy(update={"live": True}), recorder)
    wd = fetch_wikidata(wm, registry)
    fetch_commons(wm, registry, wd)
    snapshot_id = write_snapshot(recorder, folder, {"registry": registry.name, "registry_sha256": registry.sha256,
                                                    "user_agent": wm.config.user_agent})
    return snapshot_id, len(recorder.exchanges)
