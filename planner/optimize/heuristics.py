"""Heuristic plans that exact searches start from (and fall back on); none is reported as optimal by itself.

Maximal covering: the greedy plan and swaps that improve a plan. p-median and p-center:
greedy and locate-allocate on the stored entries of a sparse homes x sites matrix of
minutes (an absent pair is not allowed: a home is served by a site that reaches it).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from planner.optimize.reduce import csr_from_triples

__all__ = [
    "greedy",
    "greedy_order",
    "improve_by_swaps",
    "locate_allocate",
    "median_cost",
    "median_greedy",
    "nearest_cost",
]


def greedy_order(
    block: sp.csr_matrix, rw: np.ndarray, bonus: np.ndarray, k: int, target: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
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
    target
        Stop early, once the columns picked cover this much weight.

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
    total = 0.0
    for step in range(min(k, n)):
        j = int(np.argmax(np.where(chosen, -np.inf, gain)))
        order[step], gains[step] = j, gain[j]
        chosen[j] = True
        total += float(gain[j])  # as np.cumsum adds, left to right
        if target is not None and total >= target:
            return order[: step + 1], gains[: step + 1]
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


def _swap_for(
    pick: np.ndarray, cnt: np.ndarray, loss: np.ndarray, rows_i: np.ndarray, csr: sp.csr_matrix, rw: np.ndarray
) -> tuple[int, float]:
    """The chosen column whose swap for ``i`` loses least, and that loss (rows only it covers that ``i`` also reaches are not lost)."""
    adj = np.where(pick, loss, np.inf)
    only = rows_i[cnt[rows_i] == 1]
    if len(only):
        sub = csr[only]
        owner = sub.indices[pick[sub.indices]]  # one chosen column per such row, in row order
        np.subtract.at(adj, owner, rw[only])
    o = int(np.argmin(adj))
    return o, float(adj[o])


def improve_by_swaps(
    block: sp.csr_matrix, rw: np.ndarray, bonus: np.ndarray, pick: np.ndarray, tries: int = 30, max_swaps: int = 1000
) -> np.ndarray:
    """
    A plan improved by swapping one chosen column for one not chosen, while a swap adds weight.

    Each round looks at the ``tries`` unchosen columns that would add the most and swaps the
    first for which some chosen column loses less than it adds (exactly counted).

    Parameters
    ----------
    block
        0/1 rows x columns.
    rw, bonus
        Weight of each row; weight each column adds whatever else is chosen.
    pick
        The plan (boolean per column); the number of columns stays the same.
    tries, max_swaps
        Candidates looked at per round; most swaps made.

    Returns
    -------
    numpy.ndarray
        The improved plan (a new array).
    """
    csr = sp.csr_matrix(block, dtype=float)
    csc = sp.csc_matrix(csr)
    pick = pick.copy()
    cnt = np.asarray(csr @ pick.astype(float)).ravel()
    for _ in range(max_swaps):
        gain = bonus + np.asarray(csc.T @ (rw * (cnt == 0))).ravel()
        loss = bonus + np.asarray(csc.T @ (rw * (cnt == 1))).ravel()
        gain[pick] = -np.inf
        for i in np.argsort(-gain, kind="stable")[:tries]:
            rows_i = csc.indices[csc.indptr[i] : csc.indptr[i + 1]]
            if gain[i] <= 0:
                return pick  # a swap adds at most what the column would add
            o, lost = _swap_for(pick, cnt, loss, rows_i, csr, rw)
            if gain[i] - lost > 1e-9 * (1.0 + abs(gain[i])):
                pick[i], pick[o] = True, False
                cnt[rows_i] += 1
                cnt[csc.indices[csc.indptr[o] : csc.indptr[o + 1]]] -= 1
                break
        else:
            return pick
    return pick


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
