"""What :func:`planner.solve` returns: one :class:`Solution`, with each model's own typed figures."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np

__all__ = [
    "Assignment",
    "BackupResult",
    "BudgetResult",
    "CapacityResult",
    "CoverStats",
    "DispersionResult",
    "MaxCoverStats",
    "ModelResult",
    "PartialResult",
    "Solution",
    "TierResult",
]


@dataclass(frozen=True)
class ModelResult:
    """Base of the per-model figures; :meth:`figures` lists the ones a plan's summary reports."""

    #: names of the fields that go into a plan's summary
    REPORTED: ClassVar[tuple[str, ...]] = ()

    def figures(self) -> dict[str, float | int]:
        """The reported figures, by name (ints stay ints, the rest rounded to 4 decimals)."""
        out: dict[str, float | int] = {}
        for name in self.REPORTED:
            value = getattr(self, name)
            if value is None:
                continue
            out[name] = int(value) if isinstance(value, (int, np.integer)) else round(float(value), 4)
        return out

    def as_dict(self) -> dict[str, Any]:
        """Every field by name (for logs and JSON)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class CoverStats(ModelResult):
    """lscp: how far the exact reductions shrank the model.

    Attributes
    ----------
    rows
        Demand rows given.
    distinct_rows
        Rows left after merging identical ones (and dropping those required sites
        cover or a forced site covers).
    sites_kept
        Sites left after dropping dominated and useless ones.
    components
        Independent pieces solved one by one.
    forced
        Sites forced in because a home has no other.
    independent_components, tasks
        With an executor: the pieces handed out, and the tasks they were packed into.
    """

    rows: int = 0
    distinct_rows: int = 0
    sites_kept: int = 0
    components: int = 0
    forced: int = 0
    independent_components: int | None = None
    tasks: int | None = None


@dataclass(frozen=True)
class MaxCoverStats(ModelResult):
    """mclp / budget: the reduced model's size, the LP bound and what reduced-cost fixing left to the MIP.

    ``incumbent_objective``, ``lp_bound``: weight the rounded LP plan (improved by
    swaps) covers and the LP relaxation's bound, both without the homes required
    sites cover; ``sites_fixed``: sites the bound fixed in or out; ``sites_in_mip`` /
    ``rows_in_mip``: the mixed-integer programme HiGHS solved on the rest (0: none
    was needed, the plan met the bound).
    """

    rows: int = 0
    distinct_rows: int = 0
    sites_kept: int = 0
    rows_in_model: int | None = None
    incumbent_objective: float | None = None
    lp_bound: float | None = None
    sites_fixed: int = 0
    sites_in_mip: int = 0
    rows_in_mip: int = 0


@dataclass(frozen=True)
class BudgetResult(MaxCoverStats):
    """budget: the maximal-covering figures and what the chosen sites cost."""

    REPORTED = ("cost",)
    cost: float = 0.0


@dataclass(frozen=True)
class PartialResult(ModelResult):
    """pscp: the target and how the search over the number of stations went.

    Attributes
    ----------
    share
        The fraction of all residents asked for.
    target_population
        ``share`` times the total population: the plan covers at least this.
    rows, distinct_rows, sites_kept
        Demand rows given, rows left after merging (and dropping those required
        sites cover), sites left after dropping dominated ones.
    lower_bound
        The fewest stations not ruled out (equal to the plan's count when optimal).
    greedy_count
        Stations the greedy plan needed (where the search started).
    probes
        Numbers of stations tried (each a yes / no maximal-covering question).
    """

    REPORTED = ("share", "target_population", "lower_bound", "greedy_count")
    share: float = 0.0
    target_population: float = 0.0
    rows: int = 0
    distinct_rows: int = 0
    sites_kept: int = 0
    lower_bound: int = 0
    greedy_count: int = 0
    probes: int = 0


@dataclass(frozen=True)
class CapacityResult(ModelResult):
    """Capacitated lscp / mclp: residents served by each chosen station (in ``selected`` order)."""

    load: tuple[float, ...] = ()
    capacity: float = 0.0
    split: bool = True


@dataclass(frozen=True)
class Assignment(ModelResult):
    """pmedian / pcenter: every home to its nearest chosen station.

    Attributes
    ----------
    assignment
        Per demand row, the chosen site's column (-1: none within the limit).
    walk_minutes
        Per demand row, the walk to it (``inf``: none).
    weighted_minutes, mean_minutes, longest_walk
        Population-weighted total, mean and longest walk of the assigned homes.
    """

    REPORTED = ("longest_walk", "mean_minutes", "weighted_minutes")
    assignment: np.ndarray = None  # type: ignore[assignment]
    walk_minutes: np.ndarray = None  # type: ignore[assignment]
    weighted_minutes: float = 0.0
    mean_minutes: float = 0.0
    longest_walk: float = 0.0


@dataclass(frozen=True)
class BackupResult(ModelResult):
    """backup: the population a second station also reaches, and the lscp reductions."""

    REPORTED = ("population_covered_twice",)
    population_covered_twice: float = 0.0
    cover: CoverStats | None = None


@dataclass(frozen=True)
class DispersionResult(ModelResult):
    """pdispersion: the shortest walk between two chosen stations."""

    REPORTED = ("smallest_gap_minutes",)
    smallest_gap_minutes: float = 0.0


@dataclass(frozen=True)
class TierResult(ModelResult):
    """The "1+5+N" plan: centres and grid stations.

    Attributes
    ----------
    n_centres, n_grid
        Chosen community centres and grid stations.
    tier_minutes
        The walk from every home (and every grid station) to a centre.
    max_centres
        The cap asked for, or ``None``.
    n_beyond_centre, population_beyond_centre
        Homes with no site that may be a centre within ``tier_minutes`` (left out of
        that constraint, with a warning).
    tier_of
        Per site, ``centre`` or ``grid`` (meaningful for the selected).
    unusable, n_unusable_sites, unusable_why
        Per site, whether it could be neither (a grid-only site with no site that may be a centre
        within ``tier_minutes``: left out, with a warning), how many, and that reason in words.
    """

    REPORTED = (
        "n_centres",
        "n_grid",
        "tier_minutes",
        "max_centres",
        "n_beyond_centre",
        "population_beyond_centre",
        "n_unusable_sites",
    )
    n_centres: int = 0
    n_grid: int = 0
    tier_minutes: float = 0.0
    max_centres: int | None = None
    n_beyond_centre: int = 0
    population_beyond_centre: float = 0.0
    tier_of: np.ndarray = None  # type: ignore[assignment]
    unusable: np.ndarray = None  # type: ignore[assignment]
    n_unusable_sites: int = 0
    unusable_why: str = ""


@dataclass(frozen=True)
class Solution:
    """
    The answer of :func:`planner.solve`.

    Attributes
    ----------
    model
        The model solved.
    selected
        Sorted column indices of the chosen sites (required ones included).
    objective
        lscp / pscp / tiers: number of stations; mclp / budget: population covered;
        pmedian: population-weighted minutes; backup: population covered twice;
        pcenter: the longest walk (minutes); pdispersion: the smallest walk between
        two chosen stations (minutes).
    covered_share
        Population covered / total population (homes nobody can reach included);
        for pdispersion, whose rows are sites, the share of site weight chosen.
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
    result
        The model's own figures (:class:`CoverStats`, :class:`MaxCoverStats`,
        :class:`BudgetResult`, :class:`CapacityResult`, :class:`Assignment`,
        :class:`BackupResult`, :class:`DispersionResult`, :class:`TierResult`).
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
    result: ModelResult

    @property
    def n_stations(self) -> int:
        """Number of chosen sites."""
        return len(self.selected)
