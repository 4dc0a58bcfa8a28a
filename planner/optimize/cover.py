"""Set covering (lscp) and backup covering (LSCP-B)."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp

from planner.errors import SolverError
from planner.optimize.cover_cuts import triangle_cuts
from planner.optimize.milp import Constraint, Deadline, gap_of, milp, seconds_left
from planner.optimize.reduce import bipartite_components, dominated_sites, row_groups
from planner.optimize.results import CoverStats

__all__ = ["Executor", "backup", "cover_bound", "greedy_cover", "lscp", "lscp_task"]


class Executor(Protocol):
    """Runs independent pieces of work elsewhere (a Dask cluster): ``slots`` tasks at a time is a good packing."""

    slots: int

    def run(self, fn: Callable[[Any], Any], payloads: list[Any]) -> list[Any]:
        """``[fn(p) for p in payloads]``, in order, computed by the executor's workers."""
        ...


Piece = tuple[sp.csr_matrix, np.ndarray]


def greedy_cover(block: sp.csr_matrix, c: np.ndarray) -> np.ndarray:
    """
    A cover of every row of ``block`` by greedy choice: the column covering most new rows per cost, then pruned.

    Parameters
    ----------
    block
        0/1 rows x columns, every row with at least one column.
    c
        Column costs (> 0).

    Returns
    -------
    chosen
        Boolean per column.
    """
    csc = sp.csc_matrix(block, dtype=float)
    left = np.ones(block.shape[0])
    chosen = np.zeros(block.shape[1], bool)
    cost = np.maximum(np.asarray(c, dtype=float), 1e-12)
    while left.any():
        gain = np.asarray(csc.T @ left).ravel()
        j = int(np.argmax(np.where(chosen, -np.inf, gain / cost)))
        chosen[j] = True
        left[csc.indices[csc.indptr[j] : csc.indptr[j + 1]]] = 0.0
    # drop, dearest first, any column every one of whose rows another chosen column also covers
    times = np.asarray(csc[:, chosen].sum(axis=1)).ravel()
    for col in sorted(np.flatnonzero(chosen).tolist(), key=lambda k: -cost[k]):
        rows = csc.indices[csc.indptr[col] : csc.indptr[col + 1]]
        if (times[rows] >= 2).all():
            chosen[col] = False
            times[rows] -= 1
    return chosen


def _solve_piece(
    block: sp.csr_matrix,
    c: np.ndarray,
    deadline: Deadline,
    stop_at: float | None,
    work: int | None = None,
    cuts: bool = False,
) -> tuple[np.ndarray, str, float]:
    """One piece: its chosen columns, status and proven lower bound (see :func:`lscp_task`)."""
    n = block.shape[1]
    integral = bool(np.all(c == np.round(c)))
    x, result = None, None
    if not deadline.expired():
        cons = [Constraint(block, 1.0, np.inf)]
        if cuts and bool(np.all(c == 1.0)):
            extra = triangle_cuts(block, deadline)
            if extra.shape[0]:
                cons.append(Constraint(extra, 2.0, np.inf))
        one = np.ones(n)
        x, result = milp(c, one, np.zeros(n), one, cons, deadline, integral_values=integral, stop_at=stop_at, work=work)
    if result is not None and result.status == 2:
        if stop_at is None:
            raise SolverError(f"HiGHS found no set cover ({result.message})")
        # none as cheap as stop_at: a proof that the piece needs more
        return greedy_cover(block, c), "bound", float(np.floor(stop_at + 1e-9) + 1 if integral else stop_at)
    bound = float(c.min()) if result is None or not np.isfinite(result.bound) else max(result.bound, float(c.min()))
    if integral:
        bound = float(np.ceil(bound - 1e-6))
    if x is None:
        return greedy_cover(block, c), "time_limit", bound
    assert result is not None
    status = {0: "optimal", 3: "stopped"}.get(result.status, "time_limit")
    return x > 0.5, status, bound


