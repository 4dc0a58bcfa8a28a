"""Isochrone cells: the plane cut by nearest street segment and nearest street.

A home belongs to the street nearest to it; isochrones clip what can be walked
from each street to that street's cell. The cells come from a Voronoi diagram of
points sampled along the streets (:func:`build_cells`), dissolved per segment and
per street with coverage unions (:func:`coverage_union`), for the streets that
are asked for (:meth:`Cells.prepare`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import shapely

from planner.network.build import gc_paused
from planner.reach.segments import Segments, expand_ranges

__all__ = [
    "CELL_CLOSE_M",
    "CELL_INSET_M",
    "CELL_MARGIN_M",
    "CELL_MAX_POINTS",
    "CELL_MIN_SPACING_M",
    "CELL_SPACING_M",
    "CELL_ZIGZAG_M",
    "Cells",
    "build_cells",
    "coverage_union",
    "sample_spacing",
]

#: spacing of the points along streets whose Voronoi cells make the street cells
CELL_SPACING_M = 2.0
#: finer spacing near other streets (see :func:`sample_spacing`)
CELL_CLOSE_M = 10.0
CELL_ZIGZAG_M = 0.05
CELL_MIN_SPACING_M = 0.25
#: how far inside a segment its end points are sampled for the cells, at least
#: (see :func:`build_cells`)
CELL_INSET_M = 0.01
#: at most this many sample points for the cells (spacing grows on larger networks)
CELL_MAX_POINTS = 400_000
#: how far beyond the network the street cells extend
CELL_MARGIN_M = 5_000.0


#: rows of a vectorised GEOS call below which it is not split over threads
_MIN_ROWS_PER_THREAD = 256


class Cells:
    """Areas by nearest network piece, dissolved from one Voronoi diagram street by street.

    ``segment`` holds, per segment, the area whose nearest point of the network
    lies on that segment; ``street`` the same per street; ``depth`` the farthest
    any point of a street's cell lies from the street (``inf`` where empty).
    Only the streets passed to :meth:`prepare` are filled (``None`` / NaN for
    the others): a street's cells depend on the diagram alone, not on which
    other streets were dissolved, so a plan's isochrones dissolve the streets
    they reach and no others.

    Parameters
    ----------
    diagram, owner
        The Voronoi diagram of the samples and the segment of each of its
        pieces, ordered by segment.
    segment_street, segment_ptr
        The street of each segment; per street, its segments
        ``segment_ptr[i]:segment_ptr[i + 1]``.
    street_geoms
        The streets' lines (the depth of a cell is measured from its street).
    """

    def __init__(
        self,
        diagram: _Diagram,
        owner: np.ndarray,
        segment_street: np.ndarray,
        segment_ptr: np.ndarray,
        street_geoms: np.ndarray,
    ) -> None:
        n_segments, n_streets = len(segment_street), len(street_geoms)
        self._diagram = diagram
        self._piece_ptr = np.searchsorted(owner, np.arange(n_segments + 1))
        self._segment_ptr = segment_ptr
        self._street_geoms = street_geoms
        self._ready = np.zeros(n_streets, bool)
        self._lock = threading.Lock()
        self.segment = np.full(n_segments, None, dtype=object)
        self.street = np.full(n_streets, None, dtype=object)
        self.depth = np.full(n_streets, np.nan)

    def prepare(self, streets: np.ndarray) -> Cells:
        """
        Dissolve the cells of ``streets`` (street indices; repeats allowed) that are not dissolved yet.

        Parameters
        ----------
        streets
            Street (undirected edge) indices.

        Returns
        -------
        cells
            This object, its ``segment`` / ``street`` / ``depth`` filled for ``streets``.
        """
        streets = np.unique(np.asarray(streets, dtype=np.int64))
        # the pieces are made for the dissolve and dropped after it (the collector need not look at them)
        with self._lock, gc_paused():
            todo = streets[~self._ready[streets]]
            if not len(todo):
                return self
            street_of, segments = expand_ranges(self._segment_ptr[todo], self._segment_ptr[todo + 1])
            segment_of, pieces = expand_ranges(self._piece_ptr[segments], self._piece_ptr[segments + 1])
            segment_cells = _dissolve(self._diagram.pieces(pieces), segment_of, len(segments))
            street_cells = _dissolve(segment_cells, street_of, len(todo))
            depth = np.full(len(todo), np.inf)
            drawn = ~shapely.is_empty(street_cells)
            depth[drawn] = _in_threads(
                lambda cells, lines: shapely.hausdorff_distance(cells, lines, densify=0.25),
                street_cells[drawn],
                self._street_geoms[todo[drawn]],
            )
            self.segment[segments] = segment_cells
            self.street[todo] = street_cells
            self.depth[todo] = depth
            self._ready[todo] = True
        return self


def _in_threads(func: Callable[..., np.ndarray], *columns: np.ndarray) -> np.ndarray:
    """``func(*columns)``, a vectorised shapely call, over consecutive slices of the rows on several threads.

    Each row's result depends on that row only, so the slices give what one call
    gives; shapely releases the GIL inside GEOS, so the slices run side by side.
    """
    n_rows = len(columns[0])
    n_threads = max(1, min(os.cpu_count() or 1, 8, n_rows // _MIN_ROWS_PER_THREAD))
    if n_threads == 1:
        return func(*columns)
    cuts = np.linspace(0, n_rows, n_threads + 1).astype(np.int64)
    with ThreadPoolExecutor(n_threads) as pool:
        parts = list(pool.map(lambda lo, hi: func(*(c[lo:hi] for c in columns)), cuts[:-1], cuts[1:]))
    return np.concatenate(parts)


def sample_spacing(seg: Segments) -> np.ndarray:
    """Sample spacing of each segment for the cells, finer beside another street.

    Between two streets ``D`` metres apart sampled every ``s`` metres, the
    Voronoi boundary zigzags about the true one by up to ``s**2 / (8 D)``; a
    segment within :data:`CELL_CLOSE_M` of another street (other than where
    they meet) is sampled every ``sqrt(8 D t)`` metres (``t`` =
    :data:`CELL_ZIGZAG_M`), at least every :data:`CELL_MIN_SPACING_M` and
    at most every :data:`CELL_SPACING_M`.

    Parameters
    ----------
    seg
        Every segment of the network (:attr:`planner.reach.arrays.NetworkArrays.segments`).

    Returns
    -------
    spacing
        Metres between samples, per segment.
    """
    lines = shapely.linestrings(np.stack([seg.start, seg.end], axis=1))
    i, j = shapely.STRtree(lines).query(lines, predicate="dwithin", distance=CELL_CLOSE_M)
    pair = seg.edge[i] != seg.edge[j]
    i, j = i[pair], j[pair]
    gap = shapely.distance(lines[i], lines[j])
    apart = gap > 1e-9  # segments that meet at a junction part exactly there (the insets)
    clearance = np.full(len(lines), np.inf)
    np.minimum.at(clearance, i[apart], gap[apart])
    return np.clip(np.sqrt(8 * clearance * CELL_ZIGZAG_M), CELL_MIN_SPACING_M, CELL_SPACING_M)


def build_cells(
    seg: Segments, street_geoms: np.ndarray, streets: np.ndarray | None, fine_spacing: Callable[[], np.ndarray]
) -> Cells:
    """Cells of the diagram of ``streets`` only (all when ``None``); other streets get empty cells.

    Points are sampled every :data:`CELL_SPACING_M` metres along the segments
    (finer beside another street, see :func:`sample_spacing`; sparser when
    there would be more than :data:`CELL_MAX_POINTS`), a hair inside each
    segment's ends, plus each segment's midpoint; their Voronoi cells, out to
    :data:`CELL_MARGIN_M` beyond the samples, are dissolved per segment and
    per street as :meth:`Cells.prepare` asks for them.

    Parameters
    ----------
    seg
        Every segment of the network
        (:attr:`planner.reach.arrays.NetworkArrays.segments`).
    street_geoms
        The streets' lines (:attr:`planner.reach.arrays.NetworkArrays.edge_geoms`).
    streets
        Street (undirected edge) indices, or ``None`` for every street.
    fine_spacing
        Gives :func:`sample_spacing` of every segment of the network (computed
        once per network by the caller); called only when the samples are not
        made sparser than :data:`CELL_SPACING_M`.

    Returns
    -------
    cells
        Per segment and per street of the whole network, once prepared (empty
        polygons for the streets left out).
    """
    if streets is None:
        members = np.arange(len(seg.edge))
    else:
        members = np.flatnonzero(np.isin(seg.edge, streets))
    # 2 m apart, or sparser on very large networks to bound the work
    spacing = max(CELL_SPACING_M, float(seg.length[members].sum()) / CELL_MAX_POINTS)
    fine = fine_spacing() if spacing <= CELL_SPACING_M else None
    xy, owner = _sample_points(seg, members, spacing, fine)
    return Cells(_Diagram(xy), owner, seg.edge, seg.ptr, street_geoms)


def _sample_points(
    seg: Segments, members: np.ndarray, spacing: float, fine: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Sample points along the segments ``members`` and the segment each belongs to.

    Every ``spacing`` metres (or the segment's ``fine`` spacing where finer),
    ends inset (:func:`_inset_ends`), plus each segment's midpoint; ordered by
    segment, one point per location.
    """
    # zero-length segments (repeated vertices) contribute their midpoint only
    real = members[seg.length[members] > 0]
    lines = shapely.linestrings(np.stack([seg.start[real], seg.end[real]], axis=1))
    dense = shapely.segmentize(lines, np.minimum(fine[real] if fine is not None else np.inf, spacing))
    xy, owner = shapely.get_coordinates(dense, return_index=True)
    xy = _inset_ends(seg, real, xy, owner)
    owner = real[owner]
    # every segment keeps its midpoint, so that it owns a cell
    mids = (seg.start[members] + seg.end[members]) / 2
    xy = np.concatenate([xy, mids])
    owner = np.concatenate([owner, members])
    order = np.argsort(owner, kind="stable")
    xy, owner = xy[order], owner[order]
    # a point shared by several segments (overlapping streets) goes to the
    # lowest segment, hence the lowest street index, as in snap(): the first of
    # each run of equal rounded points in a stable sort (np.unique(axis=0)'s
    # choice, without its sort of structured rows)
    rounded = np.round(xy, 6)
    order = np.lexsort((rounded[:, 1], rounded[:, 0]))
    ranked = rounded[order]
    starts = np.ones(len(order), bool)
    starts[1:] = (ranked[1:] != ranked[:-1]).any(axis=1)
    first = np.sort(order[starts])
    return xy[first], owner[first]


