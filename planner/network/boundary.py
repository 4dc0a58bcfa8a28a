"""The planning boundary (规划范围): which part of a source to plan for.

:func:`resolve_boundary` turns what a planner gives into one WGS-84 polygon: a
polygon file (GeoJSON / GPKG / shapefile, any CRS; ``name=`` picks one feature of
several), a bbox ``"minlon,minlat,maxlon,maxlat"``, or the name of an
administrative boundary mapped in the OSM source itself (``name``, ``name:zh``,
``name:en``). :func:`with_margin` widens it by one walk, so that the network read
holds every street a walk from inside can use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely

from planner.errors import InputError
from planner.io.records import left_out_records

if TYPE_CHECKING:
    import networkx as nx

    from planner.network.osm import OSMSource

__all__ = [
    "BOUNDARY_FILES",
    "NAME_KEYS",
    "Boundary",
    "admin_boundaries_pbf",
    "inside",
    "planning_area",
    "resolve_boundary",
    "split_by_boundary",
    "with_margin",
]

#: file suffixes read as polygon files
BOUNDARY_FILES = (".geojson", ".json", ".gpkg", ".shp")
#: the columns an administrative boundary's name is matched on, in order
NAME_KEYS = ("name", "name:zh", "name:en", "名称", "NAME")


@dataclass(frozen=True)
class Boundary:
    """A planning boundary.

    Attributes
    ----------
    polygon
        The area, WGS-84 (Polygon or MultiPolygon, valid).
    label
        Where it came from, for messages, the summary and the report: a file by its
        name only, without its folder (like the other input files: the summary is
        handed on), a bbox, or an OSM boundary's name and id.
    """

    polygon: shapely.Geometry
    label: str


def resolve_boundary(
    boundary: Boundary | shapely.Geometry | str | os.PathLike,
    *,
    name: str | None = None,
    source: OSMSource | None = None,
) -> Boundary:
    """
    The planning boundary as one WGS-84 polygon.

    Parameters
    ----------
    boundary
        A shapely polygon (WGS-84), a :class:`Boundary`, a bbox string
        ``"minlon,minlat,maxlon,maxlat"``, a polygon file, or the name of an
        administrative boundary of ``source``.
    name
        For a file of several features: the one whose name column (``name``,
        ``名称``, ``NAME``...) equals this.
    source
        The OSM source (:class:`planner.network.osm.OSMSource`) to look a name up in.

    Returns
    -------
    Boundary

    Raises
    ------
    InputError
        A file that cannot be read, holds no polygon, several without ``name``,
        or an unknown or ambiguous name (the candidates listed), a bad bbox.
    """
    if isinstance(boundary, Boundary):
        return boundary
    if isinstance(boundary, shapely.Geometry):
        return Boundary(_check_polygon(boundary, "boundary"), "boundary")
    text = str(boundary).strip()
    if not text:
        raise InputError(
            "boundary='': expected a polygon file, a bbox 'minlon,minlat,maxlon,maxlat' or a boundary name"
        )
    parts = text.split(",")
    if len(parts) == 4 and all(_is_number(p) for p in parts):
        return Boundary(_bbox(text, [float(p) for p in parts]), f"bbox {text}")
    path = Path(text)
    if path.suffix.lower() in BOUNDARY_FILES or path.exists():
        return _from_file(path, name)
    if source is None:
        raise InputError(f"boundary={text!r}: no such file, and no OSM source to look the name up in")
    return _from_osm_name(text, source)


def planning_area(network: nx.MultiDiGraph) -> shapely.Geometry | None:
    """The network's planning boundary (WGS-84 polygon), or ``None`` when it was read without one."""
    area = network.graph.get("boundary")
    return None if area is None else area.polygon


