"""Sensors: start a run when the city's registry changes (its files' sha256 differs from the last one seen)."""

from dagster import RunRequest, SensorEvaluationContext, SkipReason, sensor

from twindata.registry import registry_digest

from pipelines.jobs import twinning_release_job
from pipelines.resources import TwindataSettings


@sensor(job=twinning_release_job, minimum_interval_seconds=60,
        description="Runs the release job when registry.json or a registry CSV changes.")
def registry_changed(context: SensorEvaluationContext, settings: TwindataSettings):
    digest = registry_digest(settings.registry_path())
    if digest == context.cursor:
        return SkipReason(f"registry unchanged (sha256 {digest[:12]})")
    context.update_cursor(digest)
    return RunRequest(run_key=digest, tags={"twindata/registry_sha256": digest})
