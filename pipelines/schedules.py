"""Schedules: the weekly live refresh (Mondays 04:00 UTC). It reads Wikidata and Commons live with the deployment's
contact; without a configured contact it skips, naming the missing setting. Starts switched off."""

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, SkipReason, schedule

from pipelines.jobs import twinning_release_job
from pipelines.resources import TwindataSettings


@schedule(job=twinning_release_job, cron_schedule="0 4 * * 1", execution_timezone="UTC",
          default_status=DefaultScheduleStatus.STOPPED,
          description="Weekly live refresh from Wikidata and Commons; needs TWINDATA_CONTACT.")
def weekly_release(context: ScheduleEvaluationContext, settings: TwindataSettings):
    if not settings.settings().contact:
        return SkipReason("a live refresh needs a contact for Wikimedia's User-Agent policy: set TWINDATA_CONTACT "
                          "(or the settings resource's contact) in the deployment")
    return RunRequest(run_config={"resources": {"settings": {"config": {"live": True}}}},
                      tags={"twindata/mode": "live"})
