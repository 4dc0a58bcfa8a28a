"""One validated problem for every model: the minutes within the radius, weights, required sites."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from planner.config import check_positive
from planner.errors import InputError
from planner.optimize.reduce import keep_within, pattern, shortest_entries
from planner.reach.matrix import Coverage

__all__ = ["MODELS", "MODEL_SPECS", "NEEDS_P", "ModelSpec", "Problem", "check_model", "check_p", "check_share_value"]


@dataclass(frozen=True)
class ModelSpec:
    """
    What a model needs and what it optimises: the one record the checks, the solver and the CLI read.

    Attributes
    ----------
    name
        The model's name (``--model``).
    objective
        The figure it optimises, as :attr:`planner.Solution.objective` holds it (``stations``: their number).
    needs_p
        It takes ``p``, the number of stations.
    needs_radius
        It counts the homes within a radius (a cost matrix needs ``radius``); ``False``: every finite walk counts.
    capacity
        It takes ``capacity`` (the most residents one station serves).
    needs_share
        It takes ``share``, the fraction of residents to cover.
    needs_costs
        It takes a cost per site and a ``budget``.
    square
        Its matrix is sites x sites (the walks between sites), not homes x sites.
    """

    name: str
    objective: str
    needs_p: bool = False
    needs_radius: bool = True
    capacity: bool = False
    needs_share: bool = False
    needs_costs: bool = False
    square: bool = False

    @property
    def from_cost_matrix(self) -> bool:
        """It can be solved from a homes x sites cost matrix alone (``planner optimize``)."""
        return not (self.square or self.needs_costs)


#: every model, by name (the order of ``--help``)
MODEL_SPECS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("lscp", "stations", capacity=True),
        ModelSpec("mclp", "population_covered", needs_p=True, capacity=True),
        ModelSpec("pscp", "stations", needs_share=True),
        ModelSpec("pmedian", "weighted_minutes", needs_p=True, needs_radius=False),
        ModelSpec("backup", "population_covered_twice"),
        ModelSpec("pcenter", "longest_walk", needs_p=True, needs_radius=False),
        ModelSpec("pdispersion", "smallest_gap_minutes", needs_p=True, needs_radius=False, square=True),
        ModelSpec("budget", "population_covered", needs_costs=True),
    )
}
MODELS = tuple(MODEL_SPECS)
NEEDS_P = tuple(name for name, spec in MODEL_SPECS.items() if spec.needs_p)


def check_share_value(share: Any) -> float:
    """``share`` of ``pscp`` as a fraction in (0, 1] (one clear line otherwise)."""
    if share is None:
        raise InputError("model='pscp' needs share, the fraction of residents to cover (for example --share 0.9)")
    if isinstance(share, bool) or not isinstance(share, (int, float, np.integer, np.floating)):
        raise InputError(f"share={share!r}: expected a fraction of residents, for example 0.9 for 90 %")
    value = float(share)
    if not np.isfinite(value) or value <= 0 or value > 1:
        raise InputError(f"share={share!r}: expected a fraction in (0, 1], for example 0.9 for 90 %")
    return value


def check_model(model: str, p: Any = None, *, tiers: bool = False, share: Any = None) -> None:
    """
    The model name, that ``p`` is given when the model needs it, and ``pscp``'s ``share`` (the one place these are checked).

    Parameters
    ----------
    model
        One of :data:`MODELS`.
    p
        The number of stations asked for.
    tiers
        A tiered plan replaces the model: a model other than the default ``"lscp"``, a ``p`` or a ``share``
        is refused then (the tiers place the fewest centres and grid stations that reach every home).
    share
        ``pscp``: the fraction of residents to cover (refused for other models).

    Raises
    ------
    InputError
        An unknown model, a model that needs ``p`` without it, a missing or impossible ``share``, ``p`` or
        ``share`` with ``tiers``.
    """
    if tiers:
        if model != "lscp":
            raise InputError(
                f"model={model!r}: a tiered plan replaces the model (it places the fewest community centres and "
                "grid stations that reach every home); drop --model"
            )
        if p is not None:
            raise InputError(
                f"p={p!r}: a tiered plan places the fewest grid stations that reach every home, it takes no count "
                "(drop --p; --max-centres caps the community centres)"
            )
        if share is not None:
            raise InputError(f"share={share!r}: a tiered plan replaces the model (pscp's share does not apply)")
        return
    _check_name_and_p(model, p)
    if MODEL_SPECS[model].needs_share:
        check_share_value(share)
    elif share is not None:
        raise InputError(f"share applies to model 'pscp' (the fewest stations covering that share), not {model!r}")


def _check_name_and_p(model: str, p: Any) -> None:
    if model not in MODELS:
        raise InputError(f"model={model!r}: unknown model; expected one of {', '.join(MODELS)}")
    if MODEL_SPECS[model].needs_p and p is None:
        raise InputError(f"model={model!r} needs p, the number of stations (for example --p 5)")
    if p is not None and (
        isinstance(p, bool)
        or not isinstance(p, (int, np.integer, float, np.floating))
        or not np.isfinite(p)
        or int(p) != p
        or p < 1
    ):
        raise InputError(f"p={p!r}: expected a whole number of stations >= 1")


def check_p(model: str, p: Any, n_sites: int, n_required: int) -> int | None:
    """``p`` as a whole number the model can use (``None`` for models that find it themselves)."""
    _check_name_and_p(model, p)
    if not MODEL_SPECS[model].needs_p:
        if p is not None:
            warnings.warn(
                f"p={p!r} is ignored by model {model!r} (it finds the number of stations itself)",
                UserWarning,
                stacklevel=4,
            )
        return None
    p = int(p)
    if p > n_sites:
        raise InputError(f"p={p}: larger than the number of candidate sites ({n_sites})")
    if p < n_required:
        raise InputError(f"p={p}: smaller than the number of existing stations that must be kept ({n_required})")
    if model == "pdispersion" and p < 2:
        raise InputError("p=1: pdispersion needs p >= 2 (it spreads stations apart)")
    return p


def _weights(w: Any, n_rows: int) -> np.ndarray:
    w = np.ones(n_rows) if w is None else np.asarray(w, dtype=float)
    if w.shape != (n_rows,):
        raise InputError(f"weights has shape {w.shape}; expected one weight per demand row ({n_rows})")
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise InputError("weights must be finite and non-negative")
    return w


def _required(required: Any, n_sites: int) -> np.ndarray:
    raw = np.asarray([] if required is None else required)
    if raw.size and (raw.dtype.kind not in "iuf" or not np.all(np.isfinite(raw)) or not np.all(raw == np.round(raw))):
        raise InputError("required: expected whole site column indices")
    req = np.unique(raw.astype(np.int64))
    if len(req) and (req.min() < 0 or req.max() >= n_sites):
        raise InputError(f"required site index out of range 0..{n_sites - 1}")
    return req


#: the largest finite float: ``<= _LARGEST`` keeps every finite entry and drops ``inf``
_LARGEST = float(np.finfo(float).max)


def _bad_minutes(kind: str, row: int, col: int, value: float) -> InputError:
    return InputError(
        f"{kind} entry [{row}, {col}] is {value!r}: expected walking minutes >= 0 (inf or absent: unreachable)"
    )


def _dense_minutes(cost: Any, r: float) -> sp.csr_matrix:
    try:
        raw = np.asarray(cost)
        arr = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            f"expected a Coverage, a scipy sparse matrix or a 2-D array of minutes, got {type(cost).__name__}"
        ) from None
    if arr.ndim != 2:
        raise InputError(f"cost matrix has {arr.ndim} dimension(s); expected 2 (demand x sites)")
    if raw.dtype.kind == "b":
        raise InputError("cost matrix holds True / False, not minutes: expected walking minutes (inf: unreachable)")
    bad = np.isnan(arr) | (arr < 0)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise _bad_minutes("cost matrix", int(i), int(j), float(arr[i, j]))
    rows, cols = np.nonzero(arr <= min(r, _LARGEST))
    return sp.csr_matrix((arr[rows, cols], (rows, cols)), shape=arr.shape)


def _sparse_minutes(matrix: sp.spmatrix, r: float) -> sp.csr_matrix:
    if matrix.dtype.kind == "b":
        raise InputError("sparse cost matrix holds True / False, not minutes: expected walking minutes")
    coo = sp.coo_matrix(matrix)
    data = coo.data.astype(float)
    bad = np.isnan(data) | (data < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise _bad_minutes("sparse cost matrix", int(coo.row[k]), int(coo.col[k]), float(data[k]))
    return keep_within(shortest_entries(matrix), min(r, _LARGEST))


@dataclass(frozen=True)
class Problem:
    """
    A location problem, validated once: which home each site reaches and how far, and who counts how much.

    Attributes
    ----------
    minutes
        CSR (demand x sites) of the walking minutes within ``radius`` (absent: farther).
    radius
        The limit in minutes (inclusive); ``inf`` when every finite entry counts
        (a cost matrix given without a radius, for p-median, p-center and p-dispersion).
    weights
        Population (or weight) per demand row, finite and non-negative.
    required
        Sorted column indices of sites that must be chosen (existing stations).
    """

    minutes: sp.csr_matrix
    radius: float
    weights: np.ndarray
    required: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """(demand rows, sites)."""
        return self.minutes.shape

    @property
    def cover(self) -> sp.csr_matrix:
        """Boolean CSR of the covered pairs."""
        return pattern(self.minutes)

    @property
    def reach(self) -> np.ndarray:
        """Boolean per demand row: some site reaches it."""
        return np.diff(self.minutes.indptr) > 0

    @classmethod
    def from_coverage(
        cls, cov: Coverage, *, radius: float | None = None, weights: Any = None, required: Any = None
    ) -> Problem:
        """From a :class:`planner.Coverage` (radius: its longest limit unless smaller; weights: its population)."""
        r = cov.limit if radius is None else check_positive("radius", radius)
        if r > cov.limit + 1e-12:
            raise InputError(f"radius={r:g}: the coverage was computed up to {cov.limit:g} minutes only")
        return cls._make(keep_within(cov.minutes, r), r, cov.population if weights is None else weights, required)

    @classmethod
    def from_cost_matrix(
        cls, matrix: Any, *, radius: float | None, weights: Any = None, required: Any = None, unlimited: bool = False
    ) -> Problem:
        """
        From a sparse matrix of minutes (absent or ``inf``: unreachable) or a dense one (``inf``: unreachable).

        Minutes must be numbers >= 0: negative, ``-inf``, ``nan`` and boolean entries
        are refused (:class:`InputError` naming the first). ``radius=None`` keeps every
        finite entry when ``unlimited`` (the models that need no radius); otherwise it
        is refused.
        """
        kind = "a sparse cost matrix" if sp.issparse(matrix) else "a cost matrix"
        if radius is None and not unlimited:
            raise InputError(f"radius=None: {kind} needs radius (minutes within which a site covers a home)")
        r = np.inf if radius is None else check_positive("radius", radius)
        minutes = _sparse_minutes(matrix, r) if sp.issparse(matrix) else _dense_minutes(matrix, r)
        return cls._make(minutes, r, weights, required)

    @classmethod
    def build(
        cls,
        coverage_or_cost: Any,
        *,
        radius: float | None = None,
        weights: Any = None,
        required: Any = None,
        unlimited: bool = False,
    ) -> Problem:
        """:meth:`from_coverage` or :meth:`from_cost_matrix`, by what is given (``unlimited``: see the latter)."""
        if isinstance(coverage_or_cost, Problem):
            return coverage_or_cost
        if isinstance(coverage_or_cost, Coverage):
            return cls.from_coverage(coverage_or_cost, radius=radius, weights=weights, required=required)
        return cls.from_cost_matrix(
            coverage_or_cost, radius=radius, weights=weights, required=required, unlimited=unlimited
        )

    @classmethod
    def _make(cls, minutes: sp.csr_matrix, r: float, weights: Any, required: Any) -> Problem:
        n_rows, n_sites = minutes.shape
        if n_sites == 0:
            raise InputError("no candidate sites: expected at least one column")
        return cls(minutes, r, _weights(weights, n_rows), _required(required, n_sites))
