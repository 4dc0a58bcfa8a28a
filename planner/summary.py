"""A plan's results as tables: its stations, its areas, and ``summary.json`` (figures computed from its typed fields)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from .areas import OUTSIDE
from .config import DEFAULTS
from .coverage import Coverage
from .datums import in_china, wgs84_to_gcj02
from .io import json_safe
from .optimize import Solution
from .sites import site_costs
from .unreachable import DIAGNOSIS_MINUTES

if TYPE_CHECKING:
    from .pipeline import Plan

Progress = Callable[[str, float], None]

__all__ = ["area_results", "plan_summary", "station_table"]


def plan_summary(p: Plan) -> dict[str, Any]:
    """
    The figures of ``summary.json`` for a plan (read by the CLI and the map).

    Parameters
    ----------
    p
        The plan.

    Returns
    -------
    dict
        Inputs, totals, coverage, solver status, stage seconds, the model's own
        figures, the first 50 unreachable homes, and boundary / area figures when known.
    """
    sol, homes, sites, cov = p.solution, p.demand, p.sites, p.coverage
    unreached = sol.uncoverable
    off_network = (
        homes["street_m"].to_numpy(float) > DEFAULTS.max_snap_m if "street_m" in homes else np.zeros(len(homes), bool)
    )
    summary: dict[str, Any] = {
        "source": p.network.graph.get("source"),
        "minutes": p.minutes,
        "speed_kmh": p.speed_kmh,
        "model": p.model,
        "p": sol.p,
        "n_candidates": int((~p.existing).sum()),
        "n_existing": int(p.existing.sum()),
        "n_demand": len(homes),
        "n_network_nodes": p.network.number_of_nodes(),
        "n_network_edges": p.network.number_of_edges(),
        "demand_method": str(homes["method"].iloc[0]) if len(homes) else None,
        "population_total": round(sol.population_total, 1),
        "population_coverable": round(sol.population_coverable, 1),
        "population_covered": round(sol.population_covered, 1),
        "covered_share": round(sol.covered_share, 6),
        "n_uncoverable": len(unreached),
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
        "seconds": dict(p.seconds),
        # JSON has no NaN: a home with no candidate within the look-up range gets null minutes
        "unreachable": [] if p.unreachable is None else json_safe(p.unreachable.head(50).to_dict(orient="records")),
    }
    summary.update(sol.result.figures())
    if p.budget is not None:
        summary["budget"] = p.budget
    # the input files by name (no folders: the summary is handed on)
    for key, frame, attr in (
        ("demand_file", homes, "file"),
        ("candidate_file", sites, "candidate_file"),
        ("existing_file", sites, "existing_file"),
    ):
        if frame.attrs.get(attr):
            summary[key] = str(frame.attrs[attr])
    if "raster" in homes.attrs:
        summary["raster"] = json_safe(homes.attrs["raster"])
        summary["demand_method"] = f"raster ({homes.attrs['raster']['placement']})"
    summary.update(_boundary_figures(p))
    summary.update(_area_figures(p))
    return summary


def _boundary_figures(p: Plan) -> dict[str, Any]:
    if "boundary" not in p.network.graph:
        return {}
    out_homes = p.demand.attrs.get("outside_boundary", {"n": 0, "population": 0.0})
    return {
        "boundary": p.network.graph["boundary"].label,
        "n_demand_outside_boundary": int(out_homes["n"]),
        "population_outside_boundary": round(float(out_homes["population"]), 1),
        "n_sites_outside_boundary": int(p.sites.attrs.get("outside_boundary", {"n": 0})["n"]),
    }


def _area_figures(p: Plan) -> dict[str, Any]:
    if p.areas is None or p.area_table is None:
        return {}
    table = p.area_table
    out: dict[str, Any] = {"n_areas": len(p.areas)}
    inside = table[table["area"] != OUTSIDE]
    if len(inside):
        worst = inside.sort_values(["covered_share", "population"], ascending=[True, False]).iloc[0]
        out["lowest_area"] = {
            "area": str(worst["area"]),
            "covered_share": float(worst["covered_share"]),
            "population": float(worst["population"]),
        }
    out["population_outside_areas"] = round(float(table.loc[table["area"] == OUTSIDE, "population"].sum()), 1)
    return out


def station_table(sites: gpd.GeoDataFrame, sol: Solution, cov: Coverage) -> gpd.GeoDataFrame:
    """
    The chosen stations, one row each, as planners hand them over (EPSG:4326, by ``site_id``).

    Parameters
    ----------
    sites, sol, cov
        The plan's sites, solution and coverage (limited to the plan's walk).

    Returns
    -------
    stations
        ``site_id``, ``name``, ``tier``, ``kind``, ``status`` (``new`` / ``existing``) and
        ``existing``, ``lon`` / ``lat`` (WGS-84) and, for stations in China, ``gcj02_lon`` /
        ``gcj02_lat`` (Amap's datum; empty elsewhere), ``population_within`` (residents within
        the walk: catchments overlap, so this column does not add up),
        ``population_assigned`` (each covered home counted once, at its nearest chosen station:
        adds up to the plan's ``population_covered``), ``farthest_assigned_minutes`` (the walk to
        the farthest home assigned), ``cost`` (:func:`planner.sites.site_costs`).
    """
    selected = np.asarray(sol.selected, dtype=np.int64)
    chosen = sites.iloc[selected]
    pop = cov.population
    per_station = np.asarray(cov.within()[:, selected].T @ pop).ravel() if len(selected) else np.zeros(0)
    assigned, farthest = _assignment(cov, selected, sol.covered)
    tier_of = getattr(sol.result, "tier_of", None)
    ll = chosen.to_crs("EPSG:4326")
    lon, lat = ll.geometry.x.to_numpy(), ll.geometry.y.to_numpy()
    columns: dict[str, Any] = {
        "site_id": chosen["site_id"].to_numpy(),
        "name": chosen["name"].to_numpy(),
        "tier": tier_of[selected] if tier_of is not None else np.full(len(selected), "grid"),
        "kind": chosen["kind"].to_numpy(),
        "status": np.where(chosen["existing"].to_numpy(bool), "existing", "new"),
        "existing": chosen["existing"].to_numpy(bool),
        "lon": np.round(lon, 7),
        "lat": np.round(lat, 7),
    }
    china = in_china(lon, lat)
    if china.any():
        glon, glat = wgs84_to_gcj02(lon, lat)
        columns["gcj02_lon"] = np.where(china, np.round(glon, 7), np.nan)
        columns["gcj02_lat"] = np.where(china, np.round(glat, 7), np.nan)
    columns.update(
        population_within=np.round(per_station, 1),
        population_assigned=_rounded_keeping_sum(assigned),
        farthest_assigned_minutes=np.round(farthest, 2),
        cost=site_costs(sites)[selected] if len(selected) else np.zeros(0),
    )
    stations = gpd.GeoDataFrame(columns, geometry=ll.geometry.values, crs="EPSG:4326")
    return stations.sort_values("site_id", kind="stable").reset_index(drop=True)


def _assignment(cov: Coverage, selected: np.ndarray, covered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per chosen station (in ``selected`` order): residents of the covered homes nearest to it, the farthest walk."""
    assigned = np.zeros(len(selected))
    farthest = np.full(len(selected), np.nan)
    if not len(selected):
        return assigned, farthest
    site, walk = cov.nearest(selected)
    rows = np.flatnonzero(covered & (site >= 0))
    slot = np.searchsorted(selected, site[rows])  # selected is sorted (Solution.selected)
    np.add.at(assigned, slot, cov.population[rows])
    longest = np.full(len(selected), -np.inf)
    np.maximum.at(longest, slot, walk[rows])
    farthest[np.isfinite(longest)] = longest[np.isfinite(longest)]
    return assigned, farthest


