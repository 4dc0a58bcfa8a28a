"""A plan's results as tables: its stations, its areas, and ``summary.json`` (figures computed from its typed fields)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from planner.demand.areas import OUTSIDE
from planner.io.datums import in_china, wgs84_to_gcj02
from planner.ledger import UNCOVERABLE, Ledger
from planner.optimize import Solution
from planner.outputs.files import json_safe
from planner.reach.matrix import Coverage
from planner.reach.unreachable import DIAGNOSIS_MINUTES
from planner.sites import site_costs

if TYPE_CHECKING:
    from planner.result import Plan

Progress = Callable[[str, float], None]

__all__ = ["area_results", "plan_summary", "station_sheet", "station_table"]


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
    sol, homes, sites = p.solution, p.demand, p.sites
    ledger = p.ledger
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
        # every figure below is the account's (planner.ledger): the plan's homes, by class
        "population_total": round(ledger.population_plan, 1),
        "population_coverable": round(ledger.population_plan - ledger.people(*UNCOVERABLE), 1),
        "population_covered": round(ledger.served, 1),
        "covered_share": round(ledger.served / ledger.population_plan, 6) if ledger.population_plan > 0 else 0.0,
        # beyond every usable site, or off the streets: no plan can cover them
        "n_uncoverable": sum(ledger.n(c) for c in UNCOVERABLE),
        "population_uncoverable": round(ledger.people(*UNCOVERABLE), 1),
        # homes farther than the snapping distance from every street: in every
        # total, never covered (also among the uncoverable)
        "n_off_network": ledger.n("off_network"),
        "population_off_network": round(ledger.people("off_network"), 1),
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
    if ledger.centres is not None:  # the account's class (the model's figure also counts the homes off the streets)
        summary["n_beyond_centre"] = ledger.n_centre("no_possible_centre")
        summary["population_beyond_centre"] = round(ledger.people_centre("no_possible_centre"), 4)
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
    summary.update(_boundary_figures(p, ledger))
    summary.update(_area_figures(p))
    summary["ledger"] = ledger.as_dict()
    return summary


def _boundary_figures(p: Plan, ledger: Ledger) -> dict[str, Any]:
    if "boundary" not in p.network.graph:
        return {}
    return {
        "boundary": p.network.graph["boundary"].label,
        # a raster's populated cells (and their people) read outside the boundary are among them
        "n_demand_outside_boundary": ledger.n("outside_boundary"),
        "population_outside_boundary": round(ledger.people("outside_boundary"), 1),
        "n_sites_outside_boundary": ledger.n_sites("outside_boundary"),
    }


def _area_figures(p: Plan) -> dict[str, Any]:
    if p.areas is None or p.area_table is None:
        return {}
    table = p.area_table
    out: dict[str, Any] = {"n_areas": len(p.areas)}
    inside = table[(table["area"] != OUTSIDE) & (table["population"] > 0)]
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


#: ``stations.xlsx`` under ``--lang zh``: the headers a committee reads (stations.csv keeps the English names)
SHEET_HEADERS_ZH = {
    "site_id": "站点编号",
    "name": "名称",
    "tier": "层级",
    "kind": "类型",
    "status": "状态",
    "existing": "现有站点",
    "lon": "经度（WGS-84）",
    "lat": "纬度（WGS-84）",
    "gcj02_lon": "经度（GCJ-02，高德）",
    "gcj02_lat": "纬度（GCJ-02，高德）",
    "population_within": "步行范围内居民",
    "population_assigned": "分配居民数（每户只计一次）",
    "farthest_assigned_minutes": "最远分配步行（分钟）",
    "cost": "费用",
}
#: and its values
SHEET_VALUES_ZH = {
    "tier": {"centre": "社区党群服务中心", "grid": "网格站"},
    "status": {"new": "新建", "existing": "现有"},
    "kind": {
        "community_centre": "社区中心",
        "social_centre": "社会活动中心",
        "social_facility": "社会服务设施",
        "townhall": "政府办公楼",
        "library": "图书馆",
        "public_building": "公共建筑",
        "post_office": "邮局",
        "property_management": "物业用房",
        "government": "政府机关",
        "association": "社会团体",
        "park": "公园",
        "playground": "游乐场",
        "fitness_station": "健身点",
        "common": "公共绿地",
        "square": "广场",
        "file": "规划提供",
    },
}


def station_sheet(stations: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """
    The station table as ``stations.xlsx`` writes it: as :func:`station_table`, in Chinese under ``lang="zh"``.

    Parameters
    ----------
    stations
        :func:`station_table`'s rows (the geometry dropped or not).
    lang
        ``"en"`` (the table as is) or ``"zh"``: headers, tiers, statuses, OSM kinds and yes / no in Chinese.

    Returns
    -------
    pandas.DataFrame
    """
    table = pd.DataFrame(stations.drop(columns="geometry", errors="ignore"))
    if lang != "zh":
        return table
    table = table.copy()
    for col, words in SHEET_VALUES_ZH.items():
        if col in table:
            table[col] = [words.get(str(v), v) for v in table[col]]
    if "existing" in table:
        table["existing"] = np.where(table["existing"].to_numpy(bool), "是", "否")
    return table.rename(columns=SHEET_HEADERS_ZH)


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
    from planner.demand.areas import nearest_by_area, nearest_station

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
