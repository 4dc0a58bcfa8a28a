"""Array views of a walking network, shared by coverage and isochrones.

Built once per graph object and cached (weakly) so that several stages can reuse
the CSR adjacency, the undirected edge table and its spatial index. The
nearest-street cells that isochrones clip to are built in :mod:`.cells`; the
snapping of points to streets lives in :mod:`.snapping`.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from planner.errors import InputError
from planner.reach.cells import Cells, build_cells, sample_spacing
from planner.reach.segments import Segments, expand_ranges, street_segments

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

__all__ = ["PIECE_M", "NetworkArrays", "Pieces", "network_arrays", "street_lines"]

#: longest piece of street in the nearest-street index (metres)
PIECE_M = 20.0

_CACHE: weakref.WeakKeyDictionary[nx.MultiDiGraph, NetworkArrays] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class NetworkArrays:
    """The network as arrays.

    Attributes
    ----------
    node_ids
        OSM node id of each node index.
    indptr, indices, minutes
        CSR adjacency over node indices; ``minutes`` is the shortest of parallel edges.
    edge_u, edge_v
        Node indices of each undirected edge (one row per street, not per direction).
    edge_minutes
        Walking minutes along each undirected edge.
    edge_geoms
        Shapely lines of the undirected edges, drawn from ``edge_u`` to ``edge_v``.
    tree
        ``shapely.STRtree`` over ``edge_geoms``.
    metres_per_minute
        Walking speed of the network.
    """

    node_ids: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    minutes: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_minutes: np.ndarray
    edge_geoms: np.ndarray
    tree: shapely.STRtree
    metres_per_minute: float

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    @cached_property
    def segments(self) -> Segments:
        """Every straight segment of every street, in street order (see :func:`planner.reach.segments.street_segments`)."""
        return street_segments(self.edge_geoms)

    @cached_property
    def fine_spacing(self) -> np.ndarray:
        """Sample spacing of each segment for the cells, finer beside another street.

        See :func:`planner.reach.cells.sample_spacing`; measured over the whole
        network, so that the cells of a few streets match the whole network's.
        """
        return sample_spacing(self.segments)

    @cached_property
    def node_streets(self) -> tuple[np.ndarray, np.ndarray]:
        """CSR (pointer, street indices) from each node to the streets that end at it."""
        ends = np.concatenate([self.edge_u, self.edge_v])
        street = np.concatenate([np.arange(len(self.edge_u)), np.arange(len(self.edge_u))])
        order = np.argsort(ends, kind="stable")
        ptr = np.zeros(self.n_nodes + 1, np.int64)
        np.cumsum(np.bincount(ends, minlength=self.n_nodes), out=ptr[1:])
        return ptr, street[order]

    @cached_property
    def pieces(self) -> Pieces:
        """Segments cut into pieces of at most :data:`PIECE_M` metres, with a k-d tree of their midpoints."""
        from scipy.spatial import cKDTree

        seg = self.segments
        parts = np.maximum(1, np.ceil(seg.length / PIECE_M)).astype(np.int64)
        owner, idx = expand_ranges(np.zeros_like(parts), parts)
        f0 = idx / parts[owner]
        f1 = (idx + 1) / parts[owner]
        d = seg.end[owner] - seg.start[owner]
        start = seg.start[owner] + d * f0[:, None]
        end = seg.start[owner] + d * f1[:, None]
        length = seg.length[owner] / parts[owner]
        x0 = seg.x0[owner] + seg.length[owner] * f0
        mid = (start + end) / 2
        return Pieces(
            start, end, seg.edge[owner], x0, length, float(length.max() / 2 if len(length) else 0.0), cKDTree(mid)
        )

    @cached_property
    def cells(self) -> Cells:
        """Nearest-segment and nearest-street cells of the whole network (see :class:`Cells`).

        Computed once per network from a Voronoi diagram of points every
        :data:`~planner.reach.cells.CELL_SPACING_M` metres along the streets
        (sparser on networks longer than
        :data:`~planner.reach.cells.CELL_MAX_POINTS` x 2 m, so that the work
        stays bounded; every segment keeps at least its ends and midpoint).
        """
        return self.cells_of(None)

    def cells_near(self, points: np.ndarray, reach_m: float) -> Cells:
        """Cells exact within ``reach_m`` of the streets that lie within ``reach_m`` of ``points``.

        Parameters
        ----------
        points
            Shapely points in the network's CRS.
        reach_m
            How far from the streets the cells must be exact (metres).

        Returns
        -------
        cells
            Per segment and per street of the whole network: the whole
            network's cells when they exist or when the neighbourhood holds
            most of the network, else those of the streets within
            ``3 * reach_m`` of ``points`` (a point that close to such a street
            has its nearest street within ``2 * reach_m`` of it).
        """
        if "cells" in self.__dict__:
            return self.cells
        near = np.unique(self.tree.query(points, predicate="dwithin", distance=3 * reach_m)[1])
        if self.edge_minutes[near].sum() > 0.5 * self.edge_minutes.sum():
            return self.cells
        return self.cells_of(near)

    def cells_of(self, streets: np.ndarray | None) -> Cells:
        """Cells of the diagram of ``streets`` only (all when ``None``); other streets get empty cells.

        Parameters
        ----------
        streets
            Street (undirected edge) indices, or ``None`` for every street.

        Returns
        -------
        cells
            Per segment and per street of the whole network (see
            :func:`planner.reach.cells.build_cells`).
        """
        return build_cells(self.segments, self.edge_geoms, streets, lambda: self.fine_spacing)


@dataclass(frozen=True)
class Pieces:
    """Short pieces of the segments, for exact nearest-street search.

    ``x0`` is the distance of a piece's start from its street's start, ``half_max``
    half the longest piece, ``tree`` a ``scipy.spatial.cKDTree`` of the midpoints.
    """

    start: np.ndarray
    end: np.ndarray
    edge: np.ndarray
    x0: np.ndarray
    length: np.ndarray
    half_max: float
    tree: cKDTree


def network_arrays(G: nx.MultiDiGraph) -> NetworkArrays:
    """Array view of ``G`` (cached per graph object).

    Parameters
    ----------
    G
        Projected walking network from :func:`planner.load_network` (edges with
        ``minutes``, ``length`` and ``geometry``; ``graph["speed_kmh"]``).

    Returns
    -------
    arrays
        The same object for every call with the same graph.

    Raises
    ------
    InputError
        If the network has no edges, no ``speed_kmh`` or edges without
        ``minutes`` / ``geometry``.
    """
    cached = _CACHE.get(G)
    if cached is not None:
        return cached
    if G.number_of_edges() == 0:
        raise InputError("network has no edges; expected a walking network from planner.load_network")
    speed = G.graph.get("speed_kmh")
    if speed is None:
        raise InputError("network has no 'speed_kmh' graph attribute; build it with planner.load_network")
    node_ids = np.fromiter(G.nodes, dtype=np.int64, count=G.number_of_nodes())
    position = {n: i for i, n in enumerate(G.nodes)}
    rows = []
    for u, v, _k, d in G.edges(keys=True, data=True):
        if "minutes" not in d or "geometry" not in d:
            raise InputError("network edges need 'minutes' and 'geometry'; build the network with planner.load_network")
        rows.append((position[u], position[v], float(d["minutes"]), float(d["length"]), d["geometry"]))
    table = pd.DataFrame(rows, columns=["u", "v", "minutes", "length", "geometry"])
    # adjacency: shortest of parallel edges
    best = table.sort_values(["u", "v", "minutes"]).drop_duplicates(["u", "v"])
    n = len(node_ids)
    adj = sp.csr_matrix((best["minutes"].to_numpy(), (best["u"].to_numpy(), best["v"].to_numpy())), shape=(n, n))
    adj.sort_indices()
    # one row per street: drop the reverse copy of each two-way edge
    table["a"] = np.minimum(table["u"], table["v"])
    table["b"] = np.maximum(table["u"], table["v"])
    table["mm"] = np.round(table["length"].to_numpy() * 1000).astype(np.int64)
    streets = table.sort_values(["a", "b", "mm", "u"], kind="stable").drop_duplicates(["a", "b", "mm"])
    geoms = np.asarray(streets["geometry"].to_numpy(), dtype=object)
    arrays = NetworkArrays(
        node_ids=node_ids,
        indptr=adj.indptr.astype(np.int64),
        indices=adj.indices.astype(np.int64),
        minutes=adj.data.astype(np.float64),
        edge_u=streets["u"].to_numpy(np.int64),
        edge_v=streets["v"].to_numpy(np.int64),
        edge_minutes=streets["minutes"].to_numpy(np.float64),
        edge_geoms=geoms,
        tree=shapely.STRtree(geoms),
        metres_per_minute=float(speed) * 1000.0 / 60.0,
    )
    _CACHE[G] = arrays
    return arrays


def street_lines(network: nx.MultiDiGraph) -> list[np.ndarray]:
    """
    Every street of a network once, as drawn: the two directions of a street merged.

    Parameters
    ----------
    network
        A walking network (projected or not); an edge without ``geometry`` is the
        straight line between its nodes.

    Returns
    -------
    list of ndarray
        One ``(n, 2)`` array of x, y per street, in the network's CRS and edge order.
    """
    seen: set[tuple[object, object, object]] = set()
    lines: list[np.ndarray] = []
    for u, v, k, data in network.edges(keys=True, data=True):
        key = (min(u, v), max(u, v), k)
        if key in seen:
            continue
        seen.add(key)
        geom = data.get("geometry")
        if geom is not None:
            lines.append(shapely.get_coordinates(geom))
        else:
            a, b = network.nodes[u], network.nodes[v]
            lines.append(np.array([[a["x"], a["y"]], [b["x"], b["y"]]]))
    return lines
