"""Wikimedia Commons: fetch ``imageinfo`` with ``extmetadata`` (50 titles a request) and parse it into image records.

extmetadata values are HTML: authors and credits are reduced to plain text (the link of a single linked author is
kept as a URL). Booleans arrive as strings; AttributionRequired and LicenseUrl may be absent. Both response shapes
parse: formatversion 1 (pages keyed by id, negative ids for missing files) and 2 (a list, ``missing: true``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from twindata.contract.errors import SourceError
from twindata.contract.licences import spdx_id
from twindata.sources import BATCH, Context, held_value, in_batches
from twindata.sources.transport.http import WikimediaClient

PARSER_VERSION = 2  # bump when parsing changes, so that cached image metadata is parsed again
IIPROP = "url|size|mime|sha1|timestamp|extmetadata"
EXTMETADATA = "ImageDescription|Artist|Credit|LicenseShortName|LicenseUrl|AttributionRequired|Copyrighted|UsageTerms|ObjectName"

@dataclass
class CommonsImage:
    """What Commons says about one file."""

    title: str
    page_url: str | None = None
    image_url: str | None = None
    width: int | None = None
    height: int | None = None
    file_size_bytes: int | None = None
    mime_type: str | None = None
    sha1: str | None = None
    timestamp: str | None = None
    description: str | None = None
    object_name: str | None = None
    author: str | None = None
    author_url: str | None = None
    credit: str | None = None
    licence_name: str | None = None
    licence_url: str | None = None
    attribution_required: bool = True
    copyrighted: bool = True
    held: list = field(default_factory=list)  # (field, value, why): values of the wrong kind, held back

    @property
    def licence_spdx(self) -> str | None:
        return spdx_id(self.licence_name)


class _Text(HTMLParser):
    """HTML -> plain text: entities decoded, list items and line breaks joined by '; ', links collected, the content
    of script and style elements dropped."""

    BREAKS = {"li", "br", "p", "div", "tr"}
    HIDDEN = {"script", "style", "template", "noscript"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        if tag in self.BREAKS:
            self.parts.append("\n")
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


_MARKUP = re.compile(r"<[a-zA-Z!/?]")


def html_to_text(value: str | None) -> tuple[str | None, list[str]]:
    """Plain text of an extmetadata HTML value and the link targets in it. Markup that was escaped in the HTML
    (``&lt;script&gt;``) comes out of the first pass as markup: it is read again, so that no tag is left in the text."""
    if value is None:
        return None, []
    text, links = value, []
    for _ in range(4):
        parser = _Text()
        parser.feed(text)
        parser.close()
        links += parser.links
        lines = [re.sub(r"\s+", " ", line).strip() for line in "".join(parser.parts).split("\n")]
        text = "; ".join(line for line in lines if line)
        if not _MARKUP.search(text):
            break
    else:
        text = _MARKUP.sub("", text)  # still markup after four readings: no tag may stay, whatever it hid
    return (text or None), links


def _absolute(url: str) -> str:
    return f"https:{url}" if url.startswith("//") else url


def _flag(meta: dict, key: str, default: bool) -> bool:
    value = meta.get(key, {}).get("value")
    if value is None:
        return default
    return str(value).strip().lower() in ("true", "1", "yes")


def parse_page(page: dict) -> CommonsImage | None:
    """One page object of a ``prop=imageinfo`` answer; None for a missing file or a page without imageinfo. A value
    of the wrong kind (a width that is no number, an HTML field that is no text) is held back, with why."""
    infos = page.get("imageinfo") if isinstance(page, dict) else None
    info = infos[0] if isinstance(infos, list) and infos and isinstance(infos[0], dict) else None
    if info is None or not isinstance(page.get("title"), str):
        return None
    held: list[tuple[str, str, str]] = []
    raw_meta = info.get("extmetadata")
    meta = {k: v for k, v in raw_meta.items() if isinstance(v, dict)} if isinstance(raw_meta, dict) else {}

    def text_of(key: str) -> tuple[str | None, list[str]]:
        value = meta.get(key, {}).get("value")
        if value is not None and not isinstance(value, str):
            held.append(held_value(key, value, f"extmetadata {key} is not text"))
            return None, []
        return html_to_text(value)

    def number(key: str, name: str) -> int | None:
        value = info.get(key)
        if value is None or isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        held.append(held_value(name, value, f"imageinfo {key} is not a whole number"))
        return None

    def string(value, name: str) -> str | None:
        if value is None or isinstance(value, str):
            return value
        held.append(held_value(name, value, "not text"))
        return None

    text = {k: text_of(k) for k in ("Artist", "Credit", "ImageDescription", "ObjectName")}
    author, author_links = text["Artist"]
    licence_url = string(meta.get("LicenseUrl", {}).get("value"), "licence_url")
    return CommonsImage(
        title=page["title"],
        page_url=string(info.get("descriptionurl"), "commons_page_url"),
        image_url=string(info.get("url"), "image_url"),
        width=number("width", "width"),
        height=number("height", "height"),
        file_size_bytes=number("size", "file_size_bytes"),
        mime_type=string(info.get("mime"), "mime_type"),
        sha1=string(info.get("sha1"), "sha1"),
        timestamp=string(info.get("timestamp"), "timestamp"),
        description=text["ImageDescription"][0],
        object_name=text["ObjectName"][0],
        author=author,
        author_url=_absolute(author_links[0]) if len(author_links) == 1 and "redlink=1" not in author_links[0] else None,
        credit=text["Credit"][0],
        licence_name=string(meta.get("LicenseShortName", {}).get("value"), "licence_name"),
        licence_url=_absolute(licence_url) if licence_url else None,
        attribution_required=_flag(meta, "AttributionRequired", True),
        copyrighted=_flag(meta, "Copyrighted", True),
        held=held,
    )


@dataclass
class CommonsResult:
    """Commons metadata by title asked, titles Commons reports missing, titles a snapshot cannot answer."""

    images: dict[str, CommonsImage] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    not_in_snapshot: set[str] = field(default_factory=set)
    requests: int = 0
    requests_saved: int = 0


def _query(answer) -> dict:
    """An answer's ``query`` object; an answer of another shape is a SourceError (nothing of it is used)."""
    query = answer.get("query", {}) if isinstance(answer, dict) else None
    pages = query.get("pages", []) if isinstance(query, dict) else None
    if not isinstance(pages, (dict, list)):
        raise SourceError(f"imageinfo: the answer is not an API query answer (no query.pages object or list in "
                          f"{str(answer)[:80]!r})")
    return query


