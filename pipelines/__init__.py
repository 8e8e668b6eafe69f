"""The Dagster layer of twindata, generated from the declared packages (``twindata.packages``): assets
(``assets``), asset checks from the schemas (``checks``), jobs, schedules and sensors (``automation``), resources
and the code location (``definitions``).

Business logic stays in the ``twindata`` library; each asset here is a few lines that call it. Its imports are
relative: the repository folder is ``pipelines/`` (``workspace.yaml`` loads it from a checkout), the installed
package ``twindata_pipelines`` (its own ``workspace.yaml``, whose path ``python -m twindata_pipelines`` prints).
Used with the ``dagster`` extra.
"""
