"""Stage 2a (gridded): population rasters as demand (WorldPop, GHS-POP, LandScan-style grids).

:func:`read_raster_demand` reads one band of a GeoTIFF (or VRT) of people per
cell, through a window around the study area only (a country-sized file is never
read whole), and turns each populated cell into homes:

``buildings`` (default)
    the cell's people go to the residential buildings whose point lies in the
    cell, in proportion to their floor area (the estimates of
    :func:`planner.load_demand`); a cell with no such building keeps one home at
    its centre;
``cells``
    one home at each cell's centre.

Every cell keeps its total exactly. Cells with nodata, NaN or a value <= 0 are
skipped. A density raster (people per km2; detected from its metadata, or
``units="density"``) is turned into people per cell by the cell's area on the
ellipsoid. A raster in another CRS is used as it is: each cell's centre is moved
to the network's CRS (never resampled, so no total changes). The study area is
the planning boundary when the network has one, else the bounding box of the
network's nodes; cells whose centre lies outside it are left out and their people
counted (``outside``).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from planner.errors import DataError, InputError
from planner.io.records import left_out_records

if TYPE_CHECKING:
    from affine import Affine
    from rasterio.crs import CRS
    from rasterio.io import DatasetReader
    from rasterio.windows import Window

__all__ = ["DENSITY_WORDS", "RASTER_SUFFIXES", "is_raster", "read_raster_demand"]

log = logging.getLogger(__name__)

#: suffixes read as rasters by :func:`planner.load_demand`
RASTER_SUFFIXES = (".tif", ".tiff", ".vrt")
#: words in a raster's metadata (tags, band description, units) that mark people per km2
DENSITY_WORDS = ("per km", "/km", "km2", "km^2", "km²", "density")


def is_raster(source: str | os.PathLike) -> bool:
    """Whether ``source`` names a raster file (by suffix).

    Parameters
    ----------
    source
        A file name or path.

    Returns
    -------
    raster
        True for the suffixes in :data:`RASTER_SUFFIXES` (any case).
    """
    return Path(str(source)).suffix.lower() in RASTER_SUFFIXES


def read_raster_demand(
    source: str | os.PathLike,
    network: nx.MultiDiGraph,
    *,
    mode: str = "buildings",
    units: str | None = None,
    band: int | None = None,
    buildings: gpd.GeoDataFrame | None = None,
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """
    Homes from a population raster, every cell's people kept.

    Parameters
    ----------
    source
        A single-band GeoTIFF / VRT of people per cell (or per km2).
    network
        The walking network: its CRS, and the study area (``network.graph["boundary"]``
        or the bounding box of its nodes).
    mode
        ``"buildings"`` or ``"cells"`` (see the module docstring).
    units
        ``"count"`` (people per cell) or ``"density"`` (people per km2); ``None``:
        from the metadata, else count.
    band
        The band to read (1-based); required when the file has several.
    buildings
        OSM homes with ``population`` (their floor-area estimates, the weights) in
        the network's CRS, for ``mode="buildings"``.

    Returns
    -------
    homes, info
        Points in the network's CRS with ``demand_id``, ``population``, ``method``
        (``"raster"``), ``kind`` (``building`` or ``cell``); ``info`` holds the
        raster's ``name``, ``resolution`` (in its CRS units), ``crs``, ``units``,
        ``placement``, ``cells`` (populated cells used), ``population`` (inside the
        study area) and ``population_outside`` (in the window read, outside it).

    Raises
    ------
    InputError
        Missing or corrupt file, several bands and no ``band``, no CRS, an unknown
        ``mode`` / ``units``, no overlap with the study area.
    """
    p = Path(str(source))
    _check_options(p, mode, units)
    read = _read_window(p, network, band, units)
    rows, cols, people, centres = _cell_people(read)
    inside = shapely.intersects(read.area, centres.values)
    if not inside.any():
        raise InputError(
            f"{p}: no populated cell of the raster lies in {read.area_label}; expected a raster over the planning area"
        )
    info = _raster_info(p.name, read, mode, people, inside)
    # the cells read outside the study area, named in plan.gpkg's left_out layer (not in summary.json)
    outside = gpd.GeoDataFrame(
        {"demand_id": _cell_ids(read.window, rows[~inside], cols[~inside]), "population": people[~inside]},
        geometry=centres.values[~inside],
        crs="EPSG:4326",
    )
    info["outside_records"] = left_out_records(outside, ("demand_id", "population"))
    rows, cols, people = rows[inside], cols[inside], people[inside]
    cells = _CellPeople(rows, cols, people, _cell_ids(read.window, rows, cols), centres[inside])
    homes = _place_homes(cells, read, mode, buildings, network.graph["crs"])
    info["homes_on_buildings"] = int((homes["kind"] == "building").sum())
    log.info(
        "raster %s: %d cells, %.0f people inside, %.0f outside",
        p.name,
        info["cells"],
        info["population"],
        info["population_outside"],
    )
    return homes[["demand_id", "population", "method", "kind", "geometry"]], info


@dataclass(frozen=True)
class _RasterWindow:
    """What is read of a raster: its cells over the study area and the metadata that turns them into people."""

    values: np.ma.MaskedArray  # the band over the window (float64, nodata masked)
    window: Window
    transform: Affine  # of the window
    crs: CRS
    units: str  # "count" or "density"
    resolution: tuple[float, float]  # cell size in the raster's CRS units
    total: float | None  # the whole band added up (see _raster_total)
    area: shapely.Geometry  # the study area (WGS-84)
    area_label: str


@dataclass(frozen=True)
class _CellPeople:
    """The populated cells inside the study area: row / column in the window, people, ids, centres (WGS-84)."""

    rows: np.ndarray
    cols: np.ndarray
    people: np.ndarray
    ids: np.ndarray
    centres: gpd.GeoSeries


def _read_window(p: Path, network: nx.MultiDiGraph, band: int | None, units: str | None) -> _RasterWindow:
    """Open the raster and read the chosen band over the study area of ``network`` (units from the metadata when None)."""
    import rasterio
    from rasterio.errors import RasterioIOError

    try:
        src = rasterio.open(p)
    except RasterioIOError as exc:
        raise InputError(f"{p}: not a readable raster ({str(exc).splitlines()[0][:120]}); expected a GeoTIFF") from None
    with src:
        band = _pick_band(src, p, band)
        area, area_label = _study_area(network)
        window = _window(src, p, area, area_label)
        values = src.read(band, window=window, masked=True).astype("float64")
        if units is None:
            units = "density" if _says_density(src, band) else "count"
        return _RasterWindow(
            values=values,
            window=window,
            transform=src.window_transform(window),
            crs=src.crs,
            units=units,
            resolution=(abs(src.transform.a), abs(src.transform.e)),
            total=_raster_total(src, band, units),
            area=area,
            area_label=area_label,
        )


def _cell_people(read: _RasterWindow) -> tuple[np.ndarray, np.ndarray, np.ndarray, gpd.GeoSeries]:
    """Row, column, people (per cell, density converted) and centre (WGS-84) of every populated cell read."""
    rows, cols, people = _populated_cells(read.values)
    xs, ys = _apply(read.transform, cols + 0.5, rows + 0.5)
    if read.units == "density":
        people = people * _cell_km2(read.transform, rows, read.crs)
    centres = gpd.GeoSeries(shapely.points(xs, ys), crs=read.crs).to_crs("EPSG:4326")
    return rows, cols, people, centres


def _cell_ids(window: Window, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``r<row>-<column>`` of each cell, counted in the whole raster (not the window)."""
    return np.array([f"r{r}-{c}" for r, c in zip(rows + int(window.row_off), cols + int(window.col_off))], dtype=object)


