"""
Capacitated set covering and maximal covering: a station serves at most ``capacity`` residents.

Variables: ``y_j`` (site chosen) and ``x_ij`` (the share of home i served by site j,
for the pairs within the radius). Rows: ``x_ij <= y_j``, ``sum_i w_i x_ij <= C y_j``,
and per home ``sum_j x_ij = 1`` (lscp: everyone reachable served, fewest sites) or
``<= 1`` (mclp: ``p`` sites serving the most residents; a home may stay unserved).
``split=False`` makes ``x`` whole: each home with one station.

mclp never needs every home served: a whole home larger than the capacity is just
left out (its pairs fixed at 0). HiGHS starts from a greedy plan (sites by
:func:`planner.optimize.maxcover.greedy`, homes placed largest first where they
fit), which is also kept when a time limit leaves nothing better; the gap is
against HiGHS' best bound on the whole objective.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from planner.errors import DataError, SolverError
from planner.optimize.maxcover import greedy
from planner.optimize.milp import Constraint, Deadline, gap_of, milp
from planner.optimize.reduce import pattern
from planner.optimize.results import CapacityResult

__all__ = ["capacitated", "fill_greedily"]


def fill_greedily(coo: sp.coo_matrix, wp: np.ndarray, sites: np.ndarray, capacity: float, split: bool) -> np.ndarray:
    """
    Shares ``x`` of each (home, site) pair: homes largest first, each to the open site with most room left.

    Parameters
    ----------
    coo
        The (home, site) pairs within the radius.
    wp
        The home's residents, per pair.
    sites
        Boolean per site: open.
    capacity
        Residents per station.
    split
        A home may take what room is left (a share below 1); else only whole.

    Returns
    -------
    x
        Per pair, the share of the home served there.
    """
    x = np.zeros(coo.nnz)
    room = np.where(sites, capacity, 0.0)
    order = np.lexsort((coo.row, -wp))
    done = np.zeros(int(coo.row.max()) + 1 if coo.nnz else 0)
    for k in order:
        i, j = coo.row[k], coo.col[k]
        if not sites[j] or done[i] >= 1.0 or room[j] <= 0:
            continue
        need = wp[k] * (1.0 - done[i])
        if need <= room[j] + 1e-9:
            share = 1.0 - done[i]
        elif split:
            share = room[j] / wp[k]
        else:
            continue
        x[k] = share
        done[i] += share
        room[j] -= share * wp[k]
    return x


def _start(
    coo: sp.coo_matrix,
    wp: np.ndarray,
    w_rows: np.ndarray,
    n_sites: int,
    p: int,
    req: np.ndarray,
    cap: float,
    split: bool,
) -> np.ndarray:
    """A feasible capacitated mclp point (y then x): greedy sites, then homes where they fit."""
    block = sp.csr_matrix(pattern(sp.csr_matrix((np.ones(coo.nnz), (coo.row, coo.col)), shape=(len(w_rows), n_sites))))
    bonus = np.zeros(n_sites)
    bonus[req] = np.inf
    sites = greedy(block, np.minimum(w_rows, cap), bonus, p)
    return np.concatenate([sites.astype(float), fill_greedily(coo, wp, sites, cap, split)])


def capacitated(
    minutes: sp.csr_matrix,
    w: np.ndarray,
    req: np.ndarray,
    *,
    p: int | None,
    capacity: float,
    split: bool,
    time_limit: float | Deadline | None,
) -> tuple[np.ndarray, str, float, np.ndarray, CapacityResult]:
    """
    Capacitated lscp (``p`` None) or mclp: ``x_ij`` the share of home i served by j.

    Returns
    -------
    selected, status, gap, share, figures
        ``share``: per demand row, the share served.

    Raises
    ------
    DataError
        lscp with ``split=False`` and a home larger than the capacity.
    SolverError
        lscp: no plan can serve everyone (or none was found in time).
    """
    n_rows, ny = minutes.shape
    reach = np.diff(minutes.indptr) > 0
    coo = minutes[reach].tocoo()
    rows_idx = np.flatnonzero(reach)
    n_pairs = coo.nnz
    wp = w[rows_idx][coo.row]
    if p is None and not split and (w[rows_idx] > capacity).any():
        i = rows_idx[np.argmax(w[rows_idx])]
        raise DataError(
            f"home {i} has {w[i]:g} residents, more than capacity={capacity:g}; allow splitting or raise capacity"
        )
    n_var = ny + n_pairs  # variables: y (sites), x (pairs)
    pair = np.arange(n_pairs)
    one_station = sp.csr_matrix((np.ones(n_pairs), (coo.row, ny + pair)), shape=(len(rows_idx), n_var))
    link = sp.csr_matrix(
        (
            np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)]),
            (np.concatenate([pair, pair]), np.concatenate([ny + pair, coo.col])),
        ),
        shape=(n_pairs, n_var),
    )
    load = sp.csr_matrix(
        (
            np.concatenate([wp, -capacity * np.ones(ny)]),
            (np.concatenate([coo.col, np.arange(ny)]), np.concatenate([ny + pair, np.arange(ny)])),
        ),
        shape=(ny, n_var),
    )
    constraints = [Constraint(link, -np.inf, 0.0), Constraint(load, -np.inf, 0.0)]
    lower = np.zeros(n_var)
    lower[req] = 1.0
    upper = np.ones(n_var)
    if not split:
        upper[ny:][wp > capacity] = 0.0  # a whole home larger than any station: never served (mclp)
    integrality = np.concatenate([np.ones(ny), np.zeros(n_pairs) if split else np.ones(n_pairs)])
    count = np.concatenate([np.ones(ny), np.zeros(n_pairs)])[None, :]
    start = None
    if p is None:
        constraints.append(Constraint(one_station, 1.0, 1.0))
        c = count.ravel()
    else:
        constraints += [Constraint(one_station, -np.inf, 1.0), Constraint(count, p, p)]
        c = np.concatenate([np.zeros(ny), -wp])
        start = _start(coo, wp, w[rows_idx], ny, p, req, capacity, split)
    x, result = milp(c, integrality, lower, upper, constraints, time_limit, start=start)
    if x is None and (start is None or result.status == 2):
        if result.status == 2:
            raise SolverError(
                f"no capacitated plan: capacity={capacity:g} cannot serve every reachable home; raise the capacity"
            )
        raise SolverError(
            f"no capacitated plan serving every reachable home was found within the time limit "
            f"(capacity={capacity:g}; not proven impossible); raise the time limit"
        )
    point = start if x is None else x
    assert point is not None
    selected = np.flatnonzero(point[:ny] > 0.5)
    shares = np.clip(point[ny:], 0.0, 1.0)
    share = np.zeros(n_rows)
    np.add.at(share, rows_idx[coo.row], shares)
    load_per_site = np.zeros(ny)
    np.add.at(load_per_site, coo.col, wp * shares)
    figures = CapacityResult(load=tuple(load_per_site[selected].round(3).tolist()), capacity=capacity, split=split)
    if x is not None and result.status == 0:
        return selected, "optimal", 0.0, share, figures
    value = float(c @ point)
    trivial = -float(w[rows_idx].sum()) if p is not None else float(max(1, len(req)))
    bound = result.bound if np.isfinite(result.bound) else trivial
    return selected, "time_limit", gap_of(value, min(bound, value)), share, figures
