"""Sources: read what the outside world says, as it says it, and turn it into plain records. Nothing here reconciles.

The seam: a source is a value satisfying ``Source`` (a name, the sources it reads after, and ``read(context,
given)``); a package (``twindata.packages``) lists its sources, and the CLI and Dagster both read them through the same
run context (``Context``: settings, one HTTP client, the cache, the clock). A source that is asked in partitions
(``PartitionedSource``) also refreshes one partition at a time into its store. Each source is a module here:
``registry`` (a city's own records), ``wikidata`` (entities and their P190 statements), ``commons`` (image metadata),
``wdqs`` (P190 statements by country, from the query service), ``wikipedia`` (the lists of twin towns), with
``extracts`` (reading a world snapshot folder) and ``cache`` beside them and ``transport`` (HTTP client, snapshots)
below. A source that speaks about partnerships emits ``Claim``s: one per statement, naming both cities in the
source's own terms (a registry's key, a QID, or a name), with where and when it was read; ``twindata.reconcile``
turns them into tables. Also here: the batching the Wikimedia APIs share.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from twindata.sources.transport.snapshots import SnapshotMiss

BATCH = 50  # wbgetentities ids and imageinfo titles per request (the API's limit for ordinary clients)
T = TypeVar("T")

CityRef = str | tuple[str, str]  # a QID, or (registry name, the registry's own key)


class Context(Protocol):
    """What a run hands every source (``twindata.context.RunContext``)."""

    settings: Any  # twindata.settings.Settings
    requests: dict[str, int]  # what the run asked, by counter (printed by the CLI, shown by Dagster)
    now: datetime  # the run's clock

    @property
    def stamp(self) -> str:  # the run's clock as ISO 8601 UTC to the second
        ...

    @property
    def client(self) -> Any:  # twindata.sources.transport.http.WikimediaClient, live or replaying
        ...

    @property
    def cache(self) -> Any:  # twindata.sources.cache.Cache of a live run, else None
        ...

    def progress(self, message: str) -> None:
        ...


class Source(Protocol):
    """One source of a package: ``read`` returns what it says (its own record type), given the results of the
    sources it ``needs``. ``summary`` is what a run reports of a result (Dagster shows it as metadata)."""

    name: str
    needs: tuple[str, ...]
    description: str

    def read(self, context: Context, given: Mapping[str, Any]) -> Any:
        ...

    def summary(self, result: Any) -> dict:
        ...


class PartitionedSource(Source, Protocol):
    """A source asked in partitions (one query each, one at a time) into a store that ``read`` then reads whole."""

    def partitions(self) -> list[str]:
        ...

    def refresh(self, context: Context, keys: list[str]) -> dict[str, int]:
        """Ask each partition named that is not fresh; the requests made and partitions asked and found fresh."""


@dataclass(frozen=True, slots=True)
class Claim:
    """One statement of one source that two cities are partners: what it says, and where and when it was read.

    ``phase`` names the registry row a registry's claim belongs to, as (registry, the row's phase_id);
    ``defines_phase`` marks the registry's own row in partnerships.csv (its reconciled statement), as
    opposed to a further claim of a page it cites. Community claims (Wikidata, Wikipedia's lists) have no phase:
    core places them. An undirected claim (a list that names a pair) says nothing about reciprocity."""

    assertion_id: str
    source: str
    source_name: str
    stated_by: CityRef
    partner: CityRef
    type: str | None = None
    status: str | None = None
    status_since_year: int | None = None
    start_year: int | None = None
    start_date: date | None = None
    end_year: int | None = None
    end_date: date | None = None
    phase: tuple | None = None
    defines_phase: bool = False
    wikidata_rank: str | None = None
    reference_count: int | None = None
    reference_url: str | None = None
    source_url: str | None = None
    source_revision: str | None = None
    snapshot_id: str | None = None
    note: str | None = None
    directed: bool = True  # False where the source lists the pair without saying which side states it


    @property
    def confirmed(self) -> bool:
        """Whether a city's own records make the claim."""
        return self.source == "registry"


def in_batches(items: list[str], fetch: Callable[[list[str]], T]) -> tuple[list[T], set[str]]:
    """``fetch`` each batch of 50 items; the answers, and the items a replayed snapshot cannot answer. A batch the
    snapshot lacks is asked again item by item: the snapshot may hold them in other batches."""
    answers, unanswered = [], set()
    for start in range(0, len(items), BATCH):
        batch = items[start:start + BATCH]
        try:
            answers.append(fetch(batch))
        except SnapshotMiss:
            for item in batch:
                try:
                    answers.append(fetch([item]))
                except SnapshotMiss:
                    unanswered.add(item)
    return answers, unanswered


def held_value(name: str, value, why: str) -> tuple[str, str, str]:
    """A value of the wrong kind, held back instead of published: (field, the value as the source gave it, shown
    with ``repr`` and cut at 200 characters, why)."""
    return name, repr(value)[:200], why
