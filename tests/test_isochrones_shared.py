"""Isochrones on every shared OSM extract agree with the solver (slow; skipped when absent).

For each extract: the candidates' 5-minute polygons are valid in EPSG:4326 and
union without a GEOS error; every (home, site) pair the solver stores within 5
minutes lies inside the site's polygon and every pair it stores between 5 and
10 minutes lies outside (up to the arcs' documented reach); each site lies in
its own polygon unless it is so far from every street that the walk to the
street and back exceeds the limit.
"""

from __future__ import annotations

import sys
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import EXTRACTS, shared_file

import planner
from planner.reach.arrays import network_arrays
from planner.reach.snapping import snap

pytestmark = pytest.mark.slow
iso_module = sys.modules["planner.reach.walk_areas"]

LIMIT = 5.0
EXTRACTS = [*EXTRACTS, "porto_region_roads.osm.pbf"]


def inputs(name: str):
    path = shared_file(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        G = planner.load_network(str(path))
        if name != "porto_region_roads.osm.pbf":
            return G, planner.load_demand(network=G), planner.load_candidates(network=G)
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
    demand = gpd.GeoDataFrame({"demand_id": [f"h{i:04d}" for i in range(2960)], "population": np.ones(2960)},
                              geometry=pts[:2960], crs=G.graph["crs"])
    sites = gpd.GeoDataFrame({"site_id": [f"s{i:02d}" for i in range(40)]}, geometry=pts[2960:], crs=G.graph["crs"])
    return G, demand, sites


@pytest.mark.parametrize("name", EXTRACTS)
def test_isochrones_agree_with_the_solver(name):
    G, demand, sites = inputs(name)
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
    assert not outside.any(), f"{outside.sum()} of {covered.sum()} covered pairs outside, up to {gap[outside].max():.3f} m"
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
