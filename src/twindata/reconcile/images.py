"""Images: the pictures a release credits, from the registries' own credits and the cities' Wikidata images, each
described by Commons where it can be (licence, author, file), with a ready attribution line."""

from __future__ import annotations

import pandas as pd

from twindata.contract import licences, schema
from twindata.contract.identity import Crosswalk
from twindata.contract.issues import Issues
from twindata.contract.tables import EXTERNAL, ORIGIN, frame
from twindata.reconcile.held import report_held
from twindata.sources.commons import CommonsImage, CommonsResult
from twindata.sources.registry import Registry


def build_images(registries: list[Registry], crosswalk: Crosswalk, cities: pd.DataFrame, commons: CommonsResult,
                 issues: Issues) -> pd.DataFrame:
    rows = []
    for reg in registries:
        for img in reg.images.to_dict("records"):
            image_id = f"{reg.name}/{img['image_id']}"
            row = {**img, "image_id": image_id, "city_id": crosswalk.resolve((reg.name, img["city_id"])),
                   "licence_spdx": licences.spdx_id(img["licence_name"]), "attribution_required": True,
                   "credited_by_registry": True, "described_by_commons": False, ORIGIN: "registry", EXTERNAL: ()}
            title = img["commons_file_title"]
            found = commons.images.get(title) if title else None
            if title is None:
                issues.add("unresolved", "images", image_id, "commons_file_title", None, "registry",
                           "the page that credits the picture names no Commons file")
            elif found is None:
                issues.add("unresolved", "images", image_id, "commons_file_title", title, "commons",
                           _commons_missing_reason(title, commons))
            else:
                report_held(found, image_id, issues)
                external = _file_values(found)
                row.update(external, described_by_commons=True, attribution_required=found.attribution_required)
                row[EXTERNAL] = tuple(external)
                if found.licence_name and found.licence_name != img["licence_name"]:
                    issues.add("conflict", "images", image_id, "licence_name", found.licence_name, "commons",
                               f"Commons gives {found.licence_name}; the registry says {img['licence_name']}")
            row["attribution"] = licences.attribution_line(
                img["caption"], img["author"], licences.credited_source(img["credit"], img["author"]),
                img["licence_name"], img["licence_url"])
            rows.append(row)
    for city in cities.to_dict("records"):
        title = city["image_file"]
        if not title:
            continue
        found = commons.images.get(title)
        record_id = f"commons:{title}"
        if found is None:
            issues.add("unresolved", "images", record_id, "commons_file_title", title, "commons",
                       _commons_missing_reason(title, commons))
            continue
        report_held(found, record_id, issues)
        public_domain = licences.is_public_domain(found.licence_name, found.copyrighted)
        caption = found.object_name or found.description or title.removeprefix("File:")
        rows.append({**_file_values(found), "image_id": record_id, "city_id": city["city_id"], "caption": caption,
                     "author": found.author, "author_url": found.author_url, "licence_name": found.licence_name,
                     "licence_spdx": found.licence_spdx, "licence_url": found.licence_url,
                     "attribution_required": found.attribution_required and not public_domain,
                     "attribution": licences.attribution_line(caption, found.author, "Wikimedia Commons",
                                                              found.licence_name, found.licence_url, public_domain),
                     "credit": found.credit, "credited_by_registry": False, "described_by_commons": True,
                     "source_url": found.page_url, ORIGIN: "commons", EXTERNAL: schema.filled_by("images", "commons")})
    return frame("images", rows)


def _file_values(image: CommonsImage) -> dict:
    return {"commons_file_title": image.title, "commons_page_url": image.page_url, "image_url": image.image_url,
            "width": image.width, "height": image.height, "file_size_bytes": image.file_size_bytes,
            "mime_type": image.mime_type}


def _commons_missing_reason(title: str, commons: CommonsResult) -> str:
    if title in commons.not_in_snapshot:
        return "the snapshot holds no answer for this file; a live run (--live) can fetch it"
    return "Commons reports no such file"
