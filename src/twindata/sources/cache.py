"""The incremental cache of live runs: parsed Wikidata entities by lastrevid, Commons metadata by title and time.

A live run re-uses an entity whose ``lastrevid`` is unchanged instead of parsing it again, and does not ask Commons
again about a file title it asked about within the freshness window (the file's sha1 and timestamp are kept with
it as a record of which version was described). One JSON file per pair of endpoints, replaced atomically. The file
records the parsers' versions: a cache written by other parsers is dropped, so that a parser fix reaches every
cached entity and image.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import typing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from twindata.contract.files import write_json_atomic
from twindata.sources import commons, wikidata
from twindata.sources.commons import CommonsImage
from twindata.sources.wikidata import Entity, Moment, Twinning

PARSERS = {"wikidata": wikidata.PARSER_VERSION, "commons": commons.PARSER_VERSION}


class Cache:
    """Entities and image metadata from earlier live runs against one pair of endpoints."""

    def __init__(self, folder: Path, endpoints: str, freshness_days: float, now: datetime | None = None):
        key = hashlib.sha256(endpoints.encode()).hexdigest()[:16]
        self.file = Path(folder) / f"live-{key}.json"
        self.freshness = timedelta(days=freshness_days)
        self.now = now or datetime.now(UTC)
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("parsers") != PARSERS:
                raise ValueError("written by other parsers")
            self.entities: dict[str, dict] = dict(data["entities"])
            self.images: dict[str, dict] = dict(data["images"])
        except (OSError, ValueError, KeyError, TypeError):  # none yet, or unreadable: start afresh
            self.entities, self.images = {}, {}
        self.entities_reused = 0
        self.images_reused = 0

    # Wikidata: re-use the parsed entity of an unchanged revision
    def entity(self, qid: str, revision: int | None) -> Entity | None:
        cached = self.entities.get(qid)
        if revision is None or not isinstance(cached, dict) or cached.get("revision") != revision:
            return None
        try:
            entity = _entity_from(cached)
        except (KeyError, TypeError, ValueError):  # written by another version of twindata
            return None
        if not well_typed(entity) or not all(well_typed(t) for t in entity.twinnings):
            return None  # a cache entry of the wrong shape: parsed again from the answer
        self.entities_reused += 1
        return entity

    def put_entity(self, qid: str, entity: Entity) -> None:
        if entity.revision is not None:
            self.entities[qid] = dataclasses.asdict(entity)

    # Commons: a file described (or found missing) within the freshness window is not asked again
    def image(self, title: str) -> tuple[bool, CommonsImage | None]:
        """(known, image): known is False when Commons must be asked; image is None for a file Commons lacked."""
        cached = self.images.get(title)
        try:
            if self.now - datetime.fromisoformat(cached["fetched"]) > self.freshness:
                return False, None
            image = CommonsImage(**cached["image"]) if cached["image"] else None
        except (KeyError, TypeError, ValueError):  # not cached, or written by another version of twindata
            return False, None
        if image is not None and not well_typed(image):
            return False, None  # a cache entry of the wrong shape: asked again
        self.images_reused += 1
        return True, image

    def put_image(self, title: str, image: CommonsImage | None) -> None:
        self.images[title] = {"fetched": self.now.isoformat(), "sha1": image and image.sha1,
                              "timestamp": image and image.timestamp, "image": image and dataclasses.asdict(image)}

    def save(self) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.file, {"parsers": PARSERS, "entities": self.entities, "images": self.images},
                          default=_json_default)


def _json_default(value):
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value))


def _moment(data: dict) -> Moment:
    day = data["date"]
    return Moment(data["year"], date.fromisoformat(day) if isinstance(day, str) else day)


def well_typed(obj) -> bool:
    """Whether every plain field of a dataclass holds a value of its declared type (None where it may): a cache
    file is outside input too."""
    for name, kinds in _plain_fields(type(obj)):
        value = getattr(obj, name)
        if value is None and type(None) in kinds or isinstance(value, bool) and bool in kinds:
            continue
        if isinstance(value, str) and str in kinds or (isinstance(value, int) and not isinstance(value, bool)
                                                       and (int in kinds or float in kinds)):
            continue
        if isinstance(value, float) and float in kinds:
            continue
        return False
    return True


@functools.cache
def _plain_fields(cls) -> list[tuple[str, tuple]]:
    """(name, the types it may hold) of each field of plain types (str, int, float, bool, None) of a dataclass; a
    nested value (a list, a Moment) has its own check. Worked out once a class: resolving annotations is slow."""
    hints = typing.get_type_hints(cls)
    fields = [(f.name, typing.get_args(hints[f.name]) or (hints[f.name],)) for f in dataclasses.fields(cls)]
    return [(name, kinds) for name, kinds in fields if all(k in (str, int, float, bool, type(None)) for k in kinds)]


def _entity_from(data: dict) -> Entity:
    twinnings = [Twinning(**{**t, "start": _moment(t["start"]), "end": _moment(t["end"])}) for t in data["twinnings"]]
    return Entity(**{**data, "twinnings": twinnings})
