"""The layers of the tree, read from the imports (AST), so the rule lives in code, not prose.

``cli`` -> ``flows`` -> ``pipeline`` -> stage packages -> ``rotation``: a package may import
only the layers below it, never a sibling stage package and never back up; only ``flows``
imports Prefect; and no two modules import each other, however indirectly (lazy imports
inside functions count too: a circle is a circle whether Python resolves it at start-up or
later).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORE = "rotation"
STAGES = ("sources", "quality", "transforms", "alerts", "reporting")
# What each package may import from the project, besides itself.
ALLOWED: dict[str, set[str]] = {
    CORE: set(),
    **{stage: {CORE} for stage in STAGES},
    "pipeline": {CORE, *STAGES},
    "flows": {CORE, *STAGES, "pipeline"},
    "cli": {CORE, *STAGES, "pipeline", "flows"},
}
PREFECT_ALLOWED = {"flows"}


def _modules() -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    found = {}
    for package in ALLOWED:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of every import in the file, at any depth, absolute or relative."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = path.relative_to(REPO).parent.parts
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            yield node.lineno, base
            for alias in node.names:  # `from pkg import module` imports a module too
                yield node.lineno, f"{base}.{alias.name}"


MODULES = _modules()


def _project_target(name: str) -> str | None:
    """The project module an imported name resolves to (longest known prefix), or None."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in MODULES:
            return candidate
    return None


def test_every_package_imports_only_the_layers_below_it() -> None:
    wrong = []
    for module, path in MODULES.items():
        package = module.split(".")[0]
        for line, name in _imports(path):
            top = name.split(".")[0]
            if top in ALLOWED and top != package and top not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(REPO)}:{line} imports {name}")
    assert not wrong, "imports against the layers:\n" + "\n".join(sorted(set(wrong)))


def test_only_flows_imports_prefect() -> None:
    wrong = [
        f"{path.relative_to(REPO)}:{line} imports {name}"
        for module, path in MODULES.items()
        if module.split(".")[0] not in PREFECT_ALLOWED
        for line, name in _imports(path)
        if name.split(".")[0] == "prefect"
    ]
    assert not wrong, "Prefect outside flows/:\n" + "\n".join(sorted(set(wrong)))


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for module, path in MODULES.items():
        for _, name in _imports(path):
            target = _project_target(name)
            # A package's __init__ importing its own submodules is how a package is made,
            # not a circle between them.
            if target and target != module and not target.startswith(module + "."):
                graph[module].add(target)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_through_others() -> None:
    circles = _circles(_graph())
    assert not circles, "import circles: " + "; ".join(" <-> ".join(c) for c in circles)


def test_the_check_can_fail(tmp_path: Path) -> None:
    """The circle finder finds a circle, and the layer rule sees a stage importing Prefect."""
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]
    stage = tmp_path / "sources" / "bad.py"
    stage.parent.mkdir()
    stage.write_text("def f():\n    from prefect import task\n    import flows.daily\n")
    names = [name for _, name in _imports_at(stage, tmp_path)]
    assert "prefect" in names and "flows.daily" in names


def _imports_at(path: Path, root: Path) -> list[tuple[int, str]]:
    global REPO
    saved, REPO = REPO, root
    try:
        return list(_imports(path))
    finally:
        REPO = saved


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_every_layer_exists(package: str) -> None:
    assert (REPO / package / "__init__.py").exists()
