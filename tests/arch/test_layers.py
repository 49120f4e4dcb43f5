"""The layers import one way: graph ← loaders ← viz ← api ← chainx (docs/ARCHITECTURE.md).

Every import statement of every module is read from its source (module-level and inside
functions alike), so a late import inside a function cannot hide a loop.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["graph", "loaders", "viz", "api", "chainx"]
# What each package may import of the others; anything else is a layer looping back.
ALLOWED = {
    "graph": set(),
    "loaders": {"graph"},
    "viz": {"graph"},
    "api": {"graph", "loaders", "viz"},
    "chainx": {"graph", "loaders", "viz", "api"},
}


def imported_packages(path: Path) -> set[str]:
    """The first-party top-level packages one module imports (relative imports stay inside)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in PACKAGES)
    return found


def package_imports() -> dict[str, dict[str, set[Path]]]:
    """{package: {imported package: the modules that import it}}."""
    edges: dict[str, dict[str, set[Path]]] = {p: {} for p in PACKAGES}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for imported in imported_packages(path) - {package}:
                edges[package].setdefault(imported, set()).add(path.relative_to(ROOT))
    return edges


def test_the_walk_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import os\ndef f():\n    from api.app import create_app\n    import graph.store\nfrom . import x\n")
    assert imported_packages(module) == {"api", "graph"}


def test_no_cycle_between_the_packages():
    graph = nx.DiGraph((a, b) for a, targets in package_imports().items() for b in targets)
    cycles = list(nx.simple_cycles(graph))
    assert cycles == [], f"import cycles between packages: {cycles}"


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_only_the_layers_below_it(package):
    wrong = {imported: sorted(map(str, modules)) for imported, modules in package_imports()[package].items()
             if imported not in ALLOWED[package]}
    assert wrong == {}, f"{package} imports layers it may not: {wrong}"
