"""Coverage tile by tile on a Dask cluster: each task gets the subnetwork its sites can walk in (exact)."""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import scipy.sparse as sp
import shapely

from planner.config import DEFAULTS, check_positive
from planner.distributed.cluster import TASKS_PER_WORKER, n_workers, run_tasks
from planner.reach.arrays import NetworkArrays
from planner.reach.matrix import (
    Coverage,
    coverage_matrix,
    labelled_coverage,
    off_network_cut,
    snapped_inputs,
    time_limits,
)
from planner.reach.segments import expand_ranges
from planner.reach.snapping import Snapped

__all__ = [
    "MAX_TILE_MARGINS",
    "MIN_TILE_MARGINS",
    "Tile",
    "TileArrays",
    "coverage_dask",
    "coverage_matrix_dask",
    "default_tile_m",
    "node_xy",
    "stretch",
    "tile_sites",
    "tile_task",
]

log = logging.getLogger(__name__)

#: default tile side, in walk margins: at most this many, at least MIN_TILE_MARGINS
MAX_TILE_MARGINS = 10.0
MIN_TILE_MARGINS = 2.0
#: relative and absolute (metres) allowance for rounding in the subnetwork box
_REL_TOL = 1e-6
_ABS_TOL_M = 0.01

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class TileArrays:
    """The part of :class:`~planner.reach.arrays.NetworkArrays` that :func:`coverage_matrix` reads.

    ``indptr``, ``indices``, ``minutes``: CSR adjacency over the tile's local node
    indices; ``edge_u``, ``edge_v``: local end nodes of the tile's streets (the
    streets its homes and sites stand on).
    """

    indptr: np.ndarray
    indices: np.ndarray
    minutes: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    metres_per_minute: float

    @property
    def n_nodes(self) -> int:
        """Nodes of the subnetwork."""
        return len(self.indptr) - 1


@dataclass(frozen=True)
class Tile:
    """One coverage task: a subnetwork, its homes and sites, and their global indices."""

    arrays: TileArrays
    homes: Snapped
    posts: Snapped
    home_index: np.ndarray
    site_index: np.ndarray
    limit: float

    @property
    def nbytes(self) -> int:
        """Bytes of array data sent to the worker."""
        total = 0
        for part in (self.arrays, self.homes, self.posts):
            total += sum(v.nbytes for v in vars(part).values() if isinstance(v, np.ndarray))
        return total + self.home_index.nbytes + self.site_index.nbytes


def tile_task(tile: Tile) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Worker side: the tile's coverage triples ``(rows, cols, minutes)`` in global indices."""
    m = coverage_matrix(tile.arrays, tile.homes, tile.posts, tile.limit, threads=1).tocoo()  # type: ignore[arg-type]
    return tile.home_index[m.row].astype(np.int64), tile.site_index[m.col].astype(np.int64), m.data


def node_xy(arrays: NetworkArrays) -> np.ndarray:
    """Coordinates of each node (``NaN`` for a node on no street), from the street geometries' ends."""
    xy = np.full((arrays.n_nodes, 2), np.nan)
    if len(arrays.edge_geoms):
        # the street segments are cached on the arrays (snapping built them already)
        seg = arrays.segments
        has = seg.ptr[1:] > seg.ptr[:-1]
        xy[arrays.edge_u[has]] = seg.start[seg.ptr[:-1][has]]
        xy[arrays.edge_v[has]] = seg.end[seg.ptr[1:][has] - 1]
        if not has.all():
            odd = arrays.edge_geoms[~has]
            xy[arrays.edge_u[~has]] = shapely.get_coordinates(shapely.get_point(odd, 0))
            xy[arrays.edge_v[~has]] = shapely.get_coordinates(shapely.get_point(odd, -1))
    return xy


def stretch(arrays: NetworkArrays, xy: np.ndarray) -> float:
    """Largest ratio of straight distance to walking metres over the adjacency (at least 1).

    ``inf`` when a street takes no time but joins two distinct points (then no
    subnetwork is smaller than the whole network).
    """
    if len(arrays.indices) == 0:
        return 1.0
    rows = np.repeat(np.arange(len(arrays.indptr) - 1), np.diff(arrays.indptr))
    straight = np.hypot(*(xy[rows] - xy[arrays.indices]).T)
    walk = arrays.minutes * arrays.metres_per_minute
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(straight > 0, straight / walk, 0.0)
    ratio = np.nan_to_num(ratio, nan=0.0)
    return float(max(1.0, ratio.max()))


