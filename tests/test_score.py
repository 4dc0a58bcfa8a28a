"""``planner score``: the ranking's columns, its figures re-derived by networkx, and the
worst-served home each site would fix, on the embedded default and on a street drawn by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
from pyproj import Transformer
from reference import split_graph

import planner
from planner.cli import main
from planner.runs.scoring import worst_home_fixed

DATA = Path(__file__).resolve().parents[1] / "data"
EXISTING = DATA / "sample_existing.csv"

COLUMNS = [
    "rank",
    "site_id",
    "name",
    "lon",
    "lat",
    "population_within",
    "population_10min",
    "population_15min",
    "marginal_population",
    "overlap_share",
    "greedy_gain",
    "minutes_to_existing",
    "worst_home_id",
    "worst_home_minutes_to_existing",
    "worst_home_minutes_to_site",
]


@pytest.fixture(scope="module")
def default_files(tmp_path_factory):
    """``planner score --csv --geojson`` on the embedded default (no existing stations)."""
    out = tmp_path_factory.mktemp("score")
    assert main(["score", "--csv", str(out / "ranking.csv"), "--geojson", str(out / "ranking.geojson"), "-q"]) == 0
    return out


@pytest.fixture(scope="module")
def reference(helsinki):
    """Walks by networkx Dijkstra on the default split at homes, candidates and the sample existing stations.

    Returns per candidate a {home row: minutes} within 15 minutes, per home and per
    candidate the walk to the nearest existing station within 60 minutes (inf if none).
    """
    G, demand, sites = helsinki
    existing = planner.load_candidates(str(EXISTING), network=G, existing=True)
    points = {f"h{i}": g for i, g in enumerate(demand.geometry)}
    points.update({f"s{j}": g for j, g in enumerate(sites.geometry)})
    points.update({f"e{k}": g for k, g in enumerate(existing.geometry)})
    H = split_graph(G, points)
    site_walks = []
    for j in range(len(sites)):
        reached = nx.single_source_dijkstra_path_length(H, ("p", f"s{j}"), cutoff=15 + 1e-9, weight="weight")
        site_walks.append({int(n[1][1:]): t for n, t in reached.items() if n[0] == "p" and n[1].startswith("h")})
    home_now = [math.inf] * len(demand)
    site_now = [math.inf] * len(sites)
    for k in range(len(existing)):
        reached = nx.single_source_dijkstra_path_length(H, ("p", f"e{k}"), cutoff=60 + 1e-9, weight="weight")
        for n, t in reached.items():
            if n[0] == "p" and n[1][0] == "h":
                home_now[int(n[1][1:])] = min(home_now[int(n[1][1:])], t)
            elif n[0] == "p" and n[1][0] == "s":
                site_now[int(n[1][1:])] = min(site_now[int(n[1][1:])], t)
    return site_walks, home_now, site_now


def _expected_worst(walks: dict[int, float], now: list[float], pop: np.ndarray, limit: float = 5.0):
    """The worst-served home one site fixes, by looking at each home in turn."""
    best = None
    for i, t in walks.items():
        if t > limit or now[i] <= limit or pop[i] <= 0:
            continue
        key = (now[i], pop[i], -t, -i)
        if best is None or key > best[0]:
            best = (key, i, t)
    return (None, math.nan, math.nan) if best is None else (best[1], now[best[1]], best[2])


# ------------------------------------------------------------------ the default


def test_csv_opens_in_pandas_with_every_candidate_ranked(default_files, helsinki):
    _, demand, sites = helsinki
    table = pd.read_csv(default_files / "ranking.csv")
    assert list(table.columns) == COLUMNS
    assert len(table) == len(sites) == 67
    assert list(table["rank"]) == list(range(1, 68))
    assert sorted(table["site_id"]) == sorted(sites["site_id"])
    # no existing stations: nothing is covered yet, so every home a site reaches is new
    assert (table["marginal_population"] == table["population_within"]).all()
    assert (table["overlap_share"] == 0).all() and table["minutes_to_existing"].isna().all()
    assert table["worst_home_minutes_to_existing"].isna().all()
    assert table["greedy_gain"].sum() == pytest.approx(
        demand["population"][planner.coverage(*helsinki, minutes=5.0).coverable()].sum(), abs=1.0
    )
    # sites that reach a home with residents name one, the others none
    fixes = table["worst_home_id"].notna()
    assert fixes.sum() > 40 and (fixes == (table["population_within"] > 0)).all()
    assert table.loc[fixes, "worst_home_minutes_to_site"].between(0, 5).all()
    assert table.loc[~fixes, "worst_home_minutes_to_site"].isna().all()


def test_no_existing_station_worst_home_is_the_most_populous_reached(default_files, helsinki, reference):
    _, demand, sites = helsinki
    site_walks, _, _ = reference
    pop = demand["population"].to_numpy()
    table = pd.read_csv(default_files / "ranking.csv").set_index("site_id")
    unserved = [math.inf] * len(demand)
    for j, sid in enumerate(sites["site_id"]):
        home, _, walk = _expected_worst(site_walks[j], unserved, pop)
        row = table.loc[sid]
        if home is None:
            assert pd.isna(row["worst_home_id"]), sid
        else:
            assert row["worst_home_id"] == demand["demand_id"].iloc[home], sid
            assert row["worst_home_minutes_to_site"] == pytest.approx(walk, abs=0.006)


def test_ranking_with_existing_stations_checked_by_networkx(helsinki, reference):
    G, demand, sites = helsinki
    site_walks, home_now, site_now = reference
    pop = demand["population"].to_numpy()
    table = planner.score(planner.Study(existing=str(EXISTING), network=G)).set_index("site_id")
    assert len(table) == len(sites)
    fixed_finite = 0
    for j, sid in enumerate(sites["site_id"]):
        row = table.loc[sid]
        walks = site_walks[j]
        for limit, column in ((5, "population_within"), (10, "population_10min"), (15, "population_15min")):
            assert row[column] == pytest.approx(sum(pop[i] for i, t in walks.items() if t <= limit), abs=0.11), (
                sid,
                column,
            )
        new = sum(pop[i] for i, t in walks.items() if t <= 5 and home_now[i] > 5)
        assert row["marginal_population"] == pytest.approx(new, abs=0.11), sid
        if row["population_within"] > 0:
            assert row["overlap_share"] == pytest.approx(
                1 - new / sum(pop[i] for i, t in walks.items() if t <= 5), abs=1e-3
            )
        if math.isinf(site_now[j]):
            assert pd.isna(row["minutes_to_existing"]), sid
        else:
            assert row["minutes_to_existing"] == pytest.approx(site_now[j], abs=0.006), sid
        home, now, walk = _expected_worst(walks, home_now, pop)
        if home is None:
            assert pd.isna(row["worst_home_id"]) and pd.isna(row["worst_home_minutes_to_site"]), sid
            continue
        assert row["worst_home_id"] == demand["demand_id"].iloc[home], sid
        assert row["worst_home_minutes_to_site"] == pytest.approx(walk, abs=0.006), sid
        if math.isinf(now):
            assert pd.isna(row["worst_home_minutes_to_existing"]), sid
        else:
            fixed_finite += 1
            assert row["worst_home_minutes_to_existing"] == pytest.approx(now, abs=0.006), sid
            assert row["worst_home_minutes_to_existing"] > 5
    # the two sample stations leave homes 5 to 28 minutes away: most sites fix one of those
    assert fixed_finite > 40
    assert table.loc["osm-way-29049709", "worst_home_id"] == "b-way-123586002"
    # 21.72 by networkx Dijkstra on the split graph (22.74 before shared foot/cycle paths were walked)
    assert table.loc["osm-way-29049709", "worst_home_minutes_to_existing"] == pytest.approx(21.72, abs=0.01)


def test_greedy_order_checked_by_sets(helsinki, reference):
    G, demand, sites = helsinki
    site_walks, home_now, _ = reference
    pop = demand["population"].to_numpy()
    table = planner.score(planner.Study(existing=str(EXISTING), network=G))
    reach = [{i for i, t in w.items() if t <= 5} for w in site_walks]
    covered = {i for i in range(len(demand)) if home_now[i] <= 5}
    left = list(range(len(sites)))
    gains = []
    while left:
        gain = [sum(pop[i] for i in reach[j] - covered) for j in left]
        k = max(range(len(left)), key=lambda n: (gain[n] > max(gain) - 1e-6, -n))
        gains.append(gain[k])
        covered |= reach[left.pop(k)]
    assert table["greedy_gain"].to_numpy() == pytest.approx(np.round(gains, 1), abs=0.11)
    positive = table["greedy_gain"] > 0
    # by the sets above: 7 gains of 0.1 or more, then one of 0.0076 residents, shown as 0.0
    assert positive.sum() == 7


def test_geojson_has_the_same_rows_and_columns(default_files):
    text = (default_files / "ranking.geojson").read_text()
    assert "NaN" not in text
    data = json.loads(text)
    table = pd.read_csv(default_files / "ranking.csv", keep_default_na=False, na_values=[""])
    assert data["crs"]["properties"]["name"] == "urn:ogc:def:crs:OGC:1.3:CRS84"
    assert len(data["features"]) == len(table) == 67
    for feature, row in zip(data["features"], table.to_dict("records")):
        assert feature["geometry"] == {"type": "Point", "coordinates": [row["lon"], row["lat"]]}
        props = feature["properties"]
        assert sorted(props) == sorted(COLUMNS)
        for key in COLUMNS:
            if pd.isna(row[key]):
                assert props[key] is None, key
            elif isinstance(row[key], str):
                assert props[key] == row[key], key
            else:
                assert props[key] == pytest.approx(row[key], abs=1e-9), key
    gdf = gpd.read_file(default_files / "ranking.geojson")
    assert gdf.crs.to_epsg() == 4326 and gdf.geometry.x.between(24.8, 25.1).all()
    # the same run writes the same bytes
    again = default_files / "again"
    assert main(["score", "--geojson", str(again / "ranking.geojson"), "-q"]) == 0
    assert (again / "ranking.geojson").read_text() == text


def test_geojson_and_csv_shortlists(tmp_path, helsinki, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal: one line per site
    G, _, _ = helsinki
    full = planner.score(planner.Study(existing=str(EXISTING), network=G)).set_index("site_id")
    picks = full.loc[["osm-way-29049709", "osm-way-122869924", "osm-node-1375995139"]]
    features = [
        {
            "type": "Feature",
            "properties": {"name": f"shortlist {n}"},
            "geometry": {"type": "Point", "coordinates": [row.lon, row.lat]},
        }
        for n, row in enumerate(picks.itertuples())
    ]
    shortlist = tmp_path / "shortlist.geojson"
    shortlist.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    out = tmp_path / "out"
    assert (
        main(
            [
                "score",
                "--sites",
                str(shortlist),
                "--existing",
                str(EXISTING),
                "--csv",
                str(out / "s.csv"),
                "--geojson",
                str(out / "s.geojson"),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "worst home fixed" in printed and "b-way-123586002" in printed and "21.7 → 4.9" in printed
    table = pd.read_csv(out / "s.csv")
    assert list(table.columns) == COLUMNS
    assert list(table["rank"]) == [1, 2, 3]
    assert list(table["name"]) == ["shortlist 0", "shortlist 1", "shortlist 2"]
    # the same points score as they did among every candidate
    for column in (
        "population_within",
        "population_15min",
        "marginal_population",
        "minutes_to_existing",
        "worst_home_minutes_to_existing",
        "worst_home_minutes_to_site",
    ):
        assert table[column].to_numpy() == pytest.approx(picks[column].to_numpy(float), abs=0.02, nan_ok=True), column
    assert list(table["worst_home_id"].fillna("")) == list(picks["worst_home_id"].fillna(""))
    # the third site only reaches homes the existing stations already serve
    assert table["overlap_share"].iloc[2] == 1.0 and pd.isna(table["worst_home_id"].iloc[2])
    assert len(gpd.read_file(out / "s.geojson")) == 3
    # a CSV shortlist without names: lon,lat only
    plain = tmp_path / "plain.csv"
    picks[["lon", "lat"]].to_csv(plain, index=False)
    assert main(["score", "--sites", str(plain), "--csv", str(out / "p.csv"), "-q"]) == 0
    table = pd.read_csv(out / "p.csv")
    assert sorted(table["name"]) == ["site-0001", "site-0002", "site-0003"]
    assert sorted(table["population_within"]) == pytest.approx(sorted(picks["population_within"]), abs=0.02)


@pytest.mark.parametrize("case", ["geojson under a file", "geojson is a folder", "csv and geojson the same"])
def test_bad_output_paths_one_line(case, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x\n")
    args, message = {
        "geojson under a file": (["--geojson", str(blocker / "r.geojson")], "is a file, not a folder"),
        "geojson is a folder": (["--geojson", str(tmp_path)], "is a directory"),
        "csv and geojson the same": (["--csv", str(tmp_path / "r"), "--geojson", str(tmp_path / "r")], "same file"),
    }[case]
    assert main(["score", *args]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("error:") and message in errors[0], errors
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


# ------------------------------------------------------------------ a street drawn by hand

CRS = "EPSG:32650"
X0, Y0 = 500_000.0, 4_000_000.0
# one straight street, 6.4 km; at 4.8 km/h a minute is 80 m
HOMES = {"ha": (240, 5), "hb": (800, 20), "hc": (1200, 7), "hd": (5600, 10), "he": (5800, 30), "hf": (4700, 4)}
SITES = {"s1": 960, "s2": 5640, "s3": 160, "s4": 4500}


@pytest.fixture(scope="module")
def street(tmp_path_factory):
    G = nx.MultiDiGraph(crs=CRS, speed_kmh=4.8, simplified=True)
    xs = np.arange(0, 6401, 400.0)
    for k, x in enumerate(xs):
        G.add_node(k, x=X0 + x, y=Y0)
    for k in range(len(xs) - 1):
        for a, b in ((k, k + 1), (k + 1, k)):
            line = shapely.LineString([(X0 + xs[a], Y0), (X0 + xs[b], Y0)])
            G.add_edge(a, b, key=0, geometry=line, length=400.0, minutes=5.0)
    to_ll = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    folder = tmp_path_factory.mktemp("street")

    def write(name, rows):
        lon, lat = to_ll.transform([X0 + r["x"] for r in rows], [Y0] * len(rows))
        df = pd.DataFrame(rows).drop(columns="x").assign(lon=lon, lat=lat)
        df.to_csv(folder / name, index=False, float_format="%.12f")
        return str(folder / name)

    homes = write("homes.csv", [{"demand_id": h, "x": x, "population": p} for h, (x, p) in HOMES.items()])
    sites = write("sites.csv", [{"site_id": s, "name": s.upper(), "x": x} for s, x in SITES.items()])
    existing = write("existing.csv", [{"site_id": "e1", "name": "E", "x": 0}])
    return G, homes, sites, existing


def test_hand_drawn_street(street):
    G, homes, sites, existing = street
    table = planner.score(planner.Study(candidates=sites, demand=homes, existing=existing, network=G)).set_index(
        "site_id"
    )
    # the walks today from the station at 0 m: ha 3, hb 10, hc 15, hf 58.75 min; hd (70) and he (72.5) beyond 60
    expected = {
        #     rank  <=5  <=10 <=15  new  overlap greedy  to station  worst home, now, from the site
        "s2": (1, 40.0, 40.0, 44.0, 40.0, 0.0, 40.0, None, "he", None, 2.0),
        "s1": (2, 27.0, 32.0, 32.0, 27.0, 0.0, 27.0, 12.0, "hc", 15.0, 3.0),
        "s4": (3, 4.0, 4.0, 14.0, 4.0, 0.0, 4.0, 56.25, "hf", 58.75, 2.5),
        "s3": (4, 5.0, 25.0, 32.0, 0.0, 1.0, 0.0, 2.0, None, None, None),
    }
    assert list(table.index) == ["s2", "s1", "s4", "s3"]
    columns = [
        "rank",
        "population_within",
        "population_10min",
        "population_15min",
        "marginal_population",
        "overlap_share",
        "greedy_gain",
        "minutes_to_existing",
        "worst_home_id",
        "worst_home_minutes_to_existing",
        "worst_home_minutes_to_site",
    ]
    for sid, values in expected.items():
        for column, value in zip(columns, values):
            got = table.loc[sid, column]
            if value is None:
                assert pd.isna(got), (sid, column, got)
            elif isinstance(value, str):
                assert got == value, (sid, column, got)
            else:
                assert got == pytest.approx(value, abs=1e-6), (sid, column, got)


def test_hand_drawn_street_without_existing_stations(street):
    G, homes, sites, _ = street
    table = planner.score(planner.Study(candidates=sites, demand=homes, network=G)).set_index("site_id")
    # nobody is served: the most populous home reached wins (hb 20 over hc 7; he 30 over hd 10 though farther)
    assert table["worst_home_id"].to_dict() == {"s1": "hb", "s2": "he", "s3": "ha", "s4": "hf"}
    assert table["worst_home_minutes_to_site"].to_dict() == pytest.approx({"s1": 2.0, "s2": 2.0, "s3": 1.0, "s4": 2.5})
    assert table["worst_home_minutes_to_existing"].isna().all() and table["minutes_to_existing"].isna().all()


def test_worst_home_fixed_on_a_small_matrix():
    # homes x sites minutes; absent = out of reach, an explicit 0 is a home at the site's door
    minutes = sp.csr_matrix(
        (
            np.array([0.0, 4.0, 2.0, 3.0, 6.0, 1.0, 4.5, 2.0]),
            (np.array([0, 1, 1, 2, 2, 3, 4, 4]), np.array([0, 0, 1, 1, 2, 2, 2, 1])),
        ),
        shape=(5, 4),
    )
    current = np.array([9.0, math.inf, 7.0, math.inf, 30.0])
    population = np.array([5.0, 1.0, 8.0, 0.0, 2.0])
    home, walk = worst_home_fixed(minutes, 5.0, current, population)
    # site 0: home 0 (9 min) and home 1 (unserved): home 1
    # site 1: home 1 (unserved, 1 resident), home 2 (7 min), home 4 (30 min): home 1
    # site 2: home 2 is 6 min away (beyond 5), home 3 has nobody, home 4 (30 min) at 4.5: home 4
    # site 3: reaches nobody
    assert home.tolist() == [1, 1, 4, -1]
    assert walk[:3].tolist() == [4.0, 2.0, 4.5] and math.isnan(walk[3])
    # served within the limit today: not fixed; the explicit 0 counts as a walk
    home, walk = worst_home_fixed(minutes, 5.0, np.array([9.0, 5.0, 5.0, 1.0, 5.0]), population)
    assert home.tolist() == [0, -1, -1, -1] and walk[0] == 0.0
    # unserved homes with as many residents: the nearer to the site, then the first row
    ties = sp.csr_matrix(np.array([[3.0, 2.0], [1.0, 2.0], [4.0, 2.0]]))
    home, walk = worst_home_fixed(ties, 5.0, np.full(3, math.inf), np.full(3, 6.0))
    assert home.tolist() == [1, 0] and walk.tolist() == [1.0, 2.0]
