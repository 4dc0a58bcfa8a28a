"""Building the walking network from segment arrays, vectorised.

:func:`build_network` turns :class:`planner.network.pbf.WalkingWays` (one row per segment
between consecutive nodes of a walkable way) into the projected, simplified
two-way ``MultiDiGraph`` the rest of the planner uses. It does in array code what
``osmnx.simplify_graph`` and ``osmnx.project_graph`` do edge by edge, with the
same rules, so the graph is the same:

* pieces of fewer than ``min_component_nodes`` nodes are dropped before and after
  simplifying (unless every piece is that small);
* a node is kept (an *endpoint*) unless it has exactly two distinct neighbours,
  exactly two segments and no self-loop (osmnx's rules on a two-way graph); the
  chains of other nodes between two endpoints become one edge each way, whose
  geometry runs through them, whose ``osmid`` / ``highway`` / ``name`` hold the
  one value of its segments or the list of their distinct values; rings with no
  endpoint are dropped;
* coordinates go to the UTM zone ``GeoSeries.estimate_utm_crs`` picks for the
  kept nodes (:func:`utm_crs`); ``length`` is measured on the projected geometry and ``minutes``
  is ``length`` at the walking speed.

Chains are ordered without walking them in Python: the chain's nodes form paths,
and an unweighted shortest-path search (scipy, compiled) from a virtual root tied
to one end of every chain gives each node its position.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra

from planner.network.pbf import WalkingWays, id_positions

__all__ = ["build_network", "gc_paused", "utm_crs"]

log = logging.getLogger(__name__)


def _small_pieces(n: int, a: np.ndarray, b: np.ndarray, min_nodes: int) -> np.ndarray:
    """Per node, whether its piece (undirected) has fewer than ``min_nodes`` nodes; all False if every piece does."""
    graph = sp.coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)).tocsr()
    _, label = connected_components(graph, directed=False)
    small = np.bincount(label)[label] < min_nodes
    used = np.zeros(n, bool)
    used[a] = used[b] = True
    if small[used].all():
        return np.zeros(n, bool)
    return small


def build_network(ways: WalkingWays, *, speed_kmh: float, min_component_nodes: int) -> nx.MultiDiGraph:
    """
    The projected, simplified two-way walking network of a set of segments.

    Parameters
    ----------
    ways
        Segments and nodes (WGS-84).
    speed_kmh
        Walking speed for ``minutes``.
    min_component_nodes
        Pieces with fewer nodes are dropped (before and after simplifying).

    Returns
    -------
    network
        ``MultiDiGraph`` with node ``x`` / ``y`` (metres), edges in both
        directions with ``osmid``, ``highway``, ``name`` (when known),
        ``geometry``, ``length`` and ``minutes``; ``graph["crs"]`` the UTM zone.
    """
    n = len(ways.node_id)
    # 1. small pieces of the raw network
    a, b, seg = _large_pieces(ways, min_component_nodes)
    # 2. endpoints: osmnx's rules on a two-way graph
    interior = _interior_nodes(n, a, b)
    # 3. chains of interior nodes
    direct = ~interior[a] & ~interior[b]
    chains = _chains(n, a, b, seg, interior)
    # 4. the simplified graph's edges (undirected for now): direct segments, then chains;
    # small pieces again, on the simplified graph
    keep_direct, keep_chain = _kept_edges(n, a[direct], b[direct], chains, min_component_nodes)
    # 5. projection: the UTM zone of the kept nodes, every node used by a kept edge
    ends = np.unique(
        np.concatenate(
            [a[direct][keep_direct], b[direct][keep_direct], chains.start_node[keep_chain], chains.end_node[keep_chain]]
        )
    )
    if not len(ends):
        return nx.MultiDiGraph(crs="EPSG:4326")
    kept_inner = np.repeat(keep_chain, chains.counts) if len(chains.start_node) else np.zeros(0, bool)
    crs, x, y = _project(ways, ends, chains.nodes_in[kept_inner])
    # 6. geometries: straight segments, and each chain through its nodes
    d_idx = np.flatnonzero(direct)[keep_direct]
    c_idx = np.flatnonzero(keep_chain)
    d_lines = _straight_lines(x, y, a[d_idx], b[d_idx])
    c_lines = _chain_lines(x, y, chains, c_idx, kept_inner)
    # 7. attributes: a direct segment's own; a chain's, the one value of its segments or the list of distinct values
    attrs = _segment_attributes(ways, seg[d_idx]) + _chain_attributes(ways, seg, chains.seg_chain, c_idx)
    # 8. the graph, both directions of every edge
    G = nx.MultiDiGraph(crs=crs, simplified=True, speed_kmh=speed_kmh)
    _add_nodes(G, ways.node_id[ends].tolist(), x[ends].tolist(), y[ends].tolist())
    first = np.concatenate([a[d_idx], chains.start_node[c_idx]])
    second = np.concatenate([b[d_idx], chains.end_node[c_idx]])
    _add_two_way_edges(G, ways.node_id, first, second, np.concatenate([d_lines, c_lines]), attrs, speed_kmh)
    return G


class _Chains(NamedTuple):
    """Chains of interior nodes between two endpoints, each to become one edge.

    ``start_node`` / ``end_node``: each chain's endpoints; ``nodes_in``: the
    chains' interior nodes, chain by chain, each in order from its start;
    ``counts``: how many each chain has; ``seg_chain``: per segment, its chain
    (``-1`` if none, ``-2`` in a ring that no endpoint touches).
    """

    start_node: np.ndarray
    end_node: np.ndarray
    nodes_in: np.ndarray
    counts: np.ndarray
    seg_chain: np.ndarray


def _large_pieces(ways: WalkingWays, min_nodes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Segments (node positions ``a`` -> ``b``, and their index in ``ways``) outside the raw network's small pieces."""
    a = id_positions(ways.node_id, ways.u)
    b = id_positions(ways.node_id, ways.v)
    seg = np.arange(len(a))
    small = _small_pieces(len(ways.node_id), a, b, min_nodes)
    keep = ~small[a]
    return a[keep], b[keep], seg[keep]


