"""The code location: every asset, check, job, schedule, sensor and resource, as ``workspace.yaml`` loads it.

Runs use the in-process executor: these graphs are small and a process per step costs more than it saves; a
deployment that needs more sets a multiprocess, k8s or celery executor here.
"""

from dagster import Definitions, in_process_executor, load_asset_checks_from_modules, load_assets_from_modules

from pipelines import assets, checks
from pipelines.jobs import twinning_release_job
from pipelines.resources import TwindataSettings
from pipelines.schedules import weekly_release
from pipelines.sensors import registry_changed

defs = Definitions(
    assets=load_assets_from_modules([assets]),
    asset_checks=load_asset_checks_from_modules([checks]),
    jobs=[twinning_release_job],
    schedules=[weekly_release],
    sensors=[registry_changed],
    resources={"settings": TwindataSettings()},
    executor=in_process_executor,
)
