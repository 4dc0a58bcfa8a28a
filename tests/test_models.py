"""The models beyond lscp / mclp (pmedian, pcenter, backup, pdispersion, budget,
capacitated lscp / mclp) against brute force on small seeded instances, against
spopt (PySAL) on generated ones, with ``required`` sites, and their input errors.

Brute-force conventions (the documented behaviour of :func:`planner.solve`):

* a pair (home, site) is allowed when its minutes are ``<= radius`` (inclusive);
  ``inf`` / absent pairs never are;
* pmedian / pcenter: every home some candidate reaches must get a chosen station
  within the radius, else the p-subset is infeasible; the value is taken over
  those reachable homes only;
* pdispersion: the distance of two sites is the shorter of the two walks between
  them, whatever the radius (issue 17 removed the hidden cap at the radius); a pair
  with no walk either way is infinitely far apart;
* required sites are in every subset considered.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import PULP_DEPRECATIONS
from hypothesis import given, settings
from hypothesis import strategies as st
from instances import minute_matrices, random_minutes, to_csr
from scipy.optimize import linprog

import planner
from planner import DataError, InputError, SolverError

INF = np.inf


# --------------------------------------------------------------------------- brute force


def subsets(n: int, k: int, req=()):
    """All k-subsets of range(n) containing ``req`` (as sorted lists)."""
    req = sorted(set(int(r) for r in req))
    if k < len(req):
        return
    others = [j for j in range(n) if j not in req]
    for extra in itertools.combinations(others, k - len(req)):
        yield sorted(req + list(extra))


def all_subsets(n: int, req=()):
    for k in range(n + 1):
        yield from subsets(n, k, req)


# --------------------------------------------------------------------------- brute force


def bf_cover_min(allowed: np.ndarray, req=()) -> int:
    """Fewest sites (required included) covering every row some site covers."""
    coverable = allowed.any(axis=1)
    n = allowed.shape[1]
    for k in range(len(set(req)), n + 1):
        for s in subsets(n, k, req):
            if np.asarray(allowed[:, s].any(axis=1))[coverable].all():
                return k
    raise AssertionError("unreachable")


def bf_nearest(cost, radius, p, req, reduce):
    """min over feasible p-subsets of reduce(weights-free nearest minutes of reachable rows)."""
    allowed = cost <= radius
    reach = allowed.any(axis=1)
    m = np.where(allowed, cost, INF)[reach]
    best = None
    for s in subsets(cost.shape[1], p, req):
        near = m[:, s].min(axis=1) if len(s) else np.full(len(m), INF)
        if np.isinf(near).any():
            continue
        v = reduce(near, reach)
        best = v if best is None else min(best, v)
    return best


def bf_pmedian(cost, w, radius, p, req=()):
    return bf_nearest(cost, radius, p, req, lambda near, reach: float((w[reach] * near).sum()))


def bf_pcenter(cost, radius, p, req=()):
    return bf_nearest(cost, radius, p, req, lambda near, reach: float(near.max()) if len(near) else 0.0)


def bf_backup(allowed, w, req=()):
    """(k, best): k the LSCP minimum; best the largest weight covered >= 2 times by a k-set covering all."""
    k = bf_cover_min(allowed, req)
    coverable = allowed.any(axis=1)
    best = None
    for s in subsets(allowed.shape[1], k, req):
        times = allowed[:, s].sum(axis=1)
        if (times[coverable] >= 1).all():
            v = float(w[times >= 2].sum())
            best = v if best is None else max(best, v)
    return k, best


def bf_budget(allowed, w, costs, budget, req=()):
    best = 0.0
    for s in all_subsets(allowed.shape[1], req):
        if costs[s].sum() <= budget + 1e-9:
            best = max(best, float(w[allowed[:, s].any(axis=1)].sum()))
    return best


def pair_distances(dist):
    """Site x site minutes as pdispersion reads them: the shorter direction (inf: no walk, never limits)."""
    return np.minimum(dist, dist.T)


def bf_pdispersion(dist, p, req=()):
    d = pair_distances(dist)
    best = None
    for s in subsets(d.shape[0], p, req):
        v = min(min(d[i, j], d[j, i]) for i, j in itertools.combinations(s, 2))
        best = v if best is None else max(best, v)
    return best


def spread_of(dist, selected):
    d = pair_distances(dist)
    return min(min(d[i, j], d[j, i]) for i, j in itertools.combinations(selected, 2))


# capacitated: exact assignment for a fixed set of open sites


def served_whole(allowed, w, capacity, sites, must_all):
    """Largest weight assignable with each home whole at one open site (depth-first, exact).

    ``must_all``: every row with an allowed open site must be assigned; returns None if impossible.
    """
    rows = [i for i in range(len(w)) if allowed[i, sites].any()]
    rows.sort(key=lambda i: -w[i])
    left = {j: capacity for j in sites}
    best = [None]
    suffix = np.concatenate([np.cumsum([w[i] for i in rows][::-1])[::-1], [0.0]])

    def go(k, served):
        if best[0] is not None and served + suffix[k] <= best[0] + 1e-12:
            return
        if k == len(rows):
            best[0] = served
            return
        i = rows[k]
        for j in sites:
            if allowed[i, j] and left[j] >= w[i] - 1e-12:
                left[j] -= w[i]
                go(k + 1, served + w[i])
                left[j] += w[i]
        if not must_all:
            go(k + 1, served)

    go(0, 0.0)
    return best[0]


def served_split(allowed, w, capacity, sites):
    """Largest weight servable when homes may split between open sites (an LP, exact for fixed sites)."""
    pairs = [(i, j) for i in range(len(w)) for j in sites if allowed[i, j]]
    if not pairs:
        return 0.0
    n = len(pairs)
    c = -np.array([w[i] for i, _ in pairs])
    a_home = np.zeros((len(w), n))
    a_site = np.zeros((len(sites), n))
    for k, (i, j) in enumerate(pairs):
        a_home[i, k] = 1.0
        a_site[sites.index(j), k] = w[i]
    res = linprog(
        c,
        A_ub=np.vstack([a_home, a_site]),
        b_ub=np.concatenate([np.ones(len(w)), np.full(len(sites), capacity)]),
        bounds=(0, 1),
        method="highs",
    )
    assert res.status == 0
    return float(-res.fun)


def served(allowed, w, capacity, sites, split, must_all=False):
    if split:
        return served_split(allowed, w, capacity, sites)
    return served_whole(allowed, w, capacity, sites, must_all)


def bf_capacitated_lscp(allowed, w, capacity, split, req=()):
    """Fewest sites (required included) that serve every coverable home fully; None if none can."""
    coverable = allowed.any(axis=1)
    total = float(w[coverable].sum())
    n = allowed.shape[1]
    for k in range(len(set(req)), n + 1):
        for s in subsets(n, k, req):
            if not allowed[:, s].any(axis=1)[coverable].all():
                continue
            got = served(allowed, w, capacity, s, split, must_all=True)
            if got is not None and got >= total - 1e-7:
                return k
    return None


def bf_capacitated_mclp(allowed, w, capacity, split, p, req=()):
    return max(served(allowed, w, capacity, s, split) for s in subsets(allowed.shape[1], p, req))


# --------------------------------------------------------------------------- checks


def needed_from(message: str) -> int:
    m = re.search(r"at least (\d+)", message)
    assert m, f"the message does not say how many stations are needed: {message!r}"
    return int(m.group(1))


def assert_required_in(sol, req):
    assert set(int(r) for r in req) <= set(sol.selected.tolist())


# --------------------------------------------------------------------------- 1. pmedian / pcenter

# (seed, sites, homes, radius): radius 5 and a limit of 8, 6-9 sites, 12-25 homes; the
# radius-8 instances are denser (minutes 0..9, 5 % inf) so that p = 1 is sometimes feasible
NEAREST_CASES = [
    (1, 6, 12, 5.0),
    (2, 7, 16, 5.0),
    (3, 8, 20, 5.0),
    (4, 9, 25, 5.0),
    (5, 6, 14, 8.0),
    (6, 7, 18, 8.0),
    (7, 8, 22, 8.0),
    (8, 9, 25, 8.0),
]


def nearest_instance(seed, n_sites, n_homes, radius):
    if radius == 5.0:
        return random_minutes(seed, n_homes, n_sites, p_inf=0.1, top=10)
    return random_minutes(seed, n_homes, n_sites, p_inf=0.05, top=9)


REQ_CHOICES = ["none", "one"]


def assert_infeasible_names_minimum(cost, model, p, radius, w, req):
    """p stations cannot reach every home: the error names the lscp minimum (by brute force)."""
    with pytest.raises(SolverError) as err:
        planner.solve(cost, model=model, p=p, radius=radius, weights=w, required=req)
    assert needed_from(str(err.value)) == bf_cover_min(cost <= radius, req)


def required_for(choice, seed, n_sites):
    return [] if choice == "none" else [seed % n_sites]


@pytest.mark.parametrize("seed,n_sites,n_homes,radius", NEAREST_CASES)
@pytest.mark.parametrize("req_choice", REQ_CHOICES)
def test_pmedian_matches_brute_force(seed, n_sites, n_homes, radius, req_choice):
    cost, w = nearest_instance(seed, n_sites, n_homes, radius)
    req = required_for(req_choice, seed, n_sites)
    allowed = cost <= radius
    for p in (1, 2, 3):
        if p < len(req):
            continue
        expected = bf_pmedian(cost, w, radius, p, req)
        if expected is None:
            assert_infeasible_names_minimum(cost, "pmedian", p, radius, w, req)
            continue
        sol = planner.solve(cost, model="pmedian", p=p, radius=radius, weights=w, required=req)
        assert sol.model == "pmedian" and sol.p == p and len(sol.selected) == p
        assert_required_in(sol, req)
        assert sol.objective == pytest.approx(expected, rel=1e-9, abs=1e-9)
        assert sol.result.weighted_minutes == pytest.approx(expected, rel=1e-9, abs=1e-9)
        # the reported assignment is the nearest chosen station, within the radius
        reach = allowed.any(axis=1)
        near = np.where(allowed, cost, INF)[:, sol.selected].min(axis=1)
        walk, site = sol.result.walk_minutes, sol.result.assignment
        assert np.array_equal(site >= 0, reach)
        assert np.allclose(walk[reach], near[reach])
        assert np.all(np.isin(site[reach], sol.selected))
        assert np.allclose(cost[np.flatnonzero(reach), site[reach]], walk[reach])
        assert sol.result.longest_walk == pytest.approx(near[reach].max())
        # the sparse form gives the same optimum
        again = planner.solve(to_csr(cost), model="pmedian", p=p, radius=radius, weights=w, required=req)
        assert again.objective == pytest.approx(expected, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("seed,n_sites,n_homes,radius", NEAREST_CASES)
@pytest.mark.parametrize("req_choice", REQ_CHOICES)
def test_pcenter_matches_brute_force(seed, n_sites, n_homes, radius, req_choice):
    cost, w = nearest_instance(seed, n_sites, n_homes, radius)
    req = required_for(req_choice, seed, n_sites)
    allowed = cost <= radius
    for p in (1, 2, 3):
        if p < len(req):
            continue
        expected = bf_pcenter(cost, radius, p, req)
        if expected is None:
            assert_infeasible_names_minimum(cost, "pcenter", p, radius, w, req)
            continue
        sol = planner.solve(cost, model="pcenter", p=p, radius=radius, weights=w, required=req)
        assert sol.model == "pcenter" and sol.p == p and len(sol.selected) == p
        assert_required_in(sol, req)
        assert sol.objective == pytest.approx(expected, abs=1e-12)
        assert sol.result.longest_walk == pytest.approx(expected, abs=1e-12)
        reach = allowed.any(axis=1)
        near = np.where(allowed, cost, INF)[:, sol.selected].min(axis=1)
        assert near[reach].max() == pytest.approx(expected)
        again = planner.solve(to_csr(cost), model="pcenter", p=p, radius=radius, required=req)
        assert again.objective == pytest.approx(expected, abs=1e-12)


def test_nearest_cases_are_not_trivial():
    """The seeded instances have both feasible and infeasible p, and optima that differ by p."""
    feasible = infeasible = 0
    falling = 0
    for seed, n_sites, n_homes, radius in NEAREST_CASES:
        cost, w = nearest_instance(seed, n_sites, n_homes, radius)
        values = [bf_pmedian(cost, w, radius, p) for p in (1, 2, 3)]
        feasible += sum(v is not None for v in values)
        infeasible += sum(v is None for v in values)
        ok = [v for v in values if v is not None]
        falling += any(b < a - 1e-9 for a, b in itertools.pairwise(ok))
    assert feasible >= 10 and infeasible >= 6 and falling >= 3


def test_pmedian_pcenter_sparse_beyond_radius_is_not_allowed():
    """Stored entries above the radius are not assignments (home 1 only reaches site 1 in time)."""
    cost = np.array([[1.0, 4.0], [2.0, 6.0], [9.0, 3.0]])
    m = sp.csr_matrix(cost)
    # p=1: site 0 misses home 2 (9 > 5), site 1 misses home 1 (6 > 5): infeasible, 2 needed
    for model in ("pmedian", "pcenter"):
        with pytest.raises(SolverError) as err:
            planner.solve(m, model=model, p=1, radius=5.0)
        assert needed_from(str(err.value)) == 2
    # with a limit of 6, site 1 reaches everyone and is the only feasible choice
    sol = planner.solve(m, model="pmedian", p=1, radius=6.0)
    assert sol.selected.tolist() == [1] and sol.objective == pytest.approx(13.0)
    sol = planner.solve(m, model="pcenter", p=1, radius=6.0)
    assert sol.selected.tolist() == [1] and sol.objective == pytest.approx(6.0)


# --------------------------------------------------------------------------- 2. backup

BACKUP_CASES = [(seed, 6 + seed % 4, 12 + (seed * 5) % 14) for seed in range(10, 18)]


@pytest.mark.parametrize("seed,n_sites,n_homes", BACKUP_CASES)
@pytest.mark.parametrize("req_choice", REQ_CHOICES)
def test_backup_matches_brute_force(seed, n_sites, n_homes, req_choice):
    cost, w = random_minutes(seed, n_homes, n_sites, p_inf=0.3)
    radius = 5.0 if seed % 2 else 8.0
    req = required_for(req_choice, seed, n_sites)
    allowed = cost <= radius
    k, expected = bf_backup(allowed, w, req)
    sol = planner.solve(cost, model="backup", radius=radius, weights=w, required=req)
    assert sol.model == "backup" and sol.p is None
    assert len(sol.selected) == k
    assert_required_in(sol, req)
    coverable = allowed.any(axis=1)
    times = allowed[:, sol.selected].sum(axis=1)
    assert (times[coverable] >= 1).all()
    assert sol.objective == pytest.approx(expected, abs=1e-9)
    assert sol.result.population_covered_twice == pytest.approx(float(w[times >= 2].sum()), abs=1e-9)


def test_backup_cases_are_not_trivial():
    gains = 0
    for seed, n_sites, n_homes in BACKUP_CASES:
        cost, w = random_minutes(seed, n_homes, n_sites, p_inf=0.3)
        allowed = cost <= (5.0 if seed % 2 else 8.0)
        k, best = bf_backup(allowed, w)
        worst = min(
            float(w[allowed[:, s].sum(axis=1) >= 2].sum())
            for s in subsets(allowed.shape[1], k)
            if allowed[:, s].any(axis=1)[allowed.any(axis=1)].all()
        )
        gains += best > worst + 1e-9  # choosing among the minimum covers matters
    assert gains >= 3


# --------------------------------------------------------------------------- 3. pdispersion


def random_site_minutes(seed: int, n: int, *, p_inf: float = 0.15, top: int = 10):
    """Symmetric site x site integer minutes 1..top, some inf, zero diagonal."""
    rng = np.random.default_rng(seed)
    d = rng.integers(1, top + 1, size=(n, n)).astype(float)
    d[rng.random((n, n)) < p_inf] = INF
    d = np.triu(d, 1)
    d = d + d.T
    np.fill_diagonal(d, 0.0)
    return d


DISPERSION_CASES = [(seed, 6 + seed % 4, 5.0 if seed % 2 else 8.0) for seed in range(20, 28)]


@pytest.mark.parametrize("seed,n,radius", DISPERSION_CASES)
@pytest.mark.parametrize("req_choice", REQ_CHOICES)
@pytest.mark.parametrize("form", ["dense", "sparse"])
def test_pdispersion_matches_brute_force(seed, n, radius, req_choice, form):
    dist = random_site_minutes(seed, n)
    req = required_for(req_choice, seed, n)
    matrix = dist if form == "dense" else to_csr(np.where(np.eye(n, dtype=bool), INF, dist))
    for p in (2, 3, 4):
        expected = bf_pdispersion(dist, p, req)
        sol = planner.solve(matrix, model="pdispersion", p=p, radius=radius, required=req)
        assert sol.model == "pdispersion" and sol.p == p and len(sol.selected) == p
        assert_required_in(sol, req)
        assert sol.objective == pytest.approx(expected, abs=1e-12)
        assert sol.result.smallest_gap_minutes == pytest.approx(expected, abs=1e-12)
        assert spread_of(dist, sol.selected.tolist()) == pytest.approx(expected, abs=1e-12)


def test_pdispersion_cases_are_not_trivial():
    """Optima above the old cap of 5 minutes, and optima that fall as p grows."""
    above = falling = 0
    for seed, n, _radius in DISPERSION_CASES:
        dist = random_site_minutes(seed, n)
        values = [bf_pdispersion(dist, p) for p in (2, 3, 4)]
        above += sum(v > 5.0 for v in values)
        falling += values[2] < values[0]
    assert above >= 6 and falling >= 6


def test_pdispersion_pairs_beyond_radius_are_their_real_distance():
    dist = np.array([[0.0, 9.0, INF], [9.0, 0.0, 7.0], [INF, 7.0, 0.0]])
    for radius in (5.0, 8.0, None):
        sol = planner.solve(dist, model="pdispersion", p=3, radius=radius)
        assert sol.objective == 7.0
    # no walk between two sites (inf, or absent from a sparse matrix): they never limit the spread
    sol = planner.solve(dist, model="pdispersion", p=2, radius=5.0)
    assert sol.selected.tolist() == [0, 2] and sol.objective == INF
    sol = planner.solve(sp.csr_matrix((3, 3)), model="pdispersion", p=2, radius=4.0)
    assert sol.objective == INF


def test_pdispersion_coincident_sites_are_zero_apart():
    # sites 0 and 1 are the same place; the best pair is 4 apart (0-3 or 1-2)
    dist = np.array([[0, 0, 3, 4], [0, 0, 4, 3], [3, 4, 0, 2], [4, 3, 2, 0]], float)
    assert bf_pdispersion(dist, 2) == 4.0
    sol = planner.solve(dist, model="pdispersion", p=2, radius=5.0)
    assert sol.objective == 4.0
    assert spread_of(dist, sol.selected.tolist()) == 4.0


# --------------------------------------------------------------------------- 4. budget

BUDGET_CASES = [(seed, 6 + seed % 4, 12 + (seed * 3) % 14) for seed in range(30, 36)]


@pytest.mark.parametrize("seed,n_sites,n_homes", BUDGET_CASES)
@pytest.mark.parametrize("req_choice", REQ_CHOICES)
def test_budget_matches_brute_force(seed, n_sites, n_homes, req_choice):
    cost, w = random_minutes(seed, n_homes, n_sites, p_inf=0.3)
    rng = np.random.default_rng(seed + 1000)
    costs = rng.choice([1.0, 1.5], size=n_sites)  # two site types
    req = required_for(req_choice, seed, n_sites)
    allowed = cost <= 5.0
    for budget in (1.0, 2.5, 3.0, 4.0):
        if costs[req].sum() > budget:
            with pytest.raises(InputError, match="budget"):
                planner.solve(cost, model="budget", radius=5.0, weights=w, costs=costs, budget=budget, required=req)
            continue
        expected = bf_budget(allowed, w, costs, budget, req)
        sol = planner.solve(cost, model="budget", radius=5.0, weights=w, costs=costs, budget=budget, required=req)
        assert sol.model == "budget"
        assert_required_in(sol, req)
        assert costs[sol.selected].sum() <= budget + 1e-9
        assert sol.result.cost == pytest.approx(costs[sol.selected].sum())
        assert sol.objective == pytest.approx(expected, abs=1e-9)
        assert sol.population_covered == pytest.approx(float(w[allowed[:, sol.selected].any(axis=1)].sum()), abs=1e-9)


def test_budget_uses_cheaper_sites_when_they_cover_more():
    # two cheap sites (1.0 each) together cover more than the one expensive (1.5) big site
    cost = np.array([[1, INF, 1], [1, INF, 1], [INF, 1, 1], [INF, 1, INF], [1, INF, INF]], float)
    costs = np.array([1.0, 1.0, 1.5])
    assert planner.solve(cost, model="budget", radius=5, costs=costs, budget=2.0).selected.tolist() == [0, 1]
    assert planner.solve(cost, model="budget", radius=5, costs=costs, budget=1.5).objective == 3.0


# --------------------------------------------------------------------------- 5. capacitated lscp / mclp

CAP_CASES = [(seed, capacity) for seed in range(40, 46) for capacity in (8.0, 12.0)]


def capacitated_instance(seed):
    rng = np.random.default_rng(seed)
    cost = rng.integers(0, 11, size=(8, 5)).astype(float)
    cost[rng.random((8, 5)) < 0.3] = INF
    w = rng.integers(1, 7, size=8).astype(float)
    return cost, w


def check_capacitated(sol, allowed, w, capacity, split):
    load = np.asarray(sol.result.load, float)
    assert len(load) == len(sol.selected)
    assert (load <= capacity + 1e-6).all()
    assert sol.result.capacity == capacity and sol.result.split == split
    assert load.sum() == pytest.approx(sol.population_covered, abs=1e-3)
    # homes are counted as covered only when served by a chosen station that reaches them
    assert not sol.covered[~allowed[:, sol.selected].any(axis=1)].any()
    if not split:
        assert sol.population_covered == pytest.approx(float(w[sol.covered].sum()), abs=1e-6)


@pytest.mark.parametrize("seed,capacity", CAP_CASES)
@pytest.mark.parametrize("split", [True, False])
@pytest.mark.parametrize("req_choice", REQ_CHOICES)
def test_capacitated_lscp_matches_brute_force(seed, capacity, split, req_choice):
    cost, w = capacitated_instance(seed)
    req = required_for(req_choice, seed, 5)
    allowed = cost <= 5.0
    coverable = allowed.any(axis=1)
    expected = bf_capacitated_lscp(allowed, w, capacity, split, req)
    if expected is None:
        with pytest.raises(SolverError, match="capacity"):
            planner.solve(cost, model="lscp", radius=5.0, weights=w, capacity=capacity, split=split, required=req)
        return
    sol = planner.solve(cost, model="lscp", radius=5.0, weights=w, capacity=capacity, split=split, required=req)
    assert sol.objective == expected == len(sol.selected)
    assert_required_in(sol, req)
    check_capacitated(sol, allowed, w, capacity, split)
    assert sol.covered[coverable].all()  # every coverable home fully served
    assert sol.population_covered == pytest.approx(float(w[coverable].sum()), abs=1e-6)


@pytest.mark.parametrize("seed,capacity", CAP_CASES)
@pytest.mark.parametrize("split", [True, False])
@pytest.mark.parametrize("req_choice", REQ_CHOICES)
def test_capacitated_mclp_matches_brute_force(seed, capacity, split, req_choice):
    cost, w = capacitated_instance(seed)
    req = required_for(req_choice, seed, 5)
    allowed = cost <= 5.0
    for p in (1, 2, 3):
        expected = bf_capacitated_mclp(allowed, w, capacity, split, p, req)
        sol = planner.solve(
            cost, model="mclp", p=p, radius=5.0, weights=w, capacity=capacity, split=split, required=req
        )
        assert len(sol.selected) == p
        assert_required_in(sol, req)
        check_capacitated(sol, allowed, w, capacity, split)
        assert sol.objective == pytest.approx(expected, abs=1e-6)


def test_capacitated_cases_are_not_trivial():
    """Capacity binds: the capacitated optimum differs from the uncapacitated one somewhere,
    splitting helps somewhere, and some instances cannot be served at all."""
    binds = split_helps = impossible = 0
    for seed, capacity in CAP_CASES:
        cost, w = capacitated_instance(seed)
        allowed = cost <= 5.0
        whole = bf_capacitated_lscp(allowed, w, capacity, False)
        parts = bf_capacitated_lscp(allowed, w, capacity, True)
        impossible += whole is None
        binds += parts is None or parts > bf_cover_min(allowed)
        for p in (1, 2, 3):
            split_helps += (
                bf_capacitated_mclp(allowed, w, capacity, True, p)
                > bf_capacitated_mclp(allowed, w, capacity, False, p) + 1e-9
            )
    assert binds >= 3 and split_helps >= 3 and impossible >= 1


def test_capacitated_split_lets_a_home_share_stations():
    cost = np.array([[1.0, 1.0]])
    sol = planner.solve(cost, model="lscp", radius=5, weights=[10.0], capacity=6, split=True)
    assert sol.objective == 2 and sol.covered.all()
    assert sum(sol.result.load) == pytest.approx(10.0)
    assert max(sol.result.load) <= 6 + 1e-9
    sol = planner.solve(cost, model="mclp", p=1, radius=5, weights=[10.0], capacity=6, split=True)
    assert sol.objective == pytest.approx(6.0)


@pytest.mark.parametrize("model,p", [("lscp", None), ("mclp", 2)])
def test_capacitated_whole_home_bigger_than_capacity(model, p):
    cost, w = capacitated_instance(40)
    w = w.copy()
    big = np.flatnonzero((cost <= 5.0).any(axis=1))[0]
    w[big] = 50.0  # a home some candidate reaches
    if model == "lscp":  # lscp must serve it: impossible whole
        with pytest.raises(DataError, match="capacity"):
            planner.solve(cost, model=model, p=p, radius=5.0, weights=w, capacity=10.0, split=False)
    else:  # mclp may leave it out (issue 17): the brute force over whole assignments agrees
        sol = planner.solve(cost, model=model, p=p, radius=5.0, weights=w, capacity=10.0, split=False)
        assert not sol.covered[big]
        assert sol.objective == pytest.approx(bf_capacitated_mclp(cost <= 5.0, w, 10.0, False, p))
    # splitting is allowed to serve it across stations (or leave it, for mclp): no DataError
    try:
        planner.solve(cost, model=model, p=p, radius=5.0, weights=w, capacity=10.0, split=True)
    except SolverError:
        assert model == "lscp"


# --------------------------------------------------------------------------- 6. required, every model


REQ_MODELS = [
    ("lscp", None),
    ("mclp", 2),
    ("pmedian", 3),
    ("pcenter", 3),
    ("backup", None),
    ("pdispersion", 3),
    ("budget", None),
]


def required_instance(model):
    """8 sites: coverage models at radius 5 on a sparse-ish instance, the nearest-station models at a
    limit of 8 on a denser one (so that p = 3 can serve everyone), pdispersion on site x site minutes."""
    if model == "pdispersion":
        return random_site_minutes(60, 8), None, 8.0
    if model in ("pmedian", "pcenter"):
        return (*random_minutes(61, 20, 8, p_inf=0.1, top=9), 8.0)
    return (*random_minutes(62, 20, 8, p_inf=0.2), 5.0)


def brute_for(model, cost, w, radius, p, req, costs=None, budget=None):
    allowed = cost <= radius
    if model == "lscp":
        return bf_cover_min(allowed, req)
    if model == "mclp":
        return max(float(w[allowed[:, s].any(axis=1)].sum()) for s in subsets(cost.shape[1], p, req))
    if model == "pmedian":
        return bf_pmedian(cost, w, radius, p, req)
    if model == "pcenter":
        return bf_pcenter(cost, radius, p, req)
    if model == "backup":
        return bf_backup(allowed, w, req)[1]
    if model == "pdispersion":
        return bf_pdispersion(cost, p, req)
    return bf_budget(allowed, w, costs, budget, req)


@pytest.mark.parametrize("model,p", REQ_MODELS)
@pytest.mark.parametrize("req", [[0], [2, 5], [1, 4, 6]])
def test_required_every_model(model, p, req):
    cost, w, radius = required_instance(model)
    if p is not None and p < len(req):
        p = len(req)
    costs = np.array([1.0, 1.5] * 4) if model == "budget" else None
    budget = 4.0 if model == "budget" else None
    expected = brute_for(model, cost, w, radius, p, req, costs, budget)
    assert expected is not None
    sol = planner.solve(cost, model=model, p=p, radius=radius, weights=w, required=req, costs=costs, budget=budget)
    assert_required_in(sol, req)
    assert sol.objective == pytest.approx(expected, abs=1e-9)
    if p is not None:
        assert len(sol.selected) == p


def test_required_changes_the_optimum_somewhere():
    """The required tests are not vacuous: forcing sites in costs something for each model."""
    costs = np.array([1.0, 1.5] * 4)
    worse = set()
    for model, p in REQ_MODELS:
        c, ww, radius = required_instance(model)
        for req in ([0], [2, 5], [1, 4, 6]):
            q = max(p, len(req)) if p is not None else None
            free = brute_for(model, c, ww, radius, q, [], costs, 4.0)
            forced = brute_for(model, c, ww, radius, q, req, costs, 4.0)
            if abs(free - forced) > 1e-9:
                worse.add(model)
    assert worse == {model for model, _ in REQ_MODELS}


# --------------------------------------------------------------------------- 7. property test (hypothesis)


def small_instances():
    """Small minute matrices: 2-9 homes, 2-5 sites, weights 0..30."""
    return minute_matrices(homes=(2, 9), sites=(2, 5), max_weight=30)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(small_instances(), st.data())
def test_small_instances_match_brute_force(inst, data):
    cost, w = inst
    n_sites = cost.shape[1]
    allowed = cost <= 5.0
    p = data.draw(st.integers(1, n_sites), label="p")
    for model in ("pmedian", "pcenter"):
        expected = bf_pmedian(cost, w, 5.0, p) if model == "pmedian" else bf_pcenter(cost, 5.0, p)
        if expected is None:
            with pytest.raises(SolverError) as err:
                planner.solve(cost, model=model, p=p, radius=5.0, weights=w)
            assert needed_from(str(err.value)) == bf_cover_min(allowed)
        else:
            sol = planner.solve(cost, model=model, p=p, radius=5.0, weights=w)
            assert sol.objective == pytest.approx(expected, abs=1e-9)
            assert len(sol.selected) == p
    if allowed.any():
        sol = planner.solve(cost, model="backup", radius=5.0, weights=w)
        assert sol.objective == pytest.approx(bf_backup(allowed, w)[1], abs=1e-9)
    costs = np.array(
        data.draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.5]), min_size=n_sites, max_size=n_sites), label="costs")
    )
    budget = data.draw(st.sampled_from([0.0, 1.0, 1.5, 2.5]), label="budget")
    sol = planner.solve(cost, model="budget", radius=5.0, weights=w, costs=costs, budget=budget)
    assert costs[sol.selected].sum() <= budget + 1e-9
    assert sol.objective == pytest.approx(bf_budget(allowed, w, costs, budget), abs=1e-9)


# --------------------------------------------------------------------------- 8. against spopt

SPOPT_SEEDS = [200, 201, 202]


def spopt_tools():
    pulp = pytest.importorskip("pulp")
    locate = pytest.importorskip("spopt.locate")
    return pulp, locate, pulp.PULP_CBC_CMD(msg=False)


def full_instance(seed, n_homes=20, n_sites=8):
    """All-finite continuous minutes (no ties)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 15.0, size=(n_homes, n_sites)), rng.uniform(1.0, 40.0, size=n_homes)


