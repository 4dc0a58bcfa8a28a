"""Isochrone polygons against the exact walkable area, computed without planner's code.

For points on a 2 m grid around each polygon, the walk to the site is worked out
independently: the nearest street by shapely's STRtree (every street of the
graph, ties kept), the walk along it to either end node, and networkx's Dijkstra
from the site over the graph split at the site (tests/reference.py). A point is
walkable when that walk is within the limit; the polygon may differ from the
walkable area only within the documented tolerances
(``planner.reach.walk_areas.EDGE_TOLERANCE_M`` of its edge or of the limit, or where a
point is within ``planner.reach.walk_areas.TIE_TOLERANCE_M`` of being equally near two
streets).
"""

from __future__ import annotations

import sys

import networkx as nx
import numpy as np
import pytest
import shapely
from reference import split_graph

import planner

iso_module = sys.modules["planner.reach.walk_areas"]

LIMIT = 5.0
GRID_STEP_M = 2.0


def exact_minutes(G: nx.MultiDiGraph, site: shapely.Point, points: np.ndarray) -> np.ndarray:
    """Walking minutes from ``site`` to each of ``points`` (network CRS), independently of planner."""
    mpm = G.graph["speed_kmh"] * 1000 / 60
    H = split_graph(G, {"s": site})
    dist = nx.single_source_dijkstra_path_length(H, ("p", "s"), weight="weight")
    streets = [(u, v, d) for u, v, _, d in G.edges(keys=True, data=True) if u <= v]
    geoms = np.array([d["geometry"] for _, _, d in streets], dtype=object)
    tree = shapely.STRtree(geoms)
    (pi, ei), gap = tree.query_nearest(points, return_distance=True, all_matches=True)
    along = shapely.line_locate_point(geoms[ei], points[pi])
    length = shapely.length(geoms[ei])
    minutes = np.array([streets[e][2]["minutes"] for e in ei])
    du = np.array([dist.get(("n", streets[e][0]), np.inf) for e in ei])
    dv = np.array([dist.get(("n", streets[e][1]), np.inf) for e in ei])
    frac = np.divide(along, length, out=np.zeros_like(along), where=length > 0)
    walk = np.minimum(du + frac * minutes, dv + (1 - frac) * minutes)
    # a point on the site's own street may also walk straight along it to the site
    site_gap = np.array([g.distance(site) for g in geoms])
    own = int(np.argmin(site_gap))
    site_along = geoms[own].project(site)
    same = ei == own
    walk[same] = np.minimum(walk[same], site_gap[own] / mpm + np.abs(along[same] - site_along) / mpm)
    total = walk + gap / mpm
    out = np.full(len(points), np.inf)
    np.minimum.at(out, pi, total)
    return out


def grid_around(poly, margin: float) -> np.ndarray:
    minx, miny, maxx, maxy = poly.bounds
    xs = np.arange(np.floor((minx - margin) / GRID_STEP_M), np.ceil((maxx + margin) / GRID_STEP_M)) * GRID_STEP_M
    ys = np.arange(np.floor((miny - margin) / GRID_STEP_M), np.ceil((maxy + margin) / GRID_STEP_M)) * GRID_STEP_M
    gx, gy = np.meshgrid(xs + 0.5, ys + 0.25)  # off the round numbers streets may sit on
    return shapely.points(gx.ravel(), gy.ravel())


def tie_margin(G: nx.MultiDiGraph, points: np.ndarray) -> np.ndarray:
    """How much nearer each point is to its nearest street than to the next one (metres)."""
    geoms = np.array([d["geometry"] for u, v, _, d in G.edges(keys=True, data=True) if u <= v], dtype=object)
    out = np.empty(len(points))
    for i, p in enumerate(points):
        d = np.sort(shapely.distance(geoms, p))
        out[i] = d[1] - d[0]
    return out


#: every site, in four interleaved quarters (slow; the test workers share them out)
ALL_SITES = [pytest.param(f"{k}/4", marks=pytest.mark.slow, id=f"all-{k + 1}of4") for k in range(4)]


@pytest.mark.parametrize("n_sites", [6, *ALL_SITES])
def test_default_polygons_hold_the_exact_walkable_area_on_a_2m_grid(helsinki, n_sites):
    G, _, sites = helsinki
    mpm = G.graph["speed_kmh"] * 1000 / 60
    if isinstance(n_sites, int):
        picked = sites.iloc[np.linspace(0, len(sites) - 1, n_sites).astype(int)]
    else:  # "k/4": every fourth site from the k-th
        picked = sites.iloc[int(n_sites[0]) :: 4]
    iso = planner.isochrones(G, picked, minutes=LIMIT).to_crs(G.graph["crs"])
    edge_m, tie_m = iso_module.EDGE_TOLERANCE_M, iso_module.TIE_TOLERANCE_M
    walkable = left_out = taken_in = 0
    for poly, site in zip(iso.geometry.values, picked.geometry.values):
        assert poly.is_valid and poly.area > 10_000
        points = grid_around(poly, 5 * GRID_STEP_M)
        slack_m = (LIMIT - exact_minutes(G, site, points)) * mpm
        inside = shapely.intersects(poly, points)
        # walkable points (more than 1 cm inside the limit) left out and points
        # beyond it (by more than 1 cm) taken in: only within the tolerance of
        # the polygon's edge or of the limit (a filled pinhole, an arc), or
        # where two streets are almost equally near
        missed = (slack_m > 0.01) & ~inside
        extra = (slack_m < -0.01) & inside
        edge_gap = np.zeros(len(points))
        edge_gap[missed] = shapely.distance(poly, points[missed])
        edge_gap[extra] = shapely.distance(shapely.boundary(poly), points[extra])
        off = (missed | extra) & (edge_gap > edge_m) & (np.abs(slack_m) > edge_m)
        ties = tie_margin(G, points[off])
        assert (ties <= tie_m).all(), (
            f"{(ties > tie_m).sum()} points wrongly in or out, {edge_gap[off][ties > tie_m].max():.2f} m from the edge, "
            f"{ties.max():.3f} m nearer one street than the next"
        )
        walkable += int((slack_m > 0).sum())
        left_out += int(missed.sum())
        taken_in += int(extra.sum())
    assert walkable > 40_000 * len(picked)
    print(f"walkable {walkable:,}, left out {left_out:,}, taken in {taken_in:,}")
    assert left_out <= 4e-4 * walkable and taken_in <= 4e-4 * walkable, (left_out, taken_in, walkable)
