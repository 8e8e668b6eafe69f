"""The declared packages, and the one chain that runs any of them.

A package is a value (``Package``): its name, its sources (each a ``twindata.sources.Source``), how their results
are reconciled into the published tables, its metadata and provenance, and its outputs. ``run(package, settings)``
reads every source through one run context, reconciles, gates and publishes; the CLI calls it, and the Dagster layer
(``pipelines/``) generates its assets, checks, jobs, schedules and sensors from the same declarations, calling the
same steps (``read_sources``, ``Package.reconcile``, ``run_gate``, ``release``).

- ``CITY``: one city's registry, with the Wikidata items of its cities and partners and Commons' description of
  their pictures (``twindata run``).
- ``WORLD``: Wikidata's P190 statements of the world, Wikipedia's lists, and the registry as the confirmed tier
  (``twindata run --package world``).

To add a source, an output or a package: one module, and one line here.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twindata.checks.gate import GateResult, run_gate
from twindata.context import RunContext
from twindata.contract import schema
from twindata.contract.tables import CoreTables
from twindata.publish.history import PreviousRelease
from twindata.publish.outputs import OUTPUTS, Output
from twindata.publish.release import PublishResult, publish
from twindata.reconcile import entities, network
from twindata.settings import Settings
from twindata.sources import Source
from twindata.sources.commons import CommonsMetadata
from twindata.sources.extracts import WorldSnapshot, combined
from twindata.sources.registry import RegistriesSource, RegistrySource
from twindata.sources.transport.snapshots import Recorder, write_snapshot
from twindata.sources.wdqs import WdqsStatements
from twindata.sources.wikidata import WikidataEntities
from twindata.sources.wikipedia import WikipediaLists

Inputs = Mapping[str, Any]  # each source's result, by the source's name


@dataclass(frozen=True)
class Package:
    """A declared package: what it reads, how it reconciles, what it publishes."""

    name: str  # what --package and TWINDATA_PACKAGE name
    prefix: str  # of its Dagster asset keys (the city package's keep their first names)
    group: str  # its Dagster asset group
    description: str
    sources: tuple[Source, ...]
    reconcile: Callable[[Inputs, Callable[[str], None]], CoreTables]  # (inputs, progress)
    metadata: Callable[[Inputs, GateResult], dict]
    provenance: Callable[[Inputs], dict]
    outputs: tuple[Output, ...] = OUTPUTS


@dataclass
class RunResult:
    publish: PublishResult
    gate: GateResult
    requests: dict[str, int]

    @property
    def counts(self) -> dict[str, int]:
        return {t: a.num_rows for t, a in self.gate.tables.items()}


# --- the city package ------------------------------------------------------------------------------------------

def _city_reconcile(inputs: Inputs, progress: Callable[[str], None] = lambda _: None) -> CoreTables:
    return entities.reconcile([inputs["registry"]], inputs["wikidata_entities"], inputs["commons_metadata"],
                              inputs["previous_release"])


def _city_provenance(inputs: Inputs) -> dict:
    """The registry's checksum, the snapshot or live retrieval time, the Wikidata revisions."""
    wd = inputs["wikidata_entities"]
    return {"registry_sha256": inputs["registry"].sha256, **wd.retrieval,
            "wikidata_revisions": {q: e.revision for q, e in sorted(wd.entities.items()) if e.revision}}


CITY = Package(
    name="registry", prefix="", group="twinning",
    description="A city's registry, with the Wikidata items of its cities and partners and Commons' picture credits.",
    sources=(RegistrySource(), PreviousRelease(lambda given: given["registry"].name), WikidataEntities(),
             CommonsMetadata()),
    reconcile=_city_reconcile,
    metadata=lambda inputs, gated: inputs["registry"].metadata,
    provenance=_city_provenance)


# --- the world package -----------------------------------------------------------------------------------------

def world_snapshot(inputs: Inputs) -> WorldSnapshot:
    """Wikidata's statements and Wikipedia's lists as one snapshot, as the world reconciliation reads them."""
    return combined(inputs["wikidata"], inputs["wikipedia"])


