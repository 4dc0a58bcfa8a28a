"""All stages in one call: :func:`plan` (where to put stations) and :func:`score`
(how good each candidate is). The CLI and the notebooks are thin layers over these."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from ._graph import network_arrays
from .config import DEFAULTS, check_positive
from .coverage import DIAGNOSIS_MINUTES, Coverage, coverage, diagnose_unreachable
from .areas import OUTSIDE
from .demand import load_demand
from .errors import InputError
from .io import geojson_text, json_safe, json_text, write_outputs
from .isochrones import isochrones
from .maps import plan_map
from .network import load_network
from .optimize import NEEDS_P, Solution, TierInputs, check_model, solve, solve_tiers
from .plots import curve_png
from .sites import input_crs_of, load_candidates, site_costs

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]

#: file names written by :meth:`Plan.write`
OUTPUT_FILES = ("plan.html", "stations.geojson", "isochrones.geojson", "summary.json", "unreachable.csv")


@dataclass(frozen=True)
class Plan:
    """Everything a plan run produced.

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
    summary
        The figures written to ``summary.json``.
    unreachable
        Homes no candidate reaches (see :func:`diagnose_unreachable`), or ``None``.
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
    """

    network: nx.MultiDiGraph
    demand: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    coverage: Coverage
    solution: Solution
    stations: gpd.GeoDataFrame
    isochrones: gpd.GeoDataFrame
    summary: dict = field(default_factory=dict)
    unreachable: pd.DataFrame | None = None
    footprints: gpd.GeoDataFrame | None = None
    areas: gpd.GeoDataFrame | None = None
    area_table: pd.DataFrame | None = None

    def map(self, *, lang: str = "en", offline: bool = False, basemap: str = "osm", tianditu_key: str | None = None):
        """
        The Folium map of this plan (see :func:`planner.plan_map`).

        Parameters
        ----------
        lang
            ``"en"`` or ``"zh"``.
        offline
            One self-contained page: Leaflet inlined, the plan's streets and :attr:`footprints`
            as the basemap, no tiles.
        basemap, tianditu_key
            Tile service (``osm``, ``carto``, ``tianditu``, ``gaode``) and the Tianditu key.
        """
        is_existing = self.sites["existing"].to_numpy(bool)
        existing = self.sites[is_existing]
        within = self.coverage.within(self.summary["minutes"])
        ex_cols = np.flatnonzero(is_existing)
        before = (np.asarray(within[:, ex_cols].sum(axis=1)).ravel() > 0) if len(ex_cols) else np.zeros(len(self.demand), bool)
        return plan_map(
            self.stations, self.isochrones, self.demand, self.solution.covered,
            existing=existing, minutes=self.summary["minutes"], summary=self.summary, lang=lang,
            unreachable=self.unreachable, candidates=self.sites[~is_existing], network=self.network,
            covered_before=before, offline=offline, basemap=basemap, tianditu_key=tianditu_key,
            footprints=self.footprints, areas=self.areas,
            boundary=self.network.graph["boundary"].polygon if "boundary" in self.network.graph else None,
        )

    def write(self, out_dir: str | os.PathLike, *, lang: str = "en", offline: bool = False, basemap: str = "osm",
              tianditu_key: str | None = None) -> list[Path]:
        """Write ``plan.html``, ``stations.geojson``, ``isochrones.geojson`` and
        ``summary.json`` into ``out_dir`` atomically; returns the paths. The map
        options are those of :meth:`map`."""
        html = self.map(lang=lang, offline=offline, basemap=basemap, tianditu_key=tianditu_key).get_root().render()
        files = {
            "plan.html": html,
            "stations.geojson": geojson_text(self.stations),
            "isochrones.geojson": geojson_text(self.isochrones),
            "summary.json": json_text(self.summary),
        }
        if self.unreachable is not None and len(self.unreachable):
            files["unreachable.csv"] = self.unreachable.to_csv(index=False)
        if self.area_table is not None:
            files["areas.csv"] = self.area_table.to_csv(index=False)
        return write_outputs(out_dir, files)


#: fewer OSM candidate places than this per km of walkable street: thin OSM (a
#: 5-minute walk spans a few km of streets; Guixi's extract has 0.03, central
#: Helsinki 0.75, Porto 1.0, Monaco 0.13)
THIN_CANDIDATES_PER_KM = 0.1
#: fewer OSM residents than this per km of walkable street: thin OSM (the shared
#: extracts have 77-266)
THIN_RESIDENTS_PER_KM = 50.0


def warn_thin_osm(network: nx.MultiDiGraph, homes: gpd.GeoDataFrame | None, sites: gpd.GeoDataFrame | None) -> None:
    """
    Warn when OpenStreetMap gives few homes or few candidate places for the streets it maps.

    Parameters
    ----------
    network
        The walking network.
    homes, sites
        Demand and candidates read from OSM (``None`` where the planner gave a file).
    """
    import warnings

    arrays = network_arrays(network)
    km = float(arrays.edge_minutes.sum() * arrays.metres_per_minute / 1000.0)
    if km <= 0:
        return
    if "boundary" in network.graph:  # the streets inside the boundary only (not the margin read around it)
        lines = [d["geometry"] for _, _, d in network.edges(data=True)]
        mids = gpd.GeoSeries(shapely.line_interpolate_point(lines, 0.5, normalized=True), crs=network.graph["crs"])
        inside = shapely.intersects(network.graph["boundary"].polygon, mids.to_crs("EPSG:4326").values)
        lengths = shapely.length(lines)
        km *= float(lengths[inside].sum() / lengths.sum()) if lengths.sum() > 0 else 1.0
        if km <= 0:
            return
    label = network.graph.get("source") or "the network's source"
    if homes is not None and len(homes):
        people = float(homes["population"].sum())
        method = str(homes["method"].iloc[0])
        if method == "buildings_untyped" or people / km < THIN_RESIDENTS_PER_KM:
            how = "from untyped buildings (no residential tags)" if method == "buildings_untyped" else f"({method})"
            warnings.warn(
                f"{label}: OpenStreetMap maps few homes here: {people:,.0f} residents {how} along {km:,.0f} km of "
                "streets; pass your population with --demand (points with population, or a census table)",
                UserWarning,
                stacklevel=2,
            )
    if sites is not None:
        osm = int((~sites["existing"].to_numpy(bool)).sum())
        if osm / km < THIN_CANDIDATES_PER_KM:
            warnings.warn(
                f"{label}: OpenStreetMap gives only {osm:,} candidate places along {km:,.0f} km of streets "
                f"(fewer than one per {1 / THIN_CANDIDATES_PER_KM:g} km); pass your own list with --candidates "
                "(CSV or Excel: name, lon, lat)",
                UserWarning,
                stacklevel=2,
            )


def _sites(network, candidates, existing, progress, input_crs=None, name_column=None):
    cands = load_candidates(candidates, network=network, progress=progress, crs=input_crs_of(input_crs, "candidates"),
                            name_column=name_column)
    if existing is None:
        return cands
    ex = load_candidates(existing, network=network, existing=True, progress=progress,
                         crs=input_crs_of(input_crs, "existing"), name_column=name_column)
    clash = set(cands["site_id"]) & set(ex["site_id"])
    if clash:
        cands = cands[~cands["site_id"].isin(clash)]
    off = [{**row, "existing": flag} for frame, flag in ((cands, False), (ex, True))
           for row in frame.attrs.get("off_network", [])]
    outside = cands.attrs.get("outside_boundary")
    cands.attrs, ex.attrs = {}, {}
    both = pd.concat([cands, ex], ignore_index=True)
    both.attrs = {"off_network": off} if off else {}
    if outside:
        both.attrs["outside_boundary"] = outside
    return both


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
    model, p, time_limit, capacity, split, budget
        See :func:`planner.solve`. For ``budget`` the site costs come from a
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
    if engine not in ("local", "dask"):
        raise InputError(f"engine={engine!r}: expected 'local' or 'dask'")
    if engine == "dask" and client is None:
        from .distributed import dask_client

        with dask_client() as started:
            return plan(**{**arguments, "client": started})
    minutes = check_positive("minutes", minutes)
    speed_kmh = check_positive("speed_kmh", speed_kmh)
    check_model(model, p, tiers=tiers)
    if max_centres is not None:
        if not tiers:
            raise InputError(f"max_centres={max_centres!r}: caps community centres, which only a tiered plan has; "
                             "expected tiers=True (--tiers beside --max-centres)")
        if isinstance(max_centres, bool) or int(max_centres) != max_centres or max_centres < 1:
            raise InputError(f"max_centres={max_centres!r}: expected a whole number of community centres >= 1")
        max_centres = int(max_centres)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = round(now - clock, 3)
        clock = now

    if network is None:
        walk = max(minutes, tier_minutes) if tiers else minutes
        network = load_network(source, speed_kmh=speed_kmh, progress=progress, boundary=boundary,
                               boundary_name=boundary_name, margin_m=walk * speed_kmh * 1000.0 / 60.0)
    lap("network")
    homes, footprints = load_demand(demand, network=network, progress=progress, footprints=True,
                                    crs=input_crs_of(input_crs, "demand"), population_column=population_column,
                                    raster_mode=raster_mode, raster_units=raster_units, raster_band=raster_band)
    area_polys = homes.attrs.get("areas")  # a demand file of areas: its own, as read
    if areas is not None:
        from .areas import assign_areas, load_areas

        area_polys = load_areas(areas, crs=input_crs_of(input_crs, "areas"))
        homes = homes.copy()
        homes["area"] = assign_areas(homes, area_polys)
    lap("demand")
    sites = _sites(network, candidates, existing, progress, input_crs, name_column)
    warn_thin_osm(network, homes if demand is None else None, sites if candidates is None else None)
    lap("candidates")
    if not tiers and model in NEEDS_P and p > len(sites):
        raise InputError(f"p={p}: larger than the number of candidate sites ({len(sites)})")
    if engine == "dask":
        from .distributed import coverage_dask

        cov = coverage_dask(network, homes, sites, minutes=minutes, client=client, progress=progress)
    else:
        cov = coverage(network, homes, sites, minutes=minutes, progress=progress)
    lap("coverage")
    if progress:
        progress(f"solving {model} over {len(sites):,} sites and {len(homes):,} homes", 0.0)
    required = np.flatnonzero(sites["existing"].to_numpy(bool))
    tier_of = None
    if tiers:
        tier_minutes = check_positive("tier_minutes", tier_minutes)
        if tier_minutes < minutes:
            raise InputError(f"tier_minutes={tier_minutes:g}: expected at least minutes={minutes:g}")
        sol = solve_tiers(tier_inputs(network, homes, sites, cov, minutes, tier_minutes),
                          time_limit=time_limit, max_centres=max_centres)
        tier_of = sol.result.tier_of
        model = "tiers"
    else:
        costs = site_costs(sites) if model == "budget" else None
        executor = None
        if engine == "dask":
            from .distributed import DaskExecutor

            executor = DaskExecutor(client)
        sol = solve(cov, model=model, p=p, required=required, time_limit=time_limit,
                    capacity=capacity, split=split, costs=costs, budget=budget, executor=executor)
    lap("optimise")
    unreachable = None
    if len(sol.uncoverable):
        if progress:
            progress(f"diagnosing {len(sol.uncoverable):,} homes no candidate reaches", 0.0)
        unreachable = diagnose_unreachable(network, homes, sites, sol.uncoverable, minutes=minutes)
    lap("diagnosis")
    chosen = sites.iloc[sol.selected]
    iso = isochrones(network, chosen, minutes=minutes, progress=progress)
    lap("isochrones")
    within = cov.within()
    per_station = np.asarray(within[:, sol.selected].T @ cov.population).ravel() if len(sol.selected) else np.zeros(0)
    stations = gpd.GeoDataFrame(
        {
            "site_id": chosen["site_id"].to_numpy(),
            "name": chosen["name"].to_numpy(),
            "kind": chosen["kind"].to_numpy(),
            "existing": chosen["existing"].to_numpy(bool),
            "population_covered": np.round(per_station, 1),
            "tier": tier_of[sol.selected] if tier_of is not None else np.full(len(sol.selected), "grid"),
        },
        geometry=chosen.geometry.values,
        crs=chosen.crs,
    ).to_crs("EPSG:4326")
    stations = stations.sort_values("site_id", kind="stable").reset_index(drop=True)
    iso = iso.sort_values("site_id", kind="stable").reset_index(drop=True)
    unreached = sol.uncoverable
    off_network = homes["street_m"].to_numpy(float) > DEFAULTS.max_snap_m if "street_m" in homes else np.zeros(len(homes), bool)
    summary = {
        "source": network.graph.get("source"),
        "minutes": minutes,
        "speed_kmh": speed_kmh,
        "model": model,
        "p": sol.p,
        "n_candidates": int((~sites["existing"]).sum()),
        "n_existing": int(sites["existing"].sum()),
        "n_demand": int(len(homes)),
        "n_network_nodes": network.number_of_nodes(),
        "n_network_edges": network.number_of_edges(),
        "demand_method": str(homes["method"].iloc[0]) if len(homes) else None,
        "population_total": round(sol.population_total, 1),
        "population_coverable": round(sol.population_coverable, 1),
        "population_covered": round(sol.population_covered, 1),
        "covered_share": round(sol.covered_share, 6),
        "n_uncoverable": int(len(unreached)),
        "population_uncoverable": round(float(cov.population[unreached].sum()), 1),
        # homes farther than the snapping distance from every street: in every
        # total, never covered (also among the uncoverable)
        "n_off_network": int(off_network.sum()),
        "population_off_network": round(float(cov.population[off_network].sum()), 1),
        "sites_off_network": json_safe(sites.attrs.get("off_network", [])),
        "n_stations": sol.n_stations,
        "objective": round(sol.objective, 4),
        "solver_status": sol.status,
        "gap": sol.gap,
        "seconds": seconds,
        # JSON has no NaN: a home with no candidate within the look-up range gets null minutes
        "unreachable": [] if unreachable is None else json_safe(unreachable.head(50).to_dict(orient="records")),
    }
    summary.update(sol.result.figures())
    if model == "budget":
        summary["budget"] = budget
    if "raster" in homes.attrs:
        summary["raster"] = json_safe(homes.attrs["raster"])
        summary["demand_method"] = f"raster ({homes.attrs['raster']['placement']})"
    if "boundary" in network.graph:
        summary["boundary"] = network.graph["boundary"].label
        out_homes = homes.attrs.get("outside_boundary", {"n": 0, "population": 0.0})
        summary["n_demand_outside_boundary"] = int(out_homes["n"])
        summary["population_outside_boundary"] = round(float(out_homes["population"]), 1)
        summary["n_sites_outside_boundary"] = int(sites.attrs.get("outside_boundary", {"n": 0})["n"])
    log.info("plan: %d stations cover %.1f%% of the population", sol.n_stations, 100 * sol.covered_share)
    table = None
    if area_polys is not None:
        from .areas import area_table, nearest_station

        walk, station = nearest_station(network, homes, sites, cov.minutes, sol.selected,
                                        look_minutes=max(DIAGNOSIS_MINUTES, minutes), progress=progress)
        chosen_order = sites.iloc[sol.selected][["site_id", "name"]].reset_index(drop=True)
        table = area_table(homes, sol.covered, area_polys, walk, station, chosen_order)
        figures = table.set_index("area")
        area_polys = area_polys.assign(**{col: area_polys["area"].map(figures[col]).to_numpy()
                                          for col in ("population", "population_covered", "covered_share")})
        summary["n_areas"] = int(len(area_polys))
        inside = table[table["area"] != OUTSIDE]
        if len(inside):
            worst = inside.sort_values(["covered_share", "population"], ascending=[True, False]).iloc[0]
            summary["lowest_area"] = {"area": str(worst["area"]), "covered_share": float(worst["covered_share"]),
                                      "population": float(worst["population"])}
        summary["population_outside_areas"] = round(float(table.loc[table["area"] == OUTSIDE, "population"].sum()), 1)
    return Plan(network, homes, sites, cov, sol, stations, iso, summary, unreachable, footprints, area_polys, table)


def tier_inputs(network: nx.MultiDiGraph, homes: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, cov: Coverage,
                 minutes: float, tier_minutes: float) -> TierInputs:
    """The walks a tiered plan is solved from: homes to sites within both limits, sites to sites."""
    from .optimize._reduce import keep_within

    wide = coverage(network, homes, sites, minutes=tier_minutes)
    between = coverage(network, sites, sites, minutes=tier_minutes).within(tier_minutes).astype(float).tolil()
    between.setdiag(0.0)
    between = between.tocsr()
    between.eliminate_zeros()
    return TierInputs(near=keep_within(cov.minutes, minutes), far=wide.within(tier_minutes), between=between,
                      sites=sites, demand_ids=homes["demand_id"].astype(str).to_numpy(), population=cov.population,
                      minutes=minutes, tier_minutes=tier_minutes)


def coverage_curve_plan(
    source=None, *, demand=None, candidates=None, existing=None, minutes=DEFAULTS.minutes,
    speed_kmh=DEFAULTS.speed_kmh, max_p: int, time_limit=None, network=None, progress=None, input_crs=None,
    name_column=None, population_column=None, boundary=None, boundary_name=None, raster_mode="buildings",
    raster_units=None, raster_band=None,
):
    """
    The coverage curve of a source: exact mclp optimum for p = 1..max_p and a PNG plot.

    Returns
    -------
    curve, needed, png
        See :func:`planner.optimize.coverage_curve`; ``png`` holds the plot's bytes.
    """
    from .optimize import coverage_curve

    minutes = check_positive("minutes", minutes)
    if network is None:
        network = load_network(source, speed_kmh=speed_kmh, progress=progress, boundary=boundary,
                               boundary_name=boundary_name, margin_m=minutes * speed_kmh * 1000.0 / 60.0)
    homes = load_demand(demand, network=network, progress=progress, crs=input_crs_of(input_crs, "demand"),
                        population_column=population_column, raster_mode=raster_mode, raster_units=raster_units,
                        raster_band=raster_band)
    sites = _sites(network, candidates, existing, progress, input_crs, name_column)
    cov = coverage(network, homes, sites, minutes=minutes, progress=progress)
    required = np.flatnonzero(sites["existing"].to_numpy(bool))
    curve, needed = coverage_curve(cov, max_p=max_p, required=required, time_limit=time_limit, progress=progress)
    return curve, needed, curve_png(curve, minutes)
