"""Maximal covering (mclp), its budget form, and the coverage curve (the capacitated forms: :mod:`.capacity`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InputError, SolverError
from ._highs import Constraint, milp, status_of
from ._reduce import dominated_sites, merge_rows
from .cover import lscp
from .problem import Problem
from .results import BudgetResult, MaxCoverStats

__all__ = ["budget_cover", "coverage_curve", "first_p", "greedy", "greedy_order", "mclp"]


def greedy_order(block: sp.csr_matrix, rw: np.ndarray, bonus: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """
    Greedy maximal covering: k columns, each adding the most uncovered weight (ties: lowest index).

    After each pick only the columns sharing a newly covered row are re-summed, each
    exactly as a full product would sum it (so gains are the same floats, and ties
    break the same way, as recomputing every column at every step).

    Parameters
    ----------
    block
        0/1 rows x columns.
    rw
        Weight of each row.
    bonus
        Weight each column adds whatever else is chosen (rows only it reaches).
    k
        Columns to pick (at most the number of columns).

    Returns
    -------
    order, gains
        The columns in the order picked and the weight each added.
    """
    n = block.shape[1]
    csc = sp.csc_matrix(block, dtype=float)
    csr = sp.csr_matrix(block)
    left = rw.astype(float).copy()
    gain = bonus + np.asarray(csc.T @ left).ravel()
    chosen = np.zeros(n, bool)
    order = np.zeros(min(k, n), np.int64)
    gains = np.zeros(min(k, n))
    for step in range(min(k, n)):
        j = int(np.argmax(np.where(chosen, -np.inf, gain)))
        order[step], gains[step] = j, gain[j]
        chosen[j] = True
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        hit = rows[left[rows] > 0]
        if len(hit):
            left[hit] = 0.0
            touched = np.unique(csr[hit].indices)
            gain[touched] = bonus[touched] + np.asarray(csc[:, touched].T @ left).ravel()
    return order, gains


def greedy(block: sp.csr_matrix, rw: np.ndarray, bonus: np.ndarray, k: int) -> np.ndarray:
    """The columns :func:`greedy_order` picks, as a boolean mask."""
    chosen = np.zeros(block.shape[1], bool)
    chosen[greedy_order(block, rw, bonus, k)[0]] = True
    return chosen


def _reduced(a: sp.csr_matrix, w: np.ndarray, req: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Reachable rows no required site covers, identical ones merged, weightless ones dropped."""
    rows_idx = np.flatnonzero(np.diff(a.indptr) > 0)
    rows, rw = a[rows_idx], w[rows_idx]
    if len(req):
        pre = np.asarray(rows[:, req].sum(axis=1)).ravel() > 0
        rows, rw = rows[~pre], rw[~pre]
    rows, rw = merge_rows(rows, rw)
    positive = rw > 0
    return rows[positive], rw[positive]


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

    Returns
    -------
    selected, status, gap, stats
    """
    n_rows, n_sites = a.shape
    chosen = np.zeros(n_sites, bool)
    chosen[req] = True
    rows, rw = _reduced(a, w, req)
    free = np.flatnonzero(~chosen)
    useful = np.diff(sp.csc_matrix(rows[:, free]).indptr) > 0
    if costs is None:
        useful &= ~dominated_sites(sp.csr_matrix(rows[:, free]), np.zeros(0, np.int64))
    k_free = (p - len(req)) if p is not None else None
    cand = free[useful]
    stats: dict[str, Any] = {"rows": int(n_rows), "distinct_rows": int(rows.shape[0]), "sites_kept": len(cand)}
    if k_free is not None and len(cand) < k_free:
        # fewer useful sites than stations: keep them all, fill with the rest
        chosen[cand] = True
        chosen[np.setdiff1d(free, cand)[: k_free - len(cand)]] = True
        return np.flatnonzero(chosen), "optimal", 0.0, MaxCoverStats(**stats)
    block = sp.csr_matrix(rows[:, cand])
    # a home only one candidate reaches adds its weight to that site: no row needed
    single = np.diff(block.indptr) == 1
    bonus = np.bincount(block.indices[block.indptr[:-1][single]], weights=rw[single], minlength=len(cand))
    block, rw = block[~single], rw[~single]
    stats["rows_in_model"] = int(block.shape[0])
    n, m = len(cand), block.shape[0]
    if n == 0 or (k_free is not None and k_free == 0):
        return np.flatnonzero(chosen), "optimal", 0.0, MaxCoverStats(**stats)
    if m == 0 and k_free is not None:
        # every home has one candidate: the p largest bonuses (ties: lowest index)
        chosen[cand[np.argsort(-bonus, kind="stable")[:k_free]]] = True
        return np.flatnonzero(chosen), "optimal", 0.0, MaxCoverStats(**stats)
    c = np.concatenate([-bonus, -rw])
    link = sp.hstack([-block.astype(float), sp.identity(m, format="csr")], format="csr")
    constraints = [Constraint(link, -np.inf, 0.0)]
    if costs is None:
        constraints.append(Constraint(np.concatenate([np.ones(n), np.zeros(m)])[None, :], k_free, k_free))
    else:
        assert budget is not None
        spent = float(costs[req].sum())
        constraints.append(Constraint(np.concatenate([costs[cand], np.zeros(m)])[None, :], -np.inf, budget - spent))
    start = None
    if k_free is not None:
        # a greedy plan gives HiGHS an incumbent to prune against from the start
        pick = greedy(block, rw, bonus, k_free)
        hit = np.asarray(block[:, pick].sum(axis=1)).ravel() > 0
        start = np.concatenate([pick.astype(float), hit.astype(float)])
        stats["greedy_objective"] = float(bonus[pick].sum() + rw[hit].sum())
    x, result = milp(
        c,
        np.concatenate([np.ones(n), np.zeros(m)]),
        np.zeros(n + m),
        np.ones(n + m),
        constraints,
        time_limit,
        start=start,
        integral_values=bool(np.all(c == np.round(c))),
    )
    if x is None:
        raise SolverError(f"HiGHS found no solution ({result.message})")
    chosen[cand[x[:n] > 0.5]] = True
    return (np.flatnonzero(chosen), *status_of(result), MaxCoverStats(**stats))


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


def _needed(curve: pd.DataFrame, lscp_count: int) -> dict[str, int | None]:
    needed: dict[str, int | None] = {f"{t}%": first_p(curve, "coverable_share", t / 100) for t in (80, 90, 95)}
    needed["100%"] = lscp_count
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
        (site indices, space-separated). ``needed``: stations needed to cover
        80 / 90 / 95 / 100 % of the reachable population (``None`` when more
        than ``max_p``; 100 % is the exact lscp minimum).
    """
    prob = Problem.build(coverage_or_cost, radius=radius, weights=weights, required=required)
    _n_rows, n_sites = prob.shape
    w, req = prob.weights, prob.required
    if isinstance(max_p, bool) or int(max_p) != max_p or max_p < 1:
        raise InputError(f"max_p={max_p!r}: expected a whole number >= 1")
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
    return curve, _needed(curve, len(lscp(a, req, time_limit)[0]))
