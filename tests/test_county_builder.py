"""tests/county.py's Guixi county files read by ``planner plan`` (skipped without ../shared).

The files are built once; each argument set of ``county.cli_args`` is run through the CLI
(``--quiet``: its warnings are silenced) and must exit 0 with ``summary.json`` giving what
was written:

- points, tiers, areas: every home of the CSV (150) and all its residents, the homes
  beyond 250 m of a street (straight line to the streets, computed in county.py), 40
  candidates and 3 existing stations; tiers: at most ``--max-centres`` centres; areas: 5
  areas, nobody outside them, each area's residents in ``areas.csv``;
- boundary: only the homes inside the boundary (shapely, WGS-84, true coordinates) with
  their residents, the homes and candidates outside it counted, the existing station
  just outside it kept;
- polygons: the 5 communities' census total, each area's count in ``areas.csv``;
- raster: the people of the cells whose centre lies in the network's box (and those of
  the other cells of the window read), the number of populated cells inside.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from county import KINDS, cli_args, guixi_files, guixi_network

from planner.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return guixi_files(tmp_path_factory.mktemp("guixi_county"))


def test_files_hold_what_they_say(files):
    homes, sites = files.home_table, files.site_table
    assert len(homes) == 150 and homes["off_network"].sum() == 6
    assert 0 < (~homes["inside_boundary"]).sum() < 30 and homes["grid_only"].sum() >= 5
    assert len(sites) == 40 and set(sites["tier"]) == {"centre", "grid", "any"}
    assert list(files.community_table["boundary"]) == ["inside"] * 3 + ["straddles", "outside"]
    assert files.community_table["n_homes"].sum() == 150
    assert files.raster_total > 0 and np.isnan(files.raster_values).sum() == 12
    # GBK, Chinese headers, GCJ-02 a few hundred metres from the true WGS-84 points
    table = pd.read_csv(files.homes, encoding="gbk")
    assert list(table.columns) == ["小区编号", "小区名称", "经度", "纬度", "常住人口"]
    assert ((table["经度"] - homes["lon"]).abs() > 1e-3).all()
    # the raster covers the network's box with a margin
    inside, outside, cells = files.raster_people(_study_area(files))
    assert 0 < inside + outside < files.raster_total and cells > 1000


@pytest.mark.parametrize("kind", KINDS)
def test_cli_reads_the_county_files(files, kind, tmp_path):
    out = tmp_path / "out"
    assert main([*cli_args(files, kind), "--quiet", "--out", str(out)]) == 0
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    homes = files.home_table
    if kind == "boundary":
        homes = files.homes_inside
        assert s["n_demand_outside_boundary"] == (~files.home_table["inside_boundary"]).sum()
        assert (
            s["population_outside_boundary"]
            == files.home_table.loc[~files.home_table["inside_boundary"], "population"].sum()
        )
        assert s["n_sites_outside_boundary"] == (~files.site_table["inside_boundary"]).sum()
        assert not files.existing_table["inside_boundary"].all()
    if kind in ("points", "tiers", "areas", "boundary"):
        assert s["n_demand"] == len(homes) and s["population_total"] == homes["population"].sum()
        off = homes[homes["off_network"]]
        assert s["n_off_network"] == len(off) and s["population_off_network"] == off["population"].sum()
        assert s["n_existing"] == 3
    if kind in ("points", "tiers", "areas"):
        assert s["n_candidates"] == 40
    if kind == "tiers":
        assert s["max_centres"] == 15 and 0 < s["n_centres"] <= 15
    if kind in ("areas", "polygons"):
        assert s["n_areas"] == 5 and s["population_outside_areas"] == 0
        table = pd.read_csv(out / "areas.csv", encoding="utf-8-sig").set_index("area")
        want = files.community_table.set_index("name")["population" if kind == "polygons" else "home_population"]
        assert table.loc[want.index, "population"].to_numpy() == pytest.approx(want.to_numpy(), abs=0.05)
    if kind == "polygons":
        assert s["demand_method"] == "areas" and s["population_total"] == pytest.approx(files.census_total, abs=0.05)
    if kind == "raster":
        inside, outside, cells = files.raster_people(_study_area(files))
        assert s["population_total"] == pytest.approx(inside, abs=0.05)
        assert s["raster"]["population_outside"] == pytest.approx(outside, abs=0.01)
        assert s["raster"]["cells"] == cells and s["n_demand"] >= cells


def _study_area(files) -> shapely.Geometry:
    """The box of the network's nodes in WGS-84: the planner's study area without a boundary."""
    G = guixi_network(str(files.source))
    xy = np.array([(d["x"], d["y"]) for _, d in G.nodes(data=True)])
    box = gpd.GeoSeries([shapely.box(*xy.min(axis=0), *xy.max(axis=0))], crs=G.graph["crs"])
    return box.to_crs("EPSG:4326").iloc[0]
