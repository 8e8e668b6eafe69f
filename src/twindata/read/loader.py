"""Load a published table into pandas, as researchers use it: ``twindata.load("partnerships", release=...)``.

``release`` is a release folder or a package folder (then ``version`` picks one, "latest" by default), as a local
path or an http(s) URL, or a local releases folder holding packages (then ``package`` names one, unless it holds
one only). ``with_cities`` gives each partnership both ends' names, countries, QIDs and points, joined once here. Every file read is checked against the sha256 its release lists before it is used, and a
download is bounded in size. The frame has the schema's types (integers as nullable ``Int64``, booleans as
``boolean``, numbers as ``Float64``, dates as ``datetime.date``) and the schema in ``df.attrs``: ``descriptions``
(field → description), ``schema`` (the Table Schema), ``source`` (where the file came from), ``version``.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import requests

from twindata.contract.errors import TwindataError
from twindata.contract.files import check_descriptor, safe_path, version_entries
from twindata.contract.schema import ARROW_TYPES

MAX_BYTES = 1 << 30  # a data file larger than this is refused (a resource that states its bytes: larger than those)
JSON_BYTES = 64 << 20  # a datapackage.json or versions.json larger than this is refused
SPOOL = 32 << 20  # a download is kept in memory up to this, then on disk, until its checksum is known
TIMEOUT = 60  # seconds without a byte
DEADLINE = 600  # seconds for a whole data file, however slowly it arrives
FORMATS = ("parquet", "csv")
_NULLABLE = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype(), pa.float64(): pd.Float64Dtype()}


CITY_FIELDS = ("name", "local_name", "country_code", "wikidata_qid", "latitude", "longitude")  # with_cities adds


def load(table: str, release: str | Path = "releases", version: str = "latest", format: str = "parquet", *,
         package: str | None = None, with_cities: bool = False) -> pd.DataFrame:
    """One table of a release as a typed DataFrame, its file checked against the release's sha256; with
    ``with_cities``, a table of pairs (partnerships) with ``city_a_<field>`` and ``city_b_<field>`` beside its ids."""
    base, descriptor = _release(_package_folder(release, package), version)
    frame = _table(base, descriptor, table, format)
    if not with_cities:
        return frame
    if "city_a_id" not in frame.columns:
        raise TwindataError(f"{base}: with_cities joins the two cities of a pair; {table!r} has no city_a_id")
    cities = _table(base, descriptor, "cities", format)
    attrs, about = frame.attrs, cities.attrs["descriptions"]
    cities = cities.set_index("city_id")[list(CITY_FIELDS)]
    for side in ("a", "b"):
        frame = frame.join(cities.add_prefix(f"city_{side}_"), on=f"city_{side}_id")
        attrs["descriptions"].update({f"city_{side}_{f}": f"City {side.upper()}: {about[f]}" for f in CITY_FIELDS})
    frame.attrs = attrs
    return frame


def _package_folder(release: str | Path, package: str | None) -> str:
    """A local releases folder (holding ``<package>/versions.json``) as the package folder it means: ``package``'s,
    or its only one; anything else as given."""
    from twindata.read.locate import pick_package

    where, local = str(release), Path(release)
    if "://" in where or not local.is_dir() or any((local / f).is_file() for f in ("datapackage.json", "versions.json")):
        return where
    return str(pick_package(local, package, hint="package="))


def _table(base: str, descriptor: dict, table: str, format: str) -> pd.DataFrame:
    if format not in FORMATS:
        raise TwindataError(f"format={format!r}: a table is published as {' or '.join(map(repr, FORMATS))}")
    name = table if format == "csv" else f"{table}-parquet"
    resource = next((r for r in descriptor.get("resources", []) if r.get("name") == name and r.get("type") != "file"),
                    None)
    if resource is None:
        tables = sorted({r["name"].removesuffix("-parquet") for r in descriptor.get("resources", [])
                         if r.get("type") != "file"})
        raise TwindataError(f"{base}: no table {table!r} in {format} (tables: {_names(tables)})")
    url = _join(base, resource["path"])
    size = resource.get("bytes")
    limit = size if isinstance(size, int) and not isinstance(size, bool) and 0 <= size <= MAX_BYTES else MAX_BYTES
    fields = resource["schema"]["fields"]
    with _open(url, expected=resource["hash"].removeprefix("sha256:"), limit=limit) as data:
        try:
            arrow = _read_csv(data, resource["schema"]) if format == "csv" else pq.read_table(data)
        except (pa.ArrowException, OSError) as exc:
            raise TwindataError(f"{url}: cannot be read as {format}: {exc}") from None
    frame = arrow.to_pandas(types_mapper=_NULLABLE.get, date_as_object=True)
    frame.attrs.update(descriptions={f["name"]: f.get("description", "") for f in fields}, schema=resource["schema"],
                       source=url, version=descriptor.get("version"))
    return frame


def _read_csv(data, schema: dict) -> pa.Table:
    """A published CSV as its Table Schema reads it: null only where a cell is one of the schema's ``missingValues``
    (``NA``, ``null``, ``-`` and the like are values, as they are in the Parquet file), each column of its type."""
    missing = schema.get("missingValues", [""])
    return pacsv.read_csv(data, convert_options=pacsv.ConvertOptions(
        column_types={f["name"]: ARROW_TYPES.get(f["type"], pa.string()) for f in schema["fields"]},
        null_values=missing, strings_can_be_null=True, quoted_strings_can_be_null=True,
        true_values=["true"], false_values=["false"]))


def _release(release: str, version: str) -> tuple[str, dict]:
    """The release folder's location and its datapackage.json: ``release`` itself when it holds one (checked against
    the package's versions.json beside it, where there is one that lists it), else the version that the package
    folder's versions.json names (its datapackage.json checked against the sha256 versions.json records)."""
    try:
        data = _read(_join(release, "datapackage.json"), probe=True, limit=JSON_BYTES)
    except FileNotFoundError:
        pass
    else:
        _check_listed(release, data)
        return release, _descriptor(_join(release, "datapackage.json"), data)
    try:
        where = _join(release, "versions.json")
        versions = _json(where, _read(where, limit=JSON_BYTES))
    except FileNotFoundError:
        raise TwindataError(f"{release}: neither a release (datapackage.json) nor a package folder (versions.json)") from None
    listed = version_entries(versions, where, ("version", "path", "datapackage_sha256"))
    wanted = versions.get("latest") if version == "latest" else version
    entry = next((v for v in listed if v["version"] == wanted), None)
    if entry is None:
        raise TwindataError(f"{release}: no version {wanted!r} (versions: {_names([v['version'] for v in listed])})")
    base = _join(release, entry["path"])
    data = _read(_join(base, "datapackage.json"), expected=entry["datapackage_sha256"], limit=JSON_BYTES,
                 listed_in="versions.json")
    return base, _descriptor(_join(base, "datapackage.json"), data)


