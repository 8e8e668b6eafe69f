"""Hostile input, third round: ``twindata.load`` over a path or a mirror. A forged or malformed release, and a server
that lies about sizes, inflates, drips or redirects elsewhere, each end in one clear exception, within bounded time
and memory, with nothing of theirs returned as checked."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import twindata
from twindata.contract.errors import TwindataError
from twindata.read import loader

PACKAGE = "dortmund-twinning"


@pytest.fixture
def package(shared_releases, tmp_path) -> Path:
    return shutil.copytree(shared_releases / "registry" / PACKAGE, tmp_path / "releases" / PACKAGE)


def rewrite(path: Path, change) -> None:
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(change(descriptor)), encoding="utf-8")


def forge(package: Path) -> None:
    """What a mirror could do: replace the cities' Parquet and its hash in datapackage.json (not versions.json)."""
    release = package / "2.0.0"
    data = release / "data" / "cities.parquet"
    table = pq.read_table(data)
    pq.write_table(table.set_column(2, table.schema.field(2), pa.array(["Forged"] * table.num_rows)), data)
    digest = hashlib.sha256(data.read_bytes()).hexdigest()

    def change(d):
        for r in d["resources"]:
            if r["path"] == "data/cities.parquet":
                r["hash"] = f"sha256:{digest}"
        return d

    rewrite(release / "datapackage.json", change)


def test_a_mirror_that_forges_a_file_and_its_hash_is_caught_by_versions_json(package):
    forge(package)
    with pytest.raises(TwindataError, match="datapackage.json: sha256 differs from the one versions.json records"):
        twindata.load("cities", release=package)
    with pytest.raises(TwindataError, match="sha256 differs from the one .*versions.json records"):
        twindata.load("cities", release=package / "2.0.0")  # the release itself, with its versions.json beside it


@pytest.mark.parametrize("content", [
    [], "x", None, {"resources": "x"}, {"resources": [{"path": "data/cities.csv", "format": "csv", "hash": "sha256:"}]},
    {"resources": [{"name": "cities", "path": ["data", "cities.csv"], "format": "csv", "hash": "sha256:" + "0" * 64}]},
    {"resources": [{"name": "cities", "path": None, "format": "csv", "hash": "sha256:" + "0" * 64}]},
    {"resources": [{"name": "cities", "path": 7, "format": "csv", "hash": "sha256:" + "0" * 64}]},
    {"resources": [{"name": "cities", "path": {"a": 1}, "format": "csv", "hash": "sha256:" + "0" * 64}]},
])
def test_a_datapackage_of_the_wrong_shape_is_one_clear_error(package, content):
    (package / "versions.json").unlink()  # else versions.json's checksum refuses the changed file first
    (package / "2.0.0" / "datapackage.json").write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(TwindataError):
        twindata.load("cities", release=package / "2.0.0")


