"""The ``settings`` resource: the library's one settings model (``twindata.settings.Settings``) as a Dagster
resource. Its fields are generated from that model, so a setting is declared once; a field left empty falls back
to its ``TWINDATA_*`` environment variable and then to the model's default.
"""

from pathlib import Path
from typing import Literal, Optional, get_args, get_origin

from dagster import ConfigurableResource
from pydantic import Field

from twindata.settings import Settings, load_settings

_SIMPLE = (bool, int, float, str)


def _dagster_type(annotation) -> type:
    """A Dagster config type for a settings field: its simple type (paths as strings, a choice of strings as str)."""
    if get_origin(annotation) is Literal and all(isinstance(a, str) for a in get_args(annotation)):
        return str
    for kind in (annotation, *get_args(annotation)):
        if kind is Path:
            return str
        if kind in _SIMPLE:
            return kind
    raise TypeError(f"no Dagster config type for {annotation}")


def _fields() -> dict:
    annotations, defaults = {}, {}
    for name, info in Settings.model_fields.items():
        annotations[name] = Optional[_dagster_type(info.annotation)]
        defaults[name] = Field(default=None, description=info.description)
    return {"__annotations__": annotations, **defaults}


def _settings(self) -> Settings:
    """The run's settings: the fields set here, else the environment, else the defaults."""
    return load_settings(**{name: getattr(self, name) for name in Settings.model_fields})


TwindataSettings = type("TwindataSettings", (ConfigurableResource,), {
    "__module__": __name__, "__doc__": "How a run reaches its inputs and where it publishes (twindata's Settings).",
    **_fields(), "settings": _settings})
