"""Partial set covering (``pscp``, planner/optimize/partial.py, issue 17): the fewest stations covering a share of residents.

Checked against brute force on small instances, against the plain partial-covering
MILP (no reductions, scipy's HiGHS) on instances where the search reaches its MIP
stage, on a compound instance and on the embedded default's real coverage; the time
limit is a total and keeps a plan that reaches the target; bad shares get one line.
"""

from __future__ import annotations

import itertools
import json
import time

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import EXTRACTS, load_extract
from instances import compound_csr
from scipy.optimize import Bounds, LinearConstraint, milp

import planner
from planner.cli import main
from planner.errors import InputError
from planner.optimize import partial

RADIUS = 5.0


def brute_fewest(cover: np.ndarray, w: np.ndarray, target: float, req=()) -> int:
    """The fewest columns (``req`` among them) whose rows weigh at least ``target``, by enumeration."""
    n = cover.shape[1]
    tol = 1e-9 * max(1.0, target)
    for k in range(len(req), n + 1):
        for comb in itertools.combinations(range(n), k):
            if set(req) <= set(comb) and w[cover[:, list(comb)].any(axis=1)].sum() >= target - tol:
                return k
    raise AssertionError("no plan reaches the target")


def plain_fewest(cover, w: np.ndarray, target: float) -> float:
    """The partial set covering MILP as first written: min sum x, w @ y >= target, y_i <= sum_j a_ij x_j."""
    a = sp.csr_matrix(cover, dtype=float)
    n_rows, n = a.shape
    c = np.concatenate([np.ones(n), np.zeros(n_rows)])
    link = sp.hstack([-a, sp.identity(n_rows)], format="csr")
    total = sp.csr_matrix(np.concatenate([np.zeros(n), w])[None, :])
    res = milp(
        c,
        integrality=np.concatenate([np.ones(n), np.zeros(n_rows)]),
        bounds=Bounds(0, 1),
        constraints=[LinearConstraint(link, -np.inf, 0.0), LinearConstraint(total, target * (1 - 1e-9), np.inf)],
        options={"mip_rel_gap": 0.0},
    )
    assert res.status == 0
    return float(round(res.fun))


def _check(sol, w: np.ndarray, target: float, fewest: float, req=()) -> None:
    assert sol.status == "optimal" and sol.gap == 0.0
    assert sol.n_stations == fewest == sol.objective
    assert sol.result.lower_bound == fewest
    assert sol.population_covered >= target * (1 - 1e-9)
    assert set(req) <= set(sol.selected.tolist())


@pytest.mark.parametrize("seed", range(40))
def test_matches_brute_force(seed):
    r = np.random.default_rng([17, seed])
    n_rows, n = int(r.integers(3, 25)), int(r.integers(2, 9))
    m = np.where(r.random((n_rows, n)) < r.uniform(0.1, 0.6), r.integers(1, 11, (n_rows, n)).astype(float), np.inf)
    w = r.integers(0, 20, n_rows).astype(float) if seed % 2 else r.random(n_rows) * 10
    cover = m <= RADIUS
    if w[cover.any(axis=1)].sum() == 0:  # seed 7: no site reaches anyone, so no share can be asked for
        with pytest.raises(InputError, match=r"share=0.5: at most 0.0000% of residents live within the walk"):
            planner.solve(m, model="pscp", share=0.5, radius=RADIUS, weights=w)
        return
    share = float(r.uniform(0.05, 1.0)) * w[cover.any(axis=1)].sum() / w.sum()
    req = [int(r.integers(n))] if seed % 3 == 0 else []
    sol = planner.solve(m, model="pscp", share=share, radius=RADIUS, weights=w, required=req or None)
    _check(sol, w, share * w.sum(), brute_fewest(cover, w, share * w.sum(), req), req)


