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
   below the target; yes, when its plan, rounded and improved by swaps, reaches it, or when
   HiGHS, in a small box of work, finds such a plan among the columns the LP leaves fractional
   (an LP dive, when at most a tenth are). A count the LP leaves open moves the bisection up.
3. Once the LP has left open the count just below the best plan, HiGHS decides that count:
   maximal covering on what the LP's reduced-cost fixings against the target leave (a plan of
   ``k`` stations reaching the target keeps every site whose reduced weight exceeds the bound
   minus the target at its LP side), with the target as a row, stopped at the first plan that
   reaches it or once its bound proves none can. A yes lowers the best plan and the search goes
   on; a no proves the best plan optimal.

Measured against the alternatives on the benchmark's families (``benchmarks/bench_optimize.py``,
``--models pscp``) and on 200 x 60 dense random matrices: the partial covering MILP alone (on the
reduced model, or on the counts left open) was 3-15x slower on the large instances (it spends
tens of seconds finding the plan HiGHS' maximal covering decision, or the LP dive, finds in
seconds), and as fast in total on the small dense ones (up to 3x faster on single ones, each
within a few seconds). Required sites are
always in, and count. One deadline covers every step (the greedy plan is always made, so a plan
is always returned); when it runs out the best plan is returned with its gap in stations against
the fewest not ruled out.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from planner.errors import InputError
from planner.optimize.cover_model import (
    Cover,
    cover_constraints,
    cover_milp,
    dual_bound,
    lp_incumbent,
    lp_relaxation,
    reduced_cost_fixings,
    restricted_cover,
    shrink,
)
from planner.optimize.heuristics import greedy_order
from planner.optimize.milp import Constraint, Deadline, gap_of, milp
from planner.optimize.problem import check_share_value
from planner.optimize.reduce import rows_to_cover
from planner.optimize.results import PartialResult

__all__ = ["check_share", "pscp"]

