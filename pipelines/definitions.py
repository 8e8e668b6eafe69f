"""The code location: every asset, check, job, schedule, sensor and resource, as ``workspace.yaml`` loads it.

Runs use the in-process executor by default: the registry's graph is small and a process per step costs more than
it saves. The world release job sets the multiprocess executor; the WDQS partitions share the ``wdqs`` pool
(limit it to 1 in the instance's concurrency settings: ``dagster.yaml`` ``concurrency: pools: default_limit: 1``).
"""

from dagster import Definitions, in_process_executor, load_asset_checks_from_modules, load_assets_from_modules

from pipelines import assets, checks, world
from pipelines.jobs import twinning_release_job, world_partitions_job, world_release_job
from pipelines.resources import TwindataSettings
from pipelines.schedules import weekly_release
from pipelines.sensors import registry_changed

defs = Definitions(
    assets=load_assets_from_modules([assets, world]),
    asset_checks=load_asset_checks_from_modules([checks]),
    jobs=[twinning_release_job, world_partitions_job, world_release_job],
    schedules=[weekly_release],
    sensors=[registry_changed],
    resources={"settings": TwindataSettings()},
    executor=in_process_executor,
)
