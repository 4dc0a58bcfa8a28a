"""Array views of a walking network, shared by coverage and isochrones.

One home per idea:

:mod:`.arrays`
    the adjacency and street tables (:class:`NetworkArrays`, cached per graph by
    :func:`network_arrays`), the straight segments and short pieces of the streets;
:mod:`.snapping`
    points attached to their nearest street (:func:`snap`), far points set aside
    (:func:`drop_far_points`), datum checks (:func:`check_datum`);
:mod:`.cells`
    the nearest-segment and nearest-street cells that isochrones clip to
    (:class:`Cells`, :func:`coverage_union`).
"""

from .arrays import PIECE_M, NetworkArrays, Pieces, Segments, expand_ranges, network_arrays, street_lines
from .cells import (
    CELL_CLOSE_M,
    CELL_INSET_M,
    CELL_MARGIN_M,
    CELL_MAX_POINTS,
    CELL_MIN_SPACING_M,
    CELL_SPACING_M,
    CELL_ZIGZAG_M,
    Cells,
    coverage_union,
)
from .snapping import Snapped, check_datum, drop_far_points, snap

__all__ = [
    "CELL_CLOSE_M",
    "CELL_INSET_M",
    "CELL_MARGIN_M",
    "CELL_MAX_POINTS",
    "CELL_MIN_SPACING_M",
    "CELL_SPACING_M",
    "CELL_ZIGZAG_M",
    "PIECE_M",
    "Cells",
    "NetworkArrays",
    "Pieces",
    "Segments",
    "Snapped",
    "check_datum",
    "coverage_union",
    "drop_far_points",
    "expand_ranges",
    "network_arrays",
    "snap",
    "street_lines",
]
