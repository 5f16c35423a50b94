"""The layout of ``local/``: no import cycle, no module too long to read.

The imports are read from the source (``ast``), those inside functions included: an import moved into a
function still makes a cycle, it only hides it until run time.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import ROOT

LOCAL = ROOT / "local"
#: Cycles between packages of ``local/`` still allowed, each with its reason. The lead removes an entry when the
#: cycle is gone; the test then also fails if the entry is stale.
ALLOWED_CYCLES: dict[frozenset[str], str] = {}
#: Modules allowed over :data:`MAX_LINES`, each with its reason (removed when the module is split).
ALLOWED_LONG: dict[str, str] = {}
#: "About 600 lines": past this a module is split along its sections.
MAX_LINES = 620


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The modules of ``local`` that ``path`` imports, anywhere in the file (``from local import x`` → local.x)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        for name in names:
            module = name
            while module and module not in modules:  # a name imported from a module, not a module
                module = module.rpartition(".")[0]
            if module and module != "local":
                found.add(module)
    return found


def package_of(module: str) -> str:
    """``local.engine.clock`` → ``local.engine``; ``local.cli`` → ``local.cli``."""
    return ".".join(module.split(".")[:2])


def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in LOCAL.rglob("*.py")}
    return {module: imports_of(path, set(files)) - {module} for module, path in files.items()}


def cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_between_the_packages_of_local():
    """No package or top module of ``local/`` imports, directly or not, one that imports it back.

    The tools (demo, bench, cost, reliability, load) take what they share from modules that import none of
    them (``local.paths``, ``local.aws``, ``local.figures``, ``local.launch``, ``local.workflows``), never from
    the CLI; ``graph`` imports nothing of ``validation``.
    """
    packages: dict[str, set[str]] = {}
    for module, targets in graph().items():
        packages.setdefault(package_of(module), set()).update(package_of(t) for t in targets)
    for package, targets in packages.items():
        targets.discard(package)
    found = [frozenset(c) for c in cycles(packages)]
    assert [set(c) for c in found if c not in ALLOWED_CYCLES] == []
    assert set(ALLOWED_CYCLES) <= set(found), "an allowed cycle is gone: remove it from ALLOWED_CYCLES"


def test_no_import_cycle_between_the_modules_of_a_package():
    """Inside a package, modules import each other one way only (the package's ``__init__`` included)."""
    edges = graph()
    for module, targets in edges.items():  # importing a submodule runs its package first: not an edge back
        edges[module] = {t for t in targets if not module.startswith(t + ".")}
    assert [c for c in cycles(edges) if len({package_of(m) for m in c}) == 1] == []


def test_no_source_module_is_too_long_to_read():
    """Every module of ``local/`` is about 600 lines at most: a longer one is split along its sections."""
    long = {str(p.relative_to(ROOT)): n for p in LOCAL.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert {path: n for path, n in long.items() if path not in ALLOWED_LONG} == {}


def test_the_cycle_finder_finds_cycles():
    """The helper itself: a two-node and a three-node cycle are found, a chain is not."""
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [{"a", "b"}]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [{"a", "b", "c"}]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
