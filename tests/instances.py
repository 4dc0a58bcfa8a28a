"""Seeded instances shared by the tests (and the benchmarks): random homes x sites minute
matrices, road-like all-pairs minutes (among them ``bench_median.py``'s), homes and sites
clustered around compounds, small matrices drawn by hypothesis, random street networks
with points near them, and a tiny hand-made plan in Beijing.

The same seed gives the same instance on every run, so the figures the tests
assert stay fixed.
"""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import networkx as nx
import numpy as np
import scipy.sparse as sp
import shapely
from hypothesis import strategies as st
from scipy.sparse.csgraph import shortest_path
from scipy.spatial import Delaunay, cKDTree

INF = np.inf


# --------------------------------------------------------------------------- road-like all-pairs minutes


def road_minutes(n: int, seed: int) -> np.ndarray:
    """All-pairs walking minutes on a seeded road-like graph (Delaunay edges, 0-30 % detours, 80 m a minute)."""
    rng = np.random.default_rng([17, n, seed])
    xy = rng.uniform(0, 100.0 * np.sqrt(n), (n, 2))
    tri = Delaunay(xy).simplices
    e = np.unique(np.sort(np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [0, 2]]]), axis=1), axis=0)
    length = np.hypot(*(xy[e[:, 0]] - xy[e[:, 1]]).T) * rng.uniform(1.0, 1.3, len(e))
    g = sp.csr_matrix((length, (e[:, 0], e[:, 1])), shape=(n, n))
    return np.round(shortest_path(g, directed=False) / 80.0, 3)


