"""p-center (planner.optimize.center): the exact search, its heuristics and its yes / no decisions.

Every optimum is checked against an independent path: a binary search over the distinct
minutes whose decisions are scipy's own set-covering MILP (tests/reference.py, no planner
code). The upper-bound heuristics (fill to p, swap descent, relocation to 1-centers,
improve) are checked against brute force on small matrices; the search is forced through
its "probe gave up in its time box" path and must still prove the optimum.

The decisions ("can p sites cover every home within d?") against scipy's MILP: HiGHS'
``objective_bound`` once answered them: it prunes every node whose bound reaches the
bound, so a cover of exactly p sites was cut off and "no" returned (the benchmark's
900-node graph: p = 5 reported 14.571 minutes "optimal", the optimum is 14.348). The
decisions now keep the plain objective and stop by callback at the first cover of p sites
or once the bound passes p.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.sparse as sp
from instances import bench_road, road_minutes, to_csr
from reference import min_cover

import planner
import planner.optimize.center.model as center
from planner.optimize.center.model import reduce_by_dominance
from planner.optimize.center.search import fill_to_p, improve, relocate, swap_descent
from planner.optimize.cover import cover_bound
from planner.optimize.heuristics import nearest_cost
from planner.optimize.milp import Constraint, Deadline
from planner.optimize.milp import milp as planner_milp
from planner.optimize.reduce import keep_within, pattern


def reference_radius(d: np.ndarray, p: int, fixed: np.ndarray) -> float:
    """The least longest walk: the smallest distinct minute whose minimum cover needs at most ``p`` sites."""
    values = np.unique(d)
    lo, hi = 0, len(values) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if min_cover(d <= values[mid], fixed) <= p:
            hi = mid
        else:
            lo = mid + 1
    return float(values[lo])


@pytest.mark.parametrize("n,p,seed", [(40, 8, 0), (50, 10, 1), (60, 12, 2), (45, 4, 3)])
def test_pcenter_matches_an_independent_cover_search(n, p, seed):
    d = road_minutes(n, seed)
    sol = planner.solve(d, model="pcenter", p=p)
    assert sol.status == "optimal" and len(sol.selected) == p
    assert sol.objective == pytest.approx(reference_radius(d, p, np.zeros(0, int)), abs=1e-12)
    assert d[:, sol.selected].min(axis=1).max() == pytest.approx(sol.objective, abs=1e-12)


def test_pcenter_with_required_sites_matches_the_independent_search():
    d = road_minutes(50, 4)
    required = [0, 7]
    sol = planner.solve(d, model="pcenter", p=9, required=required)
    assert sol.status == "optimal" and set(required) <= set(sol.selected.tolist()) and len(sol.selected) == 9
    assert sol.objective == pytest.approx(reference_radius(d, 9, np.array(required)), abs=1e-12)


def longest(d: np.ndarray, chosen: np.ndarray) -> float:
    return float(d[:, chosen].min(axis=1).max())


def test_fill_to_p_reaches_p_and_each_step_shortens_or_keeps_the_longest_walk():
    d = road_minutes(60, 5)
    m = sp.csr_matrix(np.ones_like(d))
    m.data = d.ravel().copy()  # every pair stored, the diagonal's 0 minutes too
    csc = sp.csc_matrix(m)
    start = np.zeros(60, bool)
    start[[3, 30]] = True
    filled = fill_to_p(m, csc, start, 10)
    assert filled.sum() == 10 and filled[[3, 30]].all() and start.sum() == 2
    assert longest(d, filled) < longest(d, start)


def test_swap_descent_never_lengthens_keeps_p_and_the_required():
    d = road_minutes(60, 6)
    m = sp.csr_matrix(np.ones_like(d))
    m.data = d.ravel().copy()
    csc = sp.csc_matrix(m)
    rng = np.random.default_rng(0)
    for _ in range(5):
        chosen = np.zeros(60, bool)
        chosen[rng.choice(60, 8, replace=False)] = True
        fixed = np.zeros(60, bool)
        fixed[np.flatnonzero(chosen)[0]] = True
        out = swap_descent(m, csc, chosen, fixed, Deadline(None))
        assert out.sum() == 8 and out[fixed].all()
        assert longest(d, out) <= longest(d, chosen)
    # a plan with every site in the worst corner improves
    corner = np.zeros(60, bool)
    corner[np.argsort(d[0])[:8]] = True
    assert longest(d, swap_descent(m, csc, corner, np.zeros(60, bool), Deadline(None))) < longest(d, corner)


@pytest.mark.slow
def test_pcenter_500_nodes_p50_is_exact_and_quick():
    """The benchmark's 500-node graph shape at p = 50: 16.4 s before the bracket heuristics, about 7 s after."""
    d = road_minutes(500, 7)
    t = time.perf_counter()
    sol = planner.solve(d, model="pcenter", p=50)
    seconds = time.perf_counter() - t
    assert sol.status == "optimal"
    assert d[:, sol.selected].min(axis=1).max() == pytest.approx(sol.objective, abs=1e-12)
    assert seconds < 60


