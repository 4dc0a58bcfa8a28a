"""Stage 4: choose the sites, exactly.

:func:`solve` builds a sparse mixed-integer programme and solves it with HiGHS
(through :func:`scipy.optimize.milp`). Models:

``lscp``
    Location set covering: the fewest stations that cover every home some
    candidate can reach. Homes no candidate reaches are reported, not fatal.
``mclp``
    Maximal covering: ``p`` stations covering the most population.

Existing stations (``required``) are always selected and count toward coverage
and toward ``p``.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from .config import check_positive
from .coverage import Coverage, within
from .errors import InputError, SolverError

log = logging.getLogger(__name__)

MODELS = ("lscp", "mclp")


@dataclass(frozen=True)
class Solution:
    """The answer of :func:`solve`.

    Attributes
    ----------
    model
        ``"lscp"`` or ``"mclp"``.
    selected
        Sorted column indices of the chosen sites (required ones included).
    objective
        lscp: the number of stations; mclp: the population covered.
    covered_share
        Population covered / total population (homes nobody can reach included).
    status
        ``"optimal"``, or ``"time_limit"`` (best solution found, see ``gap``).
    gap
        Relative MIP gap reported by HiGHS (0 when proven optimal).
    population_total, population_coverable, population_covered
        Population of all rows, of the rows some site reaches, of the rows the
        chosen sites reach.
    covered
        Boolean per demand row: reached by a chosen site.
    uncoverable
        Row indices that no candidate site reaches.
    p
        The number of stations asked for (mclp) or ``None``.
    seconds
        Wall time of the solve.
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

    @property
    def n_stations(self) -> int:
        return int(len(self.selected))


def _as_matrix(coverage_or_cost, radius, weights):
    """Boolean CSR (demand x sites) and the weights, from any accepted input."""
    if isinstance(coverage_or_cost, Coverage):
        cov = coverage_or_cost
        matrix = cov.within(radius) if radius is not None else cov.within()
        w = cov.population if weights is None else weights
    elif sp.issparse(coverage_or_cost):
        if radius is None:
            raise InputError("radius=None: a sparse cost matrix needs radius (minutes within which a site covers a home)")
        matrix = within(_shortest_entries(coverage_or_cost), check_positive("radius", radius))
        w = weights
    else:
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
        with np.errstate(invalid="ignore"):
            matrix = sp.csr_matrix(np.nan_to_num(cost, nan=np.inf) <= r)
        w = weights
    n_rows = matrix.shape[0]
    w = np.ones(n_rows) if w is None else np.asarray(w, dtype=float)
    if w.shape != (n_rows,):
        raise InputError(f"weights has shape {w.shape}; expected one weight per demand row ({n_rows})")
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise InputError("weights must be finite and non-negative")
    matrix = sp.csr_matrix(matrix, dtype=bool)
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix, w


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


def _merge_identical_rows(matrix: sp.csr_matrix, w: np.ndarray):
    """Rows with the same set of sites become one row with the summed weight."""
    keys = {}
    group = np.empty(matrix.shape[0], np.int64)
    for i in range(matrix.shape[0]):
        key = matrix.indices[matrix.indptr[i]:matrix.indptr[i + 1]].tobytes()
        group[i] = keys.setdefault(key, len(keys))
    first = np.full(len(keys), -1, np.int64)
    first[group[::-1]] = np.arange(matrix.shape[0])[::-1]
    return matrix[first], np.bincount(group, weights=w, minlength=len(keys))


