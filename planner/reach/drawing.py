"""Drawing walking areas: per site, the parts of the street cells it reaches (used by :func:`planner.reach.walk_areas`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from planner.reach.arrays import NetworkArrays
from planner.reach.cells import Cells, coverage_union
from planner.reach.segments import Segments, expand_ranges
from planner.reach.snapping import Snapped

__all__ = [
    "ARC_TOLERANCE_M",
    "EDGE_TOLERANCE_M",
    "GRID_M",
    "MIN_FEATURE_M2",
    "TIE_TOLERANCE_M",
    "SiteReach",
    "draw_batch",
]

#: most straight pieces per half disc drawn at street vertices; arcs are drawn
#: circumscribed, so they contain the true disc
_ARC_STEPS = 32
#: how far an arc may reach beyond its circle (metres) when fewer pieces do; a
#: half disc of radius r > 415 m, drawn with 32 pieces, reaches up to 0.12 % of r
ARC_TOLERANCE_M = 0.5
#: polygon vertices are snapped to this grid (metres) before reprojection
GRID_M = 1e-3
#: the polygon may differ from the exact walkable area only this close to its
#: edge or, in walking, to the limit (arcs reach up to ARC_TOLERANCE_M beyond
#: their circle; holes under MIN_FEATURE_M2 are filled; the boundary between
#: two streets a few metres or less apart is sampled, see
#: planner.reach.arrays.NetworkArrays.cells_of) ...
EDGE_TOLERANCE_M = 1.0
#: ... or where a point is within this of being equally near two streets (the
#: nearest-street boundary is drawn from samples along the streets)
TIE_TOLERANCE_M = 0.25
#: holes and detached pieces smaller than this (square metres) are filled / dropped
MIN_FEATURE_M2 = 1.0

#: shapes drawn by :func:`_side_shapes`: the shapes, the segment cell each is clipped to, the site of each
_Drawn = tuple[np.ndarray, np.ndarray, np.ndarray]


def _arc_steps(radius: np.ndarray) -> np.ndarray:
    """Straight pieces for a half circle of ``radius`` metres.

    The fewest of 4, 8, 16, 32 whose circumscribed polygon lies within :data:`ARC_TOLERANCE_M` of the circle (32 at
    most).
    """
    steps = np.full(np.shape(radius), _ARC_STEPS, dtype=np.int64)
    for m in (16, 8, 4):
        steps[radius * (1.0 / np.cos(np.pi / (2 * m)) - 1.0) <= ARC_TOLERANCE_M] = m
    return steps


def _sectors(centres: np.ndarray, radii: np.ndarray, alpha: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Circumscribed polygons of disc sectors (start angle ``alpha``, counter-clockwise ``span``)."""
    out = np.empty(len(centres), dtype=object)
    steps = _arc_steps(radii)
    for m in np.unique(steps):
        rows = np.flatnonzero(steps == m)
        k = np.linspace(0.0, 1.0, m + 1)
        theta = alpha[rows, None] + span[rows, None] * k[None, :]
        reach = (radii[rows] / np.cos(span[rows] / (2 * m)))[:, None]
        c = centres[rows]
        arc = np.stack([c[:, 0:1] + reach * np.cos(theta), c[:, 1:2] + reach * np.sin(theta)], axis=2)
        ring = np.concatenate([c[:, None, :], arc, c[:, None, :]], axis=1)
        out[rows] = shapely.polygons(ring)
    return out


