"""A plan as GIS layers (stations, walking areas, homes, areas, unreachable homes, sites, left out) and their files.

``plan.gpkg`` holds every layer; ``--format shp`` adds one shapefile per layer in
``shp/``; ``--dxf`` adds ``plan.dxf``. Their CRS: ``--output-crs`` when given, else
EPSG:4326 for the GeoPackage and shapefiles (the GeoJSON's and the CSVs' lon/lat, which
every GIS reprojects on the fly) and the plan's own projected CRS (its UTM zone) for
the DXF, since CAD measures in metres; a DXF in a lon/lat CRS is refused. The GeoJSON
files stay EPSG:4326 (RFC 7946) whatever the output CRS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from planner.errors import InputError
from planner.outputs.cad import crs_label, dxf_bytes
from planner.outputs.files import lonlat_rounded
from planner.outputs.gis import check_output_crs, gpkg_bytes, shapefile_files, warn_outside_area
from planner.reach.matrix import nearest_among

if TYPE_CHECKING:
    from planner.result import Plan

__all__ = ["UNREACHABLE_COLUMNS", "gis_files", "home_layer", "left_out_layer", "plan_layers", "site_layer"]

#: the columns of :func:`planner.reach.unreachable.diagnose_unreachable`'s table, for an empty ``unreachable`` layer
UNREACHABLE_COLUMNS = (
    "demand_id",
    "population",
    "lon",
    "lat",
    "reason",
    "street_m",
    "nearest_site_id",
    "nearest_site_name",
    "nearest_minutes",
)


def home_layer(p: Plan) -> gpd.GeoDataFrame:
    """
    Every home of a plan: whether it is covered, by which station, and why not.

    Parameters
    ----------
    p
        The plan.

    Returns
    -------
    homes
        Points (EPSG:4326) in the plan's demand order with ``demand_id``, ``name``
        (when the demand file names its homes), ``population``, ``covered`` (:attr:`planner.Solution.covered`: reached by a
        chosen station, fully served under a capacity), ``station_id`` /
        ``station_name`` / ``minutes`` (the nearest chosen station within the walk and
        the walk to it; null where none), ``area`` (with areas) and ``reason`` (null
        where covered): the diagnosis of :attr:`Plan.unreachable` (no street within
        the snapping distance, no candidate within the walk), ``no chosen station
        within N min`` (a plan of fewer stations than would cover it), or ``the
        stations within N min are full (capacity)``; ``class``, the home's coverage class in the plan's account
        (:data:`planner.ledger.PLAN_HOME_CLASSES`) and, for a tiered plan, ``centre_class``.
    """
    sites, minutes = p.sites, p.minutes
    column, walk = nearest_among(p.coverage.minutes, np.asarray(p.solution.selected, np.int64))
    near = (column >= 0) & (walk <= minutes + 1e-9)
    pick = np.maximum(column, 0)
    ledger = p.ledger
    covered = ledger.home_class == "covered"
    reason = np.where(
        near, f"the stations within {minutes:g} min are full (capacity)", f"no chosen station within {minutes:g} min"
    ).astype(object)
    if p.unreachable is not None and len(p.unreachable):
        diagnosed = dict(zip(p.unreachable["demand_id"].astype(str), p.unreachable["reason"]))
        ids = p.demand["demand_id"].astype(str).to_numpy()
        reason = np.array([diagnosed.get(i, r) for i, r in zip(ids, reason)], dtype=object)
    reason[covered] = None
    columns: dict[str, object] = {
        "demand_id": p.demand["demand_id"].to_numpy(),
        **({"name": p.demand["name"].to_numpy(object)} if "name" in p.demand else {}),
        "population": p.demand["population"].to_numpy(float),
        "covered": covered,
        "station_id": np.where(near, sites["site_id"].to_numpy(object)[pick], None),
        "station_name": np.where(near, sites["name"].to_numpy(object)[pick], None),
        "minutes": np.where(near, np.round(walk, 2), np.nan),
    }
    if p.areas is not None and "area" in p.demand:
        columns["area"] = p.demand["area"].to_numpy(object)
    columns["reason"] = reason
    columns["class"] = ledger.home_class  # the plan's account (planner.ledger)
    if ledger.centre_class is not None:
        columns["centre_class"] = ledger.centre_class
    return gpd.GeoDataFrame(columns, geometry=p.demand.to_crs("EPSG:4326").geometry.values, crs="EPSG:4326")


def _unreachable_layer(p: Plan) -> gpd.GeoDataFrame:
    """:attr:`Plan.unreachable` as points at the homes (none: an empty layer of the same columns)."""
    table = p.unreachable
    if table is None or not len(table):
        return gpd.GeoDataFrame(
            {name: pd.Series([], dtype=float if name in ("population", "lon", "lat") else object)
             for name in UNREACHABLE_COLUMNS},
            geometry=gpd.GeoSeries([], crs="EPSG:4326"),
        )  # fmt: skip
    at = p.demand.to_crs("EPSG:4326").set_index(p.demand["demand_id"].astype(str).to_numpy()).geometry
    geometry = at.loc[table["demand_id"].astype(str).to_numpy()].to_numpy()
    return gpd.GeoDataFrame(table.reset_index(drop=True), geometry=geometry, crs="EPSG:4326")


def site_layer(p: Plan) -> gpd.GeoDataFrame:
    """Every site the plan weighed (EPSG:4326), with the account's ``class`` (new, existing, not_chosen, unusable).

    Columns ``site_id``, ``name``, ``kind``, ``existing``, ``tier``, ``chosen``, ``class``.
    """
    chosen = np.zeros(len(p.sites), bool)
    chosen[np.asarray(p.solution.selected, np.int64)] = True
    cols = [c for c in ("site_id", "name", "kind", "existing", "tier") if c in p.sites]
    frame = pd.DataFrame(p.sites[cols]).reset_index(drop=True).assign(chosen=chosen, **{"class": p.ledger.site_class})
    return gpd.GeoDataFrame(frame, geometry=p.sites.to_crs("EPSG:4326").geometry.values, crs="EPSG:4326")


def left_out_layer(p: Plan) -> gpd.GeoDataFrame:
    """
    The input rows a plan left out, each with its reason (EPSG:4326; empty when none).

    Columns ``what`` (``home``: a raster's cell too; or ``site``), ``id``, ``name``, ``population`` (homes), ``class`` (the account's:
    ``outside_boundary``, ``off_network``, ``duplicate``) and ``reason``: homes and candidate sites outside the
    planning boundary, sites farther than the snapping distance from every street (homes that far are kept, as not
    covered: see ``homes``), candidate rows repeating a site id.
    """
    rows = []
    for what, frame in (("home", p.demand), ("site", p.sites)):
        outside = frame.attrs.get("outside_boundary", {}).get("records", [])
        rows += [
            {**r, "what": what, "class": "outside_boundary", "reason": "outside the planning boundary"} for r in outside
        ]
    where = "planning boundary" if "boundary" in p.network.graph else "study area"
    rows += [
        {**r, "what": "home", "class": "outside_boundary", "reason": f"raster cell outside the {where}"}
        for r in p.demand.attrs.get("raster_outside", [])
    ]
    rows += [{**r, "what": "site", "class": "off_network"} for r in p.sites.attrs.get("off_network", [])]
    rows += [{**r, "what": "site", "class": "duplicate"} for r in p.sites.attrs.get("duplicates", [])]
    table = pd.DataFrame(
        rows, columns=["what", "demand_id", "site_id", "name", "population", "class", "reason", "lon", "lat"]
    )
    home = table["demand_id"].notna().to_numpy()
    table.insert(1, "id", np.where(home, table["demand_id"].astype(object), table["site_id"].astype(object)))
    table = table.drop(columns=["demand_id", "site_id"])
    geometry = gpd.points_from_xy(table.pop("lon").astype(float), table.pop("lat").astype(float))
    return gpd.GeoDataFrame(table.astype({"population": float}), geometry=geometry, crs="EPSG:4326")


def plan_layers(p: Plan) -> dict[str, gpd.GeoDataFrame]:
    """
    The layers of ``plan.gpkg`` and ``shp/``, in EPSG:4326.

    Parameters
    ----------
    p
        The plan.

    Returns
    -------
    layers
        The coordinates of the GeoJSON files (:func:`planner.outputs.files.lonlat_rounded`):
        ``stations`` (:attr:`Plan.stations`), ``isochrones``, ``homes``
        (:func:`home_layer`), ``areas`` (with areas: their polygons and figures) and
        ``unreachable`` (:attr:`Plan.unreachable` at the homes; empty when every home
        is reachable), ``sites`` (every candidate and existing station the plan weighed,
        ``chosen`` or not) and ``left_out`` (the homes and sites of the input files the
        plan left out, with the reason: outside the planning boundary, no street within
        the snapping distance), so that every input row is somewhere.
    """
    layers = {"stations": p.stations, "isochrones": p.isochrones, "homes": home_layer(p)}
    if p.areas is not None:
        layers["areas"] = p.areas
    layers["unreachable"] = _unreachable_layer(p)
    layers["sites"] = site_layer(p)
    layers["left_out"] = left_out_layer(p)
    return {name: lonlat_rounded(layer) for name, layer in layers.items()}


def gis_files(p: Plan, *, shapefile: bool = False, dxf: bool = False, output_crs: object = None) -> dict[str, bytes]:
    """
    ``plan.gpkg``, and with ``shapefile`` the ``shp/`` files, with ``dxf`` ``plan.dxf``.

    Parameters
    ----------
    p
        The plan.
    shapefile, dxf
        Whether to add the shapefiles (see :func:`planner.outputs.gis.shapefile_files`) and
        the DXF drawing (see :func:`planner.outputs.cad.dxf_bytes`).
    output_crs
        The CRS of all three (see :func:`planner.outputs.gis.check_output_crs`); ``None``:
        EPSG:4326 for the GeoPackage and shapefiles, the plan's projected CRS for the DXF.

    Returns
    -------
    files
        File name -> bytes, for :func:`planner.outputs.files.write_outputs`.

    Raises
    ------
    InputError
        A bad ``output_crs``, or one the plan cannot be converted to.
    """
    crs = check_output_crs(output_crs, dxf=dxf)
    layers = plan_layers(p)
    if crs is not None:
        points = np.concatenate([layers["stations"].geometry.values, layers["homes"].geometry.values])
        _check_reaches(crs, shapely.get_coordinates(points))
    gis_crs = crs if crs is not None else pyproj.CRS("EPSG:4326")
    files = {"plan.gpkg": gpkg_bytes(layers, gis_crs)}
    if shapefile:
        files.update(shapefile_files(layers, gis_crs))
    if dxf:
        drawing = crs if crs is not None else pyproj.CRS(p.network.graph["crs"])
        files["plan.dxf"] = dxf_bytes(layers["stations"], layers["isochrones"], drawing, areas=layers.get("areas"))
    return files


def _check_reaches(crs: pyproj.CRS, lonlat: np.ndarray) -> None:
    """Warn when the plan is outside the area of ``crs``; refuse a CRS it cannot be converted to."""
    if not len(lonlat):
        return
    warn_outside_area(crs, lonlat[:, 0], lonlat[:, 1])
    x, y = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lonlat[:, 0], lonlat[:, 1])
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise InputError(
            f"output_crs={crs_label(crs)} (--output-crs): the plan cannot be converted to {crs.name}; "
            "expected a CRS whose area holds it"
        )
