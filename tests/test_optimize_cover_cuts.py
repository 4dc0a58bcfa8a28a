"""{0, 1/2}-cuts over triples of rows for p-center's hard set-covering decisions (planner/optimize/cover_cuts.py).

A cut must never remove a cover: checked against every cover of small random
instances (exhaustive) and against scipy's MILP optimum on larger ones; it must
also bite: the LP with the cuts is higher on the instances that have them.
"""

from __future__ import annotations

import itertools

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from planner.optimize.cover_cuts import triangle_cuts
from planner.optimize.milp import Deadline


def _cover(seed: int, n: int, m: int, density: float) -> np.ndarray:
    rng = np.random.default_rng([11, seed])
    a = rng.random((n, m)) < density
    a[np.arange(n), rng.integers(0, m, n)] = True
    return a


def _lp(a: np.ndarray, cuts: sp.csr_matrix) -> float:
    rows = sp.vstack([sp.csr_matrix(a, dtype=float), cuts]) if cuts.shape[0] else sp.csr_matrix(a, dtype=float)
    rhs = np.r_[np.ones(a.shape[0]), np.full(cuts.shape[0], 2.0)]
    return float(linprog(np.ones(a.shape[1]), A_ub=-rows, b_ub=-rhs, bounds=(0, 1), method="highs").fun)


def test_no_cover_is_cut_off_exhaustively() -> None:
    checked = 0
    for seed in range(12):
        a = _cover(seed, 14, 11, 0.3)
        cuts = triangle_cuts(sp.csr_matrix(a), Deadline(None)).toarray()
        if not len(cuts):
            continue
        assert set(np.unique(cuts)) <= {0.0, 1.0, 2.0}
        for k in range(1, a.shape[1] + 1):
            for cols in itertools.combinations(range(a.shape[1]), k):
                x = np.zeros(a.shape[1])
                x[list(cols)] = 1
                if a[:, list(cols)].any(axis=1).all():
                    assert (cuts @ x >= 2 - 1e-9).all()
                    checked += 1
    assert checked > 1000


def test_the_minimum_is_kept_and_the_lp_rises() -> None:
    rose = 0
    for seed in range(6):
        a = _cover(seed, 100, 80, 0.045)
        cuts = triangle_cuts(sp.csr_matrix(a), Deadline(None))
        m = a.shape[1]
        plain = milp(
            np.ones(m),
            integrality=np.ones(m),
            bounds=Bounds(0, 1),
            constraints=LinearConstraint(a.astype(float), 1, np.inf),
        )
        cons = [LinearConstraint(a.astype(float), 1, np.inf)]
        if cuts.shape[0]:
            cons.append(LinearConstraint(cuts.toarray(), 2, np.inf))
        cut = milp(np.ones(m), integrality=np.ones(m), bounds=Bounds(0, 1), constraints=cons)
        assert round(cut.fun) == round(plain.fun)  # the optimum survives
        lp0, lp1 = _lp(a, sp.csr_matrix((0, m))), _lp(a, cuts)
        assert lp1 >= lp0 - 1e-7
        rose += lp1 > lp0 + 1e-3
    assert rose >= 3  # the cuts bite on most of these instances


def test_no_time_no_cuts() -> None:
    a = _cover(0, 120, 90, 0.04)
    assert triangle_cuts(sp.csr_matrix(a), Deadline(0.0)).shape == (0, 90)


def test_pcenter_proves_its_last_no_with_the_cuts_and_stays_exact(monkeypatch) -> None:
    import pytest
    from instances import road_minutes
    from reference import min_cover

    import planner
    import planner.optimize.cover as cover

    calls = []
    real = cover.triangle_cuts

    def spy(block, deadline):
        out = real(block, deadline)
        calls.append(out.shape[0])
        return out

    monkeypatch.setattr(cover, "triangle_cuts", spy)
    d = road_minutes(200, 3)
    sol = planner.solve(d, model="pcenter", p=20)
    assert sol.status == "optimal" and calls  # the unboxed decisions went through the cuts
    r = sol.objective
    assert d[:, sol.selected].min(axis=1).max() == pytest.approx(r)
    assert min_cover((d <= np.unique(d[d < r]).max()).astype(int)) > 20 >= min_cover((d <= r).astype(int))
