"""The result of a plan run: :class:`Plan`, its account (:class:`planner.ledger.Ledger`) and how it is written.

A plan is data: the stage outputs, the solution and the account of every resident and site, computed once by
:func:`planner.plan`; its methods render it (map, report, files) and compute no figure of their own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.ledger import Ledger
from planner.network.boundary import planning_area
from planner.optimize import Solution
from planner.outputs.files import csv_text, geojson_text, json_text, write_outputs, xlsx_bytes
from planner.outputs.gis_layers import gis_files
from planner.outputs.maps import plan_map, whatif_inputs
from planner.outputs.report import plan_report
from planner.outputs.summary import plan_summary, station_sheet, station_table
from planner.reach.matrix import Coverage
from planner.reach.walk_areas import isochrones

__all__ = ["OUTPUT_FILES", "Plan", "served_population"]


#: file names written by :meth:`Plan.write` (and ``areas.csv``, ``shp/``, ``plan.dxf`` when asked for)
OUTPUT_FILES = (
    "plan.html",
    "plan.gpkg",
    "report.html",
    "stations.geojson",
    "stations.csv",
    "stations.xlsx",
    "isochrones.geojson",
    "summary.json",
    "unreachable.csv",
)


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

    @cached_property
    def summary(self) -> dict[str, Any]:
        """The figures written to ``summary.json``, computed from the fields above."""
        return plan_summary(self)

    def map(
        self,
        *,
        lang: str = "en",
        offline: bool = False,
        basemap: str = "osm",
        tianditu_key: str | None = None,
        inline_assets: bool = False,
        whatif: bool = False,
    ) -> Any:
        """
        The Folium map of this plan (see :func:`planner.plan_map`).

        Parameters
        ----------
        lang
            ``"en"`` or ``"zh"``.
        offline, inline_assets
            ``offline``: one self-contained page, Leaflet inlined, the plan's streets and :attr:`footprints` as the
            basemap (a ``basemap`` other than ``osm`` tiled over them); ``inline_assets``: Leaflet inlined only.
        basemap, tianditu_key, whatif
            Tile service (``osm``, ``carto``, ``tianditu``, ``gaode``) and the Tianditu key; ``whatif``: click to
            add and remove stations in the browser (:func:`planner.outputs.maps.whatif_inputs`).
        """
        is_existing = self.existing
        return plan_map(
            self.stations,
            self.isochrones,
            self.demand,
            self.solution.covered,
            existing=self.sites[is_existing],
            minutes=self.minutes,
            summary=self.summary,
            lang=lang,
            unreachable=self.unreachable,
            candidates=self.sites[~is_existing],
            network=self.network,
            covered_before=self.ledger.before,
            offline=offline,
            basemap=basemap,
            tianditu_key=tianditu_key,
            footprints=self.footprints,
            areas=self.areas,
            boundary=planning_area(self.network),
            inline_assets=inline_assets,
            whatif=whatif_inputs(self) if whatif else None,
        )

    def report(self, *, lang: str = "en") -> str:
        """The committee report: one printable, self-contained HTML page (see :func:`planner.outputs.report.plan_report`)."""
        return plan_report(self, lang=lang)

    def write(
        self,
        out_dir: str | os.PathLike,
        *,
        lang: str = "en",
        offline: bool = False,
        basemap: str = "osm",
        tianditu_key: str | None = None,
        inline_assets: bool = False,
        shapefile: bool = False,
        dxf: bool = False,
        output_crs: str | None = None,
        whatif: bool = False,
    ) -> list[Path]:
        """Write :data:`OUTPUT_FILES` atomically, return the paths; options: :meth:`map`, :func:`.layers.gis_files`."""
        view: dict[str, Any] = dict(offline=offline, basemap=basemap, tianditu_key=tianditu_key, whatif=whatif)
        files = {
            "plan.html": self.map(lang=lang, inline_assets=inline_assets, **view).get_root().render(),
            "report.html": self.report(lang=lang),
            "stations.geojson": geojson_text(self.stations),
            "stations.csv": csv_text(self.stations.drop(columns="geometry")),
            "stations.xlsx": xlsx_bytes(station_sheet(self.stations, lang), "站点" if lang == "zh" else "stations"),
            "isochrones.geojson": geojson_text(self.isochrones),
            "summary.json": json_text(self.summary),
        }
        if self.unreachable is not None and len(self.unreachable):
            files["unreachable.csv"] = csv_text(self.unreachable)
        if self.area_table is not None:
            files["areas.csv"] = csv_text(self.area_table)
        files.update(gis_files(self, shapefile=shapefile, dxf=dxf, output_crs=output_crs))
        return write_outputs(out_dir, files, owned=(*OUTPUT_FILES, "areas.csv", "plan.dxf", "shp"))


def served_population(sol: Solution, cov: Coverage) -> float | None:
    """The model's served residents where they differ from its covered homes' (a capacity split), else ``None``."""
    whole = float(cov.population[np.asarray(sol.covered, bool)].sum())
    return sol.population_covered if abs(sol.population_covered - whole) > 1e-6 else None
