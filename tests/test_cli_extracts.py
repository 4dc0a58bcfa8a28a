"""``planner plan`` on the larger real OSM extracts of ../shared/data/osm, end to end (slow; skipped when absent)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import osmium
import pytest
from conftest import EXTRACTS, shared_file

import planner
from planner.cli import main

pytestmark = pytest.mark.slow


def extract_bounds(path) -> tuple[float, float, float, float]:
    """(west, south, east, north) of an OSM extract, from its header (the shared .osm and .osm.pbf files have one)."""
    reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
    try:
        box = reader.header().box()
    finally:
        reader.close()
    assert box.valid(), f"{path}: no bounding box in the header"
    return box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat


@pytest.mark.parametrize("name", EXTRACTS)
def test_plan_on_extract(name, tmp_path):
    path = shared_file(name)
    out = tmp_path / "out"
    code = main(["plan", "--source", str(path), "--out", str(out), "-q"])
    assert code == 0
    s = json.loads((out / "summary.json").read_text())
    stations = gpd.read_file(out / "stations.geojson")
    assert s["n_stations"] == len(stations) > 0
    # the written walking areas are valid and overlay cleanly (as in QGIS)
    areas = gpd.read_file(out / "isochrones.geojson")
    assert len(areas) == len(stations) and areas.is_valid.all()
    areas.union_all()
    assert s["solver_status"] == "optimal"
    assert s["population_covered"] == pytest.approx(s["population_coverable"], rel=1e-6, abs=0.2)
    assert s["covered_share"] == pytest.approx(s["population_covered"] / s["population_total"], abs=1e-5)
    # the stations lie inside the extract's area (lon/lat not swapped)
    west, south, east, north = stations.total_bounds
    assert s["n_network_nodes"] > 100
    box_west, box_south, box_east, box_north = extract_bounds(path)
    margin = 0.01  # degrees: ways crossing the extract's edge are kept whole
    assert box_west - margin <= west <= east <= box_east + margin, (west, east, box_west, box_east)
    assert box_south - margin <= south <= north <= box_north + margin, (south, north, box_south, box_north)


def test_region_scale_coverage():
    """Greater Porto's road network (about 64k walk nodes after simplification)."""
    G = planner.load_network(str(shared_file("porto_region_roads.osm.pbf")))
    assert G.number_of_nodes() > 50_000
    rng = np.random.default_rng(5)
    xs = np.array([d["x"] for _, d in G.nodes(data=True)])
    ys = np.array([d["y"] for _, d in G.nodes(data=True)])
    pick = rng.choice(len(xs), 2000, replace=False)
    homes = gpd.GeoDataFrame(
        {"demand_id": [f"h{i}" for i in range(2000)], "population": np.ones(2000)},
        geometry=gpd.points_from_xy(xs[pick] + 20, ys[pick] + 20),
        crs=G.graph["crs"],
    )
    sites = homes.iloc[:500].rename(columns={"demand_id": "site_id"})
    cov = planner.coverage(G, homes, sites, minutes=(5, 10))
    assert cov.within(5).nnz < cov.within(10).nnz
    sol = planner.solve(cov, model="lscp", radius=5)
    assert sol.status == "optimal" and sol.covered[cov.coverable(5)].all()
