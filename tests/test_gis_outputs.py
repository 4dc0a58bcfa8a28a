"""GIS and CAD outputs (plan.gpkg, shp/, plan.dxf): read back with geopandas / ezdxf and checked against the
GeoJSON, the CSVs and the input files, on a Helsinki plan whose candidate sites and areas have Chinese names."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import ezdxf
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely
from conftest import shared_file

import planner
from planner.cli import main
from planner.errors import InputError, PlannerError
from planner.outputs.cad import dxf_bytes
from planner.outputs.files import write_outputs
from planner.outputs.gis import SHP_FIELDS, check_output_crs, china_zone_code, shp_field_names, warn_outside_area
from planner.outputs.gis_layers import gis_files, home_layer

NAMES = [
    "中心站",
    "北站 Töölö",
    "东湖社区服务站",
    "南门站",
    "西区站",
    "广场站",
    "公园站",
    "图书馆站",
    "第九站",
    "第十站",
]
AREAS = ["西区 West", "东区"]
CRS = "EPSG:3067"  # ETRS89 / TM35FIN: Finland's national grid, where the Helsinki default lies
LAYERS = ["stations", "isochrones", "homes", "areas", "unreachable", "sites", "left_out"]


@pytest.fixture(scope="module")
def written(helsinki, tmp_path_factory):
    """A plan of ten candidate sites with Chinese names grouped by two named areas, written with every GIS output."""
    network, _, sites = helsinki
    folder = tmp_path_factory.mktemp("gis")
    ll = sites.to_crs("EPSG:4326")
    pick = ll.iloc[:: max(1, len(ll) // 10)].head(10)
    candidates = pd.DataFrame({"lon": pick.geometry.x, "lat": pick.geometry.y, "name": NAMES[: len(pick)]})
    candidates.to_csv(folder / "candidates.csv", index=False)
    x0, y0, x1, y1 = ll.total_bounds
    mid = (x0 + x1) / 2
    areas = gpd.GeoDataFrame(
        {"name": AREAS},
        geometry=[shapely.box(x0 - 0.01, y0 - 0.01, mid, y1 + 0.01), shapely.box(mid, y0 - 0.01, x1 + 0.01, y1 + 0.01)],
        crs="EPSG:4326",
    )
    areas.to_file(folder / "areas.geojson")
    p = planner.plan(
        planner.Study(candidates=folder / "candidates.csv", areas=folder / "areas.geojson", network=network)
    )
    out = folder / "out"
    planner.write(p, out, shapefile=True, dxf=True, output_crs=CRS)
    return p, out, areas


def _geojson(path: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(path).set_index("site_id")


def test_gpkg_has_every_layer_in_the_output_crs_with_chinese_names(written):
    _, out, _ = written
    assert [name for name, _ in pyogrio.list_layers(out / "plan.gpkg")] == LAYERS
    for layer in LAYERS:
        assert gpd.read_file(out / "plan.gpkg", layer=layer).crs.equals(pyproj.CRS(CRS)), layer
    stations = gpd.read_file(out / "plan.gpkg", layer="stations").set_index("site_id")
    csv = pd.read_csv(out / "stations.csv", encoding="utf-8-sig").set_index("site_id")
    assert len(stations) == len(csv) >= 2
    assert stations["name"].to_dict() == csv["name"].to_dict()
    assert set(stations["name"]) <= set(NAMES)  # the names of the candidates file, byte for byte
    assert set(gpd.read_file(out / "plan.gpkg", layer="areas")["area"]) == set(AREAS)


def test_gpkg_geometry_is_the_geojson_geometry(written):
    _, out, _ = written
    for layer in ("stations", "isochrones"):
        ours = gpd.read_file(out / "plan.gpkg", layer=layer).to_crs("EPSG:4326").set_index("site_id")
        theirs = _geojson(out / f"{layer}.geojson")
        assert sorted(ours.index) == sorted(theirs.index)
        for site_id, geom in theirs.geometry.items():
            # the same vertices, to the round trip through EPSG:3067 (1e-8 degrees: about a millimetre)
            mine = shapely.get_coordinates(ours.geometry[site_id])
            assert mine.shape == shapely.get_coordinates(geom).shape, (layer, site_id)
            assert np.allclose(mine, shapely.get_coordinates(geom), rtol=0, atol=1e-8), (layer, site_id)
        if layer == "isochrones":
            area = ours.to_crs(CRS).area
            assert np.allclose(area[theirs.index], theirs.to_crs(CRS).area, rtol=1e-9)


def test_homes_layer_matches_the_summary_the_areas_and_the_diagnosis(written):
    p, out, areas = written
    homes = gpd.read_file(out / "plan.gpkg", layer="homes")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert len(homes) == summary["n_demand"]
    assert homes["population"].sum() == pytest.approx(summary["population_total"], abs=0.1)
    assert homes.loc[homes["covered"], "population"].sum() == pytest.approx(summary["population_covered"], abs=0.1)
    # area: the areas file's polygon holding each home (first in file order), by shapely
    ll = homes.to_crs("EPSG:4326")
    inside = [next((a for a, poly in zip(AREAS, areas.geometry) if poly.covers(pt)), None) for pt in ll.geometry]
    assert list(homes["area"]) == inside
    # the nearest chosen station and walk: the smallest entry of the dense coverage row among the chosen columns
    entries = p.coverage.minutes.tocoo()
    dense = np.full(entries.shape, np.inf)
    dense[entries.row, entries.col] = entries.data  # a stored 0 is a walk of 0 minutes; absent: beyond the walk
    dense = dense[:, p.solution.selected]
    best = dense.min(axis=1)
    chosen = p.sites["site_id"].to_numpy()[p.solution.selected][dense.argmin(axis=1)]
    near = best <= p.minutes
    assert homes["covered"].to_numpy().sum() >= 1 and (~homes["covered"]).sum() >= 1
    assert np.array_equal(homes["covered"].to_numpy(), near)
    assert list(homes.loc[near, "station_id"]) == list(chosen[near])
    assert np.allclose(homes.loc[near, "minutes"], np.round(best[near], 2))
    names = dict(zip(p.stations["site_id"], p.stations["name"]))
    assert list(homes.loc[near, "station_name"]) == [names[s] for s in chosen[near]]
    assert homes.loc[~near, ["station_id", "station_name", "minutes"]].isna().all().all()
    assert homes.loc[near, "reason"].isna().all()
    # reasons of the homes no candidate reaches: unreachable.csv's; the rest: none of the chosen stations within the walk
    diagnosed = pd.read_csv(out / "unreachable.csv", encoding="utf-8-sig").set_index("demand_id")["reason"]
    for row in homes[~near].itertuples():
        assert row.reason == diagnosed.get(row.demand_id, f"no chosen station within {p.minutes:g} min")


def test_a_home_within_the_walk_left_unserved_is_blamed_on_capacity(written):
    p, _, _ = written
    homes = home_layer(p)
    served = np.flatnonzero(homes["covered"].to_numpy())
    covered = np.asarray(p.solution.covered, bool).copy()
    covered[served[0]] = False  # what a capacitated plan reports for a home its full station turns away
    full = home_layer(p.with_solution(dataclasses.replace(p.solution, covered=covered)))
    assert full["reason"][served[0]] == f"the stations within {p.minutes:g} min are full (capacity)"
    assert full["station_id"][served[0]] == homes["station_id"][served[0]] is not None
    assert full.drop(index=served[0]).equals(homes.drop(index=served[0]))


def test_unreachable_layer_is_unreachable_csv_at_the_homes(written):
    _, out, _ = written
    layer = gpd.read_file(out / "plan.gpkg", layer="unreachable").to_crs("EPSG:4326")
    csv = pd.read_csv(out / "unreachable.csv", encoding="utf-8-sig")
    assert len(layer) == len(csv) >= 1
    assert list(layer["demand_id"]) == list(csv["demand_id"])
    assert list(layer["reason"]) == list(csv["reason"])
    assert np.allclose(layer.geometry.x, csv["lon"], atol=1e-6) and np.allclose(layer.geometry.y, csv["lat"], atol=1e-6)


def _dbf_field_names(path: Path) -> list[str]:
    """Field names from the dBase header, read by hand (32-byte descriptors after a 32-byte header)."""
    data = path.read_bytes()
    header = int.from_bytes(data[8:10], "little")
    return [data[i : i + 11].split(b"\x00")[0].decode() for i in range(32, header - 1, 32) if data[i] != 0x0D]


def test_shapefiles_one_per_layer_utf8_with_the_crs_and_short_field_names(written):
    _, out, _ = written
    shp = out / "shp"
    fields = pd.read_csv(shp / "fields.csv", encoding="utf-8-sig")
    for layer in LAYERS:
        assert (shp / f"{layer}.cpg").read_text(encoding="ascii") == "UTF-8"
        # an ESRI .prj (what ArcGIS reads), identified as the EPSG code by GDAL and by PROJ
        assert gpd.read_file(shp / f"{layer}.shp").crs.to_epsg() == 3067
        assert pyproj.CRS.from_wkt((shp / f"{layer}.prj").read_text()).to_epsg(min_confidence=50) == 3067
        gpkg = gpd.read_file(out / "plan.gpkg", layer=layer)
        mine = fields[fields["layer"] == layer]
        assert list(mine["column"]) == [c for c in gpkg.columns if c != "geometry"]
        assert _dbf_field_names(shp / f"{layer}.dbf") == list(mine["field"])
        assert all(len(f.encode()) <= 10 for f in mine["field"])
        back = gpd.read_file(shp / f"{layer}.shp").rename(columns=dict(zip(mine["field"], mine["column"])))
        assert len(back) == len(gpkg)
        for column in ("name", "station_name", "area", "reason", "nearest_site_name"):
            if column in gpkg:
                assert back[column].fillna("").tolist() == gpkg[column].fillna("").tolist(), (layer, column)
        assert np.array_equal(
            shapely.get_coordinates(back.geometry.values), shapely.get_coordinates(gpkg.geometry.values)
        )
    stations = dict(zip(fields["column"], fields["field"]))
    assert stations["population_within"] == SHP_FIELDS["population_within"] == "pop_within"
    assert stations["farthest_assigned_minutes"] == "far_min" and stations["station_name"] == "station_nm"


def test_shp_field_names_fit_ten_bytes_and_never_clash():
    names = shp_field_names(
        ["site_id", "population_within", "population_adults", "population_children", "Population", "常住人口数量"]
    )
    assert names["site_id"] == "site_id" and names["population_within"] == "pop_within"
    assert names["population_adults"] == "population"  # its first 10 bytes
    assert names["population_children"] == "populati01"  # the same 10 bytes are taken: numbered
    assert names["Population"] == "Populati02"  # dBase names are case-insensitive
    assert names["常住人口数量"] == "常住人"  # 9 bytes of UTF-8, never half a character
    assert len({n.lower() for n in names.values()}) == len(names)


def test_dxf_stations_isochrones_and_the_crs_a_cad_user_sees(written):
    _, out, _ = written
    doc = ezdxf.readfile(out / "plan.dxf")
    msp = doc.modelspace()
    assert {"STATIONS", "ISOCHRONES", "AREAS", "CRS"} <= {layer.dxf.name for layer in doc.layers}
    assert dict(doc.header.custom_vars)["CRS"] == CRS and doc.header["$INSUNITS"] == 6  # metres
    (note,) = msp.query("MTEXT[layer=='CRS']")
    assert CRS in note.text and "ETRS89 / TM35FIN" in note.text
    to_ll = pyproj.Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    stations = _geojson(out / "stations.geojson")
    inserts = msp.query("INSERT[layer=='STATIONS']")
    assert len(inserts) == len(stations)
    for insert in inserts:
        site_id = insert.get_attrib_text("SITE_ID")
        assert insert.get_attrib_text("NAME") == stations.loc[site_id, "name"]
        lon, lat = to_ll.transform(insert.dxf.insert.x, insert.dxf.insert.y)
        point = stations.geometry[site_id]
        assert abs(lon - point.x) < 1e-8 and abs(lat - point.y) < 1e-8
    assert {i.get_attrib_text("NAME") for i in inserts} <= set(NAMES)
    rings: dict[tuple[str, bool], list] = {}  # (site_id, hole): the rings of that walk, outlines or holes
    for hole, layer in ((False, "ISOCHRONES"), (True, "ISOCHRONES_HOLES")):
        for line in msp.query(f"LWPOLYLINE[layer=='{layer}']"):
            assert line.closed
            site_id = line.get_xdata("STATION_PLANNER")[0].value
            rings.setdefault((site_id, hole), []).append(np.array(line.get_points("xy")))
    iso = _geojson(out / "isochrones.geojson").to_crs(CRS)
    assert sorted({site_id for site_id, _ in rings}) == sorted(iso.index)
    for site_id, geom in iso.geometry.items():
        # every ring of the GeoJSON (exteriors, then holes), vertex by vertex (a closed polyline omits the closing one)
        parts = shapely.get_parts(geom)
        outlines = [shapely.get_coordinates(part.exterior)[:-1] for part in parts]
        holes = [shapely.get_coordinates(ring)[:-1] for part in parts for ring in part.interiors]
        for hole, theirs in ((False, outlines), (True, holes)):
            mine = rings.get((site_id, hole), [])
            assert [len(r) for r in mine] == [len(r) for r in theirs], (site_id, hole)
            if theirs:
                assert np.allclose(np.concatenate(mine), np.concatenate(theirs), rtol=0, atol=1e-6)
    assert {t.dxf.text for t in msp.query("TEXT[layer=='AREAS']")} == set(AREAS)


def _cad_area(msp, layer: str) -> float:
    """The area CAD sums over a layer's closed polylines (shoelace formula on their vertices)."""
    total = 0.0
    for line in msp.query(f"LWPOLYLINE[layer=='{layer}']"):
        assert line.closed
        x, y = np.array(line.get_points("xy")).T
        x, y = x - x[0], y - y[0]  # from a vertex: products of millions of metres lose centimetres
        total += abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2
    return total


