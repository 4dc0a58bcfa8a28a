"""Stage 4: choose the sites, exactly.

:func:`solve` builds a sparse mixed-integer programme and solves it with HiGHS
(through :func:`scipy.optimize.milp`), after exact reductions that shrink the
model without changing its optimum. Models (``model=``):

``lscp``
    Location set covering: the fewest stations that cover every home some
    candidate can reach. Homes no candidate reaches are reported, not fatal.
``mclp``
    Maximal covering: ``p`` stations covering the most population.
``pmedian``
    ``p`` stations minimising the population-weighted walking minutes, everyone
    assigned to the nearest chosen station (within the matrix's limit).
``backup``
    LSCP-B: with the LSCP minimum number of stations, cover as much population
    as possible twice.
``pcenter``
    ``p`` stations minimising the longest walk of any reachable home (equity).
``pdispersion``
    ``p`` stations as far apart as possible (largest smallest pairwise walk);
    takes a square sites x sites matrix.
``budget``
    Stations whose ``costs`` add up to at most ``budget``, covering the most
    population.

``capacity=C`` turns ``lscp`` and ``mclp`` into their capacitated forms: a
station serves at most ``C`` people; with ``split=True`` (default) a home's
residents may be split between stations, with ``split=False`` each home goes to
one station whole.

Existing stations (``required``) are always selected; they count toward
coverage, toward ``p`` and toward the budget.

Exact reductions applied before solving (each keeps the optimum):
homes with the same set of reaching sites become one row with their summed
population; homes already covered by required sites leave the covering
constraints; sites that reach no remaining home are dropped; a site whose set of
homes is contained in another's is dropped (``lscp``, ``mclp``, ``budget`` when
costs allow); ``lscp`` is solved per independent component.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import LinearConstraint
from scipy.sparse.csgraph import connected_components

from .config import check_positive
from .coverage import Coverage
from .errors import DataError, InputError, SolverError

log = logging.getLogger(__name__)

MODELS = ("lscp", "mclp", "pmedian", "backup", "pcenter", "pdispersion", "budget")
NEEDS_P = ("mclp", "pmedian", "pcenter", "pdispersion")


@dataclass(frozen=True)
class Solution:
    """The answer of :func:`solve`.

    Attributes
    ----------
    model
        The model solved.
    selected
        Sorted column indices of the chosen sites (required ones included).
    objective
        lscp: number of stations; mclp / budget: population covered; pmedian:
        population-weighted minutes; backup: population covered twice; pcenter:
        the longest walk (minutes); pdispersion: the smallest walk between two
        chosen stations (minutes).
    covered_share
        Population covered / total population (homes nobody can reach included).
    status
        ``"optimal"``, or ``"time_limit"`` (best solution found, see ``gap``).
    gap
        Relative MIP gap reported by HiGHS (0 when proven optimal).
    population_total, population_coverable, population_covered
        Population of all rows, of the rows some site reaches, of the rows the
        chosen sites reach (served, for the capacitated models).
    covered
        Boolean per demand row: reached by a chosen site (fully served, capacitated).
    uncoverable
        Row indices that no candidate site reaches.
    p
        The number of stations asked for, or ``None``.
    seconds
        Wall time of the solve.
    details
        Model-specific figures (assignment, reductions, ...).
    """

    model: str
    selected: np.ndarray
    objective: float
    covered_share: float
    status: str
    gap: float
    population_total: float
    population_coverable: float
    population_covered: float
    covered: np.ndarray
    uncoverable: np.ndarray
    p: int | None
    seconds: float
    details: dict = field(default_factory=dict)

    @property
    def n_stations(self) -> int:
        return int(len(self.selected))


# --------------------------------------------------------------------------- inputs


def _minutes_matrix(coverage_or_cost, radius) -> tuple[sp.csr_matrix, float, np.ndarray | None]:
    """CSR of minutes (stored entries <= radius), the radius, and the coverage's population."""
    if isinstance(coverage_or_cost, Coverage):
        cov = coverage_or_cost
        r = cov.limit if radius is None else check_positive("radius", radius)
        if r > cov.limit + 1e-12:
            raise InputError(f"radius={r:g}: the coverage was computed up to {cov.limit:g} minutes only")
        m = cov.minutes
        return _keep_within(m, r), r, cov.population
    if sp.issparse(coverage_or_cost):
        if radius is None:
            raise InputError("radius=None: a sparse cost matrix needs radius (minutes within which a site covers a home)")
        r = check_positive("radius", radius)
        return _keep_within(_shortest_entries(coverage_or_cost), r), r, None
    try:
        cost = np.asarray(coverage_or_cost, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            f"expected a Coverage, a scipy sparse matrix or a 2-D array of minutes, got {type(coverage_or_cost).__name__}"
        ) from None
    if cost.ndim != 2:
        raise InputError(f"cost matrix has {cost.ndim} dimension(s); expected 2 (demand x sites)")
    if radius is None:
        raise InputError("radius=None: a cost matrix needs radius (minutes within which a site covers a home)")
    r = check_positive("radius", radius)
    cost = np.nan_to_num(cost, nan=np.inf)
    rows, cols = np.nonzero(cost <= r)
    return sp.csr_matrix((cost[rows, cols], (rows, cols)), shape=cost.shape), r, None


def _pattern(m: sp.csr_matrix) -> sp.csr_matrix:
    """Boolean CSR with True at every stored entry (a stored 0 minutes is a covered pair)."""
    m = sp.csr_matrix(m)
    return sp.csr_matrix((np.ones(len(m.indices), bool), m.indices.copy(), m.indptr.copy()), shape=m.shape)


