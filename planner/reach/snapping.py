"""Snapping points to the street network.

Homes and sites are attached to their nearest street (:func:`snap`), found
exactly through the short street pieces of :attr:`NetworkArrays.pieces`; points
too far from every street are set aside (:func:`drop_far_points`), and points
that look read in the wrong Chinese datum are flagged (:func:`check_datum`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import pandas as pd
import shapely

from planner.io.records import left_out_records
from planner.reach.arrays import NetworkArrays, network_arrays

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["Snapped", "check_datum", "drop_far_points", "snap"]

#: candidate pieces examined per point before falling back to the STRtree
_SNAP_CANDIDATES = 12


@dataclass(frozen=True)
class Snapped:
    """Points attached to their nearest undirected edge.

    ``offset_u`` / ``offset_v`` are the walking minutes along the edge from the
    attachment point to its two end nodes, ``access`` the minutes of the straight
    walk from the point to the edge, ``along`` the metres from ``edge_u``.
    """

    edge: np.ndarray
    node_u: np.ndarray
    node_v: np.ndarray
    offset_u: np.ndarray
    offset_v: np.ndarray
    access: np.ndarray
    along: np.ndarray
    distance_m: np.ndarray


def snap(arrays: NetworkArrays, points: np.ndarray) -> Snapped:
    """Attach shapely ``points`` (network CRS) to their nearest street.

    The nearest street is found exactly: a k-d tree over short pieces of every
    segment proposes candidates, whose exact point-to-segment distances decide;
    a point whose candidates cannot be proven to hold the nearest piece falls back
    to shapely's STRtree. Ties between equally near streets go to the lowest
    edge index (deterministic).

    Parameters
    ----------
    arrays
        The network (:func:`network_arrays`).
    points
        Shapely points in the network's CRS.

    Returns
    -------
    snapped
        One row per point.
    """
    points = np.asarray(points, dtype=object)
    n = len(points)
    if n == 0:
        empty_i = np.zeros(0, np.int64)
        empty_f = np.zeros(0, np.float64)
        return Snapped(empty_i, empty_i, empty_i, empty_f, empty_f, empty_f, empty_f, empty_f)
    xy = shapely.get_coordinates(points)
    pieces = arrays.pieces
    k = min(_SNAP_CANDIDATES, len(pieces.start))
    near_d, cand = pieces.tree.query(xy, k=k)
    if k == 1:
        near_d, cand = near_d[:, None], cand[:, None]
    a = pieces.start[cand]
    b = pieces.end[cand]
    ab = b - a
    ab2 = np.einsum("ijk,ijk->ij", ab, ab)
    ap = xy[:, None, :] - a
    t = np.clip(np.divide(np.einsum("ijk,ijk->ij", ap, ab), ab2, out=np.zeros_like(ab2), where=ab2 > 0), 0.0, 1.0)
    foot = a + ab * t[..., None]
    dist = np.hypot(xy[:, None, 0] - foot[..., 0], xy[:, None, 1] - foot[..., 1])
    edge_of = pieces.edge[cand]
    # nearest distance first, then the lowest street, then the earliest piece
    best_d = dist.min(axis=1)
    tie = dist <= best_d[:, None] + 1e-9
    key = np.where(tie, edge_of * (len(pieces.start) + 1) + cand, np.iinfo(np.int64).max)
    j = np.argmin(key, axis=1)
    rows = np.arange(n)
    chosen = cand[rows, j]
    edge = pieces.edge[chosen]
    distance = dist[rows, j]
    along = pieces.x0[chosen] + t[rows, j] * pieces.length[chosen]
    # proof: any piece outside the candidates is at least (k-th midpoint distance -
    # half the longest piece) away; otherwise ask the exact STRtree
    if k < len(pieces.start):
        unsure = np.flatnonzero(near_d[:, -1] - pieces.half_max < best_d + 1e-9)
    else:
        unsure = np.zeros(0, np.int64)
    if len(unsure):
        _snap_exactly(arrays, points, unsure, edge, distance, along)
    length = arrays.edge_minutes[edge] * arrays.metres_per_minute
    along = np.clip(along, 0.0, length)
    frac = np.divide(along, length, out=np.zeros_like(along), where=length > 0)
    mins = arrays.edge_minutes[edge]
    return Snapped(
        edge=edge,
        node_u=arrays.edge_u[edge],
        node_v=arrays.edge_v[edge],
        offset_u=frac * mins,
        offset_v=(1.0 - frac) * mins,
        access=distance / arrays.metres_per_minute,
        along=along,
        distance_m=distance,
    )


def _snap_exactly(
    arrays: NetworkArrays,
    points: np.ndarray,
    unsure: np.ndarray,
    edge: np.ndarray,
    distance: np.ndarray,
    along: np.ndarray,
) -> None:
    """Nearest street of ``points[unsure]`` from shapely's STRtree.

    (lowest edge on ties), written into ``edge``, ``distance`` and ``along`` in place.
    """
    (pi, ei), d = arrays.tree.query_nearest(points[unsure], return_distance=True, all_matches=True)
    order = np.lexsort((ei, pi))
    pi, ei, d = pi[order], ei[order], d[order]
    first = np.ones(len(pi), bool)
    first[1:] = pi[1:] != pi[:-1]
    pi, ei, d = pi[first], ei[first], d[first]
    edge[unsure[pi]] = ei
    distance[unsure[pi]] = d
    along[unsure[pi]] = shapely.line_locate_point(arrays.edge_geoms[ei], points[unsure[pi]])


def drop_far_points(
    G: nx.MultiDiGraph, gdf: gpd.GeoDataFrame, *, what: str, max_snap_m: float, keep: bool = False
) -> gpd.GeoDataFrame:
    """Points farther than ``max_snap_m`` from the network: kept (homes) or left out (sites), with a warning.

    Homes are kept (``keep=True``): they stay in every population total and count
    as not covered (:func:`planner.reach.matrix` gives them no walk). Sites are left
    out, and the warning names them. Either way the frame gets ``street_m``, the
    distance to the nearest street, and the left-out rows are in
    ``out.attrs["off_network"]``, a list of records (``site_id``, ``name``,
    ``street_m``, ``reason``).

    Parameters
    ----------
    G
        The walking network.
    gdf
        Points in the network's CRS (with ``population`` for homes; ``site_id``
        and ``name`` for sites, when known).
    what
        What the points are, for the messages.
    max_snap_m
        Farthest a point may lie from a street (metres).
    keep
        Keep far points (homes) rather than leave them out (sites).

    Returns
    -------
    out
        ``gdf`` with ``street_m`` (``gdf`` itself when empty).

    Raises
    ------
    DataError
        If every point is that far.
    """
    import warnings

    from planner.errors import DataError

    if len(gdf) == 0:
        return gdf
    arrays = network_arrays(G)
    snapped = snap(arrays, gdf.geometry.values)
    far = snapped.distance_m > max_snap_m
    if far.all():
        raise DataError(
            f"{what}: all {len(gdf):,} points are farther than {max_snap_m:g} m from the walking network "
            f"(nearest {snapped.distance_m.min():,.0f} m); expected points inside the network's area"
        )
    gdf = gdf.copy()
    # unrounded: the same distance coverage() cuts at, so every stage agrees on who is off the network
    gdf["street_m"] = snapped.distance_m
    reason = f"no street within {max_snap_m:g} m"
    if far.any():
        if keep:
            people = float(gdf["population"].to_numpy(float)[far].sum()) if "population" in gdf else float(far.sum())
            warnings.warn(
                f"{what}: {int(far.sum()):,} of {len(gdf):,} points (population {people:,.0f}) are farther than "
                f"{max_snap_m:g} m from the walking network; kept and counted as not covered "
                f"(unreachable.csv, reason '{reason}')",
                UserWarning,
                stacklevel=3,
            )
        else:
            gone = gdf[far]
            if "name" in gone:
                label = gone["name"].astype(str)
            else:
                label = gone.get("site_id", pd.Series(gone.index)).astype(str)
            listed = ", ".join(f"{n!r} ({d:,.0f} m)" for n, d in zip(label.iloc[:5], gone["street_m"].iloc[:5]))
            more = f" and {len(gone) - 5:,} more" if len(gone) > 5 else ""
            warnings.warn(
                f"{what}: {int(far.sum()):,} of {len(gdf):,} points are farther than {max_snap_m:g} m "
                f"from the walking network and were left out: {listed}{more}",
                UserWarning,
                stacklevel=3,
            )
            gone = gone.assign(street_m=gone["street_m"].round(1))
            gdf = gdf[~far].reset_index(drop=True)
            gdf.attrs["off_network"] = left_out_records(gone, ("site_id", "name", "street_m"), reason=reason)
    return gdf


def check_datum(
    G: nx.MultiDiGraph,
    gdf: gpd.GeoDataFrame,
    *,
    what: str,
    source: str | os.PathLike[str],
    option: str,
    declared: str | None = None,
) -> None:
    """Warn when WGS-84 points in China sit markedly closer to the streets read as GCJ-02 or BD-09.

    Coordinates copied from Amap / Gaode / Tencent (GCJ-02) or Baidu (BD-09) and
    taken as WGS-84 sit hundreds of metres off. The median distance to the
    nearest street is compared as given and after each inversion; when an
    inversion at least halves it and gains more than 30 m, a warning names the
    file, the medians and the option that reads the file right.

    Parameters
    ----------
    G
        The walking network.
    gdf
        The points as read (any CRS; taken as WGS-84 when it has none).
    what
        What the points are, for the message.
    source
        The file they came from, for the message.
    option
        The ``--input-crs`` key that reads the file (``demand``, ``candidates``, ...).
    declared
        The input CRS the user gave for the file (``None``: none). With GCJ-02 / BD-09,
        ``gdf`` holds the points converted from it and the check runs the other way (points
        that sit markedly closer to the streets as written, taken as WGS-84, were WGS-84
        already and the conversion moved them hundreds of metres); with any other, nothing
        is checked.
    """
    import warnings

    import pyproj

    from planner.io.datums import bd09_to_wgs84, datum_name, gcj02_to_wgs84, in_china

    datum_given = None if declared is None else datum_name(str(declared))
    if len(gdf) == 0 or (declared is not None and datum_given not in ("gcj02", "bd09")):
        return
    ll = gdf.to_crs("EPSG:4326") if gdf.crs is not None else gdf
    lon, lat = shapely.get_x(ll.geometry.values), shapely.get_y(ll.geometry.values)
    if in_china(lon, lat).mean() < 0.5:
        return
    arrays = network_arrays(G)
    to_net = pyproj.Transformer.from_crs("EPSG:4326", G.graph["crs"], always_xy=True)

    def median_gap(x: np.ndarray, y: np.ndarray) -> float:
        px, py = to_net.transform(x, y)
        return float(np.median(snap(arrays, shapely.points(px, py)).distance_m))

    if datum_given is not None:
        from planner.io.datums import wgs84_to_bd09, wgs84_to_gcj02

        raw = (wgs84_to_gcj02 if datum_given == "gcj02" else wgs84_to_bd09)(lon, lat)  # the file's own numbers
        converted, written = median_gap(lon, lat), median_gap(*raw)
        if written <= 0.5 * converted and converted - written > 30.0:
            warnings.warn(
                f"{source}: {what} sit much closer to the streets as written (WGS-84): median {written:,.0f} m from a "
                f"street, against {converted:,.0f} m converted from {datum_given}; if they are WGS-84 already (GPS, "
                f"OpenStreetMap, a GIS), drop --input-crs {option}={declared}",
                UserWarning,
                stacklevel=3,
            )
        return
    given = median_gap(lon, lat)
    options = {"gcj02": median_gap(*gcj02_to_wgs84(lon, lat)), "bd09": median_gap(*bd09_to_wgs84(lon, lat))}
    datum, best = min(options.items(), key=lambda item: item[1])
    if best <= 0.5 * given and given - best > 30.0:
        label = "GCJ-02 (Amap / Gaode / Tencent)" if datum == "gcj02" else "BD-09 (Baidu)"
        warnings.warn(
            f"{source}: {what} sit much closer to the streets read as {label}: median {best:,.0f} m from a street, "
            f"against {given:,.0f} m as WGS-84; if they were copied from such a map, pass --input-crs {option}={datum}",
            UserWarning,
            stacklevel=3,
        )
