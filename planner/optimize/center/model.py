"""
p-center: p stations minimising the longest walk of any reachable home.

Exact by a sequence of set-covering problems: the optimum is one of the stored
minutes, and "can ``p`` sites give every reachable home a site within ``d``?" is
answered by :func:`planner.optimize.cover.cover_bound` (the lscp machinery with
its reductions: merged homes, forced and dominated sites, independent pieces).
A search over the sorted distinct minutes finds the smallest ``d`` that ``p``
sites can do; it starts from the walk of the greedy / locate-allocate p-median
plan (an upper bound) and the largest "nearest site" of any home (a lower
bound). Every plan found (the start, each cover) is grown to ``p`` sites, its
sites moved to the 1-centers of their homes and improved by single swaps
(:mod:`._center_search`), so the upper bound falls further than the radius asked.

Decisions far below the optimum are quick "no"s (the LP bound of the set cover
passes ``p``) and those above it quick "yes"es; those just below it are the slow
ones (seconds to tens of seconds on 900 nodes). Each decision first asks a
weighted swap search (:mod:`._cover_search`) for a cover of ``p`` sites from the
best plan: a "yes" it finds costs milliseconds where HiGHS took up to 16 s
(700 nodes, p = 70). Only when it finds none does HiGHS decide. The search
bisects with each of HiGHS' probes boxed (5 of its interrupt checks: work, not
seconds, so that the search and its plan are the same on every run); a probe
that gives up in its box is set aside as a "no" not proven, and the search looks
above it. Once at most 16 distinct minutes are left above the set-aside probes,
or a set-aside probe lies within 1 % of the best plan's walk, it asks just below
the best plan, without a box, until the first "no", which proves the best plan
optimal (a "no" at ``d`` is a "no" for every shorter walk, set-aside ones
included). Only the whole call's time limit leaves a step undecided; that ends
the search: the best plan found is kept, its longest walk against the largest
walk proven too short.

Among the plans with the optimal longest walk, one with few weighted minutes is
then chosen, cheaply and deterministically: the covering plan is filled up to
``p`` sites by the greedy p-median and improved by locate-allocate, both only
over walks within the optimum (a heuristic: the least weighted minutes among
the optimal plans is not proven, which an exact secondary p-median could take
far longer than the p-center itself). Status and gap refer to the longest walk.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from planner.optimize.center.search import improve
from planner.optimize.cover import cover_bound
from planner.optimize.cover_search import find_cover
from planner.optimize.heuristics import locate_allocate, median_greedy
from planner.optimize.median.model import feasible_start
from planner.optimize.milp import Deadline, gap_of
from planner.optimize.reduce import dominated_sites, keep_within, pattern

__all__ = ["pcenter", "reduce_by_dominance"]

_PROBE_GAP = 16
#: HiGHS interrupt checks a bisection probe may take before it is set aside (a box in work, not seconds, so that
#: the search, hence the plan, is the same on every run; the 900-node decisions near the optimum take 8-44 for a
#: "yes", 99-1,500 for a "no"; with the swap search giving the "yes"es, a box of 5 wastes 0.1-0.5 s per give-up
#: where 15 doubled per give-up wasted 0.7-4.9 s at 700-900 nodes)
_BOX_CHECKS = 5
#: a give-up within this share of the best plan's walk: the optimum is near, settled from the top
_NEAR_SHARE = 0.01


def reduce_by_dominance(a: sp.csr_matrix, req: np.ndarray) -> sp.csr_matrix:
    """
    ``a`` with the same minimum cover, smaller: rows required sites cover, rows and sites dominated, dropped.

    A row whose sites include all of another row's is covered whenever that one
    is (dropped; of equal rows the first stays); a site whose rows another site
    also covers is never needed (emptied, required sites kept). Repeated while
    either frees the other.

    Parameters
    ----------
    a
        Rows (homes) x columns (sites) coverage pattern.
    req
        Sites that must be chosen.

    Returns
    -------
    rows
        Boolean CSR over the same columns: the rows left to cover, dominated sites emptied.
    """
    rows = a[np.diff(a.indptr) > 0]
    if len(req):
        rows = rows[np.asarray(rows[:, req].sum(axis=1)).ravel() == 0]
    while rows.shape[0] > 1:
        r = sp.csr_matrix(rows, dtype=np.int32)
        size = np.diff(r.indptr)
        ov = (r @ r.T).tocoo()
        off = ov.row != ov.col
        i, k, shared = ov.row[off], ov.col[off], ov.data[off]
        dominated = (shared == size[k]) & ((size[i] > size[k]) | (i > k))
        drop = np.zeros(rows.shape[0], bool)
        drop[i[dominated]] = True
        rows = rows[~drop]
        gone = dominated_sites(rows, req) & (np.diff(sp.csc_matrix(rows).indptr) > 0)
        if not gone.any() and not drop.any():
            break
        rows = sp.csr_matrix(rows.multiply((~gone)[None, :]), dtype=bool)
        rows.eliminate_zeros()
    return sp.csr_matrix(rows, dtype=bool)


def _can_cover(
    m: sp.csr_matrix,
    d: float,
    p: int,
    req: np.ndarray,
    deadline: Deadline,
    work: int | None = None,
    start: np.ndarray | None = None,
) -> tuple[bool | None, np.ndarray]:
    """
    Whether ``p`` sites reach every row of ``m`` within ``d`` (``None``: undecided in time / work), and a plan.

    The swap search from ``start`` (site indices) is asked first; HiGHS decides when it finds no cover.
    """
    a = reduce_by_dominance(pattern(keep_within(m, d)), req)
    found = find_cover(a, np.setdiff1d(start if start is not None else [], req), p - len(req), deadline)
    if found is not None:
        return True, np.union1d(req, found)
    sel, status, bound, _ = cover_bound(a, req, deadline, target=p, work=work, cuts=work is None)
    if len(sel) <= p:
        return True, sel
    if status in ("optimal", "bound") or np.ceil(bound - 1e-9) > p:
        return False, sel
    return None, sel


def pcenter(
    minutes: sp.csr_matrix, w: np.ndarray, p: int, req: np.ndarray, time_limit: float | Deadline | None
) -> tuple[np.ndarray, float, str, float]:
    """
    The ``p`` columns minimising the longest walk of a reachable row to its nearest chosen column.

    Returns
    -------
    selected, radius, status, gap
        ``radius`` is the optimal (or best found) longest walk.
    """
    deadline = time_limit if isinstance(time_limit, Deadline) else Deadline(time_limit)
    n_sites = minutes.shape[1]
    reach = np.diff(minutes.indptr) > 0
    m, wr = sp.csr_matrix(minutes[reach]), w[reach]
    best = feasible_start(m, wr, p, req, deadline)
    if m.shape[0] == 0:
        return np.flatnonzero(best), 0.0, "optimal", 0.0
    values = np.unique(m.data)
    csc = sp.csc_matrix(m)
    fixed = np.zeros(n_sites, bool)
    fixed[req] = True
    best, longest = improve(m, csc, best, fixed, p, deadline)
    hi = int(np.searchsorted(values, longest))
    # no plan does better than the nearest site of the farthest-off home
    lo = int(np.searchsorted(values, np.minimum.reduceat(m.data, m.indptr[:-1]).max()))
    soft, gave_up = lo, 0  # soft: the lowest index no work-boxed probe has given up on
    while lo < hi and not deadline.expired():
        # the last few minutes above the probes that gave up, or a give-up within 1 % of the best plan: just below
        # the best plan, to the end
        near = hi - soft <= _PROBE_GAP or (gave_up > 0 and values[hi] - values[soft] <= _NEAR_SHARE * values[hi])
        mid = hi - 1 if near else (soft + hi) // 2
        work = None if near else _BOX_CHECKS
        ok, sel = _can_cover(m, float(values[mid]), p, req, deadline, work, np.flatnonzero(best))
        if ok is None:
            if work is None or deadline.expired():
                break
            soft, gave_up = mid + 1, gave_up + 1  # set aside (not proven): the search looks higher first
            continue
        if ok:
            chosen = np.zeros(n_sites, bool)
            chosen[sel] = True
            best, longest = improve(m, csc, chosen, fixed, p, deadline)
            hi = int(np.searchsorted(values, longest))
        else:
            lo = mid + 1
        soft = min(max(soft, lo), hi)
    radius = float(values[hi])
    status, gap = ("optimal", 0.0) if lo >= hi else ("time_limit", gap_of(radius, float(values[lo])))
    # keeping every walk within the optimum: up to p sites, then fewer weighted minutes (a heuristic)
    within = keep_within(m, radius)
    chosen = locate_allocate(within, wr, median_greedy(within, wr, p, np.flatnonzero(best)), req)
    return np.flatnonzero(chosen), radius, status, gap
