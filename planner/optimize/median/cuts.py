"""
p-median on large instances: Benders cuts of the radius formulation (Duran-Mateluna, Ales & Elloumi 2023).

The radius formulation's home variables are projected out: the master keeps the
sites ``y`` and one walk ``theta_i`` per home, and a home's walk is bounded below
by a cut for any threshold ``D`` among its distinct minutes:

    theta_i >= D - sum_(j: d_ij < D) (D - d_ij) y_j

(if a chosen site is nearer than ``D`` the right side is at most its walk; if
none is, it is ``D``, no more than the walk). The best cut of a home at a point
``y`` is found in one pass over its sorted minutes. First the linear relaxation
is closed by rounds of cuts (each round's optimum is a lower bound); the best plan
among the sites it uses (solved exactly, a much smaller p-median) gives the
incumbent; sites whose reduced cost exceeds the gap are fixed out; then our own
branch-and-cut over the same relaxation (:mod:`._median_bb`) closes the gap. The
master is small (one row per cut, few cuts per home), where the full radius
model needs a row per level.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import scipy.sparse as sp

from planner.errors import SolverError
from planner.optimize.heuristics import locate_allocate, median_cost, median_greedy, nearest_cost
from planner.optimize.median.branch_cut import branch_and_cut
from planner.optimize.median.levels import Levels
from planner.optimize.median.lp import lp_rounds
from planner.optimize.median.swap import interchange
from planner.optimize.milp import Constraint, Deadline

__all__ = ["MedianSolver", "benders_median", "best_cuts"]

#: an exact p-median solver, ``(minutes, weights, p, required, deadline) -> (selected, status, gap)``, as
#: :func:`planner.optimize.median.model.pmedian`
MedianSolver = Callable[[sp.csr_matrix, np.ndarray, int, np.ndarray, Deadline], tuple[np.ndarray, str, float]]


def best_cuts(lv: Levels, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """
    Per home, the threshold level whose cut is highest at ``y``, and that height.

    ``lv`` is the homes' sorted minutes (:class:`planner.optimize.median.levels.Levels`).
    """
    n_levels = len(lv.value)
    n_homes = len(lv.start) - 1
    g = lv.start[lv.row] + lv.level  # each pair's global level
    yv = y[lv.col]
    s_y = np.bincount(g, weights=yv, minlength=n_levels)
    s_dy = np.bincount(g, weights=yv * lv.value[g], minlength=n_levels)
    home = np.repeat(np.arange(n_homes), np.diff(lv.start))
    cum_y, cum_dy = np.cumsum(s_y) - s_y, np.cumsum(s_dy) - s_dy
    first = lv.start[:-1]
    below_y = cum_y - cum_y[first][home]
    below_dy = cum_dy - cum_dy[first][home]
    height = lv.value * (1.0 - below_y) + below_dy
    top = np.maximum.reduceat(height, first)
    # the lowest level reaching the top (the same cut value, fewest sites)
    hit = np.flatnonzero(height >= top[home] - 1e-12)
    level = hit[np.unique(home[hit], return_index=True)[1]]
    return level, top


def _cut_rows(lv: Levels, homes: np.ndarray, level: np.ndarray, n_sites: int, n_homes: int) -> Constraint:
    """Rows ``theta_i + sum (D - d_ij) y_j >= D`` for the given homes and their global threshold levels."""
    at = np.full(n_homes, -1, np.int64)
    at[homes] = np.arange(len(homes))
    k = at[lv.row]
    g = lv.start[lv.row] + lv.level
    keep = (k >= 0) & (g < np.where(k >= 0, level[np.maximum(k, 0)], 0))
    d_cut = lv.value[level]
    rows = np.concatenate([k[keep], np.arange(len(homes))])
    cols = np.concatenate([lv.col[keep], n_sites + homes])
    vals = np.concatenate([d_cut[k[keep]] - lv.value[g[keep]], np.ones(len(homes))])
    a = sp.csr_matrix((vals, (rows, cols)), shape=(len(homes), n_sites + n_homes))
    return Constraint(a, d_cut, np.inf)


def benders_median(
    lv: Levels,
    m: sp.csr_matrix,
    w: np.ndarray,
    p: int,
    req: np.ndarray,
    base: list[Constraint],
    best: np.ndarray,
    deadline: Deadline,
    exact: MedianSolver,
) -> tuple[np.ndarray, float, float]:
    """
    Branch-and-cut by rounds: the plan with the least weighted minutes, with a proven lower bound.

    Parameters
    ----------
    lv, m, w, p, req
        Homes' sorted minutes, the reachable rows, their weights, stations, required sites.
    base
        The master's fixed rows over (y, theta): the count and "some chosen site reaches me".
    best
        A feasible plan (boolean per site) to start from.
    deadline
        The call's time limit.
    exact
        Solves the smaller p-median among the sites the closed relaxation uses
        (:func:`planner.optimize.median.model.pmedian`, which calls this function
        on large instances: passed in, so that this module stays below it).

    Returns
    -------
    best, upper, lower
        The best plan, its weighted minutes and the best lower bound proven.
    """
    n_homes, n_sites = m.shape
    heavy = np.flatnonzero(w > 0)
    c = np.concatenate([np.zeros(n_sites), w])
    lo = np.concatenate([np.zeros(n_sites), lv.value[lv.start[:-1]]])
    lo[req] = 1.0
    hi = np.concatenate([np.ones(n_sites), np.full(n_homes, np.inf)])
    best = interchange(m, w, best, req, deadline)
    upper, lower = median_cost(m, w, best), float((w * lo[n_sites:]).sum())
    level, _ = best_cuts(lv, best.astype(float))
    cuts = [_cut_rows(lv, heavy, level[heavy], n_sites, n_homes)]

    def separate(x: np.ndarray) -> Constraint | None:
        level, top = best_cuts(lv, x[:n_sites])
        theta = x[n_sites:]
        late = heavy[top[heavy] > theta[heavy] + 1e-7 * np.maximum(1.0, np.abs(top[heavy]))]
        if len(late) == 0:
            return None
        cut = _cut_rows(lv, late, level[late], n_sites, n_homes)
        cuts.append(cut)
        return cut

    def met(bound: float) -> bool:
        return upper - bound <= 1e-9 * max(1.0, upper)

    lp = lp_rounds(c, lo, hi, base + cuts[:1], separate, deadline, met)
    lower = max(lower, lp.bound)
    if lp.closed and lp.x is not None:
        # the best plan among the sites the relaxation uses (measured: the optimum itself on the benchmark's
        # road-like graphs), else the relaxation rounded and improved
        plan = _restricted(m, w, p, req, lp.x[:n_sites] > 1e-9, deadline, exact)
        if plan is None:
            plan = locate_allocate(m, w, _top_p(lp.x[:n_sites], p, req, m, w), req)
            plan = interchange(m, w, plan, req, deadline)
        value = median_cost(m, w, plan)
        if value < upper:
            best, upper = plan, value
    # sites no plan better than ``upper`` can use: the lower bound below covers the rest only up to ``upper``
    out = lp.fixed_out(n_sites, upper, best)
    hi[:n_sites][out] = 0.0
    if upper - lower <= 1e-9 * max(1.0, upper) or not lp.closed or lp.reduced is None:
        return best, upper, lower

    def rounding(y: np.ndarray) -> np.ndarray:
        return _top_p(y, p, req, m, w)

    tree = branch_and_cut(
        lp.model,
        c,
        lo,
        hi,
        n_sites,
        lp.bound,
        separate,
        partial(median_cost, m, w),
        rounding,
        best,
        upper,
        deadline,
        lp.reduced,
    )
    return tree.best, tree.upper, max(lower, tree.lower)


def _restricted(
    m: sp.csr_matrix,
    w: np.ndarray,
    p: int,
    req: np.ndarray,
    support: np.ndarray,
    deadline: Deadline,
    exact: MedianSolver,
) -> np.ndarray | None:
    """The best plan among the sites the relaxation uses (by ``exact``, in the time left), when they are fewer than all."""
    if support.sum() >= len(support) or support.sum() < p:
        return None
    sites = np.flatnonzero(support)
    sub = sp.csr_matrix(m[:, sites])
    if (np.diff(sub.indptr) == 0).any():
        return None
    try:
        chosen, _, _ = exact(sub, w, p, np.searchsorted(sites, req), deadline)
    except SolverError:
        return None
    plan = np.zeros(len(support), bool)
    plan[sites[chosen]] = True
    return plan


def _top_p(y: np.ndarray, p: int, req: np.ndarray, m: sp.csr_matrix, w: np.ndarray) -> np.ndarray:
    """The p largest values of a fractional ``y`` (required first), if they serve every home; else greedy."""
    order = np.argsort(-(y + 2.0 * np.isin(np.arange(len(y)), req)), kind="stable")
    plan = np.zeros(len(y), bool)
    plan[order[:p]] = True
    if not np.isfinite(nearest_cost(m, plan)).all():
        plan = median_greedy(m, w, p, req)
    return plan
