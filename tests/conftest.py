"""Shared fixtures: the embedded default (built once), small synthetic networks,
and the shared OSM extracts (skipped with a reason when absent)."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

import planner

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "osm"


#: the shared OSM extracts with buildings and places (porto_region_roads.osm.pbf holds roads only)
EXTRACTS = [
    "guixi_jiangxi.osm",
    "beijing_haidian_cau.osm",
    "beijing_haidian_zhongguancun.osm",
    "shenzhen_longgang.osm",
    "porto_centre.osm.pbf",
    "monaco.osm.pbf",
    "liechtenstein.osm.pbf",
]


def shared_file(name: str) -> Path:
    """Path of a shared OSM extract, or skip the test with the reason."""
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"shared data not available: {path} (the project's ../shared/data is absent on this machine)")
    return path


@pytest.fixture(scope="session")
def helsinki():
    """The embedded default network, demand and candidates (built once per session)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        network = planner.load_network()
        demand = planner.load_demand(network=network)
        sites = planner.load_candidates(network=network)
    return network, demand, sites


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
    for a, b in zip(order[:-1], order[1:]):
        pairs.add((min(int(a), int(b)), max(int(a), int(b))))
    mpm = speed_kmh * 1000 / 60
    for a, b in sorted(pairs):
        variants = [None]
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
    for i in range(n):
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
