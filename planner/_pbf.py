"""Reading the walking ways of an ``.osm.pbf`` file in compiled code.

Two compiled readers share the work, so that Python touches each highway way once
and never a node:

* GDAL's OSM driver (through pyogrio) gives the geometry of every way with a
  ``highway`` tag (node locations resolved in its own bounded index: in memory
  up to ``OSM_MAX_TMPFILE_SIZE``, then on disk), filtered to a clip area's
  bounding box when there is one;
* libosmium (pyosmium) gives the ways' node ids and tags, filtered to
  ``highway`` ways before Python sees them (``osmium.filter.KeyFilter``).

A way's vertices are its nodes in order, so zipping the two gives every node its
location; a node GDAL does not place (a way it files as an area, or one cut by
the edge of an extract) is looked up in a last libosmium pass over the few such
ids. Locations are rounded to OSM's 1e-7 degree, which gives back exactly the
doubles libosmium and pyrosm read. With a clip area, only ways with a node inside
it are kept, whole, so memory grows with the area kept, not with the file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely

from .config import WALKING_TAGS
from .errors import DataError

__all__ = ["MAX_ID_BLOCKS", "WalkingWays", "read_walking_ways"]

log = logging.getLogger(__name__)


#: the most blocks of 2**22 node ids a libosmium id filter may span (about 1.3 MB each)
MAX_ID_BLOCKS = 48


@dataclass(frozen=True)
class WalkingWays:
    """The walkable segments of an OSM file, and their nodes.

    Attributes
    ----------
    node_id, lon, lat
        The nodes the segments use (sorted by id), WGS-84.
    u, v
        Node ids of each segment's ends, in the way's direction.
    way_id, highway, name
        The segment's way: OSM id, ``highway`` value, ``name`` (``None`` if absent).
    n_ways_read, n_ways_kept
        Highway ways read, and kept (walkable and, with a clip area, touching it).
    """

    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    u: np.ndarray
    v: np.ndarray
    way_id: np.ndarray
    highway: np.ndarray
    name: np.ndarray
    n_ways_read: int
    n_ways_kept: int


def read_walking_ways(
    path: str,
    walkable: Callable[[dict], bool],
    *,
    clip: shapely.Geometry | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> WalkingWays:
    """
    The walkable ways of an ``.osm.pbf`` file, optionally only those touching an area.

    Parameters
    ----------
    path
        The file.
    walkable
        The walking rule, called once per highway way with its tags
        (:data:`planner.config.WALKING_TAGS`, missing ones ``None``).
    clip
        A WGS-84 polygon: only ways with at least one node inside it (or on its
        edge) are kept, whole (a way crossing the edge keeps its nodes outside, as
        ``osmium extract --strategy complete_ways`` does).
    progress
        Optional callback ``progress(message, fraction)``.

    Returns
    -------
    WalkingWays
        Segments whose two nodes are both in the file (a way running off the edge
        of an extract loses the segments beyond it).

    Raises
    ------
    DataError
        The file cannot be read as OSM data.
    """
    import osmium

    if progress:
        progress("reading way geometries (GDAL)", 0.05)
    g_ids, g_coords, g_index = _gdal_lines(path, clip)
    if clip is not None:
        hit = shapely.intersects_xy(clip, g_coords[:, 0], g_coords[:, 1]) if len(g_coords) else np.zeros(0, bool)
        touching = set(np.unique(g_ids[g_index[hit]]).tolist())
    way_ids: list[int] = []
    highways: list[str] = []
    names: list[object] = []
    refs: list[np.ndarray] = []
    n_read = 0
    verdicts: dict[tuple, bool] = {}
    if progress:
        progress("reading highway ways (libosmium)", 0.3)
    try:
        for w in osmium.FileProcessor(path, osmium.osm.WAY).with_filter(osmium.filter.KeyFilter("highway")):
            n_read += 1
            if clip is not None and w.id not in touching:
                continue
            tags = w.tags
            values = tuple(tags.get(key) for key in WALKING_TAGS)
            ok = verdicts.get(values)
            if ok is None:  # the rule once per combination of tags (a few hundred in a town)
                ok = verdicts[values] = walkable(dict(zip(WALKING_TAGS, values)))
            if not ok:
                continue
            nodes = w.nodes  # type: ignore[union-attr]  # a WAY filter yields ways only
            if len(nodes) < 2:
                continue
            refs.append(np.fromiter((n.ref for n in nodes), np.int64, len(nodes)))
            way_ids.append(w.id)
            highways.append(str(tags.get("highway")))
            names.append(tags.get("name"))
    except RuntimeError as exc:
        raise DataError(f"{path}: not a readable .osm.pbf file ({exc})") from None
    lengths = np.array([len(r) for r in refs], np.int64)
    flat = np.concatenate(refs) if refs else np.zeros(0, np.int64)
    way_arr = np.asarray(way_ids, np.int64)
    ids, lon, lat = _locate(path, flat, lengths, way_arr, g_ids, g_coords, g_index)
    if progress:
        progress(f"{n_read:,} highway ways read, {len(refs):,} kept; {len(ids):,} nodes placed", 0.45)
    # one row per segment
    starts = np.cumsum(lengths) - lengths
    way_of = np.repeat(np.arange(len(refs)), lengths)
    last = np.zeros(len(flat), bool)
    last[starts + lengths - 1] = True
    seg_u, seg_v, seg_way = flat[:-1][~last[:-1]], flat[1:][~last[:-1]], way_of[:-1][~last[:-1]]
    known = (_positions(ids, seg_u) >= 0) & (_positions(ids, seg_v) >= 0)
    seg_u, seg_v, seg_way = seg_u[known], seg_v[known], seg_way[known]
    if clip is not None and len(seg_way):
        inside = shapely.intersects_xy(clip, lon, lat)
        touches = np.zeros(len(refs), bool)
        pos_u, pos_v = _positions(ids, seg_u), _positions(ids, seg_v)
        np.logical_or.at(touches, seg_way, inside[pos_u] | inside[pos_v])
        keep = touches[seg_way]
        seg_u, seg_v, seg_way = seg_u[keep], seg_v[keep], seg_way[keep]
    used = np.unique(np.concatenate([seg_u, seg_v])) if len(seg_u) else np.zeros(0, np.int64)
    sel = _positions(ids, used)
    ids, lon, lat = ids[sel], lon[sel], lat[sel]
    n_kept = len(np.unique(seg_way))
    log.info("%s: %d highway ways, %d kept, %d segments, %d nodes", path, n_read, n_kept, len(seg_u), len(ids))
    return WalkingWays(
        node_id=ids,
        lon=lon,
        lat=lat,
        u=seg_u,
        v=seg_v,
        way_id=way_arr[seg_way] if len(way_arr) else np.zeros(0, np.int64),
        highway=np.asarray(highways, dtype=object)[seg_way] if highways else np.zeros(0, dtype=object),
        name=np.asarray(names, dtype=object)[seg_way] if names else np.zeros(0, dtype=object),
        n_ways_read=n_read,
        n_ways_kept=n_kept,
    )


def _gdal_lines(path: str, clip) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ids, vertex coordinates (rounded to 1e-7 degree) and vertex-to-way index of the highway lines."""
    import pyogrio

    options = {"bbox": tuple(clip.bounds)} if clip is not None else {}
    try:
        frame = pyogrio.read_dataframe(path, layer="lines", columns=["osm_id"], where="highway IS NOT NULL", **options)
    except Exception as exc:
        raise DataError(f"{path}: not a readable .osm.pbf file ({type(exc).__name__})") from None
    if not len(frame):
        return np.zeros(0, np.int64), np.zeros((0, 2)), np.zeros(0, np.int64)
    coords, index = shapely.get_coordinates(frame.geometry.values, return_index=True)
    return frame["osm_id"].astype("int64").to_numpy(), np.round(coords, 7), index


