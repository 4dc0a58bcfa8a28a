"""Independent slow paths the tests check the fast code against.

For the optimisers: :func:`min_cover` and :func:`assignment_pmedian` (scipy's own
MILP on the textbook models), :func:`brute_lscp`, :func:`brute_mclp` and
:func:`brute_median` (every set of sites). For the walks, nothing here uses
planner's snapping or search: points are attached to their nearest street by brute
force over every street geometry, the street is split at the attachment points, and
networkx's Dijkstra walks the result. For China's datums: the published formulas,
point by point with the math module. For the pages: the escapes undone by a regular
expression. None of it imports planner.
"""

from __future__ import annotations

import itertools
import math
import re

import networkx as nx
import numpy as np
import scipy.sparse as sp
import shapely
from pyproj import Geod
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
        for (x0, a), (x1, b) in itertools.pairwise(chain):
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


def assignment_pmedian(cost: np.ndarray, w: np.ndarray, p: int) -> float:
    """The classic p-median MILP (one x_ij per pair: each home assigned once, to an open site), sparse, by scipy / HiGHS."""
    n_h, n_s = cost.shape
    n = n_s + n_h * n_s
    c = np.r_[np.zeros(n_s), (w[:, None] * cost).ravel()]
    pair = np.arange(n_h * n_s)
    assign = sp.csr_matrix((np.ones(n_h * n_s), (pair // n_s, n_s + pair)), shape=(n_h, n))
    link = sp.csr_matrix(
        (np.r_[np.ones(len(pair)), -np.ones(len(pair))], (np.r_[pair, pair], np.r_[n_s + pair, pair % n_s])),
        shape=(len(pair), n),
    )
    count = sp.csr_matrix(np.r_[np.ones(n_s), np.zeros(n_h * n_s)][None, :])
    res = milp(
        c,
        integrality=np.r_[np.ones(n_s), np.zeros(n - n_s)],
        bounds=Bounds(0, 1),
        constraints=[LinearConstraint(assign, 1, 1), LinearConstraint(link, -np.inf, 0), LinearConstraint(count, p, p)],
    )
    assert res.status == 0
    return float(res.fun)


def brute_lscp(A: np.ndarray, required=()) -> tuple[int, tuple[int, ...]]:
    """Smallest set of columns of the 0/1 ``A`` (a superset of ``required``) covering every coverable row."""
    coverable = A.any(axis=1)
    required = tuple(sorted(set(required)))
    others = [j for j in range(A.shape[1]) if j not in required]
    for k in range(len(others) + 1):
        for extra in itertools.combinations(others, k):
            cols = list(required + extra)
            if np.all(A[:, cols].any(axis=1) >= coverable):
                return len(cols), tuple(sorted(cols))
    raise AssertionError("all columns together must cover every coverable row")


def brute_mclp(A: np.ndarray, w: np.ndarray, p: int, required=()) -> float:
    """Largest weight of the rows of the 0/1 ``A`` covered by p columns containing ``required``, over every choice."""
    required = tuple(sorted(set(required)))
    others = [j for j in range(A.shape[1]) if j not in required]
    best = -1.0
    for extra in itertools.combinations(others, p - len(required)):
        cols = list(required + extra)
        best = max(best, float(w[A[:, cols].any(axis=1)].sum()))
    return best


# ----------------------------------------------------------------- China's map datums
# Written from the published formulas, point by point with the math module, on purpose
# sharing no code with planner.io.datums.

#: the Krasovsky ellipsoid GCJ-02 is defined on: semi-major axis (m) and squared eccentricity
KRASOVSKY_A = 6378245.0
KRASOVSKY_EE = 0.00669342162296594323
GEOD = Geod(ellps="WGS84")


def geodesic_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distances (m) on the WGS-84 ellipsoid (pyproj's Geod)."""
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """The published WGS-84 -> GCJ-02 shift of one point (unchanged outside the published China box)."""
    west, south, east, north = 72.004, 0.8293, 137.8347, 55.8271
    if not (west <= lon <= east and south <= lat <= north):
        return lon, lat
    x, y = lon - 105.0, lat - 35.0
    t_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y**2 + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    t_lat += (20.0 * math.sin(6.0 * math.pi * x) + 20.0 * math.sin(2.0 * math.pi * x)) * 2.0 / 3.0
    t_lat += (20.0 * math.sin(math.pi * y) + 40.0 * math.sin(math.pi * y / 3.0)) * 2.0 / 3.0
    t_lat += (160.0 * math.sin(math.pi * y / 12.0) + 320.0 * math.sin(math.pi * y / 30.0)) * 2.0 / 3.0
    t_lon = 300.0 + x + 2.0 * y + 0.1 * x**2 + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    t_lon += (20.0 * math.sin(6.0 * math.pi * x) + 20.0 * math.sin(2.0 * math.pi * x)) * 2.0 / 3.0
    t_lon += (20.0 * math.sin(math.pi * x) + 40.0 * math.sin(math.pi * x / 3.0)) * 2.0 / 3.0
    t_lon += (150.0 * math.sin(math.pi * x / 12.0) + 300.0 * math.sin(math.pi * x / 30.0)) * 2.0 / 3.0
    phi = math.radians(lat)
    w = 1.0 - KRASOVSKY_EE * math.sin(phi) ** 2
    m = KRASOVSKY_A * (1.0 - KRASOVSKY_EE) / w**1.5  # meridional radius of curvature
    n = KRASOVSKY_A / math.sqrt(w)  # prime-vertical radius of curvature
    return lon + math.degrees(t_lon / (n * math.cos(phi))), lat + math.degrees(t_lat / m)


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """The published GCJ-02 -> BD-09 (Baidu) shift of one point."""
    x_pi = math.pi * 3000.0 / 180.0
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * x_pi)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * x_pi)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def wgs84_to_gcj02_points(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """:func:`wgs84_to_gcj02` over arrays of points."""
    pairs = np.array([wgs84_to_gcj02(float(a), float(b)) for a, b in zip(np.ravel(lon), np.ravel(lat))]).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


# ----------------------------------------------------------------- pages


def unescape_js(page: str) -> str:
    """Undo the ``\\uXXXX`` escapes of JSON strings in a page (labels in popups and the layer control)."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)


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
