"""All stages in one call: :func:`plan` (where to put stations) and :func:`score` (how good each candidate is).

The CLI and the notebooks are thin layers over these.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from .config import DEFAULTS, check_positive
from .coverage import Coverage, coverage
from .distributed import ENGINES
from .errors import InputError
from .inputs import InputOptions, load_sites, network_for, read_homes
from .io import csv_text, geojson_text, json_text, write_outputs, xlsx_bytes
from .isochrones import isochrones
from .layers import gis_files
from .ledger import Ledger, account
from .maps import plan_map, whatif_inputs
from .optimize import NEEDS_P, Solution, TierInputs, check_model, solve, solve_tiers
from .report import covered_before, plan_report
from .sites import input_crs_of, site_costs, warn_thin_osm
from .summary import area_results, plan_summary, station_sheet, station_table
from .unreachable import diagnose_unreachable

__all__ = ["OUTPUT_FILES", "Plan", "plan"]

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]

#: file names written by :meth:`Plan.write` (and ``areas.csv``, ``shp/``, ``plan.dxf`` when asked for)
OUTPUT_FILES = (
    "plan.html",
    "plan.gpkg",
    "report.html",
    "stations.geojson",
    "stations.csv",
    "stations.xlsx",
    "isochrones.geojson",
    "summary.json",
    "unreachable.csv",
)


@dataclass(frozen=True)
class Plan:
    """
    Everything a plan run produced.

    Attributes
    ----------
    network, demand, sites
        The stage inputs (``sites`` = candidates followed by existing stations).
    coverage
        Sparse walking minutes, demand x sites.
    solution
        The optimiser's answer (columns index ``sites``).
    stations
        The chosen sites with ``population_covered`` (EPSG:4326).
    isochrones
        One walking-area polygon per chosen site (EPSG:4326).
    minutes, speed_kmh
        The walk and the walking speed of the plan.
    budget
        The budget of a ``budget`` plan, else ``None``.
    seconds
        Wall time of each stage.
    unreachable
        Homes no candidate reaches (see :func:`planner.unreachable.diagnose_unreachable`), or ``None``.
    footprints
        The shapes the demand stage read, drawn as the offline map's basemap: OSM
        building polygons and sampled residential land use with ``kind``, in the
        network's CRS (see :func:`planner.load_demand`, ``footprints=True``);
        empty for a demand file, ``None`` when not known. Not written to any file.
    areas
        With areas (a demand file of areas, or ``areas=``): the area polygons
        (EPSG:4326) with the figures of :attr:`area_table`, drawn on the map;
        else ``None``.
    area_table
        Per area: population, covered share and nearest chosen station (see
        :func:`planner.areas.area_table`), written to ``areas.csv``; else ``None``.
    ledger
        The account of every input resident and site (:class:`planner.ledger.Ledger`), computed once:
        every output renders its figures.
    """

    network: nx.MultiDiGraph
    demand: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    coverage: Coverage
    solution: Solution
    stations: gpd.GeoDataFrame
    isochrones: gpd.GeoDataFrame
    minutes: float
    speed_kmh: float
    ledger: Ledger
    budget: float | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    unreachable: pd.DataFrame | None = None
    footprints: gpd.GeoDataFrame | None = None
    areas: gpd.GeoDataFrame | None = None
    area_table: pd.DataFrame | None = None

    @property
    def model(self) -> str:
        """The model solved (``tiers`` for a tiered plan)."""
        return self.solution.model

    @property
    def existing(self) -> np.ndarray:
        """Per site, whether it is an existing station."""
        return self.sites["existing"].to_numpy(bool)

    def with_solution(self, solution: Solution) -> Plan:
        """
        The plan with another answer over the same homes and sites: its station table and account made anew.

        The walking areas, the areas' nearest stations and the diagnosis stay this plan's. Not for a tiered plan,
        whose account needs the walk to the centres.

        Parameters
        ----------
        solution
            An answer of :func:`planner.solve` over :attr:`coverage`.

        Returns
        -------
        Plan
        """
        if self.model == "tiers" or solution.model == "tiers":
            raise InputError("with_solution: a tiered plan is accounted for by planner.plan(tiers=True) only")
        cov = self.coverage
        ledger = account(
            self.demand,
            self.sites,
            cov.within(self.minutes),
            solution.covered,
            solution.uncoverable,
            solution.selected,
            minutes=self.minutes,
            areas=self.areas if self.area_table is not None else None,
            boundary=self.network.graph["boundary"].polygon if "boundary" in self.network.graph else None,
            population_served=_served(solution, cov),
        )
        return replace(self, solution=solution, stations=station_table(self.sites, solution, cov), ledger=ledger)

    @cached_property
    def site_isochrones(self) -> gpd.GeoDataFrame:
        """
        The walking area of every site, chosen or not (EPSG:4326; ``site_id`` and geometry, in :attr:`sites` order).

        The chosen stations' are :attr:`isochrones` (drawn once, by the plan); the others' are drawn on first use,
        from the same network and walk, for the what-if page (:func:`planner.maps.whatif_inputs`).
        """
        ids = self.sites["site_id"].astype(str).to_numpy()
        chosen = np.zeros(len(ids), bool)
        chosen[np.asarray(self.solution.selected, np.int64)] = True
        known = dict(zip(self.isochrones["site_id"].astype(str), self.isochrones.geometry.values))
        unique = len(set(ids)) == len(ids)  # else every area is drawn again, in the order of the sites
        todo = np.flatnonzero(~chosen | ~np.isin(ids, list(known))) if unique else np.arange(len(ids))
        shapes = np.array([known.get(i) if unique else None for i in ids], dtype=object)
        if len(todo):
            shapes[todo] = isochrones(self.network, self.sites.iloc[todo], minutes=self.minutes).geometry.values
        return gpd.GeoDataFrame({"site_id": ids}, geometry=pd.Series(shapes).values, crs="EPSG:4326")

    @cached_property
    def summary(self) -> dict[str, Any]:
        """The figures written to ``summary.json``, computed from the fields above."""
        return plan_summary(self)

    def map(
        self,
        *,
        lang: str = "en",
        offline: bool = False,
        basemap: str = "osm",
        tianditu_key: str | None = None,
        inline_assets: bool = False,
        whatif: bool = False,
    ) -> Any:
        """
        The Folium map of this plan (see :func:`planner.plan_map`).

        Parameters
        ----------
        lang
            ``"en"`` or ``"zh"``.
        offline, inline_assets
            ``offline``: one self-contained page, Leaflet inlined, the plan's streets and :attr:`footprints` as the
            basemap (a ``basemap`` other than ``osm`` tiled over them); ``inline_assets``: Leaflet inlined only.
        basemap, tianditu_key, whatif
            Tile service (``osm``, ``carto``, ``tianditu``, ``gaode``) and the Tianditu key; ``whatif``: click to
            add and remove stations in the browser (:func:`planner.maps.whatif_inputs`).
        """
        is_existing = self.existing
        before = covered_before(self)
        return plan_map(
            self.stations,
            self.isochrones,
            self.demand,
            self.solution.covered,
            existing=self.sites[is_existing],
            minutes=self.minutes,
            summary=self.summary,
            lang=lang,
            unreachable=self.unreachable,
            candidates=self.sites[~is_existing],
            network=self.network,
            covered_before=before,
            offline=offline,
            basemap=basemap,
            tianditu_key=tianditu_key,
            footprints=self.footprints,
            areas=self.areas,
            boundary=self.network.graph["boundary"].polygon if "boundary" in self.network.graph else None,
            inline_assets=inline_assets,
            whatif=whatif_inputs(self) if whatif else None,
        )

    def report(self, *, lang: str = "en") -> str:
        """The committee report: one printable, self-contained HTML page (see :func:`planner.report.plan_report`)."""
        return plan_report(self, lang=lang)

    def write(
        self,
        out_dir: str | os.PathLike,
        *,
        lang: str = "en",
        offline: bool = False,
        basemap: str = "osm",
        tianditu_key: str | None = None,
        inline_assets: bool = False,
        shapefile: bool = False,
        dxf: bool = False,
        output_crs: str | None = None,
        whatif: bool = False,
    ) -> list[Path]:
        """Write :data:`OUTPUT_FILES` atomically, return the paths; options: :meth:`map`, :func:`.layers.gis_files`."""
        view: dict[str, Any] = dict(offline=offline, basemap=basemap, tianditu_key=tianditu_key, whatif=whatif)
        files = {
            "plan.html": self.map(lang=lang, inline_assets=inline_assets, **view).get_root().render(),
            "report.html": self.report(lang=lang),
            "stations.geojson": geojson_text(self.stations),
            "stations.csv": csv_text(self.stations.drop(columns="geometry")),
            "stations.xlsx": xlsx_bytes(station_sheet(self.stations, lang), "站点" if lang == "zh" else "stations"),
            "isochrones.geojson": geojson_text(self.isochrones),
            "summary.json": json_text(self.summary),
        }
        if self.unreachable is not None and len(self.unreachable):
            files["unreachable.csv"] = csv_text(self.unreachable)
        if self.area_table is not None:
            files["areas.csv"] = csv_text(self.area_table)
        files.update(gis_files(self, shapefile=shapefile, dxf=dxf, output_crs=output_crs))
        return write_outputs(out_dir, files, owned=(*OUTPUT_FILES, "areas.csv", "plan.dxf", "shp"))


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
        from .distributed import dask_client

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
        from .distributed import coverage_dask

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
        boundary=network.graph["boundary"].polygon if "boundary" in network.graph else None,
        population_served=_served(sol, cov),
    )


def _served(sol: Solution, cov: Coverage) -> float | None:
    """The model's served residents where they differ from its covered homes' (a capacity split), else ``None``."""
    whole = float(cov.population[np.asarray(sol.covered, bool)].sum())
    return sol.population_covered if abs(sol.population_covered - whole) > 1e-6 else None


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
            from .distributed import DaskExecutor

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
        from .areas import assign_areas, load_areas

        area_polys = load_areas(areas, crs=input_crs_of(input_crs, "areas"))
        homes = homes.copy()
        homes["area"] = assign_areas(homes, area_polys)
    return homes, area_polys
