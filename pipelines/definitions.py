"""The code location, generated from the declared packages (``twindata.packages.PACKAGES``): every asset, check,
job, schedule, sensor and resource, as ``workspace.yaml`` loads it.

Runs use the in-process executor: a package's steps share one run context (one client, one cache), and a process
per step costs more than it saves on small graphs. The WDQS partitions share the ``wdqs`` pool (limit it to 1 in the
instance's concurrency settings: ``dagster.yaml`` ``concurrency: pools: default_limit: 1``).
"""

from dagster import Definitions, in_process_executor

from twindata.packages import PACKAGES

from . import automation
from .assets import package_assets
from .resources import TwindataRun, TwindataSettings

HOURS = {"registry": 4, "world": 5}  # the weekly refreshes, an hour apart

assets, jobs, schedules, sensors = [], [], [], []
for _package in PACKAGES.values():
    assets += package_assets(_package)
    _jobs = automation.jobs(_package)
    jobs += _jobs
    schedules.append(automation.weekly_release(_package, _jobs[0], HOURS.get(_package.name, 6)))
    sensors.append(automation.registry_changed(_package, _jobs[0]))

defs = Definitions(assets=assets, jobs=jobs, schedules=schedules, sensors=sensors,
                   resources={"settings": TwindataSettings(), "run": TwindataRun()}, executor=in_process_executor)
