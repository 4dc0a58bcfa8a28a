"""
Upper bounds for the p-center search: plans with a short longest walk, found cheaply.

A cover found for a radius ``d`` tells the search only "``p`` sites can do ``d``".
Its longest walk is often shorter than ``d``, and shorter still once the plan is
grown to ``p`` sites (:func:`fill_to_p`), each site moved to the 1-center of the
homes it serves (:func:`relocate`, the alternating heuristic) and improved by
single swaps (:func:`swap_descent`); :func:`improve` repeats the three while the
longest walk falls. Every minute these cut from the upper bound is a
set-covering decision the exact search need not make. None is needed for
exactness; they only tighten the bracket.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from planner.optimize.heuristics import nearest_cost
from planner.optimize.milp import Deadline

__all__ = ["fill_to_p", "improve", "relocate", "swap_descent"]

_RELOCATIONS = 50


def _add(cur: np.ndarray, csc: sp.csc_matrix, j: int) -> np.ndarray:
    """``cur`` with column ``j`` open: each row's walk, the shorter of the two."""
    out = cur.copy()
    lo, hi = csc.indptr[j], csc.indptr[j + 1]
    np.minimum.at(out, csc.indices[lo:hi], csc.data[lo:hi])
    return out


def fill_to_p(m: sp.csr_matrix, csc: sp.csc_matrix, chosen: np.ndarray, p: int) -> np.ndarray:
    """
    ``chosen`` grown to ``p`` sites, each new one the site that most shortens the longest walk (then the total).

    Parameters
    ----------
    m, csc
        Minutes (rows x sites), every row reached by some site; the same matrix in CSC.
    chosen
        Boolean per site (not changed).
    p
        The number of sites wanted.

    Returns
    -------
    chosen
        A new boolean per site, ``p`` true unless no site can shorten a walk.
    """
    chosen = chosen.copy()
    cur = nearest_cost(m, chosen)
    while int(chosen.sum()) < p:
        far = int(np.argmax(cur))
        best_j, best_key = -1, (np.inf, np.inf)
        for j in m.indices[m.indptr[far] : m.indptr[far + 1]]:
            if chosen[j]:
                continue
            new = _add(cur, csc, int(j))
            key = (float(new.max()), float(new.sum()))
            if key < best_key:
                best_j, best_key = int(j), key
        if best_j < 0:
            break
        chosen[best_j] = True
        cur = _add(cur, csc, best_j)
    return chosen


