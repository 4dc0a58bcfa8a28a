"""Stage 5: the map a planner presents.

:func:`plan_map` draws a plan on a Folium (Leaflet) map: proposed stations by tier,
existing stations, walking areas, homes covered and not covered, a heat map of the
population left uncovered, candidate sites and the walking network (the last two
off by default), optionally areas (communities) coloured by the share of their
population covered, with a layer control, a categorical legend, a summary panel and
a popup of figures for each station, in English or Chinese.

Every string that comes from OSM or a user file goes through :func:`_text`
(HTML-escaped, and safe inside the JavaScript template literals folium writes).

Basemaps: OpenStreetMap (default), CARTO, Tianditu (needs a key) and Gaode. Gaode's
tiles are in GCJ-02, so with ``basemap="gaode"`` every overlay is shifted from
WGS-84 by :func:`wgs84_to_gcj02`. With ``offline=True`` the page needs no network:
Leaflet's JavaScript and CSS are inlined from an installed package
(``django-js-lib-leaflet``), no tiles are used, and the plan's own streets and the
building footprints (or residential land use) the demand stage read are drawn as a
light vector basemap in a pane under the overlays.
"""

from __future__ import annotations

import base64
import functools
import html
import importlib.resources
import os
import re
import warnings

import folium
import geopandas as gpd
import numpy as np
from folium.template import Template
from branca.element import MacroElement

from .datums import CHINA_BBOX, in_china, wgs84_to_gcj02  # noqa: F401  (re-exported for callers of planner.maps)
from .errors import DataError, InputError

LABELS = {
    "en": {
        "proposed": "Proposed station",
        "proposed_layer": "Proposed stations",
        "proposed_centre_layer": "Proposed community centres",
        "proposed_grid_layer": "Proposed grid stations",
        "existing": "Existing station",
        "existing_layer": "Existing stations",
        "existing_tiered_layer": "Existing stations",
        "proposed_centre": "Proposed community centre",
        "proposed_grid": "Proposed grid station",
        "existing_centre": "Existing community centre",
        "existing_grid": "Existing grid station",
        "areas": "{minutes:g}-minute walk",
        "areas_legend": "{minutes:g}-minute walking area",
        "covered": "Home within the walk",
        "uncovered": "Home not covered",
        "homes_covered": "Homes covered",
        "homes_uncovered": "Homes not covered",
        "heat_layer": "Uncovered population (heat map)",
        "heat": "Uncovered residents",
        "candidates_layer": "Candidate sites",
        "candidate": "Candidate site",
        "network_layer": "Walking network",
        "basemap": "Streets",
        "population_covered": "Population within {minutes:g} min",
        "population": "Population",
        "share_of_all": "Share of all residents",
        "site_id": "Site",
        "kind": "Type",
        "status": "Status",
        "legend": "Legend",
        "nearest": "nearest candidate: {name}, {minutes:.1f} min",
        "no_candidate": "no candidate within an hour's walk",
        "tier": "Tier",
        "centre": "Community centre",
        "grid": "Grid station",
        "summary": "{stations} stations cover {covered:,.0f} of {total:,.0f} residents ({share:.1%})",
        "summary_title": "Plan summary",
        "summary_stations": "Stations",
        "summary_stations_value": "{stations} ({proposed} proposed, {existing} existing)",
        "summary_total": "Residents",
        "summary_before": "Covered before",
        "summary_after": "Covered after",
        "summary_share": "Share covered",
        "summary_walk": "Walk",
        "summary_walk_value": "{minutes:g} min",
        "zoom_in": "Zoom in",
        "zoom_out": "Zoom out",
        "osm_data": "Streets, homes and sites: &copy; OpenStreetMap contributors (ODbL)",
        "area_layer": "Areas by share covered",
        "boundary_layer": "Planning boundary",
        "area_name": "Area",
        "area_covered": "Population covered",
        "area_share": "Share covered",
        "area_legend": "Area, {share} covered",
    },
    "zh": {
        "proposed": "拟建网格站",
        "proposed_layer": "拟建网格站",
        "proposed_centre_layer": "拟建社区党群服务中心",
        "proposed_grid_layer": "拟建网格站",
        "existing": "现有网格站",
        "existing_layer": "现有网格站",
        "existing_tiered_layer": "现有站点",
        "proposed_centre": "拟建社区党群服务中心",
        "proposed_grid": "拟建网格站",
        "existing_centre": "现有社区党群服务中心",
        "existing_grid": "现有网格站",
        "areas": "{minutes:g}分钟步行服务圈",
        "areas_legend": "{minutes:g}分钟步行服务圈",
        "covered": "已覆盖小区住户",
        "uncovered": "未覆盖小区住户",
        "homes_covered": "已覆盖住户",
        "homes_uncovered": "未覆盖住户",
        "heat_layer": "未覆盖人口热力图",
        "heat": "未覆盖人口",
        "candidates_layer": "候选站点",
        "candidate": "候选站点",
        "network_layer": "步行路网",
        "basemap": "街道",
        "population_covered": "{minutes:g}分钟内服务人口",
        "population": "人口",
        "share_of_all": "占总人口比例",
        "site_id": "站点编号",
        "kind": "类型",
        "status": "状态",
        "legend": "图例",
        "nearest": "最近候选点：{name}，{minutes:.1f}分钟",
        "no_candidate": "一小时步行范围内无候选点",
        "tier": "层级",
        "centre": "社区党群服务中心",
        "grid": "网格站",
        "summary": "{stations}个站点覆盖{covered:,.0f}/{total:,.0f}名居民（{share:.1%}）",
        "summary_title": "规划概要",
        "summary_stations": "站点",
        "summary_stations_value": "{stations}个（拟建{proposed}个，现有{existing}个）",
        "summary_total": "总人口",
        "summary_before": "规划前覆盖",
        "summary_after": "规划后覆盖",
        "summary_share": "覆盖率",
        "summary_walk": "步行时间",
        "summary_walk_value": "{minutes:g}分钟",
        "zoom_in": "放大",
        "zoom_out": "缩小",
        "osm_data": "街道、住户与站点数据：&copy; OpenStreetMap 贡献者（ODbL）",
        "area_layer": "社区覆盖率",
        "boundary_layer": "规划范围",
        "area_name": "社区",
        "area_covered": "已覆盖人口",
        "area_share": "覆盖率",
        "area_legend": "覆盖率{share}的社区",
    },
}

