"""The Dagster layer of twindata: assets, asset checks, schedules, sensors and resources.

Business logic stays in the ``twindata`` library; each asset here is a few lines that call it.
"""