def _check_listed(release: str, data: bytes) -> None:
    """A release folder read directly: where its package's versions.json lies beside it and lists it, its
    datapackage.json must be the one versions.json records (a mirror that swaps both a file and its hash in
    datapackage.json is caught here)."""
    parent, _, name = release.rstrip("/").rpartition("/")
    if not parent or not name:
        return
    try:
        where = f"{parent}/versions.json"
        versions = _json(where, _read(where, probe=True, limit=JSON_BYTES))
    except (FileNotFoundError, TwindataError):
        return  # a release copied on its own: its datapackage.json is all there is to check against
    listed = version_entries(versions, where, ("version", "path", "datapackage_sha256"))
    entry = next((v for v in listed if v["path"] == name), None)
    if entry is not None and hashlib.sha256(data).hexdigest() != entry["datapackage_sha256"]:
        raise TwindataError(f"{release}/datapackage.json: sha256 differs from the one {where} records (the release "
                            "was changed)")


def _descriptor(location: str, data: bytes) -> dict:
    return check_descriptor(_json(location, data), location)


def _json(location: str, data: bytes):
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TwindataError(f"{location}: not JSON ({exc})") from None
    except RecursionError:
        raise TwindataError(f"{location}: not JSON a reader can take (nested too deep)") from None


def _names(names: list[str], limit: int = 20) -> str:
    """Names for a one-line message: the first ``limit`` and how many more."""
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _join(base: str, path: str) -> str:
    if not safe_path(path):
        raise TwindataError(f"{base}: the release names a file outside itself: {path!r}")
    return f"{base.rstrip('/')}/{path}"


def _read(location: str, expected: str | None = None, probe: bool = False, limit: int = MAX_BYTES,
          listed_in: str = "the release's datapackage.json") -> bytes:
    """The bytes at a path or http(s) URL, at most ``limit``, checked against ``expected`` (sha256) when given."""
    with _open(location, expected, probe, limit, listed_in) as f:
        return f.read()


def _open(location: str, expected: str | None = None, probe: bool = False, limit: int = MAX_BYTES,
          listed_in: str = "the release's datapackage.json"):
    """A file of the bytes at a path or http(s) URL (a download spooled to disk past ``SPOOL`` bytes), at most
    ``limit`` bytes, checked against ``expected`` (sha256) before it is returned; rewound."""
    digest = hashlib.sha256()
    if location.startswith(("http://", "https://")):
        f = tempfile.SpooledTemporaryFile(max_size=SPOOL)
        _download(location, probe, limit, lambda chunk: (digest.update(chunk), f.write(chunk)))
    elif "://" in location:
        raise TwindataError(f"{location}: only local paths and http(s) URLs are read")
    else:
        path = Path(location)
        if path.is_symlink():
            raise TwindataError(f"{location}: a symbolic link, not a file of the release; not read")
        if not path.is_file():
            raise FileNotFoundError(location)
        if path.stat().st_size > limit:
            raise TwindataError(f"{location}: larger than {limit >> 20} MiB; not read")
        f = open(path, "rb")  # noqa: SIM115 (returned open, closed by the caller's with)
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    if expected is not None and digest.hexdigest() != expected:
        f.close()
        raise TwindataError(f"{location}: sha256 differs from the one {listed_in} records (the file was changed)")
    f.seek(0)
    return f


def _download(url: str, probe: bool, limit: int, write) -> None:
    from twindata.sources.transport.bounded import bounded_get

    deadline = time.monotonic() + (TIMEOUT if limit <= JSON_BYTES else DEADLINE)
    try:
        with requests.Session() as session:
            response = bounded_get(session, url, url, timeout=TIMEOUT, deadline=deadline, max_bytes=limit,
                                   write=write)
    except requests.RequestException as exc:
        if probe:
            raise FileNotFoundError(url) from None
        raise TwindataError(f"{url}: {type(exc).__name__}: {exc}") from None
    if response.status_code == 404:
        raise FileNotFoundError(url)
    if response.status_code != 200:
        raise TwindataError(f"{url}: HTTP {response.status_code}")
