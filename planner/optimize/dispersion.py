"""p-dispersion: p stations as far apart as possible."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import SolverError
from ._highs import Constraint, milp, status_of
from ._reduce import first_of_runs

__all__ = ["pdispersion"]


def _pairs(dist: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One value per unordered pair of distinct sites (the shorter direction)."""
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
    i: np.ndarray,
    j: np.ndarray,
    v: np.ndarray,
    n: int,
    p: int,
    req: np.ndarray,
    threshold: float,
    time_limit: float | None,
) -> tuple[np.ndarray | None, str, float]:
    """The ``p`` sites, required ones included, no two of them closer than ``threshold`` (``None``: impossible)."""
    conflict = v < threshold
    ci, cj = i[conflict], j[conflict]
    lower = np.zeros(n)
    lower[req] = 1.0
    if len(ci) == 0:
        return np.sort(np.concatenate([req, np.setdiff1d(np.arange(n), req)[: p - len(req)]])), "optimal", 0.0
    a = sp.csr_matrix(
        (np.ones(2 * len(ci)), (np.repeat(np.arange(len(ci)), 2), np.ravel(np.stack([ci, cj], 1)))), shape=(len(ci), n)
    )
    x, result = milp(-np.ones(n), np.ones(n), lower, np.ones(n), [Constraint(a, -np.inf, 1.0)], time_limit)
    if x is None or (x > 0.5).sum() < p:
        return None, "optimal", 0.0
    sel = np.flatnonzero(x > 0.5)
    keep = np.concatenate([req, np.setdiff1d(sel, req)[: p - len(req)]])
    return (np.sort(keep), *status_of(result))


def pdispersion(
    dist: sp.csr_matrix, p: int, req: np.ndarray, cap: float, time_limit: float | None
) -> tuple[np.ndarray, float, str, float]:
    """
    The ``p`` sites maximising the smallest pairwise minutes (pairs absent from ``dist`` are ``cap`` apart).

    One value per pair (the shorter direction); a stored 0 means the same place.

    Returns
    -------
    selected, spread, status, gap
    """
    n = dist.shape[0]
    i, j, v = _pairs(dist)
    values = np.unique(np.concatenate([v, [cap]]))
    lo, hi = 0, len(values) - 1
    best, status, gap = _spread_at_least(i, j, v, n, p, req, values[0], time_limit)
    if best is None:
        raise SolverError(f"p={p}: the existing stations are closer together than any spread allows")
    while lo < hi:
        mid = (lo + hi + 1) // 2
        sel, s, g = _spread_at_least(i, j, v, n, p, req, values[mid], time_limit)
        if sel is not None:
            lo, best, status, gap = mid, sel, s, g
        else:
            hi = mid - 1
    inside = np.isin(i, best) & np.isin(j, best)
    spread = float(min(v[inside].min(), cap)) if inside.any() else float(cap)
    return best, spread, status, gap
