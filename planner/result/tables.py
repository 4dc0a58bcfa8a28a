"""The plan's own tables, computed once by :func:`planner.plan`: its stations and its areas.

They are data of the plan (:class:`planner.result.Plan` holds them); :mod:`planner.outputs` renders them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from planner.demand.areas import nearest_by_area, nearest_station
from planner.io.datums import in_china, wgs84_to_gcj02
from planner.ledger import Ledger
from planner.optimize import Solution
from planner.reach.matrix import Coverage
from planner.reach.unreachable import DIAGNOSIS_MINUTES
from planner.sites import site_costs

Progress = Callable[[str, float], None]

__all__ = ["area_results", "served_population", "station_table"]


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
    ledger: Ledger,
) -> tuple[gpd.GeoDataFrame | None, pd.DataFrame | None]:
    """The areas with their figures, and the per-area table (``None``, ``None`` without areas).

    The residents and their classes come from the plan's account (``ledger.areas``); this adds the nearest
    chosen station of each area. With a planning boundary the areas are drawn clipped to it.
    """
    if area_polys is None or ledger.areas is None:
        return None, None
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
    assert ledger.area_row is not None  # made with the areas' table
    nearest = nearest_by_area(ledger.area_row, len(ledger.areas), walk, station, chosen_order)
    table = _ledger_areas(ledger.areas, nearest)
    if "boundary" in network.graph:
        shapes = area_polys.to_crs("EPSG:4326")
        clipped = shapely.intersection(shapes.geometry.values, network.graph["boundary"].polygon)
        area_polys = shapes.set_geometry(clipped)[~shapely.is_empty(clipped)].reset_index(drop=True)
    figures = table.set_index("area")
    area_polys = area_polys.assign(
        **{
            col: area_polys["area"].map(figures[col]).to_numpy()
            for col in ("population", "population_covered", "covered_share")
        }
    )
    return area_polys, table


def _ledger_areas(areas: pd.DataFrame, nearest: pd.DataFrame) -> pd.DataFrame:
    """``areas.csv``: the account's per-area classes (rounded), then the nearest chosen station of each area."""
    out = pd.DataFrame({"area": areas["area"].astype(str), "n_homes": areas["n_homes"].astype(int)})
    out.insert(1, "population", areas["population"].round(1))
    for col in areas.columns:
        if col.startswith("population_"):
            out[col] = areas[col].round(1)
    out.insert(4, "covered_share", areas["covered_share"].round(4))
    out["share_inside"] = areas["share_inside"].round(4)
    out["where"] = areas["where"]
    return out.reset_index(drop=True).join(nearest)


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


def served_population(sol: Solution, cov: Coverage) -> float | None:
    """The model's served residents where they differ from its covered homes' (a capacity split), else ``None``."""
    whole = float(cov.population[np.asarray(sol.covered, bool)].sum())
    return sol.population_covered if abs(sol.population_covered - whole) > 1e-6 else None