COLOURS = {
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
AREA_STEPS = (
    (0.0, "#d73027"),
    (0.5, "#fee08b"),
    (0.8, "#a6d96a"),
    (0.95, "#1a9641"),
)

#: Leaflet path options of the areas layer (the fill colour comes from :data:`AREA_STEPS`)
AREA_STYLE = {"color": "#555555", "weight": 0.8, "opacity": 0.8, "fillOpacity": 0.35}

#: the tile services ``basemap=`` accepts; ``{tk}`` is replaced by the Tianditu key
BASEMAPS = {
    "osm": {
        "layers": ["https://tile.openstreetmap.org/{z}/{x}/{y}.png"],
        "attr": '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        "subdomains": "abc",
        "max_zoom": 19,
        "gcj02": False,
    },
    "carto": {
        "layers": ["https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png"],
        "attr": '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors '
                '&copy; <a href="https://carto.com/attributions">CARTO</a>',
        "subdomains": "abcd",
        "max_zoom": 20,
        "gcj02": False,
    },
    "tianditu": {
        # vector map plus its annotation layer (cva: Chinese, eva: English)
        "layers": [
            "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default"
            "&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}",
            "https://t{s}.tianditu.gov.cn/{ann}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={ann}"
            "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}",
        ],
        "attr": '&copy; <a href="https://www.tianditu.gov.cn/">天地图 Tianditu</a> '
                "(National Platform for Common GeoSpatial Information Services)",
        "subdomains": "01234567",
        "max_zoom": 18,
        "gcj02": False,
    },
    "gaode": {
        "layers": ["https://webrd0{s}.is.autonavi.com/appmaptile?lang={gaode_lang}&size=1&scale=1&style=8&x={x}&y={y}&z={z}"],
        "attr": '&copy; <a href="https://www.amap.com/">高德地图 AutoNavi</a> (GCJ-02)',
        "subdomains": "1234",
        "max_zoom": 18,
        "gcj02": True,
    },
}

#: environment variable read when no Tianditu key is given
TIANDITU_ENV = "TIANDITU_KEY"

#: Leaflet's CDN files for pages that may use the network (same as folium's)
_CDN_JS = ("leaflet", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")
_CDN_CSS = ("leaflet_css", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css")

#: above this many footprints the offline basemap draws only those in the walking areas' bounding box
MAX_FOOTPRINTS = 20_000

#: installed packages that ship Leaflet's dist files: (module, folder inside it)
LEAFLET_PACKAGES = (("js_lib_leaflet", "static/js_lib_leaflet"), ("xstatic.pkg.leaflet", "data"))

_STYLE = """
.planner-station {{ box-sizing: border-box; border: 2px solid #fff; border-radius: 50%;
  box-shadow: 0 0 0 1px rgba(0,0,0,.55), 0 1px 4px rgba(0,0,0,.45); }}
.planner-proposed {{ background: {proposed}; }}
.planner-proposed.planner-tier-centre {{ background: {centre}; border-radius: 4px; }}
.planner-existing {{ background: {existing}; border-radius: 3px; }}
.planner-existing.planner-tier-centre {{ background: {existing_centre}; border-radius: 4px; }}
.planner-panel {{ background: rgba(255,255,255,.94); padding: 8px 10px; border: 1px solid #999; border-radius: 4px;
  font: 12px/1.45 "Helvetica Neue", Arial, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; color: #222; }}
.planner-panel table {{ border-collapse: collapse; }}
.planner-panel td {{ padding: 0 6px 0 0; vertical-align: top; }}
.leaflet-control-layers {{ font: 13px/1.5 "Helvetica Neue", Arial, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; }}
.planner-swatch {{ display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: -2px;
  box-sizing: border-box; }}
"""


# ----------------------------------------------------------------- helpers


def _labels(lang: str) -> dict[str, str]:
    if lang not in LABELS:
        raise InputError(f"lang={lang!r}: expected one of {', '.join(LABELS)}")
    return LABELS[lang]


def _text(value: str) -> str:
    """HTML-escape ``value``; also escape what ends or interpolates the JS template literals folium wraps it in."""
    return html.escape(str(value)).replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def _rows_html(rows: list[tuple[str, str]]) -> str:
    return "<br>".join(f"<b>{_text(k)}</b>: {_text(v)}" for k, v in rows)


class _Popup(MacroElement):
    """A popup bound to its parent layer; the HTML goes in as a JSON string (no jQuery)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.bindPopup({{ this.html|tojson }}, {{ this.options|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, max_width: int = 320):
        super().__init__()
        self._name = "PlannerPopup"
        self.html = html_text
        self.options = {"maxWidth": max_width}


def _popup(rows: list[tuple[str, str]]) -> _Popup:
    return _Popup(_rows_html(rows))


class _Points(MacroElement):
    """Many circle markers (``circleMarker``, radius in pixels) or circles (``circle``, metres) drawn in one loop.

    ``rows`` are ``[lat, lon, radius, tooltip_html_or_null]``; ``options`` are Leaflet path options.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var opts = {{ this.options|tojson }};
            var rows = {{ this.rows|tojson }};
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                var m = L.{{ this.kind }}([r[0], r[1]], Object.assign({}, opts, {radius: r[2]}));
                if (r[3]) { m.bindTooltip(r[3]); }
                m.addTo({{ this._parent.get_name() }});
            }
        })();
        {% endmacro %}
        """
    )

    def __init__(self, rows: list, options: dict, kind: str = "circleMarker"):
        super().__init__()
        if kind not in ("circleMarker", "circle"):
            raise ValueError(kind)
        self._name = "PlannerPoints"
        self.rows = rows
        self.options = options
        self.kind = kind


class _Lines(MacroElement):
    """One multi-part polyline: ``parts`` are lists of ``[lat, lon]``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.polyline({{ this.parts|tojson }}, {{ this.options|tojson }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, parts: list, options: dict):
        super().__init__()
        self._name = "PlannerLines"
        self.parts = parts
        self.options = options


class _Shapes(MacroElement):
    """A GeoJSON document drawn with one style (``options`` = Leaflet path options incl. ``pane``)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.geoJSON({{ this.data|tojson }}, Object.assign({style: {{ this.options|tojson }}}, {{ this.options|tojson }}))
                .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, data: dict, options: dict):
        super().__init__()
        self._name = "PlannerShapes"
        self.data = data
        self.options = options


class _Polygons(MacroElement):
    """One multi-polygon: ``polygons`` are lists of rings, each a list of ``[lat, lon]``.

    The coordinates go in as compact JSON (numbers only) to keep the page small.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.polygon({{ this.data }}, {{ this.options|tojson }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, polygons: list, options: dict):
        super().__init__()
        import json

        self._name = "PlannerPolygons"
        self.data = json.dumps(polygons, separators=(",", ":"))
        self.options = options


class _Areas(MacroElement):
    """A GeoJSON document of filled areas, each with its own fill colour, tooltip and popup.

    Every feature's ``properties`` hold ``fill`` (a colour), ``tooltip`` and ``popup``
    (escaped HTML); ``options`` are the Leaflet path options shared by all (incl. ``pane``).
    The document goes in as compact JSON with ``<``, ``>``, ``&`` and ``'`` escaped, as
    folium escapes its own JSON.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var opts = {{ this.options|tojson }};
            L.geoJSON({{ this.data }}, Object.assign({}, opts, {
                style: function (f) { return Object.assign({}, opts, {fillColor: f.properties.fill}); },
                onEachFeature: function (f, layer) {
                    layer.bindTooltip(f.properties.tooltip, {sticky: true});
                    layer.bindPopup(f.properties.popup, {maxWidth: 320});
                }
            })).addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, data: dict, options: dict):
        super().__init__()
        import json

        self._name = "PlannerAreas"
        self.data = (json.dumps(data, separators=(",", ":"), sort_keys=True, allow_nan=False)
                     .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027"))
        self.options = options


class _ZoomControl(MacroElement):
    """Leaflet's zoom buttons with titles in the map's language."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.control.zoom({{ this.options|tojson }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, zoom_in: str, zoom_out: str):
        super().__init__()
        self._name = "PlannerZoom"
        self.options = {"zoomInTitle": zoom_in, "zoomOutTitle": zoom_out}


# ----------------------------------------------------------------- GCJ-02


def _shift_xy(xy: np.ndarray) -> np.ndarray:
    lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def _wgs(gdf: gpd.GeoDataFrame, gcj02: bool) -> gpd.GeoDataFrame:
    """``gdf`` in EPSG:4326, shifted to GCJ-02 when asked."""
    out = gdf.to_crs("EPSG:4326") if gdf.crs is not None else gdf.set_crs("EPSG:4326")
    if gcj02 and len(out):
        import shapely

        out = out.copy()
        out["geometry"] = shapely.transform(out.geometry.values, _shift_xy)
        out = out.set_geometry("geometry", crs="EPSG:4326")
    return out


# ----------------------------------------------------------------- basemaps and offline assets


def check_basemap(basemap: str = "osm", tianditu_key: str | None = None, *, offline: bool = False) -> str | None:
    """
    Validate a basemap choice before any work is done.

    Parameters
    ----------
    basemap
        One of :data:`BASEMAPS`.
    tianditu_key
        The Tianditu key; for ``basemap="tianditu"`` falls back to the
        ``TIANDITU_KEY`` environment variable.
    offline
        An offline map draws its own vector basemap and takes no tiles, so only
        the default ``"osm"`` is accepted with it.

    Returns
    -------
    str or None
        The Tianditu key to use (``None`` for other basemaps).

    Raises
    ------
    InputError
        Unknown basemap, tiles asked for offline, or Tianditu without a usable key.
    """
    if basemap not in BASEMAPS:
        raise InputError(f"basemap={basemap!r}: expected one of {', '.join(BASEMAPS)}")
    if offline and basemap != "osm":
        raise InputError(f"basemap={basemap!r}: an offline map draws its own street basemap and loads no tiles; "
                         "drop --offline or --basemap")
    if offline:
        leaflet_assets()  # fail before any work when Leaflet's files are missing
    if basemap != "tianditu":
        return None
    key = tianditu_key or os.environ.get(TIANDITU_ENV) or ""
    key = key.strip()
    if not key:
        raise InputError(f"basemap 'tianditu' needs a key: --tianditu-key KEY or the {TIANDITU_ENV} environment variable")
    if not re.fullmatch(r"[A-Za-z0-9]{8,64}", key):
        raise InputError("tianditu key: expected 8 to 64 letters and digits (a key from console.tianditu.gov.cn)")
    return key


@functools.lru_cache(maxsize=1)
def leaflet_assets() -> tuple[str, str, str]:
    """
    Leaflet's JavaScript and CSS, read from an installed package.

    The CSS's images (layer-control icon, default marker) are inlined as
    ``data:`` URIs so that the page requests nothing.

    Returns
    -------
    js, css, origin
        The two files' text and ``"package x.y"``, where they came from.

    Raises
    ------
    DataError
        No package with Leaflet's files is installed.
    """
    from importlib.metadata import PackageNotFoundError, version

    for module, folder in LEAFLET_PACKAGES:
        try:
            root = importlib.resources.files(module)
        except ModuleNotFoundError:
            continue
        for part in folder.split("/"):  # one part at a time (Traversable on Python 3.10)
            root = root / part
        if not root.joinpath("leaflet.js").is_file():
            continue
        js = root.joinpath("leaflet.js").read_text(encoding="utf-8")
        css = root.joinpath("leaflet.css").read_text(encoding="utf-8")

        def inline(match, root=root):
            data = root.joinpath("images", match.group(2)).read_bytes()
            return "url(data:image/png;base64," + base64.b64encode(data).decode("ascii") + ")"

        css = re.sub(r"url\((['\"]?)images/([\w.-]+\.png)\1\)", inline, css)
        js = re.sub(r"//# sourceMappingURL=\S+\s*$", "", js)
        # nothing in the inlined text may close the element it sits in
        js = re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)
        css = re.sub(r"</(style)", r"<\\/\1", css, flags=re.IGNORECASE)
        dist = {"js_lib_leaflet": "django-js-lib-leaflet", "xstatic.pkg.leaflet": "XStatic-Leaflet"}[module]
        try:
            origin = f"{dist} {version(dist)}"
        except PackageNotFoundError:  # pragma: no cover - files present without metadata
            origin = dist
        return js, css, origin
    raise DataError("offline map: Leaflet's files are not installed; pip install django-js-lib-leaflet")


def _tile_layers(fmap: folium.Map, basemap: str, key: str | None, lang: str, osm_data: str) -> None:
    spec = BASEMAPS[basemap]
    attr = spec["attr"]
    if basemap != "osm" and basemap != "carto":
        attr += " | " + osm_data
    for i, url in enumerate(spec["layers"]):
        url = (url.replace("{tk}", key or "").replace("{ann}", "cva" if lang == "zh" else "eva")
               .replace("{gaode_lang}", "zh_cn" if lang == "zh" else "en"))
        folium.TileLayer(
            tiles=url, attr=attr if i == 0 else " ", name=f"{basemap}-{i}", control=False,
            subdomains=spec["subdomains"], max_zoom=spec["max_zoom"], overlay=i > 0,
        ).add_to(fmap)


def _network_parts(network, gcj02: bool, digits: int = 6) -> list:
    """Every street of a projected network once (two-way pairs merged), as ``[[lat, lon], ...]`` lists."""
    import shapely
    from pyproj import Transformer

    seen = set()
    coords, sizes = [], []
    for u, v, k, data in network.edges(keys=True, data=True):
        key = (min(u, v), max(u, v), k)
        if key in seen:
            continue
        seen.add(key)
        geom = data.get("geometry")
        if geom is not None:
            xy = shapely.get_coordinates(geom)
        else:
            xy = np.array([[network.nodes[u]["x"], network.nodes[u]["y"]], [network.nodes[v]["x"], network.nodes[v]["y"]]])
        coords.append(xy)
        sizes.append(len(xy))
    if not coords:
        return []
    xy = np.concatenate(coords)
    crs = network.graph.get("crs")
    if crs is not None and not str(crs).upper().endswith("4326"):
        lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xy[:, 0], xy[:, 1])
    else:
        lon, lat = xy[:, 0], xy[:, 1]
    if gcj02:
        lon, lat = wgs84_to_gcj02(lon, lat)
    latlon = np.round(np.column_stack([lat, lon]), digits).tolist()
    parts, start = [], 0
    for n in sizes:
        parts.append(latlon[start:start + n])
        start += n
    return parts


