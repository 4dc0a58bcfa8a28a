"""Faults found in use: stations on stray network pieces, an infeasible tiered plan
reported only as "infeasible", NaN in summary.json, and a corrupt osmnx cache.

The download tests mock the HTTP layer (no internet is needed), as in
``tests/test_network.py``.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely

import planner
from planner.cli import main
from planner.outputs.files import json_text

DATA = Path(__file__).resolve().parents[1] / "data"


def strict_json(text: str):
    """Parse ``text`` as JSON, failing on the NaN / Infinity that Python's json accepts."""

    def refuse(constant):
        raise ValueError(f"not valid JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


# 1. the sample existing stations reach residents --------------------------------------


def test_sample_existing_stations_reach_residents(default_network):
    """Each sample station serves residents within 5 and 15 minutes.

    Station 2 used to snap onto a two-junction footway cut off from the rest;
    station 1's nearest homes are reached over shared foot and cycle paths
    (highway=cycleway, foot=designated) that pyrosm's walking filter drops (see
    data/README.md).
    """
    G = default_network
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        homes = planner.load_demand(network=G)
        stations = planner.load_candidates(DATA / "sample_existing.csv", network=G, existing=True)
    assert len(stations) == 2
    cov = planner.coverage(G, homes, stations, minutes=(5, 15))
    served = {limit: dict(zip(stations["name"], np.asarray(cov.within(limit).T @ cov.population).ravel()))
              for limit in (5, 15)}
    assert all(value > 0 for value in served[15].values()), served
    assert served[5]["Existing station 2"] > 0, served
    assert served[5]["Existing station 1"] > 1000, served


# 2. tiers: an existing station that no community centre can serve ----------------------


def test_tiers_existing_station_without_centre_is_one_error_line(default_network, tmp_path, capsys, monkeypatch):
    """The far corner of the extract is more than 400 m (5 minutes) from every sample
    candidate in a straight line, so no walk there is shorter: no centre can serve it."""
    monkeypatch.setattr(planner.runs.inputs, "load_network", lambda *args, **kwargs: default_network)
    existing = tmp_path / "existing.csv"
    existing.write_text("site_id,name,lon,lat\nex-far,Far station,24.935378,60.176917\n", encoding="utf-8")
    out = tmp_path / "out"
    code = main(["plan", "--tiers", "--tier-minutes", "5", "--candidates", str(DATA / "sample_candidates.csv"),
                 "--existing", str(existing), "--out", str(out), "-q"])
    captured = capsys.readouterr()
    assert code == 1, captured.err
    assert "Traceback" not in captured.err + captured.out
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert lines == [
        "error: existing station 'Far station' (site_id ex-far) has no community-centre candidate within "
        "5 min walk; move it, give it tier=centre, or drop it from --existing"
    ], lines
    assert not out.exists()


# 3. summary.json is strict JSON --------------------------------------------------------


def test_json_text_writes_null_for_non_finite_numbers():
    text = json_text({"a": float("nan"), "b": [np.float64("inf"), np.array([1.0, np.nan])],
                      "c": {"d": -np.inf, "e": np.int64(3), "f": np.bool_(True), "g": pd.NA}})
    assert strict_json(text) == {"a": None, "b": [None, [1.0, None]], "c": {"d": None, "e": 3, "f": True, "g": None}}


def two_street_network() -> nx.MultiDiGraph:
    """Two streets in UTM 50N, 3 km apart and not joined: nothing on one reaches the other."""
    G = nx.MultiDiGraph(crs="EPSG:32650", speed_kmh=4.8, simplified=True)
    streets = {"a": [(500_000.0, 3_130_000.0), (500_200.0, 3_130_000.0), (500_400.0, 3_130_000.0)],
               "b": [(503_000.0, 3_130_000.0), (503_200.0, 3_130_000.0)]}
    node = 0
    for points in streets.values():
        ids = []
        for x, y in points:
            G.add_node(node, x=x, y=y)
            ids.append(node)
            node += 1
        for (u, a), (v, b) in zip(zip(ids, points), zip(ids[1:], points[1:])):
            for s, t, line in ((u, v, shapely.LineString([a, b])), (v, u, shapely.LineString([b, a]))):
                G.add_edge(s, t, geometry=line, length=line.length, minutes=line.length / 80.0)
    return G


def lonlat(x, y):
    return pyproj.Transformer.from_crs("EPSG:32650", "EPSG:4326", always_xy=True).transform(x, y)


def test_unreachable_home_gives_strict_summary_json(tmp_path):
    G = two_street_network()
    homes = [("h-near", 500_100.0, 3_130_010.0, 120.0), ("h-far", 503_100.0, 3_130_010.0, 80.0)]
    demand = tmp_path / "homes.csv"
    demand.write_text("demand_id,lon,lat,population\n" + "".join(
        "{},{:.7f},{:.7f},{}\n".format(i, *lonlat(x, y), p) for i, x, y, p in homes), encoding="utf-8")
    candidates = tmp_path / "sites.csv"
    candidates.write_text("site_id,name,lon,lat\nc1,Corner room,{:.7f},{:.7f}\n".format(*lonlat(500_150.0, 3_129_995.0)),
                          encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = planner.plan(planner.Study(demand=demand, candidates=candidates, network=G))
    (row,) = planner.plan_summary(result)["unreachable"]
    assert row["demand_id"] == "h-far" and row["nearest_site_id"] is None
    assert row["nearest_minutes"] is None  # was NaN, which JSON cannot hold
    planner.write(result, tmp_path / "out", offline=True)
    summary = strict_json((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["n_uncoverable"] == 1
    assert summary["unreachable"] == [{"demand_id": "h-far", "population": 80.0, "lon": row["lon"], "lat": row["lat"],
                                       "reason": "no candidate within 5 min", "street_m": 10.0,
                                       "nearest_site_id": None, "nearest_site_name": None, "nearest_minutes": None}]
    for name in ("stations.geojson", "isochrones.geojson"):
        strict_json((tmp_path / "out" / name).read_text(encoding="utf-8"))
    # the map still explains the home: no candidate within an hour's walk
    page = (tmp_path / "out" / "plan.html").read_text(encoding="utf-8")
    assert "no candidate within an hour" in page
    csv = pd.read_csv(tmp_path / "out" / "unreachable.csv")
    assert csv["nearest_minutes"].isna().all()
