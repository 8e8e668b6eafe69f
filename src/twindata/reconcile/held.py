"""Values a source held back as of the wrong kind (a Wikidata item's or a Commons file's), as ``quarantined_value``
rows of data_issues."""

from __future__ import annotations

from twindata.contract.issues import Issues
from twindata.sources.commons import CommonsImage
from twindata.sources.wikidata import Entity


def report_held(source: Entity | CommonsImage, record_id: str, issues: Issues) -> None:
    """The values of a Wikidata item (a city's, or a P190 statement's partner) or a Commons file that were of the
    wrong kind, each a quarantined_value row."""
    for name, value, why in source.held:
        if isinstance(source, CommonsImage):
            table, origin = "images", "commons"
        else:
            table, origin = ("assertions" if name == "partner_city_id" else "cities"), "wikidata"
        issues.add("quarantined_value", table, record_id, name, value, origin, why)
