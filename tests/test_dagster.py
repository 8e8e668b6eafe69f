"""The Dagster layer: the code location loads, the job materializes in-process with every check reading the gate's
one result, a blocking check fails on real data and stops the release, the warning check fails without stopping
it, and the schedule and the registry sensor behave as a deployment expects."""

from __future__ import annotations

import hashlib
import json

from dagster import (AssetCheckSeverity, DagsterInstance, DefaultScheduleStatus, DefaultSensorStatus,
                     build_schedule_context, build_sensor_context)

from twindata.snapshots import Exchange, snapshot_id_of

from pipelines.definitions import defs
from pipelines.resources import TwindataSettings
from pipelines.schedules import weekly_release
from pipelines.sensors import registry_changed

from conftest import replace_in

TABLES = {"cities", "partnerships", "assertions", "images", "crosswalk", "data_issues"}
CHECKS = {"cities_schema", "partnerships_schema", "partnerships_foreign_keys", "assertions_schema",
          "images_licensed", "crosswalk_schema", "nothing_quarantined"}


def _materialize(**settings):
    job = defs.resolve_job_def("twinning_release_job")
    with DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(instance=instance, resources={"settings": TwindataSettings(**settings)},
                                      raise_on_error=False)


def _checks(result) -> dict:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_definitions_load_with_every_asset_check_schedule_and_sensor():
    repo = defs.get_repository_def()
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    assert {"registry", "wikidata_entities", "commons_metadata", "core_tables", "release"} | TABLES <= keys
    assert {c.name for c in repo.asset_graph.asset_check_keys} == CHECKS
    assert repo.get_schedule_def("weekly_release").default_status == DefaultScheduleStatus.STOPPED
    assert repo.get_sensor_def("registry_changed").default_status == DefaultSensorStatus.STOPPED


def test_materialize_publishes_a_release_after_every_check_passes(tmp_path):
    result = _materialize(out=str(tmp_path / "releases"))
    assert result.success
    checks = _checks(result)
    assert set(checks) == CHECKS and all(e.passed for e in checks.values())
    release = result.asset_materializations_for_node("release")[0].metadata
    assert release["version"].value == "2.0.0" and release["partnerships_rows"].value == 15
    assert release["dagster/uri"].value.startswith("file://")
    tables = {m.asset_key.to_user_string(): m.metadata for m in result.asset_materializations_for_node("gated_tables")}
    assert set(tables) == TABLES
    assert tables["partnerships"]["dagster/row_count"].value == 15 and "path" in tables["partnerships"]
    columns = tables["assertions"]["dagster/column_schema"].schema.columns
    assert columns[0].name == "assertion_id" and not columns[0].constraints.nullable and columns[0].description
    registry = result.asset_materializations_for_node("registry")[0].metadata
    assert registry["registry_folder"].value.endswith("dortmund") and registry["partnerships_rows"].value == 14
    versions = json.loads((tmp_path / "releases" / "dortmund-twinning" / "versions.json").read_text())
    assert versions["latest"] == "2.0.0"


def test_a_blocking_check_fails_on_real_data_and_stops_the_release(tmp_path, registry_copy):
    # the city's records credit a picture under a non-commercial licence: the release may not publish it
    replace_in(registry_copy / "images.csv", "Free Art Licence,https://artlibre.org/licence/lal/en/",
               "CC BY-NC 2.0,https://creativecommons.org/licenses/by-nc/2.0/")
    result = _materialize(out=str(tmp_path / "releases"), registry=str(registry_copy))
    failed = [e for e in _checks(result).values() if not e.passed]
    assert [e.check_name for e in failed] == ["images_licensed"]
    row = failed[0].metadata["error_rows"].value[0]
    assert (row["field"], row["value"], row["rule"]) == ("licence_name", "CC BY-NC 2.0", "licence")
    assert row["record"] == "dortmund-twinning/fr-amiens-quai-belu"
    assert not result.asset_materializations_for_node("release")
    assert not (tmp_path / "releases" / "dortmund-twinning" / "versions.json").exists()


