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
from typing import NamedTuple

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from planner.config import CANDIDATE_TAGS, DEFAULTS, OPEN_AIR_KINDS, TIER_ALIASES
from planner.errors import DataError, InputError
from planner.io import cell_phrase, left_out_records, read_points
from planner.network.boundary import split_by_boundary
from planner.network.osm import read_features
from planner.network.sources import network_source
from planner.reach.arrays import network_arrays
from planner.reach.snapping import check_datum, drop_far_points

__all__ = [
    "INPUT_FILES",
    "THIN_CANDIDATES_PER_KM",
    "THIN_RESIDENTS_PER_KM",
    "duplicate_records",
    "input_crs_of",
    "load_candidates",
    "read_tiers",
    "site_costs",
    "warn_thin_osm",
]


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
    input_key: str | None = None,
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
    input_key
        The ``--input-crs`` key the file is read under, named when its points look like GCJ-02 or BD-09
        (default ``candidates`` / ``existing``; ``planner score`` reads its shortlist as ``sites``).
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
    what = "existing stations" if existing else "candidates"
    if source is not None:
        key = input_key or ("existing" if existing else "candidates")
        found = _file_sites(source, network, what=what, existing=existing, crs=crs, name_column=name_column, key=key)
    else:
        found = _osm_sites(network, tags or CANDIDATE_TAGS, what=what, progress=progress)
    n = len(found.ids)
    tier = found.tier if found.tier is not None else np.full(n, "grid" if existing else "any", dtype=object)
    sites = gpd.GeoDataFrame(
        {
            "site_id": found.ids,
            "name": found.names,
            "kind": found.kind,
            "existing": np.full(n, existing),
            "tier": tier,
            **found.extra,
        },
        geometry=found.geometry,
        crs=network.graph["crs"],
    )
    sites = _kept_sites(sites, network, what=what, max_snap_m=max_snap_m)
    if source is not None:  # named in the summary and the report
        sites.attrs["existing_file" if existing else "candidate_file"] = os.path.basename(os.fspath(source))
    if progress:
        progress(f"{what}: {len(sites):,} sites", 1.0)
    return sites


class _Found(NamedTuple):
    """The sites a source gives, before they are checked against the network: one entry per site."""

    ids: np.ndarray
    names: np.ndarray
    kind: np.ndarray
    geometry: np.ndarray  # in the network's CRS
    tier: np.ndarray | None  # None: the default for new / existing sites
    extra: dict[str, np.ndarray]  # further columns (``cost``)


def _file_sites(
    source: str | os.PathLike,
    network: nx.MultiDiGraph,
    *,
    what: str,
    existing: bool,
    crs: str | None,
    name_column: str | None,
    key: str,
) -> _Found:
    """The sites of a user's file (its datum checked against the streets); ids ``site-0001``... when it has none."""
    gdf = read_points(source, what=what, crs=crs, name_column=name_column)
    check_datum(network, gdf, what=what, source=source, option=key, declared=crs)
    n = len(gdf)
    prefix = "existing" if existing else "site"
    ids = (
        gdf["site_id"].astype(str).to_numpy()
        if "site_id" in gdf
        else np.array([f"{prefix}-{i + 1:04d}" for i in range(n)])
    )
    names = gdf["name"].fillna("").astype(str).to_numpy() if "name" in gdf else ids.copy()
    names = np.where(np.char.strip(names.astype(str)) == "", ids, names).astype(object)  # a blank name: its id
    extra = {"cost": _file_costs(source, gdf["cost"])} if "cost" in gdf else {}
    tier = read_tiers(gdf["tier"], source=source, existing=existing) if "tier" in gdf else None
    geometry = gdf.geometry.to_crs(network.graph["crs"]).values
    return _Found(ids, names, np.full(n, "file", dtype=object), geometry, tier, extra)


def _file_costs(source: str | os.PathLike, values: pd.Series) -> np.ndarray:
    """A file's ``cost`` column as numbers; :class:`InputError` naming the first cell that is not one, or negative."""
    cost = pd.to_numeric(values, errors="coerce")
    if cost.isna().any() or (cost < 0).any():
        i = int(np.flatnonzero((cost.isna() | (cost < 0)).to_numpy())[0])
        raise InputError(
            f"{source}: {cell_phrase(i + 1, 'cost', values.iloc[i : i + 1].tolist()[0])}; expected a non-negative number"
        )
    return cost.to_numpy(float)