def lscp_task(
    payload: tuple[list[Piece], float | None]
    | tuple[list[Piece], float | None, float | None, int | None]
    | tuple[list[Piece], float | None, float | None, int | None, bool],
) -> list[tuple[np.ndarray, str, float]]:
    """
    Solve independent set-covering pieces one after the other (a task an :class:`Executor` runs).

    Parameters
    ----------
    payload
        ``(pieces, time_limit)`` or ``(pieces, time_limit, stop_at, work)``: each piece a
        (rows x columns) 0/1 block and its column costs; ``time_limit`` is shared by the
        pieces of the payload (one total); ``stop_at`` (one piece only) stops at the first
        cover costing no more (status ``"stopped"``), or proves there is none (status
        ``"bound"``); ``work`` (or ``None``) gives that question up after so many HiGHS
        interrupt checks (status ``"time_limit"``); a fifth ``True`` adds the LP's violated
        {0, 1/2}-cuts over triples of rows first (unit costs; :mod:`._cover_cuts`).

    Returns
    -------
    list
        Per piece, the boolean chosen columns, status and a proven lower bound on its cost. A piece
        HiGHS has no cover for in time (or that the limit leaves no time for) gets a greedy cover.
    """
    pieces, time_limit = payload[0], payload[1]
    stop_at, work = (payload[2], payload[3]) if len(payload) > 2 else (None, None)
    cuts = bool(payload[4]) if len(payload) > 4 else False
    deadline = Deadline(time_limit)
    return [_solve_piece(block, c, deadline, stop_at, work, cuts) for block, c in pieces]


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
    pieces: list[Piece],
    time_limit: float | Deadline | None,
    executor: Executor | None,
    stop_at: float | None = None,
    work: int | None = None,
    cuts: bool = False,
) -> tuple[list[tuple[np.ndarray, str, float]], int | None]:
    """Each piece's chosen columns, here (one shared time limit) or packed into the executor's tasks."""
    if executor is None:
        one = len(pieces) == 1
        payload = (pieces, seconds_left(time_limit), stop_at if one else None, work if one else None, cuts)
        return lscp_task(payload), None
    n_tasks = int(min(len(pieces), executor.slots))
    if n_tasks == 0:
        return [], 0
    bins = _batches(np.array([b.nnz for b, _ in pieces], np.int64), n_tasks)
    members = [np.flatnonzero(bins == b) for b in range(n_tasks)]
    left = seconds_left(time_limit)
    results = executor.run(lscp_task, [([pieces[i] for i in m], left) for m in members])
    out: list[Any] = [None] * len(pieces)
    for m, res in zip(members, results):
        for i, r in zip(m, res):
            out[i] = r
    return out, n_tasks


def cover_bound(
    a: sp.csr_matrix,
    req: np.ndarray,
    time_limit: float | Deadline | None,
    costs: np.ndarray | None = None,
    executor: Executor | None = None,
    target: float | None = None,
    work: int | None = None,
    cuts: bool = False,
) -> tuple[np.ndarray, str, float, CoverStats]:
    """
    :func:`lscp` with, instead of a gap, a proven lower bound on the number (cost) of columns needed.

    ``target``: only "is there a cover costing at most this?" matters (p-center's
    question). When the reductions leave one piece to solve, HiGHS then stops at
    the first such cover (status ``"stopped"``) or proves there is none (status
    ``"bound"``, the bound above the target); otherwise the pieces are solved in full.
    ``work``: with one piece and a target, the question is given up after this many
    HiGHS interrupt checks (status ``"time_limit"``).
    ``cuts``: each piece's LP is first tightened by {0, 1/2}-cuts over triples of rows
    (:mod:`._cover_cuts`; unit costs), for the hard "no" decisions.

    Returns
    -------
    selected, status, bound, stats
    """
    n_rows, n_sites = a.shape
    c_all = np.ones(n_sites) if costs is None else np.asarray(costs, dtype=float)
    chosen = np.zeros(n_sites, bool)
    chosen[req] = True
    rows = a[np.diff(a.indptr) > 0]
    if len(req):
        rows = rows[np.asarray(rows[:, req].sum(axis=1)).ravel() == 0]
    forced = 0
    if costs is None:
        rows, forced = _force_singles(rows, chosen)
    if rows.shape[0] == 0:
        stats = CoverStats(
            rows=int(n_rows),
            forced=forced,
            independent_components=0 if executor else None,
            tasks=0 if executor else None,
        )
        return np.flatnonzero(chosen), "optimal", float(c_all[chosen].sum()), stats
    rows = rows[row_groups(rows)[1]]
    useful = np.diff(sp.csc_matrix(rows).indptr) > 0
    if costs is None:
        useful &= ~(dominated_sites(rows, np.zeros(0, np.int64)) & useful)
    cols = np.flatnonzero(useful)
    sub = sp.csr_matrix(rows[:, cols])
    n_comp, cols_of, pieces = _pieces(sub, c_all[cols])
    single = [len(cc) == 1 for cc in cols_of]
    for cc, one in zip(cols_of, single):
        if one:
            chosen[cols[cc]] = True
    multi = [i for i, one in enumerate(single) if not one]
    bound = float(c_all[chosen].sum())
    stop_at = None if target is None else target - bound
    results, n_tasks = _solve_pieces([pieces[i] for i in multi], time_limit, executor, stop_at, work, cuts)
    status = "optimal"
    for i, (x, s, piece_bound) in zip(multi, results):
        chosen[cols[cols_of[i][x]]] = True
        bound += piece_bound
        if s != "optimal":
            status = s
    stats = CoverStats(
        rows=int(n_rows),
        distinct_rows=int(rows.shape[0]),
        sites_kept=len(cols),
        components=n_comp,
        forced=forced,
        independent_components=len(multi) if executor else None,
        tasks=n_tasks,
    )
    return np.flatnonzero(chosen), status, bound, stats