def test_the_warning_check_fails_on_quarantined_data_and_the_release_goes_on(tmp_path, snapshot_copy):
    # a recorded Wikidata answer whose coordinate for Amiens is out of range (as if its sign and point were lost)
    manifest = json.loads((snapshot_copy / "manifest.json").read_text())
    exchange = next(e for e in manifest["exchanges"] if "Q41604" in e["url"])
    answer = json.loads((snapshot_copy / exchange["file"]).read_text())
    answer["entities"]["Q41604"]["claims"]["P625"][0]["mainsnak"]["datavalue"]["value"]["latitude"] = 249.89
    body = json.dumps(answer).encode()
    exchange["sha256"] = hashlib.sha256(body).hexdigest()
    exchange["file"] = f"responses/{exchange['sha256']}.json"
    (snapshot_copy / exchange["file"]).write_bytes(body)
    manifest["snapshot_id"] = snapshot_id_of([Exchange(e["url"], e["status"], e["file"], e["sha256"])
                                              for e in manifest["exchanges"]])  # sealed as a snapshot of its own
    (snapshot_copy / "manifest.json").write_text(json.dumps(manifest))
    result = _materialize(out=str(tmp_path / "releases"), snapshot=str(snapshot_copy))
    checks = _checks(result)
    warning = checks["nothing_quarantined"]
    assert not warning.passed and warning.severity == AssetCheckSeverity.WARN
    assert warning.metadata["rows"].value[0]["record_id"] == "Q41604"
    assert all(e.passed for name, e in checks.items() if name != "nothing_quarantined")
    assert result.asset_materializations_for_node("release")[0].metadata["published"].value is True


def test_weekly_schedule_skips_without_a_contact_and_runs_live_with_one(monkeypatch):
    monkeypatch.delenv("TWINDATA_CONTACT", raising=False)
    skipped = weekly_release.evaluate_tick(build_schedule_context(resources={"settings": TwindataSettings()}))
    assert not skipped.run_requests and "TWINDATA_CONTACT" in skipped.skip_message
    monkeypatch.setenv("TWINDATA_CONTACT", "opendata@example.org")
    ticked = weekly_release.evaluate_tick(build_schedule_context(resources={"settings": TwindataSettings()}))
    [request] = ticked.run_requests
    assert request.run_config["resources"]["settings"]["config"]["live"] is True
    assert weekly_release.cron_schedule == "0 4 * * 1"


def test_sensor_starts_a_run_only_when_the_registry_changes(registry_copy):
    settings = TwindataSettings(registry=str(registry_copy))

    def tick(cursor):
        return registry_changed.evaluate_tick(build_sensor_context(cursor=cursor, resources={"settings": settings}))

    first = tick(None)  # switched on: remembers the registry, starts nothing
    assert not first.run_requests and first.cursor and "first look" in first.skip_message
    same = tick(first.cursor)
    assert not same.run_requests and "unchanged" in same.skip_message
    replace_in(registry_copy / "partnerships.csv", "Twinning signed 2 June 2014.", "Twinning signed on 2 June 2014.")
    changed = tick(first.cursor)
    assert changed.run_requests and changed.cursor != first.cursor


def test_the_world_partitions_backfill_as_one_run_and_the_world_release_reads_them(tmp_path):
    from dagster import materialize

    from pipelines import world

    assert world.world_wikidata.partitions_def.get_partition_keys()[:3] == ["AD", "AE", "AF"]
    assert world.world_wikidata.node_def.pool == "wdqs"
    with DagsterInstance.ephemeral() as instance:
        backfill = materialize([world.world_wikidata], instance=instance,
                               resources={"settings": TwindataSettings(out=str(tmp_path / "out"))},
                               tags={"dagster/asset_partition_range_start": "AD",
                                     "dagster/asset_partition_range_end": "ZW"})
        assert backfill.success
        meta = backfill.asset_materializations_for_node("world_wikidata")
        assert len(meta) == len(world.countries.get_partition_keys())  # every partition, in one run
        statements = sum(m.metadata["statements"].value for m in meta if m.partition in ("DE", "LU"))
        assert statements > 5000
        one = materialize([world.world_wikidata], instance=instance, partition_key="LU",
                          resources={"settings": TwindataSettings(out=str(tmp_path / "out"))})
        assert one.success
        job = defs.resolve_job_def("world_release_job")
        released = job.execute_in_process(instance=instance,
                                          resources={"settings": TwindataSettings(out=str(tmp_path / "out"))})
    assert released.success
    meta = released.asset_materializations_for_node("world_release")[0].metadata
    assert meta["version"].value == "2.0.0" and meta["partnerships_rows"].value > 30000
    assert (tmp_path / "out" / "world-twinning" / "2.0.0" / "datapackage.json").is_file()