#: HiGHS interrupt checks the LP dive may take (a box in work, not seconds: the same plan on every run)
_DIVE_CHECKS = 30
#: the LP dive runs when at most this share of the columns is fractional
_DIVE_SHARE = 0.1


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
        ``("yes", plan)``, ``("no", None)``; ``("open", fixed)`` when the LP leaves it
        open, with the reduced-cost fixings against the target (row 0: columns every
        plan of ``k`` columns reaching ``need`` has, row 1: columns none has);
        ``("unknown", None)``: the deadline passed first.
    """
    m = replace(model, cap=float(k))
    tol = 1e-9 * max(1.0, need)
    if k >= m.n:
        every = np.ones(m.n, bool)
        return ("yes", every) if m.value(every) >= need - tol else ("no", None)
    lp = lp_relaxation(m, deadline.left())
    if lp is None:
        return "unknown", None
    x, u, v = lp
    upper, dx, dy = dual_bound(m, u, v)
    if upper < need - 1e-7 * (1.0 + abs(upper)) or (whole and np.floor(upper + 1e-6) < need):
        return "no", None
    plan = lp_incumbent(m, x)
    if m.value(plan) >= need - tol:
        return "yes", plan
    dived = _lp_dive(m, x, need, whole, deadline)
    if dived is not None:
        return "yes", dived
    # a plan of at most k columns reaching need, topped up to k, is one of exactly k: those keep the fixings
    fixed = reduced_cost_fixings(m, dx, dy, upper - need + 1e-7 * (1.0 + abs(upper)))
    if fixed is None or restricted_cover(m, *fixed) is None:
        return "no", None
    return "open", np.stack(fixed)


def _lp_dive(m: Cover, x: np.ndarray, need: float, whole: bool, deadline: Deadline) -> np.ndarray | None:
    """
    A plan of ``m.cap`` columns reaching ``need`` among those the LP leaves fractional (``None``: none found).

    The LP's whole columns are kept (ones in, zeros out) and HiGHS chooses among the
    fractional ones, in a small box of work: a heuristic (RINS-like). On the sparse
    200,000 x 20,000 benchmark instance the LP at the optimal count has 289 fractional
    columns of 19,400; this finds the plan in 0.1 s, where HiGHS on the whole model
    took 45-85 s, and the rounded LP plan with swaps fell short.
    """
    ones, zeros = x >= 1 - 1e-6, x <= 1e-6
    if (~(ones | zeros)).sum() > _DIVE_SHARE * m.n:
        return None  # a very fractional LP: the sub-MIP would be most of the model
    answer, plan = _on_the_rest(m, ones, zeros, need, whole, deadline, target_row=False, work=_DIVE_CHECKS)
    return plan if answer == "yes" else None


def _reach(
    model: Cover, k: int, need: float, whole: bool, fixed: np.ndarray, deadline: Deadline
) -> tuple[str, np.ndarray | None]:
    """
    Whether ``k`` columns reach ``need``, by HiGHS: ``("yes", plan)``, ``("no", None)`` or ``("unknown", None)``.

    Maximal covering with ``k`` columns on what the probe's fixings leave (``fixed``,
    see :func:`_probe`), reduced again, stopped as soon as a plan reaches ``need``
    or the bound proves none can. The target is a row too: HiGHS prunes by it (measured:
    2-3x faster on 200 x 60 dense matrices, 4.5x on the 200,000 x 20,000 compound instance;
    3.8x slower on the sparse one, 8.5 s against 2.2 s).
    """
    return _on_the_rest(replace(model, cap=float(k)), fixed[0], fixed[1], need, whole, deadline, target_row=True)


def _on_the_rest(
    m: Cover,
    fix_in: np.ndarray,
    fix_out: np.ndarray,
    need: float,
    whole: bool,
    deadline: Deadline,
    *,
    target_row: bool,
    work: int | None = None,
) -> tuple[str, np.ndarray | None]:
    """
    Whether ``m.cap`` columns, ``fix_in`` among them and ``fix_out`` not, reach ``need``.

    HiGHS' maximal covering on the columns left (reduced again), stopped at the first
    plan that reaches ``need`` or once its bound proves none can (``target_row``: the
    target also as a row; ``work``: a box of HiGHS interrupt checks). Returns
    ``("yes", plan)``, ``("no", None)`` or ``("unknown", None)`` (time or work ran out).
    """
    restricted = restricted_cover(m, fix_in, fix_out)
    if restricted is None:
        return "no", None
    sub, cols = restricted
    small, kept = shrink(sub)
    pick = fix_in.copy()
    tol = 1e-9 * max(1.0, need)
    if small.n <= round(small.cap):
        pick[cols[kept]] = True
        return ("yes", pick) if m.value(pick) >= need - tol else ("no", None)
    still = need - m.value(pick)
    weights = sp.csr_matrix(np.concatenate([small.bonus, small.rw])[None, :])
    extra = [Constraint(weights, still, np.inf)] if target_row else []
    sol, result = cover_milp(small, deadline, extra=extra, integral_values=whole, stop_at=-still, work=work)
    if result.status == 2:
        return "no", None
    if sol is None or result.status not in (0, 3):
        return "unknown", None
    pick[cols[kept[sol[: small.n] > 0.5]]] = True
    reached = m.value(pick) >= need - tol and int(pick.sum()) <= round(m.cap)
    return ("yes", pick) if reached else ("no", None)  # status 0: HiGHS' optimum is below


def _lp_floor(model: Cover, need: float, hi: int, deadline: Deadline) -> int:
    """The largest count the partial covering LP (``min sum x``) proves too small (``-1``: none, or no time)."""
    n_rows, n = model.block.shape
    link, _ = cover_constraints(model)
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
    order, _ = greedy_order(model.block, model.rw, model.bonus, model.n, target=need - tol)
    k_hi = len(order)  # the greedy stops once it reaches need
    plan = np.zeros(model.n, bool)
    plan[order] = True
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
    rows, rw = rows_to_cover(a, w, req)
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
    if not deadline.expired():  # the greedy plan is always made; the LP only with time left
        lo = max(lo, _lp_floor(model, need, hi, deadline))
    probes = 0
    status = "optimal"
    floor, fixed = lo, None  # the highest count proven too small or left open by the LP, and its fixings
    while hi - lo > 1:
        if deadline.expired():  # no solve is started past the deadline (each would run its set-up first)
            status = "time_limit"
            break
        if hi - floor > 1:
            # bisection while the LP settles each count; one it leaves open moves it up
            k = (floor + hi) // 2
            answer, found = _probe(model, k, need, whole, deadline)
        else:
            # the LP left the count just below the plan open: HiGHS decides it
            assert fixed is not None
            k = hi - 1
            answer, found = _reach(model, k, need, whole, fixed, deadline)
        probes += 1
        if answer == "yes":
            assert found is not None
            hi, plan = int(found.sum()), found
            if floor >= hi:
                floor, fixed = lo, None
        elif answer == "no":
            lo = floor = k
        elif answer == "open":
            floor, fixed = k, found
        else:
            status = "time_limit"
            break
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