@pytest.mark.parametrize("seed", range(4))
def test_dominance_keeps_the_minimum_cover_and_shrinks(seed):
    from planner.optimize.center.model import reduce_by_dominance

    d = road_minutes(50, 10 + seed)
    r = float(np.quantile(d, 0.03))
    a = sp.csr_matrix(d <= r)
    req = np.array([seed, 20 + seed])
    small = reduce_by_dominance(a, req).toarray()
    assert small.shape[0] < a.shape[0] and small.shape[1] == a.shape[1]
    # its cover (the required sites added) covers every row of the original
    fixed = np.zeros(50, bool)
    fixed[req] = True
    kept = min_cover(np.vstack([small, fixed[None, :]]), req)
    assert kept == min_cover(a.toarray(), req)


# --------------------------------------------------------------------------- heuristics and the time-boxed search


def _one_center(d: np.ndarray, rows: np.ndarray) -> float:
    return float(d[rows].max(axis=0).min())


@pytest.mark.parametrize("seed", range(8))
def test_relocation_moves_each_site_to_the_one_center_of_its_homes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    d = road_minutes(40, seed)[:, rng.permutation(40)[:25]]
    chosen = np.zeros(25, bool)
    chosen[rng.choice(25, 4, replace=False)] = True
    fixed = np.zeros(25, bool)
    fixed[np.flatnonzero(chosen)[0]] = seed % 2 == 1  # odd seeds: one site may not move
    moved = relocate(to_csr(d), chosen, fixed)
    assert moved.sum() <= chosen.sum() and (moved[fixed & chosen]).all()
    sites = np.flatnonzero(chosen)
    owner = sites[np.argmin(d[:, sites], axis=1)]  # ties: lowest index, as relocate
    for j in sites[~fixed[sites]]:
        rows = np.flatnonzero(owner == j)
        if len(rows) == 0:
            continue
        # some moved site is a 1-center of j's homes: no site does better for them
        best = _one_center(d, rows)
        assert any(d[rows, k].max() == best for k in np.flatnonzero(moved)), (j, best)
    # never worse for the plan as a whole
    assert d[:, moved].min(axis=1).max() <= d[:, chosen].min(axis=1).max() + 1e-12


@pytest.mark.parametrize("seed", range(6))
def test_improve_keeps_p_sites_and_never_lengthens_the_longest_walk(seed: int) -> None:
    d = road_minutes(60, seed)
    m = to_csr(d)
    rng = np.random.default_rng(seed)
    chosen = np.zeros(60, bool)
    chosen[rng.choice(60, 3, replace=False)] = True
    fixed = np.zeros(60, bool)
    out, longest = improve(m, sp.csc_matrix(m), chosen, fixed, 5, Deadline(None))
    assert out.sum() == 5
    assert nearest_cost(m, out).max() == longest <= nearest_cost(m, chosen).max()


@pytest.mark.parametrize(("n", "p", "seed"), [(150, 5, 0), (200, 8, 1), (120, 12, 2)])
def test_search_that_gives_up_every_time_box_still_proves_the_optimum(monkeypatch, n: int, p: int, seed: int) -> None:
    d = road_minutes(n, seed)
    expected = planner.solve(d, model="pcenter", p=p)
    monkeypatch.setattr(center, "_BOX_CHECKS", 0)  # every bisection probe gives up at once: the top-down path
    monkeypatch.setattr(center, "_PROBE_GAP", 0)
    sol = planner.solve(d, model="pcenter", p=p)
    assert sol.status == "optimal" and sol.objective == expected.objective == d[:, sol.selected].min(axis=1).max()
    values = np.unique(d)
    below = values[np.searchsorted(values, sol.objective) - 1]
    assert min_cover(d <= below) > p  # scipy alone: no p sites do better
    assert min_cover(d <= sol.objective) <= p


