"""The one entry point: :func:`solve` validates a :class:`Problem`, runs a model and makes the :class:`Solution`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner.config import check_positive
from planner.errors import InputError
from planner.optimize.capacity import capacitated
from planner.optimize.center.model import pcenter
from planner.optimize.cover import Executor, backup, lscp
from planner.optimize.dispersion import pdispersion
from planner.optimize.maxcover import budget_cover, mclp
from planner.optimize.median.model import assign_nearest, pmedian
from planner.optimize.milp import Deadline
from planner.optimize.partial import check_share, pscp
from planner.optimize.problem import MODEL_SPECS, Problem, check_model, check_p
from planner.optimize.results import BackupResult, DispersionResult, ModelResult, Solution
from planner.reach.matrix import Coverage

__all__ = ["Options", "make_solution", "solve"]


#: the share of ``time_limit`` the search may use; the rest is kept for assembling the answer after the last
#: inner solve (a 0.5 s limit ran 0.603 s on a loaded machine when the search had all of it)
SEARCH_SHARE = 0.95


@dataclass(frozen=True)
class Options:
    """A model's settings, validated: ``p``, capacity / split, costs / budget, share, the one deadline, executor."""

    p: int | None
    capacity: float | None
    split: bool
    costs: np.ndarray | None
    budget: float | None
    share: float | None
    deadline: Deadline
    executor: Executor | None


Outcome = tuple[np.ndarray, str, float, ModelResult, "np.ndarray | None"]


def _lscp(prob: Problem, o: Options) -> Outcome:
    return (*lscp(prob.cover, prob.required, o.deadline, executor=o.executor), None)


def _mclp(prob: Problem, o: Options) -> Outcome:
    return (*mclp(prob.cover, prob.weights, o.p, prob.required, o.deadline.left()), None)


def _capacitated(prob: Problem, o: Options, p: int | None) -> Outcome:
    assert o.capacity is not None
    selected, status, gap, share, figures = capacitated(
        prob.minutes, prob.weights, prob.required, p=p, capacity=o.capacity, split=o.split, time_limit=o.deadline
    )
    return selected, status, gap, figures, share


def _budget(prob: Problem, o: Options) -> Outcome:
    assert o.costs is not None
    assert o.budget is not None
    return (*budget_cover(prob.cover, prob.weights, prob.required, o.deadline.left(), o.costs, o.budget), None)


def _pscp(prob: Problem, o: Options) -> Outcome:
    assert o.share is not None
    return (*pscp(prob.cover, prob.weights, o.share, prob.required, o.deadline), None)


def _pmedian(prob: Problem, o: Options) -> Outcome:
    assert o.p is not None
    selected, status, gap = pmedian(prob.minutes, prob.weights, o.p, prob.required, o.deadline)
    return selected, status, gap, assign_nearest(prob.minutes, prob.weights, selected), None


def _pcenter(prob: Problem, o: Options) -> Outcome:
    assert o.p is not None
    selected, _, status, gap = pcenter(prob.minutes, prob.weights, o.p, prob.required, o.deadline)
    return selected, status, gap, assign_nearest(prob.minutes, prob.weights, selected), None


def _backup(prob: Problem, o: Options) -> Outcome:
    """The lscp count, then the most population covered twice; the gap is in stations until lscp is proven."""
    selected, status, gap, stats = lscp(prob.cover, prob.required, o.deadline)
    selected, status2, gap2, twice = backup(prob.cover, prob.weights, selected, prob.required, o.deadline)
    if status == "optimal" and status2 != "optimal":
        status, gap = status2, gap2
    return selected, status, gap, BackupResult(population_covered_twice=twice, cover=stats), None


def _pdispersion(prob: Problem, o: Options) -> Outcome:
    assert o.p is not None
    selected, spread, status, gap = pdispersion(prob.minutes, o.p, prob.required, o.deadline)
    return selected, status, gap, DispersionResult(smallest_gap_minutes=spread), None


_MODELS: dict[str, Callable[[Problem, Options], Outcome]] = {
    "lscp": _lscp,
    "mclp": _mclp,
    "pscp": _pscp,
    "budget": _budget,
    "pmedian": _pmedian,
    "pcenter": _pcenter,
    "backup": _backup,
    "pdispersion": _pdispersion,
}


