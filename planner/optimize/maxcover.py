"""Maximal covering (mclp), its budget form, and the coverage curve (the capacitated forms: :mod:`.capacity`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from planner.errors import InputError
from planner.optimize.cover import lscp
from planner.optimize.cover_model import Cover, shrink
from planner.optimize.heuristics import greedy, greedy_order
from planner.optimize.milp import Deadline
from planner.optimize.partial import pscp
from planner.optimize.problem import Problem
from planner.optimize.rcfix import solve_cover
from planner.optimize.reduce import merge_rows, rows_to_cover
from planner.optimize.results import BudgetResult, MaxCoverStats

__all__ = ["budget_cover", "coverage_curve", "first_p", "greedy", "greedy_order", "mclp"]


def mclp(
    a: sp.csr_matrix,
    w: np.ndarray,
    p: int | None,
    req: np.ndarray,
    time_limit: float | None,
    costs: np.ndarray | None = None,
    budget: float | None = None,
) -> tuple[np.ndarray, str, float, MaxCoverStats]:
    """
    The ``p`` columns (or the columns within ``budget``) maximising the weight of covered rows; required fixed in.

    The exact reductions (:func:`planner.optimize.cover_model.shrink`) come first, then the
    LP bound, reduced-cost fixing and a small MIP (:func:`planner.optimize.rcfix.solve_cover`).

    Returns
    -------
    selected, status, gap, stats
    """
    n_rows, n_sites = a.shape
    chosen = np.zeros(n_sites, bool)
    chosen[req] = True
    rows, rw = rows_to_cover(a, w, req)
    free = np.flatnonzero(~chosen)
    count = costs is None
    if count:
        assert p is not None
        cap, cost = float(p - len(req)), np.ones(len(free))
    else:
        assert costs is not None
        assert budget is not None
        cap, cost = max(float(budget - costs[req].sum()), 0.0), costs[free].astype(float)
    model, kept = shrink(Cover(sp.csr_matrix(rows[:, free]), rw, np.zeros(len(free)), cost, cap, count), merged=True)
    cand = free[kept]
    stats: dict[str, Any] = {
        "rows": int(n_rows),
        "distinct_rows": int(rows.shape[0]),
        "sites_kept": len(cand),
        "rows_in_model": int(model.block.shape[0]),
    }
    k_free = round(cap)
    if count and k_free == 0:
        return np.flatnonzero(chosen), "optimal", 0.0, MaxCoverStats(**stats)
    if count and len(cand) <= k_free:
        # no more useful sites than stations: keep them all, fill with the rest
        chosen[cand] = True
        chosen[np.setdiff1d(free, cand)[: k_free - len(cand)]] = True
        return np.flatnonzero(chosen), "optimal", 0.0, MaxCoverStats(**stats)
    # the weight required sites cover, outside the model: gaps are of the whole objective
    reach = np.diff(a.indptr) > 0
    offset = float(w[reach].sum() - rw.sum())
    out = solve_cover(model, time_limit, offset)
    chosen[cand[out.pick]] = True
    stats.update(
        incumbent_objective=out.incumbent,
        lp_bound=out.lp_bound,
        sites_fixed=out.fixed,
        sites_in_mip=out.sites_in_mip,
        rows_in_mip=out.rows_in_mip,
    )
    return np.flatnonzero(chosen), out.status, out.gap, MaxCoverStats(**stats)


def budget_cover(
    a: sp.csr_matrix, w: np.ndarray, req: np.ndarray, time_limit: float | None, costs: np.ndarray, budget: float
) -> tuple[np.ndarray, str, float, BudgetResult]:
    """Sites whose costs add up to at most ``budget`` covering the most weight."""
    selected, status, gap, stats = mclp(a, w, None, req, time_limit, costs=costs, budget=budget)
    return selected, status, gap, BudgetResult(**stats.as_dict(), cost=float(costs[selected].sum()))


def first_p(curve: pd.DataFrame, column: str, share: float) -> int | None:
    """The fewest stations of a coverage curve whose ``column`` share reaches ``share`` (``None``: none does)."""
    hit = curve[curve[column] >= share - 1e-9]
    return int(hit["p"].iloc[0]) if len(hit) else None


def _needed(curve: pd.DataFrame, prob: Problem, time_limit: float | None) -> dict[str, int | None]:
    """Stations for 80 / 90 / 95 % of the reachable residents (beyond the curve: pscp) and 100 % (lscp)."""
    w, reach = prob.weights, prob.reach
    needed: dict[str, int | None] = {}
    for t in (80, 90, 95):
        first = first_p(curve, "coverable_share", t / 100)
        if first is None and w[reach].sum() > 0:
            # the fewest stations, exactly, however many more than the curve's largest p
            share = t / 100 * float(w[reach].sum()) / float(w.sum())
            selected, status, _, _ = pscp(prob.cover, w, share, prob.required, Deadline(time_limit))
            first = len(selected) if status == "optimal" else None
        needed[f"{t}%"] = first
    needed["100%"] = len(lscp(prob.cover, prob.required, time_limit)[0])
    return needed


def coverage_curve(
    coverage_or_cost: Any,
    *,
    max_p: int,
    radius: float | None = None,
    weights: Any = None,
    required: Any = None,
    time_limit: float | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> tuple[pd.DataFrame, dict[str, int | None]]:
    """
    The exact maximal-covering optimum for p = 1 .. ``max_p`` stations.

    The reductions (identical homes merged, dominated and useless sites dropped)
    are made once and shared by every p; once every reachable home is covered the
    remaining p are not solved again (the optimum cannot rise).

    Parameters
    ----------
    coverage_or_cost, radius, weights, required, time_limit
        As for :func:`planner.solve`.
    max_p
        Largest number of stations.
    progress
        Optional callback ``progress(message, fraction)``.

    Returns
    -------
    curve, needed
        ``curve``: a DataFrame with ``p``, ``population_covered``,
        ``covered_share`` (of all residents), ``coverable_share`` (of residents
        some candidate reaches), ``status``, ``gap``, ``seconds``, ``selected``
        (site indices, space-separated). ``needed``: the fewest stations covering
        80 / 90 / 95 / 100 % of the reachable population, exact even beyond
        ``max_p`` (partial set covering; 100 %: the lscp minimum); ``None`` only
        when a time limit stopped that search.
    """
    prob = Problem.build(coverage_or_cost, radius=radius, weights=weights, required=required)
    _n_rows, n_sites = prob.shape
    w, req = prob.weights, prob.required
    if isinstance(max_p, bool) or int(max_p) != max_p or max_p < 1:
        raise InputError(f"max_p={max_p!r}: expected a whole number >= 1")
    if max_p < len(req):  # the curve starts at the stations kept
        raise InputError(
            f"max_p={int(max_p)}: smaller than the number of existing stations that must be kept ({len(req)}); "
            f"expected at least {len(req)}"
        )
    max_p = min(int(max_p), n_sites)
    a, reach = prob.cover, prob.reach
    total, coverable = float(w.sum()), float(w[reach].sum())
    merged, mw = merge_rows(a[reach], w[reach])  # shared by every p
    records = []
    last: dict[str, Any] | None = None
    for p in range(max(1, len(req)), max_p + 1):
        t = time.perf_counter()
        if last is not None and last["population_covered"] >= coverable - 1e-9:
            sel, status, gap = last["_selected"], "optimal", 0.0
            sel = np.sort(np.concatenate([sel, np.setdiff1d(np.arange(n_sites), sel)[: p - len(sel)]]))
        else:
            sel, status, gap, _ = mclp(merged, mw, p, req, time_limit)
        pop = float(w[np.asarray(a[:, sel].sum(axis=1)).ravel() > 0].sum())
        last = {
            "p": p,
            "population_covered": round(pop, 3),
            "covered_share": round(pop / total, 6) if total else 0.0,
            "coverable_share": round(pop / coverable, 6) if coverable else 0.0,
            "status": status,
            "gap": gap,
            "seconds": round(time.perf_counter() - t, 4),
            "selected": " ".join(map(str, sel)),
            "_selected": sel,
        }
        records.append(last)
        if progress:
            progress(f"coverage curve: p = {p} of {max_p}", p / max_p)
    curve = pd.DataFrame(records).drop(columns="_selected")
    return curve, _needed(curve, prob, time_limit)
