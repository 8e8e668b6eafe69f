"""Jobs, schedules and sensors, generated for every declared package alike.

- ``<group>_release_job``: every asset of the package but its partitioned ones, in-process (its steps share one run
  context); ``<prefix>partitions_job``: its partitioned source (a backfill of every partition is one run).
- ``<prefix>weekly_release``: a weekly live refresh (Mondays, the city package at 04:00 UTC, the world at 05:00); it
  needs a contact for Wikimedia's User-Agent policy and skips, naming the setting, without one. Starts switched off.
- ``<prefix>registry_changed``: a run when the registry the settings name changes (its sha256 in the cursor; the
  first evaluation only records it). It watches ``TWINDATA_REGISTRY`` (the world's: every bundled registry and
  ``TWINDATA_REGISTRIES``), by default the registry installed with twindata, which changes only with an upgrade; its
  runs take the settings' mode, replaying the bundled snapshot unless ``TWINDATA_LIVE`` is set. Starts switched off.
"""

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
    sensor,
)

from twindata.packages import Package
from twindata.sources.registry import registries_digest

from .assets import key, partitioned
from .resources import TwindataSettings


def jobs(package: Package) -> list:
    release = define_asset_job(
        f"{package.group}_release_job",
        selection=AssetSelection.groups(package.group) - AssetSelection.assets(*(key(package, s.name)
                                                                                for s in partitioned(package))),
        description=f"{package.description} Read, reconcile, check and publish a release.")
    refresh = [define_asset_job(
        f"{package.prefix}partitions_job", selection=AssetSelection.assets(*(key(package, s.name) for s in partitioned(package))),
        description="Ask each partition chosen that is not fresh (one query at a time) into the partition store.")]
    return [release] + (refresh if partitioned(package) else [])


def weekly_release(package: Package, job, hour: int):
    @schedule(name=f"{package.prefix}weekly_release", job=job, cron_schedule=f"0 {hour} * * 1",
              execution_timezone="UTC", default_status=DefaultScheduleStatus.STOPPED,
              description=f"Weekly live refresh of the {package.name} package; needs TWINDATA_CONTACT.")
    def _weekly(context: ScheduleEvaluationContext, settings: TwindataSettings):
        if not settings.settings().contact:
            return SkipReason("a live refresh needs a contact for Wikimedia's User-Agent policy: set TWINDATA_CONTACT "
                              "(or the settings resource's contact) in the deployment")
        return RunRequest(run_config={"resources": {"settings": {"config": {"live": True}}}},
                          tags={"twindata/mode": "live"})

    return _weekly


def registry_changed(package: Package, job):
    @sensor(name=f"{package.prefix}registry_changed", job=job, minimum_interval_seconds=60,
            default_status=DefaultSensorStatus.STOPPED,
            description=f"Runs the {package.name} package's release job when registry.json or a registry CSV "
                        "changes (the world's: of any registry, or a registry added or removed). Watches the registry "
                        "the settings name (TWINDATA_REGISTRY; by default the one installed with twindata, which "
                        "changes only with an upgrade); its runs replay the bundled snapshot unless the settings say "
                        "live (TWINDATA_LIVE=1 with TWINDATA_CONTACT).")
    def _changed(context: SensorEvaluationContext, settings: TwindataSettings):
        given = settings.settings()
        watched = given.world_registry_paths() if package.name == "world" else [given.registry_path()]
        digest = registries_digest(watched)
        where = str(watched[0]) if len(watched) == 1 else f"{len(watched)} registries"
        if context.cursor is None:
            context.update_cursor(digest)
            return SkipReason(f"first look at {where} (sha256 {digest[:12]}); a run starts when it changes")
        if digest == context.cursor:
            return SkipReason(f"{where} unchanged (sha256 {digest[:12]})")
        context.update_cursor(digest)
        return RunRequest(tags={"twindata/registry_sha256": digest})  # no run key: a registry changed back runs again

    return _changed
