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
import io
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import requests

from twindata.contract.errors import TwindataError
from twindata.contract.files import check_descriptor, safe_path
from twindata.contract.schema import ARROW_TYPES

MAX_BYTES = 4 << 30  # a download larger than this is refused, whatever its server says
TIMEOUT = 60
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
    name = table if format == "csv" else f"{table}-parquet"
    resource = next((r for r in descriptor.get("resources", []) if r.get("name") == name and r.get("type") != "file"),
                    None)
    if resource is None:
        tables = sorted({r["name"].removesuffix("-parquet") for r in descriptor.get("resources", [])
                         if r.get("type") != "file"})
        raise TwindataError(f"{base}: no table {table!r} in {format} (tables: {', '.join(tables)})")
    url = _join(base, resource["path"])
    data = _read(url, expected=str(resource.get("hash", "")).removeprefix("sha256:"))
    fields = resource["schema"]["fields"]
    if format == "csv":
        arrow = _read_csv(data, resource["schema"])
    else:
        arrow = pq.read_table(io.BytesIO(data))
    frame = arrow.to_pandas(types_mapper=_NULLABLE.get, date_as_object=True)
    frame.attrs.update(descriptions={f["name"]: f.get("description", "") for f in fields}, schema=resource["schema"],
                       source=url, version=descriptor.get("version"))
    return frame


def _read_csv(data: bytes, schema: dict) -> pa.Table:
    """A published CSV as its Table Schema reads it: null only where a cell is one of the schema's ``missingValues``
    (``NA``, ``null``, ``-`` and the like are values, as they are in the Parquet file), each column of its type."""
    missing = schema.get("missingValues", [""])
    return pacsv.read_csv(io.BytesIO(data), convert_options=pacsv.ConvertOptions(
        column_types={f["name"]: ARROW_TYPES.get(f["type"], pa.string()) for f in schema["fields"]},
        null_values=missing, strings_can_be_null=True, quoted_strings_can_be_null=True,
        true_values=["true"], false_values=["false"]))


def _release(release: str, version: str) -> tuple[str, dict]:
    """The release folder's location and its datapackage.json: ``release`` itself when it holds one, else the
    version that the package folder's versions.json names."""
    try:
        return release, _descriptor(_join(release, "datapackage.json"), probe=True)
    except FileNotFoundError:
        pass
    try:
        where = _join(release, "versions.json")
        versions = _json(where, _read(where))
    except FileNotFoundError:
        raise TwindataError(f"{release}: neither a release (datapackage.json) nor a package folder (versions.json)") from None
    listed = versions.get("versions") if isinstance(versions, dict) else None
    if not isinstance(listed, list) or not all(isinstance(v, dict) and isinstance(v.get("version"), str)
                                               and isinstance(v.get("path"), str) for v in listed):
        raise TwindataError(f"{where}: not a versions index (an object with a list of versions, each with its version "
                            "and path)")
    wanted = versions.get("latest") if version == "latest" else version
    entry = next((v for v in listed if v["version"] == wanted), None)
    if entry is None:
        raise TwindataError(f"{release}: no version {wanted!r} (versions: {', '.join(v['version'] for v in listed)})")
    base = _join(release, entry["path"])
    return base, _descriptor(_join(base, "datapackage.json"))


def _descriptor(location: str, probe: bool = False) -> dict:
    return check_descriptor(_json(location, _read(location, probe=probe)), location)


def _json(location: str, data: bytes):
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TwindataError(f"{location}: not JSON ({exc})") from None


def _join(base: str, path: str) -> str:
    if not safe_path(path):
        raise TwindataError(f"{base}: the release names a file outside itself: {path!r}")
    return f"{base.rstrip('/')}/{path}"


def _read(location: str, expected: str | None = None, probe: bool = False) -> bytes:
    """The bytes at a path or http(s) URL, checked against ``expected`` (sha256) when given."""
    if location.startswith(("http://", "https://")):
        data = _download(location, probe)
    elif "://" in location:
        raise TwindataError(f"{location}: only local paths and http(s) URLs are read")
    else:
        path = Path(location)
        if not path.is_file():
            raise FileNotFoundError(location)
        data = path.read_bytes()
    if expected and hashlib.sha256(data).hexdigest() != expected:
        raise TwindataError(f"{location}: sha256 differs from the release's datapackage.json (the file was changed)")
    return data


def _download(url: str, probe: bool) -> bytes:
    try:
        with requests.get(url, stream=True, timeout=TIMEOUT) as response:
            if response.status_code == 404:
                raise FileNotFoundError(url)
            if response.status_code != 200:
                raise TwindataError(f"{url}: HTTP {response.status_code}")
            chunks, size = [], 0
            for chunk in response.iter_content(1 << 20):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise TwindataError(f"{url}: larger than {MAX_BYTES} bytes; not read")
                chunks.append(chunk)
            return b"".join(chunks)
    except requests.RequestException as exc:
        if probe:
            raise FileNotFoundError(url) from None
        raise TwindataError(f"{url}: {type(exc).__name__}: {exc}") from None