def _osm_sites(
    network: nx.MultiDiGraph,
    tags: dict[str, list[str]],
    *,
    what: str,
    progress: Callable[[str, float], None] | None,
) -> _Found:
    """The OSM places of the network's source carrying one of ``tags`` (a point on each polygon's surface).

    Ids are ``osm-<type>-<id>``; a place without a name is named by its tag and id.
    Parks, squares and playgrounds (:data:`planner.config.OPEN_AIR_KINDS`) may
    only be ``grid`` stations.
    """
    src = network_source(network)
    if progress:
        progress(f"reading candidate places from {src.label}", 0.0)
    feats = read_features(src, tags)
    if len(feats) == 0:
        raise DataError(
            f"{src.label}: no candidate places (community centres, offices, parks, squares...) found; "
            f"pass a list of {what} with --candidates (CSV: lon, lat, name)"
        )
    feats = feats.to_crs(network.graph["crs"])
    kind = _matching_tag(feats, tags)
    osm_type = feats["osm_type"].astype(str).to_numpy()
    osm_id = feats["osm_id"].astype("int64").to_numpy()
    ids = np.array([f"osm-{t}-{i}" for t, i in zip(osm_type, osm_id)])
    raw_names = feats["name"] if "name" in feats else pd.Series([None] * len(feats))
    names = np.array(
        [
            nm if isinstance(nm, str) and nm.strip() else f"{k} ({t} {i})"
            for nm, k, t, i in zip(raw_names, kind, osm_type, osm_id)
        ],
        dtype=object,
    )
    geometry = feats.geometry.representative_point().values
    tier = np.where(np.isin(kind, OPEN_AIR_KINDS), "grid", "any").astype(object)
    return _Found(ids, names, kind, geometry, tier, {})


def _kept_sites(sites: gpd.GeoDataFrame, network: nx.MultiDiGraph, *, what: str, max_snap_m: float) -> gpd.GeoDataFrame:
    """The sites kept: a repeated ``site_id``, those outside the boundary and those off the streets set aside.

    Sorted by ``site_id``; what was set aside is recorded in ``attrs``
    (``duplicates``, ``outside_boundary``; ``off_network`` by
    :func:`planner.reach.snapping.drop_far_points`).
    """
    repeated = sites["site_id"].duplicated(keep="first").to_numpy()
    duplicates = duplicate_records(sites[repeated], "repeated site_id in the file")
    sites = sites[~repeated]
    sites, outside = split_by_boundary(network, sites, what)
    sites = drop_far_points(network, sites, what=what, max_snap_m=max_snap_m)
    sites = sites.sort_values("site_id", kind="stable").reset_index(drop=True)
    if "boundary" in network.graph:
        sites.attrs["outside_boundary"] = outside
    if duplicates:  # in the plan's account: every input row has a class
        sites.attrs["duplicates"] = duplicates
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
        raise InputError(
            f"{source}: {cell_phrase(i + 1, 'tier', values.iloc[i])}; expected centre (社区党群服务中心), "
            "grid (网格站) or any"
        )
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


def site_costs(sites: gpd.GeoDataFrame) -> np.ndarray:
    """
    Cost of opening each site, row by row.

    A site with a ``cost`` (from its file) costs that; an existing station without
    one costs nothing (it is built); any other site costs
    :data:`planner.config.SITE_COSTS` by kind (renovating a room, or a
    prefabricated kiosk in a park or square). A candidates file with a ``cost``
    column must give every row one (checked when it is read), so costed and
    uncosted files can be mixed: ``--candidates`` with costs and ``--existing``
    without them is the usual case.

    Parameters
    ----------
    sites
        Candidates and existing stations (``kind``, ``existing``, optional ``cost``).

    Returns
    -------
    costs
        One non-negative number per row.
    """
    from planner.config import SITE_COSTS

    kinds = sites["kind"].astype(str)
    by_kind = kinds.map(
        lambda k: SITE_COSTS["prefabricated"] if k in SITE_COSTS["prefabricated_kinds"] else SITE_COSTS["renovate"]
    )
    costs = by_kind.to_numpy(float).copy()
    costs[sites["existing"].to_numpy(bool)] = 0.0
    if "cost" in sites:
        given = pd.to_numeric(sites["cost"], errors="coerce").to_numpy(float)
        costs = np.where(np.isfinite(given), given, costs)
    return costs


