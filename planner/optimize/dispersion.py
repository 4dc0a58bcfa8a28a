"""
p-dispersion: p stations as far apart as possible.

The distance between two sites is the shorter of the two stored walks between
them (``i -> j`` and ``j -> i``), in minutes, whatever the radius: the radius plays
no part in this model (it used to cap the distances, which hid the real spread).
A pair with no finite walk either way (different walking networks, or absent
from a sparse matrix) is infinitely far apart: it never limits the spread. A
stored 0 means the same place.

Exact: a binary search over the sorted distinct pair distances, each step asking
whether ``p`` sites (required ones included) exist with no pair closer than the
step's value (an independent set in the "too close" graph, answered by HiGHS,
which stops at the first set of ``p``). A step the time limit leaves undecided
ends the search, keeping the best plan found, its spread against the smallest
spread proven impossible.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from planner.errors import SolverError
from planner.optimize.milp import Constraint, Deadline, gap_of, milp
from planner.optimize.reduce import first_of_runs

__all__ = ["pdispersion"]


def _pairs(dist: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One value per unordered pair of distinct sites with a stored walk (the shorter direction)."""
    coo = sp.coo_matrix(dist)
    off = coo.row != coo.col
    i = np.minimum(coo.row[off], coo.col[off])
    j = np.maximum(coo.row[off], coo.col[off])
    v = coo.data[off].astype(float)
    order = np.lexsort((v, j, i))
    i, j, v = i[order], j[order], v[order]
    first = first_of_runs(i, j)
    return i[first], j[first], v[first]


def _spread_at_least(
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
    n: int,
    p: int,
    req: np.ndarray,
    threshold: float,
    deadline: Deadline,
) -> tuple[bool | None, np.ndarray]:
    """
    Whether ``p`` sites, required ones included, exist with no pair closer than ``threshold``.

    Returns
    -------
    answer, selected
        ``True`` with such sites, ``False`` (proven none), or ``None`` (undecided in time).
    """
    i, j, v = pairs
    conflict = v < threshold
    ci, cj = i[conflict], j[conflict]
    if len(ci) == 0:
        return True, np.sort(np.concatenate([req, np.setdiff1d(np.arange(n), req)[: p - len(req)]]))
    if (np.isin(ci, req) & np.isin(cj, req)).any():
        return False, req
    lower = np.zeros(n)
    lower[req] = 1.0
    a = sp.csr_matrix(
        (np.ones(2 * len(ci)), (np.repeat(np.arange(len(ci)), 2), np.ravel(np.stack([ci, cj], 1)))), shape=(len(ci), n)
    )
    x, result = milp(
        -np.ones(n), np.ones(n), lower, np.ones(n), [Constraint(a, -np.inf, 1.0)], deadline, stop_at=-p + 0.5
    )
    if x is not None and (x > 0.5).sum() >= p:
        sel = np.flatnonzero(x > 0.5)
        return True, np.sort(np.concatenate([req, np.setdiff1d(sel, req)[: p - len(req)]]))
    if result.status in (0, 2):
        return False, req
    return None, req


def _spread(pairs: tuple[np.ndarray, np.ndarray, np.ndarray], selected: np.ndarray) -> float:
    i, j, v = pairs
    inside = np.isin(i, selected) & np.isin(j, selected)
    return float(v[inside].min()) if inside.any() else float("inf")


def pdispersion(
    dist: sp.csr_matrix, p: int, req: np.ndarray, time_limit: float | Deadline | None
) -> tuple[np.ndarray, float, str, float]:
    """
    The ``p`` sites maximising the smallest pairwise minutes (see the module's note on distance).

    Returns
    -------
    selected, spread, status, gap
        ``spread`` is ``inf`` when no two chosen sites have a walk between them.
    """
    deadline = time_limit if isinstance(time_limit, Deadline) else Deadline(time_limit)
    n = dist.shape[0]
    pairs = _pairs(dist)
    # candidate spreads: every pair distance, and "no finite pair at all" (inf)
    values = np.concatenate([np.unique(pairs[2]), [np.inf]])
    ok, best = _spread_at_least(pairs, n, p, req, float(values[0]), deadline)
    if ok is False:
        raise SolverError(f"p={p}: the existing stations are closer together than any spread allows")
    if ok is None:
        raise SolverError(f"p={p}: no plan found within the time limit; raise --time-limit")
    lo, hi = int(np.searchsorted(values, _spread(pairs, best))), len(values) - 1
    while lo < hi and not deadline.expired():
        mid = (lo + hi + 1) // 2
        ok, sel = _spread_at_least(pairs, n, p, req, float(values[mid]), deadline)
        if ok is None:
            break
        if ok:
            best = sel
            lo = int(np.searchsorted(values, _spread(pairs, best)))
        else:
            hi = mid - 1
    spread = _spread(pairs, best)
    if lo >= hi:
        return best, spread, "optimal", 0.0
    return best, spread, "time_limit", gap_of(spread, float(values[hi]))