def _side_shapes(
    segs: Segments,
    k: np.ndarray,
    r0: np.ndarray,
    r1: np.ndarray,
    tag: np.ndarray,
    start: np.ndarray | None = None,
    end: np.ndarray | None = None,
    first: np.ndarray | None = None,
    last: np.ndarray | None = None,
    prev_angle: np.ndarray | None = None,
    waist: np.ndarray | None = None,
    r_waist: np.ndarray | None = None,
) -> _Drawn:
    """Area reachable from segments whose budget runs linearly from ``r0`` to ``r1`` metres.

    Each segment gives the band of points whose nearest point lies on it, as
    far out as the budget left there (a quad), and each vertex the fan of points
    whose nearest point is the vertex (a disc sector on the outer side of the
    turn; a half disc at a street's ends).

    ``k`` are segment indices; ``start``, ``end``, ``first``, ``last`` and
    ``prev_angle`` default to the segments' own (pieces of segments pass theirs).

    ``tag`` (one integer per segment, the site) is carried to the shapes.
    ``waist`` / ``r_waist``: where the budget is least inside a segment reached
    from both ends (a fraction of the segment) and the budget there; the band
    narrows to it and widens again (both ends are then above zero).

    Returns the shapes, for each the index of the segment whose cell it is
    clipped to (fans at inner vertices are marked with ``-1 - k``: clipped to the
    cells of segment ``k`` and the one before it), and their tags.
    """
    start = segs.start[k] if start is None else start
    end = segs.end[k] if end is None else end
    first = segs.first[k] if first is None else first
    last = segs.last[k] if last is None else last
    prev_angle = segs.prev_angle[k] if prev_angle is None else prev_angle
    keep = (r0 > 0) | (r1 > 0)
    start, end, r0, r1, k, tag = start[keep], end[keep], r0[keep], r1[keep], k[keep], tag[keep]
    prev_angle, first, last = prev_angle[keep], first[keep], last[keep]
    if waist is not None and r_waist is not None:
        waist, r_waist = waist[keep], r_waist[keep]
    band = _cut_at_frontier(start, end, r0, r1)
    # half discs behind a street's first vertex and beyond its last one are
    # drawn into the segment's own band (one ring, one cell to clip to)
    cap0 = (band.q0 > 0) & (band.frac0 == 0) & first
    cap1 = (band.q1 > 0) & (band.frac1 == 1) & last
    # the waist (a vertex on the straight band edge where there is none)
    if waist is None or r_waist is None:
        waist, r_waist = (band.frac0 + band.frac1) / 2, (band.q0 + band.q1) / 2
    pw = start + (end - start) * waist[:, None]
    bands = _band_polygons(band, cap0, cap1, pw, r_waist)[band.ok]
    # the outer wedge of the turn at an inner vertex
    turn = np.angle(np.exp(1j * (band.angle - prev_angle)))
    at_turn = (band.q0 > 0) & (band.frac0 == 0) & band.ok & ~first & (np.abs(turn) > 1e-9)
    alpha = np.where(turn > 0, prev_angle - np.pi / 2, band.angle + np.pi / 2)
    fans = _sectors(start[at_turn], band.q0[at_turn], alpha[at_turn], np.abs(turn)[at_turn])
    shapes = np.concatenate([bands, fans])
    owners = np.concatenate([k[band.ok], -1 - k[at_turn]])
    return shapes, owners, np.concatenate([tag[band.ok], tag[at_turn]])


@dataclass(frozen=True)
class _Band:
    """Segments cut where the walking budget reaches zero: the reached part of each and its frame.

    ``frac0`` / ``frac1`` are where the reached part begins and ends (fractions
    of the segment), ``p0`` / ``p1`` those points, ``q0`` / ``q1`` the budget
    left there (metres, at least 0); ``n`` the unit normal to the left of the
    segment's direction ``angle``; ``ok`` false for segments of no length
    (their normal is zero and they draw no band).
    """

    frac0: np.ndarray
    frac1: np.ndarray
    p0: np.ndarray
    p1: np.ndarray
    q0: np.ndarray
    q1: np.ndarray
    n: np.ndarray
    angle: np.ndarray
    ok: np.ndarray