def with_margin(boundary: Boundary, metres: float) -> shapely.Geometry:
    """The boundary widened by ``metres`` (measured in its local UTM zone), WGS-84."""
    series = gpd.GeoSeries([boundary.polygon], crs="EPSG:4326")
    utm = series.estimate_utm_crs()
    return series.to_crs(utm).buffer(float(metres)).to_crs("EPSG:4326").iloc[0]


def inside(boundary: Boundary, frame: gpd.GeoDataFrame) -> np.ndarray:
    """Per row of ``frame`` (any CRS), whether its geometry lies in the boundary (its edge included)."""
    geoms = frame.to_crs("EPSG:4326").geometry.values
    return shapely.intersects(boundary.polygon, geoms)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _bbox(text: str, values: list[float]) -> shapely.Geometry:
    minx, miny, maxx, maxy = values
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise InputError(
            f"boundary={text!r}: expected minlon,minlat,maxlon,maxlat with min < max, lon in "
            "[-180, 180] and lat in [-90, 90] (lon and lat swapped?)"
        )
    return shapely.box(minx, miny, maxx, maxy)


def _check_polygon(geom: shapely.Geometry | None, label: str) -> shapely.Geometry:
    if geom is None or shapely.is_empty(geom):
        raise InputError(f"{label}: the boundary is empty; expected a polygon")
    geom = shapely.make_valid(geom)
    if shapely.get_type_id(geom) == 7:  # a collection: its polygons
        geom = shapely.union_all([g for g in geom.geoms if shapely.get_type_id(g) in (3, 6)])
    if shapely.get_type_id(geom) not in (3, 6) or shapely.area(geom) == 0:
        raise InputError(f"{label}: the boundary is a {geom.geom_type}, not an area; expected a polygon")
    return geom


def _from_file(path: Path, name: str | None) -> Boundary:
    if not path.exists():
        raise InputError(f"{path}: boundary file not found; expected a GeoJSON, GPKG or shapefile polygon")
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:
        raise InputError(
            f"{path}: not a readable boundary file ({type(exc).__name__}); expected a polygon layer"
        ) from None
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if not len(gdf):
        raise InputError(f"{path}: the boundary file holds no geometry; expected a polygon")
    if gdf.crs is None:
        x0, y0, x1, y1 = gdf.total_bounds
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            raise InputError(
                f"{path}: the boundary has no CRS and its coordinates are not lon/lat; save it with its CRS (.prj)"
            )
        gdf = gdf.set_crs("EPSG:4326")
    gdf = gdf.to_crs("EPSG:4326")
    label = path.name
    if len(gdf) > 1:
        columns = [c for c in NAME_KEYS if c in gdf.columns]
        names = gdf[columns[0]].astype(str).tolist() if columns else []
        if name is None:
            listed = ", ".join(repr(n) for n in names[:10]) if names else "(no name column)"
            raise InputError(f"{path}: {len(gdf)} features; choose one with --boundary-name (found: {listed})")
        hits = [i for i, n in enumerate(names) if n == name]
        if len(hits) != 1:
            listed = ", ".join(repr(n) for n in names[:10])
            how = "no feature" if not hits else f"{len(hits)} features"
            raise InputError(f"{path}: {how} named {name!r}; expected one of: {listed}")
        gdf = gdf.iloc[hits]
        label = f"{path.name} ({name})"
    return Boundary(_check_polygon(shapely.union_all(gdf.geometry.values), str(path)), label)


