"""Independent slow paths the tests check the fast code against.

For the optimisers: :func:`min_cover` (scipy's own MILP) and :func:`brute_median`
(every set of p sites). For the walks, nothing here uses planner's snapping or
search: points are attached to their nearest street by brute force over every
street geometry, the street is split at the attachment points, and networkx's
Dijkstra walks the result.
"""

from __future__ import annotations

import itertools
import re

import networkx as nx
import numpy as np
import shapely
from scipy.optimize import Bounds, LinearConstraint, milp


def split_graph(G: nx.MultiDiGraph, points: dict[str, shapely.Point]) -> nx.Graph:
    """Undirected graph (weights in minutes) with every point joined to its nearest street.

    Each street (u, v, key) a point attaches to is cut at the attachment points;
    the point hangs off its cut with the straight walk to the street.
    """
    mpm = G.graph["speed_kmh"] * 1000 / 60
    # one copy per street: walking is two-way, so (v, u) repeats (u, v) reversed
    edges = [(u, v, k, d) for u, v, k, d in G.edges(keys=True, data=True) if u <= v]
    geoms = [d["geometry"] for _, _, _, d in edges]
    on_edge: dict[int, list[tuple[float, str, float]]] = {}
    for name, pt in points.items():
        dist = np.array([g.distance(pt) for g in geoms])
        e = int(np.argmin(dist))
        along = geoms[e].project(pt)
        on_edge.setdefault(e, []).append((along, name, dist[e]))
    H = nx.Graph()

    def link(a, b, w):
        if H.has_edge(a, b):
            w = min(w, H[a][b]["weight"])
        H.add_edge(a, b, weight=w)

    for i, (u, v, _, d) in enumerate(edges):
        minutes = d["minutes"]
        length = d["geometry"].length
        if i not in on_edge:
            link(("n", u), ("n", v), minutes)
            continue
        chain = [(0.0, ("n", u))]
        for along, name, off in sorted(on_edge[i]):
            foot = ("foot", name)
            chain.append((along, foot))
            link(foot, ("p", name), off / mpm)
        chain.append((length, ("n", v)))
        for (x0, a), (x1, b) in zip(chain[:-1], chain[1:]):
            link(a, b, (x1 - x0) / length * minutes if length > 0 else 0.0)
    return H


def walking_minutes(G: nx.MultiDiGraph, homes, sites, limit: float) -> dict[tuple[int, int], float]:
    """{(home row, site row): minutes} for every pair within ``limit``, by networkx Dijkstra."""
    points = {f"h{i}": g for i, g in enumerate(homes.geometry)}
    points.update({f"s{j}": g for j, g in enumerate(sites.geometry)})
    H = split_graph(G, points)
    out = {}
    for j in range(len(sites)):
        lengths = nx.single_source_dijkstra_path_length(H, ("p", f"s{j}"), cutoff=limit + 1e-9, weight="weight")
        for node, t in lengths.items():
            if node[0] == "p" and node[1].startswith("h"):
                out[(int(node[1][1:]), j)] = t
    return out


def preclip(path, polygon, out):
    """The highway ways with a node in ``polygon``, whole, and their nodes: an OSM file written without planner.

    Every node is tested in Python; the ways are written with pyosmium's
    BackReferenceWriter, which adds the nodes they reference (what ``osmium
    extract --strategy complete_ways`` does, restricted to highways).
    """
    import osmium

    inside = set()
    for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
        loc = node.location
        if loc.valid() and shapely.intersects_xy(polygon, loc.lon, loc.lat):
            inside.add(node.id)
    with osmium.BackReferenceWriter(str(out), ref_src=str(path), overwrite=True) as writer:
        for way in osmium.FileProcessor(str(path), osmium.osm.WAY):
            if "highway" in way.tags and any(n.ref in inside for n in way.nodes):
                writer.add_way(way)
    return out


def min_cover(cover: np.ndarray, fixed=()) -> int:
    """Fewest columns of the 0/1 ``cover`` covering every row, ``fixed`` columns in (scipy's milp, no planner code)."""
    n = cover.shape[1]
    lower = np.zeros(n)
    lower[list(fixed)] = 1
    res = milp(
        np.ones(n),
        integrality=np.ones(n),
        bounds=Bounds(lower, np.ones(n)),
        constraints=LinearConstraint(cover.astype(float), 1, np.inf),
    )
    assert res.status == 0
    return round(res.fun)


def brute_median(d: np.ndarray, w: np.ndarray, p: int, req=()) -> float:
    """The p-median optimum by trying every set of p sites holding the required ones."""
    rest = [j for j in range(d.shape[1]) if j not in req]
    return min(float(w @ d[:, list(req) + list(s)].min(axis=1)) for s in itertools.combinations(rest, p - len(req)))


# ----------------------------------------------------------------- spreadsheets (OWASP's CSV injection)

#: the first characters that make Excel or WPS read a cell as a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: a cell that is a plain number (which may start with + or -)
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def guarded(name: str) -> str:
    """A text as a spreadsheet-safe CSV must hold it: a leading apostrophe before a formula-like start."""
    return "'" + name if name.startswith(FORMULA_START) else name


def formula_cells(rows: list[list[str]]) -> list[str]:
    """The cells of parsed CSV rows that a spreadsheet would open as a formula (none, in a safe file)."""
    return [cell for row in rows for cell in row if cell.startswith(FORMULA_START) and not NUMBER.fullmatch(cell)]