def solve(
    coverage_or_cost,
    *,
    model: str = "lscp",
    p: int | None = None,
    radius: float | None = None,
    weights=None,
    required=None,
    time_limit: float | None = None,
) -> Solution:
    """
    Choose sites by an exact coverage model.

    Parameters
    ----------
    coverage_or_cost
        A :class:`planner.coverage.Coverage`; a scipy sparse matrix (demand x
        sites) whose stored entries are minutes (absent: unreachable); or a dense
        array of minutes (``inf`` / ``nan``: unreachable). A pair is covered when
        its minutes are ``<= radius`` (inclusive).
    model
        ``"lscp"`` (fewest stations covering every coverable home) or ``"mclp"``
        (``p`` stations covering the most population).
    p
        Number of stations for ``mclp`` (required sites included).
    radius
        Covering limit in minutes; required for matrices, defaults to the
        coverage's longest limit.
    weights
        Population per demand row (default: the coverage's population, else 1).
    required
        Column indices of sites that must be chosen (existing stations).
    time_limit
        Seconds for HiGHS; on expiry the best solution found is returned with
        status ``"time_limit"`` and its gap.

    Returns
    -------
    Solution

    Raises
    ------
    InputError
        Unknown model, missing or impossible ``p``, bad radius or weights.
    SolverError
        If HiGHS returns no solution.
    """
    started = time.perf_counter()
    if model not in MODELS:
        raise InputError(f"model={model!r}: unknown model; expected one of {', '.join(MODELS)}")
    matrix, w = _as_matrix(coverage_or_cost, radius, weights)
    n_rows, n_sites = matrix.shape
    if n_sites == 0:
        raise InputError("no candidate sites: expected at least one column")
    req_raw = np.asarray([] if required is None else required)
    if req_raw.size and (req_raw.dtype.kind not in "iuf" or not np.all(np.isfinite(req_raw)) or not np.all(req_raw == np.round(req_raw))):
        raise InputError("required: expected whole site column indices")
    req = np.unique(req_raw.astype(np.int64))
    if len(req) and (req.min() < 0 or req.max() >= n_sites):
        raise InputError(f"required site index out of range 0..{n_sites - 1}")
    if model == "mclp":
        if p is None:
            raise InputError("model='mclp' needs p, the number of stations (for example --p 5)")
        if (isinstance(p, bool) or not isinstance(p, (int, np.integer, float, np.floating))
                or not np.isfinite(p) or int(p) != p or p < 1):
            raise InputError(f"p={p!r}: expected a whole number of stations >= 1")
        p = int(p)
        if p > n_sites:
            raise InputError(f"p={p}: larger than the number of candidate sites ({n_sites})")
        if p < len(req):
            raise InputError(f"p={p}: smaller than the number of existing stations that must be kept ({len(req)})")
    elif p is not None:
        warnings.warn(f"p={p!r} is ignored by model {model!r} (it finds the number of stations itself)", UserWarning, stacklevel=2)
    if time_limit is not None:
        time_limit = check_positive("time_limit", time_limit)

    reach = np.diff(matrix.indptr) > 0
    uncoverable = np.flatnonzero(~reach)
    rows = matrix[reach]
    rw = w[reach]
    # rows already covered by required sites need no constraint (lscp) and add
    # a constant (mclp)
    if len(req):
        pre = np.asarray(rows[:, req].sum(axis=1)).ravel() > 0
    else:
        pre = np.zeros(rows.shape[0], bool)
    free_rows, free_w = _merge_identical_rows(rows[~pre], rw[~pre])
    lower = np.zeros(n_sites)
    lower[req] = 1.0
    options = {"disp": False, "mip_rel_gap": 0.0}
    if time_limit is not None:
        options["time_limit"] = time_limit

    if model == "lscp":
        c = np.ones(n_sites)
        constraints = [LinearConstraint(free_rows.astype(float), lb=1.0, ub=np.inf)] if free_rows.shape[0] else []
        result = milp(c, integrality=np.ones(n_sites), bounds=Bounds(lower, np.ones(n_sites)),
                      constraints=constraints, options=options)
        x = result.x[:n_sites] if result.x is not None else None
    else:
        m = free_rows.shape[0]
        c = np.concatenate([np.zeros(n_sites), -free_w])
        link = sp.hstack([-free_rows.astype(float), sp.identity(m, format="csr")], format="csr")
        count = sp.csr_matrix(np.concatenate([np.ones(n_sites), np.zeros(m)])[None, :])
        constraints = [LinearConstraint(link, lb=-np.inf, ub=0.0), LinearConstraint(count, lb=p, ub=p)]
        integrality = np.concatenate([np.ones(n_sites), np.zeros(m)])
        bounds = Bounds(np.concatenate([lower, np.zeros(m)]), np.ones(n_sites + m))
        result = milp(c, integrality=integrality, bounds=bounds, constraints=constraints, options=options)
        x = result.x[:n_sites] if result.x is not None else None
    if x is None:
        raise SolverError(f"HiGHS found no solution for {model} ({result.message})")
    selected = np.flatnonzero(x > 0.5)
    status = "optimal" if result.status == 0 else ("time_limit" if result.status == 1 else f"highs_status_{result.status}")
    gap = float(getattr(result, "mip_gap", 0.0) or 0.0) if status != "optimal" else 0.0
    covered = np.zeros(n_rows, bool)
    if len(selected):
        covered = np.asarray(matrix[:, selected].sum(axis=1)).ravel() > 0
    total = float(w.sum())
    pop_covered = float(w[covered].sum())
    objective = float(len(selected)) if model == "lscp" else pop_covered
    return Solution(
        model=model,
        selected=selected,
        objective=objective,
        covered_share=pop_covered / total if total > 0 else 0.0,
        status=status,
        gap=gap,
        population_total=total,
        population_coverable=float(w[reach].sum()),
        population_covered=pop_covered,
        covered=covered,
        uncoverable=uncoverable,
        p=p if model == "mclp" else None,
        seconds=time.perf_counter() - started,
    )