def _cut_at_frontier(start: np.ndarray, end: np.ndarray, r0: np.ndarray, r1: np.ndarray) -> _Band:
    """Segments from ``start`` to ``end`` with a budget running linearly from ``r0`` to ``r1``, cut where it is zero."""
    with np.errstate(divide="ignore", invalid="ignore"):
        frac1 = np.where(r1 < 0, r0 / (r0 - r1), 1.0)
        frac0 = np.where(r0 < 0, r0 / (r0 - r1), 0.0)
    p0 = start + (end - start) * frac0[:, None]
    p1 = start + (end - start) * frac1[:, None]
    d = end - start
    length = np.hypot(d[:, 0], d[:, 1])
    ok = length > 1e-9
    n = np.zeros_like(d)
    n[ok] = np.stack([-d[ok, 1], d[ok, 0]], axis=1) / length[ok, None]
    angle = np.arctan2(d[:, 1], d[:, 0])
    return _Band(frac0, frac1, p0, p1, np.maximum(r0, 0.0), np.maximum(r1, 0.0), n, angle, ok)


def _band_polygons(band: _Band, cap0: np.ndarray, cap1: np.ndarray, pw: np.ndarray, r_waist: np.ndarray) -> np.ndarray:
    """One polygon per segment (``None`` where not ``band.ok``): its band, out as far as the budget, with its caps.

    The band runs from ``p0`` to ``p1``, through the waist ``pw`` (budget
    ``r_waist`` there); where ``cap0`` / ``cap1`` a half disc closes its start /
    end (a street's first / last vertex), else a straight edge across it.
    """
    p0, p1, q0, q1, n, angle = band.p0, band.p1, band.q0, band.q1, band.n, band.angle
    # the band's own corners bracket each cap, so the band edges are exact
    c0p, c0m = p0 + n * q0[:, None], p0 - n * q0[:, None]
    c1p, c1m = p1 + n * q1[:, None], p1 - n * q1[:, None]
    cwp, cwm = pw + n * r_waist[:, None], pw - n * r_waist[:, None]
    # arcs get as many straight pieces as their radius needs (see _arc_steps);
    # a band without caps has one piece at each end
    steps = np.where(cap0 | cap1, _arc_steps(np.maximum(np.where(cap0, q0, 0.0), np.where(cap1, q1, 0.0))), 1)
    bands = np.empty(len(p0), dtype=object)
    for m in np.unique(steps[band.ok]):
        rows = np.flatnonzero(band.ok & (steps == m))
        t = np.linspace(0.0, 1.0, m + 1)[None, :]
        grow = 1.0 / np.cos(np.pi / (2 * m))
        a, r0_, r1_ = angle[rows, None], q0[rows], q1[rows]
        rear, front = a + np.pi / 2 + np.pi * t, a - np.pi / 2 + np.pi * t
        # without a cap, the end is the straight edge across the band (repeated points)
        side0 = np.where(t > 0, -1.0, 1.0)
        c0, c1, nn = cap0[rows, None], cap1[rows, None], n[rows]
        back_x = np.where(
            c0, p0[rows, 0:1] + (r0_ * grow)[:, None] * np.cos(rear), p0[rows, 0:1] + nn[:, 0:1] * r0_[:, None] * side0
        )
        back_y = np.where(
            c0, p0[rows, 1:2] + (r0_ * grow)[:, None] * np.sin(rear), p0[rows, 1:2] + nn[:, 1:2] * r0_[:, None] * side0
        )
        fore_x = np.where(
            c1, p1[rows, 0:1] + (r1_ * grow)[:, None] * np.cos(front), p1[rows, 0:1] - nn[:, 0:1] * r1_[:, None] * side0
        )
        fore_y = np.where(
            c1, p1[rows, 1:2] + (r1_ * grow)[:, None] * np.sin(front), p1[rows, 1:2] - nn[:, 1:2] * r1_[:, None] * side0
        )
        # one ring per band: rear corner, rear end, the other rear corner, waist, front corner, front end, ...
        xs = [c0p[rows, :1], back_x, *(c[rows, :1] for c in (c0m, cwm, c1m)), fore_x]
        ys = [c0p[rows, 1:], back_y, *(c[rows, 1:] for c in (c0m, cwm, c1m)), fore_y]
        xs += [c[rows, :1] for c in (c1p, cwp, c0p)]
        ys += [c[rows, 1:] for c in (c1p, cwp, c0p)]
        ring = np.stack([np.concatenate(xs, axis=1), np.concatenate(ys, axis=1)], axis=2)
        bands[rows] = shapely.polygons(ring)
    return bands


