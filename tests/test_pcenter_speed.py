"""Issue 17, p-center with many stations: the bracket-tightening heuristics and the end-game probe stay exact.

Every optimum is checked against an independent path: a binary search over the
distinct minutes whose decisions are scipy's own set-covering MILP (no planner code).
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.sparse as sp
from instances import road_minutes as road
from reference import min_cover

import planner
from planner.optimize.center.search import fill_to_p, swap_descent
from planner.optimize.milp import Deadline


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
    d = road(n, seed)
    sol = planner.solve(d, model="pcenter", p=p)
    assert sol.status == "optimal" and len(sol.selected) == p
    assert sol.objective == pytest.approx(reference_radius(d, p, np.zeros(0, int)), abs=1e-12)
    assert d[:, sol.selected].min(axis=1).max() == pytest.approx(sol.objective, abs=1e-12)


def test_pcenter_with_required_sites_matches_the_independent_search():
    d = road(50, 4)
    required = [0, 7]
    sol = planner.solve(d, model="pcenter", p=9, required=required)
    assert sol.status == "optimal" and set(required) <= set(sol.selected.tolist()) and len(sol.selected) == 9
    assert sol.objective == pytest.approx(reference_radius(d, 9, np.array(required)), abs=1e-12)


def longest(d: np.ndarray, chosen: np.ndarray) -> float:
    return float(d[:, chosen].min(axis=1).max())


def test_fill_to_p_reaches_p_and_each_step_shortens_or_keeps_the_longest_walk():
    d = road(60, 5)
    m = sp.csr_matrix(np.ones_like(d))
    m.data = d.ravel().copy()  # every pair stored, the diagonal's 0 minutes too
    csc = sp.csc_matrix(m)
    start = np.zeros(60, bool)
    start[[3, 30]] = True
    filled = fill_to_p(m, csc, start, 10)
    assert filled.sum() == 10 and filled[[3, 30]].all() and start.sum() == 2
    assert longest(d, filled) < longest(d, start)


def test_swap_descent_never_lengthens_keeps_p_and_the_required():
    d = road(60, 6)
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
    d = road(500, 7)
    t = time.perf_counter()
    sol = planner.solve(d, model="pcenter", p=50)
    seconds = time.perf_counter() - t
    assert sol.status == "optimal"
    assert d[:, sol.selected].min(axis=1).max() == pytest.approx(sol.objective, abs=1e-12)
    assert seconds < 60


@pytest.mark.parametrize("seed", range(4))
def test_dominance_keeps_the_minimum_cover_and_shrinks(seed):
    from planner.optimize.center.model import reduce_by_dominance

    d = road(50, 10 + seed)
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
