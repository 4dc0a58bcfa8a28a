"""Site costs for the budget model: a costed candidates file beside an uncosted --existing file."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import planner
from planner.cli import main


@pytest.fixture
def files(tmp_path):
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "data"
    cands = pd.read_csv(data / "sample_candidates.csv")
    rng = np.random.default_rng(3)
    cands["cost"] = rng.integers(2, 15, len(cands))
    path = tmp_path / "candidates.csv"
    cands.to_csv(path, index=False)
    return path, data / "sample_existing.csv", cands


def test_budget_uses_candidate_costs_when_existing_has_none(files, tmp_path):
    cand_path, existing_path, cands = files
    out = tmp_path / "out"
    budget = 20
    code = main(
        [
            "plan",
            "--candidates",
            str(cand_path),
            "--existing",
            str(existing_path),
            "--model",
            "budget",
            "--budget",
            str(budget),
            "--out",
            str(out),
            "-q",
        ]
    )
    assert code == 0
    s = json.loads((out / "summary.json").read_text())
    stations = pd.DataFrame(json.loads((out / "stations.geojson").read_text())["features"])
    props = pd.DataFrame(list(stations["properties"]))
    new = props[~props["existing"]]
    cost_of = dict(zip(cands["name"], cands["cost"]))
    # the printed cost is the sum of the chosen candidates' own costs, within the budget
    expected = float(sum(cost_of[n] for n in new["name"]))
    assert len(new) >= 1
    assert s["cost"] == pytest.approx(expected)
    assert s["cost"] <= budget
    assert props["existing"].sum() == len(pd.read_csv(existing_path))


def test_site_costs_row_by_row():
    import geopandas as gpd
    import shapely

    from planner.config import SITE_COSTS
    from planner.sites import site_costs

    sites = gpd.GeoDataFrame(
        {
            "kind": ["file", "park", "community_centre", "file"],
            "existing": [False, False, False, True],
            "cost": [7.0, np.nan, np.nan, np.nan],
        },
        geometry=[shapely.Point(0, 0)] * 4,
    )
    costs = site_costs(sites)
    assert costs.tolist() == [7.0, SITE_COSTS["prefabricated"], SITE_COSTS["renovate"], 0.0]


# the planner's warnings, printed by the CLI as "warning:" lines that the test reads
@pytest.mark.filterwarnings("always:demand.* are farther than 250 m from the walking network; kept:UserWarning")
@pytest.mark.filterwarnings("always:.* are farther than 250 m from the walking network and were left out:UserWarning")
def test_far_homes_and_sites_are_accounted_for(tmp_path, capsys):
    """Homes beyond the snapping distance stay in the totals; far sites are named and listed."""
    d = tmp_path / "d.csv"
    d.write_text("lon,lat,population\n24.945,60.170,10\n24.945,60.171,5\n25.5,60.5,99\n")
    c = tmp_path / "c.csv"
    c.write_text("name,lon,lat\nA,24.946208,60.17479\nFar away,25.5,60.5\n")
    out = tmp_path / "o"
    assert main(["plan", "--demand", str(d), "--candidates", str(c), "--out", str(out)]) == 0
    messages = capsys.readouterr().err
    assert "'Far away' (46,819 m)" in messages and "kept and counted as not covered" in messages
    s = json.loads((out / "summary.json").read_text())
    assert s["population_total"] == 114 and s["covered_share"] == pytest.approx(s["population_covered"] / 114)
    assert s["n_off_network"] == 1 and s["population_off_network"] == 99
    assert [row["name"] for row in s["sites_off_network"]] == ["Far away"]
    assert s["sites_off_network"][0]["reason"] == "no street within 250 m"
    table = pd.read_csv(out / "unreachable.csv")
    far = table[table["demand_id"] == "d000002"].iloc[0]
    assert far["reason"] == "no street within 250 m" and far["street_m"] > 40_000
    assert set(table["reason"]) <= {"no street within 250 m", "no candidate within 5 min"}
    # every resident accounted for: covered + not covered = total
    assert table["population"].sum() + s["population_covered"] == pytest.approx(s["population_total"])
    # and every site: weighed (plan.gpkg 'sites') or left out where it is, with its reason ('left_out')
    import geopandas as gpd

    left = gpd.read_file(out / "plan.gpkg", layer="left_out")
    assert left[["what", "name", "reason"]].values.tolist() == [["site", "Far away", "no street within 250 m"]]
    assert (left.geometry.x[0], left.geometry.y[0]) == pytest.approx((25.5, 60.5), abs=1e-6)
    assert gpd.read_file(out / "plan.gpkg", layer="sites")["name"].tolist() == ["A"]


def test_default_osm_is_not_thin(tmp_path, capsys):
    assert main(["plan", "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert "OpenStreetMap maps few homes" not in err and "OpenStreetMap gives only" not in err


def test_name_and_population_columns_by_option(tmp_path):
    """Headers no alias knows, named on the command line (plan, score, curve)."""
    d = tmp_path / "d.csv"
    d.write_text("lon,lat,居民数\n24.945,60.170,10\n24.9452,60.1705,7\n", encoding="utf-8")
    c = tmp_path / "c.csv"
    c.write_text("站点,lon,lat\n社区服务站甲,24.9451,60.1703\n", encoding="utf-8")
    out = tmp_path / "o"
    args = ["--demand", str(d), "--candidates", str(c), "--population-column", "居民数", "--name-column", "站点"]
    assert main(["plan", *args, "--out", str(out), "-q"]) == 0
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["population_total"] == 17
    names = [
        f["properties"]["name"] for f in json.loads((out / "stations.geojson").read_text(encoding="utf-8"))["features"]
    ]
    assert names == ["社区服务站甲"]
    csv = tmp_path / "rank.csv"
    assert (
        main(
            [
                "score",
                "--demand",
                str(d),
                "--sites",
                str(c),
                "--population-column",
                "居民数",
                "--name-column",
                "站点",
                "--csv",
                str(csv),
                "-q",
            ]
        )
        == 0
    )
    assert pd.read_csv(csv)["name"].tolist() == ["社区服务站甲"]
    # without the option the file is refused, naming what it found
    assert main(["plan", "--demand", str(d), "--out", str(tmp_path / "x"), "-q"]) == 2
    assert not (tmp_path / "x").exists()


def test_a_blank_name_is_the_sites_id(default_network, tmp_path):
    """A candidate whose name cell is empty (or blank) is named by its id, not an empty station name."""
    c = tmp_path / "c.csv"
    c.write_text(
        "site_id,name,lon,lat\nS1,,24.946208,60.17479\nS2,  ,24.945,60.170\nS3,东门,24.9455,60.1705\n", encoding="utf-8"
    )
    sites = planner.load_candidates(c, network=default_network)
    assert dict(zip(sites["site_id"], sites["name"])) == {"S1": "S1", "S2": "S2", "S3": "东门"}