@PULP_DEPRECATIONS
@pytest.mark.parametrize("seed", SPOPT_SEEDS)
def test_pmedian_pcenter_against_spopt(seed):
    pulp, locate, solver = spopt_tools()
    cost, w = full_instance(seed)
    radius = float(cost.max())  # every pair allowed: the classic unconstrained models
    for p in (1, 2, 3):
        ours = planner.solve(cost, model="pmedian", p=p, radius=radius, weights=w)
        ref = locate.PMedian.from_cost_matrix(cost, w, p_facilities=p, name=f"pm_{seed}_{p}").solve(solver)
        assert pulp.LpStatus[ref.problem.status] == "Optimal"
        assert ours.objective == pytest.approx(ref.problem.objective.value(), rel=1e-6)

        ours = planner.solve(cost, model="pcenter", p=p, radius=radius)
        ref = locate.PCenter.from_cost_matrix(cost, p_facilities=p, name=f"pc_{seed}_{p}").solve(solver)
        assert pulp.LpStatus[ref.problem.status] == "Optimal"
        assert ours.objective == pytest.approx(ref.problem.objective.value(), rel=1e-6)


@PULP_DEPRECATIONS
@pytest.mark.parametrize("seed", SPOPT_SEEDS)
def test_pdispersion_against_spopt(seed):
    pulp, locate, solver = spopt_tools()
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 10, size=(10, 2))
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    radius = float(dist.max())
    for p in (2, 3, 4):
        ours = planner.solve(dist, model="pdispersion", p=p, radius=radius)
        ref = locate.PDispersion.from_cost_matrix(dist, p_facilities=p, name=f"pd_{seed}_{p}").solve(solver)
        assert pulp.LpStatus[ref.problem.status] == "Optimal"
        assert ours.objective == pytest.approx(ref.problem.objective.value(), rel=1e-6)
        assert ours.objective == pytest.approx(bf_pdispersion(dist, p), rel=1e-12)