#: the files ``input_crs`` can name one by one
INPUT_FILES = ("demand", "candidates", "existing", "sites", "areas")


def input_crs_of(input_crs: str | dict[str, str] | None, which: str) -> str | None:
    """
    The datum / CRS of one input file.

    Parameters
    ----------
    input_crs
        ``None`` (WGS-84 lon/lat, with a warning when the points look like
        GCJ-02 or BD-09), one value for every file (``"gcj02"``), or a dict by
        file (``{"candidates": "gcj02", "demand": "EPSG:4547"}``; the key
        ``"*"`` for the rest).
    which
        One of :data:`INPUT_FILES`.
    """
    if input_crs is None or isinstance(input_crs, str):
        return input_crs
    unknown = set(input_crs) - set(INPUT_FILES) - {"*"}
    if unknown:
        raise InputError(f"input_crs: unknown file {sorted(unknown)[0]!r}; expected one of {', '.join(INPUT_FILES)}")
    return input_crs.get(which, input_crs.get("*"))


#: fewer OSM candidate places than this per km of walkable street: thin OSM (a
#: 5-minute walk spans a few km of streets; Guixi's extract has 0.03, central
#: Helsinki 0.75, Porto 1.0, Monaco 0.13)
THIN_CANDIDATES_PER_KM = 0.1
#: fewer OSM residents than this per km of walkable street: thin OSM (the shared
#: extracts have 77-266)
THIN_RESIDENTS_PER_KM = 50.0


def warn_thin_osm(network: nx.MultiDiGraph, homes: gpd.GeoDataFrame | None, sites: gpd.GeoDataFrame | None) -> None:
    """
    Warn when OpenStreetMap gives few homes or few candidate places for the streets it maps.

    Parameters
    ----------
    network
        The walking network.
    homes, sites
        Demand and candidates read from OSM (``None`` where the planner gave a file).
    """
    import warnings

    arrays = network_arrays(network)
    km = float(arrays.edge_minutes.sum() * arrays.metres_per_minute / 1000.0)
    if km <= 0:
        return
    if "boundary" in network.graph:  # the streets inside the boundary only (not the margin read around it)
        lines = [d["geometry"] for _, _, d in network.edges(data=True)]
        mids = gpd.GeoSeries(shapely.line_interpolate_point(lines, 0.5, normalized=True), crs=network.graph["crs"])
        inside = shapely.intersects(network.graph["boundary"].polygon, mids.to_crs("EPSG:4326").values)
        lengths = shapely.length(lines)
        km *= float(lengths[inside].sum() / lengths.sum()) if lengths.sum() > 0 else 1.0
        if km <= 0:
            return
    label = network.graph.get("source") or "the network's source"
    if homes is not None and len(homes):
        people = float(homes["population"].sum())
        method = str(homes["method"].iloc[0])
        if method == "buildings_untyped" or people / km < THIN_RESIDENTS_PER_KM:
            how = "from untyped buildings (no residential tags)" if method == "buildings_untyped" else f"({method})"
            warnings.warn(
                f"{label}: OpenStreetMap maps few homes here: {people:,.0f} residents {how} along {km:,.0f} km of "
                "streets; pass your population with --demand (points with population, or a census table)",
                UserWarning,
                stacklevel=2,
            )
    if sites is not None:
        osm = int((~sites["existing"].to_numpy(bool)).sum())
        if osm / km < THIN_CANDIDATES_PER_KM:
            warnings.warn(
                f"{label}: OpenStreetMap gives only {osm:,} candidate places along {km:,.0f} km of streets "
                f"(fewer than one per {1 / THIN_CANDIDATES_PER_KM:g} km); pass your own list with --candidates "
                "(CSV or Excel: name, lon, lat)",
                UserWarning,
                stacklevel=2,
            )


def duplicate_records(frame: gpd.GeoDataFrame, why: str) -> list[dict]:
    """Sites left out as duplicates: ``site_id``, ``name``, ``existing``, ``reason``, ``lon`` / ``lat``."""
    return left_out_records(frame, ("site_id", "name", "existing"), reason=why)