def test_dxf_holes_apart_and_every_walking_area_leads_to_its_station(written):
    """A walk's holes are on ISOCHRONES_HOLES: CAD's area of ISOCHRONES less it is the walks' area (shapely, the
    same CRS); each walking-area polyline's XDATA and each outline's label is a site_id of stations.csv."""
    _, out, _ = written
    msp = ezdxf.readfile(out / "plan.dxf").modelspace()
    iso = gpd.read_file(out / "isochrones.geojson").to_crs(CRS)
    n_holes = int(shapely.get_num_interior_rings(shapely.get_parts(iso.geometry.values)).sum())
    assert n_holes > 0  # Helsinki's walks have holes (blocks no path crosses): the case in point
    assert len(msp.query("LWPOLYLINE[layer=='ISOCHRONES_HOLES']")) == n_holes
    assert _cad_area(msp, "ISOCHRONES") - _cad_area(msp, "ISOCHRONES_HOLES") == pytest.approx(
        float(iso.area.sum()), rel=1e-9
    )
    assert _cad_area(msp, "ISOCHRONES_HOLES") > 1.0  # counted as area before
    gpkg_areas = gpd.read_file(out / "plan.gpkg", layer="areas")  # the drawing's CRS
    assert _cad_area(msp, "AREAS") - _cad_area(msp, "AREAS_HOLES") == pytest.approx(
        float(gpkg_areas.area.sum()), rel=1e-9
    )
    site_ids = set(pd.read_csv(out / "stations.csv", encoding="utf-8-sig", dtype={"site_id": str})["site_id"])
    for layer in ("ISOCHRONES", "ISOCHRONES_HOLES"):
        for line in msp.query(f"LWPOLYLINE[layer=='{layer}']"):
            assert line.get_xdata("STATION_PLANNER")[0].value in site_ids, layer
    labels = msp.query("TEXT[layer=='ISOCHRONES']")
    assert sorted(label.dxf.text for label in labels) == sorted(site_ids)
    walks = iso.set_index(iso["site_id"].astype(str)).geometry
    for label in labels:  # at the northernmost vertex of the largest part of its own walk
        largest = max(shapely.get_parts(walks[label.dxf.text]), key=lambda part: part.area)
        xy = shapely.get_coordinates(largest.exterior)
        at = label.get_placement()[1]
        assert np.allclose((at.x, at.y), xy[xy[:, 1].argmax()], rtol=0, atol=1e-6)
        assert label.get_xdata("STATION_PLANNER")[0].value == label.dxf.text


