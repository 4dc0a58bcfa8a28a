"""Reading a run's inputs the same way for ``plan``, ``score`` and ``curve``: the network, the homes, the sites."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd

from planner.demand.points import load_demand
from planner.network.sources import load_network
from planner.sites import duplicate_records, input_crs_of, load_candidates

__all__ = ["InputOptions", "load_sites", "network_for", "read_homes", "read_sites"]

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class InputOptions:
    """
    How the planner's own files are read (see :func:`planner.plan`).

    Attributes
    ----------
    input_crs
        Datum or CRS of the input files, for all or by file (:func:`planner.sites.input_crs_of`).
    name_column, population_column
        Headers that are none of :data:`planner.config.COLUMN_ALIASES`.
    raster_mode, raster_units, raster_band
        For a demand raster (:func:`planner.load_demand`).
    """

    input_crs: str | dict[str, str] | None = None
    name_column: str | None = None
    population_column: str | None = None
    raster_mode: str = "buildings"
    raster_units: str | None = None
    raster_band: int | None = None


def network_for(
    source: Any,
    network: nx.MultiDiGraph | None,
    *,
    walk_minutes: float,
    speed_kmh: float,
    progress: Progress | None,
    boundary: Any,
    boundary_name: str | None,
) -> nx.MultiDiGraph:
    """The network given, else :func:`planner.load_network` with a margin of ``walk_minutes`` around the boundary."""
    if network is not None:
        return network
    return load_network(
        source,
        speed_kmh=speed_kmh,
        progress=progress,
        boundary=boundary,
        boundary_name=boundary_name,
        margin_m=walk_minutes * speed_kmh * 1000.0 / 60.0,
    )


def read_homes(
    demand: str | os.PathLike | None,
    network: nx.MultiDiGraph,
    options: InputOptions,
    progress: Progress | None,
    *,
    footprints: bool = False,
) -> Any:
    """:func:`planner.load_demand` with the run's options (with ``footprints``: the homes and the shapes read)."""
    return load_demand(
        demand,
        network=network,
        progress=progress,
        footprints=footprints,
        crs=input_crs_of(options.input_crs, "demand"),
        population_column=options.population_column,
        raster_mode=options.raster_mode,
        raster_units=options.raster_units,
        raster_band=options.raster_band,
    )


def read_sites(
    path: str | os.PathLike | None,
    network: nx.MultiDiGraph,
    options: InputOptions,
    progress: Progress | None,
    *,
    which: str = "candidates",
) -> gpd.GeoDataFrame:
    """:func:`planner.load_candidates` for the run's ``candidates``, ``existing`` or ``sites`` file."""
    return load_candidates(
        path,
        network=network,
        existing=which == "existing",
        progress=progress,
        crs=input_crs_of(options.input_crs, which),
        name_column=options.name_column,
        input_key=which,
    )


def load_sites(
    network: nx.MultiDiGraph,
    candidates: str | os.PathLike | None,
    existing: str | os.PathLike | None,
    progress: Callable[[str, float], None] | None = None,
    options: InputOptions | None = None,
) -> gpd.GeoDataFrame:
    """
    Candidates followed by existing stations, one frame (a candidate with an existing station's ``site_id`` goes).

    ``attrs`` carries the sites left off the network (``off_network``, each marked
    ``existing``) and the candidates outside the boundary (``outside_boundary``).
    """
    options = options or InputOptions()
    cands = read_sites(candidates, network, options, progress)
    if existing is None:
        return cands
    ex = read_sites(existing, network, options, progress, which="existing")
    clash = cands["site_id"].isin(set(ex["site_id"])).to_numpy()
    duplicates = [*cands.attrs.get("duplicates", []), *ex.attrs.get("duplicates", [])]
    if clash.any():
        duplicates += duplicate_records(cands[clash], "an existing station has this site_id")
        cands = cands[~clash]
    off = [
        {**row, "existing": flag}
        for frame, flag in ((cands, False), (ex, True))
        for row in frame.attrs.get("off_network", [])
    ]
    outside = cands.attrs.get("outside_boundary")
    files = {k: v for k, v in {**cands.attrs, **ex.attrs}.items() if k.endswith("_file")}
    cands.attrs, ex.attrs = {}, {}
    both = pd.concat([cands, ex], ignore_index=True)
    both.attrs = {"off_network": off} if off else {}
    if duplicates:
        both.attrs["duplicates"] = duplicates
    if outside:
        both.attrs["outside_boundary"] = outside
    both.attrs.update(files)
    return both
