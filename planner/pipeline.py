"""All stages in one call: :func:`plan` (where to put stations) and :func:`score`
(how good each candidate is). The CLI and the notebooks are thin layers over these."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from .config import DEFAULTS, check_positive
from .coverage import Coverage, coverage
from .demand import load_demand
from .errors import InputError
from .io import geojson_text, json_text, write_outputs
from .isochrones import isochrones
from .maps import plan_map
from .network import load_network
from .optimize import MODELS, NEEDS_P, Solution, solve
from .sites import load_candidates

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]

#: file names written by :meth:`Plan.write`
OUTPUT_FILES = ("plan.html", "stations.geojson", "isochrones.geojson", "summary.json")


@dataclass(frozen=True)
class Plan:
    """Everything a plan run produced.

    Attributes
    ----------
    network, demand, sites
        The stage inputs (``sites`` = candidates followed by existing stations).
    coverage
        Sparse walking minutes, demand x sites.
    solution
        The optimiser's answer (columns index ``sites``).
    stations
        The chosen sites with ``population_covered`` (EPSG:4326).
    isochrones
        One walking-area polygon per chosen site (EPSG:4326).
    summary
        The figures written to ``summary.json``.
    """

    network: nx.MultiDiGraph
    demand: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    coverage: Coverage
    solution: Solution
    stations: gpd.GeoDataFrame
    isochrones: gpd.GeoDataFrame
    summary: dict = field(default_factory=dict)

    def map(self, *, lang: str = "en"):
        """The Folium map of this plan (see :func:`planner.plan_map`)."""
        existing = self.sites[self.sites["existing"]]
        return plan_map(
            self.stations, self.isochrones, self.demand, self.solution.covered,
            existing=existing, minutes=self.summary["minutes"], summary=self.summary, lang=lang,
        )

    def write(self, out_dir: str | os.PathLike, *, lang: str = "en") -> list[Path]:
        """Write ``plan.html``, ``stations.geojson``, ``isochrones.geojson`` and
        ``summary.json`` into ``out_dir`` atomically; returns the paths."""
        html = self.map(lang=lang).get_root().render()
        files = {
            "plan.html": html,
            "stations.geojson": geojson_text(self.stations),
            "isochrones.geojson": geojson_text(self.isochrones),
            "summary.json": json_text(self.summary),
        }
        return write_outputs(out_dir, files)


def validate_model(model: str, p: int | None) -> None:
    """Fail fast on a model / p combination that cannot work (before any loading)."""
    if model not in MODELS:
        raise InputError(f"model={model!r}: unknown model; expected one of {', '.join(MODELS)}")
    if model in NEEDS_P and p is None:
        raise InputError(f"model={model!r} needs p, the number of stations (for example --p 5)")
    if p is not None and (isinstance(p, bool) or int(p) != p or p < 1):
        raise InputError(f"p={p!r}: expected a whole number of stations >= 1")


def _sites(network, candidates, existing, progress):
    cands = load_candidates(candidates, network=network, progress=progress)
    if existing is None:
        return cands
    ex = load_candidates(existing, network=network, existing=True, progress=progress)
    clash = set(cands["site_id"]) & set(ex["site_id"])
    if clash:
        cands = cands[~cands["site_id"].isin(clash)]
    return pd.concat([cands, ex], ignore_index=True)


def plan(
    source: str | os.PathLike | None = None,
    *,
    demand: str | os.PathLike | None = None,
    candidates: str | os.PathLike | None = None,
    existing: str | os.PathLike | None = None,
    minutes: float = DEFAULTS.minutes,
    speed_kmh: float = DEFAULTS.speed_kmh,
    model: str = "lscp",
    p: int | None = None,
    time_limit: float | None = None,
    network: nx.MultiDiGraph | None = None,
    progress: Progress | None = None,
) -> Plan:
    """
    Run every stage: network, demand, candidates, coverage, optimisation, isochrones.

    Parameters
    ----------
    source
        OSM source of the network (and of demand / candidates unless files are
        given); see :func:`planner.load_network`. ``None``: the embedded default.
    demand, candidates, existing
        Optional files (see :func:`planner.load_demand` / :func:`planner.load_candidates`);
        existing stations are kept as required sites.
    minutes, speed_kmh
        Walking limit and speed.
    model, p, time_limit
        See :func:`planner.solve`.
    network
        A network already built with :func:`planner.load_network` (skips that stage).
    progress
        Optional callback ``progress(message, fraction)``.

    Returns
    -------
    Plan
    """
    minutes = check_positive("minutes", minutes)
    speed_kmh = check_positive("speed_kmh", speed_kmh)
    validate_model(model, p)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = round(now - clock, 3)
        clock = now

    if network is None:
        network = load_network(source, speed_kmh=speed_kmh, progress=progress)
    lap("network")
    homes = load_demand(demand, network=network, progress=progress)
    lap("demand")
    sites = _sites(network, candidates, existing, progress)
    lap("candidates")
    if model in NEEDS_P and p > len(sites):
        raise InputError(f"p={p}: larger than the number of candidate sites ({len(sites)})")
    cov = coverage(network, homes, sites, minutes=minutes, progress=progress)
    lap("coverage")
    if progress:
        progress(f"solving {model} over {len(sites):,} sites and {len(homes):,} homes", 0.0)
    required = np.flatnonzero(sites["existing"].to_numpy(bool))
    sol = solve(cov, model=model, p=p, required=required, time_limit=time_limit)
    lap("optimise")
    chosen = sites.iloc[sol.selected]
    iso = isochrones(network, chosen, minutes=minutes, progress=progress)
    lap("isochrones")
    within = cov.within()
    per_station = np.asarray(within[:, sol.selected].T @ cov.population).ravel() if len(sol.selected) else np.zeros(0)
    stations = gpd.GeoDataFrame(
        {
            "site_id": chosen["site_id"].to_numpy(),
            "name": chosen["name"].to_numpy(),
            "kind": chosen["kind"].to_numpy(),
            "existing": chosen["existing"].to_numpy(bool),
            "population_covered": np.round(per_station, 1),
        },
        geometry=chosen.geometry.values,
        crs=chosen.crs,
    ).to_crs("EPSG:4326")
    stations = stations.sort_values("site_id", kind="stable").reset_index(drop=True)
    iso = iso.sort_values("site_id", kind="stable").reset_index(drop=True)
    unreached = sol.uncoverable
    summary = {
        "source": network.graph.get("source"),
        "minutes": minutes,
        "speed_kmh": speed_kmh,
        "model": model,
        "p": sol.p,
        "n_candidates": int((~sites["existing"]).sum()),
        "n_existing": int(sites["existing"].sum()),
        "n_demand": int(len(homes)),
        "n_network_nodes": network.number_of_nodes(),
        "n_network_edges": network.number_of_edges(),
        "demand_method": str(homes["method"].iloc[0]) if len(homes) else None,
        "population_total": round(sol.population_total, 1),
        "population_coverable": round(sol.population_coverable, 1),
        "population_covered": round(sol.population_covered, 1),
        "covered_share": round(sol.covered_share, 6),
        "n_uncoverable": int(len(unreached)),
        "population_uncoverable": round(float(cov.population[unreached].sum()), 1),
        "n_stations": sol.n_stations,
        "objective": round(sol.objective, 1),
        "solver_status": sol.status,
        "gap": sol.gap,
        "seconds": seconds,
    }
    log.info("plan: %d stations cover %.1f%% of the population", sol.n_stations, 100 * sol.covered_share)
    return Plan(network, homes, sites, cov, sol, stations, iso, summary)


def score(
    source: str | os.PathLike | None = None,
    *,
    sites: str | os.PathLike | None = None,
    demand: str | os.PathLike | None = None,
    existing: str | os.PathLike | None = None,
    minutes: float = DEFAULTS.minutes,
    speed_kmh: float = DEFAULTS.speed_kmh,
    network: nx.MultiDiGraph | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """
    Rank candidate sites by the population they would serve.

    Parameters
    ----------
    source
        OSM source (see :func:`planner.load_network`).
    sites
        The planner's shortlist (CSV ``lon, lat[, name]`` / GeoJSON); default: all
        candidate places of the source.
    demand, existing
        Optional files, as in :func:`plan`.
    minutes, speed_kmh
        Walking limit and speed.

    Returns
    -------
    ranking
        One row per site, best first, with ``rank``, ``site_id``, ``name``,
        ``lon``, ``lat``, ``population_within`` (within ``minutes``),
        ``population_10min`` / ``population_15min``, ``marginal_population`` (not
        yet covered by existing stations), ``overlap_share`` (share of its
        catchment that existing stations already cover), ``greedy_gain``
        (population added in greedy order, over existing stations and the sites
        ranked above it) and ``minutes_to_existing`` (walk to the nearest existing
        station, empty if none within 15 minutes).
    """
    minutes = check_positive("minutes", minutes)
    speed_kmh = check_positive("speed_kmh", speed_kmh)
    if network is None:
        network = load_network(source, speed_kmh=speed_kmh, progress=progress)
    homes = load_demand(demand, network=network, progress=progress)
    cands = load_candidates(sites, network=network, progress=progress)
    ex = load_candidates(existing, network=network, existing=True, progress=progress) if existing else cands.iloc[:0]
    limits = tuple(sorted({minutes, 10.0, 15.0}))
    cov = coverage(network, homes, cands, minutes=limits, progress=progress)
    pop = cov.population
    within = cov.within(minutes)
    pop_within = np.asarray(within.T @ pop).ravel()
    covered_before = np.zeros(len(homes), bool)
    to_existing = np.full(len(cands), np.nan)
    if len(ex):
        ex_cov = coverage(network, homes, ex, minutes=minutes)
        covered_before = ex_cov.coverable(minutes)
        between = coverage(network, cands, ex, minutes=15.0).minutes
        has = np.diff(between.indptr) > 0
        to_existing[has] = np.minimum.reduceat(between.data, between.indptr[:-1][has])
    marginal = np.asarray(within.T @ (pop * ~covered_before)).ravel()
    overlap = np.divide(pop_within - marginal, pop_within, out=np.zeros_like(pop_within), where=pop_within > 0)
    # greedy order: each step takes the site adding the most uncovered population
    greedy = np.zeros(len(cands))
    order = []
    left = pop * ~covered_before
    csc = within.tocsc()
    remaining = np.ones(len(cands), bool)
    for _ in range(len(cands)):
        gains = np.where(remaining, np.asarray(within.T @ left).ravel(), -1.0)
        j = int(np.argmax(gains))
        greedy[j] = gains[j]
        order.append(j)
        remaining[j] = False
        left[csc.indices[csc.indptr[j]:csc.indptr[j + 1]]] = 0.0
    rank = np.empty(len(cands), np.int64)
    rank[order] = np.arange(1, len(cands) + 1)
    ll = cands.to_crs("EPSG:4326")
    table = pd.DataFrame(
        {
            "rank": rank,
            "site_id": cands["site_id"].to_numpy(),
            "name": cands["name"].to_numpy(),
            "lon": np.round(ll.geometry.x.to_numpy(), 7),
            "lat": np.round(ll.geometry.y.to_numpy(), 7),
            "population_within": np.round(pop_within, 1),
            "population_10min": np.round(np.asarray(cov.within(10.0).T @ pop).ravel(), 1),
            "population_15min": np.round(np.asarray(cov.within(15.0).T @ pop).ravel(), 1),
            "marginal_population": np.round(marginal, 1),
            "overlap_share": np.round(overlap, 4),
            "greedy_gain": np.round(greedy, 1),
            "minutes_to_existing": np.round(to_existing, 2),
        }
    )
    return table.sort_values("rank").reset_index(drop=True)