@pytest.mark.slow  # 6-12 s: with the slow cases, to keep the default suite under 3 minutes
def test_matches_plain_milp_where_the_search_branches(monkeypatch):
    """120 x 40 random instances, many sites per home, 3 shares each: some counts the LP leaves open, and
    HiGHS decides them both ways (a plan with that many stations, and a proof that none exists)."""
    found = []
    real = partial._reach

    def recorded(*args, **kwargs):
        answer = real(*args, **kwargs)
        found.append(answer[0])
        return answer

    monkeypatch.setattr(partial, "_reach", recorded)
    for seed in (0, 2, 5, 7, 11, 28):
        r = np.random.default_rng(seed)
        m = np.where(r.random((120, 40)) < r.uniform(0.03, 0.3), r.integers(1, 11, (120, 40)).astype(float), np.inf)
        w = r.integers(1, 30, 120).astype(float) if seed % 2 else r.random(120) * 10
        cover = m <= RADIUS
        reach = w[cover.any(axis=1)].sum() / w.sum()
        for share in (0.5, 0.8, 0.95):
            target = share * reach * w.sum()
            sol = planner.solve(m, model="pscp", share=share * reach, radius=RADIUS, weights=w)
            _check(sol, w, target, plain_fewest(cover, w, target))
    assert "yes" in found and "no" in found, found


def test_compound_instance_and_required_sites():
    """Homes clustered in compounds, about four sites each (the benchmark's dense family at test size)."""
    minutes, w = compound_csr(3, 2_000, 400)
    cover = sp.csr_matrix((np.ones(minutes.nnz), minutes.indices, minutes.indptr), shape=minutes.shape)
    reach = w[np.diff(minutes.indptr) > 0].sum() / w.sum()
    for share, req in ((0.9, []), (0.97, [5, 77, 300])):
        target = share * reach * w.sum()
        sol = planner.solve(minutes, model="pscp", share=share * reach, radius=RADIUS, weights=w, required=req)
        if req:
            a = sp.csr_matrix(cover)
            # the required sites are in: the rest is the plain model on what they leave uncovered
            left = np.asarray(a[:, req].sum(axis=1)).ravel() == 0
            rest = target - w[~left].sum()
            fewest = len(req) + plain_fewest(a[left], w[left], rest)
        else:
            fewest = plain_fewest(cover, w, target)
        _check(sol, w, target, fewest, req)
        assert sol.result.greedy_count >= sol.n_stations


def test_required_sites_alone_reach_theshare_value():
    m = np.array([[1.0, np.inf, np.inf], [np.inf, 2.0, np.inf], [np.inf, np.inf, 3.0]])
    sol = planner.solve(m, model="pscp", share=0.5, radius=RADIUS, weights=[10, 1, 1], required=[0])
    assert sol.selected.tolist() == [0] and sol.status == "optimal" and sol.result.lower_bound == 1


def test_embedded_default_coverage(helsinki):
    """The real coverage of the embedded default, at four shares, against the plain MILP."""
    network, demand, sites = helsinki
    cov = planner.coverage(network, demand, sites, minutes=RADIUS)
    w = cov.population
    a = sp.csr_matrix(cov.minutes)
    a = sp.csr_matrix((np.ones(a.nnz), a.indices, a.indptr), shape=a.shape)
    reach = w[np.diff(a.indptr) > 0].sum() / w.sum()
    for share in (0.5, 0.8, 0.9, reach):
        sol = planner.solve(cov, model="pscp", share=share)
        _check(sol, w, share * w.sum(), plain_fewest(a, w, share * w.sum()))


@pytest.mark.parametrize("reads", [2, 4, 8, 16])
def test_a_passed_deadline_keeps_a_plan_and_its_bound(fake_clock, reads):
    """The search stopped by its deadline (an injected clock: no wall time) still meets the share, with a bound."""
    minutes, w = compound_csr(5, 4_000, 400)
    reach = w[np.diff(minutes.indptr) > 0].sum() / w.sum()
    exact = planner.solve(minutes, model="pscp", share=0.97 * reach, radius=RADIUS, weights=w)
    fake_clock(tick=1.0)  # one second each time the deadline is read
    sol = planner.solve(minutes, model="pscp", share=0.97 * reach, radius=RADIUS, weights=w, time_limit=float(reads))
    assert sol.population_covered >= 0.97 * reach * w.sum() * (1 - 1e-9)
    assert sol.n_stations >= exact.n_stations >= sol.result.lower_bound
    if sol.status == "time_limit":
        assert 0.0 < sol.gap <= 1.0
        assert sol.gap == pytest.approx((sol.n_stations - sol.result.lower_bound) / sol.n_stations)
    else:
        assert sol.n_stations == exact.n_stations
    if reads <= 2:
        assert sol.status == "time_limit"


