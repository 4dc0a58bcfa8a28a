"""Exception types raised on purpose by Station Planner.

Each type is also a builtin (``ValueError`` / ``RuntimeError``) so that plain
``except ValueError`` keeps working for callers who do not import ours.
"""

from __future__ import annotations

__all__ = ["DataError", "InputError", "PlannerError", "SolverError"]


class PlannerError(Exception):
    """Base of every error Station Planner raises on purpose."""

    #: exit code the CLI uses for this kind of error
    exit_code = 1


class InputError(PlannerError, ValueError):
    """The caller passed something unusable (a parameter, a path, a file's shape)."""

    exit_code = 2


class DataError(PlannerError, ValueError):
    """The data cannot support the request (empty area, corrupt file, nothing reachable)."""

    exit_code = 1


class SolverError(PlannerError, RuntimeError):
    """The optimiser failed or gave no answer."""

    exit_code = 1
