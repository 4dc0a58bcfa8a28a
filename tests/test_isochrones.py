"""Isochrones are drawn from the solver's own distances."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from instances import random_points, synthetic_network

import planner


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
    import networkx as nx

    G = nx.MultiDiGraph(crs="EPSG:32650", speed_kmh=4.8)
    G.add_node(0, x=0.0, y=0.0)
    G.add_node(1, x=800.0, y=0.0)
    line = shapely.LineString([(0, 0), (800, 0)])
    for u, v, geom in ((0, 1, line), (1, 0, line.reverse())):
        G.add_edge(u, v, geometry=geom, length=800.0, minutes=10.0)
    import geopandas as gpd

    site = gpd.GeoDataFrame({"site_id": ["a"]}, geometry=[shapely.Point(0, 0)], crs=G.graph["crs"])
    poly = planner.isochrones(G, site, minutes=5).to_crs(G.graph["crs"]).geometry.iloc[0]
    xmin, ymin, xmax, ymax = poly.bounds
    assert xmax == pytest.approx(400.0, abs=0.5)
    assert ymax == pytest.approx(400.0, rel=0.01)  # the band is widest at the site
    assert poly.covers(shapely.Point(390, 5)) and not poly.covers(shapely.Point(405, 0))


@pytest.mark.slow  # 6-12 s: with the slow cases, to keep the default suite under 3 minutes
def test_few_sites_use_local_cells_and_match_whole_network():
    from planner.reach.arrays import network_arrays

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
    arrays.cells  # now the whole network's cells exist and are used
    whole = planner.isochrones(G, sites, minutes=1.0).to_crs(G.graph["crs"]).geometry.values
    for a, b in zip(local, whole):
        assert a.area > 100
        assert shapely.symmetric_difference(a, b).area < 1e-6 * a.area
