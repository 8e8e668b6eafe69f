"""Asset checks that block publishing: each table against its schema, the foreign keys, and every image's licence
and attribution line. Each runs the library's validation gate as a dry run and reports row-level errors as metadata.
Errors that the gate would quarantine (rows from Wikidata or Commons) are reported but do not fail a check.
"""

from dagster import AssetCheckResult, AssetIn, MetadataValue, asset_check

from twindata.errors import format_error
from twindata.gate import check_tables
from twindata.pipeline import CoreTables, merge

from pipelines.assets import cities, images, partnerships


def _gate(table: str, rules, *parts: CoreTables) -> AssetCheckResult:
    merged = merge(*parts)
    errors, quarantined = check_tables(merged.frames, merged.issues)
    mine = [e for e in errors if e["table"] == table and rules(e["rule"])]
    held = [q for q in quarantined if q["table"] == table]
    return AssetCheckResult(
        passed=not mine,
        metadata={"errors": len(mine), "quarantined": len(held),
                  "error_rows": MetadataValue.json([{**e, "line": format_error(e)} for e in mine[:100]]),
                  "quarantine": MetadataValue.json(held[:100])})


def _not_fk(rule: str) -> bool:
    return rule != "foreign-key"


@asset_check(asset=cities, blocking=True,
             description="Every city row passes schemas/cities.json (types, required, unique, patterns, ranges).")
def cities_schema(cities: CoreTables) -> AssetCheckResult:
    return _gate("cities", _not_fk, cities)


@asset_check(asset=partnerships, blocking=True,
             description="Every partnership row passes schemas/partnerships.json (enums, years, primary key).")
def partnerships_schema(partnerships: CoreTables) -> AssetCheckResult:
    return _gate("partnerships", _not_fk, partnerships)


@asset_check(asset=partnerships, blocking=True, additional_ins={"cities_in": AssetIn("cities")},
             description="Both ends of every partnership are rows of cities.")
def partnerships_foreign_keys(partnerships: CoreTables, cities_in: CoreTables) -> AssetCheckResult:
    return _gate("partnerships", lambda rule: rule == "foreign-key", cities_in, partnerships)


@asset_check(asset=images, blocking=True, additional_ins={"cities_in": AssetIn("cities")},
             description="Every image passes schemas/images.json and shows a known city: a licence and an attribution "
                         "line are required fields there, so an image without them fails this check.")
def images_licensed(images: CoreTables, cities_in: CoreTables) -> AssetCheckResult:
    return _gate("images", lambda rule: True, cities_in, images)
