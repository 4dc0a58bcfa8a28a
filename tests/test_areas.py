"""Areas (社区): census polygons spread over homes, never collapsed; areas.csv re-derived
independently; --areas grouping; bad area files refused in one line."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import planner
from planner.cli import main
from planner.demand.areas import MIN_BUILDING_SHARE, OUTSIDE, load_areas, spread_population


def _boxes(homes, crs_out="EPSG:4547", pops=(7804.0, 6095.0, 5089.0, 3158.0, 3462.0, 1327.0)):
    """Six areas tiling the default's homes, in CGCS2000 / Gauss-Kruger (as a planning bureau sends them)."""
    minx, miny, maxx, maxy = homes.total_bounds
    xs, ys = np.linspace(minx - 5, maxx + 5, 4), np.linspace(miny - 5, maxy + 5, 3)
    polys = [shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for i in range(3) for j in range(2)]
    names = ["东门社区", "西门社区", "<b>南门</b>", "北门社区", "城中社区", "江滨社区"]
    return gpd.GeoDataFrame({"社区名称": names, "常住人口": list(pops)}, geometry=polys, crs=homes.crs).to_crs(crs_out)


@pytest.fixture(scope="module")
def census(helsinki, tmp_path_factory):
    network, homes, _ = helsinki
    folder = tmp_path_factory.mktemp("areas")
    areas = _boxes(homes)
    path = folder / "census.gpkg"
    areas.to_file(path)
    return network, homes, areas, path


def test_every_area_keeps_its_count(census):
    network, _, areas, path = census
    homes = planner.load_demand(path, network=network)
    assert set(homes["method"]) == {"areas"}
    got = homes.groupby("area")["population"].sum()
    want = dict(zip(areas["社区名称"], areas["常住人口"]))
    assert set(got.index) == set(want)
    for name, total in want.items():
        assert got[name] == pytest.approx(total, rel=1e-9)
    assert homes["population"].sum() == pytest.approx(sum(want.values()), rel=1e-9)
    # every home lies inside the area that names it (checked with the file's own polygons)
    polys = areas.to_crs(network.graph["crs"]).set_index("社区名称").geometry
    inside = [polys[a].covers(p) for a, p in zip(homes["area"], homes.geometry)]
    assert all(inside)
    # no area is collapsed to one point
    assert homes.groupby("area").size().min() > 1


def test_the_spreading_rule(census):
    """Buildings when they could house half the count; land use; else a 50 m grid."""
    network, osm_homes, _, _ = census
    crs = network.graph["crs"]
    b = osm_homes[osm_homes["kind"] == "building"]
    hull = shapely.convex_hull(shapely.multipoints(b.geometry.values[:40]))
    capacity = float(b[b.within(hull)]["population"].sum())
    _, _, maxx, maxy = b.total_bounds
    x0, y0 = np.floor(maxx / 50) * 50, np.floor(maxy / 50) * 50
    far = shapely.box(x0 + 3000, y0 + 3000, x0 + 3300, y0 + 3300)  # no building, no land use
    lu = shapely.box(x0 + 4000, y0 + 4000, x0 + 4400, y0 + 4400)
    areas = gpd.GeoDataFrame(
        {
            "area": ["housed", "crowded", "empty", "compound"],
            "population": [capacity, capacity / MIN_BUILDING_SHARE * 1.01, 900.0, 500.0],
        },
        geometry=[hull, hull.buffer(0.001), far, lu.buffer(100)],
        crs=crs,
    )
    homes = spread_population(areas, b, [lu])
    kinds = homes.groupby("area")["kind"].agg(set)
    assert kinds["housed"] == {"building"} and kinds["crowded"] == {"grid"}
    assert kinds["empty"] == {"grid"} and kinds["compound"] == {"landuse"}
    # buildings: shares by floor area, so each building keeps its own estimate when the counts agree
    housed = homes[homes["area"] == "housed"].sort_values("demand_id")
    assert housed["population"].sum() == pytest.approx(capacity)
    assert sorted(np.round(housed["population"], 6)) == sorted(np.round(b[b.within(hull)]["population"], 6))
    # the grid: 50 m, even shares, inside the area
    empty = homes[homes["area"] == "empty"]
    assert len(empty) == 36 and np.allclose(empty["population"], 25.0)
    assert len(homes[homes["area"] == "compound"]) == 64  # 400 m x 400 m of land use at 50 m


