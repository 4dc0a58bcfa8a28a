"""The maximal covering model and its linear relaxation (shared by :mod:`.rcfix` and :mod:`.partial`).

:class:`Cover` is the model after :mod:`planner.optimize.maxcover`'s reductions: columns are sites,
each with a ``bonus`` (the weight of homes no other column reaches); rows are homes two or more
columns reach, with weight ``rw``. Here: its exact reductions (:func:`shrink`), its rows and MIP
(:func:`cover_constraints`, :func:`cover_milp`), the LP relaxation and the bound its duals give by
weak duality (:func:`lp_relaxation`, :func:`dual_bound`), the LP's plan (:func:`lp_incumbent`), and
the reduced-cost fixings with the smaller problem they leave (:func:`reduced_cost_fixings`,
:func:`restricted_cover`). How they make an exact method is told in :mod:`planner.optimize.rcfix`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from planner.optimize.heuristics import improve_by_swaps
from planner.optimize.milp import Constraint, Deadline, MilpResult, highs_model, milp, new_highs
from planner.optimize.reduce import merge_rows

__all__ = [
    "Cover",
    "cover_constraints",
    "cover_milp",
    "dual_bound",
    "lp_incumbent",
    "lp_relaxation",
    "reduced_cost_fixings",
    "restricted_cover",
    "rounded_plan",
    "shrink",
]


@dataclass(frozen=True)
class Cover:
    """
    A maximal covering model over columns (sites) and rows (homes two or more columns reach).

    Attributes
    ----------
    block
        0/1 CSR, rows x columns.
    rw
        Weight of each row.
    bonus
        Weight each column adds whatever else is chosen.
    cost
        Cost of each column (ones for a count).
    cap
        Columns to choose (``count``) or the budget left.
    count
        ``True``: exactly ``cap`` columns; ``False``: ``cost @ x <= cap``.
    """

    block: sp.csr_matrix
    rw: np.ndarray
    bonus: np.ndarray
    cost: np.ndarray
    cap: float
    count: bool

    @property
    def n(self) -> int:
        """Number of columns."""
        return int(self.block.shape[1])

    def covered(self, pick: np.ndarray) -> np.ndarray:
        """Boolean per row: some picked column reaches it."""
        if not pick.any():
            return np.zeros(self.block.shape[0], bool)
        return np.asarray(self.block[:, np.flatnonzero(pick)].sum(axis=1)).ravel() > 0

    def value(self, pick: np.ndarray) -> float:
        """Weight a plan (boolean per column) covers."""
        return float(self.bonus[pick].sum() + self.rw[self.covered(pick)].sum())

    def feasible(self, pick: np.ndarray) -> bool:
        """The plan keeps to the count or the budget."""
        if self.count:
            return int(pick.sum()) == round(self.cap)
        return float(self.cost[pick].sum()) <= self.cap + 1e-9 * max(1.0, abs(self.cap))


def _dominated(block: sp.csr_matrix, bonus: np.ndarray) -> np.ndarray:
    """Columns nothing of their own (no bonus) whose rows another column also reaches (ties: higher index)."""
    n = block.shape[1]
    col = sp.csc_matrix(block, dtype=np.int32)
    size = np.diff(col.indptr)
    out = (size == 0) & (bonus <= 0)
    if n < 2 or col.nnz == 0:
        return out
    overlap = (col.T @ col).tocoo()
    j, k, shared = overlap.row, overlap.col, overlap.data
    inside = (j != k) & (shared == size[j]) & (bonus[j] <= 0)
    strict = (size[j] < size[k]) | (bonus[k] > 0) | (j > k)
    out[j[inside & strict]] = True
    return out


def shrink(model: Cover, merged: bool = False) -> tuple[Cover, np.ndarray]:
    """
    The same problem, smaller: rows merged, single-column rows folded into bonuses, useless columns dropped.

    A column is dropped when it reaches nothing, or (a count model) when it has no bonus
    and another column reaches all its rows: swapping it for that column never loses weight.

    Parameters
    ----------
    model
        The model.
    merged
        Its rows are already distinct (they are merged again only once columns go).

    Returns
    -------
    model, kept
        The smaller model and the columns of ``model`` it keeps, in order.
    """
    block, rw, bonus = sp.csr_matrix(model.block), model.rw, model.bonus.astype(float)
    kept = np.arange(model.n)
    while True:
        lengths = np.diff(block.indptr)
        single = lengths == 1
        if single.any():
            bonus = bonus + np.bincount(block.indices[block.indptr[:-1][single]], rw[single], minlength=len(kept))
        keep = (lengths >= 2) & (rw > 0)
        block, rw = sp.csr_matrix(block[keep]), rw[keep]
        if not merged:
            block, rw = merge_rows(block, rw)
        merged = False
        drop = _dominated(block, bonus) if model.count else (np.diff(block.tocsc().indptr) == 0) & (bonus <= 0)
        if not drop.any():
            break
        block, bonus, kept = sp.csr_matrix(block[:, ~drop]), bonus[~drop], kept[~drop]
    return Cover(block, rw, bonus, model.cost[kept], model.cap, model.count), kept


def cover_constraints(model: Cover) -> list[Constraint]:
    """
    The rows of the covering model over columns ``x`` (sites) then ``y`` (rows covered).

    Parameters
    ----------
    model
        The covering model.

    Returns
    -------
    link, limit
        ``y <= block @ x`` (a row counts only if a chosen column reaches it), and
        ``cost @ x`` equal to the count (count models) or at most the budget.
    """
    m = model.block.shape[0]
    link = sp.hstack([-sp.csr_matrix(model.block, dtype=float), sp.identity(m, format="csr")], format="csr")
    limit = np.concatenate([model.cost, np.zeros(m)])[None, :]
    return [Constraint(link, -np.inf, 0.0), Constraint(limit, model.cap if model.count else -np.inf, model.cap)]


def cover_milp(
    model: Cover,
    time_limit: float | Deadline | None,
    *,
    extra: Sequence[Constraint] = (),
    **options: Any,
) -> tuple[np.ndarray | None, MilpResult]:
    """
    The compact maximal covering MIP of ``model`` (columns ``x``, then rows ``y``), maximised by HiGHS.

    Parameters
    ----------
    model
        The model.
    time_limit
        Seconds or a :class:`planner.optimize.milp.Deadline`.
    extra
        Further rows over ``[x, y]``.
    **options
        Passed to :func:`planner.optimize.milp.milp` (``start``, ``integral_values``,
        ``stop_at`` on the negated weight, ``work``).

    Returns
    -------
    x, result
        The solution over ``[x, y]`` (``None`` when none was found) and HiGHS' result.
    """
    m, n = model.block.shape
    return milp(
        -np.concatenate([model.bonus, model.rw]),
        np.concatenate([np.ones(n), np.zeros(m)]),
        np.zeros(n + m),
        np.ones(n + m),
        [*cover_constraints(model), *extra],
        time_limit,
        **options,
    )


def lp_relaxation(model: Cover, time_limit: float | None) -> tuple[np.ndarray, np.ndarray, float] | None:
    """
    The linear relaxation of the covering model, solved by HiGHS (one thread, no presolve).

    Parameters
    ----------
    model
        The covering model.
    time_limit
        Seconds, or ``None``.

    Returns
    -------
    x, u, v
        The columns' values, the rows' duals ``u >= 0`` and the dual ``v`` of the
        count or budget row; ``None`` when the LP was not solved to optimality.
    """
    import highspy

    m, n = model.block.shape
    h = new_highs()
    for name, value in (("output_flag", False), ("threads", 1), ("random_seed", 0), ("presolve", "off")):
        h.setOptionValue(name, value)
    if time_limit is not None:
        h.setOptionValue("time_limit", max(float(time_limit), 1e-3))
    c = -np.concatenate([model.bonus, model.rw])
    h.passModel(highs_model(c, np.zeros(n + m), np.zeros(n + m), np.ones(n + m), cover_constraints(model)))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    sol = h.getSolution()
    dual = -np.asarray(sol.row_dual)  # HiGHS minimises -value: flip to the maximisation's signs
    v = float(dual[m]) if model.count else max(float(dual[m]), 0.0)
    return np.asarray(sol.col_value)[:n], np.maximum(dual[:m], 0.0), v


def dual_bound(model: Cover, u: np.ndarray, v: float) -> tuple[float, np.ndarray, np.ndarray]:
    """
    Weak duality: an upper bound on the covered weight from any duals, and the reduced weights.

    Parameters
    ----------
    model
        The covering model.
    u, v
        Duals of the rows (``u >= 0``) and of the count or budget row.

    Returns
    -------
    upper, dx, dy
        The bound, and the reduced weights of the columns and of the rows.
    """
    dx = model.bonus + np.asarray(sp.csr_matrix(model.block, dtype=float).T @ u).ravel() - v * model.cost
    dy = model.rw - u
    upper = v * model.cap + float(np.maximum(dx, 0.0).sum() + np.maximum(dy, 0.0).sum())
    return upper, dx, dy


def rounded_plan(model: Cover, x: np.ndarray) -> np.ndarray:
    """
    Columns by value, largest first, while the count or the budget allows.

    Parameters
    ----------
    model
        The covering model.
    x
        A value per column (the LP's, or what each column reaches).

    Returns
    -------
    plan
        Boolean per column: the ``cap`` largest (count models), else those that
        fit the budget in that order (columns of value zero left out).
    """
    order = np.argsort(-x, kind="stable")
    pick = np.zeros(model.n, bool)
    if model.count:
        pick[order[: round(model.cap)]] = True
        return pick
    spent = 0.0
    for j in order[x[order] > 1e-9]:
        if spent + model.cost[j] <= model.cap:
            pick[j] = True
            spent += float(model.cost[j])
    return pick


def lp_incumbent(model: Cover, x: np.ndarray) -> np.ndarray:
    """
    A plan from the LP: its columns rounded, improved by swaps (count models).

    Parameters
    ----------
    model
        The covering model.
    x
        The LP's column values.

    Returns
    -------
    plan
        Boolean per column, within the count or the budget.
    """
    plan = rounded_plan(model, x)
    return improve_by_swaps(model.block, model.rw, model.bonus, plan) if model.count else plan


def reduced_cost_fixings(
    model: Cover, dx: np.ndarray, dy: np.ndarray, gap: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """
    Columns every plan better than the incumbent has in, and has out.

    A reduced weight beyond ``gap`` cannot be paid for. A row whose ``-dy``
    exceeds it stays uncovered, so every column reaching it is out.

    Parameters
    ----------
    model
        The covering model.
    dx, dy
        Reduced weights of the columns and the rows (:func:`dual_bound`).
    gap
        The bound minus the incumbent's value, with a margin against rounding.

    Returns
    -------
    fix_in, fix_out
        Boolean per column; ``None`` when no plan better than the incumbent exists.
    """
    fix_in, fix_out = dx > gap, -dx > gap
    row_out = -dy > gap
    if row_out.any():
        if model.covered(fix_in)[row_out].any():
            return None
        fix_out[np.unique(model.block[np.flatnonzero(row_out)].indices)] = True
    if (fix_in & fix_out).any():
        return None
    return fix_in, fix_out


def restricted_cover(model: Cover, fix_in: np.ndarray, fix_out: np.ndarray) -> tuple[Cover, np.ndarray] | None:
    """
    The problem left once columns are fixed in and out.

    Parameters
    ----------
    model
        The covering model.
    fix_in, fix_out
        Boolean per column: fixed in, fixed out.

    Returns
    -------
    sub, cols
        The model over the free columns and the rows the fixed-in ones leave
        uncovered (count or budget reduced), and the free columns' indices;
        ``None`` when no plan keeps to the fixings.
    """
    free = ~(fix_in | fix_out)
    used = float(model.cost[fix_in].sum())
    if used > model.cap + 1e-9 * max(1.0, abs(model.cap)) or (model.count and free.sum() < round(model.cap) - used):
        return None
    covered = model.covered(fix_in)
    cols = np.flatnonzero(free)
    sub = Cover(
        sp.csr_matrix(model.block[~covered][:, cols]),
        model.rw[~covered],
        model.bonus[cols],
        model.cost[cols],
        model.cap - used,
        model.count,
    )
    return sub, cols
