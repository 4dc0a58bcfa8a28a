"""All stages in one call: :func:`plan` (where to put stations) and :func:`score` (how good each candidate is).

The CLI and the notebooks are thin layers over these.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from planner.distributed import ENGINES
from planner.errors import InputError
from planner.ledger import Ledger, account
from planner.network.boundary import planning_area
from planner.optimize import MODEL_SPECS, Solution, TierInputs, check_model, solve, solve_tiers
from planner.reach.matrix import Coverage, coverage
from planner.reach.unreachable import diagnose_unreachable
from planner.reach.walk_areas import isochrones
from planner.result import Plan, area_results, served_population, station_table
from planner.runs.inputs import load_sites, network_for, read_homes
from planner.sites import input_crs_of, site_costs, warn_thin_osm
from planner.study import Study, Tiers, Walk

__all__ = ["plan"]

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]


class _Laps:
    """Wall time of each stage, in order."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._clock = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(now - self._clock, 3)
        self._clock = now


def plan(
    study: Study | str | os.PathLike | nx.MultiDiGraph | None = None,
    *,
    walk: Walk | None = None,
    model: str = "lscp",
    p: int | None = None,
    time_limit: float | None = None,
    capacity: float | None = None,
    split: bool = True,
    budget: float | None = None,
    share: float | None = None,
    tiers: Tiers | None = None,
    progress: Progress | None = None,
    engine: str = "local",
    client: Any = None,
) -> Plan:
    """
    Run every stage: network, demand, candidates, coverage, optimisation, isochrones, and the account.

    Parameters
    ----------
    study
        What the study reads (:class:`planner.Study`: the OSM source, the planner's files, the boundary, the
        areas), or just its OSM source (a path, a place name, a bounding box or a network); ``None``: the embedded
        default.
    walk
        The walking limit and speed (:class:`planner.Walk`; default 5 minutes at 4.8 km/h).
    model, p, time_limit, capacity, split, budget, share
        See :func:`planner.solve` (``share``: ``pscp``'s fraction of residents). For ``budget`` the site costs come from a
        ``cost`` column of the candidates file, else from :data:`planner.config.SITE_COSTS` by site kind.
    tiers
        The "1+5+N" plan (:class:`planner.Tiers`): community centres covering every home within
        ``tiers.minutes`` and grid stations within the walk, each grid station within ``tiers.minutes`` of a chosen
        centre (fewest centres first, then fewest grid stations), at most ``tiers.max_centres`` centres; replaces
        ``model``. A ``tier`` column on the sites (``centre``, ``grid``, ``any``; OSM parks, squares and playgrounds
        are ``grid``) limits what each site may become.
    progress
        Optional callback ``progress(message, fraction)``.
    engine, client
        ``"local"`` (this process) or ``"dask"``: the coverage matrix tile by tile and lscp's independent
        components on a Dask cluster, with the same results (see :mod:`planner.distributed`). ``client``: a
        ``distributed.Client``; with ``engine="dask"`` and no client, a LocalCluster runs for this call.

    Returns
    -------
    Plan
        Homes and sites outside the study's boundary are left out and counted in its account.
    """
    arguments = dict(locals())
    if engine not in ENGINES:
        raise InputError(f"engine={engine!r}: expected 'local' or 'dask'")
    if engine == "dask" and client is None:
        from planner.distributed import dask_client

        with dask_client() as started:
            return plan(**{**arguments, "client": started})
    study, walk = Study.of(study), walk or Walk()
    _check_model(walk, model, p, tiers, share=share, capacity=capacity, budget=budget)
    laps = _Laps()
    network = network_for(study, walk, progress, minutes=max(walk.minutes, tiers.minutes) if tiers else None)
    laps("network")
    homes, footprints = read_homes(study, network, progress, footprints=True)
    homes, area_polys = _with_areas(homes, study.areas, study.input_crs)
    laps("demand")
    sites = load_sites(network, study, progress)
    warn_thin_osm(network, homes if study.demand is None else None, sites if study.candidates is None else None)
    laps("candidates")
    if not tiers and MODEL_SPECS[model].needs_p and p is not None and p > len(sites):
        raise InputError(f"p={p}: larger than the number of candidate sites ({len(sites)})")
    minutes = walk.minutes
    limits = (minutes, tiers.minutes) if tiers else (minutes,)
    wide = _coverage(network, homes, sites, limits, engine, client, progress)  # one search to the longest walk
    cov = wide.up_to(minutes) if tiers else wide
    tier_inputs = None
    if tiers:
        between = coverage(network, sites, sites, minutes=tiers.minutes)
        tier_inputs = TierInputs.from_coverage(wide, between, sites, minutes)
    laps("coverage")
    if progress:
        progress(f"solving {'tiers' if tiers else model} over {len(sites):,} sites and {len(homes):,} homes", 0.0)
    options: dict[str, Any] = {
        "model": model,
        "p": p,
        "time_limit": time_limit,
        "capacity": capacity,
        "split": split,
        "budget": budget,
        "share": share,
    }
    sol = _optimise(sites, cov, engine=engine, client=client, tier_inputs=tier_inputs, tiers=tiers, **options)
    laps("optimise")
    unreachable = _diagnosis(network, homes, sites, sol, minutes, progress, tiered=tiers is not None)
    laps("diagnosis")
    iso = isochrones(network, sites.iloc[sol.selected], minutes=minutes, progress=progress)
    laps("isochrones")
    ledger = _account(network, homes, sites, cov, sol, minutes, tier_inputs, area_polys)
    area_polys, table = area_results(network, homes, sites, cov, sol, area_polys, minutes, progress, ledger)
    iso = iso.sort_values("site_id", kind="stable").reset_index(drop=True)
    names = dict(zip(sites["site_id"].astype(str), sites["name"].astype(str)))
    iso.insert(1, "name", iso["site_id"].astype(str).map(names).to_numpy())
    result = Plan(network, homes, sites, cov, sol, station_table(sites, sol, cov), iso, minutes, walk.speed_kmh,
                  budget=budget if MODEL_SPECS[model].needs_costs and not tiers else None, seconds=laps.seconds,
                  unreachable=unreachable, footprints=footprints, areas=area_polys, area_table=table,
                  ledger=ledger)  # fmt: skip
    log.info("plan: %d stations cover %.1f%% of the population", sol.n_stations, 100 * sol.covered_share)
    return result