def bench_road(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``bench_median.py``'s instance: all-pairs walking minutes on a seeded road-like graph of ``n`` nodes, and weights.

    ``rng = default_rng([20250117, n])``; nodes uniform in a square of side ``100 * sqrt(n)``
    metres, streets the Delaunay edges, each 1.0-1.3 times its straight length; shortest
    paths at 80 m a minute, rounded to 0.001; then the weights ``rng.integers(1, 101, n)``.
    """
    rng = np.random.default_rng([20250117, n])
    xy = rng.uniform(0.0, 100.0 * np.sqrt(n), (n, 2))
    tri = Delaunay(xy).simplices
    edges = np.unique(np.sort(np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [0, 2]]]), axis=1), axis=0)
    length = np.hypot(*(xy[edges[:, 0]] - xy[edges[:, 1]]).T) * rng.uniform(1.0, 1.3, len(edges))
    graph = sp.csr_matrix((length, (edges[:, 0], edges[:, 1])), shape=(n, n))
    minutes = np.round(shortest_path(graph, directed=False) / 80.0, 3)
    return minutes, rng.integers(1, 101, n).astype(float)


def dense_road(n: int, seed: int) -> np.ndarray:
    """Dense seeded minutes: Euclidean distances with detours, each home's own site 0.01 away.

    (A sparse matrix drops zeros, out of reach: the diagonal keeps each home's own site.)
    """
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 10, (n, 2))
    d = np.round(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) * rng.uniform(1, 1.3, (n, n)), 2)
    np.fill_diagonal(d, 0.01)
    return d


# --------------------------------------------------------------------------- homes around compounds

#: walking speed (metres a minute) and the radius (minutes) of the compound instances: 5 minutes is 400 m
COMPOUND_SPEED = 80.0
COMPOUND_RADIUS = 5.0


def compound_csr(seed: int, n_homes: int, n_sites: int, sites_per_compound: float = 4.5):
    """Sparse minutes (within 5 minutes) and distinct weights: homes and sites clustered around compounds.

    ``bench_optimize.py``'s dense family at test size: compound centres uniform in a
    square, homes 150 m and sites 200 m (normal spread) around a random compound each.
    """
    rng = np.random.default_rng([seed, n_homes, n_sites])
    side = math.sqrt(n_sites * math.pi * 400.0**2 / 0.5)
    centres = rng.uniform(0.0, side, (max(1, round(n_sites / sites_per_compound)), 2))
    homes = centres[rng.integers(0, len(centres), n_homes)] + rng.normal(0.0, 150.0, (n_homes, 2))
    sites = centres[rng.integers(0, len(centres), n_sites)] + rng.normal(0.0, 200.0, (n_sites, 2))
    weights = 1.0 + 49.0 * rng.permutation(n_homes) / n_homes
    reach_m = COMPOUND_RADIUS * COMPOUND_SPEED
    coo = cKDTree(homes).sparse_distance_matrix(cKDTree(sites), reach_m, output_type="coo_matrix")
    keep = coo.data / COMPOUND_SPEED <= COMPOUND_RADIUS
    minutes = sp.csr_matrix((coo.data[keep] / COMPOUND_SPEED, (coo.row[keep], coo.col[keep])), shape=(n_homes, n_sites))
    return minutes, weights


def compound_instance(seed: int, n_homes: int, n_sites: int, sites_per_compound: float = 4.5):
    """:func:`compound_csr` as a dense matrix (``inf``: beyond 5 minutes)."""
    m, weights = compound_csr(seed, n_homes, n_sites, sites_per_compound)
    dense = np.full(m.shape, np.inf)
    coo = m.tocoo()
    dense[coo.row, coo.col] = coo.data
    return dense, weights


# --------------------------------------------------------------------------- minute matrices


def random_minutes(seed: int, n_homes: int, n_sites: int, *, p_inf: float = 0.35, top: int = 10, integer: bool = True):
    """Dense homes x sites minutes, ``inf`` for unreachable pairs, and home weights.

    Integer minutes in 0..top (the default: 0..10) make ties and entries exactly
    equal to a radius of 5 common, so brute forces (``<=``) also check the
    inclusive limit; ``integer=False`` draws continuous minutes in [0, top).
    A share ``p_inf`` of the pairs is unreachable; weights are in [0.5, 20).
    """
    rng = np.random.default_rng(seed)
    if integer:
        cost = rng.integers(0, top + 1, size=(n_homes, n_sites)).astype(float)
    else:
        cost = rng.uniform(0.0, float(top), size=(n_homes, n_sites))
    cost[rng.random((n_homes, n_sites)) < p_inf] = INF
    weights = rng.uniform(0.5, 20.0, size=n_homes)
    return cost, weights


def to_csr(cost: np.ndarray) -> sp.csr_matrix:
    """Sparse minutes: stored entries are the finite minutes (explicit zeros kept)."""
    rows, cols = np.nonzero(np.isfinite(cost))
    return sp.csr_matrix((cost[rows, cols], (rows, cols)), shape=cost.shape)


#: minutes for hypothesis' small matrices: ties, the radius 5 itself, and unreachable pairs
MINUTES = st.sampled_from([0.0, 1.0, 2.5, 4.0, 5.0, 5.5, 8.0, INF, INF])


@st.composite
def minute_matrices(draw, *, homes: tuple[int, int], sites: tuple[int, int], max_weight: int):
    """A (homes x sites minutes, integer weights) pair; ``homes`` / ``sites``: (fewest, most)."""
    n_homes = draw(st.integers(*homes))
    n_sites = draw(st.integers(*sites))
    flat = draw(st.lists(MINUTES, min_size=n_homes * n_sites, max_size=n_homes * n_sites))
    weights = draw(st.lists(st.integers(0, max_weight), min_size=n_homes, max_size=n_homes))
    return np.array(flat, float).reshape(n_homes, n_sites), np.array(weights, float)


# --------------------------------------------------------------------------- street networks


def synthetic_network(seed: int, n_nodes: int = 40, *, speed_kmh: float = 4.8, bends: bool = True) -> nx.MultiDiGraph:
    """A random connected two-way street network in a projected CRS.

    Nodes are random points in a 1.2 km square joined to their nearest
    neighbours; some streets bend (an extra vertex), and a few node pairs get a
    second, longer parallel street.
    """
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1200, size=(n_nodes, 2))
    G = nx.MultiDiGraph(crs="EPSG:32650", speed_kmh=speed_kmh, simplified=True)
    for i, (x, y) in enumerate(xy):
        G.add_node(i, x=float(x), y=float(y))
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    pairs = set()
    for i in range(n_nodes):
        for j in np.argsort(d[i])[1:4]:
            pairs.add((min(i, int(j)), max(i, int(j))))
    # keep it connected: chain in x order
    order = np.argsort(xy[:, 0])
    for a, b in itertools.pairwise(order):
        pairs.add((min(int(a), int(b)), max(int(a), int(b))))
    mpm = speed_kmh * 1000 / 60
    for a, b in sorted(pairs):
        variants: list[np.ndarray | None] = [None]
        if rng.random() < 0.1:
            variants.append(rng.uniform(-200, 200, 2))  # a parallel street with a detour
        for k, detour in enumerate(variants):
            pa, pb = xy[a], xy[b]
            if detour is None and bends and rng.random() < 0.4:
                detour = rng.uniform(-60, 60, 2)
            coords = [pa, (pa + pb) / 2 + detour, pb] if detour is not None else [pa, pb]
            line = shapely.LineString(coords)
            data = {"length": line.length, "minutes": line.length / mpm}
            G.add_edge(a, b, key=k, geometry=line, **data)
            G.add_edge(b, a, key=k, geometry=shapely.LineString(coords[::-1]), **data)
    return G


def random_points(G: nx.MultiDiGraph, n: int, seed: int, prefix: str) -> gpd.GeoDataFrame:
    """Points near the network: a third exactly on streets, a few on nodes, the rest scattered."""
    rng = np.random.default_rng(seed)
    lines = [d["geometry"] for _, _, d in G.edges(data=True)]
    pts = []
    for _i in range(n):
        r = rng.random()
        if r < 0.33:
            line = lines[rng.integers(len(lines))]
            pts.append(line.interpolate(rng.random(), normalized=True))
        elif r < 0.4:
            node = list(G.nodes)[rng.integers(G.number_of_nodes())]
            pts.append(shapely.Point(G.nodes[node]["x"], G.nodes[node]["y"]))
        else:
            pts.append(shapely.Point(rng.uniform(-50, 1250, 2)))
    ids = [f"{prefix}{i:04d}" for i in range(n)]
    return gpd.GeoDataFrame(
        {"demand_id" if prefix == "h" else "site_id": ids, "population": rng.integers(1, 100, n).astype(float)},
        geometry=pts,
        crs=G.graph["crs"],
    )


def network_instance(seed: int, n_homes: int = 30, n_sites: int = 10):
    """A :func:`synthetic_network` with :func:`random_points` homes and sites near it: (graph, homes, sites)."""
    G = synthetic_network(seed)
    return G, random_points(G, n_homes, seed + 1, "h"), random_points(G, n_sites, seed + 2, "s")


# --------------------------------------------------------------------------- a plan drawn by hand


def beijing_plan():
    """A tiny plan in Beijing: 2 proposed + 1 existing station, 3 homes, 1 candidate, 1 walking area, 3 streets.

    Returns (stations, walking areas, homes, covered flags, candidates, street graph), all in EPSG:4326.
    """
    stations = gpd.GeoDataFrame(
        {
            "site_id": ["s1", "s2", "e1"],
            "name": ["甲站", "Station B", "现有站"],
            "population_covered": [120.0, 80.0, 40.0],
            "existing": [False, False, True],
            "tier": ["grid", "grid", "grid"],
            "kind": ["park", "townhall", "file"],
        },
        geometry=[shapely.Point(116.3911, 39.9071), shapely.Point(116.3987, 39.9123), shapely.Point(116.4021, 39.9002)],
        crs="EPSG:4326",
    )
    iso = gpd.GeoDataFrame(
        {"site_id": ["s1"]},
        geometry=[
            shapely.Polygon([(116.3801, 39.9011), (116.3851, 39.9011), (116.3851, 39.9041), (116.3801, 39.9041)])
        ],
        crs="EPSG:4326",
    )
    demand = gpd.GeoDataFrame(
        {"demand_id": ["h1", "h2", "h3"], "population": [50.0, 30.0, 70.0]},
        geometry=[shapely.Point(116.3931, 39.9083), shapely.Point(116.4101, 39.9151), shapely.Point(116.4155, 39.8977)],
        crs="EPSG:4326",
    )
    candidates = gpd.GeoDataFrame(
        {"site_id": ["c1"], "name": ["候选"], "kind": ["library"]},
        geometry=[shapely.Point(116.3877, 39.9199)],
        crs="EPSG:4326",
    )
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for n, (x, y) in enumerate([(116.3703, 39.8903), (116.3753, 39.8953), (116.3803, 39.8903)]):
        G.add_node(n, x=x, y=y)
    for u, v in ((0, 1), (1, 2)):
        G.add_edge(u, v, 0)
        G.add_edge(v, u, 0)
    return stations, iso, demand, np.array([True, False, False]), candidates, G
