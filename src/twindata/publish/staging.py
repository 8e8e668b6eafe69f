"""Release staging: the package's lock, the staging folder a release is written into, and the recovery of what a
killed run left behind.

One run at a time holds the package's lock (``filelock``; a second run waits up to the lock timeout, then refuses).
The lock file lives outside the releases folder (``lock_path``: the user's state folder, named after the package
folder's real path), so a folder synced to a web server holds only what was published.
Under the lock, stale staging folders of killed runs are removed and a version that was renamed into place but not
yet listed in ``versions.json`` is checked and listed. A staging folder sits beside the versions, on the same file
system, so that the final rename is atomic; it is removed on any failure.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from twindata.contract.errors import TwindataError
from twindata.contract.files import read_json, sha256_file, version_entries, write_json_atomic
from twindata.publish.versioning import Version, is_version

STAGING_PREFIX = ".staging-"


@contextmanager
def package_lock(package_dir: Path, timeout: float, on_wait: Callable[[str], None] = lambda _: None,
                 base_url: str | None = None) -> Iterator[None]:
    """Hold the package's lock; clean up after killed runs first (``base_url`` as the package page is written)."""
    package_dir.mkdir(parents=True, exist_ok=True)
    where = lock_path(package_dir)
    where.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(where)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        on_wait(f"waiting for another run to finish publishing {package_dir} (lock {where})")
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise TwindataError(f"{package_dir}: another twindata run is publishing this package (lock {where}); gave "
                                f"up after {timeout:.0f} s, nothing was written") from None
    try:
        for stale in package_dir.glob(f"{STAGING_PREFIX}*"):
            shutil.rmtree(stale, ignore_errors=True)
        for stale in package_dir.glob(".versions.json.tmp-*"):
            stale.unlink(missing_ok=True)
        _list_unlisted_versions(package_dir, base_url)
        yield
    finally:
        lock.release()


def lock_path(package_dir: Path) -> Path:
    """The package's lock file: in the user's state folder ($XDG_STATE_HOME, else ~/.local/state), named after the
    package folder's real path, so that every run publishing into that folder takes the same lock."""
    real = str(Path(package_dir).resolve())
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return state / "twindata" / "locks" / f"{Path(real).name}-{hashlib.sha256(real.encode()).hexdigest()[:16]}.lock"


@contextmanager
def staging_folder(package_dir: Path) -> Iterator[Path]:
    """A fresh staging folder beside the versions; removed unless it was renamed into place."""
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=package_dir))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def read_versions(package_dir: Path) -> dict:
    file = package_dir / "versions.json"
    if not file.exists():
        return {"package": package_dir.name, "latest": None, "versions": []}
    versions = read_json(file, "versions.json")
    entries = version_entries(versions, str(file), ("version", "path", "created", "content_sha256"))
    if not all(is_version(v["version"]) and v["path"] == v["version"] for v in entries) \
            or len({v["version"] for v in entries}) != len(entries) \
            or (versions.get("latest") is not None and versions["latest"] not in {v["version"] for v in entries}):
        raise TwindataError(f"{file}: not a versions index twindata wrote (each version needs a version number "
                            "x.y.z, its folder of the same name, created and content_sha256, once each, and latest "
                            "must be one of them); move it away to start the package afresh")
    versions.setdefault("package", package_dir.name)
    return versions


def version_entry(folder: Path, descriptor: dict) -> dict:
    return {"version": descriptor["version"], "created": descriptor["created"],
            "content_sha256": descriptor["twindata"]["content_sha256"], "path": folder.name,
            "datapackage_sha256": sha256_file(folder / "datapackage.json"),
            "files": {r["path"]: r["hash"] for r in descriptor["resources"]} | descriptor["twindata"].get("files", {})}


def _list_unlisted_versions(package_dir: Path, base_url: str | None) -> None:
    """A run killed between renaming its version into place and replacing versions.json left a complete but
    unlisted version: check its checksums and list it."""
    from twindata.publish.verify import verify_checksums

    versions = read_versions(package_dir)
    listed = {v["version"] for v in versions["versions"]}
    found = [d for d in package_dir.iterdir() if d.is_dir() and is_version(d.name) and d.name not in listed]
    if not found:
        return
    for folder in sorted(found, key=lambda d: Version.parse(d.name)):
        stated = read_json(folder / "datapackage.json", "datapackage.json") if (folder / "datapackage.json").is_file() \
            else {"version": folder.name}  # no descriptor: the checksums below say what is wrong
        if not isinstance(stated, dict) or stated.get("version") != folder.name:
            raise TwindataError(f"{folder}: a folder named {folder.name} that holds version "
                                f"{stated.get('version') if isinstance(stated, dict) else None!r} (copied by hand?); "
                                "move it away")
        problems = verify_checksums(folder)
        if problems:
            raise TwindataError(f"{folder}: an unlisted version that fails its checksums: {problems[0].line()}")
        versions["versions"].append(version_entry(folder, stated))
    versions["versions"].sort(key=lambda v: Version.parse(v["version"]))
    versions["latest"] = versions["versions"][-1]["version"]
    write_json_atomic(package_dir / "versions.json", versions)
    from twindata.publish.pages import write_package_page

    write_package_page(package_dir, versions, base_url)
