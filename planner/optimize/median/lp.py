"""
The linear relaxation of the p-median Benders master, in one HiGHS model grown by cuts.

Each round adds the violated cuts to the same model (``addRows``), so the dual
simplex restarts from the last basis instead of from scratch. At the end the
sites' reduced costs fix sites: a site at zero in the optimal relaxation with
reduced cost ``r`` can only join a plan worth at least ``bound + r`` (linear
programming duality; the cuts only ever under-estimate walks), so when that
exceeds the best plan's value no better plan uses it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from planner.optimize.milp import Constraint, Deadline, add_rows, highs_model, limit_run, new_highs

__all__ = ["LpRounds", "lp_rounds"]

#: the relaxation's own rounding: a site is fixed only when its bound beats the best plan by this much (relative)
FIX_MARGIN = 1e-7


class LpRounds:
    """What the rounds proved: the relaxation's optimum (a lower bound), its point, and the sites' reduced costs."""

    def __init__(
        self, bound: float, x: np.ndarray | None, reduced: np.ndarray | None, closed: bool, model: Any = None
    ) -> None:
        self.bound = bound
        self.x = x
        self.reduced = reduced
        self.closed = closed
        self.model = model  # the HiGHS linear programme with every cut added (for branching on it)

    def fixed_out(self, n_sites: int, upper: float, keep: np.ndarray) -> np.ndarray:
        """Sites no plan worth at most ``upper`` can use (never those of ``keep``, a boolean per site)."""
        out = np.zeros(n_sites, bool)
        if not self.closed or self.x is None or self.reduced is None:
            return out
        margin = FIX_MARGIN * max(1.0, abs(upper))
        at_zero = self.x[:n_sites] < 1e-9
        return at_zero & (self.bound + self.reduced[:n_sites] > upper + margin) & ~keep


def lp_rounds(
    c: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    rows: list[Constraint],
    separate: Callable[[np.ndarray], Constraint | None],
    deadline: Deadline,
    stop: Callable[[float], bool],
) -> LpRounds:
    """
    Solve the relaxation, add the cuts ``separate`` returns for its point, and again, until none is violated.

    ``separate(x)`` returns the violated cuts at ``x`` (``None`` when there are none); ``stop(bound)`` ends the
    rounds early (the bound already meets the best plan). Stops at the deadline with the bound proven so far.
    """
    import highspy

    h: Any = new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", 1)
    h.passModel(highs_model(c, np.zeros(len(c)), lo, hi, rows))
    bound, x, reduced = -np.inf, None, None
    while True:
        if not limit_run(h, deadline):
            return LpRounds(bound, x, reduced, False)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return LpRounds(bound, x, reduced, False)
        sol = h.getSolution()
        x = np.asarray(sol.col_value, dtype=float)
        reduced = np.asarray(sol.col_dual, dtype=float)
        bound = max(bound, float(c @ x))
        if stop(bound):
            return LpRounds(bound, x, reduced, False)
        cut = separate(x)
        if cut is None:
            return LpRounds(bound, x, reduced, True, h)
        add_rows(h, cut)
