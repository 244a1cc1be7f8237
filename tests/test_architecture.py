"""The layout is a map of the architecture: data flows one way (docs/design.md, "Layers").

Every import in the package, at module level or inside a function, is checked: no module
imports a higher layer, engines never import each other, and there is no import cycle.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

import computecap

ROOT = Path(computecap.__file__).parent

#: Layer of each module (lower layers never import higher ones). Engines share a layer and must
#: not import each other; they reach shared records through computecap.core.
LAYERS: dict[str, int] = {
    "computecap.errors": 0, "computecap.precisions": 0,
    "computecap.cache": 1, "computecap.units": 1,
    "computecap.uncertainty": 2,
    "computecap.catalog": 3,
    "computecap.core": 4,
    "computecap.fleet": 5, "computecap.training": 5, "computecap.inference": 5, "computecap.timeline": 5,
    "computecap.controls": 5, "computecap.roofline": 5,
    "computecap.comparison": 6, "computecap.overrides": 6, "computecap.paired": 7, "computecap.sensitivity": 7,
    "computecap.report": 6, "computecap.views": 8, "computecap.plots": 8, "computecap.frames": 8,
    "computecap.html_report": 9,
    "computecap.cli": 10, "computecap.__main__": 11, "computecap": 11,
}
ENGINES = {m for m, layer in LAYERS.items() if layer == 5}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _unit(module: str) -> str:
    """The architectural unit a module belongs to (a package counts as one unit)."""
    best = max((name for name in LAYERS if module == name or module.startswith(name + ".")), key=len, default="")
    if not best:
        raise AssertionError(f"{module} has no layer in tests/test_architecture.py: add it (and to docs/design.md)")
    return best


def _imports(path: Path) -> set[str]:
    """computecap modules imported anywhere in ``path`` (absolute imports; relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("computecap")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            if base == "computecap" and all(a.name == "__version__" for a in node.names):
                continue  # the version string, set before the package's lazy facade
            if base.startswith("computecap"):
                subs = {f"{base}.{a.name}" for a in node.names if _is_module(f"{base}.{a.name}")}
                out |= subs
                if len(subs) < len(node.names):  # names taken from the module itself
                    out.add(base)
    return out


def _is_module(name: str) -> bool:
    path = ROOT.parent / name.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


@functools.cache
def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_name(path)
        graph.setdefault(_unit(module), set()).update(_unit(m) for m in _imports(path))
    for unit, deps in graph.items():
        deps.discard(unit)
    return graph


def test_every_module_has_a_layer() -> None:
    for path in ROOT.rglob("*.py"):
        _unit(_module_name(path))


@pytest.mark.parametrize("unit", sorted(LAYERS))
def test_no_upward_or_sideways_import(unit: str) -> None:
    graph = _graph()
    for dep in graph.get(unit, set()):
        if unit == "computecap" or dep == "computecap.__main__":
            continue  # the package's lazy re-exports sit above everything
        assert LAYERS[dep] <= LAYERS[unit] or (unit == "computecap.__main__"), \
            f"{unit} (layer {LAYERS[unit]}) imports {dep} (layer {LAYERS[dep]}): an upward import"
        if unit in ENGINES:
            assert dep not in ENGINES, f"engine {unit} imports engine {dep}: share records through computecap.core"
        if LAYERS[dep] == LAYERS[unit] and unit != "computecap":
            assert unit not in graph.get(dep, set()), f"{unit} and {dep} import each other"


def test_no_import_cycles() -> None:
    graph = {k: set(v) for k, v in _graph().items()}
    graph.pop("computecap", None)  # the lazy package facade
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in graph.get(node, set()) - {"computecap"}:
            if state.get(dep) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*trail[trail.index(dep):], dep]))
            if dep not in state:
                visit(dep, [*trail, dep])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])


def test_checker_sees_function_level_imports(tmp_path: Path) -> None:
    """The graph counts imports inside functions too (an upward import hidden in a method still counts)."""
    deps = _graph()["computecap.cli"]
    assert "computecap.fleet" in deps  # imported inside the estimate command only
