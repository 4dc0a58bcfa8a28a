"""Ranking candidate sites: :func:`score` (``planner score``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from planner.config import DEFAULTS
from planner.optimize.maxcover import greedy_order
from planner.optimize.reduce import first_of_runs
from planner.reach.matrix import Coverage, coverage, nearest_entries
from planner.reach.unreachable import DIAGNOSIS_MINUTES
from planner.runs.inputs import network_for, read_homes, read_sites
from planner.study import Study, Walk

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["SCORE_HORIZON_MINUTES", "score", "worst_home_fixed"]

Progress = Callable[[str, float], None]


#: how far :func:`score` looks for an existing station, from a home or a site;
#: farther ones count as none (an unserved home, an empty ``minutes_to_existing``)
SCORE_HORIZON_MINUTES = DIAGNOSIS_MINUTES


def worst_home_fixed(
    minutes: sp.spmatrix, limit: float, current: np.ndarray, population: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """
    For each site, the worst-served home it would bring within the walking limit.

    Among the homes (population > 0) that a site reaches within ``limit`` and that
    no existing station reaches within ``limit`` today, the one whose current walk
    to its nearest existing station is longest; a home with no existing station
    within the search horizon (``current`` = ``inf``) counts as the longest. Ties
    go to the most residents, then the shortest walk from the site, then the
    first row. Computed at once for all sites by sorting the sparse entries.

    Parameters
    ----------
    minutes
        ``scipy.sparse`` matrix (homes x sites) of walking minutes; a stored entry
        (explicit zeros included) is a walk, an absent one is out of reach.
    limit
        Walking limit in minutes (inclusive).
    current
        Per home, the walk in minutes to the nearest existing station, ``inf``
        where there is none within the horizon.
    population
        Residents per home.

    Returns
    -------
    home, walk
        Per site, the home's row (-1 where the site brings no home within the
        limit) and its walk from the site in minutes (``nan`` where none).
    """
    m = minutes.tocsr()
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    cols, walk = m.indices, m.data
    current = np.asarray(current, float)
    population = np.asarray(population, float)
    keep = (walk <= limit) & (current[rows] > limit) & (population[rows] > 0)
    rows, cols, walk = rows[keep], cols[keep], walk[keep]
    # per site (primary key), the longest current walk, most residents, shortest walk from the site, first row
    order = np.lexsort((rows, walk, -population[rows], -current[rows], cols))
    rows, cols, walk = rows[order], cols[order], walk[order]
    first = first_of_runs(cols)
    home = np.full(m.shape[1], -1, np.int64)
    home[cols[first]] = rows[first]
    best = np.full(m.shape[1], np.nan)
    best[cols[first]] = walk[first]
    return home, best


def score(
    study: Study | str | os.PathLike | nx.MultiDiGraph | None = None,
    *,
    walk: Walk | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """
    Rank candidate sites by the population they would serve.

    Parameters
    ----------
    study
        What the study reads (:class:`planner.Study`, as for :func:`planner.plan`), or its OSM source. The sites
        ranked are ``study.candidates``, the planner's shortlist (CSV ``lon, lat[, name][, site_id]``, GeoJSON or
        GPKG; the datum of ``input_crs`` named ``sites``); default: all candidate places of the source. Sites
        outside the boundary are left out of the ranking.
    walk
        The walking limit and speed (:class:`planner.Walk`).
    progress
        Called with a message and a fraction per stage.

    Returns
    -------
    ranking
        One row per site, best first (greedy order), with ``rank``, ``site_id``,
        ``name``, ``lon``, ``lat`` (EPSG:4326), ``population_within`` (within
        ``minutes``), ``population_10min`` / ``population_15min``,
        ``marginal_population`` (within ``minutes`` and not yet covered by existing
        stations), ``overlap_share`` (share of its catchment that existing stations
        already cover), ``greedy_gain`` (population added in greedy order, over
        existing stations and the sites ranked above it), ``minutes_to_existing``
        (walk to the nearest existing station, ``nan`` if none within
        :data:`SCORE_HORIZON_MINUTES`), and the worst-served home it would fix:
        ``worst_home_id``, ``worst_home_minutes_to_existing`` and
        ``worst_home_minutes_to_site``.

    Notes
    -----
    The worst-served home a site would fix is, among the homes with residents
    that the site reaches within ``minutes`` and that no existing station reaches
    within ``minutes``, the one whose walk to its nearest existing station is
    longest today (see :func:`worst_home_fixed`). A home with no existing station
    within :data:`SCORE_HORIZON_MINUTES` (or no existing stations at all) is not
    served: its ``worst_home_minutes_to_existing`` is ``nan`` and it comes first.
    A site that brings no new home within the limit has ``worst_home_id`` ``None``
    and both minutes ``nan``.
    """
    study, walk = Study.of(study), walk or Walk()
    minutes = walk.minutes
    network = network_for(study, walk, progress, minutes=max(minutes, DEFAULTS.tier_minutes))
    homes = read_homes(study, network, progress)
    cands = read_sites(study.candidates, network, study, progress, which="sites")
    ex = read_sites(study.existing, network, study, progress, which="existing") if study.existing else cands.iloc[:0]
    cov = coverage(
        network, homes, cands, minutes=tuple(sorted({minutes, 10.0, DEFAULTS.tier_minutes})), progress=progress
    )
    current, to_existing = _walks_to_existing(network, homes, cands, ex, minutes)
    return _ranking(cov, cands, minutes, current, to_existing)


def _walks_to_existing(
    network: nx.MultiDiGraph, homes: gpd.GeoDataFrame, cands: gpd.GeoDataFrame, ex: gpd.GeoDataFrame, minutes: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each home's and each candidate's walk to its nearest existing station (``inf`` / ``nan``: none in the horizon)."""
    current = np.full(len(homes), np.inf)
    to_existing = np.full(len(cands), np.nan)
    if len(ex):
        horizon = max(SCORE_HORIZON_MINUTES, minutes)
        current = nearest_entries(coverage(network, homes, ex, minutes=horizon).minutes)[1]
        near = nearest_entries(coverage(network, cands, ex, minutes=horizon).minutes)[1]
        to_existing[np.isfinite(near)] = near[np.isfinite(near)]
    return current, to_existing