def test_the_same_matrix_gives_the_same_plan_every_time() -> None:
    # the probes are boxed in HiGHS' work, not seconds: the search, hence the plan, does not depend on the load
    d = road_minutes(300, 4)
    plans = {tuple(planner.solve(d, model="pcenter", p=p).selected) for p in (30,) for _ in range(3)}
    assert len(plans) == 1


def test_a_probe_boxed_in_work_gives_up_and_says_so(monkeypatch) -> None:
    seen = []
    real = center._can_cover

    def spy(m, d, p, req, deadline, work=None, start=None):
        out = real(m, d, p, req, deadline, work, start)
        seen.append((work, out[0]))
        return out

    monkeypatch.setattr(center, "_can_cover", spy)
    monkeypatch.setattr(center, "_BOX_CHECKS", 0)
    d = road_minutes(300, 4)
    sol = planner.solve(d, model="pcenter", p=30)
    assert sol.status == "optimal"
    assert any(work == 0 and ok is None for work, ok in seen)  # boxed probes gave up ...
    assert seen[-1][0] is None and seen[-1][1] is False  # ... and the last, unboxed, said no


# --------------------------------------------------------------------------- the yes / no decisions


@pytest.fixture(scope="module")
def graph900() -> np.ndarray:
    return bench_road(900)[0]


def test_the_900_node_piece_that_was_answered_no(graph900: np.ndarray) -> None:
    # within 14.423 min, after the reductions: 177 homes x 209 sites; 5 sites do it (scipy), HiGHS with
    # objective_bound = 5 said "Optimal" with 7
    a = reduce_by_dominance(pattern(keep_within(to_csr(graph900), 14.423)), np.zeros(0, np.int64))
    cols = np.flatnonzero(np.diff(sp.csc_matrix(a).indptr) > 0)
    block = sp.csr_matrix(a[:, cols], dtype=float)
    assert block.shape == (177, 209)
    assert min_cover(block.toarray()) == 5
    one = np.ones(block.shape[1])
    x, result = planner_milp(
        one, one, np.zeros_like(one), one, [Constraint(block, 1.0, np.inf)], None, integral_values=True, stop_at=5.0
    )
    assert x is not None and result.status in (0, 3) and (x > 0.5).sum() == 5
    assert (block @ (x > 0.5)).min() >= 1
    sel, status, _, _ = cover_bound(a, np.zeros(0, np.int64), None, target=5)
    assert len(sel) <= 5 and status in ("optimal", "stopped")


@pytest.mark.parametrize("seed", range(12))
def test_stop_at_answers_agree_with_the_minimum_cover(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_rows, n_cols = int(rng.integers(30, 80)), int(rng.integers(20, 60))
    cover = rng.random((n_rows, n_cols)) < rng.uniform(0.05, 0.15)
    cover[np.arange(n_rows), rng.integers(0, n_cols, n_rows)] = True  # every row coverable
    best = min_cover(cover)
    one = np.ones(n_cols)
    for target in (best - 1, best, best + 1):
        x, result = planner_milp(
            one,
            one,
            np.zeros(n_cols),
            one,
            [Constraint(sp.csr_matrix(cover, dtype=float), 1.0, np.inf)],
            None,
            integral_values=True,
            stop_at=float(target),
        )
        if target >= best:
            assert x is not None and (x > 0.5).sum() <= target and (cover[:, x > 0.5].any(axis=1)).all()
        else:
            assert x is None and result.status == 2


@pytest.mark.slow
@pytest.mark.parametrize(("p", "radius"), [(5, 14.348), (10, 9.69)])
def test_900_node_pcenter_optimum_checked_by_scipy(graph900: np.ndarray, p: int, radius: float) -> None:
    sol = planner.solve(graph900, model="pcenter", p=p)
    assert sol.status == "optimal" and sol.objective == pytest.approx(radius, abs=1e-12)
    assert graph900[:, sol.selected].min(axis=1).max() == pytest.approx(radius, abs=1e-12)
    below = float(np.unique(graph900)[np.searchsorted(np.unique(graph900), radius) - 1])
    assert min_cover(graph900 <= below) > p  # no p sites do any better (scipy alone)
