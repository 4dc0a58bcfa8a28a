"""Stage modules that are also their stage's function: ``planner.coverage(...)`` and ``import planner.coverage``."""

from __future__ import annotations

import sys
import types
from typing import Any

__all__ = ["make_callable"]


class _StageModule(types.ModuleType):
    """A module whose call is its stage function (named by ``__stage__``)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, self.__stage__)(*args, **kwargs)


def make_callable(module_name: str, function_name: str) -> None:
    """
    Let ``module_name`` be called as its function ``function_name``.

    The package exposes its stages as functions (``planner.coverage(network, ...)``)
    while ``import planner.coverage`` must still give the module (its ``Coverage``,
    ``nearest_entries``...): Python allows a module's class to be replaced by a
    :class:`types.ModuleType` subclass, which this does.
    """
    module = sys.modules[module_name]
    module.__stage__ = function_name  # type: ignore[attr-defined]
    module.__class__ = _StageModule