class SiteReach:
    """Walking minutes from sites to the nodes they reach, looked up by (site, node).

    Parameters
    ----------
    keys
        ``site * n_nodes + node`` of every reached (site, node) pair, sorted.
    minutes
        The walking minutes of each pair.
    n_nodes
        Number of nodes of the network.
    """

    def __init__(self, keys: np.ndarray, minutes: np.ndarray, n_nodes: int) -> None:
        self.keys, self.minutes, self.n_nodes = keys, minutes, np.int64(n_nodes)

    def __call__(self, site: np.ndarray, node: np.ndarray) -> np.ndarray:
        """The minutes from each ``site`` to its ``node`` (``inf`` where it does not reach it)."""
        if len(self.keys) == 0:
            return np.full(len(site), np.inf)
        key = site.astype(np.int64) * self.n_nodes + node
        at = np.searchsorted(self.keys, key).clip(max=len(self.keys) - 1)
        return np.where(self.keys[at] == key, self.minutes[at], np.inf)


def draw_batch(
    lo: int,
    hi: int,
    limit: float,
    reach: SiteReach,
    nodes: np.ndarray,
    node_site: np.ndarray,
    arrays: NetworkArrays,
    cells: Cells,
    posts: Snapped,
) -> list[shapely.Geometry]:
    """
    The walking areas of the sites ``lo`` to ``hi``, drawn in one vectorised pass.

    Parameters
    ----------
    lo, hi
        The batch: sites ``lo`` to ``hi - 1``.
    limit
        Walking minutes.
    reach
        Minutes from the sites to the nodes they reach.
    nodes, node_site
        The nodes the batch's sites reach, each tagged with its site.
    arrays
        The network.
    cells
        Its nearest-segment and nearest-street cells, prepared for the streets reached.
    posts
        Every site, snapped to the network.

    Returns
    -------
    list of shapely.Geometry
        One polygon (or empty) per site of the batch.
    """
    batch = np.arange(lo, hi)
    site, street, da, db = _reached_streets(arrays, posts, batch, nodes, node_site, reach)
    full = _within_whole_cell(arrays, cells, limit, street, da, db)
    drawn = _partial_street_shapes(arrays, limit, reach, site[~full], street[~full])
    drawn += _own_street_shapes(arrays, limit, reach, posts, batch)
    clipped, tags = _clip_to_cells(drawn, cells)
    return _site_unions(lo, hi, clipped, tags, site[full], street[full], cells)


