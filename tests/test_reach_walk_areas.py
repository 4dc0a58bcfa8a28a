"""Walking areas (planner.isochrones, planner/reach/walk_areas.py): drawn from the solver's own distances.

Homes lie inside a station's polygon exactly when the solver covers them (the embedded
default, random networks). The polygons against the exact walkable area, computed without
planner's code: for points on a 2 m grid around each polygon, the walk to the site is worked
out independently: the nearest street by shapely's STRtree (every street of the graph, ties
kept), the walk along it to either end node, and networkx's Dijkstra from the site over the
graph split at the site (tests/reference.py). A point is walkable when that walk is within
the limit; the polygon may differ from the walkable area only within the documented
tolerances (``planner.reach.walk_areas.EDGE_TOLERANCE_M`` of its edge or of the limit, or
where a point is within ``planner.reach.walk_areas.TIE_TOLERANCE_M`` of being equally near
two streets).

On every shared OSM extract (slow; skipped when absent): the candidates' 5-minute polygons
are valid in EPSG:4326 and union without a GEOS error; every (home, site) pair the solver
stores within 5 minutes lies inside the site's polygon and every pair it stores between 5
and 10 minutes lies outside (up to the arcs' documented reach); each site lies in its own
polygon unless it is so far from every street that the walk to the street and back exceeds
the limit.
"""

from __future__ import annotations

import sys

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from conftest import EXTRACTS, load_extract, shared_file
from instances import random_points, synthetic_network
from reference import split_graph

import planner
from planner.reach.arrays import network_arrays
from planner.reach.snapping import snap

iso_module = sys.modules["planner.reach.walk_areas"]

LIMIT = 5.0
GRID_STEP_M = 2.0


def containment(G, demand, sites, minutes):
    cov = planner.coverage(G, demand, sites, minutes=minutes).within().toarray()
    iso = planner.isochrones(G, sites, minutes=minutes)
    assert iso.crs.to_epsg() == 4326
    assert list(iso["site_id"]) == list(sites["site_id"].astype(str))
    polys = iso.to_crs(G.graph["crs"]).geometry.values
    # within a micrometre of the boundary counts as on it (GEOS rounding at a
    # home that sits exactly on a node)
    dist = np.stack([shapely.distance(poly, demand.geometry.values) for poly in polys], axis=1)
    inside = dist <= 1e-6
    return cov, inside


def test_default_homes_inside_exactly_when_covered(helsinki):
    G, demand, sites = helsinki
    cov, inside = containment(G, demand, sites, 5.0)
    assert cov.sum() > 300
    assert not (cov & ~inside).any(), "a covered home lies outside its station's isochrone"
    assert not (~cov & inside).any(), "an uncovered home lies inside a station's isochrone"


@pytest.mark.parametrize("seed", [11, 12])
def test_random_graph_covered_homes_inside(seed):
    G = synthetic_network(seed)
    homes = random_points(G, 150, seed, "h")
    sites = random_points(G, 10, seed + 1, "s")
    cov, inside = containment(G, homes, sites, 4.0)
    assert cov.sum() > 20
    assert not (cov & ~inside).any()
    # the other way round holds up to the nearest-street cells' 2 m sampling
    assert (~cov & inside).sum() <= 0.01 * cov.size


def test_longer_walk_larger_area(helsinki):
    G, _, sites = helsinki
    few = sites.iloc[:5]
    small = planner.isochrones(G, few, minutes=3).to_crs(G.graph["crs"])
    large = planner.isochrones(G, few, minutes=6).to_crs(G.graph["crs"])
    for a, b in zip(small.geometry, large.geometry):
        assert a.area > 0
        assert b.area > a.area
        assert b.buffer(0.01).covers(a)


def test_frontier_cuts_streets_partway():
    # a single straight street 800 m long; a site at one end reaches 400 m in 5 minutes
    G = nx.MultiDiGraph(crs="EPSG:32650", speed_kmh=4.8)
    G.add_node(0, x=0.0, y=0.0)
    G.add_node(1, x=800.0, y=0.0)
    line = shapely.LineString([(0, 0), (800, 0)])
    for u, v, geom in ((0, 1, line), (1, 0, line.reverse())):
        G.add_edge(u, v, geometry=geom, length=800.0, minutes=10.0)
    site = gpd.GeoDataFrame({"site_id": ["a"]}, geometry=[shapely.Point(0, 0)], crs=G.graph["crs"])
    poly = planner.isochrones(G, site, minutes=5).to_crs(G.graph["crs"]).geometry.iloc[0]
    _xmin, _ymin, xmax, ymax = poly.bounds
    assert xmax == pytest.approx(400.0, abs=0.5)
    assert ymax == pytest.approx(400.0, rel=0.01)  # the band is widest at the site
    assert poly.covers(shapely.Point(390, 5)) and not poly.covers(shapely.Point(405, 0))


