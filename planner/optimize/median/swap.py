"""Vertex substitution (Teitz & Bart 1968) for the p-median: swap one chosen site for another while it helps."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from planner.optimize.milp import Deadline

__all__ = ["DENSE_LIMIT", "PASS_LIMIT", "interchange"]

#: above this many (home, site) entries, or this many times the plan's size per pass, the plan is returned as it
#: is (a pass tries every swap against the dense walk table: cheap for small p, slower than it helps for large p)
DENSE_LIMIT = 4_000_000
PASS_LIMIT = 20_000_000


def interchange(m: sp.csr_matrix, w: np.ndarray, plan: np.ndarray, req: np.ndarray, deadline: Deadline) -> np.ndarray:
    """
    The plan improved by best single swaps (one chosen site out, one other in) until none lowers the weighted walk.

    ``m``: minutes of the reachable homes (a missing entry: out of reach); ``plan``: boolean per site serving every
    home with weight; required sites ``req`` never leave. Each pass tries every swap; stops at the deadline.
    """
    n_homes, n_sites = m.shape
    heavy = w > 0
    if (
        n_homes * n_sites > DENSE_LIMIT
        or n_homes * n_sites * int(plan.sum()) > PASS_LIMIT
        or plan.sum() < 1
        or not heavy.any()
    ):
        return plan
    d = np.full((int(heavy.sum()), n_sites), np.inf)
    sub = sp.csr_matrix(m[heavy]).tocoo()
    d[sub.row, sub.col] = sub.data
    wh = w[heavy]
    plan = plan.copy()
    fixed = np.zeros(n_sites, bool)
    fixed[req] = True
    while not deadline.expired():
        chosen = np.flatnonzero(plan)
        walks = d[:, chosen]
        order = np.argsort(walks, axis=1)
        near = chosen[order[:, 0]]
        d1 = np.take_along_axis(walks, order[:, :1], axis=1)[:, 0]
        d2 = np.take_along_axis(walks, order[:, 1:2], axis=1)[:, 0] if len(chosen) > 1 else np.full(len(wh), np.inf)
        current = float(wh @ d1)
        best_gain, best_swap = 1e-9 * max(1.0, current), None
        for out in chosen[~fixed[chosen]]:
            rest = np.where(near == out, d2, d1)
            with np.errstate(invalid="ignore"):
                cost = wh @ np.minimum(d, rest[:, None])
            cost[plan] = np.inf
            j = int(np.argmin(cost))
            if current - cost[j] > best_gain:
                best_gain, best_swap = current - float(cost[j]), (int(out), j)
        if best_swap is None:
            break
        plan[best_swap[0]], plan[best_swap[1]] = False, True
    return plan
