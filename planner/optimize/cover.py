"""Set covering (lscp) and backup covering (LSCP-B)."""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp

from ..errors import SolverError
from ._highs import Constraint, milp, status_of
from ._reduce import bipartite_components, dominated_sites, row_groups
from .results import CoverStats

__all__ = ["Executor", "backup", "lscp", "lscp_task"]


class Executor(Protocol):
    """Runs independent pieces of work elsewhere (a Dask cluster): ``slots`` tasks at a time is a good packing."""

    slots: int

    def run(self, fn: Callable[[Any], Any], payloads: list[Any]) -> list[Any]:
        """``[fn(p) for p in payloads]``, in order, computed by the executor's workers."""
        ...


Piece = tuple[sp.csr_matrix, np.ndarray]


def lscp_task(payload: tuple[list[Piece], float | None]) -> list[tuple[np.ndarray, str, float]]:
    """
    Solve independent set-covering pieces one after the other (a task an :class:`Executor` runs).

    Parameters
    ----------
    payload
        ``(pieces, time_limit)``: each piece a (rows x columns) 0/1 block and its column costs;
        ``time_limit`` is shared by the pieces of the payload.

    Returns
    -------
    list
        Per piece, the boolean chosen columns, status and gap.
    """
    pieces, time_limit = payload
    out = []
    started = time.perf_counter()
    for block, c in pieces:
        left = None if time_limit is None else max(1e-3, time_limit - (time.perf_counter() - started))
        n = block.shape[1]
        x, result = milp(
            c,
            np.ones(n),
            np.zeros(n),
            np.ones(n),
            [Constraint(block, 1.0, np.inf)],
            left,
            integral_values=bool(np.all(c == np.round(c))),
        )
        if x is None:
            raise SolverError(f"HiGHS found no set cover ({result.message})")
        out.append((x > 0.5, *status_of(result)))
    return out