def footprint_polygons(shapes: gpd.GeoDataFrame, *, gcj02: bool = False, tolerance_m: float = 1.0,
                       digits: int = 6, within=None) -> dict[str, list]:
    """
    Footprints as light Leaflet polygons for the offline basemap.

    Each shape is simplified with ``tolerance_m`` (in metres, topology kept), moved
    to WGS-84 (and to GCJ-02 when asked), its coordinates rounded to ``digits``
    decimals and each ring's closing point dropped (Leaflet closes rings itself).

    Parameters
    ----------
    shapes
        Polygons with a ``kind`` column (``"building"`` or ``"landuse"``), as
        returned by :func:`planner.load_demand` with ``footprints=True``; a shape
        with no ``kind`` counts as a building.
    gcj02
        Shift the coordinates by :func:`wgs84_to_gcj02`.
    tolerance_m
        Simplification tolerance in metres (0: none).
    digits
        Decimals kept of each latitude and longitude.
    within
        Optional ``(west, south, east, north)`` in ``shapes``' CRS: only the shapes
        that intersect this box are kept.

    Returns
    -------
    dict
        ``{"building": polygons, "landuse": polygons}``; ``polygons`` is a list of
        polygons (one per part of a multi-polygon), each a list of rings (exterior
        first), each a list of ``[lat, lon]``.
    """
    import shapely
    from pyproj import Transformer

    out = {"building": [], "landuse": []}
    if shapes is None or not len(shapes):
        return out
    if shapes.crs is None:
        shapes = shapes.set_crs("EPSG:4326")  # like every other layer without a CRS
    crs = shapes.crs
    geoms = shapes.geometry.values
    if crs is not None and crs.is_geographic:
        # simplify in metres: a local UTM zone
        local = shapes.estimate_utm_crs()
        geoms = shapes.geometry.to_crs(local).values
        crs = local
    kinds = shapes["kind"].astype(str).to_numpy() if "kind" in shapes else np.full(len(shapes), "building")
    keep = np.isin(shapely.get_type_id(geoms), (3, 6)) & ~shapely.is_empty(geoms)
    if within is not None:
        keep &= shapely.intersects(np.asarray(shapes.geometry.values), shapely.box(*within))
    geoms, kinds = geoms[keep], kinds[keep]
    if tolerance_m > 0:
        geoms = shapely.simplify(geoms, tolerance_m, preserve_topology=True)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    if not len(xy):
        return out
    if crs is not None and not crs.equals("EPSG:4326"):
        lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xy[:, 0], xy[:, 1])
    else:
        lon, lat = xy[:, 0], xy[:, 1]
    if gcj02:
        lon, lat = wgs84_to_gcj02(lon, lat)
    latlon = np.round(np.column_stack([lat, lon]), digits)
    # drop each ring's closing point, then split the coordinates ring by ring
    last = np.r_[ring_of[1:] != ring_of[:-1], True]
    latlon, ring_of = latlon[~last], ring_of[~last]
    starts = np.searchsorted(ring_of, np.arange(len(rings) + 1))
    rows = latlon.tolist()
    polygons: list[list] = [[] for _ in range(len(parts))]
    for r in range(len(rings)):
        polygons[ring_part[r]].append(rows[starts[r]:starts[r + 1]])
    part_kind = kinds[owner]
    for p, kind in enumerate(part_kind):
        out.setdefault(str(kind), []).append(polygons[p])
    return out