def _keep_within(m: sp.csr_matrix, r: float) -> sp.csr_matrix:
    m = sp.csr_matrix(m, dtype=float)
    keep = m.data <= r
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    out = sp.csr_matrix((m.data[keep], (rows[keep], m.indices[keep])), shape=m.shape)
    out.sort_indices()
    return out


def _shortest_entries(matrix) -> sp.csr_matrix:
    """CSR of a sparse cost matrix keeping the shortest of duplicate (row, col) entries.

    scipy would add duplicates up; a repeated pair means two routes, the shorter counts.
    """
    coo = sp.coo_matrix(matrix)
    order = np.lexsort((coo.data, coo.col, coo.row))
    row, col, data = coo.row[order], coo.col[order], coo.data[order].astype(float)
    first = np.ones(len(row), bool)
    first[1:] = (row[1:] != row[:-1]) | (col[1:] != col[:-1])
    return sp.csr_matrix((data[first], (row[first], col[first])), shape=coo.shape)


def _weights(w, n_rows: int) -> np.ndarray:
    w = np.ones(n_rows) if w is None else np.asarray(w, dtype=float)
    if w.shape != (n_rows,):
        raise InputError(f"weights has shape {w.shape}; expected one weight per demand row ({n_rows})")
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise InputError("weights must be finite and non-negative")
    return w


def _check_p(model: str, p, n_sites: int, n_required: int) -> int | None:
    if model not in NEEDS_P:
        if p is not None:
            warnings.warn(f"p={p!r} is ignored by model {model!r} (it finds the number of stations itself)",
                          UserWarning, stacklevel=3)
        return None
    if p is None:
        raise InputError(f"model={model!r} needs p, the number of stations (for example --p 5)")
    if (isinstance(p, bool) or not isinstance(p, (int, np.integer, float, np.floating))
            or not np.isfinite(p) or int(p) != p or p < 1):
        raise InputError(f"p={p!r}: expected a whole number of stations >= 1")
    p = int(p)
    if p > n_sites:
        raise InputError(f"p={p}: larger than the number of candidate sites ({n_sites})")
    if p < n_required:
        raise InputError(f"p={p}: smaller than the number of existing stations that must be kept ({n_required})")
    if model == "pdispersion" and p < 2:
        raise InputError("p=1: pdispersion needs p >= 2 (it spreads stations apart)")
    return p


def _required(required, n_sites: int) -> np.ndarray:
    raw = np.asarray([] if required is None else required)
    if raw.size and (raw.dtype.kind not in "iuf" or not np.all(np.isfinite(raw)) or not np.all(raw == np.round(raw))):
        raise InputError("required: expected whole site column indices")
    req = np.unique(raw.astype(np.int64))
    if len(req) and (req.min() < 0 or req.max() >= n_sites):
        raise InputError(f"required site index out of range 0..{n_sites - 1}")
    return req


# --------------------------------------------------------------------------- reductions


