"""The map: layers, legend, summary, languages, escaping, basemaps, the GCJ-02 shift, and
the offline page rendered by headless Chromium with the network off.

``python tests/test_maps.py --readme`` redraws the README's screenshot (maps/screenshot.png).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from browser import BROWSER_ARGS, block_network
from instances import beijing_plan
from reference import unescape_js

import planner
from planner.cli import main
from planner.errors import InputError
from planner.outputs.maps import check_basemap, footprint_polygons, leaflet_assets, wgs84_to_gcj02
from planner.outputs.maps.draw import MapContent, draw_map
from planner.text import words

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
MAPS = ROOT / "maps"


# ----------------------------------------------------------------- GCJ-02


def test_gcj02_matches_published_values():
    # wandergis/coordtransform's README example and googollee/eviltransform's test points
    published = [
        ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),
        ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
        ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
        ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
    ]
    src = np.array([p[0] for p in published])
    want = np.array([p[1] for p in published])
    lon, lat = wgs84_to_gcj02(src[:, 0], src[:, 1])
    np.testing.assert_allclose(lon, want[:, 0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(lat, want[:, 1], rtol=0, atol=1e-9)


def test_gcj02_tiananmen_offset_and_outside_china():
    lon, lat = wgs84_to_gcj02(116.391, 39.907)
    assert float(lon) - 116.391 == pytest.approx(0.00624, abs=2e-4)
    assert float(lat) - 39.907 == pytest.approx(0.00140, abs=2e-4)
    # Helsinki, New York, Sydney, Tokyo, London: not in China, unchanged to the bit
    pts = np.array([[24.94, 60.17], [-74.006, 40.7128], [151.2093, -33.8688], [139.6917, 35.6895], [-0.1276, 51.5072]])
    lon, lat = wgs84_to_gcj02(pts[:, 0], pts[:, 1])
    assert np.array_equal(lon, pts[:, 0]) and np.array_equal(lat, pts[:, 1])
    # vectorised: a 2-D array keeps its shape and matches point-by-point calls
    grid_lon, grid_lat = np.meshgrid(np.linspace(100, 120, 4), np.linspace(25, 40, 3))
    glon, _glat = wgs84_to_gcj02(grid_lon, grid_lat)
    assert glon.shape == (3, 4)
    assert float(glon[1, 2]) == float(wgs84_to_gcj02(grid_lon[1, 2], grid_lat[1, 2])[0])


def _numbers(page: str) -> np.ndarray:
    return np.array([float(x) for x in re.findall(r"-?\d+\.\d+", page)])


def test_gaode_shifts_every_overlay_to_gcj02():
    stations, iso, demand, covered, candidates, G = beijing_plan()
    pages = {}
    for basemap in ("osm", "gaode"):
        fmap = draw_map(
            MapContent(
                stations,
                iso,
                demand,
                covered,
                candidates=candidates,
                network=G,
                covered_before=np.zeros(3, bool),
                areas=_areas("EPSG:3857"),
            ),
            basemap=basemap,
        )
        pages[basemap] = _numbers(fmap.get_root().render())
    points = np.concatenate(
        [
            shapely.get_coordinates(stations.geometry.values),
            shapely.get_coordinates(iso.geometry.values),
            shapely.get_coordinates(_areas().geometry.values),
            shapely.get_coordinates(demand.geometry.values),
            shapely.get_coordinates(candidates.geometry.values),
            np.array([[G.nodes[n]["x"], G.nodes[n]["y"]] for n in G.nodes]),
        ]
    )
    glon, glat = wgs84_to_gcj02(points[:, 0], points[:, 1])
    assert (np.abs(glon - points[:, 0]) > 0.004).all() and (np.abs(glat - points[:, 1]) > 0.0005).all()

    def present(nums, value):
        return bool(np.isclose(nums, value, rtol=0, atol=2e-6).any())

    for (lon, lat), gx, gy in zip(points, glon, glat):
        assert present(pages["osm"], lon) and present(pages["osm"], lat)
        assert not present(pages["osm"], gx) and not present(pages["osm"], gy)
        assert present(pages["gaode"], gx) and present(pages["gaode"], gy), (lon, lat)
        assert not present(pages["gaode"], lon) and not present(pages["gaode"], lat), (lon, lat)


# ----------------------------------------------------------------- basemaps and bad input


@pytest.mark.parametrize(
    "basemap, host, credit",
    [
        ("osm", "tile.openstreetmap.org", "openstreetmap.org/copyright"),
        ("carto", "basemaps.cartocdn.com/light_all", "carto.com/attributions"),
        ("tianditu", "tianditu.gov.cn/vec_w/wmts", "天地图 Tianditu"),
        ("gaode", "is.autonavi.com/appmaptile", "高德地图 AutoNavi"),
    ],
)
def test_basemap_tiles_and_attribution(basemap, host, credit, monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    stations, iso, demand, covered, _, _ = beijing_plan()
    key = "0123456789abcdef0123456789abcdef" if basemap == "tianditu" else None
    page = unescape_js(
        draw_map(MapContent(stations, iso, demand, covered), basemap=basemap, tianditu_key=key, lang="zh")
        .get_root()
        .render()
    )
    assert host in page and credit in page
    assert "OpenStreetMap" in page  # the overlays are OSM data, credited on every basemap
    others = [
        h
        for b, h, _ in [
            ("osm", "tile.openstreetmap.org", 0),
            ("carto", "cartocdn", 0),
            ("tianditu", "tianditu.gov.cn/vec", 0),
            ("gaode", "autonavi", 0),
        ]
        if b != basemap
    ]
    assert not [h for h in others if h in page]
    if basemap == "tianditu":
        assert page.count(f"tk={key}") == 2 and "cva_w" in page  # Chinese annotations for lang zh
    if basemap == "gaode":
        assert "lang=zh_cn" in page
    # the online page loads Leaflet alone: no jQuery, Bootstrap or icon fonts
    assert "jquery" not in page.lower() and "bootstrap" not in page.lower() and "fontawesome" not in page.lower()


def test_tianditu_key_from_the_environment(monkeypatch):
    monkeypatch.setenv("TIANDITU_KEY", "abcdef0123456789")
    assert check_basemap("tianditu") == "abcdef0123456789"
    assert check_basemap("tianditu", "fedcba9876543210") == "fedcba9876543210"
    assert check_basemap("osm") is None


@pytest.mark.parametrize(
    "args, words",
    [
        (["--basemap", "tianditu"], ["--tianditu-key", "TIANDITU_KEY"]),
        (["--basemap", "tianditu", "--tianditu-key", "abc'<script>"], ["tianditu key", "letters and digits"]),
        (["--basemap", "bing"], ["--basemap", "'bing'"]),
    ],
)
def test_bad_basemap_options_fail_in_one_line_before_any_work(args, words, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    out = tmp_path / "out"
    assert main(["plan", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: ")
    for word in words:
        assert word in err
    assert not out.exists() or not any(out.iterdir())


def test_plan_map_rejects_bad_arguments():
    stations, iso, demand, covered, _, _ = beijing_plan()
    with pytest.raises(InputError, match="basemap='bing'"):
        draw_map(MapContent(stations, iso, demand, covered), basemap="bing")
    with pytest.raises(InputError, match="lang='fr'"):
        draw_map(MapContent(stations, iso, demand, covered), lang="fr")
    with pytest.raises(InputError, match="covered: 2 values for 3 demand points"):
        draw_map(MapContent(stations, iso, demand, covered[:2]))


# ----------------------------------------------------------------- content of the page


@pytest.fixture(scope="module")
def existing_plan(helsinki):
    """The embedded default with the two sample existing stations (built once)."""
    network = helsinki[0]
    return planner.plan(planner.Study(existing=DATA / "sample_existing.csv", network=network))


def test_leaflet_comes_from_an_installed_package():
    js, css, origin = leaflet_assets()
    assert origin.startswith(("django-js-lib-leaflet", "XStatic-Leaflet"))
    assert re.search(r"Leaflet 1\.9\.\d", js[:300])
    assert "images/" not in css and css.count("data:image/png;base64,") == 3
    assert "</script" not in js.lower() and "sourceMappingURL" not in js


def test_offline_page_is_self_contained(existing_plan):
    page = planner.plan_map(existing_plan, offline=True).get_root().render()
    tags = re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", page, flags=re.IGNORECASE)
    assert [t for t in tags if re.search(r"\b(src|href)\s*=", t)] == []
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page) and "@import" not in page
    assert "L.tileLayer" not in page and "cdn." not in page
    js, _, _ = leaflet_assets()
    assert js[:200] in page
    # the streets are the basemap, in their own pane under the overlays
    assert re.search(r'"pane":\s*"planner-basemap"', page)
    panes = _panes(page)
    assert panes["planner-basemap"] < min(z for name, z in panes.items() if name != "planner-basemap")
    assert panes["planner-basemap"] < 400  # Leaflet's overlayPane: the walking areas, homes and stations


def _panes(page: str) -> dict[str, int]:
    """{name: z-index} of the map's own panes (whatever the template's whitespace)."""
    found = re.findall(
        r'var\s+(\w+)\s*=\s*\w+\.createPane\(\s*"([^"]+)"\s*\);\s*\1\.style\.zIndex\s*=\s*(\d+)\s*;', page
    )
    assert len({name for _, name, _ in found}) == len(found) > 0
    return {name: int(z) for _, name, z in found}


def _basemap_polygons(page: str, kind: str) -> list:
    """The polygons of the offline basemap's ``kind`` layer (``[]`` when it is not drawn)."""
    found = re.findall(r'L\.polygon\((\[[^)]*\]), \{"className": "planner-basemap-' + kind + '"', page)
    assert len(found) <= 1
    return json.loads(found[0]) if found else []


