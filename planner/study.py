"""What a study is made of, checked once where it is built: the walk, the inputs and the tiers.

:func:`planner.plan`, :func:`planner.score`, :func:`planner.runs.coverage_curve_plan` and the command line take
the same three objects:

- :class:`Walk`: the walking limit and speed (and the distance they make);
- :class:`Study`: where the network, the homes and the sites come from, and how the planner's own files are read;
- :class:`Tiers`: the "1+5+N" plan's walk to a community centre and its cap on centres.

Each checks its values in ``__post_init__``, so a value that reaches a stage has been checked once, with one
message naming it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from planner.config import DEFAULTS, check_positive
from planner.errors import InputError

__all__ = ["RASTER_MODES", "Study", "Tiers", "Walk", "metres_per_minute"]

#: how a population raster becomes homes (:func:`planner.load_demand`)
RASTER_MODES = ("buildings", "cells")

PathLike = str | os.PathLike


def metres_per_minute(speed_kmh: float) -> float:
    """Metres walked in a minute at ``speed_kmh`` (4.8 km/h: 80 m)."""
    return speed_kmh * 1000.0 / 60.0


@dataclass(frozen=True)
class Walk:
    """
    The walk a station serves: a limit in minutes at a walking speed.

    Attributes
    ----------
    minutes
        The walking limit (positive, finite): the 5-minute life circle by default.
    speed_kmh
        Walking speed on flat ground (positive, finite).
    """

    minutes: float = DEFAULTS.minutes
    speed_kmh: float = DEFAULTS.speed_kmh

    def __post_init__(self) -> None:
        object.__setattr__(self, "minutes", check_positive("minutes", self.minutes))
        object.__setattr__(self, "speed_kmh", check_positive("speed_kmh", self.speed_kmh))

    @classmethod
    def of_metres(cls, metres: float, speed_kmh: float = DEFAULTS.speed_kmh) -> Walk:
        """The walk of ``metres`` of walking at ``speed_kmh`` (300 m at 3.6 km/h: 5 minutes)."""
        metres = check_positive("metres", metres)
        speed_kmh = check_positive("speed_kmh", speed_kmh)
        return cls(metres / metres_per_minute(speed_kmh), speed_kmh)

    @property
    def metres_per_minute(self) -> float:
        """Metres walked in a minute."""
        return metres_per_minute(self.speed_kmh)

    @property
    def metres(self) -> float:
        """The distance walked within the limit."""
        return self.minutes * self.metres_per_minute

    def margin_m(self, minutes: float | None = None) -> float:
        """The distance walked in ``minutes`` (default: the limit): how far beyond a boundary the streets are read."""
        return (self.minutes if minutes is None else minutes) * self.metres_per_minute


@dataclass(frozen=True)
class Tiers:
    """
    The "1+5+N" plan: community centres within a longer walk of every home, grid stations within the walk.

    Attributes
    ----------
    minutes
        The walk to a community centre (positive; at least the plan's walk, checked by :meth:`check_walk`).
    max_centres
        At most this many community centres (existing ones included), or ``None``.
    """

    minutes: float = DEFAULTS.tier_minutes
    max_centres: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "minutes", check_positive("tier_minutes", self.minutes))
        cap = self.max_centres
        if cap is not None:
            if isinstance(cap, bool) or not isinstance(cap, int | float) or int(cap) != cap or cap < 1:
                raise InputError(f"max_centres={cap!r}: expected a whole number of community centres >= 1")
            object.__setattr__(self, "max_centres", int(cap))

    def check_walk(self, walk: Walk) -> None:
        """Refuse a centre walk shorter than the grid stations' walk."""
        if self.minutes < walk.minutes:
            raise InputError(f"tier_minutes={self.minutes:g}: expected at least minutes={walk.minutes:g}")


@dataclass(frozen=True)
class Study:
    """
    Where a study's network, homes and sites come from, and how the planner's own files are read.

    Attributes
    ----------
    source
        OSM source of the network (and of homes and sites unless files are given); see
        :func:`planner.load_network`. ``None``: the embedded default.
    demand, candidates, existing
        Optional files of homes, candidate sites and existing stations (see :func:`planner.load_demand`,
        :func:`planner.load_candidates`); existing stations are kept as required sites.
    areas
        Areas (community polygons with names) to group the homes by; a demand file of areas groups by its own.
    boundary, boundary_name
        The planning boundary (a polygon, a file, or an OSM administrative name) and the name to pick in a file
        of several (see :func:`planner.load_network`).
    network
        A network already built with :func:`planner.load_network` (skips that stage).
    input_crs
        Datum or CRS of the input files, for all or by file (``"gcj02"`` for coordinates copied from Amap; see
        :func:`planner.sites.input_crs_of`).
    name_column, population_column
        Headers holding names (site files) and the population (demand file), when none of
        :data:`planner.config.COLUMN_ALIASES`.
    raster_mode, raster_units, raster_band
        For a demand raster: homes on the buildings of each cell or one per cell, ``count`` / ``density``, and
        the band (see :func:`planner.load_demand`).
    """

    source: PathLike | nx.MultiDiGraph | None = None
    demand: PathLike | None = None
    candidates: PathLike | None = None
    existing: PathLike | None = None
    areas: PathLike | None = None
    boundary: Any = None
    boundary_name: str | None = None
    network: nx.MultiDiGraph | None = field(default=None, repr=False)
    input_crs: str | dict[str, str] | None = None
    name_column: str | None = None
    population_column: str | None = None
    raster_mode: str = "buildings"
    raster_units: str | None = None
    raster_band: int | None = None

    def __post_init__(self) -> None:
        if self.raster_mode not in RASTER_MODES:
            raise InputError(f"raster_mode={self.raster_mode!r}: expected one of {', '.join(RASTER_MODES)}")
        band = self.raster_band
        if band is not None and (isinstance(band, bool) or not isinstance(band, int) or band < 1):
            raise InputError(f"raster_band={band!r}: expected a band number >= 1")
        for name in ("name_column", "population_column", "boundary_name"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise InputError(f"{name}={value!r}: expected a column or place name (text)")

    @classmethod
    def of(cls, study: Study | PathLike | nx.MultiDiGraph | None) -> Study:
        """``study`` as a :class:`Study`: itself, or the study of a source (a path, a place, a graph or ``None``)."""
        if isinstance(study, Study):
            return study
        if isinstance(study, nx.MultiDiGraph):
            return cls(network=study)
        return cls(source=study)
