"""The straight segments of a network's streets, and the vectorised range expansion used to walk them.

Below both :mod:`planner.reach.arrays` (whose :attr:`~planner.reach.arrays.NetworkArrays.segments`
are built here) and :mod:`planner.reach.cells` (which samples the segments for the street cells).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

__all__ = ["Segments", "expand_ranges", "street_segments"]


def expand_ranges(start: np.ndarray, stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate ``arange(start[i], stop[i])`` for every i, vectorised.

    Parameters
    ----------
    start, stop
        Integer arrays of equal length, ``stop >= start``.

    Returns
    -------
    which, index
        For each element, the range ``i`` it came from and its value.
    """
    counts = stop - start
    which = np.repeat(np.arange(len(counts)), counts)
    index = np.repeat(start - np.cumsum(counts) + counts, counts) + np.arange(len(which))
    return which, index


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


def street_segments(street_geoms: np.ndarray) -> Segments:
    """Every straight segment of every street, in street order.

    Parameters
    ----------
    street_geoms
        Shapely lines, one per street (undirected edge).

    Returns
    -------
    segments
        The segments of all the streets, with ``ptr`` from each street to its own.
    """
    coords, owner = shapely.get_coordinates(street_geoms, return_index=True)
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
    ptr = np.searchsorted(edge, np.arange(len(street_geoms) + 1))
    return Segments(edge, start, end, x0, seg_len, prev_angle, first, last, ptr)
