"""The world package's assets: Wikidata's P190 statements as a partitioned asset (one partition per country, in the
``wdqs`` concurrency pool so that never two queries run at once; a backfill of every partition is one run), and the
world release over all stored partitions. Each calls one step of ``twindata.pipeline``."""

from dagster import (AssetExecutionContext, BackfillPolicy, MaterializeResult, MetadataValue,
                     StaticPartitionsDefinition, asset)

from twindata import pipeline
from twindata.countries import assigned_codes

from pipelines.resources import TwindataSettings

GROUP = "world"
countries = StaticPartitionsDefinition(assigned_codes())


@asset(group_name=GROUP, partitions_def=countries, pool="wdqs", backfill_policy=BackfillPolicy.single_run(),
       description="P190 statements of the items of one country: asked live from WDQS into the partition store (one "
                   "query at a time), or read from the bundled snapshot offline; checked either way.")
def world_wikidata(context: AssetExecutionContext, settings: TwindataSettings) -> MaterializeResult:
    config = settings.settings()
    codes = context.partition_keys
    fetched = pipeline.refresh_world(config, codes, context.log.info, freshness_days=0) if config.live else {}
    snap = pipeline.load_world(config, codes)
    return MaterializeResult(metadata={
        "partitions": len(codes), "statements": len(snap.p190), "quarantined": len(snap.issues.rows),
        "mode": "live" if config.live else f"bundled snapshot {snap.snapshot_id}",
        "wdqs": MetadataValue.json(fetched)})


@asset(group_name=GROUP, deps=[world_wikidata],
       description="The world package: every stored partition and Wikipedia's lists reconciled with the registry as "
                   "the confirmed tier, gated and published (staging, checksums, atomic rename).")
def world_release(context: AssetExecutionContext, settings: TwindataSettings) -> MaterializeResult:
    result = pipeline.publish_world(settings.settings(), context.log.info)
    p = result.publish
    return MaterializeResult(metadata={
        "version": p.version, "published": p.published, "dagster/uri": p.path.resolve().as_uri(),
        "content_sha256": p.content_sha256, **{f"{t}_rows": n for t, n in result.counts.items()}})
