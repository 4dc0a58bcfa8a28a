"""Homes no candidate reaches: why, and the nearest candidate beyond the walk."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from planner.config import DEFAULTS
from planner.reach.arrays import network_arrays
from planner.reach.matrix import coverage, nearest_entries
from planner.reach.snapping import snap

__all__ = ["DIAGNOSIS_MINUTES", "diagnose_unreachable"]


#: how far the diagnosis of unreachable homes looks for the nearest candidate
DIAGNOSIS_MINUTES = 60.0


def diagnose_unreachable(
    network: nx.MultiDiGraph,
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    rows: np.ndarray,
    *,
    look_minutes: float = DIAGNOSIS_MINUTES,
    minutes: float = DEFAULTS.minutes,
    max_snap_m: float = DEFAULTS.max_snap_m,
    unusable: np.ndarray | None = None,
    unusable_why: str = "",
) -> pd.DataFrame:
    """
    Homes no candidate reaches: their population, nearest candidate and its walk.

    Parameters
    ----------
    network, demand, sites
        As for :func:`planner.reach.matrix`.
    rows
        Row indices of ``demand`` that no site reaches within the plan's limit.
    look_minutes
        How far to look for the nearest candidate; farther ones are reported as
        beyond this many minutes (``nearest_minutes`` NaN here, empty in
        ``unreachable.csv`` and ``null`` in ``summary.json``).
    minutes, max_snap_m
        The plan's walking limit and snapping distance, for the reasons.
    unusable, unusable_why
        Per site, whether the model could not use it (a tiered plan's grid-only site with no
        possible centre within its walk), and why: a home whose only sites within ``minutes``
        are such gets the reason ``only unusable sites within 5 min (why)``, not "no candidate".

    Returns
    -------
    table
        One row per home, most populous first: ``demand_id``, ``name`` (when the demand
        file names its homes), ``population``,
        ``lon``, ``lat``, ``reason`` (``no street within 250 m`` or ``no
        candidate within 5 min``, or the ``unusable`` one), ``street_m`` (walk to the nearest street, in
        metres), ``nearest_site_id``, ``nearest_site_name``, ``nearest_minutes``.
    """
    rows = np.asarray(rows, dtype=np.int64)
    homes = demand.iloc[rows]
    # walking is two-way: search from the few unreachable homes to the sites
    back = coverage(network, sites, homes.rename(columns={"demand_id": "site_id"}), minutes=look_minutes).minutes
    nearest, walk = nearest_entries(back.T)
    walk[~np.isfinite(walk)] = np.nan
    ll = homes.to_crs("EPSG:4326")
    if "street_m" in homes:  # measured by load_demand
        street_m = homes["street_m"].to_numpy(float)
    else:
        street_m = snap(network_arrays(network), homes.to_crs(network.graph["crs"]).geometry.values).distance_m
    off = street_m > max_snap_m
    reason = np.where(off, f"no street within {max_snap_m:g} m", f"no candidate within {minutes:g} min").astype(object)
    if unusable is not None and len(rows):
        near = sp.csr_matrix(back.T)
        near.data = (near.data <= minutes).astype(float)  # sites within the plan's walk of each home
        some = np.asarray(near.sum(axis=1)).ravel() > 0
        usable = np.asarray(near @ (~np.asarray(unusable, bool)).astype(float)).ravel() > 0
        reason[~off & some & ~usable] = f"only unusable sites within {minutes:g} min ({unusable_why})"
    table = pd.DataFrame(
        {
            "demand_id": homes["demand_id"].to_numpy(),
            **({"name": homes["name"].to_numpy(object)} if "name" in homes else {}),
            "population": np.round(homes["population"].to_numpy(float), 1),
            "lon": np.round(ll.geometry.x.to_numpy(), 7),
            "lat": np.round(ll.geometry.y.to_numpy(), 7),
            "reason": reason,
            "street_m": np.round(street_m, 1),
            "nearest_site_id": np.where(nearest >= 0, sites["site_id"].to_numpy()[np.maximum(nearest, 0)], None),
            "nearest_site_name": np.where(nearest >= 0, sites["name"].to_numpy()[np.maximum(nearest, 0)], None),
            "nearest_minutes": np.round(walk, 2),
        }
    )
    return table.sort_values(["population", "demand_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
