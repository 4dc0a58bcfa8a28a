"""Stage 2b: places that could host a station.

:func:`load_candidates` returns points with ``site_id`` and ``name``. By default
they are read from the network's own OSM source: every feature tagged with one of
:data:`planner.config.CANDIDATE_TAGS` (community centres, social facilities, town
halls, libraries, property-management and government offices, parks, playgrounds
and squares). Polygons contribute a point on their surface. A planner's own list
(CSV ``lon, lat[, name][, site_id]``, GeoJSON or GPKG) replaces it; existing
stations come in the same way with ``existing=True``.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from ._graph import check_datum, drop_far_points
from ._osm import read_features
from .boundary import split_by_boundary
from .config import CANDIDATE_TAGS, DEFAULTS, OPEN_AIR_KINDS, TIER_ALIASES
from .errors import DataError, InputError
from .io import cell_phrase, read_points
from .network import network_source


def load_candidates(
    source: str | os.PathLike | None = None,
    *,
    network: nx.MultiDiGraph,
    existing: bool = False,
    tags: dict[str, list[str]] | None = None,
    max_snap_m: float = DEFAULTS.max_snap_m,
    progress: Callable[[str, float], None] | None = None,
    crs: str | None = None,
    name_column: str | None = None,
) -> gpd.GeoDataFrame:
    """
    Places that could host a station (or that already do).

    Parameters
    ----------
    source
        ``None`` to read tagged OSM places from the network's source, or a CSV
        (``lon``, ``lat`` and optional ``name``, ``site_id``, ``cost`` for the
        budget model, ``tier``: what the site may become in a tiered plan, see
        :func:`read_tiers`), GeoJSON or GPKG file.
    network
        The walking network (its CRS is used; points too far from it are dropped).
    existing
        Mark the sites as existing stations (kept as required sites by the solver);
        generated ids then start with ``existing-``.
    tags
        OSM tags of candidate places; default :data:`planner.config.CANDIDATE_TAGS`.
    crs
        Datum or CRS of the file's coordinates (see :func:`planner.load_demand`).
    name_column
        The file's column holding the site names, when its header is none of
        :data:`planner.config.COLUMN_ALIASES` (``--name-column``).
    max_snap_m
        Points farther than this from the network are left out with a warning
        naming them; they are listed in ``sites.attrs["off_network"]``.

    Returns
    -------
    sites
        Points in the network's CRS with ``site_id`` (str), ``name``, ``kind`` (the
        matching tag or ``file``), ``existing`` (bool) and ``tier`` (``centre``,
        ``grid`` or ``any``: what the site may become in a tiered plan; OSM parks,
        squares and playgrounds are ``grid``, see :data:`planner.config.TIER_ALIASES`),
        ordered by ``site_id``.

    Raises
    ------
    InputError
        Unreadable file or wrong columns.
    DataError
        No candidate places in the area, or every point off the network.
    """
    input_crs, crs = crs, network.graph["crs"]
    what = "existing stations" if existing else "candidates"
    prefix = "existing" if existing else "site"
    if source is not None:
        gdf = read_points(source, what=what, crs=input_crs, name_column=name_column)
        if input_crs is None:
            check_datum(network, gdf, what=what, source=source, option="existing" if existing else "candidates")
        n = len(gdf)
        ids = gdf["site_id"].astype(str).to_numpy() if "site_id" in gdf else np.array([f"{prefix}-{i + 1:04d}" for i in range(n)])
        names = gdf["name"].fillna("").astype(str).to_numpy() if "name" in gdf else ids.copy()
        kind = np.full(n, "file", dtype=object)
        geometry = gdf.geometry.to_crs(crs).values
        extra = {}
        if "cost" in gdf:
            cost = pd.to_numeric(gdf["cost"], errors="coerce")
            if cost.isna().any() or (cost < 0).any():
                i = int(np.flatnonzero((cost.isna() | (cost < 0)).to_numpy())[0])
                raise InputError(f"{source}: {cell_phrase(i + 1, 'cost', gdf['cost'].iloc[i:i + 1].tolist()[0])}; expected a non-negative number")
            extra["cost"] = cost.to_numpy(float)
        tier = read_tiers(gdf["tier"], source=source, existing=existing) if "tier" in gdf else None
    else:
        src = network_source(network)
        if progress:
            progress(f"reading candidate places from {src.label}", 0.0)
        feats = read_features(src, tags or CANDIDATE_TAGS)
        if len(feats) == 0:
            raise DataError(
                f"{src.label}: no candidate places (community centres, offices, parks, squares...) found; "
                f"pass a list of {what} with --candidates (CSV: lon, lat, name)"
            )
        feats = feats.to_crs(crs)
        kind = _matching_tag(feats, tags or CANDIDATE_TAGS)
        osm_type = feats["osm_type"].astype(str).to_numpy()
        osm_id = feats["osm_id"].astype("int64").to_numpy()
        ids = np.array([f"osm-{t}-{i}" for t, i in zip(osm_type, osm_id)])
        raw_names = feats["name"] if "name" in feats else pd.Series([None] * len(feats))
        names = np.array(
            [nm if isinstance(nm, str) and nm.strip() else f"{k} ({t} {i})" for nm, k, t, i in zip(raw_names, kind, osm_type, osm_id)],
            dtype=object,
        )
        geometry = feats.geometry.representative_point().values
        extra = {}
        tier = np.where(np.isin(kind, OPEN_AIR_KINDS), "grid", "any").astype(object)
    if tier is None:
        tier = np.full(len(ids), "grid" if existing else "any", dtype=object)
    sites = gpd.GeoDataFrame(
        {"site_id": ids, "name": names, "kind": kind, "existing": np.full(len(ids), existing), "tier": tier, **extra},
        geometry=geometry,
        crs=crs,
    )
    sites = sites.drop_duplicates("site_id", keep="first")
    sites, outside = split_by_boundary(network, sites, what)
    sites = drop_far_points(network, sites, what=what, max_snap_m=max_snap_m)
    sites = sites.sort_values("site_id", kind="stable").reset_index(drop=True)
    if "boundary" in network.graph:
        sites.attrs["outside_boundary"] = outside
    if progress:
        progress(f"{what}: {len(sites):,} sites", 1.0)
    return sites


def read_tiers(values: pd.Series, *, source: object, existing: bool) -> np.ndarray:
    """
    Normalise a ``tier`` column: ``centre``, ``grid`` or ``any``.

    Parameters
    ----------
    values
        The column as read (any case; English or Chinese words of
        :data:`planner.config.TIER_ALIASES`).
    source
        The file, for messages.
    existing
        Whether the file lists existing stations: an empty cell then means ``grid``
        (an existing station is a grid station unless told otherwise), else ``any``.

    Returns
    -------
    tiers
        One of ``centre``, ``grid``, ``any`` per row.

    Raises
    ------
    InputError
        A value that names no tier, with its row.
    """
    lookup = {alias.lower(): tier for tier, aliases in TIER_ALIASES.items() for alias in aliases}
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip().str.lower()
    text = text.replace({"nan": "", "none": ""})
    tiers = text.map(lookup)
    tiers[text == ""] = "grid" if existing else "any"
    bad = tiers.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{source}: {cell_phrase(i + 1, 'tier', values.iloc[i])}; expected centre (社区党群服务中心), "
                         "grid (网格站) or any")
    return tiers.to_numpy(object)


def _matching_tag(feats: pd.DataFrame, tags: dict[str, list[str]]) -> np.ndarray:
    kind = np.full(len(feats), "", dtype=object)
    for key, values in tags.items():
        if key not in feats:
            continue
        col = feats[key].astype(str).to_numpy()
        hit = (kind == "") & np.isin(col, list(values))
        kind[hit] = col[hit]
    kind[kind == ""] = "place"
    return kind
