"""p-center: p stations minimising the longest walk of any reachable home."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import SolverError
from ._reduce import keep_within, pattern
from .cover import lscp

__all__ = ["pcenter"]


def pcenter(
    minutes: sp.csr_matrix, p: int, req: np.ndarray, time_limit: float | None
) -> tuple[np.ndarray, float, str, float]:
    """
    Smallest radius r (among stored minutes) such that <= p stations cover every reachable row within r.

    A binary search over the distinct stored minutes, each step a set-covering problem.

    Returns
    -------
    selected, radius, status, gap
    """
    selected, status, gap, _ = lscp(pattern(minutes), req, time_limit)
    if len(selected) > p:
        raise SolverError(
            f"p={p} stations cannot reach every reachable home within the limit; at least {len(selected)} are needed"
        )
    reach = np.diff(minutes.indptr) > 0
    # the answer is the largest over homes of the nearest chosen station: a stored value
    values = np.unique(minutes.data[minutes.data >= 0])
    hi = len(values) - 1
    best = selected
    # the radius can be no smaller than every home's own nearest site
    row_min = np.minimum.reduceat(minutes.data, minutes.indptr[:-1][reach]) if reach.any() else np.zeros(0)
    lo = int(np.searchsorted(values, row_min.max())) if len(row_min) else 0
    while lo < hi:
        mid = (lo + hi) // 2
        sel, s, g, _ = lscp(pattern(keep_within(minutes, values[mid])), req, time_limit)
        if len(sel) <= p and s == "optimal":
            hi, best = mid, sel
        elif len(sel) <= p:
            hi, best, status, gap = mid, sel, s, g
        else:
            lo = mid + 1
    radius = float(values[hi]) if len(values) else 0.0
    if len(best) < p:
        # fill up to p with the sites closest to the most people (does not change the longest walk)
        extra = np.setdiff1d(np.arange(minutes.shape[1]), best)
        gain = np.asarray(pattern(minutes).sum(axis=0)).ravel()[extra]
        best = np.sort(np.concatenate([best, extra[np.argsort(-gain, kind="stable")][: p - len(best)]]))
    return best, radius, status, gap