def _reached_streets(
    arrays: NetworkArrays, posts: Snapped, batch: np.ndarray, nodes: np.ndarray, node_site: np.ndarray, reach: SiteReach
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(site, street, minutes to its ``edge_u``, minutes to its ``edge_v``) of the streets the ``batch`` sites reach.

    The streets at each site's reached ``nodes`` (tagged ``node_site``), other
    than the site's own street; ordered by site, then street.
    """
    n_streets = np.int64(len(arrays.edge_u))
    own = posts.edge[batch]
    ptr, incident = arrays.node_streets
    which, index = expand_ranges(ptr[nodes], ptr[nodes + 1])
    pair = np.unique(np.concatenate([node_site[which] * n_streets + incident[index], batch * n_streets + own]))
    site, street = pair // n_streets, pair % n_streets
    da, db = reach(site, arrays.edge_u[street]), reach(site, arrays.edge_v[street])
    is_own = street == posts.edge[site]
    live = (np.isfinite(da) | np.isfinite(db)) & ~is_own
    return site[live], street[live], da[live], db[live]


def _within_whole_cell(
    arrays: NetworkArrays, cells: Cells, limit: float, street: np.ndarray, da: np.ndarray, db: np.ndarray
) -> np.ndarray:
    """Whether the budget left all along each street (reached ``da`` / ``db`` minutes at its ends) spans its cell."""
    mpm = arrays.metres_per_minute
    # least budget left anywhere along each reached street (at its farthest point)
    length = arrays.edge_minutes[street] * mpm
    with np.errstate(invalid="ignore"):
        peak = np.where(
            np.isfinite(da) & np.isfinite(db), (da * mpm + db * mpm + length) / 2, np.fmin(da, db) * mpm + length
        )
    return limit * mpm - peak >= cells.depth[street]


def _partial_street_shapes(
    arrays: NetworkArrays, limit: float, reach: SiteReach, site: np.ndarray, street: np.ndarray
) -> list[_Drawn]:
    """Shapes of the segments of the streets each ``site`` reaches in part, walked in from either end."""
    mpm = arrays.metres_per_minute
    segs = arrays.segments
    which, k = expand_ranges(segs.ptr[street], segs.ptr[street + 1])
    tag = site[which]
    e_of = segs.edge[k]
    street_len = arrays.edge_minutes * mpm
    x_start, x_end = segs.x0[k], segs.x0[k] + segs.length[k]
    drawn = []
    # budget (metres) at both ends of each segment, walked in from either end of
    # its street; the band follows the larger of the two
    left_u = (limit - reach(tag, arrays.edge_u[e_of])) * mpm
    left_v = (limit - reach(tag, arrays.edge_v[e_of])) * mpm
    ru0, ru1 = left_u - x_start, left_u - x_end
    rv0, rv1 = left_v - (street_len[e_of] - x_start), left_v - (street_len[e_of] - x_end)
    # the u budget falls along the segment and the v budget rises: compare the ends
    u_wins = (ru0 >= rv0) & (ru1 >= rv1)
    v_wins = ~u_wins & (rv0 >= ru0) & (rv1 >= ru1)
    cross = ~u_wins & ~v_wins
    with np.errstate(invalid="ignore", divide="ignore"):
        t_cross = np.where(cross, (ru0 - rv0) / ((ru0 - ru1) + (rv1 - rv0)), 0.5)
        r_cross = ru0 + (ru1 - ru0) * t_cross
    merged = cross & (r_cross > 0)
    apart = cross & ~merged  # the middle is out of reach: two bands
    for rows, r0, r1 in ((u_wins | apart, ru0, ru1), (v_wins | apart, rv0, rv1)):
        drawn.append(_side_shapes(segs, k[rows], r0[rows], r1[rows], tag[rows]))
    drawn.append(
        _side_shapes(
            segs, k[merged], ru0[merged], rv1[merged], tag[merged], waist=t_cross[merged], r_waist=r_cross[merged]
        )
    )
    return drawn


def _own_street_shapes(
    arrays: NetworkArrays, limit: float, reach: SiteReach, posts: Snapped, batch: np.ndarray
) -> list[_Drawn]:
    """Shapes of each ``batch`` site's own street: from the site both ways, and from its ends if reached back."""
    mpm = arrays.metres_per_minute
    segs = arrays.segments
    street_len = arrays.edge_minutes * mpm
    own = posts.edge[batch]
    which, k = expand_ranges(segs.ptr[own], segs.ptr[own + 1])
    tag = batch[which]
    x0, x1 = segs.x0[k], segs.x0[k] + segs.length[k]
    s0, s1 = segs.start[k], segs.end[k]
    span = np.where(segs.length[k] > 0, segs.length[k], 1.0)
    x_site = posts.along[tag]
    budget = (limit - posts.access[tag]) * mpm
    drawn = []
    for lo_x, hi_x in ((np.clip(x_site, x0, x1), x1), (x0, np.clip(x_site, x0, x1))):
        good = (hi_x > lo_x) & (budget > 0)
        pa = s0 + (s1 - s0) * ((lo_x - x0) / span)[:, None]
        pb = s0 + (s1 - s0) * ((hi_x - x0) / span)[:, None]
        # a piece that starts or ends inside a segment has no vertex there
        at_vertex0 = lo_x <= x0
        at_vertex1 = hi_x >= x1
        prev = np.where(at_vertex0, segs.prev_angle[k], np.arctan2(s1[:, 1] - s0[:, 1], s1[:, 0] - s0[:, 0]))
        drawn.append(
            _side_shapes(
                segs,
                k[good],
                (budget - np.abs(lo_x - x_site))[good],
                (budget - np.abs(hi_x - x_site))[good],
                tag[good],
                start=pa[good],
                end=pb[good],
                first=(segs.first[k] & at_vertex0)[good],
                last=(segs.last[k] & at_vertex1)[good],
                prev_angle=prev[good],
            )
        )
    e_own = segs.edge[k]
    for end_dist, from_start, from_end in (
        (reach(tag, arrays.edge_u[e_own]), x0, x1),
        (reach(tag, arrays.edge_v[e_own]), street_len[e_own] - x0, street_len[e_own] - x1),
    ):
        ok = np.isfinite(end_dist)
        left = (limit - end_dist[ok]) * mpm
        drawn.append(_side_shapes(segs, k[ok], left - from_start[ok], left - from_end[ok], tag[ok]))
    return drawn


def _clip_to_cells(drawn: list[_Drawn], cells: Cells) -> tuple[np.ndarray, np.ndarray]:
    """Each drawn shape clipped to the cell of its segment (an inner fan: of its two segments), and its site."""
    shapes, owners, tags = (np.concatenate(column) for column in zip(*drawn))
    owners, tags = owners.astype(np.int64), tags.astype(np.int64)
    inner_fan = owners < 0
    seg_of = np.where(inner_fan, -1 - owners, owners)
    clip = cells.segment[seg_of]
    if inner_fan.any():
        clip = clip.copy()
        clip[inner_fan] = shapely.union(cells.segment[seg_of[inner_fan] - 1], cells.segment[seg_of[inner_fan]])
    return shapely.intersection(shapes, clip), tags


def _site_unions(
    lo: int, hi: int, clipped: np.ndarray, tags: np.ndarray, whole_site: np.ndarray, whole: np.ndarray, cells: Cells
) -> list[shapely.Geometry]:
    """Site by site (``lo`` to ``hi``): the union of its whole street cells (a coverage) and its clipped shapes."""
    by_tag = np.argsort(tags, kind="stable")
    piece_bounds = np.searchsorted(tags[by_tag], np.arange(lo, hi + 1))
    w_order = np.argsort(whole_site, kind="stable")
    whole_cells = cells.street[whole[w_order]]
    whole_bounds = np.searchsorted(whole_site[w_order], np.arange(lo, hi + 1))
    out = []
    for i in range(hi - lo):
        cells_i = whole_cells[whole_bounds[i] : whole_bounds[i + 1]]
        pieces_i = clipped[by_tag[piece_bounds[i] : piece_bounds[i + 1]]]
        if len(cells_i):
            pieces_i = np.concatenate([[coverage_union(cells_i)], pieces_i])
        out.append(_union(pieces_i))
    return out


def _union(shapes: np.ndarray) -> shapely.Geometry:
    """Union of overlapping polygons.

    GEOS's zero-distance buffer of all pieces at once builds their union about
    twice as fast as a cascaded overlay (each ring's offset curve is noded with
    the others and kept where the cover depth is positive; ring orientation does
    not matter; the result is valid by construction). Its result is checked: it
    must hold at least the largest piece's area; otherwise, or if GEOS reports a topology exception,
    the exact overlay is used (on a 1 mm grid after repairing the pieces, as a
    last resort).
    """
    parts = shapely.get_parts(shapes)
    parts = parts[(shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)]
    if len(parts) == 0:
        return shapely.Polygon()
    if len(parts) == 1:
        return parts[0]
    merged = shapely.buffer(shapely.multipolygons(parts), 0.0)
    if shapely.area(merged) >= shapely.area(parts).max() * (1 - 1e-9):
        return merged
    try:
        return shapely.union_all(shapes)
    except shapely.errors.GEOSException:
        return shapely.union_all(shapely.make_valid(shapes), grid_size=GRID_M)
