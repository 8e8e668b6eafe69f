"""Assets: one per input (registry, Wikidata, Commons), the reconciled core tables, one per published table (the
gate's verdict on it) and the release. Each calls one step of ``twindata.pipeline`` and attaches metadata for the UI.
"""

from dagster import (AssetExecutionContext, AssetOut, MaterializeResult, MetadataValue, Output, TableColumn,
                     TableColumnConstraints, TableSchema, asset, multi_asset)

from twindata import gate, pipeline, schema
from twindata.core import CoreTables
from twindata.gate import GateResult
from twindata.sources.commons import CommonsResult
from twindata.sources.registry import Registry
from twindata.sources.wikidata import FetchResult

from pipelines.resources import TwindataSettings

GROUP = "twinning"
TABLES = [t for t in schema.published_tables() if t != "redirects"]  # redirects follow from the previous release
for _table in schema.published_tables():  # a schema the compiled checks cannot hold stops the code location loading
    gate.compiled(_table)


@asset(group_name=GROUP, description="The city's own partnership records, validated against the registry schemas.")
def registry(context: AssetExecutionContext, settings: TwindataSettings) -> Registry:
    result = pipeline.load_registry(settings.settings())
    context.add_output_metadata({"registry_folder": MetadataValue.path(str(result.path)), "sha256": result.sha256,
                                 **{f"{t}_rows": len(df) for t, df in result.tables.items()}})
    return result


@asset(group_name=GROUP, description="Wikidata items of the registry's cities and of the partners their P190 names.")
def wikidata_entities(context: AssetExecutionContext, settings: TwindataSettings, registry: Registry) -> FetchResult:
    client = pipeline.client(settings.settings())
    with pipeline.live_cache(client) as cache:
        result = pipeline.fetch_wikidata(client, registry, cache)
    context.add_output_metadata({"entities": len(result.entities), "missing": sorted(result.missing),
                                 "not_in_snapshot": sorted(result.not_in_snapshot), "requests": client.requests_made,
                                 "mode": "live" if client.live else f"snapshot {client.snapshot.snapshot_id}"})
    return result


@asset(group_name=GROUP, description="Wikimedia Commons imageinfo + extmetadata of every image the release describes.")
def commons_metadata(context: AssetExecutionContext, settings: TwindataSettings, registry: Registry,
                     wikidata_entities: FetchResult) -> CommonsResult:
    client = pipeline.client(settings.settings())
    with pipeline.live_cache(client) as cache:
        result = pipeline.fetch_commons(client, registry, wikidata_entities, cache)
    context.add_output_metadata({"images": len(result.images), "missing": sorted(result.missing),
                                 "requests": result.requests, "requests_saved": result.requests_saved})
    return result


@asset(group_name=GROUP, description="Every source's claims reconciled into cities, partnerships, assertions, images "
                                     "and crosswalk, before the gate.")
def core_tables(context: AssetExecutionContext, registry: Registry, wikidata_entities: FetchResult,
                commons_metadata: CommonsResult) -> CoreTables:
    result = pipeline.reconcile(registry, wikidata_entities, commons_metadata)
    context.add_output_metadata({**{f"{t}_rows": len(df) for t, df in result.frames.items()},
                                 "issues": MetadataValue.json(result.issues.count())})
    return result


def _column_schema(table: str) -> TableSchema:
    """The Table Schema of a published table as Dagster's column schema."""
    columns = []
    for f in schema.table_schema(table)["fields"]:
        c = f.get("constraints", {})
        other = [f"{k}: {v}" for k, v in c.items() if k not in ("required", "unique")]
        columns.append(TableColumn(f["name"], f["type"], f.get("description"),
                                   TableColumnConstraints(nullable=not c.get("required", False),
                                                          unique=bool(c.get("unique")), other=other)))
    return TableSchema(columns)


@multi_asset(group_name=GROUP, can_subset=False,
             outs={t: AssetOut(description=schema.table_schema(t).get("description")) for t in TABLES},
             description="The validation gate, once per run: each table against its Table Schema and the licence "
                         "policy; bad rows and values from outside sources quarantined into data_issues.")
def gated_tables(context: AssetExecutionContext, core_tables: CoreTables):
    result = pipeline.gate(core_tables)
    for table in TABLES:
        part = result.part(table)
        yield Output(part, output_name=table, metadata={
            "dagster/row_count": part.tables[table].num_rows, "dagster/column_schema": _column_schema(table),
            "errors": len(part.errors), "quarantined": len(part.quarantined)})


@asset(group_name=GROUP, description="The versioned data package: staging, checksums, atomic "
                                                       "publish, after every blocking check passed.")
def release(context: AssetExecutionContext, settings: TwindataSettings, registry: Registry,
            wikidata_entities: FetchResult, cities: GateResult, partnerships: GateResult, assertions: GateResult,
            images: GateResult, crosswalk: GateResult, data_issues: GateResult) -> MaterializeResult:
    gated = GateResult.merge([cities, partnerships, assertions, images, crosswalk, data_issues])
    result = pipeline.release(gated, registry, settings.settings(), pipeline.provenance(registry, wikidata_entities))
    context.log.info(f"{'published' if result.published else 'unchanged since'} {result.package} {result.version}")
    return MaterializeResult(metadata={
        "version": result.version, "published": result.published, "dagster/uri": result.path.resolve().as_uri(),
        "content_sha256": result.content_sha256, **{f"{t}_rows": a.num_rows for t, a in gated.tables.items()}})