def admin_boundaries_pbf(path: str) -> gpd.GeoDataFrame:
    """
    Administrative boundaries of an ``.osm.pbf`` (GDAL's OSM driver: compiled, bounded memory).

    Parameters
    ----------
    path
        The ``.osm.pbf`` file.

    Returns
    -------
    boundaries
        Polygons (EPSG:4326) with ``osm_type`` (``relation`` or ``way``), ``osm_id``,
        ``name``, ``name:zh``, ``name:en`` and ``admin_level``.

    Raises
    ------
    InputError
        The file's boundaries could not be read.
    """
    import re

    import pyogrio

    try:
        frame = pyogrio.read_dataframe(
            path,
            layer="multipolygons",
            where="boundary = 'administrative'",
            columns=["osm_id", "osm_way_id", "name", "admin_level", "other_tags"],
        )
    except Exception as exc:
        raise InputError(f"{path}: administrative boundaries could not be read ({type(exc).__name__})") from None
    tags = frame["other_tags"].fillna("").astype(str)
    for key in ("name:zh", "name:en"):
        pattern = re.compile('"' + re.escape(key) + r'"=>"((?:[^"\\]|\\.)*)"')
        frame[key] = [m.group(1) if (m := pattern.search(t)) else None for t in tags]
    relation = frame["osm_id"].notna()
    frame["osm_type"] = np.where(relation, "relation", "way")
    frame["osm_id"] = np.where(relation, frame["osm_id"], frame["osm_way_id"])
    return frame.drop(columns=["osm_way_id", "other_tags"])


def _from_osm_name(text: str, source: OSMSource) -> Boundary:
    from planner.network.osm import read_features

    if source.kind == "pbf":
        feats = admin_boundaries_pbf(source.location)
    else:
        feats = read_features(source, {"boundary": ["administrative"]})
    if len(feats):
        feats = feats[feats.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()]
    keys = [k for k in NAME_KEYS if k in feats.columns]
    hit = np.zeros(len(feats), bool)
    for key in keys:
        hit |= (feats[key].astype(str) == text).to_numpy()
    found = sorted({str(v) for k in keys[:1] for v in feats[k].dropna()}) if keys else []
    if not hit.any():
        listed = ", ".join(repr(v) for v in found[:15]) or "none"
        raise InputError(
            f"boundary={text!r}: no such file, and no administrative boundary of that name in "
            f"{source.label} (found: {listed})"
        )
    if hit.sum() > 1:
        levels = feats.loc[hit, "admin_level"].astype(str).tolist() if "admin_level" in feats else []
        raise InputError(
            f"boundary={text!r}: {int(hit.sum())} administrative boundaries of that name in {source.label}"
            f"{' (admin_level ' + ', '.join(levels) + ')' if levels else ''}; pass the polygon as a file"
        )
    row = feats[hit].iloc[0]
    return Boundary(
        _check_polygon(row.geometry, f"boundary={text!r}"), f"{text} (OSM {row['osm_type']} {row['osm_id']})"
    )


def split_by_boundary(network: nx.MultiDiGraph, frame: gpd.GeoDataFrame, what: str) -> tuple[gpd.GeoDataFrame, dict]:
    """
    Leave out the homes or candidate sites outside the network's planning boundary.

    Existing stations (``existing`` True) are kept wherever they are: one just
    outside still serves the homes inside within its walk.

    Parameters
    ----------
    network
        The walking network (``network.graph["boundary"]``, if any).
    frame
        Homes or sites.
    what
        ``"homes"`` or ``"candidate sites"``, for the message.

    Returns
    -------
    inside, outside
        The rows in the boundary (its edge included), and ``{"n": rows left out,
        "population": their residents, "records": each one's id, name, population, area (homes spread
        from an area) and lon / lat}`` (the records name them in the outputs); everything is inside without
        a boundary.

    Raises
    ------
    DataError
        When no row is inside.
    """
    from planner.errors import DataError

    area = network.graph.get("boundary")
    if area is None or not len(frame):
        return frame, {"n": 0, "population": 0.0}
    keep = inside(area, frame)
    if "existing" in frame:
        keep |= frame["existing"].to_numpy(bool)
    if not keep.any():
        raise DataError(
            f"{area.label}: none of the {len(frame):,} {what} lies inside the boundary; "
            "expected a boundary around the planning area"
        )
    out = frame[~keep]
    population = float(out["population"].sum()) if "population" in out else 0.0
    records = left_out_records(out, ("demand_id", "site_id", "name", "population", "area"))
    return frame[keep], {"n": len(out), "population": population, "records": records}
