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

from planner.config import DEFAULTS, check_positive
from planner.distributed import ENGINES
from planner.errors import InputError
from planner.ledger import Ledger, account
from planner.network.boundary import planning_area
from planner.optimize import NEEDS_P, Solution, TierInputs, check_model, solve, solve_tiers
from planner.outputs.summary import area_results, station_table
from planner.reach.matrix import Coverage, coverage
from planner.reach.unreachable import diagnose_unreachable
from planner.reach.walk_areas import isochrones
from planner.result import OUTPUT_FILES, Plan, served_population
from planner.runs.inputs import InputOptions, load_sites, network_for, read_homes
from planner.sites import input_crs_of, site_costs, warn_thin_osm

__all__ = ["OUTPUT_FILES", "Plan", "plan"]

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
    source: str | os.PathLike | None = None,
    *,
    demand: str | os.PathLike | None = None,
    candidates: str | os.PathLike | None = None,
    existing: str | os.PathLike | None = None,
    minutes: float = DEFAULTS.minutes,
    speed_kmh: float = DEFAULTS.speed_kmh,
    model: str = "lscp",
    p: int | None = None,
    time_limit: float | None = None,
    capacity: float | None = None,
    split: bool = True,
    budget: float | None = None,
    share: float | None = None,
    tiers: bool = False,
    tier_minutes: float = 15.0,
    max_centres: int | None = None,
    areas: str | os.PathLike | None = None,
    boundary=None,
    boundary_name: str | None = None,
    network: nx.MultiDiGraph | None = None,
    progress: Progress | None = None,
    engine: str = "local",
    client=None,
    input_crs: str | dict[str, str] | None = None,
    name_column: str | None = None,
    population_column: str | None = None,
    raster_mode: str = "buildings",
    raster_units: str | None = None,
    raster_band: int | None = None,
) -> Plan:
    """
    Run every stage: network, demand, candidates, coverage, optimisation, isochrones.

    Parameters
    ----------
    source
        OSM source of the network (and of demand / candidates unless files are
        given); see :func:`planner.load_network`. ``None``: the embedded default.
    demand, candidates, existing
        Optional files (see :func:`planner.load_demand` / :func:`planner.load_candidates`);
        existing stations are kept as required sites.
    minutes, speed_kmh
        Walking limit and speed.
    model, p, time_limit, capacity, split, budget, share
        See :func:`planner.solve` (``share``: ``pscp``'s fraction of residents). For ``budget`` the site costs come from a
        ``cost`` column of the candidates file, else from
        :data:`planner.config.SITE_COSTS` by site kind.
    tiers, tier_minutes
        The "1+5+N" plan: community centres covering every home within
        ``tier_minutes`` and grid stations within ``minutes``, each grid station
        within ``tier_minutes`` of a chosen centre (fewest centres first, then
        fewest grid stations); replaces ``model``. A ``tier`` column on the sites
        (``centre``, ``grid``, ``any``; OSM parks, squares and playgrounds are
        ``grid``) limits what each site may become.
    max_centres
        With ``tiers``: at most this many community centres (existing ones
        included), the "5" of 1+5+N. A cap no plan can keep is an error naming the
        homes it leaves beyond ``tier_minutes`` of a centre.
    boundary, boundary_name
        The planning boundary (see :func:`planner.load_network`): only the streets
        within a walk of it are read; homes and sites outside it are left out and
        counted in the summary (``n_demand_outside_boundary``,
        ``population_outside_boundary``, ``n_sites_outside_boundary``).
    areas
        Areas (community boundaries: GeoJSON / GPKG / shapefile polygons with names)
        to group the homes by, for ``areas.csv`` and the map; a demand file of areas
        is grouped by its own areas without it.
    network
        A network already built with :func:`planner.load_network` (skips that stage).
    progress
        Optional callback ``progress(message, fraction)``.
    engine, client
        ``"local"`` (this process) or ``"dask"``: the coverage matrix tile by tile
        and lscp's independent components on a Dask cluster, with the same results
        (see :mod:`planner.distributed`). ``client``: a ``distributed.Client``; with
        ``engine="dask"`` and no client, a LocalCluster runs for this call.
    input_crs
        Datum or CRS of the input files, for all or by file (see
        :func:`input_crs_of`): ``"gcj02"`` for coordinates copied from Amap.
    name_column, population_column
        Columns of the site files holding names and of the demand file holding
        the population, when their headers are none of
        :data:`planner.config.COLUMN_ALIASES`.
    raster_mode, raster_units, raster_band
        For a ``demand`` raster (see :func:`planner.load_demand`).

    Returns
    -------
    Plan
    """
    arguments = dict(locals())
    if engine not in ENGINES:
        raise InputError(f"engine={engine!r}: expected 'local' or 'dask'")
    if engine == "dask" and client is None:
        from planner.distributed import dask_client

        with dask_client() as started:
            return plan(**{**arguments, "client": started})
    minutes, speed_kmh, tier_minutes, max_centres = _checked(
        minutes, speed_kmh, model, p, tiers, tier_minutes, max_centres, share, capacity, budget
    )
    laps = _Laps()
    options = InputOptions(input_crs, name_column, population_column, raster_mode, raster_units, raster_band)
    network = network_for(
        source,
        network,
        walk_minutes=max(minutes, tier_minutes) if tiers else minutes,
        speed_kmh=speed_kmh,
        progress=progress,
        boundary=boundary,
        boundary_name=boundary_name,
    )
    laps("network")
    homes, footprints = read_homes(demand, network, options, progress, footprints=True)
    homes, area_polys = _with_areas(homes, areas, input_crs)
    laps("demand")
    sites = load_sites(network, candidates, existing, progress, options)
    warn_thin_osm(network, homes if demand is None else None, sites if candidates is None else None)
    laps("candidates")
    if not tiers and model in NEEDS_P and p is not None and p > len(sites):
        raise InputError(f"p={p}: larger than the number of candidate sites ({len(sites)})")
    cov = _coverage(network, homes, sites, minutes, engine, client, progress)
    laps("coverage")
    if progress:
        progress(f"solving {'tiers' if tiers else model} over {len(sites):,} sites and {len(homes):,} homes", 0.0)
    tier_inputs = TierInputs.from_network(network, homes, sites, cov, minutes, tier_minutes) if tiers else None
    sol = _optimise(
        sites,
        cov,
        engine=engine,
        client=client,
        tier_inputs=tier_inputs,
        max_centres=max_centres,
        model=model,
        p=p,
        time_limit=time_limit,
        capacity=capacity,
        split=split,
        budget=budget,
        share=share,
    )
    laps("optimise")
    unreachable = None
    if len(sol.uncoverable):
        if progress:
            progress(f"diagnosing {len(sol.uncoverable):,} homes no candidate reaches", 0.0)
        unusable = {k: getattr(sol.result, k) for k in ("unusable", "unusable_why")} if tiers else {}
        unreachable = diagnose_unreachable(network, homes, sites, sol.uncoverable, minutes=minutes, **unusable)
    laps("diagnosis")
    iso = isochrones(network, sites.iloc[sol.selected], minutes=minutes, progress=progress)
    laps("isochrones")
    ledger = _account(network, homes, sites, cov, sol, minutes, tier_inputs, area_polys)
    area_polys, table = area_results(network, homes, sites, cov, sol, area_polys, minutes, progress, ledger)
    iso = iso.sort_values("site_id", kind="stable").reset_index(drop=True)
    names = dict(zip(sites["site_id"].astype(str), sites["name"].astype(str)))
    iso.insert(1, "name", iso["site_id"].astype(str).map(names).to_numpy())
    result = Plan(network, homes, sites, cov, sol, station_table(sites, sol, cov), iso, minutes, speed_kmh,
                  budget=budget if model == "budget" and not tiers else None, seconds=laps.seconds,
                  unreachable=unreachable, footprints=footprints, areas=area_polys, area_table=table,
                  ledger=ledger)  # fmt: skip
    log.info("plan: %d stations cover %.1f%% of the population", sol.n_stations, 100 * sol.covered_share)
    return result


