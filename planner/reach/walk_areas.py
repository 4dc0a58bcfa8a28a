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

import itertools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import cast

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

from planner.config import DEFAULTS, check_positive
from planner.reach.arrays import NetworkArrays, network_arrays
from planner.reach.cells import Cells
from planner.reach.dijkstra import search_sites
from planner.reach.drawing import (
    ARC_TOLERANCE_M,
    EDGE_TOLERANCE_M,
    GRID_M,
    MIN_FEATURE_M2,
    TIE_TOLERANCE_M,
    SiteReach,
    draw_batch,
)
from planner.reach.segments import expand_ranges
from planner.reach.snapping import Snapped, snap

__all__ = [
    "ARC_TOLERANCE_M",
    "EDGE_TOLERANCE_M",
    "GRID_M",
    "MIN_FEATURE_M2",
    "TIE_TOLERANCE_M",
    "clean_polygons",
    "isochrones",
    "reached_nodes",
]

#: most sites drawn in one vectorised batch
_BATCH_SITES = 64
#: batches per drawing thread when there are few sites (smaller batches even out the threads' work)
_BATCHES_PER_THREAD = 4


def reached_nodes(arrays: NetworkArrays, posts: Snapped, limit: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(site, node, minutes) triples of the nodes each site reaches within ``limit``.

    Parameters
    ----------
    arrays
        The network (:func:`planner.reach.arrays.network_arrays`).
    posts
        The sites snapped to it (:func:`planner.reach.snapping.snap`).
    limit
        Walking minutes.

    Returns
    -------
    site, node, minutes
        One entry per reached (site, node) pair: site index, node index and
        walking minutes from the site.
    """
    n = arrays.n_nodes
    node_ptr = np.arange(n + 1, dtype=np.int64)
    node_home = np.arange(n, dtype=np.int64)
    zeros = np.zeros(n)
    edge_ptr = np.zeros(len(arrays.edge_u) + 1, np.int64)
    empty = np.zeros(0, np.int64)
    rows, cols, vals = search_sites(
        arrays.indptr,
        arrays.indices,
        arrays.minutes,
        node_ptr,
        node_home,
        zeros,
        zeros,
        edge_ptr,
        empty,
        zeros,
        posts.node_u,
        posts.node_v,
        posts.offset_u,
        posts.offset_v,
        posts.access,
        posts.edge,
        posts.along / arrays.metres_per_minute,
        float(limit),
        n,
        n,
        0,
    )
    return cols, rows, vals


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
    progress
        Called with a message and the fraction drawn as batches of sites finish.

    Returns
    -------
    polygons
        One row per site, in the order of ``sites``, with ``site_id``, ``minutes``
        and the polygon, in EPSG:4326.

    Raises
    ------
    InputError
        If ``minutes`` is not positive and finite.

    Notes
    -----
    A home belongs to the street nearest to it (as in :func:`planner.reach.matrix`);
    the nearest-street cells come from a Voronoi diagram of points every 2 m
    along the streets (down to 0.25 m beside another street; sparser beyond
    800 km of streets), each segment sampled from just inside its ends so that
    two segments meeting at a point part along the bisector there.

    The polygons are valid in EPSG:4326: vertices are snapped to a
    :data:`GRID_M` grid in the projected CRS, holes and detached pieces under
    :data:`MIN_FEATURE_M2` are filled / dropped (:func:`clean_polygons`).
    Arcs are circumscribed (at most :data:`ARC_TOLERANCE_M` beyond their
    circle, or 0.12 % of radii past 415 m); a polygon differs from the exact
    walkable area only within :data:`EDGE_TOLERANCE_M` of its edge or of the
    limit (in walking), or where a point is within :data:`TIE_TOLERANCE_M` of
    being equally near two streets. A site farther than half a walk from every street does not reach
    its own spot (the walk to its street and back exceeds the limit).

    For a few sites in a
    large network only the streets within three walks of the sites take part,
    which gives the same cells wherever a polygon can reach; otherwise the
    whole network's cells are built once and cached. Sites are drawn in
    vectorised batches on several threads.
    """
    limit = check_positive("minutes", minutes)
    arrays = network_arrays(network)
    if sites.crs is not None and sites.crs != network.graph["crs"]:
        sites = sites.to_crs(network.graph["crs"])
    posts = snap(arrays, sites.geometry.values)
    n_sites = len(sites)
    site_of, node_of, node_min = reached_nodes(arrays, posts, limit)
    # nearest-street cells: the whole network's (cached) or, for a few sites in
    # a large network, those of the streets around them (exact within reach)
    cells = arrays.cells_near(sites.geometry.values, limit * arrays.metres_per_minute) if n_sites else None
    if cells is not None:  # dissolved for the streets the sites reach (and their own) only
        ptr, incident = arrays.node_streets
        nodes = np.unique(node_of)
        _, at = expand_ranges(ptr[nodes], ptr[nodes + 1])
        cells.prepare(np.concatenate([incident[at], posts.edge]))
    order = np.lexsort((node_of, site_of))
    site_of, node_of, node_min = site_of[order], node_of[order], node_min[order]
    reach = SiteReach(site_of * np.int64(arrays.n_nodes) + node_of, node_min, arrays.n_nodes)
    bounds = np.searchsorted(site_of, np.arange(n_sites + 1))
    # sites are drawn in batches: the geometry of a batch is built in one
    # vectorised pass, then unioned site by site; shapely releases the GIL,
    # so batches run on several threads. A plan's few stations are cut into
    # several batches per thread (a site's area is drawn alone either way),
    # so that the threads finish together
    n_threads = max(1, min(threads or os.cpu_count() or 1, 8))
    batch = int(min(_BATCH_SITES, max(1, -(-n_sites // (_BATCHES_PER_THREAD * n_threads)))))
    cuts = np.unique(np.arange(0, n_sites + batch, batch).clip(max=n_sites))
    done = [0]

    def draw(lo: int, hi: int) -> np.ndarray:
        out = clean_polygons(
            draw_batch(
                lo,
                hi,
                limit,
                reach,
                node_of[bounds[lo] : bounds[hi]],
                site_of[bounds[lo] : bounds[hi]],
                arrays,
                cast(Cells, cells),
                posts,
            )
        )
        done[0] += hi - lo
        if progress:
            progress(f"isochrones: {done[0]:,} of {n_sites:,}", done[0] / n_sites)
        return out

    n_threads = min(n_threads, len(cuts) - 1)
    if n_threads <= 1:
        parts = [draw(lo, hi) for lo, hi in itertools.pairwise(cuts)]
    else:
        with ThreadPoolExecutor(n_threads) as pool:
            parts = list(pool.map(draw, cuts[:-1], cuts[1:]))
    polygons = np.concatenate(parts) if parts else np.zeros(0, dtype=object)
    if progress:
        progress(f"isochrones: {n_sites:,} drawn", 1.0)
    ids = sites["site_id"].astype(str).to_numpy() if "site_id" in sites else np.arange(n_sites).astype(str)
    out = gpd.GeoDataFrame(
        {"site_id": ids, "minutes": np.full(n_sites, limit)}, geometry=polygons, crs=network.graph["crs"]
    ).to_crs("EPSG:4326")
    # the grid keeps vertices far apart next to reprojection's rounding; should
    # a polygon still come out invalid, it is repaired there (and stays polygonal)
    bad = ~shapely.is_valid(out.geometry.values)
    if bad.any():
        out.loc[bad, "geometry"] = shapely.make_valid(
            out.geometry.values[bad], method="structure", keep_collapsed=False
        )
    return out


def clean_polygons(
    polygons: np.ndarray | Sequence[shapely.Geometry], *, grid_m: float = GRID_M, min_area_m2: float = MIN_FEATURE_M2
) -> np.ndarray:
    """Valid polygons without pinholes or crumbs, in a projected CRS (metres).

    Vertices are snapped to a ``grid_m`` grid with GEOS's snap rounding (the
    result is valid; anything narrower than the grid collapses), holes smaller
    than ``min_area_m2`` are filled and detached pieces smaller than that are
    dropped (a polygon's largest piece is always kept).

    Parameters
    ----------
    polygons
        Polygonal geometries in a projected CRS.
    grid_m
        Grid the vertices are snapped to (metres).
    min_area_m2
        Smallest hole kept, and smallest detached piece kept (square metres).

    Returns
    -------
    cleaned
        One Polygon or MultiPolygon per input, empty where the input is empty.
    """
    snapped = shapely.set_precision(np.asarray(polygons, dtype=object), grid_m)
    out = np.full(len(snapped), shapely.Polygon(), dtype=object)
    parts, owner = shapely.get_parts(snapped, return_index=True)
    parts, owner = parts[shapely.get_type_id(parts) == 3], owner[shapely.get_type_id(parts) == 3]
    if len(parts) == 0:
        return out
    area = shapely.area(parts)
    # the largest piece of each polygon: the last of its owner when sorted by (owner, area)
    order = np.lexsort((area, owner))
    largest = np.zeros(len(parts), bool)
    largest[order[np.r_[owner[order][1:] != owner[order][:-1], True]]] = True
    keep = (area >= min_area_m2) | largest
    parts, owner = parts[keep], owner[keep]
    # rebuild each piece from its shell and its holes of min_area_m2 or more
    n_holes = shapely.get_num_interior_rings(parts)
    which, k = expand_ranges(np.zeros_like(n_holes), n_holes)
    holes = shapely.get_interior_ring(parts[which], k)
    big = shapely.area(shapely.polygons(holes)) >= min_area_m2
    rings = np.concatenate([shapely.get_exterior_ring(parts), holes[big]])
    piece = np.concatenate([np.arange(len(parts)), which[big]])
    rank = np.concatenate([np.zeros(len(parts)), k[big] + 1.0])
    at = np.lexsort((rank, piece))
    pieces = shapely.polygons(rings[at], indices=piece[at])
    counts = np.bincount(owner, minlength=len(out))
    single = counts[owner] == 1
    out[owner[single]] = pieces[single]
    multi = np.flatnonzero(counts > 1)
    if len(multi):
        several = ~single
        out[multi] = shapely.multipolygons(pieces[several], indices=np.searchsorted(multi, owner[several]))
    return out