@pytest.mark.slow  # wall time: measured where the machine is not shared with the fast suite's other worker
def test_time_limit_is_a_total_and_keeps_a_plan():
    minutes, w = compound_csr(5, 20_000, 2_000)
    reach = w[np.diff(minutes.indptr) > 0].sum() / w.sum()
    exact = planner.solve(minutes, model="pscp", share=0.97 * reach, radius=RADIUS, weights=w)
    assert exact.status == "optimal"
    limit = 0.25 * exact.seconds
    started = time.perf_counter()
    sol = planner.solve(minutes, model="pscp", share=0.97 * reach, radius=RADIUS, weights=w, time_limit=limit)
    took = time.perf_counter() - started
    assert took <= 1.2 * limit + 0.05, (took, limit)
    assert sol.population_covered >= 0.97 * reach * w.sum() * (1 - 1e-9)
    assert sol.n_stations >= exact.n_stations >= sol.result.lower_bound
    if sol.status == "time_limit":
        assert 0.0 < sol.gap <= 1.0
        assert sol.gap == pytest.approx((sol.n_stations - sol.result.lower_bound) / sol.n_stations)


@pytest.mark.parametrize(
    "share, words",
    [
        (None, "needs share"),
        (0.0, "expected a fraction in (0, 1]"),
        (90.0, "expected a fraction in (0, 1]"),
        (float("nan"), "expected a fraction in (0, 1]"),
        (True, "expected a fraction of residents"),
        ("most", "expected a fraction of residents"),
        (0.99, "at most 66.6667% of residents"),
    ],
)
def test_bad_shares(share, words):
    m = np.array([[1.0, np.inf], [np.inf, 2.0], [np.inf, np.inf]])
    with pytest.raises(InputError, match=words.replace("(", r"\(").replace(")", r"\)").replace("]", r"\]")) as info:
        planner.solve(m, model="pscp", share=share, radius=RADIUS)
    assert "\n" not in str(info.value)


def test_share_belongs_to_pscp():
    with pytest.raises(InputError, match="share applies to model 'pscp'"):
        planner.solve(np.ones((2, 2)), model="mclp", p=1, share=0.5, radius=RADIUS)


