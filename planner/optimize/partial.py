"""
Partial set covering (``pscp``): the fewest stations that put at least a given share of residents within the walk.

A planner's question when covering everyone takes too many stations: "how many do we need for
90 %?". The answer is exact. The most weight ``k`` stations can cover never falls as ``k`` grows,
so the fewest stations is the smallest ``k`` whose maximal cover (:mod:`planner.optimize.rcfix`'s
model) reaches the target. The search:

1. Bounds that need no branching: the greedy plan's count (an upper bound, and the first plan);
   the fewest sites whose own reaches could add up to the target, and the partial covering LP
   (``min sum x``) rounded up (lower bounds).
2. Bisection on ``k`` while the maximal covering LP settles each count: no, when its bound is
   below the target; yes, when its plan, rounded and improved by swaps, reaches it. A count the
   LP leaves open moves the bisection up (it proves nothing below), keeping the LP's reduced-cost
   fixings: a plan of at most ``k`` stations that reaches the target can be topped up to exactly
   ``k``, so it avoids every site whose reduced weight exceeds the bound minus the target.
3. When the LP leaves the count just below the best plan open, HiGHS solves the partial covering
   MILP on the sites those fixings leave (reduced again), with the count bounded by what is
   proven on both sides: it finds a smaller plan or proves there is none.

Measured on the benchmark's compound family (50,000 homes x 5,000 sites, about four sites per
home) and on dense random matrices, this beat both a bisection that runs a MIP per open count
and the partial covering MILP alone on the reduced model (one MILP, no bisection). Required sites
are always in, and count. One deadline covers every step (the greedy plan is always made, so a
plan is always returned); when it runs out the best plan is returned with its gap in stations
against the fewest not ruled out.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import InputError
from ._highs import Constraint, Deadline, gap_of, milp
from .heuristics import greedy_order
from .maxcover import _reduced
from .problem import check_share_value
from .rcfix import Cover, _bound, _constraints, _fixings, _incumbent, _relax, _restricted, shrink
from .results import PartialResult

__all__ = ["check_share", "pscp"]


def check_share(share: object, population_total: float, population_coverable: float) -> float:
    """
    ``share`` as a fraction the candidates can reach.

    Raises
    ------
    InputError
        Not a number in (0, 1], no residents, or more than the share of residents any candidate reaches.
    """
    value = check_share_value(share)
    if population_total <= 0:
        raise InputError("share: there are no residents to cover (every weight is 0)")
    most = population_coverable / population_total
    if value > most * (1 + 1e-12):
        raise InputError(
            f"share={value:g}: at most {most:.4%} of residents live within the walk of any candidate site "
            f"(every site chosen); ask for at most {np.floor(most * 1e4) / 1e4:g}"
        )
    return value


def _probe(model: Cover, k: int, need: float, whole: bool, deadline: Deadline) -> tuple[str, np.ndarray | None]:
    """
    Whether ``k`` columns of ``model`` can cover weight ``need``, as far as the LP settles it.

    Returns
    -------
    answer, data
        ``("yes", plan)``, ``("no", None)``; ``("open", out)`` when the LP leaves it
        open, with the columns no plan of at most ``k`` columns reaching ``need``
        uses (reduced-cost fixing against the target); ``("unknown", None)``: the
        deadline passed first.
    """
    m = replace(model, cap=float(k))
    tol = 1e-9 * max(1.0, need)
    if k >= m.n:
        every = np.ones(m.n, bool)
        return ("yes", every) if m.value(every) >= need - tol else ("no", None)
    lp = _relax(m, deadline.left())
    if lp is None:
        return "unknown", None
    x, u, v = lp
    upper, dx, dy = _bound(m, u, v)
    if upper < need - 1e-7 * (1.0 + abs(upper)) or (whole and np.floor(upper + 1e-6) < need):
        return "no", None
    plan = _incumbent(m, x)
    if m.value(plan) >= need - tol:
        return "yes", plan
    # a plan of at most k columns reaching need, topped up to k, is one of exactly k: those keep the fixings
    fixed = _fixings(m, dx, dy, upper - need + 1e-7 * (1.0 + abs(upper)))
    if fixed is None or _restricted(m, *fixed) is None:
        return "no", None
    return "open", fixed[1]


def _fewest(
    model: Cover, need: float, lo: int, hi: int, out: np.ndarray, deadline: Deadline
) -> tuple[np.ndarray | None, int]:
    """
    The fewest columns, between ``lo + 1`` and ``hi - 1``, covering ``need`` without the columns ``out``.

    The partial covering MILP (``min sum x``, ``bonus @ x + rw @ y >= need``,
    ``y_i <= sum_{j in N(i)} x_j``) on the columns left, reduced again, with the
    count bounded on both sides (no incumbent needed: the bounds are the search's).

    Returns
    -------
    plan, bound
        The plan (``None``: none proven or found below ``hi``) and the fewest not ruled out
        (``hi`` when HiGHS proved no plan below it).
    """
    restricted = _restricted(model, np.zeros(model.n, bool), out)
    if restricted is None:
        return None, hi
    sub, cols = restricted
    small, kept = shrink(replace(sub, cap=float(hi - 1)))
    n_rows, n = small.block.shape
    link, _ = _constraints(small)
    weight = Constraint(sp.csr_matrix(np.concatenate([small.bonus, small.rw])[None, :]), need, np.inf)
    count = Constraint(sp.csr_matrix(np.concatenate([np.ones(n), np.zeros(n_rows)])[None, :]), lo + 1, hi - 1)
    sol, result = milp(
        np.concatenate([np.ones(n), np.zeros(n_rows)]),
        np.concatenate([np.ones(n), np.zeros(n_rows)]),
        np.zeros(n + n_rows),
        np.ones(n + n_rows),
        [link, weight, count],
        deadline,
        integral_values=True,
    )
    if result.status == 2:
        return None, hi
    bound = int(np.ceil(result.bound - 1e-6)) if np.isfinite(result.bound) else lo + 1
    if sol is None:
        return None, max(lo + 1, bound)
    pick = np.zeros(model.n, bool)
    pick[cols[kept[sol[:n] > 0.5]]] = True
    return pick, max(lo + 1, min(bound, int(pick.sum())))


def _lp_floor(model: Cover, need: float, hi: int, deadline: Deadline) -> int:
    """The largest count the partial covering LP (``min sum x``) proves too small (``-1``: none, or no time)."""
    n_rows, n = model.block.shape
    link, _ = _constraints(model)
    weight = Constraint(sp.csr_matrix(np.concatenate([model.bonus, model.rw])[None, :]), need, np.inf)
    x, result = milp(
        np.concatenate([np.ones(n), np.zeros(n_rows)]),
        np.zeros(n + n_rows),
        np.zeros(n + n_rows),
        np.ones(n + n_rows),
        [link, weight],
        deadline,
    )
    if x is None or result.status != 0:
        return -1
    return min(int(np.ceil(result.objective - 1e-6)), hi) - 1


def _bounds(model: Cover, need: float) -> tuple[int, np.ndarray, int]:
    """The greedy plan's count and plan (it reaches ``need``), and the largest count proven too small."""
    tol = 1e-9 * max(1.0, need)
    order, gains = greedy_order(model.block, model.rw, model.bonus, model.n, target=need - tol)
    k_hi = min(int(np.searchsorted(np.cumsum(gains), need - tol)) + 1, model.n)
    plan = np.zeros(model.n, bool)
    plan[order[:k_hi]] = True
    reach = model.bonus + np.asarray(sp.csc_matrix(model.block, dtype=float).T @ model.rw).ravel()
    # k sites cover at most the k largest reaches: below that count nothing reaches the target
    k_lo = int(np.searchsorted(np.cumsum(np.sort(reach)[::-1]), need - tol)) + 1
    return k_hi, plan, min(k_lo, k_hi) - 1


def pscp(
    a: sp.csr_matrix, w: np.ndarray, share: float, req: np.ndarray, deadline: Deadline
) -> tuple[np.ndarray, str, float, PartialResult]:
    """
    The fewest columns (required ones included) covering at least ``share`` of the total weight.

    Parameters
    ----------
    a
        0/1 coverage, rows x columns.
    w
        Weight per row.
    share
        Fraction of the total weight to cover (checked by :func:`check_share`).
    req
        Columns that must be chosen.
    deadline
        The one time limit.

    Returns
    -------
    selected, status, gap, result
        ``gap`` is in stations: ``(plan - bound) / plan`` against the fewest not yet ruled out.
    """
    n_sites = a.shape[1]
    chosen = np.zeros(n_sites, bool)
    chosen[req] = True
    rows, rw = _reduced(a, w, req)
    reach = np.diff(a.indptr) > 0
    offset = float(w[reach].sum() - rw.sum())
    target = share * float(w.sum())
    whole = bool(np.all(w == np.round(w)))
    need = target - offset
    if whole:
        need = float(np.ceil(need - 1e-9 * max(1.0, abs(need))))
    figures: dict[str, Any] = {
        "share": share,
        "target_population": target,
        "rows": int(a.shape[0]),
        "distinct_rows": int(rows.shape[0]),
    }
    if need <= 1e-9 * max(1.0, target):
        return (
            np.flatnonzero(chosen),
            "optimal",
            0.0,
            PartialResult(**figures, lower_bound=len(req), greedy_count=len(req)),
        )
    free = np.flatnonzero(~chosen)
    model, kept = shrink(Cover(sp.csr_matrix(rows[:, free]), rw, np.zeros(len(free)), np.ones(len(free)), 0.0, True))
    cand = free[kept]
    hi, plan, lo = _bounds(model, need)
    greedy_count = hi
    lo = max(lo, _lp_floor(model, need, hi, deadline))
    probes = 0
    status = "optimal"
    floor, out = lo, None  # the highest count proven too small or left open by the LP, and its fixings
    while hi - floor > 1:
        k = (floor + hi) // 2
        answer, found = _probe(model, k, need, whole, deadline)
        probes += 1
        if answer == "yes":
            assert found is not None
            hi, plan = int(found.sum()), found
        elif answer == "no":
            lo = floor = k
        elif answer == "open":
            floor, out = k, found
        else:
            status = "time_limit"
            break
    if status == "optimal" and hi - lo > 1:
        # the LP left hi - 1 open (and settled nothing above it): HiGHS on what its fixings leave
        assert out is not None and floor == hi - 1
        better, bound = _fewest(model, need, lo, hi, out, deadline)
        if better is not None and model.value(better) >= need - 1e-9 * max(1.0, need):
            hi, plan = int(better.sum()), better
        lo = max(lo, bound - 1)
        status = "optimal" if hi - lo <= 1 else "time_limit"
    chosen[cand[plan]] = True
    n_req = len(req)
    gap = 0.0 if status == "optimal" else gap_of(float(hi + n_req), float(lo + 1 + n_req))
    result = PartialResult(
        **figures,
        lower_bound=lo + 1 + n_req,
        greedy_count=greedy_count + n_req,
        probes=probes,
        sites_kept=len(cand),
    )
    return np.flatnonzero(chosen), status, gap, result
