"""Dependencies point one way: the command line -> adapters -> the server process -> the
composition root (``bot.app``) -> the rest of ``bot`` (dispatch, commands, reporting, periodic
work) -> ``surveys`` (use cases) -> the neutral vocabulary (events, messages, ports, clock) and
``storage``. Nothing below the composition root imports it, not even for typing: use cases are
given the small protocols of ``surveys.context``.

The import graph is built with ``ast`` from every import statement of the project's modules,
type-only imports (under ``TYPE_CHECKING``) and imports inside functions included, so a cycle
cannot hide behind a lazy import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("adapters", "bot", "surveys", "storage")
# Leaf modules of the core that import nothing above them: the neutral vocabulary, the metrics'
# instruments and the log helper that keeps data out of log lines.
VOCABULARY = ("bot.events", "bot.messages", "bot.ports", "bot.clock", "bot.metrics", "bot.logsafe")
COMPOSITION_ROOT = ("bot.app",)
# The server process around the app: its HTTP server and its scheduler. Adapters mount their
# routes on it (the playground starts it), so it stands below them.
SERVER_PROCESS = ("bot.server", "bot.scheduler")
# Where a process starts: the command line may start an adapter's own program (the playground,
# the Teams package), so it stands above the adapters.
ENTRY_POINTS = ("bot.cli", "bot.__main__")


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def project_modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    return {
        module_name(root, path): path
        for package in packages
        for path in sorted((root / package).rglob("*.py"))
        if "migrations" not in path.parts
    }


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(root: Path, packages: Iterable[str]) -> dict[str, set[str]]:
    """Module -> the project modules it imports (any import statement anywhere in it)."""
    modules = project_modules(root, packages)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                # ``from pkg import module`` depends on that module; ``from pkg import name`` on
                # whichever module defines the name, the package itself (its __init__)
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            for target in targets:
                found = _resolve(target, modules)
                if found is not None and found != name:
                    graph[name].add(found)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layer(module: str) -> int:
    """0: vocabulary and storage; 1: use cases; 2: the core below its root (dispatch, commands,
    reporting, periodic work); 3: the composition root; 4: the server process; 5: adapters;
    6: entry points."""
    if module in ENTRY_POINTS:
        return 6
    if module.startswith("adapters"):
        return 5
    if module in SERVER_PROCESS:
        return 4
    if module in COMPOSITION_ROOT:
        return 3
    if module in VOCABULARY or module.startswith("storage"):
        return 0
    if module.startswith("surveys"):
        return 1
    return 2


def test_no_import_cycle_among_the_projects_modules() -> None:
    assert cycles(import_graph(ROOT, PACKAGES)) == []


def test_every_import_points_down_or_sideways() -> None:
    graph = import_graph(ROOT, PACKAGES)
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        for target in targets
        if layer(target) > layer(module)
    )
    assert upward == []


def test_a_cycle_is_found_when_one_is_added(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.b import thing\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import c\nthing = 1\n"
    )
    (package / "c.py").write_text("def late():\n    from . import a\n")
    (package / "d.py").write_text("import pkg.a\n")
    graph = import_graph(tmp_path, ["pkg"])
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]
