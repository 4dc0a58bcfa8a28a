"""The swap search that gives p-center's decisions a quick "yes" (planner/optimize/cover_search.py).

Its covers are checked here independently of its own check; its reach is measured
against scipy's set-covering MILP (a search that never found a cover would still
leave p-center exact, only slow, so the test asks that it finds them).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from instances import road_minutes
from reference import min_cover

import planner
import planner.optimize.center.model as center
from planner.optimize import cover_search as _cover_search
from planner.optimize.cover_search import find_cover
from planner.optimize.milp import Deadline


def _covers(a: np.ndarray, cols: np.ndarray) -> bool:
    return bool(a[:, cols].any(axis=1).all())


def _random_cover(seed: int) -> np.ndarray:
    rng = np.random.default_rng([5, seed])
    a = rng.random((40, 25)) < 0.12
    a[np.arange(40), rng.integers(0, 25, 40)] = True  # every row reachable
    return a


def test_it_finds_minimum_covers_of_random_instances() -> None:
    found = 0
    for seed in range(30):
        a = _random_cover(seed)
        k = min_cover(a.astype(int))
        cols = find_cover(sp.csr_matrix(a), np.zeros(0, np.int64), k)
        if cols is not None:
            assert len(cols) <= k and _covers(a, cols)
            found += 1
        assert find_cover(sp.csr_matrix(a), np.zeros(0, np.int64), k - 1) is None  # none exists: never a "yes"
    assert found >= 27, found  # a heuristic, but one that reaches the minimum on nearly every instance


def test_a_start_that_covers_is_kept_and_extra_sites_are_dropped() -> None:
    a = _random_cover(3)
    k = min_cover(a.astype(int))
    cols = find_cover(sp.csr_matrix(a), np.arange(25), 25)
    assert cols is not None and _covers(a, cols) and len(cols) <= 25
    start = find_cover(sp.csr_matrix(a), np.zeros(0, np.int64), k + 2)
    assert start is not None
    again = find_cover(sp.csr_matrix(a), start, k + 2)
    assert again is not None and set(again) <= set(start)  # it covers already: nothing swapped


def test_edge_cases_say_no_or_nothing_needed() -> None:
    a = np.array([[True, False], [False, False]])
    assert find_cover(sp.csr_matrix(a), np.zeros(0, np.int64), 2) is None  # a row no site reaches
    assert find_cover(sp.csr_matrix(np.eye(3, dtype=bool)), np.zeros(0, np.int64), 0) is None
    empty = find_cover(sp.csr_matrix((0, 4), dtype=bool), np.zeros(0, np.int64), 1)
    assert empty is not None and len(empty) == 0


@pytest.mark.parametrize("p", [5, 20])
def test_pcenter_takes_its_yes_answers_and_stays_exact(monkeypatch, p: int) -> None:
    answers = []
    real = center.find_cover

    def spy(a, start, k, deadline=None):
        out = real(a, start, k, deadline)
        answers.append(out is not None)
        return out

    monkeypatch.setattr(center, "find_cover", spy)
    d = road_minutes(200, 2)
    sol = planner.solve(d, model="pcenter", p=p)
    assert sol.status == "optimal" and any(answers)
    r = sol.objective
    assert d[:, sol.selected].min(axis=1).max() == pytest.approx(r)
    below = np.unique(d[d < r]).max()
    assert min_cover((d <= below).astype(int)) > p  # the next shorter walk cannot be done by p sites
    assert min_cover((d <= r).astype(int)) <= p


def test_a_time_limit_is_kept() -> None:
    a = sp.csr_matrix(_random_cover(1))
    k = min_cover(a.toarray().astype(int))
    assert find_cover(a, np.zeros(0, np.int64), k, Deadline(None)) is not None
    assert find_cover(a, np.zeros(0, np.int64), k, Deadline(0.0)) is None  # expired before the first run


def test_under_a_short_limit_the_first_use_does_not_compile(monkeypatch) -> None:
    calls = []
    real = _cover_search._search

    class NotLoaded:
        signatures = ()  # numba's compiled signatures: none yet

        def __call__(self, *args):
            calls.append(args)
            return real(*args)

    monkeypatch.setattr(_cover_search, "_search", NotLoaded())
    a = sp.csr_matrix(_random_cover(2))
    k = min_cover(a.toarray().astype(int))
    assert find_cover(a, np.zeros(0, np.int64), k, Deadline(1.0)) is None and not calls  # 1 s < the load allowance
    assert find_cover(a, np.zeros(0, np.int64), k, Deadline(60.0)) is not None and calls
