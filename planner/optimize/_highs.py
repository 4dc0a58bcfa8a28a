"""The one HiGHS wrapper every model solves through (highspy, silent, single-threaded, seeded)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["Constraint", "MilpResult", "milp", "status_of"]


@dataclass(frozen=True)
class Constraint:
    """Rows ``lower <= A @ x <= upper`` of a model (bounds broadcast to the rows)."""

    A: Any
    lower: Any
    upper: Any


@dataclass(frozen=True)
class MilpResult:
    """What HiGHS said: ``status`` 0 optimal, 1 time limit, 2 infeasible, 4 other; its message and MIP gap."""

    status: int
    message: str
    mip_gap: float


_BANNER_SHOWN = False


def _new_highs() -> Any:
    """A silent ``highspy.Highs``; HiGHS prints a banner on stdout at its first construction, which is muted."""
    import highspy

    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return highspy.Highs()
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _BANNER_SHOWN = True
    return h


def _stack(constraints: Sequence[Constraint], n: int) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    blocks, row_lo, row_hi = [], [], []
    for con in constraints:
        a = sp.csr_matrix(con.A, dtype=float)
        blocks.append(a)
        row_lo.append(np.broadcast_to(np.asarray(con.lower, dtype=float), (a.shape[0],)))
        row_hi.append(np.broadcast_to(np.asarray(con.upper, dtype=float), (a.shape[0],)))
    a = sp.vstack(blocks, format="csr") if blocks else sp.csr_matrix((0, n))
    lo = np.concatenate(row_lo) if row_lo else np.zeros(0)
    hi = np.concatenate(row_hi) if row_hi else np.zeros(0)
    return a, lo, hi


def _model(c: np.ndarray, integrality: Any, lower: Any, upper: Any, constraints: Sequence[Constraint]) -> Any:
    import highspy

    n = len(c)
    a, row_lo, row_hi = _stack(constraints, n)
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = a.shape[0]
    lp.col_cost_ = c
    lp.col_lower_ = np.asarray(lower, dtype=float)
    lp.col_upper_ = np.asarray(upper, dtype=float)
    lp.row_lower_ = np.clip(row_lo, -inf, inf)
    lp.row_upper_ = np.clip(row_hi, -inf, inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = a.shape[0]
    kinds = {0: highspy.HighsVarType.kContinuous, 1: highspy.HighsVarType.kInteger}
    lp.integrality_ = [kinds[int(k)] for k in np.asarray(integrality, dtype=int)]
    return lp


def milp(
    c: Any,
    integrality: Any,
    lower: Any,
    upper: Any,
    constraints: Sequence[Constraint],
    time_limit: float | None,
    start: Any = None,
    integral_values: bool = False,
) -> tuple[np.ndarray | None, MilpResult]:
    """
    Minimise ``c @ x`` over a mixed-integer programme with HiGHS, to a zero gap.

    Parameters
    ----------
    c, integrality, lower, upper
        Objective, 1 for integer / 0 for continuous columns, column bounds.
    constraints
        Row blocks.
    time_limit
        Seconds, or ``None``.
    start
        A feasible point to start from (an incumbent to prune against).
    integral_values
        The caller guarantees that the optimum, and the value it recomputes from the
        chosen sites, are whole numbers (lscp; mclp / budget with whole-number
        weights). HiGHS may then stop at an absolute gap below 1: the sites it
        returns score a whole number above the bound minus 1, hence the optimum.

    Returns
    -------
    x, result
        ``x`` is ``None`` when no feasible point was found.
    """
    import highspy

    c = np.asarray(c, dtype=float)
    h = _new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    if integral_values:
        h.setOptionValue("mip_abs_gap", 1.0 - 1e-6)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", 1)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    h.passModel(_model(c, integrality, lower, upper, constraints))
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(np.asarray(start, dtype=float))
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    codes = {
        highspy.HighsModelStatus.kOptimal: 0,
        highspy.HighsModelStatus.kTimeLimit: 1,
        highspy.HighsModelStatus.kInfeasible: 2,
    }
    code = codes.get(status, 4)
    has_point = info.primal_solution_status == 2
    x = np.asarray(h.getSolution().col_value) if has_point and code != 2 else None
    return x, MilpResult(code, h.modelStatusToString(status), float(info.mip_gap) if has_point else float("inf"))


def status_of(result: MilpResult) -> tuple[str, float]:
    """``("optimal", 0.0)``, or ``("time_limit" / "highs_status_N", gap)`` (NaN when HiGHS gave none)."""
    if result.status == 0:
        return "optimal", 0.0
    status = "time_limit" if result.status == 1 else f"highs_status_{result.status}"
    gap = result.mip_gap
    return status, float(gap) if gap is not None and np.isfinite(gap) else float("nan")
