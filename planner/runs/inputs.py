"""Reading a study's inputs (:class:`planner.study.Study`) the same way for ``plan``, ``score`` and ``curve``."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd

from planner.demand.points import load_demand
from planner.network.sources import load_network
from planner.sites import duplicate_records, input_crs_of, load_candidates
from planner.study import Study, Walk

__all__ = ["load_sites", "network_for", "read_homes", "read_sites"]

Progress = Callable[[str, float], None]


def network_for(
    study: Study, walk: Walk, progress: Progress | None, *, minutes: float | None = None
) -> nx.MultiDiGraph:
    """The study's network, else :func:`planner.load_network` with the streets a walk of ``minutes`` around the boundary."""
    if study.network is not None:
        return study.network
    return load_network(
        study.source,
        speed_kmh=walk.speed_kmh,
        progress=progress,
        boundary=study.boundary,
        boundary_name=study.boundary_name,
        margin_m=walk.margin_m(minutes),
    )


def read_homes(study: Study, network: nx.MultiDiGraph, progress: Progress | None, *, footprints: bool = False) -> Any:
    """:func:`planner.load_demand` of the study (with ``footprints``: the homes and the shapes read)."""
    return load_demand(
        study.demand,
        network=network,
        progress=progress,
        footprints=footprints,
        crs=input_crs_of(study.input_crs, "demand"),
        population_column=study.population_column,
        raster_mode=study.raster_mode,
        raster_units=study.raster_units,
        raster_band=study.raster_band,
    )


def read_sites(
    path: str | os.PathLike | None,
    network: nx.MultiDiGraph,
    study: Study,
    progress: Progress | None,
    *,
    which: str = "candidates",
) -> gpd.GeoDataFrame:
    """:func:`planner.load_candidates` for the study's ``candidates``, ``existing`` or ``sites`` file."""
    return load_candidates(
        path,
        network=network,
        existing=which == "existing",
        progress=progress,
        crs=input_crs_of(study.input_crs, which),
        name_column=study.name_column,
        input_key=which,
    )


def load_sites(network: nx.MultiDiGraph, study: Study, progress: Progress | None = None) -> gpd.GeoDataFrame:
    """
    Candidates followed by existing stations, one frame (a candidate with an existing station's ``site_id`` goes).

    ``attrs`` carries the sites left off the network (``off_network``, each marked
    ``existing``) and the candidates outside the boundary (``outside_boundary``).
    """
    cands = read_sites(study.candidates, network, study, progress)
    if study.existing is None:
        return cands
    ex = read_sites(study.existing, network, study, progress, which="existing")
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
