"""Wikipedia's lists of twin towns and sister cities: the pairs a scrape of English Wikipedia's list pages names
(city and country strings only, CC BY-SA 4.0, Wikipedia contributors), read from the bundled world snapshot (or the
world snapshot the settings name). The lists have no live source here. Turning names into cities is
``twindata.reconcile.places``'.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from twindata.contract.bundled import world_snapshot
from twindata.sources import Context
from twindata.sources.extracts import WorldSnapshot, read_world_snapshot

URL = "https://en.wikipedia.org/wiki/Lists_of_twin_towns_and_sister_cities"
NAME = "Wikipedia: lists of twin towns and sister cities"
PAGE = "https://en.wikipedia.org/wiki/List_of_twin_towns_and_sister_cities_in_"
# countries whose list page's title names them with "the" (the scrape's country1 is the title without it)
WITH_THE = frozenset({"Czech Republic", "Faroe Islands", "Netherlands", "Republic of Ireland", "United Kingdom",
                      "United States"})


def page_url(country1: str | None) -> str:
    """The list page that holds a row: the scrape read every row from a country's page ("List of twin towns and
    sister cities in (the) <country1>"), the first city being that page's; the index of the lists where the row
    names no country."""
    if not country1:
        return URL
    title = ("the " if country1 in WITH_THE else "") + country1
    return PAGE + quote(title.replace(" ", "_"), safe="_()',-.")


@dataclass(frozen=True)
class WikipediaLists:
    """The pairs of Wikipedia's lists, checked against schemas/input-wikipedia-pairs.json."""

    name: str = "wikipedia"
    needs: tuple[str, ...] = ()
    description: str = "Pairs of English Wikipedia's lists of twin towns and sister cities (names and country strings)."

    def read(self, context: Context, given: Mapping[str, Any]) -> WorldSnapshot:
        return read_world_snapshot(context.settings.world_snapshot or world_snapshot(), partitions=[])

    def summary(self, result: WorldSnapshot) -> dict:
        return {"pairs": len(result.pairs), "quarantined": len(result.issues.rows), "snapshot": result.snapshot_id}
