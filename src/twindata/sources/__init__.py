"""Sources: read what the outside world says, as it says it, and turn it into plain records.

Each source is a module here: ``registry`` (a city's own records), ``wikidata`` (entities and their P190
statements), ``commons`` (image metadata). A source that speaks about partnerships emits ``Claim``s, the shared
interface below: one per statement, naming both cities in the source's own terms (a registry's key or a QID), with
where and when it was read. Reconciling claims into published tables belongs in ``twindata.core``. Also here: the
batching the Wikimedia APIs share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable, TypeVar

from twindata.snapshots import SnapshotMiss

BATCH = 50  # wbgetentities ids and imageinfo titles per request (the API's limit for ordinary clients)
T = TypeVar("T")

CityRef = str | tuple[str, str]  # a QID, or (registry name, the registry's own key)


@dataclass(frozen=True)
class Claim:
    """One statement of one source that two cities are partners: what it says, and where and when it was read.

    ``phase`` names the registry row a registry's claim belongs to, as (registry, city key, partner key, type,
    start year); ``defines_phase`` marks the registry's own row in partnerships.csv (its reconciled statement), as
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