def _pages(answer) -> list[dict]:
    """The answer's page objects (the legacy format keys them by page id); an entry without a title names no file
    asked and is passed over, so the file it would be stays missing."""
    pages = _query(answer).get("pages", [])
    pages = pages.values() if isinstance(pages, dict) else pages
    return [p for p in pages if isinstance(p, dict) and isinstance(p.get("title"), str)]


def _renames(query: dict) -> dict[str, str]:
    """``normalized`` and ``redirects`` as {from: to} (entries of another shape passed over)."""
    steps = [query.get(step) for step in ("normalized", "redirects")]
    return {e["from"]: e["to"] for entries in steps if isinstance(entries, list) for e in entries
            if isinstance(e, dict) and isinstance(e.get("from"), str) and isinstance(e.get("to"), str)}


def parse_imageinfo(answer: dict | list[dict], asked: list[str]) -> tuple[dict[str, CommonsImage], set[str]]:
    """Map an imageinfo answer (or an answer and its continuations) back to the titles asked, following
    ``normalized`` and ``redirects``. A page keeps the first imageinfo it got: the current version of the file."""
    answers = answer if isinstance(answer, list) else [answer]
    renamed, by_title = {}, {}
    for a in answers:
        renamed.update(_renames(_query(a)))
        for page in _pages(a):
            kept = by_title.get(page["title"])
            if kept is None or ("imageinfo" in page and "imageinfo" not in kept):
                by_title[page["title"]] = page
    found, missing = {}, set()
    for title in asked:
        final, seen = title, {title}
        while final in renamed and renamed[final] not in seen:  # a cycle of redirects ends where it turns
            final = renamed[final]
            seen.add(final)
        page = by_title.get(final)
        # "missing" with "known" and an imageinfo: a file of a shared repository (Commons seen from a wiki); only a
        # page without imageinfo is really missing
        image = parse_page(page) if page else None
        if image is None:
            missing.add(title)
        else:
            found[title] = image
    return found, missing


