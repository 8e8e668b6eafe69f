"""Assets generated from a declared package (``twindata.packages``): one per source, the reconciled core tables, the
gate as one multi-asset (one output per published table, its asset checks generated from the schemas by
``pipelines.checks``) and the release. Each body is a call into the library; keys are the package's prefix plus
the source's or table's name (the city package's keep their first names: ``registry``, ``cities``, ``release``).

A source asked in partitions (WDQS, one country each) is a partitioned asset in the ``wdqs`` pool that refreshes the
partitions it is asked for; the steps after it read its whole store themselves (a partitioned asset's partitions are
not passed on as one value).
"""

from dagster import (
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    AssetOut,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    Output,
    StaticPartitionsDefinition,
    TableColumn,
    TableColumnConstraints,
    TableSchema,
    asset,
    multi_asset,
)

from twindata import packages
from twindata.checks import gate
from twindata.contract import schema
from twindata.packages import Package

from . import checks
from .resources import TwindataRun, TwindataSettings

TABLES = [t for t in schema.published_tables() if t != "redirects"]  # redirects follow from the previous release
for _table in schema.published_tables():  # a schema the compiled checks cannot hold stops the code location loading
    gate.compiled(_table)


def partitioned(package: Package) -> list:
    return [s for s in package.sources if hasattr(s, "partitions")]


def passed(package: Package) -> list:
    """The sources whose results pass from asset to asset."""
    return [s for s in package.sources if not hasattr(s, "partitions")]


def key(package: Package, name: str) -> str:
    return f"{package.prefix}{name}"


def _metadata(summary: dict) -> dict:
    return {k: v if isinstance(v, (int, float, str, bool)) else MetadataValue.json(v) for k, v in summary.items()}


def _inputs(package: Package, given: dict, run) -> dict:
    """Every source's result: those passed in, and the partitioned ones read from their stores."""
    inputs = {name.removeprefix(package.prefix): value for name, value in given.items()}
    for source in partitioned(package):
        inputs[source.name] = run.read(source, inputs)
    return inputs


def _source_asset(package: Package, source):
    ins = {key(package, n): AssetIn(key(package, n)) for n in source.needs}

    @asset(name=key(package, source.name), group_name=package.group, ins=ins, description=source.description)
    def _read(context: AssetExecutionContext, settings: TwindataSettings, run: TwindataRun, **given):
        ctx = run.context(settings, context.log)
        result = ctx.read(source, {n.removeprefix(package.prefix): v for n, v in given.items()})
        context.add_output_metadata({**_metadata(source.summary(result)), "requests": MetadataValue.json(ctx.requests)})
        return result

    return _read


def _partitioned_asset(package: Package, source):
    @asset(name=key(package, source.name), group_name=package.group, description=source.description,
           partitions_def=StaticPartitionsDefinition(source.partitions()), pool="wdqs",
           backfill_policy=BackfillPolicy.single_run())
    def _refresh(context: AssetExecutionContext, settings: TwindataSettings, run: TwindataRun) -> MaterializeResult:
        ctx = run.context(settings, context.log)
        result = source.read(ctx, {}, keys=context.partition_keys)
        return MaterializeResult(metadata={**_metadata(source.summary(result)),
                                           "requests": MetadataValue.json(ctx.requests)})

    return _refresh


def _core_asset(package: Package):
    @asset(name=key(package, "core_tables"), group_name=package.group,
           ins={key(package, s.name): AssetIn(key(package, s.name)) for s in passed(package)},
           deps=[AssetKey(key(package, s.name)) for s in partitioned(package)],
           description="Every source's claims reconciled into cities, partnerships, assertions, images and crosswalk, "
                       "before the gate.")
    def _reconcile(context: AssetExecutionContext, settings: TwindataSettings, run: TwindataRun, **given):
        ctx = run.context(settings, context.log)
        inputs = _inputs(package, given, ctx)
        ctx.save()  # every source read: the live cache is kept once, as the CLI keeps it
        result = package.reconcile(inputs, ctx.progress)
        context.add_output_metadata({**{f"{t}_rows": len(df) for t, df in result.frames.items()},
                                     "issues": MetadataValue.json(result.issues.count())})
        return result

    return _reconcile


def _column_schema(table: str) -> TableSchema:
    """The Table Schema of a published table as Dagster's column schema."""
    columns = []
    for f in schema.table_schema(table)["fields"]:
        c = f.get("constraints", {})
        other = [f"{k}: {v}" for k, v in c.items() if k not in ("required", "unique")]
        columns.append(TableColumn(f["name"], f["type"], f.get("description"),
                                   TableColumnConstraints(nullable=not c.get("required", False),
                                                          unique=bool(c.get("unique")), other=other)))
    return TableSchema(columns)


def _gate_asset(package: Package):
    specs = checks.specs(lambda t: key(package, t), TABLES)

    @multi_asset(name=key(package, "gated_tables"), group_name=package.group, can_subset=False,
                 ins={"core_tables": AssetIn(key(package, "core_tables"))},
                 outs={key(package, t): AssetOut(description=schema.table_schema(t).get("description")) for t in TABLES},
                 check_specs=[spec for spec, _ in specs],
                 description="The validation gate, once per run: each table against its Table Schema and the policies; "
                             "bad rows and values from outside sources quarantined into data_issues.")
    def _gate(context: AssetExecutionContext, core_tables):
        result = gate.run_gate(core_tables)
        for table in TABLES:
            part = result.part(table)
            yield Output(part, output_name=key(package, table), metadata={
                "dagster/row_count": part.tables[table].num_rows, "dagster/column_schema": _column_schema(table),
                "errors": len(part.errors), "quarantined": len(part.quarantined)})
        for spec, verdict in specs:
            yield verdict(result, spec)

    return _gate


def _release_asset(package: Package):
    tables = {key(package, t): AssetIn(key(package, t)) for t in TABLES}
    sources = {key(package, s.name): AssetIn(key(package, s.name)) for s in passed(package)}

    @asset(name=key(package, "release"), group_name=package.group, ins={**tables, **sources},
           deps=[AssetKey(key(package, s.name)) for s in partitioned(package)],
           description="The versioned data package: staging, checksums, atomic publish, after every blocking check "
                       "passed.")
    def _release(context: AssetExecutionContext, settings: TwindataSettings, run: TwindataRun,
                 **given) -> MaterializeResult:
        ctx = run.context(settings, context.log)
        gated = gate.GateResult.merge([given[k] for k in tables])
        inputs = _inputs(package, {k: v for k, v in given.items() if k in sources}, ctx)
        result = packages.release(package, inputs, gated, ctx)
        context.log.info(f"{'published' if result.published else 'unchanged since'} {result.package} {result.version}")
        return MaterializeResult(metadata={
            "version": result.version, "published": result.published, "dagster/uri": result.path.resolve().as_uri(),
            "content_sha256": result.content_sha256, **{f"{t}_rows": a.num_rows for t, a in gated.tables.items()}})

    return _release


def package_assets(package: Package) -> list:
    """Every asset of a package, generated from its declaration."""
    return ([_partitioned_asset(package, s) for s in partitioned(package)]
            + [_source_asset(package, s) for s in passed(package)]
            + [_core_asset(package), _gate_asset(package), _release_asset(package)])
