"""The Dagster layer of twindata, generated from the declared packages (``twindata.packages``): assets
(``assets``), asset checks from the schemas (``checks``), jobs, schedules and sensors (``automation``), resources
and the code location (``definitions``).

Business logic stays in the ``twindata`` library; each asset here is a few lines that call it. Installed with the
``dagster`` extra.
"""
