"""Stage 3: who can walk to which site, in minutes.

:func:`coverage` runs one bounded Dijkstra per site, compiled with numba, over the
network's CSR adjacency, and keeps only the (home, site) pairs within the limit:
memory grows with the pairs found, never with sites x nodes. Homes and sites are
attached to their nearest street; the straight walk to the street and the walk
along it to either end node are counted, and a home on the same street as a site
may also walk straight along it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import geopandas as gpd
import networkx as nx
import numpy as np
import scipy.sparse as sp

from planner.config import DEFAULTS, check_positive
from planner.errors import InputError
from planner.reach.arrays import NetworkArrays, network_arrays
from planner.reach.dijkstra import search_sites
from planner.reach.snapping import Snapped, snap

__all__ = [
    "Coverage",
    "coverage",
    "coverage_matrix",
    "entries_within",
    "labelled_coverage",
    "nearest_among",
    "nearest_entries",
    "off_network_cut",
    "snapped_inputs",
    "time_limits",
    "within",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Coverage:
    """Walking minutes between homes and sites, for the pairs within the limit.

    Attributes
    ----------
    minutes
        ``scipy.sparse.csr_matrix`` (demand x sites); a stored entry is the walking
        time in minutes (it may be an explicit 0), an absent one means farther than
        ``max(limits)``.
    limits
        The time limits asked for, ascending; each is a filter of ``minutes``.
    demand_ids, site_ids
        Row and column labels.
    population
        Population of each demand row.
    """

    minutes: sp.csr_matrix
    limits: tuple[float, ...]
    demand_ids: np.ndarray
    site_ids: np.ndarray
    population: np.ndarray

    @property
    def limit(self) -> float:
        """The longest limit (the one the matrix was searched to)."""
        return self.limits[-1]

    @property
    def shape(self) -> tuple[int, int]:
        """(demand rows, sites)."""
        return self.minutes.shape

    def within(self, minutes: float | None = None) -> sp.csr_matrix:
        """Boolean CSR matrix of the pairs within ``minutes`` (inclusive; default: the longest limit)."""
        limit = self.limit if minutes is None else check_positive("minutes", minutes)
        if limit > self.limit + 1e-12:
            raise InputError(f"minutes={limit:g}: the coverage was computed up to {self.limit:g} minutes only")
        return within(self.minutes, limit)

    def up_to(self, minutes: float) -> Coverage:
        """The coverage cut to ``minutes``: the pairs within it, the limits above it dropped (one search, filtered)."""
        limit = check_positive("minutes", minutes)
        if limit > self.limit + 1e-12:
            raise InputError(f"minutes={limit:g}: the coverage was computed up to {self.limit:g} minutes only")
        limits = (*(m for m in self.limits if m < limit), limit)
        return replace(self, minutes=entries_within(self.minutes, limit), limits=limits)

    def coverable(self, minutes: float | None = None) -> np.ndarray:
        """Boolean per demand row: whether any site reaches it within ``minutes``."""
        return np.diff(self.within(minutes).indptr) > 0

    def nearest(self, columns: Sequence[int] | np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """
        Per demand row, the nearest site (of ``columns``, default all) and its walk.

        Parameters
        ----------
        columns
            Site columns to choose from (the chosen stations, say).

        Returns
        -------
        site, minutes
            The site's column in this coverage (ties: the lowest column) and the walk
            in minutes; -1 and ``inf`` where none is within :attr:`limit`.
        """
        if columns is None:
            return nearest_entries(self.minutes)
        return nearest_among(self.minutes, columns)


def nearest_among(matrix: sp.spmatrix, columns: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """
    Per row of a sparse matrix of minutes, the nearest of ``columns`` and its minutes.

    Returns
    -------
    column, minutes
        The column's index in ``matrix`` (ties: the lowest of ``columns``' positions) and the
        minutes; -1 and ``inf`` for a row none of ``columns`` reaches (or no columns given).
    """
    cols = np.asarray(columns, dtype=np.int64)
    if not len(cols):
        return np.full(matrix.shape[0], -1, np.int64), np.full(matrix.shape[0], np.inf)
    site, walk = nearest_entries(sp.csc_matrix(matrix)[:, cols])
    return np.where(site >= 0, cols[np.maximum(site, 0)], -1), walk


def nearest_entries(matrix: sp.spmatrix) -> tuple[np.ndarray, np.ndarray]:
    """
    Per row of a sparse matrix of minutes, the column of its smallest stored entry and that entry.

    Stored zeros count (a walk of 0 minutes); ties go to the lowest column.

    Returns
    -------
    column, minutes
        -1 and ``inf`` for a row with no stored entry.
    """
    m = sp.csr_matrix(matrix)
    m.sort_indices()
    column = np.full(m.shape[0], -1, np.int64)
    best = np.full(m.shape[0], np.inf)
    has = np.flatnonzero(np.diff(m.indptr) > 0)
    if not len(has):
        return column, best
    best[has] = np.minimum.reduceat(m.data, m.indptr[has])
    owner = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    hit = np.flatnonzero(m.data == best[owner])
    first = hit[np.unique(owner[hit], return_index=True)[1]]
    column[owner[first]] = m.indices[first]
    return column, best


def _kept(matrix: sp.spmatrix, limit: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    """Rows, columns and minutes of the stored entries ``<= limit`` (stored zeros kept): "within the limit", once."""
    m = sp.csr_matrix(matrix)
    keep = m.data <= limit
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    return rows[keep], m.indices[keep], m.data[keep], m.shape


def entries_within(matrix: sp.spmatrix, limit: float) -> sp.csr_matrix:
    """CSR of the stored entries of a sparse matrix of minutes that are ``<= limit`` (stored zeros kept), sorted."""
    rows, cols, data, shape = _kept(matrix, limit)
    out = sp.csr_matrix((data.astype(float), (rows, cols)), shape=shape)
    out.sort_indices()
    return out


def within(matrix: sp.spmatrix, limit: float) -> sp.csr_matrix:
    """Boolean CSR of the stored entries of ``matrix`` that are ``<= limit``."""
    rows, cols, _, shape = _kept(matrix, limit)
    out = sp.csr_matrix((np.ones(len(rows), bool), (rows, cols)), shape=shape)
    out.sort_indices()
    return out


def time_limits(minutes: float | Sequence[float]) -> tuple[float, ...]:
    """
    The time limits of a coverage, checked: each positive, sorted, without repeats.

    Parameters
    ----------
    minutes
        One limit or several (walking minutes).

    Returns
    -------
    limits
        The distinct limits, smallest first (the last is the one searched to).

    Raises
    ------
    InputError
        No limit, or one that is not a positive number.
    """
    values = minutes if isinstance(minutes, (list, tuple, np.ndarray)) else [minutes]
    if len(values) == 0:
        raise InputError("minutes=(): expected at least one positive time limit")
    return tuple(sorted({check_positive("minutes", m) for m in values}))


def coverage(
    network: nx.MultiDiGraph,
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    minutes: float | Sequence[float] = DEFAULTS.minutes,
    threads: int | None = None,
    progress: Callable[[str, float], None] | None = None,
    max_snap_m: float = DEFAULTS.max_snap_m,
) -> Coverage:
    """
    Walking minutes from every site to every home within a time limit.

    Parameters
    ----------
    network
        Projected walking network from :func:`planner.load_network`.
    demand
        Points in the network's CRS with ``population`` (and ``demand_id``).
    sites
        Points in the network's CRS (with ``site_id``).
    minutes
        Time limit, or several (``(5, 10, 15)``, the GB 50180-2018 life circles):
        one search to the longest, each limit is then a filter.
    threads
        Worker threads for the searches (default: the number of CPUs, at most 8).
    max_snap_m
        A home or site farther than this from every street walks to nowhere:
        its row or column stays empty (the home counts as not covered).

    Returns
    -------
    Coverage
        Sparse minutes, demand x sites.

    Raises
    ------
    InputError
        If a limit is not positive and finite, or the inputs lack geometry.
    """
    limits = time_limits(minutes)
    demand, sites, arrays, homes, posts = snapped_inputs(network, demand, sites, progress)
    matrix = off_network_cut(
        coverage_matrix(arrays, homes, posts, limits[-1], threads=threads), homes, posts, max_snap_m
    )
    if progress:
        progress(f"coverage: {matrix.nnz:,} home-site pairs within {limits[-1]:g} min", 1.0)
    return labelled_coverage(matrix, limits, demand, sites)


def snapped_inputs(
    network: nx.MultiDiGraph,
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    progress: Callable[[str, float], None] | None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, NetworkArrays, Snapped, Snapped]:
    """
    The inputs of a coverage, checked and attached to the streets.

    Parameters
    ----------
    network
        Projected walking network.
    demand, sites
        Point GeoDataFrames (any CRS).
    progress
        Optional callback ``progress(message, fraction)``.

    Returns
    -------
    demand, sites, arrays, homes, posts
        The points in the network's CRS, the network's arrays
        (:func:`planner.reach.arrays.network_arrays`), and the homes and sites
        snapped to it (:func:`planner.reach.snapping.snap`).
    """
    demand, sites = _checked_points(network, demand, sites)
    arrays = network_arrays(network)
    if progress:
        progress(f"snapping {len(demand):,} homes and {len(sites):,} sites", 0.0)
    return demand, sites, arrays, snap(arrays, demand.geometry.values), snap(arrays, sites.geometry.values)


def off_network_cut(matrix: sp.csr_matrix, homes: Snapped, posts: Snapped, max_snap_m: float) -> sp.csr_matrix:
    """``matrix`` without the pairs of homes or sites farther than ``max_snap_m`` from every street."""
    far_rows = homes.distance_m > max_snap_m
    far_cols = posts.distance_m > max_snap_m
    if not (far_rows.any() or far_cols.any()):
        return matrix
    coo = matrix.tocoo()
    keep = ~far_rows[coo.row] & ~far_cols[coo.col]
    out = sp.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=matrix.shape)
    out.sort_indices()
    return out


def _checked_points(
    network: nx.MultiDiGraph, demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Check that demand and sites are point GeoDataFrames; bring them to the network's CRS."""
    for name, gdf in (("demand", demand), ("sites", sites)):
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise InputError(f"{name}: expected a GeoDataFrame of points, got {type(gdf).__name__}")
        if len(gdf) and not (gdf.geometry.geom_type == "Point").all():
            raise InputError(f"{name}: expected Point geometries only")
        if gdf.crs is not None and network.graph.get("crs") is not None and gdf.crs != network.graph["crs"]:
            gdf = gdf.to_crs(network.graph["crs"])
            if name == "demand":
                demand = gdf
            else:
                sites = gdf
    return demand, sites