def test_dxf_holes_of_a_walk_and_an_area(tmp_path):
    """A square area of 1 km with a 200 m square hole: CAD's AREAS less AREAS_HOLES is 960,000 m2; a walk 200 m
    round with a 50 m hole: shapely's area of the ring."""
    crs = pyproj.CRS(4548)
    x, y = 500_000.0, 3_130_000.0
    ring = shapely.Point(x, y).buffer(200.0).difference(shapely.Point(x, y).buffer(50.0))
    stations = gpd.GeoDataFrame({"site_id": ["s1"], "name": ["东门站"], "status": ["new"]},
                                geometry=[shapely.Point(x, y)], crs=crs)  # fmt: skip
    iso = gpd.GeoDataFrame({"site_id": ["s1"]}, geometry=[ring], crs=crs)
    square = shapely.box(x - 500, y - 500, x + 500, y + 500).difference(shapely.box(x - 100, y - 100, x + 100, y + 100))
    areas = gpd.GeoDataFrame({"area": ["东区"]}, geometry=[square], crs=crs)
    (tmp_path / "a.dxf").write_bytes(dxf_bytes(stations, iso, crs, areas=areas))
    msp = ezdxf.readfile(tmp_path / "a.dxf").modelspace()
    assert _cad_area(msp, "AREAS") - _cad_area(msp, "AREAS_HOLES") == pytest.approx(960_000.0, rel=1e-12)
    assert _cad_area(msp, "ISOCHRONES") - _cad_area(msp, "ISOCHRONES_HOLES") == pytest.approx(ring.area, rel=1e-12)
    (hole,) = msp.query("LWPOLYLINE[layer=='ISOCHRONES_HOLES']")
    assert hole.get_xdata("STATION_PLANNER")[0].value == "s1"
    assert [t.dxf.text for t in msp.query("TEXT[layer=='ISOCHRONES']")] == ["s1"]


