"""p-center's upper-bound heuristics (relocation to 1-centers, improve) and its time-boxed search.

The heuristics are checked against brute force on small matrices; the search is
forced through its "probe gave up in its time box" path and must still prove the
optimum that scipy's own set-covering MILP confirms.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from instances import road_minutes, to_csr
from reference import min_cover

import planner
import planner.optimize.center.model as center
from planner.optimize.center.search import improve, relocate
from planner.optimize.heuristics import nearest_cost
from planner.optimize.milp import Deadline


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
