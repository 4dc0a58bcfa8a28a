"""The ``planner curve`` stage: the exact coverage optimum for every number of stations, and its chart."""

from __future__ import annotations

import os
from collections.abc import Callable

import networkx as nx
import numpy as np
import pandas as pd

from planner.optimize import coverage_curve
from planner.outputs.plots import curve_png
from planner.reach.matrix import coverage
from planner.runs.inputs import load_sites, network_for, read_homes
from planner.study import Study, Walk

__all__ = ["coverage_curve_plan", "name_sites"]


def coverage_curve_plan(
    study: Study | str | os.PathLike | nx.MultiDiGraph | None = None,
    *,
    walk: Walk | None = None,
    max_p: int,
    time_limit: float | None = None,
    progress: Callable[[str, float], None] | None = None,
    lang: str = "en",
) -> tuple[pd.DataFrame, dict[str, int | None], bytes]:
    """
    The coverage curve of a study: exact mclp optimum for p = 1..max_p and a PNG plot.

    Parameters
    ----------
    study, walk
        As for :func:`planner.plan`.
    max_p, time_limit
        The largest number of stations, and each solve's time limit (see :func:`planner.optimize.coverage_curve`).
    progress
        Optional callback ``progress(message, fraction)``.
    lang
        ``"en"`` or ``"zh"``: the plot's labels.

    Returns
    -------
    curve, needed, png
        See :func:`planner.optimize.coverage_curve`; ``png`` holds the plot's bytes, labelled in
        ``lang`` (``"en"`` or ``"zh"``, see :func:`planner.outputs.plots.curve_png`).
    """
    study, walk = Study.of(study), walk or Walk()
    minutes = walk.minutes
    network = network_for(study, walk, progress)
    homes = read_homes(study, network, progress)
    sites = load_sites(network, study, progress)
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
