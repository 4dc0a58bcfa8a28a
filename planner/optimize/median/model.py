"""
p-median: p stations minimising the population-weighted walk to the nearest one.

The model is the radius formulation (Elloumi 2010; García, Labbé & Marín 2011):
for each home the distinct minutes to the sites that reach it, sorted,
``D1 < D2 < ... < DK``, and a variable ``z_k`` "no chosen site within ``Dk``".
The home's walk is ``D1 + sum_k (D(k+1) - Dk) z_k``. Written as a chain,
``z_1 + y(sites at D1) >= 1`` and ``z_k - z_(k-1) + y(sites at Dk) >= 0``, every
stored (home, site) pair appears once, against the classic model's one variable
and one linking row per pair; its linear relaxation is as strong.

Exact reductions, each keeping the optimum:

* a home's walk is at most its walk to the nearest required site, and, when it
  reaches ``m >= n - p + 1`` of the ``n`` sites, at most its ``(n - p + 1)``-th
  shortest (any ``p`` sites include one of those): levels beyond are dropped, and
  such a home needs no "some chosen site reaches me" row;
* a weightless home keeps only that row;
* small models (at most :data:`FULL_MODEL_LEVELS` level variables) are solved
  whole; larger ones by Benders cuts of the same formulation
  (:mod:`planner.optimize.median.cuts`: the homes' variables projected out),
  started from a greedy / locate-allocate plan. (The loop below also supports
  truncated levels: walks beyond a home's last kept level counted at that level
  give a lower bound, and homes the chosen plan walks further get more levels.)

A time limit keeps the best plan found (its value against the best lower bound).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from planner.errors import SolverError
from planner.optimize.cover import cover_bound
from planner.optimize.heuristics import locate_allocate, median_cost, median_greedy, nearest_cost
from planner.optimize.median.cuts import benders_median
from planner.optimize.median.levels import Levels, home_levels, level_of
from planner.optimize.milp import Constraint, Deadline, gap_of, milp
from planner.optimize.reduce import pattern, row_groups
from planner.optimize.results import Assignment
from planner.reach.matrix import nearest_among

__all__ = ["FULL_MODEL_LEVELS", "assign_nearest", "feasible_start", "pmedian"]

#: up to this many level variables in all, the full radius model is solved at once (measured faster on small,
#: tie-heavy instances); above it, Benders cuts of the same formulation (:mod:`.median_cuts`, far faster on
#: road-like instances: 300 homes, p = 5 in 1.8 s against 44 s)
FULL_MODEL_LEVELS = 5_000


def assign_nearest(minutes: sp.csr_matrix, w: np.ndarray, selected: np.ndarray) -> Assignment:
    """Every home to its nearest chosen station, with the weighted, mean and longest walks."""
    site, walk = nearest_among(minutes, selected)
    ok = site >= 0
    weighted = float((w[ok] * walk[ok]).sum())
    return Assignment(
        assignment=site,
        walk_minutes=walk,
        weighted_minutes=weighted,
        mean_minutes=weighted / w[ok].sum() if w[ok].sum() > 0 else 0.0,
        longest_walk=float(walk[ok].max()) if ok.any() else 0.0,
    )


def _model(
    lv: Levels, w: np.ndarray, keep: np.ndarray, n_sites: int, p: int, cover_rows: sp.csr_matrix
) -> tuple[np.ndarray, list[Constraint], np.ndarray, float]:
    """The truncated radius model: objective, rows, the z index of each home's first level, the constant."""
    n_homes = len(keep)
    zoff = np.concatenate([[0], np.cumsum(keep)])
    n_z = int(zoff[-1])
    n_var = n_sites + n_z
    home_z = np.repeat(np.arange(n_homes), keep)
    k_z = np.arange(n_z) - zoff[home_z]
    pos = lv.start[home_z] + k_z
    c = np.concatenate([np.zeros(n_sites), w[home_z] * (lv.value[pos + 1] - lv.value[pos])])
    const = float((w * lv.value[lv.start[:-1]]).sum())
    inside = lv.level < keep[lv.row]
    pair_row = zoff[lv.row[inside]] + lv.level[inside]
    chained = k_z >= 1
    rows = np.concatenate([pair_row, np.arange(n_z), np.arange(n_z)[chained]])
    cols = np.concatenate([lv.col[inside], n_sites + np.arange(n_z), n_sites + np.arange(n_z)[chained] - 1])
    vals = np.concatenate([np.ones(int(inside.sum())), np.ones(n_z), -np.ones(int(chained.sum()))])
    chain = sp.csr_matrix((vals, (rows, cols)), shape=(n_z, n_var))
    constraints = [
        Constraint(chain, (k_z == 0).astype(float), np.inf),
        Constraint(sp.csr_matrix(np.concatenate([np.ones(n_sites), np.zeros(n_z)])[None, :]), p, p),
    ]
    if cover_rows.shape[0]:
        constraints.append(Constraint(sp.hstack([cover_rows, sp.csr_matrix((cover_rows.shape[0], n_z))]), 1.0, np.inf))
    return c, constraints, zoff, const


def _z_start(lv: Levels, keep: np.ndarray, zoff: np.ndarray, walk: np.ndarray) -> np.ndarray:
    """The z values of a plan: 1 where the home's walk is beyond the level."""
    home_z = np.repeat(np.arange(len(keep)), keep)
    pos = lv.start[home_z] + np.arange(int(zoff[-1])) - zoff[home_z]
    return (walk[home_z] > lv.value[pos]).astype(float)


