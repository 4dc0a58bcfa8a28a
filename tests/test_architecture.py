"""The package's shape, read from its source with ``ast``: no import circle, short modules and functions, public
names only across modules, and no function hiding the module of the same name.

The imports counted are every ``import`` statement of a module: at the top, under ``TYPE_CHECKING`` and inside
functions alike (a circle hidden in a function is still a circle).
"""

from __future__ import annotations

import ast
import importlib
from functools import cache
from pathlib import Path

import networkx as nx
import pytest

import planner

ROOT = Path(planner.__file__).resolve().parent
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
#: decorators that compile a function (its length is the kernel's, not a design's)
COMPILED = ("njit", "jit", "numba.njit", "numba.jit", "vectorize", "guvectorize")


@cache
def modules() -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is a package) for every module of ``planner``."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if package else parts)] = (path, package)
    return found


@cache
def tree(name: str) -> ast.Module:
    return ast.parse(modules()[name][0].read_text(encoding="utf-8"))


def _target(name: str, package: bool, node: ast.ImportFrom) -> str:
    """The module an ``ImportFrom`` reads from (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    base = name.split(".") if package else name.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports(name: str) -> list[tuple[str, str | None, int]]:
    """(module imported from, name imported or None, line) for every import of a planner module in ``name``."""
    package = modules()[name][1]
    out: list[tuple[str, str | None, int]] = []
    for node in ast.walk(tree(name)):
        if isinstance(node, ast.Import):
            out += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _target(name, package, node)
            out += [(source, alias.name, node.lineno) for alias in node.names]
    return [(m, n, line) for m, n, line in out if m == "planner" or m.startswith("planner.")]


def import_graph() -> nx.DiGraph:
    """Module -> the planner modules it imports (a submodule named in ``from package import submodule`` counts)."""
    known = modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(known)
    for name in known:
        for source, imported, _ in imports(name):
            target = f"{source}.{imported}" if imported and f"{source}.{imported}" in known else source
            while target not in known and "." in target:
                target = target.rsplit(".", 1)[0]
            if target != name:
                graph.add_edge(name, target)
    return graph


def test_every_module_is_read():
    assert len(modules()) > 50 and "planner.result.plan" in modules() and "planner.outputs.maps.draw" in modules()


def test_no_import_circle():
    circles = [sorted(c) for c in nx.strongly_connected_components(import_graph()) if len(c) > 1]
    assert circles == []


def test_the_oracle_sees_a_circle(tmp_path, monkeypatch):
    """The check above can fail: two modules importing each other inside functions make one circle."""
    graph = nx.DiGraph([("a", "b"), ("b", "a"), ("b", "c")])
    assert [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1] == [["a", "b"]]
    source = "def f():\n    from planner.x import y\n"
    node = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom))
    assert _target("planner.z", False, node) == "planner.x"


def test_the_result_lies_below_what_renders_it():
    below = nx.descendants(import_graph(), "planner.result")
    assert not [m for m in below if m.startswith(("planner.outputs", "planner.runs", "planner.cli"))]


def test_no_module_is_too_long():
    lengths = {n: len(p.read_text(encoding="utf-8").splitlines()) for n, (p, _) in modules().items()}
    assert {n: k for n, k in lengths.items() if k > MAX_MODULE_LINES} == {}


def _compiled(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    names = [ast.unparse(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list]
    return any(n in COMPILED or n.endswith((".njit", ".jit")) for n in names)


def function_lengths() -> dict[str, int]:
    """Lines of every function (signature and body, its docstring and decorators left out), compiled kernels aside."""
    out = {}
    for name in modules():
        for node in ast.walk(tree(name)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or _compiled(node):
                continue
            assert node.end_lineno is not None  # parsed from source: every node has its lines
            length = node.end_lineno - node.lineno + 1  # from ``def`` (a command's click options are not counted)
            body = node.body[0]
            if (
                isinstance(body, ast.Expr)
                and isinstance(body.value, ast.Constant)
                and isinstance(body.value.value, str)
            ):
                length -= (body.end_lineno or body.lineno) - body.lineno + 1
            out[f"{name}.{node.name}:{node.lineno}"] = length
    return out


def test_no_function_is_too_long():
    assert {f: n for f, n in function_lengths().items() if n > MAX_FUNCTION_LINES} == {}


def test_private_names_stay_in_their_module():
    crossing = [
        f"{name}:{line} imports {imported} from {source}"
        for name in modules()
        for source, imported, line in imports(name)
        if imported and imported.startswith("_") and not imported.startswith("__") and source != name
    ]
    assert crossing == []


def test_no_package_name_hides_its_submodule():
    """``planner.reach.walk_areas`` is the module, whatever the package exports (no function of that name)."""
    hidden = []
    for name, (_, package) in modules().items():
        if not package:
            continue
        module = importlib.import_module(name)
        for sub in (m for m in modules() if m != name and m.rsplit(".", 1)[0] == name):
            attribute = getattr(module, sub.rsplit(".", 1)[1], None)
            if attribute is not None and getattr(attribute, "__name__", None) != sub:
                hidden.append(sub)
    assert hidden == []


@pytest.mark.parametrize("name", planner.__all__)
def test_every_public_name_is_importable(name):
    assert getattr(planner, name) is not None
