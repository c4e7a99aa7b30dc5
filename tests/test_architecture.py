"""The package graph runs one way: no module cycle, no package cycle, no import up or sideways.

The layers are declared once, in ``posenc.LAYERS`` (lowest first); ``posenc.ENTRY_POINTS`` are the
programs started by name. The graph is built from the source with ``ast``, without importing it:
every ``import posenc...`` and ``from posenc... import ...`` (relative ones resolved), at module
level or inside a function, ``TYPE_CHECKING`` blocks included. ``from posenc.a import b`` is an edge
to the module ``posenc.a.b`` when that is a module, else to ``posenc.a``. Importing a submodule runs
its parent packages' ``__init__`` too; those implicit edges are not counted (a package's
``__init__`` re-exporting its own modules is not a cycle). Modules loaded by name at run time
(``importlib.import_module`` over ``posenc.cli.COMMANDS`` or ``posenc.experiments.EXPERIMENTS``) are
not edges either: both tables point down or within their own package.

Each failure names the two modules of the offending import (or the modules around a cycle).
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

import posenc

SRC = Path(posenc.__file__).resolve().parent.parent
ROOT = "posenc"


@cache
def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of src/posenc (a package is its __init__)."""
    found = {}
    for path in sorted((SRC / ROOT).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _target(name: str) -> str | None:
    """The module ``name`` refers to: itself, or the nearest enclosing module that exists."""
    known = modules()
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> set[str]:
    """The posenc modules ``module`` imports (see the module docstring for what counts)."""
    is_package = path.name == "__init__.py"
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the module's package, one level up per extra dot
                package = module.split(".") if is_package else module.split(".")[:-1]
                base = package[: len(package) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            names = []
            for alias in node.names:  # "from posenc.a import b": the module posenc.a.b if there is one
                submodule = f"{source}.{alias.name}"
                names.append(submodule if submodule in modules() else source)
        else:
            continue
        for name in names:
            if name == ROOT or name.startswith(ROOT + "."):
                target = _target(name)
                if target is not None and target != module:
                    out.add(target)
    return out


@cache
def graph() -> dict[str, set[str]]:
    return {module: _imports(module, path) for module, path in modules().items()}


def unit(module: str) -> str:
    """The layer unit of a module: its top-level package or module under posenc ("train", "cli")."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ROOT


def layer_of() -> dict[str, int]:
    return {name: level for level, names in enumerate(posenc.LAYERS) for name in names}


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The cycles of ``edges``: for each strongly connected component (Tarjan's algorithm), a shortest
    cycle through each of its members (``[a, b, a]``), without repeats; sorted for a stable report."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(v: str) -> None:  # iterative would be safer for deep graphs; this one has ~200 nodes
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in edges.get(v, ()):
                components.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    cycles = {}
    for component in components:
        for member in component:
            cycle = _one_cycle(member, component, edges)
            cycles.setdefault(frozenset(zip(cycle, cycle[1:], strict=False)), cycle)
    return sorted(cycles.values())


def _one_cycle(start: str, component: list[str], edges: dict[str, set[str]]) -> list[str]:
    """A shortest cycle through ``start`` inside its component, by breadth-first search."""
    members = set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(edges.get(v, ())):
            if w == start:
                return paths[v] + [start]
            if w in members and w not in paths:
                paths[w] = paths[v] + [w]
                queue.append(w)
    return [start, start]  # unreachable for a strongly connected component


def module_cycles() -> list[list[str]]:
    return _cycles(graph())


def package_graph() -> dict[str, set[str]]:
    """unit -> units it imports, each edge kept with one (importer, imported) module pair as witness."""
    edges: dict[str, set[str]] = {}
    for module, targets in graph().items():
        for target in targets:
            a, b = unit(module), unit(target)
            if a != b and ROOT not in (a, b) and module not in posenc.ENTRY_POINTS:
                edges.setdefault(a, set()).add(b)
    return edges


def witness(a: str, b: str) -> str:
    """One import from package ``a`` into package ``b``: 'posenc.x.m -> posenc.y.n'."""
    for module, targets in sorted(graph().items()):
        for target in sorted(targets):
            if unit(module) == a and unit(target) == b and module not in posenc.ENTRY_POINTS:
                return f"{module} -> {target}"
    return f"{a} -> {b}"


def layer_violations(importer_unit: str) -> list[str]:
    """Each import out of ``importer_unit`` that does not go strictly down, as a sentence."""
    levels, out = layer_of(), []
    for module, targets in sorted(graph().items()):
        if unit(module) != importer_unit or module in posenc.ENTRY_POINTS:
            continue
        for target in sorted(targets):
            there = unit(target)
            if target in posenc.ENTRY_POINTS:
                out.append(f"{module} imports the entry point {target} (nothing may import an entry point)")
            elif there in (importer_unit, ROOT):
                continue
            elif levels[there] == levels[importer_unit]:
                out.append(f"{module} imports {target}: sideways ({importer_unit} and {there} share a layer)")
            elif levels[there] > levels[importer_unit]:
                out.append(f"{module} imports {target}: upward ({importer_unit} is below {there})")
    return out


UNITS = [name for names in posenc.LAYERS for name in names]


def test_every_package_and_top_level_module_is_in_exactly_one_layer():
    declared = [name for names in posenc.LAYERS for name in names]
    assert len(declared) == len(set(declared)), "a name appears in two layers of posenc.LAYERS"
    found = {unit(m) for m in modules()} - {ROOT, "__main__"}
    assert found - set(declared) == set(), "packages missing from posenc.LAYERS (add them to a layer)"
    assert set(declared) - found == set(), "posenc.LAYERS names packages that do not exist"
    assert set(posenc.ENTRY_POINTS) <= set(modules()), "posenc.ENTRY_POINTS names modules that do not exist"


def test_the_root_package_imports_nothing_of_posenc():
    assert graph()[ROOT] == set()


def test_the_graph_sees_every_kind_of_import(tmp_path):
    """The scanner itself: absolute, relative and function-level imports are all edges."""
    fake = tmp_path / "fake.py"
    fake.write_text(
        "from ..data import passkey\n"
        "from . import loop\n"
        "from .checkpoint import CONFIG_NAME\n"
        "from posenc.results import plotting\n"
        "def later():\n"
        "    import posenc.atomic\n"
        "    from posenc.evaluate.passkey import passkey_accuracy\n",
        encoding="utf-8",
    )
    assert _imports("posenc.train.fake", fake) == {
        "posenc.data.passkey",
        "posenc.train.loop",
        "posenc.train.checkpoint",
        "posenc.results.plotting",
        "posenc.atomic",
        "posenc.evaluate.passkey",
    }
    assert "posenc.learn.progress" in graph()["posenc.cli"]  # a real one, inside cli._step_done


@pytest.mark.parametrize("package", [ROOT, *UNITS])
def test_no_module_cycle(package):
    cycles = [c for c in module_cycles() if unit(c[0]) == package]
    assert not cycles, "module cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_no_package_cycle():
    cycles = _cycles(package_graph())
    lines = [
        " -> ".join(c) + "  (" + "; ".join(witness(a, b) for a, b in zip(c, c[1:], strict=False)) + ")"
        for c in cycles
    ]
    assert not cycles, "package cycles:\n" + "\n".join(lines)


@pytest.mark.parametrize("package", UNITS)
def test_imports_run_down_the_layers(package):
    problems = layer_violations(package)
    assert not problems, "\n".join(problems)


def test_nothing_imports_an_entry_point():
    importers = [
        f"{module} -> {target}"
        for module, targets in sorted(graph().items())
        for target in sorted(targets)
        if target in posenc.ENTRY_POINTS
    ]
    assert not importers


def test_the_architecture_doc_draws_the_declared_layers():
    """docs/architecture.md's diagram names every package of posenc.LAYERS, lower layers drawn lower,
    and the README sends readers there (not to a file outside the repository)."""
    repo = SRC.parent
    doc = (repo / "docs" / "architecture.md").read_text(encoding="utf-8")
    diagram = doc.split("```")[1]  # the first fenced block: the layer diagram, top layer first
    lines = diagram.splitlines()

    def row(name: str) -> int:
        found = [i for i, line in enumerate(lines) if re.search(rf"(^|\s){name}(\s|$)", line)]
        assert found, f"docs/architecture.md's diagram does not name {name!r}"
        return found[0]

    for lower, upper in zip(posenc.LAYERS, posenc.LAYERS[1:], strict=False):
        for low in lower:
            for up in upper:
                assert row(low) > row(up), f"{low} is drawn above {up}"
    readme = (repo / "README.md").read_text(encoding="utf-8")
    assert "docs/architecture.md" in readme and "../shared" not in readme
