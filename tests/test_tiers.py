"""1+5+N tiers: what each site may become, the cap on community centres, and the
tiered optimum checked against brute force on small networks."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from instances import random_points, synthetic_network

import planner
from planner.cli import main
from planner.errors import DataError, InputError
from planner.optimize import TierInputs, solve_tiers
from planner.sites import read_tiers

DATA = Path(__file__).resolve().parents[1] / "data"


def test_tier_words_in_english_and_chinese():
    raw = pd.Series(["Centre", " 网格站", "any", None, "社区党群服务中心", "GRID", "均可", ""])
    assert list(read_tiers(raw, source="c.csv", existing=False)) == [
        "centre",
        "grid",
        "any",
        "any",
        "centre",
        "grid",
        "any",
        "any",
    ]
    # an existing station without a tier is a grid station
    assert list(read_tiers(pd.Series([None, "中心"]), source="e.csv", existing=True)) == ["grid", "centre"]
    with pytest.raises(InputError, match=r"c.csv: row 2, column 'tier' = '大站'; expected centre"):
        read_tiers(pd.Series(["grid", "大站"]), source="c.csv", existing=False)


def test_osm_open_air_places_are_grid_only(helsinki):
    _, _, sites = helsinki
    open_air = sites["kind"].isin(["park", "playground", "square", "fitness_station", "common"]).to_numpy()
    assert open_air.sum() > 5 and (~open_air).sum() > 5
    assert set(sites.loc[open_air, "tier"]) == {"grid"}
    assert set(sites.loc[~open_air, "tier"]) == {"any"}


def _valid_plans(between, tier, existing):
    """Every choice of none / centre / grid per site (0 / 1 / 2) that the 1+5+N rules allow, the homes aside.

    Written from the definition (docs/inputs.md, Tiers), not from the model's sets: a site
    becomes what its tier permits (``centre``, ``grid``, or either for ``any``); an existing
    station stays, as its tier (``any``: either); a grid station has a chosen centre, another
    site, within the centre walk (``between``).
    """
    plans = []
    for choice in itertools.product((0, 1, 2), repeat=len(tier)):
        a = np.array(choice)
        centre, grid = a == 1, a == 2
        if (centre & (tier == "grid")).any() or (grid & (tier == "centre")).any():
            continue
        if (existing & (a == 0)).any():
            continue
        if all(between[g, centre].any() for g in np.flatnonzero(grid)):
            plans.append(a)
    return plans


def _brute_force(near, far, plans, max_centres):
    """The best (centres, grid) counts over ``plans`` (fewest centres, then fewest grid stations; with a cap, at
    most ``max_centres`` centres and fewest grid stations first), or ``None`` when no plan meets every home's needs.

    A home needs a centre within the centre walk (``far``) when some allowed plan has one
    there, and a station (centre or grid) within the station walk (``near``) when some
    allowed plan has one there: what can be done for a home is read off the plans themselves.
    """
    can_centre = np.any([a == 1 for a in plans], axis=0) if plans else np.zeros(far.shape[1], bool)
    can_station = np.any([a > 0 for a in plans], axis=0) if plans else np.zeros(far.shape[1], bool)
    needs_centre = far[:, can_centre].any(axis=1)
    needs_station = near[:, can_station].any(axis=1)
    best = None
    for a in plans:
        centre, station = a == 1, a > 0
        if max_centres is not None and centre.sum() > max_centres:
            continue
        if not far[needs_centre][:, centre].any(axis=1).all():
            continue
        if not near[needs_station][:, station].any(axis=1).all():
            continue
        counts = (int(centre.sum()), int((a == 2).sum()))
        key = counts if max_centres is None else counts[::-1]
        if best is None or key < best:
            best = key
    return best


# the planner's warnings on these random networks (homes or grid-only sites with no possible centre near): not checked here
@pytest.mark.filterwarnings("ignore:tiers.* have no site that may be a community centre:UserWarning")
def test_tiered_optimum_equals_brute_force():
    checked = sum(_check_seed(seed) for seed in range(8))
    assert checked >= 20  # feasible cases compared (the rest: both say there is no plan)


def _check_seed(seed):
    rng = np.random.default_rng(seed)
    G = synthetic_network(seed, 30)
    homes = random_points(G, 60, seed, "h")
    sites = random_points(G, 8, seed + 100, "s").drop(columns="population")
    sites["name"] = sites["site_id"]
    sites["kind"] = "file"
    sites["existing"] = rng.random(8) < 0.15
    sites["tier"] = rng.choice(["centre", "grid", "any"], 8, p=[0.3, 0.3, 0.4])
    minutes, tier_minutes = 3.0, 9.0
    cov = planner.coverage(G, homes, sites, minutes=minutes)
    near = cov.within(minutes).toarray()
    far = planner.coverage(G, homes, sites, minutes=tier_minutes).within(tier_minutes).toarray()
    walks_between = planner.coverage(G, sites, sites, minutes=tier_minutes)
    between = walks_between.within(tier_minutes).toarray()
    np.fill_diagonal(between, False)
    wide = planner.coverage(G, homes, sites, minutes=(minutes, tier_minutes))
    tier, existing = sites["tier"].to_numpy(), sites["existing"].to_numpy(bool)
    plans = _valid_plans(between, tier, existing)
    checked = 0
    free = _brute_force(near, far, plans, None)
    caps = [None] + ([free[0] - 1, free[0], free[0] + 1, free[0] + 2] if free else [2])
    for cap in caps:
        expected = _brute_force(near, far, plans, cap)
        try:
            inputs = TierInputs.from_coverage(wide, walks_between, sites, minutes)
            sol = solve_tiers(inputs, time_limit=None, max_centres=cap)
            tier_of = sol.result.tier_of
        except DataError as exc:
            # no plan at all: brute force agrees, and the message names the cap or the station
            assert expected is None, (cap, str(exc))
            continue
        assert expected is not None, cap
        centres = int((tier_of[sol.selected] == "centre").sum())
        grid = len(sol.selected) - centres
        got = (centres, grid) if cap is None else (grid, centres)
        assert got == expected, (seed, cap)
        # what each site became is allowed by its tier
        chosen_tier = tier[sol.selected]
        became = tier_of[sol.selected]
        assert not ((chosen_tier == "grid") & (became == "centre")).any()
        assert not ((chosen_tier == "centre") & (became == "grid")).any()
        assert set(np.flatnonzero(existing)) <= set(sol.selected)
        checked += 1
    return checked


def _tier_file(path, names, lons, lats, tiers):
    pd.DataFrame({"名称": names, "经度": lons, "纬度": lats, "层级": tiers}).to_csv(
        path, index=False, encoding="utf-8-sig"
    )


def test_max_centres_on_the_default(helsinki, tmp_path, monkeypatch, capsys):
    network, _, sites = helsinki
    monkeypatch.setattr(planner.runs.inputs, "load_network", lambda *args, **kwargs: network)
    free = tmp_path / "free"
    assert main(["plan", "--tiers", "--out", str(free), "-q"]) == 0
    s = json.loads((free / "summary.json").read_text(encoding="utf-8"))
    stations = gpd.read_file(free / "stations.geojson")
    kinds = dict(zip(sites["site_id"], sites["kind"]))
    centres = stations[stations["tier"] == "centre"]
    # parks, squares and playgrounds never become community centres
    assert not centres["site_id"].map(kinds).isin(["park", "playground", "square", "fitness_station", "common"]).any()
    assert s["n_centres"] == len(centres) >= 1
    # a cap above the fewest centres lets centres replace grid stations; never more than the cap
    cap = s["n_centres"] + 1
    capped = tmp_path / "capped"
    assert main(["plan", "--tiers", "--max-centres", str(cap), "--out", str(capped), "-q"]) == 0
    c = json.loads((capped / "summary.json").read_text(encoding="utf-8"))
    assert c["max_centres"] == cap and c["n_centres"] <= cap and c["n_grid"] <= s["n_grid"]
    assert c["population_covered"] == pytest.approx(s["population_covered"])
    # below the fewest centres: one error naming homes, nothing written
    capsys.readouterr()
    low = tmp_path / "low"
    assert s["n_centres"] >= 2
    code = main(["plan", "--tiers", "--max-centres", str(s["n_centres"] - 1), "--out", str(low), "-q"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 1 and not low.exists()
    assert len(err) == 1 and f"at least {s['n_centres']} are needed" in err[0] and "'b-" in err[0], err


def test_max_centres_needs_tiers_and_a_count(tmp_path, capsys):
    for args, words in ((["--max-centres", "5"], "--max-centres"), (["--tiers", "--max-centres", "0"], ">= 1")):
        out = tmp_path / "x"
        assert main(["plan", *args, "--out", str(out), "-q"]) == 2
        assert words in capsys.readouterr().err and not out.exists()
    with pytest.raises(InputError, match=">= 1"):
        planner.Tiers(max_centres=0)


def test_tiers_refuse_another_model(tmp_path, capsys):
    """`planner plan --tiers --model mclp` used to plan the tiers and drop mclp unsaid: refused in one line."""
    from planner.optimize import check_model

    check_model("lscp", None, tiers=True)  # the default model: nothing more is asked
    with pytest.raises(InputError, match="needs p"):
        check_model("mclp", None)
    out = tmp_path / "x"
    assert main(["plan", "--tiers", "--model", "mclp", "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert "model='mclp': a tiered plan replaces the model" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
    with pytest.raises(InputError, match="model='pmedian': a tiered plan replaces the model"):
        planner.plan(tiers=planner.Tiers(), model="pmedian")


@pytest.mark.parametrize(
    "args, words",
    [
        (["--p", "8"], "p=8: a tiered plan places the fewest grid stations"),
        (["--capacity", "500"], "capacity=500.0: a tiered plan takes no capacity"),
        (["--budget", "10"], "budget=10.0: a tiered plan takes no budget"),
    ],
)
def test_tiers_refuse_a_count_a_capacity_or_a_budget(args, words, tmp_path, capsys):
    """`--tiers --p 8` used to plan as if --p were absent: a count, capacity or budget the tiers ignore is refused."""
    out = tmp_path / "o"
    assert main(["plan", "--tiers", *args, "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1 and not out.exists()
    kwargs = {"p": 8} if "--p" in args else {"capacity": 500.0} if "--capacity" in args else {"budget": 10.0}
    with pytest.raises(InputError, match=words.split(":")[0]):
        planner.plan(tiers=planner.Tiers(), **kwargs)  # refused before the network is read


# the planner's warning, printed by the CLI as a "warning:" line that the test reads
@pytest.mark.filterwarnings("always:tiers.* have no site that may be a community centre:UserWarning")
@pytest.mark.filterwarnings("always:tiers.* grid-only sites have no site that may be a community centre:UserWarning")
def test_homes_without_a_possible_centre_are_said(helsinki, tmp_path, monkeypatch, capsys):
    """Candidates that may all be grid stations but one: homes far from it are told, not dropped."""
    network, _, sites = helsinki
    monkeypatch.setattr(planner.runs.inputs, "load_network", lambda *args, **kwargs: network)
    ll = sites.to_crs("EPSG:4326")
    tiers = np.where(np.arange(len(sites)) == 0, "centre", "grid")
    cands = tmp_path / "c.csv"
    _tier_file(cands, sites["name"], ll.geometry.x, ll.geometry.y, tiers)
    out = tmp_path / "o"
    assert main(["plan", "--tiers", "--tier-minutes", "6", "--candidates", str(cands), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["n_beyond_centre"] > 0 and "have no site that may be a community centre within 6 min" in err
    assert "grid-only sites have no site that may be a community centre within 6 min, so cannot be" in err
    assert s["n_centres"] == 1
    stations = gpd.read_file(out / "stations.geojson")
    assert list(stations.loc[stations["tier"] == "centre", "name"]) == [str(sites["name"].iloc[0])]


@pytest.mark.filterwarnings("ignore:tiers.* homes .* have no site that may be a community centre:UserWarning")
def test_grid_sites_no_centre_can_serve_are_said(helsinki, tmp_path):
    """A grid-only site with no possible centre within the tier walk cannot be a station: said, and its homes'
    reason says so (they read 'no candidate within 5 min' beside a nearest candidate 3.5 minutes away)."""
    from reference import walking_minutes

    network, _, sites = helsinki
    ll = sites.to_crs("EPSG:4326")
    cands = tmp_path / "c.csv"
    _tier_file(
        cands, sites["name"], ll.geometry.x, ll.geometry.y, np.where(np.arange(len(sites)) == 0, "centre", "grid")
    )
    with pytest.warns(UserWarning, match="grid-only sites have no site that may be a community centre within 6 min"):
        p = planner.plan(planner.Study(candidates=cands, network=network), tiers=planner.Tiers(minutes=6.0))
    S = p.sites.reset_index(drop=True)
    may_centre = S["tier"].isin(["centre", "any"]).to_numpy()
    pairs = walking_minutes(network, S, S, 6.0)  # networkx Dijkstra, no planner code
    served = {j for (j, k) in pairs if j != k and may_centre[k]}
    unusable = np.array([not may_centre[j] and j not in served for j in range(len(S))])
    assert unusable.any() and planner.plan_summary(p)["n_unusable_sites"] == int(unusable.sum())
    left = p.unreachable.set_index("demand_id")
    left = left[~left["reason"].str.startswith("no street")]  # off the streets: that reason first
    homes = p.demand[p.demand["demand_id"].isin(left.index)].reset_index(drop=True)
    near = walking_minutes(network, homes, S, 5.0)
    some = {i for (i, j) in near}
    usable = {i for (i, j) in near if not unusable[j]}
    expect = sorted(str(homes["demand_id"][i]) for i in some - usable)
    only = sorted(left.index[left["reason"].str.startswith("only unusable sites within 5 min")].astype(str))
    assert expect and only == expect
    page = planner.plan_report(p, lang="zh")
    assert "步行5分钟内仅有只能作网格站的站点" in page


def test_tiers_existing_station_without_centre_is_one_error_line(default_network, tmp_path, capsys, monkeypatch):
    """The far corner of the extract is more than 400 m (5 minutes) from every sample
    candidate in a straight line, so no walk there is shorter: no centre can serve it."""
    monkeypatch.setattr(planner.runs.inputs, "load_network", lambda *args, **kwargs: default_network)
    existing = tmp_path / "existing.csv"
    existing.write_text("site_id,name,lon,lat\nex-far,Far station,24.935378,60.176917\n", encoding="utf-8")
    out = tmp_path / "out"
    code = main(
        [
            "plan",
            "--tiers",
            "--tier-minutes",
            "5",
            "--candidates",
            str(DATA / "sample_candidates.csv"),
            "--existing",
            str(existing),
            "--out",
            str(out),
            "-q",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1, captured.err
    assert "Traceback" not in captured.err + captured.out
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert lines == [
        "error: existing station 'Far station' (site_id ex-far) has no community-centre candidate within "
        "5 min walk; move it, give it tier=centre, or drop it from --existing"
    ], lines
    assert not out.exists()
