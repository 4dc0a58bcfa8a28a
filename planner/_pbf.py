"""Reading the walking ways of an ``.osm.pbf`` file with libosmium (pyosmium).

Two passes, both filtered in compiled code before Python sees anything: the ways
with a ``highway`` tag (``osmium.filter.KeyFilter``), then only the nodes those
ways reference (``osmium.filter.IdFilter``). Python handles the highway ways and
their nodes, never the rest of the file (buildings, land use, points of interest),
and nothing is kept of the ways that fail the walking rule or lie outside a clip
area. The result is plain arrays (:class:`WalkingWays`), one row per segment
between consecutive nodes of a way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely

from .config import WALKING_TAGS
from .errors import DataError

log = logging.getLogger(__name__)


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

    way_ids: list[int] = []
    highways: list[str] = []
    names: list[object] = []
    refs: list[np.ndarray] = []
    n_read = 0
    try:
        ways = osmium.FileProcessor(path, osmium.osm.WAY).with_filter(osmium.filter.KeyFilter("highway"))
        for w in ways:
            n_read += 1
            tags = w.tags
            if not walkable({key: tags.get(key) for key in WALKING_TAGS}):
                continue
            nodes = w.nodes
            if len(nodes) < 2:
                continue
            refs.append(np.fromiter((n.ref for n in nodes), np.int64, len(nodes)))
            way_ids.append(w.id)
            highways.append(tags.get("highway"))
            names.append(tags.get("name"))
    except RuntimeError as exc:
        raise DataError(f"{path}: not a readable .osm.pbf file ({exc})") from None
    if progress:
        progress(f"read {n_read:,} highway ways ({len(refs):,} walkable); reading their nodes", 0.3)
    wanted = np.unique(np.concatenate(refs)) if refs else np.zeros(0, np.int64)
    ids = np.empty(len(wanted), np.int64)
    lon = np.empty(len(wanted))
    lat = np.empty(len(wanted))
    k = 0
    if len(wanted):
        try:
            nodes = osmium.FileProcessor(path, osmium.osm.NODE).with_filter(osmium.filter.IdFilter(wanted.tolist()))
            for n in nodes:
                loc = n.location
                if not loc.valid():
                    continue
                ids[k], lon[k], lat[k] = n.id, loc.lon, loc.lat
                k += 1
        except RuntimeError as exc:
            raise DataError(f"{path}: not a readable .osm.pbf file ({exc})") from None
    order = np.argsort(ids[:k], kind="stable")
    ids, lon, lat = ids[:k][order], lon[:k][order], lat[:k][order]
    # one row per segment
    lengths = np.array([len(r) for r in refs], np.int64)
    flat = np.concatenate(refs) if refs else np.zeros(0, np.int64)
    starts = np.cumsum(lengths) - lengths
    way_of = np.repeat(np.arange(len(refs)), lengths)
    last = np.zeros(len(flat), bool)
    last[starts + lengths - 1] = True
    seg_u, seg_v, seg_way = flat[:-1][~last[:-1]], flat[1:][~last[:-1]], way_of[:-1][~last[:-1]]
    known = _positions(ids, seg_u) >= 0
    known &= _positions(ids, seg_v) >= 0
    seg_u, seg_v, seg_way = seg_u[known], seg_v[known], seg_way[known]
    kept_ways = np.unique(seg_way)
    if clip is not None and len(seg_way):
        inside = shapely.intersects_xy(clip, lon, lat)
        touches = np.zeros(len(refs), bool)
        pos_u, pos_v = _positions(ids, seg_u), _positions(ids, seg_v)
        np.logical_or.at(touches, seg_way, inside[pos_u] | inside[pos_v])
        keep = touches[seg_way]
        seg_u, seg_v, seg_way = seg_u[keep], seg_v[keep], seg_way[keep]
        kept_ways = np.flatnonzero(touches)
        used = np.unique(np.concatenate([seg_u, seg_v]))
        sel = _positions(ids, used)
        ids, lon, lat = ids[sel], lon[sel], lat[sel]
    else:
        used = np.unique(np.concatenate([seg_u, seg_v])) if len(seg_u) else np.zeros(0, np.int64)
        sel = _positions(ids, used)
        ids, lon, lat = ids[sel], lon[sel], lat[sel]
    log.info("%s: %d highway ways, %d kept, %d segments, %d nodes", path, n_read, len(kept_ways), len(seg_u), len(ids))
    return WalkingWays(
        node_id=ids, lon=lon, lat=lat, u=seg_u, v=seg_v,
        way_id=np.asarray(way_ids, np.int64)[seg_way] if len(way_ids) else np.zeros(0, np.int64),
        highway=np.asarray(highways, dtype=object)[seg_way] if highways else np.zeros(0, dtype=object),
        name=np.asarray(names, dtype=object)[seg_way] if names else np.zeros(0, dtype=object),
        n_ways_read=n_read, n_ways_kept=int(len(kept_ways)),
    )


def _positions(sorted_ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Position of each wanted id in ``sorted_ids``, -1 where absent."""
    if not len(sorted_ids):
        return np.full(len(wanted), -1, np.int64)
    pos = np.searchsorted(sorted_ids, wanted)
    pos = np.minimum(pos, len(sorted_ids) - 1)
    return np.where(sorted_ids[pos] == wanted, pos, -1)
