"""Stage 5: the map a planner presents.

:func:`plan_map` draws a plan on a Folium (Leaflet) map: proposed stations by tier,
existing stations, walking areas, homes covered and not covered, a heat map of the
population left uncovered, candidate sites and the walking network (the last two
off by default), optionally areas (communities) coloured by the share of their
population covered, with a layer control, a categorical legend, a summary panel and
a popup of figures for each station, in English or Chinese.

Every string that comes from OSM or a user file goes through :func:`planner.outputs.maps.labels.html_text`
(HTML-escaped, and safe inside the JavaScript template literals folium writes).

Basemaps: OpenStreetMap (default), CARTO, Tianditu (needs a key) and Gaode. Gaode's
tiles are in GCJ-02, so with ``basemap="gaode"`` every overlay is shifted from
WGS-84 by :func:`wgs84_to_gcj02`. With ``inline_assets=True`` Leaflet's JavaScript
and CSS (from an installed package, ``django-js-lib-leaflet``) and the Leaflet.heat
plugin are written into the page, so only the tiles are fetched (no CDN: Gaode or
Tianditu tiles work in mainland China). With ``offline=True`` the page needs no network:
assets inlined, and the plan's own streets and the building footprints (or residential
land use) the demand stage read drawn as a light vector basemap in a pane under the
overlays; the default basemap loads no tiles, another one lays its tiles over the
drawn streets where the network reaches them.

The modules, by idea:

- :mod:`~planner.outputs.maps.labels`: escaping, ``label: value`` rows, the legend (the words: :mod:`planner.text.map`);
- :mod:`~planner.outputs.maps.style`: colours and the :class:`~planner.outputs.maps.style.MapStyle` options of one map;
- :mod:`~planner.outputs.maps.gcj02`: overlays in EPSG:4326, shifted to GCJ-02 for Chinese basemaps;
- :mod:`~planner.outputs.maps.leaflet`: Leaflet's files, basemaps and tiles, the custom folium elements;
- :mod:`~planner.outputs.maps.shapes`: streets, footprints and areas as the layers' data;
- :mod:`~planner.outputs.maps.layers`: one builder per layer, and the summary panel;
- :mod:`~planner.outputs.maps.draw`: :func:`plan_map`;
- :mod:`~planner.outputs.maps.whatif`: the what-if page (click to add and remove stations; its script ``whatif.js``).

:data:`~planner.outputs.maps.shapes.MAX_FOOTPRINTS` is read from :mod:`~planner.outputs.maps.shapes` at each map: set it there.
"""

from __future__ import annotations

from planner.io.datums import CHINA_BBOX, in_china, wgs84_to_gcj02
from planner.outputs.maps.draw import plan_map
from planner.outputs.maps.leaflet import BASEMAPS, LEAFLET_PACKAGES, TIANDITU_ENV, check_basemap, leaflet_assets
from planner.outputs.maps.shapes import AREA_COLUMNS, MAX_FOOTPRINTS, footprint_polygons
from planner.outputs.maps.style import AREA_STEPS, AREA_STYLE, COLOURS
from planner.outputs.maps.whatif import WhatIf, whatif_inputs

__all__ = [
    "AREA_COLUMNS",
    "AREA_STEPS",
    "AREA_STYLE",
    "BASEMAPS",
    "CHINA_BBOX",
    "COLOURS",
    "LEAFLET_PACKAGES",
    "MAX_FOOTPRINTS",
    "TIANDITU_ENV",
    "WhatIf",
    "check_basemap",
    "footprint_polygons",
    "in_china",
    "leaflet_assets",
    "plan_map",
    "wgs84_to_gcj02",
    "whatif_inputs",
]