def _raster_info(name: str, read: _RasterWindow, mode: str, people: np.ndarray, inside: np.ndarray) -> dict[str, Any]:
    """The raster's account: what was read, where its people are (inside / outside the study area), its total."""
    return {
        "name": name,
        "resolution": [float(read.resolution[0]), float(read.resolution[1])],
        "crs": read.crs.to_string(),
        "units": read.units,
        "placement": mode,
        "cells": int(inside.sum()),
        "population": float(people[inside].sum()),
        "population_outside": float(people[~inside].sum()),
        # the window read (inside + outside the study area) and, when the band is small enough to add up
        # (at most RASTER_TOTAL_CELLS cells), the raster's own total: the account reconciles the three
        "cells_outside": int((~inside).sum()),
        "population_window": float(people.sum()),
        "population_raster": read.total,
    }


def _place_homes(
    cells: _CellPeople, read: _RasterWindow, mode: str, buildings: gpd.GeoDataFrame | None, net_crs: object
) -> gpd.GeoDataFrame:
    """Homes in ``net_crs``: each cell's people on its buildings (``mode="buildings"``), else at its centre."""
    parts = []
    on_buildings = np.zeros(len(cells.rows), bool)
    if mode == "buildings" and buildings is not None and len(buildings):
        in_buildings, on_buildings = _spread_over_buildings(
            buildings, cells.rows, cells.cols, cells.people, cells.ids, read.transform, read.crs, net_crs
        )
        if in_buildings is not None:
            parts.append(in_buildings)
    rest = ~on_buildings
    centre_pts = cells.centres.to_crs(net_crs).values
    parts.append(
        gpd.GeoDataFrame(
            {"demand_id": cells.ids[rest], "population": cells.people[rest], "kind": "cell"},
            geometry=centre_pts[rest],
            crs=net_crs,
        )
    )
    homes = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=net_crs)
    homes["method"] = "raster"
    return homes