#: columns :func:`plan_map` reads from ``areas``
AREA_COLUMNS = ("area", "population", "population_covered", "covered_share")


def _number(value) -> float:
    """``value`` as a float; NaN for missing or non-numeric values."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _area_step(share: float) -> int:
    """Index in :data:`AREA_STEPS` of the step ``share`` falls in; -1 when it is missing."""
    if not np.isfinite(share):
        return -1
    bounds = [lo for lo, _ in AREA_STEPS]
    return max(int(np.searchsorted(bounds, share, side="right")) - 1, 0)


def _area_step_range(i: int) -> str:
    """The shares of step ``i`` of :data:`AREA_STEPS` as text: ``<50%``, ``50–80%``, ``≥95%``."""
    lo = AREA_STEPS[i][0]
    if i == len(AREA_STEPS) - 1:
        return f"≥{lo:.0%}"
    hi = AREA_STEPS[i + 1][0]
    return f"<{hi:.0%}" if i == 0 else f"{lo:.0%}–{hi:.0%}"


def _area_features(areas: gpd.GeoDataFrame, gcj02: bool, t: dict[str, str],
                   digits: int = 7) -> tuple[dict, np.ndarray | None]:
    """The areas as a GeoJSON FeatureCollection for :class:`_Areas` (fill colour, tooltip and popup per
    area) and their ``(west, south, east, north)`` in the map's coordinates (``None`` when none is drawn).

    Areas with no geometry (or an empty one) are left out; coordinates are rounded to ``digits`` decimals.
    """
    import json

    import shapely

    missing = [c for c in AREA_COLUMNS if c not in areas]
    if missing:
        raise InputError(f"areas: missing column(s) {', '.join(missing)} (expected {', '.join(AREA_COLUMNS)})")
    gdf = _wgs(areas, gcj02)
    geoms = np.asarray(gdf.geometry.values)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    gdf = gdf[keep]
    geoms = shapely.transform(geoms[keep], lambda xy: np.round(xy, digits))
    features = []
    for geom, name, pop, cov, share in zip(geoms, gdf["area"].astype(str), gdf["population"],
                                           gdf["population_covered"], gdf["covered_share"]):
        pop, cov, share = _number(pop), _number(cov), _number(share)
        step = _area_step(share)
        shown = f"{share:.1%}" if np.isfinite(share) else "–"
        rows = [(t["area_name"], name),
                (t["population"], f"{pop:,.0f}" if np.isfinite(pop) else "–"),
                (t["area_covered"], f"{cov:,.0f}" if np.isfinite(cov) else "–"),
                (t["area_share"], shown)]
        features.append({
            "type": "Feature",
            "properties": {"fill": AREA_STEPS[step][1] if step >= 0 else COLOURS["area_missing"],
                           "tooltip": _text(f"{name}: {shown}"), "popup": _rows_html(rows)},
            "geometry": json.loads(shapely.to_geojson(geom)),
        })
    bounds = shapely.total_bounds(geoms) if len(geoms) else None
    return {"type": "FeatureCollection", "features": features}, bounds


def _legend_item(colour: str, label: str, shape: str = "circle") -> str:
    radius = {"circle": "50%", "square": "3px", "area": "0", "fill": "0"}[shape]
    fill = {"area": f"{colour}33", "fill": f"{colour}{round(AREA_STYLE['fillOpacity'] * 255):02x}"}.get(shape, colour)
    border = {"area": f"1px solid {colour}", "fill": f"1px solid {AREA_STYLE['color']}"}.get(shape, "1px solid rgba(0,0,0,.45)")
    return (f'<div><span class="planner-swatch" style="background:{fill};border:{border};border-radius:{radius}">'
            f"</span>{html.escape(label)}</div>")


# ----------------------------------------------------------------- the map


def plan_map(
    stations: gpd.GeoDataFrame,
    isochrones: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    covered: np.ndarray,
    *,
    existing: gpd.GeoDataFrame | None = None,
    minutes: float = 5.0,
    summary: dict | None = None,
    lang: str = "en",
    unreachable=None,
    candidates: gpd.GeoDataFrame | None = None,
    network=None,
    covered_before: np.ndarray | None = None,
    offline: bool = False,
    basemap: str = "osm",
    tianditu_key: str | None = None,
    footprints: gpd.GeoDataFrame | None = None,
    areas: gpd.GeoDataFrame | None = None,
    boundary=None,
) -> folium.Map:
    """
    Draw a plan.

    Parameters
    ----------
    stations
        Chosen stations with ``site_id``, ``name``, ``population_covered`` and
        optionally ``existing`` (bool), ``tier`` (centre / grid) and ``kind``.
        Existing ones are drawn in the existing layer, the rest by tier. When
        any station, proposed or existing, is a ``"centre"``, the tooltips and
        popups name every station by status and tier ("Proposed community
        centre", "Existing grid station"; 拟建社区党群服务中心, 现有网格站, ...)
        and the legend has an item for existing community centres when there
        are any; with grid stations only, "Proposed station" / "Existing
        station" (拟建网格站 / 现有网格站).
    isochrones
        Their walking areas (one polygon per station).
    demand
        Demand points with ``demand_id`` and ``population``.
    covered
        Boolean per demand row: within the walk of a chosen station.
    existing
        Existing stations with ``site_id`` and ``name`` (their own layer; figures
        come from the matching row of ``stations``).
    minutes
        The walking limit, for labels.
    summary
        Optional dict with ``n_stations``, ``population_covered``,
        ``population_total`` and ``covered_share`` (else computed from
        ``demand`` and ``covered``).
    lang
        ``"en"`` or ``"zh"``: every label, legend and popup.
    unreachable
        Optional table from :func:`planner.pipeline.diagnose_unreachable`: homes no
        candidate reaches get their nearest candidate in the tooltip.
    candidates
        Optional candidate sites (``site_id``, ``name``, ``kind``): a layer, off
        by default.
    network
        Optional projected walking network: a layer, off by default, and the
        offline vector basemap.
    covered_before
        Optional boolean per demand row: covered by existing stations alone
        (the summary's "before"); none covered when omitted.
    offline
        Inline Leaflet (from the installed ``django-js-lib-leaflet``), load no
        tiles, and draw ``network`` and ``footprints`` as a light basemap: the
        file renders with no network.
    basemap
        ``"osm"`` (default), ``"carto"``, ``"tianditu"`` or ``"gaode"``. With
        ``"gaode"`` (GCJ-02 tiles) every overlay is shifted by :func:`wgs84_to_gcj02`.
    tianditu_key
        Key for Tianditu tiles (else the ``TIANDITU_KEY`` environment variable).
    footprints
        Optional polygons with ``kind`` (``"building"`` / ``"landuse"``), as
        :func:`planner.load_demand` returns them with ``footprints=True``: drawn
        offline only (tiles show buildings online), as light grey filled polygons
        under the streets (land use lighter, under the buildings), simplified by
        :func:`footprint_polygons`. A plan from a demand file has none: only the
        streets are drawn. Above :data:`MAX_FOOTPRINTS` shapes, only those in the
        bounding box of ``isochrones`` are drawn (all of them when there are no
        walking areas), with a warning.
    areas
        Optional polygons (any CRS; none means EPSG:4326) with the columns of
        :data:`AREA_COLUMNS`: ``area`` (name), ``population``,
        ``population_covered`` and ``covered_share`` (0 to 1). Drawn as a layer
        shown by default ("Areas by share covered" / 社区覆盖率), under the walking
        areas and the stations, each filled by its share in the colour steps of
        :data:`AREA_STEPS` (grey without a share), with a tooltip "name: share"
        and a popup of its name, population, population covered and share; the
        legend gets one item per step. Shifted to GCJ-02 like every overlay with
        ``basemap="gaode"``; the map's view includes them.
    boundary
        Optional planning boundary (a shapely polygon, WGS-84): a dashed outline
        layer ("Planning boundary" / 规划范围).

    Returns
    -------
    folium.Map
        Layers, a layer control, a legend and a summary panel.

    Raises
    ------
    InputError
        Unknown ``lang`` or ``basemap``, Tianditu without a key, tiles asked for offline,
        ``covered`` of the wrong length, ``areas`` without one of its columns.
    """
    t = _labels(lang)
    key = check_basemap(basemap, tianditu_key, offline=offline)
    gcj = BASEMAPS[basemap]["gcj02"]
    covered = np.asarray(covered, dtype=bool)
    if len(covered) != len(demand):
        raise InputError(f"covered: {len(covered)} values for {len(demand)} demand points")

    st = _wgs(stations, gcj)
    dem = _wgs(demand, gcj)
    st_existing = st["existing"].to_numpy(bool) if "existing" in st else np.zeros(len(st), bool)
    proposed = st[~st_existing]
    if existing is not None:
        ex = _wgs(existing, gcj)
    else:
        ex = st[st_existing]
    if len(ex):
        # existing stations take their figures and tier from the matching row of ``stations``
        figures = st.set_index(st["site_id"].astype(str))
        ex = ex.copy()
        sid = ex["site_id"].astype(str)
        if "population_covered" not in ex:
            ex["population_covered"] = sid.map(figures["population_covered"]).to_numpy() if len(figures) else np.nan
        if "tier" not in ex and "tier" in figures:
            ex["tier"] = sid.map(figures["tier"]).to_numpy()
    # a plan "has tiers" when any station, proposed or existing, is a community centre: then every
    # station is named by its status and tier ("Proposed grid station", "Existing community centre")
    ex_centre = ex["tier"].astype(str).to_numpy() == "centre" if "tier" in ex else np.zeros(len(ex), bool)
    tiered = bool(ex_centre.any()) or ("tier" in st and bool((st["tier"].astype(str) == "centre").any()))
    area_data, area_bounds = _area_features(areas, gcj, t) if areas is not None else (None, None)
    pts = [g.total_bounds for g in (st, dem, ex) if len(g)] + ([area_bounds] if area_bounds is not None else [])
    bounds = np.array(pts or [[-180, -85, 180, 85]])
    west, south = bounds[:, 0].min(), bounds[:, 1].min()
    east, north = bounds[:, 2].max(), bounds[:, 3].max()

    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=15, tiles=None,
                      control_scale=True, zoom_control=False)
    _ZoomControl(t["zoom_in"], t["zoom_out"]).add_to(fmap)
    root = fmap.get_root()
    if offline:
        js, css, origin = leaflet_assets()
        fmap.default_js = []
        fmap.default_css = []
        root.header.add_child(folium.Element(f"<style>/* Leaflet from {origin} */\n{css}</style>"), name="leaflet_css")
        root.header.add_child(folium.Element(f"<script>/* Leaflet from {origin} */\n{js}</script>"), name="leaflet")
    else:
        # only Leaflet itself: no jQuery, Bootstrap or icon fonts are used
        fmap.default_js = [_CDN_JS]
        fmap.default_css = [_CDN_CSS]
    style = _STYLE.format(**COLOURS)
    if offline:
        style += f".leaflet-container {{ background: {COLOURS['background']}; }}\n"
    root.header.add_child(folium.Element(f"<style>{style}</style>"), name="planner_style")

    # panes: basemap under everything, areas / heat / network under the homes
    for name, z in (("planner-basemap", 250), ("planner-areas", 350), ("planner-heat", 360), ("planner-network", 370)):
        folium.map.CustomPane(name, z_index=z, pointer_events=False).add_to(fmap)
    if area_data is not None:
        # the areas by share covered: over the basemap, under the walking areas, and clickable
        folium.map.CustomPane("planner-area-share", z_index=340, pointer_events=True).add_to(fmap)

    total = float(dem["population"].sum()) if len(dem) else 0.0
    pop = dem["population"].to_numpy(float) if len(dem) else np.zeros(0)
    net_parts = _network_parts(network, gcj) if network is not None else []
    if offline:
        group = folium.FeatureGroup(name=t["basemap"], control=False, show=True)
        for kind, polygons in _basemap_polygons(footprints, isochrones, gcj).items():
            if polygons:
                fill = COLOURS[kind]
                edge = {"stroke": True, "color": COLOURS["building_edge"], "weight": 0.5, "opacity": 1.0} \
                    if kind == "building" else {"stroke": False}
                _Polygons(polygons, {**edge, "fill": True, "fillColor": fill, "fillOpacity": 1.0, "interactive": False,
                                     "pane": "planner-basemap", "smoothFactor": 1.0,
                                     "className": f"planner-basemap-{kind}"}).add_to(group)
        _Lines(net_parts, {"color": COLOURS["basemap"], "weight": 1.6, "opacity": 1.0, "interactive": False,
                           "pane": "planner-basemap", "smoothFactor": 1.5, "attribution": t["osm_data"],
                           "className": "planner-basemap"}).add_to(group)
        group.add_to(fmap)
    else:
        _tile_layers(fmap, basemap, key, lang, t["osm_data"])

    # proposed stations, one layer per tier
    tiers = proposed["tier"].astype(str).to_numpy() if "tier" in proposed else np.full(len(proposed), "grid")
    present = [x for x in ("centre", "grid") if (tiers == x).any()] + sorted(set(tiers) - {"centre", "grid"})
    by_tier = len(present) > 1 or present[:1] == ["centre"]
    for tier in present or ["grid"]:
        name = t.get(f"proposed_{tier}_layer", t["proposed_layer"]) if by_tier else t["proposed_layer"]
        group = folium.FeatureGroup(name=html.escape(name), show=True)
        sel = proposed[tiers == tier] if len(proposed) else proposed
        _station_markers(sel, group, t, minutes, total, "proposed", tiered=tiered)
        group.add_to(fmap)

    if len(ex):
        group = folium.FeatureGroup(name=html.escape(t["existing_tiered_layer" if ex_centre.any() else "existing_layer"]),
                                    show=True)
        _station_markers(ex, group, t, minutes, total, "existing", tiered=tiered)
        group.add_to(fmap)

    walk = folium.FeatureGroup(name=html.escape(t["areas"].format(minutes=minutes)), show=True)
    if len(isochrones):
        iso = _wgs(isochrones, gcj)[["site_id", "geometry"]].copy()
        iso["site_id"] = iso["site_id"].astype(str).map(_text)
        import json

        _Shapes(json.loads(iso.to_json(drop_id=True)), {
            "color": COLOURS["proposed"], "weight": 1, "opacity": 0.6, "fillColor": COLOURS["proposed"], "fillOpacity": 0.12,
            "interactive": False, "pane": "planner-areas",
        }).add_to(walk)
    walk.add_to(fmap)

    if boundary is not None:
        outline = gpd.GeoDataFrame({"kind": ["boundary"]}, geometry=[boundary], crs="EPSG:4326")
        rings = footprint_polygons(outline, gcj02=gcj, tolerance_m=2.0).get("boundary", [])
        group = folium.FeatureGroup(name=html.escape(t["boundary_layer"]), show=True)
        _Polygons(rings, {"color": "#252525", "weight": 2.5, "opacity": 0.9, "dashArray": "8 6", "fill": False,
                          "interactive": False, "className": "planner-boundary"}).add_to(group)
        group.add_to(fmap)

    if area_data is not None:
        group = folium.FeatureGroup(name=html.escape(t["area_layer"]), show=True)
        _Areas(area_data, {**AREA_STYLE, "fill": True, "pane": "planner-area-share", "className": "planner-area"}
               ).add_to(group)
        group.add_to(fmap)

    nearest = {}
    if unreachable is not None:
        for row in unreachable.itertuples(index=False):
            if row.nearest_site_name is None or not np.isfinite(row.nearest_minutes):
                nearest[str(row.demand_id)] = t["no_candidate"]
            else:
                nearest[str(row.demand_id)] = t["nearest"].format(name=row.nearest_site_name, minutes=row.nearest_minutes)
    for flag, key_, layer in ((True, "covered", "homes_covered"), (False, "uncovered", "homes_uncovered")):
        group = folium.FeatureGroup(name=html.escape(t[layer]), show=True)
        sel = dem[covered == flag]
        rows = []
        for x, y, p, did in zip(sel.geometry.x, sel.geometry.y, sel["population"], sel["demand_id"].astype(str)):
            tip = f"{t[key_]} · {t['population']} {p:,.0f}"
            if did in nearest:
                tip += " · " + nearest[did]
            rows.append([round(y, 7), round(x, 7), round(float(min(3.0 + np.sqrt(max(p, 0.0)) / 4.0, 9.0)), 2), _text(tip)])
        _Points(rows, {"color": "#ffffff", "weight": 1, "fill": True, "fillColor": COLOURS[key_], "fillOpacity": 0.9,
                       "className": f"planner-home planner-home-{key_}"}).add_to(group)
        group.add_to(fmap)

    # uncovered population as a heat map: the leaflet.heat plugin online; offline, graded
    # glowing circles (no plugin needs fetching)
    group = folium.FeatureGroup(name=html.escape(t["heat_layer"]), show=True)
    unc = dem[~covered]
    if len(unc):
        weight = unc["population"].to_numpy(float)
        weight = weight / weight.max() if weight.max() > 0 else np.ones(len(unc))
        lat, lon = unc.geometry.y.to_numpy(), unc.geometry.x.to_numpy()
        if offline:
            for scale, colour, opacity in ((1.0, "#fecc5c", 0.18), (0.65, "#fd8d3c", 0.22), (0.35, "#e31a1c", 0.3)):
                rows = [[round(a, 7), round(b, 7), round(float(scale * (40 + 140 * np.sqrt(w))), 1), None]
                        for a, b, w in zip(lat, lon, weight)]
                _Points(rows, {"stroke": False, "fill": True, "fillColor": colour, "fillOpacity": opacity,
                               "interactive": False, "pane": "planner-heat", "className": "planner-heat"},
                        kind="circle").add_to(group)
        else:
            from folium.plugins import HeatMap

            HeatMap([[float(a), float(b), float(w)] for a, b, w in zip(lat, lon, weight)], radius=28, blur=22,
                    min_opacity=0.35, max_zoom=16, control=False).add_to(group)
    group.add_to(fmap)

    if candidates is not None and len(candidates):
        group = folium.FeatureGroup(name=html.escape(t["candidates_layer"]), show=False)
        cand = _wgs(candidates, gcj)
        kinds = cand["kind"].astype(str) if "kind" in cand else [""] * len(cand)
        rows = []
        for x, y, name, sid, kind in zip(cand.geometry.x, cand.geometry.y, cand["name"].astype(str),
                                         cand["site_id"].astype(str), kinds):
            tip = f"{t['candidate']}: {name} · {t['site_id']} {sid}" + (f" · {kind}" if kind else "")
            rows.append([round(y, 7), round(x, 7), 4, _text(tip)])
        _Points(rows, {"color": COLOURS["candidate"], "weight": 1.5, "fill": True, "fillColor": "#ffffff",
                       "fillOpacity": 1.0, "className": "planner-candidate"}).add_to(group)
        group.add_to(fmap)

    if net_parts:
        group = folium.FeatureGroup(name=html.escape(t["network_layer"]), show=False)
        _Lines(net_parts, {"color": COLOURS["network"], "weight": 1, "opacity": 0.8, "interactive": False,
                           "pane": "planner-network", "className": "planner-network"}).add_to(group)
        group.add_to(fmap)

    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[south, west], [north, east]])

    items = []
    if by_tier:
        items += [_legend_item(COLOURS["centre"], t["proposed_centre_layer"], "square"),
                  _legend_item(COLOURS["proposed"], t["proposed_grid_layer"])]
    else:
        items.append(_legend_item(COLOURS["proposed"], t["proposed"]))
    if ex_centre.any():
        items.append(_legend_item(COLOURS["existing_centre"], t["existing_centre"], "square"))
    if not len(ex) or not ex_centre.all():
        items.append(_legend_item(COLOURS["existing"], t["existing_grid" if tiered else "existing"], "square"))
    items += [
        _legend_item(COLOURS["proposed"], t["areas_legend"].format(minutes=minutes), "area"),
        _legend_item(COLOURS["covered"], t["covered"]),
        _legend_item(COLOURS["uncovered"], t["uncovered"]),
        _legend_item("#fd8d3c", t["heat"]),
    ]
    if area_data is not None:
        items += [_legend_item(colour, t["area_legend"].format(share=_area_step_range(i)), "fill")
                  for i, (_, colour) in enumerate(AREA_STEPS)]
    legend = (
        '<div id="planner-legend" class="planner-panel" style="position:fixed;bottom:56px;left:12px;z-index:1000">'
        f"<b>{html.escape(t['legend'])}</b>{''.join(items)}</div>"
    )
    root.html.add_child(folium.Element(legend), name="planner_legend")
    root.html.add_child(folium.Element(_summary_panel(t, summary, st_existing, len(ex), pop, covered, covered_before,
                                                      total, minutes)), name="planner_summary")
    return fmap


def _basemap_polygons(footprints, isochrones, gcj02: bool) -> dict[str, list]:
    """Land use first, then buildings (drawing order); capped at :data:`MAX_FOOTPRINTS` (see :func:`plan_map`)."""
    if footprints is None or not len(footprints):
        return {}
    within = None
    if len(footprints) > MAX_FOOTPRINTS and len(isochrones):
        iso = isochrones.to_crs(footprints.crs) if footprints.crs is not None and isochrones.crs is not None else isochrones
        within = tuple(iso.total_bounds)
    shapes = footprint_polygons(footprints, gcj02=gcj02, within=within)
    if within is not None:
        drawn = len(shapes.get("building", [])) + len(shapes.get("landuse", []))
        warnings.warn(f"offline basemap: {len(footprints):,} footprints are more than {MAX_FOOTPRINTS:,}; drew the "
                      f"{drawn:,} polygons in the walking areas' bounding box only", stacklevel=3)
    return {kind: shapes.get(kind, []) for kind in ("landuse", "building")}


def _station_markers(gdf, group, t, minutes, total, status, *, tiered: bool = False) -> None:
    """One DivIcon marker per station (class ``planner-station``) with a tooltip and a popup of its figures.

    With ``tiered`` (the plan has community centres), the tooltip and the popup's first row name each
    station by its status and tier (``t["proposed_centre"]``, ``t["existing_grid"]``, ...); else by its
    status alone (``t["proposed"]``, ``t["existing"]``).
    """
    if not len(gdf):
        return
    kinds = gdf["kind"].astype(str) if "kind" in gdf else [""] * len(gdf)
    tiers = gdf["tier"].astype(str) if "tier" in gdf else ["grid"] * len(gdf)
    pops = gdf["population_covered"] if "population_covered" in gdf else [np.nan] * len(gdf)
    for x, y, name, sid, pop, kind, row_tier in zip(gdf.geometry.x, gdf.geometry.y, gdf["name"].astype(str),
                                                     gdf["site_id"].astype(str), pops, kinds, tiers):
        tier_class = row_tier if row_tier in ("centre", "grid") else "other"
        size = 20 if tier_class == "centre" else 16
        icon = folium.DivIcon(html="", icon_size=(size, size), icon_anchor=(size // 2, size // 2),
                              class_name=f"planner-station planner-{status} planner-tier-{tier_class}")
        label = t[f"{status}_{tier_class}"] if tiered and tier_class != "other" else t[status]
        rows = [(label, name), (t["site_id"], sid),
                (t["tier"], t.get(row_tier, row_tier) if row_tier in ("centre", "grid") else row_tier)]
        if kind and kind != "nan":
            rows.append((t["kind"], kind))
        if pop is not None and np.isfinite(float(pop)):
            rows.append((t["population_covered"].format(minutes=minutes), f"{float(pop):,.0f}"))
            if total > 0:
                rows.append((t["share_of_all"], f"{float(pop) / total:.1%}"))
        marker = folium.Marker([float(y), float(x)], icon=icon, tooltip=folium.Tooltip(_text(f"{label}: {name}")))
        marker.add_child(_popup(rows))
        marker.add_to(group)


def _summary_panel(t, summary, st_existing, n_existing, pop, covered, covered_before, total, minutes) -> str:
    n_total = int(summary["n_stations"]) if summary else int(len(st_existing))
    n_ex = int(st_existing.sum()) if len(st_existing) and st_existing.any() else int(n_existing)
    after = float(summary["population_covered"]) if summary else float(pop[covered].sum())
    total = float(summary.get("population_total", total)) if summary else total
    before = float(pop[np.asarray(covered_before, bool)].sum()) if covered_before is not None and len(pop) else 0.0
    share = (lambda v: v / total if total else 0.0)
    rows = [
        (t["summary_stations"], t["summary_stations_value"].format(stations=n_total, proposed=n_total - n_ex, existing=n_ex)),
        (t["summary_total"], f"{total:,.0f}"),
        (t["summary_before"], f"{before:,.0f} ({share(before):.1%})"),
        (t["summary_after"], f"{after:,.0f} ({share(after):.1%})"),
        (t["summary_share"], f"{share(after):.1%}"),
        (t["summary_walk"], t["summary_walk_value"].format(minutes=minutes)),
    ]
    body = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return (
        '<div id="planner-summary" class="planner-panel" style="position:fixed;top:12px;left:56px;z-index:1000">'
        f"<b>{html.escape(t['summary_title'])}</b><table>{body}</table></div>"
    )
