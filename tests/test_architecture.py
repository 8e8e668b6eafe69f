"""The house: the library's stages import each other in one direction only, never Dagster and never in a circle;
the declared packages, outputs and policies are what the CLI and Dagster run; and the releases both packages publish
are, byte for byte, those of the code before the library was split into stages."""

from __future__ import annotations

import ast
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from twindata.packages import PACKAGES
from twindata.publish.outputs import OUTPUTS

from release_reference import REFERENCE, files_of, library_versions

LIBRARY = Path(__file__).resolve().parents[1] / "src" / "twindata"
# each stage may import the stages before it, never one after it
LAYERS = [("contract",), ("checks", "settings", "scaffold"), ("sources",), ("context", "reconcile"), ("publish", "read"),
          ("packages",), ("cli",)]


def _module(path: Path) -> str:
    parts = path.relative_to(LIBRARY.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Every module of the library and the library modules it imports (anywhere in it, functions included)."""
    modules = {_module(p): p for p in LIBRARY.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                          for a in node.names}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def _stage(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None  # the package itself: its version, and the loader's shortcut
    return next(i for i, names in enumerate(LAYERS) if parts[1] in names)


def test_no_module_of_the_library_imports_another_in_a_circle():
    graph = _imports()
    index, low, stack, cycles, counter = {}, {}, [], [], [0]

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert cycles == []


def test_each_stage_imports_only_the_stages_before_it():
    wrong = [(a, b) for a, targets in _imports().items() for b in targets
             if _stage(a) is not None and _stage(b) is not None and _stage(b) > _stage(a)]
    assert wrong == []


def test_the_library_never_imports_dagster():
    for path in LIBRARY.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n == "dagster" or n.startswith("dagster.") or n.startswith("dagster_") for n in names), path


def test_every_module_says_what_belongs_in_it():
    for path in [*LIBRARY.rglob("*.py"), *(LIBRARY.parents[1] / "pipelines").glob("*.py")]:
        assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))), path


def test_the_declared_packages_name_their_sources_and_outputs_once():
    for package in PACKAGES.values():
        names = [s.name for s in package.sources]
        assert len(set(names)) == len(names)
        for source in package.sources:  # a source reads only what a source before it gave
            assert set(source.needs) <= set(names[:names.index(source.name)]), source.name
        assert package.outputs == OUTPUTS
    assert len({o.name for o in OUTPUTS}) == len({o.extension for o in OUTPUTS}) == len(OUTPUTS)


def test_both_releases_are_byte_for_byte_those_of_before_the_split(shared_releases):
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    if reference["libraries"] != library_versions():
        pytest.skip(f"the reference was written with {reference['libraries']}; installed: {library_versions()}")
    assert files_of(shared_releases) == reference["files"]


@pytest.mark.slow
def test_dagster_loads_the_definitions_from_an_installed_wheel(tmp_path):
    """The wheel carries the library, its templates and bundled data, and the orchestration package under a name of
    its own (``twindata_pipelines``, no top-level ``pipelines``) with its workspace.yaml: Dagster validates the code
    location from it alone (the checkout is not on the path)."""
    import subprocess
    import sys
    import zipfile

    root = LIBRARY.parents[1]
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(root), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist")], check=True, capture_output=True)
    [wheel] = (tmp_path / "dist").glob("twindata-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "twindata/publish/templates/landing.html" in names and "twindata_pipelines/definitions.py" in names
    assert "twindata_pipelines/workspace.yaml" in names and not any(n.startswith("pipelines/") for n in names)
    assert "twindata/_bundled/schemas/partnerships.json" in names
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "Requires-Python: >=3.11" in metadata and "Classifier: Programming Language :: Python :: 3.11" in metadata
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(tmp_path / "site"),
                    str(wheel)], check=True, capture_output=True)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path / "site"), "HOME": str(tmp_path)}
    where = subprocess.run([sys.executable, "-c", "import twindata, twindata_pipelines; "
                            "print(twindata.__file__, twindata_pipelines.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout
    assert where.count(str(tmp_path / "site")) == 2
    workspace = subprocess.run([sys.executable, "-m", "twindata_pipelines"], cwd=tmp_path, env=env,
                               capture_output=True, text=True, check=True).stdout.strip()
    assert workspace == str(tmp_path / "site" / "twindata_pipelines" / "workspace.yaml")
    done = subprocess.run([sys.executable, "-m", "dagster", "definitions", "validate", "-w", workspace],
                          cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0 and "Validation successful" in done.stdout + done.stderr, done.stderr[-2000:]


def test_an_older_python_is_told_which_python_twindata_needs():
    import subprocess
    import sys

    backend = LIBRARY.parents[1] / "tools" / "build_backend"
    done = subprocess.run([sys.executable, "-c", f"import sys; sys.version_info = (3, 10, 13, 'final', 0); "
                           f"sys.path.insert(0, {str(backend)!r}); import twindata_build"],
                          capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.startswith("twindata needs Python >= 3.11;"), done.stderr
    assert subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(backend)!r}); "
                           "import twindata_build; twindata_build.build_wheel"], capture_output=True).returncode == 0


def test_the_shipped_instance_turns_telemetry_off_and_keeps_wdqs_to_one_query(tmp_path):
    import shutil
    import subprocess
    import sys

    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(LIBRARY.parents[1] / "dagster-home" / "dagster.yaml", home / "dagster.yaml")
    done = subprocess.run([sys.executable, "-m", "dagster", "instance", "info"], capture_output=True, text=True,
                          env={**os.environ, "DAGSTER_HOME": str(home)}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "telemetry:\n  enabled: false" in done.stdout and "default_limit: 1" in done.stdout


@dataclass(frozen=True)
class JsonLines:
    """An output format as a new module would declare it: one JSON object a row."""

    name: str = "jsonl"
    extension: str = "jsonl"
    media_type: str = "application/jsonl"
    file_type: str = "JSON"

    def resource_name(self, table: str) -> str:
        return f"{table}-{self.name}"

    def table_name(self, resource: str) -> str:
        return resource.removesuffix(f"-{self.name}")

    def write(self, arrow, csv: bytes, path: Path) -> None:
        path.write_text("".join(json.dumps(row, default=str) + "\n" for row in arrow.to_pylist()), encoding="utf-8")

    def describe(self, size: int) -> dict:
        return {"encoding": "utf-8", "bytes": size}

    def check(self, compiled, paths) -> list:
        return []


def test_a_new_output_format_is_one_class_and_one_line_in_a_package(tmp_path):
    """Declared in a package's outputs, a format is written, listed with its checksum in datapackage.json, described
    in DCAT-AP.de, and verified with the release: nothing else changes."""
    from twindata.packages import CITY, run
    from twindata.publish.verify import verify_release
    from twindata.settings import load_settings

    package = replace(CITY, outputs=(*OUTPUTS, JsonLines()))
    result = run(package, load_settings(out=tmp_path))
    release = result.publish.path
    lines = (release / "data" / "partnerships.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == result.counts["partnerships"] and json.loads(lines[0])["partnership_id"]
    descriptor = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    mine = [r for r in descriptor["resources"] if r["format"] == "jsonl"]
    assert {r["name"] for r in mine} == {f"{t}-jsonl" for t in [*result.counts, "redirects"]}
    assert all(r["hash"].startswith("sha256:") and r["mediatype"] == "application/jsonl" for r in mine)
    assert "partnerships (jsonl), version 2.0.0" in (release / "dcat.ttl").read_text(encoding="utf-8")
    assert "file-type/JSON>" in (release / "dcat.ttl").read_text(encoding="utf-8")
    assert verify_release(release) == []