#: the largest band (cells) whose total is added up for the plan's account; larger ones leave it unknown
RASTER_TOTAL_CELLS = 50_000_000


def _raster_total(src: DatasetReader, band: int, units: str) -> float | None:
    """Every populated cell of the band added up (people), block by block; ``None`` past :data:`RASTER_TOTAL_CELLS`."""
    if src.width * src.height > RASTER_TOTAL_CELLS:
        return None
    total = 0.0
    for _, window in src.block_windows(band):
        rows, _, people = _populated_cells(src.read(band, window=window, masked=True).astype("float64"))
        if units == "density":
            people = people * _cell_km2(src.window_transform(window), rows, src.crs)
        total += float(people.sum())
    return total


def _check_options(p: Path, mode: str, units: str | None) -> None:
    """Raise :class:`InputError` for an unknown ``mode`` / ``units`` or a missing file."""
    if mode not in ("buildings", "cells"):
        raise InputError(f"raster_mode={mode!r}: expected 'buildings' or 'cells'")
    if units not in (None, "count", "density"):
        raise InputError(f"raster_units={units!r}: expected 'count' or 'density'")
    if not p.exists():
        raise InputError(f"{p}: population raster not found; expected a GeoTIFF of people per cell")


def _pick_band(src: DatasetReader, p: Path, band: int | None) -> int:
    """The band to read (1-based): ``band``, or the only one; the raster must have a CRS."""
    if src.count > 1 and band is None:
        raise InputError(f"{p}: {src.count} bands; choose the one holding people with --raster-band (1 to {src.count})")
    band = 1 if band is None else int(band)
    if not 1 <= band <= src.count:
        raise InputError(f"raster_band={band}: {p} has bands 1 to {src.count}")
    if src.crs is None:
        raise InputError(
            f"{p}: the raster has no CRS; expected a georeferenced GeoTIFF (WorldPop and GHS-POP have one)"
        )
    return band


def _window(src: DatasetReader, p: Path, area: shapely.Geometry, area_label: str) -> Window:
    """The whole cells of the raster over the bounding box of ``area`` (WGS-84), clipped to the raster."""
    from rasterio.warp import transform_bounds
    from rasterio.windows import Window, from_bounds

    left, bottom, right, top = transform_bounds("EPSG:4326", src.crs, *area.bounds, densify_pts=21)
    window = from_bounds(left, bottom, right, top, transform=src.transform)
    col0, row0 = int(np.floor(window.col_off)), int(np.floor(window.row_off))
    col1 = int(np.ceil(window.col_off + window.width))
    row1 = int(np.ceil(window.row_off + window.height))
    window = Window(col0, row0, col1 - col0, row1 - row0)
    full = Window(0, 0, src.width, src.height)
    try:
        clipped = window.intersection(full)
    except Exception:
        clipped = None
    if clipped is None or clipped.width <= 0 or clipped.height <= 0:
        raise InputError(f"{p}: the raster does not cover {area_label}; expected a raster over the planning area")
    return clipped