def _batches(sizes: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin of each item: largest first into the lightest bin (balanced by ``sizes``)."""
    heap = [(0, b) for b in range(n_bins)]
    out = np.zeros(len(sizes), np.int64)
    for i in np.argsort(-sizes, kind="stable"):
        load, b = heapq.heappop(heap)
        out[i] = b
        heapq.heappush(heap, (load + int(sizes[i]), b))
    return out


def _force_singles(rows: sp.csr_matrix, chosen: np.ndarray) -> tuple[sp.csr_matrix, int]:
    """A home only one site reaches forces that site; its homes then need nothing more."""
    forced_total = 0
    while rows.shape[0]:
        single = np.diff(rows.indptr) == 1
        if not single.any():
            break
        forced = np.unique(rows.indices[rows.indptr[:-1][single]])
        chosen[forced] = True
        forced_total += len(forced)
        hit = np.asarray(rows[:, forced].sum(axis=1)).ravel() > 0
        rows = rows[~hit]
    return rows, forced_total


def _pieces(sub: sp.csr_matrix, costs: np.ndarray) -> tuple[int, list[np.ndarray], list[Piece]]:
    """The independent components of ``sub``: how many, and each one's columns and block."""
    n_comp, row_label, col_label = bipartite_components(sub)
    order_r = np.argsort(row_label, kind="stable")
    order_c = np.argsort(col_label, kind="stable")
    r_bounds = np.searchsorted(row_label[order_r], np.arange(n_comp + 1))
    c_bounds = np.searchsorted(col_label[order_c], np.arange(n_comp + 1))
    cols_of, pieces = [], []
    for comp in range(n_comp):
        rr = order_r[r_bounds[comp] : r_bounds[comp + 1]]
        cc = order_c[c_bounds[comp] : c_bounds[comp + 1]]
        if len(rr) == 0:
            continue
        cols_of.append(cc)
        pieces.append((sub[rr][:, cc].astype(float), costs[cc]))
    return n_comp, cols_of, pieces


def _solve_pieces(
    pieces: list[Piece], time_limit: float | None, executor: Executor | None
) -> tuple[list[tuple[np.ndarray, str, float]], int | None]:
    """Each piece's chosen columns, here (one shared time limit) or packed into the executor's tasks."""
    if executor is None:
        return lscp_task((pieces, time_limit)), None
    n_tasks = int(min(len(pieces), executor.slots))
    if n_tasks == 0:
        return [], 0
    bins = _batches(np.array([b.nnz for b, _ in pieces], np.int64), n_tasks)
    members = [np.flatnonzero(bins == b) for b in range(n_tasks)]
    results = executor.run(lscp_task, [([pieces[i] for i in m], time_limit) for m in members])
    out: list[Any] = [None] * len(pieces)
    for m, res in zip(members, results):
        for i, r in zip(m, res):
            out[i] = r
    return out, n_tasks


def lscp(
    a: sp.csr_matrix,
    req: np.ndarray,
    time_limit: float | None,
    costs: np.ndarray | None = None,
    executor: Executor | None = None,
) -> tuple[np.ndarray, str, float, CoverStats]:
    """
    Minimum (cost) set of columns covering every nonempty row of ``a``; required fixed in.

    Returns
    -------
    selected, status, gap, stats
    """
    n_rows, n_sites = a.shape
    chosen = np.zeros(n_sites, bool)
    chosen[req] = True
    rows = a[np.diff(a.indptr) > 0]
    if len(req):
        rows = rows[np.asarray(rows[:, req].sum(axis=1)).ravel() == 0]
    forced = 0
    if costs is None:
        rows, forced = _force_singles(rows, chosen)
    if rows.shape[0] == 0:
        return (
            np.flatnonzero(chosen),
            "optimal",
            0.0,
            CoverStats(
                rows=int(n_rows),
                forced=forced,
                independent_components=0 if executor else None,
                tasks=0 if executor else None,
            ),
        )
    rows = rows[row_groups(rows)[1]]
    useful = np.diff(sp.csc_matrix(rows).indptr) > 0
    if costs is None:
        useful &= ~(dominated_sites(rows, np.zeros(0, np.int64)) & useful)
    cols = np.flatnonzero(useful)
    sub = sp.csr_matrix(rows[:, cols])
    n_comp, cols_of, pieces = _pieces(sub, np.ones(len(cols)) if costs is None else costs[cols])
    single = [len(cc) == 1 for cc in cols_of]
    for cc, one in zip(cols_of, single):
        if one:
            chosen[cols[cc]] = True
    multi = [i for i, one in enumerate(single) if not one]
    results, n_tasks = _solve_pieces([pieces[i] for i in multi], time_limit, executor)
    status, gap = "optimal", 0.0
    for i, (x, s, g) in zip(multi, results):
        chosen[cols[cols_of[i][x]]] = True
        if s != "optimal":
            status, gap = s, max(gap, g) if np.isfinite(g) else g
    stats = CoverStats(
        rows=int(n_rows),
        distinct_rows=int(rows.shape[0]),
        sites_kept=len(cols),
        components=n_comp,
        forced=forced,
        independent_components=len(multi) if executor else None,
        tasks=n_tasks,
    )
    return np.flatnonzero(chosen), status, gap, stats


def backup(
    a: sp.csr_matrix, w: np.ndarray, k: int, req: np.ndarray, time_limit: float | None
) -> tuple[np.ndarray, str, float, float]:
    """The ``k`` stations covering every coverable row, maximising the population covered twice."""
    _n_rows, n_sites = a.shape
    reach = np.diff(a.indptr) > 0
    rows = sp.csr_matrix(a[reach], dtype=float)
    rw = w[reach]
    m = rows.shape[0]
    # variables: x (sites), u (covered twice, continuous 0..1)
    cover_once = sp.hstack([rows, sp.csr_matrix((m, m))], format="csr")
    twice = sp.hstack([-rows, sp.identity(m, format="csr")], format="csr")
    count = sp.csr_matrix(np.concatenate([np.ones(n_sites), np.zeros(m)])[None, :])
    lower = np.zeros(n_sites + m)
    lower[req] = 1.0
    x, result = milp(
        np.concatenate([np.zeros(n_sites), -rw]),
        np.concatenate([np.ones(n_sites), np.zeros(m)]),
        lower,
        np.ones(n_sites + m),
        [Constraint(cover_once, 1.0, np.inf), Constraint(twice, -np.inf, -1.0), Constraint(count, k, k)],
        time_limit,
    )
    if x is None:
        raise SolverError(f"HiGHS found no backup-covering plan ({result.message})")
    selected = np.flatnonzero(x[:n_sites] > 0.5)
    status, gap = status_of(result)
    times = np.asarray(a[:, selected].sum(axis=1)).ravel()
    return selected, status, gap, float(w[times >= 2].sum())
