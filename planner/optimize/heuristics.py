"""Heuristic plans for maximal covering: the greedy plan and swaps that improve a plan (incumbents for the exact solve)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["greedy", "greedy_order", "improve_by_swaps"]


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