def test_a_datapackage_nested_too_deep_is_one_clear_error(package):
    (package / "versions.json").unlink()  # else versions.json's checksum refuses the changed file first
    (package / "2.0.0" / "datapackage.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(TwindataError, match="nested too deep"):
        twindata.load("cities", release=package / "2.0.0")


@pytest.mark.parametrize("hash_", [None, "sha256:", "md5:" + "0" * 32, "sha256:" + "0" * 63])
def test_a_resource_without_a_full_sha256_is_not_read(package, hash_):
    def change(d):
        for r in d["resources"]:
            if hash_ is None:
                r.pop("hash")
            else:
                r["hash"] = hash_
        return d

    (package / "versions.json").unlink()  # so that only the resource's own hash stands in the way
    rewrite(package / "2.0.0" / "datapackage.json", change)
    with pytest.raises(TwindataError, match="hash"):
        twindata.load("cities", release=package / "2.0.0")


@pytest.mark.parametrize("entry", [{"version": "2.0.0"}, {"version": "2.0.0", "path": 7}, "2.0.0",
                                   {"version": "2.0.0", "path": "2.0.0"}])
def test_a_versions_entry_of_the_wrong_shape_is_one_clear_error(package, entry):
    rewrite(package / "versions.json", lambda d: {**d, "versions": [entry]})
    with pytest.raises(TwindataError, match="not a versions index"):
        twindata.load("cities", release=package)


def test_an_unknown_format_a_symlink_and_a_huge_resource_list(package, tmp_path):
    release = package / "2.0.0"
    with pytest.raises(TwindataError, match="format='json'"):
        twindata.load("cities", release=release, format="json")
    with pytest.raises(TwindataError, match="format='CSV'"):
        twindata.load("cities", release=release, format="CSV")
    outside = tmp_path / "outside.parquet"
    shutil.copy(release / "data" / "cities.parquet", outside)
    (release / "data" / "cities.parquet").unlink()
    (release / "data" / "cities.parquet").symlink_to(outside)
    with pytest.raises(TwindataError, match="symbolic link"):
        twindata.load("cities", release=release)
    (package / "versions.json").unlink()
    rewrite(release / "datapackage.json", lambda d: {**d, "resources": [
        {**d["resources"][0], "name": f"t{i}"} for i in range(10_000)]})
    with pytest.raises(TwindataError, match="and 9980 more") as info:
        twindata.load("nope", release=release)
    assert len(str(info.value)) < 1000


class Hostile(SimpleHTTPRequestHandler):
    """Serves the releases folder; a fault set on the server applies to the cities' Parquet file."""

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 (the stdlib's name)
        fault = self.server.fault
        if not self.path.endswith("/cities.parquet") or fault is None:
            return super().do_GET()
        kind, value = fault
        if kind == "announce":
            self.send_response(200)
            self.send_header("Content-Length", str(value))
            self.end_headers()
            self.wfile.write(b"PAR1")
        elif kind == "gzip_bomb":
            body = gzip.compress(b"\0" * value, compresslevel=9)
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif kind == "drip":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(1000):
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(value)
        elif kind == "redirect":
            self.send_response(302)
            self.send_header("Location", value + self.path)
            self.end_headers()


@pytest.fixture
def mirror(package):
    server = ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: Hostile(*a, directory=str(package.parent)))
    server.fault = None
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}/{PACKAGE}"
    server.shutdown()


def test_a_body_announced_larger_than_the_limit_is_not_read(mirror):
    server, url = mirror
    server.fault = ("announce", 2 << 30)
    start = time.monotonic()
    with pytest.raises(TwindataError, match="announces 2,147,483,648 bytes"):
        twindata.load("cities", release=url)
    assert time.monotonic() - start < 10


def test_a_gzip_bomb_inflates_no_further_than_the_limit(mirror, monkeypatch):
    server, url = mirror
    monkeypatch.setattr(loader, "MAX_BYTES", 1 << 20)
    server.fault = ("gzip_bomb", 16 << 20)
    with pytest.raises(TwindataError, match="larger than 1 MiB once decoded"):
        twindata.load("cities", release=url)


def test_a_server_that_drips_is_cut_off_by_the_deadline(mirror, monkeypatch):
    server, url = mirror
    monkeypatch.setattr(loader, "DEADLINE", 2)
    server.fault = ("drip", 0.2)
    start = time.monotonic()
    with pytest.raises(TwindataError):
        twindata.load("cities", release=url)
    assert time.monotonic() - start < 10


def test_a_redirect_to_another_host_is_not_followed(mirror):
    server, url = mirror
    server.fault = ("redirect", url.replace("127.0.0.1", "localhost").rsplit(f"/{PACKAGE}", 1)[0])
    with pytest.raises(TwindataError, match="redirected to another host"):
        twindata.load("cities", release=url)


def test_a_mirror_serving_the_release_unchanged_loads(mirror, package):
    _, url = mirror
    remote = twindata.load("cities", release=url)
    assert remote.equals(twindata.load("cities", release=package))