def feasible_start(
    m: sp.csr_matrix, w: np.ndarray, p: int, req: np.ndarray, deadline: Deadline, start: np.ndarray | None = None
) -> np.ndarray:
    """
    A plan of ``p`` sites giving every row of ``m`` (all reachable) a site, improved by locate-allocate.

    ``start``: a boolean plan of at most ``p`` sites known to serve every row (kept, filled up greedily).

    Raises
    ------
    SolverError
        ``p`` sites cannot (the message names the fewest needed), or none was found in time.
    """
    chosen = median_greedy(m, w, p, req if start is None else np.flatnonzero(start))
    if not np.isfinite(median_cost(m, w, chosen)):
        sel, status, bound, _ = cover_bound(pattern(m), req, deadline, target=p)
        if len(sel) > p:
            if status == "bound":
                # p sites cannot: name the fewest that can (the exact lscp, in the time left)
                sel, status, bound, _ = cover_bound(pattern(m), req, deadline)
                bound = max(bound, p + 1)
            need = len(sel) if status == "optimal" else int(np.ceil(bound - 1e-9))
            if need > p:
                raise SolverError(
                    f"p={p} stations cannot give every reachable home a station within the limit; "
                    f"at least {need} are needed (or widen the limit)"
                )
            raise SolverError(
                f"p={p}: no plan giving every reachable home a station was found within the time limit "
                f"(the fewest stations that can is between {need} and {len(sel)}); raise --time-limit"
            )
        chosen = median_greedy(m, w, p, sel)
    return locate_allocate(m, w, chosen, req)


def pmedian(
    minutes: sp.csr_matrix,
    w: np.ndarray,
    p: int,
    req: np.ndarray,
    time_limit: float | Deadline | None,
    start: np.ndarray | None = None,
) -> tuple[np.ndarray, str, float]:
    """
    The ``p`` columns minimising the weighted minutes of every reachable row to its nearest chosen column.

    Every row some column reaches must get a chosen column (within the limit).
    ``start``: a boolean plan of at most ``p`` columns serving every such row.

    Returns
    -------
    selected, status, gap
    """
    deadline = time_limit if isinstance(time_limit, Deadline) else Deadline(time_limit)
    n_sites = minutes.shape[1]
    reach = np.diff(minutes.indptr) > 0
    m, wr = sp.csr_matrix(minutes[reach]), w[reach]
    best = feasible_start(m, wr, p, req, deadline, start)
    if m.shape[0] == 0:
        return np.flatnonzero(best), "optimal", 0.0
    lv = home_levels(m, wr, p, req)
    cover = pattern(m[lv.needs_row]).astype(float)
    cover_rows = sp.csr_matrix(cover[row_groups(cover)[1]]) if cover.shape[0] else sp.csr_matrix((0, n_sites))
    walk = nearest_cost(m, best)
    upper = float((wr * walk).sum())
    lower = float((wr * lv.value[lv.start[:-1]]).sum())
    keep = lv.max_levels.copy()
    if int(keep.sum()) > FULL_MODEL_LEVELS:
        count = Constraint(sp.csr_matrix(np.concatenate([np.ones(n_sites), np.zeros(m.shape[0])])[None, :]), p, p)
        base = [count]
        if cover_rows.shape[0]:
            pad = sp.csr_matrix((cover_rows.shape[0], m.shape[0]))
            base.append(Constraint(sp.hstack([cover_rows, pad], format="csr"), 1.0, np.inf))
        best, upper, lower = benders_median(lv, m, wr, p, req, base, best, deadline, pmedian)
        keep = keep[:0]
    whole = bool(np.all(wr == np.round(wr)) and np.all(lv.value == np.round(lv.value)))
    lower_fixed = np.zeros(n_sites)
    lower_fixed[req] = 1.0
    while len(keep) and upper - lower > 1e-9 * max(1.0, abs(upper)) and not deadline.expired():
        c, constraints, zoff, const = _model(lv, wr, keep, n_sites, p, cover_rows)
        x0 = np.concatenate([best.astype(float), _z_start(lv, keep, zoff, walk)])
        integrality = np.concatenate([np.ones(n_sites), np.zeros(len(c) - n_sites)])
        upper_b = np.ones(len(c))
        x, result = milp(
            c,
            integrality,
            np.concatenate([lower_fixed, np.zeros(len(c) - n_sites)]),
            upper_b,
            constraints,
            deadline,
            start=x0,
            integral_values=whole and abs(const - round(const)) < 1e-9,
        )
        if np.isfinite(result.bound):
            lower = max(lower, result.bound + const)
        if x is None:
            break
        chosen = x[:n_sites] > 0.5
        d = nearest_cost(m, chosen)
        value = float((wr * d).sum())
        if value < upper:
            best, upper, walk = chosen, value, d
        if result.status != 0:
            break
        truncated = lv.value[lv.start[:-1] + keep]
        beyond = d > truncated
        if not beyond.any():
            lower = max(lower, value)
            break
        grow = level_of(lv, d)
        keep = np.where(beyond, np.minimum(lv.max_levels, np.maximum(grow + 1, 2 * keep)), keep)
    if upper - lower <= 1e-9 * max(1.0, abs(upper)):
        return np.flatnonzero(best), "optimal", 0.0
    return np.flatnonzero(best), "time_limit", gap_of(upper, lower)
