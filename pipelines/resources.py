"""Resources: ``settings`` (the library's one settings model, ``twindata.settings.Settings``, as a Dagster resource)
and ``run`` (the run context: one HTTP client, the cache and the counters, shared by every step of a run, so that a
Dagster run makes exactly the requests the CLI makes).

Each settings field is declared here with its type; its description is the model's own, and a test holds the two
field lists equal. A field left empty falls back to its ``TWINDATA_*`` environment variable and then to the model's
default.
"""


from dagster import ConfigurableResource
from pydantic import Field, PrivateAttr

from twindata.context import RunContext
from twindata.settings import Settings, load_settings


def _about(name: str):
    """A resource field that is empty unless set, described as the settings model describes it."""
    return Field(default=None, description=Settings.model_fields[name].description)


class TwindataSettings(ConfigurableResource):
    """How a run reaches its inputs and where it publishes (twindata's Settings)."""

    package: str | None = _about("package")
    registry: str | None = _about("registry")
    registries: list[str] | None = _about("registries")
    out: str | None = _about("out")
    live: bool | None = _about("live")
    snapshot: str | None = _about("snapshot")
    contact: str | None = _about("contact")
    wikidata_api: str | None = _about("wikidata_api")
    commons_api: str | None = _about("commons_api")
    sparql_url: str | None = _about("sparql_url")
    timeout: float | None = _about("timeout")
    max_retries: int | None = _about("max_retries")
    cache_dir: str | None = _about("cache_dir")
    commons_freshness_days: float | None = _about("commons_freshness_days")
    world_snapshot: str | None = _about("world_snapshot")
    wdqs_freshness_days: float | None = _about("wdqs_freshness_days")
    base_url: str | None = _about("base_url")
    lock_timeout: float | None = _about("lock_timeout")

    def settings(self) -> Settings:
        """The run's settings: the fields set here, else the environment, else the defaults."""
        return load_settings(**{name: getattr(self, name) for name in Settings.model_fields})


class TwindataRun(ConfigurableResource):
    """The run context of one Dagster run: made by the first step that asks for it and shared by the others (the
    in-process executor initialises a resource once per run)."""

    _context: RunContext | None = PrivateAttr(default=None)

    def context(self, settings: TwindataSettings, log=None) -> RunContext:
        if self._context is None:
            self._context = RunContext(settings.settings())
        if log is not None:
            self._context.on_progress = log.info
        return self._context