def _diagnosis(
    network: nx.MultiDiGraph,
    homes: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    sol: Solution,
    minutes: float,
    progress: Progress | None,
    *,
    tiered: bool,
) -> pd.DataFrame | None:
    """Why the homes no candidate reaches are left out (``None`` when every home is reachable)."""
    if not len(sol.uncoverable):
        return None
    if progress:
        progress(f"diagnosing {len(sol.uncoverable):,} homes no candidate reaches", 0.0)
    unusable = {k: getattr(sol.result, k) for k in ("unusable", "unusable_why")} if tiered else {}
    return diagnose_unreachable(network, homes, sites, sol.uncoverable, minutes=minutes, **unusable)


def _coverage(
    network: nx.MultiDiGraph,
    homes: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    minutes: tuple[float, ...],
    engine: str,
    client: Any,
    progress: Progress | None,
) -> Coverage:
    """The coverage matrix, here or tile by tile on the Dask cluster."""
    if engine == "dask":
        from planner.distributed import coverage_dask

        return coverage_dask(network, homes, sites, minutes=minutes, client=client, progress=progress)
    return coverage(network, homes, sites, minutes=minutes, progress=progress)


def _account(
    network: nx.MultiDiGraph,
    homes: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    cov: Coverage,
    sol: Solution,
    minutes: float,
    tier_inputs: TierInputs | None,
    area_polys: gpd.GeoDataFrame | None,
) -> Ledger:
    """The plan's account of every resident and site (:mod:`planner.ledger`)."""
    tiered = sol.result if tier_inputs is not None else None
    return account(
        homes,
        sites,
        cov.within(minutes),
        sol.covered,
        sol.uncoverable,
        sol.selected,
        minutes=minutes,
        unusable=getattr(tiered, "unusable", None),
        tier_minutes=None if tier_inputs is None else tier_inputs.tier_minutes,
        centre_within=None if tier_inputs is None else tier_inputs.far,
        tier_of=getattr(tiered, "tier_of", None),
        areas=area_polys,
        boundary=planning_area(network),
        population_served=served_population(sol, cov),
    )


def _optimise(
    sites: gpd.GeoDataFrame,
    cov: Coverage,
    *,
    engine: str,
    client: Any,
    tier_inputs: TierInputs | None,
    tiers: Tiers | None,
    model: str,
    p: int | None,
    time_limit: float | None,
    capacity: float | None,
    split: bool,
    budget: float | None,
    share: float | None,
) -> Solution:
    """The tiered plan, or the model's (lscp's pieces on the Dask cluster with ``engine="dask"``)."""
    if tier_inputs is not None:
        return solve_tiers(tier_inputs, time_limit=time_limit, max_centres=tiers.max_centres if tiers else None)
    executor = None
    if engine == "dask":
        from planner.distributed import DaskExecutor

        executor = DaskExecutor(client)
    return solve(
        cov,
        model=model,
        p=p,
        required=np.flatnonzero(sites["existing"].to_numpy(bool)),
        time_limit=time_limit,
        capacity=capacity,
        split=split,
        costs=site_costs(sites) if MODEL_SPECS[model].needs_costs else None,
        budget=budget,
        share=share,
        executor=executor,
    )


def _check_model(
    walk: Walk, model: str, p: Any, tiers: Tiers | None, *, share: Any, capacity: Any, budget: Any
) -> None:
    """The model's options against the walk and the tiers (a tiered plan replaces the model)."""
    check_model(model, p, tiers=tiers is not None, share=share)
    if tiers is None:
        return
    tiers.check_walk(walk)
    for name, value in (("capacity", capacity), ("budget", budget)):
        if value is not None:
            raise InputError(f"{name}={value!r}: a tiered plan takes no {name} (it places the fewest stations)")


def _with_areas(
    homes: gpd.GeoDataFrame, areas: str | os.PathLike | None, input_crs: str | dict[str, str] | None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame | None]:
    """The homes grouped by the ``areas`` file when given (a demand file of areas: its own, as read)."""
    area_polys = homes.attrs.get("areas")
    if areas is not None:
        from planner.demand.areas import assign_areas, load_areas

        area_polys = load_areas(areas, crs=input_crs_of(input_crs, "areas"))
        homes = homes.copy()
        homes["area"] = assign_areas(homes, area_polys)
    return homes, area_polys