def lscp(
    a: sp.csr_matrix,
    req: np.ndarray,
    time_limit: float | Deadline | None,
    costs: np.ndarray | None = None,
    executor: Executor | None = None,
) -> tuple[np.ndarray, str, float, CoverStats]:
    """
    Minimum (cost) set of columns covering every nonempty row of ``a``; required fixed in.

    ``time_limit`` is one total for every piece; a piece left without a cover in
    time is covered greedily, so a plan is always returned (status ``time_limit``,
    gap against the sum of the pieces' proven bounds).

    Returns
    -------
    selected, status, gap, stats
    """
    selected, status, bound, stats = cover_bound(a, req, time_limit, costs, executor)
    value = float(len(selected)) if costs is None else float(np.asarray(costs, dtype=float)[selected].sum())
    return selected, status, 0.0 if status == "optimal" else gap_of(value, bound), stats


def backup(
    a: sp.csr_matrix, w: np.ndarray, start: np.ndarray, req: np.ndarray, time_limit: float | Deadline | None
) -> tuple[np.ndarray, str, float, float]:
    """
    The ``len(start)`` stations covering every coverable row, maximising the population covered twice.

    ``start`` is a plan covering every coverable row (lscp's): HiGHS starts from it,
    and it is kept when the time limit leaves nothing better.
    """
    _n_rows, n_sites = a.shape
    k = len(start)
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
    x0 = np.zeros(n_sites)
    x0[start] = 1.0
    u0 = (np.asarray(rows @ x0).ravel() >= 2).astype(float)
    x, result = milp(
        np.concatenate([np.zeros(n_sites), -rw]),
        np.concatenate([np.ones(n_sites), np.zeros(m)]),
        lower,
        np.ones(n_sites + m),
        [Constraint(cover_once, 1.0, np.inf), Constraint(twice, -np.inf, -1.0), Constraint(count, k, k)],
        time_limit,
        start=np.concatenate([x0, u0]),
    )
    if result.status == 2:
        raise SolverError(f"HiGHS found no backup-covering plan ({result.message})")
    selected = np.sort(np.asarray(start, np.int64)) if x is None else np.flatnonzero(x[:n_sites] > 0.5)
    times = np.asarray(a[:, selected].sum(axis=1)).ravel()
    value = float(w[times >= 2].sum())
    if result.status == 0 and x is not None:
        return selected, "optimal", 0.0, value
    upper = -result.bound if np.isfinite(result.bound) else float(rw.sum())
    return selected, "time_limit", gap_of(value, max(upper, value)), value
