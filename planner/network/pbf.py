"""Reading the walking ways of an ``.osm.pbf`` file in compiled code.

DuckDB's spatial extension (``ST_ReadOSM``, a compiled PBF reader that decodes
blocks on every core) scans the file once into a temporary table: the nodes (with a clip
area, only those in its bounding box widened by :data:`NODE_MARGIN_DEG`) and the
ways with a ``highway`` key, their node ids and tags. Which ways touch the clip
area, and which tags each kept way has, are then SQL over that table; Python sees
the kept ways only, and the walking rule once per combination of tags. A node a
kept way uses that lies outside the widened box (a very long way) is looked up
in a second scan, by id, only when there is one.

Locations are rounded to OSM's 1e-7 degree, which gives back exactly the
doubles pyrosm reads. With a clip area, only ways with a node
inside it are kept, whole, so the memory Python holds grows with the area kept,
not with the file (DuckDB's own table spills to a temporary folder beyond
:data:`MEMORY_LIMIT`).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely

from planner.config import WALKING_TAGS
from planner.errors import DataError

__all__ = ["MEMORY_LIMIT", "NODE_MARGIN_DEG", "WalkingWays", "id_positions", "read_walking_ways"]

log = logging.getLogger(__name__)

#: degrees added around a clip area's bounding box when its nodes are read (about 5 km): the far nodes of the
#: ways crossing its edge are in it, except on very long ways (looked up by id in a second scan)
NODE_MARGIN_DEG = 0.05
#: DuckDB's memory for its table of the file's nodes and highway ways; beyond it, a temporary folder
MEMORY_LIMIT = "2GB"


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
    if os.path.getsize(path) == 0:
        raise DataError(f"{path}: file is empty; expected OpenStreetMap data")
    if progress:
        progress("scanning the file (DuckDB)", 0.05)
    with _duckdb(path) as sql:
        ids, lon, lat, n_read = _scan(sql, path, clip)
        if progress:
            progress(f"{n_read:,} highway ways and {len(ids):,} nodes read; keeping the walkable ones", 0.3)
        frame, flat = _kept_ways(sql, clip, ids, lon, lat)
        lengths = frame["n"].to_numpy(np.int64)
        ok = _walkable(frame, walkable) & (lengths >= 2)
        flat = flat[np.repeat(ok, lengths)]
        frame, lengths = frame[ok], lengths[ok]
        ids, lon, lat = _place(sql, path, clip, flat, ids, lon, lat)
    way_arr = frame["id"].to_numpy(np.int64)
    highways = frame["highway"].astype(str).to_numpy(object)
    names = frame["name"].astype(object).where(frame["name"].notna(), None).to_numpy(object)
    n_ways = len(lengths)
    if progress:
        progress(f"{n_read:,} highway ways read, {n_ways:,} kept; {len(ids):,} nodes placed", 0.45)
    seg_u, seg_v, seg_way = _segments(flat, lengths, ids, lon, lat, clip)
    used = np.unique(np.concatenate([seg_u, seg_v])) if len(seg_u) else np.zeros(0, np.int64)
    sel = id_positions(ids, used)
    ids, lon, lat = ids[sel], lon[sel], lat[sel]
    n_kept = len(np.unique(seg_way))
    log.info("%s: %d highway ways, %d kept, %d segments, %d nodes", path, n_read, n_kept, len(seg_u), len(ids))
    return WalkingWays(
        node_id=ids,
        lon=lon,
        lat=lat,
        u=seg_u,
        v=seg_v,
        way_id=way_arr[seg_way],
        highway=highways[seg_way],
        name=names[seg_way],
        n_ways_read=n_read,
        n_ways_kept=n_kept,
    )


def _segments(
    flat: np.ndarray,
    lengths: np.ndarray,
    ids: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    clip: shapely.Geometry | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    One row per segment of the kept ways (node ids ``u``, ``v`` and the way's index), both nodes placed.

    With ``clip``, only segments of ways with a placed node inside it are kept (whole ways).
    """
    n_ways = len(lengths)
    starts = np.cumsum(lengths) - lengths
    way_of = np.repeat(np.arange(n_ways), lengths)
    last = np.zeros(len(flat), bool)
    last[starts + lengths - 1] = True
    seg_u, seg_v, seg_way = flat[:-1][~last[:-1]], flat[1:][~last[:-1]], way_of[:-1][~last[:-1]]
    known = (id_positions(ids, seg_u) >= 0) & (id_positions(ids, seg_v) >= 0)
    seg_u, seg_v, seg_way = seg_u[known], seg_v[known], seg_way[known]
    if clip is not None and len(seg_way):
        inside = shapely.intersects_xy(clip, lon, lat)
        touches = np.zeros(n_ways, bool)
        pos_u, pos_v = id_positions(ids, seg_u), id_positions(ids, seg_v)
        np.logical_or.at(touches, seg_way, inside[pos_u] | inside[pos_v])
        keep = touches[seg_way]
        seg_u, seg_v, seg_way = seg_u[keep], seg_v[keep], seg_way[keep]
    return seg_u, seg_v, seg_way