def test_defaults_dxf_in_the_plan_utm_zone_gpkg_in_lonlat_and_an_empty_unreachable_layer(written, tmp_path):
    p, _, _ = written
    files = gis_files(dataclasses.replace(p, unreachable=None), dxf=True)
    assert set(files) == {"plan.gpkg", "plan.dxf"}
    (tmp_path / "plan.dxf").write_bytes(files["plan.dxf"])
    (tmp_path / "plan.gpkg").write_bytes(files["plan.gpkg"])
    doc = ezdxf.readfile(tmp_path / "plan.dxf")
    assert dict(doc.header.custom_vars)["CRS"] == p.network.graph["crs"] == "EPSG:32635"
    insert = doc.modelspace().query("INSERT")[0]
    station = p.stations.set_index("site_id").to_crs("EPSG:32635").geometry[insert.get_attrib_text("SITE_ID")]
    assert abs(insert.dxf.insert.x - station.x) < 0.01 and abs(insert.dxf.insert.y - station.y) < 0.01  # 1e-7 degrees
    assert gpd.read_file(tmp_path / "plan.gpkg", layer="homes").crs.equals(pyproj.CRS("EPSG:4326"))
    empty = gpd.read_file(tmp_path / "plan.gpkg", layer="unreachable")
    assert len(empty) == 0 and "nearest_site_name" in empty.columns and "reason" in empty.columns


