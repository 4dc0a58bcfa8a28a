"""The "1+5+N" tiered plan: community centres and grid stations, as one exact MILP."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from planner.errors import DataError, InputError
from planner.optimize.milp import Constraint, MilpResult, milp, status_of
from planner.optimize.problem import Problem
from planner.optimize.reduce import csr_from_triples, keep_within, pattern
from planner.optimize.results import Solution, TierResult
from planner.optimize.solver import make_solution
from planner.reach.matrix import Coverage

__all__ = ["TierInputs", "solve_tiers"]


@dataclass(frozen=True)
class TierInputs:
    """
    What a tiered plan is solved from.

    Attributes
    ----------
    near
        CSR homes x sites of the walking minutes within ``minutes`` (the station walk).
    far
        Boolean CSR homes x sites within ``tier_minutes`` (the walk to a centre).
    between
        Boolean CSR sites x sites within ``tier_minutes``, the diagonal left out.
    sites
        ``name``, ``site_id``, ``existing`` and ``tier`` (centre / grid / any) per site.
    demand_ids, population
        Per home.
    minutes, tier_minutes
        The two walks.
    """

    near: sp.csr_matrix
    far: sp.csr_matrix
    between: sp.csr_matrix
    sites: pd.DataFrame
    demand_ids: np.ndarray
    population: np.ndarray
    minutes: float
    tier_minutes: float

    @classmethod
    def from_coverage(cls, wide: Coverage, between: Coverage, sites: pd.DataFrame, minutes: float) -> TierInputs:
        """
        The walks a tiered plan is solved from, out of one search of each kind.

        Parameters
        ----------
        wide
            Homes x sites, searched to the centre walk (its longest limit, ``tier_minutes``) and holding ``minutes``
            among its limits (``planner.coverage(network, homes, sites, minutes=(minutes, tier_minutes))``).
        between
            Sites x sites within the centre walk.
        sites
            ``name``, ``site_id``, ``existing`` and ``tier`` per site (the columns of both matrices).
        minutes
            The station walk.
        """
        tier_minutes = wide.limit
        pairs = between.within(tier_minutes).astype(float).tolil()
        pairs.setdiag(0.0)
        pairs = pairs.tocsr()
        pairs.eliminate_zeros()
        return cls(
            near=keep_within(wide.minutes, minutes),
            far=wide.within(tier_minutes),
            between=pairs,
            sites=sites,
            demand_ids=np.asarray(wide.demand_ids).astype(str),
            population=wide.population,
            minutes=minutes,
            tier_minutes=tier_minutes,
        )


def _check_feasible(inp: TierInputs, fixed_grid: np.ndarray, may_centre: np.ndarray) -> None:
    """Explain, before solving, why no tiered plan can exist (HiGHS only says "infeasible").

    A site hosts one tier at most, so an existing grid station is never a community
    centre and needs another site that may be one within ``tier_minutes``.
    """
    centres_near = np.asarray(inp.between[:, may_centre].sum(axis=1)).ravel()
    for g in np.flatnonzero(fixed_grid & (centres_near == 0)):
        name, site_id = str(inp.sites["name"].iloc[g]), str(inp.sites["site_id"].iloc[g])
        why = (
            ""
            if inp.far[:, g].nnz
            else f" (it reaches no home within {inp.tier_minutes:g} min either: is it on the walking network?)"
        )
        raise DataError(
            f"existing station {name!r} (site_id {site_id}) has no community-centre candidate within "
            f"{inp.tier_minutes:g} min walk{why}; move it, give it tier=centre, or drop it from --existing"
        )


@dataclass(frozen=True)
class _TierModel:
    """Which homes need what, and what each site may become (bounds of centre ``y``, then grid ``z``)."""

    far_c: sp.csr_matrix
    near_n: sp.csr_matrix
    between: sp.csr_matrix
    lower: np.ndarray
    upper: np.ndarray
    one_tier_lower: np.ndarray

    def _rows(self, extra: int, soft: bool) -> list[Constraint]:
        n = self.between.shape[0]
        hc, hn = self.far_c.shape[0], self.near_n.shape[0]

        def pad(block: sp.spmatrix) -> sp.csr_matrix:  # constraints on (y, z) followed by the slack columns
            return sp.hstack([block, sp.csr_matrix((block.shape[0], extra))], format="csr") if extra else block

        centre_rows = sp.hstack([self.far_c, sp.csr_matrix((hc, n))], format="csr")
        station_rows = sp.hstack([self.near_n, self.near_n], format="csr")
        if soft:
            centre_rows = sp.hstack([centre_rows, sp.identity(hc, format="csr"), sp.csr_matrix((hc, hn))], format="csr")
            station_rows = sp.hstack(
                [station_rows, sp.csr_matrix((hn, hc)), sp.identity(hn, format="csr")], format="csr"
            )
        return [
            Constraint(centre_rows, 1.0, np.inf),
            Constraint(station_rows, 1.0, np.inf),
            # a grid station needs a centre within tier_minutes: z_g - sum_c y_c <= 0
            Constraint(pad(sp.hstack([-self.between, sp.identity(n, format="csr")], format="csr")), -np.inf, 0.0),
            # a site hosts one tier at most (an existing station of tier "any" exactly one)
            Constraint(pad(sp.hstack([sp.identity(n), sp.identity(n)], format="csr")), self.one_tier_lower, 1.0),
        ]

    def solve(
        self,
        time_limit: float | None,
        max_centres: int | None = None,
        slack_weights: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray | None, MilpResult]:
        """Fewest centres, then fewest grid stations (with ``max_centres``.

        Up to that many centres to need the fewest grid stations); or, with ``slack_weights``, the fewest residents left
        without their centre / station (slacks on the centre rows, then on the station rows).
        """
        n = self.between.shape[0]
        soft = slack_weights is not None
        extra = self.far_c.shape[0] + self.near_n.shape[0] if soft else 0
        cons = self._rows(extra, soft)
        if max_centres is not None:
            row = np.zeros(2 * n + extra)
            row[:n] = 1.0
            cons.append(Constraint(sp.csr_matrix(row[None, :]), -np.inf, float(max_centres)))
        if slack_weights is not None:
            c = np.concatenate([np.zeros(2 * n), *slack_weights])
        elif max_centres is None:
            c = np.concatenate([np.full(n, float(n + 1)), np.ones(n)])
        else:
            c = np.concatenate([np.ones(n), np.full(n, float(n + 1))])
        lower = np.concatenate([self.lower, np.zeros(extra)])
        upper = np.concatenate([self.upper, np.ones(extra)])
        return milp(c, np.ones(len(c)), lower, upper, cons, time_limit)


def _cap_error(
    model: _TierModel,
    ids: tuple[np.ndarray, np.ndarray],
    w: tuple[np.ndarray, np.ndarray],
    inp: TierInputs,
    max_centres: int,
    time_limit: float | None,
) -> DataError:
    """The error for a ``max_centres`` no plan can keep: how many centres are needed, and the homes left out."""
    free_x, _ = model.solve(time_limit)
    n = model.between.shape[0]
    needed = round(free_x[:n].sum()) if free_x is not None else None
    tiny = 1e-6  # a home without residents still counts
    soft_x, _ = model.solve(time_limit, max_centres, (np.maximum(w[0], 0) + tiny, np.maximum(w[1], 0) + tiny))
    ids_c, ids_n = ids
    if soft_x is None:
        no_centre, no_station = np.arange(len(ids_c)), np.zeros(0, np.int64)
    else:
        no_centre = np.flatnonzero(soft_x[2 * n : 2 * n + len(ids_c)] > 0.5)
        no_station = np.flatnonzero(soft_x[2 * n + len(ids_c) :] > 0.5)
    left = pd.unique(np.concatenate([ids_c[no_centre], ids_n[no_station]]))
    people = dict(zip(ids_c[no_centre], np.asarray(w[0])[no_centre]))
    people.update(zip(ids_n[no_station], np.asarray(w[1])[no_station]))
    named = ", ".join(repr(x) for x in left[:5]) + (f" and {len(left) - 5:,} more" if len(left) > 5 else "")
    at_least = f"at least {needed} are needed" if needed is not None else "more are needed"
    parts = []
    if len(no_centre):
        parts.append(f"{len(no_centre):,} without a centre within {inp.tier_minutes:g} min")
    if len(no_station):
        parts.append(f"{len(no_station):,} without a station within {inp.minutes:g} min")
    return DataError(
        f"max_centres={max_centres}: too few community centres for every home ({at_least}); at best a plan with "
        f"{max_centres} leaves {len(left):,} home{'' if len(left) == 1 else 's'} ({sum(people.values()):,.0f} residents) out "
        f"({', '.join(parts)}): {named}; raise --max-centres, add centre candidates (tier=centre or any) near "
        "them, or lengthen --tier-minutes"
    )


def _roles(inp: TierInputs, max_centres: int | None) -> dict[str, np.ndarray]:
    """What each site is and may become, after the checks that explain an impossible plan."""
    sites = inp.sites
    existing = sites["existing"].to_numpy(bool)
    tier = sites["tier"].astype(str).to_numpy() if "tier" in sites else np.where(existing, "grid", "any")
    roles = {
        "existing": existing,
        "tier": tier,
        "may_centre": np.isin(tier, ("centre", "any")),
        "may_grid": np.isin(tier, ("grid", "any")),
        "fixed_centre": existing & (tier == "centre"),
        "fixed_grid": existing & (tier == "grid"),
    }
    _check_feasible(inp, roles["fixed_grid"], roles["may_centre"])
    fixed_centre = roles["fixed_centre"]
    if max_centres is not None and fixed_centre.sum() > max_centres:
        names = ", ".join(repr(str(x)) for x in sites["name"].to_numpy()[fixed_centre][:5])
        raise InputError(
            f"max_centres={max_centres}: the existing stations already hold {int(fixed_centre.sum())} "
            f"community centres ({names}); expected at least that many"
        )
    # a grid station needs another site that may be a centre within tier_minutes
    roles["may_grid"] &= (np.asarray(inp.between[:, roles["may_centre"]].sum(axis=1)).ravel() > 0) | roles["fixed_grid"]
    return roles


def solve_tiers(inp: TierInputs, *, time_limit: float | None, max_centres: int | None = None) -> Solution:
    """
    The "1+5+N" plan as one exact MILP.

    Community centres within ``tier_minutes`` of every home that has a site which may
    be one within that walk, a station (centre or grid) within ``minutes`` of every
    home that one can serve, each grid station within ``tier_minutes`` of a chosen
    centre, at most ``max_centres`` centres; fewest centres first, then fewest grid
    stations. ``sites["tier"]`` limits what each site may become (``centre``,
    ``grid`` or ``any``; existing stations keep theirs, ``any`` letting the model choose).

    Returns
    -------
    Solution
        ``model="tiers"``; its ``result`` is a :class:`planner.optimize.TierResult`.
    """
    started = time.perf_counter()
    n = len(inp.sites)
    r = _roles(inp, max_centres)
    usable = r["may_centre"] | r["may_grid"]
    reach_near = np.diff(sp.csr_matrix(inp.near[:, usable]).indptr) > 0
    _warn_unusable(inp, usable, reach_near)
    reach_centre = np.diff(sp.csr_matrix(inp.far[:, r["may_centre"]]).indptr) > 0
    w = inp.population
    beyond = ~reach_centre
    if beyond.any():
        first = ", ".join(repr(x) for x in inp.demand_ids[beyond][:3])
        warnings.warn(
            f"tiers: {int(beyond.sum()):,} homes ({float(w[beyond].sum()):,.0f} residents) have no site that may be a "
            f"community centre within {inp.tier_minutes:g} min walk ({first}...); they get grid stations only "
            "(add centre candidates, tier=centre or any, near them)",
            UserWarning,
            stacklevel=3,
        )
    model = _TierModel(
        far_c=_ones(inp.far)[reach_centre],
        near_n=_ones(inp.near)[reach_near],
        between=_ones(inp.between),
        lower=np.concatenate([r["fixed_centre"], r["fixed_grid"]]).astype(float),
        upper=np.concatenate([r["may_centre"], r["may_grid"]]).astype(float),
        one_tier_lower=np.where(r["existing"] & (r["tier"] == "any"), 1.0, -np.inf),
    )
    x, result = model.solve(time_limit, max_centres)
    if x is None:
        if max_centres is not None and result.status == 2:
            raise _cap_error(
                model,
                (inp.demand_ids[reach_centre], inp.demand_ids[reach_near]),
                (w[reach_centre], w[reach_near]),
                inp,
                max_centres,
                time_limit,
            )
        raise InputError(f"no tiered plan: {result.message}")
    centre, grid = x[:n] > 0.5, x[n:] > 0.5
    figures = TierResult(
        n_centres=int(centre.sum()),
        n_grid=int(grid.sum()),
        tier_minutes=inp.tier_minutes,
        max_centres=None if max_centres is None else int(max_centres),
        n_beyond_centre=int(beyond.sum()),
        population_beyond_centre=float(w[beyond].sum()),
        tier_of=np.where(centre, "centre", "grid").astype(object),
        unusable=~usable,
        n_unusable_sites=int((~usable).sum()),
        unusable_why=f"grid-only, no possible centre within {inp.tier_minutes:g} min",
    )
    prob = Problem(_columns(inp.near, usable), inp.minutes, w, np.flatnonzero(r["existing"]))
    return make_solution("tiers", prob, np.flatnonzero(centre | grid), *status_of(result), figures, started)


def _warn_unusable(inp: TierInputs, usable: np.ndarray, reach_near: np.ndarray) -> None:
    """Name the grid-only sites no centre can serve, and the homes only they reach (``reach_near``: a usable site)."""
    if usable.all():
        return
    names = ", ".join(repr(str(x)) for x in inp.sites["name"].to_numpy()[~usable][:3])
    only = (np.diff(sp.csr_matrix(inp.near).indptr) > 0) & ~reach_near
    left = (
        f"; {int(only.sum()):,} homes ({float(inp.population[only].sum()):,.0f} residents) have no other site within "
        f"{inp.minutes:g} min"
        if only.any()
        else ""
    )
    warnings.warn(
        f"tiers: {int((~usable).sum()):,} grid-only sites have no site that may be a community centre within "
        f"{inp.tier_minutes:g} min, so cannot be grid stations ({names}){left} (add centre candidates near them, "
        "tier=centre or any, or lengthen --tier-minutes)",
        UserWarning,
        stacklevel=4,
    )


def _ones(m: sp.spmatrix) -> sp.csr_matrix:
    """The stored pattern of ``m`` as a float 0/1 CSR (a stored 0 minutes counts)."""
    return pattern(m).astype(float)


def _columns(m: sp.spmatrix, keep: np.ndarray) -> sp.csr_matrix:
    """``m`` with the stored entries of the columns not kept removed (same shape)."""
    coo = sp.coo_matrix(m)
    ok = keep[coo.col]
    return csr_from_triples(coo.row[ok], coo.col[ok], coo.data[ok], m.shape)
