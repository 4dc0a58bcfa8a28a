"""Stage 3b: the walkable area around each site.

The polygons are drawn from the same distances the solver uses: a bounded search
from each site gives the walking minutes to every reached node; each reached
street contributes the stretch that can be walked within the limit (partial
streets at the frontier included) and, around it, the band a resident can cross
on foot in the minutes left (the straight walk to the street that coverage
counts). Streets are measured along their geometry, so the band narrows as the
minutes run out.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

from ._graph import Cells, NetworkArrays, Segments, Snapped, network_arrays, snap
from .config import DEFAULTS, check_positive
from .coverage import _search_sites

#: straight pieces per disc sector drawn at street vertices; sectors are
#: circumscribed, so they contain the true disc (by at most 0.5 % of the radius
#: at a half disc)
_ARC_STEPS = 32


def reached_nodes(arrays: NetworkArrays, posts: Snapped, limit: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(site, node, minutes) triples of the nodes each site reaches within ``limit``."""
    n = arrays.n_nodes
    node_ptr = np.arange(n + 1, dtype=np.int64)
    node_home = np.arange(n, dtype=np.int64)
    zeros = np.zeros(n)
    edge_ptr = np.zeros(len(arrays.edge_u) + 1, np.int64)
    empty = np.zeros(0, np.int64)
    rows, cols, vals = _search_sites(
        arrays.indptr, arrays.indices, arrays.minutes,
        node_ptr, node_home, zeros, zeros, edge_ptr, empty, zeros,
        posts.node_u, posts.node_v, posts.offset_u, posts.offset_v, posts.access, posts.edge,
        posts.along / arrays.metres_per_minute, float(limit), n, n, 0,
    )
    return cols, rows, vals


def _sectors(centres, radii, alpha, span):
    """Circumscribed polygons of disc sectors (start angle ``alpha``, counter-clockwise ``span``)."""
    if len(centres) == 0:
        return np.zeros(0, dtype=object)
    k = np.linspace(0.0, 1.0, _ARC_STEPS + 1)
    theta = alpha[:, None] + span[:, None] * k[None, :]
    reach = (radii / np.cos(span / (2 * _ARC_STEPS)))[:, None]
    arc = np.stack([centres[:, 0:1] + reach * np.cos(theta), centres[:, 1:2] + reach * np.sin(theta)], axis=2)
    c = centres[:, None, :]
    ring = np.concatenate([c, arc, c], axis=1)
    return shapely.polygons(ring)


def _side_shapes(segs: Segments, k: np.ndarray, r0, r1, start=None, end=None, first=None, last=None, prev_angle=None):
    """Area reachable from segments whose budget runs linearly from ``r0`` to ``r1`` metres.

    Each segment gives the band of points whose nearest point lies on it, as
    far out as the budget left there (a quad), and each vertex the fan of points
    whose nearest point is the vertex (a disc sector on the outer side of the
    turn; a half disc at a street's ends).

    ``k`` are segment indices; ``start``, ``end``, ``first``, ``last`` and
    ``prev_angle`` default to the segments' own (pieces of segments pass theirs).

    Returns the shapes and, for each, the index of the segment whose cell it is
    clipped to; fans at inner vertices are marked with ``-1 - k`` (clipped to the
    cells of segment ``k`` and the one before it).
    """
    start = segs.start[k] if start is None else start
    end = segs.end[k] if end is None else end
    first = segs.first[k] if first is None else first
    last = segs.last[k] if last is None else last
    prev_angle = segs.prev_angle[k] if prev_angle is None else prev_angle
    keep = (r0 > 0) | (r1 > 0)
    start, end, r0, r1, k = start[keep], end[keep], r0[keep], r1[keep], k[keep]
    prev_angle, first, last = prev_angle[keep], first[keep], last[keep]
    # cut each segment where the budget reaches zero (the frontier)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac1 = np.where(r1 < 0, r0 / (r0 - r1), 1.0)
        frac0 = np.where(r0 < 0, r0 / (r0 - r1), 0.0)
    p0 = start + (end - start) * frac0[:, None]
    p1 = start + (end - start) * frac1[:, None]
    q0 = np.maximum(r0, 0.0)
    q1 = np.maximum(r1, 0.0)
    d = end - start
    length = np.hypot(d[:, 0], d[:, 1])
    ok = length > 1e-9
    n = np.zeros_like(d)
    n[ok] = np.stack([-d[ok, 1], d[ok, 0]], axis=1) / length[ok, None]
    ring = np.stack(
        [p0 + n * q0[:, None], p1 + n * q1[:, None], p1 - n * q1[:, None], p0 - n * q0[:, None], p0 + n * q0[:, None]],
        axis=1,
    )
    quads = shapely.polygons(ring[ok])
    angle = np.arctan2(d[:, 1], d[:, 0])
    # fans at segment starts: a half disc behind a street's first vertex, the
    # outer wedge of the turn at an inner vertex
    turn = np.angle(np.exp(1j * (angle - prev_angle)))
    at_start = (q0 > 0) & (frac0 == 0) & ok & (first | (np.abs(turn) > 1e-9))
    alpha = np.where(first, angle + np.pi / 2, np.where(turn > 0, prev_angle - np.pi / 2, angle + np.pi / 2))
    span = np.where(first, np.pi, np.abs(turn))
    start_fans = _sectors(start[at_start], q0[at_start], alpha[at_start], span[at_start])
    # half discs beyond a street's last vertex
    at_end = (q1 > 0) & (frac1 == 1) & ok & last
    end_fans = _sectors(end[at_end], q1[at_end], angle[at_end] - np.pi / 2, np.full(int(at_end.sum()), np.pi))
    shapes = np.concatenate([quads, start_fans, end_fans])
    owners = np.concatenate([k[ok], np.where(first, k, -1 - k)[at_start], k[at_end]])
    return shapes, owners


