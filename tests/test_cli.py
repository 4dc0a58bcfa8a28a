"""The CLI end to end on the embedded default, checked number by number."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from reference import walking_minutes

import planner
from planner.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"

# the module's first run (default_run) and the console script build the network; the other runs on the
# default reuse the session's default_network
pytestmark = pytest.mark.usefixtures("reuse_default_network")


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("plan")
    code = main(["plan", "--out", str(out), "--quiet"])
    assert code == 0
    return out


def test_plan_writes_its_outputs(default_run):
    names = sorted(p.name for p in default_run.iterdir())
    assert names == [
        "isochrones.geojson",
        "plan.gpkg",
        "plan.html",
        "report.html",
        "stations.csv",
        "stations.geojson",
        "stations.xlsx",
        "summary.json",
        "unreachable.csv",
    ]
    # the station table: CSV (BOM, for Excel) and XLSX with the same rows as the GeoJSON
    csv_bytes = (default_run / "stations.csv").read_bytes()
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(default_run / "stations.csv", encoding="utf-8-sig", dtype={"site_id": str})
    sheet = pd.read_excel(default_run / "stations.xlsx", sheet_name="stations", dtype={"site_id": str})
    geo = gpd.read_file(default_run / "stations.geojson")
    assert list(table.columns) == list(sheet.columns)
    assert {
        "name",
        "tier",
        "kind",
        "status",
        "lon",
        "lat",
        "population_within",
        "population_assigned",
        "farthest_assigned_minutes",
        "cost",
    } <= set(table.columns)
    assert list(table["site_id"]) == list(sheet["site_id"]) == list(geo["site_id"])
    assert np.allclose(table["lon"], geo.geometry.x) and np.allclose(table["lat"], geo.geometry.y)
    assert "gcj02_lon" not in table  # Helsinki: no GCJ-02 columns outside China
    summary = json.loads((default_run / "summary.json").read_text())
    assert round(table["population_assigned"].sum(), 1) == summary["population_covered"]  # adds up, as the README says
    assert (table["farthest_assigned_minutes"] <= summary["minutes"] + 1e-9).all()


def test_two_runs_write_the_same_map(default_run, tmp_path, reuse_default_network):
    """plan.html is the same bytes for the same plan (element ids numbered, not random)."""
    assert main(["plan", "--out", str(tmp_path), "--quiet"]) == 0
    first, second = (default_run / "plan.html").read_bytes(), (tmp_path / "plan.html").read_bytes()
    assert first == second
    ids = set(re.findall(rb"[0-9a-f]{32}", first))
    assert ids and all(int(i, 16) < 100_000 for i in ids)  # numbered in tree order


def test_geojson_reloads_in_wgs84(default_run):
    stations = gpd.read_file(default_run / "stations.geojson")
    iso = gpd.read_file(default_run / "isochrones.geojson")
    summary = json.loads((default_run / "summary.json").read_text())
    assert stations.crs.to_epsg() == 4326 and iso.crs.to_epsg() == 4326
    assert {"site_id", "name", "population_within", "population_assigned"} <= set(stations.columns)
    assert {"site_id", "name"} <= set(iso.columns)
    assert dict(zip(iso["site_id"], iso["name"])) == dict(zip(stations["site_id"], stations["name"]))
    assert len(stations) == len(iso) == summary["n_stations"] > 0
    assert set(stations["site_id"]) == set(iso["site_id"])
    assert (stations.geometry.geom_type == "Point").all()
    assert iso.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    # Helsinki: lon about 24.9, lat about 60.2 (not swapped)
    assert stations.geometry.x.between(24.8, 25.1).all() and stations.geometry.y.between(60.1, 60.3).all()


def test_summary_figures_are_consistent(default_run):
    s = json.loads((default_run / "summary.json").read_text())
    for key in (
        "source",
        "minutes",
        "speed_kmh",
        "model",
        "p",
        "n_candidates",
        "n_demand",
        "population_total",
        "population_coverable",
        "population_covered",
        "covered_share",
        "n_stations",
        "objective",
        "solver_status",
        "gap",
        "seconds",
        "demand_method",
    ):
        assert key in s, key
    assert s["model"] == "lscp" and s["minutes"] == 5.0 and s["speed_kmh"] == 4.8
    assert s["solver_status"] == "optimal" and s["gap"] == 0.0
    assert s["covered_share"] == pytest.approx(s["population_covered"] / s["population_total"], abs=1e-5)
    # lscp covers every coverable home
    assert s["population_covered"] == pytest.approx(s["population_coverable"], abs=0.2)
    assert s["objective"] == s["n_stations"]
    assert set(s["seconds"]) == {"network", "demand", "candidates", "coverage", "optimise", "diagnosis", "isochrones"}
    assert s["demand_method"] in ("buildings", "buildings+landuse", "landuse", "buildings_untyped")


def test_map_has_layers_legend_and_attribution(default_run):
    html = (default_run / "plan.html").read_text()
    assert "OpenStreetMap" in html and "openstreetmap.org/copyright" in html
    assert "L.control.layers" in html
    assert "planner-legend" in html
    summary = json.loads((default_run / "summary.json").read_text())
    assert html.count("L.marker(") == summary["n_stations"]


def test_covered_homes_checked_by_networkx(helsinki):
    G, _demand, _sites = helsinki
    result = planner.plan(planner.Study(network=G))
    chosen = result.sites.iloc[result.solution.selected]
    pairs = walking_minutes(G, result.demand, chosen, 5.0)
    reachable = np.zeros(len(result.demand), bool)
    reachable[[i for i, _ in pairs]] = True
    assert (result.solution.covered == reachable).all()
    pop = result.demand["population"].to_numpy()
    assert planner.plan_summary(result)["population_covered"] == pytest.approx(pop[reachable].sum(), abs=0.1)
    # each station's population_within is the population within its own walk (catchments overlap)
    for sid, figure in zip(result.stations["site_id"], result.stations["population_within"]):
        j = list(chosen["site_id"]).index(sid)
        homes = [i for i, jj in pairs if jj == j]
        assert figure == pytest.approx(pop[homes].sum(), abs=0.1)
    # population_assigned: every covered home once, at a station no farther by networkx than its nearest
    best = {}
    for (i, _j), t in pairs.items():
        best[i] = min(best.get(i, np.inf), t)
    site, _ = result.coverage.nearest(result.solution.selected)
    expected = dict.fromkeys(result.stations["site_id"], 0.0)
    for i in np.flatnonzero(reachable):
        j = list(result.solution.selected).index(site[i])
        assert pairs[(i, j)] == pytest.approx(best[i], abs=1e-6), i
        expected[chosen["site_id"].iloc[j]] += pop[i]
    assigned = dict(zip(result.stations["site_id"], result.stations["population_assigned"]))
    assert assigned == pytest.approx(expected, abs=0.06)
    assert sum(assigned.values()) == pytest.approx(
        planner.plan_summary(result)["population_covered"], abs=0.05 * len(assigned)
    )
    assert (
        result.stations["population_within"].sum() > planner.plan_summary(result)["population_covered"] + 1
    )  # overlaps here


def test_mclp_with_existing_and_files(tmp_path):
    out = tmp_path / "out"
    code = main(
        [
            "plan",
            "--demand",
            str(DATA / "sample_population.csv"),
            "--candidates",
            str(DATA / "sample_candidates.csv"),
            "--existing",
            str(DATA / "sample_existing.csv"),
            "--model",
            "mclp",
            "--p",
            "4",
            "--out",
            str(out),
            "-q",
        ]
    )
    assert code == 0
    s = json.loads((out / "summary.json").read_text())
    stations = gpd.read_file(out / "stations.geojson")
    assert s["demand_method"] == "file" and s["n_demand"] == 40 and s["n_existing"] == 2 and s["n_candidates"] == 12
    assert s["population_total"] == pd.read_csv(DATA / "sample_population.csv")["population"].sum()
    assert len(stations) == 4 and {"existing-1", "existing-2"} <= set(stations["site_id"])


def test_score_ranks_every_candidate(helsinki, tmp_path, capsys):
    csv = tmp_path / "score.csv"
    assert main(["score", "--csv", str(csv)]) == 0
    table = pd.read_csv(csv)
    n_candidates = len(helsinki[2])
    assert len(table) == n_candidates
    assert list(table["rank"]) == list(range(1, n_candidates + 1))
    for col in ("site_id", "name", "population_within", "marginal_population", "overlap_share", "greedy_gain"):
        assert col in table
    # greedy gains never increase down the ranking and add up to what all sites cover
    assert (np.diff(table["greedy_gain"]) <= 1e-6).all()
    assert "wrote" in capsys.readouterr().out


def test_console_script_prints_where_it_wrote(tmp_path):
    exe = Path(sys.executable).with_name("planner")
    # the script imports the planner of this checkout (the one under test), wherever the environment installed it from
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(DATA.parent), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run(
        [str(exe), "plan", "--out", str(tmp_path)], capture_output=True, text=True, timeout=120, env=env
    )
    assert run.returncode == 0, run.stderr
    for name in ("plan.html", "stations.geojson", "isochrones.geojson", "summary.json"):
        assert f"wrote {tmp_path / name}" in run.stdout


# ----------------------------------------------------------------- bad input


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


BAD = {
    "missing network file": (lambda t: ["--source", str(t / "nope.osm.pbf")], 2, "file not found"),
    "empty network file": (lambda t: ["--source", _write(t / "empty.osm.pbf", "")], 1, "empty"),
    "corrupt network file": (
        lambda t: ["--source", _write(t / "junk.osm.pbf", "not a pbf at all" * 50)],
        1,
        "not a readable",
    ),
    "corrupt xml": (lambda t: ["--source", _write(t / "junk.osm", "<osm><node id='1'")], 1, "not a readable"),
    "unknown model": (lambda t: ["--model", "pmedianx"], 2, "unknown model"),
    "mclp without p": (lambda t: ["--model", "mclp"], 2, "needs p"),
    "p zero": (lambda t: ["--model", "mclp", "--p", "0"], 2, "p=0"),
    "p too large": (lambda t: ["--model", "mclp", "--p", "5000"], 2, "larger than the number of candidate sites"),
    "minutes zero": (lambda t: ["--minutes", "0"], 2, "minutes"),
    "minutes negative": (lambda t: ["--minutes", "-5"], 2, "minutes"),
    "minutes text": (lambda t: ["--minutes", "five"], 2, "five"),
    "speed zero": (lambda t: ["--speed", "0"], 2, "speed"),
    "demand without population": (
        lambda t: ["--demand", _write(t / "d.csv", "lon,lat\n24.94,60.17\n")],
        2,
        "population",
    ),
    "demand text population": (
        lambda t: ["--demand", _write(t / "d.csv", "lon,lat,population\n24.94,60.17,many\n")],
        2,
        "many",
    ),
    "demand swapped lon/lat": (
        lambda t: ["--demand", _write(t / "d.csv", "lon,lat,population\n60.17,124.94,10\n")],
        2,
        "swapped",
    ),
    "demand header only": (lambda t: ["--demand", _write(t / "d.csv", "lon,lat,population\n")], 2, "no demand rows"),
    "demand far away": (
        lambda t: ["--demand", _write(t / "d.csv", "lon,lat,population\n116.3,39.9,10\n")],
        1,
        "farther than",
    ),
    "candidates without lat": (lambda t: ["--candidates", _write(t / "c.csv", "lon,name\n24.94,a\n")], 2, "lat"),
    "missing demand file": (lambda t: ["--demand", str(t / "none.csv")], 2, "not found"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_one_line_no_output(case, tmp_path, capsys):
    make_args, code, message = BAD[case]
    out = tmp_path / "out"
    args = ["plan", *make_args(tmp_path), "--out", str(out)]
    assert main(args) == code
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], err
    assert "Traceback" not in "\n".join(err)
    assert not out.exists() or not any(out.iterdir())


def test_unwritable_output_folder(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["plan", "--out", str(blocker), "-q"]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_curve_is_exact_and_monotone(tmp_path, helsinki, capsys):
    assert main(["curve", "--max-p", "6", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    curve = pd.read_csv(tmp_path / "curve.csv", encoding="utf-8-sig")
    # both denominators, in the table and in the text, and the stations named
    assert {"covered_share", "coverable_share", "site_ids", "names"} <= set(curve.columns)
    _, _, sites = helsinki
    names = dict(zip(sites["site_id"].astype(str), sites["name"].astype(str)))
    for row in curve.itertuples():
        ids = row.site_ids.split("; ")
        assert len(ids) == row.p and row.names.split("; ") == [names[i] for i in ids]
        assert f"{row.covered_share:7.1%}  {row.coverable_share:12.1%}" in text
    assert "share of the residents some candidate reaches" in text and "share of all residents" in text
    ceiling = curve["covered_share"].iloc[0] / curve["coverable_share"].iloc[0]
    assert f"100%: never (no plan reaches more than {ceiling:.1%})" in text
    assert list(curve["p"]) == list(range(1, 7))
    assert (np.diff(curve["population_covered"]) >= -1e-9).all()
    assert (tmp_path / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # each point is the mclp optimum
    G, demand, sites = helsinki
    cov = planner.coverage(G, demand, sites, minutes=5.0)
    for p in (1, 3, 6):
        best = planner.solve(cov, model="mclp", p=p)
        assert curve.loc[curve["p"] == p, "population_covered"].iloc[0] == pytest.approx(best.objective, abs=1e-3)


def test_optimize_with_own_cost_matrix(tmp_path):
    cm = tmp_path / "cm.csv"
    cm.write_text("demand_id,site_id,minutes\nh1,s1,3\nh1,s2,6\nh2,s2,4\nh3,s3,2\nh3,s1,5\nh3,s1,9\n")
    w = tmp_path / "w.csv"
    w.write_text("demand_id,population\nh1,10\nh2,5\nh3,7\nh4,3\n")
    out = tmp_path / "out"
    assert (
        main(
            [
                "optimize",
                "--cost-matrix",
                str(cm),
                "--weights",
                str(w),
                "--radius",
                "5",
                "--model",
                "mclp",
                "--p",
                "1",
                "--out",
                str(out),
                "-q",
            ]
        )
        == 0
    )
    result = json.loads((out / "result.json").read_text())
    # s1 reaches h1 (3 min) and h3 (5 min, inclusive; the repeated 9 is ignored): 17 of 25
    assert result["selected_site_ids"] == ["s1"] and result["objective"] == 17.0
    assert result["uncoverable_demand_ids"] == ["h4"] and result["status"] == "optimal"
    sites = pd.read_csv(out / "selected_sites.csv")
    assert sites.to_dict("records") == [{"site_id": "s1", "population_within": 17.0}]
    assert main(["optimize", "--cost-matrix", str(cm), "--radius", "5", "--out", str(out), "-q"]) == 0
    # s1 covers h1 and h3, s2 covers h2: two sites
    assert json.loads((out / "result.json").read_text())["selected_site_ids"] == ["s1", "s2"]


def test_optimize_pmedian_pcenter_need_no_radius(tmp_path, capsys):
    """`planner optimize --model pmedian|pcenter` without --radius: every listed time counts (brute force)."""
    import itertools

    r = np.random.default_rng(5)
    minutes = np.where(r.random((25, 8)) < 0.6, r.integers(1, 30, (25, 8)).astype(float), np.inf)
    minutes[:, 0] = r.integers(20, 40, 25)  # every home has a time to site 0: any plan with it serves all
    weights = r.integers(1, 9, 25).astype(float)
    rows = [(f"h{i}", f"s{j}", minutes[i, j]) for i in range(25) for j in range(8) if np.isfinite(minutes[i, j])]
    cm, w = tmp_path / "cm.csv", tmp_path / "w.csv"
    pd.DataFrame(rows, columns=["demand_id", "site_id", "minutes"]).to_csv(cm, index=False)
    pd.DataFrame({"demand_id": [f"h{i}" for i in range(25)], "population": weights}).to_csv(w, index=False)
    best = {"pmedian": np.inf, "pcenter": np.inf}
    for combo in itertools.combinations(range(8), 3):
        near = minutes[:, list(combo)].min(axis=1)
        if np.isfinite(near).all():
            best["pmedian"] = min(best["pmedian"], float(weights @ near))
            best["pcenter"] = min(best["pcenter"], float(near.max()))
    for model in ("pmedian", "pcenter"):
        out = tmp_path / model
        args = ["optimize", "--cost-matrix", str(cm), "--weights", str(w), "--model", model, "--p", "3"]
        assert main([*args, "--out", str(out), "-q"]) == 0
        result = json.loads((out / "result.json").read_text())
        assert result["radius"] is None and result["status"] == "optimal"
        assert result["objective"] == pytest.approx(best[model])
        table = pd.read_csv(out / "selected_sites.csv")  # without a radius: every home with a time to the site
        cols = [int(x[1:]) for x in table["site_id"]]
        assert table["population_within"].tolist() == pytest.approx(
            [weights[np.isfinite(minutes[:, j])].sum() for j in cols]
        )
    for model, words in (
        ("lscp", "--model lscp needs --radius"),
        ("budget", "--model budget: not from a demand x site cost matrix"),
        ("pdispersion", "--model pdispersion: not from a demand x site cost matrix"),
    ):
        out = tmp_path / f"no_{model}"
        assert main(["optimize", "--cost-matrix", str(cm), "--model", model, "--p", "2", "--out", str(out), "-q"]) == 2
        err = capsys.readouterr().err
        assert words in err and len(err.strip().splitlines()) == 1 and not out.exists()


def test_tiers(tmp_path):
    out = tmp_path / "t"
    assert main(["plan", "--tiers", "--out", str(out), "-q"]) == 0
    s = json.loads((out / "summary.json").read_text())
    stations = gpd.read_file(out / "stations.geojson")
    assert s["model"] == "tiers" and set(stations["tier"]) == {"centre", "grid"}
    assert s["n_centres"] == (stations["tier"] == "centre").sum() and s["n_stations"] == len(stations)
    assert s["population_covered"] == pytest.approx(s["population_coverable"], abs=0.2)


@pytest.mark.slow
def test_other_models_by_cli(tmp_path):
    """Each model's wiring through `planner plan` (the models themselves are checked by brute force elsewhere)."""
    for args in (
        ["--model", "pcenter", "--p", "9"],
        ["--model", "pmedian", "--p", "9"],
        ["--model", "backup"],
        ["--model", "budget", "--budget", "4"],
        ["--model", "mclp", "--p", "3", "--capacity", "2500"],
    ):
        assert main(["plan", *args, "--out", str(tmp_path / args[1]), "-q"]) == 0, args


def test_pmedian_too_few_stations_says_how_many(tmp_path, capsys):
    assert main(["plan", "--model", "pmedian", "--p", "5", "--out", str(tmp_path / "x"), "-q"]) == 1
    err = capsys.readouterr().err
    # 8: the fewest candidates giving each home they reach one within 5 minutes, by exhaustive search
    assert "at least 8 are needed" in err and not (tmp_path / "x").exists()


@pytest.mark.parametrize("seed", range(20))
def test_rounded_station_figures_keep_their_sum(seed):
    """population_assigned to 0.1 per station, its column adding up to the rounded total (largest remainders)."""
    from planner.result import tables  # the station table's rounding, tested here as a unit

    r = np.random.default_rng(seed)
    values = r.random(int(r.integers(1, 40))) * r.choice([1.0, 10.0, 1000.0])
    out = tables._rounded_keeping_sum(values)
    assert round(out.sum(), 1) == round(values.sum(), 1)
    assert np.all(np.abs(out - values) < 0.1 + 1e-9)
    assert np.allclose(out * 10, np.round(out * 10))
