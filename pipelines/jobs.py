"""Jobs: the one job that refreshes every asset and publishes a release."""

from dagster import AssetSelection, define_asset_job

twinning_release_job = define_asset_job(
    "twinning_release_job", selection=AssetSelection.groups("twinning"),
    description="Read the registry, Wikidata and Commons, build and check the tables, publish a release.")
