"""p-center's yes / no decisions ("can p sites cover every home within d?") against scipy's own set-covering MILP.

HiGHS' ``objective_bound`` once answered them: it prunes every node whose bound
reaches the bound, so a cover of exactly p sites was cut off and "no" returned
(the benchmark's 900-node graph: p = 5 reported 14.571 minutes "optimal", the
optimum is 14.348). The decisions now keep the plain objective and stop by
callback at the first cover of p sites or once the bound passes p.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from instances import bench_road
from reference import min_cover

import planner
from planner.optimize.center.model import reduce_by_dominance
from planner.optimize.cover import cover_bound
from planner.optimize.milp import Constraint
from planner.optimize.milp import milp as planner_milp
from planner.optimize.reduce import keep_within, pattern


def _sparse(d: np.ndarray) -> sp.csr_matrix:
    rows, cols = np.nonzero(np.isfinite(d))
    return sp.csr_matrix((d[rows, cols], (rows, cols)), shape=d.shape)


@pytest.fixture(scope="module")
def graph900() -> np.ndarray:
    return bench_road(900)[0]


def test_the_900_node_piece_that_was_answered_no(graph900: np.ndarray) -> None:
    # within 14.423 min, after the reductions: 177 homes x 209 sites; 5 sites do it (scipy), HiGHS with
    # objective_bound = 5 said "Optimal" with 7
    a = reduce_by_dominance(pattern(keep_within(_sparse(graph900), 14.423)), np.zeros(0, np.int64))
    cols = np.flatnonzero(np.diff(sp.csc_matrix(a).indptr) > 0)
    block = sp.csr_matrix(a[:, cols], dtype=float)
    assert block.shape == (177, 209)
    assert min_cover(block.toarray()) == 5
    one = np.ones(block.shape[1])
    x, result = planner_milp(one, one, np.zeros_like(one), one, [Constraint(block, 1.0, np.inf)], None,
                             integral_values=True, stop_at=5.0)
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
        x, result = planner_milp(one, one, np.zeros(n_cols), one, [Constraint(sp.csr_matrix(cover, dtype=float),
                                 1.0, np.inf)], None, integral_values=True, stop_at=float(target))
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