def _ranking(
    cov: Coverage, cands: gpd.GeoDataFrame, minutes: float, current: np.ndarray, to_existing: np.ndarray
) -> pd.DataFrame:
    """The ranking table of :func:`score` from its coverage and the walks to existing stations."""
    pop = cov.population
    within = cov.within(minutes)
    pop_within = np.asarray(within.T @ pop).ravel()
    covered_before = current <= minutes
    marginal = np.asarray(within.T @ (pop * ~covered_before)).ravel()
    overlap = np.divide(pop_within - marginal, pop_within, out=np.zeros_like(pop_within), where=pop_within > 0)
    worst, worst_walk = worst_home_fixed(cov.minutes, minutes, current, pop)
    fixed = worst >= 0
    worst_now = np.where(fixed, current[np.maximum(worst, 0)], np.nan)
    worst_now[~np.isfinite(worst_now)] = np.nan
    # greedy order: each step takes the site adding the most uncovered population (the solver's greedy)
    order, gains = greedy_order(within, pop * ~covered_before, np.zeros(len(cands)), len(cands))
    greedy = np.zeros(len(cands))
    greedy[order] = gains
    rank = np.empty(len(cands), np.int64)
    rank[order] = np.arange(1, len(cands) + 1)
    ll = cands.to_crs("EPSG:4326")
    table = pd.DataFrame(
        {
            "rank": rank,
            "site_id": cands["site_id"].to_numpy(),
            "name": cands["name"].to_numpy(),
            "lon": np.round(ll.geometry.x.to_numpy(), 7),
            "lat": np.round(ll.geometry.y.to_numpy(), 7),
            "population_within": np.round(pop_within, 1),
            "population_10min": np.round(np.asarray(cov.within(10.0).T @ pop).ravel(), 1),
            "population_15min": np.round(np.asarray(cov.within(15.0).T @ pop).ravel(), 1),
            "marginal_population": np.round(marginal, 1),
            "overlap_share": np.round(overlap, 4),
            "greedy_gain": np.round(greedy, 1),
            "minutes_to_existing": np.round(to_existing, 2),
            "worst_home_id": np.where(fixed, cov.demand_ids[np.maximum(worst, 0)], None),
            "worst_home_minutes_to_existing": np.round(worst_now, 2),
            "worst_home_minutes_to_site": np.round(worst_walk, 2),
        }
    )
    return table.sort_values("rank").reset_index(drop=True)
