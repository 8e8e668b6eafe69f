"""The Dagster layer: the code location loads, the job materializes in-process with every check reading the gate's
one result, a blocking check fails on real data and stops the release, the warning check fails without stopping
it, and the schedule and the registry sensor behave as a deployment expects."""

from __future__ import annotations

import hashlib
import json

import pytest
from dagster import (
    AssetCheckSeverity,
    AssetKey,
    DagsterInstance,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    build_schedule_context,
    build_sensor_context,
)

from pipelines.assets import package_assets
from pipelines.definitions import defs
from pipelines.resources import TwindataRun, TwindataSettings
from twindata.contract import schema
from twindata.packages import CITY, PACKAGES, WORLD, run_configured
from twindata.settings import Settings, load_settings
from twindata.sources.transport.snapshots import Exchange, snapshot_id_of

from conftest import replace_in
from wikimedia_server import LoopbackWikimedia

TABLES = [t for t in schema.published_tables() if t != "redirects"]


def implied_checks(prefix: str = "") -> set[tuple[str, str]]:
    """The asset checks the schemas imply: each table's schema, each foreign key, the warning on data_issues."""
    out = {(f"{prefix}{t}", f"{t}_schema") for t in TABLES} | {(f"{prefix}data_issues", "nothing_quarantined")}
    for t in TABLES:
        for fk in schema.table_schema(t).get("foreignKeys", []):
            out.add((f"{prefix}{t}", f"{t}_{'_'.join(fk['fields'])}_foreign_key"))
    return out


def _materialize(job: str = "twinning_release_job", **settings):
    with DagsterInstance.ephemeral() as instance:
        return defs.resolve_job_def(job).execute_in_process(
            instance=instance, resources={"settings": TwindataSettings(**settings), "run": TwindataRun()},
            raise_on_error=False)


def _checks(result) -> dict:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_definitions_are_generated_from_every_declared_package():
    repo = defs.get_repository_def()
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    assert {"registry", "wikidata_entities", "commons_metadata", "core_tables", "release", *TABLES} <= keys
    assert {"world_registries", "world_wikidata", "world_wikipedia", "world_core_tables", "world_release",
            *(f"world_{t}" for t in TABLES)} <= keys
    listed = {(c.asset_key.to_user_string(), c.name) for c in repo.asset_graph.asset_check_keys}
    assert listed == implied_checks() | implied_checks("world_")  # exactly those the schemas imply
    for package in PACKAGES.values():
        assert repo.get_schedule_def(f"{package.prefix}weekly_release").default_status == DefaultScheduleStatus.STOPPED
        assert repo.get_sensor_def(f"{package.prefix}registry_changed").default_status == DefaultSensorStatus.STOPPED
    assert {j.name for j in repo.get_all_jobs()} >= {"twinning_release_job", "world_release_job", "world_partitions_job"}


def test_the_settings_resource_declares_every_setting_with_its_description():
    fields = TwindataSettings.model_fields
    assert list(fields) == list(Settings.model_fields)
    assert all(fields[n].description == Settings.model_fields[n].description for n in fields)


def test_materialize_publishes_a_release_after_every_check_passes(tmp_path):
    result = _materialize(out=str(tmp_path / "releases"))
    assert result.success
    checks = _checks(result)
    assert {(e.asset_key.to_user_string(), n) for n, e in checks.items()} <= implied_checks()
    assert len(checks) == len(implied_checks()) and all(e.passed for e in checks.values())
    release = result.asset_materializations_for_node("release")[0].metadata
    assert release["version"].value == "2.0.0" and release["partnerships_rows"].value == 15
    assert release["dagster/uri"].value.startswith("file://")
    tables = {m.asset_key.to_user_string(): m.metadata for m in result.asset_materializations_for_node("gated_tables")}
    assert set(tables) == set(TABLES)
    assert tables["partnerships"]["dagster/row_count"].value == 15 and "path" in tables["partnerships"]
    columns = tables["assertions"]["dagster/column_schema"].schema.columns
    assert columns[0].name == "assertion_id" and not columns[0].constraints.nullable and columns[0].description
    registry = result.asset_materializations_for_node("registry")[0].metadata
    assert registry["registry_folder"].value.endswith("dortmund") and registry["partnerships_rows"].value == 14
    versions = json.loads((tmp_path / "releases" / "dortmund-twinning" / "versions.json").read_text())
    assert versions["latest"] == "2.0.0"


def test_dagster_and_the_cli_make_exactly_the_same_requests(tmp_path):
    """Live against a loopback Wikimedia: the release job's steps share one client and one cache, as the CLI's run
    does, and ask the server the same questions."""
    with LoopbackWikimedia() as server:
        env = {k.removeprefix("TWINDATA_").lower(): v for k, v in server.env().items()}
        settings = {**env, "live": True, "contact": "ops@example.org"}
        cli = run_configured(load_settings(out=tmp_path / "cli", cache_dir=tmp_path / "cache-cli", **settings))
        asked_by_cli = [(path, sorted(params.items())) for path, params, _ in server.requests]
        server.requests.clear()
        result = _materialize(out=str(tmp_path / "dagster"), cache_dir=str(tmp_path / "cache-dagster"), **settings)
        asked_by_dagster = [(path, sorted(params.items())) for path, params, _ in server.requests]
    assert result.success and cli.publish.published
    assert asked_by_dagster == asked_by_cli and len(asked_by_cli) == cli.requests["wikidata"] + cli.requests["commons"]
    assert len(list((tmp_path / "cache-dagster").glob("*.json"))) == 1  # one cache, kept once