def _nearest_two(m: sp.csr_matrix, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the nearest chosen site, its walk, and the walk to the second nearest (``inf``: none)."""
    n = m.shape[0]
    first = np.full(n, np.inf)
    second = np.full(n, np.inf)
    owner = np.full(n, -1, np.int64)
    for i in range(n):
        lo, hi = m.indptr[i], m.indptr[i + 1]
        cols, vals = m.indices[lo:hi], m.data[lo:hi]
        keep = chosen[cols]
        cols, vals = cols[keep], vals[keep]
        if len(vals) == 0:
            continue
        order = np.argsort(vals, kind="stable")[:2]
        owner[i], first[i] = cols[order[0]], vals[order[0]]
        if len(order) > 1:
            second[i] = vals[order[1]]
    return owner, first, second


def _best_swap(
    csc: sp.csc_matrix,
    j: int,
    owner: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    sites: np.ndarray,
    closable: np.ndarray,
) -> tuple[float, int]:
    """Opening ``j``: the closable site of ``sites`` whose closing leaves the shortest longest walk, and that walk."""
    a = _add(first, csc, j)  # every row keeps its nearest
    b = _add(second, csc, j)  # rows of the closed site fall back to the second nearest (or j)
    pos = np.searchsorted(sites, owner)
    # per closed site k: max of b over its rows, and max of a over every other row
    group_b = np.full(len(sites), -np.inf)
    group_a = np.full(len(sites), -np.inf)
    np.maximum.at(group_b, pos, b)
    np.maximum.at(group_a, pos, a)
    order = np.argsort(-group_a, kind="stable")
    top, runner = group_a[order[0]], (group_a[order[1]] if len(order) > 1 else -np.inf)
    others = np.where(np.arange(len(sites)) == order[0], runner, top)
    worst = np.where(closable, np.maximum(others, group_b), np.inf)
    k = int(np.argmin(worst))
    return float(worst[k]), int(sites[k])


def swap_descent(
    m: sp.csr_matrix, csc: sp.csc_matrix, chosen: np.ndarray, fixed: np.ndarray, deadline: Deadline
) -> np.ndarray:
    """
    ``chosen`` improved by single swaps (open one site, close one) while the longest walk gets strictly shorter.

    Only sites nearer the farthest row than its walk are tried in; ``fixed``
    sites (required) are never closed. Stops at a local optimum or the deadline.

    Returns
    -------
    chosen
        A new boolean per site, as many as given, its longest walk no longer than before.
    """
    chosen = chosen.copy()
    if not chosen.any():
        return chosen
    while not deadline.expired():
        owner, first, second = _nearest_two(m, chosen)
        radius = float(first.max())
        far = int(np.argmax(first))
        sites = np.flatnonzero(chosen)
        closable = ~fixed[sites]
        if not closable.any() or not np.isfinite(radius):
            return chosen
        lo, hi = m.indptr[far], m.indptr[far + 1]
        cand = m.indices[lo:hi][(m.data[lo:hi] < radius) & ~chosen[m.indices[lo:hi]]]
        best = (radius, -1, -1)
        for j in cand:
            value, k = _best_swap(csc, int(j), owner, first, second, sites, closable)
            if value < best[0]:
                best = (value, int(j), k)
        if best[1] < 0:
            return chosen
        chosen[best[1]] = True
        chosen[best[2]] = False
    return chosen


def relocate(m: sp.csr_matrix, chosen: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """
    Each chosen site not ``fixed`` moved to the 1-center of the rows it is nearest to.

    The 1-center of a group of rows is the site reaching all of them with the
    shortest longest walk (the current site on ties, else the lowest index).

    Returns
    -------
    chosen
        A new boolean per site; sites may merge (fewer than before), never more.
    """
    coo = m.tocoo()
    keep = chosen[coo.col]
    if not keep.any() or not (chosen & ~fixed).any():
        return chosen.copy()
    r, c, v = coo.row[keep], coo.col[keep], coo.data[keep]
    order = np.lexsort((c, v, r))  # per row: nearest chosen site first (lowest index on ties)
    r, c, v = r[order], c[order], v[order]
    first = np.r_[True, r[1:] != r[:-1]]
    owner = np.full(m.shape[0], -1, np.int64)
    owner[r[first]] = c[first]
    longest = float(v[first].max()) if first.sum() == m.shape[0] else np.inf  # the plan's longest walk
    sites = np.flatnonzero(chosen & ~fixed)
    group = np.full(m.shape[1], -1, np.int64)
    group[sites] = np.arange(len(sites))
    row_group = np.where(owner >= 0, group[np.maximum(owner, 0)], -1)
    size = np.bincount(row_group[row_group >= 0], minlength=len(sites))
    g = row_group[coo.row]
    # a 1-center does no worse than the group's own site, so no walk longer than the plan's longest is needed
    inside = (g >= 0) & (coo.data <= longest)
    keys, inverse = np.unique(g[inside] * m.shape[1] + coo.col[inside], return_inverse=True)
    count = np.bincount(inverse, minlength=len(keys))
    worst = np.full(len(keys), -np.inf)
    np.maximum.at(worst, inverse, coo.data[inside])
    kg, kc = keys // m.shape[1], keys % m.shape[1]
    ok = count == size[kg]  # sites reaching every row of the group (the group's own site always does)
    kg, kc, worst = kg[ok], kc[ok], worst[ok]
    order = np.lexsort((kc, kc != sites[kg], worst, kg))  # per group: shortest longest walk, own site on ties
    first = np.r_[True, kg[order][1:] != kg[order][:-1]]
    out = chosen & fixed
    out[kc[order][first]] = True
    return out


def improve(
    m: sp.csr_matrix, csc: sp.csc_matrix, chosen: np.ndarray, fixed: np.ndarray, p: int, deadline: Deadline
) -> tuple[np.ndarray, float]:
    """
    ``chosen`` grown to ``p`` sites, then relocated, refilled and swapped while its longest walk gets shorter.

    Returns
    -------
    chosen, longest
        A new boolean per site whose longest walk is no longer than ``chosen``'s, and that walk.
    """
    best = swap_descent(m, csc, fill_to_p(m, csc, chosen, p), fixed, deadline)
    longest = float(nearest_cost(m, best).max())
    while not deadline.expired():
        cand = best
        for _ in range(_RELOCATIONS):  # to a fixed point: a step that leaves the longest walk may still regroup
            moved = relocate(m, cand, fixed)
            if np.array_equal(moved, cand):
                break
            cand = moved
        cand = swap_descent(m, csc, fill_to_p(m, csc, cand, p), fixed, deadline)
        value = float(nearest_cost(m, cand).max())
        if value >= longest:
            break
        best, longest = cand, value
    return best, longest