def row_groups(matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Group rows with identical column sets.

    Returns
    -------
    group, first
        ``group[i]`` is row i's group (numbered by first appearance), ``first[g]``
        a representative row of group g.
    """
    n = matrix.shape[0]
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    m = sp.csr_matrix(matrix)
    m.sort_indices()
    rng = np.random.default_rng(20181201)
    salt = rng.integers(1, 2**62, size=(2, m.shape[1]), dtype=np.int64).astype(np.uint64)
    lengths = np.diff(m.indptr)
    h = np.zeros((n, 2), np.uint64)
    nonempty = lengths > 0
    if m.nnz:
        starts = m.indptr[:-1][nonempty]
        for k in range(2):
            with np.errstate(over="ignore"):
                h[nonempty, k] = np.add.reduceat(salt[k][m.indices] * (m.indices.astype(np.uint64) + np.uint64(1)), starts)
    key = np.stack([lengths.astype(np.uint64), h[:, 0], h[:, 1]], axis=1)
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    # number groups by first appearance, so results do not depend on hash order
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(first), np.int64)
    rank[order] = np.arange(len(first))
    return rank[inverse], first[order]


def _dominated_sites(a: sp.csr_matrix, keep_always: np.ndarray) -> np.ndarray:
    """Boolean per column: its rows are a subset of another column's (ties: the higher index goes)."""
    n = a.shape[1]
    if n < 2 or a.nnz == 0:
        return np.zeros(n, bool)
    col = sp.csc_matrix(a, dtype=np.int32)
    size = np.diff(col.indptr)
    overlap = (col.T @ col).tocoo()
    j, k = overlap.row, overlap.col
    off = j != k
    j, k, shared = j[off], k[off], overlap.data[off]
    subset = shared == size[j]
    # j inside k: strictly smaller, or equal sets and j has the higher index
    dominated = subset & ((size[j] < size[k]) | (j > k))
    out = np.zeros(n, bool)
    out[j[dominated]] = True
    out[keep_always] = False
    out[size == 0] = True
    out[keep_always] = False
    return out


# --------------------------------------------------------------------------- solving


def _milp(c, integrality, lower, upper, constraints, time_limit, start=None, integral_values=False):
    """Solve a MILP with HiGHS (highspy), optionally from a feasible ``start``.

    ``integral_values``: the caller guarantees that the optimum, and the value it
    recomputes from the chosen sites, are whole numbers (lscp; mclp / budget with
    whole-number weights, where each home's covered share is 0 or 1 once the
    sites are chosen). HiGHS may then stop at an absolute gap below 1: the sites
    it returns score a whole number above the bound minus 1, hence the optimum.

    Returns ``(x, result)``; ``x`` is ``None`` when no feasible point was found;
    ``result`` has ``status`` (0 optimal, 1 time limit, 2 infeasible, 4 other),
    ``message`` and ``mip_gap``, as :func:`scipy.optimize.milp` reports them.
    """
    import highspy

    c = np.asarray(c, dtype=float)
    n = len(c)
    blocks, row_lo, row_hi = [], [], []
    for con in constraints:
        a = sp.csr_matrix(con.A, dtype=float)
        blocks.append(a)
        row_lo.append(np.broadcast_to(np.asarray(con.lb, dtype=float), (a.shape[0],)))
        row_hi.append(np.broadcast_to(np.asarray(con.ub, dtype=float), (a.shape[0],)))
    a = sp.vstack(blocks, format="csr") if blocks else sp.csr_matrix((0, n))
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = a.shape[0]
    lp.col_cost_ = c
    lp.col_lower_ = np.asarray(lower, dtype=float)
    lp.col_upper_ = np.asarray(upper, dtype=float)
    lp.row_lower_ = np.clip(np.concatenate(row_lo) if row_lo else np.zeros(0), -inf, inf)
    lp.row_upper_ = np.clip(np.concatenate(row_hi) if row_hi else np.zeros(0), -inf, inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = a.shape[0]
    kinds = {0: highspy.HighsVarType.kContinuous, 1: highspy.HighsVarType.kInteger}
    lp.integrality_ = [kinds[int(k)] for k in np.asarray(integrality, dtype=int)]
    h = _new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    if integral_values:
        # the optimum is a whole number (see the callers): a gap below 1 proves it
        h.setOptionValue("mip_abs_gap", 1.0 - 1e-6)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", 1)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    h.passModel(lp)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(np.asarray(start, dtype=float))
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    codes = {highspy.HighsModelStatus.kOptimal: 0, highspy.HighsModelStatus.kTimeLimit: 1,
             highspy.HighsModelStatus.kInfeasible: 2}
    code = codes.get(status, 4)
    has_point = info.primal_solution_status == 2
    x = np.asarray(h.getSolution().col_value) if has_point and code != 2 else None
    result = _Result(code, h.modelStatusToString(status), float(info.mip_gap) if has_point else float("inf"))
    return x, result


_BANNER_SHOWN = False


def _new_highs():
    """A silent ``highspy.Highs``; HiGHS prints a banner on stdout at its first construction, which is muted."""
    import os

    import highspy

    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return highspy.Highs()
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _BANNER_SHOWN = True
    return h


@dataclass(frozen=True)
class _Result:
    status: int
    message: str
    mip_gap: float


def _status(result) -> tuple[str, float]:
    if result.status == 0:
        return "optimal", 0.0
    status = "time_limit" if result.status == 1 else f"highs_status_{result.status}"
    gap = getattr(result, "mip_gap", None)
    return status, float(gap) if gap is not None and np.isfinite(gap) else float("nan")


def _lscp_core(a: sp.csr_matrix, req: np.ndarray, time_limit, costs=None):
    """Minimum (cost) set of columns covering every nonempty row of ``a``; required fixed in.

    Returns (selected columns, status, gap, details).
    """
    n_rows, n_sites = a.shape
    chosen = np.zeros(n_sites, bool)
    chosen[req] = True
    rows = a[np.diff(a.indptr) > 0]
    if len(req):
        rows = rows[np.asarray(rows[:, req].sum(axis=1)).ravel() == 0]
    details = {"rows": int(n_rows), "distinct_rows": 0, "sites_kept": 0, "components": 0, "forced": 0}
    if costs is None:
        # a home only one site reaches forces that site; its homes then need nothing more
        while rows.shape[0]:
            single = np.diff(rows.indptr) == 1
            if not single.any():
                break
            forced = np.unique(rows.indices[rows.indptr[:-1][single]])
            chosen[forced] = True
            details["forced"] += int(len(forced))
            hit = np.asarray(rows[:, forced].sum(axis=1)).ravel() > 0
            rows = rows[~hit]
    if rows.shape[0] == 0:
        return np.flatnonzero(chosen), "optimal", 0.0, details
    _, first = row_groups(rows)
    rows = rows[first]
    details["distinct_rows"] = int(rows.shape[0])
    useful = np.diff(sp.csc_matrix(rows).indptr) > 0
    if costs is None:
        drop = _dominated_sites(rows, np.zeros(0, np.int64)) & useful
        useful &= ~drop
    cols = np.flatnonzero(useful)
    details["sites_kept"] = int(len(cols))
    sub = sp.csr_matrix(rows[:, cols])
    # independent components of the bipartite row-site graph
    graph = sp.bmat([[None, sub], [sub.T, None]], format="csr")
    n_comp, label = connected_components(graph, directed=False)
    details["components"] = int(n_comp)
    row_label = label[: sub.shape[0]]
    col_label = label[sub.shape[0]:]
    status, gap = "optimal", 0.0
    order_r = np.argsort(row_label, kind="stable")
    order_c = np.argsort(col_label, kind="stable")
    r_bounds = np.searchsorted(row_label[order_r], np.arange(n_comp + 1))
    c_bounds = np.searchsorted(col_label[order_c], np.arange(n_comp + 1))
    started = time.perf_counter()
    for comp in range(n_comp):
        rr = order_r[r_bounds[comp]:r_bounds[comp + 1]]
        cc = order_c[c_bounds[comp]:c_bounds[comp + 1]]
        if len(rr) == 0:
            continue
        block = sub[rr][:, cc].astype(float)
        if len(cc) == 1:
            chosen[cols[cc]] = True
            continue
        c = np.ones(len(cc)) if costs is None else costs[cols[cc]]
        left = None if time_limit is None else max(1e-3, time_limit - (time.perf_counter() - started))
        x, result = _milp(c, np.ones(len(cc)), np.zeros(len(cc)), np.ones(len(cc)),
                          [LinearConstraint(block, lb=1.0, ub=np.inf)], left,
                          integral_values=bool(np.all(c == np.round(c))))
        if x is None:
            raise SolverError(f"HiGHS found no set cover ({result.message})")
        chosen[cols[cc[x > 0.5]]] = True
        s, g = _status(result)
        if s != "optimal":
            status, gap = s, max(gap, g) if np.isfinite(g) else g
    return np.flatnonzero(chosen), status, gap, details


def _mclp_core(a: sp.csr_matrix, w: np.ndarray, p: int, req: np.ndarray, time_limit,
               costs=None, budget=None):
    """p columns (or columns within budget) maximising the weight of covered rows."""
    n_rows, n_sites = a.shape
    chosen_fixed = np.zeros(n_sites, bool)
    chosen_fixed[req] = True
    reach = np.diff(a.indptr) > 0
    rows_idx = np.flatnonzero(reach)
    rows = a[rows_idx]
    rw = w[rows_idx]
    if len(req):
        pre = np.asarray(rows[:, req].sum(axis=1)).ravel() > 0
        rows, rw = rows[~pre], rw[~pre]
    group, first = row_groups(rows)
    rows = rows[first]
    rw = np.bincount(group, weights=rw, minlength=len(first)) if len(first) else rw[:0]
    positive = rw > 0
    rows, rw = rows[positive], rw[positive]
    details = {"rows": int(n_rows), "distinct_rows": int(rows.shape[0])}
    free = np.flatnonzero(~chosen_fixed)
    sub = sp.csr_matrix(rows[:, free])
    useful = np.diff(sp.csc_matrix(sub).indptr) > 0
    if costs is None:
        useful &= ~_dominated_sites(sub, np.zeros(0, np.int64))
    k_free = (p - len(req)) if p is not None else None
    cand = free[useful]
    if k_free is not None and len(cand) < k_free:
        # fewer useful sites than stations: keep them all, fill with the rest
        extra = np.setdiff1d(free, cand)[: k_free - len(cand)]
        chosen = chosen_fixed.copy()
        chosen[cand] = True
        chosen[extra] = True
        details["sites_kept"] = int(len(cand))
        return np.flatnonzero(chosen), "optimal", 0.0, details
    details["sites_kept"] = int(len(cand))
    block = sp.csr_matrix(rows[:, cand])
    # a home only one candidate reaches adds its weight to that site: no row needed
    single = np.diff(block.indptr) == 1
    bonus = np.bincount(block.indices[block.indptr[:-1][single]], weights=rw[single], minlength=len(cand))
    block, rw = block[~single], rw[~single]
    details["rows_in_model"] = int(block.shape[0])
    n, m = len(cand), block.shape[0]
    if n == 0 or (k_free is not None and k_free == 0):
        return np.flatnonzero(chosen_fixed), "optimal", 0.0, details
    if m == 0 and k_free is not None:
        # every home has one candidate: the p largest bonuses (ties: lowest index)
        chosen = chosen_fixed.copy()
        chosen[cand[np.argsort(-bonus, kind="stable")[:k_free]]] = True
        return np.flatnonzero(chosen), "optimal", 0.0, details
    c = np.concatenate([-bonus, -rw])
    link = sp.hstack([-block.astype(float), sp.identity(m, format="csr")], format="csr")
    constraints = [LinearConstraint(link, lb=-np.inf, ub=0.0)]
    if costs is None:
        constraints.append(LinearConstraint(np.concatenate([np.ones(n), np.zeros(m)])[None, :], lb=k_free, ub=k_free))
    else:
        spent = float(costs[req].sum())
        constraints.append(LinearConstraint(np.concatenate([costs[cand], np.zeros(m)])[None, :], lb=-np.inf, ub=budget - spent))
    start = None
    if k_free is not None:
        # a greedy plan gives HiGHS an incumbent to prune against from the start
        pick = _greedy(block, rw, bonus, k_free)
        hit = np.asarray(block[:, pick].sum(axis=1)).ravel() > 0
        start = np.concatenate([pick.astype(float), hit.astype(float)])
        details["greedy_objective"] = float(bonus[pick].sum() + rw[hit].sum())
    x, result = _milp(c, np.concatenate([np.ones(n), np.zeros(m)]), np.zeros(n + m), np.ones(n + m), constraints,
                      time_limit, start=start, integral_values=bool(np.all(c == np.round(c))))
    if x is None:
        raise SolverError(f"HiGHS found no solution ({result.message})")
    chosen = chosen_fixed.copy()
    chosen[cand[x[:n] > 0.5]] = True
    status, gap = _status(result)
    return np.flatnonzero(chosen), status, gap, details


def _greedy(block: sp.csr_matrix, rw: np.ndarray, bonus: np.ndarray, k: int) -> np.ndarray:
    """Greedy maximal covering: k columns, each adding the most uncovered weight (ties: lowest index)."""
    n = block.shape[1]
    csc = sp.csc_matrix(block)
    left = rw.astype(float).copy()
    gain = bonus + np.asarray(csc.T @ left).ravel()
    chosen = np.zeros(n, bool)
    for _ in range(min(k, n)):
        j = int(np.argmax(np.where(chosen, -np.inf, gain)))
        chosen[j] = True
        rows = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
        hit = rows[left[rows] > 0]
        if len(hit):
            sub = sp.csr_matrix(block[hit])
            np.subtract.at(gain, sub.indices, np.repeat(left[hit], np.diff(sub.indptr)))
            left[hit] = 0.0
    return chosen


def _capacitated(minutes: sp.csr_matrix, w: np.ndarray, req: np.ndarray, *, p, capacity, split, time_limit):
    """Capacitated lscp (p None) or mclp: x_ij share of home i served by j."""
    n_rows, n_sites = minutes.shape
    reach = np.diff(minutes.indptr) > 0
    coo = minutes[reach].tocoo()
    rows_idx = np.flatnonzero(reach)
    n_pairs = coo.nnz
    if not split and (w[rows_idx] > capacity).any():
        i = rows_idx[np.argmax(w[rows_idx])]
        raise DataError(f"home {i} has {w[i]:g} residents, more than capacity={capacity:g}; allow splitting or raise capacity")
    ny = n_sites
    # variables: y (sites), x (pairs)
    n_var = ny + n_pairs
    pair = np.arange(n_pairs)
    one_station = sp.csr_matrix((np.ones(n_pairs), (coo.row, ny + pair)), shape=(len(rows_idx), n_var))
    link = sp.csr_matrix((np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)]),
                          (np.concatenate([pair, pair]), np.concatenate([ny + pair, coo.col]))), shape=(n_pairs, n_var))
    load = sp.csr_matrix((np.concatenate([w[rows_idx][coo.row], -capacity * np.ones(ny)]),
                          (np.concatenate([coo.col, np.arange(ny)]), np.concatenate([ny + pair, np.arange(ny)]))),
                         shape=(ny, n_var))
    constraints = [LinearConstraint(link, -np.inf, 0.0), LinearConstraint(load, -np.inf, 0.0)]
    lower = np.zeros(n_var)
    lower[req] = 1.0
    integrality = np.concatenate([np.ones(ny), np.zeros(n_pairs) if split else np.ones(n_pairs)])
    if p is None:
        constraints.append(LinearConstraint(one_station, 1.0, 1.0))
        c = np.concatenate([np.ones(ny), np.zeros(n_pairs)])
    else:
        constraints.append(LinearConstraint(one_station, -np.inf, 1.0))
        constraints.append(LinearConstraint(np.concatenate([np.ones(ny), np.zeros(n_pairs)])[None, :], p, p))
        c = np.concatenate([np.zeros(ny), -w[rows_idx][coo.row]])
    x, result = _milp(c, integrality, lower, np.ones(n_var), constraints, time_limit)
    if x is None:
        raise SolverError(
            f"no capacitated plan: capacity={capacity:g} cannot serve every reachable home "
            f"({result.message.split(':')[0]}); raise the capacity or the time limit"
        )
    selected = np.flatnonzero(x[:ny] > 0.5)
    share = np.zeros(n_rows)
    np.add.at(share, rows_idx[coo.row], x[ny:])
    status, gap = _status(result)
    load_per_site = np.zeros(ny)
    np.add.at(load_per_site, coo.col, w[rows_idx][coo.row] * x[ny:])
    return selected, status, gap, share, {"load": load_per_site[selected].round(3).tolist(), "capacity": capacity, "split": split}


