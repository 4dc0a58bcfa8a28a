"""Fast plans to start exact searches from (and to fall back on): greedy and locate-allocate p-median.

Everything here works on the stored entries of a sparse homes x sites matrix of
minutes; an absent pair is not allowed (a home must be served by a site that
reaches it). These plans are never reported as optimal by themselves: the exact
models use them as incumbents and upper bounds.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._reduce import csr_from_triples

__all__ = ["locate_allocate", "median_cost", "median_greedy", "nearest_cost"]


def nearest_cost(minutes: sp.csr_matrix, chosen: np.ndarray) -> np.ndarray:
    """Per row, the minutes to the nearest chosen column (``inf``: none reaches it)."""
    coo = minutes.tocoo()
    keep = chosen[coo.col]
    out = np.full(minutes.shape[0], np.inf)
    np.minimum.at(out, coo.row[keep], coo.data[keep])
    return out


def median_cost(minutes: sp.csr_matrix, w: np.ndarray, chosen: np.ndarray) -> float:
    """Weighted minutes to the nearest chosen column over the rows some site reaches (``inf``: one is unserved)."""
    reach = np.diff(minutes.indptr) > 0
    d = nearest_cost(minutes, chosen)[reach]
    if np.isinf(d).any():
        return float("inf")
    return float((w[reach] * d).sum())


def median_greedy(minutes: sp.csr_matrix, w: np.ndarray, p: int, req: np.ndarray) -> np.ndarray:
    """
    Greedy p-median: from the required sites, add the site that saves the most weighted minutes, ``p`` in all.

    A home no chosen site reaches counts a penalty larger than any walk (times a
    weight of at least 1), so the greedy first serves every home it can.

    Returns
    -------
    chosen
        Boolean per column, ``p`` of them (or every column when there are fewer).
    """
    n_sites = minutes.shape[1]
    coo = minutes.tocoo()
    big = 2.0 * (float(coo.data.max()) if coo.nnz else 1.0) + 1.0
    wt = np.maximum(w, 1e-9)[coo.row]
    penalty = np.where(w > 0, w, 1.0) * big * max(1, len(w))
    chosen = np.zeros(n_sites, bool)
    chosen[req] = True
    cur = nearest_cost(minutes, chosen)
    unserved = np.isinf(cur)
    for _ in range(min(p, n_sites) - int(chosen.sum())):
        now = np.where(unserved, penalty / np.maximum(w, 1e-9), cur)[coo.row]
        gain = np.bincount(coo.col, weights=wt * np.maximum(now - coo.data, 0.0), minlength=n_sites)
        gain[chosen] = -1.0
        j = int(np.argmax(gain))
        chosen[j] = True
        hit = coo.col == j
        rows, d = coo.row[hit], coo.data[hit]
        cur[rows] = np.minimum(cur[rows], d)
        unserved[rows] = False
    return chosen


def locate_allocate(
    minutes: sp.csr_matrix, w: np.ndarray, chosen: np.ndarray, req: np.ndarray, rounds: int = 20
) -> np.ndarray:
    """
    Improve a p-median plan: each home to its nearest chosen site, then each group's best site, until stable.

    A group's new site must reach every home of the group (so no home loses its
    station) and must lower the group's weighted minutes; required sites stay.

    Each move lowers its group's minutes with the assignment held, and moving
    homes to a nearer site afterwards only lowers them further: no round is worse.

    Returns
    -------
    chosen
        Boolean per column, as many as given, no worse than the plan given.
    """
    chosen = chosen.copy()
    csr = sp.csr_matrix(minutes)
    coo = csr.tocoo()
    n_rows, n_sites = csr.shape
    fixed = np.zeros(n_sites, bool)
    fixed[req] = True
    for _ in range(rounds):
        cols = np.flatnonzero(chosen)
        sub = csr[:, cols]
        # group of each home: its nearest chosen site
        near = np.full(n_rows, -1, np.int64)
        dist = np.full(n_rows, np.inf)
        sc = sub.tocoo()
        order = np.lexsort((sc.col, sc.data, sc.row))
        first = np.ones(len(order), bool)
        first[1:] = sc.row[order][1:] != sc.row[order][:-1]
        near[sc.row[order][first]] = cols[sc.col[order][first]]
        dist[sc.row[order][first]] = sc.data[order][first]
        ok = near >= 0
        size = np.bincount(near[ok], minlength=n_sites)
        keep = ok[coo.row]
        g, j = near[coo.row[keep]], coo.col[keep]
        total = csr_from_triples(g, j, w[coo.row[keep]] * coo.data[keep], (n_sites, n_sites))
        count = csr_from_triples(g, j, np.ones(len(g)), (n_sites, n_sites))
        changed = False
        for site in cols:
            if fixed[site] or size[site] == 0:
                continue
            lo, hi = count.indptr[site], count.indptr[site + 1]
            full = count.data[lo:hi] == size[site]
            cand = count.indices[lo:hi][full]
            cost = total.data[lo:hi][full]
            free = ~chosen[cand] | (cand == site)
            if not free.any():
                continue
            k = int(np.argmin(np.where(free, cost, np.inf)))
            here = float((w[near == site] * dist[near == site]).sum())
            if cand[k] != site and cost[k] < here - 1e-9 * max(1.0, here):
                chosen[site], chosen[cand[k]] = False, True
                changed = True
        if not changed:
            break
    return chosen
