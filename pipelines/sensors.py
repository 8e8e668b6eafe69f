"""Sensors: start a run when the city's registry changes. The cursor holds the sha256 of the registry's files; the
first evaluation only records it (switching the sensor on starts nothing). Starts switched off."""

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from twindata.sources.registry import registry_digest

from pipelines.jobs import twinning_release_job
from pipelines.resources import TwindataSettings


@sensor(job=twinning_release_job, minimum_interval_seconds=60, default_status=DefaultSensorStatus.STOPPED,
        description="Runs the release job when registry.json or a registry CSV changes.")
def registry_changed(context: SensorEvaluationContext, settings: TwindataSettings):
    digest = registry_digest(settings.settings().registry_path())
    if context.cursor is None:
        context.update_cursor(digest)
        return SkipReason(f"first look at the registry (sha256 {digest[:12]}); a run starts when it changes")
    if digest == context.cursor:
        return SkipReason(f"registry unchanged (sha256 {digest[:12]})")
    context.update_cursor(digest)
    return RunRequest(tags={"twindata/registry_sha256": digest})  # no run key: a registry changed back runs again
