"""The layers run one way: `ingest/` (pure, no Dagster) ← `orchestration/` (Dagster wiring) ← the command line
(`opsready/`), with no import circle and no import hidden inside a function; and loading the definitions does no
work on the data root."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("ingest", "orchestration", "opsready", "expectations")
CLI_MODULES = {"opsready.cli", "opsready.gate_commands"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in sorted((REPO / package).rglob("*.py"))}


def _resolve(name: str, node: ast.ImportFrom | None, importer: str, known: set[str]) -> list[str]:
    """The project modules an import statement names (`from pkg import mod` names pkg.mod when that is a module)."""
    if node is not None and node.level:  # relative: from . import x / from .x import y
        base = importer.split(".")[: -node.level] if not (REPO / Path(*importer.split("."))).is_dir() else \
            importer.split(".")[: len(importer.split(".")) - node.level + 1]
        name = ".".join(base + ([node.module] if node.module else []))
    found = []
    if node is not None:  # `from pkg import mod` imports pkg.mod (and pkg itself for names that are not modules)
        found += [f"{name}.{alias.name}" for alias in node.names if f"{name}.{alias.name}" in known]
        if name in known and len(found) < len(node.names):
            found.append(name)
    elif name in known:
        found.append(name)
    if not found:  # `import a.b.c` where only a.b is a module
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name:
            found.append(name)
    return found


def import_graph() -> tuple[dict[str, set[str]], list[str]]:
    """Each project module's imports of project modules, and every import of one made inside a function."""
    modules = _modules()
    known = set(modules)
    graph: dict[str, set[str]] = {m: set() for m in modules}
    local: list[str] = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        inside = {id(n) for f in functions for n in ast.walk(f) if n is not f}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [t for alias in node.names for t in _resolve(alias.name, None, module, known)]
            elif isinstance(node, ast.ImportFrom):
                targets = _resolve(node.module or "", node, module, known)
            else:
                continue
            targets = [t for t in targets if t != module]
            graph[module].update(targets)
            if targets and id(node) in inside:
                local.append(f"{path.relative_to(REPO)}:{node.lineno} imports {', '.join(targets)}")
    return graph, local


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in graph[v]:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def test_the_graph_sees_the_imports_it_must():
    # the test's own parser, checked on imports known to be there (else an empty graph would pass everything)
    graph, _ = import_graph()
    assert "orchestration.runtime" in graph["opsready.cli"]
    assert "ingest.gx" in graph["ingest.gx_process"]  # from ingest import gx
    assert "orchestration.resources" in graph["orchestration.definitions"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circle():
    graph, _ = import_graph()
    assert _cycles(graph) == []


def test_ingest_imports_nothing_from_orchestration_or_the_command_line():
    graph, _ = import_graph()
    upward = {m: sorted(t for t in targets if t.startswith(("orchestration", "opsready")))
              for m, targets in graph.items() if m.startswith("ingest")}
    assert {m: t for m, t in upward.items() if t} == {}


def test_orchestration_imports_nothing_from_the_command_line():
    graph, _ = import_graph()
    upward = {m: sorted(targets & CLI_MODULES) for m, targets in graph.items() if m.startswith("orchestration")}
    assert {m: t for m, t in upward.items() if t} == {}


def test_ingest_does_not_import_dagster():
    for path in sorted((REPO / "ingest").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not [n for n in names if n.split(".")[0].startswith("dagster")], path


def test_no_project_module_is_imported_inside_a_function():
    _, local = import_graph()
    assert local == []


def test_loading_the_definitions_touches_no_data_root(tmp_path):
    """Import every module, then load the code location as Dagster does: nothing is created or read under an empty
    OPSREADY_DATA (no warehouse opened, no Dagster home), and the dbt step and per-plant checks are declared."""
    data = tmp_path / "data"
    data.mkdir()
    script = (
        "import importlib, pkgutil\n"
        "import ingest, opsready, orchestration\n"
        "for package in (ingest, opsready, orchestration):\n"
        "    for info in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "        if not info.name.endswith('__main__'):\n"
        "            importlib.import_module(info.name)\n"
        "from orchestration.definitions import defs\n"
        "loaded = defs()\n"
        "graph = loaded.resolve_asset_graph()\n"
        "print(len(list(graph.get_all_asset_keys())), sorted(k.name for k in graph.asset_check_keys "
        "if k.asset_key.path == ['marts', 'plant_readiness']))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("OPSREADY_WAREHOUSE", "DAGSTER_HOME")}
    env.update(OPSREADY_DATA=str(data), DAGSTER_DISABLE_TELEMETRY="1", DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assets, checks = done.stdout.split(" ", 1)
    assert int(assets) > 60  # every model, landing entity and warehouse step
    assert "plants_ready" in checks
    assert list(data.iterdir()) == []
