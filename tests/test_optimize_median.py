"""p-median (planner.optimize.median): exact against enumeration, honest when stopped.

At small p: the Benders master's LP rounds, reduced-cost fixing and vertex substitution
(swap.interchange) stay exact. The branch-and-cut (median/branch_cut.py): exact against
enumeration (tests/reference.py's brute_median), and when stopped it keeps its plan and
a true bound.
"""

from __future__ import annotations

import inspect
import time
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from instances import bench_road, random_minutes
from instances import dense_road as _road
from reference import brute_median as _brute

import planner
from planner.optimize.median import branch_cut as _median_bb
from planner.optimize.median import cuts as median_cuts
from planner.optimize.median import model as median
from planner.optimize.median.swap import interchange
from planner.optimize.milp import Deadline, gap_of


@pytest.mark.parametrize(("seed", "p", "weighted"), [(1, 2, False), (2, 3, True), (3, 3, False)])
def test_benders_path_matches_enumeration(monkeypatch: pytest.MonkeyPatch, seed: int, p: int, weighted: bool) -> None:
    d = _road(28, seed)
    w = np.random.default_rng(seed).integers(1, 9, 28).astype(float) if weighted else np.ones(28)
    monkeypatch.setattr(median, "FULL_MODEL_LEVELS", 0)  # force the Benders path (LP rounds, fixing, swaps)
    sel, status, gap = median.pmedian(sp.csr_matrix(d), w, p, np.zeros(0, np.int64), 60.0)
    assert status == "optimal" and gap == 0.0 and len(sel) == p
    assert float(w @ d[:, sel].min(axis=1)) == pytest.approx(_brute(d, w, p), rel=1e-9)


def test_interchange_reaches_a_swap_local_optimum() -> None:
    d = _road(30, 7)
    w = np.random.default_rng(7).integers(1, 5, 30).astype(float)
    start = np.zeros(30, bool)
    start[[0, 1, 2, 3]] = True
    req = np.array([0])
    plan = interchange(sp.csr_matrix(d), w, start, req, Deadline(30.0))
    cost = float(w @ d[:, plan].min(axis=1))
    assert plan.sum() == 4 and plan[0]  # the required site stays
    assert cost <= float(w @ d[:, start].min(axis=1))
    # no single swap (required site kept) lowers the cost: checked by trying each one
    for out in np.flatnonzero(plan & (np.arange(30) != 0)):
        for into in np.flatnonzero(~plan):
            other = plan.copy()
            other[out], other[into] = False, True
            assert float(w @ d[:, other].min(axis=1)) >= cost - 1e-9


@pytest.mark.slow
def test_bench_900_p5_unit_is_exact_and_fast() -> None:
    d, _ = bench_road(900)
    t = time.perf_counter()
    sol = planner.solve(d, model="pmedian", p=5)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(7223.797, abs=1e-6)  # the objective spopt + CBC proved, as the old code
    assert time.perf_counter() - t < 60.0


# --------------------------------------------------------------------------- the branch-and-cut