class _Gather:
    """CSR ``ptr`` / ``items``: the items of many keys at once."""

    def __init__(self, keys: np.ndarray, n_keys: int):
        order = np.argsort(keys, kind="stable")
        self.items = order.astype(np.int64)
        self.ptr = np.zeros(n_keys + 1, np.int64)
        np.cumsum(np.bincount(keys, minlength=n_keys), out=self.ptr[1:])

    def __call__(self, keys: np.ndarray) -> np.ndarray:
        return self.items[expand_ranges(self.ptr[keys], self.ptr[keys + 1])[1]]


def _subset(s: Snapped, idx: np.ndarray, local_node: np.ndarray, local_edge: np.ndarray) -> Snapped:
    return Snapped(
        edge=local_edge[s.edge[idx]],
        node_u=local_node[s.node_u[idx]],
        node_v=local_node[s.node_v[idx]],
        offset_u=s.offset_u[idx],
        offset_v=s.offset_v[idx],
        access=s.access[idx],
        along=s.along[idx],
        distance_m=s.distance_m[idx],
    )


class _Cutter:
    """Cuts tiles out of the whole network (client side), one at a time."""

    def __init__(self, arrays: NetworkArrays, homes: Snapped, posts: Snapped, limit: float, xy: np.ndarray):
        self.arrays, self.homes, self.posts, self.limit, self.xy = arrays, homes, posts, float(limit), xy
        self.k = stretch(arrays, xy)
        n = arrays.n_nodes
        ok = np.flatnonzero(~np.isnan(xy[:, 0]))
        self.by_x = ok[np.argsort(xy[ok, 0], kind="stable")]
        self.sorted_x = xy[self.by_x, 0]
        # node -> homes hanging off it (each home hangs off both ends of its street)
        self.node_homes = _Gather(np.concatenate([homes.node_u, homes.node_v]), n)
        self.node_homes.items %= max(len(homes.edge), 1)
        self.edge_homes = _Gather(homes.edge, len(arrays.edge_u))
        self.local_node = np.full(n, -1, np.int64)
        self.local_edge = np.full(len(arrays.edge_u), -1, np.int64)

    def box(self, sites: np.ndarray) -> tuple[float, float, float, float] | None:
        """Bounding box of every point the tile's sites can walk to within the limit."""
        p, mpm = self.posts, self.arrays.metres_per_minute
        ends = np.concatenate([p.node_u[sites], p.node_v[sites]])
        d0 = np.concatenate([p.access[sites] + p.offset_u[sites], p.access[sites] + p.offset_v[sites]])
        ok = d0 <= self.limit
        if not ok.any():
            return None
        if not math.isfinite(self.k):
            return (-np.inf, -np.inf, np.inf, np.inf)
        reach = self.k * (self.limit - d0[ok]) * mpm
        reach = reach * (1 + _REL_TOL) + _ABS_TOL_M
        x, y = self.xy[ends[ok], 0], self.xy[ends[ok], 1]
        return float((x - reach).min()), float((y - reach).min()), float((x + reach).max()), float((y + reach).max())

    def cut(self, sites: np.ndarray) -> Tile:
        arrays, homes, posts = self.arrays, self.homes, self.posts
        box = self.box(sites)
        if box is None:
            inside = np.zeros(0, np.int64)
        else:
            lo = np.searchsorted(self.sorted_x, box[0], side="left")
            hi = np.searchsorted(self.sorted_x, box[2], side="right")
            cand = self.by_x[lo:hi]
            y = self.xy[cand, 1]
            inside = np.sort(cand[(y >= box[1]) & (y <= box[3])])
        # homes attached to an inside node, or on the street of one of the tile's sites
        site_edges = np.unique(posts.edge[sites])
        home_idx = np.unique(np.concatenate([self.node_homes(inside), self.edge_homes(site_edges)]))
        edges = np.unique(np.concatenate([homes.edge[home_idx], site_edges]))
        # local nodes: inside ones first (global order kept), then the outer ends of local streets
        local = self.local_node
        local[inside] = np.arange(len(inside))
        ends = np.unique(np.concatenate([arrays.edge_u[edges], arrays.edge_v[edges]]))
        stubs = ends[local[ends] < 0]
        # CSR among inside nodes only (stubs get no streets: nothing within the limit lies there)
        pos = expand_ranges(arrays.indptr[inside], arrays.indptr[inside + 1])[1]
        nbr = local[arrays.indices[pos]]
        row = np.repeat(np.arange(len(inside)), arrays.indptr[inside + 1] - arrays.indptr[inside])
        keep = nbr >= 0
        n_local = len(inside) + len(stubs)
        indptr = np.zeros(n_local + 1, np.int64)
        np.cumsum(np.bincount(row[keep], minlength=n_local), out=indptr[1:])
        local[stubs] = len(inside) + np.arange(len(stubs))
        self.local_edge[edges] = np.arange(len(edges))
        tile = Tile(
            arrays=TileArrays(
                indptr=indptr,
                indices=nbr[keep],
                minutes=arrays.minutes[pos][keep],
                edge_u=local[arrays.edge_u[edges]],
                edge_v=local[arrays.edge_v[edges]],
                metres_per_minute=arrays.metres_per_minute,
            ),
            homes=_subset(homes, home_idx, local, self.local_edge),
            posts=_subset(posts, sites, local, self.local_edge),
            home_index=home_idx.astype(np.int64),
            site_index=np.asarray(sites, np.int64),
            limit=self.limit,
        )
        local[inside] = -1
        local[stubs] = -1
        self.local_edge[edges] = -1
        return tile