@PULP_DEPRECATIONS
@pytest.mark.parametrize("seed", SPOPT_SEEDS)
def test_backup_against_spopt(seed):
    """spopt's LSCPB maximises the *number* of rows covered twice (unweighted), and needs every
    row coverable; and a row only one candidate reaches has no backup constraint there, so its
    U_i is free and counts 1. Hence: unit weights, every row coverable, and
    spopt objective == ours + (rows exactly one candidate reaches)."""
    pulp, locate, solver = spopt_tools()
    rng = np.random.default_rng(seed)
    radius = 5.0
    cost = rng.uniform(0.0, 12.0, size=(40, 10))
    cost[rng.random(cost.shape) < 0.3] = INF
    for i in np.flatnonzero(~(cost <= radius).any(axis=1)):
        cost[i, rng.integers(10)] = rng.uniform(0.0, radius)
    allowed = cost <= radius
    single = int((allowed.sum(axis=1) == 1).sum())
    finite = np.where(np.isfinite(cost), cost, 1e9)
    ours = planner.solve(cost, model="backup", radius=radius)
    ref = locate.LSCPB.from_cost_matrix(finite, radius, solver=solver, name=f"lscpb_{seed}").solve()
    assert pulp.LpStatus[ref.problem.status] == "Optimal"
    assert ref.lscp_obj_value == pytest.approx(ours.n_stations)
    assert ours.objective + single == pytest.approx(ref.problem.objective.value())
    # and where every row has two candidates, the two agree exactly
    two = allowed.sum(axis=1) >= 2
    ours = planner.solve(cost[two], model="backup", radius=radius)
    ref = locate.LSCPB.from_cost_matrix(finite[two], radius, solver=solver, name=f"lscpb2_{seed}").solve()
    assert ours.objective == pytest.approx(ref.problem.objective.value())
    assert ours.objective < two.sum()  # not everyone is covered twice: a real optimisation