@pytest.fixture
def tree_only(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Force the Benders path and start it from a poor plan, so the tree has work to do; collects node counts."""
    nodes: list[int] = []
    real = _median_bb.branch_and_cut

    def counting(*args: Any, **kwargs: Any) -> _median_bb.TreeResult:
        out = real(*args, **kwargs)
        nodes.append(out.nodes)
        return out

    monkeypatch.setattr(median, "FULL_MODEL_LEVELS", 0)
    monkeypatch.setattr(median_cuts, "_restricted", lambda *a, **k: None)
    monkeypatch.setattr(median_cuts, "interchange", lambda m, w, plan, req, deadline: plan)
    monkeypatch.setattr(median_cuts, "locate_allocate", lambda m, w, plan, req: plan)
    monkeypatch.setattr(median_cuts, "branch_and_cut", counting)
    return nodes


@pytest.mark.parametrize("seed", range(8))
def test_tree_matches_enumeration(tree_only: list[int], seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n, p = 24, 2 + seed % 3
    d = _road(n, seed)
    w = rng.integers(1, 20, n).astype(float) if seed % 2 else np.ones(n)
    sel, status, gap = median.pmedian(sp.csr_matrix(d), w, p, np.zeros(0, np.int64), 60.0)
    assert status == "optimal" and gap == 0.0 and len(sel) == p
    assert float(w @ d[:, sel].min(axis=1)) == pytest.approx(_brute(d, w, p), rel=1e-9)


def test_tree_branches_and_stays_exact(tree_only: list[int]) -> None:
    # instances where the relaxation is fractional: the tree must branch (more than the root) and still be exact
    branched = 0
    for seed in range(20, 32):
        d = _road(22, seed)
        w = np.random.default_rng(seed).integers(1, 30, 22).astype(float)
        sel, status, _ = median.pmedian(sp.csr_matrix(d), w, 3, np.zeros(0, np.int64), 60.0)
        assert status == "optimal"
        assert float(w @ d[:, sel].min(axis=1)) == pytest.approx(_brute(d, w, 3), rel=1e-9)
        branched += bool(tree_only) and tree_only[-1] > 1
    assert branched >= 3, f"the tree branched on only {branched} of 12 instances: the test no longer tests it"


def test_tree_keeps_required_sites(tree_only: list[int]) -> None:
    d = _road(22, 5)
    w = np.random.default_rng(5).integers(1, 30, 22).astype(float)
    sel, status, _ = median.pmedian(sp.csr_matrix(d), w, 4, np.array([3, 17]), 60.0)
    assert status == "optimal" and {3, 17} <= set(sel.tolist())
    assert float(w @ d[:, sel].min(axis=1)) == pytest.approx(_brute(d, w, 4, (3, 17)), rel=1e-9)


class _NodeBudget(Deadline):
    """A deadline that expires after ``n`` checks (a deterministic stand-in for the clock inside the tree)."""

    def __init__(self, n: int) -> None:
        super().__init__(None)
        self.n = n

    def expired(self) -> bool:
        self.n -= 1
        return self.n < 0

    def left(self) -> float | None:
        return None if self.n >= 0 else 0.0


def test_tree_stopped_keeps_its_plan_and_a_true_bound(tree_only: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    real = median_cuts.branch_and_cut
    seen: list[_median_bb.TreeResult] = []

    names = list(inspect.signature(_median_bb.branch_and_cut).parameters)  # real: the fixture's counting wrapper

    def stopped(*args: Any, **kwargs: Any) -> _median_bb.TreeResult:
        given = dict(zip(names, args)) | kwargs
        out = real(**(given | {"deadline": _NodeBudget(2)}))
        seen.append(out)
        return out

    monkeypatch.setattr(median_cuts, "branch_and_cut", stopped)
    stopped_early = 0
    for seed in range(20, 32):
        d = _road(22, seed)
        w = np.random.default_rng(seed).integers(1, 30, 22).astype(float)
        best = _brute(d, w, 3)
        before = len(seen)
        sel, status, gap = median.pmedian(sp.csr_matrix(d), w, 3, np.zeros(0, np.int64), 60.0)
        value = float(w @ d[:, sel].min(axis=1))
        assert len(sel) == 3 and value >= best - 1e-9
        if len(seen) == before:  # the relaxation met the plan: no tree
            assert status == "optimal" and value == pytest.approx(best, rel=1e-9)
            continue
        tree = seen[-1]
        assert tree.lower <= best + 1e-9 and tree.upper == pytest.approx(value)
        if status == "optimal":
            assert value == pytest.approx(best, rel=1e-9)
        else:
            stopped_early += 1
            assert status == "time_limit" and 0.0 < gap < 1.0
            assert gap == pytest.approx(gap_of(value, tree.lower))
    assert stopped_early >= 1, "no instance was stopped inside the tree: the test no longer tests it"


@pytest.mark.slow
def test_time_limit_inside_the_tree_is_a_total(tree_only: list[int]) -> None:
    # 300 homes x 30 sites at random minutes (a weak relaxation): started from a poor plan, the tree needs 10-20 s;
    # stopped at 3 s in total, the plan is kept with a finite gap whose bound is not above the optimum, found here by
    # trying every set of 6 sites (tests/reference.py, about 3 s)
    d, w = random_minutes(5, 300, 30, p_inf=0.0, top=100, integer=False)
    optimum = _brute(d, w, 6)
    t = time.perf_counter()
    sol = planner.solve(d, model="pmedian", p=6, weights=w, time_limit=3.0)
    took = time.perf_counter() - t
    # the whole limit is used (HiGHS counts its time_limit over every run of a reused model: it once stopped at 2 s)
    assert 3.0 * 0.8 < took < 3.0 * 1.2
    assert tree_only and tree_only[-1] > 1  # stopped inside the tree, after branching
    assert len(sol.selected) == 6 and sol.objective == pytest.approx(float(w @ d[:, sol.selected].min(axis=1)))
    assert sol.objective >= optimum - 1e-6
    assert sol.status == "time_limit" and 0.0 < sol.gap < 1.0
    assert sol.objective * (1.0 - sol.gap) <= optimum + 1e-6
