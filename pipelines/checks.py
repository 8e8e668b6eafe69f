"""Asset checks that read the gate's one result (no check re-runs it). Blocking: each table against its schema,
the foreign keys, and the licence of every image; an error in the registry's own data fails them and stops the
release. Warning: the data_issues check fails, without blocking, when the gate had to quarantine outside data.
"""

from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue, asset_check

from twindata.gate import GateResult
from twindata.issues import count_kinds


def _verdict(result: GateResult, rule=lambda r: True) -> AssetCheckResult:
    mine = [e for e in result.errors if rule(e.rule)]
    return AssetCheckResult(
        passed=not mine,
        metadata={"errors": len(mine), "quarantined": len(result.quarantined),
                  "error_rows": MetadataValue.json([e.as_dict() for e in mine[:100]]),
                  "quarantine": MetadataValue.json([q.__dict__ for q in result.quarantined[:100]])})


def _not_fk(rule: str) -> bool:
    return rule != "foreign-key"


@asset_check(asset="cities", blocking=True,
             description="Every city row passes schemas/cities.json (types, required, unique, patterns, ranges).")
def cities_schema(cities: GateResult) -> AssetCheckResult:
    return _verdict(cities)


@asset_check(asset="partnerships", blocking=True,
             description="Every partnership row passes schemas/partnerships.json (enums, years, primary key).")
def partnerships_schema(partnerships: GateResult) -> AssetCheckResult:
    return _verdict(partnerships, _not_fk)


@asset_check(asset="partnerships", blocking=True, description="Both cities of every partnership are rows of cities.")
def partnerships_foreign_keys(partnerships: GateResult) -> AssetCheckResult:
    return _verdict(partnerships, lambda rule: rule == "foreign-key")


@asset_check(asset="assertions", blocking=True,
             description="Every assertion passes schemas/assertions.json and names a published partnership and cities.")
def assertions_schema(assertions: GateResult) -> AssetCheckResult:
    return _verdict(assertions)


@asset_check(asset="images", blocking=True,
             description="Every image passes schemas/images.json and carries a free licence and an attribution line.")
def images_licensed(images: GateResult) -> AssetCheckResult:
    return _verdict(images)


@asset_check(asset="crosswalk", blocking=True, description="Every registry key maps to one published city.")
def crosswalk_schema(crosswalk: GateResult) -> AssetCheckResult:
    return _verdict(crosswalk)


@asset_check(asset="data_issues", blocking=False,
             description="Warns when the gate had to hold back rows or values from Wikidata or Commons (listed in "
                         "the metadata); the release goes on without them.")
def nothing_quarantined(data_issues: GateResult) -> AssetCheckResult:
    rows = data_issues.tables["data_issues"].to_pylist()
    held = [r for r in rows if r["kind"].startswith("quarantined")]
    counts = count_kinds(r["kind"] for r in rows)
    return AssetCheckResult(passed=not held and not data_issues.errors, severity=AssetCheckSeverity.WARN,
                            metadata={"by_kind": MetadataValue.json(counts), "quarantined": len(held),
                                      "rows": MetadataValue.json(held[:100]),
                                      "errors": MetadataValue.json([e.as_dict() for e in data_issues.errors[:100]])})
