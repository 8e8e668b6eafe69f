"""Jobs: the registry package's release (in-process: a small graph), and the world package's: the partitions
(a backfill of every country is one run) and the world release (multiprocess executor)."""

from dagster import AssetSelection, define_asset_job, multiprocess_executor

twinning_release_job = define_asset_job(
    "twinning_release_job", selection=AssetSelection.groups("twinning"),
    description="Read the registry, Wikidata and Commons, build and check the tables, publish a release.")

world_partitions_job = define_asset_job(
    "world_partitions_job", selection=AssetSelection.assets("world_wikidata"),
    description="Ask WDQS for the P190 statements of the countries chosen (one partition each, one query at a time).")

world_release_job = define_asset_job(
    "world_release_job", selection=AssetSelection.assets("world_release"), executor_def=multiprocess_executor,
    description="Rebuild the world package from the stored partitions and publish it.")
