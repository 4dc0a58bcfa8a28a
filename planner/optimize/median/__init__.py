"""The p-median model: ``p`` stations minimising the population-weighted walking minutes.

- :mod:`~planner.optimize.median.model`: :func:`pmedian` (the model, its reductions and the choice of method);
- :mod:`~planner.optimize.median.cuts`: Benders' decomposition with the best cuts per home;
- :mod:`~planner.optimize.median.levels`: each home's sorted distinct minutes, shared by the model and the cuts;
- :mod:`~planner.optimize.median.lp`: rounds of the LP relaxation;
- :mod:`~planner.optimize.median.branch_cut`: the branch-and-cut tree on those cuts;
- :mod:`~planner.optimize.median.swap`: the interchange local search.
"""

from planner.optimize.median.model import FULL_MODEL_LEVELS, assign_nearest, feasible_start, pmedian

__all__ = ["FULL_MODEL_LEVELS", "assign_nearest", "feasible_start", "pmedian"]
