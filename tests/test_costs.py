"""Site costs for the budget model: a costed candidates file beside an uncosted --existing file."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

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
    code = main(["plan", "--candidates", str(cand_path), "--existing", str(existing_path), "--model", "budget",
                 "--budget", str(budget), "--out", str(out), "-q"])
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
    from planner.pipeline import site_costs

    sites = gpd.GeoDataFrame(
        {"kind": ["file", "park", "community_centre", "file"], "existing": [False, False, False, True],
         "cost": [7.0, np.nan, np.nan, np.nan]},
        geometry=[shapely.Point(0, 0)] * 4,
    )
    costs = site_costs(sites)
    assert costs.tolist() == [7.0, SITE_COSTS["prefabricated"], SITE_COSTS["renovate"], 0.0]