def _objective(model: str, selected: np.ndarray, covered_population: float, result: ModelResult) -> float:
    key = "stations" if model == "tiers" else MODEL_SPECS[model].objective
    if key == "stations":
        return float(len(selected))
    if key == "population_covered":
        return covered_population
    return float(getattr(result, key))


def make_solution(
    model: str,
    prob: Problem,
    selected: np.ndarray,
    status: str,
    gap: float,
    result: ModelResult,
    started: float,
    *,
    p: int | None = None,
    share: np.ndarray | None = None,
    cover: Any = None,
) -> Solution:
    """
    The :class:`Solution` of a solved model (the one place one is made).

    ``share``: per demand row, the share served (capacitated models); ``cover``: the
    covered pairs to count coverage with (default: the problem's). pdispersion's
    rows are sites, not homes: it covers nobody, its population figures are 0 and
    its ``covered_share`` NaN (not applicable).
    """
    w = prob.weights
    n_rows = prob.shape[0]
    selected = np.asarray(selected, dtype=np.int64)
    if share is not None:
        covered = share > 1 - 1e-6
        population_covered = float((w * np.minimum(share, 1.0)).sum())
    else:
        a = prob.cover if cover is None else cover
        covered = np.asarray(a[:, selected].sum(axis=1)).ravel() > 0 if len(selected) else np.zeros(n_rows, bool)
        population_covered = float(w[covered].sum())
    total = float(w.sum())
    reach = prob.reach
    coverable = float(w[reach].sum())
    uncoverable = np.flatnonzero(~reach)
    square = model != "tiers" and MODEL_SPECS[model].square  # rows are sites: it covers nobody
    if square:
        covered, uncoverable = np.zeros(n_rows, bool), np.zeros(0, np.int64)
        total = coverable = population_covered = 0.0
    return Solution(
        model=model,
        selected=selected,
        objective=_objective(model, selected, population_covered, result),
        covered_share=float("nan") if square else population_covered / total if total > 0 else 0.0,
        status=status,
        gap=gap,
        population_total=total,
        population_coverable=coverable,
        population_covered=population_covered,
        covered=covered,
        uncoverable=uncoverable,
        p=p,
        seconds=time.perf_counter() - started,
        result=result,
    )


def _options(
    model: str,
    prob: Problem,
    p: Any,
    capacity: Any,
    split: bool,
    costs: Any,
    budget: Any,
    share: Any,
    deadline: Deadline,
    executor: Executor | None,
) -> Options:
    n_rows, n_sites = prob.shape
    spec = MODEL_SPECS[model]
    p = check_p(model, p, n_sites, len(prob.required))
    if capacity is not None:
        capacity = check_positive("capacity", capacity)
        if not spec.capacity:
            with_capacity = " and ".join(name for name, s in MODEL_SPECS.items() if s.capacity)
            raise InputError(f"capacity applies to {with_capacity}, not {model!r}")
    if spec.needs_costs:
        costs, budget = _check_budget(costs, budget, n_sites, prob.required)
    if spec.square and n_rows != n_sites:
        raise InputError(f"{model} needs a square sites x sites matrix; got {n_rows} x {n_sites}")
    if spec.needs_share:
        w = prob.weights
        share = check_share(share, float(w.sum()), float(w[prob.reach].sum()))
    return Options(p, capacity, bool(split), costs, budget, share, deadline, executor)


def _check_budget(costs: Any, budget: Any, n_sites: int, req: np.ndarray) -> tuple[np.ndarray, float]:
    if costs is None or budget is None:
        raise InputError("model='budget' needs costs (one per site) and budget")
    costs = np.asarray(costs, dtype=float)
    if costs.shape != (n_sites,) or not np.all(np.isfinite(costs)) or (costs < 0).any():
        raise InputError(f"costs: expected {n_sites} finite, non-negative numbers (one per site)")
    budget = float(budget)
    if not np.isfinite(budget) or budget < 0:
        raise InputError(f"budget={budget!r}: expected a non-negative number")
    if costs[req].sum() > budget + 1e-9:
        raise InputError(f"budget={budget:g}: less than the existing stations cost ({costs[req].sum():g})")
    return costs, budget