def _coverage(
    network: nx.MultiDiGraph,
    homes: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    minutes: float,
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
    max_centres: int | None,
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
        return solve_tiers(tier_inputs, time_limit=time_limit, max_centres=max_centres)
    else:
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
            costs=site_costs(sites) if model == "budget" else None,
            budget=budget,
            share=share,
            executor=executor,
        )


def _checked(*args: Any) -> tuple[float, float, float, int | None]:
    """The walk, speed, tier walk and centre cap of :func:`plan`, checked once (a tiered plan replaces the model)."""
    minutes, speed_kmh, model, p, tiers, tier_minutes, max_centres, share, capacity, budget = args
    minutes = check_positive("minutes", minutes)
    speed_kmh = check_positive("speed_kmh", speed_kmh)
    check_model(model, p, tiers=tiers, share=share)
    max_centres = _check_max_centres(max_centres, tiers)
    if tiers:
        tier_minutes = check_positive("tier_minutes", tier_minutes)
        if tier_minutes < minutes:
            raise InputError(f"tier_minutes={tier_minutes:g}: expected at least minutes={minutes:g}")
        for name, value in (("capacity", capacity), ("budget", budget)):
            if value is not None:
                raise InputError(f"{name}={value!r}: a tiered plan takes no {name} (it places the fewest stations)")
    return minutes, speed_kmh, float(tier_minutes), max_centres


def _check_max_centres(max_centres: Any, tiers: bool) -> int | None:
    if max_centres is None:
        return None
    if not tiers:
        raise InputError(
            f"max_centres={max_centres!r}: caps community centres, which only a tiered plan has; "
            "expected tiers=True (--tiers beside --max-centres)"
        )
    if isinstance(max_centres, bool) or int(max_centres) != max_centres or max_centres < 1:
        raise InputError(f"max_centres={max_centres!r}: expected a whole number of community centres >= 1")
    return int(max_centres)


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
