"""One ``planner.plan`` run, timed part by part: run by ``bench_plan.py`` in a fresh process per version.

The checkout to time comes first on ``PYTHONPATH`` (the process refuses to run if ``planner`` is
imported from anywhere else). Printed as the last line of stdout, one JSON object:

* ``planner_file``: where ``planner`` was imported from;
* ``import``: seconds of ``import planner`` (everything the package imports when imported);
* ``stages``: ``Plan.seconds`` (the pipeline's own wall time per stage);
* ``plan``: seconds of the whole ``planner.plan`` call;
* ``outputs``: seconds to render each file ``Plan.write`` writes, then ``(writing to disk)``;
* ``files``: the file names rendered (``bench_plan.py`` compares them with what ``planner plan`` wrote).

The outputs are timed inside the version's own ``Plan.write`` (with the defaults of ``planner plan``):
its source is read and each file's expression wrapped in a timer (the values of its ``files`` dict,
``files[name] = ...``, ``files.update(...)`` and the final ``write_outputs``), so the same calls run
in the same order as in ``planner plan``, whatever the version writes and however it writes it.

Run: ``PYTHONPATH=<checkout> python benchmarks/plan_runner.py OUT_DIR [SOURCE]``
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import sys
import textwrap
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: what the timed parts of Plan.write are called when not by a file name
DISK = "(writing to disk)"


def _file_name(node: ast.expr | None) -> bool:
    """Whether ``node`` is a string constant naming a file (``"plan.html"``)."""
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and "." in node.value


class _Timer(ast.NodeTransformer):
    """Wraps each output's expression in ``Plan.write`` into ``_timed(name, lambda: expression)``."""

    @staticmethod
    def _wrap(name: str | None, node: ast.expr) -> ast.expr:
        thunk = ast.Lambda(args=ast.arguments([], [], None, [], [], None, []), body=node)
        return ast.Call(ast.Name("_timed", ast.Load()), [ast.Constant(name), thunk], [])

    def visit_Dict(self, node: ast.Dict) -> ast.Dict:
        self.generic_visit(node)
        node.values = [
            self._wrap(str(key.value), value) if isinstance(key, ast.Constant) and _file_name(key) else value
            for key, value in zip(node.keys, node.values)
        ]
        return node

    def visit_Assign(self, node: ast.Assign) -> ast.Assign:
        self.generic_visit(node)
        target = node.targets[0]
        if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) and _file_name(target.slice):
            node.value = self._wrap(str(target.slice.value), node.value)
        return node

    def visit_Call(self, node: ast.Call) -> ast.Call:
        self.generic_visit(node)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "update" and node.args:
            node.args = [self._wrap(None, node.args[0])]  # named by the files it returns
        return node

    def visit_Return(self, node: ast.Return) -> ast.Return:
        self.generic_visit(node)
        if node.value is not None:
            node.value = self._wrap(DISK, node.value)
        return node


def timed_write(plan: Any, out_dir: Path, outputs: dict[str, float]) -> list[str]:
    """Run the version's writer (``planner.write(plan, out_dir)``, before it ``plan.write(out_dir)``) with each output's
    time added to ``outputs``; the names of the files."""
    import planner

    write = getattr(planner, "write", None) or type(plan).write
    tree = ast.parse(textwrap.dedent(inspect.getsource(write)))
    tree = ast.fix_missing_locations(_Timer().visit(tree))
    names: list[str] = []

    def _timed(name: str | None, make: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        value = make()
        seconds = time.perf_counter() - start
        if name is None:  # files.update(...): one call makes several files, its time goes to the first
            keys = list(value)
            names.extend(keys)
            outputs.update({key: seconds if i == 0 else 0.0 for i, key in enumerate(keys)})
        else:
            outputs[name] = seconds
            if name != DISK:
                names.append(name)
        return value

    namespace = dict(sys.modules[write.__module__].__dict__, _timed=_timed)
    exec(compile(tree, inspect.getsourcefile(write) or "<write>", "exec"), namespace)
    namespace[write.__name__](plan, out_dir)
    return names


def main(argv: list[str]) -> dict:
    out_dir = Path(argv[0])
    source = argv[1] if len(argv) > 1 and argv[1] else None
    expected = os.environ.get("BENCH_PLAN_CHECKOUT")

    start = time.perf_counter()
    import planner

    import_seconds = time.perf_counter() - start
    planner_file = str(Path(planner.__file__).resolve())
    if expected and not planner_file.startswith(str(Path(expected).resolve()) + os.sep):
        raise SystemExit(f"planner imported from {planner_file}, not from the checkout {expected}")

    warnings.simplefilter("ignore")
    start = time.perf_counter()
    result = planner.plan(source)  # a source: the same call in every version
    plan_seconds = time.perf_counter() - start

    outputs: dict[str, float] = {}
    files = timed_write(result, out_dir, outputs)
    return {
        "planner_file": planner_file,
        "import": import_seconds,
        "stages": dict(result.seconds),
        "plan": plan_seconds,
        "outputs": outputs,
        "files": sorted(files),
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