def test_dxf_names_with_line_breaks_stay_on_one_line(tmp_path):
    stations = gpd.GeoDataFrame({"site_id": ["s1"], "name": ["东门\n社区站"], "status": ["new"]},
                                geometry=[shapely.Point(117.2, 28.3)], crs="EPSG:4326")  # fmt: skip
    iso = gpd.GeoDataFrame({"site_id": ["s1"]}, geometry=[shapely.Point(117.2, 28.3).buffer(0.001)], crs="EPSG:4326")
    (tmp_path / "a.dxf").write_bytes(dxf_bytes(stations, iso, pyproj.CRS(4548)))
    (insert,) = ezdxf.readfile(tmp_path / "a.dxf").modelspace().query("INSERT")
    assert insert.get_attrib_text("NAME") == "东门 社区站"
    x, y = pyproj.Transformer.from_crs(4326, 4548, always_xy=True).transform(117.2, 28.3)
    assert abs(insert.dxf.insert.x - x) < 1e-6 and abs(insert.dxf.insert.y - y) < 1e-6  # x: the easting


@pytest.mark.parametrize(
    ("value", "dxf", "match"),
    [
        ("EPSG:99999", False, r"output_crs='EPSG:99999' \(--output-crs\): not a known CRS; expected an EPSG code"),
        ("gcj02", False, "gcj02 is a shift of WGS-84 that no GIS file can declare"),
        ("EPSG:5773", False, "not a lon/lat or projected CRS"),  # a vertical CRS (EGM96 height)
        ("EPSG:4490", True, "System 2000 is in degrees, which CAD cannot measure"),
        ("EPSG:2263", True, "in US survey foot"),  # New York Long Island, feet
    ],
)
def test_bad_output_crs_is_one_clear_line(value, dxf, match):
    with pytest.raises(InputError, match=match) as info:
        check_output_crs(value, dxf=dxf)
    assert "\n" not in str(info.value)