@pytest.mark.slow  # 6-12 s: with the slow cases, to keep the default suite under 3 minutes
def test_few_sites_use_local_cells_and_match_whole_network():
    G = synthetic_network(21, n_nodes=300)
    homes = random_points(G, 1500, 21, "h")
    sites = random_points(G, 2, 22, "s")
    arrays = network_arrays(G)
    assert "cells" not in arrays.__dict__
    cov, inside = containment(G, homes, sites, 1.0)
    # two sites and a one-minute walk: only the streets around them take part
    assert "cells" not in arrays.__dict__
    assert cov.sum() >= 3
    assert not (cov & ~inside).any()
    assert not (~cov & inside).any()
    local = planner.isochrones(G, sites, minutes=1.0).to_crs(G.graph["crs"]).geometry.values
    assert arrays.cells is not None  # now the whole network's cells exist and are used
    whole = planner.isochrones(G, sites, minutes=1.0).to_crs(G.graph["crs"]).geometry.values
    for a, b in zip(local, whole):
        assert a.area > 100
        assert shapely.symmetric_difference(a, b).area < 1e-6 * a.area


# --------------------------------------------------------------------------- against the exact walkable area


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


# --------------------------------------------------------------------------- on the shared OSM extracts (slow)


#: every shared extract, the roads-only Porto region among them
SHARED_EXTRACTS = [*EXTRACTS, "porto_region_roads.osm.pbf"]


def extract_inputs(name: str):
    if name != "porto_region_roads.osm.pbf":
        return load_extract(name)
    G = planner.load_network(str(shared_file(name)))
    # roads only (no buildings, no candidates): seeded homes and sites around
    # the streets of the centre, 0-60 m off them
    rng = np.random.default_rng(7)
    arrays = network_arrays(G)
    centre = shapely.centroid(shapely.union_all(arrays.edge_geoms[:1]))
    near = arrays.tree.query(shapely.buffer(centre, 1500))
    lines = arrays.edge_geoms[rng.choice(near, 3000)]
    on = shapely.line_interpolate_point(lines, rng.random(3000), normalized=True)
    xy = shapely.get_coordinates(on) + rng.uniform(-60, 60, (3000, 2))
    pts = shapely.points(xy)
    demand = gpd.GeoDataFrame(
        {"demand_id": [f"h{i:04d}" for i in range(2960)], "population": np.ones(2960)},
        geometry=pts[:2960],
        crs=G.graph["crs"],
    )
    sites = gpd.GeoDataFrame({"site_id": [f"s{i:02d}" for i in range(40)]}, geometry=pts[2960:], crs=G.graph["crs"])
    return G, demand, sites


@pytest.mark.slow
@pytest.mark.parametrize("name", SHARED_EXTRACTS)
def test_isochrones_agree_with_the_solver(name):
    G, demand, sites = extract_inputs(name)
    mpm = G.graph["speed_kmh"] * 1000 / 60
    cov = planner.coverage(G, demand, sites, minutes=2 * LIMIT)
    iso = planner.isochrones(G, sites, minutes=LIMIT)
    assert len(iso) == len(sites)
    polys = iso.geometry.values
    assert shapely.is_valid(polys).all(), f"{(~shapely.is_valid(polys)).sum()} invalid polygons"
    assert set(shapely.get_type_id(polys)) <= {3, 6}
    iso.union_all()  # raises a GEOSException on invalid or badly noded polygons
    # no pinholes or crumbs
    parts = shapely.get_parts(iso.to_crs(G.graph["crs"]).geometry.values)
    n_holes = shapely.get_num_interior_rings(parts)
    holes = [shapely.Polygon(shapely.get_interior_ring(p, i)) for p, n in zip(parts, n_holes) for i in range(n)]
    assert all(h.area >= 0.99 for h in holes)
    assert (shapely.area(parts) >= 0.99).sum() >= len(parts) - len(sites)

    projected = iso.to_crs(G.graph["crs"]).geometry.values
    pairs = cov.minutes.tocoo()
    homes = demand.to_crs(G.graph["crs"]).geometry.values
    gap = shapely.distance(projected[pairs.col], homes[pairs.row])
    covered = pairs.data <= LIMIT
    assert covered.sum() > 0
    # on the polygon's edge within its 1 mm grid counts as inside
    outside = covered & (gap > 2 * iso_module.GRID_M)
    assert not outside.any(), (
        f"{outside.sum()} of {covered.sum()} covered pairs outside, up to {gap[outside].max():.3f} m"
    )
    # beyond the limit: outside, but for homes within the arcs' reach of it
    reach_m = max(iso_module.ARC_TOLERANCE_M, LIMIT * mpm * (1 / np.cos(np.pi / 64) - 1))
    far = ~covered & ((pairs.data - LIMIT) * mpm > reach_m)
    inside = far & (gap == 0)
    assert not inside.any(), f"{inside.sum()} of {far.sum()} pairs beyond the limit inside"
    # each site in its own polygon, unless the walk to its street and back is over the limit
    posts = snap(network_arrays(G), sites.to_crs(G.graph["crs"]).geometry.values)
    own = shapely.distance(projected, sites.to_crs(G.graph["crs"]).geometry.values) <= 2 * iso_module.GRID_M
    reaches_itself = 2 * posts.access <= LIMIT - 1e-9
    assert own[reaches_itself].all(), f"{(~own[reaches_itself]).sum()} sites outside their own polygon"
    assert not own[2 * posts.access > LIMIT + 1e-6].any()
