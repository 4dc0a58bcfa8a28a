"""Stage 4: choose the sites, exactly.

:func:`solve` validates a :class:`Problem` (from a :class:`planner.Coverage` or a
matrix of minutes), applies exact reductions that shrink the model without
changing its optimum, and solves a sparse mixed-integer programme with HiGHS.
One module per model family, in spopt's manner:

``cover``
    ``lscp`` (location set covering: the fewest stations that cover every home
    some candidate can reach; homes no candidate reaches are reported, not
    fatal) and ``backup`` (LSCP-B: with the lscp minimum number of stations,
    cover as much population as possible twice).
``maxcover``
    ``mclp`` (``p`` stations covering the most population), ``budget`` (stations
    whose ``costs`` add up to at most ``budget``), the capacitated forms
    (``capacity=C``: a station serves at most ``C`` people; ``split=False`` keeps
    each home with one station), and :func:`coverage_curve`.
``partial``
    ``pscp`` (partial set covering: the fewest stations covering at least
    ``share`` of all residents), by a search over the number of stations on the
    maximal covering model, finished by HiGHS where the LP leaves it open.
``median``
    ``pmedian``: ``p`` stations minimising the population-weighted walking
    minutes, everyone assigned to the nearest chosen station (within the limit).
``center``
    ``pcenter``: ``p`` stations minimising the longest walk of any reachable
    home, by a binary search over set-covering problems.
``dispersion``
    ``pdispersion``: ``p`` stations as far apart as possible (largest smallest
    pairwise walk); takes a square sites x sites matrix.
``tiers``
    The "1+5+N" plan: community centres and grid stations.

Existing stations (``required``) are always selected; they count toward
coverage, toward ``p`` and toward the budget.

Exact reductions applied before solving (each keeps the optimum):
homes with the same set of reaching sites become one row with their summed
population; homes already covered by required sites leave the covering
constraints; sites that reach no remaining home are dropped; a site whose set of
homes is contained in another's is dropped (``lscp``, ``mclp``, ``budget`` when
costs allow); ``lscp`` is solved per independent component. ``mclp`` and
``budget`` then solve the LP relaxation once, fix every site whose reduced weight
exceeds the gap between the LP bound and a rounded plan, and leave HiGHS only the
rest (:mod:`planner.optimize.rcfix`, on the model of :mod:`planner.optimize.cover_model`).
"""

from planner.optimize.cover import Executor
from planner.optimize.maxcover import coverage_curve
from planner.optimize.problem import MODEL_SPECS, MODELS, NEEDS_P, ModelSpec, Problem, check_model
from planner.optimize.reduce import row_groups
from planner.optimize.results import (
    Assignment,
    BackupResult,
    BudgetResult,
    CapacityResult,
    CoverStats,
    DispersionResult,
    MaxCoverStats,
    ModelResult,
    Solution,
    TierResult,
)
from planner.optimize.solver import solve
from planner.optimize.tiers import TierInputs, solve_tiers

__all__ = [
    "MODELS",
    "MODEL_SPECS",
    "NEEDS_P",
    "Assignment",
    "BackupResult",
    "BudgetResult",
    "CapacityResult",
    "CoverStats",
    "DispersionResult",
    "Executor",
    "MaxCoverStats",
    "ModelResult",
    "ModelSpec",
    "Problem",
    "Solution",
    "TierInputs",
    "TierResult",
    "check_model",
    "coverage_curve",
    "row_groups",
    "solve",
    "solve_tiers",
]