def solve(
    coverage_or_cost: Any,
    *,
    model: str = "lscp",
    p: int | None = None,
    radius: float | None = None,
    weights: Any = None,
    required: Any = None,
    capacity: float | None = None,
    split: bool = True,
    costs: Any = None,
    budget: float | None = None,
    share: float | None = None,
    time_limit: float | None = None,
    executor: Executor | None = None,
) -> Solution:
    """
    Choose sites by an exact location model.

    Parameters
    ----------
    coverage_or_cost
        A :class:`planner.reach.matrix.Coverage`; a scipy sparse matrix (demand x
        sites) whose stored entries are minutes (absent: unreachable); a dense
        array of minutes (``inf`` / ``nan``: unreachable); or a
        :class:`planner.optimize.Problem`. A pair is covered when its minutes are
        ``<= radius`` (inclusive). For ``pdispersion``: a square sites x sites matrix.
    model
        One of ``lscp``, ``mclp``, ``pscp``, ``pmedian``, ``backup``, ``pcenter``,
        ``pdispersion``, ``budget`` (see :mod:`planner.optimize`).
    p
        Number of stations for ``mclp``, ``pmedian``, ``pcenter``, ``pdispersion``
        (required sites included).
    radius
        Limit in minutes (inclusive). Defaults to the coverage's longest; for a
        matrix, required by the covering models (lscp, mclp, pscp, backup, budget and the
        capacitated forms), while for pmedian / pcenter ``None`` means every finite
        entry counts. pdispersion ignores it: its distance between two sites is the
        shorter of the two stored walks, and sites with none are infinitely far apart.
    weights
        Population per demand row (default: the coverage's population, else 1).
    required
        Column indices of sites that must be chosen (existing stations).
    capacity, split
        Capacitated ``lscp`` / ``mclp``: at most ``capacity`` residents per station;
        ``split=False`` keeps each home with one station.
    costs, budget
        ``budget`` model: cost per site and the total allowed.
    share
        ``pscp`` model: the fraction of all residents (homes no candidate reaches
        included) the fewest stations must cover, in (0, 1]; more than the
        candidates can reach is refused, naming the most they can.
    time_limit
        Seconds for the whole call (every inner solve and search step shares
        95 % of it; the rest is kept for assembling the answer).
        On expiry the best plan found is returned with status ``"time_limit"`` and
        its gap, ``|value - bound| / max(|value|, |bound|)`` against the best proven
        bound on the optimum (always finite, in [0, 1]). A model is only declared
        impossible when that is proven.
    executor
        Where lscp's independent pieces are solved (for example
        :class:`planner.distributed.DaskExecutor`); each task gets the time left
        when the pieces are handed out. Other models couple their pieces and are
        solved here.

    Returns
    -------
    Solution

    Raises
    ------
    InputError
        Unknown model, missing or impossible ``p``, bad radius, weights, costs.
    SolverError
        If HiGHS returns no solution, or the model is infeasible (the message says why).
    """
    started = time.perf_counter()
    limit = None if time_limit is None else check_positive("time_limit", time_limit)
    deadline = Deadline(None if limit is None else limit * SEARCH_SHARE)
    check_model(model, p, share=share)
    spec = MODEL_SPECS[model]
    if radius is None and spec.needs_radius and not isinstance(coverage_or_cost, (Coverage, Problem)):
        unlimited = ", ".join(name for name, s in MODEL_SPECS.items() if not s.needs_radius)
        raise InputError(
            f"radius=None: model {model!r} counts the homes within a radius; give radius (minutes) "
            f"(only {unlimited} use every finite entry without one)"
        )
    if spec.square and not isinstance(coverage_or_cost, (Coverage, Problem)):
        radius = None  # its distance is the real walk between sites: the radius caps nothing
    prob = Problem.build(
        coverage_or_cost, radius=radius, weights=weights, required=required, unlimited=not spec.needs_radius
    )
    o = _options(model, prob, p, capacity, split, costs, budget, share, deadline, executor)
    if o.capacity is not None:
        outcome = _capacitated(prob, o, o.p if model == "mclp" else None)
    else:
        outcome = _MODELS[model](prob, o)
    selected, status, gap, result, served = outcome
    return make_solution(model, prob, selected, status, gap, result, started, p=o.p, share=served)