def test_good_output_crs():
    assert check_output_crs(None) is None
    assert check_output_crs("wgs84").to_epsg() == 4326
    assert check_output_crs("EPSG:4490").to_epsg() == 4490  # geographic is fine without a DXF
    assert check_output_crs(4547, dxf=True).to_epsg() == 4547


def test_a_crs_made_for_elsewhere_warns_and_china_zones_are_named(written):
    p, _, _ = written
    lonlat = shapely.get_coordinates(p.stations.geometry.values)
    warn_outside_area(pyproj.CRS(3067), lonlat[:, 0], lonlat[:, 1])  # Finland's: no warning (they are errors here)
    with pytest.warns(UserWarning, match=r"CM 114E is made for lon 112.5..115.5.*distorted"):
        warn_outside_area(pyproj.CRS(4547), lonlat[:, 0], lonlat[:, 1])
    with pytest.warns(
        UserWarning, match=r"CM 114E .* lon 117.2000.*; use EPSG:4548 \(CGCS2000 / 3-degree Gauss-Kruger CM 117E\)"
    ):
        warn_outside_area(pyproj.CRS(4547), np.array([117.2]), np.array([28.3]))  # Guixi
    for lon, central in ((117.2, 117), (113.9, 114), (75.5, 75), (134.5, 135)):
        assert pyproj.CRS(china_zone_code(lon)).name == f"CGCS2000 / 3-degree Gauss-Kruger CM {central}E"
    assert china_zone_code(24.9) is None


def test_write_outputs_makes_subfolders_and_stays_inside(tmp_path):
    paths = write_outputs(tmp_path, {"a.txt": "a", "shp/b.cpg": b"UTF-8"})
    assert paths == [tmp_path / "a.txt", tmp_path / "shp" / "b.cpg"]
    assert (tmp_path / "shp" / "b.cpg").read_bytes() == b"UTF-8"
    assert sorted(q.name for q in (tmp_path / "shp").iterdir()) == ["b.cpg"]  # no staging file left
    for bad in ("../x.txt", "/tmp/x.txt"):
        with pytest.raises(PlannerError, match="expected a file name inside the output folder"):
            write_outputs(tmp_path / "o", {"ok.txt": "x", bad: "x"})
        assert not (tmp_path / "o" / "ok.txt").exists()


