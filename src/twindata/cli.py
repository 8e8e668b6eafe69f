"""The ``twindata`` command: run, snapshot, validate, diff, versions, asof, partners, registry. Argument parsing and printing only; the
work is in the library, and every flag is a field of ``twindata.settings.Settings``.

Every user error prints one line to stderr and exits 1, without a traceback.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from datetime import UTC
from pathlib import Path

from twindata import __version__
from twindata.contract.errors import GateError, TwindataError

_START = time.perf_counter()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="twindata", description="Town-twinning records as validated, versioned open data packages.")
    parser.add_argument("--version", action="version", version=f"twindata {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="build, validate and publish a release (offline from the bundled snapshot by default)")
    run.add_argument("--package", choices=["registry", "world"],
                     help="registry: the registry's own package (default); world: the world network, with the registry "
                          "as its confirmed tier")
    run.add_argument("--registry", type=Path, action="append",
                     help="registry folder (default: Dortmund's bundled registry); for the world package, repeatable: "
                          "registries taken beside every bundled one")
    run.add_argument("--out", type=Path, help="releases folder (default: ./releases, or TWINDATA_OUT)")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--live", action="store_true", default=None, help="fetch from the real Wikidata and Commons APIs")
    mode.add_argument("--snapshot", type=Path, help="replay this snapshot folder instead of the bundled one")
    run.add_argument("--contact", help="contact (URL or e-mail) for the User-Agent of a live run (or TWINDATA_CONTACT)")
    run.add_argument("--world-snapshot", type=Path,
                     help="world package: read this snapshot or partition store instead of the bundled snapshot")

    snap = sub.add_parser("snapshot", help="fetch live and keep every raw answer in a snapshot folder for offline runs")
    snap.add_argument("--registry", type=Path, help="registry folder (default: Dortmund's bundled registry)")
    snap.add_argument("--out", type=Path, help="snapshot folder to create (default: snapshots/<package>-<UTC time>)")
    snap.add_argument("--contact", help="contact (URL or e-mail) for the User-Agent (or TWINDATA_CONTACT)")

    validate = sub.add_parser("validate", help="recompute every checksum of a release and check every row")
    validate.add_argument("release", nargs="?", help=f"{RELEASE_HELP} (default: the latest under --out)")
    _package_options(validate)
    validate.add_argument("--checksums-only", action="store_true", help="only recompute the checksums")
    validate.add_argument("--reference", action="store_true",
                          help="also validate with frictionless-py, and fail if its findings differ from the fast checks'")

    compare = sub.add_parser("diff", help="what changed between two releases: rows added, removed, changed; schemas")
    compare.add_argument("old", help=RELEASE_HELP)
    compare.add_argument("new", help=RELEASE_HELP)
    _package_options(compare)
    compare.add_argument("--json", action="store_true", help="print changes.json-style JSON instead of Markdown")

    versions = sub.add_parser("versions", help="list the published releases")
    _package_options(versions)

    asof = sub.add_parser("asof", help="which partnerships were in force on a day, from a published release")
    asof.add_argument("date", help="the day, YYYY-MM-DD")
    asof.add_argument("--city", help="only this city's partnerships: its name (Dortmund), city_id or QID (Q1295)")
    asof.add_argument("--release", help=f"{RELEASE_HELP} (default: the latest under --out)")
    _package_options(asof)

    partners = sub.add_parser("partners", help="a city's partners, from a published release")
    partners.add_argument("city", help="the city: its name (Dortmund), city_id or QID (Q1295)")
    partners.add_argument("--release", help=f"{RELEASE_HELP} (default: the latest under --out)")
    _package_options(partners)

    registry = sub.add_parser("registry", help="start a city's registry, or check one (every problem, one line each)")
    kit = registry.add_subparsers(dest="action", required=True)
    new = kit.add_parser("new", help="write the scaffold of a new registry: its own city and the files' headers")
    new.add_argument("key", help="the registry's key: lower-case words joined by '-' (hamburg); its package is <key>-twinning")
    new.add_argument("--name", required=True, help="the city's name (Hamburg)")
    new.add_argument("--country", required=True, help="the city's ISO 3166-1 alpha-2 code (DE)")
    new.add_argument("--homepage", required=True,
                     help="the city's page of its partnerships (https://…), the contact point portals name")
    new.add_argument("--qid", help="the city's Wikidata item (Q1055), where known")
    new.add_argument("--out", type=Path, help="the folder to create (default: registry/<key>)")
    checked = kit.add_parser("check", help="check a registry folder: every problem of every row, one line each")
    checked.add_argument("folder", type=Path)

    args = parser.parse_args(argv)
    try:
        commands = {"run": _run, "snapshot": _snapshot, "validate": _validate, "diff": _diff, "versions": _versions,
                    "asof": _asof, "partners": _partners, "registry": _registry}
        return commands[args.command](args)
    except GateError as exc:
        for err in exc.errors[:50]:
            print(f"  {escape_controls(err.line())}", file=sys.stderr)
        print(f"twindata: {escape_controls(str(exc))}", file=sys.stderr)
        return 1
    except TwindataError as exc:
        print(f"twindata: {escape_controls(str(exc))}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader stopped reading (| head): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # a folder not writable, a disk full: the system's own words, in one line
        print(f"twindata: {escape_controls(str(exc.filename or ''))}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("twindata: interrupted; nothing was published", file=sys.stderr)
        return 130


RELEASE_HELP = "a release folder, a package or releases folder (its latest release) or a version (x.y.z) under --out"


def _package_options(command) -> None:
    command.add_argument("--package", help="the package, where --out holds several (dortmund-twinning, or dortmund; "
                                           "world)")
    command.add_argument("--out", type=Path, default=Path("releases"), help="the releases folder (default: ./releases)")


def _release(spec, args) -> Path:
    from twindata.read.locate import find_release

    return find_release(spec, args.out, args.package)


def escape_controls(text: str) -> str:
    from twindata.contract.text import escape_controls as escape  # pyarrow, only when there is an error to print

    return escape(text)


def _progress(message: str) -> None:
    print(f"[{time.perf_counter() - _START:5.1f}s] {message}", file=sys.stderr, flush=True)


def _run(args) -> int:
    from twindata.contract.issues import count_kinds
    from twindata.packages import run_configured
    from twindata.settings import load_settings

    gc.freeze()  # the imported modules live as long as the process: full collections need not walk them again
    live = False if args.snapshot is not None else args.live  # a snapshot named on the command line is replayed
    settings = load_settings(package=args.package, out=args.out, live=live, snapshot=args.snapshot,
                             contact=args.contact, world_snapshot=args.world_snapshot)
    given = args.registry or []
    if settings.package == "world":
        settings.registries = [*settings.registries, *given]
    elif len(given) > 1:
        raise TwindataError(f"--registry: a registry's package is one registry; {len(given)} were given "
                            f"({', '.join(map(str, given))}); the world package takes several (--package world)")
    elif given:
        settings.registry = given[0]
    result = run_configured(settings, progress=_progress)
    p = result.publish
    counts = ", ".join(f"{t} {n}" for t, n in result.counts.items())
    issues = count_kinds(result.gate.tables["data_issues"].column("kind").to_pylist())
    r = result.requests
    print(f"tables: {counts}")
    if "wdqs" in r and not settings.live:
        print("replayed: the world snapshot's extracts and partitions (no request was made)")
    elif "wdqs" in r:
        print(f"requests: {r['wdqs']} WDQS ({r['partitions_asked']} partitions asked, {r['partitions_fresh']} fresh)")
    elif settings.live:
        print(f"requests: {r['wikidata']} Wikidata, {r['commons']} Commons ({r['commons_saved']} saved by the cache); "
              f"Wikidata entities re-used unparsed: {r['entities_reused']}")
    else:
        print(f"replayed: {r['wikidata']} Wikidata and {r['commons']} Commons answers from the snapshot (no request "
              "was made)")
    if issues:
        print("data issues: " + ", ".join(f"{n} {k}" for k, n in sorted(issues.items())) + " (see data/data_issues.csv)")
    if p.published:
        print(f"published {p.package} {p.version} -> {p.path}")
    else:
        print(f"unchanged since {p.version}: nothing published ({p.path})")
    return 0


def _registry(args) -> int:
    from twindata.scaffold import new_registry
    from twindata.sources.registry import check_registry

    if args.action == "new":
        folder = new_registry(args.out or Path("registry") / args.key, args.key, args.name, args.country, args.homepage,
                              args.qid)
        print(f"registry {args.key}-twinning -> {folder}: add partners to cities.csv and partnerships.csv, then "
              f"`twindata registry check {folder}`")
        return 0
    found, problems = check_registry(args.folder)
    for p in problems:
        print(escape_controls(str(p)), file=sys.stderr)
    if problems:
        print(f"twindata: {escape_controls(str(args.folder))}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"{args.folder}: registry {found.name} is valid: {len(found.cities)} cities, {len(found.partnerships)} "
          f"partnerships, {len(found.table('claims'))} claims, {len(found.images)} images")
    return 0


def _snapshot(args) -> int:
    from datetime import datetime

    from twindata.packages import record_snapshot
    from twindata.settings import load_settings
    from twindata.sources.registry import read_registry

    settings = load_settings(registry=args.registry, contact=args.contact)
    out = args.out
    if out is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = Path("snapshots") / f"{read_registry(settings.registry_path()).name}-{stamp}"
    _progress(f"recording live answers into {out}")
    snapshot_id, count = record_snapshot(settings, out)
    print(f"snapshot {snapshot_id}: {count} responses -> {out}")
    print(f"replay it with: twindata run --snapshot {out}")
    return 0


def _validate(args) -> int:
    from twindata.checks.reference import finding
    from twindata.publish.verify import verify_checksums, verify_rows, verify_rows_frictionless

    args.release = _release(args.release, args)
    timings = []
    started = time.perf_counter()
    problems = verify_checksums(args.release)
    timings.append(f"checksums {time.perf_counter() - started:.2f} s")
    if not problems and not args.checksums_only:
        started = time.perf_counter()
        problems = verify_rows(args.release)
        timings.append(f"checks {time.perf_counter() - started:.2f} s")
        if args.reference:
            started = time.perf_counter()
            reference = verify_rows_frictionless(args.release)
            timings.append(f"frictionless {time.perf_counter() - started:.2f} s")
            fast, slow = {finding(e) for e in problems}, {finding(e) for e in reference}
            for table, row, field, rule in sorted(fast ^ slow, key=str)[:50]:
                side = "only the fast checks" if (table, row, field, rule) in fast else "only frictionless"
                print(f"{table} row {row} field {field!r} {rule}: found by {side}", file=sys.stderr)
            if fast != slow:
                print(f"twindata: {args.release}: the fast checks and frictionless disagree on "
                      f"{len(fast ^ slow)} finding(s)", file=sys.stderr)
                return 1
    for err in problems:
        print(err.line(), file=sys.stderr)
    if problems:
        print(f"twindata: {args.release}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    checked = "checksums" if args.checksums_only else "checksums and rows" + (", and frictionless agrees" if args.reference else "")
    print(f"{args.release}: valid ({checked}; {', '.join(timings)})")
    return 0


def _diff(args) -> int:
    import json

    from twindata.contract.files import read_descriptor
    from twindata.publish import diff, versioning

    old, new = _release(args.old, args), _release(args.new, args)
    names = [read_descriptor(f).get("name") for f in (old, new)]
    if names[0] != names[1]:
        raise TwindataError(f"{old} is package {names[0]!r}, {new} is package {names[1]!r}: a diff compares two "
                            "versions of one package")
    changes = diff.compare_releases(old, new)
    level, reasons = versioning.bump(changes)
    if args.json:
        print(json.dumps({"from": str(old), "to": str(new), "bump": level, "reasons": reasons, "tables": changes},
                         ensure_ascii=False))  # one line: the C encoder, 10 × faster than an indented one
    else:
        print(f"# {old} -> {new}\n")
        print(f"{level.upper() if level else 'NO'} change: {'; '.join(reasons) or 'identical tables'}\n")
        print(diff.render(changes))
    return 0


def _versions(args) -> int:
    from twindata.publish.staging import read_versions

    if not args.out.is_dir():
        raise TwindataError(f"{args.out}: no such releases folder")
    from twindata.read.locate import pick_package

    packages = sorted(p for p in args.out.glob("*/versions.json"))
    if args.package is not None:
        packages = [pick_package(args.out, args.package) / "versions.json"]
    if not packages:
        print(f"no releases in {args.out}")
        return 0
    for file in packages:
        versions = read_versions(file.parent)
        for v in versions["versions"]:
            mark = " (latest)" if v["version"] == versions["latest"] else ""
            print(f"{versions['package']} {v['version']}  {v['created']}  sha256:{v['content_sha256'][:12]}{mark}")
    return 0


def _asof(args) -> int:
    from datetime import date

    from twindata.read.asof import asof

    try:
        day = date.fromisoformat(args.date)
    except ValueError:
        raise TwindataError(f"date {args.date!r}: not a day in the form YYYY-MM-DD") from None
    release = _release(args.release, args)
    city = _city(release, args.city) if args.city else None
    rows = asof(release, day, city)
    certain = rows[rows["in_force"] == "yes"]
    undetermined = len(rows) - len(certain)
    print(f"In force on {day.isoformat()}" + (f" for {city}" if city else "") + f" ({release}): {len(certain)}"
          + (f" (and {undetermined} undetermined)" if undetermined else ""))
    for r in rows.to_dict("records"):
        years = f"{_text(r['start_year'])}–{_text(r['end_year'])}"
        mark = "" if r["in_force"] == "yes" else "  [undetermined: the dates do not say]"
        print(f"  {r['city_a_name']} – {r['city_b_name']}: {r['type']} {years}, {_text(r['status_on_day'], 'status unknown')}, "
              f"{r['confidence']}  ({r['partnership_id']}){mark}")
    return 0


def _city(release: Path, query: str) -> str:
    from twindata.read.asof import read_tables
    from twindata.read.locate import find_city

    return find_city(read_tables(release, "cities")["cities"], query, release)


def _partners(args) -> int:
    import twindata

    release = _release(args.release, args)
    city = _city(release, args.city)
    rows = twindata.load("partnerships", release=release, with_cities=True)
    rows = rows[(rows["city_a_id"] == city) | (rows["city_b_id"] == city)]
    home = rows["city_a_name"].where(rows["city_a_id"] == city, rows["city_b_name"]).iloc[0] if len(rows) else city
    print(f"Partners of {home} ({city}) in {release}: {len(set(rows['city_a_id']) | set(rows['city_b_id'])) - 1 if len(rows) else 0} "
          f"cities, {len(rows)} partnerships (each phase and kind a row)")
    for r in rows.sort_values(["start_year", "partnership_id"], na_position="last").to_dict("records"):
        side = "b" if r["city_a_id"] == city else "a"
        local = f" ({r[f'city_{side}_local_name']})" if _text(r[f"city_{side}_local_name"]) else ""
        status = _text(r["status"])
        since = f" since {_text(r['status_since_year'])}" if status and status != "active" and _text(r["status_since_year"]) else ""
        print(f"  {_text(r['start_year'], '    ')}–{_text(r['end_year'], '    ')}  {_text(r[f'city_{side}_name'])}{local} "
              f"[{_text(r[f'city_{side}_country_code'], '?')}]: {r['type'].replace('_', ' ')}"
              f"{', ' + status + since if status else ''}, {r['confidence']}  {_text(r['source_url'])}")
    return 0


def _text(value, missing: str = "") -> str:
    import pandas as pd

    return missing if value is None or pd.isna(value) else str(value)


if __name__ == "__main__":
    sys.exit(main())