def _populated_cells(values: np.ma.MaskedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, column and value of the cells holding people (not nodata, finite, above zero)."""
    nodata = np.ma.getmaskarray(values)
    data = np.ma.getdata(values)
    valid = ~nodata & np.isfinite(data) & (data > 0)
    rows, cols = np.nonzero(valid)
    return rows, cols, data[rows, cols]


def _spread_over_buildings(
    buildings: gpd.GeoDataFrame,
    rows: np.ndarray,
    cols: np.ndarray,
    people: np.ndarray,
    cell_ids: np.ndarray,
    transform: Affine,
    crs: CRS,
    net_crs: object,
) -> tuple[gpd.GeoDataFrame | None, np.ndarray]:
    """Homes in the ``buildings`` that lie in the cells (``rows``, ``cols``), sharing each cell's ``people``.

    A cell's people go to its buildings in proportion to their ``population``
    (the floor-area estimates). Returns those homes (in ``net_crs``; ``None``
    when no building lies in a cell) and, per cell, whether its people went to
    buildings.
    """
    on_buildings = np.zeros(len(rows), bool)
    b_xy = shapely.get_coordinates(buildings.to_crs(crs).geometry.values)
    bc, br = _apply(~transform, b_xy[:, 0], b_xy[:, 1])
    b_row, b_col = np.floor(br).astype(np.int64), np.floor(bc).astype(np.int64)
    cell_key = pd.Index(rows * (10**9) + cols)
    where = cell_key.get_indexer(b_row * (10**9) + b_col)
    hit = where >= 0
    if not hit.any():
        return None, on_buildings
    weight = buildings["population"].to_numpy(float)[hit]
    cell_of = where[hit]
    total = np.bincount(cell_of, weights=weight, minlength=len(rows))
    share = np.divide(weight, total[cell_of], out=np.zeros_like(weight), where=total[cell_of] > 0)
    placed = total[cell_of] > 0
    on_buildings[np.unique(cell_of[placed])] = True
    building_ids = buildings["demand_id"].to_numpy()[hit][placed]
    homes = gpd.GeoDataFrame(
        {
            "demand_id": [f"{cell_ids[k]}-{b}" for k, b in zip(cell_of[placed], building_ids)],
            "population": people[cell_of[placed]] * share[placed],
            "kind": "building",
        },
        geometry=buildings.geometry.values[hit][placed],
        crs=net_crs,
    )
    return homes, on_buildings


def _study_area(network: nx.MultiDiGraph) -> tuple[shapely.Geometry, str]:
    """The planning boundary (WGS-84), else the box of the network's nodes."""
    area = network.graph.get("boundary")
    if area is not None:
        return area.polygon, area.label
    xy = np.array([(d["x"], d["y"]) for _, d in network.nodes(data=True)])
    if not len(xy):
        raise DataError("the network has no nodes; expected a walking network")
    box = gpd.GeoSeries([shapely.box(*xy.min(axis=0), *xy.max(axis=0))], crs=network.graph["crs"]).to_crs("EPSG:4326")
    return box.iloc[0], "the network's area"


def _says_density(src: DatasetReader, band: int) -> bool:
    """Whether the raster's metadata says people per km2."""
    texts = [str(v) for v in src.tags().values()] + [str(v) for v in src.tags(band).values()]
    texts += [str(src.descriptions[band - 1] or ""), str(src.units[band - 1] or "")]
    text = " ".join(texts).lower()
    return any(word in text for word in DENSITY_WORDS)


def _cell_km2(transform: Affine, rows: np.ndarray, crs: CRS) -> np.ndarray:
    """Area of each cell in km2: on the ellipsoid for geographic rasters, in CRS units (metres) otherwise."""
    if not crs.is_geographic:
        return np.full(len(rows), abs(transform.a * transform.e) / 1e6)
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    out = np.empty(len(rows))
    for r in np.unique(rows):  # cells of one row have one area
        (x0, x1), (y0, y1) = _apply(transform, np.array([0.0, 1.0]), np.array([r, r + 1.0]))
        area, _ = geod.polygon_area_perimeter([x0, x1, x1, x0], [y0, y0, y1, y1])
        out[rows == r] = abs(area) / 1e6
    return out


def _apply(t: Affine, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An affine transform applied to arrays of (column, row) or (x, y)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    return t.a * x + t.b * y + t.c, t.d * x + t.e * y + t.f