def labelled_coverage(
    matrix: sp.csr_matrix, limits: tuple[float, ...], demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame
) -> Coverage:
    """
    The :class:`Coverage` of ``matrix`` with the row / column labels and population of the inputs.

    Parameters
    ----------
    matrix
        Walking minutes, homes x sites, within the largest of ``limits``.
    limits
        The time limits (:func:`time_limits`).
    demand, sites
        The inputs (their ``demand_id`` / ``site_id`` and ``population`` when they have them;
        else positions and a population of one).

    Returns
    -------
    coverage
        The matrix with its labels.
    """
    population = demand["population"].to_numpy(float) if "population" in demand else np.ones(len(demand))
    demand_ids = (
        demand["demand_id"].astype(str).to_numpy() if "demand_id" in demand else np.arange(len(demand)).astype(str)
    )
    site_ids = sites["site_id"].astype(str).to_numpy() if "site_id" in sites else np.arange(len(sites)).astype(str)
    return Coverage(matrix, limits, demand_ids, site_ids, population)


def coverage_matrix(
    arrays: NetworkArrays, homes: Snapped, posts: Snapped, limit: float, *, threads: int | None = None
) -> sp.csr_matrix:
    """The sparse minutes matrix from snapped homes and sites (the compiled core)."""
    n_homes, n_sites = len(homes.edge), len(posts.edge)
    if n_homes == 0 or n_sites == 0:
        return sp.csr_matrix((n_homes, n_sites), dtype=np.float64)
    mpm = arrays.metres_per_minute
    # node -> homes attached to it (each home hangs off both ends of its street)
    att_node = np.concatenate([homes.node_u, homes.node_v])
    att_home = np.concatenate([np.arange(n_homes), np.arange(n_homes)])
    att_off = np.concatenate([homes.offset_u, homes.offset_v])
    order = np.argsort(att_node, kind="stable")
    node_ptr = np.zeros(arrays.n_nodes + 1, np.int64)
    np.cumsum(np.bincount(att_node, minlength=arrays.n_nodes), out=node_ptr[1:])
    # street -> homes on it (same-street walks)
    n_edges = len(arrays.edge_u)
    e_order = np.argsort(homes.edge, kind="stable")
    edge_ptr = np.zeros(n_edges + 1, np.int64)
    np.cumsum(np.bincount(homes.edge, minlength=n_edges), out=edge_ptr[1:])
    args = (
        arrays.indptr,
        arrays.indices,
        arrays.minutes,
        node_ptr,
        att_home[order].astype(np.int64),
        att_off[order],
        homes.access,
        edge_ptr,
        e_order.astype(np.int64),
        homes.along / mpm,
    )
    n_threads = threads or min(os.cpu_count() or 1, 8)
    n_threads = max(1, min(n_threads, n_sites // 64 or 1))
    bounds = np.linspace(0, n_sites, n_threads + 1).astype(np.int64)

    def run(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return search_sites(
            *args,
            posts.node_u[lo:hi],
            posts.node_v[lo:hi],
            posts.offset_u[lo:hi],
            posts.offset_v[lo:hi],
            posts.access[lo:hi],
            posts.edge[lo:hi],
            posts.along[lo:hi] / mpm,
            float(limit),
            arrays.n_nodes,
            n_homes,
            lo,
        )

    if n_threads == 1:
        parts = [run(0, n_sites)]
    else:
        with ThreadPoolExecutor(n_threads) as pool:
            parts = list(pool.map(run, bounds[:-1], bounds[1:]))
    rows = np.concatenate([p[0] for p in parts])
    cols = np.concatenate([p[1] for p in parts])
    vals = np.concatenate([p[2] for p in parts])
    matrix = sp.csr_matrix((vals, (rows, cols)), shape=(n_homes, n_sites))
    matrix.sort_indices()
    return matrix