def _parts(geoms) -> int:
    return int(shapely.get_num_geometries(np.asarray(geoms)).sum())


def test_demand_stage_hands_its_footprints_to_the_map(helsinki, tmp_path):
    from planner.network.osm import read_features
    from planner.network.sources import network_source

    network, demand, _ = helsinki
    homes, shapes = planner.load_demand(network=network, footprints=True)
    assert homes.equals(demand) and homes.attrs == {}  # the points are the same; nothing rides on them
    assert list(shapes.columns) == ["kind", "geometry"] and shapes.crs == homes.crs
    read = read_features(network_source(network), {"building": True})
    polys = read[read.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    assert (shapes["kind"] == "building").sum() == len(polys) > 400  # every building, homes or not
    # the default is buildings+landuse: the land use sampled for homes comes along
    sampled = demand["kind"] == "landuse"
    assert demand["method"].iloc[0] == "buildings+landuse" and sampled.any()
    landuse = shapes[shapes["kind"] == "landuse"]
    assert (
        len(landuse)
        and shapely.STRtree(landuse.geometry.values).query(demand.geometry[sampled].values, predicate="within")[0].size
        == sampled.sum()
    )
    # a demand file reads no OSM shapes: only the streets are drawn
    csv = tmp_path / "homes.csv"
    csv.write_text("lon,lat,population\n24.9384,60.1699,10\n", encoding="utf-8")
    homes, shapes = planner.load_demand(csv, network=network, footprints=True)
    assert len(homes) == 1 and len(shapes) == 0 and list(shapes.columns) == ["kind", "geometry"]


def test_offline_basemap_draws_every_footprint_small(existing_plan):
    fp = existing_plan.footprints
    page = planner.plan_map(existing_plan, offline=True).get_root().render()
    buildings, landuse = _basemap_polygons(page, "building"), _basemap_polygons(page, "landuse")
    assert len(buildings) == _parts(fp.geometry[fp["kind"] == "building"]) > 400
    assert len(landuse) == _parts(fp.geometry[fp["kind"] == "landuse"]) > 0
    # under the overlays, in the basemap pane: land use, then buildings, then the streets
    order = [page.index(f'"className": "planner-basemap{k}"') for k in ("-landuse", "-building", "")]
    assert order == sorted(order) and page.count('"pane": "planner-basemap"') == 3
    # simplified (1 m), 6 decimals, rings open (Leaflet closes them)
    rings = [ring for polygon in buildings for ring in polygon]
    assert all(len(ring) >= 3 and ring[0] != ring[-1] for ring in rings)
    assert all(len(repr(v).split(".")[-1]) <= 6 for ring in rings for point in ring for v in point)
    raw = sum(
        len(r.coords) - 1
        for g in fp.geometry[fp["kind"] == "building"]
        for p in shapely.get_parts(g)
        for r in shapely.get_rings(p)
    )
    assert sum(map(len, rings)) < raw
    data = re.search(r'L\.polygon\((\[[^)]*\]), \{"className": "planner-basemap-building"', page).group(1)
    assert len(data) < 200_000
    # online the tiles show the buildings: none drawn
    online = planner.plan_map(existing_plan).get_root().render()
    assert "planner-basemap-building" not in online and "L.polygon(" not in online


def test_footprints_cap_and_gcj02_shift(monkeypatch):
    stations, iso, demand, covered, _, G = beijing_plan()

    def square(x, y, d=0.0002):
        return shapely.box(x, y, x + d, y + d)

    inside = [square(116.381 + 0.0005 * i, 39.902) for i in range(3)]  # in the walking area's box
    outside = [square(116.42, 39.93), square(116.36, 39.88)]
    fp = gpd.GeoDataFrame({"kind": ["building"] * 5}, geometry=inside + outside, crs="EPSG:4326")
    page = (
        draw_map(MapContent(stations, iso, demand, covered, network=G, footprints=fp), offline=True).get_root().render()
    )
    assert len(_basemap_polygons(page, "building")) == 5
    monkeypatch.setattr(planner.outputs.maps.shapes, "MAX_FOOTPRINTS", 4)
    with pytest.warns(UserWarning, match="5 footprints are more than 4; drew the 3 polygons"):
        page = (
            draw_map(MapContent(stations, iso, demand, covered, network=G, footprints=fp), offline=True)
            .get_root()
            .render()
        )
    drawn = _basemap_polygons(page, "building")
    assert len(drawn) == 3 and all(116.38 < lon < 116.386 for p in drawn for r in p for _, lon in r)
    # footprints take the streets' GCJ-02 shift
    shifted = footprint_polygons(fp.iloc[:1], gcj02=True, tolerance_m=0)["building"][0][0]
    corners = shapely.get_coordinates(fp.geometry.iloc[0])[:-1]
    glon, glat = wgs84_to_gcj02(corners[:, 0], corners[:, 1])
    np.testing.assert_allclose(np.array(shifted), np.column_stack([glat, glon]), rtol=0, atol=6e-7)
    assert abs(shifted[0][1] - corners[0, 0]) > 0.004


def test_layers_legend_summary_and_popups(existing_plan):
    t = words("en", "map")
    page = unescape_js(planner.plan_map(existing_plan).get_root().render())
    control = re.search(r"overlays :  \{(.*?)\},\s*\};", page, flags=re.S).group(1)
    names = re.findall(r'"([^"]+)" :', control)
    assert names == [
        t["proposed_layer"],
        t["existing_layer"],
        t["areas"].format(minutes=5),
        t["homes_covered"],
        t["homes_uncovered"],
        t["heat_layer"],
        t["candidates_layer"],
        t["network_layer"],
    ]
    legend = re.search(r'<div id="planner-legend".*?</div></div>', page, flags=re.S).group(0)
    for key in ("proposed", "existing", "uncovered", "covered"):
        assert t[key] in legend
    s = planner.plan_summary(existing_plan)
    summary = re.search(r'<div id="planner-summary".*?</table></div>', page, flags=re.S).group(0)
    assert f"{s['n_stations']} ({s['n_stations'] - 2} proposed, 2 existing)" in summary
    assert f"{s['population_covered']:,.0f} ({s['covered_share']:.1%})" in summary
    assert f"{s['population_total']:,.0f}" in summary
    # popups: one per station, each with its id and population
    popups = re.findall(r"\.bindPopup\((\".*?\"), \{", page)
    assert len(popups) == s["n_stations"] == page.count("L.marker(")
    text = " ".join(json.loads(p) for p in popups)
    for row in existing_plan.stations.itertuples():
        assert row.site_id in text and f"{row.population_within:,.0f}" in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_proposed_stations_by_tier(lang):
    t = words(lang, "map")
    stations, iso, demand, covered, _, _ = beijing_plan()
    stations["tier"] = ["centre", "grid", "grid"]
    page = unescape_js(draw_map(MapContent(stations, iso, demand, covered), lang=lang).get_root().render())
    control = re.search(r"overlays :  \{(.*?)\},\s*\};", page, flags=re.S).group(1)
    names = re.findall(r'"([^"]+)" :', control)
    assert names[:3] == [t["proposed_centre_layer"], t["proposed_grid_layer"], t["existing_layer"]]
    assert page.count("planner-station planner-proposed planner-tier-centre") == 1
    assert page.count("planner-station planner-proposed planner-tier-grid") == 1
    assert page.count("planner-station planner-existing") == 1
    popups = [json.loads(p) for p in re.findall(r"\.bindPopup\((\".*?\"), \{", page)]
    assert sum(t["centre"] in p for p in popups) == 1


def _tooltips(page: str) -> list[str]:
    """The stations' tooltips, in drawing order."""
    return re.findall(r"\.bindTooltip\(\s*`<div>\s*(.*?)\s*</div>`", page, flags=re.DOTALL)


def _station_popups(page: str) -> list[str]:
    """The stations' popups (HTML), in drawing order."""
    return [json.loads(p) for p in re.findall(r"\.bindPopup\((\".*?\"), \{", page)]


def _legend(page: str) -> str:
    found = re.search(r'<div id="planner-legend".*?</div></div>', page, flags=re.DOTALL)
    assert found, "no legend in the page"
    return found.group(0)


@pytest.mark.parametrize(
    "lang, want",
    [
        (
            "en",
            [
                "Proposed community centre: 甲站",
                "Proposed grid station: Station B",
                "Existing community centre: 现有站",
            ],
        ),
        ("zh", ["拟建社区党群服务中心: 甲站", "拟建网格站: Station B", "现有社区党群服务中心: 现有站"]),
    ],
)
def test_stations_named_by_status_and_tier(lang, want):
    t = words(lang, "map")
    stations, iso, demand, covered, _, _ = beijing_plan()
    stations["tier"] = ["centre", "grid", "centre"]  # s1 proposed centre, s2 proposed grid, e1 existing centre
    page = unescape_js(draw_map(MapContent(stations, iso, demand, covered), lang=lang).get_root().render())
    assert _tooltips(page) == want
    popups = _station_popups(page)
    assert [p.split("<br>")[0] for p in popups] == [f"<b>{w.split(': ')[0]}</b>: {w.split(': ')[1]}" for w in want]
    # a community centre is never called a grid station, in its tooltip or anywhere in its popup
    for text in [want[0], want[2], popups[0], popups[2]]:
        assert "网格站" not in text and "grid station" not in text.lower(), text
    assert "网格站" in want[1] if lang == "zh" else "grid station" in want[1]
    assert page.count("planner-station planner-proposed planner-tier-centre") == 1
    assert page.count("planner-station planner-proposed planner-tier-grid") == 1
    assert page.count("planner-station planner-existing planner-tier-centre") == 1
    # the existing layer is not called 现有网格站 when it holds a centre; the legend names the existing centre
    control = re.search(r"overlays :  \{(.*?)\},\s*\};", page, flags=re.DOTALL).group(1)
    assert re.findall(r'"([^"]+)" :', control)[:3] == [
        t["proposed_centre_layer"],
        t["proposed_grid_layer"],
        t["existing_tiered_layer"],
    ]
    legend = _legend(page)
    assert t["existing_centre"] in legend and t["existing_grid"] not in legend
    assert t["existing_grid"] not in page
    assert {"en": "Existing community centre", "zh": "现有社区党群服务中心"}[lang] in legend
    if lang == "zh":
        assert "现有网格站" not in page


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_station_labels_without_centres_and_with_an_existing_centre_only(lang):
    t = words(lang, "map")
    stations, iso, demand, covered, _, _ = beijing_plan()
    # all grid: the labels of a plan without tiers
    page = unescape_js(draw_map(MapContent(stations, iso, demand, covered), lang=lang).get_root().render())
    assert _tooltips(page) == [f"{t['proposed']}: 甲站", f"{t['proposed']}: Station B", f"{t['existing']}: 现有站"]
    assert t["existing_centre"] not in page and t["proposed_centre"] not in page
    assert t["existing"] in _legend(page)
    # only the existing station is a centre, given in its own frame without a tier column: the tier comes
    # from the matching row of ``stations``, and the plan has tiers
    stations["tier"] = ["grid", "grid", "centre"]
    existing = stations[stations["existing"]][["site_id", "name", "geometry"]]
    page = unescape_js(
        draw_map(MapContent(stations, iso, demand, covered, existing=existing), lang=lang).get_root().render()
    )
    assert _tooltips(page) == [
        f"{t['proposed_grid']}: 甲站",
        f"{t['proposed_grid']}: Station B",
        f"{t['existing_centre']}: 现有站",
    ]
    assert page.count("planner-station planner-existing planner-tier-centre") == 1
    assert t["existing_centre"] in _legend(page)


def _areas(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    """Three communities near the Beijing plan: 30 %, 90 % and 100 % covered; one name is a script tag."""
    boxes = [
        shapely.box(116.3843, 39.9031, 116.3947, 39.9104),
        shapely.box(116.3962, 39.9053, 116.4049, 39.9147),
        shapely.box(116.4007, 39.8951, 116.4102, 39.9018),
    ]
    areas = gpd.GeoDataFrame(
        {
            "area": ["<script>alert(1)</script>", "东华门社区", "Smith & Sons"],
            "population": [1000, 2500.0, 480],
            "population_covered": [300, 2250.0, 480],
            "covered_share": [0.3, 0.9, 1.0],
        },
        geometry=boxes,
        crs="EPSG:4326",
    )
    return areas.to_crs(crs)


def _area_layer(page: str) -> tuple[dict, dict]:
    """The areas layer's options and its GeoJSON document."""
    found = re.findall(r"var opts = (\{[^}]*\});\s*L\.geoJSON\((\{.*?\}), Object\.assign", page, flags=re.DOTALL)
    assert len(found) == 1
    return json.loads(found[0][0]), json.loads(found[0][1])


@pytest.mark.parametrize(
    "lang, legend_items",
    [
        ("en", ["Area, &lt;50% covered", "Area, 50%–80% covered", "Area, 80%–95% covered", "Area, ≥95% covered"]),
        ("zh", ["覆盖率&lt;50%的社区", "覆盖率50%–80%的社区", "覆盖率80%–95%的社区", "覆盖率≥95%的社区"]),
    ],
)
def test_areas_layer_coloured_by_share_covered(lang, legend_items):
    t = words(lang, "map")
    stations, iso, demand, covered, _, _ = beijing_plan()
    page = draw_map(MapContent(stations, iso, demand, covered, areas=_areas()), lang=lang).get_root().render()
    text = unescape_js(page)
    # a layer of its own, shown, listed after the walking areas
    control = re.search(r"overlays :  \{(.*?)\},\s*\};", text, flags=re.DOTALL).group(1)
    assert re.findall(r'"([^"]+)" :', control)[:4] == [
        t["proposed_layer"],
        t["existing_layer"],
        t["areas"].format(minutes=5),
        t["area_layer"],
    ]
    assert {"en": "Areas by share covered", "zh": "社区覆盖率"}[lang] == t["area_layer"]
    # one polygon per area, filled by its step, in a pane under the walking areas and the stations
    options, data = _area_layer(page)
    assert options == {
        "className": "planner-area",
        "color": "#555555",
        "fill": True,
        "fillOpacity": 0.35,
        "opacity": 0.8,
        "pane": "planner-area-share",
        "weight": 0.8,
    }
    panes = dict(re.findall(r'createPane\(\s*"([\w-]+)"\);\s*\w+\.style\.zIndex = (\d+);', page))
    assert int(panes["planner-basemap"]) < int(panes["planner-area-share"]) == 340 < int(panes["planner-areas"]) < 400
    features = data["features"]
    assert [f["properties"]["fill"] for f in features] == ["#d73027", "#a6d96a", "#1a9641"]
    assert [f["geometry"]["coordinates"][0][2] for f in features] == [
        [116.3843, 39.9104],
        [116.3962, 39.9147],
        [116.4007, 39.9018],
    ]
    assert [f["properties"]["tooltip"] for f in features] == [
        "&lt;script&gt;alert(1)&lt;/script&gt;: 30.0%",
        "东华门社区: 90.0%",
        "Smith &amp; Sons: 100.0%",
    ]
    rows = [
        (t["area_name"], "东华门社区"),
        (t["population"], "2,500"),
        (t["area_covered"], "2,250"),
        (t["area_share"], "90.0%"),
    ]
    assert features[1]["properties"]["popup"] == "<br>".join(f"<b>{k}</b>: {v}" for k, v in rows)
    assert features[0]["properties"]["popup"].startswith(f"<b>{t['area_name']}</b>: &lt;script&gt;alert(1)")
    assert features[2]["properties"]["popup"].endswith(f"<b>{t['area_share']}</b>: 100.0%")
    # names from the file are escaped: no script tag, raw or once the JSON is decoded
    assert "<script>alert" not in page and "<script>alert" not in text
    assert "\\u0026lt;script\\u0026gt;alert(1)" in page
    # the legend lists the steps with their colours
    legend = _legend(text)
    for (_, colour), label in zip(planner.outputs.maps.AREA_STEPS, legend_items):
        assert f'style="background:{colour}59;border:1px solid #555555;border-radius:0"></span>{label}</div>' in legend
    # without areas nothing of the layer is drawn
    page = unescape_js(draw_map(MapContent(stations, iso, demand, covered), lang=lang).get_root().render())
    assert t["area_layer"] not in page and "planner-area-share" not in page and '"planner-area"' not in page
    assert not [label for label in legend_items if label in page]
    assert not [colour for _, colour in planner.outputs.maps.AREA_STEPS if colour in page]


def test_areas_need_their_columns_and_take_any_crs():
    stations, iso, demand, covered, _, _ = beijing_plan()
    with pytest.raises(InputError, match=r"areas: missing column\(s\) population_covered, covered_share"):
        draw_map(
            MapContent(
                stations, iso, demand, covered, areas=_areas().drop(columns=["population_covered", "covered_share"])
            )
        )
    # in a projected CRS: drawn in WGS-84; a missing share is grey, its figures shown as a dash
    areas = _areas("EPSG:32650")
    areas.loc[1, "covered_share"] = np.nan
    _, data = _area_layer(draw_map(MapContent(stations, iso, demand, covered, areas=areas)).get_root().render())
    corner = data["features"][0]["geometry"]["coordinates"][0][2]
    assert corner == pytest.approx([116.3843, 39.9104], abs=2e-7)
    assert data["features"][1]["properties"]["fill"] == "#bdbdbd"
    assert data["features"][1]["properties"]["tooltip"] == "东华门社区: –"


def test_summary_counts_the_population_existing_stations_covered_before():
    stations, iso, demand, covered, _, _ = beijing_plan()
    before = np.array([True, False, True])
    page = draw_map(MapContent(stations, iso, demand, covered, covered_before=before)).get_root().render()
    summary = re.search(r'<div id="planner-summary".*?</table></div>', page, flags=re.S).group(0)
    assert "<td>120 (80.0%)</td>" in summary  # 50 + 70 of 150
    assert "<td>50 (33.3%)</td>" in summary  # after: the covered home only
    assert "3 (2 proposed, 1 existing)" in summary


def test_every_label_in_chinese():
    stations, iso, demand, covered, candidates, G = beijing_plan()
    pages = {
        lang: unescape_js(
            draw_map(MapContent(stations, iso, demand, covered, candidates=candidates, network=G), lang=lang)
            .get_root()
            .render()
        )
        for lang in ("en", "zh")
    }
    shown = [
        "proposed_layer",
        "existing_layer",
        "areas",
        "homes_covered",
        "homes_uncovered",
        "heat_layer",
        "candidates_layer",
        "network_layer",
        "legend",
        "proposed",
        "existing",
        "covered",
        "uncovered",
        "heat",
        "areas_legend",
        "summary_title",
        "summary_stations",
        "summary_total",
        "summary_before",
        "summary_after",
        "summary_share",
        "summary_walk",
        "site_id",
        "tier",
        "kind",
        "population_covered",
        "share_of_all",
        "zoom_in",
        "zoom_out",
        "grid",
        "population",
        "candidate",
    ]
    for key in shown:
        en, zh = (words(lang, "map")[key].format(minutes=5) for lang in ("en", "zh"))
        assert zh in pages["zh"], key
        assert en in pages["en"], key
        assert en not in pages["zh"], f"{key}: {en!r} left in English on the Chinese map"


def test_names_from_files_are_escaped_in_every_layer():
    stations, iso, demand, covered, candidates, _G = beijing_plan()
    evil = "<img src=x onerror=alert(1)>"
    stations["name"] = [evil, "a`b", "${x}"]
    candidates["name"] = [evil]
    candidates["kind"] = ["<b>k</b>"]
    page = draw_map(MapContent(stations, iso, demand, covered, candidates=candidates)).get_root().render()
    assert "<img src=x" not in page and "<b>k</b>" not in page and "a`b" not in page and "${x}" not in page
    assert "&lt;img src=x" in page  # tooltips keep the escaped text
    assert "\\u0026lt;img src=x" in page  # popups and candidate tooltips: escaped, then JSON


# ----------------------------------------------------------------- headless Chromium, network off


@pytest.fixture(scope="module")
def offline_run(tmp_path_factory):
    """``planner plan --offline`` on the embedded default."""
    out = tmp_path_factory.mktemp("offline")
    assert main(["plan", "--offline", "--out", str(out), "-q"]) == 0
    return out


def open_offline(browser, path: Path, *, width: int = 1200, height: int = 800):
    """Open ``path`` with the network off; returns (context, page, log) where log counts requests and errors."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_offline(True)
    log = {"requests": block_network(context), "console_errors": [], "page_errors": []}
    page = context.new_page()

    def on_console(message) -> None:
        if message.type == "error":
            log["console_errors"].append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda e: log["page_errors"].append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector(".leaflet-container .planner-station", state="attached", timeout=10_000)
    page.wait_for_timeout(300)
    return context, page, log


def test_offline_map_renders_in_chromium_with_the_network_off(chromium, offline_run, tmp_path):
    """The offline page in Chromium, network off; its screenshot goes to ``tmp_path``, and with
    ``PLANNER_README_IMAGES=1`` in the environment is also kept as maps/offline_map.png."""
    stations = json.loads((offline_run / "stations.geojson").read_text(encoding="utf-8"))["features"]
    summary = json.loads((offline_run / "summary.json").read_text(encoding="utf-8"))
    context, page, log = open_offline(chromium, offline_run / "plan.html")
    try:
        assert page.locator(".leaflet-container").count() == 1
        assert page.evaluate("() => L.version").startswith("1.9")
        assert page.locator(".planner-station").count() == len(stations) == summary["n_stations"] > 0
        assert page.locator(".planner-home").count() == summary["n_demand"]
        assert page.locator(".planner-heat").count() == 3 * summary["n_uncoverable"]
        assert page.locator("path.planner-basemap").count() == 1  # the street basemap is drawn
        # the building footprints: one light multi-polygon path, a ring per building in view
        buildings = page.locator("path.planner-basemap-building")
        assert buildings.count() == 1 and buildings.get_attribute("d").count("M") > 100
        assert page.locator("path.planner-basemap-landuse").count() == 1
        assert page.locator(".leaflet-tile").count() == 0
        assert page.locator("#planner-legend").is_visible() and page.locator("#planner-summary").is_visible()
        assert "OpenStreetMap" in page.locator(".leaflet-control-attribution").inner_text()
        shot = tmp_path / "offline_map.png"
        page.screenshot(path=str(shot))
        assert log == {"requests": [], "console_errors": [], "page_errors": []}
    finally:
        context.close()
    assert shot.stat().st_size > 10_000
    if os.environ.get("PLANNER_README_IMAGES") == "1":  # asked for: refresh the repository's copy
        MAPS.mkdir(exist_ok=True)
        shutil.copyfile(shot, MAPS / "offline_map.png")


def test_offline_layers_toggle_and_popups_in_chromium(chromium, existing_plan, tmp_path):
    path = tmp_path / "plan.html"
    path.write_text(planner.plan_map(existing_plan, offline=True, lang="zh").get_root().render(), encoding="utf-8")
    context, page, log = open_offline(chromium, path)
    try:
        n = len(existing_plan.stations)
        assert page.locator(".planner-station").count() == n
        assert page.locator(".planner-existing").count() == 2 and page.locator(".planner-proposed").count() == n - 2
        # candidate sites and the walking network are off until ticked in the layer control
        n_candidates = int((~existing_plan.sites["existing"]).sum())
        assert page.locator(".planner-candidate").count() == 0 and page.locator(".planner-network").count() == 0
        page.get_by_text(words("zh", "map")["candidates_layer"], exact=True).click()
        page.get_by_text(words("zh", "map")["network_layer"], exact=True).click()
        assert page.locator(".planner-candidate").count() == n_candidates
        assert page.locator("path.planner-network").count() == 1
        # every station's popup shows its figures
        texts = page.evaluate("""() => {
            const out = [];
            const map = Object.values(window).find(v => v instanceof L.Map);
            map.eachLayer(l => { if (l instanceof L.Marker && l.getPopup()) {
                l.openPopup(); out.push(l.getPopup().getElement().textContent); l.closePopup(); } });
            return out;
        }""")
        assert len(texts) == n
        for row in existing_plan.stations.itertuples():
            assert any(
                row.site_id in t and f"{row.population_within:,.0f}" in t and words("zh", "map")["site_id"] in t
                for t in texts
            ), row.site_id
        assert log == {"requests": [], "console_errors": [], "page_errors": []}
    finally:
        context.close()


def test_areas_answer_the_mouse_under_the_overlays_in_chromium(chromium, tmp_path):
    """The areas' pane sits under the walking areas and the homes, yet hovering and clicking an area opens
    its tooltip and popup, escaped."""
    stations, iso, demand, covered, _, G = beijing_plan()
    path = tmp_path / "plan.html"
    path.write_text(
        draw_map(MapContent(stations, iso, demand, covered, network=G, areas=_areas()), offline=True, lang="zh")
        .get_root()
        .render(),
        encoding="utf-8",
    )
    context, page, log = open_offline(chromium, path)
    try:
        assert page.locator("path.planner-area").count() == 3
        fills = page.eval_on_selector_all("path.planner-area", "els => els.map(e => e.getAttribute('fill'))")
        assert fills == ["#d73027", "#a6d96a", "#1a9641"]
        x, y = page.evaluate("""() => { const map = Object.values(window).find(v => v instanceof L.Map);
            const p = map.latLngToContainerPoint([39.9040, 116.3850]); return [p.x, p.y]; }""")
        page.mouse.move(x, y)
        page.wait_for_timeout(200)
        assert page.locator(".leaflet-tooltip").all_inner_texts() == ["<script>alert(1)</script>: 30.0%"]
        page.mouse.click(x, y)
        page.wait_for_timeout(200)
        assert page.locator(".leaflet-popup-content").inner_text().split("\n") == [
            "社区: <script>alert(1)</script>",
            "人口: 1,000",
            "已覆盖人口: 300",
            "覆盖率: 30.0%",
        ]
        assert log == {"requests": [], "console_errors": [], "page_errors": []}
    finally:
        context.close()


def test_online_page_runs_with_its_cdn_files_served_locally(chromium, existing_plan, tmp_path):
    """The tile page's script is valid too: Leaflet's CDN files answered from the installed package,
    tiles with a blank PNG, the Leaflet.heat plugin (not installable here) with a minimal layer."""
    import base64

    path = tmp_path / "plan.html"
    path.write_text(planner.plan_map(existing_plan, basemap="carto").get_root().render(), encoding="utf-8")
    js, css, _ = leaflet_assets()
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
    )
    asked = []
    context = chromium.new_context()
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):
        url = r.request.url
        if url.startswith("file:"):
            return r.continue_()
        asked.append(url)
        if url.endswith("/leaflet.js"):
            r.fulfill(body=js, content_type="application/javascript")
        elif url.endswith("/leaflet.css"):
            r.fulfill(body=css, content_type="text/css")
        elif url.endswith("leaflet_heat.min.js"):
            r.fulfill(
                body="L.heatLayer = function () { return L.layerGroup(); };", content_type="application/javascript"
            )
        elif "basemaps.cartocdn.com" in url:
            r.fulfill(body=png, content_type="image/png")
        else:
            r.abort()

    context.route("**/*", route)
    try:
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_selector(".planner-station", state="attached", timeout=10_000)
        page.wait_for_timeout(300)
        assert page.locator(".planner-station").count() == len(existing_plan.stations)
        assert page.locator("img.leaflet-tile").count() > 0
        hosts = {re.sub(r"^https?://([^/]+)/.*$", r"\1", u) for u in asked}
        assert hosts <= {
            "cdn.jsdelivr.net",
            "a.basemaps.cartocdn.com",
            "b.basemaps.cartocdn.com",
            "c.basemaps.cartocdn.com",
            "d.basemaps.cartocdn.com",
        }, hosts
        assert errors == []
    finally:
        context.close()


def _readme_screenshot() -> Path:  # pragma: no cover - run by hand
    """Redraw maps/screenshot.png: the default plan, offline (streets and buildings as the basemap)."""
    import tempfile

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        assert main(["plan", "--offline", "--out", tmp, "-q"]) == 0
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=BROWSER_ARGS)
            context, page, log = open_offline(browser, Path(tmp) / "plan.html", width=1100, height=760)
            assert log == {"requests": [], "console_errors": [], "page_errors": []}, log
            MAPS.mkdir(exist_ok=True)
            page.screenshot(path=str(MAPS / "screenshot.png"))
            context.close()
            browser.close()
    return MAPS / "screenshot.png"


if __name__ == "__main__":  # pragma: no cover
    if "--readme" in sys.argv:
        print(_readme_screenshot())
