"""planner/optimize/rcfix.py: maximal covering and its budget form when homes have many candidate sites (issue 17).

The exact method (planner.optimize.rcfix: LP bound, reduced-cost fixing, a small MIP)
is checked against brute force on small compound instances (about four sites per
home), against a plain model with no reductions solved by scipy's HiGHS on larger
ones, against spopt's MCLP, and piece by piece: the weak-duality bound against every
plan, the reductions against brute force on the model itself, and the time limit's
gap against the optimum.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import PULP_DEPRECATIONS
from hypothesis import given, settings
from hypothesis import strategies as st
from instances import compound_csr, compound_instance, random_minutes
from reference import brute_mclp
from scipy.optimize import Bounds, LinearConstraint, milp

import planner
from planner.optimize import cover_model, rcfix
from planner.optimize.heuristics import improve_by_swaps

RADIUS = 5.0


def brute_budget(reach: np.ndarray, w: np.ndarray, costs: np.ndarray, budget: float) -> float:
    best = 0.0
    n = reach.shape[1]
    for mask in range(1 << n):
        cols = [j for j in range(n) if mask >> j & 1]
        if costs[cols].sum() <= budget:
            best = max(best, float(w[reach[:, cols].any(axis=1)].sum()))
    return best


def plain_mclp(reach: sp.csr_matrix, w: np.ndarray, p: int) -> float:
    """The plain model (one binary per site, one covered variable per home), no reductions, scipy's HiGHS."""
    n_homes, n_sites = reach.shape
    link = sp.hstack([-reach.astype(float), sp.identity(n_homes, format="csr")], format="csr")
    count = sp.csr_matrix(np.concatenate([np.ones(n_sites), np.zeros(n_homes)])[None, :])
    res = milp(
        np.concatenate([np.zeros(n_sites), -w]),
        integrality=np.concatenate([np.ones(n_sites), np.zeros(n_homes)]),
        bounds=Bounds(0, 1),
        constraints=[LinearConstraint(link, -np.inf, 0.0), LinearConstraint(count, p, p)],
        options={"disp": False, "mip_rel_gap": 0.0},
    )
    assert res.status == 0
    return -float(res.fun)


def covered_weight(minutes: np.ndarray, w: np.ndarray, selected) -> float:
    return float(w[(minutes[:, list(selected)] <= RADIUS).any(axis=1)].sum())


# --------------------------------------------------------------------------- brute force


#: seed, homes, sites, sites per compound (6: about 4 sites within reach of a home; 12: about 8)
SMALL = [(seed, 40, 12, 6.0) for seed in range(5)] + [(5, 40, 12, 12.0)]


@pytest.mark.parametrize("seed,n_homes,n_sites,per_compound", SMALL)
def test_small_compounds_match_brute_force(seed, n_homes, n_sites, per_compound):
    minutes, w = compound_instance(seed, n_homes, n_sites, per_compound)
    reach = minutes <= RADIUS
    assert reach.sum(axis=1).mean() >= 3.5  # dense: many sites per home
    for p in (1, 2, 3, 4):
        sol = planner.solve(minutes, model="mclp", p=p, radius=RADIUS, weights=w)
        assert sol.status == "optimal" and len(sol.selected) == p
        assert covered_weight(minutes, w, sol.selected) == pytest.approx(sol.objective, abs=1e-9)
        assert sol.objective == pytest.approx(brute_mclp(reach, w, p), abs=1e-6)
    required = [int(np.argmin(reach.sum(axis=0)))]  # the site reaching fewest homes
    sol = planner.solve(minutes, model="mclp", p=3, radius=RADIUS, weights=w, required=required)
    assert set(required) <= set(sol.selected.tolist()) and len(sol.selected) == 3
    assert sol.objective == pytest.approx(brute_mclp(reach, w, 3, required), abs=1e-6)