def area_results(
    network: nx.MultiDiGraph,
    homes: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    cov: Coverage,
    sol: Solution,
    area_polys: gpd.GeoDataFrame | None,
    minutes: float,
    progress: Progress | None,
) -> tuple[gpd.GeoDataFrame | None, pd.DataFrame | None]:
    """The areas with their figures, and the per-area table (``None``, ``None`` without areas)."""
    if area_polys is None:
        return None, None
    from .areas import area_table, nearest_station

    walk, station = nearest_station(
        network,
        homes,
        sites,
        cov.minutes,
        sol.selected,
        look_minutes=max(DIAGNOSIS_MINUTES, minutes),
        progress=progress,
    )
    chosen_order = sites.iloc[sol.selected][["site_id", "name"]].reset_index(drop=True)
    table = area_table(homes, sol.covered, area_polys, walk, station, chosen_order)
    figures = table.set_index("area")
    area_polys = area_polys.assign(
        **{
            col: area_polys["area"].map(figures[col]).to_numpy()
            for col in ("population", "population_covered", "covered_share")
        }
    )
    return area_polys, table


def _rounded_keeping_sum(values: np.ndarray, decimals: int = 1) -> np.ndarray:
    """``values`` to ``decimals`` places whose sum is their sum so rounded (largest remainders get the odd units).

    Each station's rounded share of the covered residents then adds up to the summary's
    ``population_covered`` in the table, as the README says (1105.5 against 1105.6 when each was rounded alone).
    """
    scale = 10.0**decimals
    x = np.asarray(values, float) * scale
    low = np.floor(x + 1e-9)
    need = round(float(x.sum())) - int(low.sum())
    order = np.argsort(-(x - low), kind="stable")
    low[order[: max(need, 0)]] += 1
    return low / scale