def isochrones(
    network: nx.MultiDiGraph,
    sites: gpd.GeoDataFrame,
    *,
    minutes: float = DEFAULTS.minutes,
    threads: int | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> gpd.GeoDataFrame:
    """
    Walkable area around each site within a time limit.

    Parameters
    ----------
    network
        Projected walking network from :func:`planner.load_network`.
    sites
        Points in the network's CRS (with ``site_id``).
    minutes
        Walking time limit; must be positive and finite.
    threads
        Threads drawing polygons (default: the number of CPUs, at most 8).

    Returns
    -------
    polygons
        One row per site, in the order of ``sites``, with ``site_id``, ``minutes``
        and the polygon, in EPSG:4326.

    Raises
    ------
    InputError
        If ``minutes`` is not positive and finite.
    """
    limit = check_positive("minutes", minutes)
    arrays = network_arrays(network)
    if sites.crs is not None and sites.crs != network.graph["crs"]:
        sites = sites.to_crs(network.graph["crs"])
    posts = snap(arrays, sites.geometry.values)
    site_of, node_of, node_min = reached_nodes(arrays, posts, limit)
    cells = arrays.cells
    segs = arrays.segments
    order = np.argsort(site_of, kind="stable")
    site_of, node_of, node_min = site_of[order], node_of[order], node_min[order]
    bounds = np.searchsorted(site_of, np.arange(len(sites) + 1))
    done = [0]

    def draw(lo: int, hi: int) -> list:
        dist = np.full(arrays.n_nodes, np.inf)
        out = []
        for s in range(lo, hi):
            nodes = node_of[bounds[s]:bounds[s + 1]]
            dist[nodes] = node_min[bounds[s]:bounds[s + 1]]
            out.append(_one_isochrone(s, limit, dist, nodes, arrays, posts, segs, cells))
            dist[nodes] = np.inf
            done[0] += 1
            if progress and done[0] % 50 == 0:
                progress(f"isochrones: {done[0]:,} of {len(sites):,}", done[0] / len(sites))
        return out

    # shapely releases the GIL: sites are drawn on several threads
    n_threads = max(1, min(threads or os.cpu_count() or 1, 8, len(sites) // 16 or 1))
    cuts = np.linspace(0, len(sites), n_threads + 1).astype(int)
    if n_threads == 1:
        polygons = draw(0, len(sites))
    else:
        with ThreadPoolExecutor(n_threads) as pool:
            polygons = [poly for part in pool.map(draw, cuts[:-1], cuts[1:]) for poly in part]
    if progress:
        progress(f"isochrones: {len(sites):,} drawn", 1.0)
    ids = sites["site_id"].astype(str).to_numpy() if "site_id" in sites else np.arange(len(sites)).astype(str)
    out = gpd.GeoDataFrame(
        {"site_id": ids, "minutes": np.full(len(sites), limit)},
        geometry=shapely.make_valid(np.array(polygons, dtype=object)),
        crs=network.graph["crs"],
    )
    return out.to_crs("EPSG:4326")


def _one_isochrone(s: int, limit: float, dist: np.ndarray, nodes: np.ndarray, arrays: NetworkArrays,
                   posts: Snapped, segs: Segments, cells: Cells):
    """The polygon of site ``s`` given the minutes ``dist`` to the ``nodes`` it reaches (``inf`` elsewhere)."""
    mpm = arrays.metres_per_minute
    own = posts.edge[s]
    # the streets at the reached nodes (and the site's own)
    ptr, incident = arrays.node_streets
    counts = ptr[nodes + 1] - ptr[nodes]
    starts = np.repeat(ptr[nodes], counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    streets = np.unique(np.concatenate([incident[starts + offsets], [own]]))
    da_s = dist[arrays.edge_u[streets]]
    db_s = dist[arrays.edge_v[streets]]
    street_len = arrays.edge_minutes * mpm
    budget = (limit - posts.access[s]) * mpm
    keep = np.isfinite(da_s) | np.isfinite(db_s)
    streets, da_s, db_s = streets[keep], da_s[keep], db_s[keep]
    # least budget left anywhere along each reached street (at its farthest point)
    a, b, length = da_s, db_s, street_len[streets]
    with np.errstate(invalid="ignore"):
        peak = np.where(np.isfinite(a) & np.isfinite(b), (a * mpm + b * mpm + length) / 2, np.fmin(a, b) * mpm + length)
    least = limit * mpm - peak
    full = (least >= cells.depth[streets]) & (streets != own)
    whole = cells.street[streets[full]]
    partial = streets[~full & (streets != own)]
    # segments of the partial streets, walked in from either end
    n_seg = segs.ptr[partial + 1] - segs.ptr[partial]
    k = np.repeat(segs.ptr[partial], n_seg) + (np.arange(n_seg.sum()) - np.repeat(np.cumsum(n_seg) - n_seg, n_seg))
    e_of = segs.edge[k]
    pieces, owners = [], []
    x_start, x_end = segs.x0[k], segs.x0[k] + segs.length[k]
    for side_dist, from_start, from_end in (
        (dist[arrays.edge_u[e_of]], x_start, x_end),
        (dist[arrays.edge_v[e_of]], street_len[e_of] - x_start, street_len[e_of] - x_end),
    ):
        live = np.isfinite(side_dist)
        left = (limit - side_dist[live]) * mpm
        shp, own_k = _side_shapes(segs, k[live], left - from_start[live], left - from_end[live])
        pieces.append(shp)
        owners.append(own_k)
    # the site's own street: from the site both ways, and from its ends if reached back
    k = np.arange(segs.ptr[own], segs.ptr[own + 1])
    x0, x1 = segs.x0[k], segs.x0[k] + segs.length[k]
    s0, s1 = segs.start[k], segs.end[k]
    span = np.where(segs.length[k] > 0, segs.length[k], 1.0)
    x_site = posts.along[s]
    if budget > 0:
        for lo, hi in ((np.clip(x_site, x0, x1), x1), (x0, np.clip(x_site, x0, x1))):
            good = hi > lo
            pa = s0 + (s1 - s0) * ((lo - x0) / span)[:, None]
            pb = s0 + (s1 - s0) * ((hi - x0) / span)[:, None]
            # a piece that starts or ends inside a segment has no vertex there
            at_vertex0 = lo <= x0
            at_vertex1 = hi >= x1
            prev = np.where(at_vertex0, segs.prev_angle[k], np.arctan2(s1[:, 1] - s0[:, 1], s1[:, 0] - s0[:, 0]))
            shp, own_k = _side_shapes(
                segs, k[good], (budget - np.abs(lo - x_site))[good], (budget - np.abs(hi - x_site))[good],
                start=pa[good], end=pb[good], first=(segs.first[k] & at_vertex0)[good],
                last=(segs.last[k] & at_vertex1)[good], prev_angle=prev[good],
            )
            pieces.append(shp)
            owners.append(own_k)
    for end_dist, from_start, from_end in ((dist[arrays.edge_u[own]], x0, x1),
                                           (dist[arrays.edge_v[own]], street_len[own] - x0, street_len[own] - x1)):
        if np.isfinite(end_dist):
            left = (limit - end_dist) * mpm
            shp, own_k = _side_shapes(segs, k, left - from_start, left - from_end)
            pieces.append(shp)
            owners.append(own_k)
    pieces = np.concatenate(pieces)
    owners = np.concatenate(owners).astype(np.int64)
    parts = []
    if len(whole):
        parts.append(shapely.coverage_union_all(whole))
    if len(pieces):
        inner_fan = owners < 0
        seg_of = np.where(inner_fan, -1 - owners, owners)
        clip = cells.segment[seg_of]
        if inner_fan.any():
            clip = clip.copy()
            clip[inner_fan] = shapely.union(cells.segment[seg_of[inner_fan] - 1], cells.segment[seg_of[inner_fan]])
        parts.append(_union(shapely.intersection(pieces, clip)))
    if not parts:
        return shapely.Polygon()
    return _union(np.array(parts, dtype=object))


def _union(shapes: np.ndarray):
    """Union that survives GEOS topology errors on nearly coincident edges.

    The exact overlay is tried first; if GEOS reports a topology exception the
    pieces are made valid and unioned on a 1 mm grid (snap rounding).
    """
    try:
        return shapely.union_all(shapes)
    except shapely.errors.GEOSException:
        return shapely.union_all(shapely.make_valid(shapes), grid_size=1e-3)


def posts_point(posts: Snapped, s: int, arrays: NetworkArrays) -> tuple[float, float]:
    """Coordinates of site ``s``'s attachment point on its street."""
    point = shapely.line_interpolate_point(arrays.edge_geoms[posts.edge[s]], posts.along[s])
    return shapely.get_x(point), shapely.get_y(point)
