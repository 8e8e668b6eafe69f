"""Where the files that ship with twindata live: the Table Schemas, Dortmund's registry and the default snapshot.

In a wheel they sit under ``twindata/_bundled/``; in a source checkout they are the top-level ``schemas/``,
``registry/`` and ``snapshots/`` folders. Nothing else in the library hard-codes a path to them.
"""

from __future__ import annotations

from pathlib import Path

from twindata.contract.errors import TwindataError

_PACKAGE = Path(__file__).resolve().parents[1]  # the twindata package
_CHECKOUT = _PACKAGE.parents[1]  # a source checkout: src/twindata -> the top level


def bundled(name: str) -> Path:
    """The shipped folder ``name`` (schemas, registry or snapshots), from the wheel or the source checkout."""
    for base in (_PACKAGE / "_bundled", _CHECKOUT):
        if (base / name).is_dir():
            return base / name
    raise TwindataError(f"twindata is installed without its {name}/ folder; reinstall it")


def schemas_dir() -> Path:
    return bundled("schemas")


def default_registry() -> Path:
    return bundled("registry") / "dortmund"


def bundled_registries() -> list[Path]:
    """Every registry that ships with twindata: the folders under registry/ that hold a registry.json, by name."""
    return sorted(p.parent for p in bundled("registry").glob("*/registry.json"))


def default_snapshot() -> Path:
    return bundled("snapshots") / "default"


def world_snapshot() -> Path:
    """The world package's bundled snapshot, built by tools/build_world_snapshot.py from real public extracts."""
    return bundled("snapshots") / "world"