def test_cli_refuses_a_bad_output_crs_before_any_work(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["plan", "--output-crs", "EPSG:99999", "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: output_crs='EPSG:99999' (--output-crs): not a known CRS") and "\n" not in err
    assert main(["plan", "--dxf", "--output-crs", "EPSG:4326", "--out", str(out), "-q"]) == 2
    assert "which CAD cannot measure" in capsys.readouterr().err
    assert not out.exists()


def test_cli_options_reach_the_files(written, tmp_path, monkeypatch, capsys):
    p, _, _ = written
    small = dataclasses.replace(p, isochrones=p.isochrones.iloc[:1])  # the plan and its files are tested above
    monkeypatch.setattr(planner.runs.pipeline, "plan", lambda *_, **__: small)
    monkeypatch.setattr(
        planner.outputs.folder, "plan_map", lambda plan, **_: folium.Map(tiles=None)
    )  # (seconds to draw)
    out = tmp_path / "out"
    assert main(["plan", "--format", "shp", "--dxf", "--output-crs", "EPSG:3879", "--out", str(out)]) == 0
    report = capsys.readouterr().out
    assert "plan.gpkg" in report and "plan.dxf" in report
    assert [line for line in report.splitlines() if "shp" in line] == [  # the folder once, not its 26 files
        line for line in report.splitlines() if "shapefiles (field names in fields.csv)" in line
    ]
    assert len([line for line in report.splitlines() if "shp" in line]) == 1
    assert gpd.read_file(out / "shp" / "homes.shp").crs.to_epsg() == 3879
    assert dict(ezdxf.readfile(out / "plan.dxf").header.custom_vars)["CRS"] == "EPSG:3879"


def test_every_file_written(written):
    _, out, _ = written
    shp = [f"shp/{layer}{ext}" for layer in LAYERS for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg")]
    expected = {*planner.outputs.OUTPUT_FILES, "areas.csv", "plan.dxf", *shp, "shp/fields.csv"}
    assert {q.relative_to(out).as_posix() for q in out.rglob("*")} - {"shp"} == expected


@pytest.mark.slow
def test_guixi_in_cgcs2000_with_osm_chinese_names(tmp_path):
    source = shared_file("guixi_jiangxi.osm")
    out = tmp_path / "out"
    code = main(["plan", "--source", str(source), "--format", "shp", "--dxf", "--output-crs", "EPSG:4548",
                 "--out", str(out), "-q"])  # fmt: skip
    assert code == 0
    csv = pd.read_csv(out / "stations.csv", encoding="utf-8-sig")
    assert any("\u4e00" <= ch <= "\u9fff" for name in csv["name"] for ch in name)
    gpkg = gpd.read_file(out / "plan.gpkg", layer="stations")
    assert gpkg.crs.to_epsg() == 4548 and list(gpkg["name"]) == list(csv["name"])
    assert list(gpd.read_file(out / "shp" / "stations.shp")["name"]) == list(csv["name"])
    doc = ezdxf.readfile(out / "plan.dxf")
    assert sorted(i.get_attrib_text("NAME") for i in doc.modelspace().query("INSERT")) == sorted(csv["name"])
    assert dict(doc.header.custom_vars)["CRS"] == "EPSG:4548"
    walks = gpd.read_file(out / "isochrones.geojson").to_crs("EPSG:4548")  # CAD's area less the holes: the walks'
    cad = _cad_area(doc.modelspace(), "ISOCHRONES") - _cad_area(doc.modelspace(), "ISOCHRONES_HOLES")
    assert cad == pytest.approx(float(walks.area.sum()), rel=1e-9)
    back = gpkg.to_crs("EPSG:4326")
    assert np.allclose(back.geometry.x, csv["lon"], atol=1e-6) and np.allclose(back.geometry.y, csv["lat"], atol=1e-6)
