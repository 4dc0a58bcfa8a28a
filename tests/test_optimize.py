"""planner.solve against brute force, against spopt (PySAL), across input forms,
and by properties (monotone in p, invariant under permutation)."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import PULP_DEPRECATIONS
from hypothesis import given, settings
from hypothesis import strategies as st
from instances import minute_matrices, network_instance, random_minutes, to_csr
from reference import brute_lscp, brute_mclp

import planner
from planner import InputError
from planner.optimize import solver
from planner.reach.matrix import Coverage

INF = np.inf
RADIUS = 5.0


# --------------------------------------------------------------------------- helpers


def to_coverage(cost: np.ndarray, weights: np.ndarray, limit: float = RADIUS) -> Coverage:
    n_homes, n_sites = cost.shape
    return Coverage(
        minutes=to_csr(np.where(cost <= limit, cost, INF)),
        limits=(float(limit),),
        demand_ids=np.array([f"h{i}" for i in range(n_homes)]),
        site_ids=np.array([f"s{j}" for j in range(n_sites)]),
        population=np.asarray(weights, float),
    )


def reach(cost: np.ndarray, radius: float = RADIUS) -> np.ndarray:
    return cost <= radius


def covers_all(A: np.ndarray, cols) -> bool:
    coverable = A.any(axis=1)
    return bool(np.all(A[:, list(cols)].any(axis=1) >= coverable))


def assert_consistent(sol, A: np.ndarray, w: np.ndarray) -> None:
    """The bookkeeping fields agree with ``selected`` and the 0/1 coverage ``A``."""
    sel = np.asarray(sol.selected)
    assert np.all(np.diff(sel) > 0), "selected is sorted and unique"
    expected_covered = A[:, sel].any(axis=1) if len(sel) else np.zeros(A.shape[0], bool)
    np.testing.assert_array_equal(sol.covered, expected_covered)
    np.testing.assert_array_equal(sol.uncoverable, np.flatnonzero(~A.any(axis=1)))
    assert sol.population_total == pytest.approx(w.sum(), abs=1e-9)
    assert sol.population_coverable == pytest.approx(w[A.any(axis=1)].sum(), abs=1e-9)
    assert sol.population_covered == pytest.approx(w[expected_covered].sum(), abs=1e-9)
    assert sol.covered_share == pytest.approx(sol.population_covered / sol.population_total, abs=1e-12)
    assert sol.n_stations == len(sel)
    assert sol.status == "optimal" and sol.gap == 0.0


# --------------------------------------------------------------------------- 1. brute force

BRUTE_CASES = [(seed, 8 + seed % 5, 15 + (seed * 7) % 16) for seed in range(10)]  # 8-12 sites, 15-30 homes


@pytest.mark.parametrize("seed,n_sites,n_homes", BRUTE_CASES)
def test_lscp_matches_brute_force(seed, n_sites, n_homes):
    cost, w = random_minutes(seed, n_homes, n_sites)
    A = reach(cost)
    sol = planner.solve(cost, model="lscp", radius=RADIUS, weights=w)
    assert sol.model == "lscp" and sol.p is None
    assert_consistent(sol, A, w)
    # feasible: every coverable row is covered
    assert np.all(sol.covered[A.any(axis=1)])
    assert sol.objective == len(sol.selected)
    # optimal: nothing with one station fewer covers everything
    k = int(sol.objective)
    assert k >= 1
    assert not any(covers_all(A, cols) for cols in itertools.combinations(range(n_sites), k - 1))
    best, _ = brute_lscp(A)
    assert best == k


@pytest.mark.parametrize("seed,n_sites,n_homes", BRUTE_CASES)
@pytest.mark.parametrize("p", [1, 2, 3, 4])
def test_mclp_matches_brute_force(seed, n_sites, n_homes, p):
    cost, w = random_minutes(seed, n_homes, n_sites)
    A = reach(cost)
    sol = planner.solve(cost, model="mclp", p=p, radius=RADIUS, weights=w)
    assert sol.model == "mclp" and sol.p == p
    assert len(sol.selected) == p
    assert_consistent(sol, A, w)
    assert sol.objective == pytest.approx(sol.population_covered, abs=1e-9)
    assert sol.objective == pytest.approx(brute_mclp(A, w, p), abs=1e-6)


def test_brute_force_instances_are_not_trivial():
    """The seeded instances exercise uncoverable rows, ties at the radius and lscp > 1."""
    n_uncoverable = n_at_radius = 0
    sizes = []
    for seed, n_sites, n_homes in BRUTE_CASES:
        cost, _ = random_minutes(seed, n_homes, n_sites)
        n_uncoverable += int((~reach(cost).any(axis=1)).sum())
        n_at_radius += int((cost == RADIUS).sum())
        sizes.append(brute_lscp(reach(cost))[0])
    assert n_at_radius > 20
    assert n_uncoverable >= 1
    assert min(sizes) >= 2 and max(sizes) >= 4


# --------------------------------------------------------------------------- 2. input forms


def instance_with_zero():
    """Integer minutes; home 0 is reachable only by site 3, at exactly 0.0 minutes."""
    cost, w = random_minutes(42, 25, 10)
    cost[0, :] = INF
    cost[0, 3] = 0.0
    return cost, w


def test_sparse_keeps_explicit_zero():
    cost, _ = instance_with_zero()
    csr = to_csr(cost)
    assert csr[0].nnz == 1 and csr[0].data[0] == 0.0  # an explicit stored zero
    assert (cost == RADIUS).any()  # an entry exactly at the radius


@pytest.mark.parametrize("model,p", [("lscp", None), ("mclp", 1), ("mclp", 3)])
def test_dense_sparse_and_coverage_agree(model, p):
    cost, w = instance_with_zero()
    A = reach(cost)
    inputs = {
        "dense": (cost, dict(radius=RADIUS, weights=w)),
        "dense_list": (cost.tolist(), dict(radius=RADIUS, weights=list(w))),
        "csr": (to_csr(cost), dict(radius=RADIUS, weights=w)),
        "csc": (to_csr(cost).tocsc(), dict(radius=RADIUS, weights=w)),
        "coverage_default_radius": (to_coverage(cost, w), {}),
        "coverage_radius": (to_coverage(cost, w), dict(radius=RADIUS)),
        "coverage_explicit_weights": (to_coverage(cost, np.ones(len(w))), dict(weights=w)),
    }
    solutions = {name: planner.solve(x, model=model, p=p, **kw) for name, (x, kw) in inputs.items()}
    expected = brute_lscp(A)[0] if model == "lscp" else brute_mclp(A, w, p)
    for name, sol in solutions.items():
        assert sol.objective == pytest.approx(expected, abs=1e-6), name
        assert_consistent(sol, A, w)
        assert 0 not in sol.uncoverable, name
        if model == "lscp":
            assert sol.covered[0], name  # the 0.0-minute pair counts as covered
            assert 3 in sol.selected, name  # and site 3 is the only way to cover home 0


def test_coverage_smaller_radius_filters_minutes():
    """A Coverage computed to 5 minutes, asked at 3, equals the dense matrix at 3."""
    cost, w = random_minutes(7, 30, 10)
    cov = to_coverage(cost, w, limit=RADIUS)
    for model, p in (("lscp", None), ("mclp", 2)):
        a = planner.solve(cov, model=model, p=p, radius=3.0)
        b = planner.solve(cost, model=model, p=p, radius=3.0, weights=w)
        assert a.objective == pytest.approx(b.objective, abs=1e-9)
        np.testing.assert_array_equal(a.uncoverable, b.uncoverable)
    with pytest.raises(InputError, match="computed up to"):
        planner.solve(cov, radius=6.0)


@pytest.mark.parametrize("form", ["dense", "csr", "coverage"])
def test_radius_is_inclusive(form):
    # home 0: exactly at the radius; home 1: just beyond it; home 2: at 0 minutes
    cost = np.array([[RADIUS, INF], [INF, np.nextafter(RADIUS, INF)], [0.0, INF]])
    w = np.array([2.0, 3.0, 4.0])
    if form == "dense":
        x, kw = cost, dict(radius=RADIUS, weights=w)
    elif form == "csr":
        x, kw = to_csr(cost), dict(radius=RADIUS, weights=w)
    else:
        x, kw = (
            Coverage(to_csr(cost), (RADIUS + 1.0,), np.array(["a", "b", "c"]), np.array(["s", "t"]), w),
            dict(radius=RADIUS),
        )
    sol = planner.solve(x, **kw)
    np.testing.assert_array_equal(sol.selected, [0])
    np.testing.assert_array_equal(sol.uncoverable, [1])
    np.testing.assert_array_equal(sol.covered, [True, False, True])
    assert sol.population_coverable == 6.0 and sol.population_covered == 6.0
    assert sol.covered_share == pytest.approx(6.0 / 9.0)
    m = planner.solve(x, model="mclp", p=1, **kw)
    assert m.objective == 6.0 and list(m.selected) == [0]


def test_nan_minutes_are_refused_inf_is_unreachable():
    """NaN is not a walk (issue 17): refused, naming the entry; inf stays the way to say unreachable."""
    cost = np.array([[1.0, np.nan], [2.0, 3.0]])
    with pytest.raises(InputError, match=r"entry \[0, 1\] is nan"):
        planner.solve(cost, radius=RADIUS)
    cost = np.array([[INF, 1.0], [2.0, INF], [INF, INF]])
    sol = planner.solve(cost, radius=RADIUS)
    np.testing.assert_array_equal(sol.selected, [0, 1])
    np.testing.assert_array_equal(sol.uncoverable, [2])


# --------------------------------------------------------------------------- 3. uncoverable homes


@pytest.mark.parametrize("model,p", [("lscp", None), ("mclp", 2)])
def test_uncoverable_homes_are_reported_not_fatal(model, p):
    cost, w = random_minutes(3, 20, 8, p_inf=0.5)
    cost[[0, 5, 11], :] = INF  # nobody reaches these homes
    cost[[0, 5, 11], 2] = RADIUS + 0.5  # a stored entry beyond the radius is still unreachable
    A = reach(cost)
    expected_uncoverable = np.flatnonzero(~A.any(axis=1))
    assert {0, 5, 11} <= set(expected_uncoverable)
    for x in (cost, to_csr(cost)):
        sol = planner.solve(x, model=model, p=p, radius=RADIUS, weights=w)
        np.testing.assert_array_equal(sol.uncoverable, expected_uncoverable)
        assert not sol.covered[expected_uncoverable].any()
        assert sol.population_coverable == pytest.approx(w[A.any(axis=1)].sum())
        assert sol.population_total == pytest.approx(w.sum())
        assert sol.covered_share == pytest.approx(sol.population_covered / sol.population_total)
        assert sol.covered_share < 1.0
        if model == "lscp":
            assert sol.population_covered == pytest.approx(sol.population_coverable)
            assert sol.objective == brute_lscp(A)[0]
        else:
            assert sol.objective == pytest.approx(brute_mclp(A, w, p), abs=1e-6)


def test_nothing_coverable():
    cost = np.full((4, 3), INF)
    sol = planner.solve(cost, radius=RADIUS)
    assert sol.objective == 0 and len(sol.selected) == 0
    np.testing.assert_array_equal(sol.uncoverable, [0, 1, 2, 3])
    assert sol.population_coverable == 0.0 and sol.covered_share == 0.0
    m = planner.solve(cost, model="mclp", p=2, radius=RADIUS)
    assert m.objective == 0.0 and len(m.selected) == 2


def test_default_weights_are_one():
    cost, _ = random_minutes(11, 20, 9)
    A = reach(cost)
    sol = planner.solve(cost, model="mclp", p=2, radius=RADIUS)
    assert sol.population_total == 20.0
    assert sol.objective == pytest.approx(brute_mclp(A, np.ones(20), 2))


def test_zero_weight_rows_still_covered_by_lscp():
    cost, w = random_minutes(5, 20, 9)
    w[:10] = 0.0
    A = reach(cost)
    sol = planner.solve(cost, radius=RADIUS, weights=w)
    assert np.all(sol.covered[A.any(axis=1)])
    assert sol.objective == brute_lscp(A)[0]


def test_time_limit_still_optimal_on_small_instance(monkeypatch):
    cost, w = random_minutes(2, 25, 10)
    readings = itertools.chain([100.0], itertools.repeat(102.5))  # the solve's clock: 100 s at its start, then 102.5
    monkeypatch.setattr(solver, "time", SimpleNamespace(perf_counter=lambda: next(readings)))
    sol = planner.solve(cost, model="mclp", p=3, radius=RADIUS, weights=w, time_limit=30)
    assert sol.status == "optimal" and sol.gap == 0.0
    assert sol.objective == pytest.approx(brute_mclp(reach(cost), w, 3), abs=1e-6)
    # the solve's own time: from its first reading of its clock to its last (no wall time measured)
    assert sol.seconds == 2.5


# --------------------------------------------------------------------------- 4. required sites


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_required_lscp_is_brute_force_minimum_containing_it(seed):
    cost, w = random_minutes(seed + 20, 25, 9)
    A = reach(cost)
    unconstrained = brute_lscp(A)[0]
    for j in range(A.shape[1]):
        sol = planner.solve(cost, radius=RADIUS, weights=w, required=[j])
        assert j in sol.selected
        assert np.all(sol.covered[A.any(axis=1)])
        assert sol.objective == len(sol.selected) == brute_lscp(A, required=[j])[0]
        assert unconstrained <= sol.objective <= unconstrained + 1


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("p", [1, 2, 3])
def test_required_mclp_counts_toward_p(seed, p):
    cost, w = random_minutes(seed + 30, 25, 9)
    A = reach(cost)
    for j in range(A.shape[1]):
        sol = planner.solve(cost, model="mclp", p=p, radius=RADIUS, weights=w, required=[j])
        assert j in sol.selected
        assert len(sol.selected) == p  # the required site is one of the p
        assert sol.objective == pytest.approx(brute_mclp(A, w, p, required=[j]), abs=1e-6)
        assert sol.objective <= brute_mclp(A, w, p) + 1e-6


def test_required_several_and_duplicates():
    cost, w = random_minutes(50, 25, 9)
    A = reach(cost)
    sol = planner.solve(cost, model="mclp", p=3, radius=RADIUS, weights=w, required=[4, 1, 4])
    assert {1, 4} <= set(sol.selected) and len(sol.selected) == 3
    assert sol.objective == pytest.approx(brute_mclp(A, w, 3, required=[1, 4]), abs=1e-6)
    # p equal to the number of required sites: exactly those
    sol = planner.solve(cost, model="mclp", p=2, radius=RADIUS, weights=w, required=np.array([1, 4]))
    np.testing.assert_array_equal(sol.selected, [1, 4])
    assert sol.objective == pytest.approx(w[A[:, [1, 4]].any(axis=1)].sum())
    lscp = planner.solve(cost, radius=RADIUS, weights=w, required=(1, 4))
    assert {1, 4} <= set(lscp.selected)
    assert lscp.objective == brute_lscp(A, required=[1, 4])[0]


def test_required_that_covers_nothing_is_still_selected():
    cost = np.array([[1.0, INF, INF], [INF, 2.0, INF]])
    sol = planner.solve(cost, radius=RADIUS, required=[2])
    np.testing.assert_array_equal(sol.selected, [0, 1, 2])
    assert sol.objective == 3


def test_required_covering_everything_mclp():
    cost = np.array([[1.0, INF, 4.0], [INF, 2.0, 5.0]])
    sol = planner.solve(cost, model="mclp", p=2, radius=RADIUS, weights=[3.0, 4.0], required=[2])
    assert 2 in sol.selected and len(sol.selected) == 2
    assert sol.objective == 7.0 and sol.covered_share == 1.0


# --------------------------------------------------------------------------- 5. errors


@pytest.fixture
def small():
    cost, w = random_minutes(9, 6, 4)
    return cost, w


def test_input_error_is_value_error():
    assert issubclass(InputError, ValueError)


def test_unknown_model(small):
    cost, _ = small
    with pytest.raises(InputError, match="unknown model"):
        planner.solve(cost, model="p_median", radius=RADIUS)
    with pytest.raises(InputError, match="unknown model"):
        planner.solve(cost, model="LSCP", radius=RADIUS)


def test_mclp_needs_p(small):
    cost, _ = small
    with pytest.raises(InputError, match="needs p"):
        planner.solve(cost, model="mclp", radius=RADIUS)


@pytest.mark.parametrize("p", [0, -1, 2.5, True, "2"])
def test_bad_p(small, p):
    cost, _ = small
    with pytest.raises(InputError, match="whole number"):
        planner.solve(cost, model="mclp", p=p, radius=RADIUS)


def test_whole_float_and_numpy_p_accepted(small):
    cost, w = small
    a = planner.solve(cost, model="mclp", p=2.0, radius=RADIUS, weights=w)
    b = planner.solve(cost, model="mclp", p=np.int64(2), radius=RADIUS, weights=w)
    assert a.p == b.p == 2 and isinstance(a.p, int)
    assert a.objective == pytest.approx(b.objective)


def test_p_larger_than_sites(small):
    cost, _ = small
    with pytest.raises(InputError, match="larger than the number of candidate sites"):
        planner.solve(cost, model="mclp", p=5, radius=RADIUS)
    planner.solve(cost, model="mclp", p=4, radius=RADIUS)  # p == n_sites is fine


def test_p_smaller_than_required(small):
    cost, _ = small
    with pytest.raises(InputError, match="smaller than the number of existing stations"):
        planner.solve(cost, model="mclp", p=1, radius=RADIUS, required=[0, 1])


@pytest.mark.parametrize("required", [[-1], [4], [0, 99]])
def test_required_out_of_range(small, required):
    cost, _ = small
    with pytest.raises(InputError, match="out of range"):
        planner.solve(cost, radius=RADIUS, required=required)


def test_matrix_without_radius(small):
    cost, _ = small
    with pytest.raises(InputError, match="radius"):
        planner.solve(cost)
    with pytest.raises(InputError, match="radius"):
        planner.solve(to_csr(cost))


@pytest.mark.parametrize("radius", [0, 0.0, -1, -5.0, np.inf, np.nan])
def test_bad_radius(small, radius):
    cost, _ = small
    with pytest.raises(InputError, match="radius"):
        planner.solve(cost, radius=radius)
    with pytest.raises(InputError, match="radius"):
        planner.solve(to_csr(cost), radius=radius)


@pytest.mark.parametrize("weights", [np.ones(5), np.ones(7), np.ones((6, 1)), []])
def test_weights_wrong_length(small, weights):
    cost, _ = small
    with pytest.raises(InputError, match="weights"):
        planner.solve(cost, radius=RADIUS, weights=weights)
    with pytest.raises(InputError, match="weights"):
        planner.solve(cost, model="mclp", p=1, radius=RADIUS, weights=weights)


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf])
def test_weights_bad_values(small, bad):
    cost, w = small
    w = w.copy()
    w[2] = bad
    with pytest.raises(InputError, match="finite and non-negative"):
        planner.solve(cost, radius=RADIUS, weights=w)


@pytest.mark.parametrize("x", [np.array([1.0, 2.0, 3.0]), np.float64(3.0), np.zeros((2, 2, 2))])
def test_not_two_dimensional(x):
    with pytest.raises(InputError, match="dimension"):
        planner.solve(x, radius=RADIUS)


def test_not_a_matrix():
    with pytest.raises(InputError, match="expected a Coverage"):
        planner.solve({"a": 1}, radius=RADIUS)


def test_no_sites():
    with pytest.raises(InputError, match="no candidate sites"):
        planner.solve(np.zeros((3, 0)), radius=RADIUS)


def test_bad_time_limit(small):
    cost, _ = small
    with pytest.raises(InputError, match="time_limit"):
        planner.solve(cost, radius=RADIUS, time_limit=0)


# --------------------------------------------------------------------------- 6. spopt


SPOPT_CASES = [(100, 60, 15), (101, 60, 15), (102, 80, 18)]


def spopt_instance(seed, n_homes, n_sites):
    # continuous minutes: no entry equals the radius exactly (spopt also uses <=,
    # but float ties are best avoided when comparing two solvers)
    cost, w = random_minutes(seed, n_homes, n_sites, p_inf=0.3, top=12, integer=False)
    cost[:4, :] = INF  # a few homes nobody reaches
    assert not (cost == RADIUS).any()
    return cost, w


@PULP_DEPRECATIONS
@pytest.mark.parametrize("seed,n_homes,n_sites", SPOPT_CASES)
def test_against_spopt(seed, n_homes, n_sites):
    pulp = pytest.importorskip("pulp")
    locate = pytest.importorskip("spopt.locate")
    solver = pulp.PULP_CBC_CMD(msg=False)
    cost, w = spopt_instance(seed, n_homes, n_sites)
    coverable = reach(cost).any(axis=1)
    assert 0 < (~coverable).sum() < n_homes

    ours = planner.solve(cost, model="lscp", radius=RADIUS, weights=w)
    # spopt's LSCP is infeasible with uncoverable homes: give it only the coverable ones
    finite = np.where(np.isfinite(cost), cost, 1e9)
    ref = locate.LSCP.from_cost_matrix(finite[coverable], RADIUS, name=f"lscp_{seed}").solve(solver)
    ref_selected = [j for j, v in enumerate(ref.fac_vars) if v.value() > 0.5]
    assert pulp.LpStatus[ref.problem.status] == "Optimal"
    assert ref.problem.objective.value() == pytest.approx(len(ref_selected))
    assert ours.objective == len(ref_selected)
    assert ours.objective >= 3  # a non-trivial instance

    for p in (1, 3, 5):
        ours = planner.solve(cost, model="mclp", p=p, radius=RADIUS, weights=w)
        ref = locate.MCLP.from_cost_matrix(finite, w, RADIUS, p_facilities=p, name=f"mclp_{seed}_{p}").solve(solver)
        assert pulp.LpStatus[ref.problem.status] == "Optimal"
        ref_selected = [j for j, v in enumerate(ref.fac_vars) if v.value() > 0.5]
        assert len(ref_selected) == p
        ref_value = float(w[reach(cost)[:, ref_selected].any(axis=1)].sum())
        assert ref.problem.objective.value() == pytest.approx(ref_value, abs=1e-6)
        assert ours.objective == pytest.approx(ref_value, abs=1e-6)
        assert len(ours.selected) == p


# --------------------------------------------------------------------------- 7. properties
# derandomize: the same examples on every run (deterministic, and no example database)


def instances(max_homes=12, max_sites=6):
    """Small minute matrices: 1-max_homes homes, 1-max_sites sites, weights 0..50."""
    return minute_matrices(homes=(1, max_homes), sites=(1, max_sites), max_weight=50)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(instances())
def test_mclp_optimum_never_falls_as_p_grows(inst):
    cost, w = inst
    n_sites = cost.shape[1]
    values = [
        planner.solve(cost, model="mclp", p=p, radius=RADIUS, weights=w).objective
        for p in range(1, min(4, n_sites) + 1)
    ]
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(values))
    # with every site open, all coverable population is covered
    full = planner.solve(cost, model="mclp", p=n_sites, radius=RADIUS, weights=w)
    assert full.objective == pytest.approx(full.population_coverable)
    assert values[-1] <= full.objective + 1e-9


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.data())
def test_permutation_does_not_change_optimum(data):
    cost, w = data.draw(instances())
    n_homes, n_sites = cost.shape
    rows = np.array(data.draw(st.permutations(range(n_homes))), int)
    cols = np.array(data.draw(st.permutations(range(n_sites))), int)
    permuted, pw = cost[rows][:, cols], w[rows]
    p = data.draw(st.integers(1, n_sites))
    for model, kw in (("lscp", {}), ("mclp", {"p": p})):
        a = planner.solve(cost, model=model, radius=RADIUS, weights=w, **kw)
        b = planner.solve(permuted, model=model, radius=RADIUS, weights=pw, **kw)
        assert a.objective == pytest.approx(b.objective, abs=1e-9)
        # uncoverable homes are the same homes, relabelled
        np.testing.assert_array_equal(np.sort(rows[b.uncoverable]), a.uncoverable)
        assert a.population_coverable == pytest.approx(b.population_coverable)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(instances(max_homes=10, max_sites=5), st.data())
def test_small_instances_match_brute_force(inst, data):
    cost, w = inst
    A = reach(cost)
    n_sites = A.shape[1]
    required = data.draw(st.lists(st.integers(0, n_sites - 1), max_size=2, unique=True))
    sol = planner.solve(cost, radius=RADIUS, weights=w, required=required)
    assert sol.objective == brute_lscp(A, required)[0]
    assert set(required) <= set(sol.selected)
    assert np.all(sol.covered[A.any(axis=1)])
    p = data.draw(st.integers(max(1, len(required)), n_sites))
    sol = planner.solve(cost, model="mclp", p=p, radius=RADIUS, weights=w, required=required)
    assert len(sol.selected) == p and set(required) <= set(sol.selected)
    assert sol.objective == pytest.approx(brute_mclp(A, w, p, required), abs=1e-6)


# --------------------------------------------------------------------------- properties on random networks

#: hypothesis' settings for the cases on random networks (each draws a network and its coverage)
NETWORK_PROPS = settings(max_examples=20, deadline=None, derandomize=True)


def _pairs(cov) -> dict[tuple[int, int], float]:
    """The stored (home row, site row): minutes of a coverage."""
    m = cov.minutes.tocoo()
    return {(int(i), int(j)): float(v) for i, j, v in zip(m.row, m.col, m.data)}


@NETWORK_PROPS
@given(seed=st.integers(0, 10_000), minutes=st.floats(1.0, 12.0))
def test_lscp_covers_every_coverable_home(seed, minutes):
    G, homes, sites = network_instance(seed)
    cov = planner.coverage(G, homes, sites, minutes=minutes)
    sol = planner.solve(cov, model="lscp")
    coverable = cov.coverable()
    reached = np.asarray(cov.within()[:, sol.selected].sum(axis=1)).ravel() > 0
    assert (reached == coverable).all()
    assert (sol.covered == coverable).all()
    assert sol.population_covered == pytest.approx(sol.population_coverable)
    assert sol.population_coverable == pytest.approx(cov.population[coverable].sum())


@NETWORK_PROPS
@given(seed=st.integers(0, 10_000), minutes=st.floats(1.0, 12.0))
def test_mclp_optimum_never_falls_as_p_grows_on_random_networks(seed, minutes):
    G, homes, sites = network_instance(seed)
    cov = planner.coverage(G, homes, sites, minutes=minutes)
    best = [planner.solve(cov, model="mclp", p=p).objective for p in range(1, len(sites) + 1)]
    assert all(b >= a - 1e-6 for a, b in itertools.pairwise(best)), best
    assert best[-1] == pytest.approx(cov.population[cov.coverable()].sum())


@NETWORK_PROPS
@given(
    seed=st.integers(0, 10_000), minutes=st.floats(1.0, 12.0), p=st.integers(1, 5), shuffle=st.integers(0, 2**32 - 1)
)
def test_optima_do_not_depend_on_row_order(seed, minutes, p, shuffle):
    G, homes, sites = network_instance(seed)
    rng = np.random.default_rng(shuffle)
    homes2 = homes.iloc[rng.permutation(len(homes))].reset_index(drop=True)
    sites2 = sites.iloc[rng.permutation(len(sites))].reset_index(drop=True)
    cov = planner.coverage(G, homes, sites, minutes=minutes)
    cov2 = planner.coverage(G, homes2, sites2, minutes=minutes)
    lscp, lscp2 = planner.solve(cov, model="lscp"), planner.solve(cov2, model="lscp")
    assert lscp.n_stations == lscp2.n_stations
    mclp, mclp2 = planner.solve(cov, model="mclp", p=p), planner.solve(cov2, model="mclp", p=p)
    assert mclp.objective == pytest.approx(mclp2.objective, abs=1e-6)
    # the same pairs, relabelled
    by_id = {(cov.demand_ids[i], cov.site_ids[j]): v for (i, j), v in _pairs(cov).items()}
    by_id2 = {(cov2.demand_ids[i], cov2.site_ids[j]): v for (i, j), v in _pairs(cov2).items()}
    assert by_id.keys() == by_id2.keys()
    assert all(by_id[k] == pytest.approx(by_id2[k], abs=1e-9) for k in by_id)
