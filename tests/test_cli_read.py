"""The command line knows packages: with both packages in one releases folder, --package picks one for asof, diff,
validate, versions and partners; a package or releases folder is taken wherever a release is; --city and partners
take a city's name, QID or id, and an ambiguous name lists the candidates."""

from __future__ import annotations

import shutil

import pytest

from conftest import cli


@pytest.fixture(scope="module")
def both(shared_releases, tmp_path_factory):
    out = tmp_path_factory.mktemp("both") / "releases"
    shutil.copytree(shared_releases / "registry" / "dortmund-twinning", out / "dortmund-twinning")
    shutil.copytree(shared_releases / "world" / "world-twinning", out / "world-twinning")
    return out


def test_the_readmes_asof_works_once_both_packages_exist(both):
    done = cli("asof", "2013-12-31", "--city", "Q1295", "--out", str(both), "--package", "dortmund")
    assert done.returncode == 0, done.stderr
    assert "Rostov-on-Don – Dortmund: twinning 1977–, active" in done.stdout
    by_name = cli("asof", "2013-12-31", "--city", "dortmund", "--out", str(both), "--package", "dortmund-twinning")
    assert by_name.stdout == done.stdout
    unnamed = cli("asof", "2013-12-31", "--out", str(both))
    assert unnamed.returncode == 1 and unnamed.stderr.count("\n") == 1
    assert "2 packages (dortmund-twinning, world-twinning); name one with --package" in unnamed.stderr


def test_an_ambiguous_or_unknown_city_is_one_line(both):
    done = cli("asof", "2013-12-31", "--city", "Springfield", "--out", str(both), "--package", "world")
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "cities are named 'Springfield': Springfield (US, Q" in done.stderr and "give the city_id" in done.stderr
    missing = cli("partners", "Atlantis", "--out", str(both), "--package", "world")
    assert missing.returncode == 1 and "no city named 'Atlantis'" in missing.stderr


def test_partners_by_name_from_either_package(both):
    for package in ("dortmund", "world"):
        done = cli("partners", "Dortmund", "--out", str(both), "--package", package)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines[0].startswith("Partners of Dortmund (Q1295)")
        assert lines[1].startswith("  1960–") and "Amiens [FR]: twinning, active, confirmed" in lines[1]
        assert any("Rostov-on-Don" in line and "[RU]: twinning, suspended since 2022" in line for line in lines)


def test_validate_versions_and_diff_take_packages_and_folders(both):
    assert cli("validate", "--out", str(both), "--package", "dortmund").returncode == 0
    assert cli("validate", str(both / "world-twinning"), "--checksums-only").returncode == 0  # a package folder
    listed = cli("versions", "--out", str(both), "--package", "world")
    assert listed.returncode == 0 and listed.stdout.startswith("world-twinning 2.0.0") and "dortmund" not in listed.stdout
    same = cli("diff", "2.0.0", str(both / "dortmund-twinning"), "--out", str(both), "--package", "dortmund")
    assert same.returncode == 0 and "NO change: identical tables" in same.stdout
    which = cli("diff", "2.0.0", "2.0.0", "--out", str(both))
    assert which.returncode == 1 and "2 packages in" in which.stderr and "name one with --package" in which.stderr
