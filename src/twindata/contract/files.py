"""Small file-system helpers shared by the library: JSON read with a one-line error, atomic replace of a file
(JSON or bytes), sha256 of files, fsync of a finished tree. Nothing here knows about tables, releases or sources."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from twindata.contract.errors import TwindataError


def read_json(path: Path, what: str = "file"):
    """The decoded JSON of ``path``; a missing or broken file is a one-line ``TwindataError``."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TwindataError(f"{path}: {what} not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f"line {exc.lineno} column {exc.colno}: " if isinstance(exc, json.JSONDecodeError) else ""
        raise TwindataError(f"{path}: {where}not valid JSON: {getattr(exc, 'msg', exc)}") from None
    except RecursionError:
        raise TwindataError(f"{path}: nested too deeply to be read") from None


def write_json_atomic(path: Path, data, **dump_options) -> None:
    """Replace ``path`` with ``data`` as JSON so that a reader sees the old file or the new one, never half of one."""
    write_bytes_atomic(path, (json.dumps(data, indent=2, ensure_ascii=False, **dump_options) + "\n").encode())


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a reader sees the old file or the new one, never half of one."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_files(folder: Path, names: list[str]) -> str:
    """One sha256 over named files of a folder, in the order given (a missing file counts as empty)."""
    h = hashlib.sha256()
    for name in names:
        file = Path(folder) / name
        h.update(name.encode() + b"\0" + (file.read_bytes() if file.is_file() else b"") + b"\0")
    return h.hexdigest()


def fsync_tree(folder: Path) -> None:
    for path in sorted(Path(folder).rglob("*"), reverse=True):
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
        else:
            fsync_dir(path)
    fsync_dir(folder)


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def inside(folder: Path, relative: str) -> bool:
    """Whether a relative path names a place inside ``folder``: not absolute, not leaving it through '..' or a
    symbolic link."""
    return not relative.startswith("/") and (Path(folder) / relative).resolve().is_relative_to(Path(folder).resolve())


def read_descriptor(folder: Path) -> dict:
    """A release's datapackage.json, checked (``check_descriptor``) before anything else is read; resource files that
    are symbolic links are refused too. Anything else is one line."""
    folder = Path(folder)
    file = folder / "datapackage.json"
    descriptor = check_descriptor(read_json(file, "datapackage.json"), str(file))
    for r in descriptor["resources"]:
        if (folder / r["path"]).is_symlink():
            raise TwindataError(f"{file}: resource {r['name']!r}: {r['path']} is a symbolic link, not a file of the "
                                "release")
    return descriptor


def check_descriptor(descriptor, where: str) -> dict:
    """A datapackage.json as every reader relies on it: an object whose resources each have a name, a format, a
    sha256, a schema with fields (but a resource of type file) and a relative path that stays inside the release (never '..' or an absolute
    path); else one line naming ``where``."""
    resources = descriptor.get("resources") if isinstance(descriptor, dict) else None
    if not isinstance(resources, list) or not resources:
        raise TwindataError(f"{where}: not a data package (an object with a list of resources)")
    for i, r in enumerate(resources):
        if not isinstance(r, dict) or not all(isinstance(r.get(k), str) for k in ("name", "path", "format", "hash")):
            raise TwindataError(f"{where}: resource {i} needs name, path, format and hash as text")
        if not SHA256.fullmatch(r["hash"]):
            raise TwindataError(f"{where}: resource {r['name']!r}: hash {r['hash'][:80]!r} is not 'sha256:' and 64 hex "
                                "digits; a file without its checksum is not read")
        if not safe_path(r["path"]):
            raise TwindataError(f"{where}: resource {r['name']!r}: path {r['path']!r} leaves the release folder")
        if r.get("type") == "file":  # a view (GeoParquet, GraphML): its bytes are checked, it has no Table Schema
            continue
        schema = r.get("schema")
        if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list) or not all(
                isinstance(f, dict) and isinstance(f.get("name"), str) for f in schema["fields"]):
            raise TwindataError(f"{where}: resource {r['name']!r} needs a schema with a list of named fields")
    return descriptor


SHA256 = re.compile(r"sha256:[0-9a-f]{64}")
SAFE_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*")


def version_entries(document, where: str, fields: tuple[str, ...] = ("version", "path")) -> list[dict]:
    """The entries of a package's versions.json (the writer's, the checker's and the loader's one reading of it): an
    object with a list of versions, each an object whose ``fields`` are text; anything else is one line."""
    entries = document.get("versions") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not all(
            isinstance(v, dict) and all(isinstance(v.get(k), str) for k in fields) for v in entries):
        raise TwindataError(f"{where}: not a versions index (an object with a list of versions, each with its "
                            f"{', '.join(fields)})")
    return entries


def safe_path(path: str) -> bool:
    """Whether a path a release names stays inside the release: relative, of plain names, none of them starting
    with '.' (so no '..')."""
    return bool(SAFE_PATH.fullmatch(path))
