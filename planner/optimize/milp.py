"""The one HiGHS wrapper every model solves through (highspy, silent, single-threaded, seeded), and the clock.

:class:`Deadline` is the one time limit of a :func:`planner.solve` call: every inner
solve and loop asks it for the seconds left. :func:`gap_of` is the one definition
of a reported gap.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = [
    "Constraint",
    "Deadline",
    "MilpResult",
    "add_rows",
    "gap_of",
    "highs_model",
    "limit_run",
    "milp",
    "new_highs",
    "seconds_left",
    "status_of",
]


@dataclass(frozen=True)
class Constraint:
    """Rows ``lower <= A @ x <= upper`` of a model (bounds broadcast to the rows)."""

    A: Any
    lower: Any
    upper: Any


@dataclass(frozen=True)
class MilpResult:
    """
    What HiGHS said about one solve.

    Attributes
    ----------
    status
        0 optimal, 1 time limit, 2 infeasible, 3 stopped at a point as good as ``stop_at``, 4 other.
    message
        HiGHS' words for the status.
    mip_gap
        HiGHS' own relative gap (``inf`` without a point).
    objective
        ``c @ x`` of the point returned (``inf`` without one).
    bound
        The best proven lower bound on ``c @ x`` (``-inf`` when HiGHS proved none).
    """

    status: int
    message: str
    mip_gap: float
    objective: float = float("inf")
    bound: float = -float("inf")


class Deadline:
    """
    One total time limit, shared by every solve and loop of a :func:`planner.solve` call.

    Parameters
    ----------
    seconds
        The limit from now, or ``None`` for none.
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.end = None if seconds is None else time.perf_counter() + float(seconds)

    def left(self) -> float | None:
        """Seconds left (never negative), or ``None`` without a limit."""
        return None if self.end is None else max(0.0, self.end - time.perf_counter())

    def expired(self) -> bool:
        """Whether the limit has passed."""
        return self.end is not None and time.perf_counter() >= self.end


def seconds_left(limit: float | Deadline | None) -> float | None:
    """The seconds a solve may take: a plain limit as given, a :class:`Deadline`'s remainder."""
    return limit.left() if isinstance(limit, Deadline) else limit


def gap_of(value: float, bound: float) -> float:
    """
    The reported gap of a plan: ``|value - bound| / max(|value|, |bound|)``, 0 when both are 0.

    ``bound`` is the best proven bound on the optimum (below it for a minimisation,
    above for a maximisation), in the same units as ``value``. The result is always
    finite and in [0, 1]: the optimum lies between the plan and the bound, so a gap
    of 0.01 means the plan is within 1 % of the best the bound allows. A missing
    bound (infinite) gives 1: nothing is proven.
    """
    if not np.isfinite(value) or not np.isfinite(bound):
        return 1.0
    scale = max(abs(value), abs(bound))
    if scale == 0.0:
        return 0.0
    return float(min(1.0, abs(value - bound) / scale))


_BANNER_SHOWN = False


def new_highs() -> Any:
    """
    A silent ``highspy.Highs``; HiGHS prints a banner on stdout at its first construction, which is muted.

    Returns
    -------
    highs
        A new solver object with ``output_flag`` off.
    """
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


def highs_model(c: np.ndarray, integrality: Any, lower: Any, upper: Any, constraints: Sequence[Constraint]) -> Any:
    """
    A ``highspy.HighsLp`` minimising ``c @ x`` under ``constraints`` and the column bounds.

    Parameters
    ----------
    c
        Objective per column.
    integrality
        Per column, 1 for an integer column, 0 for a continuous one.
    lower, upper
        Column bounds.
    constraints
        The rows, stacked in order (row-wise matrix).

    Returns
    -------
    lp
        The model, to pass to ``Highs.passModel``.
    """
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


def add_rows(h: Any, cut: Constraint) -> None:
    """Append the rows of ``cut`` to the HiGHS model ``h``."""
    import highspy

    a = cut.A.tocsr()
    n = a.shape[0]
    row_lo = np.broadcast_to(np.asarray(cut.lower, dtype=float), (n,)).copy()
    row_hi = np.clip(np.broadcast_to(np.asarray(cut.upper, dtype=float), (n,)), -highspy.kHighsInf, highspy.kHighsInf)
    h.addRows(n, row_lo, row_hi.copy(), a.nnz, a.indptr[:-1].astype(np.int32), a.indices.astype(np.int32), a.data)


def limit_run(h: Any, deadline: Deadline) -> bool:
    """
    Set the HiGHS object's time limit to the deadline; ``False`` when it has passed.

    HiGHS compares its ``time_limit`` with the run time summed over every ``run()``
    of the object (measured, highspy 1.16), so a reused model gets that sum plus the
    seconds left, not the seconds left alone.
    """
    left = deadline.left()
    if left is None:
        return True
    if left <= 0:
        return False
    h.setOptionValue("time_limit", float(h.getRunTime()) + max(float(left), 1e-3))
    return True


