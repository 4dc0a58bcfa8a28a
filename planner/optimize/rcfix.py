"""
Maximal covering (``p`` sites or a budget) solved exactly by LP reduced-cost fixing and a small MIP.

The model, after :mod:`planner.optimize.maxcover`'s reductions: columns are sites, each with a
``bonus`` (the weight of homes no other column reaches); rows are homes two or more columns
reach, with weight ``rw``. Choose columns (``sum x = cap``, or ``cost @ x <= cap``) to maximise
``bonus @ x + rw @ y`` where ``y_i = 1`` when some chosen column reaches row ``i``.

When homes have many candidate sites the compact model is large but its LP relaxation is
nearly integral, and most of branch-and-bound's work is spent proving what the LP already
says. So:

1. The LP relaxation (``y_i <= sum_{j in N(i)} x_j``, ``0 <= x, y <= 1``) is solved once. Its
   duals ``u >= 0`` (one per row) and ``v`` (the count or budget row) give, by weak duality and
   for *every* plan ``x`` with ``y`` the rows it covers::

       value(x) <= U - sum_j |dx_j| [x_j off its preferred bound] - sum_i |dy_i| [y_i off its]

   with ``dx_j = bonus_j + sum_{i in N(j)} u_i - v cost_j``, ``dy_i = rw_i - u_i`` and
   ``U = v cap + sum max(dx, 0) + sum max(dy, 0)``. ``U`` and ``d`` are computed here from the
   duals, so the argument holds whatever the LP solver's tolerances.
2. An incumbent of value ``z``: the LP solution rounded, improved by swapping sites.
3. A plan worth more than ``z`` therefore keeps ``x_j`` at its preferred bound wherever
   ``|dx_j| > U - z``, and leaves row ``i`` uncovered (all its columns out) wherever
   ``-dy_i > U - z``. Those columns are fixed; what is left is a much smaller maximal
   covering problem, reduced again (identical rows merged, single-column rows folded into
   bonuses, dominated columns dropped) and solved by HiGHS, started from the incumbent. The
   better of the two is optimal: every plan better than the incumbent lies in the smaller problem.

This is branch-and-bound's reduced-cost fixing, done once at the root with an incumbent
that is usually optimal or nearly so, so that it fixes most sites (Chen et al. 2024 presolve
maximal covering in the same spirit). A Benders decomposition on the site variables
(Cordeau, Furini & Ljubić 2019) needs lazy constraints, which HiGHS 1.16 does not offer
(its lazy-constraint callback type is declared but not implemented); an iterative Benders
loop re-solves a MIP per round, which loses to this when the compact LP is this close.
One time limit covers every step; on expiry the best plan so far is returned with a finite gap
against ``U`` (before the LP is solved: against what the best columns reach on their own).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from planner.errors import SolverError
from planner.optimize.cover_model import (
    Cover,
    cover_milp,
    dual_bound,
    lp_incumbent,
    lp_relaxation,
    reduced_cost_fixings,
    restricted_cover,
    rounded_plan,
    shrink,
)
from planner.optimize.heuristics import greedy, improve_by_swaps
from planner.optimize.milp import gap_of, status_of

__all__ = ["CoverOutcome", "solve_cover"]


@dataclass(frozen=True)
class CoverOutcome:
    """What :func:`solve_cover` found: the plan, its status and gap, and how the model shrank."""

    pick: np.ndarray
    status: str
    gap: float
    incumbent: float | None = None
    lp_bound: float | None = None
    fixed: int = 0
    sites_in_mip: int = 0
    rows_in_mip: int = 0


def _fill(model: Cover, pick: np.ndarray) -> np.ndarray:
    """A count model's plan topped up to ``cap`` columns (largest bonus first); adding a column never loses weight."""
    missing = round(model.cap) - int(pick.sum()) if model.count else 0
    if missing > 0:
        rest = np.flatnonzero(~pick)
        pick = pick.copy()
        pick[rest[np.argsort(-model.bonus[rest], kind="stable")[:missing]]] = True
    return pick


def _direct(model: Cover, time_limit: float | None, start: np.ndarray | None) -> tuple[np.ndarray, str, bool]:
    """
    The compact MIP, solved by HiGHS (from ``start`` when it is a feasible plan).

    Returns
    -------
    pick, status, finished
        The plan, ``"optimal"`` or HiGHS' status, and whether HiGHS proved it optimal.
    """
    m, n = model.block.shape
    k = round(model.cap)
    if model.count and (m == 0 or n <= k):
        # every row folded into a bonus, or room for every column: the largest bonuses
        return _fill(model, np.zeros(n, bool)), "optimal", True
    point = None
    if start is not None and model.feasible(start):
        point = np.concatenate([start, model.covered(start)]).astype(float)
    weights = np.concatenate([model.bonus, model.rw])
    x, result = cover_milp(model, time_limit, start=point, integral_values=bool(np.all(weights == np.round(weights))))
    if x is None:
        if start is not None and point is not None:
            return start, "time_limit", False
        raise SolverError(f"HiGHS found no solution ({result.message})")
    return x[:n] > 0.5, status_of(result)[0], result.status == 0


