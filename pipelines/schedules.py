"""Schedules: the weekly refresh of the release (Mondays 04:00 UTC)."""

from dagster import ScheduleDefinition

from pipelines.jobs import twinning_release_job

weekly_release = ScheduleDefinition(name="weekly_release", job=twinning_release_job, cron_schedule="0 4 * * 1",
                                    execution_timezone="UTC", description="Weekly refresh from Wikidata and Commons.")
