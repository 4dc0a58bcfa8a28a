"""The result of a plan run: :class:`Plan`, with its account (:class:`planner.ledger.Ledger`).

A plan is data: the stage outputs, the solution and the account of every resident and site, computed once by
:func:`planner.plan`. Its methods restate it for another answer or station set; rendering it is done by
functions of :mod:`planner.outputs` (:func:`planner.plan_map`, :func:`planner.plan_report`,
:func:`planner.plan_summary`, :func:`planner.write`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.ledger import Ledger
from planner.optimize import Solution
from planner.reach.matrix import Coverage
from planner.reach.walk_areas import isochrones
from planner.result.tables import served_population, station_table

__all__ = ["Plan"]


@dataclass(frozen=True)
class Plan:
    """
    Everything a plan run produced.

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
    minutes, speed_kmh
        The walk and the walking speed of the plan.
    budget
        The budget of a ``budget`` plan, else ``None``.
    seconds
        Wall time of each stage.
    unreachable
        Homes no candidate reaches (see :func:`planner.reach.unreachable.diagnose_unreachable`), or ``None``.
    footprints
        The shapes the demand stage read, drawn as the offline map's basemap: OSM
        building polygons and sampled residential land use with ``kind``, in the
        network's CRS (see :func:`planner.load_demand`, ``footprints=True``);
        empty for a demand file, ``None`` when not known. Not written to any file.
    areas
        With areas (a demand file of areas, or ``areas=``): the area polygons
        (EPSG:4326) with the figures of :attr:`area_table`, drawn on the map;
        else ``None``.
    area_table
        Per area: the account's residents by class, covered share and where the boundary cuts it
        (:attr:`planner.ledger.Ledger.areas`), and the nearest chosen station (:func:`planner.demand.areas.nearest_by_area`),
        written to ``areas.csv``; else ``None``.
    ledger
        The account of every input resident and site (:class:`planner.ledger.Ledger`), computed once:
        every output renders its figures.
    """

    network: nx.MultiDiGraph
    demand: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    coverage: Coverage
    solution: Solution
    stations: gpd.GeoDataFrame
    isochrones: gpd.GeoDataFrame
    minutes: float
    speed_kmh: float
    ledger: Ledger
    budget: float | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    unreachable: pd.DataFrame | None = None
    footprints: gpd.GeoDataFrame | None = None
    areas: gpd.GeoDataFrame | None = None
    area_table: pd.DataFrame | None = None

    @property
    def model(self) -> str:
        """The model solved (``tiers`` for a tiered plan)."""
        return self.solution.model

    @property
    def existing(self) -> np.ndarray:
        """Per site, whether it is an existing station."""
        return self.sites["existing"].to_numpy(bool)

    def with_solution(self, solution: Solution) -> Plan:
        """
        The plan with another answer over the same homes and sites: its station table and account made anew.

        The walking areas, the areas' nearest stations and the diagnosis stay this plan's; the account is this
        plan's restated (:meth:`planner.ledger.Ledger.restated`). Not for a tiered plan, whose account needs the
        walk to the centres.

        Parameters
        ----------
        solution
            An answer of :func:`planner.solve` over :attr:`coverage`.

        Returns
        -------
        Plan
        """
        if self.model == "tiers" or solution.model == "tiers":
            raise InputError("with_solution: a tiered plan is accounted for by planner.plan(tiers=True) only")
        cov = self.coverage
        served = served_population(solution, cov)
        ledger = self.ledger.restated(solution.covered, solution.selected, self.existing, served)
        return replace(self, solution=solution, stations=station_table(self.sites, solution, cov), ledger=ledger)

    def account_for(self, stations: Any) -> Ledger:
        """
        The account of this plan's homes and sites for another set of stations, as the what-if page computes it.

        A home is covered when a station of the set is within the walk (no capacity); the other classes are the
        plan's (which sites can reach a home does not depend on the set). Not for a tiered plan.

        Parameters
        ----------
        stations
            ``site_id`` values of :attr:`sites` (an unknown id is an error).

        Returns
        -------
        Ledger
        """
        if self.model == "tiers":
            raise InputError("account_for: a tiered plan is accounted for by planner.plan(tiers=True) only")
        ids = self.sites["site_id"].astype(str).to_numpy()
        wanted = [str(s) for s in stations]
        unknown = sorted(set(wanted) - set(ids))
        if unknown:
            raise InputError(f"account_for: unknown site_id {unknown[0]!r}; expected ids of the plan's sites")
        columns = np.flatnonzero(np.isin(ids, wanted))
        covered = np.diff(self.coverage.within(self.minutes)[:, columns].tocsr().indptr) > 0
        return self.ledger.restated(covered, columns, self.existing)

    @cached_property
    def site_isochrones(self) -> gpd.GeoDataFrame:
        """
        The walking area of every site, chosen or not (EPSG:4326; ``site_id`` and geometry, in :attr:`sites` order).

        The chosen stations' are :attr:`isochrones` (drawn once, by the plan); the others' are drawn on first use,
        from the same network and walk, for the what-if page (:func:`planner.outputs.maps.whatif_inputs`).
        """
        ids = self.sites["site_id"].astype(str).to_numpy()
        chosen = np.zeros(len(ids), bool)
        chosen[np.asarray(self.solution.selected, np.int64)] = True
        known = dict(zip(self.isochrones["site_id"].astype(str), self.isochrones.geometry.values))
        unique = len(set(ids)) == len(ids)  # else every area is drawn again, in the order of the sites
        todo = np.flatnonzero(~chosen | ~np.isin(ids, list(known))) if unique else np.arange(len(ids))
        shapes = np.array([known.get(i) if unique else None for i in ids], dtype=object)
        if len(todo):
            shapes[todo] = isochrones(self.network, self.sites.iloc[todo], minutes=self.minutes).geometry.values
        return gpd.GeoDataFrame({"site_id": ids}, geometry=pd.Series(shapes).values, crs="EPSG:4326")
