"""The Dagster layer: the code location loads, the assets materialize in-process with their blocking checks, a
failing check stops the release, and the schedule and the registry sensor fire as they should."""

from __future__ import annotations

import json

import pytest
from dagster import DagsterInstance, build_schedule_context, build_sensor_context, materialize

from pipelines.definitions import defs
from pipelines import assets, checks
from pipelines.resources import TwindataSettings
from pipelines.schedules import weekly_release
from pipelines.sensors import registry_changed

from conftest import replace_in

ALL_ASSETS = [assets.registry, assets.wikidata_entities, assets.commons_metadata, assets.cities,
              assets.partnerships, assets.images, assets.release]
ALL_CHECKS = [checks.cities_schema, checks.partnerships_schema, checks.partnerships_foreign_keys, checks.images_licensed]


def test_definitions_load_with_every_asset_check_schedule_and_sensor():
    repo = defs.get_repository_def()
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    assert {"registry", "wikidata_entities", "commons_metadata", "cities", "partnerships", "images", "release"} <= keys
    assert {c.name for c in repo.asset_graph.asset_check_keys} == {
        "cities_schema", "partnerships_schema", "partnerships_foreign_keys", "images_licensed"}
    assert repo.get_schedule_def("weekly_release") and repo.get_sensor_def("registry_changed")


def test_materialize_publishes_a_release_after_every_check_passes(tmp_path):
    settings = TwindataSettings(out=str(tmp_path / "releases"))
    with DagsterInstance.ephemeral() as instance:
        result = materialize(ALL_ASSETS + ALL_CHECKS, resources={"settings": settings}, instance=instance)
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 4 and all(e.passed for e in evaluations)
    release = result.asset_materializations_for_node("release")[0].metadata
    assert release["version"].value == "1.0.0" and release["partnerships"].value == 15
    versions = json.loads((tmp_path / "releases" / "dortmund-twinning" / "versions.json").read_text())
    assert versions["latest"] == "1.0.0"


@pytest.mark.parametrize("builder, field, value, check", [
    ("build_partnerships", "status", "paused", "partnerships_schema"),
    ("build_images", "licence_name", None, "images_licensed"),
])
def test_a_failing_check_blocks_the_release(tmp_path, monkeypatch, builder, field, value, check):
    # a registry row that the published schema rejects: the check must fail and stop publishing
    from twindata import core
    original = getattr(core, builder)

    def broken(*args, **kwargs):
        frame = original(*args, **kwargs)
        frame.loc[frame.index[0], field] = value
        return frame

    monkeypatch.setattr(core, builder, broken)
    settings = TwindataSettings(out=str(tmp_path / "releases"))
    with DagsterInstance.ephemeral() as instance:
        result = materialize(ALL_ASSETS + ALL_CHECKS, resources={"settings": settings}, instance=instance,
                             raise_on_error=False)
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [e.check_name for e in failed] == [check]
    rows = failed[0].metadata["error_rows"].value
    assert rows[0]["field"] == field and (rows[0]["value"] or None) == value  # an empty cell reads as ""
    assert not result.asset_materializations_for_node("release")
    assert not (tmp_path / "releases" / "dortmund-twinning" / "versions.json").exists()


def test_weekly_schedule_requests_the_release_job():
    context = build_schedule_context()
    run_request = weekly_release.evaluate_tick(context).run_requests[0]
    assert weekly_release.cron_schedule == "0 4 * * 1" and run_request.job_name in (None, "twinning_release_job")


def test_sensor_starts_a_run_only_when_the_registry_changes(registry_copy):
    settings = TwindataSettings(registry=str(registry_copy))
    def tick(cursor):
        return registry_changed.evaluate_tick(build_sensor_context(cursor=cursor, resources={"settings": settings}))

    first = tick(None)
    assert first.run_requests and first.cursor
    same = tick(first.cursor)
    assert not same.run_requests and "unchanged" in same.skip_message
    replace_in(registry_copy / "partnerships.csv", "Twinning signed 2 June 2014.", "Twinning signed on 2 June 2014.")
    changed = tick(first.cursor)
    assert changed.run_requests and changed.cursor != first.cursor