def test_areas_csv_rederived(census, tmp_path, monkeypatch):
    network, _, areas, path = census
    monkeypatch.setattr(planner.runs.inputs, "load_network", lambda *args, **kwargs: network)
    out = tmp_path / "out"
    assert main(["plan", "--demand", str(path), "--model", "mclp", "--p", "4", "--out", str(out), "-q"]) == 0
    raw = (out / "areas.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(out / "areas.csv", encoding="utf-8-sig")
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert list(table["area"]) == list(areas["社区名称"])
    assert s["population_total"] == pytest.approx(areas["常住人口"].sum(), abs=0.05)
    assert table["population"].sum() == pytest.approx(areas["常住人口"].sum(), abs=0.5)
    # re-derive each area's covered share: the plan's homes, assigned to the file's polygons by
    # the test, covered when a station in stations.geojson is within 5 min in the plan's matrix
    result = planner.plan(planner.Study(demand=path, network=network), model="mclp", p=4)
    stations = gpd.read_file(out / "stations.geojson")
    cols = np.flatnonzero(result.sites["site_id"].isin(stations["site_id"]).to_numpy())
    m = result.coverage.minutes.tocsc()[:, cols].tocsr()
    covered = np.array([(m.data[m.indptr[i] : m.indptr[i + 1]] <= 5.0).any() for i in range(m.shape[0])])
    polys = areas.to_crs(network.graph["crs"])
    for _, row in table.iterrows():
        poly = polys.loc[polys["社区名称"] == row["area"]].geometry.iloc[0]
        mine = result.demand.geometry.within(poly.buffer(1e-6)).to_numpy()
        pop = result.demand["population"].to_numpy()[mine]
        assert pop.sum() == pytest.approx(row["population"], abs=0.1)
        share = pop[covered[mine]].sum() / pop.sum()
        assert share == pytest.approx(row["covered_share"], abs=1e-4), row["area"]
    # the nearest station: the shortest walk from any of the area's homes, checked on the matrix
    for _, row in table.iterrows():
        rows = np.flatnonzero(result.demand["area"].to_numpy() == row["area"])
        sub = m[rows]
        if sub.nnz:
            assert row["nearest_station_minutes"] == pytest.approx(sub.data.min(), abs=0.01)
            j = sub.indices[np.argmin(sub.data)]
            assert row["nearest_station_id"] == result.sites["site_id"].iloc[cols[j]]
    # the map draws the areas, names escaped
    page = (out / "plan.html").read_text(encoding="utf-8")
    assert "Areas by share covered" in page and "<b>南门</b>" not in page
    assert "东门社区" in page or json.dumps("东门社区")[1:-1] in page


def test_areas_group_osm_homes(census, tmp_path, monkeypatch, capsys):
    network, osm_homes, areas, _ = census
    monkeypatch.setattr(planner.runs.inputs, "load_network", lambda *args, **kwargs: network)
    small = areas.iloc[:2]
    part = tmp_path / "two.geojson"
    small.to_crs("EPSG:4326").to_file(part, driver="GeoJSON")
    out = tmp_path / "out"
    assert main(["plan", "--areas", str(part), "--out", str(out)]) == 0
    table = pd.read_csv(out / "areas.csv", encoding="utf-8-sig")
    # the homes outside every area are no area: not counted among those under half covered
    low = int((table["covered_share"].iloc[:-1] < 0.5).sum())
    assert f"areas: 2; {low} with less than half their residents covered" in capsys.readouterr().out
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert list(table["area"]) == [*small["社区名称"], OUTSIDE]
    # every resident is in one row: the table adds up to the plan's total
    assert table["population"].sum() == pytest.approx(s["population_total"], abs=0.5)
    assert s["population_outside_areas"] == pytest.approx(table["population"].iloc[-1], abs=0.05)
    polys = small.to_crs(network.graph["crs"]).geometry.values
    for k, poly in enumerate(polys):
        inside = osm_homes.geometry.intersects(poly).to_numpy()
        if k:
            inside = inside & ~osm_homes.geometry.intersects(polys[0]).to_numpy()
        assert table["population"].iloc[k] == pytest.approx(osm_homes["population"][inside].sum(), abs=0.1)


def test_area_names(tmp_path):
    g = gpd.GeoDataFrame(
        {"NAME": ["甲", None, "甲"], "POP": [1.0, 2.0, 3.0]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(2, 0, 3, 1)],
        crs="EPSG:32650",
    ).to_crs("EPSG:4326")
    path = tmp_path / "a.geojson"
    g.to_file(path, driver="GeoJSON")
    with pytest.warns(UserWarning, match="area names appear more than once"):
        areas = load_areas(path, population=True, population_column="POP")
    assert list(areas["area"]) == ["甲", "area-002", "甲 (2)"]
    assert list(areas["population"]) == [1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    "case", ["no population", "text population", "points and polygons", "areas of points", "missing areas"]
)
def test_bad_area_files(census, tmp_path, monkeypatch, capsys, case):
    network, _, areas, _ = census
    monkeypatch.setattr(planner.runs.inputs, "load_network", lambda *args, **kwargs: network)
    path = tmp_path / "bad.geojson"
    g = areas.to_crs("EPSG:4326")
    option = "--demand"
    if case == "no population":
        g = g.drop(columns="常住人口")
        words = ["population"]
    elif case == "text population":
        g["常住人口"] = ["12", "x", "3", "4", "5", "6"]
        words = ["row 2", "'x'"]
    elif case == "points and polygons":
        g.loc[g.index[1], "geometry"] = g.geometry.iloc[1].centroid
        words = ["row 2 is a Point", "not both"]
    elif case == "areas of points":
        g["geometry"] = g.geometry.representative_point()
        option, words = "--areas", ["row 1 is a Point", "polygons"]
    else:
        option, words = "--areas", ["not found"]
    if case != "missing areas":
        g.to_file(path, driver="GeoJSON")
    out = tmp_path / "out"
    code = main(["plan", option, str(path), "--out", str(out), "-q"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code != 0 and not out.exists()
    assert len(err) == 1 and all(w in err[0] for w in words), err


def test_the_homes_outside_every_area_are_no_area(capsys):
    """`areas: 2; 1 with less than half ...`: the row of homes outside every area is not counted as an area."""
    from planner.outputs import console  # its areas line, tested here as a unit
    from planner.text import words

    table = pd.DataFrame({"area": ["东门社区", "西门社区", OUTSIDE], "covered_share": [0.9, 0.1, 0.004]})
    s = {"n_areas": 2, "population_outside_areas": 4634.8}
    console._report_areas(console.Reporter(quiet=False), s, table, words("en", "cli"))
    out = capsys.readouterr().out
    assert "areas: 2; 1 with less than half their residents covered" in out
