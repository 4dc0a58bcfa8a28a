"""The ``planner curve`` stage: the exact coverage optimum for every number of stations, and its chart."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from planner.config import DEFAULTS, check_positive
from planner.optimize import coverage_curve
from planner.outputs.plots import curve_png
from planner.reach.matrix import coverage
from planner.runs.inputs import InputOptions, load_sites, network_for, read_homes

__all__ = ["coverage_curve_plan", "name_sites"]


def coverage_curve_plan(
    source: str | os.PathLike | None = None,
    *,
    demand: str | os.PathLike | None = None,
    candidates: str | os.PathLike | None = None,
    existing: str | os.PathLike | None = None,
    minutes: float = DEFAULTS.minutes,
    speed_kmh: float = DEFAULTS.speed_kmh,
    max_p: int,
    time_limit: float | None = None,
    network: nx.MultiDiGraph | None = None,
    progress: Callable[[str, float], None] | None = None,
    input_crs: str | dict[str, str] | None = None,
    name_column: str | None = None,
    population_column: str | None = None,
    boundary: Any = None,
    boundary_name: str | None = None,
    raster_mode: str = "buildings",
    raster_units: str | None = None,
    raster_band: int | None = None,
    lang: str = "en",
) -> tuple[pd.DataFrame, dict[str, int | None], bytes]:
    """
    The coverage curve of a source: exact mclp optimum for p = 1..max_p and a PNG plot.

    Returns
    -------
    curve, needed, png
        See :func:`planner.optimize.coverage_curve`; ``png`` holds the plot's bytes, labelled in
        ``lang`` (``"en"`` or ``"zh"``, see :func:`planner.outputs.plots.curve_png`).
    """
    minutes = check_positive("minutes", minutes)
    options = InputOptions(input_crs, name_column, population_column, raster_mode, raster_units, raster_band)
    network = network_for(
        source,
        network,
        walk_minutes=minutes,
        speed_kmh=speed_kmh,
        progress=progress,
        boundary=boundary,
        boundary_name=boundary_name,
    )
    homes = read_homes(demand, network, options, progress)
    sites = load_sites(network, candidates, existing, progress, options)
    cov = coverage(network, homes, sites, minutes=minutes, progress=progress)
    required = np.flatnonzero(sites["existing"].to_numpy(bool))
    curve, needed = coverage_curve(cov, max_p=max_p, required=required, time_limit=time_limit, progress=progress)
    curve = name_sites(curve, sites)
    return curve, needed, curve_png(curve, minutes, lang)


def name_sites(curve: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """
    The curve with each p's stations named (``site_ids``, ``names``; ``; ``-separated) instead of column indices.

    Parameters
    ----------
    curve
        :func:`planner.optimize.coverage_curve`'s table (``selected``: space-separated columns of ``sites``).
    sites
        The sites its coverage was computed for.

    Returns
    -------
    pandas.DataFrame
        The same rows; ``selected`` replaced by ``site_ids`` and ``names``.
    """
    ids = sites["site_id"].astype(str).to_numpy()
    names = sites["name"].astype(str).to_numpy()
    columns = [[int(c) for c in str(text).split()] for text in curve["selected"]]
    out = curve.drop(columns="selected")
    out["site_ids"] = ["; ".join(ids[c]) for c in columns]
    out["names"] = ["; ".join(names[c]) for c in columns]
    return out