# --------------------------------------------------------------------------- 9. input errors


@pytest.fixture()
def small():
    cost, w = random_minutes(7, 12, 6, p_inf=0.3)
    return cost, w


@pytest.mark.parametrize("model", ["pmedian", "pcenter", "pdispersion"])
def test_needs_p(model):
    dist = random_site_minutes(3, 6)
    with pytest.raises(InputError, match="needs p"):
        planner.solve(dist, model=model, radius=5.0)


def test_pdispersion_needs_square(small):
    cost, _ = small
    with pytest.raises(InputError, match="square"):
        planner.solve(cost, model="pdispersion", p=2, radius=5.0)


def test_pdispersion_needs_p_at_least_two():
    with pytest.raises(InputError, match="p >= 2"):
        planner.solve(random_site_minutes(3, 6), model="pdispersion", p=1, radius=5.0)


@pytest.mark.parametrize("kwargs", [{}, {"budget": 3.0}, {"costs": [1.0] * 6}])
def test_budget_needs_costs_and_budget(small, kwargs):
    cost, _ = small
    with pytest.raises(InputError, match="costs"):
        planner.solve(cost, model="budget", radius=5.0, **kwargs)


@pytest.mark.parametrize("costs", [[1.0] * 5, [1.0] * 5 + [-1.0], [1.0] * 5 + [INF]])
def test_budget_bad_costs(small, costs):
    cost, _ = small
    with pytest.raises(InputError, match="costs"):
        planner.solve(cost, model="budget", radius=5.0, costs=costs, budget=3.0)


@pytest.mark.parametrize(
    "model,p", [("pcenter", 2), ("pmedian", 2), ("backup", None), ("budget", None), ("pdispersion", 2)]
)
def test_capacity_only_for_lscp_mclp(small, model, p):
    cost, _ = small
    matrix = random_site_minutes(3, 6) if model == "pdispersion" else cost
    with pytest.raises(InputError, match="capacity"):
        planner.solve(matrix, model=model, p=p, radius=5.0, capacity=10.0, costs=[1.0] * 6, budget=3.0)