def _nearest_assignment(minutes: sp.csr_matrix, selected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the column (of ``selected``) with the fewest minutes, and those minutes (-1 / inf: none)."""
    n = minutes.shape[0]
    site = np.full(n, -1, np.int64)
    best = np.full(n, np.inf)
    if len(selected) == 0:
        return site, best
    sub = sp.csr_matrix(minutes[:, selected])
    rows = np.repeat(np.arange(n), np.diff(sub.indptr))
    order = np.lexsort((selected[sub.indices], sub.data, rows))
    r, c, d = rows[order], selected[sub.indices[order]], sub.data[order]
    first = np.ones(len(r), bool)
    first[1:] = r[1:] != r[:-1]
    site[r[first]] = c[first]
    best[r[first]] = d[first]
    return site, best


def _pmedian(minutes, w, p, req, time_limit):
    n_rows, n_sites = minutes.shape
    reach = np.diff(minutes.indptr) > 0
    coo = minutes[reach].tocoo()
    wr = w[reach]
    n_pairs = coo.nnz
    n_var = n_sites + n_pairs
    pair = np.arange(n_pairs)
    assign = sp.csr_matrix((np.ones(n_pairs), (coo.row, n_sites + pair)), shape=(int(reach.sum()), n_var))
    link = sp.csr_matrix((np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)]),
                          (np.concatenate([pair, pair]), np.concatenate([n_sites + pair, coo.col]))), shape=(n_pairs, n_var))
    count = sp.csr_matrix(np.concatenate([np.ones(n_sites), np.zeros(n_pairs)])[None, :])
    c = np.concatenate([np.zeros(n_sites), wr[coo.row] * coo.data])
    lower = np.zeros(n_var)
    lower[req] = 1.0
    x, result = _milp(c, np.concatenate([np.ones(n_sites), np.zeros(n_pairs)]), lower, np.ones(n_var),
                      [LinearConstraint(assign, 1.0, 1.0), LinearConstraint(link, -np.inf, 0.0), LinearConstraint(count, p, p)],
                      time_limit)
    if x is None and result.status == 1:
        raise SolverError(f"pmedian: no plan found within the time limit ({result.message}); raise --time-limit")
    if x is None:
        need = _lscp_core(_pattern(minutes), req, None)[0]
        raise SolverError(
            f"p={p} stations cannot give every reachable home a station within the limit; "
            f"at least {len(need)} are needed (or widen the limit)"
        )
    return np.flatnonzero(x[:n_sites] > 0.5), result


def _pcenter(minutes, p, req, time_limit):
    """Smallest radius r (among stored minutes) such that <= p stations cover every reachable row within r."""
    a_full = _pattern(minutes)
    selected, status, gap, _ = _lscp_core(a_full, req, time_limit)
    if len(selected) > p:
        raise SolverError(
            f"p={p} stations cannot reach every reachable home within the limit; at least {len(selected)} are needed"
        )
    reach = np.diff(minutes.indptr) > 0
    # the answer is the largest over homes of the nearest chosen station: a stored value
    values = np.unique(minutes.data[minutes.data >= 0])
    lo, hi = 0, len(values) - 1
    best = selected
    # the radius can be no smaller than every home's own nearest site
    row_min = np.minimum.reduceat(minutes.data, minutes.indptr[:-1][reach]) if reach.any() else np.zeros(0)
    lo = int(np.searchsorted(values, row_min.max())) if len(row_min) else 0
    while lo < hi:
        mid = (lo + hi) // 2
        cut = _keep_within(minutes, values[mid])
        sel, s, g, _ = _lscp_core(_pattern(cut), req, time_limit)
        if len(sel) <= p and s == "optimal":
            hi, best = mid, sel
        elif len(sel) <= p:
            hi, best, status, gap = mid, sel, s, g
        else:
            lo = mid + 1
    radius = float(values[hi]) if len(values) else 0.0
    if len(best) < p:
        # fill up to p with the sites closest to the most people (does not change the longest walk)
        extra = np.setdiff1d(np.arange(minutes.shape[1]), best)
        gain = np.asarray(_pattern(minutes).sum(axis=0)).ravel()[extra]
        best = np.sort(np.concatenate([best, extra[np.argsort(-gain, kind="stable")][: p - len(best)]]))
    return best, radius, status, gap


def _pdispersion(dist: sp.csr_matrix, p: int, req: np.ndarray, cap: float, time_limit):
    """p sites maximising the smallest pairwise minutes (pairs absent from ``dist`` are ``cap`` apart).

    One value per pair (the shorter direction); a stored 0 means the same place.
    """
    n = dist.shape[0]
    coo = sp.coo_matrix(dist)
    off = coo.row != coo.col
    i = np.minimum(coo.row[off], coo.col[off])
    j = np.maximum(coo.row[off], coo.col[off])
    v = coo.data[off].astype(float)
    order = np.lexsort((v, j, i))
    i, j, v = i[order], j[order], v[order]
    first = np.ones(len(i), bool)
    first[1:] = (i[1:] != i[:-1]) | (j[1:] != j[:-1])
    i, j, v = i[first], j[first], v[first]
    values = np.unique(np.concatenate([v, [cap]]))

    def feasible(threshold):
        conflict = v < threshold
        ci, cj = i[conflict], j[conflict]
        lower = np.zeros(n)
        lower[req] = 1.0
        if len(ci) == 0:
            return np.sort(np.concatenate([req, np.setdiff1d(np.arange(n), req)[: p - len(req)]])), "optimal", 0.0
        a = sp.csr_matrix((np.ones(2 * len(ci)), (np.repeat(np.arange(len(ci)), 2), np.ravel(np.stack([ci, cj], 1)))),
                          shape=(len(ci), n))
        x, result = _milp(-np.ones(n), np.ones(n), lower, np.ones(n), [LinearConstraint(a, -np.inf, 1.0)], time_limit)
        if x is None or (x > 0.5).sum() < p:
            return None, "optimal", 0.0
        sel = np.flatnonzero(x > 0.5)
        keep = np.concatenate([req, np.setdiff1d(sel, req)[: p - len(req)]])
        s, g = _status(result)
        return np.sort(keep), s, g

    lo, hi = 0, len(values) - 1
    best, status, gap = feasible(values[0])
    if best is None:
        raise SolverError(f"p={p}: the existing stations are closer together than any spread allows")
    while lo < hi:
        mid = (lo + hi + 1) // 2
        sel, s, g = feasible(values[mid])
        if sel is not None:
            lo, best, status, gap = mid, sel, s, g
        else:
            hi = mid - 1
    inside = np.isin(i, best) & np.isin(j, best)
    spread = float(min(v[inside].min(), cap)) if inside.any() else float(cap)
    return best, spread, status, gap


def solve(
    coverage_or_cost,
    *,
    model: str = "lscp",
    p: int | None = None,
    radius: float | None = None,
    weights=None,
    required=None,
    capacity: float | None = None,
    split: bool = True,
    costs=None,
    budget: float | None = None,
    time_limit: float | None = None,
) -> Solution:
    """
    Choose sites by an exact location model.

    Parameters
    ----------
    coverage_or_cost
        A :class:`planner.coverage.Coverage`; a scipy sparse matrix (demand x
        sites) whose stored entries are minutes (absent: unreachable); or a dense
        array of minutes (``inf`` / ``nan``: unreachable). A pair is covered when
        its minutes are ``<= radius`` (inclusive). For ``pdispersion``: a square
        sites x sites matrix.
    model
        One of ``lscp``, ``mclp``, ``pmedian``, ``backup``, ``pcenter``,
        ``pdispersion``, ``budget`` (see the module documentation).
    p
        Number of stations for ``mclp``, ``pmedian``, ``pcenter``, ``pdispersion``
        (required sites included).
    radius
        Limit in minutes; required for matrices, defaults to the coverage's longest.
    weights
        Population per demand row (default: the coverage's population, else 1).
    required
        Column indices of sites that must be chosen (existing stations).
    capacity, split
        Capacitated ``lscp`` / ``mclp``: at most ``capacity`` residents per station;
        ``split=False`` keeps each home with one station.
    costs, budget
        ``budget`` model: cost per site and the total allowed.
    time_limit
        Seconds for HiGHS; on expiry the best solution found is returned with
        status ``"time_limit"`` and its gap.

    Returns
    -------
    Solution

    Raises
    ------
    InputError
        Unknown model, missing or impossible ``p``, bad radius, weights, costs.
    SolverError
        If HiGHS returns no solution, or the model is infeasible (the message says why).
    """
    started = time.perf_counter()
    if model not in MODELS:
        raise InputError(f"model={model!r}: unknown model; expected one of {', '.join(MODELS)}")
    minutes, r, population = _minutes_matrix(coverage_or_cost, radius)
    n_rows, n_sites = minutes.shape
    if n_sites == 0:
        raise InputError("no candidate sites: expected at least one column")
    w = _weights(population if weights is None else weights, n_rows)
    req = _required(required, n_sites)
    p = _check_p(model, p, n_sites, len(req))
    if time_limit is not None:
        time_limit = check_positive("time_limit", time_limit)
    if capacity is not None:
        capacity = check_positive("capacity", capacity)
        if model not in ("lscp", "mclp"):
            raise InputError(f"capacity applies to lscp and mclp, not {model!r}")
    if model == "budget":
        if costs is None or budget is None:
            raise InputError("model='budget' needs costs (one per site) and budget")
        costs = np.asarray(costs, dtype=float)
        if costs.shape != (n_sites,) or not np.all(np.isfinite(costs)) or (costs < 0).any():
            raise InputError(f"costs: expected {n_sites} finite, non-negative numbers (one per site)")
        budget = float(budget)
        if not np.isfinite(budget) or budget < 0:
            raise InputError(f"budget={budget!r}: expected a non-negative number")
        if costs[req].sum() > budget + 1e-9:
            raise InputError(f"budget={budget:g}: less than the existing stations cost ({costs[req].sum():g})")
    if model == "pdispersion" and n_rows != n_sites:
        raise InputError(f"pdispersion needs a square sites x sites matrix; got {n_rows} x {n_sites}")

    a = _pattern(minutes)
    reach = np.diff(a.indptr) > 0
    uncoverable = np.flatnonzero(~reach)
    details: dict = {}
    share = None
    if model == "lscp" and capacity is None:
        selected, status, gap, details = _lscp_core(a, req, time_limit)
    elif model in ("lscp", "mclp") and capacity is not None:
        selected, status, gap, share, details = _capacitated(
            minutes, w, req, p=p if model == "mclp" else None, capacity=capacity, split=split, time_limit=time_limit
        )
    elif model == "mclp":
        selected, status, gap, details = _mclp_core(a, w, p, req, time_limit)
    elif model == "budget":
        selected, status, gap, details = _mclp_core(a, w, None, req, time_limit, costs=costs, budget=budget)
        details["cost"] = float(costs[selected].sum())
    elif model == "pmedian":
        selected, result = _pmedian(minutes, w, p, req, time_limit)
        status, gap = _status(result)
    elif model == "pcenter":
        selected, worst, status, gap = _pcenter(minutes, p, req, time_limit)
        details["longest_walk"] = worst
    elif model == "backup":
        selected, status, gap, details = _lscp_core(a, req, time_limit)
        k = len(selected)
        selected, status2, gap2, twice = _backup(a, w, k, req, time_limit)
        if status2 != "optimal":
            status, gap = status2, gap2
        details["population_covered_twice"] = twice
    else:  # pdispersion
        selected, spread, status, gap = _pdispersion(minutes, p, req, r, time_limit)
        details["smallest_gap_minutes"] = spread

    total = float(w.sum())
    if share is not None:
        covered = share > 1 - 1e-6
        pop_covered = float((w * np.minimum(share, 1.0)).sum())
    elif model == "pdispersion":
        covered = np.zeros(n_rows, bool)
        covered[selected] = True
        pop_covered = float(w[covered].sum())
    else:
        covered = np.asarray(a[:, selected].sum(axis=1)).ravel() > 0 if len(selected) else np.zeros(n_rows, bool)
        pop_covered = float(w[covered].sum())
    if model in ("pmedian", "pcenter"):
        site, walk = _nearest_assignment(minutes, selected)
        details["assignment"] = site
        details["walk_minutes"] = walk
        ok = site >= 0
        details["weighted_minutes"] = float((w[ok] * walk[ok]).sum())
        details["mean_minutes"] = float((w[ok] * walk[ok]).sum() / w[ok].sum()) if w[ok].sum() > 0 else 0.0
        details["longest_walk"] = float(walk[ok].max()) if ok.any() else 0.0
    objective = {
        "lscp": float(len(selected)),
        "mclp": pop_covered,
        "budget": pop_covered,
        "pmedian": details.get("weighted_minutes", 0.0),
        "pcenter": details.get("longest_walk", 0.0),
        "backup": details.get("population_covered_twice", 0.0),
        "pdispersion": details.get("smallest_gap_minutes", 0.0),
    }[model]
    return Solution(
        model=model,
        selected=np.asarray(selected, dtype=np.int64),
        objective=objective,
        covered_share=pop_covered / total if total > 0 else 0.0,
        status=status,
        gap=gap,
        population_total=total,
        population_coverable=float(w[reach].sum()),
        population_covered=pop_covered,
        covered=covered,
        uncoverable=uncoverable,
        p=p,
        seconds=time.perf_counter() - started,
        details=details,
    )


def _backup(a: sp.csr_matrix, w: np.ndarray, k: int, req: np.ndarray, time_limit):
    """k stations covering every coverable row, maximising the population covered twice."""
    n_rows, n_sites = a.shape
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
    x, result = _milp(np.concatenate([np.zeros(n_sites), -rw]), np.concatenate([np.ones(n_sites), np.zeros(m)]),
                      lower, np.ones(n_sites + m),
                      [LinearConstraint(cover_once, 1.0, np.inf), LinearConstraint(twice, -np.inf, -1.0),
                       LinearConstraint(count, k, k)], time_limit)
    if x is None:
        raise SolverError(f"HiGHS found no backup-covering plan ({result.message})")
    selected = np.flatnonzero(x[:n_sites] > 0.5)
    status, gap = _status(result)
    times = np.asarray(a[:, selected].sum(axis=1)).ravel()
    return selected, status, gap, float(w[times >= 2].sum())


def coverage_curve(
    coverage_or_cost,
    *,
    max_p: int,
    radius: float | None = None,
    weights=None,
    required=None,
    time_limit: float | None = None,
    progress=None,
):
    """
    The exact maximal-covering optimum for p = 1 .. ``max_p`` stations.

    The reductions (identical homes merged, dominated and useless sites dropped)
    are made once and shared by every p; once every reachable home is covered the
    remaining p are not solved again (the optimum cannot rise).

    Parameters
    ----------
    coverage_or_cost, radius, weights, required, time_limit
        As for :func:`solve`.
    max_p
        Largest number of stations.

    Returns
    -------
    curve, needed
        ``curve``: a DataFrame with ``p``, ``population_covered``,
        ``covered_share`` (of all residents), ``coverable_share`` (of residents
        some candidate reaches), ``status``, ``gap``, ``seconds``, ``selected``
        (site indices, space-separated). ``needed``: stations needed to cover
        80 / 90 / 95 / 100 % of the reachable population (``None`` when more
        than ``max_p``; 100 % is the exact lscp minimum).
    """
    import pandas as pd

    minutes, _, population = _minutes_matrix(coverage_or_cost, radius)
    n_rows, n_sites = minutes.shape
    w = _weights(population if weights is None else weights, n_rows)
    req = _required(required, n_sites)
    if isinstance(max_p, bool) or int(max_p) != max_p or max_p < 1:
        raise InputError(f"max_p={max_p!r}: expected a whole number >= 1")
    max_p = min(int(max_p), n_sites)
    a = _pattern(minutes)
    reach = np.diff(a.indptr) > 0
    total, coverable = float(w.sum()), float(w[reach].sum())
    # shared reductions: merge identical homes once
    rows = a[reach]
    group, first = row_groups(rows)
    merged = rows[first]
    mw = np.bincount(group, weights=w[reach], minlength=len(first)) if len(first) else np.zeros(0)
    records = []
    last = None
    for p in range(max(1, len(req)), max_p + 1):
        t = time.perf_counter()
        if last is not None and last["population_covered"] >= coverable - 1e-9:
            sel, status, gap = last["_selected"], "optimal", 0.0
            extra = np.setdiff1d(np.arange(n_sites), sel)[: p - len(sel)]
            sel = np.sort(np.concatenate([sel, extra]))
        else:
            sel, status, gap, _ = _mclp_core(merged, mw, p, req, time_limit)
        covered = np.asarray(a[:, sel].sum(axis=1)).ravel() > 0
        pop = float(w[covered].sum())
        last = {"p": p, "population_covered": round(pop, 3), "covered_share": round(pop / total, 6) if total else 0.0,
                "coverable_share": round(pop / coverable, 6) if coverable else 0.0, "status": status, "gap": gap,
                "seconds": round(time.perf_counter() - t, 4), "selected": " ".join(map(str, sel)), "_selected": sel}
        records.append(last)
        if progress:
            progress(f"coverage curve: p = {p} of {max_p}", p / max_p)
    curve = pd.DataFrame(records).drop(columns="_selected")
    lscp_count = len(_lscp_core(a, req, time_limit)[0])
    needed = {}
    for target in (80, 90, 95):
        hit = curve[curve["coverable_share"] >= target / 100 - 1e-9]
        needed[f"{target}%"] = int(hit["p"].iloc[0]) if len(hit) else None
    needed["100%"] = lscp_count
    return curve, needed
