"""
A quick "yes" for p-center's decisions: a local search for ``k`` sites covering every row.

A set-covering decision just above p-center's optimum ("can ``p`` sites reach
every home within ``d``?") is a "yes" that HiGHS may take seconds to find (a
cover of exactly ``p`` sites when the LP needs a few less: 10-16 s for three
such decisions at 700 nodes, p = 70). A weighted swap search finds most of
them in a few thousand swaps: keep ``k`` sites; pick an uncovered row at random;
open the site reaching it and close the site that together leave the least
weight uncovered; raise the weight of every row still uncovered (so that rows
left out for long pull harder: the row weighting of Gao et al.'s local search
for unicost set covering). Restarts replace long runs (a run that has not found
a cover in a few thousand swaps rarely does): every other one from the start
plan, the others from a greedy cover, each with its own random draws.

Only ever a "yes": a cover is checked before it is returned, and a search that
finds none proves nothing (the exact decision follows). The work (row and site
visits) is boxed, not the seconds, so that the same call gives the same plan on
every machine; a time limit is checked between restarts.
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp

from planner.optimize.milp import Deadline

__all__ = ["find_cover"]

#: swaps per restart, restarts and row / site visits a search may take (900 nodes, p = 90: a cover, when the
#: search finds one, within 1,200 swaps of a restart in 8 of 20 seeds; 100,000 swaps take ~0.05 s there)
_STEPS = 2_000
_RESTARTS = 30
_WORK = 10_000_000
#: seconds a time limit must leave for the search's first use in a process (compiling it takes 1-3 s)
_LOAD_SECONDS = 5.0


@numba.njit(cache=True, nogil=True)
def _flip(
    j: int,
    sign: int,
    c_ptr: np.ndarray,
    c_idx: np.ndarray,
    r_ptr: np.ndarray,
    r_idx: np.ndarray,
    cnt: np.ndarray,
    xo: np.ndarray,
    w: np.ndarray,
    s_open: np.ndarray,
    s_close: np.ndarray,
    unc: np.ndarray,
    pos: np.ndarray,
    n_unc: int,
) -> int:  # pragma: no cover
    """Open (``sign`` 1) or close (-1) site ``j``, keeping counts, owners, scores and the uncovered list; new count."""
    for u in range(c_ptr[j], c_ptr[j + 1]):
        i = c_idx[u]
        if sign > 0:
            if cnt[i] == 0:
                for t in range(r_ptr[i], r_ptr[i + 1]):
                    s_open[r_idx[t]] -= w[i]
                s_close[j] += w[i]
                last = unc[n_unc - 1]
                unc[pos[i]] = last
                pos[last] = pos[i]
                pos[i] = -1
                n_unc -= 1
            elif cnt[i] == 1:
                s_close[xo[i]] -= w[i]
            cnt[i] += 1
            xo[i] ^= j
        else:
            cnt[i] -= 1
            xo[i] ^= j
            if cnt[i] == 0:
                s_close[j] -= w[i]
                for t in range(r_ptr[i], r_ptr[i + 1]):
                    s_open[r_idx[t]] += w[i]
                unc[n_unc] = i
                pos[i] = n_unc
                n_unc += 1
            elif cnt[i] == 1:
                s_close[xo[i]] += w[i]
    return n_unc


@numba.njit(cache=True, nogil=True)
def _best_pair(
    r: int,
    r_ptr: np.ndarray,
    r_idx: np.ndarray,
    c_ptr: np.ndarray,
    c_idx: np.ndarray,
    chosen: np.ndarray,
    sites: np.ndarray,
    cnt: np.ndarray,
    xo: np.ndarray,
    w: np.ndarray,
    s_open: np.ndarray,
    s_close: np.ndarray,
    age: np.ndarray,
    corr: np.ndarray,
    tabu_in: int,
    tabu_out: int,
) -> tuple[int, int, int]:  # pragma: no cover
    """The swap for row ``r``: open a site reaching it, close a chosen one; least weight left uncovered, oldest on ties."""
    visits = 0
    best, bj, bk = -(1 << 62), -1, -1
    for t in range(r_ptr[r], r_ptr[r + 1]):
        j = r_idx[t]
        if chosen[j] or j == tabu_out:
            continue
        for u in range(c_ptr[j], c_ptr[j + 1]):  # rows j would keep covered when their only site closes
            i = c_idx[u]
            if cnt[i] == 1:
                corr[xo[i]] += w[i]
        for q in range(len(sites)):
            s = sites[q]
            if s == tabu_in:
                continue
            gain = s_open[j] - s_close[s] + corr[s]
            if gain > best or (gain == best and age[j] + age[s] < age[bj] + age[bk]):
                best, bj, bk = gain, j, s
        for u in range(c_ptr[j], c_ptr[j + 1]):
            i = c_idx[u]
            if cnt[i] == 1:
                corr[xo[i]] = 0
        visits += 2 * (c_ptr[j + 1] - c_ptr[j]) + len(sites)
    return bj, bk, visits


@numba.njit(cache=True, nogil=True)
def _search(
    r_ptr: np.ndarray,
    r_idx: np.ndarray,
    c_ptr: np.ndarray,
    c_idx: np.ndarray,
    start: np.ndarray,
    k: int,
    steps: int,
    run: int,
    work: int,
) -> tuple[np.ndarray, bool, int]:  # pragma: no cover
    """One run: sites (boolean) covering every row with ``k`` sites, whether found, and the work done."""
    n, m = len(r_ptr) - 1, len(c_ptr) - 1
    chosen = np.zeros(m, np.bool_)
    state = np.uint64(88172645463325252) + np.uint64(run) * np.uint64(0x9E3779B97F4A7C15)
    done = 0
    cnt = np.zeros(n, np.int64)
    xo = np.zeros(n, np.int64)  # xor of the sites covering a row: its only site where the count is 1
    w = np.ones(n, np.int64)
    s_open = np.zeros(m, np.int64)  # weight a site would cover that nothing covers
    s_close = np.zeros(m, np.int64)  # weight only this (chosen) site covers
    unc = np.arange(n)
    pos = np.arange(n)
    n_unc = n
    for i in range(n):
        for t in range(r_ptr[i], r_ptr[i + 1]):
            s_open[r_idx[t]] += 1
    n_chosen = 0
    for j in start:
        if n_chosen < k and not chosen[j]:
            chosen[j] = True
            n_chosen += 1
            n_unc = _flip(j, 1, c_ptr, c_idx, r_ptr, r_idx, cnt, xo, w, s_open, s_close, unc, pos, n_unc)
    while n_chosen < k and n_unc > 0:  # filled greedily
        j = -1
        for s in range(m):
            if not chosen[s] and (j < 0 or s_open[s] > s_open[j]):
                j = s
        chosen[j] = True
        n_chosen += 1
        n_unc = _flip(j, 1, c_ptr, c_idx, r_ptr, r_idx, cnt, xo, w, s_open, s_close, unc, pos, n_unc)
    sites = np.flatnonzero(chosen)
    age = np.zeros(m, np.int64)
    corr = np.zeros(m, np.int64)
    tabu_in, tabu_out = -1, -1
    for step in range(steps):
        if n_unc == 0:
            return chosen, True, done
        if done > work or len(sites) == 0:
            return chosen, False, done
        state = state * np.uint64(6364136223846793005) + np.uint64(1442695040888963407)
        r = unc[int((state >> np.uint64(33)) % np.uint64(n_unc))]
        bj, bk, visits = _best_pair(
            r, r_ptr, r_idx, c_ptr, c_idx, chosen, sites, cnt, xo, w, s_open, s_close, age, corr, tabu_in, tabu_out
        )
        done += visits
        if bj < 0:  # the row's only sites are tabu: lift the tabu
            tabu_in, tabu_out = -1, -1
            continue
        chosen[bj] = True
        n_unc = _flip(bj, 1, c_ptr, c_idx, r_ptr, r_idx, cnt, xo, w, s_open, s_close, unc, pos, n_unc)
        chosen[bk] = False
        n_unc = _flip(bk, -1, c_ptr, c_idx, r_ptr, r_idx, cnt, xo, w, s_open, s_close, unc, pos, n_unc)
        for q in range(len(sites)):
            if sites[q] == bk:
                sites[q] = bj
        tabu_in, tabu_out = bj, bk
        age[bj] = age[bk] = step + 1
        for q in range(n_unc):  # rows left out weigh more
            i = unc[q]
            w[i] += 1
            for t in range(r_ptr[i], r_ptr[i + 1]):
                s_open[r_idx[t]] += 1
            done += r_ptr[i + 1] - r_ptr[i]
    if n_unc == 0:
        return chosen, True, done
    return chosen, False, done


def find_cover(a: sp.csr_matrix, start: np.ndarray, k: int, deadline: Deadline | None = None) -> np.ndarray | None:
    """
    ``k`` columns of ``a`` (or fewer) covering every row, found by the swap search; ``None`` if none was found.

    Parameters
    ----------
    a
        Boolean rows x columns: which columns reach which rows.
    start
        Column indices to start from (the first ``k`` are kept; more are added greedily).
    k
        The number of columns allowed.
    deadline
        Checked between restarts. Under a time limit, the search is skipped while its machine code is not
        loaded in this process and less than :data:`_LOAD_SECONDS` are left (the first use compiles it).

    Returns
    -------
    columns or None
        Sorted column indices, checked to cover every row; ``None`` proves nothing.
    """
    a = sp.csr_matrix(a, dtype=bool)
    if a.shape[0] == 0:
        return np.zeros(0, np.int64)
    left = deadline.left() if deadline is not None else None
    if k <= 0 or (left is not None and not _search.signatures and left < _LOAD_SECONDS):
        return None
    if (np.diff(a.indptr) == 0).any():
        return None  # a row no site reaches
    c = sp.csc_matrix(a)
    arrays = (
        a.indptr.astype(np.int64),
        a.indices.astype(np.int64),
        c.indptr.astype(np.int64),
        c.indices.astype(np.int64),
    )
    start = np.asarray(start, np.int64)
    work = _WORK
    for run in range(_RESTARTS):  # every other run from the start plan, the others from scratch
        if work <= 0 or (deadline is not None and deadline.expired()):
            return None
        chosen, found, done = _search(*arrays, start if run % 2 == 0 else start[:0], int(k), _STEPS, run, work)
        work -= int(done)
        if found:
            cols = np.flatnonzero(chosen)
            covered = np.asarray(a[:, cols].sum(axis=1)).ravel() > 0
            return cols if covered.all() and len(cols) <= k else None
    return None
