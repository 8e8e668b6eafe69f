"""Asset checks generated from the schemas: for each published table one check of its Table Schema and the policies
that cover it, one per foreign key the schema declares, and the warning on data_issues. They are declared on the
gate's multi-asset (``check_specs``) and read the gate's one result: no check runs it again. A failing blocking
check (an error in a registry's own data) stops the release; the warning fails, without blocking, when the gate had
to quarantine outside data.
"""

from collections.abc import Callable
from dataclasses import asdict

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, MetadataValue

from twindata.checks.gate import GateResult
from twindata.checks.policies import POLICIES
from twindata.contract import schema
from twindata.contract.issues import count_kinds

Verdict = Callable[[GateResult, AssetCheckSpec], AssetCheckResult]


def _result(spec: AssetCheckSpec, mine: list, **metadata) -> AssetCheckResult:
    return AssetCheckResult(
        asset_key=spec.asset_key, check_name=spec.name, passed=not mine,
        metadata={"errors": len(mine), "error_rows": MetadataValue.json([e.as_dict() for e in mine[:100]]), **metadata})


def _schema_verdict(table: str) -> Verdict:
    def verdict(result: GateResult, spec: AssetCheckSpec) -> AssetCheckResult:
        part = result.part(table)
        return _result(spec, [e for e in part.errors if e.rule != "foreign-key"], quarantined=len(part.quarantined),
                       quarantine=MetadataValue.json([asdict(q) for q in part.quarantined[:100]]))
    return verdict


def _foreign_key_verdict(table: str, fields: str) -> Verdict:
    def verdict(result: GateResult, spec: AssetCheckSpec) -> AssetCheckResult:
        return _result(spec, [e for e in result.part(table).errors if e.rule == "foreign-key" and e.field == fields])
    return verdict


def _quarantine_verdict(result: GateResult, spec: AssetCheckSpec) -> AssetCheckResult:
    rows = result.tables["data_issues"].to_pylist()
    held = [r for r in rows if r["kind"].startswith("quarantined")]
    errors = result.part("data_issues").errors
    return AssetCheckResult(
        asset_key=spec.asset_key, check_name=spec.name, passed=not held and not errors,
        severity=AssetCheckSeverity.WARN,
        metadata={"by_kind": MetadataValue.json(count_kinds(r["kind"] for r in rows)), "quarantined": len(held),
                  "rows": MetadataValue.json(held[:100]), "errors": MetadataValue.json([e.as_dict() for e in errors[:100]])})


def _schema_description(table: str) -> str:
    kinds = sorted({k for f in schema.table_schema(table)["fields"] for k in f.get("constraints", {})})
    key = schema.primary_key(table)
    rules = [p.__doc__.strip().rstrip(".") for p in POLICIES if p.covers(table)]
    return (f"Every {table} row passes schemas/{table}.json (types and formats" + "".join(f", {k}" for k in kinds)
            + (f", primary key {' + '.join(key)}" if key else "") + ")" + "".join(f"; {r[0].lower()}{r[1:]}" for r in rules)
            + ".")


def specs(asset_key: Callable[[str], str], tables: list[str]) -> list[tuple[AssetCheckSpec, Verdict]]:
    """The checks the schemas imply for these tables, each with the verdict that reads the gate's result."""
    out = []
    for table in tables:
        out.append((AssetCheckSpec(f"{table}_schema", asset=asset_key(table), blocking=True,
                                   description=_schema_description(table)), _schema_verdict(table)))
        for fk in schema.table_schema(table).get("foreignKeys", []):
            fields, ref = fk["fields"], fk["reference"]
            out.append((AssetCheckSpec(
                f"{table}_{'_'.join(fields)}_foreign_key", asset=asset_key(table), blocking=True,
                description=f"Every {table}.{', '.join(fields)} names a row of {ref['resource'] or table} "
                            f"({', '.join(ref['fields'])})."), _foreign_key_verdict(table, ",".join(fields))))
    out.append((AssetCheckSpec("nothing_quarantined", asset=asset_key("data_issues"), blocking=False,
                               description="Warns when the gate had to hold back rows or values from outside sources "
                                           "(listed in the metadata); the release goes on without them."),
                _quarantine_verdict))
    return out