@contextmanager
def _no_cycle_collection():
    """Reconciling the world makes millions of objects and no reference cycles worth collecting; the cycle
    collector's full passes over them cost more with every size (4.5 s of a 43 s run at 3 × the bundled world,
    the resident set the same without them), so they wait until the step is done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _world_reconcile(inputs: Inputs, progress: Callable[[str], None] = lambda _: None) -> CoreTables:
    with _no_cycle_collection():
        core = network.reconcile(world_snapshot(inputs), inputs["registries"], inputs["previous_release"], progress)
    for read in (inputs["wikidata"], inputs["wikipedia"]):  # their rows are claims now: they need not outlive this
        read.p190, read.pairs = [], []  # (the manifest, id and held-back rows stay for the metadata and provenance)
    return core


def _world_metadata(inputs: Inputs, gated: GateResult) -> dict:
    """The world package's metadata, its description ending with the release's measures, its sources named with the
    extracts the snapshot was built from."""
    snap = world_snapshot(inputs)
    metadata = schema.world_package_metadata()
    metadata["description"] += network.describe(network.measures(gated.tables))
    extracts = [{"title": f"{name}: {e['origin']}", "path": e["origin"].split(" ")[0],
                 "description": f"retrieved {e.get('retrieved', '?')}; licence {e['licence']['name']}"}
                for name, e in sorted(snap.manifest.get("extracts", {}).items())]
    metadata["sources"] = metadata.get("sources", []) + extracts
    return metadata


def _world_provenance(inputs: Inputs) -> dict:
    snap = world_snapshot(inputs)
    return {"registries_sha256": {r.name: r.sha256 for r in inputs["registries"]}, "snapshot_id": snap.snapshot_id,
            "partitions": len(snap.partitions),
            "extracts": {name: {k: e[k] for k in ("retrieved", "origin") if k in e}
                         for name, e in sorted(snap.manifest.get("extracts", {}).items())}}


WORLD = Package(
    name="world", prefix="world_", group="world",
    description="The world's twinning network: Wikidata's P190 statements and Wikipedia's lists, with every registry "
                "as the confirmed tier.",
    sources=(RegistriesSource(), PreviousRelease(lambda given: schema.world_package_metadata()["name"], needs=()),
             WdqsStatements(), WikipediaLists()),
    reconcile=_world_reconcile,
    metadata=_world_metadata,
    provenance=_world_provenance)

PACKAGES = {p.name: p for p in (CITY, WORLD)}


# --- the chain -------------------------------------------------------------------------------------------------

def read_sources(package: Package, context: RunContext) -> dict[str, Any]:
    """Every source's result, in the declared order (each reads the results it needs); the cache is kept once all
    succeeded."""
    inputs: dict[str, Any] = {}
    for source in package.sources:
        inputs[source.name] = context.read(source, inputs)
    context.save()
    return inputs


def release(package: Package, inputs: Inputs, gated: GateResult, context: RunContext) -> PublishResult:
    """Publish what passed the gate; a gate that found errors in a registry's own data publishes nothing."""
    gated.raise_errors()
    settings = context.settings
    return publish(gated, package.metadata(inputs, gated), settings.out, package.provenance(inputs),
                   settings.lock_timeout, context.progress, settings.base_url, created=context.stamp,
                   commit=context.commit, outputs=package.outputs)


def run(package: Package, settings: Settings, progress: Callable[[str], None] = lambda _: None,
        context: RunContext | None = None) -> RunResult:
    """Read, reconcile, gate and publish ``package``."""
    context = context or RunContext(settings, progress)
    inputs = read_sources(package, context)
    context.progress("reconciling and validating tables")
    gated = run_gate(package.reconcile(inputs, context.progress))
    context.progress("checked at the gate; publishing (CSV, Parquet, checksums, pages, DCAT)")
    return RunResult(release(package, inputs, gated, context), gated, dict(context.requests))


def run_configured(settings: Settings, progress: Callable[[str], None] = lambda _: None) -> RunResult:
    """Run the package the settings name (``settings.package``)."""
    return run(PACKAGES[settings.package], settings, progress)


def record_snapshot(settings: Settings, folder: Path) -> tuple[str, int]:
    """Fetch live what a run of the city package needs and keep every answer, as received, in a snapshot folder."""
    context = RunContext(settings.model_copy(update={"live": True}), recorder=Recorder())
    inputs = read_sources(CITY, context)
    registry = inputs["registry"]
    snapshot_id = write_snapshot(context.recorder, folder, {"registry": registry.name, "registry_sha256": registry.sha256,
                                                            "user_agent": context.client.config.user_agent})
    return snapshot_id, len(context.recorder.exchanges)