def _hint(model: Cover, plan: np.ndarray | None) -> np.ndarray:
    """A plan to start the MIP from: ``plan`` topped up, or the greedy plan (count models), improved by swaps."""
    if not model.count:
        return plan if plan is not None else np.zeros(model.n, bool)  # spending nothing keeps to any budget
    k = round(model.cap)
    plan = _fill(model, plan) if plan is not None else greedy(model.block, model.rw, model.bonus, min(k, model.n))
    return improve_by_swaps(model.block, model.rw, model.bonus, plan)


def _gap(upper: float, value: float, offset: float) -> float:
    """The reported gap (:func:`planner.optimize.milp.gap_of`) of the whole objective: the model's plus ``offset``."""
    return gap_of(value + offset, max(upper, value) + offset)


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else deadline - time.perf_counter()


def _no_lp(model: Cover, offset: float) -> CoverOutcome:
    """
    The time ran out before the LP: the columns reaching the most weight, with a finite gap.

    The bound: all the weight, and for a count the ``cap`` largest weights columns reach
    (a plan covers at most the sum of what its columns reach).
    """
    reach = model.bonus + np.asarray(sp.csr_matrix(model.block, dtype=float).T @ model.rw).ravel()
    pick = rounded_plan(model, reach)
    value = model.value(pick)
    upper = float(model.bonus.sum() + model.rw.sum())
    if model.count:
        upper = min(upper, float(np.sort(reach)[::-1][: round(model.cap)].sum()))
    return CoverOutcome(pick, "time_limit", _gap(upper, value, offset))


def solve_cover(model: Cover, time_limit: float | None, offset: float = 0.0) -> CoverOutcome:
    """
    The plan of most value, proven optimal (see the module's text).

    Parameters
    ----------
    model
        A reduced model (:func:`shrink`).
    time_limit
        Seconds for every step together, or ``None``.
    offset
        The weight the plan gets whatever the model picks (rows the required sites cover):
        the gap is reported on the whole objective, as the other models report theirs.

    Returns
    -------
    CoverOutcome
    """
    if model.count and model.n <= round(model.cap):
        return CoverOutcome(np.ones(model.n, bool), "optimal", 0.0)
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    lp = lp_relaxation(model, time_limit)
    if lp is None:
        return _no_lp(model, offset)
    x, u, v = lp
    upper, dx, dy = dual_bound(model, u, v)
    best = lp_incumbent(model, x)
    z = model.value(best)
    done = CoverOutcome(best, "optimal", 0.0, incumbent=z, lp_bound=upper, fixed=model.n)
    whole = bool(np.all(model.rw == np.round(model.rw)) and np.all(model.bonus == np.round(model.bonus)))
    gap = upper - z
    if gap <= 1e-9 * max(1.0, abs(upper)) or (whole and gap < 1.0 - 1e-6):
        return done
    fixed = reduced_cost_fixings(model, dx, dy, gap + 1e-7 * (1.0 + abs(upper)))
    if fixed is None:
        return done
    fix_in, fix_out = fixed
    restricted = restricted_cover(model, fix_in, fix_out)
    if restricted is None:
        return done
    sub, cols = restricted
    small, kept = shrink(sub)
    left = _left(deadline)
    if left is not None and left <= 0:
        return replace(done, status="time_limit", gap=_gap(upper, z, offset), fixed=int(model.n - len(cols)))
    hint = best[cols][kept] if (fix_in <= best).all() and not (best & fix_out).any() else None
    sub_pick, status, finished = _direct(small, left, _hint(small, hint))
    pick = fix_in.copy()
    chosen = np.zeros(len(cols), bool)
    chosen[kept[sub_pick]] = True
    pick[cols[_fill(sub, chosen)]] = True
    value = model.value(pick)
    if value < z or not model.feasible(pick):
        pick, value = best, z
    return CoverOutcome(
        pick,
        "optimal" if finished else status,
        0.0 if finished else _gap(upper, value, offset),
        incumbent=z,
        lp_bound=upper,
        fixed=int(model.n - len(cols)),
        sites_in_mip=small.n,
        rows_in_mip=int(small.block.shape[0]),
    )
