"""p-median: p stations minimising the population-weighted walk to the nearest one."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..coverage import nearest_among
from ..errors import SolverError
from ._highs import Constraint, milp, status_of
from ._reduce import pattern
from .cover import lscp
from .results import Assignment

__all__ = ["assign_nearest", "pmedian"]


def assign_nearest(minutes: sp.csr_matrix, w: np.ndarray, selected: np.ndarray) -> Assignment:
    """Every home to its nearest chosen station, with the weighted, mean and longest walks."""
    site, walk = nearest_among(minutes, selected)
    ok = site >= 0
    weighted = float((w[ok] * walk[ok]).sum())
    return Assignment(
        assignment=site,
        walk_minutes=walk,
        weighted_minutes=weighted,
        mean_minutes=weighted / w[ok].sum() if w[ok].sum() > 0 else 0.0,
        longest_walk=float(walk[ok].max()) if ok.any() else 0.0,
    )


def pmedian(
    minutes: sp.csr_matrix, w: np.ndarray, p: int, req: np.ndarray, time_limit: float | None
) -> tuple[np.ndarray, str, float]:
    """The ``p`` columns minimising the weighted minutes of every reachable row to its assigned column."""
    _n_rows, n_sites = minutes.shape
    reach = np.diff(minutes.indptr) > 0
    coo = minutes[reach].tocoo()
    wr = w[reach]
    n_pairs = coo.nnz
    n_var = n_sites + n_pairs
    pair = np.arange(n_pairs)
    assign = sp.csr_matrix((np.ones(n_pairs), (coo.row, n_sites + pair)), shape=(int(reach.sum()), n_var))
    link = sp.csr_matrix(
        (
            np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)]),
            (np.concatenate([pair, pair]), np.concatenate([n_sites + pair, coo.col])),
        ),
        shape=(n_pairs, n_var),
    )
    count = sp.csr_matrix(np.concatenate([np.ones(n_sites), np.zeros(n_pairs)])[None, :])
    c = np.concatenate([np.zeros(n_sites), wr[coo.row] * coo.data])
    lower = np.zeros(n_var)
    lower[req] = 1.0
    x, result = milp(
        c,
        np.concatenate([np.ones(n_sites), np.zeros(n_pairs)]),
        lower,
        np.ones(n_var),
        [Constraint(assign, 1.0, 1.0), Constraint(link, -np.inf, 0.0), Constraint(count, p, p)],
        time_limit,
    )
    if x is None and result.status == 1:
        raise SolverError(f"pmedian: no plan found within the time limit ({result.message}); raise --time-limit")
    if x is None:
        need = lscp(pattern(minutes), req, None)[0]
        raise SolverError(
            f"p={p} stations cannot give every reachable home a station within the limit; "
            f"at least {len(need)} are needed (or widen the limit)"
        )
    return (np.flatnonzero(x[:n_sites] > 0.5), *status_of(result))
