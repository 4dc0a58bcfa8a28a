"""Array views of a walking network, shared by coverage and isochrones.

Built once per graph object and cached (weakly) so that several stages can reuse
the CSR adjacency, the undirected edge table and its spatial index.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import cached_property

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from .errors import InputError

#: spacing of the points along streets whose Voronoi cells make the street cells
CELL_SPACING_M = 2.0
#: finer spacing near other streets (see :attr:`NetworkArrays.fine_spacing`)
CELL_CLOSE_M = 10.0
CELL_ZIGZAG_M = 0.05
CELL_MIN_SPACING_M = 0.25
#: how far inside a segment its end points are sampled for the cells, at least
#: (see :meth:`NetworkArrays.cells_of`)
CELL_INSET_M = 0.01
#: longest piece of street in the nearest-street index (metres)
PIECE_M = 20.0
#: candidate pieces examined per point before falling back to the STRtree
_SNAP_CANDIDATES = 12
#: at most this many sample points for the cells (spacing grows on larger networks)
CELL_MAX_POINTS = 400_000
#: how far beyond the network the street cells extend
CELL_MARGIN_M = 5_000.0

_CACHE: "weakref.WeakKeyDictionary[nx.MultiDiGraph, NetworkArrays]" = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class NetworkArrays:
    """The network as arrays.

    Attributes
    ----------
    node_ids
        OSM node id of each node index.
    indptr, indices, minutes
        CSR adjacency over node indices; ``minutes`` is the shortest of parallel edges.
    edge_u, edge_v
        Node indices of each undirected edge (one row per street, not per direction).
    edge_minutes
        Walking minutes along each undirected edge.
    edge_geoms
        Shapely lines of the undirected edges, drawn from ``edge_u`` to ``edge_v``.
    tree
        ``shapely.STRtree`` over ``edge_geoms``.
    metres_per_minute
        Walking speed of the network.
    """

    node_ids: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    minutes: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_minutes: np.ndarray
    edge_geoms: np.ndarray
    tree: shapely.STRtree
    metres_per_minute: float

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @cached_property
    def segments(self) -> "Segments":
        """Every straight segment of every street, in street order."""
        coords, owner = shapely.get_coordinates(self.edge_geoms, return_index=True)
        same = owner[1:] == owner[:-1]
        start = coords[:-1][same]
        end = coords[1:][same]
        edge = owner[:-1][same]
        seg_len = np.hypot(end[:, 0] - start[:, 0], end[:, 1] - start[:, 1])
        first = np.ones(len(edge), bool)
        first[1:] = edge[1:] != edge[:-1]
        last = np.ones(len(edge), bool)
        last[:-1] = edge[1:] != edge[:-1]
        csum = np.cumsum(seg_len)
        street_base = np.maximum.accumulate(np.where(first, csum - seg_len, -np.inf))
        x0 = csum - seg_len - street_base
        angle = np.arctan2(end[:, 1] - start[:, 1], end[:, 0] - start[:, 0])
        prev_angle = angle.copy()
        prev_angle[1:] = np.where(first[1:], angle[1:], angle[:-1])
        ptr = np.searchsorted(edge, np.arange(len(self.edge_geoms) + 1))
        return Segments(edge, start, end, x0, seg_len, prev_angle, first, last, ptr)

    @cached_property
    def fine_spacing(self) -> np.ndarray:
        """Sample spacing of each segment for the cells, finer beside another street.

        Between two streets ``D`` metres apart sampled every ``s`` metres, the
        Voronoi boundary zigzags about the true one by up to ``s**2 / (8 D)``; a
        segment within :data:`CELL_CLOSE_M` of another street (other than where
        they meet) is sampled every ``sqrt(8 D t)`` metres (``t`` =
        :data:`CELL_ZIGZAG_M`), at least every :data:`CELL_MIN_SPACING_M` and
        at most every :data:`CELL_SPACING_M`. Measured over the whole network,
        so that the cells of a few streets match the whole network's.
        """
        seg = self.segments
        lines = shapely.linestrings(np.stack([seg.start, seg.end], axis=1))
        i, j = shapely.STRtree(lines).query(lines, predicate="dwithin", distance=CELL_CLOSE_M)
        pair = seg.edge[i] != seg.edge[j]
        i, j = i[pair], j[pair]
        gap = shapely.distance(lines[i], lines[j])
        apart = gap > 1e-9  # segments that meet at a junction part exactly there (the insets)
        clearance = np.full(len(lines), np.inf)
        np.minimum.at(clearance, i[apart], gap[apart])
        return np.clip(np.sqrt(8 * clearance * CELL_ZIGZAG_M), CELL_MIN_SPACING_M, CELL_SPACING_M)

    @cached_property
    def node_streets(self) -> tuple[np.ndarray, np.ndarray]:
        """CSR (pointer, street indices) from each node to the streets that end at it."""
        ends = np.concatenate([self.edge_u, self.edge_v])
        street = np.concatenate([np.arange(len(self.edge_u)), np.arange(len(self.edge_u))])
        order = np.argsort(ends, kind="stable")
        ptr = np.zeros(self.n_nodes + 1, np.int64)
        np.cumsum(np.bincount(ends, minlength=self.n_nodes), out=ptr[1:])
        return ptr, street[order]

    @cached_property
    def pieces(self) -> "Pieces":
        """Segments cut into pieces of at most :data:`PIECE_M` metres, with a k-d tree of their midpoints."""
        from scipy.spatial import cKDTree

        seg = self.segments
        parts = np.maximum(1, np.ceil(seg.length / PIECE_M)).astype(np.int64)
        owner, idx = expand_ranges(np.zeros_like(parts), parts)
        f0 = idx / parts[owner]
        f1 = (idx + 1) / parts[owner]
        d = seg.end[owner] - seg.start[owner]
        start = seg.start[owner] + d * f0[:, None]
        end = seg.start[owner] + d * f1[:, None]
        length = seg.length[owner] / parts[owner]
        x0 = seg.x0[owner] + seg.length[owner] * f0
        mid = (start + end) / 2
        return Pieces(start, end, seg.edge[owner], x0, length, float(length.max() / 2 if len(length) else 0.0),
                      cKDTree(mid))

    @cached_property
    def cells(self) -> "Cells":
        """Nearest-segment and nearest-street cells of the whole network (see :class:`Cells`).

        Computed once per network from a Voronoi diagram of points every
        :data:`CELL_SPACING_M` metres along the streets (sparser on networks
        longer than :data:`CELL_MAX_POINTS` x 2 m, so that the work stays
        bounded; every segment keeps at least its ends and midpoint).
        """
        return self.cells_of(None)

    def cells_near(self, points: np.ndarray, reach_m: float) -> "Cells":
        """Cells that are exact for every point within ``reach_m`` of the streets that lie within ``reach_m`` of ``points``.

        A point that close to such a street has its nearest street within
        ``2 * reach_m`` of it, so only the streets within ``3 * reach_m`` of
        ``points`` take part. The whole network's cells (cached) are used when
        they exist or when the neighbourhood holds most of the network.
        """
        if "cells" in self.__dict__:
            return self.cells
        near = np.unique(self.tree.query(points, predicate="dwithin", distance=3 * reach_m)[1])
        if self.edge_minutes[near].sum() > 0.5 * self.edge_minutes.sum():
            return self.cells
        return self.cells_of(near)

    def cells_of(self, streets: np.ndarray | None) -> "Cells":
        """Cells of the diagram of ``streets`` only (all when ``None``); other streets get empty cells."""
        seg = self.segments
        if streets is None:
            members = np.arange(len(seg.edge))
        else:
            members = np.flatnonzero(np.isin(seg.edge, streets))
        # 2 m apart, or sparser on very large networks to bound the work
        spacing = max(CELL_SPACING_M, float(seg.length[members].sum()) / CELL_MAX_POINTS)
        # zero-length segments (repeated vertices) contribute their midpoint only
        real = members[seg.length[members] > 0]
        lines = shapely.linestrings(np.stack([seg.start[real], seg.end[real]], axis=1))
        fine = self.fine_spacing[real] if spacing <= CELL_SPACING_M else np.inf
        dense = shapely.segmentize(lines, np.minimum(fine, spacing))
        xy, owner = shapely.get_coordinates(dense, return_index=True)
        # a segment's end points are shared with its neighbours (the next
        # segment, the other streets at a junction); each segment samples them
        # a hair inside instead, so that the cells of two segments meeting at a
        # point part along the bisector of their directions through it: the
        # exact boundary of the nearest-segment areas there (a vertex sample
        # given to one segment would hand it a strip of the other's area, half
        # the spacing wide)
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
        owner = real[owner]
        # every segment keeps its midpoint, so that it owns a cell
        mids = (seg.start[members] + seg.end[members]) / 2
        xy = np.concatenate([xy, mids])
        owner = np.concatenate([owner, members])
        order = np.argsort(owner, kind="stable")
        xy, owner = xy[order], owner[order]
        # a point shared by several segments (overlapping streets) goes to the
        # lowest segment, hence the lowest street index, as in snap()
        _, first = np.unique(np.round(xy, 6), axis=0, return_index=True)
        first.sort()
        xy, owner = xy[first], owner[first]
        points = shapely.multipoints(xy)
        extent = shapely.buffer(shapely.envelope(points), CELL_MARGIN_M)
        pieces = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=extent, ordered=True))
        # only the outermost pieces reach past the extent (the others lie inside its envelope)
        box = shapely.bounds(points)
        pb = shapely.bounds(pieces)
        outer = (pb[:, 0] < box[0]) | (pb[:, 1] < box[1]) | (pb[:, 2] > box[2]) | (pb[:, 3] > box[3])
        pieces[outer] = shapely.intersection(pieces[outer], extent)
        segment_cells = _dissolve(pieces, owner, len(seg.edge))
        street_cells = _dissolve(segment_cells, seg.edge, len(self.edge_geoms))
        depth = np.full(len(street_cells), np.inf)
        drawn = ~shapely.is_empty(street_cells)
        depth[drawn] = shapely.hausdorff_distance(street_cells[drawn], self.edge_geoms[drawn], densify=0.25)
        return Cells(segment_cells, street_cells, depth)


def expand_ranges(start: np.ndarray, stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate ``arange(start[i], stop[i])`` for every i, vectorised.

    Returns ``(which, index)``: for each element, the range ``i`` it came from
    and its value.
    """
    counts = stop - start
    which = np.repeat(np.arange(len(counts)), counts)
    index = np.repeat(start - np.cumsum(counts) + counts, counts) + np.arange(len(which))
    return which, index


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
            out[ids] = _coverage_union_rows(table)
        if width >= counts.max(initial=0):
            return out
        width *= 2


