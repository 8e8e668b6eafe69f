"""Sources: read what the outside world says, as it says it, and turn each response into plain records.

Fetchers ask the shared ``WikimediaClient``; parsers are pure functions over the decoded JSON, tested against
real recorded responses. Reconciliation with the registry belongs in ``twindata.core``. Here: the batching both
APIs share.
"""

from __future__ import annotations

from typing import Callable, TypeVar

from twindata.http import SnapshotMiss

BATCH = 50  # wbgetentities ids and imageinfo titles per request (the API's limit for ordinary clients)
T = TypeVar("T")


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