def _interior_nodes(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per node, whether it lies inside a chain: exactly two distinct neighbours, two segments and no self-loop."""
    loop = a == b
    degree = np.bincount(a, minlength=n) + np.bincount(b, minlength=n)  # segment ends (a loop counts twice)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    pairs = np.unique(np.stack([lo[~loop], hi[~loop]], axis=1), axis=0) if (~loop).any() else np.zeros((0, 2), np.int64)
    neighbours = np.bincount(pairs[:, 0], minlength=n) + np.bincount(pairs[:, 1], minlength=n)
    has_loop = np.zeros(n, bool)
    has_loop[a[loop]] = True
    return (neighbours == 2) & (degree == 2) & ~has_loop


def _chains(n: int, a: np.ndarray, b: np.ndarray, seg: np.ndarray, interior: np.ndarray) -> _Chains:
    """The chains of ``interior`` nodes, ordered without walking them in Python."""
    ia, ib = interior[a], interior[b]
    inner = ia & ib
    attach = ia ^ ib
    seg_chain = np.full(len(a), -1, np.int64)
    if not attach.any():
        empty = np.zeros(0, np.int64)
        return _Chains(empty, empty, empty, empty, seg_chain)
    inner_graph = sp.coo_matrix((np.ones(int(inner.sum())), (a[inner], b[inner])), shape=(n, n)).tocsr()
    _, label = connected_components(inner_graph, directed=False)
    start_node, end_node, start_in, chain_id = _chain_ends(a, b, seg, ia, attach, label)
    nodes_in, counts = _chain_order(n, a[inner], b[inner], interior, label, chain_id, start_in)
    chain_seg = ia | ib
    seg_label = np.where(ia, label[a], label[b])
    seg_chain[chain_seg] = np.searchsorted(chain_id, seg_label[chain_seg])
    # rings: interior pieces no endpoint touches (osmnx removes them)
    seg_chain[chain_seg & ~np.isin(seg_label, chain_id)] = -2
    return _Chains(start_node, end_node, nodes_in, counts, seg_chain)


def _chain_ends(
    a: np.ndarray, b: np.ndarray, seg: np.ndarray, ia: np.ndarray, attach: np.ndarray, label: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per chain (ordered by the ``label`` of its interior piece): start and end endpoints, first interior node, label.

    Each chain has two attachments (endpoint, first interior node); the one of
    the lower segment is its start.
    """
    att = np.flatnonzero(attach)
    att_end = np.where(ia[att], b[att], a[att])
    att_in = np.where(ia[att], a[att], b[att])
    att_label = label[att_in]
    order = np.lexsort((seg[att], att_label))
    att_end, att_in, att_label = att_end[order], att_in[order], att_label[order]
    first = np.ones(len(att), bool)
    first[1:] = att_label[1:] != att_label[:-1]
    start_k = np.flatnonzero(first)
    end_k = np.append(start_k[1:], len(att)) - 1
    chain_id = att_label[start_k]  # sorted: one per chain
    return att_end[start_k], att_end[end_k], att_in[start_k], chain_id


def _chain_order(
    n: int,
    inner_a: np.ndarray,
    inner_b: np.ndarray,
    interior: np.ndarray,
    label: np.ndarray,
    chain_id: np.ndarray,
    start_in: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The chains' interior nodes, chain by chain, each in order from its start, and how many each chain has.

    Position along each chain: an unweighted search (compiled) from a root tied
    to each chain's first interior node ``start_in``, over the segments between
    interior nodes (``inner_a`` -> ``inner_b``).
    """
    root = n
    rows = np.concatenate([inner_a, np.full(len(chain_id), root)])
    cols = np.concatenate([inner_b, start_in])
    walk_graph = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n + 1, n + 1)).tocsr()
    depth = dijkstra(walk_graph, directed=False, indices=root, unweighted=True)
    in_chain = interior & np.isin(label, chain_id)
    nodes_in = np.flatnonzero(in_chain)
    k_of = np.searchsorted(chain_id, label[nodes_in])
    order = np.lexsort((depth[nodes_in], k_of))
    nodes_in, k_of = nodes_in[order], k_of[order]
    return nodes_in, np.bincount(k_of, minlength=len(chain_id))


def _kept_edges(
    n: int, d_u: np.ndarray, d_v: np.ndarray, chains: _Chains, min_nodes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Which direct segments (``d_u`` -> ``d_v``) and chains lie outside the simplified graph's small pieces."""
    e_u = np.concatenate([d_u, chains.start_node])
    e_v = np.concatenate([d_v, chains.end_node])
    small = _small_pieces(n, e_u, e_v, min_nodes)
    return ~small[d_u], ~small[chains.start_node]


def _project(ways: WalkingWays, ends: np.ndarray, inner: np.ndarray) -> tuple[pyproj.CRS, np.ndarray, np.ndarray]:
    """The UTM zone of the nodes ``ends``, and every node's ``x`` / ``y`` in it (NaN but at ``ends`` and ``inner``)."""
    n = len(ways.node_id)
    crs = utm_crs(ways.lon[ends], ways.lat[ends])
    to_utm = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = np.full(n, np.nan), np.full(n, np.nan)
    used = np.zeros(n, bool)
    used[ends] = True
    used[inner] = True
    px, py = to_utm.transform(ways.lon[used], ways.lat[used])
    x[used], y[used] = px, py
    return crs, x, y


#: degrees from a UTM zone's edge (or the equator) within which :func:`utm_crs` asks pyproj
_UTM_EDGE_DEG = 1e-6


def utm_crs(lon: np.ndarray, lat: np.ndarray) -> pyproj.CRS:
    """
    The WGS 84 UTM zone ``GeoSeries.estimate_utm_crs`` picks for points, without its database query.

    geopandas takes the middle of the points' bounds and asks pyproj for the WGS 84 UTM
    CRSs whose area of use holds it, taking the first (about 0.08 s). Each zone's area is
    6 degrees of longitude from 180 W, the northern ones from the equator to 84 N, the
    southern ones from 80 S to the equator: inside them the zone follows from the middle
    alone (the same CRS for 460 random points, Norway and Svalbard among them). Points
    whose middle lies on or near an edge, or beyond 84 N / 80 S, are left to geopandas.

    Parameters
    ----------
    lon, lat
        The points' WGS 84 coordinates (degrees).

    Returns
    -------
    crs
        EPSG:326zz (north) or EPSG:327zz (south).
    """
    if len(lon):
        x = float(np.mean([np.nanmin(lon), np.nanmax(lon)]))  # the middle, as geopandas computes it
        y = float(np.mean([np.nanmin(lat), np.nanmax(lat)]))
        offset = (x + 180.0) / 6.0
        inside = -80.0 + _UTM_EDGE_DEG < y < 84.0 - _UTM_EDGE_DEG and abs(y) > _UTM_EDGE_DEG
        if inside and -180.0 < x < 180.0 and abs(offset - round(offset)) * 6.0 > _UTM_EDGE_DEG:
            return pyproj.CRS.from_epsg((32600 if y > 0 else 32700) + int(np.floor(offset)) + 1)
    return gpd.GeoSeries(shapely.points(lon, lat), crs="EPSG:4326").estimate_utm_crs()


def _straight_lines(x: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Two-point lines from nodes ``u`` to nodes ``v``."""
    return shapely.linestrings(np.stack([np.stack([x[u], y[u]], 1), np.stack([x[v], y[v]], 1)], 1))


def _chain_lines(
    x: np.ndarray, y: np.ndarray, chains: _Chains, c_idx: np.ndarray, kept_inner: np.ndarray
) -> np.ndarray:
    """Lines of the chains ``c_idx``, each from its start through its interior nodes to its end.

    ``kept_inner`` marks, in ``chains.nodes_in``, the interior nodes of the
    chains ``c_idx``.
    """
    if not len(c_idx):
        return np.zeros(0, dtype=object)
    c_counts = chains.counts[c_idx] + 2
    c_nodes = np.empty(int(c_counts.sum()), np.int64)
    c_first = np.cumsum(c_counts) - c_counts
    c_nodes[c_first] = chains.start_node[c_idx]
    c_nodes[c_first + c_counts - 1] = chains.end_node[c_idx]
    middle = np.ones(len(c_nodes), bool)
    middle[c_first] = middle[c_first + c_counts - 1] = False
    c_nodes[middle] = chains.nodes_in[kept_inner]  # chains in order, each from its start
    line_of = np.repeat(np.arange(len(c_idx)), c_counts)
    return shapely.linestrings(x[c_nodes], y[c_nodes], indices=line_of)


def _segment_attributes(ways: WalkingWays, rows: np.ndarray) -> list[dict[str, Any]]:
    """``highway``, ``osmid`` and ``name`` (when known) of the segments ``rows`` of ``ways``."""
    return [
        {"highway": hw, "osmid": int(oid), **({"name": nm} if isinstance(nm, str) else {})}
        for hw, oid, nm in zip(ways.highway[rows], ways.way_id[rows], ways.name[rows])
    ]


def _add_two_way_edges(
    G: nx.MultiDiGraph,
    ids: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    lines: np.ndarray,
    attrs: list[dict[str, Any]],
    speed_kmh: float,
) -> None:
    """Each edge (node positions ``first`` -> ``second`` along ``lines``) both ways, with ``length`` and ``minutes``.

    Edges go in this order: (u, v) then (v, u) for each edge; the reverse
    direction runs along the reversed line.
    """
    mpm = speed_kmh * 1000.0 / 60.0
    src = np.stack([first, second], 1).ravel()
    dst = np.stack([second, first], 1).ravel()
    both = np.stack([lines, shapely.reverse(lines)], 1).ravel() if len(lines) else lines
    lengths = np.repeat(shapely.length(lines) if len(lines) else np.zeros(0), 2)
    attrs_all = [data for data in attrs for _ in range(2)]
    _add_edges(
        G,
        ids[src].tolist(),
        ids[dst].tolist(),
        _edge_keys(src, dst).tolist(),
        (
            {**data, "geometry": line, "length": length, "minutes": length / mpm}
            for data, line, length in zip(attrs_all, both, lengths.tolist())
        ),
    )


def _edge_keys(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Keys 0, 1, 2... among the edges from one node to another, in their order (networkx's own numbering)."""
    order = np.lexsort((np.arange(len(src)), dst, src))
    new_pair = np.r_[True, (src[order][1:] != src[order][:-1]) | (dst[order][1:] != dst[order][:-1])]
    run_start = np.maximum.accumulate(np.where(new_pair, np.arange(len(src)), 0))
    keys = np.empty(len(src), np.int64)
    keys[order] = np.arange(len(src)) - run_start
    return keys


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """
    Pause Python's cyclic garbage collector while a network's many small objects are made.

    Building a region's graph creates a few hundred thousand dicts and tuples (none in reference
    cycles); each burst of them triggers full collections that cost a third of the build.

    Yields
    ------
    None
        Inside the ``with`` block the collector is off; it is turned back on
        afterwards if it was on before.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _clear_cache(G: nx.MultiDiGraph) -> None:
    clear = getattr(nx, "_clear_cache", None)  # networkx >= 3.3 caches views and backends per graph
    if clear is not None:
        clear(G)


def _add_nodes(G: nx.MultiDiGraph, ids: list[int], xs: list[float], ys: list[float]) -> None:
    """``G.add_nodes_from`` for new nodes with ``x`` / ``y``, filling networkx's node and adjacency dicts at once."""
    G._node.update({n: {"x": x, "y": y} for n, x, y in zip(ids, xs, ys)})
    G._succ.update({n: G.adjlist_inner_dict_factory() for n in ids})
    G._pred.update({n: G.adjlist_inner_dict_factory() for n in ids})
    _clear_cache(G)


def _add_edges(
    G: nx.MultiDiGraph, us: list[int], vs: list[int], keys: list[int], datas: Iterable[dict[str, Any]]
) -> None:
    """
    ``G.add_edges_from`` for edges between existing nodes with distinct keys, in the same order.

    networkx's own method checks and wraps every edge (most of the build's time on a region);
    this writes the same dicts directly: ``G._succ[u][v]`` and ``G._pred[v][u]`` are one key dict
    mapping each key to the edge's attribute dict, as :meth:`networkx.MultiDiGraph.add_edge` leaves them.
    """
    succ, pred = G._succ, G._pred
    new_keydict = G.edge_key_dict_factory
    for u, v, k, data in zip(us, vs, keys, datas):
        nbrs = succ[u]
        keydict = nbrs.get(v)
        if keydict is None:
            keydict = nbrs[v] = pred[v][u] = new_keydict()
        keydict[k] = data
    _clear_cache(G)


def _chain_attributes(
    ways: WalkingWays, seg: np.ndarray, seg_chain: np.ndarray, c_idx: np.ndarray
) -> list[dict[str, Any]]:
    """Per kept chain, ``osmid`` / ``highway`` / ``name``: the single value, or the sorted list of distinct values."""
    if not len(c_idx):
        return []
    pos = np.full(int(seg_chain.max()) + 1 if len(seg_chain) else 0, -1, np.int64)
    pos[c_idx] = np.arange(len(c_idx))
    rows = np.flatnonzero(seg_chain >= 0)
    rows = rows[pos[seg_chain[rows]] >= 0]
    frame = pd.DataFrame(
        {
            "k": pos[seg_chain[rows]],
            "osmid": ways.way_id[seg[rows]].astype(np.int64),
            "highway": ways.highway[seg[rows]],
            "name": ways.name[seg[rows]],
        }
    )
    out: list[dict[str, Any]] = [{} for _ in range(len(c_idx))]
    for column in ("osmid", "highway", "name"):
        part = frame[["k", column]]
        if column == "name":
            part = part[part["name"].map(lambda v: isinstance(v, str))]
        part = part.drop_duplicates().sort_values(["k", column], kind="stable")
        ks = part["k"].to_numpy()
        values = part[column].to_numpy(object)
        if not len(ks):
            continue
        starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
        sizes = np.diff(np.r_[starts, len(ks)])
        for k, value in zip(ks[starts[sizes == 1]], values[starts[sizes == 1]]):
            out[k][column] = int(value) if column == "osmid" else value
        for start, size in zip(starts[sizes > 1], sizes[sizes > 1]):  # the few chains of several ways
            group = values[start : start + size]
            out[ks[start]][column] = [int(v) for v in group] if column == "osmid" else list(group)
    return out