@contextmanager
def _duckdb(path: str) -> Iterator[Any]:
    """An in-memory DuckDB connection with the spatial extension, its spill folder removed afterwards."""
    import duckdb
    import duckdb_extension_spatial

    ext = os.path.join(
        os.path.dirname(duckdb_extension_spatial.__file__),
        "extensions",
        f"v{duckdb.__version__}",
        "spatial.duckdb_extension",
    )
    if not os.path.exists(ext):
        raise ImportError(
            f"DuckDB's spatial extension for duckdb {duckdb.__version__} is not installed "
            f"(expected {ext}; pip install duckdb-extension-spatial=={duckdb.__version__})"
        )
    with tempfile.TemporaryDirectory(prefix="planner-duckdb-") as tmp:
        sql = duckdb.connect(
            ":memory:",
            config={
                "memory_limit": MEMORY_LIMIT,
                "temp_directory": tmp,
                "preserve_insertion_order": False,
                # offline by design: the one extension is loaded from its wheel, nothing is fetched
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                # DuckDB checks an extension's signature by hashing the whole file at every load: 0.4 s of
                # each read for the spatial extension's 80 MB. The one file this connection loads is the
                # installed wheel's, by its path; it is trusted as this package's own code is
                "allow_unsigned_extensions": True,
            },
        )
        try:
            sql.load_extension(ext)
            yield sql
        except duckdb.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if isinstance(exc, duckdb.ParserException | duckdb.InvalidInputException | duckdb.ConversionException):
                raise DataError(f"{path}: not a readable .osm.pbf file ({reason})") from None
            raise DataError(f"{path}: reading failed ({reason})") from None
        finally:
            sql.close()


def _literal(path: str) -> str:
    """``path`` as an SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def _scan(sql: Any, path: str, clip: shapely.Geometry | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The one pass over the file: table ``src`` of nodes (near ``clip``) and highway ways; the nodes, sorted."""
    nodes = "kind = 'node'"
    if clip is not None:
        x0, y0, x1, y1 = (float(v) for v in clip.bounds)
        e = NODE_MARGIN_DEG
        nodes += f" AND lon BETWEEN {x0 - e!r} AND {x1 + e!r} AND lat BETWEEN {y0 - e!r} AND {y1 + e!r}"
    sql.execute(
        f"CREATE TEMP TABLE src AS SELECT kind, id, lon, lat, refs, tags FROM ST_ReadOSM({_literal(path)}) "
        f"WHERE ({nodes}) OR (kind = 'way' AND tags['highway'] IS NOT NULL)"
    )
    got = sql.execute("SELECT id, lon, lat FROM src WHERE kind = 'node'").fetchnumpy()
    order = np.argsort(np.asarray(got["id"], np.int64), kind="stable")
    ids = np.asarray(got["id"], np.int64)[order]
    lon = np.round(np.asarray(got["lon"], float)[order], 7)
    lat = np.round(np.asarray(got["lat"], float)[order], 7)
    n_read = int(sql.execute("SELECT count(*) FROM src WHERE kind = 'way'").fetchone()[0])
    return ids, lon, lat, n_read