@pytest.mark.parametrize("seed", range(100, 106))
def test_small_scattered_match_brute_force(seed):
    """Homes reaching about 4.4 of 12 sites at random: fractional LPs, so most cases go on to the smaller MIP."""
    minutes, w = random_minutes(seed, 60, 12, p_inf=0.35)
    reach = minutes <= RADIUS
    assert reach.sum(axis=1).mean() >= 4.0
    for p in (2, 3, 4, 5):
        sol = planner.solve(minutes, model="mclp", p=p, radius=RADIUS, weights=w)
        assert sol.status == "optimal" and len(sol.selected) == p
        assert sol.objective == pytest.approx(brute_mclp(reach, w, p), abs=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_small_compounds_budget_match_brute_force(seed):
    minutes, w = compound_instance(seed, 40, 11)
    reach = minutes <= RADIUS
    costs = np.random.default_rng(seed).integers(1, 6, 11).astype(float)
    for budget in (3.0, 7.0, 12.0):
        sol = planner.solve(minutes, model="budget", radius=RADIUS, weights=w, costs=costs, budget=budget)
        assert sol.status == "optimal"
        assert costs[sol.selected].sum() <= budget
        assert sol.result.cost == pytest.approx(costs[sol.selected].sum())
        assert sol.objective == pytest.approx(brute_budget(reach, w, costs, budget), abs=1e-6)


def test_every_path_is_taken():
    """The small cases end after the reductions, at the LP bound, or after a smaller MIP: each is checked above."""
    seen = []
    cases = [compound_instance(*case) for case in SMALL] + [
        random_minutes(s, 60, 12, p_inf=0.35) for s in range(100, 106)
    ]
    for minutes, w in cases:
        for p in (2, 3, 4):
            r = planner.solve(minutes, model="mclp", p=p, radius=RADIUS, weights=w).result
            if r.lp_bound is None:
                seen.append("reductions")
                assert r.sites_kept <= p
                continue
            seen.append("mip" if r.sites_in_mip else "bound")
            assert r.incumbent_objective <= r.lp_bound + 1e-9
    # 12 / 5 / 19 of the 36 with HiGHS 1.16: each path is well exercised
    assert seen.count("reductions") >= 5 and seen.count("bound") >= 3 and seen.count("mip") >= 10


# --------------------------------------------------------------------------- larger instances


@pytest.mark.parametrize("seed,n_homes,n_sites", [(7, 3000, 300), (8, 2000, 400)])
def test_compounds_match_the_plain_model(seed, n_homes, n_sites):
    minutes, w = compound_instance(seed, n_homes, n_sites)
    reach = sp.csr_matrix(minutes <= RADIUS)
    assert 3.0 <= reach.sum(axis=1).mean() <= 6.0
    fixed_some = False
    for p in (10, 40):
        sol = planner.solve(minutes, model="mclp", p=p, radius=RADIUS, weights=w)
        assert sol.status == "optimal" and len(sol.selected) == p
        assert covered_weight(minutes, w, sol.selected) == pytest.approx(plain_mclp(reach, w, p), rel=1e-9)
        fixed_some |= sol.result.sites_fixed > 0
    assert fixed_some


@PULP_DEPRECATIONS
@pytest.mark.parametrize("seed", [11, 12])
def test_compounds_against_spopt(seed):
    pulp = pytest.importorskip("pulp")
    locate = pytest.importorskip("spopt.locate")
    minutes, w = compound_instance(seed, 300, 40)
    finite = np.where(np.isfinite(minutes), minutes, 1e9)
    for p in (3, 8):
        ref = locate.MCLP.from_cost_matrix(finite, w, RADIUS, p_facilities=p, name=f"mclp_{seed}_{p}")
        ref.solve(pulp.PULP_CBC_CMD(msg=False))
        assert pulp.LpStatus[ref.problem.status] == "Optimal"
        ref_selected = [j for j, v in enumerate(ref.fac_vars) if v.value() > 0.5]
        ours = planner.solve(minutes, model="mclp", p=p, radius=RADIUS, weights=w)
        assert ours.objective == pytest.approx(covered_weight(minutes, w, ref_selected), abs=1e-6)


def test_time_limit_keeps_a_plan_with_an_honest_gap():
    m, w = compound_csr(21, 10_000, 1_000)
    best = planner.solve(m, model="mclp", p=150, radius=RADIUS, weights=w)
    assert best.status == "optimal"
    quick = planner.solve(m, model="mclp", p=150, radius=RADIUS, weights=w, time_limit=1e-4)
    assert quick.status == "time_limit" and len(quick.selected) == 150
    assert 0 < quick.gap < 1
    # the gap is gap_of(plan, bound) on the whole objective: the bound it implies holds the optimum
    assert quick.objective <= best.objective <= quick.objective / (1 - quick.gap) + 1e-6


def test_time_limited_gap_counts_what_required_sites_cover():
    m, w = compound_csr(21, 10_000, 1_000)
    req = list(range(0, 1_000, 10))  # 100 required sites cover most of the weight, outside the model
    best = planner.solve(m, model="mclp", p=150, radius=RADIUS, weights=w, required=req)
    quick = planner.solve(m, model="mclp", p=150, radius=RADIUS, weights=w, required=req, time_limit=1e-4)
    assert quick.status == "time_limit" and 0 < quick.gap < 1
    assert quick.objective <= best.objective <= quick.objective / (1 - quick.gap) + 1e-6


# --------------------------------------------------------------------------- the pieces, on the model itself


@st.composite
def cover_models(draw, count: bool):
    """A small model: rows reaching 2+ columns, some columns with a bonus, a count or a budget."""
    n = draw(st.integers(2, 7))
    n_rows = draw(st.integers(0, 9))
    rows = [draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=n, unique=True)) for _ in range(n_rows)]
    rw = np.array([draw(st.integers(0, 30)) for _ in range(n_rows)], float)
    bonus = np.array([draw(st.sampled_from([0, 0, 0, 2, 7])) for _ in range(n)], float)
    block = sp.csr_matrix(
        (
            np.ones(sum(map(len, rows)), bool),
            ([i for i, r in enumerate(rows) for _ in r], [j for r in rows for j in r]),
        ),
        shape=(n_rows, n),
    )
    if count:
        return cover_model.Cover(block, rw, bonus, np.ones(n), float(draw(st.integers(1, n))), True)
    cost = np.array([draw(st.integers(1, 4)) for _ in range(n)], float)
    return cover_model.Cover(block, rw, bonus, cost, float(draw(st.integers(0, 8))), False)