def _inset_ends(seg: Segments, real: np.ndarray, xy: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """``xy`` (samples of the segments ``real[owner]``) with each segment's end points moved a hair inside it.

    A segment's end points are shared with its neighbours (the next segment,
    the other streets at a junction); each segment samples them a hair inside
    instead, so that the cells of two segments meeting at a point part along
    the bisector of their directions through it: the exact boundary of the
    nearest-segment areas there (a vertex sample given to one segment would
    hand it a strip of the other's area, half the spacing wide).
    """
    opens = np.ones(len(owner), bool)
    opens[1:] = owner[1:] != owner[:-1]
    closes = np.ones(len(owner), bool)
    closes[:-1] = owner[1:] != owner[:-1]
    seg_len = seg.length[real]
    unit = (seg.end[real] - seg.start[real]) / seg_len[:, None]
    # the insets differ a little from segment to segment (a fixed sequence),
    # so that the samples around a junction are never cocircular: cocircular
    # points make GEOS's Voronoi vertices there degenerate
    jitter = 1.0 + 0.25 * ((real * 0.6180339887498949) % 1.0)
    inset = np.minimum(CELL_INSET_M * jitter, seg_len / 4)
    xy = xy.copy()
    xy[opens] += unit[owner[opens]] * inset[owner[opens], None]
    xy[closes] -= unit[owner[closes]] * inset[owner[closes], None]
    return xy


class _Diagram:
    """The Voronoi diagram of the points ``xy``, reaching :data:`CELL_MARGIN_M` beyond them.

    Kept as GEOS made it, one collection; :meth:`pieces` makes the cells of the
    points asked for (a network's hundred thousand samples need not all be
    Python objects, nor stay alive as such).
    """

    def __init__(self, xy: np.ndarray) -> None:
        # GEOS takes the sites of the diagram from the vertices of any geometry: a
        # line through the points is made in one step (a multipoint makes a point
        # object per sample first), and gives the same diagram
        points = shapely.linestrings(xy) if len(xy) > 1 else shapely.multipoints(xy)
        self._extent = shapely.buffer(shapely.envelope(points), CELL_MARGIN_M)
        self._box = shapely.bounds(points)
        self._collection = shapely.voronoi_polygons(points, extend_to=self._extent, ordered=True)

    def pieces(self, points: np.ndarray) -> np.ndarray:
        """The Voronoi cells of the points with indices ``points`` (in the order of ``xy``), within the extent."""
        pieces = shapely.get_geometry(self._collection, points)
        # only the outermost pieces reach past the extent (the others lie inside its envelope)
        box = self._box
        pb = shapely.bounds(pieces)
        outer = (pb[:, 0] < box[0]) | (pb[:, 1] < box[1]) | (pb[:, 2] > box[2]) | (pb[:, 3] > box[3])
        pieces[outer] = shapely.intersection(pieces[outer], self._extent)
        return pieces


def _dissolve(geoms: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Coverage union of ``geoms`` by ``group`` (``0 .. n_groups - 1``; an empty polygon where none).

    The pieces of a group must form a polygonal coverage (they share edges
    exactly, as the cells of one Voronoi diagram do). Groups are unioned in
    vectorised calls, bucketed by size, instead of one call per group.
    """
    out = np.full(n_groups, shapely.Polygon(), dtype=object)
    order = np.argsort(group, kind="stable")
    sorted_groups, geoms = group[order], geoms[order]
    counts = np.bincount(sorted_groups, minlength=n_groups)
    starts = np.searchsorted(sorted_groups, np.arange(n_groups))
    one = counts == 1
    out[one] = geoms[starts[one]]
    width = 2
    while True:
        ids = np.flatnonzero((counts > width // 2) & (counts <= width) & ~one)
        if len(ids):
            pos = np.arange(width)
            mask = pos[None, :] < counts[ids][:, None]
            table = np.full((len(ids), width), None, dtype=object)
            table[mask] = geoms[(starts[ids][:, None] + pos[None, :])[mask]]
            out[ids] = _in_threads(_coverage_union_rows, table)
        if width >= counts.max(initial=0):
            return out
        width *= 2


def coverage_union(geoms: np.ndarray) -> shapely.Geometry:
    """Coverage union of ``geoms``, or the overlay union where GEOS finds them not exactly noded.

    Voronoi cells of nearly collinear points can meet at vertices computed with
    different rounding on either side; the overlay union then joins them (on a
    micrometre grid after repairing the pieces, should GEOS still fail).

    Parameters
    ----------
    geoms
        Polygons forming a coverage (sharing edges exactly).

    Returns
    -------
    union
        One polygonal geometry.
    """
    try:
        return shapely.coverage_union_all(geoms)
    except shapely.errors.GEOSException:
        pass
    try:
        return shapely.union_all(geoms)
    except shapely.errors.GEOSException:
        return shapely.union_all(shapely.make_valid(geoms), grid_size=1e-6)


def _coverage_union_rows(table: np.ndarray) -> np.ndarray:
    """:func:`coverage_union` of each row of an object array (None = nothing)."""
    try:
        return shapely.coverage_union_all(table, axis=1)
    except shapely.errors.GEOSException:
        present = [np.array([g is not None for g in row], bool) for row in table]
        return np.array([coverage_union(row[has]) for row, has in zip(table, present)], dtype=object)
