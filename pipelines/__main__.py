"""``python -m twindata_pipelines`` prints the path of the installed package's workspace.yaml, for
``dagster dev -w "$(python -m twindata_pipelines)"`` outside a checkout."""

from pathlib import Path

print(Path(__file__).with_name("workspace.yaml"))
