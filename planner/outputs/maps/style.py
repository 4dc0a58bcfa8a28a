"""The map's colours and the style options one map is drawn with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["AREA_STEPS", "AREA_STYLE", "COLOURS", "MapStyle"]

COLOURS: dict[str, str] = {
    "proposed": "#d7301f",
    "centre": "#7f0000",
    "existing": "#2c7fb8",
    "existing_centre": "#08306b",
    "covered": "#1a9850",
    "uncovered": "#7b3294",
    "candidate": "#636363",
    "network": "#3f3f3f",
    "basemap": "#c8c8c8",
    "building": "#dad6d0",
    "building_edge": "#c9c4bd",
    "landuse": "#ebe8e3",
    "background": "#f5f3ef",
    "area_missing": "#bdbdbd",
}

#: colour steps of the areas layer (``areas=`` of :func:`plan_map`), red to yellow to green:
#: ``(lower bound of covered_share, fill colour)``, bounds ascending from 0. An area takes the
#: last step whose bound its share reaches: below 50 % red, 50-80 % yellow, 80-95 % light green,
#: 95 % and more green. An area without a share is grey (``COLOURS["area_missing"]``).
AREA_STEPS: tuple[tuple[float, str], ...] = ((0.0, "#d73027"), (0.5, "#fee08b"), (0.8, "#a6d96a"), (0.95, "#1a9641"))

#: Leaflet path options of the areas layer (the fill colour comes from :data:`AREA_STEPS`)
AREA_STYLE: dict[str, Any] = {"color": "#555555", "weight": 0.8, "opacity": 0.8, "fillOpacity": 0.35}


@dataclass(frozen=True)
class MapStyle:
    """
    The options one map is drawn with, checked once by :func:`plan_map`.

    Attributes
    ----------
    labels
        The words of the map's language (``planner.text.words(lang, "map")``).
    lang
        ``"en"`` or ``"zh"``.
    minutes
        The walking limit, for labels.
    offline
        Leaflet inlined, the plan's streets and footprints as the basemap (tiles over them for a
        basemap other than ``"osm"``).
    basemap
        One of :data:`BASEMAPS`.
    tianditu_key
        The checked Tianditu key (``None`` for other basemaps).
    gcj02
        The basemap's tiles are in GCJ-02: every overlay is shifted to it.
    inline_assets
        Leaflet (and Leaflet.heat) written into the page, no CDN; true whenever ``offline`` is.
    """

    labels: Mapping[str, str]
    lang: str
    minutes: float
    offline: bool
    basemap: str
    tianditu_key: str | None
    gcj02: bool
    inline_assets: bool = False

    @property
    def tiles(self) -> bool:
        """The page loads the basemap's tiles: always online; offline, for a basemap other than ``"osm"``."""
        return not self.offline or self.basemap != "osm"