def coverage_union(geoms: np.ndarray):
    """Coverage union of ``geoms``, or the overlay union where GEOS finds them not exactly noded.

    Voronoi cells of nearly collinear points can meet at vertices computed with
    different rounding on either side; the overlay union then joins them (on a
    micrometre grid after repairing the pieces, should GEOS still fail).
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
        return np.array([coverage_union(row[row != None]) for row in table], dtype=object)  # noqa: E711


@dataclass(frozen=True)
class Segments:
    """Straight segments of the streets.

    ``edge`` is each segment's street, ``start`` / ``end`` its coordinates, ``x0``
    the distance of its start from the street's start, ``length`` its length,
    ``prev_angle`` the direction of the segment before it on the same street
    (its own for a first segment), ``first`` / ``last`` whether it opens / closes
    its street, and ``ptr`` the CSR pointer from streets to their segments.
    """

    edge: np.ndarray
    start: np.ndarray
    end: np.ndarray
    x0: np.ndarray
    length: np.ndarray
    prev_angle: np.ndarray
    first: np.ndarray
    last: np.ndarray
    ptr: np.ndarray


@dataclass(frozen=True)
class Pieces:
    """Short pieces of the segments, for exact nearest-street search.

    ``x0`` is the distance of a piece's start from its street's start, ``half_max``
    half the longest piece, ``tree`` a ``scipy.spatial.cKDTree`` of the midpoints.
    """

    start: np.ndarray
    end: np.ndarray
    edge: np.ndarray
    x0: np.ndarray
    length: np.ndarray
    half_max: float
    tree: object


@dataclass(frozen=True)
class Cells:
    """Areas by nearest network piece.

    ``segment`` holds, per segment, the area whose nearest point of the network
    lies on that segment; ``street`` the same per street; ``depth`` the farthest
    any point of a street's cell lies from the street (``inf`` where empty).
    """

    segment: np.ndarray
    street: np.ndarray
    depth: np.ndarray


@dataclass(frozen=True)
class Snapped:
    """Points attached to their nearest undirected edge.

    ``offset_u`` / ``offset_v`` are the walking minutes along the edge from the
    attachment point to its two end nodes, ``access`` the minutes of the straight
    walk from the point to the edge, ``along`` the metres from ``edge_u``.
    """

    edge: np.ndarray
    node_u: np.ndarray
    node_v: np.ndarray
    offset_u: np.ndarray
    offset_v: np.ndarray
    access: np.ndarray
    along: np.ndarray
    distance_m: np.ndarray


def network_arrays(G: nx.MultiDiGraph) -> NetworkArrays:
    """Array view of ``G`` (cached per graph object)."""
    cached = _CACHE.get(G)
    if cached is not None:
        return cached
    if G.number_of_edges() == 0:
        raise InputError("network has no edges; expected a walking network from planner.load_network")
    speed = G.graph.get("speed_kmh")
    if speed is None:
        raise InputError("network has no 'speed_kmh' graph attribute; build it with planner.load_network")
    node_ids = np.fromiter(G.nodes, dtype=np.int64, count=G.number_of_nodes())
    position = {n: i for i, n in enumerate(G.nodes)}
    rows = []
    for u, v, k, d in G.edges(keys=True, data=True):
        if "minutes" not in d or "geometry" not in d:
            raise InputError("network edges need 'minutes' and 'geometry'; build the network with planner.load_network")
        rows.append((position[u], position[v], float(d["minutes"]), float(d["length"]), d["geometry"]))
    table = pd.DataFrame(rows, columns=["u", "v", "minutes", "length", "geometry"])
    # adjacency: shortest of parallel edges
    best = table.sort_values(["u", "v", "minutes"]).drop_duplicates(["u", "v"])
    n = len(node_ids)
    adj = sp.csr_matrix(
        (best["minutes"].to_numpy(), (best["u"].to_numpy(), best["v"].to_numpy())), shape=(n, n)
    )
    adj.sort_indices()
    # one row per street: drop the reverse copy of each two-way edge
    table["a"] = np.minimum(table["u"], table["v"])
    table["b"] = np.maximum(table["u"], table["v"])
    table["mm"] = np.round(table["length"].to_numpy() * 1000).astype(np.int64)
    streets = table.sort_values(["a", "b", "mm", "u"], kind="stable").drop_duplicates(["a", "b", "mm"])
    geoms = np.asarray(streets["geometry"].to_numpy(), dtype=object)
    arrays = NetworkArrays(
        node_ids=node_ids,
        indptr=adj.indptr.astype(np.int64),
        indices=adj.indices.astype(np.int64),
        minutes=adj.data.astype(np.float64),
        edge_u=streets["u"].to_numpy(np.int64),
        edge_v=streets["v"].to_numpy(np.int64),
        edge_minutes=streets["minutes"].to_numpy(np.float64),
        edge_geoms=geoms,
        tree=shapely.STRtree(geoms),
        metres_per_minute=float(speed) * 1000.0 / 60.0,
    )
    _CACHE[G] = arrays
    return arrays


def snap(arrays: NetworkArrays, points: np.ndarray) -> Snapped:
    """Attach shapely ``points`` (network CRS) to their nearest street.

    The nearest street is found exactly: a k-d tree over short pieces of every
    segment proposes candidates, whose exact point-to-segment distances decide;
    a point whose candidates cannot be proven to hold the nearest piece falls back
    to shapely's STRtree. Ties between equally near streets go to the lowest
    edge index (deterministic).
    """
    points = np.asarray(points, dtype=object)
    n = len(points)
    if n == 0:
        empty_i = np.zeros(0, np.int64)
        empty_f = np.zeros(0, np.float64)
        return Snapped(empty_i, empty_i, empty_i, empty_f, empty_f, empty_f, empty_f, empty_f)
    xy = shapely.get_coordinates(points)
    pieces = arrays.pieces
    k = min(_SNAP_CANDIDATES, len(pieces.start))
    near_d, cand = pieces.tree.query(xy, k=k)
    if k == 1:
        near_d, cand = near_d[:, None], cand[:, None]
    a = pieces.start[cand]
    b = pieces.end[cand]
    ab = b - a
    ab2 = np.einsum("ijk,ijk->ij", ab, ab)
    ap = xy[:, None, :] - a
    t = np.clip(np.divide(np.einsum("ijk,ijk->ij", ap, ab), ab2, out=np.zeros_like(ab2), where=ab2 > 0), 0.0, 1.0)
    foot = a + ab * t[..., None]
    dist = np.hypot(xy[:, None, 0] - foot[..., 0], xy[:, None, 1] - foot[..., 1])
    edge_of = pieces.edge[cand]
    # nearest distance first, then the lowest street, then the earliest piece
    best_d = dist.min(axis=1)
    tie = dist <= best_d[:, None] + 1e-9
    key = np.where(tie, edge_of * (len(pieces.start) + 1) + cand, np.iinfo(np.int64).max)
    j = np.argmin(key, axis=1)
    rows = np.arange(n)
    chosen = cand[rows, j]
    edge = pieces.edge[chosen]
    distance = dist[rows, j]
    along = pieces.x0[chosen] + t[rows, j] * pieces.length[chosen]
    # proof: any piece outside the candidates is at least (k-th midpoint distance -
    # half the longest piece) away; otherwise ask the exact STRtree
    unsure = np.flatnonzero(near_d[:, -1] - pieces.half_max < best_d + 1e-9) if k < len(pieces.start) else np.zeros(0, np.int64)
    if len(unsure):
        (pi, ei), d = arrays.tree.query_nearest(points[unsure], return_distance=True, all_matches=True)
        order = np.lexsort((ei, pi))
        pi, ei, d = pi[order], ei[order], d[order]
        first = np.ones(len(pi), bool)
        first[1:] = pi[1:] != pi[:-1]
        pi, ei, d = pi[first], ei[first], d[first]
        edge[unsure[pi]] = ei
        distance[unsure[pi]] = d
        along[unsure[pi]] = shapely.line_locate_point(arrays.edge_geoms[ei], points[unsure[pi]])
    length = arrays.edge_minutes[edge] * arrays.metres_per_minute
    along = np.clip(along, 0.0, length)
    frac = np.divide(along, length, out=np.zeros_like(along), where=length > 0)
    mins = arrays.edge_minutes[edge]
    return Snapped(
        edge=edge,
        node_u=arrays.edge_u[edge],
        node_v=arrays.edge_v[edge],
        offset_u=frac * mins,
        offset_v=(1.0 - frac) * mins,
        access=distance / arrays.metres_per_minute,
        along=along,
        distance_m=distance,
    )


def drop_far_points(G: nx.MultiDiGraph, gdf, *, what: str, max_snap_m: float, keep: bool = False):
    """Points farther than ``max_snap_m`` from the network: kept (homes) or left out (sites), with a warning.

    Homes are kept (``keep=True``): they stay in every population total and count
    as not covered (:func:`planner.coverage` gives them no walk). Sites are left
    out, and the warning names them. Either way the frame gets ``street_m``, the
    distance to the nearest street, and the left-out rows are in
    ``out.attrs["off_network"]``, a list of records (``site_id``, ``name``,
    ``street_m``, ``reason``).

    Raises
    ------
    DataError
        If every point is that far.
    """
    import warnings

    from .errors import DataError

    if len(gdf) == 0:
        return gdf
    arrays = network_arrays(G)
    snapped = snap(arrays, gdf.geometry.values)
    far = snapped.distance_m > max_snap_m
    if far.all():
        raise DataError(
            f"{what}: all {len(gdf):,} points are farther than {max_snap_m:g} m from the walking network "
            f"(nearest {snapped.distance_m.min():,.0f} m); expected points inside the network's area"
        )
    gdf = gdf.copy()
    # unrounded: the same distance coverage() cuts at, so every stage agrees on who is off the network
    gdf["street_m"] = snapped.distance_m
    reason = f"no street within {max_snap_m:g} m"
    if far.any():
        if keep:
            people = float(gdf["population"].to_numpy(float)[far].sum()) if "population" in gdf else float(far.sum())
            warnings.warn(
                f"{what}: {int(far.sum()):,} of {len(gdf):,} points (population {people:,.0f}) are farther than "
                f"{max_snap_m:g} m from the walking network; kept and counted as not covered "
                f"(unreachable.csv, reason '{reason}')",
                UserWarning,
                stacklevel=3,
            )
        else:
            gone = gdf[far]
            label = gone["name"].astype(str) if "name" in gone else gone.get("site_id", pd.Series(gone.index)).astype(str)
            listed = ", ".join(f"{n!r} ({d:,.0f} m)" for n, d in zip(label.iloc[:5], gone["street_m"].iloc[:5]))
            more = f" and {len(gone) - 5:,} more" if len(gone) > 5 else ""
            warnings.warn(
                f"{what}: {int(far.sum()):,} of {len(gdf):,} points are farther than {max_snap_m:g} m "
                f"from the walking network and were left out: {listed}{more}",
                UserWarning,
                stacklevel=3,
            )
            cols = [c for c in ("site_id", "name", "street_m") if c in gone]
            off = pd.DataFrame(gone[cols]).reset_index(drop=True)
            off["street_m"] = off["street_m"].round(1)
            off["reason"] = reason
            gdf = gdf[~far].reset_index(drop=True)
            # records, not a frame: pandas compares attrs when frames are joined
            gdf.attrs["off_network"] = off.to_dict(orient="records")
    return gdf


def check_datum(G: nx.MultiDiGraph, gdf, *, what: str, source, option: str) -> None:
    """Warn when WGS-84 points in China sit markedly closer to the streets read as GCJ-02 or BD-09.

    Coordinates copied from Amap / Gaode / Tencent (GCJ-02) or Baidu (BD-09) and
    taken as WGS-84 sit hundreds of metres off. The median distance to the
    nearest street is compared as given and after each inversion; when an
    inversion at least halves it and gains more than 30 m, a warning names the
    file, the medians and the option that reads the file right.
    """
    import warnings

    import pyproj

    from .datums import bd09_to_wgs84, gcj02_to_wgs84, in_china

    if len(gdf) == 0:
        return
    ll = gdf.to_crs("EPSG:4326") if gdf.crs is not None else gdf
    lon, lat = shapely.get_x(ll.geometry.values), shapely.get_y(ll.geometry.values)
    if in_china(lon, lat).mean() < 0.5:
        return
    arrays = network_arrays(G)
    to_net = pyproj.Transformer.from_crs("EPSG:4326", G.graph["crs"], always_xy=True)

    def median_gap(x, y) -> float:
        px, py = to_net.transform(x, y)
        return float(np.median(snap(arrays, shapely.points(px, py)).distance_m))

    given = median_gap(lon, lat)
    options = {"gcj02": median_gap(*gcj02_to_wgs84(lon, lat)), "bd09": median_gap(*bd09_to_wgs84(lon, lat))}
    datum, best = min(options.items(), key=lambda item: item[1])
    if best <= 0.5 * given and given - best > 30.0:
        label = "GCJ-02 (Amap / Gaode / Tencent)" if datum == "gcj02" else "BD-09 (Baidu)"
        warnings.warn(
            f"{source}: {what} sit much closer to the streets read as {label}: median {best:,.0f} m from a street, "
            f"against {given:,.0f} m as WGS-84; if they were copied from such a map, pass --input-crs {option}={datum}",
            UserWarning,
            stacklevel=3,
        )