def _kept_ways(
    sql: Any, clip: shapely.Geometry | None, ids: np.ndarray, lon: np.ndarray, lat: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """The highway ways to keep (all, or those with a node in ``clip``) by id: their tags, then their node ids."""
    if clip is None:
        sql.execute("CREATE TEMP TABLE kept AS SELECT id FROM src WHERE kind = 'way'")
    else:
        inside = pd.DataFrame({"id": ids[shapely.intersects_xy(clip, lon, lat)] if len(ids) else ids})
        sql.register("inside", inside)
        sql.execute(
            "CREATE TEMP TABLE kept AS SELECT DISTINCT w.id FROM (SELECT id, unnest(refs) AS ref FROM src WHERE kind = 'way') w "
            "SEMI JOIN inside ON w.ref = inside.id"
        )
    keys = ", ".join(f"tags[{_literal(k)}] AS {_literal(k).replace(chr(39), chr(34))}" for k in (*WALKING_TAGS, "name"))
    frame = sql.execute(
        f"SELECT id, len(refs) AS n, {keys} FROM src SEMI JOIN kept USING (id) WHERE kind = 'way' ORDER BY id"
    ).df()
    refs = sql.execute(
        "SELECT id, unnest(refs) AS ref, generate_subscripts(refs, 1) AS i FROM src SEMI JOIN kept USING (id) "
        "WHERE kind = 'way'"
    ).fetchnumpy()
    order = np.lexsort((np.asarray(refs["i"]), np.asarray(refs["id"])))  # way after way (by id), nodes in order
    return frame.reset_index(drop=True), np.asarray(refs["ref"], np.int64)[order]


def _walkable(frame: pd.DataFrame, walkable: Callable[[dict], bool]) -> np.ndarray:
    """The walking rule per way, evaluated once per combination of tags (a few hundred in a town)."""
    if not len(frame):
        return np.zeros(0, bool)
    tags = frame[list(WALKING_TAGS)].astype(object)
    codes, combos = pd.factorize(pd.MultiIndex.from_frame(tags.where(tags.notna(), "\0")))
    verdict = np.array(
        [bool(walkable({k: (None if v == "\0" else v) for k, v in zip(WALKING_TAGS, combo)})) for combo in combos],
        bool,
    )
    return verdict[codes]


def _place(
    sql: Any,
    path: str,
    clip: shapely.Geometry | None,
    flat: np.ndarray,
    ids: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The nodes ``flat`` uses: from the scan, and (with a clip area) the few beyond its box by a scan by id."""
    wanted = np.unique(flat)
    pos = id_positions(ids, wanted)
    missing = wanted[pos < 0]
    found_ids, found_lon, found_lat = ids[pos[pos >= 0]], lon[pos[pos >= 0]], lat[pos[pos >= 0]]
    if clip is not None and len(missing):
        sql.register("missing", pd.DataFrame({"id": missing}))
        got = sql.execute(
            f"SELECT id, lon, lat FROM ST_ReadOSM({_literal(path)}) SEMI JOIN missing USING (id) WHERE kind = 'node'"
        ).fetchnumpy()
        log.debug("%s: %d nodes beyond the clip box looked up, %d found", path, len(missing), len(got["id"]))
        found_ids = np.concatenate([found_ids, np.asarray(got["id"], np.int64)])
        found_lon = np.concatenate([found_lon, np.round(np.asarray(got["lon"], float), 7)])
        found_lat = np.concatenate([found_lat, np.round(np.asarray(got["lat"], float), 7)])
        order = np.argsort(found_ids, kind="stable")
        found_ids, found_lon, found_lat = found_ids[order], found_lon[order], found_lat[order]
    return found_ids, found_lon, found_lat


def id_positions(sorted_ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """
    Position of each wanted id in ``sorted_ids``, -1 where absent.

    Parameters
    ----------
    sorted_ids
        Ids in increasing order (no repeats).
    wanted
        Ids to look up.

    Returns
    -------
    positions
        Per wanted id, its index in ``sorted_ids`` or -1.
    """
    if not len(sorted_ids):
        return np.full(len(wanted), -1, np.int64)
    pos = np.searchsorted(sorted_ids, wanted)
    pos = np.minimum(pos, len(sorted_ids) - 1)
    return np.where(sorted_ids[pos] == wanted, pos, -1)
