"""Any set of stations, scored: :func:`evaluate` gives the figures of ``summary.json`` for the stations given.

The what-if page (``planner plan --whatif``) computes the same figures in the browser as stations are added
and removed; this is their Python twin, for a planner's own script and for the tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from planner.errors import InputError
from planner.reach.matrix import Coverage, entries_within, nearest_among

__all__ = ["Evaluation", "evaluate"]


@dataclass(frozen=True)
class Evaluation:
    """
    The figures of one set of stations.

    Attributes
    ----------
    stations
        The stations' ``site_id``, in the order of the coverage's columns.
    population_covered
        Residents of the homes within the walk of a station.
    covered_share
        ``population_covered`` over all residents (homes no site reaches included); 0 without residents.
    assigned
        Per station (``site_id``): the residents of the covered homes whose nearest station it is
        (ties: the station of the lowest column), so the values add up to ``population_covered``.
    covered
        Per home (coverage row): within the walk of a station.
    nearest
        Per home: the coverage column of its nearest station, -1 where none is within the walk.
    """

    stations: list[str]
    population_covered: float
    covered_share: float
    assigned: dict[str, float]
    covered: np.ndarray = field(repr=False, compare=False)
    nearest: np.ndarray = field(repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """``stations``, ``population_covered``, ``covered_share`` and ``assigned``, as the page's ``state()``."""
        return {
            "stations": list(self.stations),
            "population_covered": self.population_covered,
            "covered_share": self.covered_share,
            "assigned": dict(self.assigned),
        }


def evaluate(coverage: Coverage, stations: Iterable[Any], *, minutes: float | None = None) -> Evaluation:
    """
    The residents a set of stations covers, in all and per station.

    Parameters
    ----------
    coverage
        The plan's coverage (:attr:`planner.Plan.coverage`).
    stations
        ``site_id`` values of the stations (compared as text; repeats count once).
    minutes
        The walk (default: the coverage's longest limit, the plan's walk).

    Returns
    -------
    Evaluation

    Raises
    ------
    InputError
        A ``site_id`` the coverage has no column for, or ``minutes`` beyond the coverage's limit.
    """
    limit = coverage.limit if minutes is None else float(minutes)
    coverage.within(limit)  # checks the limit
    ids = np.asarray(coverage.site_ids).astype(str)
    column = {sid: i for i, sid in enumerate(ids)}
    wanted = [str(s) for s in stations]
    unknown = [s for s in wanted if s not in column]
    if unknown:
        raise InputError(
            f"stations: site_id {unknown[0]!r} is not a site of the coverage (expected one of its {len(ids)} site_ids)"
        )
    cols = np.array(sorted({column[s] for s in wanted}), dtype=np.int64)
    pop = np.asarray(coverage.population, dtype=float)
    nearest, _ = nearest_among(entries_within(coverage.minutes, limit), cols)
    covered = nearest >= 0
    assigned = np.zeros(coverage.shape[1])
    np.add.at(assigned, nearest[covered], pop[covered])
    total = float(pop.sum())
    population_covered = float(pop[covered].sum())
    return Evaluation(
        stations=[str(ids[c]) for c in cols],
        population_covered=population_covered,
        covered_share=population_covered / total if total > 0 else 0.0,
        assigned={str(ids[c]): float(assigned[c]) for c in cols},
        covered=covered,
        nearest=nearest,
    )