def test_cli_share_values(tmp_path, capsys):
    """``--share`` as 0.9 or 90 %, spaces around it aside; other text gets the model's one line, none its own."""
    cm = tmp_path / "cm.csv"
    cm.write_text("demand_id,site_id,minutes\nh1,s1,1\nh2,s2,2\nh3,s2,3\nh4,s3,4\nh5,s3,1\n", encoding="utf-8")
    for typed, share in (("90%", 0.9), (" 0.85 ", 0.85)):
        out = tmp_path / f"out{share}"
        args = ["optimize", "--cost-matrix", str(cm), "--model", "pscp", "--radius", "5", "--out", str(out), "-q"]
        assert main([*args, "--share", typed]) == 0
        assert json.loads((out / "result.json").read_text())["share"] == pytest.approx(share)
    for extra, words in ((["--share", "ninety"], "expected a fraction of residents"), ([], "needs share")):
        args = ["optimize", "--cost-matrix", str(cm), "--model", "pscp", "--radius", "5", "--out", str(tmp_path / "x")]
        assert main([*args, *extra]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error:") and words in err[0], err


def test_cli_refuses_a_percentage_without_the_sign(tmp_path, capsys):
    code = main(["plan", "--model", "pscp", "--share", "90", "--out", str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: share=90.0: expected a fraction in (0, 1], for example 0.9 for 90 %"]
    assert not (tmp_path / "out").exists()


def test_cli_plan(tmp_path, capsys, reuse_default_network):
    out = tmp_path / "out"
    code = main(["plan", "--model", "pscp", "--share", "90%", "--out", str(out), "--lang", "zh"])
    assert code == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["model"] == "pscp" and s["share"] == 0.9 and s["solver_status"] == "optimal"
    assert s["n_stations"] == s["lower_bound"] <= s["greedy_count"]
    assert s["population_covered"] >= 0.9 * s["population_total"]
    printed = capsys.readouterr().out
    assert f"已证明至少需要{s['n_stations']}个站点" in printed
    report = (out / "report.html").read_text()
    assert "部分集合覆盖模型（PSCP）：覆盖90%居民的最少站点" in report


@pytest.mark.slow
@pytest.mark.parametrize("name", EXTRACTS)
def test_shared_extracts_match_the_plain_milp(name):
    """Each shared extract's own homes and candidate places, at 80 % and 95 % of what the candidates reach."""
    G, demand, sites = load_extract(name)
    cov = planner.coverage(G, demand, sites, minutes=RADIUS)
    w = cov.population
    a = sp.csr_matrix(cov.minutes)
    a = sp.csr_matrix((np.ones(a.nnz), a.indices, a.indptr), shape=a.shape)
    reach = w[np.diff(a.indptr) > 0].sum() / w.sum()
    for share in (0.8 * reach, 0.95 * reach):
        sol = planner.solve(cov, model="pscp", share=share)
        _check(sol, w, share * w.sum(), plain_fewest(a, w, share * w.sum()))


def test_cli_optimize_on_a_cost_matrix(tmp_path):
    matrix = tmp_path / "minutes.csv"
    matrix.write_text("demand_id,site_id,minutes\nh1,s1,2\nh2,s1,4\nh2,s2,3\nh3,s2,1\nh4,s3,2\nh5,s3,9\n")
    out = tmp_path / "out"
    args = ["optimize", "--cost-matrix", str(matrix), "--radius", "5", "--model", "pscp", "--out", str(out), "-q"]
    assert main([*args, "--share", "60%"]) == 0
    result = json.loads((out / "result.json").read_text())
    # one site reaches at most 2 of the 5 homes; s1 and s2 reach h1, h2, h3
    assert result["selected_site_ids"] == ["s1", "s2"] and result["population_covered"] == 3.0
    assert result["share"] == 0.6 and result["lower_bound"] == 2 and result["status"] == "optimal"
    assert main([*args, "--share", "0.9"]) == 2  # h5 is beyond every site: at most 80 %


def test_curve_needed_is_exact_beyond_its_last_p():
    """coverage_curve's stations for 80 / 90 / 95 % of the reachable: the partial covering optimum, not "more than"."""
    minutes, w = compound_csr(4, 2_000, 400)
    cover = sp.csr_matrix((np.ones(minutes.nnz), minutes.indices, minutes.indptr), shape=minutes.shape)
    reachable = w[np.diff(minutes.indptr) > 0].sum()
    curve, needed = planner.optimize.coverage_curve(minutes, max_p=3, radius=RADIUS, weights=w)
    assert len(curve) == 3
    for t in (80, 90, 95):
        assert needed[f"{t}%"] == plain_fewest(cover, w, t / 100 * reachable) > 3
    assert needed["100%"] == planner.solve(minutes, radius=RADIUS, weights=w).n_stations


def test_lp_dive_plans_are_checked_and_exact(monkeypatch):
    """The LP dive (HiGHS over the columns the LP leaves fractional) finds plans the rounding misses; each one
    keeps to the count and reaches the target, and the answers stay the plain MILP's."""
    dives = []
    real = partial._lp_dive

    def recorded(m, x, need, whole, deadline):
        plan = real(m, x, need, whole, deadline)
        if plan is not None:
            assert int(plan.sum()) <= round(m.cap) and m.value(plan) >= need * (1 - 1e-9)
        dives.append(plan is not None)
        return plan

    monkeypatch.setattr(partial, "_lp_dive", recorded)
    for seed, share in ((0, 0.95), (4, 0.99)):
        minutes, w = compound_csr(seed, 5_000, 1_000)
        cover = sp.csr_matrix((np.ones(minutes.nnz), minutes.indices, minutes.indptr), shape=minutes.shape)
        reach = w[np.diff(minutes.indptr) > 0].sum() / w.sum()
        sol = planner.solve(minutes, model="pscp", share=share * reach, radius=RADIUS, weights=w)
        _check(sol, w, share * reach * w.sum(), plain_fewest(cover, w, share * reach * w.sum()))
    assert True in dives, dives


def test_share_with_tiers_is_refused(tmp_path, capsys):
    assert main(["plan", "--tiers", "--share", "0.9", "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: share=0.9: a tiered plan replaces the model (pscp's share does not apply)"
    ]