def _locate(path, flat, lengths, way_ids, g_ids, g_coords, g_index):
    """Locations of the nodes in ``flat`` (the kept ways' node ids, way after way)."""
    import osmium

    lon = np.full(len(flat), np.nan)
    lat = np.full(len(flat), np.nan)
    if len(flat) and len(g_ids):
        # the GDAL line of each kept way, where its vertices match the way's nodes one to one
        g_order = np.argsort(g_ids, kind="stable")
        pos = np.searchsorted(g_ids[g_order], way_ids)
        pos = np.minimum(pos, len(g_ids) - 1)
        line = np.where(g_ids[g_order][pos] == way_ids, g_order[pos], -1)
        g_count = np.bincount(g_index, minlength=len(g_ids))
        g_start = np.cumsum(g_count) - g_count
        match = (line >= 0) & (g_count[np.maximum(line, 0)] == lengths)
        ways = np.flatnonzero(match)
        if len(ways):
            starts = np.cumsum(lengths) - lengths
            offset = np.arange(int(lengths[ways].sum())) - np.repeat(
                np.cumsum(lengths[ways]) - lengths[ways], lengths[ways]
            )
            dst = np.repeat(starts[ways], lengths[ways]) + offset
            src = np.repeat(g_start[line[ways]], lengths[ways]) + offset
            lon[dst], lat[dst] = g_coords[src, 0], g_coords[src, 1]
    ids = np.unique(flat)
    # a node placed in any of its ways is placed
    placed = np.isfinite(lon)
    best = np.full(len(ids), -1, np.int64)
    where = np.searchsorted(ids, flat[placed])
    best[where] = np.flatnonzero(placed)
    out_lon = np.where(best >= 0, lon[np.maximum(best, 0)], np.nan)
    out_lat = np.where(best >= 0, lat[np.maximum(best, 0)], np.nan)
    missing = ids[best < 0]
    if len(missing):
        # libosmium's id filter costs about 1.3 MB per block of 2**22 ids it holds: fine for ids in a few
        # blocks; ids spread over many blocks are matched in Python instead (slower, memory-bounded)
        few_blocks = len(np.unique(missing >> 22)) <= MAX_ID_BLOCKS
        wanted = set(missing.tolist())
        try:
            nodes = osmium.FileProcessor(path, osmium.osm.NODE)
            if few_blocks:
                nodes = nodes.with_filter(osmium.filter.IdFilter(missing.tolist()))
            for n in nodes:
                if not few_blocks and n.id not in wanted:
                    continue
                loc = n.location
                if loc.valid():
                    k = np.searchsorted(ids, n.id)
                    out_lon[k], out_lat[k] = loc.lon, loc.lat
        except RuntimeError as exc:
            raise DataError(f"{path}: not a readable .osm.pbf file ({exc})") from None
    ok = np.isfinite(out_lon)
    log.debug(
        "%s: %d nodes placed by GDAL, %d looked up, %d not in the file",
        path,
        int((best >= 0).sum()),
        len(missing),
        int((~ok).sum()),
    )
    return ids[ok], out_lon[ok], out_lat[ok]


def _positions(sorted_ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Position of each wanted id in ``sorted_ids``, -1 where absent."""
    if not len(sorted_ids):
        return np.full(len(wanted), -1, np.int64)
    pos = np.searchsorted(sorted_ids, wanted)
    pos = np.minimum(pos, len(sorted_ids) - 1)
    return np.where(sorted_ids[pos] == wanted, pos, -1)
