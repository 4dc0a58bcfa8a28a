"""Overlays for Chinese basemaps: layers moved to EPSG:4326 and, over GCJ-02 tiles (Gaode), shifted to GCJ-02."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from planner.io.datums import wgs84_to_gcj02

# names with a leading underscore are for the other modules of planner.outputs.maps
__all__ = ["_shift_xy", "to_map_datum"]


def _shift_xy(xy: np.ndarray) -> np.ndarray:
    """WGS-84 ``(lon, lat)`` rows shifted to GCJ-02 (a :func:`shapely.transform` function)."""
    lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def to_map_datum(gdf: gpd.GeoDataFrame, gcj02: bool) -> gpd.GeoDataFrame:
    """``gdf`` in EPSG:4326, shifted to GCJ-02 when asked."""
    out = gdf.to_crs("EPSG:4326") if gdf.crs is not None else gdf.set_crs("EPSG:4326")
    if gcj02 and len(out):
        out = out.copy()
        out["geometry"] = shapely.transform(out.geometry.values, _shift_xy)
        out = out.set_geometry("geometry", crs="EPSG:4326")
    return out
