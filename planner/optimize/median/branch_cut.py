"""
Branch-and-Benders-cut for the p-median, over the one HiGHS relaxation the cut rounds built.

HiGHS' MIP solver takes no lazy constraints (highspy 1.16), so a master MIP
solved from scratch after every round of cuts repeats most of its tree. Here the
tree is ours: a node is a set of sites fixed in or out, its relaxation is the
shared linear programme with those column bounds (the dual simplex restarts from
the last basis: only bounds change), cut until no home's walk is under-estimated.
Cuts are valid everywhere, so they stay for every node. A node is closed when its
bound reaches the best plan, or its sites are integral (the relaxation's value
is then that plan's true weighted walk). Each node also fixes sites by reduced
cost within its subtree, and rounds its point to a plan (the ``p`` largest
sites). Nodes are taken best bound first, so the lowest
open bound is the proven lower bound when the time runs out.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from planner.optimize.milp import Constraint, Deadline, add_rows, limit_run

__all__ = ["TreeResult", "branch_and_cut"]

#: a site counts as integral within this
INTEGRAL = 1e-6


@dataclass(frozen=True)
class TreeResult:
    """The best plan found, its value, the proven lower bound and the nodes solved."""

    best: np.ndarray
    upper: float
    lower: float
    nodes: int


@dataclass(order=True)
class _Node:
    bound: float
    depth: int  # negated: deeper first among equal bounds
    seq: int
    lo: np.ndarray = field(compare=False)
    hi: np.ndarray = field(compare=False)


def _solve_node(
    h: Any,
    c: np.ndarray,
    separate: Callable[[np.ndarray], Constraint | None],
    deadline: Deadline,
    prune_at: float,
) -> tuple[str, float, np.ndarray | None, np.ndarray | None]:
    """Solve and cut the relaxation at the current bounds: ``("ok" | "pruned" | "infeasible" | "time", ...)``."""
    import highspy

    while True:
        if not limit_run(h, deadline):
            return "time", -np.inf, None, None
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return "infeasible", np.inf, None, None
        if status != highspy.HighsModelStatus.kOptimal:
            return "time", -np.inf, None, None
        sol = h.getSolution()
        x = np.asarray(sol.col_value, dtype=float)
        bound = float(c @ x)
        if bound >= prune_at:
            return "pruned", bound, x, None
        cut = separate(x)
        if cut is None:
            return "ok", bound, x, np.asarray(sol.col_dual, dtype=float)
        add_rows(h, cut)


def branch_and_cut(
    h: Any,
    c: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    n_sites: int,
    root_bound: float,
    separate: Callable[[np.ndarray], Constraint | None],
    evaluate: Callable[[np.ndarray], float],
    rounding: Callable[[np.ndarray], np.ndarray],
    best: np.ndarray,
    upper: float,
    deadline: Deadline,
    root_reduced: np.ndarray,
) -> TreeResult:
    """
    Prove (or improve) the best plan by branching on sites.

    Parameters
    ----------
    h
        The HiGHS linear programme over ``(y, theta)`` holding the cuts found so far.
    c, lo, hi
        Its objective and column bounds (sites fixed out by the caller at upper bound 0).
    n_sites
        The first ``n_sites`` columns are the sites.
    root_bound
        The relaxation's optimum at ``lo, hi``.
    separate
        The violated cuts at a point, or ``None``.
    evaluate
        The true weighted walk of a boolean plan (``inf``: a home unserved).
    rounding
        A plan of ``p`` sites from a fractional point's site values.
    best, upper
        The best plan known and its value.
    deadline
        The call's time limit.
    root_reduced
        The sites' reduced costs at the root optimum (``root_bound``): a site at zero there whose reduced cost
        exceeds the gap to a better plan found later is fixed out everywhere.
    """
    tol = 1e-9 * max(1.0, abs(upper))
    heap = [_Node(root_bound, 0, 0, lo[:n_sites].copy(), hi[:n_sites].copy())]
    idx = np.arange(n_sites, dtype=np.int32)
    seq, nodes = 1, 0
    # nonbasic at zero in the root: fixed out everywhere once dearer than the gap to the best plan
    root_zero = (lo[:n_sites] == 0) & (root_reduced[:n_sites] > 0)
    while heap:
        node = heapq.heappop(heap)
        if node.bound >= upper - tol:
            continue
        if deadline.expired():
            heapq.heappush(heap, node)
            break
        node.hi[root_zero & (root_bound + root_reduced[:n_sites] > upper + tol)] = 0.0
        h.changeColsBounds(n_sites, idx, node.lo, node.hi)
        state, bound, x, reduced = _solve_node(h, c, separate, deadline, upper - tol)
        nodes += 1
        if state == "time":
            heapq.heappush(heap, node)
            break
        if state != "ok" or x is None or reduced is None:
            continue
        y = x[:n_sites]
        frac = np.minimum(y, 1.0 - y)
        if frac.max() <= INTEGRAL:
            plan = y > 0.5
            value = evaluate(plan)
            if value < upper:
                best, upper = plan, value
            continue
        plan = rounding(y)
        value = evaluate(plan)
        if value < upper:
            best, upper = plan, value
        if bound >= upper - tol:
            continue
        child_lo, child_hi = node.lo.copy(), node.hi.copy()
        gap = upper - bound
        child_hi[(y <= INTEGRAL) & (reduced[:n_sites] > gap)] = 0.0
        child_lo[(y >= 1.0 - INTEGRAL) & (-reduced[:n_sites] > gap)] = 1.0
        # branch on the fractional site the relaxation likes most (measured: fewer nodes than the most fractional)
        j = int(np.argmax(np.where(frac > INTEGRAL, y, -1.0)))
        up_lo, down_hi = child_lo.copy(), child_hi.copy()
        up_lo[j] = 1.0
        down_hi[j] = 0.0
        depth = node.depth - 1
        heapq.heappush(heap, _Node(bound, depth, seq, up_lo, child_hi))
        heapq.heappush(heap, _Node(bound, depth, seq + 1, child_lo, down_hi))
        seq += 2
    lower = min([n.bound for n in heap if n.bound < upper - tol], default=upper)
    return TreeResult(best, upper, min(lower, upper), nodes)