def plans(model: cover_model.Cover):
    """Every plan; a count model with fewer columns than its count takes them all."""
    k = min(round(model.cap), model.n)
    for bits in itertools.product([False, True], repeat=model.n):
        pick = np.array(bits, bool)
        if (pick.sum() == k) if model.count else model.feasible(pick):
            yield pick


def brute_value(model: cover_model.Cover) -> float:
    return max(model.value(pick) for pick in plans(model))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(model=st.one_of(cover_models(True), cover_models(False)), data=st.data())
def test_weak_duality_bounds_every_plan(model, data):
    """U and the reduced weights bound every plan, whatever the duals (the fixing rests on this)."""
    u = np.array([data.draw(st.floats(0, 40)) for _ in range(model.block.shape[0])])
    v = data.draw(st.floats(-20, 20) if model.count else st.floats(0, 20))
    upper, dx, dy = cover_model.dual_bound(model, u, v)
    for pick in plans(model):
        y = model.covered(pick)
        off = np.where(dx > 0, ~pick, pick) * np.abs(dx)
        off_rows = np.where(dy > 0, ~y, y) * np.abs(dy)
        assert model.value(pick) <= upper - off.sum() - off_rows.sum() + 1e-7


@settings(max_examples=60, deadline=None, derandomize=True)
@given(model=st.one_of(cover_models(True), cover_models(False)))
def test_shrink_and_solve_keep_the_optimum(model):
    small, kept = cover_model.shrink(model)
    assert small.block.shape[0] <= model.block.shape[0] and len(kept) == small.n <= model.n
    assert (np.diff(small.block.indptr) >= 2).all()
    optimum = brute_value(model)
    if small.n:
        assert brute_value(small) == pytest.approx(optimum)
    out = rcfix.solve_cover(model, None)
    assert out.status == "optimal" and model.feasible(out.pick)
    assert model.value(out.pick) == pytest.approx(optimum)
    assert out.lp_bound is None or out.lp_bound >= optimum - 1e-7


@settings(max_examples=40, deadline=None, derandomize=True)
@given(model=cover_models(True))
def test_swaps_reach_a_local_optimum(model):
    start = np.zeros(model.n, bool)
    start[: round(model.cap)] = True
    better = improve_by_swaps(model.block, model.rw, model.bonus, start, tries=model.n)
    assert better.sum() == start.sum() and model.value(better) >= model.value(start)
    value = model.value(better)
    for i, o in itertools.product(np.flatnonzero(~better), np.flatnonzero(better)):
        swapped = better.copy()
        swapped[i], swapped[o] = True, False
        assert model.value(swapped) <= value + 1e-9


@pytest.mark.slow
def test_large_compounds_match_the_plain_model():
    """50,000 homes x 5,000 sites at 3.8 sites per home (the benchmark's size): the plain model agrees."""
    m, w = compound_csr(31, 50_000, 5_000)
    reach = sp.csr_matrix((np.ones(m.nnz), m.indices, m.indptr), shape=m.shape)
    assert 3.5 <= reach.sum(axis=1).mean() <= 4.2
    sol = planner.solve(m, model="mclp", p=300, radius=RADIUS, weights=w)
    assert sol.status == "optimal" and len(sol.selected) == 300
    assert sol.result.sites_fixed > 0
    assert sol.objective == pytest.approx(plain_mclp(reach, w, 300), rel=1e-9)