def _complete(asked_count: int):
    """Whether continuation can stop: every page of the batch has its imageinfo (older versions are not wanted)."""
    def done(answers: list[dict]) -> bool:
        pages = {}
        for a in answers:
            for p in _pages(a):
                pages[p["title"]] = pages.get(p["title"]) or ("imageinfo" in p or ("missing" in p and "known" not in p))
        return len(pages) >= asked_count and all(pages.values())
    return done


def fetch_images(client: WikimediaClient, titles: list[str], cache=None) -> tuple[dict[str, CommonsImage], set[str], set[str]]:
    """Fetch imageinfo for ``titles`` in batches of 50, following ``continue`` until each page has its imageinfo:
    found images, missing titles, titles a snapshot cannot answer. With a ``cache``, titles asked about within its
    freshness window are not asked again."""
    found, missing, wanted = {}, set(), []
    for title in sorted(set(titles)):
        known, cached = cache.image(title) if cache is not None else (False, None)
        if not known:
            wanted.append(title)
        elif cached is None:
            missing.add(title)
        else:
            found[title] = cached

    def fetch(batch: list[str]) -> tuple[list[str], dict[str, CommonsImage], set[str]]:
        params = {"action": "query", "prop": "imageinfo", "iiprop": IIPROP, "iiextmetadatafilter": EXTMETADATA,
                  "iiextmetadatalanguage": "en", "titles": "|".join(batch)}
        answers = client.get_continued(client.config.commons_api, params, _complete(len(batch)))
        return (batch, *parse_imageinfo(answers, batch))

    answers, not_in_snapshot = in_batches(wanted, fetch)
    for batch, batch_found, batch_missing in answers:
        found.update(batch_found)
        missing |= batch_missing
        if cache is not None:
            for title in batch:
                cache.put_image(title, batch_found.get(title))
    return found, missing, not_in_snapshot


def titles_to_describe(registries: list, entities) -> list[str]:
    """Every Commons file a release describes: the cities' Wikidata images (``entities``, a Wikidata fetch result)
    and the files the registries name."""
    titles = {f"File:{e.image}" for e in entities.entities.values() if e.image}
    titles |= {t for reg in registries for t in reg.images["commons_file_title"] if t}
    return sorted(titles)


@dataclass(frozen=True)
class CommonsMetadata:
    """Commons' description (imageinfo + extmetadata, 50 titles a request) of every picture a release credits; a file
    described within the freshness window comes from the cache."""

    name: str = "commons_metadata"
    needs: tuple[str, ...] = ("registry", "wikidata_entities")
    description: str = "Wikimedia Commons imageinfo + extmetadata of every image the release describes."

    def read(self, context: Context, given: Mapping[str, Any]) -> CommonsResult:
        titles = titles_to_describe([given[self.needs[0]]], given[self.needs[1]])
        client, cache = context.client, context.cache
        before = client.requests_made
        found, missing, not_in_snapshot = fetch_images(client, titles, cache)
        reused = cache.images_reused if cache is not None else 0
        saved = math.ceil(len(titles) / BATCH) - math.ceil((len(titles) - reused) / BATCH)
        result = CommonsResult(found, missing, not_in_snapshot, requests=client.requests_made - before,
                               requests_saved=saved)
        context.requests.update(commons=result.requests, commons_saved=result.requests_saved)
        return result

    def summary(self, result: CommonsResult) -> dict:
        return {"images": len(result.images), "missing": sorted(result.missing), "requests": result.requests,
                "requests_saved": result.requests_saved}