def tile_sites(site_xy: np.ndarray, tile_m: float) -> list[np.ndarray]:
    """Site indices grouped into square tiles of side ``tile_m`` (ascending within a tile)."""
    if len(site_xy) == 0:
        return []
    if not math.isfinite(tile_m):
        return [np.arange(len(site_xy))]
    cell = np.floor((site_xy - site_xy.min(axis=0)) / tile_m).astype(np.int64)
    _, label = np.unique(cell, axis=0, return_inverse=True)
    label = label.ravel()
    order = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[order], np.arange(label.max() + 2))
    return [order[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def default_tile_m(site_xy: np.ndarray, margin_m: float, n_workers: int) -> float:
    """Tile side: about :data:`TASKS_PER_WORKER` tiles per worker, between 2 and 10 walk margins."""
    if len(site_xy) == 0:
        return math.inf
    span = np.ptp(site_xy, axis=0)
    target = math.sqrt(
        max(float(span[0]) * float(span[1]), float(span.max()) ** 2 / 16, 1.0) / (TASKS_PER_WORKER * n_workers)
    )
    if not math.isfinite(margin_m):
        return max(target, 1.0)
    return float(min(max(target, MIN_TILE_MARGINS * margin_m), MAX_TILE_MARGINS * margin_m))


def coverage_matrix_dask(
    arrays: NetworkArrays,
    homes: Snapped,
    posts: Snapped,
    limit: float,
    *,
    client: Any,
    site_xy: np.ndarray | None = None,
    tile_m: float | None = None,
    progress: Progress | None = None,
    stats: dict | None = None,
) -> sp.csr_matrix:
    """
    The sparse minutes matrix of :func:`planner.reach.matrix.coverage_matrix`, computed tile by tile on Dask.

    Parameters
    ----------
    arrays
        The whole network's arrays (:func:`planner.reach.arrays.network_arrays`).
    homes, posts
        Homes and sites snapped to the whole network (:func:`planner.reach.snapping.snap`).
    limit
        Minutes to search to.
    client
        A ``distributed.Client``.
    site_xy
        Site coordinates (n x 2) used to tile them; default: their street's first end.
    tile_m
        Tile side in metres (default: :func:`default_tile_m`). Any value gives the
        same matrix; small tiles mean more, smaller tasks with more overlap.
    progress
        Optional callback ``progress(message, fraction)``.
    stats
        Optional dict filled with ``tiles``, ``tile_m``, ``margin_m``, ``stretch`` and
        the largest payload (``max_tile_nodes``, ``max_tile_mb``).

    Returns
    -------
    scipy.sparse.csr_matrix
        Identical to ``coverage_matrix(arrays, homes, posts, limit)``.
    """
    n_homes, n_sites = len(homes.edge), len(posts.edge)
    if n_homes == 0 or n_sites == 0:
        return sp.csr_matrix((n_homes, n_sites), dtype=np.float64)
    xy = node_xy(arrays)
    cutter = _Cutter(arrays, homes, posts, limit, xy)
    margin_m = cutter.k * float(limit) * arrays.metres_per_minute
    if site_xy is None:
        site_xy = xy[posts.node_u]
    site_xy = np.asarray(site_xy, dtype=float).reshape(-1, 2)
    workers = n_workers(client)
    if tile_m is None:
        tile_m = default_tile_m(site_xy, margin_m, workers)
    else:
        tile_m = check_positive("tile_m", tile_m) if math.isfinite(tile_m) else math.inf
    groups = tile_sites(site_xy, tile_m)
    largest = {"nodes": 0, "bytes": 0}
    parts: list = []

    def payloads() -> Iterator[Tile]:
        for sites in groups:
            tile = cutter.cut(sites)
            largest["nodes"] = max(largest["nodes"], tile.arrays.n_nodes)
            largest["bytes"] = max(largest["bytes"], tile.nbytes)
            yield tile

    def done(result: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        parts.append(result)
        if progress:
            progress(f"coverage on dask: {len(parts)}/{len(groups)} tiles", len(parts) / len(groups))

    if progress:
        progress(f"coverage on dask: {len(groups)} tiles of {tile_m:,.0f} m over {workers} workers", 0.0)
    run_tasks(client, tile_task, payloads(), len(groups), 4 * workers + 2, done)
    rows = np.concatenate([p[0] for p in parts])
    cols = np.concatenate([p[1] for p in parts])
    vals = np.concatenate([p[2] for p in parts])
    matrix = sp.csr_matrix((vals, (rows, cols)), shape=(n_homes, n_sites))
    matrix.sort_indices()
    if stats is not None:
        stats.update(
            tiles=len(groups),
            tile_m=tile_m,
            margin_m=margin_m,
            stretch=cutter.k,
            workers=workers,
            max_tile_nodes=largest["nodes"],
            max_tile_mb=round(largest["bytes"] / 2**20, 2),
        )
    return matrix


def coverage_dask(
    network: nx.MultiDiGraph,
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    client: Any,
    minutes: float | Sequence[float] = DEFAULTS.minutes,
    tile_m: float | None = None,
    progress: Progress | None = None,
    max_snap_m: float = DEFAULTS.max_snap_m,
) -> Coverage:
    """
    :func:`planner.reach.matrix` on a Dask cluster: the same :class:`~planner.reach.matrix.Coverage`, entry for entry.

    Parameters
    ----------
    network, demand, sites, minutes
        As for :func:`planner.reach.matrix`.
    client
        A ``distributed.Client`` (see :func:`dask_client`).
    tile_m
        Tile side in metres (default: about four tiles per worker, between 2 and
        10 walk margins).
    progress
        Optional callback ``progress(message, fraction)``.

    Returns
    -------
    Coverage

    Raises
    ------
    InputError
        As :func:`planner.reach.matrix`.
    """
    limits = time_limits(minutes)
    demand, sites, arrays, homes, posts = snapped_inputs(network, demand, sites, progress)
    site_xy = shapely.get_coordinates(sites.geometry.values) if len(sites) else np.zeros((0, 2))
    matrix = coverage_matrix_dask(
        arrays, homes, posts, limits[-1], client=client, site_xy=site_xy, tile_m=tile_m, progress=progress
    )
    matrix = off_network_cut(matrix, homes, posts, max_snap_m)
    if progress:
        progress(f"coverage: {matrix.nnz:,} home-site pairs within {limits[-1]:g} min", 1.0)
    return labelled_coverage(matrix, limits, demand, sites)
