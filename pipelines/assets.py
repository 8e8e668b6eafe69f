"""Assets: one per input (registry, Wikidata, Commons), one per published table, and the release.

Each asset calls one step of ``twindata.pipeline`` and attaches metadata for the UI.
"""

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from twindata import core, pipeline
from twindata.core import CommonsResult, Issues
from twindata.registry import Registry
from twindata.sources.wikidata import FetchResult

from pipelines.resources import TwindataSettings

GROUP = "twinning"


@asset(group_name=GROUP, description="The city's own partnership records, validated against the registry schemas.")
def registry(context: AssetExecutionContext, settings: TwindataSettings) -> Registry:
    result = pipeline.load_registry(settings.registry_path())
    context.add_output_metadata({"path": str(result.path), "sha256": result.sha256,
                                 **{t: len(result.table(t)) for t in ("cities", "partnerships", "images")}})
    return result


@asset(group_name=GROUP, description="Wikidata items of the registry's cities and of the partners their P190 names.")
def wikidata_entities(context: AssetExecutionContext, settings: TwindataSettings, registry: Registry) -> FetchResult:
    client = settings.client()
    with pipeline.live_cache(client) as cache:
        result = pipeline.fetch_wikidata(client, registry, cache)
    context.add_output_metadata({"entities": len(result.entities), "missing": sorted(result.missing),
                                 "not_in_snapshot": sorted(result.not_in_snapshot), "requests": client.requests_made,
                                 "mode": "live" if client.live else f"snapshot {client.snapshot.snapshot_id}"})
    return result


@asset(group_name=GROUP, description="Wikimedia Commons imageinfo + extmetadata of every image the release describes.")
def commons_metadata(context: AssetExecutionContext, settings: TwindataSettings, registry: Registry,
                     wikidata_entities: FetchResult) -> CommonsResult:
    client = settings.client()
    with pipeline.live_cache(client) as cache:
        result = pipeline.fetch_commons(client, registry, wikidata_entities, cache)
    context.add_output_metadata({"images": len(result.images), "missing": sorted(result.missing),
                                 "requests": result.requests, "requests_saved": result.requests_saved})
    return result


def _table_output(context: AssetExecutionContext, frame: pd.DataFrame, issues: Issues) -> pipeline.CoreTables:
    context.add_output_metadata({"rows": len(frame), "issues_found": len(issues.rows),
                                 "sources": MetadataValue.json(frame["sources"].value_counts().to_dict())})
    return pipeline.CoreTables({context.asset_key.path[-1]: frame}, issues)


@asset(group_name=GROUP, description="One row per city (schemas/cities.json).")
def cities(context: AssetExecutionContext, registry: Registry, wikidata_entities: FetchResult) -> pipeline.CoreTables:
    issues = Issues()
    return _table_output(context, core.build_cities(registry, wikidata_entities, issues), issues)


@asset(group_name=GROUP, description="One row per partnership phase (schemas/partnerships.json).")
def partnerships(context: AssetExecutionContext, registry: Registry, wikidata_entities: FetchResult) -> pipeline.CoreTables:
    issues = Issues()
    return _table_output(context, core.build_partnerships(registry, wikidata_entities, issues), issues)


@asset(group_name=GROUP, description="One row per image, with licence and attribution (schemas/images.json).")
def images(context: AssetExecutionContext, registry: Registry, cities: pipeline.CoreTables,
           commons_metadata: CommonsResult) -> pipeline.CoreTables:
    issues = Issues()
    return _table_output(context, core.build_images(registry, cities.frames["cities"], commons_metadata, issues), issues)


@asset(group_name=GROUP, description="The versioned data package: gate, staging, checksums, atomic publish.")
def release(context: AssetExecutionContext, settings: TwindataSettings, registry: Registry,
            wikidata_entities: FetchResult, cities: pipeline.CoreTables, partnerships: pipeline.CoreTables,
            images: pipeline.CoreTables) -> MaterializeResult:
    tables = pipeline.merge(cities, partnerships, images)
    prov = pipeline.provenance(registry, wikidata_entities)
    result, counts = pipeline.gate_and_publish(tables, registry, settings.out, prov)
    context.log.info(f"{'published' if result.published else 'unchanged since'} {result.package} {result.version}")
    return MaterializeResult(metadata={"version": result.version, "published": result.published,
                                       "path": str(result.path), "content_sha256": result.content_sha256, **counts})