def test_a_blocking_check_fails_on_real_data_and_stops_the_release(tmp_path, registry_copy):
    # the city's records credit a picture under a non-commercial licence: the release may not publish it
    replace_in(registry_copy / "images.csv", "Free Art Licence,https://artlibre.org/licence/lal/en/",
               "CC BY-NC 2.0,https://creativecommons.org/licenses/by-nc/2.0/")
    result = _materialize(out=str(tmp_path / "releases"), registry=str(registry_copy))
    failed = [e for e in _checks(result).values() if not e.passed]
    assert [e.check_name for e in failed] == ["images_schema"]  # the licence policy is part of the table's check
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


@pytest.mark.parametrize("package", [CITY, WORLD], ids=lambda p: p.name)
def test_weekly_schedule_skips_without_a_contact_and_runs_live_with_one(monkeypatch, package):
    weekly = defs.get_repository_def().get_schedule_def(f"{package.prefix}weekly_release")
    monkeypatch.delenv("TWINDATA_CONTACT", raising=False)
    skipped = weekly.evaluate_tick(build_schedule_context(resources={"settings": TwindataSettings()}))
    assert not skipped.run_requests and "TWINDATA_CONTACT" in skipped.skip_message
    monkeypatch.setenv("TWINDATA_CONTACT", "opendata@example.org")
    ticked = weekly.evaluate_tick(build_schedule_context(resources={"settings": TwindataSettings()}))
    [request] = ticked.run_requests
    assert request.run_config["resources"]["settings"]["config"]["live"] is True
    assert weekly.cron_schedule == ("0 4 * * 1" if package is CITY else "0 5 * * 1")
    assert weekly.job_name == f"{package.group}_release_job"


@pytest.mark.parametrize("package", [CITY, WORLD], ids=lambda p: p.name)
def test_sensor_starts_a_run_only_when_the_registry_changes(registry_copy, package):
    settings = TwindataSettings(registry=str(registry_copy))
    sensor = defs.get_repository_def().get_sensor_def(f"{package.prefix}registry_changed")

    def tick(cursor):
        return sensor.evaluate_tick(build_sensor_context(cursor=cursor, resources={"settings": settings}))

    first = tick(None)  # switched on: remembers the registry, starts nothing
    assert not first.run_requests and first.cursor and "first look" in first.skip_message
    same = tick(first.cursor)
    assert not same.run_requests and "unchanged" in same.skip_message
    if package.name != "world":  # the city's sensor names the folder it watches
        assert str(registry_copy) in first.skip_message and str(registry_copy) in same.skip_message
    assert "TWINDATA_REGISTRY" in sensor.description and "replay the bundled snapshot" in sensor.description
    replace_in(registry_copy / "partnerships.csv", "Twinning signed 2 June 2014.", "Twinning signed on 2 June 2014.")
    changed = tick(first.cursor)
    assert changed.run_requests and changed.cursor != first.cursor


def _world_wikidata():
    return next(a for a in package_assets(WORLD) if a.key == AssetKey("world_wikidata"))


def test_the_world_partitions_backfill_as_one_run_and_the_world_release_reads_them(tmp_path):
    from dagster import materialize

    wikidata = _world_wikidata()
    assert wikidata.partitions_def.get_partition_keys()[:3] == ["AD", "AE", "AF"]
    assert wikidata.node_def.pool == "wdqs"
    resources = {"settings": TwindataSettings(out=str(tmp_path / "out")), "run": TwindataRun()}
    with DagsterInstance.ephemeral() as instance:
        backfill = materialize([wikidata], instance=instance, resources=resources,
                               tags={"dagster/asset_partition_range_start": "AD",
                                     "dagster/asset_partition_range_end": "ZW"})
        assert backfill.success
        meta = backfill.asset_materializations_for_node("world_wikidata")
        assert len(meta) == len(wikidata.partitions_def.get_partition_keys())  # every partition, in one run
        assert meta[0].metadata["statements"].value > 5000
        job = defs.resolve_job_def("world_release_job")
        released = job.execute_in_process(instance=instance, resources=resources)
    assert released.success
    checks = {(e.asset_key.to_user_string(), e.check_name): e for e in released.get_asset_check_evaluations()}
    assert set(checks) == implied_checks("world_")
    assert all(e.passed for (_, name), e in checks.items() if name != "nothing_quarantined")
    meta = released.asset_materializations_for_node("world_release")[0].metadata
    assert meta["version"].value == "2.0.0" and meta["partnerships_rows"].value > 30000
    assert (tmp_path / "out" / "world-twinning" / "2.0.0" / "datapackage.json").is_file()


def test_a_world_partition_asked_within_the_freshness_window_is_not_asked_again(tmp_path):
    """Live, the partition asset honours WDQS_FRESHNESS_DAYS as the CLI does."""
    from dagster import materialize

    with LoopbackWikimedia() as server:
        env = {k.removeprefix("TWINDATA_").lower(): v for k, v in server.env().items()}
        settings = TwindataSettings(**{**env, "live": True, "cache_dir": str(tmp_path / "cache"), "max_retries": 0})
        with DagsterInstance.ephemeral() as instance:
            for _ in range(2):
                result = materialize([_world_wikidata()], instance=instance, partition_key="LU",
                                     resources={"settings": settings, "run": TwindataRun()})
                assert result.success
        asked = server.count("/sparql")
    meta = result.asset_materializations_for_node("world_wikidata")[0].metadata["requests"].value
    assert asked == 1 and meta == {"wdqs": 0, "partitions_asked": 0, "partitions_fresh": 1}