def _watch(h: Any, stop_at: float, integral_values: bool, work: int | None) -> dict[str, bool]:
    """
    Interrupt HiGHS once the yes / no question "is there a point with ``c @ x <= stop_at``?" is answered.

    Yes: an improving point that good. No: the global dual bound above ``stop_at``
    (with whole values, above it once rounded up). The model keeps its plain
    objective: a row ``c @ x <= stop_at`` instead makes HiGHS prove infeasibility
    without an incumbent, hence without reduced-cost fixing (2.5x the nodes and the
    time on a 530-row set cover whose minimum is one above the question, measured).
    ``work``: give up (neither) after this many of HiGHS' interrupt checks (it makes
    them at fixed points of its search; highspy 1.16 reports no iteration count
    there), a box that, unlike seconds, gives the same answer on every run and machine.
    """
    tol = 1e-9 * max(1.0, abs(stop_at))
    answer = {"yes": False, "no": False, "gave_up": False}
    checks = [0]

    def above(bound: float) -> bool:
        if integral_values:
            return bool(np.ceil(bound - 1e-5) > stop_at + tol)
        return bound > stop_at + 1e-6 * max(1.0, abs(stop_at))

    def improving(event: Any) -> None:
        if event.data_out.objective_function_value <= stop_at + tol:
            answer["yes"] = True
            event.interrupt()

    def interrupt(event: Any) -> None:
        checks[0] += 1
        if answer["yes"]:
            event.interrupt()
        elif above(float(event.data_out.mip_dual_bound)):
            answer["no"] = True
            event.interrupt()
        elif work is not None and checks[0] > work:
            answer["gave_up"] = True
            event.interrupt()

    h.cbMipImprovingSolution.subscribe(improving)
    h.cbMipInterrupt.subscribe(interrupt)
    return answer


def milp(
    c: Any,
    integrality: Any,
    lower: Any,
    upper: Any,
    constraints: Sequence[Constraint],
    time_limit: float | Deadline | None,
    start: Any = None,
    integral_values: bool = False,
    stop_at: float | None = None,
    work: int | None = None,
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
        Seconds, a :class:`Deadline` (its remainder), or ``None``.
    start
        A feasible point to start from (an incumbent to prune against).
    integral_values
        The caller guarantees that the optimum, and the value it recomputes from the
        chosen sites, are whole numbers (lscp; mclp / budget with whole-number
        weights). HiGHS may then stop at an absolute gap below 1: the sites it
        returns score a whole number above the bound minus 1, hence the optimum.
    stop_at
        Stop at the first point with ``c @ x <= stop_at`` (status 3; a yes / no
        question: is there a point this good?) or once the bound proves there is
        none (status 2). With ``integral_values`` the values are whole, and
        ``stop_at`` must be too.
    work
        With ``stop_at``: give up the question after this many of HiGHS' interrupt
        checks (status 1, as a time limit): a deterministic time box.

    Returns
    -------
    x, result
        ``x`` is ``None`` when no feasible point was found.
    """
    import highspy

    c = np.asarray(c, dtype=float)
    h = new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    if integral_values:
        h.setOptionValue("mip_abs_gap", 1.0 - 1e-6)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", 1)
    clock = time_limit if isinstance(time_limit, Deadline) else Deadline(time_limit)
    limit = clock.left()
    if limit is not None:
        h.setOptionValue("time_limit", max(float(limit), 1e-3))
    answer = None
    if stop_at is not None:
        answer = _watch(h, float(stop_at), integral_values, work)
        # a restart after root fixings re-runs the root (cuts, strong branching) of a yes / no question: without
        # it the 900-node p-center "no" decisions ran 25-45 % faster, the others alike (measured)
        h.setOptionValue("mip_allow_restart", False)
    h.passModel(highs_model(c, integrality, lower, upper, constraints))
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
    objective = float(c @ x) if x is not None else float("inf")
    reported = float(info.objective_function_value)
    if start is not None and x is not None and abs(objective - reported) > 1e-6 * max(1.0, abs(reported)):
        # HiGHS 1.16 can hand back the start instead of the better point it reports: solve again without it
        return milp(c, integrality, lower, upper, constraints, clock, None, integral_values, stop_at, work)
    if answer is not None and code in (0, 2, 4):
        assert stop_at is not None
        good = x is not None and objective <= stop_at + 1e-9 * max(1.0, abs(stop_at))
        if good and code != 0:
            return x, MilpResult(
                3, "stopped at a point as good as stop_at", float(info.mip_gap), objective, float(info.mip_dual_bound)
            )
        if not good and (code in (0, 2) or answer["no"]):
            # the tree (or its bound) proved that no point is as good as ``stop_at``
            return None, MilpResult(2, "no point as good as stop_at", float("inf"))
        if answer["gave_up"]:
            code = 1  # the work box: undecided, as at a time limit
    bound = float(info.mip_dual_bound) if code != 2 else float("inf")
    if code == 0 and x is not None:
        # a linear programme has no MIP bound: its optimum is the bound
        lp = not np.any(np.asarray(integrality) != 0)
        bound = objective if lp or not np.isfinite(bound) else min(bound, objective)
    return x, MilpResult(
        code,
        h.modelStatusToString(status),
        float(info.mip_gap) if has_point else float("inf"),
        objective,
        bound if not np.isnan(bound) else -float("inf"),
    )


def status_of(result: MilpResult, offset: float = 0.0) -> tuple[str, float]:
    """
    ``("optimal", 0.0)``, or ``("time_limit" / "highs_status_N", gap)`` with the gap of :func:`gap_of`.

    ``offset`` is what the model left out of ``c @ x`` (weight counted before
    solving), so the gap is relative to the whole objective. For a maximisation
    solved as ``min -f`` the signs cancel in :func:`gap_of`.
    """
    if result.status == 0:
        return "optimal", 0.0
    status = "time_limit" if result.status == 1 else f"highs_status_{result.status}"
    return status, gap_of(result.objective + offset, result.bound + offset)
