"""The homes' walking levels of the p-median radius formulation, shared by the full model and the Benders cuts.

Per home, the distinct minutes to the sites that reach it, sorted (``D1 < D2 < ... < DK``), and each
stored (home, site) pair's level among them: the variables of :mod:`planner.optimize.median.model` and
the thresholds of the cuts of :mod:`planner.optimize.median.cuts`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from planner.optimize.reduce import first_of_runs

__all__ = ["Levels", "home_levels", "level_of"]


@dataclass(frozen=True)
class Levels:
    """Each home's sorted distinct minutes and each stored pair's level among them (homes: reachable rows)."""

    row: np.ndarray  # per stored pair, sorted by (home, minutes)
    col: np.ndarray
    level: np.ndarray  # 0-based level of the pair within its home
    start: np.ndarray  # per home, where its distinct minutes begin in ``value``
    value: np.ndarray  # distinct minutes, home after home
    max_levels: np.ndarray  # per home, the most z variables it can ever need
    needs_row: np.ndarray  # per home: some plan of p sites could leave it without a station


def home_levels(m: sp.csr_matrix, w: np.ndarray, p: int, req: np.ndarray) -> Levels:
    """The levels of every home, with the most each can need for ``p`` stations.

    A home's walk is at most its walk to the nearest required site and, when it
    reaches ``m >= n - p + 1`` of the ``n`` sites, at most its ``(n - p + 1)``-th
    shortest: levels beyond are never needed, and such a home needs no "some
    chosen site reaches me" row. A weightless home needs no level.

    Parameters
    ----------
    m
        Walking minutes, reachable homes x sites.
    w
        Weight of each home.
    p
        Number of stations.
    req
        Sites that must be chosen.

    Returns
    -------
    levels
        The homes' levels (see :class:`Levels`).
    """
    n_homes, n_sites = m.shape
    coo = m.tocoo()
    order = np.lexsort((coo.col, coo.data, coo.row))
    row, col, d = coo.row[order], coo.col[order], coo.data[order].astype(float)
    new = first_of_runs(row, d)
    level_id = np.cumsum(new) - 1
    value = d[new]
    start = np.searchsorted(row[new], np.arange(n_homes + 1))
    level = level_id - start[row]
    n_levels = np.diff(start)
    cap = np.full(n_homes, np.inf)
    if len(req):
        at_req = np.isin(col, req)
        np.minimum.at(cap, row[at_req], d[at_req])
    count = np.diff(m.indptr)
    many = count >= n_sites - p + 1
    first_pair = np.searchsorted(row, np.arange(n_homes))
    cap[many] = np.minimum(cap[many], d[first_pair[many] + (n_sites - p)])
    # levels strictly below the cap: z_k for those; the cap's own level then ends the walk
    below = np.array([np.searchsorted(value[start[i] : start[i + 1]], cap[i]) for i in range(n_homes)], np.int64)
    max_levels = np.minimum(np.where(np.isfinite(cap), below, n_levels - 1), n_levels - 1)
    max_levels[w <= 0] = 0
    return Levels(row, col, level, start, value, np.maximum(max_levels, 0), ~np.isfinite(cap))


def level_of(lv: Levels, walk: np.ndarray) -> np.ndarray:
    """Per home, the 0-based level of a walk (the number of distinct minutes below it).

    Parameters
    ----------
    lv
        The homes' levels.
    walk
        Walking minutes per home.

    Returns
    -------
    level
        Per home, how many of its distinct minutes are below its walk.
    """
    out = np.zeros(len(walk), np.int64)
    for i in range(len(walk)):
        out[i] = np.searchsorted(lv.value[lv.start[i] : lv.start[i + 1]], walk[i])
    return out
